//! `writ diff`: an amendment to the bundled plan and a change of facts, each compared with the
//! bundled plan over the example facts, verdict by verdict.

use std::path::{Path, PathBuf};

mod common;
use common::writ;

fn copy_dir(from: &Path, to: &Path) {
    let _ = std::fs::remove_dir_all(to);
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        if e.file_type().unwrap().is_file() {
            std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
    }
}

/// Replaces `from` by `to` in a file, exactly once.
fn edit(file: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(file).unwrap();
    assert_eq!(text.matches(from).count(), 1, "`{from}` in {}", file.display());
    std::fs::write(file, text.replacen(from, to, 1)).unwrap();
}

/// A copy of the bundled plan amended: the 搬遷改造 deadline moved from the end of September
/// to the end of October, and the kilns' particulate limit tightened from 30 to 28 mg/m3.
fn amended(name: &str) -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    copy_dir(&root.join("policies/yangquan-2019"), &dir);
    edit(&dir.join("11-industry.writ"), "must e.搬遷改造完成日 by 2019-09-30", "must e.搬遷改造完成日 by 2019-10-31");
    edit(
        &dir.join("12-pollution-control.writ"),
        "must 顆粒物: 窯.顆粒物 <= 30 毫克/立方米",
        "must 顆粒物: 窯.顆粒物 <= 28 毫克/立方米",
    );
    dir
}

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

/// `(id, old status, new status)` of a changed verdict.
type StatusChange = (String, String, String);

/// `(id, old status, new status)` of each changed verdict, `id` of each added and removed one.
fn changes(doc: &serde_json::Value) -> (Vec<StatusChange>, Vec<String>, Vec<String>) {
    let mut changed = Vec::new();
    let (mut added, mut removed) = (Vec::new(), Vec::new());
    for c in doc["clauses"].as_array().unwrap() {
        for v in c["changed"].as_array().unwrap() {
            let s = |side: &str| v["status"][side].as_str().unwrap().to_string();
            changed.push((v["id"].as_str().unwrap().to_string(), s("old"), s("new")));
        }
        for (list, out) in [("added", &mut added), ("removed", &mut removed)] {
            out.extend(c[list].as_array().unwrap().iter().map(|v| v["id"].as_str().unwrap().to_string()));
        }
    }
    (changed, added, removed)
}

fn triple(id: &str, old: &str, new: &str) -> (String, String, String) {
    (id.to_string(), old.to_string(), new.to_string())
}

#[test]
fn an_amendment_changes_exactly_the_verdicts_it_touches() {
    let dir = amended("diff-amendment-json");
    let (code, out, err) = writ(&[
        "diff",
        "policies/yangquan-2019",
        dir.to_str().unwrap(),
        "--facts",
        "examples/yangquan-2019",
        "--as-of",
        "2020-01-15",
        "--format",
        "json",
    ]);
    assert_eq!(code, 1, "{out}{err}");
    let doc = json(&out);
    let (changed, added, removed) = changes(&doc);
    // 陽泉市水泵廠 moved on 2019-10-10: late against September, on time against October.
    // 閥門 (2019-09-20) keeps its status, under the new deadline. Kiln 01 measured exactly
    // 30 mg/m3 (0.030 g/m3): it met the old limit and breaks the new one. Kilns 02 (31), 03
    // (no reading) and 05 (28, at the new limit) keep their status against another limit.
    // Kiln 04 has its own industry standard: not applicable either way, so unchanged.
    assert_eq!(
        changed,
        [
            triple("搬遷改造/陽泉市水泵廠/1", "fulfilled_late", "fulfilled"),
            triple("搬遷改造/陽泉市閥門有限責任公司/1", "fulfilled", "fulfilled"),
            triple("爐窯限值/示例窯-01/顆粒物", "satisfied", "violated"),
            triple("爐窯限值/示例窯-02/顆粒物", "violated", "violated"),
            triple("爐窯限值/示例窯-03/顆粒物", "unknown", "unknown"),
            triple("爐窯限值/示例窯-05/顆粒物", "satisfied", "satisfied"),
        ]
    );
    assert!(added.is_empty() && removed.is_empty(), "{added:?} {removed:?}");
    let s = &doc["summary"];
    assert_eq!((s["changed"].as_u64(), s["status_changed"].as_u64()), (Some(6), Some(2)));
    assert_eq!(s["unchanged"].as_u64().unwrap() + 6, doc["old"]["verdicts"].as_u64().unwrap());
    let clauses: Vec<&str> = doc["clauses"].as_array().unwrap().iter().map(|c| c["clause"].as_str().unwrap()).collect();
    assert_eq!(clauses, ["搬遷改造", "爐窯限值"]);
    // The deadline moved, and what was compared: the limit, not the measurement.
    let pump = &doc["clauses"][0]["changed"][0];
    assert_eq!(pump["deadline"], serde_json::json!({ "old": "2019-09-30", "new": "2019-10-31" }));
    let kiln = &doc["clauses"][1]["changed"][0];
    assert_eq!(kiln["id"], "爐窯限值/示例窯-01/顆粒物");
    assert_eq!(kiln["evidence"]["old"][0]["left_value"], kiln["evidence"]["new"][0]["left_value"]);
    assert_eq!(kiln["evidence"]["old"][0]["holds"], true);
    assert_eq!(kiln["evidence"]["new"][0]["holds"], false);
    assert_eq!(kiln["old_requirement"], "must 顆粒物: 窯.顆粒物 <= 30 毫克/立方米");
}

#[test]
fn an_amendment_as_the_policy_officer_reads_it() {
    let dir = amended("diff-amendment-human");
    let (code, out, err) = writ(&[
        "diff",
        "policies/yangquan-2019",
        dir.to_str().unwrap(),
        "--facts",
        "examples/yangquan-2019",
        "--as-of",
        "2020-01-15",
        "--lang",
        "en",
    ]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(err.is_empty(), "{err}");
    let out = out.replace(env!("CARGO_TARGET_TMPDIR"), "[TMP]");
    assert!(out.contains("0 added, 0 removed, 6 changed (2 in status), 744 unchanged"), "{out}");
    insta::assert_snapshot!("amendment", out);
    // The plan's own language (zh-Hant) without `--lang`.
    let (_, zh, _) = writ(&[
        "diff",
        "policies/yangquan-2019",
        dir.to_str().unwrap(),
        "--facts",
        "examples/yangquan-2019",
        "--as-of",
        "2020-01-15",
    ]);
    assert!(zh.contains("新增0項，刪除0項，變化6項（其中核查結果變化2項），未變744項"), "{zh}");
    assert!(zh.contains("符合 → 違反"), "{zh}");
}

#[test]
fn identical_packages_have_no_change() {
    let (code, out, err) = writ(&[
        "diff",
        "policies/yangquan-2019",
        "policies/yangquan-2019",
        "--facts",
        "examples/yangquan-2019",
        "--as-of",
        "2019-10-15",
        "--lang",
        "en",
    ]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("\nno change\n"), "{out}");
    let (code, out, _) = writ(&[
        "diff",
        "policies/yangquan-2019",
        "--facts",
        "examples/yangquan-2019",
        "--against",
        "examples/yangquan-2019",
        "--as-of",
        "2019-10-15",
        "--format",
        "json",
    ]);
    assert_eq!(code, 0, "{out}");
    let doc = json(&out);
    assert_eq!(doc["clauses"], serde_json::json!([]));
    assert_eq!(doc["summary"]["unchanged"], doc["new"]["verdicts"]);
}

#[test]
fn a_new_fact_set_against_the_old_one() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let facts = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("diff-facts");
    copy_dir(&root.join("examples/yangquan-2019"), &facts);
    // Kiln 02 measured again below the limit; kiln 05 gone; a kiln 06 over the SO2 limit.
    let kilns = facts.join("kilns.json");
    edit(&kilns, r#""顆粒物": 31,"#, r#""顆粒物": 29,"#);
    let text = std::fs::read_to_string(&kilns).unwrap();
    let five = text.lines().find(|l| l.contains("示例窯-05")).unwrap();
    let six = five
        .replace("示例窯-05", "示例窯-06")
        .replace(r#""二氧化硫": "200.5 mg/m3""#, r#""二氧化硫": 250"#)
        .replace(r#""顆粒物": "28000 ug/m3""#, r#""顆粒物": 12"#);
    std::fs::write(&kilns, text.replace(five, &six)).unwrap();
    let (code, out, err) = writ(&[
        "diff",
        "policies/yangquan-2019",
        "--facts",
        "examples/yangquan-2019",
        "--against",
        facts.to_str().unwrap(),
        "--as-of",
        "2020-01-15",
        "--format",
        "json",
    ]);
    assert_eq!(code, 1, "{out}{err}");
    let doc = json(&out);
    let (changed, added, removed) = changes(&doc);
    assert_eq!(changed, [triple("爐窯限值/示例窯-02/顆粒物", "violated", "satisfied")]);
    let kiln = |n: u32| ["顆粒物", "二氧化硫", "氮氧化物"].map(|r| format!("爐窯限值/示例窯-0{n}/{r}"));
    assert_eq!(added, kiln(6));
    assert_eq!(removed, kiln(5));
    let statuses: Vec<&str> =
        doc["clauses"][0]["added"].as_array().unwrap().iter().map(|v| v["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, ["satisfied", "violated", "satisfied"]);
    assert_eq!(doc["summary"]["clauses_added"], 0);
}

#[test]
fn clauses_added_removed_and_renamed() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("diff-clauses");
    copy_dir(&root.join("policies/yangquan-2019"), &dir);
    // 爐窯限值 renamed wherever it is named; 天成集運站搬遷 taken out.
    for f in std::fs::read_dir(&dir).unwrap() {
        let f = f.unwrap().path();
        let text = std::fs::read_to_string(&f).unwrap();
        std::fs::write(&f, text.replace("爐窯限值", "工業爐窯限值")).unwrap();
    }
    let industry = dir.join("11-industry.writ");
    let text = std::fs::read_to_string(&industry).unwrap();
    let start = text.find("clause 天成集運站搬遷").unwrap();
    let end = start + text[start..].find("\n}\n").unwrap() + 3;
    let text = format!("{}{}", &text[..start], &text[end..]);
    // The package's own test of it goes with it.
    let start = text.find("test \"天成集運站搬遷").unwrap();
    let end = start + text[start..].find("\n}\n").unwrap() + 3;
    std::fs::write(&industry, format!("{}{}", &text[..start], &text[end..])).unwrap();
    // A stricter nitrogen oxides limit, a clause of its own citing the same item: the renamed
    // clause is then told by its title.
    let added = "\nclause 爐窯氮氧化物加嚴 \"工業爐窯氮氧化物特別限值\" {\n  cite \"三(二)11\"\n  for 窯 in 工業爐窯 where not 窯.有行業標準 {\n    must 氮氧化物: 窯.氮氧化物 <= 250 毫克/立方米\n  }\n}\n";
    let pollution = dir.join("12-pollution-control.writ");
    let text = std::fs::read_to_string(&pollution).unwrap();
    std::fs::write(&pollution, text + added).unwrap();
    let (code, out, err) = writ(&[
        "diff",
        "policies/yangquan-2019",
        dir.to_str().unwrap(),
        "--facts",
        "examples/yangquan-2019",
        "--as-of",
        "2020-01-15",
        "--format",
        "json",
    ]);
    assert_eq!(code, 1, "{out}{err}");
    let doc = json(&out);
    let clauses: Vec<(&str, &str)> = doc["clauses"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["clause"].as_str().unwrap(), c["change"].as_str().unwrap()))
        .collect();
    assert_eq!(clauses, [("天成集運站搬遷", "removed"), ("工業爐窯限值", "renamed"), ("爐窯氮氧化物加嚴", "added")]);
    let (changed, added, removed) = changes(&doc);
    assert!(changed.is_empty(), "{changed:?}");
    // Kilns 01 (260), 02 (0.28 g/m3) and 05 (300) are over 250; 03 (210) is not; 04 has its
    // own standard.
    assert_eq!(added, ["01", "02", "03", "04", "05"].map(|n| format!("爐窯氮氧化物加嚴/示例窯-{n}/氮氧化物")));
    let statuses: Vec<&str> =
        doc["clauses"][2]["added"].as_array().unwrap().iter().map(|v| v["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, ["violated", "violated", "satisfied", "not_applicable", "violated"]);
    assert_eq!(removed, ["天成集運站搬遷/陽煤集團天成煤炭集運站/啟動", "天成集運站搬遷/陽煤集團天成煤炭集運站/完成"]);
    assert_eq!(doc["clauses"][1]["old_clause"], "爐窯限值");
    let s = &doc["summary"];
    let counts = ["clauses_added", "clauses_removed", "clauses_renamed"].map(|k| s[k].as_u64().unwrap());
    assert_eq!(counts, [1, 1, 1]);
}

#[test]
fn a_package_with_errors_on_either_side_stops_with_exit_2() {
    let (code, out, err) = writ(&[
        "diff",
        "policies/yangquan-2019",
        "tests/fixtures/packages/four-errors",
        "--facts",
        "examples/yangquan-2019",
        "--as-of",
        "2020-01-15",
    ]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(out.is_empty(), "{out}");
    for code in ["syntax-error", "unknown-party", "unit-mismatch", "non-exhaustive-match"] {
        assert!(err.contains(code), "{code}: {err}");
    }
    let (code, out, _) = writ(&[
        "diff",
        "tests/fixtures/packages/four-errors",
        "policies/yangquan-2019",
        "--facts",
        "examples/yangquan-2019",
        "--as-of",
        "2020-01-15",
        "--format",
        "json",
    ]);
    assert_eq!(code, 2);
    assert_eq!(json(&out)["input"]["unread"], true);
}

#[test]
fn facts_that_cannot_be_read_give_exit_2_after_the_comparison() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let facts = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("diff-unread-facts");
    copy_dir(&root.join("examples/yangquan-2019"), &facts);
    // A comma left after the last kiln: the file does not parse, and its kilns are not read.
    edit(&facts.join("kilns.json"), "\"300 毫克/立方米\" }", "\"300 毫克/立方米\" },");
    let (code, out, err) = writ(&[
        "diff",
        "policies/yangquan-2019",
        "--facts",
        "examples/yangquan-2019",
        "--against",
        facts.to_str().unwrap(),
        "--as-of",
        "2020-01-15",
        "--format",
        "json",
    ]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(err.contains("fact-syntax"), "{err}");
    let doc = json(&out);
    assert_eq!(doc["input"]["old"]["unread"], false);
    assert_eq!(doc["input"]["new"]["unread"], true);
    // The five kilns before the comma were read and keep their verdicts; the new side stands
    // for whatever the rest of the file held with one verdict per requirement that cannot be
    // decided.
    let (changed, added, removed) = changes(&doc);
    assert!(changed.is_empty() && removed.is_empty(), "{changed:?} {removed:?}");
    assert_eq!(added.len(), 3, "{added:?}");
    assert!(added.iter().all(|id| id.starts_with("爐窯限值/records lost from ")), "{added:?}");
    let kilns = &doc["clauses"][0];
    assert_eq!(kilns["unchanged"], 15);
    assert!(kilns["added"].as_array().unwrap().iter().all(|v| v["status"] == "unknown"));
}
