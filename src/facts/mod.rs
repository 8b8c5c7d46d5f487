//! Fact files: reading records from JSON, NDJSON, CSV, YAML, TOML, XLSX and Parquet, checking them against the record schema,
//! and linking them into one store of typed columns.
//!
//! Loading has two steps so each fact file can be read (and cached) on its own:
//!
//! 1. [`parse_file`] reads one file into [`FileFacts`]: rows of typed values, with references
//!    to other records still held as key text, plus the rows it rejected and every diagnostic.
//!    Each record's cells are stored at once by column per kind ([`Rows`], the same typed
//!    [`Column`]s as a table's), so a file's rows take little more memory than their values.
//! 2. [`link`] joins the files of one evaluation into [`Facts`]: one [`Table`] per record
//!    kind, keys checked for duplicates across files, references resolved to rows.
//!
//! **Invariant:** every record read is accounted for: for each table,
//! `loaded == rows + rejected_count()`. A bad value never becomes zero, a default or absent:
//! its field is marked unreadable ([`Cell::Bad`], then [`Table::bad`]) and the diagnostic says
//! what was expected; a record whose key is bad is rejected whole. Records a file held but that
//! were never read make their kind incomplete ([`Table::incomplete`]).
//!
//! Numbers never pass through `f64`: the JSON reader is hand-written so a number's text goes
//! straight to an exact [`Decimal`](rust_decimal::Decimal), and the YAML and TOML readers cut
//! each number's text from the file at its span. XLSX is the exception, since Excel itself
//! stores numbers as `f64`: a cell's number is the shortest decimal that reads back as it.
//!
//! Every format hands its values to one conversion (`convert`), so units, percentages, dates,
//! yes/no, enums, parties and references read the same whatever the format.

mod column;
mod convert;
mod csv;
mod diag;
mod json;
mod link;
#[cfg(feature = "parquet")]
pub mod parquet;
mod rows;
mod tree;
mod xlsx;

pub(crate) use column::write_fixed;
pub use column::{Bits, Column, ColumnBuilder, Keys, Origins, Typed};
pub use link::{link, link_taking};
pub use rows::{KindRows, Rows, RowsBuilder};
/// A decimal number read exactly (`31`, `0.5`, `1.5e3`), or `None` when it does not fit a
/// decimal without rounding; shared with the checker for numbers written in policies.
pub(crate) fn exact_decimal(text: &str) -> Option<rust_decimal::Decimal> {
    convert::parse_decimal(text).ok()
}

use crate::diagnostic::{Diagnostic, Span};
use crate::model::{EnumDecl, FieldDecl, RecordDecl, RecordId, Ty};
use crate::units::UnitTable;
use crate::value::Value;
use convert::Raw;
use diag::{Capped, clip, did_you_mean};
use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::Arc;

/// What a fact file is checked against: the record kinds of the policy package, with the
/// enums and units their fields use.
#[derive(Clone, Copy, Debug)]
pub struct Schema<'a> {
    pub records: &'a [RecordDecl],
    pub enums: &'a [EnumDecl],
    pub units: &'a UnitTable,
    /// Declared parties, for fields of type `party`.
    pub parties: &'a [crate::model::PartyDecl],
    /// The plan's UTC offset in seconds: a datetime with an offset becomes a date in this zone.
    pub utc_offset: i32,
}

impl<'a> Schema<'a> {
    /// The schema a checked model declares.
    pub fn of(m: &'a crate::model::Model) -> Self {
        Schema {
            records: &m.records,
            enums: &m.enums,
            units: &m.units,
            parties: &m.parties,
            utc_offset: m.plan.offset_secs(),
        }
    }
}

/// `1 record was`, `2 records were`.
pub(crate) fn records(n: usize) -> String {
    if n == 1 { "1 record was".into() } else { format!("{n} records were") }
}

/// Rows read from one file, by column ([`Rows`]); references to other records still hold the
/// key text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileFacts {
    pub path: Arc<str>,
    pub rows: Rows,
    pub rejected: Vec<Rejected>,
    /// Records the file held but that were never read (a syntax error, a line that is not
    /// UTF-8, a sheet refused): at most one per record kind, so its kind is incomplete.
    pub losses: Vec<Loss>,
    /// Rejected records without a key past the first [`diag::MAX_PER_FILE`] of the file,
    /// counted per kind rather than kept one by one, so that a file of garbage takes memory
    /// for its count only. `lost` is the count; line and reason are the first one's.
    pub unkept: Vec<Loss>,
    pub diagnostics: Vec<Diagnostic>,
    /// For a workbook, where each sheet's records and fields are, so that diagnostics found
    /// after reading (a duplicate key, a dangling reference) can name the cell.
    pub sheets: Vec<Sheet>,
}

/// Where the records of one kind were read in a workbook: a row's `line` is its sheet row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sheet {
    pub kind: RecordId,
    pub name: String,
    /// The sheet rows holding records, 1-based, both ends included.
    pub lines: (u32, u32),
    /// Per field of the kind: its column, 0-based, when the sheet has one.
    pub columns: Vec<Option<u32>>,
}

impl FileFacts {
    /// The cell of a record's field (`工業爐窯!D7`), or its row (`工業爐窯!7:7`) when the field
    /// has no column; `None` outside a workbook.
    pub fn cell(&self, kind: RecordId, line: u32, field: Option<usize>) -> Option<String> {
        let sheet = self.sheets.iter().find(|s| s.kind == kind && s.lines.0 <= line && line <= s.lines.1)?;
        Some(match field.and_then(|f| sheet.columns.get(f).copied().flatten()) {
            Some(c) => format!("{}!{}{line}", sheet.name, xlsx::column_name(c)),
            None => format!("{}!{line}:{line}", sheet.name),
        })
    }
}

impl FileFacts {
    /// A file of which nothing was read, for the reason `d` gives; every kind it may have held
    /// is incomplete.
    pub fn unread(schema: &Schema<'_>, path: &Arc<str>, d: Diagnostic) -> FileFacts {
        let mut loader = Loader::new(*schema, path);
        let reason = d.message.clone();
        loader.report(d);
        loader.lose_in(0, &reason, None, None);
        loader.finish()
    }
}

/// Records of one kind that a file held but that were never read, so that the kind is
/// incomplete: whatever a verdict needed from it may have been in the part not read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Loss {
    pub kind: RecordId,
    pub file: Arc<str>,
    /// The 1-based line where the first loss of this kind in this file begins; 0 when the
    /// file has no lines to point at (a workbook, a file not read at all).
    pub line: u32,
    /// Why the first of these records was not read, as the diagnostic says it.
    pub reason: String,
    /// How many records were lost, when that could be counted (NDJSON lines); `None` is an
    /// unknown number.
    pub lost: Option<usize>,
    /// How many further losses of this kind the file had after the first.
    pub more: usize,
}

impl Loss {
    /// How many records were lost: `3 records`, `an unknown number of records`.
    pub fn count_text(&self) -> String {
        match self.lost {
            Some(1) => "1 record".to_string(),
            Some(n) => format!("{n} records"),
            None => "an unknown number of records".to_string(),
        }
    }

    /// Why a verdict that needed records of `kind` cannot be decided, naming the file and why
    /// it was not read: `an unknown number of 企業 records in `a.json` could not be read …`.
    pub fn describe(&self, kind: &str) -> String {
        let what = match self.lost {
            Some(1) => format!("1 {kind} record"),
            Some(n) => format!("{n} {kind} records"),
            None => format!("an unknown number of {kind} records"),
        };
        let at = if self.line > 0 { format!(" at line {}", self.line) } else { String::new() };
        let more = match self.more {
            0 => String::new(),
            1 => " (and 1 more place like it)".to_string(),
            n => format!(" (and {n} more places like it)"),
        };
        format!("{what} in `{}` could not be read{at}: {}{more}", self.file, self.reason)
    }
}

/// One accepted record of one file, as a reader hands it over; [`FileFacts::rows`] holds them
/// by column ([`Rows`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawRow {
    pub kind: RecordId,
    /// 1-based line where the record starts.
    pub line: u32,
    /// The whole record: a JSON object, or a CSV line.
    pub span: Span,
    /// Where the key value is written, so a duplicate key can point at both copies.
    pub key_span: Span,
    /// One per schema field, in declaration order; `None` is absent (never zero).
    pub values: Vec<Option<Cell>>,
}

/// A field value of a row that is not linked yet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Cell {
    Value(Value),
    /// A reference by key, resolved by [`link`]. The key is already in the target kind's
    /// canonical key text (see [`key_text`]).
    UnresolvedRef {
        key: Arc<str>,
        span: Span,
    },
    /// A value that could not be read (reported): the field is unreadable, not absent, so
    /// only what reads it is `unknown`, while the record, whose key is intact, is kept.
    Bad(Arc<str>),
}

/// A record that was read but not accepted, kept so the summary can account for it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rejected {
    pub kind: RecordId,
    /// The record's key, when it had a readable one.
    pub key: Option<Arc<str>>,
    pub line: u32,
    /// The whole record, in the file it was read from.
    pub span: Span,
    /// Every reason the record was rejected, joined by `; `.
    pub reason: String,
}

/// The facts of one evaluation: every file linked, one table per record kind.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Facts {
    /// The files linked, in the order given; [`RowOrigin::file`] indexes this.
    pub files: Vec<Arc<str>>,
    /// Indexed by [`RecordId`]: one per schema record, even when empty.
    pub tables: Vec<Table>,
    /// What linking found (duplicate keys, dangling references). The diagnostics of each
    /// file stay in its [`FileFacts`], so they are not repeated here.
    pub diagnostics: Vec<Diagnostic>,
    /// The groups of the derived kinds whose source records were not kept (see
    /// [`Table::streamed`]).
    pub placed: Vec<Placed>,
}

/// The accepted records of one kind, stored by column (see [`Column`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Table {
    /// One per field, in declaration order; a cell is absent, or unreadable when `bad` holds
    /// it. Read through [`Table::get`] and the typed accessors.
    pub columns: Vec<Column>,
    /// Cells whose value could not be read, by `(row, field)`, with the reason: the field is
    /// unknown, not absent, and its record is kept.
    pub bad: rustc_hash::FxHashMap<(u32, u32), Arc<str>>,
    /// Per field: how many rows have it unreadable.
    pub bad_by_field: Vec<u32>,
    /// Per field: the first row that has it unreadable, if any.
    pub first_bad: Vec<Option<u32>>,
    /// How many rows have at least one unreadable field.
    pub flawed: usize,
    /// Each row's key, and the row of each key.
    pub by_key: Keys,
    /// Where each row came from, by row.
    pub origins: Origins,
    pub rejected: Vec<Rejected>,
    /// Records read, accepted or not: always `origins.len() + rejected_count()`.
    pub loaded: usize,
    /// Files with records of this kind that were never read: when not empty, the kind is
    /// incomplete, and what is not in the table may be in the part not read.
    pub incomplete: Vec<Loss>,
    /// Per file, rejected records without a key that were counted but not kept one by one
    /// (see [`FileFacts::unkept`]); they are in `loaded`.
    pub unkept: Vec<Loss>,
    /// For a kind derived by grouping, per row: the rows of the kind it is derived from that
    /// make its group, ascending. Empty for a kind read from facts.
    pub groups: Vec<Arc<[u32]>>,
    /// Whether the records were placed in the groups of the kinds derived from them as they
    /// were read, and not kept: the table holds where each was read ([`Table::origins`]) and
    /// the accounting, no columns and no keys, and the derived kinds' groups are in
    /// [`Facts::placed`]. Only a kind that nothing but those groupings reads is read so.
    pub streamed: bool,
}

/// The groups of a derived kind whose source records were placed as they were read (see
/// [`Table::streamed`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Placed {
    /// The derived kind.
    pub kind: RecordId,
    /// Per group, in the order found (by its first source row): its key, and its source rows,
    /// ascending.
    pub groups: Vec<(Vec<Value>, Arc<[u32]>)>,
    /// The first source record that could not be placed in a group and why, and how many
    /// could not.
    pub unplaced: Option<(String, usize)>,
    /// Per group, per value of the kind: the value an engine computed from the files the
    /// source records were read from; `None` where none matched, for writ to say why. Empty
    /// when a record could not be placed (every value is then unknown).
    pub values: Vec<Vec<Option<Value>>>,
}

/// Where an accepted row was read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RowOrigin<'a> {
    /// Index into [`Facts::files`].
    pub file: u32,
    pub line: u32,
    pub key: &'a str,
}

impl Facts {
    /// The key text of a row.
    ///
    /// # Panics
    /// If `kind` or `row` is out of range: both come from this store, so that is a bug.
    pub fn key_of(&self, kind: RecordId, row: u32) -> &str {
        self.tables[kind.index()].key(row)
    }

    /// The value of one field of one row, or `None` when the fact file left it absent.
    ///
    /// # Panics
    /// If `kind` or `field` is out of range.
    pub fn value(&self, kind: RecordId, row: u32, field: usize) -> Option<Value> {
        self.tables[kind.index()].get(field, row)
    }
}

impl Table {
    /// The value of `field` in `row`, or `None` when it is absent or unreadable (see
    /// [`Table::bad_cell`]).
    ///
    /// # Panics
    /// If `field` is out of range.
    pub fn get(&self, field: usize, row: u32) -> Option<Value> {
        self.columns[field].get(row as usize)
    }

    /// The date in `field` of `row`, when it holds one.
    ///
    /// # Panics
    /// If `field` is out of range.
    pub fn date(&self, field: usize, row: u32) -> Option<crate::value::Date> {
        self.columns[field].date(row as usize)
    }

    /// The row of the given kind that `field` of `row` refers to, when it holds a reference.
    ///
    /// # Panics
    /// If `field` is out of range.
    pub fn reference(&self, field: usize, row: u32) -> Option<(RecordId, u32)> {
        self.columns[field].reference(row as usize)
    }

    /// The key of `row`.
    ///
    /// # Panics
    /// If `row` is out of range.
    pub fn key(&self, row: u32) -> &str {
        self.by_key.key(row)
    }

    /// The file (an index into [`Facts::files`]) and line `row` was read at: of a kind whose
    /// records were not kept too ([`Table::streamed`]), which have no key.
    ///
    /// # Panics
    /// If `row` is out of range.
    pub fn place(&self, row: u32) -> (u32, u32) {
        (self.origins.file[row as usize], self.origins.line[row as usize])
    }

    /// Where `row` was read, with its key.
    ///
    /// # Panics
    /// If `row` is out of range.
    pub fn origin(&self, row: u32) -> RowOrigin<'_> {
        let r = row as usize;
        RowOrigin { file: self.origins.file[r], line: self.origins.line[r], key: self.by_key.key(row) }
    }

    /// Why the field of a row could not be read, when it could not.
    pub fn bad_cell(&self, row: u32, field: u32) -> Option<&Arc<str>> {
        if self.bad_by_field.get(field as usize).is_some_and(|&n| n > 0) { self.bad.get(&(row, field)) } else { None }
    }

    /// The number of rejected records, kept one by one or only counted.
    pub fn rejected_count(&self) -> usize {
        self.rejected.len() + self.unkept.iter().map(|u| u.lost.unwrap_or(0)).sum::<usize>()
    }

    /// The number of accepted rows.
    pub fn len(&self) -> usize {
        self.origins.len()
    }
    pub fn is_empty(&self) -> bool {
        self.origins.is_empty()
    }

    /// The bytes the rows hold on the heap: columns, keys and origins (not the rejected
    /// records, nor the unreadable cells' reasons).
    pub fn heap_bytes(&self) -> usize {
        self.columns.iter().map(Column::heap_bytes).sum::<usize>()
            + self.columns.capacity() * std::mem::size_of::<Column>()
            + self.by_key.heap_bytes()
            + self.origins.heap_bytes()
    }
}

/// A fact file's contents as read from disk: text for the text formats, bytes for XLSX.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Content {
    Text {
        text: Arc<str>,
        /// The encoding the file was decoded from when it was not UTF-8 (`GBK`, `Big5`…), so
        /// diagnostics can say that their positions are in the decoded text.
        encoding: Option<&'static str>,
    },
    Bytes(Arc<[u8]>),
    /// A file read as it is loaded, line by line (NDJSON), so that its text is never held
    /// whole. Its size and modification time stand for its contents: an edit is a new input.
    Stream {
        path: Arc<Path>,
        len: u64,
        modified: Option<std::time::SystemTime>,
    },
    /// A text file (JSON, CSV, YAML, TOML) read whole as it is loaded, and let go once its
    /// records are read, so that its text is not held while they are evaluated. Its size and
    /// modification time stand for its contents, as for a stream; `encoding` is the one declared
    /// for a CSV file that is not UTF-8. The database reads it (`db::fact_file`): the text the
    /// command line already read is handed over to it, and read again from disk only when the
    /// query runs again.
    Whole {
        path: Arc<Path>,
        len: u64,
        modified: Option<std::time::SystemTime>,
        encoding: Option<&'static encoding_rs::Encoding>,
    },
    /// A file that was listed but could not be read, with the reason the system gave: it is
    /// loaded as a file of which nothing was read, so its kinds are incomplete.
    Unreadable(Arc<str>),
}

impl Content {
    /// UTF-8 text, as written.
    pub fn text(text: &str) -> Content {
        Content::Text { text: text.into(), encoding: None }
    }
}

/// A fact file format writ reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FactFormat {
    Json,
    /// One JSON record per line, streamed from disk.
    Ndjson,
    Csv,
    Yaml,
    Toml,
    Xlsx,
    /// Columns of typed values, read from disk as they are loaded (`--features parquet`).
    Parquet,
}

/// The formats and their extensions (lowercase; the first is the one messages name): the one
/// list that reading, listing folders, messages and the documentation follow.
pub const FORMATS: &[(FactFormat, &[&str])] = &[
    (FactFormat::Json, &["json"]),
    (FactFormat::Ndjson, &["ndjson", "jsonl"]),
    (FactFormat::Csv, &["csv"]),
    (FactFormat::Yaml, &["yaml", "yml"]),
    (FactFormat::Toml, &["toml"]),
    (FactFormat::Xlsx, &["xlsx"]),
    (FactFormat::Parquet, &["parquet"]),
];

/// Every extension of [`FORMATS`], in order (a test holds the two together).
pub const EXTENSIONS: &[&str] = &["json", "ndjson", "jsonl", "csv", "yaml", "yml", "toml", "xlsx", "parquet"];

impl FactFormat {
    /// The format of a fact file, by its extension in any case.
    pub fn of(path: &str) -> Option<FactFormat> {
        let ext = Path::new(path).extension().and_then(|e| e.to_str())?.to_ascii_lowercase();
        FORMATS.iter().find(|(_, exts)| exts.contains(&ext.as_str())).map(|&(f, _)| f)
    }

    /// Its extensions, the usual one first.
    pub fn extensions(self) -> &'static [&'static str] {
        FORMATS.iter().find(|(f, _)| *f == self).map_or(&[], |(_, exts)| exts)
    }
}

/// The formats as a message names them: the usual extension of each (`` `.json`, `.ndjson`,
/// … or `.xlsx` ``), or with `all`, every extension (`` `.json`, `.ndjson`, `.jsonl`, … ``).
pub fn format_names(all: bool) -> String {
    let exts: Vec<String> = FORMATS
        .iter()
        .flat_map(|(_, exts)| if all { &exts[..] } else { &exts[..1] })
        .map(|e| format!("`.{e}`"))
        .collect();
    match exts.split_last() {
        Some((last, rest)) if !all && !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
        _ => exts.join(", "),
    }
}

/// Whether a fact file at `path` is read from disk as it is loaded ([`Content::Stream`]) rather
/// than read whole first: NDJSON, a line at a time, and Parquet, a part at a time.
pub fn is_streamed(path: &str) -> bool {
    matches!(FactFormat::of(path), Some(FactFormat::Ndjson | FactFormat::Parquet))
}

/// Whether a file of this name is read as bytes, not text: workbooks and Parquet, and NDJSON,
/// which is checked line by line as it is read, so that one bad line rejects only itself.
pub fn read_as_bytes(path: &str) -> bool {
    matches!(FactFormat::of(path), Some(FactFormat::Xlsx | FactFormat::Ndjson | FactFormat::Parquet))
}

/// Turns a fact file's bytes into [`Content`]: XLSX and NDJSON stay bytes (NDJSON is checked line by line); other files must be UTF-8 (a
/// BOM is dropped), except CSV, whose encoding is detected when it is not UTF-8 (Excel on
/// Chinese Windows saves GBK). Invalid text is an `invalid-utf8` diagnostic at the first bad byte.
pub fn decode(path: &Arc<str>, bytes: Vec<u8>) -> Result<Content, Diagnostic> {
    decode_as(path, bytes, None)
}

/// [`decode`], with the encoding of a CSV file that is not UTF-8 declared rather than detected.
/// A BOM still decides: a file that starts with one is in the encoding it names.
pub fn decode_as(
    path: &Arc<str>,
    bytes: Vec<u8>,
    declared: Option<&'static encoding_rs::Encoding>,
) -> Result<Content, Diagnostic> {
    let format = FactFormat::of(path);
    if read_as_bytes(path) {
        return Ok(Content::Bytes(bytes.into()));
    }
    // Checked with SIMD; the standard check, slower, says where the first bad byte is.
    if let Ok(s) = simdutf8::basic::from_utf8(&bytes) {
        return Ok(Content::text(s.strip_prefix('\u{feff}').unwrap_or(s)));
    }
    let at = std::str::from_utf8(&bytes).err().map_or(0, |e| e.valid_up_to());
    if format == Some(FactFormat::Csv) {
        // A UTF-16 BOM says the encoding outright; otherwise guess, hinting at `.cn` since
        // writ's plans are Chinese (Traditional characters in GBK could otherwise pass for Big5).
        let (encoding, bom) = match (encoding_rs::Encoding::for_bom(&bytes), declared) {
            (Some((e, n)), _) => (e, n),
            (None, Some(e)) => (e, 0),
            (None, None) => {
                let mut detector = chardetng::EncodingDetector::new();
                detector.feed(&bytes, true);
                (detector.guess(Some(b"cn"), false), 0)
            }
        };
        if let Some(text) = encoding.decode_without_bom_handling_and_without_replacement(&bytes[bom..]) {
            return Ok(Content::Text { text: text.into(), encoding: Some(encoding.name()) });
        }
        let how = if declared.is_some() && bom == 0 { "as declared" } else { "as detected" };
        return Err(Diagnostic::error(
            "invalid-utf8",
            path,
            Span::new(at, at),
            format!("`{path}` is neither valid UTF-8 (byte {at}) nor valid {} ({how})", encoding.name()),
        )
        .with_help("save the file as UTF-8 (in Excel: “CSV UTF-8”), or name its encoding with `--encoding`"));
    }
    Err(Diagnostic::error("invalid-utf8", path, Span::new(at, at), format!("`{path}` is not valid UTF-8 (byte {at})"))
        .with_help("save the file as UTF-8"))
}

/// Reads one fact file of UTF-8 text, choosing the format by extension; see [`parse_content`].
pub fn parse_file(schema: &Schema<'_>, path: &Arc<str>, text: &str) -> FileFacts {
    parse_input(schema, path, Input::Text(text, None), 1)
}

/// Reads one fact file, choosing the format by extension: `.json`, `.ndjson`/`.jsonl`, `.csv`,
/// `.yaml`/`.yml`, `.toml`, `.xlsx` or `.parquet` (read with the `parquet` feature).
///
/// Never fails: problems are diagnostics in the result. A syntax error of a JSON, YAML or TOML
/// file stops the file, which then holds no rows and that one diagnostic, since a half-read
/// file would make counts and aggregates silently wrong. NDJSON is the exception: each line
/// is a file of its own, so a bad line is reported and the others are read.
///
/// `facts` opens no file: a [`Content::Stream`] is read by whoever holds the file, through
/// [`parse_stream`] (the database's `fact_file` query does), and so is a [`Content::Whole`].
/// Given either here, nothing is read and the file says so.
pub fn parse_content(schema: &Schema<'_>, path: &Arc<str>, content: &Content) -> FileFacts {
    parse_content_on(schema, path, content, 1)
}

/// UTF-8 text of a fact file parsed as [`parse_content_on`] parses it as [`Content::Text`].
pub fn parse_text_on(schema: &Schema<'_>, path: &Arc<str>, text: &str, threads: usize) -> FileFacts {
    parse_input(schema, path, Input::Text(text, None), threads)
}

/// [`parse_content`] on up to `threads` threads: a large JSON array of records is read in
/// parts, each on a thread of its own, when its records can be told apart without reading
/// them all (see `json::read`). What the file gives is the same on any number of threads.
pub fn parse_content_on(schema: &Schema<'_>, path: &Arc<str>, content: &Content, threads: usize) -> FileFacts {
    match content {
        Content::Text { text, encoding } => parse_input(schema, path, Input::Text(text, *encoding), threads),
        Content::Bytes(b) => parse_input(schema, path, Input::Bytes(b), threads),
        Content::Unreadable(why) => {
            let d = Diagnostic::error("io-error", path, Span::default(), format!("cannot read `{path}`: {why}"))
                .with_label("this file was not read")
                .with_help("check that the file is readable");
            FileFacts::unread(schema, path, d)
        }
        Content::Stream { .. } | Content::Whole { .. } => {
            let d = Diagnostic::error(
                "io-error",
                path,
                Span::default(),
                format!("cannot read `{path}`: a file read from disk is read as it is opened, not here"),
            )
            .with_label("this file was not read");
            FileFacts::unread(schema, path, d)
        }
    }
}

/// The `io-error` of a fact file that cannot be read.
pub fn unreadable(path: &Arc<str>, e: &std::io::Error) -> Diagnostic {
    Diagnostic::error("io-error", path, Span::default(), format!("cannot read `{path}`: {e}"))
        .with_label("this file was not read")
        .with_help("check that the file exists and is readable")
}

/// Reads a Parquet file from disk a batch of rows at a time (it is read from its footer first,
/// so it needs the file itself, not a stream).
pub fn parse_parquet_file(schema: &Schema<'_>, path: &Arc<str>, file: std::fs::File) -> FileFacts {
    let mut loader = Loader::new(*schema, path);
    #[cfg(feature = "parquet")]
    parquet::read(&mut loader, file);
    #[cfg(not(feature = "parquet"))]
    {
        drop(file);
        no_parquet(&mut loader);
    }
    loader.finish()
}

/// The kinds a file at `path` holds by its name ([`Loader::file_kinds`]): the kind it is named
/// after, else those whose `source` patterns match it, else the kind its folder is named after.
/// A file of another format may hold other kinds too (a JSON file names its kinds inside).
pub fn kinds_of_file(schema: &Schema<'_>, path: &Arc<str>) -> Vec<RecordId> {
    Loader::new(*schema, path).file_kinds()
}

/// A Parquet file given to a build of writ without the `parquet` feature.
#[cfg(not(feature = "parquet"))]
fn no_parquet(loader: &mut Loader<'_>) {
    let d = Diagnostic::error(
        "unknown-format",
        &loader.path,
        Span::default(),
        "a Parquet file, which this build of writ does not read",
    )
    .with_label("this file was not read")
    .with_help("build writ with Parquet support: `cargo build --release --features parquet`");
    let reason = d.message.clone();
    loader.report(d);
    loader.lose_in(0, &reason, None, None);
}

/// Reads an NDJSON fact file from `input` as it is loaded, holding one line at a time; the
/// format is chosen by `path`'s extension, and any other format is read whole.
pub fn parse_stream(schema: &Schema<'_>, path: &Arc<str>, input: &mut dyn std::io::BufRead) -> FileFacts {
    parse_input(schema, path, Input::Stream(input), 1)
}

enum Input<'a> {
    Text(&'a str, Option<&'static str>),
    Bytes(&'a [u8]),
    /// Read as it is loaded; NDJSON only.
    Stream(&'a mut dyn std::io::BufRead),
}

fn parse_input(schema: &Schema<'_>, path: &Arc<str>, input: Input<'_>, threads: usize) -> FileFacts {
    let format = FactFormat::of(path);
    let mut loader = Loader::new(*schema, path);
    match (format, input) {
        (Some(FactFormat::Xlsx), Input::Bytes(b)) => xlsx::read(&mut loader, b),
        (Some(FactFormat::Xlsx), Input::Text(t, _)) => xlsx::read(&mut loader, t.as_bytes()),
        #[cfg(feature = "parquet")]
        (Some(FactFormat::Parquet), Input::Bytes(b)) => parquet::read(&mut loader, bytes::Bytes::copy_from_slice(b)),
        #[cfg(feature = "parquet")]
        (Some(FactFormat::Parquet), Input::Text(t, _)) => {
            parquet::read(&mut loader, bytes::Bytes::copy_from_slice(t.as_bytes()))
        }
        #[cfg(not(feature = "parquet"))]
        (Some(FactFormat::Parquet), _) => no_parquet(&mut loader),
        (Some(FactFormat::Ndjson), Input::Bytes(mut b)) => json::read_lines(&mut loader, &mut b),
        (_, Input::Bytes(b)) => match std::str::from_utf8(b) {
            Ok(t) => return parse_input(schema, path, Input::Text(t, None), threads),
            // A CSV file may be in another encoding, which `decode` detects.
            Err(_) => match decode(path, b.to_vec()) {
                Ok(content) => return parse_content(schema, path, &content),
                Err(d) => return FileFacts::unread(schema, path, d),
            },
        },
        (Some(FactFormat::Json), Input::Text(text, _)) => {
            if let Err(stop) = json::read(&mut loader, text, threads) {
                // The records read before the error stay; the kind being read then, and every
                // kind the rest of the file may hold, are incomplete.
                let reason = stop.diagnostic.message.clone();
                let at = stop.diagnostic.primary_span().start as usize;
                let line = line_of(text, at);
                loader.report(stop.diagnostic);
                if let Some(kind) = stop.kind {
                    loader.lose(kind, line, &reason, None);
                }
                // The rest of the file is all there only if the file still ends as a fact file
                // does, with the `}` closing its object; otherwise it may have been cut short,
                // and what was cut off could hold any kind.
                let whole = text.trim_end().ends_with('}');
                loader.lose_in(line, &reason, None, rest_of(text, at).filter(|_| whole));
            }
        }
        (Some(FactFormat::Ndjson), Input::Text(text, _)) => json::read_lines(&mut loader, &mut text.as_bytes()),
        (Some(FactFormat::Ndjson), Input::Stream(input)) => json::read_lines(&mut loader, input),
        (_, Input::Stream(input)) => {
            // Only NDJSON is streamed; any other format is read whole here.
            let mut bytes = Vec::new();
            if let Err(e) = input.read_to_end(&mut bytes) {
                return FileFacts::unread(schema, path, unreadable(path, &e));
            }
            return match decode(path, bytes) {
                Ok(content) => parse_content(schema, path, &content),
                Err(d) => FileFacts::unread(schema, path, d),
            };
        }
        (Some(FactFormat::Yaml | FactFormat::Toml), Input::Text(text, _)) if cut_short(text) => {
            // A YAML or TOML file has no closing mark: one cut short inside its last record
            // would read that record with a value cut (`40` as `4`). Which record that is, the
            // reader cannot tell, so nothing of the file is read.
            let end = text.len();
            let d = Diagnostic::error(
                "cut-short",
                path,
                Span::new(end, end),
                "expected a line break at the end of the file, found none: it may have been cut short",
            )
            .with_label("the file ends here")
            .with_help("export the file again if it was cut short; if it is whole, end it with a line break");
            let reason = d.message.clone();
            let line = line_of(text, end);
            loader.report(d);
            loader.lose_in(line, &reason, None, None);
        }
        (Some(FactFormat::Yaml), Input::Text(text, _)) => {
            if let Err(d) = tree::read_yaml(&mut loader, text) {
                tree_unread(&mut loader, text, d);
            }
        }
        (Some(FactFormat::Toml), Input::Text(text, _)) => {
            if let Err(d) = tree::read_toml(&mut loader, text) {
                tree_unread(&mut loader, text, d);
            }
        }
        (Some(FactFormat::Csv), Input::Text(text, encoding)) => {
            loader.encoding = encoding;
            csv::read(&mut loader, text);
        }
        _ => {
            let found = match Path::new(&**path).extension().and_then(|e| e.to_str()) {
                Some(e) => format!("`.{}`", e.to_ascii_lowercase()),
                None => "no extension".to_string(),
            };
            let d = Diagnostic::error(
                "unknown-format",
                path,
                Span::default(),
                format!("expected a {} fact file, found {found}", format_names(false)),
            )
            .with_label("this file was not read")
            .with_help(
                "write facts as JSON (`{\"kind\": [records…]}`), YAML or TOML of the same shape, NDJSON with a \
                 `\"kind\"` member per line, one CSV file per record kind named after it, or an XLSX workbook \
                 with one sheet per record kind",
            );
            return FileFacts::unread(schema, path, d);
        }
    }
    loader.finish()
}

/// The text after a syntax error at `at`, when it is there to read; `None` when the error is
/// at the end of the file, which may then have been cut short (its lost part is not there).
fn rest_of(text: &str, at: usize) -> Option<&[u8]> {
    let rest = text.as_bytes().get(at..).unwrap_or_default();
    (!rest.iter().all(u8::is_ascii_whitespace)).then_some(rest)
}

/// Whether a text file with content ends without a line break, so that it may have been cut.
fn cut_short(text: &str) -> bool {
    !text.trim().is_empty() && !text.ends_with('\n')
}

/// A YAML or TOML file with a syntax error: its reader builds the whole document before any
/// record is taken from it, so nothing is read, and every kind it names is incomplete.
fn tree_unread(loader: &mut Loader<'_>, text: &str, d: Diagnostic) {
    let reason = d.message.clone();
    let at = d.primary_span().start as usize;
    let line = line_of(text, at);
    loader.report(d);
    // A file that does not end with a line break may have been cut short, and what was cut off
    // could hold any kind.
    let whole = text.ends_with('\n');
    let unread = rest_of(text, at).filter(|_| whole).map(|_| text.as_bytes());
    loader.lose_in(line, &reason, None, unread);
}

/// The text a key value is known by: text as is, numbers in decimal, dates ISO, enum
/// variants by name. References (a key field may refer to another record) keep their key.
pub fn key_text(schema: &Schema<'_>, field: &FieldDecl, cell: &Cell) -> Arc<str> {
    match cell {
        Cell::UnresolvedRef { key, .. } => key.clone(),
        Cell::Value(v) => value_text(schema, field, v),
        // A bad key rejects its record, so no key is ever `Bad`; this arm keeps the function total.
        Cell::Bad(why) => why.clone(),
    }
}

fn value_text(schema: &Schema<'_>, field: &FieldDecl, v: &Value) -> Arc<str> {
    match v {
        Value::Text(t) => t.clone(),
        Value::Num(n) => n.normalize().to_string().into(),
        Value::Date(d) => d.to_string().into(),
        Value::DateTime(t) => t.to_string().into(),
        Value::Bool(b) => b.to_string().into(),
        Value::Enum(i) => match &field.ty {
            Ty::Enum(e) => schema
                .enums
                .get(e.index())
                .and_then(|e| e.variants.get(*i as usize))
                .map_or_else(|| i.to_string().into(), |s| s.as_str().into()),
            _ => i.to_string().into(),
        },
        // Durations and lists are rejected before they could be keys, and references are
        // still `Cell::UnresolvedRef` here; this arm only keeps the function total.
        other => format!("{other:?}").into(),
    }
}

/// Per-file state shared by the JSON and CSV readers: name lookups, the row being built,
/// what was read so far, and the capped diagnostics.
struct Loader<'s> {
    schema: Schema<'s>,
    path: Arc<str>,
    kinds: HashMap<&'s str, RecordId>,
    /// Per kind: field name → field index. Built once per file, so each value costs one lookup.
    fields: Vec<HashMap<&'s str, usize>>,
    /// Per kind: a column its source builds a field from → (which built field, which part).
    parts: Vec<HashMap<&'s str, (u8, u8)>>,
    /// The line of the last record without a key and how many began on it, so that records
    /// sharing a line (a minified JSON file) are told apart.
    keyless_at: (u32, u32),
    /// The file's name without its folder, which the key of a record without one begins with.
    file_name: Box<str>,
    rows: RowsBuilder,
    rejected: Vec<Rejected>,
    /// How many of `rejected` have no key.
    keyless: usize,
    unkept: Vec<Loss>,
    losses: Vec<Loss>,
    diags: Capped,
    /// Per kind: unknown field names already reported, so a typo repeated in a million
    /// records is one diagnostic rather than a million.
    unknown_fields: Vec<HashSet<String>>,
    row: Pending,
    /// The encoding a CSV file was decoded from, when not UTF-8; said in every help line.
    encoding: Option<&'static str>,
    /// The spreadsheet cell being read (`工業爐窯!D7`): diagnostics then name it in their
    /// message and label, and have empty spans, since a workbook has no text to point into.
    cell: Option<String>,
    /// The column (an index into `column_names`) and row of a Parquet file being read, or the
    /// row alone: stands for `cell` (`PM10, row 7`), written out only if a diagnostic needs it.
    at_column: Option<(Option<usize>, u32)>,
    column_names: Vec<String>,
    /// What the value being read may really be, added to the help line of a diagnostic about it
    /// (a number in a date field read from a workbook may be an Excel serial date).
    hint: Option<String>,
    /// The sheets of a workbook read so far.
    sheets: Vec<Sheet>,
    /// Kinds by the script fold of their names ([`crate::script::fold`]), for a kind named in
    /// the other Chinese script than the policy's.
    folded_kinds: HashMap<String, RecordId>,
    /// Per kind: field names written in the other script, with the field each was read as,
    /// found once each (the fold of the kind's names is built on the first such name).
    script_fields: Vec<Option<ScriptFields>>,
    /// The names read under the fold already reported (`fact-script-variant`): once per name
    /// and file.
    script_noted: HashSet<String>,
}

/// The fields of one kind by the fold of their names, and the names written in the other
/// script already resolved.
struct ScriptFields {
    folded: HashMap<String, usize>,
    written: HashMap<String, usize>,
}

/// The row being read.
#[derive(Default)]
struct Pending {
    kind: RecordId,
    line: u32,
    values: Vec<Option<Cell>>,
    key_span: Option<Span>,
    /// Why the row is rejected; empty while it is fine.
    reasons: String,
    /// A problem with the key was already reported, so `missing-key` must not report it again.
    key_reported: bool,
    /// What the key field held when it was written, for a key that turns out empty.
    key_written: Option<&'static str>,
    /// Per field built from split columns: its parts as read so far.
    parts: Vec<[Part; 6]>,
}

/// One part (year, month, day, hour, minute, second) of a date or datetime built from split
/// columns.
#[derive(Clone, Copy, Debug, Default)]
enum Part {
    /// Not in the record, or a missing value.
    #[default]
    Missing,
    /// Not a whole number in range: reported.
    Bad,
    Value(u32, Span),
}

/// The names and ranges of the parts of a built date or datetime.
const PARTS: [(&str, u32, u32); 6] =
    [("year", 1, 9999), ("month", 1, 12), ("day", 1, 31), ("hour", 0, 23), ("minute", 0, 59), ("second", 0, 59)];

impl<'s> Loader<'s> {
    fn new(schema: Schema<'s>, path: &Arc<str>) -> Self {
        // A derived kind is computed, never read.
        let kinds = (schema.records.iter().enumerate())
            .filter(|(_, r)| !r.derived)
            .map(|(i, r)| (r.name.as_str(), RecordId::at(i)))
            .collect();
        // A field is read under its own name and under each column the record's source maps to
        // it; the key of a record without one is never read.
        let fields = schema
            .records
            .iter()
            .map(|r| {
                let own = r.fields.iter().enumerate().filter(|&(i, _)| !(r.keyless && i == r.key));
                let renamed = r.source.iter().flat_map(|s| s.renames.iter().map(|(c, f)| (c.as_str(), *f)));
                own.map(|(i, f)| (f.name.as_str(), i)).chain(renamed).collect()
            })
            .collect();
        let parts = schema
            .records
            .iter()
            .map(|r| {
                let built = r.source.iter().flat_map(|s| s.built.iter().enumerate());
                built
                    .flat_map(|(b, (_, cols))| {
                        cols.iter().enumerate().map(move |(p, c)| (c.as_str(), (b as u8, p as u8)))
                    })
                    .collect()
            })
            .collect();
        Loader {
            schema,
            path: path.clone(),
            kinds,
            fields,
            parts,
            keyless_at: (u32::MAX, 0),
            file_name: Path::new(&**path).file_name().and_then(|s| s.to_str()).unwrap_or(path).into(),
            rows: RowsBuilder::default(),
            rejected: Vec::new(),
            keyless: 0,
            unkept: Vec::new(),
            losses: Vec::new(),
            diags: Capped::new(vec![path.clone()]),
            unknown_fields: vec![HashSet::new(); schema.records.len()],
            row: Pending::default(),
            encoding: None,
            cell: None,
            at_column: None,
            column_names: Vec::new(),
            hint: None,
            sheets: Vec::new(),
            folded_kinds: (schema.records.iter().enumerate())
                .filter(|(_, r)| !r.derived)
                .map(|(i, r)| (crate::script::fold(&r.name).into_owned(), RecordId::at(i)))
                .collect(),
            script_fields: (0..schema.records.len()).map(|_| None).collect(),
            script_noted: HashSet::new(),
        }
    }

    /// The kind named `name`: exactly, or in the other Chinese script than the policy's
    /// (`工业炉窑` for a declared `工業爐窯`), with a warning the first time in the file.
    fn kind_named(&mut self, name: &str, span: Span) -> Option<RecordId> {
        if let Some(&k) = self.kinds.get(name) {
            return Some(k);
        }
        if name.is_ascii() {
            return None;
        }
        let k = *self.folded_kinds.get(crate::script::fold(name).as_ref())?;
        let declared = &self.record(k).name;
        self.script_variant("record kind", name, declared, span);
        Some(k)
    }

    /// The field of `kind` named `name` (or a column the kind's source maps): exactly, or in
    /// the other Chinese script, with a warning the first time in the file.
    fn field_named(&mut self, kind: RecordId, name: &str, span: Span) -> Option<usize> {
        if let Some(&f) = self.fields[kind.index()].get(name) {
            return Some(f);
        }
        if name.is_ascii() {
            return None;
        }
        let fields = &self.fields[kind.index()];
        let script = self.script_fields[kind.index()].get_or_insert_with(|| ScriptFields {
            folded: fields.iter().map(|(n, &f)| (crate::script::fold(n).into_owned(), f)).collect(),
            written: HashMap::new(),
        });
        if let Some(&f) = script.written.get(name) {
            return Some(f);
        }
        let &f = script.folded.get(crate::script::fold(name).as_ref())?;
        script.written.insert(name.to_string(), f);
        let declared = self.fields[kind.index()]
            .iter()
            .find(|&(n, &g)| g == f && crate::script::fold(n) == crate::script::fold(name))
            .map_or("", |(n, _)| n);
        self.script_variant("field", name, declared, span);
        Some(f)
    }

    /// `fact-script-variant`: `written` was read as the `declared` name of a `what`, the same
    /// name in the other Chinese script. Once per name and file.
    fn script_variant(&mut self, what: &str, written: &str, declared: &str, span: Span) {
        if !self.script_noted.insert(format!("{what}\u{0}{written}")) {
            return;
        }
        let scripts = match crate::script::script_of(written, declared) {
            Some("Simplified") => ", written in Simplified script, declared in Traditional",
            Some(_) => ", written in Traditional script, declared in Simplified",
            None => ", the same name in another script",
        };
        let d = Diagnostic::warning(
            "fact-script-variant",
            &self.path,
            span,
            format!("the {what} `{}` is read as `{declared}`{scripts}", clip(written)),
        )
        .with_label(format!("read as `{declared}`"))
        .with_help(format!(
            "names of record kinds, fields, enum values and parties are matched in either Chinese script, \
             keys exactly; write `{declared}` to match the policy as written"
        ));
        self.report(d);
    }

    fn record(&self, kind: RecordId) -> &'s RecordDecl {
        &self.schema.records[kind.index()]
    }

    fn report(&mut self, mut d: Diagnostic) {
        if let Some(enc) = self.encoding {
            let note = format!("the file was read as {enc}, since it is not UTF-8; positions are in the decoded text");
            d.help = Some(match d.help.take() {
                Some(h) => format!("{h}; {note}"),
                None => note,
            });
        }
        if let Some(hint) = &self.hint {
            d.help = Some(match d.help.take() {
                Some(h) => format!("{hint}; {h}"),
                None => hint.clone(),
            });
        }
        if self.cell.is_none()
            && let Some((column, row)) = self.at_column
        {
            self.cell = Some(match column.and_then(|c| self.column_names.get(c)) {
                Some(name) => format!("{name}, row {row}"),
                None => format!("row {row}"),
            });
            self.report(d);
            self.cell = None;
            return;
        }
        if let Some(cell) = &self.cell {
            d.message = format!("`{cell}`: {}", d.message);
            for l in &mut d.labels {
                l.span = Span::default();
            }
            let label = &mut d.labels[0].message;
            *label = if label.is_empty() { cell.clone() } else { format!("{cell}: {label}") };
        }
        self.diags.push(0, d);
    }

    /// Reports `unknown-record-kind` for `name`; `label` says what was not read because of it,
    /// and `help_tail` how to fix it. `lost` records were written under the name, at `line`.
    ///
    /// A name close to a declared kind's is most likely a misspelling of it: the records under
    /// it are records of that kind that were not read, so that kind is incomplete. (A name far
    /// from every kind is taken as data the policy does not describe.)
    fn unknown_kind(&mut self, name: &str, span: Span, label: String, help_tail: &str, lost: usize, line: u32) {
        if let Some(r) = self
            .schema
            .records
            .iter()
            .find(|r| r.derived && (r.name == name || crate::script::same_folded(&r.name, name)))
        {
            let d = Diagnostic::error(
                "derived-in-facts",
                &self.path,
                span,
                format!("`{}` records are derived by the policy, not read from facts", r.name),
            )
            .with_label(label)
            .with_help(
                "leave them out: writ computes them from the records they are derived from before each evaluation",
            );
            self.report(d);
            return;
        }
        let names = self.schema.records.iter().filter(|r| !r.derived).map(|r| r.name.as_str());
        let near = did_you_mean(name, names);
        let help = match near {
            Some(s) => format!("did you mean `{s}`? {help_tail}"),
            None => format!("the record kinds are {}; {help_tail}", list(self.schema.records.iter().map(|r| &*r.name))),
        };
        if let Some(kind) = near.and_then(|s| self.kinds.get(s).copied())
            && lost > 0
        {
            let reason = format!(
                "written under the name `{}`, which no record kind has (did you mean `{}`?)",
                clip(name),
                self.record(kind).name
            );
            self.lose(kind, line, &reason, Some(lost));
        }
        let d =
            Diagnostic::error("unknown-record-kind", &self.path, span, format!("unknown record kind `{}`", clip(name)))
                .with_label(label)
                .with_help(help);
        self.report(d);
    }

    /// Reports a field name the kind does not declare, once per name and file.
    fn unknown_field(&mut self, kind: RecordId, name: &str, span: Span) {
        // A column the record's source ignores.
        if self.record(kind).source.as_ref().is_some_and(|s| s.ignore.iter().any(|c| c == name)) {
            return;
        }
        let reported = &mut self.unknown_fields[kind.index()];
        if reported.contains(name) {
            return;
        }
        // Past the per-file cap the diagnostic would only be counted: skip the suggestion work,
        // and do not remember the name, so that a file of ever new names takes no memory.
        if !self.diags.has_room(0) {
            self.diags.skip(0, span);
            return;
        }
        reported.insert(name.to_string());
        let rec = self.record(kind);
        let mut help = match did_you_mean(name, rec.written_fields().map(|f| f.name.as_str())) {
            Some(s) => format!("did you mean `{s}`? the field is ignored wherever it appears in this file"),
            None => format!(
                "`{}` has the fields {}; the field is ignored wherever it appears in this file",
                rec.name,
                list(rec.written_fields().map(|f| &*f.name))
            ),
        };
        if rec.source.is_some() {
            help.push_str(&format!(
                "; map the column in the record's `source` (`FIELD from \"{0}\"`), or say `ignore \"{0}\"` there",
                clip(name)
            ));
        }
        let d = Diagnostic::error(
            "unknown-field",
            &self.path,
            span,
            format!("unknown field `{}` for `{}`", clip(name), rec.name),
        )
        .with_label("not a field of this record kind")
        .with_help(help);
        self.report(d);
    }

    fn begin(&mut self, kind: RecordId, line: u32) {
        let rec = self.record(kind);
        let n = rec.fields.len();
        // The cells of the previous row were taken by `end`: their vector is used again.
        let mut values = std::mem::take(&mut self.row.values);
        values.clear();
        values.resize(n, None);
        let mut parts = std::mem::take(&mut self.row.parts);
        parts.clear();
        parts.resize(rec.source.as_ref().map_or(0, |s| s.built.len()), [Part::Missing; 6]);
        self.row = Pending { kind, line, values, parts, ..Pending::default() };
    }

    /// The part of a built field that a column holds, if the kind's source builds one from it.
    fn part(&self, kind: RecordId, column: &str) -> Option<(u8, u8)> {
        self.parts.get(kind.index())?.get(column).copied()
    }

    /// The kind a file holds by its name: the kind it is named after (`工業爐窯.csv`), else
    /// the kinds whose `source` patterns match its file name, else the kind its folder is
    /// named after. More than one is ambiguous.
    fn file_kinds(&mut self) -> Vec<RecordId> {
        let owned = self.path.clone();
        let path = Path::new(&*owned);
        let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or_default().trim();
        if let Some(k) = self.kind_named(stem, Span::default()) {
            return vec![k];
        }
        let by_source: Vec<RecordId> = (self.schema.records.iter().enumerate())
            .filter(|(_, r)| r.source.as_ref().is_some_and(|s| s.holds(&owned)))
            .map(|(i, _)| RecordId::at(i))
            .collect();
        if !by_source.is_empty() {
            return by_source;
        }
        // A table written in parts (`readings/part-0.parquet`, `工業爐窯/2019-01.csv`): the
        // folder is named after the kind.
        let folder = path.parent().and_then(Path::file_name).and_then(|s| s.to_str()).unwrap_or_default().trim();
        self.kind_named(folder, Span::default()).into_iter().collect()
    }

    /// The one kind a file of one kind (CSV, Parquet, with extension `ext`) holds: the kind it
    /// or its folder is named after, or whose `source` names files like it. `None`, reported at
    /// `at`, when there is none or more than one; `count` counts the records then not read.
    fn one_kind(&mut self, at: Span, ext: &str, count: impl FnOnce() -> usize) -> Option<RecordId> {
        let kinds = self.file_kinds();
        if let [kind] = kinds[..] {
            return Some(kind);
        }
        let skipped = count();
        if kinds.len() > 1 {
            let names = list(kinds.iter().map(|&k| self.record(k).name.as_str()));
            let d = Diagnostic::error(
                "ambiguous-kind",
                &self.path,
                at,
                format!("the file name matches the `source` of more than one record kind: {names}"),
            )
            .with_label(format!("its {} not read", records(skipped)))
            .with_help(
                "make the `source` patterns of those records name different files, or rename the file after its kind",
            );
            let reason = d.message.clone();
            self.report(d);
            // Each kind it may hold is incomplete; how many of its rows are whose is unknown.
            for kind in kinds {
                self.lose(kind, 1, &reason, None);
            }
            return None;
        }
        let stem = Path::new(&*self.path).file_stem().and_then(|s| s.to_str()).unwrap_or_default().trim().to_string();
        let label = format!("this file is read as `{stem}` records, after its name; its {} not read", records(skipped));
        let names = self.schema.records.iter().map(|r| r.name.as_str());
        let tail = match did_you_mean(&stem, names) {
            Some(s) => format!("rename the file to `{s}.{ext}`"),
            None => format!("a {} fact file is named after the record kind it holds", ext.to_uppercase()),
        };
        self.unknown_kind(&stem, at, label, &tail, skipped, 1);
        None
    }

    /// Reports, once for a file or sheet (`what`), that `header` has no column for the key of
    /// `kind`: none of its rows can be read.
    fn missing_key_column(&mut self, kind: RecordId, at: Span, header: &str, what: &str) {
        let rec = self.record(kind);
        let key = &rec.fields[rec.key].name;
        let d = Diagnostic::error(
            "missing-key",
            &self.path,
            at,
            format!("expected a `{key}` column, the key of `{}`, found none", rec.name),
        )
        .with_label(format!("{header} has no key column"))
        .with_help(format!("add a `{key}` column: every record is known by its key; no row of this {what} is read"));
        self.report(d);
    }

    /// Reports each field built from split columns that a file's header lacks some of
    /// (`seen` holds the parts it has): no record of the file has a value for it.
    /// A field the file writes whole, in a column of its own name, needs no parts.
    fn lacking_parts(&mut self, kind: RecordId, seen: &[(u8, u8)], whole: &[usize], header: Span) {
        let rec = self.record(kind);
        let Some(source) = &rec.source else { return };
        for (b, (field, cols)) in source.built.iter().enumerate() {
            if whole.contains(field) {
                continue;
            }
            let lacking: Vec<&str> = (cols.iter().enumerate())
                .filter(|(p, _)| !seen.contains(&(b as u8, *p as u8)))
                .map(|(_, c)| c.as_str())
                .collect();
            if lacking.is_empty() {
                continue;
            }
            let name = &rec.fields[*field].name;
            let d = Diagnostic::error(
                "missing-column",
                &self.path,
                header,
                format!(
                    "`{name}` is built from the columns {}, and the header has no {}",
                    list(cols.iter().map(String::as_str)),
                    list(lacking.iter().copied())
                ),
            )
            .with_label("the header")
            .with_help(format!("no record of this file has a `{name}`; check the file, or the record's `source`"));
            self.report(d);
        }
    }

    /// Reads one part of a field built from split columns into the current row.
    fn set_part(&mut self, (built, part): (u8, u8), raw: &Raw<'_>) {
        let rec = self.record(self.row.kind);
        let Some(source) = &rec.source else { return };
        let (field, columns) = &source.built[built as usize];
        let text = match raw.scalar {
            convert::Scalar::Str(s) | convert::Scalar::Num(s) => convert::trim(s),
            _ => "",
        };
        let slot = &mut self.row.parts[built as usize][part as usize];
        if text.is_empty() || source.is_missing(text) {
            *slot = Part::Missing;
            return;
        }
        let (what, low, high) = PARTS[part as usize];
        let max_digits = if part == 0 { 4 } else { 2 };
        match text.parse::<u32>() {
            Ok(n)
                if text.len() <= max_digits
                    && text.bytes().all(|b| b.is_ascii_digit())
                    && (low..=high).contains(&n) =>
            {
                *slot = Part::Value(n, raw.span)
            }
            _ => {
                *slot = Part::Bad;
                let name = &rec.fields[*field].name;
                let column = &columns[part as usize];
                let d = Diagnostic::error(
                    "bad-value",
                    &self.path,
                    raw.span,
                    format!(
                        "expected the {what} of `{name}` ({low} to {high}) in column `{column}`, found `{}`",
                        clip(text)
                    ),
                )
                .with_label(if part == 3 { "not an hour".to_string() } else { format!("not a {what}") })
                .with_help(format!(
                    "`{name}` is built from the columns {}; write the {what} as a whole number{}",
                    list(columns.iter().map(String::as_str)),
                    if source.missing.is_empty() {
                        String::new()
                    } else {
                        format!(", or {} for no value", list(source.missing.iter().map(String::as_str)))
                    }
                ));
                self.report(d);
                let article = if part == 3 { "an" } else { "a" };
                let reason: Arc<str> = format!("`{name}`: not {article} {what} in column `{column}`").into();
                self.row.values[*field] = Some(Cell::Bad(reason));
            }
        }
    }

    /// Builds the current row's split dates and datetimes from their parts: a part missing
    /// leaves the field without a value, a part unreadable leaves it unreadable (reported when
    /// read), and a day that is not in the calendar is an error on the cells.
    fn build_parts(&mut self) {
        let rec = self.record(self.row.kind);
        let Some(source) = &rec.source else { return };
        for (b, (field, _)) in source.built.iter().enumerate() {
            let parts = self.row.parts[b];
            let n = source.built[b].1.len();
            if parts[..n].iter().any(|p| matches!(p, Part::Bad))
                || parts[..n].iter().any(|p| matches!(p, Part::Missing))
            {
                // An unreadable part was reported and left the field unreadable; a missing one
                // leaves it without a value.
                continue;
            }
            let v = &parts[..n];
            let get = |i: usize| match v.get(i) {
                Some(Part::Value(n, _)) => *n,
                _ => 0,
            };
            let spans = || v.iter().filter_map(|p| if let Part::Value(_, s) = p { Some(*s) } else { None });
            let start = spans().map(|s| s.start).min().unwrap_or(0);
            let end = spans().map(|s| s.end).max().unwrap_or(0);
            let (y, m, d) = (get(0), get(1), get(2));
            if crate::value::Date::from_ymd(y as i32, m, d).is_none() {
                let name = &rec.fields[*field].name;
                let cols = &source.built[b].1;
                let message = format!(
                    "the columns {} give {y:04}-{m:02}-{d:02} for `{name}`, which is not a day of the calendar",
                    list(cols[..3].iter().map(String::as_str))
                );
                let reason: Arc<str> = format!("`{name}`: {y:04}-{m:02}-{d:02} is not a day of the calendar").into();
                let diag = Diagnostic::error("bad-value", &self.path, Span::new(start as usize, end as usize), message)
                    .with_label("not a day")
                    .with_help("dates are never moved to a nearby day; correct the row");
                self.report(diag);
                self.row.values[*field] = Some(Cell::Bad(reason));
                continue;
            }
            // In range, the value is set as built; out of range, it goes the way of any value
            // written as text, to be refused with the usual diagnostic.
            let decl = &rec.fields[*field];
            let value = match decl.ty {
                Ty::DateTime => crate::value::Date::from_ymd(y as i32, m, d)
                    .and_then(|day| crate::value::DateTime::new(day, get(3), get(4), get(5)))
                    .map(Value::DateTime),
                _ => crate::value::Date::from_ymd(y as i32, m, d).map(Value::Date),
            };
            if let Some(v) = value
                && decl.range.violated_by(&v).is_none()
            {
                self.row.values[*field] = Some(Cell::Value(v));
                continue;
            }
            let text = if decl.ty == Ty::DateTime {
                format!("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}", get(0), get(1), get(2), get(3), get(4), get(5))
            } else {
                format!("{:04}-{:02}-{:02}", get(0), get(1), get(2))
            };
            let raw = Raw {
                scalar: convert::Scalar::Str(&text),
                span: Span::new(start as usize, end as usize),
                verbatim_at: None,
            };
            self.set(*field, &raw);
        }
    }

    /// Sets `field` to `value`, which [`convert::typed`] gave for a typed cell of a file
    /// without text (whose spans are all the default): what [`Loader::set`] does with the
    /// cell's text, which converts to the same value.
    #[cfg(feature = "parquet")]
    fn set_typed(&mut self, field: usize, value: Value) {
        if field == self.record(self.row.kind).key {
            self.row.key_span = Some(Span::default());
            self.row.key_written = Some("an empty value");
        }
        self.row.values[field] = Some(Cell::Value(value));
    }

    /// Reads a value into the current row's field, rejecting the row when it is bad.
    fn set(&mut self, field: usize, raw: &Raw<'_>) {
        let rec = self.record(self.row.kind);
        let decl = &rec.fields[field];
        if field == rec.key {
            self.row.key_span = Some(raw.span);
            self.row.key_written = match raw.scalar {
                convert::Scalar::Null => Some("`null`"),
                _ => Some("an empty value"),
            };
        }
        // A token the record's source says means no value (`NA`, `-`) is an absent value, for
        // this field only.
        if let (Some(source), convert::Scalar::Str(text)) = (&rec.source, raw.scalar)
            && source.is_missing(text)
        {
            self.row.values[field] = None;
            return;
        }
        // A reference by a key that is text needs no conversion. (A million readings refer to
        // a few thousand records: the column the row goes to holds each key text once.)
        if let Ty::Ref(target) = decl.ty
            && let Some(key) = convert::plain_reference(&self.schema, target, raw)
        {
            self.row.values[field] = key.map(|key| Cell::UnresolvedRef { key: key.into(), span: raw.span });
            return;
        }
        match convert::convert(&self.schema, decl, raw) {
            Ok(cell) => {
                // An enum value or a party named in the other Chinese script than declared.
                if let (Some(Cell::Value(v @ (Value::Enum(_) | Value::Party(_)))), convert::Scalar::Str(text)) =
                    (&cell, raw.scalar)
                {
                    let (what, declared) = match (v, &decl.ty) {
                        (Value::Enum(i), Ty::Enum(e)) => {
                            ("value", self.schema.enums[e.index()].variants[*i as usize].as_str())
                        }
                        (Value::Party(i), _) => ("party", self.schema.parties[i.index()].name.as_str()),
                        _ => ("value", ""),
                    };
                    let text = convert::trim(text);
                    if text != declared && !declared.is_empty() {
                        self.script_variant(what, text, declared, raw.span);
                    }
                }
                self.row.values[field] = cell;
            }
            Err(bad) => {
                let reason = format!("`{}`: {}", decl.name, bad.message);
                let d = Diagnostic::error(bad.code, &self.path, bad.span, bad.message)
                    .with_label(bad.label)
                    .with_help(bad.help);
                if field == rec.key {
                    // Without its key the record cannot be named: it is rejected whole.
                    self.row.key_reported = true;
                    self.reject_row(d, &reason);
                } else {
                    // The key is intact: only this field is unreadable.
                    self.report(d);
                    self.row.values[field] = Some(Cell::Bad(reason.into()));
                }
            }
        }
    }

    /// Rejects the current row for a missing key column, reported once for the whole file.
    fn reject_row_without_key(&mut self, reason: &str) {
        self.row.key_reported = true;
        self.add_reason(reason);
    }

    /// Reports a problem that rejects the current row.
    fn reject_row(&mut self, d: Diagnostic, reason: &str) {
        self.report(d);
        self.add_reason(reason);
    }

    fn add_reason(&mut self, reason: &str) {
        if !self.row.reasons.is_empty() {
            self.row.reasons.push_str("; ");
        }
        self.row.reasons.push_str(reason);
    }

    /// Finishes the current row. `key_at` is where a missing key would have been written.
    fn end(&mut self, span: Span, key_at: Span) {
        self.build_parts();
        let rec = self.record(self.row.kind);
        if rec.keyless {
            // Known by where it was read: the file and line, and which of the records that
            // begin on that line it is, after the first.
            let line = self.row.line;
            self.keyless_at = if self.keyless_at.0 == line { (line, self.keyless_at.1 + 1) } else { (line, 1) };
            let mut key = String::with_capacity(self.file_name.len() + 12);
            key.push_str(&self.file_name);
            key.push(':');
            crate::text::push_number(&mut key, line.into());
            if self.keyless_at.1 > 1 {
                key.push('#');
                crate::text::push_number(&mut key, self.keyless_at.1.into());
            }
            self.row.values[rec.key] = Some(Cell::Value(Value::Text(key.into())));
        }
        let key_cell = &self.row.values[rec.key];
        if key_cell.is_none() && !self.row.key_reported {
            let key_name = &rec.fields[rec.key].name;
            // A key written but empty (`""`, blanks, `null`, an empty cell) is pointed at.
            let (at, found, label) = match (self.row.key_written, self.row.key_span) {
                (Some(what), Some(span)) => (span, what, format!("`{key_name}` is empty")),
                _ => (key_at, "none", format!("this record has no `{key_name}`")),
            };
            let d = Diagnostic::error(
                "missing-key",
                &self.path,
                at,
                format!("expected a `{key_name}` for this `{}` record, found {found}", rec.name),
            )
            .with_label(label)
            .with_help(format!("`{}` records are known by their `{key_name}`; give every record one", rec.name));
            self.reject_row(d, &format!("no `{key_name}`, the key"));
        }
        let mut row = std::mem::take(&mut self.row);
        if row.reasons.is_empty() {
            let key_span = row.key_span.unwrap_or(span);
            self.rows.push_cells(&self.schema, row.kind, (row.line, span, key_span), &mut row.values);
        } else {
            let key = row.values[rec.key].as_ref().map(|c| key_text(&self.schema, &rec.fields[rec.key], c));
            self.push_rejected(Rejected { kind: row.kind, key, line: row.line, span, reason: row.reasons });
        }
        // Kept for the next row's cells.
        self.row.values = row.values;
    }

    /// Rejects a record that could not be read as a row at all (not an object, wrong number
    /// of CSV cells).
    fn reject_whole(&mut self, d: Diagnostic, kind: RecordId, key: Option<Arc<str>>, line: u32, span: Span) {
        let reason = d.message.clone();
        self.report(d);
        self.push_rejected(Rejected { kind, key, line, span, reason });
    }

    /// Keeps a rejected record, or past the first [`diag::MAX_PER_FILE`] without a key, only
    /// counts it: such a record is no subject of its own (it has no key to be named by), so
    /// its count and the first reason say all a verdict can use.
    fn push_rejected(&mut self, r: Rejected) {
        if r.key.is_some() {
            self.rejected.push(r);
            return;
        }
        if self.keyless < diag::MAX_PER_FILE {
            self.keyless += 1;
            self.rejected.push(r);
            return;
        }
        match self.unkept.iter_mut().find(|u| u.kind == r.kind) {
            Some(u) => u.lost = Some(u.lost.unwrap_or(0).saturating_add(1)),
            None => self.unkept.push(Loss {
                kind: r.kind,
                file: self.path.clone(),
                line: r.line,
                reason: r.reason,
                lost: Some(1),
                more: 0,
            }),
        }
    }

    /// Counts records of `kind` that were never read; `lost` is how many, when known.
    fn lose(&mut self, kind: RecordId, line: u32, reason: &str, lost: Option<usize>) {
        match self.losses.iter_mut().find(|l| l.kind == kind) {
            // The same break reported twice (as the kind being read, and as a kind the rest of
            // the file may hold) is one loss.
            Some(l) if l.line == line && l.reason == reason => {}
            Some(l) => {
                l.lost = l.lost.zip(lost).map(|(a, b)| a.saturating_add(b));
                l.more += 1;
            }
            None => self.losses.push(Loss {
                kind,
                file: self.path.clone(),
                line,
                reason: reason.to_string(),
                lost,
                more: 0,
            }),
        }
    }

    /// Counts records that were never read, of whichever kinds they may have been.
    ///
    /// A CSV file holds its own kind only, and so does an NDJSON file named after a kind (a
    /// line of another kind is rejected). Otherwise the kinds are found conservatively in
    /// `unread`, the text that was not read, when all of it is there: a record of a kind is
    /// written under the kind's name, so a kind whose name the text does not hold cannot be
    /// among the lost records, unless the text spells characters by code (`\u4F01`), in which
    /// case it could be any kind. (Other escapes, `\n` or `\"`, cannot spell a kind's name.) When the unread text is not all there (a file cut short, a
    /// line too long to hold, a file that could not be read at all), every kind may have lost
    /// records.
    fn lose_in(&mut self, line: u32, reason: &str, lost: Option<usize>, unread: Option<&[u8]>) {
        let kinds: Vec<RecordId> = match (self.own_kind(), unread) {
            (Some(own), _) => own.into_iter().collect(),
            (None, Some(text)) if !spells_escapes(text) => self
                .schema
                .records
                .iter()
                .enumerate()
                .filter(|(_, r)| contains(text, r.name.as_bytes()))
                .map(|(i, _)| RecordId::at(i))
                .collect(),
            (None, _) => (0..self.schema.records.len()).map(RecordId::at).collect(),
        };
        for kind in kinds {
            self.lose(kind, line, reason, lost);
        }
    }

    /// `Some` when the file can hold one kind only, by its format and name: the kind, or
    /// `Some(None)` when the name is no declared kind (its records belong to no kind here).
    fn own_kind(&mut self) -> Option<Option<RecordId>> {
        let kinds = self.file_kinds();
        let kind = if kinds.len() == 1 { Some(kinds[0]) } else { None };
        match FactFormat::of(&self.path) {
            Some(FactFormat::Csv | FactFormat::Parquet) => Some(kind),
            Some(FactFormat::Ndjson) => kind.map(Some),
            _ => None,
        }
    }

    /// Whether all that was read went into rows' columns: no diagnostic, no record rejected,
    /// lost or only counted, no cell held outside its column.
    fn clean(&self) -> bool {
        self.diags.is_empty()
            && self.rejected.is_empty()
            && self.unkept.is_empty()
            && self.losses.is_empty()
            && self.rows.all_in_columns()
    }

    fn finish(self) -> FileFacts {
        FileFacts {
            path: self.path,
            rows: self.rows.finish(),
            rejected: self.rejected,
            unkept: self.unkept,
            losses: self.losses,
            diagnostics: self.diags.finish(),
            sheets: self.sheets,
        }
    }
}

/// Whether `text` spells a character by its code, as JSON (`\u`), YAML (`\u`, `\U`, `\x`)
/// and TOML (`\u`, `\U`) may, so that a name could be written without its characters.
fn spells_escapes(text: &[u8]) -> bool {
    text.windows(2).any(|w| w[0] == b'\\' && matches!(w[1], b'u' | b'U' | b'x'))
}

/// Whether `needle` occurs in `haystack`.
fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

/// The 1-based line of a byte offset of `text`.
fn line_of(text: &str, at: usize) -> u32 {
    // Counted in blocks, each into a `u32` the compiler keeps in vector lanes: a part of a large
    // file that could not be read on its own thread is read on from its start (tens of MB in).
    let newlines: usize = (text.as_bytes()[..at.min(text.len())].chunks(1 << 16))
        .map(|block| block.iter().fold(0u32, |n, &c| n + u32::from(c == b'\n')) as usize)
        .sum();
    (newlines + 1).min(u32::MAX as usize) as u32
}

/// `a`, `b`, `c` … for a help line, cut after a dozen names.
fn list<'a>(names: impl Iterator<Item = &'a str>) -> String {
    const SHOWN: usize = 12;
    let names: Vec<&str> = names.collect();
    let mut out = names.iter().take(SHOWN).map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ");
    if names.is_empty() {
        out.push_str("(none)");
    } else if names.len() > SHOWN {
        out.push_str(&format!(" and {} more", names.len() - SHOWN));
    }
    out
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod format_tests;

#[cfg(test)]
mod source_tests;
