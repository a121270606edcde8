//! The GIL protocol on its own: scripted Python threads on a machine, driven through the
//! kernel with no service (see `tests/common/mod.rs`).
//!
//! Every expected time is a closed form of the configured costs, with the wake-up jitter
//! off: `c` the context switch, `wi` the wake-up onto an idle core (each thread is pinned to
//! its own core, so every wake-up lands on an idle core, and a thread coming back to the
//! core it last ran on pays no context switch), `i` the switch interval, `s` the timer slack,
//! `dn` the drop notice. Each test states how its times follow from the rules of
//! `src/interp/gil.rs`.

mod common;

use common::PyAct::Step as Do;
use common::{
    at, began, exact_machine_costs, just_before, ms, run_to, us, wake_at, ScriptedRuntime,
};
use execsim::interp::{GilKind, GilStats, InterpCosts, InterpId, Step, ThreadActivity};
use execsim::kernel::{SimDuration, SimTime, Simulation};
use execsim::machine::{CoreId, ThreadId, ThreadRunState};

/// The switch interval of every GIL here.
const INTERVAL: SimDuration = SimDuration::from_millis(5);

/// The costs the closed forms are made of.
struct Costs {
    c: SimDuration,
    wi: SimDuration,
    i: SimDuration,
    s: SimDuration,
    dn: SimDuration,
}

fn costs() -> Costs {
    let m = exact_machine_costs();
    let p = InterpCosts::default();
    Costs {
        c: m.ctx_switch,
        wi: m.wake_idle,
        i: INTERVAL,
        s: p.timer_slack,
        dn: p.drop_notice,
    }
}

/// A runtime on `cores` cores with the exact machine costs and the default GIL costs.
fn runtime(cores: usize) -> Simulation<ScriptedRuntime> {
    ScriptedRuntime::sim(cores, exact_machine_costs(), InterpCosts::default())
}

/// One GIL; holder A (core 0) runs 100 ms of Python from its wake-up at 0; B (core 1),
/// woken at 1 ms, wants 1 ms of Python.
fn holder_and_waiter() -> (Simulation<ScriptedRuntime>, InterpId, ThreadId, ThreadId) {
    let mut sim = runtime(2);
    let i = sim.model.interpreter(GilKind::Cpython, INTERVAL);
    let a = sim
        .model
        .thread(i, &[CoreId(0)], &[Do(Step::Python(ms(100)))]);
    let b = sim
        .model
        .thread(i, &[CoreId(1)], &[Do(Step::Python(ms(1)))]);
    wake_at(&mut sim, a, SimTime::ZERO);
    wake_at(&mut sim, b, at(ms(1)));
    (sim, i, a, b)
}

/// When B's wait begins in [`holder_and_waiter`], and when it sets the drop request: its
/// timed wait expires `i + s` later, wakes B onto its idle core (`wi`), and B, finding the
/// GIL still held by the same thread, sets the request.
fn wait_and_request(k: &Costs) -> (SimTime, SimTime) {
    let wait = at(ms(1) + k.wi + k.c);
    (wait, wait + k.i + k.s + k.wi)
}

#[test]
fn a_waiter_sets_the_drop_request_one_interval_plus_slack_after_its_wait_begins() {
    let k = costs();
    let (mut sim, i, a, b) = holder_and_waiter();
    let (wait, request) = wait_and_request(&k);
    run_to(&mut sim, wait);
    assert_eq!(began(&sim, b, ThreadActivity::GilWait), vec![wait]);
    assert_eq!(sim.model.rt.gil_holder(i), Some(a));
    let expiry = wait + k.i + k.s;
    run_to(&mut sim, just_before(expiry));
    assert_eq!(sim.model.rt.machine.state(b), ThreadRunState::Blocked);
    run_to(&mut sim, expiry);
    assert_eq!(sim.model.rt.machine.state(b), ThreadRunState::Waking);
    run_to(&mut sim, just_before(request));
    assert!(!sim.model.rt.drop_requested(i));
    run_to(&mut sim, request);
    assert!(sim.model.rt.drop_requested(i));
    assert_eq!(sim.model.rt.gil_stats(i).drop_requests, 1);
    // B waits again, with a fresh interval.
    assert_eq!(began(&sim, b, ThreadActivity::GilWait), vec![wait, request]);
    assert!(sim.model.rt.in_gil_wait(b));
}

#[test]
fn the_holder_drops_the_gil_at_its_next_eval_breaker_check() {
    let k = costs();
    let (mut sim, i, a, _) = holder_and_waiter();
    let (_, request) = wait_and_request(&k);
    let dropped = request + k.dn;
    run_to(&mut sim, just_before(dropped));
    assert_eq!(sim.model.rt.gil_holder(i), Some(a));
    assert!(sim.model.rt.running_python(a));
    run_to(&mut sim, dropped);
    assert_eq!(sim.model.rt.gil_holder(i), None);
    assert!(!sim.model.rt.drop_requested(i));
    assert!(sim.model.rt.in_switch_wait(a));
    // A held the GIL from its first step (after its wake-up and a context switch) to here.
    let started = at(k.wi + k.c);
    assert_eq!(began(&sim, a, ThreadActivity::Python), vec![started]);
    assert_eq!(sim.model.rt.gil_hold_time(a, dropped), dropped - started);
    assert_eq!(sim.model.rt.machine.cpu_time(a), dropped - started);
}

#[test]
fn a_forced_dropper_cannot_retake_the_gil_until_another_thread_took_it() {
    let k = costs();
    let (mut sim, i, a, b) = holder_and_waiter();
    let (_, request) = wait_and_request(&k);
    let dropped = request + k.dn;
    // The drop signals B, which reaches its idle core `wi` later and takes the GIL. Until
    // then the GIL is free, and A, though it has Python left to run, sleeps in the switch
    // wait (FORCE_SWITCHING).
    let taken = dropped + k.wi;
    run_to(&mut sim, just_before(taken));
    assert_eq!(sim.model.rt.gil_holder(i), None);
    assert!(sim.model.rt.in_switch_wait(a));
    assert_eq!(sim.model.rt.machine.state(a), ThreadRunState::Blocked);
    run_to(&mut sim, taken);
    assert_eq!(sim.model.rt.gil_holder(i), Some(b));
    assert_eq!(sim.model.rt.gil_stats(i).handoffs, 2);
    // B's taking wakes A; A comes back `wi` later to find the GIL held, and waits for it.
    assert_eq!(sim.model.rt.machine.state(a), ThreadRunState::Waking);
    run_to(&mut sim, taken + k.wi);
    assert!(sim.model.rt.in_gil_wait(a));
    assert_eq!(
        began(&sim, a, ThreadActivity::GilWait),
        vec![dropped, taken + k.wi]
    );
    // B runs its 1 ms and blocks, signalling A, which takes the GIL `wi` later and runs
    // the rest of its 100 ms.
    run_to(&mut sim, at(ms(300)));
    let ran = dropped - at(k.wi + k.c);
    let back = taken + ms(1) + k.wi;
    assert_eq!(
        sim.model.done_times(b),
        vec![at(ms(1) + k.wi + k.c), taken + ms(1)]
    );
    assert_eq!(
        sim.model.done_times(a),
        vec![at(k.wi + k.c), back + (ms(100) - ran)]
    );
    assert_eq!(sim.model.rt.gil_stats(i).handoffs, 3);
}

#[test]
fn a_thread_back_from_a_system_call_barges_ahead_of_a_signalled_waiter() {
    let k = costs();
    let mut sim = runtime(2);
    let i = sim.model.interpreter(GilKind::Cpython, INTERVAL);
    let a = sim.model.thread(
        i,
        &[CoreId(0)],
        &[
            Do(Step::Python(ms(3))),
            Do(Step::Release(us(5))),
            Do(Step::Python(ms(10))),
        ],
    );
    let b = sim
        .model
        .thread(i, &[CoreId(1)], &[Do(Step::Python(ms(1)))]);
    wake_at(&mut sim, a, SimTime::ZERO);
    wake_at(&mut sim, b, at(ms(1)));
    // A's 3 ms of Python end before B's wait could expire. A's system call drops the GIL
    // and signals B, who needs `wi` to get back on its core; A's call takes 5 µs < `wi`,
    // and A takes the free GIL back.
    let call = at(k.wi + k.c + ms(3));
    let back = call + us(5);
    run_to(&mut sim, back);
    assert_eq!(sim.model.rt.gil_holder(i), Some(a));
    assert_eq!(
        sim.model.rt.gil_stats(i),
        GilStats {
            handoffs: 1,
            drop_requests: 0,
            acquisitions: 2,
            timeouts: 0,
        }
    );
    // B arrives, finds the GIL held and waits again: it was signalled, not timed out, so
    // it asks for nothing.
    let rewait = call + k.wi;
    run_to(&mut sim, rewait);
    assert!(sim.model.rt.in_gil_wait(b));
    assert_eq!(sim.model.rt.machine.state(b), ThreadRunState::Blocked);
    assert!(!sim.model.rt.drop_requested(i));
    // Its fresh wait expires `i + s` later; A's re-take was no switch (`switch_number`
    // unchanged), so B sets the drop request once back on its core.
    let request = rewait + k.i + k.s + k.wi;
    run_to(&mut sim, just_before(request));
    assert!(!sim.model.rt.drop_requested(i));
    run_to(&mut sim, request);
    assert!(sim.model.rt.drop_requested(i));
    assert_eq!(sim.model.rt.gil_holder(i), Some(a));
}

#[test]
fn no_drop_request_when_the_gil_changed_hands_during_the_wait() {
    let k = costs();
    let mut sim = runtime(3);
    let i = sim.model.interpreter(GilKind::Cpython, INTERVAL);
    let a = sim
        .model
        .thread(i, &[CoreId(0)], &[Do(Step::Python(ms(3)))]);
    let c = sim
        .model
        .thread(i, &[CoreId(1)], &[Do(Step::Python(ms(100)))]);
    let b = sim
        .model
        .thread(i, &[CoreId(2)], &[Do(Step::Python(ms(1)))]);
    wake_at(&mut sim, a, SimTime::ZERO);
    wake_at(&mut sim, c, at(ms(1)));
    wake_at(&mut sim, b, at(ms(2)));
    // A holds for 3 ms then blocks: the drop signals C (the longest waiter), which takes
    // the GIL `wi` later: a switch, during B's wait.
    let handoff = at(k.wi + k.c + ms(3)) + k.wi;
    run_to(&mut sim, handoff);
    assert_eq!(sim.model.rt.gil_holder(i), Some(c));
    assert_eq!(sim.model.rt.gil_stats(i).handoffs, 2);
    // B's wait (from 2 ms + wi + c) expires and B comes back: the GIL is held, but not by
    // the thread that held it when B began waiting. No request; a fresh wait.
    let wait = at(ms(2) + k.wi + k.c);
    let recheck = wait + k.i + k.s + k.wi;
    run_to(&mut sim, recheck);
    assert_eq!(began(&sim, b, ThreadActivity::GilWait), vec![wait, recheck]);
    assert!(!sim.model.rt.drop_requested(i));
    assert_eq!(sim.model.rt.gil_stats(i).drop_requests, 0);
    // The second wait sees no switch: the request follows one more interval later.
    let request = recheck + k.i + k.s + k.wi;
    run_to(&mut sim, just_before(request));
    assert!(!sim.model.rt.drop_requested(i));
    run_to(&mut sim, request);
    assert!(sim.model.rt.drop_requested(i));
    assert_eq!(sim.model.rt.gil_stats(i).drop_requests, 1);
}

/// Two threads pinned to cores 0 and 1, each running 10 ms of Python from a wake-up at 0,
/// in the interpreters `interps` (one each); returns the simulation run to 100 ms.
fn two_python_threads(
    kinds: [GilKind; 2],
    shared: bool,
) -> (Simulation<ScriptedRuntime>, [ThreadId; 2]) {
    let mut sim = runtime(2);
    let first = sim.model.interpreter(kinds[0], INTERVAL);
    let second = if shared {
        first
    } else {
        sim.model.interpreter(kinds[1], INTERVAL)
    };
    let script = [Do(Step::Python(ms(10)))];
    let a = sim.model.thread(first, &[CoreId(0)], &script);
    let b = sim.model.thread(second, &[CoreId(1)], &script);
    wake_at(&mut sim, a, SimTime::ZERO);
    wake_at(&mut sim, b, SimTime::ZERO);
    run_to(&mut sim, at(ms(100)));
    (sim, [a, b])
}

#[test]
fn free_threaded_python_threads_never_wait_for_a_gil() {
    let k = costs();
    let (sim, [a, b]) = two_python_threads([GilKind::FreeThreaded; 2], true);
    let start = at(k.wi + k.c);
    for t in [a, b] {
        assert_eq!(sim.model.done_times(t), vec![start, start + ms(10)]);
        assert!(began(&sim, t, ThreadActivity::GilWait).is_empty());
    }
    let rt = &sim.model.rt;
    let i = rt.interp_of(a);
    assert!(!rt.has_gil(i));
    assert_eq!(rt.switch_interval(i), None);
    assert_eq!(rt.gil_stats(i), GilStats::default());
}

#[test]
fn each_interpreter_has_its_own_gil() {
    let k = costs();
    let start = at(k.wi + k.c);
    let (sim, [a, b]) = two_python_threads([GilKind::Cpython; 2], false);
    for t in [a, b] {
        assert_eq!(sim.model.done_times(t), vec![start, start + ms(10)]);
        assert!(began(&sim, t, ThreadActivity::GilWait).is_empty());
        let stats = sim.model.rt.gil_stats(sim.model.rt.interp_of(t));
        assert_eq!(
            stats,
            GilStats {
                handoffs: 1,
                drop_requests: 0,
                acquisitions: 1,
                timeouts: 0,
            }
        );
    }
    // The same two threads in one interpreter: B waits one interval (+ slack), comes back
    // (`wi`), requests the drop; A drops it `dn` later; B comes back (`wi`) and runs.
    let (shared, [_, b]) = two_python_threads([GilKind::Cpython; 2], true);
    let took = start + k.i + k.s + k.wi + k.dn + k.wi;
    assert_eq!(began(&shared, b, ThreadActivity::GilWait)[0], start);
    assert_eq!(began(&shared, b, ThreadActivity::Python)[0], took);
}

#[test]
fn a_timed_out_wait_is_counted_and_its_thread_s_wait_time_runs_to_the_acquisition() {
    let k = costs();
    let start = at(k.wi + k.c);
    let mut sim = runtime(2);
    let i = sim.model.interpreter(GilKind::Cpython, INTERVAL);
    let script = [Do(Step::Python(ms(10)))];
    let a = sim.model.thread(i, &[CoreId(0)], &script);
    let b = sim.model.thread(i, &[CoreId(1)], &script);
    wake_at(&mut sim, a, SimTime::ZERO);
    wake_at(&mut sim, b, SimTime::ZERO);
    // As in `each_interpreter_has_its_own_gil`: B waits one interval (+ slack), its wait
    // times out, it requests the drop, A drops, B takes the GIL.
    let took = start + k.i + k.s + k.wi + k.dn + k.wi;
    run_to(&mut sim, took);
    let rt = &sim.model.rt;
    assert_eq!(rt.gil_holder(i), Some(b));
    assert_eq!(
        rt.gil_stats(i),
        GilStats {
            handoffs: 2,
            drop_requests: 1,
            acquisitions: 2,
            timeouts: 1,
        }
    );
    assert_eq!(rt.gil_wait_time(b, took), took - start);
    assert_eq!(rt.gil_wait_time(a, took), SimDuration::ZERO);
    assert_eq!(rt.gil_hold_time(a, took), took - start - k.wi);
}
