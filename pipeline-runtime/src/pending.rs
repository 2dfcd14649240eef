//! The batch a sender is filling, which an idle receiver may take before it is full.
//!
//! A worker pushes items one at a time into the [`Batch`] it owns, and sends the batch
//! through the queue when it is full or when a receiver asks for it. A receiver holds
//! a [`Stealer`] of every sender's batch: one that has found the queue empty for a
//! moment *steals* what is pending instead of sleeping, so an item never waits in a
//! half-full batch while its producer blocks (the log tailer's line reaches the
//! consumer at once). Only the owner writes, claims everything and starts a new
//! batch, so the owner type is not `Clone`; the stealers are.
//!
//! Items come out of a batch last first, so that a reader takes them in order with
//! `Vec::pop`, and the emptied vector can carry another batch.
//!
//! Protocol. `tail` counts the slots the owner has filled; `head` packs a generation
//! with the count of slots claimed so far. Slots `[claimed, tail)` are pending. Owner
//! and stealers claim with a compare-and-swap on `head`, so each slot is read once.
//! After claiming every slot the owner starts a new generation, reusing the slots once
//! no stealer is still copying out of them (`stealers`). A stealer's swap fails if the
//! generation moved since it read `head`, so it never claims slots of a generation it
//! did not see.
//!
//! Sleeping. A receiver about to sleep for want of items first *asks* every batch: it
//! sets the batch's `hungry` flag, then looks at `tail` once more. The owner
//! publishes each item with a plain store of `tail`, then looks at `hungry`. The store
//! and the load on each side must not be reordered, so each side orders them with one
//! half of a fence ([`fence`](crate::fence)). Then whichever comes second sees the
//! other: either the receiver sees the item (and takes it instead of sleeping), or the
//! owner's push sees the request (and clears it) and the owner sends its batch at once,
//! which wakes the receiver. Nobody polls.
//!
//! Who pays for the fence. While receivers ask (they sleep often: a trickle, a slow
//! stage), each push fences, and an asking receiver fences too. Once no receiver has
//! asked for [`CALM`] batches (items flow and nobody sleeps), the owner stops fencing;
//! a receiver that then asks finds the batch's `fenced` flag down and pays for both
//! sides with `membarrier` (a fence on every CPU running the process), and the push
//! that answers its request makes the owner fence again. Where `membarrier` is
//! missing, pushes always fence. The switch, and why it is sound:
//!
//! - *Fencing again*: the owner raises `fenced` (`Release`) before its next push. A
//!   receiver that sees it raised (`Acquire`) sees every push before it, and every push
//!   after it fences.
//! - *Stopping*: the owner lowers `fenced`, then fences, then pushes without fences. A
//!   receiver's request, its fence and its look at `fenced` come in that order. If the
//!   owner's fence comes first, the receiver sees `fenced` down and pays with
//!   `membarrier`; if the receiver's does, every later push of the owner sees the
//!   request, so the first push after the switch is sent at once. The pushes before
//!   the switch fenced.

use crate::fence;
use crate::sync::{fence, Arc, AtomicBool, AtomicU64, AtomicUsize, Backoff, UnsafeCell};
use std::fmt;
use std::mem::MaybeUninit;
use std::sync::atomic::Ordering::*;

const INDEX_BITS: u32 = 16;
const INDEX_MASK: u64 = (1 << INDEX_BITS) - 1;

/// The most items one batch may hold.
pub(crate) const MAX_BATCH: usize = 1 << (INDEX_BITS - 1);

fn pack(generation: u64, index: usize) -> u64 {
    (generation << INDEX_BITS) | index as u64
}

fn unpack(head: u64) -> (u64, usize) {
    (head >> INDEX_BITS, (head & INDEX_MASK) as usize)
}

/// What the owner and the stealers of one batch share.
struct Shared<T> {
    slots: Box<[UnsafeCell<MaybeUninit<T>>]>,
    /// Generation and claimed count. The claim swaps are `AcqRel`: a stealer's
    /// `Release` swap is what the owner's `Acquire` claim reads, which orders the
    /// stealer's `stealers` increment before the owner's check of it (see `reset`);
    /// the generation store of `reset` is `Release` and the stealer's load `Acquire`,
    /// so a stealer that sees the new generation sees the reset `tail` too.
    head: AtomicU64,
    /// Filled count, stored by the owner alone. A push's store is `Release`,
    /// publishing the slot it wrote (and the generation before it); readers load it
    /// `Acquire`.
    tail: AtomicUsize,
    /// A receiver asked for the pending items and may be asleep until they are sent:
    /// set by receivers, cleared by the owner's next push, which then sends its batch.
    /// `Relaxed` both ways: the asymmetric fence orders each side's store before its
    /// load, and what the flag hands over (the batch) goes through the queue.
    hungry: AtomicBool,
    /// Stealers between their read of `head` and the end of their copy. The increment
    /// is ordered before the stealer's claim swap by program order, and the decrement
    /// is `Release` after its copy, read `Acquire` by the owner before it rewrites.
    stealers: AtomicUsize,
    /// Every push from here on fences: a receiver that sees it raised needs no
    /// `membarrier` (see the module docs). Stored by the owner alone: raised `Release`,
    /// publishing the unfenced pushes before it, and read `Acquire`; lowered `Relaxed`,
    /// then ordered by the owner's fence.
    fenced: AtomicBool,
}

// SAFETY: items move between threads (hence `T: Send`); every slot is written by the
// owner before `tail` is released past it and read exactly once, by whoever claims it
// through `head`, and rewritten only after every claimer has finished (`stealers`).
unsafe impl<T: Send> Send for Shared<T> {}
unsafe impl<T: Send> Sync for Shared<T> {}

/// The batch a sender fills: only its owner pushes, claims all and starts over.
pub(crate) struct Batch<T> {
    shared: Arc<Shared<T>>,
    /// Slots filled since the batch started (the owner's copy of `tail`).
    filled: usize,
    /// A push consumed a receiver's request, and no `take` has answered it yet.
    answering: bool,
    /// Whether pushes fence, and when they stop.
    fencing: Fencing,
}

/// Batches taken with no request before an owner stops fencing its pushes: 4,096 items
/// of a queue of 1,024. A receiver that asks an unfenced batch pays a `membarrier`
/// (10–14 µs on the VM of `BENCHMARKS.md` where a thread of the process runs on the
/// other CPU); after it, the owner fences for at least this many batches, so that each
/// batch pays the barrier at most once every `CALM` batches.
pub(crate) const CALM: u32 = 64;

/// The owner's side of the switch between fenced and unfenced pushes (module docs).
struct Fencing {
    /// Pushes fence (the owner's copy of `Shared::fenced`).
    fenced: bool,
    /// Batches taken since the last request.
    calm: u32,
    /// After how many calm batches pushes stop fencing; `None` where receivers cannot
    /// pay with `membarrier`, so pushes always fence.
    stop_after: Option<u32>,
}

impl Fencing {
    /// After a take: fences from now on if a receiver asked since the last one, or
    /// stops fencing once none asked for `stop_after` batches that had items pushed.
    /// A batch taken with no push says nothing of the receivers: an owner that sends
    /// whole vectors instead (an ordered stage's results) never answers a request
    /// with a push, so it must not stop fencing, or every receiver that asks it would
    /// pay a `membarrier`.
    fn after_take(&mut self, asked: bool, pushed: bool, flag: &AtomicBool) {
        if asked {
            self.calm = 0;
            if !self.fenced {
                self.fenced = true;
                flag.store(true, Release);
            }
        } else if let (true, true, Some(limit)) = (pushed, self.fenced, self.stop_after) {
            self.calm += 1;
            // `asymmetric` again: false for good once a `membarrier` failed.
            if self.calm >= limit && fence::asymmetric() {
                self.calm = 0;
                self.fenced = false;
                flag.store(false, Relaxed);
                // Before any unfenced push: see "Stopping" in the module docs.
                fence(SeqCst);
            }
        }
    }
}

/// A receiver's handle on a sender's batch: it takes what is pending.
pub(crate) struct Stealer<T> {
    shared: Arc<Shared<T>>,
}

/// A new, empty batch of `capacity` items, and a stealer of it. Its pushes stop
/// fencing while no receiver asks, where receivers can pay with `membarrier`.
pub(crate) fn batch<T>(capacity: usize) -> (Batch<T>, Stealer<T>) {
    batch_fencing(capacity, fence::asymmetric().then_some(CALM))
}

/// The same, its pushes stopping fencing after `stop_after` calm batches, or never.
fn batch_fencing<T>(capacity: usize, stop_after: Option<u32>) -> (Batch<T>, Stealer<T>) {
    assert!((1..=MAX_BATCH).contains(&capacity));
    let shared = Arc::new(Shared {
        slots: (0..capacity)
            .map(|_| UnsafeCell::new(MaybeUninit::uninit()))
            .collect(),
        head: AtomicU64::new(0),
        tail: AtomicUsize::new(0),
        hungry: AtomicBool::new(false),
        stealers: AtomicUsize::new(0),
        fenced: AtomicBool::new(true),
    });
    let stealer = Stealer {
        shared: Arc::clone(&shared),
    };
    let batch = Batch {
        shared,
        filled: 0,
        answering: false,
        fencing: Fencing {
            fenced: true,
            calm: 0,
            stop_after,
        },
    };
    (batch, stealer)
}

impl<T> Shared<T> {
    /// Moves the claimed slots `[from, to)` out into `into` (a spare buffer, emptied
    /// first), last item first: a reader takes them in order with `Vec::pop`.
    ///
    /// # Safety
    /// The caller claimed exactly this range through `head`, in the current generation.
    unsafe fn read(&self, from: usize, to: usize, mut into: Vec<T>) -> Vec<T> {
        into.clear();
        into.reserve(to - from);
        #[cfg(not(all(loom, test)))]
        {
            let slots = &self.slots[from..to];
            let n = slots.len();
            // SAFETY: claimed slots were written and are read once, by the claimer.
            // `UnsafeCell` and `MaybeUninit` are `repr(transparent)` (the cell of
            // `sync` too, outside loom), so the slots are `T`s laid out as an array;
            // the copy reads through the cells' shared interior, and `into`, empty,
            // has room for `n` items.
            unsafe {
                let first = slots.as_ptr().cast::<T>();
                let out = into.as_mut_ptr();
                for i in 0..n {
                    std::ptr::copy_nonoverlapping(first.add(n - 1 - i), out.add(i), 1);
                }
                into.set_len(n);
            }
        }
        // Slot by slot, so that loom checks each access.
        #[cfg(all(loom, test))]
        for i in (from..to).rev() {
            // SAFETY: claimed slots were written and are read once, by the claimer.
            into.push(self.slots[i].with_mut(|slot| unsafe { (*slot).assume_init_read() }));
        }
        into
    }
}

impl<T> Batch<T> {
    /// The items pushed since the batch started, stolen ones included.
    pub(crate) fn len(&self) -> usize {
        self.filled
    }

    #[cfg(test)]
    pub(crate) fn is_full(&self) -> bool {
        self.filled == self.shared.slots.len()
    }

    /// Adds `item`; true if the batch must be sent now: it is full, or a receiver
    /// asked for the pending items since the last push (it may be asleep until this
    /// batch is sent).
    ///
    /// # Panics
    /// If the batch is full: [`take_into`](Self::take_into) it first.
    #[inline]
    pub(crate) fn push(&mut self, item: T) -> bool {
        let slot = &self.shared.slots[self.filled];
        // SAFETY: slots from `filled` on are past `tail` and this generation's claims,
        // so no stealer reads them, and every stealer of an earlier generation is done.
        slot.with_mut(|slot| unsafe { (*slot).write(item) });
        self.filled += 1;
        // Before the fence, which makes the compiler read memory again after it.
        let full = self.filled == self.shared.slots.len();
        let shared = &*self.shared;
        shared.tail.store(self.filled, Release);
        // Orders the store above before the load below, paired with the receiver's
        // half in `Stealer::ask`: see the module docs on sleeping.
        fence::light(self.fencing.fenced);
        // The swap consumes the request (so that one made after it waits for the next
        // push); it runs only when a receiver asked. The `take` that answers it renews
        // it if stealers took everything (see `take`).
        let asked = shared.hungry.load(Relaxed) && shared.hungry.swap(false, Relaxed);
        self.answering |= asked;
        asked || full
    }

    /// Takes every item no stealer has taken, last first, and starts an empty batch.
    #[cfg(test)]
    pub(crate) fn take(&mut self) -> Vec<T> {
        self.take_into(Vec::new())
    }

    /// Takes every item no stealer has taken, last first, into `buffer`'s allocation,
    /// and starts an empty batch.
    pub(crate) fn take_into(&mut self, buffer: Vec<T>) -> Vec<T> {
        let pushed = self.filled > 0;
        // A request no push has answered yet counts too: an owner that sends whole
        // vectors never answers one with a push, and must fence again all the same.
        let asked = self.answering || self.shared.hungry.load(Relaxed);
        let taken = self.claim_all(buffer);
        self.fencing.after_take(asked, pushed, &self.shared.fenced);
        if std::mem::take(&mut self.answering) && taken.is_empty() {
            // Stealers took every item, this push's included, between the push and
            // this claim; the request consumed may be that of a receiver that stole
            // them and then asked, found nothing and sleeps: it waits for the next
            // item, so the next push must send it. (A renewed request costs at most
            // one early send.)
            self.shared.hungry.store(true, Relaxed);
        }
        self.reset();
        taken
    }

    fn claim_all(&mut self, mut buffer: Vec<T>) -> Vec<T> {
        let head = &self.shared.head;
        let mut current = head.load(Acquire);
        loop {
            let (generation, from) = unpack(current);
            if from >= self.filled {
                buffer.clear();
                return buffer;
            }
            match head.compare_exchange_weak(
                current,
                pack(generation, self.filled),
                AcqRel,
                Acquire,
            ) {
                // SAFETY: the swap claimed `[from, filled)` of this generation for us.
                Ok(_) => return unsafe { self.shared.read(from, self.filled, buffer) },
                Err(now) => current = now,
            }
        }
    }

    /// Starts a new generation once every slot is claimed, waiting for the stealers
    /// still copying out of the old one.
    fn reset(&mut self) {
        let backoff = Backoff::new();
        while self.shared.stealers.load(Acquire) != 0 {
            backoff.snooze();
        }
        let (generation, _) = unpack(self.shared.head.load(Relaxed));
        // Before the new generation is visible, so that a stealer that sees it does
        // not see the old count. A receiver's request stays for the next push.
        self.shared.tail.store(0, Relaxed);
        self.shared.head.store(pack(generation + 1, 0), Release);
        self.filled = 0;
    }
}

impl<T> Stealer<T> {
    /// Takes whatever is pending, last first, if `still_empty()` holds after it has
    /// read `head`: a batch the owner sent before then is in the queue and must be
    /// received first, to keep the owner's order.
    pub(crate) fn steal(&self, still_empty: impl FnOnce() -> bool) -> Vec<T> {
        let shared = &*self.shared;
        shared.stealers.fetch_add(1, Relaxed);
        let head = shared.head.load(Acquire);
        let (generation, from) = unpack(head);
        let to = shared.tail.load(Acquire);
        let stolen = if to > from
            && still_empty()
            && shared
                .head
                .compare_exchange(head, pack(generation, to), AcqRel, Relaxed)
                .is_ok()
        {
            // SAFETY: the swap claimed `[from, to)`; the generation did not change since
            // `head` was read, and `tail` was read after it, so those slots are this
            // generation's, written and published by the owner.
            unsafe { shared.read(from, to, Vec::new()) }
        } else {
            Vec::new()
        };
        shared.stealers.fetch_sub(1, Release);
        stolen
    }

    /// Asks the owner to send its next item at once, for a receiver about to sleep;
    /// then a fence (and [`fence::heavy`] if the owner does not fence) and
    /// [`pending`](Self::pending) must follow before it
    /// sleeps (see [`ask`]), once for all the batches it asks.
    pub(crate) fn request(&self) {
        self.shared.hungry.store(true, Relaxed);
    }

    /// Whether items are pending (take them instead of sleeping).
    pub(crate) fn pending(&self) -> bool {
        // `Acquire` pairs with the owner's `Release` store: the generation it stored
        // before that push is visible below.
        let tail = self.shared.tail.load(Acquire);
        let (_, claimed) = unpack(self.shared.head.load(Acquire));
        tail > claimed
    }

    /// Asks this batch alone: [`request`](Self::request), the fence, [`pending`](Self::pending).
    #[cfg(all(test, not(loom)))]
    pub(crate) fn ask(&self) -> bool {
        ask(std::slice::from_ref(self))
    }

    /// Whether this is a stealer of `batch`.
    pub(crate) fn steals_from(&self, batch: &Batch<T>) -> bool {
        Arc::ptr_eq(&self.shared, &batch.shared)
    }
}

/// Asks every batch of `stealers` to send its next item at once, for a receiver about
/// to sleep; true if items are pending already (take them instead of sleeping). Every
/// batch is asked, even after one says it has items: the receiver may still find
/// nothing to steal (another took it) and sleep.
pub(crate) fn ask<T>(stealers: &[Stealer<T>]) -> bool {
    ask_with(stealers, fence::heavy)
}

/// [`ask`], paying for owners that do not fence with `heavy` (the loom models stand in
/// for `membarrier`, which loom cannot model).
fn ask_with<T>(stealers: &[Stealer<T>], heavy: impl FnOnce() -> bool) -> bool {
    for stealer in stealers {
        stealer.request();
    }
    // Between the requests and the looks at `tail`: pairs with each fencing owner's
    // `fence::light` between its store of `tail` and its look at `hungry`; where an
    // owner does not fence, `membarrier` stands for its fence too (module docs).
    // Should that barrier fail, the receiver looks again rather than sleep.
    fence(SeqCst);
    let fenced = stealers.iter().all(|s| s.shared.fenced.load(Acquire)) || heavy();
    stealers
        .iter()
        .fold(!fenced, |pending, s| s.pending() | pending)
}

impl<T> Clone for Stealer<T> {
    fn clone(&self) -> Self {
        Self {
            shared: Arc::clone(&self.shared),
        }
    }
}

impl<T> Drop for Shared<T> {
    fn drop(&mut self) {
        // Every other handle is gone (the `Arc`), so plain loads see the last values.
        let (_, from) = unpack(self.head.load(Relaxed));
        let to = self.tail.load(Relaxed);
        for slot in &self.slots[from.min(to)..to] {
            // SAFETY: unclaimed published slots hold items nobody else will read.
            slot.with_mut(|slot| unsafe { (*slot).assume_init_drop() });
        }
    }
}

impl<T> fmt::Debug for Batch<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Batch")
            .field("filled", &self.filled)
            .finish()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn owner_and_stealer_each_get_every_item_once() {
        let (mut b, s) = batch(8);
        b.push(String::from("a"));
        b.push(String::from("b"));
        assert_eq!(s.steal(|| true), vec!["b", "a"], "last first");
        assert!(s.steal(|| true).is_empty());
        b.push(String::from("c"));
        assert!(
            s.steal(|| false).is_empty(),
            "a busy queue is received first"
        );
        assert_eq!(b.take(), vec!["c"]);
        b.push(String::from("d"));
        drop(b);
        drop(s); // drops the unclaimed "d"
    }

    #[test]
    fn a_push_after_an_ask_says_so_once() {
        let (mut b, s) = batch(8);
        assert!(!b.push(1), "neither full nor asked");
        assert!(s.ask(), "an item is pending");
        assert!(b.push(2), "asked since the last push");
        assert!(!b.push(3));
        assert_eq!(b.take(), vec![3, 2, 1]);
        assert!(!s.ask(), "nothing is pending");
        assert!(b.push(4), "the request outlives the batch taken");
        assert!(!b.push(5));
        assert_eq!(s.steal(|| true), vec![5, 4]);
    }

    #[test]
    fn a_request_answered_by_nothing_is_renewed() {
        let (mut b, s) = batch(8);
        b.push(1);
        assert!(s.ask(), "an item is pending");
        assert_eq!(s.steal(|| true), vec![1]);
        assert!(!s.ask(), "nothing is pending");
        assert!(b.push(2), "asked");
        // The receiver took the item before the owner could send it.
        assert_eq!(s.steal(|| true), vec![2]);
        assert!(b.take().is_empty());
        assert!(b.push(3), "the request stands until an item is sent");
        assert_eq!(b.take(), vec![3]);
        assert!(!b.push(4), "answered");
    }

    #[test]
    fn pushes_stop_fencing_while_nobody_asks_and_fence_again_when_asked() {
        let (mut b, s) = batch_fencing(4, Some(2));
        let fenced = |b: &Batch<u32>| {
            assert_eq!(b.fencing.fenced, b.shared.fenced.load(SeqCst));
            b.fencing.fenced
        };
        assert!(fenced(&b), "a new batch fences");
        b.push(1);
        assert_eq!(b.take(), [1]);
        assert!(fenced(&b), "one calm batch of two");
        b.push(2);
        assert_eq!(b.take(), [2]);
        if !fence::asymmetric() {
            // No `membarrier` here (another system, Miri, or PIPELINE_MEMBARRIER=0).
            assert!(fenced(&b), "without membarrier, pushes always fence");
            return;
        }
        assert!(!fenced(&b), "two calm batches: pushes stop fencing");
        assert!(!s.ask(), "nothing pending, after a membarrier");
        assert!(b.push(3), "asked since the last push");
        assert_eq!(b.take(), [3]);
        assert!(fenced(&b), "a request: pushes fence again");
        b.push(4);
        assert_eq!(b.take(), [4]);
        assert!(fenced(&b), "calm again for one batch only");
    }

    /// An owner that sends whole vectors (an ordered stage) takes its batch empty
    /// before each: that is no sign that receivers keep up, and they ask it often.
    #[test]
    fn a_batch_taken_with_nothing_pushed_keeps_fencing() {
        let (mut b, _s) = batch_fencing::<u32>(4, Some(2));
        for _ in 0..10 {
            assert!(b.take().is_empty());
        }
        assert!(b.fencing.fenced && b.shared.fenced.load(SeqCst));
    }

    /// An owner that stopped fencing and then sends only whole vectors fences again
    /// once a receiver asks, though no push answers the request.
    #[test]
    fn a_request_seen_at_a_take_makes_pushes_fence_again() {
        let (mut b, s) = batch_fencing(4, Some(1));
        b.push(1);
        assert_eq!(b.take(), [1]);
        if !fence::asymmetric() {
            return; // Pushes always fence here: see the test above.
        }
        assert!(!b.fencing.fenced, "one calm batch of one");
        assert!(!s.ask(), "nothing pending, after a membarrier");
        assert!(b.take().is_empty());
        assert!(b.fencing.fenced && b.shared.fenced.load(SeqCst));
    }

    #[test]
    fn pushes_always_fence_where_receivers_cannot_pay() {
        let (mut b, _s) = batch_fencing(2, None);
        for i in 0..100 {
            b.push(i);
            b.take();
        }
        assert!(b.fencing.fenced && b.shared.fenced.load(SeqCst));
    }

    #[test]
    fn concurrent_stealers_never_duplicate_or_lose_items() {
        const N: usize = 200_000;
        let (mut b, s) = batch::<usize>(16);
        let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let stealers: Vec<_> = (0..2)
            .map(|_| {
                let (s, done) = (s.clone(), done.clone());
                std::thread::spawn(move || {
                    let mut got = Vec::new();
                    while !done.load(SeqCst) {
                        got.extend(s.steal(|| true));
                    }
                    got
                })
            })
            .collect();
        let mut owned = Vec::new();
        for i in 0..if cfg!(miri) { 500 } else { N } {
            if b.is_full() {
                owned.extend(b.take());
            }
            b.push(i);
        }
        owned.extend(b.take());
        done.store(true, SeqCst);
        for s in stealers {
            owned.extend(s.join().unwrap());
        }
        owned.sort_unstable();
        let n = if cfg!(miri) { 500 } else { N };
        assert_eq!(owned, (0..n).collect::<Vec<_>>());
    }
}

/// Model-checked: every interleaving of the owner and its stealers, up to a bound on
/// preemptions (`LOOM_MAX_PREEMPTIONS`, 3 unless set). Run with
/// `RUSTFLAGS="--cfg loom" cargo test -p pipeline-runtime --release --lib loom`.
#[cfg(all(test, loom))]
mod loom_models {
    use super::*;
    use crate::sync::model;
    use loom::sync::{Condvar, Mutex};
    use loom::thread;

    /// Two generations of a batch of two, an owner taking each whole and `stealers`
    /// stealing `attempts` times each: each item arrives exactly once, and a stealer
    /// never reads a slot the owner is rewriting (loom checks every access to them).
    fn every_item_once(stealers: usize, attempts: usize) {
        model(move || {
            let (mut owner, stealer) = batch::<usize>(2);
            let threads: Vec<_> = (0..stealers)
                .map(|_| {
                    let stealer = stealer.clone();
                    thread::spawn(move || {
                        let mut got = Vec::new();
                        for _ in 0..attempts {
                            got.extend(stealer.steal(|| true));
                        }
                        got
                    })
                })
                .collect();
            let mut got = Vec::new();
            for item in 0..4 {
                if owner.is_full() {
                    got.extend(owner.take());
                }
                owner.push(item);
            }
            got.extend(owner.take());
            for thread in threads {
                got.extend(thread.join().unwrap());
            }
            got.sort_unstable();
            assert_eq!(got, [0, 1, 2, 3]);
        });
    }

    #[test]
    fn loom_one_stealer_takes_each_item_once() {
        every_item_once(1, 2);
    }

    #[test]
    fn loom_two_stealers_take_each_item_once() {
        every_item_once(2, 1);
    }

    /// Batches sent by an owner, and the receiver's wake-up.
    type Sent = Arc<(Mutex<Vec<Vec<usize>>>, Condvar)>;

    /// Sends `batch` as an owner does, unless the receiver stole it all.
    fn send(queue: &Sent, batch: Vec<usize>) {
        if !batch.is_empty() {
            let (sent, wake) = &**queue;
            sent.lock().unwrap().push(batch);
            wake.notify_all();
        }
    }

    /// A receiver, until it has `n` items: takes a sent batch, else steals, else asks
    /// and sleeps until a batch is sent (checking under the lock the owner sends
    /// under, as a channel's receive does). `None` if it found the owner not fencing:
    /// it would pay with `membarrier`, which loom cannot model.
    fn receive(queue: &Sent, stealer: &Stealer<usize>, n: usize) -> Option<Vec<usize>> {
        let (sent, wake) = &**queue;
        let mut got = Vec::new();
        while got.len() < n {
            if let Some(batch) = sent.lock().unwrap().pop() {
                got.extend(batch);
                continue;
            }
            let stolen = stealer.steal(|| sent.lock().unwrap().is_empty());
            if !stolen.is_empty() {
                got.extend(stolen);
                continue;
            }
            let mut unmodelled = false;
            let pending = ask_with(std::slice::from_ref(stealer), || {
                unmodelled = true;
                false
            });
            if unmodelled {
                return None;
            }
            if pending {
                continue;
            }
            let mut batches = sent.lock().unwrap();
            while batches.is_empty() {
                batches = wake.wait(batches).unwrap();
            }
        }
        got.sort_unstable();
        Some(got)
    }

    /// The sleep handshake, with the asymmetric fence modelled as a `SeqCst` fence on
    /// both sides (see `fence`). The owner pushes items, sends its batch when it is full or
    /// when a push says a receiver asked (also between a take and the next push),
    /// and then blocks for ever in its own code (it never sends or ends
    /// the stream). A receiver that finds nothing asks, and sleeps on the queue unless
    /// items are pending. Every item must reach it: a lost wake-up leaves the receiver
    /// asleep, which loom reports as a deadlock.
    #[test]
    fn loom_a_pushed_item_reaches_a_sleeping_receiver() {
        model(|| {
            let queue = Arc::new((Mutex::new(Vec::<Vec<usize>>::new()), Condvar::new()));
            let (mut owner, stealer) = batch::<usize>(2);
            let sender = {
                let queue = Arc::clone(&queue);
                thread::spawn(move || {
                    // As a sender does: sends when the batch fills or when asked.
                    for item in 1..4 {
                        if owner.push(item) {
                            send(&queue, owner.take());
                        }
                    }
                    // Blocked in the stage's own code from here on; the batch (and
                    // whatever it still holds) stays pending.
                    owner
                })
            };
            assert_eq!(receive(&queue, &stealer, 3), Some(vec![1, 2, 3]));
            drop(sender.join().unwrap());
        });
    }

    /// The owner stops fencing (after one calm batch) while a receiver asks: the owner
    /// pushes and sends item 1, takes its batch and stops fencing, pushes item 2
    /// without a fence (sending it only if asked), then blocks for ever. A receiver that
    /// finds the owner still fencing relies on plain fences and may sleep: it must get
    /// both items (a lost wake-up is a deadlock). One that finds it not fencing would
    /// pay with `membarrier`, which loom cannot model: that run ends there.
    #[test]
    fn loom_a_receiver_that_finds_the_owner_fencing_misses_no_unfenced_push() {
        model(|| {
            let queue = Arc::new((Mutex::new(Vec::<Vec<usize>>::new()), Condvar::new()));
            let (mut owner, stealer) = batch_fencing::<usize>(2, Some(1));
            let sender = {
                let queue = Arc::clone(&queue);
                thread::spawn(move || {
                    owner.push(1);
                    send(&queue, owner.take());
                    if owner.push(2) {
                        send(&queue, owner.take());
                    }
                    owner
                })
            };
            if let Some(got) = receive(&queue, &stealer, 2) {
                assert_eq!(got, [1, 2]);
            }
            drop(sender.join().unwrap());
        });
    }
}
