//! Calibration: timing the real prime core, fitting the cost model, and fitting the
//! simulator's per-step costs from live runs.
//!
//! `execsim calibrate --backend rust|cpython` times `find_nth_prime(n)` at a handful of n,
//! takes the median time per call at each, and fits
//! `t(n) = per_call_ns + per_candidate_ns × candidates(n) + per_test_ns × tests(n)`
//! with the exact counts of [`crate::workload::prime::op_count`] (see [`fit_weighted`]). The
//! result is a [`CoreCalibration`](crate::sim::calibration::CoreCalibration) that
//! [`merge_into_file`] writes into a calibration file, replacing only that backend's section.
//!
//! - **Rust** ([`rust_core`]): the crate's own [`crate::workload::prime::find_nth_prime`],
//!   timed in-process with [`std::time::Instant`] and [`std::hint::black_box`]. Meaningful
//!   only in a release build (a warning is printed otherwise).
//! - **CPython** ([`cpython_core`]): the lesson's functions, verbatim, in a script
//!   (`src/calibrate/calibrate_core.py`, embedded) run by `python3 -I -c`; it times them with
//!   `time.perf_counter_ns` and prints JSON. The subprocess runs under the crate's one child
//!   supervisor ([`crate::live::supervise`]): bounded in time (on timeout it is killed), and
//!   always reaped.
//!
//! Small n take nanoseconds to microseconds, so each timed sample is a *batch* of k calls
//! lasting at least [`CalibrateOptions::min_batch`]; the per-call time is batch time / k (this
//! includes the loop's own per-call overhead, a few ns in Rust, ~10 ns in CPython, which
//! ends up in `per_call_ns`). After sizing the batches, samples are taken in rounds (one batch
//! of every n per round) so that a slow period of a shared machine spreads over all points
//! instead of corrupting one; the median per n is kept.
//!
//! One concept per file: [`options`] (what to measure), [`measurement`] (raw timings),
//! [`rust_core`], [`cpython_core`], [`fit`] (weighted least squares), [`run`] (a whole
//! calibration and writing it), [`machine_info`] (the `[meta]` of this machine), [`error`],
//! [`live_fit`] (the service costs from live runs), [`trace_fit`] (the service costs measured
//! from live GIL traces; [`trace_process`] and [`trace_threads`] say which segment each key is), and [`validate`] (the validation matrix,
//! `execsim validate`). Everything public is re-exported
//! here.

pub mod bytes_probe;
pub mod cpython_core;
pub mod error;
pub mod fit;
pub mod live_fit;
pub mod machine_info;
pub mod measurement;
pub mod options;
pub mod run;
pub mod rust_core;
pub mod trace_fit;
pub mod trace_process;
pub mod trace_refill;
pub mod trace_threads;
pub mod trace_wakes;
pub mod validate;
pub mod wake_probe;

pub use crate::sim::calibration::Merged;
pub use cpython_core::{measure_cpython, CPYTHON_SCRIPT};
pub use error::CalibrateError;
pub use fit::{fit_weighted, Fit, FitError, FitPoint};
pub use machine_info::{iso8601_from_unix, machine_meta, utc_now_iso8601};
pub use measurement::{Measured, Measurement};
pub use options::{CalibrateOptions, CPYTHON_DEFAULT_NS, LONG_REQUEST_N, RUST_DEFAULT_NS};
pub use run::{calibrate, merge_into_file, round_sig, CalibrationRun, RunPoint};
pub use rust_core::measure_rust;
