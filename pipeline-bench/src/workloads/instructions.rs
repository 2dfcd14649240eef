//! Instructions per item under valgrind: a measure that the load on the machine, which
//! moves wall times twofold, hardly moves.
//! Each variant of the counted workloads runs in a child process under callgrind at
//! two sizes; the slope between them is its cost per item, start-up excluded.

use super::{chain, empty, Workload};
use crate::child;
use crate::config::Config;
use crate::report::{self, Report};
use crate::variants::Kind;
use std::env;
use std::path::Path;
use std::process;

pub const WORKLOAD: Workload = Workload {
    name: "instructions",
    about: "instructions per item of the chain and the empty stage, under valgrind",
    run,
    table: None,
};

/// The workloads counted, each for every variant of its table.
const COUNTED: [&str; 2] = [chain::WORKLOAD.name, empty::WORKLOAD.name];

/// How a child is started: callgrind counting from the first instruction, every
/// thread's count summed, no output file.
const VALGRIND: [&str; 4] = [
    "valgrind",
    "--tool=callgrind",
    "--callgrind-out-file=/dev/null",
    "--collect-atstart=yes",
];

fn valgrind_on_path() -> bool {
    env::var_os("PATH").is_some_and(|paths| {
        env::split_paths(&paths).any(|dir| Path::new(&dir).join(VALGRIND[0]).is_file())
    })
}

/// The instructions a child executed, from callgrind's `Collected : N` on its
/// standard error.
fn collected(stderr: &str) -> u64 {
    stderr
        .lines()
        .find_map(|l| l.split_once("Collected :").map(|(_, n)| n.trim()))
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| {
            eprintln!("pipeline-bench: callgrind reported no count:\n{stderr}");
            process::exit(1)
        })
}

/// One variant's counts.
struct Count {
    name: &'static str,
    kind: Option<Kind>,
    label: &'static str,
    /// Instructions per item: the slope between the least counts at each size.
    per_item: f64,
    /// The least and the greatest slope of the runs taken pairwise.
    range: (f64, f64),
}

fn run(cfg: &Config, out: &mut Report) {
    out.heading("Instructions per item, under valgrind");
    if !valgrind_on_path() {
        println!("Skipped: `valgrind` is not on `PATH` (Debian: `apt-get install valgrind`).\n");
        if cfg.only.len() == 1 {
            eprintln!("pipeline-bench: instruction counts need `valgrind` on PATH");
            process::exit(1);
        }
        return;
    }
    let sizes = [cfg.items(100_000, 10_000), cfg.items(400_000, 40_000)];
    let [small, large] = sizes;
    let runs = if cfg.quick { 1 } else { 3 };
    let times = if runs == 1 {
        "once".to_owned()
    } else {
        format!("{runs} times")
    };
    println!(
        "Each variant runs in a child process under callgrind (`valgrind --tool=callgrind \
         --collect-atstart=yes pipeline-bench --child WORKLOAD VARIANT ITEMS`), {times} over \
         {} items and {times} over {} items. Instructions per item is the difference of the \
         least counts at the two sizes over the difference of the items, so start-up and \
         shutdown cancel out; the range is that of the slopes of each pair of runs. A thread \
         that spins or polls while it waits adds instructions that vary from run to run, \
         hence the least count. Valgrind runs one thread at a time, so this \
         counts the work each variant does, not contention, cache traffic between cores or \
         wake-ups: the timed workloads and the idle one show those.\n",
        report::count(small),
        report::count(large)
    );
    for workload in COUNTED {
        let table = super::by_name(workload)
            .and_then(|w| w.table)
            .expect("a counted workload runs in a child")(cfg, 0);
        let counts: Vec<Count> = table
            .names()
            .into_iter()
            .map(|name| {
                let count = |items: u64| {
                    eprintln!("{}: {workload} {name}, {items} items", WORKLOAD.name);
                    collected(&child::run(cfg, &VALGRIND, workload, name, items).stderr)
                };
                let slope = |a: u64, b: u64| (b as f64 - a as f64) / (large - small) as f64;
                let pairs: Vec<(u64, u64)> =
                    (0..runs).map(|_| (count(small), count(large))).collect();
                let a = pairs.iter().map(|p| p.0).min().unwrap_or(0);
                let b = pairs.iter().map(|p| p.1).min().unwrap_or(0);
                let slopes: Vec<f64> = pairs.iter().map(|&(a, b)| slope(a, b)).collect();
                Count {
                    name,
                    kind: table.kind(name),
                    label: table.label(name).unwrap_or(name),
                    per_item: slope(a, b),
                    range: (
                        slopes.iter().copied().fold(f64::INFINITY, f64::min),
                        slopes.iter().copied().fold(f64::NEG_INFINITY, f64::max),
                    ),
                }
            })
            .collect();
        print_counts(workload, &counts, out);
    }
}

fn print_counts(workload: &str, counts: &[Count], out: &Report) {
    let best = counts
        .iter()
        .filter(|c| c.kind == Some(Kind::Peer))
        .min_by(|a, b| a.per_item.total_cmp(&b.per_item))
        .expect("a counted workload has a peer");
    let timed = counts
        .iter()
        .find_map(|c| out.ns_per_item(workload, c.name))
        .map(|(section, _)| section);
    println!("Workload `{workload}`:\n");
    println!(
        "| variant | instructions/item | range | × best peer ({}) | {} |",
        best.label,
        match timed {
            Some(section) => format!("ns/item timed in section {section}"),
            None => "ns/item timed (workload not run)".to_owned(),
        }
    );
    println!("|---|---:|---:|---:|---:|");
    for c in counts {
        let ns = out
            .ns_per_item(workload, c.name)
            .map_or("—".to_owned(), |(_, ns)| format!("{ns:.1}"));
        println!(
            "| {} | {:.1} | {:.1}–{:.1} | {:.2}× | {ns} |",
            c.label,
            c.per_item,
            c.range.0,
            c.range.1,
            c.per_item / best.per_item.max(1e-9),
        );
    }
    println!();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_count_callgrind_prints() {
        let stderr = "==4705== Callgrind, a call-graph generating cache profiler\n\
                      ==4705== Events    : Ir\n\
                      ==4705== Collected : 13965037\n\
                      ==4705== \n\
                      ==4705== I   refs:      13,965,037\n";
        assert_eq!(collected(stderr), 13_965_037);
    }
}
