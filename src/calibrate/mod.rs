//! Calibration: timing the real prime core, fitting the cost model, and fitting the
//! simulator's per-step costs from live runs.

pub mod live_fit;
pub mod measure;
