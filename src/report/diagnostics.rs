//! Diagnostics rendered with miette, for policy and fact files alike.

use crate::diagnostic::{Diagnostic, Severity};
use miette::{
    GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteError, MietteSpanContents, SourceCode, SourceSpan,
    SpanContents,
};
use std::collections::HashMap;
use std::fmt;
use std::path::Path;
use std::sync::Arc;

/// The files diagnostics point into, by path: their text, or, for a file too large to hold
/// (a streamed NDJSON file), where to read the few lines that diagnostics show.
#[derive(Default)]
pub struct Sources {
    files: HashMap<Arc<str>, Source>,
}

enum Source {
    Text(Arc<str>),
    File(Arc<Path>),
}

impl Sources {
    pub fn add(&mut self, path: &Arc<str>, text: &Arc<str>) {
        self.files.insert(path.clone(), Source::Text(text.clone()));
    }
    /// A file whose lines are read from disk when a diagnostic shows them.
    pub fn add_file(&mut self, path: &Arc<str>, file: &Arc<Path>) {
        self.files.insert(path.clone(), Source::File(file.clone()));
    }
    /// The text of a file added with [`Sources::add`].
    pub fn get(&self, path: &str) -> Option<&Arc<str>> {
        match self.files.get(path)? {
            Source::Text(t) => Some(t),
            Source::File(_) => None,
        }
    }
}

/// Lines longer than this are cut in a snippet: a diagnostic needs the place, not a 100 MB line.
const MAX_SHOWN_LINE: usize = 64 * 1024;

/// A run of whole lines of a file, as shown in snippets.
#[derive(Debug)]
struct Block {
    /// The file offset of the block's first byte, always the start of a line.
    offset: usize,
    /// The 0-based line number of that line.
    first_line: usize,
    text: String,
}

/// The lines of one file that the diagnostics being rendered point into, with a line of
/// context around each for a text held in memory.
#[derive(Debug, Default)]
struct Excerpt {
    blocks: Vec<Block>,
}

impl Excerpt {
    /// The block holding file offset `at`.
    fn block(&self, at: usize) -> Option<&Block> {
        let i = self.blocks.partition_point(|b| b.offset <= at);
        let b = self.blocks.get(i.checked_sub(1)?)?;
        (at <= b.offset + b.text.len()).then_some(b)
    }

    /// The 0-based line of file offset `at`, when it is in the excerpt.
    fn line_of(&self, at: usize) -> Option<usize> {
        let b = self.block(at)?;
        let local = floor(&b.text, at - b.offset);
        Some(b.first_line + b.text[..local].matches('\n').count())
    }

    /// Cuts the lines of `text` that `spans` touch, one line of context on either side,
    /// counting lines in one pass over the text up to the last of them.
    fn of_text(text: &str, spans: &[(usize, usize)]) -> Excerpt {
        let mut ranges: Vec<(usize, usize)> = spans
            .iter()
            .map(|&(s, e)| {
                let s = floor(text, s.min(text.len()));
                let e = floor(text, e.min(text.len()).max(s));
                let start = text[..s].rfind('\n').map_or(0, |i| text[..i].rfind('\n').map_or(0, |j| j + 1));
                let end = text[e..]
                    .find('\n')
                    .map(|i| e + i + 1)
                    .map_or(text.len(), |after| text[after..].find('\n').map_or(text.len(), |i| after + i));
                (start, end)
            })
            .collect();
        ranges.sort_unstable();
        let mut merged: Vec<(usize, usize)> = Vec::new();
        for (s, e) in ranges {
            match merged.last_mut() {
                Some(last) if s <= last.1 + 1 => last.1 = last.1.max(e),
                _ => merged.push((s, e)),
            }
        }
        let (mut line, mut counted) = (0, 0);
        let blocks = merged
            .into_iter()
            .map(|(s, e)| {
                line += text[counted..s].matches('\n').count();
                counted = s;
                Block { offset: s, first_line: line, text: cut_long_lines(&text[s..e]) }
            })
            .collect();
        Excerpt { blocks }
    }

    /// Reads the lines that `spans` touch from the file at `path`, in one pass that holds only
    /// those lines. A file that cannot be read gives an empty excerpt: the diagnostics are
    /// still shown, without their snippets.
    fn of_file(path: &Path, spans: &[(usize, usize)]) -> Excerpt {
        use std::io::{BufRead, Read};
        let mut wanted = spans.to_vec();
        wanted.sort_unstable();
        let Ok(file) = std::fs::File::open(path) else { return Excerpt::default() };
        let mut input = std::io::BufReader::new(file);
        let (mut offset, mut line, mut next) = (0usize, 0usize, 0usize);
        let mut blocks: Vec<Block> = Vec::new();
        let mut buf = Vec::new();
        while next < wanted.len() {
            buf.clear();
            let Ok(n) = input.by_ref().take(MAX_SHOWN_LINE as u64).read_until(b'\n', &mut buf) else { break };
            if n == 0 {
                break;
            }
            let mut end = offset + n;
            if buf.last() != Some(&b'\n') {
                // A cut line: skip the rest of it.
                buf.push(b'\n');
                let Ok(rest) = skip_line(&mut input) else { break };
                end += rest;
            }
            // Spans that end before this line are done; is the first of the others on it?
            while next < wanted.len() && wanted[next].1.max(wanted[next].0) < offset {
                next += 1;
            }
            let touched = wanted[next..].iter().take_while(|w| w.0 < end).any(|w| w.1.max(w.0) >= offset);
            if touched {
                let text = String::from_utf8_lossy(&buf).into_owned();
                match blocks.last_mut() {
                    Some(b)
                        if b.offset + b.text.len() == offset && b.first_line + b.text.matches('\n').count() == line =>
                    {
                        b.text.push_str(&text)
                    }
                    _ => blocks.push(Block { offset, first_line: line, text }),
                }
            }
            offset = end;
            line += 1;
        }
        for b in &mut blocks {
            if b.text.ends_with('\n') {
                b.text.pop();
            }
        }
        Excerpt { blocks }
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

/// `text` with every line longer than [`MAX_SHOWN_LINE`] bytes cut there. Offsets past a cut
/// are then shown at the cut.
fn cut_long_lines(text: &str) -> String {
    if text.len() <= MAX_SHOWN_LINE {
        return text.to_string();
    }
    let mut out = String::new();
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out.push_str(&line[..floor(line, line.len().min(MAX_SHOWN_LINE))]);
    }
    out
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
        let b = self.excerpt.block(span.offset()).ok_or(MietteError::OutOfBounds)?;
        let start = span.offset() - b.offset;
        let local = SourceSpan::new(start.into(), span.len().min(b.text.len() - start));
        let c = b.text.as_str().read_span(&local, before, after)?;
        let offset = floor(&b.text, c.span().offset().min(b.text.len()));
        let line_start = b.text[..offset].rfind('\n').map(|i| i + 1).unwrap_or(0);
        let column = b.text[line_start..offset].chars().count();
        let global = SourceSpan::new((b.offset + c.span().offset()).into(), c.span().len());
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
                Source::File(path) => Excerpt::of_file(path, &spans),
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
                    labels.push((b.offset + s, b.offset + e, l.message.clone()));
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
    let src = excerpt.map(|x| Snippet { name: d.file.to_string(), excerpt: x.clone() });
    Rendered { d: d.clone(), src, related, labels, note: false }
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
            out.push_str(&format!("{}: {}\n", d.file, d.message));
        }
        let _ = handler.render_report(&mut out, &r);
        out.push('\n');
    }
    out
}
