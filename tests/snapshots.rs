//! Fixture-driven snapshot tests: one file per case, input and output side by side.
//!
//! - `fixtures/check/ok/*.writ`: valid single-file packages; zero errors, then the model dump.
//! - `fixtures/check/err/*.writ`: invalid policies; at least one error, every diagnostic with a
//!   label and a help line, then the rendered diagnostics.
//! - `fixtures/eval/<case>/`: a policy, facts and `as-of.txt`; the human and JSON reports.

use std::path::Path;
use writ::cli::{self, Format, Style};
use writ::db;

const STYLE: Style = Style { color: false, width: 80, progress: false };

/// Paths in output are shown relative to the crate, so snapshots do not depend on the checkout.
fn relative(text: &str) -> String {
    let root = format!("{}/", env!("CARGO_MANIFEST_DIR"));
    text.replace(&root, "")
}

fn rel_path(p: &Path) -> std::path::PathBuf {
    p.strip_prefix(env!("CARGO_MANIFEST_DIR")).map(Path::to_path_buf).unwrap_or_else(|_| p.to_path_buf())
}

#[test]
fn check_ok() {
    insta::glob!("fixtures/check/ok/*.writ", |path| {
        let path = rel_path(path);
        let loaded = cli::load_package(&path).unwrap_or_else(|_| panic!("cannot load {}", path.display()));
        let checked = db::package_model(&loaded.db, loaded.package);
        let errors: Vec<_> = checked.diagnostics.iter().filter(|d| d.is_error()).collect();
        assert!(errors.is_empty(), "{} should check cleanly, found {errors:?}", path.display());
        let source = std::fs::read_to_string(&path).unwrap();
        let warnings = writ::report::render_diagnostics(&checked.diagnostics, &loaded.sources, false, 80);
        insta::assert_snapshot!(format!(
            "----- SOURCE\n{source}\n----- MODEL\n{}\n----- WARNINGS\n{warnings}",
            writ::model::dump(&checked.model)
        ));
    });
}

#[test]
fn check_err() {
    insta::glob!("fixtures/check/err/*.writ", |path| {
        let path = rel_path(path);
        let out = cli::check(&path, STYLE);
        assert_eq!(out.code, cli::EXIT_INVALID, "{} should be rejected", path.display());
        let loaded = cli::load_package(&path).unwrap();
        let checked = db::package_model(&loaded.db, loaded.package);
        let errors: Vec<_> = checked.diagnostics.iter().filter(|d| d.is_error()).collect();
        assert!(!errors.is_empty(), "{} gave no error", path.display());
        for d in &checked.diagnostics {
            assert!(d.help.is_some(), "{}: diagnostic `{}` has no help line", path.display(), d.code);
            assert!(!d.labels.is_empty(), "{}: diagnostic `{}` has no label", path.display(), d.code);
        }
        let source = std::fs::read_to_string(&path).unwrap();
        insta::assert_snapshot!(format!("----- SOURCE\n{source}\n----- DIAGNOSTICS\n{}", relative(&out.stderr)));
    });
}

/// Each case's reports written from the compact verdicts are those of the verdicts written out
/// first and held whole (JSON serialised by serde).
#[test]
fn eval_cases_compact_and_whole_agree() {
    insta::glob!("fixtures/eval/*/as-of.txt", |as_of_path| {
        let dir = rel_path(as_of_path.parent().unwrap());
        let as_of = cli::parse_date(std::fs::read_to_string(as_of_path).unwrap().trim()).unwrap();
        let e = cli::evaluate(&dir.join("policy"), &[dir.join("facts")], as_of, STYLE)
            .unwrap_or_else(|o| panic!("{}: {}", dir.display(), o.stderr));
        let compact = e.evaluation();
        let whole = compact.report();
        assert_eq!(writ::report::human(&compact), writ::report::human(&whole), "{}", dir.display());
        let input = e.input();
        assert_eq!(
            writ::report::json_with(&compact, &input, &e.diagnostics),
            writ::report::json_with_input(&whole, &input, &e.diagnostics),
            "{}",
            dir.display()
        );
    });
}

#[test]
fn eval_cases() {
    insta::glob!("fixtures/eval/*/as-of.txt", |as_of_path| {
        let dir = rel_path(as_of_path.parent().unwrap());
        let as_of = cli::parse_date(std::fs::read_to_string(as_of_path).unwrap().trim()).unwrap();
        let facts = dir.join("facts");
        let human = cli::eval(&dir.join("policy"), std::slice::from_ref(&facts), as_of, Format::Human, STYLE, false);
        let json = cli::eval(&dir.join("policy"), std::slice::from_ref(&facts), as_of, Format::Json, STYLE, false);
        assert_eq!(human.code, json.code);
        // Every record is accounted for: loaded = used + unused + rejected.
        let parsed: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
        for (kind, a) in parsed["summary"]["records"].as_object().unwrap() {
            let n = |k: &str| a[k].as_u64().unwrap();
            assert_eq!(n("loaded"), n("used") + n("unused") + n("rejected"), "{kind} in {}", dir.display());
        }
        // Every verdict id names one verdict.
        let ids: Vec<&str> = parsed["verdicts"].as_array().unwrap().iter().map(|v| v["id"].as_str().unwrap()).collect();
        let unique: std::collections::HashSet<&str> = ids.iter().copied().collect();
        assert_eq!(unique.len(), ids.len(), "repeated verdict ids in {}: {ids:?}", dir.display());
        insta::assert_snapshot!(format!(
            "----- EXIT {}\n----- STDERR\n{}\n----- HUMAN\n{}\n----- JSON\n{}",
            human.code,
            relative(&human.stderr),
            relative(&human.stdout),
            relative(&json.stdout)
        ));
    });
}
