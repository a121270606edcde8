//! The CSV of a sweep: one row per point, and the merge of shard files.

use super::run::PointResult;
use super::Sweep;
use std::fmt::Write as _;

/// The CSV text of results: a header, then one row per point in order.
pub fn to_csv(sweep: &Sweep, results: &[PointResult]) -> String {
    let mut w = csv::WriterBuilder::new().from_writer(Vec::new());
    let mut header: Vec<String> = vec!["point".into()];
    header.extend(sweep.grid.iter().map(|(k, _)| k.clone()));
    header.push("seed".into());
    header.push("reps".into());
    if let Some(first) = results.first() {
        for n in &first.names {
            header.push(n.clone());
            if sweep.reps > 1 {
                header.push(format!("{n}.ci95"));
            }
        }
    }
    header.push("trace_hash".into());
    w.write_record(&header).expect("in-memory CSV");
    for r in results {
        let mut row: Vec<String> = vec![r.point.index.to_string()];
        row.extend(r.point.values.iter().cloned());
        row.push(r.point.scenario.seed.to_string());
        row.push(sweep.reps.to_string());
        for (j, m) in r.mean.iter().enumerate() {
            row.push(fmt_num(*m));
            if sweep.reps > 1 {
                row.push(fmt_num(r.ci95[j]));
            }
        }
        row.push(r.trace_hashes.join(" "));
        w.write_record(&row).expect("in-memory CSV");
    }
    String::from_utf8(w.into_inner().expect("in-memory CSV")).expect("UTF-8")
}

fn fmt_num(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{}", x as i64)
    } else {
        let mut s = String::new();
        let _ = write!(s, "{x:.4}");
        s
    }
}

/// Joins shard CSVs into the CSV a single run would have written: same header everywhere,
/// rows sorted by point, no point twice.
pub fn merge(texts: &[String]) -> Result<String, String> {
    let mut header: Option<csv::StringRecord> = None;
    let mut rows: Vec<(usize, csv::StringRecord)> = Vec::new();
    for (k, t) in texts.iter().enumerate() {
        let mut r = csv::ReaderBuilder::new().from_reader(t.as_bytes());
        let h = r.headers().map_err(|e| format!("file {k}: {e}"))?.clone();
        match &header {
            None => header = Some(h),
            Some(h0) if *h0 != h => {
                return Err(format!(
                    "file {k}: its header differs from the first file's"
                ))
            }
            _ => {}
        }
        for rec in r.records() {
            let rec = rec.map_err(|e| format!("file {k}: {e}"))?;
            let idx: usize = rec
                .get(0)
                .and_then(|x| x.parse().ok())
                .ok_or_else(|| format!("file {k}: a row without a point number"))?;
            rows.push((idx, rec));
        }
    }
    let header = header.ok_or("nothing to merge")?;
    rows.sort_by_key(|(i, _)| *i);
    for w in rows.windows(2) {
        if w[0].0 == w[1].0 {
            return Err(format!("point {} appears twice", w[0].0));
        }
    }
    let mut w = csv::WriterBuilder::new().from_writer(Vec::new());
    w.write_record(&header).map_err(|e| e.to_string())?;
    for (_, r) in rows {
        w.write_record(&r).map_err(|e| e.to_string())?;
    }
    String::from_utf8(w.into_inner().map_err(|e| e.to_string())?).map_err(|e| e.to_string())
}
