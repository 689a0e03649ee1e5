//! The one diagnostic type, the catalogue of error codes, and the renderers.
//!
//! Every stage reports problems as [`Diagnostic`] values; none prints, none panics. Rendering
//! for people (rustc-style, via codespan-reporting) and for machines (JSON) lives here too, so
//! that all wording and layout is in one place.

use crate::source::{SourceMap, Span};
use codespan_reporting::diagnostic as cs;
use codespan_reporting::files::{Error as FilesError, Files};
use codespan_reporting::term;
use serde::Serialize;
use std::ops::Range;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// A stable diagnostic code and its one-line title. Codes are never reused: a retired code
/// stays in [`CODES`] so that old CI logs still point at documentation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Code {
    pub id: &'static str,
    pub title: &'static str,
}

macro_rules! codes {
    ($($name:ident = $id:literal, $title:literal;)*) => {
        $(pub const $name: Code = Code { id: $id, title: $title };)*
        /// Every code, in order. `tests/codes.rs` checks each has a failing case under
        /// `tests/cases/errors/` and an entry in `docs/reference.md`.
        pub const CODES: &[Code] = &[$($name),*];
    };
}

codes! {
    E_SYNTAX = "E0001", "syntax error";
    E_BAD_DATE = "E0002", "date does not exist";
    E_UNKNOWN_UNIT = "E0003", "unknown unit";
    E_DUPLICATE = "E0004", "name defined twice";
    E_UNKNOWN_NAME = "E0005", "unknown name";
    E_UNKNOWN_FIELD = "E0006", "unknown field";
    E_LET_CYCLE = "E0007", "definition depends on itself";
    E_REQUIRES_CYCLE = "E0008", "outcome requires or excludes itself";
    E_MODULE_NOT_FOUND = "E0009", "module not found";
    E_UNIT_MISMATCH = "E0010", "mismatched units";
    E_CURRENCY_MISMATCH = "E0011", "mismatched currencies";
    E_DATE_PLUS_NUMBER = "E0012", "date plus a bare number";
    E_CALENDAR_CONVERSION = "E0013", "months or years turned into days";
    E_NON_EXHAUSTIVE = "E0014", "missing case in `pays by`";
    E_BAD_CASE = "E0015", "case not in the enum, or given twice";
    E_OPTIONAL_UNHANDLED = "E0016", "optional value used without saying what its absence means";
    E_TYPE_MISMATCH = "E0017", "mismatched types";
    E_OUT_OF_RANGE = "E0018", "value outside its declared range";
    E_EMPTY_RANGE = "E0019", "range whose lower bound is above its upper bound";
    E_AMBIGUOUS_EVENT = "E0020", "condition mixes fields of several events";
    E_NO_EVENT = "E0021", "condition refers to no event";
    E_EVENT_WITHOUT_DATE = "E0022", "event has no date, or is not the spell a condition needs";
    E_IMPOSSIBLE_COUNT = "E0023", "period count can never be reached";
    E_NOT_MONEY = "E0024", "payment is not an amount of money";
    E_CONTRACT_HEADER = "E0025", "contract header missing or repeated";
    E_BAD_PERIOD = "E0026", "contract dates out of order";
    E_BANDS = "E0027", "bands overlap or leave a gap";
    E_UNREQUIRED_OUTCOME = "E0028", "uses another outcome's date without requiring it";
    E_ARITY = "E0029", "wrong number of arguments";
    E_TEST_RECORD = "E0030", "test record does not match its declaration";
    E_OUTCOME_KIND = "E0031", "individual and cohort outcomes mixed up";
    E_INCOMPLETE_OUTCOME = "E0032", "outcome clause missing or given twice";
    E_DUPLICATE_FIELD = "E0033", "field declared twice";
    E_AMBIGUOUS_CASE = "E0034", "enum case name belongs to several enums";
    E_EVENT_IN_PARTICIPANT_CONTEXT = "E0035", "event data used where one value per participant is needed";
    E_AGGREGATE_WITHOUT_WINDOW = "E0036", "aggregate without a window";
    E_BAD_PERCENT = "E0037", "percentage out of range";
    E_USE_CYCLE = "E0038", "modules use each other";
    E_NOT_IN_MODULE = "E0039", "declaration not allowed in a module";
    E_UNKNOWN_TEST = "E0040", "unknown significance test";
    E_DIVISION_BY_ZERO = "E0041", "division by zero";
    E_PARTICIPANTS = "E0042", "participants not declared, or declared twice";
    E_TIERS_ORDER = "E0043", "tiers out of order";
}

/// One labelled place in the source.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Label {
    pub span: Span,
    pub message: String,
    pub primary: bool,
}

/// A problem found in a contract: what, where, and how to fix it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub code: Code,
    pub severity: Severity,
    pub message: String,
    pub labels: Vec<Label>,
    pub notes: Vec<String>,
    pub help: Option<String>,
}

impl Diagnostic {
    pub fn error(code: Code, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            code,
            severity: Severity::Error,
            message: message.into(),
            labels: Vec::new(),
            notes: Vec::new(),
            help: None,
        }
    }

    /// The main place the problem is, with what is wrong there.
    pub fn at(mut self, span: Span, message: impl Into<String>) -> Diagnostic {
        self.labels.push(Label { span, message: message.into(), primary: true });
        self
    }

    /// A second place that explains the first (a declaration, the other operand).
    pub fn also(mut self, span: Span, message: impl Into<String>) -> Diagnostic {
        self.labels.push(Label { span, message: message.into(), primary: false });
        self
    }

    pub fn note(mut self, note: impl Into<String>) -> Diagnostic {
        self.notes.push(note.into());
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    pub fn primary_span(&self) -> Option<Span> {
        self.labels.iter().find(|l| l.primary).or(self.labels.first()).map(|l| l.span)
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// The diagnostic for an impossible state: a bug in payable, not in the contract.
    pub fn bug(what: impl Into<String>, span: Span) -> Diagnostic {
        Diagnostic::error(E_SYNTAX, format!("internal error: {}", what.into()))
            .at(span, "while compiling this")
            .note("this is a bug in payable, please report it with the contract that caused it")
    }
}

/// Sorts diagnostics by file and position, so output order never depends on which stage or
/// which table found a problem first.
pub fn sort(diagnostics: &mut [Diagnostic]) {
    diagnostics.sort_by_key(|d| {
        let span = d.primary_span().unwrap_or_default();
        (span.file, span.start, span.end, d.code.id)
    });
}

struct FilesAdapter<'a>(&'a SourceMap);

impl<'a> Files<'a> for FilesAdapter<'a> {
    type FileId = u32;
    type Name = &'a str;
    type Source = &'a str;

    fn name(&'a self, id: u32) -> Result<&'a str, FilesError> {
        Ok(&self.0.get(crate::source::FileId(id)).name)
    }

    fn source(&'a self, id: u32) -> Result<&'a str, FilesError> {
        Ok(&self.0.get(crate::source::FileId(id)).text)
    }

    fn line_index(&'a self, id: u32, byte_index: usize) -> Result<usize, FilesError> {
        Ok(self.0.get(crate::source::FileId(id)).line_col(byte_index).0 - 1)
    }

    fn line_range(&'a self, id: u32, line_index: usize) -> Result<Range<usize>, FilesError> {
        let text = &self.0.get(crate::source::FileId(id)).text;
        let mut start = 0;
        for _ in 0..line_index {
            match text[start..].find('\n') {
                Some(i) => start += i + 1,
                None => return Err(FilesError::LineTooLarge { given: line_index, max: line_index }),
            }
        }
        let end = text[start..].find('\n').map(|i| start + i + 1).unwrap_or(text.len());
        Ok(start..end)
    }
}

fn to_codespan(d: &Diagnostic) -> cs::Diagnostic<u32> {
    let severity = match d.severity {
        Severity::Error => cs::Severity::Error,
        Severity::Warning => cs::Severity::Warning,
    };
    let labels = d
        .labels
        .iter()
        .map(|l| {
            let style = if l.primary { cs::LabelStyle::Primary } else { cs::LabelStyle::Secondary };
            cs::Label::new(style, l.span.file.0, l.span.range()).with_message(&l.message)
        })
        .collect();
    let mut notes: Vec<String> = d.notes.iter().map(|n| format!("note: {n}")).collect();
    if let Some(help) = &d.help {
        notes.push(format!("help: {help}"));
    }
    cs::Diagnostic::new(severity)
        .with_code(d.code.id)
        .with_message(&d.message)
        .with_labels(labels)
        .with_notes(notes)
}

/// Renders diagnostics as rustc does. `color` chooses ANSI colours; the layout is the same.
pub fn render_human(sources: &SourceMap, diagnostics: &[Diagnostic], color: bool) -> String {
    let config = term::Config::default();
    let files = FilesAdapter(sources);
    let mut out = Vec::new();
    for d in diagnostics {
        let diagnostic = to_codespan(d);
        // Writing to a Vec cannot fail, and every span came from these sources.
        let _ = if color {
            term::emit_to_write_style(&mut term::termcolor::Ansi::new(&mut out), &config, &files, &diagnostic)
        } else {
            term::emit_to_io_write(&mut out, &config, &files, &diagnostic)
        };
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The machine-readable shape of one diagnostic (`--format json`), documented in
/// `docs/reference.md`. Positions are one-based lines and columns.
#[derive(Serialize)]
pub struct JsonDiagnostic<'a> {
    pub code: &'static str,
    pub severity: Severity,
    pub message: &'a str,
    pub file: Option<&'a str>,
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub labels: Vec<JsonLabel<'a>>,
    pub notes: &'a [String],
    pub help: Option<&'a str>,
}

#[derive(Serialize)]
pub struct JsonLabel<'a> {
    pub file: &'a str,
    pub start: JsonPosition,
    pub end: JsonPosition,
    pub message: &'a str,
    pub primary: bool,
}

#[derive(Serialize)]
pub struct JsonPosition {
    pub line: usize,
    pub column: usize,
    pub offset: usize,
}

fn position(sources: &SourceMap, span: Span, offset: usize) -> JsonPosition {
    let (line, column) = sources.get(span.file).line_col(offset);
    JsonPosition { line, column, offset }
}

pub fn to_json<'a>(sources: &'a SourceMap, d: &'a Diagnostic) -> JsonDiagnostic<'a> {
    let primary = d.primary_span();
    let (file, line, column) = match primary {
        Some(span) => {
            let f = sources.get(span.file);
            let (line, column) = f.line_col(span.start as usize);
            (Some(f.name.as_str()), Some(line), Some(column))
        }
        None => (None, None, None),
    };
    JsonDiagnostic {
        code: d.code.id,
        severity: d.severity,
        message: &d.message,
        file,
        line,
        column,
        labels: d
            .labels
            .iter()
            .map(|l| JsonLabel {
                file: &sources.get(l.span.file).name,
                start: position(sources, l.span, l.span.start as usize),
                end: position(sources, l.span, l.span.end as usize),
                message: &l.message,
                primary: l.primary,
            })
            .collect(),
        notes: &d.notes,
        help: d.help.as_deref(),
    }
}

/// A compilation's errors as one library error: a `std::error::Error` and a
/// `miette::Diagnostic`, so that a program using payable as a library can turn them into a
/// miette report with `?`. Each problem keeps its code, labels, notes and help.
#[derive(Debug)]
pub struct CompileError {
    pub file: String,
    pub problems: Vec<SourcedDiagnostic>,
}

/// One diagnostic together with the text of the file its primary label points into.
#[derive(Debug)]
pub struct SourcedDiagnostic {
    pub diagnostic: Diagnostic,
    source: miette::NamedSource<String>,
    file: crate::source::FileId,
}

impl CompileError {
    pub fn new(file: &str, sources: &SourceMap, diagnostics: Vec<Diagnostic>) -> CompileError {
        let problems = diagnostics
            .into_iter()
            .map(|diagnostic| {
                let file_id = diagnostic.primary_span().unwrap_or_default().file;
                let f = sources.get(file_id);
                SourcedDiagnostic {
                    source: miette::NamedSource::new(&f.name, f.text.clone()),
                    file: file_id,
                    diagnostic,
                }
            })
            .collect();
        CompileError { file: file.to_string(), problems }
    }
}

impl std::fmt::Display for CompileError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let errors = self.problems.iter().filter(|p| p.diagnostic.is_error()).count();
        write!(f, "`{}` has {errors} error{}", self.file, if errors == 1 { "" } else { "s" })
    }
}

impl std::error::Error for CompileError {}

impl miette::Diagnostic for CompileError {
    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn miette::Diagnostic> + 'a>> {
        Some(Box::new(self.problems.iter().map(|p| p as &dyn miette::Diagnostic)))
    }
}

impl std::fmt::Display for SourcedDiagnostic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.diagnostic.message)
    }
}

impl std::error::Error for SourcedDiagnostic {}

impl miette::Diagnostic for SourcedDiagnostic {
    fn code<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        Some(Box::new(self.diagnostic.code.id))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.diagnostic.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        })
    }

    fn help<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        let mut lines: Vec<String> = self.diagnostic.notes.iter().map(|n| format!("note: {n}")).collect();
        lines.extend(self.diagnostic.help.clone());
        (!lines.is_empty()).then(|| Box::new(lines.join("\n")) as Box<dyn std::fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        Some(&self.source)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = miette::LabeledSpan> + '_>> {
        // miette shows one source per diagnostic: labels in other files are left out.
        let labels = self.diagnostic.labels.iter().filter(|l| l.span.file == self.file).map(|l| {
            let span = (l.span.start as usize, (l.span.end - l.span.start) as usize);
            if l.primary {
                miette::LabeledSpan::new_primary_with_span(Some(l.message.clone()), span)
            } else {
                miette::LabeledSpan::new_with_span(Some(l.message.clone()), span)
            }
        });
        Some(Box::new(labels))
    }
}
