//! Declarations: units, parties, groups, dates, calendars, the plan, enums, periods, field types and ranges, records.

use super::*;
use crate::value::DateTime;

impl Checker {
    pub(super) fn unit_decl(&mut self, u: &ast::UnitDecl) {
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

    pub(super) fn party_list(&mut self, names: &[ast::Name]) -> Vec<PartyId> {
        let mut out = Vec::new();
        for n in names {
            match self.lookup(&n.text) {
                Some((DeclKind::Party, _)) => {
                    if let Some(i) = self.find_party(&n.text) {
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

    pub(super) fn group(&mut self, g: &ast::Group) {
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

    pub(super) fn date(&mut self, d: &ast::DateLit) -> Option<Date> {
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

    pub(super) fn ranges(&mut self, rs: &[(ast::DateLit, ast::DateLit)]) -> Vec<(Date, Date)> {
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

    pub(super) fn calendar(&mut self, c: &ast::Calendar) {
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

    pub(super) fn plan(&mut self, p: &ast::Plan) {
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
        for d in &p.default_roles {
            let Some(role) = info.roles.iter().position(|r| r.name == d.role.text) else {
                let known: Vec<&str> = info.roles.iter().map(|r| r.name.as_str()).collect();
                let help = super::clauses::role_help(&d.role.text, &known);
                self.err(
                    "unknown-role",
                    d.role.span,
                    format!("`{}` is not a role the plan declares", d.role.text),
                    help,
                );
                continue;
            };
            if info.default_roles.iter().any(|x| x.role == role as u32 && x.sections.is_empty())
                && d.sections.is_empty()
            {
                self.err(
                    "duplicate-definition",
                    d.role.span,
                    format!("the plan-wide role `{}` is given twice", d.role.text),
                    "name all its parties on one line",
                );
            }
            let parties = self.party_list(&d.parties);
            let sections = d.sections.iter().map(|s| s.text.clone()).collect();
            info.default_roles.push(DefaultRoleDef { role: role as u32, parties, sections });
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
        if let Some(l) = &p.language {
            info.language = crate::lang::Lang::parse(&l.text);
            if info.language.is_none() {
                let accepted = crate::lang::Lang::accepted();
                let help = match crate::lang::Lang::likely(&l.text) {
                    Some(meant) => format!("did you mean `{meant}`? a report is written in {accepted}"),
                    None => format!("a report is written in {accepted}"),
                };
                self.err(
                    "unknown-language",
                    l.span,
                    format!("`{}` is not a language writ writes reports in", l.text),
                    help,
                );
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

    pub(super) fn enum_decl(&mut self, e: &ast::EnumDecl) {
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
        let ei = EnumId::at(self.model.enums.len());
        for (vi, v) in variants.iter().enumerate() {
            self.variant_index.entry(v.clone()).or_default().push((ei, vi as u32));
        }
        self.model.enums.push(EnumDecl {
            name: e.name.text.clone(),
            variants,
            origin: origin(&self.file, e.name.span),
        });
    }

    pub(super) fn period(&mut self, p: &ast::Period) {
        let ranges = self.ranges(&p.ranges);
        self.model.periods.push(PeriodDecl {
            name: p.name.text.clone(),
            ranges,
            origin: origin(&self.file, p.name.span),
        });
    }

    /// Resolves a written type: built-in name, enum, record kind, or unit expression.
    pub(super) fn ty(&mut self, n: &ast::Name) -> (Ty, Option<Unit>) {
        match n.text.as_str() {
            "bool" => return (Ty::Bool, None),
            "text" => return (Ty::Text, None),
            "number" => return (Ty::Number, None),
            "percent" => return (Ty::Percent, None),
            "date" => return (Ty::Date, None),
            "datetime" => return (Ty::DateTime, None),
            "duration" => return (Ty::Duration, None),
            "party" => return (Ty::Party, None),
            _ => {}
        }
        match self.lookup(&n.text) {
            Some((DeclKind::Enum, _)) => {
                let i = self.find_enum(&n.text).expect("declared enum");
                return (Ty::Enum(i), None);
            }
            Some((DeclKind::Record, _)) => {
                let i = self.find_record(&n.text).expect("declared record");
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
                let names =
                    ["bool", "text", "number", "percent", "date", "datetime", "duration", "party"].into_iter().chain(
                        (self.names.iter())
                            .filter(|(_, (k, _, _))| matches!(k, DeclKind::Enum | DeclKind::Record))
                            .map(|(k, _)| k.as_str()),
                    );
                let help = match self.did_you_mean(&n.text, names) {
                    Some(s) => format!("did you mean `{s}`?"),
                    None => "a type is `bool`, `text`, `number`, `percent`, `date`, `datetime`, an enum, a record kind or a unit such as `mg/m3`".into(),
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
    pub(super) fn field_range(&mut self, f: &ast::Field, ty: &Ty, unit: Option<&Unit>) -> ValueRange {
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
            Ty::DateTime => {
                let plan = &self.model.plan;
                let first = plan.start.map_or(1900, |d| chrono::Datelike::year(&d.naive()) - 100);
                let last = plan.end.map_or(2200, |d| chrono::Datelike::year(&d.naive()) + 100);
                let at = |y: i32, m: u32, d: u32, h, mi, s| {
                    Date::from_ymd(y, m, d).and_then(|d| DateTime::new(d, h, mi, s)).map(Value::DateTime)
                };
                ValueRange {
                    low: at(first, 1, 1, 0, 0, 0).and_then(|v| end(v, format!("{first}-01-01T00:00"))),
                    high: at(last, 12, 31, 23, 59, 59).and_then(|v| end(v, format!("{last}-12-31T23:59:59"))),
                }
            }
            _ => ValueRange::default(),
        };
        let Some(written) = &f.range else { return range };
        let orderable = matches!(ty, Ty::Number | Ty::Percent | Ty::Quantity(_) | Ty::Date | Ty::DateTime);
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
            (Value::DateTime(x), Value::DateTime(y)) => Some(x.cmp(y)),
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
    pub(super) fn range_end(
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
            Ty::DateTime => "a datetime such as `2019-01-01T00:00`".into(),
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
            | (Ty::DateTime, Ty::DateTime)
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
            (TKind::Const(Value::DateTime(t)), false) => Some((Value::DateTime(t), text)),
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

    pub(super) fn record(&mut self, idx: usize, r: &ast::Record) {
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
            if let Ty::Ref(target) = ty
                && self.model.records[target.index()].derived
            {
                let target = &self.model.records[target.index()].name;
                self.err(
                    "keyless-reference",
                    f.ty.span,
                    format!(
                        "`{}` refers to a `{target}` record, but `{target}` is derived, not read from facts",
                        f.name.text
                    ),
                    format!(
                        "refer to a record read from facts; `{target}` is computed from them before each evaluation"
                    ),
                );
            } else if let Ty::Ref(target) = ty
                && self.model.records[target.index()].keyless
            {
                let target = &self.model.records[target.index()].name;
                self.err(
                    "keyless-reference",
                    f.ty.span,
                    format!("`{}` refers to a `{target}` record, but `{target}` has no key to refer by", f.name.text),
                    format!("declare a key for `{target}` (`record {target} key FIELD`), or refer to something else"),
                );
            }
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
        let key = match &r.key {
            Some(k) => {
                let key = fields.iter().position(|f| f.name == k.text);
                if key.is_none() {
                    let help = self
                        .did_you_mean(&k.text, fields.iter().map(|f| f.name.as_str()))
                        .map(|s| format!("did you mean `{s}`?"))
                        .unwrap_or_else(|| "name one of the record's fields after `key`".into());
                    self.err(
                        "unknown-field",
                        k.span,
                        format!("the key `{}` is not a field of `{}`", k.text, r.name.text),
                        help,
                    );
                }
                key
            }
            // Known by file and line: a text field no policy can name.
            None => {
                fields.push(FieldDecl {
                    name: KEYLESS_KEY.into(),
                    ty: Ty::Text,
                    unit: None,
                    optional: false,
                    range: ValueRange::default(),
                    origin: origin(&self.file, r.name.span),
                });
                Some(fields.len() - 1)
            }
        };
        let dated = r.dated.as_ref().and_then(|d| match fields.iter().position(|f| f.name == d.text) {
            Some(i) if matches!(fields[i].ty, Ty::Date | Ty::DateTime) => Some(i),
            Some(_) => {
                self.err(
                    "type-mismatch",
                    d.span,
                    format!("`dated` names `{}`, which is not a `date` or `datetime` field", d.text),
                    "name a field of type `date` or `datetime`",
                );
                None
            }
            None => {
                self.err(
                    "unknown-field",
                    d.span,
                    format!("`{}` is not a field of `{}`", d.text, r.name.text),
                    "name a field of type `date` or `datetime`",
                );
                None
            }
        });
        let source = r.source.as_ref().map(|s| self.source(r, s, &fields));
        let rec = &mut self.model.records[idx];
        rec.fields = fields;
        rec.key = key.unwrap_or(0);
        rec.dated = dated;
        rec.source = source;
    }

    /// Resolves a record's `source` block against its fields: every field named must exist,
    /// every column is mapped once, and a field built from split columns is a date (year,
    /// month, day) or a datetime (those and hour, minute, second, as many as given).
    fn source(&mut self, r: &ast::Record, s: &ast::Source, fields: &[FieldDecl]) -> SourceDecl {
        let mut out = SourceDecl {
            files: s.files.iter().map(|f| f.text.clone()).collect(),
            missing: s.missing.iter().map(|m| m.text.clone()).collect(),
            ignore: vec![],
            renames: vec![],
            built: vec![],
        };
        for f in &s.files {
            // A pattern names a file, or the folders its path ends with (`讀數/*.parquet`):
            // never a path from a root, a step up or a `\\`, which no path's end would match.
            let parts: Vec<&str> = f.text.split('/').collect();
            let relative = parts.iter().all(|p| !p.trim().is_empty() && *p != "." && *p != "..");
            if f.text.trim().is_empty() || f.text.contains('\\') || !relative {
                self.err(
                    "bad-source",
                    f.span,
                    format!("`{}` is not a file-name pattern", f.text),
                    "write a file name, with `*` for any run of characters and `?` for one (`PRSA_Data_*.csv`), \
                     or the folders its path ends with and the name (`讀數/*.parquet`), separated by `/`",
                );
            }
        }
        // Each column once, whatever it is mapped to.
        let mut columns: HashMap<String, Span> = HashMap::new();
        let mut column = |this: &mut Self, c: &ast::Str| -> bool {
            let name = c.text.trim().to_string();
            if let Some(first) = columns.get(&name) {
                let first = *first;
                this.err(
                    "bad-source",
                    c.span,
                    format!("the column `{name}` is mapped twice"),
                    "map each column once: to one field, as part of one, or `ignore`",
                )
                .labels
                .push(crate::diagnostic::Label {
                    span: first,
                    message: "first mapped here".into(),
                    file: None,
                });
                return false;
            }
            columns.insert(name, c.span);
            true
        };
        let mut mapped: HashMap<usize, Span> = HashMap::new();
        let written = |i: usize| !(r.key.is_none() && fields[i].name == KEYLESS_KEY);
        for m in &s.columns {
            let Some(field) = fields.iter().position(|f| f.name == m.field.text).filter(|&i| written(i)) else {
                let help = self
                    .did_you_mean(
                        &m.field.text,
                        fields.iter().filter(|f| f.name != KEYLESS_KEY).map(|f| f.name.as_str()),
                    )
                    .map(|s| format!("did you mean `{s}`?"))
                    .unwrap_or_else(|| "name a field declared above in the record".into());
                self.err(
                    "unknown-field",
                    m.field.span,
                    format!("`{}` is not a field of `{}`", m.field.text, r.name.text),
                    help,
                );
                continue;
            };
            if let Some(&first) = mapped.get(&field) {
                self.err(
                    "bad-source",
                    m.field.span,
                    format!("`{}` is given its columns twice", m.field.text),
                    "say once where a field comes from",
                )
                .labels
                .push(crate::diagnostic::Label {
                    span: first,
                    message: "first given here".into(),
                    file: None,
                });
                continue;
            }
            mapped.insert(field, m.field.span);
            let ty = &fields[field].ty;
            let parts = m.columns.len();
            let fits = match ty {
                _ if parts == 1 => true,
                Ty::Date => parts == 3,
                Ty::DateTime => (4..=6).contains(&parts),
                _ => false,
            };
            if !fits {
                let field = &m.field.text;
                let (message, help) = match ty {
                    Ty::Date => (
                        format!("`{field}` is a date, built from 3 columns (year, month, day), not {parts}"),
                        "`FIELD from \"year\", \"month\", \"day\"`".to_string(),
                    ),
                    Ty::DateTime => (
                        format!(
                            "`{field}` is a datetime, built from 4 to 6 columns (year, month, day, hour, minute, second), not {parts}"
                        ),
                        "`FIELD from \"year\", \"month\", \"day\", \"hour\"`, with minute and second after hour if the \
                         file has them"
                            .to_string(),
                    ),
                    other => (
                        format!("`{field}` is {}: only a date or a datetime is built from several columns", self.ty_name(other)),
                        "read the field from one column: `FIELD from \"COLUMN\"`".to_string(),
                    ),
                };
                self.err("bad-source", m.span, message, help);
                continue;
            }
            let names: Vec<String> = m.columns.iter().map(|c| c.text.trim().to_string()).collect();
            // Every column is checked, so each one mapped twice is reported.
            let fresh: Vec<bool> = m.columns.iter().map(|c| column(self, c)).collect();
            if !fresh.iter().all(|&f| f) {
                continue;
            }
            if parts == 1 {
                out.renames.push((names.into_iter().next().expect("one column"), field));
            } else {
                out.built.push((field, names));
            }
        }
        for c in &s.ignore {
            if column(self, c) {
                out.ignore.push(c.text.trim().to_string());
            }
        }
        out
    }

    pub(super) fn cite(&self, c: &Option<ast::Cite>) -> Option<CiteDef> {
        c.as_ref().map(|c| CiteDef { number: c.number.text.clone(), text: c.text.as_ref().map(|t| t.text.clone()) })
    }

    pub(super) fn params(&mut self, ps: &[ast::Param]) -> Vec<(String, Ty, Option<Unit>)> {
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
}
