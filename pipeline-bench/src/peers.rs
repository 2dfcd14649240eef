//! What the peers are built from: hand-written crossbeam threads (one thread per stage
//! worker, joined by bounded channels, either one item per message or `Vec`s of
//! [`BATCH`] items, each worker filling its own output batch and flushing what is left
//! when its input ends), a rayon pool, and pariter's settings.

use crossbeam_channel::{bounded, Receiver};
use std::process;
use std::sync::OnceLock;
use std::thread::Scope;

/// Items each queue holds (the same as the pipeline's default buffer).
const CAPACITY: usize = 1024;
/// Items per message in the batched variants.
const BATCH: usize = 64;

/// Items pariter keeps in flight in the throughput workloads: the capacity of every
/// other variant's queues. (Its default, twice the threads, costs a thread handoff
/// every few items; in the latency workload the default is kept, since pariter reads
/// ahead until its buffer is full.)
pub const PARITER_BUFFER: usize = pipeline::DEFAULT_BUFFER;

/// A rayon pool of a given size, started the first time a variant uses it.
pub struct Pool {
    threads: usize,
    pool: OnceLock<rayon::ThreadPool>,
}

impl Pool {
    pub fn new(threads: usize) -> Pool {
        Pool {
            threads,
            pool: OnceLock::new(),
        }
    }

    /// Runs `f` in the pool.
    pub fn install<R: Send>(&self, f: impl FnOnce() -> R + Send) -> R {
        self.pool
            .get_or_init(|| {
                rayon::ThreadPoolBuilder::new()
                    .num_threads(self.threads)
                    .build()
                    .unwrap_or_else(|e| {
                        eprintln!("pipeline-bench: rayon pool: {e}");
                        process::exit(1)
                    })
            })
            .install(f)
    }
}

/// A thread sending each item of `items`.
pub fn source<'s, I>(s: &'s Scope<'s, '_>, items: I) -> Receiver<I::Item>
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
pub fn stage<'s, T, U, F>(
    s: &'s Scope<'s, '_>,
    input: Receiver<T>,
    workers: usize,
    f: F,
) -> Receiver<U>
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
pub fn batch_source<'s, I>(s: &'s Scope<'s, '_>, items: I) -> Receiver<Vec<I::Item>>
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
pub fn batch_stage<'s, T, U, F>(
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
