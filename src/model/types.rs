//! The checked model's declarations: types, records, enums, parties, periods.
//!
//! These are plain owned data with no lifetimes, so salsa can store and compare them.

use crate::diagnostic::Span;
use crate::units::{Dim, Unit};
use crate::value::{Date, Value};
use std::sync::Arc;

/// Declares an id: the place of a declaration in the model's list of its kind, as a type of its
/// own, so that one kind of id is never taken for another or for a row.
macro_rules! id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub u32);

        impl $name {
            /// Its place, to index a list laid out in its order.
            pub fn index(self) -> usize {
                self.0 as usize
            }

            /// The id at place `i` of such a list.
            pub fn at(i: usize) -> $name {
                $name(i as u32)
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}
pub(crate) use id;

id! {
    /// A record kind: its place in [`crate::model::Model::records`] (and in every table of
    /// facts laid out by kind).
    RecordId
}

id! {
    /// An enum: its place in [`crate::model::Model::enums`].
    EnumId
}

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
    /// A moment in the plan's civil time (`2019-01-01T08:00`): an hourly reading's hour.
    DateTime,
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
    /// The values the field may take; a value outside is refused where the fact is read.
    pub range: ValueRange,
    pub origin: Origin,
}

/// The values a number, percentage, quantity or date field may take: the ends the policy
/// declares after the field's type, or the defaults of its type (quantities are not negative,
/// percentages run from 0% to 100%, dates lie within a century of the plan's period).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
pub struct ValueRange {
    pub low: Option<RangeBound>,
    pub high: Option<RangeBound>,
}

/// One end of a [`ValueRange`].
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct RangeBound {
    /// A number (a quantity in SI, a percentage as a fraction) or a date.
    pub value: Value,
    /// Whether the end itself is allowed.
    pub inclusive: bool,
    /// The end as the policy writes it (`0 mg/m3`, `100%`, `2019-01-01`), for messages.
    pub text: String,
    /// Written in the policy, rather than a default of the field's type.
    pub declared: bool,
}

impl ValueRange {
    /// Whether `v` lies within the range. Values of another kind (text, an enum) always do.
    pub fn admits(&self, v: &Value) -> bool {
        self.low.as_ref().is_none_or(|b| b.admits_as_low(v) != Some(false))
            && self.high.as_ref().is_none_or(|b| b.admits_as_high(v) != Some(false))
    }

    /// The end `v` falls outside of, if any.
    pub fn violated_by(&self, v: &Value) -> Option<&RangeBound> {
        if let Some(b) = &self.low
            && b.admits_as_low(v) == Some(false)
        {
            return Some(b);
        }
        self.high.as_ref().filter(|b| b.admits_as_high(v) == Some(false))
    }

    pub fn is_unbounded(&self) -> bool {
        self.low.is_none() && self.high.is_none()
    }

    /// The range in words: `>= 0 mg/m3`, `0% ..= 100%` (`<` and `>` for excluded ends).
    pub fn describe(&self) -> String {
        let op = |b: &RangeBound, low: bool| match (low, b.inclusive) {
            (true, true) => ">=",
            (true, false) => ">",
            (false, true) => "<=",
            (false, false) => "<",
        };
        match (&self.low, &self.high) {
            (Some(a), Some(b)) => format!("{} {} and {} {}", op(a, true), a.text, op(b, false), b.text),
            (Some(a), None) => format!("{} {}", op(a, true), a.text),
            (None, Some(b)) => format!("{} {}", op(b, false), b.text),
            (None, None) => "any value".into(),
        }
    }
}

impl RangeBound {
    /// As a lower end: whether `v` is at or above it. `None` when the two do not compare.
    fn admits_as_low(&self, v: &Value) -> Option<bool> {
        let o = compare(v, &self.value)?;
        Some(o.is_gt() || (self.inclusive && o.is_eq()))
    }

    /// As an upper end: whether `v` is at or below it.
    fn admits_as_high(&self, v: &Value) -> Option<bool> {
        let o = compare(v, &self.value)?;
        Some(o.is_lt() || (self.inclusive && o.is_eq()))
    }
}

fn compare(a: &Value, b: &Value) -> Option<std::cmp::Ordering> {
    match (a, b) {
        (Value::Num(x), Value::Num(y)) => Some(x.cmp(y)),
        (Value::Date(x), Value::Date(y)) => Some(x.cmp(y)),
        (Value::DateTime(x), Value::DateTime(y)) => Some(x.cmp(y)),
        _ => None,
    }
}

/// The typed schema of one fact kind.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct RecordDecl {
    pub name: String,
    pub label: Option<String>,
    pub fields: Vec<FieldDecl>,
    /// Index of the key field in `fields`. A record declared without `key` is known by where
    /// it was read: its key is a text field [`KEYLESS_KEY`] that readers fill with the file and
    /// line (`PRSA_Data_Gucheng.csv:25`), and no field can refer to one.
    pub key: usize,
    pub keyless: bool,
    /// Derived from another kind by grouping (`record … from KIND by …`): computed before each
    /// evaluation, never read from a fact file, never referred to. See `Model::derived`.
    pub derived: bool,
    /// How a raw export maps onto the record, if the policy says.
    pub source: Option<SourceDecl>,
    /// Index of the date field that says when a record became true, if any. Records dated
    /// after the as-of date are not yet known, and aggregates `during` a period filter on it.
    pub dated: Option<usize>,
    pub origin: Origin,
}

impl RecordDecl {
    pub fn field(&self, name: &str) -> Option<usize> {
        self.fields.iter().position(|f| f.name == name)
    }

    /// The fields a fact file may write: all but the key of a record without one.
    pub fn written_fields(&self) -> impl Iterator<Item = &FieldDecl> + Clone {
        self.fields.iter().enumerate().filter(|(i, _)| !(self.keyless && *i == self.key)).map(|(_, f)| f)
    }
}

/// The name of the key of a record declared without one: its file and line. Not a name a
/// policy can write, so it cannot be read as a field.
pub const KEYLESS_KEY: &str = "(file:line)";

/// The name of the key of a record derived by more than one group field: the group's values
/// (`城區一站, 2019-01-01`).
pub const GROUP_KEY: &str = "(group)";

/// How a raw export maps onto a record kind (`source "PRSA_Data_*.csv" { … }`).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
pub struct SourceDecl {
    /// Patterns of files that hold this kind whatever their name: `*` stands for any run of
    /// characters, `?` for one; a pattern with `/` names folders too (see [`SourceDecl::holds`]).
    pub files: Vec<String>,
    /// Cell texts that mean no value, besides an empty cell (`NA`, `-`, `—`).
    pub missing: Vec<String>,
    /// Columns read past.
    pub ignore: Vec<String>,
    /// Columns read as a field under another name: (column, field).
    pub renames: Vec<(String, usize)>,
    /// Date and datetime fields built from split columns: the field, and the columns of its
    /// year, month, day and (for a datetime) hour, minute and second, as many as are given.
    pub built: Vec<(usize, Vec<String>)>,
}

impl SourceDecl {
    /// Whether a file matches one of the patterns: a pattern without `/` is matched against
    /// the file's name (`PRSA_Data_*.csv`), one with `/` against as many of the last parts of
    /// its path as the pattern has (`讀數/*.parquet`, a table of files in a folder;
    /// `exports/*/PRSA_*.csv`). `\` in the path is read as `/`.
    pub fn holds(&self, path: &str) -> bool {
        let path = path.replace('\\', "/");
        let parts: Vec<&str> = path.split('/').filter(|p| !p.is_empty() && *p != ".").collect();
        self.files.iter().any(|pattern| {
            let wanted = pattern.split('/').filter(|p| !p.is_empty()).count().max(1);
            let tail = parts.len().saturating_sub(wanted);
            parts.len() >= wanted && glob(pattern.trim_matches('/'), &parts[tail..].join("/"))
        })
    }
    /// Whether a cell's text, trimmed, means no value.
    pub fn is_missing(&self, text: &str) -> bool {
        !self.missing.is_empty() && self.missing.iter().any(|m| m.trim() == text.trim())
    }
}

/// Matches `name` against `pattern`, where `*` is any run of characters and `?` one.
pub fn glob(pattern: &str, name: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    // The classic two-pointer match with one backtrack point: linear in practice, never
    // exponential.
    let (mut i, mut j) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while j < n.len() {
        if i < p.len() && (p[i] == '?' || p[i] == n[j]) {
            i += 1;
            j += 1;
        } else if i < p.len() && p[i] == '*' {
            star = Some((i, j));
            i += 1;
        } else if let Some((si, sj)) = star {
            i = si + 1;
            j = sj + 1;
            star = Some((si, sj + 1));
        } else {
            return false;
        }
    }
    p[i..].iter().all(|&c| c == '*')
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

#[cfg(test)]
mod tests {
    use super::*;

    fn source(files: &[&str]) -> SourceDecl {
        SourceDecl { files: files.iter().map(|f| f.to_string()).collect(), ..SourceDecl::default() }
    }

    #[test]
    fn a_source_pattern_matches_a_file_name_or_the_end_of_its_path() {
        let by_name = source(&["PRSA_Data_*.csv"]);
        assert!(by_name.holds("exports/PRSA_Data_Gucheng.csv"));
        assert!(by_name.holds("PRSA_Data_Gucheng.csv"));
        assert!(!by_name.holds("PRSA_Data_Gucheng.csv/other.csv"));
        let by_folder = source(&["讀數/*.parquet"]);
        assert!(by_folder.holds("facts/讀數/part-0.parquet"));
        assert!(by_folder.holds("讀數/part-0.parquet"));
        assert!(by_folder.holds("facts\\讀數\\part-0.parquet"));
        assert!(!by_folder.holds("facts/讀數2/part-0.parquet"));
        assert!(!by_folder.holds("part-0.parquet"), "a pattern with a folder needs the folder");
        let deeper = source(&["exports/*/PRSA_*.csv"]);
        assert!(deeper.holds("/data/exports/2019/PRSA_Data_Gucheng.csv"));
        assert!(!deeper.holds("/data/exports/PRSA_Data_Gucheng.csv"));
    }
}
