//! Every diagnostic code has a case that triggers it and an entry in the reference.

use payable::diagnostic::CODES;
use std::path::Path;

#[test]
fn every_code_has_a_failing_case_and_a_documented_example() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let cases: Vec<String> = std::fs::read_dir(root.join("tests/cases/errors"))
        .expect("tests/cases/errors exists")
        .map(|e| e.expect("readable").file_name().to_string_lossy().into_owned())
        .collect();
    let reference =
        std::fs::read_to_string(root.join("docs/reference.md")).expect("docs/reference.md exists");
    let mut missing = Vec::new();
    for code in CODES {
        if !cases.iter().any(|c| c.starts_with(code.id) && c.ends_with(".pay")) {
            missing.push(format!("{}: no tests/cases/errors/{}_*.pay", code.id, code.id));
        }
        let heading = format!("### {}", code.id);
        match reference.find(&heading) {
            None => missing.push(format!("{}: no `{heading}` in docs/reference.md", code.id)),
            Some(at) => {
                let entry = &reference[at..];
                let entry = &entry[..entry[4..].find("\n### ").map_or(entry.len(), |i| i + 4)];
                if entry.matches("```").count() < 4 {
                    missing.push(format!(
                        "{}: the reference entry needs the error and the fix as code blocks",
                        code.id
                    ));
                }
            }
        }
    }
    assert!(missing.is_empty(), "{}", missing.join("\n"));
}
