//! Name resolution at the level of items: loads every module a contract `use`s (files
//! through a [`FileLoader`], the standard library from the binary), and builds the table of
//! what each name declares.
//!
//! Owns: module loading and `use` cycles, duplicate names, which items a module may hold,
//! and cycles in `requires`. Names inside expressions are bound by `check`, which has the
//! types it needs to choose between an enum case and a definition.

use crate::diagnostic::*;
use crate::source::{FileId, SourceMap, Span};
use crate::stdlib;
use crate::syntax::{self, ast};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Reads files named by `use`. The compiler core does no I/O of its own: the CLI passes a
/// loader over the file system, tests and the language server pass their own.
pub trait FileLoader {
    fn load(&self, path: &Path) -> Result<String, String>;
}

/// Loads from the file system.
pub struct FsLoader;

impl FileLoader for FsLoader {
    fn load(&self, path: &Path) -> Result<String, String> {
        std::fs::read_to_string(path).map_err(|e| e.to_string())
    }
}

/// A loader that finds nothing: for sources that may only use the standard library.
pub struct NoFiles;

impl FileLoader for NoFiles {
    fn load(&self, path: &Path) -> Result<String, String> {
        Err(format!("cannot read `{}` here", path.display()))
    }
}

/// One parsed file in a program.
#[derive(Debug)]
pub struct Module {
    pub file: FileId,
    pub ast: ast::Module,
    /// The prefix of this module's names in the IR: empty for the contract, `calendar.` for
    /// `use std.calendar`.
    pub prefix: String,
    /// Modules this one `use`s, by the name it refers to them with.
    pub imports: BTreeMap<String, usize>,
}

/// The contract file and every module it uses, directly or not. `modules[0]` is the
/// contract.
#[derive(Debug)]
pub struct Program {
    pub sources: SourceMap,
    pub modules: Vec<Module>,
}

/// Parses `text` (named `name`, for messages and relative `use` paths) and every module it
/// uses. Always returns a program, possibly partial, with every diagnostic found.
pub fn load(name: &str, text: &str, loader: &dyn FileLoader) -> (Program, Vec<Diagnostic>) {
    load_cached(name, text, loader, None)
}

/// [`load`], reusing the parses of the root file's unchanged items from an earlier version
/// of it (the language server's keystrokes).
pub fn load_cached(
    name: &str,
    text: &str,
    loader: &dyn FileLoader,
    cache: Option<&mut syntax::ParseCache>,
) -> (Program, Vec<Diagnostic>) {
    let mut sources = SourceMap::new();
    let file = sources.add(name, text);
    let (ast, mut diagnostics) = match cache {
        Some(cache) => syntax::parse_cached(file, text, cache),
        None => syntax::parse(file, text),
    };
    let mut program = Program {
        sources,
        modules: vec![Module { file, ast, prefix: String::new(), imports: BTreeMap::new() }],
    };
    let mut loading = vec![name.to_string()];
    load_imports(&mut program, 0, loader, &mut loading, &mut diagnostics);
    (program, diagnostics)
}

/// Adds a file of `test` blocks to the contract: its tests join the contract's own.
pub fn add_test_file(program: &mut Program, name: &str, text: &str) -> Vec<Diagnostic> {
    let file = program.sources.add(name, text);
    let (ast, mut diagnostics) = syntax::parse(file, text);
    for item in ast.items {
        if matches!(item.kind, ast::ItemKind::Test(_)) {
            program.modules[0].ast.items.push(item);
        } else {
            diagnostics.push(
                Diagnostic::error(
                    E_NOT_IN_MODULE,
                    format!("a test file holds only tests, not {}", item.kind.noun()),
                )
                .at(item.span, "move this into the contract")
                .note(
                    "a file named `NAME.tests.pay` holds `test` blocks for the contract `NAME.pay` beside it",
                ),
            );
        }
    }
    program.modules[0].ast.broken.extend(ast.broken);
    diagnostics
}

fn load_imports(
    program: &mut Program,
    index: usize,
    loader: &dyn FileLoader,
    loading: &mut Vec<String>,
    diagnostics: &mut Vec<Diagnostic>,
) {
    let uses: Vec<(ast::Use, Span)> = program.modules[index]
        .ast
        .items
        .iter()
        .filter_map(|item| match &item.kind {
            ast::ItemKind::Use(u) => Some((u.clone(), item.span)),
            _ => None,
        })
        .collect();
    let here = program.sources.get(program.modules[index].file).name.clone();
    for (decl, span) in uses {
        let (key, bind_as, text) = match &decl {
            ast::Use::Std { module, alias } => match stdlib::source(&module.name) {
                Some(text) => (
                    stdlib::file_name(&module.name),
                    alias.as_ref().unwrap_or(module).name.clone(),
                    text.to_string(),
                ),
                None => {
                    diagnostics.push(
                        Diagnostic::error(
                            E_MODULE_NOT_FOUND,
                            format!("there is no standard module `{}`", module.name),
                        )
                        .at(module.span, "not in the standard library")
                        .help(format!("the standard modules are: {}", stdlib::names().join(", "))),
                    );
                    continue;
                }
            },
            ast::Use::File { path, path_span, alias } => {
                let resolved = resolve_path(&here, path);
                let key = resolved.display().to_string();
                let stem = resolved.file_stem().and_then(|s| s.to_str()).unwrap_or("module").to_string();
                let bind_as = alias.as_ref().map(|a| a.name.clone()).unwrap_or(stem);
                if let Some(existing) = program.sources.find(&key) {
                    if let Some(i) = program.modules.iter().position(|m| m.file == existing) {
                        if loading.contains(&key) {
                            diagnostics.push(
                                Diagnostic::error(E_USE_CYCLE, format!("`{path}` uses this file in turn"))
                                    .at(*path_span, "this `use` closes a cycle")
                                    .note(format!("the chain is: {} → {key}", loading.join(" → ")))
                                    .help("move what both files need into a third file that both use"),
                            );
                        } else {
                            program.modules[index].imports.insert(bind_as, i);
                        }
                        continue;
                    }
                }
                match loader.load(&resolved) {
                    Ok(text) => (key, bind_as, text),
                    Err(reason) => {
                        diagnostics.push(
                            Diagnostic::error(E_MODULE_NOT_FOUND, format!("cannot read `{path}`"))
                                .at(*path_span, reason)
                                .note(format!(
                                    "paths are relative to the file that uses them: looked for `{}`",
                                    resolved.display()
                                )),
                        );
                        continue;
                    }
                }
            }
        };
        if let Some(existing) = program.sources.find(&key) {
            if let Some(i) = program.modules.iter().position(|m| m.file == existing) {
                program.modules[index].imports.insert(bind_as, i);
                continue;
            }
        }
        if program.modules[index].imports.contains_key(&bind_as) {
            diagnostics.push(
                Diagnostic::error(E_DUPLICATE, format!("two modules are both called `{bind_as}` here"))
                    .at(span, "second module with this name")
                    .help("give one of them another name with `as`"),
            );
            continue;
        }
        let file = program.sources.add(key.clone(), text.clone());
        let (ast, errors) = syntax::parse(file, &text);
        diagnostics.extend(errors);
        program.modules.push(Module { file, ast, prefix: format!("{bind_as}."), imports: BTreeMap::new() });
        let new_index = program.modules.len() - 1;
        program.modules[index].imports.insert(bind_as, new_index);
        loading.push(key);
        load_imports(program, new_index, loader, loading, diagnostics);
        loading.pop();
    }
}

/// The name a `use` in the file `from` loads its module by (the key of its source): for the
/// language server, which reports a used file's errors at the `use` that brought it in.
pub fn used_name(from: &str, decl: &ast::Use) -> String {
    match decl {
        ast::Use::Std { module, .. } => stdlib::file_name(&module.name),
        ast::Use::File { path, .. } => resolve_path(from, path).display().to_string(),
    }
}

/// The path of a `use`d file: relative to the file that uses it, with `.` and `..` folded
/// away so that one file always has one name (and a cycle is seen as one).
fn resolve_path(from: &str, path: &str) -> PathBuf {
    let base = Path::new(from).parent().unwrap_or(Path::new(""));
    let mut out = PathBuf::new();
    for part in base.join(path).components() {
        match part {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir if out.file_name().is_some() => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// What a top-level name in one module declares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Declared {
    Enum,
    Unit,
    Bands,
    Event,
    Let,
    Outcome,
    CohortOutcome,
}

impl Declared {
    pub fn noun(self) -> &'static str {
        match self {
            Declared::Enum => "an enum",
            Declared::Unit => "a unit",
            Declared::Bands => "bands",
            Declared::Event => "an event",
            Declared::Let => "a definition",
            Declared::Outcome => "an outcome",
            Declared::CohortOutcome => "a cohort outcome",
        }
    }
}

/// Every name declared at the top of each module, and where.
#[derive(Debug, Default)]
pub struct Names {
    /// Per module: name → (kind, index of the item in the module, span of the name).
    pub modules: Vec<BTreeMap<String, (Declared, usize, Span)>>,
}

impl Names {
    pub fn get(&self, module: usize, name: &str) -> Option<(Declared, usize, Span)> {
        self.modules.get(module).and_then(|m| m.get(name)).copied()
    }
}

/// Builds the name tables and reports duplicates, items a module may not hold, and
/// `requires` cycles.
pub fn names(program: &Program) -> (Names, Vec<Diagnostic>) {
    let mut diagnostics = Vec::new();
    let mut names = Names::default();
    for (m, module) in program.modules.iter().enumerate() {
        let mut table: BTreeMap<String, (Declared, usize, Span)> = BTreeMap::new();
        for (i, item) in module.ast.items.iter().enumerate() {
            let declared = match &item.kind {
                ast::ItemKind::Enum(e) => Some((Declared::Enum, &e.name)),
                ast::ItemKind::Unit(u) => Some((Declared::Unit, &u.singular)),
                ast::ItemKind::Bands(b) => Some((Declared::Bands, &b.name)),
                ast::ItemKind::Event(e) => Some((Declared::Event, &e.name)),
                ast::ItemKind::Let(l) => Some((Declared::Let, &l.name)),
                ast::ItemKind::Outcome(o) => Some((Declared::Outcome, &o.name)),
                ast::ItemKind::Cohort(c) => Some((Declared::CohortOutcome, &c.name)),
                _ => None,
            };
            if m > 0 && !module_may_hold(&item.kind) {
                diagnostics.push(
                    Diagnostic::error(E_NOT_IN_MODULE, format!("a used module cannot hold {}", item.kind.noun()))
                        .at(item.span, "only allowed in the contract file")
                        .note("a module shares enums, units, bands and definitions; the contract that uses it declares participants, events, outcomes and tests")
                        .help("move this into the contract file"),
                );
                continue;
            }
            let Some((kind, ident)) = declared else { continue };
            if let Some((other_kind, _, other_span)) = table.get(&ident.name) {
                diagnostics.push(
                    Diagnostic::error(E_DUPLICATE, format!("`{}` is defined twice", ident.name))
                        .at(ident.span, format!("defined again here as {}", kind.noun()))
                        .also(*other_span, format!("first defined here as {}", other_kind.noun()))
                        .help("give one of them another name"),
                );
                continue;
            }
            table.insert(ident.name.clone(), (kind, i, ident.span));
        }
        // `employment.hours` would mean the module's `hours`: a module must not share its
        // name with an item of the file that uses it.
        for (bound, &used) in &module.imports {
            if let Some((kind, _, span)) = table.get(bound) {
                let file = &program.sources.get(program.modules[used].file).name;
                let rename = match file.strip_prefix("std/").and_then(|f| f.strip_suffix(".pay")) {
                    Some(std) => format!("`use std.{std} as {bound}_std`"),
                    None => format!("`use \"{file}\" as {bound}_module`"),
                };
                diagnostics.push(
                    Diagnostic::error(
                        E_DUPLICATE,
                        format!("`{bound}` names both a module and {}", kind.noun()),
                    )
                    .at(*span, format!("declared here as {}", kind.noun()))
                    .note(format!("`{bound}.NAME` could mean either"))
                    .help(format!("name the module otherwise with `as`: {rename}")),
                );
            }
        }
        names.modules.push(table);
    }
    if let Some(root) = program.modules.first() {
        requires_cycles(root, &mut diagnostics);
    }
    (names, diagnostics)
}

fn module_may_hold(kind: &ast::ItemKind) -> bool {
    matches!(
        kind,
        ast::ItemKind::Use(_)
            | ast::ItemKind::Enum(_)
            | ast::ItemKind::Unit(_)
            | ast::ItemKind::Bands(_)
            | ast::ItemKind::Let(_)
    )
}

/// Reports each cycle in `requires` once, at the `requires` that closes it.
fn requires_cycles(root: &Module, diagnostics: &mut Vec<Diagnostic>) {
    let mut edges: BTreeMap<&str, Vec<&ast::Ident>> = BTreeMap::new();
    for item in &root.ast.items {
        if let ast::ItemKind::Outcome(o) = &item.kind {
            let required = edges.entry(o.name.name.as_str()).or_default();
            for clause in &o.clauses {
                if let ast::OutcomeClauseKind::Requires(list) = &clause.kind {
                    required.extend(list.iter());
                }
            }
        }
    }
    let mut done: BTreeSet<&str> = BTreeSet::new();
    let mut reported: BTreeSet<Vec<String>> = BTreeSet::new();
    for start in edges.keys().copied().collect::<Vec<_>>() {
        let mut path: Vec<&str> = Vec::new();
        visit(start, &edges, &mut path, &mut done, &mut reported, diagnostics);
    }
}

fn visit<'a>(
    node: &'a str,
    edges: &BTreeMap<&'a str, Vec<&'a ast::Ident>>,
    path: &mut Vec<&'a str>,
    done: &mut BTreeSet<&'a str>,
    reported: &mut BTreeSet<Vec<String>>,
    diagnostics: &mut Vec<Diagnostic>,
) {
    if done.contains(node) {
        return;
    }
    path.push(node);
    for next in edges.get(node).into_iter().flatten() {
        if let Some(pos) = path.iter().position(|p| *p == next.name) {
            let mut cycle: Vec<String> = path[pos..].iter().map(|s| s.to_string()).collect();
            cycle.sort();
            if reported.insert(cycle) {
                let chain: Vec<&str> = path[pos..].iter().copied().chain([next.name.as_str()]).collect();
                diagnostics.push(
                    Diagnostic::error(E_REQUIRES_CYCLE, format!("`{}` requires itself", next.name))
                        .at(next.span, "this requirement closes a cycle")
                        .note(format!("the chain is: {}", chain.join(" requires ")))
                        .help(
                            "an outcome can only require outcomes achieved before it: remove one requirement",
                        ),
                );
            }
        } else if edges.contains_key(next.name.as_str()) {
            visit(next.name.as_str(), edges, path, done, reported, diagnostics);
        }
    }
    path.pop();
    done.insert(node);
}
