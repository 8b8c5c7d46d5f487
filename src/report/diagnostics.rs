//! Diagnostics rendered with miette, for policy and fact files alike.

use crate::diagnostic::{Diagnostic, Severity};
use crate::text::shown;
use miette::{
    GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteError, MietteSpanContents, SourceCode, SourceSpan,
    SpanContents,
};
use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

/// The files diagnostics point into, by path: their text, or, for a file too large to hold
/// (a streamed NDJSON file), how to read it again for the few lines that diagnostics show.
/// `report` opens no file itself: whoever adds one says how it is read.
#[derive(Default)]
pub struct Sources {
    files: HashMap<Arc<str>, Source>,
}

/// Opens a file again, from its first byte.
pub type Reopen = Box<dyn Fn() -> std::io::Result<Box<dyn std::io::BufRead>> + Send + Sync>;

enum Source {
    Text(Arc<str>),
    /// A fact file's text, as it was read.
    Utf8(Arc<crate::text::Utf8Bytes>),
    File(Reopen),
}

impl Sources {
    pub fn add(&mut self, path: &Arc<str>, text: &Arc<str>) {
        self.files.insert(path.clone(), Source::Text(text.clone()));
    }
    /// A file whose text is held as it was read.
    pub fn add_read(&mut self, path: &Arc<str>, text: &Arc<crate::text::Utf8Bytes>) {
        self.files.insert(path.clone(), Source::Utf8(text.clone()));
    }
    /// A file whose lines are read again, through `reopen`, when a diagnostic shows them.
    pub fn add_file(&mut self, path: &Arc<str>, reopen: Reopen) {
        self.files.insert(path.clone(), Source::File(reopen));
    }
    /// Forgets a file: its diagnostics are written.
    pub fn remove(&mut self, path: &Arc<str>) {
        self.files.remove(path);
    }
    /// The text of a file added with [`Sources::add`] or [`Sources::add_read`].
    pub fn get(&self, path: &str) -> Option<&str> {
        match self.files.get(path)? {
            Source::Text(t) => Some(t),
            Source::Utf8(t) => Some(t.text()),
            Source::File(_) => None,
        }
    }
}

/// A line longer than this is not shown whole: a snippet shows the part of it around the
/// place a diagnostic points at (a minified JSON export is one line of megabytes).
const LONG_LINE: usize = 400;
/// How much of a long line a snippet shows on either side of the place, in bytes.
const AROUND: usize = 60;
/// The most of a line read back from a streamed file (NDJSON lines are at most 8 MiB).
const MAX_READ_LINE: usize = 8 * 1024 * 1024 + 1;

/// A run of text of a file, as shown in snippets: whole lines, or a window of one long line.
#[derive(Debug)]
struct Block {
    /// The file offset of the block's first byte.
    offset: usize,
    /// The 0-based line number of its first line.
    first_line: usize,
    /// The characters of that line before the block: 0 but for a window of a long line.
    first_column: usize,
    text: String,
    /// The text as shown: control, bidirectional and invisible characters escaped
    /// ([`crate::text::escape`]), and a carriage return ending the block dropped (miette would
    /// count it as one more line break).
    shown: String,
    /// Where `shown` and `text` are out of step: after each character changed, its end in
    /// `text` and in `shown`, so labels and columns map between the two.
    marks: Vec<(usize, usize)>,
    /// Where the block starts in the offsets miette sees, which count `shown`'s bytes. Blocks
    /// keep their order and never overlap there.
    vstart: usize,
}

impl Block {
    fn new(offset: usize, first_line: usize, first_column: usize, text: String) -> Block {
        Block { offset, first_line, first_column, text, shown: String::new(), marks: Vec::new(), vstart: 0 }
    }

    /// Escapes the text for the terminal, keeping its line breaks and tabs as layout.
    fn escape(&mut self) {
        use crate::text::{Keep, needs_escape, push_escaped};
        self.shown.clear();
        self.marks.clear();
        let mut chars = self.text.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            let end = i + c.len_utf8();
            match c {
                // A byte-order mark opening the file says how it is encoded; it is not text.
                '\u{FEFF}' if self.offset + i == 0 => self.marks.push((end, self.shown.len())),
                '\r' if chars.peek().is_some_and(|&(_, n)| n == '\n') => self.shown.push(c),
                '\r' if end == self.text.len() => self.marks.push((end, self.shown.len())),
                c if needs_escape(c, Keep::Layout) => {
                    push_escaped(&mut self.shown, c, Keep::Layout);
                    self.marks.push((end, self.shown.len()));
                }
                c => self.shown.push(c),
            }
        }
    }

    /// A byte offset in `text` as an offset in `shown`.
    fn to_shown(&self, at: usize) -> usize {
        match self.marks.partition_point(|m| m.0 <= at) {
            0 => at,
            k => at - self.marks[k - 1].0 + self.marks[k - 1].1,
        }
    }

    /// A byte offset in `shown` as an offset in `text` (inside an escape: the character's end).
    fn to_text(&self, at: usize) -> usize {
        let t = match self.marks.partition_point(|m| m.1 <= at) {
            0 => at,
            k => at - self.marks[k - 1].1 + self.marks[k - 1].0,
        };
        floor(&self.text, t)
    }
}

/// The text of the files that the diagnostics being rendered point into: the lines they touch,
/// with a line of context on either side, or windows of the long lines they touch.
#[derive(Debug, Default)]
struct Excerpt {
    blocks: Vec<Block>,
}

/// One line of a file: its offset, 0-based number and text (without the line break).
struct Line<'t> {
    offset: usize,
    number: usize,
    text: &'t str,
}

impl Line<'_> {
    fn end(&self) -> usize {
        self.offset + self.text.len()
    }

    /// The block showing this line for a span `s..e` (file offsets) that starts on it: the whole
    /// line, or the window of a long line around the span.
    fn block(&self, s: usize, e: usize) -> Block {
        if self.text.len() <= LONG_LINE {
            return Block::new(self.offset, self.number, 0, self.text.to_string());
        }
        let local = s.clamp(self.offset, self.end()) - self.offset;
        let start = floor(self.text, local.saturating_sub(AROUND));
        let end = (e.clamp(self.offset, self.end()) - self.offset).max(local);
        let end = floor(self.text, end.saturating_add(AROUND).min(local + LONG_LINE).min(self.text.len()));
        Block::new(
            self.offset + start,
            self.number,
            self.text[..start].chars().count(),
            self.text[start..end].to_string(),
        )
    }
}

impl Excerpt {
    /// The block holding file offset `at`.
    fn block(&self, at: usize) -> Option<&Block> {
        let i = self.blocks.partition_point(|b| b.offset <= at);
        let b = self.blocks.get(i.checked_sub(1)?)?;
        (at <= b.offset + b.text.len()).then_some(b)
    }

    /// The block holding offset `at` as miette sees offsets (see [`Block::vstart`]).
    fn block_shown(&self, at: usize) -> Option<&Block> {
        let i = self.blocks.partition_point(|b| b.vstart <= at);
        let b = self.blocks.get(i.checked_sub(1)?)?;
        (at <= b.vstart + b.shown.len()).then_some(b)
    }

    /// The 0-based line of file offset `at`, when it is in the excerpt.
    fn line_of(&self, at: usize) -> Option<usize> {
        let b = self.block(at)?;
        let local = floor(&b.text, at - b.offset);
        Some(b.first_line + b.text[..local].matches('\n').count())
    }

    /// Blocks in file order, those that touch or overlap joined when both hold whole lines.
    fn joined(mut blocks: Vec<Block>) -> Excerpt {
        blocks.sort_by_key(|b| b.offset);
        let mut out: Vec<Block> = Vec::new();
        for b in blocks {
            match out.last_mut() {
                // Overlapping whole lines: one block, reaching as far as either.
                Some(last)
                    if last.offset + last.text.len() >= b.offset && last.first_column == 0 && b.first_column == 0 =>
                {
                    let keep = last.offset + last.text.len() - b.offset;
                    if keep < b.text.len() {
                        last.text.push_str(&b.text[keep..]);
                    }
                }
                Some(last)
                    if last.first_column == 0
                        && b.first_column == 0
                        && last.offset + last.text.len() + 1 == b.offset
                        && last.first_line + last.text.matches('\n').count() + 1 == b.first_line =>
                {
                    last.text.push('\n');
                    last.text.push_str(&b.text);
                }
                _ => out.push(b),
            }
        }
        // Escaped text is longer than the text: each block starts past the end of the last.
        let mut next = 0;
        for b in &mut out {
            b.escape();
            b.vstart = b.offset.max(next);
            next = b.vstart + b.shown.len() + 1;
        }
        Excerpt { blocks: out }
    }

    /// Cuts the lines of `text` that `spans` touch, with a short line of context on either
    /// side, counting lines in one pass over the text up to the last of them.
    fn of_text(text: &str, spans: &[(usize, usize)]) -> Excerpt {
        let mut spans: Vec<(usize, usize)> = spans
            .iter()
            .map(|&(s, e)| {
                let s = floor(text, s.min(text.len()));
                (s, floor(text, e.min(text.len()).max(s)))
            })
            .collect();
        spans.sort_unstable();
        let line_at = |at: usize, number: usize| {
            let start = text[..at].rfind('\n').map_or(0, |i| i + 1);
            let end = text[at..].find('\n').map_or(text.len(), |i| at + i);
            Line { offset: start, number, text: &text[start..end] }
        };
        let (mut number, mut counted) = (0, 0);
        let mut blocks = Vec::new();
        for (s, e) in spans {
            number += text[counted..s].matches('\n').count();
            counted = s;
            let first = line_at(s, number);
            let last = line_at(e, number + text[s..e].matches('\n').count());
            let (first_offset, first_number, last_end, last_number) =
                (first.offset, first.number, last.end(), last.number);
            if first.number == last.number {
                blocks.push(first.block(s, e));
            } else {
                // A span over several lines: the lines it covers, each cut if long.
                let mut line = first;
                loop {
                    blocks.push(line.block(s.max(line.offset), e.min(line.end())));
                    if line.number >= last.number || line.end() >= text.len() {
                        break;
                    }
                    line = line_at(line.end() + 1, line.number + 1);
                }
            }
            // A short line of context on either side.
            if first_offset > 0 {
                let prev = line_at(first_offset - 1, first_number - 1);
                if prev.text.len() <= LONG_LINE {
                    blocks.push(prev.block(prev.offset, prev.offset));
                }
            }
            if last_end < text.len() {
                let next = line_at(last_end + 1, last_number + 1);
                if next.text.len() <= LONG_LINE {
                    blocks.push(next.block(next.offset, next.offset));
                }
            }
        }
        Excerpt::joined(blocks)
    }

    /// Reads the lines that `spans` touch from a file opened again by `reopen`, in one pass
    /// that holds only those lines (and of each at most [`MAX_READ_LINE`] bytes). A file that
    /// cannot be read gives an empty excerpt: the diagnostics are still shown, without their
    /// snippets.
    fn of_file(reopen: &Reopen, spans: &[(usize, usize)]) -> Excerpt {
        use std::io::{BufRead, Read};
        let mut wanted = spans.to_vec();
        wanted.sort_unstable();
        let Ok(mut input) = reopen() else { return Excerpt::default() };
        let (mut offset, mut number, mut next) = (0usize, 0usize, 0usize);
        let mut blocks: Vec<Block> = Vec::new();
        let mut buf = Vec::new();
        while next < wanted.len() {
            buf.clear();
            let Ok(n) = input.by_ref().take(MAX_READ_LINE as u64).read_until(b'\n', &mut buf) else { break };
            if n == 0 {
                break;
            }
            let mut end = offset + n;
            if buf.last() == Some(&b'\n') {
                buf.pop();
            } else if n == MAX_READ_LINE {
                let Ok(rest) = skip_line(&mut input) else { break };
                end += rest;
            }
            // Spans that end before this line are done; the others that start on it are shown.
            while next < wanted.len() && wanted[next].1.max(wanted[next].0) < offset {
                next += 1;
            }
            let text = String::from_utf8_lossy(&buf);
            let line = Line { offset, number, text: &text };
            for &(s, e) in wanted[next..].iter().take_while(|w| w.0 < end.max(offset + 1)) {
                if e.max(s) >= offset {
                    blocks.push(line.block(s, e));
                }
            }
            offset = end;
            number += 1;
        }
        Excerpt::joined(blocks)
    }
}

/// Skips to the end of the current line; returns the bytes skipped.
fn skip_line(input: &mut impl std::io::BufRead) -> std::io::Result<usize> {
    let mut skipped = 0;
    loop {
        let chunk = input.fill_buf()?;
        if chunk.is_empty() {
            return Ok(skipped);
        }
        let (n, ended) = match chunk.iter().position(|&b| b == b'\n') {
            Some(i) => (i + 1, true),
            None => (chunk.len(), false),
        };
        input.consume(n);
        skipped += n;
        if ended {
            return Ok(skipped);
        }
    }
}

/// One file's excerpt, named, as miette reads it. Columns count characters, as editors do
/// (miette counts bytes, which puts the column of anything after Chinese text far to the right).
struct Snippet {
    name: String,
    excerpt: Arc<Excerpt>,
}

impl SourceCode for Snippet {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        before: usize,
        after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let b = self.excerpt.block_shown(span.offset()).ok_or(MietteError::OutOfBounds)?;
        let start = span.offset() - b.vstart;
        let local = SourceSpan::new(start.into(), span.len().min(b.shown.len() - start));
        let c = b.shown.as_str().read_span(&local, before, after)?;
        // Columns count the characters of the text as written, not of its escapes.
        let offset = b.to_text(c.span().offset().min(b.shown.len()));
        let column = match b.text[..offset].rfind('\n') {
            Some(i) => b.text[i + 1..offset].chars().count(),
            // On the block's first line, which may start part-way into the line.
            None => b.first_column + b.text[..offset].chars().count(),
        };
        let global = SourceSpan::new((b.vstart + c.span().offset()).into(), c.span().len());
        Ok(Box::new(
            MietteSpanContents::new_named(
                self.name.clone(),
                c.data(),
                global,
                b.first_line + c.line(),
                column,
                c.line_count(),
            )
            .with_language("writ"),
        ))
    }
}

struct Rendered {
    d: Diagnostic,
    src: Option<Snippet>,
    related: Vec<Rendered>,
    /// Labels, clamped to the lines shown; none when the file's text is not at hand.
    labels: Vec<(usize, usize, String)>,
    /// A note pointing at a related place, rendered as advice.
    note: bool,
}

impl fmt::Debug for Rendered {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.d.message)
    }
}

impl fmt::Display for Rendered {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.d.message)
    }
}

impl std::error::Error for Rendered {}

impl miette::Diagnostic for Rendered {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        if self.d.code.is_empty() { None } else { Some(Box::new(self.d.code)) }
    }
    fn severity(&self) -> Option<miette::Severity> {
        if self.note {
            return Some(miette::Severity::Advice);
        }
        Some(match self.d.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        })
    }
    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.d.help.as_ref().map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }
    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.src.as_ref().map(|s| s as &dyn SourceCode)
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        Some(Box::new(self.labels.iter().enumerate().map(|(i, (s, e, m))| {
            let msg = if m.is_empty() { None } else { Some(m.clone()) };
            if i == 0 {
                LabeledSpan::new_primary_with_span(msg, (*s, e - s))
            } else {
                LabeledSpan::new_with_span(msg, (*s, e - s))
            }
        })))
    }
    fn related<'a>(&'a self) -> Option<Box<dyn Iterator<Item = &'a dyn miette::Diagnostic> + 'a>> {
        if self.related.is_empty() {
            None
        } else {
            Some(Box::new(self.related.iter().map(|r| r as &dyn miette::Diagnostic)))
        }
    }
}

fn floor(text: &str, i: usize) -> usize {
    crate::diagnostic::floor_char_boundary(text, i)
}

/// The excerpts of the files that diagnostics point into, cut once for all of them, so a
/// large file is read or scanned once however many diagnostics it has.
type Excerpts = HashMap<Arc<str>, Arc<Excerpt>>;

fn excerpts(diags: &[Diagnostic], sources: &Sources) -> Excerpts {
    let mut spans: HashMap<&Arc<str>, Vec<(usize, usize)>> = HashMap::new();
    for d in diags {
        for l in &d.labels {
            let file = l.file.as_ref().unwrap_or(&d.file);
            spans.entry(file).or_default().push((l.span.start as usize, l.span.end as usize));
        }
    }
    spans
        .into_iter()
        .filter_map(|(file, spans)| {
            let excerpt = match sources.files.get(file)? {
                Source::Text(text) => Excerpt::of_text(text, &spans),
                Source::Utf8(text) => Excerpt::of_text(text.text(), &spans),
                Source::File(reopen) => Excerpt::of_file(reopen, &spans),
            };
            Some((file.clone(), Arc::new(excerpt)))
        })
        .collect()
}

fn build(d: &Diagnostic, excerpts: &Excerpts) -> Rendered {
    let excerpt = excerpts.get(&d.file);
    let mut labels = Vec::new();
    let mut related = Vec::new();
    let primary = d.labels.first().map(|l| l.span.start).unwrap_or(0);
    let line_of = |at: u32| excerpt.and_then(|x| x.line_of(at as usize)).unwrap_or(0);
    for (i, l) in d.labels.iter().enumerate() {
        // A secondary label on an earlier line would put its location in the snippet header;
        // show it as a note after the primary snippet instead, so the header names the error.
        let earlier = i > 0 && l.file.is_none() && line_of(l.span.start) < line_of(primary);
        let file = if earlier { Some(d.file.clone()) } else { l.file.clone() };
        match &file {
            None => {
                // Clamped to the block shown, on character boundaries.
                if let Some(b) = excerpt.and_then(|x| x.block(l.span.start as usize)) {
                    let s = floor(&b.text, l.span.start as usize - b.offset);
                    let e = floor(&b.text, (l.span.end as usize).saturating_sub(b.offset).clamp(s, b.text.len()));
                    let (s, e) = (b.vstart + b.to_shown(s), b.vstart + b.to_shown(e));
                    labels.push((s, e.max(s), shown(&l.message).into_owned()));
                }
            }
            Some(other) => {
                // A label in another file becomes a related note with that file's snippet.
                let note = Diagnostic {
                    code: "",
                    severity: Severity::Warning,
                    message: if l.message.is_empty() { "see here".into() } else { l.message.clone() },
                    file: other.clone(),
                    labels: vec![crate::diagnostic::Label { span: l.span, message: String::new(), file: None }],
                    help: None,
                };
                let mut r = build(&note, excerpts);
                r.note = true;
                related.push(r);
            }
        }
    }
    let src = excerpt.map(|x| Snippet { name: shown(&d.file).into_owned(), excerpt: x.clone() });
    // Messages and help quote values from policies and facts: none reaches the terminal raw.
    let mut d = d.clone();
    d.message = shown(&d.message).into_owned();
    d.help = d.help.map(|h| shown(&h).into_owned());
    Rendered { d, src, related, labels, note: false }
}

/// The 1-based line and column (in characters) of each diagnostic's primary label, when its
/// file's text is at hand; `None` for a workbook (whose diagnostics name the cell) or the
/// command line. A streamed file is read once for all of its diagnostics, as for rendering.
pub fn locations(diags: &[Diagnostic], sources: &Sources) -> Vec<Option<(usize, usize)>> {
    let excerpts = excerpts(diags, sources);
    diags
        .iter()
        .map(|d| {
            let at = d.primary_span().start as usize;
            let b = excerpts.get(&d.file)?.block(at)?;
            let before = &b.text[..floor(&b.text, at - b.offset)];
            Some(match before.rfind('\n') {
                Some(i) => (b.first_line + before.matches('\n').count() + 1, before[i + 1..].chars().count() + 1),
                None => (b.first_line + 1, b.first_column + before.chars().count() + 1),
            })
        })
        .collect()
}

/// Renders diagnostics for a terminal (`color`) or for snapshots (no colour, fixed width).
pub fn render_diagnostics(diags: &[Diagnostic], sources: &Sources, color: bool, width: usize) -> String {
    let theme = if color { GraphicalTheme::unicode() } else { GraphicalTheme::unicode_nocolor() };
    let handler = GraphicalReportHandler::new_themed(theme).with_width(width).with_links(false);
    let excerpts = excerpts(diags, sources);
    let mut out = String::new();
    for d in diags {
        let r = build(d, &excerpts);
        // miette shows file:line:col in the snippet header; with no snippet to show (a file
        // whose text is not at hand, a workbook, the command line), say the file on the
        // first line, so that a grep or an editor can still find it.
        if r.labels.is_empty() {
            out.push_str(&format!("{}: {}\n", shown(&d.file), shown(&d.message)));
        }
        let _ = handler.render_report(&mut out, &r);
        out.push('\n');
    }
    out
}
