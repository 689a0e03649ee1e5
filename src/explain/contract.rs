//! The explanation of a whole contract, section by section: the terms, who the participants
//! are, the evidence, the definitions, each outcome, each cohort outcome, and the rules every
//! outcome shares. Everything is read from the IR, never from the source text.

use super::conditions::{article, condition};
use super::document::{Document, Item};
use super::phrases::{Context, comparison};
use super::words;
use crate::ir::{self, CapKind, Contract, Expr, Payment, Type};

pub fn context(c: &Contract) -> Context<'_> {
    Context {
        currency: &c.currency,
        fields: &c.participant.fields,
        events: &c.events,
        enums: &c.enums,
        definitions: &c.definitions,
        outcomes: &c.outcomes,
        params: &[],
        achievable_end: Some(&c.achievable.to),
        noun: &c.participant.noun,
        record: None,
        records_shown: false,
    }
}

pub fn document(c: &Contract) -> Document {
    // The Records section below says what an open spell means, once for the document.
    let cx = Context { records_shown: !c.events.is_empty(), ..context(c) };
    let mut doc = Document::new(c.name.clone());
    let source = c.sources.first().map(|s| format!(" from `{s}`")).unwrap_or_default();
    doc.paragraph(format!(
        "This is what the payable compiler understood{source}: every outcome, payment, cap and cohort rule, \
with every default stated. It was written from the compiled contract (IR version {}, content hash {}), not copied from its text.",
        c.ir_version,
        short_hash(&c.hash)
    ));
    terms(&cx, c, "Terms", &mut doc);
    participants(&cx, c, &mut doc);
    evidence(&cx, c, &mut doc);
    definitions(&cx, &c.definitions, false, &mut doc);
    if !c.outcomes.is_empty() {
        doc.heading(1, "Outcomes");
        for o in &c.outcomes {
            outcome(&cx, c, o, &mut doc);
        }
    }
    if !c.cohort_outcomes.is_empty() {
        doc.heading(1, "Cohort outcomes");
        for o in &c.cohort_outcomes {
            cohort_outcome(&cx, c, o, &mut doc);
        }
    }
    doc
}

fn short_hash(hash: &str) -> String {
    hash.chars().take(12).collect()
}

/// The contract's terms: currency, periods, caps, rounding, the working-day calendar,
/// exclusions and accepted risks, under `heading`.
pub fn terms(cx: &Context, c: &Contract, heading: &str, doc: &mut Document) {
    doc.heading(1, heading);
    let money = |d| words::money(d, &c.currency);
    let mut items = vec![
        Item::new(format!("All amounts are in {}.", words::currency_name(&c.currency))),
        Item::new(format!(
            "Outcomes count only if achieved from {} to {}, both days included (the achievable period).",
            words::date(&c.achievable.from),
            words::date(&c.achievable.to)
        )),
        Item::new(format!(
            "Claims close on {}: no claim can be made after that day.",
            words::date(&c.claims_close)
        )),
        Item::new(match c.caps.total {
            Some(total) => format!("The contract pays at most {} in all.", money(total)),
            None => "The contract sets no limit on what it pays in all.".to_string(),
        }),
        Item::new(match c.caps.per_participant {
            Some(cap) => format!(
                "At most {} is paid for any one {}, across all outcomes.",
                money(cap),
                c.participant.noun
            ),
            None => format!("There is no limit on what is paid for one {}.", c.participant.noun),
        }),
        Item::new(rounding(c)),
        Item::new(caps_order(c)),
        Item::new(working_days(&c.working_days)),
    ];
    for e in &c.exclusions {
        items.push(Item::new(exclusion(cx, e)));
    }
    for a in &c.allows {
        items.push(Item::new(allowed(a)));
    }
    doc.list(items);
}

fn rounding(c: &Contract) -> String {
    let increment = words::money(c.rounding.increment, &c.currency);
    let how = match c.rounding.mode {
        ir::RoundingMode::HalfUp => format!("to the nearest {increment} (halves up)"),
        ir::RoundingMode::HalfEven => format!("to the nearest {increment} (halves to the even multiple)"),
        ir::RoundingMode::Down => format!("down to a multiple of {increment}"),
        ir::RoundingMode::Up => format!("up to a multiple of {increment}"),
    };
    let mut text = format!("Each payment is rounded {how}, after prices are applied and before caps.");
    if c.rounding.defaulted {
        text.push_str(" This is the default: the contract does not say how to round.");
    }
    text
}

fn caps_order(c: &Contract) -> String {
    let names: Vec<String> = c
        .cap_order
        .iter()
        .map(|k| {
            match k {
                CapKind::OutcomePayments => "each outcome's limit on the number of payments",
                CapKind::OutcomeAmount => "each outcome's limit on the amount paid",
                CapKind::Participant => return format!("the limit per {}", c.participant.noun),
                CapKind::Contract => "the contract's total",
            }
            .to_string()
        })
        .collect();
    format!(
        "Caps apply to each payment in this order, narrowest first: {}. A payment a cap would exceed is cut to what is left under it.",
        names.join("; then ")
    )
}

fn working_days(w: &ir::WorkingDays) -> String {
    let holidays = match w.holidays.as_str() {
        "none" => "no bank holidays are left out".to_string(),
        other => format!("the bank holidays of {} are left out", title_case(&words::humanise(other))),
    };
    let mut text = format!("A working day is any Monday to Friday; {holidays}.");
    if w.defaulted {
        text.push_str(" This is the default: the contract does not name a holiday calendar.");
    }
    text
}

/// A declaration's doc comments, after the sentence that states it.
fn push_docs(text: &mut String, docs: &[String]) {
    for d in docs {
        text.push(' ');
        text.push_str(d);
    }
}

fn title_case(text: &str) -> String {
    text.split(' ')
        .map(|w| if w == "and" { w.to_string() } else { words::capitalise(w) })
        .collect::<Vec<_>>()
        .join(" ")
}

/// "participants", "families", "schools".
fn plural_noun(noun: &str) -> String {
    words::unit_words(noun, false)
}

fn exclusion(cx: &Context, e: &ir::Exclusion) -> String {
    let noun = cx.noun;
    let names: Vec<String> = e.outcomes.iter().map(|o| cx.outcome_title(o)).collect();
    match e.rule {
        ir::ExclusionRule::FirstAchieved => format!(
            "Only one of {} is paid for a {noun}: whichever is achieved first (on the same day, the higher amount, then the one declared first); the others are then not achieved.",
            words::join(&names, "and")
        ),
        ir::ExclusionRule::Highest => format!(
            "Of {}, {} may be achieved, but only the one with the highest amount is paid for a {noun}.",
            words::join(&names, "and"),
            if names.len() == 2 { "both" } else { "all" }
        ),
    }
}

fn allowed(a: &ir::Allowed) -> String {
    let reason = a.reason.trim();
    let stop = if reason.ends_with(['.', '!', '?']) { "" } else { "." };
    match crate::lint::LINTS.iter().find(|l| l.name == a.lint) {
        Some(lint) => format!(
            "Risk knowingly accepted: {} ({}, `{}`). The reason given: {reason}{stop}",
            lint.code.title, lint.code.id, lint.name
        ),
        None => format!("Risk knowingly accepted (`{}`). The reason given: {reason}{stop}", a.lint),
    }
}

fn participants(cx: &Context, c: &Contract, doc: &mut Document) {
    let noun = &c.participant.noun;
    doc.heading(1, format!("Each {noun}"));
    doc.paragraph(format!("The contract is evaluated {noun} by {noun}. For each {noun} it knows:"));
    let items = c
        .participant
        .fields
        .iter()
        .map(|f| Item::new(field(cx, f, &cx.participant_field(&f.name))))
        .collect();
    doc.list(items);
}

fn field(cx: &Context, f: &ir::Field, phrase: &str) -> String {
    let mut text = format!("{} (`{}`): {}", words::capitalise(phrase), f.name, type_words(cx, &f.ty));
    if let Some(unit) = &f.input_unit {
        text.push_str(&format!(", given in {}", words::unit_words(unit, false)));
    }
    text.push('.');
    push_docs(&mut text, &f.docs);
    text
}

pub fn type_words(cx: &Context, t: &Type) -> String {
    match t {
        Type::Bool => "yes or no".to_string(),
        Type::Int => "a whole number".to_string(),
        Type::Bounded { min, max } => format!("a whole number from {min} to {max}"),
        Type::Decimal => "a number".to_string(),
        Type::Text => "text".to_string(),
        Type::Date => "a date".to_string(),
        Type::Percent => "a percentage".to_string(),
        Type::Quantity { unit } if cx.is_money(unit) => format!("an amount of money in {unit}"),
        // A price per unit: "an amount of money in GBP per hour", not "a number of GBPs".
        Type::Quantity { unit } if unit.split_once('/').is_some_and(|(top, _)| cx.is_money(top)) => {
            let (top, per) = unit.split_once('/').unwrap_or_default();
            format!("an amount of money in {top} per {}", words::unit_words(per, true))
        }
        Type::Quantity { unit } => match unit.as_str() {
            "month" => "a length of time in months".to_string(),
            "day" => "a length of time in days".to_string(),
            other => format!("a number of {}", words::unit_words(other, false)),
        },
        Type::Enum { name } => match cx.enums.iter().find(|e| &e.name == name) {
            Some(e) => {
                let cases: Vec<String> =
                    e.cases.iter().map(|c| format!("“{}”", words::humanise(c))).collect();
                format!("one of {}", words::join(&cases, "or"))
            }
            None => format!("a {}", words::humanise(name)),
        },
        Type::Optional { of } => format!("{}, or nothing", type_words(cx, of)),
    }
}

fn evidence(cx: &Context, c: &Contract, doc: &mut Document) {
    if c.events.is_empty() {
        return;
    }
    doc.heading(1, "Records");
    doc.paragraph("Outcomes are decided from these records, each about one participant:");
    let items = c.events.iter().map(|e| event(cx, e)).collect();
    doc.list(items);
}

fn event(cx: &Context, e: &ir::Event) -> Item {
    let name = words::humanise(&e.name);
    let mut text = match &e.timing {
        ir::Timing::Point { on } => {
            format!("{}: a record of something on one day (`{on}`).", words::capitalise(&name))
        }
        ir::Timing::Spell { from, to, open_ended } => {
            let mut t = format!(
                "{}: a spell of days, from `{from}` to `{to}`, both days included.",
                words::capitalise(&name)
            );
            if *open_ended {
                t.push_str(&format!(
                    " {} spell with no end date was still going on at the date of evaluation, and says nothing yet about the days after that date.",
                    words::capitalise(&article(&name))
                ));
            }
            t
        }
    };
    if e.activity {
        text.push_str(" These record activity, not outcomes.");
    }
    push_docs(&mut text, &e.docs);
    let mut children: Vec<Item> = e
        .fields
        .iter()
        // The date fields are named in the sentence above; they need a line only to carry
        // their doc comment.
        .filter(|f| !is_timing_field(&e.timing, &f.name) || !f.docs.is_empty())
        .map(|f| Item::new(field(cx, f, &words::humanise(&f.name))))
        .collect();
    children.push(Item::new(match e.evidence.as_slice() {
        [] => "Evidence: the contract does not say what backs these records.".to_string(),
        list => {
            let names: Vec<String> = list.iter().map(|x| words::humanise(x)).collect();
            format!("Evidence: {}.", words::join(&names, "or"))
        }
    }));
    Item { text, children }
}

fn is_timing_field(timing: &ir::Timing, name: &str) -> bool {
    match timing {
        ir::Timing::Point { on } => on == name,
        ir::Timing::Spell { from, to, .. } => from == name || to == name,
    }
}

/// Definitions, bands and (when `every_enum`, for a module, whose enums no field shows)
/// enums: the named terms outcomes use.
pub fn definitions(cx: &Context, definitions: &[ir::Definition], every_enum: bool, doc: &mut Document) {
    let enums: Vec<&ir::Enum> = cx.enums.iter().filter(|e| every_enum || e.bands.is_some()).collect();
    if definitions.is_empty() && enums.is_empty() {
        return;
    }
    doc.heading(1, "Definitions");
    let mut items = Vec::new();
    for e in enums {
        items.push(if e.bands.is_some() { band_item(cx, e) } else { enum_item(cx, e) });
    }
    for d in definitions {
        items.push(definition(cx, d));
    }
    doc.list(items);
}

fn enum_item(cx: &Context, e: &ir::Enum) -> Item {
    let mut text = format!(
        "“{}” is {}.",
        words::humanise(&e.name),
        type_words(cx, &Type::Enum { name: e.name.clone() })
    );
    push_docs(&mut text, &e.docs);
    Item::new(text)
}

fn band_item(cx: &Context, e: &ir::Enum) -> Item {
    let mut text =
        format!("“{}” sorts a value into bands; every value falls in exactly one.", words::humanise(&e.name));
    push_docs(&mut text, &e.docs);
    let children = e
        .bands
        .iter()
        .flat_map(|b| {
            b.bands.iter().map(|band| {
                Item::new(format!("“{}”: {}.", words::humanise(&band.case), cx.band_interval(&b.of, band)))
            })
        })
        .collect();
    Item { text, children }
}

fn definition(outer: &Context, d: &ir::Definition) -> Item {
    let cx = Context { params: &d.params, ..*outer };
    let name = words::humanise(&d.name);
    let head = if d.params.is_empty() {
        format!("“{name}”")
    } else {
        let params: Vec<String> =
            d.params.iter().map(|p| format!("`{}` ({})", p.name, type_words(&cx, &p.ty))).collect();
        format!("“{name}”, given {},", words::join(&params, "and"))
    };
    let mut text = match &d.event {
        Some(event) => format!("{head} is a test of one {} record.", words::humanise(event)),
        None => format!("{head} is {}.", type_words(&cx, &d.ty)),
    };
    push_docs(&mut text, &d.docs);
    let mut children = Vec::new();
    if let Some(module) = d.name.rsplit_once('.').map(|(m, _)| m) {
        children.push(Item::new(format!("From the module “{module}”.")));
    }
    children.extend(body(&cx, d));
    Item { text, children }
}

/// How a definition is worked out; a chain of `if`s reads as a list of cases.
fn body(cx: &Context, d: &ir::Definition) -> Vec<Item> {
    let boolean = d.ty == Type::Bool;
    let say = |e: &Expr| {
        if boolean {
            format!("It holds when {}.", clause_for(cx, d, e))
        } else {
            format!("It is {}.", cx.value(e))
        }
    };
    let mut items = Vec::new();
    let mut e = &d.body;
    let mut first = true;
    while let Expr::If { condition, then, otherwise } = e {
        let lead = if first { "If" } else { "Otherwise, if" };
        let value = if boolean { clause_for(cx, d, then) } else { cx.value(then) };
        items.push(Item::new(format!("{lead} {}: {value}.", clause_for(cx, d, condition))));
        e = otherwise;
        first = false;
    }
    if first {
        items.push(Item::new(say(e)));
    } else {
        let value = if boolean { clause_for(cx, d, e) } else { cx.value(e) };
        items.push(Item::new(format!("Otherwise: {value}.")));
    }
    items
}

fn clause_for(cx: &Context, d: &ir::Definition, e: &Expr) -> String {
    if d.event.is_some() { cx.record_clause(e) } else { cx.clause(e) }
}

pub fn outcome(cx: &Context, c: &Contract, o: &ir::Outcome, doc: &mut Document) {
    doc.heading(2, format!("{} (`{}`)", o.title, o.name));
    docs(&o.docs, doc);
    let noun = &c.participant.noun;
    if !matches!(o.eligible, Expr::Bool { value: true }) {
        doc.paragraph(format!("It can only be achieved if {}.", cx.clause(&o.eligible)));
    }
    if !o.requires.is_empty() {
        let names: Vec<String> = o.requires.iter().map(|r| cx.outcome_title(r)).collect();
        doc.paragraph(format!(
            "It requires {} to have been achieved: if its condition is met earlier, it is achieved on the day the required outcome was.",
            words::join(&names, "and")
        ));
    }
    let item = condition(cx, noun, &o.condition);
    doc.paragraph(format!("It is achieved when {}", sentence_end(&item.text)));
    doc.list(item.children);
    payment(cx, c, &o.payment, doc);
    let mut rules = Vec::new();
    rules.push(Item::new(if o.max_times <= 1 {
        format!("It is paid at most once for each {noun}.")
    } else {
        format!(
            "It can be achieved and paid up to {} for each {noun}; each repeat is measured again from the day after the previous achievement.",
            words::counted(u64::from(o.max_times), "time", "times")
        )
    }));
    rules.extend(outcome_caps(c, &o.caps));
    rules.push(Item::new(claims(c, o.claim_within.as_ref(), "achievement")));
    for e in c.exclusions.iter().filter(|e| e.outcomes.contains(&o.name)) {
        rules.push(Item::new(exclusion(cx, e)));
    }
    for a in &o.allows {
        rules.push(Item::new(allowed(a)));
    }
    doc.list(rules);
}

/// Doc comments, as written: consecutive lines are one paragraph, a blank line starts the
/// next.
fn docs(lines: &[String], doc: &mut Document) {
    for paragraph in lines.split(|l| l.trim().is_empty()) {
        if !paragraph.is_empty() {
            let words: Vec<&str> = paragraph.iter().map(|l| l.trim()).collect();
            doc.paragraph(words.join(" "));
        }
    }
}

/// A clause ends a sentence with a full stop, or introduces its parts with a colon.
fn sentence_end(text: &str) -> String {
    if text.ends_with(':') { text.to_string() } else { format!("{text}.") }
}

fn payment(cx: &Context, c: &Contract, p: &Payment, doc: &mut Document) {
    doc.paragraph(match p {
        Payment::Amount { amount, .. } => format!("It pays {}.", cx.value(amount)),
        Payment::ByCase { on, cases, .. } => {
            let prices: Vec<String> = cases
                .iter()
                .map(|case| {
                    let fallback =
                        if case.from_otherwise { " (the contract's “otherwise” price)" } else { "" };
                    format!("{} if “{}”{fallback}", cx.value(&case.amount), words::humanise(&case.case))
                })
                .collect();
            format!("It pays according to {}: {}.", cx.value(on), prices.join("; "))
        }
        Payment::Tiers { tiers, .. } => {
            let steps: Vec<String> =
                tiers.iter().map(|t| format!("{} from {}", cx.value(&t.amount), cx.value(&t.from))).collect();
            format!(
                "It pays the amount of the highest tier reached, and nothing below the first: {}.",
                steps.join("; ")
            )
        }
        Payment::PerPoint { rate, above, .. } => format!(
            "It pays {} for each {} above {}.",
            words::quantity(rate.value, &rate.unit, &c.currency),
            if matches!(above, Expr::Percent { .. }) { "percentage point" } else { "point" },
            cx.value(above)
        ),
    });
}

fn outcome_caps(c: &Contract, caps: &ir::OutcomeCaps) -> Vec<Item> {
    let mut items = Vec::new();
    if let Some(n) = caps.payments {
        items.push(Item::new(format!(
            "At most {} of it are made, across all {}.",
            words::counted(u64::from(n), "payment", "payments"),
            plural_noun(&c.participant.noun)
        )));
    }
    if let Some(amount) = caps.amount {
        items.push(Item::new(format!(
            "At most {} is paid for it, across all {}.",
            words::money(amount, &c.currency),
            plural_noun(&c.participant.noun)
        )));
    }
    items
}

fn claims(c: &Contract, within: Option<&ir::Quantity>, after: &str) -> String {
    let close = words::date(&c.claims_close);
    match within {
        Some(q) => format!(
            "A claim must be made within {} of the {after}, and never after claims close on {close}.",
            words::span_of_time(q.value, &q.unit, &c.currency)
        ),
        None => format!("A claim can be made at any time until claims close on {close}."),
    }
}

pub fn cohort_outcome(cx: &Context, c: &Contract, o: &ir::CohortOutcome, doc: &mut Document) {
    doc.heading(2, format!("{} (`{}`)", o.title, o.name));
    docs(&o.docs, doc);
    let noun = &c.participant.noun;
    doc.paragraph(match &o.members {
        Expr::Bool { value: true } => {
            format!("It is decided for the whole cohort of every {noun} together, not for each one.")
        }
        members => format!(
            "It is decided once for a cohort, not for each {noun}. The cohort is every {noun} who meets this test: {}.",
            cx.clause(members)
        ),
    });
    let measure = match &o.measure {
        ir::Measure::ShareAchieving { outcome } => {
            format!("the percentage of the cohort who achieve {}", cx.outcome_title(outcome))
        }
        ir::Measure::CountAchieving { outcome } => {
            format!("the number in the cohort who achieve {}", cx.outcome_title(outcome))
        }
        ir::Measure::ShareWhere { expr } => {
            format!("the percentage of the cohort for whom {}", cx.clause(expr))
        }
        ir::Measure::Mean { expr } => format!("the average, over the cohort, of {}", cx.value(expr)),
    };
    let target = match &o.target {
        ir::CohortTarget::Threshold { op, value } => {
            format!("{measure} {} {}.", comparison(*op, false), cx.value(value))
        }
        ir::CohortTarget::AgainstControl { effect, points, direction, significance } => {
            let side = match direction {
                ir::Direction::Above => "above",
                ir::Direction::Below => "below",
            };
            let size = if *points {
                format!("at least {} percentage points {side} the control group's", words::number(*effect))
            } else {
                format!(
                    "at least {}% {side} the control group's (relative to the control group's value)",
                    words::number(*effect)
                )
            };
            let mut t = format!("{measure} is {size}.");
            if let Some(s) = significance {
                t.push_str(&format!(
                    " The difference must also be statistically significant at the {}% level (p < {}) by {}.",
                    words::number(s.level),
                    words::number(s.level / rust_decimal::Decimal::from(100)),
                    test_name(&s.test)
                ));
            }
            t
        }
    };
    doc.paragraph(format!("It is achieved when {target}"));
    payment(cx, c, &o.payment, doc);
    let mut rules = outcome_caps(c, &o.caps);
    rules.push(Item::new(claims(c, o.claim_within.as_ref(), "decision")));
    for a in &o.allows {
        rules.push(Item::new(allowed(a)));
    }
    doc.list(rules);
}

fn test_name(test: &str) -> String {
    match test {
        "welch_t_test" => "Welch's t-test".to_string(),
        "two_proportion_z_test" => "a two-proportion z-test".to_string(),
        "mann_whitney_u_test" => "a Mann-Whitney U test".to_string(),
        "fisher_exact_test" => "Fisher's exact test".to_string(),
        other => format!("the test “{}”", words::humanise(other)),
    }
}
