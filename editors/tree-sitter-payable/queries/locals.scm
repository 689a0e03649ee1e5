; Scopes and definitions, so that editors can tell a `let` function's parameters from the
; contract's names of the same spelling.

(source_file) @local.scope
(let_declaration
  parameters: (parameters)) @local.scope

(parameter
  name: (identifier) @local.definition.parameter)
(let_declaration
  name: (identifier) @local.definition.function)
(outcome_declaration
  name: (identifier) @local.definition.function)
(cohort_outcome_declaration
  name: (identifier) @local.definition.function)
(event_declaration
  name: (identifier) @local.definition.type)
(enum_declaration
  name: (identifier) @local.definition.type)
(bands_declaration
  name: (identifier) @local.definition.type)
(enum_case
  name: (identifier) @local.definition.constant)

(identifier) @local.reference
