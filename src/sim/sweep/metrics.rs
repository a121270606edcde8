//! What a sweep row reports of a run: per-phase rates and latency percentiles.

use crate::sim::results::RunResult;

/// The metrics of one run that a sweep row reports.
#[derive(Clone, Debug, PartialEq)]
pub struct Metrics {
    /// Column names, in order.
    pub names: Vec<String>,
    /// Values, in the same order.
    pub values: Vec<f64>,
}

/// Per-phase rates and latency percentiles of each client. Phases start at each distinct
/// client start time (whole seconds) and end at the next or at the end of the run; the first
/// second of a phase is left out when the phase is longer than one second (start-up
/// transient), as in the lesson's "before" and "during".
pub fn metrics(r: &RunResult) -> Metrics {
    let secs = r.seconds();
    let mut starts: Vec<usize> = r
        .clients
        .iter()
        .map(|c| c.start_s.ceil() as usize)
        .collect();
    starts.push(0);
    starts.sort_unstable();
    starts.dedup();
    starts.retain(|&s| s < secs);
    let mut names = Vec::new();
    let mut values = Vec::new();
    for c in &r.clients {
        for (k, &from) in starts.iter().enumerate() {
            let to = starts.get(k + 1).copied().unwrap_or(secs);
            let from_eff = if to - from > 1 { from + 1 } else { from };
            names.push(format!("{}.rate@{}s", c.name, from));
            values.push(c.rate(from_eff, to));
        }
        names.push(format!("{}.completed", c.name));
        values.push(c.completed as f64);
        for (label, v) in [
            ("p50_us", c.latency_us.p50),
            ("p90_us", c.latency_us.p90),
            ("p99_us", c.latency_us.p99),
            ("p999_us", c.latency_us.p999),
        ] {
            names.push(format!("{}.{label}", c.name));
            values.push(v as f64);
        }
    }
    Metrics { names, values }
}

/// Two-sided 95% Student t quantile for `df` degrees of freedom.
pub fn t95(df: usize) -> f64 {
    const T: [f64; 30] = [
        12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160,
        2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056,
        2.052, 2.048, 2.045, 2.042,
    ];
    match df {
        0 => f64::NAN,
        1..=30 => T[df - 1],
        31..=60 => 2.00,
        61..=120 => 1.98,
        _ => 1.96,
    }
}
