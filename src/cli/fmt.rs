//! `payable fmt`: rewrites contracts in the canonical layout, or with `--check` lists those
//! that are not in it.

use super::{ColorChoice, EXIT_CONTRACT_ERRORS, EXIT_OK, EXIT_USAGE};
use crate::source::SourceMap;
use std::path::{Path, PathBuf};

#[derive(clap::Args)]
pub struct Args {
    /// Files or folders (searched for .pay files); `-` formats standard input to standard
    /// output
    #[arg(default_value = ".")]
    paths: Vec<PathBuf>,
    /// Change nothing: list the files that are not formatted, and exit 1 if there are any
    #[arg(long)]
    check: bool,
}

pub fn run(args: Args) -> u8 {
    let paths = match super::expand_paths(&args.paths) {
        Ok(p) => p,
        Err(e) => return super::report(e),
    };
    let color = ColorChoice::Auto.enabled();
    let mut io_error = false;
    let mut unformatted = false;
    let mut broken = false;
    for path in &paths {
        let (name, text) = match super::read_input(path) {
            Ok(x) => x,
            Err(e) => {
                super::report(e);
                io_error = true;
                continue;
            }
        };
        let formatted = match crate::fmt::format(&text) {
            Ok(f) => f,
            Err(diagnostics) => {
                let mut sources = SourceMap::new();
                sources.add(name, text);
                eprint!("{}", crate::diagnostic::render_human(&sources, &diagnostics, color));
                broken = true;
                continue;
            }
        };
        if path == Path::new("-") && !args.check {
            print!("{formatted}");
        } else if formatted != text {
            if args.check {
                println!("{name}");
                unformatted = true;
            } else if let Err(e) = rewrite(path, &formatted) {
                super::report(e);
                io_error = true;
            }
        }
    }
    if io_error {
        EXIT_USAGE
    } else if broken || unformatted {
        EXIT_CONTRACT_ERRORS
    } else {
        EXIT_OK
    }
}

/// Replaces the file atomically, keeping its permissions (the new file would otherwise have
/// those of a fresh temporary file).
fn rewrite(path: &Path, contents: &str) -> Result<(), miette::Report> {
    let permissions = std::fs::metadata(path).map(|m| m.permissions()).ok();
    super::write_atomically(path, contents)?;
    if let Some(permissions) = permissions {
        std::fs::set_permissions(path, permissions).map_err(|e| {
            miette::miette!(code = "io", "cannot restore the permissions of `{}`: {e}", path.display())
        })?;
    }
    Ok(())
}
