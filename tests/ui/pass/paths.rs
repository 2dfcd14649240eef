//! Stages named by a path, from another module, and stages defined in a function.

mod stages {
    use pipeline::{consumer, producer, stage};

    #[producer]
    pub fn numbers(n: u64) -> impl Iterator<Item = u64> {
        0..n
    }

    #[stage]
    pub fn square(x: u64) -> u64 {
        x * x
    }

    #[consumer]
    pub fn total(xs: impl Iterator<Item = u64>) -> u64 {
        xs.sum()
    }
}

use pipeline::{consumer, pipeline};

fn main() {
    let sum = pipeline!(stages::numbers(4) => stages::square => stages::total)
        .run()
        .unwrap();
    assert_eq!(sum, 14);

    #[consumer]
    fn count(xs: impl Iterator<Item = u64>) -> usize {
        xs.count()
    }
    use stages::numbers;
    let n = pipeline!(numbers(4) => count).run().unwrap();
    assert_eq!(n, 4);
}
