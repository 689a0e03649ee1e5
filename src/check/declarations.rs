//! Declarations: enums, bands, units, the contract header, participants and events.

use super::*;

impl<'a> Checker<'a> {
    pub(super) fn enum_decl(&mut self, m: usize, item: &ast::Item, e: &ast::EnumDecl) {
        let mut cases: Vec<String> = Vec::new();
        let mut seen: BTreeMap<&str, Span> = BTreeMap::new();
        for case in &e.cases {
            if let Some(first) = seen.get(case.name.name.as_str()) {
                self.error(
                    Diagnostic::error(E_DUPLICATE, format!("case `{}` is listed twice", case.name.name))
                        .at(case.name.span, "listed again here")
                        .also(*first, "first listed here"),
                );
                continue;
            }
            seen.insert(&case.name.name, case.name.span);
            cases.push(case.name.name.clone());
        }
        let name = self.qualified(m, &e.name.name);
        self.enums.insert(name.clone(), EnumInfo { cases: cases.clone(), span: e.name.span, bands_of: None });
        self.out.enums.push(ir::Enum {
            name,
            cases,
            bands: None,
            docs: item.docs.clone(),
            span: self.ir_span(item.span),
        });
    }

    pub(super) fn bands_decl(&mut self, m: usize, item: &ast::Item, b: &ast::BandsDecl) {
        let (of, _) = self.type_expr(m, &b.of);
        if !matches!(of, Ty::Quantity(_) | Ty::Int | Ty::Decimal | Ty::Error) {
            self.error(
                Diagnostic::error(E_TYPE_MISMATCH, format!("bands classify numbers, not {of}"))
                    .at(b.of.span, "expected a number or a quantity such as `hours per week`"),
            );
        }
        let mut ir_bands = Vec::new();
        let mut previous: Option<&ast::Band> = None;
        for (i, band) in b.bands.iter().enumerate() {
            if let (Some(from), Some(to)) = (band.from, band.to) {
                if from >= to {
                    self.error(
                        Diagnostic::error(
                            E_BANDS,
                            format!("band `{}` is empty: {from} is not below {to}", band.name.name),
                        )
                        .at(band.span, "the lower bound must be below the upper bound")
                        .note("a band includes its lower bound and excludes its upper bound"),
                    );
                }
            }
            if band.from.is_none() && i > 0 {
                self.error(
                    Diagnostic::error(
                        E_BANDS,
                        format!("band `{}` has no lower bound but is not the first", band.name.name),
                    )
                    .at(band.span, "only the first band can be `below` a value"),
                );
            }
            if band.to.is_none() && i + 1 < b.bands.len() {
                self.error(
                    Diagnostic::error(
                        E_BANDS,
                        format!("band `{}` has no upper bound but is not the last", band.name.name),
                    )
                    .at(band.span, "only the last band can be open-ended"),
                );
            }
            if let Some(prev) = previous {
                if let (Some(prev_to), Some(from)) = (prev.to, band.from) {
                    if from != prev_to {
                        let (what, help) = if from > prev_to {
                            ("leave a gap", format!("values from {prev_to} up to {from} fall in no band"))
                        } else {
                            ("overlap", format!("values from {from} up to {prev_to} fall in both bands"))
                        };
                        self.error(
                            Diagnostic::error(E_BANDS, format!("bands `{}` and `{}` {what}", prev.name.name, band.name.name))
                                .at(band.span, format!("this band starts at {from}"))
                                .also(prev.span, format!("the band before ends at {prev_to}"))
                                .note(help)
                                .help(format!(
                                    "end `{}` at {from}, or start `{}` at {prev_to}: a band includes its lower bound and excludes its upper bound",
                                    prev.name.name, band.name.name
                                )),
                        );
                    }
                }
            }
            previous = Some(band);
            ir_bands.push(ir::Band { case: band.name.name.clone(), from: band.from, to: band.to });
        }
        let name = self.qualified(m, &b.name.name);
        let cases: Vec<String> = b.bands.iter().map(|x| x.name.name.clone()).collect();
        self.enums.insert(
            name.clone(),
            EnumInfo { cases: cases.clone(), span: b.name.span, bands_of: Some(of.clone()) },
        );
        self.out.enums.push(ir::Enum {
            name,
            cases,
            bands: Some(ir::Bands { of: of.to_ir(), bands: ir_bands }),
            docs: item.docs.clone(),
            span: self.ir_span(item.span),
        });
    }

    /// A declared type; also returns the input unit and factor for quantities not in their
    /// canonical unit.
    pub(super) fn type_expr(&mut self, m: usize, t: &ast::TypeExpr) -> (Ty, Option<(String, Decimal)>) {
        let (ty, input) = match &t.kind {
            ast::TypeExprKind::Bounded { lo, hi } => {
                if lo > hi {
                    self.error(
                        Diagnostic::error(E_EMPTY_RANGE, format!("the range {lo}..{hi} holds no value"))
                            .at(t.span, "the lower bound is above the upper bound")
                            .help(format!("write `{hi}..{lo}`")),
                    );
                }
                (Ty::Bounded(*lo, *hi), None)
            }
            ast::TypeExprKind::Named(u) => {
                if u.denominator.is_none() {
                    let word = u.numerator.name.as_str();
                    let builtin = match word {
                        "date" => Some(Ty::Date),
                        "int" => Some(Ty::Int),
                        "decimal" => Some(Ty::Decimal),
                        "text" => Some(Ty::Text),
                        "bool" => Some(Ty::Bool),
                        "percent" => Some(Ty::Percent),
                        _ => None,
                    };
                    if let Some(ty) = builtin {
                        return (self.optional(ty, t), None);
                    }
                    if let Some(name) = self.enum_named(m, word) {
                        return (self.optional(Ty::Enum(name), t), None);
                    }
                }
                match self.unit(u) {
                    Some(unit) => {
                        let input = (unit.factor != Decimal::ONE).then(|| (u.text(), unit.factor));
                        (Ty::Quantity(unit.dimension), input)
                    }
                    None => (Ty::Error, None),
                }
            }
            ast::TypeExprKind::Qualified { module, name } => (self.module_enum(m, module, name), None),
        };
        (self.optional(ty, t), input)
    }

    pub(super) fn optional(&self, ty: Ty, t: &ast::TypeExpr) -> Ty {
        if t.optional && !matches!(ty, Ty::Optional(_)) { Ty::Optional(Box::new(ty)) } else { ty }
    }

    pub(super) fn enum_named(&self, m: usize, word: &str) -> Option<String> {
        let q = self.qualified(m, word);
        if self.enums.contains_key(&q) {
            return Some(q);
        }
        None
    }

    /// `education.Level`: an enum of a module that module `m` uses.
    fn module_enum(&mut self, m: usize, module: &ast::Ident, name: &ast::Ident) -> Ty {
        let Some(&used) = self.program.modules[m].imports.get(&module.name) else {
            self.error(
                Diagnostic::error(E_UNKNOWN_NAME, format!("no module called `{}` is used here", module.name))
                    .at(module.span, "not a module this file uses")
                    .help(format!("add `use std.{}` or `use \"PATH\"` at the top of the file", module.name)),
            );
            return Ty::Error;
        };
        let qualified = self.qualified(used, &name.name);
        if self.enums.contains_key(&qualified) {
            return Ty::Enum(qualified);
        }
        let mut known: Vec<&str> = self
            .enums
            .keys()
            .filter_map(|k| k.strip_prefix(self.program.modules[used].prefix.as_str()))
            .filter(|k| !k.contains('.'))
            .collect();
        known.sort_unstable();
        let help = if known.is_empty() {
            format!("`{}` declares no enums", module.name)
        } else {
            format!("the enums of `{}` are: {}", module.name, known.join(", "))
        };
        self.error(
            Diagnostic::error(
                E_UNKNOWN_NAME,
                format!("`{}` has no enum called `{}`", module.name, name.name),
            )
            .at(name.span, "not an enum of this module")
            .help(help),
        );
        Ty::Error
    }

    /// Resolves a unit expression, reporting unknown words.
    pub(super) fn unit(&mut self, u: &ast::UnitExpr) -> Option<Unit> {
        let numerator = if u.working {
            if !matches!(u.numerator.name.as_str(), "day" | "days") {
                self.error(
                    Diagnostic::error(
                        E_UNKNOWN_UNIT,
                        format!("`working {}` is not a unit", u.numerator.name),
                    )
                    .at(u.span, "only days can be working days")
                    .help("write `working days`"),
                );
                return None;
            }
            UnitTable::working_days()
        } else {
            self.unit_word(&u.numerator)?
        };
        let denominator = match &u.denominator {
            Some(d) => Some(self.unit_word(d)?),
            None => None,
        };
        Some(Unit::new(&numerator, denominator.as_ref()))
    }

    pub(super) fn unit_word(&mut self, word: &ast::Ident) -> Option<crate::units::UnitWord> {
        if let Some(w) = self.units.word(&word.name) {
            return Some(w);
        }
        let mut candidates = self.units.known_words();
        candidates.extend(["date", "int", "decimal", "text", "bool", "percent"].map(String::from));
        candidates.extend(crate::units::CURRENCIES.iter().map(|c| c.to_string()));
        candidates.extend(self.enums.keys().cloned());
        let mut d = Diagnostic::error(E_UNKNOWN_UNIT, format!("unknown unit or type `{}`", word.name))
            .at(word.span, "not a unit, a type or an enum known here");
        let abbreviation = match word.name.as_str() {
            "h" | "hr" | "hrs" => Some("hours"),
            "d" => Some("days"),
            "wk" | "wks" | "w" => Some("weeks"),
            "m" | "mo" | "mos" | "mth" | "mths" => Some("months"),
            "y" | "yr" | "yrs" => Some("years"),
            "pw" => Some("per week"),
            _ => None,
        };
        if let Some(full) = abbreviation
            .map(str::to_string)
            .or_else(|| suggest(&word.name, candidates.iter().map(|s| s.as_str())))
        {
            d = d.help(format!("did you mean `{full}`?"));
        } else {
            d = d.help(format!(
                "use hours, days, weeks, months, years or a currency code, or declare a unit of the contract's own with `unit {}`",
                word.name
            ));
        }
        self.error(d);
        None
    }

    pub(super) fn parse_date(&mut self, d: &ast::DateLit) -> Option<Date> {
        match d.text.parse::<Date>() {
            Ok(date) => Some(date),
            Err(_) => {
                let mut diag =
                    Diagnostic::error(E_BAD_DATE, format!("{} is not a date in the calendar", d.text))
                        .at(d.span, "this day does not exist");
                if d.text.ends_with("-02-29") {
                    diag = diag.note(format!("{} is not a leap year", &d.text[..4]));
                }
                self.error(diag);
                None
            }
        }
    }

    pub(super) fn header(&mut self) {
        let headers: Vec<&ast::Item> =
            self.items(0).iter().filter(|i| matches!(i.kind, ast::ItemKind::Contract(_))).collect();
        if headers.len() > 1 {
            self.error(
                Diagnostic::error(
                    E_CONTRACT_HEADER,
                    "a file holds one contract, and this one has two headers",
                )
                .at(headers[1].span, "second contract header")
                .also(headers[0].span, "first contract header")
                .help("put each contract in its own file"),
            );
        }
        let Some(item) = headers.first() else {
            if self.broken("contract") {
                return;
            }
            let is_contract = self.items(0).iter().any(|i| {
                matches!(
                    i.kind,
                    ast::ItemKind::Outcome(_) | ast::ItemKind::Cohort(_) | ast::ItemKind::Participant(_)
                )
            });
            if is_contract {
                let file = self.program.modules[0].file;
                self.error(
                    Diagnostic::error(E_CONTRACT_HEADER, "this contract has no header")
                        .at(Span::new(file, 0, 0), "expected `contract \"...\" { ... }` in this file")
                        .help("add a header: contract \"Name\" { currency GBP  outcomes achievable from 2025-04-01 to 2028-03-31  claims close 2028-09-30 }"),
                );
            }
            return;
        };
        let ast::ItemKind::Contract(h) = &item.kind else { return };
        let mut seen: BTreeMap<&'static str, Span> = BTreeMap::new();
        for entry in &h.entries {
            let what = entry.kind.describe();
            if let Some(first) = seen.get(what) {
                self.error(
                    Diagnostic::error(E_CONTRACT_HEADER, format!("the {what} is given twice"))
                        .at(entry.span, "given again here")
                        .also(*first, "first given here"),
                );
            } else {
                seen.insert(what, entry.span);
            }
        }
        let mut currency = None;
        for entry in &h.entries {
            if let ast::ContractEntryKind::Currency(c) = &entry.kind {
                if crate::units::is_currency_code(&c.name) {
                    currency = Some(c.name.clone());
                } else {
                    let mut d = Diagnostic::error(
                        E_UNKNOWN_UNIT,
                        format!("`{}` is not a currency code payable knows", c.name),
                    )
                    .at(c.span, "expected an ISO 4217 code such as `GBP`");
                    if let Some(s) = suggest(&c.name, crate::units::CURRENCIES.iter().copied()) {
                        d = d.help(format!("did you mean `{s}`?"));
                    }
                    self.error(d);
                }
            }
        }
        self.currency = currency.clone();
        let mut achievable = None;
        let mut claims_close = None;
        let mut total_cap = None;
        let mut participant_cap = None;
        let mut rounding = None;
        let mut holidays = None;
        let mut achievable_span = None;
        for entry in &h.entries {
            match &entry.kind {
                ast::ContractEntryKind::Currency(_) => {}
                ast::ContractEntryKind::Holidays(calendar) => {
                    if ir::HOLIDAY_CALENDARS.contains(&calendar.name.as_str()) {
                        holidays = Some(calendar.name.clone());
                    } else {
                        let mut d = Diagnostic::error(
                            E_UNKNOWN_NAME,
                            format!("payable has no bank-holiday calendar `{}`", calendar.name),
                        )
                        .at(calendar.span, "not a known calendar")
                        .note(format!("the calendars are: {}", ir::HOLIDAY_CALENDARS.join(", ")));
                        if let Some(x) = suggest(&calendar.name, ir::HOLIDAY_CALENDARS.iter().copied()) {
                            d = d.help(format!("did you mean `{x}`?"));
                        }
                        self.error(d);
                    }
                }
                ast::ContractEntryKind::Achievable { from, to } => {
                    achievable_span = Some(entry.span);
                    if let (Some(a), Some(b)) = (self.parse_date(from), self.parse_date(to)) {
                        if a > b {
                            self.error(
                                Diagnostic::error(
                                    E_BAD_PERIOD,
                                    "the achievable period ends before it starts",
                                )
                                .at(to.span, format!("{b} is before {a}"))
                                .also(from.span, "the period starts here"),
                            );
                        }
                        achievable = Some((a, b));
                    }
                }
                ast::ContractEntryKind::ClaimsClose(d) => {
                    claims_close = self.parse_date(d).map(|x| (x, d.span));
                }
                ast::ContractEntryKind::TotalCap(q) => total_cap = self.money(q, "the total cap"),
                ast::ContractEntryKind::ParticipantCap(q) => {
                    participant_cap = self.money(q, "the cap per participant")
                }
                ast::ContractEntryKind::Rounding { mode, increment } => {
                    let mode = match mode {
                        ast::RoundingMode::HalfUp => ir::RoundingMode::HalfUp,
                        ast::RoundingMode::HalfEven => ir::RoundingMode::HalfEven,
                        ast::RoundingMode::Down => ir::RoundingMode::Down,
                        ast::RoundingMode::Up => ir::RoundingMode::Up,
                    };
                    if let Some(inc) = self.money(increment, "the rounding increment") {
                        if inc <= Decimal::ZERO {
                            self.error(
                                Diagnostic::error(
                                    E_TYPE_MISMATCH,
                                    "payments cannot be rounded to a multiple of zero",
                                )
                                .at(increment.span, "expected a positive amount such as `0.01 GBP`"),
                            );
                        }
                        rounding = Some((mode, inc));
                    }
                }
            }
        }
        if let (Some((_, end)), Some((close, close_span))) = (achievable, claims_close) {
            if close < end {
                let mut d =
                    Diagnostic::error(E_BAD_PERIOD, "claims close before outcomes stop being achievable")
                        .at(close_span, format!("claims close on {close}"))
                        .note(format!(
                            "outcomes achieved from {} to {end} could never be claimed",
                            close.tomorrow().unwrap_or(close)
                        ));
                if let Some(span) = achievable_span {
                    d = d.also(span, format!("outcomes are achievable until {end}"));
                }
                self.error(d);
            }
        }
        let missing: Vec<(&str, &str)> = [
            ("currency", "which currency it pays in", "`currency CODE`, e.g. `currency GBP`"),
            ("achievable period", "when outcomes can be achieved", "`outcomes achievable from DATE to DATE`"),
            ("claims deadline", "when claims close", "`claims close DATE`"),
        ]
        .into_iter()
        .filter(|(key, _, _)| !seen.contains_key(key))
        .map(|(_, what, entry)| (what, entry))
        .collect();
        if !missing.is_empty() {
            let whats: Vec<&str> = missing.iter().map(|(w, _)| *w).collect();
            let entries: Vec<&str> = missing.iter().map(|(_, e)| *e).collect();
            self.error(
                Diagnostic::error(
                    E_CONTRACT_HEADER,
                    format!("the contract header does not say {}", whats.join(", or ")),
                )
                .at(item.span, "in this header")
                .help(format!("add {}", entries.join(" and "))),
            );
        }
        if let (Some(currency), Some(achievable), Some((claims_close, _))) =
            (currency, achievable, claims_close)
        {
            self.out.header = Some(Header {
                name: h.name.clone(),
                currency,
                achievable,
                claims_close,
                total_cap,
                participant_cap,
                rounding,
                holidays,
                span: self.ir_span(item.span),
            });
        }
    }

    /// An amount of money in the contract currency, as written in a header or cap.
    pub(super) fn money(&mut self, q: &ast::Quantity, what: &str) -> Option<Decimal> {
        let ty = self.quantity_type(q);
        match self.expect_money(&ty, q.span, what) {
            true => Some(q.value.normalize()),
            false => None,
        }
    }

    /// Reports unless `ty` is money in the contract currency.
    pub(super) fn expect_money(&mut self, ty: &Ty, span: Span, what: &str) -> bool {
        match ty {
            Ty::Error => false,
            Ty::Quantity(d) if d.is_money() => {
                let code = d.currency().unwrap_or_default().to_string();
                match &self.currency {
                    Some(c) if *c != code => {
                        self.error(
                            Diagnostic::error(
                                E_CURRENCY_MISMATCH,
                                format!("{what} is in {code}, but the contract pays in {c}"),
                            )
                            .at(span, format!("an amount in {code}"))
                            .help(format!("write the amount in {c}: payable never converts currencies")),
                        );
                        false
                    }
                    _ => true,
                }
            }
            other => {
                let currency = self.currency.clone().unwrap_or_else(|| "GBP".into());
                self.error(
                    Diagnostic::error(E_NOT_MONEY, format!("{what} must be an amount of money, not {other}"))
                        .at(span, format!("expected an amount such as `1_000 {currency}`"))
                        .help(format!("add the currency: `... {currency}`")),
                );
                false
            }
        }
    }

    pub(super) fn quantity_type(&mut self, q: &ast::Quantity) -> Ty {
        match &q.unit {
            None if q.value.fract().is_zero() && q.value.scale() == 0 => Ty::Int,
            None => Ty::Decimal,
            Some(u) => match self.unit(u) {
                Some(unit) if unit.dimension.is_dimensionless() => Ty::Decimal,
                Some(unit) => Ty::Quantity(unit.dimension),
                None => Ty::Error,
            },
        }
    }

    pub(super) fn participant_decl(&mut self) {
        let decls: Vec<&ast::Item> =
            self.items(0).iter().filter(|i| matches!(i.kind, ast::ItemKind::Participant(_))).collect();
        if decls.len() > 1 {
            self.error(
                Diagnostic::error(E_PARTICIPANTS, "participants are declared twice")
                    .at(decls[1].span, "second declaration")
                    .also(decls[0].span, "first declaration")
                    .help("put every participant field in one `participant { ... }`"),
            );
        }
        let Some(item) = decls.first() else {
            if self.broken("participant") {
                return;
            }
            let has_outcomes = self
                .items(0)
                .iter()
                .any(|i| matches!(i.kind, ast::ItemKind::Outcome(_) | ast::ItemKind::Cohort(_)));
            if has_outcomes {
                let file = self.program.modules[0].file;
                self.error(
                    Diagnostic::error(E_PARTICIPANTS, "this contract does not declare its participants")
                        .at(Span::new(file, 0, 0), "expected `participant { ... }` in this file")
                        .help("declare what is known of each participant, e.g. `participant { born: date  referred: date }`"),
                );
            }
            return;
        };
        let ast::ItemKind::Participant(p) = &item.kind else { return };
        let (fields, order, ir_fields) = self.fields(&p.fields);
        self.participant = Some(fields);
        self.participant_order = order;
        self.out.participant = Some(ir::Participant {
            noun: p.noun.clone().unwrap_or_else(|| "participant".to_string()),
            fields: ir_fields,
        });
    }

    pub(super) fn fields(
        &mut self,
        decls: &[ast::FieldDecl],
    ) -> (BTreeMap<String, FieldInfo>, Vec<String>, Vec<ir::Field>) {
        let mut fields: BTreeMap<String, FieldInfo> = BTreeMap::new();
        let mut order = Vec::new();
        let mut ir_fields = Vec::new();
        for f in decls {
            if let Some(first) = fields.get(&f.name.name) {
                self.error(
                    Diagnostic::error(
                        E_DUPLICATE_FIELD,
                        format!("field `{}` is declared twice", f.name.name),
                    )
                    .at(f.name.span, "declared again here")
                    .also(first.span, "first declared here"),
                );
                continue;
            }
            let (ty, input) = self.type_expr(0, &f.ty);
            fields.insert(f.name.name.clone(), FieldInfo { ty: ty.clone(), span: f.name.span });
            order.push(f.name.name.clone());
            ir_fields.push(ir::Field {
                name: f.name.name.clone(),
                ty: ty.to_ir(),
                input_unit: input.as_ref().map(|(u, _)| u.clone()),
                input_factor: input.map(|(_, f)| f).unwrap_or(Decimal::ONE),
                docs: f.docs.clone(),
                span: self.ir_span(f.span),
            });
        }
        (fields, order, ir_fields)
    }

    pub(super) fn event_decl(&mut self, item: &ast::Item, e: &ast::EventDecl) {
        let (fields, order, ir_fields) = self.fields(&e.fields);
        let date_field = |name: &str| fields.get(name).map(|f| f.ty.clone());
        let timing = match (date_field("on"), date_field("from"), date_field("to")) {
            (Some(Ty::Date), None, None) => Some((ir::Timing::Point { on: "on".into() }, false)),
            (None, Some(Ty::Date), Some(Ty::Date)) => {
                Some((ir::Timing::Spell { from: "from".into(), to: "to".into(), open_ended: false }, true))
            }
            (None, Some(Ty::Date), Some(Ty::Optional(inner))) if *inner == Ty::Date => {
                Some((ir::Timing::Spell { from: "from".into(), to: "to".into(), open_ended: true }, true))
            }
            _ => None,
        };
        let Some((timing, spell)) = timing else {
            self.error(
                Diagnostic::error(E_EVENT_WITHOUT_DATE, format!("event `{}` does not say when it happens", e.name.name))
                    .at(e.name.span, "expected a field `on: date`, or fields `from: date` and `to: date` (or `to: date?`)")
                    .note("a record happens on one day (`on`) or over a spell of days (`from` and `to`, both included); an optional `to` means the spell may still be going on")
                    .help("add `on: date` for something that happens on a day, or `from: date` and `to: date?` for a spell"),
            );
            self.events
                .insert(e.name.name.clone(), EventInfo { fields, order, span: e.name.span, spell: false });
            return;
        };
        self.events.insert(e.name.name.clone(), EventInfo { fields, order, span: e.name.span, spell });
        self.out.events.push(ir::Event {
            name: e.name.name.clone(),
            timing,
            fields: ir_fields,
            evidence: e.evidence.iter().map(|i| i.name.clone()).collect(),
            activity: e.activity,
            docs: item.docs.clone(),
            span: self.ir_span(item.span),
        });
    }
}
