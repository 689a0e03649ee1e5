//! Repeating outcomes, decided in full (the `test` blocks only check the first achievement).

use payable::eval::{day::Day, decide, plan, scenario};
use payable::resolve::FsLoader;

#[test]
fn a_repeating_outcome_is_measured_again_after_each_achievement_up_to_its_limit() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    std::env::set_current_dir(root).expect("root exists");
    let path = "tests/cases/eval/spells.pay";
    let text = std::fs::read_to_string(path).expect("readable");
    let ir = payable::compile(path, &text, &FsLoader).ir.expect("compiles");
    let plan = plan::compile(&ir).expect("plans");
    let test = ir
        .tests
        .iter()
        .find(|t| t.name.starts_with("a requirement is achieved first"))
        .expect("the test exists");
    let timeline = scenario::timeline(&ir, test).expect("valid");
    let decisions = decide::decide(&plan, &ir, &timeline, Day::parse("2025-12-31").unwrap(), false);
    let kept = ir.outcomes.iter().position(|o| o.name == "job_kept").unwrap();
    let repeats: Vec<(u32, Option<String>, Option<String>)> = decisions
        .iter()
        .filter(|d| d.outcome == kept)
        .map(|d| (d.repeat, d.date.map(|x| x.to_string()), d.amount.map(|a| a.to_string())))
        .collect();
    // First: the four weeks from 4 March end on 31 March. Second: measured from 1 April,
    // four weeks end on 28 April. The limit is two: nothing after.
    assert_eq!(
        repeats,
        vec![
            (1, Some("2025-03-31".into()), Some("50".into())),
            (2, Some("2025-04-28".into()), Some("50".into())),
        ]
    );
}
