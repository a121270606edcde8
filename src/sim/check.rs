//! Invariant checking: the rules of the model that no input may break, checked after every
//! event of a run when [`SimOptions::check`](crate::sim::run::SimOptions::check) is on.
//!
//! | invariant | what is checked, after every event |
//! |---|---|
//! | [`Invariant::Time`] | virtual time never goes backwards; no pending event lies in the past |
//! | [`Invariant::GilExclusion`] | at most one thread of an interpreter holds its GIL; only the holder runs Python; a holder is never asleep in the kernel |
//! | [`Invariant::CoreCapacity`] | a core runs at most one thread; a thread runs or waits only on a core its affinity allows; machine bookkeeping agrees |
//! | [`Invariant::WorkConservation`] | no core stays idle longer than the modelled wake-up latency while a thread that may use it waits in another core's run queue |
//! | [`Invariant::BoundedGilWait`] | a thread waiting for its GIL gets it within a bounded time, counted while the holder runs Python (see [`Checker`]) |
//! | [`Invariant::Conservation`] | issued = completed + in flight for every client; every request in flight is found exactly once in the system; per-second counts add up |
//! | [`Invariant::CorrectReply`] | every reply answers the client's oldest request in flight with the right n-th prime |
//!
//! Checking only reads the state: a checked run processes the same events as an unchecked
//! one and reports the same trace hash.

use crate::kernel::{SimDuration, SimTime};
use crate::machine::{CoreId, ThreadId, ThreadRunState};
use crate::service::World;
use std::fmt;

/// One of the model's invariants.
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
}

impl Invariant {
    /// Every invariant.
    pub const ALL: [Invariant; 7] = [
        Invariant::Time,
        Invariant::GilExclusion,
        Invariant::CoreCapacity,
        Invariant::WorkConservation,
        Invariant::BoundedGilWait,
        Invariant::Conservation,
        Invariant::CorrectReply,
    ];

    /// A short name (`gil-exclusion`, ...).
    pub fn name(self) -> &'static str {
        match self {
            Invariant::Time => "time",
            Invariant::GilExclusion => "gil-exclusion",
            Invariant::CoreCapacity => "core-capacity",
            Invariant::WorkConservation => "work-conservation",
            Invariant::BoundedGilWait => "bounded-gil-wait",
            Invariant::Conservation => "conservation",
            Invariant::CorrectReply => "correct-reply",
        }
    }
}

impl fmt::Display for Invariant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A broken invariant: when, which, and what was seen.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Violation {
    /// Virtual time of the event after which it was found.
    pub time: SimTime,
    /// Which invariant.
    pub invariant: Invariant,
    /// What was seen, naming threads and cores.
    pub message: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[{}] at {}: {}", self.invariant, self.time, self.message)
    }
}

impl std::error::Error for Violation {}

/// Which invariants to enforce, and the slack of the timed ones.
#[derive(Clone, Debug, PartialEq)]
pub struct CheckConfig {
    /// Invariants to check (default: all).
    pub enforce: Vec<Invariant>,
    /// Extra time allowed per GIL turn beyond the modelled costs (default 0).
    pub gil_turn_margin: SimDuration,
    /// How long a core may stay idle while a thread that may use it waits elsewhere
    /// (default: None, meaning the modelled bound: idle balancing runs at the busy core's
    /// next tick, then the thread pays an idle wake-up: `tick + wake_idle + ctx_switch`).
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
    /// The longest GIL wait, counted while the holder ran Python (see [`Checker`]), ns.
    pub longest_gil_wait_charged_ns: u64,
    /// The same wait's length in virtual time, ns.
    pub longest_gil_wait_wall_ns: u64,
    /// Which thread waited, and from when.
    pub longest_gil_wait: Option<(ThreadId, SimTime)>,
    /// The longest time a queued thread waited while a core it may use stood idle, ns.
    pub longest_idle_core_wait_ns: u64,
}

#[derive(Clone, Debug)]
struct Wait {
    since: SimTime,
    charged: u64,
    holders: Vec<ThreadId>,
    accrue: bool,
}

/// The stateful part of invariant checking: call [`observe`](Self::observe) after every event.
///
/// **Bounded GIL wait.** A thread waiting for its GIL is charged the time during which the
/// holder runs Python (bursting on a core) and the waiter itself is not queued for a core:
/// time when the holder is descheduled, or when the waiter waits for a CPU, is the OS's
/// doing, not the GIL protocol's. CPython's protocol bounds one *turn*: a waiter whose timed
/// wait expires with no switch sets the drop request, the holder drops within `drop_notice`
/// of running Python, and the signalled waiter wakes: `interval + timer_slack + drop_notice +
/// max(wake_idle, wake_busy) + wake_jitter + 2 ctx_switch`. Waiters are signalled longest
/// first, but CPython does not promise the signalled waiter the GIL: any thread that enters
/// `take_gil` while it is free takes it (a thread back from a system call, or the previous
/// holder woken from its forced-switch wait). So every other thread that holds the GIL during
/// the wait is allowed two turns ahead of it: the bound is `2 × distinct other holders ×
/// turn` (at least two turns). A thread that stays in line while the same holders pass the
/// GIL between themselves, turn after turn, breaks it: that is starvation.
///
/// **Work conservation.** A core is idle when it runs nothing, has nothing queued and nothing
/// on its way. A thread queued on another core that may run on an idle core must be taken
/// within the grace ([`CheckConfig::idle_grace`]).
#[derive(Clone, Debug)]
pub struct Checker {
    cfg: CheckConfig,
    last_time: SimTime,
    waits: Vec<Option<Wait>>,
    unserved_since: Vec<Option<SimTime>>,
    stats: CheckStats,
}

impl Checker {
    /// A checker enforcing `cfg`.
    pub fn new(cfg: CheckConfig) -> Self {
        Checker {
            cfg,
            last_time: SimTime::ZERO,
            waits: Vec::new(),
            unserved_since: Vec::new(),
            stats: CheckStats::default(),
        }
    }

    /// What was measured so far.
    pub fn stats(&self) -> &CheckStats {
        &self.stats
    }

    /// Checks every enforced invariant after the event(s) at `now`; `next_event` is the time
    /// of the earliest pending event.
    pub fn observe(
        &mut self,
        world: &World,
        now: SimTime,
        next_event: Option<SimTime>,
    ) -> Result<(), Violation> {
        self.stats.events_checked += 1;
        if self.cfg.on(Invariant::Time) {
            if now < self.last_time {
                return Err(Violation {
                    time: now,
                    invariant: Invariant::Time,
                    message: format!("time went back from {} to {now}", self.last_time),
                });
            }
            if let Some(t) = next_event.filter(|&t| t < now) {
                return Err(Violation {
                    time: now,
                    invariant: Invariant::Time,
                    message: format!("an event is pending at {t}, in the past"),
                });
            }
        }
        let dt = now.saturating_since(self.last_time).as_nanos();
        self.last_time = now;
        match world.check_invariants(now) {
            Err(v) if self.cfg.on(v.invariant) => return Err(v),
            _ => {}
        }
        self.gil_waits(world, now, dt)?;
        self.work_conservation(world, now)
    }

    fn gil_waits(&mut self, world: &World, now: SimTime, dt: u64) -> Result<(), Violation> {
        let rt = &world.rt;
        let n = rt.threads();
        self.waits.resize(n, None);
        let mc = *rt.machine.costs();
        let ic = *rt.costs();
        for i in 0..n {
            let t = ThreadId(i as u32);
            let interp = rt.interp_of(t);
            let interval = rt.switch_interval(interp).unwrap_or_default();
            let turn = interval
                + ic.timer_slack
                + ic.drop_notice
                + mc.wake_idle.max(mc.wake_busy)
                + mc.wake_jitter
                + mc.ctx_switch
                + mc.ctx_switch
                + self.cfg.gil_turn_margin;
            // First judge the time since the last event, in the state it had.
            if let Some(w) = self.waits[i].as_mut() {
                if w.accrue {
                    w.charged += dt;
                }
                if w.charged > self.stats.longest_gil_wait_charged_ns {
                    self.stats.longest_gil_wait_charged_ns = w.charged;
                    self.stats.longest_gil_wait_wall_ns = now.saturating_since(w.since).as_nanos();
                    self.stats.longest_gil_wait = Some((t, w.since));
                }
                let bound = turn.as_nanos() * (2 * w.holders.len().max(1) as u64);
                if self.cfg.on(Invariant::BoundedGilWait) && w.charged > bound {
                    let holders: Vec<&str> =
                        w.holders.iter().map(|&h| world.thread_name(h)).collect();
                    return Err(Violation {
                        time: now,
                        invariant: Invariant::BoundedGilWait,
                        message: format!(
                            "{} has waited for the GIL of interpreter {} since {} ({} in all), {} of it while the holder ran Python; the bound is {} = 2 x {} other holders [{}] x turn {} (interval {interval})",
                            world.thread_name(t),
                            interp.0,
                            w.since,
                            now.saturating_since(w.since),
                            SimDuration(w.charged),
                            SimDuration(bound),
                            w.holders.len(),
                            holders.join(", "),
                            turn,
                        ),
                    });
                }
            }
            // Then take the new state.
            if !rt.in_gil_wait(t) {
                self.waits[i] = None;
                continue;
            }
            let w = self.waits[i].get_or_insert_with(|| Wait {
                since: now,
                charged: 0,
                holders: Vec::new(),
                accrue: false,
            });
            let holder = rt.gil_holder(interp).filter(|&h| h != t);
            if let Some(h) = holder {
                if !w.holders.contains(&h) {
                    w.holders.push(h);
                }
            }
            w.accrue = holder.is_some_and(|h| rt.running_python(h))
                && rt.machine.state(t) != ThreadRunState::Queued;
        }
        Ok(())
    }

    fn work_conservation(&mut self, world: &World, now: SimTime) -> Result<(), Violation> {
        let m = &world.rt.machine;
        self.unserved_since.resize(m.thread_count(), None);
        let idle_mask = (0..m.cores() as u16)
            .filter(|&c| m.is_idle(CoreId(c)))
            .fold(0u64, |acc, c| acc | 1 << c);
        let mut unserved = vec![false; m.thread_count()];
        if idle_mask != 0 {
            for c in 0..m.cores() as u16 {
                for &t in m.queued(CoreId(c)) {
                    if m.affinity_mask(t) & idle_mask != 0 {
                        unserved[t.0 as usize] = true;
                    }
                }
            }
        }
        let mc = m.costs();
        let grace = self
            .cfg
            .idle_grace
            .unwrap_or(mc.tick + mc.wake_idle + mc.wake_jitter + mc.ctx_switch);
        for (i, &u) in unserved.iter().enumerate() {
            // The condition held from `since` until this event at least.
            let Some(since) = self.unserved_since[i] else {
                if u {
                    self.unserved_since[i] = Some(now);
                }
                continue;
            };
            if !u {
                self.unserved_since[i] = None;
            }
            let waited = now.saturating_since(since);
            self.stats.longest_idle_core_wait_ns =
                self.stats.longest_idle_core_wait_ns.max(waited.as_nanos());
            if self.cfg.on(Invariant::WorkConservation) && waited > grace {
                let t = ThreadId(i as u32);
                let idle: Vec<String> = (0..m.cores())
                    .filter(|&c| idle_mask & m.affinity_mask(t) & (1 << c) != 0)
                    .map(|c| c.to_string())
                    .collect();
                return Err(Violation {
                    time: now,
                    invariant: Invariant::WorkConservation,
                    message: format!(
                        "{} has waited in core {}'s run queue since {since} ({waited}) while core(s) {} it may use stand idle (grace {grace})",
                        world.thread_name(t),
                        m.core_of(t).map(|c| c.0 as i64).unwrap_or(-1),
                        idle.join(", "),
                    ),
                });
            }
        }
        Ok(())
    }
}
