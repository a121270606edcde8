//! What waking a thread costs on this machine: `execsim calibrate --machine`.
//!
//! Two threads of this process, no interpreter in between (the Python probe,
//! `wake_probe.py`, also timed the woken thread's wait for the GIL): thread A pinned to
//! CPU 0 spins for a chosen gap, so that CPU 1 idles that long, then wakes thread B, parked
//! (`futex` wait) on CPU 1, and times its own `unpark` (a `futex` wake) and the moment B
//! runs. Once more with B on A's own CPU, for the cost of a wake-up that needs no other
//! CPU. Per gap, the medians and the 90th percentiles give [`MachineCosts`]' wake-up keys
//! ([`WakeProbe::machine_costs`]).
//!
//! **Why it matters.** On the 2-vCPU VMs of this crate's machine kind, kicking another,
//! idle vCPU costs the waker's system call itself: live GIL traces of the thread-pool
//! service (2026-12-02, afternoon host) show the client's `send` taking 1.7 µs when the
//! event loop it wakes is on the client's own CPU and 14.1 µs when it is on the other one
//! (the worker's self-pipe `send`, always to the other CPU: 12.4 µs); this probe on the same
//! host: `unpark` 0.3 µs onto the own CPU, 10 µs onto an idle one, 13 µs onto one idle for
//! 50 µs or more. Hosts of the one kind differ: the morning host woke a vCPU idle for up to
//! 150 µs in about 9 µs and one idle for 200 µs or more in about 115 µs (the Python probe),
//! the afternoon one in 20 µs up to 20 µs of idleness and 38 µs from 50 µs on. So the
//! machine's wake-up costs are measured, not assumed.

use super::trace_wakes::base_width;
use crate::kernel::SimDuration;
use crate::machine::MachineCosts;
use nix::sched::{sched_setaffinity, CpuSet};
use nix::unistd::Pid;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The idle gaps probed, µs.
pub const GAPS_US: [u64; 11] = [5, 10, 20, 30, 50, 75, 100, 150, 200, 300, 500];

/// Wake-ups timed per gap.
pub const SAMPLES: usize = 120;

/// One gap's measurements, ns.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GapStats {
    /// How long the woken thread's CPU idled, µs.
    pub gap_us: u64,
    /// Median duration of the waker's `unpark`.
    pub waker_ns: f64,
    /// Median time from the start of the `unpark` to the woken thread running.
    pub wakee_ns: f64,
    /// 90th percentile of the same.
    pub wakee_p90_ns: f64,
    /// From the end of the `unpark` to the wakee running: the base of the uniform draw
    /// with the same median and interquartile range (as the traces' wake-ups are read,
    /// [`crate::calibrate::trace_wakes`]).
    pub after_base_ns: u64,
    /// The width of that draw.
    pub after_width_ns: u64,
}

/// What the probe measured.
#[derive(Clone, Debug, PartialEq)]
pub struct WakeProbe {
    /// Median `unpark` of a thread parked on the waker's own CPU, ns.
    pub local_waker_ns: f64,
    /// Per gap, onto the other CPU.
    pub gaps: Vec<GapStats>,
}

/// Errors of the probe.
#[derive(Debug, thiserror::Error)]
pub enum WakeProbeError {
    /// Fewer than two CPUs are allowed.
    #[error("the wake-up probe needs CPUs 0 and 1 (sched_setaffinity: {0})")]
    Affinity(nix::Error),
    /// The woken thread never ran.
    #[error("the woken thread did not run within 1 s")]
    Stuck,
}

fn pin(cpu: usize) -> Result<(), WakeProbeError> {
    let mut set = CpuSet::new();
    set.set(cpu).map_err(WakeProbeError::Affinity)?;
    sched_setaffinity(Pid::from_raw(0), &set).map_err(WakeProbeError::Affinity)
}

fn quantile(v: &mut [u64], q: f64) -> f64 {
    v.sort_unstable();
    v[((v.len() - 1) as f64 * q).round() as usize] as f64
}

/// Thread B: parks, and on each wake-up stores when it ran (ns since `epoch`, at least 1).
struct Parked {
    woke: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
    handle: std::thread::JoinHandle<()>,
}

impl Parked {
    fn start(cpu: usize, epoch: Instant) -> Result<Parked, WakeProbeError> {
        let (woke, stop) = (
            Arc::new(AtomicU64::new(0)),
            Arc::new(AtomicBool::new(false)),
        );
        let (w, s) = (woke.clone(), stop.clone());
        let (tx, rx) = std::sync::mpsc::channel();
        let handle = std::thread::spawn(move || {
            let pinned = pin(cpu);
            let ok = pinned.is_ok();
            let _ = tx.send(pinned);
            while ok && !s.load(Ordering::SeqCst) {
                std::thread::park();
                let t = epoch.elapsed().as_nanos() as u64;
                w.store(t.max(1), Ordering::SeqCst);
            }
        });
        rx.recv().map_err(|_| WakeProbeError::Stuck)??;
        std::thread::sleep(Duration::from_millis(5));
        Ok(Parked { woke, stop, handle })
    }

    /// Wakes B; returns (unpark duration, time from its start to B running), ns. `wait`
    /// says how to wait for B: spinning (B is on another CPU) or yielding (on ours).
    fn wake_once(&self, epoch: Instant, spin: bool) -> Result<(u64, u64), WakeProbeError> {
        self.woke.store(0, Ordering::SeqCst);
        let t0 = epoch.elapsed().as_nanos() as u64;
        self.handle.thread().unpark();
        let t1 = epoch.elapsed().as_nanos() as u64;
        let deadline = Instant::now() + Duration::from_secs(1);
        loop {
            let w = self.woke.load(Ordering::SeqCst);
            if w != 0 {
                return Ok((t1 - t0, w.saturating_sub(t0)));
            }
            if Instant::now() > deadline {
                return Err(WakeProbeError::Stuck);
            }
            if spin {
                std::hint::spin_loop();
            } else {
                std::thread::yield_now();
            }
        }
    }

    fn finish(self) {
        self.stop.store(true, Ordering::SeqCst);
        self.handle.thread().unpark();
        let _ = self.handle.join();
    }
}

/// Runs the probe (about half a second). The calling thread is pinned to CPU 0 for the
/// duration and given back its affinity after.
pub fn measure() -> Result<WakeProbe, WakeProbeError> {
    let before =
        nix::sched::sched_getaffinity(Pid::from_raw(0)).map_err(WakeProbeError::Affinity)?;
    let out = measure_pinned();
    let _ = sched_setaffinity(Pid::from_raw(0), &before);
    out
}

fn measure_pinned() -> Result<WakeProbe, WakeProbeError> {
    pin(0)?;
    let epoch = Instant::now();
    let local = Parked::start(0, epoch)?;
    let mut waker = Vec::with_capacity(SAMPLES);
    for _ in 0..SAMPLES {
        waker.push(local.wake_once(epoch, false)?.0);
    }
    local.finish();
    let local_waker_ns = quantile(&mut waker, 0.5);
    let remote = Parked::start(1, epoch)?;
    let mut gaps = Vec::new();
    for gap_us in GAPS_US {
        let (mut waker, mut wakee) = (Vec::new(), Vec::new());
        for _ in 0..SAMPLES {
            let until = Instant::now() + Duration::from_micros(gap_us);
            while Instant::now() < until {
                std::hint::spin_loop();
            }
            let (a, b) = remote.wake_once(epoch, true)?;
            waker.push(a);
            wakee.push(b);
        }
        let after = waker.iter().zip(&wakee).map(|(a, b)| b.saturating_sub(*a));
        let (after_base_ns, after_width_ns) = base_width(after.collect());
        gaps.push(GapStats {
            gap_us,
            waker_ns: quantile(&mut waker, 0.5),
            wakee_ns: quantile(&mut wakee, 0.5),
            wakee_p90_ns: quantile(&mut wakee, 0.9),
            after_base_ns,
            after_width_ns,
        });
    }
    remote.finish();
    Ok(WakeProbe {
        local_waker_ns,
        gaps,
    })
}

impl WakeProbe {
    /// The wake-up keys of [`MachineCosts`] this probe gives, on top of `base` (every other
    /// key kept):
    ///
    /// - `wake_idle`, `wake_jitter`: the shortest gap's time from the end of the `unpark` to
    ///   the wakee running, as a uniform draw (`after_base_ns`, `after_width_ns`: the
    ///   simulation's wakee runs that long after the waker's call, kick included, has ended);
    /// - `halt_poll`: the longest gap up to which every gap's wake-up stays below the
    ///   midpoint between the shortest and the longest gap's (0 if none does, or if the
    ///   longest gap's is within 25% of the shortest's: no window to tell apart);
    /// - `wake_halted`, `wake_halted_jitter`: the longest gap's, as `wake_idle`;
    /// - `wake_idle_waker`, `wake_halted_waker`: the shortest and longest gap's median
    ///   `unpark` less the local one's.
    pub fn machine_costs(&self, base: &MachineCosts) -> MachineCosts {
        let (Some(short), Some(long)) = (self.gaps.first(), self.gaps.last()) else {
            return *base;
        };
        let local = self.local_waker_ns;
        let ns = |x: f64| SimDuration::from_nanos(x.max(0.0).round() as u64);
        let mid = (short.wakee_ns + long.wakee_ns) / 2.0;
        let halt_poll = if long.wakee_ns < 1.25 * short.wakee_ns {
            0
        } else {
            self.gaps
                .iter()
                .take_while(|g| g.wakee_ns < mid)
                .last()
                .map_or(0, |g| g.gap_us)
        };
        let mut m = *base;
        m.wake_idle = SimDuration::from_nanos(short.after_base_ns);
        m.wake_jitter = SimDuration::from_nanos(short.after_width_ns);
        m.halt_poll = SimDuration::from_micros(halt_poll);
        m.wake_halted = SimDuration::from_nanos(long.after_base_ns);
        m.wake_halted_jitter = SimDuration::from_nanos(long.after_width_ns);
        m.wake_idle_waker = ns(short.waker_ns - local);
        m.wake_halted_waker = ns(long.waker_ns - local);
        m
    }

    /// The measurements as a table, one line per gap.
    pub fn table(&self) -> String {
        let mut s = format!(
            "unpark of a thread on the waker's own CPU: {:.1} us\nidle gap   unpark   wakee runs after (median, p90)\n",
            self.local_waker_ns / 1e3
        );
        for g in &self.gaps {
            s += &format!(
                "{:>5} us {:>6.1} us {:>8.1} us {:>7.1} us\n",
                g.gap_us,
                g.waker_ns / 1e3,
                g.wakee_ns / 1e3,
                g.wakee_p90_ns / 1e3
            );
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A gap's figures in µs; the draw after the `unpark` is given as its median after the
    /// call (wakee - waker) and a width of 2.5 × (p90 - median).
    fn gap(gap_us: u64, waker: f64, wakee: f64, p90: f64) -> GapStats {
        GapStats {
            gap_us,
            waker_ns: waker * 1e3,
            wakee_ns: wakee * 1e3,
            wakee_p90_ns: p90 * 1e3,
            after_base_ns: ((wakee - waker) * 1e3).round() as u64,
            after_width_ns: ((p90 - wakee) / 0.4 * 1e3).round() as u64,
        }
    }

    #[test]
    fn the_keys_follow_the_gaps() {
        // The afternoon host of 2026-12-02 (`calibrate --machine`), rounded.
        let p = WakeProbe {
            local_waker_ns: 300.0,
            gaps: vec![
                gap(5, 10.3, 19.8, 21.8),
                gap(20, 10.2, 21.0, 27.9),
                gap(50, 12.9, 37.4, 39.6),
                gap(500, 13.3, 38.3, 41.3),
            ],
        };
        let m = p.machine_costs(&MachineCosts::default());
        assert_eq!(m.wake_idle, SimDuration::from_nanos(9_500));
        assert_eq!(m.wake_jitter, SimDuration::from_nanos(5_000));
        assert_eq!(m.halt_poll, SimDuration::from_micros(20));
        assert_eq!(m.wake_halted, SimDuration::from_nanos(25_000));
        assert_eq!(m.wake_idle_waker, SimDuration::from_nanos(10_000));
        assert_eq!(m.wake_halted_waker, SimDuration::from_nanos(13_000));
        assert_eq!(m.ctx_switch, MachineCosts::default().ctx_switch);
        // Every gap already slow: no halt-poll window.
        let slow = WakeProbe {
            local_waker_ns: 0.0,
            gaps: vec![gap(5, 40.0, 110.0, 120.0), gap(500, 40.0, 112.0, 120.0)],
        };
        assert_eq!(
            slow.machine_costs(&MachineCosts::default()).halt_poll,
            SimDuration::ZERO
        );
    }
}
