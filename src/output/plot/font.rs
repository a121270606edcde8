//! The figures' font: DejaVu Sans, embedded in the binary, so that no system font is needed
//! and every machine measures text alike.

use plotters::style::FontStyle;

/// The font family every figure uses (DejaVu Sans, registered under the generic name).
pub const FONT: &str = "sans-serif";

/// DejaVu Sans (Bitstream Vera license, see `assets/fonts/LICENSE-DejaVu.txt`).
pub(super) static FONT_DATA: &[u8] = include_bytes!("../../../assets/fonts/DejaVuSans.ttf");

/// Registers the embedded font with plotters (once per process; later calls do nothing).
pub fn init_fonts() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        if plotters::style::register_font(FONT, FontStyle::Normal, FONT_DATA).is_err() {
            panic!("the embedded DejaVu Sans font does not parse");
        }
    });
}
