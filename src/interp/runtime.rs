//! The runtime: Python threads on the machine, stepping through [`Step`]s, with their
//! interpreters' GILs ([`super::gil`]); it turns steps into machine bursts and machine
//! notices into step completions. See [`crate::interp`].

use super::gil::Gil;
use super::interpreter::Interp;
use super::py_thread::{Phase, PyThread};
use super::trace::ActivityTrace;
use super::{
    GilKind, GilStats, InterpCosts, InterpEvent, InterpId, PyNotice, Step, ThreadActivity,
    TraceRecord,
};
use crate::kernel::{EventQueue, SimDuration, SimRng, SimTime};
use crate::machine::{CoreId, Machine, MachineEvent, MemoryDomain, Notice, ThreadId};
use std::collections::VecDeque;

/// Python threads on a [`Machine`], with their interpreters' GILs.
#[derive(Clone, Debug)]
pub struct Runtime {
    /// The machine underneath.
    pub machine: Machine,
    pub(super) costs: InterpCosts,
    pub(super) interps: Vec<Interp>,
    pub(super) threads: Vec<PyThread>,
    notices: VecDeque<PyNotice>,
    /// Drives the timer jitter.
    pub(super) rng: SimRng,
    pub(super) trace: ActivityTrace,
    /// Python-level locks ([`super::py_lock`]).
    pub(super) locks: Vec<super::py_lock::PyLock>,
}

impl Runtime {
    /// A runtime on `machine`; `rng` drives the timer jitter.
    pub fn new(machine: Machine, costs: InterpCosts, rng: SimRng) -> Self {
        Runtime {
            machine,
            costs,
            interps: Vec::new(),
            threads: Vec::new(),
            notices: VecDeque::new(),
            rng,
            trace: ActivityTrace::default(),
            locks: Vec::new(),
        }
    }

    /// Starts recording every thread's activity changes.
    pub fn enable_trace(&mut self) {
        self.trace.enable();
    }

    /// The recorded activity changes (empty unless tracing was enabled).
    pub fn trace(&self) -> &[TraceRecord] {
        self.trace.records()
    }

    /// A new interpreter with the given GIL kind and switch interval.
    pub fn new_interpreter(&mut self, kind: GilKind, switch_interval: SimDuration) -> InterpId {
        let gil = match kind {
            GilKind::Cpython => Some(Gil::new(switch_interval)),
            GilKind::FreeThreaded => None,
        };
        self.interps.push(Interp { gil });
        InterpId(self.interps.len() as u16 - 1)
    }

    /// A new Python thread of `interp`, allowed on `affinity` (empty: any core). It starts
    /// blocked: [`wake`](Self::wake) it to run.
    pub fn spawn(&mut self, interp: InterpId, affinity: &[CoreId]) -> ThreadId {
        let t = self.machine.spawn(affinity);
        debug_assert_eq!(t.0 as usize, self.threads.len());
        self.threads.push(PyThread::new(interp));
        t
    }

    /// The interpreter a thread belongs to.
    pub fn interp_of(&self, t: ThreadId) -> InterpId {
        self.threads[t.0 as usize].interp
    }

    fn gil(&self, i: InterpId) -> Option<&Gil> {
        self.interps[i.0 as usize].gil.as_ref()
    }

    /// The GIL holder of an interpreter (None if free or if it has no GIL).
    pub fn gil_holder(&self, i: InterpId) -> Option<ThreadId> {
        self.gil(i).and_then(|g| g.holder)
    }

    /// True if the thread holds its interpreter's GIL.
    pub fn holds_gil(&self, t: ThreadId) -> bool {
        self.threads[t.0 as usize].holds
    }

    /// True if the thread is running Python code on a core right now.
    pub fn running_python(&self, t: ThreadId) -> bool {
        self.threads[t.0 as usize].phase == Phase::Python && self.machine.is_bursting(t)
    }

    /// True if the interpreter has a GIL (false for a free-threaded one).
    pub fn has_gil(&self, i: InterpId) -> bool {
        self.gil(i).is_some()
    }

    /// The interpreter's switch interval, as its GIL uses it (None without a GIL).
    pub fn switch_interval(&self, i: InterpId) -> Option<SimDuration> {
        self.gil(i).map(|g| SimDuration(g.interval))
    }

    /// The threads waiting to take the interpreter's GIL, oldest current wait first (a thread
    /// that waits again after a time-out or a lost race goes to the back; empty without a
    /// GIL).
    pub fn gil_waiters(&self, i: InterpId) -> &[ThreadId] {
        self.gil(i).map(|g| g.waiters.as_slice()).unwrap_or(&[])
    }

    /// True if a drop request is pending on the interpreter's GIL.
    pub fn drop_requested(&self, i: InterpId) -> bool {
        self.gil(i).is_some_and(|g| g.drop_request)
    }

    /// True if the thread is waiting to take its GIL (`take_gil`'s timed wait, including the
    /// moments it is awake to re-check).
    pub fn in_gil_wait(&self, t: ThreadId) -> bool {
        self.threads[t.0 as usize].phase == Phase::GilWait
    }

    /// True if the thread dropped its GIL on request and waits for another thread to take it
    /// (FORCE_SWITCHING).
    pub fn in_switch_wait(&self, t: ThreadId) -> bool {
        self.threads[t.0 as usize].phase == Phase::SwitchWait
    }

    /// The GIL protocol's costs.
    pub fn costs(&self) -> &InterpCosts {
        &self.costs
    }

    /// The interpreter's GIL counters (zero for a free-threaded one).
    pub fn gil_stats(&self, i: InterpId) -> GilStats {
        self.gil(i).map(|g| g.stats).unwrap_or_default()
    }

    /// Total time a thread has held its GIL (up to `now`).
    pub fn gil_hold_time(&self, t: ThreadId, now: SimTime) -> SimDuration {
        let th = &self.threads[t.0 as usize];
        let open = if th.holds { now.0 - th.hold_since } else { 0 };
        SimDuration(th.hold_total + open)
    }

    /// Total time a thread has waited to take its GIL (`take_gil`'s timed waits, from the
    /// first wait of an acquisition to the acquisition; up to `now`).
    pub fn gil_wait_time(&self, t: ThreadId, now: SimTime) -> SimDuration {
        let th = &self.threads[t.0 as usize];
        let open = th.wait_since.map_or(0, |s| now.0 - s);
        SimDuration(th.wait_total + open)
    }

    /// Number of interpreters.
    pub fn interpreters(&self) -> usize {
        self.interps.len()
    }

    /// Number of threads.
    pub fn threads(&self) -> usize {
        self.threads.len()
    }

    /// True if the thread is blocked in a [`Step::Block`].
    pub fn is_blocked(&self, t: ThreadId) -> bool {
        self.threads[t.0 as usize].phase == Phase::Blocked
    }

    /// The oldest notice not yet taken (notices come out in the order they were made).
    #[inline]
    pub fn next_notice(&mut self) -> Option<PyNotice> {
        self.notices.pop_front()
    }

    /// Wakes a thread blocked in a [`Step::Block`] (no effect otherwise). `waker`: the
    /// thread doing it, if any (for placement).
    pub fn wake<E>(&mut self, t: ThreadId, waker: Option<ThreadId>, q: &mut EventQueue<E>)
    where
        E: From<MachineEvent> + From<InterpEvent>,
    {
        if self.threads[t.0 as usize].phase == Phase::Blocked {
            self.trace.record(q.now(), t, ThreadActivity::Runnable);
            self.machine.wake(t, waker, q);
        }
    }

    /// Moves a thread, between steps and holding no GIL, to another interpreter (a worker
    /// entering or leaving a sub-interpreter).
    pub fn set_interp(&mut self, t: ThreadId, interp: InterpId) {
        let th = &mut self.threads[t.0 as usize];
        assert!(!th.holds, "set_interp while holding a GIL");
        th.interp = interp;
    }

    /// Starts a thread's next step. The thread must be on a core between steps (right after
    /// a [`PyNotice::StepDone`]).
    pub fn start<E>(&mut self, t: ThreadId, step: Step, q: &mut EventQueue<E>)
    where
        E: From<MachineEvent> + From<InterpEvent>,
    {
        let now = q.now();
        match step {
            Step::LockAcquire(l) => self.acquire(t, l, q),
            Step::LockRelease(l) => self.release_lock(t, l, q),
            Step::Python(d) | Step::PythonLoop(d) | Step::NativeHeld(d) => {
                let th = &self.threads[t.0 as usize];
                let has_gil = self.interps[th.interp.0 as usize].gil.is_some();
                let may_run = !has_gil || th.holds;
                if may_run || self.try_take(t, q) {
                    self.run_with_gil(t, step, d, q);
                } else {
                    self.threads[t.0 as usize].pending = Some(step);
                    self.begin_wait(t, q);
                    self.machine.block(t, q);
                }
            }
            Step::Release(_) | Step::Block | Step::Sleep(_) => {
                if self.threads[t.0 as usize].holds && self.drop_gil(t, q) {
                    // Forced switch: do the step once another thread has taken the GIL.
                    self.threads[t.0 as usize].pending = Some(step);
                    self.machine.block(t, q);
                    return;
                }
                if let Step::Release(d) = step {
                    self.threads[t.0 as usize].phase = Phase::Native;
                    self.trace.record(now, t, ThreadActivity::Native);
                    self.machine.compute(t, d, q);
                } else if let Step::Sleep(d) = step {
                    self.threads[t.0 as usize].phase = Phase::Sleeping;
                    self.trace.record(now, t, ThreadActivity::Blocked);
                    self.machine.block(t, q);
                    q.schedule_in(d, InterpEvent::SleepOver { thread: t }.into());
                } else {
                    self.threads[t.0 as usize].phase = Phase::Blocked;
                    self.trace.record(now, t, ThreadActivity::Blocked);
                    self.machine.block(t, q);
                }
            }
        }
        self.pump(q);
    }

    /// Runs a step that needs the GIL (the thread may: it holds it, or there is none):
    /// Python, or C code that keeps the GIL.
    #[inline]
    pub(super) fn run_with_gil<E>(
        &mut self,
        t: ThreadId,
        step: Step,
        d: SimDuration,
        q: &mut EventQueue<E>,
    ) where
        E: From<MachineEvent> + From<InterpEvent>,
    {
        if let Step::NativeHeld(_) = step {
            self.threads[t.0 as usize].phase = Phase::NativeHeld;
            self.trace.record(q.now(), t, ThreadActivity::Python);
            self.machine.compute(t, d, q);
        } else {
            self.run_python(t, d, matches!(step, Step::PythonLoop(_)), q);
        }
    }

    /// Runs Python for `d`, a tight loop's if `in_loop` (the thread may: it holds the GIL,
    /// or there is none).
    #[inline]
    pub(super) fn run_python<E>(
        &mut self,
        t: ThreadId,
        d: SimDuration,
        in_loop: bool,
        q: &mut EventQueue<E>,
    ) where
        E: From<MachineEvent> + From<InterpEvent>,
    {
        let th = &mut self.threads[t.0 as usize];
        th.phase = Phase::Python;
        th.in_loop = in_loop;
        self.trace.record(q.now(), t, ThreadActivity::Python);
        if in_loop {
            self.machine.compute_compact(t, d, q);
        } else {
            // Python works in its interpreter's objects, whose hot lines follow the core that
            // last ran it.
            let memory = MemoryDomain(u32::from(th.interp.0));
            self.machine.compute_in(t, d, memory, q);
        }
        // A drop request already pending: noticed at the first check.
        self.notice_pending_request(t, q);
    }

    /// Handles one of the runtime's own events.
    pub fn handle<E>(&mut self, ev: InterpEvent, q: &mut EventQueue<E>)
    where
        E: From<MachineEvent> + From<InterpEvent>,
    {
        match ev {
            InterpEvent::GilTimeout { thread, .. } => self.on_gil_timeout(thread, q),
            InterpEvent::DropNotice { thread, token } => self.on_drop_notice(thread, token, q),
            InterpEvent::SleepOver { thread } => {
                if self.threads[thread.0 as usize].phase == Phase::Sleeping {
                    self.machine.wake(thread, None, q);
                }
            }
        }
        self.pump(q);
    }

    /// Handles a machine event and everything it sets off.
    pub fn handle_machine<E>(&mut self, ev: MachineEvent, q: &mut EventQueue<E>)
    where
        E: From<MachineEvent> + From<InterpEvent>,
    {
        self.machine.handle(ev, q);
        self.pump(q);
    }

    /// Queues a notice for the layer above.
    pub(super) fn notices_push(&mut self, n: PyNotice) {
        self.notices.push_back(n);
    }

    /// Processes the machine's notices, oldest first, until none is left.
    #[inline]
    fn pump<E>(&mut self, q: &mut EventQueue<E>)
    where
        E: From<MachineEvent> + From<InterpEvent>,
    {
        while let Some(n) = self.machine.next_notice() {
            self.on_machine_notice(n, q);
        }
    }

    fn on_machine_notice<E>(&mut self, n: Notice, q: &mut EventQueue<E>)
    where
        E: From<MachineEvent> + From<InterpEvent>,
    {
        let now = q.now();
        match n {
            Notice::Preempted(t) => self.trace.record(now, t, ThreadActivity::Runnable),
            Notice::Resumed(t) => {
                let act = match self.threads[t.0 as usize].phase {
                    Phase::Python | Phase::NativeHeld => ThreadActivity::Python,
                    _ => ThreadActivity::Native,
                };
                self.trace.record(now, t, act);
                self.notice_pending_request(t, q);
            }
            Notice::Idle(t) => {
                let phase = self.threads[t.0 as usize].phase;
                match phase {
                    Phase::Python
                    | Phase::Native
                    | Phase::NativeHeld
                    | Phase::Blocked
                    | Phase::Sleeping => {
                        self.threads[t.0 as usize].phase = Phase::Free;
                        self.notices.push_back(PyNotice::StepDone(t));
                    }
                    Phase::SwitchWait => {
                        self.threads[t.0 as usize].phase = Phase::Free;
                        let step = self.threads[t.0 as usize]
                            .pending
                            .take()
                            .expect("switch wait with a pending step");
                        self.start(t, step, q);
                    }
                    Phase::GilWait => self.recheck(t, q),
                    Phase::LockSpin | Phase::LockWoken => self.retry_lock(t, q),
                    Phase::LockParked => unreachable!("a parked thread runs only once unparked"),
                    Phase::Free => unreachable!("idle notice for a thread between steps"),
                }
            }
        }
    }
}
