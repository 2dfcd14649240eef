//! `sha256sum` for a whole directory tree: a producer walks the tree, a stage hashes
//! the files on several workers, and a consumer prints the sums, sorted by path, in
//! the format `sha256sum -c` checks.
//!
//! What cannot be read (a broken link, a FIFO, a file that fails to open or read) is
//! reported on stderr and skipped; the run goes on, and exits with status 1.
//!
//! ```text
//! cargo run --release --example hashdir -- [--workers N] DIR
//! ```

#[path = "common/cli.rs"]
mod cli;
#[path = "common/walk.rs"]
mod walk;

use clap::builder::{PathBufValueParser, TypedValueParser};
use clap::Parser;
use pipeline::{consumer, pipeline, producer, stage};
use sha2::{Digest, Sha256};
use std::fs::File;
use std::io::{self, Read, Write};
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;
use std::process;
use std::time::Instant;
use walk::Found;
use walkdir::WalkDir;

/// Prints the SHA-256 sum of every file under DIR, one `<hex>  <path>` line per file,
/// sorted by path (in byte order, as `LC_ALL=C sort` sorts), in the format that
/// `sha256sum -c` checks. Paths start with DIR as given. Symbolic links to files are
/// hashed; links to directories are not followed.
///
/// What cannot be read (a broken link, a FIFO or other special file, a file that
/// fails to open or read) is reported on stderr and skipped.
#[derive(Parser)]
#[command(
    name = "hashdir",
    override_usage = "hashdir [--workers N] DIR",
    help_template = cli::HELP_TEMPLATE,
    verbatim_doc_comment,
    after_help = "Exit status: 0 if every file was hashed, 1 if any was skipped or the run \
                  failed,\n2 on a usage error."
)]
struct Args {
    /// hash N files at a time (default: the number of CPUs)
    #[arg(long, value_name = "N", value_parser = cli::at_least_one)]
    workers: Option<usize>,
    /// the directory to hash
    #[arg(value_name = "DIR", value_parser = PathBufValueParser::new().try_map(cli::directory))]
    dir: PathBuf,
}

/// Producer: every entry under `root` but the directories.
#[producer]
fn files(root: PathBuf) -> impl Iterator<Item = Found> {
    WalkDir::new(root)
        .min_depth(1)
        .into_iter()
        .filter_map(walk::found)
}

/// A file's sum, or why there is none.
struct Hashed {
    path: PathBuf,
    outcome: Result<([u8; 32], u64), String>,
}

/// Stage: hashes each file it is given. `buffer` is per-worker state: each worker
/// has its own read buffer (given as a `Vec<u8>`), kept from file to file.
#[stage]
fn hash(found: Found, buffer: &mut [u8]) -> Hashed {
    match found {
        Found::File(path) => {
            let outcome = sha256(&path, buffer).map_err(|e| e.to_string());
            Hashed { path, outcome }
        }
        Found::Skipped { path, reason } => Hashed {
            path,
            outcome: Err(reason),
        },
    }
}

fn sha256(path: &PathBuf, buffer: &mut [u8]) -> io::Result<([u8; 32], u64)> {
    let mut file = File::open(path)?;
    let mut hasher = Sha256::new();
    let mut size = 0;
    loop {
        let n = match file.read(buffer) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        hasher.update(&buffer[..n]);
        size += n as u64;
    }
    Ok((hasher.finalize().into(), size))
}

/// What the run did.
struct Summary {
    files: usize,
    bytes: u64,
    skipped: usize,
}

/// Consumer: prints the sums sorted by path on stdout, and what was skipped on stderr.
#[consumer]
fn print_sums(hashed: impl Iterator<Item = Hashed>) -> io::Result<Summary> {
    let mut all: Vec<Hashed> = hashed.collect();
    all.sort_unstable_by(|a, b| {
        a.path
            .as_os_str()
            .as_bytes()
            .cmp(b.path.as_os_str().as_bytes())
    });
    let mut summary = Summary {
        files: 0,
        bytes: 0,
        skipped: 0,
    };
    let mut out = io::BufWriter::new(io::stdout().lock());
    for Hashed { path, outcome } in all {
        match outcome {
            Ok((digest, size)) => {
                write_line(&mut out, &digest, path.as_os_str().as_bytes())?;
                summary.files += 1;
                summary.bytes += size;
            }
            Err(reason) => {
                eprintln!("hashdir: skipped {}: {reason}", path.display());
                summary.skipped += 1;
            }
        }
    }
    out.flush()?;
    Ok(summary)
}

/// One line as `sha256sum` writes it: a name with a backslash, a newline or a carriage
/// return is escaped, and the line then starts with a backslash.
fn write_line(out: &mut impl Write, digest: &[u8; 32], name: &[u8]) -> io::Result<()> {
    let escape = name.iter().any(|b| matches!(b, b'\\' | b'\n' | b'\r'));
    let mut line = Vec::with_capacity(name.len() + 68);
    if escape {
        line.push(b'\\');
    }
    for byte in digest {
        write!(line, "{byte:02x}")?;
    }
    line.extend_from_slice(b"  ");
    for &byte in name {
        match byte {
            b'\\' if escape => line.extend_from_slice(b"\\\\"),
            b'\n' => line.extend_from_slice(b"\\n"),
            b'\r' => line.extend_from_slice(b"\\r"),
            _ => line.push(byte),
        }
    }
    line.push(b'\n');
    out.write_all(&line)
}

fn main() {
    let Args { workers, dir } = Args::parse();
    let workers = workers.unwrap_or_else(cli::cpus);

    let started = Instant::now();
    let summary =
        match pipeline!(files(dir) => hash(vec![0; 256 * 1024])[workers = workers] => print_sums)
            .run()
        {
            Ok(summary) => summary,
            Err(e) => {
                let broken_pipe = std::error::Error::source(&e)
                    .and_then(|s| s.downcast_ref::<io::Error>())
                    .is_some_and(|io| io.kind() == io::ErrorKind::BrokenPipe);
                if !broken_pipe {
                    eprintln!("hashdir: {e}");
                }
                process::exit(1);
            }
        };
    eprintln!(
        "hashdir: {}, {:.1} MiB in {:.2} s on {}; {} skipped",
        cli::count(summary.files as u64, "file"),
        summary.bytes as f64 / (1024.0 * 1024.0),
        started.elapsed().as_secs_f64(),
        cli::count(workers as u64, "worker"),
        summary.skipped
    );
    process::exit(i32::from(summary.skipped > 0));
}
