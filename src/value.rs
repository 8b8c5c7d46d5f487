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

impl Date {
    pub fn from_ymd(y: i32, m: u32, d: u32) -> Option<Date> {
        NaiveDate::from_ymd_opt(y, m, d).map(Date::from_naive)
    }
    pub fn from_naive(d: NaiveDate) -> Date {
        Date((d - NaiveDate::from_ymd_opt(1970, 1, 1).expect("epoch")).num_days() as i32)
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

impl std::fmt::Display for Date {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use chrono::Datelike;
        let d = self.naive();
        // `%Y` as chrono writes it: four digits at least, a sign outside 0000–9999.
        match d.year() {
            y @ 0..=9999 => write!(f, "{y:04}-{:02}-{:02}", d.month(), d.day()),
            _ => write!(f, "{}", d.format("%Y-%m-%d")),
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
        write!(f, "{}T{:02}:{:02}", self.date(), self.hour(), self.minute())?;
        if self.second() != 0 {
            write!(f, ":{:02}", self.second())?;
        }
        Ok(())
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
    Ref(u32, u32),
    /// A declared party, by index.
    Party(u32),
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
