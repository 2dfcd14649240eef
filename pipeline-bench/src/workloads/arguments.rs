//! What an argument costs: a lookup stage in the item form given a 100 k-entry table
//! as an owned `HashMap` (cloned for every item), as `&HashMap` (one per worker,
//! lent to each call) and as `Arc<HashMap>` (one table, an `Arc` cloned per item).

use super::Workload;
use crate::config::Config;
use crate::report::{fmt_ms, fmt_ratio, Report};
use pipeline::{consumer, pipeline, producer, stage};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

pub const WORKLOAD: Workload = Workload {
    name: "arguments",
    about: "an item-form stage given a big table: owned (cloned per item), `&T`, `Arc<T>`",
    run,
    table: None,
};

#[producer]
fn keys(n: u64, modulo: u64) -> impl Iterator<Item = u64> {
    (0..n).map(move |k| k % modulo)
}

#[stage]
fn lookup_owned(x: u64, table: HashMap<u64, u64>) -> u64 {
    table[&x]
}

#[stage]
fn lookup_borrowed(x: u64, table: &HashMap<u64, u64>) -> u64 {
    table[&x]
}

#[stage]
fn lookup_arc(x: u64, table: Arc<HashMap<u64, u64>>) -> u64 {
    table[&x]
}

#[consumer]
fn total(xs: impl Iterator<Item = u64>) -> u64 {
    xs.sum()
}

/// The median of `reps` runs of `f` over a fresh copy of the table (made before the
/// clock starts), each of which must return `want`.
fn median<T>(reps: usize, want: u64, copy: impl Fn() -> T, f: impl Fn(T) -> u64) -> Duration {
    let mut times: Vec<Duration> = (0..reps.max(1))
        .map(|_| {
            let table = copy();
            let started = Instant::now();
            assert_eq!(f(table), want, "a variant computed the wrong sum");
            started.elapsed()
        })
        .collect();
    times.sort();
    times[times.len() / 2]
}

fn run(cfg: &Config, report: &mut Report) {
    let items = cfg.items(20_000, 200);
    let entries = cfg.items(100_000, 1_000);
    let table: HashMap<u64, u64> = (0..entries).map(|k| (k, k * 3)).collect();
    let want: u64 = (0..items).map(|k| (k % entries) * 3).sum();
    report.heading("Arguments: a big table given to an item-form stage");
    println!(
        "{items} items through `keys => lookup => total`, one worker each; the stage \
         is given a {entries}-entry `HashMap<u64, u64>`.\n"
    );
    let owned = median(
        cfg.reps,
        want,
        || table.clone(),
        |table| {
            crate::ok(
                "owned table",
                pipeline!(keys(items, entries) => lookup_owned(table) => total).run(),
            )
        },
    );
    let borrowed = median(
        cfg.reps,
        want,
        || table.clone(),
        |table| {
            crate::ok(
                "borrowed table",
                pipeline!(keys(items, entries) => lookup_borrowed(table) => total).run(),
            )
        },
    );
    let shared = Arc::new(table.clone());
    let arc = median(
        cfg.reps,
        want,
        || Arc::clone(&shared),
        |table| {
            crate::ok(
                "Arc table",
                pipeline!(keys(items, entries) => lookup_arc(table) => total).run(),
            )
        },
    );
    println!("| parameter | time (ms) | vs `&HashMap` |");
    println!("|---|---:|---:|");
    for (what, time) in [
        ("`table: HashMap<u64, u64>` (cloned per item)", owned),
        ("`table: &HashMap<u64, u64>`", borrowed),
        ("`table: Arc<HashMap<u64, u64>>`", arc),
    ] {
        println!(
            "| {what} | {} | {} |",
            fmt_ms(time),
            fmt_ratio(time, borrowed)
        );
    }
    println!();
}
