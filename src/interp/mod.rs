//! The interpreter layer: Python threads on the machine, and the GIL between them.
//!
//! A Python thread executes **steps** ([`Step`]): run Python bytecode for a while (needs its
//! interpreter's GIL, if it has one), make a system call that releases the GIL (socket send,
//! pipe write, `epoll_wait` that returns at once), or block (a blocking recv, a selector wait, a
//! queue get: the GIL is released first). The [`Runtime`] turns steps into machine bursts and
//! implements CPython's "new GIL" protocol (3.2 to 3.13, `Python/ceval_gil.c`):
//!
//! - `take_gil` when the GIL is held: wait on a condition variable with a timeout of one
//!   switch interval (plus timer slack). On timeout, if the GIL is still held and no switch
//!   happened during the wait (`switch_number` unchanged), set the **drop request**; keep
//!   waiting, each wait with a fresh interval.
//! - The holder notices the drop request at its next eval-breaker check (modelled as
//!   `drop_notice` after the request, while it runs Python), drops the GIL, signals one
//!   waiter and, because a drop was requested (**FORCE_SWITCHING**), sleeps until another
//!   thread has actually taken the GIL before it may try again.
//! - A thread returning from a quick system call takes a free GIL at once: it **barges**
//!   ahead of a waiter that was signalled but has not yet been scheduled.
//! - A free-threaded interpreter has no GIL; each interpreter (process or sub-interpreter)
//!   has its own.
//!
//! The runtime knows nothing of requests or event loops: it reports [`PyNotice::StepDone`]
//! and the service layer decides the next step.
//!
//! # Files
//! `runtime.rs` (the [`Runtime`]: steps onto bursts, machine notices onto step completions),
//! `gil.rs` (the GIL's state and protocol), `py_thread.rs` (a Python thread's state),
//! `interpreter.rs`, `step.rs`, `costs.rs`, `events.rs`, `stats.rs` (GIL counters),
//! `trace.rs` (the activity trace), `py_lock.rs` (Python-level locks), `version.rs` (which CPython a scenario models).

mod costs;
mod events;
mod gil;
mod handoffs;
mod interpreter;
pub mod invariants;
mod py_lock;
mod py_thread;
mod runtime;
mod stats;
mod step;
mod trace;
mod version;

pub use costs::InterpCosts;
pub use events::{InterpEvent, PyNotice};
pub use gil::GilKind;
pub use handoffs::HandOffs;
pub use interpreter::InterpId;
pub use py_lock::PyLockId;
pub use runtime::Runtime;
pub use stats::GilStats;
pub use step::Step;
pub use trace::{ThreadActivity, TraceRecord};
pub use version::PythonVersion;
