//! `payable lsp`: the language server on standard input and output, for editors.

use super::{EXIT_OK, EXIT_USAGE};

#[derive(clap::Args)]
pub struct Args {
    /// Accepted for editors that always pass it; standard input and output is the only channel
    #[arg(long)]
    stdio: bool,
}

pub fn run(_args: Args) -> u8 {
    match crate::lsp::run_stdio() {
        Ok(()) => EXIT_OK,
        Err(error) => {
            eprintln!("error: {error}");
            EXIT_USAGE
        }
    }
}
