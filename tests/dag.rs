//! The shapes of DESIGN §3 beyond a tree: fan-in of chains, broadcasts and merges of
//! any number of branches, streams named by `let` (a diamond), and options written
//! where a stage is used. Each pipeline is compared with the nested sequential
//! calls; the graph, the stats and the errors name every stage of every shape.

use pipeline::{consumer, pipeline, producer, stage};
use std::collections::BTreeMap;

#[producer]
fn numbers(n: u64) -> impl Iterator<Item = u64> {
    0..n
}

#[producer]
fn lines(text: String) -> Vec<String> {
    text.lines().map(str::to_owned).collect()
}

#[stage(workers = 3)]
fn square(x: u64) -> u64 {
    x * x
}

#[stage]
fn scale(x: u64, k: u64) -> u64 {
    x * k
}

#[stage(workers = 2)]
fn fail_at(x: u64, bad: u64) -> Result<u64, String> {
    if x == bad {
        Err(format!("{x} is bad"))
    } else {
        Ok(x)
    }
}

/// `key=value` lines.
#[stage(workers = 2)]
fn parse_pairs(line: String) -> Option<(String, u64)> {
    let (key, value) = line.split_once('=')?;
    Some((key.trim().to_owned(), value.trim().parse().ok()?))
}

/// `key,value` lines.
#[stage]
fn parse_csv(lines: impl Iterator<Item = String>) -> impl Iterator<Item = (String, u64)> {
    lines.filter_map(|line| {
        let (key, value) = line.split_once(',')?;
        Some((key.trim().to_owned(), value.trim().parse().ok()?))
    })
}

#[stage]
fn normalize(pair: (String, u64)) -> (String, u64) {
    (pair.0.to_lowercase(), pair.1)
}

#[consumer]
fn store(pairs: impl Iterator<Item = (String, u64)>) -> BTreeMap<String, u64> {
    let mut table = BTreeMap::new();
    for (key, value) in pairs {
        *table.entry(key).or_default() += value;
    }
    table
}

#[consumer]
fn count_bytes(lines: impl Iterator<Item = String>) -> usize {
    lines.map(|l| l.len()).sum()
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

#[consumer]
fn in_order(xs: impl Iterator<Item = u64>) -> Vec<u64> {
    xs.collect()
}

fn sorted_vec(xs: impl IntoIterator<Item = u64>) -> Vec<u64> {
    let mut v: Vec<u64> = xs.into_iter().collect();
    v.sort_unstable();
    v
}

const TEXT: &str = "Apples=3\napples,4\npears=2\nnot a pair\nPears,5\nplums=1";

#[test]
fn fan_in_of_chains() {
    let got = pipeline!([numbers(5) => square, numbers(7) => scale(10), numbers(3)] => sorted)
        .run()
        .unwrap();
    let want = sorted_vec(
        numbers(5)
            .map(square)
            .chain(numbers(7).map(|x| scale(x, 10)))
            .chain(numbers(3)),
    );
    assert_eq!(got, want);
}

#[test]
fn broadcast_then_merge_of_more_than_eight_branches() {
    let got = pipeline!(
        numbers(20) => [
            scale(1), scale(2), scale(3), scale(4), scale(5),
            scale(6), scale(7), scale(8), scale(9), scale(10),
        ] => sorted
    )
    .run()
    .unwrap();
    let want = sorted_vec((1..=10).flat_map(|k| numbers(20).map(move |x| scale(x, k))));
    assert_eq!(got, want);
}

#[test]
fn a_result_of_more_than_eight_values_is_one_flat_tuple() {
    let got = pipeline!(
        numbers(20) => [
            total, count, scale(2) => total, count, scale(3) => total,
            count, scale(4) => total, count, scale(5) => total, count,
        ]
    )
    .run()
    .unwrap();
    let sum = |k: u64| numbers(20).map(|x| scale(x, k)).sum::<u64>();
    assert_eq!(
        got,
        (sum(1), 20, sum(2), 20, sum(3), 20, sum(4), 20, sum(5), 20)
    );
}

#[test]
fn merge_of_more_than_eight_producers() {
    let got = pipeline!(
        [
            numbers(1), numbers(2), numbers(3), numbers(4), numbers(5),
            numbers(6), numbers(7), numbers(8), numbers(9), numbers(10),
        ] => total
    )
    .run()
    .unwrap();
    assert_eq!(got, (1..=10).flat_map(numbers).sum::<u64>());
}

#[test]
fn merged_streams_without_a_consumer_are_iterated() {
    let producers = sorted_vec(
        pipeline!([numbers(3), numbers(4)])
            .into_iter()
            .map(Result::unwrap),
    );
    assert_eq!(producers, sorted_vec(numbers(3).chain(numbers(4))));
    let chains = sorted_vec(
        pipeline!([numbers(3), numbers(4) => square] => scale(2))
            .into_iter()
            .map(Result::unwrap),
    );
    let want = numbers(3)
        .chain(numbers(4).map(square))
        .map(|x| scale(x, 2));
    assert_eq!(chains, sorted_vec(want));
}

#[test]
fn a_diamond_written_with_names() {
    let (stored, bytes) = pipeline! {
        let text = lines(TEXT.to_owned());
        let parsed = [text => parse_pairs, text => parse_csv] => normalize;
        [parsed => store, text => count_bytes]
    }
    .run()
    .unwrap();

    let by_pairs = lines(TEXT.to_owned()).into_iter().filter_map(parse_pairs);
    let by_csv = parse_csv(lines(TEXT.to_owned()).into_iter());
    let want_stored = store(by_pairs.chain(by_csv).map(normalize));
    let want_bytes = count_bytes(lines(TEXT.to_owned()).into_iter());
    assert_eq!(stored, want_stored);
    assert_eq!(bytes, want_bytes);
    assert_eq!(stored["apples"], 7);
}

#[test]
fn a_name_used_once_is_not_broadcast_and_names_chain() {
    let got = pipeline! {
        let squares = numbers(10) => square;
        let scaled = squares => scale(3);
        scaled => total
    }
    .run()
    .unwrap();
    assert_eq!(got, numbers(10).map(square).map(|x| scale(x, 3)).sum());

    let iterated = sorted_vec(
        pipeline! {
            let n = numbers(5);
            n
        }
        .into_iter()
        .map(Result::unwrap),
    );
    assert_eq!(iterated, vec![0, 1, 2, 3, 4]);
}

#[test]
fn each_use_of_a_name_gets_every_item() {
    let (sum, n, squares, all) = pipeline! {
        let xs = numbers(100);
        [xs => total, xs => count, xs => square => total, [xs, xs] => count]
    }
    .run()
    .unwrap();
    assert_eq!(sum, total(numbers(100)));
    assert_eq!(n, 100);
    assert_eq!(squares, total(numbers(100).map(square)));
    assert_eq!(all, 200);
}

#[test]
fn nested_lists_give_nested_tuples() {
    let (a, (b, (c, d))) = pipeline!(numbers(10) => [total, [count, square => [total, sorted]]])
        .run()
        .unwrap();
    assert_eq!(a, 45);
    assert_eq!(b, 10);
    assert_eq!(c, numbers(10).map(square).sum());
    assert_eq!(d, sorted_vec(numbers(10).map(square)));
}

#[test]
fn a_list_of_one_branch_is_that_branch() {
    let sum = pipeline!(numbers(10) => [square => total]).run().unwrap();
    assert_eq!(sum, 285);
}

#[test]
fn options_where_used_name_each_use_in_the_stats() {
    let p = pipeline!(numbers(100) => [
        scale(2)[name = "double", workers = 2] => total,
        scale(3)[name = "triple", buffer = 8] => total[name = "triple total"],
    ]);
    let (result, stats) = p.run_with_stats();
    let (doubled, tripled) = result.unwrap();
    assert_eq!(doubled, 2 * total(numbers(100)));
    assert_eq!(tripled, 3 * total(numbers(100)));
    let names: Vec<&str> = stats.stages.iter().map(|s| s.name.as_str()).collect();
    for name in ["numbers", "double", "triple", "total", "triple total"] {
        assert!(names.contains(&name), "{name} missing from {names:?}");
    }
    let double = stats.stages.iter().find(|s| s.name == "double").unwrap();
    assert_eq!(double.workers.len(), 2);
    assert_eq!(double.items_in, Some(100));
    let graph = stats.graph();
    let triple = graph.nodes.iter().find(|n| n.name == "triple").unwrap();
    assert_eq!(triple.buffer, Some(8));
}

#[test]
fn ordered_where_used_keeps_the_input_order() {
    let got = pipeline!(numbers(5000) => square[workers = 4, ordered] => in_order)
        .run()
        .unwrap();
    assert_eq!(got, numbers(5000).map(square).collect::<Vec<_>>());
}

#[test]
fn a_failure_names_the_use_of_the_stage_that_failed() {
    let error = pipeline! {
        let xs = numbers(1000);
        [xs => fail_at(2000)[name = "lenient"] => total, xs => fail_at(500)[name = "strict"] => total]
    }
    .run()
    .unwrap_err();
    assert_eq!(error.stage(), Some("strict"));
    assert!(error.to_string().contains("500 is bad"), "{error}");
}

#[test]
fn the_graph_of_a_diamond_has_each_stage_once_and_every_edge() {
    let p = pipeline! {
        let text = lines(TEXT.to_owned());
        let parsed = [text => parse_pairs, text => parse_csv] => normalize;
        [parsed => store, text => count_bytes]
    };
    let graph = p.graph().clone();
    let id = |name: &str| {
        let found: Vec<_> = graph.nodes.iter().filter(|n| n.name == name).collect();
        assert_eq!(found.len(), 1, "{name} in {graph:?}");
        found[0].id
    };
    let edge = |from: &str, to: &str| {
        graph
            .edges
            .iter()
            .filter(|e| e.from == id(from) && e.to == id(to))
            .map(|e| e.broadcast)
            .collect::<Vec<bool>>()
    };
    assert_eq!(graph.nodes.len(), 6);
    assert_eq!(edge("lines", "parse_pairs"), [true]);
    assert_eq!(edge("lines", "parse_csv"), [true]);
    assert_eq!(edge("lines", "count_bytes"), [true]);
    assert_eq!(edge("parse_pairs", "normalize"), [false]);
    assert_eq!(edge("parse_csv", "normalize"), [false]);
    assert_eq!(edge("normalize", "store"), [false]);
    assert_eq!(graph.edges.len(), 6);

    let dot = p.to_dot();
    assert_eq!(dot.matches("->").count(), 6, "{dot}");
    assert_eq!(dot.matches("broadcast").count(), 3, "{dot}");
    let mermaid = p.to_mermaid();
    assert_eq!(mermaid.matches("-. \"broadcast").count(), 3, "{mermaid}");
    let (result, stats) = p.run_with_stats();
    let (stored, _) = result.unwrap();
    assert_eq!(stored.len(), 3);
    let normalize = stats.stages.iter().find(|s| s.name == "normalize").unwrap();
    assert_eq!(normalize.items_in, Some(5));
}
