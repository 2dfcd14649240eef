//! Items cross queues in batches; these cases check the edges of that: streams cut at
//! every length around the batch size, tiny queues, and bursts whose last items sit
//! in a half-full batch while the producer waits.

mod common;

use common::no_hang;
use pipeline::{consumer, pipeline, producer, stage};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::{Arc, Mutex};

#[producer]
fn numbers(n: u64) -> impl Iterator<Item = u64> {
    0..n
}

#[stage(workers = 2)]
fn double(x: u64) -> u64 {
    x * 2
}

#[stage(workers = 3, ordered, buffer = 1)]
fn tight(x: u64) -> u64 {
    x + 1
}

/// A queue that holds nothing: items are handed over one at a time.
#[stage(workers = 2, buffer = 0)]
fn handed_over(x: u64) -> u64 {
    x
}

#[stage(buffer = 7)]
fn small(xs: impl Iterator<Item = u64>) -> impl Iterator<Item = u64> {
    xs
}

#[consumer]
fn collect(xs: impl Iterator<Item = u64>) -> Vec<u64> {
    xs.collect()
}

#[test]
fn every_stream_length_around_the_batch_size_arrives_whole() {
    for n in (0..=3)
        .chain(60..=70)
        .chain(125..=131)
        .chain([1000, 4095, 4097])
    {
        let mut got = no_hang("lengths", move || {
            pipeline!(numbers(n) => double => tight => small => collect)
                .run()
                .unwrap()
        });
        got.sort_unstable();
        let want: Vec<u64> = (0..n).map(|x| x * 2 + 1).collect();
        assert_eq!(got, want, "n = {n}");
    }
}

#[test]
fn an_ordered_stage_behind_a_one_item_queue_keeps_order() {
    let got = no_hang("tight", || {
        pipeline!(numbers(5000) => tight => collect).run().unwrap()
    });
    assert_eq!(got, (1..=5000).collect::<Vec<_>>());
}

#[test]
fn a_queue_of_no_items_hands_every_item_over() {
    let mut got = no_hang("buffer = 0", || {
        pipeline!(numbers(3000) => handed_over => collect)
            .run()
            .unwrap()
    });
    got.sort_unstable();
    assert_eq!(got, (0..3000).collect::<Vec<_>>());
}

type Acks = Arc<Mutex<Receiver<u64>>>;

/// Yields bursts of 1 to 150 items, then waits until the consumer acknowledged the
/// burst's last item: that item sits in a half-full batch unless the runtime hands
/// half-full batches to idle readers.
#[producer]
fn bursts(rounds: u64, acks: Acks) -> impl Iterator<Item = u64> {
    let mut next = 0u64;
    (0..rounds).flat_map(move |round| {
        let size = 1 + (round * 37) % 150;
        let burst: Vec<u64> = (next..next + size).collect();
        next += size;
        if round > 0 {
            let last = acks.lock().unwrap().recv().unwrap();
            assert_eq!(last + 1, burst[0]);
        }
        burst
    })
}

/// Counts items; after the last item of each burst, tells the producer how many
/// items it has seen (as the index of the last one).
#[consumer]
fn ack_bursts(xs: impl Iterator<Item = u64>, ack: SyncSender<u64>) -> u64 {
    let mut seen = 0;
    for _ in xs {
        seen += 1;
        if is_burst_end(seen) {
            // The producer stops listening after its last burst.
            let _ = ack.send(seen - 1);
        }
    }
    seen
}

/// Whether the `seen`-th item (counted from 1) ends a burst of `bursts`.
fn is_burst_end(seen: u64) -> bool {
    let mut end = 0;
    for round in 0.. {
        end += 1 + (round * 37) % 150;
        if end >= seen {
            return end == seen;
        }
    }
    unreachable!()
}

#[test]
fn the_last_items_of_a_burst_are_not_held_while_the_producer_waits() {
    let n = no_hang("bursts", || {
        let (ack, acks) = sync_channel(1);
        let acks = Arc::new(Mutex::new(acks));
        pipeline!(bursts(60, acks) => double => tight => small => ack_bursts(ack))
            .run()
            .unwrap()
    });
    assert_eq!(n, (0..60).map(|r| 1 + (r * 37) % 150).sum::<u64>());
}
