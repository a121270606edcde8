//! What Linux's `/proc` tells about the machine and the live run's threads, read through the
//! `procfs` crate: CPU busy time per core (to check the machine is idle before measuring, and
//! the cores' use during a run), each thread's CPU time and last core, each thread's run time
//! in nanoseconds and last CPU for the periodic samples of a run ([`task_samples`]), the load
//! average and the CPU model. The one reader of `/proc` in the crate (calibration's machine
//! description asks it too).

use procfs::process::{Process, Stat};
use procfs::{Current, CurrentSI, KernelStats, LoadAverage};
use std::time::Duration;

/// Cumulative jiffies of one CPU from `/proc/stat`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CpuTimes {
    /// Time not idle (user, nice, system, irq, softirq, steal).
    pub busy: u64,
    /// All time.
    pub total: u64,
}

/// Per-CPU times (`cpu0`, `cpu1`, ... lines of `/proc/stat`); empty if unreadable.
pub fn cpu_times() -> Vec<CpuTimes> {
    let Ok(stats) = KernelStats::current() else {
        return Vec::new();
    };
    stats
        .cpu_time
        .iter()
        .map(|c| {
            // Not counted: guest and guest_nice, already included in user and nice.
            let idle = c.idle + c.iowait.unwrap_or(0);
            let total = c.user
                + c.nice
                + c.system
                + idle
                + c.irq.unwrap_or(0)
                + c.softirq.unwrap_or(0)
                + c.steal.unwrap_or(0);
            CpuTimes {
                busy: total - idle,
                total,
            }
        })
        .collect()
}

/// Busy fraction of each CPU between two samples.
pub fn utilisation(before: &[CpuTimes], after: &[CpuTimes]) -> Vec<f64> {
    before
        .iter()
        .zip(after)
        .map(|(b, a)| {
            let total = a.total.saturating_sub(b.total);
            if total == 0 {
                0.0
            } else {
                a.busy.saturating_sub(b.busy) as f64 / total as f64
            }
        })
        .collect()
}

/// How busy the machine was just before a measurement.
#[derive(Clone, Debug, PartialEq)]
pub struct IdleReport {
    /// Busy CPUs over the window, in cores (0.0 = idle, 2.0 = both of 2 cores busy).
    pub busy_cores: f64,
    /// The window.
    pub window: Duration,
    /// `/proc/loadavg`'s first three fields.
    pub loadavg: String,
}

impl IdleReport {
    /// A warning if more than `threshold` cores were busy.
    pub fn warning(&self, threshold: f64) -> Option<String> {
        (self.busy_cores > threshold).then(|| {
            format!(
                "the machine is not idle: {:.0}% of a core busy over the {} ms before the run \
                 (load average {}); live figures will be disturbed",
                self.busy_cores * 100.0,
                self.window.as_millis(),
                self.loadavg
            )
        })
    }
}

/// Samples `/proc/stat` over `window` (this process's own use included, which is nil while
/// it sleeps).
pub fn idle_check(window: Duration) -> IdleReport {
    let a = cpu_times();
    std::thread::sleep(window);
    let b = cpu_times();
    let busy_cores = utilisation(&a, &b).iter().sum();
    let loadavg = LoadAverage::current()
        .map(|l| format!("{:.2} {:.2} {:.2}", l.one, l.five, l.fifteen))
        .unwrap_or_else(|_| "unknown".into());
    IdleReport {
        busy_cores,
        window,
        loadavg,
    }
}

/// CPU seconds (user + system) and last CPU of a task from its parsed `stat` file.
pub fn task_cpu(stat: &Stat) -> Option<(f64, u16)> {
    let cpu = u16::try_from(stat.processor?).ok()?;
    let hz = procfs::ticks_per_second().max(1) as f64;
    Some(((stat.utime + stat.stime) as f64 / hz, cpu))
}

/// CPU seconds and last CPU of thread `tid` of process `pid`.
pub fn thread_stat(pid: u32, tid: u32) -> Option<(f64, u16)> {
    let task = Process::new(pid as i32)
        .ok()?
        .task_from_tid(tid as i32)
        .ok()?;
    task_cpu(&task.stat().ok()?)
}

/// Time thread `tid` of process `pid` has spent runnable in a run queue, waiting for a CPU,
/// ns (`schedstat`'s second field, `run_delay`; a process's main thread when `tid == pid`).
pub fn thread_run_delay(pid: u32, tid: u32) -> Option<u64> {
    let task = Process::new(pid as i32)
        .ok()?
        .task_from_tid(tid as i32)
        .ok()?;
    Some(task.schedstat().ok()?.run_delay)
}

/// CPU seconds (all threads) and last CPU of process `pid`.
pub fn process_stat(pid: u32) -> Option<(f64, u16)> {
    task_cpu(&Process::new(pid as i32).ok()?.stat().ok()?)
}

/// One thread's state at a sampling instant.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TaskSample {
    /// Process id.
    pub pid: u32,
    /// Thread id.
    pub tid: u32,
    /// The CPU it last ran on (`/proc/PID/task/TID/stat` field 39, `processor`).
    pub cpu: u16,
    /// Time it has spent on a CPU, ns (`schedstat`'s first field, `sum_exec_runtime`).
    pub run_ns: u64,
    /// Time it has spent runnable in a run queue, waiting for a CPU, ns (`schedstat`'s
    /// second field, `run_delay`; 0 in samples recorded before it was read).
    #[serde(default)]
    pub wait_ns: u64,
}

/// Every thread of the processes `roots` and of their descendants (children listed in each
/// thread's `/proc/PID/task/TID/children`, so the pool workers a thread forked are found),
/// sampled now. Threads that end while being read are left out.
pub fn task_samples(roots: &[u32]) -> Vec<TaskSample> {
    let mut out = Vec::new();
    let mut todo: Vec<u32> = roots.to_vec();
    let mut seen = std::collections::BTreeSet::new();
    while let Some(pid) = todo.pop() {
        if !seen.insert(pid) {
            continue;
        }
        let Ok(tasks) = Process::new(pid as i32).and_then(|p| p.tasks()) else {
            continue;
        };
        for task in tasks.flatten() {
            if let Ok(children) = task.children() {
                todo.extend(children);
            }
            let (Ok(stat), Ok(sched)) = (task.stat(), task.schedstat()) else {
                continue;
            };
            let Some(cpu) = stat.processor.and_then(|c| u16::try_from(c).ok()) else {
                continue;
            };
            out.push(TaskSample {
                pid,
                tid: task.tid as u32,
                cpu,
                run_ns: sched.sum_exec_runtime,
                wait_ns: sched.run_delay,
            });
        }
    }
    out
}

/// The CPU model name (`model name` of the first processor in `/proc/cpuinfo`).
pub fn cpu_model() -> Option<String> {
    let info = procfs::CpuInfo::current().ok()?;
    info.model_name(0).map(|m| m.trim().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use procfs::FromRead;

    #[test]
    fn stat_line() {
        // Fields 3.. after the command; utime (14) = 250, stime (15) = 50, processor (39) = 1.
        let mut f = vec!["0"; 50];
        f[0] = "R";
        f[11] = "250";
        f[12] = "50";
        f[36] = "1";
        let line = format!("1234 (python3 x) {}", f.join(" "));
        let stat = Stat::from_read(line.as_bytes()).unwrap();
        let (cpu, core) = task_cpu(&stat).unwrap();
        let hz = procfs::ticks_per_second() as f64;
        assert!((cpu - 300.0 / hz).abs() < 1e-9);
        assert_eq!(core, 1);
    }

    #[test]
    fn samples_this_process_and_its_children() {
        let mut child = std::process::Command::new("sleep")
            .arg("5")
            .spawn()
            .unwrap();
        let me = std::process::id();
        let s = task_samples(&[me]);
        let _ = child.kill();
        let _ = child.wait();
        let tid = crate::live::os::gettid();
        assert!(s
            .iter()
            .any(|t| t.pid == me && t.tid == tid && t.run_ns > 0));
        assert!(s.iter().any(|t| t.pid == child.id()));
    }

    #[test]
    fn this_machine() {
        assert!(!cpu_times().is_empty());
        let tid = crate::live::os::gettid();
        assert!(thread_stat(std::process::id(), tid).is_some());
        assert!(process_stat(std::process::id()).is_some());
    }
}
