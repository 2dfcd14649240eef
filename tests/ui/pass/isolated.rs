//! An isolated stage with arguments and every option, in a pipeline.

use pipeline::{consumer, pipeline, producer, stage};
use std::time::Duration;

pipeline::init_at_load!();

#[producer]
fn numbers(n: u64) -> impl Iterator<Item = u64> {
    0..n
}

#[stage(isolate, workers = 2, ordered, timeout = Duration::from_secs(30), memory = 1 << 32, on_crash = skip)]
fn scale(x: u64, k: u64, table: &Vec<u64>) -> Option<u64> {
    table.get(x as usize).map(|t| t * k)
}

#[consumer]
fn collect(xs: impl Iterator<Item = u64>) -> Vec<u64> {
    xs.collect()
}

fn main() {
    let table: Vec<u64> = (0..50).collect();
    let got = pipeline!(numbers(100) => scale(3, table.clone()) => collect).run().unwrap();
    assert_eq!(got, (0..50).map(|x| x * 3).collect::<Vec<_>>());
}
