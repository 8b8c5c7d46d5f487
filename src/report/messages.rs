//! The words of the reports a person reads (the human report, its summary, the agenda, `writ diff` and
//! `writ explain`), one table per language, looked up by key. The keys are one list
//! ([`Msg::ALL`]); a test fails when a table lacks a key, holds one twice, or writes a text
//! whose `{0}`, `{1}` … differ from the English. Diagnostics are not here: they stay English,
//! as their codes and the documentation do. The plan's own text (titles, cites, names, role
//! words) is never translated: only writ's labels are. Why each Chinese word was chosen is in
//! `docs/report-language.md`.

use crate::eval::Said;
use crate::lang::Lang;
use crate::status::Status;
use crate::value::Date;
use std::borrow::Cow;
use std::sync::LazyLock;

macro_rules! keys {
    ($($(#[$doc:meta])* $key:ident),* $(,)?) => {
        /// A piece of text a report writes, in whatever language it is written in.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum Msg { $($(#[$doc])* $key),* }

        impl Msg {
            /// Every key, in declaration order: the one list the tables are checked against.
            pub const ALL: &'static [Msg] = &[$(Msg::$key),*];
        }
    };
}

keys! {
    // Statuses, in `Status::ALL` order.
    Satisfied, Violated, Fulfilled, FulfilledLate, Pending, Overdue, Met, Missed, Exempt, NotApplicable, Unknown,
    /// `{0}` the plan's title, `{1}` the as-of date.
    Title,
    /// `{0}` how many verdicts, `{1}` the counts by status.
    Counts,
    /// One count of a list: `{0}` the number, `{1}` what is counted.
    CountItem,
    /// Between the items of a list of counts.
    ListSep,
    /// Between the parties of a role.
    PartySep,
    /// Between two roles of a clause.
    RoleSep,
    /// The subject of a requirement on the plan as a whole.
    ThePlan,
    /// `{0}` the deadline, after a requirement whose text does not name it.
    Due,
    /// `{0}` the day a duty was done.
    DoneOn,
    /// A party the subject should name and does not: `{0}` is `ROLE `FIELD`: why`.
    PartyUnknown,
    /// The party of a role its subject should name and does not.
    UnknownParty,
    /// `{0}` what was compared, `{1}` its value, `{2}` the operator, `{3}` the other value,
    /// `{4}` whether it holds.
    Evidence,
    Holds,
    DoesNotHold,
    CannotBeDecided,
    /// `{0}` the sanction.
    Sanction,
    /// `{0}` the sanction, `{1}` on whom.
    SanctionOn,
    /// `{0}` file, `{1}` line, `{2}` record kind, `{3}` key.
    Fact,
    /// `{0}` how many facts more.
    MoreFacts,
    /// `{0}` the verdict's id.
    Id,
    /// `{0}` how many verdicts of a clause do not apply.
    NotApplicableCount,
    /// `{0}` a reason, in brackets after what it explains.
    Because,
    /// `{0}` the counts of passing verdicts not listed.
    Folded,
    /// The evaluator's reasons a report says in its own words ([`Said`]), in English exactly
    /// as the evaluator writes them.
    ExcludedByWhere,
    /// `{0}` the day a state target was judged.
    NotMetOn,
    /// `{0}` the deadline.
    NotYetMetByDeadline,
    /// `{0}` the day the state is judged, `{1}` the as-of date.
    JudgedOnHolds,
    /// `{0}` the day the state is judged, `{1}` the as-of date.
    JudgedOnDoesNotHold,
    /// `{0}` the exemption.
    ExemptUnder,
    /// `{0}` the value the facts do not give.
    Missing,
    /// `{0}` the record kind.
    NoRecordMatches,
    /// `{0}` why the clause's filter could not be decided.
    ScopeUnknown,
    /// `{0}` the completion date, `{1}` the as-of date.
    DoneAfterAsOf,
    /// `{0}` the as-of date, `{1}` the period.
    Outside,
    /// `{0}` the condition (`given`).
    NotAllIn,
    /// `{0}` the condition (`given`), before the deadline.
    NotAllInYet,
    /// `{0}` why it is provisional.
    MetSoFar,
    /// `{0}` the period, `{1}` the date.
    NotOver,
    /// The plan's period, in a reason.
    ThePlanPeriod,
    /// A period computed from dates, in a reason.
    ThePeriod,
    /// The header of the record accounting.
    FactsHeader,
    FlawedOne,
    /// `{0}` how many accepted records have an unreadable field.
    FlawedMany,
    /// `{0}` what was lost, `{1}` the file, `{2}` where in it, `{3}` why, `{4}` how many more places.
    Incomplete,
    LostOne,
    /// `{0}` how many records were lost.
    LostMany,
    LostUnknown,
    /// `{0}` a line number.
    AtLine,
    MoreOnePlace,
    /// `{0}` how many more places.
    MorePlaces,
    /// `{0}` how many verdicts are shown, `{1}` of how many.
    OnlyBreaches,
    /// `{0}` how many verdicts are shown, `{1}` of how many.
    OnlyOpen,
    SummaryByStatus,
    SummaryByParty,
    SummaryBySection,
    /// The section of verdicts whose clause cites nothing.
    NoSection,
    /// `{0}` a party or section, `{1}` its total, `{2}` its counts by status.
    SummaryRow,
    /// `{0}` the plan, `{1}` the window's first day, `{2}` its last, `{3}` the as-of date.
    AgendaTitle,
    AgendaEmpty,
    // `writ explain`.
    ExplainStatus,
    ExplainWhy,
    ExplainClause,
    ExplainCite,
    ExplainPlanText,
    ExplainRequirement,
    ExplainSubject,
    ExplainDeadline,
    ExplainDoneOn,
    ExplainEvidence,
    ExplainFactsUsed,
    ExplainSanction,
    ExplainDerived,
    /// `{0}` what was compared, `{1}` its value, `{2}` the operator, `{3}` the other side and
    /// its value, `{4}` whether it holds.
    ExplainComparison,
    /// `{0}` the as-of date, after the status.
    AsOf,
    /// `{0}` the deadline as rolled, `{1}` as written.
    Rolled,
    /// `{0}` the sanction, `{1}` on whom (`writ explain`).
    SanctionOnShort,
    /// `{0}` how many facts more (`writ explain`).
    AndMore,
    WhySatisfied,
    /// `{0}` the reason in brackets, or nothing.
    WhyViolated,
    /// `{0}` the deadline.
    WhyFulfilled,
    /// `{0}` the deadline, `{1}` the reason in brackets, or nothing.
    WhyFulfilledLate,
    /// `{0}` the deadline, `{1}` the as-of date, `{2}` the reason in brackets, or nothing.
    WhyPending,
    /// `{0}` the deadline, `{1}` the as-of date, `{2}` the reason in brackets, or nothing.
    WhyOverdue,
    WhyMet,
    /// `{0}` the reason in brackets, or nothing.
    WhyMissed,
    WhyExempt,
    WhyNotApplicable,
    /// `{0}` the reason in brackets, or nothing.
    WhyUnknown,
    // The workbook (`--xlsx`): sheet names, the summary's labels, the column headers, and the
    // number format of its dates.
    // The circulated notice (`report::notice`).
    /// `{0}` the plan's title.
    DocTitle,
    /// `{0}` the as-of date.
    DocAsOf,
    /// Said first when some facts could not be read in full.
    DocIncomplete,
    DocOverview,
    /// `{0}` the as-of date, `{1}` how many verdicts, `{2}` the counts by status.
    DocIntro,
    DocColParty,
    /// Where verdicts whose clause names no party are listed.
    DocNoParty,
    DocViolated,
    DocOverdue,
    DocMissed,
    /// `{0}` the first day, `{1}` the last.
    DocUpcoming,
    DocUnknown,
    DocFacts,
    /// `{0}` record kind, `{1}` loaded, `{2}` used, `{3}` unused, `{4}` rejected.
    DocFactsRow,
    DocNone,
    /// `{0}` the party's role words, after an item.
    DocRole,
    /// `{0}` the deadline.
    DocDue,
    /// `{0}` the deadline, `{1}` how many days past it as of the report.
    DocDaysLate,
    /// `{0}` the deadline, `{1}` the day it was done, `{2}` how many days late.
    DocDoneLate,
    /// `{0}` the comparisons or the reason.
    DocFound,
    DocColFound,
    /// `{0}` how many items were not listed.
    DocMore,
    /// `{0}` the plan's name.
    DocMade,
    XlsxSummarySheet,
    XlsxAllSheet,
    XlsxTotal,
    XlsxClause,
    XlsxTitle,
    XlsxCite,
    XlsxSubject,
    XlsxRole,
    XlsxRequirement,
    XlsxDeadline,
    XlsxDoneOn,
    XlsxStatus,
    XlsxValue,
    XlsxLimit,
    XlsxSanction,
    XlsxEvidence,
    XlsxReason,
    XlsxId,
    XlsxStatusCode,
    /// An Excel number format for a date cell.
    XlsxDateFormat,
    /// `{0}` the plan's title, `{1}` the as-of date (`writ diff`).
    DiffTitle,
    /// `{0}` what the old side evaluated, `{1}` how many verdicts it has.
    DiffOld,
    /// `{0}` what the new side evaluated, `{1}` how many verdicts it has.
    DiffNew,
    /// `{0}` verdicts added, `{1}` removed, `{2}` changed, `{3}` of them in status, `{4}` unchanged.
    DiffCounts,
    /// `{0}` clauses added, `{1}` removed, `{2}` renamed.
    DiffClauseCounts,
    DiffNoChange,
    DiffClauseAdded,
    DiffClauseRemoved,
    /// `{0}` the clause's old name.
    DiffClauseRenamed,
    /// `{0}` how many verdicts of a clause are the same.
    DiffUnchanged,
    /// `{0}` the old status, `{1}` the new.
    DiffStatus,
    /// `{0}` the status, the same on both sides.
    DiffStatusSame,
    /// `{0}` the old deadline, `{1}` the new.
    DiffDeadline,
    /// `{0}` the old day it was done, `{1}` the new.
    DiffDoneOn,
    /// A date one side does not have.
    DiffNoDate,
    /// `{0}` the requirement as the old package wrote it.
    DiffOldRequirement,
    /// `{0}` the verdict's id in the old evaluation.
    DiffOldId,
    // The HTML report (`writ report --html`).
    /// The overview page's name.
    HtmlOverview,
    /// The page of every verdict.
    HtmlAllVerdicts,
    /// The heading of the list of responsible parties.
    HtmlParties,
    /// The heading of the list of plan sections.
    HtmlSections,
    /// A responsible party's page: `{0}` the party.
    HtmlPartyTitle,
    /// A plan section's page: `{0}` the section.
    HtmlSectionTitle,
    /// The column of totals.
    HtmlTotal,
    /// The heading of the timeline of deadlines.
    HtmlTimeline,
    /// Deadlines passed with the duty still open.
    HtmlPastDue,
    /// `{0}` the month of the as-of date.
    HtmlThisMonth,
    /// `{0}` the month after.
    HtmlNextMonth,
    /// `{0}` a year, `{1}` a month's number.
    HtmlMonth,
    /// A band of the timeline with nothing in it.
    HtmlNothingDue,
    /// `{0}` how many verdicts.
    HtmlItems,
    /// The heading of the progress bars of count targets.
    HtmlProgress,
    /// `{0}` what was counted, `{1}` the target.
    HtmlProgressOf,
    /// The search box's label.
    HtmlSearch,
    /// The status filter's label.
    HtmlFilterStatus,
    /// The party filter's label.
    HtmlFilterParty,
    /// The status filter's choice that keeps every verdict.
    HtmlAnyStatus,
    /// The party filter's choice that keeps every verdict.
    HtmlAnyParty,
    /// The status filter's choice that keeps the breaches.
    HtmlBreaches,
    /// The status filter's choice that keeps the open matters.
    HtmlOpen,
    /// `{0}` how many verdicts the filters keep, `{1}` of how many.
    HtmlShown,
    /// The plan's text, beside the verdicts of a section.
    HtmlPlanText,
    /// The role a party has in a verdict.
    HtmlRole,
    /// Items of a section the plan's outline does not list.
    HtmlNotInOutline,
    /// Shown when a list has nothing in it.
    HtmlEmpty,
    /// A verdict's explanation, to open.
    HtmlExplain,
}

/// English: the words writ's reports have always used.
const EN: &[(Msg, &str)] = &[
    (Msg::Satisfied, "satisfied"),
    (Msg::Violated, "violated"),
    (Msg::Fulfilled, "fulfilled"),
    (Msg::FulfilledLate, "fulfilled_late"),
    (Msg::Pending, "pending"),
    (Msg::Overdue, "overdue"),
    (Msg::Met, "met"),
    (Msg::Missed, "missed"),
    (Msg::Exempt, "exempt"),
    (Msg::NotApplicable, "not_applicable"),
    (Msg::Unknown, "unknown"),
    (Msg::Title, "{0} — verdicts as of {1}"),
    (Msg::Counts, "{0} verdicts: {1}"),
    (Msg::CountItem, "{0} {1}"),
    (Msg::ListSep, ", "),
    (Msg::PartySep, ", "),
    (Msg::RoleSep, " │ "),
    (Msg::ThePlan, "the plan"),
    (Msg::Due, " (due {0})"),
    (Msg::DoneOn, "done on {0}"),
    (Msg::PartyUnknown, "responsible party unknown: {0}"),
    (Msg::UnknownParty, "unknown"),
    (Msg::Evidence, "{0} = {1}; {2} {3}: {4}"),
    (Msg::Holds, "holds"),
    (Msg::DoesNotHold, "does not hold"),
    (Msg::CannotBeDecided, "cannot be decided"),
    (Msg::Sanction, "sanction: {0}"),
    (Msg::SanctionOn, "sanction: {0} on {1}"),
    (Msg::Fact, "fact: {0}:{1} ({2} {3})"),
    (Msg::MoreFacts, "… and {0} more facts (see --format json)"),
    (Msg::Id, "id: {0}"),
    (Msg::NotApplicableCount, "{0} not applicable"),
    (Msg::Because, " ({0})"),
    (Msg::Folded, "{0}: not listed one by one (--only all lists them)"),
    (Msg::ExcludedByWhere, "excluded by the clause's `where` filter"),
    (Msg::NotMetOn, "not met on {0}, the day it is judged"),
    (Msg::NotYetMetByDeadline, "not yet met as of the deadline {0}"),
    (Msg::JudgedOnHolds, "a state judged on {0}; as of {1} it holds"),
    (Msg::JudgedOnDoesNotHold, "a state judged on {0}; as of {1} it does not hold"),
    (Msg::ExemptUnder, "exempt under `{0}`"),
    (Msg::Missing, "{0} is missing"),
    (Msg::NoRecordMatches, "no {0} record matches"),
    (Msg::ScopeUnknown, "cannot tell whether the subject is in scope: {0}"),
    (Msg::DoneAfterAsOf, "recorded as done on {0}, after the as-of date {1}, so not yet counted"),
    (Msg::Outside, "{0} is outside {1}"),
    (Msg::NotAllIn, "the facts it needs are not all in: `{0}` does not hold"),
    (Msg::NotAllInYet, "the facts it needs are not all in: `{0}` does not hold yet"),
    (Msg::MetSoFar, "met so far, but provisional: {0}"),
    (Msg::NotOver, "{0} is not over as of {1}"),
    (Msg::ThePlanPeriod, "the plan period"),
    (Msg::ThePeriod, "the period"),
    (Msg::FactsHeader, "facts: loaded = used + unused + rejected"),
    (Msg::FlawedOne, " (1 accepted record has a field that could not be read)"),
    (Msg::FlawedMany, " ({0} accepted records have a field that could not be read)"),
    (Msg::Incomplete, "incomplete: {0} not read from {1}{2}: {3}{4}"),
    (Msg::LostOne, "1 record"),
    (Msg::LostMany, "{0} records"),
    (Msg::LostUnknown, "an unknown number of records"),
    (Msg::AtLine, " at line {0}"),
    (Msg::MoreOnePlace, " (and 1 more place)"),
    (Msg::MorePlaces, " (and {0} more places)"),
    (Msg::OnlyBreaches, "breaches only (--only breaches): {0} of {1} verdicts"),
    (Msg::OnlyOpen, "open items only (--only open): {0} of {1} verdicts"),
    (Msg::SummaryByStatus, "by status"),
    (Msg::SummaryByParty, "by responsible party"),
    (Msg::SummaryBySection, "by plan section"),
    (Msg::NoSection, "(no cite)"),
    (Msg::SummaryRow, "{0}: {1} ({2})"),
    (Msg::AgendaTitle, "{0} — obligations due {1} .. {2}, status as of {3}"),
    (Msg::AgendaEmpty, "nothing falls due in this window"),
    (Msg::ExplainStatus, "status:"),
    (Msg::ExplainWhy, "why:"),
    (Msg::ExplainClause, "clause:"),
    (Msg::ExplainCite, "cite:"),
    (Msg::ExplainPlanText, "plan text:"),
    (Msg::ExplainRequirement, "requirement:"),
    (Msg::ExplainSubject, "subject:"),
    (Msg::ExplainDeadline, "deadline:"),
    (Msg::ExplainDoneOn, "done on:"),
    (Msg::ExplainEvidence, "evidence:"),
    (Msg::ExplainFactsUsed, "facts used:"),
    (Msg::ExplainSanction, "sanction:"),
    (Msg::ExplainDerived, "derived:"),
    (Msg::ExplainComparison, "{0} = {1} {2} {3}: {4}"),
    (Msg::AsOf, " (as of {0})"),
    (Msg::Rolled, "{0} (written {1}, a rest day, rolled to the next workday)"),
    (Msg::SanctionOnShort, "{0} on {1}"),
    (Msg::AndMore, "… and {0} more"),
    (Msg::WhySatisfied, "the condition holds"),
    (Msg::WhyViolated, "the condition does not hold{0}"),
    (Msg::WhyFulfilled, "done by the deadline {0}"),
    (Msg::WhyFulfilledLate, "done, but after the deadline {0}{1}"),
    (Msg::WhyPending, "not done yet, and the deadline {0} is after {1}{2}"),
    (Msg::WhyOverdue, "not done by the end of the deadline {0} (as of {1}){2}"),
    (Msg::WhyMet, "the strive target (力爭) is reached"),
    (Msg::WhyMissed, "the strive target (力爭) is not reached{0}"),
    (Msg::WhyExempt, "an exemption applies"),
    (Msg::WhyNotApplicable, "the requirement does not apply"),
    (Msg::WhyUnknown, "a fact it needs is missing{0}"),
    (Msg::DocTitle, "Notice on the implementation of {0}"),
    (Msg::DocAsOf, "As of {0}"),
    (
        Msg::DocIncomplete,
        "Note: some facts could not be read in full (see the note on the facts at the end); verdicts that rest on them may be missing or undecided.",
    ),
    (Msg::DocOverview, "1. Overview"),
    (Msg::DocIntro, "As of {0}, {1} requirements of the plan were checked: {2}."),
    (Msg::DocColParty, "responsible party"),
    (Msg::DocNoParty, "no party named"),
    (Msg::DocViolated, "2. Requirements violated, by responsible party"),
    (Msg::DocOverdue, "3. Duties overdue or done late, by responsible party"),
    (Msg::DocMissed, "4. Targets striven for and not reached"),
    (Msg::DocUpcoming, "5. Deadlines from {0} to {1}"),
    (Msg::DocUnknown, "6. What cannot be decided (facts missing or unreadable)"),
    (Msg::DocFacts, "Note on the facts"),
    (Msg::DocFactsRow, "{0}: {1} records read, {2} used, {3} not used, {4} rejected"),
    (Msg::DocNone, "None."),
    (Msg::DocRole, " ({0})"),
    (Msg::DocDue, "due {0}"),
    (Msg::DocDaysLate, "due {0}, {1} days overdue"),
    (Msg::DocDoneLate, "due {0}, done on {1}, {2} days late"),
    (Msg::DocFound, "found: {0}"),
    (Msg::DocColFound, "found"),
    (Msg::DocMore, "… and {0} more, not listed here: the workbook (--xlsx) and the JSON report hold every verdict."),
    (
        Msg::DocMade,
        "Made by writ from the policy package {0} and the facts given. Every item can be followed up with writ explain and its id.",
    ),
    (Msg::XlsxSummarySheet, "summary"),
    (Msg::XlsxAllSheet, "all verdicts"),
    (Msg::XlsxTotal, "total"),
    (Msg::XlsxClause, "clause"),
    (Msg::XlsxTitle, "title"),
    (Msg::XlsxCite, "cite"),
    (Msg::XlsxSubject, "subject"),
    (Msg::XlsxRole, "role"),
    (Msg::XlsxRequirement, "requirement"),
    (Msg::XlsxDeadline, "deadline"),
    (Msg::XlsxDoneOn, "done on"),
    (Msg::XlsxStatus, "status"),
    (Msg::XlsxValue, "value"),
    (Msg::XlsxLimit, "limit"),
    (Msg::XlsxSanction, "sanction"),
    (Msg::XlsxEvidence, "evidence"),
    (Msg::XlsxReason, "reason"),
    (Msg::XlsxId, "id"),
    (Msg::XlsxStatusCode, "status code"),
    // `yyyy-mm-dd`, its hyphens escaped: Excel shows them the same, and the text does not
    // read as a diagnostic code to `tests/docs.rs`.
    (Msg::XlsxDateFormat, "yyyy\\-mm\\-dd"),
    (Msg::DiffTitle, "{0} — verdicts that change, as of {1}"),
    (Msg::DiffOld, "old: {0} ({1} verdicts)"),
    (Msg::DiffNew, "new: {0} ({1} verdicts)"),
    (Msg::DiffCounts, "{0} added, {1} removed, {2} changed ({3} in status), {4} unchanged"),
    (Msg::DiffClauseCounts, "clauses: {0} added, {1} removed, {2} renamed"),
    (Msg::DiffNoChange, "no change"),
    (Msg::DiffClauseAdded, "(clause added)"),
    (Msg::DiffClauseRemoved, "(clause removed)"),
    (Msg::DiffClauseRenamed, "(renamed from {0})"),
    (Msg::DiffUnchanged, "= {0} unchanged"),
    (Msg::DiffStatus, "{0} → {1}"),
    (Msg::DiffStatusSame, "{0} (status unchanged)"),
    (Msg::DiffDeadline, "deadline: {0} → {1}"),
    (Msg::DiffDoneOn, "done on: {0} → {1}"),
    (Msg::DiffNoDate, "none"),
    (Msg::DiffOldRequirement, "was: {0}"),
    (Msg::DiffOldId, "old id: {0}"),
    (Msg::HtmlOverview, "overview"),
    (Msg::HtmlAllVerdicts, "all verdicts"),
    (Msg::HtmlParties, "responsible parties"),
    (Msg::HtmlSections, "plan sections"),
    (Msg::HtmlPartyTitle, "{0} — what it owes"),
    (Msg::HtmlSectionTitle, "section {0}"),
    (Msg::HtmlTotal, "total"),
    (Msg::HtmlTimeline, "deadlines"),
    (Msg::HtmlPastDue, "past due"),
    (Msg::HtmlThisMonth, "this month ({0})"),
    (Msg::HtmlNextMonth, "next month ({0})"),
    (Msg::HtmlMonth, "{0}-{1}"),
    (Msg::HtmlNothingDue, "nothing falls due"),
    (Msg::HtmlItems, "×{0}"),
    (Msg::HtmlProgress, "progress of count targets"),
    (Msg::HtmlProgressOf, "{0} of {1}"),
    (Msg::HtmlSearch, "search"),
    (Msg::HtmlFilterStatus, "status"),
    (Msg::HtmlFilterParty, "responsible party"),
    (Msg::HtmlAnyStatus, "every status"),
    (Msg::HtmlAnyParty, "every party"),
    (Msg::HtmlBreaches, "breaches"),
    (Msg::HtmlOpen, "open matters"),
    (Msg::HtmlShown, "{0} of {1} shown"),
    (Msg::HtmlPlanText, "plan text"),
    (Msg::HtmlRole, "role"),
    (Msg::HtmlNotInOutline, "not in the plan's outline"),
    (Msg::HtmlEmpty, "none"),
    (Msg::HtmlExplain, "explanation"),
];

/// Chinese in Traditional characters, in the words of a mainland inspection report (the
/// Yangquan plan is a mainland plan, bundled in Traditional characters): 字段, not 欄位.
const ZH_HANT: &[(Msg, &str)] = &[
    (Msg::Satisfied, "符合"),
    (Msg::Violated, "違反"),
    (Msg::Fulfilled, "按期完成"),
    (Msg::FulfilledLate, "逾期完成"),
    (Msg::Pending, "未到期"),
    (Msg::Overdue, "逾期未完成"),
    (Msg::Met, "達標"),
    (Msg::Missed, "未達標"),
    (Msg::Exempt, "豁免"),
    (Msg::NotApplicable, "不適用"),
    (Msg::Unknown, "無法判定"),
    (Msg::Title, "{0} — 截至{1}的核查結果"),
    (Msg::Counts, "共{0}項：{1}"),
    (Msg::CountItem, "{1}{0}項"),
    (Msg::ListSep, "，"),
    (Msg::PartySep, "、"),
    (Msg::RoleSep, " │ "),
    (Msg::ThePlan, "本計劃"),
    (Msg::Due, "（期限{0}）"),
    (Msg::DoneOn, "完成日期：{0}"),
    (Msg::Evidence, "{0} = {1}；{2} {3}：{4}"),
    (Msg::Holds, "成立"),
    (Msg::DoesNotHold, "不成立"),
    (Msg::CannotBeDecided, "無法判定"),
    (Msg::Sanction, "處理措施：{0}"),
    (Msg::SanctionOn, "處理措施：{0}（對象：{1}）"),
    (Msg::Fact, "依據：{0}:{1}（{2} {3}）"),
    (Msg::MoreFacts, "……另有{0}條依據（見 --format json）"),
    (Msg::Id, "編號：{0}"),
    (Msg::NotApplicableCount, "不適用{0}項"),
    (Msg::Because, "（{0}）"),
    (Msg::Folded, "{0}：未逐項列出（--only all 可逐項列出）"),
    (Msg::ExcludedByWhere, "不在本條款 where 條件所列範圍內"),
    (Msg::NotMetOn, "考核日{0}未達到要求"),
    (Msg::NotYetMetByDeadline, "截至期限{0}尚未完成"),
    (Msg::JudgedOnHolds, "於{0}考核；截至{1}已達到要求"),
    (Msg::JudgedOnDoesNotHold, "於{0}考核；截至{1}尚未達到要求"),
    (Msg::ExemptUnder, "適用豁免：{0}"),
    (Msg::Missing, "缺少{0}"),
    (Msg::NoRecordMatches, "沒有符合條件的{0}記錄"),
    (Msg::ScopeUnknown, "無法判斷對象是否在適用範圍內：{0}"),
    (Msg::DoneAfterAsOf, "記錄的完成日期{0}晚於核查日{1}，暫不計入"),
    (Msg::Outside, "{0}不在{1}內"),
    (Msg::NotAllIn, "所需事實資料不全：{0}不成立"),
    (Msg::NotAllInYet, "所需事實資料尚未齊全：{0}尚不成立"),
    (Msg::MetSoFar, "目前達到要求，但尚屬暫定：{0}"),
    (Msg::NotOver, "截至{1}，{0}尚未結束"),
    (Msg::ThePlanPeriod, "計劃期"),
    (Msg::ThePeriod, "該期間"),
    (Msg::FactsHeader, "數據記錄：讀入 = 採用 + 未用 + 剔除"),
    (Msg::FlawedOne, "（其中1條記錄有字段無法讀取）"),
    (Msg::FlawedMany, "（其中{0}條記錄有字段無法讀取）"),
    (Msg::Incomplete, "不完整：{1}{2}有{0}未能讀入：{3}{4}"),
    (Msg::LostOne, "1條記錄"),
    (Msg::LostMany, "{0}條記錄"),
    (Msg::LostUnknown, "條數不明的記錄"),
    (Msg::AtLine, "第{0}行起"),
    (Msg::MoreOnePlace, "（另有1處）"),
    (Msg::MorePlaces, "（另有{0}處）"),
    (Msg::OnlyBreaches, "僅列違規事項（--only breaches）：{0}項，共{1}項"),
    (Msg::OnlyOpen, "僅列未結事項（--only open）：{0}項，共{1}項"),
    (Msg::SummaryByStatus, "按核查結果"),
    (Msg::SummaryByParty, "按責任單位"),
    (Msg::SummaryBySection, "按計劃章節"),
    (Msg::NoSection, "（未引用條文）"),
    (Msg::SummaryRow, "{0}：{1}項（{2}）"),
    (Msg::AgendaTitle, "{0} — {1}至{2}到期事項，狀態截至{3}"),
    (Msg::AgendaEmpty, "此期間內沒有到期事項"),
    (Msg::ExplainStatus, "核查結果："),
    (Msg::ExplainWhy, "理由："),
    (Msg::ExplainClause, "條款："),
    (Msg::ExplainCite, "條文編號："),
    (Msg::ExplainPlanText, "計劃原文："),
    (Msg::ExplainRequirement, "要求："),
    (Msg::ExplainSubject, "對象："),
    (Msg::ExplainDeadline, "期限："),
    (Msg::ExplainDoneOn, "完成日期："),
    (Msg::ExplainEvidence, "比對："),
    (Msg::ExplainFactsUsed, "依據："),
    (Msg::ExplainSanction, "處理措施："),
    (Msg::ExplainDerived, "計算所得："),
    (Msg::ExplainComparison, "{0} = {1} {2} {3}：{4}"),
    (Msg::AsOf, "（截至{0}）"),
    (Msg::Rolled, "{0}（原定{1}為休息日，順延至下一工作日）"),
    (Msg::SanctionOnShort, "{0}（對象：{1}）"),
    (Msg::AndMore, "……另有{0}條"),
    (Msg::WhySatisfied, "條件成立"),
    (Msg::WhyViolated, "條件不成立{0}"),
    (Msg::WhyFulfilled, "已於期限{0}前完成"),
    (Msg::WhyFulfilledLate, "已完成，但晚於期限{0}{1}"),
    (Msg::WhyPending, "尚未完成，期限{0}在{1}之後{2}"),
    (Msg::WhyOverdue, "期限{0}屆滿仍未完成（截至{1}）{2}"),
    (Msg::WhyMet, "力爭目標已達到"),
    (Msg::WhyMissed, "力爭目標未達到{0}"),
    (Msg::WhyExempt, "適用豁免"),
    (Msg::WhyNotApplicable, "該要求不適用"),
    (Msg::WhyUnknown, "所需數據缺失或無法讀取{0}"),
    (Msg::DocTitle, "關於《{0}》執行情況的監督通報"),
    (Msg::DocAsOf, "截至{0}"),
    (Msg::DocIncomplete, "請注意：部分事實資料未能完整讀取（見文末資料說明），相關核查結果可能缺失或無法判定。"),
    (Msg::DocOverview, "一、總體情況"),
    (Msg::DocIntro, "截至{0}，共核查計劃要求{1}項：{2}。"),
    (Msg::DocColParty, "責任單位"),
    (Msg::DocNoParty, "未列明責任單位"),
    (Msg::DocViolated, "二、違反要求情況（按責任單位）"),
    (Msg::DocOverdue, "三、逾期事項（按責任單位）"),
    (Msg::DocMissed, "四、力爭目標未達標情況"),
    (Msg::DocUpcoming, "五、近期到期事項（{0}至{1}）"),
    (Msg::DocUnknown, "六、無法判定事項（事實資料缺失或無法讀取）"),
    (Msg::DocFacts, "附：資料說明"),
    (Msg::DocFactsRow, "{0}：讀入{1}條，使用{2}條，未使用{3}條，拒收{4}條"),
    (Msg::DocNone, "無。"),
    (Msg::DocRole, "（{0}）"),
    (Msg::DocDue, "期限{0}"),
    (Msg::DocDaysLate, "期限{0}，已逾期{1}天"),
    (Msg::DocDoneLate, "期限{0}，{1}完成，逾期{2}天"),
    (Msg::DocFound, "核查發現：{0}"),
    (Msg::DocColFound, "核查發現"),
    (Msg::DocMore, "……另有{0}項未在此列出，全部核查結果見台帳（--xlsx）或JSON報告。"),
    (Msg::DocMade, "本通報由writ依據政策包{0}及所提供的事實資料生成，每項均可憑編號用writ explain查看詳細依據。"),
    (Msg::XlsxSummarySheet, "匯總"),
    (Msg::XlsxAllSheet, "全部核查結果"),
    (Msg::XlsxTotal, "合計"),
    (Msg::XlsxClause, "條款"),
    (Msg::XlsxTitle, "名稱"),
    (Msg::XlsxCite, "條文編號"),
    (Msg::XlsxSubject, "對象"),
    (Msg::XlsxRole, "職責"),
    (Msg::XlsxRequirement, "要求"),
    (Msg::XlsxDeadline, "期限"),
    (Msg::XlsxDoneOn, "完成日期"),
    (Msg::XlsxStatus, "核查結果"),
    (Msg::XlsxValue, "實際值"),
    (Msg::XlsxLimit, "限值"),
    (Msg::XlsxSanction, "處理措施"),
    (Msg::XlsxEvidence, "依據"),
    (Msg::XlsxReason, "說明"),
    (Msg::XlsxId, "編號"),
    (Msg::XlsxStatusCode, "核查結果代碼"),
    (Msg::XlsxDateFormat, "yyyy\"年\"m\"月\"d\"日\""),
    (Msg::DiffTitle, "{0} — 截至{1}核查結果的變化"),
    (Msg::DiffOld, "原：{0}（共{1}項）"),
    (Msg::DiffNew, "新：{0}（共{1}項）"),
    (Msg::DiffCounts, "新增{0}項，刪除{1}項，變化{2}項（其中核查結果變化{3}項），未變{4}項"),
    (Msg::DiffClauseCounts, "條款：新增{0}條，刪除{1}條，更名{2}條"),
    (Msg::DiffNoChange, "無變化"),
    (Msg::DiffClauseAdded, "（新增條款）"),
    (Msg::DiffClauseRemoved, "（已刪除條款）"),
    (Msg::DiffClauseRenamed, "（原名{0}）"),
    (Msg::DiffUnchanged, "= 未變{0}項"),
    (Msg::DiffStatus, "{0} → {1}"),
    (Msg::DiffStatusSame, "{0}（核查結果未變）"),
    (Msg::DiffDeadline, "期限：{0} → {1}"),
    (Msg::DiffDoneOn, "完成日期：{0} → {1}"),
    (Msg::PartyUnknown, "責任單位不明：{0}"),
    (Msg::UnknownParty, "不明"),
    (Msg::DiffNoDate, "無"),
    (Msg::DiffOldRequirement, "原要求：{0}"),
    (Msg::DiffOldId, "原編號：{0}"),
    (Msg::HtmlOverview, "總覽"),
    (Msg::HtmlAllVerdicts, "全部核查結果"),
    (Msg::HtmlParties, "責任單位"),
    (Msg::HtmlSections, "計劃章節"),
    (Msg::HtmlPartyTitle, "{0} — 承擔事項"),
    (Msg::HtmlSectionTitle, "第{0}部分"),
    (Msg::HtmlTotal, "合計"),
    (Msg::HtmlTimeline, "期限一覽"),
    (Msg::HtmlPastDue, "已逾期"),
    (Msg::HtmlThisMonth, "本月（{0}）"),
    (Msg::HtmlNextMonth, "下月（{0}）"),
    (Msg::HtmlMonth, "{0}年{1}月"),
    (Msg::HtmlNothingDue, "無到期事項"),
    (Msg::HtmlItems, "{0}項"),
    (Msg::HtmlProgress, "數量目標完成進度"),
    (Msg::HtmlProgressOf, "{0}／{1}"),
    (Msg::HtmlSearch, "搜索"),
    (Msg::HtmlFilterStatus, "核查結果"),
    (Msg::HtmlFilterParty, "責任單位"),
    (Msg::HtmlAnyStatus, "全部核查結果"),
    (Msg::HtmlAnyParty, "全部責任單位"),
    (Msg::HtmlBreaches, "違規事項"),
    (Msg::HtmlOpen, "未結事項"),
    (Msg::HtmlShown, "顯示{0}項，共{1}項"),
    (Msg::HtmlPlanText, "計劃原文"),
    (Msg::HtmlRole, "職責"),
    (Msg::HtmlNotInOutline, "未列入計劃提綱"),
    (Msg::HtmlEmpty, "無"),
    (Msg::HtmlExplain, "核查說明"),
];

/// Chinese in Simplified characters: the same words as [`ZH_HANT`], in the other script.
const ZH_HANS: &[(Msg, &str)] = &[
    (Msg::Satisfied, "符合"),
    (Msg::Violated, "违反"),
    (Msg::Fulfilled, "按期完成"),
    (Msg::FulfilledLate, "逾期完成"),
    (Msg::Pending, "未到期"),
    (Msg::Overdue, "逾期未完成"),
    (Msg::Met, "达标"),
    (Msg::Missed, "未达标"),
    (Msg::Exempt, "豁免"),
    (Msg::NotApplicable, "不适用"),
    (Msg::Unknown, "无法判定"),
    (Msg::Title, "{0} — 截至{1}的核查结果"),
    (Msg::Counts, "共{0}项：{1}"),
    (Msg::CountItem, "{1}{0}项"),
    (Msg::ListSep, "，"),
    (Msg::PartySep, "、"),
    (Msg::RoleSep, " │ "),
    (Msg::ThePlan, "本计划"),
    (Msg::Due, "（期限{0}）"),
    (Msg::DoneOn, "完成日期：{0}"),
    (Msg::Evidence, "{0} = {1}；{2} {3}：{4}"),
    (Msg::Holds, "成立"),
    (Msg::DoesNotHold, "不成立"),
    (Msg::CannotBeDecided, "无法判定"),
    (Msg::Sanction, "处理措施：{0}"),
    (Msg::SanctionOn, "处理措施：{0}（对象：{1}）"),
    (Msg::Fact, "依据：{0}:{1}（{2} {3}）"),
    (Msg::MoreFacts, "……另有{0}条依据（见 --format json）"),
    (Msg::Id, "编号：{0}"),
    (Msg::NotApplicableCount, "不适用{0}项"),
    (Msg::Because, "（{0}）"),
    (Msg::Folded, "{0}：未逐项列出（--only all 可逐项列出）"),
    (Msg::ExcludedByWhere, "不在本条款 where 条件所列范围内"),
    (Msg::NotMetOn, "考核日{0}未达到要求"),
    (Msg::NotYetMetByDeadline, "截至期限{0}尚未完成"),
    (Msg::JudgedOnHolds, "于{0}考核；截至{1}已达到要求"),
    (Msg::JudgedOnDoesNotHold, "于{0}考核；截至{1}尚未达到要求"),
    (Msg::ExemptUnder, "适用豁免：{0}"),
    (Msg::Missing, "缺少{0}"),
    (Msg::NoRecordMatches, "没有符合条件的{0}记录"),
    (Msg::ScopeUnknown, "无法判断对象是否在适用范围内：{0}"),
    (Msg::DoneAfterAsOf, "记录的完成日期{0}晚于核查日{1}，暂不计入"),
    (Msg::Outside, "{0}不在{1}内"),
    (Msg::NotAllIn, "所需事实资料不全：{0}不成立"),
    (Msg::NotAllInYet, "所需事实资料尚未齐全：{0}尚不成立"),
    (Msg::MetSoFar, "目前达到要求，但尚属暂定：{0}"),
    (Msg::NotOver, "截至{1}，{0}尚未结束"),
    (Msg::ThePlanPeriod, "计划期"),
    (Msg::ThePeriod, "该期间"),
    (Msg::FactsHeader, "数据记录：读入 = 采用 + 未用 + 剔除"),
    (Msg::FlawedOne, "（其中1条记录有字段无法读取）"),
    (Msg::FlawedMany, "（其中{0}条记录有字段无法读取）"),
    (Msg::Incomplete, "不完整：{1}{2}有{0}未能读入：{3}{4}"),
    (Msg::LostOne, "1条记录"),
    (Msg::LostMany, "{0}条记录"),
    (Msg::LostUnknown, "条数不明的记录"),
    (Msg::AtLine, "第{0}行起"),
    (Msg::MoreOnePlace, "（另有1处）"),
    (Msg::MorePlaces, "（另有{0}处）"),
    (Msg::OnlyBreaches, "仅列违规事项（--only breaches）：{0}项，共{1}项"),
    (Msg::OnlyOpen, "仅列未结事项（--only open）：{0}项，共{1}项"),
    (Msg::SummaryByStatus, "按核查结果"),
    (Msg::SummaryByParty, "按责任单位"),
    (Msg::SummaryBySection, "按计划章节"),
    (Msg::NoSection, "（未引用条文）"),
    (Msg::SummaryRow, "{0}：{1}项（{2}）"),
    (Msg::AgendaTitle, "{0} — {1}至{2}到期事项，状态截至{3}"),
    (Msg::AgendaEmpty, "此期间内没有到期事项"),
    (Msg::ExplainStatus, "核查结果："),
    (Msg::ExplainWhy, "理由："),
    (Msg::ExplainClause, "条款："),
    (Msg::ExplainCite, "条文编号："),
    (Msg::ExplainPlanText, "计划原文："),
    (Msg::ExplainRequirement, "要求："),
    (Msg::ExplainSubject, "对象："),
    (Msg::ExplainDeadline, "期限："),
    (Msg::ExplainDoneOn, "完成日期："),
    (Msg::ExplainEvidence, "比对："),
    (Msg::ExplainFactsUsed, "依据："),
    (Msg::ExplainSanction, "处理措施："),
    (Msg::ExplainDerived, "计算所得："),
    (Msg::ExplainComparison, "{0} = {1} {2} {3}：{4}"),
    (Msg::AsOf, "（截至{0}）"),
    (Msg::Rolled, "{0}（原定{1}为休息日，顺延至下一工作日）"),
    (Msg::SanctionOnShort, "{0}（对象：{1}）"),
    (Msg::AndMore, "……另有{0}条"),
    (Msg::WhySatisfied, "条件成立"),
    (Msg::WhyViolated, "条件不成立{0}"),
    (Msg::WhyFulfilled, "已于期限{0}前完成"),
    (Msg::WhyFulfilledLate, "已完成，但晚于期限{0}{1}"),
    (Msg::WhyPending, "尚未完成，期限{0}在{1}之后{2}"),
    (Msg::WhyOverdue, "期限{0}届满仍未完成（截至{1}）{2}"),
    (Msg::WhyMet, "力争目标已达到"),
    (Msg::WhyMissed, "力争目标未达到{0}"),
    (Msg::WhyExempt, "适用豁免"),
    (Msg::WhyNotApplicable, "该要求不适用"),
    (Msg::WhyUnknown, "所需数据缺失或无法读取{0}"),
    (Msg::DocTitle, "关于《{0}》执行情况的监督通报"),
    (Msg::DocAsOf, "截至{0}"),
    (Msg::DocIncomplete, "请注意：部分事实资料未能完整读取（见文末资料说明），相关核查结果可能缺失或无法判定。"),
    (Msg::DocOverview, "一、总体情况"),
    (Msg::DocIntro, "截至{0}，共核查计划要求{1}项：{2}。"),
    (Msg::DocColParty, "责任单位"),
    (Msg::DocNoParty, "未列明责任单位"),
    (Msg::DocViolated, "二、违反要求情况（按责任单位）"),
    (Msg::DocOverdue, "三、逾期事项（按责任单位）"),
    (Msg::DocMissed, "四、力争目标未达标情况"),
    (Msg::DocUpcoming, "五、近期到期事项（{0}至{1}）"),
    (Msg::DocUnknown, "六、无法判定事项（事实资料缺失或无法读取）"),
    (Msg::DocFacts, "附：资料说明"),
    (Msg::DocFactsRow, "{0}：读入{1}条，使用{2}条，未使用{3}条，拒收{4}条"),
    (Msg::DocNone, "无。"),
    (Msg::DocRole, "（{0}）"),
    (Msg::DocDue, "期限{0}"),
    (Msg::DocDaysLate, "期限{0}，已逾期{1}天"),
    (Msg::DocDoneLate, "期限{0}，{1}完成，逾期{2}天"),
    (Msg::DocFound, "核查发现：{0}"),
    (Msg::DocColFound, "核查发现"),
    (Msg::DocMore, "……另有{0}项未在此列出，全部核查结果见台账（--xlsx）或JSON报告。"),
    (Msg::DocMade, "本通报由writ依据政策包{0}及所提供的事实资料生成，每项均可凭编号用writ explain查看详细依据。"),
    (Msg::XlsxSummarySheet, "汇总"),
    (Msg::XlsxAllSheet, "全部核查结果"),
    (Msg::XlsxTotal, "合计"),
    (Msg::XlsxClause, "条款"),
    (Msg::XlsxTitle, "名称"),
    (Msg::XlsxCite, "条文编号"),
    (Msg::XlsxSubject, "对象"),
    (Msg::XlsxRole, "职责"),
    (Msg::XlsxRequirement, "要求"),
    (Msg::XlsxDeadline, "期限"),
    (Msg::XlsxDoneOn, "完成日期"),
    (Msg::XlsxStatus, "核查结果"),
    (Msg::XlsxValue, "实际值"),
    (Msg::XlsxLimit, "限值"),
    (Msg::XlsxSanction, "处理措施"),
    (Msg::XlsxEvidence, "依据"),
    (Msg::XlsxReason, "说明"),
    (Msg::XlsxId, "编号"),
    (Msg::XlsxStatusCode, "核查结果代码"),
    (Msg::XlsxDateFormat, "yyyy\"年\"m\"月\"d\"日\""),
    (Msg::DiffTitle, "{0} — 截至{1}核查结果的变化"),
    (Msg::DiffOld, "原：{0}（共{1}项）"),
    (Msg::DiffNew, "新：{0}（共{1}项）"),
    (Msg::DiffCounts, "新增{0}项，删除{1}项，变化{2}项（其中核查结果变化{3}项），未变{4}项"),
    (Msg::DiffClauseCounts, "条款：新增{0}条，删除{1}条，更名{2}条"),
    (Msg::DiffNoChange, "无变化"),
    (Msg::DiffClauseAdded, "（新增条款）"),
    (Msg::DiffClauseRemoved, "（已删除条款）"),
    (Msg::DiffClauseRenamed, "（原名{0}）"),
    (Msg::DiffUnchanged, "= 未变{0}项"),
    (Msg::DiffStatus, "{0} → {1}"),
    (Msg::DiffStatusSame, "{0}（核查结果未变）"),
    (Msg::DiffDeadline, "期限：{0} → {1}"),
    (Msg::DiffDoneOn, "完成日期：{0} → {1}"),
    (Msg::PartyUnknown, "责任单位不明：{0}"),
    (Msg::UnknownParty, "不明"),
    (Msg::DiffNoDate, "无"),
    (Msg::DiffOldRequirement, "原要求：{0}"),
    (Msg::DiffOldId, "原编号：{0}"),
    (Msg::HtmlOverview, "总览"),
    (Msg::HtmlAllVerdicts, "全部核查结果"),
    (Msg::HtmlParties, "责任单位"),
    (Msg::HtmlSections, "计划章节"),
    (Msg::HtmlPartyTitle, "{0} — 承担事项"),
    (Msg::HtmlSectionTitle, "第{0}部分"),
    (Msg::HtmlTotal, "合计"),
    (Msg::HtmlTimeline, "期限一览"),
    (Msg::HtmlPastDue, "已逾期"),
    (Msg::HtmlThisMonth, "本月（{0}）"),
    (Msg::HtmlNextMonth, "下月（{0}）"),
    (Msg::HtmlMonth, "{0}年{1}月"),
    (Msg::HtmlNothingDue, "无到期事项"),
    (Msg::HtmlItems, "{0}项"),
    (Msg::HtmlProgress, "数量目标完成进度"),
    (Msg::HtmlProgressOf, "{0}／{1}"),
    (Msg::HtmlSearch, "搜索"),
    (Msg::HtmlFilterStatus, "核查结果"),
    (Msg::HtmlFilterParty, "责任单位"),
    (Msg::HtmlAnyStatus, "全部核查结果"),
    (Msg::HtmlAnyParty, "全部责任单位"),
    (Msg::HtmlBreaches, "违规事项"),
    (Msg::HtmlOpen, "未结事项"),
    (Msg::HtmlShown, "显示{0}项，共{1}项"),
    (Msg::HtmlPlanText, "计划原文"),
    (Msg::HtmlRole, "职责"),
    (Msg::HtmlNotInOutline, "未列入计划提纲"),
    (Msg::HtmlEmpty, "无"),
    (Msg::HtmlExplain, "核查说明"),
];

/// The table of a language.
fn table(lang: Lang) -> &'static [(Msg, &'static str)] {
    match lang {
        Lang::En => EN,
        Lang::ZhHans => ZH_HANS,
        Lang::ZhHant => ZH_HANT,
    }
}

/// Each language's texts by key position, built once from its table.
static BY_KEY: LazyLock<Vec<Vec<&'static str>>> = LazyLock::new(|| {
    Lang::ALL
        .iter()
        .map(|&lang| {
            Msg::ALL
                .iter()
                .map(|&key| {
                    // A key missing in a table (which the tests refuse) falls back to English.
                    let find = |t: &[(Msg, &'static str)]| t.iter().find(|(k, _)| *k == key).map(|(_, s)| *s);
                    find(table(lang)).or_else(|| find(EN)).unwrap_or("")
                })
                .collect()
        })
        .collect()
});

/// The words of one language.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Words(pub Lang);

impl Words {
    /// The text of a key.
    pub fn get(self, key: Msg) -> &'static str {
        BY_KEY[self.0 as usize][key as usize]
    }

    /// [`Words::fill`] with texts for arguments, appended to `out`: for lines written once per
    /// verdict of a large report, without the formatting machinery.
    pub fn fill_into(self, out: &mut String, key: Msg, args: &[&str]) {
        let mut rest = self.get(key);
        while let Some(open) = rest.find('{') {
            out.push_str(&rest[..open]);
            let after = &rest[open + 1..];
            match after.find('}').and_then(|close| Some((close, after[..close].parse::<usize>().ok()?))) {
                Some((close, n)) if n < args.len() => {
                    out.push_str(args[n]);
                    rest = &after[close + 1..];
                }
                _ => {
                    out.push('{');
                    rest = after;
                }
            }
        }
        out.push_str(rest);
    }

    /// The text of a key with `{0}`, `{1}` … replaced by the arguments.
    pub fn fill(self, key: Msg, args: &[&dyn std::fmt::Display]) -> String {
        let template = self.get(key);
        let mut out = String::with_capacity(template.len() + 16);
        let mut rest = template;
        while let Some(open) = rest.find('{') {
            out.push_str(&rest[..open]);
            let after = &rest[open + 1..];
            match after.find('}').and_then(|close| Some((close, after[..close].parse::<usize>().ok()?))) {
                Some((close, n)) if n < args.len() => {
                    use std::fmt::Write;
                    let _ = write!(out, "{}", args[n]);
                    rest = &after[close + 1..];
                }
                _ => {
                    out.push('{');
                    rest = after;
                }
            }
        }
        out.push_str(rest);
        out
    }

    /// A reason the evaluator gave, in this language where it is one the reports know
    /// ([`Said`]), else as the evaluator wrote it.
    pub fn reason(self, text: &str) -> Cow<'_, str> {
        let Some(said) = Said::read(text) else { return Cow::Borrowed(text) };
        Cow::Owned(match said {
            Said::ExcludedByWhere => self.get(Msg::ExcludedByWhere).to_string(),
            Said::NotMetOn(d) => self.fill(Msg::NotMetOn, &[&self.date(d)]),
            Said::NotYetMetByDeadline(d) => self.fill(Msg::NotYetMetByDeadline, &[&self.date(d)]),
            Said::JudgedOn { due, as_of, holds } => {
                let key = if holds { Msg::JudgedOnHolds } else { Msg::JudgedOnDoesNotHold };
                self.fill(key, &[&self.date(due), &self.date(as_of)])
            }
            Said::ExemptUnder(name) => self.fill(Msg::ExemptUnder, &[&name]),
            Said::Missing(what) => self.fill(Msg::Missing, &[&what]),
            Said::NoRecordMatches(kind) => self.fill(Msg::NoRecordMatches, &[&kind]),
            Said::ScopeUnknown(why) => self.fill(Msg::ScopeUnknown, &[&self.reason(why)]),
            Said::DoneAfterAsOf { done, as_of } => {
                self.fill(Msg::DoneAfterAsOf, &[&self.date(done), &self.date(as_of)])
            }
            Said::Outside { date, period } => self.fill(Msg::Outside, &[&self.date(date), &self.period(period)]),
            Said::NotAllIn { condition, yet } => {
                self.fill(if yet { Msg::NotAllInYet } else { Msg::NotAllIn }, &[&condition])
            }
            Said::MetSoFar(why) => self.fill(Msg::MetSoFar, &[&self.reason(why)]),
            Said::NotOver { period, as_of } => self.fill(Msg::NotOver, &[&self.period(period), &self.date(as_of)]),
        })
    }

    /// A period as the evaluator names it (`` `採暖期` ``, `2019`, `2019-07`, `2019-Q3`, the
    /// plan's), in this language: `採暖期`, `2019年`, `2019年7月`, `2019年第3季度`, `計劃期`.
    pub fn period(self, name: &str) -> String {
        if name == crate::eval::PLAN_PERIOD {
            return self.get(Msg::ThePlanPeriod).to_string();
        }
        if name == crate::eval::A_PERIOD {
            return self.get(Msg::ThePeriod).to_string();
        }
        if self.0 == Lang::En {
            return name.to_string();
        }
        if let Some(n) = name.strip_prefix('`').and_then(|n| n.strip_suffix('`')) {
            return n.to_string();
        }
        let number = |t: &str| t.parse::<u32>().ok().filter(|_| t.bytes().all(|b| b.is_ascii_digit()));
        match name.split_once('-') {
            None if number(name).is_some() => format!("{name}年"),
            Some((y, m)) if number(y).is_some() => match (number(m), m.strip_prefix('Q').and_then(number)) {
                (Some(m), _) => format!("{y}年{m}月"),
                (None, Some(q)) => format!("{y}年第{q}季度"),
                _ => name.to_string(),
            },
            _ => name.to_string(),
        }
    }

    /// The word for a status.
    pub fn status(self, s: Status) -> &'static str {
        self.get(status_key(s))
    }

    /// A date as a report in this language writes it: `2020-01-15`, or `2020年1月15日`.
    pub fn date(self, d: Date) -> String {
        match self.0 {
            Lang::En => d.to_string(),
            Lang::ZhHans | Lang::ZhHant => {
                let n = d.naive();
                use chrono::Datelike;
                format!("{}年{}月{}日", n.year(), n.month(), n.day())
            }
        }
    }

    /// Counts joined as a list (`3 violated, 2 overdue`; `違反3項，逾期未完成2項`).
    pub fn counts<'a>(self, items: impl IntoIterator<Item = (&'a str, usize)>) -> String {
        items
            .into_iter()
            .map(|(what, n)| self.fill(Msg::CountItem, &[&n, &what]))
            .collect::<Vec<_>>()
            .join(self.get(Msg::ListSep))
    }

    /// `text` padded with spaces to `width` columns, a Chinese character taking two.
    pub fn pad(self, text: &str, width: usize) -> String {
        let w = columns(text);
        format!("{text}{}", " ".repeat(width.saturating_sub(w)))
    }

    /// The width of the status column: the widest status word and a space.
    pub fn status_width(self) -> usize {
        Status::ALL.iter().map(|&s| columns(self.status(s))).max().unwrap_or(0) + 1
    }

    /// Columns a terminal gives `text`: two for a wide (East Asian) character, one for any other.
    pub fn columns(text: &str) -> usize {
        columns(text)
    }
}

/// The key of a status's word.
pub fn status_key(s: Status) -> Msg {
    match s {
        Status::Satisfied => Msg::Satisfied,
        Status::Violated => Msg::Violated,
        Status::Fulfilled => Msg::Fulfilled,
        Status::FulfilledLate => Msg::FulfilledLate,
        Status::Pending => Msg::Pending,
        Status::Overdue => Msg::Overdue,
        Status::Met => Msg::Met,
        Status::Missed => Msg::Missed,
        Status::Exempt => Msg::Exempt,
        Status::NotApplicable => Msg::NotApplicable,
        Status::Unknown => Msg::Unknown,
    }
}

/// Columns a terminal gives `text`: two for a wide (East Asian) character, one for any other.
fn columns(text: &str) -> usize {
    text.chars()
        .map(|c| match c as u32 {
            0x1100..=0x115F
            | 0x2E80..=0x303E
            | 0x3041..=0x33FF
            | 0x3400..=0x4DBF
            | 0x4E00..=0x9FFF
            | 0xA000..=0xA4CF
            | 0xAC00..=0xD7A3
            | 0xF900..=0xFAFF
            | 0xFE30..=0xFE4F
            | 0xFF00..=0xFF60
            | 0xFFE0..=0xFFE6 => 2,
            _ => 1,
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    /// `{0}`, `{1}` … a text uses.
    fn slots(text: &str) -> BTreeSet<usize> {
        text.split('{').skip(1).filter_map(|p| p.split('}').next()?.parse().ok()).collect()
    }

    #[test]
    fn every_key_in_every_language_once_with_the_same_slots() {
        for lang in Lang::ALL {
            let t = table(lang);
            for &key in Msg::ALL {
                let found: Vec<&str> = t.iter().filter(|(k, _)| *k == key).map(|(_, s)| *s).collect();
                assert_eq!(found.len(), 1, "{lang}: key {key:?} is there {} times", found.len());
                let english = EN.iter().find(|(k, _)| *k == key).map(|(_, s)| *s).unwrap_or_default();
                assert_eq!(slots(found[0]), slots(english), "{lang}: {key:?} `{}` against `{english}`", found[0]);
                assert!(!found[0].is_empty() || english.is_empty(), "{lang}: {key:?} is empty");
            }
            assert_eq!(t.len(), Msg::ALL.len(), "{lang}: a key appears twice");
        }
    }

    #[test]
    fn statuses_have_their_own_words() {
        for lang in Lang::ALL {
            let w = Words(lang);
            let words: BTreeSet<&str> = Status::ALL.iter().map(|&s| w.status(s)).collect();
            assert_eq!(words.len(), Status::ALL.len(), "{lang}: two statuses share a word");
        }
        // English keeps the codes of the JSON report, so a reader of both sees one vocabulary.
        for s in Status::ALL {
            assert_eq!(Words(Lang::En).status(s), s.name());
        }
    }

    #[test]
    fn english_words_the_evaluator_s_reasons_as_the_evaluator_does() {
        for said in Said::examples() {
            let text = said.text();
            assert_eq!(Words(Lang::En).reason(&text), text);
            let zh = Words(Lang::ZhHant).reason(&text);
            // A `given` condition is the plan's own expression, quoted as written.
            let quoted = matches!(said, Said::NotAllIn { .. });
            assert!(quoted || !zh.chars().any(|c| c.is_ascii_lowercase()) || zh.contains("where"), "{zh}");
        }
        assert_eq!(Words(Lang::ZhHant).reason("no 監測 records match"), "no 監測 records match");
        let zh = |t: &str| Words(Lang::ZhHant).reason(t).into_owned();
        assert_eq!(zh("2019-10-15 is outside `採暖期`"), "2019年10月15日不在採暖期內");
        assert_eq!(zh("2019-10-15 is outside the plan period"), "2019年10月15日不在計劃期內");
        assert_eq!(
            zh("met so far, but provisional: 2019-Q3 is not over as of 2019-08-01"),
            "目前達到要求，但尚屬暫定：截至2019年8月1日，2019年第3季度尚未結束"
        );
        assert_eq!(
            zh("cannot tell whether the subject is in scope: 區域[乙].總戶數 is missing"),
            "無法判斷對象是否在適用範圍內：缺少區域[乙].總戶數"
        );
        assert_eq!(Words(Lang::ZhHans).period("2019-07"), "2019年7月");
    }

    #[test]
    fn chinese_is_chinese_in_its_own_script() {
        // A few characters that differ between the scripts, each used by some text.
        let pairs = [('違', '违'), ('項', '项'), ('計', '计'), ('劃', '划'), ('條', '条'), ('據', '据')];
        let all = |t: &[(Msg, &str)]| t.iter().map(|(_, s)| *s).collect::<String>();
        let (hant, hans) = (all(ZH_HANT), all(ZH_HANS));
        for (trad, simp) in pairs {
            assert!(hant.contains(trad) && !hant.contains(simp), "zh-Hant: {trad}/{simp}");
            assert!(hans.contains(simp) && !hans.contains(trad), "zh-Hans: {trad}/{simp}");
        }
    }

    #[test]
    fn fill_dates_and_padding() {
        let w = Words(Lang::ZhHant);
        let d = Date::from_ymd(2020, 1, 5).unwrap();
        assert_eq!(w.date(d), "2020年1月5日");
        assert_eq!(Words(Lang::En).date(d), "2020-01-05");
        assert_eq!(w.fill(Msg::Title, &[&"計劃", &w.date(d)]), "計劃 — 截至2020年1月5日的核查結果");
        assert_eq!(Words(Lang::En).fill(Msg::Counts, &[&3, &"x {1} {9}"]), "3 verdicts: x {1} {9}");
        assert_eq!(w.counts([("違反", 3), ("符合", 10)]), "違反3項，符合10項");
        assert_eq!(w.pad("符合", 6), "符合  ");
        assert_eq!(w.status_width(), 11);
        assert_eq!(Words(Lang::En).status_width(), 15);
    }
}
