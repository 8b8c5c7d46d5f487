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

/// A fact file read whole (`Content::Whole`): the text the command line read is handed to the
/// query that reads the file, once, and let go; when the query runs again (the schema changed),
/// the file is read from disk. The disk here holds one record more than the text handed over,
/// to tell the two reads apart.
#[test]
fn a_whole_file_is_read_from_the_text_handed_over_then_from_disk() {
    use writ::db::Db;
    let dir = std::env::temp_dir().join(format!("writ-whole-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let on_disk = dir.join("facts.json");
    let three = FACTS.replace(" ] }", r#", { "編號": "3", "顆粒物": 5 } ] }"#);
    std::fs::write(&on_disk, &three).unwrap();
    let mut db = Database::default();
    let plan = SourceFile::new(&db, Arc::from("a.writ"), Arc::from(PLAN));
    let records = SourceFile::new(&db, Arc::from("b.writ"), Arc::from(RECORDS));
    let clause = SourceFile::new(&db, Arc::from("c.writ"), Arc::from(RULE));
    let pkg = Package::new(&db, vec![plan, records, clause]);
    let path: Arc<str> = Arc::from("facts.json");
    db.hand_over(&path, writ::facts::Content::text(FACTS));
    let whole = writ::facts::Content::Whole {
        path: on_disk.as_path().into(),
        len: three.len() as u64,
        modified: None,
        encoding: None,
    };
    let file = db::FactFile::new(&db, pkg, path.clone(), whole);
    let set = db::FactSet::new(&db, pkg, vec![file]);
    assert_eq!(db::fact_set(&db, set).tables[0].len(), 2, "the text handed over is read");
    assert!(db.handed_over(&path).is_none(), "and is not held once read");
    records.set_text(&mut db).to(Arc::from(RECORDS.replace("顆粒物: mg/m3", "顆粒物: mg/m3 備註?: text")));
    assert_eq!(db::fact_set(&db, set).tables[0].len(), 3, "read again, from disk");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Every `.writ` file in the repository (policies, examples, fixtures, the guide's and the
/// hostile inputs) under `dir`.
fn writ_files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() && p.file_name().is_some_and(|n| n != "target" && n != ".git") {
            writ_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "writ") {
            out.push(p);
        }
    }
}

#[test]
fn parsing_an_item_at_a_time_gives_what_parsing_the_file_gives() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for dir in ["policies", "examples", "tests", "docs", "benches"] {
        writ_files(&root.join(dir), &mut files);
    }
    files.sort();
    assert!(files.len() > 50, "the repository's policy files: {}", files.len());
    let mut pieces = 0;
    for path in &files {
        let Ok(text) = std::fs::read_to_string(path) else { continue };
        let name: Arc<str> = Arc::from(path.display().to_string());
        let whole = writ::syntax::parse(&name, &text);
        let by_items = writ::syntax::parse_by_items(&name, &text, writ::syntax::parse_piece);
        assert_eq!(by_items, whole, "{}", path.display());
        pieces += writ::syntax::item_pieces(&text).len();
    }
    assert!(pieces > files.len() * 3, "the files were cut into items: {pieces} pieces");
    // A line inside a text that looks like the start of an item cuts the text in two: the pieces
    // do not parse, and the file is parsed whole.
    let tricky = "clause a \"t\" { cite \"1\" \"one\nclause b { two\" lead 甲局 }\n";
    let name: Arc<str> = Arc::from("tricky.writ");
    assert_eq!(writ::syntax::item_pieces(tricky).len(), 2);
    assert_eq!(
        writ::syntax::parse_by_items(&name, tricky, writ::syntax::parse_piece),
        writ::syntax::parse(&name, tricky)
    );
}

#[test]
fn editing_one_clause_parses_only_that_clause() {
    const THREE: &str = "clause c1 \"t\" { cite \"1\" \"x\" lead 甲局 for k in 爐 { must k.顆粒物 <= 30 mg/m3 } }\n\
clause c2 \"t\" { cite \"2\" \"x\" lead 甲局 for k in 爐 { must k.顆粒物 <= 40 mg/m3 } }\n\
clause c3 \"t\" { cite \"3\" \"x\" lead 甲局 for k in 爐 { must k.顆粒物 <= 50 mg/m3 } }\n";
    let mut db = Database::default();
    let a = SourceFile::new(&db, Arc::from("a.writ"), Arc::from(PLAN));
    let rec = SourceFile::new(&db, Arc::from("r.writ"), Arc::from("record 爐 key 編號 { 編號: text 顆粒物: mg/m3 }\n"));
    let b = SourceFile::new(&db, Arc::from("b.writ"), Arc::from(THREE));
    let pkg = Package::new(&db, vec![a, rec, b]);
    assert!(!db::package_model(&db, pkg).has_errors());
    db.enable_log();
    // The first clause grows by a byte: the others move, and are not parsed again.
    let edited = THREE.replacen("30 mg/m3", "30.5 mg/m3", 1);
    b.set_text(&mut db).to(Arc::from(edited.as_str()));
    let checked = db::package_model(&db, pkg).clone();
    let log = db.take_log();
    assert_eq!(executed(&log, "parse_piece"), 1, "only the edited clause is parsed: {log:?}");
    let cold = Database::default();
    let files =
        [("a.writ", PLAN), ("r.writ", "record 爐 key 編號 { 編號: text 顆粒物: mg/m3 }\n"), ("b.writ", &edited)]
            .map(|(p, t)| SourceFile::new(&cold, Arc::from(p), Arc::from(t)));
    let cold_pkg = Package::new(&cold, files.to_vec());
    assert_eq!(checked, *db::package_model(&cold, cold_pkg), "the same model and diagnostics, spans included");
}
