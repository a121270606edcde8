//! The `[trace_fit]` table: how `[service]` was measured from live GIL traces
//! (`execsim calibrate --from-trace`), and at which host speed.

use serde::{Deserialize, Serialize};

/// Provenance of the `[service]` costs measured from live GIL traces.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TraceFitInfo {
    /// When the traced runs were measured, UTC, ISO 8601.
    pub date: String,
    /// The command line that produced it.
    pub command: String,
    /// What ran the live service.
    pub runtime: String,
    /// The host's CPU model (`/proc/cpuinfo`): hosts of one VM kind differ (the same keys
    /// measured on an AMD EPYC and an Intel Xeon host of 2026-12-02 were about 2x apart, and
    /// their wake-up costs differ in kind).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu: Option<String>,
    /// Launches per traced scenario (each key is the median of their medians).
    pub launches: u32,
    /// The host's speed during the traced runs: the CPython prime core's cost per test, ns
    /// (median of the runs' probes, `crate::live::host_speed`). The service costs hold at
    /// this speed; a run at another speed scales them by the ratio.
    pub per_test_ns: f64,
    /// Each launch's probe, ns per test.
    pub launch_per_test_ns: Vec<f64>,
    /// The host's speed for the request path during the traced runs: the median of the
    /// launches' request-path probes (ns per asyncio round trip on loopback,
    /// `crate::live::host_speed`). When a run measured it too, its service costs are scaled
    /// by the ratio of the two probes instead of the prime core's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_probe_ns: Option<f64>,
    /// Each launch's request-path probe, ns per round trip.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub launch_service_probe_ns: Vec<f64>,
    /// How each cost was taken from the traces.
    pub method: String,
    /// One entry per measured cost key.
    #[serde(default)]
    pub keys: Vec<TraceFitKey>,
}

/// One cost key measured from the traces.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TraceFitKey {
    /// The `[service]` key.
    pub key: String,
    /// The traced scenario it comes from.
    pub run: String,
    /// The thread and the segment (or system call) it is.
    pub segment: String,
    /// The value written, ns (a ratio for a `machine.*_slowdown` key).
    pub median_ns: f64,
    /// Each launch's median, ns.
    pub launch_medians_ns: Vec<f64>,
    /// Samples over all launches.
    pub samples: u64,
    /// The host's speed when this key was traced, if it differs from the table's
    /// `per_test_ns` (`calibrate --from-trace --only`): its values were multiplied by
    /// `per_test_ns` over this one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub traced_per_test_ns: Option<f64>,
    /// The request-path probe when this key was traced, if it differs from the table's
    /// `service_probe_ns`: its values were multiplied by `service_probe_ns` over this one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub traced_service_probe_ns: Option<f64>,
}
