//! Tests of reading raw exports through a record's `source`: columns under other names, tokens
//! for a missing value, dates and datetimes built from split columns, records without a key,
//! and files named like a source's pattern.

use super::*;
use crate::diagnostic::line_col;
use crate::model::Model;
use crate::value::DateTime;

const POLICY: &str = r#"
plan p "t" { period 2019-01-01 .. 2019-12-31 timezone "+08:00" }
record 小時數據 dated 時刻 {
  站點: text
  時刻: datetime
  日期?: date
  PM25?: ug/m3
  CO?: mg/m3
  source "PRSA_Data_*.csv", "station-*.xlsx" {
    missing "NA", "-", "—"
    時刻 from "year", "month", "day", "hour"
    日期 from "y", "m", "d"
    站點 from "station"
    PM25 from "PM2.5"
    ignore "No", "TEMP"
  }
}
record 站 key 名稱 { 名稱: text }
"#;

fn model() -> Model {
    let file: Arc<str> = "p.writ".into();
    let (module, diags) = crate::syntax::parse(&file, POLICY);
    assert!(diags.is_empty(), "{diags:?}");
    let (model, diags) = crate::model::check(&[(file, &module)], false);
    assert!(diags.iter().all(|d| !d.is_error()), "{diags:?}");
    model
}

fn read(model: &Model, path: &str, text: &str) -> FileFacts {
    parse_file(&Schema::of(model), &path.into(), text)
}

fn codes(ff: &FileFacts, text: &str) -> Vec<String> {
    (ff.diagnostics.iter())
        .map(|d| {
            let (line, col) = line_col(text, d.primary_span().start as usize);
            format!("{}@{line}:{col}", d.code)
        })
        .collect()
}

/// Each record's values by field name, as text; `-` for no value, `?` for an unreadable one.
fn rows(model: &Model, ff: &FileFacts) -> Vec<String> {
    let facts = link(&Schema::of(model), std::slice::from_ref(ff));
    let t = &facts.tables[0];
    let rec = &model.records[0];
    (0..t.len() as u32)
        .map(|r| {
            let cells: Vec<String> = (rec.fields.iter().enumerate())
                .map(|(i, f)| {
                    let v = match t.get(i, r) {
                        Some(v) => match v {
                            Value::Text(s) => s.to_string(),
                            Value::Num(n) => n.normalize().to_string(),
                            Value::DateTime(t) => t.to_string(),
                            Value::Date(d) => d.to_string(),
                            other => format!("{other:?}"),
                        },
                        None if t.bad_cell(r, i as u32).is_some() => "?".into(),
                        None => "-".into(),
                    };
                    format!("{}={v}", f.name)
                })
                .collect();
            cells.join(" ")
        })
        .collect()
}

const HEADER: &str = "No,year,month,day,hour,y,m,d,PM2.5,CO,TEMP,station\n";

#[test]
fn a_raw_export_is_read_as_it_is() {
    let m = model();
    let text = format!(
        "{HEADER}1,2019,1,1,0,2019,1,1,4,300,-0.7,城區\n2,2019,12,31,23,2019,12,31,NA,-,1,城區\n3,2019,1,2,5,,,,—, 0.5 ,NA,郊區\n"
    );
    let ff = read(&m, "PRSA_Data_A_20190101.csv", &text);
    assert!(ff.diagnostics.is_empty(), "{:?}", codes(&ff, &text));
    // CO is declared in mg/m3 and held in SI; a bare number is in the field's unit.
    assert_eq!(
        rows(&m, &ff),
        [
            "站點=城區 時刻=2019-01-01T00:00 日期=2019-01-01 PM25=0.000000004 CO=0.0003 (file:line)=PRSA_Data_A_20190101.csv:2",
            "站點=城區 時刻=2019-12-31T23:00 日期=2019-12-31 PM25=- CO=- (file:line)=PRSA_Data_A_20190101.csv:3",
            "站點=郊區 時刻=2019-01-02T05:00 日期=- PM25=- CO=0.0000005 (file:line)=PRSA_Data_A_20190101.csv:4",
        ]
    );
}

#[test]
fn a_bad_part_leaves_its_field_unreadable_and_the_row_kept() {
    let m = model();
    let text = format!("{HEADER}1,2019,1,1,24,2019,2,30,4,1,0,城區\n2,19x,1,1,1,2019,1,1,4,1,0,城區\n");
    let ff = read(&m, "PRSA_Data_B.csv", &text);
    assert_eq!(codes(&ff, &text), ["bad-value@2:12", "bad-value@2:15", "bad-value@3:3"]);
    assert!(ff.diagnostics[0].message.contains("hour of `時刻` (0 to 23) in column `hour`, found `24`"));
    assert!(ff.diagnostics[1].message.contains("give 2019-02-30 for `日期`, which is not a day of the calendar"));
    assert!(ff.diagnostics[2].message.contains("year of `時刻`"));
    assert_eq!(
        rows(&m, &ff),
        [
            "站點=城區 時刻=? 日期=? PM25=0.000000004 CO=0.000001 (file:line)=PRSA_Data_B.csv:2",
            "站點=城區 時刻=? 日期=2019-01-01 PM25=0.000000004 CO=0.000001 (file:line)=PRSA_Data_B.csv:3",
        ]
    );
}

#[test]
fn columns_the_source_does_not_know_are_reported_unless_ignored() {
    let m = model();
    let text = "No,year,month,day,hour,station,PRES\n1,2019,1,1,0,城區,1023\n";
    let ff = read(&m, "PRSA_Data_C.csv", text);
    // `PRES` is unknown; `y`, `m`, `d` are missing, so `日期` has no value in any row.
    assert_eq!(codes(&ff, text), ["unknown-field@1:32", "missing-column@1:1"]);
    assert!(ff.diagnostics[0].help.as_deref().unwrap().contains("say `ignore \"PRES\"` there"));
    assert!(ff.diagnostics[1].message.contains("and the header has no `y`, `m`, `d`"));
    assert_eq!(rows(&m, &ff), ["站點=城區 時刻=2019-01-01T00:00 日期=- PM25=- CO=- (file:line)=PRSA_Data_C.csv:2"]);
}

#[test]
fn a_file_is_of_the_kind_whose_source_names_it() {
    let m = model();
    // Named after no kind and like no source: not read.
    let text = "station\n城區\n";
    let ff = read(&m, "export.csv", text);
    assert_eq!(codes(&ff, text), ["unknown-record-kind@1:1"]);
    // A file named after a kind is that kind, whatever the sources say.
    let ff = read(&m, "站.csv", "名稱\n甲\n");
    assert!(ff.diagnostics.is_empty());
    assert_eq!(ff.rows.len(), 1);
}

#[test]
fn records_without_a_key_are_known_by_file_and_line() {
    let m = model();
    let text = r#"{"小時數據": [{"station": "甲", "year": 2019, "month": 1, "day": 1, "hour": 3, "TEMP": 1},
  {"station": "乙", "year": 2019, "month": 1, "day": 1, "hour": 4}, {"station": "丙", "year": "2019", "month": "1", "day": "1", "hour": "NA"}]}
"#;
    let ff = read(&m, "dir/readings.json", text);
    assert!(ff.diagnostics.is_empty(), "{:?}", codes(&ff, text));
    assert_eq!(
        rows(&m, &ff),
        [
            "站點=甲 時刻=2019-01-01T03:00 日期=- PM25=- CO=- (file:line)=readings.json:1",
            "站點=乙 時刻=2019-01-01T04:00 日期=- PM25=- CO=- (file:line)=readings.json:2",
            "站點=丙 時刻=- 日期=- PM25=- CO=- (file:line)=readings.json:2#2",
        ]
    );
    // A field named like the key of a record without one is no field.
    let text = "{\"小時數據\": [{\"(file:line)\": \"x\", \"station\": \"甲\"}]}\n";
    let ff = read(&m, "x.json", text);
    assert_eq!(codes(&ff, text), ["unknown-field@1:12"]);
}

#[test]
fn datetimes_read_as_civil_time_in_the_plans_zone() {
    let m = model();
    let text = "station,時刻\n甲,2019-01-01T08:00\n乙,2019-01-01 08:30:15\n丙,2019-01-01T00:30:00Z\n丁,2019-01-01\n戊,2019-01-01T08:00:00.5\n";
    let ff = read(&m, "PRSA_Data_D.csv", text);
    // A date alone is not a moment; a fraction of a second is not kept.
    assert_eq!(codes(&ff, text), ["missing-column@1:1", "bad-value@5:3", "bad-value@6:3"]);
    assert!(ff.diagnostics[1].help.as_deref().unwrap().starts_with("a date alone is not a moment"));
    let facts = link(&Schema::of(&m), std::slice::from_ref(&ff));
    let at = |r: u32| facts.tables[0].get(1, r);
    let dt = |s: &str| Some(Value::DateTime(DateTime::parse_civil(s).unwrap()));
    assert_eq!(at(0), dt("2019-01-01T08:00"));
    assert_eq!(at(1), dt("2019-01-01T08:30:15"));
    // 00:30 UTC is 08:30 in Beijing.
    assert_eq!(at(2), dt("2019-01-01T08:30"));
}

#[test]
fn a_file_two_sources_name_is_read_as_neither() {
    let policy = r#"
plan p "t" { period 2019-01-01 .. 2019-12-31 }
record 甲 { 值: number  source "*.csv" { } }
record 乙 { 值: number  source "data_?.csv" { } }
"#;
    let file: Arc<str> = "p.writ".into();
    let (module, diags) = crate::syntax::parse(&file, policy);
    assert!(diags.is_empty(), "{diags:?}");
    let (m, diags) = crate::model::check(&[(file, &module)], false);
    assert!(diags.iter().all(|d| !d.is_error()), "{diags:?}");
    let text = "值\n1\n2\n";
    let ff = read(&m, "data_1.csv", text);
    assert_eq!(codes(&ff, text), ["ambiguous-kind@1:1"]);
    assert!(ff.diagnostics[0].message.contains("`甲`, `乙`"));
    let facts = link(&Schema::of(&m), std::slice::from_ref(&ff));
    assert!(facts.tables.iter().all(|t| t.is_empty() && !t.incomplete.is_empty()));
    // One pattern alone names it.
    let ff = read(&m, "other.csv", text);
    assert!(ff.diagnostics.is_empty());
    assert_eq!(ff.rows.len(), 2);
}
