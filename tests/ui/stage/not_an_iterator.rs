use pipeline::{producer, stage};

#[producer]
fn numbers(n: u64) -> u64 {
    n
}

#[stage]
fn halves(xs: impl Iterator<Item = u64>) -> u64 {
    xs.sum::<u64>() / 2
}

fn main() {}
