//! Latency of a trickle: items produced one per millisecond through three stages.

use super::Workload;
use crate::config::Config;
use crate::peers::{self, Pool};
use crate::report::{self, Report};
use crate::work::{fine_iters, spin};
use pipeline::{consumer, pipeline, producer, stage};
use std::thread;
use std::time::{Duration, Instant};

pub const WORKLOAD: Workload = Workload {
    name: "latency",
    about: "one item per millisecond through three stages: p99 latency",
    run,
    table: None,
};

/// An item that carries the instant it was produced.
#[derive(Debug, Clone)]
pub struct Stamped {
    /// The value the stages work on.
    pub value: u64,
    /// When the producer yielded it.
    pub at: Instant,
}

/// `0..n`, one item every millisecond, each stamped as it is yielded.
fn ticks(n: u64) -> impl Iterator<Item = Stamped> + Send + 'static {
    (0..n).map(|i| {
        if i > 0 {
            thread::sleep(Duration::from_millis(1));
        }
        Stamped {
            value: i,
            at: Instant::now(),
        }
    })
}

/// The producer.
#[producer]
fn ticking(n: u64) -> impl Iterator<Item = Stamped> {
    ticks(n)
}

/// The work of each of the three stages: about 200 ns.
fn tick_work(s: Stamped) -> Stamped {
    Stamped {
        value: spin(s.value, fine_iters()),
        ..s
    }
}

#[stage]
fn tick_a(s: Stamped) -> Stamped {
    tick_work(s)
}

#[stage]
fn tick_b(s: Stamped) -> Stamped {
    tick_work(s)
}

#[stage]
fn tick_c(s: Stamped) -> Stamped {
    tick_work(s)
}

/// The consumer: each value with how long it took to arrive.
#[consumer]
fn arrivals(xs: impl Iterator<Item = Stamped>) -> Vec<(u64, Duration)> {
    xs.map(arrived).collect()
}

fn arrived(s: Stamped) -> (u64, Duration) {
    (s.value, s.at.elapsed())
}

/// What every variant runs over.
struct Latency {
    n: u64,
    pool: Pool,
}

/// One way of running the workload.
struct Variant {
    /// Short and stable, to refer to it.
    name: &'static str,
    /// What the table calls it.
    label: &'static str,
    /// Whether the values arrive in the order they were produced (otherwise their
    /// multiset is checked).
    keeps_order: bool,
    /// Runs it once: each value that arrived, with how long it took.
    run: fn(&Latency) -> Vec<(u64, Duration)>,
}

const VARIANTS: &[Variant] = &[
    Variant {
        name: "sequential",
        label: "sequential iterator chain (the work itself)",
        keeps_order: true,
        run: |c| arrivals(ticks(c.n).map(tick_work).map(tick_work).map(tick_work)),
    },
    Variant {
        name: "pipeline",
        label: "pipeline: `ticking => tick_a => tick_b => tick_c => arrivals`",
        keeps_order: true,
        run: |c| {
            crate::ok(
                "latency pipeline",
                pipeline!(ticking(c.n) => tick_a => tick_b => tick_c => arrivals).run(),
            )
        },
    },
    Variant {
        name: "crossbeam-items",
        label: "crossbeam threads, one item per message",
        keeps_order: true,
        run: |c| {
            thread::scope(|s| {
                let a = peers::source(s, ticks(c.n));
                let b = peers::stage(s, a, 1, |x| Some(tick_work(x)));
                let c = peers::stage(s, b, 1, |x| Some(tick_work(x)));
                let d = peers::stage(s, c, 1, |x| Some(tick_work(x)));
                d.iter().map(arrived).collect()
            })
        },
    },
    Variant {
        name: "crossbeam-batches",
        label: "crossbeam threads, batches of 64",
        keeps_order: true,
        run: |c| {
            thread::scope(|s| {
                let a = peers::batch_source(s, ticks(c.n));
                let b = peers::batch_stage(s, a, 1, |x| Some(tick_work(x)));
                let c = peers::batch_stage(s, b, 1, |x| Some(tick_work(x)));
                let d = peers::batch_stage(s, c, 1, |x| Some(tick_work(x)));
                d.iter().flatten().map(arrived).collect()
            })
        },
    },
    Variant {
        name: "rayon",
        label: "rayon `par_bridge`",
        keeps_order: false,
        run: |c| {
            use rayon::prelude::*;
            c.pool.install(|| {
                let out = std::sync::Mutex::new(Vec::new());
                ticks(c.n)
                    .par_bridge()
                    .map(tick_work)
                    .map(tick_work)
                    .map(tick_work)
                    .for_each(|s| {
                        let d = s.at.elapsed();
                        out.lock().unwrap().push((s.value, d));
                    });
                out.into_inner().unwrap()
            })
        },
    },
    Variant {
        name: "pariter",
        label: "pariter `parallel_map`, one thread per stage",
        keeps_order: true,
        run: |c| {
            use pariter::IteratorExt as _;
            arrivals(
                ticks(c.n)
                    .parallel_map_custom(|o| o.threads(1), tick_work)
                    .parallel_map_custom(|o| o.threads(1), tick_work)
                    .parallel_map_custom(|o| o.threads(1), tick_work),
            )
        },
    },
];

fn run(cfg: &Config, out: &mut Report) {
    let n = cfg.items(500, 20);
    let ctx = Latency {
        n,
        pool: Pool::new(cfg.workers),
    };
    let want: Vec<u64> = (0..n)
        .map(|x| spin(spin(spin(x, fine_iters()), fine_iters()), fine_iters()))
        .collect();
    let mut want_sorted = want.clone();
    want_sorted.sort_unstable();
    let mut lat: Vec<Vec<Duration>> = vec![Vec::new(); VARIANTS.len()];
    // Each run's p99, to show the spread between runs.
    let mut run_p99: Vec<Vec<Duration>> = vec![Vec::new(); VARIANTS.len()];
    for rep in 0..cfg.reps {
        for k in 0..VARIANTS.len() {
            let i = (rep + k) % VARIANTS.len();
            let v = &VARIANTS[i];
            eprintln!(
                "{}: rep {}/{}: {}",
                WORKLOAD.name,
                rep + 1,
                cfg.reps,
                v.name
            );
            crate::variants::warm_up();
            let got = (v.run)(&ctx);
            let mut values: Vec<u64> = got.iter().map(|p| p.0).collect();
            let want = if v.keeps_order {
                &want
            } else {
                values.sort_unstable();
                &want_sorted
            };
            if values != *want {
                crate::mismatch(&format!("{}, {}", WORKLOAD.name, v.name), values, want);
            }
            let mut run: Vec<Duration> = got.into_iter().map(|p| p.1).collect();
            lat[i].extend(&run);
            run.sort_unstable();
            run_p99[i].push(report::percentile(&run, 99.0));
        }
    }

    out.heading("Latency: one item per millisecond through three stages");
    println!(
        "The producer yields one item every 1 ms (it sleeps in between), stamped with \
         `Instant::now()`; three one-worker stages do about 200 ns of work each; the \
         consumer records how long each item took from producer to consumer. {} items \
         per run, percentiles over all {} runs' items together.\n",
        report::count(n),
        cfg.reps
    );
    println!("| variant | median µs | p99 µs | max µs | p99 µs of each run |");
    println!("|---|---:|---:|---:|---|");
    let mut p99 = Vec::new();
    for ((v, l), runs) in VARIANTS.iter().zip(&mut lat).zip(&run_p99) {
        l.sort_unstable();
        let (med, q99, max) = (
            report::percentile(l, 50.0),
            report::percentile(l, 99.0),
            *l.last().unwrap_or(&Duration::ZERO),
        );
        p99.push((v.name, q99));
        let runs: Vec<String> = runs
            .iter()
            .map(|d| format!("{:.0}", d.as_secs_f64() * 1e6))
            .collect();
        println!(
            "| {} | {:.1} | {:.1} | {:.1} | {} |",
            v.label,
            med.as_secs_f64() * 1e6,
            q99.as_secs_f64() * 1e6,
            max.as_secs_f64() * 1e6,
            runs.join(", ")
        );
    }
    println!();
    let p99_of = |name: &str| {
        p99.iter()
            .find(|p| p.0 == name)
            .map(|p| p.1)
            .unwrap_or_else(|| panic!("no latency variant `{name}`"))
    };
    let (ours, peer) = (p99_of("pipeline"), p99_of("crossbeam-items"));
    out.target(
        "latency p99, vs crossbeam threads one item per message",
        format!(
            "{:.0} µs vs {:.0} µs",
            ours.as_secs_f64() * 1e6,
            peer.as_secs_f64() * 1e6
        ),
        "≤ crossbeam's",
        ours <= peer,
    );
}
