//! The bundled Yangquan policies over the bundled (illustrative) facts: full reports at three
//! dates and the October 2019 agenda. A clause change shows here as the verdicts it moves.

use std::path::{Path, PathBuf};
use writ::cli::{self, Format, Style};

const STYLE: Style = Style { color: false, width: 80, progress: false };

fn dirs() -> (PathBuf, Vec<PathBuf>) {
    (PathBuf::from("policies/yangquan-2019"), vec![PathBuf::from("examples/yangquan-2019")])
}

fn in_crate() {
    std::env::set_current_dir(Path::new(env!("CARGO_MANIFEST_DIR"))).unwrap();
}

#[test]
fn reports_at_three_dates() {
    in_crate();
    let (policy, facts) = dirs();
    for date in ["2019-06-30", "2019-10-15", "2020-01-15"] {
        let as_of = cli::parse_date(date).unwrap();
        let human = cli::eval(&policy, &facts, as_of, Format::Human, STYLE, false);
        assert!(human.stderr.is_empty(), "{}", human.stderr);
        assert_eq!(human.code, cli::EXIT_BREACH, "the examples contain breaches at {date}");
        let json = cli::eval(&policy, &facts, as_of, Format::Json, STYLE, false);
        let parsed: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
        // Every record is accounted for: loaded = used + unused + rejected.
        for (kind, a) in parsed["summary"]["records"].as_object().unwrap() {
            let n = |k: &str| a[k].as_u64().unwrap();
            assert_eq!(n("loaded"), n("used") + n("unused") + n("rejected"), "{kind} at {date}");
        }
        let ids: Vec<&str> = parsed["verdicts"].as_array().unwrap().iter().map(|v| v["id"].as_str().unwrap()).collect();
        let unique: std::collections::HashSet<&str> = ids.iter().copied().collect();
        assert_eq!(unique.len(), ids.len(), "repeated verdict ids at {date}");
        insta::assert_snapshot!(format!("human-{date}"), human.stdout);
        insta::assert_snapshot!(format!("json-{date}"), json.stdout);
    }
}

/// The reports written from the compact verdicts are those of the verdicts written out first
/// and held whole (JSON serialised by serde), at dates that give every status.
#[test]
fn compact_reports_are_the_reports_held_whole() {
    in_crate();
    let (policy, facts) = dirs();
    for date in ["2019-01-01", "2019-06-30", "2019-10-15", "2020-01-15", "2021-01-01"] {
        let e = cli::evaluate(&policy, &facts, cli::parse_date(date).unwrap(), STYLE)
            .unwrap_or_else(|o| panic!("{date}: {}", o.stderr));
        let compact = e.evaluation();
        let whole = compact.report();
        assert_eq!(writ::report::human(&compact), writ::report::human(&whole), "human at {date}");
        let input = e.input();
        assert_eq!(
            writ::report::json_with(&compact, &input, &e.diagnostics),
            writ::report::json_with_input(&whole, &input, &e.diagnostics),
            "JSON at {date}"
        );
    }
}

#[test]
fn agenda_for_october_2019() {
    in_crate();
    let (policy, facts) = dirs();
    let from = cli::parse_date("2019-10-01").unwrap();
    let to = cli::parse_date("2019-10-31").unwrap();
    let as_of = cli::parse_date("2019-10-15").unwrap();
    let out = cli::agenda(&policy, &facts, from, to, Some(as_of), Format::Human, STYLE);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.contains("月度調度/2019-10/平定縣人民政府/1"));
    insta::assert_snapshot!(out.stdout);
    let json = cli::agenda(&policy, &facts, from, to, Some(as_of), Format::Json, STYLE);
    insta::assert_snapshot!("agenda-json", json.stdout);
}

/// The checked model of the whole package: what the checker made of every declaration, unit and
/// clause. A change to a clause shows here as a change of its typed form.
#[test]
fn checked_model() {
    in_crate();
    let loaded = cli::load_package(Path::new("policies/yangquan-2019")).unwrap_or_else(|_| panic!("the package loads"));
    let checked = writ::db::package_model(&loaded.db, loaded.package);
    assert!(checked.diagnostics.is_empty(), "{:?}", checked.diagnostics);
    insta::assert_snapshot!(writ::model::dump(&checked.model));
}

/// Every cite quotes the plan verbatim: each piece of the quoted text (pieces are separated by
/// an ellipsis `……`) is found in the copy of the plan kept beside the policy.
#[test]
fn cites_quote_the_plan_verbatim() {
    in_crate();
    let plan =
        std::fs::read_to_string("policies/yangquan-2019/plan.txt").expect("the plan's text is kept with the policy");
    let loaded = cli::load_package(Path::new("policies/yangquan-2019")).unwrap_or_else(|_| panic!("the package loads"));
    let m = &writ::db::package_model(&loaded.db, loaded.package).model;
    let mut quotes: Vec<(String, String)> = Vec::new();
    for c in &m.clauses {
        if let Some(ci) = &c.cite {
            quotes.push((format!("clause {}", c.name), ci.text.clone().unwrap_or_default()));
        }
    }
    for r in &m.rules {
        if let Some(ci) = &r.cite {
            quotes.push((format!("rule {}", r.name), ci.text.clone().unwrap_or_default()));
        }
    }
    for t in &m.tables {
        if let Some(ci) = &t.cite {
            quotes.push((format!("table {}", t.name), ci.text.clone().unwrap_or_default()));
        }
    }
    for u in &m.untestable {
        quotes.push((format!("untestable {}", u.number), u.text.clone()));
    }
    assert!(quotes.len() >= m.clauses.len());
    let mut missing = Vec::new();
    for (who, text) in &quotes {
        assert!(!text.is_empty(), "{who} quotes nothing");
        for piece in text.split('…').map(str::trim).filter(|p| !p.is_empty()) {
            if !plan.contains(piece) {
                missing.push(format!("{who}: `{piece}`"));
            }
        }
    }
    assert!(missing.is_empty(), "not found verbatim in the plan:\n{}", missing.join("\n"));
}

/// The plan copy kept with the policy is the plan itself.
#[test]
fn the_plan_copy_is_the_plan() {
    in_crate();
    let shared = Path::new("../shared/plan/yangquan-2019-action-plan.txt");
    if let Ok(original) = std::fs::read_to_string(shared) {
        let copy = std::fs::read_to_string("policies/yangquan-2019/plan.txt").unwrap();
        assert_eq!(original, copy);
    }
}

/// One snapshot per section of the plan at 2020-01-15, so a reviewer changing a clause sees the
/// verdicts of its section move and no others.
#[test]
fn reports_by_section() {
    in_crate();
    let (policy, facts) = dirs();
    let as_of = cli::parse_date("2020-01-15").unwrap();
    let e = cli::evaluate(&policy, &facts, as_of, STYLE).unwrap_or_else(|o| panic!("{}", o.stderr));
    let sections = ["二", "三(一)", "三(二)", "三(三)", "三(四)", "三(五)", "三(六)", "四"];
    let mut seen = 0;
    let report = e.report();
    for section in sections {
        let mut r = report.clone();
        r.verdicts.retain(|v| v.cite.as_deref().is_some_and(|c| c.starts_with(section)));
        assert!(!r.verdicts.is_empty(), "section {section} has no verdicts");
        seen += r.verdicts.len();
        r.summary.verdicts = r.verdicts.len();
        for (status, n) in r.summary.by_status.iter_mut() {
            *n = r.verdicts.iter().filter(|v| v.status.name() == *status).count();
        }
        r.summary.records.clear();
        insta::assert_snapshot!(format!("section-{section}"), writ::report::human(&r));
    }
    assert_eq!(seen, report.verdicts.len(), "every verdict belongs to a section");
}
