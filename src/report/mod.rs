//! Verdicts and diagnostics → text a person reads, or JSON a program reads.

mod agenda;
mod diagnostics;
mod human;

pub use agenda::Agenda;
pub use diagnostics::{Sources, render_diagnostics};
pub use human::{explain, human};

use crate::eval::Report;

/// The report as JSON: `{ "plan", "as_of", "summary", "verdicts": [...] }`.
pub fn json(report: &Report) -> String {
    crate::text::json_escaped(serde_json::to_string_pretty(report).expect("a report always serialises"))
}
