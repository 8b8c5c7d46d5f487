//! The CSV fact reader: one file per record kind, named after it (`工業爐窯.csv`), with a
//! header row of field names. An empty cell is an absent value.
//!
//! The `csv` crate reads the cells. It does not say where each cell is in the file (its
//! record positions point at the previous line's terminator), so [`cell_spans`] walks each
//! record's bytes once more, with the same quoting rules, to give every cell a span, and line
//! numbers are counted here.

use super::Loader;
use super::convert::{Raw, Scalar};
use crate::diagnostic::{Diagnostic, Span};
use crate::model::RecordId;
use ::csv::{ByteRecord, ErrorKind, ReaderBuilder};

const BOM: &str = "\u{feff}";

/// Reads a CSV fact file into `loader`.
pub(super) fn read(loader: &mut Loader<'_>, text: &str) {
    let base = if text.starts_with(BOM) { BOM.len() } else { 0 };
    let body = &text[base..];
    let mut spans = Vec::new();
    let header_end = cell_spans(text, base, &mut spans);
    let header_span = Span::new(base, header_end);
    if body.trim().is_empty() {
        let d = Diagnostic::error(
            "fact-syntax",
            &loader.path,
            header_span,
            "expected a header row naming the fields, found an empty file",
        )
        .with_label("empty file")
        .with_help("the first line of a CSV fact file names the fields, such as `編號,顆粒物`");
        let reason = d.message.clone();
        loader.report(d);
        // An export that wrote nothing may have had records to write.
        loader.lose_in(1, &reason, None, None);
        return;
    }

    let mut reader = ReaderBuilder::new().has_headers(true).flexible(false).from_reader(body.as_bytes());
    let Some(kind) = loader.one_kind(header_span, "csv", || reader.byte_records().count()) else {
        return;
    };
    let headers = match reader.byte_headers() {
        Ok(h) => h.clone(),
        Err(e) => {
            let d = Diagnostic::error("fact-syntax", &loader.path, header_span, format!("unreadable header row: {e}"))
                .with_help("check that the file is CSV with a header row");
            loader.report(d);
            return;
        }
    };
    let names = headers
        .iter()
        .enumerate()
        .map(|(i, name)| (String::from_utf8_lossy(name), spans.get(i).copied().unwrap_or_default()));
    let columns = columns(loader, kind, names, header_span);
    let rec = loader.record(kind);
    let key_column = columns.iter().position(|&c| c == Column::Field(rec.key));
    if key_column.is_none() && !rec.keyless {
        loader.missing_key_column(kind, header_span, "the header", "file");
    }

    let mut record = ByteRecord::new();
    let mut lines = LineCounter { at: 0, line: 1 };
    // A file that does not end with a line break may have been cut short inside its last row,
    // which would then read as a row of other values (`40` cut to `4`).
    // (A file ending in a lone `\r` is one cut between the two bytes of a CRLF line break, or one
    // written with the line breaks of the classic Mac OS, which no exporter writes any more.)
    let unterminated = !text.ends_with('\n');
    loop {
        let result = reader.read_byte_record(&mut record);
        let start = record.position().map_or(0, |p| p.byte() as usize) + base;
        let end = cell_spans(text, start, &mut spans);
        let first = spans.first().map_or(start, |s| s.start as usize);
        let line = lines.line_at(text, first);
        let span = Span::new(first, end);
        if !matches!(result, Ok(false)) {
            match swallowed(text, &spans, columns.len()) {
                None => {}
                Some(Swallowed::ToEnd(open)) => {
                    let line = lines.line_at(text, open);
                    let d = unclosed_quote(
                        loader,
                        open,
                        format!(
                            "this quote is never closed, so the rest of the file, from line {line}, is read as one cell"
                        ),
                        "the rest of the file was not read",
                    );
                    let reason = d.message.clone();
                    loader.report(d);
                    loader.lose(kind, line, &reason, None);
                    break;
                }
                Some(Swallowed::Rows(open, n)) => {
                    let at = lines.line_at(text, open);
                    let d = unclosed_quote(
                        loader,
                        open,
                        if n == 1 {
                            "this quoted cell takes in 1 more line that looks like a row of its own".to_string()
                        } else {
                            format!("this quoted cell takes in {n} more lines that look like rows of their own")
                        },
                        "this record and the rows inside the cell were not read",
                    );
                    let reason = d.message.clone();
                    let key = key_column.and_then(|k| record.get(k)).and_then(|k| std::str::from_utf8(k).ok());
                    let key = key.map(str::trim).filter(|k| !k.is_empty() && k.len() < 200).map(Into::into);
                    loader.reject_whole(d, kind, key, line, span);
                    loader.lose(kind, at + 1, &reason, Some(n));
                    continue;
                }
            }
        }
        // The last record: no line break follows it.
        let last = !text.as_bytes()[end.min(text.len())..].contains(&b'\n');
        if unterminated && !matches!(result, Ok(false)) && last {
            let d = Diagnostic::error(
                "cut-short",
                &loader.path,
                span,
                "expected a line break after the last row, found the end of the file: it may have been cut short",
            )
            .with_label("this row was not read")
            .with_help(
                "export the file again if it was cut short; if it is whole, end it with a line break (this row is \
                 then read)",
            );
            let reason = d.message.clone();
            loader.report(d);
            // Rows after it, if any were cut off, are lost too: how many is unknown.
            loader.lose(kind, line, &reason, None);
            break;
        }
        match result {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                let key = key_column.and_then(|k| record.get(k)).and_then(|k| std::str::from_utf8(k).ok());
                let key = key.map(str::trim).filter(|k| !k.is_empty()).map(Into::into);
                let (message, help) = match e.kind() {
                    ErrorKind::UnequalLengths { expected_len, len, .. } if len < expected_len => (
                        format!("expected {expected_len} cells as in the header, found {len}"),
                        format!(
                            "give the row all {expected_len} cells, leaving empty the ones without a value \
                             (`K1,20,` has three cells, the last empty)"
                        ),
                    ),
                    ErrorKind::UnequalLengths { expected_len, len, .. } => (
                        format!("expected {expected_len} cells as in the header, found {len}"),
                        "quote cells that hold commas or line breaks: `\"a,b\"`".to_string(),
                    ),
                    _ => (format!("unreadable row: {e}"), "check the quoting of this row".to_string()),
                };
                let d = Diagnostic::error("fact-syntax", &loader.path, span, message)
                    .with_label("this row")
                    .with_help(help);
                loader.reject_whole(d, kind, key, line, span);
                continue;
            }
        }
        loader.begin(kind, line);
        if key_column.is_none() && !rec.keyless {
            loader.reject_row_without_key("the file has no key column");
        }
        for (i, column) in columns.iter().enumerate() {
            let (Some(bytes), Some(&cell)) = (record.get(i), spans.get(i)) else {
                continue;
            };
            if *column == Column::Skip {
                continue;
            }
            // Cells split at ASCII delimiters of a `&str`, so they are valid UTF-8.
            let value = std::str::from_utf8(bytes).expect("a cell of UTF-8 text is UTF-8");
            let raw = Raw { scalar: Scalar::Str(value), span: cell, verbatim_at: verbatim(text, cell, value) };
            match *column {
                Column::Field(field) => loader.set(field, &raw),
                Column::Part(built, part) => loader.set_part((built, part), &raw),
                Column::Skip => {}
            }
        }
        let key_at = key_column.and_then(|k| spans.get(k)).copied().unwrap_or(span);
        loader.end(span, key_at);
    }
}

/// A quoted cell that took in what were meant as rows.
enum Swallowed {
    /// The quote at this offset is never closed: the cell runs to the end of the file.
    ToEnd(usize),
    /// The quote at this offset is closed only after this many lines that hold as many
    /// delimiters as a whole row does, so it most likely was left open and closed by a stray
    /// quote further down.
    Rows(usize, usize),
}

/// Finds a quoted cell of the record `spans` that swallowed rows. A cell may hold line breaks,
/// but a line inside it with a delimiter for every column of the header is a row, not text.
fn swallowed(text: &str, spans: &[Span], columns: usize) -> Option<Swallowed> {
    for s in spans {
        let cell = &text[s.start as usize..s.end as usize];
        if !cell.starts_with('"') {
            continue;
        }
        let inner = &cell[1..];
        // The quotes after the opening one pair up (`""` inside, then the closing one), so an
        // even count means the closing quote is missing.
        if s.end as usize == text.len() && inner.bytes().filter(|&c| c == b'"').count() % 2 == 0 {
            return Some(Swallowed::ToEnd(s.start as usize));
        }
        if columns > 1 {
            let rows =
                inner.lines().skip(1).filter(|l| l.bytes().filter(|&c| c == b',').count() + 1 >= columns).count();
            if rows > 0 {
                return Some(Swallowed::Rows(s.start as usize, rows));
            }
        }
    }
    None
}

fn unclosed_quote(loader: &Loader<'_>, open: usize, message: String, label: &str) -> Diagnostic {
    Diagnostic::error("unclosed-quote", &loader.path, Span::new(open, open + 1), message).with_label(label).with_help(
        "close the quote at the end of its cell (`\"a,b\"`), or double a quote meant as text inside a quoted \
             cell (`\"say \"\"hi\"\"\"`); a quote that opens a cell runs until the next single quote",
    )
}

/// What a column of the file is read as.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Column {
    Field(usize),
    /// One part of a field the record's source builds from split columns.
    Part(u8, u8),
    /// Not read: unknown (reported), ignored by the source, or a repeated name.
    Skip,
}

/// Maps each column to its field, reporting unknown and repeated header names, and the
/// columns a field is built from that the header lacks.
pub(super) fn columns<'n>(
    loader: &mut Loader<'_>,
    kind: RecordId,
    names: impl Iterator<Item = (std::borrow::Cow<'n, str>, Span)>,
    header: Span,
) -> Vec<Column> {
    let mut seen: Vec<Option<Span>> = vec![None; loader.record(kind).fields.len()];
    let mut seen_parts: Vec<(u8, u8)> = Vec::new();
    let mut columns = Vec::new();
    for (name, span) in names {
        let name = name.trim();
        let field = loader.field_named(kind, name, span);
        if field.is_none()
            && let Some(part) = loader.part(kind, name)
        {
            columns.push(if seen_parts.contains(&part) { Column::Skip } else { Column::Part(part.0, part.1) });
            seen_parts.push(part);
            continue;
        }
        match field {
            None => loader.unknown_field(kind, name, span),
            Some(f) => {
                if let Some(first) = seen[f] {
                    let d = Diagnostic::error(
                        "duplicate-field",
                        &loader.path,
                        span,
                        format!("duplicate column `{name}` in the header"),
                    )
                    .with_label("named again here")
                    .with_secondary(first, "first named here")
                    .with_help("a field has one column; this column is ignored");
                    loader.report(d);
                    columns.push(Column::Skip);
                    continue;
                }
                seen[f] = Some(span);
            }
        }
        columns.push(field.map_or(Column::Skip, Column::Field));
    }
    let whole: Vec<usize> = seen.iter().enumerate().filter(|(_, s)| s.is_some()).map(|(f, _)| f).collect();
    loader.lacking_parts(kind, &seen_parts, &whole, header);
    columns
}

/// Where the cell's text starts in the file when it is written there as is (unquoted, or
/// quoted without doubled quotes), so errors can point inside it.
fn verbatim(text: &str, cell: Span, value: &str) -> Option<u32> {
    let written = &text[cell.start as usize..cell.end as usize];
    if written == value {
        Some(cell.start)
    } else if written.strip_prefix('"').and_then(|w| w.strip_suffix('"')) == Some(value) {
        Some(cell.start + 1)
    } else {
        None
    }
}

/// Fills `spans` with the span of each cell of the record at or after `start` (blank lines
/// before it skipped), quotes included; returns where the record ends. Follows the `csv`
/// crate's rules: a cell opening with `"` runs to the matching unescaped `"`; elsewhere a quote
/// is an ordinary character.
fn cell_spans(text: &str, start: usize, spans: &mut Vec<Span>) -> usize {
    let b = text.as_bytes();
    let mut p = start.min(b.len());
    while p < b.len() && matches!(b[p], b'\r' | b'\n') {
        p += 1;
    }
    spans.clear();
    if p >= b.len() {
        return p;
    }
    loop {
        let cell = p;
        if b.get(p) == Some(&b'"') {
            p += 1;
            loop {
                match b[p..].iter().position(|&c| c == b'"') {
                    None => {
                        p = b.len();
                        break;
                    }
                    Some(q) => {
                        p += q + 1;
                        if b.get(p) == Some(&b'"') {
                            p += 1;
                        } else {
                            break;
                        }
                    }
                }
            }
        }
        while p < b.len() && !matches!(b[p], b',' | b'\r' | b'\n') {
            p += 1;
        }
        spans.push(Span::new(cell, p));
        if b.get(p) == Some(&b',') {
            p += 1;
        } else {
            return p;
        }
    }
}

/// Counts lines forward through the file; records come in order, so the whole file is
/// scanned once.
struct LineCounter {
    at: usize,
    line: u32,
}

impl LineCounter {
    fn line_at(&mut self, text: &str, offset: usize) -> u32 {
        if offset > self.at {
            self.line += text.as_bytes()[self.at..offset].iter().filter(|&&c| c == b'\n').count() as u32;
            self.at = offset;
        }
        self.line
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cells(text: &str, start: usize) -> (Vec<&str>, usize) {
        let mut spans = Vec::new();
        let end = cell_spans(text, start, &mut spans);
        (spans.iter().map(|s| &text[s.start as usize..s.end as usize]).collect(), end)
    }

    #[test]
    fn spans_follow_csv_quoting() {
        assert_eq!(cells("a,b\n", 0), (vec!["a", "b"], 3));
        assert_eq!(cells("\r\n\nx,\"y,\"\"z\"\"\nw\",\n", 0), (vec!["x", "\"y,\"\"z\"\"\nw\"", ""], 17));
        assert_eq!(cells("a\"b,c", 0), (vec!["a\"b", "c"], 5));
        assert_eq!(cells("\"open", 0), (vec!["\"open"], 5));
        assert_eq!(cells("", 0), (vec![], 0));
        assert_eq!(cells("a,", 0), (vec!["a", ""], 2));
    }

    #[test]
    fn verbatim_only_when_the_file_holds_the_text() {
        let text = "\"ab\",cd,\"e\"\"f\",\"4\"é";
        assert_eq!(verbatim(text, Span::new(0, 4), "ab"), Some(1));
        assert_eq!(verbatim(text, Span::new(5, 7), "cd"), Some(5));
        assert_eq!(verbatim(text, Span::new(8, 14), "e\"f"), None);
        assert_eq!(verbatim(text, Span::new(15, 20), "4é"), None);
    }
}
