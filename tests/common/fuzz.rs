//! Generated TOML values for the parser fuzz tests: integers, floats and booleans at the
//! edges that validation must reject (negative, zero, huge, NaN, infinite), strings from a
//! parser's own vocabulary (`words`: durations, enum names, file names) and random ones, and
//! small arrays and tables of these; and the proptest configuration they share.
#![allow(dead_code)] // each fuzz test file uses part of it

use proptest::prelude::*;
use toml::Value;

/// A TOML value, its strings drawn from `words` or at random.
pub fn toml_value(words: &'static [&'static str]) -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        any::<i64>().prop_map(Value::Integer),
        prop_oneof![
            Just(-1i64),
            Just(0),
            Just(1),
            Just(2),
            Just(65),
            Just(10_001),
            Just(100_000_000)
        ]
        .prop_map(Value::Integer),
        any::<f64>().prop_map(Value::Float),
        prop_oneof![Just(f64::NAN), Just(f64::INFINITY), Just(-0.5), Just(1e300)]
            .prop_map(Value::Float),
        any::<bool>().prop_map(Value::Boolean),
        prop::sample::select(words).prop_map(|s| Value::String(s.to_string())),
        "[a-z0-9 .µ-]{0,12}".prop_map(Value::String),
    ];
    leaf.prop_recursive(2, 8, 3, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..3).prop_map(Value::Array),
            prop::collection::vec(("[a-z_]{1,8}", inner), 0..3)
                .prop_map(|kv| Value::Table(kv.into_iter().collect())),
        ]
    })
}

/// `cases` generated cases (the `PROPTEST_CASES` environment variable overrides it).
pub fn config(cases: u32) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(cases);
    ProptestConfig {
        cases,
        ..ProptestConfig::default()
    }
}

/// True if a parser's message is serde's report of a bad value or key (what a rejection
/// of a generated value says, before the key is prefixed).
pub fn is_value_error(msg: &str) -> bool {
    [
        "invalid type",
        "invalid value",
        "unknown variant",
        "invalid duration",
        "unknown field",
    ]
    .iter()
    .any(|p| msg.starts_with(p))
}
