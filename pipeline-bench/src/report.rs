//! Timing, medians, checks and the markdown the program prints.

use std::time::{Duration, Instant};

/// What a variant is, for the ratios: the sequential reference, this project, or a peer.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Kind {
    Sequential,
    Project,
    Peer,
}

/// The timings of a workload's variants.
pub struct Samples {
    workload: String,
    variants: Vec<(Kind, String)>,
    times: Vec<Vec<Duration>>,
}

impl Samples {
    pub fn new(workload: &str, variants: Vec<(Kind, &str)>) -> Samples {
        Samples {
            workload: workload.to_owned(),
            times: vec![Vec::new(); variants.len()],
            variants: variants
                .into_iter()
                .map(|(k, n)| (k, n.to_owned()))
                .collect(),
        }
    }

    /// Runs every variant `reps` times, round-robin, starting one further along each
    /// repetition. `f(i)` runs variant `i` and returns its result and the sequential
    /// answer; a difference exits non-zero.
    pub fn run(&mut self, reps: usize, mut f: impl FnMut(usize) -> (u64, u64)) {
        let n = self.variants.len();
        for rep in 0..reps {
            for k in 0..n {
                let i = (rep + k) % n;
                let t = Instant::now();
                let (got, want) = f(i);
                let elapsed = t.elapsed();
                eprintln!(
                    "{}: rep {}/{}: {}: {elapsed:.1?}",
                    self.workload,
                    rep + 1,
                    reps,
                    self.variants[i].1
                );
                if got != want {
                    crate::mismatch(
                        &format!("{}, {}", self.workload, self.variants[i].1),
                        got,
                        want,
                    );
                }
                self.times[i].push(elapsed);
            }
        }
    }

    /// Adds a variant.
    pub fn push(&mut self, kind: Kind, name: &str) {
        self.variants.push((kind, name.to_owned()));
        self.times.push(Vec::new());
    }

    pub fn len(&self) -> usize {
        self.variants.len()
    }

    pub fn name(&self, v: usize) -> &str {
        &self.variants[v].1
    }

    pub fn median(&self, v: usize) -> Duration {
        let mut t = self.times[v].clone();
        t.sort_unstable();
        match t.len() {
            0 => Duration::ZERO,
            n if n % 2 == 1 => t[n / 2],
            n => (t[n / 2 - 1] + t[n / 2]) / 2,
        }
    }

    /// The fastest peer (the sequential reference is not a peer here).
    pub fn best_peer(&self) -> usize {
        (0..self.len())
            .filter(|&v| self.variants[v].0 == Kind::Peer)
            .min_by_key(|&v| self.median(v))
            .expect("a workload with no peer")
    }

    /// The sequential variant's median time over this variant's.
    pub fn speedup(&self, v: usize) -> f64 {
        let seq = (0..self.len())
            .find(|&v| self.variants[v].0 == Kind::Sequential)
            .expect("a workload with no sequential variant");
        self.median(seq).as_secs_f64() / self.median(v).as_secs_f64().max(1e-12)
    }
}

/// The targets of the design, each with what was measured.
#[derive(Default)]
pub struct Targets {
    rows: Vec<(String, String, String, bool)>,
}

impl Targets {
    pub fn add(&mut self, what: &str, measured: String, target: &str, holds: bool) {
        self.rows
            .push((what.to_owned(), measured, target.to_owned(), holds));
    }

    pub fn print(&self) {
        println!("## Targets\n");
        println!("| target | measured | wanted | holds |");
        println!("|---|---:|---:|:---:|");
        for (what, measured, target, holds) in &self.rows {
            let verdict = if *holds { "yes" } else { "**no**" };
            println!("| {what} | {measured} | {target} | {verdict} |");
        }
        println!();
    }
}

/// Milliseconds, with enough digits to compare.
pub fn fmt_ms(d: Duration) -> String {
    let ms = d.as_secs_f64() * 1e3;
    if ms >= 100.0 {
        format!("{ms:.0}")
    } else if ms >= 10.0 {
        format!("{ms:.1}")
    } else {
        format!("{ms:.2}")
    }
}

/// `a / b` as a factor.
pub fn fmt_ratio(a: Duration, b: Duration) -> String {
    format!("{:.2}×", a.as_secs_f64() / b.as_secs_f64().max(1e-12))
}

/// `10 M`, `200 k`, `500`.
pub fn count(n: u64) -> String {
    if n >= 1_000_000 && n % 1_000_000 == 0 {
        format!("{} M", n / 1_000_000)
    } else if n >= 1_000 && n % 1_000 == 0 {
        format!("{} k", n / 1_000)
    } else {
        n.to_string()
    }
}

/// One step of an order-sensitive digest: any reordering changes the result.
pub fn digest_step(h: u64, x: u64) -> u64 {
    h.wrapping_mul(0x0000_0100_0000_01b3).wrapping_add(x)
}

/// Workload 1's answer in closed form: the sum of `4k + 1` for the `m` even `x = 2k`
/// below `n`.
pub fn trivial_answer(n: u64) -> u64 {
    let m = n.div_ceil(2);
    2 * m * m.saturating_sub(1) + m
}

/// The `p`th percentile of sorted samples (nearest rank).
pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closed_form_matches_the_chain() {
        for n in [0, 1, 2, 3, 10, 11, 1000, 1001] {
            let chain: u64 = (0..n).map(|x| x * 2 + 1).filter(|y| y % 4 == 1).sum();
            assert_eq!(trivial_answer(n), chain, "n = {n}");
        }
    }

    #[test]
    fn percentiles_by_nearest_rank() {
        let d: Vec<Duration> = (1..=100).map(Duration::from_micros).collect();
        assert_eq!(percentile(&d, 50.0), Duration::from_micros(50));
        assert_eq!(percentile(&d, 99.0), Duration::from_micros(99));
        assert_eq!(percentile(&d[..1], 99.0), Duration::from_micros(1));
    }
}
