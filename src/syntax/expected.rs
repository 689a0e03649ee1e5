//! Words for what the parser expected. Grammar rule names never reach a user: each rule that
//! can be expected is described here in the user's terms.

use super::Rule;
use pest::error::{Error, ErrorVariant};
use std::collections::BTreeSet;

/// What `describe` says when nothing it could name was expected.
pub const NOTHING_NAMED: &str = "something else";

const EXPRESSION: &str = "a value such as `participant.born`, `16 hours per week` or `2025-04-01`";
const ITEM: &str =
    "an item (`contract`, `participant`, `event`, `let`, `outcome`, `cohort outcome`, `test`, ...)";

/// Words for one rule, or `None` for rules that are never worth naming on their own.
fn describe_rule(rule: Rule) -> Option<String> {
    use Rule::*;
    let words = match rule {
        EOI => "the end of the file",
        ident => "a name",
        name => "a field name",
        date_lit => "a date such as `2025-04-01`",
        int_lit | signed_int => "a whole number such as `26`",
        number_lit | signed_number => "a number",
        percent_lit => "a percentage such as `50%`",
        string_lit => "a quoted text such as `\"Sustained employment\"`",
        unit_word | unit_expr => "a unit such as `GBP` or `hours per week`",
        quantity_lit => "an amount such as `1_000 GBP`",
        type_expr | named_type | qualified_type | bounded_int => {
            "a type such as `date`, `date?`, `int`, `14..70` or `hours per week`"
        }
        duration => "a duration such as `26 months`",
        anchor => "a date such as `participant.referred`",
        expr | if_expr | or_expr | and_expr | not_expr | cmp_expr | coalesce | sum_expr | product | unary
        | aggregate | min_max_call | call | path | bool_lit | presence => EXPRESSION,
        condition | cond_and | absence | at_most | change | periods | consecutive | cumulative
        | occurrence | event_filter | event_where => {
            "a condition such as `employment.hours > 16 hours per week in at least 13 of the 26 calendar months after participant.referred`"
        }
        window | window_within | window_between | window_after => {
            "a window such as `within 12 months after participant.referred`"
        }
        period_kind | calendar_months | calendar_weeks | anniversary_months | weeks | days => {
            "a period such as `calendar months`, `months`, `weeks` or `days`"
        }
        period_count | at_least_of | each_of => "a count such as `at least 13 of the 26`",
        counting | count_any_day | count_every_day | count_min_days => {
            "a counting rule (`counting any day`, `counting every day`, `counting at least 15 days`)"
        }
        anchor_word => "`after` or `from`",
        cmp_op => "a comparison (`==`, `!=`, `<`, `<=`, `>`, `>=`)",
        add_op | mul_op => "an operator",
        use_decl | contract_decl | enum_decl | unit_decl | bands_decl | participant_decl | event_decl
        | let_decl | outcome_decl | cohort_decl | highest_decl | test_decl => ITEM,
        currency_entry
        | achievable_entry
        | claims_entry
        | total_cap_entry
        | participant_cap_entry
        | rounding_entry => {
            "a contract entry (`currency`, `outcomes achievable from`, `claims close`, `total cap`, `cap per participant`, `rounding`)"
        }
        rounding_mode => "a rounding mode (`half_up`, `half_even`, `down`, `up`)",
        achieved_clause | eligible_clause | pays_clause | requires_clause | excludes_clause
        | repeats_clause | cap_clause | claim_clause => {
            "an outcome clause (`achieved when`, `pays`, `requires`, `excludes`, `repeats`, `cap`, `claim within`, `eligible when`)"
        }
        cohort_clause | cohort_achieved => "a cohort clause (`cohort`, `achieved when`, `pays`, `cap`)",
        cohort_all | cohort_where | cohort_range => {
            "a cohort such as `participants referred from 2025-04-01 to 2025-09-30`"
        }
        measure | share_achieving | count_achieving | share_where | mean_of => {
            "a measure such as `share achieving sustained_employment`"
        }
        threshold | control_comparison => "a threshold such as `>= 50%`",
        pays_by | pays_tiers | pays_per_point | pays_amount => "an amount such as `1_000 GBP`",
        pays_case => "a case such as `ready: 1_000 GBP`",
        field_decl => "a field such as `born: date`",
        evidence_decl => "`evidence: ...`",
        record_field => "a field such as `born: 2009-03-15`",
        enum_case => "a case name",
        band | band_range | band_between | band_from | band_below => {
            "a band such as `part_time: from 16 to 30`"
        }
        given_entry | expect_entry | as_of_entry => "`given`, `expect` or `as of`",
        expect_achieved | expect_pending | expect_not_achieved => "`achieved`, `pending` or `not achieved`",
        change_direction => "`rises` or `falls`",
        baseline | first_event => "a baseline such as `the first wellbeing_survey`",
        exclusion => "`excluding ...`",
        significance => "`significant at 5% by ...`",
        effect_size | percent_points => "an effect such as `10%` or `5 points`",
        direction => "`above` or `below`",
        _ => {
            let rule_name = format!("{rule:?}");
            return rule_name.strip_prefix("kw_").map(|keyword_text| format!("`{keyword_text}`"));
        }
    };
    Some(words.to_string())
}

/// "a date such as `2025-04-01` or `from`": every distinct expectation, in a stable order.
pub fn describe(error: &Error<Rule>, previous_word: &str, tokens_only: bool) -> String {
    let mut phrases: BTreeSet<String> = BTreeSet::new();
    if let ErrorVariant::ParsingError { positives, .. } = &error.variant {
        if !tokens_only {
            phrases.extend(positives.iter().filter_map(|r| describe_rule(*r)));
        }
    }
    // pest names the innermost rule that failed (any value); the word before says which
    // kind of value the clause wants.
    if phrases.remove(EXPRESSION) {
        phrases.insert(in_context(previous_word).to_string());
    }
    if let Some(attempts) = error.parse_attempts() {
        for token in attempts.expected_tokens() {
            // Only literal tokens are worth naming; character ranges and built-in rules are
            // covered by the rule that holds them.
            let text = token.to_string();
            // Whitespace, comments and the characters of names are never what a user missed.
            let character_range = text.chars().count() == 4 && text.get(1..3) == Some("..");
            let noise = text.trim().is_empty()
                || matches!(text.as_str(), "BUILTIN_RULE" | "//" | "///" | "_" | "-")
                || character_range;
            if !noise {
                phrases.insert(format!("`{text}`"));
            }
        }
    }
    // A list of every keyword that could start a clause helps nobody: say the clause kinds.
    let mut words: Vec<String> = phrases.into_iter().collect();
    words.sort_by_key(|w| (w.starts_with('`'), w.clone()));
    if words.len() > 6 {
        let general: Vec<String> = words.iter().filter(|w| !w.starts_with('`')).cloned().collect();
        if !general.is_empty() {
            words = general;
        } else if let Some(clause) = clause_kind(&words) {
            words = vec![clause.to_string()];
        } else {
            words.truncate(6);
            words.push("...".to_string());
        }
    }
    match words.len() {
        0 => NOTHING_NAMED.to_string(),
        1 => words.remove(0),
        n => format!("{} or {}", words[..n - 1].join(", "), words[n - 1]),
    }
}

/// When every expectation is a keyword, the kind of clause they start.
fn clause_kind(keywords: &[String]) -> Option<&'static str> {
    let has = |k: &str| keywords.iter().any(|w| w == &format!("`{k}`"));
    if has("achieved") && has("requires") {
        Some(describe_rule_static(Rule::achieved_clause))
    } else if has("currency") || has("rounding") {
        Some(describe_rule_static(Rule::currency_entry))
    } else if has("outcome") && has("event") {
        Some(ITEM)
    } else {
        None
    }
}

fn describe_rule_static(rule: Rule) -> &'static str {
    match rule {
        Rule::achieved_clause => {
            "an outcome clause (`achieved when`, `pays`, `requires`, `excludes`, `repeats`, `cap`, `claim within`, `eligible when`)"
        }
        _ => {
            "a contract entry (`currency`, `outcomes achievable from`, `claims close`, `total cap`, `cap per participant`, `rounding`)"
        }
    }
}

/// The keywords that could have stood where a misspelt one is: for "did you mean".
pub fn expected_keywords(error: &Error<Rule>) -> Vec<String> {
    let mut out = Vec::new();
    if let ErrorVariant::ParsingError { positives, .. } = &error.variant {
        for rule in positives {
            if let Some(word) = format!("{rule:?}").strip_prefix("kw_") {
                out.push(word.to_string());
            }
        }
    }
    out
}

/// What a value is for, judged by the word before it.
fn in_context(previous_word: &str) -> &'static str {
    match previous_word {
        "within" | "least" => "a duration such as `26 months`",
        "after" | "from" | "between" => "a date such as `participant.referred`",
        "pays" => "an amount such as `1_000 GBP`",
        "when" | "where" | "not" | "or" | "if" => {
            "a condition such as `employment.hours > 16 hours per week`"
        }
        _ => EXPRESSION,
    }
}

/// A hint for common slips, where the found text makes the intent clear.
pub fn help_for(found: &str, rest_of_line: &str, at_line_start: bool, keywords: &[String]) -> Option<String> {
    if at_line_start && super::ITEM_KEYWORDS.contains(&found) {
        return Some("is a `}` missing before this line? Each item's block ends with `}`".to_string());
    }
    if let Some(keyword) = crate::check::suggest(found, keywords.iter().map(|k| k.as_str())) {
        return Some(format!("did you mean `{keyword}`?"));
    }
    let next_token = rest_of_line.split_whitespace().next().unwrap_or("");
    if next_token.contains('/') && next_token.starts_with(|c: char| c.is_ascii_digit()) {
        return Some("write dates as year-month-day, e.g. `2016-03-15`".to_string());
    }
    if next_token.starts_with(['£', '$', '€']) {
        return Some("write the currency code after the amount: `1_000 GBP`".to_string());
    }
    if found == "=" {
        return Some("to compare, write `==`; `=` only gives a definition its value".to_string());
    }
    if found == "&" || found == "|" {
        return Some("write `and` and `or`".to_string());
    }
    None
}
