//! The bundled Yangquan policies over the bundled (illustrative) facts: full reports at three
//! dates and the October 2019 agenda. A clause change shows here as the verdicts it moves.

use std::path::{Path, PathBuf};
use writ::cli::{self, Format, Style};

const STYLE: Style = Style { color: false, width: 80 };

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
        let human = cli::eval(&policy, &facts, as_of, Format::Human, STYLE);
        assert!(human.stderr.is_empty(), "{}", human.stderr);
        assert_eq!(human.code, cli::EXIT_BREACH, "the examples contain breaches at {date}");
        let json = cli::eval(&policy, &facts, as_of, Format::Json, STYLE);
        let parsed: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
        // Every record is accounted for: loaded = used + unused + rejected.
        for (kind, a) in parsed["summary"]["records"].as_object().unwrap() {
            let n = |k: &str| a[k].as_u64().unwrap();
            assert_eq!(n("loaded"), n("used") + n("unused") + n("rejected"), "{kind} at {date}");
        }
        insta::assert_snapshot!(format!("human-{date}"), human.stdout);
        insta::assert_snapshot!(format!("json-{date}"), json.stdout);
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
