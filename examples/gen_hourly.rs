//! Synthetic hourly air-quality station data for Yangquan (陽泉), in the shape of the public
//! multi-station hourly exports (the Beijing "PRSA" files): one CSV per station with the header
//! `No,year,month,day,hour,PM2.5,PM10,SO2,NO2,CO,O3,TEMP,PRES,DEWP,RAIN,wd,WSPM,station`.
//!
//! ```text
//! cargo run --release --example gen_hourly -- --out DIR [--seed N] [--from 2018-01-01] [--to 2019-12-31] [--stations 12]
//! ```
//!
//! The data are invented, never real monitoring records. The same arguments give the same bytes:
//! every random number is a hash (splitmix64) of the seed, the station, a channel and the hour or
//! day, so an hour's values do not depend on the range asked for. Boundary cases of the GB
//! 3095-2012 / HJ 663-2013 validity rules are planted on fixed dates in 2018–2019 and described in
//! the `MANIFEST.md` written next to the CSV files. The generator uses only `std`.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::Instant;

const HEADER: &str = "No,year,month,day,hour,PM2.5,PM10,SO2,NO2,CO,O3,TEMP,PRES,DEWP,RAIN,wd,WSPM,station";

const POLLUTANTS: [&str; 6] = ["PM2.5", "PM10", "SO2", "NO2", "CO", "O3"];
const PM25: usize = 0;
const PM10: usize = 1;
const SO2: usize = 2;
const NO2: usize = 3;
const CO: usize = 4;
const O3: usize = 5;

const COMPASS: [&str; 16] =
    ["N", "NNE", "NE", "ENE", "E", "ESE", "SE", "SSE", "S", "SSW", "SW", "WSW", "W", "WNW", "NW", "NNW"];

/// A monitoring station: its names and its levels relative to the city's (PM, SO2, NO2, CO, O3).
struct Station {
    name: &'static str,
    ascii: &'static str,
    county: &'static str,
    levels: [f64; 5],
}

const fn station(name: &'static str, ascii: &'static str, county: &'static str, levels: [f64; 5]) -> Station {
    Station { name, ascii, county, levels }
}

/// The fixed list of stations; `--stations N` takes the first N. The first station of each
/// county or district comes first, so any six cover all of them.
const STATIONS: [Station; 12] = [
    station("城區一站", "Chengqu1", "城區", [1.05, 1.00, 1.20, 1.05, 0.95]),
    station("礦區一站", "Kuangqu1", "礦區", [1.15, 1.20, 1.05, 1.15, 0.95]),
    station("郊區一站", "Jiaoqu1", "郊區", [0.95, 1.05, 0.90, 1.00, 1.05]),
    station("平定縣一站", "Pingding1", "平定縣", [1.00, 1.10, 0.90, 1.00, 1.05]),
    station("盂縣一站", "Yuxian1", "盂縣", [1.00, 1.85, 0.85, 1.05, 1.00]),
    station("開發區一站", "Kaifaqu1", "開發區", [1.00, 1.00, 1.10, 1.00, 1.00]),
    station("城區二站", "Chengqu2", "城區", [0.98, 0.95, 1.15, 1.00, 1.00]),
    station("礦區二站", "Kuangqu2", "礦區", [1.10, 1.15, 1.00, 1.10, 0.95]),
    station("郊區二站", "Jiaoqu2", "郊區", [0.90, 1.00, 0.85, 0.95, 1.10]),
    station("平定縣二站", "Pingding2", "平定縣", [0.95, 1.05, 0.85, 0.95, 1.05]),
    station("盂縣二站", "Yuxian2", "盂縣", [0.95, 1.75, 0.80, 1.00, 1.05]),
    station("開發區二站", "Kaifaqu2", "開發區", [1.05, 1.05, 1.15, 1.05, 0.95]),
];

// ---------------------------------------------------------------------------------------------
// Calendar: days since 1970-01-01 (proleptic Gregorian).

fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (i64::from(m) + 9) % 12;
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn parse_date(text: &str) -> Result<i64, String> {
    let bad = || format!("not a date YYYY-MM-DD: {text:?}");
    let parts: Vec<&str> = text.split('-').collect();
    if parts.len() != 3 || parts[0].len() != 4 || parts[1].len() != 2 || parts[2].len() != 2 {
        return Err(bad());
    }
    let y: i64 = parts[0].parse().map_err(|_| bad())?;
    let m: u32 = parts[1].parse().map_err(|_| bad())?;
    let d: u32 = parts[2].parse().map_err(|_| bad())?;
    let days = days_from_civil(y, m, d);
    if civil_from_days(days) != (y, m, d) {
        return Err(bad());
    }
    Ok(days)
}

fn ymd(days: i64) -> String {
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}-{m:02}-{d:02}")
}

fn compact(days: i64) -> String {
    let (y, m, d) = civil_from_days(days);
    format!("{y:04}{m:02}{d:02}")
}

// ---------------------------------------------------------------------------------------------
// Randomness: splitmix64, as a hash of (seed, station, channel, index) and as a sequence.

fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The sequential generator, for choices made while planning (which days to break or repair).
struct SplitMix64(u64);

impl SplitMix64 {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        mix(self.0.wrapping_sub(0x9E37_79B9_7F4A_7C15))
    }

    /// A number in `0..n` (n small: the modulo bias is negligible and deterministic anyway).
    fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }

    fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.below(i as u64 + 1) as usize;
            items.swap(i, j);
        }
    }
}

/// Who a random number belongs to: the region (shared by all stations) or one station.
const REGION: u64 = 0;

// Channels: one per independent random quantity.
const CH_EPISODE: u64 = 1;
const CH_TEMP_DAY: u64 = 2;
const CH_PRES_DAY: u64 = 3;
const CH_WIND_DAY: u64 = 4;
const CH_DIR_DAY: u64 = 5;
const CH_DIR_WOBBLE: u64 = 6;
const CH_RAIN_DAY: u64 = 7;
const CH_HUMID_DAY: u64 = 8;
const CH_HOUR: u64 = 16; // + 0..16 per hourly quantity
const CH_ABSENT: u64 = 40;
const CH_NA: u64 = 48; // + pollutant
const CH_OUTAGE: u64 = 56; // + pollutant
const CH_PM_OUTAGE: u64 = 63;
const CH_MET_NA: u64 = 64;
const CH_WD_NA: u64 = 65;
const CH_PLAN: u64 = 80;

fn hash(seed: u64, who: u64, channel: u64, index: i64) -> u64 {
    let a = mix(seed ^ who.wrapping_mul(0xD6E8_FEB8_6659_FD93));
    let b = mix(a ^ channel.wrapping_mul(0xA076_1D64_78BD_642F));
    mix(b ^ (index as u64).wrapping_mul(0xE703_7ED1_A0B4_28DB))
}

/// Uniform in [0, 1).
fn unit(x: u64) -> f64 {
    (x >> 11) as f64 / (1u64 << 53) as f64
}

/// Standard normal (Box–Muller on two uniforms from one hash).
fn normal(seed: u64, who: u64, channel: u64, index: i64) -> f64 {
    let x = hash(seed, who, channel, index);
    let u1 = 1.0 - unit(x);
    let u2 = unit(mix(x));
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// A day-level normal, smoothed over neighbouring days and interpolated across the hours, so
/// that episodes and weather last several days and change gradually.
fn smooth(seed: u64, who: u64, channel: u64, day: i64, hour: u32) -> f64 {
    let day_value = |d: i64| {
        (normal(seed, who, channel, d - 1) + 2.0 * normal(seed, who, channel, d) + normal(seed, who, channel, d + 1))
            / 6f64.sqrt()
    };
    let x = (f64::from(hour) + 0.5) / 24.0 - 0.5;
    let (d0, frac) = if x < 0.0 { (day - 1, x + 1.0) } else { (day, x) };
    day_value(d0) * (1.0 - frac) + day_value(d0 + 1) * frac
}

// ---------------------------------------------------------------------------------------------
// One hour of one station.

const TEMP: usize = 0;
const PRES: usize = 1;
const DEWP: usize = 2;
const RAIN: usize = 3;
const WSPM: usize = 4;

#[derive(Clone)]
struct Row {
    /// False: the whole hour is absent from the file.
    present: bool,
    /// Concentrations, already rounded as written (PM and CO integers, the others 0.1).
    val: [f64; 6],
    /// False: written `NA`.
    ok: [bool; 6],
    /// TEMP, PRES, DEWP, RAIN, WSPM, rounded to 0.1.
    met: [f64; 5],
    met_ok: bool,
    wd: u8,
    wd_ok: bool,
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0 + 0.0
}

/// 1.0 in the heating season (15 November – 15 March), 0.4 in the first half of November and
/// the second half of March (early and late heating), 0 otherwise.
fn heating(m: u32, d: u32) -> f64 {
    match (m, d) {
        (12 | 1 | 2, _) => 1.0,
        (11, 15..) | (3, ..=15) => 1.0,
        (11, _) | (3, _) => 0.4,
        _ => 0.0,
    }
}

fn background(seed: u64, s: usize, day: i64, hour: u32) -> Row {
    let who = s as u64 + 1;
    let st = &STATIONS[s];
    let (y, m, d) = civil_from_days(day);
    let doy = (day - days_from_civil(y, 1, 1)) as f64;
    let h = f64::from(hour);
    let t = day * 24 + i64::from(hour);
    let tau = std::f64::consts::TAU;
    // 1 in mid-January, 0 in mid-July.
    let season = 0.5 + 0.5 * (tau * (doy - 14.0) / 365.25).cos();
    let summer = 1.0 - season;
    let heat = heating(m, d);
    let spring = if (3..=5).contains(&m) { 1.0 } else { 0.0 };
    let noise = |k: u64| normal(seed, who, CH_HOUR + k, t);
    // Hourly noise that carries over from one hour to the next.
    let carried = |k: u64| {
        (normal(seed, who, CH_HOUR + k, t - 1) + noise(k) + normal(seed, who, CH_HOUR + k, t + 1)) / 3f64.sqrt()
    };
    let afternoon = (tau * (h - 9.0) / 24.0).sin().max(0.0);

    // Weather.
    let temp = 10.5 - 15.0 * (tau * (doy - 18.0) / 365.25).cos()
        + 5.0 * (tau * (h - 9.0) / 24.0).sin()
        + 2.5 * smooth(seed, REGION, CH_TEMP_DAY, day, hour)
        + 0.4 * noise(0);
    let pres = 932.0 + 8.0 * (tau * (doy - 15.0) / 365.25).cos() - 0.8 * (tau * (h - 4.0) / 12.0).sin()
        + 3.0 * smooth(seed, REGION, CH_PRES_DAY, day, hour)
        + 0.2 * noise(1);
    let rainy_day = unit(hash(seed, REGION, CH_RAIN_DAY, day)) < 0.06 + 0.3 * summer;
    let rain = if rainy_day && unit(hash(seed, who, CH_HOUR + 2, t)) < 0.35 {
        let u = 1.0 - unit(hash(seed, who, CH_HOUR + 3, t));
        round1(-1.5 * u.ln() * (0.5 + summer))
    } else {
        0.0
    };
    let spread = (3.0
        + 9.0 * season * if rainy_day { 0.3 } else { 1.0 }
        + 4.0 * afternoon
        + 2.0 * smooth(seed, REGION, CH_HUMID_DAY, day, hour))
    .max(0.5);
    let wspm = (1.4
        + 0.9 * spring
        + 0.5 * season
        + 0.8 * afternoon
        + 0.6 * smooth(seed, REGION, CH_WIND_DAY, day, hour)
        + 0.35 * carried(4))
    .max(0.0);
    let prevailing = if unit(hash(seed, REGION, CH_DIR_DAY, day)) < 0.25 + 0.5 * season { 14.0 } else { 6.0 };
    let dir = prevailing + 1.5 * normal(seed, REGION, CH_DIR_WOBBLE, day) + 1.2 * noise(5);
    let wd = (dir.round() as i64).rem_euclid(16) as u8;

    // Pollution: a regional episode factor shared by all stations, a local one, the seasonal and
    // daily cycles, the wind and the rain.
    let episode = 0.8 * smooth(seed, REGION, CH_EPISODE, day, hour) + 0.5 * smooth(seed, who, CH_EPISODE, day, hour);
    let e = (0.5 * episode).exp();
    let wind_factor = (-0.18 * (wspm - 2.0)).exp().clamp(0.5, 1.5);
    let rain_factor = if rainy_day { 0.7 } else { 1.0 };
    let [l_pm, l_so2, l_no2, l_co, l_o3] = st.levels;

    let pm25 = 38.0
        * l_pm
        * (0.55 + 0.9 * season + 0.6 * heat)
        * e
        * (1.0 + 0.25 * (tau * (h - 23.0) / 24.0).cos())
        * wind_factor
        * rain_factor
        * (0.12 * carried(6)).exp();
    let pm25 = pm25.max(3.0).round();
    let ratio = (1.6 + 0.5 * spring + 0.15 * noise(7)).max(1.1);
    let pm10 = (pm25 * ratio).round().max(pm25).max(5.0);
    let so2 = 14.0
        * l_so2
        * (0.5 + 0.7 * season + 1.3 * heat)
        * e.powf(0.6)
        * (1.0 + 0.3 * (tau * (h - 10.0) / 24.0).cos())
        * (0.2 * carried(8)).exp();
    let so2 = round1(so2.max(1.0));
    let no2 = 28.0
        * l_no2
        * (0.75 + 0.45 * season)
        * e.powf(0.5)
        * (1.0 + 0.22 * (tau * (h - 21.0) / 24.0).cos() + 0.12 * (tau * (h - 8.0) / 12.0).cos())
        * wind_factor.sqrt()
        * (0.15 * carried(9)).exp();
    let no2 = round1(no2.max(2.0));
    // CO in µg/m³ at the 0.1 mg/m³ resolution of the source: multiples of 100.
    let co = 700.0
        * l_co
        * (0.6 + 0.7 * season + 0.7 * heat)
        * e.powf(0.7)
        * (1.0 + 0.2 * (tau * (h - 22.0) / 24.0).cos())
        * (0.12 * carried(10)).exp();
    let co = ((co / 100.0).round() * 100.0).max(100.0);
    let o3 = 55.0
        * l_o3
        * (0.3 + 0.85 * summer)
        * (0.25 + 1.45 * (-((h - 15.0) / 3.5).powi(2)).exp())
        * (0.2 * carried(11)).exp()
        / e.powf(0.15);
    let o3 = round1(o3.max(0.5));

    let dewp = temp - spread;
    let mut val = [0.0; 6];
    (val[PM25], val[PM10], val[SO2], val[NO2], val[CO], val[O3]) = (pm25, pm10, so2, no2, co, o3);
    Row {
        present: present(seed, who, day, hour),
        val,
        ok: std::array::from_fn(|p| pollutant_ok(seed, who, p, t)),
        met: [round1(temp), round1(pres), round1(dewp), rain, round1(wspm)],
        met_ok: unit(hash(seed, who, CH_MET_NA, t)) >= 0.002,
        wd,
        wd_ok: unit(hash(seed, who, CH_WD_NA, t)) >= 0.003,
    }
}

/// Whole hours absent from the file: about one run of 1–8 hours every 80 days.
fn present(seed: u64, who: u64, day: i64, hour: u32) -> bool {
    let covers = |d: i64, offset: i64| {
        let x = hash(seed, who, CH_ABSENT, d);
        if unit(x) >= 0.012 {
            return false;
        }
        let start = (mix(x) % 24) as i64;
        let len = 1 + (mix(x ^ 1) % 8) as i64;
        let at = offset + i64::from(hour);
        start <= at && at < start + len
    };
    !(covers(day, 0) || covers(day - 1, 24))
}

/// `NA` in one pollutant: single hours (0.6 %) and analyser outages of 4–60 hours (about two a
/// year per pollutant, and one more shared by PM2.5 and PM10).
fn pollutant_ok(seed: u64, who: u64, p: usize, t: i64) -> bool {
    if unit(hash(seed, who, CH_NA + p as u64, t)) < 0.006 {
        return false;
    }
    let day = t.div_euclid(24);
    let at = t.rem_euclid(24);
    let outage = |channel: u64, rate: f64| {
        (0..4).any(|back| {
            let x = hash(seed, who, channel, day - back);
            if unit(x) >= rate {
                return false;
            }
            let start = (mix(x) % 24) as i64;
            let len = 4 + (mix(x ^ 1) % 57) as i64;
            let at = back * 24 + at;
            start <= at && at < start + len
        })
    };
    !(outage(CH_OUTAGE + p as u64, 0.005) || (p <= PM10 && outage(CH_PM_OUTAGE, 0.003)))
}

// ---------------------------------------------------------------------------------------------
// A station's grid of hours, the validity plan, and the planted cases.

struct Grid {
    first_day: i64,
    rows: Vec<Row>,
}

impl Grid {
    fn build(seed: u64, s: usize, first_day: i64, last_day: i64) -> Grid {
        let mut rows = Vec::with_capacity(((last_day - first_day + 1) * 24) as usize);
        for day in first_day..=last_day {
            for hour in 0..24 {
                rows.push(background(seed, s, day, hour));
            }
        }
        Grid { first_day, rows }
    }

    fn at(&mut self, day: i64, hour: u32) -> &mut Row {
        &mut self.rows[((day - self.first_day) * 24) as usize + hour as usize]
    }

    fn get(&self, day: i64, hour: u32) -> &Row {
        &self.rows[((day - self.first_day) * 24) as usize + hour as usize]
    }

    fn value(&self, p: usize, day: i64, hour: u32) -> Option<f64> {
        let row = self.get(day, hour);
        (row.present && row.ok[p]).then_some(row.val[p])
    }

    fn valid_hours(&self, p: usize, day: i64) -> usize {
        (0..24).filter(|&h| self.value(p, day, h).is_some()).count()
    }

    /// The daily mean, if the day has at least 20 hourly values.
    fn daily_mean(&self, p: usize, day: i64) -> Option<f64> {
        let values: Vec<f64> = (0..24).filter_map(|h| self.value(p, day, h)).collect();
        (values.len() >= 20).then(|| values.iter().sum::<f64>() / values.len() as f64)
    }

    /// The valid days of a period and the mean of their daily means.
    fn period_mean(&self, p: usize, first: i64, last: i64) -> (usize, f64) {
        let means: Vec<f64> = (first..=last).filter_map(|d| self.daily_mean(p, d)).collect();
        (means.len(), means.iter().sum::<f64>() / means.len().max(1) as f64)
    }

    /// Every hour present, every value and the wind direction there.
    fn clean_day(&mut self, day: i64) {
        for h in 0..24 {
            let row = self.at(day, h);
            row.present = true;
            row.ok = [true; 6];
            row.met_ok = true;
            row.wd_ok = true;
        }
    }

    /// Make a day invalid for `p` (at most 19 hourly values) with an analyser outage.
    fn break_day(&mut self, p: usize, day: i64, rng: &mut SplitMix64) {
        let len = 5 + rng.below(20) as u32;
        let start = rng.below(u64::from(24 - len + 1)) as u32;
        for h in start..start + len {
            self.at(day, h).ok[p] = false;
        }
        // Rows already absent may overlap the outage: extend it until the day is invalid.
        let mut h = (start + len) % 24;
        while self.valid_hours(p, day) >= 20 {
            self.at(day, h).ok[p] = false;
            h = (h + 1) % 24;
        }
    }

    /// Make a day valid for `p`: every hour present, `p` missing in at most 3 hours.
    fn repair_day(&mut self, p: usize, day: i64, rng: &mut SplitMix64) {
        for h in 0..24 {
            let row = self.at(day, h);
            row.present = true;
            row.ok[p] = true;
        }
        for _ in 0..rng.below(4) {
            let h = rng.below(24) as u32;
            self.at(day, h).ok[p] = false;
        }
    }

    /// Exactly `target` days of `first..=last` with at least 20 hourly values of `p`: break or
    /// repair days chosen at random among those that are valid or invalid to begin with.
    fn control_valid_days(&mut self, p: usize, first: i64, last: i64, target: usize, rng: &mut SplitMix64) {
        let (mut valid, mut invalid): (Vec<i64>, Vec<i64>) =
            (first..=last).partition(|&d| self.valid_hours(p, d) >= 20);
        if valid.len() > target {
            rng.shuffle(&mut valid);
            for &day in &valid[..valid.len() - target] {
                self.break_day(p, day, rng);
            }
        } else if valid.len() < target {
            rng.shuffle(&mut invalid);
            for &day in &invalid[..target - valid.len()] {
                self.repair_day(p, day, rng);
            }
        }
    }
}

/// A planted case, as the manifest describes it.
struct Case {
    station: usize,
    pollutant: &'static str,
    first: i64,
    last: i64,
    planted: String,
    finding: String,
}

fn day_of(y: i64, m: u32, d: u32) -> i64 {
    days_from_civil(y, m, d)
}

fn last_of_february(y: i64) -> i64 {
    day_of(y, 3, 1) - 1
}

/// The planted cases of station `s`, on fixed dates in 2018–2019 (the grid always covers them).
/// The validity plan comes first, then the values; the descriptions are made from the result.
fn plant(grid: &mut Grid, seed: u64, s: usize) -> Vec<Case> {
    let mut rng = SplitMix64(hash(seed, s as u64 + 1, CH_PLAN, 0));
    let mut cases = Vec::new();
    let station = s;
    match STATIONS[s].ascii {
        "Chengqu1" => {
            // Annual validity: at least 324 daily values a year.
            for (year, target) in [(2018, 324), (2019, 323)] {
                let (first, last) = (day_of(year, 1, 1), day_of(year, 12, 31));
                grid.control_valid_days(PM25, first, last, target, &mut rng);
                let (n, mean) = grid.period_mean(PM25, first, last);
                let days = last - first + 1;
                let finding = if n >= 324 {
                    format!(
                        "{n} valid days ≥ 324: the {year} annual mean is valid, {mean:.4} µg/m³ (the mean of the {n} daily means)."
                    )
                } else {
                    format!(
                        "{n} valid days < 324: no valid {year} annual mean (the mean of the {n} daily means, {mean:.4} µg/m³, must not be reported as one)."
                    )
                };
                cases.push(Case {
                    station,
                    pollutant: POLLUTANTS[PM25],
                    first,
                    last,
                    planted: format!(
                        "Exactly {n} of the {days} days of {year} have at least 20 valid hourly PM2.5 values; the other {} days have at most 19 (analyser outages and absent hours).",
                        days as usize - n
                    ),
                    finding,
                });
            }
        }
        "Jiaoqu1" => {
            // February validity: at least 25 daily values.
            for (year, target) in [(2018, 25), (2019, 24)] {
                let (first, last) = (day_of(year, 2, 1), last_of_february(year));
                grid.control_valid_days(PM10, first, last, target, &mut rng);
                let (n, mean) = grid.period_mean(PM10, first, last);
                let finding = if n >= 25 {
                    format!(
                        "{n} valid days ≥ 25: the February {year} monthly mean is valid, {mean:.4} µg/m³ (the mean of the {n} daily means)."
                    )
                } else {
                    format!(
                        "{n} valid days < 25: no valid February {year} monthly mean (the mean of the {n} daily means would be {mean:.4} µg/m³)."
                    )
                };
                cases.push(Case {
                    station,
                    pollutant: POLLUTANTS[PM10],
                    first,
                    last,
                    planted: format!(
                        "Exactly {n} of the {} days of February {year} have at least 20 valid hourly PM10 values.",
                        last - first + 1
                    ),
                    finding,
                });
            }
        }
        "Kuangqu1" => {
            // Daily validity: at least 20 hourly values.
            for (day, absent) in [(day_of(2019, 1, 15), &[3, 4][..]), (day_of(2019, 1, 16), &[3, 4, 5][..])] {
                grid.clean_day(day);
                for &h in absent {
                    grid.at(day, h).present = false;
                }
                for h in [9, 17] {
                    grid.at(day, h).ok[PM25] = false;
                }
                let n = grid.valid_hours(PM25, day);
                let hours: Vec<String> = absent.iter().map(|h| format!("{h:02}:00")).collect();
                let finding = match grid.daily_mean(PM25, day) {
                    Some(mean) => format!("{n} valid hours ≥ 20: the daily mean is valid, {mean:.4} µg/m³."),
                    None => format!(
                        "{n} valid hours < 20: no valid daily PM2.5 value. The other pollutants have {} valid hours and are valid.",
                        24 - absent.len()
                    ),
                };
                cases.push(Case {
                    station,
                    pollutant: POLLUTANTS[PM25],
                    first: day,
                    last: day,
                    planted: format!(
                        "Rows for {} absent (the whole hour is missing from the file) and PM2.5 `NA` at 09:00 and 17:00; every other value of the day present: {n} valid hourly PM2.5 values.",
                        hours.join(", ")
                    ),
                    finding,
                });
            }
        }
        "Pingding1" => {
            // The grade II 24-hour limit of PM10, 150 µg/m³.
            for (day, odd) in [(day_of(2019, 1, 20), None), (day_of(2019, 1, 21), Some(12))] {
                grid.clean_day(day);
                for h in 0..24 {
                    let row = grid.at(day, h);
                    row.val[PM10] = if odd == Some(h) { 151.0 } else { 150.0 };
                    row.val[PM25] = row.val[PM25].min(row.val[PM10] - 20.0);
                }
                let (planted, finding) = match odd {
                    None => (
                        "All 24 hourly PM10 values are exactly 150.".to_string(),
                        "Daily mean exactly 150 µg/m³, equal to the grade II 24-hour limit: not an exceedance (the limit is met when the mean is at most 150).".to_string(),
                    ),
                    Some(h) => (
                        format!("23 hourly PM10 values of exactly 150 and 151 at {h:02}:00."),
                        "Daily mean 3601/24 = 150.041666… µg/m³ (150.0417), above the grade II limit of 150: an exceedance when the unrounded mean is compared. (Rounded to an integer first, as HJ 663-2013 rounds PM10 daily values, it would be 150.)".to_string(),
                    ),
                };
                cases.push(Case { station, pollutant: POLLUTANTS[PM10], first: day, last: day, planted, finding });
            }
        }
        "Kaifaqu1" => {
            // The 8-hour ozone average needs at least 6 hourly values in the 8 hours.
            for (day, gaps) in [(day_of(2019, 7, 10), &[11, 14][..]), (day_of(2019, 7, 11), &[11, 13, 15][..])] {
                grid.clean_day(day);
                for &h in gaps {
                    grid.at(day, h).ok[O3] = false;
                }
                let values: Vec<f64> = (10..=17).filter_map(|h| grid.value(O3, day, h)).collect();
                let n = values.len();
                let hours: Vec<String> = gaps.iter().map(|h| format!("{h:02}:00")).collect();
                let finding = if n >= 6 {
                    format!(
                        "The window 10:00–17:00 (the 8-hour average labelled 17:00) has {n} valid hours ≥ 6: its 8-hour mean is valid, {:.4} µg/m³ (the mean of the {n} values). Windows containing one of the two gaps have 7.",
                        values.iter().sum::<f64>() / n as f64
                    )
                } else {
                    format!(
                        "The window 10:00–17:00 (the 8-hour average labelled 17:00) has {n} valid hours < 6: no valid 8-hour value for it, nor for the other windows containing all three gaps (starting 08:00 to 11:00, labelled 15:00 to 18:00)."
                    )
                };
                cases.push(Case {
                    station,
                    pollutant: POLLUTANTS[O3],
                    first: day,
                    last: day,
                    planted: format!(
                        "All 24 rows present; O3 `NA` at {} only, every other value of the day present.",
                        hours.join(", ")
                    ),
                    finding,
                });
            }
        }
        "Chengqu2" => {
            // Gaps of both kinds.
            let day = day_of(2019, 3, 5);
            grid.clean_day(day);
            for h in 2..=4 {
                grid.at(day, h).present = false;
            }
            cases.push(Case {
                station,
                pollutant: "all",
                first: day,
                last: day,
                planted: "Rows for 02:00, 03:00 and 04:00 absent: the file goes from hour 1 to hour 5; every other value of the day present.".into(),
                finding: "21 rows for the day; every pollutant has 21 valid hourly values (a valid day). The missing hours are absent rows, not `NA`.".into(),
            });
            let day = day_of(2019, 3, 6);
            grid.clean_day(day);
            for h in 8..=10 {
                let row = grid.at(day, h);
                row.ok[NO2] = false;
                row.ok[CO] = false;
            }
            cases.push(Case {
                station,
                pollutant: "NO2, CO",
                first: day,
                last: day,
                planted: "NO2 and CO `NA` at 08:00, 09:00 and 10:00; those rows are present with PM2.5, PM10, SO2, O3 and the weather; every other value of the day present.".into(),
                finding: "24 rows; NO2 and CO have 21 valid hourly values (valid days), PM2.5, PM10, SO2 and O3 have 24.".into(),
            });
            // Odd but legal cells.
            let day = day_of(2019, 4, 2);
            grid.clean_day(day);
            for (h, speed) in [(6, 0.0), (7, 0.3)] {
                let row = grid.at(day, h);
                row.wd_ok = false;
                row.met[WSPM] = speed;
            }
            cases.push(Case {
                station,
                pollutant: "wd",
                first: day,
                last: day,
                planted: "`NA` in the `wd` column at 06:00 (WSPM 0.0, calm) and 07:00 (WSPM 0.3); every other value of the day present.".into(),
                finding: "The rows are complete otherwise: a missing wind direction makes no pollutant value missing; every pollutant has 24 valid hourly values.".into(),
            });
            let day = day_of(2019, 4, 3);
            grid.clean_day(day);
            grid.at(day, 4).val[PM25] = 0.0;
            grid.at(day, 5).val[O3] = 0.0;
            let pm = grid.daily_mean(PM25, day).unwrap_or(f64::NAN);
            let o3 = grid.daily_mean(O3, day).unwrap_or(f64::NAN);
            cases.push(Case {
                station,
                pollutant: "PM2.5, O3",
                first: day,
                last: day,
                planted: "PM2.5 written `0` at 04:00 and O3 written `0.0` at 05:00 (zero readings, not missing); every other value of the day present.".into(),
                finding: format!(
                    "A zero is a valid value, not a gap: PM2.5 and O3 have 24 valid hourly values; the PM2.5 daily mean is {pm:.4} µg/m³ and the O3 daily mean {o3:.4} µg/m³, zeros included."
                ),
            });
        }
        _ => {}
    }
    cases
}

// ---------------------------------------------------------------------------------------------
// Output.

pub(crate) struct Config {
    seed: u64,
    from: i64,
    to: i64,
    stations: usize,
}

pub(crate) struct StationFile {
    pub(crate) name: String,
    station: usize,
    rows: usize,
    absent: usize,
    na: [usize; 6],
    pub(crate) csv: String,
}

pub(crate) struct Output {
    pub(crate) files: Vec<StationFile>,
    manifest: String,
}

fn push_value(out: &mut String, value: Option<f64>, integer: bool) {
    match value {
        None => out.push_str("NA"),
        Some(v) if integer => write!(out, "{}", v as i64).unwrap(),
        Some(v) => write!(out, "{v:.1}").unwrap(),
    }
}

pub(crate) fn generate(cfg: &Config) -> Output {
    // The grid always covers 2018–2019, where the cases are planted, so an hour's values do not
    // depend on the range written.
    let first_day = cfg.from.min(day_of(2018, 1, 1));
    let last_day = cfg.to.max(day_of(2019, 12, 31));
    let mut files = Vec::new();
    let mut cases = Vec::new();
    for (s, st) in STATIONS.iter().enumerate().take(cfg.stations) {
        let mut grid = Grid::build(cfg.seed, s, first_day, last_day);
        cases.extend(plant(&mut grid, cfg.seed, s));
        let mut csv = String::with_capacity(((cfg.to - cfg.from + 1) * 24 * 80) as usize);
        csv.push_str(HEADER);
        csv.push('\n');
        let (mut rows, mut absent, mut na) = (0, 0, [0; 6]);
        for day in cfg.from..=cfg.to {
            let (y, m, d) = civil_from_days(day);
            for hour in 0..24 {
                let row = grid.get(day, hour);
                if !row.present {
                    absent += 1;
                    continue;
                }
                rows += 1;
                write!(csv, "{rows},{y},{m},{d},{hour}").unwrap();
                for (p, na) in na.iter_mut().enumerate() {
                    csv.push(',');
                    *na += usize::from(!row.ok[p]);
                    push_value(&mut csv, row.ok[p].then_some(row.val[p]), matches!(p, PM25 | PM10 | CO));
                }
                for k in [TEMP, PRES, DEWP, RAIN] {
                    csv.push(',');
                    push_value(&mut csv, row.met_ok.then_some(row.met[k]), false);
                }
                csv.push(',');
                csv.push_str(if row.met_ok && row.wd_ok { COMPASS[row.wd as usize] } else { "NA" });
                csv.push(',');
                push_value(&mut csv, row.met_ok.then_some(row.met[WSPM]), false);
                csv.push(',');
                csv.push_str(st.name);
                csv.push('\n');
            }
        }
        let name = format!("PRSA_Data_{}_{}-{}.csv", st.ascii, compact(cfg.from), compact(cfg.to));
        files.push(StationFile { name, station: s, rows, absent, na, csv });
    }
    let manifest = manifest(cfg, &files, &cases);
    Output { files, manifest }
}

fn period(c: &Case) -> String {
    if c.first == c.last { ymd(c.first) } else { format!("{} .. {}", ymd(c.first), ymd(c.last)) }
}

fn manifest(cfg: &Config, files: &[StationFile], cases: &[Case]) -> String {
    let mut m = String::new();
    let w = &mut m;
    writeln!(w, "# Synthetic hourly air-quality data: manifest\n").unwrap();
    writeln!(
        w,
        "**These data are synthetic.** They are made up by `examples/gen_hourly.rs` and are NOT real monitoring\nrecords of any station. Station names are invented.\n"
    )
    .unwrap();
    writeln!(
        w,
        "Generated with `--seed {} --from {} --to {} --stations {}`: {} hours per station.\n",
        cfg.seed,
        ymd(cfg.from),
        ymd(cfg.to),
        cfg.stations,
        (cfg.to - cfg.from + 1) * 24
    )
    .unwrap();
    writeln!(w, "## Files\n").unwrap();
    writeln!(w, "| file | station | county/district | rows | absent hours | `NA` per pollutant (PM2.5, PM10, SO2, NO2, CO, O3) |").unwrap();
    writeln!(w, "|---|---|---|---|---|---|").unwrap();
    for f in files {
        let st = &STATIONS[f.station];
        let na: Vec<String> = f.na.iter().map(ToString::to_string).collect();
        writeln!(w, "| `{}` | {} | {} | {} | {} | {} |", f.name, st.name, st.county, f.rows, f.absent, na.join(", "))
            .unwrap();
    }
    writeln!(
        w,
        "\n`NA` counts are over the rows present. Besides the planted cases below, every station has random\ngaps: runs of 1–8 absent hours, single `NA` hours, analyser outages of 4–60 hours in one pollutant\n(or in PM2.5 and PM10 together), a few hours with all weather columns `NA` and a few with `wd` `NA`.\n"
    )
    .unwrap();
    writeln!(w, "## Conventions the findings use\n").unwrap();
    writeln!(
        w,
        "- A valid hourly value is one in a row present in the file that is not `NA` (`0` is a value).\n\
         - Daily mean: the mean of a day's valid hourly values (00:00–23:00), valid with at least 20 of them.\n\
         - Monthly mean: the mean of the month's valid daily means, valid with at least 27 valid days (25 in February).\n\
         - Annual mean: the mean of the year's valid daily means, valid with at least 324 valid days.\n\
         - 8-hour O3 mean: the mean of the valid hourly values of 8 consecutive hours, valid with at least 6.\n\
         - Means are unrounded, given to 4 decimals.\n"
    )
    .unwrap();
    writeln!(w, "## Planted cases\n").unwrap();
    let in_range = |c: &&Case| c.first >= cfg.from && c.last <= cfg.to;
    let (shown, hidden): (Vec<&Case>, Vec<&Case>) = cases.iter().partition(in_range);
    if shown.is_empty() {
        writeln!(w, "None in this output: the cases are planted in 2018–2019 on the first seven stations.\n").unwrap();
    } else {
        writeln!(w, "| # | station | file | pollutant | date | planted | a correct computation finds |").unwrap();
        writeln!(w, "|---|---|---|---|---|---|---|").unwrap();
        for (i, c) in shown.iter().enumerate() {
            let file = files.iter().find(|f| f.station == c.station).map_or("", |f| f.name.as_str());
            let date = period(c);
            writeln!(
                w,
                "| {} | {} ({}) | `{}` | {} | {} | {} | {} |",
                i + 1,
                STATIONS[c.station].name,
                STATIONS[c.station].ascii,
                file,
                c.pollutant,
                date,
                c.planted,
                c.finding
            )
            .unwrap();
        }
        writeln!(w).unwrap();
    }
    if !hidden.is_empty() {
        let dates: Vec<String> =
            hidden.iter().map(|c| format!("{} {} {}", STATIONS[c.station].ascii, c.pollutant, period(c))).collect();
        writeln!(w, "Planted cases outside the range written (not in these files): {}.\n", dates.join(", ")).unwrap();
    }
    m
}

// ---------------------------------------------------------------------------------------------
// Command line.

const USAGE: &str = "usage: gen_hourly --out DIR [--seed N] [--from 2018-01-01] [--to 2019-12-31] [--stations 12]";

pub(crate) fn parse_args(args: &[String]) -> Result<(PathBuf, Config), String> {
    let mut out = None;
    let mut cfg = Config { seed: 2019, from: day_of(2018, 1, 1), to: day_of(2019, 12, 31), stations: 12 };
    let mut i = 0;
    while i < args.len() {
        let (key, inline) = match args[i].split_once('=') {
            Some((k, v)) => (k.to_string(), Some(v.to_string())),
            None => (args[i].clone(), None),
        };
        if key == "-h" || key == "--help" {
            return Err(USAGE.into());
        }
        let value = match inline {
            Some(v) => v,
            None => {
                i += 1;
                args.get(i).cloned().ok_or_else(|| format!("{key} needs a value\n{USAGE}"))?
            }
        };
        match key.as_str() {
            "--out" => out = Some(PathBuf::from(value)),
            "--seed" => cfg.seed = value.parse().map_err(|_| format!("--seed: not a number: {value:?}"))?,
            "--from" => cfg.from = parse_date(&value)?,
            "--to" => cfg.to = parse_date(&value)?,
            "--stations" => {
                cfg.stations = value.parse().map_err(|_| format!("--stations: not a number: {value:?}"))?;
                if !(1..=STATIONS.len()).contains(&cfg.stations) {
                    return Err(format!("--stations: 1 to {}", STATIONS.len()));
                }
            }
            _ => return Err(format!("unknown argument {key:?}\n{USAGE}")),
        }
        i += 1;
    }
    if cfg.from > cfg.to {
        return Err(format!("--from {} is after --to {}", ymd(cfg.from), ymd(cfg.to)));
    }
    let out = out.ok_or_else(|| format!("--out is required\n{USAGE}"))?;
    Ok((out, cfg))
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (dir, cfg) = parse_args(&args).unwrap_or_else(|e| {
        eprintln!("{e}");
        std::process::exit(2);
    });
    let started = Instant::now();
    let output = generate(&cfg);
    let generated = started.elapsed();
    let write = |name: &str, text: &str| {
        std::fs::write(dir.join(name), text).unwrap_or_else(|e| {
            eprintln!("cannot write {}: {e}", dir.join(name).display());
            std::process::exit(1);
        });
    };
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| {
        eprintln!("cannot create {}: {e}", dir.display());
        std::process::exit(1);
    });
    let mut bytes = 0;
    for f in &output.files {
        write(&f.name, &f.csv);
        bytes += f.csv.len();
        eprintln!("{}: {} rows, {} bytes", f.name, f.rows, f.csv.len());
    }
    write("MANIFEST.md", &output.manifest);
    eprintln!(
        "{} files, {bytes} bytes in {}; generated in {:.2?}, written in {:.2?}",
        output.files.len(),
        dir.display(),
        generated,
        started.elapsed() - generated
    );
}

// ---------------------------------------------------------------------------------------------

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn config(from: &str, to: &str, stations: usize) -> Config {
        Config { seed: 2019, from: parse_date(from).unwrap(), to: parse_date(to).unwrap(), stations }
    }

    /// One parsed data line: date, hour and the six pollutants.
    struct Line {
        date: (i64, u32, u32),
        hour: u32,
        values: [Option<f64>; 6],
        fields: Vec<String>,
    }

    /// Reads a file's text back, independently of the generator's own structures.
    fn parse(csv: &str) -> Vec<Line> {
        let mut lines = csv.split_terminator('\n');
        assert_eq!(lines.next(), Some(HEADER));
        lines
            .map(|line| {
                let f: Vec<String> = line.split(',').map(str::to_string).collect();
                assert_eq!(f.len(), 18, "{line}");
                let num = |i: usize| f[i].parse::<u32>().unwrap();
                let values = std::array::from_fn(|p| match f[5 + p].as_str() {
                    "NA" => None,
                    v => Some(v.parse::<f64>().unwrap()),
                });
                Line { date: (i64::from(num(1)), num(2), num(3)), hour: num(4), values, fields: f }
            })
            .collect()
    }

    /// Valid hourly values per day for pollutant `p`.
    fn valid_hours(lines: &[Line], p: usize) -> BTreeMap<(i64, u32, u32), usize> {
        let mut days = BTreeMap::new();
        for l in lines {
            let count = days.entry(l.date).or_insert(0);
            if l.values[p].is_some() {
                *count += 1;
            }
        }
        days
    }

    /// 2018–2019 for the first seven stations (those with planted cases), generated once.
    fn full() -> &'static Output {
        static FULL: std::sync::OnceLock<Output> = std::sync::OnceLock::new();
        FULL.get_or_init(|| generate(&config("2018-01-01", "2019-12-31", 7)))
    }

    fn file<'a>(out: &'a Output, ascii: &str) -> &'a str {
        &out.files.iter().find(|f| STATIONS[f.station].ascii == ascii).unwrap().csv
    }

    #[test]
    fn same_arguments_same_bytes() {
        let cfg = config("2019-01-10", "2019-01-25", 4);
        let (a, b) = (generate(&cfg), generate(&cfg));
        assert_eq!(a.files.len(), 4);
        for (x, y) in a.files.iter().zip(&b.files) {
            assert_eq!(x.name, y.name);
            assert_eq!(x.csv, y.csv);
        }
        assert_eq!(a.manifest, b.manifest);
        let other = generate(&Config { seed: 7, ..cfg });
        assert_ne!(a.files[0].csv, other.files[0].csv);
    }

    #[test]
    fn header_names_and_row_count() {
        let out = generate(&config("2019-03-01", "2019-03-10", 12));
        assert_eq!(out.files.len(), 12);
        assert_eq!(out.files[0].name, "PRSA_Data_Chengqu1_20190301-20190310.csv");
        assert_eq!(out.files[4].name, "PRSA_Data_Yuxian1_20190301-20190310.csv");
        for f in &out.files {
            assert!(f.csv.starts_with(&format!("{HEADER}\n")));
            assert!(f.csv.ends_with('\n') && !f.csv.ends_with("\n\n"));
            assert!(!f.csv.contains('\r'));
            let lines = parse(&f.csv);
            assert_eq!(lines.len(), f.rows);
            assert_eq!(f.rows + f.absent, 10 * 24);
            for (i, l) in lines.iter().enumerate() {
                assert_eq!(l.fields[0], (i + 1).to_string());
                assert!(l.hour < 24);
                assert_eq!(l.fields[17], STATIONS[f.station].name);
                assert!(l.fields[15] == "NA" || COMPASS.contains(&l.fields[15].as_str()));
                for (p, v) in l.values.iter().enumerate() {
                    let text = &l.fields[5 + p];
                    if let Some(v) = v {
                        assert!(*v >= 0.0, "{text}");
                        if matches!(p, PM25 | PM10 | CO) {
                            assert!(!text.contains('.'), "{text}");
                        } else {
                            assert!(text.split('.').nth(1).is_some_and(|d| d.len() == 1), "{text}");
                        }
                    }
                }
            }
        }
        // 城區二站 2019-03-05: rows for hours 2–4 absent.
        let lines = parse(file(&out, "Chengqu2"));
        let hours: Vec<u32> = lines.iter().filter(|l| l.date == (2019, 3, 5)).map(|l| l.hour).collect();
        assert_eq!(hours, [0, 1, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23]);
    }

    #[test]
    fn a_range_is_a_slice_of_a_longer_one() {
        let short = generate(&config("2019-01-14", "2019-01-17", 2));
        let long = generate(&config("2019-01-01", "2019-01-31", 2));
        for (s, l) in short.files.iter().zip(&long.files) {
            let strip = |csv: &str| -> Vec<String> {
                csv.lines().skip(1).map(|line| line.split_once(',').unwrap().1.to_string()).collect()
            };
            let (s, l) = (strip(&s.csv), strip(&l.csv));
            let at = l.iter().position(|x| x == &s[0]).unwrap();
            assert_eq!(s[..], l[at..at + s.len()]);
        }
    }

    #[test]
    fn planted_boundaries_hold_when_recounted() {
        let out = full();

        // 20 and 19 valid hourly PM2.5 values.
        let days = valid_hours(&parse(file(out, "Kuangqu1")), PM25);
        assert_eq!(days[&(2019, 1, 15)], 20);
        assert_eq!(days[&(2019, 1, 16)], 19);

        // 25 and 24 valid PM10 days in February.
        let days = valid_hours(&parse(file(out, "Jiaoqu1")), PM10);
        let february = |y: i64| days.iter().filter(|(d, n)| d.0 == y && d.1 == 2 && **n >= 20).count();
        assert_eq!(february(2018), 25);
        assert_eq!(february(2019), 24);

        // 324 and 323 valid PM2.5 days a year (a day with no row at all has no valid value).
        let days = valid_hours(&parse(file(out, "Chengqu1")), PM25);
        let year = |y: i64| days.iter().filter(|(d, n)| d.0 == y && **n >= 20).count();
        assert_eq!(year(2018), 324);
        assert_eq!(year(2019), 323);

        // PM10 daily means of exactly 150 and 3601/24.
        let lines = parse(file(out, "Pingding1"));
        let pm10 =
            |date| -> Vec<f64> { lines.iter().filter(|l| l.date == date).filter_map(|l| l.values[PM10]).collect() };
        assert_eq!(pm10((2019, 1, 20)), [150.0; 24]);
        let day = pm10((2019, 1, 21));
        assert_eq!(day.len(), 24);
        assert_eq!(day.iter().sum::<f64>(), 3601.0);
        assert_eq!(format!("{:.4}", day.iter().sum::<f64>() / 24.0), "150.0417");

        // 6 and 5 valid O3 hours in the window 10:00–17:00.
        let lines = parse(file(out, "Kaifaqu1"));
        let window = |date| {
            lines.iter().filter(|l| l.date == date && (10..=17).contains(&l.hour) && l.values[O3].is_some()).count()
        };
        assert_eq!(window((2019, 7, 10)), 6);
        assert_eq!(window((2019, 7, 11)), 5);
        assert_eq!(lines.iter().filter(|l| l.date == (2019, 7, 11)).count(), 24);

        // Odd cells: `NA` in wd, a PM2.5 of 0.
        let lines = parse(file(out, "Chengqu2"));
        let at = |date, hour| lines.iter().find(|l| l.date == date && l.hour == hour).unwrap();
        assert_eq!(at((2019, 4, 2), 6).fields[15], "NA");
        assert_eq!(at((2019, 4, 2), 6).fields[16], "0.0");
        assert_eq!(at((2019, 4, 3), 4).fields[5], "0");
        assert_eq!(at((2019, 4, 3), 5).fields[10], "0.0");
        let na: Vec<u32> =
            lines.iter().filter(|l| l.date == (2019, 3, 6) && l.values[NO2].is_none()).map(|l| l.hour).collect();
        assert_eq!(na, [8, 9, 10]);

        // The manifest lists every case.
        for needle in ["324 valid days", "323 valid days", "150.0417", "城區二站", "Kuangqu1"] {
            assert!(out.manifest.contains(needle), "{needle}");
        }
        assert_eq!(out.manifest.matches("\n| ").count() - 2 - out.files.len(), 14);
    }

    #[test]
    fn values_follow_the_seasons() {
        let out = full();
        for f in &out.files {
            let lines = parse(&f.csv);
            let mean = |p: usize, keep: &dyn Fn(&Line) -> bool| {
                let v: Vec<f64> = lines.iter().filter(|l| keep(l)).filter_map(|l| l.values[p]).collect();
                v.iter().sum::<f64>() / v.len() as f64
            };
            let winter = |l: &Line| matches!(l.date.1, 12 | 1);
            let summer = |l: &Line| matches!(l.date.1, 6..=8);
            for p in [PM25, PM10, SO2, CO] {
                assert!(mean(p, &winter) > 1.5 * mean(p, &summer), "{} {}", f.name, POLLUTANTS[p]);
            }
            let summer_afternoon = |l: &Line| summer(l) && (13..=16).contains(&l.hour);
            assert!(mean(O3, &summer_afternoon) > 2.0 * mean(O3, &winter), "{}", f.name);
        }
        let so2 = |ascii: &str| {
            let v: Vec<f64> = parse(file(out, ascii)).iter().filter_map(|l| l.values[SO2]).collect();
            v.iter().sum::<f64>() / v.len() as f64
        };
        assert!(so2("Yuxian1") > 1.4 * so2("Chengqu1"));
    }

    #[test]
    fn calendar() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(ymd(parse_date("2020-02-29").unwrap()), "2020-02-29");
        assert!(parse_date("2019-02-29").is_err());
        assert_eq!(last_of_february(2020) - day_of(2020, 2, 1), 28);
        for day in -1000..100_000 {
            let (y, m, d) = civil_from_days(day);
            assert_eq!(days_from_civil(y, m, d), day);
        }
    }
}
