//! The preload library (`shim.c`, compiled by `build.rs`), embedded in the binary, and how a
//! traced process gets it: written to a private file, named in `LD_PRELOAD`, told where to
//! write its trace.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The compiled shim (empty when the build had no C compiler).
const SHIM: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/gil_trace_shim.so"));

/// Why the build could not compile it (empty when it did).
const SHIM_ERROR: &str = include_str!(concat!(env!("OUT_DIR"), "/gil_trace_shim.err"));

/// Environment variable naming the directory the shim writes `gil-PID.bin` into.
pub const ENV_DIR: &str = "EXECSIM_GIL_TRACE_DIR";
/// Environment variable with the switch interval in µs (the shim checks it to recognise the
/// GIL).
pub const ENV_INTERVAL_US: &str = "EXECSIM_GIL_INTERVAL_US";
/// Environment variable with the records each file has room for.
pub const ENV_RECORDS: &str = "EXECSIM_GIL_TRACE_RECORDS";

/// The embedded library, or why this build has none.
pub fn shim_library() -> Result<&'static [u8], String> {
    if SHIM.is_empty() {
        let why = if SHIM_ERROR.is_empty() {
            "the build did not compile it"
        } else {
            SHIM_ERROR
        };
        return Err(format!(
            "--gil-trace is unavailable in this build of execsim: {why} (install a C compiler, \
             e.g. gcc, and rebuild)"
        ));
    }
    Ok(SHIM)
}

/// Writes the library into `dir` (a private directory) and returns its path.
pub fn write_library(dir: &Path) -> Result<PathBuf, String> {
    let bytes = shim_library()?;
    let path = dir.join("execsim-gil-trace.so");
    std::fs::write(&path, bytes).map_err(|e| format!("writing {}: {e}", path.display()))?;
    Ok(path)
}

/// Makes `cmd` load the library at `library` and write its traces into `dir`; `interval_us`
/// is the switch interval the service will set, `records` each file's room.
pub fn configure(cmd: &mut Command, library: &Path, dir: &Path, interval_us: u64, records: u64) {
    let mut preload = library.as_os_str().to_owned();
    if let Some(existing) = std::env::var_os("LD_PRELOAD").filter(|v| !v.is_empty()) {
        preload.push(":");
        preload.push(existing);
    }
    cmd.env("LD_PRELOAD", preload)
        .env(ENV_DIR, dir)
        .env(ENV_INTERVAL_US, interval_us.to_string())
        .env(ENV_RECORDS, records.to_string());
}
