use pipeline::stage;

struct Scaler {
    k: u64,
}

impl Scaler {
    #[stage]
    fn scale(&self, x: u64) -> u64 {
        x * self.k
    }

    #[stage]
    fn make(x: u64) -> Self {
        Scaler { k: x }
    }
}

fn main() {}
