//! `examples/hashdir.rs`, run on trees the tests write: its output must be exactly what
//! `sha256sum` prints for the same files in the same order, and `sha256sum -c` must
//! accept it.

mod examples_common;

use examples_common::{example, run, shell, text, TempDir};
use std::fs;
use std::os::unix::fs::{symlink, PermissionsExt};
use std::path::Path;
use std::process::Command;

/// `n` bytes that do not repeat in any short period.
fn noise(n: usize, mut state: u64) -> Vec<u8> {
    (0..n)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 32) as u8
        })
        .collect()
}

/// Lines `sha256sum` prints for `paths` (relative to `dir`), in the order given.
fn sha256sum(dir: &Path, paths: &[&str]) -> String {
    let list: String = paths.iter().map(|p| format!("{p}\0")).collect();
    fs::write(dir.join("../list"), list).unwrap();
    shell(dir, "xargs -0 sha256sum -- < ../list")
}

#[test]
fn sums_match_sha256sum_and_what_cannot_be_read_is_reported_and_skipped() {
    let tmp = TempDir::new("hashdir-tree");
    let top = tmp.path().join("tree");
    fs::create_dir_all(top.join("nested/deeper/deepest")).unwrap();
    fs::create_dir_all(top.join("empty-dir")).unwrap();
    fs::write(top.join("a.txt"), "hello\n").unwrap();
    fs::write(top.join("empty"), "").unwrap();
    fs::write(top.join("name with spaces.txt"), "spaces\n").unwrap();
    fs::write(top.join("new\nline"), "newline in the name\n").unwrap();
    fs::write(top.join("back\\slash"), "backslash in the name\n").unwrap();
    fs::write(top.join("nested/b.txt"), "b\n").unwrap();
    fs::write(top.join("nested/deeper/deepest/c.bin"), noise(4099, 7)).unwrap();
    // Larger than the read buffer, and not a multiple of it.
    fs::write(
        top.join("nested/large.bin"),
        noise(5 * 1024 * 1024 + 123, 11),
    )
    .unwrap();
    symlink("a.txt", top.join("link-to-a")).unwrap();
    symlink("nested", top.join("link-to-dir")).unwrap();
    symlink("no-such-file", top.join("broken-link")).unwrap();
    let fifo = run(Command::new("mkfifo").arg(top.join("fifo")));
    assert!(fifo.status.success(), "mkfifo: {}", text(&fifo.stderr));
    // A file without read permission is unreadable only without privileges: these
    // tests often run as root, who reads it anyway. Whether it can be read here
    // decides what hashdir must do with it.
    let locked = top.join("locked.txt");
    fs::write(&locked, "locked\n").unwrap();
    fs::set_permissions(&locked, fs::Permissions::from_mode(0o000)).unwrap();
    let locked_is_readable = fs::read(&locked).is_ok();

    let mut hashed = vec![
        "./a.txt",
        "./back\\slash",
        "./empty",
        "./link-to-a",
        "./name with spaces.txt",
        "./nested/b.txt",
        "./nested/deeper/deepest/c.bin",
        "./nested/large.bin",
        "./new\nline",
    ];
    if locked_is_readable {
        hashed.push("./locked.txt");
    }
    hashed.sort_unstable();

    let output = run(Command::new(example("hashdir"))
        .args(["--workers", "3", "."])
        .current_dir(&top));
    let (stdout, stderr) = (text(&output.stdout), text(&output.stderr));

    assert_eq!(output.status.code(), Some(1), "stderr: {stderr}");
    assert_eq!(stdout, sha256sum(&top, &hashed), "stderr: {stderr}");
    assert!(
        stderr.contains("skipped ./broken-link: broken symbolic link\n"),
        "{stderr}"
    );
    assert!(
        stderr.contains("skipped ./fifo: not a regular file: a FIFO\n"),
        "{stderr}"
    );
    let skipped = if locked_is_readable {
        2
    } else {
        assert!(stderr.contains("skipped ./locked.txt: "), "{stderr}");
        3
    };
    assert!(
        stderr.contains(&format!("{} files, ", hashed.len()))
            && stderr.contains(&format!("; {skipped} skipped")),
        "{stderr}"
    );

    fs::write(tmp.path().join("sums"), &output.stdout).unwrap();
    let check = shell(&top, "sha256sum --strict -c ../sums");
    let oks = check.lines().filter(|l| l.ends_with(": OK")).count();
    assert_eq!(oks, hashed.len(), "{check}");
}

#[test]
fn a_readable_tree_exits_0_and_the_worker_count_changes_nothing() {
    let tmp = TempDir::new("hashdir-clean");
    let top = tmp.path().join("tree");
    for i in 0..40 {
        let dir = top.join(format!("d{}", i % 7));
        fs::create_dir_all(&dir).unwrap();
        fs::write(dir.join(format!("f{i}")), noise(i * 997, i as u64 + 1)).unwrap();
    }
    let mut outputs = Vec::new();
    for workers in ["1", "4"] {
        let output = run(Command::new(example("hashdir"))
            .args(["--workers", workers])
            .arg(&top));
        assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
        assert!(text(&output.stderr).contains("40 files"));
        outputs.push(text(&output.stdout));
    }
    assert_eq!(outputs[0], outputs[1]);
    assert_eq!(outputs[0].lines().count(), 40);
    fs::write(tmp.path().join("sums"), &outputs[0]).unwrap();
    shell(tmp.path(), "sha256sum --strict --quiet -c sums");
}

#[test]
fn usage_errors_exit_2_and_say_what_is_wrong() {
    let tmp = TempDir::new("hashdir-usage");
    let file = tmp.path().join("file");
    fs::write(&file, "").unwrap();
    let file = file.to_str().unwrap();
    let missing = tmp.path().join("missing");
    let missing = missing.to_str().unwrap();
    for (args, message) in [
        (
            &[][..],
            "the following required arguments were not provided:\n  <DIR>\n",
        ),
        (
            &["--workers", "0", "."][..],
            "invalid value '0' for '--workers <N>': needs a whole number of at least 1",
        ),
        (
            &["--workers"][..],
            "a value is required for '--workers <N>' but none was supplied",
        ),
        (
            &["--colour", "."][..],
            "unexpected argument '--colour' found",
        ),
        (&[".", "."][..], "unexpected argument '.' found"),
        (&[file][..], "for '<DIR>': not a directory"),
        (&[missing][..], "for '<DIR>': No such file or directory"),
    ] {
        let output = run(Command::new(example("hashdir")).args(args));
        let stderr = text(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.starts_with("error: "), "{args:?}: {stderr}");
        assert!(stderr.contains(message), "{args:?}: {stderr}");
        assert!(stderr.contains("try '--help'"), "{args:?}: {stderr}");
        assert!(output.stdout.is_empty());
    }
    let help = run(Command::new(example("hashdir")).arg("--help"));
    assert_eq!(help.status.code(), Some(0));
    assert!(text(&help.stdout).starts_with("Usage: hashdir [--workers N] DIR\n"));
}
