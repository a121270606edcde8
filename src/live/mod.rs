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
//! Each run is a process group started and supervised by [`run_live`] ([`supervise`]): it is
//! bounded in time, killed whole at the end (the lesson's long request cannot be stopped any
//! other way), every process is reaped, and the port is checked to be released. Before the
//! run the machine is checked to be idle ([`procfs::idle_check`]).
//!
//! [`compare`] runs simulation and live runs side by side; [`crate::calibrate::live_fit`] fits the simulator's
//! per-step costs from live runs.

pub mod compare;
pub mod config;
pub mod cpython;
pub mod os;
pub mod procfs;
pub mod progress;
pub mod protocol;
pub mod rust_backend;
pub mod stats;
pub mod supervise;

use crate::sim::results::{RunResult, ThreadResult};
use crate::sim::scenario::{ExecutorKind, Scenario};
use crate::workload::cost::Backend;
use config::{ChildConfig, EmulatedGil};
use protocol::{Message, Summary};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::mpsc::RecvTimeoutError;
use std::time::{Duration, Instant};
use supervise::{Group, GroupCleanup, Output};

/// Other load (in cores) above which the machine does not count as idle before a run.
pub const IDLE_THRESHOLD_CORES: f64 = 0.15;

/// How to run a scenario live.
#[derive(Clone, Debug)]
pub struct LiveOptions {
    /// Which implementation of the service runs.
    pub backend: Backend,
    /// The Python interpreter (cpython backend).
    pub python: PathBuf,
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
}

impl LiveOptions {
    /// Defaults for `backend`: `python3`, no progress, idle check on, no Ctrl-C handler.
    pub fn new(backend: Backend) -> LiveOptions {
        LiveOptions {
            backend,
            python: PathBuf::from("python3"),
            exe: None,
            progress: false,
            idle_check: true,
            handle_ctrlc: false,
            emulate_gil: false,
            startup_timeout: Duration::from_secs(20),
            idle_wait: Duration::ZERO,
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

fn child_err(group: &Group, idx: usize, message: String) -> LiveError {
    LiveError::Child {
        message,
        stderr: group.stderr_tail(idx),
    }
}

fn backend_command(
    opts: &LiveOptions,
    cfg: &ChildConfig,
) -> Result<std::process::Command, LiveError> {
    Ok(match opts.backend {
        Backend::Cpython => cpython::command(&opts.python, cfg),
        Backend::Rust => {
            let exe = match &opts.exe {
                Some(p) => p.clone(),
                None => std::env::current_exe().map_err(|e| LiveError::Spawn {
                    what: "the execsim binary (current executable)".into(),
                    source: e,
                })?,
            };
            rust_backend::command(&exe, cfg)
        }
    })
}

fn spawn(group: &mut Group, opts: &LiveOptions, cfg: &ChildConfig) -> Result<usize, LiveError> {
    let cmd = backend_command(opts, cfg)?;
    group.spawn(cmd).map_err(|e| {
        if opts.backend == Backend::Cpython && e.kind() == std::io::ErrorKind::NotFound {
            LiveError::PythonNotFound(opts.python.clone())
        } else {
            LiveError::Spawn {
                what: format!("the {} live service", opts.backend),
                source: e,
            }
        }
    })
}

/// Waits for child `idx`'s `ready` message.
fn wait_ready(
    group: &Group,
    idx: usize,
    until: Instant,
    timeout: Duration,
    warnings: &mut Vec<String>,
) -> Result<Message, LiveError> {
    loop {
        let left = until.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(LiveError::Timeout(timeout.as_secs_f64()));
        }
        match group.rx.recv_timeout(left) {
            Ok(Output::Line(i, line)) => match protocol::parse_line(&line) {
                None => {}
                Some(Err(e)) => return Err(child_err(group, i, e)),
                Some(Ok(Message::Error { message })) => return Err(child_err(group, i, message)),
                Some(Ok(Message::Warning { message })) => warnings.push(message),
                Some(Ok(m @ Message::Ready { .. })) if i == idx => return Ok(m),
                Some(Ok(_)) => {}
            },
            Ok(Output::Closed(i)) => {
                std::thread::sleep(Duration::from_millis(50));
                return Err(child_err(
                    group,
                    i,
                    "the live service exited before it was ready".into(),
                ));
            }
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => {
                return Err(child_err(
                    group,
                    idx,
                    "lost the live service's output".into(),
                ))
            }
        }
    }
}

/// Runs `scenario` live and returns its results.
///
/// The run is bounded: the service must listen within [`LiveOptions::startup_timeout`], and
/// the run must end within its duration plus 15 s; its process group is then killed and
/// reaped in any case (also on error and on Ctrl-C when [`LiveOptions::handle_ctrlc`]).
pub fn run_live(scenario: &Scenario, opts: &LiveOptions) -> Result<LiveOutcome, LiveError> {
    scenario
        .validate()
        .map_err(|e| LiveError::Scenario(e.to_string()))?;
    let cpus = os::allowed_cpus();
    let mut warnings = config::check_runnable(scenario, cpus.len()).map_err(LiveError::Scenario)?;
    if opts.backend == Backend::Rust && scenario.server.executor == ExecutorKind::Interpreter {
        return Err(LiveError::Scenario(
            "server.executor = \"interpreter\" has no rust-backend counterpart (use --backend cpython with Python 3.14)".into(),
        ));
    }
    let busy_cores_before = opts.idle_check.then(|| {
        let until = Instant::now() + opts.idle_wait;
        loop {
            let r = procfs::idle_check(Duration::from_millis(300));
            match r.warning(IDLE_THRESHOLD_CORES) {
                None => break r.busy_cores,
                Some(_) if Instant::now() < until => {
                    std::thread::sleep(Duration::from_millis(700));
                }
                Some(w) => {
                    warnings.push(w);
                    break r.busy_cores;
                }
            }
        }
    });
    let duration = scenario.duration.as_secs_f64();
    let watchdog_s = duration + opts.startup_timeout.as_secs_f64() + 30.0;
    let mut full = config::service_config(scenario, watchdog_s).map_err(LiveError::Scenario)?;
    if opts.emulate_gil {
        if opts.backend != Backend::Rust {
            return Err(LiveError::Scenario(
                "--emulate-gil is for the rust backend (CPython has a real GIL)".into(),
            ));
        }
        full.gil = Some(EmulatedGil {
            interval_s: full.switch_interval_s,
        });
    }
    let (svc_cfg, clients_cfg) = config::split_roles(&full);
    if opts.handle_ctrlc {
        supervise::install_ctrlc_handler();
    }

    let mut group = Group::new();
    let svc = spawn(&mut group, opts, &svc_cfg)?;
    let started = Instant::now();
    let ready = wait_ready(
        &group,
        svc,
        started + opts.startup_timeout,
        opts.startup_timeout,
        &mut warnings,
    )?;
    let Message::Ready {
        port: Some(port),
        t0_ns: Some(t0_ns),
        python,
        ..
    } = ready
    else {
        return Err(child_err(
            &group,
            svc,
            "the service's ready message has no port or time 0".into(),
        ));
    };
    let runtime = python.unwrap_or_else(|| opts.backend.to_string());
    let mut reporters = 1;
    if let Some(mut c) = clients_cfg {
        c.port = Some(port);
        c.t0_ns = Some(t0_ns);
        let idx = spawn(&mut group, opts, &c)?;
        wait_ready(
            &group,
            idx,
            Instant::now() + opts.startup_timeout,
            opts.startup_timeout,
            &mut warnings,
        )?;
        reporters = 2;
    }
    let cpu_before = procfs::cpu_times();
    let seconds = scenario.duration.as_nanos().div_ceil(1_000_000_000);
    let mut progress = progress::Progress::new(
        opts.progress,
        &format!("live {} {}", opts.backend, scenario.label()),
        seconds,
        reporters,
    );
    let limit = Duration::from_secs_f64(duration + 15.0);
    let deadline = Instant::now() + limit;
    let mut summaries: Vec<(usize, Summary)> = Vec::new();
    while summaries.len() < reporters {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(LiveError::Timeout(limit.as_secs_f64()));
        }
        match group.rx.recv_timeout(left.min(Duration::from_millis(250))) {
            Ok(Output::Line(i, line)) => match protocol::parse_line(&line) {
                None | Some(Ok(Message::Ready { .. })) => {}
                Some(Err(e)) => return Err(child_err(&group, i, e)),
                Some(Ok(Message::Error { message })) => return Err(child_err(&group, i, message)),
                Some(Ok(Message::Warning { message })) => warnings.push(message),
                Some(Ok(Message::Second { t, counts })) => progress.second(t, &counts),
                Some(Ok(Message::Summary(s))) => summaries.push((i, s)),
            },
            Ok(Output::Closed(i)) => {
                if !summaries.iter().any(|(j, _)| *j == i) {
                    std::thread::sleep(Duration::from_millis(50));
                    return Err(child_err(
                        &group,
                        i,
                        "a live process exited before the end of the run".into(),
                    ));
                }
            }
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => {
                return Err(child_err(
                    &group,
                    svc,
                    "lost the live processes' output".into(),
                ))
            }
        }
    }
    let cpu_after = procfs::cpu_times();
    // Per-thread CPU time and last core, read before the processes are killed.
    let mut threads = Vec::new();
    let mut interp_of: BTreeMap<u32, u16> = BTreeMap::new();
    let mut interp = |pid: u32| -> u16 {
        let next = interp_of.len() as u16;
        *interp_of.entry(pid).or_insert(next)
    };
    for (_, s) in &summaries {
        for t in &s.threads {
            let stat = procfs::thread_stat(t.pid, t.tid);
            threads.push(ThreadResult {
                name: t.name.clone(),
                interp: interp(t.pid),
                cpu_s: stat.map_or(0.0, |s| s.0),
                gil_hold_s: 0.0,
                last_core: stat.map(|s| s.1),
            });
        }
        for p in &s.processes {
            let stat = procfs::process_stat(p.pid);
            threads.push(ThreadResult {
                name: p.name.clone(),
                interp: interp(p.pid),
                cpu_s: stat.map_or(0.0, |s| s.0),
                gil_hold_s: 0.0,
                last_core: stat.map(|s| s.1),
            });
        }
    }
    let cleanup = group.shutdown();
    progress.finish();
    let port_released = supervise::port_released(port, Duration::from_secs(1));
    if !cleanup.group_empty {
        warnings.push("a process of the live run could not be reaped".into());
    }
    if !port_released {
        warnings.push(format!("port {port} is still listening after the run"));
    }
    // Clients in the scenario's order.
    let mut by_name: BTreeMap<String, protocol::ClientSummary> = BTreeMap::new();
    let mut gil = Vec::new();
    for (_, s) in summaries {
        if let Some(g) = s.gil {
            gil.push(crate::sim::results::GilResult {
                interp: 0,
                has_gil: true,
                handoffs: g.handoffs,
                drop_requests: g.drop_requests,
                acquisitions: g.acquisitions,
                hold_s: Vec::new(),
            });
        }
        for c in s.clients {
            by_name.insert(c.name.clone(), c);
        }
    }
    let mut clients = Vec::new();
    for plan in &full.clients {
        let Some(c) = by_name.get(&plan.name) else {
            return Err(LiveError::Child {
                message: format!("no results for client {}", plan.name),
                stderr: String::new(),
            });
        };
        if c.wrong > 0 {
            return Err(LiveError::WrongReplies {
                client: c.name.clone(),
                wrong: c.wrong,
            });
        }
        clients.push(c.to_result(seconds as usize));
    }
    let source = format!("live-{}", opts.backend);
    let result = RunResult {
        scenario: scenario.label().to_string(),
        source,
        seed: scenario.seed,
        duration_s: duration,
        trace_hash: String::new(),
        events: 0,
        clients,
        threads,
        gil,
        core_utilisation: procfs::utilisation(&cpu_before, &cpu_after),
    };
    Ok(LiveOutcome {
        result,
        runtime,
        warnings,
        busy_cores_before,
        cleanup,
        port,
        port_released,
    })
}
