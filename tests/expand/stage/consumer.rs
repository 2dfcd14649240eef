//! A consumer of one value that may fail, and one with a value per worker.

use pipeline::consumer;
use std::io;

#[consumer]
fn write_all(lines: impl Iterator<Item = String>, mut out: Vec<u8>) -> io::Result<usize> {
    for line in lines {
        out.extend_from_slice(line.as_bytes());
    }
    Ok(out.len())
}

#[consumer(workers = 3, buffer = 64)]
fn partial_sums(xs: impl Iterator<Item = u64>) -> u64 {
    xs.sum()
}

fn main() {
    assert_eq!(write_all(["ab".to_owned()].into_iter(), Vec::new()).unwrap(), 2);
    assert_eq!(partial_sums([1, 2].into_iter()), 3);
}
