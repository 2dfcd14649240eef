//! No consumer: the caller iterates over what the last stage yields.
use pipeline::{consumer, pipeline, producer, stage};
#[producer]
fn numbers(n: u64) -> impl Iterator<Item = u64> {
    0..n
}
#[stage(workers = 2)]
fn square(x: u64) -> u64 {
    x * x
}
#[consumer]
fn total(xs: impl Iterator<Item = u64>) -> u64 {
    xs.sum()
}
fn main() {
    let mut got: Vec<u64> = {
        {
            let chain = {
                let stage_type = ::pipeline::__private::named(|numbers { .. }| {});
                <_ as ::pipeline::__private::StartsFlow<
                    _,
                >>::ok(
                    <_ as ::pipeline::__private::StageDef>::starting(stage_type),
                    stage_type,
                );
                let stage = <_ as ::pipeline::__private::StageDef>::construct_one(
                    stage_type,
                    ::pipeline::__private::GIVEN,
                    (
                        <_ as ::pipeline::__private::SendArg>::into_arg(
                            <_ as ::pipeline::__private::CloneForWorkers<
                                _,
                                _,
                            >>::given(
                                <_ as ::pipeline::__private::AttrWorkers>::count(
                                    stage_type,
                                ),
                                stage_type,
                                { 4 },
                            ),
                        ),
                    ),
                );
                <_ as ::pipeline::__private::StageDef>::head(stage)
            };
            let chain = {
                let stage_type = ::pipeline::__private::named(|square { .. }| {});
                <_ as ::pipeline::__private::TakesInput<
                    _,
                >>::ok(
                    <_ as ::pipeline::__private::StageDef>::reading(stage_type),
                    stage_type,
                );
                let chain = <_ as ::pipeline::__private::Connects<
                    _,
                    _,
                    _,
                    _,
                >>::connect(
                    <_ as ::pipeline::__private::StageDef>::checked(stage_type),
                    <_ as ::pipeline::__private::StageDef>::input(stage_type),
                    stage_type,
                    chain,
                );
                let stage = <_ as ::pipeline::__private::StageDef>::construct::<
                    0usize,
                    _,
                >(stage_type, ::pipeline::__private::GIVEN, ());
                <_ as ::pipeline::__private::StageDef>::last(stage, chain)
            };
            chain
        }
    }
        .into_iter()
        .map(Result::unwrap)
        .collect();
    got.sort_unstable();
    assert_eq!(got, [0, 1, 4, 9]);
    assert_eq!(total(numbers(0)), 0);
}
