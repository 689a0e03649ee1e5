//! `docs/ir.schema.json` is the published schema of the IR: it must match the code, and
//! every example's IR must validate against its shape.

use std::path::Path;

#[test]
fn published_schema_matches_the_ir_types() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/ir.schema.json");
    let schema = payable::ir::json_schema();
    if std::env::var_os("UPDATE_SCHEMA").is_some() {
        std::fs::write(&path, &schema).expect("docs/ is writable");
    }
    let published = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        published == schema,
        "docs/ir.schema.json is out of date: run `UPDATE_SCHEMA=1 cargo test --test ir_schema` and commit it"
    );
}
