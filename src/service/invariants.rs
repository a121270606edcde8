//! The service's invariants, checked on request after every event by whoever runs the world
//! (see [`crate::kernel::Violation`] for how rules are named). Checking only reads the state
//! (the replies' check keeps its findings aside), so a checked run is the same run as an
//! unchecked one (same trace hash).
//!
//! | rule | what holds after every event |
//! |---|---|
//! | [`CONSERVATION`] | issued = completed + in flight for every client; every request in flight is found exactly once in the system; per-second counts add up |
//! | [`CORRECT_REPLY`] | every reply answers the client's oldest request in flight with the right n-th prime |
//!
//! The layers below check their own: the GIL's in [`crate::interp::invariants`], the
//! machine's in [`crate::machine::invariants`].

use super::spec::Work;
use super::world::{Effect, LoopTask, Request, World};
use crate::kernel::{SimTime, Violation};
use std::collections::BTreeMap;
use std::sync::{Mutex, OnceLock};

/// No request lost or duplicated.
pub const CONSERVATION: &str = "conservation";

/// Every reply is the right prime, for the right request.
pub const CORRECT_REPLY: &str = "correct-reply";

/// Replies up to this n are checked against the lesson's real core
/// ([`crate::workload::prime::find_nth_prime`]); larger ones against the sieve
/// ([`crate::workload::prime::op_count`]).
pub const REAL_CORE_MAX_N: u64 = 1_000;

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

impl World {
    /// Turns on the checks made while events are handled (each reply is checked by its
    /// client at receipt). Call before the run starts.
    pub fn enable_checks(&mut self) {
        self.checks = Some(Vec::new());
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
        // A request type of the user's has no answer to check, only its order.
        if let Work::Prime(n) = r.work {
            match reference_prime(n) {
                Some(p) if p == r.reply => {}
                Some(p) => problems.push(format!(
                    "reply to n = {n} is {}, not p_n = {p} ({})",
                    r.reply,
                    if n <= REAL_CORE_MAX_N {
                        "the real core's answer"
                    } else {
                        "the sieve's answer"
                    }
                )),
                None => problems.push(format!("n = {n} has no reference answer")),
            }
        }
        if problems.is_empty() {
            return;
        }
        let name = self.clients[c].name.clone();
        if let Some(ch) = self.checks.as_mut() {
            for p in problems {
                ch.push(Violation::new(
                    now,
                    CORRECT_REPLY,
                    format!("client {name}: {p}"),
                ));
            }
        }
    }

    /// Checks [`CORRECT_REPLY`]: the first wrong reply seen since the run started, if any
    /// (replies are checked by their client at receipt, once
    /// [`enable_checks`](Self::enable_checks) is on).
    pub fn check_replies(&self) -> Result<(), Violation> {
        match self.checks.as_ref().and_then(|c| c.first()) {
            Some(e) => Err(e.clone()),
            None => Ok(()),
        }
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
        p.work.items().for_each(&mut add);
        for q in [
            &p.pending,
            &p.feed_buffer,
            &p.call_pipe,
            &p.results,
            &self.completions,
            &self.due_timers,
        ] {
            q.iter().for_each(&mut add);
        }
        self.loop_timers.values().for_each(&mut add);
        for link in &p.links {
            link.to_process
                .iter()
                .chain(link.reply.iter())
                .for_each(&mut add);
        }
        // A chunked call item: with the feeder until its first chunk is written (then in the
        // call pipe), and with its reader until the reader has read it all.
        if let Some(tr) = &self.pool.transfer {
            if tr.written == 0 || tr.reader.is_some() {
                add(&tr.request);
            }
        }
        for task in &self.loop_ready {
            match task {
                LoopTask::Handle(r) | LoopTask::Reply(r) | LoopTask::Resume(r) => add(r),
            }
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
                    | Effect::ResultReady(r)
                    | Effect::ToProcess(_, r)
                    | Effect::FromProcess(_, r)
                    | Effect::AwaitIo(r, _) => add(r),
                    Effect::None
                    | Effect::AdjustThreads
                    | Effect::HandlerIdle(_)
                    | Effect::SetInterp(_)
                    | Effect::ChunkWritten
                    | Effect::ChunkRead => {}
                }
            }
        }
        count
    }

    /// Checks [`CONSERVATION`] at `now`.
    pub fn check_conservation(&self, now: SimTime) -> Result<(), Violation> {
        let census = self.request_census();
        for (c, cl) in self.clients.iter().enumerate() {
            let err = |msg: String| {
                let msg = format!("client {}: {msg}", cl.name);
                Err(Violation::new(now, CONSERVATION, msg))
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
