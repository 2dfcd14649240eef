use pipeline::{consumer, pipeline, producer, stage};

#[producer]
fn numbers(n: u64) -> impl Iterator<Item = u64> {
    0..n
}

#[stage(workers = 4)]
fn square(xs: impl Iterator<Item = u64>) -> impl Iterator<Item = u64> {
    xs.map(|x| x * x)
}

#[consumer]
fn total(xs: impl Iterator<Item = u64>) -> u64 {
    xs.sum()
}

#[test]
fn design_example() -> Result<(), pipeline::Error> {
    assert_eq!(total(square(numbers(10))), 285);
    let sum = pipeline!(numbers(10) => square => total).run()?;
    assert_eq!(sum, 285);
    Ok(())
}
