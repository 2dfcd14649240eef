//! Every worker thread and isolated worker's process asks Linux for a short time
//! slice, so that a worker woken by its input runs soon on a machine that other
//! programs keep busy; what a stage's code starts keeps the kernel's default.
#![cfg(target_os = "linux")]

pipeline::init_at_load!();

use pipeline::{consumer, pipeline, producer, stage};

/// A thread's scheduling policy and time slice in ns.
type Sched = (u32, u64);

/// The calling thread's policy and slice, as `/proc` shows them (0 for what it does
/// not show: the file needs `CONFIG_SCHED_DEBUG`, the slice Linux 6.6).
fn policy_and_slice() -> Sched {
    let sched = std::fs::read_to_string("/proc/thread-self/sched").unwrap_or_default();
    let field = |name: &str| {
        sched
            .lines()
            .find_map(|line| {
                let (key, value) = line.split_once(':')?;
                (key.trim() == name).then(|| value.trim().parse::<u64>().unwrap())
            })
            .unwrap_or(0)
    };
    (field("policy") as u32, field("se.slice"))
}

/// Whether this kernel takes a thread's slice (Linux 6.12 on) and shows it.
fn slices_are_seen() -> bool {
    let release = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    let mut numbers = release
        .split(['.', '-'])
        .map(|n| n.parse::<u32>().unwrap_or(0));
    let version = (numbers.next().unwrap_or(0), numbers.next().unwrap_or(0));
    let seen = version >= (6, 12) && policy_and_slice().1 != 0;
    if !seen {
        eprintln!("Linux {release} takes or shows no time slice: nothing to check");
    }
    seen
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
    if !slices_are_seen() {
        return;
    }
    let (caller_policy, caller_slice) = policy_and_slice();
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
    if !slices_are_seen() {
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
