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
    /// Switching a core to a **lean** thread ([`crate::machine::Machine::set_lean`]: one that
    /// runs no interpreter, such as the Rust server's), the kernel's switch alone: its working
    /// set is a few cache lines. Evidence (AMD EPYC, 2026-12-03, `python3
    /// validation/rust/user_time.py`): the Rust server inline on one vCPU spends 12.81 µs of
    /// system time per request in its client and loop, of which the system calls the model
    /// charges on that path are 11.26 µs (`send` twice, `recv` twice, `poll`): 0.78 µs for each
    /// of the request's two switches. Default: `ctx_switch`.
    pub ctx_switch_lean: SimDuration,
    /// Extra delay before a thread woken onto an **idle** core runs (a halted vCPU's exit),
    /// after the waker's `wake_idle_waker`.
    pub wake_idle: SimDuration,
    /// Extra delay before a thread woken onto another, **busy** core is enqueued there (IPI).
    pub wake_busy: SimDuration,
    /// Extra delay before a thread woken onto the **waker's own** core is enqueued.
    pub wake_local: SimDuration,
    /// Random extra delay, uniform in [0, this], added to every wake-up onto another core
    /// (idle or busy): real wake-ups vary, and races between a woken thread and a running one
    /// (who takes a just-released GIL first) go either way. Drawn from a seeded stream.
    pub wake_jitter: SimDuration,
    /// How long a halted vCPU is polled by the host before its thread sleeps (KVM's
    /// `halt_poll_ns`, 200 µs by default on x86): waking a core idle for longer costs
    /// `wake_halted` instead of `wake_idle`. Zero: every idle core counts as deeply halted.
    pub halt_poll: SimDuration,
    /// Delay before a thread woken onto a core idle for longer than `halt_poll` runs, after
    /// the waker's `wake_halted_waker` (the wakee cannot run before the kick is through).
    pub wake_halted: SimDuration,
    /// Random extra delay, uniform in [0, this], of such a wake-up.
    pub wake_halted_jitter: SimDuration,
    /// Extra time the waker spends in the system call that wakes a thread onto a core idle
    /// for longer than `halt_poll` (charged to its next burst).
    pub wake_halted_waker: SimDuration,
    /// Extra time the waker spends in the system call that wakes a thread onto another,
    /// idle core within `halt_poll` (charged to its next burst): kicking an idle vCPU. Live
    /// traces on a host where it is 10 µs: the client's `send` takes 1.7 µs when the loop it
    /// wakes shares its CPU, 14 µs when the loop is on the other one
    /// (`crate::calibrate::wake_probe`).
    pub wake_idle_waker: SimDuration,
    /// How much of a thread's work, at most (nominal ns), runs cold after it starts on a
    /// core idle for longer than `halt_poll`: once the host stops polling the halted vCPU it
    /// runs other work on that CPU, and the caches, TLB and branch predictors are cold when
    /// the vCPU comes back. After `halt_poll + d` of idleness the thread's coldness is
    /// `c = 1 - exp(-d / cold_work_tau)`, and each burst within its next `cold_work` of work
    /// takes `c * (cold_burst + (cold_slowdown - 1) * cold part)` longer. Evidence: live GIL traces of
    /// the lesson's convoy at 5 ms (worker alone on core 1), each GIL hold of the loop, the
    /// client and the light worker right after a wait of over 1 ms against the same segment
    /// in the phase before (medians, 2026-12-02): 2.5 -> 46 µs, 3.5 -> 39, 10.7 -> 48,
    /// 12.5 -> 108, 12.8 -> 97, 14.0 -> 96, 14.3 -> 173, 30 -> 210, 33 -> 214, 42.5 -> 180
    /// (extra ≈ 35 µs + 4.8 × warm, for the first ~100 µs of warm work of a window); and
    /// `src/calibrate/cold_probe.py` (57 µs of Python take 70 µs after 50 µs asleep, 101 after
    /// 1 ms, 176 after 5 ms).
    pub cold_work: SimDuration,
    /// Time constant of how coldness grows with idleness beyond `halt_poll`.
    pub cold_work_tau: SimDuration,
    /// How many times slower cold work runs, fully cold.
    pub cold_slowdown: f64,
    /// The fixed extra of a burst that does cold work, fully cold.
    pub cold_burst: SimDuration,
    /// Whether `cold_burst` is added to every burst of the cold work (true) or to its first
    /// only (false). A host's traces say which: on the Intel host of 2026-12-02, the loop's
    /// first GIL hold after 5 ms of convoy took 90.8 µs against 12 µs warm, and its next
    /// bursts were slowed in proportion to their work with no fixed extra (an `epoll_wait(0)`
    /// 0.9 µs against 0.5, a `recv` 6.8 against 0.9, Python 12.1 against 3.7); the AMD host's
    /// traces measured first holds only, and its convoy at short intervals is matched with the
    /// extra on every burst (213.5 req/s live at 0.2 ms, 258.6 simulated; 426 with the first
    /// burst's only).
    pub cold_burst_each: bool,
    /// How much work (nominal ns) on a core runs slower after the core's vCPU halted, at any
    /// length of idleness (0: none). On a host with no halt-poll window every halt is a
    /// VM exit, and the core's caches and TLB lose part of what the next work needs: the
    /// next `halt_refill_work` of work on that core, whichever threads run it, takes
    /// `halt_refill_slowdown` times as long. Evidence (Intel host, 2026-12-02, one light
    /// client against the process pool, live GIL traces): every segment of the loop, the
    /// client and the manager took 0 to 60% longer, 26% in all, when the worker process ran
    /// on the other vCPU (core 0 halting once per request) than with all on one vCPU (never
    /// halting); the prime core's loop, whose code and data are a few cache lines, ran no
    /// slower after 5 µs to 5 ms asleep, while a Python burst of `ast.parse` and `json`
    /// took 24 µs awake and 30 µs after any sleep (`src/calibrate/refill_probe.py` passes
    /// such a burst between two processes on one vCPU and on two: 30.5 and 37 µs a turn).
    pub halt_refill_work: SimDuration,
    /// How many times as long work takes within `halt_refill_work` of a halt (1: no slower).
    pub halt_refill_slowdown: f64,
    /// The extra time of a thread's first burst of work in a shared memory (an
    /// interpreter's objects, [`crate::machine::MemoryDomain`]) after work in that memory ran
    /// on another core: the lines it needs are in the other core's cache, modified (0: none).
    /// Evidence (same host): two threads of one CPython process passing a token through
    /// pipes, 25 µs of Python each turn, took 10 to 16 µs longer per turn on two vCPUs than
    /// two processes doing the same (which pay the halts only); traced against one vCPU, the
    /// thread pool's and thread-per-connection server's threads took 6 to 8 µs more per run
    /// between two waits than the halts explain.
    pub migration_refill: SimDuration,
    /// Mean busy time of a core between two **stalls** (0: none): moments the vCPU is taken
    /// from the thread on it (the timer tick, other interrupts, exits to the host) and the
    /// thread makes no progress. Stalls come at exponentially distributed intervals of the
    /// core's busy time and lengthen the burst they fall in; their lengths are drawn from the
    /// measured percentiles below, piecewise linearly. Evidence (Intel host, 2026-12-02,
    /// `cargo run --release --example cpu_stalls`: a thread reading the clock in a loop on each
    /// vCPU, gaps over 5 µs): one stall every 2.5 to 2.9 ms of busy time, p50 20 µs, p99 80 µs,
    /// the longest 110 to 390 µs, 0.85% of the CPU. A rare long stall of a thread inside a
    /// waking system call lets the thread it woke take the GIL first: in a live GIL trace of
    /// the thread pool, worker pinned to CPU 1, the worker's self-pipe `send` took 90 µs
    /// (median 11.8 µs), the loop it woke ran 8 µs before the send returned, kept the GIL
    /// through the next request's submit, and CPython started a second worker.
    pub stall_every: SimDuration,
    /// 10th percentile of a stall's length (the shortest drawn).
    pub stall_p10: SimDuration,
    /// Median stall length.
    pub stall_p50: SimDuration,
    /// 90th percentile of a stall's length.
    pub stall_p90: SimDuration,
    /// 99th percentile of a stall's length.
    pub stall_p99: SimDuration,
    /// The longest stall measured (the longest drawn).
    pub stall_max: SimDuration,
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
    /// Whether a woken thread goes back to the core it last ran on even when that core is
    /// busy and another is idle (true), or Linux's upstream placement applies (false: an idle
    /// core if any, else the waker's; see `src/machine/wakeup.rs`). True on this VM kind: its
    /// kernel (6.18.44-fc, booted with `sched_vcpu_pack=15`, not an upstream option) packs
    /// wake-ups onto the vCPUs already in use. Its own trace of validation `15` (AMD EPYC
    /// host, 2026-12-03, seconds 3 to 5.5; the `placement` section of
    /// `python3 src/calibrate/sched_trace.py validation/scenarios/15-tpc-cpu-bound-1.toml 3
    /// 5.5`): woken by a thread on its previous vCPU, that vCPU busy and the other idle, the
    /// light connection thread stayed 328 times of 347 (the light client 296 of 318, the
    /// CPU-bound connection 18 of 23); woken from the other vCPU with both busy, the CPU-bound
    /// connection stayed 12 of 12. Upstream's placement moved the CPU-bound connection 225
    /// times a second in the simulation, where live it ran 95% of its time on one vCPU. Live
    /// still moves about one wake-up in ten; the model none.
    pub wake_on_prev: bool,
    /// The share (0 to 1) of the times a core goes idle with a thread waiting on another
    /// core that it pulls that thread at once (Linux's newidle balance); otherwise the thread
    /// waits for its own core, or a tick's balance, while this one idles. 1: upstream Linux
    /// whenever its gates pass. 0.2 on this VM kind (the packing kernel of `wake_on_prev`;
    /// the gate is not visible: its debugfs is locked). The `idle pulls` section of
    /// `python3 src/calibrate/sched_trace.py FILE 3 5` (AMD EPYC host, 2026-12-03): for
    /// `examples/workloads/hash_uploads.toml` a vCPU went idle beside a waiting thread 837
    /// times and pulled it 148 times (18%), the vCPUs idled 11% of the time, 92% of it beside
    /// a waiting thread (the model pulling always kept them 98% busy, live 78 to 82%); for
    /// validation `03` 2 times of 834, but there the waits end soon (0.05 s of 2.2 s idle).
    /// With 0.2 the matrices' run-queue rows within tolerance go from 42 to 46 (Intel set)
    /// and 35 to 41 (AMD set of 12-03), the rate rows hold (39 to 40, 38 to 39).
    pub idle_pull: f64,
}

impl Default for MachineCosts {
    fn default() -> Self {
        MachineCosts {
            ctx_switch: SimDuration::from_nanos(2_500),
            ctx_switch_lean: SimDuration::from_nanos(2_500),
            wake_idle: SimDuration::from_nanos(17_500),
            wake_busy: SimDuration::from_nanos(7_500),
            wake_local: SimDuration::ZERO,
            wake_jitter: SimDuration::from_micros(10),
            halt_poll: SimDuration::from_micros(200),
            wake_halted: SimDuration::from_micros(67),
            wake_halted_jitter: SimDuration::from_micros(25),
            wake_halted_waker: SimDuration::from_micros(45),
            wake_idle_waker: SimDuration::ZERO,
            cold_work: SimDuration::from_micros(150),
            cold_work_tau: SimDuration::from_micros(2_900),
            cold_slowdown: 6.9,
            cold_burst: SimDuration::from_micros(43),
            cold_burst_each: true,
            halt_refill_work: SimDuration::ZERO,
            halt_refill_slowdown: 1.0,
            migration_refill: SimDuration::ZERO,
            stall_every: SimDuration::ZERO,
            stall_p10: SimDuration::ZERO,
            stall_p50: SimDuration::ZERO,
            stall_p90: SimDuration::ZERO,
            stall_p99: SimDuration::ZERO,
            stall_max: SimDuration::ZERO,
            tick: SimDuration::from_millis(4),
            sched_latency: SimDuration::from_millis(12),
            min_granularity: SimDuration::from_micros(1_500),
            wakeup_granularity: SimDuration::from_millis(2),
            base_slice: SimDuration::from_micros(700),
            wake_on_prev: true,
            idle_pull: 0.2,
        }
    }
}

impl MachineCosts {
    /// How cold (0 to 1) a thread is that starts on a core idle for `idle` ns (see
    /// [`MachineCosts::cold_work`]): 0 within the halt-poll window.
    pub fn coldness_after(&self, idle: u64) -> f64 {
        if idle <= self.halt_poll.0 || self.cold_work.0 == 0 {
            return 0.0;
        }
        let d = (idle - self.halt_poll.0) as f64;
        1.0 - (-d / self.cold_work_tau.0.max(1) as f64).exp()
    }
}
