//! The host's speed measured around each live run: how fast the prime core and the request
//! path run on the host just before the run and just after, against the calibration.
//!
//! **Why.** On a shared VM the CPython interpreter's speed is not a constant of the machine:
//! measured on the 2-vCPU VM this crate was built on, `find_nth_prime(100)` costs about 85 or
//! 145–165 ns per `num % div` test (best of 5, thread CPU time), switching between the two
//! from one process launch to the next and, within a process, from one 100 ms to the next,
//! while SHA-256 of 1 MiB in the same processes stays at 680–750 µs (the interpreter's branchy
//! code is what suffers from whatever else the host runs). A calibration measured once can be
//! off by 2× for a given live run.
//!
//! **How.** Before the service starts and after it is killed, execsim runs a few short
//! Python processes ([`crate::live::speed_probe`]: each started with an environment of a
//! different size, the fast mode of their readings kept, for the reason that module gives);
//! each calls `find_nth_prime(`[`PROBE_N`](crate::live::speed_probe::PROBE_N)`)`
//! [`PROBE_REPS`](crate::live::speed_probe::PROBE_REPS) times and keeps the shortest
//! **thread CPU time** (`time.thread_time_ns`: waits for a CPU are not counted). (Until
//! 2026-12-03 the service timed it in its own main thread, before the clients started and
//! after the run's last second; the records of those runs read the same way.) Divided by the
//! calibration's
//! prediction for the exact op counts of `find_nth_prime(PROBE_N)`
//! ([`crate::workload::prime::op_count`], [`CoreCost::nanos`]) this gives the **ratio** of
//! the run's speed to the calibration's (2.0: twice as slow); the run's ratio is the mean of
//! the two. Expressed in the calibration's unit, the measured cost per test is the
//! calibration's `per_test_ns` times the ratio. How well two probes stand for a whole run
//! was measured with one client sending n = 300 (inline, one CPU, 12 runs of 4 s, the
//! machine busy): the event loop's CPU time per request gave 1.89–2.69× the calibration
//! (median 2.40), the probes 2.20 (median).
//!
//! **Process-pool workers** are forked from the service; whether their speed follows the
//! parent's was measured (`validation/host-speed/speed_fork.py`: the parent's probe, a
//! forked child's, the parent's again, per launch; 58 launches in three batches, the fast
//! mode below 115 ns per test): the child's mode differed from the parent's probe just before
//! it in 8 launches, and the parent's two probes, a few milliseconds apart, differed from
//! each other in 9. The speed belongs to the moment, not to the process: a forked worker
//! runs at its parent's speed of the moment and is not probed separately.
//!
//! **Rust backend**: not probed, its core's speed is stable.
//! `examples/rust_core_stability.rs` (6 launches × 10 samples 100 ms apart, best
//! of 5 × `find_nth_prime(300)`): 2.01–2.17 ns per test in one session, 1.95–2.46 in
//! another (±4% around the median, against CPython's 2×).

use crate::interp::PythonVersion;
use crate::live::cold_start::{ColdProbe, PROBE_IDLE_NS};
use crate::live::speed_probe::{CoreProbe, ProbeReading};
use crate::live::stats::median;
use crate::sim::calibration::Calibration;
use crate::workload::cost::{shared_op_count, Backend, CoreCost};
use serde::{Deserialize, Serialize};

/// The speed of one live run's prime core against the calibration.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HostSpeed {
    /// The probe: `find_nth_prime(n)`, shortest of `reps` calls (thread CPU time).
    pub probe_n: u64,
    /// Calls per probe.
    pub probe_reps: u32,
    /// Cost per test before the clients started, ns (the calibration's `per_test_ns` × the
    /// ratio before).
    pub before_per_test_ns: f64,
    /// Cost per test after the last second, ns (None: the run ended before it was measured).
    pub after_per_test_ns: Option<f64>,
    /// The calibration's `per_test_ns`.
    pub calibrated_per_test_ns: f64,
    /// Measured ÷ predicted call time before the run.
    pub ratio_before: f64,
    /// Measured ÷ predicted call time after the run.
    pub ratio_after: Option<f64>,
    /// The run's speed: the mean of the two ratios (the one before if there is no after).
    pub ratio: f64,
    /// The probe's measured time before the run, ns (None for a run recorded before it was
    /// kept: then the ratios above are against the calibration of that time).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub probe_before_ns: Option<f64>,
    /// The same after the run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub probe_after_ns: Option<f64>,
    /// The request path's probe before the run, ns per round trip (see
    /// [`service_factor`]); None for a run recorded before it existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_before_ns: Option<f64>,
    /// The same after the run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_after_ns: Option<f64>,
    /// The cold-start probe before the run ([`crate::live::cold_start`]); None for a run
    /// recorded before it existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cold: Option<ColdProbe>,
    /// Each probe process's readings before the run ([`crate::live::speed_probe`]; empty
    /// for a run recorded before the probe ran in processes of its own).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub readings_before: Vec<ProbeReading>,
    /// The same after the run.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub readings_after: Vec<ProbeReading>,
}

/// The speed one simulation of a live run uses: the prime core's ratio to the calibration
/// and, when the runs measured it, the request path's probe (ns per round trip).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RunSpeed {
    /// The prime core's time over the calibration's.
    pub ratio: f64,
    /// The request path's probe, ns per round trip.
    pub service_ns: Option<f64>,
    /// The runs' median cold-start probe, when they measured it: reported, not simulated
    /// ([`crate::live::cold_start`] says why).
    pub cold: Option<ColdProbe>,
}

impl HostSpeed {
    /// The speed of a run from its probe, against `cal`'s CPython core.
    pub fn from_probe(probe: &CoreProbe, cal: &Calibration) -> HostSpeed {
        let core = cal.core(Backend::Cpython);
        let predicted = predicted_ns(&core, probe.n);
        let ratio_before = probe.before_ns / predicted;
        let ratio_after = probe.after_ns.map(|a| a / predicted);
        let ratio = match ratio_after {
            Some(a) => (ratio_before + a) / 2.0,
            None => ratio_before,
        };
        HostSpeed {
            probe_n: probe.n,
            probe_reps: probe.reps,
            before_per_test_ns: core.per_test_ns * ratio_before,
            after_per_test_ns: ratio_after.map(|r| core.per_test_ns * r),
            calibrated_per_test_ns: core.per_test_ns,
            ratio_before,
            ratio_after,
            ratio,
            probe_before_ns: Some(probe.before_ns),
            probe_after_ns: probe.after_ns,
            service_before_ns: probe.service_before_ns,
            service_after_ns: probe.service_after_ns,
            cold: match (probe.service_warm_rt_ns, probe.service_cold_rt_ns) {
                (Some(warm_ns), Some(cold_ns)) => Some(ColdProbe { warm_ns, cold_ns }),
                _ => None,
            },
            readings_before: probe.readings_before.clone(),
            readings_after: probe.readings_after.clone(),
        }
    }

    /// This run's speed against `cal` (the ratios of a record are against the calibration
    /// in use when it was measured; a record with its probe times is re-derived, one without
    /// is kept as it is).
    pub fn against(&self, cal: &Calibration) -> HostSpeed {
        match self.probe_before_ns {
            Some(before_ns) => HostSpeed::from_probe(
                &CoreProbe {
                    n: self.probe_n,
                    reps: self.probe_reps,
                    before_ns,
                    after_ns: self.probe_after_ns,
                    service_before_ns: self.service_before_ns,
                    service_after_ns: self.service_after_ns,
                    service_warm_rt_ns: self.cold.map(|c| c.warm_ns),
                    service_cold_rt_ns: self.cold.map(|c| c.cold_ns),
                    readings_before: self.readings_before.clone(),
                    readings_after: self.readings_after.clone(),
                },
                cal,
            ),
            None => self.clone(),
        }
    }

    /// The run's request-path probe: the faster of before and after, ns per round trip.
    /// Runs recorded before the probe had processes of its own timed it in the service after
    /// the run's last second, where a CPU-bound thread still running (a long request, a
    /// thread-per-connection CPU hog) made the probe retake the GIL after each system call:
    /// the validation matrix of 2026-12-02 measured 15.2–17.7 µs before every run and after
    /// every run without such a thread, and 20–302 µs after runs with one. The faster probe
    /// is the speed; a slower one measured contention.
    pub fn service_ns(&self) -> Option<f64> {
        match (self.service_before_ns, self.service_after_ns) {
            (Some(b), Some(a)) => Some(b.min(a)),
            (b, a) => b.or(a),
        }
    }

    /// The change from before to after, relative (+0.10: 10% slower at the end).
    pub fn drift(&self) -> Option<f64> {
        self.ratio_after.map(|a| a / self.ratio_before - 1.0)
    }

    /// The run's cost per test of the prime core, ns (the calibration's times the run's
    /// ratio).
    pub fn per_test_ns(&self) -> f64 {
        self.calibrated_per_test_ns * self.ratio
    }

    /// One line for the text report.
    pub fn line(&self) -> String {
        let after = match (self.after_per_test_ns, self.drift()) {
            (Some(a), Some(d)) => format!(", after {a:.1} ns ({:+.0}% drift)", d * 100.0),
            _ => ", after: not measured".to_string(),
        };
        format!(
            "host speed: prime core {:.2}x the calibration's time ({:.1} ns per test before the run{after}; calibration {:.1} ns; find_nth_prime({}), best of {})",
            self.ratio,
            self.before_per_test_ns,
            self.calibrated_per_test_ns,
            self.probe_n,
            self.probe_reps
        ) + &self
            .service_ns()
            .map_or(String::new(), |ns| {
                format!("; request path {:.1} us per round trip", ns / 1e3)
            })
            + &self.cold.map_or(String::new(), |c| {
                format!(
                    "; cold start +{:.1} us per round trip after {} ms asleep ({:.1} against {:.1})",
                    c.extra_ns() / 1e3,
                    PROBE_IDLE_NS / 1_000_000,
                    c.cold_ns / 1e3,
                    c.warm_ns / 1e3
                )
            })
    }
}

/// The calibration's predicted time of `find_nth_prime(n)`, ns.
fn predicted_ns(core: &CoreCost, n: u64) -> f64 {
    let ops = shared_op_count(n).expect("the probe's n is small and positive");
    core.nanos(&ops)
}

/// The median of several runs' ratios, rounded to 4 decimals (so that a value written to
/// and read back from JSON simulates the same, bit for bit).
pub fn median_ratio(speeds: &[HostSpeed]) -> Option<f64> {
    let r: Vec<f64> = speeds.iter().map(|s| s.ratio).collect();
    (!r.is_empty()).then(|| round4(median(&r)))
}

/// The median of several runs' request-path probes, ns per round trip, rounded to 4
/// decimals (None when no run measured it).
pub fn median_service_ns(speeds: &[HostSpeed]) -> Option<f64> {
    let r: Vec<f64> = speeds.iter().filter_map(HostSpeed::service_ns).collect();
    (!r.is_empty()).then(|| round4(median(&r)))
}

/// The speed to simulate several runs at: their median ratio and median request-path probe.
pub fn median_speed(speeds: &[HostSpeed]) -> Option<RunSpeed> {
    let colds: Vec<ColdProbe> = speeds.iter().filter_map(|s| s.cold).collect();
    median_ratio(speeds).map(|ratio| RunSpeed {
        ratio,
        service_ns: median_service_ns(speeds),
        cold: ColdProbe::median(&colds),
    })
}

/// `x` rounded to 4 decimals.
pub fn round4(x: f64) -> f64 {
    (x * 1e4).round() / 1e4
}

/// The factor for the service's steps of a run at `speed`.
///
/// **When the run and the calibration both measured the request path** (the run's
/// `service_ns` and `[trace_fit] service_probe_ns`): the ratio of the two probes. The
/// request path's code (asyncio, the transports, the system calls) does not run at the
/// prime core's speed across hosts of one VM kind: the same traced keys measured on
/// 2026-12-02 on two hosts (`calibrate --from-trace`) were 1.6–2.9× apart (median 2.25×
/// for the thread pool's Python keys, 1.2–3.2× for the system calls) while the prime core's
/// probe was 2.98× apart (139 against 46.6 ns per test); scaling by the prime core put
/// the simulated light rate of one client 57% above the live one on the faster host.
///
/// **Else** the prime core's: the run's cost per test over the one at which `[service]`
/// was measured ([`Calibration::service_per_test_ns`]).
pub fn service_factor(cal: &Calibration, speed: &RunSpeed) -> f64 {
    if let (Some(run), Some(reference)) = (speed.service_ns, cal.service_probe_ns()) {
        return run / reference;
    }
    let core = cal.core(Backend::Cpython).per_test_ns;
    speed.ratio * core / cal.service_per_test_ns()
}

/// `cal` with the CPython core's three coefficients multiplied by `ratio` (a run's measured
/// speed, in the run's interpreter `version`), for one simulation of that run; and, when
/// `scale_service_steps`, every CPU step of the service too
/// ([`crate::service::ServiceCosts::scale_request_steps`]) by [`service_factor`] (for another
/// build than 3.11, by the host's speed and the build's `service_ratio`), and the machine's
/// `migration_refill` (the interpreter's code refetching its lines) ([`Calibration::scaled`]).
/// Wake-up and scheduler costs (`[machine]`) are not scaled. The result is marked
/// [`Calibration::speed_of_run`]: its costs are already the run's interpreter's.
///
/// **Why the service steps scale too (measured).** `validation/host-speed/speed_correlation.py`
/// times, in one process, every 50 ms, 80 times: the prime core (`find_nth_prime(60)`), a
/// request-path-like piece of Python (a coroutine that parses and formats the request line)
/// and a `send`/`recv` pair on a socketpair, each the best of 3 in thread CPU time. Three
/// runs on the 2-vCPU VM: the Python piece moves with the core at the same instants
/// (correlation 0.76, 0.67, 0.90) and by more: in the samples where the core was in its fast
/// mode (98–104 ns per test against 143–154 ns, 1.5×) it took 900–919 ns against 1,627–1,734
/// ns (1.8–1.9×); the system calls move less (3.2–3.6 µs against 4.3–4.5 µs, 1.3×;
/// correlation 0.57, 0.50, 0.76). So the whole request path runs at the core's speed of the
/// moment, and `compare` and `validate` scale the service's steps with the same ratio
/// (`scale_service_steps = true`). A first attempt, correlating the live rate of one client
/// (inline, one CPU, 14 runs of 4 s) with its run's probe, found nothing (correlation 0.38
/// between CPU time per request and the ratio): two probes a run are too few to follow a
/// speed that changes every 100 ms, and a run's median ratio is what is used.
pub fn at_speed(
    cal: &Calibration,
    speed: &RunSpeed,
    scale_service_steps: bool,
    version: PythonVersion,
) -> Calibration {
    let factor = scale_service_steps.then(|| {
        if version == PythonVersion::V3_11 {
            return service_factor(cal, speed);
        }
        // Another build: the host's own speed is the run's prime core over this build's
        // (`[interpreters]`), and the build's request path is its `service_ratio` to 3.11's.
        // Its request-path probe is not compared with the calibration's 3.11 probe: the
        // probe's `sock.recv` buffers go through glibc's malloc, whose mmap threshold moves
        // with the process's history, and 3.11's and 3.13's probes sat in different modes
        // (26 against 52 us per round trip in speed_ratios.py, 50 against 21 us in one
        // process each), while their traced segments differ by a few percent.
        let interp = cal.interpreter_speed(version);
        let host = RunSpeed {
            ratio: speed.ratio / interp.core_ratio,
            service_ns: None,
            cold: speed.cold,
        };
        service_factor(cal, &host) * interp.service_ratio
    });
    let mut out = cal.scaled(speed.ratio, factor);
    out.speed_of_run = true;
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::live::speed_probe::{PROBE_N, PROBE_REPS};

    #[test]
    fn ratio_against_the_calibration() {
        let cal = Calibration::default_embedded();
        let core = cal.core(Backend::Cpython);
        let predicted = predicted_ns(&core, PROBE_N);
        let probe = CoreProbe {
            n: PROBE_N,
            reps: PROBE_REPS,
            before_ns: 2.0 * predicted,
            after_ns: Some(2.2 * predicted),
            service_before_ns: None,
            service_after_ns: None,
            service_warm_rt_ns: None,
            service_cold_rt_ns: None,
            readings_before: Vec::new(),
            readings_after: Vec::new(),
        };
        let h = HostSpeed::from_probe(&probe, &cal);
        assert!((h.ratio_before - 2.0).abs() < 1e-12);
        // Against a calibration whose core is twice as slow, the same probe is ratio 1.
        let mut slow = cal.clone();
        let mut c = slow.core_calibration(Backend::Cpython).clone();
        c.per_call_ns *= 2.0;
        c.per_candidate_ns *= 2.0;
        c.per_test_ns *= 2.0;
        slow.set_core(Backend::Cpython, c);
        assert!((h.against(&slow).ratio_before - 1.0).abs() < 1e-12);
        assert!((h.ratio - 2.1).abs() < 1e-12);
        assert!((h.drift().unwrap() - 0.1).abs() < 1e-12);
        assert!((h.before_per_test_ns - 2.0 * core.per_test_ns).abs() < 1e-9);
        let line = h.line();
        assert!(line.starts_with("host speed: prime core 2.10x"), "{line}");
        assert!(line.contains("(+10% drift)"), "{line}");
        let fast = at_speed(&cal, &core_only(0.5), false, PythonVersion::V3_11);
        assert_eq!(
            fast.core(Backend::Cpython).per_test_ns,
            core.per_test_ns * 0.5
        );
        assert_eq!(fast.service, cal.service);
        // The service costs scale by the run's cost per test over the one they were
        // measured at ([trace_fit] per_test_ns), not by the ratio to the core's.
        // (Here the run has no request-path probe: the prime core's ratio decides.)
        let at_service_speed = cal.service_per_test_ns() / core.per_test_ns;
        assert!((service_factor(&cal, &core_only(at_service_speed)) - 1.0).abs() < 1e-12);
        let slow = at_speed(
            &cal,
            &core_only(2.0 * at_service_speed),
            true,
            PythonVersion::V3_11,
        )
        .service
        .unwrap();
        let d = cal.service.unwrap_or_default();
        assert_eq!(slow.client_py.as_nanos(), 2 * d.client_py.as_nanos());
        assert_eq!(slow.send.as_nanos(), 2 * d.send.as_nanos());
        assert_eq!(
            slow.worker_after_wake_py.as_nanos(),
            2 * d.worker_after_wake_py.as_nanos()
        );
        assert_eq!(slow.thread_start, d.thread_start);
        assert_eq!(round4(1.234_56), 1.2346);
    }

    #[test]
    fn without_a_recorded_speed_the_service_follows_the_core() {
        let mut cal = Calibration::default_embedded();
        cal.trace_fit = None;
        cal.live_fit = None;
        assert_eq!(service_factor(&cal, &core_only(1.7)), 1.7);
    }

    fn core_only(ratio: f64) -> RunSpeed {
        RunSpeed {
            ratio,
            service_ns: None,
            cold: None,
        }
    }

    #[test]
    fn the_request_path_probe_decides_when_both_sides_have_it() {
        let mut cal = Calibration::default_embedded();
        if let Some(f) = cal.trace_fit.as_mut() {
            f.service_probe_ns = Some(40_000.0);
        }
        let run = RunSpeed {
            ratio: 3.0,
            service_ns: Some(50_000.0),
            cold: None,
        };
        assert!((service_factor(&cal, &run) - 1.25).abs() < 1e-12);
        // A run without the probe falls back on the prime core's speed.
        let old = core_only(3.0);
        let by_core = 3.0 * cal.core(Backend::Cpython).per_test_ns / cal.service_per_test_ns();
        assert!((service_factor(&cal, &old) - by_core).abs() < 1e-12);
        let speeds = [40_000.0, 44_000.0, 60_000.0].map(|b| HostSpeed {
            probe_n: PROBE_N,
            probe_reps: PROBE_REPS,
            before_per_test_ns: 50.0,
            after_per_test_ns: None,
            calibrated_per_test_ns: 50.0,
            ratio_before: 1.0,
            ratio_after: None,
            ratio: 1.0,
            probe_before_ns: None,
            probe_after_ns: None,
            service_before_ns: Some(b),
            service_after_ns: Some(b + 2_000.0),
            cold: None,
            readings_before: Vec::new(),
            readings_after: Vec::new(),
        });
        let m = median_speed(&speeds).unwrap();
        assert_eq!(m.ratio, 1.0);
        assert_eq!(m.service_ns, Some(44_000.0));
    }
}
