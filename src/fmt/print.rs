//! The syntax tree to a [`Doc`]: the canonical layout of every construct.
//!
//! Everything the tree does not keep as written is read back from the source through the
//! [`Lexed`] tokens: numbers (`1_500_000`, `13`), singular or plural period words, brackets
//! the author wrote, doc comments and `allow(...)` lines in their written order.

use super::doc::{Doc, group, nest, text};
use super::lex::{Kind, Lexed};
use crate::source::Span;
use crate::syntax::ast::*;
use std::collections::{BTreeMap, BTreeSet};

/// What may follow an expression, for deciding whether an expression left open at its end
/// (an `if`, an aggregate with a `where` or a window) needs brackets to stop it swallowing it.
type Follow = u8;
const NONE: Follow = 0;
/// `+ - * /`
const SUM: Follow = 1;
/// `== < ?? is and or ...`
const OTHER: Follow = 2;
/// `within`, `between`, `after`
const WINDOW: Follow = 4;

pub struct Printer<'a> {
    lx: &'a Lexed<'a>,
    /// Written brackets already printed (a condition and the expression it holds share a span).
    used: BTreeSet<(u32, u32)>,
}

fn pos(span: Span) -> Option<(u32, u32)> {
    Some((span.start, span.end))
}

fn paren(doc: Doc) -> Doc {
    Doc::Seq(vec![text("("), doc, text(")")])
}

fn seq(parts: Vec<Doc>) -> Doc {
    Doc::Seq(parts)
}

/// How tightly an expression binds: a child binding more loosely than its place needs is
/// bracketed.
fn level(e: &Expr) -> u8 {
    match &e.kind {
        ExprKind::If { .. } => 0,
        ExprKind::Binary { op, .. } => op_level(*op),
        ExprKind::Unary { op: UnaryOp::Not, .. } => 3,
        ExprKind::Compare { .. } | ExprKind::Presence { .. } => 4,
        ExprKind::Coalesce { .. } => 5,
        ExprKind::Unary { op: UnaryOp::Neg, .. } => 8,
        _ => 9,
    }
}

fn op_level(op: BinaryOp) -> u8 {
    match op {
        BinaryOp::Or => 1,
        BinaryOp::And => 2,
        BinaryOp::Add | BinaryOp::Sub => 6,
        BinaryOp::Mul | BinaryOp::Div => 7,
    }
}

fn op_symbol(op: BinaryOp) -> &'static str {
    match op {
        BinaryOp::Or => "or",
        BinaryOp::And => "and",
        BinaryOp::Add => "+",
        BinaryOp::Sub => "-",
        BinaryOp::Mul => "*",
        BinaryOp::Div => "/",
    }
}

/// What an expression would swallow of what follows it, by its own last part.
fn open_end(e: &Expr) -> Follow {
    match &e.kind {
        ExprKind::If { .. } => SUM | OTHER,
        ExprKind::Aggregate(a) => aggregate_open_end(a),
        _ => NONE,
    }
}

fn aggregate_open_end(a: &Aggregate) -> Follow {
    if a.window.is_some() {
        SUM
    } else if a.filter.is_some() {
        SUM | OTHER | WINDOW
    } else {
        WINDOW
    }
}

fn anchor_word(a: AnchorWord) -> &'static str {
    match a {
        AnchorWord::After => "after",
        AnchorWord::From => "from",
    }
}

fn period_words(kind: PeriodKind) -> &'static str {
    match kind {
        PeriodKind::CalendarMonths => "calendar months",
        PeriodKind::CalendarWeeks => "calendar weeks",
        PeriodKind::AnniversaryMonths => "months",
        PeriodKind::Weeks => "weeks",
        PeriodKind::Days => "days",
    }
}

impl<'a> Printer<'a> {
    pub fn new(lx: &'a Lexed<'a>) -> Printer<'a> {
        Printer { lx, used: BTreeSet::new() }
    }

    // ------------------------------------------------------------ helpers

    fn slice(&self, span: Span) -> &'a str {
        &self.lx.text[span.range()]
    }

    /// Text printed from the source range `span`.
    fn spanned(&self, s: impl Into<String>, span: Span) -> Doc {
        Doc::Text(s.into(), pos(span))
    }

    /// Text that stands where the source has it at `at`.
    fn at(&self, s: &str, at: u32) -> Doc {
        Doc::Text(s.to_string(), Some((at, at + s.len() as u32)))
    }

    fn ident(&self, id: &Ident) -> Doc {
        self.spanned(id.name.clone(), id.span)
    }

    fn idents(&self, ids: &[Ident], separator: &str) -> Doc {
        let mut parts = Vec::new();
        for (i, id) in ids.iter().enumerate() {
            if i > 0 {
                parts.push(text(separator));
            }
            parts.push(self.ident(id));
        }
        seq(parts)
    }

    fn date(&self, d: &DateLit) -> Doc {
        self.spanned(d.text.clone(), d.span)
    }

    /// A number as written in `span` (the `n`th), or `fallback` if it cannot be found.
    fn number(&self, span: Span, n: usize, fallback: impl ToString) -> String {
        self.lx.number_in(span.start, span.end, n).map_or_else(|| fallback.to_string(), str::to_string)
    }

    fn quantity(&self, q: &Quantity) -> Doc {
        let number = self.number(q.span, 0, q.value);
        match &q.unit {
            Some(u) => self.spanned(format!("{number} {}", u.text()), q.span),
            None => self.spanned(number, q.span),
        }
    }

    /// The string token that starts at or after `at`, as written.
    fn string_after(&self, at: u32) -> Option<Doc> {
        let i = self.lx.index_at(at);
        let t = self.lx.tokens.get(i).filter(|t| t.kind == Kind::Text)?;
        Some(Doc::Text(self.lx.token_text(*t).to_string(), Some((t.start, t.end))))
    }

    /// Whether the author wrote brackets around exactly `span` (not yet printed).
    fn has_parens(&self, span: Span) -> bool {
        let key = (span.start, span.end);
        self.lx.groups.contains(&key) && !self.used.contains(&key)
    }

    /// As [`Self::has_parens`], and marks them printed.
    fn take_parens(&mut self, span: Span) -> bool {
        let found = self.has_parens(span);
        if found {
            self.used.insert((span.start, span.end));
        }
        found
    }

    /// The index of the `)` that closes the `(` at token `open`.
    fn closing(&self, open: usize) -> usize {
        let mut depth = 0usize;
        for i in open..self.lx.tokens.len() {
            if self.lx.is(i, "(") {
                depth += 1;
            } else if self.lx.is(i, ")") {
                depth -= 1;
                if depth == 0 {
                    return i;
                }
            }
        }
        self.lx.tokens.len().saturating_sub(1)
    }

    /// The start of the first token at or after `at` that is not an `allow(...)`: the keyword
    /// of an item whose doc comments and allows start at `at`.
    fn after_attributes(&self, at: u32) -> u32 {
        let mut i = self.lx.index_at(at);
        while self.lx.is(i, "allow") && self.lx.is(i + 1, "(") {
            i = self.closing(i + 1) + 1;
        }
        self.lx.tokens.get(i).map_or(at, |t| t.start)
    }

    /// The doc comments and `allow(...)` lines in `[from, to)`, in written order, each on a
    /// line of its own.
    fn attributes(&self, from: u32, to: u32) -> Vec<Doc> {
        let mut lines: Vec<(u32, Doc)> = Vec::new();
        for d in self.lx.docs.iter().filter(|d| d.start >= from && d.start < to) {
            lines.push((d.start, Doc::Text(d.text.clone(), Some((d.start, d.end)))));
        }
        let tokens = &self.lx.tokens;
        let mut i = self.lx.index_at(from);
        while i < tokens.len() && tokens[i].start < to {
            if self.lx.is(i, "allow") && self.lx.is(i + 1, "(") {
                let close = self.closing(i + 1);
                let inside = &tokens[i + 2..close];
                let lint = inside.iter().find(|t| t.kind == Kind::Word).map(|t| self.lx.token_text(*t));
                let reason = inside.iter().find(|t| t.kind == Kind::Text).map(|t| self.lx.token_text(*t));
                let line = format!("allow({}, reason = {})", lint.unwrap_or(""), reason.unwrap_or("\"\""));
                lines.push((tokens[i].start, Doc::Text(line, Some((tokens[i].start, tokens[close].end)))));
                i = close + 1;
            } else {
                i += 1;
            }
        }
        lines.sort_by_key(|(at, _)| *at);
        let mut out = Vec::new();
        for (_, line) in lines {
            out.push(line);
            out.push(Doc::Hard);
        }
        out
    }

    /// `head {` entries one per line `}`; `head {}` when empty.
    fn block(&self, mut head: Vec<Doc>, entries: Vec<Doc>, close: u32) -> Doc {
        if entries.is_empty() {
            head.push(text(" {"));
            head.push(self.at("}", close));
            return seq(head);
        }
        head.push(text(" {"));
        let mut inner = Vec::new();
        for e in entries {
            inner.push(Doc::Stmt);
            inner.push(e);
        }
        head.push(nest(2, seq(inner)));
        head.push(Doc::Hard);
        head.push(self.at("}", close));
        seq(head)
    }

    /// `{ a, b, c }` on one line if it fits, else one entry per line with a trailing comma.
    fn list(&self, items: Vec<Doc>, close: u32) -> Doc {
        if items.is_empty() {
            return seq(vec![text("{"), self.at("}", close)]);
        }
        let mut inner = Vec::new();
        for (i, item) in items.into_iter().enumerate() {
            if i > 0 {
                inner.push(text(","));
            }
            inner.push(Doc::Line);
            inner.push(item);
        }
        inner.push(Doc::IfBroken(","));
        group(vec![text("{"), nest(2, seq(inner)), Doc::Line, self.at("}", close)])
    }

    // ------------------------------------------------------------ items

    pub fn module(&mut self, module: &Module) -> Doc {
        let mut parts = Vec::new();
        for (i, item) in module.items.iter().enumerate() {
            if i > 0 {
                parts.push(Doc::Stmt);
            }
            parts.push(self.item(item));
        }
        seq(parts)
    }

    fn item(&mut self, item: &Item) -> Doc {
        let kw = self.after_attributes(item.span.start);
        let mut parts = self.attributes(item.span.start, kw);
        let close = item.span.end.saturating_sub(1);
        let body = match &item.kind {
            ItemKind::Use(u) => self.use_decl(u, kw),
            ItemKind::Contract(c) => self.contract(c, kw, close),
            ItemKind::Enum(e) => self.enum_decl(e, kw, close),
            ItemKind::Unit(u) => {
                let mut p = vec![self.at("unit", kw), text(" "), self.ident(&u.singular)];
                if let Some(plural) = &u.plural {
                    p.push(text(", "));
                    p.push(self.ident(plural));
                }
                seq(p)
            }
            ItemKind::Bands(b) => self.bands(b, kw, close),
            ItemKind::Participant(p) => {
                let mut head = vec![self.at("participant", kw)];
                if let Some(noun) = self.string_after(kw + 1).filter(|_| p.noun.is_some()) {
                    head.push(text(" "));
                    head.push(noun);
                }
                let fields = p.fields.iter().map(|f| self.field(f)).collect();
                self.block(head, fields, close)
            }
            ItemKind::Event(e) => self.event(e, kw, close),
            ItemKind::Let(l) => self.let_decl(l, kw),
            ItemKind::Outcome(o) => {
                let mut head = vec![self.at("outcome", kw), text(" "), self.ident(&o.name)];
                self.title(&mut head, o.title.is_some(), o.name.span.end);
                let clauses = o.clauses.iter().map(|c| self.outcome_clause(c)).collect();
                self.block(head, clauses, close)
            }
            ItemKind::Cohort(c) => {
                let mut head = vec![self.at("cohort outcome", kw), text(" "), self.ident(&c.name)];
                self.title(&mut head, c.title.is_some(), c.name.span.end);
                let clauses = c.clauses.iter().map(|c| self.cohort_clause(c)).collect();
                self.block(head, clauses, close)
            }
            ItemKind::Highest(h) => {
                seq(vec![self.at("pay only the highest of", kw), text(" "), self.idents(&h.outcomes, ", ")])
            }
            ItemKind::Test(t) => self.test(t, kw, close),
        };
        parts.push(body);
        seq(parts)
    }

    fn title(&self, head: &mut Vec<Doc>, has_title: bool, after: u32) {
        if let Some(title) = self.string_after(after).filter(|_| has_title) {
            head.push(text(" "));
            head.push(title);
        }
    }

    fn use_decl(&self, u: &Use, kw: u32) -> Doc {
        match u {
            Use::Std { module, alias } => {
                let mut p = vec![self.at("use", kw), text(" std."), self.ident(module)];
                if let Some(a) = alias {
                    p.push(text(" as "));
                    p.push(self.ident(a));
                }
                seq(p)
            }
            Use::File { path_span, alias, .. } => {
                let mut p =
                    vec![self.at("use", kw), text(" "), self.spanned(self.slice(*path_span), *path_span)];
                if let Some(a) = alias {
                    p.push(text(" as "));
                    p.push(self.ident(a));
                }
                seq(p)
            }
        }
    }

    fn contract(&self, c: &ContractHeader, kw: u32, close: u32) -> Doc {
        let mut head = vec![self.at("contract", kw)];
        if let Some(name) = self.string_after(kw + 1) {
            head.push(text(" "));
            head.push(name);
        }
        let entries = c
            .entries
            .iter()
            .map(|e| {
                let at = e.span.start;
                match &e.kind {
                    ContractEntryKind::Currency(id) => {
                        seq(vec![self.at("currency", at), text(" "), self.ident(id)])
                    }
                    ContractEntryKind::Achievable { from, to } => seq(vec![
                        self.at("outcomes achievable from", at),
                        text(" "),
                        self.date(from),
                        text(" to "),
                        self.date(to),
                    ]),
                    ContractEntryKind::ClaimsClose(d) => {
                        seq(vec![self.at("claims close", at), text(" "), self.date(d)])
                    }
                    ContractEntryKind::TotalCap(q) => {
                        seq(vec![self.at("total cap", at), text(" "), self.quantity(q)])
                    }
                    ContractEntryKind::ParticipantCap(q) => {
                        seq(vec![self.at("cap per participant", at), text(" "), self.quantity(q)])
                    }
                    ContractEntryKind::Rounding { mode, increment } => {
                        let mode = match mode {
                            RoundingMode::HalfUp => "half_up",
                            RoundingMode::HalfEven => "half_even",
                            RoundingMode::Down => "down",
                            RoundingMode::Up => "up",
                        };
                        seq(vec![
                            self.at("rounding", at),
                            text(format!(" {mode} to ")),
                            self.quantity(increment),
                        ])
                    }
                    ContractEntryKind::Holidays(id) => {
                        seq(vec![self.at("working days exclude", at), text(" "), self.ident(id)])
                    }
                }
            })
            .collect();
        self.block(head, entries, close)
    }

    fn enum_decl(&self, e: &EnumDecl, kw: u32, close: u32) -> Doc {
        let mut cases = Vec::new();
        let mut previous = e.name.span.end;
        for case in &e.cases {
            let mut parts = self.attributes(previous, case.name.span.start);
            parts.push(self.ident(&case.name));
            cases.push(seq(parts));
            previous = case.name.span.end;
        }
        seq(vec![self.at("enum", kw), text(" "), self.ident(&e.name), text(" "), self.list(cases, close)])
    }

    fn bands(&self, b: &BandsDecl, kw: u32, close: u32) -> Doc {
        let head =
            vec![self.at("bands", kw), text(" "), self.ident(&b.name), text(" of "), self.type_expr(&b.of)];
        let bands = b
            .bands
            .iter()
            .map(|band| {
                let mut parts = self.attributes(band.span.start, band.name.span.start);
                parts.push(self.ident(&band.name));
                parts.push(text(": "));
                // The range as written: `below 8`, `from 8 to 16`, `from -5`.
                let tokens = self.lx.tokens_in(band.name.span.end, band.span.end);
                let mut range = String::new();
                let mut glue = false;
                for t in tokens.iter().skip_while(|t| self.lx.token_text(**t) == ":") {
                    let word = self.lx.token_text(*t);
                    if word == "," {
                        continue;
                    }
                    if !range.is_empty() && !glue {
                        range.push(' ');
                    }
                    range.push_str(word);
                    glue = word == "-";
                }
                let range_span = Span { start: band.name.span.end, ..band.span };
                parts.push(self.spanned(range, range_span));
                seq(parts)
            })
            .collect();
        self.block(head, bands, close)
    }

    fn type_expr(&self, t: &TypeExpr) -> Doc {
        match &t.kind {
            TypeExprKind::Bounded { .. } => {
                let written: String = self
                    .lx
                    .tokens_in(t.span.start, t.span.end)
                    .iter()
                    .map(|k| self.lx.token_text(*k))
                    .collect();
                self.spanned(written, t.span)
            }
            TypeExprKind::Named(u) => {
                let optional = if t.optional { "?" } else { "" };
                self.spanned(format!("{}{optional}", u.text()), t.span)
            }
            TypeExprKind::Qualified { module, name } => {
                let optional = if t.optional { "?" } else { "" };
                self.spanned(format!("{}.{}{optional}", module.name, name.name), t.span)
            }
        }
    }

    fn field(&self, f: &FieldDecl) -> Doc {
        let mut parts = self.attributes(f.span.start, f.name.span.start);
        parts.push(self.ident(&f.name));
        parts.push(text(": "));
        parts.push(self.type_expr(&f.ty));
        seq(parts)
    }

    fn event(&self, e: &EventDecl, kw: u32, close: u32) -> Doc {
        let keyword = if e.activity { "activity event" } else { "event" };
        let head = vec![self.at(keyword, kw), text(" "), self.ident(&e.name)];
        let mut entries: Vec<(u32, Doc)> = e.fields.iter().map(|f| (f.span.start, self.field(f))).collect();
        // Each `evidence:` line where it was written, with its own kinds.
        let mut evidence: BTreeMap<u32, Vec<Ident>> = BTreeMap::new();
        for kind in &e.evidence {
            let mut i = self.lx.index_at(kind.span.start);
            while i > 0 && !(self.lx.is(i - 1, "evidence") && self.lx.is(i, ":")) {
                i -= 1;
            }
            let at =
                i.checked_sub(1).and_then(|j| self.lx.tokens.get(j)).map_or(kind.span.start, |t| t.start);
            evidence.entry(at).or_default().push(kind.clone());
        }
        for (at, kinds) in evidence {
            entries.push((at, seq(vec![self.at("evidence", at), text(": "), self.idents(&kinds, " or ")])));
        }
        entries.sort_by_key(|(at, _)| *at);
        self.block(head, entries.into_iter().map(|(_, d)| d).collect(), close)
    }

    fn let_decl(&mut self, l: &LetDecl, kw: u32) -> Doc {
        let mut parts = vec![self.at("let", kw), text(" "), self.ident(&l.name)];
        if let Some(params) = &l.params {
            parts.push(text("("));
            for (i, p) in params.iter().enumerate() {
                if i > 0 {
                    parts.push(text(", "));
                }
                parts.push(self.ident(&p.name));
                parts.push(text(": "));
                parts.push(self.type_expr(&p.ty));
            }
            parts.push(text(")"));
        }
        if let Some(t) = &l.annotation {
            parts.push(text(": "));
            parts.push(self.type_expr(t));
        }
        parts.push(text(" ="));
        parts.push(self.tail(&l.body));
        seq(parts)
    }

    // ------------------------------------------------------------ outcomes

    fn outcome_clause(&mut self, c: &OutcomeClause) -> Doc {
        let at = c.span.start;
        match &c.kind {
            OutcomeClauseKind::Achieved(cond) => {
                seq(vec![self.at("achieved when", at), text(" "), self.condition_top(cond)])
            }
            OutcomeClauseKind::Eligible(e) => seq(vec![self.at("eligible when", at), self.tail(e)]),
            OutcomeClauseKind::Pays(p) => seq(vec![self.at("pays", at), self.pays(p, c.span)]),
            OutcomeClauseKind::Requires(ids) => {
                seq(vec![self.at("requires", at), text(" "), self.idents(ids, ", ")])
            }
            OutcomeClauseKind::Excludes(ids) => {
                seq(vec![self.at("excludes", at), text(" "), self.idents(ids, ", ")])
            }
            OutcomeClauseKind::Repeats { times } => {
                let n = self.number(c.span, 0, times);
                seq(vec![self.at("repeats at most", at), self.spanned(format!(" {n} times"), c.span)])
            }
            OutcomeClauseKind::VolumeCap { payments } => self.volume_cap(c.span, *payments),
            OutcomeClauseKind::MoneyCap(q) => seq(vec![self.at("cap", at), text(" "), self.quantity(q)]),
            OutcomeClauseKind::ClaimWithin(e) => self.claim(e, c.span),
        }
    }

    fn volume_cap(&self, span: Span, payments: u32) -> Doc {
        let n = self.number(span, 0, payments);
        seq(vec![self.at("cap", span.start), self.spanned(format!(" {n} payments"), span)])
    }

    fn claim(&mut self, e: &Expr, span: Span) -> Doc {
        let after = self.lx.find(e.span.end, span.end, "achievement").is_some();
        let mut parts = vec![self.at("claim within", span.start), text(" ")];
        parts.push(self.expr(e, 6, if after { WINDOW } else { NONE }));
        if after {
            parts.push(text(" after achievement"));
        }
        seq(parts)
    }

    fn pays(&mut self, p: &Pays, clause: Span) -> Doc {
        let close = clause.end.saturating_sub(1);
        match p {
            Pays::Amount(e) => self.tail(e),
            Pays::By { on, cases } => {
                let on = self.expr(on, 6, NONE);
                let cases = cases
                    .iter()
                    .map(|case| {
                        let name = match &case.case {
                            Some(id) => self.ident(id),
                            None => self.at("otherwise", case.span.start),
                        };
                        seq(vec![name, text(": "), self.expr(&case.amount, 0, NONE)])
                    })
                    .collect();
                seq(vec![text(" by "), on, text(" "), self.list(cases, close)])
            }
            Pays::Tiers(tiers) => {
                let tiers = tiers
                    .iter()
                    .map(|t| {
                        seq(vec![
                            self.at("from", t.span.start),
                            text(" "),
                            self.expr(&t.from, 6, NONE),
                            text(": "),
                            self.expr(&t.amount, 0, NONE),
                        ])
                    })
                    .collect();
                seq(vec![text(" tiers "), self.list(tiers, close)])
            }
            Pays::PerPoint { rate, above } => seq(vec![
                text(" "),
                self.quantity(rate),
                text(" per point above "),
                self.expr(above, 6, NONE),
            ]),
        }
    }

    fn cohort_clause(&mut self, c: &CohortClause) -> Doc {
        let at = c.span.start;
        match &c.kind {
            CohortClauseKind::Members(CohortMembers::All) => self.at("cohort all participants", at),
            CohortClauseKind::Members(CohortMembers::Where(e)) => {
                seq(vec![self.at("cohort participants where", at), self.tail(e)])
            }
            CohortClauseKind::Members(CohortMembers::DateRange { field, from, to }) => seq(vec![
                self.at("cohort participants", at),
                text(" "),
                self.ident(field),
                text(" from "),
                self.date(from),
                text(" to "),
                self.date(to),
            ]),
            CohortClauseKind::Achieved(cc) => {
                seq(vec![self.at("achieved when", at), text(" "), self.cohort_condition(cc)])
            }
            CohortClauseKind::Pays(p) => seq(vec![self.at("pays", at), self.pays(p, c.span)]),
            CohortClauseKind::MoneyCap(q) => seq(vec![self.at("cap", at), text(" "), self.quantity(q)]),
            CohortClauseKind::VolumeCap { payments } => self.volume_cap(c.span, *payments),
            CohortClauseKind::ClaimWithin(e) => self.claim(e, c.span),
        }
    }

    fn cohort_condition(&mut self, c: &CohortCondition) -> Doc {
        match c {
            CohortCondition::Threshold { measure, op, value } => {
                let measure = self.measure(measure, true);
                let value = self.expr(value, 6, NONE);
                group(vec![measure, nest(2, seq(vec![Doc::Line, text(format!("{} ", op.symbol())), value]))])
            }
            CohortCondition::AgainstControl { measure, effect, direction, significance } => {
                let effect_text = if effect.points {
                    format!("{} points", self.number(effect.span, 0, effect.value))
                } else {
                    self.slice(effect.span).to_string()
                };
                let direction = match direction {
                    Direction::Above => "above",
                    Direction::Below => "below",
                };
                let comparison = group(vec![
                    self.measure(measure, false),
                    nest(
                        2,
                        seq(vec![
                            Doc::Line,
                            text("is at least "),
                            self.spanned(effect_text, effect.span),
                            text(format!(" {direction} control")),
                        ]),
                    ),
                ]);
                let Some(s) = significance else { return comparison };
                group(vec![
                    comparison,
                    text(","),
                    nest(
                        2,
                        seq(vec![
                            Doc::Line,
                            text("significant at "),
                            self.spanned(self.slice(s.level_span), s.level_span),
                            text(" by "),
                            self.ident(&s.test),
                        ]),
                    ),
                ])
            }
        }
    }

    fn measure(&mut self, m: &Measure, before_comparison: bool) -> Doc {
        let at = m.span.start;
        match &m.kind {
            MeasureKind::ShareAchieving(id) => {
                seq(vec![self.at("share achieving", at), text(" "), self.ident(id)])
            }
            MeasureKind::CountAchieving(id) => {
                seq(vec![self.at("count achieving", at), text(" "), self.ident(id)])
            }
            MeasureKind::ShareWhere(e) => {
                // Before `>=` the expression must be bracketed, or it would take the comparison.
                let inner = if before_comparison {
                    self.take_parens(e.span);
                    paren(self.expr(e, 0, NONE))
                } else {
                    self.expr(e, 0, NONE)
                };
                seq(vec![self.at("share where", at), text(" "), inner])
            }
            MeasureKind::Mean(e) => seq(vec![self.at("mean of", at), text(" "), self.expr(e, 6, OTHER)]),
        }
    }

    fn test(&mut self, t: &TestDecl, kw: u32, close: u32) -> Doc {
        let mut head = vec![self.at("test", kw)];
        if let Some(name) = self.string_after(kw + 1) {
            head.push(text(" "));
            head.push(name);
        }
        let mut entries: Vec<(u32, Doc)> = Vec::new();
        if let Some(d) = &t.as_of {
            let i = self.lx.index_at(d.span.start);
            let at = i.checked_sub(2).and_then(|j| self.lx.tokens.get(j)).map_or(d.span.start, |t| t.start);
            entries.push((at, seq(vec![self.at("as of", at), text(" "), self.date(d)])));
        }
        for g in &t.givens {
            let subject = match &g.event {
                Some(e) => self.ident(e),
                None => text("participant"),
            };
            let fields = g
                .fields
                .iter()
                .map(|f| seq(vec![self.ident(&f.name), text(": "), self.expr(&f.value, 0, NONE)]))
                .collect();
            let record = self.list(fields, g.span.end.saturating_sub(1));
            entries.push((
                g.span.start,
                seq(vec![self.at("given", g.span.start), text(" "), subject, text(" "), record]),
            ));
        }
        for x in &t.expects {
            let mut parts = vec![self.at("expect", x.span.start), text(" "), self.ident(&x.outcome)];
            match &x.status {
                ExpectStatus::Achieved { on, paying } => {
                    parts.push(text(" achieved"));
                    if let Some(d) = on {
                        parts.push(text(" on "));
                        parts.push(self.date(d));
                    }
                    if let Some(q) = paying {
                        parts.push(text(" paying "));
                        parts.push(self.quantity(q));
                    }
                }
                ExpectStatus::Pending { until } => {
                    parts.push(text(" pending"));
                    if let Some(d) = until {
                        parts.push(text(" until "));
                        parts.push(self.date(d));
                    }
                }
                ExpectStatus::NotAchieved => parts.push(self.spanned(" not achieved", x.span)),
            }
            entries.push((x.span.start, seq(parts)));
        }
        entries.sort_by_key(|(at, _)| *at);
        self.block(head, entries.into_iter().map(|(_, d)| d).collect(), close)
    }

    // ------------------------------------------------------------ conditions

    /// The condition of `achieved when`: `A` and `or B` continuation lines indented two more
    /// than the clause, the parts of a broken condition four more.
    fn condition_top(&mut self, c: &Condition) -> Doc {
        let written = self.take_parens(c.span);
        let doc = match &c.kind {
            ConditionKind::And(_) | ConditionKind::Or(_) => self.chain(c),
            ConditionKind::Holds(e) => self.expr(e, 3, OTHER),
            _ => nest(2, self.atom(c)),
        };
        if written { paren(doc) } else { doc }
    }

    fn chain(&mut self, c: &Condition) -> Doc {
        let (parts, word, is_and) = match &c.kind {
            ConditionKind::And(p) => (p, "and ", true),
            ConditionKind::Or(p) => (p, "or ", false),
            _ => return nest(2, self.atom(c)),
        };
        let Some((first, others)) = parts.split_first() else { return text("") };
        let first = nest(2, self.operand(first, is_and));
        let mut rest = Vec::new();
        for p in others {
            rest.push(Doc::Line);
            rest.push(text(word));
            rest.push(self.operand(p, is_and));
        }
        group(vec![first, nest(2, seq(rest))])
    }

    fn operand(&mut self, c: &Condition, in_and: bool) -> Doc {
        let written = self.take_parens(c.span);
        let (doc, needed) = match &c.kind {
            ConditionKind::And(_) => (self.chain(c), in_and),
            ConditionKind::Or(_) => (self.chain(c), true),
            ConditionKind::Holds(e) => (self.expr(e, 3, OTHER), false),
            _ => (nest(2, self.atom(c)), false),
        };
        if written || needed { paren(doc) } else { doc }
    }

    /// One condition form: its head, then each of its parts (`in at least ...`, `for ...`,
    /// the window, `counting ...`, `excluding ...`) on the same line or one per line.
    fn atom(&mut self, c: &Condition) -> Doc {
        let at = c.span.start;
        let mut parts = Vec::new();
        match &c.kind {
            ConditionKind::And(_) | ConditionKind::Or(_) => return self.chain(c),
            ConditionKind::Holds(e) => return self.expr(e, 3, OTHER),
            ConditionKind::Absence { filter, window, excluding } => {
                parts.push(seq(vec![self.at("no", at), text(" "), self.filter(filter, WINDOW)]));
                parts.push(self.window(window, OTHER));
                self.excluding(&mut parts, excluding);
            }
            ConditionKind::AtMost { times, filter, window, excluding } => {
                let n = self.number(c.span, 0, times);
                parts.push(seq(vec![
                    self.at("at most", at),
                    text(format!(" {n} ")),
                    self.filter(filter, WINDOW),
                ]));
                parts.push(self.window(window, OTHER));
                self.excluding(&mut parts, excluding);
            }
            ConditionKind::Reaches { aggregate, aggregate_span, threshold, window } => {
                parts.push(seq(vec![
                    self.aggregate(aggregate, aggregate_span.start, NONE),
                    text(" reaches "),
                    self.expr(threshold, 6, WINDOW),
                ]));
                parts.push(self.window(window, OTHER));
            }
            ConditionKind::Change { value, direction, by, baseline, window } => {
                let direction = match direction {
                    ChangeDirection::Rises => " rises by at least ",
                    ChangeDirection::Falls => " falls by at least ",
                };
                let baseline = match baseline {
                    Baseline::FirstEvent(e) => seq(vec![text("the first "), self.ident(e)]),
                    Baseline::Value(v) => self.expr(v, 6, WINDOW),
                };
                parts.push(seq(vec![
                    self.expr(value, 6, NONE),
                    text(direction),
                    self.expr(by, 6, NONE),
                    text(" from "),
                    baseline,
                ]));
                parts.push(self.window(window, OTHER));
            }
            ConditionKind::Periods { filter, count, kind, anchor, start, counting, excluding } => {
                parts.push(self.filter(filter, NONE));
                let in_at = self
                    .lx
                    .find(filter.span.end, count.span.start, "in")
                    .map_or(count.span.start, |t| t.start);
                let count_text = if count.each {
                    format!("each of the {}", self.number(count.span, 0, count.of))
                } else {
                    format!(
                        "at least {} of the {}",
                        self.number(count.span, 0, count.at_least),
                        self.number(count.span, 1, count.of)
                    )
                };
                let mut words = self.lx.words_in(count.span.end, start.span.start);
                words.pop();
                let kind_text =
                    if words.is_empty() { period_words(*kind).to_string() } else { words.join(" ") };
                parts.push(seq(vec![
                    self.at("in", in_at),
                    text(" "),
                    self.spanned(count_text, count.span),
                    text(format!(" {kind_text} {} ", anchor_word(*anchor))),
                    self.expr(start, 6, OTHER),
                ]));
                self.counting(&mut parts, counting.as_ref());
                self.excluding(&mut parts, excluding);
            }
            ConditionKind::Consecutive {
                filter,
                periods,
                periods_span,
                kind,
                window,
                counting,
                excluding,
            } => {
                parts.push(self.filter(filter, NONE));
                let for_at = self
                    .lx
                    .find(filter.span.end, periods_span.start, "for")
                    .map_or(periods_span.start, |t| t.start);
                let words: Vec<&str> = self
                    .lx
                    .words_in(periods_span.end, window.span.start)
                    .into_iter()
                    .filter(|w| *w != "consecutive")
                    .collect();
                let kind_text =
                    if words.is_empty() { period_words(*kind).to_string() } else { words.join(" ") };
                let n = self.number(*periods_span, 0, periods);
                parts.push(seq(vec![
                    self.at("for", for_at),
                    self.spanned(format!(" {n}"), *periods_span),
                    text(format!(" consecutive {kind_text}")),
                ]));
                parts.push(self.window(window, OTHER));
                self.counting(&mut parts, counting.as_ref());
                self.excluding(&mut parts, excluding);
            }
            ConditionKind::Cumulative { filter, at_least, window, excluding } => {
                parts.push(self.filter(filter, NONE));
                let for_at = self
                    .lx
                    .find(filter.span.end, at_least.span.start, "for")
                    .map_or(at_least.span.start, |t| t.start);
                parts.push(seq(vec![
                    self.at("for at least", for_at),
                    text(" "),
                    self.expr(at_least, 6, NONE),
                    text(" in total"),
                ]));
                parts.push(self.window(window, OTHER));
                self.excluding(&mut parts, excluding);
            }
            ConditionKind::Occurrence { filter, window } => {
                parts.push(self.filter(filter, WINDOW));
                parts.push(self.window(window, OTHER));
            }
        }
        let mut laid = Vec::new();
        for (i, p) in parts.into_iter().enumerate() {
            if i > 0 {
                laid.push(Doc::Line);
            }
            laid.push(p);
        }
        group(laid)
    }

    fn filter(&mut self, f: &EventFilter, follow: Follow) -> Doc {
        match &f.event {
            Some(event) => seq(vec![self.ident(event), text(" where "), self.expr(&f.predicate, 0, follow)]),
            None => self.expr(&f.predicate, 3, follow),
        }
    }

    fn counting(&self, parts: &mut Vec<Doc>, counting: Option<&Counting>) {
        let Some(c) = counting else { return };
        let rule = match c.rule {
            CountingRule::AnyDay => "any day".to_string(),
            CountingRule::EveryDay => "every day".to_string(),
            CountingRule::AtLeastDays(n) => format!("at least {} days", self.number(c.span, 0, n)),
        };
        parts.push(seq(vec![self.at("counting", c.span.start), self.spanned(format!(" {rule}"), c.span)]));
    }

    fn excluding(&self, parts: &mut Vec<Doc>, excluding: &[Ident]) {
        let Some(first) = excluding.first() else { return };
        let i = self.lx.index_at(first.span.start);
        let at = i.checked_sub(1).and_then(|j| self.lx.tokens.get(j)).map_or(first.span.start, |t| t.start);
        parts.push(seq(vec![self.at("excluding", at), text(" "), self.idents(excluding, ", ")]));
    }

    fn window(&mut self, w: &Window, follow: Follow) -> Doc {
        let at = w.span.start;
        match &w.kind {
            WindowKind::Within { length, anchor, start } => seq(vec![
                self.at("within", at),
                text(" "),
                self.expr(length, 6, WINDOW),
                text(format!(" {} ", anchor_word(*anchor))),
                self.expr(start, 6, follow),
            ]),
            WindowKind::Between { from, to } => seq(vec![
                self.at("between", at),
                text(" "),
                self.expr(from, 6, OTHER),
                text(" and "),
                self.expr(to, 6, follow),
            ]),
            WindowKind::After(e) => seq(vec![self.at("after", at), text(" "), self.expr(e, 6, follow)]),
        }
    }

    // ------------------------------------------------------------ expressions

    /// After `=`, `pays`, `when`, `where`: a space and the expression, or an `if` on lines of
    /// its own, indented, when it does not fit on the line.
    fn tail(&mut self, e: &Expr) -> Doc {
        if matches!(e.kind, ExprKind::If { .. }) && !self.has_parens(e.span) {
            let doc = self.expr(e, 0, NONE);
            group(vec![nest(2, seq(vec![Doc::Line, doc]))])
        } else {
            seq(vec![text(" "), self.expr(e, 0, NONE)])
        }
    }

    /// An expression in a place that needs at least `min` binding and is followed by `follow`:
    /// bracketed where the author bracketed it or where it must be.
    fn expr(&mut self, e: &Expr, min: u8, follow: Follow) -> Doc {
        let written = self.take_parens(e.span);
        if written || level(e) < min || open_end(e) & follow != 0 {
            return paren(self.raw(e, NONE));
        }
        self.raw(e, follow)
    }

    fn raw(&mut self, e: &Expr, follow: Follow) -> Doc {
        match &e.kind {
            ExprKind::Quantity(q) => self.quantity(q),
            ExprKind::Percent(_) | ExprKind::Text(_) | ExprKind::Bool(_) => {
                self.spanned(self.slice(e.span), e.span)
            }
            ExprKind::Date(d) => self.date(d),
            ExprKind::Path(ids) => {
                let joined: Vec<&str> = ids.iter().map(|i| i.name.as_str()).collect();
                self.spanned(joined.join("."), e.span)
            }
            ExprKind::Call { callee, args } => {
                let joined: Vec<&str> = callee.iter().map(|i| i.name.as_str()).collect();
                let start = callee.first().map_or(e.span, |c| c.span);
                let name = self.spanned(joined.join("."), start.to(callee.last().map_or(start, |c| c.span)));
                seq(vec![name, self.args(args)])
            }
            ExprKind::MinMax { max, args } => {
                let name = if *max { "max" } else { "min" };
                seq(vec![self.at(name, e.span.start), self.args(args)])
            }
            ExprKind::Unary { op: UnaryOp::Neg, operand } => {
                seq(vec![text("-"), self.expr(operand, 8, follow)])
            }
            ExprKind::Unary { op: UnaryOp::Not, operand } => {
                seq(vec![self.at("not", e.span.start), text(" "), self.expr(operand, 3, follow)])
            }
            ExprKind::Binary { op, .. } => self.binary_chain(e, op_level(*op), follow),
            ExprKind::Compare { op, lhs, rhs } => {
                let lhs = self.expr(lhs, 5, OTHER);
                let rhs = self.expr(rhs, 5, follow);
                group(vec![lhs, nest(2, seq(vec![Doc::Line, text(format!("{} ", op.symbol())), rhs]))])
            }
            ExprKind::Coalesce { .. } => self.coalesce_chain(e, follow),
            ExprKind::Presence { value, present } => {
                let word = if *present { " is present" } else { " is missing" };
                seq(vec![self.expr(value, 5, OTHER), text(word)])
            }
            ExprKind::If { .. } => self.if_chain(e, follow),
            ExprKind::Aggregate(a) => self.aggregate(a, e.span.start, follow),
        }
    }

    /// `(a, b)`, or, when that does not fit, one argument per line, indented, with `)` on a
    /// line of its own: an argument is never split between lines while the list could be.
    fn args(&mut self, args: &[Expr]) -> Doc {
        if args.is_empty() {
            return text("()");
        }
        let mut inner = vec![Doc::SoftLine];
        for (i, a) in args.iter().enumerate() {
            if i > 0 {
                inner.push(text(","));
                inner.push(Doc::Line);
            }
            inner.push(self.expr(a, 0, NONE));
        }
        group(vec![text("("), nest(2, seq(inner)), Doc::SoftLine, text(")")])
    }

    /// `a + b - c`, `a and b and c`: one operand per line when broken, each line starting
    /// with its operator.
    fn binary_chain(&mut self, e: &Expr, lvl: u8, follow: Follow) -> Doc {
        let mut rest: Vec<(&'static str, &Expr)> = Vec::new();
        let mut current = e;
        loop {
            match &current.kind {
                ExprKind::Binary { op, lhs, rhs }
                    if op_level(*op) == lvl
                        && (std::ptr::eq(current, e) || !self.has_parens(current.span)) =>
                {
                    rest.push((op_symbol(*op), rhs));
                    current = lhs;
                }
                _ => break,
            }
        }
        rest.reverse();
        let op_follow = if lvl >= 6 { SUM } else { OTHER };
        let first = self.expr(current, lvl + 1, op_follow);
        let count = rest.len();
        let mut tail = Vec::new();
        for (i, (symbol, operand)) in rest.into_iter().enumerate() {
            let f = if i + 1 == count { follow } else { op_follow };
            tail.push(Doc::Line);
            tail.push(text(format!("{symbol} ")));
            tail.push(self.expr(operand, lvl + 1, f));
        }
        group(vec![first, nest(2, seq(tail))])
    }

    fn coalesce_chain(&mut self, e: &Expr, follow: Follow) -> Doc {
        let mut rest: Vec<&Expr> = Vec::new();
        let mut current = e;
        loop {
            match &current.kind {
                ExprKind::Coalesce { value, default }
                    if std::ptr::eq(current, e) || !self.has_parens(current.span) =>
                {
                    rest.push(default);
                    current = value;
                }
                _ => break,
            }
        }
        rest.reverse();
        let first = self.expr(current, 6, OTHER);
        let count = rest.len();
        let mut tail = Vec::new();
        for (i, operand) in rest.into_iter().enumerate() {
            let f = if i + 1 == count { follow } else { OTHER };
            tail.push(Doc::Line);
            tail.push(text("?? "));
            tail.push(self.expr(operand, 6, f));
        }
        group(vec![first, nest(2, seq(tail))])
    }

    /// `if C then A else B`, or broken: `if C then A` / `else if ...` / `else B`, each branch
    /// split before `then` if it does not fit.
    fn if_chain(&mut self, e: &Expr, follow: Follow) -> Doc {
        let mut parts = Vec::new();
        let mut current = e;
        while let ExprKind::If { cond, then, otherwise } = &current.kind {
            let cond = self.expr(cond, 0, NONE);
            let then = self.expr(then, 0, NONE);
            parts.push(group(vec![
                self.at("if", current.span.start),
                text(" "),
                cond,
                Doc::Line,
                text("then "),
                then,
            ]));
            parts.push(Doc::Line);
            parts.push(text("else "));
            if matches!(otherwise.kind, ExprKind::If { .. }) && !self.has_parens(otherwise.span) {
                current = otherwise;
                continue;
            }
            parts.push(self.expr(otherwise, 0, follow));
            break;
        }
        group(parts)
    }

    fn aggregate(&mut self, a: &Aggregate, at: u32, follow: Follow) -> Doc {
        let function = match a.function {
            AggregateFn::Sum => "sum of",
            AggregateFn::Count => "count of",
            AggregateFn::Mean => "mean of",
            AggregateFn::Min => "min of",
            AggregateFn::Max => "max of",
        };
        let mut parts = vec![self.at(function, at), text(" "), self.ident(&a.event)];
        if let Some(field) = &a.field {
            parts.push(text("."));
            parts.push(self.ident(field));
        }
        if let Some(filter) = &a.filter {
            let f = if a.window.is_some() { WINDOW } else { follow };
            let filter = self.expr(filter, 0, f);
            parts.push(nest(2, seq(vec![Doc::Line, text("where "), filter])));
        }
        if let Some(w) = &a.window {
            let window = self.window(w, follow);
            parts.push(nest(2, seq(vec![Doc::Line, window])));
        }
        group(parts)
    }
}
