//! The standard library: `.pay` modules under `stdlib/`, embedded in the binary so that
//! `use std.calendar` works wherever payable runs.
//!
//! Each module's tests are a small contract beside it, `stdlib/NAME.tests.pay`, that uses it
//! (a module cannot hold participants, events or outcomes, so it cannot hold tests itself);
//! `payable test stdlib/` runs them, and `tests/stdlib.rs` checks that every module is
//! embedded, documented and tested.

const MODULES: &[(&str, &str)] = &[
    ("calendar", include_str!("../stdlib/calendar.pay")),
    ("education", include_str!("../stdlib/education.pay")),
    ("employment", include_str!("../stdlib/employment.pay")),
    ("housing", include_str!("../stdlib/housing.pay")),
    ("justice", include_str!("../stdlib/justice.pay")),
    ("wellbeing", include_str!("../stdlib/wellbeing.pay")),
];

/// The source of a standard module, by the name `use std.NAME` gives.
pub fn source(name: &str) -> Option<&'static str> {
    MODULES.iter().find(|(n, _)| *n == name).map(|(_, text)| *text)
}

/// The name a standard module's file has in messages.
pub fn file_name(name: &str) -> String {
    format!("std/{name}.pay")
}

/// The names of the standard modules, in alphabetical order.
pub fn names() -> Vec<&'static str> {
    MODULES.iter().map(|(n, _)| *n).collect()
}
