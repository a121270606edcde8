//! Progress bars on stderr, the one place that styles them: [`Progress`], a live run's bar
//! over its seconds with the last whole second's completions per client, and [`count_bar`],
//! a bar over a count of items (a sweep's points). Hidden when disabled (not a terminal, or
//! `--json`).

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::collections::BTreeMap;
use std::io::IsTerminal;

/// A bar over `total` items named `unit` ("points"), with elapsed time and an estimate of the
/// time left; hidden unless stderr is a terminal. Advance it with `inc(1)` (it is shared
/// between threads by reference) and remove it with `finish_and_clear()`.
pub fn count_bar(total: u64, unit: &str) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(total);
    let template = format!("{{bar:40}} {{pos}}/{{len}} {unit}  {{elapsed}} (eta {{eta}})");
    if let Ok(style) = ProgressStyle::with_template(&template) {
        bar.set_style(style);
    }
    bar
}

/// The progress display of one live run.
pub struct Progress {
    bar: Option<ProgressBar>,
    seconds: BTreeMap<u32, BTreeMap<String, u64>>,
    reporters: usize,
    reported: BTreeMap<u32, usize>,
}

impl Progress {
    /// A display for a run of `seconds` whole seconds whose counts come from `reporters`
    /// processes; nothing is drawn unless `enabled`.
    pub fn new(enabled: bool, label: &str, seconds: u64, reporters: usize) -> Progress {
        let bar = enabled.then(|| {
            let bar = ProgressBar::with_draw_target(Some(seconds), ProgressDrawTarget::stderr());
            if let Ok(style) =
                ProgressStyle::with_template("{prefix} [{bar:24}] {pos:>3}/{len} s  {msg}")
            {
                bar.set_style(style.progress_chars("=> "));
            }
            bar.set_prefix(label.to_string());
            bar.set_message("starting");
            bar
        });
        Progress {
            bar,
            seconds: BTreeMap::new(),
            reporters: reporters.max(1),
            reported: BTreeMap::new(),
        }
    }

    /// Records second `t`'s counts from one process; redraws once every process reported it.
    pub fn second(&mut self, t: u32, counts: &BTreeMap<String, u64>) {
        self.seconds.entry(t).or_default().extend(counts.clone());
        let r = self.reported.entry(t).or_default();
        *r += 1;
        if *r < self.reporters {
            return;
        }
        if let Some(bar) = &self.bar {
            let msg: Vec<String> = self.seconds[&t]
                .iter()
                .map(|(name, c)| format!("{name} {c}/s"))
                .collect();
            bar.set_position(u64::from(t) + 1);
            bar.set_message(format!("second {t}: {}", msg.join("  ")));
        }
    }

    /// Removes the bar.
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.finish();
    }
}
