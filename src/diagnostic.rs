//! The one diagnostic type of writ, for policy and fact files alike.
//!
//! A [`Diagnostic`] is plain data: it holds no source text, only the path of the file it
//! points into and byte spans. Rendering (miette, JSON) happens at the edge, in `report`.

use serde::Serialize;
use std::sync::Arc;

/// A byte range in one file. Tiny and `Copy`; the file is carried separately.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Span {
    pub start: u32,
    pub end: u32,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Span {
        Span { start: start as u32, end: end as u32 }
    }
    pub fn len(self) -> usize {
        (self.end - self.start) as usize
    }
    pub fn is_empty(self) -> bool {
        self.end == self.start
    }
    /// The smallest span covering both.
    pub fn to(self, other: Span) -> Span {
        Span { start: self.start.min(other.start), end: self.end.max(other.end) }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// A labelled span; the first label of a diagnostic is the primary one.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Label {
    pub span: Span,
    pub message: String,
    /// The file this label points into, when it is not the diagnostic's own file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<Arc<str>>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Diagnostic {
    /// Stable kebab-case code, part of the CLI contract (see `docs/diagnostics.md`).
    pub code: &'static str,
    pub severity: Severity,
    /// One line, lowercase, no final period; user input in backticks.
    pub message: String,
    /// The path of the file the primary label points into (as given by the user).
    pub file: Arc<str>,
    pub labels: Vec<Label>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
}

impl Diagnostic {
    pub fn error(code: &'static str, file: &Arc<str>, span: Span, message: impl Into<String>) -> Self {
        Diagnostic {
            code,
            severity: Severity::Error,
            message: message.into(),
            file: file.clone(),
            labels: vec![Label { span, message: String::new(), file: None }],
            help: None,
        }
    }
    pub fn warning(code: &'static str, file: &Arc<str>, span: Span, message: impl Into<String>) -> Self {
        Diagnostic { severity: Severity::Warning, ..Diagnostic::error(code, file, span, message) }
    }
    /// Sets the message of the primary label.
    pub fn with_label(mut self, message: impl Into<String>) -> Self {
        self.labels[0].message = message.into();
        self
    }
    /// Adds a secondary label in the same file.
    pub fn with_secondary(mut self, span: Span, message: impl Into<String>) -> Self {
        self.labels.push(Label { span, message: message.into(), file: None });
        self
    }
    /// Adds a secondary label in another file.
    pub fn with_secondary_in(mut self, file: &Arc<str>, span: Span, message: impl Into<String>) -> Self {
        let file = if **file == *self.file { None } else { Some(file.clone()) };
        self.labels.push(Label { span, message: message.into(), file });
        self
    }
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
    pub fn primary_span(&self) -> Span {
        self.labels.first().map(|l| l.span).unwrap_or_default()
    }
}

/// 1-based line and column (in characters) of a byte offset.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text[..floor_char_boundary(text, offset)];
    let line = before.bytes().filter(|&b| b == b'\n').count() + 1;
    let line_start = before.rfind('\n').map(|i| i + 1).unwrap_or(0);
    let col = before[line_start..].chars().count() + 1;
    (line, col)
}

/// The largest char boundary at or below `i`.
pub fn floor_char_boundary(text: &str, mut i: usize) -> usize {
    if i >= text.len() {
        return text.len();
    }
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}
