//! A builder for scenarios in code: the same scenarios as TOML files, checked the same way.
//!
//! ```
//! use execsim::sim::builder::ScenarioBuilder;
//! use execsim::sim::scenario::ExecutorKind;
//! use execsim::sim::run::{simulate, SimOptions};
//! use execsim::sim::calibration::Calibration;
//!
//! let s = ScenarioBuilder::new("my-service")
//!     .duration("6s")
//!     .cores(2)
//!     .switch_interval("2ms")
//!     .executor(ExecutorKind::Thread)
//!     .closed_client("simple", 1, "0s")
//!     .closed_client("long", 100_000, "2s")
//!     .pin_workers(&[1])
//!     .pin_loop(&[0])
//!     .pin_clients(&[0])
//!     .build()
//!     .unwrap();
//! let r = simulate(&s, &Calibration::default_embedded(), &SimOptions::default()).result;
//! let simple = r.client("simple").unwrap();
//! assert!(simple.rate(3, 6) < 0.1 * simple.rate(1, 2)); // the GIL convoy
//! ```
//!
//! Errors are those of [`Scenario::validate`], naming the key:
//!
//! ```
//! use execsim::sim::builder::ScenarioBuilder;
//! let e = ScenarioBuilder::new("x").duration("1s").cores(0).closed_client("a", 1, "0s").build().unwrap_err();
//! assert!(e.to_string().contains("machine.cores"));
//! ```

use crate::interp::GilKind;
use crate::kernel::SimDuration;
use crate::sim::scenario::{
    ClientMode, ClientSpec, ExecutorKind, Scenario, ScenarioError, ServerKind,
};

/// Builds a [`Scenario`] step by step; [`build`](Self::build) validates it.
#[derive(Clone, Debug)]
pub struct ScenarioBuilder {
    scenario: Scenario,
    error: Option<ScenarioError>,
}

impl ScenarioBuilder {
    /// A scenario named `name`: [`Scenario::default`] (seed 1, 12 s, 2 cores, CPython with a
    /// 5 ms switch interval, an asyncio server with a thread pool) with no clients yet.
    pub fn new(name: &str) -> Self {
        let scenario = Scenario {
            name: Some(name.to_string()),
            clients: Vec::new(),
            ..Scenario::default()
        };
        ScenarioBuilder {
            scenario,
            error: None,
        }
    }

    fn duration_of(&mut self, key: &str, text: &str) -> SimDuration {
        match SimDuration::parse(text) {
            Ok(d) => d,
            Err(e) => {
                self.error.get_or_insert(ScenarioError {
                    key: key.into(),
                    message: e.to_string(),
                });
                SimDuration::ZERO
            }
        }
    }

    /// The master seed.
    pub fn seed(mut self, seed: u64) -> Self {
        self.scenario.seed = seed;
        self
    }
    /// How long to simulate (`"12s"`).
    pub fn duration(mut self, d: &str) -> Self {
        self.scenario.duration = self.duration_of("duration", d);
        self
    }
    /// Number of cores.
    pub fn cores(mut self, n: usize) -> Self {
        self.scenario.machine.cores = n;
        self
    }
    /// `sys.setswitchinterval` (`"5ms"`).
    pub fn switch_interval(mut self, d: &str) -> Self {
        self.scenario.python.switch_interval = self.duration_of("python.switch_interval", d);
        self
    }
    /// CPython's GIL or the free-threaded build.
    pub fn gil(mut self, gil: GilKind) -> Self {
        self.scenario.python.set_gil(gil);
        self
    }
    /// The asyncio server's executor.
    pub fn executor(mut self, e: ExecutorKind) -> Self {
        self.scenario.server.executor = e;
        self
    }
    /// The server's shape.
    pub fn server_kind(mut self, k: ServerKind) -> Self {
        self.scenario.server.kind = k;
        self
    }
    /// The pool size.
    pub fn workers(mut self, n: usize) -> Self {
        self.scenario.server.workers = Some(n);
        self
    }
    /// A closed-loop client in the server's process, sending `n` from `start`.
    pub fn closed_client(mut self, name: &str, n: u64, start: &str) -> Self {
        let start = self.duration_of(
            &format!("clients[{}].start", self.scenario.clients.len()),
            start,
        );
        self.scenario
            .clients
            .push(ClientSpec::closed(name, n, start));
        self
    }
    /// An open-loop client sending `n` at `rate` requests per second (Poisson) from `start`.
    pub fn open_client(mut self, name: &str, n: u64, rate: f64, start: &str) -> Self {
        let start = self.duration_of(
            &format!("clients[{}].start", self.scenario.clients.len()),
            start,
        );
        let mut c = ClientSpec::closed(name, n, start);
        c.mode = ClientMode::Open;
        c.rate = Some(rate);
        self.scenario.clients.push(c);
        self
    }
    /// Any client.
    pub fn client(mut self, c: ClientSpec) -> Self {
        self.scenario.clients.push(c);
        self
    }
    /// Cores the event loop may use.
    pub fn pin_loop(mut self, cores: &[u16]) -> Self {
        self.scenario.affinity.event_loop = cores.to_vec();
        self
    }
    /// Cores the client threads may use.
    pub fn pin_clients(mut self, cores: &[u16]) -> Self {
        self.scenario.affinity.clients = cores.to_vec();
        self
    }
    /// Cores the pool workers may use.
    pub fn pin_workers(mut self, cores: &[u16]) -> Self {
        self.scenario.affinity.workers = cores.to_vec();
        self
    }
    /// The scenario, validated.
    pub fn build(self) -> Result<Scenario, ScenarioError> {
        if let Some(e) = self.error {
            return Err(e);
        }
        self.scenario.validate()?;
        Ok(self.scenario)
    }
}
