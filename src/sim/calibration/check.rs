//! Range checks of a parsed calibration, each failure naming its key.
//!
//! Per key, and why:
//! - `core.<backend>.per_test_ns` must be finite, above zero and at most 1 ms: every
//!   `num % div` test costs something (zero would make every request free and let a
//!   simulation spin at one instant), and a millisecond is a thousand times slower than any
//!   interpreter measured, so a larger value is a unit mistake (and would push the lesson's
//!   long request, 3.1e10 tests, past the simulated clock's range).
//! - `per_call_ns` and `per_candidate_ns`: finite, at least zero (a fit may clamp them to
//!   zero), at most 1 ms, for the same reason.
//! - `core.<backend>.fit`: provenance, but read by `execsim calibrate` and the reports:
//!   `samples` at least 1, `r2` finite and at most 1, residuals finite and non-negative,
//!   `clamped` names coefficients, each point has `n` >= 1, finite non-negative times and a
//!   finite relative error.
//! - `meta.cpus`, when given, at least 1. The other `[meta]` keys are free text.
//! - `machine.cold_slowdown`, `machine.halt_refill_slowdown`: factors, finite, 1 to 100.
//! - `machine.stall_p10` to `machine.stall_max`: each at least the one before.
//! - `machine.idle_pull`: a share, finite, 0 to 1.
//! - `machine.ctx_switch_lean`: at most `machine.ctx_switch`.
//! - `[service]` and `[machine]`: durations (their parser already refuses negative, fractional
//!   nanosecond and unit-less values), each at most one second: these are per-step costs of
//!   microseconds and scheduler periods of milliseconds; a second or more is no measurement.
//! - `[live_fit]`: `reps` at least 1, rates finite and non-negative, `factor` finite and
//!   above zero (it multiplies default costs), `per_test_ns` like the core's.
//! - `[trace_fit]`: `launches` at least 1; `per_test_ns` and each launch's like the core's
//!   (`compare` and `validate` divide by it), and so is a key's `traced_per_test_ns`; each
//!   key's medians finite and non-negative.
//!
//! - `[interpreters."<version>"]`: the version one the model knows other than 3.11 (a
//!   table for the file's own interpreter would contradict its costs); `core_ratio` and
//!   `service_ratio` finite, 0.1 to 10 (builds of one release differ by tens of percent).
//!
//! Unknown keys are refused everywhere, by the schema (`deny_unknown_fields`): a typo in a
//! cost key would otherwise silently leave the model's default in effect, and `execsim
//! calibrate` rewrites the file, which would drop an ignored key without a word. This holds
//! for `[meta]` too, although it changes no figure, for the second reason.

use super::{Calibration, CoreCalibration, FitInfo, LiveFitInfo, TraceFitInfo};
use crate::kernel::SimDuration;

/// A failed check: the key and what is wrong with its value.
pub(super) type Failure = (String, String);

/// Largest per-operation cost of the prime core accepted, nanoseconds (1 ms).
const MAX_OP_NS: f64 = 1e6;

/// Largest `[service]` / `[machine]` duration accepted.
const MAX_STEP: SimDuration = SimDuration::from_secs(1);

/// What a number must be.
#[derive(Clone, Copy)]
enum Rule {
    /// Finite, above zero.
    Positive,
    /// Finite, zero or more.
    NonNegative,
    /// Finite.
    Finite,
}

fn number(key: impl Fn() -> String, v: f64, rule: Rule, max: Option<f64>) -> Result<(), Failure> {
    let ok = v.is_finite()
        && match rule {
            Rule::Positive => v > 0.0,
            Rule::NonNegative => v >= 0.0,
            Rule::Finite => true,
        }
        && max.is_none_or(|m| v <= m);
    if ok {
        return Ok(());
    }
    let what = match rule {
        Rule::Positive => "a finite number above zero",
        Rule::NonNegative => "a finite, non-negative number",
        Rule::Finite => "a finite number",
    };
    let bound = max.map(|m| format!(" and at most {m}")).unwrap_or_default();
    Err((key(), format!("must be {what}{bound}, got {v}")))
}

fn at_least_one(key: impl Fn() -> String, v: u64) -> Result<(), Failure> {
    if v >= 1 {
        Ok(())
    } else {
        Err((key(), "must be at least 1, got 0".to_string()))
    }
}

fn core(path: &str, c: &CoreCalibration) -> Result<(), Failure> {
    let max = Some(MAX_OP_NS);
    for (key, v, rule) in [
        ("per_call_ns", c.per_call_ns, Rule::NonNegative),
        ("per_candidate_ns", c.per_candidate_ns, Rule::NonNegative),
        ("per_test_ns", c.per_test_ns, Rule::Positive),
    ] {
        number(|| format!("{path}.{key}"), v, rule, max)?;
    }
    match &c.fit {
        Some(fit) => core_fit(&format!("{path}.fit"), fit),
        None => Ok(()),
    }
}

fn core_fit(path: &str, f: &FitInfo) -> Result<(), Failure> {
    at_least_one(|| format!("{path}.samples"), f.samples.into())?;
    number(|| format!("{path}.r2"), f.r2, Rule::Finite, Some(1.0))?;
    for (key, v) in [
        ("max_rel_residual", f.max_rel_residual),
        ("rms_rel_residual", f.rms_rel_residual),
    ] {
        number(|| format!("{path}.{key}"), v, Rule::NonNegative, None)?;
    }
    const COEFFICIENTS: [&str; 3] = ["per_call_ns", "per_candidate_ns", "per_test_ns"];
    for (i, name) in f.clamped.iter().enumerate() {
        if !COEFFICIENTS.contains(&name.as_str()) {
            return Err((
                format!("{path}.clamped[{i}]"),
                format!(
                    "must name a coefficient ({}), got {name:?}",
                    COEFFICIENTS.join(", ")
                ),
            ));
        }
    }
    for (i, p) in f.points.iter().enumerate() {
        let key = |k: &str| format!("{path}.points[{i}].{k}");
        at_least_one(|| key("n"), p.n)?;
        number(
            || key("measured_ns"),
            p.measured_ns,
            Rule::NonNegative,
            None,
        )?;
        number(
            || key("predicted_ns"),
            p.predicted_ns,
            Rule::NonNegative,
            None,
        )?;
        number(|| key("rel_error"), p.rel_error, Rule::Finite, None)?;
    }
    Ok(())
}

fn live_fit(f: &LiveFitInfo) -> Result<(), Failure> {
    at_least_one(|| "live_fit.reps".to_string(), f.reps.into())?;
    for (i, p) in f.points.iter().enumerate() {
        let key = |k: &str| format!("live_fit.points[{i}].{k}");
        for (k, v) in [
            ("live_rate", p.live_rate),
            ("sim_rate_default", p.sim_rate_default),
            ("sim_rate_fitted", p.sim_rate_fitted),
        ] {
            number(|| key(k), v, Rule::NonNegative, None)?;
        }
        for (j, &v) in p.live_rates.iter().enumerate() {
            number(
                || key(&format!("live_rates[{j}]")),
                v,
                Rule::NonNegative,
                None,
            )?;
        }
        number(|| key("factor"), p.factor, Rule::Positive, None)?;
    }
    if let Some(v) = f.per_test_ns {
        number(
            || "live_fit.per_test_ns".into(),
            v,
            Rule::Positive,
            Some(MAX_OP_NS),
        )?;
    }
    Ok(())
}

fn trace_fit(f: &TraceFitInfo) -> Result<(), Failure> {
    at_least_one(|| "trace_fit.launches".to_string(), f.launches.into())?;
    let speed = |key: String, v: f64| number(|| key.clone(), v, Rule::Positive, Some(MAX_OP_NS));
    speed("trace_fit.per_test_ns".into(), f.per_test_ns)?;
    for (i, &v) in f.launch_per_test_ns.iter().enumerate() {
        speed(format!("trace_fit.launch_per_test_ns[{i}]"), v)?;
    }
    if let Some(v) = f.service_probe_ns {
        number(
            || "trace_fit.service_probe_ns".into(),
            v,
            Rule::Positive,
            None,
        )?;
    }
    for (i, &v) in f.launch_service_probe_ns.iter().enumerate() {
        let key = || format!("trace_fit.launch_service_probe_ns[{i}]");
        number(key, v, Rule::Positive, None)?;
    }
    for (i, k) in f.keys.iter().enumerate() {
        let key = |x: &str| format!("trace_fit.keys[{i}].{x}");
        number(|| key("median_ns"), k.median_ns, Rule::NonNegative, None)?;
        if let Some(v) = k.traced_per_test_ns {
            speed(key("traced_per_test_ns"), v)?;
        }
        for (j, &v) in k.launch_medians_ns.iter().enumerate() {
            number(
                || key(&format!("launch_medians_ns[{j}]")),
                v,
                Rule::NonNegative,
                None,
            )?;
        }
    }
    Ok(())
}

/// The `[service]` and `[machine]` durations, each at most [`MAX_STEP`]. Read from the typed
/// sections serialized back to tables, so that every key of those sections is checked,
/// whatever keys the model adds to them. (Reading the text's own table instead was skipped
/// when a u64 value elsewhere in the file exceeded TOML's i64 range, which the typed parse
/// accepts.)
fn step_costs(cal: &Calibration) -> Result<(), Failure> {
    let tables = [
        ("service", cal.service.map(toml::Table::try_from)),
        ("machine", cal.machine.map(toml::Table::try_from)),
    ];
    for (section, table) in tables {
        let Some(Ok(t)) = table else {
            continue;
        };
        for (key, value) in &t {
            let Some(d) = value.as_str().and_then(|s| SimDuration::parse(s).ok()) else {
                continue; // not a duration (a factor, a scheduler name)
            };
            if d > MAX_STEP {
                return Err((
                    format!("{section}.{key}"),
                    format!("must be at most {MAX_STEP}, got \"{d}\""),
                ));
            }
        }
    }
    Ok(())
}

/// Checks every value of `cal`.
pub(super) fn check(cal: &Calibration) -> Result<(), Failure> {
    core("core.rust", &cal.core.rust)?;
    core("core.cpython", &cal.core.cpython)?;
    if let Some(cpus) = cal.meta.cpus {
        at_least_one(|| "meta.cpus".to_string(), cpus.into())?;
    }
    if let Some(f) = &cal.live_fit {
        live_fit(f)?;
    }
    if let Some(f) = &cal.trace_fit {
        trace_fit(f)?;
    }
    super::interpreters::check(cal)?;
    if let Some(m) = &cal.machine {
        // A stall's percentiles in order (each at least the one before).
        let stalls = [
            ("machine.stall_p10", m.stall_p10),
            ("machine.stall_p50", m.stall_p50),
            ("machine.stall_p90", m.stall_p90),
            ("machine.stall_p99", m.stall_p99),
            ("machine.stall_max", m.stall_max),
        ];
        for w in stalls.windows(2) {
            if w[1].1 < w[0].1 {
                return Err((
                    w[1].0.to_string(),
                    format!(
                        "must be at least {} ({:?}), got {:?}",
                        w[0].0, w[0].1, w[1].1
                    ),
                ));
            }
        }
        if m.ctx_switch_lean > m.ctx_switch {
            return Err((
                "machine.ctx_switch_lean".to_string(),
                format!(
                    "must be at most machine.ctx_switch ({:?}: a lean thread has less to bring back), got {:?}",
                    m.ctx_switch, m.ctx_switch_lean
                ),
            ));
        }
        number(
            || "machine.idle_pull".to_string(),
            m.idle_pull,
            Rule::NonNegative,
            Some(1.0),
        )
        .map_err(|(k, _)| {
            (
                k,
                format!("must be a share from 0 to 1, got {}", m.idle_pull),
            )
        })?;
        // Factors on cold and refilling work: 1 (no slowdown) to 100.
        for (key, factor) in [
            ("machine.cold_slowdown", m.cold_slowdown),
            ("machine.halt_refill_slowdown", m.halt_refill_slowdown),
        ] {
            number(
                || key.to_string(),
                factor - 1.0,
                Rule::NonNegative,
                Some(99.0),
            )
            .map_err(|(k, _)| {
                (
                    k,
                    format!("must be a finite number from 1 to 100, got {factor}"),
                )
            })?;
        }
    }
    step_costs(cal)
}
