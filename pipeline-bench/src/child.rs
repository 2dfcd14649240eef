//! Child processes of this same executable, each running one variant of one workload
//! once (`--child WORKLOAD VARIANT ITEMS`): for what can only be measured over a whole
//! process, its peak memory or, under valgrind, the instructions it executed.

use crate::config::Config;
use crate::workloads;
use std::process::{self, Command};
use std::{env, fs};

/// What a child reported, beside its result (which [`run`] checks).
pub struct Outcome {
    /// Its peak resident set, in kB (`VmHWM`).
    pub peak_kb: u64,
    /// Its standard error, where a wrapper such as valgrind reports.
    pub stderr: String,
}

/// Runs `variant` of `workload` over `items` items in a child process, started through
/// `wrapper` (a command and its arguments to put before the executable; empty for
/// none). Exits non-zero if the child fails or its result differs from the variant's
/// answer, computed here.
pub fn run(cfg: &Config, wrapper: &[&str], workload: &str, variant: &str, items: u64) -> Outcome {
    let exe = env::current_exe().unwrap_or_else(|e| {
        eprintln!("pipeline-bench: current_exe: {e}");
        process::exit(1)
    });
    let mut cmd = match wrapper.split_first() {
        Some((first, rest)) => {
            let mut c = Command::new(first);
            c.args(rest).arg(&exe);
            c
        }
        None => Command::new(&exe),
    };
    cmd.args(["--child", workload, variant, &items.to_string()]);
    cmd.args(["--workers", &cfg.workers.to_string()]);
    let what = format!("child `{workload} {variant}` over {items} items");
    let out = cmd.output().unwrap_or_else(|e| {
        eprintln!("pipeline-bench: could not start the {what}: {e}");
        process::exit(1)
    });
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    if !out.status.success() {
        eprintln!("pipeline-bench: {what} failed ({}):\n{stderr}", out.status);
        process::exit(1);
    }
    let field = |key: &str| -> u64 {
        stdout
            .lines()
            .find_map(|l| l.strip_prefix(key))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or_else(|| {
                eprintln!("pipeline-bench: the {what} printed no `{key}`:\n{stdout}");
                process::exit(1)
            })
    };
    let got = field("result ");
    let want = table(cfg, workload, items)
        .want(variant)
        .unwrap_or_else(|| {
            eprintln!("pipeline-bench: workload {workload} has no variant `{variant}`");
            process::exit(1)
        });
    if got != want {
        crate::mismatch(&what, got, want);
    }
    Outcome {
        peak_kb: field("VmHWM_kB "),
        stderr,
    }
}

/// The child's side: runs the variant once and prints `result N` and `VmHWM_kB K`.
pub fn serve(cfg: &Config, workload: &str, variant: &str, items: u64) {
    let table = table(cfg, workload, items);
    let got = table.run(variant).unwrap_or_else(|| {
        crate::config::usage(&format!(
            "workload {workload} has no variant `{variant}`; it has {}",
            table.names().join(", ")
        ))
    });
    let status = fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kb = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .unwrap_or_else(|| {
            eprintln!("pipeline-bench: no VmHWM in /proc/self/status");
            process::exit(1)
        });
    println!("result {got}\nVmHWM_kB {kb}");
}

fn table(cfg: &Config, workload: &str, items: u64) -> Box<dyn crate::variants::Runnable> {
    let make = workloads::by_name(workload)
        .and_then(|w| w.table)
        .unwrap_or_else(|| {
            let can: Vec<&str> = workloads::ALL
                .iter()
                .filter(|w| w.table.is_some())
                .map(|w| w.name)
                .collect();
            crate::config::usage(&format!(
                "no child runs workload `{workload}`; one runs {}",
                can.join(", ")
            ))
        });
    make(cfg, items)
}
