//! One parallel item stage, on the pipeline and on every peer: what the 5 µs, empty
//! and 200 ns workloads share.

use crate::config::Config;
use crate::peers::{self, Pool, PARITER_BUFFER};
use crate::report;
use crate::variants::{Kind, Table, Variant};
use std::sync::OnceLock;
use std::thread;

/// What every variant runs over.
pub struct Parallel {
    pub n: u64,
    pub workers: usize,
    /// The stage as a plain function, for the sequential chain and the peers.
    stage: fn(u64) -> u64,
    pool: Pool,
    /// The sum and the order-sensitive digest of the stage's outputs over `0..n`.
    answers: OnceLock<(u64, u64)>,
}

impl Parallel {
    fn answers(&self) -> (u64, u64) {
        *self.answers.get_or_init(|| {
            (0..self.n)
                .map(self.stage)
                .fold((0, 0), |(sum, digest), y| {
                    (sum + y, report::digest_step(digest, y))
                })
        })
    }

    /// The answer of the variants that do not keep order: the sum of the outputs.
    pub fn sum(&self) -> u64 {
        self.answers().0
    }

    /// The answer of the variants that keep order: the digest of the outputs.
    pub fn digest(&self) -> u64 {
        self.answers().1
    }
}

/// The variants of `stage` over `n` items: the sequential chain, the pipeline's own
/// (`pipelines`, written by the workload, since they name its stages), then the peers,
/// each on `--workers` threads.
pub fn table(
    workload: &'static str,
    cfg: &Config,
    n: u64,
    stage: fn(u64) -> u64,
    pipelines: Vec<Variant<Parallel>>,
) -> Table<Parallel> {
    use pariter::IteratorExt as _;
    use rayon::prelude::*;
    let mut variants: Vec<Variant<Parallel>> = vec![Variant {
        name: "sequential",
        kind: Kind::Sequential,
        label: "sequential iterator chain",
        run: |c| (0..c.n).map(c.stage).sum(),
        want: Parallel::sum,
    }];
    let peers: [Variant<Parallel>; 4] = [
        Variant {
            name: "crossbeam-items",
            kind: Kind::Peer,
            label: "crossbeam threads, one item per message",
            run: |c| {
                thread::scope(|s| {
                    let xs = peers::source(s, 0..c.n);
                    let f = c.stage;
                    peers::stage(s, xs, c.workers, move |x| Some(f(x)))
                        .iter()
                        .sum()
                })
            },
            want: Parallel::sum,
        },
        Variant {
            name: "crossbeam-batches",
            kind: Kind::Peer,
            label: "crossbeam threads, batches of 64",
            run: |c| {
                thread::scope(|s| {
                    let xs = peers::batch_source(s, 0..c.n);
                    let f = c.stage;
                    peers::batch_stage(s, xs, c.workers, move |x| Some(f(x)))
                        .iter()
                        .flatten()
                        .sum()
                })
            },
            want: Parallel::sum,
        },
        Variant {
            name: "rayon",
            kind: Kind::Peer,
            label: "rayon `par_bridge`",
            run: |c| c.pool.install(|| (0..c.n).par_bridge().map(c.stage).sum()),
            want: Parallel::sum,
        },
        Variant {
            name: "pariter",
            kind: Kind::Peer,
            label: "pariter `parallel_map` (keeps order)",
            run: |c| {
                (0..c.n)
                    .parallel_map_custom(
                        |o| o.threads(c.workers).buffer_size(PARITER_BUFFER),
                        c.stage,
                    )
                    .fold(0, report::digest_step)
            },
            want: Parallel::digest,
        },
    ];
    variants.extend(pipelines);
    variants.extend(peers);
    Table {
        workload,
        ctx: Parallel {
            n,
            workers: cfg.workers,
            stage,
            pool: Pool::new(cfg.workers),
            answers: OnceLock::new(),
        },
        variants,
    }
}
