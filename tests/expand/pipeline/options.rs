//! Options where a stage is used: checked on the option, set on the stage.

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
    let workers = 3;
    let sum = pipeline!(numbers(10) => square[workers = workers, ordered, name = "sq"] => total)
        .run()
        .unwrap();
    assert_eq!(sum, 285);
}
