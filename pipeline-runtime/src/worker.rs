//! A worker's life: started on its own thread, its stage code run inside an unwind
//! boundary, stopped, joined.
//!
//! Every worker of every stage kind goes through [`Launch::workers`], and so through
//! the same states:
//!
//! 1. **Prepared**, on the thread that starts the run: its copy of the stage (and of
//!    the stage's arguments) is made there, a [`Replicate`](crate::Replicate) of the
//!    stage for every worker but the last, which gets the stage itself. A panic in
//!    that copy (an argument's `Clone`), or a stage that cannot be copied, fails the
//!    run with an error naming the stage and worker; the workers already started are
//!    then stopped and joined like any others.
//! 2. **Running**, on a thread named `stage#worker`, inside `catch_unwind`. First its
//!    per-worker arguments are made there ([`per_worker`](crate::per_worker), which
//!    reads the worker's index from [`worker_index`]), so they need not be `Send`,
//!    and a panic making them fails the worker like one in its code. It owns
//!    its [`Input`](crate::Input) (moved into the stage's code) and its
//!    [`Output`](crate::Output) (lent to the stage's code, owned here, outside the
//!    unwind boundary).
//! 3. It ends in one of three ways:
//!    - **finished**: the stage's code returned `Ok`. Its output is flushed, then
//!      dropped, which tells the readers downstream that this worker's stream ended.
//!    - **failed**: the code returned `Err` or panicked. The failure is recorded in
//!      the run's [`Control`] *first*, which stops the run, and only then is the
//!      output dropped, discarding what it had not sent: no reader can take the end
//!      of this worker's stream for the end of the input, and nothing it had pending
//!      is delivered. The first failure recorded is the one the run returns. A panic
//!      payload whose own `Drop` panics is contained.
//!    - **stopped**: the run failed elsewhere or was cancelled, or every reader of
//!      its output has finished. Its next `Input::next()` (or [`sleep`]) unwinds its
//!      code with the private [`Stopped`] payload, which never reaches the panic hook
//!      (`resume_unwind`) and is counted as a stop, not a failure. Destructors run;
//!      code after the stage's loop does not. Its output is discarded. (Under
//!      `panic = "abort"` nothing unwinds: the input ends instead.)
//! 4. **Joined**: [`Launch`]'s threads are joined by whoever owns the run (a handle,
//!    an iterator), always, whatever the way the run ended.

use crate::control::{lock, Control};
use crate::queue::{queue, shape, StopWhen};
use crate::spin::Running;
use crate::stats::{Recorder, StageCounters};
use crate::{BoxError, Error, Input, Options, Output, Replicate};
use crossbeam_channel::Select;
use std::any::Any;
use std::cell::RefCell;
use std::panic::{self, AssertUnwindSafe};
use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

/// The payload a stopped worker unwinds with. Private: no user code can name it, and
/// the worker boundary recognises it.
struct Stopped;

/// Unwinds the current worker's code because it must stop (see the module docs).
/// Returns only where nothing can unwind (`panic = "abort"`): the caller then ends
/// as if its input had ended.
pub(crate) fn unwind_stopped() {
    #[cfg(panic = "unwind")]
    panic::resume_unwind(Box::new(Stopped));
}

/// What a worker owns besides its stage: where its items go.
pub(crate) trait Sink: Send + 'static {
    /// When its worker must stop, in the run that `control` steers.
    fn stop_when(&self, control: &Arc<Control>) -> StopWhen;
    /// Drops what it had not sent.
    fn discard(&mut self);
}

impl<T: Send + 'static> Sink for Output<T> {
    fn stop_when(&self, _: &Arc<Control>) -> StopWhen {
        self.stop_when().clone()
    }
    fn discard(&mut self) {
        Output::discard(self)
    }
}

/// A consumer's: nothing.
impl Sink for () {
    fn stop_when(&self, control: &Arc<Control>) -> StopWhen {
        StopWhen::new(Arc::clone(control), false, Box::new([]))
    }
    fn discard(&mut self) {}
}

/// What the worker running on this thread must watch to know it should stop, for
/// [`sleep`].
struct Watch {
    worker: usize,
    stop: StopWhen,
}

thread_local! {
    static WATCH: RefCell<Option<Watch>> = const { RefCell::new(None) };
}

impl Watch {
    /// Sleeps `duration`, or less if the worker must stop; says whether it must.
    fn sleep(&self, duration: Duration) -> bool {
        let deadline = Instant::now() + duration;
        loop {
            let mut select = Select::new();
            self.stop.watch(&mut select);
            if self.stop.now() {
                return true;
            }
            if select.ready_deadline(deadline).is_err() {
                return self.stop.now();
            }
        }
    }
}

/// The index of the worker running on this thread (`0..workers`); 0 outside a worker.
pub(crate) fn worker_index() -> usize {
    WATCH.with(|watch| watch.borrow().as_ref().map_or(0, |watch| watch.worker))
}

/// Waits for `duration`, the way stage code should wait: the wait ends early when the
/// run stops (a failure elsewhere, a cancel, every reader downstream gone, or for a
/// producer a drain), and then the stage stops as it does at its next
/// [`Input::next`](crate::Input): the stage's code is unwound. Outside a pipeline's
/// worker it is [`std::thread::sleep`].
pub fn sleep(duration: Duration) {
    let stop = WATCH.with(|watch| match &*watch.borrow() {
        Some(watch) => watch.sleep(duration),
        None => {
            thread::sleep(duration);
            false
        }
    });
    if stop {
        unwind_stopped();
    }
}

/// How a worker's stage code ended.
enum Outcome {
    Finished,
    Failed(Error),
    Stopped,
}

/// Drops a panic payload, whose `Drop` is user code and may panic too.
pub(crate) fn drop_payload(payload: Box<dyn Any + Send>) {
    if let Err(again) = panic::catch_unwind(AssertUnwindSafe(move || drop(payload))) {
        // The payload of a panic in a payload's `Drop`: dropping it could panic again.
        std::mem::forget(again);
    }
}

/// The threads of one run, as they are started, and their counters.
pub(crate) struct Launch {
    pub(crate) control: Arc<Control>,
    pub(crate) threads: Vec<JoinHandle<()>>,
    pub(crate) recorder: Arc<Recorder>,
    /// Checks made once every stage has started: a broadcast with a branch that was
    /// never connected fails the run here.
    checks: Vec<Box<dyn FnOnce() -> Result<(), Error>>>,
    /// Where remote stages run; locally without one.
    #[cfg(feature = "redis")]
    pub(crate) broker: Option<Arc<crate::Redis>>,
    /// This run's name on the broker, made when a remote stage first needs it.
    #[cfg(feature = "redis")]
    run: Option<String>,
}

impl Launch {
    pub(crate) fn new() -> Self {
        Self {
            control: Control::new(),
            threads: Vec::new(),
            recorder: Arc::new(Recorder::new()),
            checks: Vec::new(),
            #[cfg(feature = "redis")]
            broker: None,
            #[cfg(feature = "redis")]
            run: None,
        }
    }

    /// This run's name on the broker: unique to this process, time and run.
    #[cfg(feature = "redis")]
    pub(crate) fn run_id(&mut self) -> String {
        static RUNS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        self.run
            .get_or_insert_with(|| {
                let now = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap_or_default();
                format!(
                    "{}-{}-{}",
                    std::process::id(),
                    now.as_micros(),
                    RUNS.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
                )
            })
            .clone()
    }

    /// Checks a stage's options and sets up its counters.
    pub(crate) fn stage(
        &self,
        id: usize,
        opts: &Options,
        reads: bool,
    ) -> Result<Arc<StageCounters>, Error> {
        opts.check()?;
        let queue_batches = if reads { shape(opts.buffer).1 } else { 0 };
        Ok(self.recorder.stage(id, opts.workers, queue_batches))
    }

    /// The input queue of a stage.
    pub(crate) fn queue<T>(
        &self,
        opts: &Options,
        stage: &Arc<StageCounters>,
    ) -> (Output<T>, Input<T>) {
        queue(opts.buffer, &self.control, Arc::clone(stage))
    }

    /// Runs `check` once every stage has started.
    pub(crate) fn check_when_started(
        &mut self,
        check: impl FnOnce() -> Result<(), Error> + 'static,
    ) {
        self.checks.push(Box::new(check));
    }

    /// Every stage has started: runs the checks, and fails the run on the first error.
    pub(crate) fn started(&mut self) {
        for check in std::mem::take(&mut self.checks) {
            if let Err(error) = check() {
                self.control.fail(error);
            }
        }
    }

    /// Starts the `opts.workers` workers of a stage. `prepare(worker, stage)` runs
    /// here, on the thread starting the run, with the worker's copy of `stage` (see
    /// the module docs), and gives what worker `worker` owns (its sink) and the code
    /// it runs on its own thread.
    pub(crate) fn workers<R, S, B>(
        &mut self,
        opts: &Options,
        counters: &Arc<StageCounters>,
        stage: R,
        mut prepare: impl FnMut(usize, R) -> (S, B),
    ) -> Result<(), Error>
    where
        R: Replicate,
        S: Sink,
        B: FnOnce(&mut S) -> Result<(), BoxError> + Send + 'static,
    {
        let mut stage = Some(stage);
        for worker in 0..opts.workers {
            let (sink, body) = panic::catch_unwind(AssertUnwindSafe(|| {
                let copy = match worker + 1 == opts.workers {
                    true => stage.take(),
                    false => stage.as_ref().and_then(Replicate::replicate),
                };
                copy.map(|copy| prepare(worker, copy))
            }))
            .map_err(|payload| Error::panicked(&opts.name, worker, payload))?
            .ok_or_else(|| Error::invalid(&opts.name, cannot_copy(opts.workers)))?;
            self.spawn(opts, counters, worker, sink, body)?;
        }
        Ok(())
    }

    /// Starts worker `worker` of a stage on its own thread, with its sink and code.
    pub(crate) fn spawn<S, B>(
        &mut self,
        opts: &Options,
        counters: &Arc<StageCounters>,
        worker: usize,
        sink: S,
        body: B,
    ) -> Result<(), Error>
    where
        S: Sink,
        B: FnOnce(&mut S) -> Result<(), BoxError> + Send + 'static,
    {
        let control = Arc::clone(&self.control);
        let counters = Arc::clone(counters);
        let stage = opts.name.clone();
        let thread = thread::Builder::new()
            .name(format!("{stage}#{worker}"))
            .spawn(move || {
                crate::slice::shorten();
                let _running = Running::start();
                run(&stage, worker, &control, &counters, sink, body)
            })
            .map_err(|e| Error::spawn(&opts.name, e))?;
        self.threads.push(thread);
        Ok(())
    }
}

/// Why a stage that cannot be copied cannot run on `workers` workers.
fn cannot_copy(workers: usize) -> String {
    format!(
        "an argument of this stage is not `Clone`, so the stage cannot run on {workers} workers: \
         give it one worker, or take the parameter as `&T`, or pass the argument as \
         `pipeline::per_worker(..)`"
    )
}

/// One worker's thread, from start to end (see the module docs).
fn run<S: Sink>(
    stage: &str,
    worker: usize,
    control: &Arc<Control>,
    counters: &StageCounters,
    mut sink: S,
    body: impl FnOnce(&mut S) -> Result<(), BoxError>,
) {
    #[cfg(feature = "tracing")]
    let _span = tracing::info_span!("stage", stage = %stage, worker).entered();
    #[cfg(feature = "tracing")]
    tracing::debug!("worker started");
    let watch = Watch {
        worker,
        stop: sink.stop_when(control),
    };
    WATCH.with(|w| *w.borrow_mut() = Some(watch));
    counters.started(worker);
    let result = panic::catch_unwind(AssertUnwindSafe(|| body(&mut sink)));
    let watch = WATCH.with(|w| w.borrow_mut().take()).expect("set above");
    let outcome = match result {
        // Code that returns when a push fails (`feed`) ends normally on a stop.
        Ok(Ok(())) if watch.stop.now() => Outcome::Stopped,
        Ok(Ok(())) => Outcome::Finished,
        Ok(Err(error)) => Outcome::Failed(Error::failed(stage, worker, error)),
        Err(payload) if payload.is::<Stopped>() => Outcome::Stopped,
        Err(payload) => Outcome::Failed(Error::panicked(stage, worker, payload)),
    };
    let stopped = matches!(outcome, Outcome::Stopped);
    match outcome {
        Outcome::Finished => {
            #[cfg(feature = "tracing")]
            tracing::debug!("worker finished");
        }
        Outcome::Failed(error) => {
            #[cfg(feature = "tracing")]
            let message = error.to_string();
            control.fail(error);
            sink.discard();
            #[cfg(feature = "tracing")]
            tracing::error!(error = %message, "worker failed");
        }
        Outcome::Stopped => {
            // A producer stopped by a drain sends what it had: the rest runs on.
            if control.is_stopped() {
                sink.discard();
            }
            #[cfg(feature = "tracing")]
            tracing::debug!("worker stopped");
        }
    }
    counters.ended(worker, stopped);
    // Dropping the sink flushes a finished worker's last batch and leaves the queue; the
    // items it drops are user values, whose `Drop` may panic.
    if let Err(payload) = panic::catch_unwind(AssertUnwindSafe(move || drop(sink))) {
        control.fail(Error::panicked(stage, worker, payload));
    }
}

/// Joins every thread of a run.
pub(crate) fn join_all(threads: &mut Vec<JoinHandle<()>>) {
    for thread in threads.drain(..) {
        // `run` catches every panic of the code it runs; nothing is left to report.
        let _ = thread.join();
    }
}

/// The results of a stage's consumers, one slot per worker.
pub(crate) type Results<R> = Arc<std::sync::Mutex<Vec<Option<R>>>>;

/// Takes the consumers' results, in worker order; `None` if any is missing.
pub(crate) fn take_results<R>(results: &Results<R>) -> Option<Vec<R>> {
    std::mem::take(&mut *lock(results)).into_iter().collect()
}
