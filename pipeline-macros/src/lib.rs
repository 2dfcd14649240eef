//! The macros of the `pipeline` crate: `#[producer]`, `#[stage]`, `#[consumer]` and
//! `pipeline!`. Use them through `pipeline`, whose docs describe them; this crate
//! only parses, checks and expands, and all behaviour lives in the runtime.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

use proc_macro::TokenStream;

mod attr;
mod expand_graph;
mod expand_stage;
mod graph;
#[cfg(test)]
mod snapshots;
mod stage_fn;
mod valid;

use stage_fn::Kind;

/// Makes a function that yields items into a pipeline producer.
///
/// ```text
/// #[producer]                fn(args..) -> R          R: IntoIterator<Item = T>
/// #[producer]                fn(args..) -> Result<R, E>
/// ```
///
/// The function stays as written, still callable; beside it, a stage type of the
/// same name is what `pipeline!` refers to: `pipeline!(numbers(10) => total)`. The
/// parameters are arguments given there, cloned for each worker. Each worker runs the
/// function once and yields all its items. An `Err` fails the run; `E` must convert
/// into `Box<dyn std::error::Error + Send + Sync>`.
///
/// Options, `#[producer(workers = 2, name = "lines")]`:
/// - `workers = <expr>`: how many workers run it (default 1), evaluated when the
///   pipeline is built; a literal 0 is a compile error;
/// - `name = "..."`: the name stats and errors give (default: the function's);
/// - `buffer = <expr>`: accepted for symmetry; a producer has no input queue.
///
/// ```
/// use pipeline::{consumer, pipeline, producer};
///
/// #[producer]
/// fn numbers(n: u64) -> impl Iterator<Item = u64> {
///     0..n
/// }
///
/// #[consumer]
/// fn total(xs: impl Iterator<Item = u64>) -> u64 {
///     xs.sum()
/// }
///
/// assert_eq!(pipeline!(numbers(4) => total).run()?, 6);
/// # Ok::<(), pipeline::Error>(())
/// ```
#[proc_macro_attribute]
pub fn producer(args: TokenStream, item: TokenStream) -> TokenStream {
    expand_stage::stage(Kind::Producer, args.into(), item.into()).into()
}

/// Makes a function over a stream, or over one item, into a pipeline stage.
///
/// ```text
/// stream form:  fn(input: impl Iterator<Item = T>, args..) -> R    R: IntoIterator<Item = U>
///               once per worker, over that worker's share of the input
/// item form:    fn(item: T, args..) -> U                           once per item
///               fn(item: T, args..) -> Option<U>                   `None` drops the item
///               fn(item: T, args..) -> Result<U, E>                `Err` fails the run
/// ```
///
/// The first parameter decides the form: `impl Iterator<Item = T>` (or a generic
/// `I: Iterator<Item = T>`) is the stream form; any other type is the item form. The
/// other parameters are arguments given in `pipeline!` (`scale(3)`), cloned for each
/// worker and, in the item form, for each item. The function stays as written; a
/// stage type of the same name is what `pipeline!` refers to.
///
/// Options, `#[stage(workers = 4, ordered)]`, each of which may also be set where the
/// stage is used (`scale(3)[workers = n, name = "scale3"]`):
/// - `workers = <expr>`: how many workers run it (default 1), evaluated when the
///   pipeline is built; a literal 0 is a compile error, a computed 0 an `Error`;
/// - `buffer = <expr>`: capacity of its input queue, in items;
/// - `name = "..."`: the name stats and errors give (default: the function's);
/// - `ordered`: with several workers, outputs leave in input order (item form only).
///
/// Only in the attribute:
/// - `fallible` (stream form): the items are `Result`s, and an `Err` fails the run;
/// - `returns = value | option | result | result_option`: how to read a return type
///   whose name does not say (an alias);
/// - `isolate` (item form, feature `isolate`): each worker is a child process, so a
///   crash or a hang fails one item; with `timeout = <Duration>`, `memory = <bytes>`
///   and `on_crash = fail | skip` (see the crate docs, "Isolated stages");
/// - `remote` (feature `redis`): the workers are processes on any machine, fed
///   through the pipeline's broker; without one the stage runs locally (see the crate
///   docs, "Remote stages").
///
/// ```
/// use pipeline::{consumer, pipeline, producer, stage};
///
/// #[producer]
/// fn numbers(n: u64) -> impl Iterator<Item = u64> {
///     0..n
/// }
///
/// #[stage(workers = 2, ordered)]
/// fn scale(x: u64, k: u64) -> u64 {
///     x * k
/// }
///
/// #[consumer]
/// fn collect(xs: impl Iterator<Item = u64>) -> Vec<u64> {
///     xs.collect()
/// }
///
/// assert_eq!(scale(2, 3), 6); // still a plain function
/// let got = pipeline!(numbers(4) => scale(3) => collect).run()?;
/// assert_eq!(got, vec![0, 3, 6, 9]);
/// # Ok::<(), pipeline::Error>(())
/// ```
#[proc_macro_attribute]
pub fn stage(args: TokenStream, item: TokenStream) -> TokenStream {
    expand_stage::stage(Kind::Stage, args.into(), item.into()).into()
}

/// Makes a function that drains a stream into a pipeline consumer.
///
/// ```text
/// #[consumer]                fn(input: impl Iterator<Item = T>, args..) -> R
/// #[consumer]                fn(input: impl Iterator<Item = T>, args..) -> Result<R, E>
/// ```
///
/// The pipeline's result is what the function returns; with a `workers` option other
/// than the literal 1, each worker drains its share and the result is a `Vec<R>` in
/// worker order. The function stays as written; a stage type of the same name is
/// what `pipeline!` refers to.
///
/// Options, `#[consumer(workers = 3)]`: `workers`, `buffer` (capacity of its input
/// queue) and `name`, as for `#[stage]`. Where a one-value consumer is used, a
/// literal `workers` above 1 is a compile error: give the attribute the option.
///
/// ```
/// use pipeline::{consumer, pipeline, producer};
///
/// #[producer]
/// fn numbers(n: u64) -> impl Iterator<Item = u64> {
///     0..n
/// }
///
/// #[consumer(workers = 2)]
/// fn partial_sums(xs: impl Iterator<Item = u64>) -> u64 {
///     xs.sum()
/// }
///
/// let parts = pipeline!(numbers(100) => partial_sums).run()?;
/// assert_eq!(parts.len(), 2);
/// assert_eq!(parts.iter().sum::<u64>(), 4950);
/// # Ok::<(), pipeline::Error>(())
/// ```
#[proc_macro_attribute]
pub fn consumer(args: TokenStream, item: TokenStream) -> TokenStream {
    expand_stage::stage(Kind::Consumer, args.into(), item.into()).into()
}

/// Connects stages into a concurrent pipeline: see the `pipeline` crate's docs for
/// every shape.
///
/// ```text
/// pipeline!( numbers(10) => square => total )               linear
/// pipeline!( [numbers(5) => square, numbers(7)] => total )  fan-in: streams merged
/// pipeline!( numbers(10) => square => [total, count] )      broadcast: a value per branch
/// pipeline!( numbers(10) => square )                        no consumer: iterate
/// pipeline!( numbers(10) => square[workers = 8, ordered, name = "sq"] => total )
/// pipeline! {
///     let lines = read(path);                               // a name used twice is broadcast
///     let parsed = [lines => parse_json, lines => parse_csv] => normalize;
///     [parsed => store(db), lines => count_bytes]           // the result, in order
/// }
/// ```
#[proc_macro]
pub fn pipeline(input: TokenStream) -> TokenStream {
    expand_graph::pipeline(input.into()).into()
}

/// Emits the items in the type's `#[stage_items(..)]` attribute. Used by the
/// attributes above on the stage type they generate; not public API.
#[doc(hidden)]
#[proc_macro_derive(StageItems, attributes(stage_items))]
pub fn stage_items(input: TokenStream) -> TokenStream {
    expand_stage::stage_items(input.into()).into()
}
