//! The GIL timelines of a simulated and a live run of one scenario, over the same window, one
//! above the other (`execsim compare FILE --backend cpython --gil`): the simulated one from
//! its activity trace, the live one from its GIL trace (`live --gil-trace`, in the same
//! activity-record shape), drawn alike. The live trace knows no "runnable" (it cannot see the
//! scheduler).

use super::stacked::Stacked;
use super::timeline::GilTimeline;
use super::*;
use crate::interp::TraceRecord;
use crate::kernel::SimTime;

/// Two GIL timelines, simulated above live.
#[derive(Clone, Debug)]
pub struct GilTimelines {
    /// The simulated run's.
    pub sim: GilTimeline,
    /// The live run's.
    pub live: GilTimeline,
}

impl GilTimelines {
    /// The timelines of `scenario` over `[from, to)`: simulated and live, each as activity
    /// records and thread names (as a traced simulation gives them, and the live GIL trace
    /// on the run's clock).
    pub fn new(
        scenario: &str,
        (sim_trace, sim_names): (&[TraceRecord], &[String]),
        (live_trace, live_names): (&[TraceRecord], &[String]),
        (from, to): (SimTime, SimTime),
    ) -> GilTimelines {
        let mut sim = GilTimeline::new(scenario, sim_trace, sim_names, from, to);
        sim.title = format!("Simulated: {}", sim.title);
        let mut live_tl = GilTimeline::new(scenario, live_trace, live_names, from, to);
        live_tl.title = format!("Live CPython (GIL trace): {}", live_tl.title);
        live_tl.subtitle = "no \"runnable\": a live trace cannot see the scheduler".to_string();
        live_tl.time_axis = "time since the live run's start (ms)".to_string();
        GilTimelines { sim, live: live_tl }
    }
}

impl Figure for GilTimelines {
    fn size(&self) -> (u32, u32) {
        self.stacked().size()
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> PlotResult {
        self.stacked().draw(root)
    }
}

impl GilTimelines {
    fn stacked(&self) -> Stacked<&GilTimeline, &GilTimeline> {
        Stacked {
            top: &self.sim,
            bottom: &self.live,
        }
    }
}
