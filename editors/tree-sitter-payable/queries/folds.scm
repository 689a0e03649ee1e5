; Every braced body folds, and so does a long condition.

[
  (contract_declaration)
  (enum_declaration)
  (bands_declaration)
  (participant_declaration)
  (event_declaration)
  (outcome_declaration)
  (cohort_outcome_declaration)
  (test_declaration)
  (record)
  (pays_by)
  (pays_tiers)
  (achieved_clause)
] @fold
