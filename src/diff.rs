//! The verdicts that change between two evaluations, as data: two versions of a package over
//! the same facts (the effect of an amendment before it is adopted), or one package over two
//! fact sets. What `writ diff` prints, as text or JSON.
//!
//! Verdicts are matched by id (clause / subject keys / requirement label or position). A
//! verdict of one side only is `added` or `removed`; one of both sides is `changed` when its
//! status, its deadline, the day it was done or the values it compared differ, and is
//! otherwise only counted. A clause of the old package missing from the new one is `removed`,
//! one new to the new package `added`; a removed and an added clause that cite the same item of
//! the plan (and are the only ones to), or else carry the same title, are one clause `renamed`,
//! and its verdicts are matched with the old name in their ids replaced by the new.

use crate::eval::{ConstTexts, Evaluation, Evidence, Status, Subject};
use crate::value::Date;
use rustc_hash::FxHashMap;
use serde::{Serialize, Serializer};

/// What changed between two evaluations, clause by clause.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Diff {
    pub old: Side,
    pub new: Side,
    pub summary: DiffSummary,
    /// The clauses with anything to show (a verdict added, removed or changed, or the clause
    /// itself added, removed or renamed), in the order of the new package, each removed clause
    /// after the clause that came before it in the old one.
    pub clauses: Vec<ClauseDiff>,
}

/// One side of a comparison: the plan evaluated and the date.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Side {
    pub plan: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plan_title: Option<String>,
    /// The language the plan declares, if it declares one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub language: Option<crate::lang::Lang>,
    #[serde(serialize_with = "date_str")]
    pub as_of: Date,
    /// How many verdicts the side has.
    pub verdicts: usize,
}

/// The counts of a comparison.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct DiffSummary {
    pub added: usize,
    pub removed: usize,
    /// Verdicts of both sides that differ (in status, or only in their values or deadline).
    pub changed: usize,
    /// Of `changed`, those whose status differs.
    pub status_changed: usize,
    pub unchanged: usize,
    pub clauses_added: usize,
    pub clauses_removed: usize,
    pub clauses_renamed: usize,
}

impl Diff {
    /// Whether anything differs: what makes `writ diff` exit 1.
    pub fn has_changes(&self) -> bool {
        let s = &self.summary;
        s.added + s.removed + s.changed + s.clauses_added + s.clauses_removed + s.clauses_renamed > 0
    }
}

/// What happened to a clause between the two packages.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ClauseChange {
    /// In both, under the same name.
    Same,
    Added,
    Removed,
    /// In both, under another name (see [`ClauseDiff::old_clause`]).
    Renamed,
}

/// The changes of one clause.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ClauseDiff {
    /// The clause's name: in the new package, or for a removed clause in the old.
    pub clause: String,
    /// The name in the old package of a renamed clause.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub old_clause: Option<String>,
    pub change: ClauseChange,
    pub title: Option<String>,
    pub cite: Option<String>,
    pub changed: Vec<Changed>,
    pub added: Vec<Shown>,
    pub removed: Vec<Shown>,
    /// Verdicts of both sides that are the same.
    pub unchanged: usize,
}

/// A verdict of one side only.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Shown {
    pub id: String,
    pub subject: Vec<Subject>,
    pub modality: &'static str,
    pub requirement: String,
    pub status: Status,
    #[serde(serialize_with = "date_opt")]
    pub deadline: Option<Date>,
    pub evidence: Vec<Evidence>,
}

/// An old value and a new one.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Change<T> {
    pub old: T,
    pub new: T,
}

/// A verdict of both sides that differs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Changed {
    /// The id in the new evaluation.
    pub id: String,
    /// The id in the old one, where the clause was renamed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub old_id: Option<String>,
    pub subject: Vec<Subject>,
    pub modality: &'static str,
    /// The requirement as the new package writes it.
    pub requirement: String,
    /// The requirement as the old package wrote it, where that differs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub old_requirement: Option<String>,
    /// The status on each side (the same on both when only values changed).
    pub status: Change<Status>,
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "date_change")]
    pub deadline: Option<Change<Option<Date>>>,
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "date_change")]
    pub done_on: Option<Change<Option<Date>>>,
    /// What was compared on each side, where that differs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub evidence: Option<Change<Vec<Evidence>>>,
}

impl Changed {
    /// Whether the status differs, not only the values.
    pub fn status_changed(&self) -> bool {
        self.status.old != self.status.new
    }
}

fn date_str<S: Serializer>(d: &Date, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&d.to_string())
}

fn date_opt<S: Serializer>(d: &Option<Date>, s: S) -> Result<S::Ok, S::Error> {
    match d {
        Some(d) => s.serialize_str(&d.to_string()),
        None => s.serialize_none(),
    }
}

fn date_change<S: Serializer>(c: &Option<Change<Option<Date>>>, s: S) -> Result<S::Ok, S::Error> {
    let text = |d: &Option<Date>| d.map(|d| d.to_string());
    match c {
        Some(c) => Change { old: text(&c.old), new: text(&c.new) }.serialize(s),
        None => s.serialize_none(),
    }
}

/// Compares two evaluations verdict by verdict.
pub fn diff(old: &Evaluation, new: &Evaluation) -> Diff {
    let renames = renamed_clauses(old, new);
    // The id a verdict of the old side has on the new: a renamed clause's new name in front.
    let old_ids: Vec<String> = old.ids().collect();
    let translated: Vec<String> = old_ids
        .iter()
        .enumerate()
        .map(|(i, id)| match renames.get(old.clause_name(i)) {
            Some(to) => format!("{to}{}", &id[old.clause_name(i).len()..]),
            None => id.clone(),
        })
        .collect();
    let by_id: FxHashMap<&str, usize> = translated.iter().enumerate().map(|(i, id)| (id.as_str(), i)).collect();
    let mut matched = vec![false; old_ids.len()];
    let mut sections: FxHashMap<String, ClauseDiff> = FxHashMap::default();
    let mut summary = DiffSummary::default();
    let mut old_consts = ConstTexts::default();
    let mut new_consts = ConstTexts::default();
    let old_clauses: Vec<&str> = old.model.clauses.iter().map(|c| c.name.as_str()).collect();
    let renamed_from: FxHashMap<&str, &str> = renames.iter().map(|(from, to)| (to.as_str(), from.as_str())).collect();
    let section = |sections: &mut FxHashMap<String, ClauseDiff>, name: &str, e: &Evaluation, change: ClauseChange| {
        sections.entry(name.to_string()).or_insert_with(|| {
            let c = e.model.clauses.iter().find(|c| c.name == name);
            ClauseDiff {
                clause: name.to_string(),
                old_clause: renamed_from.get(name).map(|s| s.to_string()),
                change,
                title: c.and_then(|c| c.title.clone()),
                cite: c.and_then(|c| c.cite.as_ref().map(|ci| ci.number.clone())),
                changed: Vec::new(),
                added: Vec::new(),
                removed: Vec::new(),
                unchanged: 0,
            }
        });
    };
    for c in &new.model.clauses {
        let change = if renamed_from.contains_key(c.name.as_str()) {
            ClauseChange::Renamed
        } else if old_clauses.contains(&c.name.as_str()) {
            ClauseChange::Same
        } else {
            ClauseChange::Added
        };
        section(&mut sections, &c.name, new, change);
    }
    for c in &old.model.clauses {
        if !renames.contains_key(&c.name) && !new.model.clauses.iter().any(|n| n.name == c.name) {
            section(&mut sections, &c.name, old, ClauseChange::Removed);
        }
    }
    let mut id = String::new();
    for i in 0..new.len() {
        id.clear();
        new.write_id(i, &mut id);
        let clause = new.clause_name(i);
        let entry = sections.get_mut(clause).expect("every clause of the new package has a section");
        let Some(&j) = by_id.get(id.as_str()) else {
            entry.added.push(shown(new, i, &mut new_consts));
            summary.added += 1;
            continue;
        };
        matched[j] = true;
        match changed(old, j, new, i, &mut old_consts, &mut new_consts) {
            Some(mut c) => {
                if old_ids[j] != c.id {
                    c.old_id = Some(old_ids[j].clone());
                }
                summary.changed += 1;
                summary.status_changed += usize::from(c.status_changed());
                entry.changed.push(c);
            }
            None => {
                entry.unchanged += 1;
                summary.unchanged += 1;
            }
        }
    }
    for j in (0..old.len()).filter(|&j| !matched[j]) {
        let clause = old.clause_name(j);
        let name = renames.get(clause).map_or(clause, String::as_str);
        let entry = sections.get_mut(name).expect("every clause of the old package has a section");
        entry.removed.push(shown(old, j, &mut old_consts));
        summary.removed += 1;
    }
    let mut clauses = Vec::new();
    for name in clause_order(old, new, &renames) {
        let Some(mut c) = sections.remove(&name) else { continue };
        // What a reader must act on first: the verdicts whose status changed.
        c.changed.sort_by_key(|v| !v.status_changed());
        match c.change {
            ClauseChange::Added => summary.clauses_added += 1,
            ClauseChange::Removed => summary.clauses_removed += 1,
            ClauseChange::Renamed => summary.clauses_renamed += 1,
            ClauseChange::Same => {}
        }
        if c.change != ClauseChange::Same || !c.changed.is_empty() || !c.added.is_empty() || !c.removed.is_empty() {
            clauses.push(c);
        }
    }
    Diff { old: side(old), new: side(new), summary, clauses }
}

fn side(e: &Evaluation) -> Side {
    Side {
        plan: e.model.plan.name.clone(),
        plan_title: e.model.plan.title.clone(),
        language: e.model.plan.language,
        as_of: e.as_of,
        verdicts: e.len(),
    }
}

/// Old clause name → new, for the clauses of the old package missing from the new one that
/// are found there under another name: by the item of the plan they cite, when exactly one
/// clause on each side cites it, else by their title, when exactly one on each side has it.
fn renamed_clauses(old: &Evaluation, new: &Evaluation) -> FxHashMap<String, String> {
    let gone: Vec<&crate::model::ClauseDef> =
        old.model.clauses.iter().filter(|c| !new.model.clauses.iter().any(|n| n.name == c.name)).collect();
    let fresh: Vec<&crate::model::ClauseDef> =
        new.model.clauses.iter().filter(|c| !old.model.clauses.iter().any(|o| o.name == c.name)).collect();
    let mut renames = FxHashMap::default();
    let mut taken: Vec<&str> = Vec::new();
    let keys: [fn(&crate::model::ClauseDef) -> Option<&str>; 2] =
        [|c| c.cite.as_ref().map(|ci| ci.number.as_str()), |c| c.title.as_deref()];
    for key in keys {
        for g in &gone {
            if renames.contains_key(&g.name) {
                continue;
            }
            let Some(k) = key(g) else { continue };
            let same_old = gone.iter().filter(|o| !renames.contains_key(&o.name) && key(o) == Some(k)).count();
            let same_new: Vec<&&crate::model::ClauseDef> =
                fresh.iter().filter(|n| !taken.contains(&n.name.as_str()) && key(n) == Some(k)).collect();
            if same_old == 1 && same_new.len() == 1 {
                taken.push(&same_new[0].name);
                renames.insert(g.name.clone(), same_new[0].name.clone());
            }
        }
    }
    renames
}

/// The clause names in the order a diff lists them: the new package's order, each clause only
/// in the old one after the clause that came before it there.
fn clause_order(old: &Evaluation, new: &Evaluation, renames: &FxHashMap<String, String>) -> Vec<String> {
    let mut order: Vec<String> = new.model.clauses.iter().map(|c| c.name.clone()).collect();
    let mut previous: Option<usize> = None;
    for c in &old.model.clauses {
        let name = renames.get(&c.name).unwrap_or(&c.name);
        match order.iter().position(|n| n == name) {
            Some(at) => previous = Some(at),
            None => {
                let at = previous.map_or(0, |p| p + 1);
                order.insert(at, name.clone());
                previous = Some(at);
            }
        }
    }
    order
}

/// Verdict `i` of `e` as a diff shows a verdict of one side only.
fn shown(e: &Evaluation, i: usize, consts: &mut ConstTexts) -> Shown {
    let mut id = String::new();
    e.write_id(i, &mut id);
    Shown {
        id,
        subject: e.subject_of(i).map(|(kind, key)| Subject { kind: kind.to_string(), key: key.into_owned() }).collect(),
        modality: e.modality_of(i),
        requirement: e.recs[i].req.text.clone(),
        status: e.status(i),
        deadline: e.deadline(i),
        evidence: e.evidence_of(&e.recs[i], consts),
    }
}

/// Verdict `j` of `old` against verdict `i` of `new`, which has the same id: what differs, if
/// anything does.
fn changed(
    old: &Evaluation,
    j: usize,
    new: &Evaluation,
    i: usize,
    old_consts: &mut ConstTexts,
    new_consts: &mut ConstTexts,
) -> Option<Changed> {
    let (o, n) = (&old.recs[j], &new.recs[i]);
    let deadline = (o.deadline != n.deadline).then_some(Change { old: o.deadline, new: n.deadline });
    let done_on = (o.done_on != n.done_on).then_some(Change { old: o.done_on, new: n.done_on });
    let (oe, ne) = (old.evidence_of(o, old_consts), new.evidence_of(n, new_consts));
    let evidence = (oe != ne).then_some(Change { old: oe, new: ne });
    if o.status == n.status && deadline.is_none() && done_on.is_none() && evidence.is_none() {
        return None;
    }
    let mut id = String::new();
    new.write_id(i, &mut id);
    Some(Changed {
        id,
        old_id: None,
        subject: new
            .subject_of(i)
            .map(|(kind, key)| Subject { kind: kind.to_string(), key: key.into_owned() })
            .collect(),
        modality: new.modality_of(i),
        requirement: n.req.text.clone(),
        old_requirement: (o.req.text != n.req.text).then(|| o.req.text.clone()),
        status: Change { old: o.status, new: n.status },
        deadline,
        done_on,
        evidence,
    })
}
