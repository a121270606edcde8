//! What a live run's child processes print: one JSON object per line on stdout. Both
//! backends (the CPython reference service and the Rust backend) speak it.
//!
//! - `{"event":"ready","port":P,"t0_ns":T,"pid":...}`: the service listens on 127.0.0.1:P;
//!   the run's time 0 is `CLOCK_MONOTONIC` T (the clients process sends `ready` without a
//!   port).
//! - `{"event":"second","t":k,"counts":{"simple":123,...}}`: replies read in second k.
//! - `{"event":"summary","role":...,"clients":[...],"threads":[...],"processes":[...]}`: the
//!   end of the run; the process then waits to be killed.
//! - `{"event":"error","message":...}` / `{"event":"warning","message":...}`.

use crate::sim::results::{ClientResult, LatencyUs};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One line from a child.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "kebab-case")]
pub enum Message {
    /// Listening (service) or started (clients process).
    Ready {
        /// The server's port (service only).
        #[serde(default)]
        port: Option<u16>,
        /// Time 0 of the run, `CLOCK_MONOTONIC` nanoseconds (service only).
        #[serde(default)]
        t0_ns: Option<u64>,
        /// The process id.
        pid: u32,
        /// What runs the service (the Python version, or the Rust build).
        #[serde(default)]
        python: Option<String>,
        /// The switch interval in effect (CPython).
        #[serde(default)]
        switch_interval_s: Option<f64>,
    },
    /// A whole second of the run is over.
    Second {
        /// Its index.
        t: u32,
        /// Replies read in it, per client.
        counts: BTreeMap<String, u64>,
    },
    /// The run is over.
    Summary(Summary),
    /// Something went wrong; the run is void.
    Error {
        /// What.
        message: String,
    },
    /// Something the user should know.
    Warning {
        /// What.
        message: String,
    },
}

/// The end of a run, from one process.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// "service" or "clients".
    pub role: String,
    /// Its clients.
    pub clients: Vec<ClientSummary>,
    /// Threads of interest (name, process id, thread id).
    #[serde(default)]
    pub threads: Vec<ThreadId>,
    /// Worker processes (name, process id).
    #[serde(default)]
    pub processes: Vec<ProcessId>,
    /// Counters of the Rust backend's emulated GIL, when it has one.
    #[serde(default)]
    pub gil: Option<GilCounters>,
    /// The CPython service's cold-start probe before the run
    /// ([`crate::live::cold_start`]).
    #[serde(default)]
    pub cold_probe: Option<crate::live::cold_start::ColdProbe>,
    /// The CPython service's unit costs of request-type steps, measured before the run
    /// (`src/workload/steps.py`: ns per loop iteration, per hashed byte, per scanned byte).
    #[serde(default)]
    pub step_units_ns: Option<std::collections::BTreeMap<String, f64>>,
}

/// Counters of an emulated GIL.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GilCounters {
    /// Acquisitions by another thread than the last holder.
    pub handoffs: u64,
    /// Drop requests set by waiters.
    pub drop_requests: u64,
    /// All acquisitions.
    pub acquisitions: u64,
}

/// One client's counts.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClientSummary {
    /// Its name.
    pub name: String,
    /// Its argument.
    pub n: u64,
    /// When it started, seconds.
    pub start_s: f64,
    /// Requests sent.
    pub issued: u64,
    /// Replies read within the run.
    pub completed: u64,
    /// Replies that were not the right prime.
    #[serde(default)]
    pub wrong: u64,
    /// Replies read in each whole second.
    pub per_second: Vec<u64>,
    /// Latency of each completed request (send to reply read), microseconds.
    pub latencies_us: Vec<u64>,
}

/// A thread to report.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ThreadId {
    /// Its role name (`event-loop`, `worker-0`, `client:simple`).
    pub name: String,
    /// Process id.
    pub pid: u32,
    /// Thread id (Linux TID).
    pub tid: u32,
}

/// A process to report.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProcessId {
    /// Its name.
    pub name: String,
    /// Process id.
    pub pid: u32,
}

/// Parses one line; None for a line that is not a message (stray output is ignored).
pub fn parse_line(line: &str) -> Option<Result<Message, String>> {
    let line = line.trim();
    if !line.starts_with('{') {
        return None;
    }
    Some(serde_json::from_str(line).map_err(|e| {
        let shown: String = line.chars().take(200).collect();
        format!("unreadable message from a live child ({e}): {shown}")
    }))
}

/// Latency percentiles of a list of microsecond latencies (as simulation reports them).
pub fn latency_percentiles(latencies_us: &[u64]) -> LatencyUs {
    latency_histogram(latencies_us).0
}

/// Percentiles and HdrHistogram's percentile distribution (as in simulation's results:
/// `(percentile, value)` pairs, 5 ticks per half distance) of microsecond latencies.
pub fn latency_histogram(latencies_us: &[u64]) -> (LatencyUs, Vec<(f64, u64)>) {
    let Ok(mut h) = hdrhistogram::Histogram::<u64>::new_with_bounds(1, 3_600_000_000, 3) else {
        return (LatencyUs::default(), Vec::new());
    };
    for &l in latencies_us {
        h.saturating_record(l.max(1));
    }
    (
        LatencyUs::from_histogram(&h),
        crate::sim::results::latency_distribution(&h),
    )
}

impl ClientSummary {
    /// As a [`ClientResult`]; `seconds` is the run's length in whole seconds (rounded up).
    pub fn to_result(&self, seconds: usize) -> ClientResult {
        let mut per_second = self.per_second.clone();
        per_second.resize(seconds, 0);
        let (latency_us, latency_distribution) = latency_histogram(&self.latencies_us);
        ClientResult {
            name: self.name.clone(),
            n: self.n,
            request: None,
            start_s: self.start_s,
            issued: self.issued,
            completed: self.completed,
            in_flight: self.issued.saturating_sub(self.completed),
            per_second,
            latency_us,
            latency_distribution,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_messages() {
        let m = parse_line(r#"{"event":"second","t":3,"counts":{"simple":5}}"#)
            .unwrap()
            .unwrap();
        assert_eq!(
            m,
            Message::Second {
                t: 3,
                counts: [("simple".to_string(), 5)].into_iter().collect()
            }
        );
        assert!(parse_line("Traceback (most recent call last):").is_none());
        assert!(parse_line("{bad json").unwrap().is_err());
    }

    #[test]
    fn percentiles() {
        let l: Vec<u64> = (1..=1000).collect();
        let p = latency_percentiles(&l);
        assert!((499..=501).contains(&p.p50), "{p:?}");
        assert_eq!(p.max, 1000);
        assert_eq!(latency_percentiles(&[]), LatencyUs::default());
    }
}
