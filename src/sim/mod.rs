//! Simulation: a scenario (TOML or builder) becomes a service, runs on the kernel, and gives
//! results; with the invariant checker, the lesson's presets and sweeps.

pub mod builder;
pub mod calibration;
pub mod check;
pub mod gil_snapshot;
pub mod lesson;
pub mod results;
pub mod run;
pub mod scenario;
pub mod sweep;
