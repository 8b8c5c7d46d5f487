//! The evaluation with comparisons compiled to read columns (`eval::evaluate`) gives the report
//! the interpreter gives (`eval::evaluate_interpreted`, every expression walked): on every
//! `test` block of every bundled package, on the bundled examples, and on a package written to
//! reach every case of a compiled comparison.

mod common;

use std::path::PathBuf;
use writ::cli::{self, FactFiles, Style};
use writ::eval;

const STYLE: Style = Style { color: false, width: 80, progress: false };

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Both evaluations of `model` over `facts` as of `as_of`, derived kinds included, as reports.
fn both(
    model: &writ::model::Model,
    facts: &writ::facts::Facts,
    as_of: writ::value::Date,
) -> (eval::Report, eval::Report) {
    let compiled = eval::derive(model, facts, as_of, 1);
    let compiled = eval::evaluate(model, compiled.as_ref().unwrap_or(facts), as_of).report();
    let walked = eval::derive_interpreted(model, facts, as_of);
    let walked = eval::evaluate_interpreted(model, walked.as_ref().unwrap_or(facts), as_of).report();
    (compiled, walked)
}

#[test]
fn every_policy_test_block_is_evaluated_alike() {
    let mut verdicts = 0;
    let blocks = common::each_test_block(
        |_| true,
        |dir, model, t, facts| {
            let (compiled, walked) = both(model, facts, t.as_of);
            assert!(compiled == walked, "{}: test `{}`: the two evaluations differ", dir.display(), t.name);
            verdicts += compiled.verdicts.len();
        },
    );
    assert!(blocks > 100, "only {blocks} test blocks found");
    assert!(verdicts > 1000, "{verdicts}");
}

#[test]
fn the_examples_are_evaluated_alike() {
    let cases = [
        ("policies/yangquan-2019", "examples/yangquan-2019", ["2019-06-30", "2020-01-15", "2020-12-31"]),
        ("policies/yangquan-2019", "examples/yangquan-2019-formats/csv", ["2019-06-30", "2020-01-15", "2020-12-31"]),
        ("policies/chaozhou-2019", "examples/chaozhou-2019", ["2019-06-30", "2020-01-15", "2020-12-31"]),
        ("policies/yangquan-2019-raw", "examples/yangquan-2019-hourly", ["2019-06-30", "2020-01-15", "2020-12-31"]),
    ];
    for (policy, facts, dates) in cases {
        for date in dates {
            let paths = [root().join(facts)];
            let files = FactFiles { paths: &paths, encoding: None, threads: Some(2), ..Default::default() };
            let as_of = cli::parse_date(date).unwrap();
            let evaluated = match cli::evaluate(&root().join(policy), files, as_of, STYLE) {
                Ok(e) => e,
                Err(out) => panic!("{policy} with {facts}: {}", out.stderr),
            };
            let compiled = evaluated.evaluation().report();
            let walked = eval::evaluate_interpreted(&evaluated.model, evaluated.facts(), as_of).report();
            assert!(!compiled.verdicts.is_empty(), "{policy} with {facts}");
            assert!(compiled == walked, "{policy} with {facts} as of {date}: the two evaluations differ");
        }
    }
}

/// Aggregates whose filters compare a field with a constant, in every direction and form, over
/// values at several scales, negative ones, a value on each boundary, optional values absent,
/// and, in a second file, a value that could not be read (no compiled comparison for that
/// field, and the counts that read it unknown): the reports are the interpreter's, and the
/// counts right.
#[test]
fn compiled_comparisons_count_what_the_interpreter_counts() {
    let policy = r#"plan 測試 "compiled comparisons" {
  period 2019-01-01 .. 2019-12-31
  roles lead "牽頭"
}

party 局 "局"

sanction 停產 "停產整治"

record 站 "站" key 名稱 {
  名稱: text
}

record 讀數 "讀數" key 編號 {
  編號: text
  站: 站
  PM10: ug/m3
  比例?: percent
  差值?: number
}

clause 計數 "計數" {
  cite "1" "x"
  lead 局
  for s in 站 {
    must 大於: count(讀數 where 站 == s and PM10 > 250 ug/m3) == 0
    must 達到: count(讀數 where 站 == s and PM10 >= 250 ug/m3) == 0
    must 低於: count(讀數 where 站 == s and PM10 < 0.25 mg/m3) >= 0
    must 不高於: count(讀數 where 站 == s and PM10 <= 250.00 ug/m3) >= 0
    must 等於: count(讀數 where 站 == s and PM10 == 250 ug/m3) >= 0
    must 不等於: count(讀數 where 站 == s and PM10 != 250 ug/m3) >= 0
    must 反向: count(讀數 where 站 == s and 250 ug/m3 <= PM10) == 0
    must 比例: count(讀數 where 站 == s and 比例 >= 12.5%) >= 0
    must 差值: count(讀數 where 站 == s and 差值 < -0.001) >= 0
    must 全部: count(讀數 where PM10 > 249.999 ug/m3) >= 0
  }
}

clause 每讀數 "每個讀數" {
  cite "2" "x"
  lead 局
  for r in 讀數 {
    must 限值: r.PM10 < 250 ug/m3
      otherwise 停產 on r
    must not 過高: 1000 ug/m3 <= r.PM10
    should 比例: r.比例 >= 12.5%
    should not 差值: r.差值 < -0.001
  }
}
"#;
    let mut readings = Vec::new();
    let values = ["250", "250.0", "249.9", "250.001", "0", "1000", "250.5", "12", "249.999", "250.0001"];
    for (i, v) in values.iter().enumerate() {
        for site in ["A", "B"] {
            let share =
                if i % 3 == 0 { String::new() } else { format!(", \"比例\": \"{}%\"", 10.0 + i as f64 * 0.5) };
            let diff = if i % 4 == 0 { String::new() } else { format!(", \"差值\": {}", -(i as f64) / 1000.0) };
            readings
                .push(format!("{{\"編號\": \"{site}{i}\", \"站\": \"{site}\", \"PM10\": \"{v} ug/m3\"{share}{diff}}}"));
        }
    }
    let facts =
        format!("{{\"站\": [{{\"名稱\": \"A\"}}, {{\"名稱\": \"B\"}}],\n\"讀數\": [\n{}\n]}}", readings.join(",\n"));
    let dir = std::env::temp_dir().join(format!("writ-compiled-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("policy")).unwrap();
    std::fs::write(dir.join("policy/p.writ"), policy).unwrap();
    std::fs::write(dir.join("facts.json"), &facts).unwrap();
    let bad = facts.replace(r#""PM10": "0 ug/m3""#, r#""PM10": "zero""#);
    std::fs::write(dir.join("bad.json"), bad).unwrap();
    let as_of = cli::parse_date("2019-12-31").unwrap();
    for file in ["facts.json", "bad.json"] {
        let paths = [dir.join(file)];
        let files = FactFiles { paths: &paths, encoding: None, threads: Some(1), ..Default::default() };
        let evaluated =
            cli::evaluate(&dir.join("policy"), files, as_of, STYLE).unwrap_or_else(|o| panic!("{}", o.stderr));
        let compiled = evaluated.evaluation().report();
        let walked = eval::evaluate_interpreted(&evaluated.model, evaluated.facts(), as_of).report();
        assert!(compiled == walked, "{file}: the two evaluations differ");
        let count = |id: &str| {
            let v = compiled.verdicts.iter().find(|v| v.id == id).unwrap_or_else(|| panic!("no verdict {id}"));
            (v.status, v.computed.first().map(|c| c.value.clone()).unwrap_or_default())
        };
        if file == "facts.json" {
            use writ::eval::Status::*;
            // Above 250: 250.001, 1000, 250.5, 250.0001.
            assert_eq!(count("計數/A/大於"), (Violated, "4".into()));
            // At or above 250: those and 250, 250.0.
            assert_eq!(count("計數/A/達到"), (Violated, "6".into()));
            assert_eq!(count("計數/A/反向"), (Violated, "6".into()));
            // Below 0.25 mg/m3 (250 ug/m3): 249.9, 0, 12, 249.999.
            assert_eq!(count("計數/A/低於").1, "4");
            assert_eq!(count("計數/A/不高於").1, "6");
            assert_eq!(count("計數/A/等於").1, "2");
            assert_eq!(count("計數/A/不等於").1, "8");
            // 比例 present for i not a multiple of 3: 10.5% … 14.5%; at or above 12.5%: i = 5, 7, 8.
            assert_eq!(count("計數/A/比例").1, "3");
            // 差值 present for i not a multiple of 4, -i/1000 < -0.001 for i >= 2: 2, 3, 5, 6, 7, 9.
            assert_eq!(count("計數/A/差值").1, "6");
            // Both sites' readings above 249.999: six each.
            assert_eq!(count("計數/A/全部").1, "12");
            let status = |id: &str| compiled.verdicts.iter().find(|v| v.id == id).map(|v| v.status);
            // A verdict per reading: 250 is not below 250; 249.999 is.
            assert_eq!(status("每讀數/A0/限值"), Some(Violated));
            assert_eq!(status("每讀數/A8/限值"), Some(Satisfied));
            assert_eq!(status("每讀數/A5/過高"), Some(Violated));
            assert_eq!(status("每讀數/A6/過高"), Some(Satisfied));
            // Without a 比例 (i = 0, a multiple of 3), the strive target cannot be judged.
            assert_eq!(status("每讀數/A0/比例"), Some(Unknown));
            assert_eq!(status("每讀數/A5/比例"), Some(Met));
            assert_eq!(status("每讀數/A4/比例"), Some(Missed));
            assert_eq!(status("每讀數/A2/差值"), Some(Missed));
            assert_eq!(status("每讀數/A1/差值"), Some(Met));
            let breach = compiled.verdicts.iter().find(|v| v.id == "每讀數/A0/限值").unwrap();
            assert_eq!(breach.sanctions.len(), 1, "{breach:?}");
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
