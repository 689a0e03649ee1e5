/**
 * @file Tree-sitter grammar for Payable, the language of payable outcomes.
 * @license MIT
 *
 * The source of truth is `grammar/payable.pest` in the Payable repository: this grammar
 * follows its rules and names, and differs only where an editor is better served:
 *
 * - It accepts more than the compiler does (keywords are contextual, not reserved; a
 *   bracket may hold a condition anywhere; `allow(...)` is an item of its own). An editor
 *   needs a tree for every file the compiler accepts, and a useful tree for the rest;
 *   the compiler says what is wrong.
 * - pest's ordered choice and greedy repetition become precedences (see PREC), so that
 *   the trees match the ones pest builds.
 * - `///` doc comments are comments, as are `//` ones.
 */

/// <reference types="tree-sitter-cli/dsl" />
// @ts-check

// Binding strength, loosest first. pest builds the same tree through its layered rules
// (`or_expr` > `and_expr` > `not_expr` > `cmp_expr` > `coalesce` > `sum_expr` > ...).
const PREC = {
  // `if ... else e` and `sum of x where e` take as much of `e` as they can, like pest.
  greedy: -1,
  or: 1,
  and: 2,
  // A condition's own forms (`x within ...`, `x in each of ...`): they take their event
  // filter from a `not`, comparison or sum, never from an `and`/`or` (pest's `event_filter`
  // is a `not_expr`), and a bare expression in a condition stops before `and`/`or`, which
  // then join conditions.
  condition: 3,
  not: 4,
  compare: 5,
  coalesce: 6,
  // Places where pest asks for a `sum_expr` (durations, window anchors, tiers): they end
  // before `??`, a comparison, `and` and `or`.
  sum_context: 7,
  add: 8,
  multiply: 9,
  // pest's `unary` (after `share where`).
  unary_context: 10,
  negate: 11,
};

/**
 * One or more `rule`, separated by commas, with an optional trailing comma.
 * @param {RuleOrLiteral} rule
 * @returns {SeqRule}
 */
function commaSep1Trailing(rule) {
  return seq(rule, repeat(seq(',', rule)), optional(','));
}

/**
 * One or more `rule`, separated by commas.
 * @param {RuleOrLiteral} rule
 * @returns {SeqRule}
 */
function commaSep1(rule) {
  return seq(rule, repeat(seq(',', rule)));
}

module.exports = grammar({
  name: 'payable',

  word: $ => $.identifier,

  extras: $ => [/\s/, $.comment],

  conflicts: $ => [
    // `100 GBP per point above ...`: `per` may continue the unit (`GBP per tonne`) or
    // start the per-point price; the word after it decides (pest: `point` is no unit).
    [$.unit],
  ],

  supertypes: $ => [$._item, $._expression],

  rules: {
    source_file: $ => repeat(choice($._item, $.allow_attribute)),

    // ------------------------------------------------------------------ lexical

    // `//` and `///` alike; highlight queries tell doc comments apart by their text.
    comment: _ => token(seq('//', /[^\n]*/)),

    identifier: _ => /[A-Za-z_][A-Za-z0-9_]*/,

    number: _ => /\d[\d_]*(\.\d+)?/,
    signed_number: _ => token(seq('-', /\d[\d_]*(\.\d+)?/)),
    date: _ => /\d{4}-\d{2}-\d{2}/,
    percent: _ => /\d[\d_]*(\.\d+)?%/,
    string: _ => /"[^"\n]*"/,
    boolean: _ => choice('true', 'false'),

    // `allow(cliff_edge, reason = "...")`: a lint knowingly accepted for the next item.
    allow_attribute: $ => seq(
      'allow', '(', field('lint', $.identifier), ',',
      'reason', '=', field('reason', $.string), ')',
    ),

    // ------------------------------------------------------------------ items

    _item: $ => choice(
      $.use_declaration,
      $.contract_declaration,
      $.enum_declaration,
      $.unit_declaration,
      $.bands_declaration,
      $.participant_declaration,
      $.event_declaration,
      $.let_declaration,
      $.outcome_declaration,
      $.cohort_outcome_declaration,
      $.highest_declaration,
      $.test_declaration,
    ),

    use_declaration: $ => seq('use', choice(
      seq(
        'std', '.', field('module', $.identifier),
        optional(seq('as', field('alias', $.identifier))),
      ),
      seq(field('path', $.string), optional(seq('as', field('alias', $.identifier)))),
    )),

    contract_declaration: $ => seq(
      'contract', field('name', $.string), '{', repeat($._contract_entry), '}',
    ),
    _contract_entry: $ => choice(
      $.currency_entry,
      $.achievable_entry,
      $.claims_entry,
      $.total_cap_entry,
      $.participant_cap_entry,
      $.rounding_entry,
      $.holidays_entry,
    ),
    currency_entry: $ => seq('currency', field('currency', $.identifier)),
    achievable_entry: $ => seq(
      'outcomes', 'achievable', 'from', field('from', $.date), 'to', field('to', $.date),
    ),
    claims_entry: $ => seq('claims', 'close', field('date', $.date)),
    total_cap_entry: $ => seq('total', 'cap', field('amount', $._quantity_literal)),
    participant_cap_entry: $ => seq(
      'cap', 'per', 'participant', field('amount', $._quantity_literal),
    ),
    rounding_entry: $ => seq(
      'rounding', field('mode', $.rounding_mode), 'to', field('step', $._quantity_literal),
    ),
    rounding_mode: _ => choice('half_up', 'half_even', 'down', 'up'),
    holidays_entry: $ => seq(
      'working', 'days', 'exclude', field('calendar', $.identifier),
    ),

    enum_declaration: $ => seq(
      'enum', field('name', $.identifier), '{', commaSep1Trailing($.enum_case), '}',
    ),
    enum_case: $ => seq(repeat($.allow_attribute), field('name', $.identifier)),

    unit_declaration: $ => seq(
      'unit', field('name', $.identifier), optional(seq(',', field('plural', $.identifier))),
    ),

    bands_declaration: $ => seq(
      'bands', field('name', $.identifier), 'of', field('type', $._type),
      '{', repeat($.band), '}',
    ),
    band: $ => seq(
      repeat($.allow_attribute),
      field('name', $.identifier), ':', field('range', $._band_range), optional(','),
    ),
    _band_range: $ => choice($.band_between, $.band_from, $.band_below),
    band_between: $ => seq(
      'from', field('from', $._signed_number), 'to', field('to', $._signed_number),
    ),
    band_from: $ => seq('from', field('from', $._signed_number)),
    band_below: $ => seq('below', field('to', $._signed_number)),
    _signed_number: $ => choice($.number, $.signed_number),

    participant_declaration: $ => seq(
      'participant', optional(field('name', $.string)), '{', repeat($.field_declaration), '}',
    ),

    event_declaration: $ => seq(
      optional($.activity_mark), 'event', field('name', $.identifier),
      '{', repeat(choice($.evidence_declaration, $.field_declaration)), '}',
    ),
    activity_mark: _ => 'activity',
    evidence_declaration: $ => seq(
      'evidence', ':', field('kind', $.identifier),
      repeat(seq('or', field('kind', $.identifier))), optional(','),
    ),

    // A field name may be any word, keywords included: `from`, `to` and `on` are common.
    field_declaration: $ => seq(
      repeat($.allow_attribute),
      field('name', $.identifier), ':', field('type', $._type), optional(','),
    ),

    _type: $ => choice($.bounded_int, $.qualified_type, $.named_type),
    // `education.Level`: an enum declared in a module this file uses.
    qualified_type: $ => seq(
      field('module', $.identifier), '.', field('name', $.identifier),
      optional($.optional_mark),
    ),
    bounded_int: $ => seq(field('low', $._signed_number), '..', field('high', $._signed_number)),
    named_type: $ => seq(
      field('name', $.identifier), optional(seq('per', field('per', $.identifier))),
      optional($.optional_mark),
    ),
    optional_mark: _ => '?',

    let_declaration: $ => seq(
      'let', field('name', $.identifier), optional(field('parameters', $.parameters)),
      optional(seq(':', field('type', $._type))), '=', field('value', $._expression),
    ),
    parameters: $ => seq('(', optional(commaSep1($.parameter)), ')'),
    parameter: $ => seq(field('name', $.identifier), ':', field('type', $._type)),

    outcome_declaration: $ => seq(
      'outcome', field('name', $.identifier), optional(field('title', $.string)),
      '{', repeat($._outcome_entry), '}',
    ),
    _outcome_entry: $ => choice(
      $.achieved_clause,
      $.eligible_clause,
      $.pays_clause,
      $.requires_clause,
      $.excludes_clause,
      $.repeats_clause,
      $.cap_clause,
      $.claim_clause,
    ),
    achieved_clause: $ => seq('achieved', 'when', field('condition', $._condition)),
    eligible_clause: $ => seq('eligible', 'when', field('condition', $._expression)),
    requires_clause: $ => seq('requires', commaSep1(field('outcome', $.identifier))),
    excludes_clause: $ => seq('excludes', commaSep1(field('outcome', $.identifier))),
    repeats_clause: $ => seq('repeats', 'at', 'most', field('times', $.number), 'times'),
    cap_clause: $ => seq('cap', choice($.volume_cap, field('amount', $._quantity_literal))),
    volume_cap: $ => seq(field('count', $.number), 'payments'),
    claim_clause: $ => seq(
      'claim', 'within', field('duration', $._sum_expression),
      optional(seq('after', 'achievement')),
    ),

    pays_clause: $ => seq('pays', choice(
      $.pays_by,
      $.pays_tiers,
      $.pays_per_point,
      field('amount', $._expression),
    )),
    pays_by: $ => seq(
      'by', field('subject', $._sum_expression), '{', commaSep1Trailing($.pays_case), '}',
    ),
    pays_case: $ => seq(
      field('case', choice($.otherwise, $.identifier)), ':', field('amount', $._expression),
    ),
    otherwise: _ => 'otherwise',
    pays_tiers: $ => seq('tiers', '{', commaSep1Trailing($.tier), '}'),
    tier: $ => seq(
      'from', field('from', $._sum_expression), ':', field('amount', $._expression),
    ),
    pays_per_point: $ => seq(
      field('rate', $._quantity_literal), 'per', 'point', 'above',
      field('threshold', $._sum_expression),
    ),

    cohort_outcome_declaration: $ => seq(
      'cohort', 'outcome', field('name', $.identifier), optional(field('title', $.string)),
      '{', repeat($._cohort_entry), '}',
    ),
    _cohort_entry: $ => choice(
      $.cohort_clause,
      $.cohort_achieved_clause,
      $.pays_clause,
      $.cap_clause,
      $.claim_clause,
    ),
    cohort_clause: $ => seq('cohort', choice(
      $.cohort_all,
      $.cohort_where,
      $.cohort_range,
    )),
    cohort_all: _ => seq('all', 'participants'),
    cohort_where: $ => seq('participants', 'where', field('condition', $._expression)),
    cohort_range: $ => seq(
      'participants', field('field', $.identifier),
      'from', field('from', $.date), 'to', field('to', $.date),
    ),
    cohort_achieved_clause: $ => seq(
      'achieved', 'when', choice($.control_comparison, $.threshold),
    ),
    threshold: $ => seq(
      field('measure', $._measure), field('operator', $._compare_operator),
      field('value', $._sum_expression),
    ),
    control_comparison: $ => seq(
      field('measure', $._measure), 'is', 'at', 'least', field('effect', $._effect_size),
      field('direction', $.direction), 'control',
      optional(seq(',', $.significance)),
    ),
    _effect_size: $ => choice($.percent_points, $.percent),
    percent_points: $ => seq($.number, 'points'),
    direction: _ => choice('above', 'below'),
    significance: $ => seq(
      'significant', 'at', field('level', $.percent), 'by', field('test', $.identifier),
    ),
    _measure: $ => choice($.share_achieving, $.count_achieving, $.share_where, $.mean_of),
    share_achieving: $ => seq('share', 'achieving', field('outcome', $.identifier)),
    count_achieving: $ => seq('count', 'achieving', field('outcome', $.identifier)),
    // A bracketed condition or a single yes/no value: a bare comparison would swallow the
    // threshold that follows.
    share_where: $ => prec(PREC.unary_context, seq('share', 'where', field('condition', $._expression))),
    mean_of: $ => prec(PREC.sum_context, seq('mean', 'of', field('value', $._expression))),

    highest_declaration: $ => seq(
      'pay', 'only', 'the', 'highest', 'of',
      field('outcome', $.identifier), repeat1(seq(',', field('outcome', $.identifier))),
    ),

    test_declaration: $ => seq(
      'test', field('name', $.string), '{', repeat($._test_entry), '}',
    ),
    _test_entry: $ => choice($.as_of_entry, $.given_entry, $.expect_entry),
    as_of_entry: $ => seq('as', 'of', field('date', $.date)),
    given_entry: $ => seq(
      'given', field('event', choice($.participant, $.identifier)), field('record', $.record),
    ),
    record: $ => seq('{', optional(commaSep1Trailing($.record_field)), '}'),
    record_field: $ => seq(field('name', $.identifier), ':', field('value', $._expression)),
    expect_entry: $ => seq(
      'expect', field('outcome', $.identifier),
      field('expectation', choice($.expect_achieved, $.expect_pending, $.expect_not_achieved)),
    ),
    expect_achieved: $ => seq(
      'achieved',
      optional(seq('on', field('date', $.date))),
      optional(seq('paying', field('amount', $._quantity_literal))),
    ),
    expect_pending: $ => seq('pending', optional(seq('until', field('date', $.date)))),
    expect_not_achieved: _ => seq('not', 'achieved'),

    // ------------------------------------------------------------------ conditions
    //
    // A condition says when an outcome is achieved, and so on which date.

    _condition: $ => choice(
      $.absence,
      $.at_most,
      $.reaches,
      $.change,
      $.periods,
      $.consecutive,
      $.cumulative,
      $.occurrence,
      alias($.condition_binary, $.binary_expression),
      prec(PREC.condition, $._expression),
    ),

    condition_binary: $ => choice(
      prec.left(PREC.or, seq(
        field('left', $._condition), field('operator', 'or'), field('right', $._condition),
      )),
      prec.left(PREC.and, seq(
        field('left', $._condition), field('operator', 'and'), field('right', $._condition),
      )),
    ),

    absence: $ => prec(PREC.condition, seq(
      'no', field('filter', $._event_filter), field('window', $._window),
      optional($.exclusion),
    )),
    at_most: $ => prec(PREC.condition, seq(
      'at', 'most', field('count', $.number), field('filter', $._event_filter),
      field('window', $._window), optional($.exclusion),
    )),
    reaches: $ => prec(PREC.condition, seq(
      field('total', $.aggregate), 'reaches', field('target', $._sum_expression),
      field('window', $._window),
    )),
    change: $ => prec(PREC.condition, seq(
      field('value', $._expression), field('direction', $.change_direction),
      'by', 'at', 'least', field('amount', $._sum_expression),
      'from', field('baseline', choice($.first_event, $._sum_expression)),
      field('window', $._window),
    )),
    change_direction: _ => choice('rises', 'falls'),
    first_event: $ => seq('the', 'first', field('event', $.identifier)),
    periods: $ => prec(PREC.condition, seq(
      field('filter', $._event_filter), 'in', field('count', $._period_count),
      field('period', $.period_kind), field('anchor_word', $.anchor_word),
      field('anchor', $._sum_expression),
      optional($.counting), optional($.exclusion),
    )),
    _period_count: $ => choice($.at_least_of, $.each_of),
    at_least_of: $ => seq(
      'at', 'least', field('count', $.number), 'of', 'the', field('of', $.number),
    ),
    each_of: $ => seq('each', 'of', 'the', field('of', $.number)),
    consecutive: $ => prec(PREC.condition, seq(
      field('filter', $._event_filter), 'for', field('count', $.number), 'consecutive',
      field('period', $.period_kind), field('window', $._window),
      optional($.counting), optional($.exclusion),
    )),
    cumulative: $ => prec(PREC.condition, seq(
      field('filter', $._event_filter), 'for', 'at', 'least',
      field('duration', $._sum_expression), 'in', 'total',
      field('window', $._window), optional($.exclusion),
    )),
    occurrence: $ => prec(PREC.condition, seq(
      field('filter', $._event_filter), field('window', $._window),
    )),

    // No `and`/`or` at the top of a filter: `A and employment for 13 weeks ...` is two
    // conditions. A filter that needs them is written `employment where A and B`.
    _event_filter: $ => choice($.event_where, $._expression),
    event_where: $ => seq(
      field('event', $.identifier), 'where', field('condition', $._expression),
    ),

    period_kind: _ => choice(
      seq('calendar', choice('months', 'month')),
      seq('calendar', choice('weeks', 'week')),
      'months', 'month', 'weeks', 'week', 'days', 'day',
    ),
    anchor_word: _ => choice('after', 'from'),
    counting: $ => seq('counting', choice(
      seq('any', 'day'),
      seq('every', 'day'),
      seq('at', 'least', field('days', $.number), 'days'),
    )),
    exclusion: $ => seq('excluding', commaSep1(field('event', $.identifier))),

    _window: $ => choice($.window_within, $.window_between, $.window_after),
    window_within: $ => seq(
      'within', field('duration', $._sum_expression),
      field('anchor_word', $.anchor_word), field('anchor', $._sum_expression),
    ),
    window_between: $ => seq(
      'between', field('start', $._sum_expression), 'and', field('end', $._sum_expression),
    ),
    window_after: $ => seq('after', field('anchor', $._sum_expression)),

    // ------------------------------------------------------------------ expressions

    // Where pest asks for a `sum_expr`: a duration, an anchor, a tier's threshold.
    _sum_expression: $ => prec(PREC.sum_context, $._expression),

    _expression: $ => choice(
      $.if_expression,
      $.binary_expression,
      $.unary_expression,
      $.presence,
      $.aggregate,
      $.min_max_call,
      $.call,
      $.parenthesized_expression,
      $._literal,
      $._path,
    ),

    if_expression: $ => prec.right(PREC.greedy, seq(
      'if', field('condition', $._expression),
      'then', field('consequence', $._expression),
      'else', field('alternative', $._expression),
    )),

    binary_expression: $ => {
      /** @type {[number, RuleOrLiteral][]} */
      const table = [
        [PREC.or, 'or'],
        [PREC.and, 'and'],
        [PREC.compare, $._compare_operator],
        [PREC.coalesce, '??'],
        [PREC.add, choice('+', '-')],
        [PREC.multiply, choice('*', '/')],
      ];
      return choice(...table.map(([precedence, operator]) => prec.left(precedence, seq(
        field('left', $._expression),
        field('operator', operator),
        field('right', $._expression),
      ))));
    },
    _compare_operator: _ => choice('==', '!=', '<=', '>=', '<', '>'),

    unary_expression: $ => choice(
      prec(PREC.not, seq(field('operator', 'not'), field('operand', $._expression))),
      prec(PREC.negate, seq(field('operator', '-'), field('operand', $._expression))),
    ),

    presence: $ => prec(PREC.compare, seq(
      field('value', $._expression), 'is', field('state', choice('present', 'missing')),
    )),

    // A bracket may hold a whole condition: `(A within 3 months after x) and B`. In a
    // plain expression it holds an expression, whose `and`/`or` read the same.
    parenthesized_expression: $ => seq('(', $._condition, ')'),

    aggregate: $ => prec.right(PREC.greedy, seq(
      field('function', $.aggregate_function), 'of',
      field('event', $.identifier), optional(seq('.', field('field', $.identifier))),
      optional(seq('where', field('condition', $._expression))),
      optional(field('window', $._window)),
    )),
    aggregate_function: _ => choice('sum', 'count', 'mean', 'min', 'max'),

    min_max_call: $ => seq(
      field('function', choice('min', 'max')),
      '(', commaSep1(field('argument', $._expression)), ')',
    ),

    call: $ => seq(
      field('function', $._path),
      '(', optional(commaSep1(field('argument', $._expression))), ')',
    ),

    _path: $ => choice($.identifier, $.participant, $.field_access),
    participant: _ => 'participant',
    field_access: $ => seq(
      field('value', $._path), '.', field('field', $.identifier),
    ),

    _literal: $ => choice(
      $.date,
      $.percent,
      $._quantity_literal,
      $.string,
      $.boolean,
    ),
    _quantity_literal: $ => choice($.number, $.quantity),
    // A number followed by a word takes it as its unit, as pest's greedy `unit_expr?` does.
    quantity: $ => prec(1, seq(field('amount', $.number), field('unit', $.unit))),
    // `hours per week`, `GBP`, `GBP per tonne`, `working days`.
    unit: $ => seq(
      optional('working'), field('name', $.identifier),
      optional(seq('per', field('per', $.identifier))),
    ),
  },
});
