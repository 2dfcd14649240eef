//! What the expansions of `#[producer]`, `#[stage]`, `#[consumer]` and `pipeline!`
//! call. Not public API: reached only through `pipeline::__private`.
//!
//! Each stage type names its kind; the position it takes in `pipeline!` (first,
//! middle, last, end of a broadcast branch) is a trait implemented for the kinds
//! that may stand there. For the kinds that may not, the impl requires a trait that
//! nothing implements, whose `on_unimplemented` message says what is wrong, so one
//! mistake gives one error on the user's tokens.

use crate::{BoxError, Consume, ItemStage, Join, Options, Pipeline, Produce, Stream, Transform};
use std::marker::PhantomData;

/// Implemented by every stage type the attribute macros generate.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a pipeline stage",
    label = "not a stage",
    note = "mark its function with #[producer], #[stage] or #[consumer]"
)]
pub trait StageDef: Sized {
    /// `ProducerKind`, `StreamKind`, `ItemKind`, `ConsumerKind` or `ConsumersKind`.
    type Kind;
    /// The stage function's parameters after the input, as a tuple.
    type Args;
    /// The stage with its arguments, as written in `pipeline!`.
    fn new(args: Self::Args) -> Self;
    /// The attribute's options, evaluated now, unless `pipeline!` set others.
    fn options(&self) -> Options;
    /// Replaces the options, for `stage[workers = n]` in `pipeline!`.
    fn set_options(&mut self, options: Options);
}

/// `stage[workers = .., buffer = ..]` in `pipeline!`: options set where the stage is used.
pub fn configure<S: StageDef>(mut stage: S, adjust: impl FnOnce(Options) -> Options) -> S {
    let options = adjust(stage.options());
    stage.set_options(options);
    stage
}

/// A `#[producer]`.
#[derive(Debug)]
pub enum ProducerKind {}
/// A stream-form `#[stage]`.
#[derive(Debug)]
pub enum StreamKind {}
/// An item-form `#[stage]`.
#[derive(Debug)]
pub enum ItemKind {}
/// A `#[consumer]` with one worker: the result is its value.
#[derive(Debug)]
pub enum ConsumerKind {}
/// A `#[consumer]` with a `workers` option: the result is a `Vec`, one per worker.
#[derive(Debug)]
pub enum ConsumersKind {}

/// The stream so far, remembering which stage yields it (`Up`) for error messages.
pub struct Chain<Up, T> {
    stream: Stream<T>,
    up: PhantomData<fn() -> Up>,
}

impl<Up, T> std::fmt::Debug for Chain<Up, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Chain(..)")
    }
}

fn chain<Up, T>(stream: Stream<T>) -> Chain<Up, T> {
    Chain {
        stream,
        up: PhantomData,
    }
}

/// Holds when `Up`'s items are what `Down` reads.
#[diagnostic::on_unimplemented(
    message = "`{Up}` yields `{Out}` but `{Down}` takes `{In}`",
    label = "`{Down}` cannot read the items of `{Up}`"
)]
pub trait Edge<Up, Down, Out, In> {
    /// The identity, once the types are known to be equal.
    fn cast(stream: Stream<Out>) -> Stream<In>;
}

impl<Up, Down, T> Edge<Up, Down, T, T> for () {
    fn cast(stream: Stream<T>) -> Stream<T> {
        stream
    }
}

/// Holds when the producers merged by a fan-in yield the same type.
#[diagnostic::on_unimplemented(
    message = "`{A}` yields `{TA}` but `{B}` yields `{TB}`",
    label = "producers merged by a fan-in must yield the same type"
)]
pub trait SameItem<A, B, TA, TB> {
    /// The identity, once the types are known to be equal.
    fn cast(stream: Stream<TB>) -> Stream<TA>;
}

impl<A, B, T> SameItem<A, B, T, T> for () {
    fn cast(stream: Stream<T>) -> Stream<T> {
        stream
    }
}

/// Never implemented: the error for a stage that is not a producer in first place.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a producer, so it cannot start a pipeline",
    label = "a pipeline starts with a #[producer]"
)]
pub trait NotAProducer {
    /// Never named: the refused positions yield it, so no second error follows.
    type Refused;
}

/// Never implemented: the error for a producer after `=>`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is a producer, so it cannot take input",
    label = "a producer can only start a pipeline"
)]
pub trait ProducerTakesNoInput {
    /// Never named: the refused positions yield it, so no second error follows.
    type Refused;
}

/// Never implemented: the error for a consumer followed by `=>`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is a consumer, so nothing can follow it",
    label = "a consumer ends a pipeline"
)]
pub trait ConsumerEndsPipeline {
    /// Never named: the refused positions yield it, so no second error follows.
    type Refused;
}

/// Never implemented: the error for a broadcast branch that does not end in a consumer.
#[diagnostic::on_unimplemented(
    message = "`{Self}` ends a broadcast branch but is not a consumer",
    label = "each branch of a broadcast must end in a #[consumer]"
)]
pub trait BranchNeedsConsumer {
    /// Never named: the refused positions yield it, so no second error follows.
    type Refused;
}

/// The stage types that may start a pipeline.
pub trait First<S> {
    /// What the producer yields.
    type Item;
    /// Starts the stream.
    fn first(stage: S) -> Stream<Self::Item>;
}

/// The stage types that may stand after `=>` with a successor.
pub trait Mid<S, Up, T> {
    /// What the stage yields.
    type Out;
    /// Adds the stage to the stream.
    fn then(stream: Stream<T>, stage: S) -> Stream<Self::Out>;
}

/// The stage types that may end a pipeline: a consumer gives a [`Pipeline`], any
/// other stage a [`Stream`] to iterate over.
pub trait Last<S, Up, T> {
    /// `Pipeline<R>` or `Stream<U>`.
    type Output;
    /// Ends the stream.
    fn last(stream: Stream<T>, stage: S) -> Self::Output;
}

/// The stage types that may end a broadcast branch: consumers.
pub trait Branch<S, Up, T> {
    /// What the branch's consumer returns.
    type Output;
    /// Ends the branch.
    fn branch(stream: Stream<T>, stage: S) -> Pipeline<Self::Output>;
}

macro_rules! refuse {
    ($trait:ident<$($p:ident),*> for $kind:ty where S: $why:ident { $($body:tt)* }) => {
        impl<S, $($p),*> $trait<S, $($p),*> for $kind
        where
            S: $why,
        {
            $($body)*
        }
    };
}

impl<S: StageDef + Produce> First<S> for ProducerKind {
    type Item = S::Item;
    fn first(stage: S) -> Stream<S::Item> {
        Stream::produce(stage.options(), stage)
    }
}

macro_rules! refuse_first {
    ($($kind:ty),*) => {$(
        impl<S: NotAProducer> First<S> for $kind {
            type Item = S::Refused;
            fn first(_: S) -> Stream<S::Refused> {
                unreachable!("refused at compile time")
            }
        }
    )*};
}
refuse_first!(StreamKind, ItemKind, ConsumerKind, ConsumersKind);

/// The stage types that may join a fan-in after the first producer.
pub trait Merge<S, Up, T> {
    /// Starts the stream of this producer, of the fan-in's item type.
    fn merge(stage: S) -> Stream<T>;
}

impl<S, Up, T> Merge<S, Up, T> for ProducerKind
where
    S: StageDef + Produce,
    (): SameItem<Up, S, T, S::Item>,
{
    fn merge(stage: S) -> Stream<T> {
        <() as SameItem<Up, S, T, S::Item>>::cast(Stream::produce(stage.options(), stage))
    }
}

macro_rules! refuse_merge {
    ($($kind:ty),*) => {$(
        refuse!(Merge<Up, T> for $kind where S: NotAProducer {
            fn merge(_: S) -> Stream<T> {
                unreachable!("refused at compile time")
            }
        });
    )*};
}
refuse_merge!(StreamKind, ItemKind, ConsumerKind, ConsumersKind);

impl<S, Up, T> Mid<S, Up, T> for StreamKind
where
    S: StageDef + Transform,
    (): Edge<Up, S, T, S::In>,
{
    type Out = S::Out;
    fn then(stream: Stream<T>, stage: S) -> Stream<S::Out> {
        <() as Edge<Up, S, T, S::In>>::cast(stream).transform(stage.options(), stage)
    }
}

impl<S, Up, T> Mid<S, Up, T> for ItemKind
where
    S: StageDef + ItemStage,
    (): Edge<Up, S, T, S::In>,
{
    type Out = S::Out;
    fn then(stream: Stream<T>, stage: S) -> Stream<S::Out> {
        <() as Edge<Up, S, T, S::In>>::cast(stream).map(stage.options(), stage)
    }
}

macro_rules! refuse_mid {
    ($why:ident: $($kind:ty),*) => {$(
        refuse!(Mid<Up, T> for $kind where S: $why {
            type Out = S::Refused;
            fn then(_: Stream<T>, _: S) -> Stream<S::Refused> {
                unreachable!("refused at compile time")
            }
        });
    )*};
}
refuse_mid!(ProducerTakesNoInput: ProducerKind);
refuse_mid!(ConsumerEndsPipeline: ConsumerKind, ConsumersKind);

impl<S, Up, T> Last<S, Up, T> for StreamKind
where
    S: StageDef + Transform,
    (): Edge<Up, S, T, S::In>,
{
    type Output = Stream<S::Out>;
    fn last(stream: Stream<T>, stage: S) -> Stream<S::Out> {
        <StreamKind as Mid<S, Up, T>>::then(stream, stage)
    }
}

impl<S, Up, T> Last<S, Up, T> for ItemKind
where
    S: StageDef + ItemStage,
    (): Edge<Up, S, T, S::In>,
{
    type Output = Stream<S::Out>;
    fn last(stream: Stream<T>, stage: S) -> Stream<S::Out> {
        <ItemKind as Mid<S, Up, T>>::then(stream, stage)
    }
}

impl<S, Up, T> Last<S, Up, T> for ConsumerKind
where
    S: StageDef + Consume,
    (): Edge<Up, S, T, S::In>,
{
    type Output = Pipeline<S::Output>;
    fn last(stream: Stream<T>, stage: S) -> Pipeline<S::Output> {
        <ConsumerKind as Branch<S, Up, T>>::branch(stream, stage)
    }
}

impl<S, Up, T> Last<S, Up, T> for ConsumersKind
where
    S: StageDef + Consume,
    (): Edge<Up, S, T, S::In>,
{
    type Output = Pipeline<Vec<S::Output>>;
    fn last(stream: Stream<T>, stage: S) -> Pipeline<Vec<S::Output>> {
        <ConsumersKind as Branch<S, Up, T>>::branch(stream, stage)
    }
}

refuse!(Last<Up, T> for ProducerKind where S: ProducerTakesNoInput {
    type Output = S::Refused;
    fn last(_: Stream<T>, _: S) -> S::Refused {
        unreachable!("refused at compile time")
    }
});

impl<S, Up, T> Branch<S, Up, T> for ConsumerKind
where
    S: StageDef + Consume,
    (): Edge<Up, S, T, S::In>,
{
    type Output = S::Output;
    fn branch(stream: Stream<T>, stage: S) -> Pipeline<S::Output> {
        <() as Edge<Up, S, T, S::In>>::cast(stream).consume(stage.options(), stage)
    }
}

impl<S, Up, T> Branch<S, Up, T> for ConsumersKind
where
    S: StageDef + Consume,
    (): Edge<Up, S, T, S::In>,
{
    type Output = Vec<S::Output>;
    fn branch(stream: Stream<T>, stage: S) -> Pipeline<Vec<S::Output>> {
        <() as Edge<Up, S, T, S::In>>::cast(stream).consume_each(stage.options(), stage)
    }
}

macro_rules! refuse_branch {
    ($why:ident: $($kind:ty),*) => {$(
        refuse!(Branch<Up, T> for $kind where S: $why {
            type Output = S::Refused;
            fn branch(_: Stream<T>, _: S) -> Pipeline<S::Refused> {
                unreachable!("refused at compile time")
            }
        });
    )*};
}
refuse_branch!(BranchNeedsConsumer: StreamKind, ItemKind);
refuse_branch!(ProducerTakesNoInput: ProducerKind);

/// `pipeline!`'s first producer.
pub fn source<S>(stage: S) -> Chain<S, <S::Kind as First<S>>::Item>
where
    S: StageDef,
    S::Kind: First<S>,
{
    chain(<S::Kind as First<S>>::first(stage))
}

/// Another producer of a fan-in `[a(..), b(..)]`.
pub fn merge<Up, T, S>(chain_so_far: Chain<Up, T>, stage: S) -> Chain<Up, T>
where
    S: StageDef,
    S::Kind: Merge<S, Up, T>,
    T: Send + 'static,
{
    let other = <S::Kind as Merge<S, Up, T>>::merge(stage);
    chain(chain_so_far.stream.merge(other))
}

/// A stage after `=>` that has a successor.
pub fn then<Up, T, S>(
    chain_so_far: Chain<Up, T>,
    stage: S,
) -> Chain<S, <S::Kind as Mid<S, Up, T>>::Out>
where
    S: StageDef,
    S::Kind: Mid<S, Up, T>,
{
    chain(<S::Kind as Mid<S, Up, T>>::then(chain_so_far.stream, stage))
}

/// The last stage of a linear pipeline.
pub fn last<Up, T, S>(chain_so_far: Chain<Up, T>, stage: S) -> <S::Kind as Last<S, Up, T>>::Output
where
    S: StageDef,
    S::Kind: Last<S, Up, T>,
{
    <S::Kind as Last<S, Up, T>>::last(chain_so_far.stream, stage)
}

/// The consumer that ends a broadcast branch.
pub fn branch<Up, T, S>(
    chain_so_far: Chain<Up, T>,
    stage: S,
) -> Pipeline<<S::Kind as Branch<S, Up, T>>::Output>
where
    S: StageDef,
    S::Kind: Branch<S, Up, T>,
{
    <S::Kind as Branch<S, Up, T>>::branch(chain_so_far.stream, stage)
}

/// Splits the stream into `N` broadcast branches.
pub fn broadcast<Up, T, const N: usize>(chain_so_far: Chain<Up, T>) -> [Chain<Up, T>; N]
where
    T: Clone + Send + 'static,
{
    chain_so_far.stream.broadcast::<N>().map(chain)
}

/// Runs the branches of a broadcast as one pipeline; the result is a tuple.
pub fn join<J: Join>(branches: J) -> Pipeline<J::Output> {
    branches.join()
}

/// A pipeline of only producers: iterate over what they yield.
pub fn end<Up, T>(chain_so_far: Chain<Up, T>) -> Stream<T> {
    chain_so_far.stream
}

/// An item-form stage's plain return value: always emitted.
pub fn emit<U>(value: U) -> Result<Option<U>, BoxError> {
    Ok(Some(value))
}

/// An item-form stage's `Option` return: `None` drops the item.
pub fn emit_option<U>(value: Option<U>) -> Result<Option<U>, BoxError> {
    Ok(value)
}

/// An item-form stage's `Result` return: `Err` fails the run.
pub fn emit_result<U, E: Into<BoxError>>(value: Result<U, E>) -> Result<Option<U>, BoxError> {
    value.map(Some).map_err(Into::into)
}

/// A consumer's plain return value.
pub fn finish<R>(value: R) -> Result<R, BoxError> {
    Ok(value)
}

/// A consumer's `Result` return: `Err` fails the run.
pub fn try_finish<R, E: Into<BoxError>>(value: Result<R, E>) -> Result<R, BoxError> {
    value.map_err(Into::into)
}

/// Checks that a stage argument can be cloned for each worker.
pub fn assert_clone<T: Clone>() {}
