//! Damaged input never turns into a verdict that looks right.
//!
//! Each Yangquan example fact file is damaged in turn — cut off in the middle, one value of a
//! record made unreadable, a sheet of the workbook blanked — and the whole plan is evaluated
//! again. Against the report of the undamaged facts, every verdict must either keep its status
//! or become `unknown`; a verdict that is gone must be stood for by a new `unknown` verdict of
//! the same clause (the records that could not be read); a new verdict must be `unknown` (or
//! `not_applicable`, in a clause that applies to nothing on that date). So no
//! damage can turn a breach into a pass, a pass into a breach, or make a duty vanish. The
//! record accounting of the damaged kinds must show the loss, and the damage must be reported.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::Arc;
use writ::cli;
use writ::db::{self, FactFile, FactSet};
use writ::eval::{self, Report, Status};
use writ::facts::{self, Content};
use writ::value::Date;

const POLICY: &str = "policies/yangquan-2019";
const JSON: &str = "examples/yangquan-2019";
const WORKBOOK: &str = "examples/yangquan-2019-formats/xlsx/yangquan-2019.xlsx";
const CSV: &str = "examples/yangquan-2019-formats/csv";

/// One evaluation context: the checked package, and fact files that stay cached in the database
/// across evaluations, so each damaged variant re-reads only the file it damaged.
struct Bench {
    loaded: cli::Loaded,
    model: writ::model::Model,
}

/// What a damaged run gave.
struct Run {
    report: Report,
    /// Codes of every fact diagnostic, from the files and from linking.
    codes: Vec<&'static str>,
}

impl Bench {
    fn new() -> Bench {
        std::env::set_current_dir(Path::new(env!("CARGO_MANIFEST_DIR"))).unwrap();
        let loaded = cli::load_package(Path::new(POLICY)).unwrap_or_else(|d| panic!("{d:?}"));
        let checked = db::package_model(&loaded.db, loaded.package);
        assert!(!checked.has_errors(), "the Yangquan package checks");
        let model = checked.model.clone();
        Bench { loaded, model }
    }

    fn file(&self, name: &str, content: Content) -> FactFile {
        FactFile::new(&self.loaded.db, self.loaded.package, Arc::from(name), content)
    }

    fn run(&self, files: &[FactFile], as_of: Date) -> Run {
        let db = &self.loaded.db;
        let mut codes = Vec::new();
        for f in files {
            codes.extend(db::fact_file(db, *f).diagnostics.iter().map(|d| d.code));
        }
        let set = FactSet::new(db, self.loaded.package, files.to_vec());
        let facts = db::fact_set(db, set);
        codes.extend(facts.diagnostics.iter().map(|d| d.code));
        Run { report: eval::evaluate(&self.model, facts, as_of).report(), codes }
    }
}

fn text_files(dir: &str, ext: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == ext))
        .map(|p| (p.display().to_string(), std::fs::read_to_string(&p).unwrap_or_default()))
        .collect();
    out.sort();
    out
}

fn date(s: &str) -> Date {
    Date::parse_iso(s).unwrap()
}

/// The record kinds a JSON fact file holds: its top-level keys, in the order written.
fn kinds_of(json: &str) -> Vec<String> {
    let v: serde_json::Value = serde_json::from_str(json).expect("example files are valid JSON");
    let mut kinds: Vec<String> = v.as_object().map(|o| o.keys().cloned().collect()).unwrap_or_default();
    kinds.sort_by_key(|k| json.find(&format!("\"{k}\"")).unwrap_or(usize::MAX));
    kinds
}

/// Whether the accounting of `kind` shows that input was lost: rejected records, or any other
/// sign of loss the account carries (records lost, fields rejected, files not read).
fn shows_loss(report: &Report, kind: &str) -> bool {
    let Some(account) = report.summary.records.get(kind) else { return false };
    let v = serde_json::to_value(account).unwrap();
    v.as_object().unwrap().iter().any(|(k, x)| {
        !matches!(k.as_str(), "loaded" | "used" | "unused")
            && match x {
                serde_json::Value::Null => false,
                serde_json::Value::Bool(b) => *b,
                serde_json::Value::Number(n) => n.as_f64() != Some(0.0),
                serde_json::Value::String(s) => !s.is_empty(),
                serde_json::Value::Array(a) => !a.is_empty(),
                serde_json::Value::Object(o) => !o.is_empty(),
            }
    })
}

fn loaded(report: &Report, kind: &str) -> usize {
    report.summary.records.get(kind).map_or(0, |a| a.loaded)
}

/// Compares a damaged run with the undamaged one; returns what went wrong.
fn compare(what: &str, base: &Report, got: &Report) -> Vec<String> {
    let mut problems = Vec::new();
    let before: HashMap<&str, Status> = base.verdicts.iter().map(|v| (v.id.as_str(), v.status)).collect();
    let mut ids = HashSet::new();
    for v in &got.verdicts {
        if !ids.insert(v.id.as_str()) {
            problems.push(format!("{what}: two verdicts with the id `{}`", v.id));
        }
    }
    // Clauses whose every verdict was `not_applicable` (outside their `during` period): a
    // verdict standing for lost records of such a clause is rightly `not_applicable` too.
    let mut idle: HashMap<&str, bool> = HashMap::new();
    for v in &base.verdicts {
        *idle.entry(v.clause.as_str()).or_insert(true) &= v.status == Status::NotApplicable;
    }
    // Clauses with a new `unknown` verdict: those may stand for verdicts that are gone.
    let mut stand_ins: HashSet<&str> = HashSet::new();
    for v in &got.verdicts {
        let stands_in = v.status == Status::Unknown
            || (v.status == Status::NotApplicable && idle.get(v.clause.as_str()) == Some(&true));
        match before.get(v.id.as_str()) {
            Some(&s) if s == v.status || v.status == Status::Unknown => {}
            Some(&s) => problems.push(format!("{what}: `{}` went from {} to {}", v.id, s.name(), v.status.name())),
            None if stands_in => {
                stand_ins.insert(v.clause.as_str());
            }
            None => problems.push(format!("{what}: a new verdict `{}` is {}, not unknown", v.id, v.status.name())),
        }
    }
    for v in &base.verdicts {
        if !ids.contains(v.id.as_str()) && !stand_ins.contains(v.clause.as_str()) {
            problems.push(format!(
                "{what}: `{}` ({}) is gone, and no unknown verdict of clause `{}` stands for it",
                v.id,
                v.status.name(),
                v.clause
            ));
        }
    }
    problems
}

/// The byte range of the value of the `n`th member (0-based; `None` for the last) of the first
/// record (the first object inside the first array) of a JSON fact file.
fn member_value(json: &str, n: Option<usize>) -> Option<(usize, usize)> {
    let b = json.as_bytes();
    let start = json.find('[')? + json[json.find('[')?..].find('{')?;
    let mut i = start + 1;
    let mut values = Vec::new();
    loop {
        while i < b.len() && (b[i] as char).is_ascii_whitespace() || b.get(i) == Some(&b',') {
            i += 1;
        }
        if b.get(i)? == &b'}' {
            break;
        }
        // The member's name.
        i = skip_string(b, i)?;
        while b.get(i)? != &b':' {
            i += 1;
        }
        i += 1;
        while (b.get(i)? as &u8).is_ascii_whitespace() {
            i += 1;
        }
        let v0 = i;
        i = match b[i] {
            b'"' => skip_string(b, i)?,
            b'{' | b'[' => return None,
            _ => {
                let mut j = i;
                while j < b.len() && !matches!(b[j], b',' | b'}' | b' ' | b'\n' | b'\r' | b'\t') {
                    j += 1;
                }
                j
            }
        };
        values.push((v0, i));
    }
    match n {
        Some(n) => values.get(n).copied(),
        None => values.last().copied(),
    }
}

/// The index just past the JSON string starting at `i`.
fn skip_string(b: &[u8], i: usize) -> Option<usize> {
    if b.get(i)? != &b'"' {
        return None;
    }
    let mut j = i + 1;
    while *b.get(j)? != b'"' {
        j += if b[j] == b'\\' { 2 } else { 1 };
    }
    Some(j + 1)
}

/// The first half of a text, cut at a character boundary.
fn truncated(text: &str) -> String {
    let mut cut = text.len() / 2;
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    text[..cut].to_string()
}

/// A value no field of any type accepts: an object where a scalar belongs.
const UNREADABLE: &str = r#"{"damaged": true}"#;

#[test]
fn damaging_any_json_fact_file_never_changes_a_verdict_except_to_unknown() {
    let bench = Bench::new();
    let files = text_files(JSON, "json");
    assert_eq!(files.len(), 36, "the Yangquan example files");
    let inputs: Vec<FactFile> = files.iter().map(|(n, t)| bench.file(n, Content::text(t))).collect();
    let mut problems = Vec::new();
    let mut variants = 0;
    for as_of in ["2019-10-15", "2020-01-15"] {
        let base = bench.run(&inputs, date(as_of));
        assert!(base.codes.is_empty(), "the undamaged examples load cleanly: {:?}", base.codes);
        for (i, (name, text)) in files.iter().enumerate() {
            let kinds = kinds_of(text);
            let mut damaged: Vec<(String, String, bool)> = vec![(format!("{name} cut in half"), truncated(text), true)];
            for (label, n) in [("its first", Some(0)), ("its last", None)] {
                if let Some((a, b)) = member_value(text, n) {
                    let t = format!("{}{UNREADABLE}{}", &text[..a], &text[b..]);
                    damaged.push((format!("{name} with {label} value of the first record unreadable"), t, false));
                }
            }
            assert!(damaged.len() == 3, "{name}: every example file has a first record with scalar values");
            for (what, t, cut) in damaged {
                variants += 1;
                let what = format!("{what}, as of {as_of}");
                let mut set = inputs.clone();
                set[i] = bench.file(name, Content::text(&t));
                let run = bench.run(&set, date(as_of));
                problems.extend(compare(&what, &base.report, &run.report));
                if run.codes.is_empty() {
                    problems.push(format!("{what}: no diagnostic says the file was damaged"));
                }
                // A cut loses the records after it: each kind that lost records must say so. A
                // damaged value is in the first record, of the file's first kind.
                let damaged_kinds: Vec<&String> = if cut {
                    kinds.iter().filter(|k| loaded(&run.report, k) != loaded(&base.report, k)).collect()
                } else {
                    kinds.iter().take(1).collect()
                };
                for k in damaged_kinds {
                    if !shows_loss(&run.report, k) {
                        problems.push(format!("{what}: the accounting of `{k}` does not show the loss"));
                    }
                }
            }
        }
    }
    assert!(variants >= 200, "{variants} damaged variants");
    assert!(problems.is_empty(), "{} problems:\n{}", problems.len(), problems.join("\n"));
}

/// The sheets of a workbook by name, with the path of each sheet's XML part.
fn sheets(zip: &mut zip::ZipArchive<std::io::Cursor<Vec<u8>>>) -> Vec<(String, String)> {
    let read = |zip: &mut zip::ZipArchive<std::io::Cursor<Vec<u8>>>, name: &str| {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut zip.by_name(name).unwrap(), &mut s).unwrap();
        s
    };
    let workbook = read(zip, "xl/workbook.xml");
    let rels = read(zip, "xl/_rels/workbook.xml.rels");
    let attr = |tag: &str, name: &str| -> Option<String> {
        let at = tag.find(&format!(" {name}=\""))? + name.len() + 3;
        Some(tag[at..at + tag[at..].find('"')?].to_string())
    };
    let mut out = Vec::new();
    for tag in workbook.split("<sheet ").skip(1) {
        // The split ate the space before the first attribute.
        let tag = format!(" {}", &tag[..tag.find("/>").unwrap()]);
        let tag = tag.as_str();
        let (name, rid) = (attr(tag, "name").unwrap(), attr(tag, "r:id").unwrap());
        let rel = rels
            .split("<Relationship ")
            .map(|r| format!(" {r}"))
            .find(|r| attr(r, "Id").as_deref() == Some(rid.as_str()))
            .unwrap();
        let target = attr(&rel, "Target").unwrap();
        let target = target.trim_start_matches('/').trim_start_matches("xl/");
        out.push((unescape_xml(&name), format!("xl/{target}")));
    }
    out
}

fn unescape_xml(s: &str) -> String {
    s.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", "\"").replace("&apos;", "'").replace("&amp;", "&")
}

/// The workbook with one sheet's rows removed: the sheet is still there, with nothing in it.
fn blanked(bytes: &[u8], sheet_path: &str) -> Vec<u8> {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes.to_vec())).unwrap();
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let stored = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for i in 0..zip.len() {
        let mut entry = zip.by_index(i).unwrap();
        let name = entry.name().unwrap().to_string();
        let mut data = Vec::new();
        std::io::Read::read_to_end(&mut entry, &mut data).unwrap();
        if name == sheet_path {
            let xml = String::from_utf8(data).unwrap();
            let (a, b) = (xml.find("<sheetData").unwrap(), xml.find("</sheetData>").map(|e| e + 12));
            let b = b.unwrap_or_else(|| a + xml[a..].find("/>").unwrap() + 2);
            data = format!("{}<sheetData/>{}", &xml[..a], &xml[b..]).into_bytes();
        }
        out.start_file(name, stored).unwrap();
        std::io::Write::write_all(&mut out, &data).unwrap();
    }
    out.finish().unwrap().into_inner()
}

#[test]
fn blanking_any_sheet_of_the_workbook_never_changes_a_verdict_except_to_unknown() {
    let bench = Bench::new();
    let bytes = std::fs::read(WORKBOOK).unwrap();
    let name = WORKBOOK;
    let base_file = bench.file(name, Content::Bytes(bytes.clone().into()));
    let as_of = date("2020-01-15");
    let base = bench.run(&[base_file], as_of);
    assert!(base.codes.is_empty(), "the workbook loads cleanly: {:?}", base.codes);
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes.clone())).unwrap();
    let sheets = sheets(&mut zip);
    assert_eq!(sheets.len(), 72, "one sheet per record kind");
    let mut problems = Vec::new();
    for (sheet, path) in &sheets {
        let what = format!("sheet `{sheet}` blanked");
        let damaged = bench.file(name, Content::Bytes(blanked(&bytes, path).into()));
        let run = bench.run(&[damaged], as_of);
        problems.extend(compare(&what, &base.report, &run.report));
        if run.codes.is_empty() {
            problems.push(format!("{what}: no diagnostic says the sheet is empty"));
        }
        if !shows_loss(&run.report, sheet) {
            problems.push(format!("{what}: the accounting of `{sheet}` does not show the loss"));
        }
    }
    assert!(problems.is_empty(), "{} problems:\n{}", problems.len(), problems.join("\n"));
}

#[test]
fn an_unclosed_quote_in_any_csv_file_never_changes_a_verdict_except_to_unknown() {
    let bench = Bench::new();
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(CSV)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "csv"))
        .map(|p| (p.display().to_string(), std::fs::read(&p).unwrap()))
        .collect();
    files.sort();
    let content = |name: &str, bytes: Vec<u8>| facts::decode(&Arc::from(name), bytes).unwrap();
    let inputs: Vec<FactFile> = files.iter().map(|(n, b)| bench.file(n, content(n, b.clone()))).collect();
    let as_of = date("2020-01-15");
    let base = bench.run(&inputs, as_of);
    assert!(base.codes.is_empty(), "the CSV copies load cleanly: {:?}", base.codes);
    let mut problems = Vec::new();
    for (i, (name, bytes)) in files.iter().enumerate() {
        // A quote opened at the start of the first data row and never closed: the reader
        // would swallow every following row into one cell.
        let Some(nl) = bytes.iter().position(|&b| b == b'\n') else { continue };
        let mut t = bytes.clone();
        t.insert(nl + 1, b'"');
        let what = format!("{name} with an unclosed quote on its first data row");
        let mut set = inputs.clone();
        set[i] = bench.file(name, content(name, t));
        let run = bench.run(&set, as_of);
        problems.extend(compare(&what, &base.report, &run.report));
        if run.codes.is_empty() {
            problems.push(format!("{what}: no diagnostic"));
        }
        let kind = Path::new(name).file_stem().unwrap().to_string_lossy().to_string();
        if !shows_loss(&run.report, &kind) {
            problems.push(format!("{what}: the accounting of `{kind}` does not show the loss"));
        }
    }
    assert!(problems.is_empty(), "{} problems:\n{}", problems.len(), problems.join("\n"));
}
