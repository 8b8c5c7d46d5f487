//! The abstract syntax tree: what was written, with spans. Nothing here is resolved.

use crate::diagnostic::Span;

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Name {
    pub text: String,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Str {
    pub text: String,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, Default)]
pub struct Module {
    pub items: Vec<Item>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Item {
    Plan(Plan),
    Party(Party),
    Group(Group),
    Unit(UnitDecl),
    Enum(EnumDecl),
    Import(Import),
    Record(Record),
    Period(Period),
    Calendar(Calendar),
    Sanction(Sanction),
    Rule(Rule),
    Table(Table),
    Clause(Clause),
    Test(Test),
    Outline(Outline),
    Untestable(Untestable),
}

/// The plan's numbered items, in order.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Outline {
    pub title: Option<Str>,
    pub entries: Vec<(Str, Option<Str>)>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Untestable {
    pub number: Str,
    pub text: Str,
    pub reason: Str,
    pub span: Span,
}

impl Item {
    /// The declared name and the span of the whole item.
    pub fn name(&self) -> (&str, Span) {
        match self {
            Item::Plan(x) => (&x.name.text, x.span),
            Item::Party(x) => (&x.name.text, x.span),
            Item::Group(x) => (&x.name.text, x.span),
            Item::Unit(x) => (&x.name.text, x.span),
            Item::Enum(x) => (&x.name.text, x.span),
            Item::Import(x) => (&x.name.text, x.span),
            Item::Record(x) => (&x.name.text, x.span),
            Item::Period(x) => (&x.name.text, x.span),
            Item::Calendar(x) => (&x.name.text, x.span),
            Item::Sanction(x) => (&x.name.text, x.span),
            Item::Rule(x) => (&x.name.text, x.span),
            Item::Table(x) => (&x.name.text, x.span),
            Item::Clause(x) => (&x.name.text, x.span),
            Item::Test(x) => (&x.name.text, x.span),
            Item::Outline(x) => ("outline", x.span),
            Item::Untestable(x) => (&x.number.text, x.span),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Plan {
    pub name: Name,
    pub title: Option<Str>,
    pub period: Option<(DateLit, DateLit)>,
    pub issued: Option<DateLit>,
    pub roles: Vec<(Name, Option<Str>)>,
    /// `implement 各縣區人民政府 in "三"`: roles every clause has unless it names them itself.
    pub default_roles: Vec<DefaultRole>,
    pub calendar: Option<Name>,
    pub month_overflow: Option<Name>,
    pub timezone: Option<Str>,
    /// `language "zh-Hant"`: the BCP 47 tag of the plan's language and script.
    pub language: Option<Str>,
    pub span: Span,
}

/// A plan-wide role: `ROLE PARTY, … [in "SECTION", …]`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct DefaultRole {
    pub role: Name,
    pub parties: Vec<Name>,
    /// The plan sections (cite prefixes, `"三"`, `"三(一)"`) it covers; none means every clause.
    pub sections: Vec<Str>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct DateLit {
    pub text: String,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Party {
    pub name: Name,
    pub full_name: Option<Str>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Group {
    pub name: Name,
    pub full_name: Option<Str>,
    pub members: Vec<Name>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct UnitDecl {
    pub name: Name,
    pub amount: String,
    /// The unit the amount is written in; `None` for a dimensionless count unit (`unit 家 = 1`).
    pub unit: Option<Name>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct EnumDecl {
    pub name: Name,
    pub label: Option<Str>,
    pub variants: Vec<Name>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Record {
    pub name: Name,
    pub label: Option<Str>,
    /// `None`: the record has no natural key, and each is known by its file and line.
    pub key: Option<Name>,
    pub dated: Option<Name>,
    pub fields: Vec<Field>,
    pub source: Option<Box<Source>>,
    /// `from KIND … by …`: a kind derived from another by grouping; `fields` is then empty.
    pub derive: Option<Box<Derive>>,
    pub span: Span,
}

/// An `import` of a standard package by name, or of a folder: a package whose declarations become this one's.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Import {
    pub name: Str,
    pub span: Span,
}

/// `from 小時數據 where FILTER by 站點 = 站點, 日期 = date(時刻) { … }`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Derive {
    pub from: Name,
    pub filter: Option<Expr>,
    /// The fields that make a group, each with its value for a source record.
    pub groups: Vec<(Name, Expr)>,
    pub fields: Vec<DerivedField>,
    /// `over 時刻 window 8 hours`: the field, the length, its unit as written.
    pub window: Option<(Name, String, Name)>,
    pub span: Span,
}

/// `PM25 = mean(小時數據.PM25) given 小時數 >= 20`: a value computed over a group's records,
/// valid only where the condition holds.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct DerivedField {
    pub name: Name,
    pub value: Expr,
    /// The condition, and its text as written.
    pub given: Option<(Expr, String)>,
    pub span: Span,
}

/// `source "PRSA_Data_*.csv" { … }`: how a raw export maps onto a record kind.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Source {
    /// File-name patterns (`*` any run of characters, `?` one) of files holding this kind.
    pub files: Vec<Str>,
    /// `missing "NA", "-"`: cell texts that mean no value.
    pub missing: Vec<Str>,
    /// `ignore "No", "TEMP"`: columns read past.
    pub ignore: Vec<Str>,
    /// `FIELD from "column", …`.
    pub columns: Vec<SourceColumn>,
    pub span: Span,
}

/// `PM25 from "PM2.5"` (a column under another name) or `時刻 from "year", "month", "day",
/// "hour"` (a date or datetime built from split columns).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SourceColumn {
    pub field: Name,
    pub columns: Vec<Str>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Field {
    pub name: Name,
    pub optional: bool,
    /// The type as written: a built-in type name, an enum, a record kind or a unit.
    pub ty: Name,
    /// The values the field may take, as written after its type.
    pub range: Option<FieldRange>,
    pub span: Span,
}

/// `in LOW .. HIGH` or `>= LOW`, `< HIGH`, … after a field's type.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct FieldRange {
    /// `in A .. B`: the range replaces both default ends (an end left out is open). Comparisons
    /// replace only the ends they name.
    pub both: bool,
    /// The ends as written, in order; the checker refuses two on one side.
    pub ends: Vec<RangeEnd>,
    pub span: Span,
}

/// One end of a field's range: a literal (`Number`, `Percent`, `Quantity` or `Date`, possibly
/// under a `Neg`), and whether the end itself is allowed.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct RangeEnd {
    /// `true` for a lower end (`>=`, `>`, the first end of `in`).
    pub low: bool,
    pub value: Expr,
    pub inclusive: bool,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Period {
    pub name: Name,
    pub label: Option<Str>,
    pub ranges: Vec<(DateLit, DateLit)>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Calendar {
    pub name: Name,
    pub source: Option<Str>,
    pub holidays: Vec<(DateLit, DateLit)>,
    pub workdays: Vec<(DateLit, DateLit)>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Sanction {
    pub name: Name,
    pub text: Option<Str>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Param {
    pub name: Name,
    pub ty: Name,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Cite {
    pub number: Str,
    pub text: Option<Str>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Rule {
    pub name: Name,
    pub params: Vec<Param>,
    pub label: Option<Str>,
    pub cite: Option<Cite>,
    pub lets: Vec<Let>,
    pub body: Expr,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Table {
    pub name: Name,
    pub params: Vec<Param>,
    pub label: Option<Str>,
    pub cite: Option<Cite>,
    pub rows: Vec<TableRow>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct TableRow {
    pub patterns: Vec<Pattern>,
    pub value: RowValue,
    pub span: Span,
}

/// What a table row gives.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum RowValue {
    /// `=> VALUE`.
    Value(Expr),
    /// `because "why"`: no value, on purpose (a gap the plan leaves).
    Gap(Str),
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Pattern {
    Any(Span),
    Cmp(BinOp, Expr),
    Eq(Expr),
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Clause {
    pub name: Name,
    pub title: Option<Str>,
    pub body: Vec<Stmt>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Stmt {
    Cite(Cite),
    Role {
        role: Name,
        /// Parties and groups by name.
        parties: Vec<Name>,
        /// Fields of the subject that hold a party (`e.所在縣區`), as field-access expressions.
        fields: Vec<Expr>,
        span: Span,
    },
    During(Expr),
    /// An exemption, with its source text.
    Unless(Expr, String),
    For(For),
    Let(Let),
    Require(Requirement),
    Otherwise {
        sanctions: Vec<Name>,
        on: Option<Expr>,
        span: Span,
    },
    /// `every month m of PERIOD { … }`.
    Every(Every),
    /// `roll deadlines forward`.
    Roll(Span),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EveryUnit {
    Month,
    Quarter,
    Year,
}

impl EveryUnit {
    pub fn name(self) -> &'static str {
        match self {
            EveryUnit::Month => "month",
            EveryUnit::Quarter => "quarter",
            EveryUnit::Year => "year",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Every {
    pub unit: EveryUnit,
    pub var: Name,
    pub of: Expr,
    pub body: Vec<Stmt>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct For {
    pub var: Name,
    pub scope: Name,
    /// `Record["key", …]`: named subjects.
    pub keys: Option<Vec<Expr>>,
    pub filter: Option<Expr>,
    /// Exemptions, with their source text.
    pub unless: Vec<(Expr, String)>,
    pub body: Vec<Stmt>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Let {
    pub name: Name,
    pub value: Expr,
    pub span: Span,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Modality {
    Must,
    MustNot,
    Should,
    ShouldNot,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DeadlineKind {
    /// Inclusive: the deadline day itself is on time.
    By,
    /// Exclusive: the deadline day itself is late.
    Before,
    /// A state target judged on the day: `pending` before it whatever the current value, then
    /// met or not as the world stood that day. Never fulfilled early, never late.
    At,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Requirement {
    pub modality: Modality,
    pub label: Option<Name>,
    pub condition: Expr,
    pub deadline: Option<(DeadlineKind, Expr)>,
    /// `given CONDITION`, with the condition as written.
    pub given: Option<(Expr, String)>,
    /// The requirement as written, whitespace collapsed, for reports.
    pub text: String,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Test {
    pub name: Str,
    pub as_of: Option<DateLit>,
    pub facts: Vec<TestFact>,
    pub expects: Vec<Expect>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct TestFact {
    pub kind: Name,
    pub fields: Vec<(Name, Expr)>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Expect {
    pub clause: Name,
    pub keys: Option<Vec<Expr>>,
    pub requirement: Option<Name>,
    pub status: Name,
    pub span: Span,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BinOp {
    Or,
    And,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    In,
    NotIn,
    Add,
    Sub,
    Mul,
    Div,
}

impl BinOp {
    pub fn symbol(self) -> &'static str {
        match self {
            BinOp::Or => "or",
            BinOp::And => "and",
            BinOp::Eq => "==",
            BinOp::Ne => "!=",
            BinOp::Lt => "<",
            BinOp::Le => "<=",
            BinOp::Gt => ">",
            BinOp::Ge => ">=",
            BinOp::In => "in",
            BinOp::NotIn => "not in",
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
        }
    }
    pub fn is_comparison(self) -> bool {
        matches!(self, BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum UnOp {
    Not,
    Neg,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ExprKind {
    Bool(bool),
    Number(String),
    Percent(String),
    Quantity {
        amount: String,
        unit: Name,
    },
    Date(String),
    /// `2019-09-30T08:00`, as written.
    DateTime(String),
    Text(String),
    Name(String),
    Field(Box<Expr>, Name),
    Unary(UnOp, Box<Expr>),
    Binary(BinOp, Box<Expr>, Box<Expr>),
    List(Vec<Expr>),
    If(Box<Expr>, Box<Expr>, Box<Expr>),
    Match(Box<Expr>, Vec<MatchArm>),
    /// `text` is the call as written, for reports.
    Call {
        func: Name,
        args: Vec<Arg>,
        text: String,
        /// `, empty VALUE`: an aggregate's value over no records.
        empty: Option<Box<Expr>>,
    },
    /// `plan.issued`, `plan.period`, …
    PlanRef(Name),
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct MatchArm {
    /// Empty means the wildcard `_`.
    pub patterns: Vec<Name>,
    pub value: Expr,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Arg {
    pub value: Expr,
    pub filter: Option<Expr>,
    pub during: Option<Expr>,
    pub span: Span,
}

/// Calls `f` on each direct sub-expression of `e`.
impl Expr {
    /// A leaf that stands in for an expression taken out of a tree.
    pub fn placeholder() -> Expr {
        Expr { kind: ExprKind::Bool(false), span: Span::default() }
    }
}

/// Drops an expression without recursion: the derived drop recurses once per level, and a
/// refused expression may be thousands of levels deep.
pub fn drop_deep(e: Expr) {
    let mut stack = vec![e];
    while let Some(mut e) = stack.pop() {
        match std::mem::replace(&mut e.kind, ExprKind::Bool(false)) {
            ExprKind::Field(b, _) | ExprKind::Unary(_, b) => stack.push(*b),
            ExprKind::Binary(_, a, b) => stack.extend([*a, *b]),
            ExprKind::List(xs) => stack.extend(xs),
            ExprKind::If(a, b, c) => stack.extend([*a, *b, *c]),
            ExprKind::Match(s, arms) => {
                stack.push(*s);
                stack.extend(arms.into_iter().map(|a| a.value));
            }
            ExprKind::Call { args, .. } => {
                for a in args {
                    stack.push(a.value);
                    stack.extend(a.filter);
                    stack.extend(a.during);
                }
            }
            _ => {}
        }
    }
}

pub fn children<'a>(e: &'a Expr, f: &mut impl FnMut(&'a Expr)) {
    match &e.kind {
        ExprKind::Bool(_)
        | ExprKind::Number(_)
        | ExprKind::Percent(_)
        | ExprKind::Quantity { .. }
        | ExprKind::Date(_)
        | ExprKind::DateTime(_)
        | ExprKind::Text(_)
        | ExprKind::Name(_)
        | ExprKind::PlanRef(_) => {}
        ExprKind::Field(b, _) | ExprKind::Unary(_, b) => f(b),
        ExprKind::Binary(_, a, b) => {
            f(a);
            f(b);
        }
        ExprKind::List(xs) => xs.iter().for_each(f),
        ExprKind::If(a, b, c) => {
            f(a);
            f(b);
            f(c);
        }
        ExprKind::Match(s, arms) => {
            f(s);
            arms.iter().for_each(|a| f(&a.value));
        }
        ExprKind::Call { args, empty, .. } => {
            if let Some(x) = empty {
                f(x);
            }
            for a in args {
                f(&a.value);
                if let Some(x) = &a.filter {
                    f(x);
                }
                if let Some(x) = &a.during {
                    f(x);
                }
            }
        }
    }
}
