//! What crosses between a worker thread and its child process: frames on two pipes,
//! and one shared page that says which item the child is on.
//!
//! A frame is a 4-byte little-endian length, a tag byte and a payload of that many
//! bytes less one. The parent sends [`HELLO`] once, then one [`BATCH`] at a time; the
//! child answers [`READY`] (or [`START_FAILED`]) once, then one [`REPLIES`] per batch.
//! Closing the child's input ends it.

use serde::{Deserialize, Serialize};
use std::io::{self, Read, Write};
use std::sync::atomic::{AtomicU64, Ordering};

/// Parent to child, once: [`Hello`].
pub(crate) const HELLO: u8 = 1;
/// Parent to child: a batch of items, `postcard` of `[In]`.
pub(crate) const BATCH: u8 = 2;
/// Child to parent, once: the stage started.
pub(crate) const READY: u8 = 3;
/// Child to parent, once instead of [`READY`]: [`Reply::Failed`] or [`Reply::Panicked`].
pub(crate) const START_FAILED: u8 = 4;
/// Child to parent: one [`Reply`] per item of the batch, in order, up to the first
/// that fails.
pub(crate) const REPLIES: u8 = 5;

/// The environment variable that makes `init()` serve a stage instead of returning.
pub(crate) const CHILD_ENV: &str = "PIPELINE_ISOLATED_WORKER";
/// The descriptor the child finds its [`Progress`] page on.
pub(crate) const PROGRESS_FD: i32 = 3;

/// What a child needs to serve a stage.
#[derive(Serialize, Deserialize)]
pub(crate) struct Hello {
    /// The function that serves the stage, as an offset from [`entry_base`]: the
    /// child runs the same executable, so the same offset finds the same function.
    pub entry: i64,
    pub stage: String,
    pub worker: u64,
    /// `RLIMIT_AS` for the child, in bytes.
    pub memory: Option<u64>,
    /// Whether the parent watches items' start times (a `timeout`).
    pub timed: bool,
    /// The stage's arguments, `postcard`.
    pub args: Vec<u8>,
}

/// What became of one item in the child.
#[derive(Serialize, Deserialize)]
pub(crate) enum Reply<U> {
    Value(U),
    /// The stage returned `None`.
    Dropped,
    /// The stage returned `Err`: its message.
    Failed(String),
    /// The stage panicked: the panic's message.
    Panicked(String),
}

/// The address every entry offset is taken from.
#[inline(never)]
fn entry_base() {}

/// How a function is named to another process of the same build: its address as an
/// offset from [`entry_base`], the same in every process of that build.
pub(crate) fn offset_of(address: usize) -> i64 {
    let base: fn() = entry_base;
    address as i64 - base as usize as i64
}

/// The address of the function [`offset_of`] named, in this process.
pub(crate) fn address_of(offset: i64) -> usize {
    let base: fn() = entry_base;
    (base as usize as i64 + offset) as usize
}

/// Writes one frame.
pub(crate) fn write_frame(to: &mut impl Write, tag: u8, payload: &[u8]) -> io::Result<()> {
    to.write_all(&frame_header(tag, payload.len())?)?;
    to.write_all(payload)?;
    to.flush()
}

pub(crate) fn frame_header(tag: u8, payload: usize) -> io::Result<[u8; 5]> {
    let len = u32::try_from(payload + 1).map_err(|_| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            "a batch of more than 4 GiB cannot cross to an isolated worker",
        )
    })?;
    let mut header = [0; 5];
    header[..4].copy_from_slice(&len.to_le_bytes());
    header[4] = tag;
    Ok(header)
}

/// Reads one frame; `None` at the end of the stream.
pub(crate) fn read_frame(from: &mut impl Read) -> io::Result<Option<(u8, Vec<u8>)>> {
    let mut len = [0; 4];
    match from.read_exact(&mut len) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(e),
    }
    let len = u32::from_le_bytes(len) as usize;
    if len == 0 {
        return Err(io::Error::new(io::ErrorKind::InvalidData, "empty frame"));
    }
    let mut body = vec![0; len];
    from.read_exact(&mut body)?;
    let tag = body.remove(0);
    Ok(Some((tag, body)))
}

/// A frame taken from the front of `buf` if it holds a whole one.
pub(crate) fn split_frame(buf: &mut Vec<u8>) -> Option<(u8, Vec<u8>)> {
    if buf.len() < 5 {
        return None;
    }
    let len = u32::from_le_bytes(buf[..4].try_into().expect("4 bytes")) as usize;
    if len == 0 || buf.len() < 4 + len {
        return None;
    }
    let tag = buf[4];
    let body = buf[5..4 + len].to_vec();
    buf.drain(..4 + len);
    Some((tag, body))
}

/// The page a child and its parent share: written by the child as it starts each
/// item, read by the parent when the child dies or may have run past its timeout.
#[repr(C)]
pub(crate) struct Progress {
    /// Items the child has started, over its life. Written with `Release` after
    /// `since`, read with `Acquire` before it: a reader that sees item `n` started
    /// sees a `since` at least as recent as item `n`'s.
    pub started: AtomicU64,
    /// When the child started its current item, in nanoseconds of `CLOCK_MONOTONIC`
    /// (the same clock in every process of the machine); written only when timed.
    pub since: AtomicU64,
}

impl Progress {
    /// The child starts its next item.
    pub fn begin(&self, timed: bool) {
        if timed {
            self.since.store(monotonic_ns(), Ordering::Relaxed);
        }
        self.started.fetch_add(1, Ordering::Release);
    }

    /// Items started so far, and when the last one started.
    pub fn read(&self) -> (u64, u64) {
        let started = self.started.load(Ordering::Acquire);
        (started, self.since.load(Ordering::Relaxed))
    }
}

/// `CLOCK_MONOTONIC`, in nanoseconds.
pub(crate) fn monotonic_ns() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid `timespec` to write; `CLOCK_MONOTONIC` always exists.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

/// A shared mapping of one [`Progress`], unmapped on drop.
pub(crate) struct SharedProgress {
    ptr: *mut Progress,
}

// SAFETY: the mapping is only accessed through atomics.
unsafe impl Send for SharedProgress {}

impl SharedProgress {
    /// Maps the page `fd` holds (at least `size_of::<Progress>()` bytes).
    pub fn map(fd: i32) -> io::Result<Self> {
        let len = std::mem::size_of::<Progress>();
        // SAFETY: a fresh shared mapping of a file we own; checked for failure.
        let ptr = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED,
                fd,
                0,
            )
        };
        if ptr == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        Ok(Self {
            ptr: ptr.cast::<Progress>(),
        })
    }
}

impl std::ops::Deref for SharedProgress {
    type Target = Progress;
    fn deref(&self) -> &Progress {
        // SAFETY: mapped for as long as `self` lives, page-aligned, and every bit
        // pattern of two `AtomicU64`s is valid (a new file reads as zeros).
        unsafe { &*self.ptr }
    }
}

impl Drop for SharedProgress {
    fn drop(&mut self) {
        // SAFETY: mapped by `map` with this length, and no reference outlives `self`.
        unsafe { libc::munmap(self.ptr.cast(), std::mem::size_of::<Progress>()) };
    }
}
