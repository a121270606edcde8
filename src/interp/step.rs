//! What a Python thread does next: one step.

use crate::kernel::SimDuration;

/// One step of a Python thread.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// Run Python code for this long: needs the interpreter's GIL (if it has one).
    Python(SimDuration),
    /// Run code whose code and data are a few cache lines for this long (a tight Python loop
    /// such as the prime core's trial division, or a short C path such as a woken queue
    /// getter's re-check): needs the GIL like [`Step::Python`], but runs at full speed on
    /// cold caches (see [`crate::machine::Machine::compute_compact`]).
    PythonLoop(SimDuration),
    /// A system call or native code that releases the GIL, for this long on the CPU.
    Release(SimDuration),
    /// C code that keeps the GIL (`json`, `pickle`, `re`), for this long on the CPU: needs
    /// the GIL like [`Step::Python`], but checks no eval breaker, so a drop request waits
    /// until the call returns (and is noticed by the Python that follows).
    NativeHeld(SimDuration),
    /// Release the GIL and sleep this long, off the CPU (`time.sleep`, or a blocking client
    /// library waiting on I/O); only the end of the sleep wakes the thread.
    Sleep(SimDuration),
    /// Release the GIL and sleep until [`Runtime::wake`](super::Runtime::wake).
    Block,
    /// Take a Python-level lock, spinning or parking while another thread holds it
    /// ([`super::py_lock`]).
    LockAcquire(super::PyLockId),
    /// Release a Python-level lock the thread holds.
    LockRelease(super::PyLockId),
}
