//! The workloads, one module each, run in the order of [`ALL`].
//!
//! To add a workload: write a module with a `pub const WORKLOAD: Workload` and list it
//! in [`ALL`]. To add a peer or a variant to a workload: add one [`Variant`] to the
//! workload's table; every table, ratio and child process finds it by its name.
//!
//! [`Variant`]: crate::variants::Variant

use crate::config::Config;
use crate::report::Report;
use crate::variants::Runnable;

mod chain;
mod empty;
mod fine;
mod heavy;
mod idle;
mod instructions;
mod latency;
mod memory;
mod parallel;

/// A workload: what `--only` selects, and one numbered section of the output.
pub struct Workload {
    /// Short and stable: `--only chain`, `--child chain pipeline 1000`.
    pub name: &'static str,
    /// One line for `--help`.
    pub about: &'static str,
    /// Runs the workload and prints its section.
    pub run: fn(&Config, &mut Report),
    /// The workload's variants over `n` items, for a child process to run one of them
    /// (`--child WORKLOAD VARIANT ITEMS`); `None` where a child cannot.
    pub table: Option<MakeTable>,
}

/// Makes a workload's table of variants over some number of items.
pub type MakeTable = fn(&Config, u64) -> Box<dyn Runnable>;

/// Every workload, in the order they run; a workload's number is its place here.
pub const ALL: &[Workload] = &[
    chain::WORKLOAD,
    heavy::WORKLOAD,
    empty::WORKLOAD,
    fine::WORKLOAD,
    latency::WORKLOAD,
    memory::WORKLOAD,
    idle::WORKLOAD,
    instructions::WORKLOAD,
];

/// The number of a workload given by number or by name.
pub fn number(key: &str) -> Option<usize> {
    match key.parse::<usize>() {
        Ok(n) => (1..=ALL.len()).contains(&n).then_some(n),
        Err(_) => ALL.iter().position(|w| w.name == key).map(|i| i + 1),
    }
}

/// The workload called `name`.
pub fn by_name(name: &str) -> Option<&'static Workload> {
    ALL.iter().find(|w| w.name == name)
}
