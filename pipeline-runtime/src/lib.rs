//! The thread runtime behind the `pipeline` crate: stages run on their own threads,
//! joined by bounded queues; a failure anywhere stops the whole run and names the
//! stage and worker where it happened.
//!
//! This crate needs no macro: build a pipeline from closures and run it.
//!
//! ```
//! use pipeline_runtime::{consumer, map, producer, Options, Stream};
//!
//! let total = Stream::produce(Options::new("numbers"), producer(|| 0..10u64))
//!     .map(Options::new("square").workers(4), map(|x: u64| x * x))
//!     .consume(Options::new("total"), consumer(|xs| xs.sum::<u64>()))
//!     .run()?;
//! assert_eq!(total, 285);
//! # Ok::<(), pipeline_runtime::Error>(())
//! ```
//!
//! Most users reach it through the `pipeline` crate's attributes and `pipeline!`.

#![deny(missing_docs, missing_debug_implementations)]

#[doc(hidden)]
pub mod args;
mod build;
mod control;
mod error;
mod fence;
mod graph;
mod handle;
#[cfg(feature = "isolate")]
mod isolate;
mod options;
mod ordered;
mod pending;
#[cfg(feature = "progress")]
mod progress;
mod queue;
#[cfg(feature = "redis")]
mod remote;
mod slice;
mod spin;
mod stage;
mod stats;
mod sync;
mod wake;
mod worker;

#[doc(hidden)]
pub mod glue;

pub use args::{per_worker, PerWorker, Replicate};
pub use build::{Join, Pipeline, Stream};
pub use error::{BoxError, Error};
pub use graph::{Edge, Graph, Node, StageKind};
pub use handle::{Canceller, Handle, Iter};
#[cfg(feature = "isolate")]
pub use isolate::{init, Crash, CrashReason, Isolation, OnCrash, Portable, MAX_BATCH};
pub use options::{Options, DEFAULT_BUFFER, MAX_BUFFER};
pub use queue::{Input, Output, Stopped};
#[cfg(feature = "redis")]
pub use remote::{Redis, RemoteFailure, RemoteStats};
pub use stage::{
    consumer, feed, filter_map, map, map_item, producer, transform, try_feed, try_map, Consume,
    FnStage, ItemFn, ItemStage, MapItem, Produce, Transform,
};
pub use stats::{QueueStats, Skipped, StageStats, Stats, WorkerStats};
pub use worker::sleep;
