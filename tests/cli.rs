//! The `writ` binary as a user runs it: exit codes, locations, every policy package's tests.

use std::path::Path;
use std::process::Command;

fn writ(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_writ"))
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

#[test]
fn the_yangquan_policies_check_cleanly() {
    let (code, out, err) = writ(&["check", "policies/yangquan-2019"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("0 warnings"), "{out}");
    assert!(err.is_empty(), "{err}");
}

/// `cargo test` runs the `test` blocks of every package in `policies/`.
#[test]
fn every_policy_package_passes_its_tests() {
    let dirs: Vec<_> = std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("policies"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
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
    for key in ["plan", "as_of", "summary", "verdicts"] {
        assert!(v.get(key).is_some(), "missing {key}");
    }
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
    let (code, out, err) = writ(&args);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("fulfilled_late"), "{out}");
    assert!(out.contains("done on:     2019-10-10"), "{out}");
    assert!(out.contains("examples/yangquan-2019/enterprises.json:3"), "{out}");
    let mut wrong = args;
    wrong[2] = "搬遷改造/陽泉市水泵/1";
    let (code, _, err) = writ(&wrong);
    assert_eq!(code, 2);
    assert!(err.contains("did you mean `搬遷改造/陽泉市水泵廠/1`?"), "{err}");
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
