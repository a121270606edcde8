//! Results of a run, in one shape for simulated and live runs, so that reports, plots and
//! comparisons read them alike.

use serde::{Deserialize, Serialize};

/// Latency percentiles of one client, in microseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LatencyUs {
    /// Median.
    pub p50: u64,
    /// 90th percentile.
    pub p90: u64,
    /// 99th percentile.
    pub p99: u64,
    /// 99.9th percentile.
    pub p999: u64,
    /// Largest.
    pub max: u64,
    /// Mean.
    pub mean: f64,
}

impl LatencyUs {
    /// The percentiles of a histogram of microsecond latencies (all zero if it is empty).
    pub fn from_histogram(h: &hdrhistogram::Histogram<u64>) -> LatencyUs {
        if h.is_empty() {
            return LatencyUs::default();
        }
        LatencyUs {
            p50: h.value_at_quantile(0.5),
            p90: h.value_at_quantile(0.9),
            p99: h.value_at_quantile(0.99),
            p999: h.value_at_quantile(0.999),
            max: h.max(),
            mean: h.mean(),
        }
    }
}

/// HdrHistogram's percentile distribution of a histogram: `(percentile, value)` pairs, five
/// steps per halving of the remaining distance to 100%.
pub fn latency_distribution(h: &hdrhistogram::Histogram<u64>) -> Vec<(f64, u64)> {
    if h.is_empty() {
        return Vec::new();
    }
    h.iter_quantiles(5)
        .map(|v| (v.quantile_iterated_to() * 100.0, v.value_iterated_to()))
        .collect()
}

/// One client's outcome.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClientResult {
    /// The client's name.
    pub name: String,
    /// Its request argument (or the first of its mix).
    pub n: u64,
    /// When it started, in seconds.
    pub start_s: f64,
    /// Requests sent.
    pub issued: u64,
    /// Replies read.
    pub completed: u64,
    /// Requests sent and not yet answered at the end.
    pub in_flight: u64,
    /// Replies read in each whole second of the run: `per_second[k]` counts [k s, k+1 s).
    pub per_second: Vec<u64>,
    /// Latency percentiles of the completed requests.
    pub latency_us: LatencyUs,
    /// The latency distribution of the completed requests, as HdrHistogram's percentile
    /// output: `(percentile, value_us)` pairs with the percentile in 0..=100, rising, ending at
    /// 100 (the largest value). Empty when nothing completed or the source has no histogram.
    #[serde(default)]
    pub latency_distribution: Vec<(f64, u64)>,
}

impl ClientResult {
    /// Mean completions per second over whole seconds `from..to` (clamped to the run).
    pub fn rate(&self, from: usize, to: usize) -> f64 {
        let to = to.min(self.per_second.len());
        if from >= to {
            return 0.0;
        }
        self.per_second[from..to].iter().sum::<u64>() as f64 / (to - from) as f64
    }
}

/// One thread's report.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ThreadResult {
    /// Name (`event-loop`, `worker-0`, `client:simple`...).
    pub name: String,
    /// Interpreter (process or sub-interpreter) index.
    pub interp: u16,
    /// CPU time consumed, in seconds.
    pub cpu_s: f64,
    /// Time holding its GIL, in seconds.
    pub gil_hold_s: f64,
    /// The core it last ran on.
    pub last_core: Option<u16>,
}

/// One interpreter's GIL counters.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GilResult {
    /// Interpreter index (0: the server's).
    pub interp: u16,
    /// Whether it has a GIL at all.
    pub has_gil: bool,
    /// Hand-offs between different threads.
    pub handoffs: u64,
    /// Drop requests set by waiters.
    pub drop_requests: u64,
    /// Acquisitions, including re-takes.
    pub acquisitions: u64,
    /// Seconds each of the interpreter's threads held this GIL, by thread name.
    #[serde(default)]
    pub hold_s: Vec<ThreadHold>,
}

/// How long one thread held its interpreter's GIL.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ThreadHold {
    /// Thread name.
    pub thread: String,
    /// Seconds holding the GIL.
    pub seconds: f64,
}

/// The outcome of one run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunResult {
    /// The scenario's label.
    pub scenario: String,
    /// "sim", or "live-cpython" / "live-rust".
    pub source: String,
    /// Master seed.
    pub seed: u64,
    /// Run length in seconds.
    pub duration_s: f64,
    /// Fingerprint of the processed event trace (simulation only).
    pub trace_hash: String,
    /// Events processed (simulation only).
    pub events: u64,
    /// Per client.
    pub clients: Vec<ClientResult>,
    /// Per thread.
    pub threads: Vec<ThreadResult>,
    /// Per interpreter.
    pub gil: Vec<GilResult>,
    /// Busy fraction of each core.
    pub core_utilisation: Vec<f64>,
}

impl RunResult {
    /// Number of whole seconds with per-second counts (the longest client's).
    pub fn seconds(&self) -> usize {
        self.clients
            .iter()
            .map(|c| c.per_second.len())
            .max()
            .unwrap_or(0)
    }

    /// The client with this name.
    pub fn client(&self, name: &str) -> Option<&ClientResult> {
        self.clients.iter().find(|c| c.name == name)
    }
}
