use pipeline::stage;

#[stage(workers = 2, ordered)]
fn double(xs: impl Iterator<Item = u64>) -> impl Iterator<Item = u64> {
    xs.map(|x| x * 2)
}

fn main() {}
