//! The evaluator's fast paths give the decisions of its general paths. Explaining turns every
//! fast path off (the general paths note the working), so each contract's synthetic cohort is
//! decided both ways, at several dates, and the decisions must agree but for the working.
//! Cohort outcomes are tallied both as the plan says and as if they read every definition
//! and outcome date (which clears the definitions' cache and gathers the dates), their
//! membership evaluated rather than tested field by field.

use payable::eval::cohort::Tally;
use payable::eval::day::Day;
use payable::eval::decide::{self, Decision, Scratch};
use payable::eval::generate::generate;
use payable::eval::input::{EventFile, Inputs, Ordering, TimelineReader};
use payable::eval::interpret::Known;
use payable::eval::plan;
use payable::eval::value::Timeline;
use payable::resolve::FsLoader;
use std::path::{Path, PathBuf};

fn contracts() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut paths = Vec::new();
    for folder in ["examples", "tests/cases/eval"] {
        for entry in std::fs::read_dir(root.join(folder)).expect("folder exists") {
            let path = entry.expect("readable").path();
            if path.extension().is_some_and(|x| x == "pay") {
                paths.push(path);
            }
        }
    }
    paths.sort();
    paths
}

fn without_working(decisions: &[Decision]) -> Vec<Decision> {
    decisions.iter().cloned().map(|d| Decision { trace: Vec::new(), ..d }).collect()
}

/// `participants.csv` and `events.csv` in `dir`, events grouped by participant.
fn grouped(dir: &Path) -> Inputs {
    Inputs {
        participants: dir.join("participants.csv"),
        events: vec![EventFile { path: dir.join("events.csv"), event: None }],
        format: None,
        ordering: Ordering::Grouped,
    }
}

/// The participant's decisions with the fast paths are those without them, but for the working.
fn assert_fast_as_general(
    plan: &plan::Plan,
    contract: &payable::ir::Contract,
    timeline: &Timeline,
    as_of: Day,
    name: &str,
) {
    let fast = decide::decide(plan, contract, timeline, as_of, false);
    let general = decide::decide(plan, contract, timeline, as_of, true);
    assert_eq!(
        fast,
        without_working(&general),
        "{name}, participant {}, as of {as_of}",
        timeline.participant.id
    );
}

#[test]
fn fast_paths_decide_as_the_general_paths_do() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    std::env::set_current_dir(root).expect("root exists");
    let mut compared = 0;
    for path in contracts() {
        let text = std::fs::read_to_string(&path).expect("readable");
        let name = path.to_string_lossy().to_string();
        let Some(contract) = payable::compile(&name, &text, &FsLoader).ir else { continue };
        let plan = plan::compile(&contract).expect("plans");
        // The same plan, its cohorts tallied as if they read definitions and outcomes' dates.
        let mut thorough = plan::compile(&contract).expect("plans");
        for cohort in &mut thorough.cohorts {
            cohort.reads_definitions_or_dates = true;
            cohort.members_test = None;
        }
        let dir = tempfile::tempdir().expect("temp dir");
        generate(&contract, 400, 7, dir.path()).expect("generates");
        for as_of in ["2025-06-30", "2026-03-31", "2027-03-31", "2029-12-31"] {
            let as_of = Day::parse(as_of).expect("a date");
            let mut reader = TimelineReader::open(&contract, &grouped(dir.path())).expect("opens");
            let mut timeline = Timeline::default();
            let mut tallies = vec![(Tally::default(), Tally::default()); plan.cohorts.len()];
            let (mut scratch, mut decisions) = (Scratch::default(), Vec::new());
            while reader.next_timeline_into(&mut timeline) {
                let events = contract.events.len();
                let known = Known::new(&timeline.participant, &timeline.events, events, as_of);
                decide::decide_into(&plan, &contract, &known, false, &mut scratch, &mut decisions);
                for (i, (fast, general)) in tallies.iter_mut().enumerate() {
                    fast.observe(&plan.cohorts[i], &plan, &known, &decisions, &mut scratch);
                    general.observe(&thorough.cohorts[i], &thorough, &known, &decisions, &mut scratch);
                    assert_eq!(fast, general, "{name}, cohort {i}, participant {}", timeline.participant.id);
                }
                assert_fast_as_general(&plan, &contract, &timeline, as_of, &name);
                compared += 1;
            }
            assert!(reader.errors().is_empty(), "{name}: {:?}", reader.errors());
        }
    }
    assert!(compared > 10_000, "only {compared} participants compared");
}

/// The month-counting fast path finds a clause's first whole month from the participant's
/// date alone: born on every day of three years (1sts, month ends, 29 February), the months
/// counted from and after the date moved by whole years, with spells that start and end
/// around those months, and at several dates.
#[test]
fn months_counted_from_a_participants_date_begin_where_the_general_path_begins_them() {
    let text = r#"
contract "Months from a date" {
  currency GBP
  outcomes achievable from 2020-01-01 to 2030-12-31
  claims close 2031-06-30
}
participant { born: date }
event job {
  from: date
  to: date?
  hours: hours per week
}
let sixteenth = participant.born + 16 years
allow(default_counting, reason = "the default rule is the one under test")
outcome counted_after "After" {
  achieved when job.hours > 16 hours per week in at least 2 of the 3 calendar months after sixteenth
  pays 100 GBP
}
allow(default_counting, reason = "the default rule is the one under test")
outcome counted_from "From" {
  achieved when job.hours > 16 hours per week in at least 2 of the 3 calendar months from sixteenth
  pays 100 GBP
}
"#;
    let compiled = payable::compile("months.pay", text, &FsLoader);
    let contract = compiled.ir.unwrap_or_else(|| panic!("compiles: {:?}", compiled.diagnostics));
    let plan = plan::compile(&contract).expect("plans");
    let dir = tempfile::tempdir().expect("temp dir");
    let (mut people, mut jobs) =
        (String::from("id,born\n"), String::from("participant,type,from,to,hours\n"));
    let first = Day::parse("2007-01-01").expect("a date");
    for k in 0..1096 {
        let born = first.plus_days(k);
        let sixteenth = born.plus_months(192);
        people.push_str(&format!("P{k},{born}\n"));
        // A spell from a few days before or after the sixteenth birthday, of a few weeks to
        // a few months, open for some.
        let from = sixteenth.plus_days(k % 7 * 9 - 20);
        let to = if k % 5 == 0 { String::new() } else { from.plus_days(k % 11 * 13 + 20).to_string() };
        jobs.push_str(&format!("P{k},job,{from},{to},{}\n", 15 + k % 4));
    }
    std::fs::write(dir.path().join("participants.csv"), people).expect("writes");
    std::fs::write(dir.path().join("events.csv"), jobs).expect("writes");
    let mut compared = 0;
    for as_of in ["2023-02-10", "2023-07-31", "2024-01-15", "2026-12-31"] {
        let as_of = Day::parse(as_of).expect("a date");
        let mut reader = TimelineReader::open(&contract, &grouped(dir.path())).expect("opens");
        let mut timeline = Timeline::default();
        while reader.next_timeline_into(&mut timeline) {
            assert_fast_as_general(&plan, &contract, &timeline, as_of, "months.pay");
            compared += 1;
        }
        assert!(reader.errors().is_empty(), "{:?}", reader.errors());
    }
    assert_eq!(compared, 4 * 1096);
}
