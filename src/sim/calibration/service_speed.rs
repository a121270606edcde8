//! The host speeds at which a calibration's `[service]` costs hold (what `compare` and
//! `validate` scale a run's costs against, `crate::live::host_speed`).

use super::Calibration;

impl Calibration {
    /// The CPython prime core's cost per test at which `[service]` holds: the speed of the
    /// live runs it was fitted from (`[live_fit]`) or measured from (`[trace_fit]`), else
    /// the core calibration's own.
    pub fn service_per_test_ns(&self) -> f64 {
        self.live_fit
            .as_ref()
            .and_then(|f| f.per_test_ns)
            .or(self.trace_fit.as_ref().map(|f| f.per_test_ns))
            .unwrap_or(self.core.cpython.per_test_ns)
    }

    /// The request path's probe (ns per asyncio round trip on loopback,
    /// `crate::live::host_speed`) at which `[service]` was measured (`[trace_fit]`), if it
    /// was recorded.
    pub fn service_probe_ns(&self) -> Option<f64> {
        self.trace_fit.as_ref().and_then(|f| f.service_probe_ns)
    }
}
