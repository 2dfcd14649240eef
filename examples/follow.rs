//! Following a growing log file, like `tail -f`: a producer polls the file and yields
//! each new line as soon as it is complete, a stage parses lines on several workers,
//! and a consumer prints the count of lines per level every second. Ctrl-C drains the
//! pipeline through its handle (the producer stops, every line read is still counted);
//! the final totals are printed and the exit status is 0.
//!
//! ```text
//! cargo run --release --example follow -- [--workers N] [--from-start] FILE
//! ```

#[path = "common/cli.rs"]
mod cli;

use clap::builder::{PathBufValueParser, TypedValueParser};
use clap::Parser;
use pipeline::{consumer, pipeline, producer, stage};
use std::collections::VecDeque;
use std::fmt;
use std::fs::{self, File};
use std::io::{self, Read, Seek, SeekFrom};
use std::os::unix::fs::MetadataExt;
use std::path::PathBuf;
use std::process;
use std::time::{Duration, Instant};

/// Follows FILE as it grows, like `tail -f`, and prints every second how many lines
/// of each level it has seen since it started. A line's level is the first of its
/// first three words that names one (case and brackets aside): TRACE, DEBUG, INFO,
/// WARN or WARNING, ERROR or ERR, FATAL or CRITICAL; other lines count as `other`.
/// A truncated file is read again from its start; a file replaced by a new one (log
/// rotation) is followed into the new one.
///
/// Stop it with Ctrl-C (SIGINT): it prints the final totals and exits.
#[derive(Parser)]
#[command(
    name = "follow",
    override_usage = "follow [--workers N] [--from-start] FILE",
    help_template = cli::HELP_TEMPLATE,
    verbatim_doc_comment,
    after_help = "Exit status: 0 after Ctrl-C, 1 if following failed, 2 on a usage error."
)]
struct Args {
    /// count the lines already in FILE too (default: only new ones)
    #[arg(long)]
    from_start: bool,
    /// parse lines on N threads
    #[arg(long, value_name = "N", default_value = "2", value_parser = cli::at_least_one)]
    workers: usize,
    /// the file to follow
    #[arg(value_name = "FILE", value_parser = PathBufValueParser::new().try_map(cli::readable_file))]
    path: PathBuf,
}

/// How often the file is polled for new lines while there are none.
const POLL: Duration = Duration::from_millis(50);

/// What the producer yields.
enum Event {
    /// A complete line, without its line end.
    Line(String),
    /// No new line since the last poll. Lets the consumer print on time while the
    /// file is quiet, and lets the producer see that the run was cancelled.
    Idle,
}

/// The file being followed.
struct Tail {
    path: PathBuf,
    file: File,
    /// The device and inode of `file`, to notice when `path` is replaced.
    id: (u64, u64),
    /// How far `file` has been read.
    offset: u64,
    /// Complete lines not yielded yet.
    lines: VecDeque<String>,
    /// The start of a line whose end has not been written yet.
    partial: Vec<u8>,
    buffer: Vec<u8>,
}

impl Tail {
    fn open(path: PathBuf, from_start: bool) -> io::Result<Self> {
        let mut file = File::open(&path)?;
        let meta = file.metadata()?;
        let offset = if from_start {
            0
        } else {
            file.seek(SeekFrom::End(0))?
        };
        Ok(Self {
            path,
            file,
            id: (meta.dev(), meta.ino()),
            offset,
            lines: VecDeque::new(),
            partial: Vec::new(),
            buffer: vec![0; 64 * 1024],
        })
    }

    /// Reads what is there; false when there was nothing new.
    fn read_more(&mut self) -> io::Result<bool> {
        let n = match self.file.read(&mut self.buffer) {
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => return Ok(true),
            Err(e) => return Err(e),
        };
        self.offset += n as u64;
        let mut rest = &self.buffer[..n];
        while let Some(end) = rest.iter().position(|&b| b == b'\n') {
            self.partial.extend_from_slice(&rest[..end]);
            if self.partial.ends_with(b"\r") {
                self.partial.pop();
            }
            let line = String::from_utf8_lossy(&self.partial).into_owned();
            self.lines.push_back(line);
            self.partial.clear();
            rest = &rest[end + 1..];
        }
        self.partial.extend_from_slice(rest);
        Ok(n > 0)
    }

    /// With nothing left to read: follows a replaced file into the new one, or starts
    /// a truncated one again from its start. True if it did either.
    fn reopen_if_changed(&mut self) -> io::Result<bool> {
        let Ok(meta) = fs::metadata(&self.path) else {
            // Gone for now (mid-rotation): keep the old file until a new one appears.
            return Ok(false);
        };
        if (meta.dev(), meta.ino()) != self.id {
            // The old file's last line may lack its line end: it has ended all the same.
            let last = std::mem::take(&mut self.partial);
            eprintln!(
                "follow: {} was replaced; following the new file",
                self.path.display()
            );
            *self = Self::open(self.path.clone(), true)?;
            if !last.is_empty() {
                let line = String::from_utf8_lossy(&last).into_owned();
                self.lines.push_back(line);
            }
            return Ok(true);
        }
        if meta.len() < self.offset {
            eprintln!(
                "follow: {} was truncated; reading it from the start",
                self.path.display()
            );
            self.offset = self.file.seek(SeekFrom::Start(0))?;
            self.partial.clear();
            return Ok(true);
        }
        Ok(false)
    }
}

impl Iterator for Tail {
    type Item = Event;

    /// The next line as soon as it is complete; `Idle` after a poll that found none.
    fn next(&mut self) -> Option<Event> {
        loop {
            if let Some(line) = self.lines.pop_front() {
                return Some(Event::Line(line));
            }
            match self
                .read_more()
                .and_then(|more| Ok(more || self.reopen_if_changed()?))
            {
                Ok(true) => continue,
                Ok(false) => {}
                Err(e) => eprintln!("follow: reading {}: {e}; retrying", self.path.display()),
            }
            // Returns early, and ends this producer, when the run drains or stops.
            pipeline::sleep(POLL);
            return Some(Event::Idle);
        }
    }
}

/// Producer: the lines appended to `path` (and those already there, `from_start`).
#[producer]
fn tail(path: PathBuf, from_start: bool) -> io::Result<Tail> {
    let tail = Tail::open(path, from_start)?;
    eprintln!(
        "follow: following {} from byte {}",
        tail.path.display(),
        tail.offset
    );
    Ok(tail)
}

const LEVELS: [&str; 6] = ["TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"];

/// A parsed event: the index of a line's level in [`LEVELS`] (`LEVELS.len()` for
/// none), or the producer's `Idle`.
enum Parsed {
    Line(usize),
    Idle,
}

/// Stage: the level of each line.
#[stage]
fn parse(event: Event) -> Parsed {
    match event {
        Event::Line(line) => Parsed::Line(level(&line)),
        Event::Idle => Parsed::Idle,
    }
}

/// The index in [`LEVELS`] of the first of the line's first three words that names a
/// level, or `LEVELS.len()`.
fn level(line: &str) -> usize {
    line.split_whitespace()
        .take(3)
        .find_map(|word| {
            let word = word.trim_matches(|c: char| !c.is_ascii_alphabetic());
            Some(match word.to_ascii_uppercase().as_str() {
                "TRACE" => 0,
                "DEBUG" => 1,
                "INFO" => 2,
                "WARN" | "WARNING" => 3,
                "ERROR" | "ERR" => 4,
                "FATAL" | "CRITICAL" => 5,
                _ => return None,
            })
        })
        .unwrap_or(LEVELS.len())
}

/// Lines seen, per level, the last for lines without one.
#[derive(Debug, Clone, Default, PartialEq)]
struct Counts([u64; LEVELS.len() + 1]);

impl fmt::Display for Counts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "lines {}", self.0.iter().sum::<u64>())?;
        for (name, n) in LEVELS.iter().chain(&["other"]).zip(&self.0) {
            write!(f, "  {name} {n}")?;
        }
        Ok(())
    }
}

/// Consumer: counts lines per level, prints the counts every second, and returns the
/// final counts when its input ends.
#[consumer]
fn report(parsed: impl Iterator<Item = Parsed>) -> Counts {
    let started = Instant::now();
    let mut counts = Counts::default();
    let mut next_report = started + Duration::from_secs(1);
    for event in parsed {
        if let Parsed::Line(level) = event {
            counts.0[level] += 1;
        }
        let now = Instant::now();
        if now >= next_report {
            let seconds = (now - started).as_secs();
            println!("{seconds:>5}s  {counts}");
            next_report += Duration::from_secs(1);
            if next_report <= now {
                next_report = now + Duration::from_secs(1);
            }
        }
    }
    counts
}

fn main() {
    let Args {
        from_start,
        workers,
        path,
    } = Args::parse();

    let started = Instant::now();
    let handle = pipeline!(tail(path, from_start) => parse[workers = workers] => report).spawn();
    // Ctrl-C drains the run from the signal handler's thread while this one joins: the
    // producer stops, every line already read is counted, and the consumer returns.
    let canceller = handle.canceller();
    if let Err(e) = ctrlc::set_handler(move || canceller.drain()) {
        eprintln!("follow: cannot handle Ctrl-C: {e}");
        process::exit(1);
    }
    let totals = match handle.join() {
        Ok(totals) => totals,
        Err(e) => {
            eprintln!("follow: {e}");
            process::exit(1);
        }
    };
    println!("total   {totals}");
    eprintln!(
        "follow: {} in {:.1} s",
        cli::count(totals.0.iter().sum::<u64>(), "line"),
        started.elapsed().as_secs_f64()
    );
}
