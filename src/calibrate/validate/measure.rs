//! One scenario of the matrix measured: its live repetitions (each with its host speed and
//! regimes) and its simulation at the speed they measured.

use super::intervals::{live_intervals, live_name, sim_with_intervals};
use super::matrix::MatrixEntry;
use super::regime::{classify, Interval, PhaseRegime, Regime};
use super::results::{LiveRep, RunValues, ScenarioResults};
use super::rows::{rows, Row};
use super::thread_time::phase_threads;
use crate::live::compare::phases;
use crate::live::host_speed::{at_speed, median_speed, HostSpeed, RunSpeed};
use crate::live::{run_live, LiveError, LiveOptions, LiveOutcome};
use crate::service::ServerLanguage;
use crate::sim::calibration::Calibration;
use crate::sim::scenario::Scenario;
use crate::workload::cost::Backend;

/// The regime of each phase of `s` from `intervals`: in a phase opened by clients starting,
/// their connections count as the heavy threads ([`classify`]).
pub fn regimes(
    s: &Scenario,
    intervals: &[Interval],
    name: impl Fn(u64) -> String,
) -> Vec<PhaseRegime> {
    phases(s)
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let ns = |sec: usize| sec as i64 * 1_000_000_000;
            // Phases start one whole second after the clients that open them.
            let opened = |start: f64| start > 0.0 && start.floor() as usize + 1 == p.from_s;
            let heavy = if i == 0 {
                0
            } else {
                s.clients
                    .iter()
                    .filter(|c| opened(c.start.as_secs_f64()))
                    .map(|c| c.count)
                    .sum()
            };
            classify(
                intervals,
                (ns(p.from_s), ns(p.to_s)),
                heavy,
                &p.label,
                &name,
            )
        })
        .collect()
}

/// The simulation of `s` (CPython's costs, or the Rust server's as it says) at `speed`
/// (None: the calibration's), with its regimes.
pub fn simulate_values(s: &Scenario, cal: &Calibration, speed: Option<RunSpeed>) -> RunValues {
    let cal = match speed {
        Some(r) => at_speed(cal, &r, true, s.modelled_version()),
        None => cal.clone(),
    };
    let mut s = s.clone();
    if s.server.language == ServerLanguage::Python {
        s.python.runtime = Backend::Cpython;
    }
    let (out, intervals) = sim_with_intervals(&s, &cal);
    let names = out.thread_names;
    let name = |t: u64| {
        names
            .get(t as usize)
            .cloned()
            .unwrap_or_else(|| t.to_string())
    };
    let reg = regimes(&s, &intervals, name);
    let threads = phase_threads(&phases(&s), &intervals, name);
    RunValues::of(&out.result, reg, threads)
}

/// One live repetition's record.
pub fn live_rep(s: &Scenario, out: &LiveOutcome, cal: &Calibration) -> LiveRep {
    let (reg, threads) = match &out.thread_samples {
        Some(ts) => {
            let intervals = live_intervals(ts);
            let name = |k| live_name(ts, k);
            let reg = regimes(s, &intervals, name);
            (reg, phase_threads(&phases(s), &intervals, name))
        }
        None => (Vec::new(), Vec::new()),
    };
    LiveRep {
        values: RunValues::of(&out.result, reg, threads),
        host_speed: out
            .core_probe
            .as_ref()
            .map(|p| HostSpeed::from_probe(p, cal)),
        busy_cores_before: out.busy_cores_before,
        warnings: out.warnings.clone(),
    }
}

/// Runs `e` live `reps` times (CPython, or the Rust server as it says), calling `on_rep`
/// after each; then the record with its simulation.
pub fn measure(
    e: &MatrixEntry,
    cal: &Calibration,
    opts: &LiveOptions,
    reps: usize,
    date: &str,
    mut on_rep: impl FnMut(usize, &LiveRep),
) -> Result<ScenarioResults, LiveError> {
    let mut live = Vec::new();
    let mut runtime = String::new();
    // A scenario of the Rust server (`[server] language = "rust"`) runs on the rust backend.
    let mut opts = opts.clone();
    if e.scenario.server.language == ServerLanguage::Rust {
        opts.backend = Backend::Rust;
    }
    for k in 0..reps.max(1) {
        let out = run_live(&e.scenario, &opts)?;
        runtime = out.runtime.clone();
        let rep = live_rep(&e.scenario, &out, cal);
        on_rep(k, &rep);
        live.push(rep);
    }
    let mut r = ScenarioResults {
        id: e.id.clone(),
        checks: e.checks.clone(),
        scenario_toml: e.text.clone(),
        date: date.to_string(),
        runtime,
        live,
        speed_used: None,
        service_speed_used: None,
        sim: RunValues::default(),
        rows: Vec::new(),
    };
    resimulate(&mut r, &e.scenario, cal);
    Ok(r)
}

/// Simulates `r`'s scenario again at the median speed of its live repetitions and rebuilds
/// its rows; the live part is kept, its regimes labelled again from their measured shares
/// ([`Regime::of`]: the rules may have changed).
///
/// A row whose error is taken against only some of the repetitions (those in the regime the
/// simulation shows, [`super::rows`]) is simulated once more at the median speed of those
/// repetitions, and takes that value if the simulation there shows the same regime: the
/// host's speed changes from one launch to the next (up to 1.2x within a scenario's three),
/// and the row compares with those launches only.
pub fn resimulate(r: &mut ScenarioResults, s: &Scenario, cal: &Calibration) {
    for p in r.live.iter_mut().flat_map(|l| &mut l.values.regimes) {
        p.regime = Regime::of(p.light, p.together, p.with_heavy);
    }
    let speeds: Vec<HostSpeed> = r
        .live
        .iter()
        .filter_map(|l| l.host_speed.as_ref().map(|h| h.against(cal)))
        .collect();
    let speed = median_speed(&speeds);
    r.speed_used = speed.map(|v| v.ratio);
    r.service_speed_used = speed.and_then(|v| v.service_ns);
    r.sim = simulate_values(s, cal, speed);
    let live: Vec<RunValues> = r.live.iter().map(|l| l.values.clone()).collect();
    r.rows = rows(&r.id, s, &r.sim, &live, cal);
    regime_speed_rows(r, s, cal, &live);
}

/// The rows compared with a strict subset of the repetitions, simulated at that subset's
/// median speed (see [`resimulate`]).
fn regime_speed_rows(r: &mut ScenarioResults, s: &Scenario, cal: &Calibration, live: &[RunValues]) {
    let mut done: Vec<(Vec<usize>, Option<Vec<Row>>)> = Vec::new();
    for i in 0..r.rows.len() {
        let row = &r.rows[i];
        let reps: Vec<usize> = (0..r.live.len())
            .filter(|&k| {
                let v = &r.live[k].values;
                v.regime(&row.phase).map(|p| p.regime) == Some(row.sim_regime)
            })
            .collect();
        if reps.is_empty() || reps.len() == r.live.len() {
            continue;
        }
        let pos = match done.iter().position(|(k, _)| *k == reps) {
            Some(p) => p,
            None => {
                let speeds: Vec<HostSpeed> = reps
                    .iter()
                    .filter_map(|&k| r.live[k].host_speed.as_ref().map(|h| h.against(cal)))
                    .collect();
                let again = median_speed(&speeds)
                    .filter(|v| Some(v.ratio) != r.speed_used)
                    .map(|v| {
                        let sim = simulate_values(s, cal, Some(v));
                        let mut rs = rows(&r.id, s, &sim, live, cal);
                        rs.iter_mut().for_each(|x| x.sim_speed = Some(v.ratio));
                        rs
                    });
                done.push((reps, again));
                done.len() - 1
            }
        };
        let Some(again) = &done[pos].1 else { continue };
        let key = r.rows[i].key();
        if let Some(x) = again
            .iter()
            .find(|x| x.key() == key && x.sim_regime == r.rows[i].sim_regime)
        {
            r.rows[i] = x.clone();
        }
    }
}
