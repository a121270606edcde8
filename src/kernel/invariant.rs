//! Invariants: the rules a model promises to keep after every event, and what a broken one
//! looks like.
//!
//! # How rules are named
//! Each layer checks its own rules against its own state (the machine: core capacity and
//! work conservation; the interpreter: GIL exclusion and bounded GIL waits; the service:
//! request conservation and correct replies) and names each rule by a constant of its own,
//! a stable kebab-case `&'static str` such as `"core-capacity"`. A [`Violation`] carries
//! that name: the kernel transports it and prints it without knowing any rule but its own
//! ([`TIME`]), so no layer below a rule needs to know that the rule exists, and reports
//! (`[core-capacity] at 1.5s: ...`, JSON `"invariant": "core-capacity"`) read the same
//! whoever checked. A closed set of names for selecting rules (which to enforce) belongs to
//! whatever puts the layers together, which maps its choices onto these names.

use super::time::SimTime;
use std::fmt;

/// The kernel's own rule: virtual time never goes backwards and no pending event lies in
/// the past.
pub const TIME: &str = "time";

/// A broken invariant: when, which, and what was seen.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Violation {
    /// Virtual time of the event after which it was found.
    pub time: SimTime,
    /// Which invariant: the name its layer gives it (see the module's doc).
    pub invariant: &'static str,
    /// What was seen, naming threads and cores.
    pub message: String,
}

impl Violation {
    /// A violation of `invariant` at `time`.
    pub fn new(time: SimTime, invariant: &'static str, message: String) -> Self {
        Violation {
            time,
            invariant,
            message,
        }
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[{}] at {}: {}", self.invariant, self.time, self.message)
    }
}

impl std::error::Error for Violation {}

/// The [`TIME`] rule, observed after every event: remembers the last time seen.
#[derive(Clone, Debug, Default)]
pub struct TimeCheck {
    last: SimTime,
}

impl TimeCheck {
    /// Observes the clock after an event at `now`, with `next_event` the time of the earliest
    /// pending event. With `enforce`, a clock that went back or an event pending in the past
    /// is a violation. Returns the virtual time elapsed since the previous observation (in
    /// ns, zero if the clock went back).
    pub fn observe(
        &mut self,
        now: SimTime,
        next_event: Option<SimTime>,
        enforce: bool,
    ) -> Result<u64, Violation> {
        if enforce {
            if now < self.last {
                let msg = format!("time went back from {} to {now}", self.last);
                return Err(Violation::new(now, TIME, msg));
            }
            if let Some(t) = next_event.filter(|&t| t < now) {
                let msg = format!("an event is pending at {t}, in the past");
                return Err(Violation::new(now, TIME, msg));
            }
        }
        let dt = now.saturating_since(self.last).as_nanos();
        self.last = now;
        Ok(dt)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_check_measures_steps_and_catches_the_past() {
        let mut c = TimeCheck::default();
        assert_eq!(c.observe(SimTime(10), Some(SimTime(12)), true), Ok(10));
        assert_eq!(c.observe(SimTime(15), None, true), Ok(5));
        let v = c.observe(SimTime(15), Some(SimTime(14)), true).unwrap_err();
        assert_eq!(
            v.to_string(),
            "[time] at 0.000000015s: an event is pending at 0.000000014s, in the past"
        );
        let v = c.observe(SimTime(9), None, true).unwrap_err();
        assert_eq!(v.invariant, TIME);
        assert_eq!(
            v.message,
            "time went back from 0.000000015s to 0.000000009s"
        );
        // Not enforced: only measured.
        assert_eq!(c.observe(SimTime(9), None, false), Ok(0));
    }
}
