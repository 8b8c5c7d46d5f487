//! The workbook (`writ eval --xlsx`) of the bundled Yangquan plan at 2020-01-15, opened with
//! calamine: its summary holds the JSON report's counts, its sheet of every verdict the JSON
//! verdicts field by field, and each party's sheet exactly the verdicts that party owes, under
//! a frozen header row with a filter.

use calamine::{Data, Reader, Xlsx};
use indexmap::IndexMap;
use serde_json::Value;
use std::collections::HashSet;
use std::io::Read;
use std::path::{Path, PathBuf};
use writ::cli::{self, Style};
use writ::lang::Lang;

const STYLE: Style = Style { color: false, width: 80, progress: false };

/// The columns of a verdict sheet in the plan's language (zh-Hant), as
/// `docs/report-language.md` lists them; a party's sheet has 職責 after 對象.
const HEADERS: [&str; 15] = [
    "條款",
    "名稱",
    "條文編號",
    "對象",
    "要求",
    "期限",
    "完成日期",
    "核查結果",
    "實際值",
    "限值",
    "處理措施",
    "依據",
    "說明",
    "編號",
    "核查結果代碼",
];

/// The statuses in zh-Hant, as `docs/report-language.md` gives them.
fn zh_hant(status: &str) -> &'static str {
    match status {
        "satisfied" => "符合",
        "violated" => "違反",
        "fulfilled" => "按期完成",
        "fulfilled_late" => "逾期完成",
        "pending" => "未到期",
        "overdue" => "逾期未完成",
        "met" => "達標",
        "missed" => "未達標",
        "exempt" => "豁免",
        "not_applicable" => "不適用",
        "unknown" => "無法判定",
        other => panic!("no status `{other}`"),
    }
}

/// The plan's words for its roles (`roles lead "牽頭", …` in `policies/yangquan-2019`).
fn role_word(role: &str) -> &str {
    match role {
        "lead" => "牽頭",
        "assist" => "配合",
        "implement" => "負責落實",
        other => other,
    }
}

const STATUSES: [&str; 11] = [
    "satisfied",
    "violated",
    "fulfilled",
    "fulfilled_late",
    "pending",
    "overdue",
    "met",
    "missed",
    "exempt",
    "not_applicable",
    "unknown",
];

/// The parties of each verdict by role, in the order of the JSON document (which a
/// `serde_json::Value` does not keep).
#[derive(serde::Deserialize)]
struct Roles {
    verdicts: Vec<Named>,
}

#[derive(serde::Deserialize)]
struct Named {
    parties: IndexMap<String, Vec<String>>,
}

/// The Yangquan plan evaluated at `date`: the JSON report and the workbook in `lang`, both
/// written from the same verdicts.
fn reports(date: &str, lang: Option<Lang>) -> (Value, Vec<u8>) {
    std::env::set_current_dir(Path::new(env!("CARGO_MANIFEST_DIR"))).unwrap();
    let facts = [PathBuf::from("examples/yangquan-2019")];
    let e = cli::evaluate(Path::new("policies/yangquan-2019"), &facts, cli::parse_date(date).unwrap(), STYLE)
        .unwrap_or_else(|o| panic!("{}", o.stderr));
    let verdicts = e.evaluation();
    let json = writ::report::json_with(&verdicts, &e.input(), &e.diagnostics);
    let book = writ::report::workbook(&verdicts, lang).expect("the workbook is made");
    let mut doc: Value = serde_json::from_str(&json).unwrap();
    let roles: Roles = serde_json::from_str(&json).unwrap();
    // The parties kept in order, as an array of `[role, [party…]]` pairs.
    for (v, named) in doc["verdicts"].as_array_mut().unwrap().iter_mut().zip(roles.verdicts) {
        v["parties"] = serde_json::to_value(named.parties.into_iter().collect::<Vec<_>>()).unwrap();
    }
    (doc, book)
}

/// Writes the workbook under the test's folder in `target/` and opens it with calamine.
fn open(bytes: &[u8], name: &str) -> (PathBuf, Xlsx<std::io::BufReader<std::fs::File>>) {
    let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    std::fs::write(&path, bytes).unwrap();
    let book = calamine::open_workbook(&path).expect("calamine opens the workbook");
    (path, book)
}

/// A cell as text: a string, a whole number, a date as `YYYY-MM-DD`, or empty.
fn text(d: &Data) -> String {
    match d {
        Data::Empty => String::new(),
        Data::String(s) => s.clone(),
        Data::Float(f) if f.fract() == 0.0 => format!("{f}"),
        Data::Int(i) => i.to_string(),
        Data::DateTime(dt) => {
            let (y, m, day, ..) = dt.to_ymd_hms_milli();
            format!("{y:04}-{m:02}-{day:02}")
        }
        other => panic!("unexpected cell {other:?}"),
    }
}

fn s(v: &Value) -> &str {
    v.as_str().unwrap_or("")
}

/// A JSON verdict's roles in order, each with its parties.
fn roles(v: &Value) -> Vec<(&str, &Vec<Value>)> {
    v["parties"].as_array().unwrap().iter().map(|pair| (s(&pair[0]), pair[1].as_array().unwrap())).collect()
}

/// The parties of a JSON verdict, in any role, once each, in the order named.
fn parties(v: &Value) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for (_, ps) in roles(v) {
        for p in ps {
            let p = s(p).to_string();
            if !out.contains(&p) {
                out.push(p);
            }
        }
    }
    out
}

/// The row a verdict sheet should hold for a JSON verdict (without the role).
fn expected_row(v: &Value) -> Vec<String> {
    let words = writ::report::messages::Words(Lang::ZhHant);
    let subject = v["subject"].as_array().unwrap();
    let subject = if subject.is_empty() {
        "本計劃".to_string()
    } else {
        subject.iter().map(|x| format!("{} {}", s(&x["kind"]), s(&x["key"]))).collect::<Vec<_>>().join(" · ")
    };
    let evidence = v["evidence"].as_array().unwrap();
    let mut facts: Vec<String> = v["facts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| format!("{}:{} ({} {})", s(&f["file"]), f["line"], s(&f["kind"]), s(&f["key"])))
        .collect();
    if let Some(n) = v["more_facts"].as_u64() {
        facts.push(format!("……另有{n}條"));
    }
    let sanctions: Vec<String> = v["sanctions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            let t = x["text"].as_str().unwrap_or(s(&x["name"]));
            match x["on"].as_str() {
                Some(on) => format!("{t}（對象：{on}）"),
                None => t.to_string(),
            }
        })
        .collect();
    vec![
        s(&v["clause"]).to_string(),
        s(&v["title"]).to_string(),
        s(&v["cite"]).to_string(),
        subject,
        s(&v["requirement"]).to_string(),
        s(&v["deadline"]).to_string(),
        s(&v["done_on"]).to_string(),
        zh_hant(s(&v["status"])).to_string(),
        evidence.iter().map(|e| s(&e["left_value"]).to_string()).collect::<Vec<_>>().join("\n"),
        evidence.iter().map(|e| format!("{} {}", s(&e["op"]), s(&e["right_value"]))).collect::<Vec<_>>().join("\n"),
        sanctions.join("\n"),
        facts.join("\n"),
        v["reason"].as_str().map(|r| words.reason(r).into_owned()).unwrap_or_default(),
        s(&v["id"]).to_string(),
        s(&v["status"]).to_string(),
    ]
}

/// Counts by status, in [`STATUSES`] order, after their total.
fn count_row(statuses: &[&str]) -> Vec<String> {
    let mut row = vec![statuses.len().to_string()];
    row.extend(STATUSES.iter().map(|st| statuses.iter().filter(|x| *x == st).count().to_string()));
    row
}

#[test]
fn the_workbook_holds_the_json_verdicts() {
    let (json, bytes) = reports("2020-01-15", None);
    let (path, mut book) = open(&bytes, "yangquan-2020-01-15.xlsx");
    let verdicts = json["verdicts"].as_array().unwrap();
    assert!(verdicts.len() > 700, "{}", verdicts.len());

    // The parties in the order they are first named, each with the verdicts it owes.
    let mut order: Vec<String> = Vec::new();
    for v in verdicts {
        for p in parties(v) {
            if !order.contains(&p) {
                order.push(p);
            }
        }
    }
    let mut names = vec!["匯總".to_string(), "全部核查結果".to_string()];
    names.extend(order.iter().cloned());
    assert_eq!(book.sheet_names(), names);

    // (a) The summary: the JSON's counts overall, and by party and section as counted from
    // the JSON verdicts.
    let summary = book.worksheet_range("匯總").unwrap();
    let cell = |r: u32, c: u32| summary.get_value((r, c)).map(text).unwrap_or_default();
    let row = |r: u32| (1..=STATUSES.len() as u32 + 1).map(|c| cell(r, c)).collect::<Vec<_>>();
    assert_eq!(cell(0, 0), "陽泉市打贏藍天保衛戰2019年行動計劃 — 截至2020年1月15日的核查結果");
    let header: Vec<String> = (0..=STATUSES.len() as u32 + 1).map(|c| cell(2, c)).collect();
    let mut expected = vec!["按核查結果".to_string(), "合計".to_string()];
    expected.extend(STATUSES.iter().map(|st| zh_hant(st).to_string()));
    assert_eq!(header, expected);
    assert_eq!(cell(3, 0), "全部核查結果");
    let mut overall = vec![json["summary"]["verdicts"].to_string()];
    overall.extend(STATUSES.iter().map(|st| json["summary"]["by_status"][st].to_string()));
    assert_eq!(row(3), overall);
    let all_statuses: Vec<&str> = verdicts.iter().map(|v| s(&v["status"])).collect();
    assert_eq!(row(3), count_row(&all_statuses));
    assert_eq!(cell(5, 0), "按責任單位");
    for (k, p) in order.iter().enumerate() {
        let r = 6 + k as u32;
        assert_eq!(&cell(r, 0), p);
        let theirs: Vec<&str> = verdicts.iter().filter(|v| parties(v).contains(p)).map(|v| s(&v["status"])).collect();
        assert_eq!(row(r), count_row(&theirs), "{p}");
    }
    let sections_at = 6 + order.len() as u32 + 1;
    assert_eq!(cell(sections_at, 0), "按計劃章節");
    let mut sections: Vec<String> = Vec::new();
    for v in verdicts {
        let sec = v["cite"].as_str().map_or("（未引用條文）", writ::report::section_of).to_string();
        if !sections.contains(&sec) {
            sections.push(sec);
        }
    }
    for (k, sec) in sections.iter().enumerate() {
        let r = sections_at + 1 + k as u32;
        assert_eq!(&cell(r, 0), sec);
        let theirs: Vec<&str> = verdicts
            .iter()
            .filter(|v| v["cite"].as_str().map_or("（未引用條文）", writ::report::section_of) == sec)
            .map(|v| s(&v["status"]))
            .collect();
        assert_eq!(row(r), count_row(&theirs), "{sec}");
    }
    assert_eq!(cell(sections_at + 1 + sections.len() as u32, 0), "", "nothing after the last section");

    // (b) The sheet of every verdict: the JSON verdicts, in order, field by field.
    let all = book.worksheet_range("全部核查結果").unwrap();
    let rows: Vec<Vec<String>> = all.rows().map(|r| r.iter().map(text).collect()).collect();
    assert_eq!(rows[0], HEADERS);
    assert_eq!(rows.len(), verdicts.len() + 1);
    for (v, row) in verdicts.iter().zip(&rows[1..]) {
        assert_eq!(row, &expected_row(v), "{}", v["id"]);
    }
    // Deadlines and days done are date cells, not text.
    let (mut dates, mut blanks) = (0, 0);
    for (i, v) in verdicts.iter().enumerate() {
        for (col, key) in [(5, "deadline"), (6, "done_on")] {
            let c = all.get_value((i as u32 + 1, col)).unwrap_or(&Data::Empty);
            if v[key].is_string() {
                assert!(matches!(c, Data::DateTime(dt) if dt.is_datetime()), "{} {key}: {c:?}", v["id"]);
                dates += 1;
            } else {
                assert_eq!(c, &Data::Empty, "{} {key}", v["id"]);
                blanks += 1;
            }
        }
    }
    assert!(dates > 100 && blanks > 100, "{dates} dates, {blanks} blanks");

    // (c) Each party's sheet: exactly the verdicts that name the party, in order, with its
    // role in each in the plan's words; every verdict that names a party is on a sheet.
    let mut on_a_sheet: HashSet<String> = HashSet::new();
    let mut party_header: Vec<&str> = HEADERS.to_vec();
    party_header.insert(4, "職責");
    for p in &order {
        let sheet = book.worksheet_range(p).unwrap();
        let rows: Vec<Vec<String>> = sheet.rows().map(|r| r.iter().map(text).collect()).collect();
        assert_eq!(rows[0], party_header, "{p}");
        let theirs: Vec<&Value> = verdicts.iter().filter(|v| parties(v).contains(p)).collect();
        assert_eq!(rows.len(), theirs.len() + 1, "{p}");
        for (v, row) in theirs.iter().zip(&rows[1..]) {
            let mut expected = expected_row(v);
            let theirs: Vec<&str> = roles(v)
                .into_iter()
                .filter(|(_, ps)| ps.iter().any(|x| s(x) == p))
                .map(|(r, _)| role_word(r))
                .collect();
            expected.insert(4, theirs.join("、"));
            assert_eq!(row, &expected, "{p}: {}", v["id"]);
            on_a_sheet.insert(s(&v["id"]).to_string());
        }
    }
    for v in verdicts {
        assert_eq!(on_a_sheet.contains(s(&v["id"])), !parties(v).is_empty(), "{}", v["id"]);
    }

    // (d) Every verdict sheet's header row is frozen, a filter covers the table, and the
    // status code's column is hidden: read from the sheets' XML.
    let mut zip = zip::ZipArchive::new(std::fs::File::open(&path).unwrap()).unwrap();
    for (k, name) in names.iter().enumerate().skip(1) {
        let mut xml = String::new();
        zip.by_name(&format!("xl/worksheets/sheet{}.xml", k + 1)).unwrap().read_to_string(&mut xml).unwrap();
        let n = if k == 1 { verdicts.len() } else { verdicts.iter().filter(|v| parties(v).contains(name)).count() };
        let last = if k == 1 { 'O' } else { 'P' };
        assert!(
            xml.contains(r#"<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>"#),
            "{name}"
        );
        assert!(xml.contains(&format!(r#"<autoFilter ref="A1:{last}{}"/>"#, n + 1)), "{name}");
        assert!(xml.contains(r#"hidden="1""#), "{name}");
    }
}

/// The same verdicts give the same bytes; `--lang en` gives English headers and statuses.
#[test]
fn the_workbook_is_byte_stable_and_speaks_the_language_asked() {
    let (_, first) = reports("2020-01-15", None);
    let (_, again) = reports("2020-01-15", None);
    assert!(first == again, "two workbooks of the same verdicts differ");
    let (json, english) = reports("2020-01-15", Some(Lang::En));
    let (_, mut book) = open(&english, "yangquan-2020-01-15-en.xlsx");
    assert_eq!(&book.sheet_names()[..2], ["summary", "all verdicts"]);
    let all = book.worksheet_range("all verdicts").unwrap();
    let rows: Vec<Vec<String>> = all.rows().map(|r| r.iter().map(text).collect()).collect();
    assert_eq!(rows[0][..8], ["clause", "title", "cite", "subject", "requirement", "deadline", "done on", "status"]);
    for (v, row) in json["verdicts"].as_array().unwrap().iter().zip(&rows[1..]) {
        // English keeps the JSON's status codes.
        assert_eq!(row[7], s(&v["status"]));
        assert_eq!(row[14], s(&v["status"]));
        assert_eq!(row[5], s(&v["deadline"]), "{}", v["id"]);
    }
    // An English date format is a date format too.
    let first_dated = json["verdicts"].as_array().unwrap().iter().position(|v| v["deadline"].is_string()).unwrap();
    let c = all.get_value((first_dated as u32 + 1, 5)).unwrap();
    assert!(matches!(c, Data::DateTime(dt) if dt.is_datetime()), "{c:?}");
}
