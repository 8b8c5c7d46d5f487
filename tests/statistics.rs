//! A year of synthetic hourly readings for two stations, read raw through a `source`, and every
//! number the policy derives from them (daily means and their validity, monthly valid days with
//! February's lower bar, annual means by the 324-day rule, the CO 95th percentile of daily
//! means, the 8-hour ozone means, their daily maxima and the 90th percentile, and the HJ 663
//! composite index through `import "hj663-2013"`) held to an
//! independent computation written here, not by writ's code: plain loops over the generated
//! rows, and the HJ 663-2013 percentile worked again.
//!
//! The data are made up. Station 甲 has exactly 324 valid PM10 days in 2019 and 25 in February;
//! station 乙 has 323 and 24, so its annual and February PM10 means are not valid.

use rust_decimal::Decimal;
use std::collections::{BTreeMap, HashSet};
use std::fmt::Write as _;
use writ::cli::{self, Style};
use writ::value::{Date, Value};

const STYLE: Style = Style { color: false, width: 80, progress: false };

const POLICY: &str = r#"
import "hj663-2013"
plan p "statistics of a year" {
  period 2019-01-01 .. 2019-12-31
  roles lead "牽頭"
  timezone "+08:00"
}
party 市生態環境局
record 小時數據 dated 時刻 {
  站點: text
  時刻: datetime
  SO2?: ug/m3
  NO2?: ug/m3
  PM25?: ug/m3
  PM10?: ug/m3
  CO?: ug/m3
  O3?: ug/m3
  source "PRSA_Data_*.csv" {
    PM25 from "PM2.5"
    missing "NA"
    時刻 from "year", "month", "day", "hour"
    站點 from "station"
    ignore "No"
  }
}
record 日數據 from 小時數據 by 站點 = 站點, 日期 = date(時刻) dated 日期 {
  PM10小時數 = count(小時數據 where exists(PM10))
  PM10有效 = PM10小時數 >= 20
  PM10 = mean(小時數據.PM10 where exists(PM10)) given PM10有效
  CO小時數 = count(小時數據 where exists(CO))
  CO有效 = CO小時數 >= 20
  CO = mean(小時數據.CO where exists(CO)) given CO有效
  SO2 = mean(小時數據.SO2 where exists(SO2)) given count(小時數據 where exists(SO2)) >= 20
  NO2 = mean(小時數據.NO2 where exists(NO2)) given count(小時數據 where exists(NO2)) >= 20
  PM25 = mean(小時數據.PM25 where exists(PM25)) given count(小時數據 where exists(PM25)) >= 20
  SO2有效 = count(小時數據 where exists(SO2)) >= 20
  NO2有效 = count(小時數據 where exists(NO2)) >= 20
  PM25有效 = count(小時數據 where exists(PM25)) >= 20
}
record 月數據 from 日數據 by 站點 = 站點, 月 = month(日期) {
  天數 = count(日數據 where PM10有效)
  月有效 = 天數 >= (if 月 == 2 then 25 else 27)
  PM10 = mean(日數據.PM10 where PM10有效) given 月有效
}
record 年數據 from 日數據 by 站點 = 站點 {
  PM10天數 = count(日數據 where PM10有效)
  PM10 = mean(日數據.PM10 where PM10有效) given PM10天數 >= 324
  CO天數 = count(日數據 where CO有效)
  CO95 = percentile(日數據.CO where CO有效, 95%) given CO天數 >= 324
  SO2 = mean(日數據.SO2 where SO2有效) given count(日數據 where SO2有效) >= 324
  NO2 = mean(日數據.NO2 where NO2有效) given count(日數據 where NO2有效) >= 324
  PM25 = mean(日數據.PM25 where PM25有效) given count(日數據 where PM25有效) >= 324
}
record O3八小時 from 小時數據 by 站點 = 站點 over 時刻 window 8 hours dated 時刻 {
  小時數 = count(小時數據 where exists(O3))
  有效 = 小時數 >= 6
  O3 = mean(小時數據.O3 where exists(O3)) given 有效
}
record O3日 from O3八小時 where hour(時刻) >= 7 by 站點 = 站點, 日期 = date(時刻) dated 日期 {
  窗口 = count(O3八小時 where 有效)
  有效 = 窗口 >= 14
  O3 = max(O3八小時.O3 where 有效) given 有效
}
record O3年 from O3日 by 站點 = 站點 {
  天數 = count(O3日 where 有效)
  O3_90 = percentile(O3日.O3 where 有效, 90%) given 天數 >= 324
}
// The HJ 663-2013 composite index of each station's year.
record 綜合評價 from 年數據 by 站點名 = 站點 {
  O3_90 = max(O3年.O3_90 where 站點 == 站點名)
  指數 = 綜合指數(max(年數據.SO2), max(年數據.NO2), max(年數據.PM10), max(年數據.PM25), max(年數據.CO95), O3_90)
}
clause 年均值 "PM10年均值" {
  cite "二(二)1"
  lead 市生態環境局
  for y in 年數據 {
    should 二級: y.PM10 <= 70 ug/m3
  }
}
"#;

/// A small deterministic generator (splitmix64).
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// One hour of one station: PM10, CO, O3 in ug/m3, `None` for `NA`.
#[derive(Clone, Copy)]
struct Hour {
    station: usize,
    day: i32,
    hour: u32,
    pm10: Option<i64>,
    so2: Option<i64>,
    no2: Option<i64>,
    pm25: Option<i64>,
    co: Option<i64>,
    o3: Option<i64>,
}

const STATIONS: [&str; 2] = ["甲", "乙"];

/// The days (0 = 2019-01-01) whose PM10 has 19 valid hours: 41 for 甲 (3 in February), 42
/// for 乙 (4 in February). Every other day has 20 or more.
fn short_days(station: usize) -> HashSet<i32> {
    let feb = [31, 40, 50, 55];
    let n_feb = if station == 0 { 3 } else { 4 };
    let mut days: HashSet<i32> = feb[..n_feb].iter().copied().collect();
    let total = if station == 0 { 41 } else { 42 };
    let mut d = 60;
    while days.len() < total {
        days.insert(d);
        d += 7;
    }
    days
}

fn generate() -> Vec<Hour> {
    let mut out = Vec::new();
    for (s, _) in STATIONS.iter().enumerate() {
        let short = short_days(s);
        for day in 0..365 {
            let r = |h: u32, k: u64| mix((s as u64) << 40 | (day as u64) << 16 | u64::from(h) << 4 | k);
            // PM10 missing hours: 5 on a short day, 4 on every tenth day (exactly 20), else 0–2.
            let missing_pm = if short.contains(&day) {
                5
            } else if day % 10 == 3 {
                4
            } else {
                (r(99, 1) % 3) as u32
            };
            for hour in 0..24u32 {
                let pm10 = (hour >= missing_pm).then(|| 20 + (r(hour, 2) % 180) as i64);
                // CO: a whole day missing now and then, single hours otherwise.
                let co = (day % 50 != 7 && r(hour, 3) % 40 != 0).then(|| 100 * (2 + (r(hour, 4) % 24) as i64));
                // O3: rises in the afternoon; missing one hour in 25, and a morning gap on some days.
                let gap = day % 13 == 5 && (8..=14).contains(&hour);
                let o3 = (!gap && r(hour, 5) % 25 != 0).then(|| (hour as i64 * 7 + (r(hour, 6) % 60) as i64) % 260);
                // SO2, NO2, PM2.5: a value missing one hour in 30.
                let so2 = (r(hour, 7) % 30 != 0).then(|| 5 + (r(hour, 8) % 60) as i64);
                let no2 = (r(hour, 9) % 30 != 0).then(|| 10 + (r(hour, 10) % 70) as i64);
                let pm25 = pm10.map(|v| v / 2 + (r(hour, 11) % 10) as i64);
                out.push(Hour { station: s, day, hour, pm10, so2, no2, pm25, co, o3 });
            }
        }
    }
    out
}

fn csv(hours: &[Hour], station: usize) -> String {
    let mut t = String::from("No,year,month,day,hour,SO2,NO2,PM2.5,PM10,CO,O3,station\n");
    let na = |v: Option<i64>| v.map_or("NA".to_string(), |v| v.to_string());
    for (i, h) in hours.iter().filter(|h| h.station == station).enumerate() {
        let date = Date(Date::from_ymd(2019, 1, 1).unwrap().0 + h.day).naive();
        use chrono::Datelike;
        writeln!(
            t,
            "{},{},{},{},{},{},{},{},{},{},{},{}",
            i + 1,
            date.year(),
            date.month(),
            date.day(),
            h.hour,
            na(h.so2),
            na(h.no2),
            na(h.pm25),
            na(h.pm10),
            na(h.co),
            na(h.o3),
            STATIONS[station]
        )
        .unwrap();
    }
    t
}

fn dec(n: i64) -> Decimal {
    Decimal::from(n)
}

/// ug/m3 in SI (kg/m3), as writ holds quantities.
fn si(x: Decimal) -> Decimal {
    x / Decimal::from(1_000_000_000)
}

/// The HJ 663-2013 percentile, worked again: sorted ascending, k = 1 + (n − 1)p, s = ⌊k⌋,
/// X(s) + (X(s+1) − X(s))(k − s).
fn percentile(mut xs: Vec<Decimal>, p: Decimal) -> Decimal {
    xs.sort();
    let k = Decimal::ONE + Decimal::from(xs.len() - 1) * p;
    let s = k.floor();
    let i: usize = s.to_string().parse().unwrap();
    if i >= xs.len() {
        return xs[xs.len() - 1];
    }
    xs[i - 1] + (xs[i] - xs[i - 1]) * (k - s)
}

fn mean(xs: &[Decimal]) -> Decimal {
    xs.iter().copied().sum::<Decimal>() / Decimal::from(xs.len())
}

#[test]
fn a_year_of_statistics_matches_an_independent_computation() {
    let dir = std::env::temp_dir().join(format!("writ-statistics-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("policy")).unwrap();
    std::fs::create_dir_all(dir.join("facts")).unwrap();
    std::fs::write(dir.join("policy/p.writ"), POLICY).unwrap();
    let hours = generate();
    for s in 0..STATIONS.len() {
        std::fs::write(dir.join(format!("facts/PRSA_Data_S{s}_2019.csv")), csv(&hours, s)).unwrap();
    }
    let facts = [dir.join("facts")];
    let e = cli::evaluate(&dir.join("policy"), &facts, cli::parse_date("2020-01-31").unwrap(), STYLE)
        .unwrap_or_else(|o| panic!("{}", o.stderr));
    assert!(e.stderr.is_empty(), "{}", e.stderr);
    let model = &e.model;
    let facts = e.facts();
    let kind = |name: &str| model.records.iter().position(|r| r.name == name).unwrap();
    let field = |k: usize, name: &str| model.records[k].field(name).unwrap();
    // A derived value: `Some(x)` for a number, `None` when it is not valid (unreadable).
    let num = |k: usize, f: usize, row: u32| -> Option<Decimal> {
        match facts.tables[k].get(f, row) {
            Some(Value::Num(n)) => Some(n),
            None => {
                assert!(facts.tables[k].bad_cell(row, f as u32).is_some(), "no value and no reason");
                None
            }
            other => panic!("{other:?}"),
        }
    };
    let text = |k: usize, f: usize, row: u32| match facts.tables[k].get(f, row) {
        Some(Value::Text(t)) => t.to_string(),
        other => panic!("{other:?}"),
    };

    // Daily means: the valid hours of each day, valid with at least 20.
    let mut daily: BTreeMap<(usize, i32), (Option<Decimal>, Option<Decimal>)> = BTreeMap::new();
    for s in 0..STATIONS.len() {
        for day in 0..365 {
            let of_day: Vec<&Hour> = hours.iter().filter(|h| h.station == s && h.day == day).collect();
            let pm: Vec<Decimal> = of_day.iter().filter_map(|h| h.pm10).map(|v| si(dec(v))).collect();
            let co: Vec<Decimal> = of_day.iter().filter_map(|h| h.co).map(|v| si(dec(v))).collect();
            daily.insert((s, day), ((pm.len() >= 20).then(|| mean(&pm)), (co.len() >= 20).then(|| mean(&co))));
        }
    }
    let d = kind("日數據");
    let (d_station, d_date, d_pm, d_co) = (field(d, "站點"), field(d, "日期"), field(d, "PM10"), field(d, "CO"));
    assert_eq!(facts.tables[d].len(), 2 * 365);
    let jan1 = Date::from_ymd(2019, 1, 1).unwrap().0;
    for row in 0..facts.tables[d].len() as u32 {
        let s = STATIONS.iter().position(|n| *n == text(d, d_station, row)).unwrap();
        let Some(Value::Date(date)) = facts.tables[d].get(d_date, row) else { panic!() };
        let (pm, co) = daily[&(s, date.0 - jan1)];
        assert_eq!(num(d, d_pm, row), pm, "PM10 of {} on {date}", STATIONS[s]);
        assert_eq!(num(d, d_co, row), co, "CO of {} on {date}", STATIONS[s]);
    }

    // Monthly: valid days, at least 27 (25 in February).
    let m = kind("月數據");
    let (m_station, m_month, m_days, m_pm) = (field(m, "站點"), field(m, "月"), field(m, "天數"), field(m, "PM10"));
    assert_eq!(facts.tables[m].len(), 24);
    let month_of = |day: i32| {
        use chrono::Datelike;
        Date(jan1 + day).naive().month()
    };
    for row in 0..facts.tables[m].len() as u32 {
        let s = STATIONS.iter().position(|n| *n == text(m, m_station, row)).unwrap();
        let month: u32 = num(m, m_month, row).unwrap().to_string().parse().unwrap();
        let valid: Vec<Decimal> =
            (0..365).filter(|&day| month_of(day) == month).filter_map(|day| daily[&(s, day)].0).collect();
        assert_eq!(num(m, m_days, row), Some(dec(valid.len() as i64)));
        let bar = if month == 2 { 25 } else { 27 };
        assert_eq!(num(m, m_pm, row), (valid.len() >= bar).then(|| mean(&valid)), "{} month {month}", STATIONS[s]);
        if month == 2 {
            assert_eq!(valid.len(), if s == 0 { 25 } else { 24 }, "the February boundary is planted");
        }
    }

    // Annual: the mean of valid days with at least 324 of them; CO's 95th percentile.
    let y = kind("年數據");
    let (y_station, y_days, y_pm, y_co) = (field(y, "站點"), field(y, "PM10天數"), field(y, "PM10"), field(y, "CO95"));
    for row in 0..facts.tables[y].len() as u32 {
        let s = STATIONS.iter().position(|n| *n == text(y, y_station, row)).unwrap();
        let pm: Vec<Decimal> = (0..365).filter_map(|day| daily[&(s, day)].0).collect();
        let co: Vec<Decimal> = (0..365).filter_map(|day| daily[&(s, day)].1).collect();
        assert_eq!(pm.len(), if s == 0 { 324 } else { 323 }, "the annual boundary is planted");
        assert_eq!(num(y, y_days, row), Some(dec(pm.len() as i64)));
        assert_eq!(num(y, y_pm, row), (pm.len() >= 324).then(|| mean(&pm)), "annual PM10 of {}", STATIONS[s]);
        let want = (co.len() >= 324).then(|| percentile(co.clone(), Decimal::new(95, 2)));
        assert_eq!(num(y, y_co, row), want, "CO 95th percentile of {}", STATIONS[s]);
    }

    // Ozone: 8-hour means (at least 6 valid hours), daily maxima of the windows ending 07:00 …
    // 23:00 (at least 14 valid), and their 90th percentile over the year.
    let o = kind("O3年");
    let (o_station, o_90) = (field(o, "站點"), field(o, "O3_90"));
    for row in 0..facts.tables[o].len() as u32 {
        let s = STATIONS.iter().position(|n| *n == text(o, o_station, row)).unwrap();
        // Every hour of the year, by its index from 2019-01-01T00:00.
        let mut by_hour: Vec<Option<Decimal>> = vec![None; 365 * 24];
        for h in hours.iter().filter(|h| h.station == s) {
            by_hour[(h.day * 24) as usize + h.hour as usize] = h.o3.map(|v| si(dec(v)));
        }
        let mut maxima = Vec::new();
        for day in 0..365usize {
            let mut windows = Vec::new();
            for end in 7..24usize {
                let at = day * 24 + end;
                let vals: Vec<Decimal> = (at + 1 - 8..=at).filter_map(|i| by_hour[i]).collect();
                if vals.len() >= 6 {
                    windows.push(mean(&vals));
                }
            }
            if windows.len() >= 14 {
                maxima.push(windows.into_iter().max().unwrap());
            }
        }
        let want = (maxima.len() >= 324).then(|| percentile(maxima.clone(), Decimal::new(9, 1)));
        assert!(want.is_some(), "the ozone year is valid ({} days)", maxima.len());
        assert_eq!(num(o, o_90, row), want, "O3 90th percentile of {}", STATIONS[s]);
    }

    // The composite index (HJ 663-2013): each statistic over its grade II limit, summed. Station
    // 乙 has 323 valid PM10 days, so its annual PM10 mean and with it its index are unknown.
    let c = kind("綜合評價");
    let (c_station, c_index) = (field(c, "站點名"), field(c, "指數"));
    assert_eq!(facts.tables[c].len(), 2);
    for row in 0..facts.tables[c].len() as u32 {
        let s = STATIONS.iter().position(|n| *n == text(c, c_station, row)).unwrap();
        let annual = |f: fn(&Hour) -> Option<i64>| -> Option<Decimal> {
            let days: Vec<Decimal> = (0..365)
                .filter_map(|day| {
                    let v: Vec<Decimal> = hours
                        .iter()
                        .filter(|h| h.station == s && h.day == day)
                        .filter_map(f)
                        .map(|v| si(dec(v)))
                        .collect();
                    (v.len() >= 20).then(|| mean(&v))
                })
                .collect();
            (days.len() >= 324).then(|| mean(&days))
        };
        let so2 = annual(|h| h.so2).unwrap();
        let no2 = annual(|h| h.no2).unwrap();
        let pm25 = annual(|h| h.pm25);
        let pm10: Vec<Decimal> = (0..365).filter_map(|day| daily[&(s, day)].0).collect();
        let pm10 = (pm10.len() >= 324).then(|| mean(&pm10));
        let co: Vec<Decimal> = (0..365).filter_map(|day| daily[&(s, day)].1).collect();
        let co95 = percentile(co, Decimal::new(95, 2));
        let o3 =
            num(o, o_90, (0..facts.tables[o].len() as u32).find(|&r| text(o, o_station, r) == STATIONS[s]).unwrap())
                .unwrap();
        let limit = |ug: i64| si(dec(ug));
        let want = match (pm10, pm25) {
            (Some(pm10), Some(pm25)) => Some(
                so2 / limit(60)
                    + no2 / limit(40)
                    + pm10 / limit(70)
                    + pm25 / limit(35)
                    + co95 / limit(4000)
                    + o3 / limit(160),
            ),
            _ => None,
        };
        assert_eq!(want.is_some(), s == 0, "甲's year is valid, 乙's is not");
        assert_eq!(num(c, c_index, row), want, "composite index of {}", STATIONS[s]);
    }
    let _ = std::fs::remove_dir_all(&dir);
}
