//! Diagnostics rendered with miette, for policy and fact files alike.

use crate::diagnostic::{Diagnostic, Severity};
use miette::{
    GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteError, MietteSpanContents, SourceCode, SourceSpan,
    SpanContents,
};
use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

/// The texts of the files diagnostics point into, by path.
#[derive(Default)]
pub struct Sources {
    files: HashMap<Arc<str>, Arc<str>>,
}

impl Sources {
    pub fn add(&mut self, path: &Arc<str>, text: &Arc<str>) {
        self.files.insert(path.clone(), text.clone());
    }
    pub fn get(&self, path: &str) -> Option<&Arc<str>> {
        self.files.get(path)
    }
}

/// A named source whose columns count characters, as editors do. (miette counts bytes, which
/// puts the column of anything after Chinese text far to the right.)
struct CharSource {
    name: String,
    text: String,
}

impl SourceCode for CharSource {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        before: usize,
        after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let c = self.text.as_str().read_span(span, before, after)?;
        let offset = c.span().offset().min(self.text.len());
        let offset = crate::diagnostic::floor_char_boundary(&self.text, offset);
        let line_start = self.text[..offset].rfind('\n').map(|i| i + 1).unwrap_or(0);
        let column = self.text[line_start..offset].chars().count();
        Ok(Box::new(
            MietteSpanContents::new_named(self.name.clone(), c.data(), *c.span(), c.line(), column, c.line_count())
                .with_language("writ"),
        ))
    }
}

struct Rendered {
    d: Diagnostic,
    src: CharSource,
    related: Vec<Rendered>,
    /// Labels, clamped to the text.
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
        Some(&self.src)
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

fn clamp(text: &str, start: u32, end: u32) -> (usize, usize) {
    let s = crate::diagnostic::floor_char_boundary(text, start as usize);
    let e = crate::diagnostic::floor_char_boundary(text, (end as usize).max(s));
    (s, e)
}

fn build(d: &Diagnostic, sources: &Sources) -> Rendered {
    let text = sources.get(&d.file).map(|t| t.to_string()).unwrap_or_default();
    let mut labels = Vec::new();
    let mut related = Vec::new();
    let primary = d.labels.first().map(|l| l.span.start).unwrap_or(0);
    let line_of = |at: u32| text.get(..floor(&text, at as usize)).map(|t| t.matches('\n').count()).unwrap_or(0);
    for (i, l) in d.labels.iter().enumerate() {
        // A secondary label on an earlier line would put its location in the snippet header;
        // show it as a note after the primary snippet instead, so the header names the error.
        let earlier = i > 0 && l.file.is_none() && line_of(l.span.start) < line_of(primary);
        let file = if earlier { Some(d.file.clone()) } else { l.file.clone() };
        match &file {
            None => {
                let (s, e) = clamp(&text, l.span.start, l.span.end);
                labels.push((s, e, l.message.clone()));
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
                let mut r = build(&note, sources);
                r.note = true;
                related.push(r);
            }
        }
    }
    Rendered { d: d.clone(), src: CharSource { name: d.file.to_string(), text }, related, labels, note: false }
}

/// Renders diagnostics for a terminal (`color`) or for snapshots (no colour, fixed width).
pub fn render_diagnostics(diags: &[Diagnostic], sources: &Sources, color: bool, width: usize) -> String {
    let theme = if color { GraphicalTheme::unicode() } else { GraphicalTheme::unicode_nocolor() };
    let handler = GraphicalReportHandler::new_themed(theme).with_width(width).with_links(false);
    let mut out = String::new();
    for d in diags {
        let r = build(d, sources);
        // miette shows file:line:col in the snippet header; say it on the first line too, so
        // that a grep or an editor can jump there even when the source is unavailable.
        if sources.get(&d.file).is_none() {
            out.push_str(&format!("{}: {}\n", d.file, d.message));
        }
        let _ = handler.render_report(&mut out, &r);
        out.push('\n');
    }
    out
}
