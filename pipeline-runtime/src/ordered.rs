//! An ordered item-form stage: batches are numbered as workers take them, and their
//! results leave in that order, through one output shared by the workers. At most
//! `window` numbers are handed out beyond the oldest batch still in flight, which
//! bounds the results held back.

use crate::control::{lock, Control};
use crate::queue::{all_closed, Readers};
use crate::stats::WorkerCounters;
use crate::worker::{unwind_stopped, Sink};
use crate::{BoxError, Input, MapItem, Output};
use std::collections::BTreeMap;
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

pub(crate) struct InOrder<T, U> {
    taker: Mutex<(Input<T>, u64)>,
    reorder: Mutex<Reorder<U>>,
    advanced: Condvar,
    control: Arc<Control>,
    downstream: Box<[Arc<Readers>]>,
    window: u64,
}

struct Reorder<U> {
    next: u64,
    done: BTreeMap<u64, Vec<U>>,
    out: Output<U>,
    /// Workers waiting for the window to move: only then is there anyone to notify.
    waiting: usize,
}

/// Each worker of an ordered stage holds the shared state as what it owns: it is
/// dropped (and the shared output with it) only after a failure has been recorded.
impl<T: Send + 'static, U: Send + 'static> Sink for Arc<InOrder<T, U>> {
    fn is_producer(&self) -> bool {
        false
    }
    fn downstream(&self) -> Box<[Arc<Readers>]> {
        self.downstream.clone()
    }
    fn discard(&mut self) {
        lock(&self.reorder).out.discard();
    }
}

impl<T, U> InOrder<T, U> {
    pub(crate) fn new(
        input: Input<T>,
        out: Output<U>,
        control: Arc<Control>,
        workers: usize,
    ) -> Self {
        Self {
            taker: Mutex::new((input, 0)),
            downstream: out.downstream(),
            reorder: Mutex::new(Reorder {
                next: 0,
                done: BTreeMap::new(),
                out,
                waiting: 0,
            }),
            advanced: Condvar::new(),
            control,
            window: 2 * workers as u64,
        }
    }

    /// Whether the workers must stop: the run stopped, or nobody reads the output.
    fn should_stop(&self) -> bool {
        self.control.is_stopped() || all_closed(&self.downstream)
    }

    /// One worker's loop; returns at the end of the input.
    pub(crate) fn run<M: MapItem<In = T, Out = U>>(
        &self,
        stage: &mut M,
        counters: &WorkerCounters,
    ) -> Result<(), BoxError> {
        loop {
            let waiting = Instant::now();
            let taken = {
                let mut taker = lock(&self.taker);
                taker.0.next_batch().map(|batch| {
                    taker.1 += 1;
                    (taker.1 - 1, batch)
                })
            };
            counters.waited_for_input(waiting);
            let Some((seq, batch)) = taken else {
                return self.stopped_or_done();
            };
            counters.received(batch.len());
            if !self.wait_for_window(seq) {
                return self.stopped_or_done();
            }
            let mut mapped = Vec::with_capacity(batch.len());
            for item in batch {
                if self.should_stop() {
                    return self.stopped_or_done();
                }
                mapped.extend(stage.map(item)?);
            }
            let mut reorder = lock(&self.reorder);
            reorder.done.insert(seq, mapped);
            loop {
                let next = reorder.next;
                let Some(ready) = reorder.done.remove(&next) else {
                    break;
                };
                reorder.next += 1;
                for item in ready {
                    if reorder.out.push(item).is_err() {
                        drop(reorder);
                        return self.stopped_or_done();
                    }
                }
            }
            if reorder.waiting > 0 {
                self.advanced.notify_all();
            }
        }
    }

    /// The input ended or the worker must stop: a stop unwinds (see `worker`).
    fn stopped_or_done(&self) -> Result<(), BoxError> {
        if self.should_stop() {
            unwind_stopped();
        }
        Ok(())
    }

    /// Waits until `seq` is inside the window; false if the run stopped meanwhile.
    fn wait_for_window(&self, seq: u64) -> bool {
        let mut reorder = lock(&self.reorder);
        while seq >= reorder.next + self.window {
            if self.should_stop() {
                return false;
            }
            // The worker holding `reorder.next` never waits here, so this ends; the
            // timeout only lets a stopped run be noticed.
            reorder.waiting += 1;
            reorder = self
                .advanced
                .wait_timeout(reorder, Duration::from_millis(10))
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .0;
            reorder.waiting -= 1;
        }
        true
    }
}
