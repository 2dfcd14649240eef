//! Isolated stages: what a child process per worker costs per item (a trivial stage,
//! beside the same stage on threads and Python's `multiprocessing.Pool.imap` at its
//! best `chunksize`), and how 50 µs items scale from 1 to 2 isolated workers.

use super::Workload;
use crate::config::Config;
use crate::report::{fmt_ms, Report};
use crate::stages::{count_to, total};
use crate::work::{heavy_iters, spin};
use pipeline::{pipeline, stage};
use std::process::Command;
use std::time::Duration;

pub const WORKLOAD: Workload = Workload {
    name: "isolated",
    about: "isolated stages: ns per item of a trivial one (vs threads, Python's Pool.imap); 50 µs items on 1 and 2 workers",
    run,
    table: None,
};

#[stage]
fn double(x: u64) -> u64 {
    x * 2
}

#[stage(isolate)]
fn double_isolated(x: u64) -> u64 {
    x * 2
}

/// `iters` rounds of [`spin`]: the iteration count crosses to the children as an
/// argument, since they do not calibrate.
#[stage(isolate)]
fn slow_isolated(x: u64, iters: u64) -> u64 {
    spin(x, iters)
}

const POOL: &str = r#"
import multiprocessing, sys, time
def double(x):
    return x * 2
if __name__ == "__main__":
    n, chunksize = int(sys.argv[1]), int(sys.argv[2])
    with multiprocessing.Pool(2) as pool:
        pool.map(double, range(100))
        started = time.perf_counter()
        total = sum(pool.imap(double, range(n), chunksize=chunksize))
        elapsed = time.perf_counter() - started
    assert total == n * (n - 1), total
    print(elapsed / n * 1e9)
"#;

/// Python's `Pool(2).imap` of a trivial function, ns per item, by chunksize; `None`
/// where `python3` cannot be run.
fn python_pool(n: u64) -> Option<Vec<(u64, f64)>> {
    let script =
        std::env::temp_dir().join(format!("pipeline-bench-pool-{}.py", std::process::id()));
    std::fs::write(&script, POOL).ok()?;
    let mut rows = Vec::new();
    for chunksize in [1u64, 64, 1024] {
        // One item at a time costs tens of µs each: fewer items keep it short.
        let items = if chunksize == 1 { n / 20 } else { n };
        let output = Command::new("python3")
            .arg(&script)
            .arg(items.to_string())
            .arg(chunksize.to_string())
            .output()
            .ok()?;
        if !output.status.success() {
            let _ = std::fs::remove_file(&script);
            return None;
        }
        let ns: f64 = String::from_utf8_lossy(&output.stdout)
            .trim()
            .parse()
            .ok()?;
        rows.push((chunksize, ns));
    }
    let _ = std::fs::remove_file(&script);
    Some(rows)
}

fn run(cfg: &Config, report: &mut Report) {
    let n = cfg.items(1_000_000, 2_000);
    let want = n * (n - 1);
    let workers = 2;
    report.heading("Isolated stages");
    println!(
        "`count_to(n) => double => total` over {n} items, `double` on {workers} workers: \
         threads, and child processes (`#[stage(isolate)]`, batches sized by the runtime); \
         Python's `multiprocessing.Pool({workers}).imap` of the same function, at each \
         `chunksize` (1 over n/20 items).\n"
    );
    let threads = crate::median_run(
        cfg.reps,
        || {
            crate::ok(
                "threads",
                pipeline!(count_to(n) => double[workers = workers] => total).run(),
            )
        },
        want,
    );
    let isolated = crate::median_run(
        cfg.reps,
        || {
            crate::ok(
                "isolated",
                pipeline!(count_to(n) => double_isolated[workers = workers] => total).run(),
            )
        },
        want,
    );
    let per_item = |d: Duration| d.as_nanos() as f64 / n as f64;
    println!("| variant | median ms | ns/item |");
    println!("|---|---:|---:|");
    println!(
        "| pipeline, threads | {} | {:.1} |",
        fmt_ms(threads),
        per_item(threads)
    );
    println!(
        "| pipeline, `isolate` (child processes) | {} | {:.1} |",
        fmt_ms(isolated),
        per_item(isolated)
    );
    match (!cfg.quick).then(|| python_pool(n)).flatten() {
        Some(rows) => {
            for (chunksize, ns) in rows {
                println!("| Python `Pool.imap`, chunksize {chunksize} | | {ns:.1} |");
            }
        }
        None => println!("| Python `Pool.imap` | skipped: `python3` not run | |"),
    }
    println!();
    let target = per_item(isolated) <= 1000.0;
    report.target(
        "isolated trivial stage, ns per item",
        format!("{:.0} ns", per_item(isolated)),
        "≤ 1000 ns",
        target,
    );

    // 50 µs items: ten times the calibrated 5 µs.
    let iters = heavy_iters() * 10;
    let items = cfg.items(4_000, 40);
    let want: u64 = (0..items).map(|x| spin(x, iters)).sum();
    let on = |workers: usize| {
        crate::median_run(
            cfg.reps,
            || {
                crate::ok(
                    "isolated 50 µs",
                    pipeline!(count_to(items) => slow_isolated(iters)[workers = workers] => total)
                        .run(),
                )
            },
            want,
        )
    };
    let one = on(1);
    let two = on(2);
    let speedup = one.as_secs_f64() / two.as_secs_f64();
    println!(
        "`count_to(n) => slow => total` over {items} items of about 50 µs each, `slow` \
         isolated:\n"
    );
    println!("| isolated workers | median ms | speedup |");
    println!("|---:|---:|---:|");
    println!("| 1 | {} | 1.00 |", fmt_ms(one));
    println!("| 2 | {} | {speedup:.2} |", fmt_ms(two));
    println!();
    report.target(
        "50 µs items, 2 isolated workers over 1",
        format!("{speedup:.2}×"),
        "≥ 1.8×",
        speedup >= 1.8,
    );
}
