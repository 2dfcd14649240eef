use pipeline::{consumer, pipeline, producer, stage};

#[producer]
fn numbers(n: u64) -> impl Iterator<Item = u64> {
    0..n
}

#[stage]
fn double(x: u64) -> u64 {
    x * 2
}

#[consumer]
fn total(xs: impl Iterator<Item = u64>) -> u64 {
    xs.sum()
}

fn main() {
    let _ = pipeline! {
        let unused = numbers(3);
        numbers(5) => total
    };
    let _ = pipeline! {
        let doubled = evens => double;
        let evens = numbers(4);
        doubled => total
    };
    let _ = pipeline! {
        let evens = numbers(4);
        numbers(2) => evens => total
    };
    let _ = pipeline! {
        let evens = numbers(4);
        [evens => total, evens]
    };
}
