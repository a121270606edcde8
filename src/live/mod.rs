//! Live runs: the scenario run for real on this machine, on loopback (127.0.0.1, an ephemeral
//! port), reported in the same [`RunResult`] shape as a simulation.
//!
//! Two backends run the same plan ([`config::ChildConfig`]) and speak the same line protocol
//! ([`protocol`]):
//! - **cpython** ([`cpython`]): the lesson's asyncio service in CPython, with the scenario's
//!   switch interval, executor and clients as threads;
//! - **rust** ([`rust_backend`]): a Rust server whose event loop is a single-threaded tokio
//!   runtime, with inline, thread-pool and process-pool executors, and optionally an emulated
//!   GIL.
//!
//! Each run is a process group started and supervised by [`run_live`] ([`run`], [`supervise`]): it is
//! bounded in time, killed whole at the end (the lesson's long request cannot be stopped any
//! other way), every process is reaped, and the port is checked to be released. No process
//! of a run outlives it, whatever kills execsim ([`lifeline`]); a process that dies mid-run
//! ends it with [`LiveError::Died`], which names the process and keeps the seconds measured
//! so far ([`partial`]). Before the
//! run the machine is checked to be idle ([`procfs::idle_check`]). [`os`] holds what a live
//! process asks the OS about itself (affinity, thread id, clock), [`stats`] the median and
//! spread of repeated measurements, [`progress`] the progress bars, [`host_speed`] the prime
//! core's speed measured in each CPython run, [`thread_sampler`] where each thread ran.
//!
//! [`crate::calibrate::validate`] runs a fixed matrix of scenarios live and in simulation
//! (`execsim validate`).
//!
//! [`gil_trace`] records the CPython service's GIL during a run (`--gil-trace`).
//!
//! [`compare`] runs simulation and live runs side by side ([`compare_gil`]: their GILs); [`crate::calibrate::live_fit`] fits the simulator's
//! per-step costs from live runs.

pub mod backend_model;
pub mod cold_start;
pub mod compare;
pub mod compare_gil;
pub mod config;
pub mod cpython;
pub mod gil_trace;
pub mod host_speed;
pub mod interpreter;
pub mod lifeline;
pub mod os;
pub mod partial;
pub mod procfs;
pub mod progress;
pub mod protocol;
pub mod request_plan;
pub mod run;
pub mod rust_backend;
pub mod speed_probe;
pub mod stats;
pub mod supervise;
pub mod thread_sampler;

pub use partial::PartialRun;
pub use run::run_live;

use crate::sim::results::RunResult;
use crate::workload::cost::Backend;
use std::path::PathBuf;
use std::time::Duration;
use supervise::GroupCleanup;

/// Other load (in cores) above which the machine does not count as idle before a run.
pub const IDLE_THRESHOLD_CORES: f64 = 0.15;

/// How to run a scenario live.
#[derive(Clone, Debug)]
pub struct LiveOptions {
    /// Which implementation of the service runs.
    pub backend: Backend,
    /// The Python interpreter (cpython backend).
    pub python: PathBuf,
    /// Arguments the interpreter gets before the service's own (`-X gil=1`; set by
    /// [`interpreter::for_scenario`]).
    pub python_args: Vec<String>,
    /// The `execsim` binary the rust backend runs as its server and worker processes
    /// (default: the running executable, which must then be `execsim`).
    pub exe: Option<PathBuf>,
    /// Draw a progress bar on stderr.
    pub progress: bool,
    /// Sample `/proc/stat` before the run and warn if the machine is busy.
    pub idle_check: bool,
    /// Install a Ctrl-C handler that kills the run's processes (command-line use).
    pub handle_ctrlc: bool,
    /// Rust backend: emulate CPython's GIL (with the scenario's switch interval).
    pub emulate_gil: bool,
    /// Time allowed for the service to start listening.
    pub startup_timeout: Duration,
    /// With the idle check: wait up to this long for the machine to become idle (other
    /// load below 15% of a core) before starting; the run then starts anyway, with a warning.
    pub idle_wait: Duration,
    /// Cpython backend: trace the service's GIL ([`gil_trace`]); the outcome then has the GIL
    /// figures and [`LiveOutcome::gil_trace`].
    pub gil_trace: bool,
    /// Sample every thread's CPU and run time at this period during the run
    /// ([`thread_sampler`]; None: no sampling).
    pub thread_sampling: Option<Duration>,
}

impl LiveOptions {
    /// Defaults for `backend`: `python3`, no progress, idle check on, no Ctrl-C handler.
    pub fn new(backend: Backend) -> LiveOptions {
        LiveOptions {
            backend,
            python: PathBuf::from(interpreter::DEFAULT_PYTHON),
            python_args: Vec::new(),
            exe: None,
            progress: false,
            idle_check: true,
            handle_ctrlc: false,
            emulate_gil: false,
            startup_timeout: Duration::from_secs(20),
            idle_wait: Duration::ZERO,
            gil_trace: false,
            thread_sampling: None,
        }
    }
}

/// A finished live run.
#[derive(Clone, Debug, serde::Serialize)]
pub struct LiveOutcome {
    /// The results, in simulation's shape (`source` = `live-cpython` / `live-rust`).
    pub result: RunResult,
    /// What ran the service (Python version, or the execsim build).
    pub runtime: String,
    /// Things that may make the figures less trustworthy (busy machine, core count).
    pub warnings: Vec<String>,
    /// Busy cores measured just before the run (None: not checked).
    pub busy_cores_before: Option<f64>,
    /// The cleanup's findings.
    pub cleanup: GroupCleanup,
    /// The port the service listened on.
    pub port: u16,
    /// Nothing listened on the port after the run.
    pub port_released: bool,
    /// The GIL trace, with [`LiveOptions::gil_trace`].
    #[serde(skip)]
    pub gil_trace: Option<gil_trace::LiveGilTrace>,
    /// The host's speed before and after the run and the service's cold start
    /// ([`speed_probe`], [`host_speed`]); None for the rust backend.
    pub core_probe: Option<speed_probe::CoreProbe>,
    /// Where each thread ran, sampled during the run (with [`LiveOptions::thread_sampling`]).
    pub thread_samples: Option<thread_sampler::ThreadSamples>,
}

/// When a process died, for [`LiveError::Died`]'s message.
fn when_died(partial: Option<&PartialRun>) -> String {
    match partial {
        None => "before the run started".to_string(),
        Some(p) => format!(
            "after {} of {} s of the run (the counts of those seconds are kept, marked truncated)",
            p.seconds_seen, p.seconds_planned
        ),
    }
}

/// Why a live run failed.
#[derive(Debug, thiserror::Error)]
pub enum LiveError {
    /// The Python interpreter does not exist.
    #[error("{} not found: the cpython backend needs CPython 3 (install python3, or pass --python PATH)", .0.display())]
    PythonNotFound(PathBuf),
    /// A child process could not be started.
    #[error("cannot start {what}: {source}")]
    Spawn {
        /// What.
        what: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// The scenario cannot run live here.
    #[error("{0}")]
    Scenario(String),
    /// A child failed or said something wrong.
    #[error("live run failed: {message}{}", if stderr.is_empty() { String::new() } else { format!("\nits stderr:\n{stderr}") })]
    Child {
        /// What went wrong.
        message: String,
        /// The end of the child's stderr.
        stderr: String,
    },
    /// A process of the run died, or reported an error and ended, before the run was over.
    #[error("{what} {how} {}{}{}", when_died(partial.as_deref()), message.as_ref().map(|m| format!("\nit reported: {m}")).unwrap_or_default(), if stderr.is_empty() { String::new() } else { format!("\nits stderr (last lines):\n{stderr}") })]
    Died {
        /// Which process: its role, program and pid
        /// (`the cpython service process (python3, pid 4242)`).
        what: String,
        /// How it ended: `was killed by signal 9 (SIGKILL)`, `exited with status 2`.
        how: String,
        /// What it reported before it ended (its error message), if anything.
        message: Option<String>,
        /// The end of its stderr.
        stderr: String,
        /// The seconds measured before it died (None: it died before the run started).
        partial: Option<Box<PartialRun>>,
    },
    /// The run did not finish in time.
    #[error("live run did not finish within {0:.1} s; its processes were killed")]
    Timeout(f64),
    /// Replies were not the right primes.
    #[error("client {client} received {wrong} wrong replies")]
    WrongReplies {
        /// The client.
        client: String,
        /// How many.
        wrong: u64,
    },
}
