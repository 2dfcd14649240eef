use pipeline::{consumer, pipeline, stage};

#[stage]
fn double(x: u64) -> u64 {
    x * 2
}

#[consumer]
fn total(xs: impl Iterator<Item = u64>) -> u64 {
    xs.sum()
}

fn main() {
    let _ = pipeline!(double => total).run();
}
