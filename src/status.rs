//! The statuses a verdict can have: shared by the checker (a test's `expect … STATUS`), the
//! evaluator that decides them and the reports that print them.

use serde::Serialize;

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

    /// Still open: a matter someone has to act on or look into, as `--only open` lists them.
    /// A condition broken now (`violated`), a duty not done whether due (`overdue`) or not yet
    /// (`pending`), and a verdict that cannot be decided until a fact is supplied (`unknown`).
    /// A duty done late, a strive target judged, an exemption and what does not apply are
    /// closed: nothing done now changes them.
    pub fn is_open(self) -> bool {
        matches!(self, Status::Violated | Status::Overdue | Status::Pending | Status::Unknown)
    }

    /// Where this status stands in [`Status::ALL`]: the index of its count in a list of counts.
    pub fn position(self) -> usize {
        Status::ALL.iter().position(|&s| s == self).unwrap_or_default()
    }

    /// Passing, and shown on one line: a condition that holds (`satisfied`) or a duty done on
    /// time (`fulfilled`). The human report counts these, rather than lists them, for a clause
    /// with many. A strive target `met` is shown with the margin it was met by, so it is not
    /// counted with them.
    pub fn is_passing(self) -> bool {
        matches!(self, Status::Satisfied | Status::Fulfilled)
    }

    /// What a plan's sanction attaches to: a duty violated, or not done by its deadline. A duty
    /// done late is a breach, but "逾期不能完成的" sanctions no longer bite once it is done.
    pub fn is_sanctioned(self) -> bool {
        matches!(self, Status::Violated | Status::Overdue)
    }
}
