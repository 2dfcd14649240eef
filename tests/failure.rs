//! Guarantee 3: a panic or `Err` anywhere ends the run with an error naming the stage,
//! the worker and the message, even while other workers are blocked on full or
//! empty queues and the producer is infinite.

mod common;

use common::{naturals, no_hang};
use pipeline::{consumer, pipeline, producer, stage, Error};
use std::error::Error as _;
use std::fmt;

#[derive(Debug, PartialEq)]
struct BadRecord(u64);

impl fmt::Display for BadRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "bad record {}", self.0)
    }
}

impl std::error::Error for BadRecord {}

#[producer]
fn numbers(n: u64) -> impl Iterator<Item = u64> {
    0..n
}

#[producer]
fn panics_at_once() -> impl Iterator<Item = u64> {
    if true {
        panic!("no input file");
    }
    0..1
}

#[producer]
fn cannot_open(path: String) -> Result<std::vec::IntoIter<u64>, std::io::Error> {
    Err(std::io::Error::new(
        std::io::ErrorKind::NotFound,
        format!("{path}: not found"),
    ))
}

#[stage(workers = 4)]
fn reject_at(x: u64, bad: u64) -> Result<u64, BadRecord> {
    if x == bad {
        Err(BadRecord(x))
    } else {
        Ok(x)
    }
}

#[stage]
fn panic_at(x: u64, bad: u64) -> u64 {
    assert!(x != bad, "bad header at {x}");
    x
}

#[stage(workers = 3)]
fn pass(xs: impl Iterator<Item = u64>) -> impl Iterator<Item = u64> {
    xs
}

#[consumer]
fn total(xs: impl Iterator<Item = u64>) -> u64 {
    xs.sum()
}

#[consumer]
fn panics_on_last(xs: impl Iterator<Item = u64>, last: u64) -> u64 {
    let mut sum = 0;
    for x in xs {
        assert!(x != last, "last item {x}");
        sum += x;
    }
    sum
}

#[consumer]
fn fails_at_first(xs: impl Iterator<Item = u64>) -> Result<u64, String> {
    match xs.into_iter().next() {
        Some(x) => Err(format!("refused {x}")),
        None => Ok(0),
    }
}

fn run_to_error(
    what: &'static str,
    p: impl FnOnce() -> Result<u64, Error> + Send + 'static,
) -> Error {
    no_hang(what, move || p().expect_err("the run should fail"))
}

#[test]
fn a_producer_panicking_before_its_first_item() {
    let e = run_to_error("producer panic", || {
        pipeline!(panics_at_once() => pass => total).run()
    });
    assert_eq!(
        e.to_string(),
        "stage `panics_at_once` worker 0 panicked: no input file"
    );
    assert!(e.is_panic());
    assert_eq!(e.panic_message(), Some("no input file"));
}

#[test]
fn a_fallible_producer_returning_err_gives_its_error_as_source() {
    let e = run_to_error("producer err", || {
        pipeline!(cannot_open("data.csv".to_owned()) => pass => total).run()
    });
    assert_eq!(
        e.to_string(),
        "stage `cannot_open` worker 0 failed: data.csv: not found"
    );
    let io = e
        .source()
        .unwrap()
        .downcast_ref::<std::io::Error>()
        .unwrap();
    assert_eq!(io.kind(), std::io::ErrorKind::NotFound);
}

#[test]
fn one_worker_of_many_returning_err_over_an_infinite_producer() {
    let e = run_to_error("stage err", || {
        pipeline!(naturals() => reject_at(5000) => pass => total).run()
    });
    assert_eq!(e.stage(), Some("reject_at"));
    assert!(e.worker().unwrap() < 4);
    assert_eq!(
        e.to_string(),
        format!(
            "stage `reject_at` worker {} failed: bad record 5000",
            e.worker().unwrap()
        )
    );
    let source = e.source().unwrap().downcast_ref::<BadRecord>();
    assert_eq!(source, Some(&BadRecord(5000)));
    assert!(matches!(e.into_source(), Some(s) if s.is::<BadRecord>()));
}

#[test]
fn a_panic_on_the_first_item_while_others_block_on_full_and_empty_queues() {
    // `panic_at` fails at once: the infinite producer is blocked on its full queue,
    // the three `pass` workers and the consumer on their empty ones.
    let e = run_to_error("first item", || {
        pipeline!(naturals() => panic_at(0) => pass => total).run()
    });
    assert_eq!(
        e.to_string(),
        "stage `panic_at` worker 0 panicked: bad header at 0"
    );
}

#[test]
fn a_consumer_panicking_on_the_last_item() {
    let e = run_to_error("consumer panic", || {
        pipeline!(numbers(1000) => pass => panics_on_last(999)).run()
    });
    assert_eq!(
        e.to_string(),
        "stage `panics_on_last` worker 0 panicked: last item 999"
    );
}

#[test]
fn a_consumer_err_over_an_infinite_producer() {
    let e = run_to_error("consumer err", || {
        pipeline!(naturals() => pass => fails_at_first).run()
    });
    assert_eq!(e.stage(), Some("fails_at_first"));
    assert!(e
        .to_string()
        .starts_with("stage `fails_at_first` worker 0 failed: refused "));
    assert!(e.source().is_some());
}

#[test]
fn a_broadcast_branch_failing_stops_the_other_branches() {
    let e = run_to_error("broadcast", || {
        pipeline!(naturals() => [pass => total, panic_at(10) => total])
            .run()
            .map(|(a, b)| a + b)
    });
    assert_eq!(e.stage(), Some("panic_at"));
}

#[test]
fn the_calling_thread_gets_the_error_and_then_the_end() {
    let mut items = pipeline!(naturals() => panic_at(100)).into_iter();
    let mut seen = 0;
    let error = no_hang("iterator error", move || loop {
        match items.next() {
            Some(Ok(_)) => seen += 1,
            Some(Err(e)) => {
                assert!(
                    items.next().is_none(),
                    "the iterator goes on after an error"
                );
                assert!(seen <= 100);
                return e;
            }
            None => panic!("ended without the error"),
        }
    });
    assert_eq!(
        error.to_string(),
        "stage `panic_at` worker 0 panicked: bad header at 100"
    );
}
