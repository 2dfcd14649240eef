//! The classic generator pipeline, complete: two producers read a file each (fan-in),
//! a parsing stage runs on four workers (fan-out), and a consumer writes a report.
//!
//! The same functions first run sequentially, as nested calls, then as a pipeline;
//! the two reports must be identical.
//!
//! ```text
//! cargo run --release --example seed [READINGS_PER_FILE]
//! ```

#[path = "common/cli.rs"]
mod cli;

use clap::Parser;
use pipeline::{consumer, pipeline, producer, stage};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;
use std::{env, fs, io, process};

/// Writes two files of sensor readings, then reports on them twice with the same
/// functions: as nested sequential calls, then as a pipeline of two producers, a
/// parsing stage on four workers and a consumer. The two reports must be identical.
#[derive(Parser)]
#[command(
    name = "seed",
    override_usage = "seed [READINGS_PER_FILE]",
    help_template = cli::HELP_TEMPLATE,
    verbatim_doc_comment
)]
struct Args {
    /// readings written to each file
    #[arg(value_name = "READINGS_PER_FILE", default_value_t = 200_000)]
    per_file: usize,
}

/// One sensor reading, in thousandths of a degree.
#[derive(Debug, Clone, PartialEq)]
struct Reading {
    sensor: String,
    millidegrees: i64,
}

/// Producer: the lines of one input file.
#[producer]
fn read_lines(path: PathBuf) -> io::Result<Vec<String>> {
    Ok(fs::read_to_string(path)?
        .lines()
        .map(str::to_owned)
        .collect())
}

/// Consumer-producer: a `sensor,value` line becomes a reading; the header, blank
/// lines and malformed lines are skipped.
#[stage(workers = 4)]
fn parse(line: String) -> Option<Reading> {
    let (sensor, value) = line.split_once(',')?;
    let (whole, frac) = value.trim().split_once('.').unwrap_or((value.trim(), "0"));
    let whole: i64 = whole.parse().ok()?;
    let frac: i64 = format!("{frac:0<3}").get(..3)?.parse().ok()?;
    let sign = if value.trim_start().starts_with('-') {
        -1
    } else {
        1
    };
    Some(Reading {
        sensor: sensor.trim().to_owned(),
        millidegrees: whole * 1000 + sign * frac,
    })
}

/// Consumer: per sensor, the count, minimum, mean and maximum, written to `out`.
/// Returns how many readings it saw.
#[consumer]
fn write_report(readings: impl Iterator<Item = Reading>, out: PathBuf) -> io::Result<usize> {
    let mut per_sensor: BTreeMap<String, (usize, i64, i64, i64)> = BTreeMap::new();
    let mut total = 0;
    for r in readings {
        total += 1;
        let e = per_sensor
            .entry(r.sensor)
            .or_insert((0, i64::MAX, 0, i64::MIN));
        e.0 += 1;
        e.1 = e.1.min(r.millidegrees);
        e.2 += r.millidegrees;
        e.3 = e.3.max(r.millidegrees);
    }
    let mut report = String::from("sensor,count,min,mean,max\n");
    for (sensor, (n, min, sum, max)) in &per_sensor {
        let mean = *sum as f64 / *n as f64 / 1000.0;
        let (min, max) = (*min as f64 / 1000.0, *max as f64 / 1000.0);
        writeln!(report, "{sensor},{n},{min:.3},{mean:.3},{max:.3}").unwrap();
    }
    fs::write(out, report)?;
    Ok(total)
}

/// Writes an input file of `n` readings from a handful of sensors, with a header and
/// a few malformed lines, from a fixed seed.
fn write_input(path: &Path, n: usize, seed: u64) -> io::Result<()> {
    let mut state = seed;
    let mut text = String::from("sensor,celsius\n");
    for i in 0..n {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        if i % 997 == 0 {
            text.push_str("garbled line\n");
            continue;
        }
        let sensor = ["north", "south", "east", "west", "roof"][(state % 5) as usize];
        let millis = (state >> 8) % 60_000;
        let celsius = millis as f64 / 1000.0 - 20.0;
        writeln!(text, "{sensor},{celsius:.3}").unwrap();
    }
    fs::write(path, text)
}

fn main() {
    let Args { per_file } = Args::parse();
    if let Err(e) = run(per_file) {
        eprintln!("seed: {e}");
        process::exit(1);
    }
}

fn run(per_file: usize) -> Result<(), Box<dyn std::error::Error>> {
    let dir = env::temp_dir().join(format!("pipeline-seed-{}", process::id()));
    fs::create_dir_all(&dir)?;
    let (a, b) = (dir.join("station-a.csv"), dir.join("station-b.csv"));
    write_input(&a, per_file, 0x9E37_79B9)?;
    write_input(&b, per_file, 0x2545_F491)?;
    println!(
        "wrote {per_file} readings to each of {} and {}",
        a.display(),
        b.display()
    );

    let sequential_out = dir.join("report-sequential.csv");
    let started = Instant::now();
    let lines = read_lines(a.clone())?
        .into_iter()
        .chain(read_lines(b.clone())?);
    let n = write_report(lines.filter_map(parse), sequential_out.clone())?;
    println!(
        "sequential: {n} readings in {:.0?} -> {}",
        started.elapsed(),
        sequential_out.display()
    );

    let pipeline_out = dir.join("report-pipeline.csv");
    let started = Instant::now();
    let n =
        pipeline!([read_lines(a), read_lines(b)] => parse => write_report(pipeline_out.clone()))
            .run()?;
    println!(
        "pipeline:   {n} readings in {:.0?} -> {} (2 producers, 4 parse workers, 1 consumer)",
        started.elapsed(),
        pipeline_out.display()
    );

    let (s, p) = (
        fs::read_to_string(&sequential_out)?,
        fs::read_to_string(&pipeline_out)?,
    );
    if s != p {
        return Err("the pipeline's report differs from the sequential one".into());
    }
    println!("the two reports are identical:\n{p}");
    fs::remove_dir_all(&dir)?;
    Ok(())
}
