//! Guarantees 3, 4, 5 and 10, as a user's programs meet them: a failed or stopped run
//! behaves like the sequential program. Early stop reaches a filter that emits
//! nothing; a failure is seen at the next item, not the next batch; a consumer's code
//! after its loop never runs on truncated input; the stage that failed is the one
//! named; nothing panics out of the runtime.

mod common;

use common::{naturals, no_hang};
use pipeline::runtime::{consumer as consumer_fn, producer as producer_fn};
use pipeline::{consumer, pipeline, producer, stage, Options, Stream};
use std::cell::RefCell;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc::{channel, sync_channel, Receiver, Sender};
use std::sync::Mutex;
use std::time::Duration;

#[stage]
fn rare(x: u64) -> Option<u64> {
    (x < 100).then_some(x)
}

#[stage]
fn rare_stream(xs: impl Iterator<Item = u64>) -> impl Iterator<Item = u64> {
    xs.filter(|&x| x < 100)
}

#[consumer]
fn take95(xs: impl Iterator<Item = u64>) -> u64 {
    xs.take(95).count() as u64
}

#[test]
fn early_stop_reaches_a_filter_that_keeps_nothing_more() {
    assert_eq!(take95(naturals().filter(|&x| x < 100)), 95);
    let item_form = no_hang("item-form filter", || {
        pipeline!(naturals() => rare => take95).run().unwrap()
    });
    assert_eq!(item_form, 95);
    let stream_form = no_hang("stream-form filter", || {
        pipeline!(naturals() => rare_stream => take95)
            .run()
            .unwrap()
    });
    assert_eq!(stream_form, 95);
}

#[stage(workers = 3, ordered)]
fn rare_ordered(x: u64) -> Option<u64> {
    (x < 100).then_some(x)
}

#[test]
fn early_stop_reaches_an_ordered_filter_too() {
    let got = no_hang("ordered filter", || {
        pipeline!(naturals() => rare_ordered => take95)
            .run()
            .unwrap()
    });
    assert_eq!(got, 95);
}

/// Items `slow` has started, and the gate its second item waits at.
static STARTED: AtomicU64 = AtomicU64::new(0);
static GATE: Mutex<Option<Receiver<()>>> = Mutex::new(None);

#[stage]
fn slow(x: u64) -> u64 {
    STARTED.fetch_add(1, Ordering::SeqCst);
    if x == 1 {
        // Held here until the consumer has returned and dropped its input.
        GATE.lock().unwrap().take().unwrap().recv().unwrap();
    }
    x
}

#[consumer]
fn take_one(xs: impl Iterator<Item = u64>, done: Sender<()>) -> Vec<u64> {
    let mut xs = xs;
    let first: Vec<u64> = xs.by_ref().take(1).collect();
    drop(xs);
    done.send(()).unwrap();
    first
}

#[test]
fn no_stage_starts_an_item_after_every_reader_of_its_output_finished() {
    let (open, gate) = channel();
    *GATE.lock().unwrap() = Some(gate);
    let (done, consumer_done) = channel();
    let handle = pipeline!(naturals() => slow => take_one(done)).spawn();
    // The consumer got item 0 and returned while `slow` held item 1 at the gate.
    consumer_done.recv().unwrap();
    open.send(()).unwrap();
    let got = no_hang("take(1) behind a slow stage", move || {
        handle.join().unwrap()
    });
    assert_eq!(got, vec![0]);
    assert_eq!(
        STARTED.load(Ordering::SeqCst),
        2,
        "`slow` started items after its reader had finished"
    );
}

/// A thread-local whose destructor says when the thread that set it has ended:
/// after its worker recorded its failure and dropped its output.
struct OnExit(Sender<()>);

impl Drop for OnExit {
    fn drop(&mut self) {
        let _ = self.0.send(());
    }
}

thread_local! {
    static ON_EXIT: RefCell<Option<OnExit>> = const { RefCell::new(None) };
}

static EXITED: Mutex<Option<Receiver<()>>> = Mutex::new(None);
static DELIVERED: AtomicU64 = AtomicU64::new(0);
static COMMITTED: AtomicBool = AtomicBool::new(false);

#[producer]
fn rows(n: u64) -> impl Iterator<Item = u64> {
    0..n
}

#[stage]
fn validate_at(row: u64, bad: u64, exit: Sender<()>) -> Result<u64, String> {
    if row == bad {
        ON_EXIT.with(|e| *e.borrow_mut() = Some(OnExit(exit)));
        return Err(format!("row {row}: bad amount"));
    }
    Ok(row)
}

/// Reads nothing until `validate_at` has failed and its thread has ended; counts
/// every row it gets after that, and commits after its loop.
///
/// Its queue holds 16 rows in batches of 2: when `validate_at` fails at row 17, rows
/// 0 to 15 fill the queue and row 16 is pending. Flushing it would block for good.
#[consumer(buffer = 16)]
fn store_after_failure(rows: impl Iterator<Item = u64>) -> u64 {
    EXITED.lock().unwrap().take().unwrap().recv().unwrap();
    let mut n = 0;
    for _ in rows {
        DELIVERED.fetch_add(1, Ordering::SeqCst);
        n += 1;
    }
    COMMITTED.store(true, Ordering::SeqCst);
    n
}

#[test]
fn a_failed_worker_records_its_failure_first_and_delivers_nothing_more() {
    let (exit, exited) = channel();
    *EXITED.lock().unwrap() = Some(exited);
    let error = no_hang("failure in front of a full queue", move || {
        pipeline!(rows(1000) => validate_at(17, exit) => store_after_failure)
            .run()
            .unwrap_err()
    });
    assert_eq!(error.stage(), Some("validate_at"));
    assert_eq!(
        DELIVERED.load(Ordering::SeqCst),
        0,
        "rows delivered after the failure was recorded"
    );
    assert!(
        !COMMITTED.load(Ordering::SeqCst),
        "committed a partial input"
    );
}

#[stage]
fn validate(row: u64) -> Result<u64, String> {
    if row == 500 {
        return Err(format!("row {row}: bad amount"));
    }
    Ok(row)
}

/// Checks that its input is complete before it commits, as a careful user would.
#[consumer]
fn store_checked(rows: impl Iterator<Item = u64>, want: u64) -> Result<u64, String> {
    let n = rows.count() as u64;
    if n != want {
        return Err(format!("truncated input: {n} of {want} rows"));
    }
    COMMITS.fetch_add(1, Ordering::SeqCst);
    Ok(n)
}

static COMMITS: AtomicUsize = AtomicUsize::new(0);

#[test]
fn a_failed_upstream_never_looks_like_the_end_of_the_input() {
    for round in 0..300 {
        let error = no_hang("validate fails at row 500", || {
            pipeline!(rows(1000) => validate => store_checked(1000))
                .run()
                .unwrap_err()
        });
        assert_eq!(error.stage(), Some("validate"), "round {round}: {error}");
        assert_eq!(
            error.to_string(),
            "stage `validate` worker 0 failed: row 500: bad amount"
        );
    }
    assert_eq!(
        COMMITS.load(Ordering::SeqCst),
        0,
        "a partial input was committed"
    );
}

/// An argument whose `Clone` panics once `CLONES` reaches 2: while the run starts
/// its second worker.
#[derive(Debug)]
struct FragileArg;

static CLONES: AtomicUsize = AtomicUsize::new(0);

impl Clone for FragileArg {
    fn clone(&self) -> Self {
        if CLONES.fetch_add(1, Ordering::SeqCst) == 1 {
            panic!("cannot copy the connection");
        }
        FragileArg
    }
}

#[stage(workers = 3)]
fn with_fragile(xs: impl Iterator<Item = u64>, arg: FragileArg) -> impl Iterator<Item = u64> {
    let _ = arg;
    xs
}

#[consumer]
fn count(xs: impl Iterator<Item = u64>) -> u64 {
    xs.count() as u64
}

#[test]
fn a_panic_while_workers_start_is_an_error() {
    let error = no_hang("clone panics at start", || {
        pipeline!(naturals() => with_fragile(FragileArg) => count)
            .run()
            .unwrap_err()
    });
    assert_eq!(error.stage(), Some("with_fragile"));
    assert!(error.is_panic());
    assert_eq!(error.panic_message(), Some("cannot copy the connection"));
}

#[test]
fn a_stage_name_that_cannot_name_a_thread_is_an_error() {
    let run = Stream::produce(Options::new("re\0ad"), producer_fn(|| 0..3u64))
        .consume(Options::new("count"), consumer_fn(|xs| xs.count()))
        .run();
    let error = run.unwrap_err();
    assert!(
        error.to_string().contains("NUL"),
        "unexpected error: {error}"
    );
}

#[test]
fn an_impossible_buffer_is_an_error() {
    let error = Stream::produce(Options::new("numbers"), producer_fn(|| 0..3u64))
        .consume(
            Options::new("count").buffer(usize::MAX),
            consumer_fn(|xs| xs.count()),
        )
        .run()
        .unwrap_err();
    assert_eq!(error.stage(), Some("count"));
    assert!(error.to_string().contains("`buffer`"), "{error}");
}

/// A panic payload whose own `Drop` panics.
struct Grenade;

impl Drop for Grenade {
    fn drop(&mut self) {
        panic!("the payload's drop panicked too");
    }
}

#[stage(workers = 2)]
fn throw_grenade(x: u64) -> u64 {
    if x == 7 {
        std::panic::panic_any(Grenade);
    }
    x
}

#[test]
fn a_panic_payload_that_panics_when_dropped_is_still_reported() {
    let error = no_hang("panicking payload", || {
        pipeline!(rows(100_000) => throw_grenade => count)
            .run()
            .unwrap_err()
    });
    assert_eq!(error.stage(), Some("throw_grenade"));
    assert!(error.is_panic());
}

#[test]
fn a_broadcast_without_all_its_branches_is_an_error_not_a_hang() {
    // One branch dropped before the run.
    let [left, right] =
        Stream::produce(Options::new("numbers"), producer_fn(|| 0..1000u64)).broadcast::<2>();
    drop(right);
    let error = no_hang("a dropped branch", move || {
        left.consume(Options::new("count"), consumer_fn(|xs| xs.count()))
            .run()
            .unwrap_err()
    });
    assert!(
        error
            .to_string()
            .contains("broadcast of 2 branches ran with 1"),
        "{error}"
    );

    // One branch run alone while the other is still held.
    let [left, right] =
        Stream::produce(Options::new("numbers"), producer_fn(|| 0..1000u64)).broadcast::<2>();
    let error = no_hang("a branch run alone", move || {
        left.consume(Options::new("count"), consumer_fn(|xs| xs.count()))
            .run()
            .unwrap_err()
    });
    assert_eq!(error.stage(), Some("numbers"));
    drop(right);
}

/// Panics seen by the panic hook on threads whose name starts with `quiet`.
static NOISE: AtomicUsize = AtomicUsize::new(0);

#[stage(workers = 2)]
fn quiet(xs: impl Iterator<Item = u64>) -> impl Iterator<Item = u64> {
    xs
}

#[stage]
fn fail_at(x: u64, bad: u64) -> Result<u64, String> {
    if x == bad {
        Err("bad".to_owned())
    } else {
        Ok(x)
    }
}

#[test]
fn a_stopped_worker_unwinds_quietly_and_counts_as_stopped() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if std::thread::current()
            .name()
            .is_some_and(|n| n.starts_with("quiet#"))
        {
            NOISE.fetch_add(1, Ordering::SeqCst);
        }
        previous(info);
    }));
    let (error, stats) = no_hang("stopped by a failure downstream", || {
        pipeline!(naturals() => quiet => fail_at(10_000) => count).run_with_stats()
    });
    assert_eq!(error.unwrap_err().stage(), Some("fail_at"));
    let quiet = stats.stages.iter().find(|s| s.name == "quiet").unwrap();
    assert!(quiet.workers.iter().all(|w| w.stopped && !w.running));
    let count = stats.stages.iter().find(|s| s.name == "count").unwrap();
    assert!(count.workers[0].stopped);
    let failed = stats.stages.iter().find(|s| s.name == "fail_at").unwrap();
    assert!(
        !failed.workers[0].stopped,
        "the failed worker is not a stopped one"
    );
    assert_eq!(
        NOISE.load(Ordering::SeqCst),
        0,
        "a stop went through the panic hook"
    );
}

#[producer]
fn ticks(started: std::sync::mpsc::SyncSender<()>) -> impl Iterator<Item = u64> {
    (0..).inspect(move |&i| {
        if i == 1 {
            // Item 0 is out; item 1 waits as stage code should: a stop ends the wait.
            let _ = started.try_send(());
            pipeline::sleep(Duration::from_secs(3600));
        }
    })
}

#[consumer]
fn drain_all(xs: impl Iterator<Item = u64>) -> u64 {
    xs.count() as u64
}

#[test]
fn sleep_ends_when_the_run_is_cancelled_or_drained() {
    let (started, wait) = sync_channel(1);
    let handle = pipeline!(ticks(started) => drain_all).spawn();
    wait.recv().unwrap();
    handle.cancel();
    let error = no_hang("cancel during sleep", move || handle.join().unwrap_err());
    assert!(error.is_cancelled());

    let (started, wait) = sync_channel(1);
    let handle = pipeline!(ticks(started) => drain_all).spawn();
    wait.recv().unwrap();
    handle.drain();
    let n = no_hang("drain during sleep", move || handle.join().unwrap());
    // Item 0 went out before the sleep; the drain ended the producer in it.
    assert_eq!(n, 1);
}

#[stage(workers = 2, ordered)]
fn idle_ordered(x: u64) -> u64 {
    x + 1
}

#[stage]
fn idle_stream(xs: impl Iterator<Item = u64>) -> impl Iterator<Item = u64> {
    xs.map(|x| x * 2)
}

/// Yields item 0, then blocks in its own code until the test opens `gate`.
#[producer]
fn gated(started: std::sync::mpsc::SyncSender<()>, gate: Gate) -> impl Iterator<Item = u64> {
    (0..2).inspect(move |&i| {
        if i == 1 {
            let _ = started.try_send(());
            gate.0.lock().unwrap().recv().unwrap();
        }
    })
}

/// A receiver a stage argument can carry (arguments are cloned per worker).
#[derive(Clone)]
struct Gate(std::sync::Arc<Mutex<Receiver<()>>>);

/// Every worker after `gated` sleeps while it blocks: the ordered stage's two workers,
/// the stream stage and the consumer. A cancel must reach them at once, not when the
/// producer's stream ends: they have all ended while the producer is still blocked.
#[test]
fn a_stop_reaches_every_sleeping_worker_of_an_idle_pipeline() {
    let (started, wait) = sync_channel(1);
    let (open, gate) = channel();
    let gate = Gate(std::sync::Arc::new(Mutex::new(gate)));
    let handle =
        pipeline!(gated(started, gate) => idle_ordered => idle_stream => drain_all).spawn();
    wait.recv().unwrap();
    // Asleep, not still spinning or yielding before they sleep.
    #[cfg(target_os = "linux")]
    no_hang("the workers falling asleep", || {
        for name in [
            "idle_ordered#0",
            "idle_ordered#1",
            "idle_stream#0",
            "drain_all#0",
        ] {
            while common::thread_state(name) != Some('S') {
                std::thread::yield_now();
            }
        }
    });
    handle.cancel();
    let handle = no_hang("the sleeping workers ending on cancel", move || {
        let asleep = ["idle_ordered", "idle_stream", "drain_all"];
        while handle
            .stats()
            .stages
            .iter()
            .any(|s| asleep.contains(&s.name.as_str()) && s.workers.iter().any(|w| w.running))
        {
            std::thread::yield_now();
        }
        handle
    });
    open.send(()).unwrap();
    assert!(handle.join().unwrap_err().is_cancelled());
}

/// Item 0 blocks in the stage's own code until the test opens `gate`.
#[stage(workers = 2, ordered)]
fn first_blocks(x: u64, gate: Gate) -> u64 {
    if x == 0 {
        let _ = gate.0.lock().unwrap().recv();
    }
    x
}

/// One worker of an ordered stage is stuck on the first item; the other runs ahead
/// until the window is full, and sleeps until it moves. A cancel must reach that
/// sleeper at once, while the stuck worker has still not moved the window.
#[test]
fn a_stop_reaches_an_ordered_worker_waiting_for_the_window() {
    let (open, gate) = channel();
    let gate = Gate(std::sync::Arc::new(Mutex::new(gate)));
    let handle = pipeline!(naturals() => first_blocks(gate) => drain_all).spawn();
    #[cfg(target_os = "linux")]
    no_hang("both workers asleep", || {
        for name in ["first_blocks#0", "first_blocks#1"] {
            while common::thread_state(name) != Some('S') {
                std::thread::yield_now();
            }
        }
    });
    handle.cancel();
    let handle = no_hang(
        "the worker ahead of the window ending on cancel",
        move || {
            while common::running_workers(&handle, 1) > 1 {
                std::thread::yield_now();
            }
            handle
        },
    );
    open.send(()).unwrap();
    assert!(handle.join().unwrap_err().is_cancelled());
}

#[stage]
fn nap(x: u64) -> u64 {
    if x > 0 {
        pipeline::sleep(Duration::from_secs(3600));
    }
    x
}

#[consumer]
fn first(xs: impl Iterator<Item = u64>) -> Option<u64> {
    let mut xs = xs;
    xs.next()
}

#[test]
fn sleep_ends_when_every_reader_downstream_has_finished() {
    let got = no_hang("reader gone during sleep", || {
        pipeline!(naturals() => nap => first).run().unwrap()
    });
    assert_eq!(got, Some(0));
}
