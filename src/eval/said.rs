//! The reasons the evaluator gives most often, written and read back in one place, so that a
//! report in another language can say them in its own words. A reason is text (the JSON
//! report's `reason`, in English); these are the ones a report recognises, whole: a reason with
//! anything added to it (`… for now: …`) is shown as the evaluator wrote it.

use crate::value::Date;

/// A reason the reports know how to say in each language.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Said<'a> {
    /// The clause's `where` filter leaves the subject out: why a verdict does not apply.
    ExcludedByWhere,
    /// A state target (`at DATE`) that did not hold on its day.
    NotMetOn(Date),
    /// A duty done, but not yet by its deadline.
    NotYetMetByDeadline(Date),
    /// A state target before its day, and whether it holds so far.
    JudgedOn { due: Date, as_of: Date, holds: bool },
    /// The exemption (`unless`) that applied, by name.
    ExemptUnder(&'a str),
    /// A value the facts do not give: `工業爐窯[示例窯-03].顆粒物`.
    Missing(&'a str),
    /// No record of a kind matched: the event has not happened.
    NoRecordMatches(&'a str),
    /// The clause's `where` filter could not be decided, for the reason given (itself said).
    ScopeUnknown(&'a str),
    /// A completion date later than the as-of date: not yet known then.
    DoneAfterAsOf { done: Date, as_of: Date },
    /// The as-of date is outside the clause's period, by name.
    Outside { date: Date, period: &'a str },
    /// A `given` condition that does not hold: the facts needed are not all in (`yet`: before
    /// the deadline).
    NotAllIn { condition: &'a str, yet: bool },
    /// A target met on a period that is not over, for the reason given (itself said).
    MetSoFar(&'a str),
    /// A period, by name, not over as of a date.
    NotOver { period: &'a str, as_of: Date },
}

const WHERE: &str = "excluded by the clause's `where` filter";
const NOT_MET: (&str, &str) = ("not met on ", ", the day it is judged");
const NOT_YET: &str = "not yet met as of the deadline ";
const JUDGED: (&str, &str) = ("a state judged on ", "; as of ");
const HOLDS: (&str, &str) = (" it holds", " it does not hold");
const EXEMPT: (&str, &str) = ("exempt under `", "`");
const MISSING: &str = " is missing";
const NO_RECORD: (&str, &str) = ("no ", " record matches");
const SCOPE: &str = "cannot tell whether the subject is in scope: ";
const DONE_AFTER: (&str, &str, &str) = ("recorded as done on ", ", after the as-of date ", ", so not yet counted");
const OUTSIDE: &str = " is outside ";
const NOT_ALL_IN: (&str, &str, &str) = ("the facts it needs are not all in: `", "` does not hold", " yet");
const MET_SO_FAR: &str = "met so far, but provisional: ";
const NOT_OVER: &str = " is not over as of ";

/// Whether `text` names a period as the evaluator does: `` `採暖期` ``, `2019`, `2019-Q3`, the
/// plan's period or a computed one.
fn period_name(text: &str) -> bool {
    let named = text.strip_prefix('`').and_then(|p| p.strip_suffix('`')).is_some_and(plain);
    named || text == PLAN_PERIOD || text == A_PERIOD || plain(text)
}

/// How the evaluator names the plan's period, and a period computed from dates.
pub const PLAN_PERIOD: &str = "the plan period";
pub const A_PERIOD: &str = "the period";

/// Whether `text` is a name as the evaluator writes one inside a reason: no spaces, and none
/// of the punctuation that joins the parts of a longer reason.
fn plain(text: &str) -> bool {
    !text.is_empty() && !text.contains([' ', ':', ';', '`'])
}

impl Said<'_> {
    /// The reason as the evaluator writes it.
    pub fn text(&self) -> String {
        match self {
            Said::ExcludedByWhere => WHERE.to_string(),
            Said::NotMetOn(d) => format!("{}{d}{}", NOT_MET.0, NOT_MET.1),
            Said::NotYetMetByDeadline(d) => format!("{NOT_YET}{d}"),
            Said::JudgedOn { due, as_of, holds } => {
                format!("{}{due}{}{as_of}{}", JUDGED.0, JUDGED.1, if *holds { HOLDS.0 } else { HOLDS.1 })
            }
            Said::ExemptUnder(name) => format!("{}{name}{}", EXEMPT.0, EXEMPT.1),
            Said::Missing(what) => format!("{what}{MISSING}"),
            Said::NoRecordMatches(kind) => format!("{}{kind}{}", NO_RECORD.0, NO_RECORD.1),
            Said::ScopeUnknown(why) => format!("{SCOPE}{why}"),
            Said::DoneAfterAsOf { done, as_of } => {
                format!("{}{done}{}{as_of}{}", DONE_AFTER.0, DONE_AFTER.1, DONE_AFTER.2)
            }
            Said::Outside { date, period } => format!("{date}{OUTSIDE}{period}"),
            Said::NotAllIn { condition, yet } => {
                format!("{}{condition}{}{}", NOT_ALL_IN.0, NOT_ALL_IN.1, if *yet { NOT_ALL_IN.2 } else { "" })
            }
            Said::MetSoFar(why) => format!("{MET_SO_FAR}{why}"),
            Said::NotOver { period, as_of } => format!("{period}{NOT_OVER}{as_of}"),
        }
    }
}

impl<'a> Said<'a> {
    /// The reason `text` is, if it is one of these, whole.
    pub fn read(text: &'a str) -> Option<Said<'a>> {
        if text == WHERE {
            return Some(Said::ExcludedByWhere);
        }
        if let Some(d) = text.strip_prefix(NOT_MET.0).and_then(|t| t.strip_suffix(NOT_MET.1)) {
            return Date::parse_iso(d).map(Said::NotMetOn);
        }
        if let Some(d) = text.strip_prefix(NOT_YET) {
            return Date::parse_iso(d).map(Said::NotYetMetByDeadline);
        }
        if let Some(rest) = text.strip_prefix(JUDGED.0) {
            let (due, rest) = rest.split_once(JUDGED.1)?;
            let (as_of, holds) = match rest.strip_suffix(HOLDS.0) {
                Some(a) => (a, true),
                None => (rest.strip_suffix(HOLDS.1)?, false),
            };
            return Some(Said::JudgedOn { due: Date::parse_iso(due)?, as_of: Date::parse_iso(as_of)?, holds });
        }
        if let Some(name) = text.strip_prefix(EXEMPT.0).and_then(|t| t.strip_suffix(EXEMPT.1)) {
            return (!name.contains('`')).then_some(Said::ExemptUnder(name));
        }
        if let Some(why) = text.strip_prefix(SCOPE) {
            return Some(Said::ScopeUnknown(why));
        }
        if let Some(why) = text.strip_prefix(MET_SO_FAR) {
            return Some(Said::MetSoFar(why));
        }
        if let Some(rest) = text.strip_prefix(DONE_AFTER.0) {
            let (done, rest) = rest.split_once(DONE_AFTER.1)?;
            let as_of = rest.strip_suffix(DONE_AFTER.2)?;
            return Some(Said::DoneAfterAsOf { done: Date::parse_iso(done)?, as_of: Date::parse_iso(as_of)? });
        }
        if let Some(rest) = text.strip_prefix(NOT_ALL_IN.0) {
            let (rest, yet) = match rest.strip_suffix(NOT_ALL_IN.2) {
                Some(r) => (r, true),
                None => (rest, false),
            };
            let condition = rest.strip_suffix(NOT_ALL_IN.1)?;
            return (!condition.contains('`')).then_some(Said::NotAllIn { condition, yet });
        }
        if let Some(kind) = text.strip_prefix(NO_RECORD.0).and_then(|t| t.strip_suffix(NO_RECORD.1)) {
            return plain(kind).then_some(Said::NoRecordMatches(kind));
        }
        if let Some(what) = text.strip_suffix(MISSING) {
            return plain(what).then_some(Said::Missing(what));
        }
        if let Some((date, period)) = text.split_once(OUTSIDE) {
            return period_name(period).then_some(Said::Outside { date: Date::parse_iso(date)?, period });
        }
        let (period, as_of) = text.split_once(NOT_OVER)?;
        period_name(period).then_some(())?;
        Some(Said::NotOver { period, as_of: Date::parse_iso(as_of)? })
    }
}

#[cfg(test)]
impl Said<'static> {
    /// One reason of each shape (and both outcomes of a state judged so far), for tests.
    pub(crate) fn examples() -> [Said<'static>; 16] {
        let d = Date::from_ymd(2019, 12, 31).expect("a day");
        let e = Date::from_ymd(2019, 10, 15).expect("a day");
        [
            Said::ExcludedByWhere,
            Said::NotMetOn(d),
            Said::NotYetMetByDeadline(d),
            Said::JudgedOn { due: d, as_of: e, holds: true },
            Said::JudgedOn { due: d, as_of: e, holds: false },
            Said::ExemptUnder("錯峰豁免"),
            Said::Missing("工業爐窯[示例窯-03].顆粒物"),
            Said::NoRecordMatches("煙羽治理"),
            Said::ScopeUnknown("清潔取暖區域[示例郊區農村地區].總戶數 is missing"),
            Said::DoneAfterAsOf { done: d, as_of: e },
            Said::Outside { date: e, period: "`採暖期`" },
            Said::Outside { date: e, period: "the plan period" },
            Said::NotAllIn { condition: "count(監測 during 2019) >= 12", yet: true },
            Said::NotAllIn { condition: "count(監測 during 2019) >= 12", yet: false },
            Said::MetSoFar("2019 is not over as of 2019-10-15"),
            Said::NotOver { period: "2019-Q3", as_of: e },
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_reason_reads_back_as_itself_and_nothing_else_does() {
        let all = Said::examples();
        for s in &all {
            let text = s.text();
            assert_eq!(Said::read(&text).as_ref(), Some(s), "{text}");
            // Anything added makes it a reason of its own: shown as written, or (a reason that
            // gives another reason) with the other reason said differently.
            let more = format!("{text} for now: 2019 is not over");
            assert_ne!(Said::read(&more).as_ref(), Some(s), "{more}");
            if !matches!(s, Said::ScopeUnknown(_) | Said::MetSoFar(_)) {
                assert_eq!(Said::read(&more), None, "{more}");
            }
        }
        assert_eq!(Said::read("a state judged on 2019-12-31; as of 2019-10-15: no 監測 records match"), None);
        assert_eq!(Said::read("not met on tuesday, the day it is judged"), None);
    }
}
