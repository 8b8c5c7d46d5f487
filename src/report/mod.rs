//! Verdicts and diagnostics → text a person reads, or JSON a program reads.

mod agenda;
mod diagnostics;
mod human;

pub use agenda::Agenda;
pub use diagnostics::{Sources, locations, render_diagnostics};
pub use human::{explain, human};

use crate::diagnostic::{Diagnostic, Severity};
use crate::eval::Report;
use serde::Serialize;

/// The report as JSON: `{ "plan", "as_of", "summary", "verdicts": [...] }`.
pub fn json(report: &Report) -> String {
    crate::text::json_escaped(serde_json::to_string_pretty(report).expect("a report always serialises"))
}

/// A diagnostic as `--format json` gives it: where it is as a line and column rather than
/// byte offsets, so that a program reading the JSON needs no file to make sense of it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct JsonDiagnostic {
    pub code: &'static str,
    pub severity: Severity,
    pub message: String,
    pub file: String,
    /// 1-based; `null` where there is no text to count in (a workbook, whose diagnostics name
    /// the cell in their message, or the command line).
    pub line: Option<usize>,
    /// 1-based, in characters.
    pub column: Option<usize>,
    pub help: Option<String>,
}

impl JsonDiagnostic {
    /// The diagnostics with their places, found in `sources`.
    pub fn all(diags: &[Diagnostic], sources: &Sources) -> Vec<JsonDiagnostic> {
        let places = locations(diags, sources);
        diags
            .iter()
            .zip(places)
            .map(|(d, at)| JsonDiagnostic {
                code: d.code,
                severity: d.severity,
                message: d.message.clone(),
                file: d.file.to_string(),
                line: at.map(|a| a.0),
                column: at.map(|a| a.1),
                help: d.help.clone(),
            })
            .collect()
    }
}

/// Whether the input was read whole, for a program that reads the JSON and not the exit code.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct InputSummary {
    /// No fact diagnostic is an error and no record was rejected: every verdict rests on all
    /// the input given.
    pub complete: bool,
    /// Some records were never read at all (a file that does not parse, a sheet or kind the
    /// policy does not declare): they are in no count of `summary.records`.
    pub unread: bool,
    /// Records read and rejected, over all kinds (each kind's are in `summary.records`).
    pub rejected: usize,
    /// Records kept with a field that could not be read, over all kinds: what needs that
    /// field is `unknown`.
    pub unreadable_fields: usize,
    pub errors: usize,
    pub warnings: usize,
}

/// A JSON document of a command that read facts (`eval`, `agenda`, `explain`): its own
/// members, then what the input lost and every diagnostic.
#[derive(Serialize)]
struct WithInput<'a, T: Serialize> {
    /// The document's own members come first, as they are; new ones appear without change here.
    #[serde(flatten)]
    body: &'a T,
    input: &'a InputSummary,
    diagnostics: &'a [JsonDiagnostic],
}

/// The report as JSON with the input's accounting and diagnostics:
/// `{ "plan", "as_of", "summary", "verdicts": [...], "input": {...}, "diagnostics": [...] }`.
pub fn json_with(report: &Report, input: &InputSummary, diagnostics: &[JsonDiagnostic]) -> String {
    json_with_input(report, input, diagnostics)
}

/// Any document of a command that read facts, with `input` and `diagnostics` added after its
/// own members.
pub fn json_with_input<T: Serialize>(body: &T, input: &InputSummary, diagnostics: &[JsonDiagnostic]) -> String {
    crate::text::json_escaped(
        serde_json::to_string_pretty(&WithInput { body, input, diagnostics }).expect("a document always serialises"),
    )
}

/// `writ eval --format json` when the input could not be evaluated at all (a policy with
/// errors, a fact path that cannot be read): no verdicts, the input marked unread, and the
/// diagnostics that say why.
pub fn json_failed(as_of: crate::value::Date, diagnostics: &[JsonDiagnostic]) -> String {
    let errors = diagnostics.iter().filter(|d| d.severity == Severity::Error).count();
    let input = InputSummary {
        complete: false,
        unread: true,
        rejected: 0,
        unreadable_fields: 0,
        errors,
        warnings: diagnostics.len() - errors,
    };
    let doc = serde_json::json!({
        "as_of": as_of.to_string(),
        "verdicts": [],
        "input": input,
        "diagnostics": diagnostics,
    });
    crate::text::json_escaped(serde_json::to_string_pretty(&doc).expect("a failure always serialises"))
}
