//! A worker process: `pipeline::init()` with `PIPELINE_WORKER=redis://..` set. It
//! reads the announcements of remote stages, and serves each stage of its own build
//! with the stage's `workers` threads, until SIGTERM or SIGINT: then each thread
//! finishes the batch it holds, and the process exits.
//!
//! Each thread reads one batch at a time in the stage's consumer group, maps its
//! items, and answers in one atomic script: the replies added to the output stream,
//! the batch acknowledged and deleted, the counters updated, all only while the
//! stage still runs. When it finds nothing to read for a second, it claims a batch
//! that another worker has held past `claim_after` (a worker lost with its batch).

use super::keys::{self, Announcement, Failure};
use crate::error::panic_message;
use crate::isolate::proto::address_of;
use crate::isolate::proto::Reply;
use crate::isolate::Portable;
use crate::{
    feed, BoxError, ItemStage, MapItem, Options, Output, Produce, Replicate, Stream, Transform,
};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::collections::HashSet;
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;

/// Set by SIGTERM or SIGINT: finish what is held, then exit.
static STOPPING: AtomicBool = AtomicBool::new(false);

extern "C" fn on_signal(_: libc::c_int) {
    STOPPING.store(true, Ordering::Relaxed);
}

/// What serves one remote stage on one thread: `serve_remote::<S>`, found by offset.
pub(crate) type RemoteEntry = fn(Arc<Announcement>, usize, redis::Client);

/// The address of `serve_remote::<S>`.
pub(crate) fn entry_of<S>() -> usize
where
    S: Portable + ItemStage,
    S::In: Serialize + DeserializeOwned,
    S::Out: Serialize + DeserializeOwned,
{
    let entry: RemoteEntry = serve_remote::<S>;
    entry as usize
}

/// The address of `serve_remote_stream::<S>`.
pub(crate) fn stream_entry_of<S>() -> usize
where
    S: Portable + Transform,
    S::In: Serialize + DeserializeOwned,
    S::Out: Serialize + DeserializeOwned,
{
    let entry: RemoteEntry = serve_remote_stream::<S>;
    entry as usize
}

/// Serves the remote stages announced on the broker at `url`; never returns.
pub(crate) fn serve(url: &str) -> ! {
    // SAFETY: the handler only stores to an atomic, which is async-signal-safe.
    unsafe {
        let handler = on_signal as extern "C" fn(libc::c_int) as *const () as libc::sighandler_t;
        libc::signal(libc::SIGTERM, handler);
        libc::signal(libc::SIGINT, handler);
    }
    let code = match run(url) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("pipeline worker: {e}");
            1
        }
    };
    std::process::exit(code)
}

fn run(url: &str) -> Result<(), BoxError> {
    let client = redis::Client::open(url)?;
    let mut connection = client.get_connection()?;
    let mine = keys::fingerprint();
    let mut last = "0-0".to_owned();
    let mut served: HashSet<String> = HashSet::new();
    let mut threads: Vec<JoinHandle<()>> = Vec::new();
    let mut warned = false;
    while !STOPPING.load(Ordering::Relaxed) {
        let reply: redis::Value = redis::cmd("XREAD")
            .arg("COUNT")
            .arg(64)
            .arg("BLOCK")
            .arg(1000)
            .arg("STREAMS")
            .arg(keys::STAGES)
            .arg(&last)
            .query(&mut connection)?;
        for (id, fields) in keys::read_reply(&reply) {
            last = id;
            let Some((_, body)) = fields.into_iter().find(|(f, _)| f == "a") else {
                continue;
            };
            let Ok(announcement) = postcard::from_bytes::<Announcement>(&body) else {
                continue;
            };
            if announcement.fingerprint != mine {
                if !warned {
                    eprintln!(
                        "pipeline worker: stage `{}` was announced by another build of this program; serving only this build's",
                        announcement.stage
                    );
                    warned = true;
                }
                continue;
            }
            if !served.insert(announcement.keys.prefix.clone()) {
                continue;
            }
            let live: bool = redis::cmd("EXISTS")
                .arg(announcement.keys.live())
                .query(&mut connection)?;
            if !live {
                continue;
            }
            let announcement = Arc::new(announcement);
            let entry = address_of(announcement.entry);
            // SAFETY: the offset was taken from `entry_of::<S>()` in a process of the
            // same build (the fingerprints match), so it is `serve_remote::<S>`.
            let entry: RemoteEntry = unsafe { std::mem::transmute::<usize, RemoteEntry>(entry) };
            for index in 0..announcement.workers as usize {
                let (announcement, client) = (Arc::clone(&announcement), client.clone());
                let thread = std::thread::Builder::new()
                    .name(format!("{}#{index}", announcement.stage))
                    .spawn(move || entry(announcement, index, client))?;
                threads.push(thread);
            }
        }
        threads.retain(|t| !t.is_finished());
    }
    for thread in threads {
        let _ = thread.join();
    }
    Ok(())
}

/// Answers a batch, only while the stage runs: KEYS live, input, output, stats;
/// ARGV replies, entry id, items field, items, reclaimed.
const ANSWER: &str = r"
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('XADD', KEYS[3], '*', 'r', ARGV[1])
redis.call('XACK', KEYS[2], 'workers', ARGV[2])
redis.call('XDEL', KEYS[2], ARGV[2])
redis.call('HINCRBY', KEYS[4], ARGV[3], ARGV[4])
redis.call('HINCRBY', KEYS[4], 'reclaimed', ARGV[5])
redis.call('HINCRBY', KEYS[4], 'round_trips', 1)
return 1
";

/// One thread of a worker process serving item-form stage `S`.
fn serve_remote<S>(announcement: Arc<Announcement>, index: usize, client: redis::Client)
where
    S: Portable + ItemStage,
    S::In: Serialize + DeserializeOwned,
    S::Out: Serialize + DeserializeOwned,
{
    let start = |args: &[u8]| S::decode(args).map(ItemStage::start);
    serve_stage(
        &announcement,
        index,
        &client,
        start,
        |worker: &mut S::Worker, items: Vec<S::In>| {
            let mut replies = Vec::with_capacity(items.len());
            for item in items {
                match panic::catch_unwind(AssertUnwindSafe(|| worker.map(item))) {
                    Ok(Ok(Some(value))) => replies.push(Reply::Value(value)),
                    Ok(Ok(None)) => replies.push(Reply::Dropped),
                    Ok(Err(e)) => return Err((e.to_string(), false)),
                    Err(payload) => return Err((panic_message(&*payload), true)),
                }
            }
            Ok(replies)
        },
    )
}

/// One thread of a worker process serving stream-form stage `S`: each batch is one
/// share of the input, run as its own little pipeline on a copy of the stage.
fn serve_remote_stream<S>(announcement: Arc<Announcement>, index: usize, client: redis::Client)
where
    S: Portable + Transform,
    S::In: Serialize + DeserializeOwned,
    S::Out: Serialize + DeserializeOwned,
{
    let name = announcement.stage.clone();
    serve_stage(
        &announcement,
        index,
        &client,
        S::decode,
        |stage: &mut S, items: Vec<S::In>| {
            let copy = stage.replicate().ok_or_else(|| {
                (
                    "the stage's arguments cannot be copied for each batch".to_owned(),
                    false,
                )
            })?;
            let options = Options::new(name.clone());
            let run = Stream::produce(options.clone(), Batch(items)).transform(options, copy);
            let mut replies = Vec::new();
            for value in run {
                match value {
                    Ok(value) => replies.push(Reply::Value(value)),
                    Err(e) => {
                        let panicked = e.is_panic();
                        let message = e.panic_message().map(str::to_owned);
                        let message = message.or_else(|| e.into_source().map(|s| s.to_string()));
                        return Err((message.unwrap_or_else(|| "failed".to_owned()), panicked));
                    }
                }
            }
            Ok(replies)
        },
    )
}

/// One batch, as the producer of the little pipeline that maps it.
struct Batch<T>(Vec<T>);

impl<T> Replicate for Batch<T> {
    fn replicate(&self) -> Option<Self> {
        None
    }
}

impl<T: Send + 'static> Produce for Batch<T> {
    type Item = T;
    fn produce(self, out: &mut Output<T>) -> Result<(), BoxError> {
        feed(self.0, out)
    }
}

/// Why a worker thread ends the run: the stage's message, and whether it panicked.
type Failed = (String, bool);

/// The loop of one worker thread: reads batches of the stage's input in its consumer
/// group (claiming one a lost worker held past `claim_after` when there are none),
/// maps each with `map`, and answers.
fn serve_stage<W, In, Out>(
    announcement: &Announcement,
    index: usize,
    client: &redis::Client,
    start: impl FnOnce(&[u8]) -> Result<W, BoxError>,
    mut map: impl FnMut(&mut W, Vec<In>) -> Result<Vec<Reply<Out>>, Failed>,
) where
    In: DeserializeOwned,
    Out: Serialize,
{
    let process = super::process_name();
    let Ok(mut connection) = client.get_connection() else {
        return;
    };
    let keys = &announcement.keys;
    let fail = |connection: &mut redis::Connection, (message, panicked): Failed| {
        let failure = Failure {
            process: process.clone(),
            index: index as u32,
            message,
            panicked,
        };
        if let Ok(body) = postcard::to_stdvec(&failure) {
            let _: Result<redis::Value, _> = redis::cmd("XADD")
                .arg(keys.output())
                .arg("NOMKSTREAM")
                .arg("*")
                .arg("f")
                .arg(body)
                .query(connection);
        }
    };
    let started = panic::catch_unwind(AssertUnwindSafe(|| start(&announcement.args)));
    let mut worker = match started {
        Ok(Ok(worker)) => worker,
        Ok(Err(e)) => return fail(&mut connection, (e.to_string(), false)),
        Err(payload) => return fail(&mut connection, (panic_message(&*payload), true)),
    };
    let consumer = format!("{process}:{index}");
    while !STOPPING.load(Ordering::Relaxed) {
        let read: Result<(bool, redis::Value), _> = redis::pipe()
            .cmd("EXISTS")
            .arg(keys.live())
            .cmd("XREADGROUP")
            .arg("GROUP")
            .arg(keys::GROUP)
            .arg(&consumer)
            .arg("COUNT")
            .arg(1)
            .arg("BLOCK")
            .arg(1000)
            .arg("STREAMS")
            .arg(keys.input())
            .arg(">")
            .query(&mut connection);
        // An error: the stage's keys are gone, its run is over.
        let Ok((true, reply)) = read else {
            return;
        };
        let mut batch = keys::read_reply(&reply);
        let mut reclaimed = 0;
        if batch.is_empty() {
            let claimed: Result<redis::Value, _> = redis::cmd("XAUTOCLAIM")
                .arg(keys.input())
                .arg(keys::GROUP)
                .arg(&consumer)
                .arg(announcement.claim_after_ms)
                .arg("0-0")
                .arg("COUNT")
                .arg(1)
                .query(&mut connection);
            if let Ok(redis::Value::Array(parts)) = claimed {
                batch = parts.get(1).map(keys::entries).unwrap_or_default();
                reclaimed = batch.len();
            }
        }
        for (id, fields) in batch {
            let Some((_, body)) = fields.into_iter().find(|(f, _)| f == "b") else {
                continue;
            };
            let Ok((seq, items)) = postcard::from_bytes::<(u64, Vec<In>)>(&body) else {
                return fail(
                    &mut connection,
                    ("a batch could not be read".to_owned(), false),
                );
            };
            let count = items.len();
            let replies = match map(&mut worker, items) {
                Ok(replies) => replies,
                Err(failed) => return fail(&mut connection, failed),
            };
            let Ok(body) = postcard::to_stdvec(&(seq, count as u32, &replies)) else {
                return fail(
                    &mut connection,
                    ("a result could not be written".to_owned(), false),
                );
            };
            let answered = redis::cmd("EVAL")
                .arg(ANSWER)
                .arg(4)
                .arg(keys.live())
                .arg(keys.input())
                .arg(keys.output())
                .arg(keys.stats())
                .arg(body)
                .arg(&id)
                .arg(format!("items:{process}"))
                .arg(count)
                .arg(reclaimed)
                .query::<redis::Value>(&mut connection);
            if answered.is_err() {
                return;
            }
        }
    }
}
