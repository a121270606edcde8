//! The machine's invariants, checked on request after every event by whoever runs it (see
//! [`crate::kernel::Violation`] for how rules are named). Checking only reads the machine.
//!
//! | rule | what holds after every event |
//! |---|---|
//! | [`CORE_CAPACITY`] | a core runs at most one thread; a thread runs or waits only on a core its affinity allows; the machine's bookkeeping (states, run queues, current threads) agrees |
//! | [`WORK_CONSERVATION`] | no core stays idle longer than a grace while a thread that may use it waits in another core's run queue |
//!
//! Messages name threads through a function given by the caller (the machine knows threads
//! only by id).

use super::{CoreId, Machine, MachineCosts, ThreadId, ThreadRunState};
use crate::kernel::{SimDuration, SimTime, Violation};

/// Core capacity and affinity: at most one thread per core, threads only where their
/// affinity allows, bookkeeping consistent.
pub const CORE_CAPACITY: &str = "core-capacity";

/// No idle core while a thread that may use it waits elsewhere (beyond a grace).
pub const WORK_CONSERVATION: &str = "work-conservation";

/// Checks [`CORE_CAPACITY`] at `now`; `name` names a thread in the message.
pub fn check_core_capacity(
    m: &Machine,
    now: SimTime,
    name: &dyn Fn(ThreadId) -> String,
) -> Result<(), Violation> {
    let err = |msg: String| Err(Violation::new(now, CORE_CAPACITY, msg));
    let mut on_core = vec![None::<CoreId>; m.thread_count()];
    let mut running = 0usize;
    for c in 0..m.cores() as u16 {
        let core = CoreId(c);
        if let Some(t) = m.running_on(core) {
            running += 1;
            if let Some(other) = on_core[t.0 as usize].replace(core) {
                return err(format!(
                    "{} is current on cores {} and {c}",
                    name(t),
                    other.0
                ));
            }
            check_placed(m, core, t, ThreadRunState::Running, name).or_else(err)?;
        } else if !m.queued(core).is_empty() {
            return err(format!(
                "core {c} runs nothing while {} threads are queued on it",
                m.queued(core).len()
            ));
        }
        for &t in m.queued(core) {
            check_placed(m, core, t, ThreadRunState::Queued, name).or_else(err)?;
            if on_core[t.0 as usize].replace(core).is_some() {
                return err(format!("{} is on two cores at once", name(t)));
            }
        }
    }
    if running > m.cores() {
        return err(format!("{running} threads run on {} cores", m.cores()));
    }
    check_listed(m, &on_core, name).or_else(err)
}

/// Thread `t`, found on `core` as `expected` (`Running`: the core's current thread;
/// `Queued`: in its run queue): in that state on that core, and allowed there.
fn check_placed(
    m: &Machine,
    core: CoreId,
    t: ThreadId,
    expected: ThreadRunState,
    name: &dyn Fn(ThreadId) -> String,
) -> Result<(), String> {
    let c = core.0;
    let current = expected == ThreadRunState::Running;
    if m.state(t) != expected || m.core_of(t) != Some(core) {
        let (state, on) = (m.state(t), m.core_of(t));
        return Err(if current {
            format!(
                "core {c} runs {} whose state is {state:?} on {on:?}",
                name(t)
            )
        } else {
            format!(
                "{} is queued on core {c} but its state is {state:?} on {on:?}",
                name(t)
            )
        });
    }
    if m.affinity_mask(t) & (1 << c) == 0 {
        let verb = if current { "runs" } else { "is queued" };
        return Err(format!(
            "{} {verb} on core {c}, outside its affinity {:#b}",
            name(t),
            m.affinity_mask(t)
        ));
    }
    Ok(())
}

/// Every running or queued thread, and no other, is on some core (`on_core`).
fn check_listed(
    m: &Machine,
    on_core: &[Option<CoreId>],
    name: &dyn Fn(ThreadId) -> String,
) -> Result<(), String> {
    for i in 0..m.thread_count() as u32 {
        let t = ThreadId(i);
        let listed = on_core[i as usize].is_some();
        let should = matches!(m.state(t), ThreadRunState::Running | ThreadRunState::Queued);
        if listed != should {
            return Err(format!(
                "{} is {:?} but {} on any core",
                name(t),
                m.state(t),
                if listed { "listed" } else { "not listed" }
            ));
        }
    }
    Ok(())
}

/// The modelled bound of [`WORK_CONSERVATION`]: idle balancing runs at the busy core's next
/// tick, then the thread pays an idle wake-up: `tick + wake_idle + wake_jitter + ctx_switch`.
pub fn default_idle_grace(c: &MachineCosts) -> SimDuration {
    c.tick + c.wake_idle + c.wake_jitter + c.ctx_switch
}

/// The [`WORK_CONSERVATION`] rule, observed after every event: remembers since when each
/// thread has waited while a core it may use stood idle.
///
/// A core is idle when it runs nothing, has nothing queued and nothing on its way. A thread
/// queued on another core that may run on an idle core must be taken within the grace.
#[derive(Clone, Debug, Default)]
pub struct WorkConservation {
    unserved_since: Vec<Option<SimTime>>,
    longest_wait: SimDuration,
}

impl WorkConservation {
    /// The longest time a queued thread waited while a core it may use stood idle, so far.
    pub fn longest_wait(&self) -> SimDuration {
        self.longest_wait
    }

    /// Observes the machine after the event(s) at `now`: measures every wait, and with
    /// `enforce`, reports a wait longer than `grace`.
    pub fn observe(
        &mut self,
        m: &Machine,
        now: SimTime,
        grace: SimDuration,
        enforce: bool,
        name: &dyn Fn(ThreadId) -> String,
    ) -> Result<(), Violation> {
        self.unserved_since.resize(m.thread_count(), None);
        let idle_mask = (0..m.cores() as u16)
            .filter(|&c| m.is_idle(CoreId(c)))
            .fold(0u64, |acc, c| acc | 1 << c);
        let unserved = unserved_threads(m, idle_mask);
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
            self.longest_wait = self.longest_wait.max(waited);
            if enforce && waited > grace {
                let t = ThreadId(i as u32);
                let idle: Vec<String> = (0..m.cores())
                    .filter(|&c| idle_mask & m.affinity_mask(t) & (1 << c) != 0)
                    .map(|c| c.to_string())
                    .collect();
                let msg = format!(
                    "{} has waited in core {}'s run queue since {since} ({waited}) while core(s) {} it may use stand idle (grace {grace})",
                    name(t),
                    m.core_of(t).map(|c| c.0 as i64).unwrap_or(-1),
                    idle.join(", "),
                );
                return Err(Violation::new(now, WORK_CONSERVATION, msg));
            }
        }
        Ok(())
    }
}

/// Per thread: queued on some core while a core in `idle_mask` that it may use is idle.
fn unserved_threads(m: &Machine, idle_mask: u64) -> Vec<bool> {
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
    unserved
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::{EventQueue, RngStreams};
    use crate::machine::{MachineEvent, Notice};

    /// Three threads each compute 3 ms once on two cores: both rules hold after every
    /// event, no core waits idle beyond the grace, and every thread gets exactly its work
    /// (placed as upstream Linux places them: the third one is not pulled onto a core idle
    /// past the halt-poll window, whose cold start would add to its CPU time).
    #[test]
    fn rules_hold_while_three_threads_share_two_cores() {
        let costs = MachineCosts {
            wake_on_prev: false,
            ..MachineCosts::default()
        };
        let mut m = Machine::new(2, costs, RngStreams::new(1).stream("machine/wake-jitter"));
        let mut q: EventQueue<MachineEvent> = EventQueue::new();
        let threads: Vec<ThreadId> = (0..3).map(|_| m.spawn(&[])).collect();
        for &t in &threads {
            m.wake(t, None, &mut q);
        }
        let name = |t: ThreadId| format!("t{}", t.0);
        let mut bursts = [0u32; 3];
        let mut work = WorkConservation::default();
        let grace = default_idle_grace(&costs);
        while let Some((now, ev)) = q.pop() {
            m.handle(ev, &mut q);
            while let Some(n) = m.next_notice() {
                if let Notice::Idle(t) = n {
                    bursts[t.0 as usize] += 1;
                    if bursts[t.0 as usize] == 1 {
                        m.compute(t, SimDuration::from_millis(3), &mut q);
                    } else {
                        m.block(t, &mut q);
                    }
                }
            }
            check_core_capacity(&m, now, &name).unwrap();
            work.observe(&m, now, grace, true, &name).unwrap();
        }
        for &t in &threads {
            assert_eq!(m.state(t), ThreadRunState::Blocked);
            assert_eq!(m.cpu_time(t), SimDuration::from_millis(3));
        }
        assert!(work.longest_wait() <= grace);
    }
}
