//! Failures injected at a random stage, worker and item, many times over, under
//! random worker counts, queue sizes and per-item work: every run must end (a
//! watchdog fails the test on a hang), name the stage and worker that failed, and
//! leave no thread behind. Alone in its binary, so the thread count is its own.

mod common;

use common::{no_hang, spin, threads, Rng};
use pipeline::{consumer, pipeline, producer, stage};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Mutex;

const STAGES: [&str; 6] = ["evens", "odds", "parse", "shape", "enrich", "store"];

/// Where to fail: stage index, item value, and whether by panic or by `Err`.
static TARGET: AtomicUsize = AtomicUsize::new(0);
static ITEM: AtomicU64 = AtomicU64::new(0);
static BY_PANIC: AtomicUsize = AtomicUsize::new(1);
/// Per-run configuration read by the attributes' `workers = ..` and `buffer = ..`.
static WORKERS: [AtomicUsize; 4] = [const { AtomicUsize::new(1) }; 4];
static BUFFER: AtomicUsize = AtomicUsize::new(1);
static WORK: AtomicU64 = AtomicU64::new(0);
/// The thread that failed, as `stage#worker`.
static FAILED_ON: Mutex<Option<String>> = Mutex::new(None);

fn workers(stage: usize) -> usize {
    WORKERS[stage].load(Ordering::Relaxed)
}

fn buffer() -> usize {
    BUFFER.load(Ordering::Relaxed)
}

/// Fails here if this is the chosen stage and item; otherwise does some work.
fn inject(stage: usize, x: u64) -> Result<(), String> {
    spin((x.wrapping_mul(2_654_435_761) >> 7) % (WORK.load(Ordering::Relaxed) + 1));
    if stage != TARGET.load(Ordering::Relaxed) || x != ITEM.load(Ordering::Relaxed) {
        return Ok(());
    }
    let thread = std::thread::current().name().unwrap().to_owned();
    *FAILED_ON.lock().unwrap() = Some(thread);
    let message = format!("injected at {x}");
    if BY_PANIC.load(Ordering::Relaxed) == 1 {
        panic!("{message}");
    }
    Err(message)
}

#[producer]
fn evens() -> impl Iterator<Item = u64> {
    (0..)
        .step_by(2)
        .inspect(|&x| inject(0, x).unwrap_or_else(|e| panic!("{e}")))
}

#[producer]
fn odds() -> impl Iterator<Item = u64> {
    (1..)
        .step_by(2)
        .inspect(|&x| inject(1, x).unwrap_or_else(|e| panic!("{e}")))
}

#[stage(workers = workers(0), buffer = buffer())]
fn parse(x: u64) -> Result<u64, String> {
    inject(2, x).map(|()| x)
}

#[stage(workers = workers(1), buffer = buffer())]
fn shape(xs: impl Iterator<Item = u64>) -> impl Iterator<Item = u64> {
    xs.inspect(|&x| inject(3, x).unwrap_or_else(|e| panic!("{e}")))
}

#[stage(workers = workers(2), buffer = buffer(), ordered)]
fn enrich(x: u64) -> Result<u64, String> {
    inject(4, x).map(|()| x)
}

#[consumer(workers = workers(3), buffer = buffer())]
fn store(xs: impl Iterator<Item = u64>) -> Result<u64, String> {
    let mut n = 0;
    for x in xs {
        inject(5, x)?;
        n += 1;
    }
    Ok(n)
}

#[test]
fn injected_failures_never_hang_and_are_reported_where_they_happened() {
    let baseline = threads();
    for round in 0..300u64 {
        let mut rng = Rng::new(round);
        let target = rng.below(STAGES.len() as u64) as usize;
        TARGET.store(target, Ordering::Relaxed);
        // Early items catch stages still starting up, later ones catch full queues.
        let item = rng.below(if round % 3 == 0 { 8 } else { 3000 });
        // `evens` only ever sees even items, `odds` odd ones.
        let item = match target {
            0 => item & !1,
            1 => item | 1,
            _ => item,
        };
        ITEM.store(item, Ordering::Relaxed);
        BY_PANIC.store(rng.below(2) as usize, Ordering::Relaxed);
        for w in &WORKERS {
            w.store(1 + rng.below(4) as usize, Ordering::Relaxed);
        }
        BUFFER.store(1 + rng.below(16) as usize, Ordering::Relaxed);
        WORK.store([0, 50, 2000][rng.below(3) as usize], Ordering::Relaxed);
        *FAILED_ON.lock().unwrap() = None;

        let error = no_hang("injected failure", || {
            pipeline!([evens(), odds()] => parse => shape => enrich => store)
                .run()
                .unwrap_err()
        });

        let failed_on = FAILED_ON.lock().unwrap().clone().unwrap();
        let named = format!("{}#{}", error.stage().unwrap(), error.worker().unwrap());
        assert_eq!(named, failed_on, "round {round}: {error}");
        assert_eq!(error.stage(), Some(STAGES[target]), "round {round}");
        assert!(error
            .to_string()
            .ends_with(&format!("injected at {}", ITEM.load(Ordering::Relaxed))));
        assert_eq!(threads(), baseline, "round {round}: threads left behind");
    }
}
