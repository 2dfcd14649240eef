//! The benchmark suite: every workload runs on `pipeline` and on its peers in this one
//! process, interleaved (each repetition runs every variant once, in rotating order),
//! and every variant's result is checked against the sequential answer.
//!
//! ```text
//! cargo run --release -p pipeline-bench                   # full run, a few minutes on 2 cores
//! cargo run --release -p pipeline-bench -- --quick        # tiny sizes, correctness only
//! cargo run --release -p pipeline-bench -- --workers 8    # parallel workloads on 8 workers
//! cargo run --release -p pipeline-bench -- --only idle    # one workload, by number or name
//! cargo run --release -p pipeline-bench -- --instructions # instruction counts under valgrind
//! ```
//!
//! Each workload is a module of `workloads/`, listed in `workloads::ALL`; its variants
//! (the pipeline's and the peers') are known by name. Standard output is markdown, to
//! paste into BENCHMARKS.md; progress goes to standard error. A mismatch with the
//! sequential answer exits with status 1.

mod child;
mod config;
mod peers;
mod report;
mod stages;
mod threads;
mod variants;
mod work;
mod workloads;

use config::{Config, Mode};
use std::time::Instant;
use std::{env, fs, process};
use work::{fine_iters, heavy_iters};

fn main() {
    // The isolated and remote workloads' worker processes start here.
    pipeline::init();
    let args: Vec<String> = env::args().skip(1).collect();
    match config::parse(&args) {
        Mode::Run(cfg) => run(&cfg),
        Mode::Child {
            cfg,
            workload,
            variant,
            items,
        } => child::serve(&cfg, &workload, &variant, items),
        Mode::Help => println!("{}", config::help()),
    }
}

/// Reports a wrong result and exits non-zero.
pub fn mismatch(what: &str, got: impl std::fmt::Debug, want: impl std::fmt::Debug) -> ! {
    eprintln!("pipeline-bench: MISMATCH in {what}: got {got:?}, want {want:?}");
    process::exit(1);
}

/// The median time of `reps` runs of `f`, each of which must return `want`.
pub fn median_run(reps: usize, mut f: impl FnMut() -> u64, want: u64) -> std::time::Duration {
    let mut times: Vec<std::time::Duration> = (0..reps.max(1))
        .map(|_| {
            let started = Instant::now();
            let got = f();
            let elapsed = started.elapsed();
            if got != want {
                mismatch("a run", got, want);
            }
            elapsed
        })
        .collect();
    times.sort();
    times[times.len() / 2]
}

/// Unwraps a pipeline's result, exiting non-zero on an error.
pub fn ok<T>(what: &str, r: Result<T, pipeline::Error>) -> T {
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
    println!("| workers (parallel stages) | {} |", cfg.workers);
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

    let mut out = report::Report::default();
    for (number, workload) in cfg.workloads() {
        out.start(number);
        (workload.run)(cfg, &mut out);
    }

    if cfg.quick {
        println!("Quick mode: every variant matched the sequential answer; no target is judged.");
    } else {
        out.print_targets();
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
