//! Calls: built-in functions, rules, tables, clause statuses.

use super::*;

impl Checker {
    pub(super) fn arity(
        &mut self,
        func: &ast::Name,
        args: &[ast::Arg],
        n: std::ops::RangeInclusive<usize>,
        form: &str,
    ) -> bool {
        if !n.contains(&args.len()) {
            self.err(
                "wrong-arity",
                func.span,
                format!("`{}` takes {}, found {}", func.text, plural_args(&n), args.len()),
                format!("write `{form}`"),
            );
            return false;
        }
        for a in args {
            if (a.filter.is_some() || a.during.is_some()) && !crate::model::builtins::is_aggregate(&func.text) {
                self.err(
                    "type-mismatch",
                    a.span,
                    format!(
                        "`where` and `during` filter the records of an aggregate, not the arguments of `{}`",
                        func.text
                    ),
                    "move the filter into `count(…)`, `sum(…)`, …",
                );
            }
        }
        true
    }

    pub(super) fn call(
        &mut self,
        func: &ast::Name,
        args: &[ast::Arg],
        text: &str,
        empty: Option<&ast::Expr>,
        span: Span,
    ) -> TExpr {
        if let Some(f) = crate::model::builtins::aggregate_named(&func.text) {
            return self.aggregate(f, func, args, text, empty, span);
        }
        match func.text.as_str() {
            "change" => {
                if !self.arity(func, args, 2..=2, "change(NEW, OLD)") {
                    return error_expr(span);
                }
                let a = self.expr(&args[0].value, None);
                let b = self.expr(&args[1].value, Some(&a.ty));
                if !matches!(a.ty, Ty::Number | Ty::Quantity(_) | Ty::Percent | Ty::Error) {
                    let found = self.ty_name(&a.ty);
                    self.err(
                        "type-mismatch",
                        args[0].span,
                        format!("`change` compares two amounts, found {found}"),
                        "pass two numbers or quantities",
                    );
                }
                self.unify(&a, &b, "`change` compares two amounts of one kind");
                TExpr { kind: TKind::Change(Box::new(a), Box::new(b)), ty: Ty::Percent, unit: None, span }
            }
            "round" | "ceil" => {
                let up = func.text == "ceil";
                if !self.arity(func, args, 2..=2, if up { "ceil(x, STEP)" } else { "round(x, STEP)" }) {
                    return error_expr(span);
                }
                let a = self.expr(&args[0].value, None);
                let step = self.expr(&args[1].value, Some(&a.ty));
                if !matches!(a.ty, Ty::Number | Ty::Quantity(_) | Ty::Percent | Ty::Error) {
                    let found = self.ty_name(&a.ty);
                    self.err(
                        "type-mismatch",
                        args[0].span,
                        format!("`{}` rounds an amount, found {found}", func.text),
                        "round a number, quantity or percentage",
                    );
                }
                let positive = matches!(&step.kind, TKind::Const(Value::Num(s)) if *s > Decimal::ZERO);
                if !positive && step.ty != Ty::Error {
                    self.err(
                        "type-mismatch",
                        args[1].span,
                        format!("`{}` rounds to a multiple of a step, written as a positive literal", func.text),
                        "write the step in the value's unit: `round(x, 1 ug/m3)`, `round(x, 0.1 mg/m3)`, `round(p, 0.1%)`",
                    );
                }
                self.unify(&a, &step, "`round` rounds to a step of the value's own kind");
                let (ty, unit) = (a.ty.clone(), a.unit.clone());
                TExpr { kind: TKind::Round(Box::new(a), Box::new(step), up), ty, unit, span }
            }
            "today" => {
                if !args.is_empty() {
                    self.err(
                        "wrong-arity",
                        func.span,
                        format!("`today` takes no arguments, found {}", args.len()),
                        "write `today()`",
                    );
                }
                TExpr { kind: TKind::Today, ty: Ty::Date, unit: None, span }
            }
            "day" => {
                if !self.arity(func, args, 2..=2, "m.day(N)") {
                    return error_expr(span);
                }
                let m = self.expr(&args[0].value, Some(&Ty::Interval));
                let n = self.expr(&args[1].value, Some(&Ty::Number));
                if !compatible(&m.ty, &Ty::Interval) {
                    let found = self.ty_name(&m.ty);
                    self.err(
                        "type-mismatch",
                        args[0].span,
                        format!("`day` picks a day of an interval, found {found}"),
                        "write `m.day(5)` with `m` bound by `every month m of …`",
                    );
                }
                if !compatible(&n.ty, &Ty::Number) {
                    let found = self.ty_name(&n.ty);
                    self.err(
                        "type-mismatch",
                        args[1].span,
                        format!("the day of the month is a number, found {found}"),
                        "write `m.day(5)`",
                    );
                }
                TExpr {
                    kind: TKind::Interval(IntervalOp::Day, Box::new(m), Some(Box::new(n))),
                    ty: Ty::Date,
                    unit: None,
                    span,
                }
            }
            "date" | "hour" | "year" | "month" => {
                let form = format!("{}(…)", func.text);
                if !self.arity(func, args, 1..=1, &form) {
                    return error_expr(span);
                }
                let a = self.expr(&args[0].value, None);
                let (op, ty, takes_date) = match func.text.as_str() {
                    "date" => (IntervalOp::DateOf, Ty::Date, false),
                    "hour" => (IntervalOp::Hour, Ty::Number, false),
                    "year" => (IntervalOp::Year, Ty::Number, true),
                    _ => (IntervalOp::Month, Ty::Number, true),
                };
                let fits = matches!(a.ty, Ty::DateTime | Ty::Error) || (takes_date && a.ty == Ty::Date);
                if !fits {
                    let found = self.ty_name(&a.ty);
                    let takes = if takes_date { "a date or a datetime" } else { "a datetime" };
                    self.err(
                        "type-mismatch",
                        args[0].span,
                        format!("`{}` reads {takes}, found {found}", func.text),
                        format!("pass {takes}, such as a `datetime` field of a record"),
                    );
                }
                TExpr { kind: TKind::Interval(op, Box::new(a), None), ty, unit: None, span }
            }
            "exists" => {
                if !self.arity(func, args, 1..=1, "exists(x.field)") {
                    return error_expr(span);
                }
                let a = self.expr(&args[0].value, None);
                if !matches!(a.kind, TKind::Field(..)) {
                    self.err(
                        "type-mismatch",
                        args[0].span,
                        "`exists` asks whether a field has a value",
                        "write `exists(x.field)`",
                    );
                }
                TExpr { kind: TKind::Exists(Box::new(a)), ty: Ty::Bool, unit: None, span }
            }
            "violated" | "fulfilled" => {
                if !self.arity(func, args, 2..=2, &format!("{}(CLAUSE, subject)", func.text)) {
                    return error_expr(span);
                }
                let clause = match &args[0].value.kind {
                    ExprKind::Name(n) if self.lookup(n).map(|k| k.0) == Some(DeclKind::Clause) => n.clone(),
                    _ => {
                        self.err(
                            "unknown-name",
                            args[0].span,
                            format!("the first argument of `{}` names a clause", func.text),
                            "write the clause's name",
                        );
                        return error_expr(span);
                    }
                };
                let idx = self.clause_deps.len().saturating_sub(1);
                if let Some(deps) = self.clause_deps.get_mut(idx) {
                    deps.push((clause.clone(), args[0].span));
                } else {
                    self.err(
                        "type-mismatch",
                        span,
                        format!(
                            "`{}` reads other clauses' verdicts, and only clauses have verdicts to read",
                            func.text
                        ),
                        "move this into a clause",
                    );
                }
                let subject = self.expr(&args[1].value, None);
                TExpr {
                    kind: TKind::ClauseStatus { clause, subject: Box::new(subject), violated: func.text == "violated" },
                    ty: Ty::Bool,
                    unit: None,
                    span,
                }
            }
            name => {
                if let Some((kind, _)) = self.lookup(name) {
                    match kind {
                        DeclKind::Rule => {
                            let ri = self
                                .find(DeclKind::Rule, &self.rule_asts, name, |r| &r.1.name.text)
                                .expect("declared rule") as usize;
                            if self.rule_state[ri] == 1 {
                                self.err(
                                    "rule-cycle",
                                    func.span,
                                    format!("rule `{name}` calls itself"),
                                    "rules are not recursive: write the condition out",
                                );
                                return error_expr(span);
                            }
                            self.check_rule(ri);
                            let params = self.model.rules[ri].params.clone();
                            if !self.arity(
                                func,
                                args,
                                params.len()..=params.len(),
                                &format!(
                                    "{name}({})",
                                    params.iter().map(|p| p.0.as_str()).collect::<Vec<_>>().join(", ")
                                ),
                            ) {
                                return error_expr(span);
                            }
                            let targs = self.typed_args(args, &params);
                            let ret = self.model.rules[ri].body.clone();
                            return TExpr { kind: TKind::Rule(ri as u32, targs), ty: ret.ty, unit: ret.unit, span };
                        }
                        DeclKind::Table => {
                            let Some(ti) = self.find(DeclKind::Table, &self.model.tables, name, |t| &t.name) else {
                                self.err(
                                    "unknown-name",
                                    func.span,
                                    format!("table `{name}` is used before it is checked"),
                                    "declare tables before the rules that read them",
                                );
                                return error_expr(span);
                            };
                            let params = self.model.tables[ti as usize].params.clone();
                            if !self.arity(func, args, params.len()..=params.len(), &format!("{name}(…)")) {
                                return error_expr(span);
                            }
                            let targs = self.typed_args(args, &params);
                            let t = &self.model.tables[ti as usize];
                            let unit = t.rows.iter().find_map(|r| r.1.value()).and_then(|v| v.unit.clone());
                            return TExpr { kind: TKind::Table(ti, targs), ty: t.ret.clone(), unit, span };
                        }
                        _ => {}
                    }
                }
                let builtins = crate::model::builtins::BUILTINS.iter().map(|b| b.name);
                let names = builtins.chain(
                    (self.names.iter())
                        .filter(|(_, (k, _, _))| matches!(k, DeclKind::Rule | DeclKind::Table))
                        .map(|(n, _)| n.as_str()),
                );
                let help = self
                    .did_you_mean(name, names)
                    .map(|s| format!("did you mean `{s}`?"))
                    .unwrap_or_else(|| "call a declared `rule` or `table`, or a built-in aggregate".into());
                self.err("unknown-name", func.span, format!("no rule, table or function named `{name}`"), help);
                error_expr(span)
            }
        }
    }

    pub(super) fn typed_args(&mut self, args: &[ast::Arg], params: &[(String, Ty)]) -> Vec<TExpr> {
        args.iter()
            .zip(params)
            .map(|(a, (pn, pt))| {
                let t = self.expr(&a.value, Some(pt));
                if !compatible(&t.ty, pt) {
                    let (x, y) = (self.ty_name(pt), self.ty_name(&t.ty));
                    self.err(
                        "type-mismatch",
                        a.span,
                        format!("parameter `{pn}` is {x}, found {y}"),
                        "pass a value of the parameter's type",
                    );
                }
                t
            })
            .collect()
    }
}
