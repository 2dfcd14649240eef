//! Compile-fail cases, one directory per macro: each mistake gives one error, on the
//! user's tokens, that says what is wrong. `pass/` holds shapes and names that must
//! compile and run. Regenerate the expected output with `TRYBUILD=overwrite`.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/stage/*.rs");
    t.compile_fail("tests/ui/pipeline/*.rs");
    t.pass("tests/ui/pass/*.rs");
}
