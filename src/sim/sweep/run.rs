//! Running a sweep: each point's replications, in parallel, in point order, optionally one
//! shard of the points.

use super::metrics::{metrics, t95};
use super::{Point, Shard, Sweep, SweepError};
use crate::kernel::RngStreams;
use crate::sim::calibration::Calibration;
use crate::sim::run::{simulate, SimOptions};
use rayon::prelude::*;

/// One finished point: its metrics' means (and 95% CI half-widths when reps > 1).
#[derive(Clone, Debug)]
pub struct PointResult {
    /// The point.
    pub point: Point,
    /// Metric names.
    pub names: Vec<String>,
    /// Means over replications.
    pub mean: Vec<f64>,
    /// 95% confidence half-widths (empty with one rep).
    pub ci95: Vec<f64>,
    /// Trace hashes of the replications, in order.
    pub trace_hashes: Vec<String>,
    /// Seeds of the replications, in order.
    pub seeds: Vec<u64>,
}

/// Runs one point's replications.
pub fn run_point(p: &Point, reps: u32, cal: &Calibration) -> PointResult {
    let mut all: Vec<Vec<f64>> = Vec::new();
    let mut names = Vec::new();
    let mut hashes = Vec::new();
    let mut seeds = Vec::new();
    for rep in 0..reps {
        let mut s = p.scenario.clone();
        if reps > 1 {
            s.seed = RngStreams::replication_seed(p.scenario.seed, rep as u64);
        }
        seeds.push(s.seed);
        let out = simulate(&s, cal, &SimOptions::default());
        let m = metrics(&out.result);
        names = m.names;
        all.push(m.values);
        hashes.push(out.result.trace_hash);
    }
    let k = all.len() as f64;
    let cols = names.len();
    let mean: Vec<f64> = (0..cols)
        .map(|j| all.iter().map(|r| r[j]).sum::<f64>() / k)
        .collect();
    let ci95 = if reps > 1 {
        (0..cols)
            .map(|j| {
                let var = all.iter().map(|r| (r[j] - mean[j]).powi(2)).sum::<f64>() / (k - 1.0);
                t95(reps as usize - 1) * (var / k).sqrt()
            })
            .collect()
    } else {
        Vec::new()
    };
    PointResult {
        point: p.clone(),
        names,
        mean,
        ci95,
        trace_hashes: hashes,
        seeds,
    }
}

impl Sweep {
    /// The points of `shard` (all of them without a shard), in order, each checked: the
    /// first invalid one is the error.
    pub fn points(&self, shard: Option<Shard>) -> Result<Vec<Point>, SweepError> {
        self.shard_indices(shard)
            .into_iter()
            .map(|i| self.point(i))
            .collect()
    }
}

/// Runs the sweep's points (those of `shard`, if given) in parallel on the current rayon
/// pool; `progress` is called once per finished point. Results are in point order.
pub fn run(
    sweep: &Sweep,
    cal: &Calibration,
    shard: Option<Shard>,
    progress: &(dyn Fn() + Sync),
) -> Result<Vec<PointResult>, SweepError> {
    let points = sweep.points(shard)?;
    run_points(&points, sweep.reps, cal, &|_| {
        progress();
        Ok(())
    })
}

/// Runs `points` in parallel on the current rayon pool, `reps` replications each, and hands
/// each result to `on_done` as it finishes (in whatever order the threads finish them: a
/// checkpoint appends it there). Results are in the order of `points`; the first error of
/// `on_done` stops the run and is returned.
pub fn run_points<E: Send>(
    points: &[Point],
    reps: u32,
    cal: &Calibration,
    on_done: &(dyn Fn(&PointResult) -> Result<(), E> + Sync),
) -> Result<Vec<PointResult>, E> {
    points
        .par_iter()
        .map(|p| {
            let r = run_point(p, reps, cal);
            on_done(&r)?;
            Ok(r)
        })
        .collect()
}
