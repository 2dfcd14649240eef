//! What one worker of each stage kind runs, as traits, and closure adapters for them.
//!
//! `#[producer]`, `#[stage]` and `#[consumer]` implement these traits for the stage
//! type they generate; code that builds a pipeline by hand can use the closure
//! adapters ([`producer`], [`transform`], [`map`], [`filter_map`], [`try_map`],
//! [`consumer`]) instead.
//!
//! A stage is moved into its last worker and [replicated](Replicate) for the others,
//! on the thread that starts the run; each worker then runs its copy on its own
//! thread, where it may make what it needs and keep it (an item-form stage's
//! [`ItemStage::start`] gives the [`MapItem`] that worker calls for each item).

use crate::{BoxError, Input, Output, Replicate};
use std::fmt;
use std::marker::PhantomData;

/// A producer: each worker yields items from nothing but its arguments.
pub trait Produce: Replicate + Send + 'static {
    /// What it yields.
    type Item: Send + 'static;
    /// Runs one worker: pushes every item into `out` (see [`feed`]).
    fn produce(self, out: &mut Output<Self::Item>) -> Result<(), BoxError>;
}

/// A stream-form stage: each worker maps its share of the input stream to a stream.
pub trait Transform: Replicate + Send + 'static {
    /// What it reads.
    type In: Send + 'static;
    /// What it yields.
    type Out: Send + 'static;
    /// Runs one worker over its share of the input.
    fn transform(self, input: Input<Self::In>, out: &mut Output<Self::Out>)
        -> Result<(), BoxError>;
}

/// An item-form stage: each worker [starts](Self::start) on its own thread, then
/// maps every item of its share of the input.
pub trait ItemStage: Replicate + Send + 'static {
    /// What it reads.
    type In: Send + 'static;
    /// What it yields.
    type Out: Send + 'static;
    /// What one worker calls for each item; made on the worker's thread, so it need
    /// not be `Send`.
    type Worker: MapItem<In = Self::In, Out = Self::Out>;
    /// Starts one worker, on its own thread.
    fn start(self) -> Self::Worker;
}

/// One worker of an item-form stage: called once per item; `Ok(None)` drops the item.
pub trait MapItem {
    /// What it reads.
    type In: Send + 'static;
    /// What it yields.
    type Out: Send + 'static;
    /// Maps one item.
    fn map(&mut self, item: Self::In) -> Result<Option<Self::Out>, BoxError>;
}

/// What a worker of an ordered stage runs on each batch it takes: an item-form
/// stage's [`MapItem`], one item at a time, or an isolated stage's child process,
/// the batch at once.
pub(crate) trait MapBatch {
    type In;
    type Out;
    /// Maps `batch` (last item first, see `pending`), whose first item is item
    /// `first` of the stage's input, into `out`, emptying it; returns early, with
    /// `Ok`, as soon as `stop()` says so.
    fn map_batch(
        &mut self,
        batch: &mut Vec<Self::In>,
        first: u64,
        out: &mut Vec<Self::Out>,
        stop: &impl Fn() -> bool,
    ) -> Result<(), BoxError>;
}

impl<M: MapItem> MapBatch for M {
    type In = M::In;
    type Out = M::Out;
    #[inline]
    fn map_batch(
        &mut self,
        batch: &mut Vec<M::In>,
        _first: u64,
        out: &mut Vec<M::Out>,
        stop: &impl Fn() -> bool,
    ) -> Result<(), BoxError> {
        while let Some(item) = batch.pop() {
            if stop() {
                return Ok(());
            }
            out.extend(self.map(item)?);
        }
        Ok(())
    }
}

/// A consumer: each worker drains its share of the input into one value.
pub trait Consume: Replicate + Send + 'static {
    /// What it reads.
    type In: Send + 'static;
    /// What one worker returns.
    type Output: Send + 'static;
    /// Runs one worker over its share of the input.
    fn consume(self, input: Input<Self::In>) -> Result<Self::Output, BoxError>;
}

/// Pushes every item of `items` into `out`, stopping quietly when downstream has
/// stopped (that is not an error of this stage).
pub fn feed<I: IntoIterator>(items: I, out: &mut Output<I::Item>) -> Result<(), BoxError> {
    for item in items {
        if out.push(item).is_err() {
            break;
        }
    }
    Ok(())
}

/// [`feed`] for a stage function that returns `Result<impl IntoIterator, E>`.
pub fn try_feed<I, E>(items: Result<I, E>, out: &mut Output<I::Item>) -> Result<(), BoxError>
where
    I: IntoIterator,
    E: Into<BoxError>,
{
    feed(items.map_err(Into::into)?, out)
}

/// A closure adapter; see the functions of this module that make one.
pub struct FnStage<F, T> {
    f: F,
    _types: PhantomData<fn(T)>,
}

impl<F: Clone, T> Clone for FnStage<F, T> {
    fn clone(&self) -> Self {
        adapt(self.f.clone())
    }
}

impl<F: Clone, T> Replicate for FnStage<F, T> {
    fn replicate(&self) -> Option<Self> {
        Some(self.clone())
    }
}

impl<F, T> fmt::Debug for FnStage<F, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("FnStage(..)")
    }
}

fn adapt<F, T>(f: F) -> FnStage<F, T> {
    FnStage {
        f,
        _types: PhantomData,
    }
}

/// A producer from a closure run once per worker.
pub fn producer<F, R>(f: F) -> FnStage<F, ()>
where
    F: FnOnce() -> R + Clone + Send + 'static,
    R: IntoIterator,
    R::Item: Send + 'static,
{
    adapt(f)
}

impl<F, R> Produce for FnStage<F, ()>
where
    F: FnOnce() -> R + Clone + Send + 'static,
    R: IntoIterator,
    R::Item: Send + 'static,
{
    type Item = R::Item;
    fn produce(self, out: &mut Output<R::Item>) -> Result<(), BoxError> {
        feed((self.f)(), out)
    }
}

/// A stream-form stage from a closure run once per worker over its share of the input.
pub fn transform<T, F, R>(f: F) -> FnStage<F, Input<T>>
where
    T: Send + 'static,
    F: FnOnce(Input<T>) -> R + Clone + Send + 'static,
    R: IntoIterator,
    R::Item: Send + 'static,
{
    adapt(f)
}

impl<T, F, R> Transform for FnStage<F, Input<T>>
where
    T: Send + 'static,
    F: FnOnce(Input<T>) -> R + Clone + Send + 'static,
    R: IntoIterator,
    R::Item: Send + 'static,
{
    type In = T;
    type Out = R::Item;
    fn transform(self, input: Input<T>, out: &mut Output<R::Item>) -> Result<(), BoxError> {
        feed((self.f)(input), out)
    }
}

/// Marks the closure adapters of item-form stages.
#[derive(Debug, Clone, Copy)]
pub enum ItemFn {}

/// An item-form stage from a closure returning `Result<Option<U>, BoxError>`; see
/// [`map`], [`filter_map`] and [`try_map`] for the usual shapes.
pub fn map_item<T, U, F>(f: F) -> FnStage<F, (T, ItemFn)>
where
    T: Send + 'static,
    U: Send + 'static,
    F: FnMut(T) -> Result<Option<U>, BoxError> + Clone + Send + 'static,
{
    adapt(f)
}

impl<T, U, F> ItemStage for FnStage<F, (T, ItemFn)>
where
    T: Send + 'static,
    U: Send + 'static,
    F: FnMut(T) -> Result<Option<U>, BoxError> + Clone + Send + 'static,
{
    type In = T;
    type Out = U;
    type Worker = Self;
    fn start(self) -> Self {
        self
    }
}

impl<T, U, F> MapItem for FnStage<F, (T, ItemFn)>
where
    T: Send + 'static,
    U: Send + 'static,
    F: FnMut(T) -> Result<Option<U>, BoxError>,
{
    type In = T;
    type Out = U;
    #[inline]
    fn map(&mut self, item: T) -> Result<Option<U>, BoxError> {
        (self.f)(item)
    }
}

/// An item-form stage that maps every item.
pub fn map<T, U>(f: impl FnMut(T) -> U + Clone + Send + 'static) -> impl ItemStage<In = T, Out = U>
where
    T: Send + 'static,
    U: Send + 'static,
{
    let mut f = f;
    map_item(move |item| Ok(Some(f(item))))
}

/// An item-form stage that keeps the `Some` results and drops the items mapped to `None`.
pub fn filter_map<T, U>(
    f: impl FnMut(T) -> Option<U> + Clone + Send + 'static,
) -> impl ItemStage<In = T, Out = U>
where
    T: Send + 'static,
    U: Send + 'static,
{
    let mut f = f;
    map_item(move |item| Ok(f(item)))
}

/// An item-form stage whose `Err` fails the run with that error as its source.
pub fn try_map<T, U, E>(
    f: impl FnMut(T) -> Result<U, E> + Clone + Send + 'static,
) -> impl ItemStage<In = T, Out = U>
where
    T: Send + 'static,
    U: Send + 'static,
    E: Into<BoxError>,
{
    let mut f = f;
    map_item(move |item| f(item).map(Some).map_err(Into::into))
}

/// A consumer from a closure run once per worker over its share of the input.
pub fn consumer<T, F, R>(f: F) -> FnStage<F, (Input<T>, R)>
where
    T: Send + 'static,
    F: FnOnce(Input<T>) -> R + Clone + Send + 'static,
    R: Send + 'static,
{
    adapt(f)
}

impl<T, F, R> Consume for FnStage<F, (Input<T>, R)>
where
    T: Send + 'static,
    F: FnOnce(Input<T>) -> R + Clone + Send + 'static,
    R: Send + 'static,
{
    type In = T;
    type Output = R;
    fn consume(self, input: Input<T>) -> Result<R, BoxError> {
        Ok((self.f)(input))
    }
}
