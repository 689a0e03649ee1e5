//! `payable debug`: prints one stage of the pipeline, for learning and for bug reports.

use super::{EXIT_CONTRACT_ERRORS, EXIT_OK};
use crate::resolve::FsLoader;
use std::path::PathBuf;

#[derive(Clone, Copy, clap::ValueEnum)]
enum Stage {
    /// The syntax tree, as parsed
    Ast,
    /// Every definition, field and outcome with the type the checker gave it
    Typed,
    /// The IR
    Ir,
}

#[derive(clap::Args)]
pub struct Args {
    #[arg(value_enum)]
    stage: Stage,
    /// The contract; `-` reads standard input
    file: PathBuf,
}

pub fn run(args: Args) -> u8 {
    let (name, text) = match super::read_input(&args.file) {
        Ok(x) => x,
        Err(e) => return super::report(e),
    };
    let compilation = crate::compile(&name, &text, &FsLoader);
    match args.stage {
        Stage::Ast => {
            let (module, _) = crate::syntax::parse(crate::source::FileId(0), &text);
            println!("{module:#?}");
        }
        Stage::Typed => {
            if let Some(ir) = &compilation.ir {
                print!("{}", typed_summary(ir));
            }
        }
        Stage::Ir => {
            if let Some(ir) = &compilation.ir {
                print!("{}", ir.to_json());
            }
        }
    }
    super::check::print_human(&compilation.sources, &compilation.diagnostics, false);
    if compilation.has_errors() { EXIT_CONTRACT_ERRORS } else { EXIT_OK }
}

/// One line per name the checker typed: what it is and its type.
fn typed_summary(ir: &crate::ir::Contract) -> String {
    let ty = |t: &crate::ir::Type| serde_json::to_string(t).unwrap_or_default();
    let mut out = String::new();
    for f in &ir.participant.fields {
        out.push_str(&format!("participant.{}: {}\n", f.name, ty(&f.ty)));
    }
    for e in &ir.events {
        for f in &e.fields {
            out.push_str(&format!("{}.{}: {}\n", e.name, f.name, ty(&f.ty)));
        }
    }
    for d in &ir.definitions {
        let params: Vec<String> = d.params.iter().map(|p| format!("{}: {}", p.name, ty(&p.ty))).collect();
        let about = d.event.as_ref().map(|e| format!(" (about one `{e}` record)")).unwrap_or_default();
        out.push_str(&format!("let {}({}): {}{about}\n", d.name, params.join(", "), ty(&d.ty)));
    }
    for o in &ir.outcomes {
        let kind = serde_json::to_value(&o.condition)
            .ok()
            .and_then(|v| v["kind"].as_str().map(str::to_string))
            .unwrap_or_default();
        out.push_str(&format!(
            "outcome {}: {kind} condition, paid at most {} time(s)\n",
            o.name, o.max_times
        ));
    }
    for c in &ir.cohort_outcomes {
        out.push_str(&format!("cohort outcome {}\n", c.name));
    }
    out
}
