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
    test_with(dir, style, TestOptions::default())
}

/// What `writ test` adds to its pass/fail lines.
#[derive(Clone, Copy, Debug, Default)]
pub struct TestOptions<'a> {
    /// `--coverage`: the share of clauses and requirements the tests reach, and those they do
    /// not ([`crate::testing::coverage`]).
    pub coverage: bool,
    /// `--junit FILE`: the results written there as JUnit XML.
    pub junit: Option<&'a Path>,
}

/// `writ test DIR [--coverage] [--junit FILE]`.
pub fn test_with(dir: &Path, style: Style, options: TestOptions) -> Outcome {
    let (_, checked) = match checked_package(dir, style) {
        Ok(c) => c,
        Err(out) => return out,
    };
    let runs = crate::testing::run(&checked.model);
    let passed = runs.iter().filter(|r| r.passed()).count();
    let failures: Vec<String> = runs.iter().filter(|r| !r.passed()).map(failure).collect();
    let mut stdout = String::new();
    for f in &failures {
        stdout.push_str(f);
        stdout.push('\n');
    }
    stdout.push_str(&format!("{passed} passed, {} failed\n", failures.len()));
    if options.coverage {
        let cov = crate::testing::coverage(&checked.model, &runs);
        stdout.push_str(&format!(
            "coverage: {} of {} requirements reached by a test's `expect` ({:.1}%), {} of {} clauses ({:.1}%)\n",
            cov.requirements_reached,
            cov.requirements,
            cov.percent(),
            cov.clauses_reached,
            cov.clauses,
            cov.clause_percent()
        ));
        if !cov.unreached.is_empty() {
            stdout.push_str("not reached:\n");
        }
        for u in &cov.unreached {
            let whole = if u.clause_unreached { " (no requirement of the clause is reached)" } else { "" };
            stdout.push_str(&format!("  {}/{}: {}{whole}\n", u.clause, u.requirement, u.text));
        }
    }
    let stdout = escape(&stdout, Keep::Layout).into_owned();
    let code = if failures.is_empty() { EXIT_OK } else { EXIT_BREACH };
    if let Some(path) = options.junit {
        let xml = junit(&checked.model.plan.name, &runs);
        if let Err(e) = std::fs::write(path, xml) {
            let file: Arc<str> = Arc::from(path.display().to_string());
            let d = Diagnostic::error(
                "io-error",
                &file,
                Span::default(),
                format!("cannot write `{}`: {e}", path.display()),
            )
            .with_help("give `--junit` a path in a folder that exists and can be written");
            let mut out = fail(vec![d], &Sources::default(), style);
            out.stdout = stdout;
            return out;
        }
    }
    Outcome { stdout, stderr: String::new(), code, diagnostics: Vec::new() }
}

/// The runs of a package's tests as JUnit XML: one `testsuite` for the package (named after
/// its plan), one `testcase` per `test` block in package order (its `classname` the file that
/// holds it), and for a failed one a `failure` whose message is its first problem and whose
/// text lists them all. Nothing varies from run to run (no times, no host names), so the file
/// is the same whenever the results are.
pub fn junit(plan: &str, runs: &[TestRun]) -> String {
    let failures = runs.iter().filter(|r| !r.passed()).count();
    let mut x = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    x.push_str(&format!("<testsuites tests=\"{}\" failures=\"{failures}\" errors=\"0\">\n", runs.len()));
    x.push_str(&format!(
        "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failures}\" errors=\"0\" skipped=\"0\">\n",
        xml_text(plan),
        runs.len()
    ));
    for r in runs {
        let name = xml_text(&format!("{} (as of {})", r.name, r.as_of));
        let class = xml_text(&r.file);
        if r.passed() {
            x.push_str(&format!("    <testcase name=\"{name}\" classname=\"{class}\"/>\n"));
            continue;
        }
        let problems: Vec<String> = r.problems.iter().map(problem).collect();
        x.push_str(&format!("    <testcase name=\"{name}\" classname=\"{class}\">\n"));
        x.push_str(&format!(
            "      <failure message=\"{}\" type=\"{}\">{}</failure>\n",
            xml_text(&problems[0]),
            if problems.len() == 1 { "1 problem".to_string() } else { format!("{} problems", problems.len()) },
            xml_text(&problems.join("\n"))
        ));
        x.push_str("    </testcase>\n");
    }
    x.push_str("  </testsuite>\n</testsuites>\n");
    x
}

/// Text as it may stand in XML, in an attribute or between tags: the characters
/// [`crate::text::escape`] escapes written as its visible escapes (XML 1.0 cannot hold most
/// control characters at all, even as references), then `&`, `<`, `>`, `"` and `'` as entities
/// and line breaks and tabs as character references, so an attribute keeps them.
fn xml_text(text: &str) -> String {
    let visible = escape(text, Keep::Layout);
    let mut out = String::with_capacity(visible.len());
    for c in visible.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' => out.push_str("&#10;"),
            '\t' => out.push_str("&#9;"),
            '\r' => out.push_str("&#13;"),
            c => out.push(c),
        }
    }
    out
}

/// The statuses a report contains, for `--format json` consumers and tests.
pub fn statuses(report: &Report) -> Vec<Status> {
    let mut s: Vec<Status> = report.verdicts.iter().map(|v| v.status).collect();
    s.sort();
    s.dedup();
    s
}
