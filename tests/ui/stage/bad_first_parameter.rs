use pipeline::{consumer, stage};

#[consumer]
fn total(x: u64) -> u64 {
    x
}

#[stage]
fn nothing_in() -> u64 {
    1
}

#[stage]
fn generic<T: Clone>(x: T) -> T {
    x
}

#[stage]
fn borrowed(x: u64, table: &[u64]) -> u64 {
    table[x as usize]
}

fn main() {}
