//! The Parquet fact reader (`--features parquet`): one file per record kind, named after it
//! (`readings.parquet`) or held in a folder named after it (`readings/part-0.parquet`), with a
//! column per field.
//!
//! The file's own schema only says which column is which: every value is read as the field
//! it belongs to declares, exactly as a CSV cell would be ([`convert`](super::convert)). A
//! decimal column gives its digits as written, an integer its digits; a floating-point column
//! gives the shortest decimal text that reads back as the same `f64` (`0.1`), as a workbook's
//! numbers do. A date column is a date; a timestamp without a time zone is civil time as it
//! is, one with a time zone an instant, moved into the plan's zone. A column named in the file's
//! key-value metadata as `writ.unit.COLUMN` (as `writ facts convert` writes them) holds numbers
//! in the unit that entry gives.
//!
//! What is read is the value that text would be, but the text is not always written: a column
//! of whole numbers or decimals read into a number, percentage or quantity field (in its unit),
//! of days read into a date field, or of timestamps without a time zone read into a datetime
//! field gives its values as they are held ([`convert::typed`](super::convert::typed)); a cell
//! that would not be a value of its field (too many digits, out of range, within a second) is
//! read as text after all, which says why.
//!
//! The Arrow schema a writer may embed in the file (`ARROW:schema`) is not read: the types come
//! from the Parquet schema itself, since that embedded schema, when damaged, makes arrow-rs
//! panic rather than fail. A panic of the reader on some other damage is caught and reported as
//! the file being unreadable.
//!
//! A Parquet file has no text to point into: diagnostics name the column and row
//! (`PM10, row 7`) in their message and label, as a workbook's name their cell. A row's line
//! is its place in the file, from 1.

use super::Loader;
use super::convert::{Raw, Scalar};
use super::csv::{Column, columns};
use crate::diagnostic::{Diagnostic, Span};
use crate::model::RecordId;
use arrow_array::cast::AsArray;
use arrow_array::types::*;
use arrow_array::{Array, ArrayRef, RecordBatch};
use arrow_schema::{DataType, TimeUnit};
use parquet::arrow::arrow_reader::{ArrowReaderOptions, ParquetRecordBatchReaderBuilder};
use parquet::file::reader::ChunkReader;
use std::borrow::Cow;
use std::fmt::Write;

/// The key, in a Parquet file's key-value metadata, that names the unit of a column's numbers:
/// this, then the column's name.
pub const UNIT_KEY: &str = "writ.unit.";

/// Rows read per batch: large enough that the per-batch work vanishes, small enough to stay
/// in cache.
const BATCH: usize = 8192;

/// Reads a Parquet file into `loader`.
pub(super) fn read<R: ChunkReader + 'static>(loader: &mut Loader<'_>, input: R) {
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| read_file(loader, input)));
    if let Err(panic) = outcome {
        let why = panic
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| panic.downcast_ref::<&str>().copied())
            .unwrap_or("no reason given");
        let d = Diagnostic::error(
            "fact-syntax",
            &loader.path,
            Span::default(),
            format!("the file cannot be read as Parquet: the reader failed ({why})"),
        )
        .with_label("this file was not read whole")
        .with_help("the file is damaged: write it again with a Parquet writer");
        // What was read before is kept; any kind the file may hold is incomplete.
        loader.at_column = None;
        loader.cell = None;
        refuse(loader, d);
    }
}

fn read_file<R: ChunkReader + 'static>(loader: &mut Loader<'_>, input: R) {
    let file_len = input.len();
    let options = ArrowReaderOptions::new().with_skip_arrow_metadata(true);
    let builder = match ParquetRecordBatchReaderBuilder::try_new_with_options(input, options) {
        Ok(b) => b.with_batch_size(BATCH),
        Err(e) => {
            let d = Diagnostic::error(
                "fact-syntax",
                &loader.path,
                Span::default(),
                format!("expected a Parquet file, found a file that cannot be read as one: {e}"),
            )
            .with_label("this file was not read")
            .with_help("write the file again with a Parquet writer (pyarrow, DuckDB, Spark or `writ facts convert`)");
            refuse(loader, d);
            return;
        }
    };
    // Each column chunk must lie in the file: arrow-rs asserts that its start and length are
    // not negative, and a damaged footer may say they are.
    let chunks = builder.metadata().row_groups().iter().flat_map(|g| g.columns());
    if let Some(bad) = chunks.clone().find(|c| {
        let start = c.dictionary_page_offset().unwrap_or_else(|| c.data_page_offset());
        let len = c.compressed_size();
        start < 0 || len < 0 || start.checked_add(len).is_none_or(|end| end as u64 > file_len)
    }) {
        let d = Diagnostic::error(
            "fact-syntax",
            &loader.path,
            Span::default(),
            format!(
                "the file cannot be read as Parquet: its footer places column `{}` outside the file",
                bad.column_path()
            ),
        )
        .with_label("this file was not read")
        .with_help("the file is damaged: write it again with a Parquet writer");
        refuse(loader, d);
        return;
    }
    drop(chunks);
    let rows = builder.metadata().file_metadata().num_rows().max(0) as usize;
    let units_given: Vec<(String, String)> = (builder.metadata().file_metadata().key_value_metadata().into_iter())
        .flatten()
        .filter_map(|kv| Some((kv.key.strip_prefix(UNIT_KEY)?.to_string(), kv.value.clone()?)))
        .collect();
    let Some(kind) = loader.one_kind(Span::default(), "parquet", || rows) else { return };
    let schema = builder.schema().clone();
    let rec = loader.record(kind);
    loader.cell = Some("the schema".to_string());
    let names = schema.fields().iter().map(|f| (Cow::Borrowed(f.name().as_str()), Span::default()));
    let columns = columns(loader, kind, names, Span::default());
    loader.cell = None;
    let key_column = columns.iter().position(|&c| c == Column::Field(rec.key));
    if key_column.is_none() && !rec.keyless {
        loader.cell = Some("the schema".to_string());
        loader.missing_key_column(kind, Span::default(), "the schema", "file");
        loader.cell = None;
    }
    // Per column: the unit its numbers are in, when it is not the unit a bare number of its
    // field is read in; such numbers are read as `"N unit"` is.
    let units: Vec<Option<String>> = (schema.fields().iter().zip(&columns))
        .map(|(f, column)| {
            let unit =
                units_given.iter().find(|(c, _)| c == f.name()).map(|(_, u)| u.trim()).filter(|u| !u.is_empty())?;
            let declared = match column {
                Column::Field(field) => rec.fields[*field].unit.as_ref(),
                _ => None,
            };
            match (declared, loader.schema.units.parse(unit)) {
                (Some(d), Ok(u)) if d.factor == u.factor && d.dim == u.dim => None,
                _ => Some(unit.to_string()),
            }
        })
        .collect();
    // Per column: whether its cells may be read as the values they hold, not as their text.
    let digit_missing = rec
        .source
        .as_ref()
        .is_some_and(|s| s.missing.iter().any(|m| m.trim().starts_with(|c: char| c.is_ascii_digit())));
    let lanes: Vec<Lane> = (schema.fields().iter().zip(&columns).zip(&units))
        .map(|((f, column), unit)| match *column {
            Column::Field(field) if unit.is_none() => Lane::of(f.data_type(), &rec.fields[field].ty, digit_missing),
            _ => Lane::Text,
        })
        .collect();
    loader.column_names = schema.fields().iter().map(|f| f.name().clone()).collect();
    let reader = match builder.build() {
        Ok(r) => r,
        Err(e) => {
            lose_rest(loader, kind, 1, &format!("the file cannot be read: {e}"));
            return;
        }
    };
    let mut line = 0u32;
    let mut text = String::new();
    for batch in reader {
        let batch: RecordBatch = match batch {
            Ok(b) => b,
            Err(e) => {
                // The rows read so far stay; the rest of the file is lost, and the kind with it.
                lose_rest(loader, kind, line + 1, &format!("the file cannot be read past row {line}: {e}"));
                return;
            }
        };
        let arrays: Vec<Cells<'_>> = batch.columns().iter().map(Cells::new).collect();
        let held: Vec<Held<'_>> = batch.columns().iter().zip(&lanes).map(|(a, lane)| Held::of(a, *lane)).collect();
        for r in 0..batch.num_rows() {
            line += 1;
            loader.begin(kind, line);
            if key_column.is_none() && !rec.keyless {
                loader.reject_row_without_key("the file has no key column");
            }
            for (c, column) in columns.iter().enumerate() {
                if *column == Column::Skip {
                    continue;
                }
                if let Column::Field(field) = *column
                    && let Some(value) = held[c].at(r).and_then(|t| super::convert::typed(&rec.fields[field], t))
                {
                    #[cfg(test)]
                    TYPED_CELLS.with(|n| n.set(n.get() + 1));
                    loader.set_typed(field, value);
                    continue;
                }
                text.clear();
                let scalar = match arrays[c].at(r, &mut text) {
                    Got::Null => Scalar::Null,
                    Got::Bool(b) => Scalar::Bool(b),
                    Got::Num => match &units[c] {
                        Some(unit) => {
                            text.push(' ');
                            text.push_str(unit);
                            Scalar::Str(&text)
                        }
                        _ => Scalar::Num(&text),
                    },
                    Got::Str => Scalar::Str(&text),
                    Got::Other(what) => Scalar::Nested(what),
                };
                loader.at_column = Some((Some(c), line));
                let raw = Raw { scalar, span: Span::default(), verbatim_at: None };
                match *column {
                    Column::Field(field) => loader.set(field, &raw),
                    Column::Part(built, part) => loader.set_part((built, part), &raw),
                    Column::Skip => {}
                }
            }
            loader.at_column = Some((None, line));
            loader.end(Span::default(), Span::default());
            loader.at_column = None;
        }
    }
}

/// Reports a file that was not read at all: any kind may have had records in it.
fn refuse(loader: &mut Loader<'_>, d: Diagnostic) {
    let reason = d.message.clone();
    loader.report(d);
    loader.lose_in(0, &reason, None, None);
}

/// Reports that the rest of a file, from row `line`, could not be read: its kind is incomplete.
fn lose_rest(loader: &mut Loader<'_>, kind: RecordId, line: u32, reason: &str) {
    let d = Diagnostic::error("fact-syntax", &loader.path, Span::default(), reason.to_string())
        .with_label(format!("row {line} and after were not read"))
        .with_help("the file is damaged or cut short: write it again");
    loader.report(d);
    loader.lose(kind, line, reason, None);
}

/// How a column's cells may be read: as their text, always right, or, for a column of exact
/// numbers, days or moments of civil time whose field is of that type, as the values they hold
/// ([`super::convert::typed`]), which is the same value without writing and reading text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Lane {
    Text,
    /// Whole numbers (`Int32`, `Int64`) or decimals (`Decimal128` of a scale not below 0).
    Exact,
    /// `Date32`.
    Day,
    /// A timestamp without a time zone, in its unit.
    Moment,
}

impl Lane {
    /// The lane of a column of `ty` read into a field of `field`. `digit_missing`: the record's
    /// source reads a token beginning with a digit as no value, so a day's or a moment's text
    /// might be one, and is read as text.
    fn of(ty: &DataType, field: &crate::model::Ty, digit_missing: bool) -> Lane {
        use crate::model::Ty;
        match (ty, field) {
            (DataType::Int32 | DataType::Int64, Ty::Number | Ty::Percent | Ty::Quantity(_)) => Lane::Exact,
            (DataType::Decimal128(_, s), Ty::Number | Ty::Percent | Ty::Quantity(_)) if *s >= 0 => Lane::Exact,
            (DataType::Date32, Ty::Date) if !digit_missing => Lane::Day,
            (DataType::Timestamp(_, None), Ty::DateTime) if !digit_missing => Lane::Moment,
            _ => Lane::Text,
        }
    }
}

#[cfg(test)]
thread_local! {
    /// Set by a test to read every cell as text, for the values of both ways to be compared.
    static TEXT_ONLY: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    /// The cells read as the values they hold, for a test to see that the lanes were taken.
    static TYPED_CELLS: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// A column of a batch on its [`Lane`]: its values as held.
enum Held<'a> {
    Text,
    Int32(&'a arrow_array::Int32Array),
    Int64(&'a arrow_array::Int64Array),
    Decimal(&'a arrow_array::Decimal128Array, u32),
    Day(&'a arrow_array::Date32Array),
    /// The values, and how many make a second.
    Moment(&'a [i64], &'a dyn Array, i64),
}

impl<'a> Held<'a> {
    fn of(a: &'a ArrayRef, lane: Lane) -> Held<'a> {
        #[cfg(test)]
        if TEXT_ONLY.with(|t| t.get()) {
            return Held::Text;
        }
        match (lane, a.data_type()) {
            (Lane::Exact, DataType::Int32) => Held::Int32(a.as_primitive()),
            (Lane::Exact, DataType::Int64) => Held::Int64(a.as_primitive()),
            (Lane::Exact, DataType::Decimal128(_, s)) if *s >= 0 => Held::Decimal(a.as_primitive(), *s as u32),
            (Lane::Day, DataType::Date32) => Held::Day(a.as_primitive()),
            (Lane::Moment, DataType::Timestamp(unit, None)) => match unit {
                TimeUnit::Second => Held::Moment(a.as_primitive::<TimestampSecondType>().values(), a, 1),
                TimeUnit::Millisecond => Held::Moment(a.as_primitive::<TimestampMillisecondType>().values(), a, 1_000),
                TimeUnit::Microsecond => {
                    Held::Moment(a.as_primitive::<TimestampMicrosecondType>().values(), a, 1_000_000)
                }
                TimeUnit::Nanosecond => {
                    Held::Moment(a.as_primitive::<TimestampNanosecondType>().values(), a, 1_000_000_000)
                }
            },
            _ => Held::Text,
        }
    }

    /// The value at `row`; `None` for a cell read as text: on the text lane, absent, or a
    /// moment within a second (which its text says is not a moment writ holds).
    fn at(&self, row: usize) -> Option<super::convert::Typed> {
        use super::convert::Typed;
        let present = |a: &dyn Array| a.is_valid(row);
        match self {
            Held::Text => None,
            Held::Int32(a) => present(*a).then(|| Typed::Exact(i128::from(a.value(row)), 0)),
            Held::Int64(a) => present(*a).then(|| Typed::Exact(i128::from(a.value(row)), 0)),
            Held::Decimal(a, s) => present(*a).then(|| Typed::Exact(a.value(row), *s)),
            Held::Day(a) => present(*a).then(|| Typed::Day(crate::value::Date(a.value(row)))),
            Held::Moment(values, a, per_second) => {
                let v = values[row];
                (present(*a) && v.rem_euclid(*per_second) == 0)
                    .then(|| Typed::Moment(crate::value::DateTime(v.div_euclid(*per_second))))
            }
        }
    }
}

/// What one cell gave: its text is in the buffer passed to [`Cells::at`].
enum Got {
    Null,
    Bool(bool),
    /// A number, in decimal.
    Num,
    /// Text, a date or a datetime.
    Str,
    /// A value of a type no field is read from (a list, a struct, binary).
    Other(&'static str),
}

/// One column of a batch, with what reading its cells needs worked out once.
struct Cells<'a> {
    array: &'a ArrayRef,
    /// For a dictionary-encoded column: each row's index into its values.
    keys: Option<(Vec<usize>, Box<Cells<'a>>)>,
}

impl<'a> Cells<'a> {
    fn new(array: &'a ArrayRef) -> Cells<'a> {
        // (`normalized_keys` asserts that there are values: a column of nulls may have none.)
        let keys = array.as_any_dictionary_opt().map(|d| {
            let keys = if d.values().is_empty() { Vec::new() } else { d.normalized_keys() };
            (keys, Box::new(Cells::new(d.values())))
        });
        Cells { array, keys }
    }

    /// The cell at `row`, its text written into `text`.
    fn at(&self, row: usize, text: &mut String) -> Got {
        let a = self.array;
        if a.is_null(row) {
            return Got::Null;
        }
        if let Some((keys, values)) = &self.keys {
            return keys.get(row).map_or(Got::Null, |&k| values.at(k, text));
        }
        match a.data_type() {
            DataType::Null => Got::Null,
            DataType::Boolean => Got::Bool(a.as_boolean().value(row)),
            DataType::Utf8 => str_cell(a.as_string::<i32>().value(row), text),
            DataType::LargeUtf8 => str_cell(a.as_string::<i64>().value(row), text),
            DataType::Utf8View => str_cell(a.as_string_view().value(row), text),
            DataType::Int8 => int(a.as_primitive::<Int8Type>().value(row), text),
            DataType::Int16 => int(a.as_primitive::<Int16Type>().value(row), text),
            DataType::Int32 => int(a.as_primitive::<Int32Type>().value(row), text),
            DataType::Int64 => int(a.as_primitive::<Int64Type>().value(row), text),
            DataType::UInt8 => int(a.as_primitive::<UInt8Type>().value(row), text),
            DataType::UInt16 => int(a.as_primitive::<UInt16Type>().value(row), text),
            DataType::UInt32 => int(a.as_primitive::<UInt32Type>().value(row), text),
            DataType::UInt64 => int(a.as_primitive::<UInt64Type>().value(row), text),
            DataType::Float32 => float(f64::from(a.as_primitive::<Float32Type>().value(row)), text),
            DataType::Float64 => float(a.as_primitive::<Float64Type>().value(row), text),
            DataType::Decimal32(_, s) => decimal(&a.as_primitive::<Decimal32Type>().value(row).to_string(), *s, text),
            DataType::Decimal64(_, s) => decimal(&a.as_primitive::<Decimal64Type>().value(row).to_string(), *s, text),
            DataType::Decimal128(_, s) => decimal(&a.as_primitive::<Decimal128Type>().value(row).to_string(), *s, text),
            DataType::Decimal256(_, s) => decimal(&a.as_primitive::<Decimal256Type>().value(row).to_string(), *s, text),
            DataType::Date32 => date(i64::from(a.as_primitive::<Date32Type>().value(row)), text),
            DataType::Date64 => {
                let ms = a.as_primitive::<Date64Type>().value(row);
                date(ms.div_euclid(86_400_000), text)
            }
            DataType::Timestamp(unit, zone) => {
                let v = match unit {
                    TimeUnit::Second => a.as_primitive::<TimestampSecondType>().value(row),
                    TimeUnit::Millisecond => a.as_primitive::<TimestampMillisecondType>().value(row),
                    TimeUnit::Microsecond => a.as_primitive::<TimestampMicrosecondType>().value(row),
                    TimeUnit::Nanosecond => a.as_primitive::<TimestampNanosecondType>().value(row),
                };
                let per_second: i64 = match unit {
                    TimeUnit::Second => 1,
                    TimeUnit::Millisecond => 1_000,
                    TimeUnit::Microsecond => 1_000_000,
                    TimeUnit::Nanosecond => 1_000_000_000,
                };
                timestamp(v.div_euclid(per_second), v.rem_euclid(per_second), per_second, zone.is_some(), text)
            }
            DataType::List(_) | DataType::LargeList(_) | DataType::ListView(_) | DataType::FixedSizeList(..) => {
                Got::Other("a list")
            }
            DataType::Struct(_) | DataType::Map(..) | DataType::Union(..) => Got::Other("a structure"),
            DataType::Binary | DataType::LargeBinary | DataType::BinaryView | DataType::FixedSizeBinary(_) => {
                Got::Other("binary data")
            }
            _ => Got::Other("a value of a type writ does not read"),
        }
    }
}

fn str_cell(s: &str, text: &mut String) -> Got {
    text.push_str(s);
    Got::Str
}

fn int(v: impl std::fmt::Display, text: &mut String) -> Got {
    let _ = write!(text, "{v}");
    Got::Num
}

/// The shortest decimal text that reads back as `v`; not-a-number and the infinities are
/// written as such, and are then not a number the field accepts.
fn float(v: f64, text: &mut String) -> Got {
    let _ = write!(text, "{v}");
    if v.is_finite() { Got::Num } else { Got::Str }
}

/// The decimal with unscaled digits `digits` (signed) and `scale` places after the point; a
/// negative scale adds zeros.
fn decimal(digits: &str, scale: i8, text: &mut String) -> Got {
    let (sign, digits) = match digits.strip_prefix('-') {
        Some(d) => ("-", d),
        None => ("", digits),
    };
    text.push_str(sign);
    if scale <= 0 {
        text.push_str(digits);
        for _ in 0..(-i32::from(scale)) {
            text.push('0');
        }
        return Got::Num;
    }
    let scale = scale as usize;
    if digits.len() <= scale {
        text.push_str("0.");
        for _ in digits.len()..scale {
            text.push('0');
        }
        text.push_str(digits);
    } else {
        let (whole, frac) = digits.split_at(digits.len() - scale);
        text.push_str(whole);
        text.push('.');
        text.push_str(frac);
    }
    Got::Num
}

fn date(days: i64, text: &mut String) -> Got {
    match i32::try_from(days).ok().and_then(|d| crate::value::Date::from_ymd(1970, 1, 1).map(|e| e.add_days(d))) {
        Some(d) => {
            let _ = write!(text, "{d}");
            Got::Str
        }
        None => {
            let _ = write!(text, "day {days} after 1970-01-01");
            Got::Str
        }
    }
}

/// A timestamp of `seconds` since 1970-01-01T00:00 and `fraction` of `per_second`: civil time
/// as it is, or with `utc` an instant, written with `Z` so that it is moved into the plan's zone.
fn timestamp(seconds: i64, fraction: i64, per_second: i64, utc: bool, text: &mut String) -> Got {
    let days = seconds.div_euclid(86_400);
    let within = seconds.rem_euclid(86_400);
    date(days, text);
    let _ = write!(text, "T{:02}:{:02}:{:02}", within / 3600, within % 3600 / 60, within % 60);
    if fraction != 0 {
        let width = per_second.ilog10() as usize;
        let _ = write!(text, ".{fraction:0width$}");
    }
    if utc {
        text.push('Z');
    }
    Got::Str
}

/// What writing one kind's records as Parquet carried over.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Written {
    /// Rows written: every accepted record of the kind.
    pub rows: usize,
    /// Values that could not be read from the facts, written as absent (null).
    pub unreadable: usize,
    /// Per column written: its name and the Arrow type it was written as.
    pub columns: Vec<(String, String)>,
}

/// The most rows a row group holds, and so the most a reader decodes at a time.
const ROW_GROUP: usize = 1 << 20;

/// Writes the accepted records of `kind` as one Parquet file to `out`: a column per field the
/// facts may write, typed from the record's declaration, never from the values.
///
/// Values are written so that reading the file back gives each the value it has now: numbers
/// as decimals at the largest scale the column needs (as text when 38 digits cannot hold them
/// all), percentages in percent, quantities in the field's unit (or, when a value is not exact
/// in it, in the unit values are held in: SI, with time in days), with the unit in the column's
/// metadata, dates as dates, datetimes as civil time, and references, enum values and parties
/// by key or name. A value that could not be read is written as absent and counted.
pub fn write_kind(
    schema: &super::Schema<'_>,
    facts: &super::Facts,
    kind: RecordId,
    out: impl std::io::Write + Send,
) -> Result<Written, parquet::errors::ParquetError> {
    use parquet::arrow::ArrowWriter;
    use parquet::basic::{Compression, ZstdLevel};
    use parquet::file::properties::WriterProperties;

    let (batch, units, written) = kind_batch(schema, facts, kind);
    let units: Vec<_> = (units.into_iter())
        .map(|(column, unit)| parquet::file::metadata::KeyValue::new(format!("{UNIT_KEY}{column}"), unit))
        .collect();
    let props = WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::default()))
        .set_max_row_group_row_count(Some(ROW_GROUP))
        .set_key_value_metadata((!units.is_empty()).then_some(units))
        .build();
    let mut writer = ArrowWriter::try_new(out, batch.schema(), Some(props))?;
    for start in (0..batch.num_rows()).step_by(ROW_GROUP) {
        writer.write(&batch.slice(start, ROW_GROUP.min(batch.num_rows() - start)))?;
    }
    writer.close()?;
    Ok(written)
}

/// The accepted records of `kind` as [`write_kind`] writes them, as one Arrow batch: with the
/// unit of each column of numbers that has one (by column name), and what was written.
pub fn kind_batch(
    schema: &super::Schema<'_>,
    facts: &super::Facts,
    kind: RecordId,
) -> (RecordBatch, Vec<(String, String)>, Written) {
    use arrow_schema::{Field, Schema as ArrowSchema};
    use std::sync::Arc;

    let rec = &schema.records[kind.index()];
    let table = &facts.tables[kind.index()];
    let fields: Vec<usize> = (0..rec.fields.len()).filter(|&f| !(rec.keyless && f == rec.key)).collect();
    let mut written = Written { rows: table.len(), ..Written::default() };
    let mut arrow_fields = Vec::with_capacity(fields.len());
    let mut arrays: Vec<ArrayRef> = Vec::with_capacity(fields.len());
    let mut units = Vec::new();
    for &f in &fields {
        let decl = &rec.fields[f];
        let (array, unit) = column_array(schema, facts, kind, f, &mut written.unreadable);
        let field = Field::new(decl.name.as_str(), array.data_type().clone(), true);
        if let Some(unit) = unit {
            units.push((decl.name.clone(), unit));
        }
        written.columns.push((decl.name.clone(), array.data_type().to_string()));
        arrow_fields.push(field);
        arrays.push(array);
    }
    let arrow_schema = Arc::new(ArrowSchema::new(arrow_fields));
    let batch = RecordBatch::try_new_with_options(
        arrow_schema,
        arrays,
        &arrow_array::RecordBatchOptions::new().with_row_count(Some(table.len())),
    )
    .expect("the columns of one kind, one value per record each");
    (batch, units, written)
}

/// One field of every row of a kind as an Arrow array, and the unit its numbers are in.
fn column_array(
    schema: &super::Schema<'_>,
    facts: &super::Facts,
    kind: RecordId,
    field: usize,
    unreadable: &mut usize,
) -> (ArrayRef, Option<String>) {
    use crate::model::Ty;
    use crate::value::Value;
    use arrow_array::builder::{BooleanBuilder, Date32Builder, StringBuilder, TimestampMillisecondBuilder};
    use rust_decimal::Decimal;
    use std::sync::Arc;

    let decl = &schema.records[kind.index()].fields[field];
    let table = &facts.tables[kind.index()];
    let rows = table.len() as u32;
    let mut values = Vec::with_capacity(rows as usize);
    for row in 0..rows {
        if table.bad_cell(row, field as u32).is_some() {
            *unreadable += 1;
        }
        values.push(table.get(field, row));
    }
    let text = |values: &[Option<Value>], show: &dyn Fn(&Value) -> Option<String>| -> ArrayRef {
        let mut b = StringBuilder::with_capacity(values.len(), values.len() * 8);
        for v in values {
            b.append_option(v.as_ref().and_then(show));
        }
        Arc::new(b.finish())
    };
    match &decl.ty {
        Ty::Bool => {
            let mut b = BooleanBuilder::with_capacity(values.len());
            for v in &values {
                b.append_option(v.as_ref().and_then(Value::as_bool));
            }
            (Arc::new(b.finish()), None)
        }
        Ty::Date => {
            let epoch = crate::value::Date::from_ymd(1970, 1, 1).map_or(0, |d| d.0);
            let mut b = Date32Builder::with_capacity(values.len());
            for v in &values {
                b.append_option(match v {
                    Some(Value::Date(d)) => Some(d.0 - epoch),
                    _ => None,
                });
            }
            (Arc::new(b.finish()), None)
        }
        Ty::DateTime => {
            // In milliseconds, the coarsest unit a Parquet timestamp has; without a time zone,
            // so civil time.
            let mut b = TimestampMillisecondBuilder::with_capacity(values.len());
            for v in &values {
                b.append_option(match v {
                    Some(Value::DateTime(t)) => t.0.checked_mul(1000),
                    _ => None,
                });
            }
            (Arc::new(b.finish()), None)
        }
        Ty::Number | Ty::Percent | Ty::Quantity(_) => {
            // In the unit a bare number of the field is read in: percent for a percentage, the
            // field's unit for a quantity (or the SI unit when a value is not exact in it).
            let hundred = Decimal::ONE_HUNDRED;
            let nums: Vec<Option<Decimal>> = values.iter().map(|v| v.as_ref().and_then(Value::as_num)).collect();
            let (nums, unit): (Vec<Option<Decimal>>, Option<String>) = match (&decl.ty, &decl.unit) {
                (Ty::Percent, _) => (nums.iter().map(|n| n.and_then(|n| n.checked_mul(hundred))).collect(), None),
                (Ty::Quantity(_), Some(unit)) => {
                    let there: Vec<Option<Decimal>> = nums
                        .iter()
                        .map(|n| n.and_then(|n| unit.from_si(n).filter(|m| unit.to_si(*m) == Some(n))))
                        .collect();
                    if there.iter().zip(&nums).all(|(t, n)| t.is_some() == n.is_some()) {
                        (there, Some(unit.name.clone()))
                    } else {
                        // The unit values are held in (time in days), in which every value is exact.
                        let si = match &decl.ty {
                            Ty::Quantity(dim) => dim.canonical(),
                            _ => String::new(),
                        };
                        (nums, Some(si))
                    }
                }
                (Ty::Quantity(dim), None) if !dim.is_none() => (nums, Some(dim.canonical())),
                _ => (nums, None),
            };
            (decimals(&nums), unit)
        }
        Ty::Enum(e) => {
            let variants = &schema.enums[e.index()].variants;
            let show = |v: &Value| match v {
                Value::Enum(i) => variants.get(*i as usize).map(|s| s.to_string()),
                _ => None,
            };
            (text(&values, &show), None)
        }
        Ty::Party => {
            let show = |v: &Value| match v {
                Value::Party(i) => schema.parties.get(i.index()).map(|p| p.name.clone()),
                _ => None,
            };
            (text(&values, &show), None)
        }
        Ty::Ref(_) => {
            let show = |v: &Value| match v {
                Value::Ref(k, r) => Some(facts.key_of(*k, *r).to_string()),
                _ => None,
            };
            (text(&values, &show), None)
        }
        _ => {
            let show = |v: &Value| match v {
                Value::Text(t) => Some(t.to_string()),
                other => Some(super::value_text(schema, decl, other).to_string()),
            };
            (text(&values, &show), None)
        }
    }
}

/// Exact decimals as one Arrow column: `Decimal128` at the largest scale any value has, or
/// text when some value would need more than 38 digits at that scale.
fn decimals(nums: &[Option<rust_decimal::Decimal>]) -> ArrayRef {
    use arrow_array::builder::{Decimal128Builder, StringBuilder};
    use std::sync::Arc;

    let scale = nums.iter().flatten().map(|n| n.normalize().scale()).max().unwrap_or(0);
    let scaled: Option<Vec<Option<i128>>> = nums
        .iter()
        .map(|n| match n {
            None => Some(None),
            Some(n) => {
                let n = n.normalize();
                let up = 10i128.checked_pow(scale - n.scale())?;
                let m = n.mantissa().checked_mul(up)?;
                (m.unsigned_abs() < 10u128.pow(38)).then_some(Some(m))
            }
        })
        .collect();
    if let Some(ms) = scaled {
        let mut b = Decimal128Builder::with_capacity(ms.len());
        for m in ms {
            b.append_option(m);
        }
        if let Ok(a) = b.finish().with_precision_and_scale(38, scale as i8) {
            return Arc::new(a);
        }
    }
    let mut b = StringBuilder::with_capacity(nums.len(), nums.len() * 8);
    for n in nums {
        b.append_option(n.map(|n| n.normalize().to_string()));
    }
    Arc::new(b.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_are_written_with_their_scale() {
        let cases = [
            ("12345", 2, "123.45"),
            ("-12345", 2, "-123.45"),
            ("5", 3, "0.005"),
            ("-5", 3, "-0.005"),
            ("123", 0, "123"),
            ("123", -2, "12300"),
            ("0", 2, "0.00"),
        ];
        for (digits, scale, want) in cases {
            let mut text = String::new();
            decimal(digits, scale, &mut text);
            assert_eq!(text, want, "{digits} at scale {scale}");
        }
    }

    #[test]
    fn timestamps_are_civil_time_or_instants() {
        let mut text = String::new();
        timestamp(1_546_300_800 + 8 * 3600, 0, 1, false, &mut text);
        assert_eq!(text, "2019-01-01T08:00:00");
        text.clear();
        timestamp(1_546_300_800, 500, 1000, true, &mut text);
        assert_eq!(text, "2019-01-01T00:00:00.500Z");
        text.clear();
        timestamp(-1, 0, 1, false, &mut text);
        assert_eq!(text, "1969-12-31T23:59:59");
    }

    /// Every cell a typed lane reads is read as the value its text would be, and every cell it
    /// sends the way of its text (too many digits, out of range, not a day of a plain year,
    /// within a second, a token the source reads as no value) gives the diagnostic the text
    /// gives: the file read with the lanes is the file read as text, value for value.
    #[test]
    fn typed_values_are_the_values_of_their_text() {
        use arrow_array::builder::Decimal128Builder;
        use arrow_array::{Date32Array, Int32Array, Int64Array, StringArray, TimestampMillisecondArray};
        use arrow_schema::{Field, Schema};
        use std::sync::Arc;
        let policy = r#"plan p "test plan" { period 2019-01-01 .. 2019-12-31 roles lead "牽頭" }
record 讀數 "讀數" key 編號 {
  編號: text
  數?: number
  比例?: percent
  濃度?: mg/m3
  限值?: ug/m3 <= 500 ug/m3
  下限?: number >= 1
  日期?: date
  遠日?: date >= 0001-01-01
  時刻?: datetime
  時長?: h
}
record 號 "號" key 號 {
  號: number
  日?: date
}
record 日 "日" key 日 {
  日: date
  數?: number
}
record 缺 "缺" key 編號 {
  編號: text
  日期?: date
  數?: number
  source "缺.parquet" { missing "NA", "2019-01-02" }
}
"#;
        let db = crate::db::Database::default();
        let src = crate::db::SourceFile::new(&db, Arc::from("policy.writ"), Arc::from(policy));
        let pkg = crate::db::Package::new(&db, vec![src]);
        let checked = crate::db::package_model(&db, pkg);
        assert!(!checked.has_errors(), "{:#?}", checked.diagnostics);
        let schema = crate::facts::Schema::of(&checked.model);

        // Values on every edge: zeros, signs, trailing zeros, 28 and 29 places, 96 bits and
        // beyond, the range's ends, days and moments of years of 3, 4 and 5 digits.
        let decimals: Vec<Option<i128>> = vec![
            Some(0),
            Some(1),
            Some(-1),
            Some(12_500),
            Some(-12_500),
            Some(500_000),
            Some(500_001),
            Some(99),
            Some(100),
            Some(10_000),
            Some(10_001),
            Some((1 << 96) - 1),
            Some(1 << 96),
            Some(-((1 << 96) - 1)),
            Some(10i128.pow(30)),
            Some(i128::from(i64::MAX) * 1000),
            None,
        ];
        let n = decimals.len();
        let decimal = |scale: i8| -> ArrayRef {
            let mut b = Decimal128Builder::new().with_precision_and_scale(38, scale).unwrap();
            for d in &decimals {
                b.append_option(*d);
            }
            Arc::new(b.finish())
        };
        let cycle = |values: &[Option<i64>]| -> Vec<Option<i64>> { (0..n).map(|i| values[i % values.len()]).collect() };
        let days = cycle(&[
            Some(0),
            Some(17_897),
            Some(17_898),
            Some(-719_162),
            Some(-400_000),
            Some(2_932_896),
            Some(2_932_897),
            Some(3_000_000),
            Some(-1),
            None,
        ]);
        let ms = cycle(&[
            Some(1_546_300_800_000),
            Some(1_546_300_800_500),
            Some(-1000),
            Some(-1),
            Some(253_402_300_799_000),
            Some(253_402_300_800_000),
            Some(-30_610_224_000_000),
            Some(-30_610_224_001_000),
            None,
        ]);
        let ints = cycle(&[Some(0), Some(-3), Some(7), Some(i64::MAX), Some(i64::MIN), Some(1), None]);
        let text = |what: &str| -> ArrayRef {
            Arc::new(StringArray::from((0..n).map(|i| format!("{what}{i}")).collect::<Vec<_>>()))
        };
        let file = |columns: Vec<(&str, ArrayRef)>| -> Vec<u8> {
            let fields: Vec<Field> =
                columns.iter().map(|(name, a)| Field::new(*name, a.data_type().clone(), true)).collect();
            let schema = Arc::new(Schema::new(fields));
            let batch = RecordBatch::try_new(schema.clone(), columns.into_iter().map(|(_, a)| a).collect()).unwrap();
            let mut out = Vec::new();
            let mut w = parquet::arrow::ArrowWriter::try_new(&mut out, schema, None).unwrap();
            w.write(&batch).unwrap();
            w.close().unwrap();
            out
        };
        let days_array: ArrayRef =
            Arc::new(Date32Array::from(days.iter().map(|d| d.map(|d| d as i32)).collect::<Vec<_>>()));
        let files = [
            (
                "讀數.parquet",
                file(vec![
                    ("編號", text("R")),
                    ("數", decimal(2)),
                    ("比例", decimal(27)),
                    ("濃度", decimal(0)),
                    ("限值", decimal(3)),
                    ("下限", Arc::new(Int64Array::from(ints.clone()))),
                    ("日期", days_array.clone()),
                    ("遠日", days_array.clone()),
                    ("時刻", Arc::new(TimestampMillisecondArray::from(ms.clone()))),
                    ("時長", decimal(28)),
                ]),
            ),
            (
                "讀數.parquet",
                file(vec![
                    ("編號", text("Q")),
                    ("數", Arc::new(Int32Array::from(ints.iter().map(|i| i.map(|i| i as i32)).collect::<Vec<_>>()))),
                    ("比例", Arc::new(Int64Array::from(ints.clone()))),
                    ("濃度", decimal(30)),
                    ("限值", Arc::new(Int64Array::from(ints.clone()))),
                    ("時長", Arc::new(Int32Array::from(ints.iter().map(|i| i.map(|i| i as i32)).collect::<Vec<_>>()))),
                ]),
            ),
            ("缺.parquet", file(vec![("編號", text("M")), ("日期", days_array.clone()), ("數", decimal(1))])),
            ("號.parquet", file(vec![("號", decimal(1)), ("日", days_array.clone())])),
            ("號.parquet", file(vec![("號", Arc::new(Int64Array::from(ints.clone())))])),
            ("日.parquet", file(vec![("日", days_array.clone()), ("數", decimal(0))])),
        ];
        let read = |bytes: &[u8], path: &str, text_only: bool| {
            TEXT_ONLY.with(|t| t.set(text_only));
            let facts = super::super::parse_content_on(
                &schema,
                &Arc::from(path),
                &super::super::Content::Bytes(bytes.to_vec().into()),
                1,
            );
            TEXT_ONLY.with(|t| t.set(false));
            facts
        };
        let typed_cells = || TYPED_CELLS.with(|n| n.replace(0));
        for (path, bytes) in &files {
            typed_cells();
            let typed = read(bytes, path, false);
            let taken = typed_cells();
            let as_text = read(bytes, path, true);
            assert_eq!(typed_cells(), 0, "{path}: read as text");
            assert_eq!(typed, as_text, "{path}");
            // Some cells of every file are values read as held, and some values are refused.
            assert!(taken >= n / 2, "{path}: {taken} cells read as held");
            assert!(!typed.diagnostics.is_empty(), "{path}: the edges are read, some refused");
        }
    }
}
