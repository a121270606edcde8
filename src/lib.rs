//! # execsim
//!
//! A deterministic discrete-event simulator of a Python-style asyncio service that offloads
//! CPU-bound work (the n-th prime by trial division) to an executor, with cost models
//! calibrated against the real prime core.
#![warn(missing_docs)]

pub mod builder;
pub mod calibrate;
pub mod calibration;
pub mod check;
pub mod chrome_trace;
pub mod cost;
pub mod interp;
pub mod kernel;
pub mod lesson;
pub mod live;
pub mod machine;
pub mod plot;
pub mod prime;
pub mod report;
pub mod results;
pub mod run;
pub mod scenario;
pub mod service;
pub mod sweep;
