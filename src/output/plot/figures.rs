//! Drivers that make whole sets of figures: the lesson's (from its runs, plus the traced runs
//! and the parameter grid they need, simulated here) and one run's.

use super::heatmap::{Heatmap, HeatmapPanel};
use super::latency::{LatencyDistribution, LatencyPercentiles};
use super::throughput::Throughput;
use super::timeline::GilTimeline;
use super::{save, PlotResult};
use crate::kernel::{SimDuration, SimTime};
use crate::sim::calibration::Calibration;
use crate::sim::lesson::{self, Placement};
use crate::sim::results::RunResult;
use crate::sim::run::{simulate, SimOptions, SimOutput};
use crate::sim::scenario::{ExecutorKind, Scenario};
use rayon::prelude::*;
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

/// What [`lesson_figures`] simulates beyond the lesson's runs.
#[derive(Clone, Debug)]
pub struct LessonFigureOptions {
    /// The client whose rate and latency are drawn.
    pub client: String,
    /// Start of the GIL timelines' window.
    pub window_from: SimDuration,
    /// Length of the window.
    pub window_len: SimDuration,
    /// Switch intervals of the heatmap (columns).
    pub intervals: Vec<SimDuration>,
    /// Pool sizes of the heatmap (rows).
    pub workers: Vec<usize>,
    /// Whole seconds `from..to` over which the heatmap's rate is averaged.
    pub rate_seconds: (usize, usize),
    /// Run length of the extra simulations (None: the lesson's 12 s).
    pub duration: Option<SimDuration>,
}

impl Default for LessonFigureOptions {
    fn default() -> Self {
        LessonFigureOptions {
            client: "simple".into(),
            window_from: SimDuration::from_secs(3),
            window_len: SimDuration::from_millis(50),
            intervals: [20_000u64, 10_000, 5_000, 2_000, 1_000, 500, 200, 100]
                .iter()
                .map(|&us| SimDuration::from_micros(us))
                .collect(),
            workers: vec![1, 2, 3, 4, 6],
            rate_seconds: (3, 12),
            duration: None,
        }
    }
}

/// The lesson's thread-pool scenario with `interval`, `placement` and `workers` (None: the
/// default pool), and `duration` if given.
pub fn thread_scenario(
    interval: SimDuration,
    placement: Placement,
    workers: Option<usize>,
    duration: Option<SimDuration>,
) -> Scenario {
    let mut s = lesson::scenario(ExecutorKind::Thread, interval, placement);
    s.server.workers = workers;
    if let Some(d) = duration {
        s.duration = d;
    }
    s
}

/// The rate of `client` over whole seconds `from..to` for each switch interval (column) and
/// pool size (row) of the lesson's thread-pool scenario with `placement`. Cells are simulated
/// in parallel; the grid does not depend on the number of threads.
pub fn interval_workers_grid(
    cal: &Calibration,
    placement: Placement,
    opts: &LessonFigureOptions,
) -> Grid {
    let cells: Vec<(usize, usize)> = (0..opts.workers.len())
        .flat_map(|r| (0..opts.intervals.len()).map(move |c| (r, c)))
        .collect();
    let rates: Vec<f64> = cells
        .par_iter()
        .map(|&(r, c)| {
            let s = thread_scenario(
                opts.intervals[c],
                placement,
                Some(opts.workers[r]),
                opts.duration,
            );
            let out = simulate(&s, cal, &SimOptions::default());
            out.result
                .client(&opts.client)
                .map(|cl| cl.rate(opts.rate_seconds.0, opts.rate_seconds.1))
                .unwrap_or(0.0)
        })
        .collect();
    Grid {
        x_labels: opts.intervals.iter().map(|d| d.to_string()).collect(),
        y_labels: opts.workers.iter().map(|w| w.to_string()).collect(),
        values: rates
            .chunks(opts.intervals.len())
            .map(|r| r.to_vec())
            .collect(),
    }
}

/// Simulates the lesson's thread-pool scenario (switch interval 5 ms) with `placement`,
/// traced, and returns its GIL timeline over the options' window.
pub fn lesson_timeline(
    cal: &Calibration,
    placement: Placement,
    opts: &LessonFigureOptions,
) -> GilTimeline {
    let interval = SimDuration::from_millis(5);
    let s = thread_scenario(interval, placement, None, opts.duration);
    let out = simulate(
        &s,
        cal,
        &SimOptions {
            trace: true,
            ..SimOptions::default()
        },
    );
    let from = SimTime::ZERO + opts.window_from;
    let mut t = GilTimeline::new(
        s.label(),
        &out.trace,
        &out.thread_names,
        from,
        from + opts.window_len,
    );
    t.subtitle = match placement {
        Placement::Convoy => format!(
            "event loop and clients pinned to core 0, pool workers to core 1; switch interval \
             {interval}.\nThe worker running the long request holds the GIL; every other thread \
             gets it only when its drop request times out, a full interval later."
        ),
        Placement::Shared => format!(
            "event loop, clients and pool workers all pinned to core 0; switch interval \
             {interval}.\nWhile the OS runs the long request's worker the others wait; while it \
             is descheduled they have the GIL to themselves and serve bursts of requests."
        ),
        Placement::Unpinned => format!(
            "no affinity (the scheduler places threads on 2 cores); switch interval {interval}."
        ),
    };
    t
}

/// Makes every simulated figure of the lesson in `dir` from its runs (as
/// [`lesson::scenarios`] gives them, simulated with `cal`), simulating the traced runs and the
/// heatmap grid it also needs. Returns the files written (PNG and SVG of each).
pub fn lesson_figures(
    runs: &[RunResult],
    cal: &Calibration,
    dir: &Path,
    opts: &LessonFigureOptions,
) -> PlotResult<Vec<PathBuf>> {
    let mut files = Vec::new();
    let client = opts.client.as_str();
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
    // The traced runs and the grid are independent simulations: run them side by side.
    let ((own, shared), (grid_own, grid_shared)) = rayon::join(
        || {
            rayon::join(
                || lesson_timeline(cal, Placement::Convoy, opts),
                || lesson_timeline(cal, Placement::Shared, opts),
            )
        },
        || {
            rayon::join(
                || interval_workers_grid(cal, Placement::Convoy, opts),
                || interval_workers_grid(cal, Placement::Shared, opts),
            )
        },
    );
    files.extend(save(&own, dir, "gil_timeline_own_core")?);
    files.extend(save(&shared, dir, "gil_timeline_shared_core")?);
    let (from, to) = opts.rate_seconds;
    let heat = Heatmap {
        title: format!("Rate of client \"{client}\" during the long request, thread pool"),
        subtitle: format!(
            "mean completed requests per second over seconds {from} to {to}, by \
             sys.setswitchinterval and pool size (simulated, seed {})\nwith one worker the long \
             request takes the whole pool (0 req/s); more workers do not help: one GIL",
            runs.first().map(|r| r.seed).unwrap_or(7)
        ),
        x_desc: "switch interval (sys.setswitchinterval)".into(),
        y_desc: "pool workers".into(),
        value_desc: "requests/s".into(),
        x_labels: grid_own.x_labels.clone(),
        y_labels: grid_own.y_labels.clone(),
        panels: vec![
            HeatmapPanel {
                title: "workers on their own core (core 1)".into(),
                values: grid_own.values,
            },
            HeatmapPanel {
                title: "workers sharing core 0 with the loop".into(),
                values: grid_shared.values,
            },
        ],
    };
    files.extend(save(&heat, dir, "heatmap_switch_interval_workers")?);
    Ok(files)
}

/// Makes one traced run's figures in `dir`: every client's rate, latency percentiles and
/// distribution, and the GIL timeline over `[from, from + len)`. Returns the files written.
pub fn run_figures(
    out: &SimOutput,
    dir: &Path,
    from: SimDuration,
    len: SimDuration,
) -> PlotResult<Vec<PathBuf>> {
    let r = &out.result;
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
    if !out.trace.is_empty() {
        let start = SimTime::ZERO + from;
        let t = GilTimeline::new(
            &r.scenario,
            &out.trace,
            &out.thread_names,
            start,
            start + len,
        );
        files.extend(save(&t, dir, "gil_timeline")?);
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
