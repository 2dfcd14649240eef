//! Per-stage statistics: counts, the bottleneck named on pipelines built to have a
//! known one, live numbers from a running pipeline, and the graph pictures.

mod common;

use common::{naturals, no_hang, signal_then_drain, spin};
use pipeline::{consumer, pipeline, producer, stage, StageKind};
use std::sync::mpsc::sync_channel;

#[producer]
fn numbers(n: u64) -> impl Iterator<Item = u64> {
    0..n
}

#[producer]
fn slow_numbers(n: u64) -> impl Iterator<Item = u64> {
    (0..n).inspect(|&x| {
        spin(200_000 + x % 2);
    })
}

#[stage(workers = 2)]
fn evens(x: u64) -> Option<u64> {
    (x % 2 == 0).then_some(x)
}

#[stage]
fn slow(x: u64) -> u64 {
    spin(200_000);
    x
}

#[stage(workers = 2, ordered)]
fn inc(x: u64) -> u64 {
    x + 1
}

#[consumer]
fn total(xs: impl Iterator<Item = u64>) -> u64 {
    xs.sum()
}

#[consumer]
fn slow_total(xs: impl Iterator<Item = u64>) -> u64 {
    xs.inspect(|_| {
        spin(200_000);
    })
    .sum()
}

#[consumer]
fn count(xs: impl Iterator<Item = u64>) -> usize {
    xs.count()
}

#[test]
fn counts_items_in_and_out_of_every_stage() {
    let (sum, stats) = no_hang("counts", || {
        pipeline!(numbers(10_000) => evens => inc => total).run_with_stats()
    });
    assert_eq!(
        sum.unwrap(),
        (0..10_000u64)
            .filter(|x| x % 2 == 0)
            .map(|x| x + 1)
            .sum::<u64>()
    );
    let by_name = |name: &str| stats.stages.iter().find(|s| s.name == name).unwrap();
    assert_eq!(by_name("numbers").items_in, None);
    assert_eq!(by_name("numbers").items_out, Some(10_000));
    assert_eq!(by_name("evens").items_in, Some(10_000));
    assert_eq!(by_name("evens").items_out, Some(5_000));
    assert_eq!(by_name("inc").items_in, Some(5_000));
    assert_eq!(by_name("inc").items_out, Some(5_000));
    assert_eq!(by_name("total").items_in, Some(5_000));
    assert_eq!(by_name("total").items_out, None);
    assert_eq!(by_name("evens").workers.len(), 2);
    let per_worker: u64 = by_name("evens").workers.iter().map(|w| w.items_in).sum();
    assert_eq!(per_worker, 10_000);
    assert!(by_name("total").workers.iter().all(|w| !w.running));
    assert_eq!(stats.stages.len(), 4);
}

#[test]
fn names_a_middle_stage_as_the_bottleneck() {
    let (_, stats) = no_hang("stage bottleneck", || {
        pipeline!(numbers(300) => slow => total).run_with_stats()
    });
    let b = stats.bottleneck().unwrap();
    assert_eq!(b.name, "slow");
    let report = stats.to_string();
    assert!(
        report.contains("`slow` is the bottleneck: busy"),
        "{report}"
    );
    assert!(
        report.contains("on 1 worker; its input queue is full"),
        "{report}"
    );
}

#[test]
fn says_when_the_producer_is_the_limit() {
    let (_, stats) = no_hang("producer bottleneck", || {
        pipeline!(slow_numbers(300) => evens => total).run_with_stats()
    });
    assert_eq!(stats.bottleneck().unwrap().kind, StageKind::Producer);
    let verdict = stats.verdict();
    assert!(
        verdict.starts_with("the producer `slow_numbers` is the limit"),
        "{verdict}"
    );
}

#[test]
fn says_when_the_consumer_is_the_limit() {
    let (_, stats) = no_hang("consumer bottleneck", || {
        pipeline!(numbers(300) => evens => slow_total).run_with_stats()
    });
    let verdict = stats.verdict();
    assert!(
        verdict.starts_with("the consumer `slow_total` is the limit"),
        "{verdict}"
    );
}

#[test]
fn a_running_pipeline_reports_live_numbers() {
    no_hang("live stats", || {
        let (seen, wait) = sync_channel(1);
        let handle = pipeline!(naturals() => evens => signal_then_drain(seen)).spawn();
        wait.recv().unwrap();
        let live = handle.stats();
        assert_eq!(live.stages.len(), 3);
        let producer = &live.stages[0];
        assert!(producer.items_out.unwrap() > 0);
        assert!(producer.workers[0].running);
        handle.cancel();
        handle.join().unwrap_err();
    });
}

#[test]
fn exports_the_graph_to_dot_and_mermaid() {
    let p = pipeline!([numbers(5), slow_numbers(2)] => evens => inc => [total, count]);
    let dot = p.to_dot();
    assert!(dot.starts_with("digraph pipeline {"), "{dot}");
    for label in [
        "numbers\\nproducer ×1",
        "evens\\nitem stage ×2",
        "inc\\nitem stage ×2, ordered",
        "total\\nconsumer ×1",
    ] {
        assert!(dot.contains(label), "{label} missing from\n{dot}");
    }
    let evens_id = p
        .graph()
        .nodes
        .iter()
        .find(|n| n.name == "evens")
        .unwrap()
        .id;
    let into_evens = p.graph().edges.iter().filter(|e| e.to == evens_id).count();
    assert_eq!(into_evens, 2, "fan-in: two producers feed `evens`");
    assert_eq!(dot.matches("style=dashed, label=\"broadcast").count(), 2);
    assert!(dot.contains("label=\"queue 1024\""));

    let mermaid = p.to_mermaid();
    assert!(mermaid.starts_with("flowchart LR\n"), "{mermaid}");
    assert_eq!(mermaid.matches("-. \"broadcast").count(), 2, "{mermaid}");
    assert!(
        mermaid.contains("([\"numbers<br/>producer ×1\"])"),
        "{mermaid}"
    );

    let (_, stats) = p.run_with_stats();
    let labelled = stats.to_dot();
    // .ci/run renders every graph written here with Graphviz, failing on any error.
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("graphs");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("shapes.dot"), &dot).unwrap();
    std::fs::write(dir.join("shapes-with-stats.dot"), &labelled).unwrap();
    std::fs::write(dir.join("shapes.mmd"), &mermaid).unwrap();
    assert!(
        labelled.contains("evens\\nitem stage ×2\\nin 7, out 4, busy"),
        "{labelled}"
    );
}

#[test]
fn a_pipeline_iterated_by_the_caller_reports_its_stages() {
    let mut items = pipeline!(numbers(1000) => evens).into_iter();
    let seen = items.by_ref().map(Result::unwrap).count();
    assert_eq!(seen, 500);
    let stats = items.stats();
    let names: Vec<&str> = stats.stages.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["numbers", "evens"]);
    assert_eq!(stats.stages[0].items_out, Some(1000));
    assert_eq!(stats.stages[1].items_in, Some(1000));
    assert_eq!(stats.stages[1].items_out, Some(500));
}

/// Item 0 waits in the stage until the test sends on `open`; batches of one item.
#[stage(workers = 2, ordered, buffer = 8)]
fn first_waits(x: u64, open: Open) -> u64 {
    if x == 0 {
        let _ = open.0.lock().unwrap().recv();
    }
    x
}

/// A receiver a stage argument can carry (arguments are cloned per worker).
#[derive(Clone)]
struct Open(std::sync::Arc<std::sync::Mutex<std::sync::mpsc::Receiver<()>>>);

/// Its queue holds every item of the test as a batch of its own: never full.
#[consumer(buffer = 6400)]
fn roomy_count(xs: impl Iterator<Item = u64>) -> usize {
    xs.count()
}

/// A worker of an ordered stage that waits for an earlier batch to go out (ahead of
/// the window) is blocked on its output, not busy, even though the queue downstream
/// has room.
#[cfg(target_os = "linux")]
#[test]
fn an_ordered_worker_ahead_of_the_window_is_blocked_on_output() {
    let (open, gate) = std::sync::mpsc::channel();
    let gate = Open(std::sync::Arc::new(std::sync::Mutex::new(gate)));
    let handle = pipeline!(numbers(100) => first_waits(gate) => roomy_count).spawn();
    // One worker waits with item 0; the other takes 1 to 8 (8 is one batch past the
    // window of 8) and sleeps until the window moves.
    let handle = no_hang("both workers asleep", move || {
        while handle.stats().stages[1].items_in != Some(9) {
            std::thread::yield_now();
        }
        for name in ["first_waits#0", "first_waits#1"] {
            while common::thread_state(name) != Some('S') {
                std::thread::yield_now();
            }
        }
        handle
    });
    open.send(()).unwrap();
    let (count, stats) = no_hang("the run", move || handle.join_with_stats());
    assert_eq!(count.unwrap(), 100);
    let stage = &stats.stages[1];
    assert_eq!(stage.name, "first_waits");
    assert!(
        stage.blocked_on_output > std::time::Duration::ZERO,
        "{stats}"
    );
    assert_eq!(stats.stages[2].queue.map(|q| q.full), Some(0.0), "{stats}");
}

/// Yields `n` items, each only once the consumer has taken the one before.
#[producer]
fn gated(n: u64, acks: std::sync::mpsc::Receiver<()>) -> impl Iterator<Item = u64> {
    (0..n).inspect(move |&x| {
        if x > 0 {
            acks.recv().unwrap();
        }
    })
}

#[consumer]
fn acking(xs: impl Iterator<Item = u64>, ack: std::sync::mpsc::SyncSender<()>) -> u64 {
    xs.inspect(|_| {
        // The producer stops listening after its last item.
        let _ = ack.send(());
    })
    .sum()
}

/// The workers of an ordered stage behind a producer that waits for every item to
/// reach the consumer must wait for their input, and the stats say so.
#[test]
fn an_ordered_stage_counts_its_wait_for_input() {
    let (sum, stats) = no_hang("ordered wait", || {
        let (ack, acks) = sync_channel(1);
        pipeline!(gated(20, acks) => inc => acking(ack)).run_with_stats()
    });
    assert_eq!(sum.unwrap(), (1..=20).sum::<u64>());
    let inc = stats.stages.iter().find(|s| s.name == "inc").unwrap();
    assert!(inc.waiting_for_input > std::time::Duration::ZERO, "{inc:?}");
}
