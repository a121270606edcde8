//! Summaries of repeated measurements of the real machine: the median and the spread of a
//! few samples (timed batches of the prime core, live repetitions of a scenario).
//!
//! The one place for them below every user (`live::compare`, `calibrate`). Hand-written: a
//! median of a handful of values is five lines, and a statistics crate would bring a whole
//! API for it.

/// The median of `xs` (the mean of the two middle values for an even count; NaN if empty).
///
/// ```
/// use execsim::live::stats::median;
/// assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
/// assert_eq!(median(&[3.0, 1.0, 2.0, 10.0]), 2.5);
/// assert!(median(&[]).is_nan());
/// ```
pub fn median(xs: &[f64]) -> f64 {
    let mut v = xs.to_vec();
    v.sort_by(f64::total_cmp);
    match v.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => v[n / 2],
        n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
    }
}

/// The smallest and largest of `xs` (`(+∞, −∞)` if empty).
pub fn min_max(xs: &[f64]) -> (f64, f64) {
    xs.iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &x| {
            (lo.min(x), hi.max(x))
        })
}

/// (max − min) / median of `xs`: a rough measure of the noise of repeated samples.
pub fn relative_spread(xs: &[f64]) -> f64 {
    let (lo, hi) = min_max(xs);
    (hi - lo) / median(xs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_min_max_and_spread() {
        let xs = [3.0, 1.0, 2.0, 10.0];
        assert_eq!(median(&xs), 2.5);
        assert_eq!(min_max(&xs), (1.0, 10.0));
        assert_eq!(relative_spread(&xs), 9.0 / 2.5);
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(min_max(&[]), (f64::INFINITY, f64::NEG_INFINITY));
    }
}
