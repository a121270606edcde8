//! What moving a payload through a process pool costs per byte on this machine:
//! `execsim calibrate --bytes` runs `bytes_probe.py` (pickling, unpickling, and the two ends
//! of a pipe between two processes, for byte strings of 64 KiB to 4 MiB) and reads its
//! least-squares slopes into [`ByteCosts`] (`[service.bytes]`).

use crate::service::ByteCosts;
use std::path::Path;
use std::process::Command;

/// The probe's source (embedded at build time).
pub const BYTES_PROBE: &str = include_str!("bytes_probe.py");

/// Runs the probe with `python` and returns its figures (and its printed table).
pub fn measure(python: &Path) -> Result<(ByteCosts, String), String> {
    let out = Command::new(python)
        .arg("-I")
        .arg("-c")
        .arg(BYTES_PROBE)
        .output()
        .map_err(|e| format!("cannot run {}: {e}", python.display()))?;
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    if !out.status.success() {
        return Err(format!(
            "bytes_probe.py failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    parse(&text).map(|b| (b, text))
}

/// The four slopes of the probe's output (`slope NAME VALUE ns/byte` lines).
pub fn parse(text: &str) -> Result<ByteCosts, String> {
    let slope = |name: &str| -> Result<f64, String> {
        text.lines()
            .filter_map(|l| l.strip_prefix("slope "))
            .find_map(|l| {
                let mut w = l.split_whitespace();
                (w.next() == Some(name)).then(|| w.next().and_then(|v| v.parse::<f64>().ok()))
            })
            .flatten()
            .filter(|v| v.is_finite())
            .map(|v| v.max(0.0))
            .ok_or_else(|| format!("the probe printed no slope for {name}"))
    };
    Ok(ByteCosts {
        pickle_ns_per_byte: slope("pickle")?,
        unpickle_ns_per_byte: slope("unpickle")?,
        pipe_write_ns_per_byte: slope("pipe_write")?,
        pipe_read_ns_per_byte: slope("pipe_read")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_slopes_and_refuses_a_missing_one() {
        let text = "  64 KiB  pickle 0.061 ...\nslope pickle     0.0191 ns/byte\n\
                    slope unpickle   0.0231 ns/byte\nslope pipe_write 0.4656 ns/byte\n\
                    slope pipe_read  0.4818 ns/byte\n";
        let b = parse(text).unwrap();
        assert_eq!(b.pickle_ns_per_byte, 0.0191);
        assert_eq!(b.pipe_read_ns_per_byte, 0.4818);
        let e = parse("slope pickle 0.1 ns/byte\n").unwrap_err();
        assert!(e.contains("unpickle"), "{e}");
    }
}
