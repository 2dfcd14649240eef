//! Guarantee 2: every queue and every reorder window is bounded, so peak memory does
//! not grow with the stream. Its own test binary, so that `VmHWM` measures it alone.

mod common;

use common::{no_hang, peak_rss_kib};
use pipeline::{consumer, pipeline, producer, stage};

const ITEM: usize = 4096;
const ITEMS: usize = 100_000; // 400 MiB streamed in all

#[producer]
fn blocks(n: usize) -> impl Iterator<Item = Vec<u8>> {
    (0..n).map(|i| vec![i as u8; ITEM])
}

#[stage(workers = 2, ordered)]
fn stamp(mut block: Vec<u8>) -> Vec<u8> {
    block[0] = block[1].wrapping_add(1);
    block
}

#[stage(workers = 2)]
fn reverse(xs: impl Iterator<Item = Vec<u8>>) -> impl Iterator<Item = Vec<u8>> {
    xs.map(|mut b| {
        b.reverse();
        b
    })
}

/// Slower than the producer: it reads every block byte by byte.
#[consumer]
fn checksum(xs: impl Iterator<Item = Vec<u8>>) -> (usize, u64) {
    let mut n = 0;
    let mut sum = 0u64;
    for block in xs {
        n += 1;
        sum += block.iter().map(|&b| u64::from(b)).sum::<u64>();
    }
    (n, sum)
}

#[test]
fn peak_memory_stays_small_while_hundreds_of_mib_stream() {
    let before = peak_rss_kib();
    let (n, _) = no_hang("bounded memory", || {
        pipeline!(blocks(ITEMS) => stamp => reverse => checksum)
            .run()
            .unwrap()
    });
    assert_eq!(n, ITEMS);
    let grown_mib = (peak_rss_kib() - before) / 1024;
    let streamed_mib = ITEM * ITEMS / (1024 * 1024);
    // Three queues of 1024 items and the reorder window hold at most ~13 MiB.
    assert!(
        grown_mib < 48,
        "peak memory grew by {grown_mib} MiB while streaming {streamed_mib} MiB"
    );
}
