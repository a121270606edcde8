//! Which CPython a scenario models: its release and build, and the GIL that build has unless
//! told otherwise.
//!
//! - **3.11** (the default): the costs every calibration holds; the "new GIL" of
//!   `Python/ceval_gil.h`.
//! - **3.13**: the same GIL protocol (`Python/ceval_gil.c` of 3.13 keeps 3.11's timed wait,
//!   drop request, FORCE_SWITCHING and `switch_number`; the drop request became a bit of the
//!   holder's own eval breaker, which changes none of the model's rules), its own speed.
//! - **3.13t**: the free-threaded build (`--disable-gil`): no GIL unless run with
//!   `-X gil=1` (`[python] gil = "cpython"`), slower single-threaded code (no specialising
//!   interpreter in 3.13, biased reference counting, mimalloc).

use serde::{Deserialize, Serialize};
use std::fmt;

use super::GilKind;

/// A CPython release and build that a scenario models.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PythonVersion {
    /// CPython 3.11 (the calibrations' own interpreter).
    #[default]
    V3_11,
    /// CPython 3.13, default (GIL) build.
    V3_13,
    /// CPython 3.13, free-threaded build (`python3.13t`).
    V3_13t,
}

impl PythonVersion {
    /// Every version the model knows, oldest first.
    pub const ALL: [PythonVersion; 3] = [
        PythonVersion::V3_11,
        PythonVersion::V3_13,
        PythonVersion::V3_13t,
    ];

    /// The name scenario files use: `"3.11"`, `"3.13"`, `"3.13t"`.
    pub fn label(self) -> &'static str {
        match self {
            PythonVersion::V3_11 => "3.11",
            PythonVersion::V3_13 => "3.13",
            PythonVersion::V3_13t => "3.13t",
        }
    }

    /// The version named `label`, if the model knows it.
    pub fn from_label(label: &str) -> Option<PythonVersion> {
        PythonVersion::ALL.into_iter().find(|v| v.label() == label)
    }

    /// `(major, minor)` of the release.
    pub fn release(self) -> (u32, u32) {
        match self {
            PythonVersion::V3_11 => (3, 11),
            PythonVersion::V3_13 | PythonVersion::V3_13t => (3, 13),
        }
    }

    /// True for a free-threaded build (`Py_GIL_DISABLED`).
    pub fn free_threaded_build(self) -> bool {
        self == PythonVersion::V3_13t
    }

    /// The GIL the build runs with by default: none on a free-threaded build.
    pub fn default_gil(self) -> GilKind {
        if self.free_threaded_build() {
            GilKind::FreeThreaded
        } else {
            GilKind::Cpython
        }
    }

    /// Whether this build can run with `gil`: a GIL build cannot drop its GIL; a
    /// free-threaded build can run with one (`-X gil=1`, `PYTHON_GIL=1`).
    pub fn supports(self, gil: GilKind) -> bool {
        self.free_threaded_build() || gil == GilKind::Cpython
    }
}

impl fmt::Display for PythonVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

impl Serialize for PythonVersion {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.label())
    }
}

impl<'de> Deserialize<'de> for PythonVersion {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        PythonVersion::from_label(&text).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "unknown Python version {text:?}: expected one of \"3.11\", \"3.13\", \"3.13t\""
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_round_trip_and_free_threading_is_the_t_build() {
        for v in PythonVersion::ALL {
            assert_eq!(PythonVersion::from_label(v.label()), Some(v));
        }
        assert_eq!(PythonVersion::from_label("3.12"), None);
        assert_eq!(PythonVersion::V3_13t.default_gil(), GilKind::FreeThreaded);
        assert_eq!(PythonVersion::V3_13.default_gil(), GilKind::Cpython);
        assert!(PythonVersion::V3_13t.supports(GilKind::Cpython));
        assert!(!PythonVersion::V3_13.supports(GilKind::FreeThreaded));
    }
}
