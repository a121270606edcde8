//! Stalls of a busy core: the vCPU taken from the thread on it for a moment (the timer tick,
//! other interrupts, exits to the host), so that the burst it runs takes longer
//! ([`MachineCosts::stall_every`]). Each core counts down its busy time to its next stall;
//! a segment starting on it gets the stalls that fall within its work added to its length
//! (a long computation stays one segment), and a segment stopped early gives back the
//! stalls it has not reached.
//!
//! [`MachineCosts::stall_every`]: super::MachineCosts::stall_every

use super::{CoreId, Machine};

/// How far into a burst's work stalls are drawn when it starts (ns): a CPU-bound burst is
/// cut (GIL drop requests, preemption, the run's end) and drawn again long before; work
/// beyond this in one uncut burst runs without stalls (0.85% of it on the measured host).
const STALL_HORIZON: u64 = 50_000_000;

impl Machine {
    /// Plans the stalls of a segment of `work` ns starting now on core `c`: those due within
    /// its first [`STALL_HORIZON`] of work, each of a drawn length, placed on the segment's
    /// timeline (`Core::stalls`). Returns their total time. Draws nothing when stalls are off.
    pub(super) fn plan_stalls(&mut self, c: CoreId, work: u64) -> u64 {
        let every = self.costs.stall_every.0;
        let ci = c.0 as usize;
        self.cores[ci].stalls.clear();
        if every == 0 {
            return 0;
        }
        if self.cores[ci].stall_in == u64::MAX {
            self.cores[ci].stall_in = self.rng.exp_nanos(every as f64).max(1);
        }
        let horizon = work.min(STALL_HORIZON);
        let (mut at, mut added) = (0, 0);
        while self.cores[ci].stall_in <= horizon - at {
            at += self.cores[ci].stall_in;
            let len = self.stall_length();
            self.cores[ci].stalls.push((at + added, len));
            added += len;
            self.cores[ci].stall_in = self.rng.exp_nanos(every as f64).max(1);
        }
        self.cores[ci].stall_in -= horizon - at;
        self.cores[ci].stalls_until = horizon;
        added
    }

    /// The segment on core `c` stops `done` ns after it began, before its end: returns the
    /// stall time planned in it that has not passed (to take off the thread's remaining
    /// time), and gives the core back the busy time it has not run, so that its next stall
    /// comes after the same work.
    pub(super) fn unplan_stalls(&mut self, c: CoreId, done: u64) -> u64 {
        let core = &mut self.cores[c.0 as usize];
        if core.stalls.is_empty() && core.stalls_until == 0 {
            return 0;
        }
        let (mut passed, mut unpassed) = (0, 0);
        let mut next_at = None;
        for &(wall, len) in &core.stalls {
            if wall >= done {
                next_at.get_or_insert(wall - passed);
                unpassed += len;
            } else {
                let p = len.min(done - wall);
                passed += p;
                unpassed += len - p;
            }
        }
        let worked = (done - passed).min(core.stalls_until);
        core.stall_in = match next_at {
            // The first stall not reached comes after the same work as planned.
            Some(work_at) => work_at - worked,
            None => core.stall_in + (core.stalls_until - worked),
        };
        core.stalls.clear();
        core.stalls_until = 0;
        unpassed
    }

    /// The segment on core `c` ran to its end: every planned stall passed.
    pub(super) fn stalls_passed(&mut self, c: CoreId) {
        let core = &mut self.cores[c.0 as usize];
        core.stalls.clear();
        core.stalls_until = 0;
    }

    /// One stall's length: piecewise linear between the measured percentiles (10th at the
    /// bottom, the longest measured at the top).
    fn stall_length(&mut self) -> u64 {
        let m = &self.costs;
        let knots = [
            (0.0, m.stall_p10.0),
            (0.5, m.stall_p50.0),
            (0.9, m.stall_p90.0),
            (0.99, m.stall_p99.0),
            (1.0, m.stall_max.0),
        ];
        let u = self.rng.uniform();
        let k = knots
            .windows(2)
            .find(|w| u < w[1].0)
            .unwrap_or(&knots[3..5]);
        let ((p0, v0), (p1, v1)) = (k[0], k[1]);
        let f = (u - p0) / (p1 - p0);
        (v0 as f64 + f * (v1 as f64 - v0 as f64)).round() as u64
    }
}

#[cfg(test)]
mod tests {
    use crate::kernel::{RngStreams, SimDuration};
    use crate::machine::{CoreId, Machine, MachineCosts};

    fn machine(every_us: u64) -> Machine {
        let costs = MachineCosts {
            stall_every: SimDuration::from_micros(every_us),
            stall_p10: SimDuration::from_micros(10),
            stall_p50: SimDuration::from_micros(20),
            stall_p90: SimDuration::from_micros(40),
            stall_p99: SimDuration::from_micros(80),
            stall_max: SimDuration::from_micros(200),
            ..MachineCosts::default()
        };
        Machine::new(2, costs, RngStreams::new(7).stream("w"))
    }

    #[test]
    fn no_stalls_when_off() {
        let mut m = machine(0);
        assert_eq!(m.plan_stalls(CoreId(0), 10_000_000_000), 0);
    }

    #[test]
    fn stalls_come_at_the_rate_and_lengths_measured() {
        // 1 s of busy time, one stall every 2.5 ms on average: about 400 stalls. The mean of
        // the piecewise-linear lengths is 0.5*15 + 0.4*30 + 0.09*60 + 0.01*140 = 26.3 us.
        let mut m = machine(2_500);
        let mut total = 0;
        for _ in 0..1_000 {
            // Bursts of 1 ms: stalls carry over from one to the next.
            total += m.plan_stalls(CoreId(1), 1_000_000);
            m.stalls_passed(CoreId(1));
        }
        let expected = 400.0 * 26_300.0;
        let got = total as f64;
        assert!(
            (got - expected).abs() < 0.1 * expected,
            "{got} against {expected}"
        );
        // Every length is within the measured range.
        for _ in 0..1_000 {
            let l = m.stall_length();
            assert!((10_000..=200_000).contains(&l), "{l}");
        }
    }

    #[test]
    fn a_burst_stopped_early_gives_back_the_stalls_it_did_not_reach() {
        let mut m = machine(2_500);
        let planned = m.plan_stalls(CoreId(0), 100_000_000);
        let plan = m.cores[0].stalls.clone();
        assert!(plan.len() > 10, "{plan:?}");
        // Stop halfway between two stalls: the later ones are given back, and the next stall
        // now comes after the work that separated the stop from the first of them.
        let (w0, l0) = plan[5];
        let (w1, _) = plan[6];
        let stop = w0 + l0 + (w1 - w0 - l0) / 2;
        let before: u64 = plan[..6].iter().map(|x| x.1).sum();
        let unpassed = m.unplan_stalls(CoreId(0), stop);
        assert_eq!(unpassed, planned - before);
        assert_eq!(m.cores[0].stall_in, w1 - stop);
        assert!(m.cores[0].stalls.is_empty());
        // Stopped inside a stall: its rest is given back too.
        let mut m = machine(2_500);
        let planned = m.plan_stalls(CoreId(0), 100_000_000);
        let (w, l) = m.cores[0].stalls[3];
        let before: u64 = m.cores[0].stalls[..3].iter().map(|x| x.1).sum();
        let unpassed = m.unplan_stalls(CoreId(0), w + l / 2);
        assert_eq!(unpassed, planned - before - l / 2);
    }

    #[test]
    fn a_short_burst_usually_has_none() {
        let mut m = machine(2_500);
        let hit = (0..10_000)
            .filter(|_| {
                let x = m.plan_stalls(CoreId(0), 10_000);
                m.stalls_passed(CoreId(0));
                x > 0
            })
            .count();
        // 10 us of work in 2.5 ms: 0.4% of bursts.
        assert!((20..=60).contains(&hit), "{hit}");
    }
}
