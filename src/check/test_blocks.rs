//! `test` blocks: given records checked against their declarations, and expectations.

use super::*;

impl<'a> Checker<'a> {
    pub(super) fn record(
        &mut self,
        fields: &BTreeMap<String, FieldInfo>,
        order: &[String],
        given: &ast::Given,
        owner: &str,
    ) -> Vec<ir::TestValue> {
        let mut out = Vec::new();
        let mut seen = BTreeSet::new();
        // A misspelt field is reported once, as a misspelling, not again as left out.
        let mut suggested = BTreeSet::new();
        let scope = Scope::default();
        for f in &given.fields {
            let Some(info) = fields.get(&f.name.name) else {
                let mut d =
                    Diagnostic::error(E_TEST_RECORD, format!("{owner} have no field `{}`", f.name.name))
                        .at(f.name.span, "unknown field");
                d = match suggest(&f.name.name, order.iter().map(|s| s.as_str())) {
                    Some(s) => {
                        let help = format!("did you mean `{s}`?");
                        suggested.insert(s);
                        d.help(help)
                    }
                    None => d.note(format!("the fields are: {}", order.join(", "))),
                };
                self.error(d);
                continue;
            };
            if !seen.insert(f.name.name.clone()) {
                self.error(
                    Diagnostic::error(E_TEST_RECORD, format!("`{}` is given twice", f.name.name))
                        .at(f.name.span, "given again here"),
                );
                continue;
            }
            let expected = strip_optional(&info.ty).clone();
            let saved = std::mem::take(&mut self.events_read);
            let (t, x) = self.expr(&scope, &f.value, Some(&expected));
            let read = std::mem::replace(&mut self.events_read, saved);
            if !read.is_empty() || mentions_participant(&f.value) {
                self.error(
                    Diagnostic::error(E_TEST_RECORD, "a test gives values, not references to other data")
                        .at(f.value.span, "expected a value such as `2025-04-01` or `20 hours per week`"),
                );
                continue;
            }
            if self.expect(f.value.span, &expected, &t, &format!("field `{}`", f.name.name)) {
                if let (Ty::Bounded(lo, hi), ir::Expr::Int { value }) = (&expected, &x) {
                    if value < lo || value > hi {
                        self.error(
                            Diagnostic::error(
                                E_OUT_OF_RANGE,
                                format!("{value} is outside the range {lo}..{hi} of `{}`", f.name.name),
                            )
                            .at(f.value.span, format!("expected a whole number from {lo} to {hi}"))
                            .also(info.span, "declared here"),
                        );
                    }
                }
            }
            out.push(ir::TestValue { field: f.name.name.clone(), value: x });
        }
        let missing: Vec<&String> = order
            .iter()
            .filter(|name| {
                !seen.contains(*name)
                    && !suggested.contains(*name)
                    && !matches!(fields[*name].ty, Ty::Optional(_))
            })
            .collect();
        if !missing.is_empty() {
            self.error(
                Diagnostic::error(
                    E_TEST_RECORD,
                    format!(
                        "this record leaves out {}",
                        missing.iter().map(|m| format!("`{m}`")).collect::<Vec<_>>().join(", ")
                    ),
                )
                .at(given.span, "incomplete record")
                .help("every field not declared optional (`?`) needs a value"),
            );
        }
        // Fields in declaration order, whatever order the test wrote them in.
        out.sort_by_key(|v| order.iter().position(|n| *n == v.field));
        out
    }

    pub(super) fn test(&mut self, item: &ast::Item, t: &ast::TestDecl) {
        let mut participant = Vec::new();
        let mut events = Vec::new();
        let mut participants_given = 0;
        for g in &t.givens {
            match &g.event {
                None => {
                    participants_given += 1;
                    if participants_given == 2 {
                        self.error(
                            Diagnostic::error(
                                E_TEST_RECORD,
                                "a test is about one participant, and this one gives two",
                            )
                            .at(g.span, "second participant")
                            .help("write a test per participant"),
                        );
                    }
                    if let Some(fields) = self.participant.clone() {
                        let order = self.participant_order.clone();
                        participant = self.record(&fields, &order, g, "participants");
                    }
                }
                Some(name) => match self.events.get(&name.name).cloned() {
                    Some(info) => {
                        let fields =
                            self.record(&info.fields, &info.order, g, &format!("`{}` records", name.name));
                        if info.spell {
                            self.spell_order(&fields, g.span);
                        }
                        events.push(ir::TestEvent {
                            event: name.name.clone(),
                            fields,
                            span: self.ir_span(g.span),
                        });
                    }
                    None => self.unknown_event(name),
                },
            }
        }
        if participants_given == 0 {
            self.error(
                Diagnostic::error(E_TEST_RECORD, format!("test \"{}\" gives no participant", t.name))
                    .at(item.span, "expected `given participant { ... }`"),
            );
        }
        let mut expects = Vec::new();
        let mut expected: BTreeMap<String, Span> = BTreeMap::new();
        for e in &t.expects {
            let found = self.outcome_refs(std::slice::from_ref(&e.outcome), "`expect`");
            let Some(outcome) = found.into_iter().next() else { continue };
            if let Some(first) = expected.get(&outcome) {
                self.error(
                    Diagnostic::error(E_TEST_RECORD, format!("the test expects `{outcome}` twice"))
                        .at(e.span, "second expectation")
                        .also(*first, "first expectation")
                        .help("an outcome has one status at the test's date: keep one expectation, or write a second test with another `as of`"),
                );
                continue;
            }
            expected.insert(outcome.clone(), e.span);
            let span = self.ir_span(e.span);
            let exp = match &e.status {
                ast::ExpectStatus::Achieved { on, paying } => ir::TestExpectation {
                    outcome,
                    status: ir::ExpectedStatus::Achieved,
                    on: on.as_ref().and_then(|d| self.parse_date(d)).map(|d| d.to_string()),
                    amount: paying.as_ref().and_then(|q| self.money(q, "the expected amount")),
                    until: None,
                    span,
                },
                ast::ExpectStatus::Pending { until } => ir::TestExpectation {
                    outcome,
                    status: ir::ExpectedStatus::Pending,
                    on: None,
                    amount: None,
                    until: until.as_ref().and_then(|d| self.parse_date(d)).map(|d| d.to_string()),
                    span,
                },
                ast::ExpectStatus::NotAchieved => ir::TestExpectation {
                    outcome,
                    status: ir::ExpectedStatus::NotAchieved,
                    on: None,
                    amount: None,
                    until: None,
                    span,
                },
            };
            expects.push(exp);
        }
        let as_of = t.as_of.as_ref().and_then(|d| self.parse_date(d)).map(|d| d.to_string());
        self.out.tests.push(CheckedTest {
            name: t.name.clone(),
            as_of,
            participant,
            events,
            expects,
            span: self.ir_span(item.span),
        });
    }

    pub(super) fn spell_order(&mut self, fields: &[ir::TestValue], span: Span) {
        let get = |name: &str| {
            fields.iter().find(|f| f.field == name).and_then(|f| match &f.value {
                ir::Expr::Date { value } => Some(value.clone()),
                _ => None,
            })
        };
        if let (Some(from), Some(to)) = (get("from"), get("to")) {
            if to < from {
                self.error(
                    Diagnostic::error(
                        E_TEST_RECORD,
                        format!("this spell ends ({to}) before it starts ({from})"),
                    )
                    .at(span, "`to` is before `from`"),
                );
            }
        }
    }
}
