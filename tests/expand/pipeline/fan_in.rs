//! A fan-in of chains: each flow of the list, merged, feeds `total`.

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
    let sum = pipeline!([numbers(5) => square, numbers(7)] => total).run().unwrap();
    assert_eq!(sum, total(numbers(5).map(square).chain(numbers(7))));
}
