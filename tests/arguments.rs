//! Arguments and per-worker state (DESIGN §2): a `&T` parameter lends each call its
//! worker's copy, never cloned per item; a `&mut T` parameter is state kept from item
//! to item, `ordered` included; a stage with one worker moves its arguments in, so
//! they need not be `Clone`; `per_worker(..)` makes a value on each worker's own
//! thread; `fallible` items and `returns = ..` say how results are read.

use pipeline::runtime::{Options, Output, Produce, Replicate, Stream};
use pipeline::{consumer, per_worker, pipeline, producer, stage, BoxError, Error};
use std::collections::HashMap;
use std::error::Error as _;
use std::io::{self, BufRead, BufReader, Read};
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

#[producer]
fn numbers(n: u64) -> impl Iterator<Item = u64> {
    0..n
}

#[consumer]
fn collect(xs: impl Iterator<Item = u64>) -> Vec<u64> {
    xs.collect()
}

#[consumer]
fn sorted(xs: impl Iterator<Item = u64>) -> Vec<u64> {
    let mut all: Vec<u64> = xs.collect();
    all.sort_unstable();
    all
}

/// A lookup table whose clones are counted.
#[derive(Debug)]
struct Table {
    map: HashMap<u64, u64>,
    clones: Arc<AtomicUsize>,
}

impl Table {
    fn new(n: u64) -> (Self, Arc<AtomicUsize>) {
        let clones = Arc::new(AtomicUsize::new(0));
        let map = (0..n).map(|k| (k, k * 10)).collect();
        let table = Table {
            map,
            clones: Arc::clone(&clones),
        };
        (table, clones)
    }
}

impl Clone for Table {
    fn clone(&self) -> Self {
        self.clones.fetch_add(1, Ordering::SeqCst);
        Table {
            map: self.map.clone(),
            clones: Arc::clone(&self.clones),
        }
    }
}

#[stage(workers = 3)]
fn lookup(x: u64, table: &Table) -> u64 {
    table.map[&x]
}

#[stage(workers = 3)]
fn lookup_owned(x: u64, table: Table) -> u64 {
    table.map[&x]
}

#[stage(workers = 3)]
fn lookup_all(xs: impl Iterator<Item = u64>, table: &Table) -> Vec<u64> {
    xs.map(|x| table.map[&x]).collect()
}

#[test]
fn a_borrowed_argument_is_copied_once_per_extra_worker_never_per_item() {
    let (table, clones) = Table::new(1000);
    let expected: Vec<u64> = (0..1000).map(|x| table.map[&x]).collect();
    let got = pipeline!(numbers(1000) => lookup(table) => sorted)
        .run()
        .unwrap();
    assert_eq!(got, expected);
    assert_eq!(clones.load(Ordering::SeqCst), 2, "3 workers: 2 copies");

    let (table, clones) = Table::new(1000);
    let got = pipeline!(numbers(1000) => lookup_all(table) => sorted)
        .run()
        .unwrap();
    assert_eq!(got, expected);
    assert_eq!(clones.load(Ordering::SeqCst), 2, "3 workers: 2 copies");
}

#[test]
fn an_owned_argument_in_the_item_form_is_cloned_for_each_item() {
    let (table, clones) = Table::new(100);
    let got = pipeline!(numbers(100) => lookup_owned(table)[workers = 1] => sorted)
        .run()
        .unwrap();
    assert_eq!(got, (0..100).map(|x| x * 10).collect::<Vec<_>>());
    assert_eq!(clones.load(Ordering::SeqCst), 100, "one clone per item");
}

#[stage]
fn label(x: u64, prefix: &str, suffixes: &[u8]) -> u64 {
    x * 1000 + prefix.len() as u64 * 10 + suffixes.len() as u64
}

#[test]
fn a_borrowed_str_or_slice_takes_its_owned_form() {
    let got = pipeline!(numbers(3) => label("ab".to_owned(), vec![1, 2, 3]) => collect)
        .run()
        .unwrap();
    assert_eq!(got, [23, 1023, 2023]);
    assert_eq!(label(1, "ab", &[1, 2, 3]), 1023);
}

/// A running total: state kept from item to item.
#[stage]
fn running_total(x: u64, total: &mut u64) -> u64 {
    *total += x;
    *total
}

/// A cache of squares, kept by each worker; its outputs do not depend on it.
#[stage(workers = 4, ordered)]
fn square_cached(x: u64, cache: &mut HashMap<u64, u64>) -> u64 {
    *cache.entry(x % 50).or_insert_with(|| (x % 50) * (x % 50)) + x
}

#[test]
fn mutable_state_is_kept_from_item_to_item() {
    let got = pipeline!(numbers(100) => running_total(0) => collect)
        .run()
        .unwrap();
    let mut total = 0;
    let expected: Vec<u64> = (0..100).map(|x| running_total(x, &mut total)).collect();
    assert_eq!(got, expected);
}

#[test]
fn mutable_state_with_ordered_keeps_the_sequential_order() {
    let got = pipeline!(numbers(5000) => square_cached(HashMap::new()) => collect)
        .run()
        .unwrap();
    let mut cache = HashMap::new();
    let expected: Vec<u64> = (0..5000).map(|x| square_cached(x, &mut cache)).collect();
    assert_eq!(got, expected);
}

/// A connection: not `Clone`, and it records what was written through it.
#[derive(Debug)]
struct Conn {
    rows: Arc<Mutex<Vec<u64>>>,
}

#[consumer]
fn store(xs: impl Iterator<Item = u64>, conn: Conn) -> usize {
    let mut rows = conn.rows.lock().unwrap();
    rows.extend(xs);
    rows.len()
}

#[stage]
fn write_through(x: u64, conn: &mut Conn) -> u64 {
    conn.rows.lock().unwrap().push(x);
    x
}

#[test]
fn a_one_worker_stage_moves_its_arguments_in() {
    let rows = Arc::new(Mutex::new(Vec::new()));
    let conn = Conn {
        rows: Arc::clone(&rows),
    };
    let stored = pipeline!(numbers(10) => store(conn)).run().unwrap();
    assert_eq!(stored, 10);
    assert_eq!(*rows.lock().unwrap(), (0..10).collect::<Vec<_>>());

    let written = Arc::new(Mutex::new(Vec::new()));
    let conn = Conn {
        rows: Arc::clone(&written),
    };
    let got = pipeline!(numbers(10) => write_through(conn)[workers = 1] => collect)
        .run()
        .unwrap();
    assert_eq!(got, (0..10).collect::<Vec<_>>());
    assert_eq!(*written.lock().unwrap(), got);
}

/// Who made a per-worker value: the thread's name and the index it was given.
type Made = Arc<Mutex<Vec<(String, usize)>>>;

#[stage(workers = 3)]
fn tag(x: u64, me: &Rc<usize>) -> u64 {
    x * 10 + **me as u64
}

#[stage(workers = 3)]
fn tag_all(xs: impl Iterator<Item = u64>, me: Rc<usize>) -> Vec<u64> {
    xs.map(|x| x * 10 + *me as u64).collect()
}

fn made_by(made: &Made) -> impl Fn(usize) -> Rc<usize> + Send + Sync + 'static {
    let made = Arc::clone(made);
    move |worker| {
        let name = std::thread::current().name().unwrap_or("").to_owned();
        made.lock().unwrap().push((name, worker));
        Rc::new(worker)
    }
}

#[test]
fn per_worker_runs_once_on_each_workers_own_thread() {
    for stream_form in [false, true] {
        let made: Made = Arc::default();
        let got = match stream_form {
            false => pipeline!(numbers(300) => tag(per_worker(made_by(&made))) => sorted).run(),
            true => pipeline!(numbers(300) => tag_all(per_worker(made_by(&made))) => sorted).run(),
        }
        .unwrap();
        assert_eq!(got.len(), 300);
        for value in got {
            assert!(value % 10 < 3, "{value}: made by a worker 0..3");
        }
        let mut made = made.lock().unwrap().clone();
        made.sort();
        let stage = if stream_form { "tag_all" } else { "tag" };
        let expected: Vec<(String, usize)> = (0..3).map(|i| (format!("{stage}#{i}"), i)).collect();
        assert_eq!(made, expected);
    }
}

#[test]
fn per_worker_values_can_be_borrowed_strings() {
    let got = pipeline!(numbers(4) => label(per_worker(|w| "x".repeat(w + 1)), vec![]) => collect)
        .run()
        .unwrap();
    assert_eq!(got, [10, 1010, 2010, 3010]);
}

/// A producer whose copy for another worker cannot be made.
struct Unique;

impl Replicate for Unique {
    fn replicate(&self) -> Option<Self> {
        None
    }
}

impl Produce for Unique {
    type Item = u64;
    fn produce(self, out: &mut Output<u64>) -> Result<(), BoxError> {
        pipeline::runtime::feed(0..3, out)
    }
}

#[test]
fn a_stage_that_cannot_be_copied_runs_on_one_worker_only() {
    let one = Stream::produce(Options::new("unique"), Unique);
    let got: Result<Vec<u64>, Error> = one.into_iter().collect();
    assert_eq!(got.unwrap(), [0, 1, 2]);

    let two = Stream::produce(Options::new("unique").workers(2), Unique);
    let error = two
        .into_iter()
        .collect::<Result<Vec<u64>, Error>>()
        .unwrap_err();
    assert_eq!(error.stage(), Some("unique"));
    let message = error.to_string();
    assert!(message.contains("not `Clone`"), "{message}");
    assert!(message.contains("cannot run on 2 workers"), "{message}");
    assert!(message.contains("per_worker"), "{message}");
}

/// A reader that yields `good` and then fails.
struct FailsAfter {
    good: io::Cursor<Vec<u8>>,
}

impl Read for FailsAfter {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self.good.read(buf)? {
            0 => Err(io::Error::other("disk on fire")),
            n => Ok(n),
        }
    }
}

#[producer(fallible)]
fn lines(text: String, fail: bool) -> Box<dyn Iterator<Item = io::Result<String>> + Send> {
    let good = io::Cursor::new(text.into_bytes());
    match fail {
        true => Box::new(BufReader::new(FailsAfter { good }).lines()),
        false => Box::new(BufReader::new(good).lines()),
    }
}

#[stage]
fn length(line: String) -> u64 {
    line.len() as u64
}

#[test]
fn a_fallible_producer_passes_ok_items_on() {
    let got = pipeline!(lines("a\nbb\nccc\n".to_owned(), false) => length => collect)
        .run()
        .unwrap();
    assert_eq!(got, [1, 2, 3]);
}

#[test]
fn a_fallible_producer_fails_the_run_on_an_err_item() {
    let error = pipeline!(lines("a\nbb\n".to_owned(), true) => length => collect)
        .run()
        .unwrap_err();
    assert_eq!(error.stage(), Some("lines"));
    assert_eq!(error.worker(), Some(0));
    let source = error.source().expect("the io error");
    let io = source.downcast_ref::<io::Error>().expect("an io::Error");
    assert_eq!(io.to_string(), "disk on fire");
}

#[stage(fallible, workers = 2)]
fn parse(
    lines: impl Iterator<Item = String>,
) -> impl Iterator<Item = Result<u64, std::num::ParseIntError>> {
    lines.map(|line| line.parse())
}

#[producer]
fn words(words: Vec<&'static str>) -> Vec<String> {
    words.into_iter().map(str::to_owned).collect()
}

#[test]
fn a_fallible_stream_stage_passes_ok_items_on_and_fails_on_err() {
    let got = pipeline!(words(vec!["1", "2", "30"]) => parse => sorted)
        .run()
        .unwrap();
    assert_eq!(got, [1, 2, 30]);
    let error = pipeline!(words(vec!["1", "x", "3"]) => parse => sorted)
        .run()
        .unwrap_err();
    assert_eq!(error.stage(), Some("parse"));
    assert!(error.source().unwrap().is::<std::num::ParseIntError>());
}

/// An alias for a `Result`: by its name, an item type, unless `returns` says otherwise.
type Checked<T> = Result<T, String>;

#[stage]
fn check_as_item(x: u64) -> Checked<u64> {
    if x == 2 {
        Err(format!("{x} is odd one out"))
    } else {
        Ok(x)
    }
}

#[stage(returns = result)]
fn check_as_result(x: u64) -> Checked<u64> {
    check_as_item(x)
}

#[stage(returns = value)]
fn check_as_value(x: u64) -> Result<u64, String> {
    check_as_item(x)
}

#[stage]
fn formatted(x: u64) -> std::fmt::Result {
    if x == 3 {
        Err(std::fmt::Error)
    } else {
        Ok(())
    }
}

#[consumer]
fn results(xs: impl Iterator<Item = Checked<u64>>) -> Vec<Checked<u64>> {
    xs.collect()
}

#[consumer]
fn units(xs: impl Iterator<Item = ()>) -> usize {
    xs.count()
}

#[test]
fn return_types_are_read_by_name_unless_returns_says() {
    let items = pipeline!(numbers(4) => check_as_item => results)
        .run()
        .unwrap();
    assert_eq!(items, (0..4).map(check_as_item).collect::<Vec<_>>());
    let items = pipeline!(numbers(4) => check_as_value => results)
        .run()
        .unwrap();
    assert_eq!(items.len(), 4);

    let error = pipeline!(numbers(4) => check_as_result => collect)
        .run()
        .unwrap_err();
    assert_eq!(error.stage(), Some("check_as_result"));
    assert_eq!(error.source().unwrap().to_string(), "2 is odd one out");

    assert_eq!(
        pipeline!(numbers(3) => formatted => units).run().unwrap(),
        3
    );
    let error = pipeline!(numbers(4) => formatted => units)
        .run()
        .unwrap_err();
    assert!(error.source().unwrap().is::<std::fmt::Error>());
}

#[stage(workers = 2)]
fn even_or_fail(x: u64) -> io::Result<Option<u64>> {
    match x {
        1000 => Err(io::Error::other("too far")),
        x if x % 2 == 0 => Ok(Some(x)),
        _ => Ok(None),
    }
}

#[test]
fn a_result_of_an_option_fails_on_err_and_drops_none() {
    let got = pipeline!(numbers(10) => even_or_fail => sorted)
        .run()
        .unwrap();
    assert_eq!(got, [0, 2, 4, 6, 8]);
    let error = pipeline!(numbers(2000) => even_or_fail => sorted)
        .run()
        .unwrap_err();
    assert_eq!(error.stage(), Some("even_or_fail"));
    assert!(error.source().unwrap().is::<io::Error>());
}
