//! Remote stages on Redis Streams: items per second through a trivial remote stage
//! and a 1 ms one, on 1 and 2 worker processes (this program, started again with
//! `PIPELINE_WORKER`), beside `redis-benchmark`'s `XADD` rate on the same server,
//! the most entries a second the broker takes. Skipped without `redis-server`.

use super::Workload;
use crate::config::Config;
use crate::report::Report;
use crate::stages::{count_to, total};
use crate::work::{heavy_iters, spin};
use pipeline::{pipeline, stage, Redis};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub const WORKLOAD: Workload = Workload {
    name: "remote",
    about: "remote stages on Redis Streams: items/s of a trivial and a 1 ms stage on 1 and 2 worker processes, vs redis-benchmark's XADD rate",
    run,
    table: None,
};

#[stage(remote, workers = 2)]
fn double_remote(x: u64) -> u64 {
    x * 2
}

/// `iters` rounds of [`spin`]: about 1 ms with the iterations this run measured.
#[stage(remote, workers = 1)]
fn slow_remote(x: u64, iters: u64) -> u64 {
    spin(x, iters)
}

/// A `redis-server` on a free loopback port, killed when dropped.
struct Server {
    child: Child,
    port: u16,
}

impl Server {
    fn start() -> Option<Self> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .ok()?
            .local_addr()
            .ok()?
            .port();
        let mut child = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .stdout(Stdio::piped())
            .spawn()
            .ok()?;
        let stdout = BufReader::new(child.stdout.take()?);
        let mut lines = stdout.lines();
        let ready = lines.any(|l| {
            l.unwrap_or_default()
                .contains("Ready to accept connections")
        });
        // The rest of its output is not read: drain it so that the server never blocks.
        std::thread::spawn(move || lines.for_each(drop));
        let server = Server { child, port };
        ready.then_some(server)
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Worker processes of this program, killed when dropped.
struct Workers(Vec<Child>);

impl Workers {
    fn start(n: usize, url: &str) -> Self {
        let exe = std::env::current_exe().expect("this program's path");
        Workers(
            (0..n)
                .map(|_| {
                    Command::new(&exe)
                        .env("PIPELINE_WORKER", url)
                        .stdin(Stdio::null())
                        .spawn()
                        .expect("a worker process")
                })
                .collect(),
        )
    }
}

impl Drop for Workers {
    fn drop(&mut self) {
        for child in &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// `redis-benchmark`'s rate of `XADD` with one small field, requests per second.
fn xadd_rate(port: u16) -> Option<f64> {
    let output = Command::new("redis-benchmark")
        .args(["-p", &port.to_string(), "-n", "100000", "-q"])
        .args(["XADD", "pipeline-bench-xadd", "*", "f", "v"])
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&output.stdout);
    // "XADD pipeline-bench-xadd * f v: 81234.57 requests per second, p50=..."
    let rate = text
        .rsplit(':')
        .find_map(|part| part.split_whitespace().next()?.parse::<f64>().ok())?;
    Some(rate)
}

fn run(cfg: &Config, report: &mut Report) {
    report.heading("Remote stages on Redis Streams");
    if cfg.quick {
        println!("Skipped in quick mode: it starts a `redis-server` and worker processes.\n");
        return;
    }
    let Some(server) = Server::start() else {
        println!(
            "Skipped: `redis-server` could not be started (`apt-get install redis-server`).\n"
        );
        return;
    };
    let url = server.url();
    let broker = || {
        Redis::open(&url)
            .unwrap_or_else(|e| {
                eprintln!("pipeline-bench: {e}");
                std::process::exit(1)
            })
            .claim_after(Duration::from_secs(30))
    };
    let trivial_items = 200_000u64;
    let slow_items = 1_000u64;
    let iters = heavy_iters() * 200; // 5 µs × 200: about 1 ms
    let slow_want: u64 = (0..slow_items).map(|x| spin(x, iters)).sum();
    println!(
        "`count_to(n) => stage => total` with `stage` remote, on worker processes of this \
         program on the same machine, against a `redis-server` on loopback started for the \
         workload. Trivial: `x * 2` over {trivial_items} items, 2 threads per worker process. \
         1 ms: about 1 ms of arithmetic per item over {slow_items} items, 1 thread per \
         worker process. Items per second over the whole run, medians of {} runs.\n",
        cfg.reps
    );
    println!("| stage | worker processes | items/s |");
    println!("|---|---:|---:|");
    let mut slow_rates = Vec::new();
    for processes in [1, 2] {
        let _workers = Workers::start(processes, &url);
        let trivial = crate::median_run(
            cfg.reps,
            || {
                crate::ok(
                    "remote trivial",
                    pipeline!(count_to(trivial_items) => double_remote => total)
                        .broker(broker())
                        .run(),
                )
            },
            trivial_items * (trivial_items - 1),
        );
        let slow = crate::median_run(
            cfg.reps,
            || {
                crate::ok(
                    "remote 1 ms",
                    pipeline!(count_to(slow_items) => slow_remote(iters) => total)
                        .broker(broker())
                        .run(),
                )
            },
            slow_want,
        );
        let rate = |n: u64, d: Duration| n as f64 / d.as_secs_f64();
        println!(
            "| trivial | {processes} | {:.0} |",
            rate(trivial_items, trivial)
        );
        println!("| 1 ms | {processes} | {:.0} |", rate(slow_items, slow));
        slow_rates.push(rate(slow_items, slow));
    }
    match xadd_rate(server.port) {
        Some(rate) => println!("| `redis-benchmark` `XADD`, one entry per request | | {rate:.0} |"),
        None => println!("| `redis-benchmark` `XADD` | skipped: not found | |"),
    }
    println!();
    if let [one, two] = slow_rates[..] {
        println!(
            "1 ms stage: 2 worker processes give {:.2}× the items per second of one.\n",
            two / one
        );
    }
}
