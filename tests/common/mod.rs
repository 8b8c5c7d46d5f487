//! Helpers in writ's own terms: a policy text, facts, an as-of date → verdicts.
#![allow(dead_code)]

use std::sync::Arc;
use writ::db::{self, Database, FactFile, FactSet, Package, SourceFile};
use writ::eval::{self, Report, Status};
use writ::value::Date;

pub const PLAN: &str = "plan p \"test plan\" { period 2019-01-01 .. 2019-12-31 roles lead \"牽頭\" }\nparty 甲局\n";

/// Evaluates `policy` (a package of one file, after a standard plan header) against JSON facts.
pub fn report(policy: &str, facts_json: &str, as_of: &str) -> Report {
    report_full(&format!("{PLAN}{policy}"), facts_json, as_of)
}

/// Evaluates a complete one-file package against JSON facts.
pub fn report_full(policy: &str, facts_json: &str, as_of: &str) -> Report {
    let db = Database::default();
    let src = SourceFile::new(&db, Arc::from("policy.writ"), Arc::from(policy));
    let pkg = Package::new(&db, vec![src]);
    let checked = db::package_model(&db, pkg);
    let errors: Vec<_> = checked.diagnostics.iter().filter(|d| d.is_error()).collect();
    assert!(errors.is_empty(), "policy does not check: {errors:#?}");
    let ff = FactFile::new(&db, pkg, Arc::from("facts.json"), writ::facts::Content::text(facts_json));
    let file_diags = db::fact_file(&db, ff).diagnostics.clone();
    assert!(file_diags.is_empty(), "facts do not load: {file_diags:#?}");
    let set = FactSet::new(&db, pkg, vec![ff]);
    let facts = db::fact_set(&db, set);
    assert!(facts.diagnostics.is_empty(), "facts do not link: {:#?}", facts.diagnostics);
    eval::evaluate(&checked.model, facts, Date::parse_iso(as_of).expect("a test date")).report()
}

/// The status of one verdict by id.
pub fn verdict(policy: &str, facts_json: &str, as_of: &str, id: &str) -> Status {
    let r = report(policy, facts_json, as_of);
    match r.verdicts.iter().find(|v| v.id == id) {
        Some(v) => v.status,
        None => {
            panic!("no verdict `{id}`; the verdicts are {:?}", r.verdicts.iter().map(|v| &v.id).collect::<Vec<_>>())
        }
    }
}

/// Runs the `writ` binary from the crate's folder, without colour: its exit code, stdout and
/// stderr.
pub fn writ(args: &[&str]) -> (i32, String, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_writ"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .output()
        .expect("the writ binary runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Every folder under `dir` (and `dir` itself) that holds `.writ` files.
pub fn packages(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
    let mut entries: Vec<std::path::PathBuf> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    entries.sort();
    if entries.iter().any(|p| p.extension().is_some_and(|e| e == "writ")) {
        out.push(dir.to_path_buf());
    }
    for p in entries.into_iter().filter(|p| p.is_dir()) {
        packages(&p, out);
    }
}

/// Calls `f` with every `test` block of every bundled package (the policies, the test
/// fixtures and the benchmarks) that checks without errors and that `wanted` takes: the
/// package's folder, its model, the block, and the facts the block gives. Returns how many.
pub fn each_test_block(
    wanted: impl Fn(&writ::model::Model) -> bool,
    mut f: impl FnMut(&std::path::Path, &writ::model::Model, &writ::model::TestDef, &writ::facts::Facts),
) -> usize {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut dirs = Vec::new();
    for top in ["policies", "tests/fixtures", "benches"] {
        packages(&root.join(top), &mut dirs);
    }
    let mut blocks = 0;
    for dir in &dirs {
        let Ok(loaded) = writ::cli::load_package(dir) else { continue };
        let checked = db::package_model(&loaded.db, loaded.package);
        if checked.has_errors() || !wanted(&checked.model) {
            continue;
        }
        for t in &checked.model.tests {
            let facts = writ::testing::test_facts(&checked.model, t, &t.origin.file);
            f(dir, &checked.model, t, &facts);
            blocks += 1;
        }
    }
    blocks
}

/// Inspections dated by an optional date, and a kind derived from them per station with
/// aggregates `during` a year and the plan's period: appended to a package of edge cases.
pub const INSPECTION_KINDS: &str = r#"
record 巡查 dated 日期 {
  站: text
  日期?: date
  分: number
}
record 站巡 from 巡查 by 站 = 站 {
  年內 = count(巡查 during 2019)
  年分 = mean(巡查.分 during 2019)
  期高 = max(巡查.分 during plan.period)
  全 = count(巡查)
}
"#;

/// The inspections of [`INSPECTION_KINDS`]: 乙 has one with no date, so its aggregates during a
/// period are unknown; 丙's are all in 2018; 甲's last is after 2019-12-31.
pub const INSPECTIONS: &str =
    "站,日期,分\n甲,2019-03-01,70\n甲,2019-12-31,85.5\n甲,2020-01-01,99\n乙,2019-04-01,60\n乙,,75\n丙,2018-06-01,95\n";

/// Readings of three stations (`站,時刻,值,旗`, header first) at the edges of lowering a
/// derived kind: moments before 1970 and at midnight, values at several scales, some absent,
/// a yes/no flag on every third.
pub fn edge_readings() -> Vec<String> {
    let mut rows = vec!["站,時刻,值,旗".to_string()];
    let moments = ["1969-12-31T23:00", "1970-01-01T00:00", "1970-01-01T01:00", "2019-05-01T02:00", "2019-05-01T13:00"];
    let values = ["12.5", "", "7", "200.25", "99.125", "10", "10.001", "3"];
    let mut i = 0;
    for station in ["甲", "乙", "丙"] {
        for m in moments {
            for _ in 0..3 {
                let v = values[i % values.len()];
                let flag = if i % 3 == 0 { "true" } else { "false" };
                rows.push(format!("{station},{m},{v},{flag}"));
                i += 1;
            }
        }
    }
    rows
}

/// Runs the `writ` binary with `args`, which may be paths: its exit code (`None` when it was
/// stopped by a signal), standard output and standard error.
pub fn writ_os(args: &[&std::ffi::OsStr]) -> (Option<i32>, String, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_writ")).args(args).output().unwrap();
    (out.status.code(), String::from_utf8(out.stdout).unwrap(), String::from_utf8(out.stderr).unwrap())
}

/// `writ facts convert` of `facts` to Parquet in `to`, which must convert everything.
pub fn convert(policy: &std::path::Path, facts: &std::path::Path, to: &std::path::Path) {
    let (code, _, err) = writ_os(&[
        "facts".as_ref(),
        "convert".as_ref(),
        policy.as_os_str(),
        "--facts".as_ref(),
        facts.as_os_str(),
        "--to".as_ref(),
        to.as_os_str(),
    ]);
    assert_eq!(code, Some(0), "{err}");
}

/// A package of aggregates per subject in clauses, over the stations of [`edge_readings`]
/// (`站.csv`: 甲, 乙, 丙 and 丁, which has no readings; `縣.csv`: A, B, C and D, whose
/// stations are 甲 and 乙 in A, 丙 in B, 丁 in C) and [`INSPECTIONS`] (`巡查.csv`): counts over a
/// filter, a sum, means (one over a missing value), the extremes, a count in a year and a mean
/// over the plan's period, one that says its value over no records, and a count through a
/// reference (`站.縣 == c`). Over the documents of [`DOCUMENTS`] (`文件.csv`), the earliest and
/// latest dates and moments: per station, under a filter on the date, `exists`, `during` 2019
/// and a deadline, and per kind of document (`類 == 清單`).
pub const CLAUSE_AGGREGATES: &str = r#"plan p "clauses" {
  period 1969-01-01 .. 2019-12-31
  roles lead "牽頭"
}
party 局
record 縣 key 名 { 名: text }
record 站 key 號 {
  號: text
  縣: 縣
}
record 讀數 dated 時刻 {
  站: 站
  時刻: datetime
  值?: ug/m3
  旗: bool
}
record 巡查 dated 日期 {
  站: 站
  日期?: date
  分: number
}
clause 站限 "站" {
  cite "1"
  lead 局
  for s in 站 {
    must 高: count(讀數 where 站 == s and 值 >= 0.2 mg/m3) == 0
    should 總: sum(讀數.值 where 站 == s and exists(值)) <= 1000 ug/m3
    should 均: mean(讀數.值 where 站 == s and exists(值)) <= 100 ug/m3
    should 缺: mean(讀數.值 where 站 == s) <= 100 ug/m3
    should 極: max(讀數.值 where 站 == s and 旗) <= 200 ug/m3 and min(讀數.值 where 站 == s and exists(值)) >= 5 ug/m3
    should 年: count(讀數 where 站 == s during 2019) >= 1
    should 期: mean(讀數.值 where 站 == s and exists(值) during plan.period) <= 150 ug/m3
    should 空: sum(讀數.值 where 站 == s and exists(值), empty 0 ug/m3) >= 0 ug/m3
    should 巡: count(巡查 where 站 == s during 2019) >= 1
    should 巡分: sum(巡查.分 where 站 == s during plan.period) <= 200
  }
  for c in 縣 {
    should 夜: count(讀數 where 站.縣 == c and hour(時刻) < 3) >= 1
  }
}
enum 類別 { 計劃, 清單 }
record 文件 dated 日期 {
  站: 站
  類: 類別
  日期?: date
  送達?: datetime
}
clause 文件限 "文件" {
  cite "3"
  lead 局
  for s in 站 {
    should 首: min(文件.日期 where 站 == s) <= 2019-06-30
    should 末: max(文件.日期 where 站 == s and 日期 >= 1969-06-01) >= 1970-01-01
    should 首達: min(文件.送達 where 站 == s and exists(送達)) <= 2019-03-01T08:00
    should 末達: max(文件.送達 where 站 == s during 2019) >= 2019-03-01T07:59
    should 遲: max(文件.送達 where 站 == s and exists(送達)) <= 2020-01-01T00:00
    must 計劃: min(文件.日期 where 站 == s and 類 != 清單) by 2019-06-30
  }
  must 清單: min(文件.日期 where 類 == 清單 and 日期 >= 1965-01-01) by 2019-12-31
  should 最晚: max(文件.送達 where 類 == 清單) >= 1970-01-01T00:00
}
"#;

/// The documents of [`CLAUSE_AGGREGATES`] (`站,類,日期,送達`): 甲 has two on one day, a moment
/// apart, one on the last day before 1970 and one dated after 2019; 乙 has one without a date
/// and one delivered at no moment; 丙 has one dated before 1970 but delivered in 2025, one
/// before 1960 and one dated after the middle of 2019; 丁 has none.
pub const DOCUMENTS: &str = "站,類,日期,送達
甲,計劃,2019-03-01,2019-03-01T08:00
甲,計劃,2019-03-01,2019-03-01T07:59
甲,清單,1969-12-31,1969-12-31T23:00
甲,清單,2020-01-05,2020-01-05T10:00
乙,計劃,,2019-05-01T10:00
乙,清單,2019-04-01,
丙,計劃,1969-07-01,2025-01-01T00:00
丙,清單,1959-05-05,1959-05-05T12:00
丙,清單,2019-09-09,2019-09-09T09:09
";
