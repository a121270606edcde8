//! The host's cold start measured in each live run: how much longer the request path takes
//! right after its vCPU halted, and the cold-start keys of the simulation scaled to it.
//!
//! **Why.** When a vCPU halts, the host runs other work on that CPU, and the caches, TLB and
//! branch predictors the interpreter left there are partly gone when the vCPU comes back
//! ([`MachineCosts::cold_work`] models what that costs the next work). How much is lost
//! depends on what else the host runs, not on the VM: on the Intel Xeon host of this VM
//! kind, live GIL traces of the 5 ms convoy (worker alone on CPU 1) measured the event
//! loop's first GIL hold after its wait at 90.8 µs against 12 µs warm on 2026-12-02, and at
//! 23 µs against 14 µs on 2026-12-03; over a whole request the loop held the GIL 130 µs
//! against 75 µs warm on 12-03 (1 ms to 20 ms intervals alike: `compare --gil` traces of
//! `04`-`07`), where the keys measured on 12-02 simulate 340 to 460 µs. A calibration
//! measured on one day is wrong on the other, so each run measures it.
//!
//! **How.** Before the clients start, the reference service (`probe_cold`) times single
//! asyncio round trips on loopback, thread CPU time (cache misses count, waits do not):
//! back to back, and right after its thread slept [`PROBE_IDLE_NS`]; the medians of each
//! ([`ColdProbe`]). `compare` reports it next to what the model gives the same round trip
//! after the same idleness ([`model_extra_ns`]), so a run on a colder or warmer host than
//! the calibration's says so.
//!
//! **Reported, not applied.** Scaling the model's cold-start keys by the probe was tried on
//! a one-repetition matrix of all 24 scenarios on 2026-12-03 (a host whose prime-core probe
//! moved between 0.88 and 1.61 times the calibration's within minutes): the probe ranged
//! from +10 to +200 µs from one launch to the next, and scaling by it brought 24 of 46 rows
//! within 15% against 21 of 46 without it, but 6 of 18 latency percentiles against 10. A
//! measurement that noisy does not decide the model's keys; it is recorded in each run's
//! `host_speed.cold` and printed.
//!
//! ```
//! use execsim::live::cold_start::{model_extra_ns, ColdProbe};
//! use execsim::machine::MachineCosts;
//! let probe = ColdProbe { warm_ns: 15_000.0, cold_ns: 24_000.0 };
//! assert_eq!(probe.extra_ns(), 9_000.0);
//! // A machine without a cold start gives the probe's round trip nothing extra.
//! let warm = MachineCosts { cold_work: execsim::kernel::SimDuration(0), ..MachineCosts::default() };
//! assert_eq!(model_extra_ns(&warm, probe.warm_ns), 0.0);
//! ```

use crate::live::stats::median;
use crate::machine::MachineCosts;
use serde::{Deserialize, Serialize};

/// How long the probe's thread sleeps before each cold round trip (the service's
/// `COLD_PROBE_IDLE_S`), ns.
pub const PROBE_IDLE_NS: u64 = 5_000_000;

/// System calls in one probe round trip (two `send`s, two `epoll_wait`s, two `recv`s): its
/// bursts, each paying `cold_burst` on a host whose traces put it on every burst.
pub const PROBE_BURSTS: f64 = 6.0;

/// One run's cold-start probe: median thread CPU time of one round trip, ns.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct ColdProbe {
    /// Back to back.
    pub warm_ns: f64,
    /// Right after the thread slept [`PROBE_IDLE_NS`].
    pub cold_ns: f64,
}

impl ColdProbe {
    /// What the idleness cost the round trip, ns (never negative).
    pub fn extra_ns(&self) -> f64 {
        (self.cold_ns - self.warm_ns).max(0.0)
    }

    /// The median of several runs' probes (each of `warm_ns` and `cold_ns`), None for none.
    pub fn median(probes: &[ColdProbe]) -> Option<ColdProbe> {
        if probes.is_empty() {
            return None;
        }
        let med = |f: fn(&ColdProbe) -> f64| median(&probes.iter().map(f).collect::<Vec<_>>());
        Some(ColdProbe {
            warm_ns: med(|p| p.warm_ns),
            cold_ns: med(|p| p.cold_ns),
        })
    }
}

/// The extra the model gives the probe's round trip (`warm_ns` of work after
/// [`PROBE_IDLE_NS`] of idleness) with `costs`' cold-start keys, ns: the coldness after that
/// idleness times the fixed extra (once, or per burst) and the slowdown of the cold part.
pub fn model_extra_ns(costs: &MachineCosts, warm_ns: f64) -> f64 {
    let c = costs.coldness_after(PROBE_IDLE_NS);
    let bursts = if costs.cold_burst_each {
        PROBE_BURSTS
    } else {
        1.0
    };
    let cold_part = warm_ns.min(costs.cold_work.0 as f64);
    c * (costs.cold_burst.0 as f64 * bursts + (costs.cold_slowdown - 1.0).max(0.0) * cold_part)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::SimDuration;

    #[test]
    fn the_model_extra_follows_the_keys() {
        let costs = MachineCosts::default();
        let c = costs.coldness_after(PROBE_IDLE_NS);
        let bursts = if costs.cold_burst_each {
            PROBE_BURSTS
        } else {
            1.0
        };
        let warm: f64 = 15_000.0;
        let expect = c
            * (costs.cold_burst.0 as f64 * bursts
                + (costs.cold_slowdown - 1.0).max(0.0) * warm.min(costs.cold_work.0 as f64));
        assert_eq!(model_extra_ns(&costs, warm), expect);
        // Twice the burst adds the burst's share once more.
        let mut twice = costs;
        twice.cold_burst = SimDuration(costs.cold_burst.0 * 2);
        let more = model_extra_ns(&twice, warm) - expect;
        assert!((more - c * costs.cold_burst.0 as f64 * bursts).abs() < 1e-6);
    }

    #[test]
    fn the_median_takes_each_side_apart() {
        let p = |w, c| ColdProbe {
            warm_ns: w,
            cold_ns: c,
        };
        let m = ColdProbe::median(&[p(1.0, 9.0), p(3.0, 5.0), p(2.0, 7.0)]).unwrap();
        assert_eq!(m, p(2.0, 7.0));
        assert_eq!(ColdProbe::median(&[]), None);
    }
}
