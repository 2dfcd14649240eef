use pipeline::{stage, consumer};

#[stage(workers = -1)]
fn double(x: u64) -> u64 {
    x * 2
}

#[consumer(workers = "4", buffer = -8)]
fn total(xs: impl Iterator<Item = u64>) -> u64 {
    xs.sum()
}

fn main() {}
