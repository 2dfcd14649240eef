//! Failures injected at a random stage, worker and item, many times over, under
//! random worker counts, queue sizes and per-item work: every run must end (a
//! watchdog fails the test on a hang), name the stage and worker that failed, and
//! leave no worker thread behind (counted by name, so that the harness's threads for
//! the other test of this file, with `--include-ignored`, do not count).

mod common;

use common::{no_hang, spin, worker_threads_settle, Rng};
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
/// Held by each test for its whole run: they share the settings above, so they must
/// not run at once (`--include-ignored` would run both).
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());
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
    let _alone = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
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
        assert_eq!(
            worker_threads_settle(),
            0,
            "round {round}: threads left behind"
        );
    }
}

/// How a round of the second test ends.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Ending {
    /// A panic or `Err` injected at a random stage and item.
    Failure,
    /// `cancel()` once the consumer has taken a random number of items.
    Cancel,
    /// `drain()` at the same kind of moment: graceful, everything produced arrives.
    Drain,
    /// Finite producers: the whole input arrives and is committed.
    Complete,
    /// The consumer returns after a random number of items.
    EarlyStop,
}

/// What the producers of the second test yield: `0..LIMIT` (evens and odds).
static LIMIT: AtomicU64 = AtomicU64::new(u64::MAX);
/// `keep` passes items below `KEEP_BELOW` and multiples of `KEEP_EVERY`.
static KEEP_BELOW: AtomicU64 = AtomicU64::new(u64::MAX);
static KEEP_EVERY: AtomicU64 = AtomicU64::new(1);
static CONSUMER_WORK: AtomicU64 = AtomicU64::new(0);
/// The consumer returns after this many items (`EarlyStop`), or tells the test when
/// it has taken this many (`Cancel`, `Drain`).
static TAKE: AtomicU64 = AtomicU64::new(u64::MAX);
static REACHED: Mutex<Option<std::sync::mpsc::SyncSender<()>>> = Mutex::new(None);
static PRODUCED: AtomicU64 = AtomicU64::new(0);
static COMMITTED: Mutex<Option<u64>> = Mutex::new(None);

fn kept(x: u64) -> bool {
    x < KEEP_BELOW.load(Ordering::Relaxed) || x % KEEP_EVERY.load(Ordering::Relaxed) == 0
}

#[producer]
fn evens_to_limit() -> impl Iterator<Item = u64> {
    (0..LIMIT.load(Ordering::Relaxed)).step_by(2).inspect(|&x| {
        inject(0, x).unwrap_or_else(|e| panic!("{e}"));
        PRODUCED.fetch_add(1, Ordering::Relaxed);
    })
}

#[producer]
fn odds_to_limit() -> impl Iterator<Item = u64> {
    (1..LIMIT.load(Ordering::Relaxed)).step_by(2).inspect(|&x| {
        inject(1, x).unwrap_or_else(|e| panic!("{e}"));
        PRODUCED.fetch_add(1, Ordering::Relaxed);
    })
}

/// A filter that may keep nothing for long stretches.
#[stage(workers = workers(1), buffer = buffer())]
fn keep(xs: impl Iterator<Item = u64>) -> impl Iterator<Item = u64> {
    xs.filter(|&x| {
        inject(3, x).unwrap_or_else(|e| panic!("{e}"));
        kept(x)
    })
}

/// Counts what it gets, checks the count is what a complete input gives, and only
/// then commits, as a careful user's consumer does.
#[consumer(buffer = buffer())]
fn commit(xs: impl Iterator<Item = u64>) -> Result<u64, String> {
    let mut n = 0;
    let take = TAKE.load(Ordering::Relaxed);
    for x in xs {
        spin(CONSUMER_WORK.load(Ordering::Relaxed));
        inject(5, x)?;
        n += 1;
        if n == take {
            match REACHED.lock().unwrap().take() {
                Some(reached) => reached.send(()).unwrap(),
                None => return Ok(n),
            }
        }
    }
    let limit = LIMIT.load(Ordering::Relaxed);
    if limit != u64::MAX {
        let want = (0..limit).filter(|&x| kept(x)).count() as u64;
        if n != want {
            return Err(format!("truncated input: {n} of {want}"));
        }
    }
    *COMMITTED.lock().unwrap() = Some(n);
    Ok(n)
}

#[test]
#[ignore = "1,000 rounds: run with --ignored (CI does)"]
fn every_way_a_run_ends_is_clean() {
    let _alone = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let endings = [
        Ending::Failure,
        Ending::Cancel,
        Ending::Drain,
        Ending::Complete,
        Ending::EarlyStop,
    ];
    for round in 0..1000u64 {
        let mut rng = Rng::new(1_000_003 + round);
        let ending = endings[rng.below(endings.len() as u64) as usize];
        for w in &WORKERS {
            w.store(1 + rng.below(4) as usize, Ordering::Relaxed);
        }
        BUFFER.store(1 + rng.below(16) as usize, Ordering::Relaxed);
        WORK.store([0, 50, 2000][rng.below(3) as usize], Ordering::Relaxed);
        CONSUMER_WORK.store([0, 0, 5000][rng.below(3) as usize], Ordering::Relaxed);
        // Keep everything; nothing past 100; or one item in 1,000.
        let (below, every) = [(u64::MAX, 1), (100, u64::MAX), (0, 1000)][rng.below(3) as usize];
        KEEP_BELOW.store(below, Ordering::Relaxed);
        KEEP_EVERY.store(every, Ordering::Relaxed);
        LIMIT.store(
            if ending == Ending::Complete {
                1 + rng.below(5000)
            } else {
                u64::MAX
            },
            Ordering::Relaxed,
        );
        // Which stages can fail: the producers, `parse`, `keep`, `enrich`, `commit`.
        let target = [0, 1, 2, 3, 4, 5][rng.below(6) as usize];
        TARGET.store(
            if ending == Ending::Failure {
                target
            } else {
                usize::MAX
            },
            Ordering::Relaxed,
        );
        let item = rng.below(if round % 3 == 0 { 8 } else { 3000 });
        // `enrich` and `commit` see only kept items, so fail them at one.
        let item = match target {
            0 => item & !1,
            1 => item | 1,
            4 | 5 if below == 0 => item / 1000 * 1000,
            4 | 5 if below == 100 => item % 100,
            _ => item,
        };
        ITEM.store(item, Ordering::Relaxed);
        BY_PANIC.store(rng.below(2) as usize, Ordering::Relaxed);
        TAKE.store(
            match ending {
                // Few enough that a sparse filter still gets there.
                Ending::Cancel | Ending::Drain | Ending::EarlyStop => 1 + rng.below(3),
                _ => u64::MAX,
            },
            Ordering::Relaxed,
        );
        let (reached_tx, reached) = std::sync::mpsc::sync_channel(1);
        *REACHED.lock().unwrap() =
            matches!(ending, Ending::Cancel | Ending::Drain).then_some(reached_tx);
        *FAILED_ON.lock().unwrap() = None;
        *COMMITTED.lock().unwrap() = None;
        PRODUCED.store(0, Ordering::Relaxed);

        let result = no_hang("a run ending", move || {
            let handle = pipeline!(
                [evens_to_limit(), odds_to_limit()] => parse => keep => enrich => commit
            )
            .spawn();
            match ending {
                Ending::Cancel => {
                    reached.recv().unwrap();
                    handle.cancel();
                }
                Ending::Drain => {
                    reached.recv().unwrap();
                    handle.drain();
                }
                _ => {}
            }
            handle.join()
        });

        let committed = *COMMITTED.lock().unwrap();
        match ending {
            Ending::Failure => {
                let error = result.expect_err("an injected failure");
                let failed_on = FAILED_ON.lock().unwrap().clone().unwrap();
                let named = format!("{}#{}", error.stage().unwrap(), error.worker().unwrap());
                assert_eq!(named, failed_on, "round {round}: {error}");
                assert_eq!(committed, None, "round {round}: committed after a failure");
            }
            Ending::Cancel => {
                assert!(result.unwrap_err().is_cancelled(), "round {round}");
                assert_eq!(committed, None, "round {round}: committed after a cancel");
            }
            Ending::Drain => {
                let n = result.unwrap_or_else(|e| panic!("round {round}: {e}"));
                assert_eq!(committed, Some(n), "round {round}: a drain commits");
            }
            Ending::Complete => {
                let n = result.unwrap_or_else(|e| panic!("round {round}: {e}"));
                let limit = LIMIT.load(Ordering::Relaxed);
                assert_eq!(
                    n,
                    (0..limit).filter(|&x| kept(x)).count() as u64,
                    "round {round}"
                );
                assert_eq!(committed, Some(n), "round {round}");
            }
            Ending::EarlyStop => {
                let n = result.unwrap_or_else(|e| panic!("round {round}: {e}"));
                assert_eq!(n, TAKE.load(Ordering::Relaxed), "round {round}");
                assert_eq!(committed, None, "round {round}");
            }
        }
        assert_eq!(
            worker_threads_settle(),
            0,
            "round {round} ({ending:?}): threads left behind"
        );
    }
}
