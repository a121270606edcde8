//! `execsim advise`: for a workload, which executor, pool size and switch interval to use,
//! with the evidence.
//!
//! The scenario file describes the service as it is (its request types and clients); the
//! advice simulates it under other configurations ([`search`]), assesses each ([`option`]:
//! throughput, latency over every client, CPU use, where the time went) and recommends the
//! best that meets the p99 bound: the highest throughput, then the fewest workers.
//! Configurations this interpreter does not offer (the free-threaded build's thread pool,
//! the interpreter pool of 3.14) are shown as what-ifs and never recommended.
//!
//! ```
//! use execsim::advise::{advise, SearchSpec};
//! use execsim::sim::calibration::Calibration;
//! use execsim::sim::scenario::Scenario;
//! let s = Scenario::from_toml(
//!     "duration = \"3s\"\n[[requests]]\nname = \"score\"\nsteps = [{ python = \"2ms\" }]\n\
//!      [[clients]]\nname = \"web\"\nrequest = \"score\"\ncount = 4\nin_process = false\n",
//! ).unwrap();
//! let a = advise(&s, &Calibration::default_embedded(), &SearchSpec { cores: 2, p99_ms: None });
//! // Pure-Python work on two cores: processes beat threads.
//! assert_eq!(a.best().candidate.executor.name(), "process");
//! ```

pub mod option;
pub mod search;

pub use option::{Assessed, Candidate, Waits};
pub use search::SearchSpec;

use crate::sim::calibration::Calibration;
use crate::sim::scenario::Scenario;
use serde::Serialize;

/// The advice: every option assessed, ranked best first, and which is recommended.
#[derive(Clone, Debug, Serialize)]
pub struct Advice {
    /// The scenario's label.
    pub scenario: String,
    /// Cores advised for.
    pub cores: usize,
    /// The p99 bound, ms.
    pub p99_bound_ms: Option<f64>,
    /// The options, ranked (what-ifs included).
    pub options: Vec<Assessed>,
    /// Index of the recommended option in `options`.
    pub best: usize,
    /// Index of CPython's default `ThreadPoolExecutor()` (5 ms switch interval).
    pub default_thread_pool: usize,
}

impl Advice {
    /// The recommended option.
    pub fn best(&self) -> &Assessed {
        &self.options[self.best]
    }

    /// The default `ThreadPoolExecutor()`'s.
    pub fn default_choice(&self) -> &Assessed {
        &self.options[self.default_thread_pool]
    }

    /// True if the recommended option meets the bound (always without one).
    pub fn bound_met(&self) -> bool {
        self.best().meets_p99
    }
}

/// Searches the configurations for `scenario`'s workload (see [`search`]).
pub fn advise(scenario: &Scenario, cal: &Calibration, spec: &SearchSpec) -> Advice {
    let first = search::first_round(scenario, spec.cores);
    let mut options = search::evaluate(scenario, cal, spec, &first);
    let second = search::second_round(&options, spec.cores);
    options.extend(search::evaluate(scenario, cal, spec, &second));
    search::rank(&mut options, spec.cores);
    let real = |a: &Assessed| a.candidate.what_if.is_none();
    // The best real option meeting the bound: among those within 2% of the highest rate
    // (simulation noise, not a difference to act on), the lowest p99, then the fewest workers.
    // Failing the bound everywhere, the real option with the lowest p99.
    let top = options
        .iter()
        .filter(|a| real(a) && a.meets_p99)
        .map(|a| a.rate)
        .fold(f64::NEG_INFINITY, f64::max);
    let best = options
        .iter()
        .enumerate()
        .filter(|(_, a)| real(a) && a.meets_p99 && a.rate >= 0.98 * top)
        .min_by(|x, y| {
            x.1.p99_ms
                .total_cmp(&y.1.p99_ms)
                .then(
                    x.1.candidate
                        .pool_size(spec.cores)
                        .cmp(&y.1.candidate.pool_size(spec.cores)),
                )
                .then(x.0.cmp(&y.0))
        })
        .map(|(i, _)| i)
        .unwrap_or_else(|| {
            options
                .iter()
                .enumerate()
                .filter(|(_, a)| real(a))
                .min_by(|x, y| x.1.p99_ms.total_cmp(&y.1.p99_ms))
                .map_or(0, |(i, _)| i)
        });
    let default_thread_pool = options
        .iter()
        .position(|a| {
            a.candidate.executor == crate::service::ExecutorKind::Thread
                && a.candidate.workers.is_none()
                && a.candidate.switch_interval == crate::kernel::SimDuration::from_millis(5)
                && real(a)
        })
        .unwrap_or(best);
    Advice {
        scenario: scenario.label().to_string(),
        cores: spec.cores,
        p99_bound_ms: spec.p99_ms,
        options,
        best,
        default_thread_pool,
    }
}
