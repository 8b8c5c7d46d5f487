//! Fact files that could not be read (wholly or in part) reach the verdicts: each case under
//! `fixtures/unread/cases/` is the facts of `cases/complete` with one file broken in one way
//! (JSON cut short, a bare `NaN`, a CSV quote never closed, YAML and TOML syntax errors, a
//! workbook refused, an NDJSON line unreadable), evaluated with `fixtures/unread/policy`.
//!
//! Each verdict of the complete facts either keeps its status, becomes `unknown`, or, when its
//! subject was not read, is stood for by an `unknown` verdict of the same clause whose subject
//! is the records lost from the broken file. Nothing turns into a pass or a breach.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use writ::cli::{self, Format, Style};

const STYLE: Style = Style { color: false, width: 100, progress: false };
const POLICY: &str = "tests/fixtures/unread/policy";
const AS_OF: &str = "2019-10-15";

fn eval(facts: &Path, format: Format) -> cli::Outcome {
    let as_of = cli::parse_date(AS_OF).unwrap();
    cli::eval(Path::new(POLICY), std::slice::from_ref(&facts.to_path_buf()), as_of, format, STYLE, false)
}

fn verdicts(out: &cli::Outcome) -> (serde_json::Value, Vec<serde_json::Value>) {
    let report: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let vs = report["verdicts"].as_array().unwrap().clone();
    (report, vs)
}

fn rel(p: &Path) -> PathBuf {
    p.strip_prefix(env!("CARGO_MANIFEST_DIR")).map(Path::to_path_buf).unwrap_or_else(|_| p.to_path_buf())
}

#[test]
fn unread_facts_make_verdicts_unknown_never_a_pass_or_a_breach() {
    let complete = eval(Path::new("tests/fixtures/unread/cases/complete"), Format::Json);
    assert_eq!(complete.code, cli::EXIT_BREACH, "{}", complete.stderr);
    let (_, base) = verdicts(&complete);
    assert!(base.iter().all(|v| v["status"] != "unknown"), "the complete facts decide every verdict");
    let base: HashMap<String, String> = base
        .iter()
        .map(|v| (v["id"].as_str().unwrap().to_string(), v["status"].as_str().unwrap().to_string()))
        .collect();

    insta::glob!("fixtures/unread/cases/*", |case| {
        let case = rel(case);
        let name = case.file_name().unwrap().to_string_lossy().to_string();
        if name == "complete" {
            return;
        }
        let json = eval(&case, Format::Json);
        let human = eval(&case, Format::Human);
        // Unreadable input is invalid input, but the report is still printed.
        assert_eq!(json.code, cli::EXIT_INVALID, "{name}: {}", json.stderr);
        assert_eq!(human.code, cli::EXIT_INVALID, "{name}");
        let (report, vs) = verdicts(&json);

        // The accounting names an incomplete kind, with the broken file.
        let records = report["summary"]["records"].as_object().unwrap();
        let incomplete: Vec<&serde_json::Value> =
            records.values().flat_map(|a| a["incomplete"].as_array().into_iter().flatten()).collect();
        assert!(!incomplete.is_empty(), "{name}: no kind is incomplete");
        for l in &incomplete {
            let file = l["file"].as_str().unwrap();
            assert!(file.starts_with(&*case.to_string_lossy()), "{name}: {file}");
            assert!(!l["reason"].as_str().unwrap().is_empty(), "{name}");
        }
        for (kind, a) in records {
            let n = |k: &str| a[k].as_u64().unwrap();
            assert_eq!(n("loaded"), n("used") + n("unused") + n("rejected"), "{name}: {kind}");
        }

        // Every verdict keeps its status or becomes unknown; one that is gone is stood for.
        let now: HashMap<&str, &serde_json::Value> = vs.iter().map(|v| (v["id"].as_str().unwrap(), v)).collect();
        for (id, was) in &base {
            match now.get(id.as_str()) {
                Some(v) => {
                    let status = v["status"].as_str().unwrap();
                    assert!(status == was || status == "unknown", "{name}: {id} was {was}, now {status}");
                }
                None => {
                    let clause = id.split('/').next().unwrap();
                    let stood_for = vs.iter().any(|v| {
                        v["clause"] == clause
                            && v["status"] == "unknown"
                            && v["subject"][0]["key"].as_str().is_some_and(|k| k.starts_with("records lost from "))
                    });
                    assert!(stood_for, "{name}: {id} ({was}) vanished and nothing stands for it");
                }
            }
        }
        // An unknown verdict names the file it could not read, or the record rejected.
        for v in vs.iter().filter(|v| v["status"] == "unknown") {
            let reason = v["reason"].as_str().or_else(|| v["evidence"][0]["left_value"].as_str()).unwrap_or("");
            assert!(
                reason.contains(&*case.to_string_lossy()) || reason.contains("rejected"),
                "{name}: {} gives no file: {reason}",
                v["id"]
            );
        }
        insta::assert_snapshot!(format!(
            "----- EXIT {}\n----- STDERR\n{}\n----- HUMAN\n{}",
            human.code, human.stderr, human.stdout
        ));
    });
}

/// Past the first 200 rejected records of a file, records without a key are only counted:
/// one `unknown` verdict per requirement stands for them, and the accounting still counts each.
#[test]
fn rejected_records_past_the_cap_are_counted_and_stood_for() {
    let dir = std::env::temp_dir().join(format!("writ-unread-unkept-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for f in ["縣區.json", "文件.json"] {
        std::fs::copy(Path::new("tests/fixtures/unread/cases/complete").join(f), dir.join(f)).unwrap();
    }
    let mut lines = String::from(r#"{"名稱": "甲廠", "縣區": "城區", "顆粒物": 20, "完成日": "2019-08-01"}"#);
    lines.push('\n');
    for i in 0..250 {
        lines.push_str(&format!("not a record {i}\n"));
    }
    std::fs::write(dir.join("企業.ndjson"), lines).unwrap();
    let out = eval(&dir, Format::Json);
    std::fs::remove_dir_all(&dir).unwrap();
    let (report, vs) = verdicts(&out);
    assert_eq!(report["summary"]["records"]["企業"]["rejected"], 250);
    assert_eq!(report["summary"]["records"]["企業"]["loaded"], 251);
    let limit: Vec<&serde_json::Value> = vs.iter().filter(|v| v["clause"] == "限值").collect();
    let key = |v: &serde_json::Value| v["subject"][0]["key"].as_str().unwrap().to_string();
    assert_eq!(limit.iter().filter(|v| key(v).starts_with("line ")).count(), 200);
    let counted: Vec<_> = limit.iter().filter(|v| key(v).starts_with("records rejected in ")).collect();
    assert_eq!(counted.len(), 1);
    assert_eq!(counted[0]["status"], "unknown");
    let reason = counted[0]["reason"].as_str().unwrap();
    assert!(reason.starts_with("50 more 企業 records in"), "{reason}");
    assert!(reason.contains("the first at line 202"), "{reason}");
    assert_eq!(limit.iter().find(|v| key(v) == "甲廠").unwrap()["status"], "satisfied");
}

/// A bad value rejects its field, not its record (`fixtures/eval/field-level`): the county with
/// one bad cell stays a subject, only the verdicts that read that cell are unknown, and records
/// that refer to it, or whose own reference does not resolve, keep their other verdicts.
#[test]
fn a_bad_value_makes_only_what_reads_it_unknown() {
    let dir = Path::new("tests/fixtures/eval/field-level");
    let as_of = cli::parse_date(AS_OF).unwrap();
    let out = cli::eval(&dir.join("policy"), &[dir.join("facts")], as_of, Format::Json, STYLE, false);
    assert_eq!(out.code, cli::EXIT_BREACH, "{}", out.stderr);
    let (report, vs) = verdicts(&out);
    let status = |id: &str| {
        let v = vs.iter().find(|v| v["id"] == id).unwrap_or_else(|| panic!("no verdict {id}"));
        v["status"].as_str().unwrap().to_string()
    };
    let reason = |id: &str| vs.iter().find(|v| v["id"] == id).unwrap()["reason"].as_str().unwrap().to_string();
    assert_eq!(status("人口/郊區/1"), "satisfied");
    assert_eq!(status("面積/郊區/1"), "unknown");
    assert!(reason("面積/郊區/1").contains("縣區[郊區].面積 could not be read"), "{}", reason("面積/郊區/1"));
    assert!(reason("面積/郊區/1").contains("facts.json:4"), "{}", reason("面積/郊區/1"));
    assert!(reason("面積/郊區/1").contains("found `eight`"), "{}", reason("面積/郊區/1"));
    assert_eq!(status("面積/城區/1"), "satisfied");
    assert_eq!(status("總面積/1"), "unknown");
    assert_eq!(status("總面積/2"), "satisfied");
    // 甲廠 refers to the county with the bad cell: the reference resolves.
    assert_eq!(status("限值/甲廠/1"), "satisfied");
    assert_eq!(status("限值/甲廠/2"), "satisfied");
    // 乙廠 refers to a county that is not there: its own value is judged, the reference is unknown.
    assert_eq!(status("限值/乙廠/1"), "violated");
    assert_eq!(status("限值/乙廠/2"), "unknown");
    assert!(reason("限值/乙廠/2").contains("no `縣區` record has the key `礦區`"), "{}", reason("限值/乙廠/2"));
    let records = &report["summary"]["records"];
    assert_eq!(records["縣區"]["rejected"], 0);
    assert_eq!(records["縣區"]["unreadable_fields"], 1);
    assert_eq!(records["企業"]["unreadable_fields"], 1);
}

/// The bundled example facts with one file cut at half its length: no verdict turns into
/// another status than `unknown`, and every verdict that vanished is stood for by an `unknown`
/// verdict of its clause, also in a clause outside its period (`錯峰生產`, during the heating
/// season). `industry-boilers.json` cut inside a string used to leave the kinds after the cut
/// complete, so a duty done on time read as overdue.
#[test]
fn an_example_file_cut_in_half_only_makes_verdicts_unknown() {
    let as_of = cli::parse_date("2019-10-15").unwrap();
    let policy = Path::new("policies/yangquan-2019");
    let examples = Path::new("examples/yangquan-2019");
    let base = cli::eval(policy, &[examples.to_path_buf()], as_of, Format::Json, STYLE, false);
    let (_, base) = verdicts(&base);
    for cut in ["enterprises.json", "industry-boilers.json"] {
        let dir = std::env::temp_dir().join(format!("writ-unread-cut-{}-{cut}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        for f in std::fs::read_dir(examples).unwrap() {
            let f = f.unwrap().path();
            if f.extension().is_some_and(|e| e == "json") {
                std::fs::copy(&f, dir.join(f.file_name().unwrap())).unwrap();
            }
        }
        let bytes = std::fs::read(dir.join(cut)).unwrap();
        std::fs::write(dir.join(cut), &bytes[..bytes.len() / 2]).unwrap();
        let out = cli::eval(policy, std::slice::from_ref(&dir), as_of, Format::Json, STYLE, false);
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(out.code, cli::EXIT_INVALID, "{cut}");
        let (_, now) = verdicts(&out);
        let by_id: HashMap<&str, &serde_json::Value> = now.iter().map(|v| (v["id"].as_str().unwrap(), v)).collect();
        for v in &base {
            let (id, was) = (v["id"].as_str().unwrap(), v["status"].as_str().unwrap());
            match by_id.get(id) {
                Some(n) => {
                    let status = n["status"].as_str().unwrap();
                    assert!(status == was || status == "unknown", "{cut}: {id} was {was}, now {status}");
                }
                None => assert!(
                    now.iter().any(|n| n["clause"] == v["clause"]
                        && n["status"] == "unknown"
                        && n["subject"][0]["key"].as_str().is_some_and(|k| k.starts_with("records lost from "))),
                    "{cut}: {id} ({was}) vanished and nothing stands for it"
                ),
            }
        }
    }
}

/// A listed fact file that cannot be read (here a link to nothing) is reported, and the report
/// is still printed with every kind it could hold incomplete.
#[cfg(unix)]
#[test]
fn a_fact_file_that_cannot_be_read_is_reported_and_its_kinds_incomplete() {
    let dir = std::env::temp_dir().join(format!("writ-unread-io-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    for f in ["縣區.json", "企業.json", "文件.json"] {
        std::fs::copy(Path::new("tests/fixtures/unread/cases/complete").join(f), dir.join(f)).unwrap();
    }
    std::os::unix::fs::symlink(dir.join("no-such-file"), dir.join("更多.json")).unwrap();
    let out = eval(&dir, Format::Json);
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(out.code, cli::EXIT_INVALID, "{}", out.stderr);
    assert!(out.stderr.contains("io-error"), "{}", out.stderr);
    let (report, vs) = verdicts(&out);
    for kind in ["縣區", "企業", "文件"] {
        let incomplete = &report["summary"]["records"][kind]["incomplete"];
        assert!(incomplete[0]["file"].as_str().unwrap().ends_with("更多.json"), "{kind}: {incomplete}");
        assert!(incomplete[0]["lost"].is_null(), "an unknown number");
    }
    assert_eq!(vs.iter().find(|v| v["id"] == "發文/1").unwrap()["status"], "unknown");
}
