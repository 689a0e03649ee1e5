//! `payable test`: runs the `test` blocks of contracts, and of their test files
//! (`NAME.tests.pay` beside `NAME.pay`), and reports like `cargo test`. The test file of a
//! module (a file without a contract header) is a contract that uses the module, with tests.

use super::{ColorChoice, EXIT_CONTRACT_ERRORS, EXIT_OK};
use crate::diagnostic::{self, Code, Diagnostic, Severity};
use crate::eval::decide::{Decision, Status};
use crate::eval::{plan, scenario};
use crate::ir;
use crate::resolve::FsLoader;
use crate::source::{FileId, SourceMap, Span};
use std::path::PathBuf;

/// A failed expectation, rendered like a diagnostic (it is not one: it has no entry in the
/// catalogue of codes).
const TEST_FAILED: Code = Code { id: "test", title: "test failed" };

#[derive(clap::Args)]
pub struct Args {
    /// Contracts, test files (NAME.tests.pay) or folders; default: the current folder
    paths: Vec<PathBuf>,
    /// Run only the tests whose name contains this text
    #[arg(long)]
    filter: Option<String>,
    /// When to colour failures
    #[arg(long, value_enum, default_value = "auto")]
    color: ColorChoice,
}

/// The contracts to test: each `.pay` file that is not a test file, with its test file if
/// it has one. A test file named on its own brings its contract.
fn contracts(paths: &[PathBuf]) -> Result<Vec<(PathBuf, Option<PathBuf>)>, miette::Report> {
    let paths = if paths.is_empty() { vec![PathBuf::from(".")] } else { paths.to_vec() };
    let files = super::expand_paths(&paths)?;
    let mut out: Vec<(PathBuf, Option<PathBuf>)> = Vec::new();
    for file in files {
        let name = file.to_string_lossy().to_string();
        let (contract, tests) = match name.strip_suffix(".tests.pay") {
            Some(stem) => (PathBuf::from(format!("{stem}.pay")), Some(file.clone())),
            None => {
                let tests = PathBuf::from(format!("{}.tests.pay", name.trim_end_matches(".pay")));
                let tests = tests.exists().then_some(tests);
                (file.clone(), tests)
            }
        };
        if !out.iter().any(|(c, _)| *c == contract) {
            out.push((contract, tests));
        }
    }
    Ok(out)
}

pub fn run(args: Args) -> u8 {
    let color = args.color.enabled();
    let targets = match contracts(&args.paths) {
        Ok(t) => t,
        Err(e) => return super::report(e),
    };
    let (mut passed, mut failed, mut broken) = (0usize, 0usize, 0usize);
    for (contract, tests) in targets {
        let (mut name, mut text) = match super::read_input(&contract) {
            Ok(x) => x,
            Err(e) => return super::report(e),
        };
        let mut test_files = Vec::new();
        if let Some(path) = &tests {
            let file = match super::read_input(path) {
                Ok(x) => x,
                Err(e) => return super::report(e),
            };
            // A module cannot hold participants, events or outcomes, so its test file is a
            // small contract that uses it: that contract is what runs.
            if crate::has_contract_header(&text) == Some(false)
                && crate::has_contract_header(&file.1) == Some(true)
            {
                (name, text) = file;
            } else {
                test_files.push(file);
            }
        }
        let compilation = crate::compile_with_tests(&name, &text, &test_files, &FsLoader);
        if compilation.has_errors() {
            let errors: Vec<Diagnostic> =
                compilation.diagnostics.iter().filter(|d| d.is_error()).cloned().collect();
            eprint!("{}", diagnostic::render_human(&compilation.sources, &errors, color));
            eprintln!("error: `{name}` has errors: its tests were not run");
            broken += 1;
            continue;
        }
        let Some(ir) = compilation.ir else { continue };
        let selected: Vec<&ir::Test> = ir
            .tests
            .iter()
            .filter(|t| args.filter.as_ref().is_none_or(|f| t.name.contains(f.as_str())))
            .collect();
        if selected.is_empty() {
            continue;
        }
        let plan = match plan::compile(&ir) {
            Ok(p) => p,
            Err(e) => {
                eprintln!("error: `{name}` cannot be evaluated: {e}");
                broken += 1;
                continue;
            }
        };
        println!(
            "\nrunning {} test{} from {name}",
            selected.len(),
            if selected.len() == 1 { "" } else { "s" }
        );
        let mut failures: Vec<Diagnostic> = Vec::new();
        let (mut file_passed, mut file_failed) = (0, 0);
        for test in selected {
            let results = match scenario::run(&ir, &plan, test) {
                Ok(r) => r,
                Err(e) => {
                    println!("test {} ... FAILED", test.name);
                    failures.push(Diagnostic::error(
                        TEST_FAILED,
                        format!("test \"{}\" cannot run: {e}", test.name),
                    ));
                    file_failed += 1;
                    continue;
                }
            };
            let failing: Vec<_> = results.iter().filter(|r| !r.passed).collect();
            if failing.is_empty() {
                println!("test {} ... ok", test.name);
                file_passed += 1;
            } else {
                println!("test {} ... FAILED", test.name);
                file_failed += 1;
                for f in failing {
                    failures.push(failure(&ir, &compilation.sources, test, f.expectation, f.actual.as_ref()));
                }
            }
        }
        if !failures.is_empty() {
            println!("\nfailures:\n");
            print!("{}", diagnostic::render_human(&compilation.sources, &failures, color));
        }
        println!(
            "\ntest result: {}. {file_passed} passed; {file_failed} failed",
            if file_failed == 0 { "ok" } else { "FAILED" }
        );
        passed += file_passed;
        failed += file_failed;
    }
    println!("\n{passed} passed, {failed} failed");
    if broken > 0 {
        eprintln!("error: {broken} contract(s) could not be tested");
    }
    if failed > 0 || broken > 0 { EXIT_CONTRACT_ERRORS } else { EXIT_OK }
}

/// Whether a file has a contract header (a contract) or not (a module); `None` for a file
/// with no items, which is neither.
fn span(s: &ir::Span) -> Span {
    Span::new(FileId(s.file), s.start as usize, s.end as usize)
}

fn describe_expected(e: &ir::TestExpectation, currency: &str) -> String {
    match e.status {
        ir::ExpectedStatus::Achieved => format!(
            "achieved{}{}",
            e.on.as_ref().map(|d| format!(" on {d}")).unwrap_or_default(),
            e.amount
                .map(|a| format!(" paying {} {currency}", crate::eval::output::money(a)))
                .unwrap_or_default()
        ),
        ir::ExpectedStatus::Pending => {
            format!("pending{}", e.until.as_ref().map(|d| format!(" until {d}")).unwrap_or_default())
        }
        ir::ExpectedStatus::NotAchieved => "not achieved".to_string(),
    }
}

fn describe_actual(d: Option<&Decision>, currency: &str) -> String {
    let Some(d) = d else { return "no decision".to_string() };
    let date = d.date.map(|x| x.to_string()).unwrap_or_default();
    match d.status {
        Status::Achieved => format!(
            "achieved on {date}{}",
            d.amount
                .map(|a| format!(" paying {} {currency}", crate::eval::output::money(a)))
                .unwrap_or_default()
        ),
        Status::Pending => format!("pending until {date}"),
        Status::NotAchieved => {
            format!("not achieved{}", d.reason.as_ref().map(|r| format!(": {r}")).unwrap_or_default())
        }
    }
}

fn failure(
    contract: &ir::Contract,
    _sources: &SourceMap,
    test: &ir::Test,
    expectation: &ir::TestExpectation,
    actual: Option<&Decision>,
) -> Diagnostic {
    let expected = describe_expected(expectation, &contract.currency);
    let found = describe_actual(actual, &contract.currency);
    let mut d = Diagnostic {
        code: TEST_FAILED,
        severity: Severity::Error,
        message: format!("test \"{}\": `{}` was {found}", test.name, expectation.outcome),
        labels: Vec::new(),
        notes: Vec::new(),
        help: None,
    }
    .at(span(&expectation.span), format!("expected {expected}"));
    if let Some(outcome) = contract.outcomes.iter().find(|o| o.name == expectation.outcome) {
        d = d.also(span(outcome.condition.span()), "the condition");
    }
    d = d.note(format!("expected: {expected}"));
    d = d.note(format!("   found: {found}"));
    if let Some(decision) = actual {
        if !decision.trace.is_empty() {
            d = d.note(format!("the working, as of {}:\n  {}", test.as_of, decision.trace.join("\n  ")));
        }
    }
    d
}
