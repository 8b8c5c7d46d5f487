//! Clauses: blocks, scopes, exemptions, `every`, requirements and deadlines, and the order clauses are evaluated in.

use super::*;

impl Checker {
    pub(super) fn clause(&mut self, c: &ast::Clause) -> ClauseDef {
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
        self.default_roles(&mut def);
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

    pub(super) fn block(
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
        let mut roles: Vec<SubjectRole> = Vec::new();
        // Role lines of this block that name parties only.
        let mut named: Vec<(u32, Vec<PartyId>)> = Vec::new();
        let mut out = Vec::new();
        for s in stmts {
            match s {
                ast::Stmt::Cite(ci) => {
                    if def.cite.is_some() {
                        self.err("duplicate-definition", ci.span, "a clause has one `cite`", "put both numbers in one cite: `cite \"三(一)1\" …` and split the clause if it covers two items");
                    }
                    def.cite = self.cite(&Some(ci.clone()));
                }
                ast::Stmt::Role { role, parties, fields, .. } => {
                    let Some(ri) = self.model.plan.roles.iter().position(|r| r.name == role.text) else {
                        if self.incomplete && self.model.plan.roles.is_empty() {
                            continue;
                        }
                        let known: Vec<&str> = self.model.plan.roles.iter().map(|r| r.name.as_str()).collect();
                        let help = role_help(&role.text, &known);
                        self.err(
                            "unknown-role",
                            role.span,
                            format!("`{}` is not a role the plan declares", role.text),
                            help,
                        );
                        continue;
                    };
                    let ps = self.party_list(parties);
                    if fields.is_empty() {
                        named.push((ri as u32, ps.clone()));
                        def.roles.push((ri as u32, ps));
                    } else {
                        let fields = fields.iter().map(|f| self.role_field(f)).collect();
                        roles.push(SubjectRole { role: ri as u32, parties: ps, fields });
                    }
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
        // A role the subject decides holds for the block's requirements, nested ones included,
        // wherever it is written; a nested block's own line for the role comes first.
        // Parties named for the role on another line of the same block join the subject's.
        if !roles.is_empty() {
            for sr in &mut roles {
                for (r, ps) in &named {
                    if *r == sr.role {
                        sr.parties.extend(ps.iter().filter(|p| !sr.parties.contains(p)).copied().collect::<Vec<_>>());
                    }
                }
            }
            attach_roles(&mut out, &roles);
        }
        self.locals.truncate(depth);
        // The block's variables are out of scope: their slots can be used again.
        self.next_slot = slot_mark;
        out
    }

    /// The plan-wide roles the clause does not name itself, in the plan's order.
    fn default_roles(&mut self, def: &mut ClauseDef) {
        let number = def.cite.as_ref().map(|c| c.number.clone());
        let mut decided = Vec::new();
        subject_roles(&def.body, &mut decided);
        let named: Vec<u32> = def.roles.iter().map(|(r, _)| *r).chain(decided).collect();
        for d in &self.model.plan.default_roles {
            if !named.contains(&d.role) && d.covers(number.as_deref()) {
                match def.roles.iter_mut().find(|(r, _)| *r == d.role) {
                    // Two plan-wide lines for one role over this clause's section: both apply.
                    Some((_, ps)) => {
                        ps.extend(d.parties.iter().filter(|p| !ps.contains(p)).copied().collect::<Vec<_>>())
                    }
                    None => def.roles.push((d.role, d.parties.clone())),
                }
            }
        }
    }

    /// `x.field` in a role line: an expression whose value must be a party.
    fn role_field(&mut self, f: &ast::Expr) -> (TExpr, String) {
        let e = self.expr(f, Some(&Ty::Party));
        let text = path_text(f);
        if !compatible(&e.ty, &Ty::Party) {
            let found = self.ty_name(&e.ty);
            let help = match &e.ty {
                Ty::Ref(k) => format!(
                    "`{text}` is a `{}` record: give that kind a field of type `party` and name it, `{text}.FIELD`",
                    self.model.records[k.index()].name
                ),
                Ty::Text => "declare the field as `party` rather than `text`: its values are then read as declared parties, by name or full name".into(),
                _ => "a role names parties: declare the field `FIELD: party` in the record, and its values name declared parties".into(),
            };
            self.err("role-not-party", f.span, format!("a role needs a party, and `{text}` is {found}"), help);
        }
        (e, text)
    }

    pub(super) fn for_block(
        &mut self,
        f: &ast::For,
        def: &mut ClauseDef,
        counter: &mut u32,
        sanctions: &[SanctionApp],
    ) -> ForDef {
        let depth = self.locals.len();
        let (source, ty) = match self.lookup(&f.scope.text) {
            Some((DeclKind::Record, _)) => {
                let kind = self.find_record(&f.scope.text).expect("declared record");
                match &f.keys {
                    None => (ScopeSource::All(kind), Ty::Ref(kind)),
                    Some(keys) => {
                        let key_ty = self.model.records[kind.index()]
                            .fields
                            .get(self.model.records[kind.index()].key)
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

    pub(super) fn exemption(&mut self, e: &ast::Expr, text: &str) -> Exemption {
        let name = match &e.kind {
            ExprKind::Call { func, .. } => func.text.clone(),
            _ => text.to_string(),
        };
        Exemption { name, expr: self.condition(e, "an exemption") }
    }

    pub(super) fn condition(&mut self, e: &ast::Expr, what: &str) -> TExpr {
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
    pub(super) fn check_occurrences(&mut self, e: &ast::Every, period: &TPeriod) {
        let ranges: Vec<(Date, Date)> = match period {
            TPeriod::Named(i) => self.model.periods[*i as usize].ranges.clone(),
            TPeriod::Plan => self.model.plan.start.zip(self.model.plan.end).into_iter().collect(),
            TPeriod::Year(_) | TPeriod::Dynamic(_) => vec![],
        };
        let n: u64 = ranges
            .iter()
            .filter(|r| r.1 < crate::time::OPEN_END)
            .map(|&(a, b)| crate::time::occurrence_count(e.unit, a, b))
            .sum();
        if n > crate::time::MAX_OCCURRENCES {
            self.err(
                "too-many-occurrences",
                e.of.span,
                format!(
                    "`every {}` over this period gives {n} occurrences, more than the {} writ evaluates",
                    e.unit.name(),
                    crate::time::MAX_OCCURRENCES
                ),
                "check the period's years, or leave its end open (`2019-10-01 ..`): an open period is listed up to the as-of date",
            );
        }
    }

    pub(super) fn period_ref(&mut self, e: &ast::Expr) -> Option<TPeriod> {
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

    pub(super) fn requirement(&mut self, r: &ast::Requirement, index: u32) -> Requirement {
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
            roles: vec![],
            text: r.text.clone(),
            span: r.span,
        }
    }

    pub(super) fn order_clauses(&mut self, clauses: Vec<ClauseDef>) -> Vec<ClauseDef> {
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
}

/// The help line of `unknown-role`.
pub(super) fn role_help(role: &str, known: &[&str]) -> String {
    match did_you_mean(role, known.iter().copied()) {
        Some(s) => format!("did you mean `{s}`?"),
        None if known.is_empty() => "the plan declares no roles: add `roles lead \"牽頭\", …` to the plan".into(),
        None => {
            format!("the plan's roles are {}", known.iter().map(|k| format!("`{k}`")).collect::<Vec<_>>().join(", "))
        }
    }
}

/// Gives every requirement in `stmts` the block's subject roles, except a role a nested
/// block's own line already gave it.
fn attach_roles(stmts: &mut [TStmt], roles: &[SubjectRole]) {
    for s in stmts {
        match s {
            TStmt::Require(r) => {
                for role in roles {
                    if !r.roles.iter().any(|x| x.role == role.role) {
                        r.roles.push(role.clone());
                    }
                }
            }
            TStmt::For(f) => attach_roles(&mut f.body, roles),
            TStmt::Every(e) => attach_roles(&mut e.body, roles),
            TStmt::Let(..) => {}
        }
    }
}

/// The roles some requirement's subject decides.
fn subject_roles(stmts: &[TStmt], out: &mut Vec<u32>) {
    for s in stmts {
        match s {
            TStmt::Require(r) => out.extend(r.roles.iter().map(|x| x.role)),
            TStmt::For(f) => subject_roles(&f.body, out),
            TStmt::Every(e) => subject_roles(&e.body, out),
            TStmt::Let(..) => {}
        }
    }
}

/// `e.所在縣區` as written: a role target is a name and its fields.
fn path_text(e: &ast::Expr) -> String {
    match &e.kind {
        ExprKind::Field(x, f) => format!("{}.{}", path_text(x), f.text),
        ExprKind::Name(n) => n.clone(),
        _ => String::new(),
    }
}
