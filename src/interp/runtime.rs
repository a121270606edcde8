//! Python threads, interpreters and the GIL protocol. See [`crate::interp`].

use crate::kernel::{EventQueue, SimDuration, SimRng, SimTime, TraceKey};
use crate::machine::{CoreId, Machine, MachineEvent, Notice, ThreadId};
use serde::{Deserialize, Serialize};

/// An interpreter (one per process, plus any sub-interpreters).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct InterpId(pub u16);

/// Whether an interpreter has a GIL.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum GilKind {
    /// CPython's global interpreter lock (one per interpreter).
    Cpython,
    /// The free-threaded build (3.13t): no GIL.
    FreeThreaded,
}

/// Costs of the GIL protocol.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct InterpCosts {
    /// Extra delay of a timed condition wait beyond its timeout (the kernel's timer slack,
    /// 50 µs by default for normal threads).
    pub timer_slack: SimDuration,
    /// Random extra delay, uniform in [0, this], added to each timed wait's expiry (real
    /// timers fire anywhere in their slack window: model.md measured 50 to 70 µs past the
    /// interval). Drawn from a seeded stream. Default 0: with 20 µs the convoy figures move
    /// by under 1%, and two CPU-bound threads sharing a core still starve the event loop
    /// (see the module notes), so the coincidence of timers is not what causes that.
    pub timer_jitter: SimDuration,
    /// From the drop request being set to the holder releasing the GIL, while the holder
    /// runs Python (eval-breaker check and `drop_gil`).
    pub drop_notice: SimDuration,
}

impl Default for InterpCosts {
    fn default() -> Self {
        InterpCosts {
            timer_slack: SimDuration::from_micros(50),
            timer_jitter: SimDuration::ZERO,
            drop_notice: SimDuration::from_micros(5),
        }
    }
}

/// One step of a Python thread.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// Run Python code for this long: needs the interpreter's GIL (if it has one).
    Python(SimDuration),
    /// A system call or native code that releases the GIL, for this long on the CPU.
    Release(SimDuration),
    /// Release the GIL and sleep until [`Runtime::wake`].
    Block,
}

/// The runtime's own events.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InterpEvent {
    /// A thread's GIL wait timer fires (the wait may have ended or been restarted since:
    /// the thread's current deadline decides).
    GilTimeout {
        /// The waiting thread.
        thread: ThreadId,
        /// Unused (zero); kept so every event names its subject the same way.
        token: u64,
    },
    /// The holder reaches its eval-breaker check after a drop request.
    DropNotice {
        /// The holder.
        thread: ThreadId,
        /// Matches the thread's notice token, or the event is stale.
        token: u64,
    },
}

impl TraceKey for InterpEvent {
    fn trace_key(&self) -> u64 {
        match *self {
            InterpEvent::GilTimeout { thread, token } => 16 | (thread.0 as u64) << 8 | token << 32,
            InterpEvent::DropNotice { thread, token } => 17 | (thread.0 as u64) << 8 | token << 32,
        }
    }
}

/// What the runtime tells the service layer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PyNotice {
    /// The thread finished its step (for `Block`: it was woken and is running again) and is
    /// on a core: the service must start its next step before handling anything else.
    StepDone(ThreadId),
}

/// What a thread is doing, for timelines and traces.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ThreadActivity {
    /// Running Python code (holding the GIL where there is one).
    Python,
    /// Running a system call or native code without the GIL.
    Native,
    /// Waiting to take the GIL (including the forced-switch wait).
    GilWait,
    /// Runnable but not on a core (preempted, or woken and not yet scheduled).
    Runnable,
    /// Blocked (socket, selector, queue).
    Blocked,
}

/// A change of a thread's activity at a time (recorded only when tracing is on).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct TraceRecord {
    /// When.
    pub time: SimTime,
    /// Which thread.
    pub thread: ThreadId,
    /// What it does from then on.
    pub activity: ThreadActivity,
}

/// Counters of one interpreter's GIL.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct GilStats {
    /// Times the GIL passed to a different thread (`switch_number`).
    pub handoffs: u64,
    /// Times a waiter set the drop request.
    pub drop_requests: u64,
    /// Times a thread took the GIL (any thread, including re-takes by the same thread).
    pub acquisitions: u64,
}

#[derive(Clone, Debug)]
struct Gil {
    interval: u64,
    holder: Option<ThreadId>,
    last_holder: Option<ThreadId>,
    switch_number: u64,
    drop_request: bool,
    waiters: Vec<ThreadId>,
    switch_waiters: Vec<ThreadId>,
    stats: GilStats,
}

#[derive(Clone, Debug)]
struct Interp {
    gil: Option<Gil>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// Between steps (only while the service decides, at one instant).
    Free,
    Python,
    Native,
    Blocked,
    GilWait,
    SwitchWait,
}

#[derive(Clone, Debug)]
struct PyThread {
    interp: InterpId,
    holds: bool,
    phase: Phase,
    pending: Option<Step>,
    wait_token: u64,
    saved_switch: u64,
    timed_out: bool,
    signalled: bool,
    requested: bool,
    notice_token: u64,
    /// When the current timed GIL wait expires (None: not in a timed wait).
    deadline: Option<u64>,
    /// A `GilTimeout` event for this thread is in the queue (at most one ever is: it
    /// re-arms itself for a later deadline instead of leaving stale events behind).
    timer_pending: bool,
    hold_since: u64,
    hold_total: u64,
}

/// Python threads on a [`Machine`], with their interpreters' GILs.
#[derive(Clone, Debug)]
pub struct Runtime {
    /// The machine underneath.
    pub machine: Machine,
    costs: InterpCosts,
    interps: Vec<Interp>,
    threads: Vec<PyThread>,
    notices: std::collections::VecDeque<PyNotice>,
    rng: SimRng,
    trace: Option<Vec<TraceRecord>>,
}

impl Runtime {
    /// A runtime on `machine`; `rng` drives the timer jitter.
    pub fn new(machine: Machine, costs: InterpCosts, rng: SimRng) -> Self {
        Runtime {
            machine,
            costs,
            interps: Vec::new(),
            threads: Vec::new(),
            notices: std::collections::VecDeque::new(),
            rng,
            trace: None,
        }
    }

    /// Starts recording every thread's activity changes.
    pub fn enable_trace(&mut self) {
        self.trace = Some(Vec::new());
    }

    /// The recorded activity changes (empty unless tracing was enabled).
    pub fn trace(&self) -> &[TraceRecord] {
        self.trace.as_deref().unwrap_or(&[])
    }

    fn record(&mut self, now: SimTime, t: ThreadId, a: ThreadActivity) {
        if let Some(tr) = self.trace.as_mut() {
            tr.push(TraceRecord {
                time: now,
                thread: t,
                activity: a,
            });
        }
    }

    /// A new interpreter with the given GIL kind and switch interval.
    pub fn new_interpreter(&mut self, kind: GilKind, switch_interval: SimDuration) -> InterpId {
        let gil = match kind {
            GilKind::Cpython => Some(Gil {
                interval: switch_interval.0.max(1_000),
                holder: None,
                last_holder: None,
                switch_number: 0,
                drop_request: false,
                waiters: Vec::new(),
                switch_waiters: Vec::new(),
                stats: GilStats::default(),
            }),
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
        self.threads.push(PyThread {
            interp,
            holds: false,
            phase: Phase::Blocked,
            pending: None,
            wait_token: 0,
            saved_switch: 0,
            timed_out: false,
            signalled: false,
            requested: false,
            notice_token: 0,
            deadline: None,
            timer_pending: false,
            hold_since: 0,
            hold_total: 0,
        });
        t
    }

    /// The interpreter a thread belongs to.
    pub fn interp_of(&self, t: ThreadId) -> InterpId {
        self.threads[t.0 as usize].interp
    }

    /// The GIL holder of an interpreter (None if free or if it has no GIL).
    pub fn gil_holder(&self, i: InterpId) -> Option<ThreadId> {
        self.interps[i.0 as usize]
            .gil
            .as_ref()
            .and_then(|g| g.holder)
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
        self.interps[i.0 as usize].gil.is_some()
    }

    /// The interpreter's switch interval, as its GIL uses it (None without a GIL).
    pub fn switch_interval(&self, i: InterpId) -> Option<SimDuration> {
        self.interps[i.0 as usize]
            .gil
            .as_ref()
            .map(|g| SimDuration(g.interval))
    }

    /// The threads waiting to take the interpreter's GIL, longest waiter first (empty without
    /// a GIL).
    pub fn gil_waiters(&self, i: InterpId) -> &[ThreadId] {
        self.interps[i.0 as usize]
            .gil
            .as_ref()
            .map(|g| g.waiters.as_slice())
            .unwrap_or(&[])
    }

    /// True if a drop request is pending on the interpreter's GIL.
    pub fn drop_requested(&self, i: InterpId) -> bool {
        self.interps[i.0 as usize]
            .gil
            .as_ref()
            .is_some_and(|g| g.drop_request)
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
        self.interps[i.0 as usize]
            .gil
            .as_ref()
            .map(|g| g.stats)
            .unwrap_or_default()
    }

    /// Total time a thread has held its GIL (up to `now`).
    pub fn gil_hold_time(&self, t: ThreadId, now: SimTime) -> SimDuration {
        let th = &self.threads[t.0 as usize];
        let open = if th.holds { now.0 - th.hold_since } else { 0 };
        SimDuration(th.hold_total + open)
    }

    /// Number of interpreters.
    pub fn interpreters(&self) -> usize {
        self.interps.len()
    }

    /// Number of threads.
    pub fn threads(&self) -> usize {
        self.threads.len()
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
            self.record(q.now(), t, ThreadActivity::Runnable);
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

    /// True if the thread is blocked in a [`Step::Block`].
    pub fn is_blocked(&self, t: ThreadId) -> bool {
        self.threads[t.0 as usize].phase == Phase::Blocked
    }

    /// Starts a thread's next step. The thread must be on a core between steps (right after
    /// a [`PyNotice::StepDone`]).
    pub fn start<E>(&mut self, t: ThreadId, step: Step, q: &mut EventQueue<E>)
    where
        E: From<MachineEvent> + From<InterpEvent>,
    {
        let now = q.now();
        match step {
            Step::Python(d) => {
                let th = &self.threads[t.0 as usize];
                let has_gil = self.interps[th.interp.0 as usize].gil.is_some();
                let may_run = !has_gil || th.holds;
                if may_run || self.try_take(t, q) {
                    self.run_python(t, d, q);
                } else {
                    self.threads[t.0 as usize].pending = Some(step);
                    self.begin_wait(t, q);
                    self.machine.block(t, q);
                }
            }
            Step::Release(d) => {
                if self.threads[t.0 as usize].holds && self.drop_gil(t, q) {
                    // Forced switch: do the call once another thread has taken the GIL.
                    self.threads[t.0 as usize].pending = Some(step);
                    self.machine.block(t, q);
                    return;
                }
                self.threads[t.0 as usize].phase = Phase::Native;
                self.record(now, t, ThreadActivity::Native);
                self.machine.compute(t, d, q);
            }
            Step::Block => {
                if self.threads[t.0 as usize].holds && self.drop_gil(t, q) {
                    self.threads[t.0 as usize].pending = Some(step);
                    self.machine.block(t, q);
                    return;
                }
                self.threads[t.0 as usize].phase = Phase::Blocked;
                self.record(now, t, ThreadActivity::Blocked);
                self.machine.block(t, q);
            }
        }
        self.pump(q);
    }

    fn run_python<E>(&mut self, t: ThreadId, d: SimDuration, q: &mut EventQueue<E>)
    where
        E: From<MachineEvent> + From<InterpEvent>,
    {
        self.threads[t.0 as usize].phase = Phase::Python;
        self.record(q.now(), t, ThreadActivity::Python);
        self.machine.compute(t, d, q);
        // A drop request already pending: noticed at the first check.
        let th = &self.threads[t.0 as usize];
        if th.holds {
            let gil = self.interps[th.interp.0 as usize].gil.as_ref().unwrap();
            if gil.drop_request {
                self.schedule_notice(t, q);
            }
        }
    }

    /// Takes the GIL if it is free. True on success.
    fn try_take<E>(&mut self, t: ThreadId, q: &mut EventQueue<E>) -> bool
    where
        E: From<MachineEvent> + From<InterpEvent>,
    {
        let i = self.threads[t.0 as usize].interp;
        let gil = self.interps[i.0 as usize].gil.as_mut().expect("has gil");
        if gil.holder.is_some() {
            return false;
        }
        gil.holder = Some(t);
        gil.stats.acquisitions += 1;
        if gil.last_holder != Some(t) {
            gil.last_holder = Some(t);
            gil.switch_number += 1;
            gil.stats.handoffs += 1;
        }
        gil.waiters.retain(|&w| w != t);
        let th = &mut self.threads[t.0 as usize];
        if th.requested {
            gil.drop_request = false;
        }
        th.requested = false;
        th.holds = true;
        th.hold_since = q.now().0;
        th.wait_token += 1;
        th.deadline = None;
        th.signalled = false;
        th.timed_out = false;
        // COND_SIGNAL(switch_cond): a forced dropper waiting for a switch may go on.
        if gil.switch_waiters.iter().any(|&w| w != t) {
            let mut sw = std::mem::take(&mut gil.switch_waiters);
            sw.retain(|&w| {
                if w == t {
                    return true;
                }
                self.machine.wake(w, Some(t), q);
                false
            });
            if let Some(g) = self.interps[i.0 as usize].gil.as_mut() {
                g.switch_waiters = sw;
            }
        }
        true
    }

    /// Releases the GIL; signals one waiter. Returns true if the thread must now wait for a
    /// forced switch (a drop was requested): the caller blocks it.
    fn drop_gil<E>(&mut self, t: ThreadId, q: &mut EventQueue<E>) -> bool
    where
        E: From<MachineEvent> + From<InterpEvent>,
    {
        let now = q.now();
        let i = self.threads[t.0 as usize].interp;
        let th = &mut self.threads[t.0 as usize];
        th.holds = false;
        th.hold_total += now.0 - th.hold_since;
        th.notice_token += 1;
        let gil = self.interps[i.0 as usize].gil.as_mut().expect("has gil");
        gil.holder = None;
        // COND_SIGNAL(cond): the longest waiter not already on its way.
        let signalled = gil
            .waiters
            .iter()
            .copied()
            .find(|&w| !self.threads[w.0 as usize].signalled);
        let forced = gil.drop_request && gil.last_holder == Some(t);
        if forced {
            gil.drop_request = false;
            gil.switch_waiters.push(t);
        }
        if let Some(w) = signalled {
            let wt = &mut self.threads[w.0 as usize];
            wt.signalled = true;
            wt.wait_token += 1;
            wt.deadline = None; // its timed wait ends by the signal
            self.machine.wake(w, Some(t), q);
        }
        if forced {
            self.threads[t.0 as usize].phase = Phase::SwitchWait;
            self.record(now, t, ThreadActivity::GilWait);
        }
        forced
    }

    /// Starts (or restarts) a timed wait for the GIL; the caller blocks the thread.
    fn begin_wait<E>(&mut self, t: ThreadId, q: &mut EventQueue<E>)
    where
        E: From<MachineEvent> + From<InterpEvent>,
    {
        let i = self.threads[t.0 as usize].interp;
        let gil = self.interps[i.0 as usize].gil.as_mut().expect("has gil");
        // COND_SIGNAL wakes the longest-waiting thread, counted from its first wait for
        // this acquisition (re-waits keep their place). glibc's condition variable orders
        // by current wait within signal groups; with the wake-up races of real threads the
        // measured convoy (about 4.3 interval waits per request, model.md section 6) sits
        // between the two orders, and this one is the closer (4.7 against 2.4).
        if !gil.waiters.contains(&t) {
            gil.waiters.push(t);
        }
        let interval = gil.interval;
        let switch_number = gil.switch_number;
        let th = &mut self.threads[t.0 as usize];
        th.phase = Phase::GilWait;
        th.wait_token += 1;
        th.saved_switch = switch_number;
        th.timed_out = false;
        th.signalled = false;
        let j = self.costs.timer_jitter.as_nanos();
        let jitter = if j > 0 { self.rng.below(j + 1) } else { 0 };
        let deadline = q.now() + SimDuration(interval + jitter) + self.costs.timer_slack;
        th.deadline = Some(deadline.0);
        if !th.timer_pending {
            th.timer_pending = true;
            q.schedule_at(
                deadline,
                InterpEvent::GilTimeout {
                    thread: t,
                    token: 0,
                }
                .into(),
            );
        }
        self.record(q.now(), t, ThreadActivity::GilWait);
    }

    fn schedule_notice<E>(&mut self, t: ThreadId, q: &mut EventQueue<E>)
    where
        E: From<MachineEvent> + From<InterpEvent>,
    {
        let th = &mut self.threads[t.0 as usize];
        th.notice_token += 1;
        q.schedule_in(
            self.costs.drop_notice,
            InterpEvent::DropNotice {
                thread: t,
                token: th.notice_token,
            }
            .into(),
        );
    }

    /// Handles one of the runtime's own events.
    pub fn handle<E>(&mut self, ev: InterpEvent, q: &mut EventQueue<E>)
    where
        E: From<MachineEvent> + From<InterpEvent>,
    {
        match ev {
            InterpEvent::GilTimeout { thread, .. } => {
                let now = q.now().0;
                let th = &mut self.threads[thread.0 as usize];
                th.timer_pending = false;
                match th.deadline {
                    Some(d) if d > now => {
                        // The wait was restarted since this timer was set: re-arm.
                        th.timer_pending = true;
                        q.schedule_at(
                            SimTime(d),
                            InterpEvent::GilTimeout { thread, token: 0 }.into(),
                        );
                    }
                    Some(_) if th.phase == Phase::GilWait => {
                        th.deadline = None;
                        th.timed_out = true;
                        th.wait_token += 1;
                        self.machine.wake(thread, None, q);
                    }
                    _ => th.deadline = None,
                }
            }
            InterpEvent::DropNotice { thread, token } => {
                let th = &self.threads[thread.0 as usize];
                if th.notice_token != token || !th.holds || th.phase != Phase::Python {
                    return;
                }
                let gil = self.interps[th.interp.0 as usize].gil.as_ref().unwrap();
                if !gil.drop_request || !self.machine.is_bursting(thread) {
                    return;
                }
                let left = self.machine.cut(thread, q);
                self.threads[thread.0 as usize].pending = Some(Step::Python(left));
                if self.drop_gil(thread, q) {
                    self.machine.block(thread, q);
                } else {
                    // Not forced (cannot happen with a pending request, kept for safety).
                    self.threads[thread.0 as usize].phase = Phase::Free;
                    let step = self.threads[thread.0 as usize].pending.take().unwrap();
                    self.start(thread, step, q);
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
            Notice::Preempted(t) => self.record(now, t, ThreadActivity::Runnable),
            Notice::Resumed(t) => {
                let act = match self.threads[t.0 as usize].phase {
                    Phase::Python => ThreadActivity::Python,
                    _ => ThreadActivity::Native,
                };
                self.record(now, t, act);
                let th = &self.threads[t.0 as usize];
                if th.holds && th.phase == Phase::Python {
                    let gil = self.interps[th.interp.0 as usize].gil.as_ref().unwrap();
                    if gil.drop_request {
                        self.schedule_notice(t, q);
                    }
                }
            }
            Notice::Idle(t) => {
                let phase = self.threads[t.0 as usize].phase;
                match phase {
                    Phase::Python | Phase::Native | Phase::Blocked => {
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
                    Phase::Free => unreachable!("idle notice for a thread between steps"),
                }
            }
        }
    }

    /// A GIL waiter is running again (signalled or timed out): take the GIL or wait again.
    fn recheck<E>(&mut self, t: ThreadId, q: &mut EventQueue<E>)
    where
        E: From<MachineEvent> + From<InterpEvent>,
    {
        if self.try_take(t, q) {
            let Some(Step::Python(d)) = self.threads[t.0 as usize].pending.take() else {
                unreachable!("GIL waiter without pending Python")
            };
            self.run_python(t, d, q);
            return;
        }
        let i = self.threads[t.0 as usize].interp;
        let th = &self.threads[t.0 as usize];
        let gil = self.interps[i.0 as usize].gil.as_mut().unwrap();
        if th.timed_out && gil.switch_number == th.saved_switch && !gil.drop_request {
            gil.drop_request = true;
            gil.stats.drop_requests += 1;
            let holder = gil.holder.expect("locked");
            self.threads[t.0 as usize].requested = true;
            if self.running_python(holder) {
                self.schedule_notice(holder, q);
            }
        } else if th.timed_out && gil.switch_number == th.saved_switch {
            self.threads[t.0 as usize].requested = true;
        }
        self.begin_wait(t, q);
        self.machine.block(t, q);
    }
}
