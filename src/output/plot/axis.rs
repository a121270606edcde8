//! Axes: a logarithmic value axis that can show zero ([`LogAxis`]) and a plotters axis whose
//! ticks are exactly the ones given ([`Ticked`]), which every chart here is built on.

use plotters::chart::ChartContext;
use plotters::prelude::Cartesian2d;
use std::ops::Range;

/// A logarithmic value axis drawn in log10 units, with decades `10^lo ..= 10^hi` and, when
/// asked, a "0" tick half a decade below the lowest decade where zeros (and anything below
/// `10^lo`) are drawn. A 99% drop is then two decades: as readable as a doubling.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LogAxis {
    /// Lowest decade (exponent).
    pub lo: i32,
    /// Highest decade (exponent).
    pub hi: i32,
    /// Whether zero has its own tick.
    pub zero: bool,
}

impl LogAxis {
    /// The smallest axis holding every value: decades from the smallest positive value's
    /// (at least `min_lo`) to the largest's, rounded outwards; `zero` if any value is 0.
    pub fn fit(values: impl IntoIterator<Item = f64>, min_lo: i32) -> LogAxis {
        let mut lo = i32::MAX;
        let mut hi = i32::MIN;
        let mut zero = false;
        for v in values {
            if !v.is_finite() {
                continue;
            }
            if v <= 0.0 {
                zero = true;
                continue;
            }
            let e = v.log10();
            lo = lo.min(e.floor() as i32);
            hi = hi.max(e.ceil() as i32);
        }
        if lo > hi {
            return LogAxis {
                lo: min_lo.max(0),
                hi: min_lo.max(0) + 1,
                zero,
            };
        }
        let lo = lo.max(min_lo);
        LogAxis {
            lo,
            hi: hi.max(lo + 1),
            zero,
        }
    }

    /// Where zero is drawn (in log10 units).
    pub fn zero_pos(&self) -> f64 {
        self.lo as f64 - 0.5
    }

    /// The axis position of value `v`.
    pub fn pos(&self, v: f64) -> f64 {
        if v <= 0.0 || !v.is_finite() {
            return self.zero_pos();
        }
        let lo = 10f64.powi(self.lo);
        if v < lo {
            if self.zero {
                // Between zero's tick and the lowest decade, proportionally.
                return self.zero_pos() + 0.5 * v / lo;
            }
            return self.lo as f64;
        }
        v.log10()
    }

    /// The axis range (in log10 units), with a little room at both ends.
    pub fn range(&self) -> Range<f64> {
        let bottom = if self.zero {
            self.zero_pos() - 0.15
        } else {
            self.lo as f64 - 0.02
        };
        bottom..self.hi as f64 + 0.04
    }

    /// Major ticks: zero (if shown) and each decade.
    pub fn major(&self) -> Vec<f64> {
        let mut v = Vec::new();
        if self.zero {
            v.push(self.zero_pos());
        }
        v.extend((self.lo..=self.hi).map(|e| e as f64));
        v
    }

    /// Minor grid lines: 2..9 times each decade.
    pub fn minor(&self) -> Vec<f64> {
        (self.lo..self.hi)
            .flat_map(|e| (2..10).map(move |k| e as f64 + (k as f64).log10()))
            .collect()
    }

    /// The label of a major tick.
    pub fn label(&self, p: f64) -> String {
        if self.zero && (p - self.zero_pos()).abs() < 1e-6 {
            return "0".into();
        }
        decade_label(p.round() as i32)
    }
}

/// `10^e` written briefly: 0.01, 0.1, 1, 10, 100, 1k, 10k, 100k, 1M...
pub fn decade_label(e: i32) -> String {
    match e {
        i32::MIN..=-1 => format!("{}", 10f64.powi(e)),
        0..=2 => format!("{}", 10i64.pow(e as u32)),
        3..=5 => format!("{}k", 10i64.pow(e as u32 - 3)),
        _ => format!("{}M", 10f64.powi(e - 6)),
    }
}

/// A linear plotters axis over `range` whose major ticks (with labels) are exactly `major`
/// and minor grid lines exactly `minor`.
#[derive(Clone, Debug, PartialEq)]
pub struct Ticked {
    /// The axis range.
    pub range: Range<f64>,
    /// Major ticks.
    pub major: Vec<f64>,
    /// Minor grid lines.
    pub minor: Vec<f64>,
}

impl plotters::coord::ranged1d::Ranged for Ticked {
    type FormatOption = plotters::coord::ranged1d::DefaultFormatting;
    type ValueType = f64;

    fn map(&self, v: &f64, limit: (i32, i32)) -> i32 {
        let span = self.range.end - self.range.start;
        if span == 0.0 {
            return (limit.0 + limit.1) / 2;
        }
        let t = (v - self.range.start) / span;
        limit.0 + ((limit.1 - limit.0) as f64 * t).round() as i32
    }

    fn key_points<H: plotters::coord::ranged1d::KeyPointHint>(&self, hint: H) -> Vec<f64> {
        if hint.weight().allow_light_points() {
            self.minor.clone()
        } else {
            self.major.clone()
        }
    }

    fn range(&self) -> Range<f64> {
        self.range.clone()
    }
}

/// A [`Ticked`] axis.
pub fn fixed_ticks(range: Range<f64>, major: Vec<f64>, minor: Vec<f64>) -> Ticked {
    Ticked {
        range,
        major,
        minor,
    }
}

/// A chart over two [`Ticked`] axes, as every figure here builds it.
pub type TickedChart<'a, DB> = ChartContext<'a, DB, Cartesian2d<Ticked, Ticked>>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_axis_fits_and_labels() {
        let a = LogAxis::fit([0.0, 41.0, 3425.0, 6704.0], 0);
        assert_eq!(
            a,
            LogAxis {
                lo: 1,
                hi: 4,
                zero: true
            }
        );
        assert_eq!(a.label(a.zero_pos()), "0");
        assert_eq!(a.label(3.0), "1k");
        assert_eq!(a.pos(0.0), 0.5);
        assert!((a.pos(100.0) - 2.0).abs() < 1e-12);
        assert_eq!(decade_label(-1), "0.1");
    }
}
