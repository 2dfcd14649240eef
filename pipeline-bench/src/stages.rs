//! The stages several workloads share. Each attribute generates a type beside its
//! function, so stages live at module level; a workload imports them by name.

use crate::report;
use pipeline::{consumer, producer};

/// The numbers `0..n`.
#[producer]
pub fn count_to(n: u64) -> std::ops::Range<u64> {
    0..n
}

/// The sum of the items (order-insensitive check).
#[consumer]
pub fn total(xs: impl Iterator<Item = u64>) -> u64 {
    xs.sum()
}

/// An order-sensitive digest of the items (check for ordered variants).
#[consumer]
pub fn digest(xs: impl Iterator<Item = u64>) -> u64 {
    xs.fold(0, report::digest_step)
}
