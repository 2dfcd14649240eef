//! A diamond written with names: `text` is broadcast to its three uses, and the two
//! parsers are merged again.

use pipeline::{consumer, pipeline, producer, stage};

#[producer]
fn lines(text: String) -> Vec<String> {
    text.lines().map(str::to_owned).collect()
}

#[stage]
fn parse_number(line: String) -> Option<u64> {
    line.parse().ok()
}

#[stage]
fn parse_length(line: String) -> u64 {
    line.len() as u64
}

#[consumer]
fn total(xs: impl Iterator<Item = u64>) -> u64 {
    xs.sum()
}

#[consumer]
fn count(lines: impl Iterator<Item = String>) -> usize {
    lines.count()
}

fn main() {
    let (sum, n) = pipeline! {
        let text = lines("12\nab\n3".to_owned());
        let numbers = [text => parse_number, text => parse_length];
        [numbers => total, text => count]
    }
    .run()
    .unwrap();
    assert_eq!((sum, n), (12 + 3 + 2 + 2 + 1, 3));
}
