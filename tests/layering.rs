//! The library's layers, checked on its source: every top-level module of `src/` imports only
//! modules below it in pipeline order, and the files of `src/models/` import each other
//! without a cycle.
//!
//! Imports are read as text: every `crate::…` and `super::…` path outside comments and string
//! literals (in `use` lines and in code), groups such as `crate::{a, b::c}` included.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The top-level modules, lowest first: a module may import only those before it.
const ORDER: &[&str] = &[
    "error", "math", "persist", "optim", "ingest", "features", "models", "simulate", "churn",
    "predict", "report", "io",
];

/// Stricter than the order: the shared layers import only these.
const ONLY: &[(&str, &[&str])] = &[
    ("error", &[]),
    ("math", &["error"]),
    ("optim", &["error", "math"]),
];

/// Imports against the order that are known and being removed, each with its reason.
const KNOWN: &[(&str, &str, &str)] = &[];

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read src") {
        let path = entry.expect("dir entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The module path of a file: `models/bgnbd.rs` -> [models, bgnbd], `models/mod.rs` ->
/// [models], `lib.rs` -> [].
fn module_path(rel: &Path) -> Vec<String> {
    let mut parts: Vec<String> = rel
        .iter()
        .map(|p| p.to_string_lossy().trim_end_matches(".rs").to_string())
        .collect();
    if parts.last().is_some_and(|p| p == "mod" || p == "lib") {
        parts.pop();
    }
    parts
}

/// The code with comments removed and string and char literals blanked.
fn strip(code: &str) -> String {
    let b = code.as_bytes();
    let mut out = String::with_capacity(code.len());
    let mut i = 0;
    while i < b.len() {
        if b[i..].starts_with(b"//") {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
        } else if b[i..].starts_with(b"/*") {
            let mut depth = 0;
            while i < b.len() {
                if b[i..].starts_with(b"/*") {
                    depth += 1;
                    i += 2;
                } else if b[i..].starts_with(b"*/") {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
            out.push(' ');
        } else if b[i] == b'r' && matches!(b.get(i + 1), Some(b'"' | b'#')) && !ident_byte(b, i) {
            // Raw string r"…" or r#"…"#.
            let mut j = i + 1;
            let mut hashes = 0;
            while b.get(j) == Some(&b'#') {
                hashes += 1;
                j += 1;
            }
            if b.get(j) != Some(&b'"') {
                out.push('r');
                i += 1;
                continue;
            }
            let close: Vec<u8> = std::iter::once(b'"')
                .chain(std::iter::repeat_n(b'#', hashes))
                .collect();
            j += 1;
            while j < b.len() && !b[j..].starts_with(&close) {
                j += 1;
            }
            i = j + close.len();
            out.push_str("\"\"");
        } else if b[i] == b'"' {
            i += 1;
            while i < b.len() && b[i] != b'"' {
                i += if b[i] == b'\\' { 2 } else { 1 };
            }
            i += 1;
            out.push_str("\"\"");
        } else if b[i] == b'\'' && (b.get(i + 2) == Some(&b'\'') || b.get(i + 1) == Some(&b'\\')) {
            // A char literal ('x' or an escape); a lifetime has no closing quote.
            let mut j = i + 1;
            if b[j] == b'\\' {
                j += 2;
            }
            while j < b.len() && b[j] != b'\'' {
                j += 1;
            }
            i = j + 1;
            out.push_str("' '");
        } else {
            let len = code[i..].chars().next().map_or(1, char::len_utf8);
            out.push_str(&code[i..i + len]);
            i += len;
        }
    }
    out
}

/// Whether the byte before `i` continues an identifier.
fn ident_byte(b: &[u8], i: usize) -> bool {
    i > 0 && (b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_')
}

fn ident_at(s: &str) -> (&str, &str) {
    let end = s
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(s.len());
    (&s[..end], &s[end..])
}

/// The paths `s` starts: `a::b`, or every item of a group `{a::b, c}`; the first two segments
/// of each, at most.
fn paths(s: &str, out: &mut Vec<Vec<String>>) {
    let s = s.trim_start();
    if let Some(rest) = s.strip_prefix('{') {
        let mut depth = 0;
        let mut start = 0;
        for (k, c) in rest.char_indices() {
            match c {
                '{' => depth += 1,
                '}' if depth == 0 => {
                    paths(&rest[start..k], out);
                    return;
                }
                '}' => depth -= 1,
                ',' if depth == 0 => {
                    paths(&rest[start..k], out);
                    start = k + 1;
                }
                _ => {}
            }
        }
        return;
    }
    let (first, rest) = ident_at(s);
    if first.is_empty() {
        return;
    }
    let mut segments = vec![first.to_string()];
    if let Some(rest) = rest.trim_start().strip_prefix("::") {
        let (second, _) = ident_at(rest.trim_start());
        if !second.is_empty() {
            segments.push(second.to_string());
        }
    }
    out.push(segments);
}

/// Every `crate::` / `super::` path of a file, resolved to an absolute module path (its first
/// two segments after the resolution).
fn imports(code: &str, module: &[String]) -> Vec<Vec<String>> {
    let code = strip(code);
    let b = code.as_bytes();
    let mut found = Vec::new();
    for (i, _) in code.match_indices("::") {
        // Find the start of the `crate::` or `super::super::…` chain ending here.
        let head_start = code[..i]
            .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .map_or(0, |k| k + 1);
        let head = &code[head_start..i];
        if head != "crate" && head != "super" {
            continue;
        }
        // Only the first link of a chain: not `x::super::` nor `super::super` after `super::`.
        if head_start >= 2 && &code[head_start - 2..head_start] == "::" {
            continue;
        }
        if ident_byte(b, head_start) {
            continue;
        }
        let mut rest = &code[i + 2..];
        let mut base: Vec<String> = if head == "crate" {
            Vec::new()
        } else {
            module[..module.len().saturating_sub(1)].to_vec()
        };
        while let Some(r) = rest.strip_prefix("super::") {
            base.pop();
            rest = r;
        }
        let mut items = Vec::new();
        paths(rest, &mut items);
        for item in items {
            let mut full = base.clone();
            full.extend(item);
            found.push(full);
        }
    }
    found
}

struct Source {
    /// Path relative to `src/`.
    rel: PathBuf,
    module: Vec<String>,
    imports: Vec<Vec<String>>,
}

fn sources() -> Vec<Source> {
    let root = src();
    let mut files = Vec::new();
    rust_files(&root, &mut files);
    files.sort();
    files
        .into_iter()
        .map(|path| {
            let rel = path.strip_prefix(&root).unwrap().to_path_buf();
            let module = module_path(&rel);
            let code = std::fs::read_to_string(&path).expect("read source");
            let imports = imports(&code, &module);
            Source {
                rel,
                module,
                imports,
            }
        })
        .collect()
}

#[test]
fn top_level_modules_import_only_lower_layers() {
    let rank = |m: &str| ORDER.iter().position(|o| *o == m);
    let all = sources();
    let top_level: BTreeSet<String> = all
        .iter()
        .filter_map(|s| s.module.first().cloned())
        .collect();
    let mut graph: BTreeMap<String, BTreeMap<String, BTreeSet<String>>> = BTreeMap::new();
    let mut problems = Vec::new();
    for s in &all {
        let Some(from) = s.module.first() else {
            continue; // lib.rs
        };
        if rank(from).is_none() {
            problems.push(format!(
                "src/{}: top-level module `{from}` is not placed in ORDER",
                s.rel.display()
            ));
        }
        for import in &s.imports {
            let Some(to) = import.first() else { continue };
            if to == from || !top_level.contains(to) {
                // Within the module, or an item of the crate root (`crate::Result`).
                continue;
            }
            graph
                .entry(from.clone())
                .or_default()
                .entry(to.clone())
                .or_default()
                .insert(s.rel.display().to_string());
        }
    }
    for (from, targets) in &graph {
        let allowed = ONLY.iter().find(|(m, _)| m == from).map(|(_, a)| *a);
        for (to, files) in targets {
            let known = KNOWN.iter().any(|(f, t, _)| f == from && t == to);
            let too_high = match (rank(from), rank(to)) {
                (Some(f), Some(t)) => t > f,
                _ => false,
            };
            let not_allowed = allowed.is_some_and(|a| !a.contains(&to.as_str()));
            if (too_high || not_allowed) && !known {
                problems.push(format!(
                    "`{from}` imports `{to}`, which is not below it (in {})",
                    files.iter().cloned().collect::<Vec<_>>().join(", ")
                ));
            }
        }
    }
    for (from, to, why) in KNOWN {
        assert!(
            graph.get(*from).is_some_and(|t| t.contains_key(*to)),
            "the known exception {from} -> {to} ({why}) is gone: remove it from KNOWN"
        );
    }
    assert!(problems.is_empty(), "layering:\n{}", problems.join("\n"));
}

/// The files of `src/models/` (`mod.rs` aside: the module's root declares the trait every
/// model implements and the submodules, so every file depends on it and it on them) import
/// each other without a cycle. `super::Name` re-exported by `mod.rs` (`pub use data::…`)
/// counts as an import of the file it comes from.
#[test]
fn model_files_import_each_other_without_a_cycle() {
    let all = sources();
    let files: BTreeSet<String> = all
        .iter()
        .filter(|s| s.module.len() >= 2 && s.module[0] == "models")
        .map(|s| s.module[1].clone())
        .collect();
    assert!(files.contains("bgnbd") && files.contains("bg_process"));
    // Names `models/mod.rs` re-exports from its files.
    let mod_rs = std::fs::read_to_string(src().join("models/mod.rs")).expect("models/mod.rs");
    let mut reexports: BTreeMap<String, String> = BTreeMap::new();
    for line in strip(&mod_rs).lines() {
        let Some(rest) = line.trim().strip_prefix("pub use ") else {
            continue;
        };
        let (file, rest) = ident_at(rest);
        let names = rest.trim_start_matches("::").trim_end_matches(';');
        for name in names.trim_matches(|c| c == '{' || c == '}').split(',') {
            reexports.insert(name.trim().to_string(), file.to_string());
        }
    }
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for s in all
        .iter()
        .filter(|s| s.module.len() >= 2 && s.module[0] == "models")
    {
        let from = &s.module[1];
        for import in &s.imports {
            if import.first().map(String::as_str) != Some("models") {
                continue;
            }
            let Some(name) = import.get(1) else { continue };
            let to = if files.contains(name) {
                name.clone()
            } else if let Some(file) = reexports.get(name) {
                file.clone()
            } else {
                continue; // an item of mod.rs itself
            };
            if &to != from && files.contains(&to) {
                edges.entry(from.clone()).or_default().insert(to);
            }
        }
    }
    // Depth-first search for a back edge.
    fn visit(
        node: &str,
        edges: &BTreeMap<String, BTreeSet<String>>,
        state: &mut BTreeMap<String, u8>,
        stack: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        state.insert(node.to_string(), 1);
        stack.push(node.to_string());
        for next in edges.get(node).into_iter().flatten() {
            match state.get(next.as_str()) {
                Some(1) => {
                    let start = stack.iter().position(|n| n == next).unwrap();
                    let mut cycle = stack[start..].to_vec();
                    cycle.push(next.clone());
                    return Some(cycle);
                }
                Some(_) => {}
                None => {
                    if let Some(cycle) = visit(next, edges, state, stack) {
                        return Some(cycle);
                    }
                }
            }
        }
        stack.pop();
        state.insert(node.to_string(), 2);
        None
    }
    let mut state = BTreeMap::new();
    for file in &files {
        if !state.contains_key(file.as_str())
            && let Some(cycle) = visit(file, &edges, &mut state, &mut Vec::new())
        {
            panic!("import cycle in src/models/: {}", cycle.join(" -> "));
        }
    }
    // The shared BG process serves the models, not the reverse.
    let bg = edges.get("bg_process").cloned().unwrap_or_default();
    assert!(!bg.contains("bgnbd") && !bg.contains("mbgnbd"), "{bg:?}");
}

#[test]
fn the_reader_sees_imports_in_groups_code_and_relative_paths() {
    let code = "use crate::{error::Result, math::gamma::ln_beta};\n\
                use super::super::optim::Problem; // crate::report\n\
                fn f() { let s = \"crate::predict\"; crate::ingest::x(); }\n\
                use super::{data::RfmData, Model};";
    let module: Vec<String> = vec!["models".into(), "sub".into(), "file".into()];
    let found = imports(code, &module);
    let joined: Vec<String> = found.iter().map(|p| p.join("::")).collect();
    assert_eq!(
        joined,
        vec![
            "error::Result",
            "math::gamma",
            "models::optim::Problem",
            "ingest::x",
            "models::sub::data::RfmData",
            "models::sub::Model",
        ],
        "{found:?}"
    );
}
