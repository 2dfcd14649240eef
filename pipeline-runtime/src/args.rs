//! A stage's arguments: how each worker gets its own, and the checks the macros'
//! expansions make on them.
//!
//! An argument is stored as an [`Arg`]: either a value, moved into the last worker
//! and copied (cloned) for each other one, or a [`per_worker`] closure, run on each
//! worker's own thread. Only [`per_worker`] is public API; the rest is reached by the
//! expansions through `pipeline::__private`.

// `do_not_recommend` is stable since Rust 1.85; older compilers ignore it.
#![allow(unknown_or_malformed_diagnostic_attributes)]

use crate::glue::Marker;
use crate::worker::worker_index;
use crate::{BoxError, Output};
use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;

/// A copy of a stage for one more worker.
///
/// A stage with `n` workers is moved into one of them and replicated for the other
/// `n - 1`, on the thread that starts the run. A stage that cannot be copied (an
/// argument that is not `Clone`) returns `None`, and then runs on one worker only:
/// asked for more, the run fails with an [`Error`](crate::Error) that says why.
pub trait Replicate: Sized {
    /// A copy for another worker, or `None` if there can be none.
    fn replicate(&self) -> Option<Self>;
}

/// An argument made on each worker's own thread: see [`per_worker`].
pub struct PerWorker<T, F> {
    make: F,
    _value: PhantomData<fn() -> T>,
}

impl<T, F> fmt::Debug for PerWorker<T, F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PerWorker(..)")
    }
}

/// An argument made once on each worker's own thread: `make(worker)` runs there, with
/// the worker's index (`0..workers`), before the stage's code. The value need be
/// neither `Clone` nor `Send`: a connection per worker, a cache, a scratch buffer.
/// The `pipeline` crate's docs show it in `pipeline!`.
///
/// A panic in `make` fails the run like a panic in the stage, naming its worker.
pub fn per_worker<T, F>(make: F) -> PerWorker<T, F>
where
    F: Fn(usize) -> T + Send + Sync + 'static,
{
    PerWorker {
        make,
        _value: PhantomData,
    }
}

enum Stored<T> {
    /// A value, which is `Send`: see [`Arg::value`].
    Value(T),
    /// Made on each worker's thread.
    PerWorker(Arc<dyn Fn(usize) -> T + Send + Sync>),
}

/// How a stage holds one of its arguments until a worker starts.
pub struct Arg<T> {
    stored: Stored<T>,
}

// SAFETY: an `Arg` holds either a `T` that is `Send` (`Arg::value` is the only way to
// store one, and `replicate` stores only clones of it), or a closure that is
// `Send + Sync` and makes a `T` on the thread that calls `resolve`, so no `T` ever
// crosses threads unless it is `Send`.
unsafe impl<T> Send for Arg<T> {}

impl<T> fmt::Debug for Arg<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.stored {
            Stored::Value(_) => f.write_str("Arg::Value(..)"),
            Stored::PerWorker(_) => f.write_str("Arg::PerWorker(..)"),
        }
    }
}

/// Holds for the values that can be given to a stage as they are: those that are `Send`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be sent to the stage's workers",
    label = "not `Send`",
    note = "to make a value that is not `Send` on each worker's own thread, pass `pipeline::per_worker(|worker| ..)` here"
)]
pub trait SendArg: Sized {
    /// The value, as the stage stores it.
    fn into_arg(self) -> Arg<Self>;
}

#[diagnostic::do_not_recommend]
impl<T: Send> SendArg for T {
    fn into_arg(self) -> Arg<T> {
        Arg::value(self)
    }
}

impl<T> Arg<T> {
    /// An argument given as a value.
    pub fn value(value: T) -> Self
    where
        T: Send,
    {
        Self {
            stored: Stored::Value(value),
        }
    }

    /// An argument given as `per_worker(..)`.
    pub fn per_worker<F>(given: PerWorker<T, F>) -> Self
    where
        F: Fn(usize) -> T + Send + Sync + 'static,
    {
        Self {
            stored: Stored::PerWorker(Arc::new(given.make)),
        }
    }

    /// The value, to send to an isolated stage's child processes; a `per_worker`
    /// argument cannot cross to them.
    pub fn for_child(&self) -> Result<&T, BoxError> {
        match &self.stored {
            Stored::Value(value) => Ok(value),
            Stored::PerWorker(_) => Err("an isolated stage's arguments cross to its worker \
                 processes as serde data, and a `per_worker(..)` argument cannot: pass a value"
                .into()),
        }
    }

    /// The argument for the worker running on this thread.
    pub fn resolve(self) -> T {
        match self.stored {
            Stored::Value(value) => value,
            Stored::PerWorker(make) => make(worker_index()),
        }
    }

    /// A copy for another worker when the value cannot be cloned: only a `per_worker`
    /// closure can be shared.
    fn share(&self) -> Option<Self> {
        match &self.stored {
            Stored::Value(_) => None,
            Stored::PerWorker(make) => Some(Self {
                stored: Stored::PerWorker(Arc::clone(make)),
            }),
        }
    }
}

impl<T: Clone> Arg<T> {
    fn copy(&self) -> Self {
        Self {
            stored: match &self.stored {
                Stored::Value(value) => Stored::Value(value.clone()),
                Stored::PerWorker(make) => Stored::PerWorker(Arc::clone(make)),
            },
        }
    }
}

/// `(&Probe(&arg)).replicate()`: a clone where `T: Clone`, else a shared `per_worker`
/// closure, else `None`. The method is found on `Probe` before `&Probe` (autoref
/// specialization), so the `Clone` path wins whenever it applies.
#[derive(Debug)]
pub struct Probe<'a, T>(pub &'a Arg<T>);

/// The `Clone` path of [`Probe`].
pub trait ReplicateByClone<T> {
    /// A clone of the argument.
    fn replicate(&self) -> Option<Arg<T>>;
}

impl<T: Clone> ReplicateByClone<T> for Probe<'_, T> {
    fn replicate(&self) -> Option<Arg<T>> {
        Some(self.0.copy())
    }
}

/// The fallback path of [`Probe`].
pub trait ReplicateByShare<T> {
    /// The shared closure of a `per_worker` argument, or `None`.
    fn replicate(&self) -> Option<Arg<T>>;
}

impl<T> ReplicateByShare<T> for &Probe<'_, T> {
    fn replicate(&self) -> Option<Arg<T>> {
        self.0.share()
    }
}

/// The number of workers a stage has by its attribute: one (no `workers` option).
#[derive(Debug)]
pub enum One {}
/// The number of workers a stage has by its attribute: a `workers` option.
#[derive(Debug)]
pub enum Several {}

/// The type of the `N`th argument, as the stage stores it.
pub trait ArgAt<const N: usize> {
    /// `T` for `T` and `&mut T`, `T::Owned` for `&T`.
    type Stored;
}

/// Checked, where a stage is used, for each argument given as a value: with several
/// workers, each needs its own copy.
#[diagnostic::on_unimplemented(
    message = "`{T}` is not `Clone`, so `{Self}` cannot run on several workers",
    label = "each of the workers needs its own copy of the argument",
    note = "give `{Self}` one worker (no `workers` option), or take the parameter as `&T`, or pass the argument as `pipeline::per_worker(|worker| ..)` to make one on each worker"
)]
pub trait CloneForWorkers<T, W> {
    /// The value, checked; `W` comes first, so that it is known before the impl is
    /// looked for.
    fn given(_: Marker<W>, _: Marker<Self>, value: T) -> T {
        value
    }
}

impl<S, T> CloneForWorkers<T, One> for S {}

#[diagnostic::do_not_recommend]
impl<S, T: Clone> CloneForWorkers<T, Several> for S {}

/// Checked by the attribute for each argument taken by value in the item form: each
/// call gets its own clone.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not `Clone`, so an item-form stage cannot pass it to each call",
    label = "each item's call takes its own copy of this argument",
    note = "take it as `&{Self}` to share one per worker, or as `&mut {Self}` to keep it from item to item"
)]
pub trait CloneEachItem: Sized {
    /// A clone for one call.
    fn each(&self) -> Self;
}

#[diagnostic::do_not_recommend]
impl<T: Clone> CloneEachItem for T {
    #[inline]
    fn each(&self) -> T {
        self.clone()
    }
}

/// The items of a `fallible` producer or stream-form stage: `Result<T, E>`.
#[diagnostic::on_unimplemented(
    message = "a `fallible` stage yields `Result<T, E>` items, but this one yields `{Self}`",
    label = "not a `Result`",
    note = "remove `fallible`, or yield `Result`s whose error converts into `Box<dyn Error + Send + Sync>`"
)]
pub trait FallibleItem {
    /// `T`: what flows on.
    type Ok;
    /// The item as a `Result`.
    fn into_result(self) -> Result<Self::Ok, BoxError>;
}

impl<T, E: Into<BoxError>> FallibleItem for Result<T, E> {
    type Ok = T;
    fn into_result(self) -> Result<T, BoxError> {
        self.map_err(Into::into)
    }
}

/// [`feed`](crate::feed) for a `fallible` stage: `Ok(t)` flows on as `t`, and an `Err`
/// fails the worker with it.
pub fn feed_results<I>(
    items: I,
    out: &mut Output<<I::Item as FallibleItem>::Ok>,
) -> Result<(), BoxError>
where
    I: IntoIterator,
    I::Item: FallibleItem,
{
    for item in items {
        if out.push(item.into_result()?).is_err() {
            break;
        }
    }
    Ok(())
}

/// A function's return value that is an `Option`, whatever its type is called: its
/// `Some` type.
pub trait Optional {
    /// `T`.
    type Some;
}

impl<T> Optional for Option<T> {
    type Some = T;
}

/// How many workers a stage has by its attribute: [`One`] or [`Several`].
pub trait AttrWorkers {
    /// [`One`] or [`Several`].
    type Count;
    /// The marker of `Count`.
    fn count(_: Marker<Self>) -> Marker<Self::Count> {
        Marker::NEW
    }
}
