//! Whole sets of figures, drawn from results only: the lesson's (its runs, two traced
//! thread-pool runs and a switch interval × pool size grid of rates) and one traced run's.
//! Nothing here simulates: whoever wants the figures simulates first (the command line does,
//! in its `figures` module) and hands over the results.

use super::heatmap::{Heatmap, HeatmapPanel};
use super::latency::{LatencyDistribution, LatencyPercentiles};
use super::throughput::Throughput;
use super::timeline::GilTimeline;
use super::{save, PlotResult};
use crate::interp::TraceRecord;
use crate::kernel::{SimDuration, SimTime};
use crate::sim::results::RunResult;
use std::path::{Path, PathBuf};

/// A plain grid of values over two parameters, as a heatmap takes it.
#[derive(Clone, Debug, PartialEq)]
pub struct Grid {
    /// Column labels (first parameter).
    pub x_labels: Vec<String>,
    /// Row labels (second parameter), bottom to top.
    pub y_labels: Vec<String>,
    /// `values[row][column]`.
    pub values: Vec<Vec<f64>>,
}

/// A traced run as the figures read it: its results and its threads' activity (`trace` and
/// `thread_names` as a traced simulation gives them).
#[derive(Clone, Copy, Debug)]
pub struct TracedRun<'a> {
    /// The run's results.
    pub result: &'a RunResult,
    /// Thread activity changes (empty if the run was not traced).
    pub trace: &'a [TraceRecord],
    /// Thread names, indexed by thread id.
    pub thread_names: &'a [String],
}

/// The GIL timeline of a traced run over `[from, from + len)` (times since the run's start),
/// titled with the run's scenario and without subtitle.
pub fn run_timeline(run: &TracedRun, from: SimDuration, len: SimDuration) -> GilTimeline {
    let start = SimTime::ZERO + from;
    GilTimeline::new(
        &run.result.scenario,
        run.trace,
        run.thread_names,
        start,
        start + len,
    )
}

/// Subtitle of the lesson's thread-pool timeline with the event loop and clients on core 0
/// and the pool workers on core 1 (the convoy), at switch interval `interval`.
pub fn own_core_caption(interval: SimDuration) -> String {
    format!(
        "event loop and clients pinned to core 0, pool workers to core 1; switch interval \
         {interval}.\nThe worker running the long request holds the GIL; every other thread \
         gets it only when its drop request times out, a full interval later."
    )
}

/// Subtitle of the lesson's thread-pool timeline with every thread on core 0.
pub fn shared_core_caption(interval: SimDuration) -> String {
    format!(
        "event loop, clients and pool workers all pinned to core 0; switch interval \
         {interval}.\nWhile the OS runs the long request's worker the others wait; while it \
         is descheduled they have the GIL to themselves and serve bursts of requests."
    )
}

/// Subtitle of the lesson's thread-pool timeline without affinity.
pub fn unpinned_caption(interval: SimDuration) -> String {
    format!("no affinity (the scheduler places threads on 2 cores); switch interval {interval}.")
}

/// What the lesson's figures are drawn from, all simulated by the caller.
#[derive(Clone, Debug)]
pub struct LessonResults<'a> {
    /// The lesson's runs, one per scenario (throughput, latency percentiles, distribution).
    pub runs: &'a [RunResult],
    /// The client whose rate and latency are drawn.
    pub client: &'a str,
    /// GIL timeline of the thread-pool run with the pool workers on their own core.
    pub own_core: GilTimeline,
    /// GIL timeline of the thread-pool run with the pool workers sharing core 0.
    pub shared_core: GilTimeline,
    /// Rate of `client` by switch interval (columns) and pool size (rows), workers on their
    /// own core.
    pub grid_own: Grid,
    /// The same grid with the workers sharing core 0 with the loop.
    pub grid_shared: Grid,
    /// Whole seconds `from..to` over which the grids' rates are averaged.
    pub rate_seconds: (usize, usize),
}

/// The lesson's heatmap: the rate of its client by switch interval and pool size, one panel
/// per placement of the workers.
pub fn interval_workers_heatmap(res: &LessonResults) -> Heatmap {
    let (from, to) = res.rate_seconds;
    let client = res.client;
    Heatmap {
        title: format!("Rate of client \"{client}\" during the long request, thread pool"),
        subtitle: format!(
            "mean completed requests per second over seconds {from} to {to}, by \
             sys.setswitchinterval and pool size (simulated, seed {})\nwith one worker the long \
             request takes the whole pool (0 req/s); more workers do not help: one GIL",
            res.runs.first().map(|r| r.seed).unwrap_or(7)
        ),
        x_desc: "switch interval (sys.setswitchinterval)".into(),
        y_desc: "pool workers".into(),
        value_desc: "requests/s".into(),
        x_labels: res.grid_own.x_labels.clone(),
        y_labels: res.grid_own.y_labels.clone(),
        panels: vec![
            HeatmapPanel {
                title: "workers on their own core (core 1)".into(),
                values: res.grid_own.values.clone(),
            },
            HeatmapPanel {
                title: "workers sharing core 0 with the loop".into(),
                values: res.grid_shared.values.clone(),
            },
        ],
    }
}

/// Draws every simulated figure of the lesson in `dir`: throughput, latency percentiles and
/// distribution of its runs, the two GIL timelines and the heatmap. Returns the files written
/// (PNG and SVG of each).
pub fn lesson_figures(res: &LessonResults, dir: &Path) -> PlotResult<Vec<PathBuf>> {
    let mut files = Vec::new();
    let (runs, client) = (res.runs, res.client);
    files.extend(save(
        &Throughput::compare_runs(runs, client),
        dir,
        "throughput",
    )?);
    files.extend(save(
        &LatencyPercentiles::compare_runs(runs, client),
        dir,
        "latency_percentiles",
    )?);
    files.extend(save(
        &LatencyDistribution::compare_runs(runs, client),
        dir,
        "latency_distribution",
    )?);
    files.extend(save(&res.own_core, dir, "gil_timeline_own_core")?);
    files.extend(save(&res.shared_core, dir, "gil_timeline_shared_core")?);
    files.extend(save(
        &interval_workers_heatmap(res),
        dir,
        "heatmap_switch_interval_workers",
    )?);
    Ok(files)
}

/// Draws one traced run's figures in `dir`: every client's rate, latency percentiles and
/// distribution, and the GIL timeline over `[from, from + len)` (if the run was traced).
/// Returns the files written.
pub fn run_figures(
    run: &TracedRun,
    dir: &Path,
    from: SimDuration,
    len: SimDuration,
) -> PlotResult<Vec<PathBuf>> {
    let r = run.result;
    let mut files = Vec::new();
    files.extend(save(&Throughput::clients(r), dir, "throughput")?);
    files.extend(save(
        &LatencyPercentiles::clients(r),
        dir,
        "latency_percentiles",
    )?);
    if r.clients.iter().any(|c| c.completed > 0) {
        files.extend(save(
            &LatencyDistribution::clients(r),
            dir,
            "latency_distribution",
        )?);
    }
    if !run.trace.is_empty() {
        files.extend(save(&run_timeline(run, from, len), dir, "gil_timeline")?);
    }
    Ok(files)
}

/// The default timeline window of a run: 50 ms starting one second after the last client
/// start (when the late clients' work is in full swing), or at 1 s.
pub fn default_window(r: &RunResult) -> (SimDuration, SimDuration) {
    let last_start = r.clients.iter().map(|c| c.start_s).fold(0.0, f64::max);
    let from = (last_start + 1.0).min((r.duration_s - 0.05).max(0.0));
    (
        SimDuration::from_secs_f64(from),
        SimDuration::from_millis(50),
    )
}
