//! Fact files read against the bundled policy `policies/yangquan-2019`, one case per file or
//! folder (a CSV file is named after its record kind, so each CSV case is a folder; a case that
//! needs two files is a folder too).
//!
//! - `fixtures/facts-err/*`: invalid facts. Each case gives at least one error with the code
//!   [`EXPECTED`] names; every diagnostic has a help line, a labelled span inside the text of a
//!   file of the case; then the input and the rendered diagnostics are snapshotted.
//! - `fixtures/facts-ok/*`: facts that look wrong but are read as intended (a trimmed enum
//!   variant, `是`/`否`, values at the ends of their fields' ranges…): zero diagnostics, then
//!   the values read are snapshotted.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use writ::diagnostic::Diagnostic;
use writ::facts::{self, Facts, FileFacts, Schema};
use writ::model::{Model, Ty};
use writ::report::{Sources, render_diagnostics};
use writ::value::Value;
use writ::{cli, db};

/// Every error case: its name (the file or folder name), the diagnostic code it must give, and
/// text that diagnostic's message or help must contain (empty: no constraint).
const EXPECTED: &[(&str, &str, &str)] = &[
    // JSON syntax: a syntax error stops the file.
    ("syntax-unclosed-brace.json", "fact-syntax", "found end of file"),
    ("syntax-trailing-comma.json", "fact-syntax", "remove the comma"),
    ("syntax-trailing-comma-array.json", "fact-syntax", "remove the comma"),
    ("syntax-bare-word.json", "fact-syntax", "double quotes"),
    ("syntax-single-quotes.json", "fact-syntax", "double quotes"),
    ("syntax-unterminated-string.json", "fact-syntax", ""),
    ("syntax-string-line-break.json", "fact-syntax", "cannot span lines"),
    ("syntax-leading-zero.json", "fact-syntax", "leading zero"),
    ("syntax-bad-escape.json", "fact-syntax", "`\\k`"),
    ("syntax-nan-bare.json", "fact-syntax", "found `NaN`"),
    ("syntax-thousands-bare.json", "fact-syntax", ""),
    ("syntax-text-after-object.json", "fact-syntax", "end of file after the top-level object"),
    ("top-level-array.json", "fact-syntax", "`{` opening the record kinds"),
    ("nesting-200-deep.json", "fact-syntax", "levels of nesting"),
    // NDJSON: each line is read on its own, so a bad line stops only itself.
    ("ndjson-line-errors.ndjson", "fact-syntax", "expected a field name in double quotes"),
    ("ndjson-named-after-kind", "fact-syntax", "found `二十`"),
    // Shapes that are JSON but not a fact file: the rest of the file is still read.
    ("kind-not-array.json", "fact-syntax", "expected an array of `工業爐窯` records"),
    ("record-not-object.json", "fact-syntax", "(an object)"),
    ("duplicate-member.json", "duplicate-field", "duplicate field `顆粒物`"),
    ("field-value-object.json", "bad-value", "found an object"),
    ("unknown-format.xml", "unknown-format", "`.xml`"),
    // Names.
    ("unknown-kind-near-miss.json", "unknown-record-kind", "did you mean `工業爐窯`"),
    ("unknown-kind-far.json", "unknown-record-kind", "the record kinds are"),
    ("unknown-field-near-miss.json", "unknown-field", "did you mean `顆粒物`"),
    ("unknown-field-far.json", "unknown-field", "has the fields"),
    // A value of the wrong type, one case per field type.
    ("wrong-type-text.json", "bad-value", "expected text, found `true`"),
    ("wrong-type-number.json", "bad-value", "expected a number, found `many`"),
    ("wrong-type-bool.json", "bad-value", "expected a yes/no value"),
    ("wrong-type-date.json", "bad-value", "expected a date like `2019-09-30`"),
    ("wrong-type-enum.json", "bad-value", "did you mean `紅色`"),
    ("wrong-type-percent.json", "bad-value", "a percentage"),
    ("wrong-type-quantity.json", "bad-value", "a quantity in `mg/m3`"),
    ("wrong-type-party.json", "bad-value", "did you mean `市生態環境局`"),
    ("wrong-type-reference.json", "bad-value", "the key of a `企業` record"),
    // Dates.
    ("date-feb-30.json", "bad-value", "2019-02 has 28 days"),
    // Values of the right type outside their field's range.
    ("range-negative-values.json", "value-out-of-range", "takes values >= 0"),
    ("range-percent-120.json", "value-out-of-range", "a share from 0% to 100%"),
    ("range-date-year-zero.json", "value-out-of-range", "within a century of the plan"),
    ("date-month-13.json", "bad-value", "months run from 1 to 12"),
    ("date-spellings.json", "bad-value", "expected a date"),
    ("date-bad-datetime.json", "bad-value", "expected a date or a datetime"),
    // Units and numbers.
    ("unit-wrong-dimension.json", "unit-mismatch", "found `km`"),
    ("unit-unknown.json", "bad-value", "unknown unit `mg/Nm3`"),
    ("number-1e400.json", "number-out-of-range", "too large"),
    ("number-40-digits.json", "number-out-of-range", "too large"),
    ("number-too-precise.json", "number-out-of-range", "more digits than can be held exactly"),
    ("number-thousands-separator.json", "bad-value", "without unit or thousands separators"),
    ("number-fullwidth-digits.json", "bad-value", "found `３０`"),
    ("number-nan-infinity-strings.json", "bad-value", "found `NaN`"),
    // Keys and references.
    ("missing-key.json", "missing-key", "expected a `編號` for this `工業爐窯` record, found none"),
    ("empty-string-key.json", "missing-key", ""),
    ("duplicate-key.json", "duplicate-key", "duplicate `工業爐窯` key `K1`"),
    ("duplicate-key-across-files", "duplicate-key", "duplicate `工業爐窯` key `K1`"),
    ("dangling-reference.json", "dangling-reference", "did you mean `盂縣`"),
    // A record rejected whole (here a row of the wrong shape) does not resolve a reference to
    // it: the referring field is unreadable, and the referring record stays.
    ("reference-to-rejected", "dangling-reference", "was rejected"),
    // A record with one bad value stays, with that field unreadable, so references resolve.
    ("reference-to-record-with-bad-field.json", "bad-value", "found `many`"),
    // CSV.
    ("csv-unknown-column", "unknown-field", "did you mean `顆粒物`"),
    ("csv-too-many-cells", "fact-syntax", "expected 3 cells as in the header, found 4"),
    ("csv-too-few-cells", "fact-syntax", "expected 3 cells as in the header, found 2"),
    ("csv-bom-bad-value", "bad-value", "found `twenty`"),
    ("csv-bom-unknown-column", "unknown-field", "did you mean `顆粒物`"),
    ("csv-multiline-bad-value", "bad-value", "found `abc`"),
    ("csv-unknown-kind", "unknown-record-kind", "rename the file to `工業爐窯.csv`"),
    ("csv-missing-key-column", "missing-key", "expected a `編號` column"),
    ("csv-duplicate-column", "duplicate-field", "duplicate column `顆粒物`"),
    ("csv-empty-file", "fact-syntax", "empty file"),
    ("csv-thousands-separator", "bad-value", "found `1,234`"),
    ("csv-fullwidth-digits", "bad-value", "found `３０`"),
];

fn model() -> Model {
    let loaded = cli::load_package(Path::new("policies/yangquan-2019")).expect("the bundled policy loads");
    let checked = db::package_model(&loaded.db, loaded.package);
    assert!(!checked.has_errors(), "the bundled policy checks");
    checked.model.clone()
}

/// The case path relative to the crate, as a user would type it.
fn rel_path(p: &Path) -> PathBuf {
    p.strip_prefix(env!("CARGO_MANIFEST_DIR")).map(Path::to_path_buf).unwrap_or_else(|_| p.to_path_buf())
}

fn relative(text: &str) -> String {
    text.replace(&format!("{}/", env!("CARGO_MANIFEST_DIR")), "")
}

/// A case read: its files (path, text), each file's facts, the linked facts, every diagnostic.
struct Case {
    name: String,
    files: Vec<(Arc<str>, Arc<str>)>,
    facts: Facts,
    diagnostics: Vec<Diagnostic>,
}

fn read_case(model: &Model, case: &Path) -> Case {
    let case = rel_path(case);
    let name = case.file_name().unwrap().to_string_lossy().into_owned();
    let paths = if case.is_dir() {
        let mut ps: Vec<PathBuf> = std::fs::read_dir(&case).unwrap().map(|e| e.unwrap().path()).collect();
        ps.sort();
        ps
    } else {
        vec![case.clone()]
    };
    assert!(!paths.is_empty(), "{name}: an empty case folder");
    let files: Vec<(Arc<str>, Arc<str>)> = paths
        .iter()
        .map(|p| (Arc::from(p.display().to_string()), Arc::from(std::fs::read_to_string(p).unwrap())))
        .collect();
    let schema = Schema::of(model);
    let read = catch_unwind(AssertUnwindSafe(|| {
        let per_file: Vec<FileFacts> = files.iter().map(|(p, t)| facts::parse_file(&schema, p, t)).collect();
        let refs: Vec<&FileFacts> = per_file.iter().collect();
        let linked = facts::link(&schema, &refs);
        (per_file, linked)
    }));
    let Ok((per_file, facts)) = read else { panic!("{name}: reading the facts panicked") };
    let mut diagnostics: Vec<Diagnostic> = per_file.iter().flat_map(|f| f.diagnostics.iter().cloned()).collect();
    diagnostics.extend(facts.diagnostics.iter().cloned());
    Case { name, files, facts, diagnostics }
}

impl Case {
    fn text_of(&self, path: &str) -> Option<&Arc<str>> {
        self.files.iter().find(|(p, _)| &**p == path).map(|(_, t)| t)
    }

    fn render(&self) -> String {
        let mut sources = Sources::default();
        for (p, t) in &self.files {
            sources.add(p, t);
        }
        let rendered = catch_unwind(AssertUnwindSafe(|| render_diagnostics(&self.diagnostics, &sources, false, 80)));
        relative(&rendered.unwrap_or_else(|_| panic!("{}: rendering the diagnostics panicked", self.name)))
    }

    /// The input files, a BOM made visible.
    fn input(&self) -> String {
        self.files
            .iter()
            .map(|(p, t)| format!("----- INPUT {}\n{}", relative(p), t.replace('\u{feff}', "<U+FEFF>")))
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// Every diagnostic: a help line, a labelled primary span within the text of a file of the
    /// case, secondary labels within their files too.
    fn assert_well_formed(&self) {
        let name = &self.name;
        for d in &self.diagnostics {
            let code = d.code;
            assert!(d.help.as_deref().is_some_and(|h| !h.trim().is_empty()), "{name}: `{code}` has no help line");
            assert!(!d.labels.is_empty(), "{name}: `{code}` has no label");
            assert!(!d.labels[0].message.trim().is_empty(), "{name}: `{code}`: the primary label says nothing");
            for (i, l) in d.labels.iter().enumerate() {
                let file = l.file.as_deref().unwrap_or(&d.file);
                let text = self.text_of(file).unwrap_or_else(|| {
                    panic!("{name}: `{code}` label {i} points into `{file}`, not a file of the case")
                });
                let (s, e) = (l.span.start as usize, l.span.end as usize);
                assert!(s <= e && e <= text.len(), "{name}: `{code}` label {i} span {s}..{e} is outside the text");
                assert!(
                    text.is_char_boundary(s) && text.is_char_boundary(e),
                    "{name}: `{code}` label {i} span {s}..{e} cuts a character"
                );
            }
        }
    }
}

#[test]
fn every_error_case_is_listed() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/facts-err");
    let mut on_disk: Vec<String> =
        std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    on_disk.sort();
    let mut listed: Vec<String> = EXPECTED.iter().map(|(n, _, _)| n.to_string()).collect();
    listed.sort();
    assert_eq!(on_disk, listed, "fixtures/facts-err and EXPECTED disagree");
    assert!(on_disk.len() >= 40);
}

/// What is wrong with an error case's diagnostics, if anything: the expected code with the
/// expected words, at least one error, every diagnostic well formed.
fn check_err_case(case: &Case) -> Result<(), String> {
    let name = &case.name;
    let Some(&(_, code, needle)) = EXPECTED.iter().find(|(n, _, _)| n == name) else {
        return Err(format!("{name}: not listed in EXPECTED"));
    };
    if !case.diagnostics.iter().any(Diagnostic::is_error) {
        return Err(format!("{name}: no error"));
    }
    let Some(hit) = case.diagnostics.iter().find(|d| d.code == code) else {
        let codes: Vec<_> = case.diagnostics.iter().map(|d| d.code).collect();
        return Err(format!("{name}: expected `{code}`, found {codes:?}"));
    };
    let said = format!("{}\n{}", hit.message, hit.help.as_deref().unwrap_or(""));
    if !said.contains(needle) {
        return Err(format!("{name}: `{code}` should say `{needle}`; it says:\n{said}"));
    }
    catch_unwind(AssertUnwindSafe(|| case.assert_well_formed())).map_err(|e| {
        e.downcast_ref::<String>().cloned().unwrap_or_else(|| format!("{name}: a diagnostic is malformed"))
    })
}

#[test]
fn facts_err() {
    let model = model();
    let mut failures = Vec::new();
    insta::glob!("fixtures/facts-err/?*", |path| {
        let case = read_case(&model, path);
        if let Err(e) = check_err_case(&case) {
            failures.push(e);
        }
        insta::assert_snapshot!(format!(
            "{}\n----- DIAGNOSTICS\n{}\n----- RECORDS\n{}",
            case.input(),
            case.render(),
            accounting(&model, &case.facts)
        ));
    });
    assert!(failures.is_empty(), "{} cases failed:\n\n{}", failures.len(), failures.join("\n\n"));
}

#[test]
fn facts_ok() {
    let model = model();
    insta::glob!("fixtures/facts-ok/?*", |path| {
        let case = read_case(&model, path);
        assert!(case.diagnostics.is_empty(), "{} should load cleanly:\n{}", case.name, case.render());
        for t in &case.facts.tables {
            assert!(t.rejected.is_empty(), "{}: rejected {:?}", case.name, t.rejected);
        }
        insta::assert_snapshot!(format!("{}\n----- READ AS\n{}", case.input(), dump(&model, &case.facts)));
    });
}

/// Per record kind read, the records counted: every record read is accepted (some with a field
/// that could not be read, which only what reads it needs) or rejected; and
/// per kind of which some records were never read (past a syntax error, in a line that is not
/// UTF-8), the file and how many, so that the kind is known to be incomplete. (Records of a
/// kind the policy does not declare belong to no kind here.)
fn accounting(model: &Model, facts: &Facts) -> String {
    let mut out = String::new();
    for (k, t) in facts.tables.iter().enumerate().filter(|(_, t)| t.loaded > 0) {
        assert_eq!(t.loaded, t.len() + t.rejected_count(), "`{}`: loaded = accepted + rejected", model.records[k].name);
        let flawed = match t.flawed {
            0 => String::new(),
            n => format!(" ({n} accepted with a field that could not be read)"),
        };
        out.push_str(&format!(
            "{}: {} loaded = {} accepted + {} rejected{flawed}\n",
            model.records[k].name,
            t.loaded,
            t.len(),
            t.rejected_count()
        ));
    }
    // Kinds that lost records the same way are listed together; a file that may have held
    // any kind makes every kind incomplete.
    let mut groups: Vec<(String, Vec<&str>)> = Vec::new();
    for (k, t) in facts.tables.iter().enumerate() {
        for l in &t.incomplete {
            let file = Path::new(&*l.file).file_name().map_or(String::new(), |f| f.to_string_lossy().into_owned());
            let lost = l.lost.map_or("an unknown number".to_string(), |n| n.to_string());
            let how = format!("{lost} not read from {file} at line {}: {}", l.line, l.reason);
            match groups.iter_mut().find(|(h, _)| *h == how) {
                Some((_, kinds)) => kinds.push(&model.records[k].name),
                None => groups.push((how, vec![&model.records[k].name])),
            }
        }
    }
    for (how, kinds) in groups {
        let kinds = if kinds.len() == model.records.len() { "every kind".to_string() } else { kinds.join(", ") };
        out.push_str(&format!("incomplete ({kinds}): {how}\n"));
    }
    if out.is_empty() {
        out.push_str("(none read)\n");
    }
    out
}

/// The rows read, one line each: `kind[key] field = value …`, values as writ holds them
/// (quantities in SI units: 20 mg/m3 is 0.00002 kg/m3; percentages as fractions).
fn dump(model: &Model, facts: &Facts) -> String {
    let mut out = String::new();
    for (k, table) in facts.tables.iter().enumerate() {
        let rec = &model.records[k];
        for row in 0..table.len() {
            out.push_str(&format!("{}[{:?}]", rec.name, table.key(row as u32)));
            for (f, field) in rec.fields.iter().enumerate() {
                let Some(v) = &table.get(f, row as u32) else { continue };
                let shown = match (v, &field.ty) {
                    (Value::Num(n), _) => n.to_string(),
                    (Value::Text(t), _) => format!("{:?}", &**t),
                    (Value::Bool(b), _) => b.to_string(),
                    (Value::Date(d), _) => d.to_string(),
                    (Value::Enum(i), Ty::Enum(e)) => model.enums[e.index()].variants[*i as usize].clone(),
                    (Value::Party(i), _) => model.parties[i.index()].name.clone(),
                    (Value::Ref(kind, r), _) => {
                        format!("{}[{:?}]", model.records[kind.index()].name, facts.key_of(*kind, *r))
                    }
                    (other, _) => format!("{other:?}"),
                };
                out.push_str(&format!(" {} = {shown}", field.name));
            }
            out.push('\n');
        }
    }
    out
}

/// The three cases of the issue, evaluated: a value outside its field's range is refused where
/// it is read, so the verdicts that need it are `unknown`, never `satisfied` or `fulfilled`.
#[test]
fn values_out_of_range_make_verdicts_unknown() {
    use writ::db::{Database, FactFile, FactSet, Package, SourceFile};
    use writ::eval::Status;
    let policy = r#"plan p "t" { period 2019-01-01 .. 2019-12-31 roles lead "牽頭" }
party 甲局
record 窯 key 編號 { 編號: text  顆粒物: mg/m3 }
record 企業 key 名稱 { 名稱: text  限產比例: percent  完成日?: date }
clause 限值 "t" { cite "1" "x" lead 甲局 for k in 窯 { must k.顆粒物 <= 30 mg/m3 } }
clause 錯峰 "t" { cite "2" "x" lead 甲局 for e in 企業 { must e.限產比例 >= 40% } }
clause 搬遷 "t" { cite "3" "x" lead 甲局 for e in 企業 { must e.完成日 by 2019-09-30 } }
"#;
    let facts = r#"{
  "窯": [ { "編號": "K1", "顆粒物": -5 } ],
  "企業": [ { "名稱": "E1", "限產比例": "120%", "完成日": "0000-01-01" } ]
}"#;
    let db = Database::default();
    let src = SourceFile::new(&db, Arc::from("policy.writ"), Arc::from(policy));
    let pkg = Package::new(&db, vec![src]);
    let checked = db::package_model(&db, pkg);
    assert!(checked.diagnostics.iter().all(|d| !d.is_error()), "{:?}", checked.diagnostics);
    let ff = FactFile::new(&db, pkg, Arc::from("facts.json"), facts::Content::text(facts));
    let codes: Vec<&str> = db::fact_file(&db, ff).diagnostics.iter().map(|d| d.code).collect();
    // `-5`, `120%` and `0000-01-01`, each refused where it is written.
    assert_eq!(codes, ["value-out-of-range"; 3]);
    let set = FactSet::new(&db, pkg, vec![ff]);
    let linked = db::fact_set(&db, set);
    let as_of = writ::value::Date::parse_iso("2019-10-15").unwrap();
    let report = writ::eval::evaluate(&checked.model, linked, as_of).report();
    assert!(!report.verdicts.is_empty());
    for v in &report.verdicts {
        assert_eq!(v.status, Status::Unknown, "{}: {:?}", v.id, v.status);
    }
}
