//! Resolution and type checking. Every error is collected; checking goes on with `Ty::Error`
//! nodes so that one mistake does not hide the next.

mod aggregates;
mod calls;
mod clauses;
mod decls;
mod derived;
mod exprs;
mod names;
mod outline;
mod rules;
mod tables;
mod test_blocks;
mod typing;

pub use names::did_you_mean;
use typing::compatible;

use super::ir::*;
use super::types::*;
use crate::diagnostic::{Diagnostic, Span};
use crate::status::Status;
use crate::syntax::ast::{self, BinOp, DeadlineKind, ExprKind, Item, Modality, UnOp};
use crate::units::Unit;
use crate::value::{Date, Value};
use rust_decimal::Decimal;
use std::collections::HashMap;
use std::sync::Arc;

/// Checks a policy package: its files' modules, in a stable order.
/// `incomplete` says that some file of the package did not parse: its declarations are missing,
/// so a missing plan is not reported and unresolved names say why they may be unresolved.
pub fn check(files: &[(Arc<str>, &ast::Module)], incomplete: bool) -> (Model, Vec<Diagnostic>) {
    check_with_budget(files, incomplete, SUGGESTION_BUDGET)
}

fn check_with_budget(files: &[(Arc<str>, &ast::Module)], incomplete: bool, budget: usize) -> (Model, Vec<Diagnostic>) {
    let mut c = Checker { incomplete, suggestion_budget: budget.into(), ..Checker::default() };
    c.collect(files);
    c.run(files);
    let mut diags = c.diags;
    diags.extend(super::confusable::confusable_names(files));
    script_variants(&mut diags);
    if incomplete {
        for d in diags.iter_mut().filter(|d| d.code.starts_with("unknown-")) {
            let help = d.help.take().unwrap_or_default();
            d.help = Some(format!(
                "{help} (a file of this package has a syntax error, so its declarations are not seen yet)"
            ));
        }
    }
    diags.sort_by(|a, b| (a.file.as_ref(), a.primary_span()).cmp(&(b.file.as_ref(), b.primary_span())));
    (c.model, diags)
}

/// Turns an unknown name whose suggestion is the same name in the other Chinese script
/// (`工业炉窑` for a declared `工業爐窯`) into `script-variant`, which says so. Names in a
/// policy match exactly: a package is written in one script, and the fix is the declared
/// spelling. (Fact files may use either script; see `facts`.)
fn script_variants(diags: &mut [Diagnostic]) {
    for d in diags.iter_mut().filter(|d| d.code.starts_with("unknown-")) {
        let Some(declared) = d.help.as_deref().and_then(|h| h.strip_prefix("did you mean `")?.strip_suffix("`?"))
        else {
            continue;
        };
        // The unknown name is the first name in backticks in the message that folds to the
        // suggestion.
        let Some(written) = d.message.split('`').skip(1).step_by(2).find(|w| crate::script::same_folded(w, declared))
        else {
            continue;
        };
        let scripts = match crate::script::script_of(written, declared) {
            Some("Simplified") => " (written in Simplified script, declared in Traditional)",
            Some(_) => " (written in Traditional script, declared in Simplified)",
            None => " (the same name in another script)",
        };
        let (written, declared) = (written.to_string(), declared.to_string());
        d.code = "script-variant";
        if let Some(l) = d.labels.first_mut() {
            l.message = format!("`{declared}` in the other script");
        }
        d.message = format!("written `{written}`, declared `{declared}`{scripts}");
        d.help = Some(format!(
            "write `{declared}`, as declared: names in a policy match exactly, so that a package keeps to \
             one script (fact files may use either)"
        ));
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum DeclKind {
    Plan,
    Party,
    Group,
    Unit,
    Enum,
    Record,
    Period,
    Calendar,
    Sanction,
    Rule,
    Table,
    Clause,
}

impl DeclKind {
    /// The noun with its article: `a party`, `an enum`.
    fn a(self) -> String {
        let n = self.noun();
        if n.starts_with(['a', 'e', 'i', 'o', 'u']) { format!("an {n}") } else { format!("a {n}") }
    }

    fn noun(self) -> &'static str {
        match self {
            DeclKind::Plan => "plan",
            DeclKind::Party => "party",
            DeclKind::Group => "group",
            DeclKind::Unit => "unit",
            DeclKind::Enum => "enum",
            DeclKind::Record => "record kind",
            DeclKind::Period => "period",
            DeclKind::Calendar => "calendar",
            DeclKind::Sanction => "sanction",
            DeclKind::Rule => "rule",
            DeclKind::Table => "table",
            DeclKind::Clause => "clause",
        }
    }
}

#[derive(Clone)]
struct Local {
    name: String,
    slot: u32,
    ty: Ty,
    unit: Option<Unit>,
}

#[derive(Default)]
struct Checker {
    incomplete: bool,
    model: Model,
    diags: Vec<Diagnostic>,
    /// Every top-level name: kind, index within its kind, origin.
    names: HashMap<String, (DeclKind, u32, Origin)>,
    /// The file being checked.
    file: Arc<str>,
    locals: Vec<Local>,
    next_slot: u32,
    max_slot: u32,
    /// Implicit records of enclosing aggregates: their fields are in scope by bare name.
    implicit: Vec<(u32, RecordId)>,
    /// Rule checking state: 0 = not yet, 1 = in progress, 2 = done.
    rule_state: Vec<u8>,
    rule_asts: Vec<(Arc<str>, ast::Rule)>,
    /// Clause → clauses whose verdicts it reads.
    clause_deps: Vec<Vec<(String, Span)>>,
    /// How many names of each kind are declared so far: the index of the next one.
    kind_counts: HashMap<DeclKind, u32>,
    /// Positions of declarations by name in the model's vectors, one map per kind, filled
    /// lazily by [`Checker::find`] with the entries pushed since its last call. A scan per
    /// reference made checking quadratic in the number of declarations.
    positions: std::cell::RefCell<HashMap<DeclKind, Positions>>,
    /// Every enum variant by name: the enums (and positions within them) that declare it.
    variant_index: HashMap<String, Vec<(EnumId, u32)>>,
    /// Candidate names the did-you-mean search may still compare (see [`SUGGESTION_BUDGET`]).
    suggestion_budget: std::cell::Cell<usize>,
}

/// How many entries of one kind's model vector are indexed, and their positions by name.
type Positions = (usize, HashMap<String, u32>);

/// How many candidate names the did-you-mean searches of one package may compare in all. Each
/// search compares the unknown name with every declaration of the kinds it could be, so a
/// package with many unknown names and many declarations would take time growing with their
/// product; once the budget is spent, later diagnostics keep their generic help line.
pub const SUGGESTION_BUDGET: usize = 1_000_000;

fn origin(file: &Arc<str>, span: Span) -> Origin {
    Origin { file: file.clone(), span }
}

impl Checker {
    pub(super) fn err(
        &mut self,
        code: &'static str,
        span: Span,
        msg: impl Into<String>,
        help: impl Into<String>,
    ) -> &mut Diagnostic {
        let d = Diagnostic::error(code, &self.file, span, msg).with_help(help);
        self.diags.push(d);
        self.diags.last_mut().expect("just pushed")
    }

    // ------------------------------------------------------------------ declarations

    pub(super) fn run(&mut self, files: &[(Arc<str>, &ast::Module)]) {
        // Pass 1: declarations that other declarations use, in dependency order.
        let order: [fn(&Item) -> bool; 10] = [
            |i| matches!(i, Item::Unit(_)),
            |i| matches!(i, Item::Party(_)),
            |i| matches!(i, Item::Group(_)),
            |i| matches!(i, Item::Calendar(_)),
            |i| matches!(i, Item::Plan(_)),
            |i| matches!(i, Item::Enum(_)),
            |i| matches!(i, Item::Period(_)),
            |i| matches!(i, Item::Sanction(_)),
            |i| matches!(i, Item::Record(_)),
            |i| matches!(i, Item::Rule(_) | Item::Table(_)),
        ];
        // Records are declared in two steps (names first) so fields may reference later kinds.
        for (file, module) in files {
            for item in &module.items {
                if let Item::Record(r) = item {
                    self.model.records.push(RecordDecl {
                        name: r.name.text.clone(),
                        label: r.label.as_ref().map(|s| s.text.clone()),
                        fields: vec![],
                        key: 0,
                        keyless: r.key.is_none(),
                        derived: r.derive.is_some(),
                        source: None,
                        dated: None,
                        origin: origin(file, r.name.span),
                    });
                }
            }
        }
        let mut record_idx = 0;
        for pick in order {
            for (file, module) in files {
                self.file = file.clone();
                for item in module.items.iter().filter(|i| pick(i)) {
                    match item {
                        Item::Unit(u) => self.unit_decl(u),
                        Item::Party(p) => self.model.parties.push(PartyDecl {
                            name: p.name.text.clone(),
                            full_name: p.full_name.as_ref().map(|s| s.text.clone()),
                            origin: origin(file, p.name.span),
                        }),
                        Item::Group(g) => self.group(g),
                        Item::Calendar(c) => self.calendar(c),
                        Item::Plan(p) => self.plan(p),
                        Item::Enum(e) => self.enum_decl(e),
                        Item::Period(p) => self.period(p),
                        Item::Sanction(s) => self.model.sanctions.push(SanctionDecl {
                            name: s.name.text.clone(),
                            text: s.text.as_ref().map(|t| t.text.clone()),
                            origin: origin(file, s.name.span),
                        }),
                        Item::Record(r) => {
                            // A derived record's fields come from its expressions, checked
                            // once every plain record is (`derived_records`).
                            if r.derive.is_none() {
                                self.record(record_idx, r);
                            }
                            record_idx += 1;
                        }
                        Item::Rule(r) => {
                            self.rule_asts.push((file.clone(), r.clone()));
                        }
                        Item::Table(_) => {}
                        _ => {}
                    }
                }
            }
        }
        // Rules are checked on demand (a rule may call a later one); tables in order.
        self.rule_state = vec![0; self.rule_asts.len()];
        self.model.rules = Vec::with_capacity(self.rule_asts.len());
        let mut placeholder = Vec::new();
        for (file, r) in &self.rule_asts {
            placeholder.push(RuleDef {
                name: r.name.text.clone(),
                label: None,
                cite: None,
                params: vec![],
                lets: vec![],
                body: error_expr(r.span),
                slots: 0,
                origin: origin(file, r.name.span),
            });
        }
        self.model.rules = placeholder;
        self.derived_records(files);
        for i in 0..self.rule_asts.len() {
            self.check_rule(i);
        }
        for (file, module) in files {
            self.file = file.clone();
            for item in &module.items {
                if let Item::Table(t) = item {
                    self.table(t);
                }
            }
        }
        // Pass 2: clauses, then tests.
        let mut clauses = Vec::new();
        for (file, module) in files {
            self.file = file.clone();
            for item in &module.items {
                if let Item::Clause(c) = item {
                    self.clause_deps.push(vec![]);
                    clauses.push(self.clause(c));
                }
            }
        }
        self.model.clauses = self.order_clauses(clauses);
        self.outline(files);
        for (file, module) in files {
            self.file = file.clone();
            for item in &module.items {
                if let Item::Test(t) = item
                    && let Some(t) = self.test(t)
                {
                    self.model.tests.push(t);
                }
            }
        }
    }
}

/// `+08:00`, `-05:30`, `UTC+8` → seconds east of UTC.
pub(super) fn parse_offset(s: &str) -> Option<i32> {
    let s = s.trim().trim_start_matches("UTC").trim_start_matches("GMT");
    let (sign, rest) = match s.chars().next()? {
        '+' => (1, &s[1..]),
        '-' => (-1, &s[1..]),
        _ => return None,
    };
    let (h, m) = match rest.split_once(':') {
        Some((h, m)) => (h.parse::<i32>().ok()?, m.parse::<i32>().ok()?),
        None => (rest.parse::<i32>().ok()?, 0),
    };
    ((0..=14).contains(&h) && (0..60).contains(&m)).then_some(sign * (h * 3600 + m * 60))
}

/// User input quoted in a message: at most 40 characters, the rest counted.
pub(super) fn clip(s: &str) -> String {
    let n = s.chars().count();
    if n <= 40 { s.to_string() } else { format!("{}… ({n} characters)", s.chars().take(32).collect::<String>()) }
}

pub(super) fn plural_args(n: &std::ops::RangeInclusive<usize>) -> String {
    match (*n.start(), *n.end()) {
        (1, 1) => "1 argument".into(),
        (a, b) if a == b => format!("{a} arguments"),
        (a, b) => format!("{a} to {b} arguments"),
    }
}

/// Visits every sub-expression.
pub fn walk(e: &TExpr, f: &mut impl FnMut(&TExpr)) {
    f(e);
    match &e.kind {
        TKind::Const(_) | TKind::Local(_) | TKind::Today => {}
        TKind::Field(b, _, _) | TKind::Unary(_, b) | TKind::Exists(b) => walk(b, f),
        TKind::Binary(_, a, b) | TKind::Change(a, b) | TKind::Round(a, b, _) | TKind::DateShift(a, b, _) => {
            walk(a, f);
            walk(b, f);
        }
        TKind::List(xs) | TKind::Rule(_, xs) | TKind::Table(_, xs) => xs.iter().for_each(|x| walk(x, f)),
        TKind::If(a, b, c) => {
            walk(a, f);
            walk(b, f);
            walk(c, f);
        }
        TKind::Match(s, arms) => {
            walk(s, f);
            arms.iter().for_each(|(_, x)| walk(x, f));
        }
        TKind::Aggregate(a) => {
            a.value.iter().chain(a.filter.iter()).chain(a.empty.iter()).for_each(|x| walk(x, f));
            a.index.iter().for_each(|(_, x)| walk(x, f));
        }
        TKind::ClauseStatus { subject, .. } => walk(subject, f),
        TKind::Interval(_, x, arg) => {
            walk(x, f);
            if let Some(a) = arg {
                walk(a, f);
            }
        }
    }
}

pub(super) fn error_expr(span: Span) -> TExpr {
    TExpr { kind: TKind::Const(Value::Bool(false)), ty: Ty::Error, unit: None, span }
}

pub(super) fn duration_unit(u: &str) -> Option<DurationUnit> {
    Some(match u {
        "day" | "days" | "日" | "天" => DurationUnit::Day,
        "week" | "weeks" | "週" | "周" => DurationUnit::Week,
        "month" | "months" | "個月" | "月" => DurationUnit::Month,
        "year" | "years" | "年" => DurationUnit::Year,
        "workday" | "workdays" | "工作日" | "個工作日" => DurationUnit::Workday,
        _ => return None,
    })
}

/// A literal as written, rebuilt from the AST (the checker never reads file text).
pub(super) fn literal_text(e: &ast::Expr) -> String {
    match &e.kind {
        ExprKind::Number(n) | ExprKind::Date(n) | ExprKind::DateTime(n) => n.clone(),
        ExprKind::Percent(n) => format!("{n}%"),
        ExprKind::Quantity { amount, unit } => format!("{amount} {}", unit.text),
        _ => "the value".into(),
    }
}

/// A number as written in a policy, exactly: `30`, `0.5`, `1.5e3`. A plain number keeps its
/// written scale (`30.0` is shown as written); one with more digits than a decimal holds, or
/// an exponent past its range, is `None`, never rounded.
pub(super) fn policy_number(text: &str) -> Option<Decimal> {
    if text.contains(['e', 'E']) { crate::facts::exact_decimal(text) } else { Decimal::from_str_exact(text).ok() }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every unknown name is compared with every declaration it could be, for a did-you-mean:
    /// with many of both that was quadratic. The searches share a budget of comparisons; once it
    /// is spent, the later diagnostics keep their generic help. Which ones get a suggestion
    /// depends only on the package, never on timing.
    #[test]
    fn did_you_mean_searches_share_a_budget() {
        const PARTIES: usize = 101;
        const UNKNOWN: usize = 120;
        const BUDGET: usize = 5_000;
        let mut text = String::from("plan p \"t\" { period 2019-01-01 .. 2019-12-31 roles lead \"牽頭\" }\n");
        for i in 0..PARTIES {
            text.push_str(&format!("party 部門{i}\n"));
        }
        for i in 0..UNKNOWN {
            text.push_str(&format!("clause c{i} \"t\" {{ cite \"1\" \"x\" lead 部門{i}x must 1 < 2 }}\n"));
        }
        let file: Arc<str> = Arc::from("p.writ");
        let (module, syntax) = crate::syntax::parse(&file, &text);
        assert!(syntax.is_empty(), "{syntax:?}");
        let (_, diags) = check_with_budget(&[(file, &module)], false, BUDGET);
        assert_eq!(diags.len(), UNKNOWN);
        assert!(diags.iter().all(|d| d.code == "unknown-party"), "{diags:?}");
        let help = |d: &Diagnostic| d.help.clone().unwrap();
        // `部門{i}x` is one edit from `部門{i}` while that party exists.
        let suggested = diags.iter().take_while(|d| help(d).starts_with("did you mean")).count();
        // A search runs whole while any budget is left: 50 searches of 101 candidates.
        assert_eq!(suggested, BUDGET.div_ceil(PARTIES));
        assert_eq!(help(&diags[0]), "did you mean `部門0`?");
        for d in &diags[suggested..] {
            assert!(help(d).starts_with("declare it: `party 部門"), "{}", help(d));
        }
    }
}
