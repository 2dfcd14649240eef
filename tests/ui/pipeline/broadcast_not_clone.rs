use pipeline::{consumer, pipeline, producer};

struct Reading(u64);

#[producer]
fn readings(n: u64) -> impl Iterator<Item = Reading> {
    (0..n).map(Reading)
}

#[consumer]
fn count(xs: impl Iterator<Item = Reading>) -> usize {
    xs.count()
}

#[consumer]
fn total(xs: impl Iterator<Item = Reading>) -> u64 {
    xs.map(|r| r.0).sum()
}

fn main() {
    let _ = pipeline!(readings(10) => [count, total]).run();
    let _ = pipeline! {
        let all = readings(10);
        [all => count, all => total]
    }
    .run();
}
