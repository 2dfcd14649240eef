use pipeline::stage;

#[stage(workers = 0)]
fn double(x: u64) -> u64 {
    x * 2
}

fn main() {
    // The function is still there, unchanged.
    assert_eq!(double(2), 4);
}
