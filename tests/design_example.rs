//! The design's example contract is the first acceptance test: `examples/youth_employment.pay`
//! must be the design's contract exactly as written, but for the changes documented in
//! `docs/reference.md` ("Changes from the design"), and must check clean (its lints accepted
//! with reasons).

use std::path::Path;

/// Each documented change: the design's text, and what the example writes instead. Besides
/// the baseline's event, the example accepts the three risks the lints find in the design's
/// contract with `allow` lines (see `tests/lints.rs`, which checks the lints still fire on
/// the design's text).
const DOCUMENTED_CHANGES: &[(&str, &str)] = &[
    ("from the first survey", "from the first wellbeing_survey"),
    (
        "outcome sustained_employment",
        "allow(default_counting, reason = \"mirrors the design, which leaves the counting rule to the default (note 2)\")\noutcome sustained_employment",
    ),
    (
        "outcome improved_wellbeing",
        "allow(self_reported_only, reason = \"mirrors the design: WEMWBS is self-completed by design, and the evidence is marked so that reports show it\")\noutcome improved_wellbeing",
    ),
    (
        "cohort outcome half_in_work",
        "allow(cliff_edge, reason = \"mirrors the design, whose cohort bonus is the textbook cliff edge (note 6)\")\ncohort outcome half_in_work",
    ),
];

fn design_contract(design: &str) -> String {
    let start =
        design.find("contract \"Youth Employment Programme").expect("the design has its example contract");
    let end = start + design[start..].find("\n```").expect("the example block ends");
    design[start..end].to_string()
}

#[test]
fn the_example_is_the_design_contract_with_only_documented_changes() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let example =
        std::fs::read_to_string(root.join("examples/youth_employment.pay")).expect("example exists");
    let reference = std::fs::read_to_string(root.join("docs/reference.md")).expect("reference exists");
    for (_, to) in DOCUMENTED_CHANGES {
        assert!(reference.contains(to), "the change to `{to}` is documented in docs/reference.md");
    }
    let code_start = example.find("contract \"").expect("the example has a contract");
    let example_code = example[code_start..].trim_end();

    // The design lives beside the repository (in `../shared/`); on a clone without it, the
    // documented changes are checked against the example alone.
    let design_path = root.join("../shared/DESIGN.md");
    match std::fs::read_to_string(&design_path) {
        Ok(design) => {
            let mut expected = design_contract(&design);
            for (from, to) in DOCUMENTED_CHANGES {
                assert!(expected.contains(from), "the design says `{from}`");
                expected = expected.replace(from, to);
            }
            assert_eq!(example_code, expected.trim_end());
        }
        Err(_) => {
            for (from, to) in DOCUMENTED_CHANGES {
                assert!(example_code.contains(to), "the example writes `{to}`");
                // A replacement leaves none of the design's words; an insertion keeps them.
                if !to.contains(from) {
                    assert!(!example_code.contains(from), "the example no longer says `{from}`");
                }
            }
        }
    }
}

#[test]
fn the_design_contract_checks_clean() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(root.join("examples/youth_employment.pay")).expect("example exists");
    let c = payable::compile("examples/youth_employment.pay", &text, &payable::resolve::NoFiles);
    let rendered = payable::diagnostic::render_human(&c.sources, &c.diagnostics, false);
    assert!(c.diagnostics.is_empty(), "{rendered}");
    let ir = c.ir.expect("a whole contract");
    assert_eq!(ir.outcomes.len(), 2);
    assert_eq!(ir.cohort_outcomes.len(), 1);
    assert_eq!(ir.tests[0].expects[0].on.as_deref(), Some("2026-04-30"));
    assert_eq!(ir.tests[0].expects[0].amount.map(|a| a.to_string()).as_deref(), Some("2400"));
}

#[test]
fn the_design_test_evaluates_as_written() {
    use payable::eval::{plan, scenario};
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(root.join("examples/youth_employment.pay")).expect("example exists");
    let ir = payable::compile("examples/youth_employment.pay", &text, &payable::resolve::NoFiles)
        .ir
        .expect("compiles");
    let plan = plan::compile(&ir).expect("plans");
    let test = &ir.tests[0];
    assert_eq!(test.name, "twenty hours a week for thirteen months after turning sixteen");
    let results = scenario::run(&ir, &plan, test).expect("runs");
    let decision = results[0].actual.as_ref().expect("decided");
    assert_eq!(decision.status, payable::eval::decide::Status::Achieved);
    assert_eq!(decision.date.map(|d| d.to_string()).as_deref(), Some("2026-04-30"));
    assert_eq!(decision.amount.map(|a| a.to_string()).as_deref(), Some("2400"));
    assert!(results[0].passed);
}
