//! Helpers of the live-run tests: whether CPython is there, and which processes a run left.

/// True if `python3` runs (the CPython live tests are skipped otherwise).
pub fn python3_available() -> bool {
    std::process::Command::new("python3")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Processes whose parent is this test process (none should outlive a run).
pub fn children_of_self() -> Vec<String> {
    let me = std::process::id().to_string();
    let mut out = Vec::new();
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(status) = std::fs::read_to_string(e.path().join("status")) else {
            continue;
        };
        let ppid = status
            .lines()
            .find_map(|l| l.strip_prefix("PPid:"))
            .map(|v| v.trim().to_string());
        if ppid.as_deref() == Some(me.as_str()) {
            let name = status.lines().next().unwrap_or("").to_string();
            out.push(format!("{} {name}", e.file_name().to_string_lossy()));
        }
    }
    out
}
