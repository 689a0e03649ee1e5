//! `payable eval` as a user meets it: caps worked out by hand, errors that write nothing,
//! explanations, formats and exit codes.

mod common;

use common::{payable, text};
use std::path::PathBuf;
use std::process::Output;

fn temp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("payable-eval-cli-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// `--explain` for one young person of the youth employment example's data.
fn explain_youth(id: &str) -> Output {
    payable(&[
        "eval",
        "examples/youth_employment.pay",
        "--participants",
        "examples/data/youth_employment/participants.csv",
        "--events",
        "examples/data/youth_employment/events.csv",
        "--as-of",
        "2026-12-31",
        "--explain",
        id,
    ])
}

fn caps_args<'a>(extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec![
        "eval",
        "tests/cases/eval_data/caps/caps.pay",
        "--participants",
        "tests/cases/eval_data/caps/participants.csv",
        "--events",
        "tests/cases/eval_data/caps/events.csv",
        "--as-of",
        "2025-12-31",
    ];
    args.extend_from_slice(extra);
    args
}

#[test]
fn every_kind_of_cap_bites_in_date_order() {
    let out = temp("caps");
    let result = payable(&caps_args(&["--format", "csv", "--out", out.to_str().unwrap()]));
    assert_eq!(result.status.code(), Some(0), "{}", text(&result.stderr));
    let ledger = std::fs::read_to_string(out.join("ledger.csv")).expect("ledger written");
    let rows: Vec<Vec<String>> =
        ledger.lines().skip(1).map(|l| l.split(',').skip(2).take(7).map(str::to_string).collect()).collect();
    // Worked by hand, in date order. Job entry pays 300 at most twice; thirty days pays 200,
    // at most 500 in all; 450 per participant; 1,000 in all.
    let expected = [
        "2025-01-10,P1,job_entry,1,300.00,300.00,",
        "2025-01-15,P3,job_entry,1,300.00,300.00,",
        "2025-01-20,P2,job_entry,1,300.00,0.00,outcome_payments", // the third job entry
        "2025-02-08,P1,job_30_days,1,200.00,150.00,participant",  // P1 has 300 of 450
        "2025-02-13,P3,job_30_days,1,200.00,150.00,participant",  // P3 likewise
        "2025-02-18,P2,job_30_days,1,200.00,100.00,contract",     // 900 of 1,000 paid so far
        "2025-03-01,P4,job_entry,1,300.00,0.00,outcome_payments",
        "2025-03-30,P4,job_30_days,1,200.00,0.00,outcome_amount", // 400 of 500 paid; then the total is spent
    ];
    let actual: Vec<String> = rows.iter().map(|r| r.join(",")).collect();
    assert_eq!(actual, expected);
    let summary = std::fs::read_to_string(out.join("summary.csv")).expect("summary written");
    assert!(summary.contains(",job_30_days,individual,4,0,0,800.00,400.00,500.00,80"), "{summary}");
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn explain_shows_the_working_and_where_a_cap_bit() {
    let result = payable(&caps_args(&["--explain", "P2"]));
    assert_eq!(result.status.code(), Some(0), "{}", text(&result.stderr));
    let explanation = text(&result.stdout);
    assert!(explanation.contains("job_entry \"Job entry\": achieved on 2025-01-20"), "{explanation}");
    assert!(explanation.contains("paid 0.00 of 300.00 GBP: the outcome payments cap bit"), "{explanation}");
    assert!(
        explanation.contains("30 day(s) counted") || explanation.contains("day(s) counted"),
        "{explanation}"
    );
    assert!(explanation.contains("evidence: J2"), "{explanation}");
}

#[test]
fn explaining_an_unknown_participant_is_an_error() {
    let result = payable(&caps_args(&["--explain", "nobody"]));
    assert_eq!(result.status.code(), Some(1));
    assert!(text(&result.stderr).contains("no participant `nobody`"));
}

#[test]
fn a_bad_row_writes_nothing_and_exits_one() {
    let dir = temp("bad-input");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("participants.csv"), "id,referred\nP1,2025-01-01\nP2,2025-02-30\n").unwrap();
    std::fs::write(dir.join("events.csv"), "participant,type,id,from,to\nP1,job,J1,2025-03-01,2025-02-01\n")
        .unwrap();
    let out = dir.join("out");
    let result = payable(&[
        "eval",
        "tests/cases/eval_data/caps/caps.pay",
        "--participants",
        dir.join("participants.csv").to_str().unwrap(),
        "--events",
        dir.join("events.csv").to_str().unwrap(),
        "--as-of",
        "2025-12-31",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(result.status.code(), Some(1));
    let stderr = text(&result.stderr);
    assert!(stderr.contains("2025-02-30"), "{stderr}");
    assert!(stderr.contains("participants.csv:3"), "{stderr}");
    assert!(stderr.contains("events.csv:2"), "{stderr}");
    assert!(stderr.contains("nothing was written"), "{stderr}");
    assert!(!out.exists(), "no output folder on error");
    let leftovers: Vec<_> =
        std::fs::read_dir(&dir).unwrap().filter_map(|e| e.ok()).map(|e| e.file_name()).collect();
    assert_eq!(leftovers.len(), 2, "no staging folder is left behind: {leftovers:?}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_bad_as_of_date_is_a_usage_error() {
    let mut args = caps_args(&[]);
    let at = args.iter().position(|a| *a == "2025-12-31").unwrap();
    args[at] = "2025-13-01";
    let result = payable(&args);
    assert_eq!(result.status.code(), Some(2));
    assert!(text(&result.stderr).contains("YYYY-MM-DD"));
}

#[test]
fn json_output_carries_the_hash_and_date_and_compiled_ir_is_accepted() {
    let dir = temp("ir");
    std::fs::create_dir_all(&dir).unwrap();
    let ir_path = dir.join("caps.ir.json");
    let compiled =
        payable(&["compile", "tests/cases/eval_data/caps/caps.pay", "-o", ir_path.to_str().unwrap()]);
    assert_eq!(compiled.status.code(), Some(0));
    let from_source = payable(&caps_args(&["--format", "json"]));
    let mut args = caps_args(&["--format", "json"]);
    args[1] = ir_path.to_str().unwrap();
    let from_ir = payable(&args);
    assert_eq!(from_ir.status.code(), Some(0), "{}", text(&from_ir.stderr));
    assert_eq!(from_source.stdout, from_ir.stdout, "the IR decides exactly as its source");
    let doc: serde_json::Value = serde_json::from_slice(&from_ir.stdout).expect("one JSON document");
    let ir: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&ir_path).unwrap()).unwrap();
    assert_eq!(doc["contract_hash"], ir["hash"]);
    assert_eq!(doc["as_of"], "2025-12-31");
    assert_eq!(doc["decisions"].as_array().map(Vec::len), Some(8));
    assert_eq!(doc["ledger"].as_array().map(Vec::len), Some(8));
    assert_eq!(doc["summary"]["totals"]["paid"], "1000.00");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn events_out_of_order_need_unsorted() {
    let dir = temp("order");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("participants.csv"), "id,referred\nP1,2025-01-01\nP2,2025-01-01\n").unwrap();
    std::fs::write(
        dir.join("events.csv"),
        "participant,type,id,from,to\nP2,job,J2,2025-01-20,\nP1,job,J1,2025-01-10,\n",
    )
    .unwrap();
    let run = |extra: &[&str]| {
        let mut args = vec![
            "eval",
            "tests/cases/eval_data/caps/caps.pay",
            "--participants",
            dir.join("participants.csv").to_str().unwrap().to_string().leak(),
            "--events",
            dir.join("events.csv").to_str().unwrap().to_string().leak(),
            "--as-of",
            "2025-12-31",
        ];
        args.extend_from_slice(extra);
        payable(&args)
    };
    let grouped = run(&[]);
    assert_eq!(grouped.status.code(), Some(1));
    assert!(text(&grouped.stderr).contains("--unsorted"), "{}", text(&grouped.stderr));
    let in_memory = run(&["--unsorted"]);
    assert_eq!(in_memory.status.code(), Some(0), "{}", text(&in_memory.stderr));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn an_explanation_reads_as_the_working() {
    let result = explain_youth("Y05");
    assert_eq!(result.status.code(), Some(0), "{}", text(&result.stderr));
    insta::assert_snapshot!(text(&result.stdout));
}

#[test]
fn an_explanation_shows_the_risks_knowingly_accepted_with_their_reasons() {
    let result = explain_youth("Y01");
    let text = text(&result.stdout);
    assert!(text.contains("a risk knowingly accepted (default_counting): mirrors the design"), "{text}");
}
