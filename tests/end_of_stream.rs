//! Guarantee 1: end of stream is the queue closing, never a value.

mod common;

use common::no_hang;
use pipeline::{consumer, pipeline, producer, stage};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

#[producer]
fn maybes(n: u32) -> impl Iterator<Item = Option<u32>> {
    (0..n).map(|i| (i % 2 == 0).then_some(i))
}

#[stage(workers = 3)]
fn pass_maybe(x: Option<u32>) -> Option<u32> {
    x
}

#[stage(workers = 2)]
fn keep(xs: impl Iterator<Item = Option<u32>>) -> impl Iterator<Item = Option<u32>> {
    xs
}

#[consumer]
fn collect_maybes(xs: impl Iterator<Item = Option<u32>>) -> Vec<Option<u32>> {
    xs.collect()
}

#[producer]
fn units(n: usize) -> impl Iterator<Item = ()> {
    std::iter::repeat(()).take(n)
}

#[stage(workers = 2)]
fn unit_to_unit(x: ()) {
    x
}

#[consumer]
fn count_units(xs: impl Iterator<Item = ()>) -> usize {
    xs.count()
}

#[test]
fn none_values_flow_through_and_do_not_end_the_stream() {
    // An item-form stage returning `Option` drops `None`; to carry `None` values
    // through, a stream-form stage passes `Option` items on untouched.
    let mut got = no_hang("maybes", || {
        pipeline!(maybes(1000) => keep => collect_maybes)
            .run()
            .unwrap()
    });
    assert_eq!(got.len(), 1000);
    assert_eq!(got.iter().filter(|x| x.is_none()).count(), 500);
    got.sort();
    let mut want = collect_maybes(keep(maybes(1000)));
    want.sort();
    assert_eq!(got, want);
}

#[test]
fn item_form_option_return_drops_none() {
    let got = pipeline!(maybes(10) => pass_maybe => count_nones_and_somes)
        .run()
        .unwrap();
    // `pass_maybe` returns `Option<u32>`, so `None` drops and items are `u32`.
    assert_eq!(got, 5);
}

#[consumer]
fn count_nones_and_somes(xs: impl Iterator<Item = u32>) -> usize {
    xs.count()
}

#[test]
fn unit_items_flow() {
    let n = no_hang("units", || {
        pipeline!(units(5000) => unit_to_unit => count_units)
            .run()
            .unwrap()
    });
    assert_eq!(n, 5000);
}

/// A producer that counts how many of its runs have finished.
#[producer]
fn counted(n: u64, finished: Arc<AtomicUsize>) -> impl Iterator<Item = u64> {
    (0..n).chain(std::iter::from_fn(move || {
        finished.fetch_add(1, Ordering::SeqCst);
        None
    }))
}

/// Records, when the stream ends, how many producers had finished by then.
#[consumer]
fn ends_after(xs: impl Iterator<Item = u64>, finished: Arc<AtomicUsize>) -> (u64, usize) {
    let sum = xs.sum();
    (sum, finished.load(Ordering::SeqCst))
}

#[test]
fn a_stage_fed_by_three_producers_ends_after_the_third() {
    for _ in 0..50 {
        let finished = Arc::new(AtomicUsize::new(0));
        let f = finished.clone();
        let (sum, seen) = no_hang("three producers", move || {
            pipeline!([counted(10, f.clone()), counted(1000, f.clone()), counted(3, f.clone())]
                => ends_after(f))
            .run()
            .unwrap()
        });
        assert_eq!(sum, 45 + 499_500 + 3);
        assert_eq!(seen, 3, "the stream ended before every producer had");
    }
}
