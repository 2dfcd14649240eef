//! A program with an isolated stage that never calls `pipeline::init()` gets an
//! error that says so, and starts no child (the children would run its `main`).

use pipeline::{consumer, pipeline, producer, stage};

#[producer]
fn numbers(n: u64) -> impl Iterator<Item = u64> {
    0..n
}

#[stage(isolate)]
fn double(x: u64) -> u64 {
    x * 2
}

#[consumer]
fn total(xs: impl Iterator<Item = u64>) -> u64 {
    xs.sum()
}

#[test]
fn an_isolated_stage_without_init_is_an_error_that_says_what_to_do() {
    let error = pipeline!(numbers(10) => double => total).run().unwrap_err();
    assert_eq!(error.stage(), Some("double"));
    let message = error.to_string();
    assert!(message.contains("pipeline::init()"), "{message}");
    assert!(message.contains("pipeline::init_at_load!()"), "{message}");
}

#[test]
fn the_same_stage_called_as_a_function_needs_nothing() {
    assert_eq!(total(numbers(10).map(double)), 90);
}
