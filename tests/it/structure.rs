//! The layout holds as a rule: data flows one way (source → decode → batch → sink), the stages
//! and the pure middle import nothing of the orchestration or the flags, the orchestrator names
//! no page format, the top-level modules import each other without a cycle, and no file grows
//! past 500 lines. Read from `src/` itself, code lines only (comments may name anything).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Every `.rs` file under `src/`, relative to it, with its code lines (no comment lines, and
/// nothing from the first `#[cfg(test)]` module on).
fn files() -> Vec<(String, Vec<String>)> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }
    let mut paths = Vec::new();
    walk(&src(), &mut paths);
    paths.sort();
    paths
        .into_iter()
        .map(|p| {
            let rel = p
                .strip_prefix(src())
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            let text = std::fs::read_to_string(&p).unwrap();
            let code = text
                .lines()
                .take_while(|l| l.trim() != "#[cfg(test)]")
                .filter(|l| !l.trim_start().starts_with("//"))
                .map(str::to_string)
                .collect();
            (rel, code)
        })
        .collect()
}

/// The top-level module a file belongs to (`sink/lake/read.rs` → `sink`).
fn top(rel: &str) -> &str {
    rel.split('/').next().unwrap().trim_end_matches(".rs")
}

/// The top-level modules a file's code names through `crate::`.
fn uses(code: &[String]) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for line in code {
        let mut rest = line.as_str();
        while let Some(i) = rest.find("crate::") {
            rest = &rest[i + "crate::".len()..];
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() {
                out.insert(name);
            }
        }
    }
    out
}

#[test]
fn no_file_under_src_is_over_500_lines() {
    let long: Vec<(String, usize)> = files()
        .into_iter()
        .map(|(rel, _)| {
            let n = std::fs::read_to_string(src().join(&rel))
                .unwrap()
                .lines()
                .count();
            (rel, n)
        })
        .filter(|(_, n)| *n > 500)
        .collect();
    assert!(long.is_empty(), "files over 500 lines: {long:?}");
}

#[test]
fn stages_and_the_pure_middle_import_nothing_above_them() {
    // Module → what it must never import.
    let above = [
        "app", "commands", "config", "cli", "error", "defaults", "binary",
    ];
    let rules: BTreeMap<&str, Vec<&str>> = [
        (
            "source",
            [
                &above[..],
                &["decode", "batch", "sink", "verify", "versions"],
            ]
            .concat(),
        ),
        ("decode", [&above[..], &["source", "sink"]].concat()),
        (
            "batch",
            [&above[..], &["source", "decode", "sink"]].concat(),
        ),
        (
            "sink",
            [&above[..], &["source", "decode", "verify", "versions"]].concat(),
        ),
        (
            "json",
            [&above[..], &["source", "decode", "batch", "sink"]].concat(),
        ),
        ("page", above.to_vec()),
        ("period", above.to_vec()),
        ("cancel", above.to_vec()),
        ("schema", above.to_vec()),
        ("money", above.to_vec()),
        ("text", above.to_vec()),
    ]
    .into_iter()
    .collect();
    let mut broken = Vec::new();
    for (rel, code) in files() {
        let Some(forbidden) = rules.get(top(&rel)) else {
            continue;
        };
        for used in uses(&code) {
            if forbidden.contains(&used.as_str()) {
                broken.push(format!("{rel} imports crate::{used}"));
            }
        }
    }
    assert!(broken.is_empty(), "{broken:#?}");
}

#[test]
fn the_orchestrator_names_no_page_format() {
    let words = [
        "PageFormat",
        "EaJson",
        "Csv",
        "csv",
        "Json",
        "json::",
        "Parquet",
    ];
    let mut named = Vec::new();
    for (rel, code) in files() {
        if top(&rel) != "app" {
            continue;
        }
        for line in &code {
            let line = line.replace("serde_json", "");
            for w in words {
                if line.contains(w) {
                    named.push(format!("{rel}: {w}: {}", line.trim()));
                }
            }
        }
    }
    assert!(named.is_empty(), "{named:#?}");
}

#[test]
fn top_level_modules_import_each_other_without_a_cycle() {
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (rel, code) in files() {
        let from = top(&rel).to_string();
        let deps = graph.entry(from.clone()).or_default();
        deps.extend(uses(&code).into_iter().filter(|d| *d != from));
    }
    let reaches = |from: &str, to: &str| {
        let mut seen = BTreeSet::new();
        let mut stack = vec![from.to_string()];
        while let Some(m) = stack.pop() {
            for d in graph.get(&m).into_iter().flatten() {
                if d == to {
                    return true;
                }
                if seen.insert(d.clone()) {
                    stack.push(d.clone());
                }
            }
        }
        false
    };
    let mut cycles = Vec::new();
    for (m, deps) in &graph {
        for d in deps {
            if reaches(d, m) {
                cycles.push(format!("{m} -> {d} -> … -> {m}"));
            }
        }
    }
    assert!(cycles.is_empty(), "{cycles:#?}");
}
