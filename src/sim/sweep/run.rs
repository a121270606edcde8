//! Running a sweep: each point's replications, in parallel, in point order, optionally one
//! shard of the points.

use super::metrics::{metrics, t95};
use super::{Point, Sweep, SweepError};
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

/// Which part of a sweep to run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    /// This shard's number, 0-based.
    pub index: usize,
    /// How many shards in all.
    pub count: usize,
}

impl std::str::FromStr for Shard {
    type Err = String;
    /// Parses `I/N` with 0 <= I < N.
    fn from_str(s: &str) -> Result<Shard, String> {
        let (i, n) = s.split_once('/').ok_or("a shard is I/N, e.g. 0/4")?;
        let index: usize = i
            .trim()
            .parse()
            .map_err(|_| format!("bad shard number {i:?}"))?;
        let count: usize = n
            .trim()
            .parse()
            .map_err(|_| format!("bad shard count {n:?}"))?;
        if count == 0 || index >= count {
            return Err(format!("shard {index}/{count}: need 0 <= I < N"));
        }
        Ok(Shard { index, count })
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
    let indices: Vec<usize> = sweep
        .indices()
        .into_iter()
        .filter(|i| shard.is_none_or(|s| i % s.count == s.index))
        .collect();
    let points: Vec<Point> = indices
        .iter()
        .map(|&i| sweep.point(i))
        .collect::<Result<_, _>>()?;
    Ok(points
        .par_iter()
        .map(|p| {
            let r = run_point(p, sweep.reps, cal);
            progress();
            r
        })
        .collect())
}
