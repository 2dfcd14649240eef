//! The child's side: `init()` finds it is a child, takes the protocol's descriptors
//! away from the stage's code, and serves the stage named in the first frame.

use super::proto::{self, Hello, Reply, SharedProgress};
use super::Portable;
use crate::error::panic_message;
use crate::ItemStage;
use crate::MapItem;
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::fs::File;
use std::io::{self, BufReader, BufWriter};
use std::os::fd::FromRawFd;
use std::panic::{self, AssertUnwindSafe};

/// What serves one stage in a child: `serve_stage::<S>`, found by its offset.
pub(crate) type Entry = fn(Hello, Channel) -> io::Result<()>;

/// The offset the child adds to `entry_base` to find `serve_stage::<S>`.
pub(crate) fn entry_of<S>() -> i64
where
    S: Portable + ItemStage,
    S::In: Serialize + DeserializeOwned,
    S::Out: Serialize + DeserializeOwned,
{
    let entry: Entry = serve_stage::<S>;
    proto::offset_of(entry as usize)
}

/// The child's ends of the protocol.
pub(crate) struct Channel {
    input: BufReader<File>,
    output: BufWriter<File>,
    progress: SharedProgress,
}

/// Serves the stage the parent names, then exits: never returns to `main`.
pub(crate) fn serve() -> ! {
    let code = match connect().and_then(|(hello, channel)| run(hello, channel)) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("pipeline: isolated worker process: {e}");
            70
        }
    };
    std::process::exit(code)
}

fn check(result: i32) -> io::Result<i32> {
    match result {
        -1 => Err(io::Error::last_os_error()),
        fd => Ok(fd),
    }
}

/// Takes stdin and stdout for the protocol (the stage's code sees `/dev/null` and
/// its stderr instead, so a `println!` cannot corrupt a frame), maps the progress
/// page and reads the first frame.
fn connect() -> io::Result<(Hello, Channel)> {
    let null = File::open("/dev/null")?;
    // SAFETY: plain descriptor calls on descriptors this process owns; each result
    // is checked, and each new descriptor is owned by one `File` below.
    let (input, output) = unsafe {
        let input = check(libc::fcntl(0, libc::F_DUPFD_CLOEXEC, 3))?;
        let output = check(libc::fcntl(1, libc::F_DUPFD_CLOEXEC, 3))?;
        check(libc::dup2(std::os::fd::AsRawFd::as_raw_fd(&null), 0))?;
        check(libc::dup2(2, 1))?;
        (File::from_raw_fd(input), File::from_raw_fd(output))
    };
    let progress = SharedProgress::map(proto::PROGRESS_FD)?;
    // SAFETY: the descriptor the parent placed at PROGRESS_FD, no longer needed
    // once mapped; nothing else in this process uses it.
    unsafe { libc::close(proto::PROGRESS_FD) };
    let mut input = BufReader::with_capacity(1 << 16, input);
    let hello = match proto::read_frame(&mut input)? {
        Some((proto::HELLO, body)) => postcard::from_bytes::<Hello>(&body)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?,
        _ => {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "the parent sent no stage to serve",
            ))
        }
    };
    let output = BufWriter::with_capacity(1 << 16, output);
    Ok((
        hello,
        Channel {
            input,
            output,
            progress,
        },
    ))
}

fn run(hello: Hello, channel: Channel) -> io::Result<()> {
    if let Some(bytes) = hello.memory {
        let limit = libc::rlimit {
            rlim_cur: bytes as libc::rlim_t,
            rlim_max: bytes as libc::rlim_t,
        };
        // SAFETY: `limit` is a valid `rlimit`.
        check(unsafe { libc::setrlimit(libc::RLIMIT_AS, &limit) })?;
    }
    let address = proto::address_of(hello.entry);
    // SAFETY: the parent took `hello.entry` from `entry_of::<S>()` in the same
    // executable (it starts `/proc/self/exe` where there is one), so the address is
    // that of `serve_stage::<S>`, an `Entry`.
    let entry: Entry = unsafe { std::mem::transmute::<usize, Entry>(address) };
    // On a thread named as the worker's threads are, so that a panic reads the same.
    let name = format!("{}#{}", hello.stage, hello.worker);
    std::thread::Builder::new()
        .name(name)
        .spawn(move || {
            // Woken by each batch, as a worker thread is (see `slice`).
            crate::slice::shorten();
            entry(hello, channel)
        })?
        .join()
        .unwrap_or_else(|_| Err(io::Error::other("the stage's worker thread panicked")))
}

fn encode<T: Serialize>(value: &T, into: Vec<u8>) -> io::Result<Vec<u8>> {
    postcard::to_extend(value, into).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
}

/// Serves stage `S`: starts it from the arguments sent, then maps each batch.
fn serve_stage<S>(hello: Hello, mut channel: Channel) -> io::Result<()>
where
    S: Portable + ItemStage,
    S::In: Serialize + DeserializeOwned,
    S::Out: Serialize + DeserializeOwned,
{
    let started = panic::catch_unwind(AssertUnwindSafe(|| {
        S::decode(&hello.args).map(crate::ItemStage::start)
    }));
    let failed = match started {
        Ok(Ok(worker)) => Ok(worker),
        Ok(Err(e)) => Err(Reply::<()>::Failed(e.to_string())),
        Err(payload) => Err(Reply::Panicked(panic_message(&*payload))),
    };
    let mut worker = match failed {
        Ok(worker) => worker,
        Err(reply) => {
            let body = encode(&reply, Vec::new())?;
            return proto::write_frame(&mut channel.output, proto::START_FAILED, &body);
        }
    };
    proto::write_frame(&mut channel.output, proto::READY, &[])?;
    let mut replies: Vec<Reply<S::Out>> = Vec::new();
    let mut body = Vec::new();
    while let Some((tag, frame)) = proto::read_frame(&mut channel.input)? {
        if tag != proto::BATCH {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("unexpected frame {tag}"),
            ));
        }
        let items: Vec<S::In> = postcard::from_bytes(&frame)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
        replies.clear();
        for item in items {
            channel.progress.begin(hello.timed);
            let reply = match panic::catch_unwind(AssertUnwindSafe(|| worker.map(item))) {
                Ok(Ok(Some(value))) => Reply::Value(value),
                Ok(Ok(None)) => Reply::Dropped,
                Ok(Err(e)) => Reply::Failed(e.to_string()),
                Err(payload) => Reply::Panicked(panic_message(&*payload)),
            };
            let last = matches!(reply, Reply::Failed(_) | Reply::Panicked(_));
            replies.push(reply);
            if last {
                break;
            }
        }
        body.clear();
        body = encode(&replies, std::mem::take(&mut body))?;
        proto::write_frame(&mut channel.output, proto::REPLIES, &body)?;
    }
    Ok(())
}
