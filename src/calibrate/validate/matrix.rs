//! The validation matrix: the scenario files of `validation/scenarios/`, `NN-name.toml`, in
//! name order, each opening with a one-line comment saying what it checks.

use crate::sim::scenario::Scenario;
use std::path::{Path, PathBuf};

/// One scenario of the matrix.
#[derive(Clone, Debug)]
pub struct MatrixEntry {
    /// The file's stem (`05-thread-convoy-5ms`).
    pub id: String,
    /// The file.
    pub path: PathBuf,
    /// Its text.
    pub text: String,
    /// What it checks: its first line, without the `#`.
    pub checks: String,
    /// The parsed scenario.
    pub scenario: Scenario,
}

/// Whether `id` is selected by `pattern`: a comma-separated list of substrings (any matches);
/// no pattern selects everything.
pub fn selected(id: &str, pattern: Option<&str>) -> bool {
    match pattern {
        None => true,
        Some(p) => p
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .any(|s| id.contains(s)),
    }
}

/// Reads one scenario file of the matrix.
pub fn read_entry(path: &Path) -> anyhow::Result<MatrixEntry> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
    let id = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let first = text.lines().next().unwrap_or("");
    let checks = first
        .strip_prefix('#')
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .ok_or_else(|| {
            anyhow::anyhow!(
                "{}: line 1: the file must open with a comment saying what it checks (# ...)",
                path.display()
            )
        })?
        .to_string();
    let scenario =
        Scenario::from_toml(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    Ok(MatrixEntry {
        id,
        path: path.to_path_buf(),
        text,
        checks,
        scenario,
    })
}

/// The matrix in `dir` (every `*.toml`, in name order), those selected by `only`.
pub fn load_matrix(dir: &Path, only: Option<&str>) -> anyhow::Result<Vec<MatrixEntry>> {
    let rd = std::fs::read_dir(dir)
        .map_err(|e| anyhow::anyhow!("cannot read the matrix {}: {e}", dir.display()))?;
    let mut paths: Vec<PathBuf> = rd
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    paths.sort();
    let mut out = Vec::new();
    for p in paths {
        let e = read_entry(&p)?;
        if selected(&e.id, only) {
            out.push(e);
        }
    }
    anyhow::ensure!(
        !out.is_empty(),
        "no scenario of {} matches {}",
        dir.display(),
        only.unwrap_or("(all)")
    );
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns() {
        assert!(selected("05-thread-convoy-5ms", None));
        assert!(selected("05-thread-convoy-5ms", Some("convoy")));
        assert!(selected("05-thread-convoy-5ms", Some("open, 05-")));
        assert!(!selected("05-thread-convoy-5ms", Some("process")));
    }

    #[test]
    fn the_first_line_says_what_it_checks() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("01-x.toml");
        std::fs::write(&p, "duration = \"1s\"\n[[clients]]\nname = \"a\"\nn = 1\n").unwrap();
        let e = read_entry(&p).unwrap_err().to_string();
        assert!(e.contains("line 1"), "{e}");
        std::fs::write(
            &p,
            "# inline alone\nduration = \"1s\"\n[[clients]]\nname = \"a\"\nn = 1\n",
        )
        .unwrap();
        let e = read_entry(&p).unwrap();
        assert_eq!((e.id.as_str(), e.checks.as_str()), ("01-x", "inline alone"));
    }
}
