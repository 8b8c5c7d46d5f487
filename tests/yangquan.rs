//! The bundled Yangquan policies over the bundled (illustrative) facts: full reports at three
//! dates and the October 2019 agenda (in English, so that a clause change shows as the verdicts
//! it moves, whatever the words), and the report at 2020-01-15 in the plan's language and the
//! others, in full and summed up.

use std::path::{Path, PathBuf};
use writ::cli::{self, Format, Style};
use writ::lang::Lang;
use writ::report::{HumanOptions, Only};

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
    let english = HumanOptions { lang: Some(Lang::En), ..HumanOptions::default() };
    for date in ["2019-06-30", "2019-10-15", "2020-01-15"] {
        let as_of = cli::parse_date(date).unwrap();
        let human = cli::eval_with(&policy, &facts, as_of, Format::Human, STYLE, false, &english);
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
    let english = HumanOptions { lang: Some(Lang::En), ..HumanOptions::default() };
    let out = cli::agenda_with(&policy, &facts, from, to, Some(as_of), Format::Human, STYLE, &english);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.contains("月度調度/2019-10/平定縣人民政府/1"));
    insta::assert_snapshot!(out.stdout);
    // In the plan's language, with only what is still open: the same obligations' ids.
    let open = HumanOptions { only: Some(Only::Open), ..HumanOptions::default() };
    let zh = cli::agenda_with(&policy, &facts, from, to, Some(as_of), Format::Human, STYLE, &open);
    assert!(zh.stdout.starts_with("陽泉藍天2019 — 2019年10月1日至2019年10月31日到期事項，狀態截至2019年10月15日"));
    assert!(zh.stdout.contains("[牽頭]") || zh.stdout.contains("[負責落實]"), "{}", zh.stdout);
    for line in zh.stdout.lines().filter(|l| l.starts_with("  2019")) {
        assert!(["違反", "逾期未完成", "未到期", "無法判定"].iter().any(|w| line.contains(w)), "{line}");
    }
    insta::assert_snapshot!("agenda-zh-Hant-open", zh.stdout);
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
        let english = HumanOptions { lang: Some(Lang::En), ..HumanOptions::default() };
        insta::assert_snapshot!(format!("section-{section}"), writ::report::human_with(&r, &english));
    }
    assert_eq!(seen, report.verdicts.len(), "every verdict belongs to a section");
}

/// The report at 2020-01-15 in the language the plan declares (`language "zh-Hant"`), in the
/// other script, and summed up in each language (the English report in full is
/// `human-2020-01-15`). Labels, statuses and dates change language; the plan's text, the
/// requirements and the ids do not, so the reports hold the same verdicts line for line.
#[test]
fn reports_in_each_language() {
    in_crate();
    let (policy, facts) = dirs();
    let as_of = cli::parse_date("2020-01-15").unwrap();
    let run = |options: HumanOptions| {
        let out = cli::eval_with(&policy, &facts, as_of, Format::Human, STYLE, false, &options);
        assert_eq!(out.code, cli::EXIT_BREACH);
        out.stdout
    };
    let plans = run(HumanOptions::default());
    let hant = run(HumanOptions { lang: Some(Lang::ZhHant), ..HumanOptions::default() });
    assert_eq!(plans, hant, "the plan declares zh-Hant");
    assert!(hant.starts_with("陽泉市打贏藍天保衛戰2019年行動計劃 — 截至2020年1月15日的核查結果\n共750項："), "{hant}");
    // A relocation is implemented by its enterprise's county, so each verdict names it.
    assert!(hant.contains("  牽頭 市工信局 │ 配合 市發改委\n"), "{hant}");
    assert!(hant.contains("      負責落實 城區人民政府\n"), "{hant}");
    let hans = run(HumanOptions { lang: Some(Lang::ZhHans), ..HumanOptions::default() });
    assert!(hans.contains("截至2020年1月15日的核查结果"), "{hans}");
    // The plan's own words stay as the plan writes them, role words included.
    assert!(hans.contains("  牽頭 市工信局 │ 配合 市發改委\n"));
    assert!(hans.contains("      負責落實 城區人民政府\n"));
    let english = run(HumanOptions { lang: Some(Lang::En), ..HumanOptions::default() });
    let ids = |text: &str| -> Vec<String> {
        text.lines()
            .filter_map(|l| l.split_once("id: ").or_else(|| l.split_once("編號：")).or_else(|| l.split_once("编号：")))
            .map(|(_, id)| id.to_string())
            .collect()
    };
    assert_eq!(ids(&hant), ids(&english));
    assert_eq!(ids(&hans), ids(&english));
    assert_eq!(hant.lines().count(), english.lines().count());
    assert_eq!(hans.lines().count(), english.lines().count());
    insta::assert_snapshot!("human-zh-Hant-2020-01-15", hant);
    insta::assert_snapshot!("human-zh-Hans-2020-01-15", hans);
    for lang in Lang::ALL {
        let summary = run(HumanOptions { lang: Some(lang), summary: true, ..HumanOptions::default() });
        insta::assert_snapshot!(format!("summary-{lang}-2020-01-15"), summary);
    }
}

/// `--only breaches` lists the breaches and nothing else, `--only open` what is still open, and
/// `--only all` every verdict, where the default counts the passing verdicts of a large clause.
#[test]
fn only_what_matters() {
    in_crate();
    let (policy, facts) = dirs();
    let as_of = cli::parse_date("2020-01-15").unwrap();
    let e = cli::evaluate(&policy, &facts, as_of, STYLE).unwrap_or_else(|o| panic!("{}", o.stderr));
    let report = e.report();
    let run = |only: Option<Only>| {
        let options = HumanOptions { lang: Some(Lang::En), only, summary: false };
        writ::report::human_with(&report, &options)
    };
    let listed = |text: &str| -> Vec<(String, String)> {
        // A verdict line: two spaces, a mark, the status, the subject.
        text.lines()
            .filter(|l| l.starts_with("  ") && !l.starts_with("   ") && l.contains(" · "))
            .filter_map(|l| {
                let mut words = l.split_whitespace();
                let mark = words.next()?;
                let status = words.next()?;
                (["✗", "△", "?", "…", "–", "✓"].contains(&mark) && writ::status::Status::parse(status).is_some())
                    .then(|| (status.to_string(), l.to_string()))
            })
            .collect()
    };
    let count = |pred: fn(writ::status::Status) -> bool| report.verdicts.iter().filter(|v| pred(v.status)).count();
    let breaches = run(Some(Only::Breaches));
    let b = listed(&breaches);
    assert_eq!(b.len(), count(|s| s.is_breach()));
    assert!(b.iter().all(|(s, _)| writ::status::Status::parse(s).unwrap().is_breach()), "{breaches}");
    assert!(breaches.contains(&format!("breaches only (--only breaches): {} of 750 verdicts", b.len())));
    let open = run(Some(Only::Open));
    let o = listed(&open);
    assert_eq!(o.len(), count(|s| s.is_open()));
    assert!(o.iter().all(|(s, _)| writ::status::Status::parse(s).unwrap().is_open()), "{open}");
    // Every verdict but those that do not apply (counted per clause) is on a line of its own.
    let all = listed(&run(Some(Only::All)));
    assert_eq!(all.len(), count(|s| s != writ::status::Status::NotApplicable));
    // By default, a clause with more than 20 passing verdicts counts them on one line.
    let default = run(None);
    assert!(default.contains("  ✓ 56 fulfilled: not listed one by one (--only all lists them)"), "{default}");
    let folded: usize = default
        .lines()
        .filter(|l| l.contains("not listed one by one"))
        .map(|l| l.split_whitespace().nth(1).unwrap().parse::<usize>().unwrap())
        .sum();
    assert_eq!(listed(&default).len() + folded, all.len());
}
