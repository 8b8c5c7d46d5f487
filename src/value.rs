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
        write!(f, "{}", self.naive().format("%Y-%m-%d"))
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
    pub fn as_date(&self) -> Option<Date> {
        match self {
            Value::Date(d) => Some(*d),
            _ => None,
        }
    }
}
