//! The hand-offs counted from an activity trace (`interp::HandOffs`, as `compare --gil`
//! counts them for live GIL traces) are the simulated GIL's own count (`switch_number`),
//! scenario by scenario, but for the GIL's first take: the trace shows every change of
//! holder, and nothing else.

use execsim::kernel::SimTime;
use execsim::sim::calibration::Calibration;
use execsim::sim::lesson;
use execsim::sim::run::{simulate, SimOptions};

#[test]
fn the_traces_hand_offs_are_the_gils_count() {
    let cal = Calibration::default_embedded();
    let opts = SimOptions {
        trace: true,
        ..SimOptions::default()
    };
    let mut checked = 0;
    for mut s in lesson::scenarios() {
        s.duration = execsim::kernel::SimDuration::from_secs(4);
        let out = simulate(&s, &cal, &opts);
        let h = out.server_handoffs(SimTime::ZERO, SimTime(s.duration.as_nanos()));
        let gil = out.result.gil.iter().find(|g| g.interp == 0).unwrap();
        // The GIL's count also has its very first take, from no holder (CPython's
        // `switch_number` counts it: `last_holder` starts NULL); a hand-off has a giver.
        assert_eq!(h.total() + 1, gil.handoffs, "{}", s.label());
        checked += gil.handoffs;
    }
    assert!(checked > 1000, "the scenarios hand the GIL over: {checked}");
}
