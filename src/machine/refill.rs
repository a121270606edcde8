//! Cache refills: what work costs beyond its nominal time when the core's caches lost what it
//! needs, after the core's vCPU halted ([`MachineCosts::halt_refill_work`]) or after work in
//! the same shared memory ran on another core ([`MachineCosts::migration_refill`]).
//!
//! [`MachineCosts::halt_refill_work`]: super::MachineCosts::halt_refill_work
//! [`MachineCosts::migration_refill`]: super::MachineCosts::migration_refill

use super::{CoreId, Machine};

/// A memory that several threads work in, whose hot lines follow the core that last worked
/// in it (one interpreter's objects: reference counts, the thread state, the GIL). The layer
/// above numbers them; the machine only remembers where each was last worked in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MemoryDomain(pub u32);

impl Machine {
    /// The extra time of `work` starting now on core `c`, in `domain` if any: the part of it
    /// within the core's halt refill window runs `halt_refill_slowdown` times as long, and the
    /// first work in a domain last worked in on another core pays `migration_refill`. Both
    /// windows are consumed.
    pub(super) fn refill_extra(
        &mut self,
        c: CoreId,
        work: u64,
        domain: Option<MemoryDomain>,
    ) -> u64 {
        let core = &mut self.cores[c.0 as usize];
        let mut extra = 0;
        if core.refill_left > 0 {
            let slow = work.min(core.refill_left);
            core.refill_left -= slow;
            let factor = (self.costs.halt_refill_slowdown - 1.0).max(0.0);
            extra += (slow as f64 * factor).round() as u64;
        }
        if let Some(MemoryDomain(d)) = domain {
            let d = d as usize;
            if self.domain_core.len() <= d {
                self.domain_core.resize(d + 1, None);
            }
            let last = self.domain_core[d].replace(c);
            if last.is_some_and(|l| l != c) {
                extra += self.costs.migration_refill.0;
            }
        }
        extra
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::{EventQueue, RngStreams, SimDuration};
    use crate::machine::{MachineCosts, MachineEvent, Notice, ThreadId, ThreadRunState};

    fn machine(costs: MachineCosts) -> Machine {
        Machine::new(2, costs, RngStreams::new(1).stream("w"))
    }

    /// A machine with `costs` and one thread, woken on core 0 (halted until then), on it with
    /// nothing to do.
    fn woken_after_a_halt(costs: MachineCosts) -> (Machine, EventQueue<MachineEvent>, ThreadId) {
        let mut m = machine(costs);
        let mut q = EventQueue::new();
        let t = m.spawn(&[CoreId(0)]);
        m.wake(t, None, &mut q);
        while m.state(t) != ThreadRunState::Running || m.next_notice() != Some(Notice::Idle(t)) {
            let (_, ev) = q.pop().expect("the wake-up arrives");
            m.handle(ev, &mut q);
        }
        (m, q, t)
    }

    /// How a test burst runs.
    enum How {
        Plain,
        Compact,
    }

    /// Runs `t`'s burst of `work` to its end; returns how long it took.
    fn burst(
        m: &mut Machine,
        q: &mut EventQueue<MachineEvent>,
        t: ThreadId,
        work: u64,
        how: How,
    ) -> u64 {
        let start = q.now().0;
        match how {
            How::Plain => m.compute(t, SimDuration(work), q),
            How::Compact => m.compute_compact(t, SimDuration(work), q),
        }
        loop {
            let (_, ev) = q.pop().expect("the burst ends");
            m.handle(ev, q);
            while let Some(n) = m.next_notice() {
                if n == Notice::Idle(t) {
                    return q.now().0 - start;
                }
            }
        }
    }

    #[test]
    fn the_first_work_after_a_halt_runs_slower_until_the_window_is_used() {
        let costs = MachineCosts {
            halt_refill_work: SimDuration::from_micros(100),
            halt_refill_slowdown: 1.5,
            ctx_switch: SimDuration::ZERO,
            ctx_switch_lean: SimDuration::ZERO,
            ..MachineCosts::default()
        };
        let (mut m, mut q, t) = woken_after_a_halt(costs);
        // 60 µs all in the window (+30), then 40 in and 20 out (+20), then none.
        assert_eq!(burst(&mut m, &mut q, t, 60_000, How::Plain), 90_000);
        assert_eq!(burst(&mut m, &mut q, t, 60_000, How::Plain), 80_000);
        assert_eq!(burst(&mut m, &mut q, t, 60_000, How::Plain), 60_000);
    }

    #[test]
    fn a_tight_loop_after_a_halt_runs_at_full_speed_and_leaves_the_windows() {
        let costs = MachineCosts {
            halt_refill_work: SimDuration::from_micros(100),
            halt_refill_slowdown: 1.5,
            migration_refill: SimDuration::from_micros(7),
            ctx_switch: SimDuration::ZERO,
            ctx_switch_lean: SimDuration::ZERO,
            ..MachineCosts::default()
        };
        let (mut m, mut q, t) = woken_after_a_halt(costs);
        assert_eq!(burst(&mut m, &mut q, t, 60_000, How::Compact), 60_000);
        // The refill window is still whole for the work after it.
        assert_eq!(burst(&mut m, &mut q, t, 60_000, How::Plain), 90_000);
    }

    #[test]
    fn work_in_a_domain_pays_the_migration_once_per_change_of_core() {
        let costs = MachineCosts {
            migration_refill: SimDuration::from_micros(7),
            ..MachineCosts::default()
        };
        let mut m = machine(costs);
        let d = Some(MemoryDomain(3));
        assert_eq!(
            m.refill_extra(CoreId(0), 1_000, d),
            0,
            "first work anywhere"
        );
        assert_eq!(m.refill_extra(CoreId(0), 1_000, d), 0);
        assert_eq!(m.refill_extra(CoreId(1), 1_000, d), 7_000);
        assert_eq!(m.refill_extra(CoreId(1), 1_000, None), 0, "native work");
        assert_eq!(m.refill_extra(CoreId(0), 1_000, Some(MemoryDomain(0))), 0);
        assert_eq!(m.refill_extra(CoreId(0), 1_000, d), 7_000);
    }
}
