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

    fn was_mapped(&self, x: u64) -> bool {
        self.0.mapped.lock().unwrap().iter().any(|m| m.0 == x)
    }

    /// What the stages do with item `x`: items 8 and 9 wait until the test lets them
    /// go; every item is then counted as mapped.
    fn pass(&self, x: u64) {
        let name = std::thread::current().name().unwrap_or_default().to_owned();
        if (8..10).contains(&x) {
            self.0.waiting.lock().unwrap().push((x, name.clone()));
            while self.0.open_below.load(SeqCst) <= x {
                std::thread::yield_now();
            }
        }
        self.0.mapped.lock().unwrap().push((x, name));
    }
}

/// Items 8 and 9 wait until the test lets them go; batches of one item.
#[stage(workers = 2, ordered, buffer = 8)]
fn held(x: u64, held: Held) -> u64 {
    held.pass(x);
    x
}

/// The same, failing on item 9 once let go.
#[stage(workers = 2, ordered, buffer = 8)]
fn fails_on_nine(x: u64, held: Held) -> Result<u64, String> {
    held.pass(x);
    if x == 9 {
        return Err("item 9 is bad".to_owned());
    }
    Ok(x)
}

/// Reads nothing until the test meets it at `open`; its queue holds 8 items.
#[consumer(buffer = 8)]
fn opened_later(xs: impl Iterator<Item = u64>, open: Arc<Barrier>) -> Vec<u64> {
    open.wait();
    xs.collect()
}

/// Meets the consumer at its barrier when dropped, also when the test fails.
struct OpenOnDrop(Arc<Barrier>);

impl Drop for OpenOnDrop {
    fn drop(&mut self) {
        self.0.wait();
    }
}

/// Brings the stage at index 1 of `handle` (gated by `gates`) to where one worker
/// waits to send item 8 into the consumer's full queue and the other holds item 9;
/// the name of the other.
#[cfg(target_os = "linux")]
fn sender_waits_for_room<T>(handle: &pipeline::Handle<T>, gates: &Held) -> String {
    // One worker waits in the stage with 8, the other with 9: each has sent or left
    // what it had before, and 0 to 7 fill the consumer's queue.
    let (sender, other) = (gates.waiting(8), gates.waiting(9));
    assert_ne!(sender, other);
    // The worker with 8 sends it, counts it as sent, and waits for room.
    gates.open_below(9);
    while handle.stats().stages[1].items_out != Some(9)
        || common::thread_state(&sender) != Some('S')
    {
        std::thread::yield_now();
    }
    other
}

/// The worker of an ordered stage that sends into a full queue waits there for room,
/// and the other, done with its batch, waits for it (asleep, holding no lock) instead
/// of taking the next: on two cores the workers going on took the CPU the reader
/// needed. A cancel reaches both.
#[cfg(target_os = "linux")]
#[test]
fn an_ordered_worker_waits_while_the_sender_waits_for_room() {
    let gates = Held::default();
    let open = Arc::new(Barrier::new(2));
    let handle = {
        let (gates, open) = (gates.clone(), open.clone());
        pipeline!(numbers(100) => held(gates) => opened_later(open)).spawn()
    };
    let opener = OpenOnDrop(open);
    let handle = no_hang("the workers waiting on the full queue", move || {
        // Declared after `handle`, so dropped before it if the test fails here: lets
        // the consumer read, and the run end.
        let (handle, opener) = (handle, opener);
        let other = sender_waits_for_room(&handle, &gates);
        // The other maps 9, leaves it to the sender, and waits instead of going on.
        gates.open_below(10);
        gates.mapped(9);
        while common::thread_state(&other) != Some('S') {
            std::thread::yield_now();
        }
        assert!(
            !gates.was_mapped(10),
            "a worker took another batch while the sender waited for room"
        );
        handle.cancel();
        while common::running_workers(&handle, 1) > 0 {
            std::thread::yield_now();
        }
        drop(opener);
        handle
    });
    assert!(handle.join().unwrap_err().is_cancelled());
}

/// A worker of an ordered stage fails while the other waits to send into a full
/// queue: the failure wakes the sender, which lets go of the shared output, so the
/// failed worker can discard what it had and end; the run reports the failure, not
/// a hang.
#[cfg(target_os = "linux")]
#[test]
fn a_failure_while_the_sender_waits_for_room_ends_the_run() {
    let gates = Held::default();
    let open = Arc::new(Barrier::new(2));
    let handle = {
        let (gates, open) = (gates.clone(), open.clone());
        pipeline!(numbers(100) => fails_on_nine(gates) => opened_later(open)).spawn()
    };
    let opener = OpenOnDrop(open);
    let handle = no_hang("both workers ending after the failure", move || {
        let (handle, opener) = (handle, opener);
        sender_waits_for_room(&handle, &gates);
        // The other fails on 9 while the sender waits for room; the consumer still
        // reads nothing.
        gates.open_below(10);
        while common::running_workers(&handle, 1) > 0 {
            std::thread::yield_now();
        }
        drop(opener);
        handle
    });
    let error = handle.join().unwrap_err();
    assert!(!error.is_cancelled(), "{error}");
    assert!(format!("{error:#}").contains("item 9 is bad"), "{error:#}");
}
