//! The machine on its own: scripted threads on cores under CFS (and halted vCPUs), driven through the kernel
//! with no interpreter and no service (see `tests/common/mod.rs`).
//!
//! Every expected time is a closed form of the configured costs, with the wake-up jitter
//! off: `c` the context switch, `wi`/`wb`/`wl` the wake-up latency onto an idle core, a busy
//! core and the waker's own core, ticks every `tick`. Each test states how its times follow
//! from the rules of `src/machine/` (placement, wake-up cost, CFS slices and preemption,
//! balancing).

mod common;

use common::MachineAct::{Block, Compute, Wake};
use common::{
    at, exact_machine_costs, just_before, ms, run_to, timeline, two_cpu_bound_threads, us, wake_at,
    ScriptedMachine, Seen, FOREVER,
};
use execsim::kernel::{SimDuration, SimTime, Simulation};
use execsim::machine::{CoreId, MachineCosts, Notice, SchedulerKind, ThreadId, ThreadRunState};

#[test]
fn two_cpu_bound_threads_on_one_core_take_turns_every_two_ticks() {
    let costs = exact_machine_costs();
    let (c, wi, tick) = (costs.ctx_switch, costs.wake_idle, costs.tick);
    // The slice of each of 2 runnable threads: max(sched_latency / 2, min_granularity) =
    // 6 ms. Preemption happens only at a tick, once the slice is used and the other thread
    // has less virtual runtime: at the first tick at least 6 ms after getting the core, so
    // every ceil(6 / 4) ticks = 8 ms. A starts at `wi` (woken onto the idle core); B, woken
    // at 1 ms onto the busy core with virtual runtime 0 (sleeper credit floors at 0), does
    // not preempt A, whose lead (under 1 ms) is below wakeup_granularity (2 ms). From then
    // on the two trail each other by `wi` of virtual runtime, which never delays a switch.
    let slice = (costs.sched_latency.0 / 2).max(costs.min_granularity.0);
    let period = SimDuration(slice.div_ceil(tick.0) * tick.0);
    assert_eq!(period, ms(8));
    let t = |k: u64| at(SimDuration(k * period.0));
    let (sim, a, b) = two_cpu_bound_threads(SchedulerKind::Cfs, costs, t(5));
    assert_eq!(
        timeline(&sim.model.log),
        vec![
            (at(wi + c), Notice::Idle(a)),
            (t(1), Notice::Preempted(a)),
            (t(1) + c, Notice::Idle(b)),
            (t(2), Notice::Preempted(b)),
            (t(2) + c, Notice::Resumed(a)),
            (t(3), Notice::Preempted(a)),
            (t(3) + c, Notice::Resumed(b)),
            (t(4), Notice::Preempted(b)),
            (t(4) + c, Notice::Resumed(a)),
            (t(5), Notice::Preempted(a)),
        ]
    );
    // CPU time: each turn minus its context switch; A's first turn starts at `wi`.
    let turn = SimDuration(period.0 - c.0);
    assert_eq!(
        sim.model.machine.cpu_time(a),
        SimDuration(3 * turn.0 - wi.0)
    );
    assert_eq!(sim.model.machine.cpu_time(b), SimDuration(2 * turn.0));
}

#[test]
fn a_longer_target_latency_gives_longer_turns_rounded_up_to_ticks() {
    let costs = MachineCosts {
        sched_latency: ms(24),
        ..exact_machine_costs()
    };
    let c = costs.ctx_switch;
    // Slice 12 ms, so a turn needs 12 ms on the core and ends at the next tick (every 4 ms)
    // at which the other thread trails. A (from `wi`) is preempted at 16 ms. B, starting at
    // virtual runtime 0 against A's 16 ms - wi, has used its slice at 28 ms but still
    // trails A, so it runs to 32 ms. From then on the two trail each other by `wi` and
    // switch every 12 ms: 44, 56, 68 ms.
    let (sim, a, b) = two_cpu_bound_threads(SchedulerKind::Cfs, costs, at(ms(68)));
    let log = timeline(&sim.model.log);
    let switches: Vec<_> = log
        .iter()
        .filter(|(_, n)| matches!(n, Notice::Preempted(_)))
        .copied()
        .collect();
    assert_eq!(
        switches,
        vec![
            (at(ms(16)), Notice::Preempted(a)),
            (at(ms(32)), Notice::Preempted(b)),
            (at(ms(44)), Notice::Preempted(a)),
            (at(ms(56)), Notice::Preempted(b)),
            (at(ms(68)), Notice::Preempted(a)),
        ]
    );
    assert!(log.contains(&(at(ms(16)) + c, Notice::Idle(b))));
    assert!(log.contains(&(at(ms(56)) + c, Notice::Resumed(a))));
}

#[test]
fn a_wakeup_onto_an_idle_core_costs_wake_idle() {
    let costs = exact_machine_costs();
    let (c, wi) = (costs.ctx_switch, costs.wake_idle);
    let mut sim = ScriptedMachine::sim(2, costs);
    let t = sim.model.thread(&[], &[Compute(ms(1))]);
    wake_at(&mut sim, t, at(ms(1)));
    run_to(&mut sim, just_before(at(ms(1) + wi)));
    assert_eq!(sim.model.machine.state(t), ThreadRunState::Waking);
    assert_eq!(sim.model.machine.incoming(CoreId(0)), 1);
    run_to(&mut sim, at(ms(3)));
    // Placement: no previous core, so the first allowed one, idle. Then a context switch.
    assert_eq!(
        sim.model.seen(t),
        vec![
            Seen {
                time: at(ms(1) + wi + c),
                notice: Notice::Idle(t),
                core: Some(CoreId(0)),
            },
            Seen {
                time: at(ms(2) + wi + c),
                notice: Notice::Idle(t),
                core: Some(CoreId(0)),
            },
        ]
    );
}

#[test]
fn a_wakeup_onto_a_busy_core_costs_wake_busy_and_preempts_a_long_runner() {
    let costs = exact_machine_costs();
    let (c, wb) = (costs.ctx_switch, costs.wake_busy);
    let mut sim = ScriptedMachine::sim(1, costs);
    let x = sim.model.thread(&[], &[Compute(FOREVER)]);
    let t = sim.model.thread(&[], &[Compute(ms(1))]);
    wake_at(&mut sim, x, SimTime::ZERO);
    wake_at(&mut sim, t, at(ms(3)));
    run_to(&mut sim, just_before(at(ms(3) + wb)));
    assert_eq!(sim.model.machine.state(t), ThreadRunState::Waking);
    run_to(&mut sim, at(ms(3) + wb + c));
    // T arrives `wb` after the wake-up. X has run ~3 ms of virtual time, T gets
    // max(0, 3 ms - sched_latency / 2) = 0: X leads by more than wakeup_granularity (2 ms),
    // so T preempts at once and runs after a context switch.
    let log = timeline(&sim.model.log);
    assert_eq!(
        &log[1..],
        &[
            (at(ms(3) + wb), Notice::Preempted(x)),
            (at(ms(3) + wb + c), Notice::Idle(t)),
        ]
    );
}

#[test]
fn a_wakeup_onto_the_wakers_own_core_costs_wake_local() {
    let costs = MachineCosts {
        wake_local: us(1),
        ..exact_machine_costs()
    };
    let (c, wi, wl) = (costs.ctx_switch, costs.wake_idle, costs.wake_local);
    let mut sim = ScriptedMachine::sim(1, costs);
    let t = sim.model.thread(&[], &[Compute(ms(1))]);
    let w = sim.model.thread(&[], &[Compute(ms(1)), Wake(t), Block]);
    wake_at(&mut sim, w, SimTime::ZERO);
    run_to(&mut sim, at(ms(3)));
    // W runs from wi + c for 1 ms, wakes T and blocks. T's target is W's core (its
    // previous core is taken and there is no other): the local cost, then a context switch
    // (the core last ran W).
    let woken = wi + c + ms(1);
    assert_eq!(
        timeline(&sim.model.seen(t)),
        vec![
            (at(woken + wl + c), Notice::Idle(t)),
            (at(woken + wl + c + ms(1)), Notice::Idle(t)),
        ]
    );
}

#[test]
fn threads_stay_on_their_allowed_cores_even_with_another_core_idle() {
    let costs = exact_machine_costs();
    let (c, wi, tick) = (costs.ctx_switch, costs.wake_idle, costs.tick);
    let mut sim = ScriptedMachine::sim(2, costs);
    let x = sim.model.thread(&[CoreId(1)], &[Compute(FOREVER)]);
    let y = sim.model.thread(&[CoreId(1)], &[Compute(FOREVER)]);
    wake_at(&mut sim, x, SimTime::ZERO);
    wake_at(&mut sim, y, at(ms(1)));
    run_to(&mut sim, at(ms(24)));
    // Both go to core 1 (their only core) although core 0 is idle all along: no placement,
    // tick balance or idle pull moves them. They share core 1 in 8 ms turns, as two threads
    // on a single core do.
    let m = &sim.model.machine;
    assert_eq!(m.core_busy(CoreId(0)), SimDuration::ZERO);
    assert!(sim.model.log.iter().all(|s| s.core == Some(CoreId(1))));
    assert_eq!(
        timeline(&sim.model.log),
        vec![
            (at(wi + c), Notice::Idle(x)),
            (at(tick + tick), Notice::Preempted(x)),
            (at(tick + tick + c), Notice::Idle(y)),
            (at(ms(16)), Notice::Preempted(y)),
            (at(ms(16) + c), Notice::Resumed(x)),
            (at(ms(24)), Notice::Preempted(x)),
        ]
    );
    // Busy all along but for X's wake-up and the three context switches (a core counts a
    // burst when it ends or is cut).
    assert_eq!(
        m.core_busy(CoreId(1)),
        SimDuration(ms(24).0 - wi.0 - 3 * c.0)
    );
}

#[test]
fn with_wake_on_prev_a_woken_thread_queues_on_its_busy_core_beside_an_idle_one() {
    // Z is woken while X's wake-up is on its way to core 0, their first allowed core: with
    // this VM kind's placement (`wake_on_prev`, the defaults) Z queues behind X although core
    // 1 is idle; with upstream Linux's it takes idle core 1.
    for (on_prev, z_core) in [(true, None), (false, Some(CoreId(1)))] {
        let costs = MachineCosts {
            wake_on_prev: on_prev,
            ..exact_machine_costs()
        };
        let mut sim = ScriptedMachine::sim(2, costs);
        let x = sim.model.thread(&[], &[Compute(FOREVER)]);
        let z = sim.model.thread(&[], &[Compute(ms(3)), Block]);
        wake_at(&mut sim, x, SimTime::ZERO);
        wake_at(&mut sim, z, SimTime::ZERO);
        run_to(&mut sim, at(ms(1)));
        let m = &sim.model.machine;
        assert_eq!(m.running_on(CoreId(0)), Some(x), "wake_on_prev = {on_prev}");
        assert_eq!(m.running_on(CoreId(1)).map(|_| CoreId(1)), z_core);
        if on_prev {
            assert_eq!(m.queued(CoreId(0)), &[z]);
        }
    }
}

/// Two cores: X computes forever and Z computes 3 ms then blocks, both woken at 0; Y, woken at
/// 1 ms, computes forever. Returns the machine and `[x, y, z]`.
fn waiting_beside_a_blocker(costs: MachineCosts) -> (Simulation<ScriptedMachine>, [ThreadId; 3]) {
    let mut sim = ScriptedMachine::sim(2, costs);
    let x = sim.model.thread(&[], &[Compute(FOREVER)]);
    let z = sim.model.thread(&[], &[Compute(ms(3)), Block]);
    let y = sim.model.thread(&[], &[Compute(FOREVER)]);
    wake_at(&mut sim, x, SimTime::ZERO);
    wake_at(&mut sim, z, SimTime::ZERO);
    wake_at(&mut sim, y, at(ms(1)));
    (sim, [x, y, z])
}

#[test]
fn a_core_going_idle_pulls_a_thread_waiting_on_another_core() {
    let costs = exact_machine_costs();
    let (c, wi) = (costs.ctx_switch, costs.wake_idle);
    let (mut sim, [x, y, z]) = waiting_beside_a_blocker(costs);
    run_to(&mut sim, at(ms(2)));
    // X takes core 0; Z, finding core 0 with a wake-up in flight, takes idle core 1. Y,
    // woken at 1 ms with both cores busy, queues on core 0 (its first allowed core), behind
    // X, which leads it by less than wakeup_granularity.
    let m = &sim.model.machine;
    assert_eq!(m.queued(CoreId(0)), &[y]);
    assert_eq!(m.running_on(CoreId(1)), Some(z));
    run_to(&mut sim, at(ms(20)));
    // Z blocks after 3 ms of work: core 1 pulls Y at once (a context switch).
    assert_eq!(
        sim.model.seen(y),
        vec![Seen {
            time: at(wi + c + ms(3) + c),
            notice: Notice::Idle(y),
            core: Some(CoreId(1)),
        }]
    );
    assert_eq!(
        timeline(&sim.model.seen(x)),
        vec![(at(wi + c), Notice::Idle(x))]
    );
}

#[test]
fn a_core_that_does_not_pull_idles_until_the_busy_cores_tick() {
    // The same three threads on a machine whose idle cores never pull (`idle_pull = 0`, the
    // packing kernel's behaviour at its extreme): when Z blocks, core 1 idles beside Y, which
    // waits in core 0's queue until core 0's tick at 4 ms moves it there.
    let costs = MachineCosts {
        idle_pull: 0.0,
        ..exact_machine_costs()
    };
    let (c, tick) = (costs.ctx_switch, costs.tick);
    let (mut sim, [_, y, _]) = waiting_beside_a_blocker(costs);
    run_to(&mut sim, at(ms(20)));
    assert_eq!(
        sim.model.seen(y),
        vec![Seen {
            time: at(tick + c),
            notice: Notice::Idle(y),
            core: Some(CoreId(1)),
        }]
    );
}

#[test]
fn a_tick_moves_a_preempted_thread_to_an_idle_core() {
    let costs = exact_machine_costs();
    let (c, wi, wb, tick) = (
        costs.ctx_switch,
        costs.wake_idle,
        costs.wake_busy,
        costs.tick,
    );
    let mut sim = ScriptedMachine::sim(2, costs);
    let x = sim.model.thread(&[], &[Compute(ms(5))]);
    let y = sim.model.thread(&[CoreId(0)], &[Compute(FOREVER)]);
    wake_at(&mut sim, x, SimTime::ZERO);
    wake_at(&mut sim, y, at(ms(3)));
    run_to(&mut sim, at(ms(10)));
    // Y may only use core 0, where X runs: it arrives `wb` after its wake-up and preempts X
    // (X leads by about 3 ms > wakeup_granularity). X waits in core 0's queue while core 1
    // is idle, until core 0's next tick moves it there (a context switch on core 1), where
    // it finishes its 5 ms of work.
    let preempted = at(ms(3) + wb);
    let before = preempted - at(wi + c);
    assert_eq!(
        sim.model.seen(x),
        vec![
            Seen {
                time: at(wi + c),
                notice: Notice::Idle(x),
                core: Some(CoreId(0)),
            },
            Seen {
                time: preempted,
                notice: Notice::Preempted(x),
                core: Some(CoreId(0)),
            },
            Seen {
                time: at(tick + c),
                notice: Notice::Resumed(x),
                core: Some(CoreId(1)),
            },
            Seen {
                time: at(tick + c) + SimDuration(ms(5).0 - before.0),
                notice: Notice::Idle(x),
                core: Some(CoreId(1)),
            },
        ]
    );
    assert_eq!(sim.model.machine.cpu_time(x), ms(5));
}

/// A (core 0) computes for `first`, wakes B (pinned to core 1, idle since the start), computes
/// 10 µs more and blocks; B computes 10 µs. Returns the log.
fn wake_after(costs: MachineCosts, first: SimDuration) -> (Vec<Seen>, ThreadId, ThreadId) {
    let mut sim = ScriptedMachine::sim(2, costs);
    let b = sim.model.thread(&[CoreId(1)], &[Compute(us(10)), Block]);
    let a = sim.model.thread(
        &[CoreId(0)],
        &[Compute(first), Wake(b), Compute(us(10)), Block],
    );
    wake_at(&mut sim, a, SimTime::ZERO);
    run_to(&mut sim, at(ms(50)));
    (sim.model.log.clone(), a, b)
}

#[test]
fn waking_a_vcpu_halted_beyond_the_poll_window_costs_the_wakee_the_waker_and_cold_caches() {
    let costs = common::halting_machine_costs();
    let (c, wi) = (costs.ctx_switch, costs.wake_idle);
    // Core 1 has been idle since 0. A wakes B at w = wi + c + 1 ms, past `halt_poll`: A's
    // next burst is `wake_halted_waker` longer (its futex wake kicked the halted vCPU), and B
    // arrives `wake_halted` after that kick, wh = wake_halted_waker + wake_halted after w.
    // B starts on a core idle from 0 to its dispatch at w + wh:
    // its coldness is c = 1 - exp(-(w + wh - halt_poll) / tau) = 1 - exp(-932 / 2900) =
    // 0.2749 with the defaults, so its 10 µs burst (all within `cold_work`) takes
    // c * (cold_burst + (cold_slowdown - 1) * 10 µs) = 0.2749 * (43 + 59) µs = 28.0 µs more.
    let w = at(wi + c + ms(1));
    let wh = costs.wake_halted_waker + costs.wake_halted;
    let level = costs.coldness_after((w + wh).as_nanos());
    assert_eq!((level * 10_000.0).round(), 2749.0);
    let full =
        costs.cold_burst.as_nanos() as f64 + (costs.cold_slowdown - 1.0) * us(10).as_nanos() as f64;
    let cold = SimDuration((level * full).round() as u64);
    assert_eq!(cold.as_nanos() / 100, 280);
    let (log, a, b) = wake_after(costs, ms(1));
    assert_eq!(
        timeline(&log),
        vec![
            (at(wi + c), Notice::Idle(a)),
            (w, Notice::Idle(a)),
            (w + us(10) + costs.wake_halted_waker, Notice::Idle(a)),
            (w + wh + c, Notice::Idle(b)),
            (w + wh + c + us(10) + cold, Notice::Idle(b)),
        ]
    );
}

#[test]
fn waking_a_vcpu_within_the_poll_window_costs_wake_idle_and_nothing_more() {
    let costs = common::halting_machine_costs();
    let (c, wi) = (costs.ctx_switch, costs.wake_idle);
    // A wakes B after 100 µs: core 1 idled wi + c + 100 µs < halt_poll (200 µs), so B arrives
    // after `wake_idle`, A pays nothing extra and B's caches are warm.
    assert!(wi + c + us(100) < costs.halt_poll);
    let w = at(wi + c + us(100));
    let (log, a, b) = wake_after(costs, us(100));
    assert_eq!(
        timeline(&log),
        vec![
            (at(wi + c), Notice::Idle(a)),
            (w, Notice::Idle(a)),
            (w + us(10), Notice::Idle(a)),
            (w + wi + c, Notice::Idle(b)),
            (w + wi + c + us(10), Notice::Idle(b)),
        ]
    );
}
