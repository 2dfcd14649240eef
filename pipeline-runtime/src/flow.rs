//! Building a pipeline stage by stage ([`Stream`], [`Pipeline`]) and running it
//! ([`Handle`], [`Iter`]).

use crate::control::{lock, Control};
use crate::graph::{Graph, Node, StageKind};
use crate::options::{Options, DEFAULT_BUFFER};
use crate::queue::{queue, shape};
use crate::stats::{Recorder, StageCounters, Stats, WorkerCounters};
use crate::{BoxError, Consume, Error, Input, MapItem, Output, Produce, Transform};
use std::collections::BTreeMap;
use std::fmt;
use std::panic::{self, AssertUnwindSafe};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

/// The threads of one run, as they are started, and their counters.
struct Launch {
    control: Arc<Control>,
    threads: Vec<JoinHandle<()>>,
    recorder: Arc<Recorder>,
}

impl Launch {
    fn new() -> Self {
        Self {
            control: Control::new(),
            threads: Vec::new(),
            recorder: Arc::new(Recorder::new()),
        }
    }

    /// Checks a stage's options and sets up its counters.
    fn stage(&self, id: usize, opts: &Options, reads: bool) -> Result<Arc<StageCounters>, Error> {
        opts.check()?;
        let queue_batches = if reads {
            shape(opts.buffer).1.max(1)
        } else {
            0
        };
        Ok(self.recorder.stage(id, opts.workers, queue_batches))
    }

    /// The input queue of a stage.
    fn queue<T>(&self, opts: &Options, stage: &Arc<StageCounters>) -> (Output<T>, Input<T>) {
        queue(opts.buffer, &self.control, Arc::clone(stage))
    }

    /// Starts worker `worker` of stage `opts` on a thread named `stage#worker`; a panic
    /// or `Err` in `body` fails the run with an error naming both.
    fn spawn<B>(
        &mut self,
        opts: &Options,
        counters: &Arc<StageCounters>,
        worker: usize,
        body: B,
    ) -> Result<(), Error>
    where
        B: FnOnce() -> Result<(), BoxError> + Send + 'static,
    {
        let control = Arc::clone(&self.control);
        let counters = Arc::clone(counters);
        let stage = opts.name.clone();
        let thread = thread::Builder::new()
            .name(format!("{stage}#{worker}"))
            .spawn(move || {
                #[cfg(feature = "tracing")]
                let _span = tracing::info_span!("stage", stage = %stage, worker).entered();
                #[cfg(feature = "tracing")]
                tracing::debug!("worker started");
                counters.started(worker);
                let result = panic::catch_unwind(AssertUnwindSafe(body));
                counters.ended(worker);
                let error = match result {
                    Ok(Ok(())) => None,
                    Ok(Err(error)) => Some(Error::failed(&stage, worker, error)),
                    Err(payload) => Some(Error::panicked(&stage, worker, payload)),
                };
                #[cfg(feature = "tracing")]
                match &error {
                    None if control.is_stopped() => tracing::debug!("worker stopped"),
                    None => tracing::debug!("worker finished"),
                    Some(error) => tracing::error!(%error, "worker failed"),
                }
                if let Some(error) = error {
                    control.fail(error);
                }
            })
            .map_err(|e| Error::spawn(&opts.name, e))?;
        self.threads.push(thread);
        Ok(())
    }
}

fn node(id: usize, opts: &Options, kind: StageKind) -> Node {
    Node {
        id,
        name: opts.name.clone(),
        kind,
        workers: opts.workers,
        buffer: (kind != StageKind::Producer).then_some(opts.buffer),
        ordered: opts.ordered && kind == StageKind::Item && opts.workers > 1,
    }
}

fn join_all(threads: &mut Vec<JoinHandle<()>>) {
    for thread in threads.drain(..) {
        // Worker bodies catch their own panics; a thread can only fail here if
        // dropping its queues panicked, which the run's first error already covers.
        let _ = thread.join();
    }
}

type LaunchStream<T> = Box<dyn FnOnce(&mut Launch, Output<T>) -> Result<(), Error> + Send>;

/// A stream of `T` produced by some stages, not yet connected to what reads it.
///
/// Add stages with [`transform`](Self::transform) and [`map`](Self::map), end it
/// with [`consume`](Self::consume), or iterate over it on the calling thread
/// (`Stream` is `IntoIterator<Item = Result<T, Error>>`).
pub struct Stream<T> {
    launch: LaunchStream<T>,
    graph: Graph,
    /// The stages whose outputs make up this stream.
    tails: Vec<usize>,
    /// Whether this stream is one branch of a broadcast.
    branch: bool,
}

impl<T> fmt::Debug for Stream<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Stream(..)")
    }
}

impl<T: Send + 'static> Stream<T> {
    /// A stream yielded by `opts.workers` producer workers, each running its own clone of `p`.
    pub fn produce<P: Produce<Item = T>>(opts: Options, p: P) -> Self {
        let id = Graph::new_id();
        let mut graph = Graph::default();
        graph.add(node(id, &opts, StageKind::Producer), &[], false);
        Self {
            launch: Box::new(move |launch, out| {
                let counters = launch.stage(id, &opts, false)?;
                for worker in 0..opts.workers {
                    let p = p.clone();
                    let mut out = out.for_worker(&counters, worker).of_producer();
                    launch.spawn(&opts, &counters, worker, move || p.produce(&mut out))?;
                }
                Ok(())
            }),
            graph,
            tails: vec![id],
            branch: false,
        }
    }

    /// The stages so far and the queues between them ([`Graph::to_dot`] draws them).
    pub fn graph(&self) -> &Graph {
        &self.graph
    }

    /// The graph after adding a stage of `kind` fed by this stream.
    fn then_graph(&self, id: usize, opts: &Options, kind: StageKind) -> Graph {
        let mut graph = self.graph.clone();
        graph.add(node(id, opts, kind), &self.tails, self.branch);
        graph
    }

    /// Fan-in: one stream of the items of both, in whatever order they come.
    pub fn merge(self, other: Stream<T>) -> Self {
        let graph = self.graph.union(&other.graph);
        let tails = [self.tails, other.tails].concat();
        let (first, second) = (self.launch, other.launch);
        Self {
            launch: Box::new(move |launch, out| {
                first(launch, out.clone())?;
                second(launch, out)
            }),
            graph,
            tails,
            branch: self.branch || other.branch,
        }
    }

    /// Runs a stream-form stage: each worker maps its share of this stream.
    pub fn transform<S: Transform<In = T>>(self, opts: Options, stage: S) -> Stream<S::Out> {
        let id = Graph::new_id();
        let graph = self.then_graph(id, &opts, StageKind::Stream);
        let upstream_launch = self.launch;
        Stream {
            launch: Box::new(move |launch, out| {
                let counters = launch.stage(id, &opts, true)?;
                let (upstream, input) = launch.queue(&opts, &counters);
                upstream_launch(launch, upstream)?;
                for worker in 0..opts.workers {
                    let stage = stage.clone();
                    let input = input.for_worker(worker);
                    let mut out = out.for_worker(&counters, worker);
                    launch.spawn(&opts, &counters, worker, move || {
                        stage.transform(input, &mut out)
                    })?;
                }
                Ok(())
            }),
            graph,
            tails: vec![id],
            branch: false,
        }
    }

    /// Runs an item-form stage; with `opts.ordered` and several workers, outputs keep
    /// the input order, through a reorder window of bounded size.
    pub fn map<M: MapItem<In = T>>(self, opts: Options, stage: M) -> Stream<M::Out> {
        let id = Graph::new_id();
        let graph = self.then_graph(id, &opts, StageKind::Item);
        let upstream_launch = self.launch;
        Stream {
            launch: Box::new(move |launch, out| {
                let counters = launch.stage(id, &opts, true)?;
                let (upstream, input) = launch.queue(&opts, &counters);
                upstream_launch(launch, upstream)?;
                let in_order = (opts.ordered && opts.workers > 1).then(|| {
                    let control = Arc::clone(&launch.control);
                    let shared_out = out.for_worker(&counters, 0);
                    Arc::new(InOrder::new(
                        input.shared(),
                        shared_out,
                        control,
                        opts.workers,
                    ))
                });
                for worker in 0..opts.workers {
                    let mut stage = stage.clone();
                    match &in_order {
                        Some(in_order) => {
                            let in_order = Arc::clone(in_order);
                            let tally = Arc::clone(&counters);
                            launch.spawn(&opts, &counters, worker, move || {
                                in_order.run(&mut stage, tally.worker(worker))
                            })?;
                        }
                        None => {
                            let input = input.for_worker(worker);
                            let mut out = out.for_worker(&counters, worker);
                            launch.spawn(&opts, &counters, worker, move || {
                                map_all(input, &mut stage, &mut out)
                            })?;
                        }
                    }
                }
                Ok(())
            }),
            graph,
            tails: vec![id],
            branch: false,
        }
    }

    /// Ends the stream in a consumer with one worker; the run's result is its value.
    ///
    /// Fails the run if `opts` asks for more than one worker: use
    /// [`consume_each`](Self::consume_each) for that.
    pub fn consume<C: Consume<In = T>>(self, opts: Options, consumer: C) -> Pipeline<C::Output> {
        if opts.workers > 1 {
            let reason = format!(
                "a consumer with {} workers returns one value per worker: give its #[consumer] attribute a `workers` option (or build it with `consume_each`)",
                opts.workers
            );
            let id = Graph::new_id();
            return Pipeline {
                graph: self.then_graph(id, &opts, StageKind::Consumer),
                launch: Box::new(move |_| Err(Error::invalid(&opts.name, reason))),
            };
        }
        let each = self.consume_each(opts, consumer);
        Pipeline {
            launch: Box::new(move |launch| {
                let collect = (each.launch)(launch)?;
                Ok(Box::new(move || collect()?.pop()))
            }),
            graph: each.graph,
        }
    }

    /// Ends the stream in a consumer with `opts.workers` workers; the run's result is
    /// their values, in worker order.
    pub fn consume_each<C: Consume<In = T>>(
        self,
        opts: Options,
        consumer: C,
    ) -> Pipeline<Vec<C::Output>> {
        let id = Graph::new_id();
        let graph = self.then_graph(id, &opts, StageKind::Consumer);
        let upstream_launch = self.launch;
        Pipeline {
            launch: Box::new(move |launch| {
                let counters = launch.stage(id, &opts, true)?;
                let (upstream, input) = launch.queue(&opts, &counters);
                upstream_launch(launch, upstream)?;
                let results: Arc<Mutex<Vec<Option<C::Output>>>> =
                    Arc::new(Mutex::new((0..opts.workers).map(|_| None).collect()));
                for worker in 0..opts.workers {
                    let consumer = consumer.clone();
                    let input = input.for_worker(worker);
                    let results = Arc::clone(&results);
                    launch.spawn(&opts, &counters, worker, move || {
                        let value = consumer.consume(input)?;
                        lock(&results)[worker] = Some(value);
                        Ok(())
                    })?;
                }
                Ok(Box::new(move || {
                    std::mem::take(&mut *lock(&results)).into_iter().collect()
                }))
            }),
            graph,
        }
    }

    /// Broadcast: `N` streams that each get every item of this one (cloned).
    ///
    /// A branch that finishes early stops getting items; the others go on.
    pub fn broadcast<const N: usize>(self) -> [Stream<T>; N]
    where
        T: Clone,
    {
        struct Tee<T> {
            upstream: Option<LaunchStream<T>>,
            outputs: Vec<Output<T>>,
        }
        let (graph, tails) = (self.graph, self.tails);
        let tee = Arc::new(Mutex::new(Tee {
            upstream: Some(self.launch),
            outputs: Vec::new(),
        }));
        std::array::from_fn(|_| {
            let tee = Arc::clone(&tee);
            Stream {
                launch: Box::new(move |launch, out| {
                    let mut tee = lock(&tee);
                    tee.outputs.push(out);
                    if tee.outputs.len() < N {
                        return Ok(());
                    }
                    let outputs = std::mem::take(&mut tee.outputs);
                    match tee.upstream.take() {
                        Some(upstream) => {
                            drop(tee);
                            let out = Output::broadcast(outputs, Arc::clone(&launch.control));
                            upstream(launch, out)
                        }
                        None => Ok(()),
                    }
                }),
                graph: graph.clone(),
                tails: tails.clone(),
                branch: true,
            }
        })
    }
}

fn map_all<M: MapItem>(
    input: Input<M::In>,
    stage: &mut M,
    out: &mut Output<M::Out>,
) -> Result<(), BoxError> {
    for item in input {
        if let Some(mapped) = stage.map(item)? {
            if out.push(mapped).is_err() {
                break;
            }
        }
    }
    Ok(())
}

/// An ordered item-form stage: batches are numbered as workers take them, and their
/// results leave in that order, through one output shared by the workers. At most
/// `window` numbers are handed out beyond the oldest batch still in flight, which
/// bounds the results held back.
struct InOrder<T, U> {
    taker: Mutex<(Input<T>, u64)>,
    reorder: Mutex<Reorder<U>>,
    advanced: Condvar,
    control: Arc<Control>,
    window: u64,
}

struct Reorder<U> {
    next: u64,
    done: BTreeMap<u64, Vec<U>>,
    out: Output<U>,
    /// Workers waiting for the window to move: only then is there anyone to notify.
    waiting: usize,
}

impl<T, U> InOrder<T, U> {
    fn new(input: Input<T>, out: Output<U>, control: Arc<Control>, workers: usize) -> Self {
        Self {
            taker: Mutex::new((input, 0)),
            reorder: Mutex::new(Reorder {
                next: 0,
                done: BTreeMap::new(),
                out,
                waiting: 0,
            }),
            advanced: Condvar::new(),
            control,
            window: 2 * workers as u64,
        }
    }

    fn run<M: MapItem<In = T, Out = U>>(
        &self,
        stage: &mut M,
        counters: &WorkerCounters,
    ) -> Result<(), BoxError> {
        loop {
            let waiting = Instant::now();
            let taken = {
                let mut taker = lock(&self.taker);
                taker.0.next_batch().map(|batch| {
                    taker.1 += 1;
                    (taker.1 - 1, batch)
                })
            };
            counters.waited_for_input(waiting);
            let Some((seq, batch)) = taken else {
                return Ok(());
            };
            counters.received(batch.len());
            if !self.wait_for_window(seq) {
                return Ok(());
            }
            let mut mapped = Vec::with_capacity(batch.len());
            for item in batch {
                if self.control.is_stopped() {
                    return Ok(());
                }
                mapped.extend(stage.map(item)?);
            }
            let mut reorder = lock(&self.reorder);
            reorder.done.insert(seq, mapped);
            loop {
                let next = reorder.next;
                let Some(ready) = reorder.done.remove(&next) else {
                    break;
                };
                reorder.next += 1;
                for item in ready {
                    if reorder.out.push(item).is_err() {
                        return Ok(());
                    }
                }
            }
            if reorder.waiting > 0 {
                self.advanced.notify_all();
            }
        }
    }

    /// Waits until `seq` is inside the window; false if the run stopped meanwhile.
    fn wait_for_window(&self, seq: u64) -> bool {
        let mut reorder = lock(&self.reorder);
        while seq >= reorder.next + self.window {
            if self.control.is_stopped() {
                return false;
            }
            // The worker holding `reorder.next` never waits here, so this ends; the
            // timeout only lets a stopped run be noticed.
            reorder.waiting += 1;
            reorder = self
                .advanced
                .wait_timeout(reorder, Duration::from_millis(10))
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .0;
            reorder.waiting -= 1;
        }
        true
    }
}

type Collect<Out> = Box<dyn FnOnce() -> Option<Out> + Send>;
type LaunchPipeline<Out> = Box<dyn FnOnce(&mut Launch) -> Result<Collect<Out>, Error> + Send>;

/// A complete pipeline, ending in consumers, ready to [`run`](Self::run) or
/// [`spawn`](Self::spawn); its result is `Out`.
pub struct Pipeline<Out> {
    launch: LaunchPipeline<Out>,
    graph: Graph,
}

impl<Out> fmt::Debug for Pipeline<Out> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Pipeline(..)")
    }
}

impl<Out: Send + 'static> Pipeline<Out> {
    /// Runs every stage on its own threads, waits for all of them, and returns the
    /// consumers' result or the first failure.
    pub fn run(self) -> Result<Out, Error> {
        self.spawn().join()
    }

    /// [`run`](Self::run), and what every stage did: print it for a table that names
    /// the bottleneck.
    pub fn run_with_stats(self) -> (Result<Out, Error>, Stats) {
        self.spawn().join_with_stats()
    }

    /// The stages and the queues between them.
    pub fn graph(&self) -> &Graph {
        &self.graph
    }

    /// The graph in Graphviz DOT.
    pub fn to_dot(&self) -> String {
        self.graph.to_dot()
    }

    /// The graph as a Mermaid flowchart.
    pub fn to_mermaid(&self) -> String {
        self.graph.to_mermaid()
    }

    /// Starts every stage on its own threads and returns at once.
    pub fn spawn(self) -> Handle<Out> {
        let mut launch = Launch::new();
        let collect = match (self.launch)(&mut launch) {
            Ok(collect) => Some(collect),
            Err(error) => {
                launch.control.fail(error);
                None
            }
        };
        Handle {
            control: launch.control,
            threads: launch.threads,
            collect,
            recorder: launch.recorder,
            graph: self.graph,
        }
    }
}

/// Pipelines that can run side by side as one, their results in a tuple: tuples of
/// up to eight [`Pipeline`]s. Broadcast branches are joined this way.
pub trait Join {
    /// The tuple of results.
    type Output: Send + 'static;
    /// One pipeline that runs them all.
    fn join(self) -> Pipeline<Self::Output>;
}

macro_rules! join_tuple {
    ($($P:ident $i:tt),+) => {
        impl<$($P: Send + 'static),+> Join for ($(Pipeline<$P>,)+) {
            type Output = ($($P,)+);
            fn join(self) -> Pipeline<Self::Output> {
                let graph = Graph::default()$(.union(&self.$i.graph))+;
                Pipeline {
                    launch: Box::new(move |launch| {
                        let collect = ($((self.$i.launch)(launch)?,)+);
                        Ok(Box::new(move || Some(($((collect.$i)()?,)+))))
                    }),
                    graph,
                }
            }
        }
    };
}

join_tuple!(A 0, B 1);
join_tuple!(A 0, B 1, C 2);
join_tuple!(A 0, B 1, C 2, D 3);
join_tuple!(A 0, B 1, C 2, D 3, E 4);
join_tuple!(A 0, B 1, C 2, D 3, E 4, F 5);
join_tuple!(A 0, B 1, C 2, D 3, E 4, F 5, G 6);
join_tuple!(A 0, B 1, C 2, D 3, E 4, F 5, G 6, H 7);

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
