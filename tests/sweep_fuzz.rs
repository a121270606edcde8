//! The sweep file parser, fuzzed: no input panics, and every rejection names the offending
//! key (`sweep.reps`, `sweep.grid."server.workers"`, or the scenario key a grid point breaks)
//! or says at which line the TOML syntax broke.
//!
//! Three generators: arbitrary text; TOML-shaped text (sweep and scenario headers, keys,
//! values of every type); and valid sweeps with one key of the `[sweep]` table set to a
//! random value, deleted, or an unknown key added, or one grid key given random values.
//! Accepted sweeps must give every point (or a fitting error) and a checkpoint header without
//! panicking. Case counts: see `CASES_*` (`PROPTEST_CASES` overrides them).

#[path = "common/fuzz.rs"]
mod fuzz;
use execsim::sim::calibration::Calibration;
use execsim::sim::sweep::{CheckpointHeader, Sweep, SweepError};
use proptest::prelude::*;
use std::path::{Path, PathBuf};
use toml::{Table, Value};

const CASES_TEXT: u32 = 1_500;
const CASES_MUTATED: u32 = 2_500;

use fuzz::config;

/// A small valid sweep with an inline base scenario.
const INLINE: &str = include_str!("sweeps/light-and-long.toml");

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The sweeps to mutate, with the directory their `base` is relative to: the one above and
/// the repository's sweep files.
fn bases() -> Vec<(Table, PathBuf)> {
    let mut v = vec![(INLINE.parse().expect("valid TOML"), root())];
    let dir = root().join("sweeps");
    for entry in std::fs::read_dir(&dir).expect("sweeps/") {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "toml") {
            let text = std::fs::read_to_string(&path).unwrap();
            v.push((text.parse().expect("valid TOML"), dir.clone()));
        }
    }
    v
}

/// A directory that does not exist, so that no generated `base` path reads a real file.
fn nowhere() -> &'static Path {
    Path::new("/nonexistent-execsim-fuzz")
}

/// Strings from the parser's vocabulary, for [`fuzz::toml_value`].
const SWEEP_WORDS: &[&str] = &[
    "5ms",
    "0s",
    "-1s",
    "fast",
    "",
    "free-threaded",
    "process",
    "closed",
    "no-such-file.toml",
    "../scenarios/lesson-inline.toml",
    "../scenarios/lesson-thread-5ms.toml",
    "../Cargo.toml",
];

fn toml_value() -> impl Strategy<Value = Value> {
    fuzz::toml_value(SWEEP_WORDS)
}

/// Grid keys a mutation may give values to: scenario keys, paths that go nowhere, and
/// malformed paths.
const GRID_KEYS: &[&str] = &[
    "seed",
    "duration",
    "name",
    "machine.cores",
    "python.gil",
    "python.switch_interval",
    "server.executor",
    "server.workers",
    "clients[0].n",
    "clients[1].start",
    "clients[0].mode",
    "clients[9].n",
    "clients[x].n",
    "clients",
    "affinity.workers",
    "costs.machine.tick",
    "seed.x",
    "server.zz_x",
    "zz_x",
    "a..b",
    "",
];

#[derive(Clone, Debug)]
enum Mutation {
    /// Sets a key of `[sweep]` (`reps`, `sample`, `sample_seed`, `base`, `grid`).
    SetSweep(&'static str, Value),
    /// Deletes a key of `[sweep]`, or `[sweep]` itself (empty name).
    DeleteSweep(&'static str),
    /// Adds an unknown key to `[sweep]`.
    UnknownSweep(String, Value),
    /// Gives a grid key a value (a list of values, or not).
    SetGrid(&'static str, Value),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let sweep_key = prop::sample::select(vec!["reps", "sample", "sample_seed", "base", "grid"]);
    let values = prop_oneof![
        3 => prop::collection::vec(toml_value(), 0..4).prop_map(Value::Array),
        1 => toml_value(),
    ];
    prop_oneof![
        3 => (sweep_key.clone(), toml_value()).prop_map(|(k, v)| Mutation::SetSweep(k, v)),
        1 => prop::sample::select(vec!["", "reps", "base", "grid"]).prop_map(Mutation::DeleteSweep),
        1 => ("[a-z]{1,3}_x", toml_value()).prop_map(|(k, v)| Mutation::UnknownSweep(k, v)),
        4 => (prop::sample::select(GRID_KEYS), values).prop_map(|(k, v)| Mutation::SetGrid(k, v)),
    ]
}

/// Applies `m` to a sweep document.
fn apply(doc: &mut Table, m: &Mutation) {
    let sweep = match doc.get_mut("sweep") {
        Some(Value::Table(t)) => t,
        _ => unreachable!("every base has a [sweep] table"),
    };
    match m {
        Mutation::SetSweep(k, v) => {
            sweep.insert(k.to_string(), v.clone());
        }
        Mutation::DeleteSweep("") => {
            doc.remove("sweep");
        }
        Mutation::DeleteSweep(k) => {
            sweep.remove(*k);
        }
        Mutation::UnknownSweep(k, v) => {
            sweep.insert(k.clone(), v.clone());
        }
        Mutation::SetGrid(k, v) => {
            if let Some(Value::Table(grid)) = sweep.get_mut("grid") {
                grid.insert(k.to_string(), v.clone());
            }
        }
    }
}

/// The key a rejection of `m` must name (exactly, or a path inside it), when it is certain:
/// not when a new grid table or base file is valid as such (then its scenario keys are named).
fn expected_key(m: &Mutation) -> Option<String> {
    match m {
        Mutation::SetSweep("grid", Value::Table(_))
        | Mutation::SetSweep("base", Value::String(_)) => None,
        Mutation::SetSweep(k, _) => Some(format!("sweep.{k}")),
        Mutation::DeleteSweep("") => Some("sweep".into()),
        Mutation::DeleteSweep("grid") => Some("sweep.grid".into()),
        Mutation::UnknownSweep(k, _) => Some(format!("sweep.{k}")),
        _ => None,
    }
}

use fuzz::is_value_error;

/// Whether `key` is `target` or a path inside it.
fn within(key: &str, target: &str) -> bool {
    key == target
        || key.starts_with(&format!("{target}."))
        || key.starts_with(&format!("{target}["))
}

/// Checks what every rejection must do: name a key, or a line of the text.
fn check_rejection(e: &SweepError, text: &str) -> Result<(), TestCaseError> {
    match e {
        SweepError::Syntax { line, .. } => {
            prop_assert!(
                text.parse::<Table>().is_err(),
                "syntax error on valid TOML: {e}"
            );
            prop_assert!(*line >= 1 && *line <= text.matches('\n').count() + 1, "{e}");
        }
        _ => {
            let key = e.key().unwrap_or_default();
            prop_assert!(!key.is_empty(), "rejection without a key: {e}\n{text}");
        }
    }
    Ok(())
}

/// What an accepted sweep must do: give every point (or an error naming a key) and a
/// checkpoint header, without panicking.
fn check_accepted(sw: &Sweep) -> Result<(), TestCaseError> {
    prop_assert!(sw.grid_size() >= 1);
    let indices = sw.indices();
    prop_assert!(indices.windows(2).all(|w| w[0] < w[1]));
    for &i in indices.iter().take(12) {
        if let Err(e) = sw.point(i) {
            prop_assert!(e.key().is_some_and(|k| !k.is_empty()), "point {i}: {e}");
        }
    }
    let header = CheckpointHeader::new(sw, &Calibration::default_embedded(), None);
    prop_assert_eq!(header.points, indices.len());
    Ok(())
}

proptest! {
    #![proptest_config(config(CASES_TEXT))]

    /// Arbitrary text never panics the parser, and a rejection names a key or a line.
    #[test]
    fn arbitrary_text_never_panics(text in any::<String>()) {
        match Sweep::from_toml(&text, Some(nowhere()), None) {
            Ok(sw) => check_accepted(&sw)?,
            Err(e) => check_rejection(&e, &text)?,
        }
    }

    /// TOML-shaped text (sweep and scenario headers, keys, values of every type) never panics
    /// the parser, and a rejection names a key or the line where the syntax broke.
    #[test]
    fn toml_shaped_text_never_panics(
        lines in prop::collection::vec(
            prop_oneof![
                2 => "\\[(sweep|sweep\\.grid|sweep\\.grid\\.server|server|python|x)\\]|\\[\\[clients\\]\\]",
                6 => "(reps|sample|sample_seed|base|grid|seed|duration|n|name|workers|zz|\"server\\.workers\"|\"clients\\[0\\]\\.n\"|\"python\\.switch_interval\"|\"seed\"|\"a\\.\\.b\") = (\"[0-9a-z. ]{0,8}\"|-?[0-9]{1,20}|[0-9]{1,3}\\.[0-9]{1,3}|nan|-inf|true|\\[[0-9]{1,3}(, [0-9]{1,3}){0,2}\\]|\\[\\]|\\[\"[0-9a-z]{0,4}\", *\"[0-9a-z]{0,4}\"\\]|\\[nan\\]|\\{ *\\})",
                1 => ".{0,10}",
            ],
            0..14,
        )
    ) {
        let text = lines.join("\n");
        match Sweep::from_toml(&text, Some(nowhere()), None) {
            Ok(sw) => check_accepted(&sw)?,
            Err(e) => check_rejection(&e, &text)?,
        }
    }
}

proptest! {
    #![proptest_config(config(CASES_MUTATED))]

    /// A valid sweep with one `[sweep]` key set to a random value, deleted, or an unknown key
    /// added, or one grid key given random values: never a panic; a rejection names a key; a
    /// wrong `[sweep]` key is named exactly, and a wrong grid value's scenario error names the
    /// grid key (or a path inside it).
    #[test]
    fn every_rejection_names_the_offending_key(
        (mut doc, dir) in prop::sample::select(bases()),
        m in mutation(),
    ) {
        apply(&mut doc, &m);
        let text = toml::to_string(&doc).expect("a table serialises");
        match Sweep::from_toml(&text, Some(&dir), Some("fuzz")) {
            Ok(sw) => check_accepted(&sw)?,
            Err(e) => {
                check_rejection(&e, &text)?;
                let key = e.key().unwrap_or_default();
                if let Some(want) = expected_key(&m) {
                    prop_assert!(within(&key, &want), "names {key:?}, not {want:?}: {e}\n{m:?}");
                }
                if let (Mutation::SetGrid(g, _), SweepError::Point { error, .. }) = (&m, &e) {
                    if is_value_error(&error.message) {
                        prop_assert!(within(&key, g), "names {key:?}, not {g:?}: {e}\n{m:?}");
                    }
                }
            }
        }
    }
}

/// The unmutated sweeps are valid.
#[test]
fn the_bases_are_valid_sweeps() {
    for (doc, dir) in bases() {
        let text = toml::to_string(&doc).unwrap();
        let sw = Sweep::from_toml(&text, Some(&dir), None).expect("a valid sweep");
        assert!(sw.points(None).is_ok());
    }
}
