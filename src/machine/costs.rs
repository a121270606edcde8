//! The machine's costs and the scheduler's tunables.

use crate::kernel::SimDuration;
use serde::{Deserialize, Serialize};

/// Costs and tunables of the OS scheduler and the CPUs. Defaults: a 2-vCPU Linux VM with
/// HZ=250, as measured in `docs/model.md` section 5.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MachineCosts {
    /// Switching a core to a different thread (saving and loading state, cache refill).
    pub ctx_switch: SimDuration,
    /// Extra delay before a thread woken onto an **idle** core runs (a halted vCPU's exit).
    pub wake_idle: SimDuration,
    /// Extra delay before a thread woken onto another, **busy** core is enqueued there (IPI).
    pub wake_busy: SimDuration,
    /// Extra delay before a thread woken onto the **waker's own** core is enqueued.
    pub wake_local: SimDuration,
    /// Random extra delay, uniform in [0, this], added to every wake-up onto another core
    /// (idle or busy): real wake-ups vary, and races between a woken thread and a running one
    /// (who takes a just-released GIL first) go either way. Drawn from a seeded stream.
    pub wake_jitter: SimDuration,
    /// The timer tick (1/HZ).
    pub tick: SimDuration,
    /// CFS target latency: the period within which every runnable thread should run once.
    pub sched_latency: SimDuration,
    /// CFS minimum slice.
    pub min_granularity: SimDuration,
    /// CFS wakeup preemption threshold.
    pub wakeup_granularity: SimDuration,
    /// EEVDF base slice (Linux's `normalized_sysctl_sched_base_slice`): the request a thread
    /// makes each time it starts one. Scaled by `1 + ilog2(min(cores, 8))` as
    /// `update_sysctl` does: 0.7 ms is 1.4 ms on 2 cores. Linux's default from 6.15 on
    /// (commit 2ae891b82695, also backported to 6.6 stable; 0.75 ms before). CFS ignores
    /// it.
    pub base_slice: SimDuration,
}

impl Default for MachineCosts {
    fn default() -> Self {
        MachineCosts {
            ctx_switch: SimDuration::from_nanos(2_500),
            wake_idle: SimDuration::from_nanos(17_500),
            wake_busy: SimDuration::from_nanos(7_500),
            wake_local: SimDuration::ZERO,
            wake_jitter: SimDuration::from_micros(10),
            tick: SimDuration::from_millis(4),
            sched_latency: SimDuration::from_millis(12),
            min_granularity: SimDuration::from_micros(1_500),
            wakeup_granularity: SimDuration::from_millis(2),
            base_slice: SimDuration::from_micros(700),
        }
    }
}
