//! The human report counts the passing verdicts of a clause with many of them, so evaluation
//! for it leaves those out as they are made (`eval::evaluate_folding`). The report must be the
//! one written from every verdict, byte for byte.

mod common;

use std::path::{Path, PathBuf};
use writ::cli::{self, FactFiles, Style};
use writ::eval;
use writ::report::{FOLD_OVER, human};

const STYLE: Style = Style { color: false, width: 80, progress: false };

const POLICY: &str = r#"plan 測試 "folding" {
  period 2019-01-01 .. 2019-12-31
  roles lead "牽頭"
}

party 局 "局"

record 工地 "工地" key 名稱 {
  名稱: text
  停工: bool
}

record 監測 "監測" key 編號 dated 日期 {
  編號: text
  工地: 工地
  日期: date
  PM10: ug/m3
}

clause 小時值 "小時值" {
  cite "一" "text"
  lead 局
  for r in 監測 {
    must r.PM10 < 250 ug/m3
    must r.PM10 < 200 ug/m3
  }
}

clause 工地次數 "工地次數" {
  cite "二" "text"
  lead 局
  for s in 工地 where not s.停工 {
    must count(監測 where 工地 == s and PM10 >= 250 ug/m3) < 40
  }
}

clause 月度 "月度" {
  cite "三" "text"
  lead 局
  every month m of plan.period {
    must count(監測 where PM10 >= 250 ug/m3 during m) < 500
  }
}
"#;

/// Writes the policy (with `extra` clauses) and the facts: 10,000 readings of 21 sites, one of
/// them stopped (`not_applicable`), breaches of both requirements, a value that cannot be
/// read, and records without a key at one line of two files, whose ids get `#2`.
fn package(name: &str, extra: &str) -> (PathBuf, PathBuf) {
    let dir = std::env::temp_dir().join(format!("writ-folding-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let (policy, facts) = (dir.join("policy"), dir.join("facts"));
    std::fs::create_dir_all(&policy).unwrap();
    std::fs::create_dir_all(facts.join("more")).unwrap();
    std::fs::write(policy.join("p.writ"), format!("{POLICY}{extra}")).unwrap();
    let mut sites = String::from("名稱,停工\n");
    for s in 0..21 {
        sites.push_str(&format!("S{s:03},{}\n", s == 20));
    }
    std::fs::write(facts.join("工地.csv"), sites).unwrap();
    let mut readings = String::from("編號,工地,日期,PM10\n");
    for i in 0..10_000u32 {
        let pm10 = match i {
            _ if i % 97 == 0 => "300".to_string(),
            _ if i % 1013 == 0 => "many".to_string(),
            _ => format!("{}", (i * 37) % 240),
        };
        let key = if i == 5 { String::new() } else { format!("R{i:05}") };
        readings.push_str(&format!("{key},S{:03},2019-{:02}-15,{pm10}\n", i % 21, 1 + i % 12));
    }
    std::fs::write(facts.join("監測.csv"), &readings).unwrap();
    std::fs::write(facts.join("more/監測.csv"), "編號,工地,日期,PM10\nQ1,S001,2019-03-01,10\nQ2,S001,2019-03-01,10\nQ3,S001,2019-03-01,10\nQ4,S001,2019-03-01,10\nQ5,S001,2019-03-01,10\n,S002,2019-03-01,10\n")
        .unwrap();
    (policy, facts)
}

/// The human report of `policy` over `facts` on `threads` threads, from every verdict and from
/// the verdicts left after folding, with how many verdicts each kept.
fn both(policy: &Path, facts: &Path, threads: usize) -> ((String, usize), (String, usize)) {
    let paths = [facts.to_path_buf()];
    let files = FactFiles { paths: &paths, encoding: None, threads: Some(threads), ..Default::default() };
    let e = cli::evaluate(policy, files, cli::parse_date("2019-12-31").unwrap(), STYLE)
        .unwrap_or_else(|o| panic!("{}", o.stderr));
    let (all, folded) = (e.evaluation(), e.evaluation_folding(FOLD_OVER));
    ((human(&all), all.len()), (human(&folded), folded.len()))
}

#[test]
fn folding_leaves_out_passing_verdicts_and_the_report_is_the_same() {
    let (policy, facts) = package("plain", "");
    for threads in [1, 2, 3] {
        let ((all, kept_all), (folded, kept)) = both(&policy, &facts, threads);
        assert!(all == folded, "{threads} threads: the reports differ");
        // Each part of the scope keeps at most FOLD_OVER + 1 passing verdicts of each clause.
        assert!(kept < kept_all / 4, "{threads} threads: {kept} of {kept_all} verdicts kept");
        assert!(kept > 10_000 / 97, "{threads} threads: the breaches are kept");
    }
    let ((all, _), _) = both(&policy, &facts, 1);
    for expected in ["#2", "✗ violated", "satisfied", "not_applicable"] {
        assert!(all.contains(expected), "the report has {expected}:\n{all}");
    }
    std::fs::remove_dir_all(policy.parent().unwrap()).unwrap();
}

/// A clause that reads the verdicts of a clause whose passing verdicts were left out needs
/// them: every verdict is kept instead, and the report is the same.
#[test]
fn a_clause_reading_a_folded_clause_keeps_every_verdict() {
    let extra = r#"
clause 複查 "複查" {
  cite "四" "text"
  lead 局
  for r in 監測 where fulfilled(小時值, r) {
    must r.PM10 < 150 ug/m3
  }
}
"#;
    let (policy, facts) = package("reads", extra);
    for threads in [1, 2] {
        let ((all, kept_all), (folded, kept)) = both(&policy, &facts, threads);
        assert!(all == folded, "{threads} threads: the reports differ");
        assert_eq!(kept, kept_all, "{threads} threads: every verdict is kept");
    }
    std::fs::remove_dir_all(policy.parent().unwrap()).unwrap();
}

/// Every `test` block of every bundled package, and the bundled examples at three dates: the
/// human report from the folded evaluation is the one from every verdict.
#[test]
fn every_test_block_and_example_folds_to_the_same_report() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let blocks = common::each_test_block(
        |_| true,
        |dir, model, t, facts| {
            let derived = eval::derive(model, facts, t.as_of, 1);
            let facts = derived.as_ref().unwrap_or(facts);
            for threads in [1, 2] {
                let all = eval::evaluate_with(model, facts, t.as_of, t.as_of, threads);
                let folded = eval::evaluate_folding(model, facts, t.as_of, t.as_of, threads, FOLD_OVER);
                assert!(human(&all) == human(&folded), "{}: test `{}`: the reports differ", dir.display(), t.name);
            }
        },
    );
    assert!(blocks > 100, "only {blocks} test blocks found");
    let cases = [
        ("policies/yangquan-2019", "examples/yangquan-2019"),
        ("policies/yangquan-2019", "examples/yangquan-2019-formats/csv"),
        ("policies/chaozhou-2019", "examples/chaozhou-2019"),
        ("policies/yangquan-2019-raw", "examples/yangquan-2019-hourly"),
    ];
    let mut left_out = 0;
    for (policy, facts) in cases {
        for date in ["2019-06-30", "2020-01-15", "2020-12-31"] {
            let paths = [root.join(facts)];
            let files = FactFiles { paths: &paths, encoding: None, threads: Some(2), ..Default::default() };
            let e = cli::evaluate(&root.join(policy), files, cli::parse_date(date).unwrap(), STYLE)
                .unwrap_or_else(|o| panic!("{policy} with {facts}: {}", o.stderr));
            let (all, folded) = (e.evaluation(), e.evaluation_folding(FOLD_OVER));
            assert!(human(&all) == human(&folded), "{policy} with {facts} as of {date}: the reports differ");
            left_out += all.len() - folded.len();
        }
    }
    // Some clauses of the examples have more than FOLD_OVER passing verdicts.
    assert!(left_out > 100, "only {left_out} verdicts left out of the examples' evaluations");
}
