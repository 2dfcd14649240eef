//! Guarantee 4: a consumer that stops early, a dropped iterator and `cancel()` stop
//! every upstream stage, and the run returns.

mod common;

#[cfg(target_os = "linux")]
use common::thread_state;
use common::{naturals, no_hang, signal_then_drain};
use pipeline::{consumer, pipeline, producer, stage};
use std::sync::mpsc::{channel, sync_channel, Receiver, Sender};
use std::sync::{Arc, Mutex};

#[stage(workers = 3)]
fn double(x: u64) -> u64 {
    x * 2
}

#[stage(workers = 2, ordered)]
fn inc(x: u64) -> u64 {
    x + 1
}

#[stage(workers = 2)]
fn pass(xs: impl Iterator<Item = u64>) -> impl Iterator<Item = u64> {
    xs
}

#[consumer]
fn first_ten(xs: impl Iterator<Item = u64>) -> Vec<u64> {
    xs.take(10).collect()
}

#[test]
fn a_consumer_that_returns_early_stops_an_infinite_producer() {
    let got = no_hang("take(10)", || {
        pipeline!(naturals() => double => inc => pass => first_ten)
            .run()
            .unwrap()
    });
    assert_eq!(got.len(), 10);
    assert!(got.iter().all(|x| x % 2 == 1));
}

#[test]
fn one_broadcast_branch_stopping_early_leaves_the_other_running() {
    let (few, evens) = no_hang("broadcast take", || {
        pipeline!(naturals() => [first_ten, double => first_ten])
            .run()
            .unwrap()
    });
    assert_eq!(few.len(), 10);
    assert_eq!(evens.len(), 10);
}

#[test]
fn dropping_the_iterator_stops_everything() {
    let got: Vec<u64> = no_hang("dropped iterator", || {
        pipeline!(naturals() => double => inc => pass)
            .into_iter()
            .take(5)
            .map(Result::unwrap)
            .collect()
    });
    assert_eq!(got.len(), 5);
}

#[test]
fn cancel_stops_a_running_pipeline() {
    let error = no_hang("cancel", || {
        let (started, wait) = sync_channel(1);
        let handle = pipeline!(naturals() => double => inc => signal_then_drain(started)).spawn();
        wait.recv().unwrap();
        handle.cancel();
        handle.join().unwrap_err()
    });
    assert!(error.is_cancelled());
    assert_eq!(error.to_string(), "pipeline cancelled");
}

#[test]
fn a_canceller_stops_the_run_from_another_thread_while_join_waits() {
    let error = no_hang("canceller", || {
        let (started, wait) = sync_channel(1);
        let handle = pipeline!(naturals() => double => signal_then_drain(started)).spawn();
        let canceller = handle.canceller();
        let other = std::thread::spawn(move || {
            wait.recv().unwrap();
            canceller.cancel();
        });
        let result = handle.join();
        other.join().unwrap();
        result.unwrap_err()
    });
    assert!(error.is_cancelled());
}

#[test]
fn drain_stops_the_producers_and_the_rest_finishes_with_every_item() {
    let (count, stats) = no_hang("drain", || {
        let (started, wait) = sync_channel(1);
        let handle =
            pipeline!(naturals() => double => inc => pass => signal_then_drain(started)).spawn();
        wait.recv().unwrap();
        handle.drain();
        handle.join_with_stats()
    });
    let count = count.expect("a drained run ends normally");
    assert!(count >= 1);
    let produced = stats.stages[0].items_out.unwrap();
    assert_eq!(
        produced, count,
        "every item produced before the drain was consumed"
    );
}

#[test]
fn dropping_a_handle_cancels_and_joins() {
    no_hang("dropped handle", || {
        let (started, wait) = sync_channel(1);
        let handle = pipeline!(naturals() => pass => signal_then_drain(started)).spawn();
        wait.recv().unwrap();
        drop(handle);
    });
}

/// `0..`, telling `dropped` when its worker lets it go.
struct Watched {
    next: u64,
    dropped: Sender<()>,
}

impl Iterator for Watched {
    type Item = u64;
    fn next(&mut self) -> Option<u64> {
        self.next += 1;
        Some(self.next)
    }
}

impl Drop for Watched {
    fn drop(&mut self) {
        let _ = self.dropped.send(());
    }
}

#[producer]
fn watched(dropped: Sender<()>) -> impl Iterator<Item = u64> {
    Watched { next: 0, dropped }
}

/// Takes one item, then waits in its own code until `gate` opens (or is dropped).
#[consumer]
fn stuck_after_one(mut xs: impl Iterator<Item = u64>, gate: Arc<Mutex<Receiver<()>>>) -> u64 {
    let first = xs.next().unwrap_or(0);
    let _ = gate.lock().unwrap().recv();
    first + xs.count() as u64
}

/// A producer asleep on a full queue stops at once on a cancel, while the only reader
/// of that queue is busy in its own code and never gets to leave it.
#[cfg(target_os = "linux")]
#[test]
fn a_cancel_wakes_a_producer_asleep_on_a_full_queue() {
    let error = no_hang("producer asleep on a full queue", || {
        let (dropped, producer_gone) = channel();
        let (open, gate) = channel();
        let handle =
            pipeline!(watched(dropped) => stuck_after_one(Arc::new(Mutex::new(gate)))).spawn();
        // Asleep, not spinning or yielding: the queue is full and the consumer stuck.
        while thread_state("watched#0") != Some('S') {
            std::thread::yield_now();
        }
        handle.cancel();
        producer_gone
            .recv()
            .expect("the producer stops, and its iterator is dropped, before the consumer moves");
        drop(open);
        handle.join().unwrap_err()
    });
    assert!(error.is_cancelled());
}
