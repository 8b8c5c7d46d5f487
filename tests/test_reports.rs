//! `writ test --coverage` and `writ test --junit FILE`: what the tests of a small package reach,
//! and its results read back as XML.

use quick_xml::events::Event;
use std::path::{Path, PathBuf};

mod common;
use common::writ;

/// Two clauses, three requirements, and two tests: one passes and reaches `c`'s 顆粒物; the
/// other fails (a status not expected, and an `expect` no verdict answers, which reaches
/// nothing). Its name holds every character XML must escape.
const PACKAGE: &str = r#"plan p "t" {
  period 2019-01-01 .. 2019-12-31
  roles lead "牽頭"
}

party 甲局

record 爐 key 編號 {
  編號: text
  顆粒物: mg/m3
  二氧化硫: mg/m3
}

clause c "t" {
  cite "1" "x"
  lead 甲局
  for k in 爐 {
    must 顆粒物: k.顆粒物 <= 30 mg/m3
    must 二氧化硫: k.二氧化硫 <= 200 mg/m3
  }
}

clause d "u" {
  cite "2" "y"
  lead 甲局
  for k in 爐 {
    must k.顆粒物 <= 50 mg/m3
  }
}

test "passes" {
  as_of 2019-06-01
  fact 爐 { 編號: "a", 顆粒物: 30 mg/m3, 二氧化硫: 1 mg/m3 }
  expect c["a"].顆粒物 satisfied
}

test "fails <a> & \"b\" 'c'" {
  as_of 2019-06-01
  fact 爐 { 編號: "a", 顆粒物: 31 mg/m3, 二氧化硫: 1 mg/m3 }
  expect c["a"].顆粒物 satisfied
  expect d["zz"] violated
}
"#;

fn package(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("p.writ"), PACKAGE).unwrap();
    dir
}

#[test]
fn coverage_counts_what_an_expect_reaches() {
    let dir = package("test-reports-coverage");
    let (code, out, err) = writ(&["test", dir.to_str().unwrap(), "--coverage"]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains("1 passed, 1 failed\n"), "{out}");
    assert!(
        out.contains("coverage: 1 of 3 requirements reached by a test's `expect` (33.3%), 1 of 2 clauses (50.0%)\n"),
        "{out}"
    );
    let unreached: Vec<&str> = out.lines().skip_while(|l| *l != "not reached:").skip(1).collect();
    assert_eq!(
        unreached,
        [
            "  c/二氧化硫: must 二氧化硫: k.二氧化硫 <= 200 mg/m3",
            "  d/1: must k.顆粒物 <= 50 mg/m3 (no requirement of the clause is reached)",
        ]
    );
    // Without `--coverage`, only the results.
    let (_, plain, _) = writ(&["test", dir.to_str().unwrap()]);
    assert!(!plain.contains("coverage:") && !plain.contains("not reached"), "{plain}");
}

/// An attribute's value, unescaped.
fn attr(e: &quick_xml::events::BytesStart, name: &str) -> Option<String> {
    e.attributes()
        .map(|a| a.unwrap())
        .find(|a| a.key.as_ref() == name)
        .map(|a| a.normalized_value(quick_xml::XmlVersion::Implicit1_0).unwrap().into_owned())
}

#[test]
fn junit_xml_has_one_testcase_per_test_block_and_its_failures() {
    let dir = package("test-reports-junit");
    let xml_path = dir.join("junit.xml");
    let (code, out, err) = writ(&["test", dir.to_str().unwrap(), "--junit", xml_path.to_str().unwrap()]);
    assert_eq!(code, 1, "{out}{err}");
    let xml = std::fs::read_to_string(&xml_path).unwrap();
    let mut reader = quick_xml::Reader::from_str(&xml);
    let (mut suites, mut cases, mut failures) = (Vec::new(), Vec::new(), Vec::new());
    let mut failure_text = String::new();
    let mut in_failure = false;
    loop {
        match reader.read_event().unwrap_or_else(|e| panic!("{e}: {xml}")) {
            Event::Start(e) | Event::Empty(e) if e.name().as_ref() == "testsuite" => {
                suites.push((attr(&e, "name").unwrap(), attr(&e, "tests").unwrap(), attr(&e, "failures").unwrap()));
            }
            Event::Start(e) | Event::Empty(e) if e.name().as_ref() == "testcase" => {
                cases.push(attr(&e, "name").unwrap());
            }
            Event::Start(e) if e.name().as_ref() == "failure" => {
                failures.push(attr(&e, "message").unwrap());
                in_failure = true;
            }
            Event::Text(t) if in_failure => failure_text.push_str(&t),
            Event::GeneralRef(r) if in_failure => match r.resolve_char_ref().unwrap() {
                Some(c) => failure_text.push(c),
                None => failure_text.push_str(quick_xml::escape::resolve_predefined_entity(&r).unwrap()),
            },
            Event::End(e) if e.name().as_ref() == "failure" => in_failure = false,
            Event::Eof => break,
            _ => {}
        }
    }
    assert_eq!(suites, [("p".to_string(), "2".to_string(), "1".to_string())]);
    assert_eq!(cases, ["passes (as of 2019-06-01)", "fails <a> & \"b\" 'c' (as of 2019-06-01)"]);
    assert_eq!(failures, ["c/a/顆粒物: expected satisfied, found violated; 爐[a].顆粒物 = 31 mg/m3 <= 30 mg/m3"]);
    assert_eq!(
        failure_text,
        "c/a/顆粒物: expected satisfied, found violated; 爐[a].顆粒物 = 31 mg/m3 <= 30 mg/m3\n\
         expected d[\"zz\"] violated, found no such verdict"
    );
    // The same results give the same file, byte for byte.
    let again = dir.join("again.xml");
    writ(&["test", dir.to_str().unwrap(), "--junit", again.to_str().unwrap()]);
    assert_eq!(std::fs::read_to_string(again).unwrap(), xml);
}

#[test]
fn a_junit_file_that_cannot_be_written_is_an_error() {
    let dir = package("test-reports-unwritable");
    let target = Path::new(&dir).join("no-such-folder").join("junit.xml");
    let (code, out, err) = writ(&["test", dir.to_str().unwrap(), "--junit", target.to_str().unwrap()]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(err.contains("io-error") && err.contains("cannot write"), "{err}");
    assert!(out.contains("1 passed, 1 failed"), "{out}");
}
