//! The broker's keys and what their entries hold.
//!
//! - `pipeline:stages`: one announcement per running remote stage ([`Announcement`],
//!   field `a`), deleted when the stage ends.
//! - `pipeline:RUN:STAGE:in`: the stage's input, one numbered batch per entry
//!   (field `b`: `postcard` of `(seq, [In])`), read by the consumer group `workers`;
//!   an entry is deleted once a worker has acknowledged it.
//! - `pipeline:RUN:STAGE:out`: what comes back, one entry each: a batch's replies
//!   (`r`: `(seq, items in, [Reply<Out>])`), a failure (`f`: [`Failure`]), the end of
//!   the input (`e`: the number of batches), or a wake-up on a stop (`w`).
//! - `pipeline:RUN:STAGE:live`: exists while the stage runs; workers stop serving it
//!   when it is gone.
//! - `pipeline:RUN:STAGE:stats`: counters the workers add to (items per process,
//!   reclaimed batches, round trips).
//!
//! Every key but `pipeline:stages` carries a TTL that the coordinator renews while the
//! stage runs, so the keys of a coordinator that died expire.

use serde::{Deserialize, Serialize};
use std::time::Duration;

/// Where every running remote stage is announced.
pub(crate) const STAGES: &str = "pipeline:stages";
/// The consumer group of a stage's input.
pub(crate) const GROUP: &str = "workers";
/// How long a stage's keys outlive a coordinator that stopped renewing them.
pub(crate) const TTL: Duration = Duration::from_secs(60);

/// The keys of one remote stage of one run.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Keys {
    pub prefix: String,
}

impl Keys {
    pub fn new(run: &str, stage: usize) -> Self {
        Self {
            prefix: format!("pipeline:{run}:{stage}"),
        }
    }
    pub fn input(&self) -> String {
        format!("{}:in", self.prefix)
    }
    pub fn output(&self) -> String {
        format!("{}:out", self.prefix)
    }
    pub fn live(&self) -> String {
        format!("{}:live", self.prefix)
    }
    pub fn stats(&self) -> String {
        format!("{}:stats", self.prefix)
    }
    pub fn all(&self) -> [String; 4] {
        [self.input(), self.output(), self.live(), self.stats()]
    }
}

/// What a worker process needs to serve a remote stage.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct Announcement {
    pub keys: Keys,
    /// The stage's name, for errors.
    pub stage: String,
    /// `serve_remote::<S>` as an offset from `entry_base` (see `isolate::proto`).
    pub entry: i64,
    /// The stage's arguments.
    pub args: Vec<u8>,
    /// Threads per worker process.
    pub workers: u32,
    pub claim_after_ms: u64,
    /// Of the executable: a worker serves only stages of the same build.
    pub fingerprint: u64,
}

/// A worker's failure, as it crosses back.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct Failure {
    pub process: String,
    pub index: u32,
    pub message: String,
    pub panicked: bool,
}

/// FNV-1a of this process's executable: equal in two processes only if they run
/// the same build, which is what makes the entry offsets valid in both.
pub(crate) fn fingerprint() -> u64 {
    static PRINT: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    *PRINT.get_or_init(|| {
        let path = std::env::current_exe().ok();
        let bytes = path.and_then(|p| std::fs::read(p).ok()).unwrap_or_default();
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            hash ^= u64::from_le_bytes(word);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
        hash ^ bytes.len() as u64
    })
}

/// The fields of one stream entry: `(id, [(field, value)])`.
pub(crate) type Entry = (String, Vec<(String, Vec<u8>)>);

/// The entries of an `XREAD`/`XREADGROUP` reply for one stream, or of the second
/// element of an `XAUTOCLAIM` reply.
pub(crate) fn entries(value: &redis::Value) -> Vec<Entry> {
    use redis::Value;
    let mut out = Vec::new();
    let Value::Array(items) = value else {
        return out;
    };
    for item in items {
        let Value::Array(pair) = item else { continue };
        let (Some(id), Some(Value::Array(fields))) = (pair.first(), pair.get(1)) else {
            continue;
        };
        let Some(id) = text(id) else { continue };
        let fields = fields
            .chunks(2)
            .filter_map(|kv| Some((text(kv.first()?)?, bytes(kv.get(1)?)?)))
            .collect();
        out.push((id, fields));
    }
    out
}

/// The entries of an `XREAD`/`XREADGROUP` reply, over every stream in it.
pub(crate) fn read_reply(value: &redis::Value) -> Vec<Entry> {
    use redis::Value;
    match value {
        Value::Array(streams) => streams
            .iter()
            .filter_map(|s| match s {
                Value::Array(pair) => pair.get(1).map(entries),
                _ => None,
            })
            .flatten()
            .collect(),
        Value::Map(streams) => streams.iter().flat_map(|(_, v)| entries(v)).collect(),
        _ => Vec::new(),
    }
}

fn bytes(value: &redis::Value) -> Option<Vec<u8>> {
    match value {
        redis::Value::BulkString(b) => Some(b.clone()),
        redis::Value::SimpleString(s) => Some(s.as_bytes().to_vec()),
        _ => None,
    }
}

fn text(value: &redis::Value) -> Option<String> {
    bytes(value).and_then(|b| String::from_utf8(b).ok())
}
