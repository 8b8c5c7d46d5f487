//! The `writ` binary as a user runs it: exit codes, locations, every policy package's tests.

use std::path::Path;
use std::process::Command;

mod common;
use common::writ;

#[test]
fn the_yangquan_policies_check_cleanly() {
    let (code, out, err) = writ(&["check", "policies/yangquan-2019"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("0 warnings"), "{out}");
    assert!(err.is_empty(), "{err}");
}

/// `cargo test` runs the `test` blocks of every package in `policies/`. (The standard packages
/// in `policies/standards/` are a library, each with a test package of its own: see
/// `tests/standards.rs`.)
#[test]
fn every_policy_package_passes_its_tests() {
    let dirs: Vec<_> = std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("policies"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir() && !p.ends_with("standards"))
        .collect();
    assert!(!dirs.is_empty());
    for dir in dirs {
        let (code, out, err) = writ(&["test", dir.to_str().unwrap()]);
        assert_eq!(code, 0, "{}: {out}{err}", dir.display());
        let last = out.lines().last().unwrap_or("");
        assert!(last.ends_with(" passed, 0 failed"), "{last}");
        let passed: usize = last.split_whitespace().next().unwrap().parse().unwrap();
        assert!(passed > 0, "{} has no tests", dir.display());
    }
}

#[test]
fn the_committed_policies_are_formatted() {
    let (code, out, err) = writ(&["fmt", "--check", "policies/", "benches/", "examples/"]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(out, "", "no diff");
}

#[test]
fn fmt_check_prints_a_diff_and_exits_1_then_fmt_rewrites_the_file() {
    let dir = std::env::temp_dir().join(format!("writ-fmt-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let messy = dir.join("messy.writ");
    let tidy = dir.join("tidy.writ");
    let text = "party 甲局\nclause c \"t\" { lead 甲局 // who\n  for x in K { must x.a<=30 mg/m3 } }\n";
    let formatted =
        "party 甲局\nclause c \"t\" {\n  lead 甲局 // who\n  for x in K {\n    must x.a <= 30 mg/m3\n  }\n}\n";
    std::fs::write(&messy, text).unwrap();
    std::fs::write(&tidy, formatted).unwrap();
    let path = dir.to_str().unwrap();

    let (code, out, err) = writ(&["fmt", "--check", path]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains("messy.writ"), "{out}");
    assert!(!out.contains("tidy.writ"), "only the file that would change: {out}");
    assert!(out.contains("-clause c \"t\" { lead 甲局 // who"), "{out}");
    assert!(out.contains("+    must x.a <= 30 mg/m3"), "{out}");
    assert!(err.contains("2 files, 1 would be reformatted"), "{err}");
    assert_eq!(std::fs::read_to_string(&messy).unwrap(), text, "--check writes nothing");

    let before = std::fs::metadata(&tidy).unwrap().modified().unwrap();
    let (code, out, err) = writ(&["fmt", path]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(std::fs::read_to_string(&messy).unwrap(), formatted);
    assert_eq!(std::fs::metadata(&tidy).unwrap().modified().unwrap(), before, "an unchanged file is not written");

    let (code, out, err) = writ(&["fmt", "--check", path]);
    assert_eq!((code, out.as_str(), err.as_str()), (0, "", ""));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn fmt_refuses_a_file_that_does_not_parse_and_says_where() {
    let dir = std::env::temp_dir().join(format!("writ-fmt-broken-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let broken = dir.join("broken.writ");
    let text = "party 甲局\nclause c {\n  lead\n}\n";
    std::fs::write(&broken, text).unwrap();
    let (code, _out, err) = writ(&["fmt", broken.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("syntax-error"), "{err}");
    assert!(err.contains("broken.writ:4:1"), "file, line and column: {err}");
    assert_eq!(std::fs::read_to_string(&broken).unwrap(), text, "left as it is");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn fmt_dash_formats_standard_input() {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_writ"))
        .args(["fmt", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("the writ binary runs");
    child.stdin.take().unwrap().write_all("party  甲局  “甲”\ngroup 各＝［甲局］".as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "party 甲局 “甲”\ngroup 各 = [甲局]\n");
}

#[test]
fn two_files_four_mistakes_are_all_reported() {
    let (code, _out, err) = writ(&["check", "tests/fixtures/packages/four-errors"]);
    assert_eq!(code, 2);
    for (code, at) in [
        ("syntax-error", "a-broken.writ:5:1"),
        ("unknown-party", "b-clauses.writ:15:8"),
        ("unit-mismatch", "b-clauses.writ:17:"),
        ("non-exhaustive-match", "b-clauses.writ:18:"),
    ] {
        assert!(err.contains(code), "missing {code} in:\n{err}");
        assert!(err.contains(at), "missing location {at} in:\n{err}");
    }
    assert_eq!(err.matches("help:").count(), 4, "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn a_bad_fact_value_exits_2_with_its_location() {
    let (code, _out, err) = writ(&[
        "eval",
        "policies/yangquan-2019",
        "--facts",
        "tests/fixtures/facts/bad-value",
        "--as-of",
        "2019-10-15",
        "--strict",
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("tests/fixtures/facts/bad-value/kilns.json:4:"), "{err}");
    assert!(err.contains("thirty"), "{err}");
}

/// Without `--strict`, a bad value is reported and the rest evaluated; the verdicts that
/// needed it are `unknown`.
#[test]
fn without_strict_bad_facts_are_reported_and_the_rest_evaluated() {
    let facts = "tests/fixtures/facts/bad-value-among-good";
    let args = ["eval", "policies/yangquan-2019", "--facts", facts, "--as-of", "2019-10-15", "--format", "json"];
    let (code, out, err) = writ(&args);
    assert!(err.contains("kilns.json:4:") && err.contains("thirty"), "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("json output parses");
    let status = |id: &str| {
        let verdicts = v["verdicts"].as_array().unwrap();
        let found = verdicts.iter().find(|x| x["id"] == id);
        found.unwrap_or_else(|| panic!("no verdict {id} in {out}"))["status"].as_str().unwrap().to_string()
    };
    assert_eq!(status("爐窯限值/K-1/顆粒物"), "satisfied");
    // K-2's `顆粒物` could not be read: only what reads it is unknown; the record is kept.
    assert_eq!(status("爐窯限值/K-2/顆粒物"), "unknown", "K-2's 顆粒物 could not be read");
    assert_eq!(status("爐窯限值/K-2/二氧化硫"), "satisfied", "K-2's other fields were read");
    assert_eq!(v["summary"]["records"]["工業爐窯"]["rejected"], 0, "{}", v["summary"]);
    assert_eq!(v["summary"]["records"]["工業爐窯"]["unreadable_fields"], 1, "{}", v["summary"]);
    // The exit code comes from the verdicts: this enterprise breaches other clauses.
    let breach = ["violated", "overdue", "fulfilled_late"];
    let breach = v["verdicts"].as_array().unwrap().iter().any(|x| breach.iter().any(|b| x["status"] == *b));
    assert_eq!(code, if breach { 1 } else { 0 }, "{err}");
    let (code, _, _) = writ(&[&args[..], &["--strict"]].concat());
    assert_eq!(code, 2);
}

/// A folder mixing every format evaluates as the JSON examples do.
#[test]
fn a_folder_mixing_every_format_evaluates_like_the_json_examples() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = std::env::temp_dir().join(format!("writ-mixed-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let examples = root.join("examples/yangquan-2019");
    let json = |name: &str| -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(examples.join(name)).unwrap()).unwrap()
    };
    for entry in std::fs::read_dir(&examples).unwrap() {
        let p = entry.unwrap().path();
        let name = p.file_name().unwrap().to_str().unwrap();
        match name {
            // XLSX, CSV (GBK), TOML and NDJSON below. `企業.csv` holds the `企業` records of
            // every example file.
            "kilns.json" | "enterprises.json" | "industry-enterprises.json" | "counties.json" | "documents.json" => {}
            "area-targets-safeguards.json" => {
                let mut rest = json(name);
                rest.as_object_mut().unwrap().remove("企業").unwrap();
                std::fs::write(dir.join(name), rest.to_string()).unwrap();
            }
            // JSON is YAML.
            "offences.json" => std::fs::copy(&p, dir.join("offences.yaml")).map(drop).unwrap(),
            n if n.ends_with(".json") => std::fs::copy(&p, dir.join(n)).map(drop).unwrap(),
            _ => {}
        }
    }
    std::fs::copy(root.join("examples/yangquan-2019-formats/csv/企業.csv"), dir.join("企業.csv")).unwrap();

    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet().set_name("工業爐窯").unwrap();
    let kilns = json("kilns.json")["工業爐窯"].as_array().unwrap().clone();
    let mut fields: Vec<String> = Vec::new();
    for k in &kilns {
        for f in k.as_object().unwrap().keys() {
            if !fields.contains(f) {
                fields.push(f.clone());
            }
        }
    }
    for (c, f) in fields.iter().enumerate() {
        sheet.write_string(0, c as u16, f).unwrap();
    }
    for (r, k) in kilns.iter().enumerate() {
        for (c, f) in fields.iter().enumerate() {
            let (r, c) = (r as u32 + 1, c as u16);
            match &k[f] {
                serde_json::Value::String(s) => sheet.write_string(r, c, s).map(drop).unwrap(),
                serde_json::Value::Number(n) => sheet.write_number(r, c, n.as_f64().unwrap()).map(drop).unwrap(),
                serde_json::Value::Bool(b) => sheet.write_boolean(r, c, *b).map(drop).unwrap(),
                _ => {}
            }
        }
    }
    book.save(dir.join("kilns.xlsx")).unwrap();

    let mut toml = String::new();
    for c in json("counties.json")["縣區"].as_array().unwrap() {
        toml.push_str(&format!("[[\"縣區\"]]\n\"名稱\" = {}\n\"柴油車保有量\" = {}\n\n", c["名稱"], c["柴油車保有量"]));
    }
    std::fs::write(dir.join("counties.toml"), toml).unwrap();

    let mut ndjson = String::new();
    for (kind, records) in json("documents.json").as_object().unwrap() {
        for r in records.as_array().unwrap() {
            let mut r = r.as_object().unwrap().clone();
            r.insert("kind".into(), kind.clone().into());
            ndjson.push_str(&serde_json::to_string(&r).unwrap());
            ndjson.push('\n');
        }
    }
    std::fs::write(dir.join("documents.jsonl"), ndjson).unwrap();

    let eval = |facts: &str| {
        let (code, out, err) =
            writ(&["eval", "policies/yangquan-2019", "--facts", facts, "--as-of", "2020-01-15", "--format", "json"]);
        let v: serde_json::Value = serde_json::from_str(&out).expect("json output parses");
        let mut statuses: Vec<String> = v["verdicts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| format!("{} {}", x["id"].as_str().unwrap(), x["status"].as_str().unwrap()))
            .collect();
        statuses.sort();
        (code, statuses, err)
    };
    let (code, mixed, err) = eval(dir.to_str().unwrap());
    assert!(err.is_empty(), "{err}");
    let (expected_code, expected, _) = eval("examples/yangquan-2019");
    assert_eq!(code, expected_code);
    assert_eq!(mixed, expected);
    let mut exts: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path().extension().unwrap().to_str().unwrap().to_string())
        .collect();
    exts.sort();
    exts.dedup();
    assert_eq!(exts, ["csv", "json", "jsonl", "toml", "xlsx", "yaml"]);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn eval_exit_code_reflects_breaches_and_json_has_the_contract_fields() {
    let args = [
        "eval",
        "policies/yangquan-2019",
        "--facts",
        "examples/yangquan-2019",
        "--as-of",
        "2020-01-15",
        "--format",
        "json",
    ];
    let (code, out, err) = writ(&args);
    assert_eq!(code, 1, "the examples contain violations: {err}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("json output parses");
    for key in ["plan", "as_of", "summary", "verdicts", "input", "diagnostics"] {
        assert!(v.get(key).is_some(), "missing {key}");
    }
    assert_eq!(v["input"]["complete"], true, "{}", v["input"]);
    assert_eq!(v["diagnostics"], serde_json::json!([]));
    let verdicts = v["verdicts"].as_array().unwrap();
    for verdict in verdicts {
        for key in ["id", "clause", "cite", "status", "subject", "deadline", "parties", "evidence", "sanctions"] {
            assert!(verdict.get(key).is_some(), "verdict lacks {key}: {verdict}");
        }
    }
    let mut statuses: Vec<&str> = verdicts.iter().map(|v| v["status"].as_str().unwrap()).collect();
    statuses.sort();
    statuses.dedup();
    assert_eq!(
        statuses,
        [
            "exempt",
            "fulfilled",
            "fulfilled_late",
            "met",
            "missed",
            "not_applicable",
            "overdue",
            "pending",
            "satisfied",
            "unknown",
            "violated"
        ],
        "the bundled examples cover every status"
    );
    // Deterministic: the same run twice gives the same bytes.
    let (_, again, _) = writ(&args);
    assert_eq!(out, again);
}

#[test]
fn bad_arguments_exit_2() {
    let (code, _, err) =
        writ(&["eval", "policies/yangquan-2019", "--facts", "examples/yangquan-2019", "--as-of", "2019-02-30"]);
    assert_eq!(code, 2);
    assert!(err.contains("2019-02-30"), "{err}");
    let (code, _, err) = writ(&["check", "no/such/folder"]);
    assert_eq!(code, 2);
    assert!(err.contains("no/such/folder"), "{err}");
}

#[test]
fn a_declared_csv_encoding_reads_the_gbk_copies_as_detection_does() {
    let args =
        ["eval", "policies/yangquan-2019", "--facts", "examples/yangquan-2019-formats/csv", "--as-of", "2020-01-15"];
    let (code, detected, err) = writ(&args);
    assert_eq!((code, err.as_str()), (1, ""));
    let (code, declared, err) = writ(&[&args[..], &["--encoding", "gbk"]].concat());
    assert_eq!((code, err.as_str()), (1, ""));
    assert_eq!(declared, detected);
    // A file that is not GBK, declared GBK, is an error naming the declaration.
    let (code, _, err) = writ(&[&args[..], &["--encoding", "big5"]].concat());
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("(as declared)"), "{err}");
    let (code, _, err) = writ(&[&args[..], &["--encoding", "klingon"]].concat());
    assert_eq!(code, 2);
    assert!(err.contains("`klingon` is not an encoding"), "{err}");
}

#[test]
fn explain_shows_one_verdict_and_suggests_a_near_id() {
    let args = [
        "explain",
        "policies/yangquan-2019",
        "搬遷改造/陽泉市水泵廠/1",
        "--facts",
        "examples/yangquan-2019",
        "--as-of",
        "2019-10-15",
    ];
    // In the plan's language (`language "zh-Hant"`), and in English on request.
    let (code, out, err) = writ(&args);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("核查結果： 逾期完成（截至2019年10月15日）"), "{out}");
    assert!(out.contains("完成日期： 2019年10月10日"), "{out}");
    assert!(out.contains("  牽頭       市工信局"), "{out}");
    let english: Vec<&str> = args.iter().copied().chain(["--lang", "en"]).collect();
    let (code, out, err) = writ(&english);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("fulfilled_late"), "{out}");
    assert!(out.contains("done on:     2019-10-10"), "{out}");
    assert!(out.contains("  lead         市工信局"), "{out}");
    assert!(out.contains("examples/yangquan-2019/enterprises.json:3"), "{out}");
    let mut wrong = args;
    wrong[2] = "搬遷改造/陽泉市水泵/1";
    let (code, _, err) = writ(&wrong);
    assert_eq!(code, 2);
    assert!(err.contains("did you mean `搬遷改造/陽泉市水泵廠/1`?"), "{err}");
}

/// `writ explain` on a verdict over a derived record shows the record's values and the records
/// it was derived from, each with its own values and where its records were read.
#[test]
fn explain_follows_a_derived_record_down_to_the_rows_read() {
    let base = ["--facts", "tests/fixtures/eval/statistics/facts", "--as-of", "2020-01-15"];
    let (code, out, err) =
        writ(&[&["explain", "tests/fixtures/eval/statistics/policy", "臭氧/甲/二級"], &base[..]].concat());
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("O3年 甲: 天數 = 2, 第90百分位 = 180.5 ug/m3, 評價值 = 180 ug/m3"), "{out}");
    assert!(out.contains("from 2 O3日 records:"), "{out}");
    assert!(
        out.contains("O3日 甲, 2019-01-01: 有效窗口 = 17, 有效 = true, O3 = 195 ug/m3 · from 17 O3八小時 records"),
        "{out}"
    );
    let daily = ["--facts", "tests/fixtures/eval/daily-means/facts", "--as-of", "2019-01-03"];
    let id = "日均值/甲, 2019-01-02/不超過150";
    let (code, out, err) = writ(&[&["explain", "tests/fixtures/eval/daily-means/policy", id], &daily[..]].concat());
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("日數據 甲, 2019-01-02: 小時數 = 19, 有效 = false, PM10 = unknown (PM10 is not valid: `小時數 >= 20` does not hold (小時數 = 19))"),
        "{out}"
    );
    assert!(out.contains("from 24 小時數據 records, tests/fixtures/eval/daily-means/facts/PRSA_Data_Test_20190101-20190104.csv lines 26–49"), "{out}");
}

/// A fact file that cannot be read at all loses records that are not even counted as rejected:
/// that is invalid input with or without `--strict`.
#[test]
fn an_unreadable_fact_file_exits_2_even_without_strict() {
    let dir = std::env::temp_dir().join(format!("writ-unreadable-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("kilns.json"), "{ \"工業爐窯\": [ { \"編號\": \"K1\" } ").unwrap();
    let (code, _out, err) =
        writ(&["eval", "policies/yangquan-2019", "--facts", dir.to_str().unwrap(), "--as-of", "2019-10-15"]);
    std::fs::remove_dir_all(&dir).ok();
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("fact-syntax"), "{err}");
}

#[test]
fn a_streamed_ndjson_file_shows_the_lines_its_diagnostics_point_at() {
    let dir = std::env::temp_dir().join(format!("writ-ndjson-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let long = format!("{{\"編號\": \"K9\", \"顆粒物\": \"{}\"}}", "x".repeat(100_000));
    let lines = [
        "{\"編號\": \"K1\", \"顆粒物\": 20}",
        "{\"編號\": \"K2\", \"顆粒物\": 21}",
        "{\"編號\": \"K3\", \"顆粒物\": \"thirty\"}",
        &long,
        "{\"編號\": \"K1\", \"顆粒物\": 22}",
    ];
    std::fs::write(dir.join("工業爐窯.ndjson"), lines.join("\n") + "\n").unwrap();
    let (code, _out, err) =
        writ(&["eval", "policies/yangquan-2019", "--facts", dir.to_str().unwrap(), "--as-of", "2019-10-15"]);
    std::fs::remove_dir_all(&dir).ok();
    assert_eq!(code, 1, "rejected records are reported and the rest evaluated: {err}");
    // Each diagnostic names its line and column and shows that line, read back from the file.
    assert!(err.contains("工業爐窯.ndjson:3:21]"), "{err}");
    assert!(err.contains(" 3 │ {\"編號\": \"K3\", \"顆粒物\": \"thirty\"}"), "{err}");
    assert!(err.contains("工業爐窯.ndjson:4:21]"), "{err}");
    assert!(err.contains("工業爐窯.ndjson:5:8]"), "duplicate key: {err}");
    assert!(err.contains(" 5 │ {\"編號\": \"K1\", \"顆粒物\": 22}"), "{err}");
    // A long line is shown cut, not whole.
    assert!(err.len() < 90_000, "stderr of {} bytes", err.len());
}

/// A program that reads the JSON and not the exit code still sees that input was lost: the
/// diagnostics are in the document, with their places, and `input` says what was lost.
#[test]
fn json_carries_the_diagnostics_and_what_the_input_lost() {
    let facts = "tests/fixtures/facts/bad-value-among-good";
    let args = ["eval", "policies/yangquan-2019", "--facts", facts, "--as-of", "2019-10-15", "--format", "json"];
    let (_, out, _) = writ(&args);
    let v: serde_json::Value = serde_json::from_str(&out).expect("json output parses");
    assert_eq!(
        v["input"],
        serde_json::json!({"complete": false, "unread": false, "rejected": 0, "unreadable_fields": 1, "errors": 1, "warnings": 0})
    );
    let d = &v["diagnostics"][0];
    assert_eq!(d["code"], "bad-value");
    assert_eq!(d["severity"], "error");
    assert_eq!(d["file"], format!("{facts}/kilns.json"));
    // The place the human output shows as `kilns.json:4:61`.
    assert_eq!((d["line"].as_u64(), d["column"].as_u64()), (Some(4), Some(61)));
    assert!(d["message"].as_str().unwrap().contains("thirty"), "{d}");
    assert!(d["help"].as_str().is_some_and(|h| !h.is_empty()), "{d}");
    assert_eq!(
        v["summary"]["records"]["工業爐窯"],
        serde_json::json!({"loaded": 2, "used": 2, "unused": 0, "rejected": 0, "unreadable_fields": 1})
    );

    // `explain` and `agenda` read the same facts and say the same.
    let explain =
        ["explain", "policies/yangquan-2019", "爐窯限值/K-2/顆粒物", "--facts", facts, "--as-of", "2019-10-15"];
    let agenda = ["agenda", "policies/yangquan-2019", "--facts", facts, "--from", "2019-10-01", "--to", "2019-10-31"];
    for args in [&explain[..], &agenda[..]] {
        let (_, out, err) = writ(&[args, &["--format", "json"]].concat());
        let v: serde_json::Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}{err}"));
        assert_eq!(v["input"]["complete"], false, "{args:?}");
        assert_eq!(v["diagnostics"][0]["code"], "bad-value", "{args:?}");
    }

    // Input that stops the evaluation still gives a JSON document saying why.
    let args =
        ["eval", "policies/yangquan-2019", "--facts", "no/such/folder", "--as-of", "2019-10-15", "--format", "json"];
    let (code, out, _) = writ(&args);
    assert_eq!(code, 2);
    let v: serde_json::Value = serde_json::from_str(&out).expect("json output parses");
    assert_eq!(v["input"]["unread"], true);
    assert_eq!(v["verdicts"], serde_json::json!([]));
    assert_eq!(v["diagnostics"][0]["code"], "io-error");
}

/// A workbook's diagnostics have no line or column; their message names the cell.
#[test]
fn json_diagnostics_of_a_workbook_name_the_cell() {
    let dir = std::env::temp_dir().join(format!("writ-json-xlsx-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut book = rust_xlsxwriter::Workbook::new();
    book.add_worksheet().set_name("工業爐窯").unwrap();
    book.add_worksheet().set_name("Sheet1").unwrap();
    book.save(dir.join("facts.xlsx")).unwrap();
    let args = [
        "eval",
        "policies/yangquan-2019",
        "--facts",
        dir.to_str().unwrap(),
        "--as-of",
        "2019-10-15",
        "--format",
        "json",
    ];
    let (code, out, err) = writ(&args);
    std::fs::remove_dir_all(&dir).ok();
    // An empty sheet of a record kind is input lost: exit 2 whatever `--strict` says.
    assert_eq!(code, 2, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("json output parses");
    assert_eq!((v["input"]["complete"].as_bool(), v["input"]["unread"].as_bool()), (Some(false), Some(true)));
    let found: Vec<(&str, &str, &str)> = v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| (d["code"].as_str().unwrap(), d["severity"].as_str().unwrap(), d["message"].as_str().unwrap()))
        .collect();
    assert_eq!(
        found,
        [
            ("empty-sheet", "error", "`工業爐窯!A1`: the `工業爐窯` sheet is empty: no header row and no records"),
            ("empty-sheet", "warning", "`Sheet1!A1`: the sheet `Sheet1` is empty, and its name is no record kind"),
        ]
    );
    assert!(v["diagnostics"].as_array().unwrap().iter().all(|d| d["line"].is_null() && d["column"].is_null()));
}

/// Bytes a terminal acts on or that reorder or hide text: C0 controls but tab and line feed,
/// DEL, C1 controls, bidirectional formatting and zero-width characters.
fn raw_controls(text: &str) -> Vec<String> {
    text.chars()
        .filter(|&c| {
            (c.is_control() && c != '\n')
                || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200B}'..='\u{200F}' | '\u{061C}')
        })
        .map(|c| format!("U+{:04X}", c as u32))
        .collect()
}

/// Escape sequences, NUL and a right-to-left override in a policy's text and in facts (keys,
/// values, field names) reach no output raw: every human writer shows them as `\u{…}` escapes,
/// and JSON escapes them as serde does.
#[test]
fn control_characters_from_policies_and_facts_are_escaped_in_every_output() {
    let dir = std::env::temp_dir().join(format!("writ-controls-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("policy")).unwrap();
    let policy = "plan p \"計劃\u{1b}]0;pwned\u{7}\" {\n  period 2019-01-01 .. 2019-12-31\n  roles lead \"牽頭\"\n}\n\
        party 市局 \"市\u{1b}[2J局\"\n\
        record 企業 key 名稱 {\n  名稱: text\n  濃度: mg/m3\n  完成日?: date\n}\n\
        clause c \"標題\u{1b}[31m\" {\n  cite \"1\" \"原文\u{0}\u{9}\u{85}\"\n  lead 市局\n  for e in 企業 {\n\
        \x20   must e.濃度 <= 30 mg/m3\n    must e.完成日 by 2019-06-30\n  }\n}\n";
    std::fs::write(dir.join("policy/p.writ"), policy).unwrap();
    let facts = r#"{ "企業": [
  { "名稱": "甲\u001b[31m廠\u0000", "濃度": 31, "完成日": null },
  { "名稱": "乙\u202e廠", "濃度": 5, "完成日": "2019-05-01" },
  { "名稱": "丙廠", "濃度": "3\u001b[2J0" },
  { "名稱": "丁廠", "濃度": 1, "備\u001b註": 1 }
] }"#;
    std::fs::write(dir.join("facts.json"), facts).unwrap();
    let (p, f) = (dir.join("policy"), dir.join("facts.json"));
    let (p, f) = (p.to_str().unwrap(), f.to_str().unwrap());
    let mut seen = 0;
    for args in [
        vec!["check", p],
        vec!["eval", p, "--facts", f, "--as-of", "2019-10-15"],
        vec!["eval", p, "--facts", f, "--as-of", "2019-10-15", "--format", "json"],
        vec!["agenda", p, "--facts", f, "--from", "2019-01-01", "--to", "2019-12-31"],
        vec!["explain", p, "c/乙\u{202e}廠/1", "--facts", f, "--as-of", "2019-10-15"],
    ] {
        let (code, out, err) = writ(&args);
        assert!(code == 0 || code == 1 || code == 2, "{args:?}: {code}");
        assert_eq!(raw_controls(&out), Vec::<String>::new(), "{args:?} stdout:\n{out}");
        assert_eq!(raw_controls(&err), Vec::<String>::new(), "{args:?} stderr:\n{err}");
        seen += out.matches("\\u{1b}").count() + err.matches("\\u{1b}").count() + out.matches("\\u001b").count();
        if args[0] == "eval" && !args.contains(&"json") {
            assert!(out.contains("甲\\u{1b}[31m廠\\u{0}"), "the key is shown escaped:\n{out}");
            assert!(out.contains("乙\\u{202e}廠"), "the override is shown escaped:\n{out}");
            assert!(out.contains("原文\\u{0}\\t\\u{85}"), "a tab inside a value is escaped:\n{out}");
            // The bad value is quoted in the message and shown in its snippet, both escaped.
            assert!(err.contains("`\\u{1b}[2J0`"), "{err}");
        }
        if args[0] == "agenda" {
            assert!(out.contains("甲\\u{1b}[31m廠\\u{0}"), "{args:?}:\n{out}");
        }
        if args[0] == "explain" {
            assert!(out.contains("乙\\u{202e}廠"), "{args:?}:\n{out}");
        }
        if args.contains(&"json") {
            let json: serde_json::Value = serde_json::from_str(&out).unwrap();
            let keys: Vec<&str> =
                json["verdicts"].as_array().unwrap().iter().filter_map(|v| v["subject"][0]["key"].as_str()).collect();
            assert!(keys.contains(&"甲\u{1b}[31m廠\u{0}"), "JSON keeps the data as it is: {keys:?}");
        }
    }
    assert!(seen >= 5, "the escapes are shown");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A fact key with a zero width space looks like the key a clause names but is not it, and a
/// key with a Cyrillic `С` looks like one with a Latin `C`: each gets a warning at the key in
/// the fact file, pointing at the key it looks like.
#[test]
fn fact_keys_that_look_like_other_keys_are_pointed_out() {
    let dir = std::env::temp_dir().join(format!("writ-lookalike-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("policy")).unwrap();
    let policy = "plan p \"計劃\" {\n  period 2019-01-01 .. 2019-12-31\n  roles lead \"牽頭\"\n}\n\
        party 市局 \"市局\"\nrecord 企業 key 名稱 {\n  名稱: text\n  濃度: mg/m3\n}\n\
        clause c \"x\" {\n  cite \"1\" \"abc\"\n  lead 市局\n  for e in 企業[\"陽泉市水泵廠\"] {\n\
        \x20   must e.濃度 <= 30 mg/m3\n  }\n}\n";
    std::fs::write(dir.join("policy/p.writ"), policy).unwrap();
    let facts = "{ \"企業\": [\n  { \"名稱\": \"陽泉市水\\u200b泵廠\", \"濃度\": 31 },\n  \
        { \"名稱\": \"C廠\", \"濃度\": 1 },\n  { \"名稱\": \"С廠\", \"濃度\": 1, \"濃\\u200b度\": 2 }\n] }\n";
    std::fs::write(dir.join("facts.json"), facts).unwrap();
    let (p, f) = (dir.join("policy"), dir.join("facts.json"));
    let (code, out, err) =
        writ(&["eval", p.to_str().unwrap(), "--facts", f.to_str().unwrap(), "--as-of", "2019-06-01"]);
    // The named subject is still unknown: the warning explains it, it does not change it.
    assert_eq!(code, 0, "{err}");
    // A field name with a zero width space is an unknown field, and the field it looks like is
    // suggested, though one edit in a two-character name is too many for a typo.
    assert!(err.contains("unknown field `濃\\u{200b}度`"), "{err}");
    assert!(err.contains("did you mean `濃度`?"), "{err}");
    assert!(out.contains("unknown        企業 陽泉市水泵廠"), "{out}");
    assert_eq!(err.matches("confusable-key").count(), 2, "{err}");
    assert!(err.contains("U+200B ZERO WIDTH SPACE"), "{err}");
    assert!(err.contains("Cyrillic `С` U+0421") && err.contains("`C` U+0043"), "{err}");
    // At the fact key, with the clause's key and the other fact key as the related places.
    assert!(err.contains("facts.json:2:11"), "{err}");
    assert!(err.contains("p.writ:13:15"), "{err}");
    assert!(err.contains("facts.json:4:11") && err.contains("facts.json:3:11"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// The binary streams the report and ends without freeing what it evaluated: what it prints,
/// on both streams, and its exit code are those of the same evaluation run in process.
#[test]
fn the_binary_prints_what_the_library_evaluates() {
    use writ::cli::{self, Format, Style};
    let style = Style { color: false, width: 100, progress: false };
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for (facts, code) in [("examples/yangquan-2019", 1), ("examples/no-such-folder", 2)] {
        for (format, name) in [(Format::Human, "human"), (Format::Json, "json")] {
            let (got, out, err) =
                writ(&["eval", "policies/yangquan-2019", "--facts", facts, "--as-of", "2019-10-15", "--format", name]);
            let paths = [std::path::PathBuf::from(facts)];
            std::env::set_current_dir(root).unwrap();
            let want = cli::eval(
                Path::new("policies/yangquan-2019"),
                &paths,
                cli::parse_date("2019-10-15").unwrap(),
                format,
                style,
                false,
            );
            assert_eq!(got, code, "{facts} {name}: {err}");
            assert_eq!(got, want.code, "{facts} {name}");
            assert!(out == want.stdout, "{facts} {name}: the report differs");
            assert!(err == want.stderr, "{facts} {name}: the diagnostics differ");
        }
    }
}

/// The formats `writ eval --help` names are the formats writ reads.
#[test]
fn the_help_names_every_fact_format() {
    let (code, out, _) = writ(&["eval", "--help"]);
    assert_eq!(code, 0);
    for (_, exts) in writ::facts::FORMATS {
        assert!(out.contains(&format!("`.{}`", exts[0])), "`writ eval --help` does not name `.{}`: {out}", exts[0]);
    }
}

/// The report flags through the binary: `--lang` over the plan's declared language, `--only`
/// and `--summary`, and a language writ does not write refused as an argument.
#[test]
fn report_language_and_selection_flags() {
    let base = ["eval", "policies/yangquan-2019", "--facts", "examples/yangquan-2019", "--as-of", "2020-01-15"];
    let with = |extra: &[&str]| writ(&base.iter().copied().chain(extra.iter().copied()).collect::<Vec<_>>());
    let (code, out, err) = with(&["--lang", "zh-Hans", "--summary"]);
    assert_eq!(code, 1, "{err}");
    assert!(out.starts_with("陽泉市打贏藍天保衛戰2019年行動計劃 — 截至2020年1月15日的核查结果\n"), "{out}");
    assert!(
        out.contains("\n按核查结果\n") && out.contains("\n按责任单位\n") && out.contains("\n按计划章节\n"),
        "{out}"
    );
    assert!(out.contains("  三(一)："), "{out}");
    assert!(!out.contains("编号："), "a summary lists no verdict:\n{out}");
    let (code, out, err) = with(&["--lang", "en", "--only", "breaches"]);
    assert_eq!(code, 1, "{err}");
    assert!(out.contains("\nbreaches only (--only breaches): 138 of 750 verdicts\n"), "{out}");
    for status in ["satisfied", "fulfilled ", "pending", "unknown", "exempt"] {
        assert!(!out.contains(&format!("  {status}")), "{status} listed:\n{out}");
    }
    let (code, _, err) = with(&["--lang", "zh-TW"]);
    assert_eq!(code, 2);
    assert!(err.contains("zh-Hant"), "{err}");
    // The JSON is the same whatever the language asked for: English keys and status codes.
    let (_, json_en, _) = with(&["--format", "json", "--lang", "en"]);
    let (_, json_zh, _) = with(&["--format", "json", "--lang", "zh-Hans"]);
    assert_eq!(json_en, json_zh);
    assert!(json_en.contains("\"language\": \"zh-Hant\""), "{json_en}");
}

/// A plan that declares Simplified characters is reported in them, with its dates in Chinese;
/// one that declares nothing is reported in English.
#[test]
fn a_plan_declared_in_simplified_characters_is_reported_in_them() {
    let dir = std::env::temp_dir().join(format!("writ-zh-hans-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let source = std::fs::read_to_string("tests/fixtures/eval/deadlines/policy/policy.writ").unwrap();
    assert!(!source.contains("language"), "the fixture declares no language");
    let declared = source.replacen(
        "  period 2019-01-01 .. 2019-12-31\n",
        "  period 2019-01-01 .. 2019-12-31\n  language \"zh-Hans\"\n",
        1,
    );
    assert_ne!(declared, source);
    std::fs::write(dir.join("policy.writ"), declared).unwrap();
    let facts = "tests/fixtures/eval/deadlines/facts";
    let run = |policy: &str| writ(&["eval", policy, "--facts", facts, "--as-of", "2019-10-15"]);
    let (_, english, _) = run("tests/fixtures/eval/deadlines/policy");
    assert!(english.contains(" — verdicts as of 2019-10-15\n"), "{english}");
    let (code, out, err) = run(dir.to_str().unwrap());
    assert_eq!(code, 1, "{err}");
    assert!(out.contains(" — 截至2019年10月15日的核查结果\n"), "{out}");
    assert!(out.contains("逾期未完成"), "{out}");
    // Role words are the plan's own, as it writes them, whatever the script of the labels.
    assert!(out.contains("  牽頭 ") && !out.contains("  牵头 "), "{out}");
    assert_eq!(out.lines().count(), english.lines().count(), "{out}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// `--xlsx FILE` writes the workbook and leaves the report and the exit code as they were; a
/// workbook that cannot be written is an error (exit 2) after the report.
#[test]
fn eval_writes_a_workbook_beside_its_report() {
    use calamine::Reader;
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("cli-xlsx");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let base = ["eval", "policies/yangquan-2019", "--facts", "examples/yangquan-2019", "--as-of", "2020-01-15"];
    let (code, plain, err) = writ(&base);
    assert_eq!(code, 1, "{err}");
    let book = dir.join("台帳.xlsx");
    let (code, out, err) = writ(&[&base[..], &["--xlsx", book.to_str().unwrap(), "--lang", "en"]].concat());
    assert_eq!(code, 1, "{err}");
    assert!(err.is_empty(), "{err}");
    let (_, english, _) = writ(&[&base[..], &["--lang", "en"]].concat());
    assert_eq!(out, english);
    assert_ne!(out, plain, "--lang reaches the report");
    let mut opened: calamine::Xlsx<_> = calamine::open_workbook(&book).expect("the workbook opens");
    let names = opened.sheet_names();
    assert_eq!(&names[..3], ["summary", "all verdicts", "市生態環境局"]);
    let all = opened.worksheet_range("all verdicts").unwrap();
    assert_eq!(all.get_value((0, 7)), Some(&calamine::Data::String("status".into())));
    let (_, json, _) = writ(&[&base[..], &["--format", "json"]].concat());
    let json: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(all.height(), json["verdicts"].as_array().unwrap().len() + 1);

    // The same verdicts with `--format json`: the same workbook, byte for byte.
    let again = dir.join("again.xlsx");
    let (code, _, err) =
        writ(&[&base[..], &["--format", "json", "--lang", "en", "--xlsx", again.to_str().unwrap()]].concat());
    assert_eq!(code, 1, "{err}");
    assert!(std::fs::read(&book).unwrap() == std::fs::read(&again).unwrap(), "the workbooks differ");

    let nowhere = dir.join("no-such-folder").join("x.xlsx");
    let (code, out, err) = writ(&[&base[..], &["--xlsx", nowhere.to_str().unwrap()]].concat());
    assert_eq!(code, 2, "{err}");
    assert_eq!(out, plain, "the report is printed all the same");
    assert!(err.contains("cannot-write-workbook") && err.contains("x.xlsx"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// `writ report --html --xlsx`: the folder of pages and the workbook, the exit code of
/// `writ eval`, and the same bytes from the same input.
#[test]
fn writ_report_writes_the_html_report_and_the_workbook() {
    let dir = std::env::temp_dir().join(format!("writ-report-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let (html, again, book) = (dir.join("html"), dir.join("again"), dir.join("台帳.xlsx"));
    let args = |out: &Path| {
        vec![
            "report".to_string(),
            "policies/yangquan-2019".into(),
            "--facts".into(),
            "examples/yangquan-2019".into(),
            "--as-of".into(),
            "2020-01-15".into(),
            "--html".into(),
            out.display().to_string(),
        ]
    };
    let mut first = args(&html);
    first.extend(["--xlsx".to_string(), book.display().to_string()]);
    let (code, out, err) = writ(&first.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(code, 1, "breaches, as `writ eval`: {out}{err}");
    assert!(out.contains("index.html") && out.contains("台帳.xlsx"), "{out}");
    let index = std::fs::read_to_string(html.join("index.html")).unwrap();
    assert!(index.contains("lang=\"zh-Hant\"") && index.contains("逾期未完成"), "the plan's language");
    assert!(book.exists());
    let (code, _, err) = writ(&args(&again).iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(code, 1, "{err}");
    let names = |d: &Path| {
        let mut n: Vec<_> = std::fs::read_dir(d).unwrap().map(|e| e.unwrap().file_name()).collect();
        n.sort();
        n
    };
    assert_eq!(names(&html), names(&again));
    // A page the report no longer has is removed when it is written again; other files stay.
    std::fs::write(again.join("party-999.html"), "old").unwrap();
    std::fs::write(again.join("notes.txt"), "mine").unwrap();
    let (code, _, err) = writ(&args(&again).iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(code, 1, "{err}");
    assert!(!again.join("party-999.html").exists());
    std::fs::remove_file(again.join("notes.txt")).unwrap();
    for name in names(&html) {
        assert!(std::fs::read(html.join(&name)).unwrap() == std::fs::read(again.join(&name)).unwrap(), "{name:?}");
    }

    // In English on request.
    let mut english = args(&dir.join("en"));
    english.extend(["--lang".to_string(), "en".to_string()]);
    let (code, _, _) = writ(&english.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(code, 1);
    let index = std::fs::read_to_string(dir.join("en/index.html")).unwrap();
    assert!(index.contains("lang=\"en\"") && index.contains("overdue"));

    // Invalid input, and no document asked for, are exit 2.
    let (code, _, err) = writ(&[
        "report",
        "no-such-package",
        "--facts",
        "examples/yangquan-2019",
        "--as-of",
        "2020-01-15",
        "--html",
        "x",
    ]);
    assert_eq!(code, 2, "{err}");
    let (code, _, err) =
        writ(&["report", "policies/yangquan-2019", "--facts", "examples/yangquan-2019", "--as-of", "2020-01-15"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--html"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A build without the `parquet` feature reads no Parquet file and writes none, and says how
/// to build one that does, rather than skipping the file.
#[cfg(not(feature = "parquet"))]
#[test]
fn a_build_without_parquet_says_how_to_build_one() {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("no-parquet-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("工業爐窯.parquet"), b"PAR1").unwrap();
    let facts = dir.to_str().unwrap();
    let (code, _, stderr) =
        common::writ(&["eval", "policies/yangquan-2019", "--facts", facts, "--as-of", "2020-01-15"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("a Parquet file, which this build of writ does not read"), "{stderr}");
    assert!(stderr.contains("--features parquet"), "{stderr}");
    let out = dir.join("out");
    let args = ["facts", "convert", "policies/yangquan-2019", "--facts", facts, "--to", out.to_str().unwrap()];
    let (code, stdout, stderr) = common::writ(&args);
    assert_eq!((code, stdout.as_str()), (2, ""), "{stderr}");
    assert!(stderr.contains("does not write Parquet") && stderr.contains("--features parquet"), "{stderr}");
    assert!(!out.exists(), "nothing is written");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `--engine` and `--memory-limit` refuse what they cannot do, saying what to write instead.
#[test]
fn engine_arguments_are_checked() {
    let eval = ["eval", "policies/yangquan-2019", "--facts", "examples/yangquan-2019", "--as-of", "2020-01-15"];
    let with = |more: &[&str]| common::writ(&[&eval[..], more].concat());
    let (code, _, stderr) = with(&["--memory-limit", "4GB"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("give `--engine datafusion` with it"), "{stderr}");
    let (code, _, stderr) = with(&["--engine", "spark"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("`spark` is not an engine: write `native`, `datafusion` or `ballista://HOST:PORT`"),
        "{stderr}"
    );
    let (code, _, stderr) = with(&["--engine", "ballista://127.0.0.1"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("write the scheduler's host and port"), "{stderr}");
    if !cfg!(feature = "ballista") {
        let (code, _, stderr) = with(&["--engine", "ballista://127.0.0.1:50050"]);
        assert_eq!(code, 2, "{stderr}");
        assert!(stderr.contains("--features ballista"), "{stderr}");
    }
    let (code, _, stderr) = with(&["--engine", "ballista://127.0.0.1:50050", "--memory-limit", "4GB"]);
    assert_eq!(code, 2, "{stderr}");
    let (code, _, stderr) = with(&["--engine", "datafusion", "--memory-limit", "4.5GB"]);
    assert_eq!(code, 2, "{stderr}");
    if cfg!(feature = "datafusion") {
        assert!(stderr.contains("`4.5GB` is not a size"), "{stderr}");
    }
    let (code, _, stderr) = with(&["--engine", "datafusion"]);
    if cfg!(feature = "datafusion") {
        assert_ne!(code, 2, "{stderr}");
    } else {
        assert_eq!(code, 2, "{stderr}");
        assert!(stderr.contains("--features datafusion"), "{stderr}");
    }
}
