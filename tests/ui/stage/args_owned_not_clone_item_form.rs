use pipeline::stage;

/// A database connection: not `Clone`.
struct Conn;

#[stage]
fn store(x: u64, conn: Conn) -> u64 {
    let _ = conn;
    x
}

fn main() {}
