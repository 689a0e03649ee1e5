//! Properties of the IR beyond its snapshot: the hash follows meaning, not layout, and the
//! IR read back from JSON is the IR written.

use payable::resolve::NoFiles;

fn ir_of(text: &str) -> payable::ir::Contract {
    let c = payable::compile("contract.pay", text, &NoFiles);
    let rendered = payable::diagnostic::render_human(&c.sources, &c.diagnostics, false);
    c.ir.unwrap_or_else(|| panic!("the contract compiles:\n{rendered}"))
}

fn youth() -> String {
    std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/youth_employment.pay"))
        .expect("example exists")
}

#[test]
fn layout_and_comments_do_not_change_the_hash() {
    let original = ir_of(&youth());
    let relaid =
        youth().replace("\n  ", "\n      ").replace("{ ready", "{\n ready") + "\n// a closing remark\n";
    assert_eq!(ir_of(&relaid).hash, original.hash);
}

#[test]
fn a_change_of_meaning_changes_the_hash() {
    let original = ir_of(&youth());
    for (from, to) in [
        ("13 of the 26", "12 of the 26"),
        ("complex: 2_400 GBP", "complex: 2_500 GBP"),
        ("calendar months after", "months after"),
    ] {
        assert!(youth().contains(from));
        assert_ne!(ir_of(&youth().replace(from, to)).hash, original.hash, "{from} -> {to}");
    }
}

#[test]
fn equal_amounts_written_differently_are_the_same_ir() {
    let a = ir_of(&youth());
    let b = ir_of(&youth().replace("1_000 GBP", "1000.00 GBP"));
    assert_eq!(a.hash, b.hash);
}

#[test]
fn ir_round_trips_through_json_and_verifies() {
    let ir = ir_of(&youth());
    let back: payable::ir::Contract = serde_json::from_str(&ir.to_json()).expect("IR reads back");
    assert_eq!(back, ir);
    assert!(payable::lower::verify(&back).is_empty());
}

#[test]
fn verification_catches_an_edited_ir() {
    let mut ir = ir_of(&youth());
    ir.outcomes[0].requires.push("no_such_outcome".into());
    let problems = payable::lower::verify(&ir);
    assert!(problems.iter().any(|p| p.contains("hash")), "{problems:?}");
    assert!(problems.iter().any(|p| p.contains("no_such_outcome")), "{problems:?}");
}

#[test]
fn every_default_is_explicit() {
    let ir = ir_of(&youth());
    assert!(ir.rounding.defaulted);
    assert_eq!(ir.rounding.increment.to_string(), "0.01");
    let json = serde_json::to_value(&ir.outcomes[0]).expect("serialises");
    assert_eq!(json["condition"]["counting"]["rule"], "any_day");
    assert_eq!(json["condition"]["counting"]["defaulted"], true);
    assert_eq!(json["condition"]["window_start"]["starts"], "day_after");
    assert_eq!(json["max_times"], 1);
    assert_eq!(json["eligible"]["value"], true);
    assert_eq!(ir.tests[0].as_of, ir.claims_close);
}

#[test]
fn units_are_normalised_to_canonical_units() {
    let ir = ir_of(&youth());
    let def = serde_json::to_value(&ir.definitions[0]).expect("serialises");
    // 16 years is 192 calendar months: years and months are one dimension, days another.
    assert_eq!(def["body"]["op"], "shift_date");
    assert_eq!(def["body"]["by"], serde_json::json!({"op": "quantity", "value": "192", "unit": "month"}));
    let weekly = ir_of(&youth().replace("hours: hours per week\n", "hours: hours per day\n"));
    let field = &weekly.events[0].fields[2];
    assert_eq!(field.input_unit.as_deref(), Some("hours per day"));
    assert_eq!(field.input_factor.to_string(), "7");
}

#[test]
fn library_errors_are_miette_diagnostics_with_codes_and_labels() {
    use miette::Diagnostic;
    let broken = youth().replace("pays 300 GBP", "pays 300 EUR");
    let error = payable::compile("contract.pay", &broken, &NoFiles).into_result("contract.pay").unwrap_err();
    assert_eq!(error.to_string(), "`contract.pay` has 1 error");
    let first = error.related().expect("the problems are related diagnostics").next().expect("one problem");
    assert_eq!(first.code().map(|c| c.to_string()).as_deref(), Some("E0011"));
    let label = first.labels().expect("labelled").next().expect("one label");
    assert_eq!(&broken[label.offset()..label.offset() + label.len()], "300 EUR");
    let report = format!("{:?}", miette::Report::new(error));
    assert!(report.contains("E0011"), "{report}");
}

/// Whether a JSON value is an expression (other IR objects have an `op` too: comparisons).
fn is_expression(v: &serde_json::Value) -> bool {
    v.get("op").is_some() && serde_json::from_value::<payable::ir::Expr>(v.clone()).is_ok()
}

/// Every expression in an IR that is not inside another.
fn outermost_expressions(v: &serde_json::Value, out: &mut Vec<serde_json::Value>) {
    match v {
        serde_json::Value::Object(_) if is_expression(v) => out.push(v.clone()),
        serde_json::Value::Object(map) => map.values().for_each(|x| outermost_expressions(x, out)),
        serde_json::Value::Array(items) => items.iter().for_each(|x| outermost_expressions(x, out)),
        _ => {}
    }
}

fn json_expression_count(v: &serde_json::Value) -> usize {
    match v {
        serde_json::Value::Object(map) => {
            usize::from(is_expression(v)) + map.values().map(json_expression_count).sum::<usize>()
        }
        serde_json::Value::Array(items) => items.iter().map(json_expression_count).sum(),
        _ => 0,
    }
}

#[test]
fn the_expression_walk_visits_every_expression_the_json_holds() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut checked = 0;
    let mut windows = 0;
    for entry in std::fs::read_dir(root.join("examples")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "pay") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let name = path.display().to_string();
        let c = payable::compile(&name, &text, &payable::resolve::FsLoader);
        let ir = c.ir.unwrap_or_else(|| panic!("{name} compiles"));
        let mut expressions = Vec::new();
        outermost_expressions(&serde_json::to_value(&ir).unwrap(), &mut expressions);
        for json in expressions {
            let e: payable::ir::Expr = serde_json::from_value(json.clone()).unwrap();
            let mut visited = 0;
            e.any(&mut |x| {
                visited += 1;
                windows += usize::from(matches!(x, payable::ir::Expr::Aggregate { window: Some(_), .. }));
                false
            });
            assert_eq!(visited, json_expression_count(&json), "{name}: {json}");
            checked += 1;
        }
    }
    assert!(checked > 100, "the examples hold many expressions: {checked}");
    assert!(windows > 0, "some aggregate over a window, whose anchors are walked too");
}
