//! A 200 ns stage on several workers: whether a fine-grained stage still scales.

use super::parallel::{self, Parallel};
use super::Workload;
use crate::config::Config;
use crate::report::{self, Report};
use crate::stages::{count_to, digest, total};
use crate::variants::{Kind, Table, Variant};
use crate::work::{fine_iters, spin};
use pipeline::{pipeline, stage};

pub const WORKLOAD: Workload = Workload {
    name: "fine",
    about: "a 200 ns stage on --workers workers: speedup over sequential",
    run,
    // The stage's work is calibrated at the start of a run, which a child skips.
    table: None,
};

/// About 200 ns of arithmetic per item.
#[stage]
fn fine(x: u64) -> u64 {
    spin(x, fine_iters())
}

/// The same, order-keeping.
#[stage(ordered)]
fn fine_ordered(x: u64) -> u64 {
    fine(x)
}

fn table(cfg: &Config, n: u64) -> Table<Parallel> {
    parallel::table(
        WORKLOAD.name,
        cfg,
        n,
        fine,
        vec![
            Variant {
                name: "pipeline",
                kind: Kind::Project,
                label: "pipeline",
                run: |c| {
                    crate::ok(
                        "fine pipeline",
                        pipeline!(count_to(c.n) => fine[workers = c.workers] => total).run(),
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
                        "fine pipeline (ordered)",
                        pipeline!(count_to(c.n) => fine_ordered[workers = c.workers] => digest)
                            .run(),
                    )
                },
                want: Parallel::digest,
            },
        ],
    )
}

fn run(cfg: &Config, out: &mut Report) {
    let n = cfg.items(1_000_000, 5_000);
    let s = table(cfg, n).measure(cfg.reps);
    out.heading(&format!("A 200 ns stage on {} workers", cfg.workers));
    println!(
        "`count_to(n) => fine => total` over {} items; `fine` spins about 200 ns per \
         item.\n",
        report::count(n)
    );
    report::print_speedups(&s, n);
    out.keep(WORKLOAD.name, &s, n);
    for (variant, label) in [("pipeline", "unordered"), ("pipeline-ordered", "ordered")] {
        out.target(
            &format!("200 ns stage, {label}: speedup over sequential"),
            format!("{:.2}", s.speedup(variant)),
            "≥ 1.70",
            s.speedup(variant) >= 1.7,
        );
    }
}
