//! An ordered item-form stage: batches are numbered as workers take them, and their
//! results leave in that order, through one output shared by the workers. At most
//! `window` numbers are handed out beyond the oldest batch still in flight, which
//! bounds the results held back.
//!
//! No lock is held across a wait for input or for the window: a worker takes and
//! numbers a batch under `taker` only if one is there at once, and waits for input
//! with the lock released; a worker ahead of the window sleeps until the window
//! moves, the run stops or nobody reads the output (see [`wake`](crate::wake)), never
//! on a timer. The worker that sends the results next in order does hold `reorder`
//! while the output queue is full: the others then wait for it rather than go on.
//! On two cores that is the faster of the two (letting the others go on, one worker
//! sending for all outside the lock, halved the per-item cost of an empty ordered
//! stage but slowed a 200 ns one by a tenth, most likely because the workers going
//! on took the CPU the stage downstream needed; see `BENCHMARKS.md`).

use crate::control::{lock, Control};
use crate::queue::{Idle, StopWhen, Take, Waiter};
use crate::stage::MapBatch;
use crate::stats::WorkerCounters;
use crate::wake::{self, Sleepers};
use crate::worker::{unwind_stopped, Sink};
use crate::{BoxError, Input, Output};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// An input shared by several workers that numbers what they take: each batch, and
/// each item by its position in the input.
pub(crate) struct Taker<T> {
    /// The shared input, the number of the next batch taken from it, and the number
    /// of items taken before it.
    taker: Mutex<(Input<T>, u64, u64)>,
    /// Waits for the input without holding `taker`.
    waiter: Waiter<T>,
}

impl<T> Taker<T> {
    pub(crate) fn new(input: Input<T>) -> Self {
        Self {
            waiter: input.waiter(),
            taker: Mutex::new((input, 0, 0)),
        }
    }

    /// Whether the workers taking from it should stop: the run stopped, or nobody
    /// reads what they produce.
    #[cfg_attr(not(feature = "isolate"), allow(dead_code))]
    pub(crate) fn should_stop(&self) -> bool {
        self.waiter.should_stop()
    }

    /// At the end of the input, whether it ended because the run stopped (see
    /// [`StopWhen::ended_by_stop`]).
    #[cfg_attr(not(feature = "isolate"), allow(dead_code))]
    pub(crate) fn ended_by_stop(&self) -> bool {
        self.waiter.ended_by_stop()
    }

    /// The next batch, last item first (see `pending`), with every batch that can be
    /// had at once added, up to about `most` items; its number and the number of its
    /// first item. `None` at the end of the input or on a stop.
    pub(crate) fn take(&self, most: usize) -> Option<(u64, u64, Vec<T>)> {
        let mut idle = Idle::default();
        loop {
            let mut taker = lock(&self.taker);
            match taker.0.try_batch(idle.may_steal()) {
                Take::Batch(mut batch) => {
                    while batch.len() < most {
                        match taker.0.try_batch(idle.may_steal()) {
                            // Later items go in front: the batch is read from its end.
                            Take::Batch(mut more) => {
                                more.append(&mut batch);
                                batch = more;
                            }
                            Take::Empty | Take::End => break,
                        }
                    }
                    let (seq, first) = (taker.1, taker.2);
                    taker.1 += 1;
                    taker.2 += batch.len() as u64;
                    return Some((seq, first, batch));
                }
                Take::End => return None,
                Take::Empty => {}
            }
            drop(taker);
            self.waiter.park(&mut idle);
        }
    }

    /// Gives an emptied batch back, to be filled again.
    pub(crate) fn recycle(&self, batch: Vec<T>) {
        self.waiter.recycle(batch);
    }
}

pub(crate) struct InOrder<T, U> {
    taker: Taker<T>,
    reorder: Mutex<Reorder<U>>,
    /// The number of the next batch to send. Written only under `reorder`'s lock, by
    /// the worker sending that batch; read without it by workers ahead of the window.
    /// `Relaxed`: it hands over no data (the batches go through the lock), and the
    /// fence of `moved.wake_all` orders the store before the look at the sleepers.
    next: AtomicU64,
    /// Workers ahead of the window, woken when it moves.
    moved: Sleepers,
    /// When the workers stop: the run stopped, or nobody reads the shared output.
    stop: StopWhen,
    window: u64,
    /// How many items a worker takes at once, if they are there: one queue batch
    /// (1), or as many as an isolated stage sends its child.
    most: usize,
}

struct Reorder<U> {
    done: BTreeMap<u64, Vec<U>>,
    out: Output<U>,
    /// Emptied result vectors, for workers to fill again: at most one a worker.
    spare: Vec<Vec<U>>,
}

/// Each worker of an ordered stage holds the shared state as what it owns: it is
/// dropped (and the shared output with it) only after a failure has been recorded.
impl<T: Send + 'static, U: Send + 'static> Sink for Arc<InOrder<T, U>> {
    fn stop_when(&self, _: &Arc<Control>) -> StopWhen {
        self.stop.clone()
    }
    fn discard(&mut self) {
        lock(&self.reorder).out.discard();
    }
}

impl<T, U> InOrder<T, U> {
    pub(crate) fn new(input: Input<T>, out: Output<U>, workers: usize, most: usize) -> Self {
        Self {
            taker: Taker::new(input),
            stop: out.stop_when().clone(),
            reorder: Mutex::new(Reorder {
                done: BTreeMap::new(),
                out,
                spare: Vec::new(),
            }),
            next: AtomicU64::new(0),
            moved: Sleepers::new(),
            // Four batches a worker: a worker ahead of one that is descheduled (more
            // threads than cores) goes on for that many before it must sleep. With two
            // a worker, the empty ordered stage of the benchmark slept three times as
            // often and took twice as long.
            window: 4 * workers as u64,
            most,
        }
    }

    fn should_stop(&self) -> bool {
        self.stop.now()
    }

    /// One worker's loop; returns at the end of the input.
    pub(crate) fn run<M: MapBatch<In = T, Out = U>>(
        &self,
        stage: &mut M,
        counters: &WorkerCounters,
    ) -> Result<(), BoxError> {
        // The vector results go into; kept, and swapped for the emptied ones of
        // batches sent, so that no batch allocates (see `Queue::spare`).
        let mut mapped = Vec::new();
        loop {
            let waiting = Instant::now();
            let taken = self.taker.take(self.most);
            counters.waited_for_input(waiting);
            let Some((seq, first, batch)) = taken else {
                return self.stopped_or_done();
            };
            counters.received(batch.len());
            if !self.wait_for_window(seq) {
                return self.stopped_or_done();
            }
            let mut batch = batch;
            mapped.reserve(batch.len());
            stage.map_batch(&mut batch, first, &mut mapped, &|| self.should_stop())?;
            if self.should_stop() {
                return self.stopped_or_done();
            }
            self.taker.recycle(batch);
            let mut reorder = lock(&self.reorder);
            reorder.done.insert(seq, std::mem::take(&mut mapped));
            let mut moved = false;
            loop {
                let next = self.next.load(Ordering::Relaxed);
                let Some(ready) = reorder.done.remove(&next) else {
                    break;
                };
                self.next.store(next + 1, Ordering::Relaxed);
                moved = true;
                // One batch downstream, not one push per item.
                match reorder.out.push_all(ready) {
                    Ok(emptied) => reorder.spare.push(emptied),
                    Err(_) => {
                        drop(reorder);
                        return self.stopped_or_done();
                    }
                }
            }
            mapped = reorder.spare.pop().unwrap_or_default();
            drop(reorder);
            if moved {
                // After the lock is let go: a woken worker takes it at once.
                self.moved.wake_all();
            }
        }
    }

    /// The input ended or the worker must stop: a stop unwinds (see `worker`).
    fn stopped_or_done(&self) -> Result<(), BoxError> {
        if self.stop.ended_by_stop() {
            unwind_stopped();
        }
        Ok(())
    }

    /// Waits until `seq` is inside the window; false if the run stopped meanwhile.
    fn wait_for_window(&self, seq: u64) -> bool {
        let inside = || seq < self.next.load(Ordering::Relaxed) + self.window;
        let backoff = crossbeam_utils::Backoff::new();
        while !inside() {
            // The worker holding the window's first batch never waits here, so this ends.
            if self.should_stop() {
                return false;
            }
            if !backoff.is_completed() {
                backoff.snooze();
                continue;
            }
            // Woken when the window moves or the run stops.
            wake::sleep_on(&[&self.moved, self.stop.sleepers()], || {
                inside() || self.should_stop()
            });
        }
        true
    }
}
