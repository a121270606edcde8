//! One live run, step by step: check the scenario, wait for an idle machine, start the
//! service (and the clients process) in one supervised process group, collect the per-second
//! counts and summaries, read each thread's CPU time from `/proc`, kill and reap the group,
//! and put the results in simulation's [`RunResult`] shape.
//!
//! A process that dies (or reports an error) before the end ends the run at once with
//! [`LiveError::Died`]: which process, how it ended, its last stderr lines, and the seconds
//! counted so far ([`super::partial`]).

use super::config::{self, ChildConfig, EmulatedGil};
use super::gil_trace::names::ThreadNames;
use super::gil_trace::GilTraceSession;
use super::partial::{PartialRun, SecondsSeen};
use super::protocol::{self, Message, Summary};
use super::speed_probe::{self, CoreProbe};
use super::supervise::{self, Group, Output};
use super::thread_sampler::{NamedTask, ThreadSampler};
use super::{cpython, os, procfs, progress, rust_backend};
use super::{LiveError, LiveOptions, LiveOutcome, IDLE_THRESHOLD_CORES};
use crate::sim::results::{GilResult, RunResult, ThreadResult};
use crate::sim::scenario::Scenario;
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
        Backend::Cpython => cpython::command(&opts.python, &opts.python_args, cfg),
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

fn spawn(
    group: &mut Group,
    opts: &LiveOptions,
    cfg: &ChildConfig,
    gil_trace: Option<&GilTraceSession>,
) -> Result<usize, LiveError> {
    let mut cmd = backend_command(opts, cfg)?;
    // Only the service (and the pool workers it forks) is traced.
    if let Some(session) = gil_trace.filter(|_| cfg.role == config::Role::Service) {
        session.configure(&mut cmd);
    }
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

/// Why reading a run's output stopped early.
enum Stop {
    /// A failure that is not a process's death (timeout, unreadable output).
    Failed(LiveError),
    /// Child `idx` died, or reported `message` (an error) and is ending.
    Died { idx: usize, message: Option<String> },
}

/// Names child `idx` of a run: its role, program and pid.
fn role_of(group: &Group, opts: &LiveOptions, idx: usize) -> String {
    let program = match opts.backend {
        Backend::Cpython => opts.python.display().to_string(),
        Backend::Rust => "execsim __live child".to_string(),
    };
    // The service is started first, the clients process (if any) second.
    let role = if idx == 0 { "service" } else { "clients" };
    format!(
        "the {} {role} process ({program}, pid {})",
        opts.backend,
        group.pid(idx)
    )
}

/// [`LiveError::Died`] for child `idx` (or for a child started before it that has died too,
/// the cause): waits up to a second for its exit status, kills and reaps the rest of the group
/// (so that its stderr is complete), and names it.
fn died(
    group: &mut Group,
    opts: &LiveOptions,
    idx: usize,
    message: Option<String>,
    partial: Option<PartialRun>,
) -> LiveError {
    // A clients process fails once the service is gone: name the service then.
    let grace = Instant::now() + Duration::from_millis(200);
    let cause = (0..idx).find(|&j| matches!(group.wait_exit(j, grace), Ok(Some(_))));
    let (idx, message) = match cause {
        Some(j) => (j, None),
        None => (idx, message),
    };
    let status = group.wait_exit(idx, Instant::now() + Duration::from_secs(1));
    let how = match status {
        Ok(Some(status)) => supervise::describe_exit(status),
        Ok(None) => "closed its output and was killed".to_string(),
        Err(e) => format!("ended (its status is unknown: {e})"),
    };
    group.shutdown();
    // Its last words may still be in the channel (the readers have ended: it is complete).
    let message = message.or_else(|| {
        group.rx.try_iter().find_map(|out| match out {
            Output::Line(i, line) if i == idx => match protocol::parse_line(&line) {
                Some(Ok(Message::Error { message })) => Some(message),
                _ => None,
            },
            _ => None,
        })
    });
    LiveError::Died {
        what: role_of(group, opts, idx),
        how,
        message,
        stderr: group.stderr_tail(idx),
        partial: partial.map(Box::new),
    }
}

/// Waits for child `idx`'s `ready` message.
fn wait_ready(
    group: &Group,
    idx: usize,
    until: Instant,
    timeout: Duration,
    warnings: &mut Vec<String>,
) -> Result<Message, Stop> {
    loop {
        let left = until.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(Stop::Failed(LiveError::Timeout(timeout.as_secs_f64())));
        }
        match group.rx.recv_timeout(left) {
            Ok(Output::Line(i, line)) => match protocol::parse_line(&line) {
                None => {}
                Some(Err(e)) => return Err(Stop::Failed(child_err(group, i, e))),
                Some(Ok(Message::Error { message })) => {
                    return Err(Stop::Died {
                        idx: i,
                        message: Some(message),
                    })
                }
                Some(Ok(Message::Warning { message })) => warnings.push(message),
                Some(Ok(m @ Message::Ready { .. })) if i == idx => return Ok(m),
                Some(Ok(_)) => {}
            },
            Ok(Output::Closed(i)) => {
                return Err(Stop::Died {
                    idx: i,
                    message: None,
                })
            }
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => {
                return Err(Stop::Failed(child_err(
                    group,
                    idx,
                    "lost the live service's output".into(),
                )))
            }
        }
    }
}

/// Runs `scenario` live and returns its results.
///
/// The run is bounded: the service must listen within [`LiveOptions::startup_timeout`], and
/// the run must end within its duration plus 15 s; its process group is then killed and
/// reaped in any case (also on error and on Ctrl-C when [`LiveOptions::handle_ctrlc`]). If a
/// process of the run dies first, the error is [`LiveError::Died`], with the seconds counted
/// so far.
// long: the run's whole sequence (start, sample, collect, trace, shut down) in one place
pub fn run_live(scenario: &Scenario, opts: &LiveOptions) -> Result<LiveOutcome, LiveError> {
    let mut warnings = check_scenario(scenario, opts)?;
    let opts = &*super::interpreter::for_scenario(scenario, opts)?;
    let busy_cores_before = opts
        .idle_check
        .then(|| wait_until_idle(opts.idle_wait, &mut warnings));
    let duration = scenario.duration.as_secs_f64();
    let full = child_config(scenario, opts)?;
    let probed_before = speed_probe::around_run(opts)?;
    let gil_session = gil_trace_session(scenario, opts, full.switch_interval_s)?;
    if opts.handle_ctrlc {
        supervise::install_ctrlc_handler();
    }
    let mut group = Group::new();
    let started = start(&mut group, opts, &full, &mut warnings, gil_session.as_ref())?;
    let sampler = opts.thread_sampling.map(|every| {
        let roots = (0..started.reporters).map(|i| group.pid(i)).collect();
        ThreadSampler::start(roots, started.t0_ns, every)
    });
    let cpu_before = procfs::cpu_times();
    let seconds = scenario.duration.as_nanos().div_ceil(1_000_000_000);
    let mut progress = progress::Progress::new(
        opts.progress,
        &format!("live {} {}", opts.backend, scenario.label()),
        seconds,
        started.reporters,
    );
    let limit = Duration::from_secs_f64(duration + 15.0);
    let mut seen = SecondsSeen::default();
    let collected = collect_summaries(
        &group,
        &started,
        limit,
        &mut progress,
        &mut warnings,
        &mut seen,
    );
    let header = |cpu_after| header(scenario, opts, &cpu_before, cpu_after);
    let mut summaries = match collected {
        Ok(s) => s,
        Err(Stop::Failed(e)) => return Err(e),
        Err(Stop::Died { idx, message }) => {
            progress.finish();
            let template = header(&procfs::cpu_times());
            let partial =
                seen.partial(template, &full.clients, started.reporters, seconds as usize);
            return Err(died(&mut group, opts, idx, message, Some(partial)));
        }
    };
    let cpu_after = procfs::cpu_times();
    summaries.sort_by_key(|(idx, _)| *idx); // the service's first: it is interpreter 0
                                            // Per-thread CPU time and last core, read before the processes are killed.
    let threads = thread_results(&summaries);
    let mut names = ThreadNames::from_summaries(summaries.iter().map(|(_, s)| s));
    let thread_samples =
        sampler.map(|s| s.finish(NamedTask::from_summaries(summaries.iter().map(|(_, s)| s))));
    let cold = summaries.iter().find_map(|(_, s)| s.cold_probe);
    let (cleanup, port_released) = shut_down(&mut group, started.port, &mut warnings);
    progress.finish();
    let core_probe = probed_before.and_then(|before| {
        let after = speed_probe::around_run(opts).unwrap_or_else(|e| {
            warnings.push(format!("the speed probe after the run failed: {e}"));
            None
        });
        CoreProbe::from_readings(before, after.unwrap_or_default(), cold)
    });
    let port = started.port;
    let (clients, gil) = client_and_gil_results(&full, summaries, seconds as usize)?;
    let mut result = RunResult {
        clients,
        threads,
        gil,
        ..header(&cpu_after)
    };
    let gil_trace = gil_session
        .map(|session| {
            let (pid, t0) = (started.pid, started.t0_ns);
            let (trace, lost) = session
                .finish(pid, t0, scenario, &mut names, &mut result)
                .map_err(|message| child_err(&group, started.service, message))?;
            warnings.extend(lost);
            Ok::<_, LiveError>(trace)
        })
        .transpose()?;
    Ok(LiveOutcome {
        result,
        runtime: started.runtime,
        warnings,
        busy_cores_before,
        cleanup,
        port,
        port_released,
        gil_trace,
        core_probe,
        thread_samples,
    })
}

/// Kills and reaps the run's processes; says whether the group is empty and the port
/// released (with a warning if not).
fn shut_down(
    group: &mut Group,
    port: u16,
    warnings: &mut Vec<String>,
) -> (supervise::GroupCleanup, bool) {
    let cleanup = group.shutdown();
    let port_released = supervise::port_released(port, Duration::from_secs(1));
    if !cleanup.group_empty {
        warnings.push("a process of the live run could not be reaped".into());
    }
    if !port_released {
        warnings.push(format!("port {port} is still listening after the run"));
    }
    (cleanup, port_released)
}

/// The GIL tracing of a run, when asked for (cpython backend only).
fn gil_trace_session(
    scenario: &Scenario,
    opts: &LiveOptions,
    switch_interval_s: f64,
) -> Result<Option<GilTraceSession>, LiveError> {
    if !opts.gil_trace {
        return Ok(None);
    }
    if opts.backend != Backend::Cpython {
        return Err(LiveError::Scenario(
            "--gil-trace traces CPython's GIL: it needs --backend cpython".into(),
        ));
    }
    GilTraceSession::start(switch_interval_s, scenario.duration.as_secs_f64())
        .map(Some)
        .map_err(LiveError::Scenario)
}

/// The children's configuration (the service's, with the clients process's clients in it).
fn child_config(scenario: &Scenario, opts: &LiveOptions) -> Result<ChildConfig, LiveError> {
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
    Ok(full)
}

/// A result with the run's scenario, source, seed, duration and core use, and no clients,
/// threads or GIL counters yet.
fn header(
    scenario: &Scenario,
    opts: &LiveOptions,
    cpu_before: &[procfs::CpuTimes],
    cpu_after: &[procfs::CpuTimes],
) -> RunResult {
    RunResult {
        scenario: scenario.label().to_string(),
        source: format!("live-{}", opts.backend),
        seed: scenario.seed,
        duration_s: scenario.duration.as_secs_f64(),
        trace_hash: String::new(),
        events: 0,
        clients: Vec::new(),
        threads: Vec::new(),
        gil: Vec::new(),
        core_utilisation: procfs::utilisation(cpu_before, cpu_after),
        gil_last_phase: None,
    }
}

/// Checks that `scenario` can run live here with `opts.backend`; returns the warnings.
fn check_scenario(scenario: &Scenario, opts: &LiveOptions) -> Result<Vec<String>, LiveError> {
    scenario
        .validate()
        .map_err(|e| LiveError::Scenario(e.to_string()))?;
    let cpus = os::allowed_cpus();
    let warnings = config::check_runnable(scenario, cpus.len()).map_err(LiveError::Scenario)?;
    config::check_backend(scenario, opts.backend).map_err(LiveError::Scenario)?;
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
    /// The run's time 0, CLOCK_MONOTONIC ns.
    t0_ns: u64,
    /// The service's process id.
    pid: u32,
}

/// Starts the service, waits until it listens, then starts the clients process (if the
/// scenario has out-of-process clients) with the service's port and time 0.
fn start(
    group: &mut Group,
    opts: &LiveOptions,
    full: &ChildConfig,
    warnings: &mut Vec<String>,
    gil_trace: Option<&GilTraceSession>,
) -> Result<Started, LiveError> {
    let (svc_cfg, clients_cfg) = config::split_roles(full);
    let svc = spawn(group, opts, &svc_cfg, gil_trace)?;
    let timeout = opts.startup_timeout;
    let ready = |group: &mut Group, idx: usize, warnings: &mut Vec<String>| {
        wait_ready(group, idx, Instant::now() + timeout, timeout, warnings).map_err(|stop| {
            match stop {
                Stop::Failed(e) => e,
                Stop::Died { idx, message } => died(group, opts, idx, message, None),
            }
        })
    };
    let ready_msg = ready(group, svc, warnings)?;
    let Message::Ready {
        port: Some(port),
        t0_ns: Some(t0_ns),
        python,
        pid,
        ..
    } = ready_msg
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
        let idx = spawn(group, opts, &c, gil_trace)?;
        ready(group, idx, warnings)?;
        reporters = 2;
    }
    Ok(Started {
        service: svc,
        port,
        runtime: python.unwrap_or_else(|| opts.backend.to_string()),
        reporters,
        t0_ns,
        pid,
    })
}

/// Reads the children's output until every reporter sent its summary (or `limit` passes),
/// keeping the per-second counts in `seen` and showing them on `progress`. A child that
/// reports an error or closes its output before its summary stops the reading
/// ([`Stop::Died`]).
fn collect_summaries(
    group: &Group,
    started: &Started,
    limit: Duration,
    progress: &mut progress::Progress,
    warnings: &mut Vec<String>,
    seen: &mut SecondsSeen,
) -> Result<Vec<(usize, Summary)>, Stop> {
    let deadline = Instant::now() + limit;
    let mut summaries: Vec<(usize, Summary)> = Vec::new();
    while summaries.len() < started.reporters {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(Stop::Failed(LiveError::Timeout(limit.as_secs_f64())));
        }
        match group.rx.recv_timeout(left.min(Duration::from_millis(250))) {
            Ok(Output::Line(i, line)) => match protocol::parse_line(&line) {
                None | Some(Ok(Message::Ready { .. })) => {}
                Some(Err(e)) => return Err(Stop::Failed(child_err(group, i, e))),
                Some(Ok(Message::Error { message })) => {
                    let message = Some(message);
                    return Err(Stop::Died { idx: i, message });
                }
                Some(Ok(Message::Warning { message })) => warnings.push(message),
                Some(Ok(Message::Second { t, counts })) => {
                    seen.record(i, t, &counts);
                    progress.second(t, &counts)
                }
                Some(Ok(Message::Summary(s))) => summaries.push((i, s)),
            },
            Ok(Output::Closed(i)) if !summaries.iter().any(|(j, _)| *j == i) => {
                return Err(Stop::Died {
                    idx: i,
                    message: None,
                })
            }
            Ok(Output::Closed(_)) | Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => {
                let message = "lost the live processes' output".into();
                return Err(Stop::Failed(child_err(group, started.service, message)));
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
            (&t.name, t.pid, t.tid, stat)
        });
        let procs = s.processes.iter().map(|p| {
            let stat = procfs::process_stat(p.pid);
            (&p.name, p.pid, p.pid, stat)
        });
        for (name, pid, tid, stat) in tasks.chain(procs) {
            threads.push(ThreadResult {
                name: name.clone(),
                interp: interp(pid),
                cpu_s: stat.map_or(0.0, |s| s.0),
                queued_s: procfs::thread_run_delay(pid, tid).map_or(0.0, |ns| ns as f64 * 1e-9),
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
                timeouts: 0,
                hold_s: Vec::new(),
                wait_s: Vec::new(),
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
