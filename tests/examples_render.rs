//! `examples/render.rs`: the image is the same byte for byte rendered with plain
//! calls, on local threads, and by two worker processes of the example serving a
//! broker.

mod examples_common;
mod redis_server;

use examples_common::{example_with_features, TempDir};
use redis_server::{redis_url, Workers};
use std::fs;
use std::process::Command;

#[test]
fn the_image_is_the_same_sequential_local_and_on_two_worker_processes() {
    let dir = TempDir::new("render");
    let render = example_with_features("render", &["redis"]);
    let size = ["--width", "320", "--height", "200", "--iterations", "500"];
    let run = |out: &str, extra: &[&str]| {
        let output = Command::new(&render)
            .args(size)
            .args(extra)
            .arg("--out")
            .arg(dir.path().join(out))
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        assert!(output.status.success(), "{stderr}");
        (fs::read(dir.path().join(out)).unwrap(), stderr)
    };
    let (sequential, _) = run("sequential.pgm", &["--sequential"]);
    assert!(sequential.starts_with(b"P5\n320 200\n255\n"));
    assert_eq!(sequential.len(), "P5\n320 200\n255\n".len() + 320 * 200);
    let (local, _) = run("local.pgm", &["--workers", "2"]);
    assert!(local == sequential, "the local image differs");

    let workers = Workers::of(&render, 2);
    let url = redis_url();
    let (remote, stderr) = run("remote.pgm", &["--broker", &url]);
    assert!(remote == sequential, "the remote image differs");
    let rendered_by: Vec<&str> = stderr
        .lines()
        .filter(|l| l.contains("bands rendered by worker process"))
        .collect();
    assert!(!rendered_by.is_empty(), "{stderr}");
    let pids: Vec<String> = workers.pids().iter().map(|p| format!(":{p}")).collect();
    for line in rendered_by {
        assert!(pids.iter().any(|p| line.ends_with(p.as_str())), "{line}");
    }
}
