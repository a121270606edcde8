//! # execsim
//!
//! A deterministic discrete-event simulator of a Python-style asyncio service that offloads
//! CPU-bound work (the n-th prime by trial division) to an executor, with cost models
//! calibrated against the real prime core.
#![warn(missing_docs)]

pub mod advise;
pub mod calibrate;
pub mod cli;
pub mod interp;
pub mod kernel;
pub mod live;
pub mod machine;
pub mod output;
pub mod service;
pub mod sim;
pub mod workload;
