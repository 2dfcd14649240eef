//! A parallel stage with no work: what the stage itself costs per item.

use super::parallel::{self, Parallel};
use super::Workload;
use crate::config::Config;
use crate::report::{self, Report};
use crate::stages::{count_to, digest, total};
use crate::variants::{Kind, Runnable, Table, Variant};
use crate::work::spin;
use pipeline::{pipeline, stage};

pub const WORKLOAD: Workload = Workload {
    name: "empty",
    about: "a parallel stage with no work on --workers workers: its cost per item",
    run,
    table: Some(runnable),
};

/// The stage of the 5 µs workload with no work.
#[stage]
fn empty(x: u64) -> u64 {
    spin(x, 0)
}

/// The same, order-keeping.
#[stage(ordered)]
fn empty_ordered(x: u64) -> u64 {
    spin(x, 0)
}

/// The variants over `n` items; the last is the pipeline without the stage.
pub fn table(cfg: &Config, n: u64) -> Table<Parallel> {
    let mut table = parallel::table(
        WORKLOAD.name,
        cfg,
        n,
        empty,
        vec![
            Variant {
                name: "pipeline",
                kind: Kind::Project,
                label: "pipeline",
                run: |c| {
                    crate::ok(
                        "empty pipeline",
                        pipeline!(count_to(c.n) => empty[workers = c.workers] => total).run(),
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
                        "empty pipeline (ordered)",
                        pipeline!(count_to(c.n) => empty_ordered[workers = c.workers] => digest)
                            .run(),
                    )
                },
                want: Parallel::digest,
            },
        ],
    );
    table.variants.push(Variant {
        name: "pipeline-without-stage",
        kind: Kind::Project,
        label: "pipeline without the stage: `count_to => total`",
        run: |c| {
            crate::ok(
                "pipeline without the stage",
                pipeline!(count_to(c.n) => total).run(),
            )
        },
        want: |c| c.n * c.n.saturating_sub(1) / 2,
    });
    table
}

fn runnable(cfg: &Config, n: u64) -> Box<dyn Runnable> {
    Box::new(table(cfg, n))
}

fn run(cfg: &Config, out: &mut Report) {
    let n = cfg.items(2_000_000, 20_000);
    let s = table(cfg, n).measure(cfg.reps);
    out.heading(&format!(
        "Per-item cost of a parallel stage with no work, {} workers",
        cfg.workers
    ));
    println!(
        "`count_to(n) => empty => total` over {} items, `empty` being the 5 µs stage \
         with no work. ns/item is the whole run's time divided by the items; \
         the last row is the same pipeline without the stage.\n",
        report::count(n)
    );
    report::print_speedups(&s, n);
    out.keep(WORKLOAD.name, &s, n);
    let per_item = |v: &str| s.median(v).as_nanos() as f64 / n as f64;
    let without = per_item("pipeline-without-stage");
    for (variant, label, limit) in [
        ("pipeline", "unordered", 10.0),
        ("pipeline-ordered", "ordered", 12.0),
    ] {
        let ns = per_item(variant);
        out.target(
            &format!("empty parallel stage, {label}: whole run per item"),
            format!("{ns:.1} ns"),
            &format!("≤ {limit:.0} ns"),
            ns <= limit,
        );
        out.target(
            &format!("empty parallel stage, {label}: added to `count_to => total` per item"),
            format!("{:.1} ns", ns - without),
            &format!("≤ {limit:.0} ns"),
            ns - without <= limit,
        );
    }
}
