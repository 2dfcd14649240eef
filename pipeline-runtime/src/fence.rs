//! The fences of the sleep handshake (see [`pending`](crate::pending)): a sender's
//! [`light`] between its store of a batch's count and its look at the receivers'
//! request, and a receiver's `SeqCst` fence, then [`heavy`] where needed, between its
//! request and its look at the count. Like a `SeqCst` fence on both sides (the
//! store-buffering pattern), they make at least one of the two loads see the other
//! side's store.
//!
//! A `SeqCst` fence costs a sender about 4.5 ns a push on the VM of `BENCHMARKS.md`,
//! and an item is pushed once per queue it crosses: with two fences an item, the fences
//! were 9 of the 21 ns an item of an empty parallel stage run on one CPU. So a sender
//! fences only while its receivers ask (they sleep often, and each sleep must see its
//! pushes); once they have not asked for a while, its `light` is a compiler fence
//! only, and a receiver that asks such a sender pays with [`heavy`]:
//! `membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED)`, which runs a full memory barrier on
//! every CPU then running a thread of this process (a thread not running has passed
//! through the scheduler's barriers). That costs 0.1 µs where the other CPUs run none
//! of the process's threads and 10–14 µs where they do, on that VM: dear for a
//! receiver that sleeps after every batch, which is why the sender fences again as
//! soon as one asks.
//!
//! `membarrier` is used where Linux has it (4.14 on) and the sandbox lets the process
//! register for it, unless `PIPELINE_MEMBARRIER=0` is in the environment; otherwise,
//! on other systems, and under Miri, senders always fence ([`asymmetric`] is false).
//! Under loom a fencing sender and a receiver fence with loom's `SeqCst` fences, which
//! is what the models check; a sender that does not fence does nothing.
//!
//! The choice is made once per process, when the first batch is made
//! ([`asymmetric`]), and never undone, but for a `membarrier` that fails, which the
//! kernel rules out for a registered process: from then on a receiver that finds a
//! sender not fencing looks again instead of sleeping, and no sender stops fencing
//! again.

#[cfg(not(all(loom, test)))]
mod imp {
    use std::sync::atomic::{compiler_fence, fence, AtomicBool, Ordering::*};
    use std::sync::Once;

    /// The process registered for `membarrier`, and no barrier has failed since.
    static MEMBARRIER: AtomicBool = AtomicBool::new(false);
    static CHOOSE: Once = Once::new();

    /// Registers for `membarrier` unless refused, once per process. Every reader of
    /// `MEMBARRIER` calls it first: `call_once` orders the store below before them,
    /// so `Relaxed` is enough.
    fn init() {
        CHOOSE.call_once(|| {
            let refused = std::env::var_os("PIPELINE_MEMBARRIER").is_some_and(|v| v == "0");
            MEMBARRIER.store(!refused && membarrier::register(), Relaxed);
        });
    }

    /// Whether a sender may leave out its fence, receivers paying with [`heavy`].
    pub(crate) fn asymmetric() -> bool {
        init();
        MEMBARRIER.load(Relaxed)
    }

    /// The sender's side: between its store and its load; a real fence if `fenced`.
    #[inline(always)]
    pub(crate) fn light(fenced: bool) {
        if fenced {
            fence(SeqCst);
        } else {
            compiler_fence(SeqCst);
        }
    }

    /// The receiver's side where a sender does not fence, after the receiver's own
    /// `SeqCst` fence: a full barrier on every CPU running a thread of the process.
    ///
    /// False if the barrier failed, which the kernel rules out for a registered
    /// process; the process then stops leaving out fences, and the caller must not
    /// rely on this round (a receiver looks again instead of sleeping).
    #[must_use]
    pub(crate) fn heavy() -> bool {
        if asymmetric() && membarrier::expedited() {
            return true;
        }
        MEMBARRIER.store(false, Relaxed);
        false
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

    /// True, so that batches may stop fencing; the models that let them call `heavy`
    /// through a stand-in (see `pending`), and the others stay within `CALM`.
    pub(crate) fn asymmetric() -> bool {
        true
    }

    pub(crate) fn light(fenced: bool) {
        if fenced {
            fence(SeqCst);
        }
    }

    /// Not modelled: the models that let senders stop fencing never call it.
    pub(crate) fn heavy() -> bool {
        unreachable!("membarrier under loom")
    }
}

pub(crate) use imp::{asymmetric, heavy, light};
