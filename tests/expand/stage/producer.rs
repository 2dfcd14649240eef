//! A producer with an argument and workers: `Produce`, fed from what it returns.

use pipeline::producer;

#[producer(workers = 2)]
pub fn lines(text: String) -> Vec<String> {
    text.lines().map(str::to_owned).collect()
}

fn main() {
    assert_eq!(lines("a\nb".to_owned()), ["a", "b"]);
}
