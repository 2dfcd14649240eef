//! The most frequent words across every text file under a directory, map-reduce
//! style: a producer walks the tree, a stream-form stage reads and counts words on
//! several workers (each folds its share of the files into one table and yields it
//! when its share ends), and the consumer merges the tables.
//!
//! ```text
//! cargo run --release --example wordfreq -- [--workers N] [--top N] DIR
//! ```

#[path = "common/cli.rs"]
mod cli;
#[path = "common/walk.rs"]
mod walk;

use clap::builder::{PathBufValueParser, TypedValueParser};
use clap::Parser;
use pipeline::{consumer, pipeline, producer, stage};
use std::collections::HashMap;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process;
use std::time::Instant;
use walk::Found;
use walkdir::WalkDir;

/// Prints the N most frequent words in the text files under DIR, one `COUNT WORD` line
/// each, most frequent first, ties in alphabetical (byte) order. A word is a run of
/// letters and digits, lowercased; everything else separates words. Files with a NUL
/// byte in their first 64 KiB are taken as binary and skipped.
///
/// What cannot be read (a broken link, a FIFO or other special file, a file that
/// fails to open or read) is reported on stderr and skipped.
#[derive(Parser)]
#[command(
    name = "wordfreq",
    override_usage = "wordfreq [--workers N] [--top N] DIR",
    help_template = cli::HELP_TEMPLATE,
    verbatim_doc_comment,
    after_help = "Exit status: 0 if every file could be read, 1 if any could not or the run \
                  failed,\n2 on a usage error."
)]
struct Args {
    /// how many words to print
    #[arg(long, value_name = "N", default_value = "10", value_parser = cli::at_least_one)]
    top: usize,
    /// read N files at a time (default: the number of CPUs)
    #[arg(long, value_name = "N", value_parser = cli::at_least_one)]
    workers: Option<usize>,
    /// the directory whose files are read
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

/// One worker's counts over its share of the files.
#[derive(Default)]
struct Tally {
    words: HashMap<String, u64>,
    files: usize,
    bytes: u64,
    binary: usize,
    unreadable: Vec<(PathBuf, String)>,
}

/// Stage: each worker counts the words of every file it is given into one table, and
/// yields the table once its share of the files has ended.
#[stage]
fn count_words(found: impl Iterator<Item = Found>) -> Option<Tally> {
    let mut tally = Tally::default();
    for found in found {
        match found {
            Found::File(path) => match count_file(&path, &mut tally.words) {
                Ok(Some(bytes)) => {
                    tally.files += 1;
                    tally.bytes += bytes;
                }
                Ok(None) => tally.binary += 1,
                Err(e) => tally.unreadable.push((path, e.to_string())),
            },
            Found::Skipped { path, reason } => tally.unreadable.push((path, reason)),
        }
    }
    Some(tally)
}

/// Adds the words of the file at `path` to `words`, and returns its size; `None` for
/// a binary file, whose words are not counted.
fn count_file(path: &Path, words: &mut HashMap<String, u64>) -> io::Result<Option<u64>> {
    let mut reader = BufReader::with_capacity(64 * 1024, File::open(path)?);
    if reader.fill_buf()?.contains(&0) {
        return Ok(None);
    }
    let (mut line, mut word, mut size) = (Vec::new(), String::new(), 0);
    loop {
        line.clear();
        let n = reader.read_until(b'\n', &mut line)?;
        if n == 0 {
            return Ok(Some(size));
        }
        size += n as u64;
        for token in String::from_utf8_lossy(&line).split(|c: char| !c.is_alphanumeric()) {
            if token.is_empty() {
                continue;
            }
            word.clear();
            word.extend(token.chars().flat_map(char::to_lowercase));
            match words.get_mut(word.as_str()) {
                Some(count) => *count += 1,
                None => {
                    words.insert(word.clone(), 1);
                }
            }
        }
    }
}

/// Consumer: merges the workers' tables into one.
#[consumer]
fn merge(tallies: impl Iterator<Item = Tally>) -> Tally {
    let mut total = Tally::default();
    for mut tally in tallies {
        // Fold the smaller table into the larger one.
        if total.words.len() < tally.words.len() {
            std::mem::swap(&mut total.words, &mut tally.words);
        }
        for (word, count) in tally.words {
            *total.words.entry(word).or_default() += count;
        }
        total.files += tally.files;
        total.bytes += tally.bytes;
        total.binary += tally.binary;
        total.unreadable.extend(tally.unreadable);
    }
    total
}

/// The `n` most frequent words, most frequent first, ties in byte order.
fn top(words: &HashMap<String, u64>, n: usize) -> Vec<(&str, u64)> {
    let mut all: Vec<(&str, u64)> = words.iter().map(|(w, c)| (w.as_str(), *c)).collect();
    let order = |a: &(&str, u64), b: &(&str, u64)| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0));
    if all.len() > n {
        all.select_nth_unstable_by(n, order);
        all.truncate(n);
    }
    all.sort_unstable_by(order);
    all
}

fn main() {
    let Args {
        top: n,
        workers,
        dir,
    } = Args::parse();
    let workers = workers.unwrap_or_else(cli::cpus);

    let started = Instant::now();
    let mut tally = match pipeline!(files(dir) => count_words[workers = workers] => merge).run() {
        Ok(tally) => tally,
        Err(e) => {
            eprintln!("wordfreq: {e}");
            process::exit(1);
        }
    };
    let elapsed = started.elapsed();

    let mut out = io::BufWriter::new(io::stdout().lock());
    let printed = top(&tally.words, n)
        .into_iter()
        .try_for_each(|(word, count)| writeln!(out, "{count} {word}"))
        .and_then(|()| out.flush());
    if printed.is_err() {
        // stdout was closed early, as by `| head`: nothing left to say.
        process::exit(1);
    }
    tally.unreadable.sort();
    for (path, reason) in &tally.unreadable {
        eprintln!("wordfreq: skipped {}: {reason}", path.display());
    }
    eprintln!(
        "wordfreq: {} ({} distinct) in {}, {:.1} MiB in {:.2} s on {}; {} binary and {} \
         unreadable skipped",
        cli::count(tally.words.values().sum::<u64>(), "word"),
        tally.words.len(),
        cli::count(tally.files as u64, "file"),
        tally.bytes as f64 / (1024.0 * 1024.0),
        elapsed.as_secs_f64(),
        cli::count(workers as u64, "worker"),
        tally.binary,
        tally.unreadable.len()
    );
    process::exit(i32::from(!tally.unreadable.is_empty()));
}
