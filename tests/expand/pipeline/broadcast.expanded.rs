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
                type __Stage = numbers;
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
                            >>::given({ 10 }),
                        ),
                    ),
                );
                <__Stage as ::pipeline::__private::StageDef>::head(stage)
            };
            let chain = {
                let [branch0, branch1] = <_ as ::pipeline::__private::Broadcast<
                    _,
                >>::split::<2usize>(chain);
                ::pipeline::__private::join((
                    {
                        let chain = branch0;
                        let chain = {
                            type __Stage = square;
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
                        let chain = branch1;
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
    assert_eq!((squares, n), (total(numbers(10).map(square)), 10));
}
