//! Tests of the fact loader, over a small schema in the shape of the Yangquan plan: enterprises
//! keyed by name, kilns referring to them, monitoring rows keyed by a number.

use super::*;
use crate::diagnostic::{Severity, line_col};
use crate::model::{EnumId, Origin, Ty};
use crate::units::Dim;
use crate::value::Date;
use rust_decimal::Decimal;
use std::str::FromStr;
use std::sync::LazyLock;

struct Parts {
    records: Vec<RecordDecl>,
    enums: Vec<EnumDecl>,
    units: UnitTable,
}

const ENTERPRISE: RecordId = RecordId(0);
pub(super) const KILN: RecordId = RecordId(1);
const READING: RecordId = RecordId(2);

// Field indices of the kiln kind.
const K_OWNER: usize = 1;
pub(super) const K_DUST: usize = 2;
pub(super) const K_CUT: usize = 3;
const K_START: usize = 4;
const K_STANDARD: usize = 5;
const K_STOP: usize = 6;
pub(super) const K_OUTPUT: usize = 7;
const K_STATION: usize = 9;

static PARTS: LazyLock<Parts> = LazyLock::new(|| {
    let units = UnitTable::new();
    let origin = Origin { file: "schema.writ".into(), span: Span::default() };
    let field = |name: &str, ty: Ty, optional: bool| FieldDecl {
        name: name.into(),
        unit: None,
        ty,
        optional,
        range: Default::default(),
        origin: origin.clone(),
    };
    let mg = units.parse("mg/m3").unwrap();
    let dust = FieldDecl { unit: Some(mg.clone()), ..field("顆粒物", Ty::Quantity(mg.dim), false) };
    let record = |name: &str, fields: Vec<FieldDecl>| RecordDecl {
        name: name.into(),
        label: None,
        fields,
        key: 0,
        keyless: false,
        derived: false,
        source: None,
        dated: None,
        origin: origin.clone(),
    };
    let records = vec![
        record(
            "企業",
            vec![
                field("名稱", Ty::Text, false),
                field("行業", Ty::Enum(EnumId(0)), false),
                field("綠色工廠", Ty::Bool, false),
                field("搬遷改造完成日", Ty::Date, true),
            ],
        ),
        record(
            "工業爐窯",
            vec![
                field("編號", Ty::Text, false),
                field("企業", Ty::Ref(ENTERPRISE), false),
                dust,
                field("限產比例", Ty::Percent, false),
                field("投運日期", Ty::Date, false),
                field("有行業標準", Ty::Bool, false),
                field("停產日期", Ty::Date, true),
                field("產量", Ty::Number, true),
                field("整改期限", Ty::Duration, true),
                field("監測點", Ty::Ref(READING), true),
            ],
        ),
        record("監測", vec![field("序號", Ty::Number, false), field("爐窯", Ty::Ref(KILN), false)]),
    ];
    let enums = vec![EnumDecl {
        name: "行業".into(),
        variants: vec!["焦化".into(), "建材".into(), "鑄造".into()],
        origin: origin.clone(),
    }];
    Parts { records, enums, units }
});

pub(super) fn schema() -> Schema<'static> {
    Schema { records: &PARTS.records, enums: &PARTS.enums, units: &PARTS.units, parties: &[], utc_offset: 8 * 3600 }
}

pub(super) fn parse(path: &str, text: &str) -> FileFacts {
    parse_file(&schema(), &path.into(), text)
}

/// `code@line:col` of each diagnostic, for compact assertions.
pub(super) fn codes(ff: &FileFacts, text: &str) -> Vec<String> {
    ff.diagnostics.iter().map(|d| at(d, text)).collect()
}

fn at(d: &Diagnostic, text: &str) -> String {
    let (line, col) = line_col(text, d.primary_span().start as usize);
    format!("{}@{line}:{col}", d.code)
}

/// The text a diagnostic's primary span covers.
fn spanned<'t>(d: &Diagnostic, text: &'t str) -> &'t str {
    let s = d.primary_span();
    &text[s.start as usize..s.end as usize]
}

fn dec(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

fn num(cell: &Option<Cell>) -> Decimal {
    match cell {
        Some(Cell::Value(Value::Num(n))) => *n,
        other => panic!("expected a number, found {other:?}"),
    }
}

fn value(cell: &Option<Cell>) -> Option<&Value> {
    match cell {
        Some(Cell::Value(v)) => Some(v),
        None => None,
        other => panic!("expected a value, found {other:?}"),
    }
}

/// How many rows hold a field that could not be read: a bad value rejects its field, and the
/// record, whose key is intact, is kept.
pub(super) fn flawed(ff: &FileFacts) -> usize {
    ff.rows.iter().filter(|r| r.values.iter().any(|v| matches!(v, Some(Cell::Bad(_))))).count()
}

/// One kiln record with the given extra JSON members, and the file read from it.
fn kiln(members: &str) -> (String, FileFacts) {
    let text = format!("{{\"工業爐窯\": [{{\"編號\": \"K1\", {members}}}]}}");
    let ff = parse("f.json", &text);
    (text, ff)
}

/// The value of one kiln field, asserting the record was accepted without diagnostics.
fn kiln_value(member: &str, field: usize) -> Option<Value> {
    let (text, ff) = kiln(member);
    assert_eq!(codes(&ff, &text), Vec::<String>::new(), "{member}");
    value(&ff.rows.get(0).values[field]).cloned()
}

// ---------------------------------------------------------------------------------------------
// Values

#[test]
fn json_record_reads_every_type() {
    let text = r#"{
  "企業": [
    {"名稱": "陽泉市水泵廠", "行業": "鑄造", "綠色工廠": "是", "搬遷改造完成日": "2019-09-30"}
  ],
  "工業爐窯": [
    {"編號": "K1", "企業": "陽泉市水泵廠", "顆粒物": 31, "限產比例": "40%", "投運日期": "2015/3/1",
     "有行業標準": false, "停產日期": null, "產量": 1.5e3}
  ]
}"#;
    let ff = parse("facts.json", text);
    assert_eq!(codes(&ff, text), Vec::<String>::new());
    assert_eq!(ff.rows.len(), 2);
    let e = &ff.rows.get(0);
    assert_eq!((e.kind, e.line), (ENTERPRISE, 3));
    assert_eq!(value(&e.values[0]), Some(&Value::Text("陽泉市水泵廠".into())));
    assert_eq!(value(&e.values[1]), Some(&Value::Enum(2)));
    assert_eq!(value(&e.values[2]), Some(&Value::Bool(true)));
    assert_eq!(value(&e.values[3]), Some(&Value::Date(Date::from_ymd(2019, 9, 30).unwrap())));
    let k = &ff.rows.get(1);
    assert_eq!((k.kind, k.line), (KILN, 6));
    assert_eq!(&text[k.key_span.start as usize..k.key_span.end as usize], "\"K1\"");
    assert!(matches!(&k.values[K_OWNER], Some(Cell::UnresolvedRef { key, .. }) if &**key == "陽泉市水泵廠"));
    assert_eq!(num(&k.values[K_DUST]), dec("0.000031"));
    assert_eq!(num(&k.values[K_CUT]), dec("0.4"));
    assert_eq!(value(&k.values[K_START]), Some(&Value::Date(Date::from_ymd(2015, 3, 1).unwrap())));
    assert_eq!(value(&k.values[K_STANDARD]), Some(&Value::Bool(false)));
    assert_eq!(k.values[K_STOP], None);
    assert_eq!(num(&k.values[K_OUTPUT]), dec("1500"));
}

#[test]
fn quantity_spellings_are_bit_identical() {
    let spellings = [
        "30",
        "\"30\"",
        "30.000",
        "3e1",
        "\"0.030 g/m3\"",
        "\"30mg/m3\"",
        "\"30000 μg/m3\"",
        "\"30000 µg/m³\"",
        "\"0.00003 kg/m^3\"",
        "\" 30 \"",
    ];
    let expected = dec("0.00003");
    for s in spellings {
        let Some(Value::Num(n)) = kiln_value(&format!("\"顆粒物\": {s}"), K_DUST) else { panic!("{s}") };
        assert_eq!(n, expected, "{s}");
        assert_eq!(n.serialize(), expected.serialize(), "{s} is not bit-identical");
    }
    let Some(Value::Num(a)) = kiln_value("\"顆粒物\": \"0.215 g/m3\"", K_DUST) else { panic!() };
    let Some(Value::Num(b)) = kiln_value("\"顆粒物\": \"215mg/m³\"", K_DUST) else { panic!() };
    assert_eq!(a.serialize(), b.serialize());
    assert_eq!(a, dec("0.000215"));
}

#[test]
fn every_date_spelling() {
    let day = Some(Value::Date(Date::from_ymd(2019, 9, 30).unwrap()));
    for s in ["2019-09-30", "2019/9/30", "2019.9.30", "2019年9月30日", "2019-9-30", " 2019-09-30 "] {
        assert_eq!(kiln_value(&format!("\"投運日期\": \"{s}\""), K_START), day, "{s}");
    }
}

#[test]
fn impossible_dates_are_errors_not_normalised() {
    for (s, help) in
        [("2019-02-30", "2019-02 has 28 days"), ("2020年2月30日", "2020-02 has 29 days"), ("2019-13-01", "months")]
    {
        let (text, ff) = kiln(&format!("\"投運日期\": \"{s}\""));
        assert_eq!(codes(&ff, &text), ["bad-value@1:32"], "{s}");
        let d = &ff.diagnostics[0];
        assert_eq!(spanned(d, &text), format!("\"{s}\""));
        assert_eq!(d.message, format!("expected a date, found `{s}`, which is not a day of the calendar"));
        assert!(d.help.as_deref().unwrap().contains(help), "{:?}", d.help);
        assert_eq!((ff.rows.len(), flawed(&ff), ff.rejected.len()), (1, 1, 0));
    }
    for s in ["30/9/2019", "2019-09", "yesterday"] {
        let (text, ff) = kiln(&format!("\"投運日期\": \"{s}\""));
        assert_eq!(codes(&ff, &text), ["bad-value@1:32"], "{s}");
        assert_eq!(ff.diagnostics[0].message, format!("expected a date like `2019-09-30`, found `{s}`"));
    }
    // A datetime is read as one; an impossible time is an error, not a date.
    let (text, ff) = kiln("\"投運日期\": \"2019-09-30T25:00\"");
    assert_eq!(codes(&ff, &text), ["bad-value@1:32"]);
    assert!(ff.diagnostics[0].message.starts_with("expected a date or a datetime, found `2019-09-30T25:00`"));
    let (text, ff) = kiln("\"投運日期\": 20190930");
    assert_eq!(codes(&ff, &text), ["bad-value@1:32"]);
}

#[test]
fn yes_and_no() {
    for (s, b) in [
        ("true", true),
        ("false", false),
        ("\"true\"", true),
        ("\"FALSE\"", false),
        ("\"是\"", true),
        ("\"否\"", false),
        ("\"yes\"", true),
        ("\"No\"", false),
    ] {
        assert_eq!(kiln_value(&format!("\"有行業標準\": {s}"), K_STANDARD), Some(Value::Bool(b)), "{s}");
    }
    let (text, ff) = kiln("\"有行業標準\": \"對\"");
    assert_eq!(codes(&ff, &text), ["bad-value@1:33"]);
    assert_eq!(ff.diagnostics[0].message, "expected a yes/no value, found `對`");
    let (text, ff) = kiln("\"有行業標準\": 1");
    assert_eq!(codes(&ff, &text), ["bad-value@1:33"]);
}

#[test]
fn percent_written_both_ways() {
    let twelve = Some(Value::Num(dec("0.12")));
    for s in ["\"12%\"", "12", "\"12\"", "\"12 %\"", "\"12％\"", "12.0"] {
        assert_eq!(kiln_value(&format!("\"限產比例\": {s}"), K_CUT), twelve, "{s}");
    }
    assert_eq!(kiln_value("\"限產比例\": \"0.5%\"", K_CUT), Some(Value::Num(dec("0.005"))));
    assert_eq!(kiln_value("\"限產比例\": \"150%\"", K_CUT), Some(Value::Num(dec("1.5"))));
    let (text, ff) = kiln("\"限產比例\": \"twelve%\"");
    assert_eq!(codes(&ff, &text), ["bad-value@1:32"]);
    assert_eq!(ff.diagnostics[0].message, "expected a percentage like `12%`, found `twelve%`");
}

#[test]
fn absent_is_never_zero() {
    assert_eq!(kiln_value("\"產量\": 0", K_OUTPUT), Some(Value::Num(Decimal::ZERO)));
    assert_eq!(kiln_value("\"產量\": -0.0", K_OUTPUT), Some(Value::Num(Decimal::ZERO)));
    assert_eq!(kiln_value("\"產量\": null", K_OUTPUT), None);
    assert_eq!(kiln_value("\"產量\": \"\"", K_OUTPUT), None);
    assert_eq!(kiln_value("\"產量\": \"  \"", K_OUTPUT), None);
    assert_eq!(kiln_value("\"企業\": \"E1\"", K_OUTPUT), None);
}

#[test]
fn text_and_references_accept_numbers_as_written() {
    let text =
        r#"{"企業": [{"名稱": 1.50}], "工業爐窯": [{"編號": 7, "企業": 1.50}], "監測": [{"序號": 1.50, "爐窯": 7}]}"#;
    let ff = parse("f.json", text);
    assert_eq!(codes(&ff, text), Vec::<String>::new());
    assert_eq!(value(&ff.rows.get(0).values[0]), Some(&Value::Text("1.50".into())));
    assert!(matches!(&ff.rows.get(1).values[K_OWNER], Some(Cell::UnresolvedRef { key, .. }) if &**key == "1.50"));
    // A number key is known by its decimal text.
    let facts = link(&schema(), &[ff]);
    assert_eq!(facts.key_of(READING, 0), "1.5");
    assert_eq!(facts.value(READING, 0, 1), Some(Value::Ref(KILN, 0)));
    assert_eq!(facts.value(KILN, 0, K_OWNER), Some(Value::Ref(ENTERPRISE, 0)));
}

#[test]
fn references_to_number_keys_match_any_spelling() {
    let text = r#"{"監測": [{"序號": 2, "爐窯": "K1"}], "工業爐窯": [{"編號": "K1", "監測點": "2.0"}, {"編號": "K2", "監測點": 2e0}]}"#;
    let facts = link(&schema(), &[parse("f.json", text)]);
    assert_eq!(facts.diagnostics, vec![]);
    assert_eq!(facts.value(KILN, 0, K_STATION), Some(Value::Ref(READING, 0)));
    assert_eq!(facts.value(KILN, 1, K_STATION), Some(Value::Ref(READING, 0)));
}

#[test]
fn number_keys_are_canonical() {
    let text = r#"{"監測": [{"序號": "2.0", "爐窯": "K1"}], "工業爐窯": [{"編號": "K1"}, {"編號": "K2"}]}"#;
    let refs = r#"{"監測": [{"序號": 3, "爐窯": "K2"}]}"#;
    let a = parse("a.json", text);
    let b = parse("b.json", refs);
    let facts = link(&schema(), &[a, b]);
    assert_eq!(facts.diagnostics, vec![]);
    assert_eq!(
        facts.tables[READING.index()].by_key.keys().collect::<std::collections::BTreeSet<_>>(),
        ["2", "3"].into()
    );
    assert_eq!(facts.value(READING, 1, 1), Some(Value::Ref(KILN, 1)));
    assert_eq!(facts.tables[READING.index()].origin(1).file, 1);
}

#[test]
fn a_reference_must_fit_the_key_of_its_target() {
    let (text, ff) = kiln("\"監測點\": true");
    assert_eq!(codes(&ff, &text), ["bad-value@1:31"]);
    assert_eq!(ff.diagnostics[0].message, "expected the key of a `監測` record, found `true`");
    assert_eq!(ff.diagnostics[0].help.as_deref(), Some("write the `序號` of a `監測` record"));
    // `監測` is keyed by a number, so the key must read as one; the error names the reference.
    let (text, ff) = kiln("\"監測點\": \"abc\"");
    assert_eq!(codes(&ff, &text), ["bad-value@1:31"]);
    assert_eq!(ff.diagnostics[0].message, "expected the key of a `監測` record, found `abc`");
    let (text, ff) = kiln("\"監測點\": 1e400");
    assert_eq!(codes(&ff, &text), ["number-out-of-range@1:31"]);
}

#[test]
fn enum_variants_are_exact() {
    let text =
        r#"{"企業": [{"名稱": "A", "行業": "焦化"}, {"名稱": "B", "行業": "焦炭"}, {"名稱": "C", "行業": " 建材 "}]}"#;
    let ff = parse("f.json", text);
    assert_eq!(codes(&ff, text), ["bad-value@1:52"]);
    let d = &ff.diagnostics[0];
    assert_eq!(d.message, "expected a `行業` value, found `焦炭`");
    assert_eq!(d.help.as_deref(), Some("did you mean `焦化`? `行業` is one of `焦化`, `建材`, `鑄造`"));
    assert_eq!(value(&ff.rows.get(0).values[1]), Some(&Value::Enum(0)));
    // B is kept with its `行業` unreadable, never absent.
    assert_eq!(ff.rows.get(1).values[1], Some(Cell::Bad("`行業`: expected a `行業` value, found `焦炭`".into())));
    assert_eq!(value(&ff.rows.get(2).values[1]), Some(&Value::Enum(1)));
    assert!(ff.rejected.is_empty());
}

/// Record kinds, fields and enum values written in Simplified script, against this schema's
/// Traditional names, in every text format: read as the declared names, with one warning per
/// name and file.
#[test]
fn names_in_the_other_script_are_read_in_every_format() {
    let cases = [
        ("f.json", "{\"企业\": [{\"名称\": \"A\", \"行业\": \"铸造\"}, {\"名称\": \"B\", \"行业\": \"铸造\"}]}"),
        (
            "f.ndjson",
            "{\"kind\": \"企业\", \"名称\": \"A\", \"行业\": \"铸造\"}\n{\"kind\": \"企业\", \"名称\": \"B\", \"行业\": \"铸造\"}\n",
        ),
        ("f.yaml", "企业:\n  - 名称: A\n    行业: 铸造\n  - 名称: B\n    行业: 铸造\n"),
        (
            "f.toml",
            "[[\"企业\"]]\n\"名称\" = \"A\"\n\"行业\" = \"铸造\"\n[[\"企业\"]]\n\"名称\" = \"B\"\n\"行业\" = \"铸造\"\n",
        ),
        ("企业.csv", "名称,行业\nA,铸造\nB,铸造\n"),
    ];
    let s = "written in Simplified script, declared in Traditional";
    let mut expected = vec![
        format!("the field `名称` is read as `名稱`, {s}"),
        format!("the field `行业` is read as `行業`, {s}"),
        format!("the record kind `企业` is read as `企業`, {s}"),
        format!("the value `铸造` is read as `鑄造`, {s}"),
    ];
    expected.sort();
    for (path, text) in cases {
        let ff = parse(path, text);
        let mut messages: Vec<String> = ff.diagnostics.iter().map(|d| d.message.clone()).collect();
        messages.sort();
        assert_eq!(messages, expected, "{path}");
        assert!(
            ff.diagnostics.iter().all(|d| d.code == "fact-script-variant" && d.severity == Severity::Warning),
            "{path}"
        );
        assert_eq!(ff.rows.len(), 2, "{path}");
        for row in 0..2 {
            assert_eq!(value(&ff.rows.get(row).values[1]), Some(&Value::Enum(2)), "{path}");
        }
        assert!(ff.rejected.is_empty(), "{path}");
    }
}

#[test]
fn unit_mismatch_names_both_units_and_dimensions() {
    let (text, ff) = kiln("\"顆粒物\": \"31 km\"");
    assert_eq!(codes(&ff, &text), ["unit-mismatch@1:35"]);
    let d = &ff.diagnostics[0];
    assert_eq!(spanned(d, &text), "km");
    assert_eq!(d.message, "expected a quantity in `mg/m3` (dimension `kg/m3`), found `km` (dimension `m`)");
    assert!(d.help.is_some());
    assert_eq!((ff.rows.len(), flawed(&ff)), (1, 1));

    let (text, ff) = kiln("\"顆粒物\": \"31 furlong\"");
    assert_eq!(codes(&ff, &text), ["bad-value@1:35"]);
    assert_eq!(ff.diagnostics[0].message, "expected a quantity in `mg/m3`, found unknown unit `furlong`");
    let (text, ff) = kiln("\"顆粒物\": \"high\"");
    assert_eq!(codes(&ff, &text), ["bad-value@1:31"]);
    assert_eq!(ff.diagnostics[0].message, "expected a quantity in `mg/m3`, found `high`");
}

#[test]
fn numbers_out_of_range_are_diagnostics() {
    let huge = "9".repeat(500);
    let cases = [
        ("\"產量\": 1e400".to_string(), "`1e400` is too large", "1e400"),
        (format!("\"產量\": {huge}"), "is too large", huge.as_str()),
        ("\"產量\": 1e-40".to_string(), "`1e-40` has more digits than can be held exactly", "1e-40"),
        (
            "\"產量\": 0.12345678901234567890123456789012".to_string(),
            "has more digits",
            "0.12345678901234567890123456789012",
        ),
        ("\"顆粒物\": \"1e-25 mg/m3\"".to_string(), "has more digits", "1e-25 mg/m3"),
        ("\"顆粒物\": \"1e28 t/m3\"".to_string(), "`1e28 t/m3` is too large", "1e28 t/m3"),
        ("\"限產比例\": \"1e-27%\"".to_string(), "has more digits", "1e-27%"),
    ];
    for (member, message, written) in cases {
        let (text, ff) = kiln(&member);
        assert_eq!(ff.diagnostics.len(), 1, "{member}");
        let d = &ff.diagnostics[0];
        assert_eq!(d.code, "number-out-of-range", "{member}");
        assert!(d.message.contains(message), "{member}: {}", d.message);
        assert!(d.help.is_some());
        assert_eq!(spanned(d, &text), written);
        let col = text[..text.find(written).unwrap()].chars().count() + 1;
        assert_eq!(at(d, &text), format!("number-out-of-range@1:{col}"));
        assert_eq!((ff.rejected.len(), flawed(&ff)), (0, 1));
    }
}

#[test]
fn unsupported_field_types_are_rejected() {
    let (text, ff) = kiln("\"整改期限\": \"20 workdays\"");
    assert_eq!(codes(&ff, &text), ["bad-value@1:32"]);
    assert!(ff.diagnostics[0].message.starts_with("field type not supported in facts"));
    assert_eq!((ff.rejected.len(), flawed(&ff)), (0, 1));
}

#[test]
fn nested_values_are_bad_values() {
    let (text, ff) = kiln("\"產量\": [1, {\"a\": [2]}]");
    assert_eq!(codes(&ff, &text), ["bad-value@1:30"]);
    assert_eq!(ff.diagnostics[0].message, "expected a number, found an array");
    assert_eq!(spanned(&ff.diagnostics[0], &text), "[1, {\"a\": [2]}]");
}

#[test]
fn string_escapes() {
    let (text, ff) = kiln(r#""企業": "a\"b\\c\/d\n\u00e9\uD83D\uDE00\t""#);
    assert_eq!(codes(&ff, &text), Vec::<String>::new());
    assert!(
        matches!(&ff.rows.get(0).values[K_OWNER], Some(Cell::UnresolvedRef { key, .. }) if &**key == "a\"b\\c/d\né😀")
    );
}

/// A string is scanned eight bytes at a time up to the first byte that needs attention: a
/// quote, an escape or a control character is found at every place in and after a run.
#[test]
fn long_strings_stop_at_every_byte_that_matters() {
    let key = |ff: &FileFacts| match &ff.rows.get(0).values[K_OWNER] {
        Some(Cell::UnresolvedRef { key, .. }) => key.to_string(),
        other => panic!("{other:?}"),
    };
    for before in 0..20 {
        let head = "甲a".repeat(before / 4) + &"b".repeat(before % 4);
        for (written, read) in [("", ""), ("\\\"", "\""), ("\\\\", "\\"), ("\\/", "/"), ("\\u00e9", "é")] {
            let (text, ff) = kiln(&format!("\"企業\": \"{head}{written}ccccccccccc\""));
            assert_eq!(codes(&ff, &text), Vec::<String>::new(), "{text}");
            assert_eq!(key(&ff), format!("{head}{read}ccccccccccc"), "{text}");
        }
        for control in ["\n", "\t", "\u{1}"] {
            let text = format!("{{\"企業\": [{{\"名稱\": \"{head}{control}ccccccccccc\"}}]}}");
            let ff = parse("f.json", &text);
            assert_eq!(ff.diagnostics.len(), 1, "{text:?}");
            assert!(ff.diagnostics[0].message.starts_with("expected `\"` closing the string"), "{text:?}");
        }
    }
}

/// Text is trimmed of Unicode's spaces, the ideographic one too, and CJK text at its ends is
/// kept whole; nothing above U+3000 is a space.
#[test]
fn trimming_keeps_cjk_and_removes_every_space() {
    assert!((0x3001..=0x10FFFF).filter_map(char::from_u32).all(|c| !c.is_whitespace()));
    assert_eq!(super::convert::trim("\u{3000}陽泉\u{a0}"), "陽泉");
    assert_eq!(super::convert::trim("\u{2003}陽 泉\u{85}"), "陽 泉");
    assert_eq!(super::convert::trim("陽泉"), "陽泉");
    assert_eq!(super::convert::trim("泉"), "泉");
    assert_eq!(super::convert::trim("\u{3000}"), "");
}

// ---------------------------------------------------------------------------------------------
// Diagnostics

#[test]
fn json_syntax_errors_stop_the_file() {
    let cases: &[(&str, &str, &str)] = &[
        ("", "1:1", "expected `{` opening the record kinds, found end of file"),
        ("[]", "1:1", "expected `{` opening the record kinds, found `[`"),
        ("{\"企業\": [{\"名稱\": \"A\",}]}", "1:20", "expected a field name in double quotes, found `}`"),
        ("{\"企業\": [{\"名稱\": \"A\"}]} x", "1:23", "expected end of file after the top-level object, found `x`"),
        ("{\"企業\": [{\"名稱\": \"A\"}]}{}", "1:22", "expected end of file after the top-level object, found `{`"),
        ("{\"企業\": [{\"名稱\": \"A}]}", "1:21", "expected `\"` closing the string, found end of file"),
        ("{\"企業\": [{\"名稱\": \"A\nB\"}]}", "1:18", "expected `\"` closing the string, found a line break"),
        (
            "{\"企業\": [{\"名稱\": \"\\x\"}]}",
            "1:17",
            "expected an escape such as `\\n`, `\\\"` or `\\u00E9`, found `\\x`",
        ),
        (
            "{\"企業\": [{\"名稱\": \"\\uDC00\"}]}",
            "1:17",
            "expected a character, found the lone low surrogate `\\uDC00`",
        ),
        (
            "{\"企業\": [{\"名稱\": \"\\uD83Dx\"}]}",
            "1:17",
            "expected a low surrogate `\\uDC00`..`\\uDFFF` after `\\uD83D`, found none",
        ),
        ("{\"企業\": [{\"名稱\": \"\\u12\"}]}", "1:17", "expected four hex digits after `\\u`, found `\\u12`"),
        ("{\"企業\": [{\"名稱\": 007}]}", "1:16", "expected a number, found `007` with a leading zero"),
        ("{\"企業\": [{\"名稱\": 'A'}]}", "1:16", "expected a value, found `'`"),
        ("{\"企業\": [{\"名稱\": 1.}]}", "1:18", "expected a digit after the decimal point, found `}`"),
        ("{\"企業\": [{\"名稱\": \"A\" \"行業\": 1}]}", "1:20", "expected `,` or `}` after a field, found `\"`"),
        ("{\"企業\": [{\"名稱\": \"A\"}\n\n", "3:1", "expected `,` or `]` after a record, found end of file"),
        ("{\"企業\" [", "1:7", "expected `:` after the field name, found `[`"),
    ];
    for &(text, pos, message) in cases {
        let ff = parse("f.json", text);
        assert_eq!(ff.diagnostics.len(), 1, "{text}: {:?}", ff.diagnostics);
        let d = &ff.diagnostics[0];
        assert_eq!(d.code, "fact-syntax", "{text}");
        assert_eq!(at(d, text), format!("fact-syntax@{pos}"), "{text}");
        assert_eq!(d.message, message, "{text}");
        assert!(d.help.is_some(), "{text}");
        assert!(ff.rejected.is_empty(), "{text}");
        // What the file held past the error was not read: its kinds are incomplete.
        // (A file that names no kind, such as `[]`, cannot have lost records of any.)
        assert!(ff.losses.iter().all(|l| l.lost.is_none()), "{text}");
    }
}

#[test]
fn a_syntax_error_keeps_the_records_read_before_it() {
    let text = "{\"企業\": [{\"名稱\": \"A\"}, {\"名稱\": \"B\", \"行業\": \"x\"}, {]}";
    let ff = parse("f.json", text);
    assert_eq!(codes(&ff, text), ["bad-value@1:40", "fact-syntax@1:47"]);
    assert_eq!(ff.rows.len(), 2, "records A and B were read whole before the error");
    assert_eq!(flawed(&ff), 1, "B's `行業` could not be read");
    // The error is inside the `企業` array and the rest of the file names no kind: only `企業`
    // is incomplete.
    assert_eq!(ff.losses.len(), 1);
    assert_eq!((ff.losses[0].line, ff.losses[0].lost), (1, None));
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    let deep = "[".repeat(200_000);
    let (text, ff) = kiln(&format!("\"產量\": {deep}"));
    assert_eq!(ff.diagnostics.len(), 1);
    let d = &ff.diagnostics[0];
    assert_eq!(d.code, "fact-syntax");
    assert_eq!(d.message, "expected at most 128 levels of nesting, found more");
    // Three levels are the file, the kind and the record; the 126th `[` is the 129th level.
    assert_eq!(d.primary_span().start as usize, text.find("[[").unwrap() + 125);

    let deep = format!("{}{}", "[".repeat(125), "]".repeat(125));
    let (text, ff) = kiln(&format!("\"產量\": {deep}"));
    assert_eq!(codes(&ff, &text), ["bad-value@1:30"]);

    let deep = format!("{{\"x\": {}}}", "{\"y\": ".repeat(300));
    let ff = parse("f.json", &deep);
    assert_eq!(ff.diagnostics[0].message, "expected at most 128 levels of nesting, found more");
}

#[test]
fn unknown_kinds_and_fields_suggest_names() {
    let text = r#"{
  "工業爐窖": [{"編號": "K1"}, {"編號": "K2"}],
  "企業": [{"名稱": "A", "行 業": "焦化", "綠色工场": true}, {"名稱": "B", "綠色工场": false}]
}"#;
    let ff = parse("f.json", text);
    assert_eq!(codes(&ff, text), ["unknown-record-kind@2:3", "unknown-field@3:22", "unknown-field@3:35"]);
    let kind = &ff.diagnostics[0];
    assert_eq!(kind.message, "unknown record kind `工業爐窖`");
    assert_eq!(kind.labels[0].message, "2 records were not read under this name");
    assert!(kind.help.as_deref().unwrap().starts_with("did you mean `工業爐窯`?"));
    let field = &ff.diagnostics[2];
    assert_eq!(field.message, "unknown field `綠色工场` for `企業`");
    assert!(field.help.as_deref().unwrap().starts_with("did you mean `綠色工廠`?"));
    // An unknown field is ignored, not a reason to drop the record.
    assert_eq!(ff.rows.len(), 2);
}

#[test]
fn missing_keys() {
    let text = "{\"企業\": [\n  {\"行業\": \"焦化\"},\n  {\"名稱\": null},\n  {\"名稱\": \"  \"}\n]}";
    let ff = parse("f.json", text);
    // An absent key is pointed at by its record; a key written empty, at what was written.
    assert_eq!(codes(&ff, text), ["missing-key@2:3", "missing-key@3:10", "missing-key@4:10"]);
    assert_eq!(ff.diagnostics[0].message, "expected a `名稱` for this `企業` record, found none");
    assert_eq!(ff.diagnostics[1].message, "expected a `名稱` for this `企業` record, found `null`");
    assert_eq!(ff.diagnostics[2].message, "expected a `名稱` for this `企業` record, found an empty value");
    assert_eq!(ff.rejected.iter().map(|r| r.line).collect::<Vec<_>>(), [2, 3, 4]);
    // A key written but unreadable is one error, not two.
    let text = r#"{"監測": [{"序號": "one"}]}"#;
    let ff = parse("f.json", text);
    assert_eq!(codes(&ff, text), ["bad-value@1:16"]);
}

#[test]
fn a_field_written_twice_rejects_the_record() {
    let text = r#"{"企業": [{"名稱": "A", "行業": "焦化", "行業": "建材"}]}"#;
    let ff = parse("f.json", text);
    assert_eq!(codes(&ff, text), ["duplicate-field@1:33"]);
    let d = &ff.diagnostics[0];
    assert_eq!(d.labels[1].span, Span::new(text.find("\"行業\"").unwrap(), text.find("\"行業\"").unwrap() + 8));
    assert_eq!(ff.rejected[0].reason, "`行業` is written twice");
}

#[test]
fn records_must_be_objects_and_kinds_arrays() {
    let text = r#"{"企業": [{"名稱": "A"}, 5, "B"], "工業爐窯": {"編號": "K1"}}"#;
    let ff = parse("f.json", text);
    assert_eq!(codes(&ff, text), ["fact-syntax@1:22", "fact-syntax@1:25", "fact-syntax@1:39"]);
    assert_eq!(ff.diagnostics[0].message, "expected a `企業` record (an object), found a number");
    assert_eq!(ff.diagnostics[2].message, "expected an array of `工業爐窯` records, found an object");
    assert_eq!(ff.rows.len(), 1);
    assert_eq!(ff.rejected.len(), 2);
}

#[test]
fn all_errors_of_a_file_are_reported_up_to_a_cap() {
    let records: Vec<String> = (0..250).map(|i| format!("{{\"名稱\": \"E{i}\", \"綠色工廠\": \"maybe\"}}")).collect();
    let text = format!("{{\"企業\": [{}]}}", records.join(",\n"));
    let ff = parse("f.json", &text);
    assert_eq!(ff.diagnostics.len(), 201);
    assert_eq!((ff.rows.len(), flawed(&ff), ff.rejected.len()), (250, 250, 0));
    let last = ff.diagnostics.last().unwrap();
    assert_eq!((last.code, last.severity), ("too-many-errors", Severity::Warning));
    assert_eq!(last.message, "50 more errors in this file were not shown");
    assert_eq!(at(last, &text), "too-many-errors@201:24");
}

#[test]
fn unknown_format() {
    let ff = parse("facts/企業.txt", "企業: []");
    assert_eq!(codes(&ff, ""), ["unknown-format@1:1"]);
    let expected = "expected a `.json`, `.ndjson`, `.csv`, `.yaml`, `.toml`, `.xlsx` or `.parquet` fact file";
    assert_eq!(ff.diagnostics[0].message, format!("{expected}, found `.txt`"));
    let ff = parse("facts/企業", "");
    assert_eq!(ff.diagnostics[0].message, format!("{expected}, found no extension"));
    assert_eq!(parse("F.JSON", "{}").diagnostics, vec![]);
}

#[test]
fn a_bom_is_skipped_in_json() {
    let text = "\u{feff}{\"企業\": [{\"名稱\": \"A\"}]}";
    let ff = parse("f.json", text);
    assert_eq!(ff.diagnostics, vec![]);
    assert_eq!(ff.rows.len(), 1);
}

// ---------------------------------------------------------------------------------------------
// CSV

#[test]
fn csv_with_bom_quotes_and_empty_cells() {
    let text = "\u{feff}編號,企業,顆粒物,限產比例,投運日期,停產日期\r\nK1,\"陽泉,水泵廠\",30,40%,2019/9/30,\r\nK2,E2,\"0.030 g/m3\",,2019年9月30日,2020-01-01\r\n";
    let ff = parse("data/工業爐窯.csv", text);
    assert_eq!(codes(&ff, text), Vec::<String>::new());
    assert_eq!(ff.rows.len(), 2);
    let (k1, k2) = (&ff.rows.get(0), &ff.rows.get(1));
    assert_eq!((k1.line, k2.line), (2, 3));
    assert!(
        matches!(&k1.values[K_OWNER], Some(Cell::UnresolvedRef { key, span }) if &**key == "陽泉,水泵廠" && &text[span.start as usize..span.end as usize] == "\"陽泉,水泵廠\"")
    );
    assert_eq!(num(&k1.values[K_DUST]), num(&k2.values[K_DUST]));
    assert_eq!(k1.values[K_STOP], None, "an empty cell is absent");
    assert_eq!(k2.values[K_CUT], None);
    assert_eq!(value(&k2.values[K_STOP]), Some(&Value::Date(Date::from_ymd(2020, 1, 1).unwrap())));
    assert_eq!(&text[k2.key_span.start as usize..k2.key_span.end as usize], "K2");
}

#[test]
fn csv_errors_point_at_cells() {
    let text = "編號,顆粒物,顏色,投運日期\nK1,\"31\nmg/m3\",紅,2019-02-30\nK2,31\n,40,藍,\nK4,\"5 km\",綠,2019-01-01\n";
    let ff = parse("工業爐窯.csv", text);
    assert_eq!(
        codes(&ff, text),
        ["unknown-field@1:8", "bad-value@3:10", "fact-syntax@4:1", "missing-key@5:1", "unit-mismatch@6:7"]
    );
    assert_eq!(spanned(&ff.diagnostics[1], text), "2019-02-30");
    assert_eq!(ff.diagnostics[2].message, "expected 4 cells as in the header, found 2");
    assert_eq!(spanned(&ff.diagnostics[2], text), "K2,31");
    assert_eq!(spanned(&ff.diagnostics[4], text), "km");
    // A bad cell rejects its field; a row of the wrong shape, or without a key, is rejected.
    assert_eq!((ff.rows.len(), flawed(&ff)), (2, 2));
    assert_eq!(ff.rejected.len(), 2);
    assert_eq!(ff.rejected[0].key.as_deref(), Some("K2"));
    // Lines count the line break inside the quoted cell of the first record.
    assert_eq!(ff.rows.iter().map(|r| r.line).collect::<Vec<_>>(), [2, 6]);
    assert_eq!(ff.rejected.iter().map(|r| r.line).collect::<Vec<_>>(), [4, 5]);
}

#[test]
fn csv_without_key_column_or_known_kind() {
    let text = "行業\n焦化\n建材\n";
    let ff = parse("企業.csv", text);
    assert_eq!(codes(&ff, text), ["missing-key@1:1"]);
    assert_eq!(ff.rejected.len(), 2);
    assert_eq!(ff.rejected[0].reason, "the file has no key column");

    let ff = parse("工業爐窖.csv", "編號\nK1\nK2\n");
    assert_eq!(codes(&ff, ""), ["unknown-record-kind@1:1"]);
    let d = &ff.diagnostics[0];
    assert!(d.labels[0].message.contains("its 2 records were not read"), "{}", d.labels[0].message);
    assert_eq!(d.help.as_deref(), Some("did you mean `工業爐窯`? rename the file to `工業爐窯.csv`"));

    let ff = parse("企業.csv", "\u{feff}");
    assert_eq!(ff.diagnostics[0].code, "fact-syntax");
    let ff = parse("企業.csv", "名稱,名稱\nA,B\n");
    assert_eq!(codes(&ff, "名稱,名稱"), ["duplicate-field@1:4"]);
    assert_eq!(ff.rows.len(), 1);
}

// ---------------------------------------------------------------------------------------------
// Linking

#[test]
fn link_resolves_references_across_files() {
    let a = r#"{"企業": [{"名稱": "E1"}, {"名稱": "E2"}]}"#;
    let b = "編號,企業,顆粒物\nK1,E2,31\nK2,E1,\n";
    let files = [parse("a.json", a), parse("工業爐窯.csv", b)];
    let facts = link(&schema(), &files);
    assert_eq!(facts.diagnostics, vec![]);
    assert_eq!(facts.files, vec![Arc::<str>::from("a.json"), "工業爐窯.csv".into()]);
    assert_eq!(facts.tables.len(), 3);
    let kilns = &facts.tables[KILN.index()];
    assert_eq!((kilns.len(), kilns.loaded), (2, 2));
    assert_eq!(facts.value(KILN, 0, K_OWNER), Some(Value::Ref(ENTERPRISE, 1)));
    assert_eq!(facts.key_of(ENTERPRISE, 1), "E2");
    assert_eq!(facts.value(KILN, 1, K_DUST), None);
    assert_eq!(kilns.origin(1), RowOrigin { file: 1, line: 3, key: "K2" });
    assert_eq!(kilns.by_key.get("K2"), Some(1));
    assert!(facts.tables[READING.index()].is_empty());
    assert_eq!(facts.tables[READING.index()].columns.len(), 2);
}

#[test]
fn duplicate_keys_across_files() {
    let a = "{\"企業\": [\n  {\"名稱\": \"E1\"}\n]}";
    let b = "名稱,行業\nE2,焦化\nE1,建材\n";
    let files = [parse("a.json", a), parse("企業.csv", b)];
    let facts = link(&schema(), &files);
    assert_eq!(facts.diagnostics.len(), 1);
    let d = &facts.diagnostics[0];
    assert_eq!((d.code, &*d.file), ("duplicate-key", "企業.csv"));
    assert_eq!(at(d, b), "duplicate-key@3:1");
    assert_eq!(d.message, "duplicate `企業` key `E1`");
    let first = &d.labels[1];
    assert_eq!(first.file.as_deref(), Some("a.json"));
    assert_eq!(line_col(a, first.span.start as usize), (2, 10));
    // Which copy is right cannot be told: neither is used.
    let table = &facts.tables[ENTERPRISE.index()];
    assert_eq!((table.len(), table.rejected.len(), table.loaded), (1, 2, 3));
    assert!(!table.by_key.contains_key("E1"));
    let mut lines: Vec<u32> = table.rejected.iter().map(|r| r.line).collect();
    lines.sort();
    assert_eq!(lines, [2, 3]);
    assert!(
        table.rejected.iter().all(|r| r.key.as_deref() == Some("E1") && r.reason.starts_with("duplicate key `E1`"))
    );

    // Within one file, the secondary label has no file of its own.
    let facts = link(&schema(), &[parse("企業.csv", "名稱\nE1\nE1\n")]);
    assert_eq!(facts.diagnostics[0].labels[1].file, None);
}

/// Many records of a kind in one file are taken at once when their keys are in order, and
/// one at a time otherwise; either way, a key seen twice rejects its records.
#[test]
fn many_keys_in_order_are_taken_at_once_and_repeated_keys_still_found() {
    let readings = |keys: &mut dyn Iterator<Item = u32>| {
        let mut text = String::from("序號,爐窯\n");
        for k in keys {
            text.push_str(&format!("{k},\n"));
        }
        text
    };
    let n = super::link::KEYS_IN_PARTS_FROM as u32 + 4_000;
    let table = |facts: &Facts| {
        let t = &facts.tables[READING.index()];
        (t.len(), t.rejected.len(), t.loaded)
    };
    // In order, in one file and then in two.
    let one = link(&schema(), &[parse("監測.csv", &readings(&mut (1..=n)))]);
    assert_eq!((one.diagnostics.len(), table(&one)), (0, (n as usize, 0, n as usize)));
    let t = &one.tables[READING.index()];
    assert_eq!((t.by_key.get(&n.to_string()), t.key(5)), (Some(n - 1), "6"));
    assert_eq!(t.origin(n - 1).line, n + 1);
    let two = link(
        &schema(),
        &[parse("a/監測.csv", &readings(&mut (1..=n))), parse("b/監測.csv", &readings(&mut (n + 1..=2 * n)))],
    );
    assert_eq!((two.diagnostics.len(), table(&two)), (0, (2 * n as usize, 0, 2 * n as usize)));
    assert_eq!(two.tables[READING.index()].origin(n).file, 1);
    // Key 11 again at the end of one file: both records with it are rejected.
    let again = link(&schema(), &[parse("監測.csv", &readings(&mut (1..=n).chain([11])))]);
    assert_eq!(again.diagnostics.iter().map(|d| d.code).collect::<Vec<_>>(), ["duplicate-key"]);
    assert_eq!(table(&again), (n as usize - 1, 2, n as usize + 1));
    assert!(!again.tables[READING.index()].by_key.contains_key("11"));
    // A second file whose keys overlap the first's last 10 keys.
    let overlap = link(
        &schema(),
        &[parse("a/監測.csv", &readings(&mut (1..=n))), parse("b/監測.csv", &readings(&mut (n - 9..=2 * n)))],
    );
    assert_eq!(table(&overlap), (2 * n as usize - 10, 20, 2 * n as usize + 10));
    assert!(overlap.diagnostics.iter().all(|d| d.code == "duplicate-key") && !overlap.diagnostics.is_empty());
}

#[test]
fn linking_that_takes_the_files_values_links_the_same_facts() {
    let readings = |keys: std::ops::RangeInclusive<u32>| {
        let mut text = String::from("序號,爐窯\n");
        for k in keys {
            text.push_str(&format!("{k},K{}\n", k % 3));
        }
        text
    };
    let kilns =
        r#"{"企業": [{"名稱": "E1"}], "工業爐窯": [{"編號": "K0", "企業": "E1"}, {"編號": "K1", "企業": "E1"}]}"#;
    let cases = [
        // Whole files: the readings' columns are joined from both, K2 does not resolve.
        vec![parse("f.json", kilns), parse("a/監測.csv", &readings(1..=50)), parse("b/監測.csv", &readings(51..=90))],
        // One file's columns, as they are.
        vec![parse("f.json", kilns), parse("監測.csv", &readings(1..=40))],
        // Keys that overlap: rows are rejected, the table filled a row at a time.
        vec![parse("f.json", kilns), parse("a/監測.csv", &readings(1..=30)), parse("b/監測.csv", &readings(21..=40))],
    ];
    for (case, files) in cases.into_iter().enumerate() {
        let linked = link(&schema(), &files);
        let mut taken = files.clone();
        let by_taking = link_taking(&schema(), &mut taken);
        assert_eq!(by_taking, linked);
        assert!(!linked.tables[READING.index()].is_empty());
        for (before, after) in files.iter().zip(&taken) {
            // The files keep where each record was read, and their diagnostics.
            assert_eq!(after.rows.len(), before.rows.len());
            assert_eq!(after.diagnostics, before.diagnostics);
            let (b, a) = (before.rows.of_kind(READING), after.rows.of_kind(READING));
            assert_eq!(a.map(|k| k.lines()), b.map(|k| k.lines()));
            // Whole files' values were taken, not copied.
            if case < 2 {
                assert!(a.is_none_or(|k| k.columns().is_empty()));
            }
        }
    }
}

#[test]
fn a_key_shared_with_a_flawed_record_is_a_duplicate_and_its_referrers_lose_that_field() {
    // E1 is read twice, once with a bad value; K1 refers to E1, and a reading to K1.
    let text = r#"{
  "企業": [{"名稱": "E1"}, {"名稱": "E1", "綠色工廠": "maybe"}, {"名稱": "E2"}],
  "工業爐窯": [{"編號": "K1", "企業": "E1"}, {"編號": "K2", "企業": "E2"}],
  "監測": [{"序號": 1, "爐窯": "K1"}]
}"#;
    let ff = parse("f.json", text);
    assert_eq!(codes(&ff, text), ["bad-value@2:45"]);
    let facts = link(&schema(), &[ff]);
    let found: Vec<String> = facts.diagnostics.iter().map(|d| at(d, text)).collect();
    assert_eq!(found, ["duplicate-key@2:31", "dangling-reference@3:31"]);
    // Both copies of E1 are rejected: nothing says which is right.
    let firms = &facts.tables[ENTERPRISE.index()];
    assert_eq!((firms.len(), firms.rejected.len()), (1, 2));
    assert_eq!(facts.key_of(ENTERPRISE, 0), "E2");
    // K1 stays, with its `企業` unreadable; the reading of K1 is untouched.
    let kilns = &facts.tables[KILN.index()];
    assert_eq!((kilns.len(), kilns.rejected.len(), kilns.flawed), (2, 0, 1));
    assert_eq!(facts.value(KILN, 0, K_OWNER), None);
    assert!(kilns.bad_cell(0, K_OWNER as u32).is_some());
    assert_eq!(facts.value(KILN, 1, K_OWNER), Some(Value::Ref(ENTERPRISE, 0)), "rows are renumbered");
    assert_eq!(facts.value(READING, 0, 1), Some(Value::Ref(KILN, 0)));
    for table in &facts.tables {
        assert_eq!(table.loaded, table.len() + table.rejected.len());
    }
}

#[test]
fn dangling_references_make_their_field_unreadable() {
    let text = r#"{
  "企業": [{"名稱": "E1"}, {"名稱": "E3", "綠色工廠": "maybe"}],
  "工業爐窯": [{"編號": "K1", "企業": "E1"}, {"編號": "K2", "企業": "E2"}, {"編號": "K3", "企業": "E3"}],
  "監測": [{"序號": 1, "爐窯": "K2"}, {"序號": 2, "爐窯": "K1"}]
}"#;
    let ff = parse("f.json", text);
    assert_eq!(codes(&ff, text), ["bad-value@2:45"]);
    let facts = link(&schema(), &[ff]);
    let found: Vec<String> = facts.diagnostics.iter().map(|d| at(d, text)).collect();
    assert_eq!(found, ["dangling-reference@3:57"]);
    let missing = &facts.diagnostics[0];
    assert_eq!(missing.message, "expected the key of a `企業` record, found `E2`, which no record has");
    assert!(missing.help.as_deref().unwrap().starts_with("did you mean `E1`?"));
    assert_eq!(spanned(missing, text), "\"E2\"");

    // E3 has one bad cell: it stays, with that field unreadable, and K3 refers to it.
    let enterprises = &facts.tables[ENTERPRISE.index()];
    assert_eq!((enterprises.len(), enterprises.rejected.len(), enterprises.flawed), (2, 0, 1));
    // K2's reference is unreadable, not absent; K2 itself stays, and so does the reading of it.
    let kilns = &facts.tables[KILN.index()];
    assert_eq!((kilns.len(), kilns.rejected.len(), kilns.loaded, kilns.flawed), (3, 0, 3, 1));
    assert_eq!(facts.value(KILN, 1, 1), None);
    let why = kilns.bad_cell(1, 1).unwrap();
    assert_eq!(&**why, "`企業` refers to a record that is not there: no `企業` record has the key `E2`");
    assert_eq!(facts.value(KILN, 2, 1), Some(Value::Ref(ENTERPRISE, 1)));
    let readings = &facts.tables[READING.index()];
    assert_eq!((readings.len(), readings.rejected.len()), (2, 0));
    assert_eq!(facts.value(READING, 0, 1), Some(Value::Ref(KILN, 1)));
}

#[test]
fn every_record_is_accounted_for() {
    let a = r#"{"企業": [{"名稱": "E1"}, {"名稱": "E1"}, {"行業": "x"}, 3],
                "工業爐窯": [{"編號": "K1", "企業": "E9"}, {"編號": "K2", "企業": "E1", "產量": "many"}]}"#;
    let b = "名稱,綠色工廠\nE2,是\nE3,\nE4,x\n";
    let facts = link(&schema(), &[parse("a.json", a), parse("企業.csv", b)]);
    for (kind, table) in facts.tables.iter().enumerate() {
        assert_eq!(table.loaded, table.len() + table.rejected_count(), "kind {kind}");
        assert_eq!(table.columns.len(), PARTS.records[kind].fields.len());
        assert!(table.columns.iter().all(|c| c.len() == table.len()));
        assert_eq!(table.by_key.len(), table.len());
    }
    assert_eq!(facts.tables[ENTERPRISE.index()].loaded, 7);
    // E2, E3 and E4: both copies of E1 are rejected, and E4's bad `綠色工廠` rejects that
    // field only.
    assert_eq!((facts.tables[ENTERPRISE.index()].len(), facts.tables[ENTERPRISE.index()].flawed), (3, 1));
    assert_eq!(facts.tables[KILN.index()].loaded, 2);
    // K1's reference does not resolve and K2's `產量` is bad: both kept, each with a field unreadable.
    assert_eq!((facts.tables[KILN.index()].len(), facts.tables[KILN.index()].flawed), (2, 2));
}

#[test]
fn dims_are_checked_even_without_a_declared_unit() {
    // A quantity field declared without a unit takes only numbers that carry one.
    let units = UnitTable::new();
    let mut records = PARTS.records.clone();
    records[KILN.index()].fields[K_DUST].unit = None;
    let schema = Schema { records: &records, enums: &PARTS.enums, units: &units, parties: &[], utc_offset: 8 * 3600 };
    let text = r#"{"工業爐窯": [{"編號": "K1", "顆粒物": 31}, {"編號": "K2", "顆粒物": "31 mg/m3"}]}"#;
    let ff = parse_file(&schema, &"f.json".into(), text);
    assert_eq!(codes(&ff, text), ["bad-value@1:31"]);
    assert_eq!(ff.diagnostics[0].message, "expected a quantity of dimension `kg/m3`, found the bare number `31`");
    assert_eq!((ff.rows.len(), flawed(&ff)), (2, 1));
    assert_eq!(Ty::Quantity(Dim::NONE), Ty::Quantity(Dim::default()));
}

/// A datetime with an offset is the date it falls on in the plan's zone (+08:00 here).
#[test]
fn datetimes_become_civil_dates() {
    let text = r#"{ "企業": [ { "名稱": "E1", "搬遷改造完成日": "2019-09-30T17:00:00Z" }, { "名稱": "E2", "搬遷改造完成日": "2019-09-30T23:30:00+08:00" } ] }"#;
    let facts = link(&schema(), &[parse("f.json", text)]);
    assert!(facts.diagnostics.is_empty(), "{:?}", facts.diagnostics);
    let t = &facts.tables[0];
    let field = schema().records[0].field("搬遷改造完成日").unwrap();
    assert_eq!(t.get(field, 0), Some(Value::Date(Date::from_ymd(2019, 10, 1).unwrap())));
    assert_eq!(t.get(field, 1), Some(Value::Date(Date::from_ymd(2019, 9, 30).unwrap())));
}

// ---------------------------------------------------------------------------------------------
// A large array read in parts on several threads gives what it gives on one

/// A JSON file of `n` kilns, one record a line, the `i`-th written by `kiln(i)` (its members
/// after the key), between a few enterprises and monitoring rows.
fn many_kilns(n: usize, kiln: impl Fn(usize) -> String) -> String {
    let mut text = String::from(
        "{\n\"企業\": [\n{\"名稱\": \"E1\", \"行業\": \"焦化\", \"綠色工廠\": true}\n],\n\"工業爐窯\": [\n",
    );
    for i in 0..n {
        if i > 0 {
            text.push_str(",\n");
        }
        text.push_str(&format!("{{\"編號\": \"K{i}\", {}}}", kiln(i)));
    }
    text.push_str("\n],\n\"監測\": [{\"序號\": 1, \"爐窯\": \"K1\"}]\n}\n");
    text
}

fn plain_kiln(i: usize) -> String {
    format!(
        "\"企業\": \"E{}\", \"顆粒物\": {}, \"限產比例\": \"{}%\", \"投運日期\": \"2015-03-01\", \"有行業標準\": {}",
        i % 97,
        i % 50,
        i % 7 * 10,
        i.is_multiple_of(3)
    )
}

/// The file read on one thread and on several: the same rows, rejections, losses and
/// diagnostics, byte for byte.
fn same_on_threads(text: &str) -> FileFacts {
    assert!(text.len() > 4 << 20, "large enough to be cut: {}", text.len());
    let path: Arc<str> = "big.json".into();
    let content = Content::text(text);
    let one = parse_content_on(&schema(), &path, &content, 1);
    for threads in [2, 3, 5] {
        let many = parse_content_on(&schema(), &path, &content, threads);
        assert_eq!(one, many, "{threads} threads");
    }
    one
}

#[test]
fn a_large_array_read_on_threads_is_read_as_on_one() {
    let n = 40_000;
    let taken = json::PARTS_TAKEN.with(|t| t.get());
    let ff = same_on_threads(&many_kilns(n, plain_kiln));
    assert_eq!(ff.rows.count(KILN), n);
    assert!(ff.diagnostics.is_empty());
    // The text is long enough for two parts (one read on another thread), whatever the threads.
    assert_eq!(json::PARTS_TAKEN.with(|t| t.get()) - taken, 3, "the file was read in parts");
    // The parts' numbers at other scales, and a number too long for 64 bits at the column's
    // scale: the columns joined hold what they would hold read one record at a time.
    same_on_threads(&many_kilns(n, |i| {
        let dust = match i {
            i if i > n * 3 / 4 => "1.25".to_string(),
            i if i == n - 7 => "123456789012345678901".to_string(),
            i => (i % 50).to_string(),
        };
        plain_kiln(i).replace(&format!("\"顆粒物\": {}", i % 50), &format!("\"顆粒物\": {dust}"))
    }));
    // More decimal places before the cut than after it.
    same_on_threads(&many_kilns(n, |i| {
        let dust = if i < n / 4 { format!("{}.125", i % 50) } else { (i % 50).to_string() };
        plain_kiln(i).replace(&format!("\"顆粒物\": {}", i % 50), &format!("\"顆粒物\": {dust}"))
    }));
}

#[test]
fn a_large_array_with_problems_anywhere_is_read_as_on_one() {
    let n = 40_000;
    // A bad value, a rejected record and an unknown field, each at a few places.
    for bad in [n / 2 + 1, n / 3, n * 2 / 3, n - 1] {
        same_on_threads(&many_kilns(n, |i| match i {
            i if i == bad => plain_kiln(i).replace("\"有行業標準\": ", "\"有行業標準\": \"maybe\", \"x\": "),
            i if i == bad + 1 => "\"企業\": \"E1\"".to_string(),
            i if i % 10_000 == 17 => format!("{}, \"備註\": \"note\"", plain_kiln(i)),
            i => plain_kiln(i),
        }));
    }
    // Records that look like they begin on a line of their own inside a member's value.
    same_on_threads(&many_kilns(n, |i| format!("{}, \"明細\": [{{\"a\": 1}},\n{{\"b\": 2}}]", plain_kiln(i))));
    // A syntax error in the second half stops the file where it stops on one thread.
    let text = many_kilns(n, |i| if i == n * 3 / 4 { "\"企業\": }".to_string() } else { plain_kiln(i) });
    let ff = same_on_threads(&text);
    assert_eq!(ff.rows.len(), 1 + n * 3 / 4, "the records read whole before the error");
    assert!(ff.losses.iter().any(|l| l.kind == KILN), "the kilns are incomplete: {:?}", ff.losses);
    // A record repeated across the cut: the same key twice is reported as on one thread.
    same_on_threads(&many_kilns(n, |i| plain_kiln(i).replace(&format!("K{i}\""), &format!("K{}\"", i % (n - 3)))));
}
