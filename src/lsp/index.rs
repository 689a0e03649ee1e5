//! What every name in a program declares and where each word of its files points.
//!
//! Built from the syntax trees of the contract and every module it uses (so it works as far
//! as the parser recovered), and from the tokens of their text, so that a word in an item that
//! does not parse still finds its declaration. It binds names the way the checker does for
//! the cases that matter to an editor: `participant.F`, `EVENT.F`, `ENUM.CASE`,
//! `MODULE.NAME`, a field in a `given EVENT { ... }` record, a parameter inside its
//! definition, and a bare item or enum case name.

use crate::fmt::lex::{self, Kind, Lexed, Token};
use crate::resolve::Program;
use crate::source::{FileId, Span};
use crate::syntax::ast;
use std::collections::BTreeMap;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SymbolKind {
    Outcome,
    Cohort,
    Event,
    Participant,
    Field,
    Enum,
    Case,
    Bands,
    Let,
    Param,
    Unit,
}

/// One declared name.
#[derive(Clone, Debug)]
pub struct Symbol {
    pub kind: SymbolKind,
    pub name: String,
    /// The module (index in [`Program::modules`]) that declares it.
    pub module: usize,
    /// For a field, the event it belongs to or `participant`; for a case, its enum; for a
    /// parameter, its definition.
    pub owner: Option<String>,
    pub name_span: Span,
    /// The whole declaration (the item for an item, the field line for a field).
    pub span: Span,
    pub docs: Vec<String>,
    /// The type as written, for fields and parameters.
    pub written_type: Option<String>,
}

pub type SymbolId = usize;

/// One file's tokens.
pub struct FileTokens {
    pub file: FileId,
    pub module: usize,
    pub tokens: Vec<Token>,
}

pub struct Index {
    pub symbols: Vec<Symbol>,
    pub files: Vec<FileTokens>,
    /// Per module, the names it gives the modules it uses.
    imports: Vec<Vec<(String, usize)>>,
    /// Where each name is declared, so that resolving a word (every word, for highlighting)
    /// is a lookup, not a scan.
    declared_at: BTreeMap<(FileId, u32), SymbolId>,
    /// Top-level items by module and name (the first, if declared twice).
    items: BTreeMap<(usize, String), SymbolId>,
    /// Fields (`true`) and cases by owner and name.
    members: BTreeMap<(bool, String, String), SymbolId>,
    /// Enum cases by module and name.
    cases: BTreeMap<(usize, String), SymbolId>,
    params: Vec<SymbolId>,
    participant: Option<SymbolId>,
}

pub(super) fn is_keyword(word: &str) -> bool {
    lex::keywords().any(|k| k == word)
}

impl Index {
    pub fn new(program: &Program) -> Index {
        let mut symbols = Vec::new();
        let mut files = Vec::new();
        let mut imports = Vec::new();
        for (m, module) in program.modules.iter().enumerate() {
            for item in &module.ast.items {
                declare(&mut symbols, program, m, item);
            }
            imports.push(module.imports.iter().map(|(name, i)| (name.clone(), *i)).collect());
            let text = &program.sources.get(module.file).text;
            files.push(FileTokens { file: module.file, module: m, tokens: Lexed::new(text).tokens });
        }
        // Test files (`NAME.tests.pay`) join module 0.
        for (file, _) in program.sources.files() {
            if !files.iter().any(|f| f.file == file) && program.sources.get(file).name.ends_with(".tests.pay")
            {
                let text = &program.sources.get(file).text;
                files.push(FileTokens { file, module: 0, tokens: Lexed::new(text).tokens });
            }
        }
        let mut index = Index {
            symbols,
            files,
            imports,
            declared_at: BTreeMap::new(),
            items: BTreeMap::new(),
            members: BTreeMap::new(),
            cases: BTreeMap::new(),
            params: Vec::new(),
            participant: None,
        };
        for (id, s) in index.symbols.iter().enumerate() {
            index.declared_at.entry((s.name_span.file, s.name_span.start)).or_insert(id);
            match (s.kind, &s.owner) {
                (SymbolKind::Field | SymbolKind::Case, Some(owner)) => {
                    let key = (s.kind == SymbolKind::Field, owner.clone(), s.name.clone());
                    index.members.entry(key).or_insert(id);
                    if s.kind == SymbolKind::Case {
                        index.cases.entry((s.module, s.name.clone())).or_insert(id);
                    }
                }
                (SymbolKind::Param, _) => index.params.push(id),
                (SymbolKind::Participant, _) => {
                    index.participant.get_or_insert(id);
                }
                _ => {
                    index.items.entry((s.module, s.name.clone())).or_insert(id);
                }
            }
        }
        index
    }

    pub fn symbol(&self, id: SymbolId) -> &Symbol {
        &self.symbols[id]
    }

    fn tokens_of(&self, file: FileId) -> Option<&FileTokens> {
        self.files.iter().find(|f| f.file == file)
    }

    /// The word token at a byte offset (touching it at either end), with its index.
    pub fn word_at(&self, file: FileId, offset: usize) -> Option<(usize, Token)> {
        let tokens = &self.tokens_of(file)?.tokens;
        let offset = offset as u32;
        let i = tokens.partition_point(|t| t.end < offset);
        (i..tokens.len().min(i + 2))
            .map(|j| (j, tokens[j]))
            .find(|(_, t)| t.kind == Kind::Word && t.start <= offset && offset <= t.end)
    }

    /// The symbol a word of a file names, if any.
    pub fn resolve(&self, program: &Program, file: FileId, index: usize) -> Option<SymbolId> {
        let ft = self.tokens_of(file)?;
        let text = &program.sources.get(file).text;
        let word_of = |t: Token| &text[t.start as usize..t.end as usize];
        let token = ft.tokens[index];
        let word = word_of(token);
        let m = ft.module;
        // A declaration's own name.
        if let Some(&id) = self.declared_at.get(&(file, token.start)) {
            return Some(id);
        }
        let punct = |j: usize, p: &str| ft.tokens.get(j).is_some_and(|t| word_of(*t) == p);
        let word_before = |j: usize| ft.tokens.get(j).filter(|t| t.kind == Kind::Word).map(|t| word_of(*t));
        if index >= 2 && punct(index - 1, ".") {
            let qualifier = word_before(index - 2)?;
            // `alias.name` may itself be qualified: `alias.Enum.case`.
            let scope = if index >= 4 && punct(index - 3, ".") {
                word_before(index - 4).and_then(|a| self.import(m, a)).unwrap_or(m)
            } else {
                m
            };
            if let Some(target) = self.import(scope, qualifier) {
                return self.item(target, word);
            }
            if qualifier == "participant" {
                return self.member(SymbolKind::Field, "participant", word);
            }
            let owner = self.item(scope, qualifier).map(|id| &self.symbols[id])?;
            return match owner.kind {
                SymbolKind::Event => self.member(SymbolKind::Field, &owner.name, word),
                SymbolKind::Enum | SymbolKind::Bands => self.member(SymbolKind::Case, &owner.name, word),
                _ => None,
            };
        }
        if is_keyword(word) && word != "participant" {
            return None;
        }
        // A field name in a record: `given employment { hours: 20 hours per week }`.
        if punct(index + 1, ":") {
            if let Some(record) = self.enclosing_record(text, &ft.tokens, index) {
                return self.member(SymbolKind::Field, record, word);
            }
        }
        // A parameter, inside its definition.
        if let Some(&id) = self.params.iter().find(|&&id| {
            let s = &self.symbols[id];
            s.name == word && s.span.file == file && s.span.range().contains(&(token.start as usize))
        }) {
            return Some(id);
        }
        if word == "participant" {
            return self.participant;
        }
        self.item(m, word).or_else(|| self.cases.get(&(m, word.to_string())).copied())
    }

    /// The event of the record a token is in: `given EVENT {` (or `participant`).
    fn enclosing_record<'t>(&self, text: &'t str, tokens: &[Token], index: usize) -> Option<&'t str> {
        let word_of = |t: Token| &text[t.start as usize..t.end as usize];
        let mut depth = 0;
        for j in (0..index).rev() {
            match word_of(tokens[j]) {
                "}" => depth += 1,
                "{" if depth > 0 => depth -= 1,
                "{" => {
                    let name = word_of(*tokens.get(j.checked_sub(1)?)?);
                    let given = word_of(*tokens.get(j.checked_sub(2)?)?);
                    return (given == "given").then_some(name);
                }
                _ => {}
            }
        }
        None
    }

    fn import(&self, module: usize, name: &str) -> Option<usize> {
        self.imports.get(module)?.iter().find(|(n, _)| n == name).map(|(_, i)| *i)
    }

    /// A top-level item of a module, by name.
    pub fn item(&self, module: usize, name: &str) -> Option<SymbolId> {
        self.items.get(&(module, name.to_string())).copied()
    }

    fn member(&self, kind: SymbolKind, owner: &str, name: &str) -> Option<SymbolId> {
        self.members.get(&(kind == SymbolKind::Field, owner.to_string(), name.to_string())).copied()
    }

    /// The members reachable as `qualifier.`: fields, cases, or a used module's items.
    pub fn members(&self, module: usize, qualifier: &str) -> Vec<SymbolId> {
        if let Some(target) = self.import(module, qualifier) {
            return (0..self.symbols.len())
                .filter(|&i| {
                    let s = &self.symbols[i];
                    s.module == target && self.item(target, &s.name) == Some(i)
                })
                .collect();
        }
        let owner = if qualifier == "participant" {
            "participant".to_string()
        } else {
            match self.item(module, qualifier).map(|id| &self.symbols[id]) {
                Some(s) if matches!(s.kind, SymbolKind::Event | SymbolKind::Enum | SymbolKind::Bands) => {
                    s.name.clone()
                }
                _ => return Vec::new(),
            }
        };
        (0..self.symbols.len())
            .filter(|&i| {
                let s = &self.symbols[i];
                matches!(s.kind, SymbolKind::Field | SymbolKind::Case)
                    && s.owner.as_deref() == Some(owner.as_str())
            })
            .collect()
    }

    /// The names of the modules a module uses.
    pub fn import_names(&self, module: usize) -> impl Iterator<Item = &str> {
        self.imports.get(module).into_iter().flatten().map(|(n, _)| n.as_str())
    }

    /// Every word, in every file of the program, that names the symbol (its declaration
    /// included).
    pub fn references(&self, program: &Program, id: SymbolId) -> Vec<Span> {
        let name = &self.symbols[id].name;
        let mut out = Vec::new();
        for ft in &self.files {
            let text = &program.sources.get(ft.file).text;
            for (i, t) in ft.tokens.iter().enumerate() {
                if t.kind == Kind::Word
                    && &text[t.start as usize..t.end as usize] == name
                    && self.resolve(program, ft.file, i) == Some(id)
                {
                    out.push(Span { file: ft.file, start: t.start, end: t.end });
                }
            }
        }
        out
    }
}

fn declare(symbols: &mut Vec<Symbol>, program: &Program, module: usize, item: &ast::Item) {
    let text = |span: Span| program.sources.get(span.file).slice(span).to_string();
    let mut push =
        |kind, name: &ast::Ident, owner: Option<&str>, span: Span, docs: &[String], ty: Option<String>| {
            symbols.push(Symbol {
                kind,
                name: name.name.clone(),
                module,
                owner: owner.map(str::to_string),
                name_span: name.span,
                span,
                docs: docs.to_vec(),
                written_type: ty,
            })
        };
    let span = item.span;
    match &item.kind {
        ast::ItemKind::Outcome(o) => push(SymbolKind::Outcome, &o.name, None, span, &item.docs, None),
        ast::ItemKind::Cohort(c) => push(SymbolKind::Cohort, &c.name, None, span, &item.docs, None),
        ast::ItemKind::Enum(e) => {
            push(SymbolKind::Enum, &e.name, None, span, &item.docs, None);
            for case in &e.cases {
                push(SymbolKind::Case, &case.name, Some(&e.name.name), case.name.span, &case.docs, None);
            }
        }
        ast::ItemKind::Bands(b) => {
            push(SymbolKind::Bands, &b.name, None, span, &item.docs, Some(text(b.of.span)));
            for band in &b.bands {
                push(SymbolKind::Case, &band.name, Some(&b.name.name), band.span, &band.docs, None);
            }
        }
        ast::ItemKind::Unit(u) => push(SymbolKind::Unit, &u.singular, None, span, &item.docs, None),
        ast::ItemKind::Event(e) => {
            push(SymbolKind::Event, &e.name, None, span, &item.docs, None);
            for f in &e.fields {
                push(SymbolKind::Field, &f.name, Some(&e.name.name), f.span, &f.docs, Some(text(f.ty.span)));
            }
        }
        ast::ItemKind::Participant(p) => {
            // The keyword is its name: `participant.born` points at it.
            let at = program.sources.get(span.file).text[span.range()].find("participant").unwrap_or(0);
            let start = span.start as usize + at;
            let keyword = ast::Ident {
                name: "participant".into(),
                span: Span::new(span.file, start, start + "participant".len()),
            };
            push(SymbolKind::Participant, &keyword, None, span, &item.docs, None);
            for f in &p.fields {
                push(SymbolKind::Field, &f.name, Some("participant"), f.span, &f.docs, Some(text(f.ty.span)));
            }
        }
        ast::ItemKind::Let(l) => {
            let annotation = l.annotation.as_ref().map(|t| text(t.span));
            push(SymbolKind::Let, &l.name, None, span, &item.docs, annotation);
            for p in l.params.iter().flatten() {
                push(SymbolKind::Param, &p.name, Some(&l.name.name), span, &[], Some(text(p.ty.span)));
            }
        }
        ast::ItemKind::Use(_)
        | ast::ItemKind::Contract(_)
        | ast::ItemKind::Highest(_)
        | ast::ItemKind::Test(_) => {}
    }
}
