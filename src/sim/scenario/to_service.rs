//! A scenario, as the service layer sees it: the conversion to a [`ServiceSpec`].

use super::tables::{AffinitySpec, ClientSpec};
use super::Scenario;
use crate::machine::CoreId;
use crate::service::{Affinity, ClientGroup, ClientMode, Pacing, RequestArgs, ServiceSpec};

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
            switch_interval: self.python.switch_interval,
            server: self.server.kind,
            executor: self.server.executor,
            workers: self.server.workers,
            clients: self.clients.iter().map(client_group).collect(),
            affinity: affinity(&self.affinity),
        }
    }
}

/// One `[[clients]]` entry as a group of identical clients.
fn client_group(c: &ClientSpec) -> ClientGroup {
    let args = match (c.n, &c.mix) {
        (Some(n), _) => RequestArgs::Fixed(n),
        (None, Some(mix)) => RequestArgs::Mix(mix.iter().map(|m| (m.n, m.weight)).collect()),
        (None, None) => panic!("client {}: validated scenarios have n or a mix", c.name),
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
