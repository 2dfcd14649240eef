//! The variants of a workload, each known by a short name: a table of them over one
//! context, timed interleaved and checked, and the samples looked up by name.

use std::time::{Duration, Instant};

/// What a variant is, for the ratios: the sequential reference, this project, or a peer.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Kind {
    Sequential,
    Project,
    Peer,
}

/// One way of running a workload over its context `C` (the size, the workers, the
/// answers).
pub struct Variant<C> {
    /// Short and stable, such as `crossbeam-batches`: how the tables, the targets and
    /// the child processes (`--child WORKLOAD VARIANT ITEMS`) refer to it.
    pub name: &'static str,
    pub kind: Kind,
    /// What the printed tables call it.
    pub label: &'static str,
    /// Runs the variant once; returns its result.
    pub run: fn(&C) -> u64,
    /// The answer `run` must return, computed without running the variant.
    pub want: fn(&C) -> u64,
}

/// A workload's variants over one context, in the order they are printed.
pub struct Table<C> {
    /// The workload's name (`chain`, `empty`...).
    pub workload: &'static str,
    pub ctx: C,
    pub variants: Vec<Variant<C>>,
}

impl<C> Table<C> {
    /// The variant called `name`.
    pub fn get(&self, name: &str) -> Option<&Variant<C>> {
        self.variants.iter().find(|v| v.name == name)
    }

    /// Runs every variant `reps` times, round-robin, starting one further along each
    /// repetition, and checks each result against the variant's answer (a difference
    /// exits non-zero).
    pub fn measure(&self, reps: usize) -> Samples {
        let mut samples = Samples {
            workload: self.workload,
            rows: self
                .variants
                .iter()
                .map(|v| Row {
                    name: v.name,
                    kind: v.kind,
                    label: v.label,
                    times: Vec::with_capacity(reps),
                })
                .collect(),
        };
        let n = self.variants.len();
        for rep in 0..reps {
            for k in 0..n {
                let i = (rep + k) % n;
                let v = &self.variants[i];
                warm_up();
                let t = Instant::now();
                let got = (v.run)(&self.ctx);
                let elapsed = t.elapsed();
                eprintln!(
                    "{}: rep {}/{reps}: {}: {elapsed:.1?}",
                    self.workload,
                    rep + 1,
                    v.name
                );
                let want = (v.want)(&self.ctx);
                if got != want {
                    crate::mismatch(&format!("{}, {}", self.workload, v.name), got, want);
                }
                samples.rows[i].times.push(elapsed);
            }
        }
        samples
    }
}

/// A table with its context hidden, for the child processes: what `--child` runs.
pub trait Runnable {
    /// The names of the variants, in order.
    fn names(&self) -> Vec<&'static str>;
    /// What the variant is, or `None` if there is no such variant.
    fn kind(&self, name: &str) -> Option<Kind>;
    /// What the printed tables call the variant, or `None` if there is no such variant.
    fn label(&self, name: &str) -> Option<&'static str>;
    /// Runs the variant once, or `None` if there is no such variant.
    fn run(&self, name: &str) -> Option<u64>;
    /// The variant's answer, or `None` if there is no such variant.
    fn want(&self, name: &str) -> Option<u64>;
}

impl<C> Runnable for Table<C> {
    fn names(&self) -> Vec<&'static str> {
        self.variants.iter().map(|v| v.name).collect()
    }

    fn kind(&self, name: &str) -> Option<Kind> {
        self.get(name).map(|v| v.kind)
    }

    fn label(&self, name: &str) -> Option<&'static str> {
        self.get(name).map(|v| v.label)
    }

    fn run(&self, name: &str) -> Option<u64> {
        self.get(name).map(|v| (v.run)(&self.ctx))
    }

    fn want(&self, name: &str) -> Option<u64> {
        self.get(name).map(|v| (v.want)(&self.ctx))
    }
}

struct Row {
    name: &'static str,
    kind: Kind,
    label: &'static str,
    times: Vec<Duration>,
}

/// The timings of a workload's variants, by name.
pub struct Samples {
    workload: &'static str,
    rows: Vec<Row>,
}

impl Samples {
    fn row(&self, name: &str) -> &Row {
        self.rows
            .iter()
            .find(|r| r.name == name)
            .unwrap_or_else(|| panic!("workload {} has no variant `{name}`", self.workload))
    }

    /// The variants' names, in table order.
    pub fn names(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.rows.iter().map(|r| r.name)
    }

    /// What the printed tables call the variant.
    pub fn label(&self, name: &str) -> &'static str {
        self.row(name).label
    }

    /// The median time of the variant.
    pub fn median(&self, name: &str) -> Duration {
        let mut t = self.row(name).times.clone();
        t.sort_unstable();
        match t.len() {
            0 => Duration::ZERO,
            n if n % 2 == 1 => t[n / 2],
            n => (t[n / 2 - 1] + t[n / 2]) / 2,
        }
    }

    /// `a`'s median time over `b`'s.
    pub fn ratio(&self, a: &str, b: &str) -> f64 {
        self.median(a).as_secs_f64() / self.median(b).as_secs_f64().max(1e-12)
    }

    /// The fastest peer (the sequential reference is not a peer here).
    pub fn best_peer(&self) -> &'static str {
        self.rows
            .iter()
            .filter(|r| r.kind == Kind::Peer)
            .min_by_key(|r| self.median(r.name))
            .map(|r| r.name)
            .unwrap_or_else(|| panic!("workload {} has no peer", self.workload))
    }

    /// The sequential variant's median time over this variant's.
    pub fn speedup(&self, name: &str) -> f64 {
        let seq = self
            .rows
            .iter()
            .find(|r| r.kind == Kind::Sequential)
            .unwrap_or_else(|| panic!("workload {} has no sequential variant", self.workload));
        self.ratio(seq.name, name)
    }
}

/// Keeps every CPU busy for a moment before a variant is timed. Without it, the
/// variant that follows the single-threaded sequential run (the same one every
/// repetition) found the other CPU slow to come back into use: on this VM the
/// parallel variant timed right after it took 10 to 30% longer in some
/// repetitions, and only that one.
pub fn warm_up() {
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    let until = Instant::now() + std::time::Duration::from_millis(20);
    std::thread::scope(|scope| {
        for _ in 0..cpus {
            scope.spawn(|| {
                while Instant::now() < until {
                    std::hint::spin_loop();
                }
            });
        }
    });
}
