//! Every declared name of a package and every place it is written: the declarations and the
//! references that go to definition, find references and hover stand on.
//!
//! Built from the parsed files (declarations, and the names the grammar places: roles, a
//! `for`'s kind, types, sanctions, group members, test facts) and from the checked model's
//! typed expressions, whose spans say which field, enum value, party or kind a name in an
//! expression resolved to. A name the model did not resolve (a period after `during`, a clause
//! in `violated(…)`, an aggregate's kind) is looked up by its text.

use crate::diagnostic::Span;
use crate::model::{self, Model, TExpr, TKind, TStmt, Ty};
use crate::syntax::ast::{self, Expr, ExprKind, Item, Module, Stmt};
use crate::value::Value;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

/// What a declared name is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    Plan,
    Role,
    Party,
    Group,
    Unit,
    Enum,
    Variant,
    Record,
    Field,
    Period,
    Calendar,
    Sanction,
    Rule,
    Table,
    Clause,
    Test,
    /// A `for` or `every` variable, a `let`, a rule's or table's parameter.
    Local,
}

impl Kind {
    pub fn word(self) -> &'static str {
        match self {
            Kind::Plan => "plan",
            Kind::Role => "role",
            Kind::Party => "party",
            Kind::Group => "group",
            Kind::Unit => "unit",
            Kind::Enum => "enum",
            Kind::Variant => "enum value",
            Kind::Record => "record",
            Kind::Field => "field",
            Kind::Period => "period",
            Kind::Calendar => "calendar",
            Kind::Sanction => "sanction",
            Kind::Rule => "rule",
            Kind::Table => "table",
            Kind::Clause => "clause",
            Kind::Test => "test",
            Kind::Local => "local",
        }
    }
}

/// A declared thing: its kind, its name, and what it belongs to (a field's record, an enum
/// value's enum, a local's place of declaration).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Target {
    pub kind: Kind,
    pub name: String,
    pub owner: Option<String>,
}

impl Target {
    fn new(kind: Kind, name: &str) -> Target {
        Target { kind, name: name.to_string(), owner: None }
    }
    fn owned(kind: Kind, name: &str, owner: &str) -> Target {
        Target { kind, name: name.to_string(), owner: Some(owner.to_string()) }
    }
}

/// Where a target is declared.
#[derive(Clone, Debug)]
pub struct Decl {
    pub file: Arc<str>,
    /// The name as written in the declaration.
    pub name: Span,
    /// The whole declaration (the item, the field, the variant).
    pub whole: Span,
    /// For a local: the record kind it stands for, when it is one.
    pub record: Option<String>,
}

/// One place a name is written.
#[derive(Clone, Debug)]
pub struct Occurrence {
    pub target: Target,
    pub file: Arc<str>,
    pub span: Span,
    pub is_decl: bool,
}

#[derive(Default, Debug)]
pub struct Index {
    pub decls: HashMap<Target, Decl>,
    pub occurrences: Vec<Occurrence>,
}

impl Index {
    /// Indexes the files of a package (with their texts) against its checked model.
    pub fn build(files: &[(Arc<str>, &str, &Module)], model: &Model) -> Index {
        let mut ix = Index::default();
        for (file, _, module) in files {
            for item in &module.items {
                ix.declare_item(file, item);
            }
        }
        let texts: HashMap<&str, &str> = files.iter().map(|(f, t, _)| (&**f, *t)).collect();
        let mut claimed = HashSet::new();
        ix.model_references(model, &texts, &mut claimed);
        for (file, _, module) in files {
            let mut w = Walk {
                ix: &mut ix,
                model,
                file: file.clone(),
                claimed: &claimed,
                scopes: Vec::new(),
                kinds: Vec::new(),
            };
            for item in &module.items {
                w.item(item);
            }
        }
        ix.occurrences.sort_by(|a, b| (&a.file, a.span).cmp(&(&b.file, b.span)));
        ix
    }

    /// The occurrence at a byte offset of a file (the innermost, when a name touches another).
    pub fn at(&self, file: &str, offset: usize) -> Option<&Occurrence> {
        let offset = offset as u32;
        self.occurrences
            .iter()
            .filter(|o| &*o.file == file && o.span.start <= offset && offset <= o.span.end)
            .min_by_key(|o| o.span.len())
    }

    /// Every place `target` is written, its declaration first.
    pub fn references(&self, target: &Target) -> Vec<&Occurrence> {
        let mut out: Vec<&Occurrence> = self.occurrences.iter().filter(|o| o.target == *target).collect();
        out.sort_by_key(|o| !o.is_decl);
        out
    }

    fn declare(&mut self, target: Target, file: &Arc<str>, name: Span, whole: Span, record: Option<String>) {
        self.occurrences.push(Occurrence { target: target.clone(), file: file.clone(), span: name, is_decl: true });
        self.decls.entry(target).or_insert(Decl { file: file.clone(), name, whole, record });
    }

    fn refer(&mut self, target: Target, file: &Arc<str>, span: Span) {
        self.occurrences.push(Occurrence { target, file: file.clone(), span, is_decl: false });
    }

    fn has(&self, kind: Kind, name: &str) -> bool {
        self.decls.contains_key(&Target::new(kind, name))
    }

    fn declare_item(&mut self, file: &Arc<str>, item: &Item) {
        let simple = |ix: &mut Index, kind: Kind, n: &ast::Name, whole: Span| {
            ix.declare(Target::new(kind, &n.text), file, n.span, whole, None)
        };
        match item {
            Item::Plan(p) => {
                simple(self, Kind::Plan, &p.name, p.span);
                for (r, _) in &p.roles {
                    simple(self, Kind::Role, r, r.span);
                }
            }
            Item::Party(p) => simple(self, Kind::Party, &p.name, p.span),
            Item::Group(g) => simple(self, Kind::Group, &g.name, g.span),
            Item::Unit(u) => simple(self, Kind::Unit, &u.name, u.span),
            Item::Enum(e) => {
                simple(self, Kind::Enum, &e.name, e.span);
                for v in &e.variants {
                    self.declare(Target::owned(Kind::Variant, &v.text, &e.name.text), file, v.span, v.span, None);
                }
            }
            Item::Record(r) => {
                simple(self, Kind::Record, &r.name, r.span);
                let owner = &r.name.text;
                for f in &r.fields {
                    self.declare(Target::owned(Kind::Field, &f.name.text, owner), file, f.name.span, f.span, None);
                }
                if let Some(d) = &r.derive {
                    for (n, e) in &d.groups {
                        self.declare(Target::owned(Kind::Field, &n.text, owner), file, n.span, n.span.to(e.span), None);
                    }
                    for f in &d.fields {
                        self.declare(Target::owned(Kind::Field, &f.name.text, owner), file, f.name.span, f.span, None);
                    }
                }
            }
            Item::Period(p) => simple(self, Kind::Period, &p.name, p.span),
            Item::Calendar(c) => simple(self, Kind::Calendar, &c.name, c.span),
            Item::Sanction(s) => simple(self, Kind::Sanction, &s.name, s.span),
            Item::Rule(r) => simple(self, Kind::Rule, &r.name, r.span),
            Item::Table(t) => simple(self, Kind::Table, &t.name, t.span),
            Item::Clause(c) => simple(self, Kind::Clause, &c.name, c.span),
            Item::Test(t) => self.declare(Target::new(Kind::Test, &t.name.text), file, t.name.span, t.span, None),
            Item::Import(_) | Item::Outline(_) | Item::Untestable(_) => {}
        }
    }

    /// The names the checker resolved inside expressions: fields, enum values, parties,
    /// groups, record kinds, rule and table calls. Their spans are `claimed`, so that the
    /// walk over the syntax does not look them up by text again.
    fn model_references(&mut self, m: &Model, texts: &HashMap<&str, &str>, claimed: &mut HashSet<(Arc<str>, Span)>) {
        let mut exprs: Vec<(Arc<str>, &TExpr)> = Vec::new();
        for c in &m.clauses {
            let f = &c.origin.file;
            for e in &c.exemptions {
                exprs.push((f.clone(), &e.expr));
            }
            if let Some(p) = &c.during {
                period_exprs(p, f, &mut exprs);
            }
            stmt_exprs(&c.body, f, &mut exprs);
        }
        for r in &m.rules {
            exprs.extend(r.lets.iter().map(|(_, e)| (r.origin.file.clone(), e)));
            exprs.push((r.origin.file.clone(), &r.body));
        }
        for t in &m.tables {
            for (pats, v) in &t.rows {
                for p in pats {
                    if let model::TPattern::Cmp(_, e) = p {
                        exprs.push((t.origin.file.clone(), e));
                    }
                }
                if let Some(v) = v.value() {
                    exprs.push((t.origin.file.clone(), v));
                }
            }
        }
        for d in &m.derived {
            let Some(rec) = m.records.get(d.kind.index()) else { continue };
            let f = &rec.origin.file;
            exprs.extend(d.filter.iter().chain(&d.groups).map(|e| (f.clone(), e)));
            for v in &d.values {
                exprs.push((f.clone(), &v.value));
                if let Some((g, _)) = &v.given {
                    exprs.push((f.clone(), g));
                }
            }
        }
        let mut stack = exprs;
        while let Some((file, e)) = stack.pop() {
            texpr_children(e, &mut |c| stack.push((file.clone(), c)));
            let Some(text) = texts.get(&*file) else { continue };
            let Some(written) = text.get(e.span.start as usize..e.span.end as usize) else { continue };
            let found = match &e.kind {
                TKind::Field(_, r, f) => m.records.get(r.index()).and_then(|rec| {
                    let field = rec.fields.get(*f as usize)?;
                    written.ends_with(&field.name).then(|| {
                        let end = e.span.end as usize;
                        (Target::owned(Kind::Field, &field.name, &rec.name), Span::new(end - field.name.len(), end))
                    })
                }),
                TKind::Const(Value::Enum(v)) => match &e.ty {
                    Ty::Enum(en) => m.enums.get(en.index()).and_then(|en| {
                        let name = en.variants.get(*v as usize)?;
                        (name == written).then(|| (Target::owned(Kind::Variant, name, &en.name), e.span))
                    }),
                    _ => None,
                },
                TKind::Const(Value::Party(p)) => m
                    .parties
                    .get(p.index())
                    .filter(|p| p.name == written)
                    .map(|p| (Target::new(Kind::Party, &p.name), e.span)),
                TKind::List(_) if self.has(Kind::Group, written) => Some((Target::new(Kind::Group, written), e.span)),
                TKind::Const(_) if matches!(e.ty, Ty::Kind(_)) && self.has(Kind::Record, written) => {
                    Some((Target::new(Kind::Record, written), e.span))
                }
                TKind::Rule(i, _) => {
                    m.rules.get(*i as usize).and_then(|r| called(&r.name, written, e.span, Kind::Rule))
                }
                TKind::Table(i, _) => {
                    m.tables.get(*i as usize).and_then(|t| called(&t.name, written, e.span, Kind::Table))
                }
                _ => None,
            };
            if let Some((target, span)) = found
                && claimed.insert((file.clone(), span))
            {
                self.refer(target, &file, span);
            }
        }
    }
}

/// A call's function name, at the start of the call as written.
fn called(name: &str, written: &str, span: Span, kind: Kind) -> Option<(Target, Span)> {
    written
        .starts_with(name)
        .then(|| (Target::new(kind, name), Span::new(span.start as usize, span.start as usize + name.len())))
}

fn period_exprs<'m>(p: &'m model::TPeriod, f: &Arc<str>, out: &mut Vec<(Arc<str>, &'m TExpr)>) {
    if let model::TPeriod::Dynamic(e) = p {
        out.push((f.clone(), e));
    }
}

fn stmt_exprs<'m>(stmts: &'m [TStmt], f: &Arc<str>, out: &mut Vec<(Arc<str>, &'m TExpr)>) {
    for s in stmts {
        match s {
            TStmt::Let(_, e) => out.push((f.clone(), e)),
            TStmt::Require(r) => {
                out.push((f.clone(), &r.condition));
                if let Some((_, d)) = &r.deadline {
                    out.push((f.clone(), d));
                }
                if let Some(g) = &r.given {
                    out.push((f.clone(), &g.0));
                }
                for s in &r.sanctions {
                    out.extend(s.on.iter().map(|e| (f.clone(), e)));
                }
            }
            TStmt::For(d) => {
                if let model::ScopeSource::Keys(_, keys) = &d.source {
                    out.extend(keys.iter().map(|e| (f.clone(), e)));
                }
                out.extend(d.filter.iter().map(|e| (f.clone(), e)));
                out.extend(d.exemptions.iter().map(|x| (f.clone(), &x.expr)));
                stmt_exprs(&d.body, f, out);
            }
            TStmt::Every(d) => {
                period_exprs(&d.period, f, out);
                stmt_exprs(&d.body, f, out);
            }
        }
    }
}

/// Calls `f` on each direct sub-expression of a typed expression.
fn texpr_children<'m>(e: &'m TExpr, f: &mut impl FnMut(&'m TExpr)) {
    match &e.kind {
        TKind::Const(_) | TKind::Local(_) | TKind::Today => {}
        TKind::Field(x, _, _) | TKind::Unary(_, x) | TKind::Exists(x) => f(x),
        TKind::Binary(_, a, b) | TKind::Change(a, b) | TKind::DateShift(a, b, _) => {
            f(a);
            f(b);
        }
        TKind::Round(a, b, _) => {
            f(a);
            f(b);
        }
        TKind::List(xs) | TKind::Rule(_, xs) | TKind::Table(_, xs) => xs.iter().for_each(f),
        TKind::If(a, b, c) => {
            f(a);
            f(b);
            f(c);
        }
        TKind::Match(s, arms) => {
            f(s);
            arms.iter().for_each(|(_, v)| f(v));
        }
        TKind::Aggregate(a) => {
            a.value.iter().chain(&a.filter).chain(&a.empty).for_each(&mut *f);
            a.index.iter().for_each(|(_, e)| f(e));
            if let Some(model::TPeriod::Dynamic(p)) = &a.during {
                f(p);
            }
        }
        TKind::ClauseStatus { subject, .. } => f(subject),
        TKind::Interval(_, x, y) => {
            f(x);
            if let Some(y) = y {
                f(y);
            }
        }
    }
}

/// The walk over the syntax of one file, with the locals in scope.
struct Walk<'a> {
    ix: &'a mut Index,
    model: &'a Model,
    file: Arc<str>,
    claimed: &'a HashSet<(Arc<str>, Span)>,
    scopes: Vec<Target>,
    /// The record kinds of the aggregates around (innermost last), whose fields a bare name
    /// in their filters and conditions is first.
    kinds: Vec<String>,
}

impl Walk<'_> {
    fn refer(&mut self, kind: Kind, n: &ast::Name) {
        if self.ix.has(kind, &n.text) {
            self.ix.refer(Target::new(kind, &n.text), &self.file, n.span);
        }
    }

    /// A party or a group.
    fn party(&mut self, n: &ast::Name) {
        let kind = if self.ix.has(Kind::Group, &n.text) { Kind::Group } else { Kind::Party };
        self.refer(kind, n);
    }

    fn field(&mut self, record: &str, n: &ast::Name) {
        let t = Target::owned(Kind::Field, &n.text, record);
        if self.ix.decls.contains_key(&t) {
            self.ix.refer(t, &self.file, n.span);
        }
    }

    /// A type as written: a record kind, an enum or a unit alias.
    fn ty(&mut self, n: &ast::Name) {
        for kind in [Kind::Record, Kind::Enum, Kind::Unit] {
            if self.ix.has(kind, &n.text) {
                return self.refer(kind, n);
            }
        }
    }

    fn local(&mut self, n: &ast::Name, record: Option<String>) {
        let t = Target::owned(Kind::Local, &n.text, &format!("{}:{}", self.file, n.span.start));
        self.ix.declare(t.clone(), &self.file, n.span, n.span, record);
        self.scopes.push(t);
    }

    fn item(&mut self, item: &Item) {
        self.scopes.clear();
        self.kinds.clear();
        match item {
            Item::Plan(p) => {
                if let Some(c) = &p.calendar {
                    self.refer(Kind::Calendar, c);
                }
            }
            Item::Group(g) => g.members.iter().for_each(|m| self.party(m)),
            Item::Unit(u) => {
                if let Some(n) = &u.unit {
                    self.refer(Kind::Unit, n);
                }
            }
            Item::Record(r) => {
                let owner = &r.name.text;
                for n in r.key.iter().chain(&r.dated) {
                    self.field(owner, n);
                }
                for f in &r.fields {
                    self.ty(&f.ty);
                }
                if let Some(s) = &r.source {
                    for c in &s.columns {
                        self.field(owner, &c.field);
                    }
                }
                if let Some(d) = &r.derive {
                    self.refer(Kind::Record, &d.from);
                    // The filter and the groups read the source record's fields by bare name;
                    // the values, the derived record's group fields and the values before them.
                    self.kinds.push(d.from.text.clone());
                    for e in d.filter.iter().chain(d.groups.iter().map(|g| &g.1)) {
                        self.expr(e);
                    }
                    self.kinds.pop();
                    self.kinds.push(owner.clone());
                    for f in &d.fields {
                        self.expr(&f.value);
                        if let Some((g, _)) = &f.given {
                            self.expr(g);
                        }
                    }
                    self.kinds.pop();
                    if let Some((field, _, _)) = &d.window {
                        self.field(&d.from.text, field);
                    }
                }
            }
            Item::Rule(r) => {
                self.params(&r.params);
                for l in &r.lets {
                    self.expr(&l.value);
                    self.local(&l.name, None);
                }
                self.expr(&r.body);
            }
            Item::Table(t) => {
                self.params(&t.params);
                for row in &t.rows {
                    for p in &row.patterns {
                        match p {
                            ast::Pattern::Any(_) => {}
                            ast::Pattern::Cmp(_, e) | ast::Pattern::Eq(e) => self.expr(e),
                        }
                    }
                    if let ast::RowValue::Value(v) = &row.value {
                        self.expr(v);
                    }
                }
            }
            Item::Clause(c) => self.stmts(&c.body),
            Item::Test(t) => {
                for fact in &t.facts {
                    self.refer(Kind::Record, &fact.kind);
                    for (n, v) in &fact.fields {
                        self.field(&fact.kind.text, n);
                        self.expr(v);
                    }
                }
                for e in &t.expects {
                    self.refer(Kind::Clause, &e.clause);
                }
            }
            Item::Party(_)
            | Item::Enum(_)
            | Item::Import(_)
            | Item::Period(_)
            | Item::Calendar(_)
            | Item::Sanction(_)
            | Item::Outline(_)
            | Item::Untestable(_) => {}
        }
    }

    fn params(&mut self, params: &[ast::Param]) {
        for p in params {
            self.ty(&p.ty);
            let record = self.ix.has(Kind::Record, &p.ty.text).then(|| p.ty.text.clone());
            self.local(&p.name, record);
        }
    }

    fn stmts(&mut self, stmts: &[Stmt]) {
        let depth = self.scopes.len();
        for s in stmts {
            match s {
                Stmt::Cite(_) | Stmt::Roll(_) => {}
                Stmt::Role { role, parties, .. } => {
                    self.refer(Kind::Role, role);
                    parties.iter().for_each(|p| self.party(p));
                }
                Stmt::During(e) | Stmt::Unless(e, _) => self.expr(e),
                Stmt::For(f) => {
                    let record = self.ix.has(Kind::Record, &f.scope.text);
                    if record {
                        self.refer(Kind::Record, &f.scope);
                    } else {
                        self.party(&f.scope);
                    }
                    f.keys.iter().flatten().for_each(|k| self.expr(k));
                    let inner = self.scopes.len();
                    self.local(&f.var, record.then(|| f.scope.text.clone()));
                    f.filter.iter().chain(f.unless.iter().map(|u| &u.0)).for_each(|e| self.expr(e));
                    self.stmts(&f.body);
                    self.scopes.truncate(inner);
                }
                Stmt::Let(l) => {
                    self.expr(&l.value);
                    self.local(&l.name, None);
                }
                Stmt::Require(r) => {
                    self.expr(&r.condition);
                    if let Some((_, d)) = &r.deadline {
                        self.expr(d);
                    }
                    if let Some((g, _)) = &r.given {
                        self.expr(g);
                    }
                }
                Stmt::Otherwise { sanctions, on, .. } => {
                    sanctions.iter().for_each(|s| self.refer(Kind::Sanction, s));
                    on.iter().for_each(|e| self.expr(e));
                }
                Stmt::Every(e) => {
                    self.expr(&e.of);
                    let inner = self.scopes.len();
                    self.local(&e.var, None);
                    self.stmts(&e.body);
                    self.scopes.truncate(inner);
                }
            }
        }
        self.scopes.truncate(depth);
    }

    fn expr(&mut self, e: &Expr) {
        match &e.kind {
            ExprKind::Name(n) => self.name(n, e.span),
            ExprKind::Quantity { unit, .. } => self.refer(Kind::Unit, unit),
            ExprKind::Field(inner, name) => {
                self.expr(inner);
                if !self.claimed.contains(&(self.file.clone(), name.span))
                    && let Some(record) = self.record_of(inner)
                {
                    self.field(&record, name);
                }
                return;
            }
            ExprKind::Call { func, args, empty, .. } => {
                if !self.claimed.contains(&(self.file.clone(), func.span)) {
                    for kind in [Kind::Rule, Kind::Table] {
                        if self.ix.has(kind, &func.text) {
                            self.refer(kind, func);
                            break;
                        }
                    }
                }
                // An aggregate's first argument names the records (`K`, `K.f`); its filter and
                // the other arguments read their fields by bare name.
                let kind = args.first().and_then(|a| match &a.value.kind {
                    ExprKind::Name(n) => Some(n),
                    ExprKind::Field(inner, _) => match &inner.kind {
                        ExprKind::Name(n) => Some(n),
                        _ => None,
                    },
                    _ => None,
                });
                let kind = kind.filter(|k| self.ix.has(Kind::Record, k) && !self.scopes.iter().any(|t| t.name == **k));
                for (i, a) in args.iter().enumerate() {
                    if i == 0 {
                        self.expr(&a.value);
                    }
                    if let Some(k) = kind {
                        self.kinds.push(k.clone());
                    }
                    if i > 0 {
                        self.expr(&a.value);
                    }
                    a.filter.iter().chain(&a.during).for_each(|x| self.expr(x));
                    if kind.is_some() {
                        self.kinds.pop();
                    }
                }
                empty.iter().for_each(|x| self.expr(x));
                return;
            }
            ExprKind::Match(_, arms) => {
                for a in arms {
                    for p in &a.patterns {
                        self.name(&p.text, p.span);
                    }
                }
            }
            _ => {}
        }
        ast::children(e, &mut |c| self.expr(c));
    }

    /// The record kind an expression stands for or refers to, when the syntax tells: a field
    /// of an aggregate's records, a local bound to a record, a record kind (`K.f`), a field
    /// holding a reference.
    fn record_of(&self, e: &Expr) -> Option<String> {
        match &e.kind {
            ExprKind::Name(n) => {
                if let Some(k) = self.kinds.iter().rev().find(|k| self.model_field(k, n).is_some()) {
                    return self.field_record(k, n);
                }
                if let Some(t) = self.scopes.iter().rev().find(|t| t.name == *n) {
                    return self.ix.decls.get(t).and_then(|d| d.record.clone());
                }
                self.ix.has(Kind::Record, n).then(|| n.clone())
            }
            ExprKind::Field(inner, f) => self.field_record(&self.record_of(inner)?, &f.text),
            _ => None,
        }
    }

    fn model_field(&self, record: &str, field: &str) -> Option<&model::FieldDecl> {
        self.model.records.iter().find(|r| r.name == record)?.fields.iter().find(|f| f.name == field)
    }

    /// The record kind a field of a record refers to.
    fn field_record(&self, record: &str, field: &str) -> Option<String> {
        match self.model_field(record, field)?.ty {
            Ty::Ref(i) => self.model.records.get(i.index()).map(|r| r.name.clone()),
            _ => None,
        }
    }

    /// A name in an expression the checker did not resolve: a local in scope, else a declared
    /// name with that text.
    fn name(&mut self, n: &str, span: Span) {
        if self.claimed.contains(&(self.file.clone(), span)) {
            return;
        }
        if let Some(k) = self.kinds.iter().rev().find(|k| self.model_field(k, n).is_some()) {
            let t = Target::owned(Kind::Field, n, k);
            self.ix.refer(t, &self.file, span);
            return;
        }
        if let Some(t) = self.scopes.iter().rev().find(|t| t.name == n) {
            let t = t.clone();
            self.ix.refer(t, &self.file, span);
            return;
        }
        for kind in [Kind::Clause, Kind::Period, Kind::Party, Kind::Group, Kind::Record, Kind::Sanction, Kind::Enum] {
            if self.ix.has(kind, n) {
                self.ix.refer(Target::new(kind, n), &self.file, span);
                return;
            }
        }
        // An enum value the checker did not place (a `match` arm, a test fact's value): the
        // first enum that has it.
        let variant = self.ix.decls.keys().filter(|t| t.kind == Kind::Variant && t.name == n).min_by(|a, b| {
            let (da, db) = (&self.ix.decls[*a], &self.ix.decls[*b]);
            (&da.file, da.name).cmp(&(&db.file, db.name))
        });
        if let Some(t) = variant.cloned() {
            self.ix.refer(t, &self.file, span);
        }
    }
}
