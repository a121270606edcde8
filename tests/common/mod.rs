//! Shared helpers of `tests/machine.rs` and `tests/interp.rs`: scripted threads driven
//! through the kernel's [`Simulation`], with no service layer.
//!
//! - [`ScriptedMachine`] is a [`Model`] over a bare [`Machine`]: each thread follows a script
//!   of [`MachineAct`]s, taken one by one each time the machine reports it idle; every notice
//!   is logged with its time and the thread's core.
//! - [`ScriptedRuntime`] is a [`Model`] over a [`Runtime`]: each Python thread follows a
//!   script of [`PyAct`]s, taken one by one at each `StepDone`; the activity trace is on.
//! - Both wake threads "from outside" (no waker) at scheduled times: [`wake_at`].
//! - Kernel-independent helpers: [`us`], [`ms`], [`at`], [`just_before`] (durations and
//!   instants) and
//!   [`exact_machine_costs`] (the default costs with the random wake-up jitter off, so that
//!   every time is a closed form of the costs).
//!
//! A thread whose script is used up blocks.

// Each test binary uses its own half of these helpers.
#![allow(dead_code)]

use execsim::interp::{GilKind, InterpCosts, InterpEvent, InterpId, PyNotice, Runtime, Step};
use execsim::kernel::{EventQueue, Model, RngStreams, SimDuration, SimTime, Simulation, TraceKey};
use execsim::machine::{
    CoreId, Machine, MachineCosts, MachineEvent, Notice, SchedulerKind, ThreadId,
};
use std::collections::VecDeque;

/// `n` microseconds.
pub fn us(n: u64) -> SimDuration {
    SimDuration::from_micros(n)
}

/// `n` milliseconds.
pub fn ms(n: u64) -> SimDuration {
    SimDuration::from_millis(n)
}

/// The instant `d` after time zero.
pub fn at(d: SimDuration) -> SimTime {
    SimTime::ZERO + d
}

/// The last nanosecond before `t`.
pub fn just_before(t: SimTime) -> SimTime {
    SimTime(t.0 - 1)
}

/// The default machine costs with the random wake-up jitter off and no halted vCPUs (a core
/// never idles past the host's halt-poll window), so that every time is a closed form of
/// `wake_idle`, `wake_busy` and the step costs, and with upstream Linux's wake-up placement
/// (`wake_on_prev` off: an idle core first), the one these closed forms were written for.
/// [`halting_machine_costs`] turns the halted vCPU back on.
pub fn exact_machine_costs() -> MachineCosts {
    MachineCosts {
        wake_on_prev: false,
        idle_pull: 1.0,
        wake_jitter: SimDuration::ZERO,
        wake_halted_jitter: SimDuration::ZERO,
        halt_poll: SimDuration::from_secs(3_600),
        ..MachineCosts::default()
    }
}

/// [`exact_machine_costs`] with the host's halt-poll window of the defaults: a core idle for
/// longer is a halted vCPU (costly wake-ups, cold caches).
pub fn halting_machine_costs() -> MachineCosts {
    MachineCosts {
        halt_poll: MachineCosts::default().halt_poll,
        ..exact_machine_costs()
    }
}

/// The events of both scripted models.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ev {
    /// The machine's.
    Machine(MachineEvent),
    /// The runtime's.
    Interp(InterpEvent),
    /// Wake a thread, with no waker (a timer, a packet).
    Wake(ThreadId),
}

impl From<MachineEvent> for Ev {
    fn from(e: MachineEvent) -> Self {
        Ev::Machine(e)
    }
}

impl From<InterpEvent> for Ev {
    fn from(e: InterpEvent) -> Self {
        Ev::Interp(e)
    }
}

impl TraceKey for Ev {
    fn trace_key(&self) -> u64 {
        match self {
            Ev::Machine(e) => e.trace_key(),
            Ev::Interp(e) => e.trace_key(),
            Ev::Wake(t) => 64 | (t.0 as u64) << 8,
        }
    }
}

/// Schedules waking thread `t` (no waker) at `time`.
pub fn wake_at<M: Model<Event = Ev>>(sim: &mut Simulation<M>, t: ThreadId, time: SimTime) {
    sim.queue.schedule_at(time, Ev::Wake(t));
}

/// Runs `sim` through every event at or before `time`.
pub fn run_to<M: Model<Event = Ev>>(sim: &mut Simulation<M>, time: SimTime) {
    sim.run_until(time);
}

/// What a scripted machine thread does next when it has nothing to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MachineAct {
    /// A burst of this much work.
    Compute(SimDuration),
    /// Sleep until woken.
    Block,
    /// Wake this thread (the scripted thread is the waker), then go on with the script.
    Wake(ThreadId),
}

/// A notice of the machine, when it came and where the thread was then.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Seen {
    /// When.
    pub time: SimTime,
    /// What.
    pub notice: Notice,
    /// The thread's core at that moment (None once it left it).
    pub core: Option<CoreId>,
}

/// A bare machine whose threads follow scripts.
pub struct ScriptedMachine {
    /// The machine.
    pub machine: Machine,
    scripts: Vec<VecDeque<MachineAct>>,
    /// Every notice, in order.
    pub log: Vec<Seen>,
}

impl ScriptedMachine {
    /// A simulation of a machine of `cores` cores with `costs` under CFS, with no threads
    /// yet.
    pub fn sim(cores: usize, costs: MachineCosts) -> Simulation<ScriptedMachine> {
        Self::sim_with(cores, costs, SchedulerKind::Cfs)
    }

    /// A simulation of a machine of `cores` cores with `costs` under the policy `kind`, with
    /// no threads yet.
    pub fn sim_with(
        cores: usize,
        costs: MachineCosts,
        kind: SchedulerKind,
    ) -> Simulation<ScriptedMachine> {
        let rng = RngStreams::new(1).stream("machine/wake-jitter");
        Simulation::new(ScriptedMachine {
            machine: Machine::with_scheduler(cores, costs, kind, rng),
            scripts: Vec::new(),
            log: Vec::new(),
        })
    }

    /// A blocked thread allowed on `affinity` (empty: all cores) that will follow `script`.
    pub fn thread(&mut self, affinity: &[CoreId], script: &[MachineAct]) -> ThreadId {
        let t = self.machine.spawn(affinity);
        debug_assert_eq!(t.0 as usize, self.scripts.len());
        self.scripts.push(script.iter().copied().collect());
        t
    }

    /// The notices about thread `t`, in order.
    pub fn seen(&self, t: ThreadId) -> Vec<Seen> {
        self.log
            .iter()
            .filter(|s| notice_thread(s.notice) == t)
            .copied()
            .collect()
    }

    fn next_act(&mut self, t: ThreadId, q: &mut EventQueue<Ev>) {
        loop {
            match self.scripts[t.0 as usize].pop_front() {
                Some(MachineAct::Compute(d)) => return self.machine.compute(t, d, q),
                Some(MachineAct::Wake(u)) => self.machine.wake(u, Some(t), q),
                Some(MachineAct::Block) | None => return self.machine.block(t, q),
            }
        }
    }

    fn drain(&mut self, q: &mut EventQueue<Ev>) {
        while let Some(n) = self.machine.next_notice() {
            let t = notice_thread(n);
            self.log.push(Seen {
                time: q.now(),
                notice: n,
                core: self.machine.core_of(t),
            });
            if let Notice::Idle(t) = n {
                self.next_act(t, q);
            }
        }
    }
}

/// The thread a notice is about.
pub fn notice_thread(n: Notice) -> ThreadId {
    match n {
        Notice::Idle(t) | Notice::Resumed(t) | Notice::Preempted(t) => t,
    }
}

impl Model for ScriptedMachine {
    type Event = Ev;

    fn handle(&mut self, ev: Ev, q: &mut EventQueue<Ev>) {
        match ev {
            Ev::Machine(e) => self.machine.handle(e, q),
            Ev::Wake(t) => self.machine.wake(t, None, q),
            Ev::Interp(_) => unreachable!("no runtime on a bare machine"),
        }
        self.drain(q);
    }
}

/// What a scripted Python thread does next, after a step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PyAct {
    /// Start this step.
    Step(Step),
    /// Wake this thread (the scripted thread is the waker), then go on with the script.
    Wake(ThreadId),
}

/// Python threads on a machine, following scripts.
pub struct ScriptedRuntime {
    /// The runtime (and the machine under it).
    pub rt: Runtime,
    scripts: Vec<VecDeque<PyAct>>,
    /// Every `StepDone`: when, and which thread.
    pub done: Vec<(SimTime, ThreadId)>,
}

impl ScriptedRuntime {
    /// A simulation of a runtime with `interp` costs on a machine of `cores` cores with
    /// `machine` costs, with no interpreters yet; the activity trace is on.
    pub fn sim(
        cores: usize,
        machine: MachineCosts,
        interp: InterpCosts,
    ) -> Simulation<ScriptedRuntime> {
        Self::sim_with(cores, machine, interp, SchedulerKind::Cfs)
    }

    /// [`ScriptedRuntime::sim`] under the scheduling policy `kind`.
    pub fn sim_with(
        cores: usize,
        machine: MachineCosts,
        interp: InterpCosts,
        kind: SchedulerKind,
    ) -> Simulation<ScriptedRuntime> {
        let streams = RngStreams::new(1);
        let rng = streams.stream("machine/wake-jitter");
        let m = Machine::with_scheduler(cores, machine, kind, rng);
        let mut rt = Runtime::new(m, interp, streams.stream("interp/timer-jitter"));
        rt.enable_trace();
        Simulation::new(ScriptedRuntime {
            rt,
            scripts: Vec::new(),
            done: Vec::new(),
        })
    }

    /// A new interpreter.
    pub fn interpreter(&mut self, kind: GilKind, switch_interval: SimDuration) -> InterpId {
        self.rt.new_interpreter(kind, switch_interval)
    }

    /// A blocked thread of `interp`, allowed on `affinity`, that will follow `script` once
    /// woken.
    pub fn thread(&mut self, interp: InterpId, affinity: &[CoreId], script: &[PyAct]) -> ThreadId {
        let t = self.rt.spawn(interp, affinity);
        debug_assert_eq!(t.0 as usize, self.scripts.len());
        self.scripts.push(script.iter().copied().collect());
        t
    }

    /// When thread `t` finished its steps (the first is its first wake-up).
    pub fn done_times(&self, t: ThreadId) -> Vec<SimTime> {
        self.done
            .iter()
            .filter(|&&(_, u)| u == t)
            .map(|&(time, _)| time)
            .collect()
    }

    fn drain(&mut self, q: &mut EventQueue<Ev>) {
        while let Some(PyNotice::StepDone(t)) = self.rt.next_notice() {
            self.done.push((q.now(), t));
            loop {
                match self.scripts[t.0 as usize].pop_front() {
                    Some(PyAct::Step(s)) => break self.rt.start(t, s, q),
                    Some(PyAct::Wake(u)) => self.rt.wake(u, Some(t), q),
                    None => break self.rt.start(t, Step::Block, q),
                }
            }
        }
    }
}

impl Model for ScriptedRuntime {
    type Event = Ev;

    fn handle(&mut self, ev: Ev, q: &mut EventQueue<Ev>) {
        match ev {
            Ev::Machine(e) => self.rt.handle_machine(e, q),
            Ev::Interp(e) => self.rt.handle(e, q),
            Ev::Wake(t) => self.rt.wake(t, None, q),
        }
        self.drain(q);
    }
}

/// Long enough never to finish within a test.
pub const FOREVER: SimDuration = SimDuration::from_secs(10);

/// `(time, notice)` pairs of a log.
pub fn timeline(log: &[Seen]) -> Vec<(SimTime, Notice)> {
    log.iter().map(|s| (s.time, s.notice)).collect()
}

/// Two CPU-bound threads A and B on one core under `kind` and `costs`, B woken 1 ms after
/// A, run up to `until`.
pub fn two_cpu_bound_threads(
    kind: SchedulerKind,
    costs: MachineCosts,
    until: SimTime,
) -> (Simulation<ScriptedMachine>, ThreadId, ThreadId) {
    let mut sim = ScriptedMachine::sim_with(1, costs, kind);
    let a = sim.model.thread(&[], &[MachineAct::Compute(FOREVER)]);
    let b = sim.model.thread(&[], &[MachineAct::Compute(FOREVER)]);
    wake_at(&mut sim, a, SimTime::ZERO);
    wake_at(&mut sim, b, at(ms(1)));
    run_to(&mut sim, until);
    (sim, a, b)
}

/// The times thread `t` of a scripted runtime began doing `activity`, in order.
pub fn began(
    sim: &Simulation<ScriptedRuntime>,
    t: ThreadId,
    activity: execsim::interp::ThreadActivity,
) -> Vec<SimTime> {
    sim.model
        .rt
        .trace()
        .iter()
        .filter(|r| r.thread == t && r.activity == activity)
        .map(|r| r.time)
        .collect()
}
