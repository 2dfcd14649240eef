//! The queue between two stages, seen as an [`Input`] iterator by the workers that
//! read it and as an [`Output`] by the workers that feed it.
//!
//! Items cross it in batches, to pay for one operation on the shared ring per batch
//! instead of per item, but a batch never holds an item back from an idle reader. Each
//! sender fills a [`Batch`](crate::pending::Batch); a reader that finds the queue empty
//! waits a moment (see [`spin`](crate::spin)), then takes whatever is pending (the
//! sender may be blocked in its own code after pushing), and only then sleeps. Not
//! at once (see [`Idle`]): while items flow, a batch fills within moments, and taking
//! it item by item would only make small batches.
//!
//! Sleeping costs nothing and misses nothing. Before it sleeps, a reader *asks* every
//! sender's batch (see [`pending`](crate::pending)): a sender whose next push finds
//! the request sends its batch at once, and whichever of the push and the request
//! comes second sees the other (a fence on each side orders its store before its
//! load; a sender whose readers have not asked for a while leaves its fence out, and a
//! reader that asks it pays for both with `membarrier`, see [`fence`](crate::fence)),
//! so no item is left pending behind a sleeping reader.
//! The reader then parks, with no timeout, until a sender sends a batch or the last
//! sender leaves, the run stops, or every queue its worker feeds is closed; each of
//! those wakes it through the queue's or the worker's [`Sleepers`] (see
//! [`wake`](crate::wake), and why not a channel `select`).
//!
//! A queue is *closed* when its last reader is gone (every worker of the stage that
//! reads it has ended): its writers see that at their next item, and the workers that
//! feed it stop at their next [`Input::next`], even a filter that emits nothing.

mod input;
mod output;
mod stop;

pub use input::Input;
pub(crate) use input::{Idle, Take, Waiter};
pub use output::Output;
pub(crate) use stop::StopWhen;

use crate::control::{lock, Control};
use crate::pending::{Stealer, MAX_BATCH};
use crate::stats::StageCounters;
use crate::wake::Sleepers;
use crossbeam_queue::ArrayQueue;
use output::Target;
use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use stop::Readers;

/// What the readers and senders of one queue share.
pub(crate) struct Queue<T> {
    /// The batches sent and not yet taken. A lock-free ring, not a channel: readers
    /// and senders sleep and wake through [`Sleepers`] of their own (see
    /// [`wake`](crate::wake)), so a channel's own waiting would be paid on every batch
    /// for nothing.
    sent: ArrayQueue<Vec<T>>,
    /// A stealer of every sender's batch, for readers to take when the queue is empty.
    pending: Mutex<Senders<T>>,
    batch: usize,
    /// A sender asleep on the full queue sleeps until it holds at most this many
    /// batches (half its capacity), and a reader wakes it only then: it refills the
    /// queue in one go instead of waking for every batch taken. A sender that has
    /// not gone to sleep yet sends as soon as there is room.
    room_at: usize,
    readers: Arc<Readers>,
    /// The counters of the stage that reads this queue.
    reader: Arc<StageCounters>,
    /// Readers asleep until a batch is sent or the last sender leaves.
    sleepers: Sleepers,
    /// Senders still connected (one per [`Target`]): the stream has ended once it is
    /// 0 and `sent` is empty. Decremented `Release` by a leaving sender after its last
    /// batch is in `sent`; read `Acquire` by readers before they look at `sent`, where
    /// they then find every batch sent before it (see `receive`).
    senders: AtomicUsize,
    /// Emptied batch vectors, which readers hand back and senders fill again: a batch
    /// allocated by one thread and freed by another made the allocator's locks
    /// contended (a third of the context switches of the empty-stage benchmark).
    spare: ArrayQueue<Vec<T>>,
}

/// The batches of a queue's senders.
struct Senders<T> {
    stealers: Vec<Stealer<T>>,
    /// Whether a reader ever asked: a sender that comes later is asked as it joins,
    /// under the same lock, so a reader asleep before it existed gets its first item.
    asked: bool,
}

impl<T> Queue<T> {
    /// A vector to fill with a batch: a spare one if there is one.
    fn buffer(&self) -> Vec<T> {
        self.spare.pop().unwrap_or_default()
    }

    /// Keeps `buffer`, emptied, for a later batch (or drops it if enough are kept).
    fn recycle(&self, mut buffer: Vec<T>) {
        if buffer.capacity() != 0 {
            buffer.clear();
            let _ = self.spare.push(buffer);
        }
    }

    /// Takes the oldest batch sent, if there is one. [`Received::Ended`] once every
    /// sender has left and every batch they sent was taken.
    fn receive(&self) -> Received<T> {
        // First: once it reads 0, every batch was sent before it (`Queue::senders`).
        let ended = self.ended();
        match self.sent.pop() {
            Some(batch) => Received::Batch(batch),
            None if ended => Received::Ended,
            None => Received::Empty,
        }
    }

    /// Whether every sender has left (the batches they sent may still be there).
    fn ended(&self) -> bool {
        self.senders.load(Ordering::Acquire) == 0
    }

    fn steal(&self) -> Vec<T> {
        for pending in lock(&self.pending).stealers.iter() {
            let stolen = pending.steal(|| self.sent.is_empty());
            if !stolen.is_empty() {
                return stolen;
            }
        }
        Vec::new()
    }

    /// Asks every sender to send its next item at once; true if items are pending.
    fn ask(&self) -> bool {
        let mut senders = lock(&self.pending);
        senders.asked = true;
        crate::pending::ask(&senders.stealers)
    }
}

/// The batch size and the capacity in batches of a queue of about `capacity` items:
/// at least one batch of one item, so that a queue of none hands items over one at a
/// time.
pub(crate) fn shape(capacity: usize) -> (usize, usize) {
    let batch = (capacity / 8).clamp(1, 64.min(MAX_BATCH));
    (batch, (capacity / batch).max(1))
}

/// Creates the bounded queue in front of a stage, holding about `capacity` items.
/// The output and input returned belong to no worker: make each worker's own with
/// [`Output::for_worker`] and [`Input::for_worker`].
pub(crate) fn queue<T>(
    capacity: usize,
    control: &Arc<Control>,
    reader: Arc<StageCounters>,
) -> (Output<T>, Input<T>) {
    let (batch, batches) = shape(capacity);
    let queue = Arc::new(Queue {
        sent: ArrayQueue::new(batches),
        pending: Mutex::new(Senders {
            stealers: Vec::new(),
            asked: false,
        }),
        batch,
        room_at: batches / 2,
        readers: Readers::new(),
        reader,
        sleepers: Sleepers::new(),
        senders: AtomicUsize::new(0),
        // As many as the queue holds, and one a reader or two holds: more would
        // only wait here.
        spare: ArrayQueue::new(batches + 2),
    });
    let output = Output::new(Target::new(Arc::clone(&queue), None), control);
    let stop = StopWhen::new(Arc::clone(control), false, Box::new([]));
    let input = Input::new(queue, stop);
    (output, input)
}

/// What a look at the batches sent found.
enum Received<T> {
    Batch(Vec<T>),
    /// Nothing now; senders are still connected.
    Empty,
    /// Every sender has left and every batch was taken: the end of the stream.
    Ended,
}

/// A stage's counters and the index of one of its workers.
type Tally = Option<(Arc<StageCounters>, usize)>;

/// Returned by [`Output::push`] when nobody will read the item: every downstream
/// worker has finished, or the run was stopped (or, for a producer, is draining).
/// The worker should return.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stopped;

impl fmt::Display for Stopped {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the pipeline downstream has stopped")
    }
}

impl std::error::Error for Stopped {}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use crate::stats::Recorder;
    use std::thread;

    /// Through a queue of a few small batches, so that senders wait for room and the
    /// reader for items: every item arrives once, each sender's in its order, and the
    /// stream ends once every sender has left (under Miri too, which checks the ring).
    #[test]
    fn every_item_arrives_once_and_the_stream_ends_when_the_senders_leave() {
        const ITEMS: u32 = if cfg!(miri) { 100 } else { 2_000 };
        let control = Control::new();
        let (output, input) = queue::<u32>(16, &control, Recorder::new().stage(0, 1, 8));
        let senders: Vec<_> = (0..2)
            .map(|sender| {
                let mut out = output.clone();
                thread::spawn(move || {
                    for i in 0..ITEMS {
                        out.push(sender * ITEMS + i).expect("the queue is read");
                    }
                })
            })
            .collect();
        drop(output);
        let got: Vec<u32> = input.collect();
        for sender in senders {
            sender.join().expect("a sender panicked");
        }
        for sender in 0..2 {
            let mine: Vec<u32> = got
                .iter()
                .copied()
                .filter(|i| i / ITEMS == sender)
                .collect();
            let sent: Vec<u32> = (sender * ITEMS..(sender + 1) * ITEMS).collect();
            assert_eq!(
                mine, sent,
                "sender {sender}'s items, once each and in order"
            );
        }
        assert_eq!(got.len(), 2 * ITEMS as usize);
    }
}
