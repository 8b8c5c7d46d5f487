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
use super::verdict::{EvidenceAt, EvidenceRec, Rec, RecExtra, SanctionRec, Span, SubjectRec};
use crate::facts::{Column, Facts};
use crate::model::{ForDef, RecordId, Requirement, TExpr, TKind, TStmt};
use crate::syntax::ast::{BinOp, UnOp};
use crate::value::Value;
use rust_decimal::Decimal;
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
}

impl<'f> ColumnTest<'f> {
    /// The test `e` is, when it compares a field of the row bound to `slot` (a record of kind
    /// `kind`) with a numeric constant, and that field's column holds fixed-point numbers none
    /// of which failed to be read.
    pub fn of(e: &TExpr, slot: u32, kind: RecordId, facts: &'f Facts) -> Option<ColumnTest<'f>> {
        let Compared { slot: s, kind: k, field, constant: c, field_left, op, .. } = Compared::of(e)?;
        if (s, k) != (slot, kind) {
            return None;
        }
        let op = if field_left { op } else { flipped(op)? };
        if !matches!(op, BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge) {
            return None;
        }
        let table = facts.tables.get(kind.index())?;
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
        Some(ColumnTest { column, mantissas, factor, bound, op })
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

/// `x.F op c` or `c op x.F`, where `x` is a local bound to a record and `c` a number written in
/// the policy: the parts a [`ColumnTest`] compiles, and the evidence of a verdict a
/// [`RowBody`] made is written from.
struct Compared<'e> {
    slot: u32,
    kind: RecordId,
    field: u32,
    constant: Decimal,
    field_left: bool,
    /// The sides as written.
    left: &'e TExpr,
    right: &'e TExpr,
    op: BinOp,
}

impl<'e> Compared<'e> {
    fn of(e: &'e TExpr) -> Option<Compared<'e>> {
        let TKind::Binary(op, l, r) = &e.kind else { return None };
        let field_of = |x: &TExpr| match &x.kind {
            TKind::Field(b, k, f) => match b.kind {
                TKind::Local(s) => Some((s, *k, *f)),
                _ => None,
            },
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
        let ((slot, kind, field), constant, field_left) = match (field_of(l), constant(r), field_of(r), constant(l)) {
            (Some(f), Some(c), _, _) => (f, c, true),
            (_, _, Some(f), Some(c)) => (f, c, false),
            _ => return None,
        };
        Some(Compared { slot, kind, field, constant, field_left, left: l, right: r, op: *op })
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

/// The most requirements a compiled body holds (a row's outcomes are kept on the stack).
const MAX_REQUIREMENTS: usize = 8;

/// The body of `for x in KIND { must … }` compiled, when every statement of it is a
/// requirement of the plainest shape: no deadline, no `given`, no role its subject decides, a
/// condition that is one [`ColumnTest`] on `x`; and nothing in the clause makes it out of scope,
/// not started or exempt. A row whose values are present then gives its verdicts straight from
/// the column, each as [`super::requirement`] would make it (the same subject, cited facts,
/// evidence and sanctions), except that its evidence is not kept: it is written from the row
/// when the verdict is ([`row_evidence`]). Any other row is evaluated as before.
pub(super) struct RowBody<'m> {
    kind: RecordId,
    slot: u32,
    reqs: Vec<RowRequirement<'m>>,
}

struct RowRequirement<'m> {
    r: &'m Requirement,
    test: ColumnTest<'m>,
}

impl<'m> RowBody<'m> {
    pub fn of(ev: &mut Ev<'m>, cx: &mut ClauseCx<'m>, f: &'m ForDef, kind: RecordId) -> Option<RowBody<'m>> {
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
            reqs.push(RowRequirement { r, test });
        }
        Some(RowBody { kind, slot: f.slot, reqs })
    }

    /// The verdicts of `row` (a record of the kind, visible as of the date), when every one of
    /// them can be made from the columns; `false`, with nothing done, when not.
    pub fn run(&self, ev: &mut Ev<'m>, cx: &mut ClauseCx<'m>, row: u32) -> bool {
        let kind = self.kind;
        let table = &ev.facts.tables[kind.index()];
        // A record whose date could not be read may not exist yet: the evaluator says so.
        if let Some(d) = ev.model.records[kind.index()].dated
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
            let mut extra = None;
            if status.is_sanctioned() && !q.r.sanctions.is_empty() {
                let mut all = Vec::with_capacity(q.r.sanctions.len());
                for s in &q.r.sanctions {
                    let on = s.on.as_ref().map(|e| (e, ev.eval(e, &mut cx.env)));
                    all.push(SanctionRec { sanction: s.sanction, on });
                }
                extra = Some(Box::new(RecExtra { sanctions: all.into_boxed_slice(), ..RecExtra::default() }));
            }
            let fmt = ev.fmt();
            ev.out.push(
                Rec {
                    clause: cx.ci,
                    req: q.r,
                    status,
                    dup: 0,
                    subject,
                    deadline: None,
                    done_on: None,
                    evidence: EvidenceAt::ROW,
                    computed: Span { start: ev.out.computed.len() as u32, len: 0 },
                    facts,
                    more_facts: 0,
                    extra,
                },
                fmt,
            );
        }
        cx.subject.pop();
        true
    }
}

/// The evidence of a verdict [`RowBody`] made (its evidence kept as [`EvidenceAt::ROW`]),
/// written out as the evaluator would have kept it: the requirement's comparison, the field
/// read from the subject's row, the constant as written, whether it held (read back from the
/// status the requirement's modality gave), and the local that names the row.
pub(crate) fn row_evidence<'m>(
    facts: &Facts,
    v: &Rec<'m>,
    subject: &[SubjectRec],
) -> Option<(EvidenceRec<'m>, (u32, Option<Value>))> {
    let c = Compared::of(&v.req.condition)?;
    let row = subject.iter().rev().find_map(|s| match s {
        SubjectRec::Row(k, r) if *k == c.kind => Some(*r),
        _ => None,
    })?;
    let value = R::V(facts.tables.get(c.kind.index())?.get(c.field as usize, row)?);
    let constant = R::V(Value::Num(c.constant));
    let (left_value, right_value) = if c.field_left { (value, constant) } else { (constant, value) };
    let holds = v.status == super::condition_status(true, v.req.modality);
    let evidence = EvidenceRec {
        left: c.left,
        right: c.right,
        op: c.op,
        left_value,
        right_value,
        holds: Some(holds),
        locals: Span { start: 0, len: 1 },
    };
    Some((evidence, (c.slot, Some(Value::Ref(c.kind, row)))))
}
