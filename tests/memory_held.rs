//! What an evaluation holds per record: each record once, in its table's columns. The records
//! as each file gave them are let go once linked, and the key of a record without one (where
//! it was read, `小時.csv:25`) is held once, as text, for the key index and the key's column.
//! Heap use is measured by a counting allocator around `cli::evaluate` (a test binary of its
//! own, so that no other test allocates at the same time).

use std::fmt::Write as _;
use std::sync::atomic::Ordering::Relaxed;
use writ::cli::{self, Style};
use writ::value::Date;

#[path = "common/counting.rs"]
mod counting;
use counting::{IN_USE, PEAK};

const STYLE: Style = Style { color: false, width: 80, progress: false };

/// Hourly readings without a key, as a station's export has them.
const POLICY: &str = r#"plan 規模 "memory test plan" {
  period 2019-01-01 .. 2019-12-31
}
record 小時 dated 時刻 {
  站點: text
  時刻: datetime
  PM10?: ug/m3
}
"#;

/// Readings, one an hour.
const ROWS: usize = 100_000;

#[test]
fn an_evaluation_holds_each_record_once() {
    let dir = std::env::temp_dir().join(format!("writ-memory-held-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("policy")).unwrap();
    std::fs::write(dir.join("policy/p.writ"), POLICY).unwrap();
    let mut csv = String::from("站點,時刻,PM10\n");
    for i in 0..ROWS {
        let (day, hour) = (i / 24 % 365, i % 24);
        let date = Date::parse_iso("2019-01-01").unwrap().add_days(day as i32);
        writeln!(csv, "站{},{date}T{hour:02}:00,{}.{}", i % 12, 20 + i % 300, i % 10).unwrap();
    }
    let file = dir.join("小時.csv");
    std::fs::write(&file, csv).unwrap();

    let before = IN_USE.load(Relaxed);
    PEAK.store(before, Relaxed);
    let as_of = Date::parse_iso("2019-12-31").unwrap();
    let e = cli::evaluate(&dir.join("policy"), &[file], as_of, STYLE).unwrap_or_else(|o| panic!("{}", o.stderr));
    let held = IN_USE.load(Relaxed) - before;
    let peak = PEAK.load(Relaxed) - before;
    let table = &e.facts().tables[0];
    assert_eq!(table.len(), ROWS);
    assert_eq!(table.key(24), "小時.csv:26");
    let per_row = held / ROWS;
    eprintln!("[memory] {ROWS} records held in {per_row} bytes each; peak {} bytes each", peak / ROWS);
    // The values take 21 bytes a record (a station's index, a moment, a fixed-point number),
    // where it was read 8, and its key (`小時.csv:12345`, 16 bytes and its end) 20, held once
    // for the key index and the key's column: about 50. A copy of the keys in the column took
    // 69; holding the records as the file gave them as well (their lines and spans), and an
    // allocation per key, 122.
    assert!(per_row < 60, "{per_row} bytes held per record");
    drop(e);
    std::fs::remove_dir_all(&dir).unwrap();
}
