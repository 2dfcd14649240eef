//! Short time slices for the pipeline's threads, where Linux gives them.
//!
//! A pipeline hands its items from thread to thread, and a thread that waits for
//! input or for room sleeps until another wakes it (see [`wake`](crate::wake)); the
//! woken thread must then get a CPU. On a machine whose CPUs other programs keep busy,
//! Linux's scheduler (EEVDF, from 6.6) lets the program running finish its time slice,
//! a few ms, before the woken thread runs, unless the woken thread asked for a shorter
//! slice than that program's (from 6.12). A pipeline whose threads wake each other
//! thousands of times a second then runs at the pace of those slices: an empty
//! 2-worker stage beside two busy loops on 2 cores took 2.1–4.0 s over 2 M items
//! (1–2 µs an item, against 15–30 ns on the quiet machine), and 0.50–0.80 s with this.
//!
//! So every worker thread, and every isolated worker's process, asks for a slice of
//! [`SLICE_NS`], as the `sched_runtime` of its `SCHED_OTHER` policy. Its share of the
//! CPU does not change, only how soon it runs once woken, and for how long before a
//! thread that waits may take over. The request is the runtime's own: with it goes
//! `SCHED_FLAG_RESET_ON_FORK`, so that the threads and processes a stage's code starts
//! get the kernel's defaults, not this slice (and, as that flag does, a nice value of
//! 0 where the worker's was below 0). A thread under another policy (`SCHED_BATCH`,
//! `SCHED_IDLE`, real time), an older kernel (which ignores the request), or a sandbox
//! that refuses it keeps what it had; `PIPELINE_SHORT_SLICE=0` in the environment
//! keeps the kernel's default for every thread.
//!
//! The shortest slice Linux gives, 100 µs, did better beside busy loops (0.26–0.41 s),
//! but on the quiet machine the pipeline's own threads, more than the cores, then
//! preempted each other: a 200 ns stage on 2 workers ran 1.35–1.62× faster than
//! sequential against 1.50–1.72× with the default slice. With 300 µs it ran
//! 1.51–1.68×.

/// The slice asked for (Linux clamps `sched_runtime` to 0.1–100 ms; its default is a
/// few ms, more with more CPUs).
pub(crate) const SLICE_NS: u64 = 300_000;

/// Asks for a [`SLICE_NS`] time slice for the calling thread; see the module docs.
/// Whatever the kernel answers, the thread goes on with the slice it has.
pub(crate) fn shorten() {
    if !std::env::var_os("PIPELINE_SHORT_SLICE").is_some_and(|v| v == "0") {
        imp::shorten();
    }
}

#[cfg(all(target_os = "linux", not(miri)))]
mod imp {
    /// `struct sched_attr` of the kernel's `uapi/linux/sched/types.h` (its second
    /// version, with the utilization clamps).
    #[repr(C)]
    #[derive(Default)]
    struct SchedAttr {
        size: u32,
        policy: u32,
        flags: u64,
        nice: i32,
        priority: u32,
        runtime: u64,
        deadline: u64,
        period: u64,
        util_min: u32,
        util_max: u32,
    }

    // From the kernel's `uapi/linux/sched.h`.
    const SCHED_OTHER: u32 = 0;
    const SCHED_FLAG_RESET_ON_FORK: u64 = 0x01;

    pub(super) fn shorten() {
        let mut attr = SchedAttr::default();
        let size = std::mem::size_of::<SchedAttr>() as libc::c_uint;
        // SAFETY: the kernel writes at most `size` bytes into `attr`, which has them;
        // pid 0 is the calling thread.
        let got = unsafe {
            libc::syscall(
                libc::SYS_sched_getattr,
                0 as libc::pid_t,
                &mut attr as *mut SchedAttr,
                size,
                0 as libc::c_uint,
            )
        };
        if got != 0 || attr.policy != SCHED_OTHER {
            return;
        }
        // Everything else as read: the nice value, and the flags and clamps with it.
        attr.size = size;
        attr.runtime = super::SLICE_NS;
        // What the stage's code starts does not inherit the slice.
        attr.flags |= SCHED_FLAG_RESET_ON_FORK;
        // SAFETY: the kernel reads `attr.size` bytes of `attr`.
        unsafe {
            libc::syscall(
                libc::SYS_sched_setattr,
                0 as libc::pid_t,
                &attr as *const SchedAttr,
                0 as libc::c_uint,
            )
        };
    }
}

#[cfg(not(all(target_os = "linux", not(miri))))]
mod imp {
    pub(super) fn shorten() {}
}
