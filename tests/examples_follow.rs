//! `examples/follow.rs` on a log file the tests append to. The tests synchronise on
//! what the program prints, never on sleeps: they wait for its "following" line before
//! appending, and for the totals they expect before sending SIGINT. Every wait has a
//! 30-second watchdog, which only a hang reaches.

mod examples_common;

use examples_common::{example, run, text, TempDir};
use std::fs::{self, OpenOptions};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::thread;
use std::time::{Duration, Instant};

const WATCHDOG: Duration = Duration::from_secs(30);
const LEVELS: [&str; 7] = ["TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL", "other"];

/// Lines per level, in the order of [`LEVELS`].
#[derive(Clone, Copy, Default)]
struct Counts([u64; 7]);

impl Counts {
    /// The counts as follow prints them.
    fn shown(&self) -> String {
        let mut s = format!("lines {}", self.0.iter().sum::<u64>());
        for (name, n) in LEVELS.iter().zip(self.0) {
            s.push_str(&format!("  {name} {n}"));
        }
        s
    }
}

/// Log lines of every kind follow recognises, counted into `counts`.
fn lines(n: usize, seed: usize, counts: &mut Counts) -> String {
    let forms: [(&str, usize); 9] = [
        ("INFO started worker {}", 2),
        ("2024-05-01T10:00:00Z [ERROR] disk {} full", 4),
        ("2024-05-01 10:00:01 warn: slow request {}", 3),
        ("WARNING retry {}", 3),
        ("debug: cache miss {}", 1),
        ("trace {}", 0),
        ("FATAL: out of memory at {}", 5),
        ("CRITICAL {}", 5),
        ("a line with no level {}", 6),
    ];
    let mut out = String::new();
    for i in 0..n {
        let (form, level) = forms[(i * 7 + seed) % forms.len()];
        out.push_str(&form.replace("{}", &i.to_string()));
        out.push('\n');
        counts.0[level] += 1;
    }
    out
}

fn append(path: &Path, text: &str) {
    let mut file = OpenOptions::new().append(true).open(path).unwrap();
    file.write_all(text.as_bytes()).unwrap();
}

/// A running `follow`, its output read line by line on threads.
struct Follow {
    child: Child,
    stdout: Receiver<String>,
    stderr: Receiver<String>,
    seen: String,
}

fn lines_of(pipe: impl Read + Send + 'static) -> Receiver<String> {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        for line in BufReader::new(pipe).lines() {
            if tx.send(line.unwrap()).is_err() {
                break;
            }
        }
    });
    rx
}

impl Follow {
    fn start(args: &[&str], file: &Path) -> Self {
        let mut child = Command::new(example("follow"))
            .args(args)
            .arg(file)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("could not start follow");
        let stdout = lines_of(child.stdout.take().unwrap());
        let stderr = lines_of(child.stderr.take().unwrap());
        Self {
            child,
            stdout,
            stderr,
            seen: String::new(),
        }
    }

    /// Waits until a line on stdout (or stderr) satisfies `want`, and returns it.
    fn wait_for(&mut self, on_stderr: bool, what: &str, want: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + WATCHDOG;
        loop {
            let rx = if on_stderr {
                &self.stderr
            } else {
                &self.stdout
            };
            let left = deadline.saturating_duration_since(Instant::now());
            match rx.recv_timeout(left) {
                Ok(line) => {
                    self.seen.push_str(&line);
                    self.seen.push('\n');
                    if want(&line) {
                        return line;
                    }
                }
                Err(e) => {
                    let _ = self.child.kill();
                    panic!("waiting for {what}: {e:?}; follow printed:\n{}", self.seen);
                }
            }
        }
    }

    /// Waits for the line that says where following starts.
    fn wait_until_following(&mut self, from_byte: u64) {
        let want = format!(" from byte {from_byte}");
        self.wait_for(true, "the `following` line", |l| {
            l.starts_with("follow: following ") && l.ends_with(&want)
        });
    }

    /// Waits for a periodic report of exactly `counts`.
    fn wait_for_counts(&mut self, counts: Counts) {
        let want = counts.shown();
        self.wait_for(false, &want, |l| l.ends_with(&format!("s  {want}")));
    }

    /// Sends SIGINT, and returns the exit status and the rest of stdout.
    fn interrupt(self) -> (ExitStatus, Vec<String>) {
        let kill = run(Command::new("kill").args(["-INT", &self.child.id().to_string()]));
        assert!(kill.status.success(), "kill: {}", text(&kill.stderr));
        let (tx, rx) = mpsc::channel();
        let mut child = self.child;
        thread::spawn(move || {
            let _ = tx.send(child.wait());
        });
        let status = match rx.recv_timeout(WATCHDOG) {
            Ok(status) => status.unwrap(),
            Err(_) => panic!(
                "follow did not exit after SIGINT; it printed:\n{}",
                self.seen
            ),
        };
        // stdout closes when the process exits.
        let rest: Vec<String> = self.stdout.iter().collect();
        (status, rest)
    }
}

#[test]
fn from_start_counts_every_line_and_ctrl_c_prints_the_final_totals() {
    let tmp = TempDir::new("follow-start");
    let log = tmp.path().join("app.log");
    let mut counts = Counts::default();
    fs::write(&log, lines(25, 0, &mut counts)).unwrap();

    let mut follow = Follow::start(&["--from-start", "--workers", "3"], &log);
    follow.wait_until_following(0);
    follow.wait_for_counts(counts);

    append(&log, &lines(400, 1, &mut counts));
    // A line written in two parts counts once, when it is complete.
    append(&log, "ERROR half a ");
    append(&log, "line\r\n");
    counts.0[4] += 1;
    append(&log, &lines(40, 2, &mut counts));
    follow.wait_for_counts(counts);

    interrupt_and_check_totals(follow, counts);
}

#[test]
fn by_default_only_new_lines_count_through_truncation_and_rotation() {
    let tmp = TempDir::new("follow-new");
    let log = tmp.path().join("app.log");
    fs::write(&log, lines(30, 0, &mut Counts::default())).unwrap();
    let size = fs::metadata(&log).unwrap().len();

    let mut follow = Follow::start(&[], &log);
    follow.wait_until_following(size);
    let mut counts = Counts::default();
    append(&log, &lines(100, 3, &mut counts));
    follow.wait_for_counts(counts);

    // Truncated, then shorter than before: read again from the start.
    fs::write(&log, lines(4, 4, &mut counts)).unwrap();
    follow.wait_for_counts(counts);

    // Rotated: the old file moved away and a new one created at the same path.
    fs::rename(&log, tmp.path().join("app.log.1")).unwrap();
    fs::write(&log, lines(7, 5, &mut counts)).unwrap();
    follow.wait_for_counts(counts);
    append(&log, &lines(9, 6, &mut counts));
    follow.wait_for_counts(counts);

    interrupt_and_check_totals(follow, counts);
}

/// Sends SIGINT: `follow` must exit 0 and print the totals of every line it saw.
fn interrupt_and_check_totals(follow: Follow, counts: Counts) {
    let (status, rest) = follow.interrupt();
    assert_eq!(status.code(), Some(0), "{status}");
    assert_eq!(
        rest.last().map(String::as_str),
        Some(format!("total   {}", counts.shown()).as_str()),
        "{rest:?}"
    );
}

#[test]
fn usage_errors_exit_2_and_say_what_is_wrong() {
    let tmp = TempDir::new("follow-usage");
    let log = tmp.path().join("log");
    fs::write(&log, "").unwrap();
    let log = log.to_str().unwrap();
    let missing = tmp.path().join("missing");
    let missing = missing.to_str().unwrap();
    for (args, message) in [
        (
            &[][..],
            "the following required arguments were not provided:\n  <FILE>\n",
        ),
        (&[missing][..], "for '<FILE>': No such file or directory"),
        (
            &["--from-start=yes", log][..],
            "unexpected value 'yes' for '--from-start' found",
        ),
        (
            &["--workers", "none", log][..],
            "invalid value 'none' for '--workers <N>': needs a whole number of at least 1",
        ),
        (&[log, log][..], "unexpected argument"),
    ] {
        let output = run(Command::new(example("follow")).args(args));
        let stderr = text(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(message), "{args:?}: {stderr}");
        assert!(stderr.contains("try '--help'"), "{args:?}: {stderr}");
    }
    let help = run(Command::new(example("follow")).arg("--help"));
    assert_eq!(help.status.code(), Some(0));
    assert!(text(&help.stdout).starts_with("Usage: follow [--workers N] [--from-start] FILE\n"));
}
