//! The GIL, simulated and live, side by side: `execsim compare FILE --backend cpython --gil`.
//!
//! The scenario is simulated once with its activity trace and run live K times with the GIL
//! traced ([`super::gil_trace`]). The server's GIL (interpreter 0) is compared over the whole
//! run and over the last phase (from the last client's start, rounded up to a whole second, to
//! the end): hand-offs, drop requests, acquisitions and timeouts per second, and each
//! client's drop requests and timeouts per completed request (the switch intervals a request
//! waits out). Live figures are the median over the repetitions, with their spread. The two
//! activity timelines of the same window (by default 100 ms, one second into the last phase)
//! come from the simulation and the first repetition. The last phase's hand-offs are also
//! counted by who held the GIL and who took it ([`HandOffs`]: `worker -> event-loop`...), from
//! the simulation's activity trace and each repetition's GIL trace.

use super::gil_trace::LiveGilTrace;
use super::stats::{median, min_max};
use super::{run_live, LiveError, LiveOptions, LiveOutcome};
use crate::interp::{HandOffs, TraceRecord};
use crate::kernel::SimTime;
use crate::sim::calibration::Calibration;
use crate::sim::results::{GilPhase, GilResult, RunResult};
use crate::sim::run::{last_phase_second, simulate, SimOptions};
use crate::sim::scenario::Scenario;
use std::fmt;

/// Length of the compared timeline window.
pub const WINDOW_NS: u64 = 100_000_000;

/// One compared figure.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct GilRow {
    /// What (`drop requests/s`, `drop requests per simple request`...).
    pub figure: String,
    /// "whole run" or "last phase".
    pub phase: String,
    /// Simulated.
    pub sim: Option<f64>,
    /// Live median.
    pub live_median: Option<f64>,
    /// Smallest and largest live value.
    pub live_range: Option<(f64, f64)>,
}

/// A finished GIL comparison.
#[derive(Clone, Debug, serde::Serialize)]
pub struct GilComparison {
    /// The scenario's label.
    pub scenario: String,
    /// What ran the live service.
    pub runtime: String,
    /// The simulated run (with `gil_last_phase`).
    pub sim: RunResult,
    /// The live runs (each with `gil` and `gil_last_phase` from its trace).
    pub live: Vec<RunResult>,
    /// The rows.
    pub rows: Vec<GilRow>,
    /// The last phase's hand-offs by roles: simulated, then each live repetition's.
    pub handoffs: (HandOffs, Vec<HandOffs>),
    /// Warnings of the live runs.
    pub warnings: Vec<String>,
    /// The simulation's activity trace.
    #[serde(skip)]
    pub sim_trace: Vec<TraceRecord>,
    /// The simulation's thread names.
    #[serde(skip)]
    pub sim_names: Vec<String>,
    /// The first repetition's GIL trace.
    #[serde(skip)]
    pub live_trace: Option<LiveGilTrace>,
    /// The compared timeline window, on the run's clock.
    pub window: (SimTime, SimTime),
}

/// The timeline window: [`WINDOW_NS`] starting one second into the last phase, kept inside
/// the run.
pub fn timeline_window(s: &Scenario) -> (SimTime, SimTime) {
    let end = s.duration.as_nanos();
    let from = (last_phase_second(s) + 1) * 1_000_000_000;
    let from = from.min(end.saturating_sub(WINDOW_NS));
    (SimTime(from), SimTime((from + WINDOW_NS).min(end)))
}

/// Simulates `s` (with the backend's prime-core costs and its trace) and runs it live `reps`
/// times with the GIL traced; `on_rep` is called after each live run.
pub fn compare_gil(
    s: &Scenario,
    cal: &Calibration,
    opts: &LiveOptions,
    reps: usize,
    mut on_rep: impl FnMut(usize, &LiveOutcome),
) -> Result<GilComparison, LiveError> {
    let sim_scenario = super::backend_model::modelled(s, opts);
    let traced = SimOptions {
        trace: true,
        ..SimOptions::default()
    };
    let sim = simulate(&sim_scenario, cal, &traced);
    let mut opts = opts.clone();
    opts.gil_trace = true;
    let phase = (
        SimTime(last_phase_second(s) * 1_000_000_000),
        SimTime(s.duration.as_nanos()),
    );
    let sim_handoffs = sim.server_handoffs(phase.0, phase.1);
    let (mut live, mut warnings, mut runtime, mut live_trace, mut live_handoffs) =
        (Vec::new(), Vec::new(), String::new(), None, Vec::new());
    for k in 0..reps.max(1) {
        let out = run_live(s, &opts)?;
        on_rep(k, &out);
        warnings.extend(
            out.warnings
                .iter()
                .map(|w| format!("repetition {}: {w}", k + 1)),
        );
        runtime = out.runtime.clone();
        if let Some(tr) = &out.gil_trace {
            let in_gil = |t: usize| tr.threads.get(t).is_some_and(|th| th.interp == 0);
            let names = tr.thread_names();
            live_handoffs.push(HandOffs::of(&tr.activity, &names, in_gil, phase.0, phase.1));
        }
        if live_trace.is_none() {
            live_trace = out.gil_trace.clone();
        }
        live.push(out.result);
    }
    let mut rows = rows(&sim.result, &live);
    let span_s = (phase.1 .0 - phase.0 .0) as f64 / 1e9;
    rows.extend(handoff_rows(&sim_handoffs, &live_handoffs, span_s));
    Ok(GilComparison {
        scenario: s.label().to_string(),
        runtime,
        rows,
        warnings,
        window: timeline_window(s),
        handoffs: (sim_handoffs, live_handoffs),
        sim: sim.result,
        sim_trace: sim.trace,
        sim_names: sim.thread_names,
        live,
        live_trace,
    })
}

/// The server's GIL (interpreter 0) of a run over the whole run or its last phase.
fn server_gil(r: &RunResult, last: bool) -> Option<&GilResult> {
    let list = if last {
        &r.gil_last_phase.as_ref()?.gil
    } else {
        &r.gil
    };
    list.iter().find(|g| g.interp == 0)
}

/// A row from one figure of each run.
fn row(figure: String, phase: &str, sim: Option<f64>, live: Vec<Option<f64>>) -> GilRow {
    let live: Vec<f64> = live.into_iter().flatten().collect();
    GilRow {
        figure,
        phase: phase.to_string(),
        sim,
        live_median: (!live.is_empty()).then(|| median(&live)),
        live_range: (!live.is_empty()).then(|| min_max(&live)),
    }
}

/// The compared rows: counters per second, then each client's events per request.
pub fn rows(sim: &RunResult, live: &[RunResult]) -> Vec<GilRow> {
    type Counter = fn(&GilResult) -> u64;
    let counters: [(&str, Counter); 4] = [
        ("hand-offs/s", |g| g.handoffs),
        ("drop requests/s", |g| g.drop_requests),
        ("acquisitions/s", |g| g.acquisitions),
        ("timeouts/s", |g| g.timeouts),
    ];
    let span = |r: &RunResult, last: bool| match (&r.gil_last_phase, last) {
        (Some(p), true) => p.to_s - p.from_s,
        _ => r.duration_s,
    };
    let mut out = Vec::new();
    for (last, phase) in [(false, "whole run"), (true, "last phase")] {
        for (name, f) in counters {
            let per_s = |r: &RunResult| server_gil(r, last).map(|g| f(g) as f64 / span(r, last));
            out.push(row(
                name.to_string(),
                phase,
                per_s(sim),
                live.iter().map(per_s).collect(),
            ));
        }
    }
    for c in sim.gil_last_phase.iter().flat_map(|p| &p.clients) {
        type PerRequest = fn(&crate::sim::results::ClientGilRate) -> Option<f64>;
        let per: [(&str, PerRequest); 2] = [
            ("drop requests per", |c| c.drop_requests_per_request),
            ("timeouts per", |c| c.timeouts_per_request),
        ];
        for (name, f) in per {
            let of = |r: &RunResult| {
                r.gil_last_phase
                    .as_ref()
                    .and_then(|p| p.client(&c.client))
                    .and_then(f)
            };
            out.push(row(
                format!("{name} {} request", c.client),
                "last phase",
                of(sim),
                live.iter().map(of).collect(),
            ));
        }
    }
    out
}

/// The last phase's hand-offs per second by roles, most frequent live first (then
/// simulated, then by name).
pub fn handoff_rows(sim: &HandOffs, live: &[HandOffs], span_s: f64) -> Vec<GilRow> {
    let mut keys: Vec<&(String, String)> = sim.by_roles.keys().collect();
    keys.extend(live.iter().flat_map(|h| h.by_roles.keys()));
    keys.sort();
    keys.dedup();
    let per_s = |h: &HandOffs, k: &(String, String)| h.count(&k.0, &k.1) as f64 / span_s;
    let mut rows: Vec<GilRow> = keys
        .into_iter()
        .map(|k| {
            row(
                format!("hand-offs/s {} -> {}", k.0, k.1),
                "last phase",
                Some(per_s(sim, k)),
                live.iter().map(|h| Some(per_s(h, k))).collect(),
            )
        })
        .collect();
    let key = |r: &GilRow| (r.live_median.unwrap_or(0.0), r.sim.unwrap_or(0.0));
    rows.sort_by(|a, b| {
        let (ka, kb) = (key(a), key(b));
        kb.0.total_cmp(&ka.0)
            .then(kb.1.total_cmp(&ka.1))
            .then(a.figure.cmp(&b.figure))
    });
    rows
}

fn cell(v: Option<f64>) -> String {
    v.map_or_else(|| "-".to_string(), |v| format!("{v:.2}"))
}

/// Per-thread GIL hold and wait seconds of one side, for the text report.
fn thread_lines(f: &mut fmt::Formatter<'_>, label: &str, p: Option<&GilPhase>) -> fmt::Result {
    let Some(g) = p.and_then(|p| p.gil.iter().find(|g| g.interp == 0)) else {
        return Ok(());
    };
    let list: Vec<String> = g
        .hold_s
        .iter()
        .map(|h| format!("{} {:.3}/{:.3}", h.thread, h.seconds, g.wait_of(&h.thread)))
        .collect();
    writeln!(f, "  {label}: {}", list.join(", "))
}

impl fmt::Display for GilComparison {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "scenario {}: the server's GIL, simulated vs live ({}), {} repetition{}",
            self.scenario,
            self.runtime,
            self.live.len(),
            if self.live.len() == 1 { "" } else { "s" }
        )?;
        writeln!(
            f,
            "{:<34} {:<11} {:>10} {:>10} {:>21}",
            "figure", "phase", "sim", "live", "live min..max"
        )?;
        for r in &self.rows {
            let range = r
                .live_range
                .map_or_else(|| "-".to_string(), |(a, b)| format!("{a:.2}..{b:.2}"));
            writeln!(
                f,
                "{:<34} {:<11} {:>10} {:>10} {:>21}",
                r.figure,
                r.phase,
                cell(r.sim),
                cell(r.live_median),
                range
            )?;
        }
        writeln!(f, "last phase, per thread: GIL held s / waited s")?;
        thread_lines(f, "sim ", self.sim.gil_last_phase.as_ref())?;
        for (k, r) in self.live.iter().enumerate() {
            thread_lines(f, &format!("live {}", k + 1), r.gil_last_phase.as_ref())?;
        }
        Ok(())
    }
}
