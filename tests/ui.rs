//! Compile-fail cases: each mistake gives one error, on the user's tokens, that says
//! what is wrong. Regenerate the expected output with `TRYBUILD=overwrite`.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
}
