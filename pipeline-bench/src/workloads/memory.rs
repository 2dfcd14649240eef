//! Peak memory of a child process streaming the trivial chain: flat in the length of
//! the stream.

use super::{chain, Workload};
use crate::child;
use crate::config::Config;
use crate::report::{self, Report};

pub const WORKLOAD: Workload = Workload {
    name: "memory",
    about: "peak memory of a child process streaming the chain, at two lengths",
    run,
    table: None,
};

/// The variants of the chain workload measured.
const VARIANTS: [&str; 3] = ["sequential", "pipeline", "crossbeam-batches"];

/// Children run for each variant and size, in a full run: a peak moves by a few
/// hundred kB from one child to the next, so one child alone can make a flat
/// curve look 10% off.
const CHILDREN: usize = 3;

fn run(cfg: &Config, out: &mut Report) {
    let sizes = [cfg.items(5_000_000, 5_000), cfg.items(50_000_000, 50_000)];
    let children = if cfg.quick { 1 } else { CHILDREN };
    let peaks: Vec<(&str, [u64; 2])> = VARIANTS
        .iter()
        .map(|&variant| {
            // The median of the children's peaks.
            let peak = |items: u64| {
                let mut kb: Vec<u64> = (0..children)
                    .map(|i| {
                        eprintln!(
                            "{}: {variant}, {items} items, child {}/{children}",
                            WORKLOAD.name,
                            i + 1
                        );
                        child::run(cfg, &[], chain::WORKLOAD.name, variant, items).peak_kb
                    })
                    .collect();
                kb.sort_unstable();
                kb[kb.len() / 2]
            };
            (variant, sizes.map(peak))
        })
        .collect();
    let [small, large] = sizes;
    out.heading("Peak memory, streaming");
    let figure = match children {
        1 => "each figure is one child's".to_owned(),
        n => format!("each figure is the median of {n} children's"),
    };
    println!(
        "Each run is a child process (`pipeline-bench --child chain VARIANT ITEMS`) that \
         streams the items through the stages of the trivial chain and prints its own \
         peak resident set (`VmHWM` in `/proc/self/status`); {figure}. MB = 10^6 bytes.\n"
    );
    println!(
        "| variant | peak MB, {} items | peak MB, {} items | ratio |",
        report::count(small),
        report::count(large)
    );
    println!("|---|---:|---:|---:|");
    let labels = chain::table(cfg, 0);
    let mb = |kb: u64| kb as f64 * 1024.0 / 1e6;
    for &(variant, [a, b]) in &peaks {
        println!(
            "| {} | {:.2} | {:.2} | {:.2} |",
            labels.get(variant).map_or(variant, |v| v.label),
            mb(a),
            mb(b),
            b as f64 / a.max(1) as f64
        );
    }
    println!();
    let [a, b] = peaks
        .iter()
        .find(|p| p.0 == "pipeline")
        .map(|p| p.1)
        .expect("the pipeline is measured");
    let ratio = b as f64 / a.max(1) as f64;
    out.target(
        "pipeline peak memory, 50 M vs 5 M items",
        format!("{:.2} MB vs {:.2} MB ({ratio:.2}×)", mb(b), mb(a)),
        "within 10%, both < 8 MB",
        (ratio - 1.0).abs() <= 0.10 && mb(a) < 8.0 && mb(b) < 8.0,
    );
}
