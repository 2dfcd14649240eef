//! A run under way: the [`Handle`] of a spawned pipeline, its [`Canceller`], and the
//! [`Iter`] of a pipeline without a consumer, read on the calling thread.

use crate::build::Stream;
use crate::control::Control;
use crate::graph::Graph;
use crate::options::DEFAULT_BUFFER;
use crate::queue::queue;
use crate::stats::{Recorder, Stats};
use crate::worker::{join_all, Launch};
use crate::{Error, Input};
use std::fmt;
use std::sync::Arc;
use std::thread::JoinHandle;

pub(crate) type Collect<Out> = Box<dyn FnOnce() -> Option<Out> + Send>;

/// Cancels a running pipeline from any thread: see [`Handle::canceller`].
#[derive(Clone)]
pub struct Canceller {
    control: Arc<Control>,
}

impl Canceller {
    /// Does what [`Handle::cancel`] does.
    pub fn cancel(&self) {
        #[cfg(feature = "tracing")]
        tracing::info!("pipeline cancelled");
        self.control.fail(Error::cancelled());
    }

    /// Does what [`Handle::drain`] does.
    pub fn drain(&self) {
        #[cfg(feature = "tracing")]
        tracing::info!("pipeline draining");
        self.control.drain();
    }
}

impl fmt::Debug for Canceller {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Canceller")
    }
}

/// A running pipeline. [`join`](Self::join) waits for its result; dropping the handle
/// cancels the run and waits for its threads, so none outlives it.
pub struct Handle<Out> {
    control: Arc<Control>,
    threads: Vec<JoinHandle<()>>,
    collect: Option<Collect<Out>>,
    recorder: Arc<Recorder>,
    graph: Graph,
}

impl<Out> fmt::Debug for Handle<Out> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Handle")
            .field("threads", &self.threads.len())
            .field("finished", &self.is_finished())
            .finish()
    }
}

impl<Out> Handle<Out> {
    pub(crate) fn new(launch: Launch, collect: Option<Collect<Out>>, graph: Graph) -> Self {
        Self {
            control: launch.control,
            threads: launch.threads,
            collect,
            recorder: launch.recorder,
            graph,
        }
    }

    /// Stops every stage at its next item or queue operation; [`join`](Self::join)
    /// then returns an error for which [`Error::is_cancelled`] is true, unless a
    /// stage had already failed.
    pub fn cancel(&self) {
        self.canceller().cancel();
    }

    /// Ends the run gracefully: every producer stops at its next item, and what was
    /// already produced flows through the other stages, which end as at the end of
    /// the stream. [`join`](Self::join) then returns the consumers' result — the
    /// usual "Ctrl-C: finish up and report". A producer blocked in its own code
    /// stops when that call returns.
    pub fn drain(&self) {
        self.canceller().drain();
    }

    /// A cloneable, `Sync` way to cancel this run from elsewhere (another thread, a
    /// signal handler) while this handle waits in [`join`](Self::join).
    pub fn canceller(&self) -> Canceller {
        Canceller {
            control: Arc::clone(&self.control),
        }
    }

    /// Whether every thread of the run has ended.
    pub fn is_finished(&self) -> bool {
        self.threads.iter().all(JoinHandle::is_finished)
    }

    /// What every stage has done so far.
    pub fn stats(&self) -> Stats {
        self.recorder.snapshot(&self.graph)
    }

    /// [`join`](Self::join), and what every stage did.
    pub fn join_with_stats(mut self) -> (Result<Out, Error>, Stats) {
        join_all(&mut self.threads);
        let stats = self.stats();
        (self.join(), stats)
    }

    /// Waits for every thread of the run, then returns the result or the first failure.
    pub fn join(mut self) -> Result<Out, Error> {
        join_all(&mut self.threads);
        if let Some(error) = self.control.take_error() {
            return Err(error);
        }
        self.collect
            .take()
            .and_then(|collect| collect())
            .ok_or_else(Error::cancelled)
    }
}

impl<Out> Drop for Handle<Out> {
    fn drop(&mut self) {
        if !self.threads.is_empty() {
            self.control.stop();
            join_all(&mut self.threads);
        }
    }
}

impl<T: Send + 'static> IntoIterator for Stream<T> {
    type Item = Result<T, Error>;
    type IntoIter = Iter<T>;

    /// Starts the stages and iterates over the stream on the calling thread.
    fn into_iter(self) -> Iter<T> {
        let mut launch = Launch::new();
        // The caller's thread reads the last queue; its counters are not reported.
        let caller = launch.recorder.detached();
        let (upstream, input) = queue(DEFAULT_BUFFER, &launch.control, caller);
        if let Err(error) = (self.launch)(&mut launch, upstream) {
            launch.control.fail(error);
        }
        launch.started();
        Iter {
            input: Some(input),
            control: launch.control,
            threads: launch.threads,
            recorder: launch.recorder,
            graph: self.graph,
        }
    }
}

/// A pipeline without a consumer, iterated on the calling thread. After an `Err` it
/// ends; dropping it early stops every stage and waits for their threads.
pub struct Iter<T> {
    input: Option<Input<T>>,
    control: Arc<Control>,
    threads: Vec<JoinHandle<()>>,
    recorder: Arc<Recorder>,
    graph: Graph,
}

impl<T> Iter<T> {
    /// What every stage has done so far.
    pub fn stats(&self) -> Stats {
        self.recorder.snapshot(&self.graph)
    }
}

impl<T> fmt::Debug for Iter<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Iter")
            .field("threads", &self.threads.len())
            .finish()
    }
}

impl<T> Iterator for Iter<T> {
    type Item = Result<T, Error>;

    fn next(&mut self) -> Option<Result<T, Error>> {
        if let Some(item) = self.input.as_mut()?.next() {
            return Some(Ok(item));
        }
        self.input = None;
        join_all(&mut self.threads);
        self.control.take_error().map(Err)
    }
}

impl<T> Drop for Iter<T> {
    fn drop(&mut self) {
        self.input = None;
        self.control.stop();
        join_all(&mut self.threads);
    }
}
