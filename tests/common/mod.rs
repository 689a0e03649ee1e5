//! What the integration tests share: the repository's root, and `payable` run as a user runs
//! it, from that root. Each test binary includes this module (`mod common;`).

// Each test binary compiles its own copy and uses only some of these.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::{Command, Output};

/// The repository: examples, stdlib and cases are named relative to it.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs the `payable` binary with `args`, from the repository's root.
pub fn payable(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_payable"))
        .args(args)
        .current_dir(root())
        .output()
        .expect("the payable binary runs")
}

/// A process's output as text, for messages and assertions.
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A contract declaring every kind of field, for the tests of evaluation input: optional
/// fields, a bounded int, an enum, a unit to convert (`hours per day`), a money field, a
/// percentage, a yes/no field, point events and spells (open-ended and not).
pub const INPUT_CONTRACT: &str = r#"
contract "Input test" {
  currency GBP
  outcomes achievable from 2025-04-01 to 2028-03-31
  claims close 2028-09-30
}

enum Group { ready, needs_support, complex }

participant {
  born: date
  group: Group
  score: 14..70
  note: text?
}

event employment {
  from: date
  to: date?
  hours: hours per day
  pay: GBP?
  share: percent?
}

event survey {
  on: date
  score: 14..70
  remote: bool?
}

event placement {
  from: date
  to: date
}

outcome employed "Employed" {
  achieved when employment.hours > 16 hours per week
    in at least 1 of the 2 calendar months after participant.born
  pays 10 GBP
}
"#;

/// [`INPUT_CONTRACT`], compiled.
pub fn input_contract() -> payable::ir::Contract {
    let c = payable::compile("input.pay", INPUT_CONTRACT, &payable::resolve::NoFiles);
    let rendered = payable::diagnostic::render_human(&c.sources, &c.diagnostics, false);
    c.ir.unwrap_or_else(|| panic!("the contract compiles:\n{rendered}"))
}
