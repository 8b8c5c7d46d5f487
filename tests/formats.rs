//! The Yangquan example facts as JSON (`examples/yangquan-2019`), as CSV files (mostly GBK),
//! as one XLSX workbook and as one NDJSON file (all made from the JSON files by
//! `examples/yangquan-2019-formats/generate.py`) give the same report for the whole plan.

use std::path::{Path, PathBuf};
use writ::cli::{self, Style};
use writ::eval::Report;

const STYLE: Style = Style { color: false, width: 80, progress: false };
const POLICY: &str = "policies/yangquan-2019";
const JSON: &str = "examples/yangquan-2019";
const CSV: &str = "examples/yangquan-2019-formats/csv";
const XLSX: &str = "examples/yangquan-2019-formats/xlsx";
const NDJSON: &str = "examples/yangquan-2019-formats/ndjson";
/// The dates the README evaluates the plan at.
const DATES: [&str; 3] = ["2019-06-30", "2019-10-15", "2020-01-15"];

fn in_crate() {
    std::env::set_current_dir(Path::new(env!("CARGO_MANIFEST_DIR"))).unwrap();
}

/// The report of the whole plan over `facts`, which must load without a diagnostic or a
/// rejected record. Each fact a verdict cites names the file and line it was read from
/// (`kilns.json:4`, `工業爐窯.csv:3`, a sheet row): that is the one thing that rightly differs
/// between the formats, so it is blanked here. Everything else is compared.
fn report(facts: &str, as_of: &str) -> Report {
    let e = cli::evaluate(Path::new(POLICY), &[PathBuf::from(facts)], cli::parse_date(as_of).unwrap(), STYLE)
        .unwrap_or_else(|o| panic!("{facts}: {}", o.stderr));
    assert!(e.stderr.is_empty(), "{facts} at {as_of}: no diagnostics expected, found:\n{}", e.stderr);
    assert!(!e.invalid_facts && !e.unread_facts, "{facts} at {as_of}");
    assert_eq!(e.rejected, 0, "{facts} at {as_of}: no rejected records expected");
    let mut report = e.report();
    for v in &mut report.verdicts {
        for f in &mut v.facts {
            f.file = "".into();
            f.line = 0;
        }
    }
    report
}

/// `copy` gives the same report as the JSON files: verdict by verdict (id, status, reason,
/// evidence, computed values, deadline, parties, sanctions, the facts cited by kind and key),
/// then the summary (counts by status, and per record kind the records loaded, used, unused
/// and rejected).
fn assert_same(copy: &str, as_of: &str, expected: &Report) {
    let got = report(copy, as_of);
    assert_eq!(got.verdicts.len(), expected.verdicts.len(), "{copy} at {as_of}: number of verdicts");
    for (g, e) in got.verdicts.iter().zip(&expected.verdicts) {
        assert_eq!(g, e, "{copy} at {as_of}: verdict `{}`", e.id);
    }
    for (kind, account) in &expected.summary.records {
        assert_eq!(got.summary.records.get(kind), Some(account), "{copy} at {as_of}: records of `{kind}`");
    }
    assert_eq!(got.summary, expected.summary, "{copy} at {as_of}: summary");
    assert_eq!(&got, expected, "{copy} at {as_of}: report");
}

#[test]
fn json_csv_xlsx_and_ndjson_copies_give_the_same_report() {
    in_crate();
    for as_of in DATES {
        let expected = report(JSON, as_of);
        // The comparison is over the whole plan and every example record.
        assert!(expected.verdicts.len() > 600, "{as_of}: {} verdicts", expected.verdicts.len());
        assert!(expected.verdicts.iter().any(|v| v.status.name() == "violated"), "{as_of}");
        assert!(expected.summary.records.values().all(|a| a.loaded > 0 && a.rejected == 0), "{as_of}");
        let kinds = expected.summary.records.len();
        let csv_files = std::fs::read_dir(CSV).unwrap().filter(|e| e.as_ref().unwrap().path().extension().is_some());
        assert_eq!(csv_files.count(), kinds, "one CSV file per record kind");
        assert_same(CSV, as_of, &expected);
        assert_same(XLSX, as_of, &expected);
        assert_same(NDJSON, as_of, &expected);
    }
}

#[test]
fn the_csv_copies_come_in_several_encodings() {
    in_crate();
    let (mut gbk, mut bom, mut utf8) = (0, 0, 0);
    for entry in std::fs::read_dir(CSV).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        match std::str::from_utf8(&bytes) {
            Err(_) => gbk += 1,
            Ok(t) if t.starts_with('\u{feff}') => bom += 1,
            Ok(t) if !t.is_ascii() => utf8 += 1,
            Ok(_) => {}
        }
    }
    assert!(gbk > 0, "at least one CSV file is GBK, not UTF-8");
    assert!(bom > 0, "at least one CSV file is UTF-8 with a BOM");
    assert!(utf8 > 0, "at least one CSV file is UTF-8 without a BOM");
    assert!(gbk > bom + utf8, "most CSV files are GBK: {gbk} GBK, {bom} UTF-8 with a BOM, {utf8} UTF-8");
}
