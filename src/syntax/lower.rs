//! pest pairs → AST. Relies on the grammar's shape; each `expect` names the invariant.

use super::Rule;
use super::ast::*;
use crate::diagnostic::Span;
use pest::iterators::{Pair, Pairs};
use pest::pratt_parser::{Assoc, Op, PrattParser};
use std::sync::LazyLock;

type P<'a> = Pair<'a, Rule>;

static PRATT: LazyLock<PrattParser<Rule>> = LazyLock::new(|| {
    PrattParser::new()
        .op(Op::infix(Rule::op_or, Assoc::Left))
        .op(Op::infix(Rule::op_and, Assoc::Left))
        .op(Op::prefix(Rule::op_not))
        .op(Op::infix(Rule::op_eq, Assoc::Left)
            | Op::infix(Rule::op_ne, Assoc::Left)
            | Op::infix(Rule::op_lt, Assoc::Left)
            | Op::infix(Rule::op_le, Assoc::Left)
            | Op::infix(Rule::op_gt, Assoc::Left)
            | Op::infix(Rule::op_ge, Assoc::Left)
            | Op::infix(Rule::op_in, Assoc::Left)
            | Op::infix(Rule::op_not_in, Assoc::Left))
        .op(Op::infix(Rule::op_add, Assoc::Left) | Op::infix(Rule::op_sub, Assoc::Left))
        .op(Op::infix(Rule::op_mul, Assoc::Left) | Op::infix(Rule::op_div, Assoc::Left))
        .op(Op::prefix(Rule::op_neg))
});

fn span(p: &P) -> Span {
    let s = p.as_span();
    Span::new(s.start(), s.end())
}

fn name(p: P) -> Name {
    Name { text: p.as_str().to_string(), span: span(&p) }
}

fn string(p: P) -> Str {
    let sp = span(&p);
    let inner = p.into_inner().next().expect("grammar: string has a body");
    let raw = inner.as_str();
    let text = if inner.as_rule() == Rule::str_ascii { unescape(raw) } else { raw.to_string() };
    Str { text, span: sp }
}

fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('n') => out.push('\n'),
                Some('t') => out.push('\t'),
                Some(c) => out.push(c),
                None => {}
            }
        } else {
            out.push(c);
        }
    }
    out
}

fn date(p: P) -> DateLit {
    DateLit { text: p.as_str().to_string(), span: span(&p) }
}

fn date_range(p: P) -> (DateLit, DateLit) {
    let mut it = p.into_inner();
    let a = date(it.next().expect("grammar: range has a start"));
    let b = match it.next() {
        // `2019-10-01 ..`: open-ended; the last day writ can represent stands for "no end".
        Some(e) if e.as_rule() == Rule::open_end => DateLit { text: "9999-12-31".into(), span: span(&e) },
        Some(e) => date(e),
        None => a.clone(),
    };
    (a, b)
}

fn ident_list(p: P) -> Vec<Name> {
    p.into_inner().map(name).collect()
}

pub(super) fn module(file: P) -> Module {
    let mut items = Vec::new();
    for p in file.into_inner() {
        let item = match p.as_rule() {
            Rule::EOI => continue,
            Rule::plan => Item::Plan(plan(p)),
            Rule::party => {
                let sp = span(&p);
                let mut it = keyword_free(p);
                let n = name(it.next().expect("grammar: party has a name"));
                Item::Party(Party { name: n, full_name: it.next().map(string), span: sp })
            }
            Rule::group => {
                let sp = span(&p);
                let mut g =
                    Group { name: Name { text: String::new(), span: sp }, full_name: None, members: vec![], span: sp };
                for c in keyword_free(p) {
                    match c.as_rule() {
                        Rule::ident => g.name = name(c),
                        Rule::string => g.full_name = Some(string(c)),
                        Rule::ident_list => g.members = ident_list(c),
                        r => unreachable!("grammar: group part {r:?}"),
                    }
                }
                Item::Group(g)
            }
            Rule::unit_decl => Item::Unit(unit_decl(p)),
            Rule::enum_decl => {
                let sp = span(&p);
                let mut e =
                    EnumDecl { name: Name { text: String::new(), span: sp }, label: None, variants: vec![], span: sp };
                let mut first = true;
                for c in p.into_inner() {
                    match c.as_rule() {
                        Rule::kw_enum => {}
                        Rule::ident if first => {
                            e.name = name(c);
                            first = false;
                        }
                        Rule::ident => e.variants.push(name(c)),
                        Rule::string => e.label = Some(string(c)),
                        r => unreachable!("grammar: enum part {r:?}"),
                    }
                }
                Item::Enum(e)
            }
            Rule::record => Item::Record(record(p)),
            Rule::import => {
                let sp = span(&p);
                let name = string(keyword_free(p).next().expect("grammar: import names a package"));
                Item::Import(Import { name, span: sp })
            }
            Rule::period => {
                let sp = span(&p);
                let mut it = p.into_inner().filter(|c| c.as_rule() != Rule::kw_period);
                let n = name(it.next().expect("grammar: period has a name"));
                let mut per = Period { name: n, label: None, ranges: vec![], span: sp };
                for c in it {
                    match c.as_rule() {
                        Rule::string => per.label = Some(string(c)),
                        Rule::date_range => per.ranges.push(date_range(c)),
                        r => unreachable!("grammar: period part {r:?}"),
                    }
                }
                Item::Period(per)
            }
            Rule::calendar => Item::Calendar(calendar(p)),
            Rule::sanction => {
                let sp = span(&p);
                let mut it = p.into_inner().filter(|c| c.as_rule() != Rule::kw_sanction);
                let n = name(it.next().expect("grammar: sanction has a name"));
                Item::Sanction(Sanction { name: n, text: it.next().map(string), span: sp })
            }
            Rule::rule => Item::Rule(rule(p)),
            Rule::table => Item::Table(table(p)),
            Rule::clause => Item::Clause(clause(p)),
            Rule::test => Item::Test(test(p)),
            Rule::outline => {
                let sp = span(&p);
                let mut o = Outline { title: None, entries: vec![], span: sp };
                for c in keyword_free(p) {
                    match c.as_rule() {
                        Rule::string => o.title = Some(string(c)),
                        Rule::outline_entry => {
                            let mut e = c.into_inner();
                            let number = string(e.next().expect("grammar: outline number"));
                            o.entries.push((number, e.next().map(string)));
                        }
                        r => unreachable!("grammar: outline part {r:?}"),
                    }
                }
                Item::Outline(o)
            }
            Rule::untestable => {
                let sp = span(&p);
                let mut it = keyword_free(p).map(string);
                let mut next = || it.next().expect("grammar: untestable has three texts");
                Item::Untestable(Untestable { number: next(), text: next(), reason: next(), span: sp })
            }
            r => unreachable!("grammar: unexpected item {r:?}"),
        };
        items.push(item);
    }
    Module { items }
}

/// The children of a pair without its keywords.
fn keyword_free(p: P) -> impl Iterator<Item = P> {
    p.into_inner().filter(|c| !is_keyword(c.as_rule()))
}

fn is_keyword(r: Rule) -> bool {
    use Rule::*;
    matches!(
        r,
        kw_plan
            | kw_import
            | kw_party
            | kw_group
            | kw_unit
            | kw_enum
            | kw_record
            | kw_period
            | kw_calendar
            | kw_sanction
            | kw_rule
            | kw_table
            | kw_clause
            | kw_test
            | kw_cite
            | kw_for
            | kw_in
            | kw_where
            | kw_unless
            | kw_during
            | kw_let
            | kw_must
            | kw_should
            | kw_not
            | kw_by
            | kw_before
            | kw_at
            | kw_given
            | kw_empty
            | kw_otherwise
            | kw_on
            | kw_if
            | kw_then
            | kw_every
            | kw_of
            | kw_else
            | kw_match
            | kw_key
            | kw_dated
            | kw_expect
            | kw_fact
            | kw_as_of
            | kw_source
            | kw_missing
            | kw_ignore
            | kw_from
            | kw_over
            | kw_window
            | kw_issued
            | kw_roles
            | kw_timezone
            | kw_language
            | kw_month_overflow
            | kw_outline
            | kw_untestable
            | kw_because
    )
}

fn plan(p: P) -> Plan {
    let sp = span(&p);
    let mut it = keyword_free(p);
    let n = name(it.next().expect("grammar: plan has a name"));
    let mut plan = Plan {
        name: n,
        title: None,
        period: None,
        issued: None,
        roles: vec![],
        default_roles: vec![],
        calendar: None,
        month_overflow: None,
        timezone: None,
        language: None,
        span: sp,
    };
    for c in it {
        match c.as_rule() {
            Rule::string => plan.title = Some(string(c)),
            Rule::plan_period => {
                let mut d = keyword_free(c);
                let a = date(d.next().expect("grammar: period start"));
                let b = date(d.next().expect("grammar: period end"));
                plan.period = Some((a, b));
            }
            Rule::plan_issued => plan.issued = Some(date(keyword_free(c).next().expect("grammar: issued date"))),
            Rule::plan_roles => {
                for r in keyword_free(c) {
                    let mut ri = r.into_inner();
                    let n = name(ri.next().expect("grammar: role name"));
                    plan.roles.push((n, ri.next().map(string)));
                }
            }
            Rule::plan_calendar => plan.calendar = keyword_free(c).next().map(name),
            Rule::plan_overflow => plan.month_overflow = keyword_free(c).next().map(name),
            Rule::plan_timezone => plan.timezone = keyword_free(c).next().map(string),
            Rule::plan_language => plan.language = keyword_free(c).next().map(string),
            Rule::plan_default_role => {
                let dsp = span(&c);
                let mut d = keyword_free(c);
                let role = name(d.next().expect("grammar: default role word"));
                let parties = ident_list(d.next().expect("grammar: default role parties"));
                let sections = d.map(string).collect();
                plan.default_roles.push(DefaultRole { role, parties, sections, span: dsp });
            }
            r => unreachable!("grammar: plan part {r:?}"),
        }
    }
    plan
}

fn unit_decl(p: P) -> UnitDecl {
    let sp = span(&p);
    let mut it = keyword_free(p);
    let n = name(it.next().expect("grammar: unit has a name"));
    let v = it.next().expect("grammar: unit has a value");
    let (amount, unit) = match v.as_rule() {
        Rule::quantity => {
            let mut q = v.into_inner();
            let amount = q.next().expect("grammar: quantity amount").as_str().to_string();
            (amount, Some(name(q.next().expect("grammar: quantity unit"))))
        }
        _ => (v.as_str().to_string(), None),
    };
    UnitDecl { name: n, amount, unit, span: sp }
}

fn field_range(p: P) -> FieldRange {
    // pest's span of the rule takes in the whitespace skipped before an absent second end.
    let sp = span(&p);
    let sp = Span { start: sp.start, end: sp.start + p.as_str().trim_end().len() as u32 };
    let mut range = FieldRange { both: false, ends: vec![], span: sp };
    for x in p.into_inner() {
        match x.as_rule() {
            Rule::kw_in => range.both = true,
            Rule::range_low | Rule::range_high => {
                let low = x.as_rule() == Rule::range_low;
                let v = x.into_inner().next().expect("grammar: range end has a value");
                range.ends.push(RangeEnd { low, span: span(&v), value: bound_value(v), inclusive: true });
            }
            Rule::field_cmp => {
                let mut it = x.into_inner();
                let op = it.next().expect("grammar: bound operator");
                let v = it.next().expect("grammar: bound value");
                let (low, inclusive) = match op.as_str() {
                    ">=" | "≥" | "＞＝" => (true, true),
                    ">" | "＞" => (true, false),
                    "<=" | "≤" | "＜＝" => (false, true),
                    _ => (false, false),
                };
                let sp = span(&op).to(span(&v));
                range.ends.push(RangeEnd { low, span: sp, value: bound_value(v), inclusive });
            }
            r => unreachable!("grammar: range part {r:?}"),
        }
    }
    range
}

/// A literal bound: the literal, under a `Neg` when it has a minus sign.
fn bound_value(p: P) -> Expr {
    let sp = span(&p);
    let mut it = p.into_inner();
    let first = it.next().expect("grammar: bound has a literal");
    match it.next() {
        Some(lit) => {
            let inner = primary(lit);
            Expr { kind: ExprKind::Unary(UnOp::Neg, Box::new(inner)), span: sp }
        }
        None => primary(first),
    }
}

fn record(p: P) -> Record {
    let sp = span(&p);
    let mut it = keyword_free(p);
    let n = name(it.next().expect("grammar: record has a name"));
    let mut r =
        Record { name: n, label: None, key: None, dated: None, fields: vec![], source: None, derive: None, span: sp };
    for c in it {
        match c.as_rule() {
            Rule::string => r.label = Some(string(c)),
            Rule::record_key => r.key = Some(name(keyword_free(c).next().expect("grammar: key field"))),
            Rule::record_source => r.source = Some(Box::new(source(c))),
            Rule::record_from => {
                let dsp = span(&c);
                let mut d = Derive {
                    from: r.name.clone(),
                    filter: None,
                    groups: vec![],
                    fields: vec![],
                    window: None,
                    span: dsp,
                };
                let mut first = true;
                for x in keyword_free(c) {
                    match x.as_rule() {
                        Rule::ident if first => {
                            d.from = name(x);
                            first = false;
                        }
                        Rule::where_clause => {
                            d.filter = Some(expr(keyword_free(x).next().expect("grammar: where has a filter")))
                        }
                        Rule::record_group => {
                            let mut g = x.into_inner();
                            let n = name(g.next().expect("grammar: group field"));
                            d.groups.push((n, expr(g.next().expect("grammar: group value"))));
                        }
                        Rule::record_dated => {
                            r.dated = Some(name(keyword_free(x).next().expect("grammar: dated field")))
                        }
                        Rule::record_window => {
                            let mut w = keyword_free(x);
                            let field = name(w.next().expect("grammar: window field"));
                            let length = w.next().expect("grammar: window length").as_str().to_string();
                            let unit = name(w.next().expect("grammar: window unit"));
                            d.window = Some((field, length, unit));
                        }
                        Rule::derived_field => {
                            let fsp = span(&x);
                            let mut f = x.into_inner();
                            let n = name(f.next().expect("grammar: derived field name"));
                            let value = expr(f.next().expect("grammar: derived field value"));
                            let given = f.next().map(|g| {
                                let e = keyword_free(g).next().expect("grammar: given condition");
                                let text = collapse(e.as_str());
                                (expr(e), text)
                            });
                            let end = given.as_ref().map_or(value.span.end, |(e, _)| e.span.end);
                            d.fields.push(DerivedField {
                                name: n.clone(),
                                value,
                                given,
                                span: Span { start: fsp.start, end },
                            });
                        }
                        r => unreachable!("grammar: derived record part {r:?}"),
                    }
                }
                r.derive = Some(Box::new(d));
            }
            Rule::record_dated => r.dated = Some(name(keyword_free(c).next().expect("grammar: dated field"))),
            Rule::field => {
                let fsp = span(&c);
                let mut f = c.into_inner();
                let fname = name(f.next().expect("grammar: field name"));
                let mut optional = false;
                let mut ty = None;
                let mut range = None;
                for x in f {
                    match x.as_rule() {
                        Rule::optional_mark => optional = true,
                        Rule::type_expr => ty = Some(type_name(x)),
                        Rule::field_range => range = Some(field_range(x)),
                        r => unreachable!("grammar: field part {r:?}"),
                    }
                }
                let ty = ty.expect("grammar: field has a type");
                r.fields.push(Field { name: fname, optional, ty, range, span: fsp });
            }
            r => unreachable!("grammar: record part {r:?}"),
        }
    }
    r
}

fn source(p: P) -> Source {
    let sp = span(&p);
    let mut s = Source { files: vec![], missing: vec![], ignore: vec![], columns: vec![], span: sp };
    let strings = |c: P| keyword_free(c).map(string).collect::<Vec<_>>();
    for c in keyword_free(p) {
        match c.as_rule() {
            Rule::string => s.files.push(string(c)),
            Rule::source_missing => s.missing.extend(strings(c)),
            Rule::source_ignore => s.ignore.extend(strings(c)),
            Rule::source_column => {
                let mut it = keyword_free(c);
                let field = name(it.next().expect("grammar: source column has a field"));
                let columns: Vec<Str> = it.map(string).collect();
                // From the field to its last column: the optional `;` would take in the
                // blanks after it.
                let end = columns.last().map_or(field.span.end, |c| c.span.end);
                let csp = Span { start: field.span.start, end };
                s.columns.push(SourceColumn { field, columns, span: csp });
            }
            r => unreachable!("grammar: source part {r:?}"),
        }
    }
    s
}

fn calendar(p: P) -> Calendar {
    let sp = span(&p);
    let mut it = keyword_free(p);
    let n = name(it.next().expect("grammar: calendar has a name"));
    let mut cal = Calendar { name: n, source: None, holidays: vec![], workdays: vec![], span: sp };
    for c in it {
        match c.as_rule() {
            Rule::string => cal.source = Some(string(c)),
            Rule::calendar_entry => {
                let mut e = c.into_inner();
                let holiday = e.next().expect("grammar: entry kind").as_rule() == Rule::calendar_holiday;
                let ranges = e.map(date_range);
                if holiday { cal.holidays.extend(ranges) } else { cal.workdays.extend(ranges) }
            }
            r => unreachable!("grammar: calendar part {r:?}"),
        }
    }
    cal
}

/// A field's or parameter's type as written, `party` in any spelling as `party`.
fn type_name(p: P) -> Name {
    let party = p.clone().into_inner().next().is_some_and(|k| k.as_rule() == Rule::kw_party);
    let mut n = name(p);
    if party {
        n.text = "party".into();
    }
    n
}

fn params(p: P) -> Vec<Param> {
    p.into_inner()
        .map(|q| {
            let mut it = q.into_inner();
            Param {
                name: name(it.next().expect("grammar: param name")),
                ty: type_name(it.next().expect("grammar: param type")),
            }
        })
        .collect()
}

fn cite(p: P) -> Cite {
    let sp = span(&p);
    let mut it = keyword_free(p);
    Cite { number: string(it.next().expect("grammar: cite number")), text: it.next().map(string), span: sp }
}

fn let_stmt(p: P) -> Let {
    let sp = span(&p);
    let mut it = keyword_free(p);
    Let {
        name: name(it.next().expect("grammar: let name")),
        value: expr(it.next().expect("grammar: let value")),
        span: sp,
    }
}

fn rule(p: P) -> super::ast::Rule {
    let sp = span(&p);
    let mut it = keyword_free(p);
    let name = name(it.next().expect("grammar: rule name"));
    let params = params(it.next().expect("grammar: rule params"));
    let (mut label, mut cite_, mut lets, mut body) = (None, None, vec![], None);
    for c in it {
        match c.as_rule() {
            Rule::string => label = Some(string(c)),
            Rule::cite => cite_ = Some(cite(c)),
            Rule::let_stmt => lets.push(let_stmt(c)),
            Rule::expr => body = Some(expr(c)),
            x => unreachable!("grammar: rule part {x:?}"),
        }
    }
    let body = body.expect("grammar: rule has a body");
    super::ast::Rule { name, params, label, cite: cite_, lets, body, span: sp }
}

fn table(p: P) -> Table {
    let sp = span(&p);
    let mut it = keyword_free(p);
    let n = name(it.next().expect("grammar: table name"));
    let ps = params(it.next().expect("grammar: table params"));
    let mut t = Table { name: n, params: ps, label: None, cite: None, rows: vec![], span: sp };
    for c in it {
        match c.as_rule() {
            Rule::string => t.label = Some(string(c)),
            Rule::cite => t.cite = Some(cite(c)),
            Rule::table_row => {
                let rsp = span(&c);
                let mut r = c.into_inner();
                let pats = r.next().expect("grammar: row patterns");
                let patterns = pats
                    .into_inner()
                    .map(|tp| {
                        let mut parts = tp.into_inner();
                        let first = parts.next().expect("grammar: pattern body");
                        match first.as_rule() {
                            Rule::wildcard => Pattern::Any(span(&first)),
                            Rule::cmp_op => {
                                let op = cmp_op(first.as_str());
                                Pattern::Cmp(op, expr(parts.next().expect("grammar: compared value")))
                            }
                            _ => Pattern::Eq(expr(first)),
                        }
                    })
                    .collect();
                let v = r.next().expect("grammar: row value");
                let value = match v.as_rule() {
                    Rule::table_gap => RowValue::Gap(string(keyword_free(v).next().expect("grammar: a gap says why"))),
                    _ => RowValue::Value(expr(v)),
                };
                t.rows.push(TableRow { patterns, value, span: rsp });
            }
            x => unreachable!("grammar: table part {x:?}"),
        }
    }
    t
}

fn cmp_op(s: &str) -> BinOp {
    match s {
        "<=" | "≤" => BinOp::Le,
        ">=" | "≥" => BinOp::Ge,
        "!=" | "≠" => BinOp::Ne,
        "==" => BinOp::Eq,
        "<" | "＜" => BinOp::Lt,
        ">" | "＞" => BinOp::Gt,
        s => unreachable!("grammar: comparison {s}"),
    }
}

fn clause(p: P) -> Clause {
    let sp = span(&p);
    let mut it = keyword_free(p);
    let n = name(it.next().expect("grammar: clause name"));
    let mut c = Clause { name: n, title: None, body: vec![], span: sp };
    for x in it {
        if x.as_rule() == Rule::string {
            c.title = Some(string(x));
        } else {
            c.body.push(stmt(x));
        }
    }
    c
}

fn stmt(p: P) -> Stmt {
    let sp = span(&p);
    match p.as_rule() {
        Rule::cite => Stmt::Cite(cite(p)),
        Rule::during => Stmt::During(expr(keyword_free(p).next().expect("grammar: during period"))),
        Rule::unless_stmt => {
            let e = keyword_free(p).next().expect("grammar: unless expr");
            let text = collapse(e.as_str());
            Stmt::Unless(expr(e), text)
        }
        Rule::role_line => {
            let mut it = p.into_inner();
            let role = name(it.next().expect("grammar: role word"));
            let (mut parties, mut fields) = (vec![], vec![]);
            for target in it {
                let tsp = span(&target);
                let mut names = target.into_inner().map(name);
                let first = names.next().expect("grammar: a role target has a name");
                let mut e = Expr { kind: ExprKind::Name(first.text.clone()), span: first.span };
                let mut path = false;
                for field in names {
                    path = true;
                    e = Expr {
                        kind: ExprKind::Field(Box::new(e), field),
                        span: Span { start: tsp.start, end: tsp.end },
                    };
                }
                if path {
                    e.span = tsp;
                    fields.push(e);
                } else {
                    parties.push(first);
                }
            }
            Stmt::Role { role, parties, fields, span: sp }
        }
        Rule::let_stmt => Stmt::Let(let_stmt(p)),
        Rule::for_block => {
            let mut it = keyword_free(p);
            let var = name(it.next().expect("grammar: for variable"));
            let mut sc = it.next().expect("grammar: for scope").into_inner();
            let scope = name(sc.next().expect("grammar: scope name"));
            let keys = sc.next().map(|l| l.into_inner().map(expr).collect());
            let mut f = For { var, scope, keys, filter: None, unless: vec![], body: vec![], span: sp };
            for x in it {
                match x.as_rule() {
                    Rule::where_clause => f.filter = Some(expr(keyword_free(x).next().expect("grammar: filter"))),
                    Rule::unless_clause => {
                        let e = keyword_free(x).next().expect("grammar: exemption");
                        let text = collapse(e.as_str());
                        f.unless.push((expr(e), text));
                    }
                    _ => f.body.push(stmt(x)),
                }
            }
            Stmt::For(f)
        }
        Rule::requirement => {
            // The text ends with the requirement's last token: optional parts after it let pest
            // take in the whitespace and comments that follow, which are not part of it.
            let start = p.as_span().start();
            let mut end = p.as_span().end();
            let mut last = p.clone().into_inner().last();
            while let Some(x) = last {
                end = x.as_span().end();
                last = x.into_inner().last();
            }
            // After the last token only closing brackets, `;`, whitespace and comments remain
            // (no text literal, which would be a token): keep the brackets.
            let (head, tail) = p.as_str().split_at((end - start).min(p.as_str().len()));
            let tail: String = tail
                .lines()
                .map(|l| l.split("//").next().unwrap_or(""))
                .collect::<Vec<_>>()
                .join(" ")
                .replace([';', '；'], " ");
            let text = collapse(&format!("{head}{tail}"));
            let mut it = p.into_inner();
            let m = it.next().expect("grammar: modality").into_inner().next().expect("grammar: modality kind");
            let modality = match m.as_rule() {
                Rule::must => Modality::Must,
                Rule::must_not => Modality::MustNot,
                Rule::should => Modality::Should,
                Rule::should_not => Modality::ShouldNot,
                r => unreachable!("grammar: modality {r:?}"),
            };
            let mut r = Requirement {
                modality,
                label: None,
                condition: placeholder(sp),
                deadline: None,
                given: None,
                text,
                span: sp,
            };
            for x in it {
                match x.as_rule() {
                    Rule::req_label => r.label = Some(name(x.into_inner().next().expect("grammar: label name"))),
                    Rule::expr => r.condition = expr(x),
                    Rule::deadline => {
                        let mut d = x.into_inner();
                        let kind = match d.next().expect("grammar: deadline kind").as_rule() {
                            Rule::by => DeadlineKind::By,
                            Rule::at => DeadlineKind::At,
                            _ => DeadlineKind::Before,
                        };
                        r.deadline = Some((kind, expr(d.next().expect("grammar: deadline date"))));
                    }
                    Rule::given => {
                        let g = keyword_free(x).next().expect("grammar: given condition");
                        let text = collapse(g.as_str());
                        r.given = Some((expr(g), text));
                    }
                    x => unreachable!("grammar: requirement part {x:?}"),
                }
            }
            Stmt::Require(r)
        }
        Rule::every_block => {
            let mut it = keyword_free(p);
            let unit = it.next().expect("grammar: every unit").into_inner().next().expect("grammar: every unit word");
            let unit = match unit.as_rule() {
                Rule::kw_month => EveryUnit::Month,
                Rule::kw_quarter => EveryUnit::Quarter,
                _ => EveryUnit::Year,
            };
            let var = name(it.next().expect("grammar: every variable"));
            let of = postfix(it.next().expect("grammar: every period"));
            Stmt::Every(Every { unit, var, of, body: it.map(stmt).collect(), span: sp })
        }
        Rule::roll_stmt => Stmt::Roll(sp),
        Rule::otherwise => {
            let mut it = keyword_free(p);
            let sanctions = ident_list(it.next().expect("grammar: sanctions"));
            Stmt::Otherwise { sanctions, on: it.next().map(expr), span: sp }
        }
        r => unreachable!("grammar: unexpected statement {r:?}"),
    }
}

/// Source text with runs of whitespace (and comments' line breaks) collapsed to one space.
fn collapse(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn placeholder(span: Span) -> Expr {
    Expr { kind: ExprKind::Bool(true), span }
}

fn test(p: P) -> Test {
    let sp = span(&p);
    let mut it = keyword_free(p);
    let n = string(it.next().expect("grammar: test name"));
    let mut t = Test { name: n, as_of: None, facts: vec![], expects: vec![], span: sp };
    for x in it {
        let xsp = span(&x);
        match x.as_rule() {
            Rule::test_as_of => t.as_of = keyword_free(x).next().map(date),
            Rule::test_fact => {
                let mut f = keyword_free(x);
                let kind = name(f.next().expect("grammar: fact kind"));
                let fields = f
                    .map(|ff| {
                        let mut i = ff.into_inner();
                        (
                            name(i.next().expect("grammar: fact field")),
                            fact_value(i.next().expect("grammar: fact value")),
                        )
                    })
                    .collect();
                t.facts.push(TestFact { kind, fields, span: xsp });
            }
            Rule::test_expect => {
                let parts: Vec<P> = keyword_free(x).collect();
                let mut e = Expect {
                    clause: name(parts[0].clone()),
                    keys: None,
                    requirement: None,
                    status: name(parts[parts.len() - 1].clone()),
                    span: xsp,
                };
                for q in &parts[1..parts.len() - 1] {
                    match q.as_rule() {
                        Rule::expr_list => e.keys = Some(q.clone().into_inner().map(expr).collect()),
                        Rule::ident => e.requirement = Some(name(q.clone())),
                        r => unreachable!("grammar: expect part {r:?}"),
                    }
                }
                t.expects.push(e);
            }
            r => unreachable!("grammar: test part {r:?}"),
        }
    }
    t
}

/// The value of a field of a `fact`: an expression, or a literal or name alone.
pub(super) fn fact_value(p: P) -> Expr {
    match p.as_rule() {
        Rule::fact_literal => primary(p.into_inner().next().expect("grammar: a literal or a name")),
        _ => expr(p),
    }
}

pub(super) fn expr(p: P) -> Expr {
    debug_assert_eq!(p.as_rule(), Rule::expr);
    pratt(p.into_inner())
}

fn pratt(pairs: Pairs<Rule>) -> Expr {
    PRATT
        .map_primary(postfix)
        .map_prefix(|op, rhs| {
            let sp = span(&op).to(rhs.span);
            let u = if op.as_rule() == Rule::op_not { UnOp::Not } else { UnOp::Neg };
            Expr { kind: ExprKind::Unary(u, Box::new(rhs)), span: sp }
        })
        .map_infix(|lhs, op, rhs| {
            let o = match op.as_rule() {
                Rule::op_or => BinOp::Or,
                Rule::op_and => BinOp::And,
                Rule::op_eq => BinOp::Eq,
                Rule::op_ne => BinOp::Ne,
                Rule::op_lt => BinOp::Lt,
                Rule::op_le => BinOp::Le,
                Rule::op_gt => BinOp::Gt,
                Rule::op_ge => BinOp::Ge,
                Rule::op_in => BinOp::In,
                Rule::op_not_in => BinOp::NotIn,
                Rule::op_add => BinOp::Add,
                Rule::op_sub => BinOp::Sub,
                Rule::op_mul => BinOp::Mul,
                Rule::op_div => BinOp::Div,
                r => unreachable!("grammar: infix {r:?}"),
            };
            let sp = lhs.span.to(rhs.span);
            Expr { kind: ExprKind::Binary(o, Box::new(lhs), Box::new(rhs)), span: sp }
        })
        .parse(pairs)
}

fn postfix(p: P) -> Expr {
    let mut it = p.into_inner();
    let mut e = primary(it.next().expect("grammar: postfix has a primary"));
    for f in it {
        // The pair's own end may include whitespace skipped before an absent `(`.
        let end = span(&f).end;
        let mut parts = f.into_inner();
        let n = name(parts.next().expect("grammar: field name"));
        let margs = parts.next();
        let sp = Span { start: e.span.start, end: if margs.is_some() { end } else { n.span.end } };
        e = match margs {
            // `x.f(a, b)` is `f(x, a, b)`. The receiver is moved, not cloned: a clone of a long
            // chain would recurse once per link and copy the chain once per link.
            Some(margs) => {
                let receiver_span = e.span;
                let mut args = vec![Arg { value: e, filter: None, during: None, span: receiver_span }];
                args.extend(margs.into_inner().map(call_arg));
                let text = format!("{}.{}(…)", "x", n.text);
                Expr { kind: ExprKind::Call { func: n, args, text, empty: None }, span: sp }
            }
            None => Expr { kind: ExprKind::Field(Box::new(e), n), span: sp },
        };
    }
    e
}

fn call_arg(a: P) -> Arg {
    let asp = span(&a);
    let mut parts = a.into_inner();
    let value = expr(parts.next().expect("grammar: arg value"));
    let mut arg = Arg { value, filter: None, during: None, span: asp };
    for x in parts {
        match x.as_rule() {
            Rule::where_clause => arg.filter = Some(expr(keyword_free(x).next().expect("grammar: filter"))),
            Rule::call_during => arg.during = Some(postfix(keyword_free(x).next().expect("grammar: during period"))),
            r => unreachable!("grammar: arg part {r:?}"),
        }
    }
    arg
}

fn primary(p: P) -> Expr {
    let sp = span(&p);
    let kind = match p.as_rule() {
        Rule::postfix_expr => return postfix(p),
        Rule::paren => return expr(p.into_inner().next().expect("grammar: paren body")),
        Rule::list => {
            ExprKind::List(p.into_inner().next().map(|l| l.into_inner().map(expr).collect()).unwrap_or_default())
        }
        Rule::date => ExprKind::Date(p.as_str().to_string()),
        Rule::datetime => ExprKind::DateTime(p.as_str().to_string()),
        Rule::percent => {
            ExprKind::Percent(p.into_inner().next().expect("grammar: percent number").as_str().to_string())
        }
        Rule::quantity => {
            let mut q = p.into_inner();
            let amount = q.next().expect("grammar: quantity amount").as_str().to_string();
            ExprKind::Quantity { amount, unit: name(q.next().expect("grammar: quantity unit")) }
        }
        Rule::number => ExprKind::Number(p.as_str().to_string()),
        Rule::string => ExprKind::Text(string(p).text),
        Rule::bool_true => ExprKind::Bool(true),
        Rule::bool_false => ExprKind::Bool(false),
        Rule::ident => ExprKind::Name(p.as_str().to_string()),
        Rule::plan_ref => ExprKind::PlanRef(name(keyword_free(p).next().expect("grammar: plan attribute"))),
        Rule::if_expr => {
            let mut it = keyword_free(p);
            let c = expr(it.next().expect("grammar: if condition"));
            let a = expr(it.next().expect("grammar: then branch"));
            let b = expr(it.next().expect("grammar: else branch"));
            ExprKind::If(Box::new(c), Box::new(a), Box::new(b))
        }
        Rule::match_expr => {
            let mut it = keyword_free(p);
            let scrutinee = expr(it.next().expect("grammar: match scrutinee"));
            let arms = it
                .map(|arm| {
                    let asp = span(&arm);
                    let mut a = arm.into_inner();
                    let pat = a.next().expect("grammar: arm pattern");
                    let patterns = pat.into_inner().filter(|x| x.as_rule() == Rule::ident).map(name).collect();
                    MatchArm { patterns, value: expr(a.next().expect("grammar: arm value")), span: asp }
                })
                .collect();
            ExprKind::Match(Box::new(scrutinee), arms)
        }
        Rule::call => {
            let text = collapse(p.as_str());
            let mut it = p.into_inner();
            let func = name(it.next().expect("grammar: call name"));
            let mut args = Vec::new();
            let mut empty = None;
            for x in it {
                match x.as_rule() {
                    Rule::call_empty => {
                        empty = Some(Box::new(expr(keyword_free(x).next().expect("grammar: empty value"))))
                    }
                    _ => args.push(call_arg(x)),
                }
            }
            ExprKind::Call { func, args, text, empty }
        }
        r => unreachable!("grammar: unexpected primary {r:?}"),
    };
    Expr { kind, span: sp }
}
