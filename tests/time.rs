//! Time that is right to the day, through the language: workdays on the PRC 2019 calendar,
//! month overflow under each declared rule, deadlines rolled to the next workday or not.

mod common;
use writ::eval::Status::{self, *};

/// A plan with the PRC 2019 calendar and a month-overflow rule, plus `body`.
fn plan(overflow: &str, body: &str) -> String {
    format!(
        r#"plan p "time" {{
  period 2019-01-01 .. 2019-12-31
  roles lead "牽頭"
  calendar PRC
  month_overflow {overflow}
}}
calendar PRC "國辦發明電〔2018〕15號" {{
  holiday 2019-01-01, 2019-02-04 .. 2019-02-10, 2019-04-05 .. 2019-04-07, 2019-05-01 .. 2019-05-04
  holiday 2019-06-07 .. 2019-06-09, 2019-09-13 .. 2019-09-15, 2019-10-01 .. 2019-10-07
  workday 2019-02-02, 2019-02-03, 2019-04-28, 2019-05-05, 2019-09-29, 2019-10-12
}}
party 甲局
record 報告 key 編號 dated 日期 {{ 編號: text  日期: date }}
{body}"#
    )
}

/// The deadline a clause computes, read from its verdict.
fn deadline(overflow: &str, expr: &str) -> Result<String, String> {
    let body = format!("clause c \"t\" {{ cite \"1\" \"x\" lead 甲局 must min(報告.日期) by {expr} }}");
    let r = common::report_full(&plan(overflow, &body), "{}", "2019-01-01");
    let v = &r.verdicts[0];
    v.deadline.map(|d| d.to_string()).ok_or_else(|| v.reason.clone().unwrap_or_default())
}

#[test]
fn workdays_skip_holidays_and_count_makeup_days() {
    // 2019-06-07 is the Dragon Boat holiday.
    assert_eq!(deadline("clamp", "2019-05-20 + 20 workdays"), Ok("2019-06-18".into()));
    // 2019-09-29 (Sunday) is a make-up workday; 2019-10-01..07 are the National Day holiday.
    assert_eq!(deadline("clamp", "2019-09-27 + 5 workdays"), Ok("2019-10-10".into()));
    assert_eq!(deadline("clamp", "2019-09-27 + 1 workdays"), Ok("2019-09-29".into()));
}

#[test]
fn month_overflow_follows_the_declared_rule() {
    assert_eq!(deadline("clamp", "2019-01-31 + 1 month"), Ok("2019-02-28".into()));
    assert_eq!(deadline("spill", "2019-01-31 + 1 month"), Ok("2019-03-03".into()));
    let rejected = deadline("reject", "2019-01-31 + 1 month").unwrap_err();
    assert!(rejected.contains("2019-02-31"), "{rejected}");
    assert_eq!(deadline("reject", "2019-01-15 + 1 month"), Ok("2019-02-15".into()));
}

/// The September report is due Saturday 2019-10-05; filed Tuesday 2019-10-08.
fn report_status(roll: bool) -> (Status, String) {
    let roll = if roll { "roll deadlines forward" } else { "" };
    let body = format!(
        "clause 月報 \"t\" {{ cite \"四(五)\" \"每月5日前\" lead 甲局 {roll}\n\
         every month m of plan.period {{ must min(報告.日期 where 日期 >= m.start) by m.day(5) }} }}"
    );
    let facts = r#"{ "報告": [ { "編號": "九月", "日期": "2019-10-08" } ] }"#;
    let r = common::report_full(&plan("clamp", &body), facts, "2019-10-15");
    let v = r.verdicts.iter().find(|v| v.id == "月報/2019-10/1").expect("the October occurrence");
    (v.status, v.deadline.unwrap().to_string())
}

#[test]
fn a_deadline_on_saturday_stays_or_rolls_as_declared() {
    assert_eq!(report_status(false), (FulfilledLate, "2019-10-05".into()));
    assert_eq!(report_status(true), (Fulfilled, "2019-10-08".into()));
}

#[test]
fn every_month_gives_twelve_obligations() {
    let body = "clause 月報 \"t\" { cite \"四(五)\" \"每月5日前\" lead 甲局\n\
         every month m of plan.period { must min(報告.日期 where 日期 >= m.start) by m.day(5) } }";
    let r = common::report_full(&plan("clamp", body), "{}", "2019-10-15");
    let ids: Vec<&str> = r.verdicts.iter().map(|v| v.id.as_str()).collect();
    assert_eq!(ids.len(), 12);
    assert_eq!(ids[0], "月報/2019-01/1");
    assert_eq!(ids[11], "月報/2019-12/1");
    let overdue = r.verdicts.iter().filter(|v| v.status == Overdue).count();
    let pending = r.verdicts.iter().filter(|v| v.status == Pending).count();
    assert_eq!((overdue, pending), (10, 2), "January to October are due by 2019-10-15");
}

#[test]
fn aggregates_take_the_occurrence_as_their_period() {
    // Each month needs at least two reports dated within it.
    let body = "clause 月報 \"t\" { cite \"四(五)\" \"每月\" lead 甲局\n\
         every month m of plan.period { must count(報告 during m) >= 2 } }";
    let facts = r#"{ "報告": [
        { "編號": "a", "日期": "2019-03-01" }, { "編號": "b", "日期": "2019-03-31" },
        { "編號": "c", "日期": "2019-04-30" }, { "編號": "d", "日期": "2019-05-01" } ] }"#;
    let r = common::report_full(&plan("clamp", body), facts, "2019-12-31");
    let status = |id: &str| r.verdicts.iter().find(|v| v.id == id).map(|v| v.status);
    assert_eq!(status("月報/2019-03/1"), Some(Satisfied), "both ends of March count");
    assert_eq!(status("月報/2019-04/1"), Some(Violated));
    assert_eq!(status("月報/2019-05/1"), Some(Violated));
}

#[test]
fn quarters_and_event_relative_deadlines() {
    let body = "clause 季報 \"t\" { cite \"1\" \"每季度\" lead 甲局\n\
         every quarter q of plan.period { must min(報告.日期 where 日期 > q.end) by q.end + 10 days } }";
    let facts = r#"{ "報告": [ { "編號": "Q1", "日期": "2019-04-10" }, { "編號": "Q2", "日期": "2019-07-11" } ] }"#;
    let r = common::report_full(&plan("clamp", body), facts, "2019-08-01");
    let v: Vec<(&str, Status)> = r.verdicts.iter().map(|v| (v.id.as_str(), v.status)).collect();
    assert_eq!(
        v,
        [
            ("季報/2019-Q1/1", Fulfilled),
            ("季報/2019-Q2/1", FulfilledLate),
            ("季報/2019-Q3/1", Pending),
            ("季報/2019-Q4/1", Pending)
        ]
    );
}

#[test]
fn the_plan_issue_date_anchors_workday_deadlines() {
    let src = plan("clamp", "clause 配套 \"t\" { cite \"四(一)\" \"印發20個工作日內\" lead 甲局 must min(報告.日期) by plan.issued + 20 workdays }")
        .replace("month_overflow clamp", "month_overflow clamp\n  issued 2019-05-20");
    let r = common::report_full(&src, r#"{ "報告": [ { "編號": "x", "日期": "2019-06-18" } ] }"#, "2019-07-01");
    assert_eq!((r.verdicts[0].status, r.verdicts[0].deadline.unwrap().to_string()), (Fulfilled, "2019-06-18".into()));
}

#[test]
fn today_and_open_ended_periods() {
    // "2019年10月1日起": from 1 October on, without end; a window "一年內" back from today.
    let body = "period 起 = 2019-10-01 ..\n\
        clause 自起 \"t\" { cite \"三(六)31\" \"10月1日起\" lead 甲局 during 起 must count(報告 where 日期 >= today() - 1 year) >= 1 }";
    let facts = r#"{ "報告": [ { "編號": "a", "日期": "2019-02-01" } ] }"#;
    let status = |as_of: &str| common::report_full(&plan("clamp", body), facts, as_of).verdicts[0].status;
    assert_eq!(status("2019-09-30"), NotApplicable);
    assert_eq!(status("2019-10-01"), Satisfied, "the report of 2019-02-01 is within a year");
    assert_eq!(status("2020-02-01"), Satisfied, "a year to the day");
    assert_eq!(status("2020-02-02"), Violated);
    assert_eq!(status("2031-01-01"), Violated, "the period has no end");
}

#[test]
fn aggregates_bind_a_name_or_follow_references() {
    let body = "record 設備 key 編號 { 編號: text 容量: t/h }\n\
        record 改造 key 編號 dated 日期 { 編號: text 設備: 設備 日期: date }\n\
        clause 總量 \"t\" { cite \"三(二)10\" \"共計完成\" lead 甲局\n\
          must 容量: sum(改造.設備.容量) >= 30 t/h\n\
          must 件數: count(x in 改造 where x.設備.容量 >= 20 t/h) == 1 }";
    let facts = r#"{ "設備": [ { "編號": "A", "容量": 10 }, { "編號": "B", "容量": 20 } ],
        "改造": [ { "編號": "1", "設備": "A", "日期": "2019-03-01" }, { "編號": "2", "設備": "B", "日期": "2019-04-01" } ] }"#;
    let r = common::report_full(&plan("clamp", body), facts, "2019-12-31");
    let v: Vec<(&str, Status)> = r.verdicts.iter().map(|v| (v.id.as_str(), v.status)).collect();
    assert_eq!(v, [("總量/容量", Satisfied), ("總量/件數", Satisfied)]);
}

/// The as-of day is over: facts dated that day count, and a duty due that day and not met is
/// overdue, not pending.
#[test]
fn a_duty_due_on_the_as_of_day_and_not_met_is_overdue() {
    let body = "clause 報 \"t\" { cite \"1\" \"x\" lead 甲局 must 件數: count(報告) >= 2 by 2019-10-31 }";
    let facts = r#"{ "報告": [ { "編號": "a", "日期": "2019-10-02" }, { "編號": "b", "日期": "2019-10-31" } ] }"#;
    let none = r#"{ "報告": [ { "編號": "a", "日期": "2019-10-02" } ] }"#;
    let status = |facts: &str, as_of: &str| common::report_full(&plan("clamp", body), facts, as_of).verdicts[0].status;
    assert_eq!(status(none, "2019-10-30"), Pending);
    assert_eq!(status(none, "2019-10-31"), Overdue, "the deadline day is over on the as-of date");
    assert_eq!(status(facts, "2019-10-31"), Fulfilled, "a fact dated on the as-of day counts");
    assert_eq!(status(facts, "2019-10-30"), Pending, "a fact dated after the as-of day does not count yet");
}

/// A monthly coverage test due at the month's end is decided on that day: the month's facts are
/// all in. (`share` over the month is not provisional when the month ends on the as-of date.)
#[test]
fn a_month_end_coverage_test_is_decided_at_month_end() {
    let body = "record 站 key 名稱 { 名稱: text }\n\
        record 抽檢 key 編號 dated 日期 { 編號: text 站: 站 日期: date }\n\
        clause 覆蓋 \"t\" { cite \"1\" \"x\" lead 甲局\n\
          every month m of plan.period { must share(站, count(抽檢 where 站.名稱 == 名稱 during m) >= 1) >= 50% by m.end } }";
    let facts = r#"{ "站": [ { "名稱": "甲" }, { "名稱": "乙" }, { "名稱": "丙" } ],
        "抽檢": [ { "編號": "1", "站": "甲", "日期": "2019-10-30" } ] }"#;
    let status = |as_of: &str| {
        let r = common::report_full(&plan("clamp", body), facts, as_of);
        r.verdicts.iter().find(|v| v.id == "覆蓋/2019-10/1").expect("the October occurrence").status
    };
    assert_eq!(status("2019-10-30"), Pending);
    assert_eq!(status("2019-10-31"), Overdue, "one of three stations at month end is decided");
}

/// A clause whose `during` period has not started: its duties are pending, not unknown or
/// not applicable; its conditions do not apply yet.
#[test]
fn a_period_not_started_leaves_duties_pending() {
    let body = "period 明年 = 2020-01-01 .. 2020-12-31\n\
        clause 明 \"t\" { cite \"1\" \"x\" lead 甲局 during 明年\n\
          must 報: count(報告 during 明年) >= 1 by 2020-06-30\n\
          must 件: count(報告) <= 5 }";
    let r = common::report_full(&plan("clamp", body), r#"{ "報告": [] }"#, "2019-10-15");
    let v: Vec<(&str, Status)> = r.verdicts.iter().map(|v| (v.id.as_str(), v.status)).collect();
    assert_eq!(v, [("明/報", Pending), ("明/件", NotApplicable)]);
    assert!(
        r.verdicts[0].reason.as_deref().unwrap_or("").contains("starts on 2020-01-01"),
        "{:?}",
        r.verdicts[0].reason
    );
}

/// A clause `during` a period that is over: its conditions no longer apply, but a duty that
/// fell due while it ran is still judged, so a breach does not hide behind `not_applicable`.
#[test]
fn a_period_that_is_over_still_judges_its_duties() {
    let body = "period 一季度 = 2019-01-01 .. 2019-03-31\n\
        clause 季 \"t\" { cite \"1\" \"x\" lead 甲局 during 一季度\n\
          must 報: count(報告 during 一季度) >= 1 by 2019-03-31\n\
          must 件: count(報告) <= 5 }";
    let statuses = |facts: &str| -> Vec<(String, Status)> {
        let r = common::report_full(&plan("clamp", body), facts, "2019-06-30");
        r.verdicts.iter().map(|v| (v.id.clone(), v.status)).collect()
    };
    assert_eq!(statuses(r#"{ "報告": [] }"#), [("季/報".to_string(), Overdue), ("季/件".into(), NotApplicable)]);
    let filed = r#"{ "報告": [{ "編號": "R1", "日期": "2019-03-20" }] }"#;
    assert_eq!(statuses(filed), [("季/報".to_string(), Fulfilled), ("季/件".into(), NotApplicable)]);
}

/// `every month` of an open-ended period is listed up to the month holding the as-of date and
/// the next one (the obligation coming up), never on to year 9999.
#[test]
fn every_month_of_an_open_period_stops_after_the_as_of_month() {
    let body = "period 起 = 2019-10-01 ..\n\
        clause 月 \"t\" { cite \"1\" \"x\" lead 甲局\n\
          every month m of 起 { must min(報告.日期 where 日期 >= m.start) by m.day(5) } }";
    let ids = |as_of: &str| -> Vec<(String, Status)> {
        common::report_full(&plan("clamp", body), r#"{ "報告": [] }"#, as_of)
            .verdicts
            .iter()
            .map(|v| (v.id.clone(), v.status))
            .collect()
    };
    assert_eq!(
        ids("2019-11-20"),
        [("月/2019-10/1".to_string(), Overdue), ("月/2019-11/1".into(), Overdue), ("月/2019-12/1".into(), Pending)]
    );
    assert_eq!(ids("2019-09-01"), [("月/2019-10/1".to_string(), Pending)], "before the period: its first month");
    let far = ids("2040-06-15");
    assert_eq!(far.len(), 3 + 20 * 12 + 7, "2019-10 .. 2040-07");
    assert_eq!(far.last().unwrap(), &("月/2040-07/1".to_string(), Pending));
}

/// A fixed period too long to list is refused when checking, with its own code.
#[test]
fn every_month_of_ten_thousand_years_is_refused() {
    let src = plan(
        "clamp",
        "period 萬年 = 0001-01-01 .. 9998-12-31\n\
         clause 月 \"t\" { cite \"1\" \"x\" lead 甲局 every month m of 萬年 { must count(報告 during m) >= 1 } }",
    );
    let db = writ::db::Database::default();
    let file = writ::db::SourceFile::new(&db, std::sync::Arc::from("p.writ"), std::sync::Arc::from(src.as_str()));
    let pkg = writ::db::Package::new(&db, vec![file]);
    let checked = writ::db::package_model(&db, pkg);
    let d = checked.diagnostics.iter().find(|d| d.code == "too-many-occurrences").expect("a diagnostic");
    assert!(d.is_error() && d.message.contains("119976 occurrences"), "{}", d.message);
    assert!(d.help.is_some());
}

/// `at DATE` is a state target judged on its day; `by DATE` a duty that can be done early.
/// Mid-year, a mean already under its limit is `pending` under `at`; a count already reached is
/// `fulfilled` under `by`. On and after the day the state is judged as it stood that day.
#[test]
fn a_state_target_waits_for_its_day_and_an_achievable_duty_does_not() {
    let body = "record 讀數 key 編號 dated 月份 { 編號: text 月份: date 濃度: ug/m3 }\n\
        clause 年均 \"t\" { cite \"1\" \"x\" lead 甲局 must mean(讀數.濃度 during 2019) <= 35 ug/m3 at 2019-12-31 }\n\
        clause 件數 \"t\" { cite \"1\" \"x\" lead 甲局 must count(讀數 during 2019) >= 2 by 2019-12-31 }\n\
        clause 當日 \"t\" { cite \"1\" \"x\" lead 甲局 must count(讀數) <= 2 at 2019-12-31 }";
    let facts = r#"{ "讀數": [ { "編號": "1", "月份": "2019-01-01", "濃度": 30 },
        { "編號": "2", "月份": "2019-06-01", "濃度": 32 },
        { "編號": "3", "月份": "2020-01-01", "濃度": 90 } ] }"#;
    let statuses = |as_of: &str| -> Vec<Status> {
        common::report_full(&plan("clamp", body), facts, as_of).verdicts.iter().map(|v| v.status).collect()
    };
    assert_eq!(statuses("2019-07-15"), [Pending, Fulfilled, Pending], "a state target is never met early");
    assert_eq!(statuses("2019-12-31"), [Fulfilled, Fulfilled, Fulfilled], "judged on its day");
    // In 2020 a third reading exists, but the state on 2019-12-31 had two: the count is judged
    // as it stood on its day.
    assert_eq!(statuses("2020-02-01"), [Fulfilled, Fulfilled, Fulfilled]);
    let r = common::report_full(&plan("clamp", body), facts, "2019-07-15");
    assert!(
        r.verdicts[0].reason.as_deref().unwrap_or("").contains("judged on 2019-12-31"),
        "{:?}",
        r.verdicts[0].reason
    );

    let high = r#"{ "讀數": [ { "編號": "1", "月份": "2019-01-01", "濃度": 30 }, { "編號": "2", "月份": "2019-12-01", "濃度": 60 } ] }"#;
    let r = common::report_full(&plan("clamp", body), high, "2020-01-15");
    assert_eq!(r.verdicts[0].status, Overdue, "a state not met on its day is not met late");
}

#[test]
fn at_with_a_completion_date_is_refused() {
    let src = plan("clamp", "clause c \"t\" { cite \"1\" \"x\" lead 甲局 must min(報告.日期) at 2019-12-31 }");
    let db = writ::db::Database::default();
    let file = writ::db::SourceFile::new(&db, std::sync::Arc::from("p.writ"), std::sync::Arc::from(src.as_str()));
    let checked = writ::db::package_model(&db, writ::db::Package::new(&db, vec![file]));
    let d = checked.diagnostics.iter().find(|d| d.code == "type-mismatch").expect("a diagnostic");
    assert!(d.message.contains("`at` judges a state"), "{}", d.message);
    assert!(d.help.as_deref().unwrap_or("").contains("`by DATE`"));
}

/// An agenda lists the obligations due in its window, so over an open-ended period its
/// occurrences run through the window's end (and the next one), still as known on the as-of
/// date.
#[test]
fn an_agenda_window_lists_open_ended_occurrences_through_its_end() {
    use std::sync::Arc;
    use writ::db::{self, Database, FactFile, FactSet, Package, SourceFile};
    let body = "period 起 = 2019-10-01 ..\n\
        clause 月 \"t\" { cite \"1\" \"x\" lead 甲局\n\
          every month m of 起 { must min(報告.日期 where 日期 >= m.start) by m.day(5) } }";
    let src = plan("clamp", body);
    let db = Database::default();
    let file = SourceFile::new(&db, Arc::from("p.writ"), Arc::from(src.as_str()));
    let pkg = Package::new(&db, vec![file]);
    let checked = db::package_model(&db, pkg);
    let ff = FactFile::new(&db, pkg, Arc::from("f.json"), writ::facts::Content::text(r#"{ "報告": [] }"#));
    let facts = db::fact_set(&db, FactSet::new(&db, pkg, vec![ff]));
    let d = |s: &str| writ::value::Date::parse_iso(s).unwrap();
    let r = writ::eval::evaluate_through(&checked.model, facts, d("2019-10-15"), d("2020-03-31")).report();
    let ids: Vec<&str> = r.verdicts.iter().map(|v| v.id.as_str()).collect();
    assert_eq!(ids.len(), 7, "2019-10 .. 2020-04: {ids:?}");
    assert_eq!(ids.last(), Some(&"月/2020-04/1"));
    assert!(r.verdicts[1..].iter().all(|v| v.status == Pending), "as known on 2019-10-15");
}

/// Far past the start of an open-ended period, the listing would pass the cap: the block's
/// verdicts are one `unknown` naming the count, not thousands of verdicts.
#[test]
fn every_month_of_an_open_period_far_past_its_start_is_capped() {
    let body = "period 起 = 2019-10-01 ..\n\
        clause 月 \"t\" { cite \"1\" \"x\" lead 甲局\n\
          every month m of 起 { must min(報告.日期 where 日期 >= m.start) by m.day(5) } }";
    let r = common::report_full(&plan("clamp", body), r#"{ "報告": [] }"#, "9999-12-31");
    assert_eq!(r.verdicts.len(), 1);
    assert_eq!(r.verdicts[0].status, Unknown);
    let why = r.verdicts[0].reason.clone().unwrap_or_default();
    assert!(why.contains("95763 occurrences, more than the 1200"), "{why}");
}
