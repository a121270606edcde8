//! # execsim
//!
//! A deterministic discrete-event simulator of a Python-style asyncio service that offloads
//! CPU-bound work (the n-th prime by trial division) to an executor, with cost models
//! calibrated against the real prime core.
#![warn(missing_docs)]

pub mod kernel;
pub mod cost;
pub mod prime;
