//! How long one step of a request takes: a fixed duration or a draw from a distribution.
//!
//! Each draw comes from a seeded stream ([`SimRng`]), so a run with distributions is as
//! deterministic as one without: the same seed gives the same draws in the same order.
//!
//! | variant | parameters | draw |
//! |---|---|---|
//! | [`DurationDist::Fixed`] | the duration | always it |
//! | [`DurationDist::LogNormal`] | median, p99 (p99 ≥ median) | `exp(N(ln median, σ))`, σ = ln(p99 / median) / z₀.₉₉ |
//! | [`DurationDist::Exp`] | mean | exponential |
//! | [`DurationDist::Uniform`] | min, max (min ≤ max) | uniform on [min, max] |
//! | [`DurationDist::Empirical`] | samples (not empty) | one of them, each equally likely |
//!
//! Draws are rounded to whole nanoseconds and are at least 1 ns (a step always takes time).
//!
//! ```
//! use execsim::kernel::{RngStreams, SimDuration};
//! use execsim::workload::distribution::DurationDist;
//! let d = DurationDist::lognormal(SimDuration::from_millis(2), SimDuration::from_millis(15)).unwrap();
//! let mut rng = RngStreams::new(7).stream("request/score");
//! let draws: Vec<u64> = (0..1000).map(|_| d.sample(&mut rng).as_nanos()).collect();
//! let below_median = draws.iter().filter(|&&x| x < 2_000_000).count();
//! assert!((400..600).contains(&below_median));
//! ```

use crate::kernel::{SimDuration, SimRng};
use rand_distr::{Exp, LogNormal};

/// The 99th percentile of the standard normal distribution.
pub const Z99: f64 = 2.326_347_874_040_841;

/// A step's duration: fixed or drawn per request.
#[derive(Clone, Debug, PartialEq)]
pub enum DurationDist {
    /// Always this long.
    Fixed(SimDuration),
    /// Log-normal with this median and 99th percentile.
    LogNormal {
        /// The median.
        median: SimDuration,
        /// The 99th percentile (at least the median).
        p99: SimDuration,
    },
    /// Exponential with this mean.
    Exp {
        /// The mean.
        mean: SimDuration,
    },
    /// Uniform between two bounds (inclusive).
    Uniform {
        /// The smallest draw.
        min: SimDuration,
        /// The largest draw.
        max: SimDuration,
    },
    /// One of these measured durations, each equally likely (not empty).
    Empirical(Vec<SimDuration>),
}

/// Why a distribution's parameters are not valid.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DistError {
    /// A duration that must be positive is zero.
    #[error("{0} must be longer than zero")]
    Zero(&'static str),
    /// The 99th percentile is below the median.
    #[error("p99 ({p99}) must not be below the median ({median})")]
    P99BelowMedian {
        /// The median given.
        median: SimDuration,
        /// The p99 given.
        p99: SimDuration,
    },
    /// The uniform bounds are the wrong way round.
    #[error("max ({max}) must not be below min ({min})")]
    MaxBelowMin {
        /// The min given.
        min: SimDuration,
        /// The max given.
        max: SimDuration,
    },
    /// No samples.
    #[error("has no samples")]
    Empty,
}

impl DurationDist {
    /// A log-normal distribution from its median and 99th percentile.
    pub fn lognormal(median: SimDuration, p99: SimDuration) -> Result<Self, DistError> {
        let d = DurationDist::LogNormal { median, p99 };
        d.check()?;
        Ok(d)
    }

    /// Checks the parameters: positive durations, p99 ≥ median, min ≤ max, samples.
    pub fn check(&self) -> Result<(), DistError> {
        let positive = |d: SimDuration, what| {
            if d == SimDuration::ZERO {
                Err(DistError::Zero(what))
            } else {
                Ok(())
            }
        };
        match self {
            DurationDist::Fixed(d) => positive(*d, "the duration"),
            DurationDist::LogNormal { median, p99 } => {
                positive(*median, "median")?;
                if p99 < median {
                    return Err(DistError::P99BelowMedian {
                        median: *median,
                        p99: *p99,
                    });
                }
                Ok(())
            }
            DurationDist::Exp { mean } => positive(*mean, "mean"),
            DurationDist::Uniform { min, max } => {
                positive(*max, "max")?;
                if max < min {
                    return Err(DistError::MaxBelowMin {
                        min: *min,
                        max: *max,
                    });
                }
                Ok(())
            }
            DurationDist::Empirical(s) if s.is_empty() => Err(DistError::Empty),
            DurationDist::Empirical(s) => s.iter().try_for_each(|&d| positive(d, "a sample")),
        }
    }

    /// One draw (at least 1 ns). A fixed duration draws nothing from `rng`.
    pub fn sample(&self, rng: &mut SimRng) -> SimDuration {
        let ns = match self {
            DurationDist::Fixed(d) => return *d,
            DurationDist::LogNormal { median, p99 } => {
                let mu = (median.as_nanos() as f64).ln();
                let sigma = ((p99.as_nanos() as f64) / (median.as_nanos() as f64)).ln() / Z99;
                match LogNormal::new(mu, sigma) {
                    Ok(d) => rng.sample(&d),
                    Err(_) => median.as_nanos() as f64,
                }
            }
            DurationDist::Exp { mean } => {
                let rate = 1.0 / mean.as_nanos() as f64;
                match Exp::new(rate) {
                    Ok(d) => rng.sample(&d),
                    Err(_) => mean.as_nanos() as f64,
                }
            }
            DurationDist::Uniform { min, max } => {
                let span = max.as_nanos() - min.as_nanos();
                return SimDuration(min.as_nanos() + rng.below(span + 1)).max(SimDuration(1));
            }
            DurationDist::Empirical(s) => return s[rng.below(s.len() as u64) as usize],
        };
        SimDuration((ns.round().max(1.0)).min(u64::MAX as f64 / 2.0) as u64)
    }

    /// The distribution's mean, ns (for reports and checks).
    pub fn mean_ns(&self) -> f64 {
        match self {
            DurationDist::Fixed(d) => d.as_nanos() as f64,
            DurationDist::LogNormal { median, p99 } => {
                let sigma = ((p99.as_nanos() as f64) / (median.as_nanos() as f64)).ln() / Z99;
                median.as_nanos() as f64 * (sigma * sigma / 2.0).exp()
            }
            DurationDist::Exp { mean } => mean.as_nanos() as f64,
            DurationDist::Uniform { min, max } => (min.as_nanos() + max.as_nanos()) as f64 / 2.0,
            DurationDist::Empirical(s) => {
                s.iter().map(|d| d.as_nanos() as f64).sum::<f64>() / s.len() as f64
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::RngStreams;

    fn draws(d: &DurationDist, n: usize) -> Vec<f64> {
        let mut rng = RngStreams::new(11).stream("request/test");
        (0..n)
            .map(|_| d.sample(&mut rng).as_nanos() as f64)
            .collect()
    }

    fn quantile(v: &[f64], q: f64) -> f64 {
        let mut s = v.to_vec();
        s.sort_by(|a, b| a.partial_cmp(b).unwrap());
        s[((s.len() - 1) as f64 * q).round() as usize]
    }

    fn ms(x: u64) -> SimDuration {
        SimDuration::from_millis(x)
    }

    #[test]
    fn lognormal_has_its_median_and_p99() {
        let d = DurationDist::lognormal(ms(2), ms(15)).unwrap();
        let v = draws(&d, 100_000);
        let (p50, p99) = (quantile(&v, 0.5), quantile(&v, 0.99));
        assert!((p50 / 2e6 - 1.0).abs() < 0.02, "median {p50}");
        assert!((p99 / 15e6 - 1.0).abs() < 0.05, "p99 {p99}");
        let mean = v.iter().sum::<f64>() / v.len() as f64;
        assert!((mean / d.mean_ns() - 1.0).abs() < 0.03, "mean {mean}");
    }

    #[test]
    fn exponential_and_uniform_have_their_means() {
        let e = DurationDist::Exp { mean: ms(2) };
        let v = draws(&e, 100_000);
        let mean = v.iter().sum::<f64>() / v.len() as f64;
        assert!((mean / 2e6 - 1.0).abs() < 0.02, "exp mean {mean}");
        // The exponential's median is ln 2 times its mean.
        assert!((quantile(&v, 0.5) / (2e6 * std::f64::consts::LN_2) - 1.0).abs() < 0.03);
        let u = DurationDist::Uniform {
            min: ms(1),
            max: ms(3),
        };
        let v = draws(&u, 100_000);
        assert!(v.iter().all(|&x| (1e6..=3e6).contains(&x)));
        let mean = v.iter().sum::<f64>() / v.len() as f64;
        assert!((mean / 2e6 - 1.0).abs() < 0.01, "uniform mean {mean}");
    }

    #[test]
    fn empirical_draws_its_samples_equally() {
        let d = DurationDist::Empirical(vec![ms(1), ms(2), ms(4)]);
        let v = draws(&d, 30_000);
        for x in [1e6, 2e6, 4e6] {
            let share = v.iter().filter(|&&y| y == x).count() as f64 / v.len() as f64;
            assert!((share - 1.0 / 3.0).abs() < 0.02, "{x}: {share}");
        }
    }

    /// The draws are pinned: a change of `rand_distr`'s algorithms (or of the stream) shows
    /// here before it changes any result.
    #[test]
    fn draws_are_pinned() {
        let d = DurationDist::lognormal(ms(2), ms(15)).unwrap();
        let v: Vec<u64> = draws(&d, 3).iter().map(|&x| x as u64).collect();
        let e: Vec<u64> = draws(&DurationDist::Exp { mean: ms(2) }, 3)
            .iter()
            .map(|&x| x as u64)
            .collect();
        assert_eq!((v, e), (PINNED_LOGNORMAL.to_vec(), PINNED_EXP.to_vec()));
    }

    const PINNED_LOGNORMAL: [u64; 3] = [716_974, 1_239_808, 2_660_227];
    const PINNED_EXP: [u64; 3] = [112_549, 77_945, 425_051];

    #[test]
    fn bad_parameters_are_errors() {
        assert_eq!(
            DurationDist::lognormal(ms(2), ms(1)),
            Err(DistError::P99BelowMedian {
                median: ms(2),
                p99: ms(1)
            })
        );
        assert_eq!(
            DurationDist::Fixed(SimDuration::ZERO).check(),
            Err(DistError::Zero("the duration"))
        );
        assert_eq!(
            DurationDist::Empirical(vec![]).check(),
            Err(DistError::Empty)
        );
        assert!(DurationDist::Uniform {
            min: ms(3),
            max: ms(1)
        }
        .check()
        .is_err());
    }
}
