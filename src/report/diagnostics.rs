//! Diagnostics rendered with miette, for policy and fact files alike.

use crate::diagnostic::{Diagnostic, Severity, line_col};
use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource, SourceCode};
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

struct Rendered {
    d: Diagnostic,
    src: NamedSource<String>,
    related: Vec<Rendered>,
    /// Labels, clamped to the text.
    labels: Vec<(usize, usize, String)>,
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
            if i == 0 { LabeledSpan::new_primary_with_span(msg, (*s, e - s)) } else { LabeledSpan::new_with_span(msg, (*s, e - s)) }
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

fn clamp(text: &str, start: u32, end: u32) -> (usize, usize) {
    let s = crate::diagnostic::floor_char_boundary(text, start as usize);
    let e = crate::diagnostic::floor_char_boundary(text, (end as usize).max(s));
    (s, e)
}

fn build(d: &Diagnostic, sources: &Sources) -> Rendered {
    let text = sources.get(&d.file).map(|t| t.to_string()).unwrap_or_default();
    let mut labels = Vec::new();
    let mut related = Vec::new();
    for l in &d.labels {
        match &l.file {
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
                r.d.severity = Severity::Warning;
                related.push(r);
            }
        }
    }
    Rendered { d: d.clone(), src: NamedSource::new(d.file.to_string(), text).with_language("writ"), related, labels }
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

/// `file:line:col` of a diagnostic's primary label.
pub fn location(d: &Diagnostic, sources: &Sources) -> String {
    match sources.get(&d.file) {
        Some(t) => {
            let (l, c) = line_col(t, d.primary_span().start as usize);
            format!("{}:{l}:{c}", d.file)
        }
        None => d.file.to_string(),
    }
}
