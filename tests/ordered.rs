//! Guarantee 7: an `ordered` item stage with several workers emits in input order;
//! every stage keeps the multiset.

mod common;

use common::{no_hang, spin};
use pipeline::{consumer, pipeline, producer, stage};
use std::sync::atomic::{AtomicU64, Ordering::SeqCst};
use std::sync::{Arc, Barrier, Mutex};

#[producer]
fn numbers(n: u64) -> impl Iterator<Item = u64> {
    0..n
}

/// Uneven work per item, so workers finish out of order.
#[stage(workers = 4, ordered)]
fn uneven(x: u64) -> u64 {
    spin((x * 7919) % 500);
    x * 2
}

#[stage(workers = 3, ordered)]
fn drop_thirds(x: u64) -> Option<u64> {
    spin((x * 104_729) % 300);
    (x % 3 != 0).then_some(x)
}

#[stage(workers = 4)]
fn uneven_unordered(x: u64) -> u64 {
    spin((x * 7919) % 500);
    x * 2
}

#[consumer]
fn in_arrival_order(xs: impl Iterator<Item = u64>) -> Vec<u64> {
    xs.collect()
}

#[test]
fn ordered_stages_emit_in_input_order() {
    let got = no_hang("ordered", || {
        pipeline!(numbers(20_000) => uneven => drop_thirds => in_arrival_order)
            .run()
            .unwrap()
    });
    let want = in_arrival_order(numbers(20_000).map(uneven).filter_map(drop_thirds));
    assert_eq!(got, want);
}

#[test]
fn unordered_stages_keep_the_multiset() {
    let mut got = no_hang("unordered", || {
        pipeline!(numbers(20_000) => uneven_unordered => in_arrival_order)
            .run()
            .unwrap()
    });
    got.sort_unstable();
    assert_eq!(got, in_arrival_order(numbers(20_000).map(uneven_unordered)));
}

/// What the test and the stage `held` share: how far the stage may go, and where
/// items are, with the name of the worker's thread.
#[derive(Clone, Default)]
struct Held(Arc<HeldState>);

#[derive(Default)]
struct HeldState {
    /// Items 8 and 9 wait in the stage until this is past them.
    open_below: AtomicU64,
    /// The items waiting there.
    waiting: Mutex<Vec<(u64, String)>>,
    /// The items mapped.
    mapped: Mutex<Vec<(u64, String)>>,
}

impl Held {
    fn open_below(&self, x: u64) {
        self.0.open_below.store(x, SeqCst);
    }

    /// Waits until item `x` is in `list`; the name of the thread that put it there.
    fn wait_for(list: &Mutex<Vec<(u64, String)>>, x: u64) -> String {
        loop {
            if let Some((_, name)) = list.lock().unwrap().iter().find(|m| m.0 == x) {
                return name.clone();
            }
            std::thread::yield_now();
        }
    }

    fn mapped(&self, x: u64) -> String {
        Self::wait_for(&self.0.mapped, x)
    }

    fn waiting(&self, x: u64) -> String {
        Self::wait_for(&self.0.waiting, x)
    }
}

fn worker_name() -> String {
    std::thread::current().name().unwrap_or_default().to_owned()
}

/// Items 8 and 9 wait until the test lets them go; the consumer's queue holds 8.
#[stage(workers = 2, ordered, buffer = 8)]
fn held(x: u64, held: Held) -> u64 {
    if (8..10).contains(&x) {
        held.0.waiting.lock().unwrap().push((x, worker_name()));
        while held.0.open_below.load(SeqCst) <= x {
            std::thread::yield_now();
        }
    }
    held.0.mapped.lock().unwrap().push((x, worker_name()));
    x
}

/// Reads nothing until the test meets it at `open`.
#[consumer(buffer = 8)]
fn opened_later(xs: impl Iterator<Item = u64>, open: Arc<Barrier>) -> Vec<u64> {
    open.wait();
    xs.collect()
}

/// Meets the consumer at its barrier when dropped.
struct OpenOnDrop(Arc<Barrier>);

impl Drop for OpenOnDrop {
    fn drop(&mut self) {
        self.0.wait();
    }
}

/// A worker of an ordered stage that sends into a full queue waits there, and the
/// other worker goes on with the next batches (up to the window) instead of waiting
/// for it: no lock is held across the wait.
#[cfg(target_os = "linux")]
#[test]
fn a_worker_goes_on_while_the_other_waits_to_send_in_order() {
    let gates = Held::default();
    let open = Arc::new(Barrier::new(2));
    let handle = {
        let (gates, open) = (gates.clone(), open.clone());
        pipeline!(numbers(100) => held(gates) => opened_later(open)).spawn()
    };
    // Dropped before `handle`, also when the test fails: lets the consumer read.
    let opener = OpenOnDrop(open);
    no_hang("the other worker going on past 9", move || {
        // Items 0 to 7 fill the consumer's queue: 8 is the next to send.
        gates.open_below(9);
        // The worker that waits with 9 is not the one that sends 8 (that one
        // waits on the full queue until the consumer reads).
        let other = gates.waiting(9);
        let sender = ["held#0", "held#1"]
            .into_iter()
            .find(|n| *n != other)
            .unwrap();
        gates.mapped(8);
        while common::thread_state(sender) != Some('S') {
            std::thread::yield_now();
        }
        gates.open_below(10);
        // The other maps 9, leaves it for the sender, and goes on with 10.
        gates.mapped(10);
    });
    drop(opener);
    assert_eq!(handle.join().unwrap(), (0..100).collect::<Vec<_>>());
}
