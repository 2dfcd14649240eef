//! The atomics, cells, locks, parking and back-off that the lock-free hand-over and
//! the sleep handshake use: std's and crossbeam's, or loom's when its models run
//! (`--cfg loom`, tests only).

#[cfg(all(loom, test))]
pub(crate) use loom::{
    sync::{
        atomic::{fence, AtomicBool, AtomicU64, AtomicUsize},
        Arc, Mutex,
    },
    thread,
};
#[cfg(not(all(loom, test)))]
pub(crate) use std::{
    sync::{
        atomic::{fence, AtomicBool, AtomicU64, AtomicUsize},
        Arc, Mutex,
    },
    thread,
};

/// A cell written and read through raw pointers, whose accesses loom checks.
/// Outside loom, laid out as `T` (`pending` copies slots of them as an array).
#[repr(transparent)]
pub(crate) struct UnsafeCell<T>(
    #[cfg(all(loom, test))] loom::cell::UnsafeCell<T>,
    #[cfg(not(all(loom, test)))] std::cell::UnsafeCell<T>,
);

impl<T> UnsafeCell<T> {
    pub(crate) fn new(value: T) -> Self {
        #[cfg(all(loom, test))]
        return Self(loom::cell::UnsafeCell::new(value));
        #[cfg(not(all(loom, test)))]
        Self(std::cell::UnsafeCell::new(value))
    }

    /// Runs `f` on a pointer to the contents; the caller upholds the aliasing rules.
    #[inline]
    pub(crate) fn with_mut<R>(&self, f: impl FnOnce(*mut T) -> R) -> R {
        #[cfg(all(loom, test))]
        return self.0.with_mut(f);
        #[cfg(not(all(loom, test)))]
        f(self.0.get())
    }
}

/// Waits a moment for another thread: spins, then yields (under loom, yields at once,
/// so that the model runs the thread waited for).
pub(crate) struct Backoff(#[cfg(not(all(loom, test)))] crossbeam_utils::Backoff);

impl Backoff {
    pub(crate) fn new() -> Self {
        Self(
            #[cfg(not(all(loom, test)))]
            crossbeam_utils::Backoff::new(),
        )
    }

    #[inline]
    pub(crate) fn snooze(&self) {
        #[cfg(all(loom, test))]
        loom::thread::yield_now();
        #[cfg(not(all(loom, test)))]
        self.0.snooze();
    }
}

/// Checks `f` under every interleaving loom explores, up to a bound on preemptions
/// (`LOOM_MAX_PREEMPTIONS`, 3 unless set).
#[cfg(all(loom, test))]
pub(crate) fn model(f: impl Fn() + Sync + Send + 'static) {
    let mut builder = loom::model::Builder::new();
    if builder.preemption_bound.is_none() {
        builder.preemption_bound = Some(3);
    }
    builder.check(f);
}
