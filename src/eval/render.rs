//! A compact verdict written out: the [`Verdict`] a report shows, with its names, cites, texts,
//! parties, evidence sentences and fact citations, made from the indexes and raw values
//! evaluation kept, one verdict at a time as a report is written.

use super::expr::{Fmt, R, interval_label};
use super::verdict::*;
use crate::model::{RecordId, TExpr, TKind};
use crate::syntax::ast::Modality;
use crate::value::Value;
use indexmap::IndexMap;
use std::borrow::Cow;

/// The kind of a subject as a verdict names it: the record kind, `party`, or the unit of
/// `every`.
pub(crate) fn subject_kind<'a>(fmt: Fmt<'a>, s: &SubjectRec) -> &'a str {
    match s {
        SubjectRec::Row(k, _) | SubjectRec::Keyed(k, _) => &fmt.model.records[k.index()].name,
        SubjectRec::Party(_) => "party",
        SubjectRec::Occurrence(unit, _, _) => unit.name(),
    }
}

/// The key of a subject: the record's key, the party's name, the occurrence's label.
pub(crate) fn subject_key<'a>(fmt: Fmt<'a>, s: &'a SubjectRec) -> Cow<'a, str> {
    match s {
        SubjectRec::Row(k, r) => Cow::Borrowed(fmt.facts.tables[k.index()].key(*r)),
        SubjectRec::Keyed(_, named) => Cow::Borrowed(&named.0),
        SubjectRec::Party(p) => Cow::Borrowed(&fmt.model.parties[p.index()].name),
        SubjectRec::Occurrence(_, a, b) => Cow::Owned(interval_label(*a, *b)),
    }
}

/// A verdict's id without the `#n` that tells equal ids apart: clause / subject keys /
/// requirement label or position.
pub(crate) fn write_base_id(fmt: Fmt, v: &Rec, subjects: &[SubjectRec], out: &mut String) {
    out.push_str(&fmt.model.clauses[v.clause.index()].name);
    for s in &subjects[v.subject.range()] {
        out.push('/');
        let key = subject_key(fmt, s);
        if key.contains('/') {
            out.push_str(&key.replace('/', "%2F"));
        } else {
            out.push_str(&key);
        }
    }
    out.push('/');
    match &v.req.label {
        Some(l) => out.push_str(l),
        None => crate::text::push_number(out, v.req.index.into()),
    }
}

fn modality(m: Modality) -> &'static str {
    match m {
        Modality::Must => "must",
        Modality::MustNot => "must not",
        Modality::Should => "should",
        Modality::ShouldNot => "should not",
    }
}

/// A value as evidence shows it: with its unit, or `unknown (why)`.
fn shown_value(fmt: Fmt, x: &R, e: &crate::model::TExpr) -> String {
    match x {
        R::V(v) => fmt.format(v, &e.ty, e.unit.as_ref()),
        R::Absent(why) | R::Unknown(why) => format!("unknown ({why})"),
    }
}

impl ConstTexts {
    /// What [`Fmt::describe_expr`] gives for `e`: looked up when `e` is a constant, whose
    /// description depends on nothing else.
    fn describe<'v>(&mut self, fmt: Fmt, e: &TExpr, local: &dyn Fn(u32) -> Option<&'v Value>) -> String {
        if !matches!(e.kind, TKind::Const(_)) {
            return fmt.describe_expr(e, local);
        }
        self.described.entry(e as *const TExpr as usize).or_insert_with(|| fmt.describe_expr(e, local)).clone()
    }

    /// What [`shown_value`] gives for `x` of `e`: looked up when `e` is a constant and `x` the
    /// very number (to its scale) its text was written from.
    fn shown(&mut self, fmt: Fmt, x: &R, e: &TExpr) -> String {
        let (TKind::Const(_), R::V(Value::Num(n))) = (&e.kind, x) else {
            return shown_value(fmt, x, e);
        };
        let bits = n.serialize();
        match self.shown.get(&(e as *const TExpr as usize)) {
            Some((b, text)) if *b == bits => text.clone(),
            _ => {
                let text = shown_value(fmt, x, e);
                self.shown.insert(e as *const TExpr as usize, (bits, text.clone()));
                text
            }
        }
    }
}

impl<'m> Evaluation<'m> {
    pub(crate) fn fmt(&self) -> Fmt<'m> {
        Fmt { model: self.model, facts: self.facts }
    }

    /// The id of verdict `i`, appended to `out`.
    pub fn write_id(&self, i: usize, out: &mut String) {
        let v = &self.recs[i];
        write_base_id(self.fmt(), v, &self.subjects, out);
        if v.dup > 0 {
            use std::fmt::Write;
            let _ = write!(out, "#{}", v.dup);
        }
    }

    /// The clause name of verdict `i`.
    pub fn clause_name(&self, i: usize) -> &'m str {
        &self.model.clauses[self.recs[i].clause.index()].name
    }

    /// The kind and key of each subject of verdict `i`, as [`Verdict::subject`] has them.
    pub(crate) fn subject_of(&self, i: usize) -> impl Iterator<Item = (&str, Cow<'_, str>)> + '_ {
        let fmt = self.fmt();
        self.subjects[self.recs[i].subject.range()].iter().map(move |s| (subject_kind(fmt, s), subject_key(fmt, s)))
    }

    /// The modality of verdict `i`, as [`Verdict::modality`] has it.
    pub(crate) fn modality_of(&self, i: usize) -> &'static str {
        modality(self.recs[i].req.modality)
    }

    /// The reason of verdict `i`, if it has one.
    pub fn reason(&self, i: usize) -> Option<&str> {
        self.recs[i].reason()
    }

    /// Verdict `i` written out.
    pub fn verdict(&self, i: usize) -> Verdict {
        let fmt = self.fmt();
        let model = self.model;
        let v = &self.recs[i];
        let clause = &model.clauses[v.clause.index()];
        let subjects = &self.subjects[v.subject.range()];
        let mut id = String::new();
        self.write_id(i, &mut id);
        let subject: Vec<Subject> = subjects
            .iter()
            .map(|s| Subject { kind: subject_kind(fmt, s).to_string(), key: subject_key(fmt, s).into_owned() })
            .collect();
        let mut parties = self.parties(clause, subject.iter().filter(|s| s.kind == "party").map(|s| s.key.as_str()));
        let parties_unknown = self.subject_parties(v, &mut parties);
        let facts = self.cited[v.facts.range()].iter().map(|&(k, r)| fmt.fact_ref(k, r, &self.kind_names)).collect();
        Verdict {
            id,
            clause: clause.name.clone(),
            title: clause.title.clone(),
            cite: clause.cite.as_ref().map(|c| c.number.clone()),
            cite_text: clause.cite.as_ref().and_then(|c| c.text.clone()),
            status: v.status,
            modality: modality(v.req.modality),
            requirement: v.req.text.clone(),
            subject,
            deadline: v.deadline,
            rolled_from: v.rolled_from(),
            done_on: v.done_on,
            parties,
            parties_unknown,
            decided: v.req.roles.iter().map(|sr| model.plan.roles[sr.role as usize].name.clone()).collect(),
            evidence: self.evidence_of(v, &mut ConstTexts::default()),
            computed: self.computed_of(v),
            facts,
            more_facts: v.more_facts as usize,
            sanctions: self.sanctions_of(v),
            reason: v.reason().map(str::to_string),
        }
    }

    /// The parties of a verdict of `clause`, by role, whose subject includes the parties
    /// `bound` (the keys of its subjects of kind `party`).
    pub(crate) fn parties<'a>(
        &self,
        clause: &crate::model::ClauseDef,
        bound: impl Iterator<Item = &'a str>,
    ) -> IndexMap<String, Vec<String>> {
        let model = self.model;
        let mut parties: IndexMap<String, Vec<String>> = IndexMap::new();
        for (role, ps) in &clause.roles {
            let role = &model.plan.roles[*role as usize];
            let entry = parties.entry(role.name.clone()).or_default();
            for &p in ps {
                let name = &model.parties[p.index()].name;
                if !entry.contains(name) {
                    entry.push(name.clone());
                }
            }
        }
        // A duty bound to a party (`for p in 各縣區人民政府`) is owed by that party: in the role that
        // names it, it stands alone.
        for key in bound {
            for ps in parties.values_mut() {
                if ps.iter().any(|p| p == key) {
                    ps.retain(|p| p == key);
                }
            }
        }
        parties
    }

    /// The parties of verdict `i` by role, with the roles its subject decides, and a note for
    /// each party its subject should have named and did not.
    pub(crate) fn parties_at(&self, i: usize) -> (IndexMap<String, Vec<String>>, Vec<String>) {
        let v = &self.recs[i];
        let clause = &self.model.clauses[v.clause.index()];
        let bound: Vec<Cow<str>> = self.subject_of(i).filter(|(kind, _)| *kind == "party").map(|(_, k)| k).collect();
        let mut parties = self.parties(clause, bound.iter().map(|k| k.as_ref()));
        let unknown = self.subject_parties(v, &mut parties);
        (parties, unknown)
    }

    /// Puts in `parties` the roles verdict `v`'s subject decides (`implement e.所在縣區`), each
    /// in place of the clause's parties of that role. A party the subject does not name (the
    /// field missing or unreadable) is [`UNKNOWN_PARTY`], never left out: what is returned says
    /// which and why.
    pub(crate) fn subject_parties(&self, v: &Rec, parties: &mut IndexMap<String, Vec<String>>) -> Vec<String> {
        let mut notes = Vec::new();
        let mut values = v.roles().iter();
        for sr in &v.req.roles {
            let role = &self.model.plan.roles[sr.role as usize].name;
            let mut ps: Vec<String> = Vec::new();
            let mut push = |p: &str| {
                if !ps.iter().any(|x| x == p) {
                    ps.push(p.to_string());
                }
            };
            for &p in &sr.parties {
                push(&self.model.parties[p.index()].name);
            }
            for (_, text) in &sr.fields {
                match values.next() {
                    Some(RoleValue::Party(p)) => push(&self.model.parties[p.index()].name),
                    Some(RoleValue::Unknown(why)) => {
                        push(UNKNOWN_PARTY);
                        notes.push(format!("{role} `{text}`: {why}"));
                    }
                    None => {}
                }
            }
            parties.insert(role.clone(), ps);
        }
        notes
    }

    /// The comparisons verdict `v` rests on, written out, each once; the text of constants
    /// taken from `consts` where it is there.
    pub(crate) fn evidence_of(&self, v: &Rec, consts: &mut ConstTexts) -> Vec<Evidence> {
        let fmt = self.fmt();
        let item = |consts: &mut ConstTexts, e: &EvidenceRec, locals: &[(u32, Option<Value>)]| {
            let local = |slot: u32| locals.iter().find(|(s, _)| *s == slot).and_then(|(_, v)| v.as_ref());
            Evidence {
                left: consts.describe(fmt, e.left, &local),
                left_value: consts.shown(fmt, &e.left_value, e.left),
                op: e.op.symbol().to_string(),
                right: consts.describe(fmt, e.right, &local),
                right_value: consts.shown(fmt, &e.right_value, e.right),
                holds: e.holds,
            }
        };
        let Some(span) = v.evidence.span() else {
            let subject = &self.subjects[v.subject.range()];
            let (e, local) = super::compiled::row_evidence(self.facts, v, subject)
                .expect("a verdict made from a row: its requirement compares a field of the row with a constant");
            return vec![item(consts, &e, &[local])];
        };
        let mut evidence: Vec<Evidence> = Vec::with_capacity(span.len as usize);
        for e in &self.evidence[span.range()] {
            let it = item(consts, e, &self.locals[e.locals.range()]);
            if !evidence.contains(&it) {
                evidence.push(it);
            }
        }
        evidence
    }

    /// The aggregates verdict `v` computed, written out, each once.
    pub(crate) fn computed_of(&self, v: &Rec) -> Vec<Computed> {
        let fmt = self.fmt();
        let mut computed: Vec<Computed> = Vec::with_capacity(v.computed.len as usize);
        for c in &self.computed[v.computed.range()] {
            let text = match &c.expr.kind {
                crate::model::TKind::Aggregate(a) => a.text.clone(),
                _ => String::new(),
            };
            let value = match &c.value {
                R::V(x) => fmt.format(x, &c.expr.ty, c.expr.unit.as_ref()),
                R::Absent(why) => format!("none ({why})"),
                R::Unknown(why) => format!("unknown ({why})"),
            };
            let item = Computed { expr: text, value };
            if !computed.contains(&item) {
                computed.push(item);
            }
        }
        computed
    }

    /// The sanctions that attach to verdict `v`, written out.
    pub(crate) fn sanctions_of(&self, v: &Rec) -> Vec<SanctionOut> {
        let fmt = self.fmt();
        v.sanctions()
            .iter()
            .map(|s| {
                let decl = &self.model.sanctions[s.sanction as usize];
                let on = s.on.as_ref().map(|(e, r)| match r {
                    R::V(val) => fmt.describe_value(val, e),
                    R::Absent(why) | R::Unknown(why) => format!("unknown ({why})"),
                });
                SanctionOut { name: decl.name.clone(), text: decl.text.clone(), on }
            })
            .collect()
    }

    /// A fact a verdict cites, as [`FactRef`] has it but borrowed: file, kind, key, line.
    pub(crate) fn fact_of(&self, kind: RecordId, row: u32) -> (&str, &str, &str, u32) {
        let o = self.facts.tables[kind.index()].origin(row);
        let file = self.facts.files.get(o.file as usize).map_or("", |f| &**f);
        (file, &self.kind_names[kind.index()], o.key, o.line)
    }
}
