use pipeline::{consumer, pipeline, producer, stage};

#[producer]
fn numbers(n: u64) -> impl Iterator<Item = u64> {
    0..n
}

/// A database connection: not `Clone`.
struct Conn;

#[stage(workers = 4)]
fn store(xs: impl Iterator<Item = u64>, conn: &mut Conn) -> impl Iterator<Item = u64> {
    let _ = conn;
    xs
}

#[consumer]
fn total(xs: impl Iterator<Item = u64>) -> u64 {
    xs.sum()
}

fn main() {
    let _ = pipeline!(numbers(10) => store(Conn) => total).run();
}
