//! A Redis server for the tests of remote stages, and worker processes.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;

/// The address of the Redis server the tests use.
pub fn redis_url() -> String {
    static URL: OnceLock<String> = OnceLock::new();
    URL.get_or_init(|| {
        if let Ok(url) = std::env::var("PIPELINE_TEST_REDIS") {
            return url;
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let (ready, started) = std::sync::mpsc::channel();
        // The server is started from a thread that never ends, and dies with it
        // (`PR_SET_PDEATHSIG`): with this process, whatever way it ends.
        std::thread::spawn(move || {
            use std::os::unix::process::CommandExt;
            let mut command = Command::new("redis-server");
            command
                .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
                .args(["--save", "", "--appendonly", "no"])
                .stdout(Stdio::piped());
            // SAFETY: `prctl` is async-signal-safe.
            unsafe {
                command.pre_exec(|| {
                    libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                    Ok(())
                });
            }
            // Never waited for: it lives as long as this process.
            #[allow(clippy::zombie_processes)]
            let mut server = command.spawn().unwrap_or_else(|e| {
                panic!("these tests need redis-server (apt-get install redis-server): {e}")
            });
            let stdout = BufReader::new(server.stdout.take().unwrap());
            let mut ready = Some(ready);
            for line in stdout.lines() {
                if line
                    .unwrap_or_default()
                    .contains("Ready to accept connections")
                {
                    if let Some(ready) = ready.take() {
                        ready.send(()).unwrap();
                    }
                }
            }
            loop {
                std::thread::park();
            }
        });
        started
            .recv()
            .expect("redis-server did not start: is it installed?");
        format!("redis://127.0.0.1:{port}")
    })
    .clone()
}

/// Worker processes of this test binary, killed when dropped.
pub struct Workers(pub Vec<Child>);

impl Workers {
    pub fn start(n: usize) -> Self {
        Self::of(&std::env::current_exe().unwrap(), n)
    }

    /// `n` worker processes of the program at `exe`.
    pub fn of(exe: &std::path::Path, n: usize) -> Self {
        Workers(
            (0..n)
                .map(|_| {
                    Command::new(exe)
                        .env("PIPELINE_WORKER", redis_url())
                        .stdin(Stdio::null())
                        .spawn()
                        .unwrap()
                })
                .collect(),
        )
    }

    pub fn pids(&self) -> Vec<u32> {
        self.0.iter().map(Child::id).collect()
    }
}

impl Drop for Workers {
    fn drop(&mut self) {
        for child in &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
