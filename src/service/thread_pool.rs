//! `ThreadPoolExecutor` (and 3.14's `InterpreterPoolExecutor`, which is a thread pool whose
//! workers run the function in a sub-interpreter of their own, with its own GIL).
//!
//! Work items go on a [`SimpleQueue`](super::SimpleQueue), whose `put` wakes a worker asleep
//! on its lock and whose `get` wakes the next sleeper for nothing (see there). As in
//! CPython's `submit` (`concurrent/futures/thread.py`): `_work_queue.put`, then
//! `_adjust_thread_count`, which starts a new worker, while fewer than `max_workers` (default
//! `min(32, cores + 4)`) exist, unless `_idle_semaphore.acquire(timeout=0)` succeeds; a worker
//! releases that semaphore after each item, just before its next `get` (3.11), or only when
//! its `get_nowait()` finds the queue empty, before it blocks in `get` (3.13).

use super::spec::ExecutorKind;
use super::worker_at::WorkerAt;
use super::world::{Effect, Request, ThreadRole, World};
use crate::interp::{PythonVersion, Step};
use crate::kernel::EventQueue;
use crate::machine::ThreadId;

impl World {
    pub(super) fn submit_to_pool(
        &mut self,
        t: ThreadId,
        r: Request,
        q: &mut EventQueue<super::Event>,
    ) {
        if let Some(w) = self.pool.work.put(r) {
            self.wake(w, Some(t), q);
        }
        if self.pool.locks.is_none() {
            self.adjust_thread_count(t, q);
        }
    }

    /// `_adjust_thread_count`: take an idle permit (`_idle_semaphore.acquire(timeout=0)`),
    /// else start a worker while fewer than `max_workers` exist. Where the pool models the
    /// semaphore's lock (free-threaded), this runs holding it, and a failed acquire goes
    /// through `Condition.wait(0)`, which lets the lock go and takes it again.
    pub(super) fn adjust_thread_count(&mut self, t: ThreadId, q: &mut EventQueue<super::Event>) {
        if self.pool.idle_permits > 0 {
            self.pool.idle_permits -= 1;
            return;
        }
        if let Some(l) = self.pool.locks {
            // `Condition.wait(0)`: right after the lock is let go (the submit's next step),
            // it is taken again for the waiter's removal.
            let todo = &mut self.slots[t.0 as usize].todo;
            let at = todo
                .iter()
                .position(|&(s, _)| s == Step::LockRelease(l.idle))
                .map_or(todo.len(), |i| i + 1);
            let retake = [
                Step::LockAcquire(l.idle),
                Step::Python(self.costs.idle_semaphore_py),
                Step::LockRelease(l.idle),
            ];
            for (k, s) in retake.into_iter().enumerate() {
                todo.insert(at + k, (s, Effect::None));
            }
        }
        if self.pool.workers.len() < self.spec.pool_size() {
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
            self.pool.worker_at.push(WorkerAt::Started);
            self.push(w, Step::Python(self.costs.thread_start), Effect::None);
            self.wake(w, Some(t), q);
        }
    }

    pub(super) fn plan_pool_worker(
        &mut self,
        t: ThreadId,
        w: u32,
        q: &mut EventQueue<super::Event>,
    ) -> (Step, Effect) {
        let c = self.costs;
        let at = &mut self.pool.worker_at[w as usize];
        match *at {
            WorkerAt::Asleep => {
                // Woken from `sem_wait`: take the semaphore and retake the GIL, or sleep again.
                if !self.pool.work.woken(t) {
                    return (Step::Block, Effect::None);
                }
                *at = WorkerAt::Retook;
                // A few lines of C (the GIL retaken, `locked` set, the list's length): a
                // compact footprint, no refill of the request path's working set. Live it
                // holds the GIL 0.2-0.4 µs even when the worker's core just ran another thread.
                // Free-threaded, it first resumes its critical section on the queue.
                if let Some(l) = self.pool.locks {
                    self.push(t, Step::LockAcquire(l.queue), Effect::None);
                    self.push(t, Step::PythonLoop(c.worker_requeue_py), Effect::None);
                    self.push(t, Step::LockRelease(l.queue), Effect::None);
                    return self.first(t);
                }
                return (Step::PythonLoop(c.worker_requeue_py), Effect::None);
            }
            // 3.11 releases the idle semaphore after every item; 3.13 first tries
            // `get_nowait()` and releases it only when that finds the queue empty.
            WorkerAt::ItemDone
                if self.spec.python == PythonVersion::V3_11 || self.pool.work.is_empty() =>
            {
                self.pool.idle_permits += 1
            }
            WorkerAt::ItemDone => {}
            WorkerAt::Started | WorkerAt::Retook => {}
        }
        let got = if *at == WorkerAt::Retook {
            self.pool.work.get_after_wait(t)
        } else {
            self.pool.work.get_holding_gil(t)
        };
        let Some((mut r, woken)) = got else {
            // The GIL is released and the worker sleeps on the queue's lock.
            self.pool.worker_at[w as usize] = WorkerAt::Asleep;
            return (Step::Block, Effect::None);
        };
        if let Some(other) = woken {
            self.wake(other, Some(t), q);
        }
        self.pool.worker_at[w as usize] = WorkerAt::ItemDone;
        self.push(t, Step::Python(c.worker_get_py), Effect::None);
        if self.spec.executor == ExecutorKind::Interpreter {
            let sub = self.pool.sub_interps[w as usize];
            let main = self.main_interp;
            let (payload, reply) = (self.payload_of(&r), self.reply_bytes_of(&r));
            // Pickle the call, enter the sub-interpreter, run, come back with the result.
            self.push(t, Step::Python(c.pickle_py), Effect::None);
            self.push_held(t, c.bytes.pickle(payload));
            self.push(t, Step::Release(c.interp_switch), Effect::SetInterp(sub));
            self.push(t, Step::Python(c.pickle_py), Effect::None);
            self.push_held(t, c.bytes.unpickle(payload));
            self.push_work(t, &mut r, false);
            self.push(t, Step::Python(c.pickle_py), Effect::None);
            self.push_held(t, c.bytes.pickle(reply));
            self.push(t, Step::Release(c.interp_switch), Effect::SetInterp(main));
            self.push(t, Step::Python(c.pickle_py), Effect::None);
            self.push_held(t, c.bytes.unpickle(reply));
        } else {
            self.push_work(t, &mut r, false);
        }
        self.push(t, Step::Python(c.worker_done_py), Effect::None);
        // call_soon_threadsafe writes the loop's self-pipe.
        self.push_waking_call(t, c.pipe_write, Effect::Complete(r));
        // The send returns holding the GIL: the rest of the callbacks, the idle semaphore,
        // back to the work queue's get.
        self.push_holding_idle_lock(t, c.worker_after_wake_py);
        self.first(t)
    }

    /// `d` of a worker's Python that ends with `_idle_semaphore.release()`: as one step, or,
    /// where the pool models the semaphore's lock (free-threaded), the rest, then the lock
    /// taken, `idle_semaphore_py` held, and released.
    fn push_holding_idle_lock(&mut self, t: ThreadId, d: crate::kernel::SimDuration) {
        let Some(l) = self.pool.locks.map(|l| l.idle) else {
            return self.push(t, Step::Python(d), Effect::None);
        };
        let hold = self.costs.idle_semaphore_py;
        self.push(t, Step::Python(d - hold), Effect::None);
        self.push(t, Step::LockAcquire(l), Effect::None);
        self.push(t, Step::Python(hold), Effect::None);
        self.push(t, Step::LockRelease(l), Effect::None);
    }
}
