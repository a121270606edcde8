//! The thread-per-connection server (the lesson's earlier multithreaded server): one
//! server thread per client connection, blocking in `recv`, computing in place, sending
//! the reply.

use super::world::{Effect, World};
use crate::interp::Step;
use crate::machine::ThreadId;

impl World {
    pub(super) fn plan_connection(&mut self, t: ThreadId, c: u32) -> (Step, Effect) {
        let costs = self.costs;
        let Some(mut r) = self.conns[c as usize].server_inbox.pop_front() else {
            return (Step::Block, Effect::None);
        };
        self.push(t, Step::Release(costs.recv), Effect::None);
        self.push(t, Step::Python(costs.conn_thread_py), Effect::None);
        self.push_work(t, &mut r, false);
        self.push_waking_call(t, costs.send, Effect::SendReply(r));
        // The send returns holding the GIL again; the thread loops back to recv.
        self.push(t, Step::Python(costs.conn_after_send_py), Effect::None);
        self.first(t)
    }
}
