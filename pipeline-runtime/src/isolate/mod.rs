//! Isolated stages: each worker of an item-form stage is a long-lived child process
//! running the same executable, so that a crash, a hang or a runaway allocation in
//! the stage's code fails one item instead of the program.
//!
//! A worker thread of the stage sends its child the items in batches, as `postcard`
//! data, and reads the results back (see [`proto`]); the child starts in [`init`],
//! serves the stage until its input closes, and never returns to `main`. The batch
//! is whatever the stage's input holds when the worker looks, up to
//! [`MAX_BATCH`] items, so a trickle crosses item by item and a flood in large
//! batches, with no size to tune.
//!
//! What happens when a child dies or runs past its `timeout` on an item is the
//! stage's [`OnCrash`]: the run fails with a [`Crash`] as its error's source, or the
//! item is skipped, counted in the stats with its reason, and a new child takes the
//! dead one's place.

mod child;
mod process;
pub(crate) mod proto;
mod stage;

use crate::BoxError;
use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

pub use stage::MAX_BATCH;

/// A stage that can be made again in another process of the same program from its
/// arguments as serde data: what an isolated or a remote stage needs.
/// `#[stage(isolate)]` and `#[stage(remote)]` implement it; by hand, `encode` and
/// `decode` are `postcard` (or any format) of the stage's arguments.
///
/// Items and results must be serde data too; [`Stream::isolate`](crate::Stream::isolate)
/// and `Stream::remote` require it.
pub trait Portable: Sized {
    /// The stage's arguments, as the child receives them.
    fn encode(&self) -> Result<Vec<u8>, BoxError>;
    /// The stage again, in the child, from what [`encode`](Self::encode) gave.
    fn decode(bytes: &[u8]) -> Result<Self, BoxError>;
}

/// What an isolated stage does when a child process dies on an item (a signal, an
/// exit, running out of `memory`) or runs past its `timeout`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OnCrash {
    /// The run fails; its [`Error`](crate::Error) has the [`Crash`] as its source.
    #[default]
    Fail,
    /// The item is dropped and counted in the stage's [stats](crate::StageStats::skipped)
    /// with its reason; a new child takes the dead one's place and the run goes on.
    Skip,
}

/// How an isolated stage's children are watched: see [`Stream::isolate`](crate::Stream::isolate).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Isolation {
    pub(crate) timeout: Option<Duration>,
    pub(crate) memory: Option<u64>,
    pub(crate) on_crash: OnCrash,
}

impl Isolation {
    /// No timeout, no memory limit, a crash fails the run.
    pub fn new() -> Self {
        Self::default()
    }

    /// A child that spends longer than `timeout` on one item is killed, and the
    /// item has crashed.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Limits each child's address space (`RLIMIT_AS`) to `bytes`: an allocation
    /// past it fails in the child, which then dies on that item, not the machine.
    /// The limit covers the whole process (its code, stacks and heap), so leave room
    /// for the executable itself.
    pub fn memory(mut self, bytes: u64) -> Self {
        self.memory = Some(bytes);
        self
    }

    /// What a crash does; [`OnCrash::Fail`] unless set.
    pub fn on_crash(mut self, on_crash: OnCrash) -> Self {
        self.on_crash = on_crash;
        self
    }
}

/// Why an isolated worker's child process ended on an item.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CrashReason {
    /// Killed by this signal (`SIGSEGV`, `SIGABRT`, `SIGKILL` from outside, ...).
    Signal(i32),
    /// Exited, with this status, while it had an item.
    Exited(i32),
    /// Ran past the stage's `timeout` on the item, and was killed.
    TimedOut(Duration),
    /// An allocation failed under the stage's `memory` limit.
    OutOfMemory,
}

impl fmt::Display for CrashReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CrashReason::Signal(signal) => match signal_name(*signal) {
                Some(name) => write!(f, "killed by {name}"),
                None => write!(f, "killed by signal {signal}"),
            },
            CrashReason::Exited(code) => write!(f, "exited with status {code}"),
            CrashReason::TimedOut(timeout) => {
                write!(f, "ran past its timeout of {timeout:?}, and was killed")
            }
            CrashReason::OutOfMemory => f.write_str("ran out of memory under its `memory` limit"),
        }
    }
}

fn signal_name(signal: i32) -> Option<&'static str> {
    Some(match signal {
        libc::SIGSEGV => "SIGSEGV",
        libc::SIGABRT => "SIGABRT",
        libc::SIGKILL => "SIGKILL",
        libc::SIGBUS => "SIGBUS",
        libc::SIGFPE => "SIGFPE",
        libc::SIGILL => "SIGILL",
        libc::SIGTERM => "SIGTERM",
        libc::SIGINT => "SIGINT",
        libc::SIGXCPU => "SIGXCPU",
        _ => return None,
    })
}

/// A child process of an isolated stage died on an item, or ran past its timeout:
/// the [source](std::error::Error::source) of the run's [`Error`](crate::Error)
/// under [`OnCrash::Fail`], and what [`Skipped`](crate::Skipped) records under
/// [`OnCrash::Skip`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Crash {
    pub(crate) item: Option<u64>,
    pub(crate) reason: CrashReason,
    pub(crate) detail: Option<String>,
}

impl Crash {
    /// The item's position in the stage's input (from 0, in the order the stage's
    /// workers took items); `None` if the child died between items.
    pub fn item(&self) -> Option<u64> {
        self.item
    }

    /// How the child ended.
    pub fn reason(&self) -> &CrashReason {
        &self.reason
    }

    /// The last line the child wrote to its standard error before it ended, if any
    /// (a C library's assertion, Rust's "memory allocation of .. bytes failed").
    pub fn detail(&self) -> Option<&str> {
        self.detail.as_deref()
    }
}

impl fmt::Display for Crash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.item {
            Some(item) => write!(
                f,
                "its child process, on item {item} of the stage's input, "
            )?,
            None => f.write_str("its child process, between items, ")?,
        }
        write!(f, "{}", self.reason)?;
        if let Some(detail) = &self.detail {
            write!(f, " ({detail})")?;
        }
        Ok(())
    }
}

impl std::error::Error for Crash {}

static INITIALISED: AtomicBool = AtomicBool::new(false);

/// The first line of `main` in a program with isolated stages: in a child process
/// started for an isolated stage this serves the stage and never returns; in any
/// other process it returns at once.
///
/// Isolated workers run the same executable, which must reach this call before it
/// does anything else (anything before it runs again in every child). A run with an
/// isolated stage in a program that never called it fails with an
/// [`Error`](crate::Error) that says so.
///
/// In a test binary, whose `main` the test harness writes, put
/// [`init_at_load!()`](crate::init_at_load) at the top level of the test file instead.
pub fn init() {
    if std::env::var_os(proto::CHILD_ENV).is_some() {
        child::serve();
    }
    #[cfg(feature = "redis")]
    if let Some(url) = std::env::var_os(crate::remote::WORKER_ENV) {
        crate::remote::serve(&url.to_string_lossy());
    }
    INITIALISED.store(true, Ordering::Relaxed);
}

pub(crate) fn initialised() -> bool {
    INITIALISED.load(Ordering::Relaxed)
}

/// Calls [`init`] when the executable is loaded, before `main`: the one line that
/// lets a test binary (whose `main` the test harness writes) run isolated stages.
/// Put it at the top level of the test file:
///
/// ```ignore
/// pipeline::init_at_load!();
/// ```
///
/// Supported on Linux, Android, FreeBSD and Apple targets.
#[macro_export]
macro_rules! init_at_load {
    () => {
        const _: () = {
            #[used]
            #[cfg_attr(
                any(target_os = "linux", target_os = "android", target_os = "freebsd"),
                link_section = ".init_array"
            )]
            #[cfg_attr(target_vendor = "apple", link_section = "__DATA,__mod_init_func")]
            static INIT_AT_LOAD: extern "C" fn() = {
                extern "C" fn init_at_load() {
                    $crate::init();
                }
                init_at_load
            };
        };
    };
}
