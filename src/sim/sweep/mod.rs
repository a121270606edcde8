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
//! it); with more, seeds derived from it by
//! [`RngStreams::replication_seed`](crate::kernel::RngStreams::replication_seed). Every run
//! is independent and the rows come out in point order, so the CSV does not depend on how
//! many threads ran it. `--shard I/N` keeps the points whose index is I modulo N, and [`merge`]
//! joins shard files into the file a single run would have written.
//!
//! One concept per file: the file's `[sweep]` table (here), the grid and its points
//! (`grid.rs`), a row's metrics (`metrics.rs`), running points and shards (`run.rs`), the CSV
//! and its merge (`csv_file.rs`), and a two-key grid as a heatmap's matrix (`matrix.rs`).

mod csv_file;
mod grid;
mod matrix;
mod metrics;
mod run;

pub use csv_file::{merge, to_csv};
pub use matrix::{grid_matrix, GridMatrix};
pub use metrics::{metrics, t95, Metrics};
pub use run::{run, run_point, PointResult, Shard};

use crate::sim::scenario::{Scenario, ScenarioError};
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

/// The keys of a `[sweep]` table besides the grid, with their defaults.
struct Settings {
    reps: u32,
    sample: Option<usize>,
    sample_seed: u64,
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
        let mut settings = Settings {
            reps: 1,
            sample: None,
            sample_seed: 1,
        };
        let mut grid = Vec::new();
        for (k, v) in sweep {
            match k.as_str() {
                "base" => base = read_base(&v, dir, &base)?,
                "grid" => grid = parse_grid(&v)?,
                _ => settings.set(&k, &v)?,
            }
        }
        Sweep::new(base, grid, settings, stem)
    }

    /// The sweep of `base` over `grid`, checked on its first point so errors come early.
    fn new(
        mut base: toml::Table,
        grid: Vec<(String, Vec<toml::Value>)>,
        settings: Settings,
        stem: Option<&str>,
    ) -> Result<Sweep, SweepError> {
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
            reps: settings.reps,
            sample: settings.sample,
            sample_seed: settings.sample_seed,
        };
        // Check the base and every key's path now, on the first point, so errors come early.
        sw.point(0)?;
        Ok(sw)
    }
}

impl Settings {
    /// Sets `reps`, `sample` or `sample_seed`; any other key is an error.
    fn set(&mut self, key: &str, v: &toml::Value) -> Result<(), SweepError> {
        match key {
            "reps" => {
                self.reps = v
                    .as_integer()
                    .filter(|&r| (1..=10_000).contains(&r))
                    .ok_or_else(|| sweep_err("reps", "must be a whole number from 1 to 10000"))?
                    as u32;
            }
            "sample" => {
                self.sample = Some(
                    v.as_integer()
                        .filter(|&r| r >= 1)
                        .ok_or_else(|| sweep_err("sample", "must be a positive whole number"))?
                        as usize,
                );
            }
            "sample_seed" => {
                self.sample_seed = v.as_integer().filter(|&r| r >= 0).ok_or_else(|| {
                    sweep_err("sample_seed", "must be a non-negative whole number")
                })? as u64;
            }
            other => {
                return Err(sweep_err(
                    other,
                    "unknown key (expected base, reps, sample, sample_seed, grid)",
                ))
            }
        }
        Ok(())
    }
}

/// `base = "file.toml"`: the base scenario read from a file (relative to `dir`), named after
/// the file unless it has a name; an error if the sweep file has base keys of its own
/// (`inline`).
fn read_base(
    v: &toml::Value,
    dir: Option<&Path>,
    inline: &toml::Table,
) -> Result<toml::Table, SweepError> {
    let p = v
        .as_str()
        .ok_or_else(|| sweep_err("base", "must be a file path"))?;
    let path = dir.map(|d| d.join(p)).unwrap_or_else(|| p.into());
    let t = std::fs::read_to_string(&path)
        .map_err(|e| sweep_err("base", format!("cannot read {}: {e}", path.display())))?;
    let mut b: toml::Table = t.parse().map_err(|e: toml::de::Error| {
        sweep_err("base", format!("{}: {}", path.display(), e.message()))
    })?;
    if !inline.is_empty() {
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
    Ok(b)
}

/// `[sweep.grid]`: dotted key -> a non-empty list of values, in file order.
fn parse_grid(v: &toml::Value) -> Result<Vec<(String, Vec<toml::Value>)>, SweepError> {
    let t = v
        .as_table()
        .ok_or_else(|| sweep_err("grid", "must be a table of key = [values]"))?;
    let mut grid = Vec::new();
    for (key, vals) in t {
        let arr = vals.as_array().filter(|a| !a.is_empty()).ok_or_else(|| {
            sweep_err(
                &format!("grid.\"{key}\""),
                "must be a non-empty list of values",
            )
        })?;
        grid.push((key.clone(), arr.clone()));
    }
    Ok(grid)
}
