//! Type and unit compatibility, comparisons, and how types are named in messages.

use super::*;

impl Checker {
    pub(super) fn ty_name(&self, t: &Ty) -> String {
        match t {
            Ty::Bool => "a condition (bool)".into(),
            Ty::Text => "text".into(),
            Ty::Number => "a plain number".into(),
            Ty::Quantity(d) => d.describe(),
            Ty::Percent => "a percentage".into(),
            Ty::Date => "a date".into(),
            Ty::DateTime => "a datetime".into(),
            Ty::Duration => "a duration".into(),
            Ty::Enum(i) => {
                format!("a `{}` value", self.model.enums.get(i.index()).map(|e| e.name.as_str()).unwrap_or("?"))
            }
            Ty::Ref(i) => {
                format!("a `{}` record", self.model.records.get(i.index()).map(|e| e.name.as_str()).unwrap_or("?"))
            }
            Ty::List(t) => format!("a list of {}", self.ty_name(t)),
            Ty::Party => "a party".into(),
            Ty::Kind(i) => format!(
                "the record kind `{}`",
                self.model.records.get(i.index()).map(|e| e.name.as_str()).unwrap_or("?")
            ),
            Ty::Period => "a period".into(),
            Ty::Interval => "an interval of days".into(),
            Ty::Error => "an erroneous value".into(),
        }
    }

    /// A quantity named by the unit it was written in (`mg/m3`); other types by `ty_name`.
    pub(super) fn quantity_label(&self, e: &TExpr) -> String {
        match (&e.ty, &e.unit) {
            (Ty::Quantity(_), Some(u)) if !u.name.is_empty() => format!("`{}`", u.name),
            _ => self.ty_name(&e.ty),
        }
    }

    pub(super) fn unify(&mut self, a: &TExpr, b: &TExpr, help: &str) {
        if !compatible(&a.ty, &b.ty) {
            let (x, y) = (self.ty_name(&a.ty), self.ty_name(&b.ty));
            let d = Diagnostic::error("type-mismatch", &self.file, b.span, format!("expected {x}, found {y}"))
                .with_label(format!("this is {y}"))
                .with_secondary(a.span, format!("this is {x}"))
                .with_help(help.to_string());
            self.diags.push(d);
        }
    }

    pub(super) fn check_comparison(&mut self, op: BinOp, l: &TExpr, r: &TExpr, span: Span, what: &str) {
        if l.ty == Ty::Error || r.ty == Ty::Error {
            return;
        }
        if let (Ty::Quantity(a), Ty::Quantity(b)) = (&l.ty, &r.ty) {
            if a != b {
                let (lu, ru) = (self.quantity_label(l), self.quantity_label(r));
                let d = Diagnostic::error(
                    "unit-mismatch",
                    &self.file,
                    r.span,
                    format!("cannot compare {lu} with {ru}: they measure different things"),
                )
                .with_label(format!("{ru} is {}", b.describe()))
                .with_secondary(l.span, format!("{what} is {lu}, {}", a.describe()))
                .with_help("compare quantities of one dimension; units convert exactly (`0.030 g/m3` == `30 mg/m3`)");
                self.diags.push(d);
            }
            return;
        }
        let ok = match (&l.ty, &r.ty) {
            (Ty::Quantity(_), Ty::Number) | (Ty::Number, Ty::Quantity(_)) => {
                let (q, n) = if matches!(l.ty, Ty::Quantity(_)) { (l, r) } else { (r, l) };
                let unit = q.unit.as_ref().map(|u| u.name.clone()).unwrap_or_default();
                self.err(
                    "unit-mismatch",
                    n.span,
                    format!("cannot compare a plain number with {}", self.quantity_label(q)),
                    format!("give the number its unit, e.g. `30 {unit}`"),
                );
                return;
            }
            (a, b) if compatible(a, b) => true,
            _ => false,
        };
        if !ok {
            let (x, y) = (self.ty_name(&l.ty), self.ty_name(&r.ty));
            let d = Diagnostic::error("type-mismatch", &self.file, span, format!("cannot compare {x} with {y}"))
                .with_label(format!("`{}` here", op.symbol()))
                .with_help(if matches!((&l.ty, &r.ty), (Ty::Date, Ty::DateTime) | (Ty::DateTime, Ty::Date)) {
                    "both sides of a comparison have the same type: compare `date(t)` with a date, or the datetime \
                     with a datetime such as `2019-01-01T00:00`"
                } else {
                    "both sides of a comparison have the same type"
                });
            self.diags.push(d);
            return;
        }
        if !matches!(op, BinOp::Eq | BinOp::Ne)
            && matches!(l.ty, Ty::Bool | Ty::Text | Ty::Enum(_) | Ty::Ref(_) | Ty::Party | Ty::List(_))
        {
            let x = self.ty_name(&l.ty);
            self.err(
                "type-mismatch",
                span,
                format!("`{}` orders numbers, quantities, percentages and dates, not {x}", op.symbol()),
                "use `==` or `!=`",
            );
        }
    }
}
pub(super) fn compatible(a: &Ty, b: &Ty) -> bool {
    match (a, b) {
        (Ty::Error, _) | (_, Ty::Error) => true,
        (Ty::List(x), Ty::List(y)) => compatible(x, y),
        _ => a == b,
    }
}
