//! The scenario parser, fuzzed: no input panics, every rejection names the offending key,
//! and every valid scenario survives a round trip through its TOML.
//!
//! Three generators: arbitrary text; TOML-shaped text (headers, keys, values of every type);
//! and valid scenarios with one key set to a random value of a random type, deleted, or an
//! unknown key added. Case counts: see `CASES_*` (`PROPTEST_CASES` overrides them).

#[path = "common/fuzz.rs"]
mod fuzz;
use execsim::sim::scenario::Scenario;
use proptest::prelude::*;
use toml::{Table, Value};

const CASES_TEXT: u32 = 1_500;
const CASES_MUTATED: u32 = 2_500;

use fuzz::config;

/// Every key a scenario file may have (leaf names), for checking that an error names one.
const SCHEMA_KEYS: &[&str] = &[
    "name",
    "seed",
    "duration",
    "machine",
    "cores",
    "scheduler",
    "python",
    "gil",
    "switch_interval",
    "runtime",
    "server",
    "kind",
    "executor",
    "workers",
    "clients",
    "n",
    "mix",
    "weight",
    "start",
    "mode",
    "think",
    "rate",
    "arrivals",
    "in_process",
    "count",
    "affinity",
    "loop",
    "helpers",
    "costs",
    "interp",
    "service",
    "ctx_switch",
    "wake_idle",
    "wake_busy",
    "wake_local",
    "wake_jitter",
    "tick",
    "sched_latency",
    "min_granularity",
    "wakeup_granularity",
    "base_slice",
    "timer_slack",
    "timer_jitter",
    "drop_notice",
    "send",
    "recv",
];

/// Keys a mutation may target (paths into a scenario with at least two clients).
const TARGETS: &[&str] = &[
    "seed",
    "duration",
    "name",
    "machine.cores",
    "python.gil",
    "python.switch_interval",
    "python.runtime",
    "server.kind",
    "server.executor",
    "server.workers",
    "clients[0].name",
    "clients[0].n",
    "clients[1].n",
    "clients[0].start",
    "clients[1].start",
    "clients[0].mode",
    "clients[0].think",
    "clients[0].rate",
    "clients[0].arrivals",
    "clients[0].in_process",
    "clients[1].count",
    "affinity.loop",
    "affinity.workers",
    "affinity.helpers",
    "costs.machine.tick",
    "costs.interp.timer_slack",
    "costs.service.send",
];

/// Strings from the parser's vocabulary, for [`fuzz::toml_value`].
const SCENARIO_WORDS: &[&str] = &[
    "5ms",
    "0s",
    "-1s",
    "1.5ns",
    "2m",
    "99999999999999h",
    "fast",
    "",
    "cpython",
    "free-threaded",
    "rust",
    "asyncio",
    "thread-per-connection",
    "inline",
    "thread",
    "process",
    "interpreter",
    "closed",
    "open",
    "poisson",
    "constant",
    "1e3ms",
];

fn toml_value() -> impl Strategy<Value = Value> {
    fuzz::toml_value(SCENARIO_WORDS)
}

#[derive(Clone, Debug)]
enum Mutation {
    Set(&'static str, Value),
    Delete(&'static str),
    Unknown(&'static str, String, Value),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let target = prop::sample::select(TARGETS);
    prop_oneof![
        5 => (target.clone(), toml_value()).prop_map(|(t, v)| Mutation::Set(t, v)),
        2 => target.clone().prop_map(Mutation::Delete),
        1 => (
            prop::sample::select(vec!["", "machine", "python", "server", "clients[0]", "affinity"]),
            "[a-z]{1,3}_x",
            toml_value()
        )
            .prop_map(|(t, k, v)| Mutation::Unknown(t, k, v)),
    ]
}

/// Splits `clients[1].n` into `[("clients", Some(1)), ("n", None)]`.
fn segments(path: &str) -> Vec<(String, Option<usize>)> {
    path.split('.')
        .filter(|s| !s.is_empty())
        .map(|seg| match seg.split_once('[') {
            Some((k, rest)) => (k.to_string(), rest.trim_end_matches(']').parse().ok()),
            None => (seg.to_string(), None),
        })
        .collect()
}

/// Sets (or, with None, removes) the value at `path`; creates missing tables. False if the
/// path runs through an array element that does not exist.
fn set_path(table: &mut Table, path: &[(String, Option<usize>)], value: Option<Value>) -> bool {
    let Some(((key, index), rest)) = path.split_first() else {
        return false;
    };
    if rest.is_empty() && index.is_none() {
        match value {
            Some(v) => {
                table.insert(key.clone(), v);
            }
            None => {
                table.remove(key);
            }
        }
        return true;
    }
    let entry = table
        .entry(key.clone())
        .or_insert_with(|| Value::Table(Table::new()));
    let next = match (entry, index) {
        (Value::Array(a), Some(i)) => match a.get_mut(*i) {
            Some(Value::Table(t)) => t,
            _ => return false,
        },
        (Value::Table(t), None) => t,
        _ => return false,
    };
    set_path(next, rest, value)
}

/// A few valid scenarios to mutate: the lesson's and the repository's example files.
fn bases() -> Vec<Scenario> {
    let mut v = execsim::sim::lesson::scenarios();
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    for name in [
        "lesson-inline.toml",
        "lesson-process.toml",
        "lesson-thread-5ms.toml",
    ] {
        if let Ok(s) = Scenario::from_file(&dir.join(name)) {
            v.push(s);
        }
    }
    v
}

fn leaf_name(key: &str) -> &str {
    let last = key.rsplit('.').next().unwrap_or(key);
    last.split('[').next().unwrap_or(last)
}

use fuzz::is_value_error;

proptest! {
    #![proptest_config(config(CASES_TEXT))]

    /// Arbitrary text never panics the parser.
    #[test]
    fn arbitrary_text_never_panics(text in any::<String>()) {
        let _ = Scenario::from_toml(&text);
    }

    /// TOML-shaped text (headers, keys, values of every type) never panics the parser, and
    /// a rejection of well-formed TOML names a key.
    #[test]
    fn toml_shaped_text_never_panics(
        lines in prop::collection::vec(
            prop_oneof![
                "\\[\\[?(machine|python|server|clients|affinity|costs\\.machine|x)\\]\\]?",
                "(seed|duration|cores|gil|n|name|mode|rate|count|loop|workers|start|zz) = (\"[0-9a-z. ]{0,8}\"|-?[0-9]{1,20}|[0-9]{1,3}\\.[0-9]{1,3}|true|\\[[0-9, ]{0,6}\\]|\\{ *\\})",
                ".{0,10}",
            ],
            0..14,
        )
    ) {
        let text = lines.join("\n");
        if let Err(e) = Scenario::from_toml(&text) {
            if text.parse::<Table>().is_ok() {
                prop_assert!(!e.key.is_empty(), "no key named for well-formed TOML: {e}\n{text}");
            }
        }
    }
}

proptest! {
    #![proptest_config(config(CASES_MUTATED))]

    /// A valid scenario with one key set to a random value, deleted, or an unknown key added:
    /// never a panic; a rejection names a key of the schema, and a wrong value or unknown
    /// key is named exactly (the path given, or a path inside it).
    #[test]
    fn every_rejection_names_the_offending_key(
        base in prop::sample::select(bases()),
        m in mutation(),
    ) {
        let mut table: Table = base.to_toml().parse().expect("a scenario's TOML parses");
        let (applied, target) = match &m {
            Mutation::Set(p, v) => (set_path(&mut table, &segments(p), Some(v.clone())), p.to_string()),
            Mutation::Delete(p) => (set_path(&mut table, &segments(p), None), p.to_string()),
            Mutation::Unknown(p, k, v) => {
                let path = if p.is_empty() { k.clone() } else { format!("{p}.{k}") };
                (set_path(&mut table, &segments(&path), Some(v.clone())), path)
            }
        };
        prop_assume!(applied);
        let text = toml::to_string(&table).expect("a table serialises");
        match Scenario::from_toml(&text) {
            Ok(s) => {
                // Accepted: then it is valid and round-trips.
                prop_assert!(s.validate().is_ok());
            }
            Err(e) => {
                prop_assert!(!e.key.is_empty(), "rejection without a key: {e}\n{m:?}\n{text}");
                prop_assert!(
                    SCHEMA_KEYS.contains(&leaf_name(&e.key)) || matches!(m, Mutation::Unknown(..)),
                    "the key {:?} is not in the schema: {e}\n{m:?}\n{text}", e.key
                );
                if is_value_error(&e.message) && !matches!(m, Mutation::Delete(_)) {
                    prop_assert!(
                        e.key == target || e.key.starts_with(&format!("{target}.")) || e.key.starts_with(&format!("{target}[")),
                        "the error names {:?}, the mutated key is {target:?}: {e}\n{text}", e.key
                    );
                }
            }
        }
    }
}

/// A generated valid scenario survives `to_toml` then `from_toml` unchanged.
#[test]
fn scenarios_round_trip_through_toml() {
    for s in bases() {
        let back = Scenario::from_toml(&s.to_toml()).expect("its own TOML parses");
        assert_eq!(back, s, "{}", s.to_toml());
    }
}
