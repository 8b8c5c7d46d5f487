//! Aggregates (`count`, `sum`, `mean`, `min`, `max`, `share`) and the index lookups their filters become.

use super::*;

impl Checker {
    pub(super) fn aggregate(
        &mut self,
        f: AggFunc,
        func: &ast::Name,
        args: &[ast::Arg],
        text: &str,
        empty: Option<&ast::Expr>,
        span: Span,
    ) -> TExpr {
        let form = crate::model::builtins::builtin(f.name()).map_or("", |b| b.form);
        let n = if matches!(f, AggFunc::Share | AggFunc::Percentile) { 2..=2 } else { 1..=1 };
        if !self.arity(func, args, n, form) {
            return error_expr(span);
        }
        let a = &args[0];
        // The first argument names a kind (`count(改造 …)`), a field of it, possibly through a
        // reference (`sum(監測.二氧化硫 …)`, `sum(整治.鍋爐.容量 …)`), or binds a name to each
        // record (`count(x in 抽檢 where x.企業 == e)`), which then replaces bare field names.
        let (kind_name, var, path) = match &a.value.kind {
            ExprKind::Name(n) => (n.clone(), None, None),
            ExprKind::Binary(BinOp::In, l, r) => match (&l.kind, &r.kind) {
                (ExprKind::Name(v), ExprKind::Name(k)) => (k.clone(), Some(v.clone()), None),
                _ => (String::new(), None, None),
            },
            ExprKind::Field(..) => match chain_root(&a.value) {
                Some(root) => {
                    let local = format!("<{root}>");
                    (root.to_string(), None, Some(rename_root(&a.value, &local)))
                }
                None => (String::new(), None, None),
            },
            _ => (String::new(), None, None),
        };
        let Some(kind) = self.find_record(&kind_name) else {
            let help = self
                .suggest(&kind_name, &[DeclKind::Record])
                .map(|s| format!("did you mean `{s}`?"))
                .unwrap_or_else(|| format!("write `{form}`"));
            self.err(
                "unknown-name",
                a.value.span,
                format!(
                    "`{}` aggregates the records of a kind; `{}` is not a record kind",
                    func.text,
                    if kind_name.is_empty() { "this" } else { &kind_name }
                ),
                help,
            );
            return error_expr(span);
        };
        let explicit = var.is_some();
        let slot = self.bind(var.as_deref().unwrap_or(&format!("<{kind_name}>")), Ty::Ref(kind), None);
        if !explicit {
            self.implicit.push((slot, kind));
        }
        let value = match (path, f) {
            (Some(p), AggFunc::Sum | AggFunc::Mean | AggFunc::Min | AggFunc::Max | AggFunc::Percentile) => {
                let v = self.expr(&p, None);
                let dates_ok = matches!(f, AggFunc::Min | AggFunc::Max) && matches!(v.ty, Ty::Date | Ty::DateTime);
                if !matches!(v.ty, Ty::Number | Ty::Quantity(_) | Ty::Percent | Ty::Error) && !dates_ok {
                    let found = self.ty_name(&v.ty);
                    self.err(
                        "type-mismatch",
                        p.span,
                        format!("`{}` adds up amounts, this is {found}", func.text),
                        "aggregate a number, quantity or percentage field (or, with `min`/`max`, a date)",
                    );
                }
                Some(v)
            }
            (None, AggFunc::Sum | AggFunc::Mean | AggFunc::Min | AggFunc::Max | AggFunc::Percentile) => {
                self.err(
                    "type-mismatch",
                    a.value.span,
                    format!("`{}` needs a field to aggregate", func.text),
                    format!("write `{}({kind_name}.FIELD …)`", func.text),
                );
                None
            }
            (Some(p), _) => {
                self.err(
                    "type-mismatch",
                    p.span,
                    format!("`{}` counts records; it takes the kind, not a field", func.text),
                    format!("write `{}({kind_name} where …)`", func.text),
                );
                None
            }
            (None, AggFunc::Share) => Some(self.condition(&args[1].value, "the condition of `share`")),
            (None, _) => None,
        };
        let filter = a.filter.as_ref().map(|e| self.condition(e, "a `where` filter"));
        // `percentile(…, 95%)`: a percentage written as is, from 0% to 100%.
        let rank = if f == AggFunc::Percentile {
            let p = self.expr(&args[1].value, Some(&Ty::Percent));
            match p.kind {
                TKind::Const(Value::Num(x)) if p.ty == Ty::Percent && (Decimal::ZERO..=Decimal::ONE).contains(&x) => {
                    Some(x)
                }
                _ => {
                    self.err(
                        "type-mismatch",
                        args[1].span,
                        "`percentile` takes which percentile as a percentage from 0% to 100%",
                        "write it as a number with `%`: `percentile(日數據.CO where 有效, 95%)`",
                    );
                    None
                }
            }
        } else {
            None
        };
        let during = a.during.as_ref().and_then(|d| self.period_ref(d));
        if during.is_some() && self.model.records[kind.index()].dated.is_none() {
            let name = self.model.records[kind.index()].name.clone();
            let o = self.model.records[kind.index()].origin.clone();
            let d = Diagnostic::error(
                "undated-record",
                &self.file,
                a.during.as_ref().map(|d| d.span).unwrap_or(span),
                format!("`during` filters records by date, and `{name}` has no date"),
            )
            .with_secondary_in(&o.file, o.span, format!("`{name}` is declared here"))
            .with_help(format!("declare which field dates a record: `record {name} key … dated FIELD {{ … }}`"));
            self.diags.push(d);
        }
        if !explicit {
            self.implicit.pop();
        }
        self.locals.retain(|l| l.slot != slot);
        // Split `field == EXPR` conjuncts that do not read the record into index lookups.
        let (index, filter) = match filter {
            Some(fl) => split_index(fl, slot),
            None => (vec![], None),
        };
        let (ty, unit) = match f {
            AggFunc::Count => (Ty::Number, None),
            AggFunc::Share => (Ty::Percent, None),
            _ => value.as_ref().map(|v| (v.ty.clone(), v.unit.clone())).unwrap_or((Ty::Error, None)),
        };
        // `, empty VALUE`: what the policy says an empty set means. Checked outside the
        // aggregate's binding: the value cannot read a record, there is none.
        let empty = empty.and_then(|x| {
            if f == AggFunc::Count {
                self.err(
                    "type-mismatch",
                    x.span,
                    "a `count` of no records is 0 already",
                    "drop `, empty …`: it is for `sum`, `mean`, `min`, `max` and `share`, which have no value over no records",
                );
                return None;
            }
            if matches!(ty, Ty::Date | Ty::DateTime) {
                self.err(
                    "type-mismatch",
                    x.span,
                    "the earliest or latest date of no records is none: the event has not happened",
                    "drop `, empty …`: a duty on a date not yet recorded is `pending`, then `overdue`",
                );
                return None;
            }
            let e = self.expr(x, Some(&ty));
            if !compatible(&ty, &e.ty) {
                let (want, found) = (self.ty_name(&ty), self.ty_name(&e.ty));
                let d = Diagnostic::error(
                    "type-mismatch",
                    &self.file,
                    x.span,
                    format!("`empty` gives the value of the `{}` when no record matches: expected {want}, found {found}", func.text),
                )
                .with_label(format!("this is {found}"))
                .with_help(format!("write a value of the aggregate's type, such as `empty 0` with the field's unit (`empty 0 t`); the aggregate is {want}"));
                self.diags.push(d);
            }
            Some(e)
        });
        TExpr {
            kind: TKind::Aggregate(Box::new(Aggregate {
                func: f,
                kind,
                slot,
                value,
                index,
                filter,
                during,
                empty,
                text: text.to_string(),
                rank,
            })),
            ty,
            unit,
            span,
        }
    }
}
/// Splits a filter into `record.field == value` lookups (value independent of the record)
/// and the remaining condition.
fn split_index(filter: TExpr, slot: u32) -> (Vec<(FieldPath, TExpr)>, Option<TExpr>) {
    let mut conj = Vec::new();
    flatten_and(filter, &mut conj);
    let mut index = Vec::new();
    let mut rest: Vec<TExpr> = Vec::new();
    for c in conj {
        if let TKind::Binary(BinOp::Eq, l, r) = &c.kind {
            if let Some(path) = field_path(l, slot)
                && !reads_slot(r, slot)
            {
                index.push((path, (**r).clone()));
                continue;
            }
            if let Some(path) = field_path(r, slot)
                && !reads_slot(l, slot)
            {
                index.push((path, (**l).clone()));
                continue;
            }
        }
        rest.push(c);
    }
    let rest = rest.into_iter().reduce(|a, b| {
        let span = a.span.to(b.span);
        TExpr { kind: TKind::Binary(BinOp::And, Box::new(a), Box::new(b)), ty: Ty::Bool, unit: None, span }
    });
    (index, rest)
}
/// The fields read from the record bound to `slot`, through references: `x.銷售企業.名稱` is
/// `[(煤質抽檢, 銷售企業), (散煤銷售企業, 名稱)]`. `None` for anything but such a chain.
fn field_path(e: &TExpr, slot: u32) -> Option<FieldPath> {
    match &e.kind {
        TKind::Field(b, kind, fi) => {
            let mut path = match &b.kind {
                TKind::Local(s) if *s == slot => vec![],
                _ => field_path(b, slot)?,
            };
            path.push((*kind, *fi));
            Some(path)
        }
        _ => None,
    }
}
fn flatten_and(e: TExpr, out: &mut Vec<TExpr>) {
    match e.kind {
        TKind::Binary(BinOp::And, l, r) => {
            flatten_and(*l, out);
            flatten_and(*r, out);
        }
        kind => out.push(TExpr { kind, ..e }),
    }
}
fn reads_slot(e: &TExpr, slot: u32) -> bool {
    let mut found = false;
    walk(e, &mut |x| {
        if matches!(x.kind, TKind::Local(s) if s == slot) {
            found = true;
        }
    });
    found
}
/// The name a field chain starts from: `整治` in `整治.鍋爐.容量`.
fn chain_root(e: &ast::Expr) -> Option<&str> {
    match &e.kind {
        ExprKind::Name(n) => Some(n),
        ExprKind::Field(b, _) => chain_root(b),
        _ => None,
    }
}
/// The field chain with its root name replaced (by the aggregate's record variable).
fn rename_root(e: &ast::Expr, to: &str) -> ast::Expr {
    match &e.kind {
        ExprKind::Field(b, f) => {
            ast::Expr { kind: ExprKind::Field(Box::new(rename_root(b, to)), f.clone()), span: e.span }
        }
        _ => ast::Expr { kind: ExprKind::Name(to.to_string()), span: e.span },
    }
}
