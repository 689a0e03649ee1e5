//! The evaluation plan: the IR with every name resolved to an index, compiled once per run so
//! that evaluating a participant never looks a name up.
//!
//! It also picks out, once, the commonest shapes that a participant's evaluation can work out
//! without the expression evaluator: windows' anchors ([`Anchor`]), filters of a record's field
//! against a constant (`CFilter::field_test`), cohort memberships of fields against constants
//! (`CohortPlan::members_test`) and whether a cohort reads definitions or outcomes' dates.
//! Each gives what evaluating gives; `tests/eval_fast_paths.rs` holds them to it.

use super::day::Day;
use super::interpret::whole;
use super::value::Value;
use crate::ir;
use rust_decimal::Decimal;
use std::collections::BTreeMap;
use std::str::FromStr;

/// A band's bounds: from (inclusive) and to (exclusive); `None` is unbounded.
pub type Band = (Option<Decimal>, Option<Decimal>);

/// A calendar unit a date can be moved by.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CalendarUnit {
    Day,
    Month,
    WorkingDay,
}

impl CalendarUnit {
    fn parse(unit: &str) -> Result<CalendarUnit, String> {
        match unit {
            "day" => Ok(CalendarUnit::Day),
            "month" => Ok(CalendarUnit::Month),
            "working_day" => Ok(CalendarUnit::WorkingDay),
            other => Err(format!("`{other}` is not a unit of calendar time")),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Builtin {
    Age,
    StartOfMonth,
    EndOfMonth,
    StartOfYear,
    Min,
    Max,
}

/// An expression with names resolved.
#[derive(Clone, Debug)]
pub enum CExpr {
    Const(Value),
    ParticipantField(usize),
    /// A field of the record under consideration.
    EventField(usize),
    Param(usize),
    Definition(usize),
    Call(usize, Vec<CExpr>),
    Builtin(Builtin, Vec<CExpr>),
    Classify(usize, Box<CExpr>),
    Neg(Box<CExpr>),
    Not(Box<CExpr>),
    Arith(ir::BinaryOp, Box<CExpr>, Box<CExpr>),
    ShiftDate {
        date: Box<CExpr>,
        by: Box<CExpr>,
        unit: CalendarUnit,
        backwards: bool,
    },
    DaysBetween(Box<CExpr>, Box<CExpr>),
    And(Vec<CExpr>),
    Or(Vec<CExpr>),
    Compare(ir::CmpOp, Box<CExpr>, Box<CExpr>),
    Coalesce(Box<CExpr>, Box<CExpr>),
    IsPresent(Box<CExpr>),
    If(Box<CExpr>, Box<CExpr>, Box<CExpr>),
    Aggregate(Box<CAggregate>),
    AchievedOn(usize),
}

/// A date that reads the participant alone, in the shapes windows are measured from: a
/// constant date, or a participant's date moved by a whole number of days or calendar
/// months (`participant.born + 16 years`, through a definition or not). Worked out with a
/// field read and one step of calendar arithmetic, where evaluating the expression walked
/// its tree and the definitions' cache (~377 instructions a participant for the youth
/// employment example's anchor). It gives what evaluating the expression gives (tested in
/// `tests/eval_fast_paths.rs` and below); explaining evaluates the expression.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Anchor {
    Const(Day),
    /// The participant's field, `months` calendar months then `days` days later (one of the
    /// two is 0).
    Field {
        field: usize,
        months: i32,
        days: i32,
    },
}

impl Anchor {
    /// The anchor an expression is, if it has one of the shapes (`depth` bounds the
    /// definitions followed).
    fn compile(e: &CExpr, definitions: &[DefinitionPlan], depth: u32) -> Option<Anchor> {
        match e {
            CExpr::Const(Value::Day(d)) => Some(Anchor::Const(*d)),
            CExpr::ParticipantField(field) => Some(Anchor::Field { field: *field, months: 0, days: 0 }),
            CExpr::Definition(i) if depth < 8 => {
                let definition = definitions.get(*i).filter(|d| d.participant_level)?;
                Anchor::compile(&definition.body, definitions, depth + 1)
            }
            CExpr::ShiftDate { date, by, unit, backwards } => {
                let CExpr::Const(amount) = &**by else { return None };
                // As `Scope::eval` moves a date: a whole number, negated backwards, clamped.
                let n = whole(amount)?;
                let n = if *backwards { n.checked_neg()? } else { n };
                let n = i32::try_from(n).ok()?;
                match (Anchor::compile(date, definitions, depth)?, unit) {
                    (Anchor::Const(d), CalendarUnit::Day | CalendarUnit::Month) => {
                        Some(Anchor::Const(super::interpret::shift(d, i64::from(n), *unit, "")))
                    }
                    (Anchor::Field { field, months: 0, days: 0 }, CalendarUnit::Day) => {
                        Some(Anchor::Field { field, months: 0, days: n })
                    }
                    (Anchor::Field { field, months: 0, days: 0 }, CalendarUnit::Month) => {
                        Some(Anchor::Field { field, months: n, days: 0 })
                    }
                    _ => None,
                }
            }
            _ => None,
        }
    }

    /// The date for a participant (`None`: the field is missing or not a date).
    #[inline]
    pub fn day(self, participant: &super::value::Participant) -> Option<Day> {
        match self {
            Anchor::Const(d) => Some(d),
            Anchor::Field { field, months, days } => match participant.fields.get(field) {
                Some(Value::Day(d)) => {
                    let d = if months == 0 { *d } else { d.plus_months(months) };
                    Some(if days == 0 { d } else { d.plus_days(days) })
                }
                _ => None,
            },
        }
    }
}

#[derive(Clone, Debug)]
pub struct CAggregate {
    pub function: ir::AggregateFn,
    pub event: usize,
    pub field: Option<usize>,
    pub filter: CExpr,
    pub window: Option<CWindow>,
}

#[derive(Clone, Debug)]
pub struct CWindow {
    pub start: CExpr,
    /// `start`, compiled, when it has a shape [`Anchor`] knows.
    pub anchor: Option<Anchor>,
    pub day_after: bool,
    pub end: CWindowEnd,
}

#[derive(Clone, Debug)]
pub enum CWindowEnd {
    /// `count`: the amount as a whole number, worked out once (`None`: too large).
    Length {
        amount: Decimal,
        count: Option<i64>,
        unit: CalendarUnit,
    },
    Date(CExpr),
    AchievableEnd,
}

#[derive(Clone, Debug)]
pub struct CFilter {
    pub event: usize,
    pub predicate: CExpr,
    /// The predicate, when it is a field of the record against a constant (`hours > 16
    /// hours per week`): the commonest filter, compared without a scope for the record.
    pub field_test: Option<(usize, ir::CmpOp, Value)>,
    /// The predicate reads aggregates over the records in effect on a day, so it is judged
    /// day by day rather than record by record.
    pub per_day: bool,
}

#[derive(Clone, Debug)]
pub enum CCondition {
    All(Vec<CCondition>),
    Any(Vec<CCondition>),
    Periods {
        filter: CFilter,
        at_least: u32,
        of: u32,
        period: ir::PeriodKind,
        start: CExpr,
        /// `start`, compiled, when it has a shape [`Anchor`] knows.
        anchor: Option<Anchor>,
        day_after: bool,
        counting: ir::Counting,
        excluding: Vec<usize>,
    },
    Consecutive {
        filter: CFilter,
        periods: u32,
        period: ir::PeriodKind,
        window: CWindow,
        counting: ir::Counting,
        excluding: Vec<usize>,
    },
    Cumulative {
        filter: CFilter,
        days: i64,
        window: CWindow,
        excluding: Vec<usize>,
    },
    Occurrence {
        filter: CFilter,
        window: CWindow,
    },
    Absence {
        filter: CFilter,
        max_occurrences: u32,
        window: CWindow,
        excluding: Vec<usize>,
    },
    Reaches {
        function: ir::AggregateFn,
        filter: CFilter,
        field: Option<usize>,
        threshold: CExpr,
        window: CWindow,
    },
    Change {
        event: usize,
        value: CExpr,
        rises: bool,
        by: CExpr,
        baseline: Option<CExpr>,
        window: CWindow,
    },
    Holds(CExpr),
}

#[derive(Clone, Debug)]
pub enum CPayment {
    Amount(CExpr),
    ByCase { on: CExpr, cases: Vec<CExpr> },
    Tiers(Vec<(CExpr, CExpr)>),
    PerPoint { rate: Decimal, above: CExpr },
}

#[derive(Clone, Debug)]
pub struct OutcomePlan {
    pub name: String,
    pub eligible: CExpr,
    /// `eligible` is the constant `true` (every outcome that does not say otherwise).
    pub always_eligible: bool,
    pub condition: CCondition,
    pub payment: CPayment,
    pub requires: Vec<usize>,
    /// Outcomes whose achievement date the condition reads (`job_entry.achieved`).
    pub reads_dates_of: Vec<usize>,
    pub max_times: u32,
    pub claim_within: Option<(Decimal, CalendarUnit)>,
}

#[derive(Clone, Debug)]
pub enum CMeasure {
    ShareAchieving(usize),
    CountAchieving(usize),
    ShareWhere(CExpr),
    Mean(CExpr),
}

#[derive(Clone, Debug)]
pub struct CohortPlan {
    pub name: String,
    pub members: CExpr,
    /// Whether the membership or the measure reads a definition or an outcome's date: only
    /// then does tallying a participant need the definitions' cache cleared and the dates of
    /// their achievements (a tenth of deciding them, for a membership of two comparisons).
    pub reads_definitions_or_dates: bool,
    /// The membership, when it is the participant's fields against constants, all to hold
    /// (`participant.referred from D1 to D2`): tested without a scope or an evaluator
    /// (~260 instructions a participant, evaluated).
    pub members_test: Option<Vec<(usize, ir::CmpOp, Value)>>,
    pub measure: CMeasure,
    pub target: CTarget,
    pub payment: CPayment,
    pub claim_within: Option<(Decimal, CalendarUnit)>,
}

#[derive(Clone, Debug)]
pub enum CTarget {
    Threshold { op: ir::CmpOp, value: CExpr },
    AgainstControl { effect: Decimal, points: bool, above: bool, test: Option<(String, Decimal)> },
}

#[derive(Clone, Debug)]
pub struct DefinitionPlan {
    pub name: String,
    pub body: CExpr,
    /// Depends on the participant only: computed once per participant.
    pub participant_level: bool,
}

/// The whole contract, compiled.
#[derive(Debug)]
pub struct Plan {
    pub achievable: (Day, Day),
    /// The month after the one the achievable period ends in, numbered as months since year
    /// 0: whether a calendar month ends by then, asked of every participant, is a subtraction.
    pub achievable_next_month: i32,
    pub claims_close: Day,
    pub holidays: String,
    pub definitions: Vec<DefinitionPlan>,
    pub outcomes: Vec<OutcomePlan>,
    pub cohorts: Vec<CohortPlan>,
    /// Outcomes in an order where every outcome comes after those it requires.
    pub order: Vec<usize>,
    /// Whether `order` is the declaration order: a participant's decisions are then made in
    /// order of outcome and repeat, and need no check that they are.
    pub order_is_declared: bool,
    /// For each enum (by IR index): its bands, if it is a `bands` enum.
    pub bands: Vec<Option<Vec<Band>>>,
    pub event_index: BTreeMap<String, usize>,
}

struct Compiler<'c> {
    contract: &'c ir::Contract,
    participant_fields: BTreeMap<&'c str, usize>,
    event_fields: Vec<BTreeMap<&'c str, usize>>,
    events: BTreeMap<&'c str, usize>,
    enums: BTreeMap<&'c str, usize>,
    definitions: BTreeMap<&'c str, usize>,
    outcomes: BTreeMap<&'c str, usize>,
    /// Parameters of the definition being compiled.
    params: Vec<&'c str>,
    /// The definitions compiled so far (all of them once outcomes are compiled).
    compiled: Vec<DefinitionPlan>,
}

/// Compiles the IR. Fails only on an IR that did not come from this compiler (or was
/// edited): `lower::verify` catches those first.
pub fn compile(contract: &ir::Contract) -> Result<Plan, String> {
    let mut c = Compiler {
        contract,
        participant_fields: contract
            .participant
            .fields
            .iter()
            .enumerate()
            .map(|(i, f)| (f.name.as_str(), i))
            .collect(),
        event_fields: contract
            .events
            .iter()
            .map(|e| e.fields.iter().enumerate().map(|(i, f)| (f.name.as_str(), i)).collect())
            .collect(),
        events: contract.events.iter().enumerate().map(|(i, e)| (e.name.as_str(), i)).collect(),
        enums: contract.enums.iter().enumerate().map(|(i, e)| (e.name.as_str(), i)).collect(),
        definitions: contract.definitions.iter().enumerate().map(|(i, d)| (d.name.as_str(), i)).collect(),
        outcomes: contract.outcomes.iter().enumerate().map(|(i, o)| (o.name.as_str(), i)).collect(),
        params: Vec::new(),
        compiled: Vec::new(),
    };
    for d in &contract.definitions {
        c.params = d.params.iter().map(|p| p.name.as_str()).collect();
        let body = c.expr(&d.body)?;
        c.compiled.push(DefinitionPlan {
            name: d.name.clone(),
            participant_level: d.event.is_none() && d.params.is_empty(),
            body,
        });
    }
    c.params.clear();
    let mut outcomes = Vec::new();
    for o in &contract.outcomes {
        let condition = c.condition(&o.condition)?;
        let mut reads_dates_of = Vec::new();
        dates_read(&serde_json::to_value(&o.condition).unwrap_or_default(), &c.outcomes, &mut reads_dates_of);
        let eligible = c.expr(&o.eligible)?;
        outcomes.push(OutcomePlan {
            name: o.name.clone(),
            always_eligible: matches!(eligible, CExpr::Const(Value::Bool(true))),
            eligible,
            condition,
            reads_dates_of,
            payment: c.payment(&o.payment)?,
            requires: o.requires.iter().map(|r| c.outcome(r)).collect::<Result<_, _>>()?,
            max_times: o.max_times.max(1),
            claim_within: claim_within(&o.claim_within)?,
        });
    }
    let order = dependency_order(&outcomes);
    let mut cohorts = Vec::new();
    for co in &contract.cohort_outcomes {
        let members = c.expr(&co.members)?;
        let measure = match &co.measure {
            ir::Measure::ShareAchieving { outcome } => CMeasure::ShareAchieving(c.outcome(outcome)?),
            ir::Measure::CountAchieving { outcome } => CMeasure::CountAchieving(c.outcome(outcome)?),
            ir::Measure::ShareWhere { expr } => CMeasure::ShareWhere(c.expr(expr)?),
            ir::Measure::Mean { expr } => CMeasure::Mean(c.expr(expr)?),
        };
        let reads = |e: &CExpr| {
            any_node(e, &|x| matches!(x, CExpr::Definition(_) | CExpr::Call(..) | CExpr::AchievedOn(_)))
        };
        let reads_definitions_or_dates = reads(&members)
            || match &measure {
                CMeasure::ShareWhere(e) | CMeasure::Mean(e) => reads(e),
                CMeasure::ShareAchieving(_) | CMeasure::CountAchieving(_) => false,
            };
        cohorts.push(CohortPlan {
            name: co.name.clone(),
            members_test: field_tests(&members),
            members,
            reads_definitions_or_dates,
            measure,
            target: match &co.target {
                ir::CohortTarget::Threshold { op, value } => {
                    CTarget::Threshold { op: *op, value: c.expr(value)? }
                }
                ir::CohortTarget::AgainstControl { effect, points, direction, significance } => {
                    CTarget::AgainstControl {
                        effect: *effect,
                        points: *points,
                        above: *direction == ir::Direction::Above,
                        test: significance.as_ref().map(|s| (s.test.clone(), s.level)),
                    }
                }
            },
            payment: c.payment(&co.payment)?,
            claim_within: claim_within(&co.claim_within)?,
        });
    }
    let bands = contract
        .enums
        .iter()
        .map(|e| e.bands.as_ref().map(|b| b.bands.iter().map(|x| (x.from, x.to)).collect()))
        .collect();
    let achievable = (day(&contract.achievable.from)?, day(&contract.achievable.to)?);
    Ok(Plan {
        achievable,
        achievable_next_month: achievable.1.plus_days(1).month_number(),
        claims_close: day(&contract.claims_close)?,
        holidays: contract.working_days.holidays.clone(),
        definitions: c.compiled,
        outcomes,
        cohorts,
        order_is_declared: order.is_sorted(),
        order,
        bands,
        event_index: contract.events.iter().enumerate().map(|(i, e)| (e.name.clone(), i)).collect(),
    })
}

/// The outcomes whose dates an IR condition reads (definitions cannot read them).
fn dates_read(value: &serde_json::Value, outcomes: &BTreeMap<&str, usize>, out: &mut Vec<usize>) {
    match value {
        serde_json::Value::Object(map) => {
            if map.get("op").and_then(|v| v.as_str()) == Some("achieved_on") {
                if let Some(i) = map.get("outcome").and_then(|v| v.as_str()).and_then(|n| outcomes.get(n)) {
                    out.push(*i);
                }
            }
            map.values().for_each(|v| dates_read(v, outcomes, out));
        }
        serde_json::Value::Array(items) => items.iter().for_each(|v| dates_read(v, outcomes, out)),
        _ => {}
    }
}

fn claim_within(q: &Option<ir::Quantity>) -> Result<Option<(Decimal, CalendarUnit)>, String> {
    match q {
        Some(q) => Ok(Some((q.value, CalendarUnit::parse(&q.unit)?))),
        None => Ok(None),
    }
}

impl Plan {
    /// The last day a claim for an achievement on `on` can be made: within the outcome's
    /// `claim within`, and never after the contract's claims close.
    pub fn claim_by(&self, on: Day, within: Option<(Decimal, CalendarUnit)>) -> Day {
        match within {
            Some((amount, unit)) => {
                let n = i64::try_from(amount.trunc()).unwrap_or(i64::MAX / 4);
                super::interpret::shift(on, n, unit, &self.holidays).min(self.claims_close)
            }
            None => self.claims_close,
        }
    }
}

fn day(text: &str) -> Result<Day, String> {
    Day::parse(text).ok_or_else(|| format!("`{text}` is not a date"))
}

fn dependency_order(outcomes: &[OutcomePlan]) -> Vec<usize> {
    let mut order = Vec::new();
    let mut placed = vec![false; outcomes.len()];
    while order.len() < outcomes.len() {
        let before = order.len();
        for (i, o) in outcomes.iter().enumerate() {
            if !placed[i] && o.requires.iter().all(|r| placed[*r]) {
                placed[i] = true;
                order.push(i);
            }
        }
        if order.len() == before {
            // A cycle cannot come from the checker; place the rest in declaration order.
            order.extend((0..outcomes.len()).filter(|i| !placed[*i]));
        }
    }
    order
}

impl<'c> Compiler<'c> {
    fn outcome(&self, name: &str) -> Result<usize, String> {
        self.outcomes.get(name).copied().ok_or_else(|| format!("unknown outcome `{name}`"))
    }

    fn event(&self, name: &str) -> Result<usize, String> {
        self.events.get(name).copied().ok_or_else(|| format!("unknown event `{name}`"))
    }

    fn event_field(&self, event: usize, field: &str) -> Result<usize, String> {
        self.event_fields[event].get(field).copied().ok_or_else(|| format!("unknown field `{field}`"))
    }

    fn expr(&self, e: &ir::Expr) -> Result<CExpr, String> {
        use ir::Expr as E;
        let boxed = |x: &ir::Expr| self.expr(x).map(Box::new);
        Ok(match e {
            E::Bool { value } => CExpr::Const(Value::Bool(*value)),
            E::Int { value } => CExpr::Const(Value::Int(*value)),
            E::Decimal { value } | E::Percent { value } | E::Quantity { value, .. } => {
                CExpr::Const(Value::Decimal(*value))
            }
            E::Text { value } => CExpr::Const(Value::Text(value.clone().into_boxed_str())),
            E::Date { value } => CExpr::Const(Value::Day(day(value)?)),
            E::Case { enum_name, case } => {
                let index = self
                    .enums
                    .get(enum_name.as_str())
                    .ok_or_else(|| format!("unknown enum `{enum_name}`"))?;
                let position = self.contract.enums[*index]
                    .cases
                    .iter()
                    .position(|c| c == case)
                    .ok_or_else(|| format!("unknown case `{case}`"))?;
                CExpr::Const(Value::Case(position as u32))
            }
            E::ParticipantField { field } => CExpr::ParticipantField(
                *self
                    .participant_fields
                    .get(field.as_str())
                    .ok_or_else(|| format!("unknown field `{field}`"))?,
            ),
            E::EventField { event, field } => CExpr::EventField(self.event_field(self.event(event)?, field)?),
            E::Param { name } => CExpr::Param(
                self.params
                    .iter()
                    .position(|p| p == name)
                    .ok_or_else(|| format!("unknown parameter `{name}`"))?,
            ),
            E::Ref { name } => CExpr::Definition(self.definition(name)?),
            E::Call { function, args } => CExpr::Call(
                self.definition(function)?,
                args.iter().map(|a| self.expr(a)).collect::<Result<_, _>>()?,
            ),
            E::Builtin { function, args } => {
                let builtin = match function.as_str() {
                    "age" => Builtin::Age,
                    "start_of_month" => Builtin::StartOfMonth,
                    "end_of_month" => Builtin::EndOfMonth,
                    "start_of_year" => Builtin::StartOfYear,
                    "min" => Builtin::Min,
                    "max" => Builtin::Max,
                    other => return Err(format!("unknown function `{other}`")),
                };
                CExpr::Builtin(builtin, args.iter().map(|a| self.expr(a)).collect::<Result<_, _>>()?)
            }
            E::Classify { bands, value } => CExpr::Classify(
                *self.enums.get(bands.as_str()).ok_or_else(|| format!("unknown bands `{bands}`"))?,
                boxed(value)?,
            ),
            E::Neg { operand } => CExpr::Neg(boxed(operand)?),
            E::Not { operand } => CExpr::Not(boxed(operand)?),
            E::Binary { operator, lhs, rhs } => CExpr::Arith(*operator, boxed(lhs)?, boxed(rhs)?),
            E::ShiftDate { date, by, unit, backwards } => CExpr::ShiftDate {
                date: boxed(date)?,
                by: boxed(by)?,
                unit: CalendarUnit::parse(unit)?,
                backwards: *backwards,
            },
            E::DaysBetween { from, to } => CExpr::DaysBetween(boxed(from)?, boxed(to)?),
            E::And { operands } => {
                CExpr::And(operands.iter().map(|o| self.expr(o)).collect::<Result<_, _>>()?)
            }
            E::Or { operands } => CExpr::Or(operands.iter().map(|o| self.expr(o)).collect::<Result<_, _>>()?),
            E::Compare { operator, lhs, rhs } => CExpr::Compare(*operator, boxed(lhs)?, boxed(rhs)?),
            E::Coalesce { value, default } => CExpr::Coalesce(boxed(value)?, boxed(default)?),
            E::IsPresent { value } => CExpr::IsPresent(boxed(value)?),
            E::If { condition, then, otherwise } => {
                CExpr::If(boxed(condition)?, boxed(then)?, boxed(otherwise)?)
            }
            E::Aggregate { function, event, field, filter, window } => {
                let event = self.event(event)?;
                CExpr::Aggregate(Box::new(CAggregate {
                    function: *function,
                    event,
                    field: match field {
                        Some(f) => Some(self.event_field(event, f)?),
                        None => None,
                    },
                    filter: self.expr(filter)?,
                    window: match window {
                        Some(w) => Some(self.window(w)?),
                        None => None,
                    },
                }))
            }
            E::AchievedOn { outcome } => CExpr::AchievedOn(self.outcome(outcome)?),
        })
    }

    /// The anchor of a window's start, if it has a shape [`Anchor`] knows.
    fn anchor_of(&self, date: &ir::Expr) -> Result<Option<Anchor>, String> {
        Ok(Anchor::compile(&self.expr(date)?, &self.compiled, 0))
    }

    fn definition(&self, name: &str) -> Result<usize, String> {
        self.definitions.get(name).copied().ok_or_else(|| format!("unknown definition `{name}`"))
    }

    fn window(&self, w: &ir::Window) -> Result<CWindow, String> {
        Ok(CWindow {
            start: self.expr(&w.start.date)?,
            anchor: self.anchor_of(&w.start.date)?,
            day_after: w.start.starts == ir::AnchorStart::DayAfter,
            end: match &w.end {
                ir::WindowEnd::Length { length } => CWindowEnd::Length {
                    amount: length.value,
                    count: whole(&Value::Decimal(length.value)),
                    unit: CalendarUnit::parse(&length.unit)?,
                },
                ir::WindowEnd::Date { date } => CWindowEnd::Date(self.expr(date)?),
                ir::WindowEnd::AchievableEnd => CWindowEnd::AchievableEnd,
            },
        })
    }

    fn filter(&self, f: &ir::EventFilter) -> Result<CFilter, String> {
        let predicate = self.expr(&f.predicate)?;
        let field_test = match &predicate {
            CExpr::Compare(op, field, value) => match (&**field, &**value) {
                (CExpr::EventField(field), CExpr::Const(value)) => Some((*field, *op, value.clone())),
                _ => None,
            },
            _ => None,
        };
        Ok(CFilter {
            event: self.event(&f.event)?,
            per_day: has_daily_aggregate(&predicate),
            predicate,
            field_test,
        })
    }

    fn events_list(&self, names: &[String]) -> Result<Vec<usize>, String> {
        names.iter().map(|n| self.event(n)).collect()
    }

    fn condition(&self, c: &ir::Condition) -> Result<CCondition, String> {
        use ir::Condition as C;
        Ok(match c {
            C::All { conditions, .. } => {
                CCondition::All(conditions.iter().map(|x| self.condition(x)).collect::<Result<_, _>>()?)
            }
            C::Any { conditions, .. } => {
                CCondition::Any(conditions.iter().map(|x| self.condition(x)).collect::<Result<_, _>>()?)
            }
            C::Periods { filter, at_least, of, period, window_start, counting, excluding, .. } => {
                CCondition::Periods {
                    filter: self.filter(filter)?,
                    at_least: *at_least,
                    of: *of,
                    period: *period,
                    start: self.expr(&window_start.date)?,
                    anchor: self.anchor_of(&window_start.date)?,
                    day_after: window_start.starts == ir::AnchorStart::DayAfter,
                    counting: counting.clone(),
                    excluding: self.events_list(excluding)?,
                }
            }
            C::Consecutive { filter, periods, period, window, counting, excluding, .. } => {
                CCondition::Consecutive {
                    filter: self.filter(filter)?,
                    periods: *periods,
                    period: *period,
                    window: self.window(window)?,
                    counting: counting.clone(),
                    excluding: self.events_list(excluding)?,
                }
            }
            C::Cumulative { filter, at_least, window, excluding, .. } => {
                let days = match at_least.unit.as_str() {
                    "day" => at_least.value,
                    other => return Err(format!("time in total must be in days, not `{other}`")),
                };
                CCondition::Cumulative {
                    filter: self.filter(filter)?,
                    days: i64::try_from(days.ceil()).unwrap_or(i64::MAX),
                    window: self.window(window)?,
                    excluding: self.events_list(excluding)?,
                }
            }
            C::Occurrence { filter, window, .. } => {
                CCondition::Occurrence { filter: self.filter(filter)?, window: self.window(window)? }
            }
            C::Absence { filter, max_occurrences, window, excluding, .. } => CCondition::Absence {
                filter: self.filter(filter)?,
                max_occurrences: *max_occurrences,
                window: self.window(window)?,
                excluding: self.events_list(excluding)?,
            },
            C::Reaches { function, filter, field, threshold, window, .. } => {
                let filter = self.filter(filter)?;
                CCondition::Reaches {
                    function: *function,
                    field: match field {
                        Some(f) => Some(self.event_field(filter.event, f)?),
                        None => None,
                    },
                    filter,
                    threshold: self.expr(threshold)?,
                    window: self.window(window)?,
                }
            }
            C::Change { event, value, direction, by, baseline, window, .. } => CCondition::Change {
                event: self.event(event)?,
                value: self.expr(value)?,
                rises: *direction == ir::ChangeDirection::Rises,
                by: self.expr(by)?,
                baseline: match baseline {
                    ir::Baseline::FirstEvent => None,
                    ir::Baseline::Value { value } => Some(self.expr(value)?),
                },
                window: self.window(window)?,
            },
            C::Holds { expr, .. } => CCondition::Holds(self.expr(expr)?),
        })
    }

    fn payment(&self, p: &ir::Payment) -> Result<CPayment, String> {
        Ok(match p {
            ir::Payment::Amount { amount, .. } => CPayment::Amount(self.expr(amount)?),
            ir::Payment::ByCase { on, cases, .. } => CPayment::ByCase {
                on: self.expr(on)?,
                cases: cases.iter().map(|c| self.expr(&c.amount)).collect::<Result<_, _>>()?,
            },
            ir::Payment::Tiers { tiers, .. } => CPayment::Tiers(
                tiers
                    .iter()
                    .map(|t| Ok((self.expr(&t.from)?, self.expr(&t.amount)?)))
                    .collect::<Result<_, String>>()?,
            ),
            ir::Payment::PerPoint { rate, above, .. } => {
                CPayment::PerPoint { rate: rate.value, above: self.expr(above)? }
            }
        })
    }
}

/// A condition on the participant as tests of their fields against constants that must all
/// hold, if it is one: a comparison, `true`, or an `and` of comparisons.
fn field_tests(e: &CExpr) -> Option<Vec<(usize, ir::CmpOp, Value)>> {
    let test = |e: &CExpr| match e {
        CExpr::Compare(op, field, value) => match (&**field, &**value) {
            (CExpr::ParticipantField(field), CExpr::Const(value)) => Some((*field, *op, value.clone())),
            _ => None,
        },
        _ => None,
    };
    match e {
        CExpr::Const(Value::Bool(true)) => Some(Vec::new()),
        CExpr::And(parts) => parts.iter().map(test).collect(),
        _ => Some(vec![test(e)?]),
    }
}

/// Whether any node of an expression, its aggregates' filters and windows included, is one
/// `is` picks out.
fn any_node(e: &CExpr, is: &dyn Fn(&CExpr) -> bool) -> bool {
    if is(e) {
        return true;
    }
    let window =
        |w: &CWindow| any_node(&w.start, is) || matches!(&w.end, CWindowEnd::Date(end) if any_node(end, is));
    match e {
        CExpr::Aggregate(a) => any_node(&a.filter, is) || a.window.as_ref().is_some_and(window),
        CExpr::Call(_, args) | CExpr::Builtin(_, args) | CExpr::And(args) | CExpr::Or(args) => {
            args.iter().any(|a| any_node(a, is))
        }
        CExpr::Classify(_, x) | CExpr::Neg(x) | CExpr::Not(x) | CExpr::IsPresent(x) => any_node(x, is),
        CExpr::Arith(_, a, b)
        | CExpr::Compare(_, a, b)
        | CExpr::Coalesce(a, b)
        | CExpr::DaysBetween(a, b)
        | CExpr::ShiftDate { date: a, by: b, .. } => any_node(a, is) || any_node(b, is),
        CExpr::If(a, b, c) => any_node(a, is) || any_node(b, is) || any_node(c, is),
        CExpr::Const(_)
        | CExpr::ParticipantField(_)
        | CExpr::EventField(_)
        | CExpr::Param(_)
        | CExpr::Definition(_)
        | CExpr::AchievedOn(_) => false,
    }
}

/// Whether an expression reads an aggregate with no window (the records in effect each day).
fn has_daily_aggregate(e: &CExpr) -> bool {
    match e {
        CExpr::Aggregate(a) => a.window.is_none() || has_daily_aggregate(&a.filter),
        CExpr::Call(_, args) | CExpr::Builtin(_, args) | CExpr::And(args) | CExpr::Or(args) => {
            args.iter().any(has_daily_aggregate)
        }
        CExpr::Classify(_, x) | CExpr::Neg(x) | CExpr::Not(x) | CExpr::IsPresent(x) => has_daily_aggregate(x),
        CExpr::Arith(_, a, b)
        | CExpr::Compare(_, a, b)
        | CExpr::Coalesce(a, b)
        | CExpr::DaysBetween(a, b)
        | CExpr::ShiftDate { date: a, by: b, .. } => has_daily_aggregate(a) || has_daily_aggregate(b),
        CExpr::If(a, b, c) => has_daily_aggregate(a) || has_daily_aggregate(b) || has_daily_aggregate(c),
        _ => false,
    }
}

/// A decimal from IR text; used for values the IR stores as strings.
pub fn decimal(text: &str) -> Result<Decimal, String> {
    Decimal::from_str(text).map_err(|_| format!("`{text}` is not a number"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eval::interpret::{Known, Scope};
    use crate::eval::value::Participant;
    use std::cell::RefCell;

    const CONTRACT: &str = "contract \"Anchors\" {\n  currency GBP\n  outcomes achievable from 2025-01-01 to 2026-12-31\n  claims close 2027-06-30\n}\nparticipant { born: date }\nevent job { on: date }\noutcome a \"A\" {\n  achieved when job within 12 months after participant.born\n  pays 100 GBP\n}\n";

    fn shift(date: CExpr, by: Value, unit: CalendarUnit, backwards: bool) -> CExpr {
        CExpr::ShiftDate { date: Box::new(date), by: Box::new(CExpr::Const(by)), unit, backwards }
    }

    #[test]
    fn anchors_give_what_evaluating_their_expressions_gives() {
        let ir = crate::compile("anchors.pay", CONTRACT, &crate::resolve::NoFiles).ir.expect("compiles");
        let mut plan = compile(&ir).expect("plans");
        let born = || CExpr::ParticipantField(0);
        let day = |text: &str| Day::parse(text).expect("a date");
        let sixteen = shift(born(), Value::Decimal(Decimal::from(192)), CalendarUnit::Month, false);
        plan.definitions = vec![
            DefinitionPlan { name: "sixteenth".into(), body: sixteen.clone(), participant_level: true },
            DefinitionPlan { name: "again".into(), body: CExpr::Definition(0), participant_level: true },
            DefinitionPlan { name: "not_cached".into(), body: born(), participant_level: false },
        ];
        let anchors = [
            born(),
            CExpr::ParticipantField(7),
            CExpr::Const(Value::Day(day("2024-02-29"))),
            sixteen,
            shift(born(), Value::Int(1), CalendarUnit::Month, true),
            shift(born(), Value::Int(40), CalendarUnit::Day, false),
            shift(born(), Value::Decimal(Decimal::new(120, 1)), CalendarUnit::Month, false),
            shift(born(), Value::Decimal(Decimal::new(-15, 1)), CalendarUnit::Day, true),
            shift(CExpr::Const(Value::Day(day("2024-01-31"))), Value::Int(1), CalendarUnit::Month, false),
            CExpr::Definition(0),
            CExpr::Definition(1),
        ];
        let values = (0..800).map(|k| Value::Day(day("2007-12-01").plus_days(k))).chain([
            Value::Missing,
            Value::Int(3),
            Value::Text("2008-02-29".into()),
        ]);
        for value in values {
            let participant = Participant { fields: vec![value.clone()], ..Participant::default() };
            let known = Known::new(&participant, &[], 1, day("2026-01-01"));
            for e in &anchors {
                let anchor = Anchor::compile(e, &plan.definitions, 0).expect("an anchor");
                let cache = RefCell::new(vec![None; plan.definitions.len()]);
                let scope = Scope::participant(&plan, &known, &[], &cache);
                assert_eq!(anchor.day(&participant), scope.day(e), "{e:?} of {value:?}");
            }
        }
        // Shapes an anchor does not know are left to evaluation.
        let unknown = [
            CExpr::Definition(2),
            shift(born(), Value::Int(3), CalendarUnit::WorkingDay, false),
            shift(
                shift(born(), Value::Int(1), CalendarUnit::Month, false),
                Value::Int(1),
                CalendarUnit::Day,
                false,
            ),
            shift(born(), Value::Text("1".into()), CalendarUnit::Day, false),
            CExpr::AchievedOn(0),
        ];
        for e in &unknown {
            assert_eq!(Anchor::compile(e, &plan.definitions, 0), None, "{e:?}");
        }
    }
}
