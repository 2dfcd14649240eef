//! This process's threads as Linux shows them under `/proc/self/task`: which exist,
//! whether each is asleep, and the CPU time and context switches each has used.

use std::collections::BTreeSet;
use std::fs;
use std::time::Duration;

/// The ids of this process's threads now.
pub fn list() -> BTreeSet<u32> {
    fs::read_dir("/proc/self/task")
        .map(|dir| {
            dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
                .collect()
        })
        .unwrap_or_default()
}

/// Whether thread `tid` is asleep (state `S`, waiting for an event).
pub fn asleep(tid: u32) -> bool {
    fs::read_to_string(format!("/proc/self/task/{tid}/stat"))
        .ok()
        .and_then(|stat| {
            // The state follows the name, which is in parentheses and may hold spaces.
            let (_, rest) = stat.rsplit_once(')')?;
            rest.split_whitespace().next().map(|state| state == "S")
        })
        .unwrap_or(false)
}

/// What some threads have used so far.
#[derive(Clone, Copy, Default, Debug)]
pub struct Usage {
    /// Time on a CPU.
    pub cpu: Duration,
    /// Context switches, voluntary (the thread slept) and involuntary (it was
    /// preempted).
    pub switches: u64,
}

impl std::ops::Add for Usage {
    type Output = Usage;

    fn add(self, other: Usage) -> Usage {
        Usage {
            cpu: self.cpu + other.cpu,
            switches: self.switches + other.switches,
        }
    }
}

impl Usage {
    /// What was used between `earlier` and `self`.
    pub fn since(self, earlier: Usage) -> Usage {
        Usage {
            cpu: self.cpu.saturating_sub(earlier.cpu),
            switches: self.switches.saturating_sub(earlier.switches),
        }
    }
}

/// What thread `tid` has used so far; nothing if it has ended.
pub fn usage(tid: u32) -> Usage {
    let status = fs::read_to_string(format!("/proc/self/task/{tid}/status")).unwrap_or_default();
    let switches = status
        .lines()
        .filter_map(|l| {
            l.strip_prefix("voluntary_ctxt_switches:")
                .or_else(|| l.strip_prefix("nonvoluntary_ctxt_switches:"))
        })
        .filter_map(|v| v.trim().parse::<u64>().ok())
        .sum();
    Usage {
        cpu: cpu(tid),
        switches,
    }
}

/// Thread `tid`'s name (its first 15 bytes, as the kernel keeps it).
pub fn name(tid: u32) -> String {
    fs::read_to_string(format!("/proc/self/task/{tid}/comm"))
        .map(|s| s.trim_end().to_owned())
        .unwrap_or_default()
}

/// A thread's CPU time: from `schedstat` in nanoseconds where the kernel keeps it,
/// else from `stat` in clock ticks (100 per second).
fn cpu(tid: u32) -> Duration {
    let schedstat = fs::read_to_string(format!("/proc/self/task/{tid}/schedstat")).ok();
    if let Some(ns) = schedstat.and_then(|s| s.split_whitespace().next()?.parse().ok()) {
        return Duration::from_nanos(ns);
    }
    let ticks = fs::read_to_string(format!("/proc/self/task/{tid}/stat"))
        .ok()
        .and_then(|stat| {
            let (_, rest) = stat.rsplit_once(')')?;
            // After the name: state is field 3, utime 14 and stime 15.
            let fields: Vec<&str> = rest.split_whitespace().collect();
            let utime: u64 = fields.get(11)?.parse().ok()?;
            let stime: u64 = fields.get(12)?.parse().ok()?;
            Some(utime + stime)
        })
        .unwrap_or(0);
    Duration::from_millis(ticks * 10)
}
