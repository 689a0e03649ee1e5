//! Achievement conditions as English: the clause the contract would write, then the rules
//! that clause leaves implicit (how a period counts, which day achieves it, what an open
//! spell means), each stated whether the contract wrote it or the default supplied it.

use super::document::Item;
use super::phrases::Context;
use super::words;
use crate::ir::{self, Condition, CountingRule, EventFilter, PeriodKind};

/// A condition: its clause, with the rules that go with it as children.
pub fn condition(cx: &Context, subject: &str, c: &Condition) -> Item {
    let mut item = clause(cx, subject, c);
    let anchor = match c {
        Condition::Periods { window_start, .. } => Some(&window_start.date),
        Condition::Consecutive { window, .. }
        | Condition::Cumulative { window, .. }
        | Condition::Occurrence { window, .. }
        | Condition::Absence { window, .. }
        | Condition::Reaches { window, .. }
        | Condition::Change { window, .. } => Some(&window.start.date),
        Condition::All { .. } | Condition::Any { .. } | Condition::Holds { .. } => None,
    };
    if anchor.is_some_and(|a| cx.moves_by_months(a)) {
        item.children.insert(0, Item::new(CALENDAR_ARITHMETIC));
    }
    item
}

const CALENDAR_ARITHMETIC: &str = "Months and years are added as calendar months and years: the day of the month is kept, \
and a day the month does not have becomes its last day (29 February plus one year is 28 February; 31 January plus one month is the last day of February).";

fn clause(cx: &Context, subject: &str, c: &Condition) -> Item {
    match c {
        Condition::All { conditions, .. } => Item {
            text: "all of the following hold (it is achieved on the latest of their dates):".to_string(),
            children: conditions.iter().map(|c| capitalised(condition(cx, subject, c))).collect(),
        },
        Condition::Any { conditions, .. } => Item {
            text: "at least one of the following holds (it is achieved on the earliest of their dates):"
                .to_string(),
            children: conditions.iter().map(|c| capitalised(condition(cx, subject, c))).collect(),
        },
        Condition::Periods { filter, at_least, of, period, window_start, counting, excluding, .. } => {
            let how_many = if at_least == of {
                format!("in each of the {} {}", of, period_name(*period, *of))
            } else {
                format!("in at least {at_least} of the {of} {}", period_name(*period, *of))
            };
            let after = match window_start.starts {
                ir::AnchorStart::DayAfter => "following",
                ir::AnchorStart::SameDay => "from",
            };
            let text = format!(
                "{}{} {how_many} {after} {}",
                holds(cx, subject, filter),
                pause(filter),
                cx.value(&window_start.date)
            );
            let mut notes = vec![
                period_rule(*period, *of, &cx.start_short(window_start)),
                counting_rule(cx, subject, filter, *period, counting),
            ];
            notes.extend(excluded(excluding));
            let achieved_on = match period {
                PeriodKind::Day => {
                    "It is achieved on the day that completes the count, once that day has ended.".to_string()
                }
                _ => format!(
                    "It is achieved on the last day of the {p} that completes the count: a {p} is known to count only once it has ended.",
                    p = period_name(*period, 1)
                ),
            };
            notes.push(format!(
                "{achieved_on} If the count can no longer be reached within the {of} {ps}, or before the achievable period ends, \
it is not achieved, at once rather than left pending.",
                ps = period_name(*period, *of),
            ));
            notes.extend(open_spell(cx, subject, &filter.event));
            with_notes(text, notes)
        }
        Condition::Consecutive { filter, periods, period, window, counting, excluding, .. } => {
            let text = format!(
                "{}{} for {periods} {} in a row, {}",
                holds(cx, subject, filter),
                pause(filter),
                period_name(*period, *periods),
                cx.window(window)
            );
            let mut notes = vec![
                period_rule(*period, *periods, &cx.start_short(&window.start)),
                counting_rule(cx, subject, filter, *period, counting),
            ];
            notes.extend(excluded(excluding));
            notes.push(format!(
                "The whole run must fall inside the window. It is achieved on the last day of the {} {} in a row.",
                words::ordinal(u64::from(*periods)),
                period_name(*period, 1)
            ));
            notes.extend(open_spell(cx, subject, &filter.event));
            with_notes(text, notes)
        }
        Condition::Cumulative { filter, at_least, window, excluding, .. } => {
            let total = words::quantity(at_least.value, &at_least.unit, cx.currency);
            let text = format!(
                "{}{} on at least {total} in total, {}",
                holds(cx, subject, filter),
                pause(filter),
                cx.window(window)
            );
            let mut notes = vec![
                "The days need not be in a row: days from separate spells are added up, and a day counts once however many records cover it."
                    .to_string(),
            ];
            notes.extend(excluded(excluding));
            notes.push(
                "It is achieved on the day the total is reached. If the total can no longer be reached by the end of the window (or of the achievable period), it is not achieved."
                    .to_string(),
            );
            notes.extend(open_spell(cx, subject, &filter.event));
            with_notes(text, notes)
        }
        Condition::Occurrence { filter, window, .. } => {
            let text = match is_spell(cx, &filter.event) {
                true => format!(
                    "{}{} on any day, {}",
                    holds(cx, subject, filter),
                    pause(filter),
                    cx.window(window)
                ),
                false => format!("there is {}, {}", record(cx, filter, true), cx.window(window)),
            };
            let mut notes = vec!["It is achieved on the first such day.".to_string()];
            notes.extend(open_spell(cx, subject, &filter.event));
            with_notes(text, notes)
        }
        Condition::Absence { filter, max_occurrences, window, excluding, .. } => {
            let text = if *max_occurrences == 0 {
                format!("there is no {}, {}", record(cx, filter, false), cx.window(window))
            } else {
                format!(
                    "there are at most {} {}, {}",
                    words::count(u64::from(*max_occurrences)),
                    record_plural(cx, filter),
                    cx.window(window)
                )
            };
            let mut notes = excluded(excluding);
            notes.push(
                "This can only be known when the window has ended: until its last day the outcome is pending, and it is achieved on that last day."
                    .to_string(),
            );
            with_notes(text, notes)
        }
        Condition::Reaches { function, filter, field, threshold, window, .. } => {
            let what = match (function, field) {
                (ir::AggregateFn::Count, _) | (_, None) => {
                    format!("the number of {}", record_plural(cx, filter))
                }
                (_, Some(f)) => {
                    format!(
                        "the running total of the {} of their {}",
                        cx.field_noun(&filter.event, f, true),
                        record_plural(cx, filter)
                    )
                }
            };
            let text = format!("{what}, {}, reaches {}", cx.window(window), cx.value(threshold));
            with_notes(text, vec!["It is achieved on the date of the record that reaches it.".to_string()])
        }
        Condition::Change { event, value, direction, by, baseline, window, .. } => {
            let moved = match direction {
                ir::ChangeDirection::Rises => "risen",
                ir::ChangeDirection::Falls => "fallen",
            };
            let from = match baseline {
                ir::Baseline::FirstEvent => {
                    format!("its value in the first {} record in the window", words::humanise(event))
                }
                ir::Baseline::Value { value } => cx.value(value),
            };
            let measured = match value {
                ir::Expr::EventField { event: e, field } if e == event => words::humanise(field),
                other => cx.value(other),
            };
            let text = format!(
                "the {measured} in a later {} record has {moved} by at least {} from {from}, {}",
                words::humanise(event),
                cx.value(by),
                cx.window(window)
            );
            with_notes(text, vec!["It is achieved on the date of the first such record.".to_string()])
        }
        Condition::Holds { expr, .. } => {
            let note = if reads_window(expr) {
                "It is decided on the last day of the latest window it reads, once that day has passed, and achieved on that day."
            } else {
                "It is a check that must hold; the date of achievement comes from the conditions beside it."
            };
            with_notes(cx.clause(expr), vec![note.to_string()])
        }
    }
}

fn with_notes(text: String, notes: Vec<String>) -> Item {
    Item { text, children: notes.into_iter().map(Item::new).collect() }
}

/// A part of an "all" or "any": a sentence of its own in the list.
fn capitalised(mut item: Item) -> Item {
    item.text = words::capitalise(&item.text);
    if !item.text.ends_with(':') {
        item.text.push('.');
    }
    item
}

fn is_spell(cx: &Context, event: &str) -> bool {
    cx.events.iter().any(|e| e.name == event && matches!(e.timing, ir::Timing::Spell { .. }))
}

/// "the participant has been in employment of more than 16 hours per week", or, for events
/// on a single day, "there is a wellbeing survey record".
fn holds(cx: &Context, subject: &str, filter: &EventFilter) -> String {
    holds_with(cx, subject, filter, "has been")
}

/// As [`holds`], with the verb of the spell case: "has been" for the condition, "was" for
/// the rule of one period.
fn holds_with(cx: &Context, subject: &str, filter: &EventFilter, verb: &str) -> String {
    if is_spell(cx, &filter.event) {
        format!("the {subject} {verb} {}", in_spell(cx, filter))
    } else {
        format!("there is {}", record(cx, filter, true))
    }
}

/// "in employment ..." for a spell named as a state one is in; "covered by a school week
/// record ..." for one named as a thing (a week, a job), which nobody is "in".
fn in_spell(cx: &Context, filter: &EventFilter) -> String {
    if is_state(&filter.event) {
        format!("in {}", record(cx, filter, false))
    } else {
        format!("covered by {}", record(cx, filter, true))
    }
}

/// True when a spell's name reads as a state or activity, by the endings English forms
/// such nouns with ("employment", "accommodation", "training", "higher education"), so that
/// "in employment" is idiomatic; a thing ("school week", "job", "term") is not, and a name
/// the endings miss reads, plainly, as a record.
fn is_state(event: &str) -> bool {
    let name = words::humanise(event);
    let last = name.rsplit(' ').next().unwrap_or(&name);
    ["ment", "tion", "sion", "ing", "ance", "ence", "ship", "hood"].iter().any(|s| last.ends_with(s))
}

/// The records a filter keeps, as a noun phrase: "employment of more than 16 hours per week",
/// "accommodation that counts as “settled”".
fn record(cx: &Context, filter: &EventFilter, with_article: bool) -> String {
    let event = words::humanise(&filter.event);
    let noun = match (is_spell(cx, &filter.event) && is_state(&filter.event), with_article) {
        (true, _) => event,
        (false, true) => format!("{} record", article(&event)),
        (false, false) => format!("{event} record"),
    };
    format!("{noun}{}", qualifier(cx, filter))
}

fn record_plural(cx: &Context, filter: &EventFilter) -> String {
    format!("{} records{}", words::humanise(&filter.event), qualifier(cx, filter))
}

fn qualifier(cx: &Context, filter: &EventFilter) -> String {
    match &filter.predicate {
        ir::Expr::Bool { value: true } => String::new(),
        // "employment of more than 16 hours per week": the unit already names the field.
        ir::Expr::Compare { operator, lhs, rhs } => match (&**lhs, &**rhs) {
            (ir::Expr::EventField { field, .. }, ir::Expr::Quantity { unit, .. })
                if words::unit_words(unit, false).starts_with(&words::humanise(field)) =>
            {
                let op = match operator {
                    ir::CmpOp::Gt => "more than ",
                    ir::CmpOp::Ge => "at least ",
                    ir::CmpOp::Lt => "less than ",
                    ir::CmpOp::Le => "at most ",
                    ir::CmpOp::Eq => "exactly ",
                    ir::CmpOp::Ne => "other than ",
                };
                format!(" of {op}{}", cx.value(rhs))
            }
            _ => where_clause(cx, filter),
        },
        ir::Expr::Ref { name } => format!(" that counts as “{}”", words::humanise(name)),
        _ => where_clause(cx, filter),
    }
}

/// " whose level is 1", " that started after ...", or else " where ..." with the record's
/// own fields as "its".
fn where_clause(cx: &Context, filter: &EventFilter) -> String {
    match cx.record_relative(&filter.event, &filter.predicate) {
        Some(relative) => format!(" {relative}"),
        None => format!(" where {}", cx.in_record(&filter.event).record_clause(&filter.predicate)),
    }
}

/// A comma after a "where ..." clause, so that what follows is not read as part of it.
fn pause(filter: &EventFilter) -> &'static str {
    match &filter.predicate {
        ir::Expr::Bool { value: true } | ir::Expr::Ref { .. } => "",
        ir::Expr::Compare { lhs, rhs, .. }
            if matches!((&**lhs, &**rhs), (ir::Expr::EventField { .. }, ir::Expr::Quantity { .. })) =>
        {
            ""
        }
        _ => ",",
    }
}

fn period_name(period: PeriodKind, n: u32) -> String {
    let (one, many) = match period {
        PeriodKind::CalendarMonth => ("calendar month", "calendar months"),
        PeriodKind::CalendarWeek => ("calendar week", "calendar weeks"),
        PeriodKind::Month => ("month", "months"),
        PeriodKind::Week => ("week", "weeks"),
        PeriodKind::Day => ("day", "days"),
    };
    if n == 1 { one } else { many }.to_string()
}

/// What one period is, and which is the first.
fn period_rule(period: PeriodKind, of: u32, start: &str) -> String {
    match period {
        PeriodKind::CalendarMonth => format!(
            "A calendar month runs from its first to its last day. The first of the {of} is the first whole calendar month that starts on or after {start}."
        ),
        PeriodKind::CalendarWeek => format!(
            "A calendar week runs from Monday to Sunday. The first of the {of} is the first whole week that starts on or after {start}."
        ),
        PeriodKind::Month => format!(
            "Months are counted from {start}: each runs from that day of the month to the day before the same day of the next month \
(when a month has no such day, its last day is used)."
        ),
        PeriodKind::Week => format!("Weeks are seven-day periods, the first starting on {start}."),
        PeriodKind::Day => format!("Each day counts on its own, starting with {start}."),
    }
}

fn counting_rule(
    cx: &Context,
    subject: &str,
    filter: &EventFilter,
    period: PeriodKind,
    counting: &ir::Counting,
) -> String {
    let p = period_name(period, 1);
    let days = match counting.rule {
        CountingRule::AnyDay => format!("on at least one day of the {p}"),
        CountingRule::EveryDay => format!("on every day of the {p}"),
        CountingRule::AtLeastDays => {
            let n = u64::from(counting.min_days.unwrap_or(1));
            format!("on at least {} of the {p}", words::counted(n, "day", "days"))
        }
    };
    let what = holds_with(cx, subject, filter, "was");
    if period == PeriodKind::Day {
        return format!("A day counts if {what}{} that day.", pause(filter));
    }
    let mut text = format!("A {p} counts if {what}{} {days}.", pause(filter));
    if counting.defaulted {
        text.push_str(&format!(" This is the default rule: the contract does not say how a {p} counts."));
    }
    text
}

fn excluded(excluding: &[String]) -> Vec<String> {
    if excluding.is_empty() {
        return Vec::new();
    }
    let names: Vec<String> = excluding.iter().map(|e| words::humanise(e)).collect();
    vec![format!(
        "Days in {} are left out: they neither count nor break a run, an event on such a day is not seen, and the window is not lengthened by them.",
        words::join(&names, "or")
    )]
}

/// What an open spell means, for an outcome explained on its own; a whole document says it
/// once, under Records.
fn open_spell(cx: &Context, subject: &str, event: &str) -> Option<String> {
    if cx.records_shown {
        return None;
    }
    let e = cx.events.iter().find(|e| e.name == event)?;
    match e.timing {
        ir::Timing::Spell { open_ended: true, .. } => Some(format!(
            "{} spell with no end date means the {subject} was still in it on the date of evaluation; it says nothing yet about the days after that date.",
            words::capitalise(&article(&words::humanise(event)))
        )),
        _ => None,
    }
}

/// "an employment", "a course".
pub fn article(noun: &str) -> String {
    let vowel = noun.chars().next().is_some_and(|c| "aeiouAEIOU".contains(c));
    format!("{} {noun}", if vowel { "an" } else { "a" })
}

/// True when the expression reads a total over a window of records.
fn reads_window(e: &ir::Expr) -> bool {
    e.any(&mut |x| matches!(x, ir::Expr::Aggregate { window: Some(_), .. }))
}
