//! Three trivial stages, one worker each: what a stage and a queue cost per item.

use super::Workload;
use crate::config::Config;
use crate::peers::{self, Pool, PARITER_BUFFER};
use crate::report::{self, Report};
use crate::stages::{count_to, total};
use crate::variants::{Kind, Runnable, Table, Variant};
use pipeline::{pipeline, stage};
use std::thread;

pub const WORKLOAD: Workload = Workload {
    name: "chain",
    about: "three trivial stages, one worker each, against the peers",
    run,
    table: Some(runnable),
};

/// First stage: `x*2+1`.
#[stage]
pub fn twice_plus_one(x: u64) -> u64 {
    x * 2 + 1
}

/// Second stage: keeps `y % 4 == 1`. Every `y = 2x + 1` is odd, and `y % 4 == 1`
/// exactly when `x` is even, so this keeps exactly half of the items.
#[stage]
pub fn keep_half(y: u64) -> Option<u64> {
    (y % 4 == 1).then_some(y)
}

/// First stage in the stream form.
#[stage]
fn twice_plus_one_stream(xs: impl Iterator<Item = u64>) -> impl Iterator<Item = u64> {
    xs.map(twice_plus_one)
}

/// Second stage in the stream form.
#[stage]
fn keep_half_stream(ys: impl Iterator<Item = u64>) -> impl Iterator<Item = u64> {
    ys.filter_map(keep_half)
}

/// What every variant runs over.
pub struct Chain {
    n: u64,
    pool: Pool,
}

/// The variants over `n` items.
pub fn table(cfg: &Config, n: u64) -> Table<Chain> {
    use pariter::IteratorExt as _;
    use rayon::prelude::*;
    let want: fn(&Chain) -> u64 = |c| report::trivial_answer(c.n);
    Table {
        workload: WORKLOAD.name,
        ctx: Chain {
            n,
            pool: Pool::new(cfg.workers),
        },
        variants: vec![
            Variant {
                name: "sequential",
                kind: Kind::Sequential,
                label: "sequential iterator chain",
                run: |c| (0..c.n).map(twice_plus_one).filter_map(keep_half).sum(),
                want,
            },
            Variant {
                name: "pipeline",
                kind: Kind::Project,
                label: "pipeline, item form: `count_to => twice_plus_one => keep_half => total`",
                run: |c| {
                    crate::ok(
                        "chain pipeline",
                        pipeline!(count_to(c.n) => twice_plus_one => keep_half => total).run(),
                    )
                },
                want,
            },
            Variant {
                name: "pipeline-stream",
                kind: Kind::Project,
                label: "pipeline, stream form",
                run: |c| {
                    crate::ok(
                        "chain pipeline (stream)",
                        pipeline!(count_to(c.n) => twice_plus_one_stream => keep_half_stream => total)
                            .run(),
                    )
                },
                want,
            },
            Variant {
                name: "crossbeam-items",
                kind: Kind::Peer,
                label: "crossbeam threads, one item per message",
                run: |c| {
                    thread::scope(|s| {
                        let xs = peers::source(s, 0..c.n);
                        let ys = peers::stage(s, xs, 1, |x| Some(twice_plus_one(x)));
                        peers::stage(s, ys, 1, keep_half).iter().sum()
                    })
                },
                want,
            },
            Variant {
                name: "crossbeam-batches",
                kind: Kind::Peer,
                label: "crossbeam threads, batches of 64",
                run: |c| {
                    thread::scope(|s| {
                        let xs = peers::batch_source(s, 0..c.n);
                        let ys = peers::batch_stage(s, xs, 1, |x| Some(twice_plus_one(x)));
                        peers::batch_stage(s, ys, 1, keep_half)
                            .iter()
                            .flatten()
                            .sum()
                    })
                },
                want,
            },
            Variant {
                name: "rayon",
                kind: Kind::Peer,
                label: "rayon `par_bridge`",
                run: |c| {
                    c.pool.install(|| {
                        (0..c.n)
                            .par_bridge()
                            .map(twice_plus_one)
                            .filter_map(keep_half)
                            .sum()
                    })
                },
                want,
            },
            Variant {
                name: "pariter",
                kind: Kind::Peer,
                label: "pariter `parallel_map`, one thread per stage",
                run: |c| {
                    (0..c.n)
                        .parallel_map_custom(
                            |o| o.threads(1).buffer_size(PARITER_BUFFER),
                            twice_plus_one,
                        )
                        .parallel_map_custom(
                            |o| o.threads(1).buffer_size(PARITER_BUFFER),
                            keep_half,
                        )
                        .flatten()
                        .sum()
                },
                want,
            },
        ],
    }
}

fn runnable(cfg: &Config, n: u64) -> Box<dyn Runnable> {
    Box::new(table(cfg, n))
}

fn run(cfg: &Config, out: &mut Report) {
    let n = cfg.items(10_000_000, 20_000);
    let table = table(cfg, n);
    let s = table.measure(cfg.reps);

    out.heading("Three trivial stages, one worker each");
    println!(
        "`x*2+1`, then keep `y % 4 == 1` (exactly the images of even `x`, half the items), \
         then sum, over {} `u64`s. The pipeline is `count_to(n) => twice_plus_one => \
         keep_half => total`, one worker per stage; crossbeam runs one thread per stage; \
         rayon runs the chain on a pool of {} threads; pariter chains two `parallel_map`s \
         of one thread each.\n",
        report::count(n),
        cfg.workers
    );
    report::print_times(&s, n);
    out.keep(WORKLOAD.name, &s, n);
    for (variant, form) in [
        ("pipeline", "item form"),
        ("pipeline-stream", "stream form"),
    ] {
        let ratio = s.ratio(variant, "crossbeam-batches");
        out.target(
            &format!("trivial 3-stage pipeline ({form}) vs crossbeam batches of 64"),
            format!("{ratio:.2}×"),
            "≤ 1.40×",
            ratio <= 1.4,
        );
    }
}
