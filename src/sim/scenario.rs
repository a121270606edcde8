//! Scenarios: what to simulate (or run live), as TOML or built in code.
//!
//! ```toml
//! seed = 7
//! duration = "12s"
//! [machine]
//! cores = 2
//! [python]
//! gil = "cpython"            # "cpython" | "free-threaded"
//! switch_interval = "5ms"
//! runtime = "cpython"        # prime-core costs: "cpython" | "rust"
//! [server]
//! kind = "asyncio"           # "asyncio" | "thread-per-connection"
//! executor = "thread"        # "inline" | "thread" | "process" | "interpreter"
//! workers = 6                # optional: CPython's default for the executor
//! [[clients]]
//! name = "simple"
//! n = 1
//! [[clients]]
//! name = "long"
//! n = 100000
//! start = "2s"
//! [affinity]                 # optional: role -> allowed cores
//! loop = [0]
//! clients = [0]
//! workers = [1]
//! ```
//!
//! Every key is checked: an unknown key, a negative or malformed duration, zero cores, an
//! affinity to a core that does not exist, n = 0, are errors that name the key.

use crate::interp::{GilKind, InterpCosts};
use crate::kernel::SimDuration;
use crate::machine::MachineCosts;
use crate::service::ServiceCosts;
use crate::workload::cost::Backend;
use crate::workload::prime::MAX_OP_COUNT_N;
use serde::{Deserialize, Serialize};
use std::fmt;

/// A complete description of one run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// A label for reports (defaults to the file name or "scenario").
    #[serde(default)]
    pub name: Option<String>,
    /// Master seed of every random stream.
    #[serde(default = "default_seed")]
    pub seed: u64,
    /// Virtual time to simulate.
    pub duration: SimDuration,
    /// The machine.
    #[serde(default)]
    pub machine: MachineSpec,
    /// The interpreter.
    #[serde(default)]
    pub python: PythonSpec,
    /// The server.
    #[serde(default)]
    pub server: ServerSpec,
    /// The clients (at least one).
    pub clients: Vec<ClientSpec>,
    /// Which cores each role may use.
    #[serde(default)]
    pub affinity: AffinitySpec,
    /// Overrides of the calibrated costs.
    #[serde(default)]
    pub costs: CostOverrides,
}

fn default_seed() -> u64 {
    1
}

/// The machine's size.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MachineSpec {
    /// Number of CPU cores (1 to 64).
    #[serde(default = "default_cores")]
    pub cores: usize,
}

fn default_cores() -> usize {
    2
}

impl Default for MachineSpec {
    fn default() -> Self {
        MachineSpec { cores: 2 }
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

/// The shape of the server.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ServerKind {
    /// An asyncio event loop handing work to an executor.
    Asyncio,
    /// A thread per connection (the lesson's earlier multithreaded server).
    ThreadPerConnection,
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

/// One entry of a request mix.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MixEntry {
    /// The request's argument.
    pub n: u64,
    /// Relative weight (> 0).
    pub weight: f64,
}

/// One client: a connection and a thread that sends `find_nth_prime(n)` requests on it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientSpec {
    /// A label.
    pub name: String,
    /// The argument of every request (give `n` or `mix`).
    #[serde(default)]
    pub n: Option<u64>,
    /// A seeded mix of arguments (instead of `n`).
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

/// A scenario that cannot be run, with the key at fault.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScenarioError {
    /// The offending key, like `clients[1].n` (empty when the whole text is unreadable).
    pub key: String,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.key.is_empty() {
            write!(f, "{}", self.message)
        } else {
            write!(f, "{}: {}", self.key, self.message)
        }
    }
}

impl std::error::Error for ScenarioError {}

fn err(key: impl Into<String>, message: impl Into<String>) -> ScenarioError {
    ScenarioError {
        key: key.into(),
        message: message.into(),
    }
}

impl Scenario {
    /// Parses and validates TOML text.
    pub fn from_toml(text: &str) -> Result<Scenario, ScenarioError> {
        let s: Scenario = toml::from_str(text).map_err(|e| {
            let msg = e.message().to_string();
            // serde names unknown and missing fields in its message; add the location.
            let loc = e
                .span()
                .map(|sp| {
                    let line = text[..sp.start.min(text.len())].matches('\n').count() + 1;
                    format!(" (line {line})")
                })
                .unwrap_or_default();
            let key = e
                .span()
                .map(|sp| key_at(text, sp.start, &msg))
                .unwrap_or_default();
            err(key, format!("{msg}{loc}"))
        })?;
        s.validate()?;
        Ok(s)
    }

    /// Reads, parses and validates a scenario file; the name defaults to the file stem.
    pub fn from_file(path: &std::path::Path) -> Result<Scenario, ScenarioError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| err("", format!("cannot read {}: {e}", path.display())))?;
        let mut s = Scenario::from_toml(&text)?;
        if s.name.is_none() {
            s.name = path.file_stem().map(|x| x.to_string_lossy().into_owned());
        }
        Ok(s)
    }

    /// The scenario as TOML.
    pub fn to_toml(&self) -> String {
        toml::to_string(self).expect("a scenario always serialises")
    }

    /// The label for reports.
    pub fn label(&self) -> &str {
        self.name.as_deref().unwrap_or("scenario")
    }

    /// The pool size in effect (CPython's defaults when not given).
    pub fn workers(&self) -> usize {
        self.server.workers.unwrap_or(match self.server.executor {
            ExecutorKind::Thread => (self.machine.cores + 4).min(32),
            ExecutorKind::Process | ExecutorKind::Interpreter => self.machine.cores,
            ExecutorKind::Inline => 0,
        })
    }

    /// Checks every value; the error names the key.
    pub fn validate(&self) -> Result<(), ScenarioError> {
        if self.duration == SimDuration::ZERO {
            return Err(err("duration", "must be longer than zero"));
        }
        if self.duration > SimDuration::from_secs(30 * 24 * 3600) {
            return Err(err("duration", "at most 30 days"));
        }
        let cores = self.machine.cores;
        if !(1..=64).contains(&cores) {
            return Err(err(
                "machine.cores",
                format!("must be 1 to 64, not {cores}"),
            ));
        }
        if self.python.switch_interval < SimDuration::from_micros(1) {
            return Err(err(
                "python.switch_interval",
                "must be at least 1us (CPython's minimum)",
            ));
        }
        if let Some(w) = self.server.workers {
            if !(1..=1024).contains(&w) {
                return Err(err("server.workers", format!("must be 1 to 1024, not {w}")));
            }
        }
        if self.clients.is_empty() {
            return Err(err("clients", "at least one client is required"));
        }
        let mut total = 0usize;
        for (i, c) in self.clients.iter().enumerate() {
            let k = |f: &str| format!("clients[{i}].{f}");
            if c.name.trim().is_empty() {
                return Err(err(k("name"), "must not be empty"));
            }
            match (&c.n, &c.mix) {
                (Some(_), Some(_)) => return Err(err(k("mix"), "give either n or mix, not both")),
                (None, None) => {
                    return Err(err(k("n"), "a request argument n (or a mix) is required"))
                }
                (Some(n), None) => check_n(*n, &k("n"))?,
                (None, Some(mix)) => {
                    if mix.is_empty() {
                        return Err(err(k("mix"), "must not be empty"));
                    }
                    for (j, m) in mix.iter().enumerate() {
                        check_n(m.n, &format!("clients[{i}].mix[{j}].n"))?;
                        if !(m.weight.is_finite() && m.weight > 0.0) {
                            return Err(err(
                                format!("clients[{i}].mix[{j}].weight"),
                                "must be a positive number",
                            ));
                        }
                    }
                }
            }
            if c.start >= self.duration {
                return Err(err(k("start"), "must be earlier than the duration"));
            }
            match c.mode {
                ClientMode::Open => match c.rate {
                    Some(r) if r.is_finite() && r > 0.0 && r <= 1e7 => {}
                    Some(_) => {
                        return Err(err(
                            k("rate"),
                            "must be a positive number of requests per second (at most 1e7)",
                        ))
                    }
                    None => return Err(err(k("rate"), "an open-loop client needs a rate")),
                },
                ClientMode::Closed => {
                    if c.rate.is_some() {
                        return Err(err(
                            k("rate"),
                            "only open-loop clients have a rate (set mode = \"open\")",
                        ));
                    }
                }
            }
            if !(1..=10_000).contains(&c.count) {
                return Err(err(k("count"), "must be 1 to 10000"));
            }
            total += c.count;
        }
        if total > 10_000 {
            return Err(err("clients", "at most 10000 clients in all"));
        }
        let check_cores = |key: &str, list: &[u16]| -> Result<(), ScenarioError> {
            for &c in list {
                if c as usize >= cores {
                    return Err(err(
                        key,
                        format!(
                            "core {c} does not exist (machine.cores = {cores}: cores 0 to {})",
                            cores - 1
                        ),
                    ));
                }
            }
            Ok(())
        };
        check_cores("affinity.loop", &self.affinity.event_loop)?;
        check_cores("affinity.clients", &self.affinity.clients)?;
        check_cores("affinity.workers", &self.affinity.workers)?;
        if let Some(h) = &self.affinity.helpers {
            check_cores("affinity.helpers", h)?;
        }
        Ok(())
    }
}

/// The dotted path (`clients[1].mix[0].n`) of the key that a parse error at byte `pos` is
/// about: the last key (or array element) that starts at or before `pos`, which is the key of
/// the value the error points at, or the key itself for an unknown field. For a missing field
/// (`msg` says "missing field `x`"), the field's path under the table at `pos`. Empty when the
/// text is not TOML at all.
fn key_at(text: &str, pos: usize, msg: &str) -> String {
    use toml::de::{DeTable, DeValue};
    use toml::Spanned;
    fn walk(v: &Spanned<DeValue<'_>>, path: &str, pos: usize, best: &mut (usize, String, bool)) {
        match v.get_ref() {
            DeValue::Table(t) => {
                for (k, kv) in t.iter() {
                    let p = if path.is_empty() {
                        k.get_ref().to_string()
                    } else {
                        format!("{path}.{}", k.get_ref())
                    };
                    // A key's span, or its value's (a `[a.b]` header starts before `b`).
                    let is_table = matches!(kv.get_ref(), DeValue::Table(_));
                    for start in [k.span().start, kv.span().start] {
                        if start <= pos && start >= best.0 {
                            *best = (start, p.clone(), is_table);
                        }
                    }
                    walk(kv, &p, pos, best);
                }
            }
            DeValue::Array(a) => {
                for (i, item) in a.iter().enumerate() {
                    let p = format!("{path}[{i}]");
                    let start = item.span().start;
                    if start <= pos && start >= best.0 {
                        let is_table = matches!(item.get_ref(), DeValue::Table(_));
                        *best = (start, p.clone(), is_table);
                    }
                    walk(item, &p, pos, best);
                }
            }
            _ => {}
        }
    }
    let Ok(doc) = DeTable::parse(text) else {
        return String::new();
    };
    let root = Spanned::new(doc.span(), DeValue::Table(doc.into_inner()));
    let mut best = (0usize, String::new(), true);
    walk(&root, "", pos, &mut best);
    let missing = msg
        .strip_prefix("missing field `")
        .and_then(|r| r.split('`').next());
    match missing {
        Some(field) => {
            // The error points at the table that lacks the field (or the document's start).
            let table = if best.2 && pos > 0 {
                best.1
            } else {
                String::new()
            };
            if table.is_empty() {
                field.to_string()
            } else {
                format!("{table}.{field}")
            }
        }
        None => {
            // A table given for an enum key reads as a tagged variant: the key is the parent.
            let variant = msg
                .strip_prefix("unknown variant `")
                .and_then(|r| r.split('`').next());
            match (variant, best.1.rsplit_once('.')) {
                (Some(v), Some((parent, last))) if last == v => parent.to_string(),
                _ => best.1,
            }
        }
    }
}

fn check_n(n: u64, key: &str) -> Result<(), ScenarioError> {
    if n == 0 {
        return Err(err(
            key,
            "must be at least 1 (find_nth_prime(0) has no answer)",
        ));
    }
    if n > MAX_OP_COUNT_N {
        return Err(err(key, format!("must be at most {MAX_OP_COUNT_N}")));
    }
    Ok(())
}
