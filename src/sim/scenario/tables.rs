//! The tables of a scenario file (`[machine]`, `[python]`, `[server]`, `[[clients]]`,
//! `[affinity]`, `[costs]`), with the defaults of their optional keys.

use crate::interp::{GilKind, InterpCosts};
use crate::kernel::SimDuration;
use crate::machine::{MachineCosts, SchedulerKind};
use crate::service::{Arrivals, ClientMode, ExecutorKind, ServerKind, ServiceCosts};
use crate::workload::cost::Backend;
use serde::{Deserialize, Serialize};

/// The machine's size.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MachineSpec {
    /// Number of CPU cores (1 to 64).
    #[serde(default = "default_cores")]
    pub cores: usize,
    /// The OS scheduler's policy: "eevdf" (Linux 6.6 on, the default) or "cfs" (Linux's
    /// Completely Fair Scheduler, up to 6.5).
    #[serde(default, skip_serializing_if = "is_default_scheduler")]
    pub scheduler: SchedulerKind,
}

fn default_cores() -> usize {
    2
}

fn is_default_scheduler(k: &SchedulerKind) -> bool {
    *k == SchedulerKind::default()
}

impl Default for MachineSpec {
    fn default() -> Self {
        MachineSpec {
            cores: 2,
            scheduler: SchedulerKind::default(),
        }
    }
}

/// The Python runtime.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PythonSpec {
    /// "cpython" (a GIL per interpreter) or "free-threaded" (none).
    #[serde(default = "default_gil")]
    pub gil: GilKind,
    /// `sys.setswitchinterval` (CPython's default is 5 ms).
    #[serde(default = "default_interval")]
    pub switch_interval: SimDuration,
    /// Whose prime-core costs to use: "cpython" (default) or "rust".
    #[serde(default = "default_runtime")]
    pub runtime: Backend,
}

fn default_gil() -> GilKind {
    GilKind::Cpython
}
fn default_interval() -> SimDuration {
    SimDuration::from_millis(5)
}
fn default_runtime() -> Backend {
    Backend::Cpython
}

impl Default for PythonSpec {
    fn default() -> Self {
        PythonSpec {
            gil: default_gil(),
            switch_interval: default_interval(),
            runtime: default_runtime(),
        }
    }
}

/// The server.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSpec {
    /// "asyncio" or "thread-per-connection".
    #[serde(default = "default_kind")]
    pub kind: ServerKind,
    /// The executor of an asyncio server.
    #[serde(default = "default_executor")]
    pub executor: ExecutorKind,
    /// Pool size; default as CPython: min(32, cores + 4) threads, or `cores` processes.
    #[serde(default)]
    pub workers: Option<usize>,
}

fn default_kind() -> ServerKind {
    ServerKind::Asyncio
}
fn default_executor() -> ExecutorKind {
    ExecutorKind::Thread
}

impl Default for ServerSpec {
    fn default() -> Self {
        ServerSpec {
            kind: default_kind(),
            executor: default_executor(),
            workers: None,
        }
    }
}

/// One entry of a request mix: a prime request `n` or a request type, and its weight.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MixEntry {
    /// The prime request's argument (give `n` or `request`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub n: Option<u64>,
    /// A request type's name (`[[requests]]`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request: Option<String>,
    /// Relative weight (> 0).
    pub weight: f64,
}

impl MixEntry {
    /// A prime request `n` with this weight.
    pub fn prime(n: u64, weight: f64) -> MixEntry {
        MixEntry {
            n: Some(n),
            request: None,
            weight,
        }
    }
}

/// One client: a connection and a thread that sends `find_nth_prime(n)` requests on it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientSpec {
    /// A label.
    pub name: String,
    /// The argument of every request (give `n`, `request` or `mix`).
    #[serde(default)]
    pub n: Option<u64>,
    /// The request type of every request (`[[requests]]`), instead of `n`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request: Option<String>,
    /// A seeded mix of arguments and request types (instead of `n`).
    #[serde(default)]
    pub mix: Option<Vec<MixEntry>>,
    /// When the client connects and starts.
    #[serde(default)]
    pub start: SimDuration,
    /// "closed" (default) or "open".
    #[serde(default = "default_mode")]
    pub mode: ClientMode,
    /// Think time between a reply and the next request (closed loop).
    #[serde(default)]
    pub think: SimDuration,
    /// Requests per second (open loop).
    #[serde(default)]
    pub rate: Option<f64>,
    /// "poisson" (default) or "constant" (open loop).
    #[serde(default = "default_arrivals")]
    pub arrivals: Arrivals,
    /// True (default): a thread of the server's process, competing for its GIL, as in the
    /// lesson; false: a process of its own.
    #[serde(default = "default_true")]
    pub in_process: bool,
    /// How many identical clients this entry stands for (names get a suffix).
    #[serde(default = "default_one")]
    pub count: usize,
}

impl ClientSpec {
    /// A closed-loop client in the server's process, sending `n` from `start` with no think
    /// time.
    pub fn closed(name: &str, n: u64, start: SimDuration) -> ClientSpec {
        ClientSpec {
            name: name.into(),
            n: Some(n),
            request: None,
            mix: None,
            start,
            mode: ClientMode::Closed,
            think: SimDuration::ZERO,
            rate: None,
            arrivals: Arrivals::Poisson,
            in_process: true,
            count: 1,
        }
    }
}

fn default_mode() -> ClientMode {
    ClientMode::Closed
}
fn default_arrivals() -> Arrivals {
    Arrivals::Poisson
}
fn default_true() -> bool {
    true
}
fn default_one() -> usize {
    1
}

/// Cores each role may run on (empty: any core; the scheduler places it).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AffinitySpec {
    /// The event loop thread (or the accepting thread of a thread-per-connection server).
    #[serde(default, rename = "loop")]
    pub event_loop: Vec<u16>,
    /// Client threads.
    #[serde(default)]
    pub clients: Vec<u16>,
    /// Pool workers (threads or processes), connection threads.
    #[serde(default)]
    pub workers: Vec<u16>,
    /// Process-pool helper threads of the server (feeder and manager); default: as `loop`.
    #[serde(default)]
    pub helpers: Option<Vec<u16>>,
}

/// Overrides of calibrated costs, for experiments and sweeps.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CostOverrides {
    /// Scheduler and CPU costs.
    #[serde(default)]
    pub machine: Option<MachineCosts>,
    /// GIL protocol costs.
    #[serde(default)]
    pub interp: Option<InterpCosts>,
    /// Per-step service costs.
    #[serde(default)]
    pub service: Option<ServiceCosts>,
}
