//! Parquet fact files (`--features parquet`): values of every Arrow type read as the fields
//! they belong to declare, broken and misnamed files reported, and `writ facts convert`
//! writing facts that evaluate exactly as the originals do.
#![cfg(feature = "parquet")]

mod common;

use arrow_array::builder::{Decimal128Builder, ListBuilder, StringBuilder, StringDictionaryBuilder};
use arrow_array::types::Int32Type;
use arrow_array::{
    ArrayRef, BooleanArray, Date32Array, Float64Array, Int64Array, RecordBatch, StringArray, TimestampMillisecondArray,
};
use arrow_schema::{Field, Schema};
use parquet::arrow::ArrowWriter;
use parquet::file::metadata::KeyValue;
use parquet::file::properties::WriterProperties;
use std::sync::Arc;
use writ::db::{self, Database, FactFile, FactSet, Package, SourceFile};
use writ::facts::{Content, Facts, FileFacts};
use writ::value::{Date, DateTime, Value};

const POLICY: &str = r#"plan p "test plan" { period 2019-01-01 .. 2019-12-31 roles lead "牽頭" }
party 甲局
enum 類別 "類別" { 甲類, 乙類 }
record 站 "站點" key 編號 {
  編號: text
}
record 讀數 "讀數" key 編號 {
  編號: text
  站點: 站
  濃度?: mg/m3
  比例?: percent
  數?: number
  日期?: date
  時刻?: datetime
  合格?: bool
  類?: 類別
  時長?: h
}
"#;

/// A Parquet file of the given columns, as bytes, with `units` (column, unit) in its key-value
/// metadata as `writ.unit.COLUMN`.
fn parquet(columns: Vec<(&str, ArrayRef)>, units: &[(&str, &str)]) -> Vec<u8> {
    let fields: Vec<Field> = columns.iter().map(|(name, a)| Field::new(*name, a.data_type().clone(), true)).collect();
    let schema = Arc::new(Schema::new(fields));
    let batch = RecordBatch::try_new(schema.clone(), columns.into_iter().map(|(_, a)| a).collect()).unwrap();
    let metadata = units.iter().map(|(c, u)| KeyValue::new(format!("writ.unit.{c}"), u.to_string())).collect();
    let props = WriterProperties::builder().set_key_value_metadata(Some(metadata)).build();
    let mut out = Vec::new();
    let mut w = ArrowWriter::try_new(&mut out, schema, Some(props)).unwrap();
    w.write(&batch).unwrap();
    w.close().unwrap();
    out
}

/// Loads the given files (the station file `站.json` is always there) and links them.
fn load(files: Vec<(&str, Vec<u8>)>, run: impl FnOnce(&[&FileFacts], &Facts)) {
    load_for(POLICY, files, run);
}

/// [`load`], against another policy.
fn load_for(policy: &str, files: Vec<(&str, Vec<u8>)>, run: impl FnOnce(&[&FileFacts], &Facts)) {
    let db = Database::default();
    let src = SourceFile::new(&db, Arc::from("policy.writ"), Arc::from(policy));
    let pkg = Package::new(&db, vec![src]);
    let checked = db::package_model(&db, pkg);
    assert!(!checked.has_errors(), "{:#?}", checked.diagnostics);
    let mut ffs = vec![FactFile::new(
        &db,
        pkg,
        Arc::from("站.json"),
        Content::text(r#"{"站": [{"編號": "S1"}, {"編號": "S2"}]}"#),
    )];
    for (name, bytes) in files {
        ffs.push(FactFile::new(&db, pkg, Arc::from(name), Content::Bytes(bytes.into())));
    }
    let read: Vec<&FileFacts> = ffs.iter().map(|f| db::fact_file(&db, *f)).collect();
    let set = FactSet::new(&db, pkg, ffs.clone());
    run(&read, db::fact_set(&db, set));
}

fn num(s: &str) -> Option<Value> {
    Some(Value::Num(s.parse().unwrap()))
}

const READING: u32 = 1;

#[test]
fn every_arrow_type_is_read_as_its_field_declares() {
    let mut keys = StringDictionaryBuilder::<Int32Type>::new();
    for k in ["R1", "R2", "R3"] {
        keys.append_value(k);
    }
    let mut dust = Decimal128Builder::new();
    dust.append_value(12_345);
    dust.append_value(5);
    dust.append_null();
    let dust = dust.finish().with_precision_and_scale(10, 3).unwrap();
    let file = parquet(
        vec![
            ("編號", Arc::new(keys.finish())),
            ("站點", Arc::new(StringArray::from(vec!["S1", "S2", "S1"]))),
            ("濃度", Arc::new(dust)),
            ("比例", Arc::new(Float64Array::from(vec![Some(12.5), Some(0.1), None]))),
            ("數", Arc::new(Int64Array::from(vec![Some(-7), Some(9_007_199_254_740_993), None]))),
            ("日期", Arc::new(Date32Array::from(vec![Some(17_897), Some(0), None]))),
            // 2019-01-01T00:00:00Z is 08:00 in the plan's zone (+08:00, the default).
            (
                "時刻",
                Arc::new(
                    TimestampMillisecondArray::from(vec![Some(1_546_300_800_000), None, None]).with_timezone("UTC"),
                ),
            ),
            ("合格", Arc::new(BooleanArray::from(vec![Some(true), Some(false), None]))),
            ("類", Arc::new(StringArray::from(vec![Some("乙類"), None, Some("甲類")]))),
        ],
        &[],
    );
    load(vec![("讀數.parquet", file)], |files, facts| {
        assert!(files[1].diagnostics.is_empty(), "{:#?}", files[1].diagnostics);
        let t = &facts.tables[READING as usize];
        assert_eq!(t.len(), 3);
        assert_eq!(t.key(0), "R1");
        assert_eq!(t.get(1, 1), Some(Value::Ref(writ::model::RecordId(0), 1)));
        // 12.345 mg/m3 in SI (kg/m3).
        assert_eq!(t.get(2, 0), num("0.000012345"));
        assert_eq!(t.get(2, 2), None);
        // A bare number in a percent field is in percent.
        assert_eq!(t.get(3, 0), num("0.125"));
        assert_eq!(t.get(3, 1), num("0.001"));
        assert_eq!(t.get(4, 1), num("9007199254740993"));
        assert_eq!(t.get(5, 0), Some(Value::Date(Date::from_ymd(2019, 1, 1).unwrap())));
        assert_eq!(t.get(5, 1), Some(Value::Date(Date::from_ymd(1970, 1, 1).unwrap())));
        let eight = DateTime::new(Date::from_ymd(2019, 1, 1).unwrap(), 8, 0, 0).unwrap();
        assert_eq!(t.get(6, 0), Some(Value::DateTime(eight)));
        assert_eq!(t.get(7, 0), Some(Value::Bool(true)));
        assert_eq!(t.get(7, 1), Some(Value::Bool(false)));
        assert_eq!(t.get(8, 0), Some(Value::Enum(1)));
        assert_eq!(t.get(8, 2), Some(Value::Enum(0)));
    });
}

#[test]
fn a_bad_value_names_its_column_and_row_and_only_its_field_is_unreadable() {
    let mut list = ListBuilder::new(StringBuilder::new());
    list.values().append_value("x");
    list.append(true);
    list.append(true);
    let file = parquet(
        vec![
            ("編號", Arc::new(StringArray::from(vec!["R1", "R2"]))),
            ("站點", Arc::new(StringArray::from(vec!["S1", "S1"]))),
            ("數", Arc::new(StringArray::from(vec!["十二", "3"]))),
            ("類", Arc::new(list.finish())),
            ("多餘", Arc::new(StringArray::from(vec!["a", "b"]))),
        ],
        &[],
    );
    load(vec![("讀數.parquet", file)], |files, facts| {
        let d = &files[1].diagnostics;
        let messages: Vec<&str> = d.iter().map(|d| d.message.as_str()).collect();
        assert!(messages.iter().any(|m| m.starts_with("`數, row 1`: ")), "{messages:#?}");
        assert!(messages.iter().any(|m| m.starts_with("`類, row 1`: ") && m.contains("a list")), "{messages:#?}");
        assert!(d.iter().any(|d| d.code == "unknown-field" && d.message.contains("多餘")), "{messages:#?}");
        let t = &facts.tables[READING as usize];
        assert_eq!(t.len(), 2, "the records are kept");
        assert!(t.bad_cell(0, 4).is_some(), "`數` of R1 is unreadable, not absent");
        assert_eq!(t.get(4, 1), num("3"));
        assert_eq!(t.flawed, 2);
    });
}

#[test]
fn a_file_without_the_key_column_rejects_every_row_and_says_so_once() {
    let file = parquet(vec![("站點", Arc::new(StringArray::from(vec!["S1", "S2"])))], &[]);
    load(vec![("讀數.parquet", file)], |files, facts| {
        let d = &files[1].diagnostics;
        assert_eq!(d.iter().filter(|d| d.code == "missing-key").count(), 1, "{d:#?}");
        let t = &facts.tables[READING as usize];
        assert_eq!((t.len(), t.rejected_count(), t.loaded), (0, 2, 2));
    });
}

#[test]
fn a_table_in_parts_is_read_from_a_folder_named_after_its_kind() {
    let part = |keys: Vec<&str>| {
        let n = keys.len();
        parquet(
            vec![
                ("編號", Arc::new(StringArray::from(keys)) as ArrayRef),
                ("站點", Arc::new(StringArray::from(vec!["S1"; n]))),
            ],
            &[],
        )
    };
    load(
        vec![("facts/讀數/part-0.parquet", part(vec!["R1", "R2"])), ("facts/讀數/part-1.parquet", part(vec!["R3"]))],
        |files, facts| {
            for f in &files[1..] {
                assert!(f.diagnostics.is_empty(), "{:#?}", f.diagnostics);
            }
            assert_eq!(facts.tables[READING as usize].len(), 3);
        },
    );
}

#[test]
fn a_table_in_parts_is_read_from_a_folder_its_source_names() {
    let policy = POLICY.replace("  時長?: h\n}", "  時長?: h\n  source \"exports/表/*.parquet\" { }\n}");
    assert_ne!(policy, POLICY);
    let part = parquet(
        vec![
            ("編號", Arc::new(StringArray::from(vec!["R1", "R2"])) as ArrayRef),
            ("站點", Arc::new(StringArray::from(vec!["S1", "S2"]))),
        ],
        &[],
    );
    let files = vec![("facts/exports/表/part-0.parquet", part.clone()), ("facts/表/part-1.parquet", part)];
    load_for(&policy, files, |files, facts| {
        assert!(files[1].diagnostics.is_empty(), "{:#?}", files[1].diagnostics);
        assert_eq!(facts.tables[READING as usize].len(), 2, "only the file under exports/表 is a 讀數 file");
        let d = &files[2].diagnostics;
        assert!(d.iter().any(|d| d.code == "unknown-record-kind" && d.message.contains("part-1")), "{d:#?}");
    });
}

#[test]
fn a_damaged_or_misnamed_file_is_reported_and_its_kind_incomplete() {
    let good = parquet(vec![("編號", Arc::new(StringArray::from(vec!["R1"])) as ArrayRef)], &[]);
    let cut = good[..good.len() - 10].to_vec();
    load(vec![("讀數.parquet", cut)], |files, facts| {
        let d = &files[1].diagnostics;
        assert!(d.iter().any(|d| d.code == "fact-syntax" && d.message.contains("Parquet")), "{d:#?}");
        assert!(!facts.tables[READING as usize].incomplete.is_empty(), "the kind is incomplete");
    });
    load(vec![("讀書.parquet", good)], |files, facts| {
        let d = &files[1].diagnostics;
        let unknown = d.iter().find(|d| d.code == "unknown-record-kind").expect("an unknown kind");
        assert!(unknown.help.as_deref().unwrap_or_default().contains("讀數"), "{unknown:#?}");
        assert!(!facts.tables[READING as usize].incomplete.is_empty(), "a near name loses its records to the kind");
    });
}

#[test]
fn a_unit_in_the_file_metadata_is_the_unit_of_its_column() {
    let file = parquet(
        vec![
            ("編號", Arc::new(StringArray::from(vec!["R1"])) as ArrayRef),
            ("站點", Arc::new(StringArray::from(vec!["S1"]))),
            ("濃度", Arc::new(Int64Array::from(vec![250]))),
            ("時刻", Arc::new(TimestampMillisecondArray::from(vec![1_546_329_600_000]))),
        ],
        &[("濃度", "ug/m3")],
    );
    load(vec![("讀數.parquet", file)], |files, facts| {
        assert!(files[1].diagnostics.is_empty(), "{:#?}", files[1].diagnostics);
        let t = &facts.tables[READING as usize];
        assert_eq!(t.get(2, 0), num("0.00000025"), "250 ug/m3 in kg/m3");
        // A timestamp without a time zone is civil time as it is.
        let eight = DateTime::new(Date::from_ymd(2019, 1, 1).unwrap(), 8, 0, 0).unwrap();
        assert_eq!(t.get(6, 0), Some(Value::DateTime(eight)));
    });
}

/// The JSON report without where each fact was read, which conversion changes.
fn without_places(mut v: serde_json::Value) -> serde_json::Value {
    fn strip(v: &mut serde_json::Value) {
        match v {
            serde_json::Value::Object(o) => {
                o.remove("file");
                o.remove("line");
                o.remove("diagnostics");
                o.values_mut().for_each(strip);
            }
            serde_json::Value::Array(a) => a.iter_mut().for_each(strip),
            _ => {}
        }
    }
    strip(&mut v);
    v
}

#[test]
fn converted_facts_evaluate_exactly_as_the_originals() {
    for (policy, facts, date) in [
        ("policies/yangquan-2019", "examples/yangquan-2019", "2020-01-15"),
        ("policies/chaozhou-2019", "examples/chaozhou-2019", "2019-12-31"),
    ] {
        let out = tempfile_dir(policy);
        let out_s = out.to_str().unwrap();
        let (code, stdout, stderr) = common::writ(&["facts", "convert", policy, "--facts", facts, "--to", out_s]);
        assert_eq!(code, 0, "{stdout}\n{stderr}");
        assert!(stdout.lines().count() >= 3, "one line per kind written: {stdout}");
        let eval = |facts: &str| {
            let (code, stdout, stderr) =
                common::writ(&["eval", policy, "--facts", facts, "--as-of", date, "--format", "json"]);
            assert!(code == 0 || code == 1, "{stderr}");
            serde_json::from_str::<serde_json::Value>(&stdout).unwrap()
        };
        let mut original = eval(facts);
        let converted = eval(out_s);
        // The Chaozhou facts write names in Traditional script, which the policy declares in
        // Simplified: each is warned of once (`fact-script-variant`). Converted, they are
        // written as declared, and nothing is left to warn of.
        let warned = original["diagnostics"].as_array().unwrap();
        assert!(warned.iter().all(|d| d["code"] == "fact-script-variant"), "{warned:#?}");
        original["input"]["warnings"] = 0.into();
        assert_eq!(converted["input"], original["input"]);
        assert!(original["verdicts"].as_array().is_some_and(|v| v.len() > 10), "{policy}");
        assert_eq!(without_places(converted), without_places(original), "{policy}");
        std::fs::remove_dir_all(&out).unwrap();
    }
}

#[test]
fn convert_says_what_it_could_not_carry_over_and_exits_2() {
    let out = tempfile_dir("lossy");
    let facts = out.join("facts");
    std::fs::create_dir_all(&facts).unwrap();
    std::fs::write(out.join("policy.writ"), POLICY).unwrap();
    std::fs::write(
        facts.join("facts.json"),
        r#"{"站": [{"編號": "S1"}],
            "讀數": [{"編號": "R1", "站點": "S1", "數": "x"}, {"站點": "S1"}, {"編號": "R3", "站點": "S1", "濃度": "1 min", "時長": "1 min"}]}"#,
    )
    .unwrap();
    let parquet_dir = out.join("parquet");
    let args = [
        "facts",
        "convert",
        out.to_str().unwrap(),
        "--facts",
        facts.to_str().unwrap(),
        "--to",
        parquet_dir.to_str().unwrap(),
    ];
    let (code, stdout, stderr) = common::writ(&args);
    assert_eq!(code, 2, "{stdout}\n{stderr}");
    assert!(stdout.contains("讀數: 2 records →") && stdout.contains("(1 rejected, not written)"), "{stdout}");
    assert!(stderr.contains("1 record was rejected and not written"), "{stderr}");
    assert!(stderr.contains("2 values could not be read and are written as absent"), "{stderr}");
    assert!(parquet_dir.join("讀數.parquet").is_file() && parquet_dir.join("站.parquet").is_file());
    assert!(
        !std::fs::read_dir(&parquet_dir).unwrap().any(|e| e.unwrap().file_name().to_string_lossy().starts_with('.'))
    );
    // One minute is not exact in hours: the column is written in seconds, and says so.
    let written = std::fs::read(parquet_dir.join("讀數.parquet")).unwrap();
    load(vec![("讀數.parquet", written)], |files, facts| {
        assert!(files[1].diagnostics.is_empty(), "{:#?}", files[1].diagnostics);
        let t = &facts.tables[READING as usize];
        assert_eq!(t.len(), 2);
        assert_eq!(t.key(1), "R3");
        // As held when read from the JSON file: in days, rounded to 28 places.
        assert_eq!(t.get(9, 1), num("0.0006944444444444444444444444"));
        assert_eq!((t.get(4, 0), t.bad_cell(0, 4)), (None, None), "an unreadable value is written as absent");
    });
    std::fs::remove_dir_all(&out).unwrap();
}

/// A new empty folder under the target folder, for one test's files.
fn tempfile_dir(name: &str) -> std::path::PathBuf {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!(
        "parquet-{}-{}",
        name.replace('/', "-"),
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Damaged files the fuzzer found, each of which made arrow-rs panic: two are read without
/// reaching the panic (the embedded Arrow schema is not read; a column chunk placed outside the
/// file is refused first), the third panics inside arrow-rs by design (a run-length varint over
/// ten bytes is an `assert!`), which is caught and reported. Each file is reported as damaged,
/// and every kind it may hold is incomplete.
#[test]
fn damaged_files_found_by_fuzzing_are_reported_not_crashed_on() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz-regressions/facts_parquet");
    let read = |name: &str| std::fs::read(dir.join(name)).unwrap();
    let cases = [
        ("crash-damaged-arrow-schema.parquet", None),
        ("crash-column-chunk-outside-the-file.parquet", Some("outside the file")),
        ("crash-rle-shift-overflow.parquet", Some("the reader failed")),
    ];
    for (name, expected) in cases {
        load(vec![("讀數.parquet", read(name))], |files, facts| {
            let d = &files[1].diagnostics;
            let failed = d.iter().any(|d| d.message.contains("the reader failed"));
            match expected {
                None => assert!(!failed, "{name}: {d:#?}"),
                Some(text) => {
                    let found = d.iter().find(|d| d.code == "fact-syntax" && d.message.contains(text));
                    assert!(found.is_some(), "{name}: {d:#?}");
                    assert!(!facts.tables[READING as usize].incomplete.is_empty(), "{name}: incomplete");
                }
            }
        });
    }
}
