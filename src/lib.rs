//! Write your algorithm as plain iterator functions, test it sequentially, then run
//! it concurrently with one attribute per function: each becomes a stage on its own
//! threads, joined to the next by a bounded queue. A failure anywhere stops
//! everything and says where.
//!
//! ```
//! use pipeline::{consumer, pipeline, producer, stage};
//!
//! #[producer]
//! fn numbers(n: u64) -> impl Iterator<Item = u64> {
//!     0..n
//! }
//!
//! #[stage(workers = 4)]
//! fn square(xs: impl Iterator<Item = u64>) -> impl Iterator<Item = u64> {
//!     xs.map(|x| x * x)
//! }
//!
//! #[consumer]
//! fn total(xs: impl Iterator<Item = u64>) -> u64 {
//!     xs.sum()
//! }
//!
//! fn main() -> Result<(), pipeline::Error> {
//!     assert_eq!(total(square(numbers(10))), 285); // sequential: plain calls
//!     let sum = pipeline!(numbers(10) => square => total).run()?; // concurrent
//!     assert_eq!(sum, 285);
//!     Ok(())
//! }
//! ```
//!
//! # Stages
//!
//! The attribute leaves the function exactly as written, still callable and
//! unit-testable, and adds a *stage type* of the same name that `pipeline!` refers to.
//!
//! | attribute | signature | runs |
//! |---|---|---|
//! | `#[producer]` | `fn(args..) -> R` where `R: IntoIterator<Item = T>`, or `-> Result<R, E>` | once per worker |
//! | `#[stage]`, stream form | `fn(input: impl Iterator<Item = T>, args..) -> R`, `R: IntoIterator<Item = U>` | once per worker, over that worker's share of the input |
//! | `#[stage]`, item form | `fn(item: T, args..) -> U`; `-> Option<U>` drops `None`; `-> Result<U, E>` fails on `Err` | once per item |
//! | `#[consumer]` | `fn(input: impl Iterator<Item = T>, args..) -> R`, or `-> Result<R, E>` | once per worker |
//!
//! The first parameter decides the form: `impl Iterator<Item = T>` (or a generic
//! `I: Iterator<Item = T>`) is the stream form; any other type is the item form. The
//! other parameters are arguments written in `pipeline!` (`scale(2.5)`): see
//! [Arguments and per-worker state](#arguments-and-per-worker-state).
//!
//! A return type is read by the name of its last path segment: `Result`
//! (`io::Result<T>`, `fmt::Result`) is fallible, its error converting into
//! [`BoxError`]; in the item form `Option<U>` drops `None`, and `Result<Option<U>, E>`
//! does both (an `Err` fails, a `None` is dropped). A type alias goes by its own
//! name: `type Parsed = Result<u64, E>` is taken as a plain value unless the
//! attribute says `returns = result`.
//!
//! Options, on every attribute:
//! - `workers = <expr>`: how many threads run the stage (default 1), evaluated when
//!   the pipeline is built; a literal `0` is a compile error, a computed 0 an [`Error`].
//!   A consumer with a `workers` option other than the literal `1` returns `Vec<R>`,
//!   one value per worker, in worker order.
//! - `buffer = <expr>`: capacity of the stage's input queue, in items (default
//!   [`DEFAULT_BUFFER`]).
//! - `name = "..."`: the name errors and thread names use (default: the function's).
//! - `returns = value | option | result | result_option`: how the return type is
//!   read, when its name does not say (an alias): as it is, `Option` (item form),
//!   `Result`, or `Result<Option<U>, E>` (item form).
//!
//! On `#[producer]` and stream-form `#[stage]`, `fallible`: the function's items are
//! `Result<T, E>`; an `Err` item fails the run as an item-form `Err` does (the stage,
//! the worker, and your error as [`source`](std::error::Error::source)), and `Ok(t)`
//! flows on as `t`. `lines()` of a file is the common case:
//!
//! ```
//! use pipeline::{consumer, pipeline, producer};
//! use std::io::{self, BufRead};
//!
//! #[producer(fallible)]
//! fn lines(text: &'static [u8]) -> io::Lines<&'static [u8]> {
//!     text.lines()
//! }
//!
//! #[consumer]
//! fn longest(lines: impl Iterator<Item = String>) -> usize {
//!     lines.map(|l| l.len()).max().unwrap_or(0)
//! }
//!
//! assert_eq!(pipeline!(lines(b"a\nbcd\nef") => longest).run()?, 3);
//! # Ok::<(), pipeline::Error>(())
//! ```
//!
//! and on `#[stage]` only, `ordered`: with several workers, outputs leave in input
//! order. Item form only: a stream-form worker maps a whole stream, so its outputs
//! cannot be traced back to its inputs. Each option may also be written where the
//! stage is used in `pipeline!` (see below). A stage must be a free function: the
//! attribute adds a type beside it, which an `impl` block cannot hold.
//!
//! # `pipeline!`
//!
//! A pipeline is flows of stages joined by `=>`. A list `[..]` of flows merges them
//! where it starts a flow or where `=>` follows it, broadcasts to them after `=>`
//! (each branch gets every item, so the items must be `Clone`), and gives one value
//! per branch where it ends the pipeline.
//!
//! ```text
//! pipeline!( numbers(10) => square => total )               linear
//! pipeline!( [numbers(5), numbers(7)] => square => total )  fan-in: producers merged
//! pipeline!( [numbers(5) => square, numbers(7)] => total )  fan-in of chains
//! pipeline!( numbers(10) => square => [total, count] )      broadcast: a value per branch
//! pipeline!( numbers(10) => [square => total, count] )      a branch may be a chain
//! pipeline!( numbers(10) => [double, triple] => total )     broadcast, then merged again
//! pipeline!( numbers(10) => square )                        no consumer: iterate on the caller
//! pipeline!( numbers(10) => square[workers = 8, ordered, name = "sq"] => total )
//! ```
//!
//! Any DAG is written by naming streams with `let`. A name used more than once is
//! broadcast to each use; `[a, b] => s` merges; the last flow is the result. A name
//! never used, or used before its `let`, is a compile error on the name. Here is a
//! diamond, split, processed two ways and merged, beside a branch that counts:
//!
//! ```
//! use pipeline::{consumer, pipeline, producer, stage};
//!
//! #[producer]
//! fn read(text: String) -> Vec<String> {
//!     text.lines().map(str::to_owned).collect()
//! }
//!
//! #[stage]
//! fn parse_pair(line: String) -> Option<u64> {
//!     line.split_once('=')?.1.parse().ok()
//! }
//!
//! #[stage]
//! fn parse_csv(line: String) -> Option<u64> {
//!     line.split_once(',')?.1.parse().ok()
//! }
//!
//! #[stage]
//! fn normalize(x: u64) -> u64 {
//!     x * 100
//! }
//!
//! #[consumer]
//! fn store(xs: impl Iterator<Item = u64>) -> u64 {
//!     xs.sum()
//! }
//!
//! #[consumer]
//! fn count_bytes(lines: impl Iterator<Item = String>) -> usize {
//!     lines.map(|l| l.len()).sum()
//! }
//!
//! let text = "a=1\nb,2\nc=3".to_owned();
//! let (stored, bytes) = pipeline! {
//!     let lines = read(text);                 // used three times: broadcast
//!     let parsed = [lines => parse_pair, lines => parse_csv] => normalize;
//!     [parsed => store, lines => count_bytes] // the result: one value per branch
//! }
//! .run()?;
//! assert_eq!((stored, bytes), (600, 9));
//! # Ok::<(), pipeline::Error>(())
//! ```
//!
//! A broadcast or a merge may have any number of branches:
//!
//! ```
//! # use pipeline::{consumer, pipeline, producer, stage};
//! # #[producer]
//! # fn numbers(n: u64) -> impl Iterator<Item = u64> { 0..n }
//! # #[stage]
//! # fn scale(x: u64, k: u64) -> u64 { x * k }
//! # #[consumer]
//! # fn total(xs: impl Iterator<Item = u64>) -> u64 { xs.sum() }
//! let sum = pipeline!(
//!     numbers(4) => [
//!         scale(1), scale(2), scale(3), scale(4), scale(5),
//!         scale(6), scale(7), scale(8), scale(9), scale(10),
//!     ] => total
//! )
//! .run()?;
//! assert_eq!(sum, 6 * 55);
//! let fan_in = pipeline!([numbers(3) => scale(10), numbers(3)] => total).run()?;
//! assert_eq!(fan_in, 30 + 3);
//! # Ok::<(), pipeline::Error>(())
//! ```
//!
//! The list that ends a pipeline gives its values as a tuple, in branch order, of at
//! most eight; nest lists (`[a, [b, c]]`) for nested tuples. A list of producers or
//! names alone, with nothing after it, is merged to iterate over.
//!
//! **Options where a stage is used.** `stage[workers = .., buffer = .., name = "..",
//! ordered]` overrides the attribute's options for this use of the stage only, with
//! any expression in scope: a worker count read from the command line, say. `name`
//! tells two uses of one stage apart in stats and errors. A literal mistake is a
//! compile error on the option, as in the attribute: `workers = 0`, `ordered` on a
//! stream-form stage, or several workers on a consumer that returns one value.
//!
//! ```
//! # use pipeline::{consumer, pipeline, producer, stage};
//! # #[producer]
//! # fn numbers(n: u64) -> impl Iterator<Item = u64> { 0..n }
//! # #[stage]
//! # fn scale(x: u64, k: u64) -> u64 { x * k }
//! # #[consumer]
//! # fn collect(xs: impl Iterator<Item = u64>) -> Vec<u64> { xs.collect() }
//! let workers = 4; // e.g. from the command line
//! let (doubled, tripled) = pipeline!(numbers(5) => [
//!     scale(2)[workers = workers, ordered, name = "double"] => collect,
//!     scale(3)[name = "triple"] => collect,
//! ])
//! .run()?;
//! assert_eq!(doubled, [0, 2, 4, 6, 8]); // ordered: in input order
//! assert_eq!(tripled, [0, 3, 6, 9, 12]); // one worker: in order too
//! # Ok::<(), pipeline::Error>(())
//! ```
//!
//! With a consumer, `pipeline!` gives a [`Pipeline`]: [`run`](Pipeline::run) blocks and
//! returns the consumer's value (a tuple for a list of branches, in branch order);
//! [`spawn`](Pipeline::spawn) returns a [`Handle`] to [`cancel`](Handle::cancel) or
//! [`join`](Handle::join). Without one, it gives a [`Stream`], an
//! `IntoIterator<Item = Result<T, Error>>` iterated on the calling thread.
//!
//! **Mistakes are compile errors on your tokens.** A wrong edge names both stages and
//! both item types: `` `numbers` yields `u64` but `parse` takes `String` ``, on
//! `parse`. A wrong number of arguments names the parameters,
//! `` `scale` takes 1 argument (`k: u64`) but 0 were given ``, on `scale`; a wrong
//! type is the compiler's own error on the argument. A producer after `=>`, a
//! consumer with a successor, a branch of the result without a consumer and a
//! stream that cannot be broadcast (its items are not `Clone`) are each one error,
//! on the stage or the list. A local variable may share its name with a stage.
//!
//! # Guide
//!
//! **Writing stages.** Write each step as the plain function you would test anyway:
//! a producer returns an iterator, a stage maps an iterator (or one item) to
//! another, a consumer drains an iterator into a value. Keep state inside the
//! function (a stream-form stage can fold its whole share of the input, as
//! `examples/wordfreq.rs` does with one word table per worker); shared state
//! between workers is yours to synchronise.
//!
//! **Arguments and per-worker state.** <a id="arguments-and-per-worker-state"></a>
//! The parameters after the input are the arguments written in `pipeline!`, and how
//! each is declared says what each call gets:
//!
//! | parameter | given in `pipeline!` as | what each call gets |
//! |---|---|---|
//! | `k: T` | a `T` | its own `T`: one per worker; in the item form one per item (cloned, so `T: Clone`) |
//! | `table: &T` | a `T::Owned` (`&str` takes a `String`, `&[u8]` a `Vec<u8>`, `&Path` a `PathBuf`) | a reference to its worker's copy: never cloned per item |
//! | `cache: &mut T` | a `T` (`&mut [u8]` a `Vec<u8>`) | its worker's own `T`, kept from item to item: per-worker state, `ordered` included |
//!
//! An owned argument in the item form is cloned for every item: take a big one by
//! reference. `pipeline-bench --only arguments` gives a 100 k-entry
//! `HashMap<u64, u64>` to an item-form lookup stage over 20 k items; on a 2-core
//! machine, as `table: HashMap<..>` the run took 3.2 s, as `table: &HashMap<..>`
//! 1.6 ms and as `table: Arc<HashMap<..>>` 1.2 ms (the `&` run also drops its table
//! at the end, which the `Arc` run leaves to its caller).
//!
//! ```
//! use pipeline::{consumer, pipeline, producer, stage};
//! use std::collections::HashMap;
//!
//! #[producer]
//! fn numbers(n: u64) -> impl Iterator<Item = u64> {
//!     0..n
//! }
//!
//! // One table per worker, lent to each call.
//! #[stage(workers = 2)]
//! fn lookup(x: u64, table: &HashMap<u64, u64>) -> u64 {
//!     table[&(x % 3)]
//! }
//!
//! // A running total, kept from item to item.
//! #[stage]
//! fn running(x: u64, total: &mut u64) -> u64 {
//!     *total += x;
//!     *total
//! }
//!
//! #[consumer]
//! fn last(xs: impl Iterator<Item = u64>) -> Option<u64> {
//!     xs.last()
//! }
//!
//! let table = HashMap::from([(0, 1), (1, 10), (2, 100)]);
//! let total = pipeline!(numbers(6) => lookup(table) => running(0) => last).run()?;
//! assert_eq!(total, Some(222));
//! # Ok::<(), pipeline::Error>(())
//! ```
//!
//! A copy per worker is a clone, except that a stage with one worker (no `workers`
//! option, on the attribute or where it is used) moves its arguments in: they need
//! not be `Clone`, so a database connection can be handed to a single-worker
//! consumer. An argument given as a value must be `Send`, and `Clone` if the stage has
//! a `workers` option: otherwise `pipeline!` fails to compile, on the argument or
//! on the `workers` option that asks for several copies.
//!
//! Any argument may instead be written [`per_worker(|worker| value)`](per_worker)
//! in `pipeline!`: the closure runs once on each worker's own thread, with its index,
//! so the value need be neither `Clone` nor `Send`: a connection per worker. Write
//! the call itself where the argument goes (`store(per_worker(open))`), as
//! `pipeline!` recognises it there.
//!
//! **Testing them sequentially.** The attributes leave the functions as written, so
//! `total(square(numbers(10)))` is the same computation on one thread: unit-test the
//! functions, then check the pipeline against the nested call on a small input.
//!
//! **Choosing workers.** Give workers to the stage the report names as the
//! bottleneck (see below), up to the number of cores; a stage that is busy a small
//! share of the time gains nothing from more. Set them on the attribute, or where
//! the stage is used: `pipeline!(files(dir) => hash[workers = n] => print)`.
//!
//! **Ordered or not.** With several workers, items leave a stage in whatever order
//! the workers finish. Mark an item-form stage `ordered` when the order matters:
//! batches are numbered as workers take them and leave in that order, through a
//! window of four batches per worker, so a slow item holds back at most that much.
//! Every stage with one worker keeps order by itself.
//!
//! **Errors and cancellation.** Return `Result` from any stage; an `Err` or a panic
//! stops every stage, and `run` returns an [`Error`] that names the stage and worker
//! and gives your error back through `source()`. A consumer that returns early (say
//! after `take(10)`) stops everything upstream, and so does dropping the iterator of
//! a consumer-less pipeline or calling [`Handle::cancel`]; a stage waiting in
//! [`pipeline::sleep`](sleep) stops at once, one blocked in another call of its own
//! (a read) when that call returns. To end an endless run and
//! keep its result (Ctrl-C in a log follower), [`Handle::drain`] stops only the
//! producers: what they produced flows on, and `join` returns the consumers' values.
//!
//! **Reading the stats.** See [Seeing inside a run](#seeing-inside-a-run): the stage
//! whose `busy` share is highest is the limit; if its input queue is often full, the
//! stages before it wait on it, and more workers there help.
//!
//! # Guarantees
//!
//! - **No sentinels.** A stream ends when the queue closes, after the last upstream
//!   worker ends; any item type flows, `Option` with `None` values and `()` included.
//! - **Bounded memory.** Every queue and the reorder window of an ordered stage are bounded.
//! - **Failure stops everything, and says where.** A panic or `Err` in any worker makes
//!   the run return an [`Error`] naming the stage, the worker and the message
//!   (`` stage `parse` worker 2 panicked: bad header ``), waking workers blocked on
//!   full or empty queues; [`source`](std::error::Error::source) gives your own error.
//!   The failure is recorded before anything else happens on the failed worker: what
//!   it had not yet sent is dropped, never delivered, and the first failure is the
//!   one reported.
//! - **A failed run never looks finished.** When the run fails or is cancelled, every
//!   other stage stops where it stands: its next `next()` on its input (or its
//!   [`sleep`]) unwinds the stage's code with a private payload, as the failure would
//!   have unwound through it in the sequential program. Destructors run; code after
//!   the loop does not. So a consumer that commits after its loop commits only a
//!   complete input (every producer ended, or [`Handle::drain`] was called):
//!
//!   ```
//!   # use pipeline::{consumer, pipeline, producer, stage};
//!   # #[producer] fn rows(n: u64) -> impl Iterator<Item = u64> { 0..n }
//!   #[stage]
//!   fn validate(row: u64) -> Result<u64, String> {
//!       if row == 500 { Err(format!("row {row}: bad amount")) } else { Ok(row) }
//!   }
//!
//!   #[consumer]
//!   fn store(rows: impl Iterator<Item = u64>) -> u64 {
//!       let mut batch = Vec::new(); // a transaction, say
//!       for row in rows {
//!           batch.push(row);
//!       }
//!       // Reached only when the whole input arrived: never after `validate` failed.
//!       batch.len() as u64
//!   }
//!
//!   let error = pipeline!(rows(1000) => validate => store).run().unwrap_err();
//!   assert_eq!(error.stage(), Some("validate"));
//!   ```
//!
//!   The stopped stages are counted as stopped ([`WorkerStats::stopped`](runtime::WorkerStats::stopped)),
//!   not failed, and nothing is printed for them (the panic hook is not called). Do
//!   not swallow that unwinding with `catch_unwind` in stage code. Built with
//!   `panic = "abort"`, nothing can unwind: a stopped stage's input ends instead, so
//!   code after its loop does run; the run still returns the [`Error`].
//! - **Early stop propagates upstream.** When every reader of a queue has finished (a
//!   consumer that returns early, a dropped iterator, a finished broadcast branch) the
//!   queue is closed: the stages feeding it stop at their next item, whether they
//!   push or only pull (a filter that keeps nothing now), and no stage starts an item
//!   after every reader of its output has finished. [`Handle::cancel`] stops every stage.
//! - **Nothing leaks.** When `run`, `join` or the iterator's drop returns, every thread
//!   the run started has been joined. Worker threads are named `stage#worker`.
//! - **Sequential equivalence.** For stages without shared state, the concurrent run
//!   yields the same multiset as the nested calls; the same sequence where every stage
//!   has one worker or is `ordered`.
//! - **Nothing panics out of the runtime.** A panic in an argument's `Clone` while the
//!   workers start (or in a [`per_worker`] closure), a panic payload whose `Drop`
//!   panics, a stage name that cannot name a thread, a buffer over [`MAX_BUFFER`]: `run`, `join` and the iterator return an
//!   [`Error`], and no thread is left behind.
//!
//! **Waiting in stage code.** A stage that must wait (polling a file, backing off a
//! server) calls [`pipeline::sleep`](sleep) rather than `std::thread::sleep`: it
//! returns early when the run stops (for a producer, when it drains too, and for any
//! stage when nobody reads its output any more), and the stage then stops as it does
//! at its next input item. A stage blocked in any other call of its own stops when
//! that call returns.
//!
//! # Seeing inside a run
//!
//! Every stage counts, per worker, the items in and out, the time busy in your code,
//! waiting for input and blocked on a full output queue, and how full its input
//! queue is; the cost is one counter update per batch of items. Read them live with
//! [`Handle::stats`], or at the end with [`Pipeline::run_with_stats`]. Printed, the
//! [`Stats`] are a table that names the bottleneck and why:
//!
//! ```text
//! stage    workers          in         out   busy   wait in  wait out  queue fill  queue full
//! records        1           -       20000     0%         -       95%           -           -
//! parse          1       20000       20000   100%        0%        0%         97%         95%
//! enrich         1       20000       20000     3%       97%        0%          0%          0%
//! store          1       20000           -     0%      100%         -          0%          0%
//! `parse` is the bottleneck: busy 100% on 1 worker; its input queue is full 95% of the time (668.87ms)
//! ```
//!
//! A pipeline knows its shape before it runs: [`Pipeline::to_dot`] and
//! [`Pipeline::to_mermaid`] draw the stages (kind, workers, ordered), the queues
//! (capacity) and the fan-in and broadcast edges; [`Stats::to_dot`] labels the same
//! picture with a run's numbers. `examples/bottleneck.rs` runs an unbalanced
//! pipeline, reads the report, gives the bottleneck more workers and shows the gain.
//!
//! ```
//! use pipeline::{consumer, pipeline, producer, stage};
//!
//! #[producer]
//! fn numbers(n: u64) -> impl Iterator<Item = u64> {
//!     0..n
//! }
//!
//! #[stage(workers = 2)]
//! fn square(x: u64) -> u64 {
//!     x * x
//! }
//!
//! #[consumer]
//! fn total(xs: impl Iterator<Item = u64>) -> u64 {
//!     xs.sum()
//! }
//!
//! let p = pipeline!(numbers(1000) => square => total);
//! assert!(p.to_dot().contains("square\\nitem stage ×2"));
//! let (sum, stats) = p.run_with_stats();
//! assert_eq!(sum?, 332_833_500);
//! assert_eq!(stats.stages[1].items_in, Some(1000));
//! println!("{stats}");
//! # Ok::<(), pipeline::Error>(())
//! ```
//!
//! # Isolated stages
//!
//! With the `isolate` feature, `#[stage(isolate)]` runs each worker of an item-form
//! stage in a child process of its own: the same executable, started again, which
//! serves the stage until the run ends. Use it for code that can take the program
//! down (a C library fed untrusted data: a decoder, a parser, a regex engine), that
//! can hang, or that can allocate without end. A thread survives none of these and
//! cannot be killed; a process can be.
//!
//! ```
//! use pipeline::{consumer, pipeline, producer, stage};
//! use std::time::Duration;
//!
//! #[producer]
//! fn numbers(n: u64) -> impl Iterator<Item = u64> {
//!     0..n
//! }
//!
//! #[stage(isolate, workers = 2, timeout = Duration::from_secs(5), memory = 1 << 32, on_crash = skip)]
//! fn fragile(x: u64) -> u64 {
//!     if x == 7 {
//!         std::process::abort(); // what a crash in C code looks like from here
//!     }
//!     x * 2
//! }
//!
//! #[consumer]
//! fn collect(xs: impl Iterator<Item = u64>) -> Vec<u64> {
//!     let mut xs: Vec<u64> = xs.collect();
//!     xs.sort_unstable();
//!     xs
//! }
//!
//! fn main() -> Result<(), pipeline::Error> {
//!     pipeline::init(); // in a worker process: serves its stage, never returns
//!     let (result, stats) = pipeline!(numbers(10) => fragile => collect).run_with_stats();
//!     assert_eq!(result?, [0, 2, 4, 6, 8, 10, 12, 16, 18]);
//!     let skipped = &stats.stages[1].skipped;
//!     assert_eq!(skipped[0].crash.item(), Some(7));
//!     println!("{}", skipped[0].crash.reason()); // killed by SIGABRT
//!     Ok(())
//! }
//! ```
//!
//! - **`pipeline::init()` first in `main`.** A worker process runs the same `main`,
//!   and `init` is where it turns to serving its stage: anything before it runs again
//!   in every worker. A run with an isolated stage in a program that never called it
//!   fails with an [`Error`] that says so. A test binary's `main` is the test
//!   harness's: put [`init_at_load!()`](init_at_load) at the top level of the test
//!   file instead, which calls `init` as the binary loads (Linux, FreeBSD, Apple).
//! - **What crosses.** Items, results and the stage's arguments cross as serde data
//!   (`postcard`): each must implement `Serialize` and `Deserialize`, checked at
//!   compile time on its type. An argument crosses once per worker process, not per
//!   item; a `per_worker(..)` argument cannot cross. An `Err` of the stage crosses as
//!   its message, a panic as its message (and fails the run as a thread's would).
//! - **What it costs.** Items go to a child in batches of what the stage's input
//!   holds (up to [`MAX_BATCH`]): a trickle crosses item by item, a flood in large
//!   batches; there is no chunk size to tune. On a 2-core machine a trivial isolated
//!   stage costs about 65 ns per item against 30 on threads (`BENCHMARKS.md`), so
//!   isolate the stage that needs it, not the pipeline.
//! - **Crashes.** A child that dies on an item (a signal such as `SIGSEGV`, `SIGABRT`
//!   or a `kill -9` from outside, an exit, an allocation past `memory`) or runs past
//!   `timeout` on it, fails that item. With `on_crash = fail` (the default) the run
//!   fails with an [`Error`] naming the stage and worker, whose
//!   [`source`](std::error::Error::source) is a [`Crash`]: the item's position in the
//!   stage's input, the [`CrashReason`] and the last line the child wrote to stderr.
//!   With `on_crash = skip` the item is dropped and recorded in
//!   [`StageStats::skipped`] with its reason, a new child takes the dead one's place,
//!   and the run goes on; the other items of the dead child's batch are sent again
//!   (their results died with it), so a skipping stage's code may run more than
//!   once for an item, never fewer. `ordered` keeps the order of the rest.
//! - **Stops.** A failure elsewhere, a `cancel()` or an early stop downstream kills
//!   the children at once; no child outlives [`Pipeline::run`] or [`Handle::join`],
//!   and on Linux a child dies with its worker thread even if the program is killed.
//! - **Limits.** `memory = <bytes>` sets each child's `RLIMIT_AS`: it covers the
//!   whole process (code, stacks, heap), so leave room for the executable.
//!   `timeout = <Duration>` applies to each item.
//!
//! [`Stream::isolate`] builds the same stage without the attribute.
//! Hand-built stages implement [`Portable`] (the arguments as serde data).
//! `examples/rules.rs` runs untrusted regular expressions through the C library's
//! matcher, and reports the ones that crashed, hung or ran out of memory.
//!
//! # Remote stages
//!
//! With the `redis` feature, `#[stage(remote)]` marks an item-form stage whose work
//! may go to other machines. Give the pipeline a broker and run the same executable
//! as a worker anywhere that reaches it:
//!
//! ```text
//! coordinator:  my-program --input jobs.txt              # calls .broker(Redis::open(url)?)
//! each worker:  PIPELINE_WORKER=redis://10.0.0.5:6379 my-program
//! ```
//!
//! ```no_run
//! # #[cfg(feature = "redis")] {
//! use pipeline::{consumer, pipeline, producer, stage};
//! # #[derive(serde::Serialize, serde::Deserialize)] struct Frame(Vec<u8>);
//! # fn draw(_: u64) -> Frame { Frame(Vec::new()) }
//!
//! #[producer]
//! fn jobs(n: u64) -> impl Iterator<Item = u64> {
//!     0..n
//! }
//!
//! #[stage(remote, workers = 4, ordered)]
//! fn render(job: u64) -> Frame {
//!     draw(job)
//! }
//!
//! #[consumer]
//! fn count(frames: impl Iterator<Item = Frame>) -> usize {
//!     frames.count()
//! }
//!
//! fn main() -> Result<(), pipeline::Error> {
//!     pipeline::init(); // a worker process (PIPELINE_WORKER set) serves stages from here
//!     let broker = pipeline::Redis::open("redis://10.0.0.5:6379")?;
//!     let frames = pipeline!(jobs(1000) => render => count).broker(broker).run()?;
//!     println!("{frames} frames");
//!     Ok(())
//! }
//! # }
//! ```
//!
//! - **Without a broker** a remote stage runs locally, as any other: the same program
//!   works on one machine, and its tests need no server.
//! - **How items travel.** The stage's input goes to a Redis stream in numbered
//!   batches, as serde data, read by a consumer group: each batch to one worker
//!   thread of one worker process (`workers` threads per process). Results come back
//!   on a second stream; an `ordered` stage's results are put back in input order.
//!   The coordinator stays no more than the stage's `buffer` items ahead of the
//!   results, so memory is bounded on every machine; nothing is ever trimmed away.
//! - **Workers come and go.** A worker process started during a run joins it. One
//!   that dies (a `kill -9`, a lost machine) loses nothing: its batch stays pending in
//!   the group and another worker claims it once it has been idle for `claim_after`
//!   (`Redis::open(url)?.claim_after(duration)`, default 30 s). Processing is thus at
//!   least once; delivery is exactly once, since a batch answered twice is passed on
//!   once. SIGTERM or SIGINT makes a worker process finish the batch it holds and exit.
//! - **Failures.** An `Err` or a panic on any machine fails the run at once with an
//!   [`Error`] naming the stage and the worker thread, whose source is a
//!   [`RemoteFailure`] naming the process (`host:pid`). A failure elsewhere, a cancel
//!   or an early stop ends the stage's share on every worker.
//! - **Keys.** A stage's keys (`pipeline:RUN:STAGE:*`) are deleted when it ends, and
//!   expire a minute after a coordinator that died; workers serve only stages
//!   announced by the same build of the program.
//! - **Stats.** [`StageStats::remote`] gives, once the stage has ended, the items each
//!   worker process mapped, the batches reclaimed from lost workers, and the round
//!   trips to the broker.
//!
//! - **Stream-form stages** can be `remote` too: each batch of the input is one
//!   share, mapped by the function as a stream of its own on one worker thread, so
//!   whatever the function folds, it folds per batch (a consumer merges the parts).
//!
//! [`Stream::remote`] and [`Stream::remote_stream`] build the same stages without the
//! attribute. `examples/render.rs` renders an image in bands on any number of
//! machines.
//!
//! # Cargo features
//!
//! - `progress`: `Pipeline::run_with_progress` draws one bar per stage on stderr
//!   (items and rate, refreshed ten times a second), and nothing when stderr is not
//!   a terminal. Off by default.
//! - `tracing`: each worker runs inside a `stage` span (`stage`, `worker` fields) and
//!   emits events when it starts, finishes, stops early or fails; cancelling emits
//!   `pipeline cancelled`. Off by default.
//! - `isolate`: [isolated stages](#isolated-stages), on Unix. Adds `serde`,
//!   `postcard` and `libc`. Off by default.
//! - `redis`: [remote stages](#remote-stages), with `isolate`. Adds the `redis`
//!   client. Off by default.
//!
//! On Linux, every worker thread (and isolated worker's process) asks for a 300 µs
//! time slice (`sched_setattr`, the `sched_runtime` of its `SCHED_OTHER` policy; Linux
//! 6.12 on, which otherwise gives a few ms). A worker woken by its input then runs
//! soon even where other programs keep every CPU busy, instead of waiting for their
//! slices to end: beside two busy loops on 2 cores, an empty parallel stage ran 2–3.5
//! times faster, and a trickle of items arrived 3 times sooner. Its share of the CPU
//! does not change. A thread under another policy keeps its own, and so do the
//! caller's threads; what a stage's code starts gets the kernel's defaults
//! (`SCHED_FLAG_RESET_ON_FORK`, which also resets a nice value below 0 to 0 there).
//!
//! Two settings are read from the environment:
//! - `PIPELINE_SHORT_SLICE=0` keeps the kernel's default slice for every worker.
//! - `PIPELINE_MEMBARRIER=0` makes every push into a queue fence. By default (Linux
//!   4.14 on), a sender whose readers have not asked for its pending items for 64
//!   batches pushes without a fence, and a reader about to sleep that finds such a
//!   sender pays for both with a `membarrier` system call, after which the sender
//!   fences again. Items that flow without pause cost a third less (an empty parallel
//!   stage, a trivial chain); a reader that sleeps after every item does not pay the
//!   system call each time.
//!
//! `BENCHMARKS.md` measures both.
//!
//! # Without macros
//!
//! Everything the macros do goes through the runtime's builder, usable directly:
//! [`Stream::produce`], [`Stream::transform`], [`Stream::map`], [`Stream::consume`],
//! with the closure adapters of [`runtime`], such as [`runtime::producer`] and
//! [`runtime::map`].

#![deny(missing_docs, missing_debug_implementations)]

pub use pipeline_macros::{consumer, pipeline, producer, stage};
#[cfg(feature = "isolate")]
pub use pipeline_runtime::{
    init, init_at_load, Crash, CrashReason, Isolation, OnCrash, Portable, MAX_BATCH,
};
pub use pipeline_runtime::{
    sleep, BoxError, Canceller, Error, Graph, Handle, Input, Iter, Options, Output, Pipeline,
    Skipped, StageKind, StageStats, Stats, Stream, DEFAULT_BUFFER, MAX_BUFFER,
};
#[cfg(feature = "redis")]
pub use pipeline_runtime::{Redis, RemoteFailure, RemoteStats};

/// An argument made once on each worker's own thread: `make(worker)` runs there, with
/// the worker's index (`0..workers`), before the stage's code. The value need be
/// neither `Clone` nor `Send`: a connection per worker, a cache, a scratch buffer.
///
/// Write the call where the argument goes in `pipeline!`:
///
/// ```
/// use pipeline::{consumer, per_worker, pipeline, producer, stage};
/// use std::rc::Rc;
///
/// #[producer]
/// fn numbers(n: u64) -> impl Iterator<Item = u64> {
///     0..n
/// }
///
/// // `Rc` is neither sent nor shared: each worker makes its own.
/// #[stage(workers = 3)]
/// fn offset(x: u64, base: &Rc<u64>) -> u64 {
///     x + **base
/// }
///
/// #[consumer]
/// fn total(xs: impl Iterator<Item = u64>) -> u64 {
///     xs.sum()
/// }
///
/// let sum = pipeline!(numbers(10) => offset(per_worker(|_worker| Rc::new(100))) => total)
///     .run()?;
/// assert_eq!(sum, 45 + 10 * 100);
/// # Ok::<(), pipeline::Error>(())
/// ```
///
/// A panic in `make` fails the run like a panic in the stage, naming its worker.
pub fn per_worker<T, F>(make: F) -> runtime::PerWorker<T, F>
where
    F: Fn(usize) -> T + Send + Sync + 'static,
{
    runtime::per_worker(make)
}

/// The runtime the macros expand to, usable without them: the builder, the stage
/// traits and closure adapters for them.
pub use pipeline_runtime as runtime;

// Not public API: what the expansions of the macros name, and nothing else.
#[doc(hidden)]
pub mod __private {
    // The stage types' derive, which emits the attributes' impls beside the type.
    pub use pipeline_macros::StageItems;

    // What a stage type implements.
    pub use pipeline_runtime::glue::{assert_clone, Ctor, StageDef, GIVEN};
    pub use pipeline_runtime::{
        BoxError, Consume, Input, ItemStage, MapItem, Options, Output, Produce, Replicate,
        Transform,
    };

    // What a stage function returns: items to feed, an error to box.
    pub use pipeline_runtime::args::{feed_results, FallibleItem, Optional};
    pub use pipeline_runtime::glue::{Fallible, Items, StageError};

    // How a stage holds its arguments, copies them for each worker and checks them.
    pub use pipeline_runtime::args::{
        Arg, AttrWorkers, CloneEachItem, CloneForWorkers, One, Probe, ReplicateByClone,
        ReplicateByShare, SendArg, Several,
    };

    // The kinds of stage, and where each may stand.
    pub use pipeline_runtime::glue::{
        Checked, ConsumerKind, ConsumersKind, Ending, InOf, ItemKind, Kind, No, Ordering,
        ProducerKind, Reading, Starting, StreamForm, StreamKind, Working, Yes, Yielding,
    };

    // The checks `pipeline!` spans on the user's tokens.
    pub use pipeline_runtime::glue::{
        Broadcast, Connects, EndsBranch, HasSuccessor, Merges, OrderedItemForm, OrderedStage,
        SeveralWorkers, StartsFlow, TakesInput,
    };

    // Naming a stage, and building the pipeline.
    pub use pipeline_runtime::glue::{end, join, named, Chain, Marker};
    pub use pipeline_runtime::{Pipeline, Stream};

    // What `#[stage(isolate)]` generates: the stage's arguments as serde data, and
    // how it joins a stream.
    pub use crate::__pipeline_isolated_items as isolated_items;
    pub use crate::__pipeline_remote_items as remote_items;
    #[cfg(feature = "redis")]
    pub use pipeline_runtime::glue::StreamCross;
    #[cfg(feature = "isolate")]
    pub use pipeline_runtime::glue::{decode_args, encode_args, Codec, Crosses, ItemsCross};
    pub use pipeline_runtime::glue::{Elsewhere, IsolatedKind, RemoteKind, RemoteStreamKind};
    #[cfg(feature = "isolate")]
    pub use pipeline_runtime::{Isolation, OnCrash, Portable};
}

/// What `#[stage(isolate)]` emits for isolation: the items as they are with the
/// `isolate` feature, one error without it.
#[cfg(feature = "isolate")]
#[doc(hidden)]
#[macro_export]
macro_rules! __pipeline_isolated_items {
    ($($items:tt)*) => { $($items)* };
}

#[cfg(not(feature = "isolate"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __pipeline_isolated_items {
    ($($items:tt)*) => {
        ::core::compile_error!(
            "`isolate` needs the `isolate` feature of `pipeline`: in Cargo.toml, \
             `pipeline = { version = \"0.1\", features = [\"isolate\"] }`"
        );
    };
}

/// What `#[stage(remote)]` emits: the items as they are with the `redis` feature,
/// one error without it.
#[cfg(feature = "redis")]
#[doc(hidden)]
#[macro_export]
macro_rules! __pipeline_remote_items {
    ($($items:tt)*) => { $($items)* };
}

#[cfg(not(feature = "redis"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __pipeline_remote_items {
    ($($items:tt)*) => {
        ::core::compile_error!(
            "`remote` needs the `redis` feature of `pipeline`: in Cargo.toml, \
             `pipeline = { version = \"0.1\", features = [\"redis\"] }`"
        );
    };
}

/// The README's example, compiled and run as a doc test.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeExample;
