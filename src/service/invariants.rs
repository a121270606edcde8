//! Invariants of the service world that hold after every event, checked on request
//! ([`crate::sim::run::SimOptions::check`]): the GIL's mutual exclusion, the cores' capacity and
//! affinities, conservation of requests, and correct replies. Everything here only reads the
//! state, so a checked run is the same run as an unchecked one (same trace hash).
//!
//! The checks that need memory across events (bounded GIL waits, work conservation, time)
//! live in [`crate::sim::check::Checker`], which calls [`World::check_invariants`].

use super::world::{Effect, Request, World};
use crate::kernel::SimTime;
use crate::machine::{CoreId, ThreadId, ThreadRunState};
use crate::sim::check::{Invariant, Violation};
use std::collections::BTreeMap;
use std::sync::{Mutex, OnceLock};

/// Replies up to this n are checked against the lesson's real core
/// ([`crate::workload::prime::find_nth_prime`]); larger ones against the sieve
/// ([`crate::workload::prime::op_count`]).
pub const REAL_CORE_MAX_N: u64 = 1_000;

/// Checking state kept by the world (only when checking is on).
#[derive(Default)]
pub(crate) struct Checks {
    /// Violations found while handling events (wrong replies), oldest first.
    pub errors: Vec<Violation>,
}

/// The reference answer for n: the real core for small n, the sieve for large n. Memoised for
/// the process (a pure function of n).
pub fn reference_prime(n: u64) -> Option<u64> {
    static MEMO: OnceLock<Mutex<BTreeMap<u64, u64>>> = OnceLock::new();
    let memo = MEMO.get_or_init(|| Mutex::new(BTreeMap::new()));
    if let Some(&p) = memo.lock().unwrap_or_else(|e| e.into_inner()).get(&n) {
        return Some(p);
    }
    let p = if n <= REAL_CORE_MAX_N {
        crate::workload::prime::find_nth_prime(n)?
    } else {
        crate::workload::prime::op_count(n).ok()?.prime
    };
    memo.lock().unwrap_or_else(|e| e.into_inner()).insert(n, p);
    Some(p)
}

fn violation(time: SimTime, invariant: Invariant, message: String) -> Violation {
    Violation {
        time,
        invariant,
        message,
    }
}

impl World {
    /// Turns on the checks made while events are handled (each reply is checked by its
    /// client at receipt). Call before the run starts.
    pub fn enable_checks(&mut self) {
        self.checks = Some(Box::default());
    }

    /// A client has read reply `r`: is it the answer to its oldest request in flight, and
    /// the right prime?
    pub(super) fn check_reply(&mut self, r: &Request, now: SimTime) {
        let c = r.client as usize;
        let mut problems = Vec::new();
        match self.clients[c].in_flight.front() {
            None => problems.push("a reply arrived with no request in flight".to_string()),
            Some(&created) if created != r.created => problems.push(format!(
                "the reply answers the request created at {}, but the oldest in flight was created at {created}",
                r.created
            )),
            Some(_) => {}
        }
        match reference_prime(r.n) {
            Some(p) if p == r.reply => {}
            Some(p) => problems.push(format!(
                "reply to n = {} is {}, not p_n = {p} ({})",
                r.n,
                r.reply,
                if r.n <= REAL_CORE_MAX_N {
                    "the real core's answer"
                } else {
                    "the sieve's answer"
                }
            )),
            None => problems.push(format!("n = {} has no reference answer", r.n)),
        }
        if problems.is_empty() {
            return;
        }
        let name = self.clients[c].name.clone();
        if let Some(ch) = self.checks.as_mut() {
            for p in problems {
                ch.errors.push(violation(
                    now,
                    Invariant::CorrectReply,
                    format!("client {name}: {p}"),
                ));
            }
        }
    }

    /// Checks every invariant that depends on the current state only (after an event at
    /// `now`): GIL mutual exclusion, core capacity and affinity, request conservation, and
    /// any wrong reply seen since the run started (those need [`enable_checks`](Self::enable_checks)).
    pub fn check_invariants(&self, now: SimTime) -> Result<(), Violation> {
        if let Some(e) = self.checks.as_ref().and_then(|c| c.errors.first()) {
            return Err(e.clone());
        }
        self.check_gil(now)?;
        self.check_cores(now)?;
        self.check_conservation(now)
    }

    fn check_gil(&self, now: SimTime) -> Result<(), Violation> {
        let rt = &self.rt;
        let n = rt.threads();
        let mut holder_of = vec![None::<ThreadId>; rt.interpreters()];
        for i in 0..n as u32 {
            let t = ThreadId(i);
            let interp = rt.interp_of(t);
            let has_gil = rt.has_gil(interp);
            if rt.holds_gil(t) {
                if !has_gil {
                    return Err(violation(
                        now,
                        Invariant::GilExclusion,
                        format!(
                            "{} holds a GIL in free-threaded interpreter {}",
                            self.thread_name(t),
                            interp.0
                        ),
                    ));
                }
                if let Some(other) = holder_of[interp.0 as usize].replace(t) {
                    return Err(violation(
                        now,
                        Invariant::GilExclusion,
                        format!(
                            "{} and {} both hold the GIL of interpreter {}",
                            self.thread_name(other),
                            self.thread_name(t),
                            interp.0
                        ),
                    ));
                }
                let st = rt.machine.state(t);
                if !matches!(st, ThreadRunState::Running | ThreadRunState::Queued) {
                    return Err(violation(
                        now,
                        Invariant::GilExclusion,
                        format!(
                            "{} holds the GIL of interpreter {} while {st:?} (asleep in the kernel)",
                            self.thread_name(t),
                            interp.0
                        ),
                    ));
                }
            }
            if has_gil && rt.running_python(t) && !rt.holds_gil(t) {
                return Err(violation(
                    now,
                    Invariant::GilExclusion,
                    format!(
                        "{} runs Python without the GIL of interpreter {} (held by {})",
                        self.thread_name(t),
                        interp.0,
                        rt.gil_holder(interp)
                            .map(|h| self.thread_name(h).to_string())
                            .unwrap_or_else(|| "nobody".into())
                    ),
                ));
            }
        }
        for (i, h) in holder_of.iter().enumerate() {
            let reported = rt.gil_holder(crate::interp::InterpId(i as u16));
            if reported != *h {
                return Err(violation(
                    now,
                    Invariant::GilExclusion,
                    format!("interpreter {i}: the GIL names holder {reported:?}, but the thread holding it is {h:?}"),
                ));
            }
        }
        Ok(())
    }

    fn check_cores(&self, now: SimTime) -> Result<(), Violation> {
        let m = &self.rt.machine;
        let mut on_core = vec![None::<CoreId>; m.thread_count()];
        let mut running = 0usize;
        let err = |msg: String| Err(violation(now, Invariant::CoreCapacity, msg));
        for c in 0..m.cores() as u16 {
            let core = CoreId(c);
            if let Some(t) = m.running_on(core) {
                running += 1;
                if let Some(other) = on_core[t.0 as usize].replace(core) {
                    return err(format!(
                        "{} is current on cores {} and {c}",
                        self.thread_name(t),
                        other.0
                    ));
                }
                if m.state(t) != ThreadRunState::Running || m.core_of(t) != Some(core) {
                    return err(format!(
                        "core {c} runs {} whose state is {:?} on {:?}",
                        self.thread_name(t),
                        m.state(t),
                        m.core_of(t)
                    ));
                }
                if m.affinity_mask(t) & (1 << c) == 0 {
                    return err(format!(
                        "{} runs on core {c}, outside its affinity {:#b}",
                        self.thread_name(t),
                        m.affinity_mask(t)
                    ));
                }
            } else if !m.queued(core).is_empty() {
                return err(format!(
                    "core {c} runs nothing while {} threads are queued on it",
                    m.queued(core).len()
                ));
            }
            for &t in m.queued(core) {
                if m.state(t) != ThreadRunState::Queued || m.core_of(t) != Some(core) {
                    return err(format!(
                        "{} is queued on core {c} but its state is {:?} on {:?}",
                        self.thread_name(t),
                        m.state(t),
                        m.core_of(t)
                    ));
                }
                if m.affinity_mask(t) & (1 << c) == 0 {
                    return err(format!(
                        "{} is queued on core {c}, outside its affinity {:#b}",
                        self.thread_name(t),
                        m.affinity_mask(t)
                    ));
                }
                if on_core[t.0 as usize].replace(core).is_some() {
                    return err(format!("{} is on two cores at once", self.thread_name(t)));
                }
            }
        }
        if running > m.cores() {
            return err(format!("{running} threads run on {} cores", m.cores()));
        }
        for i in 0..m.thread_count() as u32 {
            let t = ThreadId(i);
            let listed = on_core[i as usize].is_some();
            let should = matches!(m.state(t), ThreadRunState::Running | ThreadRunState::Queued);
            if listed != should {
                return err(format!(
                    "{} is {:?} but {} on any core",
                    self.thread_name(t),
                    m.state(t),
                    if listed { "listed" } else { "not listed" }
                ));
            }
        }
        Ok(())
    }

    /// Counts, per client, every request somewhere in the system: in a socket buffer, a
    /// queue or pipe of the executor, or carried by a thread's planned step.
    pub(crate) fn request_census(&self) -> Vec<u64> {
        let mut count = vec![0u64; self.clients.len()];
        let mut add = |r: &Request| count[r.client as usize] += 1;
        for conn in &self.conns {
            conn.server_inbox.iter().for_each(&mut add);
            conn.client_inbox.iter().for_each(&mut add);
        }
        let p = &self.pool;
        for q in [
            &p.queue,
            &p.pending,
            &p.feed_buffer,
            &p.call_pipe,
            &p.results,
            &self.completions,
        ] {
            q.iter().for_each(&mut add);
        }
        for slot in &self.slots {
            for e in slot
                .todo
                .iter()
                .map(|(_, e)| e)
                .chain(std::iter::once(&slot.current))
            {
                match e {
                    Effect::SendRequest(r)
                    | Effect::SendReply(r)
                    | Effect::Submit(r)
                    | Effect::Complete(r)
                    | Effect::Received(r)
                    | Effect::CallItem(r)
                    | Effect::ToWorkers(r)
                    | Effect::ResultReady(r) => add(r),
                    Effect::None | Effect::HandlerIdle(_) | Effect::SetInterp(_) => {}
                }
            }
        }
        count
    }

    fn check_conservation(&self, now: SimTime) -> Result<(), Violation> {
        let census = self.request_census();
        for (c, cl) in self.clients.iter().enumerate() {
            let err = |msg: String| {
                Err(violation(
                    now,
                    Invariant::Conservation,
                    format!("client {}: {msg}", cl.name),
                ))
            };
            let in_flight = cl.in_flight.len() as u64;
            if cl.issued != cl.completed + in_flight || cl.outstanding != in_flight {
                return err(format!(
                    "issued {} != completed {} + in flight {in_flight} (outstanding {})",
                    cl.issued, cl.completed, cl.outstanding
                ));
            }
            if census[c] != in_flight {
                return err(format!(
                    "{in_flight} requests in flight but {} found in the system ({})",
                    census[c],
                    if census[c] < in_flight {
                        "lost"
                    } else {
                        "duplicated"
                    }
                ));
            }
            let counted: u64 = cl.per_second.iter().sum();
            if counted != cl.completed {
                return err(format!(
                    "per-second counts sum to {counted}, but {} replies were read",
                    cl.completed
                ));
            }
        }
        Ok(())
    }
}
