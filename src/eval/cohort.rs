//! Cohort outcomes: decided once for a group, from every member's values, and against a
//! control group where the contract says so.
//!
//! Members' values are gathered while participants stream past (`Tally::observe`), so a
//! cohort of millions costs a number per member, not their timelines. A cohort outcome is
//! **pending** while any member's value is still open (the outcome it counts is pending, or
//! a window it reads has not closed), until the latest date one will be known; otherwise it
//! is decided on the latest date a member's value became known.

use super::conditions::window_ends;
use super::day::Day;
use super::decide::{Decision, Scratch, Status, round};
use super::interpret::{Known, Scope, holds_here};
use super::plan::{CMeasure, CPayment, CTarget, CohortPlan, Plan};
use super::stats;
use super::value::Value;
use crate::ir;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

/// One cohort outcome's members and their values, for one group (cohort or control).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Tally {
    pub members: u64,
    /// Per member: 0/1 for shares, the value for a mean, in input order, for a significance
    /// test (kept only when the target has one).
    pub values: Vec<f64>,
    /// Exact sum of the values (shares: members with 1).
    pub sum: Decimal,
    /// Members whose value is not known yet, and the latest date one will be.
    pub pending: u64,
    pub pending_until: Option<Day>,
    /// The latest date a member's value became known.
    pub decided_by: Option<Day>,
}

impl Tally {
    /// Adds one participant, if a member, given their decisions (`scratch` lends buffers).
    pub fn observe(
        &mut self,
        cohort: &CohortPlan,
        plan: &Plan,
        known: &Known,
        decisions: &[Decision],
        scratch: &mut Scratch,
    ) {
        // Tests of fields need neither definitions nor dates: a participant who fails them
        // is turned away before either is made ready (half a cohort's run, ~15 instructions
        // each).
        if let Some(tests) = &cohort.members_test {
            let fields = &known.participant.fields;
            if !tests.iter().all(|(field, op, value)| {
                holds_here(*op, fields.get(*field).unwrap_or(&Value::Missing), value)
            }) {
                return;
            }
        }
        let as_of = known.as_of;
        let achieved = &mut scratch.achieved;
        if cohort.reads_definitions_or_dates {
            // Definitions are worked out afresh, as they were in the decisions' own scope.
            scratch.cache.borrow_mut().clear();
            scratch.cache.borrow_mut().resize(plan.definitions.len(), None);
            // Recomputed from the decisions: exclusions may have undone an achievement.
            achieved.clear();
            achieved.resize(plan.outcomes.len(), None);
            for d in decisions.iter().filter(|d| d.repeat == 1 && d.status == Status::Achieved) {
                achieved[d.outcome] = d.date;
            }
        } else {
            // Neither is read: no dates at all keeps it so.
            achieved.clear();
        }
        // Made only where an expression is evaluated: most cohorts need none (~25
        // instructions a participant).
        let scope = || Scope::participant(plan, known, achieved, &scratch.cache);
        // Tests of fields (as `Scope::test` judges an `and` of comparisons of fields with
        // constants) were passed above.
        if cohort.members_test.is_none() && !scope().truthy(&cohort.members) {
            return;
        }
        self.members += 1;
        let (value, known_on) = match &cohort.measure {
            CMeasure::ShareAchieving(o) | CMeasure::CountAchieving(o) => {
                match decisions.iter().find(|d| d.outcome == *o && d.repeat == 1) {
                    Some(d) if d.status == Status::Pending => {
                        self.pending += 1;
                        self.pending_until = self.pending_until.max(d.date);
                        (Decimal::ZERO, None)
                    }
                    Some(d) if d.status == Status::Achieved => (Decimal::ONE, d.date),
                    _ => (Decimal::ZERO, None),
                }
            }
            CMeasure::ShareWhere(e) | CMeasure::Mean(e) => {
                let scope = scope();
                let end = window_ends(&scope, e).into_iter().max();
                if end.is_some_and(|end| end > as_of) {
                    self.pending += 1;
                    self.pending_until = self.pending_until.max(end);
                }
                let value = match scope.eval(e) {
                    Value::Bool(b) => Decimal::from(u8::from(b)),
                    Value::Int(n) => Decimal::from(n),
                    Value::Decimal(d) => d,
                    _ => Decimal::ZERO,
                };
                (value, end)
            }
        };
        self.decided_by = self.decided_by.max(known_on);
        // Most members add zero (see `ledger::add`).
        super::ledger::add(&mut self.sum, value);
        // Only a significance test reads the members' values one by one.
        if matches!(cohort.target, CTarget::AgainstControl { test: Some(_), .. }) {
            self.values.push(value.to_f64().unwrap_or(0.0));
        }
    }

    /// The measure: a percentage for shares, a number for counts and means.
    pub fn measure(&self, measure: &CMeasure) -> Option<Decimal> {
        match measure {
            CMeasure::CountAchieving(_) => Some(self.sum),
            _ if self.members == 0 => None,
            CMeasure::ShareAchieving(_) | CMeasure::ShareWhere(_) => {
                Some(self.sum * Decimal::from(100) / Decimal::from(self.members))
            }
            CMeasure::Mean(_) => Some(self.sum / Decimal::from(self.members)),
        }
    }
}

/// A cohort outcome's decision, with the working.
#[derive(Clone, Debug, PartialEq)]
pub struct CohortDecision {
    pub outcome: usize,
    pub status: Status,
    pub date: Option<Day>,
    pub amount: Option<Decimal>,
    pub members: u64,
    pub measure: Option<Decimal>,
    pub control_members: Option<u64>,
    pub control_measure: Option<Decimal>,
    /// The difference from the control, as the target measures it.
    pub effect: Option<Decimal>,
    pub test: Option<stats::TestResult>,
    pub reason: Option<String>,
    /// The last day a claim can be made, when achieved.
    pub claim_by: Option<Day>,
}

/// Decides a cohort outcome from its tallies.
pub fn decide(
    index: usize,
    cohort: &CohortPlan,
    plan: &Plan,
    contract: &ir::Contract,
    tally: &Tally,
    control: Option<&Tally>,
) -> CohortDecision {
    let mut decision = CohortDecision {
        outcome: index,
        status: Status::NotAchieved,
        date: None,
        amount: None,
        members: tally.members,
        measure: tally.measure(&cohort.measure),
        control_members: control.map(|c| c.members),
        control_measure: control.and_then(|c| c.measure(&cohort.measure)),
        effect: None,
        test: None,
        reason: None,
        claim_by: None,
    };
    let pending_until = tally.pending_until.max(control.and_then(|c| c.pending_until));
    if tally.pending > 0 || control.is_some_and(|c| c.pending > 0) {
        decision.status = Status::Pending;
        decision.date = pending_until;
        return decision;
    }
    let Some(measure) = decision.measure else {
        decision.reason = Some("the cohort has no members".into());
        return decision;
    };
    let decided_on = tally.decided_by.max(control.and_then(|c| c.decided_by)).unwrap_or(plan.achievable.0);
    // Tiers and points are read on the measure against a threshold, on the effect against
    // a control group.
    let (met, tiered) = match &cohort.target {
        CTarget::Threshold { op, value } => {
            let threshold = constant(value);
            let met = threshold.is_some_and(|t| {
                super::interpret::compare(*op, &Value::Decimal(measure), &Value::Decimal(t))
                    == Value::Bool(true)
            });
            if !met {
                decision.reason = Some(format!(
                    "the measure is {}, and the target is {} {}",
                    measure.round_dp(2).normalize(),
                    symbol(*op),
                    threshold.map(|t| t.normalize().to_string()).unwrap_or_default()
                ));
            }
            (met, measure)
        }
        CTarget::AgainstControl { effect, points, above, test } => {
            let Some(control) = control else {
                decision.reason = Some("no control group was given (--control-participants)".into());
                return decision;
            };
            let Some(control_measure) = decision.control_measure else {
                decision.reason = Some("the control group has no members".into());
                return decision;
            };
            let difference = if *above { measure - control_measure } else { control_measure - measure };
            let achieved_effect = if *points {
                difference
            } else if control_measure.is_zero() {
                Decimal::ZERO
            } else {
                difference * Decimal::from(100) / control_measure.abs()
            };
            decision.effect = Some(achieved_effect);
            let mut met = achieved_effect >= *effect;
            if !met {
                decision.reason = Some(format!(
                    "the difference from the control group is {}{}, and {}{} is needed",
                    achieved_effect.round_dp(2).normalize(),
                    if *points { " points" } else { "%" },
                    effect.normalize(),
                    if *points { " points" } else { "%" }
                ));
            }
            if let Some((name, level)) = test {
                let direction = if *above { ir::Direction::Above } else { ir::Direction::Below };
                match stats::run(name, &tally.values, &control.values, direction) {
                    Ok(result) => {
                        if met && !result.is_significant(*level) {
                            met = false;
                            decision.reason = Some(format!(
                                "the difference is not significant at {}% ({name}: p = {:.4})",
                                level.normalize(),
                                result.p_value
                            ));
                        }
                        decision.test = Some(result);
                    }
                    Err(e) => {
                        met = false;
                        decision.reason = Some(format!("the significance test could not be run: {e:?}"));
                    }
                }
            }
            (met, achieved_effect)
        }
    };
    if !met {
        return decision;
    }
    let amount = match &cohort.payment {
        CPayment::Amount(e) => constant(e),
        CPayment::Tiers(tiers) => tiers
            .iter()
            .filter_map(|(from, amount)| Some((constant(from)?, constant(amount)?)))
            .filter(|(from, _)| tiered >= *from)
            .map(|(_, amount)| amount)
            .next_back(),
        CPayment::PerPoint { rate, above } => {
            constant(above).map(|above| *rate * (tiered - above).max(Decimal::ZERO))
        }
        CPayment::ByCase { .. } => None,
    };
    decision.status = Status::Achieved;
    decision.date = Some(decided_on);
    decision.claim_by = Some(plan.claim_by(decided_on, cohort.claim_within));
    decision.amount = Some(round(amount.unwrap_or(Decimal::ZERO), &contract.rounding));
    if amount.is_none() {
        decision.reason = Some("no tier was reached".into());
    }
    decision
}

/// The value of an expression that reads no participant (a cohort's threshold or price).
fn constant(e: &super::plan::CExpr) -> Option<Decimal> {
    match e {
        super::plan::CExpr::Const(Value::Decimal(d)) => Some(*d),
        super::plan::CExpr::Const(Value::Int(n)) => Some(Decimal::from(*n)),
        _ => None,
    }
}

fn symbol(op: ir::CmpOp) -> &'static str {
    match op {
        ir::CmpOp::Eq => "==",
        ir::CmpOp::Ne => "!=",
        ir::CmpOp::Lt => "<",
        ir::CmpOp::Le => "<=",
        ir::CmpOp::Gt => ">",
        ir::CmpOp::Ge => ">=",
    }
}
