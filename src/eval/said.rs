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
}

const WHERE: &str = "excluded by the clause's `where` filter";
const NOT_MET: (&str, &str) = ("not met on ", ", the day it is judged");
const NOT_YET: &str = "not yet met as of the deadline ";
const JUDGED: (&str, &str) = ("a state judged on ", "; as of ");
const HOLDS: (&str, &str) = (" it holds", " it does not hold");
const EXEMPT: (&str, &str) = ("exempt under `", "`");

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
        let name = text.strip_prefix(EXEMPT.0)?.strip_suffix(EXEMPT.1)?;
        (!name.contains('`')).then_some(Said::ExemptUnder(name))
    }
}

#[cfg(test)]
impl Said<'static> {
    /// One reason of each shape (and both outcomes of a state judged so far), for tests.
    pub(crate) fn examples() -> [Said<'static>; 6] {
        let d = Date::from_ymd(2019, 12, 31).expect("a day");
        let e = Date::from_ymd(2019, 10, 15).expect("a day");
        [
            Said::ExcludedByWhere,
            Said::NotMetOn(d),
            Said::NotYetMetByDeadline(d),
            Said::JudgedOn { due: d, as_of: e, holds: true },
            Said::JudgedOn { due: d, as_of: e, holds: false },
            Said::ExemptUnder("錯峰豁免"),
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
            // Anything added makes it a reason of its own, shown as written.
            assert_eq!(Said::read(&format!("{text} for now: 2019 is not over")), None, "{text}");
        }
        assert_eq!(Said::read("a state judged on 2019-12-31; as of 2019-10-15: no 監測 records match"), None);
        assert_eq!(Said::read("not met on tuesday, the day it is judged"), None);
    }
}
