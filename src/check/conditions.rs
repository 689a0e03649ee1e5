//! Conditions: which records an outcome looks at, over which periods, and on which date
//! it is achieved.

use super::*;

impl<'a> Checker<'a> {
    pub(super) fn filter(
        &mut self,
        scope: &Scope,
        f: &ast::EventFilter,
        unwindowed: bool,
    ) -> Option<ir::EventFilter> {
        let inner = Scope { unwindowed_aggregates: unwindowed, ..scope.clone() };
        let saved = std::mem::take(&mut self.events_read);
        let errors_before = self.diagnostics.len() + self.quiet_errors;
        let (ty, predicate) = self.expr(&inner, &f.predicate, Some(&Ty::Bool));
        let read = std::mem::replace(&mut self.events_read, saved);
        let had_errors = self.diagnostics.len() + self.quiet_errors > errors_before;
        if let Some(named) = &f.event {
            if !self.events.contains_key(&named.name) {
                self.unknown_event(named);
                return None;
            }
            self.expect(f.predicate.span, &Ty::Bool, &ty, "the `where` condition");
            if let Some(other) = read.iter().find(|e| **e != named.name) {
                self.error(
                    Diagnostic::error(
                        E_AMBIGUOUS_EVENT,
                        format!("this condition on `{}` records reads `{other}`", named.name),
                    )
                    .at(f.predicate.span, format!("reads {}", list_names(&read)))
                    .help(format!(
                        "a condition on one record can only read that record's fields: `{}.…`",
                        named.name
                    )),
                );
            }
            return Some(ir::EventFilter { event: named.name.clone(), predicate });
        }
        if let Ty::Event(name) = &ty {
            return Some(ir::EventFilter { event: name.clone(), predicate: ir::Expr::Bool { value: true } });
        }
        if matches!(ty, Ty::Error) || (had_errors && read.len() != 1) {
            return None;
        }
        self.expect(f.predicate.span, &Ty::Bool, &ty, "a condition");
        match read.len() {
            1 => Some(ir::EventFilter { event: read.into_iter().next().unwrap_or_default(), predicate }),
            0 => {
                self.error(
                    Diagnostic::error(E_NO_EVENT, "this condition does not say which records it is about")
                        .at(f.predicate.span, "reads no event field")
                        .note("a condition over time looks at records of one event, such as `employment.hours > 16 hours per week`")
                        .help("name the event: `employment where ...`, or compare one of its fields"),
                );
                None
            }
            _ => {
                self.error(
                    Diagnostic::error(E_AMBIGUOUS_EVENT, "this condition mixes fields of several events")
                        .at(f.predicate.span, format!("reads {}", list_names(&read)))
                        .note("each day or period is judged on the records of one event")
                        .help("split it into one condition per event, joined with `and`"),
                );
                None
            }
        }
    }

    pub(super) fn unknown_event(&mut self, named: &ast::Ident) {
        if self.broken(&named.name) {
            return;
        }
        let candidates: Vec<String> = self.events.keys().cloned().collect();
        let mut d = Diagnostic::error(E_UNKNOWN_NAME, format!("unknown event `{}`", named.name))
            .at(named.span, "not an event declared here");
        if let Some(s) = suggest(&named.name, candidates.iter().map(|s| s.as_str())) {
            d = d.help(format!("did you mean `{s}`?"));
        }
        self.error(d);
    }

    pub(super) fn excluding(&mut self, names: &[ast::Ident]) -> Vec<String> {
        let mut out = Vec::new();
        for n in names {
            match self.events.get(&n.name) {
                Some(e) if e.spell => out.push(n.name.clone()),
                Some(_) => self.error(
                    Diagnostic::error(
                        E_EVENT_WITHOUT_DATE,
                        format!("`{}` records are single days, not spells of time to leave out", n.name),
                    )
                    .at(n.span, "expected an event with `from` and `to`")
                    .help(
                        "days can be excluded only when they are covered by spells, such as time in custody",
                    ),
                ),
                None => self.unknown_event(n),
            }
        }
        out
    }

    pub(super) fn counting(&mut self, c: Option<&ast::Counting>, kind: ast::PeriodKind) -> ir::Counting {
        match c {
            None => ir::Counting { rule: ir::CountingRule::AnyDay, min_days: None, defaulted: true },
            Some(c) => match c.rule {
                ast::CountingRule::AnyDay => {
                    ir::Counting { rule: ir::CountingRule::AnyDay, min_days: None, defaulted: false }
                }
                ast::CountingRule::EveryDay => {
                    ir::Counting { rule: ir::CountingRule::EveryDay, min_days: None, defaulted: false }
                }
                ast::CountingRule::AtLeastDays(n) => {
                    let (longest, noun) = match kind {
                        ast::PeriodKind::CalendarMonths | ast::PeriodKind::AnniversaryMonths => {
                            (31, "a month")
                        }
                        ast::PeriodKind::CalendarWeeks | ast::PeriodKind::Weeks => (7, "a week"),
                        ast::PeriodKind::Days => (1, "a day"),
                    };
                    if n == 0 || n > longest {
                        self.error(
                            Diagnostic::error(
                                E_IMPOSSIBLE_COUNT,
                                format!("{noun} has at most {longest} day{}", plural(longest as usize)),
                            )
                            .at(
                                c.span,
                                if n == 0 {
                                    "zero days would count every period"
                                } else {
                                    "no period can have this many days"
                                },
                            )
                            .help(format!("use a number from 1 to {longest}, or `counting every day`")),
                        );
                    }
                    ir::Counting { rule: ir::CountingRule::AtLeastDays, min_days: Some(n), defaulted: false }
                }
            },
        }
    }

    pub(super) fn condition(&mut self, scope: &Scope, c: &ast::Condition) -> Option<ir::Condition> {
        use ast::ConditionKind as K;
        let span = self.ir_span(c.span);
        Some(match &c.kind {
            K::And(parts) | K::Or(parts) => {
                let conditions: Vec<ir::Condition> =
                    parts.iter().filter_map(|p| self.condition(scope, p)).collect();
                if conditions.len() != parts.len() {
                    return None;
                }
                if matches!(c.kind, K::And(_)) {
                    ir::Condition::All { conditions, span }
                } else {
                    ir::Condition::Any { conditions, span }
                }
            }
            K::Absence { filter, window, excluding } => {
                let filter = self.filter(scope, filter, false);
                let window = self.window(scope, window);
                let excluding = self.excluding(excluding);
                ir::Condition::Absence { filter: filter?, max_occurrences: 0, window, excluding, span }
            }
            K::AtMost { times, filter, window, excluding } => {
                let filter = self.filter(scope, filter, false);
                let window = self.window(scope, window);
                let excluding = self.excluding(excluding);
                ir::Condition::Absence { filter: filter?, max_occurrences: *times, window, excluding, span }
            }
            K::Reaches { aggregate, aggregate_span, threshold, window } => {
                let inner = Scope { unwindowed_aggregates: true, ..scope.clone() };
                let saved = std::mem::take(&mut self.events_read);
                let (ty, x) = self.aggregate(&inner, aggregate, *aggregate_span);
                self.events_read = saved;
                let ir::Expr::Aggregate { function, event, field, filter, .. } = x else { return None };
                if !matches!(function, ir::AggregateFn::Sum | ir::AggregateFn::Count) {
                    self.error(
                        Diagnostic::error(E_TYPE_MISMATCH, "only a running `sum` or `count` reaches a value")
                            .at(*aggregate_span, "a mean, minimum or maximum does not add up over time")
                            .help("use a threshold instead: `max of ... within ... >= ...`"),
                    );
                    return None;
                }
                if aggregate.window.is_some() {
                    self.error(
                        Diagnostic::error(
                            E_TYPE_MISMATCH,
                            "the window of a running total goes after the value it reaches",
                        )
                        .at(*aggregate_span, "move the window to the end")
                        .help("write `sum of X reaches 768 GBP within 18 months after ...`"),
                    );
                    return None;
                }
                let (tt, tx) = self.participant_value(scope, threshold, Some(&ty), "the value to reach");
                if !self.comparable(&ty, &tt) {
                    self.mismatch(threshold.span, &ty, &tt, "the value to reach");
                }
                let window = self.window(scope, window);
                ir::Condition::Reaches {
                    function,
                    filter: ir::EventFilter { event, predicate: *filter },
                    field,
                    threshold: tx,
                    window,
                    span,
                }
            }
            K::Change { value, direction, by, baseline, window } => {
                let saved = std::mem::take(&mut self.events_read);
                let (vt, vx) = self.expr(scope, value, None);
                let read = std::mem::replace(&mut self.events_read, saved);
                if !(vt.is_numeric() || matches!(vt, Ty::Quantity(_) | Ty::Percent)) {
                    self.mismatch(value.span, &Ty::Decimal, &vt, "a value that rises or falls");
                }
                let event = match read.len() {
                    1 => read.iter().next().cloned(),
                    0 => {
                        self.error(
                            Diagnostic::error(
                                E_NO_EVENT,
                                "a change is measured between records, and this reads none",
                            )
                            .at(value.span, "expected a field such as `wellbeing_survey.score`"),
                        );
                        None
                    }
                    _ => {
                        self.error(
                            Diagnostic::error(E_AMBIGUOUS_EVENT, "this value mixes fields of several events")
                                .at(value.span, format!("reads {}", list_names(&read))),
                        );
                        None
                    }
                };
                let (bt, bx) = self.participant_value(scope, by, Some(&vt), "the size of the change");
                let by_ok = self.comparable(&vt, &bt) || (vt.is_numeric() && bt.is_numeric());
                if !by_ok {
                    self.mismatch(by.span, &vt, &bt, "the size of the change");
                }
                let baseline = match baseline {
                    ast::Baseline::FirstEvent(name) => {
                        if !self.events.contains_key(&name.name) {
                            self.unknown_event(name);
                        } else if event.as_deref().is_some_and(|e| e != name.name) {
                            self.error(
                                Diagnostic::error(
                                    E_AMBIGUOUS_EVENT,
                                    format!(
                                        "the baseline is a `{}` record, but the value is read from `{}`",
                                        name.name,
                                        event.clone().unwrap_or_default()
                                    ),
                                )
                                .at(name.span, "a different event")
                                .help(format!(
                                    "measure the change from `the first {}`",
                                    event.clone().unwrap_or_default()
                                )),
                            );
                        }
                        ir::Baseline::FirstEvent
                    }
                    ast::Baseline::Value(e) => {
                        let (t, x) = self.participant_value(scope, e, Some(&vt), "a baseline");
                        if !self.comparable(&vt, &t) {
                            self.mismatch(e.span, &vt, &t, "the baseline");
                        }
                        ir::Baseline::Value { value: x }
                    }
                };
                let window = self.window(scope, window);
                let direction = match direction {
                    ast::ChangeDirection::Rises => ir::ChangeDirection::Rises,
                    ast::ChangeDirection::Falls => ir::ChangeDirection::Falls,
                };
                ir::Condition::Change { event: event?, value: vx, direction, by: bx, baseline, window, span }
            }
            K::Periods { filter, count, kind, anchor, start, counting, excluding } => {
                let filter = self.filter(scope, filter, true);
                if count.of == 0 || count.at_least > count.of || count.at_least == 0 {
                    let why = if count.at_least == 0 {
                        "zero periods would always be reached".to_string()
                    } else if count.of == 0 {
                        "there are no periods to count".to_string()
                    } else {
                        format!("{} of {} can never be reached", count.at_least, count.of)
                    };
                    self.error(
                        Diagnostic::error(E_IMPOSSIBLE_COUNT, format!("the count `{} of {}` is impossible", count.at_least, count.of))
                            .at(count.span, why)
                            .help("the number of periods that must count is from 1 up to the number of periods in the window"),
                    );
                }
                let date = self.anchor_date(scope, start);
                let counting = self.counting(counting.as_ref(), *kind);
                ir::Condition::Periods {
                    filter: filter?,
                    at_least: count.at_least,
                    of: count.of,
                    period: period_kind(*kind),
                    window_start: ir::Anchor { date, starts: starts(*anchor) },
                    counting,
                    excluding: self.excluding(excluding),
                    span,
                }
            }
            K::Consecutive { filter, periods, periods_span, kind, window, counting, excluding } => {
                let filter = self.filter(scope, filter, true);
                if *periods == 0 {
                    self.error(
                        Diagnostic::error(
                            E_IMPOSSIBLE_COUNT,
                            "zero consecutive periods is no condition at all",
                        )
                        .at(*periods_span, "expected at least 1"),
                    );
                }
                let window = self.window(scope, window);
                let counting = self.counting(counting.as_ref(), *kind);
                ir::Condition::Consecutive {
                    filter: filter?,
                    periods: *periods,
                    period: period_kind(*kind),
                    window,
                    counting,
                    excluding: self.excluding(excluding),
                    span,
                }
            }
            K::Cumulative { filter, at_least, window, excluding } => {
                let filter = self.filter(scope, filter, true);
                let length = self.duration(scope, at_least, "the total time");
                let at_least = match length {
                    Some((q, d)) if d == Dimension::of(Base::Month) => {
                        self.error(
                            Diagnostic::error(E_CALENDAR_CONVERSION, "time added up across spells is a number of days, and months have no fixed number of days")
                                .at(at_least.span, "months or years cannot be added up across separate spells")
                                .help(format!("say it in days or weeks, e.g. `{} days` if a month counts as 30 days", q.value * Decimal::from(30))),
                        );
                        None
                    }
                    other => other.map(|(q, _)| q),
                };
                let window = self.window(scope, window);
                ir::Condition::Cumulative {
                    filter: filter?,
                    at_least: at_least?,
                    window,
                    excluding: self.excluding(excluding),
                    span,
                }
            }
            K::Occurrence { filter, window } => {
                let filter = self.filter(scope, filter, true);
                let window = self.window(scope, window);
                ir::Condition::Occurrence { filter: filter?, window, span }
            }
            K::Holds(e) => {
                let saved = std::mem::take(&mut self.events_read);
                let (ty, x) = self.expr(scope, e, Some(&Ty::Bool));
                let read = std::mem::replace(&mut self.events_read, saved);
                if !read.is_empty() {
                    self.error(
                        Diagnostic::error(E_AGGREGATE_WITHOUT_WINDOW, format!("when must this hold? It reads {} but has no window", list_names(&read)))
                            .at(e.span, "a condition on records needs a window of time")
                            .note("`and` joins two conditions, and a window applies only to the condition it ends: to judge both on the same day or period, put them in brackets, `(A and B) in at least ...`")
                            .help("add one, e.g. `... within 6 months after participant.referred`, or count periods: `... in at least 13 of the 26 calendar months after ...`"),
                    );
                    return None;
                }
                self.expect(e.span, &Ty::Bool, &ty, "a condition");
                ir::Condition::Holds { expr: x, span }
            }
        })
    }

    /// Whether a condition fixes a date of achievement on its own.
    pub(super) fn dated(&self, c: &ir::Condition) -> bool {
        match c {
            ir::Condition::Holds { expr, .. } => {
                self.reads_window(&serde_json::to_value(expr).unwrap_or_default())
            }
            ir::Condition::All { conditions, .. } => conditions.iter().any(|c| self.dated(c)),
            ir::Condition::Any { conditions, .. } => conditions.iter().all(|c| self.dated(c)),
            _ => true,
        }
    }

    /// Whether an expression (through the definitions it uses) reads a windowed aggregate.
    pub(super) fn reads_window(&self, value: &serde_json::Value) -> bool {
        match value {
            serde_json::Value::Object(map) => {
                let op = map.get("op").and_then(|v| v.as_str());
                if op == Some("aggregate") && map.get("window").is_some_and(|w| !w.is_null()) {
                    return true;
                }
                if let (Some("ref" | "call"), Some(name)) =
                    (op, map.get("name").or(map.get("function")).and_then(|v| v.as_str()))
                {
                    if let Some(d) = self.out.definitions.iter().find(|d| d.name == name) {
                        if self.reads_window(&serde_json::to_value(&d.body).unwrap_or_default()) {
                            return true;
                        }
                    }
                }
                map.values().any(|v| self.reads_window(v))
            }
            serde_json::Value::Array(items) => items.iter().any(|v| self.reads_window(v)),
            _ => false,
        }
    }

    /// A condition that reads no records and no window has no date: it is allowed only as a
    /// guard, joined by `and` to a condition that has one.
    pub(super) fn check_dated(&mut self, c: &ir::Condition, guarded: bool) {
        match c {
            ir::Condition::Holds { expr, span }
                if !guarded && !self.reads_window(&serde_json::to_value(expr).unwrap_or_default()) =>
            {
                let span =
                    Span::new(crate::source::FileId(span.file), span.start as usize, span.end as usize);
                self.error(
                    Diagnostic::error(E_NO_EVENT, "this condition has no date: it reads no records and no window")
                        .at(span, "when would it be achieved?")
                        .note("a condition on the participant alone can only narrow another condition, joined with `and`")
                        .help("to say who can achieve the outcome, write `eligible when ...`; to say when, add a condition on records with a window"),
                );
            }
            ir::Condition::All { conditions, .. } => {
                let guarded = guarded || conditions.iter().any(|c| self.dated(c));
                for child in conditions {
                    self.check_dated(child, guarded);
                }
            }
            ir::Condition::Any { conditions, .. } => {
                for child in conditions {
                    self.check_dated(child, guarded);
                }
            }
            _ => {}
        }
    }
}
