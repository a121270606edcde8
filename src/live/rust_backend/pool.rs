//! The Rust backend's executors: a pool of real threads and a pool of real worker processes.
//!
//! - [`ThreadPool`] behaves like `ThreadPoolExecutor`: a shared work queue; a new thread is
//!   started at submit time when no thread is idle, up to `max` threads; each pins itself to
//!   the workers' cores.
//! - [`ProcessPool`] behaves like `ProcessPoolExecutor`: all `max` worker processes start at
//!   the first submit (`execsim __live worker`), each pinned to the workers' cores; one I/O
//!   thread per worker process takes the next item off the shared queue, writes `n\n` to the
//!   worker's stdin and reads the reply from its stdout (the counterpart of the feeder and
//!   manager threads).
//!
//! Replies go back to the event loop through a tokio oneshot channel, which wakes the loop
//! (as `call_soon_threadsafe` does).

use super::gil::Gil;
use super::{fail, pin, register_process, register_thread};
use crate::live::lifeline;
use crate::workload::prime::find_nth_prime;
use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Condvar, Mutex};
use tokio::sync::oneshot;

/// One request for a pool.
pub struct Job {
    /// The argument.
    pub n: u64,
    /// Where the answer goes.
    pub reply: oneshot::Sender<u64>,
}

#[derive(Default)]
struct State {
    queue: VecDeque<Job>,
    /// Idle workers not yet claimed by a submit (CPython's `_idle_semaphore`): a worker adds
    /// one when it finishes a job, a submit that relies on an idle worker takes one. Counting
    /// the workers waiting instead let two quick submits rely on one idle worker: the second
    /// job then waited behind the first, a long request, with no thread started for it.
    idle: usize,
    started: usize,
}

/// A work queue shared by a pool's threads.
#[derive(Clone, Default)]
struct Queue(Arc<(Mutex<State>, Condvar)>);

impl Queue {
    /// Blocks until a job is available.
    fn take(&self) -> Job {
        let (m, cv) = &*self.0;
        let mut st = m.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            if let Some(j) = st.queue.pop_front() {
                return j;
            }
            st = cv.wait(st).unwrap_or_else(|e| e.into_inner());
        }
    }

    /// A worker finished a job and is idle again (`_idle_semaphore.release()`).
    fn idle_again(&self) {
        let (m, _) = &*self.0;
        m.lock().unwrap_or_else(|e| e.into_inner()).idle += 1;
    }
}

/// `ThreadPoolExecutor`'s counterpart.
#[derive(Clone)]
pub struct ThreadPool {
    queue: Queue,
    max: usize,
    cores: Vec<usize>,
    gil: Option<Gil>,
}

impl ThreadPool {
    /// A pool of at most `max` threads pinned to `cores`, started lazily; with `gil`, each
    /// worker holds the emulated GIL while it computes.
    pub fn new(max: usize, cores: Vec<usize>, gil: Option<Gil>) -> ThreadPool {
        ThreadPool {
            queue: Queue::default(),
            max: max.max(1),
            cores,
            gil,
        }
    }

    /// Queues `n`; the answer arrives on the returned channel.
    pub fn submit(&self, n: u64) -> oneshot::Receiver<u64> {
        let (tx, rx) = oneshot::channel();
        let (m, cv) = &*self.queue.0;
        let mut st = m.lock().unwrap_or_else(|e| e.into_inner());
        st.queue.push_back(Job { n, reply: tx });
        if st.idle > 0 {
            // An idle worker takes it (`_idle_semaphore.acquire(timeout=0)` succeeded).
            st.idle -= 1;
            cv.notify_one();
        } else if st.started < self.max {
            let k = st.started;
            st.started += 1;
            let queue = self.queue.clone();
            let cores = self.cores.clone();
            let gil = self.gil.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("worker-{k}"))
                .spawn(move || {
                    register_thread(&format!("worker-{k}"));
                    pin(&cores);
                    loop {
                        let job = queue.take();
                        let p = match &gil {
                            Some(g) => g.compute(job.n),
                            None => find_nth_prime(job.n).unwrap_or(0),
                        };
                        let _ = job.reply.send(p);
                        queue.idle_again();
                    }
                });
            if spawned.is_err() {
                fail("cannot start a pool thread");
            }
        } else {
            cv.notify_one();
        }
        rx
    }
}

/// `ProcessPoolExecutor`'s counterpart.
#[derive(Clone)]
pub struct ProcessPool {
    queue: Queue,
    max: usize,
    cores: Vec<usize>,
    exe: PathBuf,
    started: Arc<Mutex<bool>>,
}

impl ProcessPool {
    /// A pool of `max` worker processes (the execsim binary `exe`) pinned to `cores`.
    pub fn new(max: usize, cores: Vec<usize>, exe: PathBuf) -> ProcessPool {
        ProcessPool {
            queue: Queue::default(),
            max: max.max(1),
            cores,
            exe,
            started: Arc::new(Mutex::new(false)),
        }
    }

    /// Starts the worker processes. Called from the event-loop thread (the first submit),
    /// which lives as long as the service: the workers' parent-death signal is tied to it.
    fn start_workers(&self) {
        for k in 0..self.max {
            let cfg = WorkerConfig {
                cores: self.cores.clone(),
                deadline_ns: super::deadline_ns(),
            };
            let cfg = serde_json::to_string(&cfg).expect("a worker config always serialises");
            let mut cmd = Command::new(&self.exe);
            cmd.arg("__live")
                .arg("worker")
                .arg(cfg)
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::inherit());
            crate::live::supervise::die_with_parent(&mut cmd);
            let mut child = match cmd.spawn() {
                Ok(c) => c,
                Err(e) => fail(&format!("cannot start a worker process: {e}")),
            };
            register_process(&format!("worker-process-{k}"), child.id());
            let mut stdin = child.stdin.take().expect("piped stdin");
            let mut stdout = BufReader::new(child.stdout.take().expect("piped stdout"));
            let queue = self.queue.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("pool-io-{k}"))
                .spawn(move || {
                    register_thread(&format!("pool-io-{k}"));
                    // The child is reaped by the supervisor's group kill; keep the handle.
                    let mut child = child;
                    let mut line = String::new();
                    loop {
                        let job = queue.take();
                        if writeln!(stdin, "{}", job.n)
                            .and_then(|_| stdin.flush())
                            .is_err()
                        {
                            fail(&worker_death(k, &mut child));
                        }
                        line.clear();
                        match stdout.read_line(&mut line) {
                            Ok(0) | Err(_) => fail(&worker_death(k, &mut child)),
                            Ok(_) => {}
                        }
                        let p = line.trim().parse().unwrap_or(0);
                        let _ = job.reply.send(p);
                    }
                });
            if spawned.is_err() {
                fail("cannot start a pool I/O thread");
            }
        }
    }

    /// Queues `n` (starting the worker processes at the first call).
    pub fn submit(&self, n: u64) -> oneshot::Receiver<u64> {
        {
            let mut started = self.started.lock().unwrap_or_else(|e| e.into_inner());
            if !*started {
                *started = true;
                self.start_workers();
            }
        }
        let (tx, rx) = oneshot::channel();
        let (m, cv) = &*self.queue.0;
        let mut st = m.lock().unwrap_or_else(|e| e.into_inner());
        st.queue.push_back(Job { n, reply: tx });
        cv.notify_one();
        rx
    }
}

/// What a worker process receives on its command line.
#[derive(serde::Serialize, serde::Deserialize)]
struct WorkerConfig {
    /// The cores it may run on (empty: any).
    #[serde(default)]
    cores: Vec<usize>,
    /// The run's deadline, `CLOCK_MONOTONIC` ns: the worker exits then, whatever happens.
    deadline_ns: u64,
}

/// Names worker `k` and how it ended (it closed its pipes: it died, or is about to).
fn worker_death(k: usize, child: &mut Child) -> String {
    let pid = child.id();
    let until = std::time::Instant::now() + std::time::Duration::from_secs(1);
    let how = loop {
        match child.try_wait() {
            Ok(Some(status)) => break crate::live::supervise::describe_exit(status),
            Ok(None) if std::time::Instant::now() < until => {
                std::thread::sleep(std::time::Duration::from_millis(10))
            }
            Ok(None) => break "closed its pipes".to_string(),
            Err(e) => break format!("cannot be waited for ({e})"),
        }
    };
    format!("process-pool worker worker-process-{k} (execsim __live worker, pid {pid}) {how}")
}

/// `execsim __live worker '{"cores":[...],"deadline_ns":T}'`: pins itself, starts its
/// lifeline (dies with the service, or at the deadline), then answers `n` lines on stdin with
/// `find_nth_prime(n)` lines on stdout until stdin closes.
pub fn worker_process_main(config_json: &str) -> i32 {
    let cfg: WorkerConfig = match serde_json::from_str(config_json) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("execsim worker: bad configuration: {e}");
            return 2;
        }
    };
    let cores = cfg.cores;
    if let Err(e) = crate::live::os::pin_current_thread(&cores) {
        eprintln!("execsim worker: sched_setaffinity({cores:?}): {e}");
    }
    // Started after pinning, so that the watchdog thread stays on the worker's cores.
    let exit_at_deadline: fn() -> ! = || std::process::exit(lifeline::EXIT_DEADLINE);
    lifeline::spawn_watchdog(lifeline::parent_pid(), cfg.deadline_ns, exit_at_deadline);
    let stdin = std::io::stdin();
    let mut out = std::io::stdout().lock();
    let mut line = String::new();
    let mut input = stdin.lock();
    loop {
        line.clear();
        match input.read_line(&mut line) {
            Ok(0) | Err(_) => return 0,
            Ok(_) => {}
        }
        let p = line
            .trim()
            .parse::<u64>()
            .ok()
            .and_then(find_nth_prime)
            .unwrap_or(0);
        if writeln!(out, "{p}").and_then(|_| out.flush()).is_err() {
            return 0;
        }
    }
}
