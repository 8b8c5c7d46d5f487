//! `writ sql` writes queries a database runs to the records writ derives: generated hourly
//! exports of three stations are converted to Parquet (`writ facts convert`), the DuckDB
//! queries of `policies/yangquan-2019-raw` run on DuckDB over those files, and every row of the
//! views is held to the records writ derives from the same exports, as of a date inside them.
//!
//! DuckDB runs in Python (`python3 -m pip install duckdb`); `.ci/run` installs it.
#![cfg(feature = "datafusion")]

mod common;

use common::{convert, writ_os as writ};

use rust_decimal::Decimal;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use writ::cli;
use writ::value::Value;

/// The generator of `examples/yangquan-2019-hourly`.
#[path = "../examples/gen_hourly.rs"]
#[allow(dead_code)]
mod gen_hourly;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

const POLICY: &str = "policies/yangquan-2019-raw";
const AS_OF: &str = "2019-06-30";

/// `writ sql` of `policy` in `dialect`, counting the records known by `as_of`.
fn sql(policy: &Path, dialect: &str, as_of: &str) -> String {
    let (code, sql, err) = writ(&[
        "sql".as_ref(),
        policy.as_os_str(),
        "--dialect".as_ref(),
        dialect.as_ref(),
        "--as-of".as_ref(),
        as_of.as_ref(),
    ]);
    assert_eq!(code, Some(0), "{dialect}: {err}");
    sql
}

/// A package of `policy` in a new folder under the system's temporary folder, named by `name`,
/// with the edge readings (and one reading known only after 2019) as its facts: the folder, the
/// package, the facts and where their Parquet tables go.
fn package(name: &str, policy: &str) -> (PathBuf, PathBuf, PathBuf, PathBuf) {
    let mut rows = common::edge_readings();
    rows.push("甲,2019-06-02T05:00,8,true".into());
    // Known only after the as-of date.
    rows.push("甲,2020-01-02T05:00,500,true".into());
    let dir = std::env::temp_dir().join(format!("writ-sql-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let (package, facts, tables) = (dir.join("policy"), dir.join("facts"), dir.join("tables"));
    std::fs::create_dir_all(&package).unwrap();
    std::fs::create_dir_all(&facts).unwrap();
    std::fs::write(package.join("p.writ"), policy).unwrap();
    std::fs::write(facts.join("讀數.csv"), rows.join("\n") + "\n").unwrap();
    (dir, package, facts, tables)
}

/// The queries of `policy` in every dialect parse in that dialect, as `views` statements.
fn parse_in_every_dialect(policy: &Path, as_of: &str, views: usize) {
    for dialect in ["postgres", "duckdb", "sqlite", "mysql", "bigquery"] {
        let text = sql(policy, dialect, as_of);
        let parser = datafusion::sql::sqlparser::dialect::dialect_from_str(dialect).unwrap();
        let statements = datafusion::sql::sqlparser::parser::Parser::parse_sql(parser.as_ref(), &text)
            .unwrap_or_else(|e| panic!("{dialect}: the queries do not parse: {e}\n{text}"));
        assert_eq!(statements.len(), views, "{dialect}: a view per kind or aggregate\n{text}");
    }
}

/// Runs `sql` on DuckDB with a view per Parquet file of `tables` (named by the file), and
/// gives the rows of `view`, each column as text (null as `None`), by column name.
fn duckdb(tables: &Path, sql: &str, view: &str) -> Vec<BTreeMap<String, Option<String>>> {
    const SCRIPT: &str = r#"
import duckdb, json, os, sys
tables, view = sys.argv[1], sys.argv[2]
con = duckdb.connect()
for f in sorted(os.listdir(tables)):
    if f.endswith(".parquet"):
        name = f[: -len(".parquet")].replace('"', '""')
        path = os.path.join(tables, f).replace("'", "''")
        con.execute(f"CREATE VIEW \"{name}\" AS SELECT * FROM read_parquet('{path}')")
con.execute(sys.stdin.read())
cur = con.execute('SELECT * FROM "' + view.replace('"', '""') + '"')
names = [d[0] for d in cur.description]
for row in cur.fetchall():
    print(json.dumps({n: (None if v is None else str(v)) for n, v in zip(names, row)}, ensure_ascii=False))
"#;
    let mut child = Command::new("python3")
        .args(["-c", SCRIPT])
        .arg(tables)
        .arg(view)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("python3 runs DuckDB for this test: install Python 3, then `python3 -m pip install duckdb`");
    use std::io::Write as _;
    child.stdin.take().unwrap().write_all(sql.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !stderr.contains("No module named 'duckdb'"),
        "this test runs the queries on DuckDB: `python3 -m pip install duckdb` (.ci/run does)"
    );
    assert!(out.status.success(), "DuckDB failed on the queries:\n{stderr}\n{sql}");
    String::from_utf8(out.stdout).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

#[test]
fn duckdb_runs_the_queries_to_the_records_writ_derives() {
    let dir = std::env::temp_dir().join(format!("writ-sql-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let (exports, tables) = (dir.join("exports"), dir.join("tables"));
    std::fs::create_dir_all(&exports).unwrap();
    let args: Vec<String> = ["--out", ".", "--from", "2018-11-01", "--to", "2019-12-31", "--stations", "3"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let (_, config) = gen_hourly::parse_args(&args).unwrap();
    for f in gen_hourly::generate(&config).files {
        std::fs::write(exports.join(&f.name), &f.csv).unwrap();
    }
    std::fs::copy(root().join("examples/yangquan-2019-hourly/監測站.csv"), exports.join("監測站.csv")).unwrap();
    let policy = root().join(POLICY);

    convert(&policy, &exports, &tables);
    let sql = sql(&policy, "duckdb", AS_OF);
    assert!(sql.contains("CREATE VIEW \"站點日均\" AS"), "{sql}");
    // The county kinds read a validity writ computes (a rule), so they have no query, and say so.
    assert!(
        sql.contains(
            "-- 縣區日均 (from 站點日均)\n-- no query: writ groups it itself, because it reads 站點日均.SO2有效"
        ),
        "{sql}"
    );
    let rows = duckdb(&tables, &sql, "站點日均");

    // The records writ derives from the same exports, as of the same date.
    let e =
        cli::evaluate(&policy, std::slice::from_ref(&exports), cli::parse_date(AS_OF).unwrap(), cli::Style::default())
            .unwrap_or_else(|o| panic!("{}", o.stderr));
    assert!(e.stderr.is_empty(), "{}", e.stderr);
    let model = &e.model;
    let facts = e.facts();
    let kind = model.records.iter().position(|r| r.name == "站點日均").unwrap();
    let rec = &model.records[kind];
    let field = |name: &str| rec.fields.iter().position(|f| f.name == name).unwrap();
    let hourly = model.records.iter().find(|r| r.name == "小時數據").unwrap();
    let unit = hourly.fields.iter().find(|f| f.name == "SO2").unwrap().unit.clone().unwrap();
    let table = &facts.tables[kind];
    let text = |v: Option<Value>| match v {
        Some(Value::Text(t)) => t.to_string(),
        Some(Value::Date(d)) => d.to_string(),
        other => panic!("a group field of another value: {other:?}"),
    };
    let mut derived = BTreeMap::new();
    for row in 0..table.len() as u32 {
        let key = [field("站點"), field("縣區"), field("日期")].map(|f| text(table.get(f, row)));
        let count = match table.get(field("SO2小時數"), row) {
            Some(Value::Num(n)) => n,
            other => panic!("a count of another value: {other:?}"),
        };
        let mean = table.get(field("SO2"), row).map(|v| v.as_num().unwrap());
        derived.insert(key, (count, mean));
    }
    // Three stations' days from 2018-11-01 to the as-of date: the days after it are not counted.
    assert!(derived.len() > 600, "{} daily records", derived.len());
    assert_eq!(rows.len(), derived.len(), "DuckDB gave {} daily rows, writ derived {}", rows.len(), derived.len());

    let number = |row: &BTreeMap<String, Option<String>>, name: &str| -> Option<Decimal> {
        row[name].as_ref().map(|t| t.parse::<Decimal>().unwrap_or_else(|e| panic!("{name} = {t}: {e}")))
    };
    let mut means = 0;
    for row in &rows {
        let key = ["站點", "縣區", "日期"].map(|c| row[c].clone().unwrap());
        let (count, mean) = derived.get(&key).unwrap_or_else(|| panic!("DuckDB's day {key:?} is not one writ derives"));
        assert_eq!(number(row, "SO2小時數"), Some(*count), "{key:?}: the hours with SO2");
        assert_eq!(number(row, "SO2_count"), Some(*count), "{key:?}: the hours the mean is over");
        // writ keeps the mean of a day with 20 hours or more; the view gives the sum of every day
        // whose hours all have a value, in the field's unit.
        if let Some(mean) = mean {
            let sum = number(row, "SO2_sum").unwrap_or_else(|| panic!("{key:?}: no sum"));
            let sum = unit.to_si(sum).unwrap();
            assert_eq!(sum.checked_div(*count), Some(*mean), "{key:?}: the mean");
            means += 1;
        }
    }
    assert!(means > 500, "{means} daily means compared");
    let _ = std::fs::remove_dir_all(&dir);
}

/// The edges of what the queries compute, each view's rows held to writ's records field by
/// field: a filter comparing a quantity with a constant (converted to the field's unit) and an
/// hour; counts under `exists`, a yes/no field, `year`, `month`, texts compared; sums, a mean,
/// extremes, each null exactly where writ's value is unknown (an hour with no value); moments
/// before 1970 and at midnight; a derived kind grouped from another; a record dated after the
/// as-of date. The earliest moment of a group is writ's, and its comment says so. The queries
/// of every dialect parse in that dialect.
#[test]
fn the_edges_of_the_queries_give_writs_records() {
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
record 日 from 讀數 where 值 > 0.01 mg/m3 or hour(時刻) < 3 by 站 = 站, 日期 = date(時刻) dated 日期 {
  n = count(讀數)
  有值 = count(讀數 where exists(值))
  旗數 = count(讀數 where 旗)
  總 = sum(讀數.值 where exists(值))
  均 = mean(讀數.值)
  低 = min(讀數.值 where exists(值))
  高 = max(讀數.值 where 旗)
  全 = sum(讀數.值)
  p90 = percentile(讀數.值 where exists(值), 90%)
  年內 = count(讀數 during 2019)
  年均 = mean(讀數.值 where exists(值) during 2019)
  首旗 = min(讀數.時刻 where 旗)
}
record 站年 from 日 by 站 = 站 {
  天 = count(日)
  天2019 = count(日 where year(日期) == 2019)
  五月 = count(日 where month(日期) == 5 and 站 != "乙")
  甲 = count(日 where 站 == "甲" or 站 == "無此站")
  均 = mean(日.總 where exists(總))
  高 = max(日.全 where exists(全))
}
record 年月 from 讀數 where 站 == "丙" or year(時刻) < 1970 by 年 = year(時刻), 月 = month(時刻) {
  n = count(讀數)
}
"#;
    let (dir, package, facts, tables) = package("edges", &[policy, common::INSPECTION_KINDS].concat());
    std::fs::write(facts.join("巡查.csv"), common::INSPECTIONS).unwrap();
    convert(&package, &facts, &tables);

    let as_of = "2019-12-31";
    parse_in_every_dialect(&package, as_of, 4);
    let sql = sql(&package, "duckdb", as_of);
    assert!(sql.contains("computed by writ: p90: a percentile"), "{sql}");
    assert!(sql.contains("年內: null where a record has no date to place in the period"), "{sql}");
    assert!(sql.contains("computed by writ: 首旗: the earliest or latest date or moment of its records"), "{sql}");

    let e =
        cli::evaluate(&package, std::slice::from_ref(&facts), cli::parse_date(as_of).unwrap(), cli::Style::default())
            .unwrap_or_else(|o| panic!("{}", o.stderr));
    assert!(e.stderr.is_empty(), "{}", e.stderr);
    let model = &e.model;
    let derived = e.facts();
    let ug = writ::units::UnitTable::new().parse("ug/m3").expect("a unit writ knows");
    let shown = |v: &Value| match v {
        Value::Text(t) => t.to_string(),
        Value::Date(d) => d.to_string(),
        Value::Num(n) => n.normalize().to_string(),
        other => panic!("a group value of another kind: {other:?}"),
    };
    let mut compared = 0;
    let mut unknown = Vec::new();
    for (view, groups) in [("日", 2), ("站年", 1), ("年月", 2), ("站巡", 1)] {
        let kind = model.records.iter().position(|r| r.name == view).unwrap();
        let rec = &model.records[kind];
        let table = &derived.tables[kind];
        let got = duckdb(&tables, &sql, view);
        assert_eq!(got.len(), table.len(), "{view}: DuckDB gave {} rows, writ derived {}", got.len(), table.len());
        let mut records = BTreeMap::new();
        for row in 0..table.len() as u32 {
            let key: Vec<String> = (0..groups).map(|f| shown(&table.get(f, row).unwrap())).collect();
            records.insert(key, row);
        }
        for r in &got {
            let key: Vec<String> = rec.fields[..groups]
                .iter()
                .map(|f| {
                    let t = r[&f.name].clone().unwrap();
                    t.parse::<Decimal>().map_or(t, |n| n.normalize().to_string())
                })
                .collect();
            let row =
                *records.get(&key).unwrap_or_else(|| panic!("{view}: DuckDB's {key:?} is not a record writ derives"));
            for (column, text) in r {
                let (name, mean) = match column.strip_suffix("_sum") {
                    Some(name) => (name, true),
                    None => (column.as_str(), false),
                };
                let Some(f) = rec.fields.iter().position(|f| f.name == name) else {
                    assert!(column.ends_with("_count"), "{view}: a column {column} of no field");
                    continue;
                };
                if f < groups {
                    continue;
                }
                let number =
                    text.as_ref().map(|t| t.parse::<Decimal>().unwrap_or_else(|e| panic!("{column} = {t}: {e}")));
                let theirs = table.get(f, row).map(|v| v.as_num().unwrap());
                let quantity = matches!(rec.fields[f].ty, writ::model::Ty::Quantity(_));
                let ours = match (number, mean) {
                    (Some(n), true) => {
                        let count: Decimal = r[&format!("{name}_count")].as_ref().unwrap().parse().unwrap();
                        let n = if quantity { ug.to_si(n).unwrap() } else { n };
                        n.checked_div(count)
                    }
                    (Some(n), false) if quantity => ug.to_si(n),
                    (n, _) => n,
                };
                assert_eq!(ours, theirs, "{view} {key:?}: {column}");
                compared += 1;
                if view == "站巡" && theirs.is_none() {
                    unknown.push(format!("{}.{name}", key[0]));
                }
            }
        }
    }
    assert!(compared > 60, "{compared} values compared");
    // 乙's three values during a period (an inspection with no date), and 丙's mean over no
    // inspection in 2019; no other of 站巡.
    unknown.sort();
    assert_eq!(unknown, ["丙.年分", "乙.年內", "乙.年分", "乙.期高"], "站巡's values unknown in writ, null in DuckDB");
    let _ = std::fs::remove_dir_all(&dir);
}

/// The aggregates a clause computes per subject: each view's row for a subject is held to the
/// value writ computed for that subject's verdict (its `computed` entry), a subject with no row
/// to a count of 0 and to a value writ could not know. Counts over a filter, a sum, means, the
/// extremes, a count in a year and a mean over the plan's period, and a count through a
/// reference (`站.縣 == c`), over readings before 1970, at midnight and after the as-of date; an
/// aggregate that says its value over no records, and the earliest and latest dates of
/// documents, which have no query, say why.
#[test]
fn the_queries_of_clauses_give_the_values_writ_computes_per_subject() {
    let policy = common::CLAUSE_AGGREGATES;
    let (dir, package, facts, tables) = package("clauses", policy);
    // 丁 has no readings, and 丙 is the only station of B; C has none.
    std::fs::write(facts.join("站.csv"), "號,縣\n甲,A\n乙,A\n丙,B\n丁,C\n").unwrap();
    std::fs::write(facts.join("縣.csv"), "名\nA\nB\nC\nD\n").unwrap();
    std::fs::write(facts.join("巡查.csv"), common::INSPECTIONS).unwrap();
    convert(&package, &facts, &tables);

    let as_of = "2019-12-31";
    let sql = sql(&package, "duckdb", as_of);
    assert!(sql.contains("-- no query: writ computes it itself, because it says its value over no records"), "{sql}");
    // The six earliest and latest dates and moments of documents per station are writ's.
    let extreme = "-- no query: writ computes it itself, because it is the earliest or latest date or moment of its \
                   records, which the queries leave to writ";
    assert_eq!(sql.matches(extreme).count(), 6, "{sql}");
    // 高, 總, 均, 缺, the two of 極, 年, 期, 巡, 巡分 and 夜; not 空.
    parse_in_every_dialect(&package, as_of, 11);
    let (_, report, err) = writ(&[
        "eval".as_ref(),
        package.as_os_str(),
        "--facts".as_ref(),
        facts.as_os_str(),
        "--as-of".as_ref(),
        as_of.as_ref(),
        "--format".as_ref(),
        "json".as_ref(),
    ]);
    let report: serde_json::Value = serde_json::from_str(&report).unwrap_or_else(|e| panic!("{e}\n{err}"));
    // Per verdict id, what writ computed: expression → value.
    let mut computed: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    for v in report["verdicts"].as_array().unwrap() {
        let values = v["computed"].as_array().into_iter().flatten();
        let values =
            values.map(|c| (c["expr"].as_str().unwrap().to_string(), c["value"].as_str().unwrap().to_string()));
        computed.insert(v["id"].as_str().unwrap().to_string(), values.collect());
    }
    let mut compared = 0;
    for (view, aggregate, subject, keys) in [
        ("站限.高", "count(讀數 where 站 == s and 值 >= 0.2 mg/m3)", "站", &["甲", "乙", "丙", "丁"][..]),
        ("站限.總", "sum(讀數.值 where 站 == s and exists(值))", "站", &["甲", "乙", "丙", "丁"]),
        ("站限.均", "mean(讀數.值 where 站 == s and exists(值))", "站", &["甲", "乙", "丙", "丁"]),
        ("站限.缺", "mean(讀數.值 where 站 == s)", "站", &["甲", "乙", "丙", "丁"]),
        ("站限.極", "max(讀數.值 where 站 == s and 旗)", "站", &["甲", "乙", "丙", "丁"]),
        ("站限.極.2", "min(讀數.值 where 站 == s and exists(值))", "站", &["甲", "乙", "丙", "丁"]),
        ("站限.年", "count(讀數 where 站 == s during 2019)", "站", &["甲", "乙", "丙", "丁"]),
        ("站限.期", "mean(讀數.值 where 站 == s and exists(值) during plan.period)", "站", &["甲", "乙", "丙", "丁"]),
        ("站限.巡", "count(巡查 where 站 == s during 2019)", "站", &["甲", "乙", "丙", "丁"]),
        ("站限.巡分", "sum(巡查.分 where 站 == s during plan.period)", "站", &["甲", "乙", "丙", "丁"]),
        ("站限.夜", "count(讀數 where 站.縣 == c and hour(時刻) < 3)", "縣", &["A", "B", "C", "D"]),
    ] {
        let got = duckdb(&tables, &sql, view);
        let func = aggregate.split('(').next().unwrap();
        for key in keys {
            let label = view.split('.').nth(1).unwrap();
            let id = format!("站限/{key}/{label}");
            let theirs = computed.get(&id).and_then(|c| c.get(aggregate)).cloned();
            let row = got.iter().find(|r| r[subject].as_deref() == Some(*key));
            let ours: Option<String> = match (func, row) {
                ("count", None) => Some("0".into()),
                (_, None) => None,
                ("mean", Some(r)) => r["mean_sum"].as_ref().map(|s| {
                    let n: Decimal = r["mean_count"].as_ref().unwrap().parse().unwrap();
                    (s.parse::<Decimal>().unwrap() / n).normalize().to_string()
                }),
                (f, Some(r)) => r[f].as_ref().map(|t| t.parse::<Decimal>().unwrap().normalize().to_string()),
            };
            eprintln!("{id} {aggregate}: writ {theirs:?}, DuckDB {ours:?}");
            // writ computes what its verdict needs: `a and b` with `a` false reads no `b`.
            let Some(theirs) = theirs else { continue };
            match theirs.strip_prefix("unknown") {
                Some(_) => assert_eq!(ours, None, "{id}: {aggregate} is {theirs} in writ"),
                None => {
                    let number = theirs.strip_suffix(" ug/m3").unwrap_or(&theirs);
                    let theirs: Decimal = number.parse().unwrap_or_else(|e| panic!("{id}: {theirs}: {e}"));
                    let ours = ours.unwrap_or_else(|| panic!("{id}: {aggregate} is {theirs} in writ, null in DuckDB"));
                    // A report shows a quotient of 20 digits or more to six places.
                    let ours = ours.parse::<Decimal>().unwrap().normalize();
                    let digits = ours.mantissa().unsigned_abs().checked_ilog10().unwrap_or(0) + 1;
                    let ours = if digits >= 20 { ours.round_dp(6).normalize() } else { ours };
                    assert_eq!(ours, theirs, "{id}: {aggregate}");
                }
            }
            compared += 1;
        }
    }
    assert!(compared >= 20, "{compared} values compared");
    let _ = std::fs::remove_dir_all(&dir);
}
