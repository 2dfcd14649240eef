//! The state one run shares between its workers: running, draining or stopped; the
//! wake-up signals; the first error.

use crate::Error;
use crossbeam_channel::{Receiver, Sender};
use std::sync::atomic::{AtomicU8, Ordering};
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

/// Every stage runs.
const RUNNING: u8 = 0;
/// Producers stop at their next item; the rest runs until the stream ends.
const DRAINING: u8 = 1;
/// Every stage stops at its next item or queue operation.
const STOPPED: u8 = 2;

pub(crate) struct Control {
    /// Read on every item, so read `Relaxed`: a worker that misses a stop by a few
    /// items still sees it at its next blocking operation, where `stopped` wakes it.
    /// Whoever must *know* of a failure (a reader that found its queue closed) reads
    /// it after the channel's own synchronisation, which orders the `fail` that came
    /// before the failed worker's sender was dropped.
    state: AtomicU8,
    first_error: Mutex<Option<Error>>,
    /// Fires on stop: wakes every worker blocked on a full queue or in `sleep`.
    stopped: Signal,
    /// Fires on drain or stop: wakes a producer in `sleep`.
    draining: Signal,
    /// Run once when the run stops: what a signal cannot wake (an isolated worker's
    /// child process, killed at once).
    #[cfg_attr(not(feature = "isolate"), allow(dead_code))]
    on_stop: Mutex<Vec<Box<dyn FnOnce() + Send>>>,
}

impl Control {
    pub(crate) fn new() -> Arc<Self> {
        Arc::new(Self {
            state: AtomicU8::new(RUNNING),
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

    /// Stops the producers at their next item and lets the rest finish normally.
    pub(crate) fn drain(&self) {
        let _ =
            self.state
                .compare_exchange(RUNNING, DRAINING, Ordering::Relaxed, Ordering::Relaxed);
        self.draining.fire();
    }

    /// Fires when the run stops.
    pub(crate) fn stopped(&self) -> &Receiver<Never> {
        self.stopped.receiver()
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
        self.state.store(STOPPED, Ordering::Relaxed);
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
