//! The XLSX fact reader: one sheet per record kind, named after it, with a first row of field
//! names. An empty cell is an absent value.
//!
//! A workbook has no text to point into, so diagnostics name the cell (`工業爐窯!D7`) in their
//! message and label and carry an empty span (see [`Loader::cell`]).
//!
//! Excel stores every number as an `f64`; a number cell goes to
//! [`convert`](super::convert) as the shortest decimal text that reads back as the same `f64`
//! (`0.1`, not `0.1000000000000000055…`), so it is as exact as Excel's storage allows. A date
//! cell (a serial number with a date format) becomes its calendar date exactly. A formula
//! cell's value is the one Excel cached when it last saved the file, which may be stale: each
//! column holding formulas gets a `formula-cell` warning.

use super::Loader;
use super::convert::{Raw, Scalar, trim};
use super::diag::did_you_mean;
use crate::diagnostic::{Diagnostic, Span};
use calamine::{Data, Reader, Xlsx};
use std::collections::HashMap;

/// The most a workbook may unpack to. calamine holds a workbook's shared strings and styles
/// whole, so a small file that unpacks to gigabytes (a zip bomb) would take that memory.
const MAX_UNPACKED: u64 = 1 << 30;

/// Reads an XLSX workbook into `loader`.
pub(super) fn read(loader: &mut Loader<'_>, bytes: &[u8]) {
    if let Some(unpacked) = unpacked_size(bytes)
        && unpacked > MAX_UNPACKED
    {
        let d = Diagnostic::error(
            "file-too-large",
            &loader.path,
            Span::default(),
            format!(
                "the workbook is {} KiB but unpacks to {} MiB, more than the {} MiB writ reads",
                bytes.len() >> 10,
                unpacked >> 20,
                MAX_UNPACKED >> 20
            ),
        )
        .with_label("this file was not read")
        .with_help("split the records over several workbooks, or save them as CSV or NDJSON, which are streamed");
        refuse(loader, d);
        return;
    }
    let mut book = match Xlsx::new(std::io::Cursor::new(bytes)) {
        Ok(b) => b,
        Err(e) => {
            let d = Diagnostic::error(
                "fact-syntax",
                &loader.path,
                Span::default(),
                format!("expected an XLSX workbook, found a file that cannot be read as one: {e}"),
            )
            .with_label("this file was not read")
            .with_help("save the workbook from Excel as `.xlsx` (Excel Workbook)");
            refuse(loader, d);
            return;
        }
    };
    for sheet in book.sheet_names() {
        // A sheet is read as one dense table; a stray cell far from it (`XFD1048576`) would
        // make that table billions of cells. Measure the sheet first, by streaming its cells.
        match extent(&mut book, &sheet) {
            Ok(Extent { cells, rows, columns, far }) if rows * columns > MAX_CELLS => {
                loader.cell = Some(format!("{sheet}!{}{}", column_name(far.1), far.0 + 1));
                let d = Diagnostic::error(
                    "sheet-too-large",
                    &loader.path,
                    Span::default(),
                    format!(
                        "the sheet spans {rows} rows by {columns} columns, more than the {MAX_CELLS} cells writ reads \
                         as one table; it holds {cells} cells"
                    ),
                )
                .with_label("the farthest cell")
                .with_help(
                    "delete the cells outside the table (in Excel: select the rows and columns past it and \
                     delete them), or split the records over several sheets or workbooks; no row of this \
                     sheet is read",
                );
                lose_sheet(loader, &sheet, d);
                loader.cell = None;
                continue;
            }
            // An unreadable sheet is reported just below, by the reader that reads it.
            _ => {}
        }
        let mut range = match book.worksheet_range(&sheet) {
            Ok(r) => r,
            Err(e) => {
                loader.cell = Some(format!("{sheet}!A1"));
                let d = Diagnostic::error(
                    "fact-syntax",
                    &loader.path,
                    Span::default(),
                    format!("the sheet cannot be read: {e}"),
                )
                .with_help("check the sheet in Excel and save the workbook again");
                lose_sheet(loader, &sheet, d);
                loader.cell = None;
                continue;
            }
        };
        // Excel keeps a merged range's value in its top-left cell only; a ledger that merges one
        // enterprise's name over its rows means that name in every row, so it is copied into
        // every cell of the range rather than read as empty cells.
        match book.merge_cells_by_sheet_name(&sheet) {
            Ok(merged) => {
                if let Err(area) = fill_merged(&mut range, &merged) {
                    loader.cell = Some(format!("{sheet}!A1"));
                    let d = Diagnostic::error(
                        "sheet-too-large",
                        &loader.path,
                        Span::default(),
                        format!(
                            "the sheet's merged ranges cover {area} cells or more, more than the {MAX_CELLS} cells \
                             writ reads as one table"
                        ),
                    )
                    .with_label("the sheet")
                    .with_help(
                        "unmerge the cells (in Excel: select the sheet, Home → Merge & Center → Unmerge Cells) \
                         and fill the values in; no row of this sheet is read",
                    );
                    loader.report(d);
                    loader.cell = None;
                    continue;
                }
            }
            Err(e) => {
                // Without its merged ranges a sheet would read merged cells as empty: not read.
                loader.cell = Some(format!("{sheet}!A1"));
                let d = Diagnostic::error(
                    "fact-syntax",
                    &loader.path,
                    Span::default(),
                    format!("the sheet's merged cells cannot be read: {e}"),
                )
                .with_help("check the sheet in Excel and save the workbook again; no row of this sheet is read");
                loader.report(d);
                loader.cell = None;
                continue;
            }
        }
        // Formulas are optional knowledge: a workbook whose formulas cannot be read still has
        // its cached values.
        let formulas = book.worksheet_formula(&sheet).ok();
        read_sheet(loader, &sheet, &range, formulas.as_ref());
    }
}

/// Reports a workbook that was not read at all: any kind may have had records in it.
fn refuse(loader: &mut Loader<'_>, d: Diagnostic) {
    let reason = d.message.clone();
    loader.report(d);
    loader.lose_in(0, &reason, None, None);
}

/// Reports a sheet that was not read: the kind it is named after is incomplete.
fn lose_sheet(loader: &mut Loader<'_>, sheet: &str, d: Diagnostic) {
    let reason = format!("sheet `{sheet}`: {}", d.message);
    loader.report(d);
    if let Some(kind) = loader.kind_named(trim(sheet), Span::default()) {
        loader.lose(kind, 0, &reason, None);
    }
}

/// The sum of the sizes a zip archive's directory gives its entries, unpacked; `None` when it
/// is not a zip archive (calamine then says what it is not).
fn unpacked_size(bytes: &[u8]) -> Option<u64> {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).ok()?;
    let mut total = 0u64;
    for i in 0..zip.len() {
        total = total.saturating_add(zip.by_index_raw(i).ok()?.size());
    }
    Some(total)
}

/// Copies the value of each merged range's top-left cell into the range's other cells, within
/// the sheet's used area. Fails with the cells the ranges cover when that is more than
/// [`MAX_CELLS`] (ranges overlapping each other again and again), before copying anything.
fn fill_merged(range: &mut calamine::Range<Data>, merged: &[calamine::Dimensions]) -> Result<(), u64> {
    let (Some(start), Some(end)) = (range.start(), range.end()) else {
        return Ok(());
    };
    // Each range cut to the used area: a merge past the last written cell adds no cells.
    type Cell = (u32, u32);
    let clipped: Vec<(Cell, Cell, Cell)> = merged
        .iter()
        .filter_map(|m| {
            let top = (m.start.0.max(start.0), m.start.1.max(start.1));
            let bottom = (m.end.0.min(end.0), m.end.1.min(end.1));
            (top.0 <= bottom.0 && top.1 <= bottom.1).then_some((m.start, top, bottom))
        })
        .collect();
    let mut area = 0u64;
    for (_, top, bottom) in &clipped {
        area += (u64::from(bottom.0 - top.0) + 1) * (u64::from(bottom.1 - top.1) + 1);
        if area > MAX_CELLS {
            return Err(area);
        }
    }
    for &(origin, top, bottom) in &clipped {
        // The value lives in the range's own top-left cell, which may lie before the used area
        // only when it is empty.
        let Some(value) = range.get_value(origin).cloned() else { continue };
        if value == Data::Empty {
            continue;
        }
        for r in top.0..=bottom.0 {
            for c in top.1..=bottom.1 {
                if (r, c) != origin {
                    range.set_value((r, c), value.clone());
                }
            }
        }
    }
    Ok(())
}

/// The most cells a sheet may span (rows × columns of its used area): about 1 GB held.
const MAX_CELLS: u64 = 20_000_000;

/// The used area of a sheet, as its dense table would span it.
struct Extent {
    /// Cells written in the file, a count that stops past [`MAX_CELLS`].
    cells: u64,
    rows: u64,
    columns: u64,
    /// The cell farthest from A1 (row, column), 0-based.
    far: (u32, u32),
}

/// Streams the cells of a sheet to find the area they span, holding one cell at a time.
fn extent<RS: std::io::Read + std::io::Seek>(book: &mut Xlsx<RS>, sheet: &str) -> Result<Extent, calamine::XlsxError> {
    let mut reader = book.worksheet_cells_reader(sheet)?;
    let (mut top, mut left, mut bottom, mut right) = (u32::MAX, u32::MAX, 0, 0);
    let mut cells = 0u64;
    let mut far = (0, 0);
    while let Some(cell) = reader.next_cell()? {
        let (r, c) = cell.get_position();
        (top, left, bottom, right) = (top.min(r), left.min(c), bottom.max(r), right.max(c));
        if u64::from(r) + u64::from(c) >= u64::from(far.0) + u64::from(far.1) {
            far = (r, c);
        }
        cells += 1;
        if cells > MAX_CELLS {
            break;
        }
    }
    if cells == 0 {
        return Ok(Extent { cells, rows: 0, columns: 0, far });
    }
    let (rows, columns) = (u64::from(bottom - top) + 1, u64::from(right - left) + 1);
    Ok(Extent { cells, rows, columns, far })
}

fn read_sheet(
    loader: &mut Loader<'_>,
    sheet: &str,
    range: &calamine::Range<Data>,
    formulas: Option<&calamine::Range<String>>,
) {
    // A sheet named in the other script than its kind is warned about at its first cell.
    loader.cell = Some(format!("{sheet}!A1"));
    let kind = loader.kind_named(trim(sheet), Span::default());
    loader.cell = None;
    // A sheet with no written cell has no header row: nothing says what it was meant to hold.
    let Some((top, left)) = range.start().filter(|_| range.used_cells().any(|(_, _, c)| *c != Data::Empty)) else {
        empty_sheet(loader, sheet, kind, false);
        return;
    };
    let cell = |row: usize, col: usize| format!("{sheet}!{}{}", column_name(left + col as u32), top as usize + row + 1);
    let mut rows = range.rows();
    let Some(header) = rows.next() else {
        empty_sheet(loader, sheet, kind, false);
        return;
    };
    let Some(kind) = kind else {
        let records = rows.filter(|r| r.iter().any(|c| *c != Data::Empty)).count();
        loader.cell = Some(cell(0, 0));
        let names = loader.schema.records.iter().map(|r| r.name.as_str());
        let tail = match did_you_mean(trim(sheet), names) {
            Some(s) => format!("rename the sheet to `{s}`"),
            None => "each sheet of an XLSX fact file is named after the record kind it holds".to_string(),
        };
        let label = format!(
            "this sheet is read as `{sheet}` records, after its name; its {} not read",
            super::records(records)
        );
        loader.unknown_kind(trim(sheet), Span::default(), label, &tail, records, 0);
        loader.cell = None;
        return;
    };
    if range.rows().skip(1).all(|r| r.iter().all(|c| *c == Data::Empty)) {
        loader.cell = Some(cell(0, 0));
        empty_sheet(loader, sheet, Some(kind), true);
        loader.cell = None;
    }

    // Columns to fields, as the CSV reader does with its header.
    let mut columns: Vec<Option<usize>> = Vec::with_capacity(header.len());
    // Per column: the part of a field the record's source builds from split columns.
    let mut parts: Vec<Option<(u8, u8)>> = vec![None; header.len()];
    let mut seen: HashMap<usize, String> = HashMap::new();
    for (i, h) in header.iter().enumerate() {
        let name = text_of(h);
        let name = trim(&name);
        if name.is_empty() {
            columns.push(None);
            continue;
        }
        loader.cell = Some(cell(0, i));
        let field = loader.field_named(kind, name, Span::default());
        if field.is_none()
            && let Some(part) = loader.part(kind, name)
        {
            if !parts.contains(&Some(part)) {
                parts[i] = Some(part);
            }
            loader.cell = None;
            columns.push(None);
            continue;
        }
        match field {
            None => loader.unknown_field(kind, name, Span::default()),
            Some(f) => {
                if let Some(first) = seen.get(&f) {
                    let d = Diagnostic::error(
                        "duplicate-field",
                        &loader.path,
                        Span::default(),
                        format!("duplicate column `{name}` in the header, first named in `{first}`"),
                    )
                    .with_label("named again here")
                    .with_help("a field has one column; this column is ignored");
                    loader.report(d);
                    loader.cell = None;
                    columns.push(None);
                    continue;
                }
                seen.insert(f, cell(0, i));
            }
        }
        columns.push(field);
    }
    let rec = loader.record(kind);
    loader.cell = Some(format!("{sheet}!{}:{}", top + 1, top + 1));
    let seen_parts: Vec<(u8, u8)> = parts.iter().flatten().copied().collect();
    let whole: Vec<usize> = columns.iter().flatten().copied().collect();
    loader.lacking_parts(kind, &seen_parts, &whole, Span::default());
    loader.cell = None;
    let key_column = columns.iter().position(|&c| c == Some(rec.key));
    if key_column.is_none() && !rec.keyless {
        loader.cell = Some(format!("{sheet}!{}:{}", top + 1, top + 1));
        loader.missing_key_column(kind, Span::default(), "the header", "sheet");
    }

    let mut fields = vec![None; rec.fields.len()];
    for (c, f) in columns.iter().enumerate() {
        if let Some(f) = *f {
            fields[f] = Some(left + c as u32);
        }
    }
    let bottom = range.end().map_or(top, |(r, _)| r);
    loader.sheets.push(super::Sheet { kind, name: sheet.to_string(), lines: (top + 2, bottom + 1), columns: fields });

    // Per column: the first formula cell and how many there were.
    let mut formula_cells: Vec<(String, usize)> = vec![(String::new(), 0); columns.len()];
    for (r, row) in rows.enumerate() {
        let r = r + 1;
        if row.iter().all(|c| *c == Data::Empty) {
            continue;
        }
        let line = top + r as u32 + 1;
        loader.begin(kind, line);
        if key_column.is_none() && !rec.keyless {
            loader.reject_row_without_key("the sheet has no key column");
        }
        for (c, value) in row.iter().enumerate() {
            let part = parts.get(c).copied().flatten();
            let field = columns.get(c).copied().flatten();
            if field.is_none() && part.is_none() {
                continue;
            }
            let at = (top + r as u32, left + c as u32);
            if formulas.and_then(|f| f.get_value(at)).is_some_and(|f| !f.is_empty()) {
                let slot = &mut formula_cells[c];
                if slot.1 == 0 {
                    slot.0 = cell(r, c);
                }
                slot.1 += 1;
            }
            loader.cell = Some(cell(r, c));
            loader.hint = field.and_then(|field| serial_date_hint(loader, field, value, column_name(left + c as u32)));
            let moment = field.is_some_and(|f| rec.fields[f].ty == crate::model::Ty::DateTime);
            let text;
            let scalar = match value {
                Data::Empty => Scalar::Null,
                Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => Scalar::Str(s),
                Data::Bool(b) => Scalar::Bool(*b),
                Data::Int(i) => {
                    text = i.to_string();
                    Scalar::Num(&text)
                }
                // The shortest text that reads back as this f64.
                Data::Float(f) => {
                    text = format!("{f}");
                    Scalar::Num(&text)
                }
                Data::DateTime(dt) if dt.is_datetime() => {
                    // Excel has no time zones: the date and time are the ones the cell shows.
                    let (y, m, d, h, mi, sec, _) = dt.to_ymd_hms_milli();
                    text = if moment {
                        format!("{y:04}-{m:02}-{d:02}T{h:02}:{mi:02}:{sec:02}")
                    } else {
                        format!("{y:04}-{m:02}-{d:02}")
                    };
                    Scalar::Str(&text)
                }
                Data::DateTime(dt) => {
                    text = format!("{}", dt.as_f64());
                    Scalar::Num(&text)
                }
                Data::Error(e) => {
                    text = e.to_string();
                    Scalar::Str(&text)
                }
            };
            let raw = Raw { scalar, span: Span::default(), verbatim_at: None };
            match (field, part) {
                (Some(field), _) => loader.set(field, &raw),
                (None, Some(part)) => loader.set_part(part, &raw),
                (None, None) => {}
            }
            loader.hint = None;
        }
        loader.cell = Some(format!("{sheet}!{line}:{line}"));
        loader.end(Span::default(), Span::default());
        loader.cell = None;
    }
    for (c, (first, n)) in formula_cells.into_iter().enumerate() {
        if n == 0 {
            continue;
        }
        loader.cell = Some(first);
        let more = if n > 1 { format!(" (and {} more cells of this column)", n - 1) } else { String::new() };
        let d = Diagnostic::warning(
            "formula-cell",
            &loader.path,
            Span::default(),
            format!("a formula cell: the value Excel cached when it last saved the file was used{more}"),
        )
        .with_label("a formula")
        .with_help(format!(
            "writ does not recompute formulas; if the workbook was edited without Excel, open and save it in \
             Excel, or paste the values of column {} as values",
            column_name(left + c as u32)
        ));
        loader.report(d);
        loader.cell = None;
    }
}

/// Reports a sheet that holds no record. A sheet of a record kind with no header row at all is
/// an error: the records meant for it are not there, and every count of the kind would be
/// made without them. One with a header and no rows says outright that there are none: a
/// warning. A sheet with no cell and a name that is no record kind (Excel's `Sheet1`) holds
/// nothing to lose: a warning that says what its name would have to be.
fn empty_sheet(loader: &mut Loader<'_>, sheet: &str, kind: Option<crate::model::RecordId>, has_header: bool) {
    if loader.cell.is_none() {
        loader.cell = Some(format!("{sheet}!A1"));
    }
    let d = match kind {
        Some(kind) if has_header => {
            let name = &loader.record(kind).name;
            Diagnostic::warning(
                "empty-sheet",
                &loader.path,
                Span::default(),
                format!("the `{name}` sheet has a header row and no records"),
            )
            .with_label("no row below the header")
            .with_help(format!(
                "the workbook says there are no `{name}` records; if there are some, fill them in below the header"
            ))
        }
        Some(kind) => {
            let rec = loader.record(kind);
            let fields = rec.fields.iter().map(|f| format!("`{}`", f.name)).collect::<Vec<_>>().join(", ");
            Diagnostic::error(
                "empty-sheet",
                &loader.path,
                Span::default(),
                format!("the `{}` sheet is empty: no header row and no records", rec.name),
            )
            .with_label("an empty sheet")
            .with_help(format!(
                "fill in the `{}` records under a header row naming their fields ({fields}), or delete the sheet if \
                 there are none to give; until then the input is incomplete and `writ eval` exits with code 2",
                rec.name
            ))
        }
        None => {
            let names = loader.schema.records.iter().map(|r| r.name.as_str());
            let help = match did_you_mean(trim(sheet), names) {
                Some(s) => format!("did you mean `{s}`? rename the sheet to `{s}` and fill it in, or delete it"),
                None => "each sheet of an XLSX fact file is named after the record kind it holds; delete this \
                         sheet, or rename it after a record kind and fill it in"
                    .to_string(),
            };
            Diagnostic::warning(
                "empty-sheet",
                &loader.path,
                Span::default(),
                format!("the sheet `{}` is empty, and its name is no record kind", super::diag::clip(sheet)),
            )
            .with_label("an empty sheet, ignored")
            .with_help(help)
        }
    };
    // A kind's sheet with no cell at all lost its records, however many there were: the kind
    // is incomplete, so what needs it is `unknown` rather than counted over nothing.
    let lost = match kind {
        Some(kind) if !has_header => Some((kind, format!("sheet `{sheet}`: {}", d.message))),
        _ => None,
    };
    loader.report(d);
    loader.cell = None;
    if let Some((kind, reason)) = lost {
        loader.lose(kind, 0, &reason, None);
    }
}

/// For a number in a date field: Excel stores a date as a count of days, and a cell formatted
/// as General (a column pasted from another program, or formatted before the dates were typed)
/// shows that count (`43738`) instead of the date. The number is not taken for a date, since
/// it may be a mistake of another kind; the help line says which date it would be.
fn serial_date_hint(loader: &Loader<'_>, field: usize, value: &Data, column: String) -> Option<String> {
    let rec = loader.record(loader.row.kind);
    if rec.fields[field].ty != crate::model::Ty::Date {
        return None;
    }
    let serial = match value {
        Data::Float(f) => *f,
        Data::Int(i) => *i as f64,
        _ => return None,
    };
    // Excel's dates run from serial 1 (1900-01-01) to 2958465 (9999-12-31); serial 60 is
    // 1900-02-29, a day that never was (Excel keeps Lotus 1-2-3's leap-year error).
    if !(1.0..2_958_466.0).contains(&serial) || serial.trunc() == 60.0 {
        return None;
    }
    let days = serial.trunc() as i32;
    let epoch = if days < 60 {
        crate::value::Date::from_ymd(1899, 12, 31)?
    } else {
        crate::value::Date::from_ymd(1899, 12, 30)?
    };
    let date = epoch.add_days(days);
    Some(format!(
        "{serial} looks like an Excel serial date, {date}, in a cell formatted as a number: format column \
         {column} as Date (in Excel: select the column, Format Cells → Date) so that it is read as a date, or \
         write the date as `{date}`"
    ))
}

/// The text of a header cell.
fn text_of(d: &Data) -> String {
    match d {
        Data::Empty => String::new(),
        Data::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// `A`, `B`, … `Z`, `AA`, … for a 0-based column.
pub(super) fn column_name(col: u32) -> String {
    let mut n = col + 1;
    let mut out = Vec::new();
    while n > 0 {
        let rem = (n - 1) % 26;
        out.push(b'A' + rem as u8);
        n = (n - 1) / 26;
    }
    out.reverse();
    String::from_utf8(out).expect("ASCII letters")
}

#[cfg(test)]
mod tests {
    use super::column_name;

    #[test]
    fn column_names() {
        assert_eq!(column_name(0), "A");
        assert_eq!(column_name(3), "D");
        assert_eq!(column_name(25), "Z");
        assert_eq!(column_name(26), "AA");
        assert_eq!(column_name(701), "ZZ");
        assert_eq!(column_name(702), "AAA");
    }
}
