//! Conditions: whether, and on which date, a participant achieves an outcome, as of a date.
//!
//! Every condition works on sets of days (`DaySet`): the days on which a filter holds, the
//! days excluded, the days of a period. A condition is **achieved** on a date, **not
//! achieved** (it can no longer happen, with the reason) or **pending** until the date by
//! which it will be decided. Data are known only up to the as-of date: a period, a window or
//! a spell that has not ended says nothing yet about the days after it.

use super::day::Day;
use super::decide::Reason;
use super::interpret::{Scope, Seen};
use super::plan::{Anchor, CCondition, CExpr, CFilter, CWindow};
use super::value::{EventRecord, Value};
use crate::ir;

/// The verdict on a condition.
#[derive(Clone, Debug, PartialEq)]
pub enum Verdict<'t> {
    Achieved {
        on: Day,
        evidence: Vec<&'t EventRecord>,
    },
    NotAchieved {
        reason: Reason,
    },
    Pending {
        until: Day,
    },
    /// A condition on the participant alone that holds: it narrows, but sets no date.
    Holds,
}

/// Sorted, disjoint, inclusive ranges of days.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DaySet(Vec<(Day, Day)>);

impl DaySet {
    pub fn from_ranges(mut ranges: Vec<(Day, Day)>) -> DaySet {
        ranges.retain(|(a, b)| a <= b);
        ranges.sort();
        let mut merged: Vec<(Day, Day)> = Vec::with_capacity(ranges.len());
        for (a, b) in ranges {
            match merged.last_mut() {
                Some((_, end)) if a.0 <= end.0 + 1 => *end = (*end).max(b),
                _ => merged.push((a, b)),
            }
        }
        DaySet(merged)
    }

    /// Days of the set inside `[a, b]`, for ranges `[a, b]` asked in increasing order:
    /// `from` is where the last one left off (start at 0). Counting a grid of periods so is
    /// one pass over the set, instead of a pass per period.
    pub fn count_in_from(&self, from: &mut usize, a: Day, b: Day) -> i64 {
        let ranges = &self.0;
        while *from < ranges.len() && ranges[*from].1 < a {
            *from += 1;
        }
        let mut days = 0;
        for &(x, y) in &ranges[*from..] {
            if x > b {
                break;
            }
            let (lo, hi) = (x.max(a), y.min(b));
            days += i64::from(hi.0 - lo.0 + 1);
        }
        days
    }

    /// Days of the set inside `[a, b]`.
    pub fn count_in(&self, a: Day, b: Day) -> i64 {
        self.0
            .iter()
            .map(|(x, y)| {
                let lo = (*x).max(a);
                let hi = (*y).min(b);
                if lo <= hi { i64::from(hi.0 - lo.0 + 1) } else { 0 }
            })
            .sum()
    }

    pub fn first_in(&self, a: Day, b: Day) -> Option<Day> {
        self.0.iter().find(|(_, y)| *y >= a).map(|(x, _)| (*x).max(a)).filter(|d| *d <= b)
    }

    pub fn contains(&self, d: Day) -> bool {
        self.0.iter().any(|(x, y)| *x <= d && d <= *y)
    }

    pub fn minus(&self, other: &DaySet) -> DaySet {
        let mut out = Vec::new();
        for &(a, b) in &self.0 {
            let mut start = a;
            for &(x, y) in &other.0 {
                if y < start || x > b {
                    continue;
                }
                if x > start {
                    out.push((start, x.plus_days(-1)));
                }
                start = start.max(y.plus_days(1));
            }
            if start <= b {
                out.push((start, b));
            }
        }
        DaySet(out)
    }

    /// The day on which the `n`-th day of the set (from `a`) falls, if within `b`.
    pub fn nth_from(&self, a: Day, b: Day, n: i64) -> Option<Day> {
        let mut seen = 0;
        for &(x, y) in &self.0 {
            let lo = x.max(a);
            let hi = y.min(b);
            if lo > hi {
                continue;
            }
            let len = i64::from(hi.0 - lo.0 + 1);
            if seen + len >= n {
                return Some(lo.plus_days((n - seen - 1) as i32));
            }
            seen += len;
        }
        None
    }
}

/// Judges conditions for one participant, noting the working when asked to explain.
pub struct Judge<'s, 'a, 't> {
    pub scope: &'s Scope<'a, 't>,
    /// Days before this cannot count (a repeat is measured after the previous achievement).
    pub not_before: Option<Day>,
    pub trace: Option<Vec<String>>,
}

impl<'s, 'a, 't> Judge<'s, 'a, 't> {
    fn note(&mut self, line: impl FnOnce() -> String) {
        if let Some(trace) = &mut self.trace {
            trace.push(line());
        }
    }

    fn as_of(&self) -> Day {
        self.scope.known.as_of
    }

    fn achievable_end(&self) -> Day {
        self.scope.plan.achievable.1
    }

    fn window(&self, w: &CWindow) -> Option<(Day, Day)> {
        self.window_here(w)
    }

    /// [`Self::window`], worked out where it is called: for a change, judged for every
    /// participant of the commonest contracts (~25 instructions a participant fewer).
    #[inline(always)]
    fn window_here(&self, w: &CWindow) -> Option<(Day, Day)> {
        let anchor = self.anchor(w.anchor, &w.start)?;
        let (start, end) = self.scope.window_from(w, anchor)?;
        Some((self.not_before.map_or(start, |n| start.max(n)), end))
    }

    /// The date a window is measured from: by its compiled anchor, but when explaining
    /// (which keeps the general path, so that the fast-path tests compare the two).
    #[inline]
    fn anchor(&self, anchor: Option<Anchor>, start: &CExpr) -> Option<Day> {
        match anchor {
            Some(anchor) if self.trace.is_none() => anchor.day(self.scope.known.participant),
            _ => self.scope.day(start),
        }
    }

    /// Whether a filter holds for a record: a field against a constant compared where it
    /// is (as `Scope::test` compares it), any other predicate evaluated.
    #[inline]
    fn filter_holds(&self, f: &CFilter, record: &'t EventRecord) -> bool {
        match &f.field_test {
            Some((field, op, value)) => {
                super::interpret::holds(*op, record.fields.get(*field).unwrap_or(&Value::Missing), value)
            }
            None => self.scope.with_record(record).truthy(&f.predicate),
        }
    }

    fn records(&self, event: usize) -> &'a [Seen<'t>] {
        self.scope.known.records(event)
    }

    /// The days in `[lo, hi]` on which the filter holds, and the records behind them.
    fn holding(&self, f: &CFilter, lo: Day, hi: Day) -> (DaySet, Vec<&'t EventRecord>) {
        let records = self.records(f.event);
        let mut ranges = Vec::new();
        let mut evidence = Vec::new();
        if f.per_day {
            let mut cuts: Vec<Day> = vec![lo, hi.plus_days(1)];
            for s in records {
                for d in [s.start, s.end.plus_days(1)] {
                    if d > lo && d <= hi {
                        cuts.push(d);
                    }
                }
            }
            cuts.sort();
            cuts.dedup();
            for pair in cuts.windows(2) {
                let (a, b) = (pair[0], pair[1].plus_days(-1));
                let active: Vec<Seen<'t>> =
                    records.iter().filter(|s| s.start <= a && s.end >= a).copied().collect();
                if self.scope.with_active(&active).truthy(&f.predicate) {
                    ranges.push((a, b));
                    evidence.extend(active.iter().map(|s| s.record));
                }
            }
        } else {
            for s in records {
                if s.end < lo || s.start > hi {
                    continue;
                }
                if self.scope.with_record(s.record).truthy(&f.predicate) {
                    ranges.push((s.start.max(lo), s.end.min(hi)));
                    evidence.push(s.record);
                }
            }
        }
        evidence.dedup_by_key(|r| r.origin);
        (DaySet::from_ranges(ranges), evidence)
    }

    fn excluded(&self, events: &[usize], lo: Day, hi: Day) -> DaySet {
        let mut ranges = Vec::new();
        for &e in events {
            for s in self.records(e) {
                if s.end >= lo && s.start <= hi {
                    ranges.push((s.start.max(lo), s.end.min(hi)));
                }
            }
        }
        DaySet::from_ranges(ranges)
    }

    pub fn judge(&mut self, c: &CCondition) -> Verdict<'t> {
        match c {
            CCondition::All(parts) => {
                let verdicts: Vec<Verdict<'t>> = parts.iter().map(|p| self.judge(p)).collect();
                if let Some(not) = verdicts.iter().find(|v| matches!(v, Verdict::NotAchieved { .. })) {
                    return not.clone();
                }
                if let Some(until) = verdicts
                    .iter()
                    .filter_map(|v| if let Verdict::Pending { until } = v { Some(*until) } else { None })
                    .max()
                {
                    return Verdict::Pending { until };
                }
                let mut on = None;
                let mut evidence = Vec::new();
                for v in verdicts {
                    if let Verdict::Achieved { on: d, evidence: e } = v {
                        on = Some(on.map_or(d, |x: Day| x.max(d)));
                        evidence.extend(e);
                    }
                }
                match on {
                    Some(on) => Verdict::Achieved { on, evidence },
                    None => Verdict::Holds,
                }
            }
            CCondition::Any(parts) => {
                let verdicts: Vec<Verdict<'t>> = parts.iter().map(|p| self.judge(p)).collect();
                let achieved = verdicts
                    .iter()
                    .filter_map(|v| if let Verdict::Achieved { on, .. } = v { Some((*on, v)) } else { None })
                    .min_by_key(|(on, _)| *on);
                if let Some((_, v)) = achieved {
                    return v.clone();
                }
                if verdicts.iter().any(|v| matches!(v, Verdict::Holds)) {
                    return Verdict::Holds;
                }
                if let Some(until) = verdicts
                    .iter()
                    .filter_map(|v| if let Verdict::Pending { until } = v { Some(*until) } else { None })
                    .max()
                {
                    return Verdict::Pending { until };
                }
                let reasons: Vec<String> = verdicts
                    .into_iter()
                    .filter_map(|v| {
                        if let Verdict::NotAchieved { reason } = v { Some(reason.to_string()) } else { None }
                    })
                    .collect();
                Verdict::NotAchieved { reason: Reason::Text(reasons.join("; and ")) }
            }
            CCondition::Periods {
                filter,
                at_least,
                of,
                period,
                start,
                anchor,
                day_after,
                counting,
                excluding,
            } => {
                let fast = self.months_fast(filter, *period, counting, excluding);
                // A participant's date moved by whole months, its months counted from the
                // first whole one: that month's number is the date's, moved, and one more
                // unless the date is a 1st (a month's end clamps a later day, never to the
                // 1st); from the day after the date, always one more (the day after is a
                // 1st only when the date ends its month). One look-up of the date, where the
                // anchor's calendar arithmetic and the grid's cost three (~70 instructions a
                // participant).
                if let (true, Some(Anchor::Field { field, months, days: 0 }), None) =
                    (fast, anchor, self.not_before)
                {
                    if let (None, Some(Value::Day(d))) =
                        (&self.trace, self.scope.known.participant.fields.get(*field))
                    {
                        let (year, month, day) = d.ymd_here();
                        let first = year * 12 + month as i32 - 1 + months + i32::from(*day_after || day != 1);
                        let n = *of as usize;
                        if (1..=MonthBits::CAPACITY).contains(&n) {
                            if let Some(v) =
                                self.months_any_day(filter, (MonthGrid { first }, n), *at_least, false)
                            {
                                return v;
                            }
                            let anchor = d.plus_months(*months);
                            let first = if *day_after { anchor.plus_days(1) } else { anchor };
                            let periods = grid(*period, first, n, None);
                            return self
                                .count_periods(filter, periods, *at_least, counting, excluding, false);
                        }
                    }
                }
                let Some(anchor) = self.anchor(*anchor, start) else { return missing_anchor() };
                let mut first = if *day_after { anchor.plus_days(1) } else { anchor };
                if let Some(n) = self.not_before {
                    first = first.max(n);
                }
                let months = Months { first, count: *of as usize, until: None };
                if let Some(v) = months
                    .grid()
                    .filter(|_| fast)
                    .and_then(|grid| self.months_any_day(filter, grid, *at_least, false))
                {
                    return v;
                }
                let periods = grid(*period, first, *of as usize, None);
                self.count_periods(filter, periods, *at_least, counting, excluding, false)
            }
            CCondition::Consecutive { filter, periods, period, window, counting, excluding } => {
                let Some((lo, hi)) = self.window(window) else { return missing_anchor() };
                let months = Months { first: lo, count: usize::MAX, until: Some(hi) };
                if let Some(v) = months
                    .grid()
                    .filter(|_| self.months_fast(filter, *period, counting, excluding))
                    .and_then(|grid| self.months_any_day(filter, grid, *periods, true))
                {
                    return v;
                }
                let grid = grid(*period, lo, usize::MAX, Some(hi));
                self.count_periods(filter, grid, *periods, counting, excluding, true)
            }
            CCondition::Cumulative { filter, days, window, excluding } => {
                let Some((lo, hi)) = self.window(window) else { return missing_anchor() };
                let last = hi.min(self.achievable_end());
                let known_end = last.min(self.as_of());
                let (holding, evidence) = self.holding(filter, lo, known_end);
                let counted = holding.minus(&self.excluded(excluding, lo, known_end));
                let total = counted.count_in(lo, known_end);
                self.note(|| format!("{total} day(s) counted from {lo} to {known_end}; {days} needed"));
                if let Some(on) = counted.nth_from(lo, known_end, *days) {
                    return Verdict::Achieved { on, evidence };
                }
                let remaining = i64::from((last.0 - known_end.0).max(0));
                if last < lo || total + remaining < *days {
                    return Verdict::NotAchieved {
                        reason: Reason::Text(format!(
                            "{total} of the {days} days needed by {last}, and only {remaining} day(s) left"
                        )),
                    };
                }
                Verdict::Pending { until: last }
            }
            CCondition::Occurrence { filter, window } => {
                let Some((lo, hi)) = self.window(window) else { return missing_anchor() };
                let last = hi.min(self.achievable_end());
                let known_end = last.min(self.as_of());
                let (holding, evidence) = self.holding(filter, lo, known_end);
                if let Some(on) = holding.first_in(lo, known_end) {
                    self.note(|| format!("first holds on {on}, in the window {lo} to {hi}"));
                    let evidence = evidence.into_iter().filter(|r| r.start <= on).collect();
                    return Verdict::Achieved { on, evidence };
                }
                self.note(|| format!("does not hold on any day from {lo} to {known_end}"));
                if last <= self.as_of() || last < lo {
                    return Verdict::NotAchieved {
                        reason: Reason::Text(format!("it never held in the window {lo} to {last}")),
                    };
                }
                Verdict::Pending { until: last }
            }
            CCondition::Absence { filter, max_occurrences, window, excluding } => {
                let Some((lo, hi)) = self.window(window) else { return missing_anchor() };
                if hi > self.achievable_end() {
                    return Verdict::NotAchieved {
                        reason: Reason::Text(format!(
                            "the window ends on {hi}, after the achievable period ends ({})",
                            self.achievable_end()
                        )),
                    };
                }
                let known_end = hi.min(self.as_of());
                let excluded = self.excluded(excluding, lo, known_end);
                let mut occurrences: Vec<(Day, &'t EventRecord)> = Vec::new();
                for s in self.records(filter.event) {
                    if s.end < lo || s.start > known_end {
                        continue;
                    }
                    let day = s.start.max(lo);
                    if excluded.contains(day) {
                        continue;
                    }
                    if self.scope.with_record(s.record).truthy(&filter.predicate) {
                        occurrences.push((day, s.record));
                    }
                }
                occurrences.sort_by_key(|(d, r)| (*d, r.origin));
                self.note(|| format!("{} matching record(s) from {lo} to {known_end}", occurrences.len()));
                if let Some((day, _)) = occurrences.get(*max_occurrences as usize) {
                    return Verdict::NotAchieved {
                        reason: Reason::Text(if *max_occurrences == 0 {
                            format!("a matching record on {day}")
                        } else {
                            format!("more than {max_occurrences} matching records by {day}")
                        }),
                    };
                }
                if hi <= self.as_of() {
                    return Verdict::Achieved {
                        on: hi,
                        evidence: occurrences.into_iter().map(|(_, r)| r).collect(),
                    };
                }
                Verdict::Pending { until: hi }
            }
            CCondition::Reaches { function, filter, field, threshold, window } => {
                let Some((lo, hi)) = self.window(window) else { return missing_anchor() };
                let last = hi.min(self.achievable_end());
                let known_end = last.min(self.as_of());
                let target = self.scope.eval(threshold);
                let mut total = Value::Int(0);
                let mut evidence = Vec::new();
                for s in self.records(filter.event) {
                    if s.start < lo || s.start > known_end {
                        continue;
                    }
                    if !self.scope.with_record(s.record).truthy(&filter.predicate) {
                        continue;
                    }
                    let amount = match (function, field) {
                        (ir::AggregateFn::Sum, Some(f)) => {
                            s.record.fields.get(*f).cloned().unwrap_or(Value::Missing)
                        }
                        _ => Value::Int(1),
                    };
                    total = super::interpret::arithmetic(ir::BinaryOp::Add, total, amount);
                    evidence.push(s.record);
                    if super::interpret::compare(ir::CmpOp::Ge, &total, &target) == Value::Bool(true) {
                        let on = s.start;
                        self.note(|| format!("the running total reaches {} on {on}", show(&total)));
                        return Verdict::Achieved { on, evidence };
                    }
                }
                self.note(|| format!("the running total is {} by {known_end}", show(&total)));
                if last <= self.as_of() || last < lo {
                    return Verdict::NotAchieved {
                        reason: Reason::Text(format!(
                            "the total was {} when the window closed on {last}",
                            show(&total)
                        )),
                    };
                }
                Verdict::Pending { until: last }
            }
            CCondition::Change { event, value, rises, by, baseline, window } => {
                let Some((lo, hi)) = self.window_here(window) else { return missing_anchor() };
                let last = hi.min(self.achievable_end());
                let known_end = last.min(self.as_of());
                // Records are in order of start: those in the window are a run of them.
                let records = self.records(*event);
                // A participant has a few of them: counted from the front, as a search would
                // find the same bounds with more work.
                let from = records.iter().take_while(|s| s.start < lo).count();
                let to = from + records[from..].iter().take_while(|s| s.start <= known_end).count();
                let in_window = &records[from..to];
                let by = self.scope.eval(by);
                let (base, base_record, candidates) = match baseline {
                    Some(b) => (self.scope.eval(b), None, in_window),
                    None => match in_window.split_first() {
                        Some((first, rest)) => {
                            // A field is read where it is, as `Scope::eval` reads it, without a
                            // scope made for the record.
                            let v = match value {
                                // A whole number (a score) copied where it is, not cloned
                                // in a call.
                                CExpr::EventField(f) => match first.record.fields.get(*f) {
                                    Some(Value::Int(n)) => Value::Int(*n),
                                    other => other.cloned().unwrap_or(Value::Missing),
                                },
                                _ => self.scope.with_record(first.record).eval(value),
                            };
                            (v, Some(first.record), rest)
                        }
                        None => (Value::Missing, None, &in_window[..0]),
                    },
                };
                // A whole-number field against a whole-number baseline and change (scores):
                // each record is judged as `arithmetic` and `compare` would judge it (a whole
                // difference, compared whole), without making values; only a difference too
                // large for a whole number, and every record when explaining, are judged by
                // them below.
                let whole = match (value, &base, &by) {
                    (CExpr::EventField(f), Value::Int(b), Value::Int(by)) if self.trace.is_none() => {
                        Some((*f, *b, *by))
                    }
                    _ => None,
                };
                for s in candidates {
                    let mut changed = false;
                    if let Some((field, base, by)) = whole {
                        if let Some(Value::Int(x)) = s.record.fields.get(field) {
                            let change = if *rises { x.checked_sub(base) } else { base.checked_sub(*x) };
                            match change {
                                Some(change) if change < by => continue,
                                Some(_) => changed = true,
                                None => {}
                            }
                        }
                    }
                    if !changed {
                        let v = self.scope.with_record(s.record).eval(value);
                        let change = if *rises {
                            super::interpret::arithmetic(ir::BinaryOp::Sub, v.clone(), base.clone())
                        } else {
                            super::interpret::arithmetic(ir::BinaryOp::Sub, base.clone(), v.clone())
                        };
                        if super::interpret::compare(ir::CmpOp::Ge, &change, &by) == Value::Bool(true) {
                            self.note(|| format!("from {} to {} on {}", show(&base), show(&v), s.start));
                            changed = true;
                        }
                    }
                    if changed {
                        let on = s.start;
                        // Made as they are, not collected from a chain of iterators (~60
                        // instructions more an achievement).
                        let mut evidence = Vec::with_capacity(2);
                        if let Some(base) = base_record {
                            evidence.push(base);
                        }
                        evidence.push(s.record);
                        return Verdict::Achieved { on, evidence };
                    }
                }
                self.note(|| {
                    format!("baseline {}; no later record changed enough by {known_end}", show(&base))
                });
                if last <= self.as_of() || last < lo {
                    return Verdict::NotAchieved {
                        reason: match &base {
                            Value::Missing => Reason::Text(format!(
                                "there was no record to measure from in the window {lo} to {last}"
                            )),
                            Value::Int(n) if *n >= 0 => Reason::NoChange { lo, last, from: *n as u64 },
                            other => Reason::Text(format!(
                                "no record in the window {lo} to {last} changed enough from {}",
                                show(other)
                            )),
                        },
                    };
                }
                Verdict::Pending { until: last }
            }
            CCondition::Holds(e) => {
                let ends = window_ends(self.scope, e);
                match ends.iter().max() {
                    None => {
                        if self.scope.truthy(e) {
                            Verdict::Holds
                        } else {
                            Verdict::NotAchieved {
                                reason: Reason::Fixed("the participant does not meet the condition"),
                            }
                        }
                    }
                    Some(&end) if end > self.achievable_end() => Verdict::NotAchieved {
                        reason: Reason::Text(format!(
                            "it is decided on {end}, after the achievable period ends"
                        )),
                    },
                    Some(&end) if end > self.as_of() => Verdict::Pending { until: end },
                    Some(&end) => {
                        if self.scope.truthy(e) {
                            Verdict::Achieved { on: end, evidence: Vec::new() }
                        } else {
                            Verdict::NotAchieved {
                                reason: Reason::Text(format!(
                                    "it did not hold when its window closed on {end}"
                                )),
                            }
                        }
                    }
                }
            }
        }
    }

    /// [`Self::count_periods`] over calendar months that count if the filter holds on any
    /// day, with nothing excluded and no working to note: the commonest clause, judged on a
    /// bitset with a bit per month, set by one pass over the records, instead of a grid of
    /// periods and a set of days. It decides only "not achieved" and "pending" (most
    /// verdicts); `None` leaves the rest, an achievement with its evidence included, to the
    /// general path, as it does every other shape. Inlined into `judge`, its one caller: the
    /// call, its prologue and its verdict's return cost ~27 instructions a participant.
    #[inline(always)]
    fn months_any_day(
        &self,
        filter: &CFilter,
        (grid, n): (MonthGrid, usize),
        needed: u32,
        consecutive: bool,
    ) -> Option<Verdict<'t>> {
        let (lo, hi) = (grid.start(0), grid.end(n - 1));
        let known_end = hi.min(self.as_of());
        // Periods end in order: those that end by the achievable period's end are judged (the
        // general loop stops at the first that does not), and of those, the ones that end by
        // the as-of date are decided, the rest undecided.
        let judged = grid.ending_by_next(self.scope.plan.achievable_next_month, n);
        let decided = grid.ending_by_next(self.scope.known.as_of_next_month, n).min(judged);
        let undecided = judged - decided;
        let mut held = MonthBits::default();
        for s in self.records(filter.event) {
            // Records come in order of start: none after this one is known in time.
            if s.start > known_end {
                break;
            }
            if s.end < lo {
                continue;
            }
            let (a, b) = (s.start.max(lo), s.end.min(known_end));
            if a <= b && self.filter_holds(filter, s.record) {
                held.set_range(grid.index(a), grid.index(b));
            }
        }
        let held = held.below(decided);
        let needed = needed as usize;
        let counted = held.count();
        let run = if consecutive {
            let (longest, trailing) = held.runs(decided);
            if longest >= needed {
                return None;
            }
            trailing
        } else {
            if counted >= needed {
                return None;
            }
            0
        };
        let reachable = if consecutive {
            run + undecided >= needed || undecided >= needed
        } else {
            counted + undecided >= needed
        };
        if reachable && undecided > 0 {
            return Some(Verdict::Pending { until: grid.end(judged - 1) });
        }
        Some(Verdict::NotAchieved { reason: periods_reason(consecutive, counted, needed, undecided) })
    }

    /// Whether a clause has the shape [`Self::months_any_day`] judges.
    #[inline]
    fn months_fast(
        &self,
        filter: &CFilter,
        kind: ir::PeriodKind,
        counting: &ir::Counting,
        excluding: &[usize],
    ) -> bool {
        kind == ir::PeriodKind::CalendarMonth
            && counting.rule == ir::CountingRule::AnyDay
            && !filter.per_day
            && self.trace.is_none()
            && excluding.iter().all(|e| self.records(*e).is_empty())
    }

    /// Counts periods that count: `needed` of them in all (`consecutive`: in a row).
    fn count_periods(
        &mut self,
        filter: &CFilter,
        periods: Vec<(Day, Day)>,
        needed: u32,
        counting: &ir::Counting,
        excluding: &[usize],
        consecutive: bool,
    ) -> Verdict<'t> {
        let Some(&(lo, _)) = periods.first() else {
            return Verdict::NotAchieved { reason: Reason::Fixed("the window holds no whole period") };
        };
        let hi = periods.last().map_or(lo, |p| p.1);
        let known_end = hi.min(self.as_of());
        self.note(|| {
            let rule = match counting.rule {
                ir::CountingRule::AnyDay => "if it holds on any day".to_string(),
                ir::CountingRule::EveryDay => "if it holds on every day".to_string(),
                ir::CountingRule::AtLeastDays => {
                    format!("if it holds on at least {} days", counting.min_days.unwrap_or(1))
                }
            };
            format!(
                "{} period(s) from {lo} to {hi}; {needed} must count{}; a period counts {rule}{}",
                periods.len(),
                if consecutive { " in a row" } else { "" },
                if counting.defaulted { " (the default rule)" } else { "" }
            )
        });
        let (holding, evidence) = self.holding(filter, lo, known_end);
        let excluded = self.excluded(excluding, lo, known_end);
        let counted_days = if excluded.0.is_empty() { holding } else { holding.minus(&excluded) };
        let needed = needed as usize;
        let (mut held_from, mut excluded_from) = (0, 0);
        let mut counted = 0;
        let mut run = 0;
        let mut undecided = 0;
        let mut last_possible = None;
        let (as_of, achievable_end) = (self.as_of(), self.achievable_end());
        for (i, &(a, b)) in periods.iter().enumerate() {
            if b > achievable_end {
                self.note(|| format!("period {} ({a} to {b}) ends after the achievable period", i + 1));
                break;
            }
            if b > as_of {
                undecided += 1;
                last_possible = Some(b);
                continue;
            }
            let days = i64::from(b.0 - a.0 + 1) - excluded.count_in_from(&mut excluded_from, a, b);
            if days == 0 {
                // Excluded days "neither count nor break a run" (docs/reference.md): a period
                // made only of them is passed over, as if it were not in the window.
                self.note(|| format!("period {} ({a} to {b}): every day excluded: passed over", i + 1));
                continue;
            }
            let held = counted_days.count_in_from(&mut held_from, a, b);
            let counts = match counting.rule {
                ir::CountingRule::AnyDay => held >= 1,
                ir::CountingRule::EveryDay => held == days,
                ir::CountingRule::AtLeastDays => held >= i64::from(counting.min_days.unwrap_or(1)),
            };
            self.note(|| {
                let behind: Vec<String> = evidence
                    .iter()
                    .filter(|r| r.start <= b && r.end.is_none_or(|e| e >= a))
                    .map(|r| r.id.clone().unwrap_or_else(|| format!("line {}", r.origin.line)))
                    .collect();
                format!(
                    "period {} ({a} to {b}): held on {held} of {days} day(s): {}{}",
                    i + 1,
                    if counts { "counts" } else { "does not count" },
                    if behind.is_empty() { String::new() } else { format!(" ({})", behind.join(", ")) }
                )
            });
            if counts {
                counted += 1;
                run += 1;
            } else {
                run = 0;
            }
            let done = if consecutive { run >= needed } else { counted >= needed };
            if done {
                let evidence = evidence.into_iter().filter(|r| r.start <= b).collect();
                return Verdict::Achieved { on: b, evidence };
            }
        }
        let reachable = if consecutive {
            // The current run can go on, or a new run can start, in the undecided periods.
            run + undecided >= needed || undecided >= needed
        } else {
            counted + undecided >= needed
        };
        match (reachable, last_possible) {
            (true, Some(until)) => {
                self.note(|| {
                    format!(
                        "{counted} counted so far of the {needed} needed; {undecided} period(s) have not ended, the last on {until}"
                    )
                });
                Verdict::Pending { until }
            }
            _ => Verdict::NotAchieved { reason: periods_reason(consecutive, counted, needed, undecided) },
        }
    }
}

/// Why too few periods counted.
fn periods_reason(consecutive: bool, counted: usize, needed: usize, undecided: usize) -> Reason {
    if consecutive {
        Reason::Text(format!("no run of {needed} periods in a row can be completed in time"))
    } else {
        Reason::TooFewPeriods { counted: counted as u32, needed: needed as u32, left: undecided as u32 }
    }
}

/// The calendar months a clause counts: `count` of them from the first whole month on or
/// after `first`, or (with `until`) as many as end by then, as [`grid`] makes them.
#[derive(Clone, Copy, Debug)]
struct Months {
    first: Day,
    count: usize,
    until: Option<Day>,
}

/// Calendar months numbered from a first one: month `i` is the `i`-th after it.
#[derive(Clone, Copy, Debug)]
struct MonthGrid {
    /// The first month, as months since year 0 (`year * 12 + month - 1`).
    first: i32,
}

impl Months {
    /// The grid and its number of months, if it has from 1 to [`MonthBits::CAPACITY`].
    fn grid(self) -> Option<(MonthGrid, usize)> {
        let (year, month, day) = self.first.ymd();
        let grid = MonthGrid { first: year * 12 + month as i32 - 1 + i32::from(day != 1) };
        let mut n = self.count;
        if let Some(until) = self.until {
            n = n.min(grid.ending_by(until, usize::MAX));
        }
        (1..=MonthBits::CAPACITY).contains(&n).then_some((grid, n))
    }
}

impl MonthGrid {
    fn start(self, i: usize) -> Day {
        month_start(self.first + i as i32)
    }

    fn end(self, i: usize) -> Day {
        month_start(self.first + i as i32 + 1).plus_days(-1)
    }

    /// The month a day falls in (the day must not be before the first month).
    fn index(self, d: Day) -> usize {
        (month_number(d) - self.first) as usize
    }

    /// How many of the first `n` months end on or before `d`.
    fn ending_by(self, d: Day, n: usize) -> usize {
        // A month ends by `d` if the next one starts by the day after it.
        self.ending_by_next(month_number(d.plus_days(1)), n)
    }

    /// [`Self::ending_by`] a day, given the number of the month of the day after it.
    fn ending_by_next(self, next_month: i32, n: usize) -> usize {
        usize::try_from(next_month - self.first).unwrap_or(0).min(n)
    }
}

fn month_number(d: Day) -> i32 {
    d.month_number()
}

fn month_start(number: i32) -> Day {
    Day::month_start(number)
}

/// A set of periods by index, up to [`MonthBits::CAPACITY`] of them.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
struct MonthBits(u128);

impl MonthBits {
    const CAPACITY: usize = 128;

    /// Adds periods `i` to `j` inclusive.
    fn set_range(&mut self, i: usize, j: usize) {
        // Within the low half, as grids of up to 64 months always are, in 64-bit shifts (a
        // 128-bit shift is a dozen instructions).
        if j < 63 {
            self.0 |= u128::from(((1u64 << (j + 1)) - 1) & !((1u64 << i) - 1));
            return;
        }
        let upto = if j + 1 >= Self::CAPACITY { u128::MAX } else { (1u128 << (j + 1)) - 1 };
        let from = (1u128 << i) - 1;
        self.0 |= upto & !from;
    }

    /// Only the periods before `n`.
    fn below(self, n: usize) -> MonthBits {
        if n < 64 {
            return MonthBits(u128::from(self.0 as u64 & ((1u64 << n) - 1)));
        }
        MonthBits(if n >= Self::CAPACITY { self.0 } else { self.0 & ((1u128 << n) - 1) })
    }

    fn count(self) -> usize {
        // In halves: the build has no population count instruction, and the high half is
        // nearly always empty (a grid of up to 64 months).
        let (low, high) = (self.0 as u64, (self.0 >> 64) as u64);
        low.count_ones() as usize + if high == 0 { 0 } else { high.count_ones() as usize }
    }

    /// The longest run of periods in a row among the first `n`, and the run that ends with
    /// the `n`-th.
    fn runs(self, n: usize) -> (usize, usize) {
        let (mut longest, mut run) = (0, 0);
        for i in 0..n {
            if self.0 >> i & 1 == 1 {
                run += 1;
                longest = longest.max(run);
            } else {
                run = 0;
            }
        }
        (longest, run)
    }
}

/// The last days of the windows an expression's aggregates read: it is known only once all
/// of them have passed.
pub fn window_ends(scope: &Scope, e: &CExpr) -> Vec<Day> {
    let mut out = Vec::new();
    collect_window_ends(scope, e, &mut out);
    out
}

fn collect_window_ends(scope: &Scope, e: &CExpr, out: &mut Vec<Day>) {
    match e {
        CExpr::Aggregate(a) => {
            if let Some(w) = &a.window {
                if let Some((_, end)) = scope.window(w) {
                    out.push(end);
                }
            }
        }
        CExpr::Definition(i) => collect_window_ends(scope, &scope.plan.definitions[*i].body, out),
        CExpr::Call(i, args) => {
            collect_window_ends(scope, &scope.plan.definitions[*i].body, out);
            args.iter().for_each(|a| collect_window_ends(scope, a, out));
        }
        CExpr::Builtin(_, args) | CExpr::And(args) | CExpr::Or(args) => {
            args.iter().for_each(|a| collect_window_ends(scope, a, out))
        }
        CExpr::Classify(_, x) | CExpr::Neg(x) | CExpr::Not(x) | CExpr::IsPresent(x) => {
            collect_window_ends(scope, x, out)
        }
        CExpr::Arith(_, a, b)
        | CExpr::Compare(_, a, b)
        | CExpr::Coalesce(a, b)
        | CExpr::DaysBetween(a, b)
        | CExpr::ShiftDate { date: a, by: b, .. } => {
            collect_window_ends(scope, a, out);
            collect_window_ends(scope, b, out);
        }
        CExpr::If(a, b, c) => {
            collect_window_ends(scope, a, out);
            collect_window_ends(scope, b, out);
            collect_window_ends(scope, c, out);
        }
        _ => {}
    }
}

fn missing_anchor<'t>() -> Verdict<'t> {
    Verdict::NotAchieved { reason: Reason::Fixed("the date the window is measured from is missing") }
}

/// Consecutive periods of a kind from `start`: `count` of them, or (with `until`) as many
/// whole periods as end on or before `until`.
pub fn grid(kind: ir::PeriodKind, start: Day, count: usize, until: Option<Day>) -> Vec<(Day, Day)> {
    let mut out = Vec::with_capacity(count.min(64));
    // At most this many periods, whatever `count` and `until` say.
    const MOST: usize = 100_001;
    if kind == ir::PeriodKind::CalendarMonth {
        // Calendar months step from one month's first day to the next by the month's length,
        // with one calendar conversion in all, in a loop of their own: the hot path of the
        // commonest clause (a grid per participant). The first is the first whole month.
        let (mut year, mut month, day) = start.ymd();
        let mut a = start;
        if day != 1 {
            a = start.plus_days((super::day::days_in_month(year, month) - day) as i32 + 1);
            (month, year) = if month == 12 { (1, year + 1) } else { (month + 1, year) };
        }
        while out.len() < count.min(MOST) {
            let end = a.plus_days(super::day::days_in_month(year, month) as i32 - 1);
            if until.is_some_and(|u| end > u) {
                break;
            }
            out.push((a, end));
            a = end.plus_days(1);
            (month, year) = if month == 12 { (1, year + 1) } else { (month + 1, year) };
        }
        return out;
    }
    let first = match kind {
        ir::PeriodKind::CalendarWeek => start.plus_days(((7 - start.weekday()) % 7) as i32),
        _ => start,
    };
    let mut k: i32 = 0;
    while out.len() < count {
        let period = match kind {
            // Calendar months are returned above.
            ir::PeriodKind::Month | ir::PeriodKind::CalendarMonth => {
                (first.plus_months(k), first.plus_months(k + 1).plus_days(-1))
            }
            ir::PeriodKind::CalendarWeek | ir::PeriodKind::Week => {
                (first.plus_days(7 * k), first.plus_days(7 * k + 6))
            }
            ir::PeriodKind::Day => (first.plus_days(k), first.plus_days(k)),
        };
        if until.is_some_and(|u| period.1 > u) {
            break;
        }
        out.push(period);
        k += 1;
        if out.len() >= MOST {
            break;
        }
    }
    out
}

pub fn show(v: &Value) -> String {
    match v {
        Value::Missing => "nothing".into(),
        Value::Bool(b) => b.to_string(),
        Value::Int(n) => n.to_string(),
        Value::Decimal(d) => d.normalize().to_string(),
        Value::Text(t) => format!("\"{t}\""),
        Value::Day(d) => d.to_string(),
        Value::Case(c) => format!("case {c}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_month_grid_is_the_grid_of_calendar_months() {
        let mut first = Day::parse("2023-11-01").unwrap();
        while first < Day::parse("2025-03-01").unwrap() {
            for count in [1, 2, 13, 26, 128] {
                let months = Months { first, count, until: None };
                let periods = grid(ir::PeriodKind::CalendarMonth, first, count, None);
                let (g, n) = months.grid().expect("a grid");
                assert_eq!(n, periods.len());
                for (i, &(a, b)) in periods.iter().enumerate() {
                    assert_eq!((g.start(i), g.end(i)), (a, b), "{first} month {i}");
                    assert_eq!((g.index(a), g.index(b)), (i, i));
                }
                for d in (0..900).map(|k| first.plus_days(k - 40)) {
                    let ending = periods.iter().filter(|p| p.1 <= d).count();
                    assert_eq!(g.ending_by(d, n), ending, "{first}: months of {count} ending by {d}");
                }
            }
            for until in [first.plus_days(20), first.plus_days(59), first.plus_days(400)] {
                let periods = grid(ir::PeriodKind::CalendarMonth, first, usize::MAX, Some(until));
                let months = Months { first, count: usize::MAX, until: Some(until) };
                assert_eq!(months.grid().map(|(_, n)| n), (!periods.is_empty()).then_some(periods.len()));
            }
            first = first.plus_days(3);
        }
        let long = Months { first: Day::parse("2020-01-01").unwrap(), count: 129, until: None };
        assert!(long.grid().is_none(), "more months than bits");
    }

    #[test]
    fn month_bits_count_ranges_and_runs() {
        let mut bits = MonthBits::default();
        bits.set_range(2, 4);
        bits.set_range(7, 7);
        bits.set_range(120, 127);
        assert_eq!(bits.count(), 12);
        assert_eq!(bits.below(5).count(), 3);
        assert_eq!(bits.below(8).runs(8), (3, 1));
        assert_eq!(bits.runs(128), (8, 8));
        assert_eq!(bits.runs(6), (3, 0));
        let mut all = MonthBits::default();
        all.set_range(0, 127);
        assert_eq!((all.count(), all.below(128).count(), all.below(0).count()), (128, 128, 0));
    }
}
