//! Runtime values shared by the fact store and the evaluator.
//!
//! Values are small and cheap to clone: text is interned behind `Arc<str>`, quantities are
//! exact decimals in the SI unit of their dimension, dates are days since 1970-01-01.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use std::sync::Arc;

/// A calendar date as days since 1970-01-01 (the plan's civil time zone).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Date(pub i32);

/// 1970-01-01, day 0, counted from 0001-01-01 as day 1 (chrono's `num_days_from_ce`).
const EPOCH_DAYS_FROM_CE: i32 = 719_163;

impl Date {
    pub fn from_ymd(y: i32, m: u32, d: u32) -> Option<Date> {
        NaiveDate::from_ymd_opt(y, m, d).map(Date::from_naive)
    }
    /// The day number of `d`: its days since 0001-01-01 less those of 1970-01-01 (a
    /// subtraction of counts chrono holds, not of two dates).
    pub fn from_naive(d: NaiveDate) -> Date {
        Date(chrono::Datelike::num_days_from_ce(&d) - EPOCH_DAYS_FROM_CE)
    }
    pub fn naive(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(1970, 1, 1).expect("epoch") + chrono::Duration::days(self.0 as i64)
    }
    pub fn add_days(self, n: i32) -> Date {
        Date(self.0 + n)
    }
    /// Reads `YYYY-MM-DD`.
    pub fn parse_iso(s: &str) -> Option<Date> {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").ok().map(Date::from_naive)
    }
}

impl Date {
    /// The year, month and day, by the proleptic Gregorian calendar (days to civil date as in
    /// H. Hinnant's `civil_from_days`): exact for every `i32` day count, and much cheaper
    /// than going through chrono when hundreds of thousands of dates are written.
    pub fn ymd(self) -> (i64, u32, u32) {
        let z = i64::from(self.0) + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
        let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
        let y = yoe + era * 400 + i64::from(m <= 2);
        (y, m, d)
    }
}

/// Writes `n` (below 10^width) as `width` decimal digits into `out`.
fn digits(out: &mut [u8], mut n: u32) {
    for b in out.iter_mut().rev() {
        *b = b'0' + (n % 10) as u8;
        n /= 10;
    }
}

impl std::fmt::Display for Date {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (y, m, d) = self.ymd();
        match y {
            0..=9999 => {
                let mut b = *b"0000-00-00";
                digits(&mut b[0..4], y as u32);
                digits(&mut b[5..7], m);
                digits(&mut b[8..10], d);
                f.write_str(std::str::from_utf8(&b).expect("ASCII digits"))
            }
            // `%Y` as chrono writes it: four digits at least, a sign outside 0000–9999.
            _ => write!(f, "{}", self.naive().format("%Y-%m-%d")),
        }
    }
}

/// A moment as civil time in the plan's time zone: seconds since 1970-01-01T00:00. An hourly
/// reading's `2019-01-01T08:00` is the hour that begins then.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DateTime(pub i64);

impl DateTime {
    const DAY: i64 = 86_400;

    pub fn new(date: Date, hour: u32, minute: u32, second: u32) -> Option<DateTime> {
        if hour > 23 || minute > 59 || second > 59 {
            return None;
        }
        Some(DateTime(date.0 as i64 * Self::DAY + (hour * 3600 + minute * 60 + second) as i64))
    }
    /// The civil date the moment falls on.
    pub fn date(self) -> Date {
        Date(self.0.div_euclid(Self::DAY) as i32)
    }
    /// Seconds since the start of its day.
    fn second_of_day(self) -> u32 {
        self.0.rem_euclid(Self::DAY) as u32
    }
    pub fn hour(self) -> u32 {
        self.second_of_day() / 3600
    }
    pub fn minute(self) -> u32 {
        self.second_of_day() / 60 % 60
    }
    pub fn second(self) -> u32 {
        self.second_of_day() % 60
    }
    /// Reads `YYYY-MM-DDTHH:MM` or `YYYY-MM-DDTHH:MM:SS`, civil time without an offset (a space
    /// may stand for the `T`).
    pub fn parse_civil(s: &str) -> Option<DateTime> {
        let (d, t) = s.split_once(['T', ' '])?;
        let date = Date::parse_iso(d)?;
        let mut parts = t.split(':');
        let mut next = |len_ok: bool| -> Option<Option<u32>> {
            match parts.next() {
                None if len_ok => Some(None),
                None => None,
                Some(p) if p.len() == 2 && p.bytes().all(|b| b.is_ascii_digit()) => Some(p.parse().ok()),
                Some(_) => None,
            }
        };
        let hour = next(false)??;
        let minute = next(false)??;
        let second = next(true)?.unwrap_or(0);
        if parts.next().is_some() {
            return None;
        }
        DateTime::new(date, hour, minute, second)
    }
}

impl std::fmt::Display for DateTime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(&self.date(), f)?;
        let mut b = *b"T00:00:00";
        digits(&mut b[1..3], self.hour());
        digits(&mut b[4..6], self.minute());
        digits(&mut b[7..9], self.second());
        let len = if self.second() != 0 { 9 } else { 6 };
        f.write_str(std::str::from_utf8(&b[..len]).expect("ASCII digits"))
    }
}

/// One value of a fact field or an expression.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Value {
    Bool(bool),
    /// A plain number, a percent (stored as a fraction: 40% is 0.4) or a quantity in SI.
    Num(Decimal),
    Text(Arc<str>),
    Date(Date),
    /// A moment in the plan's civil time.
    DateTime(DateTime),
    /// A calendar duration.
    Duration(crate::model::Duration),
    /// An enum variant, by index into its enum's variants.
    Enum(u32),
    /// A record, by kind and row.
    Ref(crate::model::RecordId, u32),
    /// A declared party, by index.
    Party(crate::model::PartyId),
    /// A stretch of days, both ends included: one month of `every month`, the plan period.
    Interval(Date, Date),
    List(Arc<[Value]>),
}

impl Value {
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }
    pub fn as_num(&self) -> Option<Decimal> {
        match self {
            Value::Num(n) => Some(*n),
            _ => None,
        }
    }
    /// A date, or the day a moment falls on.
    pub fn as_date(&self) -> Option<Date> {
        match self {
            Value::Date(d) => Some(*d),
            Value::DateTime(t) => Some(t.date()),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Datelike;

    /// The civil-date arithmetic agrees with chrono on every day of years 0000–9999 and on a
    /// sample far outside them, and writes what chrono's `%Y-%m-%d` writes.
    #[test]
    fn dates_are_written_as_chrono_writes_them() {
        let first = Date::from_ymd(0, 1, 1).unwrap().0;
        let last = Date::from_ymd(9999, 12, 31).unwrap().0;
        let far = (-3_000_000..3_000_000).step_by(997);
        for day in (first..=last).chain(far) {
            let date = Date(day);
            let n = date.naive();
            assert_eq!(date.ymd(), (i64::from(n.year()), n.month(), n.day()), "day {day}");
            assert_eq!(date.to_string(), n.format("%Y-%m-%d").to_string(), "day {day}");
        }
    }

    /// A date's day number is the days since 1970-01-01, as subtracting the two dates gives it.
    #[test]
    fn day_numbers_count_from_1970() {
        let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).unwrap();
        assert_eq!(epoch.num_days_from_ce(), EPOCH_DAYS_FROM_CE);
        let far = (-3_000_000..3_000_000).step_by(997).map(|d| epoch + chrono::Duration::days(d));
        let near = (0..=4_000).map(|d| NaiveDate::from_ymd_opt(1900, 1, 1).unwrap() + chrono::Duration::days(d * 37));
        for n in far.chain(near).chain([NaiveDate::MIN, NaiveDate::MAX]) {
            assert_eq!(i64::from(Date::from_naive(n).0), (n - epoch).num_days(), "{n}");
            assert_eq!(Date::from_naive(n).naive(), n, "{n}");
        }
    }

    #[test]
    fn datetimes_show_seconds_only_when_there_are_some() {
        let day = Date::from_ymd(2019, 1, 1).unwrap();
        assert_eq!(DateTime::new(day, 8, 0, 0).unwrap().to_string(), "2019-01-01T08:00");
        assert_eq!(DateTime::new(day, 23, 59, 7).unwrap().to_string(), "2019-01-01T23:59:07");
        assert_eq!(DateTime(-1).to_string(), "1969-12-31T23:59:59");
    }
}
