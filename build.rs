//! Builds the live GIL trace's preload library (`src/live/gil_trace/shim.c`) into
//! `OUT_DIR/gil_trace_shim.so`, which the binary embeds (`src/live/gil_trace/preload.rs`).
//!
//! The C compiler is the one the `cc` crate finds for the target (`CC`, `TARGET_CC`, or the
//! platform's default). The build never fails because of it: without a compiler, or on a target
//! other than Linux, the embedded library is empty, `OUT_DIR/gil_trace_shim.err` says why, and
//! `execsim live --gil-trace` reports that reason instead of tracing.

use std::path::{Path, PathBuf};
use std::process::Command;

const SOURCE: &str = "src/live/gil_trace/shim.c";

fn main() {
    println!("cargo:rerun-if-changed={SOURCE}");
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=CC");
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let so = out.join("gil_trace_shim.so");
    let err = out.join("gil_trace_shim.err");
    let reason = match build_shim(&so) {
        Ok(()) => String::new(),
        Err(reason) => {
            println!("cargo:warning=execsim live --gil-trace will be unavailable: {reason}");
            // An empty library: the binary still builds and says why tracing is unavailable.
            std::fs::write(&so, b"").expect("write OUT_DIR");
            reason
        }
    };
    std::fs::write(&err, reason).expect("write OUT_DIR");
}

/// Compiles the shim into `so`, or says why it could not.
fn build_shim(so: &Path) -> Result<(), String> {
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    if os != "linux" {
        return Err(format!(
            "the GIL trace needs Linux (glibc's LD_PRELOAD); this build targets {os}"
        ));
    }
    let compiler = cc::Build::new()
        .cargo_metadata(false)
        .try_get_compiler()
        .map_err(|e| format!("no C compiler found ({e})"))?;
    let mut cmd: Command = compiler.to_command();
    cmd.args(["-shared", "-fPIC", "-O2", "-o"])
        .arg(so)
        .arg(SOURCE)
        .arg("-ldl");
    let output = cmd
        .output()
        .map_err(|e| format!("cannot run the C compiler {:?}: {e}", compiler.path()))?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let tail: Vec<&str> = stderr.lines().rev().take(5).collect();
        return Err(format!(
            "the C compiler {:?} failed on {SOURCE} ({}): {}",
            compiler.path(),
            output.status,
            tail.into_iter().rev().collect::<Vec<_>>().join(" / ")
        ));
    }
    Ok(())
}
