//! `pipeline!(numbers(10) => square => total)`: each stage's block checks where it
//! stands, builds it from its arguments and adds it to the stream.

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
    let sum = pipeline!(numbers(10) => square => total).run().unwrap();
    assert_eq!(sum, total(numbers(10).map(square)));
}
