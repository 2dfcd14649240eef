//! What the expansions of `#[producer]`, `#[stage]`, `#[consumer]` and `pipeline!`
//! call. Not public API: reached only through `pipeline::__private`.
//!
//! # How a mistake becomes one error on the user's tokens
//!
//! `pipeline!` names a stage's type once, as a [`Marker`] inferred from the struct
//! pattern `name { .. }` ([`named`]): a pattern's path is looked up among structs
//! only, so a misspelt name is one error that can suggest a similarly named stage but
//! no trait in scope, and a name that is no type makes the marker an error, which
//! silences every later check.
//!
//! Every check that can fail is a trait obligation written by the expansion as a
//! qualified path whose `Self` is inferred from the marker
//! (`<_ as TakesInput<_>>::ok(<_ as StageDef>::reading(stage), stage)`), spanned on
//! the user's tokens, on a trait whose `on_unimplemented` says what is wrong. The
//! flag the check compares comes first, from the stage, so that it is known before
//! rustc looks for the impl. Written that way, rustc reports
//! the obligation alone: no "required by a bound in" note pointing here. Each such
//! trait has one blanket impl over its `Self`, so rustc lists no "other types that
//! implement" it either; where the blanket impl needs a bound of its own
//! (`Clone`, `Into<BoxError>`), `do_not_recommend` makes rustc report the obligation
//! with our message instead of the bare bound.
//!
//! The methods that build the pipeline (`StageDef::head`, `then`, `last`, `branch`)
//! are implemented for every kind of stage, so they never fail themselves, and a
//! type that is no stage fails on them with the same obligation, `S: StageDef`, as
//! everywhere else: rustc reports it once. For a kind refused in a position (a
//! consumer with a successor), the check beside the call has already failed; the
//! call's result type is then left free, inferred from what follows or left
//! ambiguous, and rustc reports nothing more about it.
//!
//! The arguments of a stage are checked against the stage's own trait, generated
//! by the attribute with a message that names the function and its parameters:
//! [`GIVEN`] is coerced to `&dyn Arguments<N, _>` for the `N` arguments given, and
//! only the right `N` is implemented. The coerced reference then turns the
//! arguments into the stage's `Args` ([`StageDef::construct`]), so a wrong count
//! gives that error alone, and a wrong type the usual `expected u64, found &str`
//! on the argument.
//!
//! What the attributes generate is listed in `pipeline::__private`, and
//! `tests/expand/` shows it for one input of each kind.

// `do_not_recommend` is stable since Rust 1.85; older compilers ignore it.
#![allow(unknown_or_malformed_diagnostic_attributes)]

use crate::{
    BoxError, Consume, ItemStage, Join, Options, Output, Pipeline, Produce, Stream, Transform,
};
use std::fmt;
use std::marker::PhantomData;

/// Implemented by every stage type the attribute macros generate.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a pipeline stage",
    label = "not a stage",
    note = "mark its function with #[producer], #[stage] or #[consumer]"
)]
pub trait StageDef: Sized {
    /// `ProducerKind`, `StreamKind`, `ItemKind`, `ConsumerKind` or `ConsumersKind`.
    type Kind: Kind;
    /// The stage function's parameters after the input, as a tuple.
    type Args;
    /// What the stage reads: its items' type (`()` for a producer).
    type In;
    /// `dyn Arguments<N, G>`: implemented for the right number `N` of arguments only.
    type Given<const N: usize, G>: ?Sized + Ctor<G, Self>;
    /// The same for exactly one argument given (its message says "1 was given").
    type GivenOne<G>: ?Sized + Ctor<G, Self>;
    /// The stage with its arguments, as written in `pipeline!`.
    fn new(args: Self::Args) -> Self;
    /// The attribute's options, evaluated now, unless `pipeline!` set others.
    fn options(&self) -> Options;
    /// Replaces the options.
    fn set_options(&mut self, options: Options);
    /// The stage with the `N` arguments given in `pipeline!`: `given` has been coerced
    /// to `Given<N, G>`, which only the right `N` allows.
    fn construct<const N: usize, G>(_: Marker<Self>, given: &Self::Given<N, G>, args: G) -> Self {
        Self::new(given.args(args))
    }
    /// The same for one argument given.
    fn construct_one<G>(_: Marker<Self>, given: &Self::GivenOne<G>, args: G) -> Self {
        Self::new(given.args(args))
    }
    /// `stage[workers = .., name = ..]` in `pipeline!`: options set where the stage is used.
    fn configure(mut self, adjust: impl FnOnce(Options) -> Options) -> Self {
        let options = adjust(self.options());
        self.set_options(options);
        self
    }

    // What `pipeline!` checks, as markers: it names the stage by a value, a
    // [`Marker`], so each of these is asked of the stage as `<_ as StageDef>::..(marker)`.

    /// [`Starting`].
    fn starting(_: Marker<Self>) -> Marker<Starting<Self>> {
        Marker::NEW
    }
    /// [`Reading`].
    fn reading(_: Marker<Self>) -> Marker<Reading<Self>> {
        Marker::NEW
    }
    /// [`Yielding`].
    fn yielding(_: Marker<Self>) -> Marker<Yielding<Self>> {
        Marker::NEW
    }
    /// [`Ending`].
    fn ending(_: Marker<Self>) -> Marker<Ending<Self>> {
        Marker::NEW
    }
    /// [`Ordering`].
    fn ordering(_: Marker<Self>) -> Marker<Ordering<Self>> {
        Marker::NEW
    }
    /// [`Working`].
    fn working(_: Marker<Self>) -> Marker<Working<Self>> {
        Marker::NEW
    }
    /// [`Checked`].
    fn checked(_: Marker<Self>) -> Marker<Checked<Self>> {
        Marker::NEW
    }
    /// [`InOf`].
    fn input(_: Marker<Self>) -> Marker<InOf<Self>> {
        Marker::NEW
    }

    // Where the stage stands. These are methods, called as `<S as StageDef>::then`,
    // so that a type that is no stage is one error on its name (the same obligation
    // as everywhere else), not one more in a bound of a function here. Every kind
    // implements every position; the checks beside these calls refuse the wrong ones.

    /// Starts a flow: a producer.
    fn head<T>(self) -> Chain<Self, T>
    where
        Self::Kind: Head<Self, T>,
    {
        chain(<Self::Kind as Head<Self, T>>::head(self))
    }

    /// A stage after `=>` that has a successor.
    fn then<Up, T, U>(self, chain_so_far: Chain<Up, T>) -> Chain<Self, U>
    where
        Self::Kind: Then<Self, T, U>,
    {
        chain(<Self::Kind as Then<Self, T, U>>::then(
            chain_so_far.stream,
            self,
        ))
    }

    /// The last stage of the pipeline.
    fn last<Up, T, O>(self, chain_so_far: Chain<Up, T>) -> O
    where
        Self::Kind: Last<Self, T, O>,
    {
        <Self::Kind as Last<Self, T, O>>::last(chain_so_far.stream, self)
    }

    /// The consumer that ends a branch of the list that ends the pipeline.
    fn branch<Up, T, R>(self, chain_so_far: Chain<Up, T>) -> Pipeline<R>
    where
        Self::Kind: Branch<Self, T, R>,
    {
        <Self::Kind as Branch<Self, T, R>>::branch(chain_so_far.stream, self)
    }
}

/// Turns the arguments given in `pipeline!` into the stage's `Args`; implemented by
/// the attribute for its `dyn Arguments<N, G>`.
pub trait Ctor<G, S: StageDef> {
    /// The arguments, once their number is known to be right.
    fn args(&self, given: G) -> S::Args;
}

/// What `pipeline!` coerces to `&S::Given<N, _>`: every `Arguments` trait with the
/// right `N` is implemented for it.
pub const GIVEN: &() = &();

/// A type as a value. `pipeline!` gets a stage's from [`named`], and passes it, and
/// what [`StageDef`] says of the stage, to each check, so that no check names the type.
pub struct Marker<T: ?Sized>(PhantomData<fn() -> T>);

impl<T: ?Sized> Marker<T> {
    /// The marker of `T`.
    pub const NEW: Self = Marker(PhantomData);
}

impl<T: ?Sized> Clone for Marker<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T: ?Sized> Copy for Marker<T> {}

impl<T: ?Sized> fmt::Debug for Marker<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Marker")
    }
}

/// The marker of the stage named in `pipeline!`, from a closure that is never
/// called, whose parameter is the pattern `name { .. }`: rustc resolves a pattern's
/// path among structs only, so a name that is no stage type is reported as such
/// (with a similarly named stage as its suggestion), not as a missing type that
/// looks like a trait in scope.
pub fn named<S>(_: impl FnOnce(S)) -> Marker<S> {
    Marker::NEW
}

/// A flag of [`Kind`]: the position or option is allowed.
#[derive(Debug)]
pub enum Yes {}
/// A flag of [`Kind`]: the position or option is refused.
#[derive(Debug)]
pub enum No {}
/// [`Kind::Ordered`] of a stream-form stage.
#[derive(Debug)]
pub enum StreamForm {}

/// Where a kind of stage may stand and which options it takes, as flags.
pub trait Kind {
    /// Starts a flow: a producer.
    type Starts;
    /// Takes input: anything but a producer.
    type Reads;
    /// Has items for a successor: anything but a consumer.
    type Yields;
    /// Ends a branch of the list that ends a pipeline: a consumer.
    type Ends;
    /// Reads items of a known type, so the edge into it is checked.
    type Checked;
    /// `Yes` for an item-form stage, `StreamForm` for a stream-form one, else `No`.
    type Ordered;
    /// May be given several workers where it is used: not a one-value consumer.
    type Workers;
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
/// An item-form `#[stage(isolate)]`: its workers are child processes.
#[derive(Debug)]
pub enum IsolatedKind {}
/// An item-form `#[stage(remote)]`: its workers are processes fed through a broker.
#[derive(Debug)]
pub enum RemoteKind {}
/// A stream-form `#[stage(remote)]`.
#[derive(Debug)]
pub enum RemoteStreamKind {}
/// A `#[consumer]` with one worker: the result is its value.
#[derive(Debug)]
pub enum ConsumerKind {}
/// A `#[consumer]` with a `workers` option: the result is a `Vec`, one per worker.
#[derive(Debug)]
pub enum ConsumersKind {}

macro_rules! kind {
    ($kind:ty: $starts:ty, $reads:ty, $yields:ty, $ends:ty, $checked:ty, $ordered:ty, $workers:ty) => {
        impl Kind for $kind {
            type Starts = $starts;
            type Reads = $reads;
            type Yields = $yields;
            type Ends = $ends;
            type Checked = $checked;
            type Ordered = $ordered;
            type Workers = $workers;
        }
    };
}
kind!(ProducerKind: Yes, No, Yes, No, No, No, Yes);
kind!(StreamKind: No, Yes, Yes, No, Yes, StreamForm, Yes);
kind!(ItemKind: No, Yes, Yes, No, Yes, Yes, Yes);
kind!(IsolatedKind: No, Yes, Yes, No, Yes, Yes, Yes);
kind!(RemoteKind: No, Yes, Yes, No, Yes, Yes, Yes);
kind!(RemoteStreamKind: No, Yes, Yes, No, Yes, StreamForm, Yes);
kind!(ConsumerKind: No, Yes, No, Yes, Yes, No, No);
kind!(ConsumersKind: No, Yes, No, Yes, Yes, No, Yes);

/// The kind of a stage.
pub type KindOf<S> = <S as StageDef>::Kind;
/// What a stage reads.
pub type InOf<S> = <S as StageDef>::In;
/// Whether the edge into a stage is checked.
pub type Checked<S> = <KindOf<S> as Kind>::Checked;
/// Whether a stage may start a flow.
pub type Starting<S> = <KindOf<S> as Kind>::Starts;
/// Whether a stage takes input.
pub type Reading<S> = <KindOf<S> as Kind>::Reads;
/// Whether a stage has items for a successor.
pub type Yielding<S> = <KindOf<S> as Kind>::Yields;
/// Whether a stage may end a branch of the result list.
pub type Ending<S> = <KindOf<S> as Kind>::Ends;
/// Whether `ordered` applies to a stage.
pub type Ordering<S> = <KindOf<S> as Kind>::Ordered;
/// Whether a stage may be given several workers where it is used.
pub type Working<S> = <KindOf<S> as Kind>::Workers;

/// Checked at the start of a flow.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a producer, so it cannot start a pipeline",
    label = "a flow starts with a #[producer] or a stream named by `let`"
)]
pub trait StartsFlow<Flag> {
    /// Does nothing: naming it is the check. The flag comes first, so that it is
    /// known before the impl for `Self` is looked for.
    fn ok(_: Marker<Flag>, _: Marker<Self>) {}
}
impl<S> StartsFlow<Yes> for S {}

/// Checked after `=>`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is a producer, so it cannot take input",
    label = "a producer can only start a flow"
)]
pub trait TakesInput<Flag> {
    /// Does nothing: naming it is the check. The flag comes first, so that it is
    /// known before the impl for `Self` is looked for.
    fn ok(_: Marker<Flag>, _: Marker<Self>) {}
}
impl<S> TakesInput<Yes> for S {}

/// Checked for a stage with a successor.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is a consumer, so nothing can follow it",
    label = "a consumer ends a flow"
)]
pub trait HasSuccessor<Flag> {
    /// Does nothing: naming it is the check. The flag comes first, so that it is
    /// known before the impl for `Self` is looked for.
    fn ok(_: Marker<Flag>, _: Marker<Self>) {}
}
impl<S> HasSuccessor<Yes> for S {}

/// Checked at the end of a branch of the list that ends a pipeline.
#[diagnostic::on_unimplemented(
    message = "`{Self}` ends a branch of the result list but is not a consumer",
    label = "each branch of a list that ends the pipeline must end in a #[consumer]",
    note = "the pipeline's result is one value per branch; to merge the branches into one stream instead, follow the list with `=> stage`"
)]
pub trait EndsBranch<Flag> {
    /// Does nothing: naming it is the check. The flag comes first, so that it is
    /// known before the impl for `Self` is looked for.
    fn ok(_: Marker<Flag>, _: Marker<Self>) {}
}
impl<S> EndsBranch<Yes> for S {}

/// Checked for `ordered` written where a stage is used: not on a stream-form stage.
#[diagnostic::on_unimplemented(
    message = "`ordered` needs an item-form stage, and `{Self}` is stream-form",
    label = "`{Self}` maps a whole stream per worker",
    note = "no output of a stream-form stage can be traced back to the input it came from; write the stage as `fn(item: T) -> U` to keep the input order"
)]
pub trait OrderedItemForm<Flag> {
    /// Does nothing: naming it is the check. The flag comes first, so that it is
    /// known before the impl for `Self` is looked for.
    fn ok(_: Marker<Flag>, _: Marker<Self>) {}
}
impl<S> OrderedItemForm<Yes> for S {}
impl<S> OrderedItemForm<No> for S {}

/// Checked for `ordered` written where a stage is used: only on a `#[stage]`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be `ordered`: only an item-form #[stage] keeps its outputs in input order",
    label = "not a #[stage]"
)]
pub trait OrderedStage<Flag> {
    /// Does nothing: naming it is the check. The flag comes first, so that it is
    /// known before the impl for `Self` is looked for.
    fn ok(_: Marker<Flag>, _: Marker<Self>) {}
}
impl<S> OrderedStage<Yes> for S {}
impl<S> OrderedStage<StreamForm> for S {}

/// Checked for a literal `workers = n`, `n > 1`, written where a stage is used.
#[diagnostic::on_unimplemented(
    message = "`{Self}` returns one value, so it cannot run on several workers",
    label = "several workers on a one-value consumer",
    note = "give its #[consumer] attribute a `workers` option to get one value per worker, in a `Vec`"
)]
pub trait SeveralWorkers<Flag> {
    /// Does nothing: naming it is the check. The flag comes first, so that it is
    /// known before the impl for `Self` is looked for.
    fn ok(_: Marker<Flag>, _: Marker<Self>) {}
}
impl<S> SeveralWorkers<Yes> for S {}

/// The stream so far, remembering which stage yields it (`Up`) for error messages.
pub struct Chain<Up, T> {
    stream: Stream<T>,
    up: PhantomData<fn() -> Up>,
}

impl<Up, T> fmt::Debug for Chain<Up, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Chain(..)")
    }
}

fn chain<Up, T>(stream: Stream<T>) -> Chain<Up, T> {
    Chain {
        stream,
        up: PhantomData,
    }
}

/// Checked on each edge: the items of `Up` are what `Down` reads (when `Down`'s
/// input is known: not for a producer, whose own error is reported instead).
#[diagnostic::on_unimplemented(
    message = "`{Up}` yields `{Self}` but `{Down}` takes `{In}`",
    label = "`{Down}` cannot read the items of `{Up}`"
)]
pub trait Connects<Up, Down, In, Checked>: Sized {
    /// The stream, as `Down`'s input.
    fn connect(
        checked: Marker<Checked>,
        input: Marker<In>,
        down: Marker<Down>,
        chain: Chain<Up, Self>,
    ) -> Chain<Up, In>;
}

impl<T, Up, Down> Connects<Up, Down, T, Yes> for T {
    fn connect(_: Marker<Yes>, _: Marker<T>, _: Marker<Down>, chain: Chain<Up, T>) -> Chain<Up, T> {
        chain
    }
}

impl<T, Up, Down, In> Connects<Up, Down, In, No> for T {
    fn connect(_: Marker<No>, _: Marker<In>, _: Marker<Down>, _: Chain<Up, T>) -> Chain<Up, In> {
        refused()
    }
}

/// Checked where streams are merged: they yield the same type.
#[diagnostic::on_unimplemented(
    message = "`{First}` yields `{Item}` but `{Other}` yields `{Self}`",
    label = "streams merged by `[..]` must yield the same type"
)]
pub trait Merges<First, Item, Other>: Sized {
    /// One stream of the items of both.
    fn merge(first: Chain<First, Item>, other: Chain<Other, Self>) -> Chain<First, Item>;
}

impl<T: Send + 'static, First, Other> Merges<First, T, Other> for T {
    fn merge(first: Chain<First, T>, other: Chain<Other, T>) -> Chain<First, T> {
        chain(first.stream.merge(other.stream))
    }
}

/// Checked where a stream is broadcast: each branch gets a clone of every item.
#[diagnostic::on_unimplemented(
    message = "`{T}` is not `Clone`, so its stream cannot be broadcast",
    label = "each use of this stream gets its own clone of every `{T}`",
    note = "a stream used by several branches (a list after `=>`, or a `let` name used more than once) clones each item for every branch"
)]
pub trait Broadcast<T>: Sized {
    /// `N` streams that each get every item.
    fn split<const N: usize>(self) -> [Self; N];
}

#[diagnostic::do_not_recommend]
impl<Up, T: Clone + Send + 'static> Broadcast<T> for Chain<Up, T> {
    fn split<const N: usize>(self) -> [Self; N] {
        self.stream.broadcast::<N>().map(chain)
    }
}

/// Starts a flow: a producer.
pub trait Head<S, T> {
    /// The producer's stream.
    fn head(stage: S) -> Stream<T>;
}

/// Adds a stage that has a successor.
pub trait Then<S, T, U> {
    /// The stage's output stream.
    fn then(stream: Stream<T>, stage: S) -> Stream<U>;
}

/// Ends the pipeline: a consumer gives a [`Pipeline`], any other stage a [`Stream`]
/// to iterate over.
pub trait Last<S, T, O> {
    /// `Pipeline<R>` or `Stream<U>`.
    fn last(stream: Stream<T>, stage: S) -> O;
}

/// Ends a branch of the list that ends a pipeline: a consumer.
pub trait Branch<S, T, R> {
    /// The branch's consumer.
    fn branch(stream: Stream<T>, stage: S) -> Pipeline<R>;
}

fn refused() -> ! {
    unreachable!("refused at compile time")
}

impl<S: StageDef + Produce> Head<S, S::Item> for ProducerKind {
    fn head(stage: S) -> Stream<S::Item> {
        Stream::produce(stage.options(), stage)
    }
}

impl<S: StageDef + Transform<In = T>, T: Send + 'static> Then<S, T, S::Out> for StreamKind {
    fn then(stream: Stream<T>, stage: S) -> Stream<S::Out> {
        stream.transform(stage.options(), stage)
    }
}

impl<S: StageDef + ItemStage<In = T>, T: Send + 'static> Then<S, T, S::Out> for ItemKind {
    fn then(stream: Stream<T>, stage: S) -> Stream<S::Out> {
        stream.map(stage.options(), stage)
    }
}

impl<S: StageDef + Transform<In = T>, T: Send + 'static> Last<S, T, Stream<S::Out>> for StreamKind {
    fn last(stream: Stream<T>, stage: S) -> Stream<S::Out> {
        stream.transform(stage.options(), stage)
    }
}

impl<S: StageDef + ItemStage<In = T>, T: Send + 'static> Last<S, T, Stream<S::Out>> for ItemKind {
    fn last(stream: Stream<T>, stage: S) -> Stream<S::Out> {
        stream.map(stage.options(), stage)
    }
}

impl<S: StageDef + Consume<In = T>, T: Send + 'static> Last<S, T, Pipeline<S::Output>>
    for ConsumerKind
{
    fn last(stream: Stream<T>, stage: S) -> Pipeline<S::Output> {
        stream.consume(stage.options(), stage)
    }
}

impl<S: StageDef + Consume<In = T>, T: Send + 'static> Last<S, T, Pipeline<Vec<S::Output>>>
    for ConsumersKind
{
    fn last(stream: Stream<T>, stage: S) -> Pipeline<Vec<S::Output>> {
        stream.consume_each(stage.options(), stage)
    }
}

impl<S: StageDef + Consume<In = T>, T: Send + 'static> Branch<S, T, S::Output> for ConsumerKind {
    fn branch(stream: Stream<T>, stage: S) -> Pipeline<S::Output> {
        stream.consume(stage.options(), stage)
    }
}

impl<S: StageDef + Consume<In = T>, T: Send + 'static> Branch<S, T, Vec<S::Output>>
    for ConsumersKind
{
    fn branch(stream: Stream<T>, stage: S) -> Pipeline<Vec<S::Output>> {
        stream.consume_each(stage.options(), stage)
    }
}

/// The positions a kind may not take: their check has failed, so nothing runs.
macro_rules! refuse {
    (Head for $($kind:ty),*) => {$(
        impl<S, T> Head<S, T> for $kind {
            fn head(_: S) -> Stream<T> {
                refused()
            }
        }
    )*};
    (Then for $($kind:ty),*) => {$(
        impl<S, T, U> Then<S, T, U> for $kind {
            fn then(_: Stream<T>, _: S) -> Stream<U> {
                refused()
            }
        }
    )*};
    (Last for $($kind:ty),*) => {$(
        impl<S, T, O> Last<S, T, O> for $kind {
            fn last(_: Stream<T>, _: S) -> O {
                refused()
            }
        }
    )*};
    (Branch for $($kind:ty),*) => {$(
        impl<S, T, R> Branch<S, T, R> for $kind {
            fn branch(_: Stream<T>, _: S) -> Pipeline<R> {
                refused()
            }
        }
    )*};
}
refuse!(Head for StreamKind, ItemKind, IsolatedKind, RemoteKind, RemoteStreamKind, ConsumerKind, ConsumersKind);
refuse!(Then for ProducerKind, ConsumerKind, ConsumersKind);
refuse!(Last for ProducerKind);
refuse!(Branch for ProducerKind, StreamKind, ItemKind, IsolatedKind, RemoteKind, RemoteStreamKind);

/// What `#[stage(isolate)]` and `#[stage(remote)]` implement: how the stage joins a
/// stream when its workers are other processes (with the attribute's options).
pub trait Elsewhere: StageDef {
    /// What it yields.
    type Yields: Send + 'static;
    /// The stream out of this stage, reading `stream`.
    fn join(self, stream: Stream<Self::In>) -> Stream<Self::Yields>;
}

/// The positions of the kinds whose stages implement [`Elsewhere`].
macro_rules! elsewhere {
    ($($kind:ty),*) => {$(
        impl<S: Elsewhere<In = T>, T: Send + 'static> Then<S, T, S::Yields> for $kind {
            fn then(stream: Stream<T>, stage: S) -> Stream<S::Yields> {
                stage.join(stream)
            }
        }

        impl<S: Elsewhere<In = T>, T: Send + 'static> Last<S, T, Stream<S::Yields>> for $kind {
            fn last(stream: Stream<T>, stage: S) -> Stream<S::Yields> {
                stage.join(stream)
            }
        }
    )*};
}
elsewhere!(IsolatedKind, RemoteKind, RemoteStreamKind);

/// Checked on a stream-form remote stage's item and result types, as the pair
/// `(In, Out)`: both cross to and from its worker processes.
#[cfg(feature = "redis")]
#[diagnostic::on_unimplemented(
    message = "a remote stage's items and results cross to its worker processes as serde data, and `{Self}` (item, result) are not both serde data",
    label = "must implement `serde::Serialize` and `serde::Deserialize`",
    note = "derive `serde::Serialize` and `serde::Deserialize` for the item type and the result type"
)]
pub trait StreamCross<S: Transform> {
    /// [`Stream::remote_stream`].
    fn remote_stream(stream: Stream<S::In>, opts: Options, stage: S) -> Stream<S::Out>;
}

#[cfg(feature = "redis")]
#[diagnostic::do_not_recommend]
impl<S, I, O> StreamCross<S> for (I, O)
where
    S: crate::Portable + Transform<In = I, Out = O>,
    I: serde::Serialize + serde::de::DeserializeOwned + Send + 'static,
    O: serde::Serialize + serde::de::DeserializeOwned + Send + 'static,
{
    fn remote_stream(stream: Stream<I>, opts: Options, stage: S) -> Stream<O> {
        stream.remote_stream(opts, stage)
    }
}

/// Checked on an isolated stage's arguments, which cross to its child processes.
/// Called by qualified path, so that a type that is no serde data is one error on
/// its own tokens.
#[cfg(feature = "isolate")]
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot cross to an isolated worker process: it is not serde data",
    label = "must implement `serde::Serialize` and `serde::Deserialize`",
    note = "an isolated stage's arguments cross to its child processes as serde data: derive `serde::Serialize` and `serde::Deserialize` for this type"
)]
pub trait Crosses: Sized {
    /// How the value crosses, both ways.
    fn codec() -> Codec<Self>;
}

/// How an isolated stage's argument crosses to its child processes, both ways.
#[cfg(feature = "isolate")]
#[allow(missing_debug_implementations)]
pub struct Codec<T> {
    /// The value as it crosses.
    pub to_bytes: fn(&T) -> Result<Vec<u8>, BoxError>,
    /// The value again, on the other side.
    pub from_bytes: fn(&[u8]) -> Result<T, BoxError>,
}

#[cfg(feature = "isolate")]
#[diagnostic::do_not_recommend]
impl<T: serde::Serialize + serde::de::DeserializeOwned> Crosses for T {
    fn codec() -> Codec<T> {
        Codec {
            to_bytes: |value| Ok(postcard::to_stdvec(value)?),
            from_bytes: |bytes| Ok(postcard::from_bytes(bytes)?),
        }
    }
}

/// Checked on an isolated stage's item and result types, as the pair `(In, Out)`:
/// both cross to and from its child processes.
#[cfg(feature = "isolate")]
#[diagnostic::on_unimplemented(
    message = "an isolated stage's items and results cross to its worker processes as serde data, and `{Self}` (item, result) are not both serde data",
    label = "must implement `serde::Serialize` and `serde::Deserialize`",
    note = "derive `serde::Serialize` and `serde::Deserialize` for the item type and the result type"
)]
pub trait ItemsCross<S> {
    /// [`Stream::isolate`].
    fn isolate(
        stream: Stream<<S as ItemStage>::In>,
        opts: Options,
        isolation: crate::Isolation,
        stage: S,
    ) -> Stream<<S as ItemStage>::Out>
    where
        S: ItemStage;

    /// [`Stream::remote`].
    #[cfg(feature = "redis")]
    fn remote(
        stream: Stream<<S as ItemStage>::In>,
        opts: Options,
        stage: S,
    ) -> Stream<<S as ItemStage>::Out>
    where
        S: ItemStage;
}

#[cfg(feature = "isolate")]
#[diagnostic::do_not_recommend]
impl<S, I, O> ItemsCross<S> for (I, O)
where
    S: crate::Portable + ItemStage<In = I, Out = O>,
    I: serde::Serialize + serde::de::DeserializeOwned + Send + 'static,
    O: serde::Serialize + serde::de::DeserializeOwned + Send + 'static,
{
    fn isolate(
        stream: Stream<I>,
        opts: Options,
        isolation: crate::Isolation,
        stage: S,
    ) -> Stream<O> {
        stream.isolate(opts, isolation, stage)
    }

    #[cfg(feature = "redis")]
    fn remote(stream: Stream<I>, opts: Options, stage: S) -> Stream<O> {
        stream.remote(opts, stage)
    }
}

/// An isolated stage's arguments, each already encoded, as one message.
#[cfg(feature = "isolate")]
pub fn encode_args(args: Vec<Vec<u8>>) -> Result<Vec<u8>, BoxError> {
    Ok(postcard::to_stdvec(&args)?)
}

/// Each argument's bytes again, in a child; checks their number.
#[cfg(feature = "isolate")]
pub fn decode_args(bytes: &[u8], count: usize) -> Result<Vec<Vec<u8>>, BoxError> {
    let args: Vec<Vec<u8>> = postcard::from_bytes(bytes)?;
    match args.len() == count {
        true => Ok(args),
        false => Err("the isolated worker process got the wrong number of arguments".into()),
    }
}

/// Runs the branches of the list that ends the pipeline as one; the result is a tuple.
pub fn join<J: Join>(branches: J) -> Pipeline<J::Output> {
    branches.join()
}

/// A pipeline without a consumer: iterate over what it yields.
pub fn end<Up, T>(chain_so_far: Chain<Up, T>) -> Stream<T> {
    chain_so_far.stream
}

/// Checked on what a `#[producer]` or stream-form `#[stage]` returns.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not an iterator, so it cannot be a stage's items",
    label = "not an iterator",
    note = "a #[producer] or stream-form #[stage] returns its items: `impl Iterator<Item = T>`, or any `IntoIterator` such as `Vec<T>`"
)]
pub trait Items {
    /// What is yielded.
    type Item;
    /// Pushes every item into `out`, stopping quietly when downstream has stopped.
    fn feed(self, out: &mut Output<Self::Item>) -> Result<(), BoxError>;
}

#[diagnostic::do_not_recommend]
impl<I: IntoIterator> Items for I {
    type Item = I::Item;
    fn feed(self, out: &mut Output<I::Item>) -> Result<(), BoxError> {
        crate::feed(self, out)
    }
}

/// Checked on a stage function's `Result` return type: it is a `Result`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a `Result`",
    label = "a return type named `Result` must be `std::result::Result<T, E>` or an alias of it"
)]
pub trait Fallible {
    /// `T` of `Result<T, E>`.
    type Ok;
    /// `E` of `Result<T, E>`.
    type Error;
}

impl<T, E> Fallible for Result<T, E> {
    type Ok = T;
    type Error = E;
}

/// Checked on the error type of a stage function that returns `Result<T, E>`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be the error of a stage: it must convert into `Box<dyn std::error::Error + Send + Sync>`",
    label = "not an error type",
    note = "implement `std::error::Error` for it (it must also be `Send + Sync + 'static`), or return `Box<dyn std::error::Error + Send + Sync>` or `String`"
)]
pub trait StageError: Sized {
    /// The result, with its error boxed.
    fn into_box<T>(result: Result<T, Self>) -> Result<T, BoxError>;
}

#[diagnostic::do_not_recommend]
impl<E: Into<BoxError>> StageError for E {
    fn into_box<T>(result: Result<T, E>) -> Result<T, BoxError> {
        result.map_err(Into::into)
    }
}

/// Checks that a stage argument can be cloned for each worker.
pub fn assert_clone<T: Clone>() {}
