//! Evaluation input: participants and events read from CSV and JSON Lines, validated against a
//! contract's declarations, and streamed as timelines (`payable::eval::input`).
//!
//! Fixtures are in `tests/data/input/`; small edge cases (empty files, bytes that are not
//! UTF-8) are written to a temporary folder by the test that needs them.

mod common;

use payable::eval::day::Day;
use payable::eval::input::{EventFile, InputError, InputFormat, Inputs, Ordering, TimelineReader};
use payable::eval::value::{Timeline, Value};
use payable::ir::Contract;
use rust_decimal::Decimal;
use std::path::{Path, PathBuf};

fn contract() -> Contract {
    common::input_contract()
}

/// A fixture, by a path relative to the package root (the working directory of tests), so
/// that messages name it the same on every machine.
fn data(name: &str) -> PathBuf {
    Path::new("tests/data/input").join(name)
}

fn inputs(participants: PathBuf, events: &[(PathBuf, Option<&str>)]) -> Inputs {
    Inputs {
        participants,
        events: events
            .iter()
            .map(|(path, event)| EventFile { path: path.clone(), event: event.map(Into::into) })
            .collect(),
        format: None,
        ordering: Ordering::Grouped,
    }
}

fn combined(participants: &str, events: &str) -> Inputs {
    inputs(data(participants), &[(data(events), None)])
}

struct Read {
    timelines: Vec<Timeline>,
    errors: Vec<InputError>,
    count: u64,
}

fn read(inputs: &Inputs) -> Read {
    let mut reader = TimelineReader::open(&contract(), inputs).unwrap_or_else(|errors| {
        panic!("opens: {}", errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))
    });
    let mut timelines = Vec::new();
    while let Some(t) = reader.next_timeline() {
        timelines.push(t);
    }
    assert!(reader.next_timeline().is_none(), "stays finished");
    assert_eq!(reader.bytes_read(), reader.total_bytes(), "every byte read");
    Read { timelines, errors: reader.errors().to_vec(), count: reader.error_count() }
}

fn render(errors: &[InputError]) -> String {
    errors.iter().map(|e| format!("{e}\n")).collect()
}

fn read_clean(inputs: &Inputs) -> Vec<Timeline> {
    let r = read(inputs);
    assert!(r.errors.is_empty(), "no errors expected:\n{}", render(&r.errors));
    r.timelines
}

fn open_errors(inputs: &Inputs) -> Vec<String> {
    match TimelineReader::open(&contract(), inputs) {
        Ok(_) => panic!("expected open to fail"),
        Err(errors) => errors.iter().map(ToString::to_string).collect(),
    }
}

fn day(s: &str) -> Day {
    Day::parse(s).unwrap()
}

fn dec(s: &str) -> Value {
    Value::Decimal(s.parse::<Decimal>().unwrap())
}

/// Timelines without origins, to compare what different files say.
fn content(timelines: &[Timeline]) -> Vec<Timeline> {
    let mut out = timelines.to_vec();
    for t in &mut out {
        t.participant.origin = Default::default();
        for e in &mut t.events {
            e.origin = Default::default();
        }
    }
    out
}

fn event_ids(t: &Timeline) -> Vec<Option<&str>> {
    t.events.iter().map(|e| e.id.as_deref()).collect()
}

#[test]
fn a_combined_csv_file_reads_into_timelines_in_participant_order() {
    let ir = contract();
    let timelines = read_clean(&combined("people.csv", "events.csv"));
    let ids: Vec<&str> = timelines.iter().map(|t| t.participant.id.as_str()).collect();
    assert_eq!(ids, ["P1", "P2", "P3", "P4"]);

    let p1 = &timelines[0];
    assert_eq!(
        p1.participant.fields,
        [Value::Day(day("2009-03-15")), Value::Case(2), Value::Int(40), Value::Missing]
    );
    assert_eq!(timelines[1].participant.fields[3], Value::Text("moved, twice".into()));
    assert!(timelines[1].events.is_empty(), "a participant with no events has an empty timeline");

    let employment = ir.events.iter().position(|e| e.name == "employment").unwrap();
    let survey = ir.events.iter().position(|e| e.name == "survey").unwrap();
    assert_eq!(event_ids(p1), [Some("e1"), Some("e2"), Some("s1")]);
    let e1 = &p1.events[0];
    assert_eq!(e1.event, employment);
    // Fields in declaration order, dates included; `hours per day` times 7 is hours per week.
    assert_eq!(
        e1.fields,
        [Value::Day(day("2025-04-01")), Value::Day(day("2026-04-30")), dec("21"), dec("1200.50"), dec("50")]
    );
    assert_eq!((e1.start, e1.end), (day("2025-04-01"), Some(day("2026-04-30"))));

    let e2 = &p1.events[1];
    assert_eq!(e2.fields[1], Value::Missing);
    assert_eq!(e2.fields[2], dec("17.5"));
    assert_eq!((e2.start, e2.end), (day("2026-06-01"), None), "an empty `to` is an open spell");

    let s1 = &p1.events[2];
    assert_eq!(s1.event, survey);
    assert_eq!(s1.fields, [Value::Day(day("2025-05-01")), Value::Int(30), Value::Bool(true)]);
    assert_eq!((s1.start, s1.end), (day("2025-05-01"), Some(day("2025-05-01"))), "a point event");

    assert_eq!(timelines[2].events[0].id, None, "an empty record id is none");
    assert_eq!(event_ids(&timelines[3]), [Some("pl,1")], "a quoted value keeps its comma");
}

#[test]
fn origins_name_the_file_and_line() {
    let inputs = combined("people.csv", "events.csv");
    let mut reader = TimelineReader::open(&contract(), &inputs).unwrap();
    assert_eq!(reader.files(), ["tests/data/input/people.csv", "tests/data/input/events.csv"]);
    let p1 = reader.next_timeline().unwrap();
    assert_eq!((p1.participant.origin.file, p1.participant.origin.line), (0, 2));
    let lines: Vec<(u32, u64)> = p1.events.iter().map(|e| (e.origin.file, e.origin.line)).collect();
    assert_eq!(lines, [(1, 2), (1, 3), (1, 4)]);
}

#[test]
fn json_lines_read_the_same_as_csv() {
    let csv = read_clean(&combined("people.csv", "events.csv"));
    let jsonl = read_clean(&combined("people.jsonl", "events.jsonl"));
    assert_eq!(content(&jsonl), content(&csv));
    // The blank line is skipped, and lines are counted as in the file.
    assert_eq!(jsonl[3].events[0].origin.line, 6);
}

#[test]
fn one_file_per_event_type_merges_into_the_same_timelines() {
    let csv = read_clean(&combined("people.csv", "events.csv"));
    let per_type = read_clean(&inputs(
        data("people.csv"),
        &[
            (data("jobs.csv"), Some("employment")),
            (data("surveys.csv"), Some("survey")),
            (data("placements.jsonl"), Some("placement")),
        ],
    ));
    assert_eq!(content(&per_type), content(&csv));
    let files: Vec<u32> = per_type[0].events.iter().map(|e| e.origin.file).collect();
    assert_eq!(files, [1, 1, 2], "events in the order of the files given");
}

#[test]
fn a_byte_order_mark_and_crlf_line_endings_are_read() {
    let plain = read_clean(&combined("people.csv", "events.csv"));
    let windows = read_clean(&combined("people_bom_crlf.csv", "events_bom_crlf.csv"));
    assert_eq!(content(&windows), content(&plain));
    let lines = |ts: &[Timeline]| -> Vec<u64> {
        ts.iter()
            .flat_map(|t| {
                std::iter::once(t.participant.origin.line).chain(t.events.iter().map(|e| e.origin.line))
            })
            .collect()
    };
    assert_eq!(lines(&windows), lines(&plain), "CRLF rows are numbered as LF rows are");
}

#[test]
fn the_format_can_be_forced_whatever_the_extension() {
    let dir = tempfile::tempdir().unwrap();
    let people = dir.path().join("people.txt");
    let events = dir.path().join("events.data");
    std::fs::copy(data("people.jsonl"), &people).unwrap();
    std::fs::copy(data("events.jsonl"), &events).unwrap();
    let mut forced = inputs(people, &[(events, None)]);
    let errors = open_errors(&forced);
    assert!(errors[0].contains("people.txt: cannot tell the file's format from its name"), "{errors:?}");
    forced.format = Some(InputFormat::JsonLines);
    assert_eq!(content(&read_clean(&forced)), content(&read_clean(&combined("people.csv", "events.csv"))));
}

#[test]
fn ungrouped_events_are_an_error_when_grouped_and_read_in_memory() {
    let unsorted = combined("people.csv", "events_unsorted.csv");
    let r = read(&unsorted);
    let rendered = render(&r.errors);
    assert!(
        rendered.contains(
            "events_unsorted.csv:3: field `participant`: the event of participant `P1` is out of order"
        ),
        "{rendered}"
    );
    assert!(rendered.contains("in-memory mode"), "the message tells of the in-memory mode: {rendered}");
    assert!(r.count >= 1);

    let in_memory = read_clean(&Inputs { ordering: Ordering::InMemory, ..unsorted });
    let sorted = read_clean(&combined("people.csv", "events.csv"));
    assert_eq!(in_memory.len(), 4);
    // In memory, each participant's events stay in file order.
    assert_eq!(event_ids(&in_memory[0]), [Some("s1"), Some("e1"), Some("e2")]);
    let mut by_id = content(&in_memory);
    by_id[0].events.sort_by_key(|e| e.id.clone());
    assert_eq!(by_id, content(&sorted));
}

#[test]
fn in_memory_mode_reports_unknown_participants_too() {
    let mut bad = combined("people.csv", "events_bad.csv");
    bad.ordering = Ordering::InMemory;
    let rendered = render(&read(&bad).errors);
    assert!(
        rendered.contains("events_bad.csv:6: field `participant`: there is no participant `P9`"),
        "{rendered}"
    );
    assert!(!rendered.contains("out of order"), "{rendered}");
}

/// Every problem a row of a combined CSV file can have, each reported with file, line, field
/// and value, and none stopping the rest.
#[test]
fn every_row_error_in_a_csv_file_is_reported() {
    let r = read(&combined("people.csv", "events_bad.csv"));
    let rendered = render(&r.errors);
    insta::assert_snapshot!(rendered);
    assert_eq!(r.count, r.errors.len() as u64);
    for expected in [
        "events_bad.csv:2: field `hours`: `twenty` is not a number: expected a number of hours per day",
        "events_bad.csv:3: field `from`: `2023-02-29` is not a day that exists: expected a date as YYYY-MM-DD",
        "events_bad.csv:4: field `score`: `80` is out of range: expected a whole number from 14 to 70",
        "events_bad.csv:5: field `type`: `holiday` is not a declared event: expected `employment`, `survey` or `placement`",
        "events_bad.csv:6: field `participant`: there is no participant `P9` in tests/data/input/people.csv",
        "events_bad.csv:7: field `to`: the spell ends on 2025-04-30 (`to`), before it starts on 2025-05-01 (`from`)",
        "events_bad.csv:8: field `score`: column `score` is not a field of `employment` events, so it must be empty",
        "events_bad.csv:9: field `remote`: `yes` is not a yes/no value: expected `true` or `false`",
        "events_bad.csv:10: field `from`: has no value: expected a date as YYYY-MM-DD",
        "events_bad.csv:11: field `to`: has no value: expected a date as YYYY-MM-DD",
        "events_bad.csv:12: the row has 5 values but the header has 11",
        "events_bad.csv:13: field `share`: `half` is not a number: expected a percentage",
        "events_bad.csv:14: field `participant`: no participant id",
        "events_bad.csv:16: field `participant`: the event of participant `P1` is out of order",
        "events_bad.csv:17: field `pay`: `12.5.0` is not a number: expected an amount in GBP",
        "events_bad.csv:18: field `on`: `01/05/2025` is not a date: expected a date as YYYY-MM-DD",
        "events_bad.csv:19: field `score`: `3x` is not a number: expected a whole number from 14 to 70",
        "events_bad.csv:20: field `score`: `2.5` is not a whole number",
    ] {
        assert!(rendered.contains(expected), "missing {expected:?} in:\n{rendered}");
    }
    // The structured form carries the same facts.
    let hours = &r.errors[0];
    assert_eq!(hours.file, "tests/data/input/events_bad.csv");
    assert_eq!(
        (hours.line, hours.field.as_deref(), hours.value.as_deref()),
        (2, Some("hours"), Some("twenty"))
    );
    // Good rows still make timelines; line 15 is P3's good survey.
    assert_eq!(r.timelines.len(), 4);
    assert_eq!(event_ids(&r.timelines[2]), [Some("b14")]);
}

#[test]
fn every_participant_row_error_is_reported_and_the_row_skipped() {
    let r = read(&inputs(data("people_bad.csv"), &[]));
    let rendered = render(&r.errors);
    for expected in [
        "people_bad.csv:3: field `born`: `2008-02-30` is not a day that exists",
        "people_bad.csv:4: field `id`: duplicate participant id `P1`: it is also on line 2",
        "people_bad.csv:5: field `id`: no id: every participant needs one",
        "people_bad.csv:6: field `group`: `extreme` is not a case of `Group`: expected one of `ready`, `needs_support`, `complex`",
        "people_bad.csv:7: field `score`: has no value: expected a whole number from 14 to 70",
        "people_bad.csv:8: field `score`: `71` is out of range: expected a whole number from 14 to 70",
    ] {
        assert!(rendered.contains(expected), "missing {expected:?} in:\n{rendered}");
    }
    assert_eq!(r.count, 6, "{rendered}");
    let ids: Vec<&str> = r.timelines.iter().map(|t| t.participant.id.as_str()).collect();
    assert_eq!(ids, ["P1"]);
}

#[test]
fn header_problems_are_reported_once_per_file_when_opening() {
    let errors = open_errors(&inputs(data("people_header.csv"), &[(data("events.csv"), Some("holiday"))]));
    let all = errors.join("\n");
    for expected in [
        "people_header.csv:1: field `nickname`: unknown column `nickname`: expected `id`, `born`, `group`, `score` or `note`",
        "people_header.csv:1: field `scroe`: unknown column `scroe`: did you mean `score`?",
        "people_header.csv:1: field `born`: column `born` appears twice in the header",
        "people_header.csv:1: field `id`: no column `id` in the header",
        "people_header.csv:1: field `group`: no column `group` in the header",
        "people_header.csv:1: field `note`: no column `note` in the header (the field is optional",
        "events.csv: the contract declares no event `holiday`: expected `employment`, `survey` or `placement`",
    ] {
        assert!(all.contains(expected), "missing {expected:?} in:\n{all}");
    }
    assert_eq!(errors.len(), 8, "{all}");
}

#[test]
fn a_per_type_file_checks_its_header_and_its_type_column() {
    let dir = tempfile::tempdir().unwrap();
    let jobs = dir.path().join("jobs.csv");
    std::fs::write(&jobs, "participant,from,hours,colour\nP1,2025-04-01,3,red\n").unwrap();
    let errors = open_errors(&inputs(data("people.csv"), &[(jobs.clone(), Some("employment"))])).join("\n");
    assert!(errors.contains("jobs.csv:1: field `colour`: unknown column `colour`"), "{errors}");
    assert!(errors.contains("jobs.csv:1: field `to`: no column `to` in the header"), "{errors}");
    assert!(
        !errors.contains("no column `id`") && !errors.contains("no column `type`"),
        "both are optional: {errors}"
    );

    std::fs::write(&jobs, "type,participant,from,to,hours,pay,share\nemployment,P1,2025-04-01,,3,,\nsurvey,P1,2025-04-01,,3,,\n")
        .unwrap();
    let r = read(&inputs(data("people.csv"), &[(jobs, Some("employment"))]));
    assert_eq!(
        render(&r.errors),
        format!(
            "{}:3: field `type`: `survey` is not `employment`: this file holds only `employment` events\n",
            dir.path().join("jobs.csv").display()
        )
    );
    assert_eq!(r.timelines[0].events.len(), 1);
}

#[test]
fn a_combined_file_lacking_a_types_columns_says_so_at_its_first_row() {
    let dir = tempfile::tempdir().unwrap();
    let events = dir.path().join("events.csv");
    std::fs::write(
        &events,
        "participant,type,on,score\nP1,survey,2025-05-01,30\nP1,survey,2025-05-02,31\nP2,placement,,\n",
    )
    .unwrap();
    let r = read(&inputs(data("people.csv"), &[(events, None)]));
    let rendered = render(&r.errors);
    assert!(
        rendered.contains(":2: no column `remote` in the header, which `survey` events need"),
        "{rendered}"
    );
    assert!(
        rendered.contains(":4: no columns `from` and `to` in the header, which `placement` events need"),
        "{rendered}"
    );
    assert_eq!(r.count, 2, "once per type: {rendered}");
}

#[test]
fn json_lines_errors_are_reported_by_line() {
    let r = read(&combined("people.csv", "events_bad.jsonl"));
    let rendered = render(&r.errors);
    for expected in [
        "events_bad.jsonl:1: field `hours`: `twenty` is not a number: expected a number of hours per day",
        "events_bad.jsonl:2: field `colour`: unknown key `colour`: expected",
        "events_bad.jsonl:4: field `from`: is missing: expected a date as YYYY-MM-DD",
        "events_bad.jsonl:5: field `hours`: key `hours` is not a field of `survey` events, so it must be absent or null",
        "events_bad.jsonl:7: field `score`: `30.5` is not a whole number",
        "events_bad.jsonl:8: malformed JSON at column 73: expected a key in double quotes, found `}`",
        "events_bad.jsonl:9: malformed JSON at column 1: expected an object, `{`, found `[`",
        "events_bad.jsonl:10: field `score`: is a JSON object or array",
        "events_bad.jsonl:11: key `participant` appears twice in the object",
        "events_bad.jsonl:12: field `participant`: there is no participant `3`",
    ] {
        assert!(rendered.contains(expected), "missing {expected:?} in:\n{rendered}");
    }
    assert_eq!(r.count, 10, "the unknown key is reported once, and line 6's null is fine:\n{rendered}");
}

#[test]
fn empty_files_bad_bytes_and_stray_events_are_errors_not_panics() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, bytes: &[u8]| {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        path
    };
    let empty = write("empty.csv", b"");
    let errors = open_errors(&inputs(empty, &[])).join("\n");
    assert!(
        errors.contains("empty.csv: the file is empty: expected a header line naming the columns"),
        "{errors}"
    );

    // A header and no rows: no participants, no errors.
    let header_only = write("header.csv", b"id,born,group,score,note\n");
    assert!(read_clean(&inputs(header_only.clone(), &[])).is_empty());

    // Bytes that are not UTF-8: in a text field, a number field, a JSON line.
    let people = write(
        "people.csv",
        b"id,born,group,score,note\nP1,2009-03-15,ready,40,caf\xe9\nP2,2009-03-15,ready,4\xff,\n",
    );
    let rendered = render(&read(&inputs(people, &[])).errors);
    assert!(
        rendered.contains(":2: field `note`: `caf\u{fffd}` is not valid UTF-8 text: expected text"),
        "{rendered}"
    );
    assert!(rendered.contains(":3: field `score`: `4\u{fffd}` is not valid UTF-8 text"), "{rendered}");
    let events = write(
        "events.jsonl",
        b"{\"participant\": \"P1\", \"type\": \"survey\", \"on\": \"2025-05-01\", \"score\": \"3\xc0\"}\n",
    );
    let rendered = render(&read(&combined("people.csv", "events.csv").clone_with_events(&events)).errors);
    assert!(rendered.contains("events.jsonl:1: the line is not valid UTF-8 text (at byte 72)"), "{rendered}");

    // Events after the last participant's: unknown ones and passed ones, each said plainly.
    let events = write(
        "events.csv",
        b"participant,type,on,score,remote\nP1,survey,2025-05-01,30,\nP4,survey,2025-05-01,30,\nP9,survey,2025-05-01,30,\nP2,survey,2025-05-01,30,\n",
    );
    let r = read(&combined("people.csv", "events.csv").clone_with_events(&events));
    let rendered = render(&r.errors);
    assert!(rendered.contains(":4: field `participant`: there is no participant `P9`"), "{rendered}");
    assert!(
        rendered.contains(":5: field `participant`: the event of participant `P2` is out of order"),
        "{rendered}"
    );
    assert_eq!(r.count, 2, "{rendered}");
    assert_eq!(r.timelines[3].events.len(), 1);

    // A value quoted over two lines is one value, and the lines after count on; a quote
    // never closed swallows the rest of the file, and the message says how.
    let people = write(
        "people.csv",
        b"id,born,group,score,note\nP1,2009-03-15,ready,40,\"two\nlines\"\nP2,2009-03-15,ready,4,\nP3,2009-03-15,ready,40,\"open\nP4,2009-03-15,ready,40,\n",
    );
    let r = read(&inputs(people, &[]));
    assert_eq!(r.timelines[0].participant.fields[3], Value::Text("two\nlines".into()));
    assert_eq!(
        render(&r.errors).lines().map(|l| l.split_once(':').unwrap().1).collect::<Vec<_>>(),
        [
            "4: field `score`: `4` is out of range: expected a whole number from 14 to 70",
            "5: the last value of this row runs on to the end of the file: a double quote is never closed",
        ]
    );

    // A missing file.
    let errors = open_errors(&inputs(dir.path().join("nowhere.csv"), &[])).join("\n");
    assert!(errors.contains("nowhere.csv: cannot open the file"), "{errors}");
}

trait WithEvents {
    fn clone_with_events(&self, events: &Path) -> Inputs;
}

impl WithEvents for Inputs {
    fn clone_with_events(&self, events: &Path) -> Inputs {
        Inputs { events: vec![EventFile { path: events.to_path_buf(), event: None }], ..self.clone() }
    }
}

#[test]
fn only_the_first_hundred_errors_are_kept_and_all_are_counted() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from("id,born,group,score,note\n");
    for i in 0..250 {
        text.push_str(&format!("P{i},2009-03-15,ready,99,\n"));
    }
    let people = dir.path().join("people.csv");
    std::fs::write(&people, text).unwrap();
    let r = read(&inputs(people, &[]));
    assert_eq!((r.errors.len(), r.count), (100, 250));
    assert_eq!(r.errors[99].line, 101);
}

#[test]
fn duplicate_ids_are_found_in_memory_mode_too() {
    let mut people = inputs(data("people_bad.csv"), &[]);
    people.ordering = Ordering::InMemory;
    let rendered = render(&read(&people).errors);
    assert!(
        rendered
            .contains("people_bad.csv:4: field `id`: duplicate participant id `P1`: it is also on line 2")
    );
}

#[test]
fn a_control_group_is_just_another_set_of_inputs() {
    let ir = contract();
    let treated = TimelineReader::open(&ir, &combined("people.csv", "events.csv")).unwrap();
    let control = TimelineReader::open(&ir, &combined("people.jsonl", "events.jsonl")).unwrap();
    assert_eq!(treated.files().len(), control.files().len());
}
