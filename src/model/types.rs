//! The checked model's declarations: types, records, enums, parties, periods.
//!
//! These are plain owned data with no lifetimes, so salsa can store and compare them.

use crate::diagnostic::Span;
use crate::units::{Dim, Unit};
use crate::value::Date;
use std::sync::Arc;

pub type RecordId = u32;
pub type EnumId = u32;

/// Where a declaration was written: file path and span.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Origin {
    pub file: Arc<str>,
    pub span: Span,
}

/// The static type of an expression or field.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Ty {
    Bool,
    Text,
    Number,
    /// A quantity of a dimension; its values are exact decimals in SI.
    Quantity(Dim),
    /// A fraction, written `40%` and stored as `0.4`.
    Percent,
    Date,
    Duration,
    Enum(EnumId),
    /// A record of the given kind.
    Ref(RecordId),
    List(Box<Ty>),
    /// A declared party (department or government).
    Party,
    /// A record kind itself, as the first argument of an aggregate.
    Kind(RecordId),
    /// A named period, as the argument of `during`.
    Period,
    /// A stretch of days (one occurrence of `every month`, the plan's period), both ends included.
    Interval,
    /// The type of an expression that already had an error; compatible with everything.
    Error,
}

/// A calendar duration: `20 workdays`, `12 months`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Duration {
    pub amount: i64,
    pub unit: DurationUnit,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DurationUnit {
    Day,
    Week,
    Month,
    Year,
    Workday,
}

impl DurationUnit {
    pub fn name(self) -> &'static str {
        match self {
            DurationUnit::Day => "days",
            DurationUnit::Week => "weeks",
            DurationUnit::Month => "months",
            DurationUnit::Year => "years",
            DurationUnit::Workday => "workdays",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct EnumDecl {
    pub name: String,
    pub variants: Vec<String>,
    pub origin: Origin,
}

/// A field of a record kind.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct FieldDecl {
    pub name: String,
    pub ty: Ty,
    /// For quantity fields: the unit a bare number in a fact file is read in.
    pub unit: Option<Unit>,
    /// An optional field may be absent, and its absence means something (a completion date
    /// not yet reached). A required field that is absent makes the verdicts reading it `unknown`.
    pub optional: bool,
    pub origin: Origin,
}

/// The typed schema of one fact kind.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct RecordDecl {
    pub name: String,
    pub label: Option<String>,
    pub fields: Vec<FieldDecl>,
    /// Index of the key field in `fields`.
    pub key: usize,
    /// Index of the date field that says when a record became true, if any. Records dated
    /// after the as-of date are not yet known, and aggregates `during` a period filter on it.
    pub dated: Option<usize>,
    pub origin: Origin,
}

impl RecordDecl {
    pub fn field(&self, name: &str) -> Option<usize> {
        self.fields.iter().position(|f| f.name == name)
    }
}

/// A named set of date intervals, each inclusive at both ends.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PeriodDecl {
    pub name: String,
    pub ranges: Vec<(Date, Date)>,
    pub origin: Origin,
}

impl PeriodDecl {
    pub fn contains(&self, d: Date) -> bool {
        self.ranges.iter().any(|&(a, b)| a <= d && d <= b)
    }
}
