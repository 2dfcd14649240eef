//! What the examples' command lines share, beside clap: the layout of `--help`, and
//! the checks of a count, a directory and a file that clap runs on their values, so
//! that a bad value is a usage error (status 2) that names the argument.
#![allow(dead_code)] // each example uses some of these

use std::fs::File;
use std::path::PathBuf;

/// `--help` starts with the usage line, as the examples' documentation shows it.
pub const HELP_TEMPLATE: &str = "\
{usage-heading} {usage}

{about-with-newline}
{all-args}{after-help}";

/// A whole number of at least 1, for `--workers N` and the like.
pub fn at_least_one(value: &str) -> Result<usize, String> {
    match value.parse() {
        Ok(n) if n >= 1 => Ok(n),
        _ => Err("needs a whole number of at least 1".to_owned()),
    }
}

/// A directory that exists.
pub fn directory(path: PathBuf) -> Result<PathBuf, String> {
    match path.metadata() {
        Ok(m) if m.is_dir() => Ok(path),
        Ok(_) => Err("not a directory".to_owned()),
        Err(e) => Err(e.to_string()),
    }
}

/// A file that exists and can be opened for reading.
pub fn readable_file(path: PathBuf) -> Result<PathBuf, String> {
    match path.metadata() {
        Ok(m) if m.is_file() => File::open(&path).map(|_| path).map_err(|e| e.to_string()),
        Ok(_) => Err("not a file".to_owned()),
        Err(e) => Err(e.to_string()),
    }
}

/// The number of CPUs, the default number of workers.
pub fn cpus() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// `n` and `thing`, plural unless `n` is 1: `1 worker`, `2 workers`.
pub fn count(n: impl Into<u64>, thing: &str) -> String {
    let n = n.into();
    if n == 1 {
        format!("{n} {thing}")
    } else {
        format!("{n} {thing}s")
    }
}
