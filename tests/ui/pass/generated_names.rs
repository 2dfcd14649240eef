//! Stage functions named like the locals the expansions use.

use pipeline::{consumer, pipeline, producer, stage};

#[producer]
fn input(n: u64) -> impl Iterator<Item = u64> {
    0..n
}

#[stage]
fn item(x: u64) -> u64 {
    x + 1
}

#[stage]
fn out(xs: impl Iterator<Item = u64>) -> impl Iterator<Item = u64> {
    xs.map(|x| x * 2)
}

#[stage]
fn chain(x: u64, given: u64) -> u64 {
    x + given
}

#[consumer]
fn stage(xs: impl Iterator<Item = u64>) -> u64 {
    xs.sum()
}

fn main() {
    let given = 1;
    let out_value = pipeline!(input(4) => item => out => chain(given) => stage).run().unwrap();
    assert_eq!(out_value, stage(input(4).map(item).map(|x| x * 2).map(|x| chain(x, 1))));
    let local = pipeline!(input(3) => with_local_type => stage).run().unwrap();
    assert_eq!(local, 6);
}

/// A body may name `Self` inside an `impl` of its own.
#[stage]
fn with_local_type(x: u64) -> u64 {
    struct Twice(u64);
    impl Twice {
        fn new(x: u64) -> Self {
            Twice(2 * x)
        }
    }
    Twice::new(x).0
}
