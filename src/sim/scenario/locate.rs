//! Finding the key a TOML parse error is about, so that every error names its key.
//!
//! serde names unknown and missing fields in its messages, and the TOML parser gives the
//! byte span the error points at; this module turns the span into the dotted path of a key
//! (`clients[1].mix[0].n`) by walking the document's spanned tree.

use super::error::{err, ScenarioError};
use toml::de::{DeTable, DeValue};
use toml::Spanned;

/// The error for a text that does not parse as a scenario: serde's message with the line it
/// points at, and the key it is about.
pub(super) fn parse_error(text: &str, e: &toml::de::Error) -> ScenarioError {
    let msg = e.message().to_string();
    let loc = e
        .span()
        .map(|sp| {
            let line = text[..sp.start.min(text.len())].matches('\n').count() + 1;
            format!(" (line {line})")
        })
        .unwrap_or_default();
    let key = e
        .span()
        .map(|sp| key_at(text, sp.start, &msg))
        .unwrap_or_default();
    err(key, format!("{msg}{loc}"))
}

/// The key (or array element) found so far that starts last at or before the error.
struct Best {
    /// Where it starts.
    start: usize,
    /// Its dotted path.
    path: String,
    /// Whether its value is a table.
    is_table: bool,
}

impl Best {
    /// Takes `path` if it starts at or before `pos` and no earlier than the best so far.
    fn offer(&mut self, start: usize, pos: usize, path: &str, is_table: bool) {
        if start <= pos && start >= self.start {
            *self = Best {
                start,
                path: path.to_string(),
                is_table,
            };
        }
    }
}

/// Walks the value at `path`, offering every key and array element to `best`.
fn walk(v: &Spanned<DeValue<'_>>, path: &str, pos: usize, best: &mut Best) {
    match v.get_ref() {
        DeValue::Table(t) => {
            for (k, kv) in t.iter() {
                let p = if path.is_empty() {
                    k.get_ref().to_string()
                } else {
                    format!("{path}.{}", k.get_ref())
                };
                // A key's span, or its value's (a `[a.b]` header starts before `b`).
                let is_table = matches!(kv.get_ref(), DeValue::Table(_));
                for start in [k.span().start, kv.span().start] {
                    best.offer(start, pos, &p, is_table);
                }
                walk(kv, &p, pos, best);
            }
        }
        DeValue::Array(a) => {
            for (i, item) in a.iter().enumerate() {
                let p = format!("{path}[{i}]");
                let is_table = matches!(item.get_ref(), DeValue::Table(_));
                best.offer(item.span().start, pos, &p, is_table);
                walk(item, &p, pos, best);
            }
        }
        _ => {}
    }
}

/// The dotted path (`clients[1].mix[0].n`) of the key that a parse error at byte `pos` is
/// about: the last key (or array element) that starts at or before `pos`, which is the key of
/// the value the error points at, or the key itself for an unknown field. For a missing field
/// (`msg` says "missing field `x`"), the field's path under the table at `pos`. Empty when the
/// text is not TOML at all.
pub(super) fn key_at(text: &str, pos: usize, msg: &str) -> String {
    let Ok(doc) = DeTable::parse(text) else {
        return String::new();
    };
    let root = Spanned::new(doc.span(), DeValue::Table(doc.into_inner()));
    let mut best = Best {
        start: 0,
        path: String::new(),
        is_table: true,
    };
    walk(&root, "", pos, &mut best);
    let missing = msg
        .strip_prefix("missing field `")
        .and_then(|r| r.split('`').next());
    match missing {
        Some(field) => missing_field_key(best, pos, field),
        None => {
            // A table given for an enum key reads as a tagged variant: the key is the parent.
            let variant = msg
                .strip_prefix("unknown variant `")
                .and_then(|r| r.split('`').next());
            match (variant, best.path.rsplit_once('.')) {
                (Some(v), Some((parent, last))) if last == v => parent.to_string(),
                _ => best.path,
            }
        }
    }
}

/// The path of a missing `field`: the error points at the table that lacks it (or at the
/// document's start).
fn missing_field_key(best: Best, pos: usize, field: &str) -> String {
    let table = if best.is_table && pos > 0 {
        best.path
    } else {
        String::new()
    };
    if table.is_empty() {
        field.to_string()
    } else {
        format!("{table}.{field}")
    }
}
