//! The command line as a user meets it: exit codes, inputs, output formats, atomic writes.

mod common;

use common::{payable, root, text};
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

fn payable_stdin(args: &[&str], input: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_payable"))
        .args(args)
        .current_dir(root())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    child
        .stdin
        .take()
        .expect("stdin is piped")
        .write_all(input.as_bytes())
        .expect("stdin takes the contract");
    child.wait_with_output().expect("the binary finishes")
}

const ERROR_CASE: &str = "tests/cases/errors/E0011_gbp_plus_eur.pay";

#[test]
fn checking_the_examples_folder_is_clean_and_exits_zero() {
    let out = payable(&["check", "examples"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("no problems"));
}

#[test]
fn a_contract_with_errors_exits_one_with_a_rustc_style_diagnostic() {
    let out = payable(&["check", ERROR_CASE, "--color", "never"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("error[E0011]"), "{stderr}");
    assert!(stderr.contains(&format!("┌─ {ERROR_CASE}:")), "{stderr}");
    assert!(!stderr.contains('\u{1b}'), "--color never must not colour: {stderr}");
}

#[test]
fn color_always_colours_and_never_does_not() {
    let coloured = payable(&["check", ERROR_CASE, "--color", "always"]);
    assert!(text(&coloured.stderr).contains('\u{1b}'));
}

#[test]
fn a_missing_file_is_a_usage_error_exit_two() {
    let out = payable(&["check", "no/such/contract.pay"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("no/such/contract.pay"), "{}", text(&out.stderr));
}

#[test]
fn bad_arguments_are_usage_errors_exit_two() {
    assert_eq!(payable(&["check"]).status.code(), Some(2));
    assert_eq!(payable(&["check", "examples", "--format", "yaml"]).status.code(), Some(2));
    assert_eq!(payable(&["frobnicate"]).status.code(), Some(2));
}

#[test]
fn standard_input_is_read_for_a_dash() {
    let contract =
        std::fs::read_to_string(root().join("examples/youth_employment.pay")).expect("example exists");
    let out = payable_stdin(&["check", "-"], &contract);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let broken = contract.replace("pays 300 GBP", "pays 300 EUR");
    let out = payable_stdin(&["check", "-", "--color", "never"], &broken);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("<stdin>:"), "{}", text(&out.stderr));
}

#[test]
fn json_format_is_one_document_with_positions() {
    let out = payable(&["check", ERROR_CASE, "--format", "json"]);
    assert_eq!(out.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("stdout is JSON");
    assert_eq!(report["errors"], 1);
    let first = &report["diagnostics"][0];
    assert_eq!(first["code"], "E0011");
    assert_eq!(first["severity"], "error");
    assert_eq!(first["file"], ERROR_CASE);
    assert!(first["line"].as_u64().is_some_and(|l| l > 0));
    assert!(first["labels"][0]["start"]["column"].as_u64().is_some());
}

#[test]
fn compile_prints_ir_with_version_and_hash() {
    let out = payable(&["compile", "examples/youth_employment.pay"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let ir: serde_json::Value = serde_json::from_slice(&out.stdout).expect("stdout is the IR");
    assert_eq!(ir["ir_version"], payable::ir::IR_VERSION);
    assert_eq!(ir["hash"].as_str().map(str::len), Some(64));
}

#[test]
fn compile_writes_output_and_writes_nothing_on_error() {
    let dir = tempdir();
    let out_path = dir.join("youth.ir.json");
    let out = payable(&["compile", "examples/youth_employment.pay", "-o", out_path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let written = std::fs::read_to_string(&out_path).expect("the IR was written");
    let ir: payable::ir::Contract = serde_json::from_str(&written).expect("the file is IR");
    assert!(payable::lower::verify(&ir).is_empty());

    let failed_path = dir.join("broken.ir.json");
    let out = payable(&["compile", ERROR_CASE, "-o", failed_path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(!failed_path.exists(), "nothing is written when the contract has errors");
    let leftovers: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(leftovers.len(), 1, "no temporary files are left behind: {leftovers:?}");
}

#[test]
fn help_teaches_the_exit_codes_and_each_command() {
    let out = payable(&["--help"]);
    let help = text(&out.stdout);
    for needle in ["check", "compile", "debug", "Exit codes"] {
        assert!(help.contains(needle), "--help should mention {needle}: {help}");
    }
    let out = payable(&["compile", "--help"]);
    assert!(text(&out.stdout).contains("atomically"));
}

#[test]
fn debug_prints_each_stage() {
    let ast = payable(&["debug", "ast", "examples/youth_employment.pay"]);
    assert!(text(&ast.stdout).contains("Outcome("));
    let typed = payable(&["debug", "typed", "examples/youth_employment.pay"]);
    assert!(
        text(&typed.stdout).contains("let sixteenth_birthday(): {\"kind\":\"date\"}"),
        "{}",
        text(&typed.stdout)
    );
    let ir = payable(&["debug", "ir", "examples/youth_employment.pay"]);
    assert!(text(&ir.stdout).contains("\"ir_version\""));
}

fn tempdir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("payable-cli-{}-{}", std::process::id(), unique()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

fn unique() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    NEXT.fetch_add(1, Ordering::Relaxed)
}
