//! The raw result of timing a prime core: per-call times of timed batches at each n.

use crate::live::stats::{median, relative_spread};

/// One timed point: the raw per-call times at one n.
#[derive(Clone, Debug, PartialEq)]
pub struct Measurement {
    /// The argument of `find_nth_prime`.
    pub n: u64,
    /// Calls per timed batch.
    pub batch: u64,
    /// Time per call of each batch, nanoseconds.
    pub per_call_ns: Vec<f64>,
}

impl Measurement {
    /// The median per-call time.
    pub fn median(&self) -> f64 {
        median(&self.per_call_ns)
    }

    /// (max − min) / median of the samples: a rough measure of the noise.
    pub fn spread(&self) -> f64 {
        relative_spread(&self.per_call_ns)
    }
}

/// The raw result of timing one backend.
#[derive(Clone, Debug)]
pub struct Measured {
    /// What ran the core (build, or Python version and path).
    pub runtime: String,
    /// One entry per n, in the order given.
    pub points: Vec<Measurement>,
    /// Things the user should know (debug build, not CPython...).
    pub warnings: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_and_spread() {
        let m = Measurement {
            n: 1,
            batch: 1,
            per_call_ns: vec![3.0, 1.0, 2.0, 10.0],
        };
        assert_eq!(m.median(), 2.5);
        assert_eq!(m.spread(), 9.0 / 2.5);
    }
}
