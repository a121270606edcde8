//! The rows known to miss their tolerance (`validation/known-misses.toml`), each with a
//! one-line reason. `tests/validation.rs` holds the table to it both ways: a row that misses
//! must be listed, and a listed row must still miss (so the list only shrinks as the model
//! improves).
//!
//! ```toml
//! [[miss]]
//! row = "04-thread-convoy-5ms/simple/during long"   # Row::key: scenario/client/phase or .../p99
//! reason = "the convoy costs 5.4 switch intervals per request live, 3.2 in the model"
//! ```

use super::rows::Row;
use serde::Deserialize;
use std::path::Path;

/// One listed miss.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KnownMiss {
    /// The row's key ([`Row::key`]).
    pub row: String,
    /// Why it misses, in one line.
    pub reason: String,
}

/// The whole file.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KnownMisses {
    /// The listed rows.
    #[serde(default)]
    pub miss: Vec<KnownMiss>,
}

impl KnownMisses {
    /// Reads the file (a missing file lists nothing); errors name the key or line.
    pub fn load(path: &Path) -> anyhow::Result<KnownMisses> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Self::default()),
            Err(e) => anyhow::bail!("cannot read {}: {e}", path.display()),
        };
        let m: KnownMisses =
            toml::from_str(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        for (i, x) in m.miss.iter().enumerate() {
            anyhow::ensure!(
                !x.reason.trim().is_empty() && !x.reason.contains('\n'),
                "{}: miss[{i}].reason: one line saying why {} misses",
                path.display(),
                x.row
            );
        }
        Ok(m)
    }

    /// Whether `row` is listed.
    pub fn listed(&self, row: &Row) -> Option<&KnownMiss> {
        let key = row.key();
        self.miss.iter().find(|m| m.row == key)
    }

    /// How the rows stand against the list.
    pub fn check<'a>(&self, rows: impl IntoIterator<Item = &'a Row>) -> MissCheck {
        let rows: Vec<&Row> = rows.into_iter().collect();
        let mut out = MissCheck::default();
        for r in &rows {
            match (r.within(), self.listed(r).is_some()) {
                (false, false) => out.unlisted.push(r.key()),
                (true, true) => out.fixed.push(r.key()),
                _ => {}
            }
        }
        for m in &self.miss {
            if !rows.iter().any(|r| r.key() == m.row) {
                out.unknown.push(m.row.clone());
            }
        }
        out
    }
}

/// Rows that disagree with the list.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MissCheck {
    /// Missing their tolerance but not listed.
    pub unlisted: Vec<String>,
    /// Listed but now within their tolerance (remove them from the list).
    pub fixed: Vec<String>,
    /// Listed but no such row.
    pub unknown: Vec<String>,
}

impl MissCheck {
    /// True when the table and the list agree.
    pub fn ok(&self) -> bool {
        self.unlisted.is_empty() && self.fixed.is_empty() && self.unknown.is_empty()
    }
}
