//! The kernel's event queue against a reference model.

use super::config;
use execsim::kernel::SimDuration;
use proptest::prelude::*;

/// Cases of the event queue's reference-model test (cheap).
const CASES_QUEUE: u32 = 2_000;

/// One operation on the event queue, for the reference-model test.
#[derive(Clone, Debug)]
enum QueueOp {
    /// Schedule payload after a delay from now.
    Schedule(u64, u32),
    /// Pop the earliest event.
    Pop,
    /// Pop only if due by now + this.
    PopUntil(u64),
    /// Advance the clock by this (never backwards).
    Advance(u64),
}

fn queue_op() -> impl Strategy<Value = QueueOp> {
    prop_oneof![
        4 => (prop_oneof![Just(0u64), 0u64..5, 0u64..1_000_000], any::<u32>())
            .prop_map(|(d, p)| QueueOp::Schedule(d, p)),
        3 => Just(QueueOp::Pop),
        1 => (0u64..2_000).prop_map(QueueOp::PopUntil),
        1 => (0u64..2_000).prop_map(QueueOp::Advance),
    ]
}

proptest! {
    #![proptest_config(config(CASES_QUEUE))]

    /// The kernel's event queue against a reference model (a list kept sorted by time, then
    /// scheduling order): every pop returns the same event at the same time, time never goes
    /// back, and scheduling into the past is impossible through the public operations.
    #[test]
    fn event_queue_matches_its_reference_model(ops in prop::collection::vec(queue_op(), 0..200)) {
        use execsim::kernel::EventQueue;
        let mut q: EventQueue<u32> = EventQueue::new();
        let mut model: Vec<(u64, u64, u32)> = Vec::new();
        let (mut now, mut seq) = (0u64, 0u64);
        for op in ops {
            match op {
                QueueOp::Schedule(d, p) => {
                    q.schedule_in(SimDuration(d), p);
                    model.push((now + d, seq, p));
                    seq += 1;
                }
                QueueOp::Pop | QueueOp::PopUntil(_) => {
                    let horizon = match op { QueueOp::PopUntil(h) => now + h, _ => u64::MAX };
                    model.sort();
                    let expect = match model.first() {
                        Some(&(t, _, p)) if t <= horizon => { model.remove(0); now = t; Some((t, p)) }
                        _ => None,
                    };
                    let got = if horizon == u64::MAX {
                        q.pop()
                    } else {
                        q.pop_until(execsim::kernel::SimTime(horizon))
                    };
                    prop_assert_eq!(got.map(|(t, p)| (t.0, p)), expect);
                }
                QueueOp::Advance(d) => {
                    // Only as far as the earliest pending event (as a run does at its horizon).
                    model.sort();
                    let to = model.first().map_or(now + d, |&(t, _, _)| t.min(now + d));
                    q.advance_to(execsim::kernel::SimTime(to));
                    now = now.max(to);
                }
            }
            prop_assert_eq!(q.now().0, now);
            prop_assert_eq!(q.len(), model.len());
            prop_assert_eq!(q.peek_time().map(|t| t.0), model.iter().map(|e| e.0).min());
        }
    }
}
