//! An item-form stage with an argument, ordered; a stream-form stage; a stage that
//! may fail.

use pipeline::stage;

#[stage(workers = 4, ordered, name = "scale")]
fn scale(x: u64, k: u64) -> Option<u64> {
    x.checked_mul(k)
}

#[stage]
fn pairs<I>(xs: I) -> impl Iterator<Item = (u64, u64)>
where
    I: Iterator<Item = u64>,
{
    xs.map(|x| (x, x))
}

#[stage]
fn parse(line: String) -> Result<u64, std::num::ParseIntError> {
    line.parse()
}

fn main() {
    assert_eq!(scale(2, 3), Some(6));
    assert_eq!(pairs([1].into_iter()).collect::<Vec<_>>(), [(1, 1)]);
    assert_eq!(parse("7".to_owned()), Ok(7));
}
