//! What a service is, in the service's own terms: the server's shape, its executor and pool
//! size, its interpreter's GIL, its clients, and the cores each role may use.
//!
//! [`World::new`](super::World::new) takes a [`ServiceSpec`]; it knows no file format. A
//! scenario file (the simulation layer's `scenario` module) is one way to write a spec: it
//! parses, validates and converts. The enums here serialise with kebab-case names (serde is
//! format-agnostic), so the scenario re-uses them as they are.

use crate::interp::GilKind;
use crate::kernel::SimDuration;
use crate::machine::CoreId;
use crate::workload::request_type::RequestType;
use serde::{Deserialize, Serialize};

/// The shape of the server.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ServerKind {
    /// An asyncio event loop handing work to an executor.
    Asyncio,
    /// A thread per connection (the lesson's earlier multithreaded server).
    ThreadPerConnection,
}

/// What the server is written in.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ServerLanguage {
    /// CPython: the lesson's asyncio service and `concurrent.futures`' executors.
    #[default]
    Python,
    /// Rust: the server of `execsim live --backend rust` (a tokio current-thread loop; a
    /// thread pool with CPython's start-on-submit rule; a process pool of one I/O thread per
    /// worker process over pipes, [`super::io_thread_pool`]), its costs the kernel's system
    /// calls and the Rust code between them ([`super::RustServerCosts`]).
    Rust,
}

impl ServerLanguage {
    /// True for [`ServerLanguage::Python`] (the default, left out of written files).
    pub fn is_python(&self) -> bool {
        *self == ServerLanguage::Python
    }
}

/// Where the asyncio server runs `find_nth_prime`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ExecutorKind {
    /// On the event loop itself.
    Inline,
    /// `ThreadPoolExecutor`.
    Thread,
    /// `ProcessPoolExecutor`.
    Process,
    /// `InterpreterPoolExecutor` (3.14): a sub-interpreter, with its own GIL, per worker.
    Interpreter,
}

impl ExecutorKind {
    /// The name used in files.
    pub fn name(self) -> &'static str {
        match self {
            ExecutorKind::Inline => "inline",
            ExecutorKind::Thread => "thread",
            ExecutorKind::Process => "process",
            ExecutorKind::Interpreter => "interpreter",
        }
    }

    /// CPython's default `max_workers` on a machine with `cores` CPUs:
    /// `ThreadPoolExecutor`: `min(32, cores + 4)`; `ProcessPoolExecutor` and
    /// `InterpreterPoolExecutor`: `cores` (`os.process_cpu_count()`); inline: no pool.
    pub fn default_pool_size(self, cores: usize) -> usize {
        match self {
            ExecutorKind::Thread => (cores + 4).min(32),
            ExecutorKind::Process | ExecutorKind::Interpreter => cores,
            ExecutorKind::Inline => 0,
        }
    }
}

/// How a client paces its requests.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ClientMode {
    /// The next request when the reply arrives (after the think time).
    Closed,
    /// Requests at a rate regardless of replies.
    Open,
}

/// Arrival process of an open-loop client.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Arrivals {
    /// Exponential gaps (a Poisson process).
    Poisson,
    /// Equal gaps.
    Constant,
}

/// What one request asks the server to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Work {
    /// The lesson's `find_nth_prime(n)`.
    Prime(u64),
    /// One of the spec's request types ([`ServiceSpec::requests`], by index).
    Custom(u16),
}

/// What a client's requests ask for.
#[derive(Clone, Debug, PartialEq)]
pub enum RequestArgs {
    /// The same work every time.
    Fixed(Work),
    /// A seeded draw per request from `(work, weight)` pairs (weights > 0, not empty).
    Mix(Vec<(Work, f64)>),
}

/// When a client sends.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Pacing {
    /// Closed loop: the next request when the reply has been read, after `think`.
    Closed {
        /// Think time between a reply and the next request.
        think: SimDuration,
    },
    /// Open loop: requests at `rate` per second (> 0), whatever the replies.
    Open {
        /// Requests per second.
        rate: f64,
        /// The arrival process.
        arrivals: Arrivals,
    },
}

impl Pacing {
    /// Closed or open.
    pub fn mode(&self) -> ClientMode {
        match self {
            Pacing::Closed { .. } => ClientMode::Closed,
            Pacing::Open { .. } => ClientMode::Open,
        }
    }
}

/// `count` identical clients: each a connection and a thread sending requests on it.
#[derive(Clone, Debug, PartialEq)]
pub struct ClientGroup {
    /// A label (with `count > 1`, client k is named `name-k`).
    pub name: String,
    /// The requests' argument.
    pub args: RequestArgs,
    /// When the clients connect and start.
    pub start: SimDuration,
    /// Closed or open loop.
    pub pacing: Pacing,
    /// True: a thread of the server's process, competing for its GIL (as in the lesson);
    /// false: a process of its own.
    pub in_process: bool,
    /// How many identical clients (at least 1).
    pub count: usize,
}

/// The cores each role may run on (`sched_setaffinity`; empty: any core).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Affinity {
    /// The event loop thread (or the accepting thread of a thread-per-connection server).
    pub event_loop: Vec<CoreId>,
    /// Client threads.
    pub clients: Vec<CoreId>,
    /// Pool workers (threads or processes), connection threads.
    pub workers: Vec<CoreId>,
    /// Process-pool helper threads of the server (feeder and manager).
    pub helpers: Vec<CoreId>,
}

/// Everything the service layer needs to build a [`World`](super::World).
#[derive(Clone, Debug, PartialEq)]
pub struct ServiceSpec {
    /// Master seed: each client draws from the stream `client/NAME` derived from it.
    pub seed: u64,
    /// How long the run lasts (per-second counts cover it; arrivals stop at its end).
    pub duration: SimDuration,
    /// Cores of the machine (for CPython's default pool sizes).
    pub cores: usize,
    /// The interpreters' GIL: CPython's or none (free-threaded).
    pub gil: GilKind,
    /// The CPython release whose standard library the service runs (3.13's
    /// `ThreadPoolExecutor` worker differs from 3.11's: see [`super::thread_pool`]).
    pub python: crate::interp::PythonVersion,
    /// `sys.setswitchinterval` of every interpreter.
    pub switch_interval: SimDuration,
    /// The server's shape.
    pub server: ServerKind,
    /// What the server is written in.
    pub language: ServerLanguage,
    /// The asyncio server's executor.
    pub executor: ExecutorKind,
    /// `max_workers` (None: CPython's default, see [`ExecutorKind::default_pool_size`]).
    pub workers: Option<usize>,
    /// The clients, in order.
    pub clients: Vec<ClientGroup>,
    /// The request types the clients may name ([`Work::Custom`] indexes this list).
    pub requests: Vec<RequestType>,
    /// Where each role may run.
    pub affinity: Affinity,
}

impl ServiceSpec {
    /// The pool size in effect: `workers`, or CPython's default for the executor.
    pub fn pool_size(&self) -> usize {
        self.workers
            .unwrap_or_else(|| self.executor.default_pool_size(self.cores))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pool_sizes_default_as_cpython() {
        assert_eq!(ExecutorKind::Thread.default_pool_size(2), 6);
        assert_eq!(ExecutorKind::Thread.default_pool_size(28), 32);
        assert_eq!(ExecutorKind::Thread.default_pool_size(64), 32);
        assert_eq!(ExecutorKind::Process.default_pool_size(8), 8);
        assert_eq!(ExecutorKind::Interpreter.default_pool_size(3), 3);
        assert_eq!(ExecutorKind::Inline.default_pool_size(4), 0);
    }
}
