//! Feature `tracing`: a span per stage worker, events on start, end, error and
//! cancel. Run with `cargo test --features tracing --test tracing`.
#![cfg(feature = "tracing")]

mod common;

use common::{naturals, no_hang, signal_then_drain};
use pipeline::{consumer, pipeline, stage};
use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::sync_channel;
use std::sync::{Arc, Mutex};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};

/// Records every event as `span fields: event fields`.
#[derive(Default)]
struct Recorder {
    spans: Mutex<HashMap<u64, String>>,
    next: AtomicU64,
    events: Mutex<Vec<String>>,
}

thread_local! {
    static CURRENT: std::cell::RefCell<Vec<u64>> = const { std::cell::RefCell::new(Vec::new()) };
}

struct Fields(String);

impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        let _ = write!(self.0, "{}={:?} ", field.name(), value);
    }
}

impl Subscriber for Recorder {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, span: &Attributes<'_>) -> Id {
        let id = self.next.fetch_add(1, Ordering::Relaxed) + 1;
        let mut fields = Fields(String::new());
        span.record(&mut fields);
        self.spans
            .lock()
            .unwrap()
            .insert(id, fields.0.trim().to_owned());
        Id::from_u64(id)
    }
    fn record(&self, _: &Id, _: &Record<'_>) {}
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, event: &Event<'_>) {
        let mut fields = Fields(String::new());
        event.record(&mut fields);
        let span = CURRENT.with(|c| c.borrow().last().copied());
        let span = span
            .and_then(|id| self.spans.lock().unwrap().get(&id).cloned())
            .unwrap_or_default();
        self.events
            .lock()
            .unwrap()
            .push(format!("{span}: {}", fields.0.trim()));
    }
    fn enter(&self, id: &Id) {
        CURRENT.with(|c| c.borrow_mut().push(id.into_u64()));
    }
    fn exit(&self, _: &Id) {
        CURRENT.with(|c| c.borrow_mut().pop());
    }
}

#[stage(workers = 2)]
fn parse(x: u64) -> Result<u64, String> {
    if x == 500 {
        Err("bad record 500".to_owned())
    } else {
        Ok(x)
    }
}

#[consumer]
fn total(xs: impl Iterator<Item = u64>) -> u64 {
    xs.sum()
}

#[test]
fn spans_and_events_for_start_end_error_and_cancel() {
    let recorder = Arc::new(Recorder::default());
    tracing::subscriber::set_global_default(Arc::clone(&recorder)).unwrap();

    no_hang("failing run", || {
        pipeline!(naturals() => parse => total).run().unwrap_err();
    });
    no_hang("cancelled run", || {
        let (started, wait) = sync_channel(1);
        let handle = pipeline!(naturals() => signal_then_drain(started)).spawn();
        wait.recv().unwrap();
        handle.cancel();
        handle.join().unwrap_err();
    });

    let events = recorder.events.lock().unwrap().clone();
    let has = |line: &str| events.iter().any(|e| e == line);
    assert!(
        has("stage=parse worker=0: message=worker started"),
        "{events:#?}"
    );
    assert!(
        has("stage=parse worker=1: message=worker started"),
        "{events:#?}"
    );
    assert!(
        events.iter().any(|e| e.starts_with("stage=parse worker=")
            && e.contains(": message=worker failed error=stage `parse` worker ")
            && e.ends_with(" failed: bad record 500")),
        "{events:#?}"
    );
    assert!(
        has("stage=naturals worker=0: message=worker stopped"),
        "{events:#?}"
    );
    assert!(has(": message=pipeline cancelled"), "{events:#?}");
}
