//! Compile-fail cases, one directory per macro: each mistake gives one error, on the
//! user's tokens, that says what is wrong. `pass/` holds names that must compile and
//! run, and so do the inputs of the expansion snapshots in `tests/expand/`.
//! Regenerate the expected output with `TRYBUILD=overwrite`.

use std::fs;

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/stage/*.rs");
    t.compile_fail("tests/ui/pipeline/*.rs");
    t.pass("tests/ui/pass/*.rs");
    for dir in ["tests/expand/stage", "tests/expand/pipeline"] {
        let mut inputs: Vec<_> = fs::read_dir(dir)
            .unwrap()
            .map(|entry| entry.unwrap().path())
            .filter(|p| {
                let name = p.to_string_lossy();
                name.ends_with(".rs") && !name.ends_with(".expanded.rs")
            })
            .collect();
        inputs.sort();
        for input in inputs {
            t.pass(input);
        }
    }
}
