//! Expressions: literals, names, fields, operators, `match`.

use super::*;

impl Checker {
    pub(super) fn expr(&mut self, e: &ast::Expr, expected: Option<&Ty>) -> TExpr {
        let span = e.span;
        let mk = |kind: TKind, ty: Ty, unit: Option<Unit>| TExpr { kind, ty, unit, span };
        match &e.kind {
            ExprKind::Bool(b) => mk(TKind::Const(Value::Bool(*b)), Ty::Bool, None),
            ExprKind::Number(n) => match policy_number(n) {
                Some(d) => mk(TKind::Const(Value::Num(d)), Ty::Number, None),
                None => {
                    self.err(
                        "number-out-of-range",
                        span,
                        format!("`{}` is out of range", clip(n)),
                        "writ holds numbers exactly to 28 significant digits",
                    );
                    error_expr(span)
                }
            },
            ExprKind::Percent(n) => match policy_number(n).and_then(|d| d.checked_div(Decimal::ONE_HUNDRED)) {
                Some(d) => mk(TKind::Const(Value::Num(d)), Ty::Percent, None),
                None => {
                    self.err(
                        "number-out-of-range",
                        span,
                        format!("`{}%` is out of range", clip(n)),
                        "writ holds numbers exactly to 28 significant digits",
                    );
                    error_expr(span)
                }
            },
            ExprKind::Quantity { amount, unit } => self.quantity(amount, unit, span),
            ExprKind::DateTime(t) => match crate::value::DateTime::parse_civil(t) {
                Some(t) => mk(TKind::Const(Value::DateTime(t)), Ty::DateTime, None),
                None => {
                    self.err(
                        "invalid-date",
                        span,
                        format!("`{t}` is not a moment of the calendar"),
                        "write a real date and time as YYYY-MM-DDTHH:MM, hours 00 to 23, minutes and seconds 00 to 59",
                    );
                    error_expr(span)
                }
            },
            ExprKind::Date(d) => match Date::parse_iso(d) {
                Some(d) => mk(TKind::Const(Value::Date(d)), Ty::Date, None),
                None => {
                    self.err(
                        "invalid-date",
                        span,
                        format!("`{d}` is not a calendar date"),
                        "write a real date as YYYY-MM-DD; writ never rolls an invalid date over",
                    );
                    error_expr(span)
                }
            },
            ExprKind::Text(s) => mk(TKind::Const(Value::Text(Arc::from(s.as_str()))), Ty::Text, None),
            ExprKind::Name(n) => self.name(n, span, expected),
            ExprKind::Field(base, field) => self.field(base, field, span),
            ExprKind::Unary(op, inner) => {
                let t = self.expr(inner, None);
                match op {
                    UnOp::Not => {
                        if !compatible(&t.ty, &Ty::Bool) {
                            let found = match (&t.ty, &t.unit) {
                                (Ty::Quantity(d), Some(u)) => {
                                    format!("{} in `{}`", d.describe().split(" (").next().unwrap_or(""), u.name)
                                }
                                _ => self.ty_name(&t.ty),
                            };
                            self.err(
                                "type-mismatch",
                                inner.span,
                                format!("`not` applies to a condition, found {found}"),
                                "compare the value first",
                            );
                        }
                        mk(TKind::Unary(UnOp::Not, Box::new(t)), Ty::Bool, None)
                    }
                    UnOp::Neg => {
                        if !matches!(t.ty, Ty::Number | Ty::Quantity(_) | Ty::Percent | Ty::Error) {
                            let found = self.ty_name(&t.ty);
                            self.err(
                                "type-mismatch",
                                inner.span,
                                format!("cannot negate {found}"),
                                "`-` applies to numbers, quantities and percentages",
                            );
                        }
                        let (ty, unit) = (t.ty.clone(), t.unit.clone());
                        mk(TKind::Unary(UnOp::Neg, Box::new(t)), ty, unit)
                    }
                }
            }
            ExprKind::Binary(op, l, r) => self.binary(*op, l, r, span),
            ExprKind::List(items) => {
                let inner_expected = match expected {
                    Some(Ty::List(t)) => Some((**t).clone()),
                    _ => None,
                };
                let mut out: Vec<TExpr> = Vec::new();
                for i in items {
                    let hint = out.first().map(|f| f.ty.clone()).or(inner_expected.clone());
                    let t = self.expr(i, hint.as_ref());
                    if let Some(f) = out.first() {
                        let f = f.clone();
                        self.unify(&f, &t, "the items of a list have one type");
                    }
                    out.push(t);
                }
                let ty = out.first().map(|t| t.ty.clone()).or(inner_expected).unwrap_or(Ty::Error);
                mk(TKind::List(out), Ty::List(Box::new(ty)), None)
            }
            ExprKind::If(c, a, b) => {
                let c = self.condition(c, "the condition of `if`");
                let a = self.expr(a, expected);
                let b = self.expr(b, Some(&a.ty));
                self.unify(&a, &b, "both branches of `if` give the same type");
                let (ty, unit) = (a.ty.clone(), a.unit.clone());
                mk(TKind::If(Box::new(c), Box::new(a), Box::new(b)), ty, unit)
            }
            ExprKind::Match(s, arms) => self.match_expr(s, arms, span, expected),
            ExprKind::Call { func, args, text, empty } => {
                if let Some(x) = empty
                    && !crate::model::builtins::is_aggregate(&func.text)
                {
                    self.err(
                        "type-mismatch",
                        x.span,
                        format!(
                            "`empty` says what an aggregate over no records is, and `{}` is not an aggregate",
                            func.text
                        ),
                        "drop `, empty …`, or use it in `sum(…)`, `mean(…)`, `min(…)`, `max(…)` or `share(…)`",
                    );
                }
                self.call(func, args, text, empty.as_deref(), span)
            }
            ExprKind::PlanRef(n) => {
                let p = &self.model.plan;
                let v = match n.text.as_str() {
                    "issued" => p.issued.map(Value::Date),
                    "start" => p.start.map(Value::Date),
                    "end" => p.end.map(Value::Date),
                    "period" => p.start.zip(p.end).map(|(a, b)| Value::Interval(a, b)),
                    other => {
                        let help = did_you_mean(other, ["issued", "start", "end", "period"].into_iter())
                            .map(|s| format!("did you mean `plan.{s}`?"))
                            .unwrap_or_else(|| {
                                "the plan's attributes are `plan.issued`, `plan.start`, `plan.end` and `plan.period`"
                                    .into()
                            });
                        self.err("unknown-field", n.span, format!("the plan has no attribute `{other}`"), help);
                        return error_expr(span);
                    }
                };
                match v {
                    Some(v) => {
                        let ty = if matches!(v, Value::Interval(..)) { Ty::Interval } else { Ty::Date };
                        mk(TKind::Const(v), ty, None)
                    }
                    None => {
                        let what = if n.text == "issued" { "`issued DATE`" } else { "`period START .. END`" };
                        self.err(
                            "missing-plan-attribute",
                            span,
                            format!("the plan declares no `{}`", n.text),
                            format!("add {what} to the plan, or use a fact for it"),
                        );
                        error_expr(span)
                    }
                }
            }
        }
    }

    pub(super) fn quantity(&mut self, amount: &str, unit: &ast::Name, span: Span) -> TExpr {
        let Some(n) = policy_number(amount) else {
            // At the number, not the whole quantity: the unit may be fine.
            let at = Span::new(span.start as usize, span.start as usize + amount.len());
            self.err(
                "number-out-of-range",
                at,
                format!("`{}` is out of range", clip(amount)),
                "writ holds numbers exactly to 28 significant digits",
            )
            .labels[0]
                .message = "this number cannot be held exactly".into();
            return error_expr(span);
        };
        if let Some(du) = duration_unit(&unit.text) {
            let Ok(amount) = i64::try_from(n.trunc().mantissa())
                .map(|m| if n.fract().is_zero() { m / 10i64.pow(n.trunc().scale()) } else { m })
            else {
                self.err("number-out-of-range", span, "duration out of range", "use a smaller number");
                return error_expr(span);
            };
            if !n.fract().is_zero() {
                self.err(
                    "type-mismatch",
                    span,
                    format!("a duration counts whole {}, found `{amount}`", du.name()),
                    "write a whole number",
                );
                return error_expr(span);
            }
            let d = Duration { amount, unit: du };
            return TExpr { kind: TKind::Const(Value::Duration(d)), ty: Ty::Duration, unit: None, span };
        }
        // `2019年12月31日` reads as the number 2019 with a unit `年12月31日`: a date written the
        // way the plan writes it, which a policy writes `2019-12-31`.
        if let Some(date) = chinese_date(amount, &unit.text) {
            let written = format!("{}{}", clip(amount), unit.text);
            let fix = date.map_or_else(
                || "write a date as year-month-day: `2019-12-31`".to_string(),
                |d| format!("write `{d}`: dates are written year-month-day"),
            );
            self.err("chinese-date", span, format!("expected a date written `YYYY-MM-DD`, found `{written}`"), fix)
                .labels[0]
                .message = "a date in the plan's own form".into();
            return error_expr(span);
        }
        match self.model.units.parse(&unit.text) {
            Ok(u) => match u.to_si(n) {
                Some(v) if u.dim.is_none() => {
                    TExpr { kind: TKind::Const(Value::Num(v)), ty: Ty::Number, unit: Some(u), span }
                }
                Some(v) => TExpr { kind: TKind::Const(Value::Num(v)), ty: Ty::Quantity(u.dim), unit: Some(u), span },
                None => {
                    self.err(
                        "number-out-of-range",
                        span,
                        format!("`{} {}` is out of range", clip(amount), unit.text),
                        "use a larger unit",
                    );
                    error_expr(span)
                }
            },
            Err(e) => {
                let near = match &e {
                    crate::units::UnitError::Power { unit, .. } => Some(unit.clone()),
                    _ => self.did_you_mean(&unit.text, self.model.units.aliases().map(|(n, _)| n)),
                };
                let help = match near {
                    Some(s) => format!("did you mean `{s}`?"),
                    None => "units are SI symbols with prefixes (`mg/m3`, `km`, `t/h`, `MW`) or aliases declared with `unit NAME = …`".into(),
                };
                self.err("unknown-unit", unit.span, format!("{e}"), help).labels[0].message =
                    "not a unit writ knows".into();
                error_expr(span)
            }
        }
    }

    /// `count(K where A) / count(K)`: a share written by hand, a plain number rather than a
    /// percentage, with no value over no records; `share(K, A)` says it.
    fn lint_count_ratio(&mut self, a: &TExpr, b: &TExpr, span: Span) {
        let count = |e: &TExpr| match &e.kind {
            TKind::Aggregate(x) if x.func == AggFunc::Count => Some(x.kind),
            _ => None,
        };
        let (Some(k), Some(j)) = (count(a), count(b)) else { return };
        if k != j {
            return;
        }
        let kind = &self.model.records[k.index()].name;
        self.diags.push(
            Diagnostic::warning(
                "count-ratio",
                &self.file,
                span,
                format!("a share of the {kind} records written as one count over another"),
            )
            .with_label("a plain number, not a percentage")
            .with_help(format!(
                "write `share({kind} where FILTER, CONDITION)`: the share of the records that pass FILTER for which \
                 CONDITION holds, a percentage (compare it with `>= 50%`), explained record by record"
            )),
        );
    }

    pub(super) fn name(&mut self, n: &str, span: Span, expected: Option<&Ty>) -> TExpr {
        // Fields of an enclosing aggregate's record, by bare name.
        for &(slot, kind) in self.implicit.iter().rev() {
            if let Some(fi) = self.model.records[kind.index()].field(n) {
                let f = &self.model.records[kind.index()].fields[fi];
                let base = TExpr { kind: TKind::Local(slot), ty: Ty::Ref(kind), unit: None, span };
                return TExpr {
                    kind: TKind::Field(Box::new(base), kind, fi as u32),
                    ty: f.ty.clone(),
                    unit: f.unit.clone(),
                    span,
                };
            }
        }
        if let Some(l) = self.locals.iter().rev().find(|l| l.name == n) {
            return TExpr { kind: TKind::Local(l.slot), ty: l.ty.clone(), unit: l.unit.clone(), span };
        }
        // Enum variants: the expected enum first, then a unique variant of any enum.
        if let Some(Ty::Enum(ei)) = expected
            && let Some(vi) = self.variant(*ei, n)
        {
            return TExpr { kind: TKind::Const(Value::Enum(vi as u32)), ty: Ty::Enum(*ei), unit: None, span };
        }
        match self.lookup(n) {
            Some((DeclKind::Party, _)) => {
                let i = self.find_party(n).unwrap_or_default();
                return TExpr { kind: TKind::Const(Value::Party(i)), ty: Ty::Party, unit: None, span };
            }
            Some((DeclKind::Group, _)) => {
                let i = self.find(DeclKind::Group, &self.model.groups, n, |p| &p.name).unwrap_or(0);
                let items = self.model.groups[i as usize]
                    .members
                    .iter()
                    .map(|&p| TExpr { kind: TKind::Const(Value::Party(p)), ty: Ty::Party, unit: None, span })
                    .collect();
                return TExpr { kind: TKind::List(items), ty: Ty::List(Box::new(Ty::Party)), unit: None, span };
            }
            Some((DeclKind::Record, _)) => {
                let i = self.find_record(n).unwrap_or_default();
                return TExpr { kind: TKind::Const(Value::Bool(false)), ty: Ty::Kind(i), unit: None, span };
            }
            Some((
                k @ (DeclKind::Period
                | DeclKind::Sanction
                | DeclKind::Clause
                | DeclKind::Rule
                | DeclKind::Table
                | DeclKind::Enum
                | DeclKind::Calendar
                | DeclKind::Plan
                | DeclKind::Unit),
                _,
            )) => {
                let help = match k {
                    DeclKind::Period => {
                        "a period is used with `during`: `during 採暖期`, or in an aggregate, `count(K during 採暖期)`"
                    }
                    DeclKind::Rule | DeclKind::Table => "call it with its arguments: `NAME(x)`",
                    DeclKind::Clause => {
                        "read a clause's verdicts with `violated(CLAUSE, subject)` or `fulfilled(CLAUSE, subject)`"
                    }
                    DeclKind::Sanction => "a sanction is attached with `otherwise SANCTION on SUBJECT`",
                    DeclKind::Enum => "use one of its variants",
                    DeclKind::Unit => "a unit follows a number: `30 mg/m3`",
                    _ => "use a value here",
                };
                self.err("type-mismatch", span, format!("`{n}` is {}, not a value", k.a()), help);
                return error_expr(span);
            }
            _ => {}
        }
        let hits: Vec<(EnumId, u32)> = self.variant_index.get(n).cloned().unwrap_or_default();
        match hits.as_slice() {
            [(ei, vi)] => return TExpr { kind: TKind::Const(Value::Enum(*vi)), ty: Ty::Enum(*ei), unit: None, span },
            [(a, _), (b, _), ..] => {
                let (a, b) = (self.model.enums[a.index()].name.clone(), self.model.enums[b.index()].name.clone());
                self.err(
                    "ambiguous-name",
                    span,
                    format!("`{n}` is a variant of both `{a}` and `{b}`"),
                    "compare it with a value of one enum so writ knows which is meant",
                );
                return error_expr(span);
            }
            [] => {}
        }
        let candidates = (self.locals.iter().map(|l| l.name.as_str()))
            .chain(self.names.keys().map(String::as_str))
            .chain(self.model.enums.iter().flat_map(|e| e.variants.iter().map(String::as_str)));
        let help = match self.did_you_mean(n, candidates) {
            Some(s) => format!("did you mean `{s}`?"),
            None => {
                "names are variables bound by `for`/`let`, parameters, parties, groups, record kinds and enum values"
                    .into()
            }
        };
        self.err("unknown-name", span, format!("`{n}` is not defined here"), help);
        error_expr(span)
    }

    pub(super) fn field(&mut self, base: &ast::Expr, field: &ast::Name, span: Span) -> TExpr {
        let b = self.expr(base, None);
        match &b.ty {
            Ty::Ref(kind) => {
                let kind = *kind;
                let rec = &self.model.records[kind.index()];
                match rec.field(&field.text) {
                    Some(fi) => {
                        let f = &rec.fields[fi];
                        let (ty, unit) = (f.ty.clone(), f.unit.clone());
                        TExpr { kind: TKind::Field(Box::new(b), kind, fi as u32), ty, unit, span }
                    }
                    None => {
                        let rec_name = rec.name.clone();
                        let help = self
                            .did_you_mean(&field.text, rec.fields.iter().map(|f| f.name.as_str()))
                            .map(|s| format!("did you mean `{s}`?"))
                            .unwrap_or_else(|| {
                                format!(
                                    "the fields of `{rec_name}` are: {}",
                                    rec.fields.iter().map(|f| format!("`{}`", f.name)).collect::<Vec<_>>().join(", ")
                                )
                            });
                        let d = Diagnostic::error(
                            "unknown-field",
                            &self.file,
                            field.span,
                            format!("`{rec_name}` has no field `{}`", field.text),
                        )
                        .with_label("no such field")
                        .with_secondary_in(
                            &rec.origin.file.clone(),
                            rec.origin.span,
                            format!("`{rec_name}` is declared here"),
                        )
                        .with_help(help);
                        self.diags.push(d);
                        error_expr(span)
                    }
                }
            }
            Ty::Kind(kind) => {
                // `監測.二氧化硫` names a field of a kind: only meaningful inside an aggregate.
                let name = self.model.records[kind.index()].name.clone();
                self.err(
                    "type-mismatch",
                    span,
                    format!("`{name}.{}` names a column of all `{name}` records, not one value", field.text),
                    format!("aggregate it: `mean({name}.{} where …)`", field.text),
                );
                error_expr(span)
            }
            Ty::Error => error_expr(span),
            Ty::Interval | Ty::Date => {
                let op = match (&b.ty, field.text.as_str()) {
                    (Ty::Interval, "start") => Some((IntervalOp::Start, Ty::Date)),
                    (Ty::Interval, "end") => Some((IntervalOp::End, Ty::Date)),
                    (Ty::Interval, "previous") => Some((IntervalOp::Previous, Ty::Interval)),
                    (Ty::Interval, "next") => Some((IntervalOp::Next, Ty::Interval)),
                    (Ty::Date, "end_of_month") => Some((IntervalOp::EndOfMonth, Ty::Date)),
                    _ => None,
                };
                match op {
                    Some((op, ty)) => TExpr { kind: TKind::Interval(op, Box::new(b), None), ty, unit: None, span },
                    None => {
                        let (what, list) = if b.ty == Ty::Interval {
                            ("an interval", "`.start`, `.end`, `.previous`, `.next` and `.day(N)`")
                        } else {
                            ("a date", "`.end_of_month`")
                        };
                        self.err(
                            "unknown-field",
                            field.span,
                            format!("{what} has no `.{}`", field.text),
                            format!("{what} has {list}"),
                        );
                        error_expr(span)
                    }
                }
            }
            other => {
                let found = self.ty_name(other);
                self.err(
                    "type-mismatch",
                    field.span,
                    format!("`.{}` reads a field of a record, found {found}", field.text),
                    "field access applies to records",
                );
                error_expr(span)
            }
        }
    }

    pub(super) fn binary(&mut self, op: BinOp, l: &ast::Expr, r: &ast::Expr, span: Span) -> TExpr {
        let mk = |kind: TKind, ty: Ty, unit: Option<Unit>| TExpr { kind, ty, unit, span };
        match op {
            BinOp::And | BinOp::Or => {
                let a = self.condition(l, &format!("the left side of `{}`", op.symbol()));
                let b = self.condition(r, &format!("the right side of `{}`", op.symbol()));
                mk(TKind::Binary(op, Box::new(a), Box::new(b)), Ty::Bool, None)
            }
            BinOp::In | BinOp::NotIn => {
                let a = self.expr(l, None);
                let b = self.expr(r, Some(&Ty::List(Box::new(a.ty.clone()))));
                match &b.ty {
                    Ty::List(inner) => {
                        if !compatible(inner, &a.ty) {
                            let (x, y) = (self.ty_name(&a.ty), self.ty_name(inner));
                            self.err(
                                "type-mismatch",
                                r.span,
                                format!("cannot look for {x} in a list of {y}"),
                                "the list holds values of the same type as the left side",
                            );
                        }
                    }
                    Ty::Error => {}
                    other => {
                        let found = self.ty_name(other);
                        self.err(
                            "type-mismatch",
                            r.span,
                            format!("`in` needs a list or group on the right, found {found}"),
                            "write `x in [A, B]`",
                        );
                    }
                }
                mk(TKind::Binary(op, Box::new(a), Box::new(b)), Ty::Bool, None)
            }
            BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => {
                // A bare name on the left (`黃色 == x.級別`) takes its type from the right side.
                let (a, b) = if matches!(l.kind, ExprKind::Name(_)) && !matches!(r.kind, ExprKind::Name(_)) {
                    let b = self.expr(r, None);
                    (self.expr(l, Some(&b.ty)), b)
                } else {
                    let a = self.expr(l, None);
                    let b = self.expr(r, Some(&a.ty));
                    (a, b)
                };
                self.check_comparison(op, &a, &b, span, "the left side");
                mk(TKind::Binary(op, Box::new(a), Box::new(b)), Ty::Bool, None)
            }
            BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div => {
                let a = self.expr(l, None);
                let b = self.expr(r, Some(&a.ty));
                if a.ty == Ty::Error || b.ty == Ty::Error {
                    return mk(TKind::Binary(op, Box::new(a), Box::new(b)), Ty::Error, None);
                }
                if op == BinOp::Div {
                    self.lint_count_ratio(&a, &b, span);
                }
                use Ty::*;
                let res: Option<(Ty, Option<Unit>)> = match (op, &a.ty, &b.ty) {
                    (BinOp::Add | BinOp::Sub, Date, Duration) => {
                        if let TKind::Const(Value::Duration(d)) = &b.kind {
                            if d.unit == DurationUnit::Workday && self.model.calendar.is_none() {
                                self.err("missing-calendar", b.span, "counting workdays needs the plan's calendar", "declare a `calendar` with the year's holidays and make-up workdays (調休), and name it in the plan: `calendar NAME`");
                            }
                            if matches!(d.unit, DurationUnit::Month | DurationUnit::Year)
                                && self.model.plan.month_overflow.is_none()
                            {
                                self.diags.push(
                                    Diagnostic::warning("missing-month-overflow", &self.file, b.span, "adding months can land past a month's end (Jan 31 + 1 month), and the plan does not say what that means")
                                        .with_help("declare it in the plan: `month_overflow clamp` (Feb 28), `spill` (Mar 3) or `reject`; until then such a date makes a verdict `unknown`"),
                                );
                            }
                        }
                        return mk(TKind::DateShift(Box::new(a), Box::new(b), op == BinOp::Sub), Date, None);
                    }
                    (BinOp::Add | BinOp::Sub, Number, Number) => Some((Number, None)),
                    (BinOp::Add | BinOp::Sub, Percent, Percent) => Some((Percent, None)),
                    (BinOp::Add | BinOp::Sub, Quantity(x), Quantity(y)) if x == y => {
                        Some((Quantity(*x), a.unit.clone()))
                    }
                    (BinOp::Add | BinOp::Sub, Quantity(x), Quantity(y)) => {
                        let (lu, ru) = (self.quantity_label(&a), self.quantity_label(&b));
                        let d = Diagnostic::error(
                            "unit-mismatch",
                            &self.file,
                            b.span,
                            if op == BinOp::Add {
                                format!("cannot add {lu} and {ru}")
                            } else {
                                format!("cannot subtract {ru} from {lu}")
                            },
                        )
                        .with_label(format!("{ru} is {}", y.describe()))
                        .with_secondary(a.span, format!("{lu} is {}", x.describe()))
                        .with_help("add and subtract quantities of one dimension only");
                        self.diags.push(d);
                        return mk(TKind::Binary(op, Box::new(a), Box::new(b)), Error, None);
                    }
                    (BinOp::Mul, Number, Number) => Some((Number, None)),
                    (BinOp::Mul, Number | Percent, Quantity(d)) => Some((Quantity(*d), b.unit.clone())),
                    (BinOp::Mul, Quantity(d), Number | Percent) => Some((Quantity(*d), a.unit.clone())),
                    (BinOp::Mul, Percent, Number) | (BinOp::Mul, Number, Percent) => Some((Number, None)),
                    (BinOp::Mul, Percent, Percent) => Some((Percent, None)),
                    (BinOp::Mul, Quantity(x), Quantity(y)) => {
                        let d = x.times(*y);
                        Some((if d.is_none() { Number } else { Quantity(d) }, None))
                    }
                    (BinOp::Div, Quantity(x), Quantity(y)) => {
                        let d = x.per(*y);
                        Some((if d.is_none() { Number } else { Quantity(d) }, None))
                    }
                    (BinOp::Div, Quantity(d), Number) => Some((Quantity(*d), a.unit.clone())),
                    (BinOp::Div, Number, Number) => Some((Number, None)),
                    (BinOp::Div, Percent, Number) => Some((Percent, None)),
                    (BinOp::Div, Percent, Percent) => Some((Number, None)),
                    _ => None,
                };
                match res {
                    Some((ty, unit)) => mk(TKind::Binary(op, Box::new(a), Box::new(b)), ty, unit),
                    None => {
                        let (x, y) = (self.ty_name(&a.ty), self.ty_name(&b.ty));
                        let d = Diagnostic::error("type-mismatch", &self.file, span, format!("cannot apply `{}` to {x} and {y}", op.symbol()))
                            .with_help("arithmetic works on numbers, quantities and percentages; a date moves by a duration (`d + 20 workdays`)");
                        self.diags.push(d);
                        mk(TKind::Binary(op, Box::new(a), Box::new(b)), Error, None)
                    }
                }
            }
        }
    }

    pub(super) fn match_expr(
        &mut self,
        s: &ast::Expr,
        arms: &[ast::MatchArm],
        span: Span,
        expected: Option<&Ty>,
    ) -> TExpr {
        let scrutinee = self.expr(s, None);
        let ei = match scrutinee.ty {
            Ty::Enum(ei) => Some(ei),
            Ty::Error => None,
            ref other => {
                let found = self.ty_name(other);
                self.err(
                    "type-mismatch",
                    s.span,
                    format!("`match` needs an enum value, found {found}"),
                    "use `if … then … else …` for other values",
                );
                None
            }
        };
        let mut out: Vec<(Vec<u32>, TExpr)> = Vec::new();
        let mut covered: Vec<bool> =
            ei.map(|e| vec![false; self.model.enums[e.index()].variants.len()]).unwrap_or_default();
        let mut wildcard = false;
        let mut first: Option<TExpr> = None;
        for arm in arms {
            let mut vs = Vec::new();
            if wildcard {
                self.diags.push(
                    Diagnostic::warning(
                        "unreachable-arm",
                        &self.file,
                        arm.span,
                        "this arm is never reached: a `_` arm above matches everything",
                    )
                    .with_help("remove it or move it above the `_` arm"),
                );
            }
            if arm.patterns.is_empty() {
                wildcard = true;
            }
            for p in &arm.patterns {
                let Some(ei) = ei else { continue };
                let en = &self.model.enums[ei.index()];
                match self.variant(ei, &p.text) {
                    Some(vi) => {
                        if covered[vi] {
                            self.diags.push(
                                Diagnostic::warning(
                                    "unreachable-arm",
                                    &self.file,
                                    p.span,
                                    format!("`{}` is already matched by an earlier arm", p.text),
                                )
                                .with_help("remove the repeated variant"),
                            );
                        }
                        covered[vi] = true;
                        vs.push(vi as u32);
                    }
                    None => {
                        let name = en.name.clone();
                        let open = en.variants.iter().zip(&covered).filter(|(_, c)| !**c).map(|(v, _)| v.as_str());
                        let help = self
                            .did_you_mean(&p.text, open)
                            .map(|s| format!("did you mean `{s}`?"))
                            .unwrap_or_else(|| format!("the variants of `{name}` are {}", en.variants.join(", ")));
                        self.err("unknown-variant", p.span, format!("`{}` is not a variant of `{name}`", p.text), help);
                    }
                }
            }
            let v = self.expr(&arm.value, first.as_ref().map(|f| &f.ty).or(expected));
            if let Some(f) = &first {
                let f = f.clone();
                self.unify(&f, &v, "every arm of a `match` gives the same type");
            } else {
                first = Some(v.clone());
            }
            out.push((vs, v));
        }
        if let Some(ei) = ei
            && !wildcard
        {
            let en = &self.model.enums[ei.index()];
            let missing: Vec<String> =
                en.variants.iter().zip(&covered).filter(|(_, c)| !**c).map(|(v, _)| format!("`{v}`")).collect();
            if !missing.is_empty() {
                let d = Diagnostic::error(
                    "non-exhaustive-match",
                    &self.file,
                    s.span,
                    format!("`match` does not cover {} of `{}`", missing.join(", "), en.name),
                )
                .with_label("matched here")
                .with_secondary_in(&en.origin.file.clone(), en.origin.span, format!("`{}` is declared here", en.name))
                .with_help(format!("add an arm for {}, or `_ => …` for the rest", missing.join(", ")));
                self.diags.push(d);
            }
        }
        let (ty, unit) = first.map(|f| (f.ty, f.unit)).unwrap_or((Ty::Error, None));
        TExpr { kind: TKind::Match(Box::new(scrutinee), out), ty, unit, span }
    }
}

/// Whether `amount unit` is a date written the Chinese way (`2019年12月31日`, `2019年6月底`,
/// `2019年底`): `None` when it is not; `Some(date)` when it is, with the day it names (the last
/// day of the month for 月底/月末, of the year for 年底/年末) when that is a day of the calendar.
fn chinese_date(amount: &str, unit: &str) -> Option<Option<crate::value::Date>> {
    let rest = unit.strip_prefix('年')?;
    if amount.len() != 4 || !amount.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let year: i32 = amount.parse().ok()?;
    if matches!(rest, "底" | "末" | "年底" | "年末") {
        return Some(crate::value::Date::from_ymd(year, 12, 31));
    }
    let digits = |s: &str| s.len() <= 2 && !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let (month, rest) = rest.split_once('月')?;
    if !digits(month) {
        return None;
    }
    let month: u32 = month.parse().ok()?;
    let date = match rest {
        // A month alone names no one day.
        "" => None,
        "底" | "末" | "底前" | "末前" => {
            crate::value::Date::from_ymd(year, month, 1).map(crate::time::end_of_month)
        }
        _ => {
            let day =
                rest.strip_suffix("日前").or_else(|| rest.strip_suffix('日')).or_else(|| rest.strip_suffix('號'))?;
            if !digits(day) {
                return None;
            }
            crate::value::Date::from_ymd(year, month, day.parse().ok()?)
        }
    };
    Some(date)
}
