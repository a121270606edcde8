//! The grid of a sweep: its points in row-major order, a seeded sample of them, and the
//! scenario of each point (the base with the point's values set by dotted key).

use super::error::sweep_err;
use super::{Point, Sweep, SweepError};
use crate::kernel::RngStreams;
use crate::sim::scenario::{Scenario, ScenarioError};

impl Sweep {
    /// Number of points in the full grid.
    pub fn grid_size(&self) -> usize {
        self.grid.iter().map(|(_, v)| v.len()).product()
    }

    /// The indices of the points to run: the whole grid, or a seeded sample of it.
    pub fn indices(&self) -> Vec<usize> {
        let n = self.grid_size();
        match self.sample {
            Some(k) if k < n => {
                // Partial Fisher-Yates over the indices, from a named stream.
                let mut rng = RngStreams::new(self.sample_seed).stream("sweep/sample");
                let mut idx: Vec<usize> = (0..n).collect();
                for i in 0..k {
                    let j = i + rng.below((n - i) as u64) as usize;
                    idx.swap(i, j);
                }
                let mut chosen = idx[..k].to_vec();
                chosen.sort_unstable();
                chosen
            }
            _ => (0..n).collect(),
        }
    }

    /// The point with grid index `index`.
    pub fn point(&self, index: usize) -> Result<Point, SweepError> {
        let mut doc = toml::Value::Table(self.base.clone());
        let mut rest = index;
        let mut values = vec![String::new(); self.grid.len()];
        for (k, (key, vals)) in self.grid.iter().enumerate().rev() {
            let v = &vals[rest % vals.len()];
            rest /= vals.len();
            set_path(&mut doc, key, v.clone())
                .map_err(|m| sweep_err(&format!("grid.\"{key}\""), m))?;
            values[k] = value_text(v);
        }
        let text = toml::to_string(&doc).map_err(|e| {
            sweep_err(
                "grid",
                format!("point {index} cannot be written as TOML: {e}"),
            )
        })?;
        let scenario = Scenario::from_toml(&text).map_err(|error| SweepError::Point {
            index,
            values: self
                .grid
                .iter()
                .zip(&values)
                .map(|((k, _), v)| format!("{k} = {v}"))
                .collect::<Vec<_>>()
                .join(", "),
            error: without_line(error),
        })?;
        Ok(Point {
            index,
            values,
            scenario,
        })
    }
}

/// A point's scenario error without the line it names: that line is one of the point's
/// generated TOML, not of the sweep file, and would mislead.
fn without_line(mut e: ScenarioError) -> ScenarioError {
    if let Some(i) = e
        .message
        .rfind(" (line ")
        .filter(|_| e.message.ends_with(')'))
    {
        e.message.truncate(i);
    }
    e
}

/// A grid value as it appears in a CSV cell or a label: strings without quotes.
pub(super) fn value_text(v: &toml::Value) -> String {
    match v {
        toml::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Sets `doc[path] = v`, where path is dotted with optional `[i]` indices:
/// `python.switch_interval`, `clients[1].n`, `affinity.workers`.
fn set_path(doc: &mut toml::Value, path: &str, v: toml::Value) -> Result<(), String> {
    let mut cur = doc;
    let parts: Vec<&str> = path.split('.').collect();
    for (i, part) in parts.iter().enumerate() {
        let last = i + 1 == parts.len();
        let (name, index) = match part.split_once('[') {
            Some((n, rest)) => {
                let idx: usize = rest
                    .strip_suffix(']')
                    .and_then(|x| x.parse().ok())
                    .ok_or_else(|| format!("bad index in {part:?}"))?;
                (n, Some(idx))
            }
            None => (*part, None),
        };
        let table = cur
            .as_table_mut()
            .ok_or_else(|| format!("{name:?} is not inside a table"))?;
        match index {
            None if last => {
                table.insert(name.to_string(), v);
                return Ok(());
            }
            None => {
                cur = table
                    .entry(name.to_string())
                    .or_insert_with(|| toml::Value::Table(toml::Table::new()));
            }
            Some(idx) => {
                let arr = table
                    .get_mut(name)
                    .and_then(|x| x.as_array_mut())
                    .ok_or_else(|| format!("{name:?} is not a list in the base scenario"))?;
                let len = arr.len();
                let slot = arr
                    .get_mut(idx)
                    .ok_or_else(|| format!("{name}[{idx}] does not exist ({len} entries)"))?;
                if last {
                    *slot = v;
                    return Ok(());
                }
                cur = slot;
            }
        }
    }
    Ok(())
}
