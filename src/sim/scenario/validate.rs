//! Validation of a scenario: every value in range, every error naming its key.

use super::error::{err, ScenarioError};
use super::tables::{ClientSpec, MixEntry};
use super::Scenario;
use crate::kernel::SimDuration;
use crate::service::{ClientMode, ExecutorKind, ServerLanguage};
use crate::workload::prime::MAX_OP_COUNT_N;

impl Scenario {
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
        let rust = self.server.language == ServerLanguage::Rust;
        if rust && self.server.executor == ExecutorKind::Interpreter {
            return Err(err(
                "server.language",
                "the Rust server has no interpreter pool (executor = \"inline\", \"thread\" or \"process\")",
            ));
        }
        if rust && self.python.runtime != crate::workload::cost::Backend::Rust {
            return Err(err(
                "python.runtime",
                "the Rust server computes with the Rust core: set runtime = \"rust\" with server.language = \"rust\"",
            ));
        }
        // The Rust server is no CPython build: without a GIL (free-threaded) on any version.
        if !rust && !self.python.version.supports(self.python.gil) {
            return Err(err(
                "python.gil",
                format!(
                    "\"free-threaded\" needs the free-threaded build (python.version = \"3.13t\"), not {}",
                    self.python.version
                ),
            ));
        }
        if let Some(w) = self.server.workers {
            if !(1..=1024).contains(&w) {
                return Err(err("server.workers", format!("must be 1 to 1024, not {w}")));
            }
        }
        if let Some(m) = &self.costs.machine {
            let f = m.cold_slowdown;
            if !(f.is_finite() && (1.0..=100.0).contains(&f)) {
                return Err(err(
                    "costs.machine.cold_slowdown",
                    format!("must be a finite number from 1 to 100, got {f}"),
                ));
            }
        }
        if let Some(s) = &self.costs.service {
            s.bytes.check().map_err(|k| {
                err(
                    format!("costs.service.bytes.{k}"),
                    "must be a finite number, not negative",
                )
            })?;
        }
        self.validate_requests()?;
        self.validate_clients()?;
        self.validate_affinity()
    }

    /// Each request type valid, names unique, at most 1,000 of them.
    fn validate_requests(&self) -> Result<(), ScenarioError> {
        if self.requests.len() > 1_000 {
            return Err(err("requests", "at most 1000 request types"));
        }
        for (i, r) in self.requests.iter().enumerate() {
            r.validate(i)?;
            if self.requests[..i].iter().any(|o| o.name == r.name) {
                return Err(err(
                    format!("requests[{i}].name"),
                    format!("{:?} is the name of an earlier request type", r.name),
                ));
            }
        }
        Ok(())
    }

    /// At least one client, at most 10,000 in all, each valid.
    fn validate_clients(&self) -> Result<(), ScenarioError> {
        if self.clients.is_empty() {
            return Err(err("clients", "at least one client is required"));
        }
        let names: Vec<&str> = self.requests.iter().map(|r| r.name.as_str()).collect();
        let mut total = 0usize;
        for (i, c) in self.clients.iter().enumerate() {
            validate_client(i, c, self.duration, &names)?;
            total += c.count;
        }
        if total > 10_000 {
            return Err(err("clients", "at most 10000 clients in all"));
        }
        Ok(())
    }

    /// Every core named by `[affinity]` exists.
    fn validate_affinity(&self) -> Result<(), ScenarioError> {
        let cores = self.machine.cores;
        let a = &self.affinity;
        check_cores("affinity.loop", &a.event_loop, cores)?;
        check_cores("affinity.clients", &a.clients, cores)?;
        check_cores("affinity.workers", &a.workers, cores)?;
        if let Some(h) = &a.helpers {
            check_cores("affinity.helpers", h, cores)?;
        }
        Ok(())
    }
}

/// `clients[i]`: a name, n or a mix, a start within the run, a rate only (and always) in open
/// loop, a count of 1 to 10,000.
fn validate_client(
    i: usize,
    c: &ClientSpec,
    duration: SimDuration,
    requests: &[&str],
) -> Result<(), ScenarioError> {
    let k = |f: &str| format!("clients[{i}].{f}");
    if c.name.trim().is_empty() {
        return Err(err(k("name"), "must not be empty"));
    }
    let given = [c.n.is_some(), c.request.is_some(), c.mix.is_some()];
    match given.iter().filter(|&&g| g).count() {
        0 => {
            return Err(err(
                k("n"),
                "a request argument n (or a request type, or a mix) is required",
            ))
        }
        1 => {}
        _ => return Err(err(k("mix"), "give one of n, request and mix")),
    }
    if let Some(n) = c.n {
        check_n(n, &k("n"))?;
    }
    if let Some(name) = &c.request {
        check_request(name, requests, &k("request"))?;
    }
    if let Some(mix) = &c.mix {
        validate_mix(i, mix, requests)?;
    }
    if c.start >= duration {
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
    Ok(())
}

/// A client's `request` names a `[[requests]]` entry.
fn check_request(name: &str, requests: &[&str], key: &str) -> Result<(), ScenarioError> {
    if requests.contains(&name) {
        return Ok(());
    }
    let known = if requests.is_empty() {
        "there is no [[requests]] entry".to_string()
    } else {
        format!("the request types are {}", requests.join(", "))
    };
    Err(err(
        key,
        format!("no request type is named {name:?} ({known})"),
    ))
}

/// `clients[i].mix`: not empty, each entry one n or one request type, each weight positive.
fn validate_mix(i: usize, mix: &[MixEntry], requests: &[&str]) -> Result<(), ScenarioError> {
    if mix.is_empty() {
        return Err(err(format!("clients[{i}].mix"), "must not be empty"));
    }
    for (j, m) in mix.iter().enumerate() {
        let key = |f: &str| format!("clients[{i}].mix[{j}].{f}");
        match (m.n, &m.request) {
            (Some(n), None) => check_n(n, &key("n"))?,
            (None, Some(name)) => check_request(name, requests, &key("request"))?,
            _ => return Err(err(key("n"), "give one of n and request")),
        }
        if !(m.weight.is_finite() && m.weight > 0.0) {
            return Err(err(
                format!("clients[{i}].mix[{j}].weight"),
                "must be a positive number",
            ));
        }
    }
    Ok(())
}

/// Every core of `list` exists on a machine of `cores` cores.
fn check_cores(key: &str, list: &[u16], cores: usize) -> Result<(), ScenarioError> {
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
}

/// A request argument the cost model can answer: 1 to [`MAX_OP_COUNT_N`].
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
