use pipeline::{producer, stage};

#[producer(remote)]
fn numbers() -> impl Iterator<Item = u64> {
    0..10
}

#[stage(remote, isolate)]
fn double(x: u64) -> u64 {
    x * 2
}

#[stage(remote = true)]
fn triple(x: u64) -> u64 {
    x * 3
}

fn main() {}
