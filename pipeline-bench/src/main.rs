//! The benchmark suite: every workload runs on `pipeline` and on its peers in this one
//! process, interleaved (each repetition runs every variant once, in rotating order),
//! and every variant's result is checked against the sequential answer.
//!
//! ```text
//! cargo run --release -p pipeline-bench                   # full run, about 70 s on 2 cores
//! cargo run --release -p pipeline-bench -- --quick        # tiny sizes, correctness only
//! cargo run --release -p pipeline-bench -- --workers 8    # parallel workloads on 8 workers
//! ```
//!
//! Standard output is markdown, to paste into BENCHMARKS.md; progress goes to
//! standard error. A mismatch with the sequential answer exits with status 1.

mod peers;
mod report;
mod work;

use pipeline::{consumer, pipeline, producer, stage};
use report::{fmt_ms, fmt_ratio, Kind, Samples, Targets};
use std::process::{self, Command};
use std::time::{Duration, Instant};
use std::{env, fs};
use work::{fine_iters, heavy_iters, spin};

/// Run sizes and repetitions.
struct Config {
    quick: bool,
    reps: usize,
    workers: usize,
    trivial_items: u64,
    heavy_items: u64,
    empty_items: u64,
    fine_items: u64,
    latency_items: u64,
    rss_items: [u64; 2],
    /// The workloads to run (`--only`), 1 to 6.
    only: Vec<usize>,
}

impl Config {
    /// The command that reproduces this run.
    fn command(&self) -> String {
        let mut args = Vec::new();
        if self.quick {
            args.push("--quick".to_owned());
        }
        if self.workers != 2 {
            args.push(format!("--workers {}", self.workers));
        }
        if self.reps != if self.quick { 1 } else { 5 } {
            args.push(format!("--reps {}", self.reps));
        }
        if self.only.len() != 6 {
            let list: Vec<String> = self.only.iter().map(usize::to_string).collect();
            args.push(format!("--only {}", list.join(",")));
        }
        let mut cmd = "cargo run --release -p pipeline-bench".to_owned();
        if !args.is_empty() {
            cmd = format!("{cmd} -- {}", args.join(" "));
        }
        cmd
    }

    fn full(workers: usize) -> Config {
        Config {
            quick: false,
            reps: 5,
            workers,
            trivial_items: 10_000_000,
            heavy_items: 200_000,
            empty_items: 2_000_000,
            fine_items: 1_000_000,
            latency_items: 500,
            rss_items: [5_000_000, 50_000_000],
            only: (1..=6).collect(),
        }
    }

    fn quick(workers: usize) -> Config {
        Config {
            quick: true,
            reps: 1,
            workers,
            trivial_items: 20_000,
            heavy_items: 400,
            empty_items: 20_000,
            fine_items: 5_000,
            latency_items: 20,
            rss_items: [5_000, 50_000],
            only: (1..=6).collect(),
        }
    }
}

// ---------------------------------------------------------------------------
// The stages. Each attribute generates a type, so they live at module level; the
// parallel ones get their workers (`--workers`) where `pipeline!` uses them.

/// The numbers `0..n`.
#[producer]
fn count_to(n: u64) -> std::ops::Range<u64> {
    0..n
}

/// Workload 1, first stage.
#[stage]
fn twice_plus_one(x: u64) -> u64 {
    x * 2 + 1
}

/// Workload 1, second stage: keeps `y % 4 == 1`. Every `y = 2x + 1` is odd, and
/// `y % 4 == 1` exactly when `x` is even, so this keeps exactly half of the items.
#[stage]
fn keep_half(y: u64) -> Option<u64> {
    (y % 4 == 1).then_some(y)
}

/// Workload 1, first stage in the stream form.
#[stage]
fn twice_plus_one_stream(xs: impl Iterator<Item = u64>) -> impl Iterator<Item = u64> {
    xs.map(twice_plus_one)
}

/// Workload 1, second stage in the stream form.
#[stage]
fn keep_half_stream(ys: impl Iterator<Item = u64>) -> impl Iterator<Item = u64> {
    ys.filter_map(keep_half)
}

/// The sum of the items (order-insensitive check).
#[consumer]
fn total(xs: impl Iterator<Item = u64>) -> u64 {
    xs.sum()
}

/// An order-sensitive digest of the items (check for ordered variants).
#[consumer]
fn digest(xs: impl Iterator<Item = u64>) -> u64 {
    xs.fold(0, report::digest_step)
}

/// Workload 2: about 5 µs of arithmetic per item.
#[stage]
fn heavy(x: u64) -> u64 {
    spin(x, heavy_iters())
}

/// Workload 2, order-keeping.
#[stage(ordered)]
fn heavy_ordered(x: u64) -> u64 {
    heavy(x)
}

/// Workload 3: the same stage with no work.
#[stage]
fn empty(x: u64) -> u64 {
    spin(x, 0)
}

/// Workload 3, order-keeping.
#[stage(ordered)]
fn empty_ordered(x: u64) -> u64 {
    spin(x, 0)
}

/// Workload 4: about 200 ns of arithmetic per item.
#[stage]
fn fine(x: u64) -> u64 {
    spin(x, fine_iters())
}

/// Workload 4, order-keeping.
#[stage(ordered)]
fn fine_ordered(x: u64) -> u64 {
    fine(x)
}

/// Workload 5: an item that carries the instant it was produced.
#[derive(Debug, Clone)]
pub struct Stamped {
    /// The value the stages work on.
    pub value: u64,
    /// When the producer yielded it.
    pub at: Instant,
}

/// Workload 5: `0..n`, one item every millisecond, each stamped as it is yielded.
pub fn ticks(n: u64) -> impl Iterator<Item = Stamped> + Send + 'static {
    (0..n).map(|i| {
        if i > 0 {
            std::thread::sleep(Duration::from_millis(1));
        }
        Stamped {
            value: i,
            at: Instant::now(),
        }
    })
}

/// Workload 5, the producer.
#[producer]
fn ticking(n: u64) -> impl Iterator<Item = Stamped> {
    ticks(n)
}

/// Workload 5, the work of each of the three stages: about 200 ns.
pub fn tick_work(s: Stamped) -> Stamped {
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

/// Workload 5, the consumer: each value with how long it took to arrive.
#[consumer]
fn arrivals(xs: impl Iterator<Item = Stamped>) -> Vec<(u64, Duration)> {
    xs.map(|s| (s.value, s.at.elapsed())).collect()
}

// ---------------------------------------------------------------------------

fn main() {
    let args: Vec<String> = env::args().skip(1).collect();
    let mut quick = false;
    let mut workers_flag = 2usize;
    let mut reps = None;
    let mut only = None;
    let mut i = 0;
    while i < args.len() {
        match args[i].as_str() {
            "--quick" => quick = true,
            "--workers" | "--reps" => {
                let flag = args[i].clone();
                let v: usize = args
                    .get(i + 1)
                    .and_then(|v| v.parse().ok())
                    .filter(|&v| v > 0)
                    .unwrap_or_else(|| usage(&format!("{flag} needs a number ≥ 1")));
                if flag == "--workers" {
                    workers_flag = v;
                } else {
                    reps = Some(v);
                }
                i += 1;
            }
            "--only" => {
                let list: Option<Vec<usize>> = args.get(i + 1).and_then(|v| {
                    v.split(',')
                        .map(|w| w.trim().parse().ok().filter(|w| (1..=6).contains(w)))
                        .collect()
                });
                only = Some(list.unwrap_or_else(|| {
                    usage("--only needs workload numbers from 1 to 6, like 2,4")
                }));
                i += 1;
            }
            "--rss-child" => {
                let n = args.get(i + 1).and_then(|v| v.parse().ok());
                let variant = args.get(i + 2);
                match (n, variant) {
                    (Some(n), Some(v)) => rss_child(n, v),
                    _ => usage("--rss-child needs ITEMS and VARIANT"),
                }
                return;
            }
            "-h" | "--help" => {
                println!("{USAGE}");
                return;
            }
            other => usage(&format!("unknown argument `{other}`")),
        }
        i += 1;
    }
    let mut cfg = if quick {
        Config::quick(workers_flag)
    } else {
        Config::full(workers_flag)
    };
    if let Some(r) = reps {
        cfg.reps = r;
    }
    if let Some(mut only) = only {
        only.sort_unstable();
        only.dedup();
        cfg.only = only;
    }
    run(&cfg);
}

const USAGE: &str = "usage: pipeline-bench [--quick] [--workers N] [--reps N] [--only LIST]
  --quick       tiny sizes, one repetition: checks every variant's result, times mean nothing
  --workers N   workers of the parallel stages in workloads 2-4 (default 2)
  --reps N      repetitions of each variant (default 5; 1 with --quick)
  --only LIST   run only these workloads, e.g. `--only 2,4` (default: 1 to 6)";

fn usage(msg: &str) -> ! {
    eprintln!("pipeline-bench: {msg}\n{USAGE}");
    process::exit(2);
}

/// Reports a wrong result and exits non-zero.
pub fn mismatch(what: &str, got: impl std::fmt::Debug, want: impl std::fmt::Debug) -> ! {
    eprintln!("pipeline-bench: MISMATCH in {what}: got {got:?}, want {want:?}");
    process::exit(1);
}

/// Unwraps a pipeline's result, exiting non-zero on an error.
fn ok<T>(what: &str, r: Result<T, pipeline::Error>) -> T {
    r.unwrap_or_else(|e| {
        eprintln!("pipeline-bench: {what} failed: {e}");
        process::exit(1);
    })
}

fn run(cfg: &Config) {
    let started = Instant::now();
    let heavy_cal = work::calibrate_heavy(5_000.0);
    let fine_cal = work::calibrate_fine(200.0);

    println!("## Machine and run\n");
    println!("| | |\n|---|---|");
    println!("| CPU | {} |", cpu_model());
    println!(
        "| cores (`nproc`) | {} |",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    println!("| command | `{}` |", cfg.command());
    println!(
        "| mode | {} |",
        if cfg.quick {
            "quick: tiny sizes, correctness only, times mean nothing"
        } else {
            "full"
        }
    );
    println!(
        "| repetitions | {} per variant, interleaved; medians shown |",
        cfg.reps
    );
    println!("| workers (workloads 2-4) | {} |", cfg.workers);
    println!(
        "| ~5 µs stage | {} iterations, {:.2} µs per call measured |",
        heavy_iters(),
        heavy_cal / 1000.0
    );
    println!(
        "| ~200 ns stage | {} iterations, {:.0} ns per call measured |",
        fine_iters(),
        fine_cal
    );
    println!();

    let mut targets = Targets::default();
    let workloads: [fn(&Config, &mut Targets); 6] = [
        workload_trivial,
        workload_heavy,
        workload_empty,
        workload_fine,
        workload_latency,
        workload_rss,
    ];
    for &w in &cfg.only {
        workloads[w - 1](cfg, &mut targets);
    }

    if cfg.quick {
        println!("Quick mode: every variant matched the sequential answer; no target is judged.");
    } else {
        targets.print();
    }
    eprintln!("done in {:.1?}", started.elapsed());
}

fn cpu_model() -> String {
    fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown".to_owned())
}

/// Items pariter keeps in flight in the throughput workloads: the capacity of every
/// other variant's queues. (Its default, twice the threads, costs a thread handoff
/// every few items; in the latency workload the default is kept, since pariter reads
/// ahead until its buffer is full.)
const PARITER_BUFFER: usize = pipeline::DEFAULT_BUFFER;

fn rayon_pool(threads: usize) -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap_or_else(|e| {
            eprintln!("pipeline-bench: rayon pool: {e}");
            process::exit(1)
        })
}

// ---------------------------------------------------------------------------

/// Workload 1: `x*2+1`, keep half, sum, over `0..n`, one worker per stage.
fn workload_trivial(cfg: &Config, targets: &mut Targets) {
    use pariter::IteratorExt as _;
    use rayon::prelude::*;
    let n = cfg.trivial_items;
    let want = total(keep_half_stream(twice_plus_one_stream(count_to(n))));
    if want != report::trivial_answer(n) {
        mismatch("workload 1 sequential", want, report::trivial_answer(n));
    }
    let pool = rayon_pool(cfg.workers);
    let mut s = Samples::new(
        "workload 1",
        vec![
            (Kind::Sequential, "sequential iterator chain"),
            (
                Kind::Project,
                "pipeline, item form: `count_to => twice_plus_one => keep_half => total`",
            ),
            (Kind::Project, "pipeline, stream form"),
            (Kind::Peer, "crossbeam threads, one item per message"),
            (Kind::Peer, "crossbeam threads, batches of 64"),
            (Kind::Peer, "rayon `par_bridge`"),
            (Kind::Peer, "pariter `parallel_map`, one thread per stage"),
        ],
    );
    s.run(cfg.reps, |i| {
        let got = match i {
            0 => (0..n).map(twice_plus_one).filter_map(keep_half).sum(),
            1 => ok(
                "workload 1 pipeline",
                pipeline!(count_to(n) => twice_plus_one => keep_half => total).run(),
            ),
            2 => ok(
                "workload 1 pipeline (stream)",
                pipeline!(count_to(n) => twice_plus_one_stream => keep_half_stream => total).run(),
            ),
            3 => peers::items_trivial(n),
            4 => peers::batches_trivial(n),
            5 => pool.install(|| {
                (0..n)
                    .par_bridge()
                    .map(twice_plus_one)
                    .filter_map(keep_half)
                    .sum()
            }),
            _ => (0..n)
                .parallel_map_custom(|o| o.threads(1).buffer_size(PARITER_BUFFER), twice_plus_one)
                .parallel_map_custom(|o| o.threads(1).buffer_size(PARITER_BUFFER), keep_half)
                .flatten()
                .sum(),
        };
        (got, want)
    });

    println!("## 1. Three trivial stages, one worker each\n");
    println!(
        "`x*2+1`, then keep `y % 4 == 1` (exactly the images of even `x`, half the items), \
         then sum, over {} `u64`s. The pipeline is `count_to(n) => twice_plus_one => \
         keep_half => total`, one worker per stage; crossbeam runs one thread per stage; \
         rayon runs the chain on a pool of {} threads; pariter chains two `parallel_map`s \
         of one thread each.\n",
        report::count(n),
        cfg.workers
    );
    let best = s.best_peer();
    println!(
        "| variant | median ms | ns/item | × best peer ({}) |",
        s.name(best)
    );
    println!("|---|---:|---:|---:|");
    for v in 0..s.len() {
        println!(
            "| {} | {} | {:.1} | {} |",
            s.name(v),
            fmt_ms(s.median(v)),
            s.median(v).as_nanos() as f64 / n as f64,
            fmt_ratio(s.median(v), s.median(best))
        );
    }
    println!();
    let ratio = s.median(1).as_secs_f64() / s.median(4).as_secs_f64();
    targets.add(
        "1. trivial 3-stage pipeline (item form) vs crossbeam batches of 64",
        format!("{ratio:.2}×"),
        "≤ 1.40×",
        ratio <= 1.4,
    );
    let ratio_stream = s.median(2).as_secs_f64() / s.median(4).as_secs_f64();
    targets.add(
        "1. trivial 3-stage pipeline (stream form) vs crossbeam batches of 64",
        format!("{ratio_stream:.2}×"),
        "≤ 1.40×",
        ratio_stream <= 1.4,
    );
}

/// Which parallel item stage a speedup workload runs.
#[derive(Clone, Copy)]
enum Load {
    Heavy,
    Empty,
    Fine,
}

impl Load {
    /// The stage as a plain function, for the sequential run and the peers.
    fn function(self) -> fn(u64) -> u64 {
        match self {
            Load::Heavy => heavy,
            Load::Empty => empty,
            Load::Fine => fine,
        }
    }
}

/// Runs one parallel item stage on every variant; returns the samples. Variant order:
/// sequential, pipeline, pipeline ordered, crossbeam items, crossbeam batches, rayon,
/// pariter, and for the empty stage, the pipeline without it.
fn parallel_stage(cfg: &Config, load: Load, n: u64, title: &str) -> Samples {
    use pariter::IteratorExt as _;
    use rayon::prelude::*;
    let w = cfg.workers;
    let stage_fn = load.function();
    let answers: Vec<u64> = (0..n).map(stage_fn).collect();
    let want_sum: u64 = answers.iter().sum();
    let want_digest: u64 = answers.iter().copied().fold(0, report::digest_step);
    let pool = rayon_pool(w);
    let mut s = Samples::new(
        title,
        vec![
            (Kind::Sequential, "sequential iterator chain"),
            (Kind::Project, "pipeline"),
            (Kind::Project, "pipeline, `ordered`"),
            (Kind::Peer, "crossbeam threads, one item per message"),
            (Kind::Peer, "crossbeam threads, batches of 64"),
            (Kind::Peer, "rayon `par_bridge`"),
            (Kind::Peer, "pariter `parallel_map` (keeps order)"),
        ],
    );
    if let Load::Empty = load {
        s.push(
            Kind::Project,
            "pipeline without the stage: `count_to => total`",
        );
    }
    s.run(cfg.reps, |i| match i {
        0 => ((0..n).map(stage_fn).sum(), want_sum),
        1 => (
            ok(
                title,
                match load {
                    Load::Heavy => pipeline!(count_to(n) => heavy[workers = w] => total).run(),
                    Load::Empty => pipeline!(count_to(n) => empty[workers = w] => total).run(),
                    Load::Fine => pipeline!(count_to(n) => fine[workers = w] => total).run(),
                },
            ),
            want_sum,
        ),
        2 => (
            ok(
                title,
                match load {
                    Load::Heavy => {
                        pipeline!(count_to(n) => heavy_ordered[workers = w] => digest).run()
                    }
                    Load::Empty => {
                        pipeline!(count_to(n) => empty_ordered[workers = w] => digest).run()
                    }
                    Load::Fine => {
                        pipeline!(count_to(n) => fine_ordered[workers = w] => digest).run()
                    }
                },
            ),
            want_digest,
        ),
        3 => (peers::items_parallel(n, w, stage_fn), want_sum),
        4 => (peers::batches_parallel(n, w, stage_fn), want_sum),
        5 => (
            pool.install(|| (0..n).par_bridge().map(stage_fn).sum()),
            want_sum,
        ),
        6 => (
            (0..n)
                .parallel_map_custom(|o| o.threads(w).buffer_size(PARITER_BUFFER), stage_fn)
                .fold(0, report::digest_step),
            want_digest,
        ),
        _ => (
            ok(title, pipeline!(count_to(n) => total).run()),
            (0..n).sum(),
        ),
    });
    s
}

fn print_speedups(s: &Samples, n: u64) {
    let best = s.best_peer();
    println!(
        "| variant | median ms | ns/item | speedup over sequential | × best peer's time ({}) |",
        s.name(best)
    );
    println!("|---|---:|---:|---:|---:|");
    for v in 0..s.len() {
        println!(
            "| {} | {} | {:.1} | {:.2} | {} |",
            s.name(v),
            fmt_ms(s.median(v)),
            s.median(v).as_nanos() as f64 / n as f64,
            s.speedup(v),
            fmt_ratio(s.median(v), s.median(best))
        );
    }
    println!();
}

/// Workload 2: one item stage of about 5 µs per item.
fn workload_heavy(cfg: &Config, targets: &mut Targets) {
    let n = cfg.heavy_items;
    let s = parallel_stage(cfg, Load::Heavy, n, "workload 2");
    println!("## 2. A 5 µs stage on {} workers\n", cfg.workers);
    println!(
        "`count_to(n) => heavy => total` over {} items; `heavy` spins about 5 µs per \
         item. Every parallel variant runs the stage on {} threads.\n",
        report::count(n),
        cfg.workers
    );
    print_speedups(&s, n);
    let rayon = s.speedup(5);
    for (v, label) in [(1, "unordered"), (2, "ordered")] {
        let rel = s.speedup(v) / rayon;
        targets.add(
            &format!("2. 5 µs stage, {label}: speedup vs rayon's"),
            format!(
                "{:.2} vs {:.2} ({:+.1}%)",
                s.speedup(v),
                rayon,
                (rel - 1.0) * 100.0
            ),
            "≥ −3%",
            rel >= 0.97,
        );
    }
}

/// Workload 3: the same stage with no work: what a parallel stage costs per item.
fn workload_empty(cfg: &Config, targets: &mut Targets) {
    let n = cfg.empty_items;
    let s = parallel_stage(cfg, Load::Empty, n, "workload 3");
    println!(
        "## 3. Per-item cost of a parallel stage with no work, {} workers\n",
        cfg.workers
    );
    println!(
        "`count_to(n) => empty => total` over {} items, `empty` being the stage of \
         workload 2 with no work. ns/item is the whole run's time divided by the items; \
         the last row is the same pipeline without the stage.\n",
        report::count(n)
    );
    print_speedups(&s, n);
    let per_item = |v: usize| s.median(v).as_nanos() as f64 / n as f64;
    let without = per_item(7);
    for (v, label, limit) in [(1, "unordered", 10.0), (2, "ordered", 12.0)] {
        let ns = per_item(v);
        targets.add(
            &format!("3. empty parallel stage, {label}: whole run per item"),
            format!("{ns:.1} ns"),
            &format!("≤ {limit:.0} ns"),
            ns <= limit,
        );
        targets.add(
            &format!("3. empty parallel stage, {label}: added to `count_to => total` per item"),
            format!("{:.1} ns", ns - without),
            &format!("≤ {limit:.0} ns"),
            ns - without <= limit,
        );
    }
}

/// Workload 4: a fine-grained stage of about 200 ns per item.
fn workload_fine(cfg: &Config, targets: &mut Targets) {
    let n = cfg.fine_items;
    let s = parallel_stage(cfg, Load::Fine, n, "workload 4");
    println!("## 4. A 200 ns stage on {} workers\n", cfg.workers);
    println!(
        "`count_to(n) => fine => total` over {} items; `fine` spins about 200 ns per \
         item.\n",
        report::count(n)
    );
    print_speedups(&s, n);
    for (v, label) in [(1, "unordered"), (2, "ordered")] {
        targets.add(
            &format!("4. 200 ns stage, {label}: speedup over sequential"),
            format!("{:.2}", s.speedup(v)),
            "≥ 1.70",
            s.speedup(v) >= 1.7,
        );
    }
}

/// Workload 5: latency of items produced one per millisecond through three stages.
fn workload_latency(cfg: &Config, targets: &mut Targets) {
    use pariter::IteratorExt as _;
    use rayon::prelude::*;
    let n = cfg.latency_items;
    let want: Vec<u64> = ticks(n)
        .map(tick_work)
        .map(tick_work)
        .map(tick_work)
        .map(|s| s.value)
        .collect();
    let mut want_sorted = want.clone();
    want_sorted.sort_unstable();
    let pool = rayon_pool(cfg.workers);
    let names = [
        (
            Kind::Sequential,
            "sequential iterator chain (the work itself)",
        ),
        (
            Kind::Project,
            "pipeline: `ticking => tick_a => tick_b => tick_c => arrivals`",
        ),
        (Kind::Peer, "crossbeam threads, one item per message"),
        (Kind::Peer, "crossbeam threads, batches of 64"),
        (Kind::Peer, "rayon `par_bridge`"),
        (Kind::Peer, "pariter `parallel_map`, one thread per stage"),
    ];
    let mut lat: Vec<Vec<Duration>> = vec![Vec::new(); names.len()];
    for rep in 0..cfg.reps {
        for k in 0..names.len() {
            let i = (rep + k) % names.len();
            eprintln!("workload 5: rep {}/{}: {}", rep + 1, cfg.reps, names[i].1);
            let got: Vec<(u64, Duration)> = match i {
                0 => arrivals(ticks(n).map(tick_work).map(tick_work).map(tick_work)),
                1 => ok(
                    "workload 5 pipeline",
                    pipeline!(ticking(n) => tick_a => tick_b => tick_c => arrivals).run(),
                ),
                2 => peers::items_latency(n),
                3 => peers::batches_latency(n),
                4 => pool.install(|| {
                    let out = std::sync::Mutex::new(Vec::new());
                    ticks(n)
                        .par_bridge()
                        .map(tick_work)
                        .map(tick_work)
                        .map(tick_work)
                        .for_each(|s| {
                            let d = s.at.elapsed();
                            out.lock().unwrap().push((s.value, d));
                        });
                    out.into_inner().unwrap()
                }),
                _ => arrivals(
                    ticks(n)
                        .parallel_map_custom(|o| o.threads(1), tick_work)
                        .parallel_map_custom(|o| o.threads(1), tick_work)
                        .parallel_map_custom(|o| o.threads(1), tick_work),
                ),
            };
            let mut values: Vec<u64> = got.iter().map(|p| p.0).collect();
            let want = if i == 4 {
                // rayon does not keep order: compare the multisets
                values.sort_unstable();
                &want_sorted
            } else {
                &want
            };
            if values != *want {
                mismatch(&format!("workload 5, {}", names[i].1), values, want);
            }
            lat[i].extend(got.into_iter().map(|p| p.1));
        }
    }
    println!("## 5. Latency: one item per millisecond through three stages\n");
    println!(
        "The producer yields one item every 1 ms (it sleeps in between), stamped with \
         `Instant::now()`; three one-worker stages do about 200 ns of work each; the \
         consumer records how long each item took from producer to consumer. {} items \
         per run, percentiles over all {} runs' items together.\n",
        report::count(n),
        cfg.reps
    );
    println!("| variant | median µs | p99 µs | max µs |");
    println!("|---|---:|---:|---:|");
    let mut p99 = Vec::new();
    for (i, name) in names.iter().enumerate() {
        let l = &mut lat[i];
        l.sort_unstable();
        let (med, q99, max) = (
            report::percentile(l, 50.0),
            report::percentile(l, 99.0),
            *l.last().unwrap_or(&Duration::ZERO),
        );
        p99.push(q99);
        println!(
            "| {} | {:.1} | {:.1} | {:.1} |",
            name.1,
            med.as_secs_f64() * 1e6,
            q99.as_secs_f64() * 1e6,
            max.as_secs_f64() * 1e6
        );
    }
    println!();
    let above = p99[1].saturating_sub(p99[0]);
    targets.add(
        "5. latency p99 above the work itself",
        format!("{:.0} µs", above.as_secs_f64() * 1e6),
        "≤ 1000 µs",
        above <= Duration::from_millis(1),
    );
}

/// Workload 6: peak resident memory of a child process streaming n items.
fn workload_rss(cfg: &Config, targets: &mut Targets) {
    let variants = ["sequential", "pipeline", "crossbeam-batches"];
    let labels = [
        "sequential iterator chain",
        "pipeline: `count_to => twice_plus_one => keep_half => total`",
        "crossbeam threads, batches of 64",
    ];
    let exe = env::current_exe().unwrap_or_else(|e| {
        eprintln!("pipeline-bench: current_exe: {e}");
        process::exit(1)
    });
    let mut peaks = vec![[0u64; 2]; variants.len()];
    for (k, &items) in cfg.rss_items.iter().enumerate() {
        for (v, variant) in variants.iter().enumerate() {
            eprintln!("workload 6: {variant}, {items} items");
            let out = Command::new(&exe)
                .args(["--rss-child", &items.to_string(), variant])
                .output()
                .unwrap_or_else(|e| {
                    eprintln!("pipeline-bench: could not start the child: {e}");
                    process::exit(1)
                });
            if !out.status.success() {
                eprintln!(
                    "pipeline-bench: child `{variant}` with {items} items failed: {}",
                    String::from_utf8_lossy(&out.stderr)
                );
                process::exit(1);
            }
            let text = String::from_utf8_lossy(&out.stdout);
            peaks[v][k] = text
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM_kB "))
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or_else(|| {
                    eprintln!("pipeline-bench: child printed no VmHWM: {text}");
                    process::exit(1)
                });
        }
    }
    let [small, large] = cfg.rss_items;
    println!("## 6. Peak memory, streaming\n");
    println!(
        "Each run is a child process (`pipeline-bench --rss-child ITEMS VARIANT`) that \
         streams the items through the stages of workload 1 and prints its own peak \
         resident set (`VmHWM` in `/proc/self/status`). MB = 10^6 bytes.\n"
    );
    println!(
        "| variant | peak MB, {} items | peak MB, {} items | ratio |",
        report::count(small),
        report::count(large)
    );
    println!("|---|---:|---:|---:|");
    for (v, label) in labels.iter().enumerate() {
        let [a, b] = peaks[v];
        println!(
            "| {} | {:.2} | {:.2} | {:.2} |",
            label,
            a as f64 * 1024.0 / 1e6,
            b as f64 * 1024.0 / 1e6,
            b as f64 / a.max(1) as f64
        );
    }
    println!();
    let [a, b] = peaks[1];
    let ratio = b as f64 / a.max(1) as f64;
    let mb = |kb: u64| kb as f64 * 1024.0 / 1e6;
    targets.add(
        "6. pipeline peak memory, 50 M vs 5 M items",
        format!("{:.2} MB vs {:.2} MB ({ratio:.2}×)", mb(b), mb(a)),
        "within 10%, both < 8 MB",
        (ratio - 1.0).abs() <= 0.10 && mb(a) < 8.0 && mb(b) < 8.0,
    );
}

/// The child of workload 6: streams `n` items, checks the answer, prints its peak RSS.
fn rss_child(n: u64, variant: &str) {
    let want = report::trivial_answer(n);
    let got = match variant {
        "sequential" => total(keep_half_stream(twice_plus_one_stream(count_to(n)))),
        "pipeline" => ok(
            "rss child",
            pipeline!(count_to(n) => twice_plus_one => keep_half => total).run(),
        ),
        "crossbeam-batches" => peers::batches_trivial(n),
        other => usage(&format!("unknown --rss-child variant `{other}`")),
    };
    if got != want {
        mismatch(&format!("rss child {variant}"), got, want);
    }
    let status = fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kb = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .unwrap_or_else(|| {
            eprintln!("pipeline-bench: no VmHWM in /proc/self/status");
            process::exit(1)
        });
    println!("VmHWM_kB {kb}");
}
