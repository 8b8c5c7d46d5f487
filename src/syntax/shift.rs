//! Moving every span of a piece of syntax by the same number of bytes: an item parsed on its
//! own, its spans counted from its first byte, put back at its place in its file.
//!
//! Every struct is taken apart whole (no `..`), so a field added to the AST does not compile
//! here until it is moved too, and a span cannot be left behind.

use super::ast::*;
use crate::diagnostic::Span;

/// Syntax whose spans can be moved.
pub(super) trait Shift {
    fn shift(&mut self, by: u32);
}

impl Shift for Span {
    fn shift(&mut self, by: u32) {
        self.start += by;
        self.end += by;
    }
}

impl<T: Shift> Shift for Option<T> {
    fn shift(&mut self, by: u32) {
        if let Some(x) = self {
            x.shift(by);
        }
    }
}

impl<T: Shift> Shift for Vec<T> {
    fn shift(&mut self, by: u32) {
        for x in self {
            x.shift(by);
        }
    }
}

impl<T: Shift> Shift for Box<T> {
    fn shift(&mut self, by: u32) {
        (**self).shift(by);
    }
}

impl<A: Shift, B: Shift> Shift for (A, B) {
    fn shift(&mut self, by: u32) {
        self.0.shift(by);
        self.1.shift(by);
    }
}

impl<A: Shift, B: Shift, C: Shift> Shift for (A, B, C) {
    fn shift(&mut self, by: u32) {
        self.0.shift(by);
        self.1.shift(by);
        self.2.shift(by);
    }
}

/// Plain data inside the AST: nothing to move.
macro_rules! no_spans {
    ($($t:ty),*) => {
        $(impl Shift for $t {
            fn shift(&mut self, _: u32) {}
        })*
    };
}
no_spans!(String, bool, BinOp, UnOp, Modality, DeadlineKind, EveryUnit);

/// A struct: each listed field moved, and the pattern names every field.
macro_rules! fields {
    ($t:ident { $($f:ident),* }) => {
        impl Shift for $t {
            fn shift(&mut self, by: u32) {
                let $t { $($f),* } = self;
                $($f.shift(by);)*
            }
        }
    };
}
fields!(Name { text, span });
fields!(Str { text, span });
fields!(Module { items });
fields!(Outline { title, entries, span });
fields!(Untestable { number, text, reason, span });
fields!(Plan { name, title, period, issued, roles, default_roles, calendar, month_overflow, timezone, language, span });
fields!(DefaultRole { role, parties, sections, span });
fields!(DateLit { text, span });
fields!(Party { name, full_name, span });
fields!(Group { name, full_name, members, span });
fields!(UnitDecl { name, amount, unit, span });
fields!(EnumDecl { name, label, variants, span });
fields!(Record { name, label, key, dated, fields, source, derive, span });
fields!(Derive { from, filter, groups, fields, window, span });
fields!(Import { name, span });
fields!(DerivedField { name, value, given, span });
fields!(Source { files, missing, ignore, columns, span });
fields!(SourceColumn { field, columns, span });
fields!(Field { name, optional, ty, range, span });
fields!(FieldRange { both, ends, span });
fields!(RangeEnd { low, value, inclusive, span });
fields!(Period { name, label, ranges, span });
fields!(Calendar { name, source, holidays, workdays, span });
fields!(Sanction { name, text, span });
fields!(Param { name, ty });
fields!(Cite { number, text, span });
fields!(Rule { name, params, label, cite, lets, body, span });
fields!(Table { name, params, label, cite, rows, span });
fields!(TableRow { patterns, value, span });
fields!(Clause { name, title, body, span });
fields!(Every { unit, var, of, body, span });
fields!(For { var, scope, keys, filter, unless, body, span });
fields!(Let { name, value, span });
fields!(Requirement { modality, label, condition, deadline, given, text, span });
fields!(Test { name, as_of, facts, expects, span });
fields!(TestFact { kind, fields, span });
fields!(Expect { clause, keys, requirement, status, span });
fields!(MatchArm { patterns, value, span });
fields!(Arg { value, filter, during, span });

impl Shift for Item {
    fn shift(&mut self, by: u32) {
        match self {
            Item::Plan(x) => x.shift(by),
            Item::Party(x) => x.shift(by),
            Item::Group(x) => x.shift(by),
            Item::Unit(x) => x.shift(by),
            Item::Enum(x) => x.shift(by),
            Item::Import(x) => x.shift(by),
            Item::Record(x) => x.shift(by),
            Item::Period(x) => x.shift(by),
            Item::Calendar(x) => x.shift(by),
            Item::Sanction(x) => x.shift(by),
            Item::Rule(x) => x.shift(by),
            Item::Table(x) => x.shift(by),
            Item::Clause(x) => x.shift(by),
            Item::Test(x) => x.shift(by),
            Item::Outline(x) => x.shift(by),
            Item::Untestable(x) => x.shift(by),
        }
    }
}

impl Shift for RowValue {
    fn shift(&mut self, by: u32) {
        match self {
            RowValue::Value(e) => e.shift(by),
            RowValue::Gap(s) => s.shift(by),
        }
    }
}

impl Shift for Pattern {
    fn shift(&mut self, by: u32) {
        match self {
            Pattern::Any(span) => span.shift(by),
            Pattern::Cmp(_, e) | Pattern::Eq(e) => e.shift(by),
        }
    }
}

impl Shift for Stmt {
    fn shift(&mut self, by: u32) {
        match self {
            Stmt::Cite(x) => x.shift(by),
            Stmt::Role { role, parties, fields, span } => {
                role.shift(by);
                parties.shift(by);
                fields.shift(by);
                span.shift(by);
            }
            Stmt::During(e) | Stmt::Unless(e, _) => e.shift(by),
            Stmt::For(x) => x.shift(by),
            Stmt::Let(x) => x.shift(by),
            Stmt::Require(x) => x.shift(by),
            Stmt::Otherwise { sanctions, on, span } => {
                sanctions.shift(by);
                on.shift(by);
                span.shift(by);
            }
            Stmt::Every(x) => x.shift(by),
            Stmt::Roll(span) => span.shift(by),
        }
    }
}

/// An expression, with a stack rather than recursion: expressions nest as deep as the parser
/// allowed, and this must not be where a deep one overflows.
impl Shift for Expr {
    fn shift(&mut self, by: u32) {
        let mut stack: Vec<&mut Expr> = vec![self];
        while let Some(e) = stack.pop() {
            e.span.shift(by);
            match &mut e.kind {
                ExprKind::Bool(_)
                | ExprKind::Number(_)
                | ExprKind::Percent(_)
                | ExprKind::Date(_)
                | ExprKind::DateTime(_)
                | ExprKind::Text(_)
                | ExprKind::Name(_) => {}
                ExprKind::Quantity { amount: _, unit } => unit.shift(by),
                ExprKind::PlanRef(n) => n.shift(by),
                ExprKind::Field(b, n) => {
                    n.shift(by);
                    stack.push(b);
                }
                ExprKind::Unary(_, b) => stack.push(b),
                ExprKind::Binary(_, a, b) => {
                    stack.push(a);
                    stack.push(b);
                }
                ExprKind::List(xs) => stack.extend(xs.iter_mut()),
                ExprKind::If(a, b, c) => {
                    stack.push(a);
                    stack.push(b);
                    stack.push(c);
                }
                ExprKind::Match(s, arms) => {
                    stack.push(s);
                    for MatchArm { patterns, value, span } in arms {
                        patterns.shift(by);
                        span.shift(by);
                        stack.push(value);
                    }
                }
                ExprKind::Call { func, args, text: _, empty } => {
                    func.shift(by);
                    if let Some(x) = empty {
                        stack.push(x);
                    }
                    for Arg { value, filter, during, span } in args {
                        span.shift(by);
                        stack.push(value);
                        stack.extend(filter.as_mut());
                        stack.extend(during.as_mut());
                    }
                }
            }
        }
    }
}

impl Module {
    /// Moves every span `by` bytes later.
    pub fn shift(&mut self, by: u32) {
        Shift::shift(self, by);
    }
}
