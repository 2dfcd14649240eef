//! `examples/wordfreq.rs` against the classic shell pipeline
//! `tr -cs '[:alnum:]' '\n' | tr '[:upper:]' '[:lower:]' | sort | uniq -c | sort -k1,1nr -k2,2`
//! on an ASCII corpus the test writes, where the two tokenisations agree.

mod examples_common;

use examples_common::{example, run, shell, text, TempDir};
use std::fs;
use std::path::Path;
use std::process::Command;

struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

/// Writes 30 text files in nested directories, and one binary file that wordfreq must
/// skip. Word `i` of a 60-word vocabulary occurs exactly `200 - 7 * (i / 3)` times, so
/// words tie in threes, in mixed case, between varied separators. Every file starts
/// with a word and ends with a newline, so that concatenating the files joins no two
/// words.
fn write_corpus(dir: &Path) {
    let vocabulary: Vec<String> = (0..60)
        .map(|i| match i % 4 {
            0 => format!("word{i}"),
            1 => format!(
                "{}x",
                ["alpha", "beta", "gamma", "delta", "eps"][i % 5].repeat(1 + i / 20)
            ),
            2 => format!("{}", 1000 + i * 37),
            _ => format!("z{}q{i}", "ab".repeat(1 + i % 3)),
        })
        .collect();
    let mut occurrences: Vec<&str> = Vec::new();
    for (i, word) in vocabulary.iter().enumerate() {
        occurrences.extend(std::iter::repeat(word.as_str()).take(200 - 7 * (i / 3)));
    }
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for i in (1..occurrences.len()).rev() {
        occurrences.swap(i, rng.below(i + 1));
    }
    let separators = [
        " ", ", ", ". ", " -- ", " (", ") ", "'", "\t", "\n", "!\n\n", "/", "_",
    ];
    let files = 30;
    for (f, chunk) in occurrences
        .chunks(occurrences.len().div_ceil(files))
        .enumerate()
    {
        let mut text = String::new();
        for (j, word) in chunk.iter().enumerate() {
            if j > 0 {
                text.push_str(separators[rng.below(separators.len())]);
            }
            match rng.below(3) {
                0 => text.push_str(word),
                1 => text.push_str(&word.to_uppercase()),
                _ => {
                    let mut chars = word.chars();
                    text.extend(chars.next().map(|c| c.to_ascii_uppercase()));
                    text.push_str(chars.as_str());
                }
            }
        }
        text.push_str(".\n");
        let sub = dir.join(format!("part{}/chapter{}", f % 3, f % 5));
        fs::create_dir_all(&sub).unwrap();
        fs::write(sub.join(format!("file{f}.txt")), text).unwrap();
    }
    fs::write(dir.join("part0/image.bin"), b"word0 word0\0word0 word0").unwrap();
}

/// `COUNT WORD` lines with single spaces, as wordfreq prints them.
fn normalise(shell_output: &str) -> String {
    shell_output
        .lines()
        .map(|line| line.split_whitespace().collect::<Vec<_>>().join(" ") + "\n")
        .collect()
}

#[test]
fn top_words_match_the_shell_pipeline() {
    let tmp = TempDir::new("wordfreq");
    let corpus = tmp.path().join("corpus");
    write_corpus(&corpus);

    for (top, workers) in [("25", "3"), ("1000", "1"), ("1", "2")] {
        let want = normalise(&shell(
            &corpus,
            &format!(
                "find . -name '*.txt' -print0 | xargs -0 cat \
                 | tr -cs '[:alnum:]' '\\n' | tr '[:upper:]' '[:lower:]' \
                 | sort | uniq -c | sort -k1,1nr -k2,2 | head -{top}"
            ),
        ));
        let output = run(Command::new(example("wordfreq"))
            .args(["--top", top, "--workers", workers])
            .arg(&corpus));
        let stderr = text(&output.stderr);
        assert_eq!(output.status.code(), Some(0), "{stderr}");
        assert_eq!(
            text(&output.stdout),
            want,
            "--top {top} --workers {workers}"
        );
        assert!(stderr.contains(" in 30 files, "), "{stderr}");
        assert!(
            stderr.contains("; 1 binary and 0 unreadable skipped"),
            "{stderr}"
        );
    }
    // The corpus has every word, and ties to break.
    let all = text(
        &run(Command::new(example("wordfreq"))
            .args(["--top", "1000"])
            .arg(&corpus))
        .stdout,
    );
    assert_eq!(all.lines().count(), 60);
    assert!(all.starts_with("200 "), "{all}");
}

#[test]
fn an_unreadable_entry_is_reported_and_the_exit_status_is_1() {
    let tmp = TempDir::new("wordfreq-broken");
    fs::write(tmp.path().join("a.txt"), "one two two\n").unwrap();
    std::os::unix::fs::symlink("gone", tmp.path().join("dangling")).unwrap();
    let output = run(Command::new(example("wordfreq")).arg(tmp.path()));
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert_eq!(text(&output.stdout), "2 two\n1 one\n");
    assert!(
        stderr.contains("dangling: broken symbolic link"),
        "{stderr}"
    );
}

#[test]
fn usage_errors_exit_2_and_say_what_is_wrong() {
    for (args, message) in [
        (
            &[][..],
            "the following required arguments were not provided:\n  <DIR>\n",
        ),
        (
            &["--top", "0", "."][..],
            "invalid value '0' for '--top <N>': needs a whole number of at least 1",
        ),
        (&["--top=x", "."][..], "invalid value 'x' for '--top <N>'"),
        (
            &["--workers=2=3", "."][..],
            "invalid value '2=3' for '--workers <N>'",
        ),
        (&["-x", "."][..], "unexpected argument '-x' found"),
    ] {
        let output = run(Command::new(example("wordfreq")).args(args));
        let stderr = text(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(message), "{args:?}: {stderr}");
        assert!(stderr.contains("try '--help'"), "{args:?}: {stderr}");
    }
    let help = run(Command::new(example("wordfreq")).arg("-h"));
    assert_eq!(help.status.code(), Some(0));
    assert!(text(&help.stdout).starts_with("Usage: wordfreq "));
}
