use pipeline::{consumer, pipeline, producer};
use std::rc::Rc;

#[producer]
fn numbers(n: u64) -> impl Iterator<Item = u64> {
    0..n
}

#[consumer]
fn total(xs: impl Iterator<Item = u64>, base: &Rc<u64>) -> u64 {
    xs.sum::<u64>() + **base
}

fn main() {
    let _ = pipeline!(numbers(10) => total(Rc::new(1))).run();
}
