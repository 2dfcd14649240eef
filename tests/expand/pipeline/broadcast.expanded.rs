//! A broadcast whose branches are chains: the result is one value per branch.
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
#[consumer]
fn count(xs: impl Iterator<Item = u64>) -> usize {
    xs.count()
}
fn main() {
    let (squares, n) = {
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
                let [branch0, branch1] = <_ as ::pipeline::__private::Broadcast<
                    _,
                >>::split::<2usize>(chain);
                ::pipeline::__private::join((
                    {
                        let chain = branch0;
                        let chain = {
                            let stage_type = ::pipeline::__private::named(|
                                square { .. }|
                            {});
                            <_ as ::pipeline::__private::TakesInput<
                                _,
                            >>::ok(
                                <_ as ::pipeline::__private::StageDef>::reading(stage_type),
                                stage_type,
                            );
                            <_ as ::pipeline::__private::HasSuccessor<
                                _,
                            >>::ok(
                                <_ as ::pipeline::__private::StageDef>::yielding(
                                    stage_type,
                                ),
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
                            <_ as ::pipeline::__private::EndsBranch<
                                _,
                            >>::ok(
                                <_ as ::pipeline::__private::StageDef>::ending(stage_type),
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
                            <_ as ::pipeline::__private::StageDef>::branch(stage, chain)
                        };
                        chain
                    },
                    {
                        let chain = branch1;
                        let chain = {
                            let stage_type = ::pipeline::__private::named(|count { .. }| {});
                            <_ as ::pipeline::__private::TakesInput<
                                _,
                            >>::ok(
                                <_ as ::pipeline::__private::StageDef>::reading(stage_type),
                                stage_type,
                            );
                            <_ as ::pipeline::__private::EndsBranch<
                                _,
                            >>::ok(
                                <_ as ::pipeline::__private::StageDef>::ending(stage_type),
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
                            <_ as ::pipeline::__private::StageDef>::branch(stage, chain)
                        };
                        chain
                    },
                ))
            };
            chain
        }
    }
        .run()
        .unwrap();
    assert_eq!((squares, n), (total(numbers(10).map(square)), 10));
}
