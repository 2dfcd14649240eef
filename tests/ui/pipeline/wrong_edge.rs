use pipeline::{consumer, pipeline, producer, stage};

#[producer]
fn numbers(n: u64) -> impl Iterator<Item = u64> {
    0..n
}

#[stage]
fn parse(line: String) -> usize {
    line.len()
}

#[consumer]
fn total(xs: impl Iterator<Item = usize>) -> usize {
    xs.sum()
}

fn main() {
    let _ = pipeline!(numbers(10) => parse => total).run();
}
