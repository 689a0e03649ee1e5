//! Evaluation: decides, for every participant and outcome, achieved / not achieved / pending
//! as of a date, from the IR and event timelines.
//!
//! Owns: input reading and validation (`input`), calendar days (`day`) and working days
//! (`calendar`), the compiled plan (`plan`), expressions (`interpret`), conditions
//! (`conditions`), decisions for a participant (`decide`), caps and the ledger (`ledger`),
//! cohort outcomes and their significance tests (`cohort`, `stats`), and the outputs
//! (`output`). It reads only the IR, never the source.

pub mod calendar;
pub mod cohort;
pub mod conditions;
pub mod day;
pub mod decide;
pub mod generate;
pub mod input;
pub mod interpret;
pub mod ledger;
pub mod output;
pub mod plan;
pub mod run;
pub mod scenario;
pub mod stats;
pub mod value;
pub mod why;
