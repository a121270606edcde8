//! Measuring the service's per-step costs from live GIL traces:
//! `execsim calibrate --backend cpython --from-trace`.
//!
//! Each cost key of [`ServiceCosts`] stands for one stretch of one thread of the live CPython
//! service: the GIL time between two of its system calls ([`segments`]), or one system call.
//! Two scenarios are traced, one light closed-loop client (`n = 1`, no long request, 4 s,
//! the first second skipped), each launched `launches` times:
//!
//! - `thread-split`: the asyncio server with a thread pool, the loop on core 0, the client
//!   thread and the pool worker on core 1;
//! - `tpc-split`: the thread-per-connection server, the client on core 0, the connection
//!   thread on core 1.
//!
//! [`KEYS`] lists which segment each key is. Each key's value is the median over launches of
//! each launch's median, so one launch in another speed mode of the host moves it less than a
//! pooled median would. (Scaling each launch by its own speed probe was tried and dropped:
//! over 3 + 3 launches the probes ranged 86 to 143 ns per test while the launches' segment
//! medians did not follow them; two probes per run do not follow a speed that changes every
//! 100 ms, as [`crate::live::host_speed`] found for rates.) Nothing is fitted: the simulation does not run. The prime core's
//! speed probe of every launch ([`crate::live::host_speed`]) is recorded as the speed at
//! which these costs hold (`[trace_fit] per_test_ns`), and `compare`/`validate` scale the
//! costs by a run's speed over it.
//!
//! Where two keys always run in one GIL hold, the hold is on one key and the other is 0:
//! `worker_get_py` (the worker's `queue.get` returns into `fn(*args)` and `set_result` in
//! one hold: on `worker_done_py`) and `loop_ready_iteration_py` (an `epoll_wait(0)` iteration's
//! own code is split between the segments before and after its `epoll_wait`). The process
//! pool's keys are not traced here and keep their values.
//!
//! [`segments`]: crate::live::gil_trace::segments

use crate::kernel::SimDuration;
use crate::live::gil_trace::activity::CallSpan;
use crate::live::gil_trace::record::Call;
use crate::live::gil_trace::segments::{thread_segments, Segment};
use crate::live::gil_trace::LiveGilTrace;
use crate::live::host_speed::{round4, HostSpeed};
use crate::live::stats::median;
use crate::live::{run_live, LiveError, LiveOptions};
use crate::machine::ThreadId;
use crate::service::{ServerKind, ServiceCosts};
use crate::sim::calibration::{Calibration, TraceFitInfo, TraceFitKey};
use crate::sim::lesson::closed_client;
use crate::sim::scenario::{AffinitySpec, ExecutorKind, Scenario};
use std::collections::BTreeMap;

/// Length of each traced run, s.
pub const TRACE_DURATION_S: u64 = 4;

/// The warm-up skipped at the start of each run, s.
pub const SKIP_S: u64 = 1;

/// Each measured key: `(key, traced scenario, thread and segment)`.
pub const KEYS: [(&str, &str, &str); 21] = [
    (
        "send",
        "thread-split",
        "client and loop: a socket send() call",
    ),
    (
        "recv",
        "thread-split",
        "loop: a socket recv() that finds the request",
    ),
    ("poll", "thread-split", "loop: an epoll_wait(0) call"),
    (
        "pipe_write",
        "thread-split",
        "worker: its self-pipe send() call",
    ),
    (
        "pipe_read",
        "thread-split",
        "loop: a self-pipe recv() call (with data or empty)",
    ),
    (
        "client_py",
        "thread-split",
        "client: from recv() returning to send()",
    ),
    (
        "client_after_send_py",
        "thread-split",
        "client: from send() returning to recv()",
    ),
    (
        "loop_iteration_py",
        "thread-split",
        "loop: from epoll_wait(events) to the socket recv()",
    ),
    (
        "loop_read_py",
        "thread-split",
        "loop: from the socket recv() to epoll_wait(0)",
    ),
    (
        "loop_submit_thread_py",
        "thread-split",
        "loop: from epoll_wait(0) to the work queue's sem_post",
    ),
    (
        "loop_after_submit_py",
        "thread-split",
        "loop: from that sem_post to the next epoll_wait",
    ),
    (
        "loop_complete_py",
        "thread-split",
        "loop: from epoll_wait(events) to the self-pipe recv()",
    ),
    (
        "loop_self_pipe_py",
        "thread-split",
        "loop: between the two self-pipe recv() calls",
    ),
    (
        "loop_drained_py",
        "thread-split",
        "loop: from the empty self-pipe recv() to epoll_wait",
    ),
    (
        "loop_write_py",
        "thread-split",
        "loop: from epoll_wait(0) to the reply's send()",
    ),
    (
        "loop_after_send_py",
        "thread-split",
        "loop: from the reply's send() to epoll_wait",
    ),
    (
        "worker_done_py",
        "thread-split",
        "worker: from its semaphore wait to its self-pipe send()",
    ),
    (
        "worker_after_wake_py",
        "thread-split",
        "worker: from its self-pipe send() to its semaphore wait",
    ),
    (
        "conn_thread_py",
        "tpc-split",
        "connection thread: from recv() to send()",
    ),
    (
        "conn_after_send_py",
        "tpc-split",
        "connection thread: from send() to recv()",
    ),
    (
        "loop_ready_iteration_py",
        "thread-split",
        "0: in the segments around each epoll_wait(0)",
    ),
];

/// Keys set to 0 because their code is inside another key's segment.
const INSIDE_OTHERS: [&str; 2] = ["loop_ready_iteration_py", "worker_get_py"];

/// One traced scenario.
#[derive(Clone, Debug)]
pub struct TracedScenario {
    /// Its name in [`KEYS`].
    pub name: &'static str,
    /// The scenario run live.
    pub scenario: Scenario,
}

fn one_client(name: &str, kind: ServerKind, executor: ExecutorKind, aff: AffinitySpec) -> Scenario {
    let mut s = crate::sim::lesson::scenario(
        executor,
        SimDuration::from_millis(5),
        crate::sim::lesson::Placement::Unpinned,
    );
    s.name = Some(format!("trace-{name}"));
    s.server.kind = kind;
    s.duration = SimDuration::from_secs(TRACE_DURATION_S);
    s.clients = vec![closed_client("simple", 1, SimDuration::ZERO)];
    s.affinity = aff;
    s
}

/// The two traced scenarios.
pub fn traced_scenarios() -> Vec<TracedScenario> {
    let aff = |event_loop: Vec<u16>, clients: Vec<u16>, workers: Vec<u16>| AffinitySpec {
        event_loop,
        clients,
        workers,
        helpers: None,
    };
    vec![
        TracedScenario {
            name: "thread-split",
            scenario: one_client(
                "thread-split",
                ServerKind::Asyncio,
                ExecutorKind::Thread,
                aff(vec![0], vec![1], vec![1]),
            ),
        },
        TracedScenario {
            name: "tpc-split",
            scenario: one_client(
                "tpc-split",
                ServerKind::ThreadPerConnection,
                ExecutorKind::Thread,
                aff(vec![0], vec![0], vec![1]),
            ),
        },
    ]
}

/// Samples (ns) per key from one trace.
type Samples = BTreeMap<&'static str, Vec<u64>>;

fn span_ns(c: &CallSpan) -> u64 {
    c.to_ns - c.from_ns
}

fn is_sem_wait(c: Call) -> bool {
    matches!(c, Call::SemWait | Call::SemTimedwait | Call::SemClockwait)
}

/// The event loop's calls as its segments tell them apart.
#[derive(Clone, Copy, PartialEq, Eq)]
enum LoopCall {
    /// `epoll_wait` with a timeout (events or the next timer).
    Events,
    /// `epoll_wait(0)`: callbacks were ready.
    Ready,
    /// A `recv` on the client's socket.
    SockRecv,
    /// A `recv` on the self-pipe that returned data.
    PipeData,
    /// A `recv` on the self-pipe that found it empty.
    PipeEmpty,
    /// A `send` (the reply).
    Send,
    /// Anything else.
    Other,
}

fn loop_call(c: &CallSpan, pipe_fd: Option<i64>) -> LoopCall {
    match c.call {
        Call::EpollWait if c.arg == 0 => LoopCall::Ready,
        Call::EpollWait => LoopCall::Events,
        Call::Recv if Some(c.arg) == pipe_fd => match c.ret {
            Some(r) if r > 0 => LoopCall::PipeData,
            _ => LoopCall::PipeEmpty,
        },
        Call::Recv => LoopCall::SockRecv,
        Call::Send => LoopCall::Send,
        _ => LoopCall::Other,
    }
}

fn loop_samples(segs: &[Segment], out: &mut Samples) {
    use LoopCall::*;
    // The self-pipe is the socket the loop reads until it is empty (asyncio's
    // `_read_from_self`): a client's socket never returns EAGAIN to a loop that read it only
    // when epoll said it was readable.
    let pipe_fd = segs
        .iter()
        .map(|s| &s.after)
        .find(|c| c.call == Call::Recv && c.ret.is_some_and(|r| r < 0))
        .map(|c| c.arg);
    let mut push = |k: &'static str, v: u64| out.entry(k).or_default().push(v);
    for s in segs {
        let (a, b) = (loop_call(&s.after, pipe_fd), loop_call(&s.before, pipe_fd));
        let waits = |x: LoopCall| x == Events || x == Ready;
        let post = s.marks.iter().find(|m| m.call.call == Call::SemPost);
        match (a, b, post) {
            (Events, SockRecv, _) => push("loop_iteration_py", s.held_ns),
            (SockRecv, Ready, _) => push("loop_read_py", s.held_ns),
            (Ready, x, Some(m)) if waits(x) => {
                push("loop_submit_thread_py", m.held_before_ns);
                push("loop_after_submit_py", m.held_after_ns);
            }
            (Events, PipeData, _) => push("loop_complete_py", s.held_ns),
            (PipeData, PipeData | PipeEmpty, _) => push("loop_self_pipe_py", s.held_ns),
            (PipeEmpty, x, _) if waits(x) => push("loop_drained_py", s.held_ns),
            (Ready, Send, _) => push("loop_write_py", s.held_ns),
            (Send, x, _) if waits(x) => push("loop_after_send_py", s.held_ns),
            _ => {}
        }
        match b {
            Ready => push("poll", span_ns(&s.before)),
            SockRecv if s.before.ret.is_some_and(|r| r > 0) => push("recv", span_ns(&s.before)),
            PipeData | PipeEmpty => push("pipe_read", span_ns(&s.before)),
            Send => push("send", span_ns(&s.before)),
            _ => {}
        }
    }
}

fn worker_samples(segs: &[Segment], out: &mut Samples) {
    let mut push = |k: &'static str, v: u64| out.entry(k).or_default().push(v);
    for s in segs {
        match (s.after.call, s.before.call) {
            (w, Call::Send) if is_sem_wait(w) => {
                push("worker_done_py", s.held_ns);
                push("pipe_write", span_ns(&s.before));
            }
            (Call::Send, w) if is_sem_wait(w) => push("worker_after_wake_py", s.held_ns),
            _ => {}
        }
    }
}

/// A thread that alternates `recv` and `send` (a client, a connection thread).
fn ping_pong_samples(
    segs: &[Segment],
    after_recv: &'static str,
    after_send: &'static str,
    send: Option<&'static str>,
    out: &mut Samples,
) {
    let mut push = |k: &'static str, v: u64| out.entry(k).or_default().push(v);
    for s in segs {
        match (s.after.call, s.before.call) {
            (Call::Recv, Call::Send) => {
                push(after_recv, s.held_ns);
                if let Some(k) = send {
                    push(k, span_ns(&s.before));
                }
            }
            (Call::Send, Call::Recv) => push(after_send, s.held_ns),
            _ => {}
        }
    }
}

/// The samples of every key one traced run shows, thread by thread (threads are told apart
/// by the names the service registers: `event-loop`, `worker-K`, `client:NAME`, `conn-K`).
pub fn trace_samples(trace: &LiveGilTrace) -> BTreeMap<&'static str, Vec<u64>> {
    let mut out = Samples::new();
    let from = crate::kernel::SimTime(SKIP_S * 1_000_000_000);
    for (k, t) in trace.threads.iter().enumerate() {
        let segs = thread_segments(trace, ThreadId(k as u32), from);
        let name = t.name.as_str();
        if name == "event-loop" {
            loop_samples(&segs, &mut out);
        } else if name.starts_with("worker-") {
            worker_samples(&segs, &mut out);
        } else if name.starts_with("client:") && !name.ends_with("/recv") {
            ping_pong_samples(
                &segs,
                "client_py",
                "client_after_send_py",
                Some("send"),
                &mut out,
            );
        } else if name.starts_with("conn-") {
            ping_pong_samples(
                &segs,
                "conn_thread_py",
                "conn_after_send_py",
                None,
                &mut out,
            );
        }
    }
    out
}

fn median_u64(xs: &[u64]) -> f64 {
    let v: Vec<f64> = xs.iter().map(|&x| x as f64).collect();
    median(&v)
}

/// The result of a trace fit.
#[derive(Clone, Debug)]
pub struct TraceFit {
    /// The service costs: the calibration's, with every measured key replaced.
    pub service: ServiceCosts,
    /// Provenance (written as `[trace_fit]`).
    pub info: TraceFitInfo,
    /// Warnings of the live runs, and keys no trace showed.
    pub warnings: Vec<String>,
}

/// Per traced scenario, per key, each launch's median (ns) and sample count.
type LaunchMedians = BTreeMap<(&'static str, &'static str), (Vec<f64>, u64)>;

/// Runs each traced scenario `launches` times with the GIL trace on and measures the keys.
/// `progress` receives one line per launch.
pub fn fit_from_trace(
    cal: &Calibration,
    opts: &LiveOptions,
    launches: usize,
    command: &str,
    mut progress: impl FnMut(&str),
) -> Result<TraceFit, LiveError> {
    let mut opts = opts.clone();
    opts.gil_trace = true;
    let (mut launches_of, mut speeds) = (LaunchMedians::new(), Vec::new());
    let (mut warnings, mut runtime) = (Vec::new(), String::new());
    for ts in traced_scenarios() {
        for k in 0..launches.max(1) {
            let out = run_live(&ts.scenario, &opts)?;
            warnings.extend(out.warnings.iter().map(|w| format!("{}: {w}", ts.name)));
            runtime = out.runtime.clone();
            let trace = out.gil_trace.as_ref().ok_or_else(|| {
                LiveError::Scenario(format!("{}: the live run returned no GIL trace", ts.name))
            })?;
            let samples = trace_samples(trace);
            let speed = out
                .core_probe
                .as_ref()
                .map(|p| HostSpeed::from_probe(p, cal).per_test_ns());
            speeds.extend(speed);
            for (key, v) in &samples {
                let e = launches_of.entry((ts.name, key)).or_default();
                e.0.push(median_u64(v));
                e.1 += v.len() as u64;
            }
            progress(&format!(
                "{}: launch {} of {}: {} keys from {} segments{}",
                ts.name,
                k + 1,
                launches.max(1),
                samples.len(),
                samples.values().map(Vec::len).sum::<usize>(),
                speed.map_or(String::new(), |s| format!(", host at {s:.1} ns per test"))
            ));
        }
    }
    let per_test = if speeds.is_empty() {
        cal.core.cpython.per_test_ns
    } else {
        median(&speeds)
    };
    let medians = launches_of;
    let (service, keys) = assemble(cal.service.unwrap_or_default(), &medians, &mut warnings);
    Ok(TraceFit {
        service,
        info: TraceFitInfo {
            date: crate::calibrate::utc_now_iso8601(),
            command: command.to_string(),
            runtime,
            launches: launches.max(1) as u32,
            per_test_ns: round4(per_test),
            launch_per_test_ns: speeds.iter().map(|&s| round4(s)).collect(),
            method: "each key: the median over launches of each launch's median GIL time of \
                     its segment (or duration of its system call), seconds 1 to 4 of one \
                     closed-loop client sending n = 1; per_test_ns: the median of the \
                     launches' speed probes"
                .into(),
            keys,
        },
        warnings,
    })
}

/// The costs with every measured key replaced, and the record of each.
fn assemble(
    mut service: ServiceCosts,
    medians: &LaunchMedians,
    warnings: &mut Vec<String>,
) -> (ServiceCosts, Vec<TraceFitKey>) {
    let mut keys = Vec::new();
    for k in INSIDE_OTHERS {
        service.set(k, SimDuration::ZERO);
    }
    for (key, run, segment) in KEYS {
        if INSIDE_OTHERS.contains(&key) {
            continue;
        }
        let Some((launch, n)) = medians.get(&(run, key)) else {
            warnings.push(format!("{key}: no {run} trace showed its segment; kept"));
            continue;
        };
        let m = median(launch).round();
        service.set(key, SimDuration::from_nanos(m as u64));
        keys.push(TraceFitKey {
            key: key.to_string(),
            run: run.to_string(),
            segment: segment.to_string(),
            median_ns: m,
            launch_medians_ns: launch.iter().map(|x| x.round()).collect(),
            samples: *n,
        });
    }
    (service, keys)
}

/// Writes a trace fit into the calibration file at `path` (created from the embedded default
/// if missing), replacing only `[service]` and `[trace_fit]`, and removing `[live_fit]` (whose
/// factors scaled the costs now replaced).
pub fn save_trace_fit(
    path: &std::path::Path,
    fit: &TraceFit,
) -> Result<bool, crate::sim::calibration::CalibrationError> {
    let (mut cal, created) = Calibration::load_or_default(path)?;
    cal.service = Some(fit.service);
    cal.trace_fit = Some(fit.info.clone());
    cal.live_fit = None;
    cal.save(path)?;
    Ok(created)
}
