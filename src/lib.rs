//! Payable: a language and compiler for the payable outcomes of outcome-based contracts.
//!
//! The pipeline, one module per stage (see `docs/ARCHITECTURE.md`):
//! [`syntax`] (text to AST) → [`resolve`] (modules loaded, item names bound) → [`check`]
//! (names in expressions, types, units) → [`lower`] (the [`ir`]) → [`lint`] (warnings, and
//! the `allow(...)` lines copied into the IR) → `lower::verify`. [`compile`] chains them.
//! The library does no printing and no I/O of its own: files named by `use` come through a
//! [`resolve::FileLoader`].

#![cfg_attr(not(test), deny(clippy::unwrap_used))]

pub mod check;
pub mod cli;
pub mod diagnostic;
pub mod doc;
pub mod eval;
pub mod explain;
pub mod fmt;
pub mod ir;
pub mod lint;
pub mod lower;
pub mod lsp;
pub mod resolve;
pub mod source;
pub mod stdlib;
pub mod syntax;
pub mod units;

use diagnostic::Diagnostic;
use source::SourceMap;

/// The result of compiling one contract: the IR if there were no errors, and every
/// diagnostic, sorted by position.
pub struct Compilation {
    pub sources: SourceMap,
    pub ir: Option<ir::Contract>,
    pub diagnostics: Vec<Diagnostic>,
}

impl Compilation {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(|d| d.is_error())
    }

    /// The IR, or every diagnostic as one error (a `miette::Diagnostic`) for library users.
    /// A file without a contract (a module) is an error with no diagnostics.
    pub fn into_result(self, file: &str) -> Result<ir::Contract, diagnostic::CompileError> {
        let has_errors = self.has_errors();
        match (self.ir, has_errors) {
            (Some(ir), false) => Ok(ir),
            _ => Err(diagnostic::CompileError::new(file, &self.sources, self.diagnostics)),
        }
    }
}

/// Compiles the contract `text`, named `name` (a path, for messages and relative `use`).
pub fn compile(name: &str, text: &str, loader: &dyn resolve::FileLoader) -> Compilation {
    compile_with_tests(name, text, &[], loader)
}

/// Compiles a contract together with separate test files (`NAME.tests.pay`, holding only
/// `test` blocks): their tests are checked and lowered as if written in the contract.
pub fn compile_with_tests(
    name: &str,
    text: &str,
    tests: &[(String, String)],
    loader: &dyn resolve::FileLoader,
) -> Compilation {
    let analysis = analyse(name, text, tests, loader);
    Compilation { sources: analysis.program.sources, ir: analysis.ir, diagnostics: analysis.diagnostics }
}

/// Whether a file has a contract header (`contract "..." { ... }`); `None` when it holds no
/// item at all. A file without one is a module (or a test file).
pub fn has_contract_header(text: &str) -> Option<bool> {
    let (module, _) = syntax::parse(source::FileId(0), text);
    let header = module.items.iter().any(|i| matches!(i.kind, syntax::ast::ItemKind::Contract(_)));
    (!module.items.is_empty()).then_some(header)
}

/// The contract a test file tests: for `NAME.tests.pay` holding `test` blocks (no contract
/// header), the contract `NAME.pay` beside it, read through `loader`, as `(name, text)`. A
/// test file means nothing on its own (every name in it is the contract's), so tools check
/// it with its contract. `None` for any other file, and for a module's test file, which is a
/// contract of its own that uses the module.
pub fn contract_of_test_file(
    name: &str,
    text: &str,
    loader: &dyn resolve::FileLoader,
) -> Option<(String, String)> {
    let stem = name.strip_suffix(".tests.pay")?;
    let contract = format!("{stem}.pay");
    let contract_text = loader.load(std::path::Path::new(&contract)).ok()?;
    is_tests_of(text, &contract_text).then_some((contract, contract_text))
}

/// Whether `tests`, the text of `NAME.tests.pay`, holds tests of the contract `contract`
/// (the text of `NAME.pay`) rather than being a module's test contract (see
/// [`contract_of_test_file`]).
pub fn is_tests_of(tests: &str, contract: &str) -> bool {
    has_contract_header(tests) != Some(true) && has_contract_header(contract) != Some(false)
}

/// Everything compiling a contract learnt, for tools that need more than the IR (the
/// language server): every module's syntax tree, and the checked definitions with their
/// types even when errors elsewhere withhold the IR.
pub struct Analysis {
    pub program: resolve::Program,
    pub definitions: Vec<ir::Definition>,
    pub ir: Option<ir::Contract>,
    pub diagnostics: Vec<Diagnostic>,
    /// What [`Analysis::finish`] still has to do with: the checked contract, to lower.
    unlowered: Option<check::Checked>,
}

/// The pipeline behind [`compile_with_tests`], keeping the program it loaded.
pub fn analyse(
    name: &str,
    text: &str,
    tests: &[(String, String)],
    loader: &dyn resolve::FileLoader,
) -> Analysis {
    let mut analysis = analyse_errors(name, text, tests, loader, None);
    analysis.finish();
    analysis
}

/// The stages that find errors (parse, resolve, check), without lowering and linting: every
/// error, sorted, but no warnings and no IR until [`Analysis::finish`]. For a language
/// server, which shows errors as the user types and warnings when they pause.
pub fn analyse_errors(
    name: &str,
    text: &str,
    tests: &[(String, String)],
    loader: &dyn resolve::FileLoader,
    cache: Option<&mut syntax::ParseCache>,
) -> Analysis {
    let (mut program, mut diagnostics) = resolve::load_cached(name, text, loader, cache);
    for (test_name, test_text) in tests {
        diagnostics.extend(resolve::add_test_file(&mut program, test_name, test_text));
    }
    let (names, errors) = resolve::names(&program);
    diagnostics.extend(errors);
    let (checked, errors) = check::check(&program, &names);
    diagnostics.extend(errors);
    diagnostics.extend(lint::check_allows(&program));
    let definitions = checked.definitions.clone();
    diagnostic::sort(&mut diagnostics);
    Analysis { program, definitions, ir: None, diagnostics, unlowered: Some(checked) }
}

impl Analysis {
    /// Whether [`Analysis::finish`] has run: the IR, if any, and the warnings are there.
    pub fn is_finished(&self) -> bool {
        self.unlowered.is_none()
    }

    /// Lowers, lints and verifies what [`analyse_errors`] checked.
    pub fn finish(&mut self) {
        let Some(checked) = self.unlowered.take() else { return };
        let (program, diagnostics) = (&self.program, &mut self.diagnostics);
        let has_errors = diagnostics.iter().any(|d| d.is_error());
        let sources: Vec<String> = program.sources.files().map(|(_, f)| f.name.clone()).collect();
        let mut ir = if has_errors { None } else { lower::lower(checked, sources) };
        // Lints need the whole contract; their warnings never withhold the IR.
        if let Some(contract) = &mut ir {
            diagnostics.extend(lint::lint(program, contract));
        }
        diagnostic::sort(diagnostics);
        if let Some(contract) = &ir {
            for problem in lower::verify(contract) {
                let file = program.modules[0].file;
                diagnostics.push(Diagnostic::bug(
                    format!("the IR failed verification: {problem}"),
                    source::Span::new(file, 0, 0),
                ));
            }
        }
        self.ir = if diagnostics.iter().any(|d| d.is_error()) { None } else { ir };
    }
}

/// The result of checking a module (a file of definitions, with no contract): its checked
/// declarations if there were no errors, and every diagnostic, sorted by position.
pub struct ModuleCompilation {
    pub sources: SourceMap,
    pub module: Option<explain::Module>,
    pub diagnostics: Vec<Diagnostic>,
}

/// Checks the module `text`, named `name`, as far as a module goes: [`analyse_errors`]'s
/// stages, without lowering, since only a contract has an IR. Definitions it takes from
/// other modules are left out: they belong to those modules.
pub fn compile_module(name: &str, text: &str, loader: &dyn resolve::FileLoader) -> ModuleCompilation {
    let Analysis { program, diagnostics, unlowered, .. } = analyse_errors(name, text, &[], loader, None);
    let file = program.modules[0].file.0;
    let own = |span: &ir::Span| span.file == file;
    let module =
        unlowered.filter(|_| !diagnostics.iter().any(|d| d.is_error())).map(|checked| explain::Module {
            name: name.to_string(),
            enums: checked.enums.into_iter().filter(|e| own(&e.span)).collect(),
            events: checked.events.into_iter().filter(|e| own(&e.span)).collect(),
            definitions: checked.definitions.into_iter().filter(|d| own(&d.span)).collect(),
        });
    ModuleCompilation { sources: program.sources, module, diagnostics }
}
