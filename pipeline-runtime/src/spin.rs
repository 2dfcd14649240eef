//! How a worker waits a moment before it sleeps: for a batch in an empty queue
//! ([`Waiter::park`](crate::queue::Waiter::park)), for room in a full one, and for an
//! ordered stage's earlier results.
//!
//! Each of those waits is usually over within moments, while a sleep and the wake-up
//! that ends it cost tens of µs on a small VM: so a worker first spins, then yields its
//! CPU a few times, looking between each, and only then sleeps until woken (see
//! [`wake`](crate::wake)). [`Spin`] is that moment; each wait has its own steps.
//!
//! On a busy machine a yield can hand the CPU to another program for a whole time
//! slice (1–4 ms). A reader then stops yielding once its yields took [`GAVE_AWAY`]
//! together, and takes what senders have pending (asking and sleeping if there is
//! nothing): the next item of a trickle may be waiting in a sender's batch, where
//! yielding again would not find it. Through three stages beside two spinning threads
//! on 2 cores, an item took 9.6 ms (median) with 4 yields every time, 5.9 ms with
//! this. The other two waits yield on (see [`Spin::for_turn`]).
//!
//! Spinning only helps where the thread waited for runs on another CPU meanwhile. Where
//! the process has more pipeline threads running than CPUs (four threads of a 2-worker
//! stage on a 2-core machine), it may be waiting for the CPU the spinner holds: a
//! waiting worker then skips the spins and yields at once ([`Running`]). On the VM of
//! `BENCHMARKS.md` (15 alternating runs each), that took the empty stage from 12.9 to
//! 11.4 ns an item (medians), the ordered one from 16.5 to 15.4, and the trivial chain
//! from 15.2 to 12.2; `count_to => total`, two threads on two CPUs, keeps its spins,
//! without which it ran slower.

use std::sync::atomic::{AtomicIsize, Ordering::Relaxed};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// Pipeline threads of this process that are running: started and not asleep (see
/// [`Running`]). A worker blocked elsewhere (in its stage's own I/O, or on the pipe to
/// its child process) still counts: the others then spin less, never more. Signed: a
/// thread that is not a worker's may sleep too (it takes itself off and puts itself
/// back). `Relaxed`: it only steers whether to spin.
static RUNNING: AtomicIsize = AtomicIsize::new(0);

/// A worker's thread, counted among the [`RUNNING`] while this lives, but for its
/// sleeps ([`Running::asleep`]).
#[derive(Debug)]
pub(crate) struct Running(());

impl Running {
    /// Counts the calling thread, until the value is dropped.
    pub(crate) fn start() -> Self {
        RUNNING.fetch_add(1, Relaxed);
        Running(())
    }

    /// Runs `sleep` with the calling thread not counted meanwhile.
    pub(crate) fn asleep<R>(sleep: impl FnOnce() -> R) -> R {
        RUNNING.fetch_sub(1, Relaxed);
        let woken = sleep();
        RUNNING.fetch_add(1, Relaxed);
        woken
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        RUNNING.fetch_sub(1, Relaxed);
    }
}

/// Whether more pipeline threads run than the process has CPUs.
fn crowded() -> bool {
    static CPUS: OnceLock<isize> = OnceLock::new();
    let cpus = *CPUS.get_or_init(|| {
        std::thread::available_parallelism().map_or(1, |n| n.get().try_into().unwrap_or(isize::MAX))
    });
    RUNNING.load(Relaxed) > cpus
}

/// Yields that took this long together gave the CPU to another thread for a time
/// slice: the machine is busy. On a quiet machine the yields take a few µs in all, and
/// a pipeline's own threads that run meanwhile send their batches well within it.
const GAVE_AWAY: Duration = Duration::from_micros(500);

/// One moment of waiting: call [`wait`](Self::wait) between looks until it says the
/// moment is over. Each wait has its own, measured, steps: see the constructors.
#[derive(Debug)]
pub(crate) struct Spin {
    step: u32,
    /// Spins 1, 2, 4, … and `1 << spin_steps` times, then yields.
    spin_steps: u32,
    yields: u32,
    busy: Busy,
}

/// Whether a wait ends once its yields gave the CPU away.
#[derive(Debug, PartialEq)]
enum Busy {
    /// It yields every time.
    Ignored,
    /// It ends: when the first yield started, once it has. The clock is read only
    /// once the spinning is over, where each yield is a system call anyway: a wait
    /// that ends while spinning costs nothing more.
    Watched(Option<Instant>),
}

impl Spin {
    /// A reader's wait for a batch: 7 spins (the last of 64 spin-loop hints), up to 4
    /// yields, and no more yields once they gave the CPU away. A reader has something
    /// better to do then than to yield again: take what senders have pending.
    pub(crate) fn for_input() -> Self {
        Self {
            busy: Busy::Watched(None),
            ..Self::steps(6, 4)
        }
    }

    /// A sender's wait for room in a full queue: 6 spins (the last of 32), 6 yields.
    pub(crate) fn for_room() -> Self {
        Self::steps(5, 6)
    }

    /// An ordered stage's worker waiting for the others' earlier results: 7 spins, 4
    /// yields.
    ///
    /// This wait and the one for room yield on where a reader stops: what they wait
    /// for is another of the pipeline's threads, not an item left in a batch, and a
    /// reader's rule made no difference measured for them (an empty stage, ordered and
    /// not, on a quiet machine and beside two spinning processes).
    pub(crate) fn for_turn() -> Self {
        Self::steps(6, 4)
    }

    fn steps(spin_steps: u32, yields: u32) -> Self {
        Self {
            step: 0,
            spin_steps,
            yields,
            busy: Busy::Ignored,
        }
    }

    /// Waits a little: a spin, longer at each call, then a yield of the CPU. False,
    /// at once, when the moment is over (every spin and yield made, or the yields gave
    /// the CPU away): the caller should look once more and then sleep. No spins where
    /// more pipeline threads run than there are CPUs (see the module docs).
    #[inline]
    pub(crate) fn wait(&mut self) -> bool {
        self.wait_unless(crowded)
    }

    /// [`wait`](Self::wait), skipping the spins if `crowded()` says so at the first.
    fn wait_unless(&mut self, crowded: impl FnOnce() -> bool) -> bool {
        if self.step == 0 && crowded() {
            self.step = self.spin_steps + 1;
        }
        if self.step <= self.spin_steps {
            for _ in 0..1u32 << self.step {
                std::hint::spin_loop();
            }
            self.step += 1;
            return true;
        }
        if self.step > self.spin_steps + self.yields {
            return false;
        }
        match &mut self.busy {
            Busy::Watched(since @ None) => *since = Some(Instant::now()),
            Busy::Watched(Some(since)) if since.elapsed() >= GAVE_AWAY => return false,
            _ => {}
        }
        std::thread::yield_now();
        self.step += 1;
        true
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    /// How many times `spin` waits before its moment is over, in a process that is
    /// `crowded` or not; it stays over.
    fn waits_if(crowded: bool, mut spin: Spin) -> u32 {
        let mut waits = 0;
        while spin.wait_unless(|| crowded) {
            waits += 1;
            assert!(waits <= 100, "the moment never ends");
        }
        assert!(!spin.wait_unless(|| crowded), "a moment over stays over");
        waits
    }

    fn waits(spin: Spin) -> u32 {
        waits_if(false, spin)
    }

    /// The waits for room and for a turn keep the steps they were measured with,
    /// however long their yields take.
    #[test]
    fn waits_for_room_and_for_a_turn_spin_then_yield_a_fixed_number_of_times() {
        assert_eq!(waits(Spin::for_room()), 6 + 6);
        assert_eq!(waits(Spin::for_turn()), 7 + 4);
    }

    /// Where more pipeline threads run than there are CPUs, a wait yields at once.
    #[test]
    fn a_crowded_process_yields_without_spinning() {
        assert_eq!(waits_if(true, Spin::for_room()), 6);
        assert_eq!(waits_if(true, Spin::for_turn()), 4);
        let mut spin = Spin::for_input();
        assert!(spin.wait_unless(|| true));
        assert!(
            matches!(spin.busy, Busy::Watched(Some(_))),
            "the first wait was a yield"
        );
    }

    /// A reader's yields may end early where the machine is busy, never its spins; it
    /// reads the clock only once the spinning is over.
    #[test]
    fn a_reader_spins_seven_times_then_yields_at_most_four() {
        let mut spin = Spin::for_input();
        for _ in 0..7 {
            assert!(spin.wait_unless(|| false));
        }
        assert_eq!(
            spin.busy,
            Busy::Watched(None),
            "the clock was read while spinning"
        );
        assert!((0..=4).contains(&waits(spin)));
    }
}
