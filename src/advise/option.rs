//! One configuration the advice weighs ([`Candidate`]) and what its simulation gave
//! ([`Assessed`]): throughput, latency over every client, CPU use, and where the requests'
//! time went.

use crate::interp::GilKind;
use crate::kernel::SimDuration;
use crate::service::ExecutorKind;
use crate::sim::results::{ClientResult, LatencyUs, RunResult};
use crate::sim::scenario::Scenario;
use serde::Serialize;

/// An executor, pool size, switch interval and interpreter build to try.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Candidate {
    /// The executor.
    pub executor: ExecutorKind,
    /// `max_workers` (None: CPython's default; no pool for inline).
    pub workers: Option<usize>,
    /// `sys.setswitchinterval`.
    #[serde(serialize_with = "as_ms")]
    pub switch_interval: SimDuration,
    /// CPython's GIL or the free-threaded build.
    pub gil: GilKind,
    /// Set for an option this interpreter does not offer (`"3.13t"`, `"3.14"`).
    pub what_if: Option<&'static str>,
}

fn as_ms<S: serde::Serializer>(d: &SimDuration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(d.as_secs_f64() * 1e3)
}

impl Candidate {
    /// `base` with this configuration.
    pub fn apply(&self, base: &Scenario) -> Scenario {
        let mut s = base.clone();
        s.server.executor = self.executor;
        s.server.workers = self.workers;
        s.python.switch_interval = self.switch_interval;
        s.python.set_gil(self.gil);
        s
    }

    /// The pool size in effect on `cores` (0 for inline).
    pub fn pool_size(&self, cores: usize) -> usize {
        match self.executor {
            ExecutorKind::Inline => 0,
            e => self.workers.unwrap_or_else(|| e.default_pool_size(cores)),
        }
    }

    /// A short label: `thread x6, 5ms`, `process x2`, `inline`, with `(3.13t)` for a what-if.
    pub fn label(&self, cores: usize) -> String {
        let mut s = match self.executor {
            ExecutorKind::Inline => "inline (asyncio)".to_string(),
            e => format!("{} x{}", e.name(), self.pool_size(cores)),
        };
        if self.executor == ExecutorKind::Thread && self.gil == GilKind::Cpython {
            s.push_str(&format!(", {}", self.switch_interval));
        }
        if self.workers.is_none() && self.executor != ExecutorKind::Inline {
            s.push_str(" (default size)");
        }
        if let Some(w) = self.what_if {
            s.push_str(&format!(" [what-if: {w}]"));
        }
        s
    }
}

/// Where the requests' time went, in seconds of waiting per second of run (summed over the
/// server's threads or requests), by cause.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct Waits {
    /// Threads waiting to take a GIL (`take_gil`).
    pub gil: f64,
    /// Threads runnable, waiting for a core.
    pub cpu: f64,
    /// Requests waiting for a free pool worker (Little's law: requests in the system, less
    /// the pool's workers, when it is full).
    pub pool: f64,
    /// Pickling and piping payloads and replies (process and interpreter pools).
    pub pickling: f64,
}

impl Waits {
    /// The largest cause, or "none" when nothing waits more than 5% of a second per second.
    pub fn dominant(&self) -> &'static str {
        let all = [
            ("GIL", self.gil),
            ("CPU", self.cpu),
            ("pool slots", self.pool),
            ("pickling", self.pickling),
        ];
        let (name, v) = all
            .iter()
            .copied()
            .fold(("none", 0.0), |a, b| if b.1 > a.1 { b } else { a });
        if v < 0.05 {
            "none"
        } else {
            name
        }
    }
}

/// A candidate and its simulated figures.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Assessed {
    /// The configuration.
    pub candidate: Candidate,
    /// Its label.
    pub label: String,
    /// Completed requests per second, all clients, after the warm-up.
    pub rate: f64,
    /// Median latency over every completed request, ms.
    pub p50_ms: f64,
    /// 99th percentile, ms.
    pub p99_ms: f64,
    /// The percentiles over every completed request (µs), for the figures.
    pub latency_us: LatencyUs,
    /// Requests completed over the run.
    pub completed: u64,
    /// Cores busy on average.
    pub cpu_cores: f64,
    /// Where time went.
    pub waits: Waits,
    /// [`Waits::dominant`].
    pub dominant: &'static str,
    /// Whether it meets the p99 bound (true without one).
    pub meets_p99: bool,
    /// The simulation's trace hash (its seed is the scenario's).
    pub trace_hash: String,
}

/// The first whole second after which every client has run a second: the warm-up skipped
/// by the rate.
pub fn warm_from(r: &RunResult) -> usize {
    let last = r.clients.iter().map(|c| c.start_s).fold(0.0, f64::max);
    let secs = r.seconds();
    ((last.ceil() as usize) + 1).min(secs.saturating_sub(1))
}

/// The latency (µs) below which a share `q` (0..1) of all clients' completed requests lie:
/// the quantile of the mixture of the clients' distributions, weighted by completions.
pub fn mixture_quantile(clients: &[ClientResult], q: f64) -> f64 {
    let with: Vec<&ClientResult> = clients
        .iter()
        .filter(|c| c.completed > 0 && !c.latency_distribution.is_empty())
        .collect();
    let total: f64 = with.iter().map(|c| c.completed as f64).sum();
    if total == 0.0 {
        return 0.0;
    }
    // The share of client c's requests at or below v, from its (percentile, value) pairs.
    let cdf = |c: &ClientResult, v: f64| -> f64 {
        let d = &c.latency_distribution;
        let mut below = 0.0;
        for &(p, x) in d {
            if (x as f64) <= v {
                below = p / 100.0;
            } else {
                break;
            }
        }
        below
    };
    let mix = |v: f64| {
        with.iter()
            .map(|c| c.completed as f64 * cdf(c, v))
            .sum::<f64>()
            / total
    };
    let mut values: Vec<f64> = with
        .iter()
        .flat_map(|c| c.latency_distribution.iter().map(|&(_, x)| x as f64))
        .collect();
    values.sort_by(f64::total_cmp);
    values.dedup();
    values
        .iter()
        .copied()
        .find(|&v| mix(v) >= q)
        .unwrap_or_else(|| values.last().copied().unwrap_or(0.0))
}

/// The mean latency over every completed request, µs (from the distributions' steps).
fn mixture_mean(clients: &[ClientResult]) -> f64 {
    let mut sum = 0.0;
    let mut n = 0.0;
    for c in clients.iter().filter(|c| c.completed > 0) {
        let mut prev = 0.0;
        let mut mean = 0.0;
        for &(p, x) in &c.latency_distribution {
            mean += (p / 100.0 - prev) * x as f64;
            prev = p / 100.0;
        }
        sum += mean * c.completed as f64;
        n += c.completed as f64;
    }
    if n > 0.0 {
        sum / n
    } else {
        0.0
    }
}

/// Assesses candidate `c` from its run `r` of scenario `s` on `cores` cores; `p99_bound_ms`
/// is the user's bound, if any; `bytes_ns` the cost per byte moved through a process pool
/// (pickle + pipe write + pipe read + unpickle) and `per_request_bytes` each request's
/// payload plus reply, averaged over what the clients send.
pub fn assess(
    c: &Candidate,
    s: &Scenario,
    r: &RunResult,
    p99_bound_ms: Option<f64>,
    bytes_ns: f64,
    per_request_bytes: f64,
) -> Assessed {
    let cores = s.machine.cores;
    let from = warm_from(r);
    let to = r.seconds();
    let rate: f64 = r.clients.iter().map(|x| x.rate(from, to)).sum();
    let q = |x: f64| mixture_quantile(&r.clients, x);
    let latency_us = LatencyUs {
        p50: q(0.5) as u64,
        p90: q(0.9) as u64,
        p99: q(0.99) as u64,
        p999: q(0.999) as u64,
        max: q(1.0) as u64,
        mean: mixture_mean(&r.clients),
    };
    let p50_ms = latency_us.p50 as f64 / 1e3;
    let p99_ms = latency_us.p99 as f64 / 1e3;
    let secs = r.duration_s.max(1e-9);
    let server = |name: &str| !name.starts_with("client:");
    let gil: f64 = r
        .gil
        .iter()
        .flat_map(|g| g.wait_s.iter())
        .filter(|h| server(&h.thread))
        .map(|h| h.seconds)
        .fold(0.0, |a, b| a + b) // not `sum`, whose empty sum is -0.0
        / secs;
    let cpu: f64 = r
        .threads
        .iter()
        .filter(|t| server(&t.name))
        .map(|t| t.queued_s)
        .fold(0.0, |a, b| a + b)
        / secs;
    let in_system = rate * latency_us.mean / 1e6;
    let pool = match c.executor {
        ExecutorKind::Inline => 0.0,
        _ => (in_system - c.pool_size(cores) as f64).max(0.0),
    };
    let pickling = match c.executor {
        ExecutorKind::Process | ExecutorKind::Interpreter => {
            rate * per_request_bytes * bytes_ns / 1e9
        }
        _ => 0.0,
    };
    let waits = Waits {
        gil,
        cpu,
        pool,
        pickling,
    };
    Assessed {
        candidate: c.clone(),
        label: c.label(cores),
        rate,
        p50_ms,
        p99_ms,
        latency_us,
        completed: r.clients.iter().map(|x| x.completed).sum(),
        cpu_cores: r.core_utilisation.iter().sum(),
        waits,
        dominant: waits.dominant(),
        meets_p99: p99_bound_ms.is_none_or(|b| p99_ms <= b),
        trace_hash: r.trace_hash.clone(),
    }
}
