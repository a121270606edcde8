//! Clients: a connection and a thread with a blocking socket, as in the lesson.
//!
//! A **closed-loop** client sends a request, blocks in `recv` until the reply arrives,
//! optionally thinks, and sends the next. An **open-loop** client sends at arrival times
//! (Poisson or constant rate) whatever the replies, reading replies as they come. A client
//! runs in the server's process (its thread competes for the server's GIL, as in the lesson)
//! or in a process of its own. Each request's argument is the client's `n` or a seeded draw
//! from its mix. Completions are counted when the client has read the reply, per whole
//! second of virtual time; latency is from the request's creation (open loop: its arrival
//! time) to that moment.

use super::spec::{Arrivals, ClientGroup, ClientMode, Pacing, RequestArgs, ServerKind, Work};
use super::world::{Effect, Request, ThreadRole, World};
use crate::interp::Step;
use crate::kernel::{EventQueue, SimDuration, SimTime};
use crate::machine::ThreadId;

impl World {
    /// The group client `c` belongs to.
    fn group_of(&self, c: u32) -> &ClientGroup {
        &self.spec.clients[self.clients[c as usize].group]
    }

    pub(super) fn start_client(&mut self, c: u32, q: &mut EventQueue<super::Event>) {
        let group = self.group_of(c);
        let (in_process, mode) = (group.in_process, group.pacing.mode());
        let interp = if in_process {
            self.main_interp
        } else {
            self.new_interp()
        };
        let aff = self.spec.affinity.clients.clone();
        let name = format!("client:{}", self.clients[c as usize].name);
        let t = self.spawn(interp, &aff, ThreadRole::Client(c), name);
        self.clients[c as usize].thread = Some(t);
        if self.spec.server == ServerKind::ThreadPerConnection {
            let aff = self.spec.affinity.workers.clone();
            let name = format!("conn:{}", self.clients[c as usize].name);
            let main = self.main_interp;
            let s = self.spawn(main, &aff, ThreadRole::Connection(c), name);
            self.conns[c as usize].server_thread = Some(s);
            self.push(s, Step::Python(self.costs.thread_start), Effect::None);
            self.wake(s, None, q);
        }
        if mode == ClientMode::Open {
            self.arrival(c, q);
        }
        self.wake(t, None, q);
    }

    /// An open-loop arrival: one more request is due; schedule the next arrival.
    pub(super) fn arrival(&mut self, c: u32, q: &mut EventQueue<super::Event>) {
        let now = q.now();
        let Pacing::Open { rate, arrivals } = self.group_of(c).pacing else {
            unreachable!("only open-loop clients have arrivals");
        };
        let mean_ns = 1e9 / rate;
        let cl = &mut self.clients[c as usize];
        cl.due.push_back(now);
        let gap = match arrivals {
            Arrivals::Poisson => cl.rng.exp_nanos(mean_ns).max(1),
            Arrivals::Constant => (mean_ns.round() as u64).max(1),
        };
        let next = now + SimDuration(gap);
        if next < self.horizon {
            q.schedule_at(next, super::Event::Service(super::ServiceEvent::Arrival(c)));
        }
        if let Some(t) = cl.thread {
            self.wake(t, None, q);
        }
    }

    /// The next request's work: the group's, or a seeded draw from its mix.
    fn draw_work(&mut self, c: u32) -> Work {
        let group = &self.spec.clients[self.clients[c as usize].group];
        let mix = match &group.args {
            RequestArgs::Fixed(w) => return *w,
            RequestArgs::Mix(mix) => mix,
        };
        let total: f64 = mix.iter().map(|&(_, weight)| weight).sum();
        let mut x = self.clients[c as usize].rng.uniform() * total;
        for &(w, weight) in mix {
            if x < weight {
                return w;
            }
            x -= weight;
        }
        mix.last().expect("a mix is not empty").0
    }

    pub(super) fn plan_client(
        &mut self,
        t: ThreadId,
        c: u32,
        q: &mut EventQueue<super::Event>,
    ) -> (Step, Effect) {
        let costs = self.costs;
        let now = q.now();
        if !self.conns[c as usize].client_inbox.is_empty() {
            let r = self.conns[c as usize]
                .client_inbox
                .pop_front()
                .expect("checked non-empty");
            self.push(t, Step::Release(costs.recv), Effect::Received(r));
            return self.first(t);
        }
        let cl = &self.clients[c as usize];
        let created = match cl.mode {
            ClientMode::Closed if cl.outstanding == 0 && !cl.thinking => Some(now),
            ClientMode::Open => cl.due.front().copied(),
            ClientMode::Closed => None,
        };
        let Some(created) = created else {
            return (Step::Block, Effect::None);
        };
        if cl.mode == ClientMode::Open {
            self.clients[c as usize].due.pop_front();
        }
        let work = self.draw_work(c);
        let cl = &mut self.clients[c as usize];
        cl.outstanding += 1;
        cl.issued += 1;
        cl.in_flight.push_back(created);
        let r = Request {
            client: c,
            work,
            created,
            reply: 0,
            progress: 0,
        };
        self.push(t, Step::Python(costs.client_py), Effect::None);
        self.push_waking_call(t, costs.send, Effect::SendRequest(r));
        // sendall returns holding the GIL again; the client then calls recv.
        self.push(t, Step::Python(costs.client_after_send_py), Effect::None);
        self.first(t)
    }

    /// The client has read a reply: count it and, closed loop, start thinking.
    pub(super) fn received(&mut self, r: Request, q: &mut EventQueue<super::Event>) {
        let now: SimTime = q.now();
        let c = r.client;
        if self.checks.is_some() {
            self.check_reply(&r, now);
        }
        let think = match self.group_of(c).pacing {
            Pacing::Closed { think } => think,
            Pacing::Open { .. } => SimDuration::ZERO,
        };
        let cl = &mut self.clients[c as usize];
        let created = cl.in_flight.pop_front().expect("a reply answers a request");
        cl.outstanding -= 1;
        cl.completed += 1;
        let sec = (now.as_nanos() / 1_000_000_000) as usize;
        if let Some(slot) = cl.per_second.get_mut(sec) {
            *slot += 1;
        }
        let lat_us = (now.saturating_since(created).as_nanos() / 1_000).max(1);
        cl.latency.saturating_record(lat_us);
        if cl.mode == ClientMode::Closed && think > SimDuration::ZERO {
            cl.thinking = true;
            q.schedule_at(
                now + think,
                super::Event::Service(super::ServiceEvent::ThinkDone(c)),
            );
        }
    }
}
