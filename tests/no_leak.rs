//! Guarantee 5: when `run()`, `join()` or the iterator's drop returns, every thread
//! the pipeline started has been joined. One test in its own binary, so the process's
//! thread count is the pipeline's alone.

mod common;

use common::{signal_then_drain, threads, threads_settle_at};
use pipeline::{consumer, pipeline, producer, stage};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::sync_channel;

#[producer(workers = 2)]
fn naturals() -> impl Iterator<Item = u64> {
    0..
}

#[producer]
fn numbers(n: u64) -> impl Iterator<Item = u64> {
    0..n
}

#[stage(workers = 4)]
fn double(x: u64) -> u64 {
    x * 2
}

#[stage(workers = 3, ordered)]
fn check(x: u64, bad: u64) -> Result<u64, String> {
    if x == bad {
        Err(format!("bad {x}"))
    } else {
        Ok(x)
    }
}

#[consumer(workers = 2)]
fn total(xs: impl Iterator<Item = u64>) -> u64 {
    xs.sum()
}

#[consumer]
fn first(xs: impl Iterator<Item = u64>) -> Option<u64> {
    xs.into_iter().next()
}

/// An argument whose `Clone` panics on its second copy: after the first of the three
/// `forward` workers has started (the last would get the argument itself).
struct Fragile;

static CLONES: AtomicUsize = AtomicUsize::new(0);

impl Clone for Fragile {
    fn clone(&self) -> Self {
        assert!(CLONES.fetch_add(1, Ordering::SeqCst) != 1, "cannot copy");
        Fragile
    }
}

#[stage(workers = 3)]
fn forward(xs: impl Iterator<Item = u64>, arg: Fragile) -> impl Iterator<Item = u64> {
    let _ = arg;
    xs
}

#[test]
fn every_thread_is_joined_whatever_way_the_run_ends() {
    let baseline = threads();

    let sums = pipeline!(numbers(10_000) => double => total).run().unwrap();
    assert_eq!(sums.iter().sum::<u64>(), 2 * (0..10_000).sum::<u64>());
    assert_eq!(
        threads_settle_at(baseline),
        baseline,
        "after a successful run"
    );

    pipeline!(naturals() => double => check(778) => total)
        .run()
        .unwrap_err();
    assert_eq!(threads_settle_at(baseline), baseline, "after a failed run");

    pipeline!(naturals() => double => first).run().unwrap();
    assert_eq!(threads_settle_at(baseline), baseline, "after an early stop");

    let few: Vec<_> = pipeline!(naturals() => double)
        .into_iter()
        .take(3)
        .collect();
    assert_eq!(few.len(), 3);
    assert_eq!(
        threads_settle_at(baseline),
        baseline,
        "after dropping the iterator"
    );

    CLONES.store(0, Ordering::SeqCst);
    let error = pipeline!(naturals() => forward(Fragile) => total)
        .run()
        .unwrap_err();
    assert_eq!(error.stage(), Some("forward"));
    assert_eq!(
        threads_settle_at(baseline),
        baseline,
        "after a panic while starting the workers"
    );

    let (started, wait) = sync_channel(1);
    let handle = pipeline!(naturals() => double => signal_then_drain(started)).spawn();
    wait.recv().unwrap();
    // 2 producers + 4 `double` + 1 consumer, all running now.
    assert_eq!(threads(), baseline + 7, "while running");
    handle.cancel();
    handle.join().unwrap_err();
    assert_eq!(
        threads_settle_at(baseline),
        baseline,
        "after cancel and join"
    );
}
