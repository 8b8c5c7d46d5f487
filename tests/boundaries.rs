//! Decimal and unit boundaries: a value exactly at a limit, one unit of the last digit past
//! it, and the same limit written in other units.

mod common;
use common::verdict;
use writ::eval::Status::*;

const KILN: &str = "record 爐 key 編號 { 編號: text 顆粒物: mg/m3 }\n\
clause 限值 \"t\" { cite \"三(二)11\" \"不高于30毫克/立方米\" lead 甲局 for k in 爐 { must k.顆粒物 <= LIMIT } }\n";

fn kiln(limit: &str, value: &str) -> writ::eval::Status {
    let policy = KILN.replace("LIMIT", limit);
    let facts = format!("{{ \"爐\": [ {{ \"編號\": \"K\", \"顆粒物\": {value} }} ] }}");
    verdict(&policy, &facts, "2019-10-01", "限值/K/1")
}

#[test]
fn at_the_limit_passes() {
    assert_eq!(kiln("30 mg/m3", "30"), Satisfied);
    assert_eq!(kiln("30 mg/m3", "30.000"), Satisfied);
    assert_eq!(kiln("30 mg/m3", "\"30 mg/m3\""), Satisfied);
}

#[test]
fn one_unit_of_the_last_digit_above_fails() {
    assert_eq!(kiln("30 mg/m3", "30.001"), Violated);
    assert_eq!(kiln("30 mg/m3", "30.0000000001"), Violated);
    assert_eq!(kiln("30.5 mg/m3", "30.51"), Violated);
    assert_eq!(kiln("30.5 mg/m3", "30.50"), Satisfied);
}

#[test]
fn the_same_limit_in_other_units_behaves_the_same() {
    for limit in ["30 mg/m3", "0.030 g/m3", "30000 ug/m3", "30000 µg/m³", "0.00003 kg/m3"] {
        assert_eq!(kiln(limit, "30"), Satisfied, "limit {limit}");
        assert_eq!(kiln(limit, "30.001"), Violated, "limit {limit}");
        assert_eq!(kiln(limit, "\"0.030 g/m3\""), Satisfied, "limit {limit}");
        assert_eq!(kiln(limit, "\"30001 ug/m3\""), Violated, "limit {limit}");
        assert_eq!(kiln(limit, "\"29999.999 μg/m3\""), Satisfied, "limit {limit}");
    }
}

#[test]
fn binary_floating_point_would_get_this_wrong() {
    // 0.1 + 0.2 > 0.3 in binary floating point; writ's decimals are exact.
    let policy = "record 爐 key 編號 { 編號: text a: mg/m3 b: mg/m3 }\n\
        clause 和 \"t\" { cite \"1\" \"x\" lead 甲局 for k in 爐 { must k.a + k.b <= 0.3 mg/m3 } }\n";
    let facts = "{ \"爐\": [ { \"編號\": \"K\", \"a\": 0.1, \"b\": 0.2 } ] }";
    assert_eq!(verdict(policy, facts, "2019-10-01", "和/K/1"), Satisfied);
}

/// 以上/以下/不高於/不超過/達到 include the number; 超過/高於/低於/不滿 exclude it.
#[test]
fn boundary_words() {
    let cases = [
        ("<=", "30", Satisfied), // 不高於 30 / 30以下
        ("<", "30", Violated),   // 低於 30
        (">=", "30", Satisfied), // 30以上 / 達到 30
        (">", "30", Violated),   // 超過 30 (as a requirement to exceed)
    ];
    for (op, v, want) in cases {
        let policy = KILN.replace("<= LIMIT", &format!("{op} 30 mg/m3"));
        let facts = format!("{{ \"爐\": [ {{ \"編號\": \"K\", \"顆粒物\": {v} }} ] }}");
        assert_eq!(verdict(&policy, &facts, "2019-10-01", "限值/K/1"), want, "{op} at the boundary");
    }
}

#[test]
fn deadlines_by_is_inclusive_before_is_exclusive() {
    let policy = "record 企 key 名 { 名: text 完成日?: date }\n\
        clause 甲 \"t\" { cite \"1\" \"x\" lead 甲局 for e in 企 { must 含: e.完成日 by 2019-09-30  must 不含: e.完成日 before 2019-09-30 } }\n";
    let facts = "{ \"企\": [ { \"名\": \"E\", \"完成日\": \"2019-09-30\" } ] }";
    assert_eq!(verdict(policy, facts, "2019-10-15", "甲/E/含"), Fulfilled);
    assert_eq!(verdict(policy, facts, "2019-10-15", "甲/E/不含"), FulfilledLate);
    let none = "{ \"企\": [ { \"名\": \"E\" } ] }";
    // The as-of day is over: on 29 September `before 2019-09-30` is already due (its last day is
    // the 29th), `by 2019-09-30` not yet; on the 30th both are.
    assert_eq!(verdict(policy, none, "2019-09-28", "甲/E/不含"), Pending);
    assert_eq!(verdict(policy, none, "2019-09-29", "甲/E/含"), Pending);
    assert_eq!(verdict(policy, none, "2019-09-29", "甲/E/不含"), Overdue);
    assert_eq!(verdict(policy, none, "2019-09-30", "甲/E/含"), Overdue);
}

#[test]
fn missing_data_is_unknown_never_a_pass() {
    let facts = "{ \"爐\": [ { \"編號\": \"K\" } ] }";
    let policy = KILN.replace("LIMIT", "30 mg/m3");
    assert_eq!(verdict(&policy, facts, "2019-10-01", "限值/K/1"), Unknown);
    // A prohibition on missing data is unknown too, not satisfied.
    let policy = KILN.replace("must k.顆粒物 <= LIMIT", "must not k.顆粒物 > 30 mg/m3");
    assert_eq!(verdict(&policy, facts, "2019-10-01", "限值/K/1"), Unknown);
}

/// 13 boilers of 90 蒸噸 and one of 125 are exactly 1295 蒸噸 (1 蒸噸 = 1 t/h): rates with hours
/// in the denominator must add up without rounding.
#[test]
fn hourly_rates_sum_exactly() {
    let policy = "unit 蒸噸 = 1 t/h\nrecord 鍋 key 編號 { 編號: text 容量: 蒸噸 }\n\
        clause 總量 \"t\" { cite \"三(二)10\" \"1295蒸噸\" lead 甲局 must sum(鍋.容量) >= 1295 蒸噸 }\n";
    let mut rows: Vec<String> = (0..13).map(|i| format!("{{ \"編號\": \"B{i}\", \"容量\": 90 }}")).collect();
    rows.push("{ \"編號\": \"B13\", \"容量\": \"125 t/h\" }".into());
    let facts = format!("{{ \"鍋\": [ {} ] }}", rows.join(", "));
    assert_eq!(verdict(policy, &facts, "2019-10-01", "總量/1"), Satisfied);
    let less = facts.replace("\"125 t/h\"", "\"124.999 t/h\"");
    assert_eq!(verdict(policy, &less, "2019-10-01", "總量/1"), Violated);
    let in_kg_per_s = facts.replace("\"125 t/h\"", "\"34.7222 kg/s\"");
    assert_eq!(verdict(policy, &in_kg_per_s, "2019-10-01", "總量/1"), Violated, "34.7222 kg/s is 124.99992 t/h");
}

/// Aggregates at the edge of data: the issue's case, `change(sum(2019), sum(2018))` with no 2019
/// records, was `fulfilled` at -100%. A sum, mean, min, max or share of no records has no value:
/// `unknown`, naming the kind and the period, unless the policy says what none means (`empty`).
/// A count of no records is 0.
const USE: &str = "record 用煤 key 編號 dated 月份 { 編號: text 月份: date 用量: t }\n\
    clause 下降 \"t\" { cite \"三(三)14\" \"負增長\" lead 甲局\n\
      must change(sum(用煤.用量 during 2019), sum(用煤.用量 during 2018)) <= -3% by 2019-12-31 }\n\
    clause 有默認 \"t\" { cite \"三(三)14\" \"負增長\" lead 甲局\n\
      must sum(用煤.用量 during 2019, empty 0 t) <= 100 t by 2019-12-31 }\n\
    clause 件數 \"t\" { cite \"三(三)14\" \"x\" lead 甲局 must count(用煤 during 2019) == 0 by 2019-12-31 }\n\
    clause 均值 \"t\" { cite \"三(三)14\" \"x\" lead 甲局\n\
      must 均: mean(用煤.用量 during 2019) <= 10 t at 2019-12-31\n\
      must 最大: max(用煤.用量 during 2019) <= 10 t at 2019-12-31\n\
      must 比例: share(用煤 during 2019, 用量 <= 10 t) >= 50% at 2019-12-31 }\n";

fn statuses(facts: &str, as_of: &str) -> Vec<(String, writ::eval::Status, String)> {
    common::report(USE, facts, as_of)
        .verdicts
        .into_iter()
        .map(|v| (v.id, v.status, v.reason.unwrap_or_default()))
        .collect()
}

#[test]
fn an_aggregate_over_no_records_is_unknown_unless_the_policy_says() {
    let only_2018 = r#"{ "用煤": [ { "編號": "a", "月份": "2018-03-01", "用量": 120 } ] }"#;
    let v = statuses(only_2018, "2020-01-15");
    assert_eq!(v[0].1, Unknown, "{v:?}");
    assert!(v[0].2.contains("no 用煤 records match in 2019, so the sum is unknown"), "{}", v[0].2);
    assert_eq!(v[1].1, Fulfilled, "`empty 0 t` says none is 0");
    assert_eq!(v[2].1, Fulfilled, "a count of no records is 0");
    for (id, status, why) in &v[3..] {
        assert_eq!(*status, Unknown, "{id}");
        assert!(why.contains("no 用煤 records match in 2019"), "{id}: {why}");
    }
}

#[test]
fn an_empty_period_not_over_is_pending_before_the_deadline() {
    // In March 2019 no 2019 records yet: not due, so pending (never fulfilled at -100%).
    let only_2018 = r#"{ "用煤": [ { "編號": "a", "月份": "2018-03-01", "用量": 120 } ] }"#;
    let v = statuses(only_2018, "2019-03-15");
    assert_eq!(v[0].1, Pending, "{v:?}");
    assert!(v[0].2.contains("for now: 2019 is not over as of 2019-03-15"), "{}", v[0].2);
    assert_eq!(v[3].1, Pending);
    // A period that has not started is pending too, not unknown.
    let v = statuses(r#"{ "用煤": [] }"#, "2018-06-01");
    for i in [0, 3, 4, 5] {
        assert_eq!(v[i].1, Pending, "{v:?}");
    }
}

#[test]
fn with_records_the_aggregates_are_decided() {
    let both = r#"{ "用煤": [ { "編號": "a", "月份": "2018-03-01", "用量": 100 },
        { "編號": "b", "月份": "2019-03-01", "用量": 97 } ] }"#;
    let v: Vec<_> = statuses(both, "2020-01-15").into_iter().map(|(id, s, _)| (id, s)).collect();
    let want = [
        ("下降/1", Fulfilled),
        ("有默認/1", Fulfilled),
        ("件數/1", Overdue),
        ("均值/均", Overdue),
        ("均值/最大", Overdue),
        ("均值/比例", Overdue),
    ];
    assert_eq!(v, want.map(|(a, b)| (a.to_string(), b)));
}

/// `given`: a target judged only on complete data. With eleven months of twelve it is `pending`
/// before its day and `unknown` after, never `fulfilled` from a partial year (which always looks
/// smaller) and never `overdue` for want of statistics.
#[test]
fn given_holds_back_a_target_until_its_data_is_all_in() {
    let policy = "record 月報 key 編號 dated 月份 { 編號: text 月份: date 用量: t }\n\
        clause 負增長 \"t\" { cite \"三(三)14\" \"負增長\" lead 甲局\n\
          must change(sum(月報.用量 during 2019), sum(月報.用量 during 2018)) < 0% at 2019-12-31\n\
            given count(月報 during 2019) >= 12 and count(月報 during 2018) >= 12 }\n";
    let months = |year: i32, n: u32, amount: u32| -> Vec<String> {
        (1..=n)
            .map(|m| format!(r#"{{ "編號": "{year}-{m}", "月份": "{year}-{m:02}-01", "用量": {amount} }}"#))
            .collect()
    };
    let facts = |n2019: u32| {
        let mut rows = months(2018, 12, 100);
        rows.extend(months(2019, n2019, 90));
        format!(r#"{{ "月報": [ {} ] }}"#, rows.join(", "))
    };
    let one = |facts: &str, as_of: &str| {
        let r = common::report(policy, facts, as_of);
        (r.verdicts[0].status, r.verdicts[0].reason.clone().unwrap_or_default())
    };
    let (s, why) = one(&facts(11), "2019-12-20");
    assert_eq!(s, Pending);
    assert!(why.contains("not all in"), "{why}");
    let (s, why) = one(&facts(11), "2020-01-15");
    assert_eq!(s, Unknown, "eleven months after the day: unknown, not overdue and not met");
    assert!(why.contains("`count(月報 during 2019) >= 12 and count(月報 during 2018) >= 12` does not hold"), "{why}");
    assert_eq!(one(&facts(12), "2020-01-15").0, Fulfilled);
}

/// The requirement a verdict quotes ends where the requirement ends: a comment on the lines after
/// it (explaining the next one) is not part of it.
#[test]
fn a_requirement_text_stops_before_the_comment_after_it() {
    let policy = "record 改造 key 編號 { 編號: text 環節: number }\n\
        clause 總量 \"t\" { cite \"1\" \"x\" lead 甲局\n\
          must 家數: count(改造) >= 1 by 2019-12-31\n\
          // A record is work done, so none recorded is none done.\n\
          must 環節: sum(改造.環節, empty 0) >= 2 by 2019-12-31 ; // after a semicolon\n\
          must 括號: (count(改造) >= 0)  // closing brackets stay\n\
        }\n";
    let r = common::report(policy, r#"{ "改造": [] }"#, "2019-10-01");
    let texts: Vec<&str> = r.verdicts.iter().map(|v| v.requirement.as_str()).collect();
    assert_eq!(
        texts,
        [
            "must 家數: count(改造) >= 1 by 2019-12-31",
            "must 環節: sum(改造.環節, empty 0) >= 2 by 2019-12-31",
            "must 括號: (count(改造) >= 0)"
        ]
    );
}
