//! The simulations behind the lesson's figures: the lesson's thread-pool scenario traced
//! (for the GIL timelines) and simulated over a grid of switch intervals × pool sizes (for the
//! heatmap). The figures themselves only read results ([`crate::output::plot::figures`]);
//! this is where `execsim lesson` and `execsim plot lesson` simulate what they need.

use crate::kernel::SimDuration;
use crate::output::plot::figures::{
    self as draw, own_core_caption, run_timeline, shared_core_caption, unpinned_caption, Grid,
    LessonResults, TracedRun,
};
use crate::output::plot::timeline::GilTimeline;
use crate::output::plot::PlotResult;
use crate::sim::calibration::Calibration;
use crate::sim::lesson::{self, Placement};
use crate::sim::results::RunResult;
use crate::sim::run::{simulate, SimOptions, SimOutput};
use crate::sim::scenario::{ExecutorKind, Scenario};
use rayon::prelude::*;
use std::path::{Path, PathBuf};

/// What [`lesson_figures`] simulates beyond the lesson's runs, and which part of it is drawn.
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

/// A simulation's output as the figures read it.
pub fn traced(out: &SimOutput) -> TracedRun<'_> {
    TracedRun {
        result: &out.result,
        trace: &out.trace,
        thread_names: &out.thread_names,
    }
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
/// traced, and returns its GIL timeline over the options' window, its subtitle telling where
/// the threads ran.
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
    let mut t = run_timeline(&traced(&out), opts.window_from, opts.window_len);
    t.subtitle = match placement {
        Placement::Convoy => own_core_caption(interval),
        Placement::Shared => shared_core_caption(interval),
        Placement::Unpinned => unpinned_caption(interval),
    };
    t
}

/// Makes every simulated figure of the lesson in `dir` from its runs (as
/// [`lesson::scenarios`] gives them, simulated with `cal`): simulates the traced runs and the
/// heatmap grid they also need, then draws them all
/// ([`crate::output::plot::figures::lesson_figures`]). Returns the files written (PNG and SVG
/// of each).
pub fn lesson_figures(
    runs: &[RunResult],
    cal: &Calibration,
    dir: &Path,
    opts: &LessonFigureOptions,
) -> PlotResult<Vec<PathBuf>> {
    // The traced runs and the grid are independent simulations: run them side by side.
    let ((own_core, shared_core), (grid_own, grid_shared)) = rayon::join(
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
    let results = LessonResults {
        runs,
        client: &opts.client,
        own_core,
        shared_core,
        grid_own,
        grid_shared,
        rate_seconds: opts.rate_seconds,
    };
    draw::lesson_figures(&results, dir)
}
