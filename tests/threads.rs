//! Fact files are read on several threads; the output must not depend on how many.

use std::path::{Path, PathBuf};
use writ::cli::{self, FactFiles, Format, Style};
use writ::report::{HumanOptions, Only};

const STYLE: Style = Style { color: false, width: 80, progress: false };

fn run(facts: &str, threads: usize, format: Format) -> cli::Outcome {
    let paths = [Path::new(env!("CARGO_MANIFEST_DIR")).join(facts)];
    let files = FactFiles { paths: &paths, encoding: None, threads: Some(threads), ..Default::default() };
    let policy: PathBuf = Path::new(env!("CARGO_MANIFEST_DIR")).join("policies/yangquan-2019");
    cli::eval(&policy, files, cli::parse_date("2020-01-15").unwrap(), format, STYLE, false)
}

/// The 72 CSV files and the 36 JSON files of the Yangquan examples, one of them cut short (so
/// that diagnostics and lost records are in the output too), on one, two and three threads.
#[test]
fn one_two_and_three_threads_give_the_same_output() {
    let dir = std::env::temp_dir().join(format!("writ-threads-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/yangquan-2019");
    for entry in std::fs::read_dir(&src).unwrap() {
        let p = entry.unwrap().path();
        std::fs::copy(&p, dir.join(p.file_name().unwrap())).unwrap();
    }
    let cut = dir.join("documents.json");
    let text = std::fs::read_to_string(&cut).unwrap();
    std::fs::write(&cut, &text[..text.len() / 2]).unwrap();
    for facts in ["examples/yangquan-2019-formats/csv", dir.to_str().unwrap()] {
        for format in [Format::Json, Format::Human] {
            let one = run(facts, 1, format);
            for threads in [2, 3] {
                let many = run(facts, threads, format);
                assert_eq!(one.code, many.code, "{facts}, {threads} threads");
                assert!(one.stdout == many.stdout, "{facts}, {threads} threads: the reports differ");
                assert!(one.stderr == many.stderr, "{facts}, {threads} threads: the diagnostics differ");
            }
            assert!(!one.stdout.is_empty(), "{}", one.stderr);
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A scope over every record of a kind, large enough to be split across threads: 10,000
/// readings with breaches, records rejected without a key (at one line of two files, so
/// ids get `#2`), a field that cannot be read, a per-record requirement with an aggregate
/// inside it and a nested scope, a clause that reads another's verdicts, and the months of a
/// year each counting the readings (split across threads too). The reports on
/// one, two and three threads are the same, byte for byte. The JSON report has enough verdicts
/// to be laid out on several threads too (blocks of 2,048 verdicts), and so has the human one
/// when it lists every verdict.
#[test]
fn a_large_scope_split_across_threads_gives_the_same_output() {
    let dir = std::env::temp_dir().join(format!("writ-threads-eval-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let (policy, facts) = (dir.join("policy"), dir.join("facts"));
    std::fs::create_dir_all(&policy).unwrap();
    std::fs::create_dir_all(facts.join("more")).unwrap();
    std::fs::write(
        policy.join("p.writ"),
        r#"plan 測試 "threads" {
  period 2019-01-01 .. 2019-12-31
  roles lead "牽頭"
}

party 局 "局"

record 工地 "工地" key 名稱 {
  名稱: text
}

record 區 "區" key 名稱 {
  名稱: text
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
    must count(監測 where 工地 == r.工地 and PM10 >= 250 ug/m3) < 40
    for z in 區 {
      should count(監測 where 工地 == r.工地) < 1000
    }
  }
}

clause 月度 "月度" {
  cite "一" "text"
  lead 局
  every month m of plan.period {
    must count(監測 where PM10 >= 250 ug/m3 during m) < 50
    should count(監測 during m) > 0
  }
}

clause 複查 "複查" {
  cite "一" "text"
  lead 局
  for r in 監測 where violated(小時值, r) {
    must r.PM10 < 400 ug/m3
  }
}
"#,
    )
    .unwrap();
    let mut sites = String::from("名稱\n");
    for s in 0..100 {
        sites.push_str(&format!("S{s:03}\n"));
    }
    std::fs::write(facts.join("工地.csv"), sites).unwrap();
    std::fs::write(facts.join("區.csv"), "名稱\n東\n西\n").unwrap();
    let mut readings = String::from("編號,工地,日期,PM10\n");
    for i in 0..10_000u32 {
        let pm10 = match i {
            _ if i % 97 == 0 => "300".to_string(),
            _ if i % 1013 == 0 => "many".to_string(),
            _ => format!("{}", (i * 37) % 240),
        };
        let key = if i == 5 { String::new() } else { format!("R{i:05}") };
        let month = 1 + i % 12;
        readings.push_str(&format!("{key},S{:03},2019-{month:02}-15,{pm10}\n", (i * 7) % 100));
    }
    std::fs::write(facts.join("監測.csv"), &readings).unwrap();
    std::fs::write(facts.join("more/監測.csv"), "編號,工地,日期,PM10\nQ1,S001,2019-03-01,10\nQ2,S001,2019-03-01,10\nQ3,S001,2019-03-01,10\nQ4,S001,2019-03-01,10\nQ5,S001,2019-03-01,10\n,S002,2019-03-01,10\n")
        .unwrap();
    let run_with = |threads: usize, format: Format, options: &HumanOptions| {
        let paths = [facts.clone()];
        let files = FactFiles { paths: &paths, encoding: None, threads: Some(threads), ..Default::default() };
        cli::eval_with(&policy, files, cli::parse_date("2019-12-31").unwrap(), format, STYLE, false, options)
    };
    let run = |threads: usize, format: Format| run_with(threads, format, &HumanOptions::default());
    // Listing every verdict, the human report lays out more lines than a block on each thread.
    let all = HumanOptions { only: Some(Only::All), ..Default::default() };
    for (format, options) in
        [(Format::Json, HumanOptions::default()), (Format::Human, HumanOptions::default()), (Format::Human, all)]
    {
        let one = run_with(1, format, &options);
        assert!(!one.stdout.is_empty(), "{}", one.stderr);
        for threads in [2, 3] {
            let many = run_with(threads, format, &options);
            assert_eq!(one.code, many.code, "{threads} threads");
            assert!(one.stdout == many.stdout, "{threads} threads: the reports differ");
            assert!(one.stderr == many.stderr, "{threads} threads: the diagnostics differ");
        }
    }
    let lines = run_with(2, Format::Human, &all).stdout;
    assert!(lines.lines().filter(|l| l.starts_with("  ✓ ")).count() > 3 * 2048, "too few lines for three threads");
    let json = run(2, Format::Json).stdout;
    for expected in ["\"violated\"", "#2", "\"rejected\": 2", "\"unreadable_fields\": 9"] {
        assert!(json.contains(expected), "the report has {expected}");
    }
    assert_eq!(json.matches("\"clause\":\"月度\"").count(), 24, "two verdicts a month");
    let verdicts = json.matches("\n    {\"id\":").count();
    assert!(verdicts > 3 * 2048, "{verdicts} verdicts: too few for three threads to lay out a block each");
    std::fs::remove_dir_all(&dir).unwrap();
}
