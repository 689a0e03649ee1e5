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
