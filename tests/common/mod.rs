//! Helpers shared by the integration tests.
#![allow(dead_code)]

#[cfg(unix)]
pub mod fifo;

use pipeline::{consumer, producer};
use std::sync::mpsc::{self, SyncSender};
use std::time::Duration;

/// An endless producer: only a failure, an early stop or a cancel ends its pipeline.
#[producer]
pub fn naturals() -> impl Iterator<Item = u64> {
    0..
}

/// Drains its input, telling `started` when the first item arrives: a test waits for
/// that before it cancels, so the pipeline is surely running.
#[consumer]
pub fn signal_then_drain(xs: impl Iterator<Item = u64>, started: SyncSender<()>) -> u64 {
    let mut n = 0;
    for _ in xs {
        if n == 0 {
            started.send(()).unwrap();
        }
        n += 1;
    }
    n
}

/// Runs `f` on its own thread and fails the test if it has not returned after a
/// minute: a hang detector, not a timing assertion (a healthy run takes milliseconds).
pub fn no_hang<T: Send + 'static>(what: &str, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    let worker = std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    match rx.recv_timeout(Duration::from_secs(60)) {
        Ok(value) => {
            worker.join().unwrap();
            value
        }
        Err(mpsc::RecvTimeoutError::Disconnected) => {
            // `f` panicked: re-raise its panic here.
            std::panic::resume_unwind(worker.join().unwrap_err())
        }
        Err(mpsc::RecvTimeoutError::Timeout) => panic!("{what}: hung for a minute"),
    }
}

/// The number of threads of this process, from `/proc/self/status`.
pub fn threads() -> usize {
    status_field("Threads:")
}

/// Waits until this process has `want` threads, and says how many it has: the
/// kernel's count can lag a thread that was just joined, so a single read can see
/// one too many. Gives up after ten seconds (a leaked thread never goes away).
pub fn threads_settle_at(want: usize) -> usize {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let now = threads();
        if now == want || std::time::Instant::now() > deadline {
            return now;
        }
        std::thread::yield_now();
    }
}

/// Waits until no pipeline worker thread (named `stage#worker`) is left in this
/// process, and says how many are: unlike [`threads`], this count ignores the test
/// harness's own threads, which come and go with the other tests of a binary. Gives
/// up after ten seconds (a leaked thread never goes away).
pub fn worker_threads_settle() -> usize {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let now = std::fs::read_dir("/proc/self/task")
            .unwrap()
            .filter_map(|task| std::fs::read_to_string(task.ok()?.path().join("comm")).ok())
            .filter(|name| name.contains('#'))
            .count();
        if now == 0 || std::time::Instant::now() > deadline {
            return now;
        }
        std::thread::yield_now();
    }
}

/// Peak resident memory of this process in KiB (`VmHWM`).
pub fn peak_rss_kib() -> usize {
    status_field("VmHWM:")
}

fn status_field(name: &str) -> usize {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with(name)).unwrap();
    line[name.len()..]
        .split_whitespace()
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

/// A small deterministic generator for the stress tests (xorshift64*).
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) % n
    }
}

/// Burns roughly `n` iterations of arithmetic: a varying amount of work, not a sleep.
pub fn spin(n: u64) -> u64 {
    let mut acc = 0u64;
    for i in 0..n {
        acc = std::hint::black_box(acc.wrapping_mul(31).wrapping_add(i));
    }
    acc
}

/// How many workers of the stage at `stage` in the run's stats are still running.
pub fn running_workers<T>(handle: &pipeline::Handle<T>, stage: usize) -> usize {
    handle.stats().stages[stage]
        .workers
        .iter()
        .filter(|w| w.running)
        .count()
}

/// The state letter of this process's thread named `name` (`S` asleep, `R` running),
/// from `/proc/self/task/*/stat`.
#[cfg(target_os = "linux")]
pub fn thread_state(name: &str) -> Option<char> {
    std::fs::read_dir("/proc/self/task").ok()?.find_map(|task| {
        let dir = task.ok()?.path();
        let comm = std::fs::read_to_string(dir.join("comm")).ok()?;
        if comm.trim_end() != name {
            return None;
        }
        let stat = std::fs::read_to_string(dir.join("stat")).ok()?;
        // The state follows the parenthesised name.
        stat.rsplit_once(") ")?.1.chars().next()
    })
}
