//! A named pipe through which a worker process tells a test that it has reached a
//! marked item, and its pid: the test then knows where the process is, with no wait
//! on a clock.

use std::io::Read;
use std::path::PathBuf;

pub struct Fifo(PathBuf);

impl Fifo {
    /// A new pipe, named after this process and `name`.
    pub fn new(name: &str) -> Self {
        let path =
            std::env::temp_dir().join(format!("pipeline-fifo-{}-{name}", std::process::id()));
        let fifo = Fifo(path);
        fifo.remove();
        let c = std::ffi::CString::new(fifo.path()).unwrap();
        // SAFETY: a valid C string; the result is checked.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        fifo
    }

    /// Its path, to give to the process as an argument.
    pub fn path(&self) -> String {
        self.0.to_str().unwrap().to_owned()
    }

    /// Blocks until a process has written its pid into the pipe; that pid.
    pub fn pid(&self) -> i32 {
        let mut text = String::new();
        std::fs::File::open(&self.0)
            .unwrap()
            .read_to_string(&mut text)
            .unwrap();
        text.trim().parse().unwrap()
    }

    fn remove(&self) {
        let _ = std::fs::remove_file(&self.0);
        // The marker a process may leave beside the pipe (see `tests/remote.rs`).
        let _ = std::fs::remove_file(self.0.with_extension("taken"));
    }
}

impl Drop for Fifo {
    fn drop(&mut self) {
        self.remove();
    }
}
