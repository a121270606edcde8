//! Sweeps: one base scenario, many variations, run in parallel, one CSV row per point.
//!
//! A sweep file is a scenario file with a `[sweep]` table (or a `[sweep]` table naming a
//! `base` scenario file):
//!
//! ```toml
//! # ... the base scenario's keys ...
//! [sweep]
//! reps = 3                      # replications per point, with derived seeds (default 1)
//! sample = 100                  # optional: a seeded random sample of grid points
//! sample_seed = 1
//! [sweep.grid]                  # dotted scenario keys -> the values to try
//! "python.switch_interval" = ["20ms", "5ms", "1ms"]
//! "server.workers" = [1, 2, 4]
//! "clients[1].n" = [1000, 100000]
//! ```
//!
//! Points are the grid's cartesian product in row-major order (the first key varies
//! slowest), numbered from 0; a sample keeps a seeded choice of them, in index order. Each
//! point runs `reps` times: with one rep, the scenario's own seed (so `execsim run` replays
//! it); with more, seeds derived from it by [`RngStreams::replication_seed`]. Every run is
//! independent and the rows come out in point order, so the CSV does not depend on how many
//! threads ran it. `--shard I/N` keeps the points whose index is I modulo N, and [`merge`]
//! joins shard files into the file a single run would have written.

use crate::kernel::RngStreams;
use crate::sim::calibration::Calibration;
use crate::sim::results::RunResult;
use crate::sim::run::{simulate, SimOptions};
use crate::sim::scenario::{Scenario, ScenarioError};
use rayon::prelude::*;
use std::fmt::Write as _;
use std::path::Path;

/// A parsed sweep: the base scenario (as TOML, so that any key can be set) and the grid.
#[derive(Clone, Debug)]
pub struct Sweep {
    base: toml::Table,
    /// The grid: dotted key and the values to try, in file order.
    pub grid: Vec<(String, Vec<toml::Value>)>,
    /// Replications per point.
    pub reps: u32,
    /// Random sample size (None: the whole grid).
    pub sample: Option<usize>,
    /// Seed of the sample's choice.
    pub sample_seed: u64,
}

/// One point of a sweep.
#[derive(Clone, Debug)]
pub struct Point {
    /// Its index in the full grid.
    pub index: usize,
    /// The value given to each grid key (as TOML text).
    pub values: Vec<String>,
    /// The scenario (validated), seed of rep 0.
    pub scenario: Scenario,
}

/// Errors of sweep files.
#[derive(Debug, thiserror::Error)]
pub enum SweepError {
    /// The file could not be read or parsed.
    #[error("{0}")]
    Io(String),
    /// A key of the `[sweep]` table is wrong.
    #[error("sweep.{key}: {message}")]
    Sweep {
        /// The key.
        key: String,
        /// What is wrong.
        message: String,
    },
    /// A grid point makes an invalid scenario.
    #[error("grid point {index} ({values}): {error}")]
    Point {
        /// The point's index.
        index: usize,
        /// Its key = value pairs.
        values: String,
        /// The scenario error.
        error: ScenarioError,
    },
}

fn sweep_err(key: &str, message: impl Into<String>) -> SweepError {
    SweepError::Sweep {
        key: key.into(),
        message: message.into(),
    }
}

impl Sweep {
    /// Reads a sweep file.
    pub fn from_file(path: &Path) -> Result<Sweep, SweepError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| SweepError::Io(format!("cannot read {}: {e}", path.display())))?;
        Sweep::from_toml(
            &text,
            path.parent(),
            path.file_stem().and_then(|s| s.to_str()),
        )
    }

    /// Parses a sweep from text; `dir` resolves a relative `base` path; `stem` names the
    /// scenario if it has no name.
    pub fn from_toml(
        text: &str,
        dir: Option<&Path>,
        stem: Option<&str>,
    ) -> Result<Sweep, SweepError> {
        let mut doc: toml::Table = text.parse().map_err(|e: toml::de::Error| {
            SweepError::Io(format!("not valid TOML: {}", e.message()))
        })?;
        let sweep = match doc.remove("sweep") {
            Some(toml::Value::Table(t)) => t,
            Some(_) => return Err(sweep_err("", "must be a table")),
            None => {
                return Err(sweep_err(
                    "",
                    "a [sweep] table with a [sweep.grid] is required",
                ))
            }
        };
        let mut base = doc;
        let mut reps = 1u32;
        let mut sample = None;
        let mut sample_seed = 1u64;
        let mut grid = Vec::new();
        for (k, v) in sweep {
            match k.as_str() {
                "base" => {
                    let p = v
                        .as_str()
                        .ok_or_else(|| sweep_err("base", "must be a file path"))?;
                    let path = dir.map(|d| d.join(p)).unwrap_or_else(|| p.into());
                    let t = std::fs::read_to_string(&path).map_err(|e| {
                        sweep_err("base", format!("cannot read {}: {e}", path.display()))
                    })?;
                    let mut b: toml::Table = t.parse().map_err(|e: toml::de::Error| {
                        sweep_err("base", format!("{}: {}", path.display(), e.message()))
                    })?;
                    if !base.is_empty() {
                        return Err(sweep_err(
                            "base",
                            "give the base scenario inline or as a file, not both",
                        ));
                    }
                    if !b.contains_key("name") {
                        if let Some(s) = path.file_stem().and_then(|s| s.to_str()) {
                            b.insert("name".into(), s.into());
                        }
                    }
                    base = b;
                }
                "reps" => {
                    reps = v
                        .as_integer()
                        .filter(|&r| (1..=10_000).contains(&r))
                        .ok_or_else(|| {
                            sweep_err("reps", "must be a whole number from 1 to 10000")
                        })? as u32;
                }
                "sample" => {
                    sample = Some(
                        v.as_integer()
                            .filter(|&r| r >= 1)
                            .ok_or_else(|| sweep_err("sample", "must be a positive whole number"))?
                            as usize,
                    );
                }
                "sample_seed" => {
                    sample_seed = v.as_integer().filter(|&r| r >= 0).ok_or_else(|| {
                        sweep_err("sample_seed", "must be a non-negative whole number")
                    })? as u64;
                }
                "grid" => {
                    let t = v
                        .as_table()
                        .ok_or_else(|| sweep_err("grid", "must be a table of key = [values]"))?;
                    for (key, vals) in t {
                        let arr = vals.as_array().filter(|a| !a.is_empty()).ok_or_else(|| {
                            sweep_err(
                                &format!("grid.\"{key}\""),
                                "must be a non-empty list of values",
                            )
                        })?;
                        grid.push((key.clone(), arr.clone()));
                    }
                }
                other => {
                    return Err(sweep_err(
                        other,
                        "unknown key (expected base, reps, sample, sample_seed, grid)",
                    ))
                }
            }
        }
        if grid.is_empty() {
            return Err(sweep_err(
                "grid",
                "at least one key with values is required",
            ));
        }
        if !base.contains_key("name") {
            if let Some(s) = stem {
                base.insert("name".into(), s.into());
            }
        }
        let total: usize = grid.iter().map(|(_, v)| v.len()).product();
        if total > 10_000_000 {
            return Err(sweep_err(
                "grid",
                format!("{total} points is more than 10,000,000"),
            ));
        }
        let sw = Sweep {
            base,
            grid,
            reps,
            sample,
            sample_seed,
        };
        // Check the base and every key's path now, on the first point, so errors come early.
        sw.point(0)?;
        Ok(sw)
    }

    /// Number of points in the full grid.
    pub fn grid_size(&self) -> usize {
        self.grid.iter().map(|(_, v)| v.len()).product()
    }

    /// The indices of the points to run: the whole grid, or a seeded sample of it.
    pub fn indices(&self) -> Vec<usize> {
        let n = self.grid_size();
        match self.sample {
            Some(k) if k < n => {
                // Partial Fisher-Yates over the indices, from a named stream.
                let mut rng = RngStreams::new(self.sample_seed).stream("sweep/sample");
                let mut idx: Vec<usize> = (0..n).collect();
                for i in 0..k {
                    let j = i + rng.below((n - i) as u64) as usize;
                    idx.swap(i, j);
                }
                let mut chosen = idx[..k].to_vec();
                chosen.sort_unstable();
                chosen
            }
            _ => (0..n).collect(),
        }
    }

    /// The point with grid index `index`.
    pub fn point(&self, index: usize) -> Result<Point, SweepError> {
        let mut doc = toml::Value::Table(self.base.clone());
        let mut rest = index;
        let mut values = vec![String::new(); self.grid.len()];
        for (k, (key, vals)) in self.grid.iter().enumerate().rev() {
            let v = &vals[rest % vals.len()];
            rest /= vals.len();
            set_path(&mut doc, key, v.clone())
                .map_err(|m| sweep_err(&format!("grid.\"{key}\""), m))?;
            values[k] = value_text(v);
        }
        let text = toml::to_string(&doc).map_err(|e| SweepError::Io(e.to_string()))?;
        let scenario = Scenario::from_toml(&text).map_err(|error| SweepError::Point {
            index,
            values: self
                .grid
                .iter()
                .zip(&values)
                .map(|((k, _), v)| format!("{k} = {v}"))
                .collect::<Vec<_>>()
                .join(", "),
            error,
        })?;
        Ok(Point {
            index,
            values,
            scenario,
        })
    }
}

fn value_text(v: &toml::Value) -> String {
    match v {
        toml::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Sets `doc[path] = v`, where path is dotted with optional `[i]` indices:
/// `python.switch_interval`, `clients[1].n`, `affinity.workers`.
fn set_path(doc: &mut toml::Value, path: &str, v: toml::Value) -> Result<(), String> {
    let mut cur = doc;
    let parts: Vec<&str> = path.split('.').collect();
    for (i, part) in parts.iter().enumerate() {
        let last = i + 1 == parts.len();
        let (name, index) = match part.split_once('[') {
            Some((n, rest)) => {
                let idx: usize = rest
                    .strip_suffix(']')
                    .and_then(|x| x.parse().ok())
                    .ok_or_else(|| format!("bad index in {part:?}"))?;
                (n, Some(idx))
            }
            None => (*part, None),
        };
        let table = cur
            .as_table_mut()
            .ok_or_else(|| format!("{name:?} is not inside a table"))?;
        match index {
            None if last => {
                table.insert(name.to_string(), v);
                return Ok(());
            }
            None => {
                cur = table
                    .entry(name.to_string())
                    .or_insert_with(|| toml::Value::Table(toml::Table::new()));
            }
            Some(idx) => {
                let arr = table
                    .get_mut(name)
                    .and_then(|x| x.as_array_mut())
                    .ok_or_else(|| format!("{name:?} is not a list in the base scenario"))?;
                let len = arr.len();
                let slot = arr
                    .get_mut(idx)
                    .ok_or_else(|| format!("{name}[{idx}] does not exist ({len} entries)"))?;
                if last {
                    *slot = v;
                    return Ok(());
                }
                cur = slot;
            }
        }
    }
    Ok(())
}

/// The metrics of one run that a sweep row reports.
#[derive(Clone, Debug, PartialEq)]
pub struct Metrics {
    /// Column names, in order.
    pub names: Vec<String>,
    /// Values, in the same order.
    pub values: Vec<f64>,
}

/// Per-phase rates and latency percentiles of each client. Phases start at each distinct
/// client start time (whole seconds) and end at the next or at the end of the run; the first
/// second of a phase is left out when the phase is longer than one second (start-up
/// transient), as in the lesson's "before" and "during".
pub fn metrics(r: &RunResult) -> Metrics {
    let secs = r.seconds();
    let mut starts: Vec<usize> = r
        .clients
        .iter()
        .map(|c| c.start_s.ceil() as usize)
        .collect();
    starts.push(0);
    starts.sort_unstable();
    starts.dedup();
    starts.retain(|&s| s < secs);
    let mut names = Vec::new();
    let mut values = Vec::new();
    for c in &r.clients {
        for (k, &from) in starts.iter().enumerate() {
            let to = starts.get(k + 1).copied().unwrap_or(secs);
            let from_eff = if to - from > 1 { from + 1 } else { from };
            names.push(format!("{}.rate@{}s", c.name, from));
            values.push(c.rate(from_eff, to));
        }
        names.push(format!("{}.completed", c.name));
        values.push(c.completed as f64);
        for (label, v) in [
            ("p50_us", c.latency_us.p50),
            ("p90_us", c.latency_us.p90),
            ("p99_us", c.latency_us.p99),
            ("p999_us", c.latency_us.p999),
        ] {
            names.push(format!("{}.{label}", c.name));
            values.push(v as f64);
        }
    }
    Metrics { names, values }
}

/// Two-sided 95% Student t quantile for `df` degrees of freedom.
pub fn t95(df: usize) -> f64 {
    const T: [f64; 30] = [
        12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160,
        2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056,
        2.052, 2.048, 2.045, 2.042,
    ];
    match df {
        0 => f64::NAN,
        1..=30 => T[df - 1],
        31..=60 => 2.00,
        61..=120 => 1.98,
        _ => 1.96,
    }
}

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

/// The CSV text of results: a header, then one row per point in order.
pub fn to_csv(sweep: &Sweep, results: &[PointResult]) -> String {
    let mut w = csv::WriterBuilder::new().from_writer(Vec::new());
    let mut header: Vec<String> = vec!["point".into()];
    header.extend(sweep.grid.iter().map(|(k, _)| k.clone()));
    header.push("seed".into());
    header.push("reps".into());
    if let Some(first) = results.first() {
        for n in &first.names {
            header.push(n.clone());
            if sweep.reps > 1 {
                header.push(format!("{n}.ci95"));
            }
        }
    }
    header.push("trace_hash".into());
    w.write_record(&header).expect("in-memory CSV");
    for r in results {
        let mut row: Vec<String> = vec![r.point.index.to_string()];
        row.extend(r.point.values.iter().cloned());
        row.push(r.point.scenario.seed.to_string());
        row.push(sweep.reps.to_string());
        for (j, m) in r.mean.iter().enumerate() {
            row.push(fmt_num(*m));
            if sweep.reps > 1 {
                row.push(fmt_num(r.ci95[j]));
            }
        }
        row.push(r.trace_hashes.join(" "));
        w.write_record(&row).expect("in-memory CSV");
    }
    String::from_utf8(w.into_inner().expect("in-memory CSV")).expect("UTF-8")
}

fn fmt_num(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{}", x as i64)
    } else {
        let mut s = String::new();
        let _ = write!(s, "{x:.4}");
        s
    }
}

/// Joins shard CSVs into the CSV a single run would have written: same header everywhere,
/// rows sorted by point, no point twice.
pub fn merge(texts: &[String]) -> Result<String, String> {
    let mut header: Option<csv::StringRecord> = None;
    let mut rows: Vec<(usize, csv::StringRecord)> = Vec::new();
    for (k, t) in texts.iter().enumerate() {
        let mut r = csv::ReaderBuilder::new().from_reader(t.as_bytes());
        let h = r.headers().map_err(|e| format!("file {k}: {e}"))?.clone();
        match &header {
            None => header = Some(h),
            Some(h0) if *h0 != h => {
                return Err(format!(
                    "file {k}: its header differs from the first file's"
                ))
            }
            _ => {}
        }
        for rec in r.records() {
            let rec = rec.map_err(|e| format!("file {k}: {e}"))?;
            let idx: usize = rec
                .get(0)
                .and_then(|x| x.parse().ok())
                .ok_or_else(|| format!("file {k}: a row without a point number"))?;
            rows.push((idx, rec));
        }
    }
    let header = header.ok_or("nothing to merge")?;
    rows.sort_by_key(|(i, _)| *i);
    for w in rows.windows(2) {
        if w[0].0 == w[1].0 {
            return Err(format!("point {} appears twice", w[0].0));
        }
    }
    let mut w = csv::WriterBuilder::new().from_writer(Vec::new());
    w.write_record(&header).map_err(|e| e.to_string())?;
    for (_, r) in rows {
        w.write_record(&r).map_err(|e| e.to_string())?;
    }
    String::from_utf8(w.into_inner().map_err(|e| e.to_string())?).map_err(|e| e.to_string())
}

/// Column labels, row labels and a matrix of values `[row][column]`.
pub type GridMatrix = (Vec<String>, Vec<String>, Vec<Vec<f64>>);

/// For a two-key grid: the x labels (second key), y labels (first key) and, for `metric`,
/// the matrix of means `[y][x]` (NaN where a point was not run), for a heatmap.
pub fn grid_matrix(sweep: &Sweep, results: &[PointResult], metric: &str) -> Option<GridMatrix> {
    if sweep.grid.len() != 2 {
        return None;
    }
    let ys: Vec<String> = sweep.grid[0].1.iter().map(value_text).collect();
    let xs: Vec<String> = sweep.grid[1].1.iter().map(value_text).collect();
    let mut m = vec![vec![f64::NAN; xs.len()]; ys.len()];
    for r in results {
        let j = r.names.iter().position(|n| n == metric)?;
        let (y, x) = (r.point.index / xs.len(), r.point.index % xs.len());
        m[y][x] = r.mean[j];
    }
    Some((xs, ys, m))
}
