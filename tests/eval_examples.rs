//! Every example that ships data is evaluated from it, and its decisions, ledger and summary
//! are snapshotted: `examples/data/<example>/` holds `participants.csv`, `events.csv` (or
//! `events/<event>.csv`, one file per event type), `as_of.txt`, and optionally a control
//! group in `control/`.

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn event_args(dir: &Path) -> Vec<String> {
    let combined = dir.join("events.csv");
    if combined.exists() {
        return vec![combined.to_string_lossy().into_owned()];
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir.join("events"))
        .map(|entries| entries.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    files.sort();
    files
        .iter()
        .map(|f| format!("{}={}", f.file_stem().unwrap_or_default().to_string_lossy(), f.to_string_lossy()))
        .collect()
}

fn evaluate(example: &str, out: &Path) -> std::process::Output {
    let dir = root().join("examples/data").join(example);
    let as_of = std::fs::read_to_string(dir.join("as_of.txt")).expect("as_of.txt").trim().to_string();
    let mut args: Vec<String> = vec![
        "eval".into(),
        format!("examples/{example}.pay"),
        "--participants".into(),
        dir.join("participants.csv").to_string_lossy().into_owned(),
        "--events".into(),
    ];
    args.extend(event_args(&dir));
    if dir.join("control").exists() {
        args.push("--control-participants".into());
        args.push(dir.join("control/participants.csv").to_string_lossy().into_owned());
        args.push("--control-events".into());
        args.extend(event_args(&dir.join("control")));
    }
    args.extend(["--as-of".into(), as_of, "--format".into(), "csv".into(), "--out".into()]);
    args.push(out.to_string_lossy().into_owned());
    Command::new(env!("CARGO_BIN_EXE_payable"))
        .args(&args)
        .current_dir(root())
        .output()
        .expect("payable runs")
}

#[test]
fn every_example_with_data_evaluates_to_its_snapshotted_outputs() {
    let mut examples: Vec<String> = std::fs::read_dir(root().join("examples/data"))
        .expect("examples/data exists")
        .filter_map(|e| e.ok())
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    examples.sort();
    assert!(!examples.is_empty());
    for example in examples {
        let out = std::env::temp_dir().join(format!("payable-example-{example}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&out);
        let result = evaluate(&example, &out);
        assert!(result.status.success(), "{example}: {}", String::from_utf8_lossy(&result.stderr));
        for file in ["decisions.csv", "ledger.csv", "summary.csv"] {
            let text = std::fs::read_to_string(out.join(file))
                .unwrap_or_else(|_| panic!("{example}: {file} written"));
            insta::assert_snapshot!(format!("{example}__{file}"), text);
        }
        // The same inputs give byte-identical outputs.
        let again = out.with_extension("again");
        let _ = std::fs::remove_dir_all(&again);
        assert!(evaluate(&example, &again).status.success());
        for file in ["decisions.csv", "ledger.csv", "summary.csv"] {
            assert_eq!(
                std::fs::read(out.join(file)).ok(),
                std::fs::read(again.join(file)).ok(),
                "{example}: {file}"
            );
        }
        let _ = std::fs::remove_dir_all(&out);
        let _ = std::fs::remove_dir_all(&again);
    }
}
