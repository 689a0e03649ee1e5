//! The standard library: every module embedded, checked clean, documented and tested, and
//! `docs/stdlib.md` generated from it.
//!
//! `docs/stdlib.md` is written by `payable doc --stdlib`; after changing a module, run
//! `UPDATE_STDLIB_DOC=1 cargo test --test stdlib` and commit the result.

mod common;

use common::{payable, root, text};
use std::path::PathBuf;

/// The modules under `stdlib/`, by name: every `.pay` file but the test files.
fn module_files() -> Vec<(String, PathBuf)> {
    let mut found: Vec<(String, PathBuf)> = std::fs::read_dir(root().join("stdlib"))
        .expect("stdlib/ exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter_map(|p| {
            let name = p.file_name()?.to_str()?.to_string();
            let stem = name.strip_suffix(".pay")?;
            (!stem.ends_with(".tests")).then(|| (stem.to_string(), p.clone()))
        })
        .collect();
    found.sort();
    found
}

#[test]
fn every_module_file_is_embedded_and_the_embedded_text_is_the_file() {
    let files = module_files();
    let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(payable::stdlib::names(), names, "list every module of stdlib/ in src/stdlib.rs");
    for (name, path) in &files {
        let on_disk = std::fs::read_to_string(path).expect("readable");
        assert_eq!(payable::stdlib::source(name), Some(on_disk.as_str()), "{name}");
    }
}

#[test]
fn every_module_checks_clean_through_use_std() {
    for name in payable::stdlib::names() {
        let contract = format!(
            "use std.{name}\ncontract \"uses {name}\" {{\n  currency GBP\n  outcomes achievable from 2025-01-01 to 2026-12-31\n  claims close 2027-03-31\n}}\n"
        );
        let c = payable::compile("uses.pay", &contract, &payable::resolve::NoFiles);
        let rendered = payable::diagnostic::render_human(&c.sources, &c.diagnostics, false);
        let from_module: Vec<&str> =
            rendered.lines().filter(|l| l.contains(&format!("std/{name}.pay"))).collect();
        assert!(from_module.is_empty(), "std.{name} has diagnostics:\n{rendered}");
    }
    let out = payable(&["check", "stdlib", "--deny", "warnings", "--color", "never"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
}

#[test]
fn every_definition_enum_case_and_band_has_a_doc_comment() {
    for name in payable::stdlib::names() {
        let source = payable::stdlib::source(name).unwrap_or_default();
        let missing = payable::doc::undocumented(source);
        assert!(missing.is_empty(), "std.{name}: write a `///` comment for {}", missing.join(", "));
        assert!(source.starts_with("// "), "std.{name}: start the file with a comment saying what it holds");
    }
}

#[test]
fn every_module_has_tests_and_they_pass() {
    for (name, path) in module_files() {
        let tests = path.with_file_name(format!("{name}.tests.pay"));
        assert!(tests.exists(), "write stdlib/{name}.tests.pay: a contract that uses the module, with tests");
        let module = format!("stdlib/{name}.pay");
        let out = payable(&["test", &module, "--color", "never"]);
        let stdout = text(&out.stdout);
        assert_eq!(out.status.code(), Some(0), "{stdout}{}", text(&out.stderr));
        let ran = stdout.lines().find_map(|l| l.strip_prefix("running ")).unwrap_or_default();
        assert!(ran.ends_with(&format!("from stdlib/{name}.tests.pay")), "{stdout}");
        let count: usize = ran.split_whitespace().next().and_then(|n| n.parse().ok()).unwrap_or(0);
        assert!(count >= 3, "std.{name} has only {count} tests");
        // A test file that uses the module must use this one, not another copy.
        let test_text = std::fs::read_to_string(&tests).expect("readable");
        assert!(
            test_text.contains(&format!("use \"{name}.pay\"")),
            "{name}.tests.pay must use \"{name}.pay\""
        );
    }
}

#[test]
fn a_module_with_a_test_contract_is_tested_when_named_or_its_folder_is() {
    let by_module = payable(&["test", "stdlib/calendar.pay"]);
    let by_tests = payable(&["test", "stdlib/calendar.tests.pay"]);
    assert_eq!(by_module.status.code(), Some(0));
    // Both failing with the same (empty) output would otherwise pass.
    assert!(text(&by_module.stdout).contains("running "), "{}", text(&by_module.stdout));
    assert_eq!(text(&by_module.stdout), text(&by_tests.stdout), "both run the same tests");
    let all = payable(&["test", "stdlib"]);
    let runs = text(&all.stdout).matches("running ").count();
    assert_eq!(runs, module_files().len(), "each module's tests run once: {}", text(&all.stdout));
}

#[test]
fn docs_stdlib_md_is_generated_from_the_modules() {
    let path = root().join("docs/stdlib.md");
    let (reference, modules) = payable::doc::stdlib_reference();
    assert!(modules.iter().all(|m| !m.has_errors()), "a standard module has errors");
    if std::env::var_os("UPDATE_STDLIB_DOC").is_some() {
        std::fs::write(&path, &reference).expect("docs/ is writable");
    }
    let published = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        published == reference,
        "docs/stdlib.md is out of date: run `UPDATE_STDLIB_DOC=1 cargo test --test stdlib` and commit it"
    );
    let out = payable(&["doc", "--stdlib"]);
    assert_eq!(text(&out.stdout), reference, "`payable doc --stdlib` prints the same reference");
}

#[test]
fn payable_doc_renders_signatures_types_docs_and_source() {
    let out = payable(&["doc", "stdlib/employment.pay"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let doc = text(&out.stdout);
    assert!(doc.starts_with("## employment\n"), "{doc}");
    assert!(doc.contains("### `cumulative_hours(weekly: hours per week, week_count: int): hours`"), "{doc}");
    assert!(doc.contains("### bands `work_pattern` of `hours per week`"), "{doc}");
    assert!(
        doc.contains(
            "| `part_time` | from 16 up to, not including, 30 | 16 hours a week or more, and under 30. |"
        ),
        "{doc}"
    );
    assert!(doc.contains("```pay\nlet part_time_hours: hours per week = 16 hours per week\n```"), "{doc}");
}

#[test]
fn payable_doc_gives_the_type_the_checker_found_when_none_is_written() {
    let dir = std::env::temp_dir().join(format!("payable-doc-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let module = dir.join("anchors.pay");
    std::fs::write(&module, "/// Six weeks of days.\nlet settling_in = 6 weeks\n").expect("writable");
    let out = payable(&["doc", module.to_str().unwrap_or_default()]);
    assert!(text(&out.stdout).contains("### `settling_in: days`"), "{}", text(&out.stdout));
    std::fs::write(&module, "let broken = 3 +\n").expect("writable");
    let out = payable(&["doc", module.to_str().unwrap_or_default(), "--color", "never"]);
    assert_eq!(out.status.code(), Some(1), "a module with errors is not documented");
    assert!(text(&out.stderr).contains("error[E0001]"), "{}", text(&out.stderr));
    let _ = std::fs::remove_dir_all(&dir);
}
