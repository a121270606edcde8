//! The architecture, checked: layers depend downward only, no two source files import each
//! other in a cycle, no source file is over 600 lines and no function over 80 lines outside
//! tests (a function that must be longer says why in a `// long: ...` comment on the line
//! above its signature).
//!
//! The layers, bottom to top, and what each may import (besides itself):
//!
//! | folder | may import |
//! |---|---|
//! | `kernel/` | nothing |
//! | `workload/` | kernel |
//! | `machine/` | kernel |
//! | `interp/` | kernel, machine |
//! | `service/` | kernel, workload, machine, interp |
//! | `sim/` | the above |
//! | `live/` | the above and sim |
//! | `calibrate/` | the above, sim and live |
//! | `advise/` | kernel, workload, machine, interp, service, sim (it simulates options) |
//! | `output/` | kernel to sim, and advise (it reads results and advice; it neither simulates nor runs live) |
//! | `cli/` | everything |
//!
//! It reads the sources as text: `use crate::...` lines and `crate::` paths in code.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const MAX_FILE_LINES: usize = 600;
const MAX_FN_LINES: usize = 80;

/// Which top-level folders a folder may import from.
fn allowed(layer: &str) -> &'static [&'static str] {
    const BELOW_SIM: &[&str] = &["kernel", "workload", "machine", "interp", "service"];
    match layer {
        "kernel" => &[],
        "workload" => &["kernel"],
        "machine" => &["kernel"],
        "interp" => &["kernel", "machine"],
        "service" => BELOW_SIM,
        "sim" => BELOW_SIM,
        "live" => &["kernel", "workload", "machine", "interp", "service", "sim"],
        "calibrate" => &[
            "kernel", "workload", "machine", "interp", "service", "sim", "live",
        ],
        "advise" => &["kernel", "workload", "machine", "interp", "service", "sim"],
        "output" => &[
            "kernel", "workload", "machine", "interp", "service", "sim", "advise",
        ],
        "cli" => &[
            "kernel",
            "workload",
            "machine",
            "interp",
            "service",
            "sim",
            "live",
            "calibrate",
            "advise",
            "output",
        ],
        other => panic!("src/{other}: a folder that is not a known layer"),
    }
}

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
}

/// The source files, relative to `src/`, with their text.
fn sources() -> Vec<(String, String)> {
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    files
        .into_iter()
        .map(|p| {
            let rel = p
                .strip_prefix(src())
                .unwrap()
                .to_string_lossy()
                .into_owned();
            (rel, std::fs::read_to_string(&p).unwrap())
        })
        .collect()
}

/// The text without `#[cfg(test)]` modules (from the attribute to the end of the file,
/// the convention here) and without comment lines.
fn code_outside_tests(text: &str) -> Vec<(usize, &str)> {
    text.lines()
        .enumerate()
        .take_while(|(_, l)| l.trim() != "#[cfg(test)]")
        .filter(|(_, l)| !l.trim_start().starts_with("//"))
        .collect()
}

/// The module path of a file: `sim/run.rs` -> ["sim", "run"]; `sim/mod.rs` -> ["sim"].
fn module_of(rel: &str) -> Vec<String> {
    let mut parts: Vec<String> = rel
        .trim_end_matches(".rs")
        .split('/')
        .map(String::from)
        .collect();
    if parts
        .last()
        .is_some_and(|l| l == "mod" || l == "lib" || l == "main")
    {
        parts.pop();
    }
    parts
}

/// The file that defines the longest prefix of `path` (a module path from the crate root).
fn file_of(
    path: &[String],
    files: &BTreeSet<Vec<String>>,
    by_module: &BTreeMap<Vec<String>, String>,
) -> Option<String> {
    (1..=path.len())
        .rev()
        .map(|k| path[..k].to_vec())
        .find(|p| files.contains(p))
        .map(|p| by_module[&p].clone())
}

/// Every `crate::a::b` path named in the code of a file, and `super::x` resolved.
fn imported_paths(rel: &str, text: &str) -> Vec<Vec<String>> {
    let me = module_of(rel);
    let mut out = Vec::new();
    for (_, line) in code_outside_tests(text) {
        for (prefix, base) in [
            ("crate::", Vec::new()),
            ("super::", me[..me.len().saturating_sub(1)].to_vec()),
        ] {
            let mut rest = line;
            while let Some(i) = rest.find(prefix) {
                let before = rest[..i].chars().last();
                rest = &rest[i + prefix.len()..];
                if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
                    continue;
                }
                let mut path = base.clone();
                let mut s = rest;
                loop {
                    let end = s
                        .find(|c: char| !(c.is_alphanumeric() || c == '_'))
                        .unwrap_or(s.len());
                    if end == 0 {
                        break;
                    }
                    path.push(s[..end].to_string());
                    if !s[end..].starts_with("::") {
                        break;
                    }
                    s = &s[end + 2..];
                }
                if !path.is_empty() {
                    out.push(path);
                }
            }
        }
    }
    out
}

/// File -> files it imports (by module paths that resolve to another file).
fn import_graph() -> BTreeMap<String, BTreeSet<String>> {
    let srcs = sources();
    let by_module: BTreeMap<Vec<String>, String> = srcs
        .iter()
        .map(|(rel, _)| (module_of(rel), rel.clone()))
        .collect();
    let modules: BTreeSet<Vec<String>> = by_module.keys().cloned().collect();
    let mut graph = BTreeMap::new();
    for (rel, text) in &srcs {
        let deps: BTreeSet<String> = imported_paths(rel, text)
            .iter()
            .filter_map(|p| file_of(p, &modules, &by_module))
            .filter(|f| f != rel && !is_ancestor_module(f, rel))
            .collect();
        graph.insert(rel.clone(), deps);
    }
    graph
}

/// `sim/mod.rs` is the parent of `sim/run.rs`: naming the parent to reach a sibling is not a
/// dependency on the parent's code.
fn is_ancestor_module(candidate: &str, of: &str) -> bool {
    let c = module_of(candidate);
    let o = module_of(of);
    c.len() < o.len() && o.starts_with(&c)
}

fn layer_of(rel: &str) -> Option<&str> {
    rel.split_once('/').map(|(top, _)| top)
}

#[test]
fn layers_depend_downward_only() {
    let mut broken = Vec::new();
    for (file, deps) in import_graph() {
        let Some(layer) = layer_of(&file) else {
            continue;
        };
        for dep in deps {
            let Some(target) = layer_of(&dep) else {
                continue;
            };
            if target != layer && !allowed(layer).contains(&target) {
                broken.push(format!(
                    "src/{file} imports src/{dep} ({layer} -> {target})"
                ));
            }
        }
    }
    assert!(
        broken.is_empty(),
        "imports against the layering:\n{}",
        broken.join("\n")
    );
}

#[test]
fn no_import_cycle_between_files() {
    let graph = import_graph();
    // Depth-first search with colours; report the first cycle found.
    fn visit<'a>(
        f: &'a str,
        g: &'a BTreeMap<String, BTreeSet<String>>,
        state: &mut BTreeMap<&'a str, u8>,
        stack: &mut Vec<&'a str>,
    ) -> Option<Vec<String>> {
        state.insert(f, 1);
        stack.push(f);
        for d in g.get(f).into_iter().flatten() {
            match state.get(d.as_str()) {
                Some(1) => {
                    let i = stack.iter().position(|s| *s == d).unwrap();
                    let mut cycle: Vec<String> = stack[i..].iter().map(|s| s.to_string()).collect();
                    cycle.push(d.clone());
                    return Some(cycle);
                }
                Some(_) => {}
                None => {
                    if let Some(c) = visit(d, g, state, stack) {
                        return Some(c);
                    }
                }
            }
        }
        stack.pop();
        state.insert(f, 2);
        None
    }
    let mut state = BTreeMap::new();
    for f in graph.keys() {
        if !state.contains_key(f.as_str()) {
            if let Some(c) = visit(f, &graph, &mut state, &mut Vec::new()) {
                panic!("import cycle: {}", c.join(" -> "));
            }
        }
    }
}

#[test]
fn no_source_file_over_600_lines() {
    let long: Vec<String> = sources()
        .into_iter()
        .filter(|(_, t)| t.lines().count() > MAX_FILE_LINES)
        .map(|(f, t)| format!("src/{f}: {} lines", t.lines().count()))
        .collect();
    assert!(
        long.is_empty(),
        "files over {MAX_FILE_LINES} lines:\n{}",
        long.join("\n")
    );
}

/// Functions (outside `#[cfg(test)]`) and their length in lines, from the signature's line
/// to the closing brace, found by counting braces outside strings, chars and comments.
fn functions(text: &str) -> Vec<(String, usize, usize, bool)> {
    let lines: Vec<&str> = text
        .lines()
        .take_while(|l| l.trim() != "#[cfg(test)]")
        .collect();
    let mut out = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let t = line.trim_start();
        let is_fn = [
            "fn ",
            "pub fn ",
            "pub(crate) fn ",
            "pub(super) fn ",
            "const fn ",
            "pub const fn ",
            "async fn ",
            "pub async fn ",
            "unsafe fn ",
            "pub unsafe fn ",
        ]
        .iter()
        .any(|p| t.starts_with(p));
        if !is_fn {
            continue;
        }
        let name = t
            .split("fn ")
            .nth(1)
            .unwrap_or("")
            .split(['(', '<'])
            .next()
            .unwrap_or("")
            .to_string();
        let mut depth = 0i64;
        let mut opened = false;
        let mut end = None;
        'scan: for (j, l) in lines.iter().enumerate().skip(i) {
            let bytes = l.as_bytes();
            let mut k = 0;
            let mut in_str = false;
            while k < bytes.len() {
                let c = bytes[k];
                if in_str {
                    if c == b'\\' {
                        k += 1;
                    } else if c == b'"' {
                        in_str = false;
                    }
                } else if c == b'"' {
                    in_str = true;
                } else if c == b'/' && bytes.get(k + 1) == Some(&b'/') {
                    break;
                } else if c == b'\'' && bytes.get(k + 2) == Some(&b'\'') {
                    k += 2;
                } else if c == b'\'' && bytes.get(k + 1) == Some(&b'\\') {
                    k += 3;
                } else if c == b'{' {
                    depth += 1;
                    opened = true;
                } else if c == b'}' {
                    depth -= 1;
                    if opened && depth == 0 {
                        end = Some(j);
                        break 'scan;
                    }
                } else if c == b';' && !opened && depth == 0 {
                    break 'scan; // a declaration without a body (trait method)
                }
                k += 1;
            }
        }
        let excused = i > 0 && lines[i - 1].trim_start().starts_with("// long:");
        if let Some(e) = end {
            out.push((name, i + 1, e - i + 1, excused));
        }
    }
    out
}

#[test]
fn no_function_over_80_lines_outside_tests() {
    let mut long = Vec::new();
    for (f, text) in sources() {
        for (name, line, len, excused) in functions(&text) {
            if len > MAX_FN_LINES && !excused {
                long.push(format!("src/{f}:{line}: fn {name} is {len} lines"));
            }
        }
    }
    assert!(long.is_empty(), "functions over {MAX_FN_LINES} lines (add `// long: why` above the signature if one must be):\n{}", long.join("\n"));
}

#[test]
fn the_checks_see_the_code() {
    // Guards against a checker that silently checks nothing.
    let graph = import_graph();
    assert!(graph.len() > 40, "only {} source files found", graph.len());
    assert!(graph["sim/run.rs"]
        .iter()
        .any(|d| d.starts_with("service/")));
    let fns: usize = sources().iter().map(|(_, t)| functions(t).len()).sum();
    assert!(fns > 300, "only {fns} functions found");
}
