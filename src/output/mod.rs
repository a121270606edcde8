//! What reads results: the text report, the Chrome trace export and the figures.

pub mod advice;
pub mod chrome_trace;
pub mod gil_report;
pub mod live_chrome_trace;
pub mod plot;
pub mod report;
