//! The tables of a scenario file (`[machine]`, `[python]`, `[server]`, `[[clients]]`,
//! `[affinity]`, `[costs]`), with the defaults of their optional keys.

use crate::interp::{GilKind, InterpCosts, PythonVersion};
use crate::kernel::SimDuration;
use crate::machine::{MachineCosts, SchedulerKind};
use crate::service::{
    Arrivals, ClientMode, ExecutorKind, ServerKind, ServerLanguage, ServiceCosts,
};
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
///
/// `version` and `gil` default from each other: a free-threaded GIL means the free-threaded
/// build (`"3.13t"`), the free-threaded build runs without a GIL unless `gil = "cpython"`
/// (`-X gil=1`), and with neither the model is CPython 3.11 with its GIL.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(from = "RawPythonSpec")]
pub struct PythonSpec {
    /// "cpython" (a GIL per interpreter) or "free-threaded" (none).
    pub gil: GilKind,
    /// The CPython release and build modelled: "3.11" (default), "3.13", "3.13t".
    #[serde(skip_serializing_if = "is_default_version")]
    pub version: PythonVersion,
    /// `sys.setswitchinterval` (CPython's default is 5 ms).
    pub switch_interval: SimDuration,
    /// Whose prime-core costs to use: "cpython" (default) or "rust".
    pub runtime: Backend,
}

/// The `[python]` table as written, before `version` and `gil` default from each other.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPythonSpec {
    #[serde(default)]
    gil: Option<GilKind>,
    #[serde(default)]
    version: Option<PythonVersion>,
    #[serde(default = "default_interval")]
    switch_interval: SimDuration,
    #[serde(default = "default_runtime")]
    runtime: Backend,
}

impl From<RawPythonSpec> for PythonSpec {
    fn from(raw: RawPythonSpec) -> Self {
        let version = raw.version.unwrap_or(match raw.gil {
            Some(GilKind::FreeThreaded) => PythonVersion::V3_13t,
            _ => PythonVersion::default(),
        });
        PythonSpec {
            gil: raw.gil.unwrap_or(version.default_gil()),
            version,
            switch_interval: raw.switch_interval,
            runtime: raw.runtime,
        }
    }
}

impl PythonSpec {
    /// Sets the GIL, and the free-threaded build when there is to be none and the version
    /// is a GIL build (a GIL build cannot run without its GIL).
    pub fn set_gil(&mut self, gil: GilKind) {
        self.gil = gil;
        if !self.version.supports(gil) {
            self.version = PythonVersion::V3_13t;
        }
    }
}

fn is_default_version(v: &PythonVersion) -> bool {
    *v == PythonVersion::default()
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
            gil: GilKind::Cpython,
            version: PythonVersion::default(),
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
    /// "python" (default) or "rust": what the server is written in (rust: the Rust server of
    /// `execsim live --backend rust`, [`crate::service::ServerLanguage`]).
    #[serde(default, skip_serializing_if = "ServerLanguage::is_python")]
    pub language: ServerLanguage,
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
            language: ServerLanguage::Python,
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
