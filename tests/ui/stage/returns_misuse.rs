use pipeline::{producer, stage};

#[stage(returns = maybe)]
fn parse(line: String) -> Option<u64> {
    line.parse().ok()
}

#[producer(returns = option)]
fn numbers(n: u64) -> Vec<u64> {
    (0..n).collect()
}

fn main() {}
