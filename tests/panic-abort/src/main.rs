//! Where nothing can unwind (`panic = "abort"`), a stage stopped by a failure elsewhere
//! cannot be unwound: its input ends instead, so its code after the loop runs, and the
//! run still returns the failure. `.ci/run` builds and runs this.

use pipeline::{consumer, pipeline, producer, stage};
use std::sync::atomic::{AtomicBool, Ordering};

static AFTER_LOOP: AtomicBool = AtomicBool::new(false);

#[producer]
fn naturals() -> impl Iterator<Item = u64> {
    0..
}

#[stage(workers = 2)]
fn validate(x: u64) -> Result<u64, String> {
    if x == 5_000 {
        return Err(format!("row {x}: bad amount"));
    }
    Ok(x)
}

#[consumer]
fn store(xs: impl Iterator<Item = u64>) -> u64 {
    let n = xs.count() as u64;
    AFTER_LOOP.store(true, Ordering::SeqCst);
    n
}

fn main() {
    assert!(
        cfg!(panic = "abort"),
        "build this crate with its own profile"
    );
    let error = pipeline!(naturals() => validate => store)
        .run()
        .unwrap_err();
    assert_eq!(error.stage(), Some("validate"));
    assert!(
        error.to_string().ends_with("failed: row 5000: bad amount"),
        "{error}"
    );
    assert!(
        AFTER_LOOP.load(Ordering::SeqCst),
        "under panic = \"abort\" a stopped consumer's input ends, so its code after the loop runs"
    );
    let early = pipeline!(naturals() => validate => first_ten)
        .run()
        .unwrap();
    assert_eq!(early.len(), 10);
    println!("panic = \"abort\": the failure is returned ({error}), and early stop ends the run");
}

#[consumer]
fn first_ten(xs: impl Iterator<Item = u64>) -> Vec<u64> {
    xs.take(10).collect()
}
