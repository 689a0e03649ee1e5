//! Expressions and windows, evaluated for one participant as of a date.

use super::calendar;
use super::day::Day;
use super::plan::{Builtin, CAggregate, CExpr, CWindow, CWindowEnd, CalendarUnit, Plan};
use super::value::{EventRecord, Participant, Value};
use crate::ir;
use rust_decimal::Decimal;
use std::cell::RefCell;

/// A record as known at the as-of date: later records are not seen, and a spell is known
/// only up to the as-of date.
#[derive(Clone, Copy, Debug)]
pub struct Seen<'t> {
    pub record: &'t EventRecord,
    pub start: Day,
    /// The last day known: `to`, or the as-of date for an open spell or one that ends later.
    pub end: Day,
}

/// Everything known about one participant at the as-of date.
pub struct Known<'t> {
    pub participant: &'t Participant,
    /// The records seen, by event (IR index), then start, then input order: one vector for
    /// every event, not one each (an allocation per event per participant).
    seen: Vec<Seen<'t>>,
    /// Where each event's records start in `seen`, and (last) where they all end.
    starts: Vec<u32>,
    pub as_of: Day,
    /// The month after the as-of date's, as [`Day::month_number`] numbers it.
    pub as_of_next_month: i32,
}

/// The buffers of a [`Known`], kept from one participant to the next (see [`Known::refill`]).
#[derive(Debug, Default)]
pub struct KnownBuffers {
    seen: Vec<Seen<'static>>,
    starts: Vec<u32>,
    /// The last as-of date and its next month: the same for every participant of a run.
    next_month: Option<(Day, i32)>,
}

impl<'t> Known<'t> {
    pub fn new(
        participant: &'t Participant,
        records: &'t [EventRecord],
        event_count: usize,
        as_of: Day,
    ) -> Known<'t> {
        Known::refill(KnownBuffers::default(), participant, records, event_count, as_of)
    }

    /// [`Known::new`] in the buffers of an earlier participant's (see [`Known::buffers`]).
    pub fn refill(
        buffers: KnownBuffers,
        participant: &'t Participant,
        records: &'t [EventRecord],
        event_count: usize,
        as_of: Day,
    ) -> Known<'t> {
        let KnownBuffers { seen, mut starts, next_month } = buffers;
        let as_of_next_month = match next_month {
            Some((day, month)) if day == as_of => month,
            _ => as_of.plus_days(1).month_number(),
        };
        let mut seen = recycle(seen);
        // Origins are unique, so the order is total and an unstable sort is deterministic.
        // Input usually comes in this order already: checked as the records are gathered, on
        // the event and start packed in one number (the origin is compared only when they
        // tie), and sorted only when it is not. Each event's records are counted as they
        // are gathered: sorting does not change the counts, and a second pass to find where
        // each event's records start cost ~8 instructions a record.
        let mut sorted = true;
        seen.reserve(records.len());
        starts.clear();
        starts.resize(event_count + 1, 0);
        let mut last_key = 0u64;
        let mut last: Option<&EventRecord> = None;
        // Counted in a slice of exactly `event_count + 1`: an event below `event_count` then
        // needs no bounds check.
        let counts = &mut starts[..=event_count];
        // Written into the reserved capacity through a pointer: a push's check for room, and
        // the call it may make, kept the loop's values out of registers, and an index into
        // the spare capacity was checked on every record.
        let room = seen.spare_capacity_mut()[..records.len()].as_mut_ptr();
        let mut kept = 0;
        for record in records {
            if record.start > as_of || record.event >= event_count {
                continue;
            }
            // Event, then start: the start's sign bit flipped so that the numbers order as
            // the days do.
            let key = (record.event as u64) << 32 | u64::from(record.start.0 as u32 ^ 0x8000_0000);
            if key <= last_key {
                sorted &= key == last_key && last.is_none_or(|last| last.origin <= record.origin);
            }
            last_key = key;
            last = Some(record);
            counts[record.event + 1] += 1;
            // SAFETY: `kept` counts records written, at most one a record of `records`, so it
            // is below `records.len()`, the length of the spare capacity `room` points into.
            unsafe {
                (*room.add(kept)).write(Seen {
                    record,
                    start: record.start,
                    end: record.end.map_or(as_of, |e| e.min(as_of)),
                });
            }
            kept += 1;
        }
        // SAFETY: the first `kept` places of the spare capacity were written just above.
        unsafe { seen.set_len(kept) };
        if !sorted {
            seen.sort_unstable_by_key(|s| (s.record.event, s.start, s.record.origin));
        }
        let mut total = 0;
        for at in starts.iter_mut() {
            total += *at;
            *at = total;
        }
        Known { participant, seen, starts, as_of, as_of_next_month }
    }

    /// The buffers, emptied, for the next participant's `Known`.
    pub fn buffers(self) -> KnownBuffers {
        KnownBuffers {
            seen: recycle(self.seen),
            starts: self.starts,
            next_month: Some((self.as_of, self.as_of_next_month)),
        }
    }

    /// The records of one event, in order of start, then input order.
    pub fn records(&self, event: usize) -> &[Seen<'t>] {
        match (self.starts.get(event), self.starts.get(event + 1)) {
            (Some(&from), Some(&to)) => &self.seen[from as usize..to as usize],
            _ => &[],
        }
    }
}

/// An emptied vector of records seen, for records of another lifetime: the same allocation
/// (collecting a vector's own iterator into a vector of a type of the same size reuses it).
fn recycle<'b>(mut seen: Vec<Seen<'_>>) -> Vec<Seen<'b>> {
    seen.clear();
    seen.into_iter().map(|_| unreachable!("the vector is empty")).collect()
}

/// What an expression can see while it is evaluated.
pub struct Scope<'a, 't> {
    pub plan: &'a Plan,
    pub known: &'a Known<'t>,
    /// The record a filter is judging.
    pub record: Option<&'t EventRecord>,
    /// The records in effect on the day being judged (for aggregates without a window).
    pub active: Option<&'a [Seen<'t>]>,
    pub params: &'a [Value],
    /// Achievement dates of outcomes decided so far (by plan index).
    pub achieved: &'a [Option<Day>],
    /// Participant-level definitions, computed once.
    pub cache: &'a RefCell<Vec<Option<Value>>>,
}

impl<'a, 't> Scope<'a, 't> {
    /// A participant-level view: no record, no parameters.
    pub fn participant(
        plan: &'a Plan,
        known: &'a Known<'t>,
        achieved: &'a [Option<Day>],
        cache: &'a RefCell<Vec<Option<Value>>>,
    ) -> Scope<'a, 't> {
        Scope { plan, known, record: None, active: None, params: &[], achieved, cache }
    }

    pub fn with_record(&self, record: &'t EventRecord) -> Scope<'a, 't> {
        Scope { record: Some(record), ..self.reborrow() }
    }

    pub fn with_active(&self, active: &'a [Seen<'t>]) -> Scope<'a, 't> {
        Scope { active: Some(active), ..self.reborrow() }
    }

    /// The same view, to be changed in one respect with struct update syntax.
    pub fn reborrow(&self) -> Scope<'a, 't> {
        Scope {
            plan: self.plan,
            known: self.known,
            record: self.record,
            active: self.active,
            params: self.params,
            achieved: self.achieved,
            cache: self.cache,
        }
    }

    pub fn truthy(&self, e: &CExpr) -> bool {
        self.test(e) == Some(true)
    }

    /// [`Self::eval`] of a condition, as a truth value (`None`: missing, or not a truth
    /// value). Filters and memberships are judged for every record and participant: their
    /// comparisons, `and`s, `or`s and `not`s are worked out here without making values.
    fn test(&self, e: &CExpr) -> Option<bool> {
        match e {
            CExpr::Compare(op, a, b) => match (self.leaf(a), self.leaf(b)) {
                (Some(x), Some(y)) => Some(holds(*op, x, y)),
                _ => Some(holds(*op, &self.eval(a), &self.eval(b))),
            },
            CExpr::And(xs) => {
                for x in xs {
                    match self.test(x) {
                        Some(true) => {}
                        other => return other,
                    }
                }
                Some(true)
            }
            CExpr::Or(xs) => {
                let mut missing = false;
                for x in xs {
                    match self.test(x) {
                        Some(true) => return Some(true),
                        Some(false) => {}
                        None => missing = true,
                    }
                }
                if missing { None } else { Some(false) }
            }
            CExpr::Not(x) => self.test(x).map(|b| !b),
            _ => match self.eval(e) {
                Value::Bool(b) => Some(b),
                _ => None,
            },
        }
    }

    pub fn day(&self, e: &CExpr) -> Option<Day> {
        match self.eval(e) {
            Value::Day(d) => Some(d),
            _ => None,
        }
    }

    /// The value of an expression. Constants, fields and parameters, most of the leaves of
    /// a tree, are read here, without a call of the whole evaluator: its frame cost more than
    /// they do.
    #[inline]
    pub fn eval(&self, e: &CExpr) -> Value {
        match self.leaf(e) {
            Some(v) => v.clone(),
            None => self.eval_node(e),
        }
    }

    fn eval_node(&self, e: &CExpr) -> Value {
        match e {
            CExpr::Const(v) => v.clone(),
            CExpr::ParticipantField(i) => {
                self.known.participant.fields.get(*i).cloned().unwrap_or(Value::Missing)
            }
            CExpr::EventField(i) => {
                self.record.and_then(|r| r.fields.get(*i).cloned()).unwrap_or(Value::Missing)
            }
            CExpr::Param(i) => self.params.get(*i).cloned().unwrap_or(Value::Missing),
            CExpr::Definition(i) => self.definition(*i),
            CExpr::Call(i, args) => {
                let values: Vec<Value> = args.iter().map(|a| self.eval(a)).collect();
                let inner = Scope { params: &values, ..self.reborrow() };
                inner.eval(&self.plan.definitions[*i].body)
            }
            CExpr::Builtin(b, args) => self.builtin(*b, args),
            CExpr::Classify(bands, value) => classify(self.plan, *bands, &self.eval(value)),
            CExpr::Neg(x) => match self.eval(x) {
                Value::Int(n) => Value::Int(-n),
                Value::Decimal(d) => Value::Decimal(-d),
                _ => Value::Missing,
            },
            CExpr::Not(x) => match self.eval(x) {
                Value::Bool(b) => Value::Bool(!b),
                _ => Value::Missing,
            },
            CExpr::Arith(op, a, b) => arithmetic(*op, self.eval(a), self.eval(b)),
            CExpr::ShiftDate { date, by, unit, backwards } => {
                let (Value::Day(d), amount) = (self.eval(date), self.eval(by)) else { return Value::Missing };
                let Some(n) = whole(&amount) else { return Value::Missing };
                let n = if *backwards { -n } else { n };
                Value::Day(shift(d, n, *unit, &self.plan.holidays))
            }
            CExpr::DaysBetween(from, to) => match (self.eval(from), self.eval(to)) {
                (Value::Day(a), Value::Day(b)) => Value::Decimal(Decimal::from(b.0 - a.0)),
                _ => Value::Missing,
            },
            CExpr::And(xs) => {
                for x in xs {
                    match self.eval(x) {
                        Value::Bool(true) => {}
                        Value::Bool(false) => return Value::Bool(false),
                        _ => return Value::Missing,
                    }
                }
                Value::Bool(true)
            }
            CExpr::Or(xs) => {
                let mut missing = false;
                for x in xs {
                    match self.eval(x) {
                        Value::Bool(true) => return Value::Bool(true),
                        Value::Bool(false) => {}
                        _ => missing = true,
                    }
                }
                if missing { Value::Missing } else { Value::Bool(false) }
            }
            // Filters are mostly a field against a constant: compared where they are, not
            // cloned (a text value would be a copy of its text).
            CExpr::Compare(op, a, b) => match (self.leaf(a), self.leaf(b)) {
                (Some(x), Some(y)) => compare(*op, x, y),
                _ => compare(*op, &self.eval(a), &self.eval(b)),
            },
            CExpr::Coalesce(value, default) => match self.eval(value) {
                Value::Missing => self.eval(default),
                v => v,
            },
            CExpr::IsPresent(x) => Value::Bool(self.eval(x) != Value::Missing),
            CExpr::If(c, t, o) => match self.eval(c) {
                Value::Bool(true) => self.eval(t),
                Value::Bool(false) => self.eval(o),
                _ => Value::Missing,
            },
            CExpr::Aggregate(a) => self.aggregate(a),
            CExpr::AchievedOn(i) => {
                self.achieved.get(*i).copied().flatten().map_or(Value::Missing, Value::Day)
            }
        }
    }

    /// The value of a constant, a field or a parameter, where it is.
    #[inline]
    fn leaf<'e>(&'e self, e: &'e CExpr) -> Option<&'e Value> {
        const MISSING: &Value = &Value::Missing;
        match e {
            CExpr::Const(v) => Some(v),
            CExpr::ParticipantField(i) => Some(self.known.participant.fields.get(*i).unwrap_or(MISSING)),
            CExpr::EventField(i) => Some(self.record.and_then(|r| r.fields.get(*i)).unwrap_or(MISSING)),
            CExpr::Param(i) => Some(self.params.get(*i).unwrap_or(MISSING)),
            _ => None,
        }
    }

    fn definition(&self, i: usize) -> Value {
        let plan = &self.plan.definitions[i];
        if plan.participant_level {
            if let Some(v) = self.cache.borrow().get(i).cloned().flatten() {
                return v;
            }
            let v = self.eval(&plan.body);
            if let Some(slot) = self.cache.borrow_mut().get_mut(i) {
                *slot = Some(v.clone());
            }
            return v;
        }
        self.eval(&plan.body)
    }

    fn builtin(&self, b: Builtin, args: &[CExpr]) -> Value {
        let values: Vec<Value> = args.iter().map(|a| self.eval(a)).collect();
        let day = |i: usize| match values.get(i) {
            Some(Value::Day(d)) => Some(*d),
            _ => None,
        };
        match b {
            Builtin::Age => match (day(0), day(1)) {
                (Some(born), Some(on)) => Value::Int(born.whole_years_to(on)),
                _ => Value::Missing,
            },
            Builtin::StartOfMonth => day(0).map_or(Value::Missing, |d| Value::Day(d.first_of_month())),
            Builtin::EndOfMonth => day(0).map_or(Value::Missing, |d| Value::Day(d.last_of_month())),
            Builtin::StartOfYear => day(0).map_or(Value::Missing, |d| Value::Day(d.first_of_year())),
            Builtin::Min | Builtin::Max => {
                if values.contains(&Value::Missing) {
                    return Value::Missing;
                }
                let function = if b == Builtin::Min { ir::AggregateFn::Min } else { ir::AggregateFn::Max };
                aggregate(function, values)
            }
        }
    }

    /// An aggregate over the records of one event: those in its window, or (with no window)
    /// those in effect on the day being judged.
    fn aggregate(&self, a: &CAggregate) -> Value {
        let records: Vec<&Seen<'t>> = match &a.window {
            Some(w) => {
                let Some((start, end)) = self.window(w) else { return Value::Missing };
                self.known.records(a.event).iter().filter(|s| s.start >= start && s.start <= end).collect()
            }
            None => match self.active {
                Some(active) => active.iter().filter(|s| s.record.event == a.event).collect(),
                None => Vec::new(),
            },
        };
        let mut values = Vec::new();
        for s in records {
            if !self.with_record(s.record).truthy(&a.filter) {
                continue;
            }
            match a.field {
                Some(f) => values.push(s.record.fields.get(f).cloned().unwrap_or(Value::Missing)),
                None => values.push(Value::Int(1)),
            }
        }
        aggregate(a.function, values)
    }

    /// A window's first and last day, or `None` when its anchor is missing. The last day is
    /// never after the contract's achievable period.
    pub fn window(&self, w: &CWindow) -> Option<(Day, Day)> {
        self.window_from(w, self.day(&w.start)?)
    }

    /// [`Self::window`], its anchor known.
    #[inline]
    pub fn window_from(&self, w: &CWindow, anchor: Day) -> Option<(Day, Day)> {
        let start = if w.day_after { anchor.plus_days(1) } else { anchor };
        let end = match &w.end {
            CWindowEnd::Length { count, unit, .. } => {
                shift(start, (*count)?, *unit, &self.plan.holidays).plus_days(-1)
            }
            CWindowEnd::Date(e) => self.day(e)?,
            CWindowEnd::AchievableEnd => self.plan.achievable.1,
        };
        Some((start, end))
    }
}

/// A date moved by whole units of calendar time.
#[inline]
pub fn shift(day: Day, n: i64, unit: CalendarUnit, holidays: &str) -> Day {
    let n = i32::try_from(n).unwrap_or(if n < 0 { i32::MIN / 2 } else { i32::MAX / 2 });
    match unit {
        CalendarUnit::Day => day.plus_days(n),
        CalendarUnit::Month => day.plus_months(n),
        CalendarUnit::WorkingDay => calendar::plus_working_days(day, n, holidays),
    }
}

pub(crate) fn whole(v: &Value) -> Option<i64> {
    match v {
        Value::Int(n) => Some(*n),
        // Every window's length is a whole decimal: its mantissa is the number, with none of
        // the work of `fract` and `try_from`.
        Value::Decimal(d) if d.scale() == 0 => i64::try_from(d.mantissa()).ok(),
        Value::Decimal(d) if d.fract().is_zero() => i64::try_from(*d).ok(),
        Value::Decimal(d) => i64::try_from(d.trunc()).ok(),
        _ => None,
    }
}

fn number(v: &Value) -> Option<Decimal> {
    match v {
        Value::Int(n) => Some(Decimal::from(*n)),
        Value::Decimal(d) => Some(*d),
        _ => None,
    }
}

pub fn arithmetic(op: ir::BinaryOp, a: Value, b: Value) -> Value {
    if let (Value::Int(x), Value::Int(y)) = (&a, &b) {
        let result = match op {
            ir::BinaryOp::Add => x.checked_add(*y),
            ir::BinaryOp::Sub => x.checked_sub(*y),
            ir::BinaryOp::Mul => x.checked_mul(*y),
            ir::BinaryOp::Div => None,
        };
        if let Some(n) = result {
            return Value::Int(n);
        }
    }
    let (Some(x), Some(y)) = (number(&a), number(&b)) else { return Value::Missing };
    let result = match op {
        ir::BinaryOp::Add => x.checked_add(y),
        ir::BinaryOp::Sub => x.checked_sub(y),
        ir::BinaryOp::Mul => x.checked_mul(y),
        ir::BinaryOp::Div => x.checked_div(y),
    };
    result.map_or(Value::Missing, Value::Decimal)
}

/// Comparison of like with like; a missing value makes every comparison false.
pub fn compare(op: ir::CmpOp, a: &Value, b: &Value) -> Value {
    Value::Bool(holds(op, a, b))
}

/// [`compare`], as a truth value.
pub(crate) fn holds(op: ir::CmpOp, a: &Value, b: &Value) -> bool {
    // Dates against dates first: cohorts' memberships and most anchors' comparisons.
    if let (Value::Day(x), Value::Day(y)) = (a, b) {
        return ordering_holds(op, x.cmp(y));
    }
    let ordering = match (a, b) {
        (Value::Missing, _) | (_, Value::Missing) => return false,
        (Value::Int(x), Value::Int(y)) => Some(x.cmp(y)),
        // At one scale (a field and a constant written alike), the mantissas order the
        // values: a third of the work of the general comparison.
        (Value::Decimal(x), Value::Decimal(y)) if x.scale() == y.scale() => {
            Some(x.mantissa().cmp(&y.mantissa()))
        }
        (Value::Decimal(x), Value::Decimal(y)) => Some(x.cmp(y)),
        // A whole decimal against a whole number (`rises by at least 3`): its mantissa is
        // the number.
        (Value::Int(x), Value::Decimal(y)) if y.scale() == 0 => Some(i128::from(*x).cmp(&y.mantissa())),
        (Value::Decimal(x), Value::Int(y)) if x.scale() == 0 => Some(x.mantissa().cmp(&i128::from(*y))),
        (Value::Int(_) | Value::Decimal(_), Value::Int(_) | Value::Decimal(_)) => {
            number(a).zip(number(b)).map(|(x, y)| x.cmp(&y))
        }
        (Value::Day(x), Value::Day(y)) => Some(x.cmp(y)),
        (Value::Bool(x), Value::Bool(y)) => Some(x.cmp(y)),
        (Value::Text(x), Value::Text(y)) => Some(x.cmp(y)),
        (Value::Case(x), Value::Case(y)) => Some(x.cmp(y)),
        _ => None,
    };
    let Some(ordering) = ordering else { return false };
    ordering_holds(op, ordering)
}

/// [`holds`], with dates against dates worked out where it is called (the cohort
/// membership's comparisons, two a participant, cost ~24 instructions each as calls).
#[inline]
pub(crate) fn holds_here(op: ir::CmpOp, a: &Value, b: &Value) -> bool {
    if let (Value::Day(x), Value::Day(y)) = (a, b) {
        return ordering_holds(op, x.cmp(y));
    }
    holds(op, a, b)
}

/// Whether an ordering satisfies a comparison.
#[inline]
fn ordering_holds(op: ir::CmpOp, ordering: std::cmp::Ordering) -> bool {
    use std::cmp::Ordering::*;
    match op {
        ir::CmpOp::Eq => ordering == Equal,
        ir::CmpOp::Ne => ordering != Equal,
        ir::CmpOp::Lt => ordering == Less,
        ir::CmpOp::Le => ordering != Greater,
        ir::CmpOp::Gt => ordering == Greater,
        ir::CmpOp::Ge => ordering != Less,
    }
}

fn classify(plan: &Plan, bands: usize, value: &Value) -> Value {
    let Some(Some(list)) = plan.bands.get(bands) else { return Value::Missing };
    let Some(x) = number(value) else { return Value::Missing };
    for (i, (from, to)) in list.iter().enumerate() {
        if from.is_none_or(|f| x >= f) && to.is_none_or(|t| x < t) {
            return Value::Case(i as u32);
        }
    }
    Value::Missing
}

/// Sum and count of nothing are zero; min, max and mean of nothing are missing.
pub fn aggregate(function: ir::AggregateFn, values: Vec<Value>) -> Value {
    let numbers: Vec<Decimal> = values.iter().filter_map(number).collect();
    match function {
        ir::AggregateFn::Count => Value::Int(values.len() as i64),
        ir::AggregateFn::Sum => {
            if values.iter().all(|v| matches!(v, Value::Int(_))) {
                Value::Int(values.iter().map(|v| if let Value::Int(n) = v { *n } else { 0 }).sum())
            } else {
                Value::Decimal(numbers.iter().sum())
            }
        }
        ir::AggregateFn::Mean => {
            if numbers.is_empty() {
                Value::Missing
            } else {
                Value::Decimal(numbers.iter().sum::<Decimal>() / Decimal::from(numbers.len()))
            }
        }
        ir::AggregateFn::Min | ir::AggregateFn::Max => {
            let mut present = values.into_iter().filter(|v| *v != Value::Missing);
            let first = present.next();
            present
                .fold(first, |best, v| {
                    let best = best?;
                    let better = match function {
                        ir::AggregateFn::Min => compare(ir::CmpOp::Lt, &v, &best),
                        _ => compare(ir::CmpOp::Gt, &v, &best),
                    };
                    Some(if better == Value::Bool(true) { v } else { best })
                })
                .unwrap_or(Value::Missing)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_at_one_scale_compare_as_decimals_do() {
        let mut values = vec![Decimal::ZERO, -Decimal::ZERO, Decimal::MAX, Decimal::MIN];
        for mantissa in [0i64, 1, -1, 15, 16, 17, -16, 165, 160, 1_000_000_007, i64::MAX, i64::MIN] {
            for scale in [0, 1, 2, 10, 28] {
                values.push(Decimal::new(mantissa, scale));
            }
        }
        let ops = [ir::CmpOp::Eq, ir::CmpOp::Ne, ir::CmpOp::Lt, ir::CmpOp::Le, ir::CmpOp::Gt, ir::CmpOp::Ge];
        for x in &values {
            for y in &values {
                for op in ops {
                    let expected = ordering_holds(op, x.cmp(y));
                    assert_eq!(
                        holds(op, &Value::Decimal(*x), &Value::Decimal(*y)),
                        expected,
                        "{x:?} {op:?} {y:?}"
                    );
                }
            }
        }
    }
}
