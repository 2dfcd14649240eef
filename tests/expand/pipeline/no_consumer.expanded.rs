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
                            >>::given({ 4 }),
                        ),
                    ),
                );
                <__Stage as ::pipeline::__private::StageDef>::head(stage)
            };
            let chain = {
                type __Stage = square;
                <__Stage as ::pipeline::__private::TakesInput<
                    ::pipeline::__private::Reading<__Stage>,
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
                <__Stage as ::pipeline::__private::StageDef>::last(stage, chain)
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
