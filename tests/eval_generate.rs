//! The synthetic cohort generator: deterministic, in the evaluator's input format, and shaped
//! by the contract (every declared column, valid values, about ten events a participant).

use payable::eval::day::Day;
use payable::eval::generate::{GenerateSummary, generate};
use payable::ir::{Contract, Field, Timing, Type};
use payable::resolve::NoFiles;
use std::path::Path;

fn compile(path: &Path) -> Contract {
    let text = std::fs::read_to_string(path).expect("example exists");
    let name = path.to_string_lossy();
    let c = payable::compile(&name, &text, &NoFiles);
    let rendered = payable::diagnostic::render_human(&c.sources, &c.diagnostics, false);
    c.ir.unwrap_or_else(|| panic!("{name} compiles:\n{rendered}"))
}

fn youth() -> Contract {
    compile(&Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/youth_employment.pay"))
}

fn examples() -> Vec<std::path::PathBuf> {
    let mut paths: Vec<_> = std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("examples"))
        .expect("examples folder")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "pay"))
        .collect();
    paths.sort();
    paths
}

#[test]
fn the_same_seed_gives_the_same_bytes() {
    let contract = youth();
    let (a, b, c) =
        (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let first = generate(&contract, 1000, 42, a.path()).expect("generates");
    let second = generate(&contract, 1000, 42, b.path()).expect("generates");
    for file in ["participants.csv", "events.csv"] {
        let (x, y) =
            (std::fs::read(a.path().join(file)).unwrap(), std::fs::read(b.path().join(file)).unwrap());
        assert!(x == y, "{file} differs between two runs with the same seed");
    }
    assert_eq!(first.events, second.events);
    assert_eq!(first.bytes, second.bytes);
    // Another seed is another data set.
    generate(&contract, 1000, 43, c.path()).expect("generates");
    assert_ne!(
        std::fs::read(a.path().join("events.csv")).unwrap(),
        std::fs::read(c.path().join("events.csv")).unwrap()
    );
}

#[test]
fn youth_employment_rows_are_valid_and_about_ten_events_each() {
    let contract = youth();
    let dir = tempfile::tempdir().unwrap();
    let summary = generate(&contract, 1000, 7, dir.path()).expect("generates");
    let stats = validate(&contract, &summary);
    let per_participant = summary.events as f64 / 1000.0;
    assert!((9.0..=11.0).contains(&per_participant), "{per_participant} events per participant");
    assert_eq!(summary.events_by_type.iter().map(|(_, n)| n).sum::<u64>(), summary.events);
    // Both kinds of event appear, and spells are sometimes still open.
    assert!(summary.events_by_type.iter().all(|(_, n)| *n > 3000), "{:?}", summary.events_by_type);
    assert!(stats.open_spells > 50, "{} open spells", stats.open_spells);

    let header = first_line(&summary.participants_file);
    assert_eq!(header, "id,born,referred,group");
    assert_eq!(first_line(&summary.events_file), "participant,type,id,from,to,hours,on,score");
    // Birth dates 1995 to 2012; referrals inside the achievable period.
    let people = std::fs::read_to_string(&summary.participants_file).unwrap();
    let achievable = (Day::parse("2025-04-01").unwrap(), Day::parse("2028-03-31").unwrap());
    for line in people.lines().skip(1) {
        let cells: Vec<&str> = line.split(',').collect();
        let born = Day::parse(cells[1]).expect("birth date");
        assert!((1995..=2012).contains(&born.ymd().0), "{line}");
        let referred = Day::parse(cells[2]).expect("referral date");
        assert!(achievable.0 <= referred && referred <= achievable.1, "{line}");
    }
}

#[test]
fn every_example_contract_generates_valid_rows() {
    for path in examples() {
        let contract = compile(&path);
        let dir = tempfile::tempdir().unwrap();
        let summary = generate(&contract, 300, 1, dir.path()).expect("generates");
        validate(&contract, &summary);
        let per_participant = summary.events as f64 / 300.0;
        if !contract.events.is_empty() {
            assert!((8.0..=12.0).contains(&per_participant), "{}: {per_participant}", path.display());
        }
    }
}

#[test]
fn no_participants_is_just_the_headers() {
    let contract = youth();
    let dir = tempfile::tempdir().unwrap();
    let summary = generate(&contract, 0, 1, dir.path()).expect("generates");
    assert_eq!(summary.events, 0);
    assert_eq!(std::fs::read_to_string(&summary.participants_file).unwrap(), "id,born,referred,group\n");
    assert_eq!(std::fs::read_to_string(&summary.events_file).unwrap().lines().count(), 1);
}

fn first_line(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap().lines().next().unwrap_or_default().to_string()
}

#[derive(Default)]
struct Seen {
    open_spells: usize,
}

/// Checks every row of both files against the contract's declarations.
fn validate(contract: &Contract, summary: &GenerateSummary) -> Seen {
    let mut seen = Seen::default();
    let people = std::fs::read_to_string(&summary.participants_file).unwrap();
    let mut lines = people.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let mut expected = vec!["id"];
    expected.extend(contract.participant.fields.iter().map(|f| f.name.as_str()));
    assert_eq!(header, expected);
    let mut ids = Vec::new();
    for line in lines {
        let cells: Vec<&str> = line.split(',').collect();
        assert_eq!(cells.len(), header.len(), "{line}");
        ids.push(cells[0].to_string());
        for (field, cell) in contract.participant.fields.iter().zip(&cells[1..]) {
            check_value(contract, field, cell, line);
        }
    }
    assert_eq!(ids.len(), summary.participants);

    let events = std::fs::read_to_string(&summary.events_file).unwrap();
    let mut lines = events.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    assert_eq!(&header[..3], ["participant", "type", "id"]);
    let mut position = 0; // index into ids: events come grouped, in participant order
    let mut count = 0u64;
    for line in lines {
        count += 1;
        let cells: Vec<&str> = line.split(',').collect();
        assert_eq!(cells.len(), header.len(), "{line}");
        while ids.get(position).is_some_and(|id| id != cells[0]) {
            position += 1;
        }
        assert!(position < ids.len(), "event out of participant order or for an unknown one: {line}");
        let event = contract.events.iter().find(|e| e.name == cells[1]).expect("declared event type");
        assert!(!cells[2].is_empty(), "event id: {line}");
        for (column, cell) in header.iter().zip(&cells).skip(3) {
            match event.fields.iter().find(|f| f.name == *column) {
                Some(field) => check_value(contract, field, cell, line),
                None => assert!(cell.is_empty(), "column {column} is not declared by {}: {line}", event.name),
            }
        }
        if let Timing::Spell { from, to, .. } = &event.timing {
            let cell = |name: &str| cells[header.iter().position(|h| h == &name).unwrap()];
            let start = Day::parse(cell(from)).expect("spell start");
            match Day::parse(cell(to)) {
                Some(end) => assert!(start <= end, "spell ends before it starts: {line}"),
                None => seen.open_spells += 1,
            }
        }
    }
    assert_eq!(count, summary.events);
    seen
}

fn check_value(contract: &Contract, field: &Field, cell: &str, line: &str) {
    let ty = match &field.ty {
        Type::Optional { .. } if cell.is_empty() => return,
        Type::Optional { of } => of.as_ref(),
        other => other,
    };
    assert!(!cell.is_empty(), "{} is required: {line}", field.name);
    let ok = match ty {
        Type::Date => Day::parse(cell).is_some(),
        Type::Bool => cell == "true" || cell == "false",
        Type::Int => cell.parse::<i64>().is_ok(),
        Type::Bounded { min, max } => cell.parse::<i64>().is_ok_and(|n| (*min..=*max).contains(&n)),
        Type::Decimal | Type::Percent | Type::Quantity { .. } => cell.parse::<f64>().is_ok_and(|x| x >= 0.0),
        Type::Text => cell.bytes().all(|b| b.is_ascii_alphanumeric()),
        Type::Enum { name } => {
            contract.enums.iter().any(|e| &e.name == name && e.cases.iter().any(|c| c == cell))
        }
        Type::Optional { .. } => false,
    };
    assert!(ok, "{} = {cell:?} is not a valid {ty:?}: {line}", field.name);
}
