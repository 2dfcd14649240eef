//! The markdown the program prints: numbered sections, tables, the targets, and the
//! helpers that format and check numbers.

use crate::variants::Samples;
use std::time::Duration;

/// What the run has printed so far: the number of the section being printed, the
/// targets of the design with what was measured, and each timed variant's time per
/// item (for later sections to print beside their own numbers).
#[derive(Default)]
pub struct Report {
    section: usize,
    targets: Vec<(String, String, String, bool)>,
    per_item: Vec<PerItem>,
}

/// A timed variant's median time per item.
struct PerItem {
    section: usize,
    workload: &'static str,
    variant: &'static str,
    ns: f64,
}

impl Report {
    /// Starts section `number` (the workload's place in the list, from 1).
    pub fn start(&mut self, number: usize) {
        self.section = number;
    }

    /// Prints the section's heading, numbered.
    pub fn heading(&self, title: &str) {
        println!("## {}. {title}\n", self.section);
    }

    /// Adds a target of the design, numbered with the section.
    pub fn target(&mut self, what: &str, measured: String, wanted: &str, holds: bool) {
        self.targets.push((
            format!("{}. {what}", self.section),
            measured,
            wanted.to_owned(),
            holds,
        ));
    }

    /// Keeps each variant's median time per item, over `n` items.
    pub fn keep(&mut self, workload: &'static str, s: &Samples, n: u64) {
        for variant in s.names() {
            self.per_item.push(PerItem {
                section: self.section,
                workload,
                variant,
                ns: s.median(variant).as_nanos() as f64 / n as f64,
            });
        }
    }

    /// A variant's median time per item, and its section, if this run timed it.
    pub fn ns_per_item(&self, workload: &str, variant: &str) -> Option<(usize, f64)> {
        self.per_item
            .iter()
            .find(|p| p.workload == workload && p.variant == variant)
            .map(|p| (p.section, p.ns))
    }

    /// Prints the targets measured, if any.
    pub fn print_targets(&self) {
        if self.targets.is_empty() {
            return;
        }
        println!("## Targets\n");
        println!("| target | measured | wanted | holds |");
        println!("|---|---:|---:|:---:|");
        for (what, measured, target, holds) in &self.targets {
            let verdict = if *holds { "yes" } else { "**no**" };
            println!("| {what} | {measured} | {target} | {verdict} |");
        }
        println!();
    }
}

/// Prints a time table: each variant's median, time per item and time over the best
/// peer's.
pub fn print_times(s: &Samples, n: u64) {
    let best = s.best_peer();
    println!(
        "| variant | median ms | ns/item | × best peer ({}) |",
        s.label(best)
    );
    println!("|---|---:|---:|---:|");
    for v in s.names() {
        println!(
            "| {} | {} | {:.1} | {} |",
            s.label(v),
            fmt_ms(s.median(v)),
            s.median(v).as_nanos() as f64 / n as f64,
            fmt_ratio(s.median(v), s.median(best))
        );
    }
    println!();
}

/// Prints a speedup table: as [`print_times`], with the speedup over the sequential
/// chain.
pub fn print_speedups(s: &Samples, n: u64) {
    let best = s.best_peer();
    println!(
        "| variant | median ms | ns/item | speedup over sequential | × best peer's time ({}) |",
        s.label(best)
    );
    println!("|---|---:|---:|---:|---:|");
    for v in s.names() {
        println!(
            "| {} | {} | {:.1} | {:.2} | {} |",
            s.label(v),
            fmt_ms(s.median(v)),
            s.median(v).as_nanos() as f64 / n as f64,
            s.speedup(v),
            fmt_ratio(s.median(v), s.median(best))
        );
    }
    println!();
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
