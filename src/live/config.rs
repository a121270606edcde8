//! The configuration a live run's child processes receive (one JSON object on the command
//! line), built from a [`Scenario`]: the same for the CPython reference service and the Rust
//! backend, so that both run the same plan.

use crate::sim::scenario::{Arrivals, ClientMode, ExecutorKind, Scenario, ServerKind};
use crate::workload::cost::Backend;
use crate::workload::prime::op_count;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Which part of the run a child process plays.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// The server and the clients that run in its process.
    Service,
    /// The clients that have a process of their own (`in_process = false`).
    Clients,
}

/// One client, expanded (a scenario entry with `count = k` becomes k plans).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClientPlan {
    /// Its name (with a `-k` suffix when the entry has `count > 1`, as in simulation).
    pub name: String,
    /// The fixed argument, or None with a mix.
    pub n: Option<u64>,
    /// The mix as (n, weight) pairs.
    pub mix: Option<Vec<(u64, f64)>>,
    /// The request type it sends (index into [`ChildConfig::requests`]), instead of `n`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request: Option<u16>,
    /// A mix naming request types: (line, weight) pairs, the line `"7"` for n = 7 and
    /// `"r0"` for request type 0 (instead of `mix`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub work_mix: Option<Vec<(String, f64)>>,
    /// When it connects, seconds after the run's start.
    pub start_s: f64,
    /// Closed or open loop.
    pub mode: ClientMode,
    /// Closed loop: pause after each reply, seconds.
    pub think_s: f64,
    /// Open loop: requests per second.
    pub rate: Option<f64>,
    /// Open loop: arrival process.
    pub arrivals: Arrivals,
    /// A thread of the server's process (true) or of the clients' process.
    pub in_process: bool,
    /// Seed of its random draws (mix, Poisson gaps).
    pub seed: u64,
}

impl ClientPlan {
    /// The argument reported for this client (its n, or the first of its mix).
    pub fn first_n(&self) -> u64 {
        self.n
            .or_else(|| self.mix.as_ref().and_then(|m| m.first().map(|e| e.0)))
            .unwrap_or(0)
    }
}

/// Allowed cores per role (empty: any).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct AffinityPlan {
    /// The event loop (or acceptor) thread.
    #[serde(rename = "loop")]
    pub event_loop: Vec<usize>,
    /// Client threads.
    pub clients: Vec<usize>,
    /// Pool workers and connection threads.
    pub workers: Vec<usize>,
    /// Process-pool helper threads (None: as the loop, by inheritance).
    pub helpers: Option<Vec<usize>>,
}

/// Settings of the Rust backend's emulated GIL (None: no GIL, like free-threaded Python).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct EmulatedGil {
    /// The switch interval, seconds.
    pub interval_s: f64,
}

/// Everything a child process needs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ChildConfig {
    /// What this process does.
    pub role: Role,
    /// Length of the measured run, seconds.
    pub duration_s: f64,
    /// `sys.setswitchinterval` (CPython).
    pub switch_interval_s: f64,
    /// The server's shape.
    pub server_kind: ServerKind,
    /// The executor.
    pub executor: ExecutorKind,
    /// Pool size.
    pub workers: usize,
    /// The clients this process runs.
    pub clients: Vec<ClientPlan>,
    /// Per-role cores.
    pub affinity: AffinityPlan,
    /// The correct reply for every n the clients send (keys are decimal strings).
    pub expect: BTreeMap<String, u64>,
    /// Service: how long after listening the run's time 0 is, seconds.
    pub t0_delay_s: f64,
    /// Clients process: the server's port.
    #[serde(default)]
    pub port: Option<u16>,
    /// Clients process: the run's time 0, `CLOCK_MONOTONIC` nanoseconds.
    #[serde(default)]
    pub t0_ns: Option<u64>,
    /// The process kills its own process group after this many seconds, whatever happens.
    pub watchdog_s: f64,
    /// Rust backend: emulate CPython's GIL in the service's process.
    #[serde(default)]
    pub gil: Option<EmulatedGil>,
    /// CPython service: time the request path's cold start before the run
    /// ([`crate::live::cold_start`]).
    #[serde(default)]
    pub cold_probe: bool,
    /// The scenario's request types (`[[requests]]`), run by `src/workload/steps.py`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub requests: Vec<super::request_plan::LiveRequestType>,
}

/// Largest n a live run accepts for checking replies (the sieve behind the expected p_n).
const MAX_CHECKED_N: u64 = 1_000_000;

/// The expanded client plans of a scenario, in the order simulation reports them.
pub fn client_plans(s: &Scenario) -> Vec<ClientPlan> {
    let mut out = Vec::new();
    for (i, spec) in s.clients.iter().enumerate() {
        for k in 0..spec.count {
            let name = if spec.count == 1 {
                spec.name.clone()
            } else {
                format!("{}-{k}", spec.name)
            };
            let index = |name: &str| s.requests.iter().position(|r| r.name == name);
            let names_types = spec
                .mix
                .as_ref()
                .is_some_and(|m| m.iter().any(|e| e.request.is_some()));
            out.push(ClientPlan {
                name,
                n: spec.n,
                mix: spec
                    .mix
                    .as_ref()
                    .filter(|_| !names_types)
                    .map(|m| m.iter().map(|e| (e.n.unwrap_or(0), e.weight)).collect()),
                request: spec.request.as_deref().and_then(index).map(|i| i as u16),
                work_mix: spec.mix.as_ref().filter(|_| names_types).map(|m| {
                    m.iter()
                        .map(|e| {
                            let line = match (&e.n, &e.request) {
                                (Some(n), _) => n.to_string(),
                                (None, Some(r)) => format!("r{}", index(r).unwrap_or(0)),
                                (None, None) => "0".into(),
                            };
                            (line, e.weight)
                        })
                        .collect()
                }),
                start_s: spec.start.as_secs_f64(),
                mode: spec.mode,
                think_s: spec.think.as_secs_f64(),
                rate: spec.rate,
                arrivals: spec.arrivals,
                in_process: spec.in_process,
                seed: s
                    .seed
                    .wrapping_mul(0x9E37_79B9_7F4A_7C15)
                    .wrapping_add((i as u64) << 20 | k as u64),
            });
        }
    }
    out
}

/// The correct reply of every n the scenario's clients may send.
pub fn expected_primes(plans: &[ClientPlan]) -> Result<BTreeMap<String, u64>, String> {
    let mut out = BTreeMap::new();
    for p in plans {
        let ns: Vec<u64> = match (&p.n, &p.mix, &p.work_mix) {
            (Some(n), _, _) => vec![*n],
            (None, Some(m), _) => m.iter().map(|e| e.0).collect(),
            // A request type's reply is not checked; a mix's primes are.
            (None, None, Some(m)) => m.iter().filter_map(|e| e.0.parse().ok()).collect(),
            (None, None, None) => vec![],
        };
        for n in ns {
            if n > MAX_CHECKED_N {
                return Err(format!(
                    "client {}: n = {n} is too large for a live run (at most {MAX_CHECKED_N})",
                    p.name
                ));
            }
            if let std::collections::btree_map::Entry::Vacant(e) = out.entry(n.to_string()) {
                let c = op_count(n).map_err(|e| e.to_string())?;
                e.insert(c.prime);
            }
        }
    }
    Ok(out)
}

/// The service's configuration for a scenario (all clients listed; the caller splits them
/// between the roles).
pub fn service_config(s: &Scenario, watchdog_s: f64) -> Result<ChildConfig, String> {
    let plans = client_plans(s);
    let expect = expected_primes(&plans)?;
    let to = |v: &[u16]| v.iter().map(|&c| c as usize).collect::<Vec<_>>();
    let any_out = plans.iter().any(|p| !p.in_process);
    Ok(ChildConfig {
        role: Role::Service,
        duration_s: s.duration.as_secs_f64(),
        switch_interval_s: s.python.switch_interval.as_secs_f64(),
        server_kind: s.server.kind,
        executor: s.server.executor,
        workers: s.workers().max(1),
        clients: plans,
        affinity: AffinityPlan {
            event_loop: to(&s.affinity.event_loop),
            clients: to(&s.affinity.clients),
            workers: to(&s.affinity.workers),
            helpers: s.affinity.helpers.as_deref().map(to),
        },
        expect,
        // The clients' own process needs time to start before time 0.
        t0_delay_s: if any_out { 0.6 } else { 0.15 },
        port: None,
        t0_ns: None,
        watchdog_s,
        gil: None,
        cold_probe: true,
        requests: super::request_plan::live_requests(s),
    })
}

/// Splits a full configuration into the service's (in-process clients) and, if any client
/// has a process of its own, the clients process's (given the port and time 0 later).
pub fn split_roles(full: &ChildConfig) -> (ChildConfig, Option<ChildConfig>) {
    let mut service = full.clone();
    service.clients.retain(|c| c.in_process);
    let outside: Vec<ClientPlan> = full
        .clients
        .iter()
        .filter(|c| !c.in_process)
        .cloned()
        .collect();
    let clients = (!outside.is_empty()).then(|| {
        let mut c = full.clone();
        c.role = Role::Clients;
        c.clients = outside;
        c
    });
    (service, clients)
}

/// Checks that a scenario can be run live on this machine (cores in the affinity exist
/// here); returns warnings for differences that do not prevent the run.
pub fn check_runnable(s: &Scenario, online_cpus: usize) -> Result<Vec<String>, String> {
    let mut warnings = Vec::new();
    let mut lists: Vec<(&str, &[u16])> = vec![
        ("affinity.loop", &s.affinity.event_loop),
        ("affinity.clients", &s.affinity.clients),
        ("affinity.workers", &s.affinity.workers),
    ];
    if let Some(h) = &s.affinity.helpers {
        lists.push(("affinity.helpers", h));
    }
    for (key, list) in lists {
        if let Some(&c) = list.iter().find(|&&c| c as usize >= online_cpus) {
            return Err(format!(
                "{key}: core {c} does not exist on this machine ({online_cpus} CPUs available)"
            ));
        }
    }
    if s.machine.cores != online_cpus {
        warnings.push(format!(
            "the scenario describes {} cores but this machine has {online_cpus} CPUs available: \
             the live run uses the real machine",
            s.machine.cores
        ));
    }
    Ok(warnings)
}

/// What `backend` cannot run of `scenario`: the interpreter pool and request types have no
/// Rust counterpart.
pub fn check_backend(scenario: &Scenario, backend: Backend) -> Result<(), String> {
    if backend != Backend::Rust {
        return Ok(());
    }
    if scenario.server.executor == ExecutorKind::Interpreter {
        return Err("server.executor = \"interpreter\" has no rust-backend counterpart (use --backend cpython with Python 3.13 or later)".into());
    }
    if !scenario.requests.is_empty() {
        return Err("requests: the rust backend runs the prime core only; run request types with --backend cpython".into());
    }
    Ok(())
}
