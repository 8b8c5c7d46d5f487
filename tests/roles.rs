//! Responsible parties: a role the subject decides (`implement e.所在縣區`) and the plan-wide
//! roles a clause has unless it names them (`implement 各縣區人民政府 in "三"`).

mod common;

use common::report_full;
use std::sync::Arc;
use writ::db::{self, Database, Package, SourceFile};
use writ::diagnostic::Diagnostic;
use writ::eval::Status;

const HEAD: &str = r#"
plan p "t" {
  period 2019-01-01 .. 2019-12-31
  roles lead "牽頭", implement "負責落實"
  implement 各縣區 in "三"
}
party 市局
party 甲縣
party 乙縣
group 各縣區 = [甲縣, 乙縣]
record 企業 key 名稱 {
  名稱: text
  縣區?: party
  地名: text
  完成日?: date
}
"#;

fn diagnostics(policy: &str) -> Vec<Diagnostic> {
    let db = Database::default();
    let src = SourceFile::new(&db, Arc::from("policy.writ"), Arc::from(policy));
    let pkg = Package::new(&db, vec![src]);
    db::package_model(&db, pkg).diagnostics.clone()
}

fn parties(r: &writ::eval::Report, id: &str) -> Vec<(String, Vec<String>)> {
    let v = r.verdicts.iter().find(|v| v.id == id).unwrap_or_else(|| panic!("no verdict `{id}`"));
    v.parties.iter().map(|(k, ps)| (k.clone(), ps.clone())).collect()
}

fn role(name: &str, ps: &[&str]) -> (String, Vec<String>) {
    (name.to_string(), ps.iter().map(|p| p.to_string()).collect())
}

const FACTS: &str = r#"{ "企業": [
  { "名稱": "A", "縣區": "甲縣", "地名": "x", "完成日": "2019-09-01" },
  { "名稱": "B", "縣區": "乙縣", "地名": "y" },
  { "名稱": "C", "地名": "z" }
] }"#;

#[test]
fn each_verdict_is_owed_by_the_party_its_subject_names() {
    let policy = format!(
        "{HEAD}clause 搬遷 {{\n  cite \"三(一)2\" \"…\"\n  lead 市局\n  for e in 企業 {{\n    implement e.縣區\n    must e.完成日 by 2019-09-30\n  }}\n}}\n"
    );
    let r = report_full(&policy, FACTS, "2019-10-15");
    assert_eq!(parties(&r, "搬遷/A/1"), vec![role("lead", &["市局"]), role("implement", &["甲縣"])]);
    assert_eq!(parties(&r, "搬遷/B/1"), vec![role("lead", &["市局"]), role("implement", &["乙縣"])]);
    // No county: the duty is still owed, by a party no one can tell, and the verdict says why.
    let c = r.verdicts.iter().find(|v| v.id == "搬遷/C/1").expect("C's verdict");
    assert_eq!(c.status, Status::Overdue, "the duty itself is judged as before");
    assert_eq!(parties(&r, "搬遷/C/1"), vec![role("lead", &["市局"]), role("implement", &["unknown"])]);
    assert_eq!(c.parties_unknown.len(), 1);
    assert!(
        c.parties_unknown[0].starts_with("implement `e.縣區`: ") && c.parties_unknown[0].contains("縣區"),
        "{:?}",
        c.parties_unknown
    );
    // The subject's party replaces the plan-wide implementers of section 三.
    assert!(!parties(&r, "搬遷/A/1").iter().any(|(_, ps)| ps.contains(&"乙縣".to_string())));
}

#[test]
fn a_role_line_may_name_parties_beside_the_subjects_field() {
    let policy = format!(
        "{HEAD}clause 搬遷 {{\n  cite \"三(一)2\" \"…\"\n  for e in 企業 {{\n    implement e.縣區, 市局\n    must e.完成日 by 2019-09-30\n  }}\n}}\n"
    );
    let r = report_full(&policy, FACTS, "2019-10-15");
    assert_eq!(parties(&r, "搬遷/B/1"), vec![role("implement", &["市局", "乙縣"])]);
}

#[test]
fn parties_named_for_the_role_on_another_line_of_the_block_join_the_subjects() {
    let policy = format!(
        "{HEAD}clause 搬遷 {{\n  cite \"三(一)2\" \"…\"\n  implement 甲縣\n  for e in 企業 {{\n    implement 市局\n    implement e.縣區\n    must e.完成日 by 2019-09-30\n  }}\n}}\n"
    );
    let r = report_full(&policy, FACTS, "2019-10-15");
    // The clause's own line (甲縣, outside the block) gives way to the subject's party.
    assert_eq!(parties(&r, "搬遷/B/1"), vec![role("implement", &["市局", "乙縣"])]);
}

#[test]
fn a_role_names_a_field_that_holds_a_party_or_the_check_says_what_to_declare() {
    let policy = format!(
        "{HEAD}clause 搬遷 {{\n  cite \"三(一)2\" \"…\"\n  for e in 企業 {{\n    implement e.地名\n    must e.完成日 by 2019-09-30\n  }}\n}}\n"
    );
    let d = diagnostics(&policy);
    let bad: Vec<_> = d.iter().filter(|d| d.code == "role-not-party").collect();
    assert_eq!(bad.len(), 1, "{d:#?}");
    assert_eq!(bad[0].message, "a role needs a party, and `e.地名` is text");
    assert!(bad[0].help.as_deref().is_some_and(|h| h.contains("`party`")), "{:?}", bad[0].help);

    let unknown_field = format!(
        "{HEAD}clause 搬遷 {{\n  cite \"三(一)2\" \"…\"\n  for e in 企業 {{\n    implement e.所在地\n    must e.完成日 by 2019-09-30\n  }}\n}}\n"
    );
    let d = diagnostics(&unknown_field);
    assert!(d.iter().any(|d| d.is_error() && d.message.contains("所在地")), "{d:#?}");
}

#[test]
fn plan_wide_roles_go_to_the_clauses_of_their_sections_that_do_not_name_the_role() {
    let policy = format!(
        "{HEAD}\
clause 其一 {{\n  cite \"三(二)5\" \"…\"\n  lead 市局\n  for e in 企業 {{\n    must e.完成日 by 2019-09-30\n  }}\n}}\n\
clause 其二 {{\n  cite \"三(二)6\" \"…\"\n  lead 市局\n  implement 甲縣\n  for e in 企業 {{\n    must e.完成日 by 2019-09-30\n  }}\n}}\n\
clause 其三 {{\n  cite \"四(一)\" \"…\"\n  lead 市局\n  for e in 企業 {{\n    must e.完成日 by 2019-09-30\n  }}\n}}\n"
    );
    let r = report_full(&policy, FACTS, "2019-10-15");
    // In 三, without its own implementers: the plan-wide ones, after its own roles.
    assert_eq!(parties(&r, "其一/A/1"), vec![role("lead", &["市局"]), role("implement", &["甲縣", "乙縣"])]);
    // Its own implementers replace the plan-wide ones.
    assert_eq!(parties(&r, "其二/A/1"), vec![role("lead", &["市局"]), role("implement", &["甲縣"])]);
    // Outside the section: none.
    assert_eq!(parties(&r, "其三/A/1"), vec![role("lead", &["市局"])]);
}

#[test]
fn a_plan_wide_role_without_sections_covers_every_clause_and_a_section_is_a_prefix_of_whole_items() {
    let policy = HEAD.replace("implement 各縣區 in \"三\"", "implement 各縣區\n  lead 市局 in \"三(一)1\"")
        + "clause 其一 {\n  cite \"三(一)1\" \"…\"\n  must true\n}\n\
           clause 其十 {\n  cite \"三(一)10\" \"…\"\n  must true\n}\n";
    let r = report_full(&policy, r#"{}"#, "2019-10-15");
    assert_eq!(parties(&r, "其一/1"), vec![role("implement", &["甲縣", "乙縣"]), role("lead", &["市局"])]);
    // "三(一)1" is item 1, not the beginning of item 10.
    assert_eq!(parties(&r, "其十/1"), vec![role("implement", &["甲縣", "乙縣"])]);
}

#[test]
fn a_plan_wide_role_must_be_declared_and_name_parties() {
    let policy = HEAD.replace("implement 各縣區 in \"三\"", "implment 各縣區\n  implement 丙縣");
    let d = diagnostics(&policy);
    let codes: Vec<&str> = d.iter().filter(|d| d.is_error()).map(|d| d.code).collect();
    assert_eq!(codes, vec!["unknown-role", "unknown-party"], "{d:#?}");
    assert_eq!(
        d.iter().find(|d| d.code == "unknown-role").and_then(|d| d.help.as_deref()),
        Some("did you mean `implement`?")
    );
}

#[test]
fn the_json_report_and_the_human_report_show_the_subjects_party() {
    let dir = tempdir();
    let policy = format!(
        "{HEAD}clause 搬遷 {{\n  cite \"三(一)2\" \"…\"\n  lead 市局\n  for e in 企業 {{\n    implement e.縣區\n    must e.完成日 by 2019-09-30\n  }}\n}}\n"
    );
    std::fs::write(dir.join("p.writ"), policy).unwrap();
    std::fs::write(dir.join("facts.json"), FACTS).unwrap();
    let p = dir.to_str().unwrap();
    let f = dir.join("facts.json");
    let (_, json, err) =
        common::writ(&["eval", p, "--facts", f.to_str().unwrap(), "--as-of", "2019-10-15", "--format", "json"]);
    let doc: serde_json::Value = serde_json::from_str(&json).unwrap_or_else(|e| panic!("{e}: {json}{err}"));
    let vs = doc["verdicts"].as_array().expect("verdicts");
    let by_id = |id: &str| vs.iter().find(|v| v["id"] == id).unwrap_or_else(|| panic!("no {id}")).clone();
    assert_eq!(by_id("搬遷/B/1")["parties"]["implement"], serde_json::json!(["乙縣"]));
    assert_eq!(by_id("搬遷/C/1")["parties"]["implement"], serde_json::json!(["unknown"]));
    assert_eq!(by_id("搬遷/C/1")["parties_unknown"].as_array().map(Vec::len), Some(1));
    assert!(by_id("搬遷/A/1").get("parties_unknown").is_none());

    let (_, human, _) = common::writ(&["eval", p, "--facts", f.to_str().unwrap(), "--as-of", "2019-10-15"]);
    // The clause's heading names the roles every verdict shares; each verdict its own implementer.
    assert!(human.contains("  lead 市局\n"), "{human}");
    assert!(human.contains("      implement 乙縣\n"), "{human}");
    assert!(
        human.contains("      implement unknown\n      responsible party unknown: implement `e.縣區`: "),
        "{human}"
    );

    // In a Chinese report the party no one can tell is 不明.
    let (_, zh, _) =
        common::writ(&["eval", p, "--facts", f.to_str().unwrap(), "--as-of", "2019-10-15", "--lang", "zh-Hant"]);
    assert!(zh.contains("      負責落實 不明\n      責任單位不明：implement `e.縣區`: "), "{zh}");

    // `writ explain` names the party, or says why it is unknown.
    let (_, explained, err) =
        common::writ(&["explain", p, "搬遷/C/1", "--facts", f.to_str().unwrap(), "--as-of", "2019-10-15"]);
    assert!(explained.contains("responsible party unknown: implement `e.縣區`: "), "{explained}{err}");

    // The workbook's sheets per responsible party: each county's own verdicts, and the party no
    // one can tell, named in the report's language.
    let book = dir.join("台帳.xlsx");
    let (code, out, err) = common::writ(&[
        "eval",
        p,
        "--facts",
        f.to_str().unwrap(),
        "--as-of",
        "2019-10-15",
        "--xlsx",
        book.to_str().unwrap(),
    ]);
    assert_eq!(code, 1, "{out}{err}");
    use calamine::Reader;
    let wb: calamine::Xlsx<_> = calamine::open_workbook(&book).expect("the workbook opens");
    let sheets = wb.sheet_names();
    for party in ["市局", "甲縣", "乙縣", "unknown"] {
        assert!(sheets.iter().any(|s| s == party), "no sheet `{party}` in {sheets:?}");
    }
    let zh = dir.join("台帳-zh.xlsx");
    let args = ["eval", p, "--facts", f.to_str().unwrap(), "--as-of", "2019-10-15", "--lang", "zh-Hant", "--xlsx"];
    let (code, out, err) = common::writ(&[&args[..], &[zh.to_str().unwrap()]].concat());
    assert_eq!(code, 1, "{out}{err}");
    let wb: calamine::Xlsx<_> = calamine::open_workbook(&zh).expect("the workbook opens");
    assert!(wb.sheet_names().iter().any(|s| s == "不明"), "{:?}", wb.sheet_names());

    // The notice lists the breach of the enterprise whose county is not given under 不明, with
    // why, and the other under its county.
    let doc = dir.join("通報.md");
    let (code, out, err) = common::writ(&[
        "report",
        p,
        "--facts",
        f.to_str().unwrap(),
        "--as-of",
        "2019-10-15",
        "--lang",
        "zh-Hant",
        "--doc",
        doc.to_str().unwrap(),
    ]);
    assert_eq!(code, 1, "{out}{err}");
    let notice = std::fs::read_to_string(&doc).unwrap();
    let overdue = &notice[notice.find("## 三、").unwrap()..notice.find("## 四、").unwrap()];
    assert!(overdue.contains("### （三）不明\n"), "{overdue}");
    assert!(overdue.contains("責任單位不明：implement \\`e.縣區\\`: "), "{overdue}");
    assert!(overdue.contains("### （二）乙縣\n"), "{overdue}");

    // The HTML report has a page for the party no one can tell, named so.
    let site = dir.join("site");
    let args = ["report", p, "--facts", f.to_str().unwrap(), "--as-of", "2019-10-15", "--lang", "zh-Hant", "--html"];
    let (code, out, err) = common::writ(&[&args[..], &[site.to_str().unwrap()]].concat());
    assert_eq!(code, 1, "{out}{err}");
    let pages: Vec<String> = std::fs::read_dir(&site)
        .unwrap()
        .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
        .filter(|page| page.contains("<h2>不明 — 承擔事項</h2>"))
        .collect();
    assert_eq!(pages.len(), 1, "one page of 不明");
    let _ = std::fs::remove_dir_all(&dir);
}

fn tempdir() -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("writ-roles-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}
