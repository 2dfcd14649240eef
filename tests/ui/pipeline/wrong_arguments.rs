use pipeline::{consumer, pipeline, producer};

#[producer]
fn numbers(n: u64) -> impl Iterator<Item = u64> {
    0..n
}

#[consumer]
fn total(xs: impl Iterator<Item = u64>) -> u64 {
    xs.sum()
}

fn main() {
    let _ = pipeline!(numbers("ten") => total).run();
}
