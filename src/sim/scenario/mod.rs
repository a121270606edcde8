//! Scenarios: what to simulate (or run live), as TOML or built in code.
//!
//! ```toml
//! seed = 7
//! duration = "12s"
//! [machine]
//! cores = 2
//! [python]
//! version = "3.11"           # "3.11" | "3.13" | "3.13t" (free-threaded build)
//! gil = "cpython"            # "cpython" | "free-threaded" (default: the version's own)
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
//!
//! One concept per file: the tables of the file (`tables.rs`), validation (`validate.rs`),
//! the error and the locator that names the key a parse error is about (`error.rs`,
//! `locate.rs`), and the conversion to the service layer's [`ServiceSpec`]
//! (`to_service.rs`). The server kind, executor, client mode and arrival process are the
//! service layer's enums, re-exported here.

mod error;
mod locate;
mod requests;
mod tables;
mod to_service;
mod validate;

pub use crate::service::{Arrivals, ClientMode, ExecutorKind, ServerKind};
pub use error::ScenarioError;
pub use requests::{parse_samples, DistSpec, DurationSpec, NativeGil, RequestSpec, StepSpec};
pub use tables::{
    AffinitySpec, ClientSpec, CostOverrides, MachineSpec, MixEntry, PythonSpec, ServerSpec,
};

use crate::kernel::SimDuration;
use error::err;
use serde::{Deserialize, Serialize};

#[cfg(doc)]
use crate::service::ServiceSpec;

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
    /// Request types of the user's own service (`[[requests]]`), which clients may name.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub requests: Vec<RequestSpec>,
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

impl Default for Scenario {
    /// The smallest valid scenario, every optional key at its default: seed 1, 12 s (the
    /// lesson's run), 2 cores, CPython with a 5 ms switch interval, an asyncio server with a
    /// thread pool of CPython's default size, and one closed-loop client `simple` sending
    /// `n = 1` from the start. The same as the file
    /// `duration = "12s"` + `[[clients]]` `name = "simple"`, `n = 1`.
    fn default() -> Self {
        Scenario {
            name: None,
            seed: default_seed(),
            duration: SimDuration::from_secs(12),
            machine: MachineSpec::default(),
            python: PythonSpec::default(),
            server: ServerSpec::default(),
            clients: vec![ClientSpec::closed("simple", 1, SimDuration::ZERO)],
            requests: Vec::new(),
            affinity: AffinitySpec::default(),
            costs: CostOverrides::default(),
        }
    }
}

impl Scenario {
    /// Parses and validates TOML text (an empirical distribution's file is read relative to
    /// the current directory).
    pub fn from_toml(text: &str) -> Result<Scenario, ScenarioError> {
        Scenario::from_toml_in(text, std::path::Path::new("."))
    }

    /// Parses TOML text, reads its empirical distributions' files relative to `base`, and
    /// validates it.
    pub fn from_toml_in(text: &str, base: &std::path::Path) -> Result<Scenario, ScenarioError> {
        let mut s: Scenario = toml::from_str(text).map_err(|e| locate::parse_error(text, &e))?;
        s.load_samples(base)?;
        s.validate()?;
        Ok(s)
    }

    /// Reads the files of the request types' empirical distributions, relative to `base`
    /// (for a scenario built in code; loading a file does it).
    pub fn load_samples(&mut self, base: &std::path::Path) -> Result<(), ScenarioError> {
        for (i, r) in self.requests.iter_mut().enumerate() {
            r.load_samples(i, base)?;
        }
        Ok(())
    }

    /// Reads, parses and validates a scenario file; the name defaults to the file stem.
    pub fn from_file(path: &std::path::Path) -> Result<Scenario, ScenarioError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| err("", format!("cannot read {}: {e}", path.display())))?;
        let base = path.parent().unwrap_or(std::path::Path::new("."));
        let mut s = Scenario::from_toml_in(&text, base)?;
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

    /// The CPython build whose costs and code paths a simulation of this scenario uses: its
    /// `[python] version`; for the Rust server (`[server] language = "rust"`) the
    /// calibration's own, 3.11 (no CPython build: a free-threaded `gil`, which defaults
    /// `version` to "3.13t", then means no GIL, not 3.13t's locks and speed).
    pub fn modelled_version(&self) -> crate::interp::PythonVersion {
        match self.server.language {
            crate::service::ServerLanguage::Python => self.python.version,
            crate::service::ServerLanguage::Rust => crate::interp::PythonVersion::V3_11,
        }
    }

    /// The pool size in effect (CPython's defaults when not given, see
    /// [`ExecutorKind::default_pool_size`]).
    pub fn workers(&self) -> usize {
        self.server
            .workers
            .unwrap_or_else(|| self.server.executor.default_pool_size(self.machine.cores))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_is_the_minimal_file_and_valid() {
        let s = Scenario::default();
        assert_eq!(s.validate(), Ok(()));
        let text = "duration = \"12s\"\n[[clients]]\nname = \"simple\"\nn = 1\n";
        assert_eq!(Scenario::from_toml(text), Ok(s.clone()));
        assert_eq!(Scenario::from_toml(&s.to_toml()), Ok(s.clone()));
        assert_eq!(s.workers(), 6);
    }

    #[test]
    fn version_and_gil_default_from_each_other() {
        use crate::interp::{GilKind, PythonVersion};
        let with = |python: &str| {
            let text = format!(
                "duration = \"1s\"\n[python]\n{python}\n[[clients]]\nname = \"a\"\nn = 1\n"
            );
            Scenario::from_toml(&text).map(|s| (s.python.version, s.python.gil))
        };
        use GilKind::{Cpython, FreeThreaded};
        use PythonVersion::{V3_13t, V3_11, V3_13};
        assert_eq!(with(""), Ok((V3_11, Cpython)));
        assert_eq!(with("version = \"3.13\""), Ok((V3_13, Cpython)));
        assert_eq!(with("version = \"3.13t\""), Ok((V3_13t, FreeThreaded)));
        assert_eq!(
            with("version = \"3.13t\"\ngil = \"cpython\""),
            Ok((V3_13t, Cpython))
        );
        assert_eq!(with("gil = \"free-threaded\""), Ok((V3_13t, FreeThreaded)));
        let e = with("version = \"3.13\"\ngil = \"free-threaded\"").unwrap_err();
        assert_eq!(e.key, "python.gil");
        assert_eq!(
            with("version = \"3.12\"").unwrap_err().key,
            "python.version"
        );
        // A written scenario reads back the same; 3.11 is not written.
        for python in [
            "",
            "version = \"3.13t\"\ngil = \"cpython\"",
            "gil = \"free-threaded\"",
        ] {
            let text = format!(
                "duration = \"1s\"\n[python]\n{python}\n[[clients]]\nname = \"a\"\nn = 1\n"
            );
            let s = Scenario::from_toml(&text).unwrap();
            assert_eq!(Scenario::from_toml(&s.to_toml()), Ok(s.clone()));
        }
        assert!(!Scenario::default().to_toml().contains("version"));
    }

    #[test]
    fn errors_name_their_key() {
        let e = Scenario::from_toml("duration = \"1s\"\n[[clients]]\nname = \"a\"\nn = 0\n");
        assert_eq!(e.unwrap_err().key, "clients[0].n");
        let e = Scenario::from_toml("duration = \"1s\"\n[[clients]]\nname = \"a\"\nm = 1\n");
        let e = e.unwrap_err();
        assert_eq!(e.key, "clients[0].m");
        assert!(e.message.starts_with("unknown field `m`"), "{e}");
        let e = Scenario::from_toml("duration = \"1s\"\n[[clients]]\nn = 1\n").unwrap_err();
        assert_eq!(e.key, "clients[0].name");
        let text = "duration = \"1s\"\n[affinity]\nloop = [2]\n[[clients]]\nname = \"a\"\nn = 1\n";
        let e = Scenario::from_toml(text).unwrap_err();
        assert_eq!(
            e.to_string(),
            "affinity.loop: core 2 does not exist (machine.cores = 2: cores 0 to 1)"
        );
    }

    #[test]
    fn the_service_sees_resolved_helpers_and_typed_clients() {
        use crate::machine::CoreId;
        use crate::service::{Pacing, RequestArgs};
        let mut s = Scenario::default();
        s.affinity.event_loop = vec![1];
        s.clients[0].mode = ClientMode::Open;
        s.clients[0].rate = Some(50.0);
        s.clients.push(ClientSpec {
            n: None,
            mix: Some(vec![MixEntry::prime(3, 0.5)]),
            ..ClientSpec::closed("mixed", 1, SimDuration::ZERO)
        });
        let spec = s.service_spec();
        assert_eq!(spec.affinity.helpers, vec![CoreId(1)]);
        assert_eq!(spec.pool_size(), s.workers());
        assert_eq!(
            spec.clients[0].pacing,
            Pacing::Open {
                rate: 50.0,
                arrivals: Arrivals::Poisson
            }
        );
        assert_eq!(
            spec.clients[1].args,
            RequestArgs::Mix(vec![(crate::service::Work::Prime(3), 0.5)])
        );
    }
}
