//! `payable explain`: every example and stdlib module explained, snapshotted in the words a
//! non-programmer reads; the explanation follows the IR (a different counting rule reads
//! differently); the command line's options, errors and exit codes.
//!
//! New files under `examples/` and `stdlib/` get snapshots automatically (globs).

mod common;

use common::{payable, root, text};
use payable::explain::{self, Format};
use payable::resolve::FsLoader;
use std::path::Path;

/// The file's path relative to the repository, so that snapshots do not depend on where
/// the repository is.
fn relative(path: &Path) -> String {
    path.strip_prefix(root()).unwrap_or(path).to_string_lossy().replace('\\', "/")
}

fn contract(path: &Path) -> payable::ir::Contract {
    let text = std::fs::read_to_string(path).expect("the file is readable");
    std::env::set_current_dir(root()).expect("the repository root exists");
    let c = payable::compile(&relative(path), &text, &FsLoader);
    c.ir.unwrap_or_else(|| panic!("{} should compile to a contract", relative(path)))
}

fn explained(path: &Path, format: Format) -> String {
    explain::render(&explain::contract(&contract(path)), format)
}

/// One glob over both folders, so that every snapshot is named by its path
/// (`examples/justice.pay`, `stdlib/calendar.pay`) however many files each holds.
#[test]
fn every_example_and_stdlib_module_is_explained() {
    insta::glob!("..", "{examples,stdlib}/*.pay", |path| {
        let name = relative(path);
        // A module's `NAME.tests.pay` is its test contract, not part of the library.
        if name.ends_with(".tests.pay") {
            return;
        }
        if name.starts_with("examples/") {
            insta::assert_snapshot!(explained(path, Format::Text));
            return;
        }
        let text = std::fs::read_to_string(path).expect("the module is readable");
        let m = payable::compile_module(&name, &text, &FsLoader);
        let module = m.module.unwrap_or_else(|| panic!("{name} should check as a module"));
        assert!(!module.definitions.is_empty(), "{name} should define something");
        let text = explain::render(&explain::module(&module), Format::Text);
        for d in &module.definitions {
            let words = d.name.rsplit('.').next().unwrap_or(&d.name).replace('_', " ");
            assert!(text.contains(&format!("“{words}”")), "{name} should explain `{}`", d.name);
        }
        insta::assert_snapshot!(text);
    });
}

/// Every contract of the corpus explains, and the English names things in words: no
/// `snake_case` or braces outside the `quoted` declared names.
#[test]
fn every_contract_of_the_corpus_reads_as_words() {
    insta::glob!("..", "{examples,tests/cases/ok,tests/cases/eval}/*.pay", |path| {
        let text = explained(path, Format::Text);
        let words: String = text.split('`').step_by(2).collect();
        for (i, line) in words.lines().enumerate() {
            assert!(
                !line.contains(['_', '{', '}']),
                "{}: line {} of its explanation is not in words: {line}",
                relative(path),
                i + 1
            );
        }
    });
}

#[test]
fn the_design_example_in_markdown_and_html() {
    let path = root().join("examples/youth_employment.pay");
    insta::assert_snapshot!("youth_employment_markdown", explained(&path, Format::Markdown));
    let html = explained(&path, Format::Html);
    insta::assert_snapshot!("youth_employment_html", html);
    assert!(html.starts_with("<!DOCTYPE html>") && html.ends_with("</html>\n"));
    assert!(!html.contains("<script") && !html.contains("http"), "the page is standalone");
    assert_eq!(html, explained(&path, Format::Html), "the page is the same every time");
}

#[test]
fn the_canonical_clause_reads_like_the_contract() {
    let text = explained(&root().join("examples/youth_employment.pay"), Format::Text).replace('\n', " ");
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    for needle in [
        "the participant has been in employment of more than 16 hours per week in at least 13 of the 26 calendar months \
following their sixteenth birthday (date of birth plus 16 years)",
        "A calendar month counts if the participant was in employment of more than 16 hours per week on at least one day \
of the calendar month. This is the default rule: the contract does not say how a calendar month counts.",
        "It pays according to their group: £1,000.00 if “ready”; £1,600.00 if “needs support”; £2,400.00 if “complex”.",
        "Claims close on 30 September 2028",
        "from 1 April 2025 to 31 March 2028",
        "The reason given: mirrors the design, which leaves the counting rule to the default (note 2).",
    ] {
        assert!(text.contains(needle), "missing: {needle}\n\n{text}");
    }
}

/// The youth employment contract with its counting rule replaced.
fn with_counting(rule: &str) -> payable::ir::Contract {
    let text = std::fs::read_to_string(root().join("examples/youth_employment.pay")).expect("readable");
    let text = text.replace(
        "in at least 13 of the 26 calendar months after sixteenth_birthday\n",
        &format!("in at least 13 of the 26 calendar months after sixteenth_birthday {rule}\n"),
    );
    let c = payable::compile("counting.pay", &text, &FsLoader);
    c.ir.expect("the contract compiles with any counting rule")
}

/// Wrapped text as logical lines: a paragraph or a list item each, whitespace collapsed.
fn logical_lines(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut fresh = true;
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() {
            fresh = true;
        } else if fresh || line.starts_with("- ") {
            out.push(line.to_string());
            fresh = false;
        } else if let Some(last) = out.last_mut() {
            last.push(' ');
            last.push_str(line);
        }
    }
    out
}

/// The logical lines of `a` that `b` does not have.
fn differing(a: &str, b: &str) -> Vec<String> {
    let b = logical_lines(b);
    logical_lines(a).into_iter().filter(|l| !b.contains(l)).collect()
}

#[test]
fn a_different_counting_rule_explains_differently() {
    let by_default =
        explain::outcome_text(&with_counting(""), "sustained_employment").expect("the outcome exists");
    let every_day = explain::outcome_text(&with_counting("counting every day"), "sustained_employment")
        .expect("the outcome exists");
    let fifteen = explain::outcome_text(&with_counting("counting at least 15 days"), "sustained_employment")
        .expect("the outcome exists");
    assert_eq!(
        differing(&every_day, &by_default),
        [
            "- A calendar month counts if the participant was in employment of more than 16 hours per week on every day of the \
calendar month."
        ]
    );
    assert_eq!(
        differing(&fifteen, &by_default),
        [
            "- A calendar month counts if the participant was in employment of more than 16 hours per week on at least 15 days \
of the calendar month."
        ]
    );
    assert_eq!(
        differing(&by_default, &every_day),
        [
            "- A calendar month counts if the participant was in employment of more than 16 hours per week on at least one day \
of the calendar month. This is the default rule: the contract does not say how a calendar month counts."
        ]
    );
}

#[test]
fn outcome_text_explains_one_outcome_or_none() {
    let ir = contract(&root().join("examples/youth_employment.pay"));
    let text = explain::outcome_text(&ir, "sustained_employment").expect("the outcome exists");
    assert!(text.starts_with("Sustained employment (`sustained_employment`)\n"), "{text}");
    assert!(text.contains("£2,400.00"));
    assert!(!text.contains("Improved wellbeing"), "only the one outcome: {text}");
    let cohort = explain::outcome_text(&ir, "half_in_work").expect("cohort outcomes are outcomes too");
    let cohort = cohort.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(cohort.contains("is at least 50%"), "{cohort}");
    assert_eq!(explain::outcome_text(&ir, "no_such_outcome"), None);
}

#[test]
fn cli_explains_one_outcome() {
    let out = payable(&["explain", "examples/youth_employment.pay", "--outcome", "improved_wellbeing"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("Improved wellbeing"));
    assert!(!stdout.contains("Sustained employment ("), "only the outcome asked for: {stdout}");
    // The terms that bind its payment come with it: a validator reading one outcome must not
    // miss the total cap or the rounding.
    assert!(stdout.contains("Terms of the contract that apply to it"), "{stdout}");
    assert!(stdout.contains("The contract pays at most £1,500,000.00 in all."), "{stdout}");
}

#[test]
fn cli_unknown_outcome_is_a_usage_error_with_a_suggestion() {
    let out = payable(&["explain", "examples/youth_employment.pay", "--outcome", "sustained_employmnet"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let stderr = text(&out.stderr);
    assert!(stderr.contains("has no outcome `sustained_employmnet`"), "{stderr}");
    assert!(stderr.contains("did you mean `sustained_employment`?"), "{stderr}");
    let out = payable(&["explain", "examples/youth_employment.pay", "--outcome", "zzz"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr)
            .contains("its outcomes are `sustained_employment`, `improved_wellbeing`, `half_in_work`")
    );
}

#[test]
fn cli_formats() {
    let md = payable(&["explain", "examples/justice.pay", "--format", "markdown"]);
    assert_eq!(md.status.code(), Some(0));
    assert!(text(&md.stdout).starts_with("# Reducing reoffending"));
    let html = payable(&["explain", "examples/justice.pay", "--format", "html"]);
    assert_eq!(html.status.code(), Some(0));
    assert!(text(&html.stdout).starts_with("<!DOCTYPE html>"));
    let bad = payable(&["explain", "examples/justice.pay", "--format", "pdf"]);
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn cli_a_file_with_errors_prints_diagnostics_and_exits_one() {
    let out = payable(&["explain", "tests/cases/errors/E0011_gbp_plus_eur.pay", "--color", "never"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty(), "nothing is explained from a broken contract");
    let stderr = text(&out.stderr);
    assert!(stderr.contains("E0011"), "{stderr}");
    assert!(stderr.contains("was not explained"), "{stderr}");
}

#[test]
fn cli_explains_a_module() {
    let out = payable(&["explain", "stdlib/calendar.pay"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("financial year start"));
    let out = payable(&["explain", "stdlib/calendar.pay", "--outcome", "x"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("is a module"));
}

/// A small contract for the phrasing rules: a spell named as a state (`employment`), a
/// spell named as a thing (`school_week`), a record on one day, and a module-style rate.
const PHRASING: &str = r#"
contract "Phrasing" {
  currency GBP
  outcomes achievable from 2025-04-01 to 2028-03-31
  claims close 2028-09-30
}
participant {
  joined: date
}
event employment {
  from: date
  to: date
  hours: hours per week
  on_benefit: bool
}
event school_week {
  from: date
  to: date
  holiday: bool
  incidents: int?
}
event qualification {
  on: date
  level: 0..8
}
let full_time = employment.hours >= 30 hours per week and not employment.on_benefit
let recent = qualification.on > participant.joined and qualification.on <= participant.joined + 12 months
outcome job_entry "Job entry" {
  achieved when employment where employment.from > participant.joined after participant.joined
  pays 100 GBP
}
outcome off_benefit "Off benefit" {
  achieved when employment where not employment.on_benefit
    for 4 consecutive weeks
    after participant.joined
    counting every day
  pays 100 GBP
}
outcome behaviour "Behaviour" {
  achieved when school_week where school_week.holiday or (school_week.incidents ?? 1) == 0
    for 13 consecutive calendar weeks
    after participant.joined
    counting every day
  pays 100 GBP
}
outcome level_2 "Level 2" {
  achieved when qualification where qualification.level == 2 after participant.joined
  pays 100 GBP
}
"#;

fn phrasing() -> String {
    let c = payable::compile("phrasing.pay", PHRASING, &FsLoader);
    let ir = c.ir.unwrap_or_else(|| panic!("the phrasing contract compiles: {:?}", c.diagnostics));
    collapsed(&explain::render(&explain::contract(&ir), Format::Text))
}

#[test]
fn a_spell_s_bounds_read_as_when_it_started_or_ended() {
    let text = phrasing();
    assert!(
        text.contains("has been in employment that started after the date they joined, on any day"),
        "{text}"
    );
    assert!(!text.contains("from date"), "{text}");
}

#[test]
fn a_record_s_own_fields_read_as_a_relative_clause() {
    let text = phrasing();
    assert!(text.contains("there is a qualification record whose level is 2,"), "{text}");
    assert!(
        text.contains("has been in employment that is not marked “on benefit”, for 4 weeks in a row"),
        "{text}"
    );
}

#[test]
fn a_spell_named_as_a_thing_is_a_record_that_covers_the_day() {
    let text = phrasing();
    assert!(
        text.contains(
            "has been covered by a school week record where either the school week is marked “holiday” \
or its incidents (or 1 when there is none) are 0, for 13 calendar weeks in a row"
        ),
        "{text}"
    );
    assert!(!text.contains("in school week"), "{text}");
}

#[test]
fn a_plural_field_takes_are_and_a_yes_or_no_field_is_a_mark() {
    let text = phrasing();
    assert!(text.contains("It holds when the employment's hours are at least 30 hours per week and the employment is not marked “on benefit”."), "{text}");
}

#[test]
fn a_range_with_an_open_end_names_its_subject_once() {
    let text = phrasing();
    assert!(
        text.contains(
            "It holds when the date of the qualification is after the date they joined and on or before the date they \
joined plus 12 months."
        ),
        "{text}"
    );
}

/// `rate * n * 1 week` is lowered to `(rate * n * 7 days) / 7`: it reads as it was written.
#[test]
fn a_rate_times_a_length_of_time_reads_without_the_rescale() {
    let text = std::fs::read_to_string(root().join("stdlib/employment.pay")).expect("readable");
    let m = payable::compile_module("stdlib/employment.pay", &text, &FsLoader);
    let module = m.module.expect("the module checks");
    let text = explain::render(&explain::module(&module), Format::Text);
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(text.contains("It is `weekly` times `week_count` weeks."), "{text}");
    assert!(text.contains("It is `start` plus `week_count` weeks minus 1 day."), "{text}");
    assert!(text.contains("`rate` (an amount of money in GBP per hour)"), "{text}");
    assert!(!text.contains("divided by 7"), "{text}");
}

/// A contract for the rules on repetition, yes-or-no participant fields and totals: an open
/// spell, a participant's mark, money and hours added up.
const TOTALS: &str = r#"
contract "Totals" {
  currency GBP
  outcomes achievable from 2025-04-01 to 2028-03-31
  claims close 2028-09-30
}
participant {
  joined: date
  complex_needs: bool
}
event employment {
  from: date
  to: date?
  hours: hours per week
}
event earnings {
  on: date
  gross: GBP
}
outcome housed "Housed" {
  achieved when employment after participant.joined
  pays if participant.complex_needs then 220 GBP else 120 GBP
}
outcome stayed "Stayed" {
  achieved when employment for 4 consecutive weeks after participant.joined
  pays if not participant.complex_needs then 100 GBP else 150 GBP
}
outcome earns "Earns" {
  achieved when sum of earnings.gross reaches 768 GBP after participant.joined
  pays 100 GBP
}
let top_pay = (max of earnings.gross within 12 months after participant.joined) ?? 0 GBP
"#;

fn totals() -> payable::ir::Contract {
    let c = payable::compile("totals.pay", TOTALS, &FsLoader);
    c.ir.unwrap_or_else(|| panic!("the totals contract compiles: {:?}", c.diagnostics))
}

fn collapsed(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The whole document says what an open spell means once, under Records; one outcome on its
/// own, without the Records section, still says it.
#[test]
fn an_open_spell_is_explained_once_in_a_document_and_with_a_lone_outcome() {
    let ir = totals();
    let whole = collapsed(&explain::render(&explain::contract(&ir), Format::Text));
    assert_eq!(whole.matches("spell with no end date").count(), 1, "{whole}");
    assert!(
        whole.contains("An employment spell with no end date was still going on at the date of evaluation"),
        "{whole}"
    );
    let one = collapsed(&explain::outcome_text(&ir, "housed").expect("the outcome exists"));
    assert!(!one.contains("Records"), "{one}");
    assert!(
        one.contains("An employment spell with no end date means the participant was still in it on the date of evaluation"),
        "{one}"
    );
}

#[test]
fn a_participant_s_yes_or_no_field_is_a_mark() {
    let text = collapsed(&explain::render(&explain::contract(&totals()), Format::Text));
    assert!(
        text.contains("It pays £220.00 if they are marked “complex needs”, otherwise £120.00."),
        "{text}"
    );
    assert!(
        text.contains("It pays £100.00 if they are not marked “complex needs”, otherwise £150.00."),
        "{text}"
    );
    assert!(!text.contains("is yes") && !text.contains("is no,"), "{text}");
}

/// A money field's name is often an adjective ("gross"): its total is of amounts.
#[test]
fn a_total_of_money_reads_as_amounts_of_their_records() {
    let text = collapsed(&explain::render(&explain::contract(&totals()), Format::Text));
    assert!(text.contains("the running total of the gross amounts of their earnings records,"), "{text}");
    assert!(text.contains("the highest gross amount among the earnings records"), "{text}");
    assert!(!text.contains("the gross in"), "{text}");
}
