use pipeline::stage;

#[stage(fallible)]
fn parse(line: String) -> Result<u64, std::num::ParseIntError> {
    line.parse()
}

fn main() {}
