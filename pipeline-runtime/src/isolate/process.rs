//! The parent's side of one child process: started, fed a batch at a time, watched
//! for its timeout, killed and reaped.
//!
//! A worker thread talks to its child through two non-blocking pipes and `poll`,
//! so that a large batch and a large reply never block each other, and so that the
//! thread can wake at an item's deadline. While a batch is out, the thread also looks
//! every [`LOOK`] at whether its worker must stop (every reader of its output gone),
//! and kills the child if so; a failure or a cancel kills it at once, from the run's
//! stop hook. No timer runs while the child is idle.

use super::proto::{self, Hello, SharedProgress};
use super::{Crash, CrashReason};
use crate::control::{lock, Control};
use std::fs::{File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::fd::{AsRawFd, FromRawFd, IntoRawFd, RawFd};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// The pid of a worker's live child, shared with the hook that kills it when the
/// run stops. Cleared before the child is reaped, so the hook never signals a pid
/// that the system may have given to another process.
pub(crate) type Slot = Arc<Mutex<Option<libc::pid_t>>>;

/// How often a worker with a batch out looks at whether it must stop.
const LOOK: Duration = Duration::from_millis(50);

/// How the last bytes a child wrote to stderr are kept, for a crash's detail.
const TAIL: usize = 4096;

/// How an exchange with the child ended, other than with its answer.
pub(crate) enum Ended {
    /// The child died (or was killed for its timeout): the index in the batch of the
    /// item it was on, if any, and why.
    Died(Option<usize>, Crash),
    /// The worker must stop: the child was killed.
    Stopped,
}

pub(crate) struct Process {
    child: std::process::Child,
    slot: Slot,
    to: Option<File>,
    from: File,
    inbuf: Vec<u8>,
    progress: SharedProgress,
    stderr: Option<JoinHandle<Vec<u8>>>,
    timeout: Option<Duration>,
}

fn check(result: libc::c_int) -> io::Result<libc::c_int> {
    match result {
        -1 => Err(io::Error::last_os_error()),
        n => Ok(n),
    }
}

fn set_nonblocking(fd: RawFd) -> io::Result<()> {
    // SAFETY: flag calls on a descriptor the caller owns.
    unsafe {
        let flags = check(libc::fcntl(fd, libc::F_GETFL))?;
        check(libc::fcntl(fd, libc::F_SETFL, flags | libc::O_NONBLOCK))?;
    }
    Ok(())
}

/// A page-sized file nobody else can open: made, then unlinked at once.
fn progress_file() -> io::Result<File> {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let path = std::env::temp_dir().join(format!(
        "pipeline-progress-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create_new(true)
        .open(&path)?;
    let _ = std::fs::remove_file(&path);
    file.set_len(std::mem::size_of::<proto::Progress>() as u64)?;
    Ok(file)
}

/// The executable the children run: this very one.
fn executable() -> io::Result<std::path::PathBuf> {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        // The file this process was started from, even if it was replaced since.
        Ok("/proc/self/exe".into())
    }
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    {
        std::env::current_exe()
    }
}

impl Process {
    /// Starts a child for the stage `hello` names and waits until it has started
    /// the stage. `Err(Ok(reply))`: the stage failed to start in the child.
    pub(crate) fn start(
        hello: &Hello,
        slot: &Slot,
        control: &Control,
        timeout: Option<Duration>,
    ) -> Result<Self, StartError> {
        let progress_file = progress_file().map_err(StartError::Io)?;
        let progress = SharedProgress::map(progress_file.as_raw_fd()).map_err(StartError::Io)?;
        let fd = progress_file.as_raw_fd();
        let mut command = Command::new(executable().map_err(StartError::Io)?);
        command
            .env(proto::CHILD_ENV, "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        // SAFETY: only async-signal-safe calls between fork and exec.
        unsafe {
            command.pre_exec(move || {
                if fd == proto::PROGRESS_FD {
                    check(libc::fcntl(fd, libc::F_SETFD, 0))?;
                } else {
                    check(libc::dup2(fd, proto::PROGRESS_FD))?;
                }
                // The child dies with the thread that started it, even if the whole
                // process is killed with no chance to clean up.
                #[cfg(any(target_os = "linux", target_os = "android"))]
                check(libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL))?;
                Ok(())
            });
        }
        let mut child = command.spawn().map_err(StartError::Io)?;
        drop(progress_file);
        *lock(slot) = Some(child.id() as libc::pid_t);
        let to = child.stdin.take().expect("piped");
        let from = child.stdout.take().expect("piped");
        let stderr = child.stderr.take().expect("piped");
        let stderr = std::thread::Builder::new()
            .name("pipeline-isolated-stderr".to_owned())
            .spawn(move || forward(stderr))
            .ok();
        // SAFETY: the descriptors are the pipes' ends this process owns, moved into
        // `File`s that own them from here on.
        let (to, from) = unsafe {
            (
                File::from_raw_fd(to.into_raw_fd()),
                File::from_raw_fd(from.into_raw_fd()),
            )
        };
        let mut process = Self {
            child,
            slot: Arc::clone(slot),
            to: Some(to),
            from,
            inbuf: Vec::new(),
            progress,
            stderr,
            timeout,
        };
        // A stop that came while this child started: the hook found no pid to kill.
        if control.is_stopped() {
            process.kill();
        }
        set_nonblocking(process.from.as_raw_fd()).map_err(StartError::Io)?;
        if let Some(to) = &process.to {
            set_nonblocking(to.as_raw_fd()).map_err(StartError::Io)?;
        }
        let body = postcard::to_stdvec(hello).map_err(|e| StartError::Io(io::Error::other(e)))?;
        match process.exchange(proto::HELLO, &body, &|| control.is_stopped()) {
            Ok((proto::READY, _)) => Ok(process),
            Ok((proto::START_FAILED, body)) => Err(StartError::Stage(body)),
            Ok((tag, _)) => Err(StartError::Io(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("unexpected frame {tag} from the isolated worker"),
            ))),
            Err(Ended::Died(_, crash)) => Err(StartError::Died(crash)),
            Err(Ended::Stopped) => Err(StartError::Stopped),
        }
    }

    /// Items the child has started over its life.
    pub(crate) fn started(&self) -> u64 {
        self.progress.read().0
    }

    /// Sends one frame and waits for the child's answer; if the child dies first,
    /// says which item (counted from `base` items started) it was on.
    pub(crate) fn exchange(
        &mut self,
        tag: u8,
        body: &[u8],
        stop: &dyn Fn() -> bool,
    ) -> Result<(u8, Vec<u8>), Ended> {
        let base = self.started();
        let header = match proto::frame_header(tag, body.len()) {
            Ok(header) => header,
            Err(e) => return Err(self.died(base, Some(e.to_string()))),
        };
        let (mut header_sent, mut body_sent) = (0, 0);
        let mut chunk = vec![0u8; 1 << 16];
        loop {
            if let Some(frame) = proto::split_frame(&mut self.inbuf) {
                return Ok(frame);
            }
            let writing = header_sent < header.len() || body_sent < body.len();
            let mut fds = [
                libc::pollfd {
                    fd: self.from.as_raw_fd(),
                    events: libc::POLLIN,
                    revents: 0,
                },
                libc::pollfd {
                    fd: self.to.as_ref().map_or(-1, AsRawFd::as_raw_fd),
                    events: if writing { libc::POLLOUT } else { 0 },
                    revents: 0,
                },
            ];
            let wait = self.poll_timeout(base);
            // SAFETY: `fds` is a valid array of two `pollfd`s.
            let ready = unsafe { libc::poll(fds.as_mut_ptr(), 2, wait) };
            if ready == -1 {
                let e = io::Error::last_os_error();
                if e.kind() == io::ErrorKind::Interrupted {
                    continue;
                }
                return Err(self.died(base, Some(e.to_string())));
            }
            if ready == 0 {
                if stop() {
                    self.kill();
                    self.reap();
                    return Err(Ended::Stopped);
                }
                if let Some(timeout) = self.timed_out(base) {
                    self.kill();
                    return Err(match self.died(base, None) {
                        Ended::Died(at, crash) => Ended::Died(
                            at,
                            Crash {
                                reason: CrashReason::TimedOut(timeout),
                                detail: None,
                                ..crash
                            },
                        ),
                        stopped => stopped,
                    });
                }
                continue;
            }
            if writing && fds[1].revents != 0 {
                let to = self.to.as_mut().expect("polled");
                let result = if header_sent < header.len() {
                    to.write(&header[header_sent..]).map(|n| header_sent += n)
                } else {
                    to.write(&body[body_sent..]).map(|n| body_sent += n)
                };
                match result {
                    Ok(()) => {}
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    // The child is gone: its end of the output tells how.
                    Err(_) => self.to = None,
                }
            }
            if fds[0].revents != 0 {
                loop {
                    match self.from.read(&mut chunk) {
                        Ok(0) => return Err(self.died(base, None)),
                        Ok(n) => self.inbuf.extend_from_slice(&chunk[..n]),
                        Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                        Err(e) => return Err(self.died(base, Some(e.to_string()))),
                    }
                }
            }
        }
    }

    /// How long `poll` may wait: until the current item's deadline, or forever.
    fn poll_timeout(&self, base: u64) -> libc::c_int {
        let look = LOOK.as_millis() as libc::c_int;
        let Some(timeout) = self.timeout else {
            return look;
        };
        let (started, since) = self.progress.read();
        let now = proto::monotonic_ns();
        let deadline = match started > base {
            true => since.saturating_add(timeout.as_nanos() as u64),
            // No item started yet: look again after a timeout's length.
            false => now.saturating_add(timeout.as_nanos() as u64),
        };
        let ms = deadline.saturating_sub(now).div_ceil(1_000_000);
        (ms.clamp(1, i32::MAX as u64) as libc::c_int).min(look)
    }

    /// The timeout, if the item the child is on has run past it.
    fn timed_out(&self, base: u64) -> Option<Duration> {
        let timeout = self.timeout?;
        let (started, since) = self.progress.read();
        let over = started > base
            && proto::monotonic_ns() >= since.saturating_add(timeout.as_nanos() as u64);
        over.then_some(timeout)
    }

    /// Kills the child; it is reaped by whoever sees it gone.
    pub(crate) fn kill(&mut self) {
        if let Some(pid) = *lock(&self.slot) {
            // SAFETY: `pid` is this process's child, not yet reaped (see `Slot`).
            unsafe { libc::kill(pid, libc::SIGKILL) };
        }
    }

    /// The child ended: reaps it and says why, and which item it was on.
    fn died(&mut self, base: u64, io_error: Option<String>) -> Ended {
        let (started, _) = self.progress.read();
        let item = (started > base).then(|| (started - base - 1) as usize);
        self.kill();
        let status = self.reap();
        let tail = self
            .stderr
            .take()
            .and_then(|t| t.join().ok())
            .unwrap_or_default();
        let tail = String::from_utf8_lossy(&tail);
        let last_line = tail
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .map(|l| l.trim().to_owned());
        let out_of_memory = tail.contains("memory allocation of") && tail.contains("failed");
        let reason = match status {
            _ if out_of_memory => CrashReason::OutOfMemory,
            Some(status) => match status.signal() {
                Some(signal) => CrashReason::Signal(signal),
                None => CrashReason::Exited(status.code().unwrap_or(-1)),
            },
            None => CrashReason::Exited(-1),
        };
        Ended::Died(
            item,
            Crash {
                item: None,
                reason,
                detail: io_error.or(last_line),
            },
        )
    }

    /// Waits for the child to end, clearing its pid first; `None` if it was reaped.
    fn reap(&mut self) -> Option<std::process::ExitStatus> {
        let pid = lock(&self.slot).take();
        self.to = None;
        pid.and_then(|_| self.child.wait().ok())
    }
}

impl Drop for Process {
    /// No child outlives its worker, whatever way the worker ended.
    fn drop(&mut self) {
        self.kill();
        self.reap();
        if let Some(stderr) = self.stderr.take() {
            let _ = stderr.join();
        }
    }
}

/// Why a child did not start serving.
pub(crate) enum StartError {
    /// It could not be started, or spoke nonsense.
    Io(io::Error),
    /// The stage failed to start in it: a `Reply<()>`, `postcard`.
    Stage(Vec<u8>),
    /// It died first.
    Died(Crash),
    /// The run stopped while it started.
    Stopped,
}

/// Copies a child's stderr to this process's, keeping the last bytes.
fn forward(mut stderr: std::process::ChildStderr) -> Vec<u8> {
    let mut tail: Vec<u8> = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        match stderr.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => {
                let _ = io::stderr().write_all(&chunk[..n]);
                tail.extend_from_slice(&chunk[..n]);
                if tail.len() > 2 * TAIL {
                    tail.drain(..tail.len() - TAIL);
                }
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => break,
        }
    }
    tail
}
