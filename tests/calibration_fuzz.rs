//! The calibration loader, fuzzed on the text of `calibration/default.toml` and
//! `calibration/live-cpython.toml`: no mutation makes it panic, every rejection names the key
//! at fault (or says where the TOML syntax broke), and what it accepts is in range and
//! survives a round trip.
//!
//! Two parts:
//! - exhaustive: every value line of both files set to NaN, to an inline table (a wrong type
//!   everywhere) and to -1 is rejected with exactly that line's dotted key;
//! - proptest: one to three mutations of a file's text (delete or duplicate a line, set a
//!   value to a wrong type, NaN, infinity, a negative, a huge number or duration, add an
//!   unknown key, truncate the text). Case count: [`CASES`] (`PROPTEST_CASES` overrides it).

#[path = "common/fuzz.rs"]
mod fuzz;
use execsim::sim::calibration::{Calibration, CalibrationError};
use proptest::prelude::*;
use std::collections::BTreeMap;

const DEFAULT: &str = include_str!("../calibration/default.toml");
const LIVE_CPYTHON: &str = include_str!("../calibration/live-cpython.toml");
const FILES: [&str; 2] = [DEFAULT, LIVE_CPYTHON];

const CASES: u32 = 3_000;

use fuzz::config;

/// The dotted key of each line (`core.rust.fit.points[2].n`); None for headers, comments and
/// blank lines.
fn line_keys(text: &str) -> Vec<Option<String>> {
    let mut table = String::new();
    let mut arrays: BTreeMap<String, usize> = BTreeMap::new();
    text.lines()
        .map(|line| {
            let t = line.trim();
            if let Some(h) = t.strip_prefix("[[").and_then(|r| r.strip_suffix("]]")) {
                let k = arrays.entry(h.to_string()).or_insert(0);
                table = format!("{h}[{k}]");
                *k += 1;
                None
            } else if let Some(h) = t.strip_prefix('[').and_then(|r| r.strip_suffix(']')) {
                // Errors name a quoted table (`[interpreters."3.13"]`) without its quotes.
                table = h.replace('"', "");
                None
            } else if t.starts_with('#') {
                None
            } else {
                let (k, _) = t.split_once(" = ")?;
                Some(format!("{table}.{k}"))
            }
        })
        .collect()
}

/// `text` with the value of line `i` replaced by `value`.
fn with_value(text: &str, i: usize, value: &str) -> String {
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    let key = lines[i].split_once(" = ").map(|(k, _)| k.to_string());
    if let Some(key) = key {
        lines[i] = format!("{key} = {value}");
    }
    lines.join("\n") + "\n"
}

/// The key `value` on every value line of both files is rejected with, unless `accepted`
/// says that key may hold it.
fn assert_each_line_rejects(value: &str, accepted: impl Fn(&str) -> bool) {
    for text in FILES {
        for (i, key) in line_keys(text).into_iter().enumerate() {
            let Some(key) = key else { continue };
            let mutated = with_value(text, i, value);
            match Calibration::from_toml_str(&mutated, "fuzz") {
                Err(CalibrationError::Invalid {
                    key: k, message, ..
                }) => {
                    assert_eq!(k, key, "{key} = {value}: {message}")
                }
                Ok(_) if accepted(&key) => {}
                other => {
                    panic!("{key} = {value}: expected a rejection naming {key}, got {other:?}")
                }
            }
        }
    }
}

#[test]
fn nan_is_rejected_on_every_line_by_its_key() {
    assert_each_line_rejects("nan", |_| false);
}

#[test]
fn a_table_is_rejected_on_every_line_by_its_key() {
    assert_each_line_rejects("{ x = 1 }", |_| false);
}

#[test]
fn minus_one_is_rejected_on_every_line_but_signed_fit_figures() {
    // r2 and a point's relative error may be negative (a poor fit, an overestimate).
    assert_each_line_rejects("-1", |k| k.ends_with(".r2") || k.ends_with(".rel_error"));
}

#[test]
fn messages_name_the_key_and_the_value() {
    let e = |text: String| Calibration::from_toml_str(&text, "live-cpython.toml").unwrap_err();
    let per_test = LIVE_CPYTHON.replace("per_test_ns = 63.916", "per_test_ns = nan");
    assert_eq!(
        e(per_test).to_string(),
        "invalid calibration (live-cpython.toml): core.cpython.per_test_ns: must be a finite \
         number above zero and at most 1000000, got NaN"
    );
    let wake = LIVE_CPYTHON.replace("wake_idle = \"300ns\"", "wake_idle = \"-3us\"");
    let msg = e(wake).to_string();
    assert!(
        msg.starts_with(
            "invalid calibration (live-cpython.toml): machine.wake_idle: invalid duration \
             \"-3us\": durations cannot be negative"
        ),
        "{msg}"
    );
    let tick = LIVE_CPYTHON.replace("tick = \"4ms\"", "tick = \"2h\"");
    assert_eq!(
        e(tick).to_string(),
        "invalid calibration (live-cpython.toml): machine.tick: must be at most 1s, got \"7200s\""
    );
    let missing = DEFAULT.replace("per_call_ns = 47.06\n", "");
    assert!(
        e(missing)
            .to_string()
            .contains("core.cpython.per_call_ns: missing"),
        "missing key"
    );
    let typo = DEFAULT.replace("[meta]\n", "[meta]\nhots = \"x\"\n");
    assert!(e(typo)
        .to_string()
        .contains("meta.hots: unknown field `hots`"));
    let broken = DEFAULT.replace("[core.rust]", "[core.rust");
    let msg = e(broken).to_string();
    let line = 1 + DEFAULT.lines().position(|l| l == "[core.rust]").unwrap();
    assert!(
        msg.contains(&format!("TOML syntax error at line {line}, column")),
        "{msg}"
    );
}

/// Every key the files have, and the optional ones they leave out: an error that names a key
/// names one of these, or one that is in the mutated text (an unknown key added).
fn schema_keys() -> Vec<String> {
    let mut keys: Vec<String> = ["note", "host", "clamped", "fit", "points", "live_fit"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    for text in FILES {
        for key in line_keys(text).into_iter().flatten() {
            keys.extend(key.split('.').map(strip_index));
        }
    }
    keys.sort();
    keys.dedup();
    keys
}

fn strip_index(segment: &str) -> String {
    segment.split('[').next().unwrap_or("").to_string()
}

/// One change to a calibration text.
#[derive(Clone, Debug)]
enum Mutation {
    /// Delete line `i` (modulo the line count).
    Delete(usize),
    /// Repeat line `i`.
    Duplicate(usize),
    /// Set the value of value line `i` to `v`.
    Value(usize, String),
    /// Add `key = 1` after line `i`.
    Unknown(usize, String),
    /// Keep only the first `i` characters.
    Truncate(usize),
}

fn bad_value() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("nan".to_string()),
        Just("+inf".to_string()),
        Just("-inf".to_string()),
        Just("-3".to_string()),
        Just("-0.5".to_string()),
        Just("0".to_string()),
        Just("1e308".to_string()),
        Just("18446744073709551615".to_string()),
        Just("9223372036854775807".to_string()),
        Just("\"fast\"".to_string()),
        Just("\"-3us\"".to_string()),
        Just("\"1000000h\"".to_string()),
        Just("\"5\"".to_string()),
        Just("\"1.0000000001ms\"".to_string()),
        Just("true".to_string()),
        Just("[1, 2]".to_string()),
        Just("[]".to_string()),
        Just("{ a = 1 }".to_string()),
        Just("1979-05-27T07:32:00Z".to_string()),
        (-1e12f64..1e12).prop_map(|x| format!("{x:?}")),
        any::<i64>().prop_map(|x| x.to_string()),
    ]
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        any::<usize>().prop_map(Mutation::Delete),
        any::<usize>().prop_map(Mutation::Duplicate),
        (any::<usize>(), bad_value()).prop_map(|(i, v)| Mutation::Value(i, v)),
        (any::<usize>(), "[a-z_]{1,12}").prop_map(|(i, k)| Mutation::Unknown(i, k)),
        any::<usize>().prop_map(Mutation::Truncate),
    ]
}

fn apply(text: &str, m: &Mutation) -> String {
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    if lines.is_empty() {
        return String::new();
    }
    let n = lines.len();
    match m {
        Mutation::Delete(i) => {
            lines.remove(i % n);
        }
        Mutation::Duplicate(i) => {
            let l = lines[i % n].clone();
            lines.insert(i % n, l);
        }
        Mutation::Value(i, v) => {
            let values: Vec<usize> = (0..n)
                .filter(|&j| !lines[j].starts_with('#') && lines[j].contains(" = "))
                .collect();
            if values.is_empty() {
                return lines.join("\n");
            }
            return with_value(&lines.join("\n"), values[i % values.len()], v);
        }
        Mutation::Unknown(i, k) => lines.insert(i % n + 1, format!("{k} = 1")),
        Mutation::Truncate(i) => {
            let text = lines.join("\n");
            return text.chars().take(i % (text.chars().count() + 1)).collect();
        }
    }
    lines.join("\n") + "\n"
}

/// What an accepted calibration must satisfy.
fn assert_sane(cal: &Calibration) {
    for c in [&cal.core.rust, &cal.core.cpython] {
        for v in [c.per_call_ns, c.per_candidate_ns, c.per_test_ns] {
            assert!(v.is_finite() && (0.0..=1e6).contains(&v), "{c:?}");
        }
        assert!(c.per_test_ns > 0.0, "{c:?}");
    }
    let text = cal.to_toml_string().unwrap();
    assert_eq!(
        &Calibration::from_toml_str(&text, "round trip").unwrap(),
        cal
    );
}

proptest! {
    #![proptest_config(config(CASES))]

    #[test]
    fn mutated_calibrations_never_panic_and_name_the_key(
        file in 0usize..2,
        mutations in prop::collection::vec(mutation(), 1..4),
    ) {
        let text = mutations.iter().fold(FILES[file].to_string(), |t, m| apply(&t, m));
        match Calibration::from_toml_str(&text, "fuzz") {
            Ok(cal) => assert_sane(&cal),
            Err(CalibrationError::Parse { message, .. }) => {
                prop_assert!(
                    message.starts_with("TOML syntax error at line ") && message.contains(", column "),
                    "a syntax error that does not say where: {}", message
                );
            }
            Err(e @ CalibrationError::Invalid { .. }) => {
                let CalibrationError::Invalid { key, .. } = &e else { unreachable!() };
                let last = strip_index(key.rsplit('.').next().unwrap_or(""));
                prop_assert!(
                    schema_keys().contains(&last) || text.contains(&format!("{last} =")),
                    "the error names no key of the file: {}\n--- text:\n{}", e, text
                );
                prop_assert!(e.to_string().contains(&format!("{key}: ")), "{}", e);
            }
            Err(other) => prop_assert!(false, "unexpected error kind: {other:?}"),
        }
    }
}
