//! The lints (W codes): each has a case that triggers it and the same case fixed; `allow`
//! silences one lint on one item and is kept in the IR; `payable check --format sarif` is
//! valid SARIF 2.1.0 with a rule for every code; `--deny warnings` fails on any warning; and
//! every example and standard module passes `payable check --deny warnings`.
//!
//! - `tests/cases/lints/W0xxx_name.pay` must report (at least) its code; the rendered
//!   warnings are snapshotted.
//! - `tests/cases/lints/W0xxx_name.fixed.pay` must check clean.

mod common;

use common::{payable, root, text};
use payable::resolve::{FsLoader, NoFiles};
use std::path::Path;
use std::process::Command;

/// Compiles a file under its path relative to the repository, so snapshots are stable.
fn compile(path: &Path) -> (String, payable::Compilation) {
    let root = root();
    let relative = path.strip_prefix(&root).unwrap_or(path).to_string_lossy().replace('\\', "/");
    let text = std::fs::read_to_string(path).expect("case files are readable");
    let compilation = std::env::set_current_dir(&root)
        .map(|_| payable::compile(&relative, &text, &FsLoader))
        .expect("the repository root exists");
    (relative, compilation)
}

fn rendered(c: &payable::Compilation) -> String {
    payable::diagnostic::render_human(&c.sources, &c.diagnostics, false)
}

fn codes(c: &payable::Compilation) -> Vec<&'static str> {
    c.diagnostics.iter().map(|d| d.code.id).collect()
}

/// A contract of the shape most cases share, with `cohorts` spliced in.
fn contract_with(cohorts: &str) -> String {
    format!(
        r#"contract "Employment support, Example Borough" {{
  currency GBP
  outcomes achievable from 2025-04-01 to 2028-03-31
  claims close 2028-09-30
  total cap 1_500_000 GBP
}}

participant {{
  referred: date
}}

event employment {{
  from: date
  to: date?
  hours: hours per week
}}

outcome sustained_employment "Sustained employment" {{
  achieved when employment.hours > 16 hours per week
    in at least 13 of the 26 calendar months after participant.referred
    counting any day
  pays 1_000 GBP
}}
{cohorts}"#
    )
}

#[test]
fn lint_cases_report_their_code() {
    insta::glob!("cases/lints/*.pay", |path| {
        let file = path.file_name().expect("a file").to_string_lossy().into_owned();
        if file.ends_with(".fixed.pay") {
            return;
        }
        let (name, c) = compile(path);
        let code = &file[..5];
        assert!(!c.has_errors(), "{name} should compile:\n{}", rendered(&c));
        assert!(c.ir.is_some(), "{name}: warnings never withhold the IR");
        assert!(codes(&c).contains(&code), "{name} should report {code}, but reported:\n{}", rendered(&c));
        assert!(
            c.diagnostics.iter().all(|d| d.severity == payable::diagnostic::Severity::Warning),
            "{name}: lints are warnings"
        );
        insta::assert_snapshot!(rendered(&c));
    });
}

#[test]
fn fixed_lint_cases_check_clean() {
    let mut seen = 0;
    insta::glob!("cases/lints/*.fixed.pay", |path| {
        let (name, c) = compile(path);
        assert!(c.diagnostics.is_empty(), "{name} should check clean:\n{}", rendered(&c));
        seen += 1;
    });
    assert_eq!(seen, payable::lint::CODES.len(), "every lint case has a fixed version");
}

#[test]
fn every_lint_has_a_code_a_name_and_a_case() {
    let cases: Vec<String> = std::fs::read_dir(root().join("tests/cases/lints"))
        .expect("tests/cases/lints exists")
        .map(|e| e.expect("readable").file_name().to_string_lossy().into_owned())
        .collect();
    for code in payable::lint::CODES {
        assert!(code.id.starts_with('W'), "{} is a warning code", code.id);
        let case = cases
            .iter()
            .find(|c| c.starts_with(code.id) && !c.ends_with(".fixed.pay"))
            .unwrap_or_else(|| panic!("no case for {}", code.id));
        let fixed = case.replace(".pay", ".fixed.pay");
        assert!(cases.contains(&fixed), "no {fixed}");
        if let Some(name) = payable::lint::name_of(*code) {
            assert!(case.contains(name), "{case} is named after its lint, `{name}`");
        }
    }
    let names: Vec<&str> = payable::lint::LINTS.iter().map(|l| l.name).collect();
    for name in &names {
        assert!(name.chars().all(|c| c.is_ascii_lowercase() || c == '_'), "`{name}` is snake_case");
    }
    let mut unique = names.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), names.len(), "lint names are unique");
}

/// The design's example contract is the one whose cohort bonus is the textbook cliff edge;
/// the example accepts it with a reason, and without that `allow` the lint fires on it.
#[test]
fn the_design_example_raises_the_cliff_edge_on_half_in_work() {
    let example =
        std::fs::read_to_string(root().join("examples/youth_employment.pay")).expect("the example exists");
    let design: String =
        example.lines().filter(|l| !l.trim_start().starts_with("allow(")).map(|l| format!("{l}\n")).collect();
    assert_ne!(design, example, "the example accepts its lints with `allow` lines");
    let c = payable::compile("examples/youth_employment.pay", &design, &NoFiles);
    let cliff = c
        .diagnostics
        .iter()
        .find(|d| d.code == payable::lint::W_CLIFF_EDGE)
        .unwrap_or_else(|| panic!("no cliff-edge warning:\n{}", rendered(&c)));
    assert!(cliff.message.contains("`half_in_work`"), "{}", cliff.message);
    let span = cliff.primary_span().expect("the warning points at the payment");
    let start = design.find("cohort outcome half_in_work").expect("the design has half_in_work");
    let end = start + design[start..].find("\n}").expect("the outcome ends");
    assert!(
        (span.start as usize) > start && (span.end as usize) <= end,
        "the warning points inside `half_in_work`"
    );

    // As shipped, the example accepts it, with its reason in the IR.
    let shipped = payable::compile("examples/youth_employment.pay", &example, &NoFiles);
    assert!(shipped.diagnostics.is_empty(), "{}", rendered(&shipped));
    let ir = shipped.ir.expect("a whole contract");
    let half = ir.cohort_outcomes.iter().find(|c| c.name == "half_in_work").expect("half_in_work");
    assert_eq!(half.allows.len(), 1);
    assert_eq!(half.allows[0].lint, "cliff_edge");
    assert!(half.allows[0].reason.contains("design"), "{}", half.allows[0].reason);
}

#[test]
fn an_allow_silences_one_lint_on_one_item_and_is_kept_in_the_ir() {
    let cohort = |name: &str, allow: &str| {
        format!(
            "\n{allow}\ncohort outcome {name} \"{name}\" {{\n  cohort participants referred from 2025-04-01 to 2025-09-30\n  achieved when share achieving sustained_employment >= 50%\n  pays 75_000 GBP\n}}\n"
        )
    };
    let text = contract_with(&format!(
        "{}{}",
        cohort("bonus_a", "allow(cliff_edge, reason = \"the commissioner funds the bonus only at 50%\")"),
        cohort("bonus_b", "")
    ));
    let c = payable::compile("allows.pay", &text, &NoFiles);
    let cliffs: Vec<&payable::diagnostic::Diagnostic> =
        c.diagnostics.iter().filter(|d| d.code == payable::lint::W_CLIFF_EDGE).collect();
    assert_eq!(cliffs.len(), 1, "{}", rendered(&c));
    assert!(cliffs[0].message.contains("`bonus_b`"));
    let ir = c.ir.expect("warnings do not withhold the IR");
    let first = &ir.cohort_outcomes[0];
    assert_eq!(first.allows[0].lint, "cliff_edge");
    assert_eq!(first.allows[0].reason, "the commissioner funds the bonus only at 50%");
    assert!(ir.cohort_outcomes[1].allows.is_empty());
    assert!(ir.outcomes[0].allows.is_empty());
    assert!(payable::lower::verify(&ir).is_empty(), "the hash covers the allows");

    // An allow for another lint silences nothing here.
    let other = contract_with(&cohort("bonus", "allow(no_total_cap, reason = \"not this one\")"));
    let c = payable::compile("other.pay", &other, &NoFiles);
    assert_eq!(codes(&c), vec!["W0001"], "{}", rendered(&c));
}

#[test]
fn allows_with_no_reason_or_an_unknown_lint_allow_nothing() {
    let cohort = |allow: &str| {
        format!(
            "\n{allow}\ncohort outcome half \"Half\" {{\n  cohort participants referred from 2025-04-01 to 2025-09-30\n  achieved when share achieving sustained_employment >= 50%\n  pays 75_000 GBP\n}}\n"
        )
    };
    let blank = payable::compile(
        "blank.pay",
        &contract_with(&cohort("allow(cliff_edge, reason = \"  \")")),
        &NoFiles,
    );
    assert_eq!(codes(&blank), vec!["W0012", "W0001"], "{}", rendered(&blank));
    assert!(blank.ir.expect("compiles").cohort_outcomes[0].allows.is_empty());

    let typo =
        payable::compile("typo.pay", &contract_with(&cohort("allow(cliff_edg, reason = \"x\")")), &NoFiles);
    assert_eq!(codes(&typo), vec!["W0011", "W0001"], "{}", rendered(&typo));
    assert_eq!(typo.diagnostics[0].help.as_deref(), Some("did you mean `cliff_edge`?"));

    let nonsense =
        payable::compile("nonsense.pay", &contract_with(&cohort("allow(zzz, reason = \"x\")")), &NoFiles);
    assert!(
        nonsense.diagnostics[0].help.as_deref().is_some_and(|h| h.contains("cliff_edge, payment_by_number"))
    );
}

#[test]
fn cohort_members_who_join_too_late_are_out_of_time() {
    let text = contract_with(
        "\ncohort outcome half \"Half\" {\n  cohort participants referred from 2025-04-01 to 2027-09-30\n  achieved when share achieving sustained_employment >= 50%\n  pays tiers { from 40%: 50_000 GBP, from 50%: 75_000 GBP }\n}\n",
    );
    let c = payable::compile("late.pay", &text, &NoFiles);
    assert_eq!(codes(&c), vec!["W0005"], "{}", rendered(&c));
    // Referred on 2027-02-28: the 13th calendar month from March 2027 ends on 2028-03-31,
    // the achievable period's last day. A day later, it ends a month too late.
    assert!(c.diagnostics[0].message.contains("after 2027-02-28"), "{}", c.diagnostics[0].message);
}

#[test]
fn windows_fixed_by_dates_are_checked_exactly() {
    let outcome = |window: &str| {
        contract_with(&format!(
            "\noutcome fixed \"Fixed\" {{\n  achieved when employment.hours > 30 hours per week\n    for 30 consecutive weeks {window}\n    counting every day\n  pays 100 GBP\n}}\n"
        ))
    };
    // 30 weeks (210 days) from 2027-09-01 end on 2028-03-28: in time.
    let ok = payable::compile("ok.pay", &outcome("between 2027-09-01 and 2028-09-30"), &NoFiles);
    assert!(ok.diagnostics.is_empty(), "{}", rendered(&ok));
    // From 2027-09-04 they end on 2028-03-31, the last achievable day; from 2027-09-05, on
    // 2028-04-01: too late.
    let last = payable::compile("last.pay", &outcome("between 2027-09-04 and 2028-09-30"), &NoFiles);
    assert!(last.diagnostics.is_empty(), "{}", rendered(&last));
    let late = payable::compile("late.pay", &outcome("between 2027-09-05 and 2028-09-30"), &NoFiles);
    assert_eq!(codes(&late), vec!["W0005"], "{}", rendered(&late));
    let early = payable::compile("early.pay", &outcome("between 2024-01-01 and 2025-03-31"), &NoFiles);
    assert_eq!(codes(&early), vec!["W0005"], "{}", rendered(&early));
    assert!(early.diagnostics[0].message.contains("before the achievable period begins"));
}

#[test]
fn double_payment_needs_one_outcome_to_imply_the_other() {
    let pair = |a: &str, b: &str, extra: &str| {
        contract_with(&format!(
            "\noutcome a \"A\" {{\n  achieved when employment.hours >= {a} hours per week within 12 months after participant.referred\n  pays 100 GBP\n}}\n\noutcome b \"B\" {{\n  achieved when employment.hours >= {b} hours per week within 12 months after participant.referred\n{extra}  pays 200 GBP\n}}\n"
        ))
    };
    let c = payable::compile("pair.pay", &pair("16", "30", ""), &NoFiles);
    assert_eq!(codes(&c), vec!["W0008"], "{}", rendered(&c));
    assert!(c.diagnostics[0].message.starts_with("whenever `b` is achieved, `a`"));
    for extra in ["  requires a\n", "  excludes a\n"] {
        let c = payable::compile("pair.pay", &pair("16", "30", extra), &NoFiles);
        assert!(c.diagnostics.is_empty(), "{extra}: {}", rendered(&c));
    }
    // The same condition twice is reported once.
    let c = payable::compile("same.pay", &pair("16", "16", ""), &NoFiles);
    assert_eq!(codes(&c), vec!["W0008"], "{}", rendered(&c));
}

#[test]
fn deny_warnings_fails_on_any_warning() {
    let case = "tests/cases/lints/W0001_cliff_edge.pay";
    assert_eq!(payable(&["check", case]).status.code(), Some(0), "warnings alone do not fail");
    let denied = payable(&["check", case, "--deny", "warnings", "--color", "never"]);
    assert_eq!(denied.status.code(), Some(1));
    assert!(text(&denied.stderr).contains("warnings are denied"), "{}", text(&denied.stderr));
    let fixed = payable(&["check", "tests/cases/lints/W0001_cliff_edge.fixed.pay", "--deny", "warnings"]);
    assert_eq!(fixed.status.code(), Some(0), "{}", text(&fixed.stderr));
    let json = payable(&["check", case, "--deny", "warnings", "--format", "json"]);
    assert_eq!(json.status.code(), Some(1));
    assert!(
        payable(&["check", case, "--deny", "errors"]).status.code() == Some(2),
        "only warnings can be denied"
    );
}

#[test]
fn every_example_and_standard_module_passes_deny_warnings() {
    let out = payable(&["check", "examples", "stdlib", "--deny", "warnings", "--color", "never"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("no problems"), "{}", text(&out.stderr));
}

#[test]
fn sarif_output_is_valid_against_the_official_schema() {
    let schema_text = std::fs::read_to_string(root().join("tests/sarif/sarif-schema-2.1.0.json"))
        .expect("the SARIF schema is shipped in tests/sarif/");
    let schema: serde_json::Value = serde_json::from_str(&schema_text).expect("the schema is JSON");
    assert!(jsonschema::draft4::meta::is_valid(&schema), "the shipped schema is a valid draft-4 schema");
    let validator = jsonschema::draft4::options()
        .should_validate_formats(true)
        .build(&schema)
        .expect("the schema compiles");

    let out = payable(&[
        "check",
        "--format",
        "sarif",
        "tests/cases/lints",
        "tests/cases/errors/E0011_gbp_plus_eur.pay",
        "tests/cases/errors/E0014_missing_case_in_pays_by.pay",
        "examples",
    ]);
    assert_eq!(out.status.code(), Some(1), "an error case fails the check");
    let log: serde_json::Value = serde_json::from_slice(&out.stdout).expect("SARIF is JSON");
    let errors: Vec<String> =
        validator.iter_errors(&log).map(|e| format!("{e} at {}", e.instance_path())).collect();
    assert!(errors.is_empty(), "the SARIF log is not valid:\n{}", errors.join("\n"));

    let run = &log["runs"][0];
    let driver = &run["tool"]["driver"];
    assert_eq!(driver["name"], "payable");
    assert_eq!(driver["version"], env!("CARGO_PKG_VERSION"));
    assert!(driver["informationUri"].as_str().is_some_and(|u| !u.is_empty()));
    let rules = driver["rules"].as_array().expect("rules");
    let all: Vec<(&str, &str)> = payable::diagnostic::CODES
        .iter()
        .map(|c| (c.id, "error"))
        .chain(payable::lint::CODES.iter().map(|c| (c.id, "warning")))
        .collect();
    assert_eq!(rules.len(), all.len(), "a rule for every code");
    for (rule, (id, level)) in rules.iter().zip(&all) {
        assert_eq!(rule["id"], *id);
        assert_eq!(rule["defaultConfiguration"]["level"], *level);
        for field in ["name", "shortDescription", "fullDescription", "help"] {
            assert!(!rule[field].is_null(), "{id} has no {field}");
        }
        let full = rule["fullDescription"]["text"].as_str().unwrap_or_default();
        assert!(full.len() > 60, "{id}: the full description is the reference's explanation: {full}");
        let markdown = rule["help"]["markdown"].as_str().unwrap_or_default();
        assert!(markdown.contains("```pay"), "{id}: the help shows the example and the fix");
        assert!(
            rule["help"]["text"].as_str().is_some_and(|t| t.contains("Fix:")),
            "{id}: the help says the fix"
        );
    }
    let results = run["results"].as_array().expect("results");
    for id in ["E0011", "E0014", "W0001", "W0010", "W0012"] {
        assert!(results.iter().any(|r| r["ruleId"] == id), "a result for {id}");
    }
    for r in results {
        let index = r["ruleIndex"].as_u64().expect("ruleIndex") as usize;
        assert_eq!(rules[index]["id"], r["ruleId"], "ruleIndex points at the rule");
        let location = &r["locations"][0]["physicalLocation"];
        assert!(location["artifactLocation"]["uri"].as_str().is_some_and(|u| u.ends_with(".pay")));
        for key in ["startLine", "startColumn", "endLine", "endColumn"] {
            assert!(location["region"][key].as_u64().is_some_and(|n| n >= 1), "{key} in {r}");
        }
    }
    let cliff = results.iter().find(|r| r["ruleId"] == "W0001").expect("a cliff edge");
    assert_eq!(cliff["level"], "warning");
    assert_eq!(
        cliff["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "tests/cases/lints/W0001_cliff_edge.pay"
    );
    assert_eq!(cliff["locations"][0]["physicalLocation"]["region"]["startLine"], 29);
}

#[test]
fn sarif_uris_are_encoded() {
    let out = Command::new(env!("CARGO_BIN_EXE_payable"))
        .args(["check", "--format", "sarif", "-"])
        .current_dir(root())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            let text = std::fs::read_to_string(root().join("tests/cases/lints/W0004_no_total_cap.pay"))?;
            child.stdin.take().expect("piped").write_all(text.as_bytes())?;
            child.wait_with_output()
        })
        .expect("the binary runs");
    let log: serde_json::Value = serde_json::from_slice(&out.stdout).expect("SARIF is JSON");
    assert_eq!(
        log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "%3Cstdin%3E"
    );
}
