//! The notice for circulation (监督通报) of the bundled Yangquan plan at 2020-01-15, in each
//! language: its counts are the JSON report's, each party's breaches are exactly the violated
//! verdicts that name it, and the document itself is a snapshot read as a change of
//! interpretation whenever it changes.

use serde_json::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use writ::cli::{self, Style};
use writ::lang::Lang;

const STYLE: Style = Style { color: false, width: 80, progress: false };

/// The Yangquan plan at `date`: the JSON report and the notice in `lang`.
fn reports(date: &str, lang: Lang) -> (Value, String) {
    std::env::set_current_dir(Path::new(env!("CARGO_MANIFEST_DIR"))).unwrap();
    let facts = [PathBuf::from("examples/yangquan-2019")];
    let e = cli::evaluate(Path::new("policies/yangquan-2019"), &facts, cli::parse_date(date).unwrap(), STYLE)
        .unwrap_or_else(|o| panic!("{}", o.stderr));
    let verdicts = e.evaluation();
    let json = writ::report::json_with(&verdicts, &e.input(), &e.diagnostics);
    (serde_json::from_str(&json).unwrap(), writ::report::notice(&verdicts, Some(lang)))
}

/// The text of the document between the heading that starts with `from` and the next `## `.
fn section<'a>(doc: &'a str, from: &str) -> &'a str {
    let start = doc.find(&format!("## {from}")).unwrap_or_else(|| panic!("no section {from}"));
    let rest = &doc[start + 3..];
    &rest[..rest.find("\n## ").unwrap_or(rest.len())]
}

/// The ids listed in a piece of the document (`編號：…` lines), with Markdown's escapes undone.
fn ids(text: &str, label: &str) -> BTreeSet<String> {
    text.lines()
        .filter_map(|l| l.trim_start().strip_prefix("- ")?.strip_prefix(label))
        .map(|id| id.replace('\\', ""))
        .collect()
}

#[test]
fn counts_and_breaches_are_the_json_reports() {
    let (json, doc) = reports("2020-01-15", Lang::ZhHant);
    let verdicts = json["verdicts"].as_array().unwrap();
    let total = json["summary"]["verdicts"].as_u64().unwrap();
    assert!(doc.contains(&format!("共核查計劃要求{total}項")), "{doc}");
    // Each party's heading in section 二 lists exactly the violated verdicts naming it.
    let violated = section(&doc, "二、");
    let mut parties_seen = 0;
    for part in violated.split("\n### ").skip(1) {
        let party = part.lines().next().unwrap().split_once('）').unwrap().1.replace('\\', "");
        let expected: BTreeSet<String> = verdicts
            .iter()
            .filter(|v| v["status"] == "violated")
            .filter(|v| {
                let mut named = v["parties"].as_object().unwrap().values().flat_map(|ps| ps.as_array().unwrap());
                // A verdict whose clause names no party is listed under a heading that says so.
                if party == "未列明責任單位" { named.next().is_none() } else { named.any(|p| *p == party) }
            })
            .map(|v| v["id"].as_str().unwrap().to_string())
            .collect();
        assert!(!expected.is_empty(), "{party} is listed with no breach");
        assert_eq!(ids(part, "編號："), expected, "the breaches of {party}");
        parties_seen += 1;
    }
    assert!(parties_seen > 1, "{violated}");
    // Section 三 holds every overdue and late verdict, none other.
    let late: BTreeSet<String> = verdicts
        .iter()
        .filter(|v| v["status"] == "overdue" || v["status"] == "fulfilled_late")
        .map(|v| v["id"].as_str().unwrap().to_string())
        .collect();
    let listed: BTreeSet<String> =
        section(&doc, "三、").split("\n### ").skip(1).flat_map(|p| ids(p, "編號：")).collect();
    assert_eq!(listed, late);
    // Section 六 has a row per unknown verdict.
    let unknown = verdicts.iter().filter(|v| v["status"] == "unknown").count();
    assert_eq!(section(&doc, "六、").lines().filter(|l| l.starts_with("| ")).count(), unknown + 1);
}

/// The notice in the plan's language, whole; in the other two, with sections 二 and 三 cut to
/// their first lines (the same items as in the plan's language, under labels the rest shows).
#[test]
fn notice_in_each_language() {
    let (_, doc) = reports("2020-01-15", Lang::ZhHant);
    insta::assert_snapshot!("notice_zh_hant", doc);
    for (lang, name, from, to) in
        [(Lang::ZhHans, "zh_hans", "## 二、", "## 四、"), (Lang::En, "en", "## 2\\.", "## 4\\.")]
    {
        let (_, doc) = reports("2020-01-15", lang);
        let (start, end) = (doc.find(from).unwrap(), doc.find(to).unwrap());
        let mut kept = doc[..start].to_string();
        let cut = &doc[start..end];
        let second = cut[1..].find("\n## ").map_or(cut.len(), |i| i + 2);
        for section in [&cut[..second], &cut[second..]] {
            let head: Vec<&str> = section.lines().take(9).collect();
            kept.push_str(&head.join("\n"));
            kept.push_str("\n…\n\n");
        }
        kept.push_str(&doc[end..]);
        insta::assert_snapshot!(format!("notice_{name}_outline"), kept);
    }
}

/// Section 五 lists exactly the duties pending on the as-of date that fall due by the end of the
/// next month, soonest first.
#[test]
fn upcoming_deadlines_are_the_pending_ones_of_two_months() {
    let (json, doc) = reports("2019-10-15", Lang::ZhHant);
    let mut expected: Vec<(String, String)> = json["verdicts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|v| v["status"] == "pending")
        .filter_map(|v| {
            let d = v["deadline"].as_str()?;
            ("2019-10-15"..="2019-11-30")
                .contains(&d)
                .then(|| (d.to_string(), v["cite"].as_str().unwrap_or("").to_string()))
        })
        .collect();
    expected.sort_by(|a, b| a.0.cmp(&b.0));
    let upcoming = section(&doc, "五、");
    assert!(upcoming.starts_with("五、近期到期事項（2019年10月15日至2019年11月30日）"), "{upcoming}");
    let rows: Vec<(String, String)> = upcoming
        .lines()
        .filter(|l| l.starts_with("| ") && !l.starts_with("| 條文編號"))
        .map(|l| {
            let cells: Vec<&str> = l.trim_matches('|').split(" | ").map(str::trim).collect();
            let (y, rest) = cells[3].split_once('年').unwrap();
            let (m, rest) = rest.split_once('月').unwrap();
            let d = rest.trim_end_matches('日');
            (format!("{y}-{:0>2}-{:0>2}", m, d), cells[0].to_string())
        })
        .collect();
    assert!(!rows.is_empty());
    assert_eq!(rows.iter().map(|r| &r.0).collect::<Vec<_>>(), expected.iter().map(|r| &r.0).collect::<Vec<_>>());
    let mut cites: Vec<&String> = rows.iter().map(|r| &r.1).collect();
    let mut want: Vec<&String> = expected.iter().map(|r| &r.1).collect();
    cites.sort();
    want.sort();
    assert_eq!(cites, want);
}
