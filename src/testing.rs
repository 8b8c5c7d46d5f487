//! The `test` blocks of a package, each evaluated over its own facts, as data: which passed,
//! and for each that failed, what was expected and what was found. `writ test` prints it;
//! anything else (a test report for CI) can be made from the same results.

use crate::eval::{self, Status};
use crate::facts::{self, Cell, FileFacts, RawRow};
use crate::model::{ExpectDef, Model, TestDef, TestValue};
use crate::value::Date;
use std::sync::Arc;

/// One `test` block, run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TestRun {
    pub name: String,
    pub as_of: Date,
    /// The policy file that holds the block.
    pub file: Arc<str>,
    /// Why it failed; empty when it passed.
    pub problems: Vec<Problem>,
}

impl TestRun {
    pub fn passed(&self) -> bool {
        self.problems.is_empty()
    }
}

/// One way a test failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Problem {
    /// A fact of the block could not be used as written (the diagnostic's message).
    Facts(String),
    /// An `expect` that no verdict answers.
    NoVerdict { expect: String, status: Status },
    /// A verdict with another status than the one expected, with its reason and what it
    /// compared (`left = value op value`, and the values it computed).
    WrongStatus { id: String, expected: Status, found: Status, reason: Option<String>, evidence: Vec<String> },
}

/// The facts of a `test` block, linked as if read from a file.
pub fn test_facts(model: &Model, test: &TestDef, file: &Arc<str>) -> facts::Facts {
    let schema = facts::Schema::of(model);
    let rows = test.facts.iter().enumerate().map(|(n, f)| {
        let mut values: Vec<Option<Cell>> = f
            .values
            .iter()
            .map(|v| {
                v.as_ref().map(|v| match v {
                    TestValue::Value(v) => Cell::Value(v.clone()),
                    TestValue::RefKey(k, span) => Cell::UnresolvedRef { key: k.clone(), span: *span },
                })
            })
            .collect();
        // A record without a key is known by where it was written: here, which fact of the
        // test it is (`fact 2`).
        let rec = &model.records[f.kind as usize];
        if rec.keyless
            && let Some(key) = values.get_mut(rec.key)
        {
            *key = Some(Cell::Value(crate::value::Value::Text(format!("fact {}", n + 1).into())));
        }
        RawRow { kind: f.kind, line: 0, span: f.span, key_span: f.span, values }
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

/// Runs every `test` block of a checked model, in order.
pub fn run(model: &Model) -> Vec<TestRun> {
    model.tests.iter().map(|t| run_one(model, t)).collect()
}

/// Runs one `test` block: its facts linked, the package evaluated as of its date, and each
/// `expect` held against the verdicts it names (every verdict of the clause, or of the subject
/// keys and requirement label given).
pub fn run_one(model: &Model, t: &TestDef) -> TestRun {
    let facts = test_facts(model, t, &t.origin.file);
    let mut problems: Vec<Problem> = facts.diagnostics.iter().map(|d| Problem::Facts(d.message.clone())).collect();
    let derived = eval::derive(model, &facts, t.as_of, 1);
    let facts = derived.unwrap_or(facts);
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
        if matching.is_empty() {
            problems.push(Problem::NoVerdict { expect: expect_text(x), status: x.status });
            continue;
        }
        for v in matching.into_iter().filter(|v| v.status != x.status) {
            let mut evidence: Vec<String> = v
                .evidence
                .iter()
                .map(|e| format!("{} = {} {} {}", e.left, e.left_value, e.op, e.right_value))
                .collect();
            evidence.extend(v.computed.iter().map(|c| format!("{} = {}", c.expr, c.value)));
            problems.push(Problem::WrongStatus {
                id: v.id.clone(),
                expected: x.status,
                found: v.status,
                reason: v.reason.clone(),
                evidence,
            });
        }
    }
    TestRun { name: t.name.clone(), as_of: t.as_of, file: t.origin.file.clone(), problems }
}

/// An `expect` as written: `clause["key", …].label`.
pub fn expect_text(x: &ExpectDef) -> String {
    let mut s = x.clause.clone();
    if let Some(k) = &x.keys {
        s.push_str(&format!("[{}]", k.iter().map(|k| format!("\"{k}\"")).collect::<Vec<_>>().join(", ")));
    }
    if let Some(r) = &x.requirement {
        s.push('.');
        s.push_str(r);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_test_says_what_was_expected_and_what_was_found() {
        let text = "plan p \"t\" { period 2019-01-01 .. 2019-12-31 roles lead \"牽頭\" }\nparty 甲局\n\
            record 爐 key 編號 { 編號: text 顆粒物: mg/m3 }\n\
            clause c \"t\" { cite \"1\" \"x\" lead 甲局 for k in 爐 { must k.顆粒物 <= 30 mg/m3 } }\n\
            test \"fails\" { as_of 2019-06-01 fact 爐 { 編號: \"a\", 顆粒物: 31 mg/m3 } \
              expect c[\"a\"] satisfied expect c[\"b\"] violated }\n\
            test \"passes\" { as_of 2019-06-01 fact 爐 { 編號: \"a\", 顆粒物: 30 mg/m3 } expect c[\"a\"] satisfied }\n";
        let file: Arc<str> = Arc::from("p.writ");
        let (module, errors) = crate::syntax::parse(&file, text);
        assert!(errors.is_empty(), "{errors:?}");
        let (model, diags) = crate::model::check(&[(file.clone(), &module)], false);
        assert!(diags.iter().all(|d| !d.is_error()), "{diags:?}");
        let runs = run(&model);
        assert_eq!(
            runs.iter().map(|r| (r.name.as_str(), r.passed())).collect::<Vec<_>>(),
            [("fails", false), ("passes", true)]
        );
        assert_eq!(
            runs[0].problems,
            [
                Problem::WrongStatus {
                    id: "c/a/1".into(),
                    expected: Status::Satisfied,
                    found: Status::Violated,
                    reason: None,
                    evidence: vec!["爐[a].顆粒物 = 31 mg/m3 <= 30 mg/m3".into()],
                },
                Problem::NoVerdict { expect: "c[\"b\"]".into(), status: Status::Violated },
            ]
        );
        assert_eq!(runs[0].file, file);
    }
}
