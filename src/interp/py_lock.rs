//! Python-level locks (`threading.Lock`, an object's critical section: CPython 3.13's
//! `PyMutex` underneath) as a free-threaded build takes them (`Python/lock.c`,
//! `_PyMutex_LockTimed`, 3.13.5).
//!
//! - **Free**: the acquirer takes it at once (the fast path's compare-and-swap).
//! - **Held, no parked waiter, no GIL** (`Py_GIL_DISABLED`): the acquirer spins
//!   [`InterpCosts::lock_spins`] times (`MAX_SPIN_COUNT`, 40), each a `sched_yield()`
//!   ([`Machine::yield_then_compute`]: with another thread queued on its core, that thread
//!   may run first, to its slice's end). 3.13's spin never reloads the lock's state (the
//!   `continue` after `_Py_yield()` keeps the value read before the spin; CPython fixed it
//!   in 2026, gh-135871), so it spins all 40 times however soon the holder lets go, and
//!   looks only then: free, it takes it; held, it parks.
//! - **Held, with a GIL** or **with a parked waiter**: it parks at once (`MAX_SPIN_COUNT`
//!   is 0 in GIL builds; a set `_Py_HAS_PARKED` bit skips the spin).
//! - **Parked**: off the CPU, in the lock's FIFO, until a release unparks the first waiter,
//!   which looks again (and parks again if another thread took the lock in between; it
//!   does not spin again). The 1 ms handoff of `TIME_TO_BE_FAIR_NS` is not modelled.
//! - **Release**: the holder frees the lock and unparks the first parked waiter.
//!
//! A lock step takes no CPU time of its own beyond the spins' `sched_yield` calls: the
//! Python around it (the service's steps) carries the cost of the code holding it.
//!
//! [`Machine::yield_then_compute`]: crate::machine::Machine::yield_then_compute

use super::py_thread::Phase;
use super::{InterpEvent, PyNotice, Runtime, ThreadActivity};
use crate::kernel::{EventQueue, SimDuration};
use crate::machine::{MachineEvent, ThreadId};

/// A Python-level lock of the runtime.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PyLockId(pub u16);

/// One lock's state.
#[derive(Clone, Debug, Default)]
pub(super) struct PyLock {
    /// The thread holding it.
    pub holder: Option<ThreadId>,
    /// Parked waiters, oldest first.
    pub parked: std::collections::VecDeque<ThreadId>,
    /// Acquisitions that found it held.
    pub contended: u64,
}

impl Runtime {
    /// A new Python-level lock, free.
    pub fn new_lock(&mut self) -> PyLockId {
        self.locks.push(PyLock::default());
        PyLockId((self.locks.len() - 1) as u16)
    }

    /// The thread holding `l`, if any.
    pub fn lock_holder(&self, l: PyLockId) -> Option<ThreadId> {
        self.locks[l.0 as usize].holder
    }

    /// How many acquisitions of `l` found it held.
    pub fn lock_contended(&self, l: PyLockId) -> u64 {
        self.locks[l.0 as usize].contended
    }

    /// Thread `t` (on its core, between steps) acquires `l`, or, called again by
    /// [`Runtime::retry_lock`], goes on with the acquisition it started.
    pub(super) fn acquire<E>(&mut self, t: ThreadId, l: PyLockId, q: &mut EventQueue<E>)
    where
        E: From<MachineEvent> + From<InterpEvent>,
    {
        let spins = self.costs.lock_spins;
        let lock = &mut self.locks[l.0 as usize];
        let th = &mut self.threads[t.0 as usize];
        let first_look = th.wants.is_none();
        // A spin in progress does not look at the lock (the stale value, above).
        let spinning = th.spins > 0 && th.spins < spins;
        if lock.holder.is_none() && !spinning {
            lock.holder = Some(t);
            th.spins = 0;
            th.wants = None;
            th.phase = Phase::Free;
            self.notices_push(PyNotice::StepDone(t));
            return;
        }
        if first_look {
            lock.contended += 1;
        }
        th.wants = Some(l);
        let no_gil = self.interps[th.interp.0 as usize].gil.is_none();
        let may_spin = spinning || (first_look && lock.parked.is_empty());
        if no_gil && may_spin && spins > 0 {
            th.spins += 1;
            th.phase = Phase::LockSpin;
            self.trace.record(q.now(), t, ThreadActivity::Native);
            self.machine.yield_then_compute(t, self.costs.lock_spin, q);
        } else {
            // Parked, it does not spin again in this acquisition.
            th.spins = spins;
            th.phase = Phase::LockParked;
            lock.parked.push_back(t);
            self.trace.record(q.now(), t, ThreadActivity::Blocked);
            self.machine.block(t, q);
        }
    }

    /// Thread `t` releases `l` (it must hold it) and unparks the first parked waiter.
    pub(super) fn release_lock<E>(&mut self, t: ThreadId, l: PyLockId, q: &mut EventQueue<E>)
    where
        E: From<MachineEvent> + From<InterpEvent>,
    {
        let lock = &mut self.locks[l.0 as usize];
        assert_eq!(
            lock.holder,
            Some(t),
            "release of a lock {t:?} does not hold"
        );
        lock.holder = None;
        if let Some(w) = lock.parked.pop_front() {
            self.threads[w.0 as usize].phase = Phase::LockWoken;
            self.trace.record(q.now(), w, ThreadActivity::Runnable);
            self.machine.wake(w, Some(t), q);
        }
        self.threads[t.0 as usize].phase = Phase::Free;
        self.notices_push(PyNotice::StepDone(t));
    }

    /// A spinning or unparked thread is back on its core: it looks at its lock again.
    pub(super) fn retry_lock<E>(&mut self, t: ThreadId, q: &mut EventQueue<E>)
    where
        E: From<MachineEvent> + From<InterpEvent>,
    {
        let l = self.threads[t.0 as usize]
            .wants
            .expect("a lock waiter wants a lock");
        self.acquire(t, l, q);
    }
}

/// The spin's `sched_yield` and look: 1.3 to 1.5 µs apart in a sched trace of a spinning
/// 3.13t worker (`perf record -e syscalls:sys_enter_sched_yield`, 2026-12-03, AMD EPYC).
pub const LOCK_SPIN: SimDuration = SimDuration::from_nanos(1_400);
