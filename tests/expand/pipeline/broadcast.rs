//! A broadcast whose branches are chains: the result is one value per branch.

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

#[consumer]
fn count(xs: impl Iterator<Item = u64>) -> usize {
    xs.count()
}

fn main() {
    let (squares, n) = pipeline!(numbers(10) => [square => total, count]).run().unwrap();
    assert_eq!((squares, n), (total(numbers(10).map(square)), 10));
}
