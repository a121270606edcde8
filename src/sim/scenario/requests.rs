//! `[[requests]]`: request types of the user's own service, as a scenario file writes them.
//!
//! ```toml
//! [[requests]]
//! name = "thumbnail"
//! payload = "4MB"                         # bytes sent to the executor with the call; default 0
//! reply = "20KB"                          # bytes the call returns; default 0
//! steps = [
//!   { python = "2ms" },                   # pure-Python CPU: holds the GIL, checks the eval breaker
//!   { native = "8ms", gil = "released" }, # C code that releases the GIL (hashlib, zlib, numpy)
//!   { native = "1ms", gil = "held" },     # C code that keeps it (json, pickle, re)
//!   { io = "20ms" },                      # waiting on a database or an HTTP call
//! ]
//! ```
//!
//! A duration is a string (`"2ms"`) or a distribution: `{ dist = "lognormal", median =
//! "2ms", p99 = "15ms" }`, `{ dist = "exp", mean = "2ms" }`, `{ dist = "uniform", min =
//! "1ms", max = "3ms" }`, `{ dist = "empirical", file = "samples.csv" }` (one duration per
//! line: `2.5ms`, `800us`, or a bare number of seconds; blank lines and lines starting with
//! `#` are skipped; a file path is relative to the scenario file's folder).

use super::error::{err, ScenarioError};
use crate::kernel::SimDuration;
use crate::workload::byte_size::ByteSize;
use crate::workload::distribution::DurationDist;
use crate::workload::request_type::{RequestType, StepKind, WorkStep};
use serde::de::{self, MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};
use std::fmt;
use std::path::Path;

/// One `[[requests]]` entry.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequestSpec {
    /// The name clients use (`request = "..."`).
    pub name: String,
    /// Bytes sent to the executor with the call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload: Option<ByteSize>,
    /// Bytes the call returns.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply: Option<ByteSize>,
    /// The handler's steps, in order (at least one).
    pub steps: Vec<StepSpec>,
}

/// Whether native code keeps the GIL.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum NativeGil {
    /// It releases the GIL (`Py_BEGIN_ALLOW_THREADS`).
    Released,
    /// It keeps the GIL.
    Held,
}

/// One step: exactly one of `python`, `native` (with `gil`) and `io`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StepSpec {
    /// Pure-Python CPU work this long.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub python: Option<DurationSpec>,
    /// Native (C) code this long.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub native: Option<DurationSpec>,
    /// Whether the native code releases the GIL (required with `native`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gil: Option<NativeGil>,
    /// Waiting on I/O this long.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub io: Option<DurationSpec>,
}

/// A duration as a file writes it: fixed, or a distribution.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum DurationSpec {
    /// `"2ms"`.
    Fixed(SimDuration),
    /// `{ dist = ..., ... }`.
    Dist(DistSpec),
}

/// A distribution of durations (`dist = "..."`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "dist", rename_all = "lowercase", deny_unknown_fields)]
pub enum DistSpec {
    /// Log-normal from its median and 99th percentile.
    Lognormal {
        /// The median.
        median: SimDuration,
        /// The 99th percentile.
        p99: SimDuration,
    },
    /// Exponential with this mean.
    Exp {
        /// The mean.
        mean: SimDuration,
    },
    /// Uniform between two durations.
    Uniform {
        /// The smallest.
        min: SimDuration,
        /// The largest.
        max: SimDuration,
    },
    /// Measured durations, one per line of a file.
    Empirical {
        /// The file (relative to the scenario file's folder).
        file: String,
        /// Its durations, read when the scenario is loaded.
        #[serde(skip)]
        samples: Vec<SimDuration>,
    },
}

impl<'de> Deserialize<'de> for DurationSpec {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = DurationSpec;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a duration such as \"2ms\", or a table with dist = \"lognormal\" | \"exp\" | \"uniform\" | \"empirical\"")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<DurationSpec, E> {
                SimDuration::parse(s)
                    .map(DurationSpec::Fixed)
                    .map_err(E::custom)
            }
            fn visit_map<A: MapAccess<'de>>(self, m: A) -> Result<DurationSpec, A::Error> {
                DistSpec::deserialize(de::value::MapAccessDeserializer::new(m))
                    .map(DurationSpec::Dist)
            }
        }
        d.deserialize_any(V)
    }
}

impl DurationSpec {
    /// The distribution it stands for (an empirical one must have been loaded).
    pub fn to_dist(&self) -> DurationDist {
        match self {
            DurationSpec::Fixed(d) => DurationDist::Fixed(*d),
            DurationSpec::Dist(DistSpec::Lognormal { median, p99 }) => DurationDist::LogNormal {
                median: *median,
                p99: *p99,
            },
            DurationSpec::Dist(DistSpec::Exp { mean }) => DurationDist::Exp { mean: *mean },
            DurationSpec::Dist(DistSpec::Uniform { min, max }) => DurationDist::Uniform {
                min: *min,
                max: *max,
            },
            DurationSpec::Dist(DistSpec::Empirical { samples, .. }) => {
                DurationDist::Empirical(samples.clone())
            }
        }
    }

    /// Reads an empirical distribution's file (relative to `base`); `key` names the value in
    /// errors.
    fn load(&mut self, base: &Path, key: &str) -> Result<(), ScenarioError> {
        if let DurationSpec::Dist(DistSpec::Empirical { file, samples }) = self {
            let path = base.join(&*file);
            let text = std::fs::read_to_string(&path).map_err(|e| {
                err(
                    format!("{key}.file"),
                    format!("cannot read {}: {e}", path.display()),
                )
            })?;
            *samples = parse_samples(&text)
                .map_err(|m| err(format!("{key}.file"), format!("{}: {m}", path.display())))?;
        }
        Ok(())
    }
}

/// The durations of an empirical distribution's file.
pub fn parse_samples(text: &str) -> Result<Vec<SimDuration>, String> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let s = line.trim().trim_end_matches(',');
        if s.is_empty() || s.starts_with('#') {
            continue;
        }
        let d = match s.parse::<f64>() {
            Ok(x) if x.is_finite() && x > 0.0 => SimDuration((x * 1e9).round() as u64),
            Ok(_) => return Err(format!("line {}: {s:?} is not a positive duration", i + 1)),
            Err(_) => SimDuration::parse(s).map_err(|e| {
                format!(
                    "line {}: {s:?} is not a number or a duration ({})",
                    i + 1,
                    e.why
                )
            })?,
        };
        if d == SimDuration::ZERO {
            return Err(format!("line {}: {s:?} is not a positive duration", i + 1));
        }
        out.push(d);
    }
    if out.is_empty() {
        return Err("has no durations".into());
    }
    Ok(out)
}

impl StepSpec {
    /// The step's kind and duration; `key` names it in errors.
    fn kind_and_duration(&self, key: &str) -> Result<(StepKind, &DurationSpec), ScenarioError> {
        let given = [
            self.python.is_some(),
            self.native.is_some(),
            self.io.is_some(),
        ];
        if given.iter().filter(|&&g| g).count() != 1 {
            return Err(err(
                key,
                "a step is exactly one of { python = ... }, { native = ..., gil = \"released\" | \"held\" }, { io = ... }",
            ));
        }
        if let Some(d) = &self.native {
            return match self.gil {
                Some(NativeGil::Released) => Ok((StepKind::NativeReleased, d)),
                Some(NativeGil::Held) => Ok((StepKind::NativeHeld, d)),
                None => Err(err(
                    format!("{key}.gil"),
                    "native code needs gil = \"released\" or \"held\"",
                )),
            };
        }
        if self.gil.is_some() {
            return Err(err(format!("{key}.gil"), "only a native step has a gil"));
        }
        match (&self.python, &self.io) {
            (Some(d), _) => Ok((StepKind::Python, d)),
            (_, Some(d)) => Ok((StepKind::Io, d)),
            _ => unreachable!("exactly one was given"),
        }
    }
}

impl RequestSpec {
    /// Reads the files of its empirical distributions (relative to `base`); `i` is its index.
    pub fn load_samples(&mut self, i: usize, base: &Path) -> Result<(), ScenarioError> {
        for (j, s) in self.steps.iter_mut().enumerate() {
            for (field, d) in [
                ("python", &mut s.python),
                ("native", &mut s.native),
                ("io", &mut s.io),
            ] {
                if let Some(d) = d {
                    d.load(base, &format!("requests[{i}].steps[{j}].{field}"))?;
                }
            }
        }
        Ok(())
    }

    /// Checks it (`i`: its index): a name, at least one step, each step one kind with a valid
    /// duration.
    pub fn validate(&self, i: usize) -> Result<(), ScenarioError> {
        if self.name.trim().is_empty() {
            return Err(err(format!("requests[{i}].name"), "must not be empty"));
        }
        if self.steps.is_empty() {
            return Err(err(
                format!("requests[{i}].steps"),
                "at least one step is required",
            ));
        }
        for (j, s) in self.steps.iter().enumerate() {
            let key = format!("requests[{i}].steps[{j}]");
            let (kind, d) = s.kind_and_duration(&key)?;
            let field = match kind {
                StepKind::Python => "python",
                StepKind::NativeReleased | StepKind::NativeHeld => "native",
                StepKind::Io => "io",
            };
            if let DurationSpec::Dist(DistSpec::Empirical { samples, .. }) = d {
                if samples.is_empty() {
                    return Err(err(
                        format!("{key}.{field}.file"),
                        "not read: load the scenario with Scenario::from_file or from_toml, or call load_samples",
                    ));
                }
            }
            d.to_dist()
                .check()
                .map_err(|e| err(format!("{key}.{field}"), e.to_string()))?;
        }
        Ok(())
    }

    /// The service layer's request type (validated first).
    pub fn to_request_type(&self) -> RequestType {
        RequestType {
            name: self.name.clone(),
            payload: self.payload.map_or(0, |b| b.0),
            reply: self.reply.map_or(0, |b| b.0),
            steps: self
                .steps
                .iter()
                .map(|s| {
                    let (kind, d) = s
                        .kind_and_duration("")
                        .expect("validated scenarios have one kind per step");
                    WorkStep {
                        kind,
                        duration: d.to_dist(),
                    }
                })
                .collect(),
        }
    }
}
