//! writ at a province's scale: 1,000,000 hourly readings and 10,000 enterprises.
//!
//! Three measurements, run together so their ratios come from one run:
//! - `load_facts`: JSON text → typed, linked columns (`facts::parse_file` + `facts::link`);
//! - `evaluate`: two requirements per enterprise over its readings (`eval::evaluate`), the
//!   readings found through the index that `where 企業 == e` compiles to;
//! - `handwritten_loop`: the same two answers computed by a plain Rust loop over pre-parsed
//!   vectors, the floor any engine is measured against.
//!
//! The data is generated once into `target/bench-data/` (deterministic), where
//! `benches/whole-process.sh` also finds it for end-to-end timings of the `writ` binary.

use rust_decimal::Decimal;
use std::path::PathBuf;
use std::sync::{Arc, LazyLock};
use writ::facts::{self, Facts, Schema};
use writ::model::Model;
use writ::value::Date;

const ENTERPRISES: usize = 10_000;
const READINGS: usize = 1_000_000;

const POLICY: &str = r#"plan 規模 "benchmark plan" {
  period 2019-01-01 .. 2019-12-31
  roles lead "牽頭"
}
party 市生態環境局 "陽泉市生態環境局"
record 企業 key 名稱 {
  名稱: text
}
record 讀數 key 編號 dated 日期 {
  編號: number
  企業: 企業
  日期: date
  PM10: ug/m3
}
clause 揚塵 "揚塵在線監測" {
  cite "三(五)27" "現場在線監控PM10小時均值達到250μg/m3時,施工單位應立即停止揚塵作業"
  lead 市生態環境局
  for e in 企業 {
    must 不達250: count(讀數 where 企業 == e and PM10 >= 250 ug/m3) == 0
    must 均值: mean(讀數.PM10 where 企業 == e) <= 150 ug/m3
  }
}
"#;

struct Data {
    dir: PathBuf,
    json: String,
    model: Model,
}

/// A tiny deterministic generator (xorshift), so every run measures the same data.
fn next(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

static DATA: LazyLock<Data> = LazyLock::new(|| {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench-data");
    let policy_dir = dir.join("policy");
    let facts_path = dir.join("facts/readings.json");
    std::fs::create_dir_all(&policy_dir).unwrap();
    std::fs::create_dir_all(facts_path.parent().unwrap()).unwrap();
    std::fs::write(policy_dir.join("policy.writ"), POLICY).unwrap();
    let json = match std::fs::read_to_string(&facts_path) {
        Ok(j) if j.len() > 1000 => j,
        _ => {
            let mut s = String::with_capacity(READINGS * 90);
            s.push_str("{\n\"企業\": [\n");
            for e in 0..ENTERPRISES {
                s.push_str(&format!("{{\"名稱\": \"E{e:05}\"}}{}\n", if e + 1 < ENTERPRISES { "," } else { "" }));
            }
            s.push_str("],\n\"讀數\": [\n");
            let mut st = 0x9E37_79B9_7F4A_7C15u64;
            for r in 0..READINGS {
                let e = r % ENTERPRISES;
                let day = 1 + (r / ENTERPRISES) % 28;
                let hour_value = 40 + next(&mut st) % 230; // 40..269 ug/m3, some at or above 250
                let tenths = next(&mut st) % 10;
                s.push_str(&format!(
                    "{{\"編號\": {r}, \"企業\": \"E{e:05}\", \"日期\": \"2019-07-{day:02}\", \"PM10\": {hour_value}.{tenths}}}{}\n",
                    if r + 1 < READINGS { "," } else { "" }
                ));
            }
            s.push_str("]\n}\n");
            std::fs::write(&facts_path, &s).unwrap();
            s
        }
    };
    let file: Arc<str> = Arc::from("policy.writ");
    let (module, errors) = writ::syntax::parse(&file, POLICY);
    assert!(errors.is_empty(), "{errors:?}");
    let (model, diags) = writ::model::check(&[(file, &module)], false);
    assert!(diags.iter().all(|d| !d.is_error()), "{diags:?}");
    Data { dir, json, model }
});

fn load(data: &Data) -> Facts {
    let m = &data.model;
    let schema = Schema::of(m);
    let path: Arc<str> = Arc::from(data.dir.join("facts/readings.json").display().to_string());
    let file = facts::parse_file(&schema, &path, &data.json);
    assert!(file.diagnostics.is_empty(), "{:?}", &file.diagnostics[..1]);
    facts::link(&schema, &[file])
}

static FACTS: LazyLock<Facts> = LazyLock::new(|| load(&DATA));

fn main() {
    LazyLock::force(&FACTS);
    divan::main();
}

#[divan::bench(sample_count = 5, sample_size = 1)]
fn load_facts() -> Facts {
    load(&DATA)
}

#[divan::bench(sample_count = 5, sample_size = 1)]
fn evaluate() -> usize {
    let report = writ::eval::evaluate(&DATA.model, &FACTS, Date::from_ymd(2019, 12, 31).unwrap());
    assert_eq!(report.len(), 2 * ENTERPRISES);
    report.len()
}

/// The readings as a hand-written program would hold them: enterprise index and value.
static PLAIN: LazyLock<Vec<(u32, Decimal)>> = LazyLock::new(|| {
    let t = &FACTS.tables[1];
    (0..t.len() as u32)
        .map(|r| {
            let e = match t.reference(1, r) {
                Some((_, row)) => row,
                _ => unreachable!(),
            };
            let v = match t.get(3, r) {
                Some(writ::value::Value::Num(n)) => n,
                _ => unreachable!(),
            };
            (e, v)
        })
        .collect()
});

#[divan::bench(sample_count = 5, sample_size = 1)]
fn handwritten_loop(b: divan::Bencher) {
    let limit = Decimal::new(250, 0) * Decimal::new(1, 9); // 250 ug/m3 in kg/m3
    let cap = Decimal::new(150, 0) * Decimal::new(1, 9);
    let plain = &*PLAIN;
    b.bench(|| {
        let mut over = vec![0u32; ENTERPRISES];
        let mut sum = vec![Decimal::ZERO; ENTERPRISES];
        let mut n = vec![0u32; ENTERPRISES];
        for &(e, v) in plain {
            let e = e as usize;
            if v >= limit {
                over[e] += 1;
            }
            sum[e] += v;
            n[e] += 1;
        }
        let mut breaches = 0;
        for e in 0..ENTERPRISES {
            breaches += usize::from(over[e] > 0);
            breaches += usize::from(n[e] > 0 && sum[e] / Decimal::from(n[e]) > cap);
        }
        breaches
    });
}
