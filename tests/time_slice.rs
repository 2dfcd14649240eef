//! Every worker thread and isolated worker's process asks Linux for a short time
//! slice, so that a worker woken by its input runs soon on a machine that other
//! programs keep busy; what a stage's code starts keeps the kernel's default.
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

/// A thread's scheduling policy and time slice in ns.
type Sched = (u32, u64);

/// The calling thread's policy and slice, as the kernel reports them (the slice is
/// reported from Linux 6.12 on).
fn policy_and_slice() -> Sched {
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
fn slices() -> impl Iterator<Item = Sched> {
    std::iter::once(policy_and_slice())
}

#[stage(workers = 2)]
fn with_own(from_producer: Sched) -> [Sched; 2] {
    [from_producer, policy_and_slice()]
}

/// Its own slice, and that of a thread it starts.
#[consumer]
fn collect(xs: impl Iterator<Item = [Sched; 2]>) -> (Vec<Sched>, [Sched; 2]) {
    let started = std::thread::spawn(policy_and_slice).join().unwrap();
    (xs.flatten().collect(), [policy_and_slice(), started])
}

/// Where the kernel reports slices, every worker's is 300 µs; the caller's thread
/// keeps its own, and a thread that a stage's code starts gets the default.
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
    assert_eq!(consumer[0], (0, 300_000), "consumer");
    assert_eq!(
        consumer[1],
        (caller_policy, caller_slice),
        "a thread it started"
    );
    assert_eq!(policy_and_slice(), (caller_policy, caller_slice));
}

/// An isolated worker's process asks for the slice too (it does not inherit it).
#[test]
fn an_isolated_worker_asks_for_a_300_us_slice() {
    if policy_and_slice().1 == 0 {
        eprintln!("this kernel reports no time slice: nothing to check");
        return;
    }
    let got: Vec<Sched> = pipeline!(numbers(1) => in_child => gather).run().unwrap();
    assert_eq!(got, [(0, 300_000)]);
}

#[producer]
fn numbers(n: u64) -> impl Iterator<Item = u64> {
    0..n
}

/// The policy and slice of the isolated worker's process that maps `x`.
#[stage(isolate)]
fn in_child(_x: u64) -> Sched {
    policy_and_slice()
}

#[consumer]
fn gather(xs: impl Iterator<Item = Sched>) -> Vec<Sched> {
    xs.collect()
}
