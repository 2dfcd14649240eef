//! Guarantee 7: an `ordered` item stage with several workers emits in input order;
//! every stage keeps the multiset.

mod common;

use common::{no_hang, spin};
use pipeline::{consumer, pipeline, producer, stage};

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
