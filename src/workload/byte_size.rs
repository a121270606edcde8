//! A number of bytes, written as in a scenario file: `"512B"`, `"64KB"`, `"4MB"`, `"1GB"`
//! (powers of 1000) or `"64KiB"`, `"4MiB"`, `"1GiB"` (powers of 1024); a fraction is allowed
//! (`"1.5MB"`) and the result is rounded to a whole byte.
//!
//! ```
//! use execsim::workload::byte_size::ByteSize;
//! assert_eq!(ByteSize::parse("4MB").unwrap().0, 4_000_000);
//! assert_eq!(ByteSize::parse("64KiB").unwrap().0, 65_536);
//! assert!(ByteSize::parse("4 parsecs").is_err());
//! ```

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// A size in bytes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ByteSize(pub u64);

/// A size string that could not be parsed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid size {text:?}: {why} (write e.g. \"512B\", \"64KB\", \"4MB\", \"4MiB\")")]
pub struct SizeParseError {
    /// The text as given.
    pub text: String,
    /// Why it was rejected.
    pub why: &'static str,
}

impl ByteSize {
    /// Parses `"<number><unit>"` (see the module documentation).
    pub fn parse(text: &str) -> Result<ByteSize, SizeParseError> {
        let err = |why| SizeParseError {
            text: text.to_string(),
            why,
        };
        let s = text.trim();
        let split = s
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .ok_or_else(|| err("a unit is required"))?;
        let (num, unit) = s.split_at(split);
        let scale: u64 = match unit.trim() {
            "B" => 1,
            "KB" | "kB" => 1_000,
            "MB" => 1_000_000,
            "GB" => 1_000_000_000,
            "KiB" => 1 << 10,
            "MiB" => 1 << 20,
            "GiB" => 1 << 30,
            _ if s.starts_with('-') => return Err(err("sizes cannot be negative")),
            _ => return Err(err("unknown unit")),
        };
        let x: f64 = num.parse().map_err(|_| err("not a number"))?;
        let bytes = (x * scale as f64).round();
        if !(0.0..=1e15).contains(&bytes) {
            return Err(err("out of range (at most 1e15 bytes)"));
        }
        Ok(ByteSize(bytes as u64))
    }
}

impl fmt::Display for ByteSize {
    /// The largest decimal unit that keeps the value exact: `4MB`, `1500B`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (unit, scale) in [("GB", 1_000_000_000u64), ("MB", 1_000_000), ("KB", 1_000)] {
            if self.0 >= scale && self.0.is_multiple_of(scale) {
                return write!(f, "{}{unit}", self.0 / scale);
            }
        }
        write!(f, "{}B", self.0)
    }
}

impl Serialize for ByteSize {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ByteSize {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        ByteSize::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_and_round_trip() {
        let p = |s: &str| ByteSize::parse(s).map(|b| b.0);
        assert_eq!(p("512B"), Ok(512));
        assert_eq!(p("20KB"), Ok(20_000));
        assert_eq!(p("1.5MB"), Ok(1_500_000));
        assert_eq!(p("4MiB"), Ok(4 << 20));
        assert!(p("-1MB").is_err());
        assert!(p("12").is_err());
        assert!(p("MB").is_err());
        for s in ["4MB", "1500B", "20KB"] {
            assert_eq!(ByteSize::parse(s).unwrap().to_string(), s);
        }
    }
}
