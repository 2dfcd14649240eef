//! The state one run shares between its workers: running, draining or stopped; the
//! wake-up signal; the first error.

use crate::Error;
use crossbeam_channel::{Receiver, Sender};
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

/// A message type with no values: the stop signal is the channel disconnecting.
pub(crate) enum Never {}

/// Every stage runs.
const RUNNING: u8 = 0;
/// Producers stop at their next item; the rest runs until the stream ends.
const DRAINING: u8 = 1;
/// Every stage stops at its next item or queue operation.
const STOPPED: u8 = 2;

pub(crate) struct Control {
    state: AtomicU8,
    first_error: Mutex<Option<Error>>,
    /// Dropped on stop, which wakes every worker blocked in a `select!` on `signal`.
    wake: Mutex<Option<Sender<Never>>>,
    signal: Receiver<Never>,
}

impl Control {
    pub(crate) fn new() -> Arc<Self> {
        let (wake, signal) = crossbeam_channel::bounded(0);
        Arc::new(Self {
            state: AtomicU8::new(RUNNING),
            first_error: Mutex::new(None),
            wake: Mutex::new(Some(wake)),
            signal,
        })
    }

    #[inline]
    pub(crate) fn is_stopped(&self) -> bool {
        self.state.load(Ordering::Relaxed) == STOPPED
    }

    /// Whether a worker should stop: every worker once stopped, a producer once draining.
    #[inline]
    pub(crate) fn should_stop(&self, producer: bool) -> bool {
        match self.state.load(Ordering::Relaxed) {
            RUNNING => false,
            DRAINING => producer,
            _ => true,
        }
    }

    /// Stops the producers at their next item and lets the rest finish normally.
    pub(crate) fn drain(&self) {
        let _ =
            self.state
                .compare_exchange(RUNNING, DRAINING, Ordering::Relaxed, Ordering::Relaxed);
    }

    /// Disconnects when the run stops; select on it beside any blocking queue operation.
    pub(crate) fn signal(&self) -> &Receiver<Never> {
        &self.signal
    }

    /// Stops every worker at its next item or blocking queue operation.
    pub(crate) fn stop(&self) {
        self.state.store(STOPPED, Ordering::Relaxed);
        lock(&self.wake).take();
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
