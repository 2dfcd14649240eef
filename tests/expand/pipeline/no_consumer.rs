//! No consumer: the caller iterates over what the last stage yields.

use pipeline::{consumer, pipeline, producer, stage};

#[producer]
fn numbers(n: u64) -> impl Iterator<Item = u64> {
    0..n
}

#[stage(workers = 2)]
fn square(x: u64) -> u64 {
    x * x
}

#[consumer]
fn total(xs: impl Iterator<Item = u64>) -> u64 {
    xs.sum()
}

fn main() {
    let mut got: Vec<u64> = pipeline!(numbers(4) => square)
        .into_iter()
        .map(Result::unwrap)
        .collect();
    got.sort_unstable();
    assert_eq!(got, [0, 1, 4, 9]);
    assert_eq!(total(numbers(0)), 0);
}
