//! The cost model's least-squares fit: `t(n) = per_call_ns + per_candidate_ns × candidates(n)
//! + per_test_ns × tests(n)` from measured median times and the exact counts of
//! [`crate::workload::prime::op_count`].
//!
//! Hand-written: three unknowns with a non-negativity constraint and relative weights are
//! solved exactly in about sixty lines, and the result must not depend on a linear-algebra
//! crate's choice of factorisation.

use crate::workload::cost::CoreCost;
use crate::workload::prime::OpCount;

/// Why [`fit_weighted`] failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum FitError {
    /// Fewer than three points for three coefficients.
    #[error("need at least 3 points to fit 3 coefficients, got {0}")]
    NotEnoughPoints(usize),
    /// A measured time is zero, negative or not a number.
    #[error("point {index} has an unusable time {ns} ns")]
    BadPoint {
        /// Its index.
        index: usize,
        /// The time.
        ns: f64,
    },
    /// The normal equations are singular: the points do not separate the three terms (e.g.
    /// all at the same n, or all with zero tests).
    #[error(
        "the fit is singular: the points cannot separate per-call, per-candidate and per-test \
         costs (use more distinct n, including some above 100)"
    )]
    Singular,
}

/// One point of a fit: counts and measured time.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FitPoint {
    /// Candidates tried by the call.
    pub candidates: f64,
    /// `num % div` tests done by the call.
    pub tests: f64,
    /// Measured nanoseconds per call.
    pub ns: f64,
}

impl FitPoint {
    /// A point from exact counts and a measured time.
    pub fn new(ops: &OpCount, ns: f64) -> Self {
        FitPoint {
            candidates: ops.candidates as f64,
            tests: ops.tests as f64,
            ns,
        }
    }
    fn row(&self) -> [f64; 3] {
        [1.0, self.candidates, self.tests]
    }
}

/// The result of [`fit_weighted`].
#[derive(Clone, Debug, PartialEq)]
pub struct Fit {
    /// The fitted coefficients.
    pub cost: CoreCost,
    /// Names of coefficients held at zero (the free fit made them negative).
    pub clamped: Vec<&'static str>,
    /// Predicted time of each point, in input order.
    pub predicted: Vec<f64>,
    /// Weighted coefficient of determination, `1 − Σ w (y − ŷ)² / Σ w (y − ȳ_w)²` with
    /// w = 1/y² and ȳ_w the weighted mean.
    pub r2: f64,
    /// Largest |ŷ − y| / y.
    pub max_rel_residual: f64,
    /// √(mean of ((ŷ − y) / y)²).
    pub rms_rel_residual: f64,
}

const COEFFICIENT_NAMES: [&str; 3] = ["per_call_ns", "per_candidate_ns", "per_test_ns"];

/// Fits `t = per_call + per_candidate × candidates + per_test × tests` to the points by
/// **weighted least squares with weights 1/t²**, i.e. it minimises the sum of squared
/// *relative* errors Σ ((ŷᵢ − tᵢ)/tᵢ)².
///
/// Why relative: the times span seven orders of magnitude (a few ns at n = 1, seconds at
/// n = 3000 in CPython). Ordinary least squares would fit the largest point almost alone
/// and leave the small ones, the only ones that pin down the per-call and per-candidate
/// terms, wrong by any factor; the noise of a timing is roughly proportional to its size
/// too, so 1/t² is also the right weight statistically. Every point counts equally in
/// percent.
///
/// The 3×3 normal equations `(AᵀWA) β = AᵀWt` are solved directly, after scaling each column
/// to unit norm (the columns differ by up to ~10⁹, which would otherwise wreck the
/// conditioning), by Gaussian elimination with partial pivoting; a near-zero pivot is
/// [`FitError::Singular`]. Coefficients are constrained to be ≥ 0 (a negative cost is noise,
/// not physics): if the free fit gives a negative one, every subset of the coefficients is
/// fitted with the others held at 0 and the best feasible one is kept (exact non-negative
/// least squares for three unknowns); [`Fit::clamped`] names the coefficients held at 0.
///
/// ```
/// use execsim::calibrate::{fit_weighted, FitPoint};
/// let pts: Vec<FitPoint> = [(1.0, 0.0), (10.0, 20.0), (100.0, 900.0), (1000.0, 50000.0)]
///     .iter()
///     .map(|&(c, t)| FitPoint { candidates: c, tests: t, ns: 50.0 + 2.0 * c + 3.0 * t })
///     .collect();
/// let fit = fit_weighted(&pts).unwrap();
/// assert!((fit.cost.per_test_ns - 3.0).abs() < 1e-9);
/// ```
pub fn fit_weighted(points: &[FitPoint]) -> Result<Fit, FitError> {
    if points.len() < 3 {
        return Err(FitError::NotEnoughPoints(points.len()));
    }
    for (index, p) in points.iter().enumerate() {
        if !(p.ns.is_finite() && p.ns > 0.0) {
            return Err(FitError::BadPoint { index, ns: p.ns });
        }
    }
    // Weighted rows: a_i = x_i / t_i, target 1.
    let rows: Vec<[f64; 3]> = points
        .iter()
        .map(|p| {
            let r = p.row();
            [r[0] / p.ns, r[1] / p.ns, r[2] / p.ns]
        })
        .collect();
    let (beta, active) = non_negative_least_squares(&rows).ok_or(FitError::Singular)?;
    let cost = CoreCost {
        per_call_ns: beta[0],
        per_candidate_ns: beta[1],
        per_test_ns: beta[2],
    };
    let predicted: Vec<f64> = points
        .iter()
        .map(|p| beta[0] + beta[1] * p.candidates + beta[2] * p.tests)
        .collect();
    let (r2, max_rel_residual, rms_rel_residual) = quality(points, &predicted);
    Ok(Fit {
        cost,
        clamped: (0..3)
            .filter(|&j| !active[j])
            .map(|j| COEFFICIENT_NAMES[j])
            .collect(),
        predicted,
        r2,
        max_rel_residual,
        rms_rel_residual,
    })
}

/// The least-squares solution of `rows · β ≈ 1` with β ≥ 0, and which coefficients are free
/// (the others held at 0): the free fit if it is non-negative, else the best non-negative fit
/// over every subset of the coefficients. `None` if the free fit, or every subset, is
/// singular.
fn non_negative_least_squares(rows: &[[f64; 3]]) -> Option<([f64; 3], [bool; 3])> {
    let full = solve_subset(rows, [true; 3])?;
    if full.iter().all(|&b| b >= 0.0) {
        return Some((full, [true; 3]));
    }
    let sse = |beta: &[f64; 3]| -> f64 {
        rows.iter()
            .map(|a| {
                let e = a[0] * beta[0] + a[1] * beta[1] + a[2] * beta[2] - 1.0;
                e * e
            })
            .sum()
    };
    let mut best: Option<([f64; 3], [bool; 3], f64)> = None;
    for mask in 1..7u8 {
        let active = [mask & 1 != 0, mask & 2 != 0, mask & 4 != 0];
        if let Some(b) = solve_subset(rows, active) {
            if b.iter().all(|&x| x >= 0.0) {
                let s = sse(&b);
                if best.as_ref().is_none_or(|(_, _, bs)| s < *bs) {
                    best = Some((b, active, s));
                }
            }
        }
    }
    best.map(|(b, a, _)| (b, a))
}

/// (weighted r², largest |relative residual|, rms relative residual) of `predicted` against
/// the points' times (see [`Fit`]).
fn quality(points: &[FitPoint], predicted: &[f64]) -> (f64, f64, f64) {
    let rel: Vec<f64> = points
        .iter()
        .zip(predicted)
        .map(|(p, y)| (y - p.ns) / p.ns)
        .collect();
    let w_sum: f64 = points.iter().map(|p| 1.0 / (p.ns * p.ns)).sum();
    let w_mean = points.iter().map(|p| 1.0 / p.ns).sum::<f64>() / w_sum;
    let sst: f64 = points
        .iter()
        .map(|p| ((p.ns - w_mean) / p.ns).powi(2))
        .sum();
    let sse: f64 = rel.iter().map(|e| e * e).sum();
    let r2 = if sst > 0.0 {
        1.0 - sse / sst
    } else if sse == 0.0 {
        1.0
    } else {
        0.0
    };
    let max = rel.iter().fold(0.0, |m: f64, e| m.max(e.abs()));
    (r2, max, (sse / rel.len() as f64).sqrt())
}

/// Least squares of `rows · β ≈ 1` over the active coefficients (the others are 0), by the
/// column-scaled normal equations. `None` if singular.
fn solve_subset(rows: &[[f64; 3]], active: [bool; 3]) -> Option<[f64; 3]> {
    let idx: Vec<usize> = (0..3).filter(|&j| active[j]).collect();
    let m = idx.len();
    // Augmented m × (m + 1) system.
    let mut a = [[0.0f64; 4]; 3];
    for r in rows {
        for (p, &j) in idx.iter().enumerate() {
            for (q, &k) in idx.iter().enumerate() {
                a[p][q] += r[j] * r[k];
            }
            a[p][m] += r[j];
        }
    }
    let scale: Vec<f64> = (0..m).map(|p| a[p][p].sqrt()).collect();
    if scale.iter().any(|&s| !(s > 0.0 && s.is_finite())) {
        return None;
    }
    for p in 0..m {
        for q in 0..m {
            a[p][q] /= scale[p] * scale[q];
        }
        a[p][m] /= scale[p];
    }
    for col in 0..m {
        let piv = (col..m).max_by(|&x, &y| a[x][col].abs().total_cmp(&a[y][col].abs()))?;
        // The scaled matrix has a unit diagonal; a pivot this small means the columns are
        // collinear to within rounding.
        if a[piv][col].abs() < 1e-10 {
            return None;
        }
        a.swap(col, piv);
        let pivot_row = a[col];
        for row in a.iter_mut().take(m).skip(col + 1) {
            let f = row[col] / pivot_row[col];
            for (v, p) in row.iter_mut().zip(pivot_row).take(m + 1).skip(col) {
                *v -= f * p;
            }
        }
    }
    let mut z = [0.0f64; 3];
    for p in (0..m).rev() {
        let s: f64 = (p + 1..m).map(|q| a[p][q] * z[q]).sum();
        z[p] = (a[p][m] - s) / a[p][p];
    }
    let mut beta = [0.0f64; 3];
    for (p, &j) in idx.iter().enumerate() {
        beta[j] = z[p] / scale[p];
    }
    beta.iter().all(|b| b.is_finite()).then_some(beta)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_synthetic_data_is_recovered() {
        // t = 50 + 2 × candidates + 3 × tests, no noise: the fit is exact.
        let pts: Vec<FitPoint> = [(1.0, 0.0), (10.0, 20.0), (100.0, 900.0), (1000.0, 5e4)]
            .iter()
            .map(|&(c, t)| FitPoint {
                candidates: c,
                tests: t,
                ns: 50.0 + 2.0 * c + 3.0 * t,
            })
            .collect();
        let fit = fit_weighted(&pts).unwrap();
        assert!((fit.cost.per_call_ns - 50.0).abs() < 1e-9, "{fit:?}");
        assert!((fit.cost.per_candidate_ns - 2.0).abs() < 1e-9, "{fit:?}");
        assert!((fit.cost.per_test_ns - 3.0).abs() < 1e-9, "{fit:?}");
        assert!(fit.clamped.is_empty());
        assert!(fit.max_rel_residual < 1e-12 && (fit.r2 - 1.0).abs() < 1e-12);
        for (p, y) in pts.iter().zip(&fit.predicted) {
            assert!((y - p.ns).abs() < 1e-9 * p.ns);
        }
    }

    #[test]
    fn negative_free_fit_is_clamped() {
        // Data with a negative intercept: the constrained fit holds per_call at 0.
        let pts: Vec<FitPoint> = [(1.0, 0.0), (10.0, 20.0), (100.0, 900.0), (1000.0, 5e4)]
            .iter()
            .map(|&(c, t)| FitPoint {
                candidates: c,
                tests: t,
                ns: (2.0 * c + 3.0 * t - 1.0).max(0.5),
            })
            .collect();
        let fit = fit_weighted(&pts).unwrap();
        assert_eq!(fit.clamped, vec!["per_call_ns"]);
        assert_eq!(fit.cost.per_call_ns, 0.0);
        assert!(fit.cost.per_candidate_ns >= 0.0 && fit.cost.per_test_ns > 0.0);
    }
}
