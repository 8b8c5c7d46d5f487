//! The Ballista engine (`--features ballista`) gives the verdicts writ gives: a cluster of a
//! scheduler and two executors is started in this process on loopback (work folders under the
//! system's temporary folder, stopped at the end), and `writ eval --engine ballista://…` over
//! Parquet facts must write the JSON report `writ eval` writes natively, byte for byte, with the
//! derived kinds read from files computed on the cluster: generated hourly exports through
//! `policies/yangquan-2019-raw`, a package of edge cases, and the facts of every `test` block of
//! every bundled package that derives kinds, written to Parquet and evaluated natively, on
//! embedded DataFusion and on the cluster.
#![cfg(feature = "ballista")]

mod common;

use common::{convert, writ_os as writ};

use std::path::{Path, PathBuf};
use writ::eval::Engine;
use writ::eval::ballista::Loopback;
use writ::{cli, facts, report};

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

/// The JSON report of `policy` over `facts` as of `as_of`, natively, on embedded DataFusion and
/// on the cluster: the same exit codes and reports; the notes the cluster's run wrote.
fn both(policy: &Path, facts: &Path, as_of: &str, cluster: &Loopback) -> String {
    let run = |engine: &[&str]| {
        let mut args: Vec<&std::ffi::OsStr> =
            vec!["eval".as_ref(), policy.as_os_str(), "--facts".as_ref(), facts.as_os_str()];
        args.extend(["--as-of", as_of, "--format", "json"].map(std::ffi::OsStr::new));
        args.extend(engine.iter().map(std::ffi::OsStr::new));
        writ(&args)
    };
    let engine = format!("ballista://{}", cluster.scheduler);
    let (native_code, native, native_err) = run(&[]);
    assert!(native.contains("\"verdicts\""), "{native_err}");
    assert!(!native_err.contains("note:"), "{native_err}");
    let (code, report, err) = run(&["--engine", "datafusion", "--memory-limit", "512MB"]);
    assert_eq!(native_code, code, "{err}");
    assert!(native == report, "{}: the JSON reports differ on DataFusion\n{err}", policy.display());
    let (code, report, err) = run(&["--engine", &engine]);
    assert_eq!(native_code, code, "{err}");
    assert!(native == report, "{}: the JSON reports differ on the cluster\n{err}", policy.display());
    err
}

#[test]
fn a_cluster_on_loopback_gives_the_verdicts_writ_gives() {
    let started = std::time::Instant::now();
    let cluster = Loopback::start(2).unwrap();
    let lo = std::net::Ipv4Addr::LOCALHOST;
    assert_eq!(cluster.address.ip(), lo, "the scheduler listens on {}", cluster.address);
    assert_eq!(cluster.executors.len(), 2);
    assert!(cluster.executors.iter().all(|a| a.ip() == lo), "the executors listen on {:?}", cluster.executors);
    assert!(cluster.work.starts_with(std::env::temp_dir()), "{}", cluster.work.display());
    eprintln!("cluster started in {:.1?} at {}", started.elapsed(), cluster.address);

    let dir = std::env::temp_dir().join(format!("writ-ballista-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);

    // Hourly exports of three stations, as Parquet.
    let (exports, tables) = (dir.join("exports"), dir.join("tables"));
    std::fs::create_dir_all(&exports).unwrap();
    let args: Vec<String> = ["--out", ".", "--from", "2018-01-01", "--to", "2019-12-31", "--stations", "3"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let (_, config) = gen_hourly::parse_args(&args).unwrap();
    for f in gen_hourly::generate(&config).files {
        std::fs::write(exports.join(&f.name), &f.csv).unwrap();
    }
    std::fs::copy(root().join("examples/yangquan-2019-hourly/監測站.csv"), exports.join("監測站.csv")).unwrap();
    let policy = root().join("policies/yangquan-2019-raw");
    convert(&policy, &exports, &tables);
    let err = both(&policy, &tables, "2020-01-15", &cluster);
    // The stations' daily values are computed on the cluster; the counties' are grouped from
    // them, which writ derives, so writ groups those and says so.
    assert!(!err.contains("站點日均 was grouped in writ"), "{err}");
    assert!(err.contains("縣區日均 was grouped in writ, not on the Ballista cluster"), "{err}");
    // The readings, which nothing but that grouping reads, were placed in their groups as they
    // were read and not kept.
    assert!(err.contains("note: the 小時數據 records were placed in the groups"), "{err}");
    // With the stations as CSV, which the executors cannot read, the cluster cannot compute the
    // stations' days from the files (they join 監測站): the readings are kept, and say why.
    let csv_stations = dir.join("csv-stations");
    std::fs::create_dir_all(&csv_stations).unwrap();
    std::fs::copy(tables.join("小時數據.parquet"), csv_stations.join("小時數據.parquet")).unwrap();
    std::fs::copy(exports.join("監測站.csv"), csv_stations.join("監測站.csv")).unwrap();
    let err = both(&policy, &csv_stations, "2020-01-15", &cluster);
    assert!(err.contains("note: the 小時數據 records were kept: the Ballista cluster cannot compute"), "{err}");

    // The edge cases, as Parquet.
    let (package, facts, edges) = (dir.join("policy"), dir.join("facts"), dir.join("edges"));
    std::fs::create_dir_all(&package).unwrap();
    std::fs::create_dir_all(&facts).unwrap();
    std::fs::write(package.join("p.writ"), [EDGES, common::INSPECTION_KINDS].concat()).unwrap();
    let mut rows = common::edge_readings();
    rows.push("甲,2019-06-02T05:00,8,true".into());
    // Known only after the as-of date.
    rows.push("甲,2020-01-02T05:00,500,true".into());
    std::fs::write(facts.join("讀數.csv"), rows.join("\n") + "\n").unwrap();
    // 乙 has an inspection with no date: its values during a period are unknown, and the
    // cluster's null hands them back to writ, which says why.
    std::fs::write(facts.join("巡查.csv"), common::INSPECTIONS).unwrap();
    convert(&package, &facts, &edges);
    let err = both(&package, &edges, "2019-12-31", &cluster);
    assert!(!err.contains("日 was grouped in writ") && !err.contains("年月 was grouped"), "{err}");
    assert!(!err.contains("站巡 was grouped"), "{err}");
    assert!(err.contains("站年 was grouped in writ, not on the Ballista cluster"), "{err}");

    // The executors worked in their folders; stopping the cluster removes them.
    let work = cluster.work.clone();
    let used = walk(&work);
    drop(cluster);
    assert!(used > 0, "nothing was written in {}", work.display());
    assert!(!work.exists(), "{} was left behind", work.display());
    eprintln!("done in {:.1?}; the executors wrote {used} files", started.elapsed());
    let _ = std::fs::remove_dir_all(&dir);
}

/// How many files are in `dir` and its folders.
fn walk(dir: &Path) -> usize {
    std::fs::read_dir(dir)
        .map(|entries| entries.map(|e| e.unwrap().path()).map(|p| if p.is_dir() { walk(&p) } else { 1 }).sum())
        .unwrap_or(0)
}

/// The Yangquan examples and the four rules of the peer benchmark over generated facts (200
/// enterprises, 20,000 readings), converted to Parquet: the same report natively, on embedded
/// DataFusion and on the cluster. Neither package derives kinds, so every engine evaluates them
/// in writ; this holds that choosing an engine changes nothing else.
#[test]
fn the_examples_and_the_benchmark_rules_give_the_same_report_on_each_engine() {
    let started = std::time::Instant::now();
    let cluster = Loopback::start(2).unwrap();
    let dir = std::env::temp_dir().join(format!("writ-ballista-peers-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);

    let yangquan = root().join("policies/yangquan-2019");
    convert(&yangquan, &root().join("examples/yangquan-2019"), &dir.join("yangquan"));
    let err = both(&yangquan, &dir.join("yangquan"), "2020-01-15", &cluster);
    assert!(!err.contains("note:"), "{err}");

    let generated = dir.join("generated");
    std::fs::create_dir_all(&generated).unwrap();
    peers::generate(peers::Size { name: "test", enterprises: 200, readings: 20_000 }, &generated).unwrap();
    let policy = root().join("benches/peers/policy");
    convert(&policy, &generated, &dir.join("peers"));
    let err = both(&policy, &dir.join("peers"), "2019-12-31", &cluster);
    assert!(!err.contains("note:"), "{err}");

    drop(cluster);
    eprintln!("done in {:.1?}", started.elapsed());
    let _ = std::fs::remove_dir_all(&dir);
}

/// The facts of every `test` block of every bundled package that derives kinds, written as
/// Parquet (one file per kind, as `writ facts convert` writes them), evaluated as of the block's
/// date natively, on embedded DataFusion and on the cluster: the same JSON report each time.
#[test]
fn every_test_block_that_derives_kinds_gives_the_same_report_on_each_engine() {
    let started = std::time::Instant::now();
    let cluster = Loopback::start(2).unwrap();
    let engines = [
        Engine::DataFusion { memory_limit: Some(256 << 20) },
        Engine::Ballista { scheduler: cluster.scheduler.as_str().into() },
    ];
    let style = cli::Style { color: false, width: 80, progress: false };
    let dir = std::env::temp_dir().join(format!("writ-ballista-tests-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let (mut kinds, mut on_cluster, mut n) = (0, 0, 0);
    let blocks = common::each_test_block(
        |model| !model.derived.is_empty(),
        |package, model, t, held| {
            let schema = facts::Schema::of(model);
            let tables = dir.join(n.to_string());
            n += 1;
            std::fs::create_dir_all(&tables).unwrap();
            for (kind, rec) in model.records.iter().enumerate() {
                if rec.derived || held.tables[kind].is_empty() {
                    continue;
                }
                let file = std::fs::File::create(tables.join(format!("{}.parquet", rec.name))).unwrap();
                facts::parquet::write_kind(&schema, held, writ::model::RecordId::at(kind), file).unwrap();
            }
            let paths = [tables];
            let run = |engine: Engine| {
                let files = cli::FactFiles { paths: &paths, encoding: None, threads: Some(2), engine };
                let what = format!("{}: test `{}`", package.display(), t.name);
                let e =
                    cli::evaluate(package, files, t.as_of, style).unwrap_or_else(|o| panic!("{what}: {}", o.stderr));
                (report::json(&e.report()), e.stderr, what)
            };
            let (native, native_err, what) = run(Engine::Native);
            assert!(!native_err.contains("note:"), "{what}: {native_err}");
            for engine in engines.clone() {
                let cluster = matches!(engine, Engine::Ballista { .. });
                let (json, err, _) = run(engine);
                assert!(native == json, "{what}: the JSON reports differ\n{err}");
                if cluster {
                    let (declined, placed): (Vec<&str>, Vec<&str>) = (err.lines())
                        .filter(|l| l.starts_with("note:"))
                        .partition(|l| l.contains(" was grouped in writ"));
                    // Readings that nothing but the grouping reads are not kept, on the cluster
                    // as on DataFusion.
                    for n in &placed {
                        assert!(n.contains("records were placed in the groups"), "{what}: {n}");
                    }
                    // Windows, and kinds grouped from other derived kinds, stay in writ; every
                    // other kind of a block goes to the cluster.
                    for n in &declined {
                        let why = ["its records are derived", "its records are grouped in windows"];
                        assert!(why.iter().any(|w| n.contains(w)), "{what}: {n}");
                    }
                    on_cluster += model.derived.len() - declined.len();
                }
            }
            kinds += model.derived.len();
        },
    );
    eprintln!(
        "{blocks} test blocks, {on_cluster} of {kinds} derived kinds on the cluster, in {:.1?}",
        started.elapsed()
    );
    assert!(blocks >= 3, "only {blocks} test blocks derive kinds");
    assert!(on_cluster * 3 > kinds, "only {on_cluster} of {kinds} derived kinds were computed on the cluster");
    drop(cluster);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Filters comparing a quantity with a constant in another unit and an hour; counts under
/// `exists`, a yes/no field, `year`, `month` and texts; sums, a mean, extremes and a percentile,
/// over moments before 1970 and at midnight; a kind grouped from another; the clauses reading
/// them.
const EDGES: &str = r#"plan p "edges" {
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
}
record 站年 from 日 by 站 = 站 {
  天 = count(日)
  五月 = count(日 where month(日期) == 5 and 站 != "乙")
  均 = mean(日.總 where exists(總))
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
    should 全: d.全 <= 300 ug/m3
    should 低: d.低 >= 5 ug/m3
    should 總: d.總 <= 400 ug/m3
    should p: d.p90 <= 140 ug/m3
    should 年內: d.年內 <= 2
    should 年均: d.年均 <= 100 ug/m3
    should 數: d.有值 >= 2
  }
}
clause 年 "年" {
  cite "2"
  lead 局
  for y in 站年 {
    should 天數: y.天 >= 2
    should 五月: y.五月 >= 1
    should 均: y.均 <= 200 ug/m3
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
