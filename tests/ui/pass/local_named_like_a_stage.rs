//! A local variable may share its name with a stage.

use pipeline::{consumer, pipeline, producer};

#[producer]
fn records(n: u64) -> impl Iterator<Item = u64> {
    0..n
}

#[consumer]
fn total(xs: impl Iterator<Item = u64>) -> u64 {
    xs.sum()
}

fn main() {
    let records = 10;
    let total_value = pipeline!(records(records) => total).run().unwrap();
    assert_eq!(total_value, 45);
    let total = 0;
    assert_eq!(pipeline!(records(4) => total).run().unwrap(), 6 + total);
}
