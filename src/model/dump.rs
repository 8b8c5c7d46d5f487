//! A compact, stable text form of a checked model, for snapshots and `writ check --dump`.
//! Quantities are shown in SI, so a snapshot shows what the checker made of each unit.

use super::ir::*;
use super::types::*;
use crate::syntax::ast::{DeadlineKind, Modality, UnOp};
use crate::value::Value;
use std::fmt::Write;

pub fn dump(m: &Model) -> String {
    let mut o = String::new();
    let p = &m.plan;
    let period = match (p.start, p.end) {
        (Some(a), Some(b)) => format!("{a}..{b}"),
        _ => "?".into(),
    };
    let roles: Vec<String> =
        p.roles.iter().map(|r| format!("{}({})", r.name, r.label.as_deref().unwrap_or(""))).collect();
    let language = p.language.map(|l| format!(" language {l}")).unwrap_or_default();
    let _ = writeln!(o, "plan {} {period} roles {}{language}", p.name, roles.join(" "));
    for x in &m.parties {
        let _ = writeln!(o, "party {} {:?}", x.name, x.full_name.as_deref().unwrap_or(""));
    }
    for g in &m.groups {
        let names: Vec<&str> = g.members.iter().map(|&i| m.parties[i.index()].name.as_str()).collect();
        let _ = writeln!(o, "group {} = [{}]", g.name, names.join(", "));
    }
    for (n, u) in m.units.aliases() {
        let _ = writeln!(o, "unit {n} = {} {}", u.factor, u.dim.canonical());
    }
    for e in &m.enums {
        let _ = writeln!(o, "enum {} {{ {} }}", e.name, e.variants.join(", "));
    }
    for c in &m.calendars {
        let _ = writeln!(o, "calendar {} holidays {} workdays {}", c.name, c.holidays.len(), c.workdays.len());
    }
    for per in &m.periods {
        let rs: Vec<String> = per.ranges.iter().map(|(a, b)| format!("{a}..{b}")).collect();
        let _ = writeln!(o, "period {} = {}", per.name, rs.join(", "));
    }
    for s in &m.sanctions {
        let _ = writeln!(o, "sanction {} {:?}", s.name, s.text.as_deref().unwrap_or(""));
    }
    for r in &m.records {
        let fields: Vec<String> = r
            .fields
            .iter()
            .enumerate()
            .map(|(i, f)| {
                let mut s = format!("{}{}: {}", f.name, if f.optional { "?" } else { "" }, ty(m, &f.ty));
                if let Some(u) = &f.unit
                    && matches!(f.ty, Ty::Quantity(_))
                {
                    let _ = write!(s, " in {} (×{} {})", u.name, u.factor, u.dim.canonical());
                }
                // Only a declared range is shown: the defaults of a type are the same everywhere.
                let declared = [&f.range.low, &f.range.high].into_iter().flatten().any(|b| b.declared);
                if declared || (f.range.is_unbounded() && matches!(f.ty, Ty::Percent | Ty::Quantity(_) | Ty::Date)) {
                    let _ = write!(s, " range {}", f.range.describe());
                }
                if i == r.key {
                    s.push_str(" [key]");
                }
                if Some(i) == r.dated {
                    s.push_str(" [dated]");
                }
                s
            })
            .collect();
        let _ = writeln!(o, "record {} {{ {} }}", r.name, fields.join(", "));
    }
    for r in &m.rules {
        let ps: Vec<String> = r.params.iter().map(|(n, t)| format!("{n}: {}", ty(m, t))).collect();
        let _ = writeln!(o, "rule {}({}) -> {} = {}", r.name, ps.join(", "), ty(m, &r.body.ty), expr(m, &r.body));
    }
    for t in &m.tables {
        let ps: Vec<String> = t.params.iter().map(|(n, t)| format!("{n}: {}", ty(m, t))).collect();
        let _ = writeln!(o, "table {}({}) -> {}", t.name, ps.join(", "), ty(m, &t.ret));
        for (pats, v) in &t.rows {
            let ps: Vec<String> = pats
                .iter()
                .map(|p| match p {
                    TPattern::Any => "_".to_string(),
                    TPattern::Cmp(op, e) => format!("{} {}", op.symbol(), expr(m, e)),
                })
                .collect();
            match v {
                TRowValue::Value(v) => {
                    let _ = writeln!(o, "  ({}) => {}", ps.join(", "), expr(m, v));
                }
                TRowValue::Gap(why) => {
                    let _ = writeln!(o, "  ({}) because {why:?}", ps.join(", "));
                }
            }
        }
    }
    for c in &m.clauses {
        let cite = c.cite.as_ref().map(|c| c.number.as_str()).unwrap_or("-");
        let _ = writeln!(o, "clause {} cite {cite}", c.name);
        for (r, ps) in &c.roles {
            let names: Vec<&str> = ps.iter().map(|&i| m.parties[i.index()].name.as_str()).collect();
            let _ = writeln!(o, "  {} [{}]", m.plan.roles[*r as usize].name, names.join(", "));
        }
        if let Some(d) = &c.during {
            let _ = writeln!(o, "  during {}", period_name(m, d));
        }
        for x in &c.exemptions {
            let _ = writeln!(o, "  unless {}", x.name);
        }
        stmts(m, &c.body, 1, &mut o);
    }
    if !m.outline.is_empty() {
        let numbers: Vec<&str> = m.outline.iter().map(|e| e.number.as_str()).collect();
        let _ = writeln!(o, "outline [{}]", numbers.join(", "));
    }
    for u in &m.untestable {
        let _ = writeln!(o, "untestable {} {:?} because {:?}", u.number, u.text, u.reason);
    }
    for t in &m.tests {
        let _ = writeln!(
            o,
            "test {:?} as of {}: {} facts, {} expectations",
            t.name,
            t.as_of,
            t.facts.len(),
            t.expects.len()
        );
    }
    o
}

fn stmts(m: &Model, ss: &[TStmt], depth: usize, o: &mut String) {
    let pad = "  ".repeat(depth);
    for s in ss {
        match s {
            TStmt::Let(slot, e) => _ = writeln!(o, "{pad}let ${slot} = {}", expr(m, e)),
            TStmt::Require(r) => {
                let modal = match r.modality {
                    Modality::Must => "must",
                    Modality::MustNot => "must not",
                    Modality::Should => "should",
                    Modality::ShouldNot => "should not",
                };
                let label = r.label.clone().unwrap_or_else(|| r.index.to_string());
                let dl = match &r.deadline {
                    Some((DeadlineKind::By, e)) => format!(" by {}", expr(m, e)),
                    Some((DeadlineKind::Before, e)) => format!(" before {}", expr(m, e)),
                    Some((DeadlineKind::At, e)) => format!(" at {}", expr(m, e)),
                    None => String::new(),
                };
                let sanctions: Vec<&str> =
                    r.sanctions.iter().map(|s| m.sanctions[s.sanction as usize].name.as_str()).collect();
                let sx =
                    if sanctions.is_empty() { String::new() } else { format!(" otherwise {}", sanctions.join(", ")) };
                let given = r.given.as_ref().map(|g| format!(" given {}", expr(m, &g.0))).unwrap_or_default();
                let roles: String = r
                    .roles
                    .iter()
                    .map(|sr| {
                        let names = sr.parties.iter().map(|&i| m.parties[i.index()].name.clone());
                        let fields = sr.fields.iter().map(|(e, _)| expr(m, e));
                        let all: Vec<String> = names.chain(fields).collect();
                        format!(" {} [{}]", m.plan.roles[sr.role as usize].name, all.join(", "))
                    })
                    .collect();
                let _ = writeln!(o, "{pad}{modal} [{label}] {}{dl}{given}{sx}{roles}", expr(m, &r.condition));
            }
            TStmt::Every(e) => {
                let unit = match e.unit {
                    crate::syntax::ast::EveryUnit::Month => "month",
                    crate::syntax::ast::EveryUnit::Quarter => "quarter",
                    crate::syntax::ast::EveryUnit::Year => "year",
                };
                let _ = writeln!(o, "{pad}every {unit} ${} {} of {}", e.slot, e.var, period_name(m, &e.period));
                stmts(m, &e.body, depth + 1, o);
            }
            TStmt::For(f) => {
                let src = match &f.source {
                    ScopeSource::All(k) => m.records[k.index()].name.clone(),
                    ScopeSource::Keys(k, keys) => {
                        format!(
                            "{}[{}]",
                            m.records[k.index()].name,
                            keys.iter().map(|e| expr(m, e)).collect::<Vec<_>>().join(", ")
                        )
                    }
                    ScopeSource::Parties(ps) => {
                        format!(
                            "[{}]",
                            ps.iter().map(|&p| m.parties[p.index()].name.as_str()).collect::<Vec<_>>().join(", ")
                        )
                    }
                };
                let filter = f.filter.as_ref().map(|e| format!(" where {}", expr(m, e))).unwrap_or_default();
                let unless: String = f.exemptions.iter().map(|x| format!(" unless {}", x.name)).collect();
                let _ = writeln!(o, "{pad}for ${} {} in {src}{filter}{unless}", f.slot, f.var);
                stmts(m, &f.body, depth + 1, o);
            }
        }
    }
}

fn period_name(m: &Model, p: &TPeriod) -> String {
    match p {
        TPeriod::Named(i) => m.periods[*i as usize].name.clone(),
        TPeriod::Year(y) => y.to_string(),
        TPeriod::Plan => "plan.period".into(),
        TPeriod::Dynamic(e) => expr(m, e),
    }
}

fn ty(m: &Model, t: &Ty) -> String {
    match t {
        Ty::Bool => "bool".into(),
        Ty::Text => "text".into(),
        Ty::Number => "number".into(),
        Ty::Quantity(d) => format!("[{}]", d.canonical()),
        Ty::Percent => "percent".into(),
        Ty::Date => "date".into(),
        Ty::DateTime => "datetime".into(),
        Ty::Duration => "duration".into(),
        Ty::Enum(i) => m.enums[i.index()].name.clone(),
        Ty::Ref(i) => format!("→{}", m.records[i.index()].name),
        Ty::List(t) => format!("list {}", ty(m, t)),
        Ty::Party => "party".into(),
        Ty::Kind(i) => format!("kind {}", m.records[i.index()].name),
        Ty::Period => "period".into(),
        Ty::Interval => "interval".into(),
        Ty::Error => "error".into(),
    }
}

fn value(m: &Model, v: &Value, t: &Ty) -> String {
    match (v, t) {
        (Value::Num(n), Ty::Percent) => format!("{}%", (*n * rust_decimal::Decimal::ONE_HUNDRED).normalize()),
        (Value::Num(n), Ty::Quantity(d)) => format!("{}[{}]", n.normalize(), d.canonical()),
        (Value::Num(n), _) => n.normalize().to_string(),
        (Value::Enum(i), Ty::Enum(e)) => m.enums[e.index()].variants[*i as usize].clone(),
        (Value::Party(p), _) => m.parties[p.index()].name.clone(),
        (Value::Text(s), _) => format!("{s:?}"),
        (Value::Date(d), _) => d.to_string(),
        (Value::DateTime(t), _) => t.to_string(),
        (Value::Bool(b), _) => b.to_string(),
        (Value::Duration(d), _) => format!("{} {}", d.amount, d.unit.name()),
        _ => format!("{v:?}"),
    }
}

fn expr(m: &Model, e: &TExpr) -> String {
    match &e.kind {
        TKind::Const(v) => match e.ty {
            Ty::Kind(k) => m.records[k.index()].name.clone(),
            _ => value(m, v, &e.ty),
        },
        TKind::Local(s) => format!("${s}"),
        TKind::Field(b, k, f) => format!("{}.{}", expr(m, b), m.records[k.index()].fields[*f as usize].name),
        TKind::Unary(UnOp::Not, x) => format!("not {}", expr(m, x)),
        TKind::Unary(UnOp::Neg, x) => format!("-{}", expr(m, x)),
        TKind::Binary(op, a, b) => format!("({} {} {})", expr(m, a), op.symbol(), expr(m, b)),
        TKind::List(xs) => format!("[{}]", xs.iter().map(|x| expr(m, x)).collect::<Vec<_>>().join(", ")),
        TKind::If(c, a, b) => format!("(if {} then {} else {})", expr(m, c), expr(m, a), expr(m, b)),
        TKind::Match(s, arms) => {
            let en = match &s.ty {
                Ty::Enum(i) => Some(&m.enums[i.index()]),
                _ => None,
            };
            let arms: Vec<String> = arms
                .iter()
                .map(|(vs, x)| {
                    let pats = if vs.is_empty() {
                        "_".to_string()
                    } else {
                        vs.iter()
                            .map(|&v| en.map(|e| e.variants[v as usize].clone()).unwrap_or_default())
                            .collect::<Vec<_>>()
                            .join(" | ")
                    };
                    format!("{pats} => {}", expr(m, x))
                })
                .collect();
            format!("match {} {{ {} }}", expr(m, s), arms.join(", "))
        }
        TKind::Rule(i, args) => {
            format!("{}({})", m.rules[*i as usize].name, args.iter().map(|x| expr(m, x)).collect::<Vec<_>>().join(", "))
        }
        TKind::Table(i, args) => format!(
            "{}({})",
            m.tables[*i as usize].name,
            args.iter().map(|x| expr(m, x)).collect::<Vec<_>>().join(", ")
        ),
        TKind::Aggregate(a) => {
            let mut s = format!("{}(${} in {}", a.func.name(), a.slot, m.records[a.kind.index()].name);
            if let Some(v) = &a.value {
                let _ = write!(s, ": {}", expr(m, v));
            }
            for (path, x) in &a.index {
                let fields: Vec<&str> =
                    path.iter().map(|&(k, f)| m.records[k.index()].fields[f as usize].name.as_str()).collect();
                let _ = write!(s, " index {} == {}", fields.join("."), expr(m, x));
            }
            if let Some(f) = &a.filter {
                let _ = write!(s, " where {}", expr(m, f));
            }
            if let Some(p) = &a.during {
                let _ = write!(s, " during {}", period_name(m, p));
            }
            if let Some(x) = &a.empty {
                let _ = write!(s, ", empty {}", expr(m, x));
            }
            s.push(')');
            s
        }
        TKind::Change(a, b) => format!("change({}, {})", expr(m, a), expr(m, b)),
        TKind::Round(a, b, up) => format!("{}({}, {})", if *up { "ceil" } else { "round" }, expr(m, a), expr(m, b)),
        TKind::Exists(x) => format!("exists({})", expr(m, x)),
        TKind::ClauseStatus { clause, subject, violated } => {
            format!("{}({clause}, {})", if *violated { "violated" } else { "fulfilled" }, expr(m, subject))
        }
        TKind::Interval(op, x, _) if op.function().is_some() => {
            format!("{}({})", op.function().unwrap_or_default(), expr(m, x))
        }
        TKind::Interval(op, x, arg) => {
            let a = arg.as_ref().map(|a| format!("({})", expr(m, a))).unwrap_or_default();
            format!("{}.{}{a}", expr(m, x), format!("{op:?}").to_lowercase())
        }
        TKind::Today => "today()".into(),
        TKind::DateShift(a, b, back) => format!("({} {} {})", expr(m, a), if *back { "-" } else { "+" }, expr(m, b)),
    }
}
