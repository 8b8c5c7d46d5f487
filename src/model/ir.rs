//! The checked model: names resolved to slots and indices, expressions typed, quantities in SI.

use super::types::*;
use crate::diagnostic::Span;
use crate::syntax::ast::{BinOp, DeadlineKind, Modality, UnOp};
use crate::units::{Unit, UnitTable};
use crate::value::{Date, Value};
use std::sync::Arc;

crate::model::types::id! {
    /// A declared party: its place in [`Model::parties`].
    PartyId
}

crate::model::types::id! {
    /// A clause: its place in [`Model::clauses`].
    ClauseId
}

#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Model {
    pub plan: PlanInfo,
    pub parties: Vec<PartyDecl>,
    pub groups: Vec<GroupDecl>,
    pub units: UnitTable,
    pub enums: Vec<EnumDecl>,
    pub records: Vec<RecordDecl>,
    pub periods: Vec<PeriodDecl>,
    pub calendars: Vec<CalendarDecl>,
    pub sanctions: Vec<SanctionDecl>,
    pub rules: Vec<RuleDef>,
    pub tables: Vec<TableDef>,
    /// In evaluation order: a clause comes after every clause whose verdicts it reads.
    pub clauses: Vec<ClauseDef>,
    pub tests: Vec<TestDef>,
    /// Record kinds derived from others by grouping, in the order they are computed (a kind
    /// after the kinds it is derived from).
    pub derived: Vec<DerivedDef>,
    /// The plan's calendar, built from its `calendar` item, for workday arithmetic.
    pub calendar: Option<crate::time::Calendar>,
    /// The plan's numbered items, in order (for `writ coverage`).
    pub outline: Vec<OutlineEntry>,
    /// Sentences of the plan no clause checks, with the reason.
    pub untestable: Vec<UntestableDef>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct OutlineEntry {
    pub number: String,
    pub title: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct UntestableDef {
    pub number: String,
    pub text: String,
    pub reason: String,
    pub origin: Origin,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
pub struct PlanInfo {
    pub name: String,
    pub title: Option<String>,
    pub start: Option<Date>,
    pub end: Option<Date>,
    pub issued: Option<Date>,
    pub roles: Vec<RoleDecl>,
    /// Roles every clause has unless it names them (`implement 各縣區人民政府 in "三"`).
    pub default_roles: Vec<DefaultRoleDef>,
    pub calendar: Option<u32>,
    /// What `Jan 31 + 1 month` is; `None` makes such a date an error the verdict names.
    pub month_overflow: Option<crate::time::MonthOverflow>,
    /// The UTC offset of the plan's civil dates, in seconds. Datetimes in facts are converted
    /// to dates in this zone. `None` is China Standard Time, +08:00.
    pub utc_offset: Option<i32>,
    /// The language and script the plan is written in (`language "zh-Hant"`), which its
    /// reports follow; `None` reports in English.
    pub language: Option<crate::lang::Lang>,
}

impl PlanInfo {
    /// The plan's UTC offset in seconds (+08:00 unless declared).
    pub fn offset_secs(&self) -> i32 {
        self.utc_offset.unwrap_or(8 * 3600)
    }
}

/// A plan-wide role: its parties go to every clause (whose cite lies in one of `sections`, if
/// any are named) that does not name the role itself.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct DefaultRoleDef {
    /// Index into `plan.roles`.
    pub role: u32,
    pub parties: Vec<PartyId>,
    pub sections: Vec<String>,
}

impl DefaultRoleDef {
    /// Whether a clause citing `number` lies in the role's sections: the cite is a section or
    /// begins with one (`三` holds `三(一)1`; `三(一)1` holds `三(一)1` but not `三(一)10`).
    pub fn covers(&self, number: Option<&str>) -> bool {
        if self.sections.is_empty() {
            return true;
        }
        let Some(n) = number else { return false };
        self.sections.iter().any(|s| {
            n == s
                || n.strip_prefix(s.as_str()).is_some_and(|rest| {
                    !(s.ends_with(|c: char| c.is_ascii_digit()) && rest.starts_with(|c: char| c.is_ascii_digit()))
                })
        })
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct RoleDecl {
    pub name: String,
    pub label: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PartyDecl {
    pub name: String,
    pub full_name: Option<String>,
    pub origin: Origin,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct GroupDecl {
    pub name: String,
    pub full_name: Option<String>,
    pub members: Vec<PartyId>,
    pub origin: Origin,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct CalendarDecl {
    pub name: String,
    pub source: Option<String>,
    pub holidays: Vec<Date>,
    pub workdays: Vec<Date>,
    pub origin: Origin,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SanctionDecl {
    pub name: String,
    pub text: Option<String>,
    pub origin: Origin,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct CiteDef {
    pub number: String,
    pub text: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct RuleDef {
    pub name: String,
    pub label: Option<String>,
    pub cite: Option<CiteDef>,
    pub params: Vec<(String, Ty)>,
    /// Slots 0..params.len() hold the arguments; `lets` fill the following slots.
    pub lets: Vec<(u32, TExpr)>,
    pub body: TExpr,
    pub slots: u32,
    pub origin: Origin,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct TableDef {
    pub name: String,
    pub label: Option<String>,
    pub cite: Option<CiteDef>,
    pub params: Vec<(String, Ty)>,
    pub rows: Vec<(Vec<TPattern>, TRowValue)>,
    pub ret: Ty,
    pub origin: Origin,
}

/// What a table row gives: a value, or none on purpose (`because "why"`).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum TRowValue {
    Value(TExpr),
    Gap(String),
}

impl TRowValue {
    pub fn value(&self) -> Option<&TExpr> {
        match self {
            TRowValue::Value(e) => Some(e),
            TRowValue::Gap(_) => None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum TPattern {
    Any,
    Cmp(BinOp, TExpr),
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ClauseDef {
    pub name: String,
    pub title: Option<String>,
    pub cite: Option<CiteDef>,
    /// (role index into `plan.roles`, parties).
    pub roles: Vec<(u32, Vec<PartyId>)>,
    pub during: Option<TPeriod>,
    pub exemptions: Vec<Exemption>,
    pub body: Vec<TStmt>,
    pub slots: u32,
    /// `roll deadlines forward`: a deadline on a rest day moves to the next workday.
    pub roll: bool,
    pub origin: Origin,
}

impl ClauseDef {
    /// How many requirements the clause writes (each yields a verdict per subject).
    pub fn requirement_count(&self) -> usize {
        fn count(stmts: &[TStmt]) -> usize {
            stmts
                .iter()
                .map(|s| match s {
                    TStmt::Require(_) => 1,
                    TStmt::For(f) => count(&f.body),
                    TStmt::Every(e) => count(&e.body),
                    TStmt::Let(..) => 0,
                })
                .sum()
        }
        count(&self.body)
    }
}

impl Model {
    /// How many requirements the package's clauses write.
    pub fn requirement_count(&self) -> usize {
        self.clauses.iter().map(ClauseDef::requirement_count).sum()
    }
}

/// A period an obligation or an aggregate is limited to.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum TPeriod {
    Named(u32),
    Year(i32),
    /// The plan's own period.
    Plan,
    /// An interval computed while evaluating (`during m` inside `every month m`).
    Dynamic(Box<TExpr>),
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Exemption {
    /// The rule's name when the exemption is a rule call, else the expression's text.
    pub name: String,
    pub expr: TExpr,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum TStmt {
    Let(u32, TExpr),
    Require(Requirement),
    For(ForDef),
    Every(EveryDef),
}

/// `every month m of PERIOD { … }`: the body once per occurrence, `m` bound to its interval.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct EveryDef {
    pub unit: crate::syntax::ast::EveryUnit,
    pub var: String,
    pub slot: u32,
    pub period: TPeriod,
    pub body: Vec<TStmt>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ScopeSource {
    /// Every record of the kind.
    All(RecordId),
    /// Named subjects of the kind; a key absent from the facts is an `unknown` verdict.
    Keys(RecordId, Vec<TExpr>),
    /// The members of a group (or one party).
    Parties(Vec<PartyId>),
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ForDef {
    pub var: String,
    pub slot: u32,
    pub source: ScopeSource,
    pub filter: Option<TExpr>,
    pub exemptions: Vec<Exemption>,
    pub body: Vec<TStmt>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Requirement {
    /// 1-based position in the clause, used in verdict ids when there is no label.
    pub index: u32,
    pub label: Option<String>,
    pub modality: Modality,
    pub condition: TExpr,
    pub deadline: Option<(DeadlineKind, TExpr)>,
    /// `given CONDITION` and its text: without it holding, the facts are not all in.
    pub given: Option<Box<(TExpr, String)>>,
    pub sanctions: Vec<SanctionApp>,
    /// Roles its subject decides (`implement e.所在縣區`), each in place of the clause's
    /// parties of that role.
    pub roles: Vec<SubjectRole>,
    /// The requirement as written, for reports.
    pub text: String,
    pub span: Span,
}

/// A role whose party a field of the subject names: `implement e.所在縣區` (with any parties
/// named beside it on the same line).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SubjectRole {
    /// Index into `plan.roles`.
    pub role: u32,
    pub parties: Vec<PartyId>,
    /// Expressions of type `party`, with their text (`e.所在縣區`).
    pub fields: Vec<(TExpr, String)>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SanctionApp {
    pub sanction: u32,
    pub on: Option<TExpr>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct TestDef {
    pub name: String,
    pub as_of: Date,
    pub facts: Vec<TestFact>,
    pub expects: Vec<ExpectDef>,
    pub origin: Origin,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct TestFact {
    pub kind: RecordId,
    /// One entry per field of the kind; `None` is absent. References hold the key text.
    pub values: Vec<Option<TestValue>>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum TestValue {
    Value(Value),
    RefKey(Arc<str>, Span),
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ExpectDef {
    pub clause: String,
    pub keys: Option<Vec<String>>,
    pub requirement: Option<String>,
    pub status: crate::status::Status,
    pub span: Span,
}

/// A typed expression.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct TExpr {
    pub kind: TKind,
    pub ty: Ty,
    /// For quantities: the unit to show values in (the field's or the literal's).
    pub unit: Option<Unit>,
    pub span: Span,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AggFunc {
    Count,
    Sum,
    Mean,
    Min,
    Max,
    /// The share of the filtered records for which a condition holds.
    Share,
    /// The p-th percentile of a field, by HJ 663-2013 ([`crate::stats::percentile`]).
    Percentile,
}

impl AggFunc {
    pub fn name(self) -> &'static str {
        match self {
            AggFunc::Count => "count",
            AggFunc::Sum => "sum",
            AggFunc::Mean => "mean",
            AggFunc::Min => "min",
            AggFunc::Max => "max",
            AggFunc::Share => "share",
            AggFunc::Percentile => "percentile",
        }
    }
}

/// Fields read one after another from a record through references, each as (the record kind
/// it is read from, the field): never empty.
pub type FieldPath = Vec<(RecordId, u32)>;

/// `record 日數據 from 小時數據 where … by 站點 = 站點, 日期 = date(時刻) { … }`: one record of
/// `kind` per distinct group of `from` records. Its fields are the group fields, in order, then
/// the values, then (with more than one group field) the key ([`GROUP_KEY`]).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct DerivedDef {
    pub kind: RecordId,
    pub from: RecordId,
    /// The slot a `from` record is bound to while `filter` and `groups` run.
    pub slot: u32,
    pub filter: Option<TExpr>,
    /// Per group field: its value for a `from` record.
    pub groups: Vec<TExpr>,
    /// Where each group field's value is bound while the values are computed.
    pub group_slots: Vec<u32>,
    /// Per value field: its expression (aggregates over `from` see the group's records only),
    /// the slot it is bound to for the fields after it, and the condition it is valid under,
    /// with the condition's text.
    pub values: Vec<DerivedValue>,
    /// `over FIELD window N hours`: the source field whose moments end the windows, the
    /// window's length in seconds, and the slot the window's end is bound to. The derived
    /// record's field after the group fields holds the end.
    pub window: Option<DerivedWindow>,
    pub slots: u32,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct DerivedWindow {
    pub field: u32,
    pub seconds: i64,
    pub slot: u32,
}

impl DerivedDef {
    /// The derived record's field that holds the first value.
    pub fn first_value(&self) -> usize {
        self.groups.len() + usize::from(self.window.is_some())
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct DerivedValue {
    pub value: TExpr,
    pub slot: u32,
    pub given: Option<(TExpr, String)>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Aggregate {
    pub func: AggFunc,
    pub kind: RecordId,
    /// The slot the aggregated record is bound to while `value` and `filter` run.
    pub slot: u32,
    /// The summed / averaged value (or the share's condition).
    pub value: Option<TExpr>,
    /// `field == EXPR` conjuncts of the filter whose other side does not read the record,
    /// the field read directly (`名稱 == s`) or through references (`銷售企業.名稱 == 名稱`):
    /// answered from an index built once per (kind, field path) and shared by every subject.
    pub index: Vec<(FieldPath, TExpr)>,
    /// What remains of the filter.
    pub filter: Option<TExpr>,
    pub during: Option<TPeriod>,
    /// `, empty VALUE`: the value over no records. Without it, an aggregate other than `count`
    /// over no records is `unknown`.
    pub empty: Option<TExpr>,
    /// The aggregate as written, for evidence.
    pub text: String,
    /// For `percentile`: which, as a fraction (`95%` is 0.95).
    pub rank: Option<rust_decimal::Decimal>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum TKind {
    Const(Value),
    Local(u32),
    /// `record.field`; the inner expression is a record reference.
    Field(Box<TExpr>, RecordId, u32),
    /// The key of a record (`x` used as text).
    Unary(UnOp, Box<TExpr>),
    Binary(BinOp, Box<TExpr>, Box<TExpr>),
    List(Vec<TExpr>),
    If(Box<TExpr>, Box<TExpr>, Box<TExpr>),
    /// Arms: variant indices (empty = wildcard) and value.
    Match(Box<TExpr>, Vec<(Vec<u32>, TExpr)>),
    Rule(u32, Vec<TExpr>),
    Table(u32, Vec<TExpr>),
    Aggregate(Box<Aggregate>),
    /// `change(new, old)`: `(new - old) / old` as a percent.
    Change(Box<TExpr>, Box<TExpr>),
    /// `round(x, STEP)`: x rounded to a multiple of STEP by GB/T 8170 ([`crate::stats::round_to`]);
    /// with `up`, `ceil(x, STEP)`: rounded up ([`crate::stats::ceil_to`]).
    Round(Box<TExpr>, Box<TExpr>, bool),
    /// `exists(x.f)`: whether an optional value is present.
    Exists(Box<TExpr>),
    /// `violated(CLAUSE, subject)` / `fulfilled(CLAUSE, subject)`.
    ClauseStatus {
        clause: String,
        subject: Box<TExpr>,
        violated: bool,
    },
    /// `DATE + DURATION` / `DATE - DURATION`.
    DateShift(Box<TExpr>, Box<TExpr>, bool),
    /// `m.start`, `m.end`, `m.previous`, `m.next`, `m.day(5)` on an interval; `d.end_of_month`.
    Interval(IntervalOp, Box<TExpr>, Option<Box<TExpr>>),
    /// `today()`: the evaluation date (the world as known that day).
    Today,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum IntervalOp {
    Start,
    End,
    Previous,
    Next,
    /// The Nth day of the interval's first month.
    Day,
    /// The last day of a date's month.
    EndOfMonth,
    /// `date(t)`: the day a moment falls on.
    DateOf,
    /// `hour(t)`: the hour of a moment, 0 to 23.
    Hour,
    /// `year(d)`: the year of a date or moment.
    Year,
    /// `month(d)`: the month of a date or moment, 1 to 12.
    Month,
}

impl IntervalOp {
    /// The built-in function that is this operation, written `f(x)` rather than `x.f`.
    pub fn function(self) -> Option<&'static str> {
        match self {
            IntervalOp::DateOf => Some("date"),
            IntervalOp::Hour => Some("hour"),
            IntervalOp::Year => Some("year"),
            IntervalOp::Month => Some("month"),
            _ => None,
        }
    }
}
