//! The `test` blocks of a contract, run: each gives one participant's timeline and the
//! statuses expected of it.

use super::day::Day;
use super::decide::{Decision, Status, decide};
use super::plan::Plan;
use super::value::{EventRecord, Origin, Participant, Timeline, Value};
use crate::ir;

/// One expectation of a test, and what evaluation decided.
#[derive(Debug)]
pub struct Checked<'c> {
    pub expectation: &'c ir::TestExpectation,
    /// The decision on the first achievement of the outcome (or its status).
    pub actual: Option<Decision>,
    pub passed: bool,
}

/// A test's timeline: the given participant and records.
pub fn timeline(contract: &ir::Contract, test: &ir::Test) -> Result<Timeline, String> {
    let participant = Participant {
        id: "test".to_string(),
        fields: contract
            .participant
            .fields
            .iter()
            .map(|f| value_of(contract, test.participant.iter().find(|v| v.field == f.name)))
            .collect::<Result<_, _>>()?,
        origin: Origin::default(),
    };
    let mut events = Vec::new();
    for (n, given) in test.events.iter().enumerate() {
        let event = contract
            .events
            .iter()
            .position(|e| e.name == given.event)
            .ok_or_else(|| format!("unknown event `{}`", given.event))?;
        let declaration = &contract.events[event];
        let fields: Vec<Value> = declaration
            .fields
            .iter()
            .map(|f| value_of(contract, given.fields.iter().find(|v| v.field == f.name)))
            .collect::<Result<_, _>>()?;
        let date_of = |name: &str| -> Option<Day> {
            let i = declaration.fields.iter().position(|f| f.name == name)?;
            match fields.get(i) {
                Some(Value::Day(d)) => Some(*d),
                _ => None,
            }
        };
        let (start, end) = match &declaration.timing {
            ir::Timing::Point { on } => {
                let d = date_of(on).ok_or("a point event needs its date")?;
                (d, Some(d))
            }
            ir::Timing::Spell { from, to, .. } => {
                (date_of(from).ok_or("a spell needs its start")?, date_of(to))
            }
        };
        events.push(EventRecord {
            event,
            id: Some(format!("{}#{}", given.event, n + 1)),
            fields,
            start,
            end,
            origin: Origin { file: 0, line: u64::from(given.span.line) },
        });
    }
    Ok(Timeline { participant, events })
}

fn value_of(contract: &ir::Contract, given: Option<&ir::TestValue>) -> Result<Value, String> {
    let Some(given) = given else { return Ok(Value::Missing) };
    Ok(match &given.value {
        ir::Expr::Bool { value } => Value::Bool(*value),
        ir::Expr::Int { value } => Value::Int(*value),
        ir::Expr::Decimal { value } | ir::Expr::Percent { value } | ir::Expr::Quantity { value, .. } => {
            Value::Decimal(*value)
        }
        ir::Expr::Text { value } => Value::Text(value.clone().into_boxed_str()),
        ir::Expr::Date { value } => {
            Value::Day(Day::parse(value).ok_or_else(|| format!("`{value}` is not a date"))?)
        }
        ir::Expr::Case { enum_name, case } => {
            let cases = &contract
                .enums
                .iter()
                .find(|e| &e.name == enum_name)
                .ok_or_else(|| format!("unknown enum `{enum_name}`"))?
                .cases;
            Value::Case(
                cases.iter().position(|c| c == case).ok_or_else(|| format!("unknown case `{case}`"))? as u32,
            )
        }
        other => return Err(format!("a test value must be a literal, not {other:?}")),
    })
}

/// Runs one test: decides its participant as of the test's date, and compares.
pub fn run<'c>(
    contract: &'c ir::Contract,
    plan: &Plan,
    test: &'c ir::Test,
) -> Result<Vec<Checked<'c>>, String> {
    let timeline = timeline(contract, test)?;
    let as_of = Day::parse(&test.as_of).ok_or("the test's date is not a date")?;
    let decisions = decide(plan, contract, &timeline, as_of, true);
    Ok(test
        .expects
        .iter()
        .map(|expectation| {
            let index = contract.outcomes.iter().position(|o| o.name == expectation.outcome);
            let actual = decisions.iter().find(|d| Some(d.outcome) == index && d.repeat == 1).cloned();
            let passed = actual.as_ref().is_some_and(|d| matches(expectation, d));
            Checked { expectation, actual, passed }
        })
        .collect())
}

fn matches(expected: &ir::TestExpectation, actual: &Decision) -> bool {
    let date = actual.date.map(|d| d.to_string());
    match expected.status {
        ir::ExpectedStatus::Achieved => {
            actual.status == Status::Achieved
                && expected.on.as_ref().is_none_or(|on| Some(on) == date.as_ref())
                && expected.amount.is_none_or(|a| Some(a.normalize()) == actual.amount.map(|x| x.normalize()))
        }
        ir::ExpectedStatus::Pending => {
            actual.status == Status::Pending
                && expected.until.as_ref().is_none_or(|u| Some(u) == date.as_ref())
        }
        ir::ExpectedStatus::NotAchieved => actual.status == Status::NotAchieved,
    }
}
