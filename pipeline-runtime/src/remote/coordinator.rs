//! The pipeline's side of a remote stage: a sender thread that adds the stage's
//! input to its input stream in numbered batches, no more than `buffer` items ahead
//! of the results, and a receiver thread (the stage's worker 0) that reads the
//! results back, drops the duplicates of a batch done twice (a worker lost after it
//! answered), keeps the order when the stage is `ordered`, and deletes the stage's
//! keys when it ends, whatever way.

use super::keys::{self, Announcement, Failure, Keys};
use super::{Redis, RemoteFailure, RemoteStats};
use crate::control::{lock, Control};
use crate::isolate::proto::{self, Reply};
use crate::isolate::Portable;
use crate::ordered::Taker;
use crate::stats::StageCounters;
use crate::worker::{unwind_stopped, Launch};
use crate::{BoxError, Error, Input, Options, Output};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Instant;

/// What the sender and the receiver share.
struct Shared {
    /// Items sent and not yet answered.
    in_flight: Mutex<u64>,
    /// Signalled when `in_flight` falls, and on a stop.
    changed: Condvar,
    /// Set when the stage's keys are deleted: the stop hook must not add to them.
    done: Mutex<bool>,
    round_trips: AtomicU64,
}

fn broker_error(e: redis::RedisError) -> BoxError {
    format!("broker: {e}").into()
}

/// Starts remote stage `id`: announces it to the worker processes, then starts its
/// sender and receiver.
#[allow(clippy::too_many_arguments)]
pub(crate) fn start<S, In, Out>(
    launch: &mut Launch,
    broker: &Redis,
    opts: &Options,
    counters: Arc<StageCounters>,
    input: Input<In>,
    out: Output<Out>,
    stage: S,
    entry: usize,
) -> Result<(), Error>
where
    S: Portable,
    In: Serialize + Send + 'static,
    Out: DeserializeOwned + Send + 'static,
{
    let name = opts.name.clone();
    let keys = Keys::new(&launch.run_id(), counters.id());
    let args = stage
        .encode()
        .map_err(|e| Error::invalid(&name, e.to_string()))?;
    let announcement = Announcement {
        keys: keys.clone(),
        stage: name.clone(),
        entry: proto::offset_of(entry),
        args,
        workers: opts.workers as u32,
        claim_after_ms: broker.claim_after.as_millis() as u64,
        fingerprint: keys::fingerprint(),
    };
    let announcement =
        postcard::to_stdvec(&announcement).map_err(|e| Error::invalid(&name, e.to_string()))?;
    let mut connection = broker
        .client
        .get_connection()
        .map_err(|e| Error::broker(format!("cannot connect to {}: {e}", broker.url)))?;
    let ttl = keys::TTL.as_millis() as u64;
    let announced: String = redis::pipe()
        .cmd("XGROUP")
        .arg("CREATE")
        .arg(keys.input())
        .arg(keys::GROUP)
        .arg("$")
        .arg("MKSTREAM")
        .ignore()
        .cmd("PEXPIRE")
        .arg(keys.input())
        .arg(ttl)
        .ignore()
        .cmd("XADD")
        .arg(keys.output())
        .arg("*")
        .arg("w")
        .arg(1)
        .ignore()
        .cmd("PEXPIRE")
        .arg(keys.output())
        .arg(ttl)
        .ignore()
        .cmd("HSET")
        .arg(keys.stats())
        .arg("round_trips")
        .arg(0)
        .ignore()
        .cmd("PEXPIRE")
        .arg(keys.stats())
        .arg(ttl)
        .ignore()
        .cmd("SET")
        .arg(keys.live())
        .arg(1)
        .arg("PX")
        .arg(ttl)
        .ignore()
        .cmd("XADD")
        .arg(keys::STAGES)
        .arg("*")
        .arg("a")
        .arg(announcement)
        .query::<(String,)>(&mut connection)
        .map(|(id,)| id)
        .map_err(|e| Error::broker(format!("cannot set up stage `{name}`: {e}")))?;
    let shared = Arc::new(Shared {
        in_flight: Mutex::new(0),
        changed: Condvar::new(),
        done: Mutex::new(false),
        round_trips: AtomicU64::new(1),
    });
    let control = Arc::clone(&launch.control);
    {
        // A stop wakes the receiver (blocked on the output stream) and the sender
        // (waiting for room).
        let (shared, client, output) = (Arc::clone(&shared), broker.client.clone(), keys.output());
        control.on_stop(move || {
            let done = lock(&shared.done);
            if !*done {
                if let Ok(mut c) = client.get_connection() {
                    let _: Result<(), _> = redis::cmd("XADD")
                        .arg(&output)
                        .arg("NOMKSTREAM")
                        .arg("*")
                        .arg("w")
                        .arg(1)
                        .query(&mut c);
                }
            }
            drop(done);
            shared.changed.notify_all();
        });
    }
    let first_out = out.for_worker(&counters, 0);
    let taker = Taker::new(input.shared(Some(&first_out)));
    drop(input);
    let sender = {
        let (shared, control, client, keys) = (
            Arc::clone(&shared),
            Arc::clone(&control),
            broker.client.clone(),
            keys.clone(),
        );
        let (name, counters, buffer) = (name.clone(), Arc::clone(&counters), opts.buffer);
        std::thread::Builder::new()
            .name(format!("{}#send", opts.name))
            .spawn(move || {
                let sent = panic::catch_unwind(AssertUnwindSafe(|| {
                    send(&taker, &shared, &control, &client, &keys, &counters, buffer)
                }));
                match sent {
                    Ok(Ok(())) => {}
                    Ok(Err(e)) => control.fail(Error::failed(&name, 0, e)),
                    Err(payload) => control.fail(Error::panicked(&name, 0, payload)),
                }
            })
            .map_err(|e| Error::spawn(&opts.name, e))?
    };
    launch.threads.push(sender);
    let receiver = Receiver {
        shared,
        control,
        client: broker.client.clone(),
        keys,
        announced,
        counters: Arc::clone(&counters),
        name: name.clone(),
        ordered: opts.ordered,
    };
    launch.spawn(
        opts,
        &counters,
        0,
        first_out,
        move |out: &mut Output<Out>| receiver.receive(out),
    )
}

/// The sender's loop: batches of what the input holds, numbered, each added to the
/// input stream once there is room.
fn send<T: Serialize>(
    taker: &Taker<T>,
    shared: &Shared,
    control: &Control,
    client: &redis::Client,
    keys: &Keys,
    counters: &StageCounters,
    buffer: usize,
) -> Result<(), BoxError> {
    let mut connection = client.get_connection().map_err(broker_error)?;
    let most = (buffer / 8).clamp(1, 512);
    let room = buffer.max(1) as u64;
    let input = keys.input();
    let mut seq: u64 = 0;
    loop {
        {
            let mut in_flight = lock(&shared.in_flight);
            while *in_flight >= room && !control.is_stopped() {
                in_flight = shared
                    .changed
                    .wait(in_flight)
                    .unwrap_or_else(|e| e.into_inner());
            }
        }
        if control.is_stopped() {
            return Ok(());
        }
        let Some((_, _, mut batch)) = taker.take(most, counters.worker(0)) else {
            break;
        };
        // In input order: the batch came last item first (see `pending`).
        batch.reverse();
        if control.is_stopped() {
            return Ok(());
        }
        counters.worker(0).received(batch.len());
        let body = postcard::to_stdvec(&(seq, &batch))?;
        *lock(&shared.in_flight) += batch.len() as u64;
        redis::cmd("XADD")
            .arg(&input)
            .arg("NOMKSTREAM")
            .arg("*")
            .arg("b")
            .arg(body)
            .query::<redis::Value>(&mut connection)
            .map_err(broker_error)?;
        shared.round_trips.fetch_add(1, Ordering::Relaxed);
        seq += 1;
    }
    if control.is_stopped() {
        return Ok(());
    }
    // The end of the input, as a record beside the results.
    redis::cmd("XADD")
        .arg(keys.output())
        .arg("NOMKSTREAM")
        .arg("*")
        .arg("e")
        .arg(seq)
        .query::<redis::Value>(&mut connection)
        .map_err(broker_error)?;
    shared.round_trips.fetch_add(1, Ordering::Relaxed);
    Ok(())
}

/// The batches answered: every number below `below`, and those in `above`.
#[derive(Default)]
struct Seen {
    below: u64,
    above: BTreeSet<u64>,
}

impl Seen {
    /// Whether `seq` is new, marking it seen.
    fn insert(&mut self, seq: u64) -> bool {
        if seq < self.below || !self.above.insert(seq) {
            return false;
        }
        while self.above.remove(&self.below) {
            self.below += 1;
        }
        true
    }
}

struct Receiver {
    shared: Arc<Shared>,
    control: Arc<Control>,
    client: redis::Client,
    keys: Keys,
    announced: String,
    counters: Arc<StageCounters>,
    name: String,
    ordered: bool,
}

impl Receiver {
    fn receive<U: DeserializeOwned>(self, out: &mut Output<U>) -> Result<(), BoxError> {
        let this = Cleanup(self);
        let me = &this.0;
        let mut connection = me.client.get_connection().map_err(broker_error)?;
        let output = me.keys.output();
        let (mut last, mut seen) = ("0-0".to_owned(), Seen::default());
        let (mut total, mut received) = (None, 0u64);
        let mut held: BTreeMap<u64, Vec<U>> = BTreeMap::new();
        let mut next = 0u64;
        let mut renewed = Instant::now();
        loop {
            if total == Some(received) {
                return Ok(());
            }
            let reply: redis::Value = redis::cmd("XREAD")
                .arg("COUNT")
                .arg(256)
                .arg("BLOCK")
                .arg(10_000)
                .arg("STREAMS")
                .arg(&output)
                .arg(&last)
                .query(&mut connection)
                .map_err(broker_error)?;
            me.shared.round_trips.fetch_add(1, Ordering::Relaxed);
            let entries = keys::read_reply(&reply);
            let got_any = !entries.is_empty();
            for (id, fields) in entries {
                last = id;
                for (field, value) in fields {
                    match field.as_str() {
                        "r" => {
                            let (seq, items_in, replies): (u64, u32, Vec<Reply<U>>) =
                                postcard::from_bytes(&value)?;
                            if !seen.insert(seq) {
                                continue;
                            }
                            received += 1;
                            {
                                let mut in_flight = lock(&me.shared.in_flight);
                                *in_flight = in_flight.saturating_sub(items_in as u64);
                            }
                            me.shared.changed.notify_all();
                            let values = replies.into_iter().filter_map(|r| match r {
                                Reply::Value(v) => Some(v),
                                _ => None,
                            });
                            if me.ordered {
                                held.insert(seq, values.collect());
                                while let Some(ready) = held.remove(&next) {
                                    next += 1;
                                    for value in ready {
                                        if out.push(value).is_err() {
                                            return Ok(());
                                        }
                                    }
                                }
                            } else {
                                for value in values {
                                    if out.push(value).is_err() {
                                        return Ok(());
                                    }
                                }
                            }
                        }
                        "f" => {
                            let failure: Failure = postcard::from_bytes(&value)?;
                            let index = failure.index as usize;
                            let source = RemoteFailure {
                                process: failure.process,
                                index,
                                message: failure.message,
                                panicked: failure.panicked,
                            };
                            me.control
                                .fail(Error::failed(&me.name, index, Box::new(source)));
                            unwind_stopped();
                            return Ok(());
                        }
                        "e" => {
                            let text = String::from_utf8_lossy(&value).into_owned();
                            total = Some(text.parse::<u64>()?);
                        }
                        _ => {}
                    }
                }
            }
            if me.control.is_stopped() {
                unwind_stopped();
                return Ok(());
            }
            if got_any {
                let _: Result<redis::Value, _> = redis::cmd("XTRIM")
                    .arg(&output)
                    .arg("MINID")
                    .arg(&last)
                    .query(&mut connection);
                me.shared.round_trips.fetch_add(1, Ordering::Relaxed);
            }
            if renewed.elapsed() > keys::TTL / 6 {
                renewed = Instant::now();
                let mut pipe = redis::pipe();
                for key in me.keys.all() {
                    pipe.cmd("PEXPIRE")
                        .arg(key)
                        .arg(keys::TTL.as_millis() as u64)
                        .ignore();
                }
                pipe.query::<()>(&mut connection).map_err(broker_error)?;
                me.shared.round_trips.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
}

/// Deletes the stage's keys and reads its workers' counters when the receiver ends,
/// however it ends.
struct Cleanup(Receiver);

impl Drop for Cleanup {
    fn drop(&mut self) {
        let me = &self.0;
        let mut done = lock(&me.shared.done);
        *done = true;
        let Ok(mut connection) = me.client.get_connection() else {
            return;
        };
        let stats: Result<Vec<(String, u64)>, _> = redis::cmd("HGETALL")
            .arg(me.keys.stats())
            .query(&mut connection);
        let mut remote = RemoteStats::default();
        for (field, value) in stats.unwrap_or_default() {
            match field.as_str() {
                "reclaimed" => remote.reclaimed_batches += value,
                "round_trips" => remote.round_trips += value,
                _ => {
                    if let Some(process) = field.strip_prefix("items:") {
                        remote.items_by_process.push((process.to_owned(), value));
                    }
                }
            }
        }
        remote.items_by_process.sort();
        remote.round_trips += me.shared.round_trips.load(Ordering::Relaxed) + 1;
        me.counters.remote(remote);
        let mut pipe = redis::pipe();
        pipe.cmd("DEL").arg(&me.keys.all()[..]).ignore();
        pipe.cmd("XDEL")
            .arg(keys::STAGES)
            .arg(&me.announced)
            .ignore();
        let _: Result<(), _> = pipe.query(&mut connection);
    }
}

#[cfg(test)]
mod tests {
    use super::Seen;

    #[test]
    fn each_batch_number_is_new_once_in_any_order() {
        let mut seen = Seen::default();
        let arrivals = [3, 0, 1, 3, 0, 2, 5, 4, 1, 5];
        let new = [
            true, true, true, false, false, true, true, true, false, false,
        ];
        for (seq, new) in arrivals.into_iter().zip(new) {
            assert_eq!(seen.insert(seq), new, "batch {seq}");
        }
        assert_eq!(seen.below, 6);
        assert!(
            seen.above.is_empty(),
            "the numbers below the watermark are forgotten"
        );
        assert!(!seen.insert(4));
        assert!(seen.insert(7));
        assert_eq!((seen.below, seen.above.len()), (6, 1));
    }
}
