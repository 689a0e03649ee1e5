//! `payable eval`: decide every participant's outcomes and payments as of a date.

use super::{ColorChoice, EXIT_CONTRACT_ERRORS, EXIT_OK};
use crate::eval::day::Day;
use crate::eval::input::{EventFile, InputError, InputFormat, Inputs, Ordering, TimelineReader};
use crate::eval::output::{self, DecisionWriter, Format, Stamp};
use crate::eval::run::{self, Options};
use crate::eval::{plan, why};
use crate::ir;
use crate::resolve::FsLoader;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

#[derive(Clone, Copy, clap::ValueEnum)]
enum OutputFormat {
    /// Tables for people
    Table,
    /// JSON documents
    Json,
    /// CSV files (one row per decision, payment or outcome)
    Csv,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum DataFormat {
    Csv,
    Jsonl,
}

#[derive(clap::Args)]
pub struct Args {
    /// The contract: a .pay file, or its compiled IR (.json)
    contract: PathBuf,
    /// Participants: one row per participant, with `id` and every declared field
    #[arg(long, value_name = "FILE")]
    participants: PathBuf,
    /// Events: a file whose rows name their `type`, or TYPE=FILE for a file of one event type;
    /// repeat for several files
    #[arg(long, value_name = "[TYPE=]FILE", required = true, num_args = 1..)]
    events: Vec<String>,
    /// Decide as of this date (YYYY-MM-DD): records after it are not seen
    #[arg(long, value_name = "DATE", value_parser = parse_day)]
    as_of: Day,
    /// The control group's participants, for cohort outcomes compared with a control
    #[arg(long, value_name = "FILE", requires = "control_events")]
    control_participants: Option<PathBuf>,
    /// The control group's events
    #[arg(long, value_name = "[TYPE=]FILE", num_args = 1.., requires = "control_participants")]
    control_events: Vec<String>,
    /// The format of the input files (default: by extension, .csv or .jsonl)
    #[arg(long, value_enum)]
    input_format: Option<DataFormat>,
    /// Events are not grouped by participant in the participants file's order: read them all
    /// into memory first
    #[arg(long)]
    unsorted: bool,
    /// How to print or write the results
    #[arg(long, value_enum, default_value = "table")]
    format: OutputFormat,
    /// Write decisions, ledger and summary into this folder (all or nothing)
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Explain why each outcome got its status for this participant
    #[arg(long, value_name = "PARTICIPANT")]
    explain: Option<String>,
    /// When to colour the contract's diagnostics
    #[arg(long, value_enum, default_value = "auto")]
    color: ColorChoice,
}

/// The write buffer of the decisions and the ledger.
const WRITE_BUFFER: usize = 1 << 20;

fn parse_day(text: &str) -> Result<Day, String> {
    Day::parse(text).ok_or_else(|| format!("`{text}` is not a date: write it as YYYY-MM-DD, e.g. 2027-03-31"))
}

fn event_files(specs: &[String]) -> Vec<EventFile> {
    specs
        .iter()
        .map(|spec| match spec.split_once('=') {
            Some((event, path)) if !event.is_empty() && !event.contains(['/', '\\', '.']) => {
                EventFile { path: PathBuf::from(path), event: Some(event.to_string()) }
            }
            _ => EventFile { path: PathBuf::from(spec), event: None },
        })
        .collect()
}

/// The contract's IR: compiled from source, or read and verified from JSON.
fn load_contract(path: &Path, color: bool) -> Result<ir::Contract, u8> {
    let (name, text) = super::read_input(path).map_err(super::report)?;
    if path.extension().is_some_and(|e| e == "json") {
        let contract: ir::Contract = serde_json::from_str(&text).map_err(|e| {
            eprintln!("error: `{name}` is not Payable IR: {e}");
            EXIT_CONTRACT_ERRORS
        })?;
        let problems = crate::lower::verify(&contract);
        if !problems.is_empty() {
            eprintln!("error: `{name}` failed verification:");
            for p in problems {
                eprintln!("  {p}");
            }
            return Err(EXIT_CONTRACT_ERRORS);
        }
        return Ok(contract);
    }
    let compilation = crate::compile(&name, &text, &FsLoader);
    super::check::print_human(&compilation.sources, &compilation.diagnostics, color);
    if compilation.has_errors() {
        eprintln!("error: `{name}` has errors: fix them before evaluating");
        return Err(EXIT_CONTRACT_ERRORS);
    }
    compilation.ir.ok_or_else(|| {
        eprintln!("error: `{name}` is a module, not a contract");
        EXIT_CONTRACT_ERRORS
    })
}

fn print_input_errors(errors: &[InputError], count: u64) {
    for e in errors {
        eprintln!("error: {e}");
    }
    if count > errors.len() as u64 {
        eprintln!("... and {} more error(s)", count - errors.len() as u64);
    }
    if errors.iter().any(|e| e.message.contains("out of order")) {
        eprintln!(
            "help: the events are not grouped in the participants file's order: sort them, or pass --unsorted to read them all into memory first"
        );
    }
    eprintln!("error: the input has {count} error(s): nothing was written");
}

/// Shows progress on standard error when it is a terminal, at most a few times a second.
struct Progress {
    enabled: bool,
    last: std::time::Instant,
}

impl Progress {
    fn tick(&mut self, reader: &TimelineReader, participants: u64) {
        if !self.enabled || self.last.elapsed().as_millis() < 200 {
            return;
        }
        self.last = std::time::Instant::now();
        let total = reader.total_bytes().max(1);
        let percent = reader.bytes_read() * 100 / total;
        eprint!("\r  evaluating: {percent:>3}% ({participants} participants)");
        let _ = std::io::stderr().flush();
    }

    fn done(&self) {
        if self.enabled {
            eprint!("\r{:60}\r", "");
        }
    }
}

pub fn run(args: Args) -> u8 {
    let color = args.color.enabled();
    let contract = match load_contract(&args.contract, color) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let plan = match plan::compile(&contract) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("error: this IR cannot be evaluated: {e}");
            return EXIT_CONTRACT_ERRORS;
        }
    };
    let format = args.input_format.map(|f| match f {
        DataFormat::Csv => InputFormat::Csv,
        DataFormat::Jsonl => InputFormat::JsonLines,
    });
    let ordering = if args.unsorted { Ordering::InMemory } else { Ordering::Grouped };
    let inputs = Inputs {
        participants: args.participants.clone(),
        events: event_files(&args.events),
        format,
        ordering,
    };
    let mut reader = match TimelineReader::open(&contract, &inputs) {
        Ok(r) => r,
        Err(errors) => {
            let count = errors.len() as u64;
            print_input_errors(&errors, count);
            return EXIT_CONTRACT_ERRORS;
        }
    };
    let mut control_reader = match &args.control_participants {
        Some(participants) => {
            let inputs = Inputs {
                participants: participants.clone(),
                events: event_files(&args.control_events),
                format,
                ordering,
            };
            match TimelineReader::open(&contract, &inputs) {
                Ok(r) => Some(r),
                Err(errors) => {
                    let count = errors.len() as u64;
                    print_input_errors(&errors, count);
                    return EXIT_CONTRACT_ERRORS;
                }
            }
        }
        None => None,
    };
    let format = match args.format {
        OutputFormat::Table => Format::Table,
        OutputFormat::Json => Format::Json,
        OutputFormat::Csv => Format::Csv,
    };
    let stamp = Stamp { contract_hash: contract.hash.clone(), as_of: args.as_of.to_string() };

    // Everything is written into a staging folder first and moved into place only when the
    // whole run has succeeded: on any error, nothing is written.
    let staging_parent = match &args.out {
        Some(dir) => dir
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map(Path::to_path_buf)
            .unwrap_or(PathBuf::from(".")),
        None => std::env::temp_dir(),
    };
    if let Err(e) = std::fs::create_dir_all(&staging_parent) {
        return super::report(miette::miette!(
            code = "io",
            "cannot create `{}`: {e}",
            staging_parent.display()
        ));
    }
    let staging = match tempfile::Builder::new().prefix(".payable-eval-").tempdir_in(&staging_parent) {
        Ok(d) => d,
        Err(e) => {
            return super::report(miette::miette!(
                code = "io",
                "cannot write in `{}`: {e}",
                staging_parent.display()
            ));
        }
    };
    let file_format = if format == Format::Table { Format::Csv } else { format };
    let decisions_path = staging.path().join(format!("decisions.{}", file_format.extension()));
    let evaluation = {
        let file = match std::fs::File::create(&decisions_path) {
            Ok(f) => f,
            Err(e) => return super::report(miette::miette!(code = "io", "cannot write decisions: {e}")),
        };
        // A national run writes hundreds of megabytes of decisions: a large buffer makes a
        // hundredth of the system calls of the default 8 KiB one.
        let mut buffered = std::io::BufWriter::with_capacity(WRITE_BUFFER, file);
        let writer_format = if args.out.is_some() { file_format } else { format };
        let files = reader.files().to_vec();
        let mut writer =
            match DecisionWriter::new(&mut buffered, writer_format, &contract, files, stamp.clone()) {
                Ok(w) => w,
                Err(e) => return super::report(miette::miette!(code = "io", "cannot write decisions: {e}")),
            };
        let mut progress =
            Progress { enabled: std::io::stderr().is_terminal(), last: std::time::Instant::now() };
        let mut seen = 0u64;
        let mut timelines = |timeline: &mut crate::eval::value::Timeline| {
            let more = reader.next_timeline_into(timeline);
            seen += 1;
            progress.tick(&reader, seen);
            more
        };
        let mut control_next;
        let control: Option<&mut run::Timelines> = match control_reader.as_mut() {
            Some(r) => {
                control_next =
                    move |timeline: &mut crate::eval::value::Timeline| r.next_timeline_into(timeline);
                Some(&mut control_next)
            }
            None => None,
        };
        let options = Options { as_of: args.as_of, explain: args.explain.as_deref() };
        let result = run::evaluate(&plan, &contract, &mut timelines, control, &options, &mut writer);
        progress.done();
        let kept = writer.finish().and_then(|kept| buffered.flush().map(|_| kept));
        match (result, kept) {
            (Ok(evaluation), Ok(kept)) => (evaluation, kept),
            (Err(e), _) | (_, Err(e)) => {
                return super::report(miette::miette!(code = "io", "cannot write decisions: {e}"));
            }
        }
    };
    let (evaluation, kept) = evaluation;
    let mut errors: Vec<InputError> = reader.errors().to_vec();
    let mut error_count = reader.error_count();
    if let Some(r) = &control_reader {
        errors.extend(r.errors().iter().cloned());
        error_count += r.error_count();
    }
    if error_count > 0 {
        print_input_errors(&errors, error_count);
        return EXIT_CONTRACT_ERRORS;
    }
    if let Some(id) = &args.explain {
        if evaluation.explained.is_none() {
            eprintln!("error: no participant `{id}` in `{}`", args.participants.display());
            return EXIT_CONTRACT_ERRORS;
        }
    }
    let files = reader.files().to_vec();
    let outputs =
        write_results(&args, &contract, &evaluation, &stamp, file_format, staging.path(), &decisions_path);
    if let Err(e) = outputs {
        return super::report(miette::miette!(code = "io", "cannot write the results: {e}"));
    }
    if let Some((timeline, decisions)) = &evaluation.explained {
        print!("{}", why::explain(&contract, &files, &evaluation, &timeline.participant.id, decisions));
        if args.out.is_none() {
            return EXIT_OK;
        }
    }
    match &args.out {
        Some(dir) => {
            if let Err(e) = publish(staging.path(), dir) {
                return super::report(miette::miette!(
                    code = "io",
                    "cannot write into `{}`: {e}",
                    dir.display()
                ));
            }
            eprintln!(
                "evaluated {} participants and {} events as of {}: results in {}",
                evaluation.participants,
                evaluation.events,
                args.as_of,
                dir.display()
            );
        }
        None => {
            if let Err(e) = print_results(format, &contract, &evaluation, &stamp, &kept, &decisions_path) {
                return super::report(miette::miette!(code = "io", "cannot print the results: {e}"));
            }
        }
    }
    EXIT_OK
}

fn write_results(
    args: &Args,
    contract: &ir::Contract,
    evaluation: &run::Evaluation,
    stamp: &Stamp,
    format: Format,
    staging: &Path,
    _decisions: &Path,
) -> std::io::Result<()> {
    if args.out.is_none() {
        return Ok(());
    }
    let mut ledger = std::io::BufWriter::with_capacity(
        WRITE_BUFFER,
        std::fs::File::create(staging.join(format!("ledger.{}", format.extension())))?,
    );
    output::write_ledger(&mut ledger, format, contract, evaluation, stamp)?;
    ledger.flush()?;
    let mut summary = std::io::BufWriter::new(std::fs::File::create(
        staging.join(format!("summary.{}", format.extension())),
    )?);
    output::write_summary(&mut summary, format, contract, evaluation, stamp)?;
    summary.flush()
}

/// Moves each finished file into the output folder (each move is atomic).
fn publish(staging: &Path, dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let mut names: Vec<_> = std::fs::read_dir(staging)?.collect::<Result<Vec<_>, _>>()?;
    names.sort_by_key(|e| e.file_name());
    for entry in names {
        std::fs::rename(entry.path(), dir.join(entry.file_name()))?;
    }
    Ok(())
}

fn print_results(
    format: Format,
    contract: &ir::Contract,
    evaluation: &run::Evaluation,
    stamp: &Stamp,
    kept: &[output::DecisionRow],
    decisions: &Path,
) -> std::io::Result<()> {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match format {
        Format::Table => {
            const SHOWN: usize = 200;
            output::write_summary(&mut out, Format::Table, contract, evaluation, stamp)?;
            writeln!(out)?;
            out.write_all(output::decisions_table(&kept[..kept.len().min(SHOWN)]).as_bytes())?;
            if kept.len() > SHOWN {
                writeln!(
                    out,
                    "... and {} more decisions: write them all with --out DIR",
                    kept.len() - SHOWN
                )?;
            }
            let paid: Vec<&crate::eval::ledger::Payment> =
                evaluation.ledger.iter().filter(|p| p.capped_by.is_some()).collect();
            if !paid.is_empty() {
                writeln!(out, "\n{} payment(s) cut by a cap: see the ledger (--out DIR)", paid.len())?;
            }
        }
        Format::Csv => {
            out.write_all(&std::fs::read(decisions)?)?;
            eprintln!(
                "note: standard output holds the decisions; write the ledger and summary too with --out DIR"
            );
        }
        Format::Json => {
            let decisions: serde_json::Value = serde_json::from_slice(&std::fs::read(decisions)?)?;
            let mut ledger = Vec::new();
            output::write_ledger(&mut ledger, Format::Json, contract, evaluation, stamp)?;
            let mut summary = Vec::new();
            output::write_summary(&mut summary, Format::Json, contract, evaluation, stamp)?;
            let doc = serde_json::json!({
                "contract_hash": stamp.contract_hash,
                "as_of": stamp.as_of,
                "decisions": decisions["decisions"],
                "ledger": serde_json::from_slice::<serde_json::Value>(&ledger)?["payments"],
                "summary": serde_json::from_slice::<serde_json::Value>(&summary)?,
            });
            serde_json::to_writer_pretty(&mut out, &doc)?;
            writeln!(out)?;
        }
    }
    Ok(())
}
