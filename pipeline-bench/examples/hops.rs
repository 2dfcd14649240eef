//! Where the latency of a trickle goes, hop by hop: workload 5's pipeline (an item a
//! millisecond through three one-worker stages), with every stage stamping the item as
//! it gets it, beside the same graph of crossbeam threads, one item per message.
//!
//! `cargo run --release -p pipeline-bench --example hops [-- ITEMS RUNS BUSY]`
//!
//! `BUSY` (0 unless given) threads spin for the whole program beside both runtimes, as
//! other programs would on a loaded machine: each wake-up then competes with them for
//! a CPU, and so does every yield of a thread waiting for the next item. The
//! pipeline's workers ask for a short time slice, which lets a woken one run before a
//! spinning thread's slice ends; `PIPELINE_SHORT_SLICE=0` shows the trips without it.
//!
//! For each hop (producer → `a`, `a` → `b`, `b` → `c`, `c` → consumer): the median
//! and the 90th percentile in µs, then the whole trip's median and p99.

use pipeline::{consumer, pipeline, producer, stage};
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

/// An item with the instant each thread got it: the producer, `a`, `b`, `c`, the consumer.
#[derive(Clone, Debug)]
struct Stamped {
    value: u64,
    at: [Option<Instant>; 5],
}

const HOPS: usize = 4;

/// A hop slower than this, in µs, is counted as stalled.
const SLOW_US: f64 = 150.0;

fn ticks(n: u64) -> impl Iterator<Item = Stamped> + Send + 'static {
    (0..n).map(|i| {
        if i > 0 {
            thread::sleep(Duration::from_millis(1));
        }
        let mut at = [None; HOPS + 1];
        at[0] = Some(Instant::now());
        Stamped { value: i, at }
    })
}

/// Stamps hop `k`, then about 200 ns of work.
fn work(mut s: Stamped, k: usize) -> Stamped {
    s.at[k] = Some(Instant::now());
    let mut x = s.value;
    for _ in 0..200 {
        x = std::hint::black_box(x.wrapping_mul(31).wrapping_add(7));
    }
    s.value = x;
    s
}

fn arrived(mut s: Stamped) -> Stamped {
    s.at[HOPS] = Some(Instant::now());
    s
}

#[producer]
fn ticking(n: u64) -> impl Iterator<Item = Stamped> {
    ticks(n)
}

#[stage]
fn a(s: Stamped) -> Stamped {
    work(s, 1)
}

#[stage]
fn b(s: Stamped) -> Stamped {
    work(s, 2)
}

#[stage]
fn c(s: Stamped) -> Stamped {
    work(s, 3)
}

#[consumer]
fn arrivals(xs: impl Iterator<Item = Stamped>) -> Vec<Stamped> {
    xs.map(arrived).collect()
}

fn crossbeam(n: u64) -> Vec<Stamped> {
    thread::scope(|scope| {
        let (tx, mut rx) = crossbeam_channel::bounded(512);
        scope.spawn(move || ticks(n).try_for_each(|s| tx.send(s)));
        for k in 1..HOPS {
            let (tx, next) = crossbeam_channel::bounded(512);
            let input = rx;
            scope.spawn(move || input.iter().try_for_each(|s| tx.send(work(s, k))));
            rx = next;
        }
        rx.iter().map(arrived).collect()
    })
}

/// The `p`th percentile of `xs`, sorted, in µs.
fn percentile(xs: &[f64], p: f64) -> f64 {
    let rank = ((p / 100.0) * xs.len() as f64).ceil() as usize;
    xs[rank.clamp(1, xs.len()) - 1]
}

fn report(name: &str, got: &[Stamped]) {
    let micros = |s: &Stamped, from: usize, to: usize| {
        let (from, to) = (s.at[from].expect("stamped"), s.at[to].expect("stamped"));
        (to - from).as_secs_f64() * 1e6
    };
    let sorted = |f: &dyn Fn(&Stamped) -> f64| {
        let mut xs: Vec<f64> = got.iter().map(f).collect();
        xs.sort_by(f64::total_cmp);
        xs
    };
    let mut line = format!("{name:9}");
    for k in 1..=HOPS {
        let hop = sorted(&|s| micros(s, k - 1, k));
        line += &format!(
            " | hop {k} {:5.1} {:5.1}",
            percentile(&hop, 50.0),
            percentile(&hop, 90.0)
        );
    }
    let trip = sorted(&|s| micros(s, 0, HOPS));
    line += &format!(
        " | trip {:5.1} {:6.1}",
        percentile(&trip, 50.0),
        percentile(&trip, 99.0)
    );
    let slow: Vec<String> = (1..=HOPS)
        .map(|k| {
            let n = got.iter().filter(|s| micros(s, k - 1, k) > SLOW_US).count();
            n.to_string()
        })
        .collect();
    line += &format!(" | slow {}", slow.join(" "));
    println!("{line}");
}

fn main() {
    let mut args = std::env::args().skip(1).map(|a| a.parse::<u64>());
    let items = args.next().and_then(Result::ok).unwrap_or(1000);
    let runs = args.next().and_then(Result::ok).unwrap_or(3);
    let busy = args.next().and_then(Result::ok).unwrap_or(0);
    let done = Arc::new(AtomicBool::new(false));
    let spinners: Vec<_> = (0..busy)
        .map(|_| {
            let done = Arc::clone(&done);
            thread::spawn(move || {
                while !done.load(Relaxed) {
                    std::hint::spin_loop();
                }
            })
        })
        .collect();
    println!("µs: hops median and p90, the whole trip median and p99");
    for run in 0..runs {
        // Each first in turn: neither always runs on a machine the other warmed.
        if run % 2 == 1 {
            report("crossbeam", &crossbeam(items));
        }
        let got = pipeline!(ticking(items) => a => b => c => arrivals)
            .run()
            .expect("the pipeline runs");
        report("pipeline", &got);
        if run % 2 == 0 {
            report("crossbeam", &crossbeam(items));
        }
    }
    done.store(true, Relaxed);
    for spinner in spinners {
        spinner.join().expect("a busy thread");
    }
}
