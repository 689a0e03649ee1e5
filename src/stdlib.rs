//! The standard library: `.pay` modules under `stdlib/`, embedded in the binary so that
//! `use std.calendar` works wherever payable runs.

const MODULES: &[(&str, &str)] = &[("calendar", include_str!("../stdlib/calendar.pay"))];

/// The source of a standard module, by the name `use std.NAME` gives.
pub fn source(name: &str) -> Option<&'static str> {
    MODULES.iter().find(|(n, _)| *n == name).map(|(_, text)| *text)
}

/// The name a standard module's file has in messages.
pub fn file_name(name: &str) -> String {
    format!("std/{name}.pay")
}

pub fn names() -> Vec<&'static str> {
    MODULES.iter().map(|(n, _)| *n).collect()
}
