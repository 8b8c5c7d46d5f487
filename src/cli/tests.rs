//! `writ test`: the `test` blocks of a package run by [`crate::testing`], and printed.

use super::*;
use crate::testing::{Problem, TestRun};

/// Runs the `test` blocks of a checked model. Returns (passed, failures as text).
pub fn run_tests(model: &Model) -> (usize, Vec<String>) {
    let runs = crate::testing::run(model);
    let passed = runs.iter().filter(|r| r.passed()).count();
    (passed, runs.iter().filter(|r| !r.passed()).map(failure).collect())
}

/// A failed test as `writ test` prints it: the block, then a line per problem.
fn failure(r: &TestRun) -> String {
    let problems: Vec<String> = r.problems.iter().map(|p| format!("  {}", shown(&problem(p)))).collect();
    format!("FAIL {} (as of {}) in {}\n{}", shown(&r.name), r.as_of, shown(&r.file), problems.join("\n"))
}

fn problem(p: &Problem) -> String {
    match p {
        Problem::Facts(message) => format!("facts: {message}"),
        Problem::NoVerdict { expect, status } => format!("expected {expect} {}, found no such verdict", status.name()),
        Problem::WrongStatus { id, expected, found, reason, evidence } => {
            let why = reason.as_deref().map(|r| format!(" ({r})")).unwrap_or_default();
            let ev = if evidence.is_empty() { String::new() } else { format!("; {}", evidence.join("; ")) };
            format!("{id}: expected {}, found {}{why}{ev}", expected.name(), found.name())
        }
    }
}

/// `writ test DIR`.
pub fn test(dir: &Path, style: Style) -> Outcome {
    let (_, checked) = match checked_package(dir, style) {
        Ok(c) => c,
        Err(out) => return out,
    };
    let (passed, failures) = run_tests(&checked.model);
    let mut stdout = String::new();
    for f in &failures {
        stdout.push_str(f);
        stdout.push('\n');
    }
    stdout.push_str(&format!("{passed} passed, {} failed\n", failures.len()));
    let stdout = escape(&stdout, Keep::Layout).into_owned();
    let code = if failures.is_empty() { EXIT_OK } else { EXIT_BREACH };
    Outcome { stdout, stderr: String::new(), code, diagnostics: Vec::new() }
}

/// The statuses a report contains, for `--format json` consumers and tests.
pub fn statuses(report: &Report) -> Vec<Status> {
    let mut s: Vec<Status> = report.verdicts.iter().map(|v| v.status).collect();
    s.sort();
    s.dedup();
    s
}
