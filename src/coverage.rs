//! Which numbered items of a plan's outline are encoded by clauses, or noted as untestable,
//! as data: what `writ coverage` prints, as text or JSON.

use crate::model::Model;

/// One numbered item of the plan and what encodes it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct CoverageEntry {
    pub number: String,
    pub title: Option<String>,
    /// `encoded` (a clause cites it), `untestable` (only notes say why not), or `missing`.
    pub status: &'static str,
    pub clauses: Vec<CoverageClause>,
    pub untestable: Vec<CoverageNote>,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct CoverageClause {
    pub clause: String,
    pub requirements: usize,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct CoverageNote {
    pub text: String,
    pub reason: String,
}

/// The coverage of a plan: an entry per outline item, and counts.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Coverage {
    pub plan: String,
    pub entries: Vec<CoverageEntry>,
    /// `outline_entries`, `encoded`, `untestable`, `missing`, then the package's counts of
    /// clauses, requirements, untestable sentences, parties, sanctions, record kinds and tests.
    pub summary: indexmap::IndexMap<&'static str, usize>,
}

impl Coverage {
    /// How many outline items nothing encodes or explains.
    pub fn missing(&self) -> usize {
        self.summary["missing"]
    }
}

/// Whether a cite number falls under an outline number: `三(二)1` covers `三(二)1` but not
/// `三(二)11`; `三(二)` covers both.
pub fn under(cite: &str, number: &str) -> bool {
    cite.strip_prefix(number).is_some_and(|rest| !rest.starts_with(|c: char| c.is_ascii_digit()))
}

/// For each numbered item of the plan's outline, the clauses that encode it and their
/// requirement counts, or the notes that say why it is not checkable. `None` when the package
/// declares no outline.
pub fn of(m: &Model) -> Option<Coverage> {
    if m.outline.is_empty() {
        return None;
    }
    let entries: Vec<CoverageEntry> = m
        .outline
        .iter()
        .map(|e| {
            let clauses: Vec<CoverageClause> = m
                .clauses
                .iter()
                .filter(|c| c.cite.as_ref().is_some_and(|ci| under(&ci.number, &e.number)))
                .map(|c| CoverageClause { clause: c.name.clone(), requirements: c.requirement_count() })
                .collect();
            let untestable: Vec<CoverageNote> = m
                .untestable
                .iter()
                .filter(|u| under(&u.number, &e.number))
                .map(|u| CoverageNote { text: u.text.clone(), reason: u.reason.clone() })
                .collect();
            let status = if !clauses.is_empty() {
                "encoded"
            } else if !untestable.is_empty() {
                "untestable"
            } else {
                "missing"
            };
            CoverageEntry { number: e.number.clone(), title: e.title.clone(), status, clauses, untestable }
        })
        .collect();
    let mut summary = indexmap::IndexMap::new();
    summary.insert("outline_entries", entries.len());
    for s in ["encoded", "untestable", "missing"] {
        summary.insert(s, entries.iter().filter(|e| e.status == s).count());
    }
    summary.insert("clauses", m.clauses.len());
    summary.insert("requirements", m.requirement_count());
    summary.insert("untestable_sentences", m.untestable.len());
    summary.insert("parties", m.parties.len());
    summary.insert("sanctions", m.sanctions.len());
    summary.insert("record_kinds", m.records.len());
    summary.insert("tests", m.tests.len());
    Some(Coverage { plan: m.plan.title.clone().unwrap_or_else(|| m.plan.name.clone()), entries, summary })
}
