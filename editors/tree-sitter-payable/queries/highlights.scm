; Highlights for Payable. Capture names follow the common set shared by Neovim, Helix and
; Zed (`@keyword`, `@function`, `@type`, `@variable.member`, ...).
;
; No two patterns capture the same node, so the result does not depend on whether an
; editor lets the first matching pattern win (tree-sitter CLI, Helix) or the last (Neovim).

((comment) @comment.documentation
  (#match? @comment.documentation "^///"))

((comment) @comment
  (#not-match? @comment "^///"))

; ------------------------------------------------------------------ literals

(string) @string
(date) @string.special
(number) @number
(signed_number) @number
(percent) @number
(boolean) @boolean
(unit
  (identifier) @type.builtin)

; ------------------------------------------------------------------ declarations

(contract_declaration
  name: (string) @string.special.symbol)
(currency_entry
  currency: (identifier) @type.builtin)
(holidays_entry
  calendar: (identifier) @constant)

(enum_declaration
  name: (identifier) @type)
(enum_case
  name: (identifier) @constant)
(unit_declaration
  name: (identifier) @type)
(unit_declaration
  plural: (identifier) @type)
(bands_declaration
  name: (identifier) @type)
(band
  name: (identifier) @constant)

(event_declaration
  name: (identifier) @type)
(evidence_declaration
  kind: (identifier) @constant)
(field_declaration
  name: (identifier) @variable.member)
(named_type
  name: (identifier) @type)
(named_type
  per: (identifier) @type)
(qualified_type
  module: (identifier) @module
  name: (identifier) @type)

(let_declaration
  name: (identifier) @function
  parameters: (parameters))
(let_declaration
  name: (identifier) @constant
  !parameters)
(parameter
  name: (identifier) @variable.parameter)

(outcome_declaration
  name: (identifier) @function)
(cohort_outcome_declaration
  name: (identifier) @function)
(outcome_declaration
  title: (string) @string.documentation)
(cohort_outcome_declaration
  title: (string) @string.documentation)
(requires_clause
  outcome: (identifier) @function)
(excludes_clause
  outcome: (identifier) @function)
(highest_declaration
  outcome: (identifier) @function)
(share_achieving
  outcome: (identifier) @function)
(count_achieving
  outcome: (identifier) @function)
(expect_entry
  outcome: (identifier) @function)
(pays_case
  case: (identifier) @constant)
(cohort_range
  field: (identifier) @variable.member)

(test_declaration
  name: (string) @string.documentation)
(given_entry
  event: (identifier) @type)
(record_field
  name: (identifier) @variable.member)

(allow_attribute
  "allow" @attribute
  lint: (identifier) @attribute)

(use_declaration
  module: (identifier) @module)
(use_declaration
  alias: (identifier) @module)

; ------------------------------------------------------------------ expressions

(field_access
  value: (identifier) @variable)
(field_access
  field: (identifier) @variable.member)
(aggregate
  event: (identifier) @type)
(aggregate
  field: (identifier) @variable.member)
(event_where
  event: (identifier) @type)
(first_event
  event: (identifier) @type)
(exclusion
  event: (identifier) @type)
(significance
  test: (identifier) @function.builtin)

(call
  function: (identifier) @function.call)
(call
  function: (field_access
    field: (identifier) @function.call))
(min_max_call
  function: _ @function.builtin)
(aggregate_function) @function.builtin
(count_achieving
  "count" @keyword)
(mean_of
  "mean" @keyword)

(participant) @variable.builtin

; `participant` the keyword, as opposed to `participant` the value above.
(participant_declaration
  "participant" @keyword)
(participant_cap_entry
  "participant" @keyword)

; ------------------------------------------------------------------ keywords

[
  "contract"
  "enum"
  "unit"
  "bands"
  "event"
  "let"
  "outcome"
  "cohort"
  "test"
  "use"
  "std"
  "as"
  "evidence"
  (activity_mark)
] @keyword

[
  "currency"
  "outcomes"
  "achievable"
  "claims"
  "close"
  "total"
  "cap"
  "rounding"
  "working"
  "days"
  "exclude"
  "achieved"
  "when"
  "eligible"
  "pays"
  "by"
  "tiers"
  "point"
  "points"
  "requires"
  "excludes"
  "repeats"
  "times"
  "payments"
  "claim"
  "achievement"
  "all"
  "participants"
  "share"
  "achieving"
  "control"
  "significant"
  "pay"
  "only"
  "the"
  "highest"
  "given"
  "expect"
  "paying"
  "pending"
  "until"
  "reason"
  (otherwise)
] @keyword

[
  "no"
  "at"
  "most"
  "least"
  "reaches"
  "first"
  "each"
  "of"
  "consecutive"
  "for"
  "in"
  "within"
  "between"
  "after"
  "from"
  "to"
  "on"
  "per"
  "above"
  "below"
  "counting"
  "any"
  "every"
  "excluding"
  "where"
  "is"
  "present"
  "missing"
  (change_direction)
  (period_kind)
  (anchor_word)
  (direction)
  (rounding_mode)
] @keyword

[
  "if"
  "then"
  "else"
] @keyword.conditional

[
  "and"
  "or"
  "not"
] @keyword.operator

[
  "=="
  "!="
  "<="
  ">="
  "<"
  ">"
  "??"
  "+"
  "-"
  "*"
  "/"
  "="
] @operator

(optional_mark) @operator

[
  "("
  ")"
  "{"
  "}"
] @punctuation.bracket

[
  ","
  "."
  ":"
  ".."
] @punctuation.delimiter
