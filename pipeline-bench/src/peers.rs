//! The hand-written crossbeam peers: one thread per stage worker, joined by bounded
//! channels, either one item per message or `Vec`s of [`BATCH`] items (each worker
//! fills its own output batch and flushes what is left when its input ends).

use crate::{keep_half, tick_work, ticks, twice_plus_one, Stamped};
use crossbeam_channel::{bounded, Receiver};
use std::thread::{self, Scope};
use std::time::Duration;

/// Items each queue holds (the same as the pipeline's default buffer).
const CAPACITY: usize = 1024;
/// Items per message in the batched variants.
const BATCH: usize = 64;

/// A thread sending each item of `items`.
fn source<'s, I>(s: &'s Scope<'s, '_>, items: I) -> Receiver<I::Item>
where
    I: Iterator + Send + 's,
    I::Item: Send + 's,
{
    let (tx, rx) = bounded(CAPACITY);
    s.spawn(move || {
        for x in items {
            if tx.send(x).is_err() {
                return;
            }
        }
    });
    rx
}

/// `workers` threads sharing `input`, each sending `f`'s `Some` outputs.
fn stage<'s, T, U, F>(s: &'s Scope<'s, '_>, input: Receiver<T>, workers: usize, f: F) -> Receiver<U>
where
    T: Send + 's,
    U: Send + 's,
    F: Fn(T) -> Option<U> + Clone + Send + 's,
{
    let (tx, rx) = bounded(CAPACITY);
    for _ in 0..workers {
        let (input, tx, f) = (input.clone(), tx.clone(), f.clone());
        s.spawn(move || {
            for x in input {
                if let Some(y) = f(x) {
                    if tx.send(y).is_err() {
                        return;
                    }
                }
            }
        });
    }
    rx
}

/// A thread sending `items` in batches of [`BATCH`], the last one possibly shorter.
fn batch_source<'s, I>(s: &'s Scope<'s, '_>, items: I) -> Receiver<Vec<I::Item>>
where
    I: Iterator + Send + 's,
    I::Item: Send + 's,
{
    let (tx, rx) = bounded(CAPACITY / BATCH);
    s.spawn(move || {
        let mut batch = Vec::with_capacity(BATCH);
        for x in items {
            batch.push(x);
            if batch.len() == BATCH {
                let full = std::mem::replace(&mut batch, Vec::with_capacity(BATCH));
                if tx.send(full).is_err() {
                    return;
                }
            }
        }
        if !batch.is_empty() {
            let _ = tx.send(batch);
        }
    });
    rx
}

/// `workers` threads sharing batched `input`, each batching `f`'s `Some` outputs.
fn batch_stage<'s, T, U, F>(
    s: &'s Scope<'s, '_>,
    input: Receiver<Vec<T>>,
    workers: usize,
    f: F,
) -> Receiver<Vec<U>>
where
    T: Send + 's,
    U: Send + 's,
    F: Fn(T) -> Option<U> + Clone + Send + 's,
{
    let (tx, rx) = bounded(CAPACITY / BATCH);
    for _ in 0..workers {
        let (input, tx, f) = (input.clone(), tx.clone(), f.clone());
        s.spawn(move || {
            let mut out = Vec::with_capacity(BATCH);
            for batch in input {
                for x in batch {
                    if let Some(y) = f(x) {
                        out.push(y);
                        if out.len() == BATCH {
                            let full = std::mem::replace(&mut out, Vec::with_capacity(BATCH));
                            if tx.send(full).is_err() {
                                return;
                            }
                        }
                    }
                }
            }
            if !out.is_empty() {
                let _ = tx.send(out);
            }
        });
    }
    rx
}

/// Workload 1, one item per message: a thread per stage, the sum on the caller.
pub fn items_trivial(n: u64) -> u64 {
    thread::scope(|s| {
        let xs = source(s, 0..n);
        let ys = stage(s, xs, 1, |x| Some(twice_plus_one(x)));
        stage(s, ys, 1, keep_half).iter().sum()
    })
}

/// Workload 1 in batches.
pub fn batches_trivial(n: u64) -> u64 {
    thread::scope(|s| {
        let xs = batch_source(s, 0..n);
        let ys = batch_stage(s, xs, 1, |x| Some(twice_plus_one(x)));
        batch_stage(s, ys, 1, keep_half).iter().flatten().sum()
    })
}

/// One parallel map stage on `workers` threads, one item per message.
pub fn items_parallel(n: u64, workers: usize, f: fn(u64) -> u64) -> u64 {
    thread::scope(|s| {
        let xs = source(s, 0..n);
        stage(s, xs, workers, move |x| Some(f(x))).iter().sum()
    })
}

/// One parallel map stage on `workers` threads, in batches.
pub fn batches_parallel(n: u64, workers: usize, f: fn(u64) -> u64) -> u64 {
    thread::scope(|s| {
        let xs = batch_source(s, 0..n);
        batch_stage(s, xs, workers, move |x| Some(f(x)))
            .iter()
            .flatten()
            .sum()
    })
}

fn arrived(s: Stamped) -> (u64, Duration) {
    (s.value, s.at.elapsed())
}

/// Workload 5, one item per message.
pub fn items_latency(n: u64) -> Vec<(u64, Duration)> {
    thread::scope(|s| {
        let a = source(s, ticks(n));
        let b = stage(s, a, 1, |x| Some(tick_work(x)));
        let c = stage(s, b, 1, |x| Some(tick_work(x)));
        let d = stage(s, c, 1, |x| Some(tick_work(x)));
        d.iter().map(arrived).collect()
    })
}

/// Workload 5, in batches.
pub fn batches_latency(n: u64) -> Vec<(u64, Duration)> {
    thread::scope(|s| {
        let a = batch_source(s, ticks(n));
        let b = batch_stage(s, a, 1, |x| Some(tick_work(x)));
        let c = batch_stage(s, b, 1, |x| Some(tick_work(x)));
        let d = batch_stage(s, c, 1, |x| Some(tick_work(x)));
        d.iter().flatten().map(arrived).collect()
    })
}
