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
    let (code, _out, err) =
        writ(&["eval", "policies/yangquan-2019", "--facts", "tests/fixtures/facts/bad-value", "--as-of", "2019-10-15"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("tests/fixtures/facts/bad-value/kilns.json:4:"), "{err}");
    assert!(err.contains("thirty"), "{err}");
}

#[test]
fn eval_exit_code_reflects_breaches_and_json_has_the_contract_fields() {
    let (code, out, err) = writ(&[
        "eval",
        "policies/yangquan-2019",
        "--facts",
        "examples/yangquan-2019",
        "--as-of",
        "2020-01-15",
        "--format",
        "json",
    ]);
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
    let (_, again, _) = writ(&[
        "eval",
        "policies/yangquan-2019",
        "--facts",
        "examples/yangquan-2019",
        "--as-of",
        "2020-01-15",
        "--format",
        "json",
    ]);
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
