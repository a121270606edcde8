//! A live run's GIL tracing, from start to files: a private temporary directory holding the
//! preload library and, after the run, one `gil-PID.bin` per traced process (the service and
//! its forked pool workers). The directory is deleted with the session.

use super::names::ThreadNames;
use super::preload;
use super::reader::{read_trace, TraceFile};
use super::LiveGilTrace;
use crate::sim::results::RunResult;
use crate::sim::scenario::Scenario;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Records per trace file: room for this many per second of run, and at least
/// [`MIN_RECORDS`]. The lesson's convoy writes about 0.3 M per second while the light client
/// runs alone (`README.md`, "Checked against reality").
pub const RECORDS_PER_SECOND: u64 = 1 << 20;
/// The least room of a trace file, records (128 MiB of sparse file).
pub const MIN_RECORDS: u64 = 4 << 20;

/// A live run's GIL tracing.
#[derive(Debug)]
pub struct GilTraceSession {
    dir: tempfile::TempDir,
    library: PathBuf,
    interval_us: u64,
    records: u64,
}

impl GilTraceSession {
    /// Prepares tracing of a run of `duration_s` whose service sets the switch interval
    /// `switch_interval_s`: writes the library into a new private directory.
    pub fn start(switch_interval_s: f64, duration_s: f64) -> Result<GilTraceSession, String> {
        preload::shim_library()?;
        let dir = tempfile::Builder::new()
            .prefix("execsim-gil-trace-")
            .tempdir()
            .map_err(|e| format!("cannot create a directory for the GIL trace: {e}"))?;
        let library = preload::write_library(dir.path())?;
        // As CPython's sys.setswitchinterval stores it: (unsigned long)(1e6 * interval).
        let interval_us = (1e6 * switch_interval_s) as u64;
        let records = (duration_s.max(0.0).ceil() as u64 * RECORDS_PER_SECOND).max(MIN_RECORDS);
        Ok(GilTraceSession {
            dir,
            library,
            interval_us,
            records,
        })
    }

    /// The directory the traces are written into.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Makes `cmd` (the CPython service) a traced process.
    pub fn configure(&self, cmd: &mut Command) {
        preload::configure(
            cmd,
            &self.library,
            self.dir.path(),
            self.interval_us,
            self.records,
        );
    }

    /// Reads every trace file of the run (the processes must have ended), ordered by pid;
    /// `service_pid`'s must be among them.
    pub fn read(&self, service_pid: u32) -> Result<Vec<TraceFile>, String> {
        let entries = std::fs::read_dir(self.dir.path())
            .map_err(|e| format!("reading {}: {e}", self.dir.path().display()))?;
        let mut files = Vec::new();
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if name.starts_with("gil-") && name.ends_with(".bin") {
                files.push(read_trace(&e.path()).map_err(|e| e.to_string())?);
            }
        }
        files.sort_by_key(|f| f.pid);
        if !files.iter().any(|f| f.pid == service_pid) {
            return Err(format!(
                "no GIL trace from the cpython service (pid {service_pid}): the preload library \
                 did not load (the dynamic loader's message, if any, is in its stderr) or its \
                 GIL was never contended"
            ));
        }
        Ok(files)
    }

    /// After the run (its processes ended): reads the traces of a run of `scenario` whose
    /// service (`service_pid`) started it at CLOCK_MONOTONIC `t0_ns`, puts the GIL figures
    /// into `result`, and returns the trace with a warning for each process whose file
    /// filled up.
    pub fn finish(
        &self,
        service_pid: u32,
        t0_ns: u64,
        scenario: &Scenario,
        names: &mut ThreadNames,
        result: &mut RunResult,
    ) -> Result<(LiveGilTrace, Vec<String>), String> {
        let files = self.read(service_pid)?;
        let trace = LiveGilTrace::build(
            &files,
            names,
            t0_ns,
            scenario.duration.as_nanos(),
            crate::sim::run::last_phase_second(scenario),
        );
        let lost = trace
            .processes
            .iter()
            .filter(|p| p.dropped > 0)
            .map(|p| {
                format!(
                    "the GIL trace of {} (pid {}) lost {} records (its file was full): its GIL \
                     figures are incomplete",
                    p.name, p.pid, p.dropped
                )
            })
            .collect();
        trace.apply(result);
        Ok((trace, lost))
    }
}
