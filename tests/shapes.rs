//! Every shape `pipeline!` accepts, each compared with the nested sequential calls.

mod common;

use pipeline::{consumer, pipeline, producer, stage};
use std::collections::HashMap;

#[producer]
fn numbers(n: u64) -> impl Iterator<Item = u64> {
    0..n
}

#[producer]
fn listed(items: Vec<u64>) -> Vec<u64> {
    items
}

#[stage(workers = 4)]
fn square(xs: impl Iterator<Item = u64>) -> impl Iterator<Item = u64> {
    xs.map(|x| x * x)
}

#[stage(workers = 3)]
fn scale(x: u64, factor: u64) -> u64 {
    x * factor
}

#[stage(workers = 2)]
fn odd_only(x: u64) -> Option<u64> {
    (x % 2 == 1).then_some(x)
}

#[stage]
fn pairs<I>(xs: I) -> Vec<(u64, u64)>
where
    I: Iterator<Item = u64>,
{
    xs.map(|x| (x, x)).collect()
}

#[consumer]
fn total(xs: impl Iterator<Item = u64>) -> u64 {
    xs.sum()
}

#[consumer]
fn count(xs: impl Iterator<Item = u64>) -> usize {
    xs.count()
}

#[consumer]
fn sorted(xs: impl Iterator<Item = u64>) -> Vec<u64> {
    let mut v: Vec<u64> = xs.collect();
    v.sort_unstable();
    v
}

#[consumer(workers = 3)]
fn partial_sums(xs: impl Iterator<Item = u64>) -> u64 {
    xs.sum()
}

#[consumer(name = "tally")]
fn histogram(xs: impl Iterator<Item = (u64, u64)>) -> HashMap<u64, u64> {
    let mut h = HashMap::new();
    for (k, _) in xs {
        *h.entry(k % 3).or_default() += 1;
    }
    h
}

#[test]
fn linear() {
    let sequential = total(square(numbers(1000)));
    let concurrent = pipeline!(numbers(1000) => square => total).run().unwrap();
    assert_eq!(concurrent, sequential);
}

#[test]
fn item_form_with_arguments_and_option() {
    let sequential: u64 = numbers(500).filter_map(odd_only).map(|x| scale(x, 3)).sum();
    let concurrent = pipeline!(numbers(500) => odd_only => scale(3) => total)
        .run()
        .unwrap();
    assert_eq!(concurrent, sequential);
}

#[test]
fn fan_in_merges_every_producer() {
    let got = pipeline!([numbers(5), numbers(7), listed(vec![100, 200])] => sorted)
        .run()
        .unwrap();
    let mut want: Vec<u64> = numbers(5).chain(numbers(7)).chain([100, 200]).collect();
    want.sort_unstable();
    assert_eq!(got, want);
}

#[test]
fn broadcast_gives_every_branch_every_item() {
    let (sum, n) = pipeline!(numbers(10) => square => [total, count])
        .run()
        .unwrap();
    assert_eq!((sum, n), (285, 10));
}

#[test]
fn broadcast_branches_may_be_chains_and_nest() {
    let (squares, (n, odds)) =
        pipeline!(numbers(10) => [square => total, odd_only => [count, sorted]])
            .run()
            .unwrap();
    assert_eq!(squares, 285);
    assert_eq!(n, 5);
    assert_eq!(odds, vec![1, 3, 5, 7, 9]);
}

#[test]
fn consumer_with_workers_returns_one_value_per_worker() {
    let parts = pipeline!(numbers(1000) => partial_sums).run().unwrap();
    assert_eq!(parts.len(), 3);
    assert_eq!(parts.iter().sum::<u64>(), (0..1000).sum());
}

#[test]
fn without_consumer_the_caller_iterates() {
    let mut got: Vec<u64> = pipeline!(numbers(100) => square)
        .into_iter()
        .collect::<Result<_, _>>()
        .unwrap();
    got.sort_unstable();
    assert_eq!(got, square(numbers(100)).collect::<Vec<_>>());

    let only_producer: Vec<u64> = pipeline!(numbers(4))
        .into_iter()
        .map(Result::unwrap)
        .collect();
    assert_eq!(only_producer, vec![0, 1, 2, 3]);
}

#[test]
fn generic_stream_stage_and_named_consumer() {
    let h = pipeline!(numbers(9) => pairs => histogram).run().unwrap();
    assert_eq!(h.values().sum::<u64>(), 9);
    assert_eq!(h[&0], 3);
}

#[test]
fn spawn_then_join() {
    let handle = pipeline!(numbers(100) => square => total).spawn();
    assert_eq!(handle.join().unwrap(), total(square(numbers(100))));
}

fn configured_workers() -> usize {
    std::env::var("NO_SUCH_VARIABLE_FOR_PIPELINE_TESTS").map_or(0, |v| v.parse().unwrap())
}

#[stage(workers = configured_workers())]
fn zero_at_runtime(x: u64) -> u64 {
    x
}

#[test]
fn a_computed_zero_worker_count_is_an_error() {
    let error = pipeline!(numbers(10) => zero_at_runtime => total)
        .run()
        .unwrap_err();
    assert_eq!(error.stage(), Some("zero_at_runtime"));
    assert_eq!(
        error.to_string(),
        "stage `zero_at_runtime`: `workers` must be at least 1, got 0"
    );
}

#[test]
fn the_runtime_builder_needs_no_macro() {
    use pipeline::runtime::{consumer, map, producer};
    use pipeline::{Options, Stream};
    let sum = Stream::produce(Options::new("numbers"), producer(|| 0..10u64))
        .map(Options::new("square").workers(2), map(|x: u64| x * x))
        .consume(Options::new("total"), consumer(|xs| xs.sum::<u64>()))
        .run()
        .unwrap();
    assert_eq!(sum, 285);
}

#[test]
fn options_set_where_a_stage_is_used_override_the_attribute() {
    let workers = 1 + configured_workers() + 2; // e.g. from the command line
    let (sum, stats) =
        pipeline!(numbers(1000) => scale(3)[workers = workers, buffer = 16] => total)
            .run_with_stats();
    assert_eq!(sum.unwrap(), 3 * (0..1000).sum::<u64>());
    let scale = stats.stages.iter().find(|s| s.name == "scale").unwrap();
    assert_eq!(scale.workers.len(), 3);
    let graph = stats.graph();
    let node = graph.nodes.iter().find(|n| n.name == "scale").unwrap();
    assert_eq!(node.buffer, Some(16));
}

#[test]
fn a_single_value_consumer_cannot_be_given_workers_where_used() {
    let error = pipeline!(numbers(10) => total[workers = 1 + 1])
        .run()
        .unwrap_err();
    assert_eq!(error.stage(), Some("total"));
    assert!(
        error
            .to_string()
            .contains("give its #[consumer] attribute a `workers` option"),
        "{error}"
    );
}
