//! Reading a calibration's TOML text into a [`Calibration`], with every rejection naming its
//! key: first the TOML syntax (a broken file is reported by line and column), then the schema
//! through `serde_path_to_error`, which records the dotted path of the value being read when
//! serde fails (`core.rust.fit.points[3].n`), so that a wrong type, a missing or an unknown key
//! is reported as `key: what is wrong (line N)`, like scenario files.

use super::Calibration;

/// Why the text could not be read as a calibration (before the range checks).
#[derive(Debug, PartialEq, Eq)]
pub(super) enum ParseFailure {
    /// Not TOML: where the syntax broke and why.
    Syntax(String),
    /// TOML, but a key is missing, unknown or of the wrong type.
    Key {
        /// The dotted key, like `core.rust.per_test_ns`.
        key: String,
        /// What is wrong, with the line when known.
        message: String,
    },
}

/// 1-based line and column of byte `offset` in `text`.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

/// The key a serde failure at `path` is about: a missing field is named inside its table
/// (serde reports the table), the root path `.` is the document.
fn key_of(path: &str, message: &str) -> String {
    let parent = if path == "." { "" } else { path };
    let missing = message
        .strip_prefix("missing field `")
        .and_then(|rest| rest.split('`').next());
    match (missing, parent) {
        (Some(field), "") => field.to_string(),
        (Some(field), p) => format!("{p}.{field}"),
        (None, "") => "(document)".to_string(),
        (None, p) => p.to_string(),
    }
}

/// Parses `text` into a [`Calibration`] (no range checks yet).
pub(super) fn parse(text: &str) -> Result<Calibration, ParseFailure> {
    let de = toml::Deserializer::parse(text).map_err(|e| {
        let at = e.span().map(|s| line_column(text, s.start));
        ParseFailure::Syntax(match at {
            Some((line, col)) => format!(
                "TOML syntax error at line {line}, column {col}: {}",
                e.message()
            ),
            None => format!("TOML syntax error: {}", e.message()),
        })
    })?;
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let message = inner.message().trim_end().to_string();
        let key = key_of(&path, &message);
        let message = match message.strip_prefix("missing field `") {
            Some(_) => "missing (a required key)".to_string(),
            None => message,
        };
        // The root's span is the whole document: no line worth showing.
        let line = inner
            .span()
            .filter(|_| path != ".")
            .map(|s| format!(" (line {})", line_column(text, s.start).0))
            .unwrap_or_default();
        ParseFailure::Key {
            key,
            message: format!("{message}{line}"),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_and_columns_count_from_one() {
        assert_eq!(line_column("a = 1\nbc = x", 0), (1, 1));
        assert_eq!(line_column("a = 1\nbc = x", 11), (2, 6));
        assert_eq!(line_column("é = 1", 2), (1, 2));
        assert_eq!(line_column("ab", 99), (1, 3));
    }

    #[test]
    fn keys_of_missing_fields_are_named_inside_their_table() {
        assert_eq!(
            key_of("core.rust", "missing field `per_call_ns`"),
            "core.rust.per_call_ns"
        );
        assert_eq!(key_of(".", "missing field `core`"), "core");
        assert_eq!(key_of("meta.cpus", "invalid type"), "meta.cpus");
    }

    #[test]
    fn failures_name_key_and_line() {
        let text = "[core.rust]\nper_call_ns = 1.0\nper_candidate_ns = 1.0\nper_test_ns = \"x\"\n";
        assert_eq!(
            parse(text).unwrap_err(),
            ParseFailure::Key {
                key: "core.rust.per_test_ns".into(),
                message: "invalid type: string \"x\", expected f64 (line 4)".into()
            }
        );
        match parse("[core.rust]\na = 1\na = 2\n").unwrap_err() {
            ParseFailure::Syntax(m) => {
                assert_eq!(m, "TOML syntax error at line 3, column 1: duplicate key")
            }
            other => panic!("{other:?}"),
        }
        match parse("").unwrap_err() {
            ParseFailure::Key { key, message } => {
                assert_eq!(
                    (key.as_str(), message.as_str()),
                    ("core", "missing (a required key)")
                )
            }
            other => panic!("{other:?}"),
        }
    }
}
