//! Two figures in one picture, one above the other ([`Stacked`]): e.g. an advice's
//! throughput above its latency percentiles, as one PNG for a notebook.

use super::*;

/// `top` drawn above `bottom`, as wide as the wider of the two.
///
/// ```
/// use execsim::output::plot::figure::svg_string;
/// use execsim::output::plot::latency::{LatencyPercentiles, LatencyRow};
/// use execsim::output::plot::stacked::Stacked;
/// use execsim::output::plot::Figure;
/// use execsim::sim::results::LatencyUs;
///
/// let panel = |title: &str| LatencyPercentiles {
///     title: title.into(),
///     subtitle: String::new(),
///     rows: vec![LatencyRow {
///         label: "a".into(),
///         latency: LatencyUs::default(),
///         completed: 0,
///         note: None,
///     }],
/// };
/// let both = Stacked { top: panel("upper panel"), bottom: panel("lower panel") };
/// assert_eq!(both.size(), (1280, 2 * panel("x").size().1));
/// let svg = svg_string(&both).unwrap();
/// assert!(svg.contains("upper panel") && svg.contains("lower panel"));
/// ```
#[derive(Clone, Debug)]
pub struct Stacked<A, B> {
    /// The upper figure.
    pub top: A,
    /// The lower figure.
    pub bottom: B,
}

impl<A: Figure, B: Figure> Figure for Stacked<A, B> {
    fn size(&self) -> (u32, u32) {
        let (wa, ha) = self.top.size();
        let (wb, hb) = self.bottom.size();
        (wa.max(wb), ha + hb)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> PlotResult {
        let (_, ha) = self.top.size();
        let (upper, lower) = root.split_vertically(ha);
        self.top.draw(&upper)?;
        self.bottom.draw(&lower)
    }
}

#[cfg(test)]
mod tests {
    use super::super::latency::{LatencyPercentiles, LatencyRow};
    use super::super::raster::CrispText;
    use super::*;
    use crate::sim::results::LatencyUs;

    fn panel(title: &str, p99: u64) -> LatencyPercentiles {
        let latency = LatencyUs {
            p50: 800,
            p90: 2_000,
            p99,
            p999: 2 * p99,
            max: 3 * p99,
            ..LatencyUs::default()
        };
        LatencyPercentiles {
            title: title.into(),
            subtitle: "sub".into(),
            rows: ["thread x2", "process x2"]
                .iter()
                .map(|l| LatencyRow {
                    label: l.to_string(),
                    latency,
                    completed: 10,
                    note: None,
                })
                .collect(),
        }
    }

    fn pixels<F: Figure>(fig: &F) -> Vec<u8> {
        crate::output::plot::init_fonts();
        let (w, h) = fig.size();
        let mut buf = vec![0u8; (w * h * 3) as usize];
        {
            let root =
                CrispText::new(BitMapBackend::with_buffer(&mut buf, (w, h))).into_drawing_area();
            root.fill(&WHITE).unwrap();
            fig.draw(&root).unwrap();
            root.present().unwrap();
        }
        buf
    }

    /// The lower figure's pixels are exactly those it has alone: its markers and notes
    /// (placed from chart coordinates) move with it, not twice.
    #[test]
    fn each_part_is_drawn_as_it_is_alone() {
        let (top, bottom) = (panel("top", 9_000), panel("bottom", 40_000));
        let both = pixels(&Stacked {
            top: top.clone(),
            bottom: bottom.clone(),
        });
        let (a, b) = (pixels(&top), pixels(&bottom));
        assert_eq!(&both[..a.len()], &a[..]);
        assert!(both[a.len()..] == b[..], "the lower figure moved");
    }
}
