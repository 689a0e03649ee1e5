//! `payable doc`: the Markdown reference of modules, from their doc comments.

use super::{ColorChoice, EXIT_CONTRACT_ERRORS, EXIT_OK, EXIT_USAGE};
use crate::diagnostic;
use crate::doc::Reference;
use crate::resolve::FsLoader;
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    /// Modules (or contracts, for their definitions) to document
    paths: Vec<PathBuf>,
    /// Document the standard library instead (what `docs/stdlib.md` holds)
    #[arg(long, conflicts_with = "paths")]
    stdlib: bool,
    /// When to colour diagnostics
    #[arg(long, value_enum, default_value = "auto")]
    color: ColorChoice,
}

pub fn run(args: Args) -> u8 {
    let color = args.color.enabled();
    if args.stdlib {
        let (markdown, references) = crate::doc::stdlib_reference();
        if references.iter().any(|r| !clean(r, color)) {
            return EXIT_CONTRACT_ERRORS;
        }
        print!("{markdown}");
        return EXIT_OK;
    }
    if args.paths.is_empty() {
        eprintln!("error: name the modules to document, or pass --stdlib");
        return EXIT_USAGE;
    }
    let paths = match super::expand_paths(&args.paths) {
        Ok(p) => p,
        Err(e) => return super::report(e),
    };
    let mut status = EXIT_OK;
    for (i, path) in paths.iter().enumerate() {
        let (name, text) = match super::read_input(path) {
            Ok(x) => x,
            Err(e) => return super::report(e),
        };
        let heading = path.file_stem().map(|s| s.to_string_lossy().to_string()).unwrap_or(name.clone());
        let reference = crate::doc::module_reference(&heading, &name, &text, &FsLoader);
        if !clean(&reference, color) {
            status = EXIT_CONTRACT_ERRORS;
            continue;
        }
        if i > 0 {
            println!();
        }
        print!("{}", reference.markdown);
    }
    status
}

/// True when the module has no errors; otherwise reports them: a module with errors is not
/// documented.
fn clean(reference: &Reference, color: bool) -> bool {
    if !reference.has_errors() {
        return true;
    }
    eprint!("{}", diagnostic::render_human(&reference.sources, &reference.diagnostics, color));
    eprintln!("error: a module with errors is not documented");
    false
}
