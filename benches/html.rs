//! The HTML report (`writ report --html`) of 20,000 verdicts: 200 clauses of 100 subjects, each
//! verdict owed by three of 30 parties, with a comparison, five facts and, for a breach, a
//! sanction; every page made in memory (`report::html`), as `writ report` makes them before
//! writing them out. The report must be made in under a second.
//!
//! `cargo bench --bench html`

use std::sync::LazyLock;
use writ::eval::{Evidence, FactRef, Report, SanctionOut, Status, Subject, Summary, Verdict};
use writ::lang::Lang;
use writ::model::OutlineEntry;
use writ::value::Date;

const CLAUSES: usize = 200;
const SUBJECTS: usize = 100;
const PARTIES: usize = 30;

static REPORT: LazyLock<Report> = LazyLock::new(|| {
    let statuses = [Status::Violated, Status::Fulfilled, Status::Overdue, Status::Satisfied, Status::Pending];
    let mut verdicts = Vec::with_capacity(CLAUSES * SUBJECTS);
    for c in 0..CLAUSES {
        let cite = format!("三({})", ["一", "二", "三", "四", "五", "六"][c % 6]) + &(c + 1).to_string();
        for s in 0..SUBJECTS {
            let status = statuses[(c * 7 + s) % statuses.len()];
            let key = format!("示例企業-{c:03}-{s:03}");
            let parties = [
                ("lead".to_string(), vec![format!("市局{:02}", c % PARTIES)]),
                (
                    "implement".to_string(),
                    vec![format!("縣政府{:02}", s % PARTIES), format!("區政府{:02}", (c + s) % PARTIES)],
                ),
            ];
            verdicts.push(Verdict {
                id: format!("條款{c:03}/{key}/1"),
                clause: format!("條款{c:03}"),
                title: Some(format!("重點企業深度治理任務{c}")),
                cite: Some(cite.clone()),
                cite_text: Some("全面推進焦化行業深度治理，2019年10月底前完成全面達標整治。".repeat(2)),
                status,
                modality: "must",
                requirement: "must count(治理 where 企業 == e) >= 53 by 2019-10-31".into(),
                subject: vec![Subject { kind: "企業".into(), key: key.clone() }],
                deadline: Date::from_ymd(2019, 10 + (s % 4) as u32 % 3, 28),
                rolled_from: None,
                done_on: (status == Status::Fulfilled).then(|| Date::from_ymd(2019, 9, 1).unwrap()),
                parties: parties.into_iter().collect(),
                parties_unknown: vec![],
                decided: vec![],
                evidence: vec![Evidence {
                    left: "count(治理 where 企業 == e)".into(),
                    left_value: (s % 60).to_string(),
                    op: ">=".into(),
                    right: "53".into(),
                    right_value: "53".into(),
                    holds: Some(s % 60 >= 53),
                }],
                computed: vec![],
                facts: (0..5)
                    .map(|f| FactRef {
                        file: "facts/industry-enterprises.json".into(),
                        kind: "治理".into(),
                        key: format!("{key}-{f}").into(),
                        line: (c * SUBJECTS + s) as u32 * 5 + f,
                    })
                    .collect(),
                more_facts: 3,
                sanctions: if status.is_breach() {
                    vec![SanctionOut {
                        name: "約談".into(),
                        text: Some("對責任單位主要負責人進行約談".into()),
                        on: None,
                    }]
                } else {
                    vec![]
                },
                reason: None,
            });
        }
    }
    Report {
        plan: "規模".into(),
        plan_title: Some("陽泉市打贏藍天保衛戰2019年行動計劃".into()),
        language: Some(Lang::ZhHant),
        as_of: Date::from_ymd(2020, 1, 15).unwrap(),
        summary: Summary { verdicts: verdicts.len(), by_status: Default::default(), records: Default::default() },
        verdicts,
        roles: vec![("lead".into(), Some("牽頭".into())), ("implement".into(), Some("負責落實".into()))],
    }
});

static OUTLINE: LazyLock<Vec<OutlineEntry>> = LazyLock::new(|| {
    (0..CLAUSES)
        .map(|c| OutlineEntry {
            number: format!("三({})", ["一", "二", "三", "四", "五", "六"][c % 6]) + &(c + 1).to_string(),
            title: Some(format!("任務{c}")),
        })
        .collect()
});

fn main() {
    if std::env::var_os("HTML_BENCH_SIZE").is_some() {
        eprintln!("bytes: {}", html_20000_verdicts());
    }
    LazyLock::force(&REPORT);
    LazyLock::force(&OUTLINE);
    divan::main();
}

/// Every page of the report of 20,000 verdicts, in memory; returns their bytes.
#[divan::bench(sample_count = 5, sample_size = 1)]
fn html_20000_verdicts() -> usize {
    let plan = writ::report::PlanOutline { outline: &OUTLINE, ..Default::default() };
    let site = writ::report::html(&*REPORT, None, plan);
    site.pages.iter().map(|(_, t)| t.len()).sum()
}
