//! Comparisons compiled to read typed columns.
//!
//! The evaluator ([`super::expr`]) walks a typed expression per record: for a filter such as
//! `PM10小時均值 >= 250 ug/m3` in `count(工地揚塵監測 where 工地 == s and PM10小時均值 >= 250 ug/m3)`
//! that is a field read into a `Value`, a constant cloned, two exact decimals compared, for each
//! of the rows the index gave. A [`ColumnTest`] is that comparison lowered once, when the
//! aggregate is evaluated, to the column it reads: the constant is put at the column's
//! fixed-point scale, and each row is one integer comparison of mantissas. It is exact: both
//! sides are the decimals the interpreter compares, at one scale, in 128-bit integers chosen so
//! that no product overflows.
//!
//! A test answers only for a row whose value is present; for any other row (absent, or a cell
//! that could not be read) the caller evaluates the expression as before, so what such a row
//! means (`unknown` with its reason, or no match) is said in one place. The interpreter stays
//! the reference: `evaluate_interpreted` evaluates without compiled tests, and a test holds
//! the two to the same report on every policy test block and example.

use super::ClauseCx;
use super::expr::{Ev, R};
use super::verdict::{EvidenceRec, Rec, RecExtra, SanctionRec, Span, SubjectRec};
use crate::facts::{Column, Facts};
use crate::model::{ForDef, Requirement, TExpr, TKind, TStmt};
use crate::syntax::ast::{BinOp, UnOp};
use crate::value::Value;
use std::cmp::Ordering;

/// `x.F op c` over the rows of `x`'s kind, where `F` is held as fixed-point mantissas and `c` is
/// a number. See the module documentation.
pub(crate) struct ColumnTest<'f> {
    column: &'f Column,
    mantissas: &'f [i64],
    /// The factor that puts a mantissa at the scale both sides are compared at.
    factor: i128,
    /// The constant at that scale.
    bound: i128,
    /// The comparison with the field on the left.
    op: BinOp,
    /// Whether the field is written on the left.
    field_left: bool,
}

impl<'f> ColumnTest<'f> {
    /// The test `e` is, when it compares a field of the row bound to `slot` (a record of kind
    /// `kind`) with a numeric constant, and that field's column holds fixed-point numbers none
    /// of which failed to be read.
    pub fn of(e: &TExpr, slot: u32, kind: u32, facts: &'f Facts) -> Option<ColumnTest<'f>> {
        let TKind::Binary(op, l, r) = &e.kind else { return None };
        let field_of = |x: &TExpr| match &x.kind {
            TKind::Field(b, k, f) if *k == kind && matches!(b.kind, TKind::Local(s) if s == slot) => Some(*f),
            _ => None,
        };
        let constant = |x: &TExpr| match &x.kind {
            TKind::Const(Value::Num(n)) => Some(*n),
            TKind::Unary(UnOp::Neg, x) => match &x.kind {
                TKind::Const(Value::Num(n)) => Some(-*n),
                _ => None,
            },
            _ => None,
        };
        let (field, c, op, field_left) = match (field_of(l), constant(r), field_of(r), constant(l)) {
            (Some(f), Some(c), _, _) => (f, c, *op, true),
            (_, _, Some(f), Some(c)) => (f, c, flipped(*op)?, false),
            _ => return None,
        };
        if !matches!(op, BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge) {
            return None;
        }
        let table = facts.tables.get(kind as usize)?;
        if table.bad_by_field.get(field as usize).is_some_and(|&n| n > 0) {
            return None;
        }
        let column = table.columns.get(field as usize)?;
        let (scale, mantissas) = column.fixed()?;
        // Both sides at the larger scale: a mantissa (below 2^63) times at most 10^19 stays
        // below 2^127, and the constant's product is checked.
        let at = scale.max(c.scale());
        if at - scale > 19 {
            return None;
        }
        let factor = 10i128.pow(at - scale);
        let bound = c.mantissa().checked_mul(10i128.checked_pow(at - c.scale())?)?;
        Some(ColumnTest { column, mantissas, factor, bound, op, field_left })
    }

    /// Whether `row` passes, when its value is present; `None` when it is not, for the caller
    /// to evaluate the expression.
    pub fn test(&self, row: u32) -> Option<bool> {
        let row = row as usize;
        if !self.column.is_present(row) {
            return None;
        }
        let ord = (i128::from(self.mantissas[row]) * self.factor).cmp(&self.bound);
        Some(match self.op {
            BinOp::Eq => ord == Ordering::Equal,
            BinOp::Ne => ord != Ordering::Equal,
            BinOp::Lt => ord == Ordering::Less,
            BinOp::Le => ord != Ordering::Greater,
            BinOp::Gt => ord == Ordering::Greater,
            _ => ord != Ordering::Less,
        })
    }
}

/// `c op x` as `x op' c`.
fn flipped(op: BinOp) -> Option<BinOp> {
    Some(match op {
        BinOp::Eq => BinOp::Eq,
        BinOp::Ne => BinOp::Ne,
        BinOp::Lt => BinOp::Gt,
        BinOp::Le => BinOp::Ge,
        BinOp::Gt => BinOp::Lt,
        BinOp::Ge => BinOp::Le,
        _ => return None,
    })
}

/// The body of `for x in KIND { must … }` compiled, when every statement of it is a
/// requirement of the plainest shape: no deadline, no `given`, no role its subject decides, a
/// condition that is one [`ColumnTest`] on `x`; and nothing in the clause makes it out of scope,
/// not started or exempt. A row whose values are present then gives its verdicts straight from
/// the column, each as [`super::requirement`] would make it (the same subject, cited facts,
/// evidence and sanctions); any other row is evaluated as before.
/// The most requirements a compiled body holds (a row's outcomes are kept on the stack).
const MAX_REQUIREMENTS: usize = 8;

pub(super) struct RowBody<'m> {
    kind: u32,
    slot: u32,
    reqs: Vec<RowRequirement<'m>>,
}

struct RowRequirement<'m> {
    r: &'m Requirement,
    test: ColumnTest<'m>,
    /// The two sides as written, and which is the field; the other side's value, evaluated once.
    left: &'m TExpr,
    right: &'m TExpr,
    op: BinOp,
    field: u32,
    field_left: bool,
    constant: R,
}

impl<'m> RowBody<'m> {
    pub fn of(ev: &mut Ev<'m>, cx: &mut ClauseCx<'m>, f: &'m ForDef, kind: u32) -> Option<RowBody<'m>> {
        if !ev.compiled
            || f.filter.is_some()
            || !f.exemptions.is_empty()
            || !cx.exemptions.is_empty()
            || cx.not_applicable.is_some()
            || cx.not_started.is_some()
            || cx.outside.is_some()
            || f.body.is_empty()
            || f.body.len() > MAX_REQUIREMENTS
        {
            return None;
        }
        let mut reqs = Vec::with_capacity(f.body.len());
        for s in &f.body {
            let TStmt::Require(r) = s else { return None };
            if r.deadline.is_some() || r.given.is_some() || !r.roles.is_empty() {
                return None;
            }
            let test = ColumnTest::of(&r.condition, f.slot, kind, ev.facts)?;
            let TKind::Binary(op, left, right) = &r.condition.kind else { return None };
            let (field_side, other) = if test.field_left { (&**left, &**right) } else { (&**right, &**left) };
            let TKind::Field(_, _, field) = field_side.kind else { return None };
            let constant = ev.eval(other, &mut cx.env);
            reqs.push(RowRequirement { r, field, field_left: test.field_left, test, left, right, op: *op, constant });
        }
        Some(RowBody { kind, slot: f.slot, reqs })
    }

    /// The verdicts of `row` (a record of the kind, visible as of the date), when every one of
    /// them can be made from the columns; `false`, with nothing done, when not.
    pub fn run(&self, ev: &mut Ev<'m>, cx: &mut ClauseCx<'m>, row: u32) -> bool {
        let kind = self.kind;
        let table = &ev.facts.tables[kind as usize];
        // A record whose date could not be read may not exist yet: the evaluator says so.
        if let Some(d) = ev.model.records[kind as usize].dated
            && table.bad_cell(row, d as u32).is_some()
        {
            return false;
        }
        let mut holds = [false; MAX_REQUIREMENTS];
        for (h, q) in holds.iter_mut().zip(&self.reqs) {
            match q.test.test(row) {
                Some(b) => *h = b,
                None => return false,
            }
        }
        let subject = SubjectRec::Row(kind, row);
        cx.env[self.slot as usize] = Some(R::V(Value::Ref(kind, row)));
        ev.mark_used(kind, row);
        cx.subject.push(subject);
        for (q, &b) in self.reqs.iter().zip(&holds) {
            let subject = ev.out.subject(&cx.subject);
            let start = ev.out.cited.len() as u32;
            ev.out.cited.extend(cx.subject.iter().filter_map(SubjectRec::row));
            let facts = Span { start, len: ev.out.cited.len() as u32 - start };
            // The field read, as reading it marks it; its row is the subject's, cited above.
            ev.mark_used(kind, row);
            let status = super::condition_status(b, q.r.modality);
            let value = match ev.facts.tables[kind as usize].get(q.field as usize, row) {
                Some(v) => R::V(v),
                None => unreachable!("a present value, as the test found"),
            };
            let (left_value, right_value) =
                if q.field_left { (value, q.constant.clone()) } else { (q.constant.clone(), value) };
            let local = ev.out.locals.len() as u32;
            ev.out.locals.push((self.slot, Some(Value::Ref(kind, row))));
            let evidence = ev.out.evidence.len() as u32;
            ev.out.evidence.push(EvidenceRec {
                left: q.left,
                right: q.right,
                op: q.op,
                left_value,
                right_value,
                holds: Some(b),
                locals: Span { start: local, len: 1 },
            });
            let mut extra = None;
            if status.is_sanctioned() && !q.r.sanctions.is_empty() {
                let mut all = Vec::with_capacity(q.r.sanctions.len());
                for s in &q.r.sanctions {
                    let on = s.on.as_ref().map(|e| (e, ev.eval(e, &mut cx.env)));
                    all.push(SanctionRec { sanction: s.sanction, on });
                }
                extra = Some(Box::new(RecExtra { sanctions: all.into_boxed_slice(), ..RecExtra::default() }));
            }
            ev.out.recs.push(Rec {
                clause: cx.ci,
                req: q.r,
                status,
                dup: 0,
                subject,
                deadline: None,
                done_on: None,
                evidence: Span { start: evidence, len: 1 },
                computed: Span { start: ev.out.computed.len() as u32, len: 0 },
                facts,
                more_facts: 0,
                extra,
            });
        }
        cx.subject.pop();
        true
    }
}
