//! What a live process asks the OS about itself, through `nix`'s safe wrappers: the CPUs it
//! may run on, pinning a thread to cores, its thread id, and the monotonic clock shared with
//! Python's `time.monotonic_ns`.

use nix::sched::{sched_getaffinity, sched_setaffinity, CpuSet};
use nix::time::{clock_gettime, ClockId};
use nix::unistd::Pid;

/// The CPUs this process may run on (its affinity mask), in order.
pub fn allowed_cpus() -> Vec<usize> {
    match sched_getaffinity(Pid::from_raw(0)) {
        Ok(set) => (0..CpuSet::count())
            .filter(|&c| set.is_set(c).unwrap_or(false))
            .collect(),
        Err(_) => {
            let n = std::thread::available_parallelism().map_or(1, |n| n.get());
            (0..n).collect()
        }
    }
}

/// Restricts the calling thread to `cores` (nothing if empty). Linux applies affinity per
/// thread when called with pid 0 from the thread itself.
pub fn pin_current_thread(cores: &[usize]) -> std::io::Result<()> {
    if cores.is_empty() {
        return Ok(());
    }
    let mut set = CpuSet::new();
    for &c in cores {
        // A core beyond the set's capacity is left out, as the kernel would.
        let _ = set.set(c);
    }
    sched_setaffinity(Pid::from_raw(0), &set).map_err(std::io::Error::from)
}

/// The calling thread's Linux thread id.
pub fn gettid() -> u32 {
    nix::unistd::gettid().as_raw() as u32
}

/// `CLOCK_MONOTONIC` now, in nanoseconds (the clock Python's `time.monotonic_ns` reads).
pub fn monotonic_ns() -> u64 {
    let ts = clock_gettime(ClockId::CLOCK_MONOTONIC).expect("CLOCK_MONOTONIC is always readable");
    ts.tv_sec() as u64 * 1_000_000_000 + ts.tv_nsec() as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_machine() {
        assert!(!allowed_cpus().is_empty());
        let a = monotonic_ns();
        assert!(monotonic_ns() >= a);
        assert!(gettid() > 0);
        pin_current_thread(&allowed_cpus()).unwrap();
    }
}
