//! Reading a sweep file: the base scenario (inline or `base = "file.toml"`), the `[sweep]`
//! table's settings and its `[sweep.grid]`, each error naming its key.

use super::error::{sweep_err, syntax_err};
use super::{Sweep, SweepError};
use std::path::Path;

/// The most points a grid may have.
const MAX_POINTS: usize = 10_000_000;

/// The keys of a `[sweep]` table besides the grid, with their defaults.
struct Settings {
    reps: u32,
    sample: Option<usize>,
    sample_seed: u64,
}

impl Sweep {
    /// Reads a sweep file.
    pub fn from_file(path: &Path) -> Result<Sweep, SweepError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| SweepError::Io(format!("cannot read {}: {e}", path.display())))?;
        Sweep::from_toml(
            &text,
            path.parent(),
            path.file_stem().and_then(|s| s.to_str()),
        )
    }

    /// Parses a sweep from text; `dir` resolves a relative `base` path; `stem` names the
    /// scenario if it has no name.
    pub fn from_toml(
        text: &str,
        dir: Option<&Path>,
        stem: Option<&str>,
    ) -> Result<Sweep, SweepError> {
        let mut doc: toml::Table = text.parse().map_err(|e| syntax_err(text, &e))?;
        let sweep = match doc.remove("sweep") {
            Some(toml::Value::Table(t)) => t,
            Some(_) => return Err(sweep_err("", "must be a table ([sweep])")),
            None => {
                return Err(sweep_err(
                    "",
                    "a [sweep] table with a [sweep.grid] is required",
                ))
            }
        };
        let mut base = doc;
        let mut settings = Settings {
            reps: 1,
            sample: None,
            sample_seed: 1,
        };
        let mut grid = None;
        for (k, v) in sweep {
            match k.as_str() {
                "base" => base = read_base(&v, dir, &base)?,
                "grid" => grid = Some(parse_grid(&v)?),
                _ => settings.set(&k, &v)?,
            }
        }
        let grid = grid.ok_or_else(|| {
            sweep_err(
                "grid",
                "missing: a [sweep.grid] table of \"key\" = [values] is required",
            )
        })?;
        Sweep::new(base, grid, settings, stem)
    }

    /// The sweep of `base` over `grid`, checked on its first point so errors come early.
    fn new(
        mut base: toml::Table,
        grid: Vec<(String, Vec<toml::Value>)>,
        settings: Settings,
        stem: Option<&str>,
    ) -> Result<Sweep, SweepError> {
        if grid.is_empty() {
            return Err(sweep_err(
                "grid",
                "at least one key with values is required",
            ));
        }
        if !base.contains_key("name") {
            if let Some(s) = stem {
                base.insert("name".into(), s.into());
            }
        }
        grid.iter()
            .try_fold(1usize, |n, (_, v)| n.checked_mul(v.len()))
            .filter(|&n| n <= MAX_POINTS)
            .ok_or_else(|| sweep_err("grid", "more than 10,000,000 points"))?;
        let sw = Sweep {
            base,
            grid,
            reps: settings.reps,
            sample: settings.sample,
            sample_seed: settings.sample_seed,
        };
        // Check the base and every key's path now, on the first point, so errors come early.
        sw.point(0)?;
        Ok(sw)
    }
}

impl Settings {
    /// Sets `reps`, `sample` or `sample_seed`; any other key is an error.
    fn set(&mut self, key: &str, v: &toml::Value) -> Result<(), SweepError> {
        match key {
            "reps" => {
                self.reps = v
                    .as_integer()
                    .filter(|&r| (1..=10_000).contains(&r))
                    .ok_or_else(|| sweep_err("reps", "must be a whole number from 1 to 10000"))?
                    as u32;
            }
            "sample" => {
                self.sample = Some(
                    v.as_integer()
                        .filter(|&r| r >= 1)
                        .ok_or_else(|| sweep_err("sample", "must be a positive whole number"))?
                        as usize,
                );
            }
            "sample_seed" => {
                self.sample_seed = v.as_integer().filter(|&r| r >= 0).ok_or_else(|| {
                    sweep_err("sample_seed", "must be a non-negative whole number")
                })? as u64;
            }
            other => {
                return Err(sweep_err(
                    other,
                    "unknown key (expected base, reps, sample, sample_seed, grid)",
                ))
            }
        }
        Ok(())
    }
}

/// `base = "file.toml"`: the base scenario read from a file (relative to `dir`), named after
/// the file unless it has a name; an error if the sweep file has base keys of its own
/// (`inline`).
fn read_base(
    v: &toml::Value,
    dir: Option<&Path>,
    inline: &toml::Table,
) -> Result<toml::Table, SweepError> {
    let p = v
        .as_str()
        .ok_or_else(|| sweep_err("base", "must be a file path (a string)"))?;
    if !inline.is_empty() {
        return Err(sweep_err(
            "base",
            "give the base scenario inline or as a file, not both",
        ));
    }
    let path = dir.map(|d| d.join(p)).unwrap_or_else(|| p.into());
    let t = std::fs::read_to_string(&path)
        .map_err(|e| sweep_err("base", format!("cannot read {}: {e}", path.display())))?;
    let mut b: toml::Table = t.parse().map_err(|e| {
        sweep_err(
            "base",
            format!("{}: {}", path.display(), syntax_err(&t, &e)),
        )
    })?;
    if !b.contains_key("name") {
        if let Some(s) = path.file_stem().and_then(|s| s.to_str()) {
            b.insert("name".into(), s.into());
        }
    }
    Ok(b)
}

/// `[sweep.grid]`: dotted key -> a non-empty list of values, in file order.
fn parse_grid(v: &toml::Value) -> Result<Vec<(String, Vec<toml::Value>)>, SweepError> {
    let t = v
        .as_table()
        .ok_or_else(|| sweep_err("grid", "must be a table of \"key\" = [values]"))?;
    let mut grid = Vec::new();
    for (key, vals) in t {
        let name = format!("grid.\"{key}\"");
        if key.split('.').any(|part| part.trim().is_empty()) {
            return Err(sweep_err(
                &name,
                "not a scenario key (an empty part in the dotted path)",
            ));
        }
        let arr = match vals {
            toml::Value::Array(a) if !a.is_empty() => a,
            toml::Value::Table(_) => {
                return Err(sweep_err(
                    &name,
                    "must be a list of values; quote dotted keys: \"server.workers\" = [1, 2]",
                ))
            }
            _ => return Err(sweep_err(&name, "must be a non-empty list of values")),
        };
        if let Some(i) = arr.iter().position(has_nan) {
            return Err(sweep_err(
                &format!("{name}[{i}]"),
                "NaN is not a value of any scenario key",
            ));
        }
        grid.push((key.clone(), arr.clone()));
    }
    Ok(grid)
}

/// Whether a value is, or holds, a floating-point NaN.
fn has_nan(v: &toml::Value) -> bool {
    match v {
        toml::Value::Float(x) => x.is_nan(),
        toml::Value::Array(a) => a.iter().any(has_nan),
        toml::Value::Table(t) => t.values().any(has_nan),
        _ => false,
    }
}
