//! `writ test`: the `test` blocks of a package, each evaluated over its own facts.

use super::*;

/// The facts of a `test` block, linked as if read from a file.
pub(super) fn test_facts(model: &Model, test: &crate::model::TestDef, file: &Arc<str>) -> facts::Facts {
    let schema = facts::Schema::of(model);
    let rows = test.facts.iter().map(|f| RawRow {
        kind: f.kind,
        line: 0,
        span: f.span,
        key_span: f.span,
        values: f
            .values
            .iter()
            .map(|v| {
                v.as_ref().map(|v| match v {
                    TestValue::Value(v) => Cell::Value(v.clone()),
                    TestValue::RefKey(k, span) => Cell::UnresolvedRef { key: k.clone(), span: *span },
                })
            })
            .collect(),
    });
    let ff = FileFacts {
        path: file.clone(),
        rows: facts::Rows::from_raw(&schema, rows),
        rejected: vec![],
        unkept: vec![],
        losses: vec![],
        diagnostics: vec![],
        sheets: vec![],
    };
    facts::link(&schema, &[ff])
}

/// Runs the `test` blocks of a checked model. Returns (passed, failures as text).
pub fn run_tests(model: &Model) -> (usize, Vec<String>) {
    let mut passed = 0;
    let mut failures = Vec::new();
    for t in &model.tests {
        let facts = test_facts(model, t, &t.origin.file);
        let mut problems = Vec::new();
        for d in &facts.diagnostics {
            problems.push(format!("  facts: {}", shown(&d.message)));
        }
        let report = eval::evaluate(model, &facts, t.as_of);
        for x in &t.expects {
            let matching: Vec<_> = (0..report.len())
                .filter(|&i| report.clause_name(i) == x.clause)
                .map(|i| report.verdict(i))
                .filter(|v| match &x.keys {
                    None => true,
                    Some(keys) => v.subject.len() >= keys.len() && v.subject.iter().zip(keys).all(|(s, k)| &s.key == k),
                })
                .filter(|v| match &x.requirement {
                    None => true,
                    Some(r) => v.id.rsplit('/').next() == Some(r.as_str()),
                })
                .collect();
            let what = expect_text(x);
            if matching.is_empty() {
                problems.push(format!("  expected {what} {}, found no such verdict", x.status.name()));
                continue;
            }
            for v in matching {
                if v.status != x.status {
                    let why = v.reason.as_deref().map(|r| format!(" ({})", shown(r))).unwrap_or_default();
                    let mut evidence: Vec<String> = v
                        .evidence
                        .iter()
                        .map(|e| {
                            format!("{} = {} {} {}", shown(&e.left), shown(&e.left_value), e.op, shown(&e.right_value))
                        })
                        .collect();
                    evidence.extend(v.computed.iter().map(|c| format!("{} = {}", shown(&c.expr), shown(&c.value))));
                    let ev = if evidence.is_empty() { String::new() } else { format!("; {}", evidence.join("; ")) };
                    problems.push(format!(
                        "  {}: expected {}, found {}{why}{ev}",
                        shown(&v.id),
                        x.status.name(),
                        v.status.name()
                    ));
                }
            }
        }
        if problems.is_empty() {
            passed += 1;
        } else {
            failures.push(format!(
                "FAIL {} (as of {}) in {}\n{}",
                shown(&t.name),
                t.as_of,
                shown(&t.origin.file),
                problems.join("\n")
            ));
        }
    }
    (passed, failures)
}

pub(super) fn expect_text(x: &crate::model::ExpectDef) -> String {
    let mut s = shown(&x.clause).into_owned();
    if let Some(k) = &x.keys {
        s.push_str(&format!("[{}]", k.iter().map(|k| format!("\"{}\"", shown(k))).collect::<Vec<_>>().join(", ")));
    }
    if let Some(r) = &x.requirement {
        s.push('.');
        s.push_str(&shown(r));
    }
    s
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
