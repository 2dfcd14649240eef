//! An isolated stage in a pipeline: its workers, each a thread that owns one child
//! process at a time, and what they do when a child crashes.

use super::child::entry_of;
use super::process::{Ended, Process, Slot, StartError};
use super::proto::{self, Hello, Reply};
use super::{Isolation, OnCrash, Portable};
use crate::control::{lock, Control};
use crate::graph::StageKind;
use crate::ordered::{InOrder, Taker};
use crate::stage::MapBatch;
use crate::stats::StageCounters;
use crate::worker::unwind_stopped;
use crate::ItemStage;
use crate::{BoxError, Error, Options, Output, Stream};
use serde::de::DeserializeOwned;
use serde::ser::{Serialize, SerializeSeq, Serializer};

use std::sync::{Arc, Mutex};

/// The most items a worker sends its child at once. Fewer when fewer are waiting:
/// a worker takes what its input holds, so batches grow with the load.
pub const MAX_BATCH: usize = 4096;

impl<T> Stream<T>
where
    T: Serialize + DeserializeOwned + Send + 'static,
{
    /// Runs an item-form stage with each worker in a child process of its own (the
    /// `isolate` feature; [`init`](crate::init) must be the first line of `main`).
    ///
    /// Items, results and the stage's arguments cross to the children as `postcard`
    /// data, in batches the runtime sizes. A child that dies on an item, or runs
    /// past `isolation`'s timeout on it, fails that item: see [`OnCrash`]. With
    /// `opts.ordered` and several workers, outputs keep the input order. A stop
    /// (a failure elsewhere, a cancel) kills the children at once, and no child
    /// outlives the run.
    pub fn isolate<S>(self, opts: Options, isolation: Isolation, stage: S) -> Stream<S::Out>
    where
        S: Portable + crate::ItemStage<In = T>,
        S::Out: Serialize + DeserializeOwned,
    {
        let mut opts = opts;
        opts.isolated = true;
        self.then_stage(
            opts,
            StageKind::Item,
            move |launch, opts, counters, input, out| {
                if !super::initialised() || std::env::var_os(proto::CHILD_ENV).is_some() {
                    return Err(Error::invalid(
                        &opts.name,
                        "an isolated stage runs its workers in child processes of this program, \
                         which start in `pipeline::init()`: call it on the first line of `main` \
                         (in a test file, write `pipeline::init_at_load!();` at its top level)"
                            .to_owned(),
                    ));
                }
                let entry = entry_of::<S>();
                let control = Arc::clone(&launch.control);
                let isolated = |worker: usize, stage: S| {
                    let slot: Slot = Arc::new(Mutex::new(None));
                    // A stop kills the worker's child at once, whatever it is doing.
                    let child = Arc::clone(&slot);
                    control.on_stop(move || {
                        if let Some(pid) = *lock(&child) {
                            // SAFETY: a child of this process, not yet reaped (see `Slot`).
                            unsafe { libc::kill(pid, libc::SIGKILL) };
                        }
                    });
                    Isolated::<S> {
                        args: Args::Stage(stage),
                        name: opts.name.clone(),
                        worker,
                        entry,
                        isolation: isolation.clone(),
                        control: Arc::clone(&control),
                        counters: Arc::clone(&counters),
                        process: None,
                        slot,
                    }
                };
                if opts.ordered && opts.workers > 1 {
                    let shared_out = out.for_worker(&counters, 0);
                    let input = input.shared(Some(&shared_out));
                    let in_order =
                        Arc::new(InOrder::new(input, shared_out, opts.workers, MAX_BATCH));
                    return launch.workers(opts, &counters, stage, |worker, stage| {
                        let counters = Arc::clone(&counters);
                        let mut isolated = isolated(worker, stage);
                        (
                            Arc::clone(&in_order),
                            move |in_order: &mut Arc<InOrder<_, _>>| {
                                in_order.run(&mut isolated, worker, counters.worker(worker))
                            },
                        )
                    });
                }
                // The workers share the input, so that each item's position in it
                // is known (a crash names it), each taking what is there at once.
                let first_out = out.for_worker(&counters, 0);
                let taker = Arc::new(Taker::new(input.shared(Some(&first_out))));
                drop(first_out);
                launch.workers(opts, &counters, stage, |worker, stage| {
                    let out = out.for_worker(&counters, worker);
                    let mut isolated = isolated(worker, stage);
                    let taker = Arc::clone(&taker);
                    let counters = Arc::clone(&counters);
                    (out, move |out: &mut Output<S::Out>| {
                        let mut mapped = Vec::new();
                        let counters = counters.worker(worker);
                        loop {
                            let Some((_, first, mut batch)) = taker.take(MAX_BATCH, counters)
                            else {
                                if taker.ended_by_stop() {
                                    unwind_stopped();
                                }
                                return Ok(());
                            };
                            counters.received(batch.len());
                            let stop = || taker.should_stop();
                            isolated.map_batch(&mut batch, first, &mut mapped, &stop)?;
                            taker.recycle(batch);
                            if taker.should_stop() {
                                unwind_stopped();
                                return Ok(());
                            }
                            for item in mapped.drain(..) {
                                if out.push(item).is_err() {
                                    return Ok(());
                                }
                            }
                        }
                    })
                })
            },
        )
    }
}

/// One worker of an isolated stage, on its own thread: its child, started when the
/// first batch comes and again after each crash that the stage skips.
struct Isolated<S> {
    args: Args<S>,
    name: String,
    worker: usize,
    entry: i64,
    isolation: Isolation,
    control: Arc<Control>,
    counters: Arc<StageCounters>,
    process: Option<Process>,
    slot: Slot,
}

/// The stage's arguments for its children: the stage itself until the worker's
/// thread encodes them, for its first child.
enum Args<S> {
    Stage(S),
    Encoded(Vec<u8>),
}

/// A list of items serialized in place, without moving them.
struct Items<'a, T>(&'a [(u64, T)]);

impl<T: Serialize> Serialize for Items<'_, T> {
    fn serialize<Z: Serializer>(&self, serializer: Z) -> Result<Z::Ok, Z::Error> {
        let mut seq = serializer.serialize_seq(Some(self.0.len()))?;
        for (_, item) in self.0 {
            seq.serialize_element(item)?;
        }
        seq.end()
    }
}

impl<S> Isolated<S>
where
    S: Portable + ItemStage,
    S::In: Serialize + DeserializeOwned,
    S::Out: Serialize + DeserializeOwned,
{
    /// The live child, started if there is none.
    fn process(&mut self) -> Result<&mut Process, BoxError> {
        if self.process.is_none() {
            let args = match &self.args {
                Args::Encoded(args) => args.clone(),
                Args::Stage(stage) => {
                    let args = stage.encode()?;
                    self.args = Args::Encoded(args.clone());
                    args
                }
            };
            let hello = Hello {
                entry: self.entry,
                stage: self.name.clone(),
                worker: self.worker as u64,
                memory: self.isolation.memory,
                timed: self.isolation.timeout.is_some(),
                args,
            };
            match Process::start(&hello, &self.slot, &self.control, self.isolation.timeout) {
                Ok(process) => self.process = Some(process),
                Err(StartError::Io(e)) => {
                    if self.control.is_stopped() {
                        unwind_stopped();
                    }
                    return Err(format!("could not start an isolated worker process: {e}").into());
                }
                Err(StartError::Stage(body)) => {
                    return match postcard::from_bytes::<Reply<()>>(&body) {
                        Ok(Reply::Panicked(message)) => {
                            std::panic::resume_unwind(Box::new(message))
                        }
                        Ok(Reply::Failed(message)) => Err(message.into()),
                        _ => Err("the isolated worker process sent a malformed reply".into()),
                    };
                }
                Err(StartError::Stopped) => {
                    unwind_stopped();
                    return Err("the run stopped".into());
                }
                Err(StartError::Died(crash)) => {
                    if self.control.is_stopped() {
                        unwind_stopped();
                    }
                    return Err(format!(
                        "the isolated worker process ended before it served the stage ({}): \
                         is `pipeline::init()` the first line of `main`?",
                        crash.reason
                    )
                    .into());
                }
            }
        }
        Ok(self.process.as_mut().expect("started above"))
    }
}

impl<S> MapBatch for Isolated<S>
where
    S: Portable + ItemStage,
    S::In: Serialize + DeserializeOwned,
    S::Out: Serialize + DeserializeOwned,
{
    type In = S::In;
    type Out = S::Out;

    fn map_batch(
        &mut self,
        batch: &mut Vec<S::In>,
        first: u64,
        out: &mut Vec<S::Out>,
        stop: &impl Fn() -> bool,
    ) -> Result<(), BoxError> {
        // The batch is last item first (see `pending`).
        let mut todo: Vec<(u64, S::In)> = (first..).zip(batch.drain(..).rev()).collect();
        // A child that dies with no item started is started again once per batch.
        let mut lost_between_items = false;
        let mut body = Vec::new();
        while !todo.is_empty() {
            body.clear();
            body = postcard::to_extend(&Items(&todo), std::mem::take(&mut body))?;
            let answer = self.process()?.exchange(proto::BATCH, &body, stop);
            let (at, mut crash) = match answer {
                Ok((proto::REPLIES, replies)) => {
                    let replies: Vec<Reply<S::Out>> = postcard::from_bytes(&replies)?;
                    for reply in replies {
                        match reply {
                            Reply::Value(value) => out.push(value),
                            Reply::Dropped => {}
                            Reply::Failed(message) => return Err(message.into()),
                            Reply::Panicked(message) => {
                                std::panic::resume_unwind(Box::new(message))
                            }
                        }
                    }
                    return Ok(());
                }
                Ok((tag, _)) => {
                    return Err(format!("unexpected frame {tag} from the isolated worker").into())
                }
                Err(Ended::Died(at, crash)) => (at, crash),
                Err(Ended::Stopped) => {
                    self.process = None;
                    // The caller sees the stop too, and ends as a stopped worker.
                    return Ok(());
                }
            };
            self.process = None;
            if self.control.is_stopped() {
                unwind_stopped();
                return Ok(());
            }
            crash.item = at.map(|i| todo[i].0);
            match (self.isolation.on_crash, at) {
                (OnCrash::Skip, Some(at)) => {
                    self.counters.skipped(self.worker, &crash);
                    todo.remove(at);
                }
                (OnCrash::Skip, None) if !lost_between_items => {
                    lost_between_items = true;
                    self.counters.restarted();
                }
                _ => return Err(Box::new(crash)),
            }
        }
        Ok(())
    }
}
