//! A diamond written with names: `text` is broadcast to its three uses, and the two
//! parsers are merged again.
use pipeline::{consumer, pipeline, producer, stage};
#[producer]
fn lines(text: String) -> Vec<String> {
    text.lines().map(str::to_owned).collect()
}
#[stage]
fn parse_number(line: String) -> Option<u64> {
    line.parse().ok()
}
#[stage]
fn parse_length(line: String) -> u64 {
    line.len() as u64
}
#[consumer]
fn total(xs: impl Iterator<Item = u64>) -> u64 {
    xs.sum()
}
#[consumer]
fn count(lines: impl Iterator<Item = String>) -> usize {
    lines.count()
}
fn main() {
    let (sum, n) = {
        let [stream0_0, stream0_1, stream0_2] = <_ as ::pipeline::__private::Broadcast<
            _,
        >>::split::<
            3usize,
        >({
            let chain = {
                let stage_type = ::pipeline::__private::named(|lines { .. }| {});
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
                                { "12\nab\n3".to_owned() },
                            ),
                        ),
                    ),
                );
                <_ as ::pipeline::__private::StageDef>::head(stage)
            };
            chain
        });
        let stream1_0 = {
            let chain = {
                let merged = {
                    let chain = stream0_0;
                    let chain = {
                        let stage_type = ::pipeline::__private::named(|
                            parse_number { .. }|
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
                    chain
                };
                let merged = <_ as ::pipeline::__private::Merges<
                    _,
                    _,
                    _,
                >>::merge(
                    merged,
                    {
                        let chain = stream0_1;
                        let chain = {
                            let stage_type = ::pipeline::__private::named(|
                                parse_length { .. }|
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
                        chain
                    },
                );
                merged
            };
            chain
        };
        {
            let chain = {
                ::pipeline::__private::join((
                    {
                        let chain = stream1_0;
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
                        let chain = stream0_2;
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
    assert_eq!((sum, n), (12 + 3 + 2 + 2 + 1, 3));
}
