//! `payable check`: diagnostics for every contract named.

use super::{ColorChoice, EXIT_CONTRACT_ERRORS, EXIT_OK, Format};
use crate::diagnostic::{self, Diagnostic, Severity};
use crate::resolve::FsLoader;
use serde::Serialize;
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    /// Contract files or folders (searched for .pay files); `-` reads standard input
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// How to print diagnostics
    #[arg(long, value_enum, default_value = "human")]
    format: Format,
    /// When to colour human output
    #[arg(long, value_enum, default_value = "auto")]
    color: ColorChoice,
}

#[derive(Serialize)]
struct Report<'a> {
    files: Vec<String>,
    errors: usize,
    warnings: usize,
    diagnostics: Vec<diagnostic::JsonDiagnostic<'a>>,
}

pub fn run(args: Args) -> u8 {
    let paths = match super::expand_paths(&args.paths) {
        Ok(p) => p,
        Err(e) => return super::report(e),
    };
    let mut compilations = Vec::new();
    for path in &paths {
        let (name, text) = match super::read_input(path) {
            Ok(x) => x,
            Err(e) => return super::report(e),
        };
        compilations.push((name.clone(), crate::compile(&name, &text, &FsLoader)));
    }
    let count = |severity: Severity| -> usize {
        compilations
            .iter()
            .map(|(_, c)| c.diagnostics.iter().filter(|d| d.severity == severity).count())
            .sum()
    };
    let (errors, warnings) = (count(Severity::Error), count(Severity::Warning));
    match args.format {
        Format::Json => {
            let report = Report {
                files: compilations.iter().map(|(n, _)| n.clone()).collect(),
                errors,
                warnings,
                diagnostics: compilations
                    .iter()
                    .flat_map(|(_, c)| c.diagnostics.iter().map(|d| diagnostic::to_json(&c.sources, d)))
                    .collect(),
            };
            println!("{}", serde_json::to_string_pretty(&report).unwrap_or_default());
        }
        Format::Human => {
            let color = args.color.enabled();
            for (_, c) in &compilations {
                eprint!("{}", diagnostic::render_human(&c.sources, &c.diagnostics, color));
            }
            eprintln!("{}", summary(paths.len(), errors, warnings));
        }
    }
    if errors > 0 { EXIT_CONTRACT_ERRORS } else { EXIT_OK }
}

fn summary(files: usize, errors: usize, warnings: usize) -> String {
    let files = format!("{files} file{}", if files == 1 { "" } else { "s" });
    match (errors, warnings) {
        (0, 0) => format!("checked {files}: no problems"),
        (0, w) => format!("checked {files}: {w} warning{}", if w == 1 { "" } else { "s" }),
        (e, w) => format!(
            "checked {files}: {e} error{}{}",
            if e == 1 { "" } else { "s" },
            if w > 0 { format!(", {w} warning{}", if w == 1 { "" } else { "s" }) } else { String::new() }
        ),
    }
}

/// Renders diagnostics for the terminal; shared with `compile`.
pub fn print_human(sources: &crate::source::SourceMap, diagnostics: &[Diagnostic], color: bool) {
    eprint!("{}", diagnostic::render_human(sources, diagnostics, color));
}
