//! Invariant checking: the rules of the model that no input may break, checked after every
//! event of a run when [`SimOptions::check`](crate::sim::run::SimOptions::check) is on.
//!
//! Each layer owns its rules and checks them against its own state: the kernel [`TIME`]
//! ([`TimeCheck`]); the machine its core capacity and work conservation
//! ([`crate::machine::invariants`]); the interpreter its GIL exclusion and bounded GIL waits
//! ([`crate::interp::invariants`]); the service its conservation and correct replies
//! ([`World::check_conservation`], [`World::check_replies`]). This module only puts them
//! together: [`Invariant`] selects rules for users, [`Checker`] runs the selected ones after
//! every event (as the observer of [`Simulation::run_until_observed`]) and gathers what they
//! measured into [`CheckStats`].
//!
//! | invariant | what is checked, after every event |
//! |---|---|
//! | [`Invariant::Time`] | virtual time never goes backwards; no pending event lies in the past |
//! | [`Invariant::GilExclusion`] | at most one thread of an interpreter holds its GIL; only the holder runs Python; a holder is never asleep in the kernel |
//! | [`Invariant::CoreCapacity`] | a core runs at most one thread; a thread runs or waits only on a core its affinity allows; machine bookkeeping agrees |
//! | [`Invariant::WorkConservation`] | no core stays idle longer than the modelled wake-up latency while a thread that may use it waits in another core's run queue |
//! | [`Invariant::BoundedGilWait`] | a thread waiting for its GIL gets it within a bounded time, counted while the holder runs Python (see [`GilWaits`]) |
//! | [`Invariant::Conservation`] | issued = completed + in flight for every client; every request in flight is found exactly once in the system; per-second counts add up |
//! | [`Invariant::CorrectReply`] | every reply answers the client's oldest request in flight with the right n-th prime |
//!
//! Checking only reads the state: a checked run processes the same events as an unchecked
//! one and reports the same trace hash.

use crate::interp::invariants::{
    check_gil_exclusion, check_lock_exclusion, GilWaits, BOUNDED_GIL_WAIT, GIL_EXCLUSION,
    LOCK_EXCLUSION,
};
#[cfg(doc)]
use crate::kernel::Simulation;
use crate::kernel::{SimDuration, SimTime, TimeCheck, TIME};
use crate::machine::invariants::{
    check_core_capacity, default_idle_grace, WorkConservation, CORE_CAPACITY, WORK_CONSERVATION,
};
use crate::machine::ThreadId;
use crate::service::{World, CONSERVATION, CORRECT_REPLY};
use std::fmt;

pub use crate::kernel::Violation;

/// One of the model's invariants, for choosing which to enforce.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Invariant {
    /// Virtual time is monotone and no event is scheduled in the past.
    Time,
    /// GIL mutual exclusion.
    GilExclusion,
    /// Core capacity and affinity.
    CoreCapacity,
    /// No idle core while a thread that may use it waits (beyond the wake-up latency).
    WorkConservation,
    /// No starvation for the GIL under forced switching.
    BoundedGilWait,
    /// No request lost or duplicated.
    Conservation,
    /// Every reply is the right prime, for the right request.
    CorrectReply,
    /// Python-level locks: one holder, parked waiters asleep.
    LockExclusion,
}

impl Invariant {
    /// Every invariant.
    pub const ALL: [Invariant; 8] = [
        Invariant::Time,
        Invariant::GilExclusion,
        Invariant::CoreCapacity,
        Invariant::WorkConservation,
        Invariant::BoundedGilWait,
        Invariant::Conservation,
        Invariant::CorrectReply,
        Invariant::LockExclusion,
    ];

    /// A short name (`gil-exclusion`, ...): the name the owning layer gives the rule, which
    /// a [`Violation`] carries.
    pub fn name(self) -> &'static str {
        match self {
            Invariant::Time => TIME,
            Invariant::GilExclusion => GIL_EXCLUSION,
            Invariant::CoreCapacity => CORE_CAPACITY,
            Invariant::WorkConservation => WORK_CONSERVATION,
            Invariant::BoundedGilWait => BOUNDED_GIL_WAIT,
            Invariant::Conservation => CONSERVATION,
            Invariant::CorrectReply => CORRECT_REPLY,
            Invariant::LockExclusion => LOCK_EXCLUSION,
        }
    }

    /// The invariant with this name, if any.
    pub fn from_name(name: &str) -> Option<Invariant> {
        Invariant::ALL.into_iter().find(|i| i.name() == name)
    }

    /// The invariant a violation breaks.
    pub fn of(v: &Violation) -> Option<Invariant> {
        Invariant::from_name(v.invariant)
    }
}

impl fmt::Display for Invariant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Which invariants to enforce, and the slack of the timed ones.
#[derive(Clone, Debug, PartialEq)]
pub struct CheckConfig {
    /// Invariants to check (default: all).
    pub enforce: Vec<Invariant>,
    /// Extra time allowed per GIL turn beyond the modelled costs (default 0).
    pub gil_turn_margin: SimDuration,
    /// How long a core may stay idle while a thread that may use it waits elsewhere
    /// (default: None, meaning the modelled bound: idle balancing runs at the busy core's
    /// next tick, then the thread pays an idle wake-up: `tick + wake_idle + wake_jitter +
    /// ctx_switch`, see [`default_idle_grace`]).
    pub idle_grace: Option<SimDuration>,
}

impl Default for CheckConfig {
    fn default() -> Self {
        CheckConfig {
            enforce: Invariant::ALL.to_vec(),
            gil_turn_margin: SimDuration::ZERO,
            idle_grace: None,
        }
    }
}

impl CheckConfig {
    /// Every invariant but `skip`.
    pub fn all_but(skip: &[Invariant]) -> Self {
        CheckConfig {
            enforce: Invariant::ALL
                .iter()
                .copied()
                .filter(|i| !skip.contains(i))
                .collect(),
            ..CheckConfig::default()
        }
    }

    fn on(&self, i: Invariant) -> bool {
        self.enforce.contains(&i)
    }
}

/// What the checker measured over a run (whether or not a bound was enforced).
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize)]
pub struct CheckStats {
    /// Events after which the invariants were checked.
    pub events_checked: u64,
    /// The longest GIL wait, counted while the holder ran Python (see [`GilWaits`]), ns.
    pub longest_gil_wait_charged_ns: u64,
    /// The same wait's length in virtual time, ns.
    pub longest_gil_wait_wall_ns: u64,
    /// Which thread waited, and from when.
    pub longest_gil_wait: Option<(ThreadId, SimTime)>,
    /// The longest time a queued thread waited while a core it may use stood idle, ns.
    pub longest_idle_core_wait_ns: u64,
}

/// The checker of a run: call [`observe`](Self::observe) after every event. It keeps the
/// memory the timed rules need across events ([`TimeCheck`], [`GilWaits`],
/// [`WorkConservation`]) and checks the enforced rules in a fixed order: time, correct
/// replies, GIL exclusion, core capacity, conservation, bounded GIL waits, work
/// conservation. The timed rules measure whether or not they are enforced.
#[derive(Clone, Debug)]
pub struct Checker {
    cfg: CheckConfig,
    time: TimeCheck,
    gil_waits: GilWaits,
    work: WorkConservation,
    events_checked: u64,
}

impl Checker {
    /// A checker enforcing `cfg`.
    pub fn new(cfg: CheckConfig) -> Self {
        Checker {
            cfg,
            time: TimeCheck::default(),
            gil_waits: GilWaits::default(),
            work: WorkConservation::default(),
            events_checked: 0,
        }
    }

    /// What was measured so far.
    pub fn stats(&self) -> CheckStats {
        let gil = self.gil_waits.stats();
        CheckStats {
            events_checked: self.events_checked,
            longest_gil_wait_charged_ns: gil.longest_charged_ns,
            longest_gil_wait_wall_ns: gil.longest_wall_ns,
            longest_gil_wait: gil.longest,
            longest_idle_core_wait_ns: self.work.longest_wait().as_nanos(),
        }
    }

    /// Checks every enforced invariant after the event(s) at `now`; `next_event` is the time
    /// of the earliest pending event.
    pub fn observe(
        &mut self,
        world: &World,
        now: SimTime,
        next_event: Option<SimTime>,
    ) -> Result<(), Violation> {
        self.events_checked += 1;
        let dt = self
            .time
            .observe(now, next_event, self.cfg.on(Invariant::Time))?;
        self.check_state(world, now)?;
        let name = |t: ThreadId| world.thread_name(t).to_string();
        self.gil_waits.observe(
            &world.rt,
            now,
            dt,
            self.cfg.gil_turn_margin,
            self.cfg.on(Invariant::BoundedGilWait),
            &name,
        )?;
        let m = &world.rt.machine;
        let grace = self
            .cfg
            .idle_grace
            .unwrap_or_else(|| default_idle_grace(m.costs()));
        let enforce = self.cfg.on(Invariant::WorkConservation);
        self.work.observe(m, now, grace, enforce, &name)
    }

    /// The enforced rules that depend on the current state only.
    fn check_state(&self, world: &World, now: SimTime) -> Result<(), Violation> {
        let name = |t: ThreadId| world.thread_name(t).to_string();
        if self.cfg.on(Invariant::CorrectReply) {
            world.check_replies()?;
        }
        if self.cfg.on(Invariant::GilExclusion) {
            check_gil_exclusion(&world.rt, now, &name)?;
        }
        if self.cfg.on(Invariant::CoreCapacity) {
            check_core_capacity(&world.rt.machine, now, &name)?;
        }
        if self.cfg.on(Invariant::Conservation) {
            world.check_conservation(now)?;
        }
        if self.cfg.on(Invariant::LockExclusion) {
            check_lock_exclusion(&world.rt, now, &name)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_the_layers_and_map_back() {
        let names: Vec<&str> = Invariant::ALL.iter().map(|i| i.name()).collect();
        assert_eq!(
            names,
            [
                "time",
                "gil-exclusion",
                "core-capacity",
                "work-conservation",
                "bounded-gil-wait",
                "conservation",
                "correct-reply",
                "lock-exclusion"
            ]
        );
        for i in Invariant::ALL {
            assert_eq!(Invariant::from_name(i.name()), Some(i));
            assert_eq!(
                serde_json::to_string(&i).unwrap(),
                format!("\"{}\"", i.name())
            );
        }
        assert_eq!(Invariant::from_name("nothing"), None);
    }
}
