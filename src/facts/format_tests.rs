//! The same records in every format load to the same facts; each format's errors have a
//! location. Uses the schema of `tests.rs`.

use super::tests::{K_CUT, K_DUST, K_OUTPUT, KILN, codes, parse, schema};
use super::*;
use crate::diagnostic::Severity;
use rust_decimal::Decimal;
use rust_xlsxwriter::{ExcelDateTime, Format, Formula, Workbook};

/// The small record set: one enterprise, two kilns (one referring to a monitoring row), one
/// monitoring row. Dates, yes/no, enums, percentages, quantities with and without units.
const JSON: &str = r#"{
  "企業": [ { "名稱": "甲廠", "行業": "建材", "綠色工廠": true, "搬遷改造完成日": "2019-10-10" } ],
  "工業爐窯": [
    { "編號": "K1", "企業": "甲廠", "顆粒物": "0.030 g/m3", "限產比例": "30%", "投運日期": "2019-09-30", "有行業標準": false, "產量": 0.1, "監測點": 7 },
    { "編號": "K2", "企業": "甲廠", "顆粒物": 31, "限產比例": 12.5, "投運日期": "2019-01-02", "有行業標準": true }
  ],
  "監測": [ { "序號": 7, "爐窯": "K1" } ]
}"#;

const NDJSON: &str = r#"{"kind": "企業", "名稱": "甲廠", "行業": "建材", "綠色工廠": true, "搬遷改造完成日": "2019-10-10"}
{"kind": "工業爐窯", "編號": "K1", "企業": "甲廠", "顆粒物": "0.030 g/m3", "限產比例": "30%", "投運日期": "2019-09-30", "有行業標準": false, "產量": 0.1, "監測點": 7}

{"編號": "K2", "企業": "甲廠", "顆粒物": 31, "kind": "工業爐窯", "限產比例": 12.5, "投運日期": "2019-01-02", "有行業標準": true}
{"kind": "監測", "序號": 7, "爐窯": "K1"}
"#;

const YAML: &str = "企業:
  - 名稱: 甲廠
    行業: 建材
    綠色工廠: true
    搬遷改造完成日: 2019-10-10
工業爐窯:
  - 編號: K1
    企業: 甲廠
    顆粒物: 0.030 g/m3
    限產比例: 30%
    投運日期: '2019-09-30'
    有行業標準: false
    產量: 0.1
    監測點: 7
  - {編號: K2, 企業: 甲廠, 顆粒物: 31, 限產比例: 12.5, 投運日期: 2019-01-02, 有行業標準: true}
監測:
  - 序號: 7
    爐窯: K1
";

const TOML: &str = r#"[["企業"]]
"名稱" = "甲廠"
"行業" = "建材"
"綠色工廠" = true
"搬遷改造完成日" = 2019-10-10

[["工業爐窯"]]
"編號" = "K1"
"企業" = "甲廠"
"顆粒物" = "0.030 g/m3"
"限產比例" = "30%"
"投運日期" = "2019-09-30"
"有行業標準" = false
"產量" = 0.1
"監測點" = 7

[["工業爐窯"]]
"編號" = "K2"
"企業" = "甲廠"
"顆粒物" = 31
"限產比例" = 12.5
"投運日期" = 2019-01-02
"有行業標準" = true

[["監測"]]
"序號" = 7
"爐窯" = "K1"
"#;

const CSV_ENTERPRISES: &str = "名稱,行業,綠色工廠,搬遷改造完成日\r\n甲廠,建材,是,2019年10月10日\r\n";
const CSV_KILNS: &str = "編號,企業,顆粒物,限產比例,投運日期,有行業標準,產量,監測點\r\nK1,甲廠,0.030 g/m3,30%,2019/9/30,否,0.1,7\r\nK2,甲廠,31,12.5,2019-01-02,true,,\r\n";
const CSV_READINGS: &str = "序號,爐窯\n7,K1\n";

/// An XLSX workbook of the record set, written as Excel would: numbers as numbers, dates as
/// date cells, yes/no as booleans.
fn workbook() -> Vec<u8> {
    let mut book = Workbook::new();
    let date = Format::new().set_num_format("yyyy/mm/dd");
    let d = |y, m, day| ExcelDateTime::from_ymd(y, m, day).unwrap();
    let s = book.add_worksheet().set_name("企業").unwrap();
    for (c, h) in ["名稱", "行業", "綠色工廠", "搬遷改造完成日"].iter().enumerate() {
        s.write_string(0, c as u16, *h).unwrap();
    }
    s.write_string(1, 0, "甲廠").unwrap();
    s.write_string(1, 1, "建材").unwrap();
    s.write_boolean(1, 2, true).unwrap();
    s.write_datetime_with_format(1, 3, d(2019, 10, 10), &date).unwrap();

    let s = book.add_worksheet().set_name("工業爐窯").unwrap();
    for (c, h) in ["編號", "企業", "顆粒物", "限產比例", "投運日期", "有行業標準", "產量", "監測點"].iter().enumerate()
    {
        s.write_string(0, c as u16, *h).unwrap();
    }
    s.write_string(1, 0, "K1").unwrap();
    s.write_string(1, 1, "甲廠").unwrap();
    s.write_string(1, 2, "0.030 g/m3").unwrap();
    s.write_string(1, 3, "30%").unwrap();
    s.write_datetime_with_format(1, 4, d(2019, 9, 30), &date).unwrap();
    s.write_boolean(1, 5, false).unwrap();
    s.write_number(1, 6, 0.1).unwrap();
    s.write_number(1, 7, 7.0).unwrap();
    s.write_string(2, 0, "K2").unwrap();
    s.write_string(2, 1, "甲廠").unwrap();
    s.write_number(2, 2, 31.0).unwrap();
    s.write_number(2, 3, 12.5).unwrap();
    s.write_datetime_with_format(2, 4, d(2019, 1, 2), &date).unwrap();
    s.write_boolean(2, 5, true).unwrap();

    let s = book.add_worksheet().set_name("監測").unwrap();
    s.write_string(0, 0, "序號").unwrap();
    s.write_string(0, 1, "爐窯").unwrap();
    s.write_number(1, 0, 7.0).unwrap();
    s.write_string(1, 1, "K1").unwrap();
    book.save_to_buffer().unwrap()
}

fn parse_bytes(path: &str, bytes: &[u8]) -> FileFacts {
    parse_content(&schema(), &path.into(), &Content::Bytes(bytes.into()))
}

/// One linked table without where its rows came from: columns, keys, rejected count.
type Plain = (Vec<Vec<Option<Value>>>, Vec<(Arc<str>, u32)>, usize);

/// The linked tables, without where each row came from.
fn tables(files: &[FileFacts]) -> Vec<Plain> {
    for f in files {
        assert!(f.diagnostics.is_empty(), "{}: {:#?}", f.path, f.diagnostics);
    }
    let facts = link(&schema(), files);
    assert!(facts.diagnostics.is_empty(), "{:#?}", facts.diagnostics);
    facts
        .tables
        .iter()
        .map(|t| {
            let mut keys: Vec<(Arc<str>, u32)> = t.by_key.iter().map(|(k, v)| (k.into(), v)).collect();
            keys.sort();
            let columns = t.columns.iter().map(|c| c.iter().collect()).collect();
            (columns, keys, t.rejected.len())
        })
        .collect()
}

#[test]
fn every_format_loads_the_same_facts() {
    let json = tables(&[parse("f.json", JSON)]);
    assert_eq!(json[KILN.index()].0[K_OUTPUT][0], Some(Value::Num(Decimal::from_str_exact("0.1").unwrap())));
    assert_eq!(json.iter().map(|t| t.0.first().map_or(0, Vec::len)).collect::<Vec<_>>(), [1, 2, 1]);
    let csv = [parse("企業.csv", CSV_ENTERPRISES), parse("工業爐窯.csv", CSV_KILNS), parse("監測.csv", CSV_READINGS)];
    for (name, facts) in [
        ("ndjson", tables(&[parse("f.ndjson", NDJSON)])),
        ("jsonl", tables(&[parse("f.jsonl", NDJSON)])),
        ("yaml", tables(&[parse("f.yaml", YAML)])),
        ("yml", tables(&[parse("f.yml", YAML)])),
        ("toml", tables(&[parse("f.toml", TOML)])),
        ("csv", tables(&csv)),
        ("xlsx", tables(&[parse_bytes("f.xlsx", &workbook())])),
    ] {
        assert_eq!(facts, json, "{name}");
    }
}

#[test]
fn rows_know_their_lines() {
    let ff = parse("f.ndjson", NDJSON);
    assert_eq!(ff.rows.iter().map(|r| r.line).collect::<Vec<_>>(), [1, 2, 4, 5]);
    let ff = parse("f.yaml", YAML);
    assert_eq!(ff.rows.iter().map(|r| r.line).collect::<Vec<_>>(), [2, 7, 15, 17]);
    let ff = parse("f.toml", TOML);
    assert_eq!(ff.rows.iter().map(|r| r.line).collect::<Vec<_>>(), [1, 7, 17, 25]);
    let ff = parse_bytes("f.xlsx", &workbook());
    assert_eq!(ff.rows.iter().map(|r| r.line).collect::<Vec<_>>(), [2, 2, 3, 2], "spreadsheet rows");
}

/// YAML and TOML numbers are cut from the file, never read through `f64`.
#[test]
fn yaml_and_toml_numbers_are_exact() {
    let exact = Decimal::from_str_exact("0.30000000000000000001").unwrap();
    let yaml = "工業爐窯:\n  - {編號: K1, 產量: 0.30000000000000000001, 顆粒物: 1000}\n";
    let toml = "[[\"工業爐窯\"]]\n\"編號\" = \"K1\"\n\"產量\" = 0.30000000000000000001\n\"顆粒物\" = 1_000\n";
    for (path, text) in [("f.yaml", yaml), ("f.toml", toml)] {
        let ff = parse(path, text);
        let row = &ff.rows.get(0);
        assert_eq!(row.values[K_OUTPUT], Some(Cell::Value(Value::Num(exact))), "{path}");
        // 1000 mg/m3 in kg/m3.
        assert_eq!(row.values[K_DUST], Some(Cell::Value(Value::Num(Decimal::from_str_exact("0.001").unwrap()))));
    }
}

#[test]
fn bad_values_have_locations_in_every_format() {
    let ff = parse("f.ndjson", "{\"kind\": \"工業爐窯\", \"編號\": \"K1\", \"顆粒物\": \"thirty\"}\n");
    assert_eq!(codes(&ff, "{\"kind\": \"工業爐窯\", \"編號\": \"K1\", \"顆粒物\": \"thirty\"}\n"), ["bad-value@1:37"]);

    let yaml = "工業爐窯:\n  - 編號: K1\n    顆粒物: thirty\n    限產比例: 50 %%\n";
    let ff = parse("f.yaml", yaml);
    assert_eq!(codes(&ff, yaml), ["bad-value@3:10", "bad-value@4:11"]);
    assert_eq!(ff.diagnostics[0].message, "expected a quantity in `mg/m3`, found `thirty`");
    // Both bad values reject their fields; the record, whose key is intact, stays.
    assert_eq!((ff.rows.len(), super::tests::flawed(&ff), ff.rejected.len()), (1, 1, 0));

    let toml = "[[\"工業爐窯\"]]\n\"編號\" = \"K1\"\n\"顆粒物\" = \"5 km\"\n\"投運日期\" = 2019-02-28\n\"停產日期\" = \"2019-02-30\"\n";
    let ff = parse("f.toml", toml);
    assert_eq!(codes(&ff, toml), ["unit-mismatch@3:12", "bad-value@5:10"]);

    let csv = "編號,顆粒物\nK1,thirty\n";
    let ff = parse("工業爐窯.csv", csv);
    assert_eq!(codes(&ff, csv), ["bad-value@2:4"]);

    let mut book = Workbook::new();
    let s = book.add_worksheet().set_name("工業爐窯").unwrap();
    for (c, h) in ["編號", "企業", "限產比例", "顆粒物"].iter().enumerate() {
        s.write_string(0, c as u16, *h).unwrap();
    }
    s.write_string(6, 0, "K7").unwrap();
    s.write_string(6, 3, "thirty").unwrap();
    s.write_string(7, 0, "K8").unwrap();
    s.write_number(7, 3, 31.5).unwrap();
    let ff = parse_bytes("f.xlsx", &book.save_to_buffer().unwrap());
    assert_eq!(ff.diagnostics.len(), 1, "{:#?}", ff.diagnostics);
    let d = &ff.diagnostics[0];
    assert_eq!(d.message, "`工業爐窯!D7`: expected a quantity in `mg/m3`, found `thirty`");
    assert!(d.labels[0].message.starts_with("工業爐窯!D7: "), "{}", d.labels[0].message);
    assert_eq!(d.primary_span(), Span::default());
    assert_eq!((ff.rows.len(), super::tests::flawed(&ff), ff.rejected.len()), (2, 1, 0));
    assert_eq!((ff.rows.get(0).line, ff.rows.get(1).line), (7, 8));
}

#[test]
fn syntax_errors_have_locations() {
    let yaml = "工業爐窯:\n  - 編號: K1\n   bad: [\n";
    let ff = parse("f.yaml", yaml);
    assert_eq!(ff.diagnostics.len(), 1);
    assert_eq!(ff.diagnostics[0].code, "fact-syntax");
    assert!(ff.diagnostics[0].primary_span().start > 0, "{:?}", ff.diagnostics[0]);

    let toml = "[[\"工業爐窯\"]]\n\"編號\" = \"K1\"\n\"顆粒物\" = = 3\n";
    let ff = parse("f.toml", toml);
    assert_eq!(codes(&ff, toml)[0].split('@').next(), Some("fact-syntax"));
    assert!(codes(&ff, toml)[0].ends_with("@3:9"), "{:?}", codes(&ff, toml));

    let ff = parse_bytes("f.xlsx", b"not a zip");
    assert_eq!(ff.diagnostics[0].code, "fact-syntax");
}

#[test]
fn ndjson_bad_lines_do_not_stop_the_others() {
    let text = "{\"kind\": \"企業\", \"名稱\": \"E1\"}\n{\"kind\": \"企業\", \"名稱\": \"E2\",}\n{\"kind\": \"企業\", \"名稱\": \"E3\"} {}\n{\"名稱\": \"E4\"}\n{\"kind\": \"企業X\", \"名稱\": \"E5\"}\n{\"kind\": \"企業\", \"名稱\": \"E6\", \"行業\": \"不存在\"}\n{\"kind\": \"企業\", \"名稱\": \"E7\"}\n";
    let ff = parse("f.ndjson", text);
    assert_eq!(
        codes(&ff, text),
        ["fact-syntax@2:27", "fact-syntax@3:28", "fact-syntax@4:1", "unknown-record-kind@5:10", "bad-value@6:34"]
    );
    let keys: Vec<_> = ff
        .rows
        .iter()
        .map(|r| (r.line, key_text(&schema(), &schema().records[0].fields[0], r.values[0].as_ref().unwrap())))
        .collect();
    // The line with a bad value is a record with that field unreadable.
    assert_eq!(keys, [(1, "E1".into()), (6, "E6".into()), (7, "E7".into())]);
    assert_eq!(super::tests::flawed(&ff), 1);
    // The lines that named a kind before their error are rejected records of that kind; the
    // others could not be counted as any kind, and are records lost.
    assert_eq!(ff.rejected.iter().map(|r| r.line).collect::<Vec<_>>(), [2, 3]);

    // Named after a kind: plain records, and a bad line is a rejected record of that kind.
    let text = "{\"名稱\": \"E1\"}\n{\"名稱\": \"E2\"\n{\"kind\": \"企業\", \"名稱\": \"E3\"}\n{\"kind\": \"監測\", \"名稱\": \"E4\"}\n";
    let ff = parse("企業.ndjson", text);
    assert_eq!(codes(&ff, text), ["fact-syntax@2:12", "unknown-record-kind@4:10"]);
    assert_eq!(ff.rows.len(), 2);
    assert_eq!(ff.rejected.iter().map(|r| r.line).collect::<Vec<_>>(), [2, 4]);
}

#[test]
fn gbk_csv_is_decoded_and_says_so() {
    let text = "編號,企業,顆粒物,限產比例\r\nK1,陽泉市水泵廠,31,40%\r\nK2,示例鑄造有限公司乙,thirty,\r\n";
    let (bytes, _, unmappable) = encoding_rs::GBK.encode(text);
    assert!(!unmappable);
    assert!(std::str::from_utf8(&bytes).is_err());
    let path: Arc<str> = "工業爐窯.csv".into();
    let content = decode(&path, bytes.into_owned()).unwrap();
    let Content::Text { text: decoded, encoding } = &content else { panic!("{content:?}") };
    assert_eq!(&**decoded, text);
    assert_eq!(*encoding, Some("GBK"));
    let ff = parse_content(&schema(), &path, &content);
    assert_eq!((ff.rows.len(), super::tests::flawed(&ff)), (2, 1));
    assert!(matches!(&ff.rows.get(0).values[1], Some(Cell::UnresolvedRef { key, .. }) if &**key == "陽泉市水泵廠"));
    // Positions are in the decoded text.
    assert_eq!(codes(&ff, text), ["bad-value@3:14"]);
    let help = ff.diagnostics[0].help.as_deref().unwrap();
    assert!(
        help.ends_with("the file was read as GBK, since it is not UTF-8; positions are in the decoded text"),
        "{help}"
    );

    // A UTF-8 BOM is dropped; JSON that is not UTF-8 is an error at the first bad byte.
    let content = decode(&path, b"\xef\xbb\xbf\xe7\xb7\xa8\xe8\x99\x9f\nK1\n".to_vec()).unwrap();
    assert_eq!(content, Content::text("編號\nK1\n"));
    let err = decode(&"f.json".into(), b"{\"a\xff\": []}".to_vec()).unwrap_err();
    assert_eq!(
        (err.code, err.primary_span().start, err.message.as_str()),
        ("invalid-utf8", 3, "`f.json` is not valid UTF-8 (byte 3)")
    );
    assert!(matches!(decode(&"f.xlsx".into(), vec![0xff]), Ok(Content::Bytes(_))));
}

#[test]
fn xlsx_formula_cells_warn_that_the_cached_value_was_used() {
    let mut book = Workbook::new();
    let s = book.add_worksheet().set_name("工業爐窯").unwrap();
    s.write_string(0, 0, "編號").unwrap();
    s.write_string(0, 1, "顆粒物").unwrap();
    s.write_string(0, 2, "限產比例").unwrap();
    for r in 1..=3 {
        s.write_string(r, 0, format!("K{r}")).unwrap();
        s.write_formula(r, 1, Formula::new("=30+1").set_result("31")).unwrap();
    }
    s.write_number(1, 2, 0.125).unwrap();
    let ff = parse_bytes("f.xlsx", &book.save_to_buffer().unwrap());
    assert_eq!(ff.diagnostics.len(), 1, "{:#?}", ff.diagnostics);
    let d = &ff.diagnostics[0];
    assert_eq!((d.code, d.severity), ("formula-cell", Severity::Warning));
    assert!(d.message.starts_with("`工業爐窯!B2`: a formula cell"), "{}", d.message);
    assert!(d.message.ends_with("(and 2 more cells of this column)"), "{}", d.message);
    assert_eq!(ff.rows.len(), 3);
    assert_eq!(
        ff.rows.get(0).values[K_DUST],
        Some(Cell::Value(Value::Num(Decimal::from_str_exact("0.000031").unwrap())))
    );
    // A bare number in a percentage field is a number of percent, as in every format.
    assert_eq!(
        ff.rows.get(0).values[K_CUT],
        Some(Cell::Value(Value::Num(Decimal::from_str_exact("0.00125").unwrap())))
    );
}

#[test]
fn xlsx_unknown_sheets_and_dates() {
    let mut book = Workbook::new();
    let s = book.add_worksheet().set_name("工業爐窖").unwrap();
    s.write_string(0, 0, "編號").unwrap();
    s.write_string(1, 0, "K1").unwrap();
    let s = book.add_worksheet().set_name("企業").unwrap();
    s.write_string(0, 0, "名稱").unwrap();
    s.write_string(0, 1, "搬遷改造完成日").unwrap();
    s.write_string(1, 0, "E1").unwrap();
    // 1900-03-01 is serial 61, just past Excel's phantom 1900-02-29.
    s.write_datetime_with_format(
        1,
        1,
        ExcelDateTime::from_ymd(1900, 3, 1).unwrap(),
        &Format::new().set_num_format("yyyy/mm/dd"),
    )
    .unwrap();
    s.write_string(2, 0, "E2").unwrap();
    s.write_datetime_with_format(
        2,
        1,
        ExcelDateTime::parse_from_str("2019-09-30T23:30:00").unwrap(),
        &Format::new().set_num_format("yyyy-mm-dd hh:mm"),
    )
    .unwrap();
    let ff = parse_bytes("f.xlsx", &book.save_to_buffer().unwrap());
    assert_eq!(ff.diagnostics.len(), 1, "{:#?}", ff.diagnostics);
    let d = &ff.diagnostics[0];
    assert_eq!(d.code, "unknown-record-kind");
    assert!(d.message.starts_with("`工業爐窖!A1`: "), "{}", d.message);
    assert_eq!(d.help.as_deref(), Some("did you mean `工業爐窯`? rename the sheet to `工業爐窯`"));
    let date = |y, m, d| Some(Cell::Value(Value::Date(crate::value::Date::from_ymd(y, m, d).unwrap())));
    assert_eq!(ff.rows.get(0).values[3], date(1900, 3, 1));
    assert_eq!(ff.rows.get(1).values[3], date(2019, 9, 30));
}

/// Reads NDJSON bytes as a stream, as a file on disk is read.
fn parse_ndjson_stream(path: &str, bytes: &[u8]) -> FileFacts {
    parse_stream(&schema(), &path.into(), &mut std::io::BufReader::with_capacity(16, bytes))
}

#[test]
fn ndjson_streamed_from_disk_is_read_as_the_text_is() {
    // A tiny read buffer, so lines and characters are split across reads.
    let text = "\u{feff}{\"kind\": \"企業\", \"名稱\": \"E1\"}\r\n\n{\"kind\": \"企業\", \"名稱\": \"E2\",}\n{\"kind\": \"企業\", \"名稱\": \"E3\"}\n";
    let from_text = parse("f.ndjson", text);
    let streamed = parse_ndjson_stream("f.ndjson", text.as_bytes());
    assert_eq!(streamed, from_text);
    assert_eq!(codes(&streamed, text), ["fact-syntax@3:27"]);
    assert_eq!(streamed.rows.iter().map(|r| r.line).collect::<Vec<_>>(), [1, 4]);

    let dir = std::env::temp_dir().join(format!("writ-ndjson-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("f.ndjson");
    std::fs::write(&file, text).unwrap();
    // As the database's query reads it: opened, buffered, read a line at a time.
    let mut opened = std::io::BufReader::new(std::fs::File::open(&file).unwrap());
    assert_eq!(parse_stream(&schema(), &"f.ndjson".into(), &mut opened), from_text);
    // `facts` opens no file: handed the file itself, it reads nothing and says so.
    let content = Content::Stream { path: file.as_path().into(), len: text.len() as u64, modified: None };
    let unread = parse_content(&schema(), &"f.ndjson".into(), &content);
    assert!(unread.rows.is_empty() && unread.diagnostics.iter().any(|d| d.code == "io-error"));
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A file that does not end with a line break may have been cut short: its last line or row is
/// not read, and the kinds the part cut off may have held are incomplete, how many records
/// unknown. A record cut inside a value would otherwise read as another value (`40` as `4`).
#[test]
fn a_file_cut_short_loses_its_last_line_and_what_followed() {
    let text = "{\"kind\": \"企業\", \"名稱\": \"E1\"}\n{\"kind\": \"企業\", \"名稱\": \"E2\"}";
    let ff = parse("f.ndjson", text);
    assert_eq!(codes(&ff, text), ["cut-short@2:1"]);
    assert_eq!((ff.rows.len(), ff.rejected.len()), (1, 0));
    // Any kind could have followed the cut.
    assert_eq!(ff.losses.len(), schema().records.len());
    assert!(ff.losses.iter().all(|l| l.lost.is_none() && l.line == 2));
    // Named after a kind, only that kind; trailing blanks are not a line.
    let ff = parse("企業.ndjson", "{\"名稱\": \"E1\"}\n{\"名稱\": \"E2\"}\n  ");
    assert!(ff.diagnostics.is_empty(), "{:?}", ff.diagnostics);
    let ff = parse("企業.ndjson", "{\"名稱\": \"E1\"}\n{\"名稱\": \"E");
    assert_eq!((ff.rows.len(), ff.losses.len(), ff.losses[0].kind), (1, 1, RecordId(0)));

    let csv = "編號,顆粒物\nK1,30\nK2,4";
    let ff = parse("工業爐窯.csv", csv);
    assert_eq!(codes(&ff, csv), ["cut-short@3:1"]);
    assert_eq!((ff.rows.len(), ff.rejected.len(), ff.losses.len()), (1, 0, 1));
    assert_eq!((ff.losses[0].line, ff.losses[0].lost), (3, None));
    let ff = parse("工業爐窯.csv", "編號,顆粒物\nK1,30\nK2,40\r\n");
    assert!(ff.diagnostics.is_empty() && ff.losses.is_empty());
    // Cut between the two bytes of a CRLF: rows after it may have been cut off.
    let csv = "編號,顆粒物\r\nK1,30\r\nK2,40\r";
    assert_eq!(codes(&parse("工業爐窯.csv", csv), csv), ["cut-short@3:1"]);

    // YAML and TOML have no closing mark to tell which record was cut: nothing is read.
    let yaml = "工業爐窯:\n  - 編號: K1\n    顆粒物: 30\n  - 編號: K2\n    顆粒物: 4";
    let ff = parse("f.yaml", yaml);
    assert_eq!(codes(&ff, yaml), ["cut-short@5:11"]);
    assert!(ff.rows.is_empty());
    assert_eq!(ff.losses.len(), schema().records.len());
    let toml = "[[\"工業爐窯\"]]\n\"編號\" = \"K1\"\n\"顆粒物\" = 4";
    assert_eq!(codes(&parse("f.toml", toml), toml), ["cut-short@3:10"]);
    assert!(parse("f.yaml", &format!("{yaml}0\n")).diagnostics.is_empty());
}

#[test]
fn ndjson_lines_that_are_not_utf8_or_too_long_are_rejected_alone() {
    let mut bytes = b"{\"kind\": \"\xe4\xbc\x81\xe6\xa5\xad\", \"name\": \"\xff\"}\n".to_vec();
    bytes.extend_from_slice("{\"名稱\": \"E2\"}\n".as_bytes());
    let long_at = bytes.len();
    bytes.extend_from_slice(b"{\"x\": \"");
    bytes.resize(bytes.len() + json::MAX_LINE, b'x');
    bytes.extend_from_slice(b"\"}\n");
    bytes.extend_from_slice("{\"名稱\": \"E4\"}\n".as_bytes());

    let ff = parse_ndjson_stream("企業.ndjson", &bytes);
    let at: Vec<_> = ff.diagnostics.iter().map(|d| (d.code, d.primary_span().start as usize)).collect();
    assert_eq!(at, [("invalid-utf8", 28), ("line-too-long", long_at)]);
    assert!(ff.diagnostics[1].message.starts_with("line 3 is 8388617 bytes long"), "{}", ff.diagnostics[1].message);
    let keys: Vec<_> = ff.rows.iter().map(|r| r.line).collect();
    assert_eq!(keys, [2, 4], "the lines after a bad one are read");
    // In a file named after a kind, the unread lines are rejected records of that kind.
    assert_eq!(ff.rejected.iter().map(|r| r.line).collect::<Vec<_>>(), [1, 3]);

    // Without a kind in the file name, the kind of an unread line is unknown: reported only.
    let ff = parse_ndjson_stream("f.ndjson", &bytes);
    assert_eq!(
        ff.diagnostics.iter().map(|d| d.code).collect::<Vec<_>>(),
        ["invalid-utf8", "fact-syntax", "line-too-long", "fact-syntax"]
    );
    assert!(ff.rejected.is_empty());
}

#[test]
fn a_declared_encoding_is_used_instead_of_detection() {
    let text = "編號,企業,顆粒物\r\nK1,陽泉市水泵廠,31\r\n";
    let path: Arc<str> = "工業爐窯.csv".into();
    for enc in [encoding_rs::BIG5, encoding_rs::GB18030, encoding_rs::GBK] {
        let (bytes, _, unmappable) = enc.encode(text);
        assert!(!unmappable, "{}", enc.name());
        let content = decode_as(&path, bytes.into_owned(), Some(enc)).unwrap();
        let Content::Text { text: decoded, encoding } = &content else { panic!("{content:?}") };
        assert_eq!(&**decoded, text, "{}", enc.name());
        assert_eq!(*encoding, Some(enc.name()));
    }
    // UTF-8 stays UTF-8 whatever is declared, and a BOM names its own encoding.
    let content = decode_as(&path, text.as_bytes().to_vec(), Some(encoding_rs::BIG5)).unwrap();
    assert!(matches!(&content, Content::Text { text: t, encoding: None } if &**t == text));
    let mut bytes = vec![0xFF, 0xFE];
    bytes.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    let content = decode_as(&path, bytes, Some(encoding_rs::BIG5)).unwrap();
    assert!(matches!(&content, Content::Text { text: t, encoding: Some("UTF-16LE") } if &**t == text), "{content:?}");
    // Bytes that are not valid in the declared encoding are an error that says so.
    let err = decode_as(&path, vec![b'a', 0xFF, 0xFF, b'\n'], Some(encoding_rs::BIG5)).unwrap_err();
    assert_eq!(err.code, "invalid-utf8");
    assert!(err.message.contains("nor valid Big5 (as declared)"), "{}", err.message);
}

#[test]
fn xlsx_merged_cells_are_read_into_every_cell_of_their_range() {
    let mut book = Workbook::new();
    let s = book.add_worksheet().set_name("企業").unwrap();
    for (c, h) in ["名稱", "行業", "綠色工廠"].into_iter().enumerate() {
        s.write_string(0, c as u16, h).unwrap();
    }
    s.write_string(1, 0, "甲廠").unwrap();
    s.write_string(1, 1, "建材").unwrap();
    s.write_string(1, 2, "否").unwrap();
    let s = book.add_worksheet().set_name("工業爐窯").unwrap();
    for (c, h) in ["編號", "企業", "顆粒物", "限產比例", "投運日期", "有行業標準"].into_iter().enumerate()
    {
        s.write_string(0, c as u16, h).unwrap();
    }
    for r in 1..=3u32 {
        s.write_string(r, 0, format!("K{r}")).unwrap();
        s.write_number(r, 2, 30.0 + f64::from(r)).unwrap();
        s.write_string(r, 4, "2019-09-30").unwrap();
    }
    // One enterprise over three kilns, and one cut and one yes/no over a block of two by two.
    s.merge_range(1, 1, 3, 1, "甲廠", &Format::new()).unwrap();
    s.merge_range(1, 3, 2, 3, "30%", &Format::new()).unwrap();
    s.write_string(3, 3, "10%").unwrap();
    s.merge_range(1, 5, 3, 5, "否", &Format::new()).unwrap();
    let ff = parse_bytes("f.xlsx", &book.save_to_buffer().unwrap());
    assert!(ff.diagnostics.is_empty(), "{:#?}", ff.diagnostics);
    assert!(ff.rejected.is_empty(), "{:#?}", ff.rejected);
    let kilns: Vec<_> = ff.rows.iter().filter(|r| r.kind == KILN).collect();
    assert_eq!(kilns.len(), 3);
    for k in &kilns {
        assert!(matches!(&k.values[1], Some(Cell::UnresolvedRef { key, .. }) if &**key == "甲廠"), "{k:?}");
        assert_eq!(k.values[5], Some(Cell::Value(Value::Bool(false))), "{k:?}");
    }
    let cut = |i: usize| kilns[i].values[K_CUT].clone();
    assert_eq!(cut(0), Some(Cell::Value(Value::Num(Decimal::from_str_exact("0.3").unwrap()))));
    assert_eq!(cut(1), cut(0));
    assert_eq!(cut(2), Some(Cell::Value(Value::Num(Decimal::from_str_exact("0.1").unwrap()))));
}

#[test]
fn xlsx_empty_sheets_and_sheets_named_after_no_kind_are_reported() {
    let mut book = Workbook::new();
    // Excel's default empty sheet, a misspelt empty one, an empty sheet of a kind, and a kind's
    // sheet with a header and no records.
    book.add_worksheet().set_name("Sheet1").unwrap();
    book.add_worksheet().set_name("企業表").unwrap();
    book.add_worksheet().set_name("工業爐窯").unwrap();
    let s = book.add_worksheet().set_name("監測").unwrap();
    s.write_string(0, 0, "序號").unwrap();
    s.write_string(0, 1, "爐窯").unwrap();
    let ff = parse_bytes("f.xlsx", &book.save_to_buffer().unwrap());
    let got: Vec<_> = ff.diagnostics.iter().map(|d| (d.code, d.severity, d.message.as_str())).collect();
    assert_eq!(
        got,
        [
            (
                "empty-sheet",
                Severity::Warning,
                "`Sheet1!A1`: the sheet `Sheet1` is empty, and its name is no record kind"
            ),
            (
                "empty-sheet",
                Severity::Warning,
                "`企業表!A1`: the sheet `企業表` is empty, and its name is no record kind"
            ),
            (
                "empty-sheet",
                Severity::Error,
                "`工業爐窯!A1`: the `工業爐窯` sheet is empty: no header row and no records"
            ),
            ("empty-sheet", Severity::Warning, "`監測!A1`: the `監測` sheet has a header row and no records"),
        ]
    );
    assert!(ff.diagnostics[1].help.as_deref().unwrap().starts_with("did you mean `企業`?"), "{:?}", ff.diagnostics[1]);
    assert!(ff.diagnostics[2].help.as_deref().unwrap().contains("`編號`, `企業`"), "{:?}", ff.diagnostics[2]);
    assert!(ff.rows.is_empty() && ff.rejected.is_empty());
}

/// A sheet and its columns named in Simplified script, against the schema's Traditional names,
/// and an enum value in a cell: read as the declared names, each warned about once.
#[test]
fn xlsx_names_in_the_other_script_are_read() {
    let mut book = Workbook::new();
    let s = book.add_worksheet().set_name("企业").unwrap();
    for (c, name) in ["名称", "行业"].into_iter().enumerate() {
        s.write_string(0, c as u16, name).unwrap();
    }
    for (r, key) in ["E1", "E2"].into_iter().enumerate() {
        s.write_string(r as u32 + 1, 0, key).unwrap();
        s.write_string(r as u32 + 1, 1, "铸造").unwrap();
    }
    let ff = parse_bytes("f.xlsx", &book.save_to_buffer().unwrap());
    let got: Vec<_> = ff.diagnostics.iter().map(|d| (d.code, d.message.as_str())).collect();
    assert_eq!(
        got,
        [
            (
                "fact-script-variant",
                "`企业!A1`: the record kind `企业` is read as `企業`, written in Simplified script, declared in Traditional"
            ),
            (
                "fact-script-variant",
                "`企业!A1`: the field `名称` is read as `名稱`, written in Simplified script, declared in Traditional"
            ),
            (
                "fact-script-variant",
                "`企业!B1`: the field `行业` is read as `行業`, written in Simplified script, declared in Traditional"
            ),
            (
                "fact-script-variant",
                "`企业!B2`: the value `铸造` is read as `鑄造`, written in Simplified script, declared in Traditional"
            ),
        ]
    );
    assert_eq!(ff.rows.len(), 2);
    assert_eq!(ff.rows.get(1).values[1], Some(Cell::Value(Value::Enum(2))));
}

#[test]
fn xlsx_serial_date_in_a_general_cell_is_named_as_one() {
    let mut book = Workbook::new();
    let s = book.add_worksheet().set_name("工業爐窯").unwrap();
    for (c, h) in ["編號", "企業", "顆粒物", "限產比例", "投運日期", "有行業標準"].into_iter().enumerate()
    {
        s.write_string(0, c as u16, h).unwrap();
    }
    s.write_string(1, 0, "K1").unwrap();
    s.write_string(1, 1, "甲廠").unwrap();
    s.write_number(1, 2, 31).unwrap();
    s.write_number(1, 3, 30).unwrap();
    s.write_number(1, 4, 43738).unwrap();
    s.write_boolean(1, 5, false).unwrap();
    // A number in a field that is no date gets no such hint.
    s.write_string(2, 0, "K2").unwrap();
    s.write_string(2, 1, "甲廠").unwrap();
    s.write_number(2, 2, 31).unwrap();
    s.write_number(2, 3, 30).unwrap();
    s.write_string(2, 4, "2019-09-30").unwrap();
    s.write_number(2, 5, 43738).unwrap();
    let ff = parse_bytes("f.xlsx", &book.save_to_buffer().unwrap());
    assert_eq!(ff.diagnostics.len(), 2, "{:#?}", ff.diagnostics);
    let d = &ff.diagnostics[0];
    assert_eq!(d.code, "bad-value");
    assert!(d.message.starts_with("`工業爐窯!E2`: "), "{}", d.message);
    let help = d.help.as_deref().unwrap();
    assert!(
        help.starts_with("43738 looks like an Excel serial date, 2019-09-30, in a cell formatted as a number: format column E as Date"),
        "{help}"
    );
    // Not converted: the field is unreadable, not read with a date it never showed.
    let flawed = ff.rows.iter().filter(|r| r.values.iter().any(|v| matches!(v, Some(Cell::Bad(_)))));
    assert_eq!(flawed.map(|r| r.line).collect::<Vec<_>>(), [2, 3]);
    assert!(ff.rejected.is_empty());
    assert!(!ff.diagnostics[1].help.as_deref().unwrap().contains("serial"), "{:?}", ff.diagnostics[1]);
}

#[test]
fn xlsx_duplicate_keys_and_dangling_references_name_their_cells() {
    let mut book = Workbook::new();
    let s = book.add_worksheet().set_name("企業").unwrap();
    for (c, h) in ["名稱", "行業", "綠色工廠"].into_iter().enumerate() {
        s.write_string(0, c as u16, h).unwrap();
    }
    for (r, name) in [(1, "E1"), (2, "E2"), (3, "E1")] {
        s.write_string(r, 0, name).unwrap();
        s.write_string(r, 1, "建材").unwrap();
        s.write_string(r, 2, "否").unwrap();
    }
    let s = book.add_worksheet().set_name("工業爐窯").unwrap();
    // The key in the second column, so the cells are not all in column A.
    for (c, h) in ["企業", "編號", "顆粒物", "限產比例", "投運日期", "有行業標準"].into_iter().enumerate()
    {
        s.write_string(0, c as u16, h).unwrap();
    }
    for (r, (firm, kiln)) in [(1, ("E9", "K1")), (2, ("E2", "K2"))] {
        s.write_string(r, 0, firm).unwrap();
        s.write_string(r, 1, kiln).unwrap();
        s.write_number(r, 2, 31).unwrap();
        s.write_number(r, 3, 30).unwrap();
        s.write_string(r, 4, "2019-09-30").unwrap();
        s.write_boolean(r, 5, false).unwrap();
    }
    let ff = parse_bytes("f.xlsx", &book.save_to_buffer().unwrap());
    assert!(ff.diagnostics.is_empty(), "{:#?}", ff.diagnostics);
    // A second workbook repeats K2.
    let mut other = Workbook::new();
    let s = other.add_worksheet().set_name("工業爐窯").unwrap();
    s.write_string(0, 0, "編號").unwrap();
    s.write_string(4, 0, "K2").unwrap();
    let ff2 = parse_bytes("g.xlsx", &other.save_to_buffer().unwrap());
    let facts = link(&schema(), &[ff, ff2]);
    let got: Vec<_> = facts.diagnostics.iter().map(|d| (d.code, &*d.file, d.message.as_str())).collect();
    assert_eq!(
        got,
        [
            (
                "duplicate-key",
                "f.xlsx",
                "`企業!A4`: duplicate `企業` key `E1`; the first record with this key, rejected too: `企業!A2`"
            ),
            ("duplicate-key", "g.xlsx", "`工業爐窯!A5`: duplicate `工業爐窯` key `K2`"),
            (
                "dangling-reference",
                "f.xlsx",
                "`工業爐窯!A2`: expected the key of a `企業` record, found `E9`, which no record has"
            ),
        ]
    );
    // The first copy, in another workbook, is named in its label.
    let first = &facts.diagnostics[1].labels[1];
    assert_eq!(first.file.as_deref(), Some("f.xlsx"));
    assert_eq!(first.message, "工業爐窯!B3: the first record with this key, rejected too");
    assert!(facts.diagnostics.iter().flat_map(|d| &d.labels).all(|l| l.span.is_empty()));
    // Both copies of K2 are rejected; K1 stays, its `企業` unreadable.
    assert_eq!((facts.tables[KILN.index()].len(), facts.tables[KILN.index()].flawed), (1, 1));
}

/// One list of formats: the extensions folders are searched for, the format each is read as,
/// and the names messages give them.
#[test]
fn the_formats_are_one_list() {
    let all: Vec<&str> = FORMATS.iter().flat_map(|(_, exts)| exts.iter().copied()).collect();
    assert_eq!(all, EXTENSIONS);
    for &(format, exts) in FORMATS {
        assert_eq!(format.extensions(), exts);
        for ext in exts {
            assert_eq!(FactFormat::of(&format!("facts.{ext}")), Some(format));
            assert_eq!(FactFormat::of(&format!("FACTS.{}", ext.to_uppercase())), Some(format));
        }
    }
    assert_eq!(FactFormat::of("facts.txt"), None);
    assert_eq!(FactFormat::of("facts"), None);
    assert_eq!(format_names(false), "`.json`, `.ndjson`, `.csv`, `.yaml`, `.toml`, `.xlsx` or `.parquet`");
    assert_eq!(
        format_names(true),
        "`.json`, `.ndjson`, `.jsonl`, `.csv`, `.yaml`, `.yml`, `.toml`, `.xlsx`, `.parquet`"
    );
}
