use pipeline::stage;

struct Scaler;

impl Scaler {
    #[stage]
    fn double(x: u64) -> u64 {
        x * 2
    }
}

fn main() {}
