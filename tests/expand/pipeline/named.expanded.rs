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
                type __Stage = lines;
                <__Stage as ::pipeline::__private::StartsFlow<
                    ::pipeline::__private::Starting<__Stage>,
                >>::ok();
                let stage = <__Stage as ::pipeline::__private::StageDef>::construct_one(
                    ::pipeline::__private::GIVEN,
                    (
                        <_ as ::pipeline::__private::SendArg>::into_arg(
                            <__Stage as ::pipeline::__private::CloneForWorkers<
                                _,
                                <__Stage as ::pipeline::__private::AttrWorkers>::Count,
                            >>::given({ "12\nab\n3".to_owned() }),
                        ),
                    ),
                );
                <__Stage as ::pipeline::__private::StageDef>::head(stage)
            };
            chain
        });
        let stream1_0 = {
            let chain = {
                let merged = {
                    let chain = stream0_0;
                    let chain = {
                        type __Stage = parse_number;
                        <__Stage as ::pipeline::__private::TakesInput<
                            ::pipeline::__private::Reading<__Stage>,
                        >>::ok();
                        <__Stage as ::pipeline::__private::HasSuccessor<
                            ::pipeline::__private::Yielding<__Stage>,
                        >>::ok();
                        let chain = <_ as ::pipeline::__private::Connects<
                            _,
                            __Stage,
                            ::pipeline::__private::InOf<__Stage>,
                            ::pipeline::__private::Checked<__Stage>,
                        >>::connect(chain);
                        let stage = <__Stage as ::pipeline::__private::StageDef>::construct::<
                            0usize,
                            _,
                        >(::pipeline::__private::GIVEN, ());
                        <__Stage as ::pipeline::__private::StageDef>::then(stage, chain)
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
                            type __Stage = parse_length;
                            <__Stage as ::pipeline::__private::TakesInput<
                                ::pipeline::__private::Reading<__Stage>,
                            >>::ok();
                            <__Stage as ::pipeline::__private::HasSuccessor<
                                ::pipeline::__private::Yielding<__Stage>,
                            >>::ok();
                            let chain = <_ as ::pipeline::__private::Connects<
                                _,
                                __Stage,
                                ::pipeline::__private::InOf<__Stage>,
                                ::pipeline::__private::Checked<__Stage>,
                            >>::connect(chain);
                            let stage = <__Stage as ::pipeline::__private::StageDef>::construct::<
                                0usize,
                                _,
                            >(::pipeline::__private::GIVEN, ());
                            <__Stage as ::pipeline::__private::StageDef>::then(
                                stage,
                                chain,
                            )
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
                            type __Stage = total;
                            <__Stage as ::pipeline::__private::TakesInput<
                                ::pipeline::__private::Reading<__Stage>,
                            >>::ok();
                            <__Stage as ::pipeline::__private::EndsBranch<
                                ::pipeline::__private::Ending<__Stage>,
                            >>::ok();
                            let chain = <_ as ::pipeline::__private::Connects<
                                _,
                                __Stage,
                                ::pipeline::__private::InOf<__Stage>,
                                ::pipeline::__private::Checked<__Stage>,
                            >>::connect(chain);
                            let stage = <__Stage as ::pipeline::__private::StageDef>::construct::<
                                0usize,
                                _,
                            >(::pipeline::__private::GIVEN, ());
                            <__Stage as ::pipeline::__private::StageDef>::branch(
                                stage,
                                chain,
                            )
                        };
                        chain
                    },
                    {
                        let chain = stream0_2;
                        let chain = {
                            type __Stage = count;
                            <__Stage as ::pipeline::__private::TakesInput<
                                ::pipeline::__private::Reading<__Stage>,
                            >>::ok();
                            <__Stage as ::pipeline::__private::EndsBranch<
                                ::pipeline::__private::Ending<__Stage>,
                            >>::ok();
                            let chain = <_ as ::pipeline::__private::Connects<
                                _,
                                __Stage,
                                ::pipeline::__private::InOf<__Stage>,
                                ::pipeline::__private::Checked<__Stage>,
                            >>::connect(chain);
                            let stage = <__Stage as ::pipeline::__private::StageDef>::construct::<
                                0usize,
                                _,
                            >(::pipeline::__private::GIVEN, ());
                            <__Stage as ::pipeline::__private::StageDef>::branch(
                                stage,
                                chain,
                            )
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
