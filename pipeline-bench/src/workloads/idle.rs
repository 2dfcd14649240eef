//! An idle pipeline: four stages, one of them ordered on two workers, with nothing
//! flowing. What it costs while it waits, beside crossbeam threads blocked on `recv()`.

use super::Workload;
use crate::config::Config;
use crate::peers;
use crate::report::Report;
use crate::threads::{self, Usage};
use crossbeam_channel::{bounded, Receiver, Sender};
use pipeline::{consumer, pipeline, producer, stage};
use std::collections::BTreeSet;
use std::thread;
use std::time::{Duration, Instant};

pub const WORKLOAD: Workload = Workload {
    name: "idle",
    about: "a 4-stage pipeline with nothing flowing: CPU time and wake-ups per second",
    run,
    table: None,
};

/// Items sent through before the idle window, so that every stage has started and
/// every queue has been used.
const PRIMED: u64 = 100;
/// The sum of the primed items' results: `2 (x + 1)` for `x` in `0..PRIMED`.
const PRIMED_SUM: u64 = PRIMED * (PRIMED + 1);
/// Workers of the ordered stage.
const ORDERED_WORKERS: usize = 2;

/// The producer: whatever arrives on `rx`, until every sender is dropped.
#[producer]
fn waiting(rx: Receiver<u64>) -> impl Iterator<Item = u64> {
    rx.into_iter()
}

#[stage(ordered)]
fn add_one(x: u64) -> u64 {
    x + 1
}

#[stage]
fn double(x: u64) -> u64 {
    x * 2
}

/// The consumer: acknowledges each item on `acks` as it arrives; returns their sum.
#[consumer]
fn acknowledge(xs: impl Iterator<Item = u64>, acks: Sender<u64>) -> u64 {
    xs.inspect(|&x| {
        let _ = acks.send(x);
    })
    .sum()
}

/// What a variant's threads used in the idle window.
struct Measured {
    /// Each thread's name and use.
    threads: Vec<(String, Usage)>,
    window: Duration,
}

/// Per second of the window: CPU time in µs, and context switches.
#[derive(Clone, Copy)]
struct Rates {
    cpu_us: f64,
    switches: f64,
}

impl Measured {
    fn rates(&self, used: Usage) -> Rates {
        let s = self.window.as_secs_f64();
        Rates {
            cpu_us: used.cpu.as_secs_f64() * 1e6 / s,
            switches: used.switches as f64 / s,
        }
    }

    /// The rates of all its threads together.
    fn total(&self) -> Rates {
        let sum = self
            .threads
            .iter()
            .fold(Usage::default(), |sum, (_, used)| sum + *used);
        self.rates(sum)
    }
}

/// One way of waiting.
struct Variant {
    /// Short and stable, to refer to it.
    name: &'static str,
    /// What the table calls it.
    label: &'static str,
    /// Starts it, primes it, measures it idle for `window`, and ends it.
    run: fn(Duration) -> Measured,
}

const VARIANTS: &[Variant] = &[
    Variant {
        name: "pipeline",
        label: "pipeline: `waiting => add_one[workers = 2, ordered] => double => acknowledge`",
        run: |window| {
            let before = threads::list();
            let (tx, rx) = bounded(PRIMED as usize);
            let (ack_tx, ack_rx) = bounded(PRIMED as usize);
            let handle = pipeline!(
                waiting(rx) => add_one[workers = ORDERED_WORKERS] => double => acknowledge(ack_tx)
            )
            .spawn();
            let measured = idle(&before, &tx, &ack_rx, window);
            drop(tx);
            let got = crate::ok("idle pipeline", handle.join());
            if got != PRIMED_SUM {
                crate::mismatch("idle pipeline", got, PRIMED_SUM);
            }
            measured
        },
    },
    Variant {
        name: "crossbeam",
        label: "crossbeam threads blocked on `recv()`, one per worker of the same graph",
        run: |window| {
            let before = threads::list();
            let (tx, rx) = bounded(PRIMED as usize);
            let (ack_tx, ack_rx) = bounded(PRIMED as usize);
            thread::scope(|s| {
                let xs = peers::source(s, rx.into_iter());
                let ys = peers::stage(s, xs, ORDERED_WORKERS, |x| Some(x + 1));
                let zs = peers::stage(s, ys, 1, |y| Some(y * 2));
                let consumer = s.spawn(move || {
                    zs.iter()
                        .inspect(|&z| {
                            let _ = ack_tx.send(z);
                        })
                        .sum::<u64>()
                });
                let measured = idle(&before, &tx, &ack_rx, window);
                drop(tx);
                let got = consumer.join().unwrap_or_else(|_| {
                    eprintln!("pipeline-bench: the idle crossbeam consumer panicked");
                    std::process::exit(1)
                });
                if got != PRIMED_SUM {
                    crate::mismatch("idle crossbeam", got, PRIMED_SUM);
                }
                measured
            })
        },
    },
];

/// Sends the primed items through and waits for their acknowledgements, waits until
/// every thread started since `before` is asleep, then measures those threads over
/// `window`.
fn idle(
    before: &BTreeSet<u32>,
    tx: &Sender<u64>,
    acks: &Receiver<u64>,
    window: Duration,
) -> Measured {
    for x in 0..PRIMED {
        if tx.send(x).is_err() {
            eprintln!("pipeline-bench: the idle producer stopped early");
            std::process::exit(1);
        }
    }
    for _ in 0..PRIMED {
        if acks.recv_timeout(Duration::from_secs(10)).is_err() {
            eprintln!("pipeline-bench: the primed items did not arrive within 10 s");
            std::process::exit(1);
        }
    }
    let tids: Vec<u32> = threads::list().difference(before).copied().collect();
    // A thread that has just handed an item on may still be on its way to sleep; the
    // window opens once all are asleep (or after a second, if one never sleeps).
    let deadline = Instant::now() + Duration::from_secs(1);
    while !tids.iter().all(|&t| threads::asleep(t)) && Instant::now() < deadline {
        thread::sleep(Duration::from_millis(1));
    }
    let start: Vec<Usage> = tids.iter().map(|&t| threads::usage(t)).collect();
    let t = Instant::now();
    thread::sleep(window);
    let end: Vec<Usage> = tids.iter().map(|&t| threads::usage(t)).collect();
    let window = t.elapsed();
    Measured {
        threads: tids
            .iter()
            .zip(start.into_iter().zip(end))
            .map(|(&tid, (start, end))| (threads::name(tid), end.since(start)))
            .collect(),
        window,
    }
}

fn run(cfg: &Config, out: &mut Report) {
    let window = if cfg.quick {
        Duration::from_secs(1)
    } else {
        Duration::from_secs(3)
    };
    let measured: Vec<(&Variant, Measured)> = VARIANTS
        .iter()
        .map(|v| {
            eprintln!("{}: {}, {window:?} idle", WORKLOAD.name, v.name);
            (v, (v.run)(window))
        })
        .collect();

    out.heading("An idle pipeline");
    println!(
        "A 4-stage graph: a producer waiting on an empty channel, a stage of {ORDERED_WORKERS} \
         workers (`ordered` in the pipeline), a stage, a consumer. {PRIMED} items are sent \
         through first, so that every thread has started and every queue has been used; once \
         every thread is asleep, its threads' CPU time and context switches (voluntary and \
         involuntary, from `/proc/self/task/*/`) are read before and after {:.0} s with nothing \
         flowing. Then the channel's sender is dropped and each ends normally.\n",
        window.as_secs_f64()
    );
    println!("| variant | threads | CPU µs per s | context switches per s |");
    println!("|---|---:|---:|---:|");
    for (v, m) in &measured {
        let r = m.total();
        println!(
            "| {} | {} | {:.1} | {:.1} |",
            v.label,
            m.threads.len(),
            r.cpu_us,
            r.switches
        );
    }
    println!();
    let of = |name: &str| {
        measured
            .iter()
            .find(|(v, _)| v.name == name)
            .map(|(_, m)| m)
            .unwrap_or_else(|| panic!("no idle variant `{name}`"))
    };
    let pipeline = of("pipeline");
    println!("The pipeline's threads, by name:\n");
    println!("| thread | CPU µs per s | context switches per s |");
    println!("|---|---:|---:|");
    let mut by_name = pipeline.threads.clone();
    by_name.sort_by(|a, b| a.0.cmp(&b.0));
    for (name, used) in by_name {
        let r = pipeline.rates(used);
        println!("| `{name}` | {:.1} | {:.1} |", r.cpu_us, r.switches);
    }
    println!();
    let (p, c) = (pipeline.total(), of("crossbeam").total());
    out.target(
        "idle pipeline: context switches per s, vs crossbeam threads blocked on `recv()`",
        format!("{:.1} vs {:.1}", p.switches, c.switches),
        "≤ crossbeam's",
        p.switches <= c.switches,
    );
    out.target(
        "idle pipeline: CPU µs per s, vs crossbeam threads blocked on `recv()`",
        format!("{:.1} vs {:.1}", p.cpu_us, c.cpu_us),
        "≤ crossbeam's",
        p.cpu_us <= c.cpu_us,
    );
}
