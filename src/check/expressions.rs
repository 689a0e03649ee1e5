//! Definitions and expressions: names, types, the unit algebra, aggregates and windows.

use super::*;

impl<'a> Checker<'a> {
    /// Checks a definition if it has not been checked yet; reports cycles at `used_at`.
    pub(super) fn ensure_let(
        &mut self,
        m: usize,
        l: &'a ast::LetDecl,
        used_at: Option<Span>,
    ) -> Option<(Ty, Vec<Ty>, BTreeSet<String>)> {
        let name = self.qualified(m, &l.name.name);
        match self.lets.get(&name) {
            Some(LetState::Done { ty, params, events }) => {
                return Some((ty.clone(), params.clone(), events.clone()));
            }
            Some(LetState::InProgress) => {
                let span = used_at.unwrap_or(l.name.span);
                self.error(
                    Diagnostic::error(
                        E_LET_CYCLE,
                        format!("`{}` is defined in terms of itself", l.name.name),
                    )
                    .at(span, "this use needs the value being defined")
                    .also(l.name.span, "defined here")
                    .help("a definition can only use definitions that do not, in turn, use it"),
                );
                return None;
            }
            _ => {}
        }
        self.lets.insert(name.clone(), LetState::InProgress);
        let mut params = Vec::new();
        let mut ir_params = Vec::new();
        for p in l.params.iter().flatten() {
            let (ty, _) = self.type_expr(m, &p.ty);
            ir_params.push(ir::Param { name: p.name.name.clone(), ty: ty.to_ir() });
            params.push((p.name.name.clone(), ty));
        }
        let scope = Scope { module: m, params: params.clone(), ..Scope::default() };
        let saved = std::mem::take(&mut self.events_read);
        let annotated = l.annotation.as_ref().map(|a| self.type_expr(m, a).0);
        let (mut ty, body) = self.expr(&scope, &l.body, annotated.as_ref());
        let events = std::mem::replace(&mut self.events_read, saved);
        if let Some(expected) = &annotated {
            if self.assignable(&ty, expected) {
                ty = expected.clone();
            } else {
                self.mismatch(l.body.span, expected, &ty, "the declared type");
            }
        }
        if m > 0 && (!events.is_empty() || mentions_participant(&l.body)) {
            self.error(
                Diagnostic::error(
                    E_NOT_IN_MODULE,
                    format!("`{}` reads participant or event data inside a module", l.name.name),
                )
                .at(l.body.span, "modules cannot read a contract's data")
                .help("make it a function and pass the values in: `let f(born: date) = ...`"),
            );
        }
        if events.len() > 1 {
            self.error(
                Diagnostic::error(
                    E_AMBIGUOUS_EVENT,
                    format!("`{}` mixes fields of several events", l.name.name),
                )
                .at(l.body.span, format!("reads {}", list_names(&events)))
                .note("a value about one record can only read that record's fields")
                .help("split it into one definition per event"),
            );
        }
        let params_ty: Vec<Ty> = params.iter().map(|(_, t)| t.clone()).collect();
        self.lets.insert(
            name.clone(),
            LetState::Done { ty: ty.clone(), params: params_ty.clone(), events: events.clone() },
        );
        let item =
            self.items(m).iter().find(|i| matches!(&i.kind, ast::ItemKind::Let(x) if std::ptr::eq(x, l)));
        let (docs, span) = item.map(|i| (i.docs.clone(), i.span)).unwrap_or((Vec::new(), l.name.span));
        self.out.definitions.push(ir::Definition {
            name,
            params: ir_params,
            ty: ty.to_ir(),
            event: events.iter().next().cloned(),
            body,
            docs,
            span: self.ir_span(span),
        });
        Some((ty, params_ty, events))
    }

    // ------------------------------------------------------------ expressions

    pub(super) fn mismatch(&mut self, span: Span, expected: &Ty, found: &Ty, context: &str) {
        if matches!(found, Ty::Error) || matches!(expected, Ty::Error) {
            return;
        }
        if let Ty::Optional(inner) = found {
            if self.assignable(inner, expected) {
                self.optional_unhandled(span, found);
                return;
            }
        }
        let (code, help) = match (expected, found) {
            (Ty::Quantity(a), Ty::Quantity(b)) => unit_mismatch_help(a, b),
            (Ty::Quantity(d), t) if t.is_numeric() => {
                (E_UNIT_MISMATCH, Some(format!("add the unit: `... {}`", d)))
            }
            _ => (E_TYPE_MISMATCH, None),
        };
        let mut d = Diagnostic::error(code, format!("expected {expected} for {context}, found {found}"))
            .at(span, format!("this is {found}"));
        if let Some(h) = help {
            d = d.help(h);
        }
        self.error(d);
    }

    pub(super) fn optional_unhandled(&mut self, span: Span, ty: &Ty) {
        self.error(
            Diagnostic::error(
                E_OPTIONAL_UNHANDLED,
                "this value may be missing, and the contract does not say what that means",
            )
            .at(span, format!("this is {ty}"))
            .help("say what a missing value means: `value ?? default`, or test it with `value is present`"),
        );
    }

    /// Whether a value of type `found` can stand where `expected` is wanted.
    pub(super) fn assignable(&self, found: &Ty, expected: &Ty) -> bool {
        match (found, expected) {
            (Ty::Error, _) | (_, Ty::Error) => true,
            (Ty::Int | Ty::Bounded(..), Ty::Int | Ty::Decimal) => true,
            (Ty::Int | Ty::Bounded(..), Ty::Bounded(..)) => true,
            (Ty::Decimal, Ty::Decimal) => true,
            (a, Ty::Optional(b)) => self.assignable(a, b) || a == expected,
            (a, b) => a == b,
        }
    }

    /// Checks an expression. `expected` guides the reading of bare enum cases.
    pub(super) fn expr(&mut self, scope: &Scope, e: &ast::Expr, expected: Option<&Ty>) -> (Ty, ir::Expr) {
        use ast::ExprKind as K;
        match &e.kind {
            K::Quantity(q) => {
                let ty = self.quantity_type(q);
                let ir = match &ty {
                    Ty::Int => ir::Expr::Int { value: decimal_to_i64(q.value) },
                    Ty::Quantity(d) => {
                        let factor =
                            q.unit.as_ref().and_then(|u| self.units_factor(u)).unwrap_or(Decimal::ONE);
                        ir::Expr::Quantity { value: (q.value * factor).normalize(), unit: d.canonical_unit() }
                    }
                    _ => ir::Expr::Decimal { value: q.value.normalize() },
                };
                (ty, ir)
            }
            K::Percent(v) => (Ty::Percent, ir::Expr::Percent { value: v.normalize() }),
            K::Date(d) => match self.parse_date(d) {
                Some(date) => (Ty::Date, ir::Expr::Date { value: date.to_string() }),
                None => (Ty::Error, ir::Expr::Date { value: d.text.clone() }),
            },
            K::Text(t) => (Ty::Text, ir::Expr::Text { value: t.clone() }),
            K::Bool(b) => (Ty::Bool, ir::Expr::Bool { value: *b }),
            K::Path(path) => self.path(scope, path, e.span, expected),
            K::Call { callee, args } => self.call(scope, callee, args, e.span),
            K::MinMax { max, args } => {
                let mut ty = Ty::Error;
                let mut ir_args = Vec::new();
                for a in args {
                    let (t, x) = self.expr(scope, a, expected);
                    if matches!(ty, Ty::Error) {
                        ty = t;
                    } else if !self.comparable(&ty, &t) {
                        self.mismatch(a.span, &ty, &t, if *max { "`max`" } else { "`min`" });
                    } else if matches!(t, Ty::Decimal) {
                        ty = Ty::Decimal;
                    }
                    ir_args.push(x);
                }
                let function = if *max { "max" } else { "min" }.to_string();
                (widen(ty), ir::Expr::Builtin { function, args: ir_args })
            }
            K::Unary { op, operand } => {
                let (t, x) = self.expr(scope, operand, None);
                match op {
                    ast::UnaryOp::Not => {
                        self.expect(operand.span, &Ty::Bool, &t, "`not`");
                        (Ty::Bool, ir::Expr::Not { operand: Box::new(x) })
                    }
                    ast::UnaryOp::Neg => {
                        if !(t.is_numeric() || matches!(t, Ty::Quantity(_) | Ty::Percent)) {
                            self.mismatch(operand.span, &Ty::Decimal, &t, "`-`");
                        }
                        (widen(t), ir::Expr::Neg { operand: Box::new(x) })
                    }
                }
            }
            K::Binary { op, lhs, rhs } => self.binary(scope, *op, lhs, rhs, e.span),
            K::Compare { op, lhs, rhs } => {
                let (lt, lx) = self.expr(scope, lhs, None);
                let (rt, rx) = self.expr(scope, rhs, Some(&lt));
                self.compare(*op, (lhs, &lt), (rhs, &rt));
                (Ty::Bool, ir::Expr::Compare { operator: cmp(*op), lhs: Box::new(lx), rhs: Box::new(rx) })
            }
            K::Coalesce { value, default } => {
                let (vt, vx) = self.expr(scope, value, None);
                let inner = match vt {
                    Ty::Optional(inner) => *inner,
                    Ty::Error => Ty::Error,
                    other => {
                        self.error(
                            Diagnostic::error(
                                E_TYPE_MISMATCH,
                                "`??` gives a value for when one is missing, but this one never is",
                            )
                            .at(value.span, format!("this is {other}, always present"))
                            .help("remove `?? ...`"),
                        );
                        other
                    }
                };
                let (dt, dx) = self.expr(scope, default, Some(&inner));
                if !self.assignable(&dt, &inner) {
                    self.mismatch(default.span, &inner, &dt, "the value used when it is missing");
                }
                (inner, ir::Expr::Coalesce { value: Box::new(vx), default: Box::new(dx) })
            }
            K::Presence { value, present } => {
                let (vt, vx) = self.expr(scope, value, None);
                if !matches!(vt, Ty::Optional(_) | Ty::Error) {
                    self.error(
                        Diagnostic::error(E_TYPE_MISMATCH, "this value is never missing")
                            .at(value.span, format!("this is {vt}, always present"))
                            .help("only optional fields (declared with `?`) can be missing"),
                    );
                }
                let test = ir::Expr::IsPresent { value: Box::new(vx) };
                let x = if *present { test } else { ir::Expr::Not { operand: Box::new(test) } };
                (Ty::Bool, x)
            }
            K::If { cond, then, otherwise } => {
                let (ct, cx) = self.expr(scope, cond, Some(&Ty::Bool));
                self.expect(cond.span, &Ty::Bool, &ct, "the condition of `if`");
                let (tt, tx) = self.expr(scope, then, expected);
                let (ot, ox) = self.expr(scope, otherwise, Some(&tt));
                let ty = if self.assignable(&ot, &tt) {
                    tt
                } else if self.assignable(&tt, &ot) {
                    ot
                } else {
                    self.mismatch(
                        otherwise.span,
                        &tt,
                        &ot,
                        "the `else` branch (it must match the `then` branch)",
                    );
                    Ty::Error
                };
                (ty, ir::Expr::If { condition: Box::new(cx), then: Box::new(tx), otherwise: Box::new(ox) })
            }
            K::Aggregate(a) => self.aggregate(scope, a, e.span),
        }
    }

    pub(super) fn units_factor(&mut self, u: &ast::UnitExpr) -> Option<Decimal> {
        let num = if u.working { UnitTable::working_days() } else { self.units.word(&u.numerator.name)? };
        let den = match &u.denominator {
            Some(d) => Some(self.units.word(&d.name)?),
            None => None,
        };
        Some(Unit::new(&num, den.as_ref()).factor)
    }

    pub(super) fn expect(&mut self, span: Span, expected: &Ty, found: &Ty, context: &str) -> bool {
        if self.assignable(found, expected) {
            true
        } else {
            self.mismatch(span, expected, found, context);
            false
        }
    }

    pub(super) fn comparable(&self, a: &Ty, b: &Ty) -> bool {
        match (a, b) {
            (Ty::Error, _) | (_, Ty::Error) => true,
            (x, y) if x.is_numeric() && y.is_numeric() => true,
            (x, y) => x == y,
        }
    }

    pub(super) fn compare(
        &mut self,
        op: ast::CmpOp,
        (le, lt): (&ast::Expr, &Ty),
        (re, rt): (&ast::Expr, &Ty),
    ) {
        for (e, t) in [(le, lt), (re, rt)] {
            if matches!(t, Ty::Optional(_)) {
                self.optional_unhandled(e.span, t);
                return;
            }
        }
        if !self.comparable(lt, rt) {
            let (code, help) = match (lt, rt) {
                (Ty::Quantity(a), Ty::Quantity(b)) => unit_mismatch_help(a, b),
                (Ty::Quantity(d), n) | (n, Ty::Quantity(d)) if n.is_numeric() => {
                    (E_UNIT_MISMATCH, Some(format!("give the number its unit: `... {d}`")))
                }
                (Ty::Enum(e), Ty::Text) | (Ty::Text, Ty::Enum(e)) => (
                    E_TYPE_MISMATCH,
                    Some(format!(
                        "a case of `{e}` is written without quotes: one of {}",
                        self.enums.get(e).map(|x| x.cases.join(", ")).unwrap_or_default()
                    )),
                ),
                _ => (E_TYPE_MISMATCH, None),
            };
            let mut d = Diagnostic::error(code, format!("cannot compare {lt} with {rt}"))
                .at(re.span, format!("this is {rt}"))
                .also(le.span, format!("this is {lt}"));
            if let Some(h) = help {
                d = d.help(h);
            }
            self.error(d);
            return;
        }
        let ordered = matches!(op, ast::CmpOp::Lt | ast::CmpOp::Le | ast::CmpOp::Gt | ast::CmpOp::Ge);
        if ordered && matches!(lt, Ty::Bool | Ty::Text | Ty::Enum(_) | Ty::Event(_)) {
            self.error(
                Diagnostic::error(
                    E_TYPE_MISMATCH,
                    format!("`{}` needs values with an order, and {lt} has none", op.symbol()),
                )
                .at(le.span.to(re.span), "only `==` and `!=` apply here"),
            );
        }
        // A bound that can never be met is almost always a typo in the contract.
        for (field, literal, literal_on_right) in [(lt, re, true), (rt, le, false)] {
            if let (Ty::Bounded(lo, hi), ast::ExprKind::Quantity(q)) = (field, &literal.kind) {
                if q.unit.is_none() && (q.value < Decimal::from(*lo) || q.value > Decimal::from(*hi)) {
                    let op = if literal_on_right { op } else { flip(op) };
                    let never = match op {
                        ast::CmpOp::Gt | ast::CmpOp::Ge => q.value >= Decimal::from(*hi),
                        ast::CmpOp::Lt | ast::CmpOp::Le => q.value <= Decimal::from(*lo),
                        _ => true,
                    };
                    let always = !never;
                    self.error(
                        Diagnostic::error(
                            E_OUT_OF_RANGE,
                            format!("{} is outside the range {lo}..{hi} of this value", q.value),
                        )
                        .at(literal.span, format!("values run from {lo} to {hi}"))
                        .note(if always {
                            "so this comparison is always true"
                        } else {
                            "so this comparison is never true"
                        })
                        .help(format!("use a value from {lo} to {hi}, or correct the declared range")),
                    );
                }
            }
        }
    }

    pub(super) fn binary(
        &mut self,
        scope: &Scope,
        op: ast::BinaryOp,
        lhs: &ast::Expr,
        rhs: &ast::Expr,
        span: Span,
    ) -> (Ty, ir::Expr) {
        let text = self.program.sources.get(span.file).slice(span);
        if op == ast::BinaryOp::Div && looks_like_slashed_date(text) {
            self.error(
                Diagnostic::error(E_BAD_DATE, format!("`{text}` reads as a division, not a date"))
                    .at(span, "this divides three numbers")
                    .help("write dates as year-month-day, e.g. `2016-03-15`: day and month order differ between countries"),
            );
            return (Ty::Error, ir::Expr::Bool { value: false });
        }
        let (lt, lx) = self.expr(scope, lhs, None);
        let (rt, rx) = self.expr(
            scope,
            rhs,
            if matches!(op, ast::BinaryOp::And | ast::BinaryOp::Or) { Some(&Ty::Bool) } else { None },
        );
        let operator = match op {
            ast::BinaryOp::And | ast::BinaryOp::Or => {
                self.expect(lhs.span, &Ty::Bool, &lt, "`and`/`or`");
                self.expect(rhs.span, &Ty::Bool, &rt, "`and`/`or`");
                let flatten = |x: ir::Expr, and: bool| -> Vec<ir::Expr> {
                    match (x, and) {
                        (ir::Expr::And { operands }, true) => operands,
                        (ir::Expr::Or { operands }, false) => operands,
                        (x, _) => vec![x],
                    }
                };
                let and = op == ast::BinaryOp::And;
                let mut operands = flatten(lx, and);
                operands.extend(flatten(rx, and));
                let x = if and { ir::Expr::And { operands } } else { ir::Expr::Or { operands } };
                return (Ty::Bool, x);
            }
            ast::BinaryOp::Add => ir::BinaryOp::Add,
            ast::BinaryOp::Sub => ir::BinaryOp::Sub,
            ast::BinaryOp::Mul => ir::BinaryOp::Mul,
            ast::BinaryOp::Div => ir::BinaryOp::Div,
        };
        for (e, t) in [(lhs, &lt), (rhs, &rt)] {
            if matches!(t, Ty::Optional(_)) {
                self.optional_unhandled(e.span, t);
                return (Ty::Error, ir::Expr::Binary { operator, lhs: Box::new(lx), rhs: Box::new(rx) });
            }
        }
        let ty = self.arithmetic(op, (lhs, &lt), (rhs, &rt), span);
        (ty, elaborate_arithmetic(operator, (lx, &lt), (rx, &rt)))
    }

    pub(super) fn arithmetic(
        &mut self,
        op: ast::BinaryOp,
        (le, lt): (&ast::Expr, &Ty),
        (re, rt): (&ast::Expr, &Ty),
        span: Span,
    ) -> Ty {
        use ast::BinaryOp::*;
        if matches!(lt, Ty::Error) || matches!(rt, Ty::Error) {
            return Ty::Error;
        }
        let symbol = match op {
            Add => "+",
            Sub => "-",
            Mul => "*",
            _ => "/",
        };
        let result = match (op, lt, rt) {
            (Add | Sub, a, b) if a.is_numeric() && b.is_numeric() => {
                Some(if a.is_integer() && b.is_integer() { Ty::Int } else { Ty::Decimal })
            }
            (Add | Sub, Ty::Percent, Ty::Percent) => Some(Ty::Percent),
            (Add | Sub, Ty::Quantity(a), Ty::Quantity(b)) if a == b => Some(Ty::Quantity(a.clone())),
            (Add | Sub, Ty::Quantity(a), Ty::Quantity(b)) => {
                let (code, help) = unit_mismatch_help(a, b);
                let mut d = Diagnostic::error(
                    code,
                    format!(
                        "cannot {} {b} {} {a}",
                        if op == Add { "add" } else { "subtract" },
                        if op == Add { "to" } else { "from" }
                    ),
                )
                .at(re.span, format!("this is {b}"))
                .also(le.span, format!("this is {a}"));
                if let Some(h) = help {
                    d = d.help(h);
                }
                self.error(d);
                return Ty::Error;
            }
            (Add | Sub, Ty::Date, Ty::Quantity(d)) if d.is_duration() => Some(Ty::Date),
            (Add, Ty::Quantity(d), Ty::Date) if d.is_duration() => Some(Ty::Date),
            (Sub, Ty::Date, Ty::Date) => Some(Ty::Quantity(Dimension::of(Base::Day))),
            (Add | Sub, Ty::Date, n) | (Add, n, Ty::Date) if n.is_numeric() => {
                let number = if matches!(lt, Ty::Date) { re } else { le };
                let shown = match &number.kind {
                    ast::ExprKind::Quantity(q) => q.value.to_string(),
                    _ => "n".to_string(),
                };
                self.error(
                    Diagnostic::error(
                        E_DATE_PLUS_NUMBER,
                        format!(
                            "cannot {} a bare number and a date",
                            if op == Add { "add" } else { "subtract" }
                        ),
                    )
                    .at(number.span, "a number of what?")
                    .note("days, weeks, months and years are different lengths of calendar time")
                    .help(format!(
                        "say which: `{shown} days`, `{shown} weeks`, `{shown} months` or `{shown} years`"
                    )),
                );
                return Ty::Error;
            }
            (Mul, a, b) if a.is_numeric() && b.is_numeric() => {
                Some(if a.is_integer() && b.is_integer() { Ty::Int } else { Ty::Decimal })
            }
            (Mul, Ty::Quantity(d), n) | (Mul, n, Ty::Quantity(d)) if n.is_numeric() || *n == Ty::Percent => {
                Some(Ty::Quantity(d.clone()))
            }
            (Mul, Ty::Percent, n) | (Mul, n, Ty::Percent) if n.is_numeric() => Some(Ty::Decimal),
            (Mul, Ty::Quantity(a), Ty::Quantity(b)) => {
                let d = a.mul(b);
                Some(if d.is_dimensionless() { Ty::Decimal } else { Ty::Quantity(d) })
            }
            (Div, a, b) if a.is_numeric() && b.is_numeric() => Some(Ty::Decimal),
            (Div, Ty::Quantity(d), n) if n.is_numeric() => Some(Ty::Quantity(d.clone())),
            (Div, Ty::Quantity(a), Ty::Quantity(b)) => {
                let d = a.mul(&b.inverse());
                Some(if d.is_dimensionless() { Ty::Decimal } else { Ty::Quantity(d) })
            }
            (Div, n, Ty::Quantity(d)) if n.is_numeric() => Some(Ty::Quantity(d.inverse())),
            _ => None,
        };
        if op == Div {
            if let ast::ExprKind::Quantity(q) = &re.kind {
                if q.value.is_zero() {
                    self.error(
                        Diagnostic::error(E_DIVISION_BY_ZERO, "division by zero")
                            .at(re.span, "this is zero")
                            .help("a contract cannot divide by zero: check the figure"),
                    );
                    return Ty::Error;
                }
            }
        }
        match result {
            Some(ty) => ty,
            None => {
                self.error(
                    Diagnostic::error(E_TYPE_MISMATCH, format!("cannot apply `{symbol}` to {lt} and {rt}"))
                        .at(span, format!("{lt} {symbol} {rt}"))
                        .also(le.span, format!("this is {lt}"))
                        .also(re.span, format!("this is {rt}")),
                );
                Ty::Error
            }
        }
    }

    pub(super) fn path(
        &mut self,
        scope: &Scope,
        path: &[ast::Ident],
        span: Span,
        expected: Option<&Ty>,
    ) -> (Ty, ir::Expr) {
        let first = &path[0];
        let rest = &path[1..];
        let error = (Ty::Error, ir::Expr::Bool { value: false });
        // Where an enum is expected, a bare name that is one of its cases is that case, even
        // if an outcome or definition has the same name (`== full_time`).
        if rest.is_empty() {
            if let Some(Ty::Enum(enum_name)) = expected.map(strip_optional) {
                if self.enums.get(enum_name).is_some_and(|e| e.cases.contains(&first.name)) {
                    return self.enum_case(&enum_name.clone(), first);
                }
            }
        }
        // Parameters shadow everything else.
        if let Some((_, ty)) = scope.params.iter().find(|(n, _)| *n == first.name) {
            if !rest.is_empty() {
                self.error(
                    Diagnostic::error(E_UNKNOWN_FIELD, format!("`{}` has no fields", first.name))
                        .at(rest[0].span, "not a field"),
                );
                return error;
            }
            return (ty.clone(), ir::Expr::Param { name: first.name.clone() });
        }
        if first.name == "participant" {
            if scope.module > 0 {
                return error;
            }
            let Some(field) = rest.first() else {
                self.error(
                    Diagnostic::error(E_TYPE_MISMATCH, "`participant` on its own is not a value")
                        .at(span, "expected a field, such as `participant.born`"),
                );
                return error;
            };
            let Some(fields) = &self.participant else {
                self.quiet_errors += 1;
                return error;
            };
            match fields.get(&field.name) {
                Some(info) => {
                    return (info.ty.clone(), ir::Expr::ParticipantField { field: field.name.clone() });
                }
                None => {
                    let candidates: Vec<String> = self.participant_order.clone();
                    let span_decl = self
                        .items(0)
                        .iter()
                        .find(|i| matches!(i.kind, ast::ItemKind::Participant(_)))
                        .map(|i| i.span);
                    self.unknown_field("participants", field, &candidates, span_decl);
                    return error;
                }
            }
        }
        if let Some(event) = self.events.get(&first.name).cloned() {
            if scope.module > 0 {
                return error;
            }
            let Some(field) = rest.first() else {
                return (Ty::Event(first.name.clone()), ir::Expr::Bool { value: true });
            };
            match event.fields.get(&field.name) {
                Some(info) => {
                    self.events_read.insert(first.name.clone());
                    return (
                        info.ty.clone(),
                        ir::Expr::EventField { event: first.name.clone(), field: field.name.clone() },
                    );
                }
                None => {
                    self.unknown_field(
                        &format!("`{}` records", first.name),
                        field,
                        &event.order,
                        Some(event.span),
                    );
                    return error;
                }
            }
        }
        // Outcome dates: `job_entry.achieved`.
        if scope.module == 0 && self.individual_outcomes.contains_key(&first.name) {
            if rest.len() == 1 && rest[0].name == "achieved" {
                let own = scope.paying_for.as_deref() == Some(first.name.as_str());
                let allowed = own || scope.requires.as_ref().is_some_and(|r| r.contains(&first.name));
                if !allowed {
                    self.error(
                        Diagnostic::error(
                            E_UNREQUIRED_OUTCOME,
                            format!(
                                "this reads the date `{}` was achieved, but does not require it",
                                first.name
                            ),
                        )
                        .at(span, "this date exists only once that outcome is achieved")
                        .help(format!("add `requires {}` to this outcome", first.name)),
                    );
                }
                return (Ty::Date, ir::Expr::AchievedOn { outcome: first.name.clone() });
            }
            self.error(
                Diagnostic::error(E_TYPE_MISMATCH, format!("`{}` is an outcome, not a value", first.name))
                    .at(span, "an outcome is achieved or not; its date is `.achieved`")
                    .help(format!("write `{}.achieved` for the date it was achieved", first.name)),
            );
            return error;
        }
        // Names in this module, then in modules it uses.
        let (module, name, rest) = match self.program.modules[scope.module].imports.get(&first.name) {
            Some(&m) if !rest.is_empty() => (m, &rest[0], &rest[1..]),
            _ => (scope.module, first, rest),
        };
        match self.names.get(module, &name.name) {
            Some((Declared::Let, i, _)) => {
                let ast::ItemKind::Let(l) = &self.program.modules[module].ast.items[i].kind else {
                    return error;
                };
                let qualified = self.qualified(module, &l.name.name);
                if l.params.is_some() {
                    self.error(
                        Diagnostic::error(E_ARITY, format!("`{}` takes arguments", name.name))
                            .at(span, "used without them")
                            .also(l.name.span, "defined here")
                            .help(format!("call it: `{}(...)`", name.name)),
                    );
                    return error;
                }
                let Some((ty, _, events)) = self.ensure_let(module, l, Some(span)) else { return error };
                if !rest.is_empty() {
                    self.error(
                        Diagnostic::error(E_UNKNOWN_FIELD, format!("`{}` has no fields", name.name))
                            .at(rest[0].span, "not a field"),
                    );
                    return error;
                }
                self.events_read.extend(events);
                return (ty, ir::Expr::Ref { name: qualified });
            }
            Some((Declared::Enum | Declared::Bands, _, _)) => {
                let enum_name = self.qualified(module, &name.name);
                let Some(case) = rest.first() else {
                    self.error(
                        Diagnostic::error(E_TYPE_MISMATCH, format!("`{}` is a type, not a value", name.name))
                            .at(span, "expected one of its cases, such as `Group.ready`"),
                    );
                    return error;
                };
                return self.enum_case(&enum_name, case);
            }
            Some((kind, _, decl_span)) if rest.is_empty() || matches!(kind, Declared::Unit) => {
                self.error(
                    Diagnostic::error(
                        E_TYPE_MISMATCH,
                        format!("`{}` is {}, not a value", name.name, kind.noun()),
                    )
                    .at(span, "used as a value here")
                    .also(decl_span, "declared here"),
                );
                return error;
            }
            _ => {}
        }
        if !rest.is_empty() && module == scope.module {
            // `x.y` where x is nothing known.
        }
        // A bare enum case: by the expected type, or the one enum that has it.
        if rest.is_empty() {
            if let Some(Ty::Enum(enum_name)) = expected.map(strip_optional) {
                if self.enums.get(enum_name).is_some_and(|e| e.cases.contains(&name.name)) {
                    return self.enum_case(&enum_name.clone(), name);
                }
            }
            let owners: Vec<String> = self
                .enums
                .iter()
                .filter(|(_, e)| e.cases.contains(&name.name))
                .map(|(n, _)| n.clone())
                .collect();
            match owners.len() {
                1 => return self.enum_case(&owners[0], name),
                0 => {}
                _ => {
                    let mut d = Diagnostic::error(
                        E_AMBIGUOUS_CASE,
                        format!("`{}` is a case of several enums", name.name),
                    )
                    .at(
                        name.span,
                        format!(
                            "could be {}",
                            owners
                                .iter()
                                .map(|o| format!("`{o}.{}`", name.name))
                                .collect::<Vec<_>>()
                                .join(" or ")
                        ),
                    );
                    for o in &owners {
                        d = d.also(self.enums[o].span, format!("`{o}` has a case `{}`", name.name));
                    }
                    self.error(d.help(format!("say which: `{}.{}`", owners[0], name.name)));
                    return error;
                }
            }
        }
        if self.broken(&first.name) {
            self.quiet_errors += 1;
            return error;
        }
        let mut candidates: Vec<String> = self.names.modules[scope.module].keys().cloned().collect();
        candidates.extend(self.events.keys().cloned());
        candidates.extend(self.program.modules[scope.module].imports.keys().cloned());
        candidates.extend(scope.params.iter().map(|(n, _)| n.clone()));
        for e in self.enums.values() {
            candidates.extend(e.cases.iter().cloned());
        }
        if scope.module == 0 {
            candidates.push("participant".into());
        }
        let mut d = Diagnostic::error(E_UNKNOWN_NAME, format!("unknown name `{}`", first.name))
            .at(first.span, "not defined here");
        if let Some(s) = suggest(&first.name, candidates.iter().map(|s| s.as_str())) {
            d = d.help(format!("did you mean `{s}`?"));
        } else if self.program.modules[scope.module].imports.is_empty() && !rest.is_empty() {
            d = d.help(format!(
                "to use a module, add `use std.{}` or `use \"{}.pay\"` at the top",
                first.name, first.name
            ));
        }
        self.error(d);
        error
    }

    pub(super) fn unknown_field(
        &mut self,
        owner: &str,
        field: &ast::Ident,
        candidates: &[String],
        decl: Option<Span>,
    ) {
        let mut d = Diagnostic::error(E_UNKNOWN_FIELD, format!("{owner} have no field `{}`", field.name))
            .at(field.span, "unknown field");
        if let Some(span) = decl {
            d = d.also(span, "declared here");
        }
        d = match suggest(&field.name, candidates.iter().map(|s| s.as_str())) {
            Some(s) => d.help(format!("did you mean `{s}`?")),
            None => d.note(format!(
                "the fields are: {}",
                candidates.iter().map(|c| format!("`{c}`")).collect::<Vec<_>>().join(", ")
            )),
        };
        self.error(d);
    }

    pub(super) fn enum_case(&mut self, enum_name: &str, case: &ast::Ident) -> (Ty, ir::Expr) {
        let info = &self.enums[enum_name];
        if info.cases.contains(&case.name) {
            return (
                Ty::Enum(enum_name.to_string()),
                ir::Expr::Case { enum_name: enum_name.to_string(), case: case.name.clone() },
            );
        }
        let cases = info.cases.clone();
        let decl = info.span;
        let mut d = Diagnostic::error(E_BAD_CASE, format!("`{enum_name}` has no case `{}`", case.name))
            .at(case.span, "not a case of this enum")
            .also(decl, "declared here");
        d = match suggest(&case.name, cases.iter().map(|s| s.as_str())) {
            Some(s) => d.help(format!("did you mean `{s}`?")),
            None => d.note(format!("the cases are: {}", cases.join(", "))),
        };
        self.error(d);
        (Ty::Error, ir::Expr::Bool { value: false })
    }

    pub(super) fn call(
        &mut self,
        scope: &Scope,
        callee: &[ast::Ident],
        args: &[ast::Expr],
        span: Span,
    ) -> (Ty, ir::Expr) {
        let error = (Ty::Error, ir::Expr::Bool { value: false });
        let (module, name) = match callee {
            [m, n] => match self.program.modules[scope.module].imports.get(&m.name) {
                Some(&module) => (module, n),
                None => {
                    self.error(
                        Diagnostic::error(E_UNKNOWN_NAME, format!("unknown module `{}`", m.name))
                            .at(m.span, "no module is used under this name")
                            .help(format!(
                                "add `use std.{}` (or `use \"{}.pay\"`) at the top",
                                m.name, m.name
                            )),
                    );
                    return error;
                }
            },
            [n] => (scope.module, n),
            _ => {
                self.error(
                    Diagnostic::error(E_UNKNOWN_NAME, "cannot call this")
                        .at(span, "expected a function name such as `calendar.birthday`"),
                );
                return error;
            }
        };
        match self.names.get(module, &name.name) {
            Some((Declared::Let, i, _)) => {
                let ast::ItemKind::Let(l) = &self.program.modules[module].ast.items[i].kind else {
                    return error;
                };
                let Some(params) = &l.params else {
                    self.error(
                        Diagnostic::error(E_ARITY, format!("`{}` is a value, not a function", name.name))
                            .at(span, "called with arguments")
                            .also(l.name.span, "defined here without parameters")
                            .help(format!("write `{}` without `(...)`", name.name)),
                    );
                    return error;
                };
                let Some((ty, param_tys, _)) = self.ensure_let(module, l, Some(span)) else { return error };
                if params.len() != args.len() {
                    self.arity(name, params.len(), args.len(), span, Some(l.name.span));
                }
                let mut ir_args = Vec::new();
                for (i, a) in args.iter().enumerate() {
                    let expected = param_tys.get(i);
                    let (t, x) = self.expr(scope, a, expected);
                    if let Some(p) = expected {
                        let context = format!("argument `{}`", params[i].name.name);
                        self.expect(a.span, p, &t, &context);
                    }
                    ir_args.push(x);
                }
                (ty, ir::Expr::Call { function: self.qualified(module, &name.name), args: ir_args })
            }
            Some((Declared::Bands, _, _)) => {
                let bands = self.qualified(module, &name.name);
                let of = self.enums[&bands].bands_of.clone().unwrap_or(Ty::Error);
                if args.len() != 1 {
                    self.arity(name, 1, args.len(), span, None);
                    return error;
                }
                let (t, x) = self.expr(scope, &args[0], Some(&of));
                self.expect(args[0].span, &of, &t, "the value to classify");
                (Ty::Enum(bands.clone()), ir::Expr::Classify { bands, value: Box::new(x) })
            }
            Some((kind, _, _)) => {
                self.error(
                    Diagnostic::error(
                        E_TYPE_MISMATCH,
                        format!("`{}` is {}, not a function", name.name, kind.noun()),
                    )
                    .at(span, "cannot be called"),
                );
                error
            }
            None => {
                let Some((_, arity)) = BUILTINS.iter().find(|(n, _)| *n == name.name && callee.len() == 1)
                else {
                    let mut candidates: Vec<String> = BUILTINS.iter().map(|(n, _)| n.to_string()).collect();
                    candidates.extend(self.names.modules[module].keys().cloned());
                    let mut d =
                        Diagnostic::error(E_UNKNOWN_NAME, format!("unknown function `{}`", name.name))
                            .at(name.span, "not defined here");
                    if let Some(s) = suggest(&name.name, candidates.iter().map(|s| s.as_str())) {
                        d = d.help(format!("did you mean `{s}`?"));
                    }
                    self.error(d);
                    return error;
                };
                if args.len() != *arity {
                    self.arity(name, *arity, args.len(), span, None);
                }
                let mut ir_args = Vec::new();
                for a in args {
                    let (t, x) = self.expr(scope, a, Some(&Ty::Date));
                    self.expect(a.span, &Ty::Date, &t, &format!("`{}`", name.name));
                    ir_args.push(x);
                }
                let ty = if name.name == "age" { Ty::Int } else { Ty::Date };
                (ty, ir::Expr::Builtin { function: name.name.clone(), args: ir_args })
            }
        }
    }

    pub(super) fn arity(
        &mut self,
        name: &ast::Ident,
        expected: usize,
        found: usize,
        span: Span,
        decl: Option<Span>,
    ) {
        let signature = BUILTIN_SIGNATURES.iter().find(|(n, _)| *n == name.name).map(|(_, s)| *s);
        let mut d = Diagnostic::error(
            E_ARITY,
            format!(
                "`{}` takes {expected} argument{}, but {found} {} given",
                name.name,
                plural(expected),
                if found == 1 { "was" } else { "were" }
            ),
        )
        .at(span, format!("{found} argument{} here", plural(found)));
        if let Some(s) = decl {
            d = d.also(s, "defined here");
        }
        if let Some(signature) = signature {
            d = d.help(format!("write `{signature}`"));
        }
        self.error(d);
    }

    pub(super) fn aggregate(&mut self, scope: &Scope, a: &ast::Aggregate, span: Span) -> (Ty, ir::Expr) {
        let error = (Ty::Error, ir::Expr::Bool { value: false });
        let Some(event) = self.events.get(&a.event.name).cloned() else {
            if self.broken(&a.event.name) {
                return error;
            }
            let candidates: Vec<String> = self.events.keys().cloned().collect();
            let mut d = Diagnostic::error(E_UNKNOWN_NAME, format!("unknown event `{}`", a.event.name))
                .at(a.event.span, "not an event declared here");
            if let Some(s) = suggest(&a.event.name, candidates.iter().map(|s| s.as_str())) {
                d = d.help(format!("did you mean `{s}`?"));
            }
            self.error(d);
            return error;
        };
        let field_ty = match &a.field {
            Some(f) => match event.fields.get(&f.name) {
                Some(info) => Some(info.ty.clone()),
                None => {
                    self.unknown_field(
                        &format!("`{}` records", a.event.name),
                        f,
                        &event.order,
                        Some(event.span),
                    );
                    return error;
                }
            },
            None => None,
        };
        let ty = match (a.function, &field_ty) {
            (ast::AggregateFn::Count, _) => Ty::Int,
            (_, None) => {
                self.error(Diagnostic::error(E_TYPE_MISMATCH, "this needs a field to add up or compare").at(
                    span,
                    format!(
                        "expected a field, such as `{}.{}`",
                        a.event.name,
                        event.order.last().cloned().unwrap_or_default()
                    ),
                ));
                return error;
            }
            (_, Some(Ty::Optional(_))) => {
                self.optional_unhandled(span, field_ty.as_ref().unwrap_or(&Ty::Error));
                return error;
            }
            (ast::AggregateFn::Min | ast::AggregateFn::Max, Some(t)) => t.clone(),
            (ast::AggregateFn::Sum | ast::AggregateFn::Mean, Some(t)) if t.is_numeric() => {
                if a.function == ast::AggregateFn::Mean { Ty::Decimal } else { widen(t.clone()) }
            }
            (_, Some(t @ (Ty::Quantity(_) | Ty::Percent))) => t.clone(),
            (_, Some(t)) => {
                self.error(
                    Diagnostic::error(E_TYPE_MISMATCH, format!("cannot add up {t}"))
                        .at(span, "`sum` and `mean` need numbers or quantities"),
                );
                return error;
            }
        };
        // With no records there is no minimum, maximum or mean: the contract must say what
        // then (`?? ...`). A sum or count of nothing is zero.
        let ty = match a.function {
            ast::AggregateFn::Min | ast::AggregateFn::Max | ast::AggregateFn::Mean => {
                Ty::Optional(Box::new(ty))
            }
            _ => ty,
        };
        let saved = std::mem::take(&mut self.events_read);
        let filter = match &a.filter {
            Some(f) => {
                let (t, x) = self.expr(scope, f, Some(&Ty::Bool));
                self.expect(f.span, &Ty::Bool, &t, "the `where` filter");
                x
            }
            None => ir::Expr::Bool { value: true },
        };
        let filter_events = std::mem::replace(&mut self.events_read, saved);
        if let Some(other) = filter_events.iter().find(|e| **e != a.event.name) {
            self.error(
                Diagnostic::error(
                    E_AMBIGUOUS_EVENT,
                    format!("this filter on `{}` records reads `{other}`", a.event.name),
                )
                .at(
                    a.filter.as_ref().map(|f| f.span).unwrap_or(span),
                    format!("reads {}", list_names(&filter_events)),
                )
                .help(format!(
                    "a filter can only read the fields of the records it filters: `{}`",
                    a.event.name
                )),
            );
        }
        let window = match &a.window {
            Some(w) => Some(Box::new(self.window(scope, w))),
            None if scope.unwindowed_aggregates => {
                self.events_read.insert(a.event.name.clone());
                None
            }
            None => {
                self.error(
                    Diagnostic::error(E_AGGREGATE_WITHOUT_WINDOW, format!("over which records of `{}`?", a.event.name))
                        .at(span, "this aggregate has no window")
                        .help("add a window: `within 12 months after participant.referred`, or use it inside `in at least N of the M ...`"),
                );
                None
            }
        };
        let function = match a.function {
            ast::AggregateFn::Sum => ir::AggregateFn::Sum,
            ast::AggregateFn::Count => ir::AggregateFn::Count,
            ast::AggregateFn::Mean => ir::AggregateFn::Mean,
            ast::AggregateFn::Min => ir::AggregateFn::Min,
            ast::AggregateFn::Max => ir::AggregateFn::Max,
        };
        (
            ty,
            ir::Expr::Aggregate {
                function,
                event: a.event.name.clone(),
                field: a.field.as_ref().map(|f| f.name.clone()),
                filter: Box::new(filter),
                window,
            },
        )
    }

    /// A participant-level value: one per participant, reading no event record directly.
    pub(super) fn participant_value(
        &mut self,
        scope: &Scope,
        e: &ast::Expr,
        expected: Option<&Ty>,
        what: &str,
    ) -> (Ty, ir::Expr) {
        let saved = std::mem::take(&mut self.events_read);
        let (ty, x) = self.expr(scope, e, expected);
        let read = std::mem::replace(&mut self.events_read, saved);
        if !read.is_empty() {
            let event = read.iter().next().cloned().unwrap_or_default();
            let example = if expected == Some(&Ty::Date) {
                format!(
                    "`min of {event}.<date field> within 12 months after participant.referred ?? participant.referred`"
                )
            } else {
                format!("`count of {event} within 12 months after participant.referred`")
            };
            self.error(
                Diagnostic::error(
                    E_EVENT_IN_PARTICIPANT_CONTEXT,
                    format!(
                        "{what} must have one value per participant, but this reads {}",
                        list_names(&read)
                    ),
                )
                .at(e.span, "a participant can have many such records")
                .help(format!(
                    "read a participant field, or summarise the records over a window, e.g. {example}"
                )),
            );
        }
        (ty, x)
    }

    pub(super) fn anchor_date(&mut self, scope: &Scope, e: &ast::Expr) -> ir::Expr {
        let (ty, x) = self.participant_value(scope, e, Some(&Ty::Date), "a window's start");
        if !ty.is_date() {
            if matches!(ty, Ty::Optional(_)) {
                self.optional_unhandled(e.span, &ty);
            } else {
                self.error(
                    Diagnostic::error(E_TYPE_MISMATCH, format!("a window starts on a date, not {ty}"))
                        .at(e.span, "expected a date such as `participant.referred`"),
                );
            }
        }
        x
    }

    /// A definition whose value is a fixed length (`let follow_up = 12 months`, as modules
    /// name the lengths contracts keep using) stands for that length, so that it can be a
    /// window's length; anything else is returned as it is.
    fn fixed_length(&self, x: ir::Expr) -> ir::Expr {
        let mut x = x;
        // A definition cannot depend on itself (E0007), so the chain ends; the bound is for
        // safety alone.
        for _ in 0..64 {
            let ir::Expr::Ref { name } = &x else { break };
            let Some(d) = self.out.definitions.iter().find(|d| d.name == *name && d.params.is_empty()) else {
                break;
            };
            x = d.body.clone();
        }
        x
    }

    pub(super) fn duration(
        &mut self,
        scope: &Scope,
        e: &ast::Expr,
        what: &str,
    ) -> Option<(ir::Quantity, Dimension)> {
        let (ty, x) = self.participant_value(scope, e, None, what);
        match (&ty, self.fixed_length(x)) {
            (Ty::Quantity(d), ir::Expr::Quantity { value, unit }) if d.is_duration() => {
                Some((ir::Quantity { value, unit }, d.clone()))
            }
            (Ty::Error, _) => None,
            (Ty::Quantity(d), _) if d.is_duration() => {
                self.error(
                    Diagnostic::error(E_TYPE_MISMATCH, format!("{what} must be written as a fixed length"))
                        .at(e.span, "expected a length such as `26 months`"),
                );
                None
            }
            (t, _) => {
                let mut d = Diagnostic::error(
                    E_TYPE_MISMATCH,
                    format!("{what} must be a length of calendar time, not {t}"),
                )
                .at(e.span, "expected a duration such as `26 months`, `13 weeks` or `90 days`");
                if t.is_numeric() {
                    d = d.help("give the number its unit: `days`, `weeks`, `months` or `years`");
                }
                self.error(d);
                None
            }
        }
    }

    pub(super) fn window(&mut self, scope: &Scope, w: &ast::Window) -> ir::Window {
        let span = self.ir_span(w.span);
        let inner = Scope { unwindowed_aggregates: false, ..scope.clone() };
        match &w.kind {
            ast::WindowKind::Within { length, anchor, start } => {
                let date = self.anchor_date(&inner, start);
                let length = self
                    .duration(&inner, length, "a window's length")
                    .map(|(q, _)| q)
                    .unwrap_or(ir::Quantity { value: Decimal::ZERO, unit: "day".into() });
                ir::Window {
                    start: ir::Anchor { date, starts: starts(*anchor) },
                    end: ir::WindowEnd::Length { length },
                    span,
                }
            }
            ast::WindowKind::Between { from, to } => {
                let start = self.anchor_date(&inner, from);
                let end = self.anchor_date(&inner, to);
                if let (ast::ExprKind::Date(a), ast::ExprKind::Date(b)) = (&from.kind, &to.kind) {
                    if a.text > b.text {
                        self.error(
                            Diagnostic::error(E_BAD_PERIOD, "this window ends before it starts")
                                .at(to.span, "the end")
                                .also(from.span, "is before the start"),
                        );
                    }
                }
                ir::Window {
                    start: ir::Anchor { date: start, starts: ir::AnchorStart::SameDay },
                    end: ir::WindowEnd::Date { date: end },
                    span,
                }
            }
            ast::WindowKind::After(anchor) => {
                let date = self.anchor_date(&inner, anchor);
                ir::Window {
                    start: ir::Anchor { date, starts: ir::AnchorStart::DayAfter },
                    end: ir::WindowEnd::AchievableEnd,
                    span,
                }
            }
        }
    }
}

/// Arithmetic whose meaning depends on types becomes its own IR construct, so that no reader
/// of the IR needs the types: calendar shifts of dates, days between dates, and percentages
/// used as fractions (`10% * 1_000 GBP` is 100 GBP).
fn elaborate_arithmetic(
    operator: ir::BinaryOp,
    (lx, lt): (ir::Expr, &Ty),
    (rx, rt): (ir::Expr, &Ty),
) -> ir::Expr {
    let duration_unit = |t: &Ty| match t {
        Ty::Quantity(d) if d.is_duration() => Some(d.canonical_unit()),
        _ => None,
    };
    let subtract = operator == ir::BinaryOp::Sub;
    match (lt, rt) {
        (Ty::Date, Ty::Date) if subtract => ir::Expr::DaysBetween { from: Box::new(rx), to: Box::new(lx) },
        (Ty::Date, other) if duration_unit(other).is_some() => ir::Expr::ShiftDate {
            date: Box::new(lx),
            by: Box::new(rx),
            unit: duration_unit(other).unwrap_or_default(),
            backwards: subtract,
        },
        (other, Ty::Date) if duration_unit(other).is_some() => ir::Expr::ShiftDate {
            date: Box::new(rx),
            by: Box::new(lx),
            unit: duration_unit(other).unwrap_or_default(),
            backwards: false,
        },
        _ => {
            let fraction = |x: ir::Expr, t: &Ty| {
                if *t == Ty::Percent && matches!(operator, ir::BinaryOp::Mul | ir::BinaryOp::Div) {
                    ir::Expr::Binary {
                        operator: ir::BinaryOp::Div,
                        lhs: Box::new(x),
                        rhs: Box::new(ir::Expr::Int { value: 100 }),
                    }
                } else {
                    x
                }
            };
            let percent_with_percent = *lt == Ty::Percent && *rt == Ty::Percent;
            let (lx, rx) = if percent_with_percent { (lx, rx) } else { (fraction(lx, lt), fraction(rx, rt)) };
            let product = ir::Expr::Binary { operator, lhs: Box::new(lx), rhs: Box::new(rx) };
            let dimension = |t: &Ty| match t {
                Ty::Quantity(d) => d.clone(),
                _ => Dimension::default(),
            };
            let (multiply, divide) = match operator {
                ir::BinaryOp::Mul => dimension(lt).canonical_rescale(&dimension(rt), false),
                ir::BinaryOp::Div => dimension(lt).canonical_rescale(&dimension(rt), true),
                _ => (1, 1),
            };
            let scale = |x: ir::Expr, operator: ir::BinaryOp, by: i64| {
                if by == 1 {
                    x
                } else {
                    ir::Expr::Binary {
                        operator,
                        lhs: Box::new(x),
                        rhs: Box::new(ir::Expr::Int { value: by }),
                    }
                }
            };
            scale(scale(product, ir::BinaryOp::Mul, multiply), ir::BinaryOp::Div, divide)
        }
    }
}
