//! The Rust backend of live runs: the lesson's service as a real Rust server.
//!
//! The supervisor ([`crate::live::run_live`]) starts `execsim __live child '<json>'` in a
//! process group of its own; that process plays one [`Role`]:
//! - **service** ([`server`]): the event loop is a single-threaded tokio runtime (the
//!   counterpart of an asyncio loop) on its own thread; the executor is inline (the loop
//!   thread computes), a pool of real threads, or a pool of real worker processes
//!   (`execsim __live worker '<json>'`, one request at a time over stdin/stdout pipes)
//!   ([`pool`]); or a thread per connection. In-process clients are threads with blocking
//!   sockets ([`clients`]).
//! - **clients**: the clients with a process of their own.
//!
//! Every process pins its threads as the scenario says, reports per-second counts and a
//! summary on stdout ([`crate::live::protocol`]), and is killed whole by the supervisor at
//! the end of the run, which is how a `find_nth_prime(100000)` in progress (about 50 s in
//! Rust) is abandoned. Every process also dies with its parent and ends at the run's deadline
//! ([`super::lifeline`]); at the deadline the service kills the whole group by itself.

pub mod clients;
pub mod gil;
pub mod pool;
pub mod server;

use super::config::{ChildConfig, Role};
use super::protocol::{ProcessId, ThreadId};
use super::{lifeline, os};
use serde::Serialize;
use std::io::Write;
use std::path::Path;
use std::process::Command;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

/// Threads of this process worth reporting (name, pid, tid).
static THREADS: Mutex<Vec<ThreadId>> = Mutex::new(Vec::new());
/// Worker processes started by this process.
static PROCESSES: Mutex<Vec<ProcessId>> = Mutex::new(Vec::new());
static EMIT: Mutex<()> = Mutex::new(());

/// Records the calling thread under `name` for the run's report.
pub fn register_thread(name: &str) {
    if let Ok(mut t) = THREADS.lock() {
        t.push(ThreadId {
            name: name.to_string(),
            pid: std::process::id(),
            tid: os::gettid(),
        });
    }
}

/// Records a worker process for the run's report.
pub fn register_process(name: &str, pid: u32) {
    if let Ok(mut p) = PROCESSES.lock() {
        p.push(ProcessId {
            name: name.to_string(),
            pid,
        });
    }
}

/// Pins the calling thread, reporting a failure on stdout as a warning.
pub fn pin(cores: &[usize]) {
    if let Err(e) = os::pin_current_thread(cores) {
        emit(
            &serde_json::json!({"event": "warning", "message": format!("sched_setaffinity({cores:?}): {e}")}),
        );
    }
}

/// Writes one protocol line on stdout.
pub fn emit<T: Serialize>(msg: &T) {
    let _g = EMIT.lock();
    let mut out = std::io::stdout().lock();
    if let Ok(line) = serde_json::to_string(msg) {
        let _ = writeln!(out, "{line}");
        let _ = out.flush();
    }
}

/// Reports an error and ends the process.
pub fn fail(message: &str) -> ! {
    emit(&serde_json::json!({"event": "error", "message": message}));
    std::process::exit(2)
}

/// Sleeps until `CLOCK_MONOTONIC` reaches `t_ns`.
pub fn sleep_until(t_ns: u64) {
    loop {
        let now = os::monotonic_ns();
        if now >= t_ns {
            return;
        }
        std::thread::sleep(Duration::from_nanos((t_ns - now).min(500_000_000)));
    }
}

/// The command that runs one role of the Rust backend with the execsim binary `exe`.
pub fn command(exe: &Path, cfg: &ChildConfig) -> Command {
    let mut cmd = Command::new(exe);
    cmd.arg("__live")
        .arg("child")
        .arg(serde_json::to_string(cfg).expect("a config always serialises"));
    cmd
}

/// The run's deadline in this process (`CLOCK_MONOTONIC` ns), passed on to worker processes.
static DEADLINE_NS: OnceLock<u64> = OnceLock::new();

/// The run's deadline (`CLOCK_MONOTONIC` ns): the child's start plus its `watchdog_s`.
pub fn deadline_ns() -> u64 {
    *DEADLINE_NS.get_or_init(|| lifeline::deadline_after(os::monotonic_ns(), 60.0))
}

/// At the deadline, the service or clients process kills its own process group (the whole
/// live run, which execsim failed to end) and exits.
fn kill_run() -> ! {
    let _ = nix::sys::signal::killpg(nix::unistd::getpgrp(), nix::sys::signal::Signal::SIGKILL);
    std::process::exit(lifeline::EXIT_DEADLINE)
}

/// Entry point of `execsim __live child CONFIG`: runs one role; never returns normally
/// (the supervisor kills the process, or the watchdog does).
pub fn child_main(config_json: &str) -> i32 {
    let cfg: ChildConfig = match serde_json::from_str(config_json) {
        Ok(c) => c,
        Err(e) => fail(&format!("bad live configuration: {e}")),
    };
    let deadline =
        *DEADLINE_NS.get_or_init(|| lifeline::deadline_after(os::monotonic_ns(), cfg.watchdog_s));
    lifeline::spawn_watchdog(lifeline::parent_pid(), deadline, kill_run);
    register_thread("main");
    let (port, t0_ns) = match cfg.role {
        Role::Service => {
            let port = server::start(&cfg);
            let t0 = os::monotonic_ns() + (cfg.t0_delay_s * 1e9) as u64;
            emit(&serde_json::json!({
                "event": "ready", "port": port, "t0_ns": t0, "pid": std::process::id(),
                "python": format!("execsim {} rust backend ({} build{})", env!("CARGO_PKG_VERSION"),
                    if cfg!(debug_assertions) { "debug" } else { "release" },
                    if cfg.gil.is_some() { ", emulated GIL" } else { "" }),
            }));
            (port, t0)
        }
        Role::Clients => {
            let (Some(port), Some(t0)) = (cfg.port, cfg.t0_ns) else {
                fail("the clients process needs a port and time 0")
            };
            emit(&serde_json::json!({"event": "ready", "pid": std::process::id()}));
            (port, t0)
        }
    };
    let stats = clients::start(&cfg, port, t0_ns);
    clients::report(&cfg, &stats, t0_ns);
    std::thread::sleep(Duration::from_secs(600));
    0
}

/// Entry point of `execsim __live worker CONFIG` (a process-pool worker): reads `n` lines on
/// stdin, answers `find_nth_prime(n)` lines on stdout, until stdin closes.
pub fn worker_main(config_json: &str) -> i32 {
    pool::worker_process_main(config_json)
}

/// The threads and processes registered so far.
pub fn registered() -> (Vec<ThreadId>, Vec<ProcessId>) {
    (
        THREADS.lock().map(|t| t.clone()).unwrap_or_default(),
        PROCESSES.lock().map(|p| p.clone()).unwrap_or_default(),
    )
}
