//! `test` blocks: their facts and expectations.

use super::*;

impl Checker {
    pub(super) fn test(&mut self, t: &ast::Test) -> Option<TestDef> {
        let as_of = match &t.as_of {
            Some(d) => self.date(d)?,
            None => {
                self.err(
                    "missing-as-of",
                    t.name.span,
                    format!("test `{}` has no `as_of` date", t.name.text),
                    "add `as_of 2019-10-15`: verdicts depend on the date",
                );
                return None;
            }
        };
        let mut facts = Vec::new();
        for f in &t.facts {
            let Some(kind) = self.find_record(&f.kind.text) else {
                let help = self
                    .suggest(&f.kind.text, &[DeclKind::Record])
                    .map(|s| format!("did you mean `{s}`?"))
                    .unwrap_or_else(|| "declare it with `record`".into());
                self.err("unknown-name", f.kind.span, format!("`{}` is not a record kind", f.kind.text), help);
                continue;
            };
            let decl = self.model.records[kind.index()].clone();
            if decl.derived {
                self.err(
                    "derived-in-facts",
                    f.kind.span,
                    format!("`{}` records are derived by the policy, not written as facts", decl.name),
                    "write the records they are derived from: writ computes these from them",
                );
                continue;
            }
            let mut values: Vec<Option<TestValue>> = vec![None; decl.fields.len()];
            for (fname, e) in &f.fields {
                let Some(fi) = decl.field(&fname.text) else {
                    let help = self
                        .did_you_mean(&fname.text, decl.fields.iter().map(|f| f.name.as_str()))
                        .map(|s| format!("did you mean `{s}`?"))
                        .unwrap_or_else(|| format!("the fields of `{}` are declared in its record", decl.name));
                    self.err(
                        "unknown-field",
                        fname.span,
                        format!("`{}` has no field `{}`", decl.name, fname.text),
                        help,
                    );
                    continue;
                };
                let fd = &decl.fields[fi];
                let v = if fd.ty == Ty::Party {
                    // A party by name, bare or quoted, as a fact file writes it.
                    let n = match &e.kind {
                        ExprKind::Text(s) | ExprKind::Name(s) => Some(s.as_str()),
                        _ => None,
                    };
                    match n.and_then(|n| self.find_party(n)) {
                        Some(p) => Some(TestValue::Value(Value::Party(p))),
                        None => {
                            let help = n
                                .and_then(|n| self.did_you_mean(n, self.model.parties.iter().map(|p| p.name.as_str())))
                                .map(|s| format!("did you mean `{s}`?"))
                                .unwrap_or_else(|| "write the name of a declared party".into());
                            self.err(
                                "unknown-party",
                                e.span,
                                match n {
                                    Some(n) => {
                                        format!("field `{}` names `{n}`, which is not a declared party", fd.name)
                                    }
                                    None => {
                                        format!("field `{}` names a party, and this is not a declared one", fd.name)
                                    }
                                },
                                help,
                            );
                            None
                        }
                    }
                } else if let Ty::Ref(_) = fd.ty {
                    match &e.kind {
                        ExprKind::Text(s) => Some(TestValue::RefKey(Arc::from(s.as_str()), e.span)),
                        ExprKind::Number(s) => Some(TestValue::RefKey(Arc::from(s.as_str()), e.span)),
                        _ => {
                            self.err(
                                "type-mismatch",
                                e.span,
                                format!("field `{}` refers to a record by its key", fd.name),
                                "write the key in quotes",
                            );
                            None
                        }
                    }
                } else {
                    let te = self.expr(e, Some(&fd.ty));
                    if !compatible(&te.ty, &fd.ty) {
                        let (a, b) = (self.ty_name(&fd.ty), self.ty_name(&te.ty));
                        self.err(
                            "type-mismatch",
                            e.span,
                            format!("field `{}` is {a}, found {b}", fd.name),
                            "write a value of the field's type",
                        );
                        None
                    } else if let TKind::Const(v) = te.kind {
                        // A test's facts are held to their fields' ranges as a fact file's are.
                        if let Some(end) = fd.range.violated_by(&v) {
                            let side = if fd.range.low.as_ref() == Some(end) { "below" } else { "above" };
                            self.err(
                                "value-out-of-range",
                                e.span,
                                format!("this value is {side} {}, outside the range of `{}`", end.text, fd.name),
                                format!(
                                    "`{}` takes values {}; write a value a fact file could hold",
                                    fd.name,
                                    fd.range.describe()
                                ),
                            );
                            None
                        } else {
                            Some(TestValue::Value(v))
                        }
                    } else {
                        self.err("type-mismatch", e.span, "a test fact is a literal value", "write the value itself");
                        None
                    }
                };
                values[fi] = v;
            }
            facts.push(TestFact { kind, values, span: f.span });
        }
        let mut expects = Vec::new();
        for x in &t.expects {
            if self.lookup(&x.clause.text).map(|k| k.0) != Some(DeclKind::Clause) {
                let help = self
                    .suggest(&x.clause.text, &[DeclKind::Clause])
                    .map(|s| format!("did you mean `{s}`?"))
                    .unwrap_or_else(|| "name a clause of this package".into());
                self.err("unknown-name", x.clause.span, format!("`{}` is not a clause", x.clause.text), help);
                continue;
            }
            let Some(status) = Status::parse(&x.status.text) else {
                let help = did_you_mean(&x.status.text, Status::ALL.iter().map(|s| s.name())).map(|s| format!("did you mean `{s}`?")).unwrap_or_else(|| "a status is one of satisfied, violated, fulfilled, fulfilled_late, pending, overdue, met, missed, exempt, not_applicable, unknown".into());
                self.err("unknown-status", x.status.span, format!("`{}` is not a verdict status", x.status.text), help);
                continue;
            };
            let keys = x.keys.as_ref().map(|ks| {
                ks.iter()
                    .map(|k| match &k.kind {
                        ExprKind::Text(s) | ExprKind::Number(s) | ExprKind::Name(s) => s.clone(),
                        _ => String::new(),
                    })
                    .collect()
            });
            expects.push(ExpectDef {
                clause: x.clause.text.clone(),
                keys,
                requirement: x.requirement.as_ref().map(|r| r.text.clone()),
                status,
                span: x.span,
            });
        }
        if t.expects.is_empty() {
            self.err(
                "empty-test",
                t.name.span,
                format!("test `{}` expects nothing", t.name.text),
                "add `expect CLAUSE[\"key\"] STATUS`",
            );
        }
        Some(TestDef { name: t.name.text.clone(), as_of, facts, expects, origin: origin(&self.file, t.name.span) })
    }

    // ------------------------------------------------------------------ expressions
}
