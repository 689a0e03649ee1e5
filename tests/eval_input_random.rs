//! The CSV and JSON Lines readers held to each other on random rows, good and bad: the same
//! values in both formats must give the same timelines and the same errors (line, field,
//! value). The CSV reader has a fast path for plain lines and a general one for quoted lines;
//! here, on the contract the other input tests use, a random share of cells is quoted, lines
//! end in LF or CRLF, and values are drawn near the edges of what each type accepts, so that
//! any difference between the paths, or between them and the JSON reader, shows up as a
//! difference between the formats.

mod common;

use payable::eval::input::{EventFile, InputError, Inputs, Ordering, TimelineReader};
use payable::eval::value::Timeline;
use std::fmt::Write as _;
use std::path::Path;

/// A small, seeded generator (xorshift64*): the same rows on every run and machine.
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    /// True one time in `n`.
    fn one_in(&mut self, n: u64) -> bool {
        self.below(n) == 0
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len() as u64) as usize]
    }
}

fn date(r: &mut Random) -> String {
    if r.one_in(6) {
        let bad = ["2023-02-29", "2024-13-01", "2024-00-10", "2024-04-31", "2024-1-05", "24-01-05", "soon"];
        return r.pick(&bad).to_string();
    }
    let year = 1996 + r.below(34);
    let month = 1 + r.below(12);
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let days = match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    // Month ends more often than chance, where calendars go wrong.
    let day = if r.one_in(3) { days } else { 1 + r.below(days) };
    format!("{year:04}-{month:02}-{day:02}")
}

fn score(r: &mut Random) -> String {
    match r.below(8) {
        0 => r.pick(&["13", "71", "-14", "1.5", "x", "+20", "070", "9999999999999999999999"]).to_string(),
        _ => (14 + r.below(57)).to_string(),
    }
}

fn hours(r: &mut Random) -> String {
    match r.below(8) {
        0 => r.pick(&["seven", "7,5", "1e400", "--1", "0x10", "7.5.1"]).to_string(),
        1 => r.pick(&["7.25", "-1", "1e1", "+3", "0.000001", "12.50"]).to_string(),
        _ => (r.below(13)).to_string(),
    }
}

/// One cell, quoted now and then (with a quote inside now and then), for the CSV file.
fn csv_cell(r: &mut Random, value: &str) -> String {
    if value.contains([',', '"']) || r.one_in(10) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value.to_string()
    }
}

/// One row in both formats: a CSV line (with its line ending) and a JSON object, whose keys
/// are the columns with a value (a blank cell is an absent key).
fn row(r: &mut Random, columns: &[&str], values: &[String]) -> (String, String) {
    let cells: Vec<String> = values.iter().map(|v| csv_cell(r, v)).collect();
    let ending = if r.one_in(4) { "\r\n" } else { "\n" };
    let csv = format!("{}{ending}", cells.join(","));
    let mut object = serde_json::Map::new();
    for (column, value) in columns.iter().zip(values) {
        if !value.is_empty() {
            object.insert(column.to_string(), serde_json::Value::String(value.clone()));
        }
    }
    (csv, format!("{}\n", serde_json::Value::Object(object)))
}

struct Files {
    participants: (String, String),
    events: (String, String),
}

fn files(seed: u64, people: usize) -> Files {
    let mut r = Random(seed);
    let p_columns = ["id", "born", "group", "score", "note"];
    let e_columns =
        ["participant", "type", "id", "from", "to", "hours", "pay", "share", "on", "score", "remote"];
    let mut participants = (format!("{}\n", p_columns.join(",")), String::new());
    let mut events = (format!("{}\n", e_columns.join(",")), String::new());
    let mut record = 0;
    for n in 1..=people {
        let id = if r.one_in(40) { format!("P{}", n - 1) } else { format!("P{n}") };
        let group = r.pick(&["ready", "needs_support", "complex", "complex", "Ready", ""]).to_string();
        let note = r.pick(&["", "", "moved, twice", "said \"no\"", "plain", "Ünïcode"]).to_string();
        let born = if r.one_in(20) { String::new() } else { date(&mut r) };
        let values = [id, born, group, score(&mut r), note];
        let (csv, json) = row(&mut r, &p_columns, &values);
        participants.0.push_str(&csv);
        participants.1.push_str(&json);
        for _ in 0..r.below(6) {
            record += 1;
            let participant = match r.below(30) {
                0 => format!("Q{n}"),
                1 => format!("P{}", n.saturating_sub(2).max(1)),
                2 => String::new(),
                _ => format!("P{n}"),
            };
            let mut values: Vec<String> = vec![String::new(); e_columns.len()];
            values[0] = participant;
            values[2] = if r.one_in(5) { String::new() } else { format!("E{record}") };
            // `placment` is no declared event.
            let kind = r.pick(&["employment", "employment", "survey", "placement", "placment"]);
            values[1] = kind.to_string();
            if kind == "survey" {
                values[8] = date(&mut r);
                values[9] = score(&mut r);
                values[10] = r.pick(&["", "true", "false", "yes"]).to_string();
            } else if kind == "placement" {
                values[3] = date(&mut r);
                values[4] = if r.one_in(8) { String::new() } else { date(&mut r) };
            } else {
                values[3] = date(&mut r);
                values[4] = if r.one_in(3) { String::new() } else { date(&mut r) };
                values[5] = hours(&mut r);
                values[6] = r.pick(&["", "", "1200", "99.99", "12.345", "£5"]).to_string();
                values[7] = r.pick(&["", "", "50", "50%", "12.5", "half"]).to_string();
            }
            if r.one_in(25) {
                // A cell that this row's type does not have.
                let column = 3 + r.below(8) as usize;
                if values[column].is_empty() {
                    values[column] = "7".to_string();
                }
            }
            let (csv, json) = row(&mut r, &e_columns, &values);
            events.0.push_str(&csv);
            events.1.push_str(&json);
        }
    }
    Files { participants, events }
}

struct Read {
    timelines: Vec<Timeline>,
    /// (line, field, value) of each error kept, and how many there were.
    errors: Vec<(u64, Option<String>, Option<String>)>,
    count: u64,
}

fn read(contract: &payable::ir::Contract, dir: &Path, extension: &str, ordering: Ordering) -> Read {
    let inputs = Inputs {
        participants: dir.join(format!("participants.{extension}")),
        events: vec![EventFile { path: dir.join(format!("events.{extension}")), event: None }],
        format: None,
        ordering,
    };
    let mut reader = TimelineReader::open(contract, &inputs).unwrap_or_else(|errors| {
        panic!("opens: {}", errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))
    });
    let mut timelines = Vec::new();
    while let Some(mut t) = reader.next_timeline() {
        // A CSV file's rows start on line 2, after its header; a JSON Lines file's on line 1.
        let header = u64::from(extension == "csv");
        t.participant.origin.line -= header;
        for e in &mut t.events {
            e.origin.line -= header;
        }
        timelines.push(t);
    }
    let header = u64::from(extension == "csv");
    let errors = reader
        .errors()
        .iter()
        .map(|e: &InputError| (e.line.saturating_sub(header), e.field.clone(), e.value.clone()))
        .collect();
    Read { timelines, errors, count: reader.error_count() }
}

#[test]
fn csv_and_json_lines_read_random_rows_alike() {
    let contract = common::input_contract();
    let (mut timelines, mut errors) = (0, 0);
    // Small files, so that every error is kept (the first 100 are) and compared.
    for seed in 1..=40u64 {
        let dir = tempfile::tempdir().unwrap();
        let f = files(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15), 20);
        for (name, text) in [
            ("participants.csv", &f.participants.0),
            ("participants.jsonl", &f.participants.1),
            ("events.csv", &f.events.0),
            ("events.jsonl", &f.events.1),
        ] {
            std::fs::write(dir.path().join(name), text).unwrap();
        }
        for ordering in [Ordering::Grouped, Ordering::InMemory] {
            let csv = read(&contract, dir.path(), "csv", ordering);
            let json = read(&contract, dir.path(), "jsonl", ordering);
            let mut context = String::new();
            let _ = write!(context, "seed {seed}, {ordering:?}");
            assert_eq!(csv.count, json.count, "{context}: error counts");
            assert_eq!(csv.errors.len() as u64, csv.count, "{context}: every error kept, to compare");
            assert_eq!(csv.errors, json.errors, "{context}: errors (line, field, value)");
            assert_eq!(csv.timelines, json.timelines, "{context}: timelines");
            timelines += csv.timelines.len();
            errors += csv.count;
        }
    }
    // The rows must exercise both sides: most participants read, and errors of many kinds.
    assert!(timelines > 500, "{timelines} timelines");
    assert!(errors > 2_000, "{errors} errors");
}
