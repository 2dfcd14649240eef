//! Remote stages on Redis Streams: worker processes of this test binary serve the
//! stages; results are complete and exact, with a worker killed mid-run too; a
//! worker's `Err` is named; a cancel stops the workers' share; no key outlives a
//! run; without a broker the same pipeline runs locally.
//!
//! Needs a `redis-server`: the one at `PIPELINE_TEST_REDIS` (`.ci/run` starts one),
//! or one these tests start on a free loopback port if `redis-server` is on `PATH`.

#![cfg(feature = "redis")]

pipeline::init_at_load!();

mod common;
mod redis_server;

use common::fifo::Fifo;
use pipeline::{consumer, pipeline, producer, stage, Redis, RemoteFailure};
use redis_server::{redis_url, Workers};
use std::io::Read;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

/// The broker, with a `claim_after` no healthy batch of these tests comes near: only
/// the tests of lost or held batches, through [`quick_claims`], see batches claimed.
fn broker() -> Redis {
    Redis::open(&redis_url())
        .unwrap()
        .claim_after(Duration::from_secs(60))
}

/// The broker for the tests of a batch held by a worker that stopped answering: it is
/// claimed once it has been pending 300 ms.
fn quick_claims() -> Redis {
    broker().claim_after(Duration::from_millis(300))
}

static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

fn one_at_a_time() -> MutexGuard<'static, ()> {
    ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner())
}

/// The keys of runs left on the server.
fn run_keys() -> Vec<String> {
    let client = redis::Client::open(redis_url()).unwrap();
    let mut c = client.get_connection().unwrap();
    let mut keys: Vec<String> = redis::cmd("KEYS")
        .arg("pipeline:*:*")
        .query(&mut c)
        .unwrap();
    keys.sort();
    keys
}

/// At item `at`, the first worker to get there tells the test its pid through the
/// named pipe at `fifo`, then hangs; anyone after it (a worker that claimed the
/// batch) goes on.
fn hang_once(x: u64, at: u64, fifo: &str) {
    if x != at || fifo.is_empty() {
        return;
    }
    let taken = std::path::Path::new(fifo).with_extension("taken");
    if std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(taken)
        .is_ok()
    {
        std::fs::write(fifo, std::process::id().to_string()).unwrap();
        loop {
            std::thread::park();
        }
    }
}

#[producer]
fn numbers(n: u64) -> impl Iterator<Item = u64> {
    0..n
}

#[stage(remote, workers = 2)]
fn square(x: u64, hang_at: u64, fifo: String) -> u64 {
    hang_once(x, hang_at, &fifo);
    x * x
}

#[stage(remote, workers = 2, ordered)]
fn square_in_order(x: u64) -> u64 {
    x * x
}

#[stage(remote, workers = 2)]
fn parse(x: u64, fail_at: u64) -> Result<u64, String> {
    match x == fail_at {
        true => Err(format!("cannot parse item {x}")),
        false => Ok(x + 1),
    }
}

#[consumer]
fn collect(xs: impl Iterator<Item = u64>) -> Vec<u64> {
    xs.collect()
}

fn squares(n: u64) -> Vec<u64> {
    (0..n).map(|x| x * x).collect()
}

#[test]
fn two_worker_processes_give_the_complete_exact_result_and_leave_no_key() {
    let _one = one_at_a_time();
    let workers = Workers::start(2);
    let (got, stats) = pipeline!(numbers(5_000) => square(u64::MAX, String::new()) => collect)
        .broker(broker())
        .run_with_stats();
    let mut got = got.unwrap();
    got.sort_unstable();
    assert_eq!(got, squares(5_000));
    let remote = stats.stages[1].remote.clone().expect("remote stats");
    let mapped: u64 = remote.items_by_process.iter().map(|(_, n)| n).sum();
    assert_eq!(mapped, 5_000, "{remote:?}");
    let pids: Vec<String> = workers.pids().iter().map(|p| format!(":{p}")).collect();
    for (process, _) in &remote.items_by_process {
        assert!(
            pids.iter().any(|p| process.ends_with(p)),
            "{process} is no worker of ours"
        );
    }
    assert!(remote.round_trips > 0);
    let report = stats.to_string();
    assert!(
        report.contains("square: items by worker process: "),
        "{report}"
    );
    assert!(
        stats.to_dot().contains("item stage ×2, remote"),
        "{}",
        stats.to_dot()
    );
    assert_eq!(run_keys(), Vec::<String>::new());
}

#[test]
fn an_ordered_remote_stage_keeps_the_order() {
    let _one = one_at_a_time();
    let _workers = Workers::start(2);
    let got = pipeline!(numbers(5_000) => square_in_order => collect)
        .broker(broker())
        .run()
        .unwrap();
    assert_eq!(got, squares(5_000));
    assert_eq!(run_keys(), Vec::<String>::new());
}

#[test]
fn a_worker_killed_mid_run_loses_nothing_and_duplicates_nothing() {
    let _one = one_at_a_time();
    let workers = Workers::start(2);
    let fifo = Fifo::new("kill");
    let handle = pipeline!(numbers(5_000) => square(2_500, fifo.path()) => collect)
        .broker(quick_claims())
        .spawn();
    let pid = fifo.pid();
    assert!(workers.pids().contains(&(pid as u32)));
    // SAFETY: one of our worker processes, hanging in item 2,500.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGKILL) }, 0);
    let (got, stats) = common::no_hang("kill", move || handle.join_with_stats());
    let mut got = got.unwrap();
    got.sort_unstable();
    assert_eq!(got, squares(5_000));
    let remote = stats.stages[1].remote.clone().expect("remote stats");
    assert!(remote.reclaimed_batches >= 1, "{remote:?}");
    assert_eq!(run_keys(), Vec::<String>::new());
}

#[test]
fn a_remote_err_fails_the_run_naming_the_stage_the_worker_and_the_message() {
    let _one = one_at_a_time();
    let workers = Workers::start(1);
    let error = pipeline!(numbers(1_000) => parse(777) => collect)
        .broker(broker())
        .run()
        .unwrap_err();
    assert_eq!(error.stage(), Some("parse"), "{error}");
    let failure = std::error::Error::source(&error)
        .and_then(|s| s.downcast_ref::<RemoteFailure>())
        .unwrap_or_else(|| panic!("not a remote failure: {error}"));
    assert_eq!(failure.message, "cannot parse item 777");
    assert!(!failure.panicked);
    assert!(
        failure
            .process
            .ends_with(&format!(":{}", workers.pids()[0])),
        "{failure}"
    );
    assert!(
        error.to_string().contains("cannot parse item 777"),
        "{error}"
    );
    assert_eq!(run_keys(), Vec::<String>::new());
}

#[test]
fn a_cancel_stops_the_workers_share_and_leaves_no_key() {
    let _one = one_at_a_time();
    let workers = Workers::start(1);
    let fifo = Fifo::new("cancel");
    let handle = pipeline!(numbers(5_000) => square(100, fifo.path()) => collect)
        .broker(broker())
        .spawn();
    let pid = fifo.pid();
    assert!(workers.pids().contains(&(pid as u32)));
    // While the run goes on, every key of it expires unless renewed: the keys of a
    // coordinator that died do not stay.
    let keys = run_keys();
    assert!(!keys.is_empty());
    let client = redis::Client::open(redis_url()).unwrap();
    let mut c = client.get_connection().unwrap();
    for key in keys {
        let ttl: i64 = redis::cmd("PTTL").arg(&key).query(&mut c).unwrap();
        assert!(ttl > 0, "{key} has no TTL ({ttl})");
    }
    handle.cancel();
    let error = common::no_hang("cancel", move || handle.join()).unwrap_err();
    assert!(error.is_cancelled(), "{error}");
    assert_eq!(run_keys(), Vec::<String>::new());
}

#[test]
fn without_a_broker_a_remote_stage_runs_locally() {
    let _one = one_at_a_time();
    let (got, stats) =
        pipeline!(numbers(5_000) => square(u64::MAX, String::new()) => collect).run_with_stats();
    let mut got = got.unwrap();
    got.sort_unstable();
    assert_eq!(got, squares(5_000));
    assert!(stats.stages[1].remote.is_none());
    let ordered = pipeline!(numbers(5_000) => square_in_order => collect)
        .run()
        .unwrap();
    assert_eq!(ordered, squares(5_000));
}

/// At item `at`, the first worker to get there waits until a second one has done
/// the same item (it claimed the batch, the first having held it past
/// `claim_after`), then answers too: the same batch is answered twice.
fn slow_once(x: u64, at: u64, fifo: &str) {
    if x != at {
        return;
    }
    let taken = std::path::Path::new(fifo).with_extension("taken");
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(taken)
    {
        // First: wait for the second to write into the pipe.
        Ok(_) => {
            let mut text = String::new();
            std::fs::File::open(fifo)
                .unwrap()
                .read_to_string(&mut text)
                .unwrap();
        }
        Err(_) => std::fs::write(fifo, "done").unwrap(),
    }
}

#[stage(remote)]
fn cube(x: u64, at: u64, fifo: String) -> u64 {
    slow_once(x, at, &fifo);
    x * x * x
}

#[test]
fn a_batch_held_past_claim_after_is_done_twice_and_the_result_is_still_exact() {
    let _one = one_at_a_time();
    let _workers = Workers::start(2);
    let fifo = Fifo::new("twice");
    let (got, stats) = pipeline!(numbers(3_000) => cube(1_500, fifo.path()) => collect)
        .broker(quick_claims())
        .run_with_stats();
    let mut got = got.unwrap();
    got.sort_unstable();
    assert_eq!(got, (0..3_000).map(|x| x * x * x).collect::<Vec<u64>>());
    let remote = stats.stages[1].remote.clone().expect("remote stats");
    assert!(remote.reclaimed_batches >= 1, "{remote:?}");
    // Both answered the batch: more items mapped than there are.
    let mapped: u64 = remote.items_by_process.iter().map(|(_, n)| n).sum();
    assert!(mapped > 3_000, "{remote:?}");
    assert_eq!(run_keys(), Vec::<String>::new());
}

#[test]
fn a_worker_process_exits_cleanly_on_sigterm() {
    let _one = one_at_a_time();
    let mut workers = Workers::start(1);
    // Once this run is done, the worker is surely serving.
    let got = pipeline!(numbers(100) => square_in_order => collect)
        .broker(broker())
        .run()
        .unwrap();
    assert_eq!(got, squares(100));
    let child = &mut workers.0[0];
    // SAFETY: our worker process.
    assert_eq!(unsafe { libc::kill(child.id() as i32, libc::SIGTERM) }, 0);
    let status = child.wait().unwrap();
    assert!(status.success(), "{status}");
}

/// Sums its share of the input: on a worker process, each batch is a share.
#[stage(remote, workers = 2)]
fn subtotals(xs: impl Iterator<Item = u64>, times: u64) -> impl Iterator<Item = u64> {
    std::iter::once(xs.map(|x| x * times).sum())
}

#[consumer]
fn sum(xs: impl Iterator<Item = u64>) -> u64 {
    xs.sum()
}

#[test]
fn a_stream_form_remote_stage_maps_each_batch_as_a_share() {
    let _one = one_at_a_time();
    let want: u64 = (0..10_000).map(|x| x * 3).sum();
    let local = pipeline!(numbers(10_000) => subtotals(3) => sum)
        .run()
        .unwrap();
    assert_eq!(local, want);
    let _workers = Workers::start(2);
    let (got, stats) = pipeline!(numbers(10_000) => subtotals(3) => sum)
        .broker(broker())
        .run_with_stats();
    assert_eq!(got.unwrap(), want);
    let remote = stats.stages[1].remote.clone().expect("remote stats");
    let mapped: u64 = remote.items_by_process.iter().map(|(_, n)| n).sum();
    assert_eq!(mapped, 10_000, "{remote:?}");
    // One subtotal per batch: more than one batch crossed.
    assert!(stats.stages[1].items_out.unwrap() > 1, "{stats}");
    assert_eq!(run_keys(), Vec::<String>::new());
}
