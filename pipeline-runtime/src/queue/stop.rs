//! When a queue's writers must stop: its [`Readers`] (who still reads it) and a
//! worker's [`StopWhen`] (the run stopped, or every queue it feeds is closed).

use crate::control::{lock, Control, Signal, StopFlag};
use crate::wake::Sleepers;
use crossbeam_channel::Select;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// Who still reads a queue. Not generic, so that a worker's input can watch the
/// queues of its output, whatever their item type.
pub(crate) struct Readers {
    count: AtomicUsize,
    /// Set once, when `count` drops to 0, and then the stop flag of every writer told.
    /// Read `Relaxed`, on every item only by a broadcast's branches: a writer that
    /// misses it for a few items sends them into the queue nobody reads, which drops
    /// them with itself, and a writer waiting for room there looks at it again.
    closed: AtomicBool,
    /// Fires when closed: wakes an upstream worker in `pipeline::sleep`.
    gone: Signal,
    /// The stop flags of the workers that feed this queue, told when it closes.
    writers: Mutex<Vec<Arc<StopFlag>>>,
    /// Senders asleep on the full queue: woken when a reader takes a batch, and when
    /// the queue closes.
    pub(super) room: Sleepers,
}

impl Readers {
    pub(super) fn new() -> Arc<Self> {
        Arc::new(Self {
            count: AtomicUsize::new(0),
            closed: AtomicBool::new(false),
            gone: Signal::new(),
            writers: Mutex::new(Vec::new()),
            room: Sleepers::new(),
        })
    }

    pub(super) fn join(self: &Arc<Self>) -> Arc<Self> {
        self.count.fetch_add(1, Ordering::Relaxed);
        Arc::clone(self)
    }

    pub(super) fn leave(&self) {
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
    /// upstream that saw its own flag first may have ended and left this input before
    /// this worker's flag is raised. That worker saw the state set (the flags are
    /// `Release`/`Acquire`), and its leaving (`Queue::senders`, `Release`, read
    /// `Acquire` before the input ends) orders it before this read.
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
