//! A 5 µs stage on several workers: the speedup, against rayon's.

use super::parallel::{self, Parallel};
use super::Workload;
use crate::config::Config;
use crate::report::{self, Report};
use crate::stages::{count_to, digest, total};
use crate::variants::{Kind, Table, Variant};
use crate::work::{heavy_iters, spin};
use pipeline::{pipeline, stage};

pub const WORKLOAD: Workload = Workload {
    name: "heavy",
    about: "a 5 µs stage on --workers workers: speedup against rayon's",
    run,
    // The stage's work is calibrated at the start of a run, which a child skips.
    table: None,
};

/// About 5 µs of arithmetic per item.
#[stage]
fn heavy(x: u64) -> u64 {
    spin(x, heavy_iters())
}

/// The same, order-keeping.
#[stage(ordered)]
fn heavy_ordered(x: u64) -> u64 {
    heavy(x)
}

fn table(cfg: &Config, n: u64) -> Table<Parallel> {
    parallel::table(
        WORKLOAD.name,
        cfg,
        n,
        heavy,
        vec![
            Variant {
                name: "pipeline",
                kind: Kind::Project,
                label: "pipeline",
                run: |c| {
                    crate::ok(
                        "heavy pipeline",
                        pipeline!(count_to(c.n) => heavy[workers = c.workers] => total).run(),
                    )
                },
                want: Parallel::sum,
            },
            Variant {
                name: "pipeline-ordered",
                kind: Kind::Project,
                label: "pipeline, `ordered`",
                run: |c| {
                    crate::ok(
                        "heavy pipeline (ordered)",
                        pipeline!(count_to(c.n) => heavy_ordered[workers = c.workers] => digest)
                            .run(),
                    )
                },
                want: Parallel::digest,
            },
        ],
    )
}

fn run(cfg: &Config, out: &mut Report) {
    let n = cfg.items(200_000, 400);
    let s = table(cfg, n).measure(cfg.reps);
    out.heading(&format!("A 5 µs stage on {} workers", cfg.workers));
    println!(
        "`count_to(n) => heavy => total` over {} items; `heavy` spins about 5 µs per \
         item. Every parallel variant runs the stage on {} threads.\n",
        report::count(n),
        cfg.workers
    );
    report::print_speedups(&s, n);
    out.keep(WORKLOAD.name, &s, n);
    let rayon = s.speedup("rayon");
    for (variant, label) in [("pipeline", "unordered"), ("pipeline-ordered", "ordered")] {
        let rel = s.speedup(variant) / rayon;
        out.target(
            &format!("5 µs stage, {label}: speedup vs rayon's"),
            format!(
                "{:.2} vs {:.2} ({:+.1}%)",
                s.speedup(variant),
                rayon,
                (rel - 1.0) * 100.0
            ),
            "≥ −3%",
            rel >= 0.97,
        );
    }
}
