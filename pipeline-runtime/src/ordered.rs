//! An ordered item-form stage: batches are numbered as workers take them, and their
//! results leave in that order, through one output shared by the workers. At most
//! `window` numbers are handed out beyond the oldest batch not yet sent, which bounds
//! the results held back.
//!
//! No lock is held across a wait:
//! - a worker takes and numbers a batch under `taker` only if one is there at once,
//!   and waits for input with the lock released;
//! - a worker ahead of the window sleeps until the window moves;
//! - results are sent by one worker at a time, the *sender*, outside the `reorder`
//!   lock: a worker whose results are done leaves them there and, unless another is
//!   sending, becomes the sender and sends every batch that is next in order.
//!
//! While the sender waits on a full output queue, the others wait too (on `moved`,
//! not on a lock), rather than go on with their next batches: on two cores, workers
//! that went on took the CPU the stage downstream needed to make room, and a 200 ns
//! ordered stage ran a tenth slower (see `BENCHMARKS.md`). While the queue has room,
//! they go on. Every wait ends when the run stops or nobody reads the output (see
//! [`wake`](crate::wake)), never on a timer.

use crate::control::{lock, Control};
use crate::queue::{Idle, StopWhen, Take, Waiter};
use crate::spin::Spin;
use crate::stage::MapBatch;
use crate::stats::WorkerCounters;
use crate::wake::{self, Sleepers};
use crate::worker::{unwind_stopped, Sink};
use crate::{BoxError, Input, Output, Stopped};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
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
    /// first item. `None` at the end of the input or on a stop. A wait for input
    /// counts as `counters`'; the clock is read only if there is one (two reads every
    /// batch were 1.6 % of the empty ordered stage's `perf` samples).
    pub(crate) fn take(
        &self,
        most: usize,
        counters: &WorkerCounters,
    ) -> Option<(u64, u64, Vec<T>)> {
        let mut idle = Idle::default();
        let mut waiting = None;
        let taken = loop {
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
                    break Some((seq, first, batch));
                }
                Take::End => break None,
                Take::Empty => {}
            }
            drop(taker);
            waiting.get_or_insert_with(Instant::now);
            self.waiter.park(&mut idle);
        };
        if let Some(since) = waiting {
            counters.waited_for_input(since);
        }
        taken
    }

    /// Gives an emptied batch back, to be filled again.
    pub(crate) fn recycle(&self, batch: Vec<T>) {
        self.waiter.recycle(batch);
    }
}

pub(crate) struct InOrder<T, U> {
    taker: Taker<T>,
    reorder: Mutex<Reorder<U>>,
    /// The shared output: locked by the sender alone (and by a failed worker that
    /// discards what is pending), never while `reorder` is held.
    out: Mutex<Output<U>>,
    /// The number of the next batch to send. Written only by the sender (taking the
    /// turn under `reorder`'s lock makes it the only one), once that batch is sent;
    /// read by workers ahead of the window, so the results held, done or being sent,
    /// are at most `window` batches.
    /// `Relaxed`: it hands over no data (the batches go through the lock); the turn
    /// passes under the lock, which orders one sender's stores before the next one's
    /// loads; and the fence of `moved.wake_all` orders the store before the look at
    /// the sleepers.
    next: AtomicU64,
    /// The sender found the output queue full and waits for room: the others wait
    /// for it before taking another batch. Set and cleared by the sender only.
    /// `Relaxed`: it only steers who runs, never what is sent; the sender clears it
    /// before `moved.wake_all`, whose fence orders the store before the look at the
    /// sleepers, so no worker sleeps on it once cleared.
    full: AtomicBool,
    /// Workers ahead of the window or waiting for a sender on a full queue: woken
    /// when a batch is sent or the sender's wait ends.
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
    /// A worker is sending: it sends each batch found next in order here, and the
    /// others leave theirs.
    sending: bool,
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
        lock(&self.out).discard();
    }
}

impl<T, U> InOrder<T, U> {
    pub(crate) fn new(input: Input<T>, out: Output<U>, workers: usize, most: usize) -> Self {
        Self {
            taker: Taker::new(input),
            stop: out.stop_when().clone(),
            reorder: Mutex::new(Reorder {
                done: BTreeMap::new(),
                sending: false,
                spare: Vec::new(),
            }),
            out: Mutex::new(out),
            next: AtomicU64::new(0),
            full: AtomicBool::new(false),
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
        worker: usize,
        counters: &WorkerCounters,
    ) -> Result<(), BoxError> {
        // The vector results go into; kept, and swapped for the emptied ones of
        // batches sent, so that no batch allocates (see `Queue::spare`).
        let mut mapped = Vec::new();
        loop {
            let Some((seq, first, batch)) = self.taker.take(self.most, counters) else {
                return self.stopped_or_done();
            };
            counters.received(batch.len());
            if !self.wait_for_window(seq, counters) {
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
            let sender = !reorder.sending;
            let mut sent = Ok(());
            if sender {
                reorder.sending = true;
                (reorder, sent) = self.send_in_order(reorder, worker);
                reorder.sending = false;
            }
            mapped = reorder.spare.pop().unwrap_or_default();
            drop(reorder);
            if sent.is_err() || (!sender && !self.wait_for_room(counters)) {
                return self.stopped_or_done();
            }
        }
    }

    /// As the sender: sends each batch that is next in order, one at a time with
    /// `reorder` let go, until the next one is not done yet, or nobody will read it;
    /// gives the lock back.
    fn send_in_order<'a>(
        &'a self,
        mut reorder: MutexGuard<'a, Reorder<U>>,
        worker: usize,
    ) -> (MutexGuard<'a, Reorder<U>>, Result<(), Stopped>) {
        loop {
            let next = self.next.load(Ordering::Relaxed);
            let Some(ready) = reorder.done.remove(&next) else {
                return (reorder, Ok(()));
            };
            drop(reorder);
            let mut out = lock(&self.out);
            out.count_as(worker);
            let full = out.is_full();
            if full {
                self.full.store(true, Ordering::Relaxed);
            }
            // One batch downstream, not one push per item.
            let sent = out.push_all(ready);
            drop(out);
            if full {
                self.full.store(false, Ordering::Relaxed);
            }
            if sent.is_ok() {
                self.next.store(next + 1, Ordering::Relaxed);
            }
            if sent.is_ok() || full {
                // The window moved, or the wait for room ended: wake who waits on it.
                self.moved.wake_all();
            }
            reorder = lock(&self.reorder);
            match sent {
                Ok(emptied) => reorder.spare.push(emptied),
                Err(stopped) => return (reorder, Err(stopped)),
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

    /// Waits while the sender waits for room in the output queue; false if the run
    /// stopped meanwhile.
    #[inline]
    fn wait_for_room(&self, counters: &WorkerCounters) -> bool {
        let room = || !self.full.load(Ordering::Relaxed);
        room() || self.wait_for_others(counters, room)
    }

    /// Waits until `seq` is inside the window; false if the run stopped meanwhile.
    /// The worker holding the window's first batch never waits here, so this ends.
    #[inline]
    fn wait_for_window(&self, seq: u64, counters: &WorkerCounters) -> bool {
        let inside = || seq < self.next.load(Ordering::Relaxed) + self.window;
        inside() || self.wait_for_others(counters, inside)
    }

    /// Waits until `ready`, which another worker makes true and then wakes `moved`
    /// (sending a batch, or ending a wait for room); false if the run stopped
    /// meanwhile. The wait counts as blocked on output: the worker waits for earlier
    /// results to go out. It waits a moment ([`Spin`]) before it sleeps: the wait is
    /// often short, and sleeping at once behind a sender waiting for room made a
    /// 200 ns stage 8% slower (medians of 20 runs, 113.8 ms against 104.9).
    #[cold]
    fn wait_for_others(&self, counters: &WorkerCounters, ready: impl Fn() -> bool) -> bool {
        let _blocked = Blocked::since_now(counters);
        let mut spin = Spin::for_turn();
        while !ready() {
            if self.should_stop() {
                return false;
            }
            if spin.wait() {
                continue;
            }
            wake::sleep_on(&[&self.moved, self.stop.sleepers()], || {
                ready() || self.should_stop()
            });
        }
        true
    }
}

/// Counts the time until it is dropped as the worker's, blocked on output.
struct Blocked<'a> {
    counters: &'a WorkerCounters,
    since: Instant,
}

impl<'a> Blocked<'a> {
    fn since_now(counters: &'a WorkerCounters) -> Self {
        Self {
            counters,
            since: Instant::now(),
        }
    }
}

impl Drop for Blocked<'_> {
    fn drop(&mut self) {
        self.counters.blocked_on_output(self.since);
    }
}
