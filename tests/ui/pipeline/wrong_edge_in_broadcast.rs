use pipeline::{consumer, pipeline, producer, stage};

#[producer]
fn numbers(n: u64) -> impl Iterator<Item = u64> {
    0..n
}

#[stage]
fn double(x: u64) -> u64 {
    x * 2
}

#[stage]
fn label(x: u64) -> String {
    x.to_string()
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
    let _ = pipeline!(numbers(10) => [double => total, double => [count, label => total]]).run();
}
