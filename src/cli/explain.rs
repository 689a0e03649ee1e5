//! `payable explain`: a contract (or a module) in plain English, from what the compiler
//! understood.

use super::{ColorChoice, EXIT_CONTRACT_ERRORS, EXIT_OK, EXIT_USAGE};
use crate::explain;
use crate::resolve::FsLoader;
use std::path::PathBuf;

#[derive(Clone, Copy, clap::ValueEnum)]
enum Format {
    /// Plain text, wrapped for a terminal
    Text,
    /// Markdown (CommonMark)
    Markdown,
    /// A standalone HTML page
    Html,
}

#[derive(clap::Args)]
pub struct Args {
    /// The contract or module to explain; `-` reads standard input
    file: PathBuf,
    /// Explain only this outcome or cohort outcome (its name, as declared)
    #[arg(long, value_name = "NAME")]
    outcome: Option<String>,
    /// The output format
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
    /// When to colour diagnostics
    #[arg(long, value_enum, default_value = "auto")]
    color: ColorChoice,
}

pub fn run(args: Args) -> u8 {
    let (name, text) = match super::read_input(&args.file) {
        Ok(x) => x,
        Err(e) => return super::report(e),
    };
    let format = match args.format {
        Format::Text => explain::Format::Text,
        Format::Markdown => explain::Format::Markdown,
        Format::Html => explain::Format::Html,
    };
    let compilation = crate::compile(&name, &text, &FsLoader);
    let color = args.color.enabled();
    let doc = match &compilation.ir {
        // No contract and no error: the file is a module; explain its definitions. Its
        // diagnostics are the module check's, printed once.
        None if !compilation.has_errors() => {
            let module = crate::compile_module(&name, &text, &FsLoader);
            super::check::print_human(&module.sources, &module.diagnostics, color);
            let Some(module) = module.module else {
                eprintln!("error: `{name}` was not explained: fix the errors above");
                return EXIT_CONTRACT_ERRORS;
            };
            if let Some(outcome) = &args.outcome {
                eprintln!(
                    "error: `{name}` is a module, not a contract: it has no outcome `{outcome}` (drop --outcome to explain its definitions)"
                );
                return EXIT_USAGE;
            }
            explain::module(&module)
        }
        ir => {
            super::check::print_human(&compilation.sources, &compilation.diagnostics, color);
            let Some(ir) = ir.as_ref().filter(|_| !compilation.has_errors()) else {
                eprintln!("error: `{name}` was not explained: fix the errors above");
                return EXIT_CONTRACT_ERRORS;
            };
            match &args.outcome {
                None => explain::contract(ir),
                Some(outcome) => match explain::outcome(ir, outcome) {
                    Some(doc) => doc,
                    None => return unknown_outcome(&name, outcome, ir),
                },
            }
        }
    };
    print!("{}", explain::render(&doc, format));
    EXIT_OK
}

fn unknown_outcome(file: &str, outcome: &str, ir: &crate::ir::Contract) -> u8 {
    let names: Vec<&str> = ir
        .outcomes
        .iter()
        .map(|o| o.name.as_str())
        .chain(ir.cohort_outcomes.iter().map(|o| o.name.as_str()))
        .collect();
    let closest = names
        .iter()
        .map(|n| (strsim::jaro_winkler(n, outcome), *n))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0));
    eprintln!("error: `{file}` has no outcome `{outcome}`");
    match closest {
        Some((_, n)) => eprintln!("help: did you mean `{n}`?"),
        None => eprintln!(
            "help: its outcomes are {}",
            names.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ")
        ),
    }
    EXIT_USAGE
}
