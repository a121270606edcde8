//! The search: which configurations to simulate, in two rounds.
//!
//! 1. **Executors and pool sizes**, at CPython's default switch interval (5 ms): inline; a
//!    thread pool of 1, 2, `cores`, CPython's default `min(32, cores + 4)`, twice that, and
//!    as many workers as the clients can keep busy (their number, for closed loops); a process
//!    pool of 1, `cores`, `2 x cores` and the clients' number (at most 64); as what-ifs, the
//!    free-threaded build's thread pool (3.13t) and the interpreter pool (3.14) at the sizes
//!    that did best for threads.
//! 2. **Switch intervals** (20, 1 and 0.5 ms) for the two best thread pools under the GIL:
//!    the interval only matters where threads share a GIL.
//!
//! Each configuration is one simulation of the scenario (its seed, its duration), all in
//! parallel (rayon); the order of the results does not depend on the threads.

use super::option::{assess, Assessed, Candidate};
use crate::interp::GilKind;
use crate::kernel::SimDuration;
use crate::service::ExecutorKind;
use crate::sim::calibration::Calibration;
use crate::sim::run::{simulate, SimOptions};
use crate::sim::scenario::Scenario;
use rayon::prelude::*;

/// What the search needs besides the scenario.
#[derive(Clone, Debug)]
pub struct SearchSpec {
    /// Cores of the machine to advise for.
    pub cores: usize,
    /// The p99 bound, ms.
    pub p99_ms: Option<f64>,
}

/// How many requests the clients keep in flight: one per client (an open-loop client's
/// backlog is what a pool must absorb, and its rate decides it).
fn concurrency(s: &Scenario) -> usize {
    s.clients.iter().map(|c| c.count).sum::<usize>().max(1)
}

fn sizes(mut v: Vec<usize>, max: usize) -> Vec<usize> {
    v.retain(|&x| x >= 1 && x <= max);
    v.sort_unstable();
    v.dedup();
    v
}

fn five_ms() -> SimDuration {
    SimDuration::from_millis(5)
}

fn cand(executor: ExecutorKind, workers: Option<usize>) -> Candidate {
    Candidate {
        executor,
        workers,
        switch_interval: five_ms(),
        gil: GilKind::Cpython,
        what_if: None,
    }
}

/// The first round's candidates (see the module documentation).
pub fn first_round(s: &Scenario, cores: usize) -> Vec<Candidate> {
    let c = concurrency(s);
    let default_threads = ExecutorKind::Thread.default_pool_size(cores);
    let mut out = vec![cand(ExecutorKind::Inline, None)];
    out.push(cand(ExecutorKind::Thread, None));
    for w in sizes(vec![1, 2, cores, 2 * default_threads, c], 1024) {
        if w != default_threads {
            out.push(cand(ExecutorKind::Thread, Some(w)));
        }
    }
    out.push(cand(ExecutorKind::Process, None));
    for w in sizes(vec![1, 2 * cores, c], 64) {
        if w != cores {
            out.push(cand(ExecutorKind::Process, Some(w)));
        }
    }
    out
}

/// What-ifs and switch intervals after the first round (`done`, ranked best first).
pub fn second_round(done: &[Assessed], cores: usize) -> Vec<Candidate> {
    let threads: Vec<&Assessed> = done
        .iter()
        .filter(|a| a.candidate.executor == ExecutorKind::Thread)
        .take(2)
        .collect();
    let mut out = Vec::new();
    for a in &threads {
        let w = Some(a.candidate.pool_size(cores));
        for ms in [20_000u64, 1_000, 500] {
            out.push(Candidate {
                switch_interval: SimDuration::from_micros(ms),
                ..a.candidate.clone()
            });
        }
        out.push(Candidate {
            workers: w,
            gil: GilKind::FreeThreaded,
            what_if: Some("3.13t"),
            ..a.candidate.clone()
        });
        out.push(Candidate {
            executor: ExecutorKind::Interpreter,
            workers: w,
            what_if: Some("3.14"),
            ..a.candidate.clone()
        });
    }
    let mut seen: Vec<Candidate> = done.iter().map(|a| a.candidate.clone()).collect();
    out.retain(|c| {
        let new = !seen.contains(c);
        seen.push(c.clone());
        new
    });
    out
}

/// Each request's bytes through an executor (payload + reply), averaged over the request
/// types the clients name (0 for prime requests); and the cost per byte of moving them
/// through a process pool, ns.
fn byte_figures(s: &Scenario, cal: &Calibration) -> (f64, f64) {
    let b = s.costs.service.or(cal.service).unwrap_or_default().bytes;
    let per_byte = b.crossing_ns_per_byte();
    let sizes: Vec<f64> = s
        .clients
        .iter()
        .filter_map(|c| c.request.as_ref())
        .filter_map(|name| s.requests.iter().find(|r| &r.name == name))
        .map(|r| (r.payload.map_or(0, |x| x.0) + r.reply.map_or(0, |x| x.0)) as f64)
        .collect();
    let mean = if sizes.is_empty() {
        0.0
    } else {
        sizes.iter().sum::<f64>() / sizes.len() as f64
    };
    (mean, per_byte)
}

/// Simulates every candidate (in parallel) and assesses it; ranked best first: meeting the
/// bound, then by rate, then by fewer workers, then by label.
pub fn evaluate(
    base: &Scenario,
    cal: &Calibration,
    spec: &SearchSpec,
    candidates: &[Candidate],
) -> Vec<Assessed> {
    let (bytes, per_byte) = byte_figures(base, cal);
    let mut base = base.clone();
    base.machine.cores = spec.cores;
    let mut out: Vec<Assessed> = candidates
        .par_iter()
        .map(|c| {
            let s = c.apply(&base);
            let r = simulate(&s, cal, &SimOptions::default()).result;
            assess(c, &s, &r, spec.p99_ms, per_byte, bytes)
        })
        .collect();
    rank(&mut out, spec.cores);
    out
}

/// Best first: meeting the bound, higher rate, lower p99, fewer workers, the switch interval
/// nearer CPython's default, label.
pub fn rank(v: &mut [Assessed], cores: usize) {
    let off_default = |a: &Assessed| a.candidate.switch_interval.as_nanos().abs_diff(5_000_000);
    v.sort_by(|a, b| {
        b.meets_p99
            .cmp(&a.meets_p99)
            .then(b.rate.total_cmp(&a.rate))
            .then(a.p99_ms.total_cmp(&b.p99_ms))
            .then(
                a.candidate
                    .pool_size(cores)
                    .cmp(&b.candidate.pool_size(cores)),
            )
            .then(off_default(a).cmp(&off_default(b)))
            .then(a.label.cmp(&b.label))
    });
}
