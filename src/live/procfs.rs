//! What Linux's `/proc` tells about the machine and the live run's threads: CPU busy time
//! per core (to check the machine is idle before measuring, and the cores' use during a run),
//! and each thread's CPU time and last core.

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
    let Ok(text) = std::fs::read_to_string("/proc/stat") else {
        return Vec::new();
    };
    text.lines()
        .filter(|l| l.starts_with("cpu") && l.as_bytes().get(3).is_some_and(u8::is_ascii_digit))
        .map(|l| {
            let v: Vec<u64> = l
                .split_whitespace()
                .skip(1)
                .filter_map(|x| x.parse().ok())
                .collect();
            // user nice system idle iowait irq softirq steal guest guest_nice
            let get = |i: usize| v.get(i).copied().unwrap_or(0);
            let idle = get(3) + get(4);
            let total: u64 = (0..8).map(get).sum();
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
    let loadavg = std::fs::read_to_string("/proc/loadavg")
        .map(|t| t.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into());
    IdleReport {
        busy_cores,
        window,
        loadavg,
    }
}

/// CPU seconds and last CPU of a task from the text of its `stat` file.
pub fn parse_stat(text: &str) -> Option<(f64, u16)> {
    // The command name is in parentheses and may contain spaces: split after the last ')'.
    let rest = &text[text.rfind(')')? + 1..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    // rest starts at field 3 (state): utime = field 14, stime = 15, processor = 39.
    let utime: u64 = f.get(11)?.parse().ok()?;
    let stime: u64 = f.get(12)?.parse().ok()?;
    let cpu: u16 = f.get(36)?.parse().ok()?;
    // SAFETY: sysconf has no preconditions.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    let hz = if hz > 0 { hz as f64 } else { 100.0 };
    Some(((utime + stime) as f64 / hz, cpu))
}

/// CPU seconds and last CPU of thread `tid` of process `pid`.
pub fn thread_stat(pid: u32, tid: u32) -> Option<(f64, u16)> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/task/{tid}/stat")).ok()?;
    parse_stat(&text)
}

/// CPU seconds (all threads) and last CPU of process `pid`.
pub fn process_stat(pid: u32) -> Option<(f64, u16)> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    parse_stat(&text)
}

/// The CPUs this process may run on (its affinity mask), in order.
pub fn allowed_cpus() -> Vec<usize> {
    // SAFETY: a zeroed cpu_set_t is a valid empty set; sched_getaffinity writes at most its size.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        if libc::sched_getaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &mut set) != 0 {
            let n = std::thread::available_parallelism().map_or(1, |n| n.get());
            return (0..n).collect();
        }
        (0..libc::CPU_SETSIZE as usize)
            .filter(|&c| libc::CPU_ISSET(c, &set))
            .collect()
    }
}

/// Restricts the calling thread to `cores` (nothing if empty). Linux applies affinity per
/// thread when called with pid 0 from the thread itself.
pub fn pin_current_thread(cores: &[usize]) -> std::io::Result<()> {
    if cores.is_empty() {
        return Ok(());
    }
    // SAFETY: the set is initialised by CPU_ZERO/CPU_SET within its size; pid 0 = this thread.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_ZERO(&mut set);
        for &c in cores {
            if c < libc::CPU_SETSIZE as usize {
                libc::CPU_SET(c, &mut set);
            }
        }
        if libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set) != 0 {
            return Err(std::io::Error::last_os_error());
        }
    }
    Ok(())
}

/// The calling thread's Linux thread id.
pub fn gettid() -> u32 {
    // SAFETY: gettid has no preconditions.
    unsafe { libc::gettid() as u32 }
}

/// `CLOCK_MONOTONIC` now, in nanoseconds (the clock Python's `time.monotonic_ns` reads).
pub fn monotonic_ns() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: ts is a valid timespec to write to.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_line() {
        // Fields 3.. after the command; utime (14) = 250, stime (15) = 50, processor (39) = 1.
        let mut f = vec!["0"; 50];
        f[11] = "250";
        f[12] = "50";
        f[36] = "1";
        let line = format!("1234 (python3 x) {}", f.join(" "));
        let (cpu, core) = parse_stat(&line).unwrap();
        let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
        assert!((cpu - 300.0 / hz).abs() < 1e-9);
        assert_eq!(core, 1);
    }

    #[test]
    fn this_machine() {
        assert!(!cpu_times().is_empty());
        assert!(!allowed_cpus().is_empty());
        let a = monotonic_ns();
        assert!(monotonic_ns() >= a);
        assert!(thread_stat(std::process::id(), gettid()).is_some());
    }
}
