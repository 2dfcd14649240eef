//! Isolated stages: a crash, a hang or a runaway allocation in a child process fails
//! one item, named, or is skipped and counted; and no child outlives the run.

pipeline::init_at_load!();

mod common;

use common::fifo::Fifo;

use pipeline::{consumer, pipeline, producer, stage, CrashReason, Error};
use std::sync::mpsc::{self, Receiver};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

/// The tests count this process's children, so they run one at a time.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

fn one_at_a_time() -> MutexGuard<'static, ()> {
    ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner())
}

/// The pids of this process's children that are still there (running or unreaped),
/// from `/proc`.
fn children() -> Vec<i32> {
    let me = std::process::id().to_string();
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        // `pid (comm) state ppid ...`; `comm` may hold spaces and parentheses.
        let Some(after) = stat.rfind(')').map(|i| &stat[i + 1..]) else {
            continue;
        };
        let fields: Vec<&str> = after.split_whitespace().collect();
        if fields.get(1) == Some(&me.as_str()) {
            found.push(entry.file_name().to_string_lossy().parse().unwrap_or(-1));
        }
    }
    found
}

#[producer]
fn numbers(n: u64) -> impl Iterator<Item = u64> {
    0..n
}

/// What the poisoned items do to the process that maps them.
fn poison(x: u64, bad: u64, how: &str) {
    if x != bad {
        return;
    }
    match how {
        "abort" => std::process::abort(),
        "null" => {
            // SAFETY: none; writing through a null pointer is the crash under test.
            unsafe { std::ptr::null_mut::<u64>().write_volatile(x) }
        }
        // SAFETY: signals this very process, as `kill -9` from outside would.
        "kill" => unsafe {
            libc::kill(libc::getpid(), libc::SIGKILL);
        },
        "hang" => loop {
            std::hint::spin_loop();
        },
        "allocate" => {
            let v: Vec<u8> = Vec::with_capacity(1 << 34);
            std::hint::black_box(&v);
        }
        "panic" => panic!("item {x} is poisoned"),
        // Tells the test through the named pipe `fifo:PATH`, then hangs.
        fifo => {
            if let Some(path) = fifo.strip_prefix("fifo:") {
                std::fs::write(path, std::process::id().to_string()).unwrap();
                loop {
                    std::thread::park();
                }
            }
        }
    }
}

#[stage(isolate, workers = 2)]
fn fragile(x: u64, bad: u64, how: String) -> u64 {
    poison(x, bad, &how);
    x * 2
}

#[stage(isolate, workers = 2, on_crash = skip, timeout = Duration::from_secs(2), memory = 1 << 31)]
fn skipping(x: u64, bad: u64, how: String) -> u64 {
    poison(x, bad, &how);
    x * 2
}

#[stage(isolate, workers = 2, ordered, on_crash = skip, timeout = Duration::from_secs(2), memory = 1 << 31)]
fn skipping_in_order(x: u64, bad: u64, how: String) -> u64 {
    poison(x, bad, &how);
    x * 2
}

#[stage(isolate, workers = 2, ordered, timeout = Duration::from_secs(2), memory = 1 << 31)]
fn failing_in_order(x: u64, bad: u64, how: String) -> u64 {
    poison(x, bad, &how);
    x * 2
}

#[consumer]
fn collect(xs: impl Iterator<Item = u64>) -> Vec<u64> {
    xs.collect()
}

#[stage(isolate, on_crash = skip)]
fn hangs_on(x: u64, bad: u64, how: String) -> u64 {
    poison(x, bad, &how);
    x * 2
}

#[producer]
fn fails_when(gate: Receiver<()>) -> Result<std::iter::Empty<u64>, String> {
    let _ = gate.recv();
    Err("the other branch failed".to_owned())
}

/// Returns without reading anything once `gate` opens: an early stop.
#[consumer]
fn leaves_when(_xs: impl Iterator<Item = u64>, gate: Receiver<()>) -> usize {
    let _ = gate.recv();
    0
}

fn crash_of(error: &Error) -> &pipeline::Crash {
    std::error::Error::source(error)
        .and_then(|s| s.downcast_ref::<pipeline::Crash>())
        .unwrap_or_else(|| panic!("not a crash: {error}"))
}

#[test]
fn an_isolated_stage_computes_what_the_sequential_program_does() {
    let _one = one_at_a_time();
    let mut got = pipeline!(numbers(10_000) => fragile(u64::MAX, String::new()) => collect)
        .run()
        .unwrap();
    got.sort_unstable();
    let want: Vec<u64> = (0..10_000)
        .map(|x| fragile(x, u64::MAX, String::new()))
        .collect();
    assert_eq!(got, want);
}

#[test]
fn an_ordered_isolated_stage_keeps_the_order() {
    let _one = one_at_a_time();
    let got = pipeline!(numbers(10_000) => failing_in_order(u64::MAX, String::new()) => collect)
        .run()
        .unwrap();
    let want: Vec<u64> = (0..10_000).map(|x| x * 2).collect();
    assert_eq!(got, want);
}

fn expected_reason(how: &str) -> CrashReason {
    match how {
        "abort" => CrashReason::Signal(libc::SIGABRT),
        "null" => CrashReason::Signal(libc::SIGSEGV),
        "kill" => CrashReason::Signal(libc::SIGKILL),
        "hang" => CrashReason::TimedOut(Duration::from_secs(2)),
        "allocate" => CrashReason::OutOfMemory,
        _ => unreachable!(),
    }
}

const CRASHES: [&str; 5] = ["abort", "null", "kill", "hang", "allocate"];

#[stage(isolate, workers = 2, timeout = Duration::from_secs(2), memory = 1 << 31)]
fn failing(x: u64, bad: u64, how: String) -> u64 {
    poison(x, bad, &how);
    x * 2
}

#[test]
fn each_crash_fails_the_run_naming_the_stage_worker_item_and_reason() {
    let _one = one_at_a_time();
    for how in CRASHES {
        for ordered in [false, true] {
            let run = match ordered {
                true => pipeline!(numbers(500) => failing_in_order(321, how.to_owned()) => collect),
                false => pipeline!(numbers(500) => failing(321, how.to_owned()) => collect),
            };
            let error = run.run().unwrap_err();
            let stage = if ordered {
                "failing_in_order"
            } else {
                "failing"
            };
            assert_eq!(error.stage(), Some(stage), "{how}: {error}");
            assert!(error.worker().is_some(), "{how}: {error}");
            let crash = crash_of(&error);
            assert_eq!(crash.item(), Some(321), "{how}: {error}");
            assert_eq!(crash.reason(), &expected_reason(how), "{how}: {error}");
            assert!(error.to_string().contains("item 321"), "{error}");
            assert_eq!(children(), Vec::<i32>::new());
        }
    }
}

#[test]
fn each_crash_under_skip_drops_that_item_alone_and_counts_it() {
    let _one = one_at_a_time();
    for how in CRASHES {
        let (got, stats) =
            pipeline!(numbers(500) => skipping(321, how.to_owned()) => collect).run_with_stats();
        let mut got = got.unwrap_or_else(|e| panic!("{how}: {e}"));
        got.sort_unstable();
        let want: Vec<u64> = (0..500).filter(|&x| x != 321).map(|x| x * 2).collect();
        assert_eq!(got, want, "{how}");
        let stage = stats.stages.iter().find(|s| s.name == "skipping").unwrap();
        assert!(stage.isolated);
        assert_eq!(stage.skipped.len(), 1, "{how}");
        assert_eq!(stage.skipped[0].crash.item(), Some(321), "{how}");
        assert_eq!(
            stage.skipped[0].crash.reason(),
            &expected_reason(how),
            "{how}"
        );
        assert_eq!(stage.restarts, 1, "{how}");
        assert_eq!(children(), Vec::<i32>::new());
    }
}

#[test]
fn an_ordered_stage_that_skips_keeps_the_order_of_the_rest() {
    let _one = one_at_a_time();
    for how in CRASHES {
        let got = pipeline!(numbers(2_000) => skipping_in_order(1_234, how.to_owned()) => collect)
            .run()
            .unwrap();
        let want: Vec<u64> = (0..2_000).filter(|&x| x != 1_234).map(|x| x * 2).collect();
        assert_eq!(got, want, "{how}");
    }
}

#[test]
fn a_panic_in_a_child_reads_like_a_threads() {
    let _one = one_at_a_time();
    let error = pipeline!(numbers(100) => fragile(7, "panic".to_owned()) => collect)
        .run()
        .unwrap_err();
    assert!(error.is_panic(), "{error}");
    assert_eq!(error.stage(), Some("fragile"));
    assert_eq!(error.panic_message(), Some("item 7 is poisoned"));
}

#[test]
fn a_child_killed_from_outside_fails_its_item_and_under_skip_the_run_goes_on() {
    let _one = one_at_a_time();
    let fifo = Fifo::new("kill");
    let how = format!("fifo:{}", fifo.path());
    let handle = pipeline!(numbers(300) => hangs_on(200, how) => collect).spawn();
    let pid = fifo.pid();
    // SAFETY: a child of this process, in the poisoned item.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGKILL) }, 0);
    let (got, stats) = handle.join_with_stats();
    let want: Vec<u64> = (0..300).filter(|&x| x != 200).map(|x| x * 2).collect();
    assert_eq!(got.unwrap(), want);
    let stage = stats.stages.iter().find(|s| s.name == "hangs_on").unwrap();
    assert_eq!(stage.skipped[0].crash.item(), Some(200));
    assert_eq!(
        stage.skipped[0].crash.reason(),
        &CrashReason::Signal(libc::SIGKILL)
    );
    assert_eq!(children(), Vec::<i32>::new());
}

#[test]
fn no_child_outlives_a_cancel() {
    let _one = one_at_a_time();
    let fifo = Fifo::new("cancel");
    let how = format!("fifo:{}", fifo.path());
    let handle = pipeline!(numbers(300) => hangs_on(10, how) => collect).spawn();
    let pid = fifo.pid();
    assert!(children().contains(&pid));
    handle.cancel();
    let error = common::no_hang("cancel", move || handle.join()).unwrap_err();
    assert!(error.is_cancelled(), "{error}");
    assert_eq!(children(), Vec::<i32>::new());
}

#[test]
fn no_child_outlives_a_failure_elsewhere() {
    let _one = one_at_a_time();
    let fifo = Fifo::new("failure");
    let how = format!("fifo:{}", fifo.path());
    let (open, gate) = mpsc::channel();
    let handle =
        pipeline!([numbers(300) => hangs_on(10, how), fails_when(gate)] => collect).spawn();
    let pid = fifo.pid();
    assert!(children().contains(&pid));
    open.send(()).unwrap();
    let error = common::no_hang("failure", move || handle.join()).unwrap_err();
    assert_eq!(error.stage(), Some("fails_when"), "{error}");
    assert_eq!(children(), Vec::<i32>::new());
}

#[test]
fn no_child_outlives_an_early_stop() {
    let _one = one_at_a_time();
    let fifo = Fifo::new("early");
    let how = format!("fifo:{}", fifo.path());
    let (open, gate) = mpsc::channel();
    let handle = pipeline!(numbers(300) => hangs_on(10, how) => leaves_when(gate)).spawn();
    let pid = fifo.pid();
    assert!(children().contains(&pid));
    open.send(()).unwrap();
    let got = common::no_hang("early stop", move || handle.join()).unwrap();
    assert_eq!(got, 0);
    assert_eq!(children(), Vec::<i32>::new());
}

#[stage(isolate, workers = 2)]
fn parse_even(x: u64, fail_at: u64) -> Result<Option<u64>, String> {
    if x == fail_at {
        return Err(format!("cannot parse item {x}"));
    }
    Ok((x % 2 == 0).then_some(x / 2))
}

#[test]
fn an_isolated_stage_drops_none_and_fails_on_err_like_a_thread() {
    let _one = one_at_a_time();
    let mut got = pipeline!(numbers(1_000) => parse_even(u64::MAX) => collect)
        .run()
        .unwrap();
    got.sort_unstable();
    assert_eq!(got, (0..500).collect::<Vec<u64>>());
    let error = pipeline!(numbers(1_000) => parse_even(555) => collect)
        .run()
        .unwrap_err();
    assert_eq!(error.stage(), Some("parse_even"));
    assert!(!error.is_panic());
    assert!(
        error.to_string().ends_with("failed: cannot parse item 555"),
        "{error}"
    );
    assert_eq!(children(), Vec::<i32>::new());
}
