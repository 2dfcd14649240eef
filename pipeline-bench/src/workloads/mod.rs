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

mod arguments;
mod chain;
mod empty;
mod fine;
mod heavy;
mod idle;
mod instructions;
mod isolated;
mod latency;
mod memory;
mod parallel;
#[cfg(feature = "remote")]
mod remote;
#[cfg(not(feature = "remote"))]
#[path = "remote_off.rs"]
mod remote;

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
    arguments::WORKLOAD,
    isolated::WORKLOAD,
    remote::WORKLOAD,
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{self, Mode};

    #[test]
    fn workloads_by_number_and_by_name() {
        assert_eq!(number("1"), Some(1));
        assert_eq!(number("chain"), Some(1));
        assert_eq!(number("idle"), number("7"));
        assert_eq!(number("0"), None);
        assert_eq!(number(&(ALL.len() + 1).to_string()), None);
        assert_eq!(number("nope"), None);
        for (i, w) in ALL.iter().enumerate() {
            assert_eq!(number(w.name), Some(i + 1), "{} is listed once", w.name);
        }
    }

    #[test]
    fn variant_names_are_unique_in_each_table() {
        let Mode::Run(cfg) = config::parse(&[]) else {
            panic!("no arguments is a run");
        };
        for w in ALL {
            if let Some(make) = w.table {
                let mut names = make(&cfg, 0).names();
                let count = names.len();
                names.sort_unstable();
                names.dedup();
                assert_eq!(names.len(), count, "workload {}", w.name);
            }
        }
    }
}
