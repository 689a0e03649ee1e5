//! Every `test` block in the examples and in `tests/cases/eval/` evaluates as it expects.
//! Each expectation was computed by hand and is explained in a comment beside it.

use payable::eval::{plan, scenario};
use payable::resolve::FsLoader;
use std::path::Path;

fn run_file(path: &Path) -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let relative = path.strip_prefix(root).unwrap_or(path).to_string_lossy().to_string();
    let text = std::fs::read_to_string(path).expect("readable");
    std::env::set_current_dir(root).expect("root exists");
    let c = payable::compile(&relative, &text, &FsLoader);
    let ir = c.ir.unwrap_or_else(|| panic!("{relative} compiles"));
    let plan = plan::compile(&ir).expect("the IR compiles to a plan");
    let mut failures = Vec::new();
    for test in &ir.tests {
        for checked in scenario::run(&ir, &plan, test).expect("the test's timeline is valid") {
            if !checked.passed {
                let e = checked.expectation;
                failures.push(format!(
                    "{relative}: test \"{}\": expected `{}` {:?} on={:?} amount={:?} until={:?}, got {:#?}",
                    test.name, e.outcome, e.status, e.on, e.amount, e.until, checked.actual
                ));
            }
        }
    }
    failures
}

fn pay_files(folder: &str) -> Vec<std::path::PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files: Vec<_> = std::fs::read_dir(root.join(folder))
        .expect("examples exist")
        .map(|e| e.expect("readable").path())
        .filter(|p| p.extension().is_some_and(|e| e == "pay"))
        .collect();
    files.sort();
    files
}

fn assert_all_pass(folder: &str) {
    let failures: Vec<String> = pay_files(folder).iter().flat_map(|p| run_file(p)).collect();
    assert!(failures.is_empty(), "{} failing expectation(s):\n{}", failures.len(), failures.join("\n\n"));
}

#[test]
fn example_tests_pass() {
    assert_all_pass("examples");
}

/// One file per construct, with hand-computed expectations.
#[test]
fn construct_tests_pass() {
    assert_all_pass("tests/cases/eval");
}
