//! `payable lsp`: the language server, over the Language Server Protocol on stdio.
//!
//! Owns the open documents, their analyses, and the translation between the compiler's
//! spans and diagnostics and the protocol's. It compiles with [`crate::analyse`], so an
//! editor sees exactly what `payable check` reports; everything else it answers from the
//! syntax trees and tokens ([`index`]), so hover, completion and go to definition still work
//! in a file that does not parse. Files named by `use` are read from the editor's open
//! buffers first, then from disk; standard modules are written once to a read-only folder
//! under the temporary directory, so that go to definition opens an ordinary file.
//!
//! Architecture invariant: the server never stops on bad input; a request it cannot answer
//! gets an empty answer, and a bug that panics costs that one answer (or that one analysis).

mod features;
pub mod index;
pub mod position;

use crate::resolve::FileLoader;
use index::Index;
use lsp_server::{Connection, ErrorCode, Message, Notification, Request, RequestId, Response};
use lsp_types::notification::{self as notif, Notification as _};
use lsp_types::request::{self as req, Request as _};
use lsp_types::*;
use position::LineIndex;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

/// Runs the server on standard input and output until the client says `exit`.
pub fn run_stdio() -> Result<(), String> {
    let (connection, io_threads) = Connection::stdio();
    serve(&connection)?;
    drop(connection);
    io_threads.join().map_err(|e| format!("the connection to the editor failed: {e}"))
}

/// Runs the server on a connection (stdio, or one in memory for tests and the bench).
pub fn serve(connection: &Connection) -> Result<(), String> {
    let capabilities = serde_json::to_value(capabilities()).map_err(|e| e.to_string())?;
    connection
        .initialize(capabilities)
        .map_err(|e| format!("the editor did not initialise the server: {e}"))?;
    let mut server = Server { documents: BTreeMap::new(), closed: BTreeMap::new() };
    let mut pending: Vec<Message> = Vec::new();
    loop {
        let message = match pending.pop() {
            Some(m) => m,
            None if server.unfinished().is_empty() => match connection.receiver.recv() {
                Ok(m) => m,
                Err(_) => return Ok(()),
            },
            // Errors are published as the user types; warnings once they pause.
            None => match connection.receiver.recv_timeout(QUIET) {
                Ok(m) => m,
                Err(e) if e.is_timeout() => {
                    server.finish_all(connection);
                    continue;
                }
                Err(_) => return Ok(()),
            },
        };
        match message {
            Message::Request(request) => {
                if connection.handle_shutdown(&request).map_err(|e| e.to_string())? {
                    return Ok(());
                }
                // A hover explains outcomes from the IR, which only a finished analysis has.
                if request.method == req::HoverRequest::METHOD {
                    server.finish_all(connection);
                }
                let id = request.id.clone();
                // A bug in the compiler must cost one answer, not the editor's session.
                let response =
                    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| server.request(request)))
                        .unwrap_or_else(|_| {
                            Response::new_err(
                                id,
                                ErrorCode::InternalError as i32,
                                "internal error: this is a bug in payable, please report it".to_string(),
                            )
                        });
                send(connection, response.into());
            }
            Message::Notification(notification) => {
                // Keystrokes come faster than a big contract compiles: apply every change
                // already waiting, then compile once.
                let mut changed = server.notification(notification);
                while let Ok(next) = connection.receiver.try_recv() {
                    match next {
                        Message::Notification(n) if n.method != notif::Exit::METHOD => {
                            changed.extend(server.notification(n))
                        }
                        other => {
                            pending.push(other);
                            break;
                        }
                    }
                }
                // A change to an open file that other open documents use changes them too.
                changed.extend(server.users_of(&changed));
                changed.sort();
                changed.dedup();
                for uri in changed {
                    // On a panic the document keeps its last analysis, and its next change
                    // tries again (with no parse cache: `analyse` holds it while it works).
                    let analysed =
                        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| server.analyse(&uri)));
                    for n in analysed.unwrap_or_default() {
                        send(connection, n.into());
                    }
                }
                let closed = std::mem::take(&mut server.closed);
                for n in server.republish(closed) {
                    send(connection, n.into());
                }
            }
            Message::Response(_) => {}
        }
    }
}

/// How long the user must pause before warnings (lints) are worked out and published.
const QUIET: Duration = Duration::from_millis(300);

fn send(connection: &Connection, message: Message) {
    // The client has gone: the receive loop ends on its own.
    let _ = connection.sender.send(message);
}

fn capabilities() -> ServerCapabilities {
    ServerCapabilities {
        text_document_sync: Some(TextDocumentSyncCapability::Kind(TextDocumentSyncKind::INCREMENTAL)),
        hover_provider: Some(HoverProviderCapability::Simple(true)),
        definition_provider: Some(OneOf::Left(true)),
        references_provider: Some(OneOf::Left(true)),
        completion_provider: Some(CompletionOptions {
            trigger_characters: Some(vec![".".to_string()]),
            ..CompletionOptions::default()
        }),
        document_symbol_provider: Some(OneOf::Left(true)),
        document_formatting_provider: Some(OneOf::Left(true)),
        semantic_tokens_provider: Some(SemanticTokensServerCapabilities::SemanticTokensOptions(
            SemanticTokensOptions {
                legend: features::legend(),
                full: Some(SemanticTokensFullOptions::Bool(true)),
                range: None,
                ..SemanticTokensOptions::default()
            },
        )),
        ..ServerCapabilities::default()
    }
}

/// One open document and what was learnt from it the last time it changed.
pub(crate) struct Document {
    pub(crate) uri: Uri,
    /// The name the compiler knows it by: its path for a `file:` URI.
    pub(crate) name: String,
    pub(crate) text: String,
    /// The editor's version of the text, echoed with its diagnostics.
    pub(crate) version: i32,
    pub(crate) lines: LineIndex,
    pub(crate) analysis: Option<Analysed>,
    /// The parses of its items, reused for the items a change leaves alone.
    parses: crate::syntax::ParseCache,
    /// The diagnostics last published for the files it uses, by URI: a file whose errors
    /// are gone must be told so, with an empty list.
    elsewhere: BTreeMap<String, (Uri, Vec<Diagnostic>)>,
}

pub(crate) struct Analysed {
    pub(crate) analysis: crate::Analysis,
    /// Built on the first request that needs it, not on every keystroke.
    index: std::cell::OnceCell<Index>,
}

impl Analysed {
    pub(crate) fn index(&self) -> &Index {
        self.index.get_or_init(|| Index::new(&self.analysis.program))
    }
}

struct Server {
    documents: BTreeMap<String, Document>,
    /// The used files of documents closed since the last publication: what they showed
    /// there came from a document that is gone.
    closed: BTreeMap<String, Uri>,
}

/// Reads `use`d files from the open documents first (they may be unsaved), then from disk.
struct Overlay<'a> {
    documents: &'a BTreeMap<String, Document>,
}

impl FileLoader for Overlay<'_> {
    fn load(&self, path: &Path) -> Result<String, String> {
        let name = path.display().to_string();
        match self.documents.values().find(|d| d.name == name) {
            Some(d) => Ok(d.text.clone()),
            None => crate::resolve::FsLoader.load(path),
        }
    }
}

impl Server {
    /// Applies a notification; returns the documents whose text changed.
    fn notification(&mut self, notification: Notification) -> Vec<String> {
        match notification.method.as_str() {
            notif::DidOpenTextDocument::METHOD => {
                let Ok(params) = serde_json::from_value::<DidOpenTextDocumentParams>(notification.params)
                else {
                    return Vec::new();
                };
                let uri = params.text_document.uri;
                let key = uri.as_str().to_string();
                let text = params.text_document.text;
                let document = Document {
                    name: name_of(&uri),
                    lines: LineIndex::new(&text),
                    text,
                    version: params.text_document.version,
                    uri,
                    analysis: None,
                    parses: Default::default(),
                    elsewhere: BTreeMap::new(),
                };
                self.documents.insert(key.clone(), document);
                vec![key]
            }
            notif::DidChangeTextDocument::METHOD => {
                let Ok(params) = serde_json::from_value::<DidChangeTextDocumentParams>(notification.params)
                else {
                    return Vec::new();
                };
                let key = params.text_document.uri.as_str().to_string();
                let Some(document) = self.documents.get_mut(&key) else { return Vec::new() };
                document.version = params.text_document.version;
                for change in params.content_changes {
                    match change.range {
                        Some(range) => {
                            let start = document.lines.offset(&document.text, range.start);
                            let end = document.lines.offset(&document.text, range.end).max(start);
                            document.text.replace_range(start..end, &change.text);
                        }
                        None => document.text = change.text,
                    }
                    document.lines = LineIndex::new(&document.text);
                }
                vec![key]
            }
            notif::DidCloseTextDocument::METHOD => {
                let Ok(params) = serde_json::from_value::<DidCloseTextDocumentParams>(notification.params)
                else {
                    return Vec::new();
                };
                let key = params.text_document.uri.as_str().to_string();
                // The documents that use this one read it from the editor until now, and from
                // disk from now on (its unsaved edits are gone): they must be checked again.
                let users = self.users_of(std::slice::from_ref(&key));
                if let Some(document) = self.documents.remove(&key) {
                    self.closed.extend(document.elsewhere.into_iter().map(|(k, (uri, _))| (k, uri)));
                    // What it showed of itself came from its own analysis, which is gone: it now
                    // shows what the documents that use it find there, or nothing.
                    self.closed.insert(key, document.uri);
                }
                users
            }
            _ => Vec::new(),
        }
    }

    /// Checks a document again (errors only) and returns the diagnostics to publish.
    fn analyse(&mut self, key: &str) -> Vec<Notification> {
        let Some(document) = self.documents.get_mut(key) else { return Vec::new() };
        let mut parses = std::mem::take(&mut document.parses);
        let document = &self.documents[key];
        let loader = Overlay { documents: &self.documents };
        // A test file is checked as part of its contract (its names are the contract's).
        let analysis = match crate::contract_of_test_file(&document.name, &document.text, &loader) {
            Some((contract, contract_text)) => {
                let tests = [(document.name.clone(), document.text.clone())];
                crate::analyse_errors(&contract, &contract_text, &tests, &loader, None)
            }
            None => crate::analyse_errors(&document.name, &document.text, &[], &loader, Some(&mut parses)),
        };
        let document = self.documents.get_mut(key).expect("the document analysed");
        document.analysis = Some(Analysed { analysis, index: Default::default() });
        document.parses = parses;
        self.publish(key)
    }

    /// The open documents, other than those in `keys`, that use one of them.
    fn users_of(&self, keys: &[String]) -> Vec<String> {
        let names: Vec<&str> =
            keys.iter().filter_map(|k| self.documents.get(k)).map(|d| d.name.as_str()).collect();
        self.documents
            .iter()
            .filter(|(k, d)| {
                !keys.contains(k)
                    && d.analysis.as_ref().is_some_and(|a| {
                        // Every file but the document itself: a test file's analysis starts
                        // with its contract.
                        a.analysis
                            .program
                            .sources
                            .files()
                            .any(|(_, f)| f.name != d.name && names.contains(&f.name.as_str()))
                    })
            })
            .map(|(k, _)| k.clone())
            .collect()
    }

    /// The notifications for a document's diagnostics: its own, and those of the files it
    /// uses, including an empty list for each file that had some last time and has none now.
    fn publish(&mut self, key: &str) -> Vec<Notification> {
        let Some(document) = self.documents.get_mut(key) else { return Vec::new() };
        let found = match &document.analysis {
            Some(a) => features::diagnostics(document, &a.analysis),
            None => features::Diagnostics::default(),
        };
        let params = PublishDiagnosticsParams {
            uri: document.uri.clone(),
            diagnostics: found.own,
            version: Some(document.version),
        };
        let mut out = vec![Notification::new(notif::PublishDiagnostics::METHOD.to_string(), params)];
        let last = std::mem::replace(&mut document.elsewhere, found.elsewhere);
        let mut files: BTreeMap<String, Uri> = last.into_iter().map(|(k, (uri, _))| (k, uri)).collect();
        files.extend(document.elsewhere.iter().map(|(k, (uri, _))| (k.clone(), uri.clone())));
        out.extend(self.republish(files));
        out
    }

    /// The diagnostics of used files, each as the open documents that use it now see it.
    /// A used file open in the editor is left to its own analysis.
    fn republish(&self, files: BTreeMap<String, Uri>) -> Vec<Notification> {
        let mut out = Vec::new();
        for (file, uri) in files {
            if self.documents.contains_key(&file) {
                continue;
            }
            // Two open documents may use the same file: it shows what either found there.
            let mut diagnostics: Vec<Diagnostic> = Vec::new();
            for d in self.documents.values().filter_map(|d| d.elsewhere.get(&file)).flat_map(|(_, d)| d) {
                if !diagnostics.contains(d) {
                    diagnostics.push(d.clone());
                }
            }
            let params = PublishDiagnosticsParams { uri, diagnostics, version: None };
            out.push(Notification::new(notif::PublishDiagnostics::METHOD.to_string(), params));
        }
        out
    }

    /// The documents whose warnings are not worked out yet.
    fn unfinished(&self) -> Vec<String> {
        self.documents
            .iter()
            .filter(|(_, d)| d.analysis.as_ref().is_some_and(|a| !a.analysis.is_finished()))
            .map(|(k, _)| k.clone())
            .collect()
    }

    /// Lowers and lints every document checked since the last pause, and publishes their
    /// diagnostics again, warnings included.
    fn finish_all(&mut self, connection: &Connection) {
        for key in self.unfinished() {
            let Some(document) = self.documents.get_mut(&key) else { continue };
            if let Some(analysed) = &mut document.analysis {
                // A bug in lowering or a lint leaves the errors published, without warnings.
                let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| analysed.analysis.finish()));
            }
            for n in self.publish(&key) {
                send(connection, n.into());
            }
        }
    }

    fn request(&mut self, request: Request) -> Response {
        let id = request.id.clone();
        let result = match request.method.as_str() {
            req::HoverRequest::METHOD => self.answer::<HoverParams, _>(request, |s, p| {
                let at = &p.text_document_position_params;
                s.at(&at.text_document.uri, at.position).and_then(|(d, a, o)| features::hover(d, a, o))
            }),
            req::GotoDefinition::METHOD => self.answer::<GotoDefinitionParams, _>(request, |s, p| {
                let at = &p.text_document_position_params;
                s.at(&at.text_document.uri, at.position)
                    .and_then(|(d, a, o)| features::definition(d, a, o))
                    .map(GotoDefinitionResponse::Scalar)
            }),
            req::References::METHOD => self.answer::<ReferenceParams, _>(request, |s, p| {
                let at = &p.text_document_position;
                s.at(&at.text_document.uri, at.position)
                    .map(|(d, a, o)| features::references(d, a, o, p.context.include_declaration))
            }),
            req::Completion::METHOD => self.answer::<CompletionParams, _>(request, |s, p| {
                let at = &p.text_document_position;
                let document = s.documents.get(at.text_document.uri.as_str())?;
                let offset = document.lines.offset(&document.text, at.position);
                Some(CompletionResponse::Array(features::completion(document, offset)))
            }),
            req::DocumentSymbolRequest::METHOD => self.answer::<DocumentSymbolParams, _>(request, |s, p| {
                let document = s.documents.get(p.text_document.uri.as_str())?;
                Some(DocumentSymbolResponse::Nested(features::outline(document)))
            }),
            req::Formatting::METHOD => self.answer::<DocumentFormattingParams, _>(request, |s, p| {
                let document = s.documents.get(p.text_document.uri.as_str())?;
                features::formatting(document)
            }),
            req::SemanticTokensFullRequest::METHOD => {
                self.answer::<SemanticTokensParams, _>(request, |s, p| {
                    let document = s.documents.get(p.text_document.uri.as_str())?;
                    Some(SemanticTokensResult::Tokens(features::semantic_tokens(document)))
                })
            }
            _ => Err(Response::new_err(
                id.clone(),
                ErrorCode::MethodNotFound as i32,
                format!("payable lsp does not handle `{}`", request.method),
            )),
        };
        result.unwrap_or_else(|e| e)
    }

    /// Decodes a request's parameters and answers it; an answer of `None` is `null`.
    fn answer<P, R>(
        &self,
        request: Request,
        f: impl FnOnce(&Server, P) -> Option<R>,
    ) -> Result<Response, Response>
    where
        P: serde::de::DeserializeOwned,
        R: serde::Serialize,
    {
        let id: RequestId = request.id.clone();
        let params: P = serde_json::from_value(request.params).map_err(|e| {
            Response::new_err(id.clone(), ErrorCode::InvalidParams as i32, format!("bad parameters: {e}"))
        })?;
        Ok(Response::new_ok(id, f(self, params)))
    }

    /// A document, its analysis and the byte offset of a position in it.
    fn at(&self, uri: &Uri, position: Position) -> Option<(&Document, &Analysed, usize)> {
        let document = self.documents.get(uri.as_str())?;
        let analysed = document.analysis.as_ref()?;
        Some((document, analysed, document.lines.offset(&document.text, position)))
    }
}

/// The compiler's name for a document: the path of a `file:` URI, else the URI itself.
fn name_of(uri: &Uri) -> String {
    match uri.as_str().strip_prefix("file://") {
        Some(path) => percent_decode(path),
        None => uri.as_str().to_string(),
    }
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok());
        match (bytes[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The URI of a file the compiler loaded: a path, or `std/NAME.pay` for a standard module
/// (written out on first use).
pub(crate) fn uri_of(documents_uri: &Uri, documents_name: &str, name: &str) -> Option<Uri> {
    if name == documents_name {
        return Some(documents_uri.clone());
    }
    let path = match name.strip_prefix("std/").and_then(|n| n.strip_suffix(".pay")) {
        Some(module) => stdlib_file(module)?,
        None if Path::new(name).is_absolute() => PathBuf::from(name),
        None => std::env::current_dir().ok()?.join(name),
    };
    file_uri(&path)
}

pub(crate) fn file_uri(path: &Path) -> Option<Uri> {
    let mut out = String::from("file://");
    let text = path.display().to_string().replace('\\', "/");
    if !text.starts_with('/') {
        out.push('/');
    }
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/:".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    Uri::from_str(&out).ok()
}

/// A standard module as a file: written once per version of payable, read-only, so that an
/// editor can open it like any other and nobody edits it by mistake.
fn stdlib_file(module: &str) -> Option<PathBuf> {
    let text = crate::stdlib::source(module)?;
    let folder = std::env::temp_dir().join(format!("payable-{}-std", env!("CARGO_PKG_VERSION")));
    let path = folder.join(format!("{module}.pay"));
    if std::fs::read_to_string(&path).ok().as_deref() != Some(text) {
        std::fs::create_dir_all(&folder).ok()?;
        let _ = std::fs::remove_file(&path);
        std::fs::write(&path, text).ok()?;
        if let Ok(metadata) = std::fs::metadata(&path) {
            let mut permissions = metadata.permissions();
            permissions.set_readonly(true);
            let _ = std::fs::set_permissions(&path, permissions);
        }
    }
    Some(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A server holding one document, opened and checked, as after `didOpen`.
    fn open(text: &str) -> (Server, String) {
        let mut server = Server { documents: BTreeMap::new(), closed: BTreeMap::new() };
        let uri = "file:///contracts/broken.pay";
        let params = json_params(uri, text);
        server.notification(Notification::new(notif::DidOpenTextDocument::METHOD.into(), params));
        let published = server.analyse(uri);
        assert!(
            published.iter().any(|n| n.method == notif::PublishDiagnostics::METHOD && n.params["uri"] == uri),
            "diagnostics published for the opened document: {published:?}"
        );
        (server, uri.to_string())
    }

    fn json_params(uri: &str, text: &str) -> serde_json::Value {
        serde_json::json!({ "textDocument": { "uri": uri, "languageId": "payable", "version": 1, "text": text } })
    }

    /// An outcome that does not parse, between items that do.
    const BROKEN: &str = "contract \"C\" {\n  currency GBP\n  outcomes achievable from 2025-04-01 to 2026-03-31\n  claims close 2026-06-30\n}\n\nparticipant {\n  born: date\n}\n\n/// A spell of work.\nevent employment {\n  from: date\n  to: date?\n  hours: hours per week\n}\n\noutcome job {\n  achieved when employment.hours >\n  pays 100 GBP\n}\n\nlet adult = participant.born + 18 years\n";

    #[test]
    fn a_file_that_does_not_parse_still_gets_diagnostics_hover_definition_and_completion() {
        let (server, uri) = open(BROKEN);
        let document = &server.documents[&uri];
        let analysed = document.analysis.as_ref().unwrap();
        let codes: Vec<&str> = analysed.analysis.diagnostics.iter().map(|d| d.code.id).collect();
        assert_eq!(codes, ["E0001"], "one syntax error for the broken outcome, nothing else");

        // Hover and definition in the items that parsed, after the broken one.
        let born = BROKEN.rfind("born").unwrap();
        let hover = features::hover(document, analysed, born + 1).expect("a hover on `born`");
        let HoverContents::Markup(markup) = hover.contents else { panic!("markdown hover") };
        assert!(markup.value.contains("participant.born: date"), "{}", markup.value);
        let definition = features::definition(document, analysed, born).unwrap();
        assert_eq!(definition.range.start, Position { line: 7, character: 2 });

        // Inside the broken outcome: `employment.` still completes with the event's fields.
        let dot = BROKEN.find("employment.hours >").unwrap() + "employment.".len();
        let labels: Vec<String> = features::completion(document, dot).into_iter().map(|c| c.label).collect();
        assert_eq!(labels, ["from", "to", "hours"]);
        let hover = features::hover(document, analysed, BROKEN.find("employment.hours").unwrap()).unwrap();
        let HoverContents::Markup(markup) = hover.contents else { panic!("markdown hover") };
        assert!(markup.value.contains("A spell of work."), "the event's doc comment: {}", markup.value);

        // At the start of a line, keywords and the names in scope.
        let labels: Vec<String> = features::completion(document, BROKEN.find("let adult").unwrap())
            .into_iter()
            .map(|c| c.label)
            .collect();
        for expected in ["outcome", "within", "employment", "adult"] {
            assert!(labels.iter().any(|l| l == expected), "{expected} in {labels:?}");
        }
    }

    #[test]
    fn references_cross_into_the_standard_library() {
        let text = "use std.calendar\n\ncontract \"C\" {\n  currency GBP\n  outcomes achievable from 2025-04-01 to 2026-03-31\n  claims close 2026-06-30\n}\n\nparticipant {\n  born: date\n}\n\nlet start = calendar.financial_year_start(participant.born)\n";
        let (server, uri) = open(text);
        let document = &server.documents[&uri];
        let analysed = document.analysis.as_ref().unwrap();
        let at = text.find("financial_year_start").unwrap();
        let Some(definition) = features::definition(document, analysed, at) else {
            panic!(
                "a definition for calendar.financial_year_start; diagnostics: {:?}",
                analysed.analysis.diagnostics
            )
        };
        assert!(definition.uri.as_str().ends_with("/calendar.pay"), "{}", definition.uri.as_str());
        let path = name_of(&definition.uri);
        let written = std::fs::read_to_string(&path).unwrap();
        assert_eq!(written, crate::stdlib::source("calendar").unwrap(), "the file is the embedded module");
        let references = features::references(document, analysed, at, true);
        assert!(references.len() >= 2, "declaration and use: {references:?}");
    }

    /// The diagnostics each notification publishes, by URI.
    fn by_uri(notifications: Vec<Notification>) -> BTreeMap<String, Vec<Diagnostic>> {
        notifications
            .into_iter()
            .map(|n| {
                let p: PublishDiagnosticsParams = serde_json::from_value(n.params).unwrap();
                (p.uri.as_str().to_string(), p.diagnostics)
            })
            .collect()
    }

    #[test]
    fn an_error_two_uses_away_is_marked_at_each_use_on_the_way_and_cleared_on_close() {
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, text: &str| std::fs::write(dir.path().join(name), text).unwrap();
        write("dates.pay", "use \"inner.pay\"\n\nlet later(day: date): date = inner.week_after(day)\n");
        write("inner.pay", "let week_after(day: date): date = day + 7\n");
        let uri = |name: &str| file_uri(&dir.path().join(name)).unwrap().as_str().to_string();
        let contract = "use \"dates.pay\"\nuse std.calendar\n\ncontract \"C\" {\n  currency GBP\n  outcomes achievable from 2025-04-01 to 2026-03-31\n  claims close 2026-06-30\n}\n\nparticipant {\n  born: date\n}\n\nlet start = dates.later(participant.born)\n";
        let mut server = Server { documents: BTreeMap::new(), closed: BTreeMap::new() };
        let params = json_params(&uri("contract.pay"), contract);
        server.notification(Notification::new(notif::DidOpenTextDocument::METHOD.into(), params));
        let published = by_uri(server.analyse(&uri("contract.pay")));

        let messages = |name: &str| -> Vec<String> {
            published[&uri(name)].iter().map(|d| d.message.lines().next().unwrap().to_string()).collect()
        };
        assert_eq!(messages("contract.pay"), ["`dates.pay` and the files it uses have 1 error"]);
        assert_eq!(
            published[&uri("contract.pay")][0].range.start.line,
            0,
            "on the first `use`, not the std one"
        );
        assert_eq!(messages("dates.pay"), ["`inner.pay` has 1 error"]);
        assert_eq!(published[&uri("inner.pay")].len(), 1);
        assert_eq!(published.len(), 3, "nothing for the standard module: {:?}", published.keys());

        let params = serde_json::json!({ "textDocument": { "uri": uri("contract.pay") } });
        server.notification(Notification::new(notif::DidCloseTextDocument::METHOD.into(), params));
        let closed = std::mem::take(&mut server.closed);
        let cleared = by_uri(server.republish(closed));
        assert_eq!(
            cleared.keys().collect::<Vec<_>>(),
            [&uri("contract.pay"), &uri("dates.pay"), &uri("inner.pay")],
            "the closed document and the files it used"
        );
        assert!(cleared.values().all(Vec::is_empty), "{cleared:?}");
    }

    #[test]
    fn closing_a_used_file_shows_what_its_users_find_on_disk() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("dates.pay"), "let week_after(day: date): date = day + 7 days\n")
            .unwrap();
        let uri = |name: &str| file_uri(&dir.path().join(name)).unwrap().as_str().to_string();
        let contract = "use \"dates.pay\"\n\ncontract \"C\" {\n  currency GBP\n  outcomes achievable from 2025-04-01 to 2026-03-31\n  claims close 2026-06-30\n}\n\nparticipant {\n  born: date\n}\n\nlet start = dates.week_after(participant.born)\n";
        let mut server = Server { documents: BTreeMap::new(), closed: BTreeMap::new() };
        let notify = |server: &mut Server, method: &str, params: serde_json::Value| {
            server.notification(Notification::new(method.into(), params))
        };
        notify(&mut server, notif::DidOpenTextDocument::METHOD, json_params(&uri("contract.pay"), contract));
        server.analyse(&uri("contract.pay"));
        // The used file is opened and broken in the editor, unsaved.
        let broken = "let week_after(day: date): date = day +\n";
        notify(&mut server, notif::DidOpenTextDocument::METHOD, json_params(&uri("dates.pay"), broken));
        let published = by_uri(server.analyse(&uri("dates.pay")));
        assert_eq!(published[&uri("dates.pay")].len(), 1, "its own syntax error: {published:?}");
        let mut seen = BTreeMap::new();
        for key in server.users_of(&[uri("dates.pay")]) {
            seen.extend(by_uri(server.analyse(&key)));
        }
        let marked = seen[&uri("contract.pay")].iter().any(|d| d.message == "`dates.pay` has 1 error");
        assert!(marked, "the contract sees the editor's text: {seen:?}");

        // Closed without saving: the contract reads the file from disk again, where it is fine.
        let params = serde_json::json!({ "textDocument": { "uri": uri("dates.pay") } });
        let changed = notify(&mut server, notif::DidCloseTextDocument::METHOD, params);
        assert_eq!(changed, [uri("contract.pay")], "its user is checked again");
        let mut published = BTreeMap::new();
        for key in changed {
            published.extend(by_uri(server.analyse(&key)));
        }
        let closed = std::mem::take(&mut server.closed);
        published.extend(by_uri(server.republish(closed)));
        assert_eq!(published[&uri("contract.pay")], [], "no marker on the `use` line");
        assert_eq!(published[&uri("dates.pay")], [], "the closed file's syntax error is cleared");
    }

    #[test]
    fn a_test_file_is_checked_with_its_contract() {
        let dir = tempfile::tempdir().unwrap();
        let contract = "contract \"C\" {\n  currency GBP\n  outcomes achievable from 2025-01-01 to 2026-12-31\n  claims close 2027-03-31\n}\n\nparticipant {\n  referred: date\n}\n\nevent job {\n  from: date\n  to: date?\n}\n\noutcome job_entry {\n  achieved when job within 6 months after participant.referred\n  pays 300 GBP\n}\n";
        std::fs::write(dir.path().join("jobs.pay"), contract).unwrap();
        let uri = |name: &str| file_uri(&dir.path().join(name)).unwrap().as_str().to_string();
        let tests = "test \"a job\" {\n  given participant { referred: 2025-01-31 }\n  given job { from: 2025-04-15 }\n  expect job_entry achieved on 2025-04-15 paying 300 GBP\n}\n";
        let mut server = Server { documents: BTreeMap::new(), closed: BTreeMap::new() };
        let open = |server: &mut Server, text: &str| {
            let params = json_params(&uri("jobs.tests.pay"), text);
            server.notification(Notification::new(notif::DidOpenTextDocument::METHOD.into(), params));
            by_uri(server.analyse(&uri("jobs.tests.pay")))
        };
        let published = open(&mut server, tests);
        assert_eq!(published[&uri("jobs.tests.pay")], [], "its names are the contract's: {published:?}");
        let document = &server.documents[&uri("jobs.tests.pay")];
        let analysed = document.analysis.as_ref().unwrap();
        let at = tests.find("job_entry").unwrap();
        let definition = features::definition(document, analysed, at).expect("the outcome's definition");
        assert_eq!(definition.uri.as_str(), uri("jobs.pay"));

        // A mistake in the test file is reported there, where it is.
        let published = open(&mut server, &tests.replace("from: 2025-04-15", "from: 2025-04-15, hours: 3"));
        let errors = &published[&uri("jobs.tests.pay")];
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!(errors[0].code, Some(lsp_types::NumberOrString::String("E0030".into())));
        assert_eq!(errors[0].range.start.line, 2);
    }

    #[test]
    fn file_uris_round_trip_through_names() {
        let uri = file_uri(Path::new("/tmp/a contract/é.pay")).unwrap();
        assert_eq!(uri.as_str(), "file:///tmp/a%20contract/%C3%A9.pay");
        assert_eq!(name_of(&uri), "/tmp/a contract/é.pay");
    }
}
