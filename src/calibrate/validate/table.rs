//! The validation table as text (one line per row, then a summary line) and as CSV.

use super::misses::KnownMisses;
use super::regime::Regime;
use super::results::ValidationResults;
use super::rows::{Metric, Row, LATENCY_TOLERANCE, RATE_TOLERANCE};
use crate::live::stats::median;
use std::fmt::Write as _;

/// How the rows stand: the summary line's figures.
#[derive(Clone, Debug, PartialEq)]
pub struct Summary {
    /// Rate rows within 15%.
    pub rates_within: usize,
    /// Rate rows.
    pub rates: usize,
    /// Latency rows within 20%.
    pub latency_within: usize,
    /// Latency rows.
    pub latency: usize,
    /// Median |relative error| over all rows with an error.
    pub median_abs_error: f64,
    /// The row with the largest |relative error| (key, error).
    pub worst: Option<(String, f64)>,
}

/// The summary of `rows`.
pub fn summary<'a>(rows: impl IntoIterator<Item = &'a Row>) -> Summary {
    let rows: Vec<&Row> = rows.into_iter().collect();
    let count = |rate: bool, within: bool| {
        rows.iter()
            .filter(|r| (r.metric == Metric::Rate) == rate && (!within || r.within()))
            .count()
    };
    let errs: Vec<(String, f64)> = rows
        .iter()
        .filter_map(|r| r.rel_error.map(|e| (r.key(), e)))
        .collect();
    let abs: Vec<f64> = errs.iter().map(|e| e.1.abs()).collect();
    Summary {
        rates_within: count(true, true),
        rates: count(true, false),
        latency_within: count(false, true),
        latency: count(false, false),
        median_abs_error: median(&abs),
        worst: errs
            .into_iter()
            .max_by(|a, b| a.1.abs().total_cmp(&b.1.abs())),
    }
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "rows within {:.0}%: {} of {}; median |error| {:.1}%; worst {}; latency percentiles within {:.0}%: {} of {}",
            RATE_TOLERANCE * 100.0,
            self.rates_within,
            self.rates,
            self.median_abs_error * 100.0,
            match &self.worst {
                Some((k, e)) => format!("{:+.0}% ({k})", e * 100.0),
                None => "none".into(),
            },
            LATENCY_TOLERANCE * 100.0,
            self.latency_within,
            self.latency
        )
    }
}

/// `together 2, spread 1` (a `*` after the simulation's regime).
fn regimes_cell(r: &Row) -> String {
    r.regimes
        .iter()
        .map(|c| {
            let star = if c.regime == r.sim_regime { "*" } else { "" };
            format!("{}{star} {}", c.regime, c.reps)
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn err_cell(r: &Row, misses: &KnownMisses) -> String {
    let mark = match (r.within(), misses.listed(r).is_some()) {
        (true, _) => "",
        (false, true) => " ~",
        (false, false) => " !",
    };
    match r.rel_error {
        Some(_) if r.sim == 0.0 && r.live_ref == 0.0 => "exact".into(),
        Some(e) => format!("{:+.1}%{mark}", e * 100.0),
        None => format!("n/a{mark}"),
    }
}

fn num(x: f64) -> String {
    if x.abs() >= 100.0 {
        format!("{x:.0}")
    } else {
        format!("{x:.1}")
    }
}

/// The table: one line per row, then the summary. `~` marks a known miss, `!` a miss not in
/// `validation/known-misses.toml`.
pub fn table(results: &ValidationResults, misses: &KnownMisses) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<26} {:<8} {:<14} {:>8} {:>8} {:>17} {:>9}  {:<9} live regimes (* = sim's)",
        "scenario", "client", "phase", "sim", "live", "live min..max", "error", "sim reg."
    );
    for s in &results.scenarios {
        for r in &s.rows {
            let phase = match r.metric {
                Metric::Rate => r.phase.clone(),
                m => format!("{} us", m.label()),
            };
            let _ = writeln!(
                out,
                "{:<26} {:<8} {:<14} {:>8} {:>8} {:>17} {:>9}  {:<9} {}",
                clip(&r.scenario, 26),
                clip(&r.client, 8),
                clip(&phase, 14),
                num(r.sim),
                num(r.live_ref),
                format!("{}..{}", num(r.live_min), num(r.live_max)),
                err_cell(r, misses),
                r.sim_regime,
                regimes_cell(r)
            );
        }
    }
    let _ = writeln!(out, "{}", summary(results.rows()));
    out
}

fn clip(s: &str, n: usize) -> &str {
    match s.char_indices().nth(n) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

/// The rows as CSV (one line per row, a header first).
pub fn csv(results: &ValidationResults, misses: &KnownMisses) -> anyhow::Result<String> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "scenario",
        "client",
        "phase",
        "metric",
        "from_s",
        "to_s",
        "sim",
        "live_ref",
        "live_median",
        "live_min",
        "live_max",
        "rel_error",
        "tolerance",
        "within",
        "known_miss",
        "sim_regime",
        "live_regimes",
        "reps",
        "speed_used",
    ])?;
    for s in &results.scenarios {
        for r in &s.rows {
            let reg: Vec<String> = r
                .regimes
                .iter()
                .map(|c| format!("{}:{}:{}", c.regime, c.reps, c.median))
                .collect();
            w.write_record([
                r.scenario.clone(),
                r.client.clone(),
                r.phase.clone(),
                r.metric.label().to_string(),
                r.seconds.0.to_string(),
                r.seconds.1.to_string(),
                r.sim.to_string(),
                r.live_ref.to_string(),
                r.live_median.to_string(),
                r.live_min.to_string(),
                r.live_max.to_string(),
                r.rel_error.map(|e| e.to_string()).unwrap_or_default(),
                r.tolerance.to_string(),
                r.within().to_string(),
                misses.listed(r).is_some().to_string(),
                r.sim_regime.to_string(),
                reg.join(";"),
                s.live.len().to_string(),
                s.speed_used.map(|x| x.to_string()).unwrap_or_default(),
            ])?;
        }
    }
    Ok(String::from_utf8(w.into_inner()?)?)
}

/// How many live repetitions fell in each regime over all rows (for the report's header).
pub fn regime_tally(results: &ValidationResults) -> Vec<(Regime, usize)> {
    let mut t: Vec<(Regime, usize)> = Vec::new();
    for r in results.rows() {
        for c in &r.regimes {
            match t.iter_mut().find(|x| x.0 == c.regime) {
                Some(x) => x.1 += c.reps,
                None => t.push((c.regime, c.reps)),
            }
        }
    }
    t.sort();
    t
}
