//! The Yangquan facts as JSON, as GBK-encoded CSV and as an XLSX workbook (both made by
//! `examples/yangquan-2019-formats/generate.py`) give the same verdicts.

use std::path::{Path, PathBuf};
use writ::cli::{self, Style};

const STYLE: Style = Style { color: false, width: 80 };
const CLAUSES: [&str; 2] = ["爐窯限值", "錯峰生產"];

fn in_crate() {
    std::env::set_current_dir(Path::new(env!("CARGO_MANIFEST_DIR"))).unwrap();
}

/// The verdicts of the two clauses: id, status, and the values compared.
fn verdicts(facts: &[PathBuf], as_of: &str) -> Vec<String> {
    let e = cli::evaluate(Path::new("policies/yangquan-2019"), facts, cli::parse_date(as_of).unwrap(), STYLE)
        .unwrap_or_else(|o| panic!("{}", o.stderr));
    assert!(e.stderr.is_empty(), "{:?}: {}", facts, e.stderr);
    assert_eq!(e.rejected, 0);
    let mut out: Vec<String> = e
        .report
        .verdicts
        .iter()
        .filter(|v| CLAUSES.contains(&v.clause.as_str()))
        .map(|v| {
            let evidence: Vec<String> =
                v.evidence.iter().map(|e| format!("{} {} {} {}", e.left, e.left_value, e.op, e.right_value)).collect();
            format!("{} {} [{}] {}", v.id, v.status.name(), evidence.join("; "), v.reason.as_deref().unwrap_or(""))
        })
        .collect();
    out.sort();
    out
}

#[test]
fn json_csv_and_xlsx_copies_give_the_same_verdicts() {
    in_crate();
    let json: Vec<PathBuf> = ["kilns.json", "enterprises.json", "counties.json"]
        .iter()
        .map(|f| Path::new("examples/yangquan-2019").join(f))
        .collect();
    let csv = vec![PathBuf::from("examples/yangquan-2019-formats/csv")];
    let xlsx = vec![PathBuf::from("examples/yangquan-2019-formats/xlsx")];
    // The copies are what they claim to be.
    let gbk = std::fs::read("examples/yangquan-2019-formats/csv/工業爐窯.csv").unwrap();
    assert!(std::str::from_utf8(&gbk).is_err(), "the CSV copy is GBK, not UTF-8");
    for as_of in ["2019-10-15", "2020-01-15"] {
        let expected = verdicts(&json, as_of);
        assert!(expected.iter().any(|v| v.starts_with("爐窯限值/")), "{expected:#?}");
        assert!(expected.iter().any(|v| v.starts_with("錯峰生產/")), "{expected:#?}");
        assert!(expected.iter().any(|v| v.contains(" violated ")), "{expected:#?}");
        assert_eq!(verdicts(&csv, as_of), expected, "CSV at {as_of}");
        assert_eq!(verdicts(&xlsx, as_of), expected, "XLSX at {as_of}");
    }
}
