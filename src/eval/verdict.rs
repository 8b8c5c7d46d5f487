//! Verdicts and the report that carries them.

use crate::facts::Facts;
use crate::value::Date;
use indexmap::IndexMap;
use serde::{Serialize, Serializer};
use std::sync::Arc;

/// Where a requirement instance stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Satisfied,
    Violated,
    Fulfilled,
    FulfilledLate,
    Pending,
    Overdue,
    Met,
    Missed,
    Exempt,
    NotApplicable,
    Unknown,
}

impl Status {
    pub const ALL: [Status; 11] = [
        Status::Satisfied,
        Status::Violated,
        Status::Fulfilled,
        Status::FulfilledLate,
        Status::Pending,
        Status::Overdue,
        Status::Met,
        Status::Missed,
        Status::Exempt,
        Status::NotApplicable,
        Status::Unknown,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Status::Satisfied => "satisfied",
            Status::Violated => "violated",
            Status::Fulfilled => "fulfilled",
            Status::FulfilledLate => "fulfilled_late",
            Status::Pending => "pending",
            Status::Overdue => "overdue",
            Status::Met => "met",
            Status::Missed => "missed",
            Status::Exempt => "exempt",
            Status::NotApplicable => "not_applicable",
            Status::Unknown => "unknown",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|x| x.name() == s)
    }

    /// A breach of a binding duty: what makes `writ eval` exit 1.
    pub fn is_breach(self) -> bool {
        matches!(self, Status::Violated | Status::Overdue | Status::FulfilledLate)
    }

    /// What a plan's sanction attaches to: a duty violated, or not done by its deadline. A duty
    /// done late is a breach, but "逾期不能完成的" sanctions no longer bite once it is done.
    pub fn is_sanctioned(self) -> bool {
        matches!(self, Status::Violated | Status::Overdue)
    }
}

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
    pub fn of(verdicts: &[Verdict], facts: &Facts, used: &[Vec<bool>], kinds: &[crate::model::RecordDecl]) -> Summary {
        let mut by_status = IndexMap::new();
        for s in Status::ALL {
            let n = verdicts.iter().filter(|v| v.status == s).count();
            by_status.insert(s.name(), n);
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
        Summary { verdicts: verdicts.len(), by_status, records }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Report {
    pub plan: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plan_title: Option<String>,
    #[serde(serialize_with = "date_ser_req")]
    pub as_of: Date,
    pub summary: Summary,
    pub verdicts: Vec<Verdict>,
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
