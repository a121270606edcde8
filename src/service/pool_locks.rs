//! The thread pool's Python-level locks that a free-threaded build makes real.
//!
//! With a GIL, the pool's shared objects are guarded by the GIL itself and the model has no
//! lock of its own for them. On a free-threaded build (3.13t) two of them decide what the
//! light requests' workers wait for, as uprobes on `_PyMutex_LockTimed` and `sched_yield`
//! stacks of a live run show (`perf record -e syscalls:sys_enter_sched_yield --call-graph
//! dwarf` on `validation/interpreters/scenarios/05-thread-3.13t.toml`, 2026-12-03: of 694
//! yields in 1.5 s, 455 in `_PyCriticalSection_Resume` under `SimpleQueue.get`'s park, 238
//! in `lock_PyThread_acquire_lock`):
//!
//! - **The work queue's critical section** (`SimpleQueue.put` and `get` are
//!   `@critical_section` methods in `Modules/_queuemodule.c`). `put` hands the item to a
//!   parked `get` with `_PyParkingLot_Unpark` and its `FUTEX_WAKE`, still inside the
//!   critical section; the woken worker, re-attaching, resumes its own critical section on
//!   the queue (`_PySemaphore_Wait` -> `PyEval_AcquireThread` -> `_PyCriticalSection_Resume`).
//!   It finds the queue's mutex still held when the putter is slower to leave `put` than
//!   the worker is to run: in the trace, every such episode had the loop's `FUTEX_WAKE` last
//!   20-28 µs past the wake-up instead of 3-4 µs (an interrupt on its CPU, or a preemption):
//!   the machine's stalls ([`crate::machine::MachineCosts::stall_every`]).
//! - **The idle semaphore's lock** (`_idle_semaphore`'s `Condition` over a `threading.Lock`):
//!   the loop's `acquire(timeout=0)` in `submit` and each worker's `release()`.
//!
//! What makes a contended acquisition expensive is 3.13's spin ([`crate::interp::Step`]'s
//! `LockAcquire`): 40 `sched_yield` calls whatever the holder does; on a CPU shared with a
//! CPU-bound thread each yield can give that thread the CPU to its slice's end (~55 ms for
//! the 40 in the trace, the light request stuck all that time).

use super::spec::{ExecutorKind, ServiceSpec};
use crate::interp::{GilKind, PyLockId, PythonVersion};

/// The pool's locks in a free-threaded build.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct PoolLocks {
    /// The work queue's critical section (its object's `ob_mutex`).
    pub queue: PyLockId,
    /// The idle semaphore's `threading.Lock`.
    pub idle: PyLockId,
}

impl PoolLocks {
    /// Whether a service has these locks: a `ThreadPoolExecutor` (or 3.14's
    /// `InterpreterPoolExecutor`, one underneath) on CPython's free-threaded build (3.13t)
    /// without its GIL. Not a pool without a GIL on another version, as the
    /// live layer models the Rust server's: its threads take no `PyMutex`.
    pub fn modelled(spec: &ServiceSpec) -> bool {
        matches!(
            spec.executor,
            ExecutorKind::Thread | ExecutorKind::Interpreter
        ) && spec.gil == GilKind::FreeThreaded
            && spec.python == PythonVersion::V3_13t
    }
}
