//! The CPython backend: the embedded reference service (`reference_service.py`, the lesson's
//! service written for this project) run by `python3 -I -c`, after the lesson's prime core and
//! the lifeline that keeps its processes from outliving the run (`lifeline.py`).

use super::config::ChildConfig;
use std::path::Path;
use std::process::Command;

/// The reference service's source (embedded at build time).
pub const REFERENCE_SERVICE: &str = concat!(
    include_str!("../workload/lesson_core.py"),
    include_str!("lifeline.py"),
    include_str!("speed_probe.py"),
    include_str!("../workload/steps.py"),
    include_str!("reference_service.py")
);

/// The command that runs one role of the reference service with `python` and its `args`
/// (`-X gil=1`).
pub fn command(python: &Path, args: &[String], cfg: &ChildConfig) -> Command {
    let mut cmd = Command::new(python);
    cmd.args(args)
        .arg("-I")
        .arg("-c")
        .arg(REFERENCE_SERVICE)
        .arg(serde_json::to_string(cfg).expect("a config always serialises"));
    cmd
}
