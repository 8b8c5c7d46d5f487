//! Editing one file of a package re-parses that file only (salsa's event log shows it), and
//! an edit that changes nothing observable leaves the checked model in place.

use salsa::Setter;
use std::sync::Arc;
use writ::db::{self, Database, Package, SourceFile};

const PLAN: &str = "plan p \"t\" { period 2019-01-01 .. 2019-12-31 roles lead \"牽頭\" }\nparty 甲局\n";
const CLAUSE: &str = "record 爐 key 編號 { 編號: text 顆粒物: mg/m3 }\n\
clause c \"t\" { cite \"1\" \"x\" lead 甲局 for k in 爐 { must k.顆粒物 <= 30 mg/m3 } }\n";

fn package(db: &Database) -> (SourceFile, SourceFile, Package) {
    let a = SourceFile::new(db, Arc::from("a.writ"), Arc::from(PLAN));
    let b = SourceFile::new(db, Arc::from("b.writ"), Arc::from(CLAUSE));
    (a, b, Package::new(db, vec![a, b]))
}

fn executed(log: &[String], query: &str) -> usize {
    log.iter().filter(|l| l.starts_with(query)).count()
}

#[test]
fn editing_one_file_reparses_only_that_file() {
    let mut db = Database::default();
    let (_a, b, pkg) = package(&db);
    assert!(!db::package_model(&db, pkg).has_errors());
    db.enable_log();
    b.set_text(&mut db).to(Arc::from(CLAUSE.replace("30 mg/m3", "31 mg/m3")));
    let checked = db::package_model(&db, pkg);
    assert!(!checked.has_errors());
    let log = db.take_log();
    assert_eq!(executed(&log, "parse_file"), 1, "only b.writ is re-parsed: {log:?}");
    let b_id = format!("parse_file({:?})", salsa::plumbing::AsId::as_id(&b));
    assert!(log.contains(&b_id), "the re-parsed file is b.writ ({b_id}): {log:?}");
    assert_eq!(executed(&log, "package_model"), 1, "the model is re-checked: {log:?}");
}

#[test]
fn unchanged_text_runs_nothing() {
    let mut db = Database::default();
    let (a, _b, pkg) = package(&db);
    db::package_model(&db, pkg);
    db.enable_log();
    a.set_text(&mut db).to(Arc::from(PLAN));
    db::package_model(&db, pkg);
    let log = db.take_log();
    // The file is re-parsed (its input changed), but the AST is equal, so checking is skipped.
    assert_eq!(executed(&log, "parse_file"), 1, "{log:?}");
    assert_eq!(executed(&log, "package_model"), 0, "an equal AST backdates: {log:?}");
}

#[test]
fn incremental_and_cold_runs_agree() {
    let mut db = Database::default();
    let (_a, b, pkg) = package(&db);
    db::package_model(&db, pkg);
    let edited = CLAUSE.replace("30 mg/m3", "0.031 g/m3");
    b.set_text(&mut db).to(Arc::from(edited.as_str()));
    let warm = db::package_model(&db, pkg).clone();
    let cold_db = Database::default();
    let a2 = SourceFile::new(&cold_db, Arc::from("a.writ"), Arc::from(PLAN));
    let b2 = SourceFile::new(&cold_db, Arc::from("b.writ"), Arc::from(edited.as_str()));
    let cold = db::package_model(&cold_db, Package::new(&cold_db, vec![a2, b2])).clone();
    assert_eq!(warm, cold);
}

const RECORDS: &str = "record 爐 key 編號 { 編號: text 顆粒物: mg/m3 }\n";
const RULE: &str = "clause c \"t\" { cite \"1\" \"x\" lead 甲局 for k in 爐 { must k.顆粒物 <= 30 mg/m3 } }\n";
const FACTS: &str = r#"{ "爐": [ { "編號": "1", "顆粒物": 25 }, { "編號": "2", "顆粒物": 35 } ] }"#;

/// A package of three files (plan, records, one clause) and one fact file, loaded once.
fn with_facts(db: &Database) -> (SourceFile, SourceFile, Package, db::FactSet) {
    let plan = SourceFile::new(db, Arc::from("a.writ"), Arc::from(PLAN));
    let records = SourceFile::new(db, Arc::from("b.writ"), Arc::from(RECORDS));
    let clause = SourceFile::new(db, Arc::from("c.writ"), Arc::from(RULE));
    let pkg = Package::new(db, vec![plan, records, clause]);
    let file = db::FactFile::new(db, pkg, Arc::from("facts.json"), writ::facts::Content::text(FACTS));
    let set = db::FactSet::new(db, pkg, vec![file]);
    assert!(!db::package_model(db, pkg).has_errors());
    assert_eq!(db::fact_set(db, set).tables[0].len(), 2);
    (records, clause, pkg, set)
}

#[test]
fn editing_a_clause_reads_no_fact_file_again() {
    let mut db = Database::default();
    let (_records, clause, pkg, set) = with_facts(&db);
    db.enable_log();
    clause.set_text(&mut db).to(Arc::from(RULE.replace("30 mg/m3", "20 mg/m3")));
    assert!(!db::package_model(&db, pkg).has_errors());
    assert_eq!(db::fact_set(&db, set).tables[0].len(), 2);
    let log = db.take_log();
    assert_eq!(executed(&log, "package_model"), 1, "the model is re-checked: {log:?}");
    assert_eq!(executed(&log, "fact_schema"), 1, "the schema is derived again, and is equal: {log:?}");
    assert_eq!(executed(&log, "fact_file"), 0, "no fact file is read again: {log:?}");
    assert_eq!(executed(&log, "fact_set"), 0, "nor linked again: {log:?}");
}

#[test]
fn editing_a_record_reads_the_fact_files_again() {
    let mut db = Database::default();
    let (records, _clause, pkg, set) = with_facts(&db);
    db.enable_log();
    records.set_text(&mut db).to(Arc::from(RECORDS.replace("顆粒物: mg/m3", "顆粒物: mg/m3 備註?: text")));
    assert!(!db::package_model(&db, pkg).has_errors());
    assert_eq!(db::fact_set(&db, set).tables[0].len(), 2);
    let log = db.take_log();
    assert_eq!(executed(&log, "fact_file"), 1, "the schema changed, so the file is read against it: {log:?}");
    assert_eq!(executed(&log, "fact_set"), 1, "{log:?}");
}
