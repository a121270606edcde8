//! What keeps a process of a live run from outliving the run, in the Rust backend's own
//! processes (`execsim __live child` and `execsim __live worker`); the CPython reference
//! service does the same in Python (`reference_service.py`).
//!
//! Three independent guards, because each misses a case the others cover:
//! - `PR_SET_PDEATHSIG = SIGKILL`, set by the parent before `exec`
//!   ([`super::supervise::die_with_parent`]): the kernel kills the process as soon as its
//!   parent dies, even by SIGKILL. It is tied to the parent *thread* that forked, and lost in a
//!   window where the parent dies before the child is set up.
//! - A watchdog thread ([`spawn_watchdog`]) that polls `getppid()`: if the parent changed (the
//!   process was re-parented to a subreaper or to init), the run is over, and the process
//!   exits.
//! - The same thread ends the process at the run's deadline (its duration plus margins),
//!   whatever its parent does, in case the parent hangs instead of dying.

use super::os::monotonic_ns;
use std::time::Duration;

/// How often the watchdog looks at the parent pid and the clock. The parent-death signal acts
/// at once; this only bounds how long the fallback takes.
pub const POLL: Duration = Duration::from_millis(100);

/// Exit status of a process whose parent went away.
pub const EXIT_ORPHANED: i32 = 4;

/// Exit status of a process that reached its deadline.
pub const EXIT_DEADLINE: i32 = 3;

/// Starts the watchdog thread of this process: exits with [`EXIT_ORPHANED`] when the parent pid
/// is no longer `parent`, and calls `at_deadline` (which must end the process) once
/// `CLOCK_MONOTONIC` reaches `deadline_ns`.
pub fn spawn_watchdog(parent: u32, deadline_ns: u64, at_deadline: fn() -> !) {
    let spawned = std::thread::Builder::new()
        .name("lifeline".into())
        .spawn(move || loop {
            if nix::unistd::getppid().as_raw() as u32 != parent {
                std::process::exit(EXIT_ORPHANED);
            }
            if monotonic_ns() >= deadline_ns {
                at_deadline();
            }
            std::thread::sleep(POLL);
        });
    if spawned.is_err() {
        // Without its watchdog the process still dies with its parent (PDEATHSIG); say so.
        eprintln!("execsim: cannot start the lifeline thread");
    }
}

/// The parent pid of this process.
pub fn parent_pid() -> u32 {
    nix::unistd::getppid().as_raw() as u32
}

/// The deadline `seconds` after `now_ns` (`CLOCK_MONOTONIC` nanoseconds); a non-finite or
/// non-positive value counts as 60 s, the watchdog's fallback.
pub fn deadline_after(now_ns: u64, seconds: f64) -> u64 {
    let s = if seconds.is_finite() && seconds > 0.0 {
        seconds
    } else {
        60.0
    };
    now_ns.saturating_add((s * 1e9) as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deadlines_fall_back_to_a_minute() {
        assert_eq!(deadline_after(5, 2.5), 2_500_000_005);
        assert_eq!(deadline_after(5, f64::NAN), 60_000_000_005);
        assert_eq!(deadline_after(5, -1.0), 60_000_000_005);
        assert_eq!(deadline_after(u64::MAX - 1, 1.0), u64::MAX);
    }
}
