//! The remote workload without the `remote` feature: it says how to run it.

use super::Workload;
use crate::config::Config;
use crate::report::Report;

pub const WORKLOAD: Workload = Workload {
    name: "remote",
    about: "remote stages on Redis Streams (build with --features remote)",
    run,
    table: None,
};

fn run(_: &Config, report: &mut Report) {
    report.heading("Remote stages on Redis Streams");
    println!(
        "Skipped: built without the `remote` feature. Run it with `cargo run --release -p \
         pipeline-bench --features remote -- --only remote` (needs `redis-server`).\n"
    );
}
