//! Building a pipeline stage by stage: a [`Stream`] of items not yet read, a
//! [`Pipeline`] that ends in consumers. Nothing runs until the pipeline is run: each
//! stage is a launch function that starts its workers (see [`worker`](crate::worker))
//! and then those of the stages upstream.

use crate::control::lock;
use crate::graph::{Graph, Node, StageKind};
use crate::handle::{Collect, Handle};
use crate::options::Options;
use crate::ordered::InOrder;
use crate::stats::StageCounters;
use crate::worker::{take_results, Launch, Results};
use crate::{BoxError, Consume, Error, Input, ItemStage, MapItem, Output, Produce, Transform};
use std::fmt;
use std::sync::{Arc, Mutex};

fn node(id: usize, opts: &Options, kind: StageKind) -> Node {
    Node {
        id,
        name: opts.name.clone(),
        kind,
        workers: opts.workers,
        buffer: (kind != StageKind::Producer).then_some(opts.buffer),
        ordered: opts.ordered && kind == StageKind::Item && opts.workers > 1,
        isolated: opts.isolated,
        remote: opts.remote,
    }
}

pub(crate) type LaunchStream<T> =
    Box<dyn FnOnce(&mut Launch, Output<T>) -> Result<(), Error> + Send>;

/// A stream of `T` produced by some stages, not yet connected to what reads it.
///
/// Add stages with [`transform`](Self::transform) and [`map`](Self::map), end it
/// with [`consume`](Self::consume), or iterate over it on the calling thread
/// (`Stream` is `IntoIterator<Item = Result<T, Error>>`).
pub struct Stream<T> {
    pub(crate) launch: LaunchStream<T>,
    pub(crate) graph: Graph,
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
    /// A stream yielded by `opts.workers` producer workers, each running its own copy
    /// of `p` (the last one `p` itself: see [`Replicate`](crate::Replicate)).
    pub fn produce<P: Produce<Item = T>>(opts: Options, p: P) -> Self {
        let id = Graph::new_id();
        let mut graph = Graph::default();
        graph.add(node(id, &opts, StageKind::Producer), &[], false);
        Self {
            launch: Box::new(move |launch, out| {
                let counters = launch.stage(id, &opts, false)?;
                launch.workers(&opts, &counters, p, |worker, p| {
                    let out = out.for_producer(&counters, worker);
                    (out, move |out: &mut Output<T>| p.produce(out))
                })
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

    /// The stream out of a stage of `kind` that reads this one: once the stages
    /// upstream have started, `start` gets the stage's counters, its input queue and
    /// where its items go, and starts its workers.
    pub(crate) fn then_stage<U: Send + 'static>(
        self,
        opts: Options,
        kind: StageKind,
        start: impl FnOnce(
                &mut Launch,
                &Options,
                Arc<StageCounters>,
                Input<T>,
                Output<U>,
            ) -> Result<(), Error>
            + Send
            + 'static,
    ) -> Stream<U> {
        let id = Graph::new_id();
        let graph = self.then_graph(id, &opts, kind);
        let upstream = self.launch;
        Stream {
            launch: Box::new(move |launch, out| {
                let (counters, input) = read(launch, id, &opts, upstream)?;
                start(launch, &opts, counters, input, out)
            }),
            graph,
            tails: vec![id],
            branch: false,
        }
    }

    /// Runs a stream-form stage: each worker maps its share of this stream.
    pub fn transform<S: Transform<In = T>>(self, opts: Options, stage: S) -> Stream<S::Out> {
        self.then_stage(
            opts,
            StageKind::Stream,
            move |launch, opts, counters, input, out| {
                start_transform(launch, opts, counters, input, out, stage)
            },
        )
    }

    /// Runs an item-form stage; with `opts.ordered` and several workers, outputs keep
    /// the input order, through a reorder window of bounded size.
    ///
    /// Each worker [starts](ItemStage::start) its copy of `stage` on its own thread.
    pub fn map<M: ItemStage<In = T>>(self, opts: Options, stage: M) -> Stream<M::Out> {
        self.then_stage(
            opts,
            StageKind::Item,
            move |launch, opts, counters, input, out| {
                start_map(launch, opts, counters, input, out, stage)
            },
        )
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
                #[cfg(feature = "redis")]
                broker: None,
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
            #[cfg(feature = "redis")]
            broker: None,
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
        let upstream = self.launch;
        Pipeline {
            launch: Box::new(move |launch| {
                let (counters, input) = read(launch, id, &opts, upstream)?;
                let results: Results<C::Output> =
                    Arc::new(Mutex::new((0..opts.workers).map(|_| None).collect()));
                launch.workers(&opts, &counters, consumer, |worker, consumer| {
                    let input = input.for_worker::<()>(worker, None);
                    let results = Arc::clone(&results);
                    ((), move |_: &mut ()| {
                        let value = consumer.consume(input)?;
                        lock(&results)[worker] = Some(value);
                        Ok(())
                    })
                })?;
                Ok(Box::new(move || take_results(&results)))
            }),
            graph,
            #[cfg(feature = "redis")]
            broker: None,
        }
    }

    /// Broadcast: `N` streams that each get every item of this one (cloned).
    ///
    /// A branch that finishes early stops getting items; the others go on. Every
    /// branch must be part of the same run: a run in which a branch is missing (run
    /// alone, or dropped) fails with an [`Error`] that says so.
    pub fn broadcast<const N: usize>(self) -> [Stream<T>; N]
    where
        T: Clone,
    {
        let (graph, tails) = (self.graph, self.tails);
        let name = graph
            .nodes
            .iter()
            .find(|n| Some(&n.id) == tails.first())
            .map_or_else(String::new, |n| n.name.clone());
        let tee = Arc::new(Mutex::new(Tee {
            upstream: Some(self.launch),
            outputs: Vec::new(),
            branches: N,
        }));
        std::array::from_fn(|_| {
            let tee = Arc::clone(&tee);
            let name = name.clone();
            Stream {
                launch: Box::new(move |launch, out| Tee::connect(&tee, &name, launch, out)),
                graph: graph.clone(),
                tails: tails.clone(),
                branch: true,
            }
        })
    }
}

/// The upstream of a broadcast, started once its last branch is connected.
struct Tee<T> {
    upstream: Option<LaunchStream<T>>,
    outputs: Vec<Output<T>>,
    branches: usize,
}

impl<T: Clone + Send + 'static> Tee<T> {
    fn connect(
        tee: &Arc<Mutex<Self>>,
        name: &str,
        launch: &mut Launch,
        out: Output<T>,
    ) -> Result<(), Error> {
        let mut this = lock(tee);
        this.outputs.push(out);
        if this.outputs.len() == 1 {
            let tee = Arc::clone(tee);
            let name = name.to_owned();
            launch.check_when_started(move || {
                let mut this = lock(&tee);
                match this.upstream.is_some() {
                    true => {
                        let connected = std::mem::take(&mut this.outputs).len();
                        Err(Error::invalid(
                            &name,
                            format!(
                                "a broadcast of {} branches ran with {connected} of them: every branch must be part of the same run",
                                this.branches
                            ),
                        ))
                    }
                    false => Ok(()),
                }
            });
        }
        if this.outputs.len() < this.branches {
            return Ok(());
        }
        let outputs = std::mem::take(&mut this.outputs);
        match this.upstream.take() {
            Some(upstream) => {
                drop(this);
                let out = Output::broadcast(outputs, Arc::clone(&launch.control));
                upstream(launch, out)
            }
            None => Ok(()),
        }
    }
}

/// Sets up stage `id`, which reads the stream `upstream` launches: its counters, its
/// input queue, and the stages upstream started.
fn read<T: Send + 'static>(
    launch: &mut Launch,
    id: usize,
    opts: &Options,
    upstream: LaunchStream<T>,
) -> Result<(Arc<StageCounters>, Input<T>), Error> {
    let counters = launch.stage(id, opts, true)?;
    let (upstream_out, input) = launch.queue(opts, &counters);
    upstream(launch, upstream_out)?;
    Ok((counters, input))
}

/// Starts the workers of a stream-form stage that reads `input` (see [`Stream::transform`]).
pub(crate) fn start_transform<S: Transform>(
    launch: &mut Launch,
    opts: &Options,
    counters: Arc<StageCounters>,
    input: Input<S::In>,
    out: Output<S::Out>,
    stage: S,
) -> Result<(), Error> {
    launch.workers(opts, &counters, stage, |worker, stage| {
        let out = out.for_worker(&counters, worker);
        let input = input.for_worker(worker, Some(&out));
        (out, move |out: &mut Output<S::Out>| {
            stage.transform(input, out)
        })
    })
}

/// Starts the workers of an item-form stage that reads `input` (see [`Stream::map`]).
pub(crate) fn start_map<M: ItemStage>(
    launch: &mut Launch,
    opts: &Options,
    counters: Arc<StageCounters>,
    input: Input<M::In>,
    out: Output<M::Out>,
    stage: M,
) -> Result<(), Error> {
    if opts.ordered && opts.workers > 1 {
        let shared_out = out.for_worker(&counters, 0);
        let input = input.shared(Some(&shared_out));
        let in_order = Arc::new(InOrder::new(input, shared_out, opts.workers, 1));
        return launch.workers(opts, &counters, stage, |worker, stage| {
            let counters = Arc::clone(&counters);
            (
                Arc::clone(&in_order),
                move |in_order: &mut Arc<InOrder<_, _>>| {
                    in_order.run(&mut stage.start(), worker, counters.worker(worker))
                },
            )
        });
    }
    launch.workers(opts, &counters, stage, |worker, stage| {
        let out = out.for_worker(&counters, worker);
        let input = input.for_worker(worker, Some(&out));
        (out, move |out: &mut Output<M::Out>| {
            map_all(input, &mut stage.start(), out)
        })
    })
}

fn map_all<M: MapItem>(
    input: Input<M::In>,
    stage: &mut M,
    out: &mut Output<M::Out>,
) -> Result<(), BoxError> {
    for item in input {
        if let Some(mapped) = stage.map(item)? {
            if out.push_after_next(mapped).is_err() {
                break;
            }
        }
    }
    Ok(())
}

type LaunchPipeline<Out> = Box<dyn FnOnce(&mut Launch) -> Result<Collect<Out>, Error> + Send>;

/// A complete pipeline, ending in consumers, ready to [`run`](Self::run) or
/// [`spawn`](Self::spawn); its result is `Out`.
pub struct Pipeline<Out> {
    launch: LaunchPipeline<Out>,
    graph: Graph,
    /// Where its remote stages run.
    #[cfg(feature = "redis")]
    broker: Option<Arc<crate::Redis>>,
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
    pub fn run_with_stats(self) -> (Result<Out, Error>, crate::Stats) {
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

    /// The same pipeline, its result passed through `f` once the run has succeeded.
    pub fn map_output<U: Send + 'static>(
        self,
        f: impl FnOnce(Out) -> U + Send + 'static,
    ) -> Pipeline<U> {
        let launch = self.launch;
        Pipeline {
            launch: Box::new(move |run| {
                let collect = launch(run)?;
                Ok(Box::new(move || collect().map(f)))
            }),
            graph: self.graph,
            #[cfg(feature = "redis")]
            broker: self.broker,
        }
    }

    /// Runs its remote stages (`#[stage(remote)]`, [`Stream::remote`]) on the worker
    /// processes that serve `broker`; without a broker they run locally, as any
    /// other stage.
    #[cfg(feature = "redis")]
    pub fn broker(mut self, broker: crate::Redis) -> Self {
        self.broker = Some(Arc::new(broker));
        self
    }

    /// Starts every stage on its own threads and returns at once.
    pub fn spawn(self) -> Handle<Out> {
        let mut launch = Launch::new();
        #[cfg(feature = "redis")]
        {
            launch.broker = self.broker.clone();
        }
        let collect = match (self.launch)(&mut launch) {
            Ok(collect) => Some(collect),
            Err(error) => {
                launch.control.fail(error);
                None
            }
        };
        launch.started();
        Handle::new(launch, collect, self.graph)
    }
}

/// Pipelines that can run side by side as one, their results in a tuple: tuples of
/// up to eight [`Pipeline`]s. `pipeline!` joins more by nesting them and flattening
/// the result with [`Pipeline::map_output`].
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
                    #[cfg(feature = "redis")]
                    broker: None,
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
