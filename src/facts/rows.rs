//! The accepted records of one file, held by column per record kind as they are read, so a
//! file of a million records takes a few typed vectors rather than a million rows.
//!
//! A reader hands each record over as its cells ([`RowsBuilder::push_cells`], which takes them
//! out of a vector the reader uses again), or as a [`RawRow`], the shape of one record;
//! [`Rows::get`] and [`Rows::iter`] give them back as they were.

use super::{Cell, Column, ColumnBuilder, RawRow, Schema, key_text};
use crate::diagnostic::Span;
use crate::model::{FieldDecl, RecordId, Ty};
use crate::value::Value;
use rustc_hash::FxHashMap;
use std::sync::Arc;

/// The accepted records of one file. See the module documentation.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Rows {
    /// In file order, runs of records of one kind, as `(kind, count)`. A file lists the records
    /// of a kind together, so a million records are a few runs.
    runs: Vec<(RecordId, u32)>,
    /// The number of records.
    len: usize,
    /// By kind; a kind the file has no records of has none here.
    kinds: Vec<KindRows>,
}

/// The records of one kind in one file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KindRows {
    /// 1-based line where each record starts.
    line: Vec<u32>,
    /// The whole record.
    span: Spans,
    /// Where the key is written.
    key_span: Spans,
    /// Per field, the values read; a reference field holds the key text it refers by.
    columns: Vec<Column>,
    /// Per field: for a reference field, where each reference is written; empty otherwise.
    ref_spans: Vec<Spans>,
    /// The cells the columns do not hold, by `(record, field)`: values that could not be read,
    /// and any cell of another shape than its field's column takes.
    other: FxHashMap<(u32, u32), Cell>,
}

impl KindRows {
    pub fn len(&self) -> usize {
        self.line.len()
    }

    pub fn is_empty(&self) -> bool {
        self.line.is_empty()
    }

    pub fn line(&self, i: u32) -> u32 {
        self.line[i as usize]
    }

    pub fn span(&self, i: u32) -> Span {
        self.span.get(i as usize)
    }

    pub fn key_span(&self, i: u32) -> Span {
        self.key_span.get(i as usize)
    }

    /// The cell of `field` in record `i`; `None` when absent.
    pub fn cell(&self, i: u32, field: usize) -> Option<Cell> {
        let column = self.columns.get(field)?;
        match column.get(i as usize) {
            Some(Value::Text(key)) if !self.ref_spans[field].is_empty() => {
                Some(Cell::UnresolvedRef { key, span: self.ref_spans[field].get(i as usize) })
            }
            Some(v) => Some(Cell::Value(v)),
            None if self.other.is_empty() => None,
            None => self.other.get(&(i, field as u32)).cloned(),
        }
    }

    /// The key `field` of record `i` refers by, and where it is written, when it holds a
    /// reference.
    pub fn ref_key(&self, i: u32, field: usize) -> Option<(Arc<str>, Span)> {
        match self.cell(i, field)? {
            Cell::UnresolvedRef { key, span } => Some((key, span)),
            _ => None,
        }
    }

    /// The key text of record `i`, whose key is `field` ([`key_text`] of its cell): borrowed
    /// when the column holds texts, else written into `buf`.
    pub fn key_text<'a>(
        &'a self,
        schema: &Schema<'_>,
        decl: &FieldDecl,
        i: u32,
        field: usize,
        buf: &'a mut String,
    ) -> Option<&'a str> {
        let column = self.columns.get(field)?;
        // A text key, or a key that refers to another record by its key text.
        if let Some(t) = column.text(i as usize) {
            return Some(t);
        }
        buf.clear();
        if column.write_number(i as usize, buf) {
            return Some(buf);
        }
        let cell = self.cell(i, field)?;
        buf.push_str(&key_text(schema, decl, &cell));
        Some(buf)
    }

    /// The column of `field`: a reference field's holds the key texts it refers by.
    pub fn column(&self, field: usize) -> Option<&Column> {
        self.columns.get(field)
    }

    /// Every field's column, in declaration order.
    pub fn columns(&self) -> &[Column] {
        &self.columns
    }

    /// 1-based line where each record starts.
    pub fn lines(&self) -> &[u32] {
        &self.line
    }

    /// The cells the columns do not hold (see [`KindRows::cell`]), by `(record, field)`, in
    /// no particular order.
    pub fn other_cells(&self) -> impl Iterator<Item = (&(u32, u32), &Cell)> + '_ {
        self.other.iter()
    }

    /// Record `i` as a row of `kind`.
    fn row(&self, kind: RecordId, i: u32) -> RawRow {
        RawRow {
            kind,
            line: self.line(i),
            span: self.span(i),
            key_span: self.key_span(i),
            values: (0..self.columns.len()).map(|f| self.cell(i, f)).collect(),
        }
    }
}

impl Rows {
    /// Rows as read, for records not read from a file (a policy's `test` block).
    pub fn from_raw(schema: &Schema<'_>, rows: impl IntoIterator<Item = RawRow>) -> Rows {
        let mut b = RowsBuilder::default();
        for row in rows {
            b.push(schema, row);
        }
        b.finish()
    }

    /// The number of records.
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Every record in file order: its kind and its place among the records of its kind.
    pub fn order(&self) -> impl Iterator<Item = (RecordId, u32)> + '_ {
        // Per kind: the place of the first record of the next run.
        let mut next = vec![0u32; self.kinds.len()];
        self.runs.iter().flat_map(move |&(kind, count)| {
            let first = next[kind.index()];
            next[kind.index()] += count;
            (first..first + count).map(move |i| (kind, i))
        })
    }

    /// The records of `kind`, if the file has any.
    pub fn of_kind(&self, kind: RecordId) -> Option<&KindRows> {
        self.kinds.get(kind.index()).filter(|k| !k.is_empty())
    }

    /// The number of records of `kind`.
    pub fn count(&self, kind: RecordId) -> usize {
        self.of_kind(kind).map_or(0, KindRows::len)
    }

    /// Record `n` in file order.
    ///
    /// # Panics
    /// If `n` is out of range.
    pub fn get(&self, n: usize) -> RawRow {
        let (kind, i) = self.order().nth(n).expect("a record in range");
        self.kinds[kind.index()].row(kind, i)
    }

    /// Every record in file order.
    pub fn iter(&self) -> impl Iterator<Item = RawRow> + '_ {
        self.order().map(|(kind, i)| self.kinds[kind.index()].row(kind, i))
    }

    /// Takes the columns of `kind`'s records (none when the file has none): the records then
    /// keep their lines and spans, and hold no values ([`KindRows::cell`] is `None`).
    pub fn take_columns(&mut self, kind: RecordId) -> Vec<Column> {
        self.kinds.get_mut(kind.index()).map(|k| std::mem::take(&mut k.columns)).unwrap_or_default()
    }

    /// Where the key of the first record of `kind` starting at `line` is written.
    pub fn key_span_at(&self, kind: RecordId, line: u32) -> Option<Span> {
        let k = self.of_kind(kind)?;
        k.line.iter().position(|&l| l == line).map(|i| k.key_span.get(i))
    }
}

/// Builds [`Rows`] a record at a time.
#[derive(Debug, Default)]
pub struct RowsBuilder {
    runs: Vec<(RecordId, u32)>,
    len: usize,
    kinds: Vec<Option<KindBuilder>>,
}

#[derive(Debug)]
struct KindBuilder {
    line: Vec<u32>,
    span: Spans,
    key_span: Spans,
    columns: Vec<ColumnBuilder>,
    /// Per field, whether it is a reference.
    is_ref: Vec<bool>,
    ref_spans: Vec<Spans>,
    other: FxHashMap<(u32, u32), Cell>,
}

impl KindBuilder {
    fn new(fields: &[FieldDecl]) -> Self {
        let is_ref: Vec<bool> = fields.iter().map(|f| matches!(f.ty, Ty::Ref(_))).collect();
        KindBuilder {
            line: Vec::new(),
            span: Spans::default(),
            key_span: Spans::default(),
            columns: fields
                .iter()
                .zip(&is_ref)
                .map(|(f, &r)| ColumnBuilder::for_field(f, if r { &Ty::Text } else { &f.ty }, 0))
                .collect(),
            ref_spans: vec![Spans::default(); fields.len()],
            is_ref,
            other: FxHashMap::default(),
        }
    }

    /// Adds a record at `(line, span, key_span)`, taking its cells out of `values`.
    fn push(&mut self, (line, span, key_span): (u32, Span, Span), values: &mut [Option<Cell>]) -> u32 {
        let i = self.line.len() as u32;
        self.line.push(line);
        self.span.push(span);
        self.key_span.push(key_span);
        for (f, column) in self.columns.iter_mut().enumerate() {
            let cell = values.get_mut(f).and_then(Option::take);
            let is_ref = self.is_ref[f];
            let (value, span) = match cell {
                None => (None, Span::default()),
                Some(Cell::UnresolvedRef { key, span }) if is_ref => (Some(Value::Text(key)), span),
                Some(Cell::Value(v)) if !is_ref => (Some(v), Span::default()),
                Some(cell) => {
                    self.other.insert((i, f as u32), cell);
                    (None, Span::default())
                }
            };
            column.push(value);
            if is_ref {
                self.ref_spans[f].push(span);
            }
        }
        i
    }

    /// Adds the records of `other`, of the same kind, after these; `other`'s lines are
    /// `lines_before` short of the file's (see [`RowsBuilder::append`]).
    ///
    /// The lists are copied each on a thread of the pool (the parts of a file read on threads
    /// are large): most of the cost of such a copy is the memory it first writes to.
    fn append(&mut self, other: KindBuilder, lines_before: u32) {
        let base = self.line.len() as u32;
        let KindBuilder { line, span, key_span, columns, ref_spans, other: cells, .. } = other;
        let (my_line, my_span, my_key_span) = (&mut self.line, &mut self.span, &mut self.key_span);
        rayon::scope(|s| {
            s.spawn(move |_| my_line.extend(line.iter().map(|&l| l.saturating_add(lines_before))));
            s.spawn(move |_| my_span.extend(span));
            s.spawn(move |_| my_key_span.extend(key_span));
            for (mine, theirs) in self.columns.iter_mut().zip(columns) {
                s.spawn(move |_| mine.append(&theirs.finish()));
            }
            for (mine, theirs) in self.ref_spans.iter_mut().zip(ref_spans) {
                s.spawn(move |_| mine.extend(theirs));
            }
        });
        self.other.extend(cells.into_iter().map(|((i, f), cell)| ((i + base, f), cell)));
    }

    fn finish(self) -> KindRows {
        let mut k = KindRows {
            line: self.line,
            span: self.span,
            key_span: self.key_span,
            columns: self.columns.into_iter().map(ColumnBuilder::finish).collect(),
            ref_spans: self.ref_spans,
            other: self.other,
        };
        k.line.shrink_to_fit();
        k.span.shrink_to_fit();
        k.key_span.shrink_to_fit();
        k.ref_spans.iter_mut().for_each(Spans::shrink_to_fit);
        k
    }
}

/// A span per record, held only once one of them is not [`Span::default`]: the records of a
/// file without text (Parquet) have no spans, and a million of them cost no vector of spans.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Spans {
    len: usize,
    /// Empty while every span is the default; else one per record, one of them not the default
    /// (so that equal lists are held alike).
    each: Vec<Span>,
}

impl Spans {
    fn is_empty(&self) -> bool {
        self.len == 0
    }

    fn get(&self, i: usize) -> Span {
        debug_assert!(i < self.len, "a span in range");
        if self.each.is_empty() { Span::default() } else { self.each[i] }
    }

    fn push(&mut self, span: Span) {
        if self.each.is_empty() && span == Span::default() {
            self.len += 1;
            return;
        }
        self.held().push(span);
        self.len += 1;
    }

    /// Appends `other`'s spans.
    fn extend(&mut self, other: Spans) {
        if other.each.is_empty() {
            if !self.each.is_empty() {
                self.each.resize(self.len + other.len, Span::default());
            }
        } else {
            self.held().extend_from_slice(&other.each);
        }
        self.len += other.len;
    }

    /// The spans held one by one, the defaults written out first if they were not.
    fn held(&mut self) -> &mut Vec<Span> {
        if self.each.is_empty() {
            self.each = vec![Span::default(); self.len];
        }
        &mut self.each
    }

    fn shrink_to_fit(&mut self) {
        self.each.shrink_to_fit();
    }
}

impl RowsBuilder {
    /// Adds a record read, whose kind is one of `schema`'s.
    pub fn push(&mut self, schema: &Schema<'_>, mut row: RawRow) {
        self.push_cells(schema, row.kind, (row.line, row.span, row.key_span), &mut row.values);
    }

    /// Adds a record read of `kind`, one of `schema`'s, at `(line, span, key_span)` (as in a
    /// [`RawRow`]), taking its cells out of `values`, so that a reader can use the vector again
    /// for the next record.
    pub fn push_cells(
        &mut self,
        schema: &Schema<'_>,
        kind: RecordId,
        at: (u32, Span, Span),
        values: &mut [Option<Cell>],
    ) {
        let k = kind.index();
        if self.kinds.len() <= k {
            self.kinds.resize_with(k + 1, || None);
        }
        let fields = schema.records.get(k).map_or(&[][..], |r| &r.fields[..]);
        self.kinds[k].get_or_insert_with(|| KindBuilder::new(fields)).push(at, values);
        // The records of a kind are numbered in file order, so a record of the last run's
        // kind comes right after it.
        match self.runs.last_mut() {
            Some((k, count)) if *k == kind => *count += 1,
            _ => self.runs.push((kind, 1)),
        }
        self.len += 1;
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Whether every cell read went into its field's column: none was unreadable or of
    /// another shape.
    pub fn all_in_columns(&self) -> bool {
        self.kinds.iter().flatten().all(|k| k.other.is_empty())
    }

    /// Adds the records of `other`, read after these (the rest of a file read on another
    /// thread), as if they had been pushed here one at a time. `other` counted its lines from
    /// where it started, `lines_before` lines into the file: they are moved on by that many.
    pub fn append(&mut self, schema: &Schema<'_>, other: RowsBuilder, lines_before: u32) {
        for (kind, count) in other.runs {
            match self.runs.last_mut() {
                Some((k, c)) if *k == kind => *c += count,
                _ => self.runs.push((kind, count)),
            }
        }
        self.len += other.len;
        if self.kinds.len() < other.kinds.len() {
            self.kinds.resize_with(other.kinds.len(), || None);
        }
        for (k, theirs) in other.kinds.into_iter().enumerate() {
            let Some(theirs) = theirs else { continue };
            let fields = schema.records.get(k).map_or(&[][..], |r| &r.fields[..]);
            self.kinds[k].get_or_insert_with(|| KindBuilder::new(fields)).append(theirs, lines_before);
        }
    }

    pub fn finish(mut self) -> Rows {
        self.runs.shrink_to_fit();
        Rows {
            runs: self.runs,
            len: self.len,
            kinds: self.kinds.into_iter().map(|k| k.map(KindBuilder::finish).unwrap_or_default()).collect(),
        }
    }
}
