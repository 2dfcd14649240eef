//! The reading end of a queue: a worker's [`Input`] iterator, and the [`Waiter`] that
//! waits for a batch without holding it.

use super::{Output, Queue, Readers, Received, StopWhen, Tally};
use crate::spin::Spin;
use crate::wake;
use std::fmt;
use std::sync::Arc;
use std::time::Instant;

/// What a reader of a queue needs to wait for it: the wait happens without holding
/// the reader itself (an ordered stage's workers share one).
pub(crate) struct Waiter<T> {
    queue: Arc<Queue<T>>,
    /// When the reading worker stops.
    stop: StopWhen,
}

impl<T> Waiter<T> {
    /// Whether the reading worker should stop: the run stopped, or nobody reads what
    /// it would produce.
    #[inline]
    pub(crate) fn should_stop(&self) -> bool {
        self.stop.now()
    }

    /// At the end of the input, whether it ended because the run stopped (see
    /// [`StopWhen::ended_by_stop`]).
    pub(crate) fn ended_by_stop(&self) -> bool {
        self.stop.ended_by_stop()
    }

    /// Returns once a batch may be ready to take, or the input ended, or the worker
    /// should stop; the caller then looks (see [`Idle`] for whether it may steal).
    /// Blocks with no timeout (see the module docs): first a moment of spinning and
    /// yielding, after which the caller may take what senders have pending; then a
    /// request to every sender, and a sleep that only a sent batch, the last sender
    /// leaving or a stop ends.
    pub(crate) fn park(&self, idle: &mut Idle) {
        if !idle.spun {
            // Spins and yields while nothing was sent (see `spin`).
            let mut spin = Spin::for_input();
            while self.queue.sent.is_empty() && !self.should_stop() {
                if !spin.wait() {
                    idle.spun = true;
                    return;
                }
            }
            return;
        }
        if self.queue.ask() {
            return;
        }
        // Woken by a sent batch, the last sender leaving, or a stop.
        wake::sleep_on(&[&self.queue.sleepers, self.stop.sleepers()], || {
            !self.queue.sent.is_empty() || self.queue.ended() || self.should_stop()
        });
    }
}

/// How long a reader has found its queue empty, which decides whether it takes the
/// items a sender has pending. Not at once: while items flow, the sender's batch is
/// full within moments, and a reader that stole it item by item would make small
/// batches and contend with the sender for its cache lines. Only once it has spun
/// with nothing sent (the sender may be blocked in its own code after pushing) does
/// it steal, and then it asks and sleeps.
#[derive(Default)]
pub(crate) struct Idle {
    spun: bool,
}

impl Idle {
    /// Whether the reader may take what senders have pending.
    pub(crate) fn may_steal(&self) -> bool {
        self.spun
    }
}

impl<T> Waiter<T> {
    /// Takes a sent batch, if there is one, and wakes a sender asleep on the queue
    /// once it is down to [`Queue::room_at`] (see [`crate::wake`]). Every take that
    /// leaves the queue there looks for sleepers, so none is missed: readers go on
    /// taking until the queue is empty.
    #[inline]
    fn try_recv(&self) -> Received<T> {
        let got = self.queue.receive();
        if matches!(got, Received::Batch(_)) && self.queue.sent.len() <= self.queue.room_at {
            self.queue.readers.room.wake_one();
        }
        got
    }

    /// Keeps an emptied batch vector for a sender to fill again.
    pub(crate) fn recycle(&self, buffer: Vec<T>) {
        self.queue.recycle(buffer);
    }
}

impl<T> Clone for Waiter<T> {
    fn clone(&self) -> Self {
        Self {
            queue: Arc::clone(&self.queue),
            stop: self.stop.clone(),
        }
    }
}

/// What a look at the queue found, without waiting.
pub(crate) enum Take<T> {
    /// A non-empty batch, last item first.
    Batch(Vec<T>),
    /// Nothing now: [`Waiter::park`], then look again.
    Empty,
    /// The input ended, or the worker should stop (the caller checks which).
    End,
}

/// The stream of items a worker reads: its share of the stage's input queue.
///
/// It ends when every upstream worker has finished (the queue is closed, no sentinel
/// value is involved). When the run fails or is cancelled, or when every reader of
/// the worker's own output has finished, `next()` does not return: it unwinds the
/// stage's code with a private payload that the runtime catches and counts as a stop,
/// not a failure. Destructors run; code after the stage's loop does not, as in the
/// sequential program, where the failure would have unwound through it. (Built with
/// `panic = "abort"`, nothing can unwind: the input ends instead.)
pub struct Input<T> {
    wait: Waiter<T>,
    /// The batch in hand, last item first (see [`pending`](crate::pending)).
    batch: Vec<T>,
    worker: Tally,
    /// Whether a stop unwinds (a worker's input) or ends the input (the caller's).
    unwinds: bool,
    /// This input's place among the queue's readers.
    readers: Arc<Readers>,
}

impl<T> Input<T> {
    pub(super) fn new(queue: Arc<Queue<T>>, stop: StopWhen) -> Self {
        Self {
            readers: queue.readers.join(),
            wait: Waiter { queue, stop },
            batch: Vec::new(),
            worker: None,
            unwinds: false,
        }
    }

    /// Worker `worker`'s reader of the same queue: each item goes to one reader. It
    /// stops when every queue `out` feeds is closed.
    pub(crate) fn for_worker<U>(&self, worker: usize, out: Option<&Output<U>>) -> Self {
        let mut input = self.shared(out);
        input.worker = Some((Arc::clone(&self.wait.queue.reader), worker));
        input
    }

    /// A reader of the same queue shared by several workers, which count for themselves.
    /// It stops when the workers feeding `out` stop (it shares their flag), or, with no
    /// output, when the run stops.
    pub(crate) fn shared<U>(&self, out: Option<&Output<U>>) -> Self {
        let stop = match out {
            Some(out) => out.stop_when().clone(),
            None => StopWhen::new(Arc::clone(self.wait.stop.control()), false, Box::new([])),
        };
        let mut input = Self::new(Arc::clone(&self.wait.queue), stop);
        input.unwinds = true;
        input
    }

    /// How to wait for this input without holding it.
    pub(crate) fn waiter(&self) -> Waiter<T> {
        self.wait.clone()
    }

    /// Whether the reading worker should stop: the run stopped, or nobody reads what
    /// it would produce.
    #[inline]
    pub(crate) fn should_stop(&self) -> bool {
        self.wait.should_stop()
    }

    /// Stops the worker (see [`Input`]); returns only for the caller's own input, or
    /// where nothing can unwind.
    fn stop(&self) -> Option<T> {
        if self.unwinds {
            crate::worker::unwind_stopped();
        }
        None
    }

    /// The end of the input: `None`, unless the run stopped (a failure upstream is
    /// recorded before the failed worker's sender leaves the queue), which stops the worker.
    fn end(&self) -> Option<T> {
        if self.wait.ended_by_stop() {
            return self.stop();
        }
        None
    }

    /// The rest of the current batch, or the next one if it can be had without
    /// waiting: a batch sent, or, if `steal`, the items a sender has pending.
    pub(crate) fn try_batch(&mut self, steal: bool) -> Take<T> {
        if !self.batch.is_empty() {
            return Take::Batch(std::mem::take(&mut self.batch));
        }
        if self.should_stop() {
            return Take::End;
        }
        match self.wait.try_recv() {
            Received::Batch(batch) if !batch.is_empty() => Take::Batch(batch),
            Received::Batch(_) => Take::Empty,
            // Every sender flushed its pending batch before leaving.
            Received::Ended => Take::End,
            Received::Empty if !steal => Take::Empty,
            Received::Empty => match self.wait.queue.steal() {
                stolen if stolen.is_empty() => Take::Empty,
                stolen => Take::Batch(stolen),
            },
        }
    }

    /// Waits for the next batch; false at the end of the stream or when stopped.
    fn refill(&mut self) -> bool {
        // The clock is read only when the queue is empty and the worker must wait.
        let (got, waiting) = match self.wait.try_recv() {
            Received::Batch(batch) if !batch.is_empty() && !self.should_stop() => {
                (Some(batch), None)
            }
            _ => (None, Some(Instant::now())),
        };
        let got = got.or_else(|| self.receive());
        if let Some((stage, worker)) = &self.worker {
            let counters = stage.worker(*worker);
            if let Some(since) = waiting {
                counters.waited_for_input(since);
            }
            if let Some(batch) = &got {
                counters.received(batch.len());
            }
        }
        match got {
            Some(batch) => {
                let emptied = std::mem::replace(&mut self.batch, batch);
                self.wait.queue.recycle(emptied);
                true
            }
            None => false,
        }
    }

    /// The next non-empty batch; `None` at the end of the stream or when stopped.
    fn receive(&mut self) -> Option<Vec<T>> {
        let mut idle = Idle::default();
        loop {
            match self.try_batch(idle.may_steal()) {
                Take::Batch(batch) => return Some(batch),
                Take::End => return None,
                Take::Empty => self.wait.park(&mut idle),
            }
        }
    }
}

impl<T> Iterator for Input<T> {
    type Item = T;

    #[inline]
    fn next(&mut self) -> Option<T> {
        if self.should_stop() {
            return self.stop();
        }
        match self.batch.pop() {
            Some(item) => Some(item),
            None if self.refill() => self.batch.pop(),
            None => self.end(),
        }
    }
}

impl<T> Drop for Input<T> {
    fn drop(&mut self) {
        self.readers.leave();
    }
}

impl<T> fmt::Debug for Input<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Input")
            .field("queued_batches", &self.wait.queue.sent.len())
            .field("in_hand", &self.batch.len())
            .finish()
    }
}
