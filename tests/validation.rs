//! The validation table on file (`validation/results/results.json`, written by `execsim
//! validate`) against the current model, without running anything live:
//! - every scenario is re-simulated from its committed live results (at the speed they
//!   measured) and gives the committed simulated values, bit for bit: the table in the
//!   repository is the current model's (after a model change, `execsim validate --sim-only
//!   --write` refreshes it);
//! - every row is within its tolerance (15% for rates, 20% for latency percentiles) except
//!   those listed in `validation/known-misses.toml`, and every listed row still misses (the
//!   list only shrinks);
//! - every scenario of `validation/scenarios/` has live results on file.
//!
//! The same holds for each earlier host's set under `validation/hosts/` (its own results,
//! known misses and calibration): hosts of one VM kind differ (an AMD EPYC and an Intel Xeon
//! host on 2026-12-02, another AMD EPYC on 2026-12-03), and the model must stay right on each
//! with that host's calibration. And for the matrix of other CPython builds
//! (`validation/interpreters/`: 3.13, 3.13t with and without its GIL, 3.13's sub-interpreters,
//! each scenario run live on the build its `[python] version` names), no interpreter built;
//! and for the Rust server's matrix (`validation/rust/`, run live on the rust backend).

use execsim::calibrate::validate::matrix::load_matrix;
use execsim::calibrate::validate::misses::KnownMisses;
use execsim::calibrate::validate::results::ValidationResults;
use execsim::calibrate::validate::rows::Row;
use execsim::calibrate::validate::session::{sim_only, unmeasured};
use execsim::sim::calibration::Calibration;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn committed() -> ValidationResults {
    ValidationResults::load(&root().join("validation/results/results.json")).unwrap()
}

/// The AMD EPYC host's set (the embedded calibration's host until 2026-12-02, afternoon).
const AMD: &str = "validation/hosts/amd-epyc-2026-12-02";

/// The AMD EPYC host of 2026-12-03 (family 0x1a), simulated with its own calibration.
const AMD_1203: &str = "validation/hosts/amd-epyc-2026-12-03";

/// Other CPython builds (3.13, free-threaded 3.13t with and without its GIL, 3.13's
/// sub-interpreters), live on the AMD EPYC host of 2026-12-03: their own matrix and results.
const INTERPRETERS: &str = "validation/interpreters/results";

/// The main matrix's scenarios.
const MATRIX: &str = "validation/scenarios";

fn close(a: f64, b: f64) -> bool {
    a == b || (a - b).abs() <= 1e-9 * a.abs().max(b.abs())
}

/// The rows agree up to the last bits of JSON's decimal floats.
fn same_row(a: &Row, b: &Row) -> bool {
    let opt = |x: Option<f64>, y: Option<f64>| match (x, y) {
        (Some(x), Some(y)) => close(x, y),
        (None, None) => true,
        _ => false,
    };
    a.key() == b.key()
        && a.seconds == b.seconds
        && close(a.sim, b.sim)
        && close(a.live_ref, b.live_ref)
        && close(a.live_median, b.live_median)
        && opt(a.rel_error, b.rel_error)
        && a.sim_regime == b.sim_regime
        && a.regimes.len() == b.regimes.len()
}

#[test]
fn the_committed_table_is_the_models_and_misses_are_listed() {
    check_set("validation/results", MATRIX, "validation/known-misses.toml");
}

#[test]
fn the_amd_hosts_table_is_the_models_and_misses_are_listed() {
    check_set(AMD, MATRIX, &format!("{AMD}/known-misses.toml"));
}

#[test]
fn the_second_amd_hosts_table_is_the_models_and_misses_are_listed() {
    check_set(AMD_1203, MATRIX, &format!("{AMD_1203}/known-misses.toml"));
}

#[test]
fn the_interpreters_table_is_the_models_and_misses_are_listed() {
    check_set(
        INTERPRETERS,
        "validation/interpreters/scenarios",
        &format!("{INTERPRETERS}/known-misses.toml"),
    );
    let matrix = load_matrix(&root().join("validation/interpreters/scenarios"), None).unwrap();
    let on_file = ValidationResults::load(&root().join(INTERPRETERS).join("results.json")).unwrap();
    assert_eq!(unmeasured(&on_file, &matrix), Vec::<String>::new());
    // Each scenario ran on the build its `[python] version` names, with the GIL it asks for.
    for e in &matrix {
        let r = on_file.scenarios.iter().find(|r| r.id == e.id).unwrap();
        let py = &e.scenario.python;
        let (a, b) = py.version.release();
        assert!(
            r.runtime.starts_with(&format!("cpython {a}.{b}.")),
            "{}: {}",
            e.id,
            r.runtime
        );
        let free = py.version.free_threaded_build();
        assert_eq!(
            r.runtime.contains("free-threaded"),
            free,
            "{}: {}",
            e.id,
            r.runtime
        );
        let gil_on = free && py.gil == execsim::interp::GilKind::Cpython;
        assert_eq!(
            r.runtime.contains("GIL enabled"),
            gil_on,
            "{}: {}",
            e.id,
            r.runtime
        );
    }
}

/// The Rust server (`execsim live --backend rust`), live on the AMD EPYC host of 2026-12-03:
/// its own matrix (`[server] language = "rust"`) and results.
const RUST: &str = "validation/rust/results";

#[test]
fn the_rust_servers_table_is_the_models_and_misses_are_listed() {
    check_set(
        RUST,
        "validation/rust/scenarios",
        &format!("{RUST}/known-misses.toml"),
    );
    let matrix = load_matrix(&root().join("validation/rust/scenarios"), None).unwrap();
    let on_file = ValidationResults::load(&root().join(RUST).join("results.json")).unwrap();
    assert_eq!(unmeasured(&on_file, &matrix), Vec::<String>::new());
    // Each scenario models the Rust server and ran on the rust backend.
    for e in &matrix {
        assert_eq!(
            e.scenario.server.language,
            execsim::service::ServerLanguage::Rust,
            "{}",
            e.id
        );
        let r = on_file.scenarios.iter().find(|r| r.id == e.id).unwrap();
        assert!(
            r.runtime.contains("rust backend"),
            "{}: {}",
            e.id,
            r.runtime
        );
    }
}

/// The checks of the module documentation for the results in `dir` of the matrix in
/// `scenarios` and the misses listed in `misses` (all relative to the repository).
fn check_set(dir: &str, scenarios: &str, misses: &str) {
    let on_file = ValidationResults::load(&root().join(dir).join("results.json")).unwrap();
    let cal_path = root().join(&on_file.calibration);
    let cal = Calibration::load(&cal_path).unwrap();
    let (now, changed) = sim_only(&on_file, &root().join(scenarios), &cal).unwrap();
    assert!(
        changed.is_empty(),
        "the simulation of {changed:?} differs from {dir}: if the model changed on purpose, run \
         `cargo run --release -- validate --sim-only --write --out {dir} --scenarios {scenarios} \
         --calibration {} --known-misses {misses}` and commit the table",
        on_file.calibration
    );
    for (a, b) in now.scenarios.iter().zip(&on_file.scenarios) {
        assert_eq!(a.rows.len(), b.rows.len(), "{}: rows", a.id);
        for (x, y) in a.rows.iter().zip(&b.rows) {
            assert!(same_row(x, y), "{}: {x:?}\nvs on file {y:?}", x.key());
        }
    }
    let listed = KnownMisses::load(&root().join(misses)).unwrap();
    let check = listed.check(now.rows());
    assert!(
        check.unlisted.is_empty(),
        "rows missing their tolerance, not in {misses}:\n{}",
        check.unlisted.join("\n")
    );
    assert!(
        check.fixed.is_empty(),
        "rows now within tolerance: remove them from {misses}:\n{}",
        check.fixed.join("\n")
    );
    assert!(
        check.unknown.is_empty(),
        "{misses} lists rows the table does not have:\n{}",
        check.unknown.join("\n")
    );
}

#[test]
fn every_scenario_of_the_matrix_has_live_results() {
    let on_file = committed();
    let matrix = load_matrix(Path::new(&root().join("validation/scenarios")), None).unwrap();
    assert!(matrix.len() >= 24, "{} scenarios", matrix.len());
    assert_eq!(unmeasured(&on_file, &matrix), Vec::<String>::new());
    for s in &on_file.scenarios {
        assert!(!s.live.is_empty(), "{}: no live repetition", s.id);
        assert!(!s.rows.is_empty(), "{}: no rows", s.id);
    }
}
