//! Where each thread of a live run ran: a thread of the supervisor that samples every thread
//! of the run's processes (and of the pool workers they forked) at a fixed period, reading
//! each one's last CPU and run time from `/proc` ([`procfs::task_samples`]).
//!
//! Unpinned runs fall into different placement regimes (the service's threads sharing one
//! vCPU while the long request has the other, or spread over both); these samples are what
//! [`crate::calibrate::validate::regime`] classifies a run's regime from. A sample costs about
//! 0.1 ms of the supervisor's CPU per 20 threads, so every 50 ms it takes 0.2% of a core.

use super::procfs::{self, TaskSample};
use serde::{Deserialize, Serialize};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

/// All threads at one instant.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Sample {
    /// When, ns from the run's time 0 (negative: before it).
    pub t_ns: i64,
    /// Every thread found.
    pub tasks: Vec<TaskSample>,
}

/// A thread the run's processes named (`event-loop`, `worker-1`, `worker-process-0`, ...).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NamedTask {
    /// Its name.
    pub name: String,
    /// Process id.
    pub pid: u32,
    /// Thread id (the pid for a process's main thread).
    pub tid: u32,
}

/// The samples of one run.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ThreadSamples {
    /// The sampling period, ns.
    pub every_ns: u64,
    /// The samples, in time order.
    pub samples: Vec<Sample>,
    /// The threads the run named (others are unnamed: lifelines, Python internals).
    pub names: Vec<NamedTask>,
}

impl ThreadSamples {
    /// The name of thread `tid` of `pid`, if the run named it.
    pub fn name_of(&self, pid: u32, tid: u32) -> Option<&str> {
        self.names
            .iter()
            .find(|n| n.pid == pid && n.tid == tid)
            .map(|n| n.name.as_str())
    }
}

/// A running sampler; [`finish`](Self::finish) stops it and returns the samples (dropping it
/// stops it too).
pub struct ThreadSampler {
    stop: Arc<AtomicBool>,
    handle: Option<JoinHandle<Vec<Sample>>>,
    every: Duration,
}

impl ThreadSampler {
    /// Samples the processes `roots` and their descendants every `every`, on a grid aligned
    /// on the run's time 0 (`t0_ns`, `CLOCK_MONOTONIC`).
    pub fn start(roots: Vec<u32>, t0_ns: u64, every: Duration) -> ThreadSampler {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let period = every.as_nanos().max(1) as u64;
        let handle = std::thread::spawn(move || {
            let mut samples = Vec::new();
            let now = super::os::monotonic_ns();
            // The first grid point at or after now.
            let mut next = if now <= t0_ns {
                t0_ns - (t0_ns - now) / period * period
            } else {
                t0_ns + (now - t0_ns).div_ceil(period) * period
            };
            while !flag.load(Ordering::Relaxed) {
                let now = super::os::monotonic_ns();
                if now < next {
                    std::thread::sleep(Duration::from_nanos((next - now).min(period)));
                    continue;
                }
                let tasks = procfs::task_samples(&roots);
                samples.push(Sample {
                    t_ns: next as i64 - t0_ns as i64,
                    tasks,
                });
                next += period;
            }
            samples
        });
        ThreadSampler {
            stop,
            handle: Some(handle),
            every,
        }
    }

    /// Stops sampling; the samples with the run's thread names.
    pub fn finish(mut self, names: Vec<NamedTask>) -> ThreadSamples {
        self.stop.store(true, Ordering::Relaxed);
        let samples = self
            .handle
            .take()
            .and_then(|h| h.join().ok())
            .unwrap_or_default();
        ThreadSamples {
            every_ns: self.every.as_nanos() as u64,
            samples,
            names,
        }
    }
}

impl Drop for ThreadSampler {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

impl NamedTask {
    /// The threads and processes the summaries name.
    pub fn from_summaries<'a>(
        summaries: impl Iterator<Item = &'a super::protocol::Summary>,
    ) -> Vec<NamedTask> {
        let mut out = Vec::new();
        for s in summaries {
            for t in &s.threads {
                out.push(NamedTask {
                    name: t.name.clone(),
                    pid: t.pid,
                    tid: t.tid,
                });
            }
            for p in &s.processes {
                out.push(NamedTask {
                    name: p.name.clone(),
                    pid: p.pid,
                    tid: p.pid,
                });
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_on_the_grid_of_time_zero() {
        let t0 = super::super::os::monotonic_ns() + 3_000_000;
        let s = ThreadSampler::start(vec![std::process::id()], t0, Duration::from_millis(5));
        std::thread::sleep(Duration::from_millis(40));
        let out = s.finish(Vec::new());
        assert!(out.samples.len() >= 3, "{}", out.samples.len());
        for w in out.samples.windows(2) {
            assert_eq!(w[1].t_ns - w[0].t_ns, 5_000_000);
        }
        assert_eq!(out.samples[0].t_ns.rem_euclid(5_000_000), 0);
        assert!(out.samples[0]
            .tasks
            .iter()
            .any(|t| t.pid == std::process::id()));
    }
}
