//! The error of a sweep file that cannot be run: every one names the key at fault, or the
//! line where the TOML syntax broke.

use crate::sim::scenario::ScenarioError;

/// Errors of sweep files.
#[derive(Debug, thiserror::Error)]
pub enum SweepError {
    /// The file could not be read.
    #[error("{0}")]
    Io(String),
    /// The text is not TOML.
    #[error("not valid TOML at line {line}, column {column}: {message}")]
    Syntax {
        /// The line where the syntax broke (from 1).
        line: usize,
        /// The column (from 1, in characters).
        column: usize,
        /// What the TOML parser expected.
        message: String,
    },
    /// A key of the `[sweep]` table (or the table itself) is wrong.
    #[error("{}: {message}", sweep_path(key))]
    Sweep {
        /// The key inside `[sweep]`, like `reps` or `grid."server.workers"` (empty: the
        /// `[sweep]` table itself).
        key: String,
        /// What is wrong.
        message: String,
    },
    /// A grid point makes an invalid scenario.
    #[error("grid point {index} ({values}): {error}")]
    Point {
        /// The point's index.
        index: usize,
        /// Its key = value pairs.
        values: String,
        /// The scenario error.
        error: ScenarioError,
    },
}

impl SweepError {
    /// The dotted key the error is about (`sweep.reps`, `sweep.grid."server.workers"`, or a
    /// scenario key such as `clients[0].n` for a grid point), if it names one.
    pub fn key(&self) -> Option<String> {
        match self {
            SweepError::Sweep { key, .. } => Some(sweep_path(key)),
            SweepError::Point { error, .. } if !error.key.is_empty() => Some(error.key.clone()),
            _ => None,
        }
    }
}

/// `sweep.KEY`, or `sweep` for the table itself.
fn sweep_path(key: &str) -> String {
    if key.is_empty() {
        "sweep".into()
    } else {
        format!("sweep.{key}")
    }
}

/// An error about `key` of the `[sweep]` table.
pub(super) fn sweep_err(key: &str, message: impl Into<String>) -> SweepError {
    SweepError::Sweep {
        key: key.into(),
        message: message.into(),
    }
}

/// The error of text that does not parse as TOML: where the syntax broke, and why.
pub(super) fn syntax_err(text: &str, e: &toml::de::Error) -> SweepError {
    let (line, column) = e
        .span()
        .map(|sp| {
            let before = &text[..floor_char_boundary(text, sp.start)];
            let line_start = before.rfind('\n').map_or(0, |i| i + 1);
            (
                before.matches('\n').count() + 1,
                before[line_start..].chars().count() + 1,
            )
        })
        .unwrap_or((1, 1));
    SweepError::Syntax {
        line,
        column,
        message: e.message().trim().to_string(),
    }
}

/// The largest char boundary of `text` at or before `i`.
fn floor_char_boundary(text: &str, i: usize) -> usize {
    let mut i = i.min(text.len());
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}
