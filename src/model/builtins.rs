//! The functions writ provides, in one table. The checker resolves calls by it, "did you mean"
//! suggests from it, messages take each one's form from it, and a test holds the README's
//! language reference to it, so the lists cannot drift apart.

use super::ir::AggFunc;

/// A built-in function.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Builtin {
    pub name: &'static str,
    /// How a call is written, as messages show it.
    pub form: &'static str,
    /// For an aggregate over records: which one. Only aggregates take `where`, `during` and
    /// `, empty VALUE`.
    pub aggregate: Option<AggFunc>,
    /// What it gives, in a line.
    pub summary: &'static str,
}

const fn aggregate(name: &'static str, form: &'static str, f: AggFunc, summary: &'static str) -> Builtin {
    Builtin { name, form, aggregate: Some(f), summary }
}

const fn function(name: &'static str, form: &'static str, summary: &'static str) -> Builtin {
    Builtin { name, form, aggregate: None, summary }
}

/// Every built-in function, aggregates first.
pub const BUILTINS: &[Builtin] = &[
    aggregate("count", "count(KIND where FILTER during PERIOD)", AggFunc::Count, "how many records match"),
    aggregate("sum", "sum(KIND.field where FILTER during PERIOD)", AggFunc::Sum, "the total of a field"),
    aggregate("mean", "mean(KIND.field where FILTER during PERIOD)", AggFunc::Mean, "the mean of a field"),
    aggregate("min", "min(KIND.field where FILTER during PERIOD)", AggFunc::Min, "the least value of a field"),
    aggregate("max", "max(KIND.field where FILTER during PERIOD)", AggFunc::Max, "the greatest value of a field"),
    aggregate(
        "share",
        "share(KIND where FILTER, CONDITION)",
        AggFunc::Share,
        "the share of the records that meet a condition",
    ),
    aggregate(
        "percentile",
        "percentile(KIND.field where FILTER during PERIOD, P%)",
        AggFunc::Percentile,
        "the P-th percentile of a field, by HJ 663-2013 (linear between ranks)",
    ),
    function("change", "change(NEW, OLD)", "(NEW − OLD) / OLD, as a percentage"),
    function("round", "round(x, STEP)", "x rounded to a multiple of STEP by GB/T 8170 (half to even)"),
    function("ceil", "ceil(x, STEP)", "x rounded up to a multiple of STEP (HJ 633: index values 進位取整)"),
    function("exists", "exists(x.field)", "whether an optional field has a value"),
    function("violated", "violated(CLAUSE, subject)", "whether a verdict of the clause on the subject is a breach"),
    function("fulfilled", "fulfilled(CLAUSE, subject)", "whether a verdict of the clause on the subject is met"),
    function("today", "today()", "the evaluation date"),
    function("day", "m.day(N)", "the N-th day of a month bound by `every month m`"),
    function("date", "date(t)", "the day a datetime falls on"),
    function("hour", "hour(t)", "the hour of a datetime, 0 to 23 (the hour that begins then)"),
    function("year", "year(d)", "the year of a date or datetime"),
    function("month", "month(d)", "the month of a date or datetime, 1 to 12"),
];

/// The built-in function with this name.
pub fn builtin(name: &str) -> Option<&'static Builtin> {
    BUILTINS.iter().find(|b| b.name == name)
}

/// The aggregate with this name, if it is one.
pub fn aggregate_named(name: &str) -> Option<AggFunc> {
    builtin(name).and_then(|b| b.aggregate)
}

/// Whether `name` is an aggregate, which alone takes `where`, `during` and `, empty VALUE`.
pub fn is_aggregate(name: &str) -> bool {
    aggregate_named(name).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_aggregate_is_named_as_its_function_names_itself() {
        for b in BUILTINS {
            if let Some(f) = b.aggregate {
                assert_eq!(f.name(), b.name);
                assert!(b.form.starts_with(b.name), "{}", b.form);
            }
        }
        let names: std::collections::HashSet<_> = BUILTINS.iter().map(|b| b.name).collect();
        assert_eq!(names.len(), BUILTINS.len(), "a name listed twice");
    }

    /// The README's language reference names every built-in, as a call.
    #[test]
    fn the_readme_names_every_builtin() {
        let readme = include_str!("../../README.md");
        for b in BUILTINS {
            assert!(
                readme.contains(&format!("{}(", b.name)),
                "README.md does not show `{}` ({}) being called",
                b.name,
                b.form
            );
        }
    }
}
