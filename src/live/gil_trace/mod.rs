//! The live GIL trace (`execsim live --gil-trace`): what CPython's GIL really did during a
//! live run, thread by thread, measured by a preload library (`shim.c`) that records every
//! take and drop of the GIL (CPython 3.11's `take_gil` / `drop_gil` in `Python/ceval_gil.h`),
//! their timed waits, forced-switch waits, and the blocking calls around them, with
//! CLOCK_MONOTONIC timestamps. Read its header comment for the records and what each means.
//!
//! - [`preload`]: the library, compiled by `build.rs` and embedded; how a process gets it;
//! - [`session`]: a run's tracing, from the private directory to the files;
//! - [`record`], [`reader`]: one record, one file;
//! - [`counts`]: the GIL statistics of a window, with the simulator's definitions;
//! - [`activity`]: each thread's activity in the simulator's terms, and its calls;
//! - [`names`]: which thread is which (the service's own registry of its threads);
//! - [`live_trace`]: all of it on the run's clock, in the simulator's result shapes;
//! - [`segments`]: each thread's GIL time between two of its calls (what a cost key is).

pub mod activity;
pub mod counts;
pub mod live_trace;
pub mod names;
pub mod preload;
pub mod reader;
pub mod record;
pub mod segments;
pub mod session;

pub use live_trace::LiveGilTrace;
pub use session::GilTraceSession;
