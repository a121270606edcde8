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
//! A sweep can be stopped and resumed: each finished point is appended to a [`Checkpoint`]
//! file as it finishes, with everything its CSV row needs, under a header that identifies the
//! sweep (hashes of the resolved sweep and of the calibration, and the shard); a resumed run
//! skips the points the checkpoint holds and writes the same CSV an uninterrupted run would.
//!
//! One concept per file: the sweep and its points (here), reading the file and its errors
//! (`file.rs`, `error.rs`), the grid and its points (`grid.rs`), shards (`shard.rs`), a row's
//! metrics (`metrics.rs`), running points (`run.rs`), the checkpoint (`checkpoint.rs`), the
//! CSV and its merge (`csv_file.rs`), and a two-key grid as a heatmap's matrix (`matrix.rs`).

mod checkpoint;
mod csv_file;
mod error;
mod file;
mod grid;
mod matrix;
mod metrics;
mod run;
mod shard;

pub use checkpoint::{Checkpoint, CheckpointError, CheckpointHeader, Resumed};
pub use csv_file::{merge, to_csv};
pub use error::SweepError;
pub use matrix::{grid_matrix, GridMatrix};
pub use metrics::{metrics, t95, Metrics};
pub use run::{run, run_point, run_points, PointResult};
pub use shard::Shard;

use crate::sim::scenario::Scenario;

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
