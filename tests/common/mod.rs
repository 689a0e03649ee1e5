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
