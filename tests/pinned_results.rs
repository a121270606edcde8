//! Pinned results: what the model gives today, byte for byte, so that a refactor provably
//! changes nothing. Each case runs the `execsim` binary as a user would and compares its
//! whole output (every per-second count, latency percentile, GIL counter, per-thread figure
//! and the trace hash) with a snapshot in `tests/pinned/expected/`.
//!
//! Covered: every file in `scenarios/` (with the embedded calibration and with
//! `calibration/live-cpython.toml`), the scenarios of `tests/pinned/` (thread-per-connection,
//! interpreter pool with open-loop and mixed clients, free-threaded with the Rust core,
//! process pool with pinned helpers), `tests/known_violations/`, the lesson (`lesson --json`)
//! and the sweep of `sweeps/interval-workers.toml` (its CSV).
//!
//! A change that is *meant* to change the model (a new mechanism, a fixed cost) regenerates
//! the snapshots with `EXECSIM_BLESS=1 cargo test --test pinned_results` and says in its
//! commit why the figures moved; a refactor never does.

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn execsim(args: &[&str]) -> Vec<u8> {
    let out = Command::new(env!("CARGO_BIN_EXE_execsim"))
        .args(args)
        .current_dir(root())
        .output()
        .expect("run execsim");
    assert!(
        out.status.success(),
        "execsim {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// Compares `got` with the snapshot `name`, or writes it when blessing.
fn check(name: &str, got: &[u8]) -> Result<(), String> {
    let path = root().join("tests/pinned/expected").join(name);
    if std::env::var_os("EXECSIM_BLESS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, got).unwrap();
        return Ok(());
    }
    let want = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    if want == got {
        return Ok(());
    }
    let (w, g) = (String::from_utf8_lossy(&want), String::from_utf8_lossy(got));
    let line = w
        .lines()
        .zip(g.lines())
        .position(|(a, b)| a != b)
        .unwrap_or(w.lines().count().min(g.lines().count()));
    Err(format!(
        "{name}: output differs from the pinned snapshot at line {}:\n  pinned: {}\n  now:    {}",
        line + 1,
        w.lines().nth(line).unwrap_or("<end>"),
        g.lines().nth(line).unwrap_or("<end>")
    ))
}

fn toml_files(dir: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(root().join(dir))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    v.sort();
    v
}

fn stem(p: &Path) -> String {
    p.file_stem().unwrap().to_string_lossy().into_owned()
}

#[test]
fn every_scenario_file_gives_its_pinned_result() {
    let mut failures = Vec::new();
    let mut count = 0;
    for dir in ["scenarios", "tests/pinned", "tests/known_violations"] {
        for file in toml_files(dir) {
            let f = file.to_string_lossy().into_owned();
            let mut cases = vec![(format!("{}.json", stem(&file)), vec!["run", &f, "--json"])];
            if dir == "scenarios" {
                cases.push((
                    format!("{}.live-cpython.json", stem(&file)),
                    vec![
                        "run",
                        &f,
                        "--json",
                        "--calibration",
                        "calibration/live-cpython.toml",
                    ],
                ));
            }
            for (name, args) in cases {
                count += 1;
                if let Err(e) = check(&name, &execsim(&args)) {
                    failures.push(e);
                }
            }
        }
    }
    assert!(count >= 15, "only {count} pinned scenario runs found");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_lesson_gives_its_pinned_result() {
    let got = execsim(&["lesson", "--json", "--no-plots"]);
    check("lesson.json", &got).unwrap();
}

#[test]
fn the_interval_workers_sweep_gives_its_pinned_csv() {
    let dir = std::env::temp_dir().join(format!("execsim-pinned-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let out = dir.join("interval-workers.csv");
    let o = out.to_string_lossy().into_owned();
    execsim(&["sweep", "sweeps/interval-workers.toml", "--out", &o]);
    let got = std::fs::read(&out).unwrap();
    std::fs::remove_dir_all(&dir).ok();
    check("interval-workers.csv", &got).unwrap();
}
