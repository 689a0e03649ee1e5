//! `payable lsp` driven as an editor drives it: the binary spawned, JSON-RPC messages framed
//! with `Content-Length` on its standard input and output.

use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::Duration;

struct Client {
    child: Child,
    stdin: ChildStdin,
    messages: Receiver<Value>,
    next_id: i64,
}

impl Client {
    fn start() -> Client {
        let mut child = Command::new(env!("CARGO_BIN_EXE_payable"))
            .arg("lsp")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("payable lsp starts");
        let stdin = child.stdin.take().unwrap();
        let stdout = child.stdout.take().unwrap();
        let (sender, messages) = channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            loop {
                let mut length = None;
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    let line = line.trim_end();
                    if line.is_empty() {
                        break;
                    }
                    if let Some(n) = line.strip_prefix("Content-Length: ") {
                        length = n.parse::<usize>().ok();
                    }
                }
                let mut body = vec![0; length.expect("every message has a Content-Length")];
                reader.read_exact(&mut body).unwrap();
                if sender.send(serde_json::from_slice(&body).unwrap()).is_err() {
                    return;
                }
            }
        });
        Client { child, stdin, messages, next_id: 1 }
    }

    fn send(&mut self, message: Value) {
        let body = message.to_string();
        write!(self.stdin, "Content-Length: {}\r\n\r\n{body}", body.len()).unwrap();
        self.stdin.flush().unwrap();
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(json!({ "jsonrpc": "2.0", "method": method, "params": params }));
    }

    /// Sends a request and returns its result, skipping notifications meanwhile.
    fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        self.send(json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params }));
        loop {
            let message = self.receive();
            if message["id"] == json!(id) {
                assert!(message.get("error").is_none(), "{method} failed: {message}");
                return message["result"].clone();
            }
        }
    }

    fn receive(&mut self) -> Value {
        self.messages.recv_timeout(Duration::from_secs(60)).expect("the server answers within a minute")
    }

    /// The next diagnostics published for this version of `uri`: errors at once, then errors
    /// and warnings once the editor pauses.
    fn diagnostics(&mut self, uri: &str, version: i64) -> Vec<Value> {
        loop {
            let message = self.receive();
            let params = &message["params"];
            if message["method"] == "textDocument/publishDiagnostics"
                && params["uri"] == uri
                && params["version"] == version
            {
                return message["params"]["diagnostics"].as_array().unwrap().clone();
            }
        }
    }
}

fn position_of(text: &str, needle: &str, nth: usize) -> Value {
    let offset = text.match_indices(needle).nth(nth).expect("needle in text").0;
    let line = text[..offset].matches('\n').count();
    let column = text[..offset].rsplit('\n').next().unwrap().encode_utf16().count();
    json!({ "line": line, "character": column })
}

/// The text after one edit, its range in UTF-16 columns.
fn apply(text: &str, edit: &Value) -> String {
    let offset = |p: &Value| {
        let line = p["line"].as_u64().unwrap() as usize;
        let start: usize = text.split_inclusive('\n').take(line).map(str::len).sum();
        let mut units = 0;
        let column = p["character"].as_u64().unwrap() as usize;
        let within = text[start..].char_indices().find(|(_, c)| {
            let here = units;
            units += c.len_utf16();
            here >= column
        });
        start + within.map_or(text.len() - start, |(i, _)| i)
    };
    let (start, end) = (offset(&edit["range"]["start"]), offset(&edit["range"]["end"]));
    format!("{}{}{}", &text[..start], edit["newText"].as_str().unwrap(), &text[end..])
}

fn document(uri: &str, position: Value) -> Value {
    json!({ "textDocument": { "uri": uri }, "position": position })
}

#[test]
fn an_editor_session_diagnoses_hovers_jumps_formats_and_exits_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("youth.pay");
    let uri = format!("file://{}", path.display());
    let fixed = std::fs::read_to_string("examples/youth_employment.pay").unwrap();
    let broken = fixed.replace(", complex: 2_400 GBP }", " }");
    std::fs::write(&path, &broken).unwrap();

    let mut client = Client::start();
    let init =
        client.request("initialize", json!({ "processId": null, "rootUri": null, "capabilities": {} }));
    let capabilities = &init["capabilities"];
    for provider in
        ["hoverProvider", "definitionProvider", "documentFormattingProvider", "completionProvider"]
    {
        assert!(capabilities.get(provider).is_some(), "advertises {provider}: {capabilities}");
    }
    client.notify("initialized", json!({}));

    // An error: a `pays by` without a price for `complex`.
    client.notify(
        "textDocument/didOpen",
        json!({ "textDocument": { "uri": uri, "languageId": "payable", "version": 1, "text": broken } }),
    );
    let diagnostics = client.diagnostics(&uri, 1);
    let errors: Vec<&Value> = diagnostics.iter().filter(|d| d["severity"] == 1).collect();
    assert_eq!(errors.len(), 1, "{diagnostics:#?}");
    let error = errors[0];
    assert_eq!(error["code"], "E0014");
    assert_eq!(error["source"], "payable");
    let start = position_of(&broken, "participant.group {", 0);
    let end = json!({ "line": start["line"], "character": start["character"].as_u64().unwrap() + 17 });
    assert_eq!(error["range"], json!({ "start": start, "end": end }), "{error}");
    let href = error["codeDescription"]["href"].as_str().unwrap();
    assert!(href.ends_with("docs/reference.md#e0014-missing-case-in-pays-by"), "{href}");
    assert!(error["message"].as_str().unwrap().contains("no price for `complex`"));

    // Fixed by an incremental edit: insert the missing case.
    let at = position_of(&broken, " }\n}\n\nallow(self_reported_only", 0);
    client.notify(
        "textDocument/didChange",
        json!({
            "textDocument": { "uri": uri, "version": 2 },
            "contentChanges": [{ "range": { "start": at, "end": at }, "text": ", complex: 2_400 GBP" }],
        }),
    );
    let diagnostics = client.diagnostics(&uri, 2);
    assert!(diagnostics.iter().all(|d| d["severity"] != 1), "{diagnostics:#?}");

    // Hover on an outcome, where a test names it: its meaning in English.
    let hover = client.request(
        "textDocument/hover",
        document(&uri, position_of(&fixed, "sustained_employment achieved on", 0)),
    );
    let text = hover["contents"]["value"].as_str().unwrap();
    assert!(text.contains("outcome sustained_employment"), "{text}");
    assert!(
        text.contains("at least 13 of the 26 calendar months following their sixteenth birthday"),
        "{text}"
    );
    assert!(text.contains("£2,400.00 if “complex”"), "{text}");

    // Go to definition: from a use of `sixteenth_birthday` to its `let`.
    let definition = client
        .request("textDocument/definition", document(&uri, position_of(&fixed, "sixteenth_birthday", 1)));
    assert_eq!(definition["uri"], uri.as_str());
    assert_eq!(definition["range"]["start"], position_of(&fixed, "sixteenth_birthday", 0));

    // A field in an outcome leads to its line in the event.
    let definition =
        client.request("textDocument/definition", document(&uri, position_of(&fixed, "hours >", 0)));
    assert_eq!(definition["range"]["start"], position_of(&fixed, "hours: hours per week", 0));

    // References: the declaration and both uses of the definition.
    let references = client.request(
        "textDocument/references",
        json!({
            "textDocument": { "uri": uri },
            "position": position_of(&fixed, "sixteenth_birthday", 0),
            "context": { "includeDeclaration": true },
        }),
    );
    assert_eq!(
        references.as_array().unwrap().len(),
        fixed.matches("sixteenth_birthday").count(),
        "{references}"
    );

    // The outline: every item, the events with their fields.
    let outline = client.request("textDocument/documentSymbol", json!({ "textDocument": { "uri": uri } }));
    let names: Vec<&str> = outline.as_array().unwrap().iter().map(|s| s["name"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        [
            "Group",
            "participant",
            "employment",
            "wellbeing_survey",
            "sixteenth_birthday",
            "sustained_employment",
            "improved_wellbeing",
            "half_in_work"
        ]
    );
    let fields: Vec<&str> =
        outline[2]["children"].as_array().unwrap().iter().map(|s| s["name"].as_str().unwrap()).collect();
    assert_eq!(fields, ["from", "to", "hours"]);

    // Semantic tokens: five integers a token, the first a keyword (`contract`, after comments).
    let tokens =
        client.request("textDocument/semanticTokens/full", json!({ "textDocument": { "uri": uri } }));
    let data = tokens["data"].as_array().unwrap();
    assert_eq!(data.len() % 5, 0);
    assert!(data.len() > 5 * 100, "{} tokens", data.len() / 5);
    // Decoded (each token's line and start are relative to the one before), the words
    // `contract` and `sustained_employment` have the legend's keyword and function types.
    let legend: Vec<&str> = capabilities["semanticTokensProvider"]["legend"]["tokenTypes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap())
        .collect();
    let number = |v: &Value| v.as_u64().unwrap();
    let (mut line, mut start, mut decoded) = (0, 0, Vec::new());
    for token in data.chunks(5) {
        line += number(&token[0]);
        start = if number(&token[0]) == 0 { start + number(&token[1]) } else { number(&token[1]) };
        decoded.push((json!({ "line": line, "character": start }), legend[number(&token[3]) as usize]));
    }
    let type_at = |needle: &str| {
        let at = position_of(&fixed, needle, 0);
        decoded.iter().find(|(p, _)| *p == at).map(|(_, t)| *t)
    };
    assert_eq!(type_at("contract \""), Some("keyword"));
    assert_eq!(type_at("sustained_employment \""), Some("function"));

    // Formatting: the edits turn the text into what `payable fmt` prints.
    let messy = fixed.replace(
        "let sixteenth_birthday = participant.born + 16 years",
        "let   sixteenth_birthday=participant.born+16 years",
    );
    client.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": uri, "version": 3 }, "contentChanges": [{ "text": messy }] }),
    );
    client.diagnostics(&uri, 3);
    let edits = client.request(
        "textDocument/formatting",
        json!({ "textDocument": { "uri": uri }, "options": { "tabSize": 2, "insertSpaces": true } }),
    );
    let edits = edits.as_array().unwrap();
    assert_eq!(edits.len(), 1, "one edit, covering only what changed: {edits:?}");
    assert_eq!(apply(&messy, &edits[0]), fixed, "the examples are in the canonical layout");
    assert!(edits[0]["newText"].as_str().unwrap().len() < 60, "{edits:?}");

    let result = client.request("shutdown", Value::Null);
    assert_eq!(result, Value::Null);
    client.notify("exit", Value::Null);
    drop(client.stdin);
    let status = client.child.wait().unwrap();
    assert!(status.success(), "exit status {status}");
}

#[test]
fn an_error_in_a_used_file_is_shown_in_that_file_and_marked_at_the_use() {
    let dir = tempfile::tempdir().unwrap();
    let helpers = dir.path().join("helpers.pay");
    let helpers_uri = format!("file://{}", helpers.display());
    let broken = "/// A week after `day`.\nlet week_after(day: date): date = day + 7\n";
    let fixed = broken.replace("day + 7", "day + 7 days");
    std::fs::write(&helpers, broken).unwrap();
    let contract = "use \"helpers.pay\"\n\ncontract \"C\" {\n  currency GBP\n  outcomes achievable from 2025-04-01 to 2026-03-31\n  claims close 2026-06-30\n}\n\nparticipant {\n  born: date\n}\n\nlet start = helpers.week_after(participant.born)\n";
    let uri = format!("file://{}", dir.path().join("contract.pay").display());

    let mut client = Client::start();
    client.request("initialize", json!({ "processId": null, "rootUri": null, "capabilities": {} }));
    client.notify("initialized", json!({}));
    client.notify(
        "textDocument/didOpen",
        json!({ "textDocument": { "uri": uri, "languageId": "payable", "version": 1, "text": contract } }),
    );
    // The error where it is, in the file never opened.
    let (mut own, mut theirs) = (None, None);
    while own.is_none() || theirs.is_none() {
        let message = client.receive();
        if message["method"] != "textDocument/publishDiagnostics" {
            continue;
        }
        let params = &message["params"];
        let diagnostics = params["diagnostics"].as_array().unwrap().clone();
        if params["uri"] == uri.as_str() {
            own = Some(diagnostics);
        } else if params["uri"] == helpers_uri.as_str() {
            theirs = Some(diagnostics);
        }
    }
    let theirs = theirs.unwrap();
    assert_eq!(theirs.len(), 1, "{theirs:#?}");
    assert_eq!(theirs[0]["code"], "E0012");
    // The bare number, on the second line.
    let start = position_of(broken, "7\n", 0);
    let end = json!({ "line": 1, "character": start["character"].as_u64().unwrap() + 1 });
    assert_eq!(theirs[0]["range"], json!({ "start": start, "end": end }), "{:#?}", theirs[0]);
    // In the contract, one marker on the `use` line, pointing there.
    let own = own.unwrap();
    assert_eq!(own.len(), 1, "{own:#?}");
    let marker = &own[0];
    assert_eq!(marker["severity"], 1);
    assert_eq!(marker["message"], "`helpers.pay` has 1 error");
    assert_eq!(marker["range"]["start"], json!({ "line": 0, "character": 0 }));
    assert_eq!(marker["range"]["end"], json!({ "line": 0, "character": 17 }));
    assert_eq!(marker["relatedInformation"][0]["location"]["uri"], helpers_uri.as_str());

    // Fixed on disk; the next change to the contract finds both clean.
    std::fs::write(&helpers, &fixed).unwrap();
    client.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": uri, "version": 2 }, "contentChanges": [{ "text": contract }] }),
    );
    let (mut own, mut theirs) = (None, None);
    while own.is_none() || theirs.is_none() {
        let message = client.receive();
        let params = &message["params"];
        if message["method"] != "textDocument/publishDiagnostics" {
            continue;
        }
        if params["uri"] == uri.as_str() && params["version"] == 2 {
            own = Some(params["diagnostics"].clone());
        } else if params["uri"] == helpers_uri.as_str() {
            theirs = Some(params["diagnostics"].clone());
        }
    }
    let errors = |d: &Value| d.as_array().unwrap().iter().filter(|d| d["severity"] == 1).count();
    assert_eq!(errors(&own.unwrap()), 0);
    assert_eq!(theirs.unwrap(), json!([]), "the used file's error is cleared");

    client.request("shutdown", Value::Null);
    client.notify("exit", Value::Null);
    drop(client.stdin);
    assert!(client.child.wait().unwrap().success());
}
