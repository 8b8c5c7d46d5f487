//! Verdicts and the report that carries them.

use super::expr::R;
use crate::facts::Facts;
use crate::model::{ClauseId, Model, RecordId, Requirement, TExpr};
use crate::syntax::ast::BinOp;
use crate::value::{Date, Value};
use indexmap::IndexMap;
use serde::{Serialize, Serializer};
use std::sync::Arc;

pub use crate::status::Status;

fn is_zero(n: &usize) -> bool {
    *n == 0
}

fn date_ser<S: Serializer>(d: &Option<Date>, s: S) -> Result<S::Ok, S::Error> {
    match d {
        Some(d) => s.serialize_str(&d.to_string()),
        None => s.serialize_none(),
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Subject {
    pub kind: String,
    pub key: String,
}

/// One value the verdict rests on: what was compared, with units.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Evidence {
    pub left: String,
    pub left_value: String,
    pub op: String,
    pub right: String,
    pub right_value: String,
    /// Whether the comparison holds; `null` when it cannot be decided.
    pub holds: Option<bool>,
}

/// An aggregate the verdict computed, with its value: `mean(…) = 55 ug/m3`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Computed {
    pub expr: String,
    pub value: String,
}

/// A fact record a verdict used.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FactRef {
    /// Shared with the fact store: a verdict can cite many facts without copying their names.
    pub file: Arc<str>,
    pub kind: Arc<str>,
    pub key: Arc<str>,
    pub line: u32,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SanctionOut {
    pub name: String,
    pub text: Option<String>,
    /// On whom the sanction falls.
    pub on: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Verdict {
    /// Stable across runs: clause / subject keys / requirement label or position.
    pub id: String,
    pub clause: String,
    pub title: Option<String>,
    pub cite: Option<String>,
    pub cite_text: Option<String>,
    pub status: Status,
    pub modality: &'static str,
    pub requirement: String,
    pub subject: Vec<Subject>,
    #[serde(serialize_with = "date_ser")]
    pub deadline: Option<Date>,
    /// The deadline as written, when it fell on a rest day and was rolled to `deadline`.
    #[serde(serialize_with = "date_ser", skip_serializing_if = "Option::is_none")]
    pub rolled_from: Option<Date>,
    #[serde(serialize_with = "date_ser", skip_serializing_if = "Option::is_none")]
    pub done_on: Option<Date>,
    pub parties: IndexMap<String, Vec<String>>,
    /// Why a party the subject decides is [`UNKNOWN_PARTY`] (`implement e.所在縣區` with the
    /// field missing): `ROLE `FIELD`: why`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub parties_unknown: Vec<String>,
    /// The roles of `parties` its subject decides: what a report shows with each verdict
    /// rather than once for the clause. Not in the JSON, which gives every verdict's parties.
    #[serde(skip)]
    pub decided: Vec<String>,
    pub evidence: Vec<Evidence>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub computed: Vec<Computed>,
    pub facts: Vec<FactRef>,
    /// Facts used beyond those listed (an aggregate over many records lists the first few).
    #[serde(skip_serializing_if = "is_zero")]
    pub more_facts: usize,
    pub sanctions: Vec<SanctionOut>,
    /// Why the status is what it is, where the evidence alone does not say: the missing fact,
    /// the exemption that applied, why the requirement does not apply.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// Per record kind: every input record accounted for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct KindAccount {
    pub loaded: usize,
    pub used: usize,
    pub unused: usize,
    pub rejected: usize,
    /// Accepted records with a field that could not be read (only what reads it is unknown).
    #[serde(skip_serializing_if = "is_zero")]
    pub unreadable_fields: usize,
    /// Files with records of this kind that were never read: the kind is incomplete.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub incomplete: Vec<LossOut>,
}

/// Records of a kind that one file held but that were never read.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LossOut {
    pub file: Arc<str>,
    /// Where the first unread part begins; absent for a file not read at all or a workbook.
    #[serde(skip_serializing_if = "is_zero_u32")]
    pub line: u32,
    pub reason: String,
    /// How many records were lost; `null` when that could not be counted.
    pub lost: Option<usize>,
    /// Further places of the file where records of this kind were lost.
    #[serde(skip_serializing_if = "is_zero")]
    pub more: usize,
}

fn is_zero_u32(n: &u32) -> bool {
    *n == 0
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub verdicts: usize,
    pub by_status: IndexMap<&'static str, usize>,
    pub records: IndexMap<String, KindAccount>,
}

impl Summary {
    /// The summary of verdicts with these statuses, over these facts and the rows verdicts used.
    pub fn of(
        statuses: impl Iterator<Item = Status>,
        facts: &Facts,
        used: &[Vec<bool>],
        kinds: &[crate::model::RecordDecl],
    ) -> Summary {
        let mut counts = [0usize; Status::ALL.len()];
        let mut verdicts = 0;
        for s in statuses {
            counts[s as usize] += 1;
            verdicts += 1;
        }
        let mut by_status = IndexMap::new();
        for s in Status::ALL {
            by_status.insert(s.name(), counts[s as usize]);
        }
        let mut records = IndexMap::new();
        for (k, t) in facts.tables.iter().enumerate() {
            let accepted = t.origins.len();
            let u = used.get(k).map(|u| u.iter().filter(|b| **b).count()).unwrap_or(0);
            let rejected = t.rejected_count();
            if accepted + rejected == 0 && t.incomplete.is_empty() {
                continue;
            }
            let incomplete = t
                .incomplete
                .iter()
                .map(|l| LossOut {
                    file: l.file.clone(),
                    line: l.line,
                    reason: l.reason.clone(),
                    lost: l.lost,
                    more: l.more,
                })
                .collect();
            records.insert(
                kinds.get(k).map(|r| r.name.clone()).unwrap_or_default(),
                KindAccount {
                    loaded: accepted + rejected,
                    used: u,
                    unused: accepted - u,
                    rejected,
                    unreadable_fields: t.flawed,
                    incomplete,
                },
            );
        }
        Summary { verdicts, by_status, records }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Report {
    pub plan: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plan_title: Option<String>,
    /// The language and script the plan declares (`language "zh-Hant"`): its texts are in it,
    /// and its human reports follow it unless `--lang` says otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub language: Option<crate::lang::Lang>,
    #[serde(serialize_with = "date_ser_req")]
    pub as_of: Date,
    pub summary: Summary,
    pub verdicts: Vec<Verdict>,
    /// The plan's roles, by name, with the plan's own word for each (`lead` → `牽頭`): what a
    /// report in the plan's language calls them. Not in the JSON, whose role keys are the names.
    #[serde(skip)]
    pub roles: Vec<(String, Option<String>)>,
}

fn date_ser_req<S: Serializer>(d: &Date, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&d.to_string())
}

impl Report {
    /// Exit code of `writ eval`: 1 when any binding duty is breached.
    pub fn has_breach(&self) -> bool {
        self.verdicts.iter().any(|v| v.status.is_breach())
    }
}

/// A start and a length in one of an [`Evaluation`]'s shared lists.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Span {
    pub start: u32,
    pub len: u32,
}

impl Span {
    pub fn range(self) -> std::ops::Range<usize> {
        self.start as usize..(self.start + self.len) as usize
    }
}

/// Where a verdict's evidence is kept: a span of [`Evaluation::evidence`], or, for a verdict a
/// compiled `for` body made straight from a column ([`super::compiled::RowBody`]), nowhere: its
/// one comparison (the subject row's field against the requirement's constant) is written out
/// from the row when the verdict is, so that a million such verdicts hold no evidence at all.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(crate) struct EvidenceAt(Span);

impl EvidenceAt {
    /// The evidence of a verdict made from its subject's row (see the type).
    pub const ROW: EvidenceAt = EvidenceAt(Span { start: 0, len: u32::MAX });

    pub fn list(span: Span) -> EvidenceAt {
        debug_assert!(span.len != u32::MAX, "a span of evidence, not the row's");
        EvidenceAt(span)
    }

    /// The span of [`Evaluation::evidence`] it is in; `None` when written from the row.
    pub fn span(self) -> Option<Span> {
        (self.0.len != u32::MAX).then_some(self.0)
    }

    /// The same evidence once the list it is in lands `by` further on.
    pub fn shifted(self, by: u32) -> EvidenceAt {
        match self.span() {
            Some(s) => EvidenceAt(Span { start: s.start + by, len: s.len }),
            None => self,
        }
    }
}

/// One level of a verdict's subject, as evaluation binds it; its kind and key are written out
/// only when the verdict is.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum SubjectRec {
    /// A record of the facts bound as the subject: its kind and row. The row is cited.
    Row(RecordId, u32),
    /// A record subject named by a key: a rejected record, records not read, a record named in
    /// the policy (its row, when it was found, is cited). Boxed, as such subjects are few, so
    /// that a subject takes 16 bytes: there is one per verdict.
    Keyed(RecordId, Box<(Arc<str>, Option<u32>)>),
    /// A party (`for p in …`).
    Party(crate::model::PartyId),
    /// One occurrence of `every`: its unit and dates.
    Occurrence(crate::syntax::ast::EveryUnit, Date, Date),
}

impl SubjectRec {
    /// A subject named by `key`, of kind `kind`, found at `row` when it was.
    pub fn keyed(kind: RecordId, key: Arc<str>, row: Option<u32>) -> SubjectRec {
        SubjectRec::Keyed(kind, Box::new((key, row)))
    }

    /// The fact row the subject stands on, when it is a record that was read.
    pub fn row(&self) -> Option<(RecordId, u32)> {
        match self {
            SubjectRec::Row(k, r) => Some((*k, *r)),
            SubjectRec::Keyed(k, named) => named.1.map(|r| (*k, r)),
            _ => None,
        }
    }
}

/// A comparison a verdict rests on, as evaluated: the two expressions, their values, and the
/// values of the variables that name them (`工地揚塵監測[17].PM10小時均值`).
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct EvidenceRec<'m> {
    pub left: &'m TExpr,
    pub right: &'m TExpr,
    pub op: BinOp,
    pub left_value: R,
    pub right_value: R,
    pub holds: Option<bool>,
    /// In [`Evaluation::locals`] (in a trace, in its own list until the verdict is kept).
    pub locals: Span,
}

/// An aggregate a verdict computed: the expression and its result.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct ComputedRec<'m> {
    pub expr: &'m TExpr,
    pub value: R,
}

/// A sanction that attaches to a verdict, with the evaluated party it falls on.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct SanctionRec<'m> {
    pub sanction: u32,
    pub on: Option<(&'m TExpr, R)>,
}

/// A verdict as evaluation keeps it: indexes into the model and the facts, raw values, and
/// spans of the evaluation's shared lists. What is the same for every verdict of a clause or a
/// requirement (names, cites, texts, parties) is looked up in the model when it is written.
#[derive(Clone, Debug)]
pub(crate) struct Rec<'m> {
    pub clause: ClauseId,
    pub req: &'m Requirement,
    pub status: Status,
    /// `#n` added to the id to tell apart verdicts whose ids would be equal; 0 for none.
    pub dup: u32,
    pub subject: Span,
    pub deadline: Option<Date>,
    pub done_on: Option<Date>,
    pub evidence: EvidenceAt,
    pub computed: Span,
    /// `(kind, row)` pairs in [`Evaluation::cited`].
    pub facts: Span,
    pub more_facts: u32,
    /// What few verdicts have, apart: most verdicts (a compliant reading) have none of it, and
    /// a million of them then take 48 bytes less each.
    pub extra: Option<Box<RecExtra<'m>>>,
}

/// The parts of a [`Rec`] that most verdicts do not have.
#[derive(Clone, Debug, Default)]
pub(crate) struct RecExtra<'m> {
    /// Empty unless the verdict is a breach the clause sanctions.
    pub sanctions: Box<[SanctionRec<'m>]>,
    /// The parties its subject names for the requirement's subject roles, one per field, in
    /// the order of `req.roles` and their fields.
    pub roles: Box<[RoleValue]>,
    pub reason: Option<Box<str>>,
    /// The deadline before it was rolled forward to a workday, when it was.
    pub rolled_from: Option<Date>,
}

impl<'m> Rec<'m> {
    pub fn sanctions(&self) -> &[SanctionRec<'m>] {
        self.extra.as_ref().map_or(&[], |e| &e.sanctions)
    }
    pub fn roles(&self) -> &[RoleValue] {
        self.extra.as_ref().map_or(&[], |e| &e.roles)
    }
    pub fn reason(&self) -> Option<&str> {
        self.extra.as_ref().and_then(|e| e.reason.as_deref())
    }
    pub fn rolled_from(&self) -> Option<Date> {
        self.extra.as_ref().and_then(|e| e.rolled_from)
    }
    /// The extra parts, made when first written.
    pub fn extra_mut(&mut self) -> &mut RecExtra<'m> {
        self.extra.get_or_insert_with(Box::default)
    }
    pub fn set_reason(&mut self, reason: impl Into<Box<str>>) {
        self.extra_mut().reason = Some(reason.into());
    }
}

/// What a verdict lists among the parties of a role when its subject should name one and does
/// not: the duty is owed, by a party no one can tell.
pub const UNKNOWN_PARTY: &str = "unknown";

/// The party a field of the subject names for a role (`implement e.所在縣區`), or why there
/// is none: the field is missing or unreadable.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum RoleValue {
    Party(crate::model::PartyId),
    Unknown(Box<str>),
}

/// Evidence text already written for a constant of the policy (`30 mg/m3` in `x <= 30 mg/m3`),
/// which every verdict of its requirement shows the same: its description, and its value with
/// the number it was written from. Keyed by the constant's address in the model.
#[derive(Default)]
pub(crate) struct ConstTexts {
    pub(super) described: rustc_hash::FxHashMap<usize, String>,
    pub(super) shown: rustc_hash::FxHashMap<usize, ([u8; 16], String)>,
}

/// The verdicts of an evaluation, compact: each is written out ([`Evaluation::verdict`]) only
/// when a report is written, one at a time, so a report of a million verdicts is never held
/// as text. Borrows the model and the facts it was evaluated over.
pub struct Evaluation<'m> {
    pub model: &'m Model,
    pub facts: &'m Facts,
    pub as_of: Date,
    pub summary: Summary,
    pub(crate) recs: Vec<Rec<'m>>,
    pub(crate) subjects: Vec<SubjectRec>,
    pub(crate) evidence: Vec<EvidenceRec<'m>>,
    pub(crate) locals: Vec<(u32, Option<Value>)>,
    pub(crate) computed: Vec<ComputedRec<'m>>,
    pub(crate) cited: Vec<(RecordId, u32)>,
    /// Record kind names, shared by every fact reference written.
    pub(crate) kind_names: Vec<Arc<str>>,
    /// The threads it was evaluated on, which writing its report may use too.
    pub threads: usize,
    /// The passing verdicts left out of `recs` ([`super::evaluate_folding`]), per clause: how
    /// many of each status, in [`Status::ALL`] order. Empty when every verdict is kept.
    pub(crate) left_out: Vec<(ClauseId, [u32; Status::ALL.len()])>,
}

impl<'m> Evaluation<'m> {
    /// How many verdicts there are.
    pub fn len(&self) -> usize {
        self.recs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.recs.is_empty()
    }

    /// The status of verdict `i`.
    pub fn status(&self, i: usize) -> Status {
        self.recs[i].status
    }

    /// The deadline of verdict `i`.
    pub fn deadline(&self, i: usize) -> Option<Date> {
        self.recs[i].deadline
    }

    /// Exit code of `writ eval`: 1 when any binding duty is breached.
    pub fn has_breach(&self) -> bool {
        self.recs.iter().any(|v| v.status.is_breach())
    }

    /// Every verdict written out, one at a time, in report order.
    pub fn verdicts(&self) -> impl ExactSizeIterator<Item = Verdict> + '_ {
        (0..self.recs.len()).map(|i| self.verdict(i))
    }

    /// The verdict whose id is `id`.
    pub fn find(&self, id: &str) -> Option<Verdict> {
        let mut buf = String::new();
        (0..self.recs.len())
            .find(|&i| {
                buf.clear();
                self.write_id(i, &mut buf);
                buf == id
            })
            .map(|i| self.verdict(i))
    }

    /// Every verdict id, in report order.
    pub fn ids(&self) -> impl Iterator<Item = String> + '_ {
        (0..self.recs.len()).map(|i| {
            let mut s = String::new();
            self.write_id(i, &mut s);
            s
        })
    }

    /// The whole report with every verdict written out, held at once: for tests and programs
    /// that want it as data. Reports are written with [`crate::report`], one verdict at a time.
    pub fn report(&self) -> Report {
        Report {
            plan: self.model.plan.name.clone(),
            plan_title: self.model.plan.title.clone(),
            language: self.model.plan.language,
            as_of: self.as_of,
            summary: self.summary.clone(),
            verdicts: self.verdicts().collect(),
            roles: self.model.plan.roles.iter().map(|r| (r.name.clone(), r.label.clone())).collect(),
        }
    }
}

/// A report's verdicts as its writers read them, one at a time: a report held whole
/// ([`Report`]) or an evaluation whose verdicts are written out as they are read
/// ([`Evaluation`]).
pub trait Verdicts {
    fn plan(&self) -> &str;
    fn plan_title(&self) -> Option<&str>;
    /// The language the plan declares, if it declares one.
    fn language(&self) -> Option<crate::lang::Lang>;
    /// The plan's own word for a role (`lead` → `牽頭`), if it gives one.
    fn role_label(&self, role: &str) -> Option<&str>;
    fn as_of(&self) -> Date;
    fn summary(&self) -> &Summary;
    /// How many verdicts there are.
    fn count(&self) -> usize;
    /// The name of the clause of verdict `i`.
    fn clause_of(&self, i: usize) -> &str;
    /// The end of the verdicts of the clause of verdict `start`: the first one after it of
    /// another clause (a clause's verdicts are together, in report order).
    fn clause_end(&self, start: usize) -> usize {
        let clause = self.clause_of(start);
        start + (start..self.count()).take_while(|&i| self.clause_of(i) == clause).count()
    }
    /// How many passing verdicts of the clause whose verdicts begin at `start` were left out
    /// of these, of each status in [`Status::ALL`] order: counted only
    /// ([`super::evaluate_folding`]).
    fn left_out(&self, _start: usize) -> [usize; Status::ALL.len()] {
        [0; Status::ALL.len()]
    }
    fn status_of(&self, i: usize) -> Status;
    fn reason_of(&self, i: usize) -> Option<&str>;
    fn deadline_of(&self, i: usize) -> Option<Date>;
    /// Verdict `i`, written out if it has to be.
    fn verdict_at(&self, i: usize) -> std::borrow::Cow<'_, Verdict>;
    /// The parties of verdict `i` by role, as [`Verdict::parties`] has them.
    fn parties_of(&self, i: usize) -> IndexMap<String, Vec<String>> {
        self.verdict_at(i).parties.clone()
    }
    /// The roles whose parties the subjects of verdicts `range` (one clause's) decide
    /// (`implement e.所在縣區`).
    fn decided_roles(&self, range: std::ops::Range<usize>) -> Vec<String> {
        let mut decided: Vec<String> = Vec::new();
        for i in range {
            for role in &self.verdict_at(i).decided {
                if !decided.contains(role) {
                    decided.push(role.clone());
                }
            }
        }
        decided
    }
    /// The compact evaluation these verdicts are, if they are one: a report writer can then
    /// write a verdict from its record without writing it out as a [`Verdict`] first.
    fn evaluation(&self) -> Option<&Evaluation<'_>> {
        None
    }
}

impl Verdicts for Report {
    fn plan(&self) -> &str {
        &self.plan
    }
    fn plan_title(&self) -> Option<&str> {
        self.plan_title.as_deref()
    }
    fn language(&self) -> Option<crate::lang::Lang> {
        self.language
    }
    fn role_label(&self, role: &str) -> Option<&str> {
        self.roles.iter().find(|(name, _)| name == role).and_then(|(_, label)| label.as_deref())
    }
    fn as_of(&self) -> Date {
        self.as_of
    }
    fn summary(&self) -> &Summary {
        &self.summary
    }
    fn count(&self) -> usize {
        self.verdicts.len()
    }
    fn clause_of(&self, i: usize) -> &str {
        &self.verdicts[i].clause
    }
    fn status_of(&self, i: usize) -> Status {
        self.verdicts[i].status
    }
    fn reason_of(&self, i: usize) -> Option<&str> {
        self.verdicts[i].reason.as_deref()
    }
    fn deadline_of(&self, i: usize) -> Option<Date> {
        self.verdicts[i].deadline
    }
    fn verdict_at(&self, i: usize) -> std::borrow::Cow<'_, Verdict> {
        std::borrow::Cow::Borrowed(&self.verdicts[i])
    }
}

impl Verdicts for Evaluation<'_> {
    fn plan(&self) -> &str {
        &self.model.plan.name
    }
    fn plan_title(&self) -> Option<&str> {
        self.model.plan.title.as_deref()
    }
    fn language(&self) -> Option<crate::lang::Lang> {
        self.model.plan.language
    }
    fn role_label(&self, role: &str) -> Option<&str> {
        self.model.plan.roles.iter().find(|r| r.name == role).and_then(|r| r.label.as_deref())
    }
    fn parties_of(&self, i: usize) -> IndexMap<String, Vec<String>> {
        self.parties_at(i).0
    }
    fn decided_roles(&self, range: std::ops::Range<usize>) -> Vec<String> {
        // From the model: every requirement of the clause whose subject decides a role.
        let mut decided: Vec<String> = Vec::new();
        let mut seen = rustc_hash::FxHashSet::default();
        let mut last = None;
        for i in range {
            let req = self.recs[i].req;
            // Verdicts of one requirement come together: most are the one just seen.
            let at = req as *const _ as usize;
            if last == Some(at) || !seen.insert(at) {
                continue;
            }
            last = Some(at);
            for sr in &req.roles {
                let name = &self.model.plan.roles[sr.role as usize].name;
                if !decided.contains(name) {
                    decided.push(name.clone());
                }
            }
        }
        decided
    }
    fn as_of(&self) -> Date {
        self.as_of
    }
    fn summary(&self) -> &Summary {
        &self.summary
    }
    fn count(&self) -> usize {
        self.recs.len()
    }
    fn clause_of(&self, i: usize) -> &str {
        self.clause_name(i)
    }
    fn left_out(&self, start: usize) -> [usize; Status::ALL.len()] {
        let clause = self.recs[start].clause;
        let counts = self.left_out.iter().find(|(c, _)| *c == clause).map(|(_, n)| *n).unwrap_or_default();
        counts.map(|n| n as usize)
    }
    fn clause_end(&self, start: usize) -> usize {
        let clause = self.recs[start].clause;
        start + self.recs[start..].iter().take_while(|v| v.clause == clause).count()
    }
    fn status_of(&self, i: usize) -> Status {
        self.recs[i].status
    }
    fn reason_of(&self, i: usize) -> Option<&str> {
        self.recs[i].reason()
    }
    fn deadline_of(&self, i: usize) -> Option<Date> {
        self.recs[i].deadline
    }
    fn verdict_at(&self, i: usize) -> std::borrow::Cow<'_, Verdict> {
        std::borrow::Cow::Owned(self.verdict(i))
    }
    fn evaluation(&self) -> Option<&Evaluation<'_>> {
        Some(self)
    }
}

// A compliant reading's verdict holds no more than this: its rarely filled parts are boxed
// (`RecExtra`), its subject is 16 bytes (`SubjectRec`).
const _: () = assert!(std::mem::size_of::<Rec<'static>>() == 80);
const _: () = assert!(std::mem::size_of::<SubjectRec>() == 16);
