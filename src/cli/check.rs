//! `payable check`: diagnostics for every contract named, for people (`human`) or machines
//! (`json`, `sarif`); `--deny warnings` makes any warning fail the check.

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
    /// Fail (exit 1) on these as well as on errors
    #[arg(long, value_enum, value_name = "WHAT")]
    deny: Vec<Deny>,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Deny {
    /// Any warning (a lint not allowed with a reason) fails the check
    Warnings,
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
        // A test file is checked with its contract: once, with the contract when both are
        // named.
        if let Some((contract, contract_text)) = crate::contract_of_test_file(&name, &text, &FsLoader) {
            if !paths.iter().any(|p| p.as_path() == std::path::Path::new(&contract)) {
                let tests = [(name.clone(), text)];
                compilations
                    .push((name, crate::compile_with_tests(&contract, &contract_text, &tests, &FsLoader)));
            }
            continue;
        }
        let tests_name = format!("{}.tests.pay", name.trim_end_matches(".pay"));
        let tests: Vec<(String, String)> = match std::fs::read_to_string(&tests_name) {
            Ok(tests_text) if !name.ends_with(".tests.pay") && crate::is_tests_of(&tests_text, &text) => {
                vec![(tests_name, tests_text)]
            }
            _ => Vec::new(),
        };
        compilations.push((name.clone(), crate::compile_with_tests(&name, &text, &tests, &FsLoader)));
    }
    let count = |severity: Severity| -> usize {
        compilations
            .iter()
            .map(|(_, c)| c.diagnostics.iter().filter(|d| d.severity == severity).count())
            .sum()
    };
    let (errors, warnings) = (count(Severity::Error), count(Severity::Warning));
    let denied = args.deny.contains(&Deny::Warnings) && warnings > 0;
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
        Format::Sarif => {
            let log = sarif::log(&compilations);
            println!("{}", serde_json::to_string_pretty(&log).unwrap_or_default());
        }
        Format::Human => {
            let color = args.color.enabled();
            for (_, c) in &compilations {
                eprint!("{}", diagnostic::render_human(&c.sources, &c.diagnostics, color));
            }
            eprintln!("{}", summary(paths.len(), errors, warnings));
            if denied {
                eprintln!(
                    "error: warnings are denied (`--deny warnings`): fix them, or allow each with a reason"
                );
            }
        }
    }
    if errors > 0 || denied { EXIT_CONTRACT_ERRORS } else { EXIT_OK }
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

/// SARIF 2.1.0 (OASIS), the format code-scanning services read: one run, whose driver
/// describes every code payable can report (rule metadata and help taken from the
/// entries of `docs/reference.md`, compiled in), and one result per diagnostic.
/// `tests/lints.rs` validates the output against the official schema.
mod sarif {
    use crate::diagnostic::{self, Code, Diagnostic, Severity};
    use crate::source::{SourceMap, Span};
    use serde_json::{Value, json};

    /// The language reference: each code's entry is its rule's description and help.
    const REFERENCE: &str = include_str!("../../docs/reference.md");

    /// The identifier of the schema the log follows (OASIS SARIF 2.1.0, errata 01).
    const SCHEMA: &str =
        "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

    /// Where to read about payable: the package's repository or homepage when Cargo.toml
    /// gives one, else a name for the language reference that ships with it.
    fn information_uri() -> &'static str {
        [env!("CARGO_PKG_REPOSITORY"), env!("CARGO_PKG_HOMEPAGE")]
            .into_iter()
            .find(|u| !u.is_empty())
            .unwrap_or("urn:payable:docs:reference")
    }

    /// Every code, errors then warnings, with its default level and lint name.
    pub fn codes() -> Vec<(Code, Severity, Option<&'static str>)> {
        let errors = diagnostic::CODES.iter().map(|c| (*c, Severity::Error, None));
        let warnings = crate::lint::CODES.iter().map(|c| (*c, Severity::Warning, crate::lint::name_of(*c)));
        errors.chain(warnings).collect()
    }

    /// A code's entry in the reference: its first paragraph, its whole text, and its fix.
    struct Entry {
        description: String,
        markdown: String,
        fix: Option<String>,
    }

    fn entry(id: &str) -> Option<Entry> {
        let heading = format!("\n### {id}:");
        let at = REFERENCE.find(&heading)? + 1;
        let body_start = at + REFERENCE[at..].find('\n')? + 1;
        let rest = &REFERENCE[body_start..];
        let end = ["\n### ", "\n## "].iter().filter_map(|h| rest.find(h)).min().unwrap_or(rest.len());
        let markdown = rest[..end].trim().to_string();
        let description = markdown.split("\n\n").next().unwrap_or_default().replace('\n', " ");
        let fix = markdown
            .rsplit("```pay\n")
            .next()
            .filter(|_| markdown.contains("Fix:"))
            .and_then(|block| block.split("\n```").next())
            .map(str::to_string);
        Some(Entry { description, markdown, fix })
    }

    /// `missing case in \`pays by\`` → `MissingCaseInPaysBy`; `cliff_edge` → `CliffEdge`.
    fn pascal(text: &str) -> String {
        text.split(|c: char| !c.is_ascii_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(|w| {
                let mut chars = w.chars();
                chars.next().map(|c| c.to_ascii_uppercase().to_string() + chars.as_str()).unwrap_or_default()
            })
            .collect()
    }

    fn level(severity: Severity) -> &'static str {
        match severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }

    fn rule((code, severity, lint): (Code, Severity, Option<&'static str>)) -> Value {
        let entry = entry(code.id);
        let description =
            entry.as_ref().map(|e| e.description.clone()).unwrap_or_else(|| code.title.to_string());
        let mut help_text = description.clone();
        if let Some(fix) = entry.as_ref().and_then(|e| e.fix.as_ref()) {
            help_text.push_str(&format!("\n\nFix:\n{fix}"));
        }
        if let Some(name) = lint {
            help_text.push_str(&format!(
                "\n\nTo accept the risk on one item, write before it: allow({name}, reason = \"...\")"
            ));
        }
        let markdown = entry.map(|e| e.markdown).unwrap_or_else(|| code.title.to_string());
        let mut properties = json!({ "tags": [if severity == Severity::Error { "error" } else { "lint" }] });
        if let Some(name) = lint {
            properties["lint"] = json!(name);
        }
        json!({
            "id": code.id,
            "name": pascal(lint.unwrap_or(code.title)),
            "shortDescription": { "text": code.title },
            "fullDescription": { "text": description },
            "help": { "text": help_text, "markdown": markdown },
            "defaultConfiguration": { "level": level(severity) },
            "properties": properties,
        })
    }

    /// A file name as a URI reference: `/` kept, anything but unreserved characters
    /// percent-encoded (so `<stdin>` and names with spaces stay valid).
    pub fn uri(name: &str) -> String {
        let mut out = String::new();
        for b in name.replace('\\', "/").bytes() {
            if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
                out.push(b as char);
            } else {
                out.push_str(&format!("%{b:02X}"));
            }
        }
        out
    }

    fn physical(sources: &SourceMap, span: Span) -> Value {
        let file = sources.get(span.file);
        let (start_line, start_column) = file.line_col(span.start as usize);
        let (end_line, end_column) = file.line_col(span.end as usize);
        json!({
            "artifactLocation": { "uri": uri(&file.name) },
            "region": {
                "startLine": start_line,
                "startColumn": start_column,
                "endLine": end_line,
                "endColumn": end_column,
            },
        })
    }

    fn result(sources: &SourceMap, d: &Diagnostic, rule_index: usize) -> Value {
        let mut text = d.message.clone();
        for note in &d.notes {
            text.push_str(&format!("\nnote: {note}"));
        }
        if let Some(help) = &d.help {
            text.push_str(&format!("\nhelp: {help}"));
        }
        let mut out = json!({
            "ruleId": d.code.id,
            "ruleIndex": rule_index,
            "level": level(d.severity),
            "message": { "text": text },
        });
        let primary = d.labels.iter().find(|l| l.primary).or(d.labels.first());
        if let Some(p) = primary {
            out["locations"] = json!([{
                "physicalLocation": physical(sources, p.span),
                "message": { "text": p.message },
            }]);
        }
        let related: Vec<Value> = d
            .labels
            .iter()
            .filter(|l| primary.is_none_or(|p| !std::ptr::eq(*l, p)))
            .enumerate()
            .map(|(i, l)| {
                json!({
                    "id": i,
                    "physicalLocation": physical(sources, l.span),
                    "message": { "text": l.message },
                })
            })
            .collect();
        if !related.is_empty() {
            out["relatedLocations"] = json!(related);
        }
        out
    }

    /// The SARIF log of these compilations.
    pub fn log(compilations: &[(String, crate::Compilation)]) -> Value {
        let codes = codes();
        let rules: Vec<Value> = codes.iter().map(|c| rule(*c)).collect();
        let results: Vec<Value> = compilations
            .iter()
            .flat_map(|(_, c)| {
                c.diagnostics.iter().map(|d| {
                    let index = codes.iter().position(|(code, _, _)| code.id == d.code.id).unwrap_or(0);
                    result(&c.sources, d, index)
                })
            })
            .collect();
        json!({
            "$schema": SCHEMA,
            "version": "2.1.0",
            "runs": [{
                "tool": {
                    "driver": {
                        "name": "payable",
                        "version": env!("CARGO_PKG_VERSION"),
                        "semanticVersion": env!("CARGO_PKG_VERSION"),
                        "informationUri": information_uri(),
                        "rules": rules,
                    }
                },
                "invocations": [{ "executionSuccessful": true }],
                "columnKind": "unicodeCodePoints",
                "results": results,
            }],
        })
    }
}
