//! `payable fmt` on every `.pay` file in the repository: idempotent, meaning-preserving (the
//! IR hash, or the syntax tree of a module, is the same before and after), and no comment
//! lost. A deliberately messy file shows the canonical layout.

use payable::resolve::FsLoader;
use std::path::{Path, PathBuf};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn pay_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            pay_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "pay") {
            out.push(path);
        }
    }
}

/// Every `.pay` file under the folders, sorted.
fn files(folders: &[&str]) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for folder in folders {
        pay_files(&root().join(folder), &mut out);
    }
    out.sort();
    assert!(!out.is_empty(), "no .pay files under {folders:?}");
    out
}

fn relative(path: &Path) -> String {
    path.strip_prefix(root()).unwrap_or(path).to_string_lossy().replace('\\', "/")
}

/// The meaning of a file: its IR hash if it compiles to a contract, else its syntax tree
/// without spans.
fn meaning(name: &str, text: &str) -> String {
    let compilation = std::env::set_current_dir(root())
        .map(|_| payable::compile(name, text, &FsLoader))
        .expect("the repository root exists");
    match compilation.ir {
        Some(ir) if !compilation.has_errors() => format!("IR hash {}", ir.hash),
        _ => {
            let (module, _) = payable::syntax::parse(payable::source::FileId(0), text);
            payable::fmt::without_spans(&format!("{:?}", module.items))
        }
    }
}

/// Every `//` and `///` comment's text, in order.
fn comments(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in text.lines() {
        let mut in_string = false;
        let bytes = line.as_bytes();
        for i in 0..bytes.len() {
            match bytes[i] {
                b'"' => in_string = !in_string,
                b'/' if !in_string && bytes.get(i + 1) == Some(&b'/') => {
                    out.push(line[i..].trim_end().to_string());
                    break;
                }
                _ => {}
            }
        }
    }
    out
}

/// Formats each file twice; checks the output is a fixed point, means the same, and keeps
/// every comment in order. Returns how many files were already formatted.
fn check_files(paths: &[PathBuf]) -> usize {
    let mut unchanged = 0;
    for path in paths {
        let name = relative(path);
        let text = std::fs::read_to_string(path).expect("case files are readable");
        let once = match payable::fmt::format(&text) {
            Ok(f) => f,
            Err(d) => panic!("{name} does not format: {d:?}"),
        };
        let twice =
            payable::fmt::format(&once).unwrap_or_else(|d| panic!("{name} formatted does not format: {d:?}"));
        assert_eq!(once, twice, "{name}: formatting is not idempotent");
        assert_eq!(meaning(&name, &text), meaning(&name, &once), "{name}: formatting changed the meaning");
        assert_eq!(
            comments(&text),
            comments(&once),
            "{name}: a comment was lost, changed or moved across another"
        );
        for (i, line) in once.lines().enumerate() {
            assert!(!line.ends_with(' '), "{name}:{}: trailing space", i + 1);
            assert!(!line.contains('\t'), "{name}:{}: tab", i + 1);
        }
        assert!(!once.contains("\n\n\n"), "{name}: more than one blank line");
        unchanged += usize::from(once == text);
    }
    unchanged
}

#[test]
fn examples_and_stdlib_format_and_keep_their_meaning() {
    let paths = files(&["examples", "stdlib"]);
    let unchanged = check_files(&paths);
    assert_eq!(
        unchanged,
        paths.len(),
        "run `payable fmt examples stdlib`: the shipped files must be formatted"
    );
}

#[test]
fn test_cases_format_and_keep_their_meaning() {
    let paths = files(&["tests/cases/ok", "tests/cases/eval", "tests/cases/eval_data"]);
    assert_eq!(check_files(&paths), paths.len(), "the passing test cases must be formatted");
}

/// Every other case (errors, lints, test runner, fmt...) is not reformatted (their snapshots
/// quote line numbers, or they are messy on purpose), but those that parse must format safely.
#[test]
fn every_other_case_that_parses_formats_and_keeps_its_meaning() {
    let formatted = ["tests/cases/ok", "tests/cases/eval", "tests/cases/eval_data"];
    let mut parsing = Vec::new();
    for path in files(&["tests/cases"]) {
        if formatted.iter().any(|f| path.starts_with(root().join(f))) {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("case files are readable");
        match payable::fmt::format(&text) {
            Ok(_) => parsing.push(path),
            Err(diagnostics) => {
                assert!(!diagnostics.is_empty(), "{}: an error with no diagnostic", relative(&path));
                assert!(
                    diagnostics.iter().all(|d| d.code.id == "E0001" && !d.message.contains("internal error")),
                    "{}: only syntax errors stop formatting: {diagnostics:?}",
                    relative(&path)
                );
            }
        }
    }
    assert!(parsing.len() > 30, "most cases parse");
    check_files(&parsing);
}

#[test]
fn a_file_that_does_not_parse_is_an_error() {
    let result = payable::fmt::format("outcome x {\n  achieved when\n}\n");
    let diagnostics = result.expect_err("a broken file is not formatted");
    assert!(diagnostics.iter().any(|d| d.code.id == "E0001"));
}

/// `tests/cases/fmt/*.pay`: files laid out badly on purpose; the snapshot is what a user sees
/// after `payable fmt`.
#[test]
fn messy_files_are_laid_out_canonically() {
    insta::glob!("cases/fmt/*.pay", |path| {
        let text = std::fs::read_to_string(path).expect("the case is readable");
        let formatted = payable::fmt::format(&text).expect("the case parses");
        insta::assert_snapshot!(formatted);
    });
}

/// The lines, each ended by a newline.
fn lines(lines: &[&str]) -> String {
    lines.iter().map(|l| format!("{l}\n")).collect()
}

fn format(text: &str) -> String {
    payable::fmt::format(text).unwrap_or_else(|d| panic!("does not format: {d:?}"))
}

#[test]
fn comments_only_and_empty_files() {
    assert_eq!(format(""), "");
    assert_eq!(format("  // a\n\n\n// b  \n"), "// a\n\n// b\n");
}

#[test]
fn end_of_line_comments_keep_their_column_and_a_second_on_one_line_moves_below() {
    let text = lines(&["participant {", "  born: date // one", "  referred:   date?       // two", "}"]);
    let expected = lines(&["participant {", "  born: date  // one", "  referred: date?         // two", "}"]);
    assert_eq!(format(&text), expected);

    let joined = lines(&[
        "test \"t\" {",
        "  given participant { born: 2000-01-01, // one",
        "    referred: 2020-01-01 } // two",
        "}",
    ]);
    let expected = lines(&[
        "test \"t\" {",
        "  given participant {",
        "    born: 2000-01-01,                   // one",
        "    referred: 2020-01-01,",
        "  }                        // two",
        "}",
    ]);
    assert_eq!(format(&joined), expected);

    let crowded = lines(&["let a = 1 // one", "  + 2 // two"]);
    assert_eq!(format(&crowded), lines(&["let a = 1  // one", "  + 2  // two"]));

    // A comment between arguments breaks the call, one argument per line, so that each
    // comment stays beside the argument it was written after.
    let call = lines(&["let a = f(1, // one", "  2) // two", "let b = 3"]);
    assert_eq!(format(&call), lines(&["let a = f(", "  1,         // one", "  2  // two", ")", "let b = 3"]));
}

#[test]
fn brackets_written_are_kept_and_doubled_ones_become_one() {
    let text = lines(&[
        "let a = (x + y) * z",
        "let b = x - (y - z)",
        "let c = (p and q) or r",
        "let d = -(x)",
        "let e = (count of x within 3 months after y) * 2",
        "let f = if (a) then b else (if c then d else e)",
    ]);
    assert_eq!(format(&text), text);
    assert_eq!(format("let a = ((x))\n"), "let a = (x)\n");
}
