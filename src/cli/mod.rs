//! The command line: one file per subcommand, each thin over the library. All printing
//! happens here.

mod check;
mod compile;
mod debug;
mod doc;
mod eval;
mod explain;
mod fmt;
mod generate;
mod lsp;
mod test_blocks;

use clap::{Parser, Subcommand, ValueEnum};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Exit codes, as documented in `--help` and `docs/reference.md`.
pub const EXIT_OK: u8 = 0;
pub const EXIT_CONTRACT_ERRORS: u8 = 1;
pub const EXIT_USAGE: u8 = 2;

#[derive(Parser)]
#[command(
    name = "payable",
    version,
    about = "A language and compiler for the payable outcomes of outcome-based contracts",
    long_about = "Payable turns the payable-outcome clauses of outcome-based contracts (payment by \
results, social impact bonds) into code that can be checked, explained and run.\n\n\
Start with `payable check examples/` to check the shipped contracts, then `payable compile \
FILE` to see the IR the compiler understood.",
    after_help = "Exit codes: 0 when everything is clean, 1 when a contract has errors, 2 for a \
usage or I/O error.\n\nLanguage reference: docs/reference.md",
    propagate_version = true
)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check contracts for errors (files, folders of .pay files, or - for standard input)
    #[command(
        after_help = "Examples:\n  payable check examples/\n  payable check contract.pay --format json\n  cat contract.pay | payable check -"
    )]
    Check(check::Args),
    /// Compile a contract to its IR (JSON), after checking it
    #[command(
        after_help = "The IR is written atomically: on any error nothing is written.\n\nExamples:\n  payable compile examples/youth_employment.pay\n  payable compile contract.pay -o contract.ir.json"
    )]
    Compile(compile::Args),
    /// Decide every participant's outcomes and payments as of a date
    #[command(
        after_help = "Inputs are CSV or JSON Lines. Participants have `id` and the declared fields; events have \
`participant`, `type` (in a file of several types), an optional `id`, and the declared fields. Events must be grouped \
by participant in the participants file's order, or pass --unsorted.\n\nOn any input error nothing is written and the \
exit code is 1.\n\nExamples:\n  payable eval examples/youth_employment.pay --participants p.csv --events e.csv --as-of 2027-03-31\n  \
payable eval contract.pay --participants p.csv --events employment=jobs.csv --events survey=surveys.csv \\\n      \
--as-of 2027-03-31 --out results/\n  payable eval contract.pay --participants p.csv --events e.csv --as-of 2027-03-31 --explain P0042"
    )]
    Eval(eval::Args),
    /// Explain a contract (or a module) in plain English, every default stated
    #[command(
        after_help = "Written from the IR, what the compiler understood, never from the source text.\n\nExamples:\n  payable explain examples/youth_employment.pay\n  payable explain contract.pay --outcome sustained_employment\n  payable explain contract.pay --format html > contract.html\n  payable explain stdlib/calendar.pay"
    )]
    Explain(explain::Args),
    /// Format contracts in the one canonical layout (comments kept); --check lists files that would change
    Fmt(fmt::Args),
    /// Run the `test` blocks of contracts and of their test files (NAME.tests.pay)
    #[command(after_help = "Each test gives one participant's records and the statuses expected of them; \
failures show what was expected, what was decided, and the working.\n\nExamples:\n  payable test examples/\n  \
payable test contract.pay --filter \"thirteen months\"")]
    Test(test_blocks::Args),
    /// Make up participants and events for a contract (seeded), for benchmarks and demos
    Gen(generate::Args),
    /// Write the Markdown reference of modules from their doc comments (--stdlib: the standard library)
    #[command(
        after_help = "Examples:\n  payable doc stdlib/calendar.pay\n  payable doc --stdlib > docs/stdlib.md"
    )]
    Doc(doc::Args),
    /// Print one stage of the compiler: the fastest way to see what it understood
    #[command(
        after_help = "Stages: ast (the syntax tree), typed (every definition with its type), ir (the IR)"
    )]
    Debug(debug::Args),
    /// Run the language server (Language Server Protocol on standard input and output) for editors
    #[command(
        after_help = "Diagnostics as you type, hover, go to definition, references, completion, outline, \
formatting and semantic highlighting. Editors start it themselves; see docs/reference.md."
    )]
    Lsp(lsp::Args),
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum Format {
    /// Diagnostics for people, as rustc prints them
    Human,
    /// One JSON document on standard output
    Json,
    /// A SARIF 2.1.0 log on standard output, for code-scanning tools
    Sarif,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum ColorChoice {
    /// Colour when standard error is a terminal and NO_COLOR is not set
    Auto,
    Always,
    Never,
}

impl ColorChoice {
    pub fn enabled(self) -> bool {
        match self {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => std::env::var_os("NO_COLOR").is_none() && std::io::stderr().is_terminal(),
        }
    }
}

pub fn run() -> ExitCode {
    let cli = Cli::parse();
    let code = match cli.command {
        Command::Check(args) => check::run(args),
        Command::Compile(args) => compile::run(args),
        Command::Debug(args) => debug::run(args),
        Command::Doc(args) => doc::run(args),
        Command::Eval(args) => eval::run(args),
        Command::Explain(args) => explain::run(args),
        Command::Gen(args) => generate::run(args),
        Command::Test(args) => test_blocks::run(args),
        Command::Fmt(args) => fmt::run(args),
        Command::Lsp(args) => lsp::run(args),
    };
    ExitCode::from(code)
}

/// Reports an error that has no place in a contract (a missing file, a write that failed).
pub fn report(error: miette::Report) -> u8 {
    eprintln!("{error:?}");
    EXIT_USAGE
}

/// Reads a contract named on the command line: a path, or `-` for standard input.
pub fn read_input(path: &Path) -> Result<(String, String), miette::Report> {
    if path == Path::new("-") {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut std::io::stdin(), &mut text)
            .map_err(|e| miette::miette!(code = "io", "cannot read standard input: {e}"))?;
        return Ok(("<stdin>".to_string(), text));
    }
    let text = std::fs::read_to_string(path).map_err(|e| {
        miette::miette!(
            code = "io",
            help = "check the path; `payable check` also takes folders",
            "cannot read `{}`: {e}",
            path.display()
        )
    })?;
    Ok((path.display().to_string(), text))
}

/// Expands folders into the `.pay` files under them, sorted, so output order is stable.
pub fn expand_paths(paths: &[PathBuf]) -> Result<Vec<PathBuf>, miette::Report> {
    let mut out = Vec::new();
    for path in paths {
        if path.is_dir() {
            let mut found = Vec::new();
            collect_pay_files(path, &mut found)
                .map_err(|e| miette::miette!(code = "io", "cannot read folder `{}`: {e}", path.display()))?;
            if found.is_empty() {
                return Err(miette::miette!(code = "io", "no .pay files under `{}`", path.display()));
            }
            found.sort();
            out.extend(found);
        } else {
            out.push(path.clone());
        }
    }
    Ok(out)
}

fn collect_pay_files(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            collect_pay_files(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "pay") {
            out.push(path);
        }
    }
    Ok(())
}

/// Writes a file so that it is either wholly there or not changed at all.
pub fn write_atomically(path: &Path, contents: &str) -> Result<(), miette::Report> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let fail = |e: std::io::Error| miette::miette!(code = "io", "cannot write `{}`: {e}", path.display());
    // A temporary file is private (0600); the result should be as readable as the file it
    // replaces, or as an ordinary new file.
    let permissions = std::fs::metadata(path).map(|m| m.permissions()).ok();
    let mut file = tempfile::NamedTempFile::new_in(dir).map_err(fail)?;
    std::io::Write::write_all(&mut file, contents.as_bytes()).map_err(fail)?;
    match permissions {
        Some(p) => file.as_file().set_permissions(p).map_err(fail)?,
        None => set_ordinary_permissions(file.as_file()).map_err(fail)?,
    }
    file.persist(path).map_err(|e| fail(e.error))?;
    Ok(())
}

#[cfg(unix)]
fn set_ordinary_permissions(file: &std::fs::File) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    file.set_permissions(std::fs::Permissions::from_mode(0o644))
}

#[cfg(not(unix))]
fn set_ordinary_permissions(_file: &std::fs::File) -> std::io::Result<()> {
    Ok(())
}
