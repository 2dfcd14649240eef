use pipeline::{consumer, pipeline, producer};

#[producer]
fn numbers(n: u64) -> impl Iterator<Item = u64> {
    0..n
}

#[producer]
fn words() -> Vec<String> {
    vec!["a".to_owned()]
}

#[consumer]
fn count(xs: impl Iterator<Item = u64>) -> usize {
    xs.count()
}

fn main() {
    let _ = pipeline!([numbers(3), words()] => count).run();
}
