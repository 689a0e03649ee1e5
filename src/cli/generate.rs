//! `payable gen`: synthetic participants and events for a contract, for benchmarks and demos.

use super::EXIT_OK;
use crate::resolve::FsLoader;
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    /// The contract whose participants and events to make up
    contract: PathBuf,
    /// How many participants
    #[arg(long, default_value_t = 1000)]
    participants: usize,
    /// The seed: the same seed gives byte-identical files
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Where to write participants.csv and events.csv
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
}

pub fn run(args: Args) -> u8 {
    let (name, text) = match super::read_input(&args.contract) {
        Ok(x) => x,
        Err(e) => return super::report(e),
    };
    let compilation = crate::compile(&name, &text, &FsLoader);
    super::check::print_human(&compilation.sources, &compilation.diagnostics, false);
    let Some(ir) = compilation.ir else {
        eprintln!("error: `{name}` does not compile to a contract");
        return super::EXIT_CONTRACT_ERRORS;
    };
    if let Err(e) = std::fs::create_dir_all(&args.out) {
        return super::report(miette::miette!(code = "io", "cannot create `{}`: {e}", args.out.display()));
    }
    let started = std::time::Instant::now();
    match crate::eval::generate::generate(&ir, args.participants, args.seed, &args.out) {
        Ok(summary) => {
            eprintln!(
                "wrote {} participants and {} events ({:.1} MB) to {} in {:.2} s",
                summary.participants,
                summary.events,
                summary.bytes as f64 / 1e6,
                args.out.display(),
                started.elapsed().as_secs_f64()
            );
            EXIT_OK
        }
        Err(e) => {
            super::report(miette::miette!(code = "io", "cannot write into `{}`: {e}", args.out.display()))
        }
    }
}
