//! The CI set-ups docs/ci.md offers, tried on this repository's own contracts: every
//! `payable` command of the GitHub Actions workflow and every pre-commit hook must pass on
//! `examples/` and `stdlib/`.

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs `payable` with the words of a command line after the program name.
fn run(words: &[String]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_payable"))
        .args(words)
        .current_dir(root())
        .output()
        .expect("payable runs")
}

#[test]
fn the_workflows_payable_steps_pass_on_this_repository() {
    let workflow =
        std::fs::read_to_string(root().join(".github/workflows/contracts.yml")).expect("workflow exists");
    let mut steps = 0;
    for line in workflow.lines() {
        let Some(command) = line.trim().strip_prefix("run: ./target/release/payable ") else { continue };
        let (command, sarif) = match command.split_once(" > ") {
            Some((c, _)) => (c, true),
            None => (command, false),
        };
        let words: Vec<String> = command.split_whitespace().map(str::to_string).collect();
        let out = run(&words);
        assert!(
            out.status.success(),
            "`payable {command}` failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        if sarif {
            let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("SARIF is JSON");
            assert_eq!(doc["version"], "2.1.0");
        }
        steps += 1;
    }
    assert!(steps >= 4, "the workflow runs check (SARIF), check --deny warnings, fmt --check and test");
}

#[test]
fn the_pre_commit_hooks_pass_on_this_repository() {
    let hooks = std::fs::read_to_string(root().join(".pre-commit-hooks.yaml")).expect("hooks exist");
    let mut files: Vec<String> = Vec::new();
    for dir in ["examples", "stdlib"] {
        let mut found: Vec<String> = std::fs::read_dir(root().join(dir))
            .expect("folder exists")
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "pay"))
            .map(|p| p.strip_prefix(root()).unwrap_or(Path::new("")).to_string_lossy().into_owned())
            .collect();
        found.sort();
        files.extend(found);
    }
    let mut hooks_run = 0;
    for line in hooks.lines() {
        let Some(entry) = line.trim().strip_prefix("entry: payable ") else { continue };
        let mut words: Vec<String> = entry.split_whitespace().map(str::to_string).collect();
        // pre-commit passes the staged files; `fmt` would rewrite them, so try it as a check.
        if words.first().is_some_and(|w| w == "fmt") {
            words.push("--check".into());
        }
        words.extend(files.iter().cloned());
        let out = run(&words);
        assert!(
            out.status.success(),
            "hook `payable {entry}` failed:\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        hooks_run += 1;
    }
    assert_eq!(hooks_run, 3);
}
