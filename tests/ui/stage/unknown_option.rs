use pipeline::{producer, stage};

#[stage(workers = 2, threads = 4)]
fn double(x: u64) -> u64 {
    x * 2
}

#[producer(ordered)]
fn numbers() -> Vec<u64> {
    vec![1]
}

fn main() {}
