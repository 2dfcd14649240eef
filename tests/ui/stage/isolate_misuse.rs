use pipeline::stage;

#[stage(isolate)]
fn double(xs: impl Iterator<Item = u64>) -> impl Iterator<Item = u64> {
    xs.map(|x| x * 2)
}

#[stage(timeout = std::time::Duration::from_secs(1), on_crash = skip)]
fn triple(x: u64) -> u64 {
    x * 3
}

#[stage(isolate, on_crash = retry, memory = 0)]
fn quadruple(x: u64) -> u64 {
    x * 4
}

fn main() {}
