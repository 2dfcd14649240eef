//! The writing end of a queue: a worker's [`Output`], one [`Target`] per queue it feeds.

use super::{Queue, Readers, StopWhen, Stopped, Tally};
use crate::control::{lock, Control};
use crate::pending::{batch, Batch};
use crate::spin::Spin;
use crate::stats::StageCounters;
use crate::wake;
use std::fmt;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Instant;

/// One sender's end of one queue, with the batch it is filling.
pub(super) struct Target<T> {
    queue: Arc<Queue<T>>,
    /// The queue's readers, held here to check for closing on every item.
    readers: Arc<Readers>,
    pending: Batch<T>,
    /// The counters of the worker that sends.
    sender: Tally,
    counts_items: bool,
}

impl<T> Target<T> {
    pub(super) fn new(queue: Arc<Queue<T>>, sender: Tally) -> Self {
        let (pending, stealer) = batch(queue.batch);
        let mut senders = lock(&queue.pending);
        if senders.asked {
            // The owner has pushed nothing yet, and it starts after this returns.
            stealer.request();
        }
        senders.stealers.push(stealer);
        drop(senders);
        queue.senders.fetch_add(1, Ordering::Relaxed);
        Self {
            readers: Arc::clone(&queue.readers),
            queue,
            pending,
            sender,
            counts_items: true,
        }
    }

    #[inline]
    fn push(&mut self, item: T, stop: &StopWhen) -> Result<(), Stopped> {
        if self.readers.is_closed() {
            return Err(Stopped);
        }
        self.push_unchecked(item, stop)
    }

    /// [`push`](Self::push) without the check that the queue is still read.
    #[inline]
    fn push_unchecked(&mut self, item: T, stop: &StopWhen) -> Result<(), Stopped> {
        // Full, or a reader that asked may be asleep until this batch is sent.
        if self.pending.push(item) {
            return self.flush(stop);
        }
        Ok(())
    }

    /// Drops what is pending: the worker failed or was stopped.
    fn discard(&mut self) {
        drop(self.take());
    }

    /// Claims every item of the batch no reader took, and counts every item pushed
    /// into it (those readers took included) as sent: once per batch, not per item.
    fn take(&mut self) -> Vec<T> {
        self.report_sent();
        self.pending.take_into(self.queue.buffer())
    }

    /// Sends what is pending (unless a reader took it), and starts a new batch. The
    /// owner pushes nothing until the send returns, so no reader can take a later
    /// item before this batch is in the queue.
    fn flush(&mut self, stop: &StopWhen) -> Result<(), Stopped> {
        let batch = self.take();
        if batch.is_empty() {
            self.queue.recycle(batch);
            return Ok(());
        }
        self.send(batch, stop)
    }

    /// Sends `batch` (last item first), waiting while the queue is full.
    fn send(&mut self, batch: Vec<T>, stop: &StopWhen) -> Result<(), Stopped> {
        let (sent, blocked) = match self.queue.sent.push(batch) {
            Ok(()) => (Ok(()), None),
            Err(batch) => {
                let since = Instant::now();
                (self.send_when_free(batch, stop), Some(since))
            }
        };
        if sent.is_ok() {
            self.queue.sleepers.wake_one();
        }
        self.queue
            .reader
            .queue()
            .sample(self.queue.sent.len(), blocked.is_some());
        if let (Some(since), Some((stage, worker))) = (blocked, &self.sender) {
            stage.worker(*worker).blocked_on_output(since);
        }
        sent
    }

    /// Sends `items`, in order, as a batch of their own after what is pending; gives
    /// back an emptied vector. `items` must fit in one of this queue's batches.
    fn send_all(&mut self, mut items: Vec<T>, stop: &StopWhen) -> Result<Vec<T>, Stopped> {
        self.flush(stop)?;
        if let (Some((stage, worker)), true) = (&self.sender, self.counts_items) {
            stage.worker(*worker).sent(items.len());
        }
        // Last item first, as a batch taken from the pending slots.
        items.reverse();
        let spare = self.queue.buffer();
        self.send(items, stop).map(|()| spare)
    }

    /// Sends `batch` into a full queue: waits for room, or until nobody will read it.
    /// Waits a moment ([`Spin`]) before sleeping: a reader usually frees a slot soon.
    #[cold]
    fn send_when_free(&self, batch: Vec<T>, stop: &StopWhen) -> Result<(), Stopped> {
        let control = stop.control();
        let gone = || control.is_stopped() || self.readers.is_closed();
        let mut batch = batch;
        let mut spin = Spin::for_room();
        loop {
            batch = match self.queue.sent.push(batch) {
                Ok(()) => return Ok(()),
                Err(batch) => batch,
            };
            if gone() {
                return Err(Stopped);
            }
            if !spin.wait() {
                // Woken by a reader taking the queue down to `room_at`, by the last
                // reader leaving, or by a stop (through the worker's flag).
                wake::sleep_on(&[&self.readers.room, stop.sleepers()], || {
                    self.queue.sent.len() <= self.queue.room_at || gone()
                });
            }
        }
    }

    /// Counts the items pushed since the batch started.
    fn report_sent(&self) {
        let pushed = self.pending.len();
        if let (Some((stage, worker)), true, 1..) = (&self.sender, self.counts_items, pushed) {
            stage.worker(*worker).sent(pushed);
        }
    }
}

impl<T> Drop for Target<T> {
    fn drop(&mut self) {
        self.report_sent();
        lock(&self.queue.pending)
            .stealers
            .retain(|p| !p.steals_from(&self.pending));
        // After its last batch is sent (`Queue::senders`).
        if self.queue.senders.fetch_sub(1, Ordering::Release) == 1 {
            // The last sender left: every reader asleep sees the end of the stream.
            self.queue.sleepers.wake_all();
        }
    }
}

/// Where a worker puts the items it produces: the input queue of the next stage, or,
/// for a broadcast, the input queues of every branch (each gets a clone).
pub struct Output<T> {
    targets: Vec<Target<T>>,
    /// When the worker pushing here must stop (for a producer, also when the run
    /// drains); shared with its input and with clones of this output.
    stop: StopWhen,
    /// How to copy an item for every branch but the last, for a broadcast.
    clone: Option<fn(&T) -> T>,
}

/// The readers of the queues `targets` feed.
fn feeds<T>(targets: &[Target<T>]) -> Box<[Arc<Readers>]> {
    targets.iter().map(|t| Arc::clone(&t.readers)).collect()
}

impl<T> Output<T> {
    /// The output into one queue that belongs to no worker (see [`queue`](super::queue)).
    pub(super) fn new(target: Target<T>, control: &Arc<Control>) -> Self {
        let targets = vec![target];
        Self {
            stop: StopWhen::new(Arc::clone(control), false, feeds(&targets)),
            targets,
            clone: None,
        }
    }

    /// One output that sends a clone of every item to each of `outputs`.
    pub(crate) fn broadcast(outputs: Vec<Output<T>>, control: Arc<Control>) -> Self
    where
        T: Clone,
    {
        let targets: Vec<_> = outputs
            .into_iter()
            .flat_map(|o| o.reopen_targets(None))
            .collect();
        Self {
            stop: StopWhen::new(control, false, feeds(&targets)),
            targets,
            clone: Some(T::clone),
        }
    }

    fn reopen_targets(&self, sender: Tally) -> Vec<Target<T>> {
        self.targets
            .iter()
            .enumerate()
            .map(|(i, t)| {
                let mut target = Target::new(Arc::clone(&t.queue), sender.clone());
                // A broadcast sends each item once per branch; count it once.
                target.counts_items = i == 0;
                target
            })
            .collect()
    }

    /// Worker `worker` of stage `stage`'s sender into the same queues, with batches of
    /// its own and a stop flag of its own.
    pub(crate) fn for_worker(&self, stage: &Arc<StageCounters>, worker: usize) -> Self {
        self.for_sender(stage, worker, false)
    }

    /// [`for_worker`](Self::for_worker), for a producer: pushes stop once the run drains.
    pub(crate) fn for_producer(&self, stage: &Arc<StageCounters>, worker: usize) -> Self {
        self.for_sender(stage, worker, true)
    }

    fn for_sender(&self, stage: &Arc<StageCounters>, worker: usize, producer: bool) -> Self {
        let targets = self.reopen_targets(Some((Arc::clone(stage), worker)));
        let control = Arc::clone(self.stop.control());
        Self {
            stop: StopWhen::new(control, producer, feeds(&targets)),
            targets,
            clone: self.clone,
        }
    }

    /// When the worker pushing here must stop.
    pub(crate) fn stop_when(&self) -> &StopWhen {
        &self.stop
    }

    /// Counts what is sent from now on, and the waits for room, as worker `worker`'s
    /// (an ordered stage's workers take turns at one output).
    pub(crate) fn count_as(&mut self, worker: usize) {
        for target in &mut self.targets {
            if let Some((_, counted)) = &mut target.sender {
                *counted = worker;
            }
        }
    }

    /// Whether a send would wait now: some queue it feeds is full.
    pub(crate) fn is_full(&self) -> bool {
        self.targets.iter().any(|t| t.queue.sent.is_full())
    }

    /// Drops the items not yet sent: the worker failed or was stopped, and nothing it
    /// had pending may be delivered.
    pub(crate) fn discard(&mut self) {
        for target in &mut self.targets {
            target.discard();
        }
    }

    /// Sends `item` downstream, waiting while the queue is full.
    ///
    /// Returns [`Stopped`] when no one will ever read it; the worker should then end.
    #[inline(always)]
    pub fn push(&mut self, item: T) -> Result<(), Stopped> {
        if self.stop.now() {
            return Err(Stopped);
        }
        self.push_after_next(item)
    }

    /// [`push`](Self::push) for a worker whose input has just said (at its `next()`)
    /// that the run goes on and that this output is read: the same checks, made once
    /// per item instead of twice. A stop that comes between the two is seen at the
    /// next item, and what this push left pending is then discarded.
    #[inline(always)]
    pub(crate) fn push_after_next(&mut self, item: T) -> Result<(), Stopped> {
        if self.targets.len() == 1 {
            // The flag covers this queue's closing: it is the only one fed.
            return self.targets[0].push_unchecked(item, &self.stop);
        }
        self.push_to_every_branch(item)
    }

    /// Sends `items`, in order: as one batch, where they fit in one of the queue's
    /// (an ordered stage's results for one batch of its input), else one by one.
    /// Gives back an emptied vector to fill again.
    pub(crate) fn push_all(&mut self, mut items: Vec<T>) -> Result<Vec<T>, Stopped> {
        if self.stop.now() {
            return Err(Stopped);
        }
        match &mut self.targets[..] {
            [target] if (1..=target.queue.batch).contains(&items.len()) => {
                target.send_all(items, &self.stop)
            }
            _ => {
                for item in items.drain(..) {
                    self.push(item)?;
                }
                Ok(items)
            }
        }
    }

    /// A branch that has finished no longer gets items; the others go on.
    fn push_to_every_branch(&mut self, item: T) -> Result<(), Stopped> {
        let clone = self.clone.expect("several targets only in a broadcast");
        let mut item = Some(item);
        let mut i = 0;
        while i < self.targets.len() {
            let value = match item.take() {
                Some(last) if i + 1 == self.targets.len() => last,
                Some(kept) => {
                    let copy = clone(&kept);
                    item = Some(kept);
                    copy
                }
                None => break,
            };
            if self.targets[i].push(value, &self.stop).is_ok() {
                i += 1;
            } else if self.stop.control().is_stopped() {
                return Err(Stopped);
            } else {
                self.targets.remove(i);
            }
        }
        if self.targets.is_empty() {
            Err(Stopped)
        } else {
            Ok(())
        }
    }
}

impl<T> Drop for Output<T> {
    /// The end of this worker's stream: what is pending goes out before the queues
    /// see this sender leave, unless the run was stopped (a failed worker records
    /// its failure before its output is dropped, so it sends nothing more).
    fn drop(&mut self) {
        let stop = &self.stop;
        for target in &mut self.targets {
            if stop.control().is_stopped() || target.readers.is_closed() {
                target.discard();
            } else {
                let _ = target.flush(stop);
            }
        }
    }
}

impl<T> Clone for Output<T> {
    /// Another sender into the same queues, with batches of its own.
    fn clone(&self) -> Self {
        Self {
            targets: self.reopen_targets(None),
            stop: self.stop.clone(),
            clone: self.clone,
        }
    }
}

impl<T> fmt::Debug for Output<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Output")
            .field("queues", &self.targets.len())
            .finish()
    }
}
