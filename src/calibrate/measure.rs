//! Measuring the real prime core and fitting the cost model's coefficients.
//!
//! `execsim calibrate --backend rust|cpython` times `find_nth_prime(n)` at a handful of n,
//! takes the median time per call at each, and fits
//! `t(n) = per_call_ns + per_candidate_ns × candidates(n) + per_test_ns × tests(n)`
//! with the exact counts of [`crate::workload::prime::op_count`] (see [`fit_weighted`]). The result is a
//! [`CoreCalibration`] that [`merge_into_file`] writes into a calibration file, replacing only
//! that backend's section.
//!
//! - **Rust**: the crate's own [`crate::workload::prime::find_nth_prime`], timed in-process with
//!   [`std::time::Instant`] and [`std::hint::black_box`]. Meaningful only in a release build
//!   (a warning is printed otherwise).
//! - **CPython**: the lesson's functions, verbatim, in a script (`src/calibrate_core.py`, embedded)
//!   run by `python3 -I -c`; it times them with `time.perf_counter_ns` and prints JSON. The
//!   subprocess is bounded in time: on timeout it is killed, and it is always reaped.
//!
//! Small n take nanoseconds to microseconds, so each timed sample is a *batch* of k calls
//! lasting at least [`CalibrateOptions::min_batch`]; the per-call time is batch time / k (this
//! includes the loop's own per-call overhead, a few ns in Rust, ~10 ns in CPython, which
//! ends up in `per_call_ns`). After sizing the batches, samples are taken in rounds (one batch
//! of every n per round) so that a slow period of a shared machine spreads over all points
//! instead of corrupting one; the median per n is kept.

use crate::sim::calibration::{
    human_duration, Calibration, CalibrationError, CoreCalibration, FitInfo, FitPointRecord, Meta,
};
use crate::workload::cost::{Backend, CoreCost};
use crate::workload::prime::{find_nth_prime, op_count, OpCount, OpCountError};
use serde::Deserialize;
use std::fmt;
use std::hint::black_box;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// The CPython timing script (the lesson's `find_nth_prime` and `is_prime`, verbatim).
pub const CPYTHON_SCRIPT: &str = concat!(
    include_str!("../workload/lesson_core.py"),
    include_str!("calibrate_core.py")
);

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
}

impl CalibrateOptions {
    /// Defaults for `backend`: its n list, 7 samples, batches of at
    /// least 5 ms (Rust) or 20 ms (CPython), `python3`, a 300 s timeout.
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
        }
    }
}

/// Why a calibration failed.
#[derive(Debug, thiserror::Error)]
pub enum CalibrateError {
    /// The Python interpreter does not exist.
    #[error("{} not found: install CPython 3 or pass --python PATH", .0.display())]
    PythonNotFound(PathBuf),
    /// The Python interpreter could not be started for another reason.
    #[error("cannot run {}: {source}", python.display())]
    Spawn {
        /// The interpreter.
        python: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The timing script ran longer than allowed and was killed.
    #[error(
        "the CPython timing script did not finish within {:.1} s and was killed \
         (raise --timeout, or time smaller n)",
        .0.as_secs_f64()
    )]
    Timeout(Duration),
    /// The timing script exited with an error.
    #[error("the CPython timing script failed ({status}):\n{stderr}")]
    ScriptFailed {
        /// Its exit status.
        status: ExitStatus,
        /// What it printed on stderr.
        stderr: String,
    },
    /// The timing script's output was not what was expected.
    #[error("unexpected output from the CPython timing script: {0}")]
    BadOutput(String),
    /// The measured core returned a wrong p_n: it is not the lesson's algorithm.
    #[error("the {backend} core returned {got} for find_nth_prime({n}), expected {expected}")]
    WrongResult {
        /// The backend.
        backend: Backend,
        /// The argument.
        n: u64,
        /// What it returned.
        got: u64,
        /// p_n.
        expected: u64,
    },
    /// The options make no sense (no n, zero samples...).
    #[error("invalid calibration options: {0}")]
    Options(String),
    /// An n could not be counted.
    #[error(transparent)]
    OpCount(#[from] OpCountError),
    /// The least-squares fit failed.
    #[error(transparent)]
    Fit(#[from] FitError),
    /// Reading or writing the calibration file failed.
    #[error(transparent)]
    Calibration(#[from] CalibrationError),
}

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
        let max = self.per_call_ns.iter().cloned().fold(f64::MIN, f64::max);
        let min = self.per_call_ns.iter().cloned().fold(f64::MAX, f64::min);
        (max - min) / self.median()
    }
}

fn median(xs: &[f64]) -> f64 {
    let mut v = xs.to_vec();
    v.sort_by(f64::total_cmp);
    let m = v.len() / 2;
    if v.is_empty() {
        f64::NAN
    } else if v.len() % 2 == 1 {
        v[m]
    } else {
        (v[m - 1] + v[m]) / 2.0
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

/// Time in nanoseconds of `k` calls of the Rust core.
fn time_rust_batch(n: u64, k: u64) -> f64 {
    let t0 = Instant::now();
    for _ in 0..k {
        black_box(find_nth_prime(black_box(n)));
    }
    t0.elapsed().as_nanos() as f64
}

/// A single call at least this long is kept as a sample instead of being a discarded warm-up.
const KEEP_WARMUP_NS: f64 = 2e8;
const MAX_BATCH: u64 = 1 << 30;

/// Times the Rust core at each n: sizes a batch for each n (these runs double as warm-up),
/// then takes `samples` rounds of one batch per n. Prints a warning on stderr, and records one, in a debug build.
pub fn measure_rust(
    ns: &[u64],
    samples: u32,
    min_batch: Duration,
    progress: bool,
) -> Result<Measured, CalibrateError> {
    let mut warnings = Vec::new();
    let build = if cfg!(debug_assertions) {
        let w = "execsim was built without optimisation (debug build): Rust timings are \
                 meaningless; use `cargo run --release`";
        eprintln!("warning: {w}");
        warnings.push(w.to_string());
        "debug"
    } else {
        "release"
    };
    let target = min_batch.as_nanos() as f64;
    let mut points = Vec::with_capacity(ns.len());
    for &n in ns {
        let expected = op_count(n)?.prime;
        let got = find_nth_prime(n).unwrap_or(0);
        if got != expected {
            return Err(CalibrateError::WrongResult {
                backend: Backend::Rust,
                n,
                got,
                expected,
            });
        }
        let mut k = 1u64;
        let dt = loop {
            let dt = time_rust_batch(n, k);
            if dt >= target || k >= MAX_BATCH {
                break dt;
            }
            let grow = (k as f64 * 1.2 * target / dt.max(1.0)) as u64 + 1;
            k = grow.max(2 * k).min(MAX_BATCH);
        };
        let mut times = Vec::with_capacity(samples as usize);
        if k == 1 && dt >= KEEP_WARMUP_NS {
            times.push(dt);
        }
        if progress {
            eprintln!(
                "  sized n = {n}: {k} per batch, {} per call",
                human_duration(dt / k as f64)
            );
        }
        points.push(Measurement {
            n,
            batch: k,
            per_call_ns: times,
        });
    }
    // Round-robin: a slow period of the machine costs one sample of several n, not all
    // the samples of one n.
    for round in 1..=samples {
        for m in points.iter_mut() {
            if m.per_call_ns.len() < samples as usize {
                m.per_call_ns
                    .push(time_rust_batch(m.n, m.batch) / m.batch as f64);
            }
        }
        if progress {
            eprintln!("  round {round} of {samples} done");
        }
    }
    Ok(Measured {
        runtime: format!(
            "execsim {} {build} build ({} {})",
            env!("CARGO_PKG_VERSION"),
            std::env::consts::OS,
            std::env::consts::ARCH
        ),
        points,
        warnings,
    })
}

#[derive(Deserialize)]
struct ScriptOutput {
    implementation: String,
    version: String,
    executable: String,
    gil_disabled: bool,
    points: Vec<ScriptPoint>,
}

#[derive(Deserialize)]
struct ScriptPoint {
    n: u64,
    batch: u64,
    per_call_ns: Vec<f64>,
    result: u64,
}

/// Kills (if still running) and reaps the child when dropped, so no path leaves a zombie or
/// an orphaned busy process.
struct ChildGuard(Option<Child>);

impl ChildGuard {
    fn child(&mut self) -> &mut Child {
        self.0.as_mut().expect("child already reaped")
    }
    fn reap(mut self) -> std::io::Result<ExitStatus> {
        let mut child = self.0.take().expect("child already reaped");
        child.wait()
    }
}

impl Drop for ChildGuard {
    fn drop(&mut self) {
        if let Some(mut child) = self.0.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// The prefix of the progress lines the script writes on stderr.
const PROGRESS_PREFIX: &str = "execsim-progress ";

/// Runs the CPython timing script with `python` and parses its output.
///
/// Errors: [`CalibrateError::PythonNotFound`] if `python` does not exist,
/// [`CalibrateError::Timeout`] if it runs longer than `timeout` (it is then killed),
/// [`CalibrateError::ScriptFailed`] with its stderr if it exits with an error, and
/// [`CalibrateError::WrongResult`] if it computes a wrong p_n.
pub fn measure_cpython(
    python: &Path,
    ns: &[u64],
    samples: u32,
    min_batch: Duration,
    timeout: Duration,
    progress: bool,
) -> Result<Measured, CalibrateError> {
    let expected: Vec<u64> = ns
        .iter()
        .map(|&n| op_count(n).map(|c| c.prime))
        .collect::<Result<_, _>>()?;
    let config = serde_json::json!({
        "ns": ns,
        "samples": samples,
        "min_batch_ns": min_batch.as_nanos() as u64,
        "progress": progress,
    });
    let mut cmd = Command::new(python);
    cmd.arg("-I")
        .arg("-c")
        .arg(CPYTHON_SCRIPT)
        .arg(config.to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let child = cmd.spawn().map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            CalibrateError::PythonNotFound(python.to_path_buf())
        } else {
            CalibrateError::Spawn {
                python: python.to_path_buf(),
                source: e,
            }
        }
    })?;
    let mut guard = ChildGuard(Some(child));
    let mut stdout = guard.child().stdout.take().expect("piped stdout");
    let stderr = guard.child().stderr.take().expect("piped stderr");
    let (out_tx, out_rx) = mpsc::channel();
    let (err_tx, err_rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = stdout.read_to_end(&mut buf);
        let _ = out_tx.send(buf);
    });
    std::thread::spawn(move || {
        let mut kept = String::new();
        for line in BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            if let Some(rest) = line.strip_prefix(PROGRESS_PREFIX) {
                if progress {
                    eprintln!("  {rest}");
                }
            } else {
                kept.push_str(&line);
                kept.push('\n');
            }
        }
        let _ = err_tx.send(kept);
    });

    let deadline = Instant::now() + timeout;
    let status = loop {
        match guard.child().try_wait() {
            Ok(Some(_)) => {
                break guard.reap().map_err(|e| CalibrateError::Spawn {
                    python: python.to_path_buf(),
                    source: e,
                })?
            }
            Ok(None) if Instant::now() >= deadline => {
                drop(guard); // kills and reaps
                return Err(CalibrateError::Timeout(timeout));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(10)),
            Err(e) => {
                return Err(CalibrateError::Spawn {
                    python: python.to_path_buf(),
                    source: e,
                })
            }
        }
    };
    // The pipes close when the process exits (the script starts no children); the bound
    // only protects against an interpreter wrapper that leaves something holding them.
    let grace = Duration::from_secs(5);
    let out = out_rx.recv_timeout(grace).unwrap_or_default();
    let err = err_rx.recv_timeout(grace).unwrap_or_default();
    if !status.success() {
        return Err(CalibrateError::ScriptFailed {
            status,
            stderr: err.trim_end().to_string(),
        });
    }
    let parsed: ScriptOutput = serde_json::from_slice(&out).map_err(|e| {
        let text = String::from_utf8_lossy(&out);
        let shown: String = text.chars().take(300).collect();
        CalibrateError::BadOutput(format!("{e} (stdout began: {shown:?})"))
    })?;
    if parsed.points.len() != ns.len() {
        return Err(CalibrateError::BadOutput(format!(
            "{} points for {} values of n",
            parsed.points.len(),
            ns.len()
        )));
    }
    let mut warnings = Vec::new();
    if parsed.implementation != "cpython" {
        let w = format!(
            "{} is {} {}, not CPython: its timings do not describe the lesson's service",
            python.display(),
            parsed.implementation,
            parsed.version
        );
        eprintln!("warning: {w}");
        warnings.push(w);
    }
    let mut points = Vec::with_capacity(ns.len());
    for (p, (&n, &expected)) in parsed.points.into_iter().zip(ns.iter().zip(&expected)) {
        if p.n != n || p.per_call_ns.is_empty() {
            return Err(CalibrateError::BadOutput(format!(
                "point for n = {} does not match the request n = {n}",
                p.n
            )));
        }
        if p.result != expected {
            return Err(CalibrateError::WrongResult {
                backend: Backend::Cpython,
                n,
                got: p.result,
                expected,
            });
        }
        points.push(Measurement {
            n,
            batch: p.batch,
            per_call_ns: p.per_call_ns,
        });
    }
    let name = if parsed.implementation == "cpython" {
        "CPython".to_string()
    } else {
        parsed.implementation.clone()
    };
    let gil = if parsed.gil_disabled {
        ", free-threaded"
    } else {
        ""
    };
    Ok(Measured {
        runtime: format!("{name} {}{gil} ({})", parsed.version, parsed.executable),
        points,
        warnings,
    })
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
/// use execsim::calibrate::measure::{fit_weighted, FitPoint};
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
    let sse = |beta: &[f64; 3]| -> f64 {
        rows.iter()
            .map(|a| {
                let e = a[0] * beta[0] + a[1] * beta[1] + a[2] * beta[2] - 1.0;
                e * e
            })
            .sum()
    };
    let full = solve_subset(&rows, [true; 3]).ok_or(FitError::Singular)?;
    let (beta, active) = if full.iter().all(|&b| b >= 0.0) {
        (full, [true; 3])
    } else {
        let mut best: Option<([f64; 3], [bool; 3], f64)> = None;
        for mask in 1..7u8 {
            let active = [mask & 1 != 0, mask & 2 != 0, mask & 4 != 0];
            if let Some(b) = solve_subset(&rows, active) {
                if b.iter().all(|&x| x >= 0.0) {
                    let s = sse(&b);
                    if best.as_ref().is_none_or(|(_, _, bs)| s < *bs) {
                        best = Some((b, active, s));
                    }
                }
            }
        }
        let (b, a, _) = best.ok_or(FitError::Singular)?;
        (b, a)
    };
    let cost = CoreCost {
        per_call_ns: beta[0],
        per_candidate_ns: beta[1],
        per_test_ns: beta[2],
    };
    let predicted: Vec<f64> = points
        .iter()
        .map(|p| beta[0] + beta[1] * p.candidates + beta[2] * p.tests)
        .collect();
    let rel: Vec<f64> = points
        .iter()
        .zip(&predicted)
        .map(|(p, y)| (y - p.ns) / p.ns)
        .collect();
    let w_sum: f64 = points.iter().map(|p| 1.0 / (p.ns * p.ns)).sum();
    let w_mean = points.iter().map(|p| 1.0 / p.ns).sum::<f64>() / w_sum;
    let sst: f64 = points
        .iter()
        .map(|p| ((p.ns - w_mean) / p.ns).powi(2))
        .sum();
    let sse_v: f64 = rel.iter().map(|e| e * e).sum();
    let r2 = if sst > 0.0 {
        1.0 - sse_v / sst
    } else if sse_v == 0.0 {
        1.0
    } else {
        0.0
    };
    Ok(Fit {
        cost,
        clamped: (0..3)
            .filter(|&j| !active[j])
            .map(|j| COEFFICIENT_NAMES[j])
            .collect(),
        predicted,
        r2,
        max_rel_residual: rel.iter().fold(0.0, |m, e| m.max(e.abs())),
        rms_rel_residual: (sse_v / rel.len() as f64).sqrt(),
    })
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
    let counts: Vec<OpCount> = opts
        .ns
        .iter()
        .map(|&n| op_count(n))
        .collect::<Result<_, _>>()?;
    let date = utc_now_iso8601();
    let measured = match opts.backend {
        Backend::Rust => measure_rust(&opts.ns, opts.samples, opts.min_batch, opts.progress)?,
        Backend::Cpython => measure_cpython(
            &opts.python,
            &opts.ns,
            opts.samples,
            opts.min_batch,
            opts.timeout,
            opts.progress,
        )?,
    };
    let fit_points: Vec<FitPoint> = counts
        .iter()
        .zip(&measured.points)
        .map(|(c, m)| FitPoint::new(c, m.median()))
        .collect();
    let fit = fit_weighted(&fit_points)?;
    let mut warnings = measured.warnings;
    let spreads: Vec<f64> = measured.points.iter().map(Measurement::spread).collect();
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
        .zip(measured.points)
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
        fit: Some(FitInfo {
            date,
            command: opts.command.clone(),
            host: machine_meta().host,
            runtime: measured.runtime,
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
        }),
    };
    Ok(CalibrationRun {
        backend: opts.backend,
        core,
        fit,
        points,
        warnings,
    })
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

/// What [`merge_into_file`] did.
#[derive(Clone, Debug)]
pub struct Merged {
    /// The calibration as written.
    pub calibration: Calibration,
    /// Whether the file was created (rather than updated).
    pub created: bool,
    /// Remarks for the user (e.g. where the other backend's section came from).
    pub notes: Vec<String>,
}

/// Writes `core` as `backend`'s section of the calibration file at `path`.
///
/// If the file exists it is loaded and only that section and `[meta]` are replaced (every
/// other section is kept); a file that does not parse is an error and is left alone. If it
/// does not exist, it is created from the embedded default with that section replaced.
pub fn merge_into_file(
    path: &Path,
    backend: Backend,
    core: CoreCalibration,
) -> Result<Merged, CalibrateError> {
    let (mut cal, created) = match Calibration::load(path) {
        Ok(c) => (c, false),
        Err(CalibrationError::NotFound(_)) => (Calibration::default_embedded(), true),
        Err(e) => return Err(e.into()),
    };
    let other = match backend {
        Backend::Rust => Backend::Cpython,
        Backend::Cpython => Backend::Rust,
    };
    let meta = machine_meta();
    let mut notes = Vec::new();
    if created {
        notes.push(format!(
            "the [core.{other}] section is a copy of the embedded default calibration"
        ));
    } else if let Some(fit) = &cal.core_calibration(other).fit {
        if fit.host.is_some() && fit.host != meta.host {
            notes.push(format!(
                "the [core.{other}] section was measured on another host ({})",
                fit.host.as_deref().unwrap_or("?")
            ));
        }
    } else {
        notes.push(format!(
            "the [core.{other}] section has no fit information (hand-written or placeholder \
             values)"
        ));
    }
    cal.meta = meta;
    cal.set_core(backend, core);
    cal.save(path)?;
    Ok(Merged {
        calibration: cal,
        created,
        notes,
    })
}

/// The `[meta]` of this machine now: date, host, kernel, CPU model, CPU count, tool.
pub fn machine_meta() -> Meta {
    let uname = |flag: &str| -> Option<String> {
        let out = Command::new("uname")
            .arg(flag)
            .stdin(Stdio::null())
            .stderr(Stdio::null())
            .output()
            .ok()?;
        let s = String::from_utf8_lossy(&out.stdout).trim().to_string();
        (out.status.success() && !s.is_empty()).then_some(s)
    };
    let cpu = std::fs::read_to_string("/proc/cpuinfo").ok().and_then(|t| {
        t.lines()
            .find(|l| l.starts_with("model name"))
            .and_then(|l| l.split_once(':'))
            .map(|(_, v)| v.trim().to_string())
    });
    Meta {
        date: Some(utc_now_iso8601()),
        host: uname("-n"),
        kernel: uname("-srm").or_else(|| {
            Some(format!(
                "{} {}",
                std::env::consts::OS,
                std::env::consts::ARCH
            ))
        }),
        cpu,
        cpus: std::thread::available_parallelism()
            .ok()
            .map(|n| n.get() as u32),
        tool: Some(format!("execsim {}", env!("CARGO_PKG_VERSION"))),
        note: None,
    }
}

/// The system clock now, as `YYYY-MM-DDTHH:MM:SSZ` (UTC).
pub fn utc_now_iso8601() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    iso8601_from_unix(secs)
}

/// Formats seconds since the Unix epoch as `YYYY-MM-DDTHH:MM:SSZ` (proleptic Gregorian, UTC).
pub fn iso8601_from_unix(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Days to civil date (H. Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_dates() {
        assert_eq!(iso8601_from_unix(0), "1970-01-01T00:00:00Z");
        assert_eq!(iso8601_from_unix(1_700_000_000), "2023-11-14T22:13:20Z");
        assert_eq!(iso8601_from_unix(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(iso8601_from_unix(4_107_542_399), "2100-02-28T23:59:59Z");
    }

    #[test]
    fn rounding() {
        assert_eq!(round_sig(64.12298765, 5), 64.123);
        assert_eq!(round_sig(0.000123456, 3), 0.000123);
        assert_eq!(round_sig(0.0, 3), 0.0);
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
