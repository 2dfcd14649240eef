use pipeline::{consumer, pipeline, producer, stage};

#[producer]
fn numbers(n: u64) -> impl Iterator<Item = u64> {
    0..n
}

#[stage]
fn scale(x: u64, k: u64) -> u64 {
    x * k
}

#[stage]
fn between(x: u64, low: u64, high: u64) -> Option<u64> {
    (low..high).contains(&x).then_some(x)
}

#[consumer]
fn total(xs: impl Iterator<Item = u64>) -> u64 {
    xs.sum()
}

fn main() {
    let _ = pipeline!(numbers(10) => scale => total).run();
    let _ = pipeline!(numbers(10) => scale(2, 3) => total).run();
    let _ = pipeline!(numbers(10) => between(2) => total).run();
    let _ = pipeline!(numbers() => total).run();
}
