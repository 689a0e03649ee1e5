//! `payable test`: test blocks in contracts and in `NAME.tests.pay` files, reported like
//! `cargo test`.

mod common;

use common::payable;
use std::process::Output;

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn every_example_and_construct_test_passes() {
    let out = payable(&["test", "examples", "tests/cases/eval"]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    let last = stdout(&out).lines().last().unwrap_or_default().to_string();
    assert!(last.ends_with(" passed, 0 failed"), "{last}");
}

#[test]
fn a_failure_shows_expected_found_spans_and_the_working_and_exits_one() {
    let out = payable(&["test", "tests/cases/test_runner", "--color", "never"]);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(text.contains("test no job, no entry ... ok"), "tests in the separate file run: {text}");
    assert!(text.ends_with("2 passed, 1 failed\n"), "{text}");
    insta::assert_snapshot!(text);
}

#[test]
fn filter_runs_only_matching_tests() {
    let out = payable(&["test", "tests/cases/test_runner", "--filter", "no job"]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert!(stdout(&out).ends_with("1 passed, 0 failed\n"), "{}", stdout(&out));
}

#[test]
fn naming_the_test_file_runs_its_contract_too() {
    let out = payable(&["test", "tests/cases/test_runner/jobs.tests.pay", "--filter", "third month"]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert!(stdout(&out).contains("running 1 test from tests/cases/test_runner/jobs.pay"));
}

#[test]
fn check_reads_a_test_file_with_its_contract() {
    // Its names are the contract's: alone, every one of them would be unknown.
    for args in
        [&["check", "tests/cases/test_runner"][..], &["check", "tests/cases/test_runner/jobs.tests.pay"]]
    {
        let out = payable(args);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    }
    // A mistake in the test file is found there, whichever file is named.
    let dir = tempfile::tempdir().unwrap();
    let folder = common::root().join("tests/cases/test_runner");
    std::fs::copy(folder.join("jobs.pay"), dir.path().join("jobs.pay")).unwrap();
    let tests = std::fs::read_to_string(folder.join("jobs.tests.pay")).unwrap();
    let broken = tests.replace("given job { from: 2025-08-01 }", "given job { from: 2025-08-01, hours: 3 }");
    assert_ne!(broken, tests);
    std::fs::write(dir.path().join("jobs.tests.pay"), broken).unwrap();
    for name in ["jobs.pay", "jobs.tests.pay"] {
        let path = dir.path().join(name);
        let out = payable(&["check", "--color", "never", path.to_str().unwrap()]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{name}: {stderr}");
        assert!(stderr.contains("error[E0030]: `job` records have no field `hours`"), "{name}: {stderr}");
        assert!(stderr.contains("jobs.tests.pay:9:33"), "{name}: {stderr}");
    }
}
