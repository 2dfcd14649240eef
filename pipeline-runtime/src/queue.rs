//! The queue between two stages, seen as an [`Input`] iterator by the workers that
//! read it and as an [`Output`] by the workers that feed it.
//!
//! Items cross it in batches, to pay for one channel operation per batch instead of
//! per item, but a batch never holds an item back from an idle reader. Each sender
//! fills a [`Batch`]; a reader that finds the queue empty spins a moment, then takes
//! whatever is pending (the sender may be blocked in its own code after pushing), and
//! only then sleeps. Not at once (see [`Idle`]): while items flow, a batch fills within
//! moments, and taking it item by item would only make small batches.
//!
//! Sleeping costs nothing and misses nothing. Before it sleeps, a reader *asks* every
//! sender's batch (see [`pending`](crate::pending)): a sender whose next push finds
//! the request sends its batch at once, and whichever of the push and the request
//! comes second sees the other (an asymmetric fence, paid by the reader once per
//! sleep, orders each side's store before its load, see [`fence`](crate::fence)), so
//! no item is left pending behind a sleeping reader.
//! The reader then parks, with no timeout, until a sender sends a batch or the last
//! sender leaves, the run stops, or every queue its worker feeds is closed; each of
//! those wakes it through the queue's or the worker's [`Sleepers`] (see
//! [`wake`](crate::wake), and why not a channel `select`).
//!
//! A queue is *closed* when its last reader is gone (every worker of the stage that
//! reads it has ended): its writers see that at their next item, and the workers that
//! feed it stop at their next [`Input::next`], even a filter that emits nothing.

use crate::control::{lock, Control, Signal, StopFlag};
use crate::pending::{batch, Batch, Stealer, MAX_BATCH};
use crate::stats::StageCounters;
use crate::wake::{self, Sleepers};
use crossbeam_channel::{Receiver, Select, Sender, TryRecvError, TrySendError};
use std::fmt;
use std::mem::ManuallyDrop;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Attempts to send into a full queue before sleeping on it.
const SNOOZE: u32 = 12;

/// A reader that finds its queue empty looks again after spinning 1, 2, 4, … and
/// `1 << SPIN_STEPS` times, then after each of up to `YIELDS` yields of its CPU, and
/// then takes what the senders have pending (see [`Idle`]).
const SPIN_STEPS: u32 = 6;
const YIELDS: u32 = 4;

/// Yields that took this long together gave the CPU to another thread for a time
/// slice: the machine is busy. The reader then stops yielding and takes what is
/// pending, and asks and sleeps if there is nothing: each further yield could cost
/// another slice while an item waits in a sender's batch (with two threads spinning
/// beside a trickle on 2 cores, an item took 9.6 ms through three stages, median,
/// and 5.9 ms with this). On a quiet machine the yields take a few µs in all, and a
/// pipeline's own threads that run meanwhile send their batches well within it.
const GAVE_AWAY: Duration = Duration::from_micros(500);

/// Who still reads a queue. Not generic, so that a worker's input can watch the
/// queues of its output, whatever their item type.
pub(crate) struct Readers {
    count: AtomicUsize,
    /// Set once, when `count` drops to 0, and then the stop flag of every writer told.
    /// Read `Relaxed`, on every item only by a broadcast's branches: a writer that
    /// misses it for a few items still finds the channel disconnected when it sends.
    closed: AtomicBool,
    /// Fires when closed: wakes an upstream worker in `pipeline::sleep`.
    gone: Signal,
    /// The stop flags of the workers that feed this queue, told when it closes.
    writers: Mutex<Vec<Arc<StopFlag>>>,
    /// Senders asleep on the full queue: woken when a reader takes a batch, and when
    /// the queue closes.
    room: Sleepers,
}

impl Readers {
    fn new() -> Arc<Self> {
        Arc::new(Self {
            count: AtomicUsize::new(0),
            closed: AtomicBool::new(false),
            gone: Signal::new(),
            writers: Mutex::new(Vec::new()),
            room: Sleepers::new(),
        })
    }

    fn join(self: &Arc<Self>) -> Arc<Self> {
        self.count.fetch_add(1, Ordering::Relaxed);
        Arc::clone(self)
    }

    fn leave(&self) {
        // AcqRel: the last reader to leave sees every other reader's leaving.
        if self.count.fetch_sub(1, Ordering::AcqRel) == 1 {
            // Under the lock `add_writer` takes: a writer registered later sees `closed`.
            let writers = std::mem::take(&mut *lock(&self.writers));
            self.closed.store(true, Ordering::Relaxed);
            for writer in writers {
                writer.feed_closed();
            }
            self.gone.fire();
            self.room.wake_all();
        }
    }

    /// Tells `flag` when this queue closes (at once if it is closed already).
    fn add_writer(&self, flag: &Arc<StopFlag>) {
        let mut writers = lock(&self.writers);
        if self.is_closed() {
            drop(writers);
            flag.feed_closed();
        } else {
            writers.push(Arc::clone(flag));
        }
    }

    #[inline]
    pub(crate) fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Relaxed)
    }

    pub(crate) fn gone(&self) -> &crossbeam_channel::Receiver<crate::control::Never> {
        self.gone.receiver()
    }
}

/// When a worker must stop: the run stopped (or, for a producer, drains), or every
/// queue the worker feeds is closed. Checked on every item, as one flag that whoever
/// stops the worker raises, and waited on, beside whatever else the worker waits for,
/// when it sleeps. Clones share the flag.
#[derive(Clone)]
pub(crate) struct StopWhen {
    flag: Arc<StopFlag>,
    control: Arc<Control>,
    producer: bool,
    /// The queues the worker feeds: when all are closed, it stops.
    feeds: Box<[Arc<Readers>]>,
}

impl StopWhen {
    /// The stop condition of a new worker, or of the caller's iterator: its flag is
    /// registered with the run and with every queue in `feeds`.
    pub(crate) fn new(control: Arc<Control>, producer: bool, feeds: Box<[Arc<Readers>]>) -> Self {
        let flag = StopFlag::new(&control, producer, feeds.len());
        for readers in feeds.iter() {
            readers.add_writer(&flag);
        }
        Self {
            flag,
            control,
            producer,
            feeds,
        }
    }

    /// Whether the worker must stop now.
    #[inline]
    pub(crate) fn now(&self) -> bool {
        self.flag.is_raised()
    }

    /// At the end of the worker's input: whether the input ended because the run
    /// stopped, not because every sender finished. The run's state is read besides the
    /// flag: a stop sets the state, then raises the flags one by one, and a worker
    /// upstream that saw its own flag first may have ended and disconnected this
    /// input before this worker's flag is raised. That worker saw the state set (the
    /// flags are `Release`/`Acquire`), and the disconnect orders it before this read.
    pub(crate) fn ended_by_stop(&self) -> bool {
        self.now() || self.control.should_stop(false)
    }

    /// Adds to `select` the signals that fire when [`now`](Self::now) may turn true.
    /// A queue already closed would wake the select at once, so only the others are
    /// watched: check `now()` after this, where one that closed before is seen.
    pub(crate) fn watch<'a>(&'a self, select: &mut Select<'a>) {
        select.recv(self.control.stop_signal(self.producer));
        for readers in self.feeds.iter().filter(|r| !r.is_closed()) {
            select.recv(readers.gone());
        }
    }

    pub(crate) fn control(&self) -> &Arc<Control> {
        &self.control
    }

    /// The worker's threads asleep for input (or for room, or for an ordered stage's
    /// window), woken when it must stop.
    pub(crate) fn sleepers(&self) -> &Sleepers {
        self.flag.sleepers()
    }
}

/// What the readers and senders of one queue share.
pub(crate) struct Queue<T> {
    /// A stealer of every sender's batch, for readers to take when the queue is empty.
    pending: Mutex<Senders<T>>,
    batch: usize,
    /// A sender asleep on the full queue sleeps until it holds at most this many
    /// batches (half its capacity), and a reader wakes it only then: it refills the
    /// queue in one go instead of waking for every batch taken. A sender that has
    /// not gone to sleep yet sends as soon as there is room.
    room_at: usize,
    readers: Arc<Readers>,
    /// The counters of the stage that reads this queue.
    reader: Arc<StageCounters>,
    /// Readers asleep until a batch is sent or the last sender leaves.
    sleepers: Sleepers,
    /// Senders still connected (one per [`Target`]): 0 once the channel is
    /// disconnected. Decremented `Release` after the target's channel sender is
    /// dropped, read `Acquire` by a reader about to sleep, which then finds the
    /// channel disconnected.
    senders: AtomicUsize,
    /// Emptied batch vectors, which readers hand back and senders fill again: a batch
    /// allocated by one thread and freed by another made the allocator's locks
    /// contended (a third of the context switches of the empty-stage benchmark).
    spare: (Sender<Vec<T>>, Receiver<Vec<T>>),
}

/// The batches of a queue's senders.
struct Senders<T> {
    stealers: Vec<Stealer<T>>,
    /// Whether a reader ever asked: a sender that comes later is asked as it joins,
    /// under the same lock, so a reader asleep before it existed gets its first item.
    asked: bool,
}

impl<T> Queue<T> {
    /// A vector to fill with a batch: a spare one if there is one.
    fn buffer(&self) -> Vec<T> {
        self.spare.1.try_recv().unwrap_or_default()
    }

    /// Keeps `buffer`, emptied, for a later batch (or drops it if enough are kept).
    fn recycle(&self, mut buffer: Vec<T>) {
        if buffer.capacity() != 0 {
            buffer.clear();
            let _ = self.spare.0.try_send(buffer);
        }
    }

    fn steal(&self, rx: &Receiver<Vec<T>>) -> Vec<T> {
        for pending in lock(&self.pending).stealers.iter() {
            let stolen = pending.steal(|| rx.is_empty());
            if !stolen.is_empty() {
                return stolen;
            }
        }
        Vec::new()
    }

    /// Asks every sender to send its next item at once; true if items are pending.
    fn ask(&self) -> bool {
        let mut senders = lock(&self.pending);
        senders.asked = true;
        crate::pending::ask(&senders.stealers)
    }
}

/// The batch size and the capacity in batches of a queue of about `capacity` items.
pub(crate) fn shape(capacity: usize) -> (usize, usize) {
    let batch = (capacity / 8).clamp(1, 64.min(MAX_BATCH));
    (batch, capacity / batch)
}

/// Creates the bounded queue in front of a stage, holding about `capacity` items.
/// The output and input returned belong to no worker: make each worker's own with
/// [`Output::for_worker`] and [`Input::for_worker`].
pub(crate) fn queue<T>(
    capacity: usize,
    control: &Arc<Control>,
    reader: Arc<StageCounters>,
) -> (Output<T>, Input<T>) {
    let (batch, batches) = shape(capacity);
    let (tx, rx) = crossbeam_channel::bounded(batches);
    let queue = Arc::new(Queue {
        pending: Mutex::new(Senders {
            stealers: Vec::new(),
            asked: false,
        }),
        batch,
        room_at: batches / 2,
        readers: Readers::new(),
        reader,
        sleepers: Sleepers::new(),
        senders: AtomicUsize::new(0),
        // As many as the channel holds, and one a reader or two holds: more would
        // only wait here.
        spare: crossbeam_channel::bounded(batches + 2),
    });
    let targets = vec![Target::new(tx, Arc::clone(&queue), None)];
    let output = Output {
        stop: StopWhen::new(Arc::clone(control), false, feeds(&targets)),
        targets,
        clone: None,
    };
    let stop = StopWhen::new(Arc::clone(control), false, Box::new([]));
    let input = Input::new(rx, queue, stop);
    (output, input)
}

/// A stage's counters and the index of one of its workers.
type Tally = Option<(Arc<StageCounters>, usize)>;

/// What a reader of a queue needs to wait for it: the wait happens without holding
/// the reader itself (an ordered stage's workers share one).
pub(crate) struct Waiter<T> {
    rx: Receiver<Vec<T>>,
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
            let ready = || !self.rx.is_empty() || self.should_stop();
            for step in 0..=SPIN_STEPS {
                if ready() {
                    return;
                }
                for _ in 0..1 << step {
                    std::hint::spin_loop();
                }
            }
            // The clock is read only once the spinning is over.
            let yielding = Instant::now();
            for _ in 0..YIELDS {
                if ready() {
                    return;
                }
                std::thread::yield_now();
                if yielding.elapsed() >= GAVE_AWAY {
                    break;
                }
            }
            idle.spun = true;
            return;
        }
        if self.queue.ask() {
            return;
        }
        // Woken by a sent batch, the last sender leaving, or a stop.
        wake::sleep_on(&[&self.queue.sleepers, self.stop.sleepers()], || {
            !self.rx.is_empty()
                || self.queue.senders.load(Ordering::Acquire) == 0
                || self.should_stop()
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
    fn try_recv(&self) -> Result<Vec<T>, TryRecvError> {
        let got = self.rx.try_recv();
        if got.is_ok() && self.rx.len() <= self.queue.room_at {
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
            rx: self.rx.clone(),
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
    fn new(rx: Receiver<Vec<T>>, queue: Arc<Queue<T>>, stop: StopWhen) -> Self {
        Self {
            readers: queue.readers.join(),
            wait: Waiter { rx, queue, stop },
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
            Some(out) => out.stop.clone(),
            None => StopWhen::new(Arc::clone(self.wait.stop.control()), false, Box::new([])),
        };
        let mut input = Self::new(self.wait.rx.clone(), Arc::clone(&self.wait.queue), stop);
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
    /// recorded before the failed worker's sender disconnects), which stops the worker.
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
            Ok(batch) if !batch.is_empty() => Take::Batch(batch),
            Ok(_) => Take::Empty,
            // Every sender flushed its pending batch before disconnecting.
            Err(TryRecvError::Disconnected) => Take::End,
            Err(TryRecvError::Empty) if !steal => Take::Empty,
            Err(TryRecvError::Empty) => match self.wait.queue.steal(&self.wait.rx) {
                stolen if stolen.is_empty() => Take::Empty,
                stolen => Take::Batch(stolen),
            },
        }
    }

    /// Waits for the next batch; false at the end of the stream or when stopped.
    fn refill(&mut self) -> bool {
        // The clock is read only when the queue is empty and the worker must wait.
        let (got, waiting) = match self.wait.try_recv() {
            Ok(batch) if !batch.is_empty() && !self.should_stop() => (Some(batch), None),
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
            .field("queued_batches", &self.wait.rx.len())
            .field("in_hand", &self.batch.len())
            .finish()
    }
}

/// Returned by [`Output::push`] when nobody will read the item: every downstream
/// worker has finished, or the run was stopped (or, for a producer, is draining).
/// The worker should return.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stopped;

impl fmt::Display for Stopped {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the pipeline downstream has stopped")
    }
}

impl std::error::Error for Stopped {}

/// One sender's end of one queue, with the batch it is filling.
struct Target<T> {
    /// Dropped in `drop` before the readers are told the last sender left.
    tx: ManuallyDrop<Sender<Vec<T>>>,
    queue: Arc<Queue<T>>,
    /// The queue's readers, held here to check for closing on every item.
    readers: Arc<Readers>,
    pending: Batch<T>,
    /// The counters of the worker that sends.
    sender: Tally,
    counts_items: bool,
}

impl<T> Target<T> {
    fn new(tx: Sender<Vec<T>>, queue: Arc<Queue<T>>, sender: Tally) -> Self {
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
            tx: ManuallyDrop::new(tx),
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
        let (sent, blocked) = match self.tx.try_send(batch) {
            Ok(()) => (Ok(()), None),
            Err(TrySendError::Disconnected(_)) => (Err(Stopped), None),
            Err(TrySendError::Full(batch)) => {
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
            .sample(self.tx.len(), blocked.is_some());
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
    /// Spins, then yields, before sleeping: a reader usually frees a slot within moments.
    #[cold]
    fn send_when_free(&self, batch: Vec<T>, stop: &StopWhen) -> Result<(), Stopped> {
        let control = stop.control();
        let gone = || control.is_stopped() || self.readers.is_closed();
        let mut batch = batch;
        let mut step = 0;
        loop {
            batch = match self.tx.try_send(batch) {
                Ok(()) => return Ok(()),
                Err(TrySendError::Disconnected(_)) => return Err(Stopped),
                Err(TrySendError::Full(batch)) => batch,
            };
            if gone() {
                return Err(Stopped);
            }
            if step < SNOOZE / 2 {
                for _ in 0..1 << step {
                    std::hint::spin_loop();
                }
            } else if step < SNOOZE {
                std::thread::yield_now();
            } else {
                // Woken by a reader taking the queue down to `room_at`, by the last
                // reader leaving, or by a stop (through the worker's flag).
                wake::sleep_on(&[&self.readers.room, stop.sleepers()], || {
                    self.tx.len() <= self.queue.room_at || gone()
                });
            }
            step += 1;
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
        // SAFETY: dropped once, here, and not used after.
        unsafe { ManuallyDrop::drop(&mut self.tx) };
        if self.queue.senders.fetch_sub(1, Ordering::Release) == 1 {
            // Disconnected: every reader asleep sees the end of the stream.
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
                let tx = Sender::clone(&t.tx);
                let mut target = Target::new(tx, Arc::clone(&t.queue), sender.clone());
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
        self.targets.iter().any(|t| t.tx.is_full())
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
    #[inline]
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
    #[inline]
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
    /// see this sender disconnect, unless the run was stopped (a failed worker records
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
