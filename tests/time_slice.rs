//! Every worker thread asks Linux for a short time slice, so that a worker woken by its
//! input runs soon on a machine that other programs keep busy; an isolated worker's
//! process inherits it.
#![cfg(target_os = "linux")]

pipeline::init_at_load!();

use pipeline::{consumer, pipeline, producer, stage};

/// `struct sched_attr` of the kernel's `uapi/linux/sched/types.h`.
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

/// The calling thread's policy and slice, as the kernel reports them (the slice is
/// reported from Linux 6.12 on).
fn policy_and_slice() -> (u32, u64) {
    let mut attr = SchedAttr::default();
    let size = std::mem::size_of::<SchedAttr>() as libc::c_uint;
    // SAFETY: the kernel writes at most `size` bytes into `attr`.
    let got = unsafe {
        libc::syscall(
            libc::SYS_sched_getattr,
            0 as libc::pid_t,
            &mut attr as *mut SchedAttr,
            size,
            0 as libc::c_uint,
        )
    };
    assert_eq!(got, 0, "sched_getattr: {}", std::io::Error::last_os_error());
    (attr.policy, attr.runtime)
}

#[producer]
fn slices() -> impl Iterator<Item = (u32, u64)> {
    std::iter::once(policy_and_slice())
}

#[stage(workers = 2)]
fn with_own(from_producer: (u32, u64)) -> [(u32, u64); 2] {
    [from_producer, policy_and_slice()]
}

#[consumer]
fn collect(xs: impl Iterator<Item = [(u32, u64); 2]>) -> (Vec<(u32, u64)>, (u32, u64)) {
    (xs.flatten().collect(), policy_and_slice())
}

/// Where the kernel reports slices, every worker's is 300 µs; the caller's thread
/// keeps its own.
#[test]
fn every_worker_thread_asks_for_a_300_us_slice() {
    let (caller_policy, caller_slice) = policy_and_slice();
    if caller_slice == 0 {
        // Before 6.12 the kernel neither reports nor takes a slice.
        eprintln!("this kernel reports no time slice: nothing to check");
        return;
    }
    assert_eq!(caller_policy, 0, "the test runs under SCHED_OTHER");
    assert_ne!(
        caller_slice, 300_000,
        "the caller's own slice is left alone"
    );
    let (workers, consumer) = pipeline!(slices() => with_own => collect).run().unwrap();
    assert_eq!(workers, [(0, 300_000), (0, 300_000)], "producer, stage");
    assert_eq!(consumer, (0, 300_000), "consumer");
    assert_eq!(policy_and_slice(), (caller_policy, caller_slice));
}

/// An isolated worker's process has the slice of the worker thread that started it.
#[test]
fn an_isolated_worker_inherits_its_threads_300_us_slice() {
    if policy_and_slice().1 == 0 {
        eprintln!("this kernel reports no time slice: nothing to check");
        return;
    }
    let got: Vec<(u32, u64)> = pipeline!(numbers(1) => in_child => gather).run().unwrap();
    assert_eq!(got, [(0, 300_000)]);
}

#[producer]
fn numbers(n: u64) -> impl Iterator<Item = u64> {
    0..n
}

/// The policy and slice of the isolated worker's process that maps `x`.
#[stage(isolate)]
fn in_child(_x: u64) -> (u32, u64) {
    policy_and_slice()
}

#[consumer]
fn gather(xs: impl Iterator<Item = (u32, u64)>) -> Vec<(u32, u64)> {
    xs.collect()
}
