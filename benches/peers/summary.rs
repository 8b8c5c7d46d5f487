//! What each program answers, in one shape: per rule, how many verdicts it gave (subjects in
//! scope) and which subjects breach, sorted. The test compares these exactly; the script prints
//! them per program (counts and a digest of the breach list) so a run at any size shows the
//! three agreed.

use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// Rule names, one per line of a summary.
pub const KILN_DUST: &str = "1 爐窯限值 顆粒物";
pub const KILN_SO2: &str = "1 爐窯限值 二氧化硫";
pub const KILN_NOX: &str = "1 爐窯限值 氮氧化物";
pub const PM10_READING: &str = "2 揚塵小時值 (reading ids)";
pub const PM10_SITE: &str = "2 揚塵超限次數 (site=count)";
pub const STAGGERED: &str = "3 錯峰生產 (enterprise ids)";
pub const COAL_MONTH: &str = "4 煤質抽檢月覆蓋率 (months)";

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RuleResult {
    pub verdicts: usize,
    pub breaches: Vec<String>,
}

pub type Summary = BTreeMap<&'static str, RuleResult>;

pub fn empty() -> Summary {
    [KILN_DUST, KILN_SO2, KILN_NOX, PM10_READING, PM10_SITE, STAGGERED, COAL_MONTH]
        .into_iter()
        .map(|k| (k, RuleResult::default()))
        .collect()
}

/// Sorts every breach list, so the order a program found them in does not matter.
pub fn finish(mut s: Summary) -> Summary {
    for r in s.values_mut() {
        r.breaches.sort_unstable();
    }
    s
}

/// FNV-1a over the sorted breach list.
#[allow(dead_code)] // the test compares whole lists; the bench binary prints digests
fn digest(items: &[String]) -> u64 {
    let mut h = 0xcbf2_9ce4_8422_2325u64;
    for item in items {
        for b in item.bytes().chain([b'\n']) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    h
}

#[allow(dead_code)]
pub fn render(s: &Summary) -> String {
    let mut out = String::new();
    for (rule, r) in s {
        let first: Vec<&str> = r.breaches.iter().take(3).map(String::as_str).collect();
        writeln!(
            out,
            "{rule}: verdicts {}, breaches {}, digest {:016x}, first {:?}",
            r.verdicts,
            r.breaches.len(),
            digest(&r.breaches),
            first
        )
        .unwrap();
    }
    out
}

#[derive(Deserialize)]
struct Report {
    verdicts: Vec<Verdict>,
}

/// The fields of a verdict the summary reads; serde skips the rest (facts, parties, cites).
#[derive(Deserialize)]
struct Verdict {
    id: String,
    clause: String,
    status: String,
    subject: Vec<Subject>,
    evidence: Vec<Evidence>,
}

#[derive(Deserialize)]
struct Subject {
    key: String,
}

#[derive(Deserialize)]
struct Evidence {
    left_value: Option<String>,
}

/// Reads writ's JSON report (`writ eval --format json`) into a summary.
pub fn from_writ_report(json: &str) -> Summary {
    let report: Report = serde_json::from_str(json).expect("writ's JSON report");
    let mut s = empty();
    for v in report.verdicts {
        let (id, status) = (v.id.as_str(), v.status.as_str());
        // writ reports a subject its scope filters out (`where`) or exempts (`unless`) as a
        // verdict of its own; the others skip it, so it is not counted here.
        if matches!(status, "not_applicable" | "exempt") {
            continue;
        }
        assert!(
            matches!(status, "satisfied" | "violated" | "fulfilled" | "overdue"),
            "{id}: {status}: the data is generated complete, so no verdict should be {status}"
        );
        let breach = matches!(status, "violated" | "overdue");
        let rule = match v.clause.as_str() {
            "爐窯限值" if id.ends_with("/顆粒物") => KILN_DUST,
            "爐窯限值" if id.ends_with("/二氧化硫") => KILN_SO2,
            "爐窯限值" if id.ends_with("/氮氧化物") => KILN_NOX,
            "揚塵小時值" => PM10_READING,
            "揚塵超限次數" => PM10_SITE,
            "錯峰生產" => STAGGERED,
            "煤質抽檢月覆蓋率" => COAL_MONTH,
            other => panic!("unexpected clause {other} ({id})"),
        };
        let r = s.get_mut(rule).unwrap();
        r.verdicts += 1;
        if breach {
            let key = v.subject.into_iter().next().expect("a subject").key;
            if rule == PM10_SITE {
                let count = v.evidence.first().and_then(|e| e.left_value.as_deref()).expect("the count");
                r.breaches.push(format!("{key}={count}"));
            } else {
                r.breaches.push(key);
            }
        }
    }
    finish(s)
}
