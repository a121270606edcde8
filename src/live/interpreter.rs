//! Which Python runs a scenario's live service: the build its `[python] version` names, with
//! the GIL its `gil` asks for.
//!
//! A scenario of 3.11 (the default) runs on `--python` (default `python3`), whatever it is,
//! as before versions existed. A scenario naming another build runs on an interpreter of that
//! build, checked by asking it (`sys.version_info`, `sysconfig`'s `Py_GIL_DISABLED`):
//! `--python` when given, else the first that matches of the build that
//! `scripts/build-cpython.sh` installs (`$EXECSIM_CPYTHON_DIR`, default
//! `~/.cache/execsim/cpython`, `python3.13t/bin/python3.13t`), `python3.13t` (or `python3.13`)
//! on the `PATH`, and `python3`. A free-threaded build asked to keep its GIL
//! (`gil = "cpython"`) runs with `-X gil=1` (the service runs with `-I`, which ignores
//! `PYTHON_GIL`).

use super::{LiveError, LiveOptions};
use crate::interp::{GilKind, PythonVersion};
use crate::sim::scenario::Scenario;
use crate::workload::cost::Backend;
use std::borrow::Cow;
use std::path::{Path, PathBuf};

/// The interpreter `--python` names when it is not given.
pub const DEFAULT_PYTHON: &str = "python3";

/// What an interpreter says it is: `(major, minor)` and whether it is a free-threaded build.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Build {
    /// `sys.version_info[:2]`.
    pub release: (u32, u32),
    /// `Py_GIL_DISABLED`.
    pub free_threaded: bool,
}

impl Build {
    /// True if this is the build `version` models.
    pub fn is(&self, version: PythonVersion) -> bool {
        self.release == version.release() && self.free_threaded == version.free_threaded_build()
    }

    /// `3.13t`, `3.11`.
    pub fn label(&self) -> String {
        let (a, b) = self.release;
        format!("{a}.{b}{}", if self.free_threaded { "t" } else { "" })
    }
}

/// Asks `python` what it is; None if it cannot be run or answers nonsense.
pub fn build_of(python: &Path) -> Option<Build> {
    let out = std::process::Command::new(python)
        .args(["-I", "-c"])
        .arg(
            "import sys, sysconfig; print(sys.version_info[0], sys.version_info[1], \
             int(bool(sysconfig.get_config_var('Py_GIL_DISABLED'))))",
        )
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .output()
        .ok()?;
    let text = String::from_utf8(out.stdout).ok()?;
    let mut it = text.split_whitespace().map(|w| w.parse::<u32>().ok());
    let (major, minor, ft) = (it.next()??, it.next()??, it.next()??);
    Some(Build {
        release: (major, minor),
        free_threaded: ft == 1,
    })
}

/// Where `scripts/build-cpython.sh` installs `version`.
fn built_by_script(version: PythonVersion) -> Option<PathBuf> {
    let root = std::env::var_os("EXECSIM_CPYTHON_DIR")
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/execsim/cpython"))
        })?;
    let name = format!("python{}", version.label());
    Some(root.join(&name).join("bin").join(&name))
}

/// The interpreters tried for `version` when `--python` is not given, in order.
fn candidates(version: PythonVersion) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = built_by_script(version).into_iter().collect();
    out.push(PathBuf::from(format!("python{}", version.label())));
    out.push(PathBuf::from(DEFAULT_PYTHON));
    out
}

/// `opts` with the interpreter and its arguments `scenario` runs on (see the module's doc);
/// `opts` as they are for the Rust backend.
pub fn for_scenario<'a>(
    scenario: &Scenario,
    opts: &'a LiveOptions,
) -> Result<Cow<'a, LiveOptions>, LiveError> {
    if opts.backend != Backend::Cpython {
        return Ok(Cow::Borrowed(opts));
    }
    let version = scenario.python.version;
    let mut out = opts.clone();
    if version != PythonVersion::V3_11 {
        let given = opts.python != Path::new(DEFAULT_PYTHON);
        out.python = if given {
            match build_of(&opts.python) {
                Some(b) if b.is(version) => opts.python.clone(),
                Some(b) => {
                    return Err(LiveError::Scenario(format!(
                        "python.version = \"{version}\" but {} is CPython {}: pass an interpreter of that build with --python, or build one with scripts/build-cpython.sh {}",
                        opts.python.display(),
                        b.label(),
                        script_args(version)
                    )))
                }
                None => return Err(LiveError::PythonNotFound(opts.python.clone())),
            }
        } else {
            candidates(version)
                .into_iter()
                .find(|p| build_of(p).is_some_and(|b| b.is(version)))
                .ok_or_else(|| {
                    LiveError::Scenario(format!(
                        "python.version = \"{version}\": no CPython {version} found ({}); build it with scripts/build-cpython.sh {} or pass --python PATH",
                        candidates(version)
                            .iter()
                            .map(|p| p.display().to_string())
                            .collect::<Vec<_>>()
                            .join(", "),
                        script_args(version)
                    ))
                })?
        };
    }
    if version.free_threaded_build() && scenario.python.gil == GilKind::Cpython {
        out.python_args = vec!["-X".into(), "gil=1".into()];
    }
    Ok(Cow::Owned(out))
}

/// The build script's arguments for `version`.
fn script_args(version: PythonVersion) -> String {
    let (a, b) = version.release();
    if version.free_threaded_build() {
        format!("{a}.{b} --free-threaded")
    } else {
        format!("{a}.{b}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_build_is_the_version_of_its_release_and_threading() {
        let t = Build {
            release: (3, 13),
            free_threaded: true,
        };
        assert!(t.is(PythonVersion::V3_13t));
        assert!(!t.is(PythonVersion::V3_13));
        assert_eq!(t.label(), "3.13t");
        assert_eq!(script_args(PythonVersion::V3_13t), "3.13 --free-threaded");
    }
}
