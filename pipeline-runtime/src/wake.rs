//! Threads asleep until another thread wakes them: a reader waiting for a batch is
//! woken by the sender that sends one, by the last sender leaving, or by whatever
//! stops its worker.
//!
//! Why not a channel `select` on everything a reader waits for: whoever sends into a
//! crossbeam channel wakes its waiting receiver while still holding the channel's
//! waker lock, and a receiver woken from a `select` must take that very lock to
//! unregister. On a machine with few cores the woken thread runs at once, finds the
//! lock held, and sleeps on it until the sender lets it go: a second wake-up on every
//! hand-over, which doubled the latency of an item through an idle stage. Here a
//! waker takes the thread out of the list under the lock and unparks it after.
//!
//! The handshake, with a `SeqCst` fence on each side:
//!
//! - the sleeper ([`sleep_on`]): add itself to every list it sleeps on, fence, look
//!   once more at what it waits for (the queue, the flag), and park only if there is
//!   still nothing;
//! - the waker: make the change (send the batch, raise the flag), fence, and look at
//!   the count of sleepers.
//!
//! Whichever fence comes second, its thread sees the other's change: either the
//! sleeper sees the batch and does not park, or the waker sees the sleeper and
//! unparks it. A thread's park token is kept if the unpark comes before the park, so
//! that order is covered too. Spurious wake-ups are harmless: the sleeper looks again.

use crate::spin::Running;
use crate::sync::{fence, thread, AtomicUsize, Mutex};
use std::sync::atomic::Ordering::{Relaxed, SeqCst};

/// The threads asleep on one thing (a queue's next batch, a worker's stop flag).
pub(crate) struct Sleepers {
    /// How many threads are in `threads`: read by wakers without the lock, so that
    /// waking nobody costs a fence and a load. Changed under the lock; `Relaxed`,
    /// since the fences of the handshake order it (see the module docs) and the lock
    /// orders the list.
    asleep: AtomicUsize,
    threads: Mutex<Vec<thread::Thread>>,
}

impl Sleepers {
    pub(crate) fn new() -> Self {
        Self {
            asleep: AtomicUsize::new(0),
            threads: Mutex::new(Vec::new()),
        }
    }

    /// The list; whoever holds the lock never panics, so a poisoned lock is fine.
    fn lock(&self) -> impl std::ops::DerefMut<Target = Vec<thread::Thread>> + '_ {
        self.threads
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Registers `me`, the current thread, about to park (see [`sleep_on`]).
    fn add(&self, me: &thread::Thread) {
        let mut threads = self.lock();
        threads.push(me.clone());
        self.asleep.store(threads.len(), Relaxed);
    }

    /// Unregisters `me`, if no waker has taken it out already. Keeps the order in
    /// which the others slept (see [`wake_one`](Self::wake_one)).
    fn remove(&self, me: &thread::Thread) {
        let mut threads = self.lock();
        if let Some(at) = threads.iter().position(|t| t.id() == me.id()) {
            threads.remove(at);
            self.asleep.store(threads.len(), Relaxed);
        }
    }

    /// Wakes one sleeper, the one that slept last (its cache is the warmest), after
    /// the change it may be waiting for.
    #[inline]
    pub(crate) fn wake_one(&self) {
        fence(SeqCst);
        if self.asleep.load(Relaxed) != 0 {
            self.wake(false);
        }
    }

    /// Wakes every sleeper, after the change they may be waiting for.
    #[inline]
    pub(crate) fn wake_all(&self) {
        fence(SeqCst);
        if self.asleep.load(Relaxed) != 0 {
            self.wake(true);
        }
    }

    #[cold]
    fn wake(&self, all: bool) {
        let woken: Vec<thread::Thread> = {
            let mut threads = self.lock();
            let from = if all {
                0
            } else {
                threads.len().saturating_sub(1)
            };
            let woken = threads.split_off(from);
            self.asleep.store(threads.len(), Relaxed);
            woken
        };
        // Unparked after the lock is let go: a woken thread that removes itself does
        // not find it held.
        for thread in woken {
            thread.unpark();
        }
    }
}

/// Sleeps on every list of `lists` until woken, unless `ready()` holds once the
/// thread is on them: the sleeper's half of the handshake (see the module docs).
/// `ready` looks at everything a waker on these lists changes before it wakes. Returns
/// after a wake-up, or at once if ready, or spuriously: the caller looks again.
pub(crate) fn sleep_on(lists: &[&Sleepers], ready: impl FnOnce() -> bool) {
    let me = thread::current();
    for list in lists {
        list.add(&me);
    }
    // Pairs with the fence of `wake_one` and `wake_all`.
    fence(SeqCst);
    if !ready() {
        Running::asleep(thread::park);
    }
    for list in lists {
        list.remove(&me);
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicBool;
    use std::sync::Arc;

    /// Sleeps, by the handshake, until `ready` holds.
    fn sleep_until(ready: &AtomicBool, sleepers: &Sleepers) {
        while !ready.load(Relaxed) {
            sleep_on(&[sleepers], || ready.load(Relaxed));
        }
    }

    #[test]
    fn every_sleeper_wakes_and_none_is_left_listed() {
        let shared = Arc::new((AtomicBool::new(false), Sleepers::new()));
        let sleepers: Vec<_> = (0..3)
            .map(|_| {
                let shared = Arc::clone(&shared);
                std::thread::spawn(move || sleep_until(&shared.0, &shared.1))
            })
            .collect();
        let (ready, list) = &*shared;
        ready.store(true, Relaxed);
        list.wake_all();
        for sleeper in sleepers {
            sleeper.join().unwrap();
        }
        assert_eq!(list.asleep.load(Relaxed), 0);
        assert!(list.lock().is_empty());
    }

    #[test]
    fn wake_one_takes_the_last_sleeper_off_the_list() {
        let list = Sleepers::new();
        let other = std::thread::spawn(|| {});
        let other_thread = other.thread().clone();
        other.join().unwrap();
        let me = thread::current();
        list.add(&other_thread);
        list.add(&me);
        assert_eq!(list.asleep.load(Relaxed), 2);
        // Takes off this very thread, the last to sleep, and unparks it: its next
        // park returns at once.
        list.wake_one();
        assert_eq!(list.asleep.load(Relaxed), 1);
        let left: Vec<_> = list.lock().iter().map(|t| t.id()).collect();
        assert_eq!(left, [other_thread.id()]);
        thread::park();
        // Already taken off by the waker: nothing to remove.
        list.remove(&me);
        assert_eq!(list.asleep.load(Relaxed), 1);
        list.remove(&other_thread);
        assert!(list.lock().is_empty());
    }
}

/// Model-checked: every interleaving of sleepers and wakers, up to a bound on
/// preemptions (`LOOM_MAX_PREEMPTIONS`, 3 unless set). A lost wake-up leaves a thread
/// parked for ever, which loom reports as a deadlock. Run with
/// `RUSTFLAGS="--cfg loom" cargo test -p pipeline-runtime --release --lib loom`.
#[cfg(all(test, loom))]
mod loom_models {
    use super::*;
    use crate::sync::{model, Arc, AtomicBool};
    use loom::thread;

    /// What the sleepers wait for: items to take, as a queue's batches.
    struct Items {
        left: AtomicUsize,
        sleepers: Sleepers,
    }

    impl Items {
        /// Takes an item, sleeping until there is one, as a reader does.
        fn take(&self) {
            loop {
                let left = self.left.load(Relaxed);
                if left != 0 {
                    if self
                        .left
                        .compare_exchange(left, left - 1, Relaxed, Relaxed)
                        .is_ok()
                    {
                        return;
                    }
                    continue;
                }
                sleep_on(&[&self.sleepers], || self.left.load(Relaxed) != 0);
            }
        }

        /// Adds an item and wakes a sleeper, as a sender does.
        fn give(&self) {
            self.left.fetch_add(1, Relaxed);
            self.sleepers.wake_one();
        }
    }

    fn takers(items: &Arc<Items>, n: usize) -> Vec<thread::JoinHandle<()>> {
        (0..n)
            .map(|_| {
                let items = Arc::clone(items);
                thread::spawn(move || items.take())
            })
            .collect()
    }

    fn items() -> Arc<Items> {
        Arc::new(Items {
            left: AtomicUsize::new(0),
            sleepers: Sleepers::new(),
        })
    }

    /// One reader, one item sent while it falls asleep.
    #[test]
    fn loom_a_sent_item_wakes_the_sleeping_reader() {
        model(|| {
            let items = items();
            let readers = takers(&items, 1);
            items.give();
            for reader in readers {
                reader.join().unwrap();
            }
        });
    }

    /// Two readers, two items sent one at a time: waking one reader a send is enough,
    /// even when the woken one is not the one that takes the item.
    #[test]
    fn loom_each_sent_item_wakes_a_reader() {
        model(|| {
            let items = items();
            let readers = takers(&items, 2);
            items.give();
            items.give();
            for reader in readers {
                reader.join().unwrap();
            }
        });
    }

    /// Two readers asleep on a flag: raising it wakes both, as a stop does.
    #[test]
    fn loom_a_raised_flag_wakes_every_sleeper() {
        model(|| {
            let flag = Arc::new((AtomicBool::new(false), Sleepers::new()));
            let sleepers: Vec<_> = (0..2)
                .map(|_| {
                    let flag = Arc::clone(&flag);
                    thread::spawn(move || {
                        let (raised, sleepers) = &*flag;
                        while !raised.load(Relaxed) {
                            sleep_on(&[sleepers], || raised.load(Relaxed));
                        }
                    })
                })
                .collect();
            flag.0.store(true, Relaxed);
            flag.1.wake_all();
            for sleeper in sleepers {
                sleeper.join().unwrap();
            }
        });
    }

    /// A bounded queue of `cap` items whose senders, once asleep on it full, sleep
    /// until it is down to `room_at`, as a queue's senders do.
    struct Bounded {
        len: AtomicUsize,
        cap: usize,
        room_at: usize,
        room: Sleepers,
    }

    impl Bounded {
        /// Adds an item, sleeping while the queue is full.
        fn push(&self) {
            loop {
                let len = self.len.load(Relaxed);
                if len < self.cap {
                    if self
                        .len
                        .compare_exchange(len, len + 1, Relaxed, Relaxed)
                        .is_ok()
                    {
                        return;
                    }
                    continue;
                }
                sleep_on(&[&self.room], || self.len.load(Relaxed) <= self.room_at);
            }
        }

        /// Takes an item if there is one, and wakes a sender once the queue is down
        /// to `room_at`.
        fn take(&self) -> bool {
            loop {
                let len = self.len.load(Relaxed);
                if len == 0 {
                    return false;
                }
                if self
                    .len
                    .compare_exchange(len, len - 1, Relaxed, Relaxed)
                    .is_ok()
                {
                    if len - 1 <= self.room_at {
                        self.room.wake_one();
                    }
                    return true;
                }
            }
        }
    }

    /// A sender asleep on a full queue of 2 that wakes only at 1 left: the reader's
    /// take that leaves 1 wakes it, whenever the sender falls asleep.
    #[test]
    fn loom_a_sender_asleep_on_a_full_queue_is_woken_at_its_mark() {
        model(|| {
            let queue = Arc::new(Bounded {
                len: AtomicUsize::new(0),
                cap: 2,
                room_at: 1,
                room: Sleepers::new(),
            });
            let sender = {
                let queue = Arc::clone(&queue);
                thread::spawn(move || {
                    for _ in 0..3 {
                        queue.push();
                    }
                })
            };
            let mut taken = 0;
            while taken < 3 {
                if queue.take() {
                    taken += 1;
                } else {
                    thread::yield_now();
                }
            }
            sender.join().unwrap();
        });
    }
}
