//! Reading one written value as the type its field declares.
//!
//! The readers hand values here as [`Raw`] scalars: JSON strings, numbers and literals, and
//! CSV cells (always strings); a Parquet file's numbers, days and moments may come as they are
//! held instead ([`typed`]), and are then the values their text would be. Conversion is exact:
//! numbers are parsed digit by digit into a [`Decimal`], and any input that cannot be held
//! exactly is an error rather than a rounding.

use super::diag::{clip, did_you_mean};
use super::{Cell, Schema, key_text, list};
use crate::diagnostic::Span;
use crate::model::{EnumId, FieldDecl, PartyId, RecordId, Ty};
use crate::units::{Dim, UnitError};
use crate::value::{Date, Value};
use rust_decimal::Decimal;

/// One value as a fact file wrote it.
#[derive(Clone, Copy, Debug)]
pub(super) enum Scalar<'t> {
    /// A JSON string (unescaped) or a CSV cell (unquoted).
    Str(&'t str),
    /// A JSON number, already checked against the JSON grammar.
    Num(&'t str),
    Bool(bool),
    Null,
    /// A JSON array or object where a plain value belongs: `"an array"` or `"an object"`.
    Nested(&'static str),
}

#[derive(Clone, Copy, Debug)]
pub(super) struct Raw<'t> {
    pub scalar: Scalar<'t>,
    /// Where the value is written, quotes included.
    pub span: Span,
    /// The offset in the file of the first byte of a `Str`, when the file holds the text
    /// verbatim (no escapes), so an error can point inside it, at a unit for instance.
    pub verbatim_at: Option<u32>,
}

/// Why a value was not accepted, ready to become a diagnostic. Boxed: a conversion's result
/// is returned by value for every cell read, and is then the size of its value, not of this.
pub(super) type Bad = Box<BadValue>;

/// What [`Bad`] holds.
#[derive(Debug)]
pub(super) struct BadValue {
    pub code: &'static str,
    pub span: Span,
    pub message: String,
    pub label: String,
    pub help: String,
}

/// Reads `raw` as a value of `field`. `Ok(None)` is an absent value: JSON `null`, an empty
/// string or an empty CSV cell. Surrounding whitespace is never part of a value, so a key
/// exported as `"K1 "` still matches a reference to `K1`.
pub(super) fn convert(schema: &Schema<'_>, field: &FieldDecl, raw: &Raw<'_>) -> Result<Option<Cell>, Bad> {
    let text = match raw.scalar {
        Scalar::Null => return Ok(None),
        Scalar::Str(s) => {
            let t = trim(s);
            if t.is_empty() {
                return Ok(None);
            }
            t
        }
        Scalar::Num(n) => n,
        Scalar::Bool(_) | Scalar::Nested(_) => "",
    };
    let cx = Cx { schema, field, raw, text };
    let value = match &field.ty {
        Ty::Text => match raw.scalar {
            Scalar::Str(_) | Scalar::Num(_) => Value::Text(text.into()),
            _ => return Err(cx.mismatch()),
        },
        Ty::Number => Value::Num(cx.number(text)?),
        Ty::Percent => Value::Num(cx.percent()?),
        Ty::Quantity(dim) => Value::Num(cx.quantity(*dim)?),
        Ty::Bool => Value::Bool(cx.bool()?),
        Ty::Date => Value::Date(cx.date()?),
        Ty::DateTime => Value::DateTime(cx.datetime()?),
        Ty::Enum(e) => Value::Enum(cx.variant(*e)?),
        Ty::Ref(kind) => return cx.reference(*kind).map(Some),
        Ty::Party => Value::Party(cx.party()?),
        Ty::Duration | Ty::List(_) | Ty::Kind(_) | Ty::Period | Ty::Interval | Ty::Error => {
            return Err(cx.unsupported());
        }
    };
    // A value of the right type can still be impossible: a negative concentration, a share of
    // 120%, a completion date of 0000-01-01. Comparing it with a limit would give a verdict
    // that looks right, so it is refused like any value that cannot be read.
    if let Some(end) = field.range.violated_by(&value) {
        return Err(cx.out_of_range(end, &value));
    }
    Ok(Some(Cell::Value(value)))
}

/// A value read from a typed column (a Parquet file's numbers, days and moments) without
/// writing it as text first: what [`convert`] gives for the text the column's value is written
/// as, when that text is a value of `field`. `None` sends the cell the way of its text, which
/// says why it is not a value (a number with too many digits, a day not in the calendar, a
/// value out of the field's range); the caller also sends there any cell whose text could be a
/// token the record's source reads as no value. `tests::typed_values_are_the_values_of_their_text`
/// holds the two ways to the same values.
#[cfg(feature = "parquet")]
pub(super) fn typed(field: &FieldDecl, typed: Typed) -> Option<Value> {
    let value = match (typed, &field.ty) {
        (Typed::Exact(m, scale), Ty::Number | Ty::Percent | Ty::Quantity(_)) => {
            let n = normalized(m, scale)?;
            Value::Num(match &field.ty {
                Ty::Percent => shift_scale(n, 2)?,
                Ty::Quantity(dim) => match &field.unit {
                    None if dim.is_none() => n,
                    None => return None,
                    Some(u) if u.dim != *dim => return None,
                    Some(u) => match u.to_si(n) {
                        Some(si) if si.is_zero() && !n.is_zero() => return None,
                        Some(si) => si.normalize(),
                        None => return None,
                    },
                },
                _ => n,
            })
        }
        (Typed::Day(d), Ty::Date) if plain_year(d) => Value::Date(d),
        (Typed::Moment(t), Ty::DateTime) if plain_year(t.date()) => Value::DateTime(t),
        _ => return None,
    };
    match field.range.violated_by(&value) {
        Some(_) => None,
        None => Some(value),
    }
}

/// A value of a typed column ([`typed`]).
#[cfg(feature = "parquet")]
#[derive(Clone, Copy, Debug)]
pub(super) enum Typed {
    /// The number `m / 10^scale`, as a decimal column holds it (a whole number at scale 0).
    Exact(i128, u32),
    /// A day, as a date column holds it.
    Day(Date),
    /// A moment of civil time, to the second, as a timestamp column without a time zone holds it.
    Moment(crate::value::DateTime),
}

/// Whether `d` falls in a year of four digits: its text is then `YYYY-MM-DD`, which is read
/// back as the same day.
#[cfg(feature = "parquet")]
fn plain_year(d: Date) -> bool {
    (1000..=9999).contains(&d.ymd().0)
}

/// The key text of a reference to a `target` record whose key is text, as [`convert`] would
/// give it in a [`Cell::UnresolvedRef`], borrowed: `Some(None)` for an absent value, `None`
/// when the value must go through [`convert`] (a key of another type, or a value that is no
/// key at all).
pub(super) fn plain_reference<'t>(schema: &Schema<'_>, target: RecordId, raw: &Raw<'t>) -> Option<Option<&'t str>> {
    let text = match raw.scalar {
        Scalar::Null => return Some(None),
        Scalar::Str(s) => match trim(s) {
            "" => return Some(None),
            t => t,
        },
        Scalar::Num(n) => n,
        Scalar::Bool(_) | Scalar::Nested(_) => return None,
    };
    let target = schema.records.get(target.index())?;
    match target.fields.get(target.key) {
        Some(key) if !matches!(key.ty, Ty::Text | Ty::Ref(_)) => None,
        _ => Some(Some(text)),
    }
}

/// One conversion: the field, the value as written, and its trimmed text.
struct Cx<'a, 't> {
    schema: &'a Schema<'a>,
    field: &'a FieldDecl,
    raw: &'a Raw<'t>,
    text: &'t str,
}

impl Cx<'_, '_> {
    /// The span of `part`, a subslice of `self.text`, when the file holds it verbatim.
    fn span_of(&self, part: &str) -> Span {
        let (base, at) = match self.raw.scalar {
            Scalar::Num(n) => (n, Some(self.raw.span.start)),
            Scalar::Str(s) => (s, self.raw.verbatim_at),
            _ => return self.raw.span,
        };
        let offset = (part.as_ptr() as usize).wrapping_sub(base.as_ptr() as usize);
        match at {
            Some(a) if offset + part.len() <= base.len() => {
                let start = a + offset as u32;
                Span { start, end: start + part.len() as u32 }
            }
            _ => self.raw.span,
        }
    }

    fn bad(&self, code: &'static str, span: Span, message: String, help: String) -> Bad {
        Box::new(BadValue { code, span, message, label: format!("`{}` is {}", self.field.name, self.expected()), help })
    }

    /// `bad-value`: the value is not of the field's type.
    fn mismatch(&self) -> Bad {
        let message = format!("expected {}, found {}", self.expected(), self.found());
        let help = match half_width(self.text) {
            // Digits typed with a Chinese input method in full-width mode.
            Some(ascii) if matches!(self.field.ty, Ty::Number | Ty::Percent | Ty::Quantity(_) | Ty::Date) => {
                format!("`{}` is written in full-width characters; write `{}` instead", clip(self.text), clip(&ascii))
            }
            _ => self.help(),
        };
        self.bad("bad-value", self.raw.span, message, help)
    }

    fn found(&self) -> String {
        match self.raw.scalar {
            Scalar::Str(_) | Scalar::Num(_) => format!("`{}`", clip(self.text)),
            Scalar::Bool(b) => format!("`{b}`"),
            Scalar::Null => "`null`".into(),
            Scalar::Nested(what) => what.into(),
        }
    }

    /// What the field's type accepts, for "expected …".
    fn expected(&self) -> String {
        match &self.field.ty {
            Ty::Bool => "a yes/no value".into(),
            Ty::Text => "text".into(),
            Ty::Number => "a number".into(),
            Ty::Percent => "a percentage like `12%`".into(),
            Ty::Quantity(dim) => match &self.field.unit {
                Some(u) => format!("a quantity in `{}`", u.name),
                None => format!("a quantity of dimension `{dim}`"),
            },
            Ty::Date => "a date like `2019-09-30`".into(),
            Ty::DateTime => "a datetime like `2019-09-30T08:00`".into(),
            Ty::Enum(e) => match self.schema.enums.get(e.index()) {
                Some(e) => format!("a `{}` value", e.name),
                None => "an enum value".into(),
            },
            Ty::Ref(k) => match self.schema.records.get(k.index()) {
                Some(r) => format!("the key of a `{}` record", r.name),
                None => "a record key".into(),
            },
            Ty::Party => "the name of a declared party".into(),
            Ty::Duration | Ty::List(_) | Ty::Kind(_) | Ty::Period | Ty::Interval | Ty::Error => {
                "a value of a type facts cannot hold".into()
            }
        }
    }

    fn help(&self) -> String {
        match &self.field.ty {
            Ty::Bool => "write `true` or `false` (`是`/`否` and `yes`/`no` are read too)".into(),
            Ty::Text => "write the text as a string".into(),
            Ty::Number => "write a plain decimal number such as `12.5`, without unit or thousands separators".into(),
            Ty::Percent => "write `12%` or `12`: the field is a percentage, so both mean twelve percent".into(),
            Ty::Quantity(dim) => match &self.field.unit {
                Some(u) => format!("write a number in `{}`, or a number with its unit such as `0.215 g/m3`", u.name),
                None => format!("write a number with a unit of dimension `{dim}`"),
            },
            Ty::Date => "write the date as `2019-09-30`, `2019/9/30`, `2019.9.30` or `2019年9月30日`".into(),
            Ty::DateTime => "write `2019-09-30T08:00` (or `2019-09-30 08:00`) in the plan's time, or a datetime \
                             with its offset such as `2019-09-30T08:00:00+08:00`"
                .into(),
            Ty::Enum(e) => match self.schema.enums.get(e.index()) {
                Some(e) => {
                    let suggestion = did_you_mean(self.text, e.variants.iter().map(String::as_str));
                    let variants = list(e.variants.iter().map(String::as_str));
                    match suggestion {
                        Some(s) => format!("did you mean `{s}`? `{}` is one of {variants}", e.name),
                        None => format!("`{}` is one of {variants}, written exactly", e.name),
                    }
                }
                None => "the enum of this field is not declared".into(),
            },
            Ty::Ref(k) => match self.schema.records.get(k.index()) {
                Some(r) => match r.fields.get(r.key) {
                    Some(key) => format!("write the `{}` of a `{}` record", key.name, r.name),
                    None => format!("write the key of a `{}` record", r.name),
                },
                None => "the record kind of this field is not declared".into(),
            },
            Ty::Party => match did_you_mean(self.text, self.schema.parties.iter().map(|p| p.name.as_str())) {
                Some(s) => format!("did you mean `{s}`? write a party's name as the policy declares it"),
                None => "write a party's name as the policy declares it (`party NAME`)".into(),
            },
            Ty::Duration | Ty::List(_) | Ty::Kind(_) | Ty::Period | Ty::Interval | Ty::Error => {
                "declare the field as text, number, quantity, percent, yes/no, date, enum, party or reference".into()
            }
        }
    }

    /// `value-out-of-range`: the value lies outside the field's range, past `end`.
    fn out_of_range(&self, end: &crate::model::RangeBound, value: &Value) -> Bad {
        let field = &self.field.name;
        let range = self.field.range.describe();
        let low = self.field.range.low.as_ref() == Some(end);
        let side = match (low, end.inclusive) {
            (true, true) => "below",
            (true, false) => "at or below",
            (false, true) => "above",
            (false, false) => "at or above",
        };
        let found = match value {
            Value::Date(d) => format!("`{d}`"),
            Value::DateTime(t) => format!("`{t}`"),
            _ => self.found(),
        };
        let message = format!("{found} is {side} {}, outside the range of `{field}`", end.text);
        let help = if end.declared {
            format!(
                "`{field}` takes values {range}, as the policy's record declares; correct the value, or the record if the value is real"
            )
        } else {
            let why = match &self.field.ty {
                Ty::Quantity(_) => "a quantity is not negative unless its field says so",
                Ty::Percent => "a percentage is a share from 0% to 100% unless its field says so",
                Ty::Date => "a date lies within a century of the plan's period unless its field says so",
                _ => "this is the default of the field's type",
            };
            let example = match &self.field.ty {
                Ty::Quantity(_) => match &self.field.unit {
                    Some(u) => format!("`{field}: {} >= -100 {}`", u.name, u.name),
                    None => format!("`{field}: … >= …`"),
                },
                Ty::Percent => format!("`{field}: percent in -100% .. 500%`"),
                Ty::Date => format!("`{field}: date >= 1900-01-01`"),
                _ => format!("`{field}: … in … .. …`"),
            };
            format!(
                "`{field}` takes values {range}: {why}; correct the value, or if such values are real, declare the field's range in the record: {example}"
            )
        };
        Box::new(BadValue {
            code: "value-out-of-range",
            span: self.raw.span,
            message,
            label: format!("`{field}` takes values {range}"),
            help,
        })
    }

    fn unsupported(&self) -> Bad {
        let message =
            format!("field type not supported in facts: `{}` cannot be read from a fact file", self.field.name);
        self.bad("bad-value", self.raw.span, message, self.help())
    }

    /// A plain number from a JSON number or a numeric string.
    fn number(&self, text: &str) -> Result<Decimal, Bad> {
        if !matches!(self.raw.scalar, Scalar::Str(_) | Scalar::Num(_)) {
            return Err(self.mismatch());
        }
        parse_decimal(text).map_err(|e| self.num_error(e, text))
    }

    fn num_error(&self, e: NumError, text: &str) -> Bad {
        let help = "writ holds numbers exactly, with at most 28 decimal places and magnitudes below 7.9e28".to_string();
        match e {
            NumError::Syntax => self.mismatch(),
            NumError::TooLarge => {
                self.bad("number-out-of-range", self.span_of(text), format!("`{}` is too large", clip(text)), help)
            }
            NumError::TooPrecise => self.bad(
                "number-out-of-range",
                self.span_of(text),
                format!("`{}` has more digits than can be held exactly", clip(text)),
                help,
            ),
        }
    }

    /// A percentage, stored as a fraction: `12%`, `"12"` and `12` are all `0.12`, since the
    /// field is declared a percentage.
    fn percent(&self) -> Result<Decimal, Bad> {
        let digits = self.text.strip_suffix(['%', '％']).map_or(self.text, str::trim_end);
        let n = self.number(digits)?;
        shift_scale(n, 2).ok_or_else(|| self.num_error(NumError::TooPrecise, self.text))
    }

    /// A quantity in the SI unit of its dimension: a bare number is in the field's unit, a
    /// string may carry its own (`0.215 g/m3`).
    fn quantity(&self, dim: Dim) -> Result<Decimal, Bad> {
        let (num, unit_text) = match self.raw.scalar {
            Scalar::Str(_) => split_number(self.text),
            _ => (self.text, ""),
        };
        if num.is_empty() {
            return Err(self.mismatch());
        }
        let n = self.number(num)?;
        let parsed;
        let unit = if unit_text.is_empty() {
            match &self.field.unit {
                Some(u) => u,
                None if dim.is_none() => return Ok(n),
                None => {
                    let message = format!("expected a quantity of dimension `{dim}`, found the bare number `{num}`");
                    return Err(self.bad("bad-value", self.raw.span, message, self.help()));
                }
            }
        } else {
            match self.schema.units.parse(unit_text) {
                Ok(u) => {
                    parsed = u;
                    &parsed
                }
                Err(e) => {
                    let found = match e {
                        UnitError::Unknown(_) | UnitError::Empty => format!("unknown unit `{}`", clip(unit_text)),
                        other => other.to_string(),
                    };
                    let message = format!("expected {}, found {found}", self.expected());
                    return Err(self.bad("bad-value", self.span_of(unit_text), message, self.help()));
                }
            }
        };
        if unit.dim != dim {
            let declared = match &self.field.unit {
                Some(u) => format!("`{}` (dimension `{dim}`)", u.name),
                None => format!("dimension `{dim}`"),
            };
            let message =
                format!("expected a quantity in {declared}, found `{}` (dimension `{}`)", clip(unit_text), unit.dim);
            let help =
                format!("convert the value to a unit of dimension `{dim}`; units of other dimensions do not convert");
            return Err(self.bad("unit-mismatch", self.span_of(unit_text), message, help));
        }
        // `checked_mul` rounds a product that needs more than 28 decimal places; a non-zero
        // value rounding to zero would turn a measurement into a zero, so that is an error.
        match unit.to_si(n) {
            Some(si) if si.is_zero() && !n.is_zero() => Err(self.num_error(NumError::TooPrecise, self.text)),
            Some(si) => Ok(si.normalize()),
            None => Err(self.num_error(NumError::TooLarge, self.text)),
        }
    }

    fn bool(&self) -> Result<bool, Bad> {
        if let Scalar::Bool(b) = self.raw.scalar {
            return Ok(b);
        }
        if !matches!(self.raw.scalar, Scalar::Str(_)) {
            return Err(self.mismatch());
        }
        let t = self.text;
        if ["true", "yes"].iter().any(|w| t.eq_ignore_ascii_case(w)) || t == "是" {
            Ok(true)
        } else if ["false", "no"].iter().any(|w| t.eq_ignore_ascii_case(w)) || t == "否" {
            Ok(false)
        } else {
            Err(self.mismatch())
        }
    }

    /// A moment: civil time in the plan's zone, or a datetime with an offset moved into it.
    fn datetime(&self) -> Result<crate::value::DateTime, Bad> {
        if !matches!(self.raw.scalar, Scalar::Str(_)) {
            return Err(self.mismatch());
        }
        crate::time::civil_datetime_of(self.text, self.schema.utc_offset).map_err(|_| {
            let message = format!("expected a datetime, found `{}`", clip(self.text));
            let write = self.help();
            let help = match datetime_problem(self.text) {
                Some(why) => format!("{why}; {write}"),
                None if split_date(self.text).is_some() => format!("a date alone is not a moment; {write}"),
                None => write,
            };
            self.bad("bad-value", self.raw.span, message, help)
        })
    }

    fn date(&self) -> Result<Date, Bad> {
        if !matches!(self.raw.scalar, Scalar::Str(_)) {
            return Err(self.mismatch());
        }
        // A datetime (`2019-09-30T23:30:00+08:00`, `2019-09-30 15:30:00Z`) is the civil date it
        // falls on in the plan's time zone.
        if self.text.len() > 10 && self.text.as_bytes().get(10).is_some_and(|b| *b == b'T' || *b == b' ') {
            return crate::time::civil_date_of(self.text, self.schema.utc_offset).map_err(|_| {
                let message = format!("expected a date or a datetime, found `{}`", clip(self.text));
                let write = "write `2019-09-30`, or a datetime with its offset such as `2019-09-30T23:30:00+08:00`";
                let help = match datetime_problem(self.text) {
                    Some(why) => format!("{why}; {write}"),
                    None => write.to_string(),
                };
                self.bad("bad-value", self.raw.span, message, help)
            });
        }
        let (y, m, d) = split_date(self.text).ok_or_else(|| self.mismatch())?;
        Date::from_ymd(y, m, d).ok_or_else(|| {
            let why = if !(1..=12).contains(&m) {
                "months run from 1 to 12".to_string()
            } else {
                let next = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
                let days =
                    Date::from_ymd(next.0, next.1, 1).zip(Date::from_ymd(y, m, 1)).map_or(31, |(a, b)| a.0 - b.0);
                format!("{y}-{m:02} has {days} days")
            };
            let message = format!("expected a date, found `{}`, which is not a day of the calendar", clip(self.text));
            self.bad("bad-value", self.raw.span, message, format!("{why}; dates are never moved to a nearby day"))
        })
    }

    fn variant(&self, e: EnumId) -> Result<u32, Bad> {
        let Some(decl) = self.schema.enums.get(e.index()) else {
            return Err(self.unsupported());
        };
        if !matches!(self.raw.scalar, Scalar::Str(_)) {
            return Err(self.mismatch());
        }
        let i = decl.variants.iter().position(|v| v == self.text);
        // The same value in the other Chinese script; the loader says so once per file.
        let i = i.or_else(|| decl.variants.iter().position(|v| crate::script::same_folded(v, self.text)));
        Ok(i.ok_or_else(|| self.mismatch())? as u32)
    }

    /// A party by the name the policy declares it under.
    fn party(&self) -> Result<PartyId, Bad> {
        if !matches!(self.raw.scalar, Scalar::Str(_)) {
            return Err(self.mismatch());
        }
        let parties = self.schema.parties;
        let i = parties.iter().position(|p| p.name == self.text);
        let i = i.or_else(|| parties.iter().position(|p| crate::script::same_folded(&p.name, self.text)));
        Ok(PartyId::at(i.ok_or_else(|| self.mismatch())?))
    }

    /// A reference keeps its key text until `link`. The text is put in the target kind's
    /// canonical key form here, so a reference `2019/9/30` finds a record keyed by the date
    /// `2019-09-30`, and `1.50` finds the number key `1.5`.
    fn reference(&self, kind: RecordId) -> Result<Cell, Bad> {
        let Some(target) = self.schema.records.get(kind.index()) else {
            return Err(self.unsupported());
        };
        if !matches!(self.raw.scalar, Scalar::Str(_) | Scalar::Num(_)) {
            return Err(self.mismatch());
        }
        let key = match target.fields.get(target.key) {
            Some(key_field) if !matches!(key_field.ty, Ty::Text | Ty::Ref(_)) => {
                // A key that cannot be a key of the target is reported as a bad reference, not
                // in terms of the target's key field.
                let cell = convert(self.schema, key_field, self.raw)
                    .map_err(|bad| if bad.code == "bad-value" { self.mismatch() } else { bad })?;
                match cell {
                    Some(cell) => key_text(self.schema, key_field, &cell),
                    None => self.text.into(),
                }
            }
            _ => self.text.into(),
        };
        Ok(Cell::UnresolvedRef { key, span: self.raw.span })
    }
}

/// The text with full-width ASCII forms (`３０`, `．`, `％`) and the ideographic space made
/// half-width, when it has a full-width digit.
fn half_width(text: &str) -> Option<String> {
    if !text.chars().any(|c| ('０'..='９').contains(&c)) {
        return None;
    }
    let map = |c: char| match c {
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        '\u{3000}' => ' ',
        c => c,
    };
    Some(text.chars().map(map).collect())
}

/// `str::trim` (which strips Unicode spaces such as U+3000 too), with a fast path for the
/// common value that needs no trimming.
pub(super) fn trim(s: &str) -> &str {
    // Printable ASCII at both ends is no space.
    if let (Some(a), Some(b)) = (s.as_bytes().first(), s.as_bytes().last())
        && a.is_ascii_graphic()
        && b.is_ascii_graphic()
    {
        return s;
    }
    // No character above U+3000 (the ideographic space) is a space: CJK text ends are passed
    // without Unicode's table.
    let space = |c: char| c <= '\u{3000}' && c.is_whitespace();
    let mut chars = s.chars();
    match (chars.next(), chars.next_back()) {
        (Some(a), Some(b)) if !space(a) && !space(b) => s,
        (Some(a), None) if !space(a) => s,
        _ => s.trim(),
    }
}

/// Why a number was not read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum NumError {
    Syntax,
    /// The magnitude does not fit a `Decimal` (about 7.9e28).
    TooLarge,
    /// Holding the number exactly needs more than 28 decimal places or 29 significant digits.
    TooPrecise,
}

/// The largest mantissa a `Decimal` holds: 2^96 - 1.
const MAX_MANTISSA: u128 = (1 << 96) - 1;

/// Parses a decimal number exactly: `31`, `-0.5`, `+2`, `.5`, `1.5e3`, `2E-4`.
///
/// Written by hand rather than with `Decimal::from_str`, which silently rounds digits past
/// the 28th decimal place; here every number is either exact or an error. The result is
/// normalized (no trailing zeros), so equal values are equal bit for bit.
pub(super) fn parse_decimal(s: &str) -> Result<Decimal, NumError> {
    let b = s.as_bytes();
    let mut i = 0;
    let negative = match b.first() {
        Some(b'-') => {
            i = 1;
            true
        }
        Some(b'+') => {
            i = 1;
            false
        }
        _ => false,
    };
    let digits_from = |i: &mut usize| {
        let start = *i;
        while *i < b.len() && b[*i].is_ascii_digit() {
            *i += 1;
        }
        &b[start..*i]
    };
    let int = digits_from(&mut i);
    let frac: &[u8] = if b.get(i) == Some(&b'.') {
        i += 1;
        digits_from(&mut i)
    } else {
        &[]
    };
    if int.is_empty() && frac.is_empty() {
        return Err(NumError::Syntax);
    }
    let mut exp: i64 = 0;
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        let exp_negative = match b.get(i) {
            Some(b'-') => {
                i += 1;
                true
            }
            Some(b'+') => {
                i += 1;
                false
            }
            _ => false,
        };
        let e = digits_from(&mut i);
        if e.is_empty() {
            return Err(NumError::Syntax);
        }
        // Saturating: `1e99999999999999999999` is merely too large, not a crash.
        exp = e.iter().fold(0i64, |acc, d| acc.saturating_mul(10).saturating_add(i64::from(d - b'0')));
        if exp_negative {
            exp = -exp;
        }
    }
    if i != b.len() {
        return Err(NumError::Syntax);
    }

    // Fast path: at most 18 digits and no exponent fit a u64 exactly.
    if exp == 0 && int.len() + frac.len() <= 18 {
        let mut m = int.iter().chain(frac).fold(0u64, |acc, d| acc * 10 + u64::from(d - b'0'));
        let mut scale = frac.len() as u32;
        while scale > 0 && m % 10 == 0 {
            m /= 10;
            scale -= 1;
        }
        let mut d = Decimal::from_i128_with_scale(i128::from(m), scale);
        d.set_sign_negative(negative && m != 0);
        return Ok(d);
    }
    // The value is the significant digits times 10^e10, leading and trailing zeros dropped.
    let all = || int.iter().chain(frac.iter()).copied();
    let total = int.len() + frac.len();
    let lead = all().take_while(|&d| d == b'0').count();
    if lead == total {
        return Ok(Decimal::ZERO);
    }
    let trail = int.iter().chain(frac.iter()).rev().take_while(|&&d| d == b'0').count();
    let sig = total - lead - trail;
    let e10 = exp.saturating_sub(frac.len() as i64).saturating_add(trail as i64);
    if (sig as i64).saturating_add(e10) > 29 {
        return Err(NumError::TooLarge);
    }
    let scale = if e10 < 0 { e10.unsigned_abs() } else { 0 };
    if sig > 29 || scale > 28 {
        return Err(NumError::TooPrecise);
    }
    // At most 29 digits, so this fits a u128 (10^29 < 2^97).
    let mut m = all().skip(lead).take(sig).fold(0u128, |acc, d| acc * 10 + u128::from(d - b'0'));
    for _ in 0..e10.max(0) {
        m *= 10;
    }
    if m > MAX_MANTISSA {
        return Err(if scale == 0 { NumError::TooLarge } else { NumError::TooPrecise });
    }
    let mut d = Decimal::from_i128_with_scale(m as i128, scale as u32);
    d.set_sign_negative(negative);
    Ok(d)
}

/// `n / 10^k` exactly, normalized; `None` when that needs more than 28 decimal places.
fn shift_scale(n: Decimal, k: u32) -> Option<Decimal> {
    normalized(n.mantissa(), n.scale() + k)
}

/// `m / 10^scale` exactly, normalized (as [`parse_decimal`] reads its digits); `None` when
/// that needs more than 28 decimal places or a mantissa of more than 96 bits.
fn normalized(mut m: i128, mut scale: u32) -> Option<Decimal> {
    while scale > 0 && m % 10 == 0 {
        m /= 10;
        scale -= 1;
    }
    Decimal::try_from_i128_with_scale(m, scale).ok()
}

/// Splits `0.215 g/m3` into the number and the unit text (empty for a bare number).
fn split_number(t: &str) -> (&str, &str) {
    let b = t.as_bytes();
    let mut i = usize::from(matches!(b.first(), Some(b'+' | b'-')));
    while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'.') {
        i += 1;
    }
    // An exponent only when digits follow: `5 e` is not one.
    if matches!(b.get(i), Some(b'e' | b'E')) {
        let mut j = i + 1 + usize::from(matches!(b.get(i + 1), Some(b'+' | b'-')));
        if b.get(j).is_some_and(u8::is_ascii_digit) {
            while b.get(j).is_some_and(u8::is_ascii_digit) {
                j += 1;
            }
            i = j;
        }
    }
    (&t[..i], t[i..].trim_start())
}

/// Splits a date written `2019-09-30`, `2019/9/30`, `2019.9.30` or `2019年9月30日` into its
/// parts, without checking that the day exists.
fn split_date(t: &str) -> Option<(i32, u32, u32)> {
    // Fast path for the ISO spelling most exports use.
    if let &[y0, y1, y2, y3, b'-', m0, m1, b'-', d0, d1] = t.as_bytes() {
        let digits = [y0, y1, y2, y3, m0, m1, d0, d1];
        if digits.iter().all(u8::is_ascii_digit) {
            let n = |ds: &[u8]| ds.iter().fold(0u32, |acc, d| acc * 10 + u32::from(d - b'0'));
            return Some((n(&digits[..4]) as i32, n(&digits[4..6]), n(&digits[6..])));
        }
    }
    let (y, m, d) = if let Some(rest) = t.strip_suffix('日') {
        let (y, rest) = rest.split_once('年')?;
        let (m, d) = rest.split_once('月')?;
        (y, m, d)
    } else {
        let sep = t.chars().find(|c| !c.is_ascii_digit())?;
        if !matches!(sep, '-' | '/' | '.') {
            return None;
        }
        let mut parts = t.split(sep);
        let parts = (parts.next()?, parts.next()?, parts.next()?, parts.next());
        if parts.3.is_some() {
            return None;
        }
        (parts.0, parts.1, parts.2)
    };
    let digits = |s: &str, lens: std::ops::RangeInclusive<usize>| {
        (lens.contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit())).then(|| s.parse::<u32>().ok()).flatten()
    };
    Some((digits(y, 4..=4)? as i32, digits(m, 1..=2)?, digits(d, 1..=2)?))
}

/// Why `YYYY-MM-DD?HH:MM[:SS]…` is not a moment, when a field is out of its range.
fn datetime_problem(text: &str) -> Option<String> {
    let (date, time) = (text.get(..10)?, text.get(11..)?);
    if let Some((y, m, d)) = split_date(date)
        && Date::from_ymd(y, m, d).is_none()
    {
        return Some(format!("`{date}` is not a day of the calendar"));
    }
    let field = |at: usize| time.get(at..at + 2).and_then(|f| f.parse::<u32>().ok());
    match (field(0), field(3), field(6)) {
        (Some(h), _, _) if h > 23 => Some(format!("hours run from 00 to 23, not {h}")),
        (_, Some(m), _) if m > 59 => Some(format!("minutes run from 00 to 59, not {m}")),
        (_, _, Some(s)) if s > 59 => Some(format!("seconds run from 00 to 59, not {s}")),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn dec(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn decimals_are_exact_and_normalized() {
        assert_eq!(parse_decimal("31"), Ok(dec("31")));
        assert_eq!(parse_decimal("-0.500"), Ok(dec("-0.5")));
        assert_eq!(parse_decimal("-0.500").unwrap().scale(), 1);
        assert_eq!(parse_decimal("1.5e3"), Ok(dec("1500")));
        assert_eq!(parse_decimal("2E-4"), Ok(dec("0.0002")));
        assert_eq!(parse_decimal("+.5"), Ok(dec("0.5")));
        assert_eq!(parse_decimal("0e999999999999999999999"), Ok(Decimal::ZERO));
        assert_eq!(parse_decimal("100000000000000000000000000000e-5"), Ok(dec("1000000000000000000000000")));
        assert_eq!(parse_decimal("79228162514264337593543950335"), Ok(Decimal::MAX));
        assert_eq!(parse_decimal("79228162514264337593543950336"), Err(NumError::TooLarge));
        assert_eq!(parse_decimal("1e400"), Err(NumError::TooLarge));
        assert_eq!(parse_decimal("1e-40"), Err(NumError::TooPrecise));
        assert_eq!(parse_decimal("0.12345678901234567890123456789012"), Err(NumError::TooPrecise));
        assert_eq!(parse_decimal(&"9".repeat(500)), Err(NumError::TooLarge));
        for bad in ["", "-", ".", "1e", "1.2.3", "1,000", "12a", "e5"] {
            assert_eq!(parse_decimal(bad), Err(NumError::Syntax), "{bad}");
        }
    }

    #[test]
    fn percent_shift() {
        assert_eq!(shift_scale(dec("12"), 2), Some(dec("0.12")));
        assert_eq!(shift_scale(dec("1200"), 2), Some(dec("12")));
        assert_eq!(shift_scale(dec("1200"), 2).unwrap().scale(), 0);
        assert_eq!(shift_scale(dec("0.0000000000000000000000000001"), 2), None);
    }

    #[test]
    fn number_and_unit_split() {
        assert_eq!(split_number("0.215 g/m3"), ("0.215", "g/m3"));
        assert_eq!(split_number("215mg/m³"), ("215", "mg/m³"));
        assert_eq!(split_number("1e3 g"), ("1e3", "g"));
        assert_eq!(split_number("5 em"), ("5", "em"));
        assert_eq!(split_number("abc"), ("", "abc"));
    }

    #[test]
    fn date_spellings() {
        for t in ["2019-09-30", "2019/9/30", "2019.9.30", "2019年9月30日", "2019-9-30"] {
            assert_eq!(split_date(t), Some((2019, 9, 30)), "{t}");
        }
        for t in ["2019-09/30", "19-09-30", "2019-09-30-1", "2019年9月30", "2019 09 30", "20190930"] {
            assert_eq!(split_date(t), None, "{t}");
        }
    }
}
