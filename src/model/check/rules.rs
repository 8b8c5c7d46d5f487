//! Rules and tables, and the variable slots of a body.

use super::*;

impl Checker {
    pub(super) fn begin_body(&mut self) -> (Vec<Local>, u32, u32, Vec<(u32, RecordId)>) {
        let saved =
            (std::mem::take(&mut self.locals), self.next_slot, self.max_slot, std::mem::take(&mut self.implicit));
        self.next_slot = 0;
        self.max_slot = 0;
        saved
    }

    pub(super) fn end_body(&mut self, saved: (Vec<Local>, u32, u32, Vec<(u32, RecordId)>)) -> u32 {
        let slots = self.max_slot;
        (self.locals, self.next_slot, self.max_slot, self.implicit) = saved;
        slots
    }

    pub(super) fn bind(&mut self, name: &str, ty: Ty, unit: Option<Unit>) -> u32 {
        let slot = self.next_slot;
        self.next_slot += 1;
        self.max_slot = self.max_slot.max(self.next_slot);
        self.locals.push(Local { name: name.to_string(), slot, ty, unit });
        slot
    }

    pub(super) fn check_rule(&mut self, i: usize) {
        if self.rule_state[i] != 0 {
            return;
        }
        self.rule_state[i] = 1;
        let (file, r) = self.rule_asts[i].clone();
        let saved_file = std::mem::replace(&mut self.file, file.clone());
        let saved = self.begin_body();
        let params = self.params(&r.params);
        for (n, t, u) in &params {
            self.bind(n, t.clone(), u.clone());
        }
        let mut lets = Vec::new();
        for l in &r.lets {
            let e = self.expr(&l.value, None);
            let slot = self.bind(&l.name.text, e.ty.clone(), e.unit.clone());
            lets.push((slot, e));
        }
        let body = self.expr(&r.body, None);
        let slots = self.end_body(saved);
        self.model.rules[i] = RuleDef {
            name: r.name.text.clone(),
            label: r.label.as_ref().map(|s| s.text.clone()),
            cite: self.cite(&r.cite),
            params: params.into_iter().map(|(n, t, _)| (n, t)).collect(),
            lets,
            body,
            slots,
            origin: origin(&file, r.name.span),
        };
        self.rule_state[i] = 2;
        self.file = saved_file;
    }

    pub(super) fn table(&mut self, t: &ast::Table) {
        let params = self.params(&t.params);
        let saved = self.begin_body();
        let mut rows = Vec::new();
        let mut ret: Option<TExpr> = None;
        for row in &t.rows {
            if row.patterns.len() != params.len() {
                self.err(
                    "wrong-arity",
                    row.span,
                    format!(
                        "this row has {} patterns, table `{}` has {} parameters",
                        row.patterns.len(),
                        t.name.text,
                        params.len()
                    ),
                    "write one pattern per parameter, `_` for any value",
                );
                continue;
            }
            let mut pats = Vec::new();
            for (p, (pname, pty, punit)) in row.patterns.iter().zip(&params) {
                let subject = TExpr { kind: TKind::Local(0), ty: pty.clone(), unit: punit.clone(), span: row.span };
                pats.push(match p {
                    ast::Pattern::Any(_) => TPattern::Any,
                    ast::Pattern::Eq(e) | ast::Pattern::Cmp(_, e) => {
                        let op = if let ast::Pattern::Cmp(op, _) = p { *op } else { BinOp::Eq };
                        let v = self.expr(e, Some(pty));
                        self.check_comparison(op, &subject, &v, e.span, &format!("parameter `{pname}`"));
                        TPattern::Cmp(op, v)
                    }
                });
            }
            let v = match &row.value {
                ast::RowValue::Gap(why) => TRowValue::Gap(why.text.clone()),
                ast::RowValue::Value(value) => {
                    let v = self.expr(value, ret.as_ref().map(|r| &r.ty));
                    if let Some(r) = &ret {
                        self.unify(r, &v, "every row of a table gives a value of the same type");
                    } else {
                        ret = Some(v.clone());
                    }
                    TRowValue::Value(v)
                }
            };
            rows.push((pats, v));
        }
        self.end_body(saved);
        self.model.tables.push(TableDef {
            name: t.name.text.clone(),
            label: t.label.as_ref().map(|s| s.text.clone()),
            cite: self.cite(&t.cite),
            params: params.into_iter().map(|(n, t, _)| (n, t)).collect(),
            rows,
            ret: ret.map(|r| r.ty).unwrap_or(Ty::Error),
            origin: origin(&self.file, t.name.span),
        });
        self.table_coverage(t);
    }

    // ------------------------------------------------------------------ clauses
}
