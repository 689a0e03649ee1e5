//! Outcomes, payments and cohort outcomes.

use super::*;

impl<'a> Checker<'a> {
    pub(super) fn requires_closure(&self, name: &str) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        let mut stack = vec![name.to_string()];
        while let Some(n) = stack.pop() {
            for r in self.individual_outcomes.get(&n).into_iter().flatten() {
                if out.insert(r.clone()) {
                    stack.push(r.clone());
                }
            }
        }
        out
    }

    pub(super) fn outcome_refs(&mut self, list: &[ast::Ident], what: &str) -> Vec<String> {
        let mut out = Vec::new();
        for r in list {
            if self.individual_outcomes.contains_key(&r.name) {
                out.push(r.name.clone());
            } else if self.cohort_outcomes.contains(&r.name) {
                self.error(
                    Diagnostic::error(
                        E_OUTCOME_KIND,
                        format!("`{}` is a cohort outcome; {what} names individual outcomes", r.name),
                    )
                    .at(r.span, "a cohort outcome is not achieved by one participant"),
                );
            } else if !self.broken(&r.name) {
                let candidates: Vec<String> = self.individual_outcomes.keys().cloned().collect();
                let mut d = Diagnostic::error(E_UNKNOWN_NAME, format!("unknown outcome `{}`", r.name))
                    .at(r.span, "no outcome has this name");
                if let Some(s) = suggest(&r.name, candidates.iter().map(|s| s.as_str())) {
                    d = d.help(format!("did you mean `{s}`?"));
                }
                self.error(d);
            }
        }
        out
    }

    pub(super) fn outcome(&mut self, item: &ast::Item, o: &ast::OutcomeDecl) {
        let scope =
            Scope { module: 0, requires: Some(self.requires_closure(&o.name.name)), ..Scope::default() };
        let mut condition = None;
        let mut payment = None;
        let mut eligible = None;
        let mut requires = Vec::new();
        let mut excludes = Vec::new();
        let mut repeats = None;
        let mut caps = ir::OutcomeCaps { payments: None, amount: None };
        let mut claim_within = None;
        let mut seen: BTreeMap<&'static str, Span> = BTreeMap::new();
        for clause in &o.clauses {
            let key = match &clause.kind {
                ast::OutcomeClauseKind::Achieved(_) => "`achieved when`",
                ast::OutcomeClauseKind::Pays(_) => "`pays`",
                ast::OutcomeClauseKind::Eligible(_) => "`eligible when`",
                ast::OutcomeClauseKind::Repeats { .. } => "`repeats`",
                ast::OutcomeClauseKind::VolumeCap { .. } => "cap on payments",
                ast::OutcomeClauseKind::MoneyCap(_) => "cap on the amount",
                ast::OutcomeClauseKind::ClaimWithin(_) => "`claim within`",
                _ => "",
            };
            if !key.is_empty() {
                if let Some(first) = seen.get(key) {
                    self.error(
                        Diagnostic::error(
                            E_INCOMPLETE_OUTCOME,
                            format!("outcome `{}` gives {key} twice", o.name.name),
                        )
                        .at(clause.span, "given again here")
                        .also(*first, "first given here")
                        .help("combine them into one clause (with `and` or `or` for conditions)"),
                    );
                    continue;
                }
                seen.insert(key, clause.span);
            }
            match &clause.kind {
                ast::OutcomeClauseKind::Achieved(c) => {
                    let errors_before = self.diagnostics.len();
                    condition = self.condition(&scope, c);
                    if let Some(checked) =
                        condition.as_ref().filter(|_| self.diagnostics.len() == errors_before)
                    {
                        self.check_dated(checked, false);
                    }
                }
                ast::OutcomeClauseKind::Pays(p) => {
                    let paying = Scope { paying_for: Some(o.name.name.clone()), ..scope.clone() };
                    payment = self.payment(&paying, p, clause.span, false)
                }
                ast::OutcomeClauseKind::Eligible(e) => {
                    let (t, x) = self.participant_value(&scope, e, Some(&Ty::Bool), "eligibility");
                    self.expect(e.span, &Ty::Bool, &t, "eligibility");
                    eligible = Some(x);
                }
                ast::OutcomeClauseKind::Requires(list) => {
                    requires.extend(self.outcome_refs(list, "`requires`"))
                }
                ast::OutcomeClauseKind::Excludes(list) => {
                    let ir_span = self.ir_span(clause.span);
                    for name in self.outcome_refs(list, "`excludes`") {
                        if name == o.name.name {
                            self.error(
                                Diagnostic::error(E_REQUIRES_CYCLE, format!("`{}` excludes itself", name))
                                    .at(clause.span, "an outcome cannot exclude itself"),
                            );
                            continue;
                        }
                        excludes.push((name, ir_span));
                    }
                }
                ast::OutcomeClauseKind::Repeats { times } => {
                    if *times == 0 {
                        self.error(
                            Diagnostic::error(
                                E_IMPOSSIBLE_COUNT,
                                "an outcome that repeats at most 0 times is never paid",
                            )
                            .at(clause.span, "expected 1 or more"),
                        );
                    }
                    repeats = Some(*times);
                }
                ast::OutcomeClauseKind::VolumeCap { payments } => caps.payments = Some(*payments),
                ast::OutcomeClauseKind::MoneyCap(q) => caps.amount = self.money(q, "the outcome's cap"),
                ast::OutcomeClauseKind::ClaimWithin(e) => {
                    claim_within = self.duration(&scope, e, "the claim period").map(|(q, _)| q)
                }
            }
        }
        for (present, what, example) in [
            (seen.contains_key("`achieved when`"), "when it is achieved", "achieved when ..."),
            (seen.contains_key("`pays`"), "what it pays", "pays 1_000 GBP"),
        ] {
            if !present {
                self.error(
                    Diagnostic::error(
                        E_INCOMPLETE_OUTCOME,
                        format!("outcome `{}` does not say {what}", o.name.name),
                    )
                    .at(o.name.span, format!("add `{example}`")),
                );
            }
        }
        let (Some(condition), Some(payment)) = (condition, payment) else { return };
        self.out.outcomes.push(CheckedOutcome {
            name: o.name.name.clone(),
            title: o.title.clone(),
            docs: item.docs.clone(),
            eligible,
            condition,
            payment,
            requires,
            excludes,
            repeats,
            caps,
            claim_within,
            span: self.ir_span(item.span),
        });
    }

    pub(super) fn amount(&mut self, scope: &Scope, e: &ast::Expr) -> ir::Expr {
        let (t, x) = self.participant_value(scope, e, None, "a payment");
        self.expect_money(&t, e.span, "a payment");
        x
    }

    pub(super) fn payment(
        &mut self,
        scope: &Scope,
        p: &ast::Pays,
        span: Span,
        cohort: bool,
    ) -> Option<ir::Payment> {
        let ir_span = self.ir_span(span);
        Some(match p {
            ast::Pays::Amount(e) => ir::Payment::Amount { amount: self.amount(scope, e), span: ir_span },
            ast::Pays::By { on, cases } => {
                if cohort {
                    self.error(
                        Diagnostic::error(E_OUTCOME_KIND, "a cohort outcome pays once for the cohort, so it cannot pay by a participant's case")
                            .at(on.span, "this differs from one participant to the next")
                            .help("pay a fixed amount, `tiers`, or an amount `per point above` a threshold"),
                    );
                    return None;
                }
                let (t, on_x) = self.participant_value(scope, on, None, "the value prices depend on");
                let enum_name = match &t {
                    Ty::Enum(n) => n.clone(),
                    Ty::Error => return None,
                    other => {
                        self.error(
                            Diagnostic::error(
                                E_TYPE_MISMATCH,
                                format!("`pays by` needs a value with named cases, not {other}"),
                            )
                            .at(on.span, "expected an enum or bands, such as `participant.group`"),
                        );
                        return None;
                    }
                };
                let all_cases = self.enums[&enum_name].cases.clone();
                let mut given: BTreeMap<String, Span> = BTreeMap::new();
                let mut ir_cases: Vec<(String, ir::Expr, bool)> = Vec::new();
                let mut otherwise: Option<(ir::Expr, Span)> = None;
                // A misspelt case is reported once, as a misspelling, not again as missing.
                let mut misspelt = false;
                for case in cases {
                    let amount = self.amount(scope, &case.amount);
                    match &case.case {
                        None => {
                            if otherwise.is_some() {
                                self.error(
                                    Diagnostic::error(E_BAD_CASE, "`otherwise` is given twice")
                                        .at(case.span, "given again here"),
                                );
                            }
                            otherwise = Some((amount, case.span));
                        }
                        Some(c) => {
                            if !all_cases.contains(&c.name) {
                                self.enum_case(&enum_name, c);
                                misspelt = true;
                                continue;
                            }
                            if let Some(first) = given.get(&c.name) {
                                self.error(
                                    Diagnostic::error(
                                        E_BAD_CASE,
                                        format!("case `{}` is priced twice", c.name),
                                    )
                                    .at(c.span, "priced again here")
                                    .also(*first, "first priced here"),
                                );
                                continue;
                            }
                            given.insert(c.name.clone(), c.span);
                            ir_cases.push((c.name.clone(), amount, false));
                        }
                    }
                }
                let missing: Vec<String> =
                    all_cases.iter().filter(|c| !given.contains_key(*c)).cloned().collect();
                match (&otherwise, missing.is_empty()) {
                    (None, false) if !misspelt => {
                        let currency = self.currency.clone().unwrap_or_else(|| "GBP".into());
                        self.error(
                            Diagnostic::error(E_NON_EXHAUSTIVE, format!("no price for {}", missing.iter().map(|m| format!("`{m}`")).collect::<Vec<_>>().join(", ")))
                                .at(on.span, format!("participants in {} would be paid nothing, silently", if missing.len() == 1 { "this case" } else { "these cases" }))
                                .also(self.enums[&enum_name].span, format!("`{enum_name}` declared here"))
                                .help(format!("price every case, e.g. `{}: 0 {currency}` if it really pays nothing, or add `otherwise: ...`", missing[0])),
                        );
                    }
                    (Some((_, s)), true) => {
                        self.error(
                            Diagnostic::error(
                                E_BAD_CASE,
                                "`otherwise` can never apply: every case is priced",
                            )
                            .at(*s, "unreachable")
                            .help("remove it"),
                        );
                    }
                    _ => {}
                }
                // Cases in declaration order, so that the IR does not depend on how the
                // source ordered them.
                let mut ordered = Vec::new();
                for c in &all_cases {
                    if let Some((_, amount, _)) = ir_cases.iter().find(|(n, _, _)| n == c) {
                        ordered.push(ir::PaymentCase {
                            case: c.clone(),
                            amount: amount.clone(),
                            from_otherwise: false,
                        });
                    } else if let Some((amount, _)) = &otherwise {
                        ordered.push(ir::PaymentCase {
                            case: c.clone(),
                            amount: amount.clone(),
                            from_otherwise: true,
                        });
                    }
                }
                ir::Payment::ByCase { on: on_x, cases: ordered, span: ir_span }
            }
            ast::Pays::Tiers(tiers) => {
                if !cohort {
                    self.error(
                        Diagnostic::error(
                            E_OUTCOME_KIND,
                            "tiers pay by how far a cohort's measure goes, so they belong to cohort outcomes",
                        )
                        .at(span, "in an individual outcome")
                        .help("price an individual outcome with an amount or `pays by`"),
                    );
                    return None;
                }
                let mut out = Vec::new();
                let expected = self.tier_type.clone();
                let mut previous: Option<(Decimal, Span)> = None;
                for t in tiers {
                    let (ty, from) =
                        self.participant_value(scope, &t.from, expected.as_ref(), "a tier's threshold");
                    if let Some(expected) = &expected {
                        if !self.comparable(expected, &ty) {
                            self.mismatch(
                                t.from.span,
                                expected,
                                &ty,
                                "a tier (tiers are compared with what the cohort achieves)",
                            );
                        }
                    }
                    let value = match &from {
                        ir::Expr::Percent { value }
                        | ir::Expr::Decimal { value }
                        | ir::Expr::Quantity { value, .. } => Some(*value),
                        ir::Expr::Int { value } => Some(Decimal::from(*value)),
                        _ => None,
                    };
                    if let (Some(value), Some((before, before_span))) = (value, previous) {
                        if value <= before {
                            let sources = &self.program.sources;
                            let this = sources.get(t.from.span.file).slice(t.from.span).to_string();
                            let that = sources.get(before_span.file).slice(before_span).to_string();
                            self.error(
                                Diagnostic::error(E_TIERS_ORDER, format!("this tier starts at {this}, not above the tier before ({that})"))
                                    .at(t.from.span, "not above the tier before")
                                    .also(before_span, "the tier before")
                                    .note("the highest tier reached is paid, so tiers are listed from the lowest threshold up")
                                    .help("list the tiers in increasing order, each threshold above the last"),
                            );
                        }
                    }
                    if let Some(value) = value {
                        previous = Some((value, t.from.span));
                    }
                    out.push(ir::Tier { from, amount: self.amount(scope, &t.amount) });
                }
                ir::Payment::Tiers { tiers: out, span: ir_span }
            }
            ast::Pays::PerPoint { rate, above } => {
                if !cohort {
                    self.error(
                        Diagnostic::error(
                            E_OUTCOME_KIND,
                            "paying per point above a threshold is for cohort outcomes",
                        )
                        .at(span, "in an individual outcome"),
                    );
                    return None;
                }
                let value = self.money(rate, "the rate per point")?;
                let (_, above) = self.participant_value(scope, above, None, "the threshold");
                let unit = self.currency.clone().unwrap_or_default();
                ir::Payment::PerPoint { rate: ir::Quantity { value, unit }, above, span: ir_span }
            }
        })
    }

    pub(super) fn cohort(&mut self, item: &ast::Item, c: &ast::CohortDecl) {
        let scope = Scope::default();
        let mut members = None;
        let mut target = None;
        let mut measure = None;
        let mut payment = None;
        let mut caps = ir::OutcomeCaps { payments: None, amount: None };
        let mut claim_within = None;
        for clause in &c.clauses {
            match &clause.kind {
                ast::CohortClauseKind::Members(m) => {
                    members = Some(match m {
                        ast::CohortMembers::All => ir::Expr::Bool { value: true },
                        ast::CohortMembers::Where(e) => {
                            let (t, x) =
                                self.participant_value(&scope, e, Some(&Ty::Bool), "cohort membership");
                            self.expect(e.span, &Ty::Bool, &t, "cohort membership");
                            x
                        }
                        ast::CohortMembers::DateRange { field, from, to } => {
                            let path = vec![
                                ast::Ident { name: "participant".into(), span: field.span },
                                field.clone(),
                            ];
                            let (t, x) = self.path(&scope, &path, field.span, None);
                            self.expect(field.span, &Ty::Date, &t, "a cohort by dates");
                            let (a, b) = (self.parse_date(from), self.parse_date(to));
                            if let (Some(a), Some(b)) = (a, b) {
                                if a > b {
                                    self.error(
                                        Diagnostic::error(
                                            E_BAD_PERIOD,
                                            "this cohort's dates are in the wrong order",
                                        )
                                        .at(to.span, format!("{b} is before {a}")),
                                    );
                                }
                            }
                            ir::Expr::And {
                                operands: vec![
                                    ir::Expr::Compare {
                                        operator: ir::CmpOp::Ge,
                                        lhs: Box::new(x.clone()),
                                        rhs: Box::new(ir::Expr::Date { value: from.text.clone() }),
                                    },
                                    ir::Expr::Compare {
                                        operator: ir::CmpOp::Le,
                                        lhs: Box::new(x),
                                        rhs: Box::new(ir::Expr::Date { value: to.text.clone() }),
                                    },
                                ],
                            }
                        }
                    })
                }
                ast::CohortClauseKind::Achieved(cond) => {
                    let (m, t) = self.cohort_condition(&scope, cond);
                    measure = m;
                    target = t;
                }
                // Priced after the loop: tiers are checked against the measure.
                ast::CohortClauseKind::Pays(_) => {}
                ast::CohortClauseKind::MoneyCap(q) => caps.amount = self.money(q, "the outcome's cap"),
                ast::CohortClauseKind::VolumeCap { payments } => caps.payments = Some(*payments),
                ast::CohortClauseKind::ClaimWithin(e) => {
                    claim_within = self.duration(&scope, e, "the claim period").map(|(q, _)| q)
                }
            }
        }
        self.tier_type = match &target {
            Some(ir::CohortTarget::AgainstControl { .. }) => Some(Ty::Percent),
            Some(ir::CohortTarget::Threshold { .. }) => self.measure_type.clone(),
            None => None,
        };
        for clause in &c.clauses {
            if let ast::CohortClauseKind::Pays(p) = &clause.kind {
                payment = self.payment(&scope, p, clause.span, true);
            }
        }
        self.tier_type = None;
        let has = |f: fn(&ast::CohortClauseKind) -> bool| c.clauses.iter().any(|x| f(&x.kind));
        for (present, what, example) in [
            (
                has(|k| matches!(k, ast::CohortClauseKind::Members(_))),
                "who is in the cohort",
                "cohort participants referred from 2025-04-01 to 2025-09-30",
            ),
            (
                has(|k| matches!(k, ast::CohortClauseKind::Achieved(_))),
                "when it is achieved",
                "achieved when share achieving ... >= 50%",
            ),
            (has(|k| matches!(k, ast::CohortClauseKind::Pays(_))), "what it pays", "pays 75_000 GBP"),
        ] {
            if !present {
                self.error(
                    Diagnostic::error(
                        E_INCOMPLETE_OUTCOME,
                        format!("cohort outcome `{}` does not say {what}", c.name.name),
                    )
                    .at(c.name.span, format!("add `{example}`")),
                );
            }
        }
        let (Some(members), Some(measure), Some(target), Some(payment)) = (members, measure, target, payment)
        else {
            return;
        };
        self.out.cohort_outcomes.push(ir::CohortOutcome {
            name: c.name.name.clone(),
            title: c.title.clone().unwrap_or_else(|| c.name.name.clone()),
            docs: item.docs.clone(),
            members,
            measure,
            target,
            payment,
            caps,
            claim_within,
            // Filled in by `lint`, which reads the `allow(...)` lines of the source.
            allows: Vec::new(),
            span: self.ir_span(item.span),
        });
    }

    pub(super) fn percent_in_range(&mut self, e: &ast::Expr, what: &str) {
        if let ast::ExprKind::Percent(v) = &e.kind {
            if *v < Decimal::ZERO || *v > Decimal::from(100) {
                self.error(
                    Diagnostic::error(E_BAD_PERCENT, format!("{what} of {v}% is impossible"))
                        .at(e.span, "a share runs from 0% to 100%"),
                );
            }
        }
    }

    pub(super) fn cohort_condition(
        &mut self,
        scope: &Scope,
        c: &ast::CohortCondition,
    ) -> (Option<ir::Measure>, Option<ir::CohortTarget>) {
        let measure_of = |c: &ast::CohortCondition| match c {
            ast::CohortCondition::Threshold { measure, .. }
            | ast::CohortCondition::AgainstControl { measure, .. } => measure.clone(),
        };
        let m = measure_of(c);
        let (measure, mty) = match &m.kind {
            ast::MeasureKind::ShareAchieving(o) | ast::MeasureKind::CountAchieving(o) => {
                let found = self.outcome_refs(std::slice::from_ref(o), "a cohort measure");
                let share = matches!(m.kind, ast::MeasureKind::ShareAchieving(_));
                match found.into_iter().next() {
                    Some(outcome) if share => (Some(ir::Measure::ShareAchieving { outcome }), Ty::Percent),
                    Some(outcome) => (Some(ir::Measure::CountAchieving { outcome }), Ty::Int),
                    None => (None, Ty::Error),
                }
            }
            ast::MeasureKind::ShareWhere(e) => {
                let (t, x) = self.participant_value(scope, e, Some(&Ty::Bool), "a cohort measure");
                self.expect(e.span, &Ty::Bool, &t, "the share's condition");
                (Some(ir::Measure::ShareWhere { expr: x }), Ty::Percent)
            }
            ast::MeasureKind::Mean(e) => {
                let (t, x) = self.participant_value(scope, e, None, "a cohort measure");
                if !(t.is_numeric() || matches!(t, Ty::Quantity(_) | Ty::Percent)) {
                    self.mismatch(e.span, &Ty::Decimal, &t, "a mean");
                }
                (Some(ir::Measure::Mean { expr: x }), if t.is_numeric() { Ty::Decimal } else { t })
            }
        };
        self.measure_type = Some(mty.clone());
        let target = match c {
            ast::CohortCondition::Threshold { op, value, .. } => {
                let (t, x) = self.participant_value(scope, value, Some(&mty), "a cohort threshold");
                if !self.comparable(&mty, &t) {
                    self.mismatch(value.span, &mty, &t, "the threshold");
                }
                self.percent_in_range(value, "a threshold");
                Some(ir::CohortTarget::Threshold { op: cmp(*op), value: x })
            }
            ast::CohortCondition::AgainstControl { effect, direction, significance, .. } => {
                if effect.value <= Decimal::ZERO || (effect.points && effect.value > Decimal::from(100)) {
                    self.error(
                        Diagnostic::error(
                            E_BAD_PERCENT,
                            format!("an effect of {} is impossible", effect.value),
                        )
                        .at(effect.span, "expected a difference above zero"),
                    );
                }
                let significance = significance.as_ref().and_then(|s| {
                    if s.level <= Decimal::ZERO || s.level >= Decimal::from(50) {
                        self.error(
                            Diagnostic::error(
                                E_BAD_PERCENT,
                                format!("a significance level of {}% makes no sense", s.level),
                            )
                            .at(s.level_span, "expected a level such as `5%` or `10%`")
                            .note("the level is the chance of paying for a difference that is only noise"),
                        );
                    }
                    let proportion = matches!(
                        m.kind,
                        ast::MeasureKind::ShareAchieving(_) | ast::MeasureKind::ShareWhere(_)
                    );
                    let fits = match s.test.name.as_str() {
                        "two_proportion_z_test" | "fisher_exact_test" => Some(proportion),
                        "welch_t_test" | "mann_whitney_u_test" => Some(!proportion),
                        _ => None,
                    };
                    if fits == Some(false) {
                        let (what, use_instead) = if proportion {
                            ("a share (a proportion)", "two_proportion_z_test or fisher_exact_test")
                        } else {
                            ("a count or a mean", "welch_t_test or mann_whitney_u_test")
                        };
                        self.error(
                            Diagnostic::error(
                                E_UNKNOWN_TEST,
                                format!("`{}` does not fit this measure, which is {what}", s.test.name),
                            )
                            .at(s.test.span, "the wrong test for this measure")
                            .also(m.span, format!("this is {what}"))
                            .help(format!("use {use_instead} (or permutation_test)")),
                        );
                        return None;
                    }
                    if !SIGNIFICANCE_TESTS.contains(&s.test.name.as_str()) {
                        let mut d = Diagnostic::error(
                            E_UNKNOWN_TEST,
                            format!("payable does not know the test `{}`", s.test.name),
                        )
                        .at(s.test.span, "not a test payable can run")
                        .note(format!("the tests are: {}", SIGNIFICANCE_TESTS.join(", ")));
                        if let Some(x) = suggest(&s.test.name, SIGNIFICANCE_TESTS.iter().copied()) {
                            d = d.help(format!("did you mean `{x}`?"));
                        }
                        self.error(d);
                        return None;
                    }
                    Some(ir::SignificanceTest { test: s.test.name.clone(), level: s.level.normalize() })
                });
                Some(ir::CohortTarget::AgainstControl {
                    effect: effect.value.normalize(),
                    points: effect.points,
                    direction: match direction {
                        ast::Direction::Above => ir::Direction::Above,
                        ast::Direction::Below => ir::Direction::Below,
                    },
                    significance,
                })
            }
        };
        (measure, target)
    }

    pub(super) fn highest(&mut self, item: &ast::Item, h: &ast::HighestDecl) {
        let outcomes = self.outcome_refs(&h.outcomes, "`pay only the highest of`");
        if outcomes.len() == h.outcomes.len() {
            let span = self.ir_span(item.span);
            self.out.highest_of.push(ir::Exclusion { outcomes, rule: ir::ExclusionRule::Highest, span });
        }
    }
}
