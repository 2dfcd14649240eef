//! Helpers for the tests that run the example programs as a user would: build the
//! example, run its binary on data the test writes, read what it prints.
#![allow(dead_code)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::Mutex;

/// The path of the binary of example `name`, built first (with the profile these
/// tests were built with) so that it is never missing or stale.
///
/// `cargo test` builds the examples too, but not `cargo test --test NAME`; asking
/// cargo for the build, in JSON, also gives the binary's exact path whatever the
/// target directory.
pub fn example(name: &str) -> PathBuf {
    example_with_features(name, &[])
}

/// [`example`] for an example that needs some of the crate's features.
pub fn example_with_features(name: &str, features: &[&str]) -> PathBuf {
    static BUILT: Mutex<Option<HashMap<String, PathBuf>>> = Mutex::new(None);
    let mut built = BUILT.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(path) = built.get_or_insert_with(HashMap::new).get(name) {
        return path.clone();
    }
    let mut cargo = Command::new(env!("CARGO"));
    cargo
        .args([
            "build",
            "--example",
            name,
            "--message-format=json-render-diagnostics",
        ])
        .args(features.iter().flat_map(|f| ["--features", f]))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdin(Stdio::null())
        .stderr(Stdio::inherit());
    if !cfg!(debug_assertions) {
        cargo.arg("--release");
    }
    let output = cargo
        .output()
        .expect("could not run cargo to build the example");
    assert!(
        output.status.success(),
        "building example `{name}` failed: {}",
        output.status
    );
    let stdout = String::from_utf8(output.stdout).expect("cargo's JSON is UTF-8");
    let path = stdout
        .lines()
        .filter(|line| line.contains(r#""reason":"compiler-artifact""#))
        .filter(|line| line.contains(&format!(r#""name":"{name}""#)))
        .filter(|line| line.contains(r#""kind":["example"]"#))
        .find_map(|line| json_string_after(line, r#""executable":""#))
        .unwrap_or_else(|| panic!("cargo did not name the binary of example `{name}`"));
    let path = PathBuf::from(path);
    assert!(path.is_file(), "{} is not a file", path.display());
    built
        .get_or_insert_with(HashMap::new)
        .insert(name.to_owned(), path.clone());
    path
}

/// The JSON string that follows `key` in `line`, unescaped (`\"` and `\\` only,
/// which is all a Unix path needs).
fn json_string_after(line: &str, key: &str) -> Option<String> {
    let start = line.find(key)? + key.len();
    let mut value = String::new();
    let mut chars = line[start..].chars();
    loop {
        match chars.next()? {
            '"' => return Some(value),
            '\\' => value.push(chars.next()?),
            c => value.push(c),
        }
    }
}

/// Runs `command` to the end and returns what it did; panics, naming the program, if
/// it cannot be started (a missing tool fails the test, never skips it).
pub fn run(command: &mut Command) -> Output {
    let program = command.get_program().to_string_lossy().into_owned();
    command
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("could not run `{program}`: {e}"))
}

/// Runs a shell pipeline with `bash -o pipefail -c`, in `dir`, in the C locale, and
/// returns its stdout; panics with its stderr if it fails.
pub fn shell(dir: &Path, script: &str) -> String {
    let output = run(Command::new("bash")
        .args(["-o", "pipefail", "-c", script])
        .current_dir(dir)
        .env("LC_ALL", "C"));
    assert!(
        output.status.success(),
        "`{script}` failed ({}): {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("the shell's output is UTF-8")
}

/// A fresh, empty directory for one test, removed when dropped.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(test: &str) -> Self {
        let path =
            std::env::temp_dir().join(format!("pipeline-examples-{test}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).unwrap();
        Self(path)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The text of `bytes`, for messages and comparisons.
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}
