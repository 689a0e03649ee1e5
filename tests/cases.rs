//! The corpus: folders of `.pay` files, each run through the compiler and snapshotted.
//!
//! - `tests/cases/errors/E0xxx_*.pay`: each must fail with (at least) the code its name
//!   starts with; the rendered diagnostics are snapshotted.
//! - `tests/cases/parse/*.pay`: syntax errors, snapshotted, to keep messages in the user's words.
//! - `tests/cases/one_mistake/*.pay`: one mistake must make exactly one diagnostic (no
//!   cascades of follow-on errors).
//! - `tests/cases/ok/*.pay`: must compile (warnings allowed); `examples/*.pay`,
//!   `stdlib/*.pay`: must check clean, with no warning either; contracts have their IR
//!   snapshotted.
//!
//! Adding a case means adding a file; `cargo insta review` shows the new snapshot.

use payable::resolve::FsLoader;
use std::path::Path;

/// Compiles a file under its path relative to the repository, so snapshots are stable.
fn compile(path: &Path) -> (String, payable::Compilation) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let relative = path.strip_prefix(root).unwrap_or(path).to_string_lossy().replace('\\', "/");
    let text = std::fs::read_to_string(path).expect("case files are readable");
    let compilation = std::env::set_current_dir(root)
        .map(|_| payable::compile(&relative, &text, &FsLoader))
        .expect("the repository root exists");
    (relative, compilation)
}

fn rendered(c: &payable::Compilation) -> String {
    payable::diagnostic::render_human(&c.sources, &c.diagnostics, false)
}

#[test]
fn error_cases_fail_with_their_code() {
    insta::glob!("cases/errors/*.pay", |path| {
        let (name, c) = compile(path);
        let code = path.file_name().unwrap().to_string_lossy()[..5].to_string();
        assert!(c.has_errors(), "{name} should not compile");
        assert!(
            c.diagnostics.iter().any(|d| d.code.id == code),
            "{name} should report {code}, but reported:\n{}",
            rendered(&c)
        );
        insta::assert_snapshot!(rendered(&c));
    });
}

#[test]
fn parse_errors_are_in_the_users_words() {
    insta::glob!("cases/parse/*.pay", |path| {
        let (name, c) = compile(path);
        assert!(c.has_errors(), "{name} should not parse");
        let text = rendered(&c);
        for rule_word in ["_lit", "_expr", "kw_", "EOI", "sum_expr", "cond_"] {
            assert!(!text.contains(rule_word), "{name}: a grammar rule name leaked: {text}");
        }
        insta::assert_snapshot!(text);
    });
}

#[test]
fn one_mistake_makes_one_diagnostic() {
    insta::glob!("cases/one_mistake/*.pay", |path| {
        let (name, c) = compile(path);
        assert_eq!(c.diagnostics.len(), 1, "{name} should report its one mistake once:\n{}", rendered(&c));
        insta::assert_snapshot!(rendered(&c));
    });
}

fn assert_clean(path: &Path) -> payable::Compilation {
    let (name, c) = compile(path);
    assert!(c.diagnostics.is_empty(), "{name} should check clean:\n{}", rendered(&c));
    c
}

#[test]
fn examples_check_clean_and_their_ir_is_stable() {
    insta::glob!("../examples", "*.pay", |path| {
        let c = assert_clean(path);
        let ir = c.ir.expect("every example is a whole contract");
        insta::assert_snapshot!(ir.to_json());
    });
}

/// These cases exercise constructs, not good contracts: they must compile without errors,
/// and may draw warnings (lints are tested in `tests/lints.rs`).
#[test]
fn passing_cases_check_clean() {
    insta::glob!("cases/ok/*.pay", |path| {
        let (name, c) = compile(path);
        assert!(!c.has_errors(), "{name} should compile:\n{}", rendered(&c));
    });
}

#[test]
fn stdlib_modules_check_clean_on_their_own() {
    insta::glob!("../stdlib", "*.pay", |path| {
        assert_clean(path);
    });
}
