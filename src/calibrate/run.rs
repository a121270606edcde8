//! One calibration run: measure a backend's core ([`super::rust_core`] or
//! [`super::cpython_core`]), fit the cost model ([`super::fit`]), and describe the result
//! with its provenance as the `[core.<backend>]` section of a calibration file, which
//! [`merge_into_file`] writes.

use super::cpython_core::measure_cpython;
use super::error::CalibrateError;
use super::fit::{fit_weighted, Fit, FitPoint};
use super::machine_info::{machine_meta, utc_now_iso8601};
use super::measurement::{Measured, Measurement};
use super::options::CalibrateOptions;
use super::rust_core::measure_rust;
use crate::live::stats::median;
use crate::sim::calibration::{
    human_duration, Calibration, CoreCalibration, FitInfo, FitPointRecord, Merged,
};
use crate::workload::cost::Backend;
use crate::workload::prime::{op_count, OpCount};
use std::fmt;
use std::path::Path;

/// One row of a calibration run's report.
#[derive(Clone, Debug, PartialEq)]
pub struct RunPoint {
    /// Exact counts of the call.
    pub ops: OpCount,
    /// The raw timings.
    pub measurement: Measurement,
    /// The fitted model's prediction, nanoseconds.
    pub predicted_ns: f64,
}

/// A finished calibration of one backend: the section to store and the details to show.
#[derive(Clone, Debug)]
pub struct CalibrationRun {
    /// The backend measured.
    pub backend: Backend,
    /// The section to store in a calibration file.
    pub core: CoreCalibration,
    /// The unrounded fit.
    pub fit: Fit,
    /// Per-n details.
    pub points: Vec<RunPoint>,
    /// Warnings raised while measuring.
    pub warnings: Vec<String>,
}

/// A median spread between samples above this makes [`calibrate`] warn that the machine is
/// noisy (undisturbed runs here show 1 to 5%).
const NOISY_SPREAD: f64 = 0.10;

/// Rounds to `digits` significant digits (so that the file holds `64.123`, not
/// `64.12298765432101`).
pub fn round_sig(x: f64, digits: usize) -> f64 {
    if x == 0.0 || !x.is_finite() {
        return x;
    }
    format!("{:.*e}", digits.saturating_sub(1), x)
        .parse()
        .unwrap_or(x)
}

/// Measures `opts.backend`, fits the coefficients and returns them with their provenance.
pub fn calibrate(opts: &CalibrateOptions) -> Result<CalibrationRun, CalibrateError> {
    let counts = check_options(opts)?;
    let date = utc_now_iso8601();
    let measured = match opts.backend {
        Backend::Rust => measure_rust(&opts.ns, opts.samples, opts.min_batch, opts.progress)?,
        Backend::Cpython => {
            if opts.handle_ctrlc {
                crate::live::supervise::install_ctrlc_handler();
            }
            measure_cpython(
                &opts.python,
                &opts.ns,
                opts.samples,
                opts.min_batch,
                opts.timeout,
                opts.progress,
            )?
        }
    };
    let fit_points: Vec<FitPoint> = counts
        .iter()
        .zip(&measured.points)
        .map(|(c, m)| FitPoint::new(c, m.median()))
        .collect();
    let fit = fit_weighted(&fit_points)?;
    let Measured {
        runtime,
        points,
        mut warnings,
    } = measured;
    let spreads: Vec<f64> = points.iter().map(Measurement::spread).collect();
    let typical_spread = median(&spreads);
    if typical_spread > NOISY_SPREAD {
        let w = format!(
            "the timings are noisy (median spread {:.0}% between samples of the same n): the \
             machine (or its host) may be busy; check `uptime` and re-run",
            100.0 * typical_spread
        );
        eprintln!("warning: {w}");
        warnings.push(w);
    }
    let points: Vec<RunPoint> = counts
        .iter()
        .zip(points)
        .zip(&fit.predicted)
        .map(|((&ops, measurement), &predicted_ns)| RunPoint {
            ops,
            measurement,
            predicted_ns,
        })
        .collect();
    let core = CoreCalibration {
        per_call_ns: round_sig(fit.cost.per_call_ns, 5),
        per_candidate_ns: round_sig(fit.cost.per_candidate_ns, 5),
        per_test_ns: round_sig(fit.cost.per_test_ns, 5),
        fit: Some(fit_info(opts, date, runtime, &fit, &points)),
    };
    Ok(CalibrationRun {
        backend: opts.backend,
        core,
        fit,
        points,
        warnings,
    })
}

/// Checks that the options make sense (samples ≥ 1, at least three distinct n, every n
/// countable) and returns the exact counts of each n.
fn check_options(opts: &CalibrateOptions) -> Result<Vec<OpCount>, CalibrateError> {
    if opts.samples == 0 {
        return Err(CalibrateError::Options("samples must be at least 1".into()));
    }
    let mut distinct = opts.ns.clone();
    distinct.sort_unstable();
    distinct.dedup();
    if distinct.len() < 3 {
        return Err(CalibrateError::Options(format!(
            "need at least 3 distinct values of n, got {:?}",
            opts.ns
        )));
    }
    Ok(opts
        .ns
        .iter()
        .map(|&n| op_count(n))
        .collect::<Result<_, _>>()?)
}

/// The provenance of a fit, as stored in `[core.<backend>.fit]` (numbers rounded).
fn fit_info(
    opts: &CalibrateOptions,
    date: String,
    runtime: String,
    fit: &Fit,
    points: &[RunPoint],
) -> FitInfo {
    FitInfo {
        date,
        command: opts.command.clone(),
        host: machine_meta().host,
        runtime,
        samples: opts.samples,
        method: "weighted least squares on (1, candidates, tests) with weights 1/t^2 \
                 (relative error), coefficients >= 0; t = median per-call time"
            .to_string(),
        clamped: fit.clamped.iter().map(|s| s.to_string()).collect(),
        r2: round_sig(fit.r2, 7),
        max_rel_residual: round_sig(fit.max_rel_residual, 4),
        rms_rel_residual: round_sig(fit.rms_rel_residual, 4),
        points: points
            .iter()
            .map(|p| {
                let measured_ns = p.measurement.median();
                FitPointRecord {
                    n: p.ops.n,
                    measured_ns: round_sig(measured_ns, 5),
                    predicted_ns: round_sig(p.predicted_ns, 5),
                    rel_error: round_sig((p.predicted_ns - measured_ns) / measured_ns, 4),
                }
            })
            .collect(),
    }
}

impl fmt::Display for CalibrationRun {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(info) = &self.core.fit {
            writeln!(
                f,
                "{} core: {}, median of {} samples per n",
                self.backend, info.runtime, info.samples
            )?;
        }
        writeln!(
            f,
            "{:>6} {:>8} {:>12} {:>10} {:>9} {:>10} {:>7} {:>10} {:>8}",
            "n",
            "p_n",
            "tests",
            "candidates",
            "batch",
            "measured",
            "spread",
            "predicted",
            "rel.err"
        )?;
        for p in &self.points {
            let m = p.measurement.median();
            writeln!(
                f,
                "{:>6} {:>8} {:>12} {:>10} {:>9} {:>10} {:>6.1}% {:>10} {:>+7.2}%",
                p.ops.n,
                p.ops.prime,
                p.ops.tests,
                p.ops.candidates,
                p.measurement.batch,
                human_duration(m),
                100.0 * p.measurement.spread(),
                human_duration(p.predicted_ns),
                100.0 * (p.predicted_ns - m) / m
            )?;
        }
        writeln!(
            f,
            "fit: weighted least squares (weights 1/t², i.e. relative error), coefficients >= 0"
        )?;
        writeln!(f, "  per_call_ns      = {}", self.core.per_call_ns)?;
        writeln!(f, "  per_candidate_ns = {}", self.core.per_candidate_ns)?;
        writeln!(f, "  per_test_ns      = {}", self.core.per_test_ns)?;
        if !self.fit.clamped.is_empty() {
            writeln!(
                f,
                "  (held at 0 because the free fit made them negative: {})",
                self.fit.clamped.join(", ")
            )?;
        }
        writeln!(
            f,
            "  r² (weighted) = {:.6}, max |rel. residual| = {:.2}%, rms = {:.2}%",
            self.fit.r2,
            100.0 * self.fit.max_rel_residual,
            100.0 * self.fit.rms_rel_residual
        )?;
        for w in &self.warnings {
            writeln!(f, "warning: {w}")?;
        }
        Ok(())
    }
}

/// Writes `core` as `backend`'s section of the calibration file at `path`, with this
/// machine's description ([`machine_meta`]) as its `[meta]`; see
/// [`Calibration::merge_core_into_file`] (every other section is kept; a missing file is
/// created from the embedded default; a file that does not parse is left alone).
pub fn merge_into_file(
    path: &Path,
    backend: Backend,
    core: CoreCalibration,
) -> Result<Merged, CalibrateError> {
    Ok(Calibration::merge_core_into_file(
        path,
        backend,
        core,
        machine_meta(),
    )?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounding() {
        assert_eq!(round_sig(64.12298765, 5), 64.123);
        assert_eq!(round_sig(0.000123456, 3), 0.000123);
        assert_eq!(round_sig(0.0, 3), 0.0);
    }

    #[test]
    fn options_are_checked() {
        let mut o = CalibrateOptions::new(Backend::Rust);
        o.ns = vec![1, 10, 10, 1];
        assert!(matches!(calibrate(&o), Err(CalibrateError::Options(_))));
        o.ns = vec![1, 10, 100];
        o.samples = 0;
        assert!(matches!(calibrate(&o), Err(CalibrateError::Options(_))));
    }
}
