//! Timing the crate's own Rust prime core ([`crate::workload::prime::find_nth_prime`])
//! in-process, with [`std::time::Instant`] and [`std::hint::black_box`]. Meaningful only in a
//! release build (a warning is printed and recorded otherwise).

use super::error::CalibrateError;
use super::measurement::{Measured, Measurement};
use crate::sim::calibration::human_duration;
use crate::workload::cost::Backend;
use crate::workload::prime::{find_nth_prime, op_count};
use std::hint::black_box;
use std::time::{Duration, Instant};

/// Time in nanoseconds of `k` calls of the Rust core.
fn time_rust_batch(n: u64, k: u64) -> f64 {
    let t0 = Instant::now();
    for _ in 0..k {
        black_box(find_nth_prime(black_box(n)));
    }
    t0.elapsed().as_nanos() as f64
}

/// A single call at least this long is kept as a sample instead of being a discarded warm-up.
const KEEP_WARMUP_NS: f64 = 2e8;
const MAX_BATCH: u64 = 1 << 30;

/// Checks the core's answer at `n`, then sizes its batch: the smallest k (growing at least
/// twofold) whose batch lasts `target_ns`. These runs double as warm-up; a single call of at
/// least [`KEEP_WARMUP_NS`] is kept as the first sample.
fn size_batch(n: u64, target_ns: f64, progress: bool) -> Result<Measurement, CalibrateError> {
    let expected = op_count(n)?.prime;
    let got = find_nth_prime(n).unwrap_or(0);
    if got != expected {
        return Err(CalibrateError::WrongResult {
            backend: Backend::Rust,
            n,
            got,
            expected,
        });
    }
    let mut k = 1u64;
    let dt = loop {
        let dt = time_rust_batch(n, k);
        if dt >= target_ns || k >= MAX_BATCH {
            break dt;
        }
        let grow = (k as f64 * 1.2 * target_ns / dt.max(1.0)) as u64 + 1;
        k = grow.max(2 * k).min(MAX_BATCH);
    };
    let mut times = Vec::new();
    if k == 1 && dt >= KEEP_WARMUP_NS {
        times.push(dt);
    }
    if progress {
        eprintln!(
            "  sized n = {n}: {k} per batch, {} per call",
            human_duration(dt / k as f64)
        );
    }
    Ok(Measurement {
        n,
        batch: k,
        per_call_ns: times,
    })
}

/// Times the Rust core at each n: sizes a batch for each n (these runs double as warm-up),
/// then takes `samples` rounds of one batch per n. Prints a warning on stderr, and records
/// one, in a debug build.
pub fn measure_rust(
    ns: &[u64],
    samples: u32,
    min_batch: Duration,
    progress: bool,
) -> Result<Measured, CalibrateError> {
    let mut warnings = Vec::new();
    let build = if cfg!(debug_assertions) {
        let w = "execsim was built without optimisation (debug build): Rust timings are \
                 meaningless; use `cargo run --release`";
        eprintln!("warning: {w}");
        warnings.push(w.to_string());
        "debug"
    } else {
        "release"
    };
    let target = min_batch.as_nanos() as f64;
    let mut points = ns
        .iter()
        .map(|&n| size_batch(n, target, progress))
        .collect::<Result<Vec<_>, _>>()?;
    // Round-robin: a slow period of the machine costs one sample of several n, not all
    // the samples of one n.
    for round in 1..=samples {
        for m in points.iter_mut() {
            if m.per_call_ns.len() < samples as usize {
                m.per_call_ns
                    .push(time_rust_batch(m.n, m.batch) / m.batch as f64);
            }
        }
        if progress {
            eprintln!("  round {round} of {samples} done");
        }
    }
    Ok(Measured {
        runtime: format!(
            "execsim {} {build} build ({} {})",
            env!("CARGO_PKG_VERSION"),
            std::env::consts::OS,
            std::env::consts::ARCH
        ),
        points,
        warnings,
    })
}
