use pipeline::stage;

#[stage(workers = 2, buffer = 8, workers = 4)]
fn double(x: u64) -> u64 {
    x * 2
}

fn main() {}
