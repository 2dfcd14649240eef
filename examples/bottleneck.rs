//! Which stage is slow, and would more workers help? Runs an unbalanced pipeline,
//! prints its report, gives the bottleneck stage as many workers as the machine has
//! cores (`stage[workers = n]` where the stage is used), runs again and shows the gain.
//!
//! ```text
//! cargo run --release --example bottleneck -- [--records N] [--dot FILE] [--mermaid FILE]
//! ```
//!
//! `--dot` and `--mermaid` write the second run's graph, labelled with its numbers
//! (render the first with `dot -Tsvg FILE -o graph.svg`).

#[path = "common/cli.rs"]
mod cli;

use clap::Parser;
use pipeline::{consumer, pipeline, producer, stage, Stats};
use std::path::PathBuf;
use std::time::Duration;
use std::{fs, process};

/// Some arithmetic standing for real work, `rounds` long.
fn work(seed: u64, rounds: u32) -> u64 {
    let mut x = seed | 1;
    for _ in 0..rounds {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
    }
    x
}

#[producer]
fn records(n: u64) -> impl Iterator<Item = u64> {
    0..n
}

/// The heavy stage.
#[stage]
fn parse(record: u64) -> u64 {
    work(record, 20_000)
}

/// A light stage.
#[stage]
fn enrich(value: u64) -> u64 {
    work(value, 500)
}

#[consumer]
fn store(values: impl Iterator<Item = u64>) -> u64 {
    values.fold(0, |acc, v| acc ^ v)
}

/// Runs an unbalanced pipeline and prints its report, gives the stage the report
/// names as the bottleneck one worker per core, runs again and prints the gain.
/// The graphs written are the second run's, labelled with its numbers.
#[derive(Parser)]
#[command(
    name = "bottleneck",
    override_usage = "bottleneck [--records N] [--dot FILE] [--mermaid FILE]",
    help_template = cli::HELP_TEMPLATE,
    verbatim_doc_comment
)]
struct Args {
    /// records to run through the pipeline
    #[arg(long, value_name = "N", default_value_t = 20_000)]
    records: u64,
    /// write the graph to FILE in Graphviz DOT
    #[arg(long, value_name = "FILE")]
    dot: Option<PathBuf>,
    /// write the graph to FILE in Mermaid
    #[arg(long, value_name = "FILE")]
    mermaid: Option<PathBuf>,
}

/// Worker counts for `parse` and `enrich`, set where the stages are used.
#[derive(Clone, Copy)]
struct Workers {
    parse: usize,
    enrich: usize,
}

fn run(records: u64, w: Workers) -> Result<(u64, Stats), pipeline::Error> {
    let (result, stats) = pipeline!(
        records(records) => parse[workers = w.parse] => enrich[workers = w.enrich] => store
    )
    .run_with_stats();
    Ok((result?, stats))
}

fn main() {
    if let Err(e) = go(&Args::parse()) {
        eprintln!("bottleneck: {e}");
        process::exit(1);
    }
}

fn go(args: &Args) -> Result<(), Box<dyn std::error::Error>> {
    let mut workers = Workers {
        parse: 1,
        enrich: 1,
    };
    let (first, before) = run(args.records, workers)?;
    println!("first run, one worker per stage:\n{before}\n");

    let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
    let slow = before.bottleneck().ok_or("no stage ran")?;
    match slow.name.as_str() {
        "parse" => workers.parse = cores,
        "enrich" => workers.enrich = cores,
        other => {
            let why = format!("`{other}` is the limit; more workers elsewhere will not help");
            return Err(why.into());
        }
    }
    println!("giving `{}` {cores} workers, one per core\n", slow.name);

    let (second, after) = run(args.records, workers)?;
    if first != second {
        return Err("the two runs disagree".into());
    }
    println!("second run:\n{after}\n");
    let gain = before.elapsed.as_secs_f64() / after.elapsed.as_secs_f64().max(1e-9);
    println!(
        "{:.2?} -> {:.2?}: speed-up {gain:.2}x",
        round(before.elapsed),
        round(after.elapsed)
    );
    if let Some(path) = &args.dot {
        fs::write(path, after.to_dot())?;
        println!("wrote {}", path.display());
    }
    if let Some(path) = &args.mermaid {
        fs::write(path, after.to_mermaid())?;
        println!("wrote {}", path.display());
    }
    Ok(())
}

fn round(d: Duration) -> Duration {
    Duration::from_millis(d.as_millis() as u64)
}
