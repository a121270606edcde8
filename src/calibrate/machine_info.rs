//! What machine a calibration was measured on, and when: the `[meta]` table of a calibration
//! file. The kernel and host name come from `uname(2)` (through `nix`), the CPU model from
//! `/proc/cpuinfo` (through [`crate::live::procfs`]), dates from `jiff`.

use crate::live::procfs::cpu_model;
use crate::sim::calibration::Meta;
use jiff::Timestamp;

/// The `[meta]` of this machine now: date, host, kernel, CPU model, CPU count, tool.
pub fn machine_meta() -> Meta {
    let uts = nix::sys::utsname::uname().ok();
    let text = |s: &std::ffi::OsStr| s.to_string_lossy().trim().to_string();
    let host = uts.as_ref().map(|u| text(u.nodename()));
    // As `uname -srm` prints it: "Linux 6.18.44 x86_64".
    let kernel = uts
        .as_ref()
        .map(|u| {
            format!(
                "{} {} {}",
                text(u.sysname()),
                text(u.release()),
                text(u.machine())
            )
        })
        .unwrap_or_else(|| format!("{} {}", std::env::consts::OS, std::env::consts::ARCH));
    Meta {
        date: Some(utc_now_iso8601()),
        host: host.filter(|h| !h.is_empty()),
        kernel: Some(kernel),
        cpu: cpu_model(),
        cpus: std::thread::available_parallelism()
            .ok()
            .map(|n| n.get() as u32),
        tool: Some(format!("execsim {}", env!("CARGO_PKG_VERSION"))),
        note: None,
    }
}

/// The format of every date in a calibration file: ISO 8601, UTC, whole seconds.
const ISO8601_SECONDS: &str = "%Y-%m-%dT%H:%M:%SZ";

/// The system clock now, as `YYYY-MM-DDTHH:MM:SSZ` (UTC).
pub fn utc_now_iso8601() -> String {
    Timestamp::now().strftime(ISO8601_SECONDS).to_string()
}

/// Formats seconds since the Unix epoch as `YYYY-MM-DDTHH:MM:SSZ` (proleptic Gregorian, UTC);
/// times beyond the last instant `jiff` represents (late in the year 9999) are shown as it.
pub fn iso8601_from_unix(secs: u64) -> String {
    let t = i64::try_from(secs)
        .ok()
        .and_then(|s| Timestamp::from_second(s).ok())
        .unwrap_or(Timestamp::MAX);
    t.strftime(ISO8601_SECONDS).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_dates() {
        assert_eq!(iso8601_from_unix(0), "1970-01-01T00:00:00Z");
        assert_eq!(iso8601_from_unix(1_700_000_000), "2023-11-14T22:13:20Z");
        assert_eq!(iso8601_from_unix(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(iso8601_from_unix(4_107_542_399), "2100-02-28T23:59:59Z");
        assert_eq!(iso8601_from_unix(u64::MAX), "9999-12-30T22:00:00Z");
        assert_eq!(utc_now_iso8601().len(), "2025-11-25T04:50:12Z".len());
    }

    #[test]
    fn this_machine() {
        let m = machine_meta();
        assert!(m.kernel.is_some_and(|k| k.starts_with("Linux ")));
        assert!(m.cpus.is_some_and(|n| n >= 1));
        assert!(m.date.is_some() && m.tool.is_some());
    }
}
