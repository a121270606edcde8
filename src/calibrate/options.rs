//! What `execsim calibrate` measures and how: the n to time, the samples, the batch length,
//! the Python interpreter and its time limit.

use crate::workload::cost::Backend;
use std::path::PathBuf;
use std::time::Duration;

/// Default n list for the Rust core: about 5 s in a release build.
pub const RUST_DEFAULT_NS: &[u64] = &[1, 10, 100, 300, 1000, 2000, 3000, 5000, 8000, 12000];

/// Default n list for CPython: about 15 s with 7 samples (n = 3000 alone takes ~1.3 s a call).
pub const CPYTHON_DEFAULT_NS: &[u64] = &[1, 10, 30, 100, 300, 1000, 2000, 3000];

/// The n whose predicted duration `execsim calibrate` prints (the lesson's long request).
pub const LONG_REQUEST_N: u64 = 100_000;

/// What to measure and how.
#[derive(Clone, Debug)]
pub struct CalibrateOptions {
    /// Which core to time.
    pub backend: Backend,
    /// The arguments n to time (at least three distinct values).
    pub ns: Vec<u64>,
    /// Timed batches per n; the median is kept.
    pub samples: u32,
    /// Minimum duration of one timed batch (k calls are batched until it is reached).
    pub min_batch: Duration,
    /// The Python interpreter (CPython backend only).
    pub python: PathBuf,
    /// Wall-clock limit for the Python subprocess; it is killed beyond.
    pub timeout: Duration,
    /// The command line recorded in the file's provenance.
    pub command: String,
    /// Print progress (one line per n) on stderr while measuring.
    pub progress: bool,
    /// Install a Ctrl-C handler that kills the Python subprocess (command-line use; see
    /// [`crate::live::supervise::install_ctrlc_handler`]).
    pub handle_ctrlc: bool,
}

impl CalibrateOptions {
    /// Defaults for `backend`: its n list, 7 samples, batches of at
    /// least 5 ms (Rust) or 20 ms (CPython), `python3`, a 300 s timeout, no progress, no
    /// Ctrl-C handler.
    pub fn new(backend: Backend) -> Self {
        let (ns, samples, min_batch) = match backend {
            Backend::Rust => (RUST_DEFAULT_NS, 7, Duration::from_millis(5)),
            Backend::Cpython => (CPYTHON_DEFAULT_NS, 7, Duration::from_millis(20)),
        };
        CalibrateOptions {
            backend,
            ns: ns.to_vec(),
            samples,
            min_batch,
            python: PathBuf::from("python3"),
            timeout: Duration::from_secs(300),
            command: format!("execsim calibrate --backend {backend}"),
            progress: false,
            handle_ctrlc: false,
        }
    }
}
