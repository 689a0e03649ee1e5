//! `payable compile`: the IR of one contract, as JSON.

use super::{ColorChoice, EXIT_CONTRACT_ERRORS, EXIT_OK, Format};
use crate::diagnostic;
use crate::resolve::FsLoader;
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    /// The contract to compile; `-` reads standard input
    file: PathBuf,
    /// Write the IR here instead of standard output
    #[arg(short, long, value_name = "OUT")]
    output: Option<PathBuf>,
    /// How to print diagnostics
    #[arg(long, value_enum, default_value = "human")]
    format: Format,
    /// When to colour human output
    #[arg(long, value_enum, default_value = "auto")]
    color: ColorChoice,
}

pub fn run(args: Args) -> u8 {
    let (name, text) = match super::read_input(&args.file) {
        Ok(x) => x,
        Err(e) => return super::report(e),
    };
    let compilation = crate::compile(&name, &text, &FsLoader);
    match args.format {
        Format::Json if compilation.has_errors() => {
            let list: Vec<_> = compilation
                .diagnostics
                .iter()
                .map(|d| diagnostic::to_json(&compilation.sources, d))
                .collect();
            println!(
                "{}",
                serde_json::to_string_pretty(&serde_json::json!({ "diagnostics": list })).unwrap_or_default()
            );
        }
        _ => super::check::print_human(&compilation.sources, &compilation.diagnostics, args.color.enabled()),
    }
    if compilation.has_errors() {
        eprintln!("error: `{name}` was not compiled: fix the errors above");
        return EXIT_CONTRACT_ERRORS;
    }
    let Some(ir) = compilation.ir else {
        return super::report(miette::miette!(
            code = "not-a-contract",
            help = "a file with only definitions is a module: `use` it from a contract",
            "`{name}` is not a contract: it has no header or no participant declaration"
        ));
    };
    let json = ir.to_json();
    match &args.output {
        Some(path) => {
            if let Err(e) = super::write_atomically(path, &json) {
                return super::report(e);
            }
            eprintln!("wrote {} (IR {}, sha256 {})", path.display(), ir.ir_version, ir.hash);
        }
        None => print!("{json}"),
    }
    EXIT_OK
}
