//! Numbers and names written for people in figures.

/// A result's `source` for people: "sim" is "simulated", "live-cpython" is "live (cpython)".
pub fn source_label(source: &str) -> String {
    match source {
        "sim" => "simulated".into(),
        s => match s.strip_prefix("live-") {
            Some(rest) => format!("live ({rest})"),
            None => s.to_string(),
        },
    }
}

/// Formats a number briefly, trailing zeros trimmed: 3425, 41.6, 2.5, 0.25.
pub fn short_number(v: f64) -> String {
    if v == 0.0 {
        return "0".into();
    }
    let a = v.abs();
    let s = if a >= 100.0 {
        format!("{v:.0}")
    } else if a >= 10.0 {
        format!("{v:.1}")
    } else if a >= 1.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.3}")
    };
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_short() {
        assert_eq!(short_number(41.6), "41.6");
        assert_eq!(short_number(2.50), "2.5");
    }
}
