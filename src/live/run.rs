//! One live run, step by step: check the scenario, wait for an idle machine, start the
//! service (and the clients process) in one supervised process group, collect the per-second
//! counts and summaries, read each thread's CPU time from `/proc`, kill and reap the group,
//! and put the results in simulation's [`RunResult`] shape.

use super::config::{self, ChildConfig, EmulatedGil};
use super::protocol::{self, Message, Summary};
use super::supervise::{self, Group, Output};
use super::{cpython, os, procfs, progress, rust_backend};
use super::{LiveError, LiveOptions, LiveOutcome, IDLE_THRESHOLD_CORES};
use crate::sim::results::{GilResult, RunResult, ThreadResult};
use crate::sim::scenario::{ExecutorKind, Scenario};
use crate::workload::cost::Backend;
use std::collections::BTreeMap;
use std::sync::mpsc::RecvTimeoutError;
use std::time::{Duration, Instant};

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
    let mut warnings = check_scenario(scenario, opts)?;
    let busy_cores_before = opts
        .idle_check
        .then(|| wait_until_idle(opts.idle_wait, &mut warnings));
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
    if opts.handle_ctrlc {
        supervise::install_ctrlc_handler();
    }
    let mut group = Group::new();
    let started = start(&mut group, opts, &full, &mut warnings)?;
    let cpu_before = procfs::cpu_times();
    let seconds = scenario.duration.as_nanos().div_ceil(1_000_000_000);
    let mut progress = progress::Progress::new(
        opts.progress,
        &format!("live {} {}", opts.backend, scenario.label()),
        seconds,
        started.reporters,
    );
    let limit = Duration::from_secs_f64(duration + 15.0);
    let summaries = collect_summaries(&group, &started, limit, &mut progress, &mut warnings)?;
    let cpu_after = procfs::cpu_times();
    // Per-thread CPU time and last core, read before the processes are killed.
    let threads = thread_results(&summaries);
    let cleanup = group.shutdown();
    progress.finish();
    let port = started.port;
    let port_released = supervise::port_released(port, Duration::from_secs(1));
    if !cleanup.group_empty {
        warnings.push("a process of the live run could not be reaped".into());
    }
    if !port_released {
        warnings.push(format!("port {port} is still listening after the run"));
    }
    let (clients, gil) = client_and_gil_results(&full, summaries, seconds as usize)?;
    let result = RunResult {
        scenario: scenario.label().to_string(),
        source: format!("live-{}", opts.backend),
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
        runtime: started.runtime,
        warnings,
        busy_cores_before,
        cleanup,
        port,
        port_released,
    })
}

/// Checks that `scenario` can run live here with `opts.backend`; returns the warnings.
fn check_scenario(scenario: &Scenario, opts: &LiveOptions) -> Result<Vec<String>, LiveError> {
    scenario
        .validate()
        .map_err(|e| LiveError::Scenario(e.to_string()))?;
    let cpus = os::allowed_cpus();
    let warnings = config::check_runnable(scenario, cpus.len()).map_err(LiveError::Scenario)?;
    if opts.backend == Backend::Rust && scenario.server.executor == ExecutorKind::Interpreter {
        return Err(LiveError::Scenario(
            "server.executor = \"interpreter\" has no rust-backend counterpart (use --backend cpython with Python 3.14)".into(),
        ));
    }
    Ok(warnings)
}

/// Samples the machine's load until it is idle (other load below
/// [`IDLE_THRESHOLD_CORES`]) or `wait` has passed (then with a warning); returns the busy
/// cores of the last sample.
fn wait_until_idle(wait: Duration, warnings: &mut Vec<String>) -> f64 {
    let until = Instant::now() + wait;
    loop {
        let r = procfs::idle_check(Duration::from_millis(300));
        match r.warning(IDLE_THRESHOLD_CORES) {
            None => return r.busy_cores,
            Some(_) if Instant::now() < until => {
                std::thread::sleep(Duration::from_millis(700));
            }
            Some(w) => {
                warnings.push(w);
                return r.busy_cores;
            }
        }
    }
}

/// A started run: the service listens, the clients are ready.
struct Started {
    /// The service's index in the group.
    service: usize,
    /// Where it listens.
    port: u16,
    /// What runs it (Python version, or the backend).
    runtime: String,
    /// Processes that report counts and a summary (1, or 2 with a clients process).
    reporters: usize,
}

/// Starts the service, waits until it listens, then starts the clients process (if the
/// scenario has out-of-process clients) with the service's port and time 0.
fn start(
    group: &mut Group,
    opts: &LiveOptions,
    full: &ChildConfig,
    warnings: &mut Vec<String>,
) -> Result<Started, LiveError> {
    let (svc_cfg, clients_cfg) = config::split_roles(full);
    let svc = spawn(group, opts, &svc_cfg)?;
    let timeout = opts.startup_timeout;
    let ready = wait_ready(group, svc, Instant::now() + timeout, timeout, warnings)?;
    let Message::Ready {
        port: Some(port),
        t0_ns: Some(t0_ns),
        python,
        ..
    } = ready
    else {
        return Err(child_err(
            group,
            svc,
            "the service's ready message has no port or time 0".into(),
        ));
    };
    let mut reporters = 1;
    if let Some(mut c) = clients_cfg {
        c.port = Some(port);
        c.t0_ns = Some(t0_ns);
        let idx = spawn(group, opts, &c)?;
        wait_ready(group, idx, Instant::now() + timeout, timeout, warnings)?;
        reporters = 2;
    }
    Ok(Started {
        service: svc,
        port,
        runtime: python.unwrap_or_else(|| opts.backend.to_string()),
        reporters,
    })
}

/// Reads the children's output until every reporter sent its summary (or `limit` passes),
/// showing the per-second counts on `progress`.
fn collect_summaries(
    group: &Group,
    started: &Started,
    limit: Duration,
    progress: &mut progress::Progress,
    warnings: &mut Vec<String>,
) -> Result<Vec<(usize, Summary)>, LiveError> {
    let deadline = Instant::now() + limit;
    let mut summaries: Vec<(usize, Summary)> = Vec::new();
    while summaries.len() < started.reporters {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(LiveError::Timeout(limit.as_secs_f64()));
        }
        match group.rx.recv_timeout(left.min(Duration::from_millis(250))) {
            Ok(Output::Line(i, line)) => match protocol::parse_line(&line) {
                None | Some(Ok(Message::Ready { .. })) => {}
                Some(Err(e)) => return Err(child_err(group, i, e)),
                Some(Ok(Message::Error { message })) => return Err(child_err(group, i, message)),
                Some(Ok(Message::Warning { message })) => warnings.push(message),
                Some(Ok(Message::Second { t, counts })) => progress.second(t, &counts),
                Some(Ok(Message::Summary(s))) => summaries.push((i, s)),
            },
            Ok(Output::Closed(i)) => {
                if !summaries.iter().any(|(j, _)| *j == i) {
                    std::thread::sleep(Duration::from_millis(50));
                    return Err(child_err(
                        group,
                        i,
                        "a live process exited before the end of the run".into(),
                    ));
                }
            }
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => {
                return Err(child_err(
                    group,
                    started.service,
                    "lost the live processes' output".into(),
                ))
            }
        }
    }
    Ok(summaries)
}

/// CPU time and last core of every thread and worker process the summaries name, from
/// `/proc` (the processes must still exist); one interpreter number per process.
fn thread_results(summaries: &[(usize, Summary)]) -> Vec<ThreadResult> {
    let mut threads = Vec::new();
    let mut interp_of: BTreeMap<u32, u16> = BTreeMap::new();
    let mut interp = |pid: u32| -> u16 {
        let next = interp_of.len() as u16;
        *interp_of.entry(pid).or_insert(next)
    };
    for (_, s) in summaries {
        let tasks = s.threads.iter().map(|t| {
            let stat = procfs::thread_stat(t.pid, t.tid);
            (&t.name, t.pid, stat)
        });
        let procs = s.processes.iter().map(|p| {
            let stat = procfs::process_stat(p.pid);
            (&p.name, p.pid, stat)
        });
        for (name, pid, stat) in tasks.chain(procs) {
            threads.push(ThreadResult {
                name: name.clone(),
                interp: interp(pid),
                cpu_s: stat.map_or(0.0, |s| s.0),
                gil_hold_s: 0.0,
                last_core: stat.map(|s| s.1),
            });
        }
    }
    threads
}

/// The clients' results in the scenario's order (an error if one is missing or received a
/// wrong prime) and the emulated GIL's counters.
fn client_and_gil_results(
    full: &ChildConfig,
    summaries: Vec<(usize, Summary)>,
    seconds: usize,
) -> Result<(Vec<crate::sim::results::ClientResult>, Vec<GilResult>), LiveError> {
    let mut by_name: BTreeMap<String, protocol::ClientSummary> = BTreeMap::new();
    let mut gil = Vec::new();
    for (_, s) in summaries {
        if let Some(g) = s.gil {
            gil.push(GilResult {
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
        clients.push(c.to_result(seconds));
    }
    Ok((clients, gil))
}
