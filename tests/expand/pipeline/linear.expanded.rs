//! `pipeline!(numbers(10) => square => total)`: each stage's block checks where it
//! stands, builds it from its arguments and adds it to the stream.
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
    let sum = {
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
                                { 10 },
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
                <_ as ::pipeline::__private::HasSuccessor<
                    _,
                >>::ok(
                    <_ as ::pipeline::__private::StageDef>::yielding(stage_type),
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
                <_ as ::pipeline::__private::StageDef>::then(stage, chain)
            };
            let chain = {
                let stage_type = ::pipeline::__private::named(|total { .. }| {});
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
        .run()
        .unwrap();
    assert_eq!(sum, total(numbers(10).map(square)));
}
