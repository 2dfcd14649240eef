//! The batch a sender is filling, which an idle receiver may take before it is full.
//!
//! A worker pushes items one at a time into its own `Pending` with one plain store per
//! item (no read-modify-write), and sends the batch through the queue when it is full
//! or when a receiver sleeps. A receiver that finds the queue empty *steals* what is
//! pending instead of waiting, so an item never waits in a half-full batch while its
//! producer blocks: the log tailer's line reaches the consumer at once.
//!
//! Protocol. `tail` counts the slots the owner has filled; `head` packs a generation
//! with the count of slots claimed so far. Slots `[claimed, tail)` are pending. Owner
//! and stealers claim with a compare-and-swap on `head`, so each slot is read once.
//! After sending a claimed batch the owner starts a new generation, reusing the slots
//! once no stealer is still copying out of them (`stealers`). A stealer's swap fails
//! if the generation moved since it read `head`, so it never claims slots of a
//! generation it did not see.

use std::cell::UnsafeCell;
use std::mem::MaybeUninit;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering::*};

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

pub(crate) struct Pending<T> {
    slots: Box<[UnsafeCell<MaybeUninit<T>>]>,
    head: AtomicU64,
    tail: AtomicUsize,
    stealers: AtomicUsize,
}

// SAFETY: items move between threads (hence `T: Send`); every slot is written by the
// owner before `tail` is released past it and read exactly once, by whoever claims it
// through `head`, and rewritten only after every claimer has finished (`stealers`).
unsafe impl<T: Send> Send for Pending<T> {}
unsafe impl<T: Send> Sync for Pending<T> {}

impl<T> Pending<T> {
    pub(crate) fn new(capacity: usize) -> Self {
        assert!((1..=MAX_BATCH).contains(&capacity));
        Self {
            slots: (0..capacity)
                .map(|_| UnsafeCell::new(MaybeUninit::uninit()))
                .collect(),
            head: AtomicU64::new(0),
            tail: AtomicUsize::new(0),
            stealers: AtomicUsize::new(0),
        }
    }

    pub(crate) fn capacity(&self) -> usize {
        self.slots.len()
    }

    /// Fills slot `index` and publishes it.
    ///
    /// # Safety
    /// Only the owner calls this, with `index` equal to the number of slots it has
    /// filled since the last [`reset`](Self::reset), and below the capacity.
    #[inline]
    pub(crate) unsafe fn write(&self, index: usize, item: T) {
        // SAFETY: by the caller's contract the slot is past `tail`, so nobody reads it.
        unsafe { (*self.slots[index].get()).write(item) };
        self.tail.store(index + 1, Release);
    }

    /// Moves the claimed slots `[from, to)` out.
    ///
    /// # Safety
    /// The caller claimed exactly this range through `head`.
    unsafe fn read(&self, from: usize, to: usize) -> Vec<T> {
        (from..to)
            // SAFETY: claimed slots were written and are read once, by the claimer.
            .map(|i| unsafe { (*self.slots[i].get()).assume_init_read() })
            .collect()
    }

    /// The owner takes every unclaimed item of its first `filled` slots.
    ///
    /// # Safety
    /// Only the owner calls this, with the number of slots it has filled.
    pub(crate) unsafe fn claim_all(&self, filled: usize) -> Vec<T> {
        let mut head = self.head.load(SeqCst);
        loop {
            let (generation, from) = unpack(head);
            if from >= filled {
                return Vec::new();
            }
            match self
                .head
                .compare_exchange_weak(head, pack(generation, filled), SeqCst, SeqCst)
            {
                // SAFETY: the swap claimed `[from, filled)` for us.
                Ok(_) => return unsafe { self.read(from, filled) },
                Err(now) => head = now,
            }
        }
    }

    /// The owner starts a new generation once every slot has been claimed, waiting
    /// for stealers still copying out of the old one.
    ///
    /// # Safety
    /// Only the owner calls this, after [`claim_all`](Self::claim_all).
    pub(crate) unsafe fn reset(&self) {
        while self.stealers.load(SeqCst) != 0 {
            std::hint::spin_loop();
        }
        let (generation, _) = unpack(self.head.load(SeqCst));
        self.tail.store(0, SeqCst);
        self.head.store(pack(generation + 1, 0), SeqCst);
    }

    /// A receiver takes whatever is pending, if `still_empty()` holds after it has
    /// read `head`: a batch the owner sent before then is in the queue and must be
    /// received first, to keep the owner's order.
    pub(crate) fn steal(&self, still_empty: impl FnOnce() -> bool) -> Vec<T> {
        self.stealers.fetch_add(1, SeqCst);
        let head = self.head.load(SeqCst);
        let (generation, from) = unpack(head);
        let to = self.tail.load(SeqCst);
        let stolen = if to > from
            && still_empty()
            && self
                .head
                .compare_exchange(head, pack(generation, to), SeqCst, SeqCst)
                .is_ok()
        {
            // SAFETY: the swap claimed `[from, to)`; the generation did not change since
            // `tail` was read, so those slots are this generation's, written and
            // published by the owner.
            unsafe { self.read(from, to) }
        } else {
            Vec::new()
        };
        self.stealers.fetch_sub(1, SeqCst);
        stolen
    }
}

impl<T> Drop for Pending<T> {
    fn drop(&mut self) {
        let (_, from) = unpack(*self.head.get_mut());
        let to = *self.tail.get_mut();
        for slot in &mut self.slots[from.min(to)..to] {
            // SAFETY: unclaimed published slots hold items nobody else will read.
            unsafe { slot.get_mut().assume_init_drop() };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn owner_and_stealer_each_get_every_item_once() {
        let p = Arc::new(Pending::new(8));
        unsafe {
            p.write(0, String::from("a"));
            p.write(1, String::from("b"));
        }
        assert_eq!(p.steal(|| true), vec!["a", "b"]);
        assert!(p.steal(|| true).is_empty());
        unsafe { p.write(2, String::from("c")) };
        assert!(
            p.steal(|| false).is_empty(),
            "a busy queue is received first"
        );
        assert_eq!(unsafe { p.claim_all(3) }, vec!["c"]);
        unsafe { p.reset() };
        unsafe { p.write(0, String::from("d")) };
        drop(p); // drops the unclaimed "d"
    }

    #[test]
    fn concurrent_stealers_never_duplicate_or_lose_items() {
        const N: usize = 200_000;
        let p = Arc::new(Pending::<usize>::new(16));
        let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let stealers: Vec<_> = (0..2)
            .map(|_| {
                let (p, done) = (p.clone(), done.clone());
                std::thread::spawn(move || {
                    let mut got = Vec::new();
                    while !done.load(SeqCst) {
                        got.extend(p.steal(|| true));
                    }
                    got
                })
            })
            .collect();
        let mut owned = Vec::new();
        let mut filled = 0;
        for i in 0..N {
            if filled == p.capacity() {
                owned.extend(unsafe { p.claim_all(filled) });
                unsafe { p.reset() };
                filled = 0;
            }
            unsafe { p.write(filled, i) };
            filled += 1;
        }
        owned.extend(unsafe { p.claim_all(filled) });
        done.store(true, SeqCst);
        for s in stealers {
            owned.extend(s.join().unwrap());
        }
        owned.sort_unstable();
        assert_eq!(owned, (0..N).collect::<Vec<_>>());
    }
}
