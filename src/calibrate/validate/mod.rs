//! `execsim validate`: a fixed matrix of scenarios (`validation/scenarios/`), run live with
//! the CPython reference service and in simulation, compared row by row.
//!
//! - [`matrix`]: the scenario files, each opening with a comment saying what it checks.
//! - [`measure`]: one scenario's live repetitions (host speed and placement regime of each)
//!   and its simulation at the speed they measured
//!   ([`crate::live::host_speed::at_speed`]).
//! - [`intervals`] and [`regime`]: where the threads ran, live (sampled from `/proc`) and
//!   simulated (which thread ran on each core), classified the same way; [`thread_time`]:
//!   each thread's time on a CPU and waiting in a run queue per phase, both sides alike;
//!   [`queue_table`]: those waits simulated against live.
//! - [`rows`]: per scenario, client group and phase, simulated against live (the median of the
//!   repetitions in the simulation's regime), rates and open-loop latency percentiles.
//! - [`values`]: what one run measured; [`results`]: the JSON file of every live repetition's values, which `--sim-only` and
//!   `tests/validation.rs` re-simulate from; [`table`]: the text table and the CSV;
//!   [`misses`]: the rows known to miss (`validation/known-misses.toml`).
//! - [`session`]: a live session (merged into the results on file) or a `--sim-only` one.

pub mod intervals;
pub mod matrix;
pub mod measure;
pub mod misses;
pub mod queue_table;
pub mod regime;
pub mod results;
pub mod rows;
pub mod session;
pub mod table;
pub mod thread_time;
pub mod values;
