//! One converter per grammar rule: pest pairs to [`ast`] nodes.
//!
//! The grammar guarantees each pair's shape, so a converter reads its children in order.
//! A shape it does not expect is a bug in payable (grammar and converter out of step) and is
//! reported as such, never a panic.

// Conversion errors are rare (a grammar and converter out of step, or an out-of-range
// number), so their size does not matter on this cold path.
#![allow(clippy::result_large_err)]

use super::Rule;
use super::ast::*;
use crate::diagnostic::{Diagnostic, E_SYNTAX};
use crate::source::{FileId, Span};
use pest::iterators::Pair;
use rust_decimal::Decimal;
use std::str::FromStr;

type Result<T> = std::result::Result<T, Diagnostic>;

struct Ctx {
    file: FileId,
    /// Offset of the parsed text in its file (non-zero when recovering item by item).
    base: usize,
}

/// Converts the `file` rule's pair into a module.
pub fn module(file: FileId, pair: Pair<Rule>, base: usize) -> (Module, Vec<Diagnostic>) {
    let cx = Ctx { file, base };
    let mut module = Module::default();
    let mut diagnostics = Vec::new();
    for item_pair in pair.into_inner() {
        if item_pair.as_rule() == Rule::EOI {
            continue;
        }
        match cx.item(item_pair) {
            Ok(item) => module.items.push(item),
            Err(d) => diagnostics.push(d),
        }
    }
    (module, diagnostics)
}

fn is_keyword(rule: Rule) -> bool {
    format!("{rule:?}").starts_with("kw_")
}

/// Children that carry meaning: keywords are checked by the grammar and skipped here.
fn children(pair: Pair<Rule>) -> Vec<Pair<Rule>> {
    pair.into_inner().filter(|p| !is_keyword(p.as_rule())).collect()
}

impl Ctx {
    fn span(&self, pair: &Pair<Rule>) -> Span {
        let s = pair.as_span();
        let end = s.start() + meaningful_len(pair.as_str());
        Span::new(self.file, self.base + s.start(), self.base + end)
    }

    fn bug(&self, pair: &Pair<Rule>, what: &str) -> Diagnostic {
        Diagnostic::bug(format!("unexpected {:?} in {what}", pair.as_rule()), self.span(pair))
    }

    fn ident(&self, pair: &Pair<Rule>) -> Ident {
        Ident { name: pair.as_str().to_string(), span: self.span(pair) }
    }

    fn string(&self, pair: &Pair<Rule>) -> String {
        let s = pair.as_str();
        s[1..s.len() - 1].to_string()
    }

    fn number(&self, pair: &Pair<Rule>) -> Result<Decimal> {
        let text: String = pair.as_str().chars().filter(|c| *c != '_').collect();
        Decimal::from_str(&text).map_err(|_| {
            Diagnostic::error(E_SYNTAX, format!("`{}` is too large or too precise a number", pair.as_str()))
                .at(self.span(pair), "payable keeps 28 significant digits")
        })
    }

    fn int(&self, pair: &Pair<Rule>) -> Result<u32> {
        let text: String = pair.as_str().chars().filter(|c| *c != '_').collect();
        text.parse().map_err(|_| {
            Diagnostic::error(E_SYNTAX, format!("`{}` is too large a count", pair.as_str()))
                .at(self.span(pair), "expected a whole number below 4,294,967,296")
        })
    }

    fn signed_int(&self, pair: &Pair<Rule>) -> Result<i64> {
        let text: String = pair.as_str().chars().filter(|c| *c != '_').collect();
        text.parse().map_err(|_| {
            Diagnostic::error(E_SYNTAX, format!("`{}` is too large a bound", pair.as_str()))
                .at(self.span(pair), "expected a whole number")
        })
    }

    fn date(&self, pair: &Pair<Rule>) -> DateLit {
        DateLit { text: pair.as_str().to_string(), span: self.span(pair) }
    }

    fn docs(&self, pair: Pair<Rule>) -> Vec<String> {
        pair.into_inner()
            .filter(|p| p.as_rule() == Rule::doc_line)
            .map(|line| line.as_str().trim_start_matches("///").trim().to_string())
            .collect()
    }

    fn allows(&self, pair: Pair<Rule>) -> Vec<Allow> {
        pair.into_inner()
            .filter(|p| p.as_rule() == Rule::allow_attr)
            .map(|attr| {
                let span = self.span(&attr);
                let p = children(attr);
                Allow { lint: self.ident(&p[0]), reason: self.string(&p[1]), span }
            })
            .collect()
    }

    fn idents(&self, pairs: &[Pair<Rule>]) -> Vec<Ident> {
        pairs.iter().map(|p| self.ident(p)).collect()
    }

    // ------------------------------------------------------------ items

    fn item(&self, pair: Pair<Rule>) -> Result<Item> {
        let span = self.span(&pair);
        let rule = pair.as_rule();
        let mut parts = children(pair);
        let (docs, allows) = match parts.first() {
            Some(p) if p.as_rule() == Rule::docs => {
                let docs_pair = parts.remove(0);
                (self.docs(docs_pair.clone()), self.allows(docs_pair))
            }
            _ => (Vec::new(), Vec::new()),
        };
        let kind = match rule {
            Rule::use_decl => ItemKind::Use(self.use_decl(parts.remove(0))?),
            Rule::contract_decl => ItemKind::Contract(self.contract(parts)?),
            Rule::enum_decl => ItemKind::Enum(self.enum_decl(parts)),
            Rule::unit_decl => ItemKind::Unit(UnitDecl {
                singular: self.ident(&parts[0]),
                plural: parts.get(1).map(|p| self.ident(p)),
            }),
            Rule::bands_decl => ItemKind::Bands(self.bands(parts)?),
            Rule::participant_decl => ItemKind::Participant(self.participant(parts)?),
            Rule::event_decl => ItemKind::Event(self.event(parts)?),
            Rule::let_decl => ItemKind::Let(self.let_decl(parts)?),
            Rule::outcome_decl => ItemKind::Outcome(self.outcome(parts)?),
            Rule::cohort_decl => ItemKind::Cohort(self.cohort(parts)?),
            Rule::highest_decl => ItemKind::Highest(HighestDecl { outcomes: self.idents(&parts) }),
            Rule::test_decl => ItemKind::Test(self.test(parts)?),
            _ => return Err(Diagnostic::bug(format!("unexpected item {rule:?}"), span)),
        };
        Ok(Item { docs, allows, span, kind })
    }

    fn use_decl(&self, pair: Pair<Rule>) -> Result<Use> {
        let rule = pair.as_rule();
        let parts = children(pair);
        Ok(match rule {
            Rule::std_module => {
                Use::Std { module: self.ident(&parts[0]), alias: parts.get(1).map(|p| self.ident(p)) }
            }
            _ => Use::File {
                path: self.string(&parts[0]),
                path_span: self.span(&parts[0]),
                alias: parts.get(1).map(|p| self.ident(p)),
            },
        })
    }

    fn contract(&self, parts: Vec<Pair<Rule>>) -> Result<ContractHeader> {
        let mut iter = parts.into_iter();
        let name = self.string(&iter.next().expect("contract has a name"));
        let mut entries = Vec::new();
        for entry in iter {
            let span = self.span(&entry);
            let rule = entry.as_rule();
            let p = children(entry);
            let kind = match rule {
                Rule::currency_entry => ContractEntryKind::Currency(self.ident(&p[0])),
                Rule::achievable_entry => {
                    ContractEntryKind::Achievable { from: self.date(&p[0]), to: self.date(&p[1]) }
                }
                Rule::claims_entry => ContractEntryKind::ClaimsClose(self.date(&p[0])),
                Rule::total_cap_entry => ContractEntryKind::TotalCap(self.quantity(p[0].clone())?),
                Rule::participant_cap_entry => {
                    ContractEntryKind::ParticipantCap(self.quantity(p[0].clone())?)
                }
                Rule::rounding_entry => ContractEntryKind::Rounding {
                    mode: match p[0].as_str() {
                        "half_up" => RoundingMode::HalfUp,
                        "half_even" => RoundingMode::HalfEven,
                        "down" => RoundingMode::Down,
                        _ => RoundingMode::Up,
                    },
                    increment: self.quantity(p[1].clone())?,
                },
                Rule::holidays_entry => ContractEntryKind::Holidays(self.ident(&children(p[0].clone())[0])),
                _ => return Err(Diagnostic::bug(format!("unexpected {rule:?}"), span)),
            };
            entries.push(ContractEntry { span, kind });
        }
        Ok(ContractHeader { name, entries })
    }

    fn enum_decl(&self, parts: Vec<Pair<Rule>>) -> EnumDecl {
        let mut iter = parts.into_iter();
        let name = self.ident(&iter.next().expect("enum has a name"));
        let cases = iter
            .map(|case| {
                let mut p = children(case);
                let docs = if p[0].as_rule() == Rule::docs { self.docs(p.remove(0)) } else { vec![] };
                EnumCase { docs, name: self.ident(&p[0]) }
            })
            .collect();
        EnumDecl { name, cases }
    }

    fn bands(&self, parts: Vec<Pair<Rule>>) -> Result<BandsDecl> {
        let mut iter = parts.into_iter();
        let name = self.ident(&iter.next().expect("bands have a name"));
        let of = self.type_expr(iter.next().expect("bands have a type"))?;
        let mut bands = Vec::new();
        for band in iter {
            let span = self.span(&band);
            let mut p = children(band);
            let docs = if p[0].as_rule() == Rule::docs { self.docs(p.remove(0)) } else { vec![] };
            let name = self.ident(&p[0]);
            let range = children(p[1].clone()).remove(0);
            let rule = range.as_rule();
            let bounds = children(range);
            let (from, to) = match rule {
                Rule::band_between => (Some(self.number(&bounds[0])?), Some(self.number(&bounds[1])?)),
                Rule::band_from => (Some(self.number(&bounds[0])?), None),
                _ => (None, Some(self.number(&bounds[0])?)),
            };
            bands.push(Band { docs, name, from, to, span });
        }
        Ok(BandsDecl { name, of, bands })
    }

    fn participant(&self, parts: Vec<Pair<Rule>>) -> Result<ParticipantDecl> {
        let mut noun = None;
        let mut fields = Vec::new();
        for p in parts {
            match p.as_rule() {
                Rule::string_lit => noun = Some(self.string(&p)),
                Rule::field_decl => fields.push(self.field(p)?),
                _ => return Err(self.bug(&p, "participant declaration")),
            }
        }
        Ok(ParticipantDecl { noun, fields })
    }

    fn event(&self, parts: Vec<Pair<Rule>>) -> Result<EventDecl> {
        let mut activity = false;
        let mut name = None;
        let mut fields = Vec::new();
        let mut evidence = Vec::new();
        let mut evidence_span = None;
        for p in parts {
            match p.as_rule() {
                Rule::activity_mark => activity = true,
                Rule::ident => name = Some(self.ident(&p)),
                Rule::field_decl => fields.push(self.field(p)?),
                Rule::evidence_decl => {
                    evidence_span = Some(self.span(&p));
                    evidence.extend(self.idents(&children(p)));
                }
                _ => return Err(self.bug(&p, "event declaration")),
            }
        }
        let name = name.expect("event has a name");
        Ok(EventDecl { name, activity, fields, evidence, evidence_span })
    }

    fn field(&self, pair: Pair<Rule>) -> Result<FieldDecl> {
        let span = self.span(&pair);
        let mut p = children(pair);
        let docs = if p[0].as_rule() == Rule::docs { self.docs(p.remove(0)) } else { vec![] };
        Ok(FieldDecl { docs, name: self.ident(&p[0]), ty: self.type_expr(p[1].clone())?, span })
    }

    fn type_expr(&self, pair: Pair<Rule>) -> Result<TypeExpr> {
        let span = self.span(&pair);
        let p = children(pair);
        let optional = p.iter().any(|x| x.as_rule() == Rule::optional_mark);
        let kind = match p[0].as_rule() {
            Rule::bounded_int => {
                let b = children(p[0].clone());
                TypeExprKind::Bounded { lo: self.signed_int(&b[0])?, hi: self.signed_int(&b[1])? }
            }
            Rule::qualified_type => {
                let q = children(p[0].clone());
                TypeExprKind::Qualified { module: self.ident(&q[0]), name: self.ident(&q[1]) }
            }
            _ => TypeExprKind::Named(self.unit_expr(p[0].clone())),
        };
        Ok(TypeExpr { kind, optional, span })
    }

    fn unit_expr(&self, pair: Pair<Rule>) -> UnitExpr {
        let span = self.span(&pair);
        let mut p = children(pair);
        let working = p[0].as_rule() == Rule::working;
        if working {
            p.remove(0);
        }
        UnitExpr { working, numerator: self.ident(&p[0]), denominator: p.get(1).map(|d| self.ident(d)), span }
    }

    fn let_decl(&self, parts: Vec<Pair<Rule>>) -> Result<LetDecl> {
        let mut iter = parts.into_iter();
        let name = self.ident(&iter.next().expect("let has a name"));
        let mut params = None;
        let mut annotation = None;
        let mut body = None;
        for p in iter {
            match p.as_rule() {
                Rule::params => {
                    let mut list = Vec::new();
                    for param in children(p) {
                        let q = children(param);
                        list.push(Param { name: self.ident(&q[0]), ty: self.type_expr(q[1].clone())? });
                    }
                    params = Some(list);
                }
                Rule::type_expr => annotation = Some(self.type_expr(p)?),
                _ => body = Some(self.expr(p)?),
            }
        }
        let body = body.expect("let has a body");
        Ok(LetDecl { name, params, annotation, body })
    }

    fn title_and_name(
        &self,
        iter: &mut std::iter::Peekable<std::vec::IntoIter<Pair<Rule>>>,
    ) -> (Ident, Option<String>) {
        let name = self.ident(&iter.next().expect("outcome has a name"));
        let title = match iter.peek() {
            Some(p) if p.as_rule() == Rule::string_lit => {
                let t = self.string(p);
                iter.next();
                Some(t)
            }
            _ => None,
        };
        (name, title)
    }

    fn outcome(&self, parts: Vec<Pair<Rule>>) -> Result<OutcomeDecl> {
        let mut iter = parts.into_iter().peekable();
        let (name, title) = self.title_and_name(&mut iter);
        let mut clauses = Vec::new();
        for clause in iter {
            let span = self.span(&clause);
            let rule = clause.as_rule();
            let p = children(clause);
            let kind = match rule {
                Rule::achieved_clause => OutcomeClauseKind::Achieved(self.condition(p[0].clone())?),
                Rule::eligible_clause => OutcomeClauseKind::Eligible(self.expr(p[0].clone())?),
                Rule::pays_clause => OutcomeClauseKind::Pays(self.pays(p[0].clone())?),
                Rule::requires_clause => OutcomeClauseKind::Requires(self.idents(&p)),
                Rule::excludes_clause => OutcomeClauseKind::Excludes(self.idents(&p)),
                Rule::repeats_clause => OutcomeClauseKind::Repeats { times: self.int(&p[0])? },
                Rule::cap_clause => self.cap(p[0].clone())?.into_outcome(),
                Rule::claim_clause => OutcomeClauseKind::ClaimWithin(self.expr(p[0].clone())?),
                _ => return Err(Diagnostic::bug(format!("unexpected {rule:?}"), span)),
            };
            clauses.push(OutcomeClause { span, kind });
        }
        Ok(OutcomeDecl { name, title, clauses })
    }

    fn cap(&self, pair: Pair<Rule>) -> Result<Cap> {
        Ok(match pair.as_rule() {
            Rule::volume_cap => Cap::Volume(self.int(&children(pair)[0])?),
            _ => Cap::Money(self.quantity(pair)?),
        })
    }

    fn pays(&self, pair: Pair<Rule>) -> Result<Pays> {
        let rule = pair.as_rule();
        let p = children(pair);
        Ok(match rule {
            Rule::pays_amount => Pays::Amount(self.expr(p[0].clone())?),
            Rule::pays_by => {
                let on = self.expr(p[0].clone())?;
                let mut cases = Vec::new();
                for case in &p[1..] {
                    let span = self.span(case);
                    let c = children(case.clone());
                    let name = if c[0].as_rule() == Rule::ident { Some(self.ident(&c[0])) } else { None };
                    cases.push(PaysCase { case: name, amount: self.expr(c[1].clone())?, span });
                }
                Pays::By { on, cases }
            }
            Rule::pays_tiers => {
                let mut tiers = Vec::new();
                for tier in p {
                    let span = self.span(&tier);
                    let t = children(tier);
                    tiers.push(Tier {
                        from: self.expr(t[0].clone())?,
                        amount: self.expr(t[1].clone())?,
                        span,
                    });
                }
                Pays::Tiers(tiers)
            }
            _ => Pays::PerPoint { rate: self.quantity(p[0].clone())?, above: self.expr(p[1].clone())? },
        })
    }

    fn cohort(&self, parts: Vec<Pair<Rule>>) -> Result<CohortDecl> {
        let mut iter = parts.into_iter().peekable();
        let (name, title) = self.title_and_name(&mut iter);
        let mut clauses = Vec::new();
        for clause in iter {
            let span = self.span(&clause);
            let rule = clause.as_rule();
            let p = children(clause);
            let kind = match rule {
                Rule::cohort_clause => CohortClauseKind::Members(self.members(p[0].clone())?),
                Rule::cohort_achieved => CohortClauseKind::Achieved(self.cohort_condition(p[0].clone())?),
                Rule::pays_clause => CohortClauseKind::Pays(self.pays(p[0].clone())?),
                Rule::cap_clause => match self.cap(p[0].clone())? {
                    Cap::Volume(n) => CohortClauseKind::VolumeCap { payments: n },
                    Cap::Money(q) => CohortClauseKind::MoneyCap(q),
                },
                Rule::claim_clause => CohortClauseKind::ClaimWithin(self.expr(p[0].clone())?),
                _ => return Err(Diagnostic::bug(format!("unexpected {rule:?}"), span)),
            };
            clauses.push(CohortClause { span, kind });
        }
        Ok(CohortDecl { name, title, clauses })
    }

    fn members(&self, pair: Pair<Rule>) -> Result<CohortMembers> {
        let rule = pair.as_rule();
        let p = children(pair);
        Ok(match rule {
            Rule::cohort_all => CohortMembers::All,
            Rule::cohort_where => CohortMembers::Where(self.expr(p[0].clone())?),
            _ => CohortMembers::DateRange {
                field: self.ident(&p[0]),
                from: self.date(&p[1]),
                to: self.date(&p[2]),
            },
        })
    }

    fn cohort_condition(&self, pair: Pair<Rule>) -> Result<CohortCondition> {
        let rule = pair.as_rule();
        let p = children(pair);
        let measure = self.measure(p[0].clone())?;
        Ok(match rule {
            Rule::threshold => CohortCondition::Threshold {
                measure,
                op: cmp_op(p[1].as_str()),
                value: self.expr(p[2].clone())?,
            },
            _ => {
                let effect_pair = children(p[1].clone()).remove(0);
                let effect = Effect {
                    points: effect_pair.as_rule() == Rule::percent_points,
                    value: self.number(&self.first_number(&effect_pair))?,
                    span: self.span(&effect_pair),
                };
                let direction = if p[2].as_str() == "above" { Direction::Above } else { Direction::Below };
                let significance = match p.get(3) {
                    Some(s) => {
                        let s = children(s.clone());
                        Some(Significance {
                            level: self.number(&self.first_number(&s[0]))?,
                            level_span: self.span(&s[0]),
                            test: self.ident(&s[1]),
                        })
                    }
                    None => None,
                };
                CohortCondition::AgainstControl { measure, effect, direction, significance }
            }
        })
    }

    /// The number inside a percentage or `N points`.
    fn first_number<'i>(&self, pair: &Pair<'i, Rule>) -> Pair<'i, Rule> {
        pair.clone().into_inner().find(|p| p.as_rule() == Rule::number_lit).unwrap_or_else(|| pair.clone())
    }

    fn measure(&self, pair: Pair<Rule>) -> Result<Measure> {
        let span = self.span(&pair);
        let inner = children(pair).remove(0);
        let rule = inner.as_rule();
        let p = children(inner);
        let kind = match rule {
            Rule::share_achieving => MeasureKind::ShareAchieving(self.ident(&p[0])),
            Rule::count_achieving => MeasureKind::CountAchieving(self.ident(&p[0])),
            Rule::share_where => MeasureKind::ShareWhere(self.expr(p[0].clone())?),
            _ => MeasureKind::Mean(self.expr(p[0].clone())?),
        };
        Ok(Measure { span, kind })
    }

    fn test(&self, parts: Vec<Pair<Rule>>) -> Result<TestDecl> {
        let mut iter = parts.into_iter();
        let name = self.string(&iter.next().expect("test has a name"));
        let mut test = TestDecl { name, as_of: None, givens: Vec::new(), expects: Vec::new() };
        for entry in iter {
            let span = self.span(&entry);
            match entry.as_rule() {
                Rule::as_of_entry => test.as_of = Some(self.date(&children(entry)[0])),
                Rule::given_entry => {
                    let raw: Vec<Pair<Rule>> = entry.into_inner().collect();
                    let event =
                        if raw[1].as_rule() == Rule::ident { Some(self.ident(&raw[1])) } else { None };
                    let mut fields = Vec::new();
                    for field in children(raw[2].clone()) {
                        let f = children(field);
                        fields.push(RecordField { name: self.ident(&f[0]), value: self.expr(f[1].clone())? });
                    }
                    test.givens.push(Given { event, fields, span });
                }
                Rule::expect_entry => {
                    let p = children(entry);
                    let outcome = self.ident(&p[0]);
                    let status_pair = p[1].clone();
                    let rule = status_pair.as_rule();
                    let s = children(status_pair);
                    let status = match rule {
                        Rule::expect_achieved => {
                            let mut on = None;
                            let mut paying = None;
                            for x in s {
                                match x.as_rule() {
                                    Rule::date_lit => on = Some(self.date(&x)),
                                    _ => paying = Some(self.quantity(x)?),
                                }
                            }
                            ExpectStatus::Achieved { on, paying }
                        }
                        Rule::expect_pending => {
                            ExpectStatus::Pending { until: s.first().map(|d| self.date(d)) }
                        }
                        _ => ExpectStatus::NotAchieved,
                    };
                    test.expects.push(Expect { outcome, status, span });
                }
                _ => return Err(self.bug(&entry, "test")),
            }
        }
        Ok(test)
    }

    // ------------------------------------------------------------ conditions

    fn condition(&self, pair: Pair<Rule>) -> Result<Condition> {
        let span = self.span(&pair);
        let rule = pair.as_rule();
        if rule == Rule::not_expr {
            return Ok(Condition { span, kind: ConditionKind::Holds(self.expr(pair)?) });
        }
        let p = children(pair);
        let kind = match rule {
            Rule::condition | Rule::cond_and => {
                let mut parts = p.into_iter().map(|c| self.condition(c)).collect::<Result<Vec<_>>>()?;
                if parts.len() == 1 {
                    return Ok(parts.remove(0));
                }
                if rule == Rule::condition { ConditionKind::Or(parts) } else { ConditionKind::And(parts) }
            }
            Rule::absence => ConditionKind::Absence {
                filter: self.filter(p[0].clone())?,
                window: self.window(p[1].clone())?,
                excluding: self.exclusion(p.get(2)),
            },
            Rule::at_most => ConditionKind::AtMost {
                times: self.int(&p[0])?,
                filter: self.filter(p[1].clone())?,
                window: self.window(p[2].clone())?,
                excluding: self.exclusion(p.get(3)),
            },
            Rule::reaches => {
                let aggregate_span = self.span(&p[0]);
                let ExprKind::Aggregate(aggregate) = self.expr(p[0].clone())?.kind else {
                    return Err(self.bug(&p[0], "a running total"));
                };
                ConditionKind::Reaches {
                    aggregate: *aggregate,
                    aggregate_span,
                    threshold: self.expr(p[1].clone())?,
                    window: self.window(p[2].clone())?,
                }
            }
            Rule::change => ConditionKind::Change {
                value: self.expr(p[0].clone())?,
                direction: if p[1].as_str() == "rises" {
                    ChangeDirection::Rises
                } else {
                    ChangeDirection::Falls
                },
                by: self.expr(p[2].clone())?,
                baseline: {
                    let b = children(p[3].clone()).remove(0);
                    match b.as_rule() {
                        Rule::first_event => Baseline::FirstEvent(self.ident(&children(b)[0])),
                        _ => Baseline::Value(self.expr(b)?),
                    }
                },
                window: self.window(p[4].clone())?,
            },
            Rule::periods => {
                let count_pair = children(p[1].clone()).remove(0);
                let count_span = self.span(&count_pair);
                let each = count_pair.as_rule() == Rule::each_of;
                let n = children(count_pair);
                let count = if each {
                    let m = self.int(&n[0])?;
                    PeriodCount { at_least: m, of: m, each, span: count_span }
                } else {
                    PeriodCount { at_least: self.int(&n[0])?, of: self.int(&n[1])?, each, span: count_span }
                };
                let mut counting = None;
                let mut excluding = Vec::new();
                for extra in &p[5..] {
                    match extra.as_rule() {
                        Rule::counting => counting = Some(self.counting(extra.clone())?),
                        _ => excluding = self.exclusion(Some(extra)),
                    }
                }
                ConditionKind::Periods {
                    filter: self.filter(p[0].clone())?,
                    count,
                    kind: period_kind(&p[2]),
                    anchor: anchor_word(&p[3]),
                    start: self.expr(p[4].clone())?,
                    counting,
                    excluding,
                }
            }
            Rule::consecutive => {
                let mut counting = None;
                let mut excluding = Vec::new();
                for extra in &p[4..] {
                    match extra.as_rule() {
                        Rule::counting => counting = Some(self.counting(extra.clone())?),
                        _ => excluding = self.exclusion(Some(extra)),
                    }
                }
                ConditionKind::Consecutive {
                    filter: self.filter(p[0].clone())?,
                    periods: self.int(&p[1])?,
                    periods_span: self.span(&p[1]),
                    kind: period_kind(&p[2]),
                    window: self.window(p[3].clone())?,
                    counting,
                    excluding,
                }
            }
            Rule::cumulative => ConditionKind::Cumulative {
                filter: self.filter(p[0].clone())?,
                at_least: self.expr(p[1].clone())?,
                window: self.window(p[2].clone())?,
                excluding: self.exclusion(p.get(3)),
            },
            Rule::occurrence => ConditionKind::Occurrence {
                filter: self.filter(p[0].clone())?,
                window: self.window(p[1].clone())?,
            },
            _ => return Err(Diagnostic::bug(format!("unexpected condition {rule:?}"), span)),
        };
        Ok(Condition { span, kind })
    }

    fn filter(&self, pair: Pair<Rule>) -> Result<EventFilter> {
        let span = self.span(&pair);
        let inner = children(pair).remove(0);
        if inner.as_rule() == Rule::event_where {
            let p = children(inner);
            Ok(EventFilter { event: Some(self.ident(&p[0])), predicate: self.expr(p[1].clone())?, span })
        } else {
            Ok(EventFilter { event: None, predicate: self.expr(inner)?, span })
        }
    }

    fn counting(&self, pair: Pair<Rule>) -> Result<Counting> {
        let span = self.span(&pair);
        let inner = children(pair).remove(0);
        let rule = match inner.as_rule() {
            Rule::count_any_day => CountingRule::AnyDay,
            Rule::count_every_day => CountingRule::EveryDay,
            _ => CountingRule::AtLeastDays(self.int(&children(inner)[0])?),
        };
        Ok(Counting { rule, span })
    }

    fn exclusion(&self, pair: Option<&Pair<Rule>>) -> Vec<Ident> {
        pair.map(|p| self.idents(&children(p.clone()))).unwrap_or_default()
    }

    fn window(&self, pair: Pair<Rule>) -> Result<Window> {
        let span = self.span(&pair);
        let inner = children(pair).remove(0);
        let rule = inner.as_rule();
        let p = children(inner);
        let kind = match rule {
            Rule::window_within => WindowKind::Within {
                length: self.expr(p[0].clone())?,
                anchor: anchor_word(&p[1]),
                start: self.expr(p[2].clone())?,
            },
            Rule::window_between => {
                WindowKind::Between { from: self.expr(p[0].clone())?, to: self.expr(p[1].clone())? }
            }
            _ => WindowKind::After(self.expr(p[0].clone())?),
        };
        Ok(Window { span, kind })
    }

    // ------------------------------------------------------------ expressions

    fn quantity(&self, pair: Pair<Rule>) -> Result<Quantity> {
        let span = self.span(&pair);
        let p = children(pair);
        Ok(Quantity { value: self.number(&p[0])?, unit: p.get(1).map(|u| self.unit_expr(u.clone())), span })
    }

    fn expr(&self, pair: Pair<Rule>) -> Result<Expr> {
        let span = self.span(&pair);
        let rule = pair.as_rule();
        let kind = match rule {
            // Wrappers that hold one expression.
            Rule::expr | Rule::duration | Rule::anchor | Rule::pays_amount => {
                return self.expr(children(pair).remove(0));
            }
            Rule::if_expr => {
                let p = children(pair);
                ExprKind::If {
                    cond: Box::new(self.expr(p[0].clone())?),
                    then: Box::new(self.expr(p[1].clone())?),
                    otherwise: Box::new(self.expr(p[2].clone())?),
                }
            }
            Rule::or_expr | Rule::and_expr | Rule::sum_expr | Rule::product => {
                return self.left_assoc(pair);
            }
            Rule::not_expr | Rule::unary => {
                let p: Vec<Pair<Rule>> = pair.into_inner().collect();
                let (ops, operand) = p.split_at(p.len() - 1);
                let mut e = self.expr(operand[0].clone())?;
                for op in ops.iter().rev() {
                    let op_kind = if op.as_rule() == Rule::not_op { UnaryOp::Not } else { UnaryOp::Neg };
                    e = Expr {
                        span: self.span(op).to(e.span),
                        kind: ExprKind::Unary { op: op_kind, operand: Box::new(e) },
                    };
                }
                return Ok(e);
            }
            Rule::cmp_expr => {
                let p = children(pair);
                if p.len() == 1 {
                    return self.expr(p[0].clone());
                }
                ExprKind::Compare {
                    op: cmp_op(p[1].as_str()),
                    lhs: Box::new(self.expr(p[0].clone())?),
                    rhs: Box::new(self.expr(p[2].clone())?),
                }
            }
            Rule::presence => {
                let p = children(pair);
                ExprKind::Presence {
                    value: Box::new(self.expr(p[0].clone())?),
                    present: p[1].as_rule() == Rule::present,
                }
            }
            Rule::coalesce => {
                let p = children(pair);
                let mut e = self.expr(p[0].clone())?;
                for d in &p[1..] {
                    let default = self.expr(d.clone())?;
                    e = Expr {
                        span: e.span.to(default.span),
                        kind: ExprKind::Coalesce { value: Box::new(e), default: Box::new(default) },
                    };
                }
                return Ok(e);
            }
            Rule::quantity_lit => ExprKind::Quantity(self.quantity(pair)?),
            Rule::percent_lit => ExprKind::Percent(self.number(&self.first_number(&pair))?),
            Rule::date_lit => ExprKind::Date(self.date(&pair)),
            Rule::string_lit => ExprKind::Text(self.string(&pair)),
            Rule::bool_lit => ExprKind::Bool(pair.as_str() == "true"),
            Rule::path => ExprKind::Path(pair.into_inner().map(|p| self.ident(&p)).collect()),
            Rule::call => {
                let p = children(pair);
                let callee = p[0].clone().into_inner().map(|x| self.ident(&x)).collect();
                let args = p[1..].iter().map(|a| self.expr(a.clone())).collect::<Result<_>>()?;
                ExprKind::Call { callee, args }
            }
            Rule::min_max_call => {
                let p = children(pair);
                let max = p[0].as_str() == "max";
                let args = p[1..].iter().map(|a| self.expr(a.clone())).collect::<Result<_>>()?;
                ExprKind::MinMax { max, args }
            }
            Rule::aggregate => {
                let p = children(pair);
                let function = match p[0].as_str() {
                    "sum" => AggregateFn::Sum,
                    "count" => AggregateFn::Count,
                    "mean" => AggregateFn::Mean,
                    "min" => AggregateFn::Min,
                    _ => AggregateFn::Max,
                };
                let target = children(p[1].clone());
                let mut aggregate = Aggregate {
                    function,
                    event: self.ident(&target[0]),
                    field: target.get(1).map(|f| self.ident(f)),
                    filter: None,
                    window: None,
                };
                for extra in &p[2..] {
                    if extra.as_rule() == Rule::window {
                        aggregate.window = Some(self.window(extra.clone())?);
                    } else {
                        aggregate.filter = Some(self.expr(extra.clone())?);
                    }
                }
                ExprKind::Aggregate(Box::new(aggregate))
            }
            _ => return Err(self.bug(&pair, "an expression")),
        };
        Ok(Expr { span, kind })
    }

    /// `a + b - c`, `a and b`: operators alternate with operands, folded to the left.
    fn left_assoc(&self, pair: Pair<Rule>) -> Result<Expr> {
        let p: Vec<Pair<Rule>> = pair.into_inner().collect();
        let mut e = self.expr(p[0].clone())?;
        for chunk in p[1..].chunks(2) {
            let op = match chunk[0].as_str() {
                "+" => BinaryOp::Add,
                "-" => BinaryOp::Sub,
                "*" => BinaryOp::Mul,
                "/" => BinaryOp::Div,
                "and" => BinaryOp::And,
                _ => BinaryOp::Or,
            };
            let rhs = self.expr(chunk[1].clone())?;
            e = Expr {
                span: e.span.to(rhs.span),
                kind: ExprKind::Binary { op, lhs: Box::new(e), rhs: Box::new(rhs) },
            };
        }
        Ok(e)
    }
}

enum Cap {
    Volume(u32),
    Money(Quantity),
}

impl Cap {
    fn into_outcome(self) -> OutcomeClauseKind {
        match self {
            Cap::Volume(payments) => OutcomeClauseKind::VolumeCap { payments },
            Cap::Money(q) => OutcomeClauseKind::MoneyCap(q),
        }
    }
}

/// The length of a rule's text without the whitespace and comments pest consumed after its
/// last token (a rule that ends in an optional part swallows them), so that spans end where
/// the code ends.
fn meaningful_len(text: &str) -> usize {
    let mut end = text.len();
    loop {
        let trimmed = text[..end].trim_end();
        end = trimmed.len();
        let line_start = trimmed.rfind('\n').map_or(0, |i| i + 1);
        match comment_start(&trimmed[line_start..]) {
            Some(pos) if line_start + pos > 0 => end = line_start + pos,
            _ => return end,
        }
    }
}

/// Where a `//` comment starts in a line, ignoring `//` inside quoted text.
fn comment_start(line: &str) -> Option<usize> {
    let mut in_string = false;
    let bytes = line.as_bytes();
    for i in 0..bytes.len() {
        match bytes[i] {
            b'"' => in_string = !in_string,
            b'/' if !in_string && bytes.get(i + 1) == Some(&b'/') => return Some(i),
            _ => {}
        }
    }
    None
}

fn cmp_op(text: &str) -> CmpOp {
    match text {
        "==" => CmpOp::Eq,
        "!=" => CmpOp::Ne,
        "<" => CmpOp::Lt,
        "<=" => CmpOp::Le,
        ">" => CmpOp::Gt,
        _ => CmpOp::Ge,
    }
}

fn period_kind(pair: &Pair<Rule>) -> PeriodKind {
    match pair.clone().into_inner().next().map(|p| p.as_rule()) {
        Some(Rule::calendar_months) => PeriodKind::CalendarMonths,
        Some(Rule::calendar_weeks) => PeriodKind::CalendarWeeks,
        Some(Rule::anniversary_months) => PeriodKind::AnniversaryMonths,
        Some(Rule::weeks) => PeriodKind::Weeks,
        _ => PeriodKind::Days,
    }
}

fn anchor_word(pair: &Pair<Rule>) -> AnchorWord {
    if pair.as_str() == "after" { AnchorWord::After } else { AnchorWord::From }
}
