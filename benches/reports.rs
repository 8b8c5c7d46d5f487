//! Writing the reports of 20,000 verdicts: the human report (as `writ eval` prints it, and with
//! `--only breaches`), the JSON report, the workbook (`--xlsx`) and the notice for circulation
//! (`--doc`), each from the same evaluation.
//!
//! The verdicts have the shapes of a real plan's: 10,000 enterprises in four counties, each
//! owing a limit on a reading (`must`, with a sanction on the enterprise) and a retrofit by a
//! deadline; the facts make a mix of every status a report writes differently (satisfied,
//! violated with evidence and sanction, fulfilled, fulfilled late, overdue, unknown for a
//! missing reading, exempt), with roles in the plan's words.
//!
//! `cargo bench --bench reports`. The evaluation is made once, outside the measurements.

use std::sync::{Arc, LazyLock};
use writ::eval::Evaluation;
use writ::facts::{self, Facts, Schema};
use writ::lang::Lang;
use writ::model::Model;
use writ::value::Date;

const ENTERPRISES: usize = 10_000;

const POLICY: &str = r#"plan 報告 "報告基準計劃" {
  period 2019-01-01 .. 2019-12-31
  roles lead "牽頭", implement "負責落實"
  language "zh-Hant"
}
party 市生態環境局 "陽泉市生態環境局"
party 甲縣 "甲縣人民政府"
party 乙縣 "乙縣人民政府"
party 丙區 "丙區人民政府"
party 丁區 "丁區人民政府"
sanction 停產整治 "停產整治"
rule 保供豁免(e: 企業) "民生保供企業" {
  e.民生保供
}
record 企業 key 名稱 {
  名稱: text
  顆粒物?: mg/m3
  改造完成日?: date
  民生保供: bool
}
clause 排放限值 "工業爐窯排放限值" {
  cite "三(二)11" "顆粒物、二氧化硫、氮氧化物排放限值分別不高於30、200、300毫克/立方米。"
  lead 市生態環境局
  implement 甲縣, 乙縣, 丙區, 丁區
  for e in 企業 {
    must 顆粒物: e.顆粒物 <= 30 mg/m3
    otherwise 停產整治 on e
  }
}
clause 深度治理 "深度治理" {
  cite "三(二)12" "2019年9月底前完成深度治理。"
  lead 市生態環境局
  implement 甲縣, 乙縣, 丙區, 丁區
  for e in 企業 unless 保供豁免(e) {
    must e.改造完成日 by 2019-09-30
  }
}
"#;

/// A tiny deterministic generator (xorshift), so every run measures the same data.
fn next(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

struct Data {
    model: Model,
    facts: Facts,
}

static DATA: LazyLock<Data> = LazyLock::new(|| {
    let file: Arc<str> = Arc::from("policy.writ");
    let (module, errors) = writ::syntax::parse(&file, POLICY);
    assert!(errors.is_empty(), "{errors:?}");
    let (model, diags) = writ::model::check(&[(file, &module)], false);
    assert!(diags.iter().all(|d| !d.is_error()), "{diags:?}");
    let mut json = String::from("{\"企業\": [\n");
    let mut st = 0x9E37_79B9_7F4A_7C15u64;
    for e in 0..ENTERPRISES {
        let pm = match next(&mut st) % 10 {
            0 => String::new(), // missing: unknown
            1 | 2 => format!(", \"顆粒物\": {}.{}", 30 + next(&mut st) % 20, next(&mut st) % 10),
            _ => format!(", \"顆粒物\": {}.{}", 5 + next(&mut st) % 25, next(&mut st) % 10),
        };
        let done = match next(&mut st) % 4 {
            0 => String::new(), // not done: overdue
            1 => format!(", \"改造完成日\": \"2019-10-{:02}\"", 1 + next(&mut st) % 28),
            _ => format!(", \"改造完成日\": \"2019-0{}-15\"", 3 + next(&mut st) % 6),
        };
        let exempt = next(&mut st).is_multiple_of(50);
        let comma = if e + 1 < ENTERPRISES { "," } else { "" };
        json.push_str(&format!("{{\"名稱\": \"示例企業{e:05}\"{pm}{done}, \"民生保供\": {exempt}}}{comma}\n"));
    }
    json.push_str("]}\n");
    let schema = Schema::of(&model);
    let path: Arc<str> = Arc::from("enterprises.json");
    let file = facts::parse_file(&schema, &path, &json);
    assert!(file.diagnostics.is_empty(), "{:?}", &file.diagnostics[..1]);
    let facts = facts::link(&schema, &[file]);
    Data { model, facts }
});

static EVALUATION: LazyLock<Evaluation<'static>> = LazyLock::new(|| {
    let e = writ::eval::evaluate(&DATA.model, &DATA.facts, Date::from_ymd(2020, 1, 15).unwrap());
    assert_eq!(e.len(), 2 * ENTERPRISES);
    e
});

fn main() {
    LazyLock::force(&EVALUATION);
    divan::main();
}

#[divan::bench(sample_count = 5, sample_size = 1)]
fn human() -> usize {
    writ::report::human(&*EVALUATION).len()
}

#[divan::bench(sample_count = 5, sample_size = 1)]
fn human_only_breaches() -> usize {
    let options = writ::report::HumanOptions { only: Some(writ::report::Only::Breaches), ..Default::default() };
    writ::report::human_with(&*EVALUATION, &options).len()
}

#[divan::bench(sample_count = 5, sample_size = 1)]
fn json() -> usize {
    writ::report::json(&*EVALUATION).len()
}

#[divan::bench(sample_count = 5, sample_size = 1)]
fn workbook() -> usize {
    writ::report::workbook(&*EVALUATION, None).expect("the workbook is made").len()
}

#[divan::bench(sample_count = 5, sample_size = 1)]
fn notice() -> usize {
    writ::report::notice(&*EVALUATION, Some(Lang::ZhHant)).len()
}
