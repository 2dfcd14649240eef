//! The command line: the run's settings, or a child's one variant.

use crate::workloads::{self, Workload};
use std::process;

/// The settings of a run.
pub struct Config {
    /// Tiny sizes and one repetition: checks every variant's result, times mean nothing.
    pub quick: bool,
    /// Repetitions of each timed variant.
    pub reps: usize,
    /// Workers of the parallel stages.
    pub workers: usize,
    /// The workloads to run, as their numbers (1 is the first of [`workloads::ALL`]).
    pub only: Vec<usize>,
}

impl Config {
    /// `full` items in a full run, `quick` in a quick one.
    pub fn items(&self, full: u64, quick: u64) -> u64 {
        if self.quick {
            quick
        } else {
            full
        }
    }

    /// The workloads to run, each with its number.
    pub fn workloads(&self) -> impl Iterator<Item = (usize, &'static Workload)> + '_ {
        self.only.iter().map(|&n| (n, &workloads::ALL[n - 1]))
    }

    /// The command that reproduces this run.
    pub fn command(&self) -> String {
        let mut args = Vec::new();
        if self.quick {
            args.push("--quick".to_owned());
        }
        if self.workers != 2 {
            args.push(format!("--workers {}", self.workers));
        }
        if self.reps != default_reps(self.quick) {
            args.push(format!("--reps {}", self.reps));
        }
        if self.only.len() != workloads::ALL.len() {
            let list: Vec<String> = self.only.iter().map(usize::to_string).collect();
            args.push(format!("--only {}", list.join(",")));
        }
        let mut cmd = "cargo run --release -p pipeline-bench".to_owned();
        if !args.is_empty() {
            cmd = format!("{cmd} -- {}", args.join(" "));
        }
        cmd
    }
}

fn default_reps(quick: bool) -> usize {
    if quick {
        1
    } else {
        5
    }
}

/// What the command line asks for.
pub enum Mode {
    /// Run the benchmarks.
    Run(Config),
    /// Run one variant of one workload once, at `items` items, and print its result
    /// and peak memory: the child process of the memory and instruction workloads.
    Child {
        cfg: Config,
        workload: String,
        variant: String,
        items: u64,
    },
    Help,
}

/// Reads the command line.
pub fn parse(args: &[String]) -> Mode {
    let mut quick = false;
    let mut workers = 2usize;
    let mut reps = None;
    let mut only: Option<Vec<usize>> = None;
    let mut child = None;
    let mut i = 0;
    while i < args.len() {
        let value = |k: usize| args.get(i + k).map(String::as_str);
        match args[i].as_str() {
            "--quick" => quick = true,
            "--workers" | "--reps" => {
                let flag = &args[i];
                let v: usize = value(1)
                    .and_then(|v| v.parse().ok())
                    .filter(|&v| v > 0)
                    .unwrap_or_else(|| usage(&format!("{flag} needs a number ≥ 1")));
                if flag == "--workers" {
                    workers = v;
                } else {
                    reps = Some(v);
                }
                i += 1;
            }
            "--only" => {
                let list = value(1)
                    .and_then(|v| v.split(',').map(|w| workloads::number(w.trim())).collect());
                only = Some(list.unwrap_or_else(|| {
                    usage("--only needs workload numbers or names, like 2,4 or chain,idle")
                }));
                i += 1;
            }
            "--instructions" => {
                only = Some(vec![workloads::number("instructions").expect("a workload")]);
            }
            "--child" => {
                match (value(1), value(2), value(3).and_then(|v| v.parse().ok())) {
                    (Some(w), Some(v), Some(n)) => child = Some((w.to_owned(), v.to_owned(), n)),
                    _ => usage("--child needs WORKLOAD VARIANT ITEMS"),
                }
                i += 3;
            }
            "-h" | "--help" => return Mode::Help,
            other => usage(&format!("unknown argument `{other}`")),
        }
        i += 1;
    }
    let mut only = only.unwrap_or_else(|| (1..=workloads::ALL.len()).collect());
    only.sort_unstable();
    only.dedup();
    let cfg = Config {
        quick,
        reps: reps.unwrap_or(default_reps(quick)),
        workers,
        only,
    };
    match child {
        Some((workload, variant, items)) => Mode::Child {
            cfg,
            workload,
            variant,
            items,
        },
        None => Mode::Run(cfg),
    }
}

/// The help text, with the list of workloads.
pub fn help() -> String {
    let mut text = String::from(
        "usage: pipeline-bench [--quick] [--workers N] [--reps N] [--only LIST] [--instructions]
  --quick         tiny sizes, one repetition: checks every variant's result, times mean nothing
  --workers N     workers of the parallel stages (default 2)
  --reps N        repetitions of each timed variant (default 5; 1 with --quick)
  --only LIST     run only these workloads, by number or name, e.g. `--only 2,4` or `--only idle`
  --instructions  only the instruction counts (the same as `--only instructions`)

workloads (all of them by default):",
    );
    for (i, w) in workloads::ALL.iter().enumerate() {
        text.push_str(&format!("\n  {:>2}  {:<13} {}", i + 1, w.name, w.about));
    }
    text
}

/// Reports a usage error and exits with status 2.
pub fn usage(msg: &str) -> ! {
    eprintln!("pipeline-bench: {msg}\n{}", help());
    process::exit(2);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(args: &[&str]) -> Config {
        let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        match parse(&args) {
            Mode::Run(cfg) => cfg,
            _ => panic!("not a run: {args:?}"),
        }
    }

    #[test]
    fn the_command_reproduces_the_run() {
        assert_eq!(run(&[]).command(), "cargo run --release -p pipeline-bench");
        assert_eq!(
            run(&["--quick"]).command(),
            "cargo run --release -p pipeline-bench -- --quick"
        );
        assert_eq!(
            run(&["--only", "idle,2", "--workers", "4"]).command(),
            "cargo run --release -p pipeline-bench -- --workers 4 --only 2,7"
        );
        assert_eq!(
            run(&["--instructions"]).only,
            run(&["--only", "instructions"]).only
        );
    }

    #[test]
    fn a_child_runs_one_variant() {
        let args: Vec<String> = ["--child", "chain", "pipeline", "1000", "--workers", "3"]
            .iter()
            .map(|a| a.to_string())
            .collect();
        match parse(&args) {
            Mode::Child {
                cfg,
                workload,
                variant,
                items,
            } => {
                assert_eq!(
                    (workload.as_str(), variant.as_str(), items),
                    ("chain", "pipeline", 1000)
                );
                assert_eq!(cfg.workers, 3);
            }
            _ => panic!("not a child"),
        }
    }
}
