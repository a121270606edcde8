//! A scenario, as the service layer sees it: the conversion to a [`ServiceSpec`].

use super::requests::RequestSpec;
use super::tables::{AffinitySpec, ClientSpec};
use super::Scenario;
use crate::machine::CoreId;
use crate::service::{Affinity, ClientGroup, ClientMode, Pacing, RequestArgs, ServiceSpec, Work};

impl Scenario {
    /// What the service layer needs of this (validated) scenario: the server, the pool, the
    /// GIL, the clients and the affinities (`affinity.helpers` defaults to `affinity.loop`).
    ///
    /// # Panics
    /// If a client has neither `n` nor `mix`, or is open-loop without a rate: things
    /// [`validate`](Self::validate) rejects.
    pub fn service_spec(&self) -> ServiceSpec {
        ServiceSpec {
            seed: self.seed,
            duration: self.duration,
            cores: self.machine.cores,
            gil: self.python.gil,
            python: self.modelled_version(),
            switch_interval: self.python.switch_interval,
            server: self.server.kind,
            language: self.server.language,
            executor: self.server.executor,
            workers: self.server.workers,
            clients: self
                .clients
                .iter()
                .map(|c| client_group(c, &self.requests))
                .collect(),
            requests: self.requests.iter().map(|r| r.to_request_type()).collect(),
            affinity: affinity(&self.affinity),
        }
    }
}

/// The work a client names: a prime request `n` or a request type (by its index in
/// `requests`).
fn work(n: Option<u64>, request: Option<&str>, requests: &[RequestSpec]) -> Option<Work> {
    match (n, request) {
        (Some(n), _) => Some(Work::Prime(n)),
        (None, Some(name)) => requests
            .iter()
            .position(|r| r.name == name)
            .map(|i| Work::Custom(i as u16)),
        (None, None) => None,
    }
}

/// One `[[clients]]` entry as a group of identical clients.
fn client_group(c: &ClientSpec, requests: &[RequestSpec]) -> ClientGroup {
    let fixed = work(c.n, c.request.as_deref(), requests);
    let args = match (fixed, &c.mix) {
        (Some(w), _) => RequestArgs::Fixed(w),
        (None, Some(mix)) => RequestArgs::Mix(
            mix.iter()
                .map(|m| {
                    let w = work(m.n, m.request.as_deref(), requests)
                        .expect("validated mix entries name their work");
                    (w, m.weight)
                })
                .collect(),
        ),
        (None, None) => panic!(
            "client {}: validated scenarios have n, request or a mix",
            c.name
        ),
    };
    let pacing = match c.mode {
        ClientMode::Closed => Pacing::Closed { think: c.think },
        ClientMode::Open => Pacing::Open {
            rate: c
                .rate
                .unwrap_or_else(|| panic!("client {}: validated open clients have a rate", c.name)),
            arrivals: c.arrivals,
        },
    };
    ClientGroup {
        name: c.name.clone(),
        args,
        start: c.start,
        pacing,
        in_process: c.in_process,
        count: c.count,
    }
}

/// The `[affinity]` table as core lists; the helpers run where the loop does unless given.
fn affinity(a: &AffinitySpec) -> Affinity {
    let cores = |list: &[u16]| list.iter().map(|&c| CoreId(c)).collect::<Vec<_>>();
    Affinity {
        event_loop: cores(&a.event_loop),
        clients: cores(&a.clients),
        workers: cores(&a.workers),
        helpers: cores(a.helpers.as_deref().unwrap_or(&a.event_loop)),
    }
}
