//! Resolution and type checking. Every error is collected; checking goes on with `Ty::Error`
//! nodes so that one mistake does not hide the next.

use super::ir::*;
use super::types::*;
use crate::diagnostic::{Diagnostic, Span};
use crate::eval::Status;
use crate::syntax::ast::{self, BinOp, DeadlineKind, ExprKind, Item, Modality, UnOp};
use crate::units::Unit;
use crate::value::{Date, Value};
use rust_decimal::Decimal;
use std::collections::HashMap;
use std::sync::Arc;

/// Checks a policy package: its files' modules, in a stable order.
/// `incomplete` says that some file of the package did not parse: its declarations are missing,
/// so a missing plan is not reported and unresolved names say why they may be unresolved.
pub fn check(files: &[(Arc<str>, &ast::Module)], incomplete: bool) -> (Model, Vec<Diagnostic>) {
    check_with_budget(files, incomplete, SUGGESTION_BUDGET)
}

fn check_with_budget(files: &[(Arc<str>, &ast::Module)], incomplete: bool, budget: usize) -> (Model, Vec<Diagnostic>) {
    let mut c = Checker { incomplete, suggestion_budget: budget.into(), ..Checker::default() };
    c.collect(files);
    c.run(files);
    let mut diags = c.diags;
    diags.extend(super::confusable::confusable_names(files));
    if incomplete {
        for d in diags.iter_mut().filter(|d| d.code.starts_with("unknown-")) {
            let help = d.help.take().unwrap_or_default();
            d.help = Some(format!(
                "{help} (a file of this package has a syntax error, so its declarations are not seen yet)"
            ));
        }
    }
    diags.sort_by(|a, b| (a.file.as_ref(), a.primary_span()).cmp(&(b.file.as_ref(), b.primary_span())));
    (c.model, diags)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum DeclKind {
    Plan,
    Party,
    Group,
    Unit,
    Enum,
    Record,
    Period,
    Calendar,
    Sanction,
    Rule,
    Table,
    Clause,
}

impl DeclKind {
    /// The noun with its article: `a party`, `an enum`.
    fn a(self) -> String {
        let n = self.noun();
        if n.starts_with(['a', 'e', 'i', 'o', 'u']) { format!("an {n}") } else { format!("a {n}") }
    }

    fn noun(self) -> &'static str {
        match self {
            DeclKind::Plan => "plan",
            DeclKind::Party => "party",
            DeclKind::Group => "group",
            DeclKind::Unit => "unit",
            DeclKind::Enum => "enum",
            DeclKind::Record => "record kind",
            DeclKind::Period => "period",
            DeclKind::Calendar => "calendar",
            DeclKind::Sanction => "sanction",
            DeclKind::Rule => "rule",
            DeclKind::Table => "table",
            DeclKind::Clause => "clause",
        }
    }
}

#[derive(Clone)]
struct Local {
    name: String,
    slot: u32,
    ty: Ty,
    unit: Option<Unit>,
}

#[derive(Default)]
struct Checker {
    incomplete: bool,
    model: Model,
    diags: Vec<Diagnostic>,
    /// Every top-level name: kind, index within its kind, origin.
    names: HashMap<String, (DeclKind, u32, Origin)>,
    /// The file being checked.
    file: Arc<str>,
    locals: Vec<Local>,
    next_slot: u32,
    max_slot: u32,
    /// Implicit records of enclosing aggregates: their fields are in scope by bare name.
    implicit: Vec<(u32, RecordId)>,
    /// Rule checking state: 0 = not yet, 1 = in progress, 2 = done.
    rule_state: Vec<u8>,
    rule_asts: Vec<(Arc<str>, ast::Rule)>,
    /// Clause → clauses whose verdicts it reads.
    clause_deps: Vec<Vec<(String, Span)>>,
    /// How many names of each kind are declared so far: the index of the next one.
    kind_counts: HashMap<DeclKind, u32>,
    /// Positions of declarations by name in the model's vectors, one map per kind, filled
    /// lazily by [`Checker::find`] with the entries pushed since its last call. A scan per
    /// reference made checking quadratic in the number of declarations.
    positions: std::cell::RefCell<HashMap<DeclKind, Positions>>,
    /// Every enum variant by name: the enums (and positions within them) that declare it.
    variant_index: HashMap<String, Vec<(u32, u32)>>,
    /// Candidate names the did-you-mean search may still compare (see [`SUGGESTION_BUDGET`]).
    suggestion_budget: std::cell::Cell<usize>,
}

/// How many entries of one kind's model vector are indexed, and their positions by name.
type Positions = (usize, HashMap<String, u32>);

/// How many candidate names the did-you-mean searches of one package may compare in all. Each
/// search compares the unknown name with every declaration of the kinds it could be, so a
/// package with many unknown names and many declarations would take time growing with their
/// product; once the budget is spent, later diagnostics keep their generic help line.
pub const SUGGESTION_BUDGET: usize = 1_000_000;

fn origin(file: &Arc<str>, span: Span) -> Origin {
    Origin { file: file.clone(), span }
}

impl Checker {
    fn err(
        &mut self,
        code: &'static str,
        span: Span,
        msg: impl Into<String>,
        help: impl Into<String>,
    ) -> &mut Diagnostic {
        let d = Diagnostic::error(code, &self.file, span, msg).with_help(help);
        self.diags.push(d);
        self.diags.last_mut().expect("just pushed")
    }

    // ------------------------------------------------------------------ declarations

    fn collect(&mut self, files: &[(Arc<str>, &ast::Module)]) {
        let mut plan_seen: Option<Origin> = None;
        for (file, module) in files {
            self.file = file.clone();
            for item in &module.items {
                let kind = match item {
                    Item::Plan(_) => DeclKind::Plan,
                    Item::Party(_) => DeclKind::Party,
                    Item::Group(_) => DeclKind::Group,
                    Item::Unit(_) => DeclKind::Unit,
                    Item::Enum(_) => DeclKind::Enum,
                    Item::Record(_) => DeclKind::Record,
                    Item::Period(_) => DeclKind::Period,
                    Item::Calendar(_) => DeclKind::Calendar,
                    Item::Sanction(_) => DeclKind::Sanction,
                    Item::Rule(_) => DeclKind::Rule,
                    Item::Table(_) => DeclKind::Table,
                    Item::Clause(_) => DeclKind::Clause,
                    Item::Test(_) | Item::Outline(_) | Item::Untestable(_) => continue,
                };
                let (name, _) = item.name();
                let nspan = name_span(item);
                if kind == DeclKind::Plan {
                    if let Some(first) = &plan_seen {
                        let first = first.clone();
                        self.err(
                            "duplicate-plan",
                            nspan,
                            "a package declares one `plan`, found a second",
                            "merge the two plan items",
                        )
                        .labels
                        .push(crate::diagnostic::Label {
                            span: first.span,
                            message: "first plan here".into(),
                            file: (first.file != *file).then(|| first.file.clone()),
                        });
                        continue;
                    }
                    plan_seen = Some(origin(file, nspan));
                }
                if let Some((k, _, o)) = self.names.get(name) {
                    let (k, o) = (*k, o.clone());
                    let d =
                        Diagnostic::error("duplicate-definition", file, nspan, format!("`{name}` is defined twice"))
                            .with_label(format!("second definition, as {}", kind.a()))
                            .with_secondary_in(&o.file, o.span, format!("first defined here, as {}", k.a()))
                            .with_help("rename one of them: every top-level name of a package is unique");
                    self.diags.push(d);
                    continue;
                }
                let count = self.kind_counts.entry(kind).or_insert(0);
                self.names.insert(name.to_string(), (kind, *count, origin(file, nspan)));
                *count += 1;
            }
        }
        if plan_seen.is_none() && !self.incomplete {
            let file = files.first().map(|f| f.0.clone()).unwrap_or_else(|| Arc::from("<package>"));
            self.diags.push(
                Diagnostic::error("missing-plan", &file, Span::default(), "the package declares no `plan`").with_help(
                    "add `plan NAME \"title\" { period 2019-01-01 .. 2019-12-31  roles lead \"牽頭\" }` to one file",
                ),
            );
        }
    }

    fn run(&mut self, files: &[(Arc<str>, &ast::Module)]) {
        // Pass 1: declarations that other declarations use, in dependency order.
        let order: [fn(&Item) -> bool; 10] = [
            |i| matches!(i, Item::Unit(_)),
            |i| matches!(i, Item::Party(_)),
            |i| matches!(i, Item::Group(_)),
            |i| matches!(i, Item::Calendar(_)),
            |i| matches!(i, Item::Plan(_)),
            |i| matches!(i, Item::Enum(_)),
            |i| matches!(i, Item::Period(_)),
            |i| matches!(i, Item::Sanction(_)),
            |i| matches!(i, Item::Record(_)),
            |i| matches!(i, Item::Rule(_) | Item::Table(_)),
        ];
        // Records are declared in two steps (names first) so fields may reference later kinds.
        for (file, module) in files {
            for item in &module.items {
                if let Item::Record(r) = item {
                    self.model.records.push(RecordDecl {
                        name: r.name.text.clone(),
                        label: r.label.as_ref().map(|s| s.text.clone()),
                        fields: vec![],
                        key: 0,
                        dated: None,
                        origin: origin(file, r.name.span),
                    });
                }
            }
        }
        let mut record_idx = 0;
        for pick in order {
            for (file, module) in files {
                self.file = file.clone();
                for item in module.items.iter().filter(|i| pick(i)) {
                    match item {
                        Item::Unit(u) => self.unit_decl(u),
                        Item::Party(p) => self.model.parties.push(PartyDecl {
                            name: p.name.text.clone(),
                            full_name: p.full_name.as_ref().map(|s| s.text.clone()),
                            origin: origin(file, p.name.span),
                        }),
                        Item::Group(g) => self.group(g),
                        Item::Calendar(c) => self.calendar(c),
                        Item::Plan(p) => self.plan(p),
                        Item::Enum(e) => self.enum_decl(e),
                        Item::Period(p) => self.period(p),
                        Item::Sanction(s) => self.model.sanctions.push(SanctionDecl {
                            name: s.name.text.clone(),
                            text: s.text.as_ref().map(|t| t.text.clone()),
                            origin: origin(file, s.name.span),
                        }),
                        Item::Record(r) => {
                            self.record(record_idx, r);
                            record_idx += 1;
                        }
                        Item::Rule(r) => {
                            self.rule_asts.push((file.clone(), r.clone()));
                        }
                        Item::Table(_) => {}
                        _ => {}
                    }
                }
            }
        }
        // Rules are checked on demand (a rule may call a later one); tables in order.
        self.rule_state = vec![0; self.rule_asts.len()];
        self.model.rules = Vec::with_capacity(self.rule_asts.len());
        let mut placeholder = Vec::new();
        for (file, r) in &self.rule_asts {
            placeholder.push(RuleDef {
                name: r.name.text.clone(),
                label: None,
                cite: None,
                params: vec![],
                lets: vec![],
                body: error_expr(r.span),
                slots: 0,
                origin: origin(file, r.name.span),
            });
        }
        self.model.rules = placeholder;
        for i in 0..self.rule_asts.len() {
            self.check_rule(i);
        }
        for (file, module) in files {
            self.file = file.clone();
            for item in &module.items {
                if let Item::Table(t) = item {
                    self.table(t);
                }
            }
        }
        // Pass 2: clauses, then tests.
        let mut clauses = Vec::new();
        for (file, module) in files {
            self.file = file.clone();
            for item in &module.items {
                if let Item::Clause(c) = item {
                    self.clause_deps.push(vec![]);
                    clauses.push(self.clause(c));
                }
            }
        }
        self.model.clauses = self.order_clauses(clauses);
        self.outline(files);
        for (file, module) in files {
            self.file = file.clone();
            for item in &module.items {
                if let Item::Test(t) = item
                    && let Some(t) = self.test(t)
                {
                    self.model.tests.push(t);
                }
            }
        }
    }

    /// The plan's outline and its untestable sentences; every cite should name an entry.
    fn outline(&mut self, files: &[(Arc<str>, &ast::Module)]) {
        let mut seen: Option<Origin> = None;
        // The outline's numbers, for membership tests in time independent of its length.
        let mut numbers: std::collections::HashSet<String> = std::collections::HashSet::new();
        for (file, module) in files {
            self.file = file.clone();
            for item in &module.items {
                let Item::Outline(o) = item else { continue };
                if let Some(first) = &seen {
                    let first = first.clone();
                    let d = Diagnostic::error("duplicate-definition", file, o.span, "a package has one `outline`")
                        .with_label("second outline")
                        .with_secondary_in(&first.file, first.span, "first outline here")
                        .with_help("merge the two outlines");
                    self.diags.push(d);
                    continue;
                }
                seen = Some(origin(file, o.span));
                for (number, title) in &o.entries {
                    if !numbers.insert(number.text.clone()) {
                        self.err(
                            "duplicate-definition",
                            number.span,
                            format!("`{}` is listed twice in the outline", number.text),
                            "remove one of them",
                        );
                        continue;
                    }
                    self.model.outline.push(OutlineEntry {
                        number: number.text.clone(),
                        title: title.as_ref().map(|t| t.text.clone()),
                    });
                }
            }
        }
        for (file, module) in files {
            self.file = file.clone();
            for item in &module.items {
                let Item::Untestable(u) = item else { continue };
                if seen.is_some() && !numbers.contains(&u.number.text) {
                    let help = self
                        .did_you_mean(&u.number.text, self.model.outline.iter().map(|e| e.number.as_str()))
                        .map(|s| format!("did you mean `{s}`?"))
                        .unwrap_or_else(|| "add the number to the `outline`".into());
                    self.err(
                        "unknown-outline-number",
                        u.number.span,
                        format!("`{}` is not a number of the plan's outline", u.number.text),
                        help,
                    );
                }
                self.model.untestable.push(UntestableDef {
                    number: u.number.text.clone(),
                    text: u.text.text.clone(),
                    reason: u.reason.text.clone(),
                    origin: origin(file, u.number.span),
                });
            }
        }
        if seen.is_some() {
            for c in &self.model.clauses {
                let Some(cite) = &c.cite else { continue };
                if !numbers.contains(&cite.number) {
                    let outline = self.model.outline.iter().map(|e| e.number.as_str());
                    let help = self
                        .did_you_mean(&cite.number, outline)
                        .map(|s| format!("did you mean `{s}`?"))
                        .unwrap_or_else(|| "add the number to the `outline`, or correct the cite".into());
                    self.diags.push(
                        Diagnostic::warning(
                            "unknown-outline-number",
                            &c.origin.file,
                            c.origin.span,
                            format!("clause `{}` cites `{}`, which is not in the plan's outline", c.name, cite.number),
                        )
                        .with_help(help),
                    );
                }
            }
        }
    }

    fn lookup(&self, name: &str) -> Option<(DeclKind, u32)> {
        self.names.get(name).map(|(k, i, _)| (*k, *i))
    }

    /// Index of a declaration of `kind`, found by name in its model vector `items`: the first
    /// with that name, as a scan would find it. The vectors only grow, so the map indexes the
    /// entries pushed since the last call and each entry is hashed once.
    fn find<T>(&self, kind: DeclKind, items: &[T], name: &str, get: impl Fn(&T) -> &str) -> Option<u32> {
        let mut positions = self.positions.borrow_mut();
        let (seen, map) = positions.entry(kind).or_default();
        if *seen > items.len() {
            // The vector was replaced by a shorter one: index it afresh.
            *seen = 0;
            map.clear();
        }
        for (i, x) in items.iter().enumerate().skip(*seen) {
            map.entry(get(x).to_string()).or_insert(i as u32);
        }
        *seen = items.len();
        map.get(name).copied()
    }

    /// The position of variant `name` in enum `ei`.
    fn variant(&self, ei: u32, name: &str) -> Option<usize> {
        self.variant_index.get(name)?.iter().find(|(e, _)| *e == ei).map(|&(_, vi)| vi as usize)
    }

    fn suggest(&self, name: &str, kinds: &[DeclKind]) -> Option<String> {
        let candidates = self.names.iter().filter(|(_, (k, _, _))| kinds.contains(k)).map(|(n, _)| n.as_str());
        self.did_you_mean(name, candidates)
    }

    /// [`did_you_mean`] within the package's [`SUGGESTION_BUDGET`]: a search runs whole or not
    /// at all, so which diagnostics get a suggestion depends only on the package.
    fn did_you_mean<'a>(&self, name: &str, candidates: impl Iterator<Item = &'a str>) -> Option<String> {
        let left = self.suggestion_budget.get();
        if left == 0 {
            return None;
        }
        let mut compared = 0usize;
        let best = did_you_mean(name, candidates.inspect(|_| compared += 1));
        self.suggestion_budget.set(left.saturating_sub(compared));
        best
    }

    fn unit_decl(&mut self, u: &ast::UnitDecl) {
        let amount = match policy_number(&u.amount) {
            Some(a) => a,
            None => {
                self.err(
                    "number-out-of-range",
                    u.span,
                    format!("`{}` is not a number writ can hold exactly", clip(&u.amount)),
                    "use at most 28 significant digits",
                );
                return;
            }
        };
        let base = match &u.unit {
            None => Unit { factor: Decimal::ONE, dim: crate::units::Dim::NONE, name: String::new() },
            Some(n) => match self.model.units.parse(&n.text) {
                Ok(b) => b,
                Err(e) => {
                    let span = n.span;
                    self.err("unknown-unit", span, format!("{e}"), "units are SI symbols with prefixes (`mg/m3`, `t/h`, `MW`) or aliases declared earlier with `unit`");
                    return;
                }
            },
        };
        let Some(factor) = base.factor.checked_mul(amount) else {
            self.err("number-out-of-range", u.span, "unit factor out of range", "use a smaller multiple");
            return;
        };
        let unit = Unit { factor: factor.normalize(), dim: base.dim, name: u.name.text.clone() };
        self.model.units.define(&u.name.text, unit);
    }

    fn party_list(&mut self, names: &[ast::Name]) -> Vec<PartyId> {
        let mut out = Vec::new();
        for n in names {
            match self.lookup(&n.text) {
                Some((DeclKind::Party, _)) => {
                    if let Some(i) = self.find(DeclKind::Party, &self.model.parties, &n.text, |p| &p.name) {
                        out.push(i);
                    }
                }
                Some((DeclKind::Group, _)) => {
                    if let Some(i) = self.find(DeclKind::Group, &self.model.groups, &n.text, |g| &g.name) {
                        out.extend(self.model.groups[i as usize].members.clone());
                    }
                }
                other => {
                    let what = other.map(|(k, _)| format!(", found {}", k.a())).unwrap_or_default();
                    let help = match self.suggest(&n.text, &[DeclKind::Party, DeclKind::Group]) {
                        Some(s) => format!("did you mean `{s}`?"),
                        None => format!("declare it: `party {} \"full name\"`", n.text),
                    };
                    self.err(
                        "unknown-party",
                        n.span,
                        format!("expected a party or group, `{}` is not declared as one{what}", n.text),
                        help,
                    )
                    .labels[0]
                        .message = "not a declared party".into();
                }
            }
        }
        out.dedup();
        out
    }

    fn group(&mut self, g: &ast::Group) {
        let members = self.party_list(&g.members);
        if members.is_empty() && g.members.is_empty() {
            self.err(
                "empty-group",
                g.name.span,
                format!("group `{}` has no members", g.name.text),
                "list its parties: `group NAME = [A, B]`",
            );
        }
        self.model.groups.push(GroupDecl {
            name: g.name.text.clone(),
            full_name: g.full_name.as_ref().map(|s| s.text.clone()),
            members,
            origin: origin(&self.file, g.name.span),
        });
    }

    fn date(&mut self, d: &ast::DateLit) -> Option<Date> {
        let r = Date::parse_iso(&d.text);
        if r.is_none() {
            self.err(
                "invalid-date",
                d.span,
                format!("`{}` is not a calendar date", d.text),
                "write a real date as YYYY-MM-DD; writ never rolls an invalid date over",
            );
        }
        r
    }

    fn ranges(&mut self, rs: &[(ast::DateLit, ast::DateLit)]) -> Vec<(Date, Date)> {
        let mut out = Vec::new();
        for (a, b) in rs {
            if let (Some(x), Some(y)) = (self.date(a), self.date(b)) {
                if y < x {
                    self.err(
                        "invalid-date",
                        a.span.to(b.span),
                        format!("the range ends ({y}) before it starts ({x})"),
                        "swap the two dates",
                    );
                } else {
                    out.push((x, y));
                }
            }
        }
        out
    }

    fn calendar(&mut self, c: &ast::Calendar) {
        let expand =
            |rs: Vec<(Date, Date)>| rs.into_iter().flat_map(|(a, b)| (a.0..=b.0).map(Date)).collect::<Vec<_>>();
        let h = self.ranges(&c.holidays);
        let w = self.ranges(&c.workdays);
        let (holidays, workdays) = (expand(h), expand(w));
        if let Some(d) = holidays.iter().find(|d| workdays.contains(d)) {
            self.err(
                "calendar-conflict",
                c.name.span,
                format!("{d} is listed both as a holiday and as a make-up workday"),
                "remove it from one of the lists",
            );
        }
        self.model.calendars.push(CalendarDecl {
            name: c.name.text.clone(),
            source: c.source.as_ref().map(|s| s.text.clone()),
            holidays,
            workdays,
            origin: origin(&self.file, c.name.span),
        });
    }

    fn plan(&mut self, p: &ast::Plan) {
        let mut info = PlanInfo {
            name: p.name.text.clone(),
            title: p.title.as_ref().map(|s| s.text.clone()),
            ..Default::default()
        };
        match &p.period {
            Some((a, b)) => {
                let r = self.ranges(&[(a.clone(), b.clone())]);
                if let Some(&(x, y)) = r.first() {
                    info.start = Some(x);
                    info.end = Some(y);
                }
            }
            None => {
                self.err(
                    "missing-plan-period",
                    p.name.span,
                    format!("plan `{}` has no period", p.name.text),
                    "add `period 2019-01-01 .. 2019-12-31` to the plan",
                );
            }
        }
        info.issued = p.issued.as_ref().and_then(|d| self.date(d));
        for (n, label) in &p.roles {
            if info.roles.iter().any(|r| r.name == n.text) {
                self.err("duplicate-definition", n.span, format!("role `{}` is declared twice", n.text), "remove one");
            }
            info.roles.push(RoleDecl { name: n.text.clone(), label: label.as_ref().map(|s| s.text.clone()) });
        }
        if let Some(c) = &p.calendar {
            info.calendar = self.find(DeclKind::Calendar, &self.model.calendars, &c.text, |x| &x.name);
            match info.calendar {
                Some(i) => {
                    let decl = &self.model.calendars[i as usize];
                    let mut cal = crate::time::Calendar::new(decl.name.clone());
                    // Conflicts were reported when the calendar was declared.
                    for &d in &decl.holidays {
                        let _ = cal.add_holiday(d);
                    }
                    for &d in &decl.workdays {
                        let _ = cal.add_makeup_workday(d);
                    }
                    self.model.calendar = Some(cal);
                }
                None => {
                    self.err(
                        "unknown-name",
                        c.span,
                        format!("no calendar named `{}`", c.text),
                        "declare it with `calendar NAME { holiday … workday … }`",
                    );
                }
            }
        }
        if let Some(tz) = &p.timezone {
            info.utc_offset = parse_offset(&tz.text);
            if info.utc_offset.is_none() {
                self.err("invalid-date", tz.span, format!("`{}` is not a UTC offset", tz.text), "write it as `+08:00`");
            }
        }
        if let Some(o) = &p.month_overflow {
            use crate::time::MonthOverflow;
            info.month_overflow = match o.text.as_str() {
                "clamp" => Some(MonthOverflow::Clamp),
                "spill" => Some(MonthOverflow::Spill),
                "reject" => Some(MonthOverflow::Reject),
                other => {
                    self.err(
                        "unknown-name",
                        o.span,
                        format!("`{other}` is not a month overflow rule"),
                        "write `clamp` (Jan 31 + 1 month = Feb 28), `spill` (= Mar 3) or `reject` (an error)",
                    );
                    None
                }
            };
        }
        self.model.plan = info;
    }

    fn enum_decl(&mut self, e: &ast::EnumDecl) {
        let mut variants: Vec<String> = Vec::new();
        let mut seen: std::collections::HashSet<&str> = std::collections::HashSet::new();
        for v in &e.variants {
            if !seen.insert(&v.text) {
                self.err(
                    "duplicate-definition",
                    v.span,
                    format!("variant `{}` is listed twice in `{}`", v.text, e.name.text),
                    "remove the second one",
                );
            } else {
                variants.push(v.text.clone());
            }
        }
        if variants.is_empty() {
            self.err(
                "empty-enum",
                e.name.span,
                format!("enum `{}` has no variants", e.name.text),
                "list its values: `enum NAME { A, B }`",
            );
        }
        let ei = self.model.enums.len() as u32;
        for (vi, v) in variants.iter().enumerate() {
            self.variant_index.entry(v.clone()).or_default().push((ei, vi as u32));
        }
        self.model.enums.push(EnumDecl {
            name: e.name.text.clone(),
            variants,
            origin: origin(&self.file, e.name.span),
        });
    }

    fn period(&mut self, p: &ast::Period) {
        let ranges = self.ranges(&p.ranges);
        self.model.periods.push(PeriodDecl {
            name: p.name.text.clone(),
            ranges,
            origin: origin(&self.file, p.name.span),
        });
    }

    /// Resolves a written type: built-in name, enum, record kind, or unit expression.
    fn ty(&mut self, n: &ast::Name) -> (Ty, Option<Unit>) {
        match n.text.as_str() {
            "bool" => return (Ty::Bool, None),
            "text" => return (Ty::Text, None),
            "number" => return (Ty::Number, None),
            "percent" => return (Ty::Percent, None),
            "date" => return (Ty::Date, None),
            "duration" => return (Ty::Duration, None),
            "party" => return (Ty::Party, None),
            _ => {}
        }
        match self.lookup(&n.text) {
            Some((DeclKind::Enum, _)) => {
                let i = self.find(DeclKind::Enum, &self.model.enums, &n.text, |e| &e.name).expect("declared enum");
                return (Ty::Enum(i), None);
            }
            Some((DeclKind::Record, _)) => {
                let i =
                    self.find(DeclKind::Record, &self.model.records, &n.text, |r| &r.name).expect("declared record");
                return (Ty::Ref(i), None);
            }
            _ => {}
        }
        match self.model.units.parse(&n.text) {
            Ok(u)
                if u.dim.is_none() && u.factor == Decimal::ONE && !n.text.chars().any(|c| c.is_ascii_alphabetic()) =>
            {
                (Ty::Number, Some(u))
            }
            Ok(u) => (Ty::Quantity(u.dim), Some(u)),
            Err(_) => {
                let names = ["bool", "text", "number", "percent", "date", "duration", "party"].into_iter().chain(
                    (self.names.iter())
                        .filter(|(_, (k, _, _))| matches!(k, DeclKind::Enum | DeclKind::Record))
                        .map(|(k, _)| k.as_str()),
                );
                let help = match self.did_you_mean(&n.text, names) {
                    Some(s) => format!("did you mean `{s}`?"),
                    None => "a type is `bool`, `text`, `number`, `percent`, `date`, an enum, a record kind or a unit such as `mg/m3`".into(),
                };
                self.err("unknown-type", n.span, format!("unknown type `{}`", n.text), help);
                (Ty::Error, None)
            }
        }
    }

    /// The values a field may take: the defaults of its type, with the ends the policy writes
    /// after the type in their place. Quantities are magnitudes (a concentration, a mass, a
    /// capacity, a length; temperatures are in kelvin), so none is negative unless the field
    /// says so; a percentage is a share, from 0% to 100%; a date lies within a century of the
    /// plan's period (a `0000-01-01` is a placeholder, not a day anything was done). A plain
    /// number has no default: it may be a count, a multiple or a change.
    fn field_range(&mut self, f: &ast::Field, ty: &Ty, unit: Option<&Unit>) -> ValueRange {
        let end = |value: Value, text: String| Some(RangeBound { value, inclusive: true, text, declared: false });
        let mut range = match ty {
            Ty::Percent => ValueRange {
                low: end(Value::Num(Decimal::ZERO), "0%".into()),
                high: end(Value::Num(Decimal::ONE), "100%".into()),
            },
            Ty::Quantity(_) => {
                let text = unit.map_or_else(|| "0".to_string(), |u| format!("0 {}", u.name));
                ValueRange { low: end(Value::Num(Decimal::ZERO), text), high: None }
            }
            Ty::Date => {
                let plan = &self.model.plan;
                let first = plan.start.map_or(1900, |d| chrono::Datelike::year(&d.naive()) - 100);
                let last = plan.end.map_or(2200, |d| chrono::Datelike::year(&d.naive()) + 100);
                let day = |y: i32, m: u32, d: u32| Date::from_ymd(y, m, d).map(Value::Date);
                ValueRange {
                    low: day(first, 1, 1).and_then(|v| end(v, format!("{first}-01-01"))),
                    high: day(last, 12, 31).and_then(|v| end(v, format!("{last}-12-31"))),
                }
            }
            _ => ValueRange::default(),
        };
        let Some(written) = &f.range else { return range };
        let orderable = matches!(ty, Ty::Number | Ty::Percent | Ty::Quantity(_) | Ty::Date);
        if !orderable {
            if *ty != Ty::Error {
                let found = self.ty_name(ty);
                self.err(
                    "bad-field-range",
                    written.span,
                    format!("`{}` is {found}, which has no range", f.name.text),
                    "a range (`in 0% .. 100%`, `>= 0 mg/m3`) follows a number, percent, quantity or date type; remove it",
                );
            }
            return range;
        }
        if written.both {
            range = ValueRange::default();
        }
        let (mut low_seen, mut high_seen) = (None::<Span>, None::<Span>);
        for e in &written.ends {
            let seen = if e.low { &mut low_seen } else { &mut high_seen };
            if let Some(first) = *seen {
                let side = if e.low { "lower" } else { "upper" };
                self.err(
                    "bad-field-range",
                    e.span,
                    format!("`{}` has two {side} ends", f.name.text),
                    "write one lower end and one upper end at most: `>= 0 t < 100 t`, or `in 0 t .. 100 t`",
                )
                .labels
                .push(crate::diagnostic::Label {
                    span: first,
                    message: format!("first {side} end"),
                    file: None,
                });
                continue;
            }
            *seen = Some(e.span);
            let Some((value, text)) = self.range_end(f, ty, unit, e) else { continue };
            let bound = Some(RangeBound { value, inclusive: e.inclusive, text, declared: true });
            if e.low {
                range.low = bound;
            } else {
                range.high = bound;
            }
        }
        let order = |a: &Value, b: &Value| match (a, b) {
            (Value::Num(x), Value::Num(y)) => Some(x.cmp(y)),
            (Value::Date(x), Value::Date(y)) => Some(x.cmp(y)),
            _ => None,
        };
        if let (Some(a), Some(b)) = (&range.low, &range.high)
            && let Some(o) = order(&a.value, &b.value)
            && (o.is_gt() || (o.is_eq() && !(a.inclusive && b.inclusive)))
        {
            let describe = range.describe();
            self.err(
                "bad-field-range",
                written.span,
                format!("no value of `{}` is {describe}", f.name.text),
                "write the lower end first: `in 0% .. 100%`",
            );
            return ValueRange::default();
        }
        range
    }

    /// One written end of a field's range, as a value of the field's type and its text.
    fn range_end(
        &mut self,
        f: &ast::Field,
        ty: &Ty,
        unit: Option<&Unit>,
        e: &ast::RangeEnd,
    ) -> Option<(Value, String)> {
        let (negative, lit) = match &e.value.kind {
            ExprKind::Unary(UnOp::Neg, inner) => (true, inner.as_ref()),
            _ => (false, &e.value),
        };
        let t = self.expr(lit, Some(ty));
        if t.ty == Ty::Error {
            return None;
        }
        let written = literal_text(lit);
        let text = if negative { format!("-{written}") } else { written };
        let expected = match ty {
            Ty::Percent => "a percentage such as `100%`".to_string(),
            Ty::Quantity(_) => match unit {
                Some(u) => format!("a quantity such as `0 {}`", u.name),
                None => "a quantity".into(),
            },
            Ty::Date => "a date such as `2019-01-01`".into(),
            _ => "a plain number".into(),
        };
        let found = self.ty_name(&t.ty);
        match (ty, &t.ty) {
            (Ty::Quantity(d), Ty::Quantity(g)) if d != g => {
                let field_unit = unit.map_or_else(String::new, |u| format!("`{}`, ", u.name));
                self.err(
                    "unit-mismatch",
                    e.value.span,
                    format!("the range of `{}` is written in `{text}`, which does not convert to {field_unit}dimension `{d}`", f.name.text),
                    format!("write the end as {expected}"),
                );
                return None;
            }
            (Ty::Quantity(_), Ty::Quantity(_))
            | (Ty::Percent, Ty::Percent)
            | (Ty::Date, Ty::Date)
            | (Ty::Number, Ty::Number) => {}
            _ => {
                self.err(
                    "bad-field-range",
                    e.value.span,
                    format!("the range of `{}` needs {expected}, found {found}", f.name.text),
                    format!("write the end as {expected}"),
                );
                return None;
            }
        }
        match (t.kind, negative) {
            (TKind::Const(Value::Num(n)), neg) => Some((Value::Num(if neg { -n } else { n }), text)),
            (TKind::Const(Value::Date(d)), false) => Some((Value::Date(d), text)),
            _ => {
                self.err(
                    "bad-field-range",
                    e.value.span,
                    format!("a date in the range of `{}` has a minus sign", f.name.text),
                    "write the date without `-`",
                );
                None
            }
        }
    }

    fn record(&mut self, idx: usize, r: &ast::Record) {
        let mut fields: Vec<FieldDecl> = Vec::new();
        let mut seen: std::collections::HashSet<&str> = std::collections::HashSet::new();
        for f in &r.fields {
            if !seen.insert(&f.name.text) {
                self.err(
                    "duplicate-field",
                    f.name.span,
                    format!("field `{}` is declared twice in `{}`", f.name.text, r.name.text),
                    "remove one of them",
                );
                continue;
            }
            let (ty, unit) = self.ty(&f.ty);
            let range = self.field_range(f, &ty, unit.as_ref());
            fields.push(FieldDecl {
                name: f.name.text.clone(),
                ty,
                unit,
                optional: f.optional,
                range,
                origin: origin(&self.file, f.name.span),
            });
        }
        let key = fields.iter().position(|f| f.name == r.key.text);
        if key.is_none() {
            let help = self
                .did_you_mean(&r.key.text, fields.iter().map(|f| f.name.as_str()))
                .map(|s| format!("did you mean `{s}`?"))
                .unwrap_or_else(|| "name one of the record's fields after `key`".into());
            self.err(
                "unknown-field",
                r.key.span,
                format!("the key `{}` is not a field of `{}`", r.key.text, r.name.text),
                help,
            );
        }
        let dated = r.dated.as_ref().and_then(|d| match fields.iter().position(|f| f.name == d.text) {
            Some(i) if fields[i].ty == Ty::Date => Some(i),
            Some(_) => {
                self.err(
                    "type-mismatch",
                    d.span,
                    format!("`dated` names `{}`, which is not a `date` field", d.text),
                    "name a field of type `date`",
                );
                None
            }
            None => {
                self.err(
                    "unknown-field",
                    d.span,
                    format!("`{}` is not a field of `{}`", d.text, r.name.text),
                    "name a field of type `date`",
                );
                None
            }
        });
        let rec = &mut self.model.records[idx];
        rec.fields = fields;
        rec.key = key.unwrap_or(0);
        rec.dated = dated;
    }

    fn cite(&self, c: &Option<ast::Cite>) -> Option<CiteDef> {
        c.as_ref().map(|c| CiteDef { number: c.number.text.clone(), text: c.text.as_ref().map(|t| t.text.clone()) })
    }

    fn params(&mut self, ps: &[ast::Param]) -> Vec<(String, Ty, Option<Unit>)> {
        let mut out: Vec<(String, Ty, Option<Unit>)> = Vec::new();
        for p in ps {
            if out.iter().any(|x| x.0 == p.name.text) {
                self.err(
                    "duplicate-definition",
                    p.name.span,
                    format!("parameter `{}` is declared twice", p.name.text),
                    "rename one",
                );
            }
            let (ty, unit) = self.ty(&p.ty);
            out.push((p.name.text.clone(), ty, unit));
        }
        out
    }

    fn begin_body(&mut self) -> (Vec<Local>, u32, u32, Vec<(u32, RecordId)>) {
        let saved =
            (std::mem::take(&mut self.locals), self.next_slot, self.max_slot, std::mem::take(&mut self.implicit));
        self.next_slot = 0;
        self.max_slot = 0;
        saved
    }

    fn end_body(&mut self, saved: (Vec<Local>, u32, u32, Vec<(u32, RecordId)>)) -> u32 {
        let slots = self.max_slot;
        (self.locals, self.next_slot, self.max_slot, self.implicit) = saved;
        slots
    }

    fn bind(&mut self, name: &str, ty: Ty, unit: Option<Unit>) -> u32 {
        let slot = self.next_slot;
        self.next_slot += 1;
        self.max_slot = self.max_slot.max(self.next_slot);
        self.locals.push(Local { name: name.to_string(), slot, ty, unit });
        slot
    }

    fn check_rule(&mut self, i: usize) {
        if self.rule_state[i] != 0 {
            return;
        }
        self.rule_state[i] = 1;
        let (file, r) = self.rule_asts[i].clone();
        let saved_file = std::mem::replace(&mut self.file, file.clone());
        let saved = self.begin_body();
        let params = self.params(&r.params);
        for (n, t, u) in &params {
            self.bind(n, t.clone(), u.clone());
        }
        let mut lets = Vec::new();
        for l in &r.lets {
            let e = self.expr(&l.value, None);
            let slot = self.bind(&l.name.text, e.ty.clone(), e.unit.clone());
            lets.push((slot, e));
        }
        let body = self.expr(&r.body, None);
        let slots = self.end_body(saved);
        self.model.rules[i] = RuleDef {
            name: r.name.text.clone(),
            label: r.label.as_ref().map(|s| s.text.clone()),
            cite: self.cite(&r.cite),
            params: params.into_iter().map(|(n, t, _)| (n, t)).collect(),
            lets,
            body,
            slots,
            origin: origin(&file, r.name.span),
        };
        self.rule_state[i] = 2;
        self.file = saved_file;
    }

    fn table(&mut self, t: &ast::Table) {
        let params = self.params(&t.params);
        let saved = self.begin_body();
        let mut rows = Vec::new();
        let mut ret: Option<TExpr> = None;
        for row in &t.rows {
            if row.patterns.len() != params.len() {
                self.err(
                    "wrong-arity",
                    row.span,
                    format!(
                        "this row has {} patterns, table `{}` has {} parameters",
                        row.patterns.len(),
                        t.name.text,
                        params.len()
                    ),
                    "write one pattern per parameter, `_` for any value",
                );
                continue;
            }
            let mut pats = Vec::new();
            for (p, (pname, pty, punit)) in row.patterns.iter().zip(&params) {
                let subject = TExpr { kind: TKind::Local(0), ty: pty.clone(), unit: punit.clone(), span: row.span };
                pats.push(match p {
                    ast::Pattern::Any(_) => TPattern::Any,
                    ast::Pattern::Eq(e) | ast::Pattern::Cmp(_, e) => {
                        let op = if let ast::Pattern::Cmp(op, _) = p { *op } else { BinOp::Eq };
                        let v = self.expr(e, Some(pty));
                        self.check_comparison(op, &subject, &v, e.span, &format!("parameter `{pname}`"));
                        TPattern::Cmp(op, v)
                    }
                });
            }
            let v = self.expr(&row.value, ret.as_ref().map(|r| &r.ty));
            if let Some(r) = &ret {
                self.unify(r, &v, "every row of a table gives a value of the same type");
            } else {
                ret = Some(v.clone());
            }
            rows.push((pats, v));
        }
        self.end_body(saved);
        self.model.tables.push(TableDef {
            name: t.name.text.clone(),
            label: t.label.as_ref().map(|s| s.text.clone()),
            cite: self.cite(&t.cite),
            params: params.into_iter().map(|(n, t, _)| (n, t)).collect(),
            rows,
            ret: ret.map(|r| r.ty).unwrap_or(Ty::Error),
            origin: origin(&self.file, t.name.span),
        });
    }

    // ------------------------------------------------------------------ clauses

    fn clause(&mut self, c: &ast::Clause) -> ClauseDef {
        let saved = self.begin_body();
        let mut def = ClauseDef {
            name: c.name.text.clone(),
            title: c.title.as_ref().map(|s| s.text.clone()),
            cite: None,
            roles: vec![],
            during: None,
            exemptions: vec![],
            body: vec![],
            slots: 0,
            roll: false,
            origin: origin(&self.file, c.name.span),
        };
        let mut counter = 0;
        let body = self.block(&c.body, &mut def, &mut counter, &[]);
        def.body = body;
        if def.cite.is_none() {
            self.err(
                "missing-cite",
                c.name.span,
                format!("clause `{}` does not cite the plan", c.name.text),
                "add `cite \"三(二)11\" \"the plan's own words\"`: every verdict quotes it",
            );
        }
        if counter == 0 {
            self.err("empty-clause", c.name.span, format!("clause `{}` has no requirement", c.name.text), "add `must …` or `should …`; a duty without a checkable condition is still a `must` on the evidence that would discharge it");
        }
        def.slots = self.end_body(saved);
        def
    }

    fn block(
        &mut self,
        stmts: &[ast::Stmt],
        def: &mut ClauseDef,
        counter: &mut u32,
        inherited: &[SanctionApp],
    ) -> Vec<TStmt> {
        let depth = self.locals.len();
        let slot_mark = self.next_slot;
        // `otherwise` applies to every requirement of its block, wherever it is written.
        let mut sanctions: Vec<SanctionApp> = inherited.to_vec();
        let mut out = Vec::new();
        for s in stmts {
            match s {
                ast::Stmt::Cite(ci) => {
                    if def.cite.is_some() {
                        self.err("duplicate-definition", ci.span, "a clause has one `cite`", "put both numbers in one cite: `cite \"三(一)1\" …` and split the clause if it covers two items");
                    }
                    def.cite = self.cite(&Some(ci.clone()));
                }
                ast::Stmt::Role { role, parties, .. } => {
                    let Some(ri) = self.model.plan.roles.iter().position(|r| r.name == role.text) else {
                        if self.incomplete && self.model.plan.roles.is_empty() {
                            continue;
                        }
                        let known: Vec<&str> = self.model.plan.roles.iter().map(|r| r.name.as_str()).collect();
                        let help = match did_you_mean(&role.text, known.iter().copied()) {
                            Some(s) => format!("did you mean `{s}`?"),
                            None if known.is_empty() => {
                                "the plan declares no roles: add `roles lead \"牽頭\", …` to the plan".into()
                            }
                            None => format!(
                                "the plan's roles are {}",
                                known.iter().map(|k| format!("`{k}`")).collect::<Vec<_>>().join(", ")
                            ),
                        };
                        self.err(
                            "unknown-role",
                            role.span,
                            format!("`{}` is not a role the plan declares", role.text),
                            help,
                        );
                        continue;
                    };
                    let ps = self.party_list(parties);
                    def.roles.push((ri as u32, ps));
                }
                ast::Stmt::During(e) => {
                    def.during = self.period_ref(e);
                }
                ast::Stmt::Unless(e, text) => {
                    let ex = self.exemption(e, text);
                    def.exemptions.push(ex);
                }
                ast::Stmt::Let(l) => {
                    let e = self.expr(&l.value, None);
                    let slot = self.bind(&l.name.text, e.ty.clone(), e.unit.clone());
                    out.push(TStmt::Let(slot, e));
                }
                ast::Stmt::Require(r) => {
                    *counter += 1;
                    let req = self.requirement(r, *counter);
                    out.push(TStmt::Require(req));
                }
                ast::Stmt::For(f) => {
                    let fd = self.for_block(f, def, counter, &sanctions);
                    out.push(TStmt::For(fd));
                }
                ast::Stmt::Every(e) => {
                    let depth = self.locals.len();
                    let period = self.period_ref(&e.of).unwrap_or(TPeriod::Plan);
                    self.check_occurrences(e, &period);
                    let slot = self.bind(&e.var.text, Ty::Interval, None);
                    let body = self.block(&e.body, def, counter, &sanctions);
                    self.locals.truncate(depth);
                    out.push(TStmt::Every(EveryDef { unit: e.unit, var: e.var.text.clone(), slot, period, body }));
                }
                ast::Stmt::Roll(span) => {
                    if self.model.calendar.is_none() {
                        self.err("missing-calendar", *span, "rolling deadlines to the next workday needs the plan's calendar", "declare a `calendar` with the year's holidays and make-up workdays, and name it in the plan: `calendar NAME`");
                    }
                    def.roll = true;
                }
                ast::Stmt::Otherwise { sanctions: names, on, .. } => {
                    let on = on.as_ref().map(|e| self.expr(e, None));
                    for n in names {
                        match self.find(DeclKind::Sanction, &self.model.sanctions, &n.text, |s| &s.name) {
                            Some(i) => sanctions.push(SanctionApp { sanction: i, on: on.clone() }),
                            None => {
                                let help = match self.suggest(&n.text, &[DeclKind::Sanction]) {
                                    Some(s) => format!("did you mean `{s}`?"),
                                    None => format!("declare it: `sanction {} \"what the plan says\"`", n.text),
                                };
                                self.err(
                                    "unknown-sanction",
                                    n.span,
                                    format!("`{}` is not a declared sanction", n.text),
                                    help,
                                );
                            }
                        }
                    }
                }
            }
        }
        // Attach this block's sanctions to its own requirements (nested blocks got theirs).
        for s in out.iter_mut() {
            if let TStmt::Require(r) = s {
                r.sanctions = sanctions.clone();
            }
        }
        self.locals.truncate(depth);
        // The block's variables are out of scope: their slots can be used again.
        self.next_slot = slot_mark;
        out
    }

    fn for_block(&mut self, f: &ast::For, def: &mut ClauseDef, counter: &mut u32, sanctions: &[SanctionApp]) -> ForDef {
        let depth = self.locals.len();
        let (source, ty) = match self.lookup(&f.scope.text) {
            Some((DeclKind::Record, _)) => {
                let kind = self
                    .find(DeclKind::Record, &self.model.records, &f.scope.text, |r| &r.name)
                    .expect("declared record");
                match &f.keys {
                    None => (ScopeSource::All(kind), Ty::Ref(kind)),
                    Some(keys) => {
                        let key_ty = self.model.records[kind as usize]
                            .fields
                            .get(self.model.records[kind as usize].key)
                            .map(|f| f.ty.clone())
                            .unwrap_or(Ty::Error);
                        let ks = keys
                            .iter()
                            .map(|k| {
                                let e = self.expr(k, Some(&key_ty));
                                if !compatible(&e.ty, &key_ty) {
                                    self.err(
                                        "type-mismatch",
                                        k.span,
                                        format!(
                                            "a key of `{}` is {}, found {}",
                                            f.scope.text,
                                            self.ty_name(&key_ty),
                                            self.ty_name(&e.ty)
                                        ),
                                        "write the subject's key as it appears in the facts",
                                    );
                                }
                                e
                            })
                            .collect();
                        (ScopeSource::Keys(kind, ks), Ty::Ref(kind))
                    }
                }
            }
            Some((DeclKind::Group | DeclKind::Party, _)) => {
                if f.keys.is_some() {
                    self.err(
                        "type-mismatch",
                        f.scope.span,
                        "named subjects are keys of a record kind, not of a group",
                        "iterate the group as it is: `for p in GROUP`",
                    );
                }
                let ps = self.party_list(std::slice::from_ref(&f.scope));
                (ScopeSource::Parties(ps), Ty::Party)
            }
            other => {
                let what = other.map(|(k, _)| format!(", it is {}", k.a())).unwrap_or_default();
                let help = match self.suggest(&f.scope.text, &[DeclKind::Record, DeclKind::Group]) {
                    Some(s) => format!("did you mean `{s}`?"),
                    None => "a `for` runs over the records of a kind or the parties of a group".into(),
                };
                self.err(
                    "unknown-name",
                    f.scope.span,
                    format!("expected a record kind or group, found `{}`{what}", f.scope.text),
                    help,
                );
                (ScopeSource::Parties(vec![]), Ty::Error)
            }
        };
        let slot = self.bind(&f.var.text, ty, None);
        let filter = f.filter.as_ref().map(|e| self.condition(e, "a `where` filter"));
        let exemptions = f.unless.iter().map(|(e, t)| self.exemption(e, t)).collect();
        let body = self.block(&f.body, def, counter, sanctions);
        self.locals.truncate(depth);
        ForDef { var: f.var.text.clone(), slot, source, filter, exemptions, body }
    }

    fn exemption(&mut self, e: &ast::Expr, text: &str) -> Exemption {
        let name = match &e.kind {
            ExprKind::Call { func, .. } => func.text.clone(),
            _ => text.to_string(),
        };
        Exemption { name, expr: self.condition(e, "an exemption") }
    }

    fn condition(&mut self, e: &ast::Expr, what: &str) -> TExpr {
        let t = self.expr(e, Some(&Ty::Bool));
        if !compatible(&t.ty, &Ty::Bool) {
            let found = self.ty_name(&t.ty);
            self.err(
                "type-mismatch",
                e.span,
                format!("{what} must be true or false, found {found}"),
                "compare the value with something: `x.field <= 30 mg/m3`",
            );
        }
        t
    }

    /// A recurring obligation over a fixed period too long to list is refused here; an
    /// open-ended one is listed only up to the as-of date when evaluating.
    fn check_occurrences(&mut self, e: &ast::Every, period: &TPeriod) {
        let ranges: Vec<(Date, Date)> = match period {
            TPeriod::Named(i) => self.model.periods[*i as usize].ranges.clone(),
            TPeriod::Plan => self.model.plan.start.zip(self.model.plan.end).into_iter().collect(),
            TPeriod::Year(_) | TPeriod::Dynamic(_) => vec![],
        };
        let n: u64 = ranges
            .iter()
            .filter(|r| r.1 < crate::time::OPEN_END)
            .map(|&(a, b)| crate::eval::occurrence_count(e.unit, a, b))
            .sum();
        if n > crate::eval::MAX_OCCURRENCES {
            self.err(
                "too-many-occurrences",
                e.of.span,
                format!(
                    "`every {}` over this period gives {n} occurrences, more than the {} writ evaluates",
                    e.unit.name(),
                    crate::eval::MAX_OCCURRENCES
                ),
                "check the period's years, or leave its end open (`2019-10-01 ..`): an open period is listed up to the as-of date",
            );
        }
    }

    fn period_ref(&mut self, e: &ast::Expr) -> Option<TPeriod> {
        match &e.kind {
            ExprKind::PlanRef(n) if n.text == "period" => Some(TPeriod::Plan),
            ExprKind::Name(n) if self.locals.iter().any(|l| l.name == *n && l.ty == Ty::Interval) => {
                Some(TPeriod::Dynamic(Box::new(self.expr(e, None))))
            }
            ExprKind::Field(..) | ExprKind::Call { .. } => {
                let t = self.expr(e, None);
                match t.ty {
                    Ty::Interval => Some(TPeriod::Dynamic(Box::new(t))),
                    Ty::Error => None,
                    ref other => {
                        let found = self.ty_name(other);
                        self.err(
                            "type-mismatch",
                            e.span,
                            format!("expected a period, found {found}"),
                            "write a declared period, a year, `plan.period` or an `every` variable",
                        );
                        None
                    }
                }
            }
            ExprKind::Name(n) => match self.find(DeclKind::Period, &self.model.periods, n, |p| &p.name) {
                Some(i) => Some(TPeriod::Named(i)),
                None => {
                    let help = match self.suggest(n, &[DeclKind::Period]) {
                        Some(s) => format!("did you mean `{s}`?"),
                        None => format!("declare it: `period {n} = 2019-01-01 .. 2019-03-15`"),
                    };
                    self.err("unknown-name", e.span, format!("`{n}` is not a declared period"), help);
                    None
                }
            },
            ExprKind::Number(n) => match n.parse::<i32>() {
                Ok(y) if (1900..=2200).contains(&y) => Some(TPeriod::Year(y)),
                _ => {
                    self.err(
                        "invalid-date",
                        e.span,
                        format!("`{n}` is not a year"),
                        "write a year such as `2019` or a declared period",
                    );
                    None
                }
            },
            _ => {
                self.err(
                    "type-mismatch",
                    e.span,
                    "expected a period or a year",
                    "write a declared period name or a year such as `2019`",
                );
                None
            }
        }
    }

    fn requirement(&mut self, r: &ast::Requirement, index: u32) -> Requirement {
        let deadline = r.deadline.as_ref().map(|(k, e)| {
            let d = self.expr(e, Some(&Ty::Date));
            if !compatible(&d.ty, &Ty::Date) {
                let found = self.ty_name(&d.ty);
                self.err("type-mismatch", e.span, format!("a deadline is a date, found {found}"), "write a date such as `2019-09-30`");
            }
            if let (TKind::Const(Value::Date(day)), Some(start), Some(end)) = (&d.kind, self.model.plan.start, self.model.plan.end) {
                let limit = Date::from_ymd(end.naive().format("%Y").to_string().parse::<i32>().unwrap_or(0) + 5, 12, 31).unwrap_or(end);
                if *day < start || *day > limit {
                    self.diags.push(
                        Diagnostic::warning("deadline-outside-plan", &self.file, e.span, format!("the deadline {day} lies outside the plan period {start} .. {end}"))
                            .with_help("check the year; deadlines after the period are allowed up to five years on (the plan's follow-up dates)"),
                    );
                }
            }
            (*k, d)
        });
        // With a deadline, the condition is either a date (when the duty was done) or a test.
        let cond = if deadline.is_some() {
            let c = self.expr(&r.condition, None);
            if !compatible(&c.ty, &Ty::Bool) && !compatible(&c.ty, &Ty::Date) {
                let found = self.ty_name(&c.ty);
                self.err(
                    "type-mismatch",
                    r.condition.span,
                    format!("a requirement with a deadline needs a completion date or a condition, found {found}"),
                    "write the date it was done (`e.完成日 by 2019-09-30`) or a test (`count(…) >= 53 by 2019-12-31`)",
                );
            }
            c
        } else {
            self.condition(&r.condition, "a requirement")
        };
        // `at` judges a state on a day; a completion date is an event, done by a day or not.
        if let Some((DeadlineKind::At, _)) = &deadline
            && cond.ty == Ty::Date
        {
            self.err(
                "type-mismatch",
                r.condition.span,
                "`at` judges a state on its day, and this is the date a duty was done",
                "write `by DATE` for a duty done by a day; keep `at` for a target judged on the day (`mean(…) <= 35 ug/m3 at 2019-12-31`)",
            );
        }
        if matches!(r.modality, Modality::MustNot | Modality::ShouldNot) && deadline.is_some() {
            self.err(
                "type-mismatch",
                r.span,
                "a prohibition has no deadline",
                "drop `by …`, or say what must be done by then with `must`",
            );
        }
        let given = r.given.as_ref().map(|(g, text)| Box::new((self.condition(g, "`given`"), text.clone())));
        Requirement {
            index,
            label: r.label.as_ref().map(|l| l.text.clone()),
            modality: r.modality,
            condition: cond,
            deadline,
            given,
            sanctions: vec![],
            text: r.text.clone(),
            span: r.span,
        }
    }

    fn order_clauses(&mut self, clauses: Vec<ClauseDef>) -> Vec<ClauseDef> {
        let index: HashMap<&str, usize> = clauses.iter().enumerate().map(|(i, c)| (c.name.as_str(), i)).collect();
        let n = clauses.len();
        let mut deps: Vec<Vec<usize>> = vec![vec![]; n];
        for (i, ds) in self.clause_deps.iter().enumerate().take(n) {
            for (d, _) in ds {
                if let Some(&j) = index.get(d.as_str()) {
                    deps[i].push(j);
                }
            }
        }
        // Depth-first topological sort; a back edge is a cycle.
        let mut state = vec![0u8; n];
        let mut order = Vec::with_capacity(n);
        let mut cycles = Vec::new();
        fn visit(
            i: usize,
            deps: &[Vec<usize>],
            state: &mut [u8],
            order: &mut Vec<usize>,
            path: &mut Vec<usize>,
            cycles: &mut Vec<Vec<usize>>,
        ) {
            if state[i] == 2 {
                return;
            }
            if state[i] == 1 {
                let start = path.iter().position(|&p| p == i).unwrap_or(0);
                cycles.push(path[start..].to_vec());
                return;
            }
            state[i] = 1;
            path.push(i);
            for &d in &deps[i] {
                visit(d, deps, state, order, path, cycles);
            }
            path.pop();
            state[i] = 2;
            order.push(i);
        }
        for i in 0..n {
            visit(i, &deps, &mut state, &mut order, &mut vec![], &mut cycles);
        }
        for cyc in cycles {
            let names: Vec<String> = cyc.iter().map(|&i| format!("`{}`", clauses[i].name)).collect();
            // Each edge of the cycle is a call site: clause i reads clause next(i).
            let edge = |k: usize| {
                let (i, j) = (cyc[k], cyc[(k + 1) % cyc.len()]);
                let span = self.clause_deps[i]
                    .iter()
                    .find(|(d, _)| *d == clauses[j].name)
                    .map(|(_, s)| *s)
                    .unwrap_or(clauses[i].origin.span);
                (
                    clauses[i].origin.file.clone(),
                    span,
                    format!("`{}` reads the verdicts of `{}` here", clauses[i].name, clauses[j].name),
                )
            };
            let (file, span, label) = edge(0);
            let mut d = Diagnostic::error(
                "clause-cycle",
                &file,
                span,
                format!("clauses read each other's verdicts in a cycle: {} → {}", names.join(" → "), names[0]),
            )
            .with_label(label)
            .with_help("a clause may read the verdicts of clauses evaluated before it; break the cycle");
            for k in 1..cyc.len() {
                let (f, s, l) = edge(k);
                d = d.with_secondary_in(&f, s, l);
            }
            self.diags.push(d);
        }
        let mut slots: Vec<Option<ClauseDef>> = clauses.into_iter().map(Some).collect();
        order.into_iter().filter_map(|i| slots[i].take()).collect()
    }

    fn test(&mut self, t: &ast::Test) -> Option<TestDef> {
        let as_of = match &t.as_of {
            Some(d) => self.date(d)?,
            None => {
                self.err(
                    "missing-as-of",
                    t.name.span,
                    format!("test `{}` has no `as_of` date", t.name.text),
                    "add `as_of 2019-10-15`: verdicts depend on the date",
                );
                return None;
            }
        };
        let mut facts = Vec::new();
        for f in &t.facts {
            let Some(kind) = self.find(DeclKind::Record, &self.model.records, &f.kind.text, |r| &r.name) else {
                let help = self
                    .suggest(&f.kind.text, &[DeclKind::Record])
                    .map(|s| format!("did you mean `{s}`?"))
                    .unwrap_or_else(|| "declare it with `record`".into());
                self.err("unknown-name", f.kind.span, format!("`{}` is not a record kind", f.kind.text), help);
                continue;
            };
            let decl = self.model.records[kind as usize].clone();
            let mut values: Vec<Option<TestValue>> = vec![None; decl.fields.len()];
            for (fname, e) in &f.fields {
                let Some(fi) = decl.field(&fname.text) else {
                    let help = self
                        .did_you_mean(&fname.text, decl.fields.iter().map(|f| f.name.as_str()))
                        .map(|s| format!("did you mean `{s}`?"))
                        .unwrap_or_else(|| format!("the fields of `{}` are declared in its record", decl.name));
                    self.err(
                        "unknown-field",
                        fname.span,
                        format!("`{}` has no field `{}`", decl.name, fname.text),
                        help,
                    );
                    continue;
                };
                let fd = &decl.fields[fi];
                let v = if fd.ty == Ty::Party {
                    // A party by name, bare or quoted, as a fact file writes it.
                    let n = match &e.kind {
                        ExprKind::Text(s) | ExprKind::Name(s) => Some(s.as_str()),
                        _ => None,
                    };
                    match n.and_then(|n| self.find(DeclKind::Party, &self.model.parties, n, |p| &p.name)) {
                        Some(p) => Some(TestValue::Value(Value::Party(p))),
                        None => {
                            let help = n
                                .and_then(|n| self.did_you_mean(n, self.model.parties.iter().map(|p| p.name.as_str())))
                                .map(|s| format!("did you mean `{s}`?"))
                                .unwrap_or_else(|| "write the name of a declared party".into());
                            self.err(
                                "unknown-party",
                                e.span,
                                format!("field `{}` names a party, and this is not a declared one", fd.name),
                                help,
                            );
                            None
                        }
                    }
                } else if let Ty::Ref(_) = fd.ty {
                    match &e.kind {
                        ExprKind::Text(s) => Some(TestValue::RefKey(Arc::from(s.as_str()), e.span)),
                        ExprKind::Number(s) => Some(TestValue::RefKey(Arc::from(s.as_str()), e.span)),
                        _ => {
                            self.err(
                                "type-mismatch",
                                e.span,
                                format!("field `{}` refers to a record by its key", fd.name),
                                "write the key in quotes",
                            );
                            None
                        }
                    }
                } else {
                    let te = self.expr(e, Some(&fd.ty));
                    if !compatible(&te.ty, &fd.ty) {
                        let (a, b) = (self.ty_name(&fd.ty), self.ty_name(&te.ty));
                        self.err(
                            "type-mismatch",
                            e.span,
                            format!("field `{}` is {a}, found {b}", fd.name),
                            "write a value of the field's type",
                        );
                        None
                    } else if let TKind::Const(v) = te.kind {
                        // A test's facts are held to their fields' ranges as a fact file's are.
                        if let Some(end) = fd.range.violated_by(&v) {
                            let side = if fd.range.low.as_ref() == Some(end) { "below" } else { "above" };
                            self.err(
                                "value-out-of-range",
                                e.span,
                                format!("this value is {side} {}, outside the range of `{}`", end.text, fd.name),
                                format!(
                                    "`{}` takes values {}; write a value a fact file could hold",
                                    fd.name,
                                    fd.range.describe()
                                ),
                            );
                            None
                        } else {
                            Some(TestValue::Value(v))
                        }
                    } else {
                        self.err("type-mismatch", e.span, "a test fact is a literal value", "write the value itself");
                        None
                    }
                };
                values[fi] = v;
            }
            facts.push(TestFact { kind, values, span: f.span });
        }
        let mut expects = Vec::new();
        for x in &t.expects {
            if self.lookup(&x.clause.text).map(|k| k.0) != Some(DeclKind::Clause) {
                let help = self
                    .suggest(&x.clause.text, &[DeclKind::Clause])
                    .map(|s| format!("did you mean `{s}`?"))
                    .unwrap_or_else(|| "name a clause of this package".into());
                self.err("unknown-name", x.clause.span, format!("`{}` is not a clause", x.clause.text), help);
                continue;
            }
            let Some(status) = Status::parse(&x.status.text) else {
                let help = did_you_mean(&x.status.text, Status::ALL.iter().map(|s| s.name())).map(|s| format!("did you mean `{s}`?")).unwrap_or_else(|| "a status is one of satisfied, violated, fulfilled, fulfilled_late, pending, overdue, met, missed, exempt, not_applicable, unknown".into());
                self.err("unknown-status", x.status.span, format!("`{}` is not a verdict status", x.status.text), help);
                continue;
            };
            let keys = x.keys.as_ref().map(|ks| {
                ks.iter()
                    .map(|k| match &k.kind {
                        ExprKind::Text(s) | ExprKind::Number(s) | ExprKind::Name(s) => s.clone(),
                        _ => String::new(),
                    })
                    .collect()
            });
            expects.push(ExpectDef {
                clause: x.clause.text.clone(),
                keys,
                requirement: x.requirement.as_ref().map(|r| r.text.clone()),
                status,
                span: x.span,
            });
        }
        if t.expects.is_empty() {
            self.err(
                "empty-test",
                t.name.span,
                format!("test `{}` expects nothing", t.name.text),
                "add `expect CLAUSE[\"key\"] STATUS`",
            );
        }
        Some(TestDef { name: t.name.text.clone(), as_of, facts, expects, origin: origin(&self.file, t.name.span) })
    }

    // ------------------------------------------------------------------ expressions

    fn ty_name(&self, t: &Ty) -> String {
        match t {
            Ty::Bool => "a condition (bool)".into(),
            Ty::Text => "text".into(),
            Ty::Number => "a plain number".into(),
            Ty::Quantity(d) => d.describe(),
            Ty::Percent => "a percentage".into(),
            Ty::Date => "a date".into(),
            Ty::Duration => "a duration".into(),
            Ty::Enum(i) => {
                format!("a `{}` value", self.model.enums.get(*i as usize).map(|e| e.name.as_str()).unwrap_or("?"))
            }
            Ty::Ref(i) => {
                format!("a `{}` record", self.model.records.get(*i as usize).map(|e| e.name.as_str()).unwrap_or("?"))
            }
            Ty::List(t) => format!("a list of {}", self.ty_name(t)),
            Ty::Party => "a party".into(),
            Ty::Kind(i) => format!(
                "the record kind `{}`",
                self.model.records.get(*i as usize).map(|e| e.name.as_str()).unwrap_or("?")
            ),
            Ty::Period => "a period".into(),
            Ty::Interval => "an interval of days".into(),
            Ty::Error => "an erroneous value".into(),
        }
    }

    /// A quantity named by the unit it was written in (`mg/m3`); other types by `ty_name`.
    fn quantity_label(&self, e: &TExpr) -> String {
        match (&e.ty, &e.unit) {
            (Ty::Quantity(_), Some(u)) if !u.name.is_empty() => format!("`{}`", u.name),
            _ => self.ty_name(&e.ty),
        }
    }

    fn unify(&mut self, a: &TExpr, b: &TExpr, help: &str) {
        if !compatible(&a.ty, &b.ty) {
            let (x, y) = (self.ty_name(&a.ty), self.ty_name(&b.ty));
            let d = Diagnostic::error("type-mismatch", &self.file, b.span, format!("expected {x}, found {y}"))
                .with_label(format!("this is {y}"))
                .with_secondary(a.span, format!("this is {x}"))
                .with_help(help.to_string());
            self.diags.push(d);
        }
    }

    fn check_comparison(&mut self, op: BinOp, l: &TExpr, r: &TExpr, span: Span, what: &str) {
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
                .with_help("both sides of a comparison have the same type");
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

    fn expr(&mut self, e: &ast::Expr, expected: Option<&Ty>) -> TExpr {
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
                    && !matches!(func.text.as_str(), "sum" | "mean" | "min" | "max" | "share" | "count")
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

    fn quantity(&mut self, amount: &str, unit: &ast::Name, span: Span) -> TExpr {
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

    fn name(&mut self, n: &str, span: Span, expected: Option<&Ty>) -> TExpr {
        // Fields of an enclosing aggregate's record, by bare name.
        for &(slot, kind) in self.implicit.iter().rev() {
            if let Some(fi) = self.model.records[kind as usize].field(n) {
                let f = &self.model.records[kind as usize].fields[fi];
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
                let i = self.find(DeclKind::Party, &self.model.parties, n, |p| &p.name).unwrap_or(0);
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
                let i = self.find(DeclKind::Record, &self.model.records, n, |p| &p.name).unwrap_or(0);
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
        let hits: Vec<(u32, u32)> = self.variant_index.get(n).cloned().unwrap_or_default();
        match hits.as_slice() {
            [(ei, vi)] => return TExpr { kind: TKind::Const(Value::Enum(*vi)), ty: Ty::Enum(*ei), unit: None, span },
            [(a, _), (b, _), ..] => {
                let (a, b) = (self.model.enums[*a as usize].name.clone(), self.model.enums[*b as usize].name.clone());
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

    fn field(&mut self, base: &ast::Expr, field: &ast::Name, span: Span) -> TExpr {
        let b = self.expr(base, None);
        match &b.ty {
            Ty::Ref(kind) => {
                let kind = *kind;
                let rec = &self.model.records[kind as usize];
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
                let name = self.model.records[*kind as usize].name.clone();
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

    fn binary(&mut self, op: BinOp, l: &ast::Expr, r: &ast::Expr, span: Span) -> TExpr {
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

    fn match_expr(&mut self, s: &ast::Expr, arms: &[ast::MatchArm], span: Span, expected: Option<&Ty>) -> TExpr {
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
            ei.map(|e| vec![false; self.model.enums[e as usize].variants.len()]).unwrap_or_default();
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
                let en = &self.model.enums[ei as usize];
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
            let en = &self.model.enums[ei as usize];
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

    fn arity(&mut self, func: &ast::Name, args: &[ast::Arg], n: std::ops::RangeInclusive<usize>, form: &str) -> bool {
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
            if (a.filter.is_some() || a.during.is_some())
                && !matches!(func.text.as_str(), "count" | "sum" | "mean" | "min" | "max" | "share")
            {
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

    fn call(
        &mut self,
        func: &ast::Name,
        args: &[ast::Arg],
        text: &str,
        empty: Option<&ast::Expr>,
        span: Span,
    ) -> TExpr {
        let agg = match func.text.as_str() {
            "count" => Some(AggFunc::Count),
            "sum" => Some(AggFunc::Sum),
            "mean" => Some(AggFunc::Mean),
            "min" => Some(AggFunc::Min),
            "max" => Some(AggFunc::Max),
            "share" => Some(AggFunc::Share),
            _ => None,
        };
        if let Some(f) = agg {
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
                            let unit = t.rows.first().and_then(|r| r.1.unit.clone());
                            return TExpr { kind: TKind::Table(ti, targs), ty: t.ret.clone(), unit, span };
                        }
                        _ => {}
                    }
                }
                let builtins =
                    ["count", "sum", "mean", "min", "max", "share", "change", "exists", "violated", "fulfilled"];
                let names = builtins.into_iter().chain(
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

    fn typed_args(&mut self, args: &[ast::Arg], params: &[(String, Ty)]) -> Vec<TExpr> {
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

    fn aggregate(
        &mut self,
        f: AggFunc,
        func: &ast::Name,
        args: &[ast::Arg],
        text: &str,
        empty: Option<&ast::Expr>,
        span: Span,
    ) -> TExpr {
        let form = match f {
            AggFunc::Count => "count(KIND where FILTER during PERIOD)",
            AggFunc::Share => "share(KIND where FILTER, CONDITION)",
            _ => "sum(KIND.field where FILTER during PERIOD)",
        };
        let n = if f == AggFunc::Share { 2..=2 } else { 1..=1 };
        if !self.arity(func, args, n, form) {
            return error_expr(span);
        }
        let a = &args[0];
        // The first argument names a kind (`count(改造 …)`), a field of it, possibly through a
        // reference (`sum(監測.二氧化硫 …)`, `sum(整治.鍋爐.容量 …)`), or binds a name to each
        // record (`count(x in 抽檢 where x.企業 == e)`), which then replaces bare field names.
        let (kind_name, var, path) = match &a.value.kind {
            ExprKind::Name(n) => (n.clone(), None, None),
            ExprKind::Binary(BinOp::In, l, r) => match (&l.kind, &r.kind) {
                (ExprKind::Name(v), ExprKind::Name(k)) => (k.clone(), Some(v.clone()), None),
                _ => (String::new(), None, None),
            },
            ExprKind::Field(..) => match chain_root(&a.value) {
                Some(root) => {
                    let local = format!("<{root}>");
                    (root.to_string(), None, Some(rename_root(&a.value, &local)))
                }
                None => (String::new(), None, None),
            },
            _ => (String::new(), None, None),
        };
        let Some(kind) = self.find(DeclKind::Record, &self.model.records, &kind_name, |r| &r.name) else {
            let help = self
                .suggest(&kind_name, &[DeclKind::Record])
                .map(|s| format!("did you mean `{s}`?"))
                .unwrap_or_else(|| format!("write `{form}`"));
            self.err(
                "unknown-name",
                a.value.span,
                format!(
                    "`{}` aggregates the records of a kind; `{}` is not a record kind",
                    func.text,
                    if kind_name.is_empty() { "this" } else { &kind_name }
                ),
                help,
            );
            return error_expr(span);
        };
        let explicit = var.is_some();
        let slot = self.bind(var.as_deref().unwrap_or(&format!("<{kind_name}>")), Ty::Ref(kind), None);
        if !explicit {
            self.implicit.push((slot, kind));
        }
        let value = match (path, f) {
            (Some(p), AggFunc::Sum | AggFunc::Mean | AggFunc::Min | AggFunc::Max) => {
                let v = self.expr(&p, None);
                let dates_ok = matches!(f, AggFunc::Min | AggFunc::Max) && v.ty == Ty::Date;
                if !matches!(v.ty, Ty::Number | Ty::Quantity(_) | Ty::Percent | Ty::Error) && !dates_ok {
                    let found = self.ty_name(&v.ty);
                    self.err(
                        "type-mismatch",
                        p.span,
                        format!("`{}` adds up amounts, this is {found}", func.text),
                        "aggregate a number, quantity or percentage field (or, with `min`/`max`, a date)",
                    );
                }
                Some(v)
            }
            (None, AggFunc::Sum | AggFunc::Mean | AggFunc::Min | AggFunc::Max) => {
                self.err(
                    "type-mismatch",
                    a.value.span,
                    format!("`{}` needs a field to aggregate", func.text),
                    format!("write `{}({kind_name}.FIELD …)`", func.text),
                );
                None
            }
            (Some(p), _) => {
                self.err(
                    "type-mismatch",
                    p.span,
                    format!("`{}` counts records; it takes the kind, not a field", func.text),
                    format!("write `{}({kind_name} where …)`", func.text),
                );
                None
            }
            (None, AggFunc::Share) => Some(self.condition(&args[1].value, "the condition of `share`")),
            (None, _) => None,
        };
        let filter = a.filter.as_ref().map(|e| self.condition(e, "a `where` filter"));
        let during = a.during.as_ref().and_then(|d| self.period_ref(d));
        if during.is_some() && self.model.records[kind as usize].dated.is_none() {
            let name = self.model.records[kind as usize].name.clone();
            let o = self.model.records[kind as usize].origin.clone();
            let d = Diagnostic::error(
                "undated-record",
                &self.file,
                a.during.as_ref().map(|d| d.span).unwrap_or(span),
                format!("`during` filters records by date, and `{name}` has no date"),
            )
            .with_secondary_in(&o.file, o.span, format!("`{name}` is declared here"))
            .with_help(format!("declare which field dates a record: `record {name} key … dated FIELD {{ … }}`"));
            self.diags.push(d);
        }
        if !explicit {
            self.implicit.pop();
        }
        self.locals.retain(|l| l.slot != slot);
        // Split `field == EXPR` conjuncts that do not read the record into index lookups.
        let (index, filter) = match filter {
            Some(fl) => split_index(fl, slot),
            None => (vec![], None),
        };
        let (ty, unit) = match f {
            AggFunc::Count => (Ty::Number, None),
            AggFunc::Share => (Ty::Percent, None),
            _ => value.as_ref().map(|v| (v.ty.clone(), v.unit.clone())).unwrap_or((Ty::Error, None)),
        };
        // `, empty VALUE`: what the policy says an empty set means. Checked outside the
        // aggregate's binding: the value cannot read a record, there is none.
        let empty = empty.and_then(|x| {
            if f == AggFunc::Count {
                self.err(
                    "type-mismatch",
                    x.span,
                    "a `count` of no records is 0 already",
                    "drop `, empty …`: it is for `sum`, `mean`, `min`, `max` and `share`, which have no value over no records",
                );
                return None;
            }
            if ty == Ty::Date {
                self.err(
                    "type-mismatch",
                    x.span,
                    "the earliest or latest date of no records is none: the event has not happened",
                    "drop `, empty …`: a duty on a date not yet recorded is `pending`, then `overdue`",
                );
                return None;
            }
            let e = self.expr(x, Some(&ty));
            if !compatible(&ty, &e.ty) {
                let (want, found) = (self.ty_name(&ty), self.ty_name(&e.ty));
                let d = Diagnostic::error(
                    "type-mismatch",
                    &self.file,
                    x.span,
                    format!("`empty` gives the value of the `{}` when no record matches: expected {want}, found {found}", func.text),
                )
                .with_label(format!("this is {found}"))
                .with_help(format!("write a value of the aggregate's type, such as `empty 0` with the field's unit (`empty 0 t`); the aggregate is {want}"));
                self.diags.push(d);
            }
            Some(e)
        });
        TExpr {
            kind: TKind::Aggregate(Box::new(Aggregate {
                func: f,
                kind,
                slot,
                value,
                index,
                filter,
                during,
                empty,
                text: text.to_string(),
            })),
            ty,
            unit,
            span,
        }
    }
}

/// `+08:00`, `-05:30`, `UTC+8` → seconds east of UTC.
fn parse_offset(s: &str) -> Option<i32> {
    let s = s.trim().trim_start_matches("UTC").trim_start_matches("GMT");
    let (sign, rest) = match s.chars().next()? {
        '+' => (1, &s[1..]),
        '-' => (-1, &s[1..]),
        _ => return None,
    };
    let (h, m) = match rest.split_once(':') {
        Some((h, m)) => (h.parse::<i32>().ok()?, m.parse::<i32>().ok()?),
        None => (rest.parse::<i32>().ok()?, 0),
    };
    ((0..=14).contains(&h) && (0..60).contains(&m)).then_some(sign * (h * 3600 + m * 60))
}

/// User input quoted in a message: at most 40 characters, the rest counted.
fn clip(s: &str) -> String {
    let n = s.chars().count();
    if n <= 40 { s.to_string() } else { format!("{}… ({n} characters)", s.chars().take(32).collect::<String>()) }
}

/// The name a field chain starts from: `整治` in `整治.鍋爐.容量`.
fn chain_root(e: &ast::Expr) -> Option<&str> {
    match &e.kind {
        ExprKind::Name(n) => Some(n),
        ExprKind::Field(b, _) => chain_root(b),
        _ => None,
    }
}

/// The field chain with its root name replaced (by the aggregate's record variable).
fn rename_root(e: &ast::Expr, to: &str) -> ast::Expr {
    match &e.kind {
        ExprKind::Field(b, f) => {
            ast::Expr { kind: ExprKind::Field(Box::new(rename_root(b, to)), f.clone()), span: e.span }
        }
        _ => ast::Expr { kind: ExprKind::Name(to.to_string()), span: e.span },
    }
}

fn plural_args(n: &std::ops::RangeInclusive<usize>) -> String {
    match (*n.start(), *n.end()) {
        (1, 1) => "1 argument".into(),
        (a, b) if a == b => format!("{a} arguments"),
        (a, b) => format!("{a} to {b} arguments"),
    }
}

/// Splits a filter into `record.field == value` lookups (value independent of the record)
/// and the remaining condition.
fn split_index(filter: TExpr, slot: u32) -> (Vec<(FieldPath, TExpr)>, Option<TExpr>) {
    let mut conj = Vec::new();
    flatten_and(filter, &mut conj);
    let mut index = Vec::new();
    let mut rest: Vec<TExpr> = Vec::new();
    for c in conj {
        if let TKind::Binary(BinOp::Eq, l, r) = &c.kind {
            if let Some(path) = field_path(l, slot)
                && !reads_slot(r, slot)
            {
                index.push((path, (**r).clone()));
                continue;
            }
            if let Some(path) = field_path(r, slot)
                && !reads_slot(l, slot)
            {
                index.push((path, (**l).clone()));
                continue;
            }
        }
        rest.push(c);
    }
    let rest = rest.into_iter().reduce(|a, b| {
        let span = a.span.to(b.span);
        TExpr { kind: TKind::Binary(BinOp::And, Box::new(a), Box::new(b)), ty: Ty::Bool, unit: None, span }
    });
    (index, rest)
}

/// The fields read from the record bound to `slot`, through references: `x.銷售企業.名稱` is
/// `[(煤質抽檢, 銷售企業), (散煤銷售企業, 名稱)]`. `None` for anything but such a chain.
fn field_path(e: &TExpr, slot: u32) -> Option<FieldPath> {
    match &e.kind {
        TKind::Field(b, kind, fi) => {
            let mut path = match &b.kind {
                TKind::Local(s) if *s == slot => vec![],
                _ => field_path(b, slot)?,
            };
            path.push((*kind, *fi));
            Some(path)
        }
        _ => None,
    }
}

fn flatten_and(e: TExpr, out: &mut Vec<TExpr>) {
    match e.kind {
        TKind::Binary(BinOp::And, l, r) => {
            flatten_and(*l, out);
            flatten_and(*r, out);
        }
        kind => out.push(TExpr { kind, ..e }),
    }
}

fn reads_slot(e: &TExpr, slot: u32) -> bool {
    let mut found = false;
    walk(e, &mut |x| {
        if matches!(x.kind, TKind::Local(s) if s == slot) {
            found = true;
        }
    });
    found
}

/// Visits every sub-expression.
pub fn walk(e: &TExpr, f: &mut impl FnMut(&TExpr)) {
    f(e);
    match &e.kind {
        TKind::Const(_) | TKind::Local(_) | TKind::Today => {}
        TKind::Field(b, _, _) | TKind::Unary(_, b) | TKind::Exists(b) => walk(b, f),
        TKind::Binary(_, a, b) | TKind::Change(a, b) | TKind::DateShift(a, b, _) => {
            walk(a, f);
            walk(b, f);
        }
        TKind::List(xs) | TKind::Rule(_, xs) | TKind::Table(_, xs) => xs.iter().for_each(|x| walk(x, f)),
        TKind::If(a, b, c) => {
            walk(a, f);
            walk(b, f);
            walk(c, f);
        }
        TKind::Match(s, arms) => {
            walk(s, f);
            arms.iter().for_each(|(_, x)| walk(x, f));
        }
        TKind::Aggregate(a) => {
            a.value.iter().chain(a.filter.iter()).chain(a.empty.iter()).for_each(|x| walk(x, f));
            a.index.iter().for_each(|(_, x)| walk(x, f));
        }
        TKind::ClauseStatus { subject, .. } => walk(subject, f),
        TKind::Interval(_, x, arg) => {
            walk(x, f);
            if let Some(a) = arg {
                walk(a, f);
            }
        }
    }
}

fn error_expr(span: Span) -> TExpr {
    TExpr { kind: TKind::Const(Value::Bool(false)), ty: Ty::Error, unit: None, span }
}

fn compatible(a: &Ty, b: &Ty) -> bool {
    match (a, b) {
        (Ty::Error, _) | (_, Ty::Error) => true,
        (Ty::List(x), Ty::List(y)) => compatible(x, y),
        _ => a == b,
    }
}

fn duration_unit(u: &str) -> Option<DurationUnit> {
    Some(match u {
        "day" | "days" | "日" | "天" => DurationUnit::Day,
        "week" | "weeks" | "週" | "周" => DurationUnit::Week,
        "month" | "months" | "個月" | "月" => DurationUnit::Month,
        "year" | "years" | "年" => DurationUnit::Year,
        "workday" | "workdays" | "工作日" | "個工作日" => DurationUnit::Workday,
        _ => return None,
    })
}

fn name_span(item: &Item) -> Span {
    match item {
        Item::Plan(x) => x.name.span,
        Item::Party(x) => x.name.span,
        Item::Group(x) => x.name.span,
        Item::Unit(x) => x.name.span,
        Item::Enum(x) => x.name.span,
        Item::Record(x) => x.name.span,
        Item::Period(x) => x.name.span,
        Item::Calendar(x) => x.name.span,
        Item::Sanction(x) => x.name.span,
        Item::Rule(x) => x.name.span,
        Item::Table(x) => x.name.span,
        Item::Clause(x) => x.name.span,
        Item::Test(x) => x.name.span,
        Item::Outline(x) => x.span,
        Item::Untestable(x) => x.number.span,
    }
}

/// A literal as written, rebuilt from the AST (the checker never reads file text).
fn literal_text(e: &ast::Expr) -> String {
    match &e.kind {
        ExprKind::Number(n) | ExprKind::Date(n) => n.clone(),
        ExprKind::Percent(n) => format!("{n}%"),
        ExprKind::Quantity { amount, unit } => format!("{amount} {}", unit.text),
        _ => "the value".into(),
    }
}

/// A number as written in a policy, exactly: `30`, `0.5`, `1.5e3`. A plain number keeps its
/// written scale (`30.0` is shown as written); one with more digits than a decimal holds, or
/// an exponent past its range, is `None`, never rounded.
fn policy_number(text: &str) -> Option<Decimal> {
    if text.contains(['e', 'E']) { crate::facts::exact_decimal(text) } else { Decimal::from_str_exact(text).ok() }
}

/// The closest candidate by edit distance, if it is close enough to be a typo.
pub fn did_you_mean<'a>(name: &str, candidates: impl Iterator<Item = &'a str>) -> Option<String> {
    let n: Vec<char> = name.chars().collect();
    let mut best: Option<(usize, &str)> = None;
    let look = crate::text::skeleton(name);
    for c in candidates {
        if c == name {
            continue;
        }
        // A name that looks the same (another script's letter, an invisible character) is the
        // one meant, however short.
        if crate::text::skeleton(c) == look {
            return Some(c.to_string());
        }
        let d = edit_distance(&n, &c.chars().collect::<Vec<_>>());
        // One edit in a two-character name is half of it: no suggestion is better than noise.
        let longest = n.len().max(c.chars().count());
        let limit = if longest >= 3 { (longest / 3).max(1) } else { 0 };
        if d <= limit && best.is_none_or(|(bd, bc)| d < bd || (d == bd && c < bc)) {
            best = Some((d, c));
        }
    }
    best.map(|(_, c)| c.to_string())
}

fn edit_distance(a: &[char], b: &[char]) -> usize {
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(ca != cb)).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every unknown name is compared with every declaration it could be, for a did-you-mean:
    /// with many of both that was quadratic. The searches share a budget of comparisons; once it
    /// is spent, the later diagnostics keep their generic help. Which ones get a suggestion
    /// depends only on the package, never on timing.
    #[test]
    fn did_you_mean_searches_share_a_budget() {
        const PARTIES: usize = 101;
        const UNKNOWN: usize = 120;
        const BUDGET: usize = 5_000;
        let mut text = String::from("plan p \"t\" { period 2019-01-01 .. 2019-12-31 roles lead \"牽頭\" }\n");
        for i in 0..PARTIES {
            text.push_str(&format!("party 部門{i}\n"));
        }
        for i in 0..UNKNOWN {
            text.push_str(&format!("clause c{i} \"t\" {{ cite \"1\" \"x\" lead 部門{i}x must 1 < 2 }}\n"));
        }
        let file: Arc<str> = Arc::from("p.writ");
        let (module, syntax) = crate::syntax::parse(&file, &text);
        assert!(syntax.is_empty(), "{syntax:?}");
        let (_, diags) = check_with_budget(&[(file, &module)], false, BUDGET);
        assert_eq!(diags.len(), UNKNOWN);
        assert!(diags.iter().all(|d| d.code == "unknown-party"), "{diags:?}");
        let help = |d: &Diagnostic| d.help.clone().unwrap();
        // `部門{i}x` is one edit from `部門{i}` while that party exists.
        let suggested = diags.iter().take_while(|d| help(d).starts_with("did you mean")).count();
        // A search runs whole while any budget is left: 50 searches of 101 candidates.
        assert_eq!(suggested, BUDGET.div_ceil(PARTIES));
        assert_eq!(help(&diags[0]), "did you mean `部門0`?");
        for d in &diags[suggested..] {
            assert!(help(d).starts_with("declare it: `party 部門"), "{}", help(d));
        }
    }
}
