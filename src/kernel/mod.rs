//! The discrete-event kernel: virtual time, the event queue, named random streams and the
//! trace hash. It knows nothing of threads, interpreters or primes.
//!
//! # Basic concepts
//! - **Time** is integer nanoseconds ([`SimTime`], [`SimDuration`]); nothing here reads a clock.
//! - **Events** wait in an [`EventQueue`] ordered by `(time, sequence)`; simultaneous events
//!   run in the order they were scheduled. Cancelling is left to models (a stale event carries
//!   an old token and is ignored), which keeps the queue a plain heap.
//! - **Models** implement [`Model`]: one `handle` per event. [`Simulation`] pairs a model with
//!   its queue and runs it to a horizon, optionally with an observer called after every
//!   event ([`Simulation::run_until_observed`]).
//! - **Invariants**: a broken rule is a [`Violation`], named by the layer that owns the rule;
//!   the kernel's own is [`TIME`] (see `invariant.rs` for how rules are named).
//! - **Randomness** comes from [`RngStreams`]: one ChaCha8 stream per stable name.
//! - **Trace hash**: every processed event is folded into a 64-bit fingerprint, reported by
//!   each run, so "same seed, same trace" is checkable.

mod heap;
mod invariant;
mod queue;
mod rng;
mod time;
mod trace;

pub use invariant::{TimeCheck, Violation, TIME};
pub use queue::{EventQueue, Model, Simulation, StopReason};
pub use rng::{fnv1a64, stream_seed, RngStreams, SimRng};
pub use time::{DurationParseError, SimDuration, SimTime};
pub use trace::{TraceHash, TraceKey};
