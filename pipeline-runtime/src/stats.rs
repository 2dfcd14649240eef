//! Per-stage counters, cheap enough to be always on (workers add to them once per
//! batch, and read the clock only around waits), and the report built from them.

use crate::graph::{Graph, StageKind};
use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// What one worker has done so far; written by that worker only.
#[derive(Default)]
pub(crate) struct WorkerCounters {
    items_in: AtomicU64,
    items_out: AtomicU64,
    wait_in_ns: AtomicU64,
    wait_out_ns: AtomicU64,
    /// Nanoseconds from the run's start, plus one; 0 while not started or running.
    started: AtomicU64,
    ended: AtomicU64,
    stopped: AtomicBool,
}

impl WorkerCounters {
    pub(crate) fn received(&self, items: usize) {
        self.items_in.fetch_add(items as u64, Relaxed);
    }

    pub(crate) fn sent(&self, items: usize) {
        self.items_out.fetch_add(items as u64, Relaxed);
    }

    pub(crate) fn waited_for_input(&self, since: Instant) {
        self.wait_in_ns
            .fetch_add(since.elapsed().as_nanos() as u64, Relaxed);
    }

    pub(crate) fn blocked_on_output(&self, since: Instant) {
        self.wait_out_ns
            .fetch_add(since.elapsed().as_nanos() as u64, Relaxed);
    }
}

/// How full a stage's input queue is, sampled at every batch sent into it.
#[derive(Default)]
pub(crate) struct QueueCounters {
    sends: AtomicU64,
    queued_batches: AtomicU64,
    found_full: AtomicU64,
}

impl QueueCounters {
    pub(crate) fn sample(&self, queued_batches: usize, full: bool) {
        self.sends.fetch_add(1, Relaxed);
        self.queued_batches
            .fetch_add(queued_batches as u64, Relaxed);
        if full {
            self.found_full.fetch_add(1, Relaxed);
        }
    }
}

/// What an isolated stage's children did: restarts and skipped items. Written once
/// per crash, so a lock is cheap enough.
#[derive(Default)]
struct Crashes {
    restarts: u64,
    skipped: Vec<Skipped>,
}

/// The counters of one stage.
pub(crate) struct StageCounters {
    id: usize,
    workers: Vec<WorkerCounters>,
    crashes: Mutex<Crashes>,
    /// A remote stage's workers' counters, read from the broker as it ends.
    #[cfg(feature = "redis")]
    remote: Mutex<Option<crate::RemoteStats>>,
    queue: QueueCounters,
    /// Capacity of the input queue in batches; 0 for a producer.
    queue_batches: usize,
    clock: Instant,
}

impl StageCounters {
    pub(crate) fn worker(&self, index: usize) -> &WorkerCounters {
        &self.workers[index]
    }

    /// The stage's [`Node::id`](crate::Node::id).
    #[cfg_attr(not(feature = "redis"), allow(dead_code))]
    pub(crate) fn id(&self) -> usize {
        self.id
    }

    pub(crate) fn queue(&self) -> &QueueCounters {
        &self.queue
    }

    /// What a remote stage's worker processes did.
    #[cfg(feature = "redis")]
    pub(crate) fn remote(&self, stats: crate::RemoteStats) {
        *crate::control::lock(&self.remote) = Some(stats);
    }

    /// An isolated worker's child died between items, and another took its place.
    #[cfg(feature = "isolate")]
    pub(crate) fn restarted(&self) {
        crate::control::lock(&self.crashes).restarts += 1;
    }

    /// An isolated worker skipped an item its child crashed on, and started another.
    #[cfg(feature = "isolate")]
    pub(crate) fn skipped(&self, worker: usize, crash: &crate::isolate::Crash) {
        let mut crashes = crate::control::lock(&self.crashes);
        crashes.restarts += 1;
        crashes.skipped.push(Skipped {
            worker,
            crash: crash.clone(),
        });
    }

    pub(crate) fn started(&self, worker: usize) {
        let at = self.clock.elapsed().as_nanos() as u64 + 1;
        self.workers[worker].started.store(at, Relaxed);
    }

    /// Worker `worker` ended; `stopped` if the run stopped it before its input ended.
    pub(crate) fn ended(&self, worker: usize, stopped: bool) {
        let at = self.clock.elapsed().as_nanos() as u64 + 1;
        self.workers[worker].stopped.store(stopped, Relaxed);
        self.workers[worker].ended.store(at, Relaxed);
    }
}

/// The counters of every stage of one run.
pub(crate) struct Recorder {
    clock: Instant,
    stages: Mutex<Vec<Arc<StageCounters>>>,
}

impl Recorder {
    pub(crate) fn new() -> Self {
        Self {
            clock: Instant::now(),
            stages: Mutex::new(Vec::new()),
        }
    }

    pub(crate) fn stage(
        &self,
        id: usize,
        workers: usize,
        queue_batches: usize,
    ) -> Arc<StageCounters> {
        let stage = Arc::new(StageCounters {
            id,
            workers: (0..workers).map(|_| WorkerCounters::default()).collect(),
            crashes: Mutex::default(),
            #[cfg(feature = "redis")]
            remote: Mutex::default(),
            queue: QueueCounters::default(),
            queue_batches,
            clock: self.clock,
        });
        crate::control::lock(&self.stages).push(Arc::clone(&stage));
        stage
    }

    /// Counters for a reader that is no stage (the caller iterating), not reported.
    pub(crate) fn detached(&self) -> Arc<StageCounters> {
        Arc::new(StageCounters {
            id: usize::MAX,
            workers: Vec::new(),
            crashes: Mutex::default(),
            #[cfg(feature = "redis")]
            remote: Mutex::default(),
            queue: QueueCounters::default(),
            queue_batches: 0,
            clock: self.clock,
        })
    }

    /// What the counters say now, with names and kinds from `graph`.
    pub(crate) fn snapshot(&self, graph: &Graph) -> Stats {
        let now = self.clock.elapsed();
        let counters = crate::control::lock(&self.stages).clone();
        let stages = graph
            .nodes
            .iter()
            .filter_map(|node| {
                let c = counters.iter().find(|c| c.id == node.id)?;
                let workers: Vec<WorkerStats> =
                    c.workers.iter().map(|w| worker_stats(w, now)).collect();
                let sum = |f: fn(&WorkerStats) -> Duration| workers.iter().map(f).sum();
                let count = |f: fn(&WorkerStats) -> u64| workers.iter().map(f).sum();
                let sends = c.queue.sends.load(Relaxed);
                let crashes = crate::control::lock(&c.crashes);
                Some(StageStats {
                    #[cfg(feature = "redis")]
                    remote: crate::control::lock(&c.remote).clone(),
                    isolated: node.isolated,
                    restarts: crashes.restarts,
                    skipped: crashes.skipped.clone(),
                    id: c.id,
                    name: node.name.clone(),
                    kind: node.kind,
                    items_in: (node.kind != StageKind::Producer).then(|| count(|w| w.items_in)),
                    items_out: (node.kind != StageKind::Consumer).then(|| count(|w| w.items_out)),
                    busy: sum(|w| w.busy),
                    waiting_for_input: sum(|w| w.waiting_for_input),
                    blocked_on_output: sum(|w| w.blocked_on_output),
                    queue: (c.queue_batches > 0 && sends > 0).then(|| QueueStats {
                        mean_fill: c.queue.queued_batches.load(Relaxed) as f64
                            / sends as f64
                            / c.queue_batches as f64,
                        full: c.queue.found_full.load(Relaxed) as f64 / sends as f64,
                    }),
                    elapsed: now,
                    workers,
                })
            })
            .collect();
        Stats {
            elapsed: now,
            stages,
            graph: graph.clone(),
        }
    }
}

fn worker_stats(w: &WorkerCounters, now: Duration) -> WorkerStats {
    let at = |v: u64| (v > 0).then(|| Duration::from_nanos(v - 1));
    let started = at(w.started.load(Relaxed));
    let ended = at(w.ended.load(Relaxed));
    let lifetime = match started {
        Some(s) => ended.unwrap_or(now).saturating_sub(s),
        None => Duration::ZERO,
    };
    let waiting_for_input = Duration::from_nanos(w.wait_in_ns.load(Relaxed));
    let blocked_on_output = Duration::from_nanos(w.wait_out_ns.load(Relaxed));
    WorkerStats {
        items_in: w.items_in.load(Relaxed),
        items_out: w.items_out.load(Relaxed),
        busy: lifetime.saturating_sub(waiting_for_input + blocked_on_output),
        waiting_for_input,
        blocked_on_output,
        running: started.is_some() && ended.is_none(),
        stopped: w.stopped.load(Relaxed),
    }
}

/// What every stage of a run has done, live from [`Handle::stats`](crate::Handle::stats)
/// or at the end from [`Pipeline::run_with_stats`](crate::Pipeline::run_with_stats).
///
/// `Display` prints a table per stage and names the bottleneck.
#[derive(Debug, Clone)]
pub struct Stats {
    /// Time since the run started (or until it ended).
    pub elapsed: Duration,
    /// One entry per stage, upstream first.
    pub stages: Vec<StageStats>,
    graph: Graph,
}

/// One stage's totals over its workers, and each worker's own.
#[derive(Debug, Clone)]
pub struct StageStats {
    /// The [`Node::id`](crate::graph::Node::id) of the stage in the run's [`Graph`].
    pub id: usize,
    /// The stage's name.
    pub name: String,
    /// What kind of stage it is.
    pub kind: StageKind,
    /// Items taken from the input queue; `None` for a producer.
    pub items_in: Option<u64>,
    /// Items sent downstream; `None` for a consumer.
    pub items_out: Option<u64>,
    /// Time the workers spent running the stage's code, summed over workers.
    pub busy: Duration,
    /// Time the workers spent waiting for input, summed.
    pub waiting_for_input: Duration,
    /// Time the workers spent blocked on a full output queue, summed. For an
    /// `ordered` stage, also the time its workers waited for earlier results to go
    /// out first.
    pub blocked_on_output: Duration,
    /// How full the stage's input queue was; `None` for a producer, or before any item.
    pub queue: Option<QueueStats>,
    /// Time since the run started, the span the fractions below are of.
    pub elapsed: Duration,
    /// Each worker's own numbers, by worker index.
    pub workers: Vec<WorkerStats>,
    /// Whether its workers run in child processes (an isolated stage).
    pub isolated: bool,
    /// How many times an isolated stage started a new child in place of one that
    /// died (0 for any other stage).
    pub restarts: u64,
    /// The items an isolated stage with `on_crash = skip` dropped, and why.
    pub skipped: Vec<Skipped>,
    /// What a remote stage's worker processes did, once the stage has ended; `None`
    /// for any other stage, and for a remote stage run without a broker.
    #[cfg(feature = "redis")]
    pub remote: Option<crate::RemoteStats>,
}

/// An item an isolated stage skipped because its child process crashed on it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Skipped {
    /// The worker whose child crashed.
    pub worker: usize,
    /// Where and why (with the `isolate` feature, a [`Crash`](crate::Crash)).
    #[cfg(feature = "isolate")]
    pub crash: crate::isolate::Crash,
}

impl StageStats {
    /// Busy time over the run's time and the stage's workers: 1.0 when every worker
    /// ran the stage's code all along.
    pub fn busy_fraction(&self) -> f64 {
        self.fraction(self.busy)
    }

    /// Like [`busy_fraction`](Self::busy_fraction), for time spent waiting for input.
    pub fn waiting_fraction(&self) -> f64 {
        self.fraction(self.waiting_for_input)
    }

    /// Like [`busy_fraction`](Self::busy_fraction), for time blocked on a full output queue.
    pub fn blocked_fraction(&self) -> f64 {
        self.fraction(self.blocked_on_output)
    }

    fn fraction(&self, part: Duration) -> f64 {
        let whole = self.elapsed.as_secs_f64() * self.workers.len().max(1) as f64;
        if whole > 0.0 {
            (part.as_secs_f64() / whole).min(1.0)
        } else {
            0.0
        }
    }
}

/// One worker's numbers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkerStats {
    /// Items taken from the input queue.
    pub items_in: u64,
    /// Items sent downstream.
    pub items_out: u64,
    /// Time running the stage's code.
    pub busy: Duration,
    /// Time waiting for input.
    pub waiting_for_input: Duration,
    /// Time blocked on a full output queue (in an `ordered` stage, also waiting for
    /// earlier results to go out first).
    pub blocked_on_output: Duration,
    /// Whether the worker is still running.
    pub running: bool,
    /// Whether the run stopped the worker before its input ended: a failure
    /// elsewhere, a cancel, or every reader of its output gone. A stop is not a
    /// failure: the run's error names the worker that failed.
    pub stopped: bool,
}

/// How full a stage's input queue was, sampled each time a batch was sent into it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct QueueStats {
    /// Mean occupancy, from 0.0 (always empty) to 1.0 (always full).
    pub mean_fill: f64,
    /// The share of sends that found the queue full and had to wait.
    pub full: f64,
}

impl Stats {
    /// The stages and queues of the run.
    pub fn graph(&self) -> &Graph {
        &self.graph
    }

    /// The stage busy the largest share of the run's time: the one that more
    /// workers (or faster code) would speed up. `None` before any stage ran.
    pub fn bottleneck(&self) -> Option<&StageStats> {
        self.stages
            .iter()
            .filter(|s| s.busy > Duration::ZERO)
            .max_by(|a, b| a.busy_fraction().total_cmp(&b.busy_fraction()))
    }

    /// One sentence naming the bottleneck and why, as the report ends with.
    pub fn verdict(&self) -> String {
        let Some(s) = self.bottleneck() else {
            return "no stage has run yet".to_owned();
        };
        let busy = 100.0 * s.busy_fraction();
        let on = match s.workers.len() {
            1 => "1 worker".to_owned(),
            n => format!("{n} workers"),
        };
        if busy < 50.0 {
            return format!(
                "no stage is the limit: the busiest, `{}`, is busy {busy:.0}% on {on}",
                s.name
            );
        }
        let full = s.queue.map(|q| 100.0 * q.full).unwrap_or(0.0);
        match s.kind {
            StageKind::Producer => {
                let waiting = self
                    .stages
                    .iter()
                    .filter(|t| t.kind != StageKind::Producer)
                    .map(|t| 100.0 * t.waiting_fraction())
                    .fold(f64::NAN, f64::min);
                let waiting = if waiting.is_nan() { 0.0 } else { waiting };
                format!(
                    "the producer `{}` is the limit: busy {busy:.0}% on {on}; every later stage waits for input at least {waiting:.0}% of the time",
                    s.name
                )
            }
            StageKind::Consumer => format!(
                "the consumer `{}` is the limit: busy {busy:.0}% on {on}; its input queue is full {full:.0}% of the time",
                s.name
            ),
            _ => format!(
                "`{}` is the bottleneck: busy {busy:.0}% on {on}; its input queue is full {full:.0}% of the time",
                s.name
            ),
        }
    }

    /// The run's graph in Graphviz DOT, each stage labelled with its numbers.
    pub fn to_dot(&self) -> String {
        self.graph.dot(Some(self))
    }

    /// The run's graph as a Mermaid flowchart, each stage labelled with its numbers.
    pub fn to_mermaid(&self) -> String {
        self.graph.mermaid(Some(self))
    }
}

fn percent(f: f64) -> String {
    format!("{:.0}%", 100.0 * f)
}

impl fmt::Display for Stats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let width = self
            .stages
            .iter()
            .map(|s| s.name.len())
            .max()
            .unwrap_or(5)
            .max(5);
        writeln!(
            f,
            "{:<width$}  {:>7}  {:>10}  {:>10}  {:>5}  {:>8}  {:>8}  {:>10}  {:>10}",
            "stage",
            "workers",
            "in",
            "out",
            "busy",
            "wait in",
            "wait out",
            "queue fill",
            "queue full"
        )?;
        let opt = |v: Option<u64>| v.map_or_else(|| "-".to_owned(), |n| n.to_string());
        for s in &self.stages {
            let (fill, full) = match (s.kind, s.queue) {
                (StageKind::Producer, _) => ("-".to_owned(), "-".to_owned()),
                (_, Some(q)) => (percent(q.mean_fill), percent(q.full)),
                (_, None) => ("0%".to_owned(), "0%".to_owned()),
            };
            let wait_in = match s.kind {
                StageKind::Producer => "-".to_owned(),
                _ => percent(s.waiting_fraction()),
            };
            let wait_out = match s.kind {
                StageKind::Consumer => "-".to_owned(),
                _ => percent(s.blocked_fraction()),
            };
            writeln!(
                f,
                "{:<width$}  {:>7}  {:>10}  {:>10}  {:>5}  {:>8}  {:>8}  {:>10}  {:>10}",
                s.name,
                s.workers.len(),
                opt(s.items_in),
                opt(s.items_out),
                percent(s.busy_fraction()),
                wait_in,
                wait_out,
                fill,
                full
            )?;
        }
        for s in self.stages.iter().filter(|s| s.isolated && s.restarts > 0) {
            let plural = |n: usize, one: &str, many: &str| match n {
                1 => format!("1 {one}"),
                n => format!("{n} {many}"),
            };
            writeln!(
                f,
                "{}: {} restarted, {} skipped",
                s.name,
                plural(s.restarts as usize, "worker process", "worker processes"),
                plural(s.skipped.len(), "item", "items")
            )?;
            #[cfg(feature = "isolate")]
            for skip in &s.skipped {
                writeln!(f, "  worker {}: {}", skip.worker, skip.crash)?;
            }
        }
        #[cfg(feature = "redis")]
        for s in &self.stages {
            if let Some(remote) = &s.remote {
                let by: Vec<String> = remote
                    .items_by_process
                    .iter()
                    .map(|(process, n)| format!("{process} {n}"))
                    .collect();
                writeln!(
                    f,
                    "{}: items by worker process: {}; {} batches reclaimed; {} broker round trips",
                    s.name,
                    if by.is_empty() {
                        "none".to_owned()
                    } else {
                        by.join(", ")
                    },
                    remote.reclaimed_batches,
                    remote.round_trips
                )?;
            }
        }
        write!(f, "{} ({:.2?})", self.verdict(), self.elapsed)
    }
}
