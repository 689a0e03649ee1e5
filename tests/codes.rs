//! Every diagnostic code has a case that triggers it and an entry in the reference whose
//! example output is what payable prints today: errors (`E0xxx`) under `tests/cases/errors/`,
//! warnings (`W0xxx`, the lints) under `tests/cases/lints/`.
//!
//! `UPDATE_REFERENCE=1 cargo test --test codes` rewrites the headings and the example
//! outputs in `docs/reference.md` from the cases; read the diff before committing it.

use payable::diagnostic::Code;
use payable::resolve::FsLoader;
use std::path::Path;

/// Every code, with the folder of its cases.
fn codes() -> Vec<(Code, &'static str)> {
    let errors = payable::diagnostic::CODES.iter().map(|c| (*c, "errors"));
    errors.chain(payable::lint::CODES.iter().map(|c| (*c, "lints"))).collect()
}

fn rendered_case(root: &Path, folder: &str, case: &str) -> String {
    let relative = format!("tests/cases/{folder}/{case}");
    let text = std::fs::read_to_string(root.join(&relative)).expect("case is readable");
    std::env::set_current_dir(root).expect("the repository root exists");
    let c = payable::compile(&relative, &text, &FsLoader);
    payable::diagnostic::render_human(&c.sources, &c.diagnostics, false).trim_end().to_string()
}

/// The entry's first ```pay block is a snippet of the case; replacing it with the entry's
/// last ```pay block (the fix) must give a contract that compiles (for a lint, with no
/// warning either).
fn fix_compiles(root: &Path, folder: &str, case: &str, entry: &str) -> Option<String> {
    let blocks: Vec<&str> =
        entry.split("```pay\n").skip(1).map(|b| b.split("\n```").next().unwrap_or("")).collect();
    let (Some(wrong), Some(fix)) = (blocks.first(), blocks.last()) else {
        return Some("no ```pay blocks for the mistake and the fix".into());
    };
    if blocks.len() < 2 {
        return Some("no ```pay block for the fix".into());
    }
    let relative = format!("tests/cases/{folder}/{case}");
    let text = std::fs::read_to_string(root.join(&relative)).expect("case is readable");
    if !text.contains(wrong) {
        // The mistake is in a helper file (a `use`d module): the fix is prose there.
        return None;
    }
    let fixed = text.replacen(wrong, fix, 1);
    std::env::set_current_dir(root).expect("the repository root exists");
    let c = payable::compile(&relative, &fixed, &FsLoader);
    // An error case's fix must compile; it may still be lint-worthy (the cases are minimal
    // contracts, often with no total cap). A lint case's fix must be clean of warnings too.
    let failed = if folder == "lints" { !c.diagnostics.is_empty() } else { c.has_errors() };
    failed.then(|| {
        format!(
            "the documented fix does not check clean:\n{}",
            payable::diagnostic::render_human(&c.sources, &c.diagnostics, false)
        )
    })
}

#[test]
fn every_code_has_a_failing_case_and_a_documented_example() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let cases_in = |folder: &str| -> Vec<String> {
        let mut cases: Vec<String> = std::fs::read_dir(root.join("tests/cases").join(folder))
            .expect("the cases folder exists")
            .map(|e| e.expect("readable").file_name().to_string_lossy().into_owned())
            // `NAME.fixed.pay` is a lint case's fixed version (see `tests/lints.rs`).
            .filter(|name| name.ends_with(".pay") && !name.ends_with(".fixed.pay"))
            .collect();
        cases.sort();
        cases
    };
    let (errors, lints) = (cases_in("errors"), cases_in("lints"));
    let path = root.join("docs/reference.md");
    let mut reference = std::fs::read_to_string(&path).expect("docs/reference.md exists");
    let update = std::env::var_os("UPDATE_REFERENCE").is_some();
    let mut problems = Vec::new();
    for (code, folder) in codes() {
        let cases = if folder == "errors" { &errors } else { &lints };
        let Some(case) = cases.iter().find(|c| c.starts_with(code.id)) else {
            problems.push(format!("{}: no tests/cases/{folder}/{}_*.pay", code.id, code.id));
            continue;
        };
        let prefix = format!("### {}", code.id);
        let Some(at) = reference.find(&prefix) else {
            problems.push(format!("{}: no `{prefix}` entry in docs/reference.md", code.id));
            continue;
        };
        let heading_end = at + reference[at..].find('\n').unwrap_or(0);
        let heading = format!("### {}: {}", code.id, code.title);
        let entry_end = reference[heading_end..].find("\n### ").map_or(reference.len(), |i| heading_end + i);
        let entry = &reference[heading_end..entry_end];
        if entry.matches("```").count() < 6 {
            problems.push(format!(
                "{}: the entry needs the contract, the diagnostic and the fix as code blocks",
                code.id
            ));
            continue;
        }
        let Some(text_start) = entry.find("```text\n").map(|i| heading_end + i + "```text\n".len()) else {
            problems.push(format!("{}: the entry has no ```text block with the diagnostic", code.id));
            continue;
        };
        let text_end = text_start + reference[text_start..].find("\n```").unwrap_or(0);
        let documented = reference[text_start..text_end].to_string();
        if let Some(name) = payable::lint::name_of(code) {
            if !entry.contains(&format!("`{name}`")) {
                problems.push(format!("{}: the entry does not give the lint's name, `{name}`", code.id));
            }
        }
        let actual = rendered_case(root, folder, case);
        if let Some(problem) = fix_compiles(root, folder, case, entry) {
            problems.push(format!("{}: {problem}", code.id));
        }
        let current_heading = &reference[at..heading_end];
        if update {
            reference.replace_range(text_start..text_end, &actual);
            reference.replace_range(at..heading_end, &heading);
        } else {
            if current_heading != heading {
                problems.push(format!("{}: heading is `{current_heading}`, expected `{heading}`", code.id));
            }
            if documented != actual {
                problems.push(format!(
                    "{}: documented output differs from what payable prints for {case}",
                    code.id
                ));
            }
        }
    }
    if update {
        std::fs::write(&path, &reference).expect("docs/ is writable");
    }
    assert!(
        problems.is_empty(),
        "{}\n(run `UPDATE_REFERENCE=1 cargo test --test codes` to refresh the example outputs)",
        problems.join("\n")
    );
}
