use pipeline::{consumer, producer, stage};

#[stage]
fn parse(line: String) -> Result<u64, ()> {
    line.parse().map_err(|_| ())
}

#[producer]
fn lines(n: u64) -> Result<Vec<String>, u8> {
    Ok((0..n).map(|i| i.to_string()).collect())
}

#[consumer]
fn total(xs: impl Iterator<Item = u64>) -> Result<u64, Vec<u8>> {
    Ok(xs.sum())
}

fn main() {}
