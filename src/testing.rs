//! The `test` blocks of a package, each evaluated over its own facts, as data: which passed,
//! and for each that failed, what was expected and what was found. `writ test` prints it;
//! anything else (a test report for CI) can be made from the same results.

use crate::eval::{self, Status};
use crate::facts::{self, Cell, FileFacts, RawRow};
use crate::model::{ClauseId, ExpectDef, Model, TestDef, TestValue};
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
    /// The requirements its `expect`s reached, as (clause index, requirement position), each
    /// once, in the order they were reached (see [`TestCoverage`]).
    pub reached: Vec<(ClauseId, u32)>,
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
        let rec = &model.records[f.kind.index()];
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
    let mut reached: Vec<(ClauseId, u32)> = Vec::new();
    for x in &t.expects {
        let matching: Vec<_> = (0..report.len())
            .filter(|&i| report.clause_name(i) == x.clause)
            .map(|i| (i, report.verdict(i)))
            .filter(|(_, v)| match &x.keys {
                None => true,
                Some(keys) => v.subject.len() >= keys.len() && v.subject.iter().zip(keys).all(|(s, k)| &s.key == k),
            })
            .filter(|(_, v)| match &x.requirement {
                None => true,
                Some(r) => v.id.rsplit('/').next() == Some(r.as_str()),
            })
            .map(|(i, v)| {
                let at = (report.recs[i].clause, report.recs[i].req.index);
                if !reached.contains(&at) {
                    reached.push(at);
                }
                v
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
    TestRun { name: t.name.clone(), as_of: t.as_of, file: t.origin.file.clone(), problems, reached }
}

/// How much of a package its `test` blocks reach. A requirement is reached when an `expect`
/// of some test is answered by one of its verdicts (whatever the status found: a failing test
/// still reaches what it checks); a clause when one of its requirements is. Verdicts a test's
/// evaluation yields but no `expect` names do not count: any status would have passed, so
/// they test nothing.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct TestCoverage {
    pub clauses: usize,
    pub clauses_reached: usize,
    pub requirements: usize,
    pub requirements_reached: usize,
    /// The requirements no test reaches, in package order.
    pub unreached: Vec<Unreached>,
}

/// A requirement no test reaches.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Unreached {
    pub clause: String,
    /// The requirement's label, or its position in the clause: the end of its verdicts' ids.
    pub requirement: String,
    /// The requirement as written.
    pub text: String,
    /// Whether no requirement of its clause is reached either.
    pub clause_unreached: bool,
}

impl TestCoverage {
    /// The share of requirements reached, in percent; 100 for a package without any.
    pub fn percent(&self) -> f64 {
        percent(self.requirements_reached, self.requirements)
    }

    /// The share of clauses reached, in percent; 100 for a package without any.
    pub fn clause_percent(&self) -> f64 {
        percent(self.clauses_reached, self.clauses)
    }
}

fn percent(part: usize, whole: usize) -> f64 {
    if whole == 0 { 100.0 } else { part as f64 * 100.0 / whole as f64 }
}

/// The requirements of a clause, in the order they are written.
fn requirements<'m>(stmts: &'m [crate::model::TStmt], out: &mut Vec<&'m crate::model::Requirement>) {
    for s in stmts {
        match s {
            crate::model::TStmt::Require(r) => out.push(r),
            crate::model::TStmt::For(f) => requirements(&f.body, out),
            crate::model::TStmt::Every(e) => requirements(&e.body, out),
            crate::model::TStmt::Let(..) => {}
        }
    }
}

/// What the runs of a model's tests reach of its clauses and requirements.
pub fn coverage(model: &Model, runs: &[TestRun]) -> TestCoverage {
    let reached: std::collections::HashSet<(ClauseId, u32)> =
        runs.iter().flat_map(|r| r.reached.iter().copied()).collect();
    let mut cov =
        TestCoverage { clauses: 0, clauses_reached: 0, requirements: 0, requirements_reached: 0, unreached: vec![] };
    for (ci, c) in model.clauses.iter().enumerate() {
        let mut reqs = Vec::new();
        requirements(&c.body, &mut reqs);
        let hit: Vec<bool> = reqs.iter().map(|r| reached.contains(&(ClauseId::at(ci), r.index))).collect();
        let any = hit.iter().any(|h| *h);
        cov.clauses += 1;
        cov.clauses_reached += usize::from(any);
        cov.requirements += reqs.len();
        cov.requirements_reached += hit.iter().filter(|h| **h).count();
        for (r, _) in reqs.iter().zip(&hit).filter(|(_, h)| !**h) {
            cov.unreached.push(Unreached {
                clause: c.name.clone(),
                requirement: r.label.clone().unwrap_or_else(|| r.index.to_string()),
                text: r.text.clone(),
                clause_unreached: !any,
            });
        }
    }
    cov
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
