//! An argument whose type merely contains the letters `impl `: not `impl Trait`.

use pipeline::{consumer, pipeline, producer, stage};

#[derive(Clone)]
struct Simpl(u64);

#[producer]
fn numbers(n: u64) -> impl Iterator<Item = u64> {
    0..n
}

#[stage]
fn add(x: u64, extra: Vec<Simpl>) -> u64 {
    x + extra.iter().map(|s| s.0).sum::<u64>()
}

#[consumer]
fn total(xs: impl Iterator<Item = u64>) -> u64 {
    xs.sum()
}

fn main() {
    let got = pipeline!(numbers(3) => add(vec![Simpl(1), Simpl(2)]) => total).run().unwrap();
    assert_eq!(got, 3 + 3 * 3);
}
