//! `cargo bench --bench lsp`: how long after a keystroke the language server publishes
//! diagnostics, for a generated contract of about 5,000 lines (the target is under 50 ms).
//!
//! The server runs in this process over an in-memory connection (the same loop as over
//! stdio, without the pipe); each keystroke is an incremental `didChange` of one character in
//! the middle of the file, and the time is from sending it to receiving `publishDiagnostics`
//! (errors: the server publishes warnings, which need the whole contract lowered and
//! linted, once the user pauses, and the bench measures that too).

use lsp_server::{Connection, Message, Notification, Request, RequestId};
use serde_json::json;
use std::time::{Duration, Instant};

/// A contract of at least `lines` lines: one event, one outcome and one test per 25 lines,
/// distinct enough that no lint compares them all pairwise into thousands of warnings.
fn contract(lines: usize) -> String {
    let mut out = String::from(
        "contract \"Generated\" {\n  currency GBP\n  outcomes achievable from 2025-04-01 to 2028-03-31\n  \
         claims close 2028-09-30\n  total cap 9_000_000 GBP\n}\n\nenum Group { ready, needs_support, complex }\n\n\
         participant {\n  born: date\n  group: Group\n}\n\nlet sixteenth_birthday = participant.born + 16 years\n",
    );
    let mut i = 0;
    while out.lines().count() < lines {
        out.push_str(&format!(
            "
/// Spells of work of kind {i}.
event work_{i} {{
  from: date
  to: date?
  hours: hours per week
}}

/// Outcome number {i}.
outcome sustained_{i} \"Sustained employment {i}\" {{
  achieved when work_{i}.hours > {h} hours per week
    in at least 13 of the 26 calendar months after sixteenth_birthday
    counting any day
  pays by participant.group {{ ready: 1_000 GBP, needs_support: 1_600 GBP, complex: 2_400 GBP }}
}}

test \"outcome {i} after thirteen months\" {{
  given participant {{ born: 2009-03-15, group: complex }}
  given work_{i} {{ from: 2025-04-01, to: 2026-04-30, hours: 40 hours per week }}
  expect sustained_{i} achieved on 2026-04-30 paying 2_400 GBP
}}
",
            h = i % 20 + 8
        ));
        i += 1;
    }
    out
}

fn main() {
    let text = contract(5_000);
    let lines = text.lines().count();
    let (client, server) = Connection::memory();
    let thread = std::thread::spawn(move || payable::lsp::serve(&server));
    let uri = "file:///bench/generated.pay";
    let request = |id: i32, method: &str, params: serde_json::Value| {
        Message::Request(Request::new(RequestId::from(id), method.to_string(), params))
    };
    let notify = |method: &str, params: serde_json::Value| {
        Message::Notification(Notification::new(method.to_string(), params))
    };
    let wait_for_diagnostics = || loop {
        match client.receiver.recv_timeout(Duration::from_secs(600)) {
            Ok(Message::Notification(n)) if n.method == "textDocument/publishDiagnostics" => {
                return n.params["diagnostics"].as_array().map_or(0, Vec::len);
            }
            Ok(_) => {}
            Err(e) => panic!("the server stopped answering: {e}"),
        }
    };
    client.sender.send(request(1, "initialize", json!({ "capabilities": {} }))).unwrap();
    let _ = client.receiver.recv().unwrap();
    client.sender.send(notify("initialized", json!({}))).unwrap();

    let started = Instant::now();
    client
        .sender
        .send(notify(
            "textDocument/didOpen",
            json!({ "textDocument": { "uri": uri, "languageId": "payable", "version": 1, "text": text } }),
        ))
        .unwrap();
    let count = wait_for_diagnostics();
    let open = started.elapsed();

    // Keystrokes: type a digit into an outcome's threshold, then delete it, forty times; in
    // the first outcome (every item after it moves, so is parsed again) and in the middle.
    let mut version = 1;
    let mut keystrokes = |at: usize| {
        let line = text[..at].matches('\n').count() as u32;
        let column = (at - text[..at].rfind('\n').map_or(0, |n| n + 1)) as u32 - 1;
        let mut times = Vec::new();
        for k in 0..40 {
            let end = if k % 2 == 0 { column } else { column + 1 };
            let range = json!({ "start": { "line": line, "character": column }, "end": { "line": line, "character": end } });
            version += 1;
            let started = Instant::now();
            client
                .sender
                .send(notify(
                    "textDocument/didChange",
                    json!({
                        "textDocument": { "uri": uri, "version": version },
                        "contentChanges": [{ "range": range, "text": if k % 2 == 0 { "5" } else { "" } }],
                    }),
                ))
                .unwrap();
            wait_for_diagnostics();
            times.push(started.elapsed());
        }
        times.sort();
        times
    };
    let anchor = "hours per week\n    in at least";
    let first = keystrokes(text.find(anchor).expect("an outcome"));
    let middle = keystrokes(text[..text.len() / 2].rfind(anchor).expect("an outcome in the middle"));
    // Then a pause: the warnings (lowering and lints) follow the quiet period.
    let paused = Instant::now();
    wait_for_diagnostics();
    let warnings = paused.elapsed();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!("lsp: {lines}-line contract, {count} diagnostics");
    println!("  didOpen → publishDiagnostics: {:.1} ms", ms(open));
    for (place, times) in [("the first outcome", &first), ("the middle", &middle)] {
        println!(
            "  didChange in {place} → publishDiagnostics ({} keystrokes): median {:.1} ms, p90 {:.1} ms, max {:.1} ms (target < 50 ms)",
            times.len(),
            ms(times[times.len() / 2]),
            ms(times[times.len() * 9 / 10]),
            ms(times[times.len() - 1])
        );
    }
    println!(
        "  pause → diagnostics with warnings: {:.1} ms (a quiet period of 300 ms, then lowering and lints)",
        ms(warnings)
    );

    client.sender.send(request(2, "shutdown", serde_json::Value::Null)).unwrap();
    let _ = client.receiver.recv();
    client.sender.send(notify("exit", serde_json::Value::Null)).unwrap();
    thread.join().expect("the server thread ends").expect("the server ends cleanly");
}
