//! The DataFusion engine (`--features datafusion`) gives the records writ gives: every `test`
//! block of every bundled package that derives kinds, grouped both ways, evaluates to the same
//! report; two years of generated hourly exports of four stations, evaluated through the
//! command line by each engine, give the same JSON report byte for byte.
#![cfg(feature = "datafusion")]

mod common;

use std::path::PathBuf;
use std::process::Command;
use writ::eval::{self, Engine};
use writ::{cli, status::Status};

/// The generator of `examples/yangquan-2019-hourly`.
#[path = "../examples/gen_hourly.rs"]
#[allow(dead_code)]
mod gen_hourly;

/// The generator of the peer benchmark's facts.
#[path = "../benches/peers/data.rs"]
#[allow(dead_code)]
mod peers;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

const DATAFUSION: Engine = Engine::DataFusion { memory_limit: Some(256 << 20) };

#[test]
fn every_test_block_that_derives_kinds_is_grouped_alike() {
    let (mut kinds, mut lowered) = (0, 0);
    let blocks = common::each_test_block(
        |model| !model.derived.is_empty(),
        |dir, model, t, facts| {
            let native = eval::derive(model, facts, t.as_of, 1).expect("derived kinds");
            let on = eval::derive_on(model, facts, t.as_of, 2, DATAFUSION)
                .unwrap_or_else(|e| panic!("{}: test `{}`: {e}", dir.display(), t.name));
            let df = on.facts.expect("derived kinds");
            let native_report = eval::evaluate(model, &native, t.as_of).report();
            let df_report = eval::evaluate(model, &df, t.as_of).report();
            assert!(native_report == df_report, "{}: test `{}`: the reports differ", dir.display(), t.name);
            for d in &model.derived {
                let k = d.kind.index();
                assert!(
                    native.tables[k] == df.tables[k],
                    "{}: test `{}`: {} differs",
                    dir.display(),
                    t.name,
                    model.records[k].name
                );
            }
            kinds += model.derived.len();
            lowered += model.derived.len() - on.notes.len();
            eprintln!("{}: {:#?}", dir.display(), on.notes);
        },
    );
    assert!(blocks >= 3, "only {blocks} test blocks derive kinds");
    // Most groupings are DataFusion's; windows and the shapes it declines are writ's.
    assert!(lowered * 2 > kinds, "only {lowered} of {kinds} derived kinds were grouped in DataFusion");
}

/// Every evaluation fixture whose package derives kinds, evaluated as of its date over its
/// facts: the same report on each engine.
#[test]
fn every_fixture_that_derives_kinds_is_grouped_alike() {
    let style = cli::Style { color: false, width: 80, progress: false };
    let mut fixtures = 0;
    let mut notes = Vec::new();
    let mut dirs: Vec<PathBuf> =
        std::fs::read_dir(root().join("tests/fixtures/eval")).unwrap().map(|e| e.unwrap().path()).collect();
    dirs.sort();
    for dir in dirs {
        let (policy, facts) = (dir.join("policy"), dir.join("facts"));
        let Ok(as_of) = std::fs::read_to_string(dir.join("as-of.txt")) else { continue };
        if !policy.is_dir() || !facts.is_dir() {
            continue;
        }
        let as_of = cli::parse_date(as_of.trim()).unwrap();
        let paths = [facts];
        let files = |engine| cli::FactFiles { paths: &paths, encoding: None, threads: Some(2), engine };
        let Ok(native) = cli::evaluate(&policy, files(Engine::Native), as_of, style) else { continue };
        if native.model.derived.is_empty() {
            continue;
        }
        let df = cli::evaluate(&policy, files(DATAFUSION), as_of, style).unwrap_or_else(|o| panic!("{}", o.stderr));
        assert!(native.report() == df.report(), "{}: the reports differ", dir.display());
        notes.extend(df.stderr.lines().filter(|l| l.starts_with("note:")).map(String::from));
        fixtures += 1;
    }
    assert!(fixtures >= 2, "{fixtures}");
    // The 8-hour windows are writ's; the kinds over them are DataFusion's.
    assert!(notes.iter().all(|n| n.contains("windows")), "{notes:#?}");
}

/// `writ eval` of `policies/yangquan-2019-raw` over two years of four stations' generated
/// hourly exports: its derived kinds grouped by each engine, the JSON reports the same.
#[test]
fn hourly_exports_give_the_same_report_on_each_engine() {
    let dir = std::env::temp_dir().join(format!("writ-datafusion-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let args: Vec<String> =
        ["--out", dir.to_str().unwrap(), "--from", "2018-01-01", "--to", "2019-12-31", "--stations", "4"]
            .iter()
            .map(|s| s.to_string())
            .collect();
    let (_, config) = gen_hourly::parse_args(&args).unwrap();
    std::fs::create_dir_all(&dir).unwrap();
    for f in gen_hourly::generate(&config).files {
        std::fs::write(dir.join(&f.name), &f.csv).unwrap();
    }
    std::fs::copy(root().join("examples/yangquan-2019-hourly/監測站.csv"), dir.join("監測站.csv")).unwrap();
    let run = |engine: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_writ"))
            .arg("eval")
            .arg(root().join("policies/yangquan-2019-raw"))
            .arg("--facts")
            .arg(&dir)
            .args(["--as-of", "2020-01-15", "--format", "json"])
            .args(engine)
            .output()
            .unwrap();
        (out.status.code(), String::from_utf8(out.stdout).unwrap(), String::from_utf8(out.stderr).unwrap())
    };
    let (native_code, native, native_err) = run(&[]);
    let (df_code, df, df_err) = run(&["--engine", "datafusion", "--memory-limit", "512MB"]);
    assert!(native.contains("\"verdicts\""), "{native_err}");
    assert_eq!(native_code, df_code, "{df_err}");
    assert!(native == df, "the JSON reports differ\n{df_err}");
    // The stations' daily means are grouped in DataFusion: 4 stations × 730 days of hourly rows.
    assert!(!df_err.contains("站點日均 was grouped in writ"), "{df_err}");
    assert!(!native_err.contains("note:"), "{native_err}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// The edges of what is lowered: a moment before 1970 and one at midnight, records dated after
/// the as-of date, an optional value absent from a mean without `exists` (writ says why it is
/// unknown), sums, extremes and a percentile over values of several scales, the earliest and
/// latest moments and days of a group (some groups with none), a filter comparing quantities
/// and hours, and, in a second file, an unreadable value in a group field (the kind is then
/// grouped in writ, with a note). The same report and derived records on each engine.
#[test]
fn the_edges_of_lowering_give_the_same_report() {
    let policy = r#"plan p "edges" {
  period 1969-01-01 .. 2019-12-31
  roles lead "牽頭"
}
party 局
record 讀數 dated 時刻 {
  站: text
  時刻: datetime
  值?: ug/m3
  旗: bool
}
record 日 from 讀數 where 值 > 10 ug/m3 or hour(時刻) < 3 by 站 = 站, 日期 = date(時刻) dated 日期 {
  n = count(讀數)
  有值 = count(讀數 where exists(值))
  旗數 = count(讀數 where 旗)
  總 = sum(讀數.值 where exists(值))
  均 = mean(讀數.值)
  低 = min(讀數.值 where exists(值))
  高 = max(讀數.值 where 旗)
  p90 = percentile(讀數.值 where exists(值), 90%)
  年內 = count(讀數 during 2019)
  年均 = mean(讀數.值 where exists(值) during 2019)
  首旗 = min(讀數.時刻 where 旗)
  末高 = max(讀數.時刻 where 值 > 50 ug/m3)
}
record 站年 from 日 by 站 = 站 {
  天 = count(日)
  天2019 = count(日 where year(日期) == 2019)
  五月 = count(日 where month(日期) == 5 and 站 != "乙")
  甲 = count(日 where 站 == "甲" or 站 == "無此站")
  均 = mean(日.總 where exists(總))
  期內 = count(日 during plan.period)
  期均 = mean(日.總 where exists(總) during 2019)
  首日 = min(日.日期 where n >= 3)
  末日 = max(日.日期 during 2019)
}
record 年月 from 讀數 where 站 == "丙" or year(時刻) < 1970 by 年 = year(時刻), 月 = month(時刻) {
  n = count(讀數)
}
clause 日均 "日均" {
  cite "1"
  lead 局
  for d in 日 {
    must 限: d.均 <= 100 ug/m3
    should 高: d.高 <= 150 ug/m3
    should p: d.p90 <= 140 ug/m3
    should 年內: d.年內 <= 2
    should 年均: d.年均 <= 100 ug/m3
    should 首旗: d.首旗 >= 1970-01-01T00:00
    should 末高: d.末高 <= 2019-05-01T12:00
  }
}
clause 年 "年" {
  cite "2"
  lead 局
  for y in 站年 {
    should 天數: y.天 >= 2
    should 本年: y.天2019 >= 1
    should 五月: y.五月 >= 1
    should 甲: y.甲 >= 1
    should 期內: y.期內 >= 2
    should 期均: y.期均 <= 200 ug/m3
    should 首日: y.首日 >= 1970-01-01
    should 末日: y.末日 >= 2019-05-01
  }
  for m in 年月 {
    should 有: m.n >= 2
  }
  for t in 站巡 {
    should 巡: t.年內 >= 1
    should 巡分: t.年分 <= 80
    should 巡高: t.期高 <= 90
    should 全: t.全 >= 1
  }
}
"#;
    let mut rows = common::edge_readings();
    // Known only after the as-of date.
    rows.push("甲,2020-01-02T05:00,500,true".into());
    let dir = std::env::temp_dir().join(format!("writ-datafusion-edges-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("policy")).unwrap();
    std::fs::create_dir_all(dir.join("good")).unwrap();
    std::fs::create_dir_all(dir.join("bad")).unwrap();
    std::fs::write(dir.join("policy/p.writ"), [policy, common::INSPECTION_KINDS].concat()).unwrap();
    std::fs::write(dir.join("good/讀數.csv"), rows.join("\n") + "\n").unwrap();
    let mut bad = rows.clone();
    bad[4] = "乙,not a moment,5,true".into();
    std::fs::write(dir.join("bad/讀數.csv"), bad.join("\n") + "\n").unwrap();
    for facts in ["good", "bad"] {
        std::fs::write(dir.join(facts).join("巡查.csv"), common::INSPECTIONS).unwrap();
    }
    let style = cli::Style { color: false, width: 80, progress: false };
    let as_of = cli::parse_date("2019-12-31").unwrap();
    for (facts, lowered) in [("good", true), ("bad", false)] {
        let paths = [dir.join(facts)];
        let files = |engine| cli::FactFiles { paths: &paths, encoding: None, threads: Some(2), engine };
        let native = cli::evaluate(&dir.join("policy"), files(Engine::Native), as_of, style)
            .unwrap_or_else(|o| panic!("{}", o.stderr));
        let df = cli::evaluate(&dir.join("policy"), files(DATAFUSION), as_of, style)
            .unwrap_or_else(|o| panic!("{}", o.stderr));
        let report = native.report();
        assert!(report.verdicts.len() >= 10, "{facts}: {}", report.verdicts.len());
        assert!(report == df.report(), "{facts}: the reports differ");
        assert!(native.facts() == df.facts(), "{facts}: the derived records differ");
        let noted = df.stderr.contains("日 was grouped in writ");
        assert_eq!(noted, !lowered, "{facts}: {}", df.stderr);
        // 乙's inspection with no date leaves its aggregates `during` a period unknown, as writ
        // says: DataFusion counts the records with no date and hands those groups back.
        assert!(!df.stderr.contains("站巡 was grouped"), "{facts}: {}", df.stderr);
        let unknown = |id: &str| report.verdicts.iter().find(|v| v.id == id).map(|v| v.status == Status::Unknown);
        for (id, expected) in [("年/乙/巡", true), ("年/乙/巡分", true), ("年/乙/巡高", true), ("年/乙/全", false)]
        {
            assert_eq!(unknown(id), Some(expected), "{facts}: {id}");
        }
        for id in ["年/甲/巡", "年/甲/巡分", "年/甲/巡高", "年/甲/全", "年/丙/巡"] {
            assert_eq!(unknown(id), Some(false), "{facts}: {id}");
        }
        // With every value readable, each kind is DataFusion's: `year`, `month` and texts
        // compared with constants are lowered.
        if lowered {
            assert!(!df.stderr.contains("note:"), "{}", df.stderr);
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Hourly exports as Parquet parts, on the DataFusion engine: the records of `小時數據`, which
/// nothing reads but the grouping of the kinds derived from them, are placed in their groups
/// as each part is read and not kept, with the same JSON report as the native engine gives
/// keeping them (the stations' daily means of `policies/yangquan-2019-raw`, and each
/// station's hours over both years, a group whose records are in two parts). With a part
/// whose records name a station the facts do not hold, they are kept, and the report is the
/// native one again, with its diagnostics.
#[test]
fn records_only_grouped_are_placed_as_read_and_not_kept() {
    let dir = std::env::temp_dir().join(format!("writ-datafusion-unkept-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let policy = dir.join("policy");
    std::fs::create_dir_all(&policy).unwrap();
    for f in std::fs::read_dir(root().join("policies/yangquan-2019-raw")).unwrap() {
        let f = f.unwrap().path();
        std::fs::copy(&f, policy.join(f.file_name().unwrap())).unwrap();
    }
    std::fs::write(
        policy.join("30-stations.writ"),
        r#"// Each station's hours over the whole export, read by a clause.
record 站點全期 "監測點位全期小時數" from 小時數據 by 站點 = 站點.名稱 {
  小時數 = count(小時數據)
  SO2小時數 = count(小時數據 where exists(SO2))
  SO2 = mean(小時數據.SO2 where exists(SO2))
  SO2最高 = max(小時數據.SO2 where exists(SO2))
}

clause 站點全期小時數 "監測點位全期小時數" {
  cite "二(二)1" "二氧化硫平均濃度"
  lead 市生態環境局
  for s in 站點全期 {
    should 小時: s.小時數 >= 17000
    should 均值: s.SO2 <= 60 ug/m3
    should 最高: s.SO2最高 <= 500 ug/m3
  }
}
"#,
    )
    .unwrap();
    // Each station's export of each year, converted to Parquet as a part of its own.
    let stations = root().join("examples/yangquan-2019-hourly/監測站.csv");
    let parts = dir.join("parquet/小時數據");
    std::fs::create_dir_all(&parts).unwrap();
    std::fs::copy(&stations, dir.join("parquet/監測站.csv")).unwrap();
    let mut n = 0;
    for year in ["2018", "2019"] {
        let csv = dir.join(format!("csv-{year}"));
        let args: Vec<String> = [
            "--out",
            csv.to_str().unwrap(),
            "--from",
            &format!("{year}-01-01"),
            "--to",
            &format!("{year}-12-31"),
            "--stations",
            "3",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let (_, config) = gen_hourly::parse_args(&args).unwrap();
        std::fs::create_dir_all(&csv).unwrap();
        for f in gen_hourly::generate(&config).files {
            let one = csv.join(&f.name);
            std::fs::write(&one, &f.csv).unwrap();
            let out = dir.join(format!("converted-{n}"));
            convert(&policy, &[&one, &stations], &out);
            std::fs::rename(out.join("小時數據.parquet"), parts.join(format!("part-{n}.parquet"))).unwrap();
            n += 1;
        }
    }
    assert_eq!(n, 6);
    let eval = |facts: &std::path::Path, engine: &[&str]| eval_json(&policy, facts, "2020-01-15", engine);
    let datafusion = ["--engine", "datafusion", "--memory-limit", "512MB"];
    let (native_code, native, native_err) = eval(&dir.join("parquet"), &[]);
    let (df_code, df, df_err) = eval(&dir.join("parquet"), &datafusion);
    assert!(native.contains("\"站點全期小時數/"), "{native_err}");
    assert_eq!(native_code, df_code, "{df_err}");
    assert!(native == df, "the JSON reports differ\n{df_err}");
    assert!(df_err.contains("the 小時數據 records were placed in the groups"), "{df_err}");
    assert!(!native_err.contains("note:"), "{native_err}");
    // The hours of a station over both years are one group, from two parts.
    let report: serde_json::Value = serde_json::from_str(&df).unwrap();
    let hours = (report["verdicts"].as_array().unwrap().iter())
        .find(|v| v["id"].as_str().is_some_and(|id| id.starts_with("站點全期小時數/") && id.ends_with("/小時")))
        .unwrap();
    let count: u32 = hours["evidence"][0]["left_value"].as_str().unwrap().parse().unwrap();
    assert!(count > 17000, "{hours}");

    // A part naming a station that is not in 監測站.csv: the records are kept.
    let odd = dir.join("odd");
    std::fs::create_dir_all(odd.join("小時數據")).unwrap();
    for f in std::fs::read_dir(&parts).unwrap() {
        let f = f.unwrap().path();
        std::fs::copy(&f, odd.join("小時數據").join(f.file_name().unwrap())).unwrap();
    }
    let text = std::fs::read_to_string(&stations).unwrap();
    let first = text.lines().nth(1).unwrap().split(',').next().unwrap().to_string();
    std::fs::write(odd.join("監測站.csv"), text.replacen(&format!("\n{first},"), "\n改名站,", 1)).unwrap();
    let (native_code, native, native_err) = eval(&odd, &[]);
    let (df_code, df, df_err) = eval(&odd, &datafusion);
    assert!(native_err.contains(&first), "{native_err}");
    assert_eq!(native_code, df_code, "{df_err}");
    assert!(native == df, "the JSON reports differ\n{df_err}");
    assert!(df_err.contains("note: the 小時數據 records were kept"), "{df_err}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A record without its date makes an aggregate `during` a period unknown, naming the record:
/// inspections as Parquet with one undated are kept (the note says which line), and without it
/// are not kept; the JSON report is the native one both times (a mean `during` 2019 over no
/// inspection of that year unknown, saying so).
#[test]
fn a_record_without_its_date_is_kept_to_be_named() {
    let policy = r#"plan p "inspections" {
  period 2018-01-01 .. 2019-12-31
  roles lead "牽頭"
}
party 局
clause 年 "年" {
  cite "2"
  lead 局
  for t in 站巡 {
    should 巡: t.年內 >= 1
    should 巡分: t.年分 <= 80
    should 巡高: t.期高 <= 90
    should 全: t.全 >= 1
  }
}
"#;
    let dir = std::env::temp_dir().join(format!("writ-datafusion-undated-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("policy")).unwrap();
    std::fs::write(dir.join("policy/p.writ"), [policy, common::INSPECTION_KINDS].concat()).unwrap();
    let dated = common::INSPECTIONS.replace("乙,,75", "乙,2019-05-01,75");
    for (name, csv, kept) in [("undated", common::INSPECTIONS.to_string(), true), ("dated", dated, false)] {
        let (facts, parquet) = (dir.join(name), dir.join(format!("{name}-parquet")));
        std::fs::create_dir_all(&facts).unwrap();
        std::fs::write(facts.join("巡查.csv"), csv).unwrap();
        let p = dir.join("policy");
        convert(&p, &[&facts], &parquet);
        let eval = |engine: &[&str]| eval_json(&p, &parquet, "2019-12-31", engine);
        let (native_code, native, native_err) = eval(&[]);
        let (df_code, df, df_err) = eval(&["--engine", "datafusion"]);
        assert_eq!(native_code, df_code, "{name}: {native_err}{df_err}");
        assert!(native == df, "{name}: the JSON reports differ\n{df_err}");
        assert_eq!(df_err.contains("note: the 巡查 records were kept"), kept, "{name}: {df_err}");
        if kept {
            assert!(df_err.contains("line 5 has no 日期"), "{df_err}");
        } else {
            assert!(df.contains("no 巡查 records match in 2019"), "{df}");
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// `writ facts convert POLICY --facts FACTS… --to OUT`, which must write everything.
fn convert(policy: &std::path::Path, facts: &[&std::path::Path], out: &std::path::Path) {
    let mut args: Vec<&std::ffi::OsStr> =
        vec!["facts".as_ref(), "convert".as_ref(), policy.as_os_str(), "--facts".as_ref()];
    args.extend(facts.iter().map(|f| f.as_os_str()));
    args.extend(["--to".as_ref(), out.as_os_str()]);
    let (code, _, err) = common::writ_os(&args);
    assert_eq!(code, Some(0), "{err}");
}

/// `writ eval POLICY --facts FACTS --as-of AS_OF --format json` with `engine`'s options.
fn eval_json(
    policy: &std::path::Path,
    facts: &std::path::Path,
    as_of: &str,
    engine: &[&str],
) -> (Option<i32>, String, String) {
    let mut args: Vec<&std::ffi::OsStr> =
        vec!["eval".as_ref(), policy.as_os_str(), "--facts".as_ref(), facts.as_os_str()];
    args.extend(["--as-of", as_of, "--format", "json"].map(std::ffi::OsStr::new));
    args.extend(engine.iter().map(std::ffi::OsStr::new));
    common::writ_os(&args)
}

/// Whether `model` has an aggregate a clause takes per subject (`count(讀數 where 站 == s …)`).
fn aggregates_per_subject(model: &writ::model::Model) -> bool {
    eval::sql::queries(model, None, eval::sql::Dialect::DuckDb).iter().any(|q| q.per.is_some())
}

/// Every `test` block of every bundled package whose clauses take aggregates per subject, its
/// derived kinds grouped in writ: evaluated with those aggregates computed in DataFusion (one
/// plan per aggregate and date for every subject, giving the rows it counts), the same report,
/// verdicts, evidence, cited facts and the records each kind had read, as writ's own.
#[test]
fn every_test_block_with_aggregates_per_subject_evaluates_alike() {
    let (mut taken, mut blocks) = (0, 0);
    common::each_test_block(aggregates_per_subject, |dir, model, t, facts| {
        let derived = eval::derive(model, facts, t.as_of, 1);
        let facts = derived.as_ref().unwrap_or(facts);
        let engine = eval::per_subject_on(&DATAFUSION, 2).unwrap().expect("DataFusion computes aggregates per subject");
        let native = eval::evaluate(model, facts, t.as_of).report();
        let df = eval::evaluate_on_engine(model, facts, (t.as_of, t.as_of), 2, None, Some(engine.as_ref())).report();
        assert!(native == df, "{}: test `{}`: the reports differ", dir.display(), t.name);
        let notes = engine.notes();
        if let Some(n) = notes.first().and_then(|n| n.split(' ').next()?.parse::<usize>().ok()) {
            taken += n;
        }
        blocks += 1;
    });
    eprintln!("{blocks} test blocks, {taken} aggregates computed in DataFusion");
    assert!(blocks >= 10, "only {blocks} test blocks take aggregates per subject");
    assert!(taken >= blocks, "only {taken} aggregates over {blocks} test blocks were computed in DataFusion");
}

/// The package of [`common::CLAUSE_AGGREGATES`] and a clause judged on its deadline, in a new
/// folder under the system's temporary folder named by `name`, with its facts: readings before
/// 1970, at midnight, after the as-of date and without values, and the documents of
/// [`common::DOCUMENTS`]. The folder, the package and the facts.
fn clause_package(name: &str) -> (PathBuf, PathBuf, PathBuf) {
    let deadline = r#"
clause 早限 "早" {
  cite "2"
  lead 局
  for s in 站 {
    must 早: count(讀數 where 站 == s and 值 >= 0.2 mg/m3) == 0 by 2019-06-30
  }
}
"#;
    let dir = std::env::temp_dir().join(format!("writ-df-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let (package, facts) = (dir.join("policy"), dir.join("facts"));
    std::fs::create_dir_all(&package).unwrap();
    std::fs::create_dir_all(&facts).unwrap();
    std::fs::write(package.join("p.writ"), [common::CLAUSE_AGGREGATES, deadline].concat()).unwrap();
    let mut rows = common::edge_readings();
    rows.push("甲,2019-06-02T05:00,8,true".into());
    rows.push("乙,2019-08-02T05:00,250,true".into());
    rows.push("甲,2020-01-02T05:00,500,true".into());
    std::fs::write(facts.join("讀數.csv"), rows.join("\n") + "\n").unwrap();
    std::fs::write(facts.join("站.csv"), "號,縣\n甲,A\n乙,A\n丙,B\n丁,C\n").unwrap();
    std::fs::write(facts.join("縣.csv"), "名\nA\nB\nC\nD\n").unwrap();
    std::fs::write(facts.join("巡查.csv"), common::INSPECTIONS).unwrap();
    std::fs::write(facts.join("文件.csv"), common::DOCUMENTS).unwrap();
    (dir, package, facts)
}

/// Evaluates `package` over `facts` as of `as_of` natively and with `--engine datafusion`:
/// the JSON reports and the human ones must be byte for byte the same, and the native run must
/// say no note. The DataFusion run's notes.
fn same_reports_on_both_engines(package: &std::path::Path, facts: &std::path::Path, as_of: &str) -> Vec<String> {
    let (native_code, native, native_err) = eval_json(package, facts, as_of, &[]);
    let (df_code, df, df_err) = eval_json(package, facts, as_of, &["--engine", "datafusion"]);
    assert!(native_code.is_some_and(|c| c <= 1), "{native_err}");
    assert_eq!(native_code, df_code, "{as_of}: {df_err}");
    assert!(native == df, "{as_of}: the JSON reports differ\n{native_err}\n{df_err}");
    assert!(!native_err.contains("note:"), "{native_err}");
    let human = |engine: &[&str]| {
        let mut args: Vec<&std::ffi::OsStr> =
            vec!["eval".as_ref(), package.as_os_str(), "--facts".as_ref(), facts.as_os_str()];
        args.extend(["--as-of", as_of].map(std::ffi::OsStr::new));
        args.extend(engine.iter().map(std::ffi::OsStr::new));
        common::writ_os(&args).1
    };
    assert_eq!(human(&[]), human(&["--engine", "datafusion"]), "{as_of}");
    df_err.lines().filter(|l| l.starts_with("note:")).map(str::to_string).collect()
}

/// The aggregates of [`clause_package`], as of three dates: the JSON report and the human one
/// are the same natively and with the aggregates computed in DataFusion, which computes each
/// of them (writ gives the sum that says its value over no records, `empty`, for the station
/// with none), and says so. Among them,
/// the earliest and latest dates and moments of documents: a station with none (absent), one
/// with a document without a date (unknown, as writ says), dates before 1970 and after the
/// as-of date, two on one day.
#[test]
fn aggregates_per_subject_give_the_same_report_in_datafusion() {
    let (dir, package, facts) = clause_package("per-subject");
    for as_of in ["2019-12-31", "2019-07-01", "1970-01-01"] {
        let said = same_reports_on_both_engines(&package, &facts, as_of);
        // 12 of readings and inspections, 8 of the earliest and latest documents.
        assert_eq!(said, ["note: 20 aggregate(s) of clauses were computed per subject in DataFusion"], "{as_of}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Aggregates during each month of `every month m`, one plan per aggregate and month: per
/// station, through a reference per county, under a share of stations as in 三(三)13
/// (`share(站, count(讀數 where 站.號 == 號 during m) >= 1)`), and over inspections with an
/// optional date (乙 has one without, which makes its count in every month unknown, as writ
/// says); and, in another clause, a sum that says its value over no records (`empty`), for a
/// station whose records known by the date have no value and one with no records; and counts of
/// samplings, some of no station (an optional reference with no value: in no station's count,
/// nor its county's), some of no class, under `類 in [...]` and `類 not in [...]`; and dust fall
/// in 噸每月每平方公里 (held as general decimals) on, above and below its limit; and samplings
/// after each finding of a station (`站 == v.站 and 日期 >= v.日期`: the subject's own date read,
/// one finding without one). Readings on the
/// first and last minute of a month, before and after the plan's period, and a station with
/// none. As of a day inside a month (its count not yet over), the end of the plan and after it:
/// the same JSON and human reports on each engine, and every aggregate per subject computed in
/// DataFusion.
#[test]
fn aggregates_during_each_month_give_the_same_report_in_datafusion() {
    let policy = r#"plan p "months" {
  period 2019-01-01 .. 2019-12-31
  roles lead "牽頭"
}
party 局
unit 降塵月 = 720 h
unit 噸每月每平方公里 = 1 t/降塵月/km2
record 縣 key 名 { 名: text }
record 站 key 號 {
  號: text
  縣: 縣
}
record 讀數 dated 時刻 {
  站: 站
  時刻: datetime
  值: ug/m3
}
record 巡查 dated 日期 {
  站: 站
  日期?: date
  分?: number
}
clause 月 "月" {
  cite "1"
  lead 局
  every month m of plan.period {
    for s in 站 {
      must 有: count(讀數 where 站 == s during m) >= 1 by m.end
      should 高: max(讀數.值 where 站 == s during m) <= 100 ug/m3
      should 巡: count(巡查 where 站 == s during m) >= 1
    }
    must 覆蓋: share(站, count(讀數 where 站.號 == 號 during m) >= 1) >= 50% by m.end
    for c in 縣 {
      should 縣: count(讀數 where 站.縣 == c and 值 > 20 ug/m3 during m) >= 2
    }
  }
}
clause 分 "分" {
  cite "2"
  lead 局
  for s in 站 {
    should 高分: sum(巡查.分 where 站 == s and exists(分), empty 5) <= 65
    should 抽: count(抽檢 where 站 == s) >= 1
    should 甲乙: count(抽檢 where 站 == s and 類 in [甲類, 乙類]) >= 1
    should 降塵: count(降塵 where 站 == s and 量 > 9 噸每月每平方公里) == 0
    should 首超: min(降塵.月份 where 站 == s and 量 >= 9 噸每月每平方公里) >= 2019-06-01
  }
  for c in 縣 {
    should 縣抽: count(抽檢 where 站.縣 == c and 合格) >= 1
    should 非丙: count(抽檢 where 站.縣 == c and 類 not in [丙類]) >= 1
  }
  every month m of plan.period {
    must 抽檢率: share(站, count(抽檢 where 站.號 == 號 during m) >= 1) >= 25% by m.end
  }
}
record 降塵 dated 月份 {
  站: 站
  月份: date
  量: 噸每月每平方公里
}
enum 類別 { 甲類, 乙類, 丙類 }
record 抽檢 dated 日期 {
  站?: 站
  日期: date
  合格: bool
  類?: 類別
}
record 違規 key 號 {
  號: text
  站: 站
  日期?: date
}
clause 複查 "複查" {
  cite "3"
  lead 局
  for v in 違規 {
    should 複查: count(抽檢 where 站 == v.站 and 日期 >= v.日期) >= 1
    should 合格複查: count(抽檢 where 站 == v.站 and 日期 >= v.日期 and 合格) >= 1
  }
}
"#;
    let dir = std::env::temp_dir().join(format!("writ-df-months-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let (package, facts) = (dir.join("policy"), dir.join("facts"));
    std::fs::create_dir_all(&package).unwrap();
    std::fs::create_dir_all(&facts).unwrap();
    std::fs::write(package.join("p.writ"), policy).unwrap();
    std::fs::write(facts.join("縣.csv"), "名\nA\nB\nC\n").unwrap();
    std::fs::write(facts.join("站.csv"), "號,縣\n甲,A\n乙,A\n丙,B\n丁,C\n").unwrap();
    std::fs::write(
        facts.join("讀數.csv"),
        "站,時刻,值
甲,2018-12-31T23:59,10
甲,2019-01-31T23:59,50
甲,2019-02-01T00:00,120
甲,2019-02-14T08:00,20
甲,2019-03-15T12:00,99
乙,2019-01-01T00:00,100
乙,2019-02-28T23:59,100.5
丙,2019-06-30T12:00,101
丙,2019-12-31T23:59,30
丙,2020-01-01T00:00,30
",
    )
    .unwrap();
    std::fs::write(
        facts.join("巡查.csv"),
        "站,日期,分\n甲,2019-01-01,40\n甲,2019-01-31,60\n乙,,70\n丙,2019-02-01,\n丙,2020-01-01,80\n",
    )
    .unwrap();
    std::fs::write(
        facts.join("抽檢.csv"),
        "站,日期,合格,類\n甲,2019-01-05,yes,甲類\n,2019-01-06,yes,乙類\n丙,2019-01-31,no,丙類\n,2019-02-01,no,\n乙,2019-02-28,yes,\n,2019-03-01,yes,甲類\n",
    )
    .unwrap();
    // Findings to be followed by a sampling of their station on or after their date: one
    // followed, one not, one with no date, one followed on its very day, one of a station with
    // no samplings.
    std::fs::write(
        facts.join("違規.csv"),
        "號,站,日期\na,甲,2019-01-01\nb,甲,2019-02-01\nc,乙,\nd,丙,2019-01-31\ne,丁,2019-01-01\n",
    )
    .unwrap();
    // A quantity whose unit is no power of ten of its SI unit, held as general decimals: on,
    // above and below the limit.
    std::fs::write(
        facts.join("降塵.csv"),
        "站,月份,量\n甲,2019-01-01,9\n甲,2019-02-01,8.99\n乙,2019-03-01,9.01\n丙,2019-04-01,12.5\n丙,2019-07-01,9\n",
    )
    .unwrap();
    for as_of in ["2019-02-14", "2019-12-31", "2020-03-01"] {
        let said = same_reports_on_both_engines(&package, &facts, as_of);
        assert_eq!(said, ["note: 15 aggregate(s) of clauses were computed per subject in DataFusion"], "{as_of}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// The earliest and latest dates and moments of the documents of [`clause_package`], as
/// DataFusion gives them per subject, before writ reads them: per station (and per kind of
/// document, `類 == 清單`), the extreme and the rows counted, or `writ` where the value is writ's
/// to say (a document without the value, or without the date a period needs); a station with
/// no document known by the date has no entry. As of the end of 2019 (甲's document of 2020 not
/// yet known), and as of 1970-01-01 (only those dated before 1970, and 乙's undated one).
#[test]
fn the_earliest_and_latest_dates_per_subject_are_datafusions() {
    use writ::value::Value;
    let (dir, package, facts) = clause_package("dates");
    let style = cli::Style { color: false, width: 80, progress: false };
    let paths = [facts];
    let files = cli::FactFiles { paths: &paths, encoding: None, threads: Some(1), engine: Engine::Native };
    let as_of = cli::parse_date("2019-12-31").unwrap();
    let evaluated = cli::evaluate(&package, files, as_of, style).unwrap_or_else(|o| panic!("{}", o.stderr));
    let (model, facts) = (&evaluated.model, evaluated.facts());
    let clause = model.clauses.iter().find(|c| c.name == "文件限").unwrap();
    // The aggregates of the clause, kept for the engine, which knows each by where it is.
    let mut found: Vec<writ::model::TExpr> = Vec::new();
    fn each(stmts: &[writ::model::TStmt], found: &mut Vec<writ::model::TExpr>) {
        for stmt in stmts {
            match stmt {
                writ::model::TStmt::For(f) => each(&f.body, found),
                writ::model::TStmt::Require(r) => writ::model::walk(&r.condition, &mut |e| {
                    if matches!(e.kind, writ::model::TKind::Aggregate(_)) {
                        found.push(e.clone());
                    }
                }),
                _ => {}
            }
        }
    }
    each(&clause.body, &mut found);
    assert_eq!(found.len(), 8);
    let engine = eval::per_subject_on(&DATAFUSION, 2).unwrap().unwrap();
    let computed = |text: &str, on: &str| -> Vec<String> {
        let e = found.iter().find(|e| matches!(&e.kind, writ::model::TKind::Aggregate(a) if a.text == text));
        let e = e.unwrap_or_else(|| panic!("no aggregate {text}"));
        let writ::model::TKind::Aggregate(a) = &e.kind else { unreachable!() };
        let by = engine.by_subject(model, facts, e, a, cli::parse_date(on).unwrap(), None);
        let by = by.unwrap_or_else(|| panic!("{text} was not computed in DataFusion: {:#?}", engine.notes()));
        let mut out: Vec<String> = by
            .by_key
            .iter()
            .map(|(key, v)| {
                let key = match key {
                    Value::Ref(kind, row) => facts.key_of(*kind, *row).to_string(),
                    Value::Enum(i) => ["計劃", "清單"][*i as usize].to_string(),
                    other => panic!("{text}: a key {other:?}"),
                };
                match v {
                    Some((Value::Date(d), rows)) => format!("{key} {d} {rows:?}"),
                    Some((Value::DateTime(t), rows)) => format!("{key} {t} {rows:?}"),
                    Some(other) => panic!("{text}: {key} is {other:?}, not a date or moment"),
                    None => format!("{key} writ"),
                }
            })
            .collect();
        out.sort();
        out
    };
    // Rows: 甲 0 and 1 (2019-03-01, 08:00 and 07:59), 2 (1969-12-31T23:00), 3 (2020-01-05); 乙 4
    // (no date), 5 (2019-04-01, no moment); 丙 6 (1969-07-01, delivered 2025), 7 (1959-05-05),
    // 8 (2019-09-09).
    let end = "2019-12-31";
    assert_eq!(
        computed("min(文件.日期 where 站 == s)", end),
        ["丙 1959-05-05 [6, 7, 8]", "乙 writ", "甲 1969-12-31 [0, 1, 2]"]
    );
    assert_eq!(
        computed("max(文件.日期 where 站 == s and 日期 >= 1969-06-01)", end),
        ["丙 2019-09-09 [6, 8]", "乙 2019-04-01 [5]", "甲 2019-03-01 [0, 1, 2]"]
    );
    assert_eq!(
        computed("min(文件.送達 where 站 == s and exists(送達))", end),
        ["丙 1959-05-05T12:00 [6, 7, 8]", "乙 2019-05-01T10:00 [4]", "甲 1969-12-31T23:00 [0, 1, 2]"]
    );
    assert_eq!(
        computed("max(文件.送達 where 站 == s during 2019)", end),
        ["丙 2019-09-09T09:09 [8]", "乙 writ", "甲 2019-03-01T08:00 [0, 1]"]
    );
    assert_eq!(
        computed("max(文件.送達 where 站 == s and exists(送達))", end),
        ["丙 2025-01-01T00:00 [6, 7, 8]", "乙 2019-05-01T10:00 [4]", "甲 2019-03-01T08:00 [0, 1, 2]"]
    );
    assert_eq!(
        computed("min(文件.日期 where 站 == s and 類 != 清單)", "2019-06-30"),
        ["丙 1969-07-01 [6]", "乙 writ", "甲 2019-03-01 [0, 1]"]
    );
    assert_eq!(
        computed("min(文件.日期 where 類 == 清單 and 日期 >= 1965-01-01)", end),
        ["清單 1969-12-31 [2, 5, 8]", "計劃 1969-07-01 [0, 1, 6]"]
    );
    assert_eq!(computed("max(文件.送達 where 類 == 清單)", end), ["清單 writ", "計劃 2025-01-01T00:00 [0, 1, 4, 6]"]);
    let start = "1970-01-01";
    assert_eq!(
        computed("min(文件.日期 where 站 == s)", start),
        ["丙 1959-05-05 [6, 7]", "乙 writ", "甲 1969-12-31 [2]"]
    );
    assert_eq!(
        computed("max(文件.送達 where 站 == s and exists(送達))", start),
        ["丙 2025-01-01T00:00 [6, 7]", "乙 2019-05-01T10:00 [4]", "甲 1969-12-31T23:00 [2]"]
    );
    assert_eq!(engine.notes(), ["8 aggregate(s) of clauses were computed per subject in DataFusion"]);
    let _ = std::fs::remove_dir_all(&dir);
}

/// The Yangquan examples, and the four rules of the peer benchmark over generated facts (200
/// enterprises, 20,000 readings: a per-site count of readings reaching 250 ug/m3, and a share
/// of sellers whose count per month is nested in it): the same JSON report natively and with
/// the aggregates of clauses per subject computed in DataFusion, which computes some of them.
#[test]
fn the_examples_and_the_benchmark_rules_give_the_same_report_with_aggregates_in_datafusion() {
    let dir = std::env::temp_dir().join(format!("writ-df-peers-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    peers::generate(peers::Size { name: "test", enterprises: 200, readings: 20_000 }, &dir).unwrap();
    for (policy, facts, as_of) in [
        (root().join("policies/yangquan-2019"), root().join("examples/yangquan-2019"), "2020-01-15"),
        (root().join("benches/peers/policy"), dir.clone(), "2019-12-31"),
    ] {
        let (native_code, native, native_err) = eval_json(&policy, &facts, as_of, &[]);
        let (df_code, df, df_err) = eval_json(&policy, &facts, as_of, &["--engine", "datafusion"]);
        assert_eq!(native_code, df_code, "{df_err}");
        assert!(native.contains("\"verdicts\""), "{native_err}");
        assert!(native == df, "{}: the JSON reports differ\n{df_err}", policy.display());
        eprintln!("{}: {df_err}", policy.display());
        let taken = df_err
            .lines()
            .find_map(|l| {
                l.strip_prefix("note: ")?
                    .strip_suffix(" aggregate(s) of clauses were computed per subject in DataFusion")
            })
            .and_then(|n| n.parse::<usize>().ok());
        assert!(taken.is_some_and(|n| n > 0), "{}: {df_err}", policy.display());
        // A count during each month (`during m` inside `every month m`: 三(三)13's, rule 4's) is
        // DataFusion's, one plan per month.
        assert!(!df_err.contains("(`every`)"), "{}: {df_err}", policy.display());
        assert!(!df_err.contains("count(煤質抽檢 where 銷售企業.名稱 == 名稱 during m)"), "{df_err}");
        if policy.ends_with("yangquan-2019") {
            // The first date of a document, a report or an entry in the register of supervised
            // work (`min(文件.日期 where 類型 == …)`) is DataFusion's: 24 of the 51 aggregates.
            assert!(taken.is_some_and(|n| n >= 51), "{df_err}");
            // Entries made after the subject's own date (`日期 >= x.列入日`), by a join.
            assert!(!df_err.contains("x.列入日) was computed in writ"), "{df_err}");
            // The samplings of a depot or a filling station, some of neither (`油庫.名稱 == 名稱`).
            assert!(!df_err.contains("has no value in some records"), "{df_err}");
            for date in ["min(文件.日期", "min(清潔取暖方案報送.報送日", "min(督辦事項.納入日"] {
                assert!(!df_err.contains(&format!("note: {date}")), "{date}: {df_err}");
            }
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}
