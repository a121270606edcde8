//! `ThreadPoolExecutor` (and 3.14's `InterpreterPoolExecutor`, which is a thread pool whose
//! workers run the function in a sub-interpreter of their own, with its own GIL).
//!
//! Work items go on a `SimpleQueue`; an idle worker blocked in `get` is woken by `put`. As
//! in CPython, threads start lazily: a submit that finds no idle worker starts a new one
//! while fewer than `max_workers` exist (default `min(32, cores + 4)`).

use super::spec::ExecutorKind;
use super::world::{Effect, Request, ThreadRole, World};
use crate::interp::Step;
use crate::kernel::EventQueue;
use crate::machine::ThreadId;

impl World {
    pub(super) fn submit_to_pool(
        &mut self,
        t: ThreadId,
        r: Request,
        q: &mut EventQueue<super::Event>,
    ) {
        self.pool.queue.push_back(r);
        if let Some(w) = self.pool.idle.pop_front() {
            self.wake(w, Some(t), q);
        } else if self.pool.workers.len() < self.spec.pool_size() {
            let idx = self.pool.workers.len() as u32;
            let interp = self.main_interp;
            let aff = self.spec.affinity.workers.clone();
            let w = self.spawn(
                interp,
                &aff,
                ThreadRole::PoolWorker(idx),
                format!("worker-{idx}"),
            );
            if self.spec.executor == ExecutorKind::Interpreter {
                let sub = self.new_interp();
                self.pool.sub_interps.push(sub);
            }
            self.pool.workers.push(w);
            self.push(w, Step::Python(self.costs.thread_start), Effect::None);
            self.wake(w, Some(t), q);
        }
    }

    pub(super) fn plan_pool_worker(&mut self, t: ThreadId, w: u32) -> (Step, Effect) {
        let c = self.costs;
        let Some(mut r) = self.pool.queue.pop_front() else {
            self.pool.idle.push_back(t);
            return (Step::Block, Effect::None);
        };
        self.pool.idle.retain(|&x| x != t);
        self.push(t, Step::Python(c.worker_get_py), Effect::None);
        let d = self.compute(&mut r);
        if self.spec.executor == ExecutorKind::Interpreter {
            let sub = self.pool.sub_interps[w as usize];
            let main = self.main_interp;
            // Pickle the call, enter the sub-interpreter, run, come back with the result.
            self.push(t, Step::Python(c.pickle_py), Effect::None);
            self.push(t, Step::Release(c.interp_switch), Effect::SetInterp(sub));
            self.push(t, Step::Python(c.pickle_py), Effect::None);
            self.push(t, Step::PythonLoop(d), Effect::None);
            self.push(t, Step::Python(c.pickle_py), Effect::None);
            self.push(t, Step::Release(c.interp_switch), Effect::SetInterp(main));
            self.push(t, Step::Python(c.pickle_py), Effect::None);
        } else {
            self.push(t, Step::PythonLoop(d), Effect::None);
        }
        self.push(t, Step::Python(c.worker_done_py), Effect::None);
        // call_soon_threadsafe writes the loop's self-pipe.
        self.push_waking_call(t, c.pipe_write, Effect::Complete(r));
        // The send returns holding the GIL: the rest of the callbacks, the idle semaphore,
        // back to the work queue's get.
        self.push(t, Step::Python(c.worker_after_wake_py), Effect::None);
        self.first(t)
    }
}
