//! What a live run had measured when it stopped early. The children send each second's counts
//! as soon as it is over (`second` lines); the summary with latencies and thread ids comes only
//! at the end. When a process of the run dies, the seconds received so far are all there is:
//! [`SecondsSeen`] keeps them, and [`PartialRun`] reports them, marked truncated.

use super::config::ClientPlan;
use crate::sim::results::{ClientResult, LatencyUs, RunResult};
use std::collections::BTreeMap;

/// A run cut short: the whole seconds received before a process of the run died.
#[derive(Clone, Debug, serde::Serialize)]
pub struct PartialRun {
    /// The results so far, in simulation's shape: each client's `per_second` over the seconds
    /// every reporting process sent, and `completed` (their sum); `duration_s` is that many
    /// seconds. What the children send only at the end is unknown: `issued` is set to
    /// `completed`, `in_flight` to 0, latencies to zero, `threads` and `gil` are empty.
    pub result: RunResult,
    /// Whole seconds received.
    pub seconds_seen: usize,
    /// Whole seconds the run was to last.
    pub seconds_planned: usize,
}

/// Per-second counts received so far, per reporting process.
#[derive(Clone, Debug, Default)]
pub struct SecondsSeen {
    /// Reporter (child index) → client name → replies per second.
    counts: BTreeMap<usize, BTreeMap<String, Vec<u64>>>,
    /// Reporter → whole seconds received.
    seconds: BTreeMap<usize, usize>,
}

impl SecondsSeen {
    /// Records second `t`'s counts from `reporter`.
    pub fn record(&mut self, reporter: usize, t: u32, counts: &BTreeMap<String, u64>) {
        let t = t as usize;
        let by_client = self.counts.entry(reporter).or_default();
        for (name, &c) in counts {
            let v = by_client.entry(name.clone()).or_default();
            if v.len() <= t {
                v.resize(t + 1, 0);
            }
            v[t] = c;
        }
        let s = self.seconds.entry(reporter).or_default();
        *s = (*s).max(t + 1);
    }

    /// Whole seconds that each of the reporters `0..reporters` has sent.
    pub fn complete(&self, reporters: usize) -> usize {
        (0..reporters)
            .map(|r| self.seconds.get(&r).copied().unwrap_or(0))
            .min()
            .unwrap_or(0)
    }

    /// The partial result: `template` (scenario, source, seed, core use) with the clients of
    /// `plans` filled from the complete seconds of `reporters` processes.
    pub fn partial(
        &self,
        mut template: RunResult,
        plans: &[ClientPlan],
        reporters: usize,
        seconds_planned: usize,
    ) -> PartialRun {
        let seen = self.complete(reporters);
        template.duration_s = seen as f64;
        template.clients = plans
            .iter()
            .map(|plan| {
                let mut per_second: Vec<u64> = self
                    .counts
                    .values()
                    .find_map(|by_client| by_client.get(&plan.name))
                    .cloned()
                    .unwrap_or_default();
                per_second.resize(seen, 0);
                let completed = per_second.iter().sum();
                ClientResult {
                    name: plan.name.clone(),
                    n: plan.first_n(),
                    request: None,
                    start_s: plan.start_s,
                    issued: completed,
                    completed,
                    in_flight: 0,
                    per_second,
                    latency_us: LatencyUs::default(),
                    latency_distribution: Vec::new(),
                }
            })
            .collect();
        PartialRun {
            result: template,
            seconds_seen: seen,
            seconds_planned,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::scenario::{Arrivals, ClientMode};

    fn plan(name: &str) -> ClientPlan {
        ClientPlan {
            name: name.into(),
            n: Some(1),
            mix: None,
            request: None,
            work_mix: None,
            start_s: 0.0,
            mode: ClientMode::Closed,
            think_s: 0.0,
            rate: None,
            arrivals: Arrivals::Poisson,
            in_process: true,
            seed: 1,
        }
    }

    fn counts(pairs: &[(&str, u64)]) -> BTreeMap<String, u64> {
        pairs.iter().map(|&(n, c)| (n.to_string(), c)).collect()
    }

    #[test]
    fn only_seconds_every_reporter_sent_are_kept() {
        let mut seen = SecondsSeen::default();
        seen.record(0, 0, &counts(&[("simple", 100)]));
        seen.record(0, 1, &counts(&[("simple", 90)]));
        seen.record(0, 2, &counts(&[("simple", 80)]));
        seen.record(1, 0, &counts(&[("remote", 7)]));
        seen.record(1, 1, &counts(&[("remote", 8)]));
        assert_eq!(seen.complete(1), 3);
        assert_eq!(seen.complete(2), 2);
        assert_eq!(seen.complete(3), 0);
        let template = RunResult {
            scenario: "s".into(),
            source: "live-rust".into(),
            seed: 7,
            duration_s: 12.0,
            trace_hash: String::new(),
            events: 0,
            clients: Vec::new(),
            threads: Vec::new(),
            gil: Vec::new(),
            core_utilisation: vec![0.5],
            gil_last_phase: None,
        };
        let p = seen.partial(
            template,
            &[plan("simple"), plan("remote"), plan("x")],
            2,
            12,
        );
        assert_eq!((p.seconds_seen, p.seconds_planned), (2, 12));
        assert_eq!(p.result.duration_s, 2.0);
        let c: Vec<(&str, &[u64], u64)> = p
            .result
            .clients
            .iter()
            .map(|c| (c.name.as_str(), c.per_second.as_slice(), c.completed))
            .collect();
        assert_eq!(
            c,
            [
                ("simple", &[100, 90][..], 190),
                ("remote", &[7, 8][..], 15),
                ("x", &[0, 0][..], 0)
            ]
        );
        assert_eq!(p.result.core_utilisation, [0.5]);
    }
}
