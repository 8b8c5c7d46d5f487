//! Record kinds derived from others by grouping: `record 日數據 from 小時數據 where … by 站點 =
//! 站點, 日期 = date(時刻) dated 日期 { 小時數 = count(小時數據 where exists(PM25))  PM25 =
//! mean(小時數據.PM25) given 小時數 >= 20 }`.
//!
//! The group fields are read from each source record, whose fields are in scope by bare name;
//! the values are computed once per group, over the group's records (an aggregate over the
//! source kind sees only them), with the group fields and the values before them in scope.

use super::*;

impl Checker {
    /// Checks every derived record, each after the kind it is derived from: a kind derived
    /// from a derived kind waits for it, and a cycle is an error.
    pub(super) fn derived_records(&mut self, files: &[(Arc<str>, &ast::Module)]) {
        let mut pending: Vec<(Arc<str>, RecordId, &ast::Record, &ast::Derive)> = Vec::new();
        for (file, module) in files {
            for item in &module.items {
                if let Item::Record(r) = item
                    && let Some(d) = &r.derive
                    && let Some(i) = self.find_record(&r.name.text)
                {
                    pending.push((file.clone(), i, r, d));
                }
            }
        }
        let mut done: Vec<RecordId> = Vec::new();
        while !pending.is_empty() {
            let ready = pending.iter().position(|(_, _, _, d)| match self.find_record(&d.from.text) {
                Some(src) => !self.model.records[src.index()].derived || done.contains(&src),
                None => true,
            });
            match ready {
                Some(at) => {
                    let (file, i, r, d) = pending.remove(at);
                    self.file = file;
                    self.derived_record(i, r, d);
                    done.push(i);
                }
                None => {
                    // Each waits for another: a cycle.
                    for (file, _, r, d) in pending.drain(..) {
                        self.file = file;
                        self.err(
                            "derived-cycle",
                            d.from.span,
                            format!(
                                "`{}` is derived from `{}`, which is derived from it in turn",
                                r.name.text, d.from.text
                            ),
                            "derive each kind from records read from facts, or from kinds derived from them",
                        );
                    }
                }
            }
        }
    }

    fn derived_record(&mut self, idx: RecordId, r: &ast::Record, d: &ast::Derive) {
        let name = r.name.text.clone();
        let from = match self.lookup(&d.from.text) {
            Some((DeclKind::Record, _)) => self.find_record(&d.from.text).expect("declared record"),
            _ => {
                let help = self
                    .did_you_mean(&d.from.text, self.model.records.iter().map(|r| r.name.as_str()))
                    .map(|s| format!("did you mean `{s}`?"))
                    .unwrap_or_else(|| "name a record kind declared in the package".into());
                self.err("unknown-name", d.from.span, format!("`{}` is not a record kind", d.from.text), help);
                return;
            }
        };
        let saved = self.begin_body();
        let mut fields: Vec<FieldDecl> = Vec::new();
        let mut seen: HashMap<String, Span> = HashMap::new();
        let mut unique = |this: &mut Self, n: &ast::Name| -> bool {
            if let Some(first) = seen.get(&n.text) {
                let first = *first;
                this.err(
                    "duplicate-field",
                    n.span,
                    format!("field `{}` is declared twice in `{name}`", n.text),
                    "rename one of them",
                )
                .labels
                .push(crate::diagnostic::Label {
                    span: first,
                    message: "first declared here".into(),
                    file: None,
                });
                return false;
            }
            seen.insert(n.text.clone(), n.span);
            true
        };
        // The source record, in scope by bare name for the filter and the group fields.
        let slot = self.bind(&format!("<{}>", d.from.text), Ty::Ref(from), None);
        self.implicit.push((slot, from));
        let filter = d.filter.as_ref().map(|f| {
            let t = self.expr(f, Some(&Ty::Bool));
            if !compatible(&t.ty, &Ty::Bool) {
                let found = self.ty_name(&t.ty);
                self.err(
                    "type-mismatch",
                    f.span,
                    format!("`where` takes a condition, found {found}"),
                    "write a condition",
                );
            }
            t
        });
        let mut groups = Vec::new();
        let mut group_types = Vec::new();
        for (n, e) in &d.groups {
            let t = self.expr(e, None);
            if matches!(t.ty, Ty::List(_) | Ty::Kind(_) | Ty::Period | Ty::Interval | Ty::Duration) {
                let found = self.ty_name(&t.ty);
                self.err(
                    "type-mismatch",
                    e.span,
                    format!("a group field holds one value of a record, found {found}"),
                    "group by a field or a value computed from one: `日期 = date(時刻)`",
                );
            }
            if unique(self, n) {
                fields.push(FieldDecl {
                    name: n.text.clone(),
                    ty: t.ty.clone(),
                    unit: t.unit.clone(),
                    optional: false,
                    range: ValueRange::default(),
                    origin: origin(&self.file, n.span),
                });
            }
            group_types.push((n.text.clone(), t.ty.clone(), t.unit.clone()));
            groups.push(t);
        }
        self.implicit.pop();
        self.locals.retain(|l| l.slot != slot);
        // The values: the group fields and the values before each in scope by name.
        let group_slots: Vec<u32> = group_types.into_iter().map(|(n, t, u)| self.bind(&n, t, u)).collect();
        let window = d.window.as_ref().and_then(|(field, length, unit)| {
            let src = &self.model.records[from.index()];
            let Some(fi) = src.field(&field.text).filter(|&i| matches!(src.fields[i].ty, Ty::Date | Ty::DateTime))
            else {
                self.err(
                    "type-mismatch",
                    field.span,
                    format!(
                        "`over` names a `date` or `datetime` field of `{}`; `{}` is not one",
                        d.from.text, field.text
                    ),
                    "name the field that says when each record was taken: `over 時刻 window 8 hours`",
                );
                return None;
            };
            let per = match unit.text.trim_end_matches('s') {
                "minute" => 60,
                "hour" => 3600,
                _ => 86_400,
            };
            let Some(seconds) = length.parse::<i64>().ok().filter(|&n| n > 0).and_then(|n| n.checked_mul(per)) else {
                self.err(
                    "type-mismatch",
                    unit.span,
                    format!("a window is a whole number of {} above 0, found `{length}`", unit.text),
                    "write `window 8 hours`",
                );
                return None;
            };
            let decl = src.fields[fi].clone();
            let fresh = unique(self, field);
            if fresh {
                fields.push(FieldDecl {
                    name: decl.name.clone(),
                    ty: decl.ty.clone(),
                    unit: None,
                    optional: false,
                    range: ValueRange::default(),
                    origin: origin(&self.file, field.span),
                });
            }
            let slot = self.bind(&decl.name, decl.ty.clone(), None);
            Some(DerivedWindow { field: fi as u32, seconds, slot })
        });
        let mut values = Vec::new();
        for f in &d.fields {
            let value = self.expr(&f.value, None);
            if matches!(value.ty, Ty::Kind(_) | Ty::Period | Ty::Interval) {
                let found = self.ty_name(&value.ty);
                self.err(
                    "type-mismatch",
                    f.value.span,
                    format!("a derived field holds a value, found {found}"),
                    format!("aggregate the group's records: `{} = mean({}.FIELD)`", f.name.text, d.from.text),
                );
            }
            let given = f.given.as_ref().map(|(g, text)| {
                let t = self.expr(g, Some(&Ty::Bool));
                if !compatible(&t.ty, &Ty::Bool) {
                    let found = self.ty_name(&t.ty);
                    self.err(
                        "type-mismatch",
                        g.span,
                        format!("`given` takes the condition the value is valid under, found {found}"),
                        "write a condition on the group, such as `given 小時數 >= 20`",
                    );
                }
                (t, text.clone())
            });
            if unique(self, &f.name) {
                fields.push(FieldDecl {
                    name: f.name.text.clone(),
                    ty: value.ty.clone(),
                    unit: value.unit.clone(),
                    // A group may have no value (a mean of no readings) or an invalid one.
                    optional: true,
                    range: ValueRange::default(),
                    origin: origin(&self.file, f.name.span),
                });
            }
            let slot = self.bind(&f.name.text, value.ty.clone(), value.unit.clone());
            values.push(DerivedValue { value, slot, given });
        }
        let slots = self.end_body(saved);
        let key = if groups.len() == 1 && window.is_none() {
            0
        } else {
            fields.push(FieldDecl {
                name: GROUP_KEY.into(),
                ty: Ty::Text,
                unit: None,
                optional: false,
                range: ValueRange::default(),
                origin: origin(&self.file, r.name.span),
            });
            fields.len() - 1
        };
        let dated = r.dated.as_ref().and_then(|n| match fields.iter().position(|f| f.name == n.text) {
            Some(i) if matches!(fields[i].ty, Ty::Date | Ty::DateTime) => Some(i),
            found => {
                let what = if found.is_some() { "is not a `date` or `datetime` field" } else { "is not a field" };
                self.err(
                    "type-mismatch",
                    n.span,
                    format!("`dated` names `{}`, which {what} of `{name}`", n.text),
                    "name a group field of type `date` or `datetime`: `by 日期 = date(時刻) dated 日期`",
                );
                None
            }
        });
        let rec = &mut self.model.records[idx.index()];
        rec.fields = fields;
        rec.key = key;
        rec.keyless = groups.len() != 1 || window.is_some();
        rec.dated = dated;
        self.model.derived.push(DerivedDef {
            kind: idx,
            from,
            slot,
            filter,
            groups,
            group_slots,
            values,
            window,
            slots,
        });
    }
}
