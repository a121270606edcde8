//! A reader that stops early (`execsim ... | head`) ends the command quietly, as it ends any
//! Unix filter: no panic on the closed pipe.

use std::os::unix::process::ExitStatusExt;
use std::process::{Command, Stdio};

#[test]
fn a_closed_stdout_ends_the_command_without_a_panic() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_execsim"))
        .args(["cost", "1000"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("execsim starts");
    // The reading end closes before the command prints anything.
    drop(child.stdout.take());
    let out = child.wait_with_output().expect("execsim ends");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(
        out.status.signal(),
        Some(13),
        "ended by SIGPIPE: {:?}",
        out.status
    );
}
