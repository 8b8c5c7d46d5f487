//! The commands, as functions from arguments to output text and an exit code: `check` and
//! the shared pieces here, `writ eval`/`agenda`/`explain` in `evaluate.rs`, `writ test` in
//! `tests.rs`, `writ coverage` in `coverage.rs`, `writ diff` in `diff.rs`, `writ report` in `documents.rs`, `writ fmt` in `fmt.rs`, `writ facts convert` in `convert.rs`, `writ sql` in `sql.rs`. Files are read in
//! `files.rs`; the other places that open a file are the database's `fact_file` query, for an NDJSON file it
//! streams, and the diagnostics that show lines of such a file.

mod convert;
mod coverage;
mod diff;
mod documents;
mod evaluate;
mod files;
mod fmt;
mod sql;
mod tests;

pub use convert::convert_facts;
pub use coverage::coverage;
pub use diff::{DiffInputs, diff};
pub use documents::{Documents, report};
pub use evaluate::{
    Evaluated, FactFiles, agenda, agenda_with, eval, eval_and_exit, eval_to, eval_with, evaluate, evaluate_through,
    explain, explain_in, parse_encoding, threads,
};
use files::{Walker, read_fact_file};
pub use files::{imports, load_package};
pub use fmt::{Keywords, fmt, fmt_text};
pub use sql::sql;
pub use tests::{TestOptions, junit, run_tests, statuses, test, test_with};

use crate::db::{self, Database, FactFile, FileRead, Package, SourceFile};
use crate::diagnostic::{Diagnostic, Span};
use crate::eval::{self, Report, Status};
use crate::facts::{self, FileFacts};
use crate::model::Model;
use crate::report::{self, Sources};
use crate::text::{Keep, escape, shown};
use crate::value::Date;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Exit codes: 0 clean, 1 breaches found, 2 invalid input.
pub const EXIT_OK: i32 = 0;

pub const EXIT_BREACH: i32 = 1;

pub const EXIT_INVALID: i32 = 2;

/// What a command printed, and its exit code.
pub struct Outcome {
    pub stdout: String,
    pub stderr: String,
    pub code: i32,
    /// The diagnostics of a command that stopped on invalid input, for `--format json`.
    pub diagnostics: Vec<report::JsonDiagnostic>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Human,
    Json,
}

/// Rendering options for diagnostics.
#[derive(Clone, Copy, Debug)]
pub struct Style {
    pub color: bool,
    pub width: usize,
    /// Whether reading a large streamed fact file shows its progress on stderr.
    pub progress: bool,
}

impl Default for Style {
    fn default() -> Self {
        Style { color: false, width: 100, progress: false }
    }
}

/// A loaded policy package in a database.
pub struct Loaded {
    pub db: Database,
    pub package: Package,
    pub sources: Sources,
    /// What loading warned of (a folder or file reached twice), shown with the checker's.
    pub warnings: Vec<Diagnostic>,
}

pub(super) fn render(diags: &[Diagnostic], sources: &Sources, style: Style) -> String {
    report::render_diagnostics(diags, sources, style.color, style.width)
}

pub(super) fn fail(diags: Vec<Diagnostic>, sources: &Sources, style: Style) -> Outcome {
    let diagnostics = report::JsonDiagnostic::all(&diags, sources);
    Outcome { stdout: String::new(), stderr: render(&diags, sources, style), code: EXIT_INVALID, diagnostics }
}

/// A package loaded and checked without errors, or the outcome that reports its errors.
pub(super) fn checked_package(dir: &Path, style: Style) -> Result<(Loaded, db::Checked), Outcome> {
    let loaded = load_package(dir).map_err(|d| fail(d, &Sources::default(), style))?;
    let checked = db::package_model(&loaded.db, loaded.package).clone();
    if checked.has_errors() {
        return Err(fail(checked.diagnostics, &loaded.sources, style));
    }
    Ok((loaded, checked))
}

/// `writ check DIR`.
pub fn check(dir: &Path, style: Style) -> Outcome {
    let loaded = match load_package(dir) {
        Ok(l) => l,
        Err(d) => return fail(d, &Sources::default(), style),
    };
    let checked = db::package_model(&loaded.db, loaded.package);
    let mut stderr = render(&loaded.warnings, &loaded.sources, style);
    stderr.push_str(&render(&checked.diagnostics, &loaded.sources, style));
    let errors = checked.diagnostics.iter().filter(|d| d.is_error()).count();
    let warnings = checked.diagnostics.len() - errors + loaded.warnings.len();
    let m = &checked.model;
    let requirements = m.requirement_count();
    let stdout = if errors == 0 && m.plan.name.is_empty() && m.clauses.is_empty() {
        // A library (a standard package): what it gives the packages that import it.
        format!(
            "{}: a library of {} files (no plan): {} rules, {} tables, {} enums, {} record kinds; {} warnings\n",
            dir.display(),
            loaded.package.files(&loaded.db).len(),
            m.rules.len(),
            m.tables.len(),
            m.enums.len(),
            m.records.len(),
            warnings
        )
    } else if errors == 0 {
        format!(
            "{}: {} files, {} clauses, {} requirements, {} parties, {} record kinds, {} sanctions, {} tests; {} warnings\n",
            shown(&m.plan.name),
            loaded.package.files(&loaded.db).len(),
            m.clauses.len(),
            requirements,
            m.parties.len(),
            m.records.len(),
            m.sanctions.len(),
            m.tests.len(),
            warnings
        )
    } else {
        format!("{errors} errors, {warnings} warnings\n")
    };
    Outcome { stdout, stderr, code: if errors > 0 { EXIT_INVALID } else { EXIT_OK }, diagnostics: Vec::new() }
}

/// Parses `YYYY-MM-DD`.
pub fn parse_date(s: &str) -> Result<Date, String> {
    Date::parse_iso(s).ok_or_else(|| format!("`{}` is not a date: write YYYY-MM-DD, e.g. 2019-10-15", shown(s)))
}
