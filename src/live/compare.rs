//! Simulation checked against live runs: `execsim compare FILE --backend B --reps K`.
//!
//! The scenario is simulated once (deterministic) and run live K times. The run is cut into
//! **phases** at the clients' start times: with the lesson's clients (0 s and 2 s) the phases
//! are "before long" (seconds [1, 2)) and "during long" (seconds [3, 12)); the first whole
//! second of each phase (which holds the start itself) is left out, as in the lesson table.
//! For each client and phase the table gives the simulated rate, the live median with its
//! spread (min..max over the repetitions) and the relative error (sim − live) / live.
//!
//! **Host speed.** With the cpython backend each live run times its prime core
//! ([`super::host_speed`]); the simulation then runs after the live repetitions, with the
//! calibration's CPython core costs multiplied by the median of the runs' measured ratios
//! ([`super::host_speed::at_speed`]), and the report says which speed it used. The service's
//! Python steps and system calls are scaled by the same ratio: measured, they follow the
//! core's speed (see [`super::host_speed::at_speed`]).

use super::cold_start::{self, ColdProbe};
use super::host_speed::{self, HostSpeed};
use super::stats::{median, min_max};
use super::{run_live, LiveError, LiveOptions, LiveOutcome};
use crate::sim::calibration::Calibration;
use crate::sim::results::RunResult;
use crate::sim::run::{simulate, SimOptions};
use crate::sim::scenario::Scenario;
use std::fmt;

/// The tolerance the project aims for: every phase within 15% of the live median.
pub const TARGET_REL_ERROR: f64 = 0.15;

/// A span of whole seconds between two client starts.
#[derive(Clone, Debug, PartialEq)]
pub struct Phase {
    /// "before long", "during long", or "whole run".
    pub label: String,
    /// First second (inclusive).
    pub from_s: usize,
    /// Last second (exclusive).
    pub to_s: usize,
}

/// The phases of a scenario (see the module doc); empty phases are left out.
pub fn phases(s: &Scenario) -> Vec<Phase> {
    let dur = s.duration.as_secs_f64();
    let mut starts: Vec<f64> = s
        .clients
        .iter()
        .map(|c| c.start.as_secs_f64())
        .filter(|&t| t > 0.0)
        .collect();
    starts.sort_by(f64::total_cmp);
    starts.dedup();
    let names_at = |t: f64| -> String {
        s.clients
            .iter()
            .filter(|c| c.start.as_secs_f64() == t)
            .map(|c| c.name.as_str())
            .collect::<Vec<_>>()
            .join("+")
    };
    let mut bounds = vec![0.0];
    bounds.extend(&starts);
    bounds.push(dur);
    let mut out = Vec::new();
    for j in 0..bounds.len() - 1 {
        let from = bounds[j].floor() as usize + 1;
        let to = bounds[j + 1].floor() as usize;
        if from >= to {
            continue;
        }
        let label = if starts.is_empty() {
            "whole run".to_string()
        } else if j == 0 {
            format!("before {}", names_at(bounds[1]))
        } else {
            format!("during {}", names_at(bounds[j]))
        };
        out.push(Phase {
            label,
            from_s: from,
            to_s: to,
        });
    }
    out
}

/// One row of the comparison.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Row {
    /// The client.
    pub client: String,
    /// The phase's label.
    pub phase: String,
    /// Seconds [from, to) of the phase.
    pub seconds: (usize, usize),
    /// Simulated completions per second.
    pub sim: f64,
    /// Live median over the repetitions.
    pub live_median: f64,
    /// Smallest live rate.
    pub live_min: f64,
    /// Largest live rate.
    pub live_max: f64,
    /// (sim − live) / live; Some(0) when both are 0; None when only live is 0.
    pub rel_error: Option<f64>,
}

impl Row {
    /// Within [`TARGET_REL_ERROR`] of the live median.
    pub fn within_target(&self) -> bool {
        self.rel_error.is_some_and(|e| e.abs() <= TARGET_REL_ERROR)
    }
}

/// A finished comparison.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Comparison {
    /// The scenario's label.
    pub scenario: String,
    /// The live backend.
    pub backend: String,
    /// The simulated run.
    pub sim: RunResult,
    /// The live runs.
    pub live: Vec<RunResult>,
    /// The rows, client by client, phase by phase.
    pub rows: Vec<Row>,
    /// Warnings of the live runs.
    pub warnings: Vec<String>,
    /// What ran the live service.
    pub runtime: String,
    /// Each live run's measured prime-core speed (cpython backend; empty otherwise).
    pub host_speed: Vec<HostSpeed>,
    /// The ratio to the calibration's CPython core time the simulation used (the median of
    /// [`host_speed`](Self::host_speed)); None: the calibration's own.
    pub speed_used: Option<f64>,
    /// The request-path probe the simulation used (ns per round trip, the median of the
    /// runs'); None: the service's costs followed the prime core's ratio.
    #[serde(default)]
    pub service_speed_used: Option<f64>,
    /// The runs' median cold-start probe and the model's extra for the same round trip,
    /// ns ([`super::cold_start`]): reported, not simulated.
    #[serde(default)]
    pub cold_start: Option<(ColdProbe, f64)>,
}

impl Comparison {
    /// The live repetitions as one run, for drawing next to the simulation: each client's
    /// completions in each second are the median over the repetitions (rounded to whole
    /// requests, half away from zero), and `source` says how many runs the median is of
    /// (`live-rust, median of 3`). Every other field is the first repetition's.
    /// Clients are matched by name (a repetition without the client is left out of its
    /// median); a second missing from a repetition counts 0 there.
    pub fn live_median_run(&self) -> RunResult {
        let Some(first) = self.live.first() else {
            return self.sim.clone();
        };
        let mut run = first.clone();
        if self.live.len() > 1 {
            run.source = format!("{}, median of {}", first.source, self.live.len());
        }
        for c in &mut run.clients {
            let seconds = self
                .live
                .iter()
                .filter_map(|r| r.client(&c.name))
                .map(|x| x.per_second.len())
                .max()
                .unwrap_or(0);
            c.per_second = (0..seconds)
                .map(|k| {
                    let v: Vec<f64> = self
                        .live
                        .iter()
                        .filter_map(|r| r.client(&c.name))
                        .map(|x| x.per_second.get(k).copied().unwrap_or(0) as f64)
                        .collect();
                    median(&v).round() as u64
                })
                .collect();
        }
        run
    }
}

/// Builds the rows from a simulation and live runs of the same scenario.
pub fn rows(s: &Scenario, sim: &RunResult, live: &[RunResult]) -> Vec<Row> {
    let mut out = Vec::new();
    let ph = phases(s);
    for c in &sim.clients {
        for p in &ph {
            if c.start_s > p.from_s as f64 {
                continue;
            }
            let sim_rate = c.rate(p.from_s, p.to_s);
            let lives: Vec<f64> = live
                .iter()
                .filter_map(|r| r.client(&c.name))
                .map(|lc| lc.rate(p.from_s, p.to_s))
                .collect();
            let med = median(&lives);
            let (live_min, live_max) = min_max(&lives);
            let rel_error = if med > 0.0 {
                Some((sim_rate - med) / med)
            } else if sim_rate == 0.0 {
                Some(0.0)
            } else {
                None
            };
            out.push(Row {
                client: c.name.clone(),
                phase: p.label.clone(),
                seconds: (p.from_s, p.to_s),
                sim: sim_rate,
                live_median: med,
                live_min,
                live_max,
                rel_error,
            });
        }
    }
    out
}

/// Runs `s` live `reps` times, then simulates it with `cal` (using the backend's prime-core
/// costs, at the speed the live runs measured: see the module doc); `on_rep` is called after
/// each live run.
pub fn compare(
    s: &Scenario,
    cal: &Calibration,
    opts: &LiveOptions,
    reps: usize,
    mut on_rep: impl FnMut(usize, &LiveOutcome),
) -> Result<Comparison, LiveError> {
    let mut live = Vec::new();
    let mut warnings = Vec::new();
    let mut runtime = String::new();
    let mut speeds = Vec::new();
    for k in 0..reps.max(1) {
        let out = run_live(s, opts)?;
        on_rep(k, &out);
        for w in &out.warnings {
            warnings.push(format!("repetition {}: {w}", k + 1));
        }
        runtime = out.runtime.clone();
        speeds.extend(
            out.core_probe
                .as_ref()
                .map(|p| HostSpeed::from_probe(p, cal)),
        );
        live.push(out.result);
    }
    let speed_used = host_speed::median_ratio(&speeds);
    let speed_service = host_speed::median_service_ns(&speeds);
    let run_speed = host_speed::median_speed(&speeds);
    let sim_cal = match &run_speed {
        Some(v) => host_speed::at_speed(cal, v, true, s.modelled_version()),
        None => cal.clone(),
    };
    let cold_start = run_speed.and_then(|v| v.cold).map(|c| {
        let machine = sim_cal.machine.unwrap_or_default();
        (c, cold_start::model_extra_ns(&machine, c.warm_ns))
    });
    let sim_scenario = super::backend_model::modelled(s, opts);
    let sim = simulate(&sim_scenario, &sim_cal, &SimOptions::default()).result;
    let rows = rows(s, &sim, &live);
    Ok(Comparison {
        scenario: s.label().to_string(),
        backend: opts.backend.to_string(),
        sim,
        live,
        rows,
        warnings,
        runtime,
        host_speed: speeds,
        speed_used,
        service_speed_used: speed_service,
        cold_start,
    })
}

impl Comparison {
    /// The speeds the simulation used and the cold start the runs measured, one line each.
    fn write_speeds(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.speed_used {
            Some(r) => {
                let each: Vec<String> = self
                    .host_speed
                    .iter()
                    .map(|h| format!("{:.2}", h.ratio))
                    .collect();
                writeln!(
                    f,
                    "simulated at the measured host speed: prime core {r:.2}x the calibration's time (median of the runs' {})",
                    each.join(", ")
                )?;
                if let Some(ns) = self.service_speed_used {
                    writeln!(
                        f,
                        "request path: {:.1} us per asyncio round trip (median of the runs' probes; the service's costs follow it when the calibration recorded its own)",
                        ns / 1e3
                    )?;
                }
            }
            None => writeln!(f, "simulated at the calibration's prime-core speed")?,
        }
        if let Some((c, model)) = self.cold_start {
            writeln!(
                f,
                "cold start: +{:.1} us per round trip after {} ms asleep (median of the runs' probes), the model's +{:.1} us (reported, not simulated)",
                c.extra_ns() / 1e3,
                cold_start::PROBE_IDLE_NS / 1_000_000,
                model / 1e3
            )?;
        }
        Ok(())
    }
}

impl fmt::Display for Comparison {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "scenario {}: simulation vs live {} ({}), {} repetition{}",
            self.scenario,
            self.backend,
            self.runtime,
            self.live.len(),
            if self.live.len() == 1 { "" } else { "s" }
        )?;
        self.write_speeds(f)?;
        writeln!(
            f,
            "{:<10} {:<16} {:>7} {:>10} {:>10} {:>21} {:>9}",
            "client", "phase", "seconds", "sim req/s", "live req/s", "live min..max", "rel err"
        )?;
        for r in &self.rows {
            let err = match r.rel_error {
                Some(e) if r.sim == 0.0 && r.live_median == 0.0 => {
                    let _ = e;
                    "exact".to_string()
                }
                Some(e) => format!(
                    "{:+.1}%{}",
                    e * 100.0,
                    if e.abs() <= TARGET_REL_ERROR {
                        ""
                    } else {
                        " !"
                    }
                ),
                None => "n/a".to_string(),
            };
            writeln!(
                f,
                "{:<10} {:<16} {:>7} {:>10.1} {:>10.1} {:>21} {:>9}",
                truncate(&r.client, 10),
                truncate(&r.phase, 16),
                format!("{}-{}", r.seconds.0, r.seconds.1),
                r.sim,
                r.live_median,
                format!("{:.1}..{:.1}", r.live_min, r.live_max),
                err
            )?;
        }
        let missed = self.rows.iter().filter(|r| !r.within_target()).count();
        writeln!(
            f,
            "{} of {} rows within {:.0}% of the live median ('!' marks a miss)",
            self.rows.len() - missed,
            self.rows.len(),
            TARGET_REL_ERROR * 100.0
        )
    }
}

fn truncate(s: &str, n: usize) -> &str {
    match s.char_indices().nth(n) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lesson_phases() {
        let s = crate::sim::lesson::scenario(
            crate::sim::scenario::ExecutorKind::Thread,
            crate::kernel::SimDuration::from_millis(5),
            crate::sim::lesson::Placement::Convoy,
        );
        let p = phases(&s);
        assert_eq!(p.len(), 2);
        assert_eq!(
            (p[0].label.as_str(), p[0].from_s, p[0].to_s),
            ("before long", 1, 2)
        );
        assert_eq!(
            (p[1].label.as_str(), p[1].from_s, p[1].to_s),
            ("during long", 3, 12)
        );
    }

    #[test]
    fn rows_and_errors() {
        let s = crate::sim::lesson::scenario(
            crate::sim::scenario::ExecutorKind::Inline,
            crate::kernel::SimDuration::from_millis(5),
            crate::sim::lesson::Placement::Unpinned,
        );
        let mut sim =
            crate::sim::run::simulate(&s, &Calibration::default_embedded(), &SimOptions::default())
                .result;
        sim.clients[0].per_second = vec![100; 12];
        let mut live = sim.clone();
        live.clients[0].per_second = vec![80; 12];
        let r = rows(&s, &sim, &[live.clone(), live]);
        let simple_before = &r[0];
        assert_eq!(simple_before.phase, "before long");
        assert!((simple_before.rel_error.unwrap() - 0.25).abs() < 1e-9);
        assert!(!simple_before.within_target());
        // The long client exists only from its start: one row (during).
        assert_eq!(r.iter().filter(|x| x.client == "long").count(), 1);
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
    }

    #[test]
    fn live_median_run_takes_the_per_second_median() {
        let s = crate::sim::lesson::scenario(
            crate::sim::scenario::ExecutorKind::Inline,
            crate::kernel::SimDuration::from_millis(5),
            crate::sim::lesson::Placement::Unpinned,
        );
        let sim =
            crate::sim::run::simulate(&s, &Calibration::default_embedded(), &SimOptions::default())
                .result;
        let mut live = Vec::new();
        for (k, rate) in [(0, 10), (1, 30), (2, 20), (3, 25)] {
            let mut r = sim.clone();
            r.source = "live-rust".into();
            r.clients[0].per_second = vec![rate, 100 + k];
            live.push(r);
        }
        let mut c = Comparison {
            scenario: s.label().to_string(),
            backend: "rust".into(),
            sim,
            live: live[..3].to_vec(),
            rows: Vec::new(),
            warnings: Vec::new(),
            runtime: String::new(),
            host_speed: Vec::new(),
            speed_used: None,
            service_speed_used: None,
            cold_start: None,
        };
        let m = c.live_median_run();
        assert_eq!(m.clients[0].per_second, [20, 101]);
        assert_eq!(m.source, "live-rust, median of 3");
        // Even count: the mean of the middle two, rounded half away from zero.
        c.live = live;
        let m = c.live_median_run();
        assert_eq!(m.clients[0].per_second, [23, 102]);
        c.live.truncate(1);
        assert_eq!(c.live_median_run().source, "live-rust");
    }
}
