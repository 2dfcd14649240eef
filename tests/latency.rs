//! Guarantee 6: an item is delivered while its producer is still blocked afterwards.
//! The producer yields one item, then waits until the consumer has seen it: if any
//! stage held the item back, this would never finish.

mod common;

use common::no_hang;
use pipeline::{consumer, pipeline, producer, stage};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::{Arc, Mutex};

type Acks = Arc<Mutex<Receiver<u64>>>;

/// Like a log tailer: one line, then a wait for the outside world.
#[producer]
fn tail(lines: u64, acks: Acks) -> impl Iterator<Item = u64> {
    (0..lines).inspect(move |&i| {
        if i > 0 {
            let acked = acks.lock().unwrap().recv().unwrap();
            assert_eq!(acked, i - 1);
        }
    })
}

#[stage(workers = 2)]
fn parse(x: u64) -> u64 {
    x
}

#[stage(workers = 2, ordered)]
fn enrich(x: u64) -> u64 {
    x
}

#[stage]
fn forward(xs: impl Iterator<Item = u64>) -> impl Iterator<Item = u64> {
    xs
}

#[consumer]
fn acknowledge(xs: impl Iterator<Item = u64>, ack: SyncSender<u64>) -> u64 {
    let mut n = 0;
    for x in xs {
        // The producer stops listening after its last item.
        let _ = ack.send(x);
        n += 1;
    }
    n
}

#[test]
fn an_item_is_not_held_back_while_its_producer_waits() {
    let n = no_hang("item held back", || {
        let (ack, acks) = sync_channel(1);
        let acks = Arc::new(Mutex::new(acks));
        pipeline!(tail(200, acks) => parse => enrich => forward => acknowledge(ack))
            .run()
            .unwrap()
    });
    assert_eq!(n, 200);
}

#[test]
fn the_caller_iterating_gets_each_item_while_the_producer_waits() {
    let got = no_hang("item held back from the caller", || {
        let (ack, acks) = sync_channel(1);
        let acks = Arc::new(Mutex::new(acks));
        let mut n = 0;
        for x in pipeline!(tail(100, acks) => parse => forward) {
            let _ = ack.send(x.unwrap());
            n += 1;
        }
        n
    });
    assert_eq!(got, 100);
}
