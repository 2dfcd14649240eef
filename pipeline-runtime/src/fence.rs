//! An asymmetric fence: a [`light`] side that costs nothing on the hot path (a
//! sender's push) and a [`heavy`] side paid by the rare one (a reader about to sleep).
//!
//! Together they order a store before a later load on each side, as a `SeqCst` fence
//! on both sides would (the store-buffering pattern): with `light` between a sender's
//! store of A and its load of B, and `heavy` between a reader's store of B and its
//! load of A, at least one of the two loads sees the other side's store.
//!
//! On Linux, `heavy` is `membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED)`: the kernel runs
//! a full memory barrier on every CPU then running a thread of this process (and a
//! thread not running has passed through the scheduler's barriers), so a `light` that
//! only stops the compiler from moving the store past the load is enough. Where the
//! kernel lacks it (before 4.14, or a sandbox that refuses it), on other systems, and
//! under Miri, both sides are `SeqCst` fences. Under loom both sides are loom's
//! `SeqCst` fences, which is what the models check.
//!
//! `membarrier` is used only where asked for, with `PIPELINE_MEMBARRIER=1` in the
//! environment. It makes a push free, but each reader about to sleep then pays an
//! interrupt of every CPU running the process: on the 2-core VMs of `BENCHMARKS.md`,
//! where that costs tens of µs and a reader that keeps up with its senders sleeps
//! after nearly every batch, a 200 ns stage on 2 workers ran at 1.1× the sequential
//! speed with it and 1.6× with fences, while a trivial 3-stage chain took 19.9 ns an
//! item with it and 23.4 with fences (section "Instructions per item, change by
//! change"). Fences lose little where `membarrier` wins and nothing where it loses.
//!
//! The choice is made once per process ([`init`], called before a run starts its
//! threads, and by `heavy` itself) and never undone: `light` reads it with a
//! `Relaxed` load. A `light` that ran before the choice was known used a real fence,
//! which pairs with either `heavy`.

#[cfg(not(all(loom, test)))]
mod imp {
    use std::sync::atomic::{compiler_fence, fence, AtomicU8, Ordering::*};
    use std::sync::Once;

    /// Not chosen yet: both sides fence.
    const UNKNOWN: u8 = 0;
    /// `membarrier` registered: `light` is a compiler fence.
    const MEMBARRIER: u8 = 1;
    /// No `membarrier`: both sides fence.
    const FENCES: u8 = 2;

    static STRATEGY: AtomicU8 = AtomicU8::new(UNKNOWN);
    static CHOOSE: Once = Once::new();

    /// Chooses the strategy, once per process.
    pub(crate) fn init() {
        CHOOSE.call_once(|| {
            let asked = std::env::var_os("PIPELINE_MEMBARRIER").is_some_and(|v| v == "1");
            let strategy = if asked && membarrier::register() {
                MEMBARRIER
            } else {
                FENCES
            };
            // Relaxed: a `light` that misses it fences, which is always enough; a
            // `heavy` reads it after `call_once`, which orders this store.
            STRATEGY.store(strategy, Relaxed);
        });
    }

    /// The sender's side: between its store and its load.
    #[inline(always)]
    pub(crate) fn light() {
        if STRATEGY.load(Relaxed) == MEMBARRIER {
            compiler_fence(SeqCst);
        } else {
            fence(SeqCst);
        }
    }

    /// The reader's side: between its store and its load. A system call where
    /// `membarrier` is available: once before sleeping, not for every item.
    ///
    /// False if the barrier failed, which the kernel rules out for a registered
    /// process; the process then falls back to fences for good, and the caller must
    /// not rely on this round (a reader looks again instead of sleeping).
    #[must_use]
    pub(crate) fn heavy() -> bool {
        init();
        // First: pairs with a `light` that was a real fence, and keeps the reader's
        // own store before the barrier.
        fence(SeqCst);
        if STRATEGY.load(Relaxed) == MEMBARRIER && !membarrier::expedited() {
            STRATEGY.store(FENCES, Relaxed);
            return false;
        }
        true
    }

    #[cfg(all(target_os = "linux", not(miri)))]
    mod membarrier {
        // From the kernel's `uapi/linux/membarrier.h`.
        const MEMBARRIER_CMD_QUERY: libc::c_long = 0;
        const MEMBARRIER_CMD_PRIVATE_EXPEDITED: libc::c_long = 1 << 3;
        const MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED: libc::c_long = 1 << 4;

        fn membarrier(cmd: libc::c_long) -> libc::c_long {
            // SAFETY: `membarrier(cmd, flags)` reads and writes no user memory; an
            // unknown command or an old kernel returns -1 (ENOSYS, EINVAL, EPERM).
            unsafe { libc::syscall(libc::SYS_membarrier, cmd, 0 as libc::c_long) }
        }

        /// Whether the process can now use the expedited barrier.
        pub(super) fn register() -> bool {
            let wanted =
                MEMBARRIER_CMD_PRIVATE_EXPEDITED | MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED;
            let supported = membarrier(MEMBARRIER_CMD_QUERY);
            supported >= 0
                && supported & wanted == wanted
                && membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED) == 0
        }

        /// Whether the barrier ran on every CPU running a thread of the process.
        pub(super) fn expedited() -> bool {
            membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED) == 0
        }
    }

    #[cfg(not(all(target_os = "linux", not(miri))))]
    mod membarrier {
        pub(super) fn register() -> bool {
            false
        }

        pub(super) fn expedited() -> bool {
            false
        }
    }
}

#[cfg(all(loom, test))]
mod imp {
    use loom::sync::atomic::{fence, Ordering::SeqCst};

    pub(crate) fn init() {}

    pub(crate) fn light() {
        fence(SeqCst);
    }

    pub(crate) fn heavy() -> bool {
        fence(SeqCst);
        true
    }
}

pub(crate) use imp::{heavy, init, light};
