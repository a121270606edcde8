//! Who a traced thread is: the live run's summaries name the threads the service registered
//! (`register(name)` in `reference_service.py`: name, pid, native thread id) and its worker
//! processes; each process is an interpreter, numbered as the run's thread results number
//! them (in summary order, the service's first).

use crate::live::protocol::Summary;
use std::collections::BTreeMap;

/// Names of a run's threads and processes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ThreadNames {
    /// (pid, tid) -> name.
    threads: BTreeMap<(u32, u32), String>,
    /// The order the summaries list threads in, per pid.
    order: BTreeMap<(u32, u32), usize>,
    /// pid -> (interpreter, process name).
    processes: BTreeMap<u32, (u16, String)>,
}

impl ThreadNames {
    /// The names the summaries give (in the order `thread_results` numbers interpreters).
    pub fn from_summaries<'a>(summaries: impl IntoIterator<Item = &'a Summary>) -> ThreadNames {
        let mut n = ThreadNames::default();
        for s in summaries {
            for t in &s.threads {
                n.interp(t.pid, &s.role);
                let k = n.order.len();
                n.order.entry((t.pid, t.tid)).or_insert(k);
                n.threads.entry((t.pid, t.tid)).or_insert(t.name.clone());
            }
            for p in &s.processes {
                n.interp(p.pid, &p.name);
                // A worker process's main thread has the process's id.
                let k = n.order.len();
                n.order.entry((p.pid, p.pid)).or_insert(k);
                n.threads.entry((p.pid, p.pid)).or_insert(p.name.clone());
            }
        }
        n
    }

    fn interp(&mut self, pid: u32, name: &str) -> u16 {
        let next = self.processes.len() as u16;
        self.processes
            .entry(pid)
            .or_insert((next, name.to_string()))
            .0
    }

    /// The interpreter number of process `pid` (a process the summaries do not name gets the
    /// next free number).
    pub fn interp_of(&mut self, pid: u32) -> u16 {
        self.interp(pid, &format!("process {pid}"))
    }

    /// The process's name (`service`, `worker-process-0`, or `process PID`).
    pub fn process_name(&self, pid: u32) -> String {
        self.processes
            .get(&pid)
            .map_or_else(|| format!("process {pid}"), |p| p.1.clone())
    }

    /// The thread's name (`thread TID` for one the service did not register, such as the
    /// lifeline thread).
    pub fn thread_name(&self, pid: u32, tid: u32) -> String {
        self.threads
            .get(&(pid, tid))
            .cloned()
            .unwrap_or_else(|| format!("thread {tid}"))
    }

    /// A sort key: registered threads in their summary order, then the others by id.
    pub fn sort_key(&self, pid: u32, tid: u32) -> (usize, u32) {
        (
            self.order.get(&(pid, tid)).copied().unwrap_or(usize::MAX),
            tid,
        )
    }
}
