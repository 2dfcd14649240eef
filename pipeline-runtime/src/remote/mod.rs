//! Remote stages: an item-form stage whose workers are other processes, on this
//! machine or any other, running the same executable and fed through Redis Streams.
//!
//! The pipeline's process (the coordinator) keeps two threads per remote stage (see
//! [`coordinator`]): one reads the stage's input and adds it, in numbered batches,
//! to the stage's input stream; the other reads the results back from its output
//! stream, drops duplicates, restores the order if the stage is `ordered`, and
//! passes them on. Worker processes (see [`worker`]) start in `pipeline::init()`
//! when `PIPELINE_WORKER=redis://..` is set, learn of each remote stage from an
//! announcement, and serve it with `workers` threads in a consumer group. A worker
//! that dies leaves its batch pending in the group; another claims it once it has
//! been idle for `claim_after`.
//!
//! Keys (`pipeline:RUN:STAGE:*`, see [`keys`]) live as long as the stage runs,
//! are deleted when it ends, and expire a minute after a coordinator that died.

mod coordinator;
mod keys;
mod worker;

use crate::Error;
use std::fmt;
use std::time::Duration;

pub(crate) use coordinator::start;
pub(crate) use worker::serve;

/// The environment variable that makes `init()` serve remote stages.
pub(crate) const WORKER_ENV: &str = "PIPELINE_WORKER";

/// A Redis server that carries remote stages: give it to a pipeline with
/// [`Pipeline::broker`](crate::Pipeline::broker). Without a broker, remote stages
/// run locally, as any other stage.
#[derive(Clone)]
pub struct Redis {
    pub(crate) client: redis::Client,
    pub(crate) url: String,
    pub(crate) claim_after: Duration,
}

impl fmt::Debug for Redis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Redis")
            .field("url", &self.url)
            .field("claim_after", &self.claim_after)
            .finish()
    }
}

impl Redis {
    /// Connects to the server at `url` (`redis://host:port`), to check it answers.
    pub fn open(url: &str) -> Result<Self, Error> {
        let client = redis::Client::open(url)
            .map_err(|e| Error::broker(format!("{url} is not a Redis address: {e}")))?;
        let mut connection = client
            .get_connection()
            .map_err(|e| Error::broker(format!("cannot connect to {url}: {e}")))?;
        redis::cmd("PING")
            .query::<String>(&mut connection)
            .map_err(|e| Error::broker(format!("{url} does not answer: {e}")))?;
        Ok(Self {
            client,
            url: url.to_owned(),
            claim_after: Duration::from_secs(30),
        })
    }

    /// How long a batch may stay with a worker that does not acknowledge it before
    /// another worker claims it (default 30 s): longer than a batch takes, shorter
    /// than you would wait for a lost machine.
    pub fn claim_after(mut self, after: Duration) -> Self {
        self.claim_after = after;
        self
    }
}

/// A remote stage's worker failed: the source of the run's [`Error`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteFailure {
    /// The worker process, as `host:pid`.
    pub process: String,
    /// The worker thread in that process.
    pub index: usize,
    /// The stage's error message, or its panic message.
    pub message: String,
    /// Whether the stage panicked (rather than returned `Err`).
    pub panicked: bool,
}

impl fmt::Display for RemoteFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let how = if self.panicked { "panicked" } else { "failed" };
        write!(
            f,
            "on worker process {} (thread {}), {how}: {}",
            self.process, self.index, self.message
        )
    }
}

impl std::error::Error for RemoteFailure {}

/// What a remote stage's workers did, from the broker, at the end of its run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RemoteStats {
    /// Items mapped by each worker process (`host:pid`), sorted by process.
    pub items_by_process: Vec<(String, u64)>,
    /// Batches a worker claimed from another that had held them past `claim_after`.
    pub reclaimed_batches: u64,
    /// Round trips to the broker, by the coordinator and the workers together.
    pub round_trips: u64,
}

/// This machine's name and this process's id: how a worker process is named.
pub(crate) fn process_name() -> String {
    let mut name = [0u8; 256];
    // SAFETY: `gethostname` writes at most `name.len()` bytes.
    let ok = unsafe { libc::gethostname(name.as_mut_ptr().cast(), name.len()) } == 0;
    let end = name.iter().position(|&b| b == 0).unwrap_or(name.len());
    let host = match ok {
        true => String::from_utf8_lossy(&name[..end]).into_owned(),
        false => "unknown".to_owned(),
    };
    format!("{host}:{}", std::process::id())
}

/// How a remote stage runs without a broker: [`crate::build::start_map`] or
/// [`crate::build::start_transform`].
type StartLocal<S, T, U> = fn(
    &mut crate::worker::Launch,
    &crate::Options,
    std::sync::Arc<crate::stats::StageCounters>,
    crate::Input<T>,
    crate::Output<U>,
    S,
) -> Result<(), Error>;

impl<T> crate::Stream<T>
where
    T: serde::Serialize + serde::de::DeserializeOwned + Send + 'static,
{
    /// Runs an item-form stage on the worker processes of the pipeline's
    /// [broker](crate::Pipeline::broker) (the `redis` feature): each batch of items
    /// goes to one of them through a Redis stream, is mapped there by one of
    /// `opts.workers` threads, and its results come back, in order with
    /// `opts.ordered`. Without a broker it runs locally, as [`Stream::map`](crate::Stream::map).
    ///
    /// Processing is at least once (a batch held by a lost worker is done again
    /// elsewhere), delivery exactly once (the second answer is dropped).
    pub fn remote<S>(self, opts: crate::Options, stage: S) -> crate::Stream<S::Out>
    where
        S: crate::Portable + crate::ItemStage<In = T>,
        S::Out: serde::Serialize + serde::de::DeserializeOwned,
    {
        let entry = worker::entry_of::<S>();
        self.remote_stage(
            opts,
            crate::StageKind::Item,
            stage,
            entry,
            crate::build::start_map,
        )
    }

    /// A stream-form stage on the worker processes of the pipeline's broker: each
    /// batch of the input is one share, mapped by the stage's function as a stream of
    /// its own on one worker thread (so what the function folds, it folds per batch).
    /// Without a broker it runs locally, as [`Stream::transform`](crate::Stream::transform).
    pub fn remote_stream<S>(self, opts: crate::Options, stage: S) -> crate::Stream<S::Out>
    where
        S: crate::Portable + crate::Transform<In = T>,
        S::Out: serde::Serialize + serde::de::DeserializeOwned,
    {
        let entry = worker::stream_entry_of::<S>();
        self.remote_stage(
            opts,
            crate::StageKind::Stream,
            stage,
            entry,
            crate::build::start_transform,
        )
    }

    /// A stage of `kind` served by the workers of the pipeline's broker (`entry` in
    /// each of them), or by `local` threads without one.
    fn remote_stage<
        S: crate::Portable + Send + 'static,
        U: serde::de::DeserializeOwned + Send + 'static,
    >(
        self,
        mut opts: crate::Options,
        kind: crate::StageKind,
        stage: S,
        entry: usize,
        local: StartLocal<S, T, U>,
    ) -> crate::Stream<U> {
        opts.remote = true;
        self.then_stage(
            opts,
            kind,
            move |launch, opts, counters, input, out| match launch.broker.clone() {
                None => local(launch, opts, counters, input, out, stage),
                Some(broker) => start(launch, &broker, opts, counters, input, out, stage, entry),
            },
        )
    }
}
