//! Calibration: the fit, the file format, the CPython runner's errors, and the CLI.

use execsim::calibrate::{
    self, fit_weighted, measure_cpython, merge_into_file, CalibrateError, CalibrateOptions,
    FitError, FitPoint,
};
use execsim::sim::calibration::{Calibration, CalibrationError, CoreCalibration};
use execsim::workload::cost::Backend;
use execsim::workload::prime::op_count;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// A fresh, empty scratch directory for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("execsim-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn python_available() -> bool {
    Command::new("python3")
        .arg("--version")
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

fn rel_close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol * b.abs().max(1e-300)
}

#[test]
fn fit_recovers_known_coefficients_exactly() {
    for &(call, cand, test) in &[(95.0, 39.0, 64.0), (2.0, 0.8, 1.65), (0.0, 12.5, 3.0)] {
        let pts: Vec<FitPoint> = [1u64, 2, 10, 100, 300, 1000, 2000, 3000, 5000, 12000]
            .iter()
            .map(|&n| {
                let c = op_count(n).unwrap();
                FitPoint::new(
                    &c,
                    call + cand * c.candidates as f64 + test * c.tests as f64,
                )
            })
            .collect();
        let fit = fit_weighted(&pts).unwrap();
        assert!(rel_close(fit.cost.per_test_ns, test, 1e-9), "{fit:?}");
        assert!(rel_close(fit.cost.per_candidate_ns, cand, 1e-9), "{fit:?}");
        assert!((fit.cost.per_call_ns - call).abs() < 1e-6, "{fit:?}");
        // A true zero may come out as -1e-15 and be held at 0: that is the same answer.
        assert!(fit.clamped.is_empty() || (call == 0.0 && fit.clamped == ["per_call_ns"]));
        assert!(fit.max_rel_residual < 1e-9, "{fit:?}");
        assert!((fit.r2 - 1.0).abs() < 1e-12, "{fit:?}");
    }
}

#[test]
fn fit_with_noise_is_close_and_reports_residuals() {
    // ±2% alternating noise: coefficients within a few %, residuals about 2%.
    let pts: Vec<FitPoint> = [1u64, 10, 30, 100, 300, 1000, 2000, 3000]
        .iter()
        .enumerate()
        .map(|(i, &n)| {
            let c = op_count(n).unwrap();
            let t = 100.0 + 40.0 * c.candidates as f64 + 65.0 * c.tests as f64;
            FitPoint::new(&c, t * if i % 2 == 0 { 1.02 } else { 0.98 })
        })
        .collect();
    let fit = fit_weighted(&pts).unwrap();
    assert!(rel_close(fit.cost.per_test_ns, 65.0, 0.05), "{fit:?}");
    assert!(
        fit.max_rel_residual > 0.005 && fit.max_rel_residual < 0.05,
        "{fit:?}"
    );
    assert!(fit.r2 > 0.99 && fit.r2 < 1.0, "{fit:?}");
}

#[test]
fn singular_and_degenerate_fits_are_errors() {
    let c = op_count(100).unwrap();
    let same = vec![FitPoint::new(&c, 1000.0); 5];
    assert_eq!(fit_weighted(&same), Err(FitError::Singular));
    // No tests at all (n = 1 and 2 only, repeated): per_test cannot be separated.
    let (c1, c2) = (op_count(1).unwrap(), op_count(2).unwrap());
    let no_tests = vec![
        FitPoint::new(&c1, 10.0),
        FitPoint::new(&c2, 20.0),
        FitPoint::new(&c1, 11.0),
    ];
    assert_eq!(fit_weighted(&no_tests), Err(FitError::Singular));
    assert_eq!(fit_weighted(&same[..2]), Err(FitError::NotEnoughPoints(2)));
    let mut bad = vec![
        FitPoint::new(&c1, 10.0),
        FitPoint::new(&c2, 20.0),
        FitPoint::new(&c, 0.0),
    ];
    assert!(matches!(
        fit_weighted(&bad),
        Err(FitError::BadPoint { index: 2, .. })
    ));
    bad[2].ns = f64::NAN;
    assert!(matches!(
        fit_weighted(&bad),
        Err(FitError::BadPoint { index: 2, .. })
    ));
}

#[test]
fn embedded_default_parses_with_sane_coefficients() {
    let cal = Calibration::default_embedded();
    for b in [Backend::Rust, Backend::Cpython] {
        let c = cal.core(b);
        // The fit holds a coefficient at 0 rather than let it go negative: the Rust core's
        // per-candidate cost measures as 0 (it hides behind the divisions' latency).
        assert!(c.per_call_ns >= 0.0, "{b}: {c:?}");
        assert!(c.per_candidate_ns >= 0.0, "{b}: {c:?}");
        assert!(c.per_test_ns > 0.0, "{b}: {c:?}");
        assert!(c.per_call_ns + c.per_candidate_ns > 0.0, "{b}: {c:?}");
    }
    // CPython is tens of times slower per test than Rust.
    let ratio = cal.core(Backend::Cpython).per_test_ns / cal.core(Backend::Rust).per_test_ns;
    assert!(ratio > 10.0 && ratio < 200.0, "{ratio}");
}

const GOOD: &str = "\
[meta]
host = \"h\"

[core.rust]
per_call_ns = 1.0
per_candidate_ns = 1.0
per_test_ns = 1.5

[core.cpython]
per_call_ns = 90.0
per_candidate_ns = 40.0
per_test_ns = 64.0
";

#[test]
fn bad_toml_errors_name_the_key() {
    assert!(Calibration::from_toml_str(GOOD, "good").is_ok());
    let cases = [
        (
            GOOD.replace("per_test_ns = 1.5", "per_tset_ns = 1.5"),
            "per_tset_ns",
        ),
        (
            GOOD.replace("per_test_ns = 64.0", "per_test_ns = \"fast\""),
            "per_test_ns",
        ),
        (GOOD.replace("per_call_ns = 90.0\n", ""), "per_call_ns"),
        (GOOD.replace("host = \"h\"", "hots = \"h\""), "hots"),
        (GOOD.replace("[core.cpython]", "[core.cpyton]"), "cpyton"),
        (
            GOOD.replace("per_candidate_ns = 40.0", "per_candidate_ns = -4.0"),
            "core.cpython.per_candidate_ns",
        ),
    ];
    for (text, key) in cases {
        let e = Calibration::from_toml_str(&text, "case").unwrap_err();
        assert!(
            matches!(
                e,
                CalibrationError::Parse { .. } | CalibrationError::Invalid { .. }
            ),
            "{e:?}"
        );
        let msg = e.to_string();
        assert!(
            msg.contains(key),
            "error for {key} does not name it:\n{msg}"
        );
    }
    let e = Calibration::from_toml_str("[core.rust\n", "broken").unwrap_err();
    assert!(e.to_string().contains("broken"), "{e}");
    // Stall percentiles out of order.
    let text = format!("{GOOD}\n[machine]\nstall_p10 = \"20us\"\nstall_p50 = \"10us\"\n");
    let e = Calibration::from_toml_str(&text, "stalls").unwrap_err();
    assert!(e.to_string().contains("machine.stall_p50"), "{e}");
    // A share of pulls outside 0 to 1.
    for bad in ["1.5", "-0.1"] {
        let text = format!("{GOOD}\n[machine]\nidle_pull = {bad}\n");
        let e = Calibration::from_toml_str(&text, "pulls").unwrap_err();
        assert!(e.to_string().contains("machine.idle_pull"), "{e}");
    }
    // Another build's speed: a known version other than 3.11, ratios 0.1 to 10, every key.
    let table = |name: &str, core: &str| {
        format!(
            "{GOOD}\n[interpreters.\"{name}\"]\ncore_ratio = {core}\nservice_ratio = 1.1\nsource = \"s\"\n"
        )
    };
    assert!(Calibration::from_toml_str(&table("3.13", "1.2"), "ok").is_ok());
    for (text, key) in [
        (table("3.13", "0"), "interpreters.3.13.core_ratio"),
        (table("3.13t", "inf"), "interpreters.3.13t.core_ratio"),
        (table("3.11", "1.0"), "interpreters.3.11"),
        (table("3.12", "1.0"), "interpreters.3.12"),
        (
            table("3.13", "1.2").replace("service_ratio", "servcie_ratio"),
            "servcie_ratio",
        ),
    ] {
        let e = Calibration::from_toml_str(&text, "interpreters").unwrap_err();
        assert!(e.to_string().contains(key), "{key}: {e}");
    }
}

#[test]
fn another_build_runs_at_its_measured_speed() {
    use execsim::interp::PythonVersion;
    use execsim::workload::cost::Backend;
    let cal = Calibration::default_embedded();
    for v in [PythonVersion::V3_13, PythonVersion::V3_13t] {
        // The embedded file measures every build the model knows.
        let speed = cal.interpreter_speed(v);
        assert!(cal.interpreters.contains_key(v.label()), "{v}");
        let at = cal.for_version(v);
        let (base, scaled) = (cal.core(Backend::Cpython), at.core(Backend::Cpython));
        assert!(rel_close(
            scaled.per_test_ns,
            base.per_test_ns * speed.core_ratio,
            1e-12
        ));
        let (s0, s1) = (cal.service.unwrap(), at.service.unwrap());
        let ratio = s1.loop_read_py.as_nanos() as f64 / s0.loop_read_py.as_nanos() as f64;
        assert!(rel_close(ratio, speed.service_ratio, 1e-3), "{v}: {ratio}");
        // A thread creation is a one-off cost, not a request step: it stays.
        assert_eq!(s1.thread_start, s0.thread_start);
    }
    // 3.11 is the file's own; a live run's costs are already its interpreter's.
    assert_eq!(*cal.for_version(PythonVersion::V3_11), cal);
    let mut run = cal.clone();
    run.speed_of_run = true;
    assert_eq!(*run.for_version(PythonVersion::V3_13t), run);
}

#[test]
fn missing_file_is_a_clear_error() {
    let dir = scratch("missing");
    let path = dir.join("nope.toml");
    let e = Calibration::load(&path).unwrap_err();
    assert!(matches!(e, CalibrationError::NotFound(_)), "{e:?}");
    assert!(e.to_string().contains("nope.toml") && e.to_string().contains("not found"));
}

#[test]
fn save_load_and_merge_keep_the_other_backend() {
    let dir = scratch("merge");
    let path = dir.join("sub").join("cal.toml");
    let cal = Calibration::from_toml_str(GOOD, "good").unwrap();
    cal.save(&path).unwrap();
    assert_eq!(Calibration::load(&path).unwrap(), cal);

    let new_rust = CoreCalibration {
        per_call_ns: 3.0,
        per_candidate_ns: 0.5,
        per_test_ns: 1.7,
        fit: None,
    };
    let merged = merge_into_file(&path, Backend::Rust, new_rust.clone()).unwrap();
    assert!(!merged.created);
    let back = Calibration::load(&path).unwrap();
    assert_eq!(back.core.rust, new_rust);
    assert_eq!(
        back.core.cpython, cal.core.cpython,
        "cpython section must be kept"
    );
    assert!(back.meta.date.is_some());

    // A new file takes the other backend from the embedded default.
    let fresh = dir.join("fresh.toml");
    let merged = merge_into_file(&fresh, Backend::Cpython, cal.core.cpython.clone()).unwrap();
    assert!(merged.created);
    let back = Calibration::load(&fresh).unwrap();
    assert_eq!(back.core.rust, Calibration::default_embedded().core.rust);
    assert_eq!(back.core.cpython, cal.core.cpython);

    // A broken file is refused, and left untouched.
    std::fs::write(&fresh, "not toml [").unwrap();
    assert!(merge_into_file(&fresh, Backend::Rust, new_rust).is_err());
    assert_eq!(std::fs::read_to_string(&fresh).unwrap(), "not toml [");
}

#[test]
fn missing_python_is_a_clear_error() {
    let e = measure_cpython(
        Path::new("/nonexistent/python3"),
        &[1, 10, 100],
        1,
        Duration::from_millis(1),
        Duration::from_secs(10),
        false,
    )
    .unwrap_err();
    assert!(matches!(e, CalibrateError::PythonNotFound(_)), "{e:?}");
    assert_eq!(
        e.to_string(),
        "/nonexistent/python3 not found: install CPython 3 or pass --python PATH"
    );
}

#[test]
fn failing_interpreter_reports_its_stderr() {
    // `sh -I -c SCRIPT` is not Python: sh rejects -I and exits non-zero with a message.
    let e = measure_cpython(
        Path::new("sh"),
        &[1, 10, 100],
        1,
        Duration::from_millis(1),
        Duration::from_secs(10),
        false,
    )
    .unwrap_err();
    match e {
        CalibrateError::ScriptFailed { stderr, .. } => assert!(!stderr.is_empty()),
        other => panic!("expected ScriptFailed, got {other:?}"),
    }
}

#[test]
fn tiny_cpython_calibration() {
    if !python_available() {
        eprintln!("note: python3 not found, skipping tiny_cpython_calibration");
        return;
    }
    let mut opts = CalibrateOptions::new(Backend::Cpython);
    opts.ns = vec![1, 10, 30, 100];
    opts.samples = 2;
    opts.min_batch = Duration::from_millis(2);
    opts.timeout = Duration::from_secs(60);
    let run = calibrate::calibrate(&opts).unwrap();
    let c = run.core.cost();
    assert!(c.per_test_ns > 1.0 && c.per_test_ns < 10_000.0, "{c:?}");
    let fit = run.core.fit.as_ref().unwrap();
    assert_eq!(fit.points.len(), 4);
    assert!(fit.runtime.contains("3."), "{}", fit.runtime);
}

#[test]
fn cpython_timeout_kills_the_script() {
    if !python_available() {
        eprintln!("note: python3 not found, skipping cpython_timeout_kills_the_script");
        return;
    }
    let t0 = Instant::now();
    // n = 5000 takes seconds per call in CPython; 0.5 s is not enough.
    let e = measure_cpython(
        Path::new("python3"),
        &[1, 10, 5000],
        3,
        Duration::from_millis(1),
        Duration::from_millis(500),
        false,
    )
    .unwrap_err();
    assert!(matches!(e, CalibrateError::Timeout(_)), "{e:?}");
    assert!(t0.elapsed() < Duration::from_secs(10), "{:?}", t0.elapsed());
    // The script was killed: no process runs it any more.
    let left: Vec<String> = std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|e| std::fs::read(e.path().join("cmdline")).ok())
        .map(|c| String::from_utf8_lossy(&c).replace('\0', " "))
        .filter(|c| c.contains("\"ns\":[1,10,5000]"))
        .collect();
    assert!(left.is_empty(), "still running: {left:?}");
}

fn execsim(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_execsim"))
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn cli_cost_of_the_long_request() {
    let t0 = Instant::now();
    let out = execsim(&["cost", "100000"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{out:?}");
    assert!(stdout.contains("1299709"), "{stdout}");
    assert!(stdout.contains("31154447674"), "{stdout}");
    assert!(
        stdout.contains("cpython") && stdout.contains("rust"),
        "{stdout}"
    );
    assert!(t0.elapsed() < Duration::from_secs(5));

    let out = execsim(&["cost", "100", "--backend", "rust"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success() && stdout.contains("541") && !stdout.contains("cpython"));
}

#[test]
fn cli_cost_rejects_bad_n_without_panicking() {
    for (n, code) in [("0", 1), ("10000001", 1), ("-3", 2), ("many", 2)] {
        let out = execsim(&["cost", "--", n]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(code), "n = {n}: {stderr}");
        assert!(stderr.contains("error"), "{stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
    let out = execsim(&["cost", "5", "--calibration", "/nonexistent/cal.toml"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not found"));
}

#[test]
fn cli_calibrate_with_missing_python() {
    let dir = scratch("cli-python");
    let out_file = dir.join("cal.toml");
    let out = execsim(&[
        "calibrate",
        "--backend",
        "cpython",
        "--python",
        "/nonexistent/python3",
        "--out",
        out_file.to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(
            "error: /nonexistent/python3 not found: install CPython 3 or pass --python PATH"
        ),
        "{stderr}"
    );
    assert!(!out_file.exists());
}

#[test]
fn cli_calibrate_rust_small_run_writes_a_file() {
    let dir = scratch("cli-rust");
    let out_file = dir.join("cal.toml");
    let out = execsim(&[
        "calibrate",
        "--backend",
        "rust",
        "--n",
        "1,10,100,300",
        "--samples",
        "2",
        "--out",
        out_file.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{out:?}");
    let cal = Calibration::load(&out_file).unwrap();
    let fit = cal.core.rust.fit.as_ref().unwrap();
    assert_eq!(
        fit.points.iter().map(|p| p.n).collect::<Vec<_>>(),
        [1, 10, 100, 300]
    );
    assert!(fit.command.starts_with("execsim calibrate --backend rust"));
    assert_eq!(
        cal.core.cpython,
        Calibration::default_embedded().core.cpython
    );
}
