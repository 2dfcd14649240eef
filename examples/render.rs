//! A rendering job spread over machines: the Mandelbrot set, in bands of rows, each
//! band rendered by a `remote` stage. On one machine it runs on threads; given a
//! broker, every machine that runs this same executable as a worker takes bands.
//!
//! ```text
//! # on the machine with the output (and a Redis server reachable from the others)
//! cargo run --release --features redis --example render -- --broker redis://HOST:6379 --out mandelbrot.pgm
//! # on each worker machine, as many as you like, before or during the run
//! PIPELINE_WORKER=redis://HOST:6379 cargo run --release --features redis --example render
//! ```
//!
//! Without `--broker` the same command renders locally; `--sequential` renders with
//! plain function calls, for comparison. The output is a binary PGM (`P5`) image.

#[path = "common/cli.rs"]
mod cli;

use clap::Parser;
use pipeline::{consumer, pipeline, producer, stage};
use serde::{Deserialize, Serialize};
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::PathBuf;
use std::process;
use std::time::{Duration, Instant};

/// Renders the Mandelbrot set into a binary PGM image, in bands of rows; with
/// `--broker`, on the worker processes that serve that broker (started on any
/// machine with `PIPELINE_WORKER=redis://HOST:PORT` and this same executable).
#[derive(Parser)]
#[command(
    name = "render",
    override_usage = "render [--broker URL] [--workers N] [--width N] [--height N] [--iterations N] [--sequential] --out FILE",
    help_template = cli::HELP_TEMPLATE,
    verbatim_doc_comment,
    after_help = "Exit status: 0 on success, 1 if the run failed, 2 on a usage error."
)]
struct Args {
    /// the Redis server of the worker processes (default: render here)
    #[arg(long, value_name = "URL")]
    broker: Option<String>,
    /// threads per worker process, or here without a broker (default: the CPUs)
    #[arg(long, value_name = "N", value_parser = cli::at_least_one)]
    workers: Option<usize>,
    /// image width in pixels
    #[arg(long, value_name = "N", default_value = "1200", value_parser = cli::at_least_one)]
    width: usize,
    /// image height in pixels
    #[arg(long, value_name = "N", default_value = "800", value_parser = cli::at_least_one)]
    height: usize,
    /// iterations before a point counts as inside the set
    #[arg(long, value_name = "N", default_value = "2000", value_parser = cli::at_least_one)]
    iterations: usize,
    /// render with plain function calls, no pipeline
    #[arg(long)]
    sequential: bool,
    /// where the image goes
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
}

/// What to render.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct View {
    width: usize,
    height: usize,
    iterations: usize,
}

/// A band of rows, `first..first + rows`.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
struct Band {
    first: usize,
    rows: usize,
}

/// The image's bands, eight rows each.
#[producer]
fn bands(height: usize) -> impl Iterator<Item = Band> {
    (0..height).step_by(8).map(move |first| Band {
        first,
        rows: 8.min(height - first),
    })
}

/// One band's pixels, a byte each: black inside the set, lighter the faster a point
/// escapes.
#[stage(remote, ordered)]
fn render(band: Band, view: &View) -> (Band, Vec<u8>) {
    let mut pixels = Vec::with_capacity(band.rows * view.width);
    let scale = 3.0 / view.width.min(view.height) as f64;
    for y in band.first..band.first + band.rows {
        let ci = (y as f64 - view.height as f64 / 2.0) * scale;
        for x in 0..view.width {
            let cr = (x as f64 - view.width as f64 * 0.65) * scale;
            let (mut zr, mut zi, mut n) = (0.0f64, 0.0f64, 0);
            while n < view.iterations && zr * zr + zi * zi <= 4.0 {
                let t = zr * zr - zi * zi + cr;
                zi = 2.0 * zr * zi + ci;
                zr = t;
                n += 1;
            }
            pixels.push(match n == view.iterations {
                true => 0,
                false => (255 - (n * 255 / view.iterations.min(255)).min(255)) as u8,
            });
        }
    }
    (band, pixels)
}

/// Writes the bands, which come in order, as a PGM image; returns its size in bytes.
#[consumer]
fn write_image(
    bands: impl Iterator<Item = (Band, Vec<u8>)>,
    out: PathBuf,
    width: usize,
    height: usize,
) -> io::Result<u64> {
    let mut file = BufWriter::new(File::create(&out)?);
    let header = format!("P5\n{width} {height}\n255\n");
    file.write_all(header.as_bytes())?;
    let mut written = header.len() as u64;
    let mut next_row = 0;
    for (band, pixels) in bands {
        assert_eq!(band.first, next_row, "bands come in order");
        file.write_all(&pixels)?;
        written += pixels.len() as u64;
        next_row += band.rows;
    }
    file.flush()?;
    Ok(written)
}

fn main() {
    // A worker process (PIPELINE_WORKER set) serves bands from here on, never returning.
    pipeline::init();
    let args = Args::parse();
    let view = View {
        width: args.width,
        height: args.height,
        iterations: args.iterations,
    };
    let started = Instant::now();
    let (w, h) = (view.width, view.height);
    let written = if args.sequential {
        let bands = bands(h).map(|band| render(band, &view));
        write_image(bands, args.out.clone(), w, h).map_err(|e| e.to_string())
    } else {
        let workers = args.workers.unwrap_or_else(cli::cpus);
        let mut run = pipeline!(
            bands(h) => render(view)[workers = workers] => write_image(args.out.clone(), w, h)
        );
        if let Some(url) = &args.broker {
            let broker = pipeline::Redis::open(url).unwrap_or_else(|e| {
                eprintln!("render: {e}");
                process::exit(1);
            });
            run = run.broker(broker.claim_after(Duration::from_secs(10)));
        }
        let (result, stats) = run.run_with_stats();
        if let Some(remote) = stats.stages.iter().find_map(|s| s.remote.as_ref()) {
            for (process, items) in &remote.items_by_process {
                eprintln!("render: {items} bands rendered by worker process {process}");
            }
        }
        result.map_err(|e| e.to_string())
    };
    match written {
        Ok(bytes) => eprintln!(
            "render: {} ({bytes} bytes) in {:.2?}",
            args.out.display(),
            started.elapsed()
        ),
        Err(e) => {
            eprintln!("render: {e}");
            process::exit(1);
        }
    }
}
