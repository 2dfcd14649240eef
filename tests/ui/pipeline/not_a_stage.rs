use pipeline::{consumer, pipeline, producer};

#[producer]
fn numbers(n: u64) -> impl Iterator<Item = u64> {
    0..n
}

fn plain(x: u64) -> u64 {
    x
}

struct Config;

#[consumer]
fn total(xs: impl Iterator<Item = u64>) -> u64 {
    xs.sum()
}

fn main() {
    let _ = pipeline!(numbers(10) => plain => total).run();
    let _ = pipeline!(numbers(10) => Config => total).run();
}
