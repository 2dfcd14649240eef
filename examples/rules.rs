//! Untrusted search rules, each run in an isolated worker process: every rule is a
//! POSIX extended regular expression, compiled and matched against every line of a
//! text by the C library's own `regcomp`/`regexec`. Some patterns crash glibc's
//! matcher (a stack overflow on deep nesting, the back-reference recursion of
//! CVE-2019-9192), some make it back-track for ever, some make it allocate without
//! end. Threads could not survive those; isolated workers fail the one rule (its
//! process is killed on a timeout and limited in memory), the run goes on, and the
//! report lists the rules skipped and why.
//!
//! ```text
//! cargo run --release --example rules -- [--workers N] [--rules FILE] [--text FILE]
//! ```
//!
//! Without `--rules`, a generated set of 200 rules is used, with four poisoned ones
//! among them; without `--text`, a generated text of 2,000 lines.

#[path = "common/cli.rs"]
mod cli;

use clap::builder::{PathBufValueParser, TypedValueParser};
use clap::Parser;
use pipeline::{consumer, pipeline, producer, stage};
use serde::{Deserialize, Serialize};
use std::ffi::CString;
use std::path::PathBuf;
use std::process;
use std::time::Duration;

/// Counts, for each rule (one POSIX extended regular expression per line of the rules
/// file), the lines of the text it matches, and prints `RULE COUNT PATTERN` in rule
/// order, or `RULE invalid: WHY` for a rule that does not compile. A rule whose
/// matcher crashes, runs past 2 s or past 512 MiB is skipped; the skipped rules are
/// listed at the end, each with its reason.
#[derive(Parser)]
#[command(
    name = "rules",
    override_usage = "rules [--workers N] [--rules FILE] [--text FILE]",
    help_template = cli::HELP_TEMPLATE,
    verbatim_doc_comment,
    after_help = "Exit status: 0 if the run finished (skipped rules included), 1 if it failed,\n\
                  2 on a usage error."
)]
struct Args {
    /// run N rules at a time, each in its own process (default: the number of CPUs)
    #[arg(long, value_name = "N", value_parser = cli::at_least_one)]
    workers: Option<usize>,
    /// the rules, one per line (default: generated, with poisoned ones)
    #[arg(long, value_name = "FILE", value_parser = PathBufValueParser::new().try_map(cli::readable_file))]
    rules: Option<PathBuf>,
    /// the text to search (default: generated)
    #[arg(long, value_name = "FILE", value_parser = PathBufValueParser::new().try_map(cli::readable_file))]
    text: Option<PathBuf>,
}

/// What a rule did.
#[derive(Debug, Serialize, Deserialize)]
enum Verdict {
    /// It matched this many lines.
    Matched(usize),
    /// It did not compile: the C library's message.
    Invalid(String),
}

#[producer]
fn numbered(rules: Vec<String>) -> impl Iterator<Item = (usize, String)> {
    rules.into_iter().enumerate()
}

/// Compiles `rule` with `regcomp` and counts the lines of `text` that `regexec`
/// matches: the C library does all the work, on data it should not have to trust.
#[stage(
    isolate,
    ordered,
    timeout = Duration::from_secs(2),
    memory = 512 << 20,
    on_crash = skip
)]
#[allow(clippy::ptr_arg)] // an argument given by reference is stored as the value
fn check(rule: (usize, String), text: &Vec<String>) -> (usize, Verdict) {
    let (index, pattern) = rule;
    let Ok(pattern) = CString::new(pattern) else {
        return (
            index,
            Verdict::Invalid("a NUL byte in the pattern".to_owned()),
        );
    };
    // SAFETY: `regex_t` is plain data that `regcomp` initialises.
    let mut regex: libc::regex_t = unsafe { std::mem::zeroed() };
    // SAFETY: a valid C string and a `regex_t` to fill.
    let error = unsafe {
        libc::regcomp(
            &mut regex,
            pattern.as_ptr(),
            libc::REG_EXTENDED | libc::REG_NOSUB,
        )
    };
    if error != 0 {
        let mut message = [0u8; 256];
        // SAFETY: `regerror` writes at most `message.len()` bytes, NUL-terminated.
        unsafe { libc::regerror(error, &regex, message.as_mut_ptr().cast(), message.len()) };
        let end = message
            .iter()
            .position(|&b| b == 0)
            .unwrap_or(message.len());
        let why = String::from_utf8_lossy(&message[..end]).into_owned();
        return (index, Verdict::Invalid(why));
    }
    let matched = text
        .iter()
        .filter(|line| {
            let line = CString::new(line.as_str()).unwrap_or_default();
            // SAFETY: a compiled `regex_t` and a valid C string; no match offsets asked.
            unsafe { libc::regexec(&regex, line.as_ptr(), 0, std::ptr::null_mut(), 0) == 0 }
        })
        .count();
    // SAFETY: compiled above, freed once.
    unsafe { libc::regfree(&mut regex) };
    (index, Verdict::Matched(matched))
}

#[consumer]
#[allow(clippy::ptr_arg)]
fn report(results: impl Iterator<Item = (usize, Verdict)>, rules: &Vec<String>) -> usize {
    let mut printed = 0;
    for (index, verdict) in results {
        match verdict {
            Verdict::Matched(lines) => println!("{index} {lines} {}", rules[index]),
            Verdict::Invalid(why) => println!("{index} invalid: {why}"),
        }
        printed += 1;
    }
    printed
}

/// 200 rules: ordinary ones, one that does not compile, and four that the C library
/// cannot survive: deep nesting (a stack overflow), back-references that recurse
/// without end (CVE-2019-9192), back-tracking with no end in sight, and a repetition
/// whose automaton grows without bound.
fn generated_rules() -> Vec<String> {
    let first = ["^error", "warn", "info", "debug", "user[0-9]+", "GET"];
    let then = ["GET", "item/[0-9]+", "ok$", "a{5,}", "user1[0-9] ", "/9"];
    let mut rules: Vec<String> = (0..200)
        .map(|i| format!("{}.*{}", first[i % first.len()], then[(i / 6) % then.len()]))
        .collect();
    rules[13] = "unbalanced(".to_owned();
    rules[57] = format!("{}a{}", "(".repeat(30_000), ")".repeat(30_000));
    rules[91] = r"(|)(\1\1)*".to_owned();
    rules[128] = r"(a*)*(\1)*b".to_owned();
    rules[170] = "x{1000}{1000}{1000}".to_owned();
    rules
}

fn generated_text() -> Vec<String> {
    let levels = ["error", "warn", "info", "debug"];
    (0..2_000)
        .map(|i| {
            format!(
                "{} user{} GET /item/{} {}",
                levels[i % 4],
                i % 37,
                i * 7919 % 10_007,
                if i % 5 == 0 {
                    "ok"
                } else {
                    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                }
            )
        })
        .collect()
}

fn lines(path: &PathBuf) -> Vec<String> {
    match std::fs::read_to_string(path) {
        Ok(text) => text.lines().map(str::to_owned).collect(),
        Err(e) => {
            eprintln!("rules: {}: {e}", path.display());
            process::exit(1);
        }
    }
}

fn main() {
    // A worker process starts here, serves its share of the rules and never returns.
    pipeline::init();
    let args = Args::parse();
    let rules = args.rules.as_ref().map_or_else(generated_rules, lines);
    let text = args.text.as_ref().map_or_else(generated_text, lines);
    let workers = args.workers.unwrap_or_else(cli::cpus);
    let (result, stats) = pipeline!(
        numbered(rules.clone()) => check(text)[workers = workers] => report(rules.clone())
    )
    .run_with_stats();
    let printed = match result {
        Ok(printed) => printed,
        Err(e) => {
            eprintln!("rules: {e}");
            process::exit(1);
        }
    };
    let skipped = &stats
        .stages
        .iter()
        .find(|s| s.name == "check")
        .expect("a stage")
        .skipped;
    println!("{printed} rules checked, {} skipped", skipped.len());
    let mut skipped: Vec<_> = skipped.iter().collect();
    skipped.sort_by_key(|s| s.crash.item());
    for skip in skipped {
        let index = skip.crash.item().map_or(usize::MAX, |i| i as usize);
        let pattern = rules.get(index).map_or("?", String::as_str);
        let shown: String = pattern.chars().take(40).collect();
        let more = if pattern.chars().count() > 40 {
            "..."
        } else {
            ""
        };
        let detail = skip
            .crash
            .detail()
            .map_or(String::new(), |d| format!(": {d}"));
        println!(
            "skipped {index} ({shown}{more}): {}{detail}",
            skip.crash.reason()
        );
    }
}
