//! The machine under EEVDF (`scheduler = "eevdf"`): scripted threads on cores, driven through
//! the kernel with no interpreter and no service (see `tests/common/mod.rs`).
//!
//! Every expected time is a closed form of the configured costs, with the wake-up jitter
//! off: `c` the context switch, `wi`/`wb` the wake-up latency onto an idle and a busy core,
//! ticks every `tick`. On one core the slice is the base slice, 0.7 ms (scaled by
//! `1 + ilog2(1)`). Virtual times are written `v(X)`; with every thread at nice 0 a core's
//! virtual time `V` is the plain average of its threads' virtual runtimes. Each test states
//! how its times follow from the rules of `src/machine/eevdf.rs`.

mod common;

use common::MachineAct::{Block, Compute};
use common::{
    at, exact_machine_costs, ms, run_to, timeline, two_cpu_bound_threads, us, wake_at,
    ScriptedMachine, Seen, FOREVER,
};
use execsim::kernel::{SimDuration, SimTime, Simulation};
use execsim::machine::{CoreId, MachineCosts, Notice, SchedulerKind, ThreadId};
use execsim::sim::scenario::Scenario;

/// One core under EEVDF with `costs`: CPU-bound X woken at 0, and T following `script`,
/// woken at each of `wakes`; run to `until`.
fn hog_and_sleeper(
    costs: MachineCosts,
    script: &[common::MachineAct],
    wakes: &[SimTime],
    until: SimTime,
) -> (Simulation<ScriptedMachine>, ThreadId, ThreadId) {
    let mut sim = ScriptedMachine::sim_with(1, costs, SchedulerKind::Eevdf);
    let x = sim.model.thread(&[], &[Compute(FOREVER)]);
    let t = sim.model.thread(&[], script);
    wake_at(&mut sim, x, SimTime::ZERO);
    for &w in wakes {
        wake_at(&mut sim, t, w);
    }
    run_to(&mut sim, until);
    (sim, x, t)
}

#[test]
fn two_cpu_bound_threads_share_a_core_in_turns_of_one_tick_when_the_slice_is_shorter() {
    let costs = exact_machine_costs();
    let (c, wi, wb, tick) = (
        costs.ctx_switch,
        costs.wake_idle,
        costs.wake_busy,
        costs.tick,
    );
    // A runs from `wi` (its first request is half a slice: deadline 350 us). B arrives at
    // 1 ms + wb, when v(A) = 1 ms + wb - wi = 990 us: A's request is renewed (deadline
    // 1690 us) and its protected slice is over. B is placed at V = 990 us with half a slice
    // (deadline 1340 us): both are eligible, B's deadline is earlier, so B preempts at once.
    // From then on the one running is preempted at each tick (4 ms): its protected slice
    // (0.7 ms) is long over and it is ahead of the other, so no longer eligible.
    let t = |k: u64| at(SimDuration(k * tick.0));
    let (sim, a, b) = two_cpu_bound_threads(SchedulerKind::Eevdf, costs, t(5));
    let b_in = at(ms(1) + wb);
    assert_eq!(
        timeline(&sim.model.log),
        vec![
            (at(wi + c), Notice::Idle(a)),
            (b_in, Notice::Preempted(a)),
            (b_in + c, Notice::Idle(b)),
            (t(1), Notice::Preempted(b)),
            (t(1) + c, Notice::Resumed(a)),
            (t(2), Notice::Preempted(a)),
            (t(2) + c, Notice::Resumed(b)),
            (t(3), Notice::Preempted(b)),
            (t(3) + c, Notice::Resumed(a)),
            (t(4), Notice::Preempted(a)),
            (t(4) + c, Notice::Resumed(b)),
            (t(5), Notice::Preempted(b)),
        ]
    );
    // Half and half: each has had two whole turns (a tick less a switch) and its first one.
    let turn = tick.0 - c.0;
    let m = &sim.model.machine;
    assert_eq!(m.cpu_time(a).0, 2 * turn + (ms(1) + wb).0 - (wi + c).0);
    assert_eq!(m.cpu_time(b).0, 2 * turn + tick.0 - (ms(1) + wb + c).0);
}

#[test]
fn two_cpu_bound_threads_share_a_core_in_turns_of_one_slice_with_a_tick_that_divides_it() {
    let costs = MachineCosts {
        tick: us(100),
        ..exact_machine_costs()
    };
    let (c, wi, wb, slice) = (
        costs.ctx_switch,
        costs.wake_idle,
        costs.wake_busy,
        costs.base_slice,
    );
    // As above to B's arrival at 1 ms + wb (v(A) = v(B) = 990 us; deadlines 1690 and
    // 1340 us). B's protected slice ends at v(B) = 1340 us, and the next tick, at 1.4 ms,
    // renews its request (deadline 2082.5 us): A, behind and eligible, has the earlier
    // deadline and takes the core. From then on each runs exactly one slice (seven ticks)
    // from the tick it got the core: its protected slice ends on a tick, where it renews its
    // request one slice past the other's, and is ahead.
    let (sim, a, b) = two_cpu_bound_threads(SchedulerKind::Eevdf, costs, at(ms(20)));
    let log = timeline(&sim.model.log);
    let switches: Vec<_> = log
        .iter()
        .filter(|(_, n)| matches!(n, Notice::Preempted(_)))
        .copied()
        .collect();
    let mut expected = vec![(at(ms(1) + wb), Notice::Preempted(a))];
    for k in 0..27 {
        let who = if k % 2 == 0 { b } else { a };
        expected.push((
            at(us(1400) + SimDuration(k * slice.0)),
            Notice::Preempted(who),
        ));
    }
    assert_eq!(switches, expected);
    // At 19.6 ms (a switch), each has had its share within one slice: the core was busy
    // but for A's wake-up and 28 context switches.
    let m = &sim.model.machine;
    let (ca, cb) = (m.cpu_time(a).0, m.cpu_time(b).0);
    assert!(ca.abs_diff(cb) <= slice.0, "{ca} {cb}");
    assert_eq!(ca + cb, us(19_600).0 - wi.0 - 28 * c.0);
}

#[test]
fn a_woken_thread_runs_once_the_running_threads_protected_slice_is_over() {
    // X runs from wi with its first request (deadline 350 us, protected to there). T, woken
    // at 100 us, arrives at 100 us + wb with v(X) = 90 us: T is placed at V = 90 us,
    // deadline 440 us. Both are eligible and T's deadline is earlier, but X's slice is
    // protected (run to parity): T waits. X's protected slice ends at v(X) = 350 us, that is
    // at 367.5 us; the next tick reschedules and T, with the earlier deadline, runs.
    // - With a 250 us tick that is at 500 us, before V reaches T's deadline (440 us: at
    //   v(X) = 790 us, 807.5 us): T gets the core no later than its deadline.
    // - With the default 4 ms tick it is at 4 ms: Linux without HRTICK checks slices only at
    //   ticks, so a deadline is kept to within a tick.
    for (tick, runs_at) in [(us(250), us(500)), (ms(4), ms(4))] {
        let costs = MachineCosts {
            tick,
            ..exact_machine_costs()
        };
        let (c, wi) = (costs.ctx_switch, costs.wake_idle);
        let (sim, x, t) = hog_and_sleeper(costs, &[Compute(us(100))], &[at(us(100))], at(ms(5)));
        assert_eq!(
            timeline(&sim.model.log),
            vec![
                (at(wi + c), Notice::Idle(x)),
                (at(runs_at), Notice::Preempted(x)),
                (at(runs_at + c), Notice::Idle(t)),
                (at(runs_at + c + us(100)), Notice::Idle(t)),
                (at(runs_at + c + us(100) + c), Notice::Resumed(x)),
            ]
        );
    }
}

#[test]
fn lag_is_kept_across_a_short_sleep() {
    // Lag is kept across a sleep of any length (Linux 6.18 has no lag decay); here, 95 us.
    // T's first wake-up is as above with a 4 ms tick: zero lag, so it waits for the tick. It
    // runs 100 us (v(T) = 90 + 102.5 us, the switch included) and blocks at 4.1025 ms, when
    // v(X) = 3982.5 us: V = 2087.5 us, so T leaves owed 1895 us (positive lag: eligible, so
    // no delayed dequeue). X gets the core back, with a new protected slice. T, woken at
    // 4.2 ms, arrives at 4.2075 ms (v(X) = 4087.5 us) and is placed at V - 2 x 1895 us
    // (the lag scaled by (n + 1) / n, n = 1) = 297.5 us. X, at 4087.5 us, is now above the
    // average (2192.5 us): not eligible, so its protected slice does not count, and T
    // preempts at once. With its lag dropped T would have waited for the 8 ms tick, as its
    // first wake-up waited for the 4 ms one.
    let costs = exact_machine_costs();
    let (c, wb) = (costs.ctx_switch, costs.wake_busy);
    let script = [Compute(us(100)), Block, Compute(us(100))];
    let wakes = [at(us(100)), at(us(4200))];
    let (sim, x, t) = hog_and_sleeper(costs, &script, &wakes, at(ms(10)));
    let back = at(us(4200) + wb);
    assert_eq!(
        timeline(&sim.model.log)[1..],
        [
            (at(ms(4)), Notice::Preempted(x)),
            (at(ms(4) + c), Notice::Idle(t)),
            (at(ms(4) + c + us(100)), Notice::Idle(t)),
            (at(ms(4) + c + us(100) + c), Notice::Resumed(x)),
            (back, Notice::Preempted(x)),
            (back + c, Notice::Idle(t)),
            (back + c + us(100), Notice::Idle(t)),
            (back + c + us(100) + c, Notice::Resumed(x)),
        ]
    );
}

#[test]
fn a_thread_that_blocks_owing_service_is_woken_on_the_core_that_still_holds_it() {
    // Two cores. X (core 0 only) runs from wi; Z (core 1 only) runs 3 ms from wi. T (any
    // core), woken at 1 ms with both cores busy, goes to core 0 and preempts X, as B does
    // in the first test. T runs 300 us and blocks at 1.31 ms ahead of X (v(T) = 1292.5 us,
    // v(X) = 990 us): not eligible, so it stays on core 0's books (delayed dequeue). Z
    // blocks at 3.02 ms: core 1 is idle. T, woken at 3.5 ms, is still held by core 0: the
    // wake-up sends it there (a busy core: wb), not to idle core 1. By then it is owed
    // service, so it is placed anew at V = v(X) with a new request; X's request is renewed
    // at the same instant, so their deadlines tie and T, not running, wins: it preempts X.
    let costs = exact_machine_costs();
    let (c, wi, wb) = (costs.ctx_switch, costs.wake_idle, costs.wake_busy);
    let mut sim = ScriptedMachine::sim_with(2, costs, SchedulerKind::Eevdf);
    let x = sim.model.thread(&[CoreId(0)], &[Compute(FOREVER)]);
    let z = sim.model.thread(&[CoreId(1)], &[Compute(ms(3)), Block]);
    let t = sim
        .model
        .thread(&[], &[Compute(us(300)), Block, Compute(us(300))]);
    wake_at(&mut sim, x, SimTime::ZERO);
    wake_at(&mut sim, z, SimTime::ZERO);
    wake_at(&mut sim, t, at(ms(1)));
    wake_at(&mut sim, t, at(us(3500)));
    run_to(&mut sim, at(ms(5)));
    let t_in = at(ms(1) + wb + c);
    assert_eq!(
        sim.model.seen(t),
        vec![
            Seen {
                time: t_in,
                notice: Notice::Idle(t),
                core: Some(CoreId(0)),
            },
            Seen {
                time: t_in + us(300),
                notice: Notice::Idle(t),
                core: Some(CoreId(0)),
            },
            Seen {
                time: at(us(3500) + wb + c),
                notice: Notice::Idle(t),
                core: Some(CoreId(0)),
            },
            Seen {
                time: at(us(3500) + wb + c + us(300)),
                notice: Notice::Idle(t),
                core: Some(CoreId(0)),
            },
        ]
    );
    assert_eq!(
        sim.model.seen(z)[1].time,
        at(wi + c + ms(3)),
        "core 1 idle from here"
    );
}

#[test]
fn the_scheduler_key_chooses_the_policy_and_eevdf_is_the_default() {
    let base = "seed = 1\nduration = \"1s\"\n[server]\nkind = \"asyncio\"\nexecutor = \"thread\"\n[[clients]]\nname = \"a\"\nn = 1\n";
    let with = |machine: &str| format!("{base}[machine]\n{machine}\n");
    let kind = |text: &str| Scenario::from_toml(text).map(|s| s.machine.scheduler);
    assert_eq!(kind(base).unwrap(), SchedulerKind::Eevdf);
    assert_eq!(
        kind(&with("scheduler = \"cfs\"")).unwrap(),
        SchedulerKind::Cfs
    );
    assert_eq!(
        kind(&with("scheduler = \"eevdf\"")).unwrap(),
        SchedulerKind::Eevdf
    );
    let err = kind(&with("scheduler = \"bfs\"")).unwrap_err().to_string();
    assert!(err.contains("machine.scheduler"), "{err}");
    // base_slice is optional: files without it load with 0.7 ms (Linux 6.15 on).
    let costs = "[costs.machine]\nbase_slice = \"1ms\"\n";
    let s = Scenario::from_toml(&format!("{base}{costs}")).unwrap();
    assert_eq!(s.costs.machine.unwrap().base_slice, ms(1));
    assert_eq!(MachineCosts::default().base_slice, us(700));
}
