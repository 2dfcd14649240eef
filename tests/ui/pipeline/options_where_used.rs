use pipeline::{consumer, pipeline, producer, stage};

#[producer]
fn numbers(n: u64) -> impl Iterator<Item = u64> {
    0..n
}

#[stage]
fn square(xs: impl Iterator<Item = u64>) -> impl Iterator<Item = u64> {
    xs.map(|x| x * x)
}

#[consumer]
fn total(xs: impl Iterator<Item = u64>) -> u64 {
    xs.sum()
}

fn main() {
    let _ = pipeline!(numbers(10) => square[workers = 0] => total).run();
    let _ = pipeline!(numbers(10) => square[ordered] => total).run();
    let _ = pipeline!(numbers(10)[ordered] => total).run();
    let _ = pipeline!(numbers(10) => total[workers = 2]).run();
    let _ = pipeline!(numbers(10) => square[name = sq] => total).run();
    let _ = pipeline!(numbers(10) => square[colour = 3] => total).run();
}
