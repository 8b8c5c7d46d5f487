//! Decision tables: the combinations no row covers and the rows that cover one twice are
//! reported by the checker; a gap can be marked as meant (`because "why"`).

mod common;

use std::sync::Arc;
use writ::db::{self, Database, Package, SourceFile};
use writ::diagnostic::Diagnostic;
use writ::eval::Status;

const HEAD: &str = "plan p \"t\" { period 2019-01-01 .. 2019-12-31 }\n\
                    enum 行業 { 鋼鐵, 焦化, 建材 }\nenum 等級 { A, B, C }\n";

fn diagnostics(policy: &str) -> Vec<Diagnostic> {
    let db = Database::default();
    let src = SourceFile::new(&db, Arc::from("policy.writ"), Arc::from(format!("{HEAD}{policy}")));
    let pkg = Package::new(&db, vec![src]);
    db::package_model(&db, pkg).diagnostics.clone()
}

/// The messages of the diagnostics with `code`.
fn messages(policy: &str, code: &str) -> Vec<String> {
    let d = diagnostics(policy);
    assert!(d.iter().all(|d| !d.is_error()), "{d:#?}");
    d.iter().filter(|d| d.code == code).map(|d| d.message.clone()).collect()
}

#[test]
fn an_uncovered_combination_of_enums_is_named() {
    let t = "table 比例(行業: 行業, 等級: 等級) {\n  (鋼鐵, A) => 10%\n  (鋼鐵, B) => 20%\n  (焦化, _) => 30%\n  (建材, _) => 40%\n}\n";
    assert_eq!(messages(t, "table-gap"), vec!["table `比例` has no row for `行業 = 鋼鐵, 等級 = C`"]);
    let d = diagnostics(t);
    let help = d.iter().find(|d| d.code == "table-gap").and_then(|d| d.help.clone()).unwrap_or_default();
    assert!(help.ends_with("`(鋼鐵, C) because \"why\"`"), "{help}");
}

#[test]
fn a_parameter_uncovered_for_every_value_is_written_once_with_an_underscore() {
    let t =
        "table 比例(行業: 行業, 近: bool) {\n  (鋼鐵, true) => 10%\n  (鋼鐵, false) => 20%\n  (焦化, _) => 30%\n}\n";
    assert_eq!(messages(t, "table-gap"), vec!["table `比例` has no row for `行業 = 建材, 近 = _`"]);
}

#[test]
fn a_gap_marked_with_because_is_not_reported_and_evaluates_to_unknown_with_the_reason() {
    let t = "table 比例(行業: 行業, 近: bool) {\n  (鋼鐵, _) => 10%\n  (焦化, _) => 30%\n  (建材, _) because \"the plan sets no ratio for 建材\"\n}\n\
             record 企業 key 名稱 { 名稱: text\n 行業: 行業\n 限產比例: percent }\n\
             clause 限產 {\n  cite \"一\" \"…\"\n  for e in 企業 {\n    must e.限產比例 >= 比例(e.行業, true)\n  }\n}\n";
    assert!(diagnostics(t).iter().all(|d| !d.code.starts_with("table-")), "{:#?}", diagnostics(t));
    let facts = r#"{ "企業": [ { "名稱": "甲", "行業": "建材", "限產比例": "50%" }, { "名稱": "乙", "行業": "鋼鐵", "限產比例": "5%" } ] }"#;
    let r = common::report_full(&format!("{HEAD}{t}"), facts, "2019-06-01");
    let v = r.verdicts.iter().find(|v| v.id == "限產/甲/1").expect("甲");
    assert_eq!(v.status, Status::Unknown);
    assert_eq!(
        v.reason.as_deref(),
        Some("table `比例` has no value for these inputs: the plan sets no ratio for 建材")
    );
    assert_eq!(r.verdicts.iter().find(|v| v.id == "限產/乙/1").map(|v| v.status), Some(Status::Violated));
}

#[test]
fn number_ranges_meet_at_their_boundaries_as_the_boundary_words_say() {
    // A row that begins with a comparison follows a value: a comma ends the value before it
    // (`50%, > 10 km` rather than `50% > 10 km`).
    // 10 km以下 (<= 10 km) and 超過10 km (> 10 km) cover every distance.
    let whole = "table 比例(距離: km) {\n  <= 10 km => 50%,\n  > 10 km => 40%\n}\n";
    assert_eq!(messages(whole, "table-gap"), Vec::<String>::new());
    assert_eq!(messages(whole, "table-overlap"), Vec::<String>::new());
    // 低於10 km (< 10 km) and 超過10 km (> 10 km) leave out exactly 10 km.
    let hole = "table 比例(距離: km) {\n  < 10 km => 50%,\n  > 10 km => 40%\n}\n";
    assert_eq!(messages(hole, "table-gap"), vec!["table `比例` has no row for `距離 = 10 km`"]);
    // 10 km以下 and 10 km以上 both hold at 10 km itself.
    let twice = "table 比例(距離: km) {\n  <= 10 km => 50%,\n  >= 10 km => 40%\n}\n";
    assert_eq!(
        messages(twice, "table-overlap"),
        vec!["rows 1 and 2 of table `比例` both match `距離 = 10 km` and give different values"]
    );
    // A stretch between two rows.
    let stretch = "table 比例(距離: km) {\n  <= 10 km => 50%,\n  >= 20 km => 40%\n}\n";
    assert_eq!(messages(stretch, "table-gap"), vec!["table `比例` has no row for `距離 > 10 km and < 20 km`"]);
}

#[test]
fn a_percentage_runs_from_0_to_100_and_a_quantity_is_never_negative() {
    let pct = "table 級別(比例: percent) {\n  >= 0% => 1,\n}\n";
    assert_eq!(messages(pct, "table-gap"), Vec::<String>::new());
    let pct_top = "table 級別(比例: percent) {\n  < 100% => 1,\n}\n";
    assert_eq!(messages(pct_top, "table-gap"), vec!["table `級別` has no row for `比例 = 100%`"]);
    // A plain number has no bounds.
    let num = "table 級別(n: number) {\n  >= 0 => 1,\n}\n";
    assert_eq!(messages(num, "table-gap"), vec!["table `級別` has no row for `n < 0`"]);
}

#[test]
fn an_exception_before_a_general_row_is_not_an_overlap_but_a_row_that_never_applies_is() {
    let exception = "table 比例(行業: 行業) {\n  鋼鐵 => 10%\n  _ => 20%\n}\n";
    assert_eq!(messages(exception, "table-overlap"), Vec::<String>::new());
    let shadowed = "table 比例(行業: 行業) {\n  _ => 20%\n  鋼鐵 => 10%\n}\n";
    assert_eq!(
        messages(shadowed, "table-overlap"),
        vec!["row 2 of table `比例` never applies: row 1 matches every combination it does, first"]
    );
    // The same value twice is no conflict.
    let same = "table 比例(行業: 行業) {\n  _ => 20%\n  鋼鐵 => 20%\n}\n";
    assert_eq!(messages(same, "table-overlap"), Vec::<String>::new());
    // Two rows of which neither holds the other.
    let partial = "table 比例(行業: 行業, 等級: 等級) {\n  (鋼鐵, _) => 10%\n  (_, A) => 20%\n  (_, _) => 30%\n}\n";
    assert_eq!(
        messages(partial, "table-overlap"),
        vec!["rows 1 and 2 of table `比例` both match `行業 = 鋼鐵, 等級 = A` and give different values"]
    );
}

#[test]
fn the_yangquan_table_marks_its_gap_and_checks_clean() {
    let (code, out, err) = common::writ(&["check", "policies/yangquan-2019"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("; 0 warnings"), "{out}{err}");
    let text = std::fs::read_to_string("policies/yangquan-2019/16-heavy-pollution.writ").unwrap();
    assert!(text.contains("(允許類, _) because \""), "the gap is explicit in the source");
}
