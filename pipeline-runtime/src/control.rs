//! The state one run shares between its workers: running, draining or stopped; the
//! wake-up signals; the first error.

use crate::wake::Sleepers;
use crate::Error;
use crossbeam_channel::{Receiver, Sender};
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

/// A message type with no values: a signal is its channel disconnecting.
pub(crate) enum Never {}

/// A signal that fires once, for every waiter at once: the sender is dropped, and
/// every `select!` on the receiver wakes.
pub(crate) struct Signal {
    fire: Mutex<Option<Sender<Never>>>,
    fired: Receiver<Never>,
}

impl Signal {
    pub(crate) fn new() -> Self {
        let (fire, fired) = crossbeam_channel::bounded(0);
        Self {
            fire: Mutex::new(Some(fire)),
            fired,
        }
    }

    pub(crate) fn fire(&self) {
        lock(&self.fire).take();
    }

    /// Disconnects when the signal fires; select on it beside a blocking operation.
    pub(crate) fn receiver(&self) -> &Receiver<Never> {
        &self.fired
    }
}

/// The one word a worker reads on every item to know whether it must stop: raised by
/// [`Control::stop`] (and, for a producer's, by [`Control::drain`]) and by the last
/// reader leaving the last open queue the worker feeds. One load of a word the worker
/// shares with nobody on its path, where the conditions it stands for would take a
/// load of the run's state and a scan of the queues downstream.
pub(crate) struct StopFlag {
    /// Read on every item: a worker that misses it for a few items still sees it at
    /// its next blocking operation, where the raise wakes it (through `sleepers`, or
    /// the run's `stopped` and a queue's `gone` signals). Stored `Release` and loaded
    /// `Acquire` (a plain load on x86): a worker that stops because it saw the flag
    /// has seen the run's state as it was set before the raise, and so has whoever
    /// later sees that worker's sender disconnect (see [`StopWhen::ended_by_stop`]).
    ///
    /// [`StopWhen::ended_by_stop`]: crate::queue::StopWhen::ended_by_stop
    raised: AtomicBool,
    /// The queues the worker feeds that still have readers; the flag is raised when
    /// it drops to 0. Counts every queue from the start, so that one queue closing
    /// before the worker has registered with another does not stop it.
    open: AtomicUsize,
    /// Whether the worker is a producer: a drain stops it too.
    producer: bool,
    /// The worker's threads asleep on an empty queue: woken when the flag is raised.
    sleepers: Sleepers,
}

impl StopFlag {
    /// The flag of a worker that feeds `feeds` queues, registered with `control`
    /// (the caller registers it with each queue, see [`StopFlag::feed_closed`]).
    pub(crate) fn new(control: &Control, producer: bool, feeds: usize) -> Arc<Self> {
        let flag = Arc::new(Self {
            raised: AtomicBool::new(false),
            open: AtomicUsize::new(feeds),
            producer,
            sleepers: Sleepers::new(),
        });
        control.register(&flag);
        flag
    }

    /// Whether the worker must stop.
    #[inline]
    pub(crate) fn is_raised(&self) -> bool {
        self.raised.load(Ordering::Acquire)
    }

    /// Raises the flag without waking the worker: see [`wake`](Self::wake).
    fn raise(&self) {
        self.raised.store(true, Ordering::Release);
    }

    /// Wakes the worker's threads asleep on a queue, once the flag is raised (see
    /// [`raise_then_wake`] for several flags at once).
    fn wake(&self) {
        self.sleepers.wake_all();
    }

    /// The worker's threads asleep waiting for input (see [`crate::wake`]).
    pub(crate) fn sleepers(&self) -> &Sleepers {
        &self.sleepers
    }

    /// One of the queues the worker feeds lost its last reader.
    pub(crate) fn feed_closed(&self) {
        // AcqRel, as `Readers::leave`: the last queue to close sees the others closed.
        if self.open.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.raise();
            self.wake();
        }
    }
}

/// Every stage runs.
const RUNNING: u8 = 0;
/// Producers stop at their next item; the rest runs until the stream ends.
const DRAINING: u8 = 1;
/// Every stage stops at its next item or queue operation.
const STOPPED: u8 = 2;

pub(crate) struct Control {
    /// Read `Relaxed` (workers read their [`StopFlag`] on every item, and this only
    /// around blocking operations): a worker that misses a stop by a moment still sees
    /// it at its next blocking operation, where `stopped` wakes it. Whoever must
    /// *know* of a failure (a reader that found its queue closed) reads it after the
    /// channel's own synchronisation, which orders the `fail` that came before the
    /// failed worker's sender was dropped.
    state: AtomicU8,
    /// The stop flag of every worker, raised by `stop` (and `drain`, for producers')
    /// under this lock, which `register` takes too: a flag registered after a stop is
    /// raised as it registers.
    flags: Mutex<Vec<Arc<StopFlag>>>,
    first_error: Mutex<Option<Error>>,
    /// Fires on stop: wakes every worker in `sleep` or waiting for an ordered stage's
    /// window. (A worker waiting on a queue sleeps on its flag's `sleepers`.)
    stopped: Signal,
    /// Fires on drain or stop: wakes a producer in `sleep`.
    draining: Signal,
    /// Run once when the run stops: what a signal cannot wake (an isolated worker's
    /// child process, killed at once).
    #[cfg_attr(not(feature = "isolate"), allow(dead_code))]
    on_stop: Mutex<Vec<Box<dyn FnOnce() + Send>>>,
}

/// Raises every flag of `flags`, then wakes their workers: a stop or a drain raises
/// every flag before it wakes anyone, so that no worker woken by it ends (and
/// disconnects the queue it feeds) while a reader downstream can still find its own
/// flag down.
fn raise_then_wake<'a>(flags: impl Iterator<Item = &'a Arc<StopFlag>> + Clone) {
    for flag in flags.clone() {
        flag.raise();
    }
    for flag in flags {
        flag.wake();
    }
}

impl Control {
    pub(crate) fn new() -> Arc<Self> {
        Arc::new(Self {
            state: AtomicU8::new(RUNNING),
            flags: Mutex::new(Vec::new()),
            first_error: Mutex::new(None),
            stopped: Signal::new(),
            draining: Signal::new(),
            on_stop: Mutex::new(Vec::new()),
        })
    }

    #[inline]
    pub(crate) fn is_stopped(&self) -> bool {
        self.state.load(Ordering::Relaxed) == STOPPED
    }

    /// Whether a worker should stop: every worker once stopped, a producer once draining.
    #[inline]
    pub(crate) fn should_stop(&self, producer: bool) -> bool {
        // The states are ordered: a producer stops from `DRAINING` on, the rest at `STOPPED`.
        self.state.load(Ordering::Relaxed) >= STOPPED - producer as u8
    }

    fn register(&self, flag: &Arc<StopFlag>) {
        let mut flags = lock(&self.flags);
        if self.should_stop(flag.producer) {
            flag.raise();
        }
        flags.push(Arc::clone(flag));
    }

    /// Stops the producers at their next item and lets the rest finish normally.
    pub(crate) fn drain(&self) {
        let flags = lock(&self.flags);
        let _ =
            self.state
                .compare_exchange(RUNNING, DRAINING, Ordering::Relaxed, Ordering::Relaxed);
        raise_then_wake(flags.iter().filter(|flag| flag.producer));
        drop(flags);
        self.draining.fire();
    }

    /// Fires when a worker should stop: on stop, and for a producer on drain too.
    pub(crate) fn stop_signal(&self, producer: bool) -> &Receiver<Never> {
        if producer {
            self.draining.receiver()
        } else {
            self.stopped.receiver()
        }
    }

    /// Stops every worker at its next item or blocking queue operation.
    pub(crate) fn stop(&self) {
        let flags = lock(&self.flags);
        // Before the flags, whose `Release` stores publish it (see `StopFlag::raised`).
        self.state.store(STOPPED, Ordering::Relaxed);
        raise_then_wake(flags.iter());
        drop(flags);
        self.stopped.fire();
        self.draining.fire();
        // Taken after the state is set: a hook added later sees the stop itself.
        let hooks = std::mem::take(&mut *lock(&self.on_stop));
        for hook in hooks {
            hook();
        }
    }

    /// Runs `hook` when the run stops, or now if it has stopped.
    #[cfg(feature = "isolate")]
    pub(crate) fn on_stop(&self, hook: impl FnOnce() + Send + 'static) {
        let mut hooks = lock(&self.on_stop);
        // Read under the lock that `stop` takes after setting the state: either
        // `stop` finds the hook, or the hook finds the state.
        if self.is_stopped() {
            drop(hooks);
            hook();
        } else {
            hooks.push(Box::new(hook));
        }
    }

    /// Records `error` unless an earlier one is already recorded, then stops the run.
    pub(crate) fn fail(&self, error: Error) {
        lock(&self.first_error).get_or_insert(error);
        self.stop();
    }

    pub(crate) fn take_error(&self) -> Option<Error> {
        lock(&self.first_error).take()
    }
}

/// Locks a mutex whose data stays consistent even if a holder panicked.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}
