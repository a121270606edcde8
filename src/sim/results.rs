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
    /// Its request argument (or the first of its mix; 0 for a request type).
    pub n: u64,
    /// Its request type (or the first of its mix), if it sends one of `[[requests]]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request: Option<String>,
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
    /// Time runnable in a run queue, waiting for a core, in seconds (Linux's `run_delay`,
    /// from `/proc/PID/task/TID/schedstat` live; 0 where not measured).
    #[serde(default)]
    pub queued_s: f64,
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
    /// Timed waits for the GIL that ran out (each may or may not have set a drop request).
    #[serde(default)]
    pub timeouts: u64,
    /// Seconds each of the interpreter's threads held this GIL, by thread name.
    #[serde(default)]
    pub hold_s: Vec<ThreadHold>,
    /// Seconds each of the interpreter's threads waited to take this GIL (`take_gil`'s waits,
    /// from the first timed wait of an acquisition to the acquisition), by thread name.
    #[serde(default)]
    pub wait_s: Vec<ThreadHold>,
}

impl GilResult {
    /// The seconds thread `name` held this GIL (0 if it is not listed).
    pub fn hold_of(&self, name: &str) -> f64 {
        seconds_of(&self.hold_s, name)
    }

    /// The seconds thread `name` waited for this GIL (0 if it is not listed).
    pub fn wait_of(&self, name: &str) -> f64 {
        seconds_of(&self.wait_s, name)
    }
}

fn seconds_of(list: &[ThreadHold], name: &str) -> f64 {
    list.iter()
        .find(|h| h.thread == name)
        .map_or(0.0, |h| h.seconds)
}

/// How long one thread held (in `hold_s`) or waited for (in `wait_s`) its interpreter's GIL.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ThreadHold {
    /// Thread name.
    pub thread: String,
    /// Seconds holding (or waiting for) the GIL.
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
    /// The GIL over the run's last phase (from the last client's start to the end), with the
    /// drop requests per completed request of each client. Simulation always has it; a live
    /// run has it when its GIL was traced (`live --gil-trace`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gil_last_phase: Option<GilPhase>,
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

/// The GIL over a run's last phase: from the last client's start (rounded up to a whole second,
/// so that the per-second counts cover the phase exactly) to the end of the run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GilPhase {
    /// Start of the phase, seconds (a whole second).
    pub from_s: f64,
    /// End of the phase (the run's end), seconds.
    pub to_s: f64,
    /// Per interpreter, the counters and per-thread times within the phase.
    pub gil: Vec<GilResult>,
    /// Per client, its completed requests in the phase and the GIL events per request.
    pub clients: Vec<ClientGilRate>,
}

/// One client's requests in a phase, against the server's GIL events in it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClientGilRate {
    /// The client.
    pub client: String,
    /// Requests it completed in the phase (its per-second counts from `from_s` on).
    pub completed: u64,
    /// Drop requests on the server's GIL (interpreter 0) per completed request: the switch
    /// intervals a request waits out (None when it completed nothing).
    pub drop_requests_per_request: Option<f64>,
    /// Timed-out GIL waits on the server's GIL per completed request (None when it completed
    /// nothing).
    pub timeouts_per_request: Option<f64>,
}

impl GilPhase {
    /// The phase `[from_s, to_s)` with the GIL figures `gil` measured in it; each client's
    /// completions are its per-second counts from whole second `from_s` on.
    pub fn new(from_s: u64, to_s: f64, gil: Vec<GilResult>, clients: &[ClientResult]) -> GilPhase {
        let server = gil.iter().find(|g| g.interp == 0);
        let (drops, timeouts) = server.map_or((0, 0), |g| (g.drop_requests, g.timeouts));
        let per =
            |events: u64, completed: u64| (completed > 0).then(|| events as f64 / completed as f64);
        let clients = clients
            .iter()
            .map(|c| {
                let from = (from_s as usize).min(c.per_second.len());
                let completed: u64 = c.per_second[from..].iter().sum();
                ClientGilRate {
                    client: c.name.clone(),
                    completed,
                    drop_requests_per_request: per(drops, completed),
                    timeouts_per_request: per(timeouts, completed),
                }
            })
            .collect();
        GilPhase {
            from_s: from_s as f64,
            to_s,
            gil,
            clients,
        }
    }

    /// The whole second at which the last phase of a run starts: the latest client start,
    /// rounded up (0 when every client starts at 0), and at most the run's last whole second.
    pub fn start_second(client_starts_s: impl IntoIterator<Item = f64>, duration_s: f64) -> u64 {
        let last = client_starts_s.into_iter().fold(0.0, f64::max);
        let cap = duration_s.ceil().max(1.0) - 1.0;
        last.ceil().min(cap).max(0.0) as u64
    }

    /// The figures of client `name`, if it is listed.
    pub fn client(&self, name: &str) -> Option<&ClientGilRate> {
        self.clients.iter().find(|c| c.client == name)
    }
}
