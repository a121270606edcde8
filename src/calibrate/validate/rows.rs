//! The rows of the validation table: per scenario, client group and phase, the simulated
//! rate against the live repetitions; for open-loop groups, the latency percentiles too.
//!
//! - A **client group** is one `[[clients]]` entry: with `count = k` its k connections are
//!   summed (rates) or averaged (each latency percentile: the mean of the connections'
//!   percentiles, computed the same way for simulation and live).
//! - **Phases** are [`crate::live::compare::phases`]: cut at the clients' start times, the
//!   first second of each left out.
//! - A group whose one request cannot finish within the run (the lesson's n = 100,000) has
//!   no rows: 0 against 0 says nothing.
//! - **Regimes** ([`super::regime`]): each live repetition's regime in the row's phase is
//!   counted, with the median of the repetitions in each regime. The error is taken against
//!   the median of the repetitions in the **regime the simulation shows** when any fell in
//!   it, otherwise against the median of all repetitions.

use super::regime::Regime;
use super::values::RunValues;
use crate::live::compare::{phases, Phase};
use crate::live::stats::{median, min_max};
use crate::sim::calibration::Calibration;
use crate::sim::scenario::{ClientMode, Scenario};
use crate::workload::cost::shared_op_count;
use serde::{Deserialize, Serialize};

/// Tolerance of a rate row: 15% of the live value.
pub const RATE_TOLERANCE: f64 = 0.15;

/// Tolerance of a latency row: 20% of the live value.
pub const LATENCY_TOLERANCE: f64 = 0.20;

/// What a row measures.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Metric {
    /// Completions per second.
    Rate,
    /// Median latency, µs.
    P50,
    /// 90th percentile latency, µs.
    P90,
    /// 99th percentile latency, µs.
    P99,
}

impl Metric {
    /// `req/s`, `p50`, ...
    pub fn label(self) -> &'static str {
        match self {
            Metric::Rate => "req/s",
            Metric::P50 => "p50",
            Metric::P90 => "p90",
            Metric::P99 => "p99",
        }
    }
}

/// The live repetitions of one regime in one row.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RegimeCount {
    /// The regime.
    pub regime: Regime,
    /// How many repetitions fell in it.
    pub reps: usize,
    /// Their median.
    pub median: f64,
}

/// One row of the table.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Row {
    /// The scenario's id.
    pub scenario: String,
    /// The client group.
    pub client: String,
    /// The phase's label.
    pub phase: String,
    /// What is measured.
    pub metric: Metric,
    /// Seconds [from, to) of the phase.
    pub seconds: (usize, usize),
    /// Simulated value.
    pub sim: f64,
    /// Live median over all repetitions.
    pub live_median: f64,
    /// Smallest live value.
    pub live_min: f64,
    /// Largest live value.
    pub live_max: f64,
    /// The regime the simulation shows in this phase.
    pub sim_regime: Regime,
    /// The live repetitions per regime.
    pub regimes: Vec<RegimeCount>,
    /// The live value the error is against (see the module doc).
    pub live_ref: f64,
    /// (sim − live_ref) / live_ref; 0 when both are 0; None when only live is 0.
    pub rel_error: Option<f64>,
    /// The tolerance of this row.
    pub tolerance: f64,
    /// The host speed `sim` was taken at when it is not the scenario's `speed_used`: the
    /// median of the repetitions in the simulation's regime, when only some fell in it
    /// (see [`super::measure::resimulate`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sim_speed: Option<f64>,
}

impl Row {
    /// `scenario/client/phase` (rates) or `scenario/client/p99` (latency): how
    /// `validation/known-misses.toml` names a row.
    pub fn key(&self) -> String {
        match self.metric {
            Metric::Rate => format!("{}/{}/{}", self.scenario, self.client, self.phase),
            m => format!("{}/{}/{}", self.scenario, self.client, m.label()),
        }
    }

    /// Within the tolerance.
    pub fn within(&self) -> bool {
        self.rel_error.is_some_and(|e| e.abs() <= self.tolerance)
    }

    /// How many repetitions fell in the simulation's regime.
    pub fn reps_in_sim_regime(&self) -> usize {
        self.regimes
            .iter()
            .find(|r| r.regime == self.sim_regime)
            .map_or(0, |r| r.reps)
    }
}

/// The connection names of group `g` (as live and simulation name them).
fn members(s: &Scenario, g: usize) -> Vec<String> {
    let c = &s.clients[g];
    if c.count == 1 {
        vec![c.name.clone()]
    } else {
        (0..c.count).map(|k| format!("{}-{k}", c.name)).collect()
    }
}

/// A group whose shortest request lasts longer than the run.
fn never_completes(s: &Scenario, g: usize, cal: &Calibration) -> bool {
    let c = &s.clients[g];
    let ns: Vec<u64> = match (&c.n, &c.mix) {
        (Some(n), _) => vec![*n],
        // A request type's duration is not the prime core's: it may complete.
        (None, Some(m)) if m.iter().any(|e| e.n.is_none()) => return false,
        (None, Some(m)) => m.iter().filter_map(|e| e.n).collect(),
        (None, None) => return false,
    };
    let core = cal.core(s.python.runtime);
    ns.iter().all(|&n| {
        shared_op_count(n).is_ok_and(|ops| core.nanos(&ops) > s.duration.as_nanos() as f64)
    })
}

/// A group's value in one run: the summed rate over `p`, or the mean percentile.
fn value(v: &RunValues, names: &[String], metric: Metric, p: &Phase) -> f64 {
    match metric {
        Metric::Rate => names
            .iter()
            .filter_map(|n| v.per_second.get(n))
            .map(|ps| {
                let secs = p.to_s.saturating_sub(p.from_s).max(1) as f64;
                let end = p.to_s.min(ps.len());
                ps.get(p.from_s..end).map_or(0, |s| s.iter().sum::<u64>()) as f64 / secs
            })
            .sum(),
        _ => {
            let vals: Vec<f64> = names
                .iter()
                .filter_map(|n| v.latency_us.get(n))
                .map(|l| match metric {
                    Metric::P50 => l.p50,
                    Metric::P90 => l.p90,
                    _ => l.p99,
                } as f64)
                .collect();
            if vals.is_empty() {
                0.0
            } else {
                vals.iter().sum::<f64>() / vals.len() as f64
            }
        }
    }
}

/// The rows of scenario `id`.
pub fn rows(
    id: &str,
    s: &Scenario,
    sim: &RunValues,
    live: &[RunValues],
    cal: &Calibration,
) -> Vec<Row> {
    let ph = phases(s);
    let mut out = Vec::new();
    for g in 0..s.clients.len() {
        if never_completes(s, g, cal) {
            continue;
        }
        let names = members(s, g);
        let start = s.clients[g].start.as_secs_f64();
        let mut cells: Vec<(Metric, &Phase)> = ph
            .iter()
            .filter(|p| start <= p.from_s as f64)
            .map(|p| (Metric::Rate, p))
            .collect();
        if let (ClientMode::Open, Some(last)) = (s.clients[g].mode, ph.last()) {
            cells.extend([Metric::P50, Metric::P90, Metric::P99].map(|m| (m, last)));
        }
        for (metric, p) in cells {
            out.push(row(id, &s.clients[g].name, &names, metric, p, sim, live));
        }
    }
    out
}

fn row(
    id: &str,
    client: &str,
    names: &[String],
    metric: Metric,
    p: &Phase,
    sim: &RunValues,
    live: &[RunValues],
) -> Row {
    let regime_of = |v: &RunValues| v.regime(&p.label).map_or(Regime::Idle, |r| r.regime);
    let sim_value = value(sim, names, metric, p);
    let lives: Vec<(Regime, f64)> = live
        .iter()
        .map(|v| (regime_of(v), value(v, names, metric, p)))
        .collect();
    let all: Vec<f64> = lives.iter().map(|x| x.1).collect();
    let mut regimes: Vec<RegimeCount> = Vec::new();
    let mut kinds: Vec<Regime> = lives.iter().map(|x| x.0).collect();
    kinds.sort();
    kinds.dedup();
    for k in kinds {
        let v: Vec<f64> = lives.iter().filter(|x| x.0 == k).map(|x| x.1).collect();
        regimes.push(RegimeCount {
            regime: k,
            reps: v.len(),
            median: median(&v),
        });
    }
    let sim_regime = regime_of(sim);
    let live_median = median(&all);
    let live_ref = regimes
        .iter()
        .find(|r| r.regime == sim_regime)
        .map_or(live_median, |r| r.median);
    let rel_error = if live_ref > 0.0 {
        Some((sim_value - live_ref) / live_ref)
    } else if sim_value == 0.0 {
        Some(0.0)
    } else {
        None
    };
    let (live_min, live_max) = min_max(&all);
    Row {
        scenario: id.to_string(),
        client: client.to_string(),
        phase: p.label.clone(),
        metric,
        seconds: (p.from_s, p.to_s),
        sim: sim_value,
        live_median,
        live_min,
        live_max,
        sim_regime,
        regimes,
        live_ref,
        rel_error,
        tolerance: if metric == Metric::Rate {
            RATE_TOLERANCE
        } else {
            LATENCY_TOLERANCE
        },
        sim_speed: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calibrate::validate::regime::PhaseRegime;
    use crate::calibrate::validate::values::Percentiles;

    fn values(per_second: &[(&str, Vec<u64>)], regime: Regime, p99: u64) -> RunValues {
        RunValues {
            per_second: per_second
                .iter()
                .map(|(n, v)| (n.to_string(), v.clone()))
                .collect(),
            latency_us: per_second
                .iter()
                .map(|(n, _)| {
                    let p = Percentiles {
                        p50: 10,
                        p90: 20,
                        p99,
                    };
                    (n.to_string(), p)
                })
                .collect(),
            regimes: ["before cpu+long", "during cpu+long"]
                .iter()
                .map(|p| PhaseRegime {
                    phase: p.to_string(),
                    regime,
                    light: 0.1,
                    together: 1.0,
                    with_heavy: 0.0,
                    heavy: Vec::new(),
                })
                .collect(),
            threads: Vec::new(),
        }
    }

    #[test]
    fn groups_phases_regimes_and_errors() {
        let s = Scenario::from_toml(
            r#"
            duration = "6s"
            [[clients]]
            name = "simple"
            n = 1
            [[clients]]
            name = "cpu"
            n = 300
            start = "2s"
            count = 2
            mode = "open"
            rate = 10.0
            [[clients]]
            name = "long"
            n = 100000
            start = "2s"
            "#,
        )
        .unwrap();
        let cal = Calibration::default_embedded();
        let run = |simple: u64, cpu: u64, regime, p99| {
            values(
                &[
                    ("simple", vec![simple; 6]),
                    ("cpu-0", vec![cpu; 6]),
                    ("cpu-1", vec![cpu + 2; 6]),
                ],
                regime,
                p99,
            )
        };
        let sim = run(100, 10, Regime::Together, 1000);
        let live = [
            run(80, 10, Regime::Together, 900),
            run(50, 10, Regime::Spread, 100),
            run(90, 10, Regime::Together, 1100),
        ];
        let r = rows("x", &s, &sim, &live, &cal);
        // simple: before, during; cpu (2 connections): during, p50, p90, p99; long: none.
        let keys: Vec<String> = r.iter().map(Row::key).collect();
        assert_eq!(
            keys,
            [
                "x/simple/before cpu+long",
                "x/simple/during cpu+long",
                "x/cpu/during cpu+long",
                "x/cpu/p50",
                "x/cpu/p90",
                "x/cpu/p99"
            ]
        );
        let simple = &r[0];
        assert_eq!((simple.live_median, simple.live_ref), (80.0, 85.0));
        assert!((simple.rel_error.unwrap() - 15.0 / 85.0).abs() < 1e-12);
        assert_eq!(simple.reps_in_sim_regime(), 2);
        assert_eq!(simple.regimes.len(), 2);
        assert!(!simple.within());
        // The two connections' rates are summed: 10 + 12.
        assert_eq!((r[2].sim, r[2].live_ref), (22.0, 22.0));
        assert!(r[2].within());
        // p99: the mean over connections; the reference is the together reps' median.
        assert_eq!(
            (r[5].sim, r[5].live_ref, r[5].tolerance),
            (1000.0, 1000.0, 0.2)
        );
    }
}
