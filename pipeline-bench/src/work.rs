//! The arithmetic the stages spin on, and its calibration.

use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Instant;

static HEAVY_ITERS: AtomicU64 = AtomicU64::new(0);
static FINE_ITERS: AtomicU64 = AtomicU64::new(0);

/// Iterations of [`spin`] that take about 5 µs.
pub fn heavy_iters() -> u64 {
    HEAVY_ITERS.load(Relaxed)
}

/// Iterations of [`spin`] that take about 200 ns.
pub fn fine_iters() -> u64 {
    FINE_ITERS.load(Relaxed)
}

/// `iters` rounds of a multiplicative hash that the optimiser cannot skip; returns
/// `x` plus the hash's top byte, so results stay small enough to sum.
#[inline(never)]
pub fn spin(x: u64, iters: u64) -> u64 {
    let mut h = x;
    for _ in 0..iters {
        h = black_box(
            h.wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407),
        );
    }
    x + (h >> 56)
}

/// Mean nanoseconds per call of `spin(_, iters)` over `calls` calls.
fn ns_per_call(iters: u64, calls: u64) -> f64 {
    let t = Instant::now();
    let mut acc = 0u64;
    for i in 0..calls {
        acc = acc.wrapping_add(spin(black_box(i), iters));
    }
    black_box(acc);
    t.elapsed().as_nanos() as f64 / calls as f64
}

/// Chooses the iterations that make one call take `target_ns`; returns the iterations
/// and the measured nanoseconds per call (the median of seven measurements).
fn calibrate(target_ns: f64) -> (u64, f64) {
    // The fastest of several long runs estimates the cost of one iteration.
    let per_iter = (0..5)
        .map(|_| ns_per_call(200_000, 20) / 200_000.0)
        .fold(f64::INFINITY, f64::min);
    let iters = ((target_ns / per_iter).round() as u64).max(1);
    let calls = ((20e6 / target_ns) as u64).max(1); // about 20 ms each
    let mut measured: Vec<f64> = (0..7).map(|_| ns_per_call(iters, calls)).collect();
    measured.sort_by(f64::total_cmp);
    (iters, measured[measured.len() / 2])
}

/// Calibrates the ~5 µs stage; returns the measured nanoseconds per call.
pub fn calibrate_heavy(target_ns: f64) -> f64 {
    let (iters, ns) = calibrate(target_ns);
    HEAVY_ITERS.store(iters, Relaxed);
    ns
}

/// Calibrates the ~200 ns stage; returns the measured nanoseconds per call.
pub fn calibrate_fine(target_ns: f64) -> f64 {
    let (iters, ns) = calibrate(target_ns);
    FINE_ITERS.store(iters, Relaxed);
    ns
}
