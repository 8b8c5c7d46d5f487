//! The workbook a bureau keeps as its ledger of the plan's tasks (台帳), made from the same
//! verdicts as the other reports: a summary sheet (the counts of `--summary`), a sheet of
//! every verdict, then a sheet per responsible party with the verdicts it owes and its role in
//! each. Every verdict sheet has one row per verdict under a frozen header row with a filter;
//! deadlines are date cells. The workbook is made in memory: writing it to a file is the
//! command line's affair.

use super::human::{Only, Tally, party_word, responsible, roles_of, sanction_short, subject};
use super::messages::{Msg, Words};
use crate::eval::{Status, Verdict, Verdicts};
use crate::lang::Lang;
use crate::text::{Keep, escape, shown};
use crate::value::Date;
use rust_xlsxwriter::{
    ColNum, DocProperties, ExcelDateTime, Format, FormatBorder, RowNum, Workbook, Worksheet, XlsxError,
};
use std::borrow::Cow;

/// The columns of a verdict sheet, in order, with their widths (in characters; a Chinese
/// character takes two). The role column is only on a party's sheet.
const COLUMNS: [(Msg, f64); 16] = [
    (Msg::XlsxClause, 24.0),
    (Msg::XlsxTitle, 30.0),
    (Msg::XlsxCite, 10.0),
    (Msg::XlsxSubject, 30.0),
    (Msg::XlsxRole, 12.0),
    (Msg::XlsxRequirement, 40.0),
    (Msg::XlsxDeadline, 14.0),
    (Msg::XlsxDoneOn, 14.0),
    (Msg::XlsxStatus, 12.0),
    (Msg::XlsxValue, 18.0),
    (Msg::XlsxLimit, 18.0),
    (Msg::XlsxSanction, 24.0),
    (Msg::XlsxEvidence, 50.0),
    (Msg::XlsxReason, 30.0),
    (Msg::XlsxId, 40.0),
    (Msg::XlsxStatusCode, 14.0),
];

/// The width of a column.
fn width(key: Msg) -> f64 {
    COLUMNS.iter().find(|(k, _)| *k == key).map_or(0.0, |(_, w)| *w)
}

/// The most characters Excel keeps in a cell.
const CELL_MAX: usize = 32_767;

/// The most units of UTF-16 Excel allows in a sheet's name.
const SHEET_NAME_MAX: usize = 31;

/// The workbook of `r`'s verdicts, every one of them whatever `--only` says (as the JSON
/// report), its labels in `lang` or else the plan's language. Its bytes depend on the verdicts
/// alone: the document's creation time is the as-of date.
pub fn workbook<V: Verdicts + ?Sized>(r: &V, lang: Option<Lang>) -> Result<Vec<u8>, XlsxError> {
    let words = Words(lang.or(r.language()).unwrap_or_default());
    let styles = Styles::new(words);
    let tally = Tally::of(r, Only::All, words.get(Msg::NoSection));
    let summary_name = words.get(Msg::XlsxSummarySheet);
    let all_name = words.get(Msg::XlsxAllSheet);
    let parties: Vec<&String> = tally.by_party.keys().collect();
    let mut wanted: Vec<&str> = vec![summary_name, all_name];
    // A party no one can tell gets the report language's word for it, as in the other reports.
    let named: Vec<std::borrow::Cow<str>> = parties.iter().map(|p| party_word(p, words)).collect();
    wanted.extend(named.iter().map(|p| p.as_ref()));
    let names = sheet_names(&wanted);

    let mut book = Workbook::new();
    let as_of = r.as_of().naive();
    use chrono::Datelike;
    let created = ExcelDateTime::from_ymd(as_of.year() as u16, as_of.month() as u8, as_of.day() as u8)?;
    book.set_properties(&DocProperties::new().set_creation_datetime(&created));

    let mut summary = Worksheet::new();
    summary.set_name(&names[0])?;
    write_summary(r, &tally, words, &styles, &mut summary)?;
    book.push_worksheet(summary);

    // Each verdict's row is made once; the sheets, which share nothing but the rows, are then
    // filled on as many threads as the machine has (a workbook of 20,000 verdicts owed by five
    // parties each is 120,000 rows), and added in their order, so the bytes do not depend on
    // the threads.
    let n = r.count();
    let mut rows = Vec::with_capacity(n);
    // Per party: the rows its sheet lists, with its role in each.
    let mut owed: Vec<Vec<(usize, String)>> = vec![Vec::new(); parties.len()];
    for i in 0..n {
        rows.push(Row::of(&r.verdict_at(i), words));
        let roles = r.parties_of(i);
        for p in responsible(roles.clone()) {
            let at = tally.by_party.get_index_of(&p).expect("the tally counts every party of every verdict");
            owed[at].push((i, roles_of(r, words, &roles, &p)));
        }
    }
    // Sheet `k` after the summary: 0 every verdict, then a sheet per party.
    let size = |k: usize| if k == 0 { n } else { owed[k - 1].len() };
    let fill = |k: usize| -> Result<Worksheet, XlsxError> {
        let mut sheet = Sheet::new(&names[1 + k], k > 0, words, &styles)?;
        if k == 0 {
            for row in &rows {
                sheet.push(row, None, &styles)?;
            }
        } else {
            for (i, role) in &owed[k - 1] {
                sheet.push(&rows[*i], Some(role), &styles)?;
            }
        }
        sheet.finish()
    };
    let count = 1 + owed.len();
    let threads = std::thread::available_parallelism().map_or(1, |t| t.get()).min(count);
    // The largest sheets first, each to the thread with the fewest rows so far.
    let mut order: Vec<usize> = (0..count).collect();
    order.sort_by_key(|&k| std::cmp::Reverse(size(k)));
    let mut shares: Vec<(usize, Vec<usize>)> = vec![(0, Vec::new()); threads];
    for k in order {
        let least = (0..threads).min_by_key(|&t| shares[t].0).expect("one thread at least");
        shares[least].0 += size(k);
        shares[least].1.push(k);
    }
    let mut sheets: Vec<Option<Result<Worksheet, XlsxError>>> = (0..count).map(|_| None).collect();
    std::thread::scope(|scope| {
        let fill = &fill;
        let handles: Vec<_> = shares
            .into_iter()
            .map(|(_, ks)| scope.spawn(move || ks.into_iter().map(|k| (k, fill(k))).collect::<Vec<_>>()))
            .collect();
        for h in handles {
            for (k, sheet) in h.join().expect("filling a sheet does not panic") {
                sheets[k] = Some(sheet);
            }
        }
    });
    for sheet in sheets {
        book.push_worksheet(sheet.expect("every sheet is filled")?);
    }
    book.set_zip_compression_level(1);
    let bytes = book.save_to_buffer();
    // A workbook of 120,000 rows takes a twentieth of its making to free, cell by cell: freed
    // on a thread of its own while the bytes are written out.
    std::thread::spawn(move || drop(book));
    bytes
}

/// A sheet name for each of `wanted`, in order, as Excel accepts them and all different: the
/// characters Excel refuses (`[]:*?/\`) become their full-width twins, control characters `_`,
/// an apostrophe at either end is dropped, a name is cut to 31 UTF-16 units, and a name
/// already taken (Excel compares them without case), or Excel's reserved `History`, gets
/// `~2`, `~3` … at its end.
pub fn sheet_names(wanted: &[&str]) -> Vec<String> {
    let mut taken: Vec<String> = Vec::new();
    let mut out = Vec::with_capacity(wanted.len());
    for w in wanted {
        let clean: String = w
            .chars()
            .map(|c| match c {
                '[' => '［',
                ']' => '］',
                ':' => '：',
                '*' => '＊',
                '?' => '？',
                '/' => '／',
                '\\' => '＼',
                c if c.is_control() => '_',
                c => c,
            })
            .collect();
        let clean = clean.trim_matches('\'');
        let base = if clean.is_empty() { "_" } else { clean };
        let mut name = cut_utf16(base, SHEET_NAME_MAX).to_string();
        let mut n = 1;
        while taken.contains(&name.to_lowercase()) || name.eq_ignore_ascii_case("history") {
            n += 1;
            let suffix = format!("~{n}");
            let head = cut_utf16(base, SHEET_NAME_MAX - suffix.len()).trim_end_matches('\'');
            name = format!("{head}{suffix}");
        }
        taken.push(name.to_lowercase());
        out.push(name);
    }
    out
}

/// The longest start of `text` that is at most `max` units of UTF-16.
fn cut_utf16(text: &str, max: usize) -> &str {
    let mut units = 0;
    for (at, c) in text.char_indices() {
        units += c.len_utf16();
        if units > max {
            return &text[..at];
        }
    }
    text
}

/// Text as a cell holds it: escaped as the human report escapes it (its line breaks kept: a
/// cell that lists several values has one a line), and cut to what Excel keeps.
fn cell(text: &str) -> Cow<'_, str> {
    let s = escape(text, Keep::Layout);
    if s.len() <= CELL_MAX || s.chars().count() <= CELL_MAX {
        return s;
    }
    let mut cut: String = s.chars().take(CELL_MAX - 1).collect();
    cut.push('…');
    Cow::Owned(cut)
}

/// The formats of the workbook's cells. A plain text cell has none: the writer looks a format
/// up by hashing it, cell by cell, which took 40% of the time of a large workbook, so only the
/// cells that need one (headers, wrapped text, dates) have one, and every cell keeps Excel's
/// default alignment.
struct Styles {
    header: Format,
    wrapped: Format,
    date: Format,
    title: Format,
}

impl Styles {
    fn new(words: Words) -> Styles {
        Styles {
            header: Format::new().set_bold().set_border_bottom(FormatBorder::Thin),
            wrapped: Format::new().set_text_wrap(),
            date: Format::new().set_num_format(words.get(Msg::XlsxDateFormat)),
            title: Format::new().set_bold(),
        }
    }
}

/// What a verdict's row holds, but for the role (which depends on the sheet's party).
struct Row {
    clause: String,
    title: String,
    cite: String,
    subject: String,
    requirement: String,
    deadline: Option<Date>,
    done_on: Option<Date>,
    status: Status,
    status_word: &'static str,
    value: String,
    limit: String,
    sanction: String,
    evidence: String,
    reason: String,
    id: String,
}

impl Row {
    /// The row of `v`: each value from the policy or the facts escaped ([`shown`]), so that a
    /// line break in one cannot pass for the next line of a cell that lists several.
    /// The row of `v`, each text as its cell holds it ([`cell`]), made once for every sheet
    /// that lists it.
    fn of(v: &Verdict, words: Words) -> Row {
        let text = |t: &str| cell(&shown(t)).into_owned();
        let lines = |items: Vec<String>| cell(&items.join("\n")).into_owned();
        let mut evidence: Vec<String> = v
            .facts
            .iter()
            .map(|f| format!("{}:{} ({} {})", shown(&f.file), f.line, shown(&f.kind), shown(&f.key)))
            .collect();
        if v.more_facts > 0 {
            evidence.push(words.fill(Msg::AndMore, &[&v.more_facts]));
        }
        let sanctions = v.sanctions.iter().map(|s| sanction_short(s, words)).collect();
        Row {
            clause: text(&v.clause),
            title: v.title.as_deref().map(text).unwrap_or_default(),
            cite: v.cite.as_deref().map(text).unwrap_or_default(),
            subject: cell(&subject(v, words)).into_owned(),
            requirement: text(&v.requirement),
            deadline: v.deadline,
            done_on: v.done_on,
            status: v.status,
            status_word: words.status(v.status),
            value: lines(v.evidence.iter().map(|e| text(&e.left_value)).collect()),
            limit: lines(v.evidence.iter().map(|e| format!("{} {}", e.op, shown(&e.right_value))).collect()),
            sanction: lines(sanctions),
            evidence: lines(evidence),
            reason: v.reason.as_deref().map(|r| text(&words.reason(r))).unwrap_or_default(),
            id: text(&v.id),
        }
    }
}

/// A verdict sheet being filled: its header written, its rows added one at a time.
struct Sheet {
    ws: Worksheet,
    /// Whether the sheet has the role column (a party's sheet).
    roles: bool,
    /// The next row to write.
    next: RowNum,
}

impl Sheet {
    fn new(name: &str, roles: bool, words: Words, styles: &Styles) -> Result<Sheet, XlsxError> {
        let mut ws = Worksheet::new();
        ws.set_name(name)?;
        let mut col: ColNum = 0;
        for (key, width) in COLUMNS {
            if key == Msg::XlsxRole && !roles {
                continue;
            }
            ws.write_string_with_format(0, col, words.get(key), &styles.header)?;
            ws.set_column_width(col, width)?;
            col += 1;
        }
        // The status code is for a program that reads the workbook; a reader has the word.
        ws.set_column_hidden(col - 1)?;
        ws.set_freeze_panes(1, 0)?;
        Ok(Sheet { ws, roles, next: 1 })
    }

    /// Adds a verdict's row; `role` is the party's role in it, on a party's sheet.
    fn push(&mut self, row: &Row, role: Option<&str>, styles: &Styles) -> Result<(), XlsxError> {
        let (ws, r) = (&mut self.ws, self.next);
        let mut col: ColNum = 0;
        // `s` is as its cell holds it ([`Row::of`]). `wraps`: the width of a column whose text
        // wraps when it is wider or has a line break; text that fits is written without a format.
        let text = |ws: &mut Worksheet, col: &mut ColNum, s: &str, wraps: Option<f64>| -> Result<(), XlsxError> {
            let wide = wraps.is_some_and(|w| s.contains('\n') || Words::columns(s) as f64 > w);
            if wide {
                ws.write_string_with_format(r, *col, s, &styles.wrapped)?;
            } else {
                ws.write_string(r, *col, s)?;
            }
            *col += 1;
            Ok(())
        };
        text(ws, &mut col, &row.clause, None)?;
        text(ws, &mut col, &row.title, None)?;
        text(ws, &mut col, &row.cite, None)?;
        text(ws, &mut col, &row.subject, None)?;
        if self.roles {
            text(ws, &mut col, role.unwrap_or_default(), None)?;
        }
        text(ws, &mut col, &row.requirement, None)?;
        for d in [row.deadline, row.done_on] {
            if let Some(d) = d {
                date(ws, r, col, d, styles)?;
            }
            col += 1;
        }
        text(ws, &mut col, row.status_word, None)?;
        text(ws, &mut col, &row.value, Some(width(Msg::XlsxValue)))?;
        text(ws, &mut col, &row.limit, Some(width(Msg::XlsxLimit)))?;
        text(ws, &mut col, &row.sanction, Some(width(Msg::XlsxSanction)))?;
        text(ws, &mut col, &row.evidence, Some(width(Msg::XlsxEvidence)))?;
        text(ws, &mut col, &row.reason, Some(width(Msg::XlsxReason)))?;
        text(ws, &mut col, &row.id, None)?;
        text(ws, &mut col, row.status.name(), None)?;
        self.next += 1;
        Ok(())
    }

    /// The sheet with a filter over its header and rows.
    fn finish(mut self) -> Result<Worksheet, XlsxError> {
        let last_col = COLUMNS.len() as ColNum - if self.roles { 1 } else { 2 };
        self.ws.autofilter(0, 0, self.next - 1, last_col)?;
        Ok(self.ws)
    }
}

/// A date cell, or the date as text where Excel has no serial number for it (before 1900).
fn date(ws: &mut Worksheet, row: RowNum, col: ColNum, d: Date, styles: &Styles) -> Result<(), XlsxError> {
    use chrono::Datelike;
    let n = d.naive();
    let excel =
        u16::try_from(n.year()).ok().and_then(|y| ExcelDateTime::from_ymd(y, n.month() as u8, n.day() as u8).ok());
    match excel {
        Some(x) => ws.write_date_with_format(row, col, &x, &styles.date)?,
        None => ws.write_string(row, col, d.to_string())?,
    };
    Ok(())
}

/// The summary sheet: the title, then a table of counts (a column per status, in
/// [`Status::ALL`] order, after the total): every verdict, then each responsible party, then
/// each section of the plan, under headings.
fn write_summary<V: Verdicts + ?Sized>(
    r: &V,
    tally: &Tally,
    words: Words,
    styles: &Styles,
    ws: &mut Worksheet,
) -> Result<(), XlsxError> {
    let title = shown(r.plan_title().unwrap_or(r.plan()));
    ws.write_string_with_format(0, 0, words.fill(Msg::Title, &[&title, &words.date(r.as_of())]), &styles.title)?;
    ws.write_string_with_format(2, 0, words.get(Msg::SummaryByStatus), &styles.header)?;
    ws.write_string_with_format(2, 1, words.get(Msg::XlsxTotal), &styles.header)?;
    for (c, &s) in Status::ALL.iter().enumerate() {
        ws.write_string_with_format(2, 2 + c as ColNum, words.status(s), &styles.header)?;
    }
    ws.set_column_width(0, 30)?;
    ws.set_column_width(1, 8)?;
    for c in 0..Status::ALL.len() {
        ws.set_column_width(2 + c as ColNum, 12)?;
    }
    let counts = |ws: &mut Worksheet, row: RowNum, label: &str, by: &indexmap::IndexMap<Status, usize>| {
        ws.write_string(row, 0, cell(&shown(label)))?;
        ws.write_number(row, 1, by.values().sum::<usize>() as f64)?;
        for (c, s) in Status::ALL.iter().enumerate() {
            ws.write_number(row, 2 + c as ColNum, by.get(s).copied().unwrap_or(0) as f64)?;
        }
        Ok::<(), XlsxError>(())
    };
    counts(ws, 3, words.get(Msg::XlsxAllSheet), &tally.by_status)?;
    let mut row: RowNum = 5;
    for (heading, table) in [(Msg::SummaryByParty, &tally.by_party), (Msg::SummaryBySection, &tally.by_section)] {
        ws.write_string_with_format(row, 0, words.get(heading), &styles.header)?;
        row += 1;
        for (name, by) in table {
            counts(ws, row, name, by)?;
            row += 1;
        }
        row += 1;
    }
    ws.set_freeze_panes(3, 1)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn valid(name: &str) -> bool {
        let mut ws = Worksheet::new();
        ws.set_name(name).is_ok()
    }

    #[test]
    fn sheet_names_are_valid_unique_and_deterministic() {
        let long = "陽泉市".repeat(20);
        let wanted = [
            "匯總",
            "a/b",
            "a\\b",
            "[x]:*?",
            "'quoted'",
            "'",
            "",
            "History",
            "Sheet",
            "sheet",
            "SHEET",
            long.as_str(),
            long.as_str(),
            "tab\tname",
            "𝒜".repeat(20).leak(),
        ];
        let names = sheet_names(&wanted);
        assert_eq!(names, sheet_names(&wanted), "the same names each time");
        assert_eq!(names.len(), wanted.len());
        let lower: std::collections::HashSet<String> = names.iter().map(|n| n.to_lowercase()).collect();
        assert_eq!(lower.len(), names.len(), "{names:?}");
        for n in &names {
            assert!(valid(n), "`{n}` is refused");
            assert!(n.encode_utf16().count() <= SHEET_NAME_MAX, "{n}");
            assert!(!n.eq_ignore_ascii_case("history"), "{n}");
        }
        assert_eq!(names[0], "匯總");
        assert_eq!(names[1], "a／b");
        assert_eq!(names[2], "a＼b");
        assert_eq!(names[3], "［x］：＊？");
        assert_eq!(names[4], "quoted");
        assert_eq!(names[5], "_");
        assert_eq!(names[6], "_~2");
        assert_eq!(names[7], "History~2");
        assert_eq!((names[8].as_str(), names[9].as_str(), names[10].as_str()), ("Sheet", "sheet~2", "SHEET~3"));
        assert_eq!(names[11], "陽泉市".repeat(20).chars().take(31).collect::<String>());
        assert_eq!(names[12], format!("{}~2", "陽泉市".repeat(20).chars().take(29).collect::<String>()));
        assert_eq!(names[13], "tab_name");
        // A character outside the Basic Multilingual Plane counts two units: 15 of them fit.
        assert_eq!(names[14], "𝒜".repeat(15));
    }

    #[test]
    fn a_cell_keeps_what_excel_keeps() {
        assert_eq!(cell("陽泉"), "陽泉");
        // Line breaks lay out a cell; a bidirectional override is shown, not obeyed.
        assert_eq!(cell("a\nb"), "a\nb");
        assert_eq!(cell("a\u{202E}b"), shown("a\u{202E}b"));
        assert_ne!(cell("a\u{202E}b"), "a\u{202E}b");
        let long = "x".repeat(CELL_MAX + 10);
        let kept = cell(&long);
        assert_eq!(kept.chars().count(), CELL_MAX);
        assert!(kept.ends_with('…'));
    }

    /// A verdict whose values hold line breaks and a bidirectional override, owed by parties
    /// whose names Excel refuses as sheet names; and a report with no verdicts.
    #[test]
    fn hostile_values_and_names_and_an_empty_report() {
        use crate::eval::{Evidence, FactRef, Report, Subject, Summary};
        use calamine::{Data, Reader};
        let odd = "甲\n乙\u{202E}";
        let verdict = Verdict {
            id: "c/1".into(),
            clause: "c".into(),
            title: None,
            cite: None,
            cite_text: None,
            status: Status::Violated,
            modality: "must",
            requirement: "must x <= 1".into(),
            subject: vec![Subject { kind: "k".into(), key: odd.into() }],
            deadline: None,
            rolled_from: None,
            done_on: Date::from_ymd(1899, 12, 1),
            parties: [("lead".to_string(), vec!["局/處".to_string(), "局:處".to_string()])].into_iter().collect(),
            parties_unknown: vec![],
            decided: vec![],
            evidence: vec![Evidence {
                left: "x".into(),
                left_value: odd.into(),
                op: "<=".into(),
                right: "1".into(),
                right_value: "1".into(),
                holds: Some(false),
            }],
            computed: vec![],
            facts: vec![FactRef { file: "f.json".into(), kind: "k".into(), key: odd.into(), line: 2 }],
            more_facts: 0,
            sanctions: vec![],
            reason: None,
        };
        let report = |verdicts: Vec<Verdict>| Report {
            plan: "p".into(),
            plan_title: None,
            language: None,
            as_of: Date::from_ymd(2020, 1, 15).unwrap(),
            summary: Summary { verdicts: verdicts.len(), by_status: Default::default(), records: Default::default() },
            verdicts,
            roles: vec![],
        };
        let bytes = workbook(&report(vec![verdict]), None).unwrap();
        let mut book = calamine::Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
        assert_eq!(book.sheet_names(), ["summary", "all verdicts", "局／處", "局：處"]);
        let all = book.worksheet_range("all verdicts").unwrap();
        let at = |c: u32| all.get_value((1, c)).cloned().unwrap_or(Data::Empty);
        let escaped = shown(odd).into_owned();
        assert!(!escaped.contains('\n'));
        assert_eq!(at(3), Data::String(format!("k {escaped}")));
        assert_eq!(at(8), Data::String(escaped.clone()));
        assert_eq!(at(11), Data::String(format!("f.json:2 (k {escaped})")));
        // A day Excel has no serial number for is written as text.
        assert_eq!(at(6), Data::String("1899-12-01".into()));
        let party = book.worksheet_range("局：處").unwrap();
        assert_eq!(party.get_value((1, 4)), Some(&Data::String("lead".into())));

        let empty = workbook(&report(vec![]), Some(Lang::ZhHans)).unwrap();
        let mut book = calamine::Xlsx::new(std::io::Cursor::new(empty)).unwrap();
        assert_eq!(book.sheet_names(), ["汇总", "全部核查结果"]);
        let all = book.worksheet_range("全部核查结果").unwrap();
        assert_eq!(all.height(), 1, "the header alone");
    }
}
