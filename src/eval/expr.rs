//! Expression evaluation with three outcomes: a value, an absent optional value, or unknown.

use super::Out;
use super::Said;
use super::verdict::{ComputedRec, EvidenceRec, FactRef, Span, Status};
use crate::facts::Facts;
use crate::model::*;
use crate::syntax::ast::{BinOp, UnOp};
use crate::value::{Date, Value};
use rust_decimal::Decimal;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

/// The result of evaluating an expression.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum R {
    V(Value),
    /// An optional field with no value: meaningful (a duty not yet done), never a pass.
    Absent(String),
    /// A fact the expression needs is missing or unreadable; the reason names it.
    Unknown(String),
}

/// What one requirement's evaluation saw: raw values, written out only with the report.
#[derive(Default)]
pub(crate) struct Trace<'m> {
    pub evidence: Vec<EvidenceRec<'m>>,
    /// The variables that name the evidence's expressions; its spans point here.
    pub locals: Vec<(u32, Option<Value>)>,
    pub computed: Vec<ComputedRec<'m>>,
    pub used: Vec<(RecordId, u32)>,
    pub more_used: usize,
    pub provisional: Option<String>,
    /// An aggregate found no records in a period that is not over: (its `unknown` reason, why
    /// none may be there yet). A duty not yet due that is unknown for this reason alone is
    /// `pending`.
    pub open_empty: Vec<(String, String)>,
}

/// Rows one verdict records by position before it only counts them.
const TRACE_CAP: usize = 64;

/// Rows of a kind grouped by one field's value, with the count of rows where it is absent.
#[derive(Clone)]
struct Index {
    rows: rustc_hash::FxHashMap<Value, Arc<[u32]>>,
    absent: Vec<u32>,
}

/// Rows of a kind grouped by the value a chain of fields reaches (see [`Ev::path_index`]).
#[derive(Clone)]
struct PathIndex {
    rows: rustc_hash::FxHashMap<Value, Arc<[u32]>>,
    /// Rows whose chain could not be read (a field unreadable, a required one missing): each
    /// may or may not match, so it is a candidate of every lookup and, should the rest of the
    /// filter not rule it out, makes the aggregate `unknown` as a scan would.
    doubtful: Arc<[u32]>,
}

pub(crate) struct Ev<'m> {
    pub model: &'m Model,
    pub facts: &'m Facts,
    pub as_of: Date,
    /// Facts dated after the horizon are not known yet. Normally the as-of date.
    horizon: Date,
    /// How far recurring obligations over open-ended periods are listed: the as-of date, or
    /// the end of an agenda's window.
    pub through: Date,
    indexes: HashMap<(RecordId, u32), Index>,
    path_indexes: HashMap<FieldPath, PathIndex>,
    /// The verdicts so far, which `violated(…)` and `fulfilled(…)` read.
    pub out: Out<'m>,
    /// Whether this evaluates part of a scope on another thread (see `run_for`), with its own
    /// `out` and no verdicts before it to read.
    worker: bool,
    /// Set in a worker when `violated(…)` or `fulfilled(…)` asked for the verdicts it lacks:
    /// its part is then evaluated again where they are.
    pub needs_prior: bool,
    /// How many threads a large scope may be split across.
    pub threads: usize,
    pub clause_index: HashMap<String, ClauseId>,
    /// Which rows some verdict read, per kind: `used[kind][row]`.
    pub used: Vec<Vec<bool>>,
    /// Record kind names, shared by every fact reference.
    pub kind_names: Vec<Arc<str>>,
    trace: Option<Trace<'m>>,
    /// Whether comparisons compiled to read columns ([`super::compiled`]) are used where they
    /// apply; without them, everything is evaluated by walking the expressions.
    pub compiled: bool,
    /// A trace given back after use ([`Ev::recycle_trace`]), whose lists the next one fills
    /// again rather than allocating: a million verdicts, a million traces.
    spare: Trace<'m>,
    /// Nesting depth of per-record evaluation inside aggregates, where nothing is traced.
    quiet: u32,
    /// While a derived kind's values are computed: the source kind and the rows of the group,
    /// ascending, which alone an aggregate over that kind sees.
    pub restrict: Option<(RecordId, Arc<[u32]>)>,
    /// The engine that computes clauses' aggregates per subject, when one does
    /// (`--engine datafusion`).
    pub per_subject: Option<&'m dyn super::PerSubject>,
}

impl<'m> Ev<'m> {
    pub fn new(model: &'m Model, facts: &'m Facts, as_of: Date) -> Self {
        Ev {
            model,
            facts,
            as_of,
            horizon: as_of,
            through: as_of,
            indexes: HashMap::new(),
            path_indexes: HashMap::new(),
            out: Out::default(),
            worker: false,
            needs_prior: false,
            threads: 1,
            clause_index: HashMap::new(),
            used: facts.tables.iter().map(|t| vec![false; t.origins.len()]).collect(),
            kind_names: model.records.iter().map(|r| Arc::from(r.name.as_str())).collect(),
            trace: None,
            compiled: true,
            spare: Trace::default(),
            quiet: 0,
            restrict: None,
            per_subject: None,
        }
    }

    /// An evaluator for one part of a scope on another thread: the same model, facts and dates,
    /// the indexes built so far, its own verdicts and used rows.
    pub fn worker(&self) -> Ev<'m> {
        Ev {
            model: self.model,
            facts: self.facts,
            as_of: self.as_of,
            horizon: self.horizon,
            through: self.through,
            indexes: self.indexes.clone(),
            path_indexes: self.path_indexes.clone(),
            out: Out { folded: self.out.folded.like(), ..Out::default() },
            worker: true,
            needs_prior: false,
            threads: 1,
            clause_index: self.clause_index.clone(),
            used: self.facts.tables.iter().map(|t| vec![false; t.origins.len()]).collect(),
            kind_names: self.kind_names.clone(),
            trace: None,
            compiled: self.compiled,
            spare: Trace::default(),
            quiet: 0,
            restrict: self.restrict.clone(),
            per_subject: self.per_subject,
        }
    }

    pub fn set_horizon(&mut self, d: Date) -> Date {
        std::mem::replace(&mut self.horizon, d)
    }

    pub fn start_trace(&mut self) {
        let mut t = std::mem::take(&mut self.spare);
        t.evidence.clear();
        t.locals.clear();
        t.computed.clear();
        t.used.clear();
        t.more_used = 0;
        t.provisional = None;
        t.open_empty.clear();
        self.trace = Some(t);
        self.quiet = 0;
    }

    /// Gives back a trace [`Ev::end_trace`] returned, once what it holds has been taken.
    pub fn recycle_trace(&mut self, t: Trace<'m>) {
        self.spare = t;
    }

    /// Why the traced evaluation is provisional (it read a period that is not over), if it is.
    pub fn provisional(&self) -> Option<String> {
        self.trace.as_ref().and_then(|t| t.provisional.clone())
    }
    /// Why an aggregate over a period not over found no records, and why none may be there yet,
    /// when that is the `unknown` reason given.
    pub fn open_empty(&self, reason: &str) -> Option<String> {
        let t = self.trace.as_ref()?;
        t.open_empty.iter().find(|(why, _)| why == reason).map(|(_, open)| open.clone())
    }
    pub fn pause_trace(&mut self) {
        self.quiet += 1;
    }
    pub fn resume_trace(&mut self) {
        self.quiet = self.quiet.saturating_sub(1);
    }
    pub fn end_trace(&mut self) -> Trace<'m> {
        let mut t = self.trace.take().unwrap_or_default();
        t.used.sort();
        t.used.dedup();
        t
    }

    /// Counts a row as used by some verdict, for the summary's accounting.
    pub fn mark_used(&mut self, kind: RecordId, row: u32) {
        if let Some(u) = self.used.get_mut(kind.index()).and_then(|t| t.get_mut(row as usize)) {
            *u = true;
        }
    }

    /// Records a fact a traced verdict used; past a cap, only counts it.
    fn note_used(&mut self, k: RecordId, row: u32) {
        if let Some(t) = &mut self.trace {
            if t.used.len() < TRACE_CAP {
                t.used.push((k, row));
            } else {
                t.more_used += 1;
            }
        }
    }

    /// The date ranges of a period, both ends included.
    pub fn ranges(&mut self, p: &'m TPeriod, env: &mut Vec<Option<R>>) -> Result<Vec<(Date, Date)>, String> {
        match p {
            TPeriod::Named(i) => Ok(self.model.periods[*i as usize].ranges.clone()),
            TPeriod::Year(y) => match (Date::from_ymd(*y, 1, 1), Date::from_ymd(*y, 12, 31)) {
                (Some(a), Some(b)) => Ok(vec![(a, b)]),
                _ => Err(format!("{y} is not a year writ can place")),
            },
            TPeriod::Plan => match (self.model.plan.start, self.model.plan.end) {
                (Some(a), Some(b)) => Ok(vec![(a, b)]),
                _ => Err("the plan has no period".into()),
            },
            TPeriod::Dynamic(e) => match self.eval(e, env) {
                R::V(Value::Interval(a, b)) => Ok(vec![(a, b)]),
                R::V(_) => Err("not an interval".into()),
                R::Absent(why) | R::Unknown(why) => Err(why),
            },
        }
    }

    /// A period as a verdict names it: its name or year, or the dates of a computed one.
    pub fn period_label(&self, p: &TPeriod, rs: &[(Date, Date)]) -> String {
        match (p, rs) {
            (TPeriod::Dynamic(_), [(a, b)]) => interval_label(*a, *b),
            _ => self.period_name(p),
        }
    }

    pub fn period_name(&self, p: &TPeriod) -> String {
        match p {
            TPeriod::Named(i) => format!("`{}`", self.model.periods[*i as usize].name),
            TPeriod::Year(y) => y.to_string(),
            TPeriod::Plan => super::said::PLAN_PERIOD.into(),
            TPeriod::Dynamic(_) => super::said::A_PERIOD.into(),
        }
    }

    /// A record dated after the horizon does not exist yet; undated records always count.
    pub fn visible(&self, kind: RecordId, row: u32) -> bool {
        match self.model.records[kind.index()].dated {
            None => true,
            Some(f) => match self.facts.tables[kind.index()].date(f, row) {
                Some(d) => d <= self.horizon,
                _ => true,
            },
        }
    }

    pub fn lookup_key(&self, kind: RecordId, key: &str) -> R {
        let name = &self.model.records[kind.index()].name;
        let table = &self.facts.tables[kind.index()];
        let dated = self.model.records[kind.index()].dated.map(|d| d as u32);
        match table.by_key.get(key) {
            // A record whose date could not be read may not exist yet as of the date.
            Some(row) if dated.is_some_and(|d| table.bad_cell(row, d).is_some()) => R::Unknown(format!(
                "whether the record is known yet is unknown: {}",
                self.bad_cell_reason(kind, row, dated.unwrap_or_default())
            )),
            Some(row) if self.visible(kind, row) => R::V(Value::Ref(kind, row)),
            Some(_) => R::Unknown(format!("the {name} record `{key}` is dated after {}", self.horizon)),
            None => match table.rejected.iter().find(|r| r.key.as_deref() == Some(key)) {
                Some(rej) => {
                    R::Unknown(format!("the {name} record `{key}` (line {}) was rejected: {}", rej.line, rej.reason))
                }
                // The record may be among those that were not read.
                None => match table.incomplete.first() {
                    Some(loss) => R::Unknown(format!(
                        "no {name} record `{key}` was read, and the {name} records are incomplete: {}",
                        loss.describe(name)
                    )),
                    None => match table.rejected.iter().find(|r| r.key.is_none()) {
                        Some(rej) => R::Unknown(format!(
                            "no {name} record `{key}` was read, and the {name} record at line {} was rejected \
                             before its key could be read: {}",
                            rej.line, rej.reason
                        )),
                        None => R::Unknown(format!("no {name} record `{key}` in the facts")),
                    },
                },
            },
        }
    }

    /// Why a field of a row is unknown: it was written, but could not be read.
    pub fn bad_cell_reason(&self, kind: RecordId, row: u32, field: u32) -> String {
        let rec = &self.model.records[kind.index()];
        let table = &self.facts.tables[kind.index()];
        let o = table.origin(row);
        let file = self.facts.files.get(o.file as usize).map_or("", |f| &**f);
        let why = table.bad_cell(row, field).map_or("", |w| &**w);
        if rec.derived {
            return format!("{}[{}].{} is unknown: {why}", rec.name, o.key, rec.fields[field as usize].name);
        }
        format!(
            "{}[{}].{} could not be read ({file}:{}): {why}",
            rec.name, o.key, rec.fields[field as usize].name, o.line
        )
    }

    /// The first row of a kind whose `field` could not be read, when some could not.
    pub fn first_bad(&self, kind: RecordId, field: u32) -> Option<u32> {
        self.facts.tables[kind.index()].first_bad.get(field as usize).copied().flatten()
    }

    /// What values are written with: the model and the facts.
    pub fn fmt(&self) -> Fmt<'m> {
        Fmt { model: self.model, facts: self.facts }
    }

    /// A value as plain text: keys, names, numbers without units.
    pub fn plain(&self, v: &Value) -> String {
        self.fmt().plain(v)
    }

    pub fn eval(&mut self, e: &'m TExpr, env: &mut Vec<Option<R>>) -> R {
        match &e.kind {
            TKind::Const(v) => R::V(v.clone()),
            TKind::Local(s) => env
                .get(*s as usize)
                .cloned()
                .flatten()
                .unwrap_or_else(|| R::Unknown("a variable was read before it was set".into())),
            TKind::Field(b, kind, fi) => {
                let base = self.eval(b, env);
                let (k, row) = match base {
                    R::V(Value::Ref(k, row)) => (k, row),
                    R::V(_) => return R::Unknown("not a record".into()),
                    other => return other,
                };
                debug_assert_eq!(k, *kind);
                if self.quiet == 0 {
                    self.note_used(k, row);
                }
                self.mark_used(k, row);
                let table = &self.facts.tables[k.index()];
                match table.get(*fi as usize, row) {
                    Some(v) => R::V(v),
                    None if table.bad_cell(row, *fi).is_some() => R::Unknown(self.bad_cell_reason(k, row, *fi)),
                    None => {
                        let rec = &self.model.records[k.index()];
                        let f = &rec.fields[*fi as usize];
                        let key = self.facts.tables[k.index()].key(row);
                        let why = Said::Missing(&format!("{}[{key}].{}", rec.name, f.name)).text();
                        if f.optional { R::Absent(why) } else { R::Unknown(why) }
                    }
                }
            }
            TKind::Unary(op, x) => match (op, self.eval(x, env)) {
                (UnOp::Not, R::V(Value::Bool(b))) => R::V(Value::Bool(!b)),
                (UnOp::Neg, R::V(Value::Num(n))) => R::V(Value::Num(-n)),
                (_, R::V(_)) => R::Unknown("type error".into()),
                (_, other) => unknown(other),
            },
            TKind::Binary(op, l, r) => self.binary(*op, l, r, env),
            TKind::List(xs) => {
                let mut out = Vec::with_capacity(xs.len());
                for x in xs {
                    match self.eval(x, env) {
                        R::V(v) => out.push(v),
                        other => return unknown(other),
                    }
                }
                R::V(Value::List(Arc::from(out)))
            }
            TKind::If(c, a, b) => match self.eval(c, env) {
                R::V(Value::Bool(true)) => self.eval(a, env),
                R::V(Value::Bool(false)) => self.eval(b, env),
                R::V(_) => R::Unknown("type error".into()),
                other => unknown(other),
            },
            TKind::Match(s, arms) => match self.eval(s, env) {
                R::V(Value::Enum(v)) => {
                    for (pats, val) in arms {
                        if pats.is_empty() || pats.contains(&v) {
                            return self.eval(val, env);
                        }
                    }
                    R::Unknown("no arm matched".into())
                }
                R::V(_) => R::Unknown("type error".into()),
                other => unknown(other),
            },
            TKind::Rule(ri, args) => {
                let rule = &self.model.rules[*ri as usize];
                let mut frame: Vec<Option<R>> = vec![None; rule.slots.max(args.len() as u32) as usize];
                for (i, a) in args.iter().enumerate() {
                    frame[i] = Some(self.eval(a, env));
                }
                for (slot, e) in &rule.lets {
                    let v = self.eval(e, &mut frame);
                    frame[*slot as usize] = Some(v);
                }
                self.eval(&rule.body, &mut frame)
            }
            TKind::Table(ti, args) => {
                let mut vals = Vec::with_capacity(args.len());
                for a in args {
                    match self.eval(a, env) {
                        R::V(v) => vals.push(v),
                        other => return unknown(other),
                    }
                }
                let table = &self.model.tables[*ti as usize];
                let mut empty: Vec<Option<R>> = vec![];
                'rows: for (pats, value) in &table.rows {
                    for (p, v) in pats.iter().zip(&vals) {
                        if let TPattern::Cmp(op, e) = p {
                            let pv = match self.eval(e, &mut empty) {
                                R::V(x) => x,
                                other => return unknown(other),
                            };
                            match compare(*op, v, &pv) {
                                Some(true) => {}
                                Some(false) => continue 'rows,
                                None => return R::Unknown("table pattern not comparable".into()),
                            }
                        }
                    }
                    return match value {
                        TRowValue::Value(value) => self.eval(value, &mut empty),
                        TRowValue::Gap(why) => {
                            R::Unknown(format!("table `{}` has no value for these inputs: {why}", table.name))
                        }
                    };
                }
                R::Unknown(format!("no row of table `{}` matches", table.name))
            }
            TKind::Aggregate(a) => {
                let top = self.quiet == 0;
                self.quiet += 1;
                let r = self.aggregate(e, a, env, top);
                self.quiet -= 1;
                if top && let Some(t) = &mut self.trace {
                    let c = ComputedRec { expr: e, value: r.clone() };
                    if !t.computed.contains(&c) {
                        t.computed.push(c);
                    }
                }
                r
            }
            TKind::Change(new, old) => {
                let (n, o) = (self.eval(new, env), self.eval(old, env));
                match (n, o) {
                    (R::V(Value::Num(n)), R::V(Value::Num(o))) => {
                        if o.is_zero() {
                            return R::Unknown("the earlier value is zero, so the change is undefined".into());
                        }
                        match (n - o).checked_div(o) {
                            Some(c) => R::V(Value::Num(c)),
                            None => R::Unknown("the change is out of range".into()),
                        }
                    }
                    (R::V(_), R::V(_)) => R::Unknown("type error".into()),
                    (R::V(_), other) | (other, _) => unknown(other),
                }
            }
            TKind::Round(x, step, up) => match (self.eval(x, env), self.eval(step, env)) {
                (R::V(Value::Num(x)), R::V(Value::Num(s))) => {
                    match if *up { crate::stats::ceil_to(x, s) } else { crate::stats::round_to(x, s) } {
                        Some(r) => R::V(Value::Num(r)),
                        None => R::Unknown(format!(
                            "{} cannot be rounded to a multiple of {}",
                            x.normalize(),
                            s.normalize()
                        )),
                    }
                }
                (R::V(_), R::V(_)) => R::Unknown("type error".into()),
                (R::V(_), other) | (other, _) => unknown(other),
            },
            TKind::Exists(x) => match self.eval(x, env) {
                R::V(_) => R::V(Value::Bool(true)),
                R::Absent(_) => R::V(Value::Bool(false)),
                R::Unknown(why) => R::Unknown(why),
            },
            TKind::ClauseStatus { clause, subject, violated } => {
                let key = match self.eval(subject, env) {
                    R::V(v) => self.plain(&v),
                    other => return unknown(other),
                };
                let Some(&ci) = self.clause_index.get(clause) else {
                    return R::Unknown(format!("clause `{clause}` has not been evaluated"));
                };
                let fmt = self.fmt();
                if self.worker {
                    self.needs_prior = true;
                    return R::Unknown(format!("clause `{clause}` is not in this part"));
                }
                let statuses = self.out.statuses(fmt, ci, &key);
                let hit = |s: &Status| {
                    if *violated {
                        s.is_breach()
                    } else {
                        matches!(s, Status::Satisfied | Status::Fulfilled | Status::Met)
                    }
                };
                if statuses.iter().any(hit) {
                    R::V(Value::Bool(true))
                } else if statuses.contains(&Status::Unknown) {
                    R::Unknown(format!("a verdict of `{clause}` for `{key}` is unknown"))
                } else {
                    R::V(Value::Bool(false))
                }
            }
            TKind::Today => R::V(Value::Date(self.horizon)),
            TKind::Interval(op, x, arg) => {
                let v = match self.eval(x, env) {
                    R::V(v) => v,
                    other => return unknown(other),
                };
                match (op, v) {
                    (IntervalOp::Start, Value::Interval(a, _)) => R::V(Value::Date(a)),
                    (IntervalOp::End, Value::Interval(_, b)) => R::V(Value::Date(b)),
                    (IntervalOp::Previous, Value::Interval(a, b)) => shift_interval(a, b, -1),
                    (IntervalOp::Next, Value::Interval(a, b)) => shift_interval(a, b, 1),
                    (IntervalOp::EndOfMonth, Value::Date(d)) => R::V(Value::Date(crate::time::end_of_month(d))),
                    (IntervalOp::DateOf, Value::DateTime(t)) => R::V(Value::Date(t.date())),
                    (IntervalOp::Hour, Value::DateTime(t)) => R::V(Value::Num(t.hour().into())),
                    (IntervalOp::Year, Value::Date(d)) => R::V(Value::Num(crate::time::year_of(d).into())),
                    (IntervalOp::Year, Value::DateTime(t)) => R::V(Value::Num(crate::time::year_of(t.date()).into())),
                    (IntervalOp::Month, Value::Date(d)) => R::V(Value::Num(crate::time::month_of(d).into())),
                    (IntervalOp::Month, Value::DateTime(t)) => R::V(Value::Num(crate::time::month_of(t.date()).into())),
                    (IntervalOp::Day, Value::Interval(a, _)) => {
                        let n = match arg.as_ref().map(|e| self.eval(e, env)) {
                            Some(R::V(Value::Num(n))) => n,
                            Some(R::V(_)) | None => return R::Unknown("type error".into()),
                            Some(other) => return unknown(other),
                        };
                        let (y, m) = (crate::time::year_of(a), crate::time::month_of(a));
                        let day =
                            u32::try_from(n.trunc().mantissa()).ok().filter(|_| n.fract().is_zero() && n.scale() == 0);
                        match day.and_then(|d| Date::from_ymd(y, m, d)) {
                            Some(d) => R::V(Value::Date(d)),
                            None => R::Unknown(format!("{y}-{m:02} has no day {n}")),
                        }
                    }
                    _ => R::Unknown("type error".into()),
                }
            }
            TKind::DateShift(d, dur, back) => match (self.eval(d, env), self.eval(dur, env)) {
                (R::V(Value::Date(d)), R::V(Value::Duration(du))) => {
                    let du = if *back { Duration { amount: -du.amount, ..du } } else { du };
                    let rule = self.model.plan.month_overflow.unwrap_or(crate::time::MonthOverflow::Reject);
                    match crate::time::add_duration(d, du, rule, self.model.calendar.as_ref()) {
                        Ok(x) => R::V(Value::Date(x)),
                        Err(e) => R::Unknown(e.to_string()),
                    }
                }
                (R::V(_), R::V(_)) => R::Unknown("type error".into()),
                (R::V(_), other) | (other, _) => unknown(other),
            },
        }
    }

    fn binary(&mut self, op: BinOp, l: &'m TExpr, r: &'m TExpr, env: &mut Vec<Option<R>>) -> R {
        match op {
            // Kleene logic: a decided side can settle the result even if the other is unknown.
            BinOp::And | BinOp::Or => {
                let short = op == BinOp::Or;
                let a = self.eval(l, env);
                if let R::V(Value::Bool(x)) = a
                    && x == short
                {
                    return R::V(Value::Bool(short));
                }
                let b = self.eval(r, env);
                match (a, b) {
                    (R::V(Value::Bool(_)), R::V(Value::Bool(y))) => R::V(Value::Bool(y)),
                    (_, R::V(Value::Bool(y))) if y == short => R::V(Value::Bool(short)),
                    (R::V(Value::Bool(_)), other) | (other, _) => other,
                }
            }
            BinOp::In | BinOp::NotIn => {
                let a = self.eval(l, env);
                let b = self.eval(r, env);
                let res = match (&a, &b) {
                    (R::V(x), R::V(Value::List(xs))) => R::V(Value::Bool(xs.contains(x) == (op == BinOp::In))),
                    (R::V(_), R::V(_)) => R::Unknown("type error".into()),
                    // An absent optional value stays absent: it compares as "none".
                    (R::V(_), other) | (other, _) => other.clone(),
                };
                self.record(l, r, op, &a, &b, &res, env);
                res
            }
            BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => {
                let a = self.eval(l, env);
                let b = self.eval(r, env);
                let res = match (&a, &b) {
                    (R::V(x), R::V(y)) => match compare(op, x, y) {
                        Some(t) => R::V(Value::Bool(t)),
                        None => R::Unknown("values not comparable".into()),
                    },
                    // An absent optional value stays absent: it compares as "none".
                    (R::V(_), other) | (other, _) => other.clone(),
                };
                self.record(l, r, op, &a, &b, &res, env);
                res
            }
            BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div => {
                let a = self.eval(l, env);
                let b = self.eval(r, env);
                match (a, b) {
                    (R::V(Value::Num(x)), R::V(Value::Num(y))) => {
                        let v = match op {
                            BinOp::Add => x.checked_add(y),
                            BinOp::Sub => x.checked_sub(y),
                            BinOp::Mul => x.checked_mul(y),
                            _ if y.is_zero() => return R::Unknown("division by zero".into()),
                            _ => x.checked_div(y),
                        };
                        match v {
                            Some(v) => R::V(Value::Num(v)),
                            None => R::Unknown("arithmetic out of range".into()),
                        }
                    }
                    (R::V(_), R::V(_)) => R::Unknown("type error".into()),
                    (R::V(_), other) | (other, _) => unknown(other),
                }
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn record(&mut self, l: &'m TExpr, r: &'m TExpr, op: BinOp, a: &R, b: &R, res: &R, env: &[Option<R>]) {
        if self.quiet > 0 {
            return;
        }
        let Some(t) = &mut self.trace else { return };
        let start = t.locals.len();
        capture_locals(l, env, &mut t.locals);
        capture_locals(r, env, &mut t.locals);
        let item = EvidenceRec {
            left: l,
            right: r,
            op,
            left_value: a.clone(),
            right_value: b.clone(),
            holds: match res {
                R::V(Value::Bool(t)) => Some(*t),
                _ => None,
            },
            locals: Span { start: start as u32, len: (t.locals.len() - start) as u32 },
        };
        t.evidence.push(item);
    }

    fn aggregate(&mut self, e: &'m TExpr, a: &'m Aggregate, env: &mut Vec<Option<R>>, top: bool) -> R {
        let kind = a.kind;
        let model = self.model;
        let name = &model.records[kind.index()].name;
        let table = &self.facts.tables[kind.index()];
        if let Some(loss) = table.incomplete.first() {
            return R::Unknown(format!(
                "the {name} records are incomplete, so the {} cannot be known: {}",
                a.func.name(),
                loss.describe(name)
            ));
        }
        if table.rejected_count() > 0 {
            return R::Unknown(format!(
                "{} {name} record(s) were rejected, so the {} cannot be known",
                table.rejected_count(),
                a.func.name()
            ));
        }
        // A record whose date could not be read cannot be placed in time, and a record whose
        // filter field could not be read may or may not match: either makes the result unknown.
        let dated = self.model.records[kind.index()].dated;
        for fi in dated.map(|d| d as u32).into_iter().chain(a.index.iter().map(|(path, _)| path[0].1)) {
            if let Some(row) = self.first_bad(kind, fi) {
                return R::Unknown(format!(
                    "{}, so the {} cannot be known",
                    self.bad_cell_reason(kind, row, fi),
                    a.func.name()
                ));
            }
        }
        // Candidate rows: the group's, while a derived kind is computed; and from the index
        // when the filter has `field == value` parts.
        let mut candidates: Option<Arc<[u32]>> = match &self.restrict {
            Some((k, rows)) if *k == kind => Some(rows.clone()),
            _ => None,
        };
        // Candidates whose field chain could not be read, with the chain.
        let mut doubtful: rustc_hash::FxHashMap<u32, &FieldPath> = Default::default();
        // The subject the index looks up, for an engine that computed the aggregate per subject.
        let mut subject: Option<Value> = None;
        for (path, e) in &a.index {
            let key = match self.eval(e, env) {
                R::V(v) => v,
                other => return unknown(other),
            };
            subject = Some(key.clone());
            if path.len() > 1 {
                let idx = self.path_index(path);
                let found: &[u32] = idx.rows.get(&normalize_key(&key)).map_or(&[], |r| r);
                let rows: Arc<[u32]> = if idx.doubtful.is_empty() {
                    Arc::from(found)
                } else {
                    doubtful.extend(idx.doubtful.iter().map(|&r| (r, path)));
                    let mut all: Vec<u32> = found.iter().chain(idx.doubtful.iter()).copied().collect();
                    all.sort_unstable();
                    Arc::from(all)
                };
                candidates = Some(intersect(candidates, rows));
                continue;
            }
            let fi = &path[0].1;
            let model = self.model;
            let optional = model.records[kind.index()].fields[*fi as usize].optional;
            let idx = self.index(kind, *fi);
            // An absent optional value matches nothing; an absent required one could match.
            if !idx.absent.is_empty() && !optional {
                let field = &model.records[kind.index()].fields[*fi as usize].name;
                let n = idx.absent.len();
                return R::Unknown(format!(
                    "{n} {name} record(s) have no {field}, so the {} cannot be known",
                    a.func.name()
                ));
            }
            let rows: Arc<[u32]> = idx.rows.get(&normalize_key(&key)).cloned().unwrap_or_else(|| Arc::from([]));
            candidates = Some(intersect(candidates, rows));
        }
        let rows: Arc<[u32]> =
            candidates.unwrap_or_else(|| (0..self.facts.tables[kind.index()].origins.len() as u32).collect());
        if let Some(r) = self.simple_aggregate(a, &rows, top) {
            return r;
        }
        // Whether the aggregate's period runs past the horizon, so records may be still to come.
        let mut open: Option<String> = None;
        let ranges = match &a.during {
            None => None,
            Some(p) => match self.ranges(p, env) {
                Ok(rs) => {
                    if rs.iter().map(|r| r.1).max().is_some_and(|end| end > self.horizon) {
                        let period = self.period_label(p, &rs);
                        open = Some(Said::NotOver { period: &period, as_of: self.horizon }.text());
                    }
                    // A mean, extreme or share over a period that is not over yet may still
                    // change either way. (Counts and sums only grow, and the first date of an
                    // event, once known, stays.)
                    let settles = matches!(a.func, AggFunc::Count | AggFunc::Sum)
                        || a.value.as_ref().is_some_and(|v| v.ty == Ty::Date);
                    if !settles && rs.iter().map(|r| r.1).max().is_some_and(|end| end > self.horizon) {
                        let why = Said::NotOver { period: &self.period_name(p), as_of: self.horizon }.text();
                        if let Some(t) = &mut self.trace {
                            t.provisional = Some(why);
                        }
                    }
                    Some(rs)
                }
                Err(why) => return R::Unknown(why),
            },
        };
        if let Some(key) = &subject
            && doubtful.is_empty()
            && let Some(r) = self.by_subject(e, a, key, &rows, ranges.as_deref(), top, env)
        {
            return r;
        }
        let mut first_date: Option<Date> = None;
        let mut first_moment: Option<crate::value::DateTime> = None;
        // The values of a percentile.
        let mut ranked: Vec<Decimal> = Vec::new();
        let mut count: u64 = 0;
        let mut hits: u64 = 0;
        let mut acc: Option<Decimal> = None;
        let slot = a.slot as usize;
        if env.len() <= slot {
            env.resize(slot + 1, None);
        }
        // A group's rows, while a derived kind is computed, were found visible when grouped.
        let restricted = matches!(&self.restrict, Some((k, _)) if *k == kind);
        // The filter as one comparison of a column with a constant, when it is one.
        let column_test = match &a.filter {
            Some(f) if self.compiled => super::compiled::ColumnTest::of(f, a.slot, kind, self.facts),
            _ => None,
        };
        for &row in rows.iter() {
            if !restricted && !self.visible(kind, row) {
                continue;
            }
            if let (Some(p), Some(rs)) = (&a.during, &ranges) {
                let Some(df) = dated else { return R::Unknown("records have no date".into()) };
                match &self.facts.tables[kind.index()].date(df, row) {
                    Some(d) => {
                        if !rs.iter().any(|&(x, y)| x <= *d && *d <= y) {
                            continue;
                        }
                    }
                    _ => {
                        let key = self.facts.tables[kind.index()].key(row);
                        return R::Unknown(format!(
                            "{name}[{key}] has no date, so it cannot be placed in {}",
                            self.period_name(p)
                        ));
                    }
                }
            }
            env[slot] = Some(R::V(Value::Ref(kind, row)));
            // A row whose chain could not be read matches unless the rest of the filter rules it
            // out (`false and unknown` is false): then the result cannot be known.
            if let Some(path) = doubtful.get(&row) {
                let rest = match &a.filter {
                    Some(f) => self.eval(f, env),
                    None => R::V(Value::Bool(true)),
                };
                match rest {
                    R::V(Value::Bool(false)) | R::Absent(_) => continue,
                    R::Unknown(why) => return R::Unknown(why),
                    R::V(_) => return unknown(self.follow(path, row)),
                }
            }
            if let Some(f) = &a.filter {
                match column_test.as_ref().and_then(|t| t.test(row)) {
                    // What reading the field marks, as the evaluator would (quietly, as every
                    // record of an aggregate is read: nothing is traced).
                    Some(passes) => {
                        debug_assert!(self.quiet > 0, "an aggregate's records are read quietly");
                        self.mark_used(kind, row);
                        if !passes {
                            continue;
                        }
                    }
                    None => match self.eval(f, env) {
                        R::V(Value::Bool(true)) => {}
                        // An optional field with no value does not match a filter on it.
                        R::V(_) | R::Absent(_) => continue,
                        R::Unknown(why) => return R::Unknown(why),
                    },
                }
            }
            self.mark_used(kind, row);
            if top {
                self.note_used(kind, row);
            }
            count += 1;
            match a.func {
                AggFunc::Count => {}
                AggFunc::Share => match a.value.as_ref().map(|v| self.eval(v, env)) {
                    Some(R::V(Value::Bool(true))) => hits += 1,
                    Some(R::V(_)) => {}
                    Some(other) => return unknown(other),
                    None => {}
                },
                _ => {
                    let v = match a.value.as_ref().map(|v| self.eval(v, env)) {
                        Some(R::V(Value::Num(n))) => n,
                        // The earliest or latest date (min/max over a date field).
                        Some(R::V(Value::Date(d))) => {
                            first_date = Some(match (first_date, a.func) {
                                (None, _) => d,
                                (Some(x), AggFunc::Max) => x.max(d),
                                (Some(x), _) => x.min(d),
                            });
                            continue;
                        }
                        Some(R::V(Value::DateTime(t))) => {
                            first_moment = Some(match (first_moment, a.func) {
                                (None, _) => t,
                                (Some(x), AggFunc::Max) => x.max(t),
                                (Some(x), _) => x.min(t),
                            });
                            continue;
                        }
                        Some(R::V(_)) | None => return R::Unknown("type error".into()),
                        Some(other) => return unknown(other),
                    };
                    if a.func == AggFunc::Percentile {
                        ranked.push(v);
                        continue;
                    }
                    acc = match accumulate(acc, v, a.func) {
                        Some(x) => Some(x),
                        None => return R::Unknown("the sum is out of range".into()),
                    };
                }
            }
        }
        env[slot] = None;
        if a.value.as_ref().is_some_and(|v| v.ty == Ty::DateTime) {
            return match first_moment {
                Some(t) => R::V(Value::DateTime(t)),
                None => R::Absent(Said::NoRecordMatches(name).text()),
            };
        }
        if a.value.as_ref().is_some_and(|v| v.ty == Ty::Date) {
            // No matching record means the event has not happened: absent, not unknown.
            return match first_date {
                Some(d) => R::V(Value::Date(d)),
                None => R::Absent(Said::NoRecordMatches(name).text()),
            };
        }
        match a.func {
            // A count of no records is 0: the kind was read completely (a kind with rejected
            // records is unknown above), so none is what the facts say.
            AggFunc::Count => R::V(Value::Num(Decimal::from(count))),
            // Any other aggregate of no records has no value: a sum of nothing is not evidence
            // that nothing happened, only that nothing was recorded. The policy may say what an
            // empty set means (`, empty 0 t`); otherwise it is unknown, naming kind and period.
            _ if count == 0 => match &a.empty {
                Some(e) => unknown(self.eval(e, env)),
                None => {
                    let period = match (&a.during, &ranges) {
                        (Some(p), Some(rs)) => format!(" in {}", self.period_label(p, rs)),
                        _ => String::new(),
                    };
                    let why = format!("no {name} records match{period}, so the {} is unknown", a.func.name());
                    if let (Some(open), Some(t)) = (open, &mut self.trace) {
                        t.open_empty.push((why.clone(), open));
                    }
                    R::Unknown(why)
                }
            },
            AggFunc::Share => R::V(Value::Num(Decimal::from(hits) / Decimal::from(count))),
            AggFunc::Sum => R::V(Value::Num(acc.unwrap_or(Decimal::ZERO))),
            AggFunc::Mean => match acc.and_then(|s| s.checked_div(Decimal::from(count))) {
                Some(m) => R::V(Value::Num(m)),
                None => R::Unknown("the mean is out of range".into()),
            },
            AggFunc::Percentile => match a.rank.and_then(|p| crate::stats::percentile_of(&mut ranked, p)) {
                Some(v) => R::V(Value::Num(v)),
                None => R::Unknown("the percentile cannot be computed".into()),
            },
            _ => R::V(Value::Num(acc.unwrap_or_default())),
        }
    }

    /// Aggregate `a` (expression `e`) for the subject whose key its index looked up, as the
    /// engine computed it for every subject at once ([`super::PerSubject`]), when it did:
    /// the value, with the records it counted marked read and cited, and the records read to
    /// test the filter (those known by the date and in the period of the aggregate, among
    /// `rows`, the subject's) marked read, as the loop over them would mark them. `None` leaves
    /// the aggregate to that loop.
    #[allow(clippy::too_many_arguments)]
    fn by_subject(
        &mut self,
        e: &'m TExpr,
        a: &'m Aggregate,
        key: &Value,
        rows: &[u32],
        ranges: Option<&[(Date, Date)]>,
        top: bool,
        env: &[Option<R>],
    ) -> Option<R> {
        let engine = self.per_subject?;
        if self.restrict.is_some() || a.index.len() != 1 {
            return None;
        }
        // A period computed as writ evaluates (`during m` inside `every`): this occurrence's.
        let period = ranges.filter(|_| matches!(a.during, Some(TPeriod::Dynamic(_))));
        let by = engine.by_subject(self.model, self.facts, e, a, self.horizon, period)?;
        let kind = a.kind;
        // Keyed by the subject record itself where its own fields are read (`by_record`).
        let key = match by.by_record {
            Some(slot) => match env.get(slot as usize) {
                Some(Some(R::V(v @ Value::Ref(..)))) => v.clone(),
                _ => return None,
            },
            None => normalize_key(key),
        };
        let (value, counted) = match by.by_key.get(&key) {
            Some(Some((v, counted))) => (v.clone(), counted.clone()),
            // No record known by the date: a count of none. Any other value is the loop's to
            // say (no value, or the one the aggregate says it has over no records).
            None if a.func == AggFunc::Count => (Value::Num(Decimal::ZERO), Arc::from([])),
            _ => return None,
        };
        if a.filter.is_some() {
            let dated = self.model.records[kind.index()].dated;
            for &row in rows {
                if !self.visible(kind, row) {
                    continue;
                }
                if let (Some(rs), Some(df)) = (ranges, dated) {
                    match self.facts.tables[kind.index()].date(df, row) {
                        Some(d) if rs.iter().any(|&(x, y)| x <= d && d <= y) => {}
                        _ => continue,
                    }
                }
                self.mark_used(kind, row);
            }
        }
        for &row in counted.iter() {
            self.mark_used(kind, row);
            if top {
                self.note_used(kind, row);
            }
        }
        Some(R::V(value))
    }

    /// An aggregate of the plainest shape, read straight from the columns: no index lookup, no
    /// period, no trace to keep, a filter that is at most `exists(x.F)` and a value that is at
    /// most `x.G`, over fields with no unreadable cell. `None` sends it to the general loop,
    /// which also gives every reason (no value, no records): the answer is the same either way.
    /// Whether every aggregate over the records of `kind` passes the checks [`Ev::aggregate`]
    /// makes of the whole table before it reads a record: none lost or rejected, and every
    /// date readable. Then an aggregate over a group's records is [`Ev::group_aggregate`].
    pub fn whole_table(&self, kind: RecordId) -> bool {
        whole_table(self.model, self.facts, kind)
    }

    /// The value of `e` when it is an aggregate of the shapes [`Ev::simple_aggregate`] takes
    /// over the records of the group being computed (see `derive`): what [`Ev::eval`] gives,
    /// without the checks of the whole table, which the caller made once ([`Ev::whole_table`]).
    /// `None` for any other expression or shape; the caller then evaluates it.
    pub fn group_aggregate(&mut self, e: &'m TExpr) -> Option<R> {
        let TKind::Aggregate(a) = &e.kind else { return None };
        let rows = match &self.restrict {
            Some((k, rows)) if *k == a.kind && a.index.is_empty() && a.during.is_none() => rows.clone(),
            _ => return None,
        };
        if self.trace.is_some() {
            return None;
        }
        self.simple_aggregate(a, &rows, self.quiet == 0)
    }

    fn simple_aggregate(&mut self, a: &'m Aggregate, rows: &[u32], top: bool) -> Option<R> {
        let kind = a.kind;
        // No record to read (and, for a kind whose records were not kept, no column to read
        // them from): the general loop says what that means.
        if rows.is_empty() || !a.index.is_empty() || a.during.is_some() || (top && self.trace.is_some()) {
            return None;
        }
        let field_of = |e: &TExpr| match &e.kind {
            TKind::Field(b, k, f) if *k == kind && matches!(b.kind, TKind::Local(s) if s == a.slot) => Some(*f),
            _ => None,
        };
        let table = &self.facts.tables[kind.index()];
        let clean = |f: u32| table.bad_by_field.get(f as usize).is_none_or(|&n| n == 0);
        // The filter: `exists(x.F)` (F has a value) or `x.F` of a yes/no field (F is yes).
        let filter = match &a.filter {
            None => None,
            Some(TExpr { kind: TKind::Exists(x), .. }) => Some((field_of(x).filter(|&f| clean(f))?, false)),
            Some(x) if x.ty == Ty::Bool => Some((field_of(x).filter(|&f| clean(f))?, true)),
            Some(_) => return None,
        };
        let value = match (&a.value, a.func) {
            (None, AggFunc::Count) => None,
            (Some(v), AggFunc::Sum | AggFunc::Mean | AggFunc::Min | AggFunc::Max | AggFunc::Percentile)
                if matches!(v.ty, Ty::Number | Ty::Quantity(_) | Ty::Percent) =>
            {
                Some(field_of(v).filter(|&f| clean(f))?)
            }
            _ => return None,
        };
        let restricted = matches!(&self.restrict, Some((k, _)) if *k == kind);
        let mut count: u64 = 0;
        let mut acc: Option<Decimal> = None;
        let mut ranked: Vec<Decimal> = Vec::new();
        // Whether a record is one the aggregate reads: `None` when the general loop must say
        // what a record means.
        let reads = |ev: &Self, row: u32| -> Option<bool> {
            if !restricted && !ev.visible(kind, row) {
                return Some(false);
            }
            match filter {
                Some((f, false)) => Some(table.columns[f as usize].is_present(row as usize)),
                Some((f, true)) => match table.get(f as usize, row) {
                    Some(Value::Bool(b)) => Some(b),
                    _ => None,
                },
                None => Some(true),
            }
        };
        // The records read, marked once the result is known (the general loop marks its own).
        // While a derived kind is computed, no mark is kept.
        let mut used: Vec<u32> = Vec::new();
        let typed = value.and_then(|g| table.columns[g as usize].fixed().map(|f| (g, f)));
        match (typed, a.func) {
            // Sums, means and extremes of fixed-point numbers, taken over the mantissas, exactly.
            (Some((g, (scale, mantissas))), AggFunc::Sum | AggFunc::Mean | AggFunc::Min | AggFunc::Max) => {
                let present = &table.columns[g as usize];
                let (mut sum, mut low, mut high) = (0i128, i64::MAX, i64::MIN);
                for &row in rows {
                    if !reads(self, row)? {
                        continue;
                    }
                    // A record without the value: the general loop says which.
                    if !present.is_present(row as usize) {
                        return None;
                    }
                    let m = mantissas[row as usize];
                    sum += i128::from(m);
                    low = low.min(m);
                    high = high.max(m);
                    if !restricted {
                        used.push(row);
                    }
                    count += 1;
                }
                if count == 0 {
                    return None;
                }
                let number = |m: i128| Decimal::try_from_i128_with_scale(m, scale).ok();
                acc = Some(match a.func {
                    AggFunc::Min => number(i128::from(low))?.normalize(),
                    AggFunc::Max => number(i128::from(high))?.normalize(),
                    _ => number(sum)?,
                });
            }
            _ => {
                for &row in rows {
                    if !reads(self, row)? {
                        continue;
                    }
                    if let Some(g) = value {
                        // A record without the value: the general loop says which.
                        let Some(Value::Num(v)) = table.get(g as usize, row) else { return None };
                        if a.func == AggFunc::Percentile {
                            ranked.push(v);
                        } else {
                            acc = Some(accumulate(acc, v, a.func)?);
                        }
                    }
                    if !restricted {
                        used.push(row);
                    }
                    count += 1;
                }
                if count == 0 && a.func != AggFunc::Count {
                    return None;
                }
            }
        }
        for row in used {
            self.mark_used(kind, row);
        }
        Some(match a.func {
            AggFunc::Count => R::V(Value::Num(Decimal::from(count))),
            AggFunc::Sum | AggFunc::Min | AggFunc::Max => R::V(Value::Num(acc?)),
            AggFunc::Mean => R::V(Value::Num(acc?.checked_div(Decimal::from(count))?)),
            AggFunc::Percentile => R::V(Value::Num(crate::stats::percentile_of(&mut ranked, a.rank?)?)),
            AggFunc::Share => return None,
        })
    }

    /// Rows of a kind grouped by the value at the end of a chain of fields read through
    /// references (`銷售企業.名稱`), built once per chain and shared by every subject: one pass
    /// over the rows where a filter `銷售企業.名稱 == 名稱` would scan them all per subject.
    fn path_index(&mut self, path: &FieldPath) -> &PathIndex {
        if !self.path_indexes.contains_key(path) {
            let built = self.build_path_index(path);
            self.path_indexes.insert(path.clone(), built);
        }
        &self.path_indexes[path]
    }

    fn build_path_index(&self, path: &FieldPath) -> PathIndex {
        let (kind, _) = path[0];
        let mut rows: rustc_hash::FxHashMap<Value, Vec<u32>> = Default::default();
        let mut doubtful = Vec::new();
        for row in 0..self.facts.tables[kind.index()].origins.len() as u32 {
            match self.follow(path, row) {
                R::V(v) => rows.entry(normalize_key(&v)).or_default().push(row),
                R::Absent(_) => {}
                R::Unknown(_) => doubtful.push(row),
            }
        }
        PathIndex { rows: rows.into_iter().map(|(k, v)| (k, Arc::from(v))).collect(), doubtful: Arc::from(doubtful) }
    }

    /// The value a chain of fields reaches from a row, as the filter would read it: absent
    /// where an optional field has none, unknown where a field could not be read or a required
    /// one is missing.
    fn follow(&self, path: &FieldPath, row: u32) -> R {
        let (mut k, mut r) = (path[0].0, row);
        for (i, &(pk, fi)) in path.iter().enumerate() {
            debug_assert_eq!(pk, k);
            let table = &self.facts.tables[k.index()];
            let v = match table.get(fi as usize, r) {
                Some(v) => v,
                None if table.bad_cell(r, fi).is_some() => return R::Unknown(self.bad_cell_reason(k, r, fi)),
                None => {
                    let rec = &self.model.records[k.index()];
                    let f = &rec.fields[fi as usize];
                    let why = Said::Missing(&format!("{}[{}].{}", rec.name, table.key(r), f.name)).text();
                    return if f.optional { R::Absent(why) } else { R::Unknown(why) };
                }
            };
            if i + 1 == path.len() {
                return R::V(v);
            }
            match v {
                Value::Ref(nk, nr) => (k, r) = (nk, nr),
                _ => return R::Unknown("not a record".into()),
            }
        }
        R::Unknown("an empty field path".into())
    }

    fn index(&mut self, kind: RecordId, field: u32) -> &Index {
        let facts = self.facts;
        self.indexes.entry((kind, field)).or_insert_with(|| {
            let col = &facts.tables[kind.index()].columns[field as usize];
            if let Some(index) = id_index(col) {
                return index;
            }
            let mut rows: rustc_hash::FxHashMap<Value, Vec<u32>> = Default::default();
            let mut absent = Vec::new();
            for (i, v) in col.iter().enumerate() {
                match v {
                    Some(v) => rows.entry(normalize_key(&v)).or_default().push(i as u32),
                    None => absent.push(i as u32),
                }
            }
            Index { rows: rows.into_iter().map(|(k, v)| (k, Arc::from(v))).collect(), absent }
        })
    }
}

/// [`Ev::index`] of a column of enum values, parties or references, whose rows hold ids: the
/// rows counted per id, then placed in one array at their id's offset (no hashing per row, and
/// no list grown per value: a million readings of ten thousand sites), each value's rows in row
/// order. `None` for a column of another kind.
fn id_index(col: &crate::facts::Column) -> Option<Index> {
    let crate::facts::Typed::Index(ids) = col.typed() else { return None };
    let mut absent = Vec::new();
    let mut counts: Vec<u32> = Vec::new();
    for (r, &id) in ids.iter().enumerate() {
        if !col.is_present(r) {
            absent.push(r as u32);
            continue;
        }
        let id = id as usize;
        if id >= counts.len() {
            counts.resize(id + 1, 0);
        }
        counts[id] += 1;
    }
    // Where each id's rows start, and the next place to fill.
    let mut starts = Vec::with_capacity(counts.len() + 1);
    let mut total = 0usize;
    for &c in &counts {
        starts.push(total);
        total += c as usize;
    }
    starts.push(total);
    let mut next = starts.clone();
    let mut placed = vec![0u32; total];
    for (r, &id) in ids.iter().enumerate() {
        if col.is_present(r) {
            let at = &mut next[id as usize];
            placed[*at] = r as u32;
            *at += 1;
        }
    }
    let mut rows = rustc_hash::FxHashMap::default();
    rows.reserve(counts.iter().filter(|&&c| c > 0).count());
    for (id, &c) in counts.iter().enumerate() {
        if c > 0 {
            let value = col.value_of_id(id as u32)?;
            rows.insert(value, Arc::from(&placed[starts[id]..starts[id + 1]]));
        }
    }
    Some(Index { rows, absent })
}

/// The rows in both sets, in the order of the first; the second alone when there is no first.
/// A sum, mean (its sum), least or greatest value so far with one more value; `None` when a
/// sum leaves the range of decimals.
fn accumulate(acc: Option<Decimal>, v: Decimal, func: AggFunc) -> Option<Decimal> {
    Some(match (acc, func) {
        (None, _) => v,
        (Some(s), AggFunc::Sum | AggFunc::Mean) => s.checked_add(v)?,
        (Some(s), AggFunc::Min) => s.min(v),
        (Some(s), _) => s.max(v),
    })
}

fn intersect(prev: Option<Arc<[u32]>>, rows: Arc<[u32]>) -> Arc<[u32]> {
    match prev {
        None => rows,
        Some(prev) => {
            let set: HashSet<u32> = rows.iter().copied().collect();
            prev.iter().copied().filter(|r| set.contains(r)).collect()
        }
    }
}

/// What values are written with: names and keys from the model and the facts. Evaluation
/// uses it for the few texts it needs (subject keys, reasons); reports for everything else.
#[derive(Clone, Copy)]
pub(crate) struct Fmt<'m> {
    pub model: &'m Model,
    pub facts: &'m Facts,
}

impl<'m> Fmt<'m> {
    pub fn fact_ref(&self, kind: RecordId, row: u32, kind_names: &[Arc<str>]) -> FactRef {
        let t = &self.facts.tables[kind.index()];
        let o = t.origin(row);
        FactRef {
            file: self.facts.files.get(o.file as usize).cloned().unwrap_or_else(|| Arc::from("")),
            kind: kind_names[kind.index()].clone(),
            key: o.key.into(),
            line: o.line,
        }
    }

    /// A value as plain text: keys, names, numbers without units.
    pub fn plain(&self, v: &Value) -> String {
        match v {
            Value::Bool(b) => b.to_string(),
            Value::Num(n) => n.normalize().to_string(),
            Value::Text(t) => t.to_string(),
            Value::Date(d) => d.to_string(),
            Value::DateTime(t) => t.to_string(),
            Value::Duration(d) => format!("{} {}", d.amount, d.unit.name()),
            Value::Enum(i) => format!("#{i}"),
            Value::Ref(k, r) => self.facts.tables[k.index()].key(*r).to_string(),
            Value::Party(p) => self.model.parties[p.index()].name.clone(),
            Value::List(xs) => format!("[{}]", xs.iter().map(|x| self.plain(x)).collect::<Vec<_>>().join(", ")),
            Value::Interval(a, b) => interval_label(*a, *b),
        }
    }

    /// A value as a person reads it, using the expression's type and unit.
    pub fn describe_value(&self, v: &Value, e: &TExpr) -> String {
        self.format(v, &e.ty, e.unit.as_ref())
    }

    pub fn format(&self, v: &Value, ty: &Ty, unit: Option<&crate::units::Unit>) -> String {
        match (v, ty) {
            // Built by appending: evidence shows one of these per verdict, a million times.
            (Value::Num(n), Ty::Quantity(_)) => match unit.and_then(|u| u.from_si(*n).map(|x| (x, u))) {
                Some((x, u)) => {
                    let mut s = fmt_decimal(x);
                    s.push(' ');
                    s.push_str(&u.name);
                    s
                }
                None => format!("{} (canonical units)", fmt_decimal(*n)),
            },
            (Value::Num(n), Ty::Percent) => format!("{}%", fmt_decimal(*n * Decimal::ONE_HUNDRED)),
            (Value::Num(n), _) => match unit {
                Some(u) if !u.name.is_empty() => format!("{} {}", fmt_decimal(u.from_si(*n).unwrap_or(*n)), u.name),
                _ => fmt_decimal(*n),
            },
            (Value::Enum(i), Ty::Enum(e)) => {
                self.model.enums[e.index()].variants.get(*i as usize).cloned().unwrap_or_default()
            }
            (Value::Ref(k, _), _) => format!("{} {}", self.model.records[k.index()].name, self.plain(v)),
            (Value::List(xs), Ty::List(t)) => {
                format!("[{}]", xs.iter().map(|x| self.format(x, t, unit)).collect::<Vec<_>>().join(", "))
            }
            _ => self.plain(v),
        }
    }

    /// How an expression is shown in evidence: the field path with the subject's key. `local`
    /// gives the value of a variable, where it has one.
    pub fn describe_expr<'v>(&self, e: &TExpr, local: &dyn Fn(u32) -> Option<&'v Value>) -> String {
        match &e.kind {
            // The record and field forms are built by appending: evidence shows one per
            // verdict, a million times.
            TKind::Field(b, k, f) => {
                let field = &self.model.records[k.index()].fields[*f as usize].name;
                let mut s = self.describe_expr(b, local);
                s.push('.');
                s.push_str(field);
                s
            }
            TKind::Local(s) => match local(*s) {
                Some(Value::Ref(k, r)) => {
                    let (name, key) = (&self.model.records[k.index()].name, self.facts.tables[k.index()].key(*r));
                    let mut s = String::with_capacity(name.len() + key.len() + 32);
                    s.push_str(name);
                    s.push('[');
                    s.push_str(key);
                    s.push(']');
                    s
                }
                Some(v) => self.format(v, &e.ty, e.unit.as_ref()),
                None => "(value)".into(),
            },
            TKind::Const(v) => self.format(v, &e.ty, e.unit.as_ref()),
            TKind::Aggregate(a) => a.text.clone(),
            TKind::Unary(UnOp::Neg, x) => format!("-{}", self.describe_expr(x, local)),
            TKind::Unary(UnOp::Not, x) => format!("not {}", self.describe_expr(x, local)),
            TKind::Rule(i, _) => format!("{}(…)", self.model.rules[*i as usize].name),
            TKind::Table(i, _) => format!("{}(…)", self.model.tables[*i as usize].name),
            TKind::Change(a, b) => {
                format!("change({}, {})", self.describe_expr(a, local), self.describe_expr(b, local))
            }
            TKind::Round(a, b, up) => format!(
                "{}({}, {})",
                if *up { "ceil" } else { "round" },
                self.describe_expr(a, local),
                self.describe_expr(b, local)
            ),
            TKind::Interval(op, x, _) if op.function().is_some() => {
                format!("{}({})", op.function().unwrap_or_default(), self.describe_expr(x, local))
            }
            _ => "(expression)".into(),
        }
    }
}

/// The values of the variables [`Fmt::describe_expr`] reads to describe `e`, as they are in
/// `env`: a variable without a value is kept as `None`.
fn capture_locals(e: &TExpr, env: &[Option<R>], out: &mut Vec<(u32, Option<Value>)>) {
    match &e.kind {
        TKind::Field(b, _, _) => capture_locals(b, env, out),
        TKind::Local(s) => {
            let v = match env.get(*s as usize) {
                Some(Some(R::V(v))) => Some(v.clone()),
                _ => None,
            };
            out.push((*s, v));
        }
        TKind::Unary(UnOp::Neg | UnOp::Not, x) => capture_locals(x, env, out),
        TKind::Interval(op, x, _) if op.function().is_some() => capture_locals(x, env, out),
        TKind::Change(a, b) | TKind::Round(a, b, _) => {
            capture_locals(a, env, out);
            capture_locals(b, env, out);
        }
        _ => {}
    }
}

/// Values used as index keys: decimals normalised so that `1.0` and `1` meet.
pub(super) fn normalize_key(v: &Value) -> Value {
    match v {
        Value::Num(n) => Value::Num(n.normalize()),
        v => v.clone(),
    }
}

/// [`Ev::whole_table`], for engines that hold no evaluator.
pub(super) fn whole_table(model: &Model, facts: &Facts, kind: RecordId) -> bool {
    let table = &facts.tables[kind.index()];
    table.incomplete.is_empty()
        && table.rejected_count() == 0
        && model.records[kind.index()].dated.is_none_or(|f| table.first_bad.get(f).copied().flatten().is_none())
}

fn unknown(r: R) -> R {
    match r {
        R::Absent(why) => R::Unknown(why),
        other => other,
    }
}

/// Compares two values of one type; `None` when they cannot be ordered.
pub(crate) fn compare(op: BinOp, a: &Value, b: &Value) -> Option<bool> {
    use std::cmp::Ordering;
    let ord: Option<Ordering> = match (a, b) {
        (Value::Num(x), Value::Num(y)) => Some(x.cmp(y)),
        (Value::Date(x), Value::Date(y)) => Some(x.cmp(y)),
        (Value::DateTime(x), Value::DateTime(y)) => Some(x.cmp(y)),
        _ => None,
    };
    Some(match op {
        BinOp::Eq => match ord {
            Some(o) => o == Ordering::Equal,
            None => a == b,
        },
        BinOp::Ne => match ord {
            Some(o) => o != Ordering::Equal,
            None => a != b,
        },
        BinOp::Lt => ord? == Ordering::Less,
        BinOp::Le => ord? != Ordering::Greater,
        BinOp::Gt => ord? == Ordering::Greater,
        BinOp::Ge => ord? != Ordering::Less,
        _ => return None,
    })
}

/// The interval before (`by` = -1) or after (+1) one of the same length. Whole calendar months
/// (a month, a quarter, a year) move by months, so February follows January whatever its length.
fn shift_interval(a: Date, b: Date, by: i32) -> R {
    use crate::time::{MonthOverflow, add_months, end_of_month, month_of, start_of_month, year_of};
    let whole_months = start_of_month(a) == a && end_of_month(b) == b;
    if whole_months {
        let months = (year_of(b) - year_of(a)) * 12 + month_of(b) as i32 - month_of(a) as i32 + 1;
        match add_months(a, by * months, MonthOverflow::Reject) {
            Ok(start) => match add_months(start, months, MonthOverflow::Reject) {
                Ok(after) => R::V(Value::Interval(start, after.add_days(-1))),
                Err(e) => R::Unknown(e.to_string()),
            },
            Err(e) => R::Unknown(e.to_string()),
        }
    } else {
        let len = b.0 - a.0 + 1;
        R::V(Value::Interval(a.add_days(by * len), b.add_days(by * len)))
    }
}

/// How an interval is named in verdict ids: `2019-09` for a month, `2019-Q3`, `2019`, else the
/// two ends.
pub(crate) fn interval_label(a: Date, b: Date) -> String {
    use crate::time::{end_of_month, month_of, start_of_month, year_of};
    let (y, m) = (year_of(a), month_of(a));
    if start_of_month(a) == a && end_of_month(b) == b && year_of(b) == y {
        let span = month_of(b) - m + 1;
        if span == 1 {
            return format!("{y}-{m:02}");
        }
        if span == 3 && (m - 1) % 3 == 0 {
            return format!("{y}-Q{}", (m - 1) / 3 + 1);
        }
        if span == 12 {
            return y.to_string();
        }
    }
    format!("{a}..{b}")
}

/// A decimal without trailing zeros, never in exponent form.
pub(crate) fn fmt_decimal(d: Decimal) -> String {
    let d = d.normalize();
    let digits = d.mantissa().unsigned_abs().checked_ilog10().unwrap_or(0) + 1;
    if digits >= 20 {
        // Only a computed quotient (a mean of three values, a change) has this many significant
        // digits; show six places. Measured inputs are never rounded for display.
        d.round_dp(6).normalize().to_string()
    } else {
        // The digits written straight from the mantissa, as `Decimal`'s `Display` writes them
        // (a test holds the two together): evidence shows a value per verdict.
        match i64::try_from(d.mantissa()) {
            Ok(m) => {
                let mut s = String::with_capacity(24);
                crate::facts::write_fixed(&mut s, m, d.scale());
                s
            }
            Err(_) => d.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `fmt_decimal` writes a number as `Decimal`'s own `Display` does, once normalized: zero
    /// and minus zero, fractions below one, negative numbers, every scale, the edges of `i64`
    /// and past them.
    #[test]
    fn decimals_are_written_as_decimal_writes_them() {
        let mut seed: u64 = 0xdec1;
        let mut next = move || {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            seed
        };
        let mut cases: Vec<Decimal> = vec![Decimal::ZERO, -Decimal::ZERO, Decimal::ONE, Decimal::NEGATIVE_ONE];
        for m in [0i64, 1, -1, 5, 10, 100, 250, -250, i64::MAX, i64::MIN + 1, 999_999_999_999_999_999] {
            for scale in [0, 1, 2, 3, 6, 9, 18, 19, 28] {
                cases.push(Decimal::new(m, scale));
            }
        }
        for _ in 0..20_000 {
            let m = (next() >> (next() % 64)) as i64;
            let m = if next() % 2 == 0 { m } else { -m };
            cases.push(Decimal::new(m, (next() % 29) as u32));
        }
        for d in cases {
            let n = d.normalize();
            if n.mantissa().unsigned_abs().checked_ilog10().unwrap_or(0) + 1 >= 20 {
                continue;
            }
            assert_eq!(fmt_decimal(d), n.to_string(), "{d:?}");
        }
    }

    /// A sum taken over mantissas at a column's scale, which may be more decimal places than
    /// any of the values has, and then divided, is the number the same values summed one by
    /// one as decimals and divided give: the mean of a group computed either way is the same.
    #[test]
    fn sums_over_mantissas_are_the_decimal_sums() {
        let mut seed: u64 = 0x5eed;
        let mut next = move |n: u64| {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            (seed >> 33) % n
        };
        for case in 0..20_000 {
            let scale = next(5) as u32;
            let column_scale = scale + next(3) as u32;
            let count = 1 + next(30);
            let mut decimal: Option<Decimal> = None;
            let mut mantissas: i128 = 0;
            for _ in 0..count {
                let m = next(2_000_000) as i64 - 1_000_000;
                let v = Decimal::new(m, scale).normalize();
                decimal = accumulate(decimal, v, AggFunc::Sum);
                mantissas += i128::from(m) * 10i128.pow(column_scale - scale);
            }
            let decimal = decimal.unwrap();
            let typed = Decimal::try_from_i128_with_scale(mantissas, column_scale).unwrap();
            assert_eq!(decimal, typed, "case {case}");
            let n = Decimal::from(count);
            let (a, b) = (decimal.checked_div(n).unwrap(), typed.checked_div(n).unwrap());
            assert_eq!(a, b, "case {case}: {decimal} / {count}");
            assert_eq!(a.normalize().to_string(), b.normalize().to_string(), "case {case}");
        }
    }
}
