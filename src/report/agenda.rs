//! The agenda: obligations falling due in a window, grouped by party, in deadline order.

use crate::eval::{Status, Verdict, Verdicts};
use crate::model::Model;
use crate::text::{Keep, escape, shown};
use crate::value::Date;
use serde::Serialize;
use std::fmt::Write;

#[derive(Clone, Debug, Serialize)]
pub struct Agenda {
    pub plan: String,
    pub from: String,
    pub to: String,
    pub as_of: String,
    pub parties: Vec<PartyAgenda>,
}

#[derive(Clone, Debug, Serialize)]
pub struct PartyAgenda {
    pub party: String,
    pub full_name: Option<String>,
    pub items: Vec<Item>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Item {
    pub deadline: String,
    pub status: Status,
    /// The party's role in the clause (`lead`, `implement`, …).
    pub role: String,
    pub id: String,
    pub clause: String,
    pub cite: Option<String>,
    pub title: Option<String>,
    pub subject: String,
    pub requirement: String,
}

fn subject(v: &Verdict) -> String {
    if v.subject.is_empty() {
        "the plan".into()
    } else {
        v.subject.iter().map(|s| format!("{} {}", s.kind, s.key)).collect::<Vec<_>>().join(" · ")
    }
}

impl Agenda {
    /// Every verdict with a deadline in `[from, to]`, under each party the clause names, in the
    /// order the policy declares the parties; within a party by deadline, then verdict order.
    pub fn build<V: Verdicts + ?Sized>(report: &V, model: &Model, from: Date, to: Date) -> Agenda {
        let due: Vec<std::borrow::Cow<Verdict>> = (0..report.count())
            .filter(|&i| report.deadline_of(i).is_some_and(|d| from <= d && d <= to))
            .map(|i| report.verdict_at(i))
            .collect();
        let mut parties = Vec::new();
        for p in &model.parties {
            let mut items: Vec<Item> = due
                .iter()
                .filter_map(|v| {
                    let roles: Vec<&str> =
                        v.parties.iter().filter(|(_, ps)| ps.contains(&p.name)).map(|(r, _)| r.as_str()).collect();
                    (!roles.is_empty()).then(|| Item {
                        deadline: v.deadline.map(|d| d.to_string()).unwrap_or_default(),
                        status: v.status,
                        role: roles.join(", "),
                        id: v.id.clone(),
                        clause: v.clause.clone(),
                        cite: v.cite.clone(),
                        title: v.title.clone(),
                        subject: subject(v),
                        requirement: v.requirement.clone(),
                    })
                })
                .collect();
            if items.is_empty() {
                continue;
            }
            items.sort_by(|a, b| a.deadline.cmp(&b.deadline));
            parties.push(PartyAgenda { party: p.name.clone(), full_name: p.full_name.clone(), items });
        }
        Agenda {
            plan: report.plan().to_string(),
            from: from.to_string(),
            to: to.to_string(),
            as_of: report.as_of().to_string(),
            parties,
        }
    }

    /// The agenda as text; values escaped as in the report ([`crate::report::human`]).
    pub fn human(&self) -> String {
        let mut out = String::new();
        let plan = shown(&self.plan);
        let _ = writeln!(out, "{plan} — obligations due {} .. {}, status as of {}", self.from, self.to, self.as_of);
        if self.parties.is_empty() {
            let _ = writeln!(out, "\nnothing falls due in this window");
        }
        for p in &self.parties {
            let _ = writeln!(out);
            match &p.full_name {
                Some(f) if *f != p.party => _ = writeln!(out, "{} ({})", shown(&p.party), shown(f)),
                _ => _ = writeln!(out, "{}", shown(&p.party)),
            }
            for i in &p.items {
                let cite = shown(i.cite.as_deref().unwrap_or("-"));
                let _ = writeln!(
                    out,
                    "  {}  {:<14} {cite} {} · {} [{}]",
                    i.deadline,
                    i.status.name(),
                    shown(i.title.as_deref().unwrap_or(&i.clause)),
                    shown(&i.subject),
                    shown(&i.role)
                );
                let _ = writeln!(out, "      {}", shown(&i.id));
            }
        }
        escape(&out, Keep::Layout).into_owned()
    }
}
