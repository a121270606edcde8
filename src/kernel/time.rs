//! Virtual time: integer nanoseconds end to end.
//!
//! [`SimTime`] is an instant on the simulation clock (nanoseconds since the start of a run);
//! [`SimDuration`] is a span between two instants. Both are plain `u64` nanoseconds, so that
//! arithmetic is exact and every run is bit-for-bit reproducible. Durations parse from the
//! strings scenarios use: `"5ms"`, `"250us"`, `"1.5s"`, `"100ns"`.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::ops::{Add, AddAssign, Sub};

/// An instant of virtual time, in nanoseconds since the start of the run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct SimTime(pub u64);

/// A span of virtual time, in nanoseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SimDuration(pub u64);

impl SimTime {
    /// The start of every run.
    pub const ZERO: SimTime = SimTime(0);
    /// The greatest representable instant (used as "never").
    pub const MAX: SimTime = SimTime(u64::MAX);

    /// Nanoseconds since the start of the run.
    pub const fn as_nanos(self) -> u64 {
        self.0
    }

    /// Seconds since the start, as a float (for display only).
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 * 1e-9
    }

    /// The span from `earlier` to `self`, or zero if `earlier` is later.
    pub fn saturating_since(self, earlier: SimTime) -> SimDuration {
        SimDuration(self.0.saturating_sub(earlier.0))
    }
}

impl SimDuration {
    /// No time at all.
    pub const ZERO: SimDuration = SimDuration(0);

    /// A span of `ns` nanoseconds.
    pub const fn from_nanos(ns: u64) -> Self {
        SimDuration(ns)
    }
    /// A span of `us` microseconds.
    pub const fn from_micros(us: u64) -> Self {
        SimDuration(us * 1_000)
    }
    /// A span of `ms` milliseconds.
    pub const fn from_millis(ms: u64) -> Self {
        SimDuration(ms * 1_000_000)
    }
    /// A span of `s` seconds.
    pub const fn from_secs(s: u64) -> Self {
        SimDuration(s * 1_000_000_000)
    }
    /// A span from float seconds, rounded to the nearest nanosecond (negative and NaN give zero).
    pub fn from_secs_f64(s: f64) -> Self {
        if s.is_nan() || s <= 0.0 {
            SimDuration(0)
        } else {
            SimDuration((s * 1e9).round().min(u64::MAX as f64) as u64)
        }
    }
    /// The span in nanoseconds.
    pub const fn as_nanos(self) -> u64 {
        self.0
    }
    /// The span in seconds, as a float (for display and statistics only).
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 * 1e-9
    }
    /// The span in microseconds, as a float.
    pub fn as_micros_f64(self) -> f64 {
        self.0 as f64 * 1e-3
    }

    /// Parses `"5ms"`, `"250us"`, `"250µs"`, `"12s"`, `"1.5s"`, `"100ns"`, `"2m"`, `"1h"`.
    ///
    /// The number is decimal (an optional fraction, no exponent, no sign) and the result is
    /// exact to the nanosecond; a fraction finer than a nanosecond is an error.
    ///
    /// ```
    /// use execsim::kernel::SimDuration;
    /// assert_eq!(SimDuration::parse("5ms").unwrap(), SimDuration::from_micros(5_000));
    /// assert_eq!(SimDuration::parse("1.5us").unwrap().as_nanos(), 1_500);
    /// assert!(SimDuration::parse("-1s").is_err());
    /// ```
    pub fn parse(text: &str) -> Result<Self, DurationParseError> {
        let s = text.trim();
        let err = |why: &'static str| DurationParseError {
            text: text.to_string(),
            why,
        };
        let split = s
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .ok_or_else(|| err("a unit is required (ns, us, ms, s, m, h)"))?;
        let (num, unit) = s.split_at(split);
        let unit_ns: u64 = match unit.trim() {
            "ns" => 1,
            "us" | "µs" => 1_000,
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" | "min" => 60_000_000_000,
            "h" => 3_600_000_000_000,
            _ if s.starts_with('-') => return Err(err("durations cannot be negative")),
            _ => return Err(err("unknown unit (use ns, us, ms, s, m, h)")),
        };
        if num.is_empty() {
            return Err(err("a number is required before the unit"));
        }
        let (int_part, frac_part) = match num.split_once('.') {
            Some((i, f)) => (i, f),
            None => (num, ""),
        };
        if int_part.is_empty() && frac_part.is_empty() || frac_part.contains('.') {
            return Err(err("not a decimal number"));
        }
        let int: u64 = if int_part.is_empty() {
            0
        } else {
            int_part.parse().map_err(|_| err("not a decimal number"))?
        };
        let mut total = int.checked_mul(unit_ns).ok_or_else(|| err("too large"))?;
        let mut scale = unit_ns;
        for ch in frac_part.chars() {
            let d = ch.to_digit(10).ok_or_else(|| err("not a decimal number"))? as u64;
            if !scale.is_multiple_of(10) {
                if d != 0 {
                    return Err(err("finer than one nanosecond"));
                }
                continue;
            }
            scale /= 10;
            total = total
                .checked_add(d * scale)
                .ok_or_else(|| err("too large"))?;
        }
        Ok(SimDuration(total))
    }
}

/// A duration string that could not be parsed, with the reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid duration {text:?}: {why}")]
pub struct DurationParseError {
    /// The text as given.
    pub text: String,
    /// Why it was rejected.
    pub why: &'static str,
}

impl fmt::Display for SimDuration {
    /// Prints the largest unit that keeps the value exact: `5ms`, `250us`, `1500ns`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ns = self.0;
        for (unit, scale) in [("s", 1_000_000_000u64), ("ms", 1_000_000), ("us", 1_000)] {
            if ns >= scale && ns.is_multiple_of(scale) {
                return write!(f, "{}{}", ns / scale, unit);
            }
        }
        if ns >= 1_000_000 {
            return write!(f, "{}ms", ns as f64 / 1e6);
        }
        if ns >= 1_000 {
            return write!(f, "{}us", ns as f64 / 1e3);
        }
        write!(f, "{ns}ns")
    }
}

impl fmt::Display for SimTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:.9}s", self.as_secs_f64())
    }
}

impl std::str::FromStr for SimDuration {
    type Err = DurationParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        SimDuration::parse(s)
    }
}

impl Serialize for SimDuration {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for SimDuration {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        SimDuration::parse(&text).map_err(serde::de::Error::custom)
    }
}

impl Add<SimDuration> for SimTime {
    type Output = SimTime;
    fn add(self, d: SimDuration) -> SimTime {
        SimTime(self.0.saturating_add(d.0))
    }
}
impl AddAssign<SimDuration> for SimTime {
    fn add_assign(&mut self, d: SimDuration) {
        self.0 = self.0.saturating_add(d.0);
    }
}
impl Sub<SimTime> for SimTime {
    type Output = SimDuration;
    /// Panics in debug builds if `rhs` is later than `self`; use [`SimTime::saturating_since`].
    fn sub(self, rhs: SimTime) -> SimDuration {
        debug_assert!(self.0 >= rhs.0, "time went backwards");
        SimDuration(self.0 - rhs.0)
    }
}
impl Add for SimDuration {
    type Output = SimDuration;
    fn add(self, d: SimDuration) -> SimDuration {
        SimDuration(self.0.saturating_add(d.0))
    }
}
impl AddAssign for SimDuration {
    fn add_assign(&mut self, d: SimDuration) {
        self.0 = self.0.saturating_add(d.0);
    }
}
impl Sub for SimDuration {
    type Output = SimDuration;
    fn sub(self, d: SimDuration) -> SimDuration {
        SimDuration(self.0.saturating_sub(d.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_units_exactly() {
        let p = |s: &str| SimDuration::parse(s).unwrap().as_nanos();
        assert_eq!(p("5ms"), 5_000_000);
        assert_eq!(p("250us"), 250_000);
        assert_eq!(p("250µs"), 250_000);
        assert_eq!(p("12s"), 12_000_000_000);
        assert_eq!(p("0.2ms"), 200_000);
        assert_eq!(p("1.000000001s"), 1_000_000_001);
        assert_eq!(p(".5s"), 500_000_000);
        assert_eq!(p("100ns"), 100);
        assert_eq!(p("2m"), 120_000_000_000);
        assert_eq!(p(" 3 ms "), 3_000_000);
        assert_eq!(p("0s"), 0);
    }

    #[test]
    fn rejects_bad_text() {
        for bad in [
            "",
            "5",
            "ms",
            "-1s",
            "5 parsecs",
            "1.5ns",
            "1..2s",
            "1e3ms",
            "99999999999999h",
        ] {
            assert!(
                SimDuration::parse(bad).is_err(),
                "{bad:?} should be rejected"
            );
        }
        let e = SimDuration::parse("-1s").unwrap_err();
        assert!(e.to_string().contains("negative"), "{e}");
    }

    #[test]
    fn display_round_trips() {
        for s in ["5ms", "250us", "12s", "100ns", "1500us"] {
            let d = SimDuration::parse(s).unwrap();
            assert_eq!(SimDuration::parse(&d.to_string()).unwrap(), d);
        }
        assert_eq!(SimDuration::from_nanos(1_500).to_string(), "1.5us");
    }
}
