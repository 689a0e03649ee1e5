//! Expressions, windows and anchors of the IR as English phrases. Owns the one vocabulary
//! every explanation uses ("is on or after" for dates, "is at least" for numbers, "the
//! day after" for `after`), so that the same construct always reads the same way.

use super::words;
use crate::ir::{self, AggregateFn, BinaryOp, CmpOp, Expr, Type};
use rust_decimal::Decimal;

/// What a phrase can know about the contract around it: declared names and their types.
pub struct Context<'a> {
    pub currency: &'a str,
    pub fields: &'a [ir::Field],
    pub events: &'a [ir::Event],
    pub enums: &'a [ir::Enum],
    pub definitions: &'a [ir::Definition],
    pub outcomes: &'a [ir::Outcome],
    /// The parameters of the definition being explained, if any.
    pub params: &'a [ir::Param],
    /// The last day of the achievable period, when there is a contract.
    pub achievable_end: Option<&'a str>,
    /// What one participant is: "participant", "family", ...
    pub noun: &'a str,
    /// The event whose one record a clause is about (a filter's `where`): its fields then
    /// read "its hours", not "the employment's hours".
    pub record: Option<&'a str>,
    /// True when the document has a Records section, which already says what an open spell
    /// means: conditions then do not repeat it.
    pub records_shown: bool,
}

impl<'a> Context<'a> {
    /// The same context, for a clause about one record of `event`.
    pub fn in_record(&self, event: &'a str) -> Context<'a> {
        Context { record: Some(event), ..*self }
    }

    fn definition(&self, name: &str) -> Option<&ir::Definition> {
        self.definitions.iter().find(|d| d.name == name)
    }

    fn event(&self, name: &str) -> Option<&ir::Event> {
        self.events.iter().find(|e| e.name == name)
    }

    fn event_field_type(&self, event: &str, field: &str) -> Option<&Type> {
        self.event(event)?.fields.iter().find(|f| f.name == field).map(|f| &f.ty)
    }

    /// A record field as the noun a total or an average is of. A money field's name is often
    /// an adjective ("gross", "net"), so it is read as an amount: "the gross amounts"; other
    /// fields already name what they measure ("hours", "score").
    pub fn field_noun(&self, event: &str, field: &str, plural: bool) -> String {
        let words = words::humanise(field);
        let money = matches!(self.event_field_type(event, field), Some(Type::Quantity { unit }) if self.is_money(unit));
        if !money || words.ends_with("amount") || words.ends_with("amounts") {
            return words;
        }
        format!("{words} {}", if plural { "amounts" } else { "amount" })
    }

    pub fn is_money(&self, unit: &str) -> bool {
        words::is_money(unit, self.currency)
    }

    fn participant_field_type(&self, field: &str) -> Option<&Type> {
        self.fields.iter().find(|f| f.name == field).map(|f| &f.ty)
    }

    /// An outcome's title, quoted, or its name when it is not in this contract.
    pub fn outcome_title(&self, name: &str) -> String {
        let title = self.outcomes.iter().find(|o| o.name == name).map_or(name, |o| o.title.as_str());
        format!("“{title}”")
    }

    /// True when the date moves by calendar months or years (directly, or through the
    /// definitions it reads), where 29 February and 31st-of-month anchors need saying.
    pub fn moves_by_months(&self, e: &Expr) -> bool {
        self.moves_by_months_within(e, 0)
    }

    /// `moves_by_months`, `depth` definitions deep: the checker rejects definitions that
    /// use themselves, and the bound keeps a hand-edited IR from recursing for ever.
    fn moves_by_months_within(&self, e: &Expr, depth: usize) -> bool {
        depth <= 32
            && e.any(&mut |x| match x {
                Expr::ShiftDate { unit, .. } => unit == "month",
                Expr::Ref { name } | Expr::Call { function: name, .. } => {
                    self.definition(name).is_some_and(|d| self.moves_by_months_within(&d.body, depth + 1))
                }
                _ => false,
            })
    }

    /// True when the expression is a date, so that comparisons read "before"/"after".
    fn is_date(&self, e: &Expr) -> bool {
        match e {
            Expr::Date { .. } | Expr::ShiftDate { .. } | Expr::AchievedOn { .. } => true,
            Expr::Builtin { function, args } => match function.as_str() {
                "start_of_month" | "end_of_month" | "start_of_year" => true,
                "min" | "max" => args.first().is_some_and(|a| self.is_date(a)),
                _ => false,
            },
            Expr::ParticipantField { field } => is_date_type(self.participant_field_type(field)),
            Expr::EventField { event, field } => is_date_type(self.event_field_type(event, field)),
            Expr::Ref { name } | Expr::Call { function: name, .. } => {
                is_date_type(self.definition(name).map(|d| &d.ty))
            }
            Expr::Param { name } => is_date_type(self.params.iter().find(|p| &p.name == name).map(|p| &p.ty)),
            Expr::Coalesce { value, .. } => self.is_date(value),
            Expr::If { then, .. } => self.is_date(then),
            _ => false,
        }
    }

    fn is_bool_field(&self, e: &Expr) -> bool {
        let t = match e {
            Expr::ParticipantField { field } => self.participant_field_type(field),
            Expr::EventField { event, field } => self.event_field_type(event, field),
            _ => None,
        };
        matches!(t, Some(Type::Bool))
    }

    /// A value, as a noun phrase: "their date of birth", "£300.00", "the employment's hours".
    pub fn value(&self, e: &Expr) -> String {
        match e {
            Expr::Bool { value } => if *value { "yes" } else { "no" }.to_string(),
            Expr::Int { value } => value.to_string(),
            Expr::Decimal { value } => words::number(*value),
            Expr::Text { value } => format!("“{value}”"),
            Expr::Date { value } => words::date(value),
            Expr::Percent { value } => format!("{}%", words::number(*value)),
            Expr::Quantity { value, unit } => words::quantity(*value, unit, self.currency),
            Expr::Case { case, .. } => format!("“{}”", words::humanise(case)),
            Expr::ParticipantField { field } => self.participant_field(field),
            Expr::EventField { event, field } => self.event_field(event, field),
            // As the doc comments write them: `born`.
            Expr::Param { name } => format!("`{name}`"),
            Expr::Ref { name } => self.reference(name),
            Expr::Call { function, args } => self.call(function, args),
            Expr::Builtin { function, args } => self.builtin(function, args),
            Expr::Classify { bands, value } => {
                // A bands type is often named for its bands already: "wemwbs band".
                let name = words::humanise(bands);
                let name = name.strip_suffix("bands").map_or(name.clone(), |stem| format!("{stem}band"));
                let band = if name.ends_with("band") { "" } else { " band" };
                let falls = if self.is_plural(value) { "fall" } else { "falls" };
                format!("the {name}{band} that {} {falls} in", self.value(value))
            }
            Expr::Neg { operand } => format!("minus {}", self.operand(operand)),
            Expr::Not { .. }
            | Expr::And { .. }
            | Expr::Or { .. }
            | Expr::Compare { .. }
            | Expr::IsPresent { .. } => {
                format!("whether {}", self.clause(e))
            }
            Expr::Binary { operator, lhs, rhs } => self.binary(*operator, lhs, rhs),
            Expr::ShiftDate { date, by, unit, backwards } => {
                if let Some(day) = self.first_of_month(date, by, unit, *backwards) {
                    return day;
                }
                let amount = self.shift_amount(by, unit);
                let direction = if *backwards { "minus" } else { "plus" };
                format!("{} {direction} {amount}", self.operand(date))
            }
            Expr::DaysBetween { from, to } => {
                format!("the number of days from {} to {}", self.value(from), self.value(to))
            }
            Expr::Coalesce { value, default } => {
                format!("{} (or {} when there is none)", self.value(value), self.value(default))
            }
            Expr::If { condition, then, otherwise } => format!(
                "{} if {}, otherwise {}",
                self.value(then),
                self.clause(condition),
                self.value(otherwise)
            ),
            Expr::Aggregate { function, event, field, filter, window } => {
                self.aggregate(*function, event, field.as_deref(), filter, window.as_deref())
            }
            Expr::AchievedOn { outcome } => format!("the date {} was achieved", self.outcome_title(outcome)),
        }
    }

    /// A value inside arithmetic: compound values in brackets, so "a plus (b times c)" is
    /// never read the other way.
    fn operand(&self, e: &Expr) -> String {
        match e {
            Expr::Binary { .. } | Expr::If { .. } | Expr::Coalesce { .. } => format!("({})", self.value(e)),
            _ => self.value(e),
        }
    }

    fn binary(&self, op: BinaryOp, lhs: &Expr, rhs: &Expr) -> String {
        if let Some(product) = self.rate_times_duration(op, lhs, rhs) {
            return product;
        }
        if let (BinaryOp::Mul, Expr::Quantity { value, unit }) = (op, rhs) {
            // `n * 1 week` is kept in days, as `n * 7 days`: it reads "n weeks".
            if unit == "day" && *value == Decimal::from(7) {
                let weeks = if matches!(lhs, Expr::Int { value: 1 }) { "week" } else { "weeks" };
                return format!("{} {weeks}", self.operand(lhs));
            }
            // `age * 1 year` (kept as `age * 12 months`) reads "“age” years".
            if unit == "month" && *value == Decimal::from(12) {
                return format!("{} years", self.operand(lhs));
            }
            if *value == Decimal::ONE {
                return format!("{} {}", self.operand(lhs), words::unit_words(unit, false));
            }
        }
        let word = match op {
            BinaryOp::Add => "plus",
            BinaryOp::Sub => "minus",
            BinaryOp::Mul => "times",
            BinaryOp::Div => "divided by",
        };
        format!("{} {word} {}", self.operand(lhs), self.operand(rhs))
    }

    /// A rate per week times a length of time, which the compiler keeps in days and scales
    /// back (`16 hours per week * 26 weeks` is `(16 hours per week * 182 days) / 7`), read
    /// as it was meant: "16 hours per week times 26 weeks". The division by 7 only turns
    /// days into weeks, so saying it would misstate the sum.
    fn rate_times_duration(&self, op: BinaryOp, lhs: &Expr, rhs: &Expr) -> Option<String> {
        let seven = Decimal::from(7);
        let divisor_is_seven = match rhs {
            Expr::Int { value } => *value == 7,
            Expr::Decimal { value } => *value == seven,
            _ => false,
        };
        let Expr::Binary { operator: BinaryOp::Mul, lhs: rate, rhs: days } = lhs else { return None };
        let Expr::Quantity { value, unit } = &**days else { return None };
        if op != BinaryOp::Div || !divisor_is_seven || unit != "day" || !self.per_week(rate) {
            return None;
        }
        if *value == seven {
            // `rate * n * 1 week`: "rate times n weeks".
            if let Expr::Binary { operator: BinaryOp::Mul, lhs: r, rhs: n } = &**rate {
                if self.per_week(r) && !self.per_week(n) {
                    return Some(format!("{} times {} weeks", self.operand(r), self.operand(n)));
                }
            }
            return Some(format!("{} times 1 week", self.operand(rate)));
        }
        let span = words::quantity(*value, "day", self.currency);
        Some(format!("{} times {span}", self.operand(rate)))
    }

    /// True when a value is a quantity per week (or a product with one in it).
    fn per_week(&self, e: &Expr) -> bool {
        let weekly = |t: Option<&Type>| matches!(t, Some(Type::Quantity { unit }) if unit.ends_with("/week"));
        match e {
            Expr::Quantity { unit, .. } => unit.ends_with("/week"),
            Expr::Param { name } => weekly(self.params.iter().find(|p| &p.name == name).map(|p| &p.ty)),
            Expr::ParticipantField { field } => weekly(self.participant_field_type(field)),
            Expr::EventField { event, field } => weekly(self.event_field_type(event, field)),
            Expr::Ref { name } | Expr::Call { function: name, .. } => {
                weekly(self.definition(name).map(|d| &d.ty))
            }
            Expr::Binary { operator: BinaryOp::Mul, lhs, rhs } => self.per_week(lhs) || self.per_week(rhs),
            _ => false,
        }
    }

    /// `start_of_year(d) + 3 months` as "1 April of the year of d": how people say it.
    fn first_of_month(&self, date: &Expr, by: &Expr, unit: &str, backwards: bool) -> Option<String> {
        let Expr::Builtin { function, args } = date else { return None };
        let (Some(of), "start_of_year", "month") = (args.first(), function.as_str(), unit) else {
            return None;
        };
        let months = match by {
            Expr::Quantity { value, .. } => i64::try_from(*value).ok()?,
            Expr::Int { value } => *value,
            _ => return None,
        };
        let of = self.value(of);
        match (backwards, months) {
            (false, 0..=11) => Some(format!("1 {} of the year of {of}", words::month_name(months))),
            (true, 1..=12) => {
                Some(format!("1 {} of the year before that of {of}", words::month_name(12 - months)))
            }
            _ => None,
        }
    }

    fn shift_amount(&self, by: &Expr, unit: &str) -> String {
        match by {
            Expr::Quantity { value, .. } => words::quantity(*value, unit, self.currency),
            Expr::Int { value } => words::quantity((*value).into(), unit, self.currency),
            other => self.value(other),
        }
    }

    pub fn participant_field(&self, field: &str) -> String {
        const INTRANSITIVE: &[&str] =
            &["joined", "started", "left", "arrived", "entered", "exited", "moved", "died"];
        let ty = self.participant_field_type(field);
        let is_date = is_date_type(ty);
        if field == "born" {
            "their date of birth".to_string()
        } else if is_date && INTRANSITIVE.contains(&field) {
            // "joined" is something they did, not something done to them.
            format!("the date they {}", words::humanise(field))
        } else if is_date && field.ends_with("ed") {
            format!("the date they were {}", words::humanise(field))
        } else if is_date {
            format!("their {} date", words::humanise(field))
        } else if ty == Some(&Type::Bool) {
            format!("their “{}”", words::humanise(field))
        } else {
            format!("their {}", words::humanise(field))
        }
    }

    fn event_field(&self, event: &str, field: &str) -> String {
        let e = words::humanise(event);
        let own = self.record == Some(event);
        let ty = self.event_field_type(event, field);
        let is_date = is_date_type(ty);
        // A spell's bounds are when it started and ended, whatever the fields are called.
        if let Some(end) = self.spell_bound(event, field) {
            return if own { format!("its {end} date") } else { format!("the {e}'s {end} date") };
        }
        let (whose, subject) = if own {
            ("its".to_string(), "it".to_string())
        } else {
            (format!("the {e}'s"), format!("the {e}"))
        };
        if is_date && field == "on" {
            if own { "its date".to_string() } else { format!("the date of the {e}") }
        } else if is_date && field.ends_with("ed") {
            format!("the date {subject} was {}", words::humanise(field))
        } else if is_date {
            format!("{whose} {} date", words::humanise(field))
        } else if ty == Some(&Type::Bool) {
            format!("{whose} “{}”", words::humanise(field))
        } else {
            format!("{whose} {}", words::humanise(field))
        }
    }

    /// "start" or "end" when `field` is the first or last day of a spell event.
    fn spell_bound(&self, event: &str, field: &str) -> Option<&'static str> {
        match &self.event(event)?.timing {
            ir::Timing::Spell { from, .. } if from == field => Some("start"),
            ir::Timing::Spell { to, .. } if to == field => Some("end"),
            _ => None,
        }
    }

    /// A yes-or-no field as a mark: a record's, "the employment is marked “on benefit”"; the
    /// participant's, "they are marked “complex needs”". The record is named even inside its
    /// own clause: beside "they", an "it" could be read as the participant.
    fn marked(&self, e: &Expr, yes: bool) -> Option<String> {
        if !self.is_bool_field(e) {
            return None;
        }
        let not = if yes { "" } else { "not " };
        match e {
            Expr::EventField { event, field } => {
                Some(format!("the {} is {not}marked “{}”", words::humanise(event), words::humanise(field)))
            }
            Expr::ParticipantField { field } => {
                Some(format!("they are {not}marked “{}”", words::humanise(field)))
            }
            _ => None,
        }
    }

    /// True when a value names several things ("hours", "incidents before"), so that it
    /// takes "are": the first word of a field's name is a plural.
    fn is_plural(&self, e: &Expr) -> bool {
        let name = match e {
            Expr::EventField { event, field } if self.spell_bound(event, field).is_none() => field,
            Expr::ParticipantField { field } => field,
            Expr::Coalesce { value, .. } => return self.is_plural(value),
            _ => return false,
        };
        if self.is_date(e) || self.is_bool_field(e) {
            return false;
        }
        let first = name.split('_').next().unwrap_or(name);
        first.len() > 3
            && first.ends_with('s')
            && !first.ends_with("ss")
            && !first.ends_with("us")
            && !first.ends_with("is")
    }

    /// A definition by name; a date-valued one also says how it is worked out, since an
    /// anchor is only clear with its arithmetic beside it.
    fn reference(&self, name: &str) -> String {
        let words = words::humanise(name);
        match self.definition(name) {
            Some(d) if d.params.is_empty() && d.ty == Type::Date => {
                let how = self.value(&d.body);
                format!("their {words} ({})", how.strip_prefix("their ").unwrap_or(&how))
            }
            _ => format!("“{words}”"),
        }
    }

    fn call(&self, function: &str, args: &[Expr]) -> String {
        let params: Vec<String> = match self.definition(function) {
            Some(d) => d.params.iter().map(|p| format!("`{}`", p.name)).collect(),
            None => Vec::new(),
        };
        let given: Vec<String> = args
            .iter()
            .enumerate()
            .map(|(i, a)| match params.get(i) {
                Some(p) => format!("{p} = {}", self.value(a)),
                None => self.value(a),
            })
            .collect();
        format!("“{}” with {}", words::humanise(function), words::join(&given, "and"))
    }

    fn builtin(&self, function: &str, args: &[Expr]) -> String {
        let arg = |i: usize| args.get(i).map(|a| self.value(a)).unwrap_or_default();
        match function {
            "age" => match args.first() {
                Some(Expr::ParticipantField { field }) if field == "born" => {
                    format!("their age in whole years on {}", arg(1))
                }
                _ => format!("the age in whole years, on {}, of someone born on {}", arg(1), arg(0)),
            },
            "start_of_month" => format!("the first day of the month of {}", arg(0)),
            "end_of_month" => format!("the last day of the month of {}", arg(0)),
            "start_of_year" => format!("1 January of the year of {}", arg(0)),
            "min" | "max" => {
                let dates = args.first().is_some_and(|a| self.is_date(a));
                let word = match (function, dates) {
                    ("min", true) => "the earlier",
                    ("min", false) => "the smaller",
                    (_, true) => "the later",
                    _ => "the larger",
                };
                let all: Vec<String> = args.iter().map(|a| self.value(a)).collect();
                format!("{word} of {}", words::join(&all, "and"))
            }
            other => {
                let all: Vec<String> = args.iter().map(|a| self.value(a)).collect();
                format!("{} of {}", words::humanise(other), words::join(&all, "and"))
            }
        }
    }

    fn aggregate(
        &self,
        function: AggregateFn,
        event: &str,
        field: Option<&str>,
        filter: &Expr,
        window: Option<&ir::Window>,
    ) -> String {
        let records = format!("{} records", words::humanise(event));
        let field = field.map(|f| self.field_noun(event, f, false)).unwrap_or_default();
        let head = match function {
            AggregateFn::Count => format!("the number of {records}"),
            AggregateFn::Sum => format!("the total {field} of the {records}"),
            AggregateFn::Mean => format!("the average {field} of the {records}"),
            AggregateFn::Min => format!("the lowest {field} among the {records}"),
            AggregateFn::Max => format!("the highest {field} among the {records}"),
        };
        let which = match filter {
            Expr::Bool { value: true } => String::new(),
            Expr::Ref { name } => format!(" that count as “{}”", words::humanise(name)),
            other => format!(" for which {}", self.record_clause(other)),
        };
        let when = match window {
            Some(w) => format!(" {}", self.window(w)),
            None => " in effect that day".to_string(),
        };
        format!("{head}{which}{when}")
    }

    /// A condition on one record, as a clause: "it counts as “settled”".
    pub fn record_clause(&self, e: &Expr) -> String {
        match e {
            Expr::Ref { name } => format!("it counts as “{}”", words::humanise(name)),
            Expr::Not { operand } if matches!(**operand, Expr::Ref { .. }) => {
                format!("it does not count as {}", self.value(operand))
            }
            other => self.clause(other),
        }
    }

    /// A true-or-false expression, as a clause: "their group is “complex”".
    pub fn clause(&self, e: &Expr) -> String {
        match e {
            Expr::Bool { value: true } => "always".to_string(),
            Expr::Bool { value: false } => "never".to_string(),
            Expr::Ref { name } => match self.definition(name).and_then(|d| d.event.as_ref()) {
                Some(_) => format!("the record counts as “{}”", words::humanise(name)),
                None => format!("they count as “{}”", words::humanise(name)),
            },
            Expr::Not { operand } => self.negated(operand),
            Expr::And { operands } => {
                let parts: Vec<String> = self.merge_ranges(operands).into_iter().collect();
                words::join(&parts, "and")
            }
            Expr::Or { operands } => {
                if let Some(one_of) = self.one_of(operands) {
                    return one_of;
                }
                let parts: Vec<String> = operands.iter().map(|o| self.nested_clause(o)).collect();
                format!("either {}", words::join(&parts, "or"))
            }
            Expr::Compare { operator, lhs, rhs } => self.compare(*operator, lhs, rhs),
            Expr::IsPresent { value } => format!("{} {} known", self.value(value), self.is_are(value)),
            other => self.marked(other, true).unwrap_or_else(|| format!("{} holds", self.value(other))),
        }
    }

    /// `x == a or x == b or x == c` as "x is a, b or c".
    fn one_of(&self, operands: &[Expr]) -> Option<String> {
        let mut subject = None;
        let mut values = Vec::new();
        for o in operands {
            let Expr::Compare { operator: CmpOp::Eq, lhs, rhs } = o else { return None };
            if subject.is_some_and(|s: &Expr| s != &**lhs) {
                return None;
            }
            subject = Some(&**lhs);
            values.push(self.value(rhs));
        }
        Some(format!("{} is {}", self.value(subject?), words::join(&values, "or")))
    }

    /// A clause inside "either ... or ...": an inner "and" or "or" is bracketed.
    fn nested_clause(&self, e: &Expr) -> String {
        match e {
            Expr::And { .. } | Expr::Or { .. } => format!("({})", self.clause(e)),
            other => self.clause(other),
        }
    }

    /// The operands of an "and", with `x >= a and x <= b` read as one range, "x is from a
    /// to b", as a contract would write it.
    fn merge_ranges(&self, operands: &[Expr]) -> Vec<String> {
        let mut out = Vec::new();
        let mut i = 0;
        while i < operands.len() {
            if let (
                Expr::Compare { operator: CmpOp::Ge, lhs: a, rhs: low },
                Some(Expr::Compare { operator: CmpOp::Le, lhs: b, rhs: high }),
            ) = (&operands[i], operands.get(i + 1))
            {
                if a == b {
                    out.push(format!(
                        "{} is from {} to {}",
                        self.value(a),
                        self.value(low),
                        self.value(high)
                    ));
                    i += 2;
                    continue;
                }
            }
            // `x > a and x <= b`: the subject said once, "x is after a and on or before b".
            if let (
                Expr::Compare { operator: low_op @ (CmpOp::Gt | CmpOp::Ge), lhs: a, rhs: low },
                Some(Expr::Compare { operator: high_op @ (CmpOp::Lt | CmpOp::Le), lhs: b, rhs: high }),
            ) = (&operands[i], operands.get(i + 1))
            {
                let subject = format!("{} ", self.value(a));
                let upper = self.compare(*high_op, b, high);
                if a == b {
                    if let Some(upper) = upper.strip_prefix(&subject) {
                        let upper =
                            upper.strip_prefix("is ").or_else(|| upper.strip_prefix("are ")).unwrap_or(upper);
                        out.push(format!("{} and {upper}", self.compare(*low_op, a, low)));
                        i += 2;
                        continue;
                    }
                }
            }
            out.push(self.nested_clause(&operands[i]));
            i += 1;
        }
        out
    }

    fn negated(&self, e: &Expr) -> String {
        match e {
            Expr::Compare { operator, lhs, rhs } => {
                let flipped = match operator {
                    CmpOp::Eq => CmpOp::Ne,
                    CmpOp::Ne => CmpOp::Eq,
                    CmpOp::Lt => CmpOp::Ge,
                    CmpOp::Le => CmpOp::Gt,
                    CmpOp::Gt => CmpOp::Le,
                    CmpOp::Ge => CmpOp::Lt,
                };
                self.compare(flipped, lhs, rhs)
            }
            Expr::Ref { name } => match self.definition(name).and_then(|d| d.event.as_ref()) {
                Some(_) => format!("the record does not count as “{}”", words::humanise(name)),
                None => format!("they do not count as “{}”", words::humanise(name)),
            },
            Expr::IsPresent { value } => format!("{} {} not known", self.value(value), self.is_are(value)),
            other => self
                .marked(other, false)
                .unwrap_or_else(|| format!("it is not the case that {}", self.clause(other))),
        }
    }

    fn compare(&self, op: CmpOp, lhs: &Expr, rhs: &Expr) -> String {
        if let (Expr::Classify { bands, value }, Expr::Case { case, .. }) = (lhs, rhs) {
            let band = self.band_range(bands, case);
            let is = match (op == CmpOp::Ne, self.is_plural(value)) {
                (true, false) => "does not fall",
                (true, true) => "do not fall",
                (false, false) => "falls",
                (false, true) => "fall",
            };
            return format!("{} {is} in the band “{}”{band}", self.value(value), words::humanise(case));
        }
        let word = comparison(op, self.is_date(lhs) || self.is_date(rhs));
        let word = match word.strip_prefix("is") {
            Some(rest) if self.is_plural(lhs) => format!("are{rest}"),
            _ => word.to_string(),
        };
        format!("{} {word} {}", self.value(lhs), self.value(rhs))
    }

    /// A date field of a record as what happened on it: "started" (the first day of a
    /// spell), "ended", "was registered"; with the negative, when it is not "was ... not".
    fn happened(&self, event: &str, field: &str, e: &Expr) -> Option<(String, &'static str)> {
        match self.spell_bound(event, field) {
            Some("start") => Some(("started".to_string(), "did not start")),
            Some(_) => Some(("ended".to_string(), "did not end")),
            None if self.is_date(e) && field.ends_with("ed") => {
                Some((format!("was {}", words::humanise(field)), ""))
            }
            None => None,
        }
    }

    fn is_are(&self, e: &Expr) -> &'static str {
        if self.is_plural(e) { "are" } else { "is" }
    }

    /// A condition on one record of `event` as a relative clause after its noun, when it
    /// reads as one: "that started after the date they joined", "whose level is 1", "that
    /// is not marked “on benefit”". `None` for anything else (an "and", an "or").
    pub fn record_relative(&self, event: &'a str, e: &Expr) -> Option<String> {
        let cx = self.in_record(event);
        let own = |x: &Expr| matches!(x, Expr::EventField { event: ev, .. } if ev == event);
        match e {
            Expr::Compare { operator, lhs, rhs } => {
                // "that started after X", "that was registered on or before X".
                let happened = match &**lhs {
                    Expr::EventField { field, .. } if own(lhs) => cx.happened(event, field, lhs),
                    _ => None,
                };
                if let Some((verb, not_verb)) = happened {
                    let (verb, on) = match operator {
                        CmpOp::Eq => (verb, "on"),
                        CmpOp::Ne if not_verb.is_empty() => (verb.replacen("was", "was not", 1), "on"),
                        CmpOp::Ne => (not_verb.to_string(), "on"),
                        CmpOp::Gt => (verb, "after"),
                        CmpOp::Ge => (verb, "on or after"),
                        CmpOp::Lt => (verb, "before"),
                        CmpOp::Le => (verb, "on or before"),
                    };
                    return Some(format!("that {verb} {on} {}", cx.value(rhs)));
                }
                let text = cx.clause(e);
                text.strip_prefix("its ").map(|rest| format!("whose {rest}"))
            }
            Expr::Not { operand } if cx.is_bool_field(operand) && own(operand) => {
                let Expr::EventField { field, .. } = &**operand else { return None };
                Some(format!("that is not marked “{}”", words::humanise(field)))
            }
            Expr::EventField { field, .. } if cx.is_bool_field(e) && own(e) => {
                Some(format!("that is marked “{}”", words::humanise(field)))
            }
            _ => None,
        }
    }

    /// " (from 8 to less than 16 hours per week)": the interval of one case of a `bands` enum.
    fn band_range(&self, bands: &str, case: &str) -> String {
        let Some(e) = self.enums.iter().find(|e| e.name == bands) else { return String::new() };
        let Some(b) = &e.bands else { return String::new() };
        let Some(band) = b.bands.iter().find(|x| x.case == case) else { return String::new() };
        format!(" ({})", self.band_interval(&b.of, band))
    }

    /// The values one band holds: "8 hours per week or more, and less than 16 hours per week".
    pub fn band_interval(&self, of: &Type, band: &ir::Band) -> String {
        let show = |d: Decimal| match of {
            Type::Quantity { unit } => words::quantity(d, unit, self.currency),
            _ => words::number(d),
        };
        match (band.from, band.to) {
            (Some(from), Some(to)) => format!("{} or more, and less than {}", show(from), show(to)),
            (Some(from), None) => format!("{} or more", show(from)),
            (None, Some(to)) => format!("less than {}", show(to)),
            (None, None) => "any value".to_string(),
        }
    }

    /// Where a window starts, naming a defined date without repeating how it is worked out
    /// (the clause before has said so).
    pub fn start_short(&self, anchor: &ir::Anchor) -> String {
        let date = match &anchor.date {
            Expr::Ref { name }
                if self.definition(name).is_some_and(|d| d.params.is_empty() && d.ty == Type::Date) =>
            {
                format!("their {}", words::humanise(name))
            }
            other => self.value(other),
        };
        first_day(anchor.starts, date)
    }

    /// A window as a phrase: "within the 12 months starting the day after the date they were
    /// referred".
    pub fn window(&self, w: &ir::Window) -> String {
        let from = first_day(w.start.starts, self.value(&w.start.date));
        let start = match w.start.starts {
            ir::AnchorStart::DayAfter => format!("starting {from}"),
            ir::AnchorStart::SameDay => format!("starting on {from}"),
        };
        match &w.end {
            ir::WindowEnd::Length { length } => {
                let mut q = words::span_of_time(length.value, &length.unit, self.currency);
                if let Some(rest) = q.strip_prefix("1 ") {
                    q = rest.to_string();
                }
                format!("within the {q} {start}")
            }
            ir::WindowEnd::Date { date } => format!("from {from} to {}", self.value(date)),
            ir::WindowEnd::AchievableEnd => match self.achievable_end {
                Some(end) => format!("from {from} until the achievable period ends on {}", words::date(end)),
                None => format!("from {from} until the achievable period ends"),
            },
        }
    }
}

/// The first day of a window anchored on `date`: the date itself or the day after it.
fn first_day(starts: ir::AnchorStart, date: String) -> String {
    match starts {
        ir::AnchorStart::DayAfter => format!("the day after {date}"),
        ir::AnchorStart::SameDay => date,
    }
}

/// A date, or an optional one (a spell's end).
fn is_date_type(t: Option<&Type>) -> bool {
    match t {
        Some(Type::Date) => true,
        Some(Type::Optional { of }) => **of == Type::Date,
        _ => false,
    }
}

/// A comparison as words: "is on or after" for dates, "is at least" for numbers.
pub fn comparison(op: CmpOp, dates: bool) -> &'static str {
    match (op, dates) {
        (CmpOp::Eq, _) => "is",
        (CmpOp::Ne, _) => "is not",
        (CmpOp::Gt, true) => "is after",
        (CmpOp::Ge, true) => "is on or after",
        (CmpOp::Lt, true) => "is before",
        (CmpOp::Le, true) => "is on or before",
        (CmpOp::Gt, false) => "is more than",
        (CmpOp::Ge, false) => "is at least",
        (CmpOp::Lt, false) => "is less than",
        (CmpOp::Le, false) => "is at most",
    }
}
