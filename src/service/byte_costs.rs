//! What moving a request's payload and reply across an executor costs, per byte.
//!
//! A `ProcessPoolExecutor` pickles the call in the server process (the call queue's feeder
//! thread: `_ForkingPickler.dumps`, C code that keeps the GIL), writes it to a pipe
//! (`Connection.send_bytes`, which releases the GIL), and the worker process reads and
//! unpickles it; the result travels back the same way to the manager thread. A thread pool
//! passes references: nothing per byte. An interpreter pool pickles across interpreters.
//!
//! **Measured** by `src/calibrate/bytes_probe.py` on 2026-12-03 (AMD EPYC host, 2 vCPUs,
//! CPython 3.11.7), byte strings of 64 KiB to 4 MiB, thread CPU time, least-squares slopes:
//! pickle 0.019, unpickle 0.023, pipe write 0.466, pipe read 0.482 ns per byte (a pickled
//! `bytes` is one copy; the pipe moves 64 KiB at a time through the kernel on both sides).

use crate::kernel::SimDuration;
use serde::{Deserialize, Serialize};

/// Per-byte costs of a payload or reply, ns per byte.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ByteCosts {
    /// Pickling (`_ForkingPickler.dumps`; holds the GIL).
    pub pickle_ns_per_byte: f64,
    /// Unpickling (`_ForkingPickler.loads`; holds the GIL).
    pub unpickle_ns_per_byte: f64,
    /// Writing to a pipe (`send_bytes`; releases the GIL).
    pub pipe_write_ns_per_byte: f64,
    /// Reading from a pipe (`recv_bytes`; releases the GIL).
    pub pipe_read_ns_per_byte: f64,
}

impl Default for ByteCosts {
    /// The figures measured by `bytes_probe.py` (see the module documentation).
    fn default() -> Self {
        ByteCosts {
            pickle_ns_per_byte: 0.019,
            unpickle_ns_per_byte: 0.023,
            pipe_write_ns_per_byte: 0.466,
            pipe_read_ns_per_byte: 0.482,
        }
    }
}

fn per_byte(ns: f64, bytes: u64) -> SimDuration {
    SimDuration((ns.max(0.0) * bytes as f64).round() as u64)
}

impl ByteCosts {
    /// Pickling `bytes`.
    pub fn pickle(&self, bytes: u64) -> SimDuration {
        per_byte(self.pickle_ns_per_byte, bytes)
    }

    /// Unpickling `bytes`.
    pub fn unpickle(&self, bytes: u64) -> SimDuration {
        per_byte(self.unpickle_ns_per_byte, bytes)
    }

    /// Writing `bytes` to a pipe.
    pub fn pipe_write(&self, bytes: u64) -> SimDuration {
        per_byte(self.pipe_write_ns_per_byte, bytes)
    }

    /// Reading `bytes` from a pipe.
    pub fn pipe_read(&self, bytes: u64) -> SimDuration {
        per_byte(self.pipe_read_ns_per_byte, bytes)
    }

    /// One byte's whole crossing of a process pool: pickled, written, read, unpickled (ns).
    pub fn crossing_ns_per_byte(&self) -> f64 {
        self.pickle_ns_per_byte
            + self.unpickle_ns_per_byte
            + self.pipe_write_ns_per_byte
            + self.pipe_read_ns_per_byte
    }

    /// Every figure finite and not negative; else the key that is not.
    pub fn check(&self) -> Result<(), &'static str> {
        for (k, v) in [
            ("pickle_ns_per_byte", self.pickle_ns_per_byte),
            ("unpickle_ns_per_byte", self.unpickle_ns_per_byte),
            ("pipe_write_ns_per_byte", self.pipe_write_ns_per_byte),
            ("pipe_read_ns_per_byte", self.pipe_read_ns_per_byte),
        ] {
            if !(v.is_finite() && v >= 0.0) {
                return Err(k);
            }
        }
        Ok(())
    }
}
