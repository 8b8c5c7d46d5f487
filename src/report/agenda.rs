//! The agenda: obligations falling due in a window, grouped by party, in deadline order.

use super::messages::{Msg, Words};
use crate::eval::{Status, Verdict, Verdicts};
use crate::lang::Lang;
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
    /// The language the plan declares, which the text of the agenda follows by default.
    #[serde(skip)]
    pub language: Option<Lang>,
    /// The plan's roles with its own word for each, for an agenda in the plan's language.
    #[serde(skip)]
    pub role_words: Vec<(String, Option<String>)>,
    /// The window and as-of date, for the text of the agenda.
    #[serde(skip)]
    pub dates: (Date, Date, Date),
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
    /// The roles of `role`, one by one.
    #[serde(skip)]
    pub roles: Vec<String>,
    #[serde(skip)]
    pub due: Option<Date>,
    pub id: String,
    pub clause: String,
    pub cite: Option<String>,
    pub title: Option<String>,
    pub subject: String,
    pub requirement: String,
}

/// The subject as the agenda's JSON gives it (`the plan` for the plan as a whole).
fn subject(v: &Verdict) -> String {
    if v.subject.is_empty() {
        Words(Lang::En).get(Msg::ThePlan).into()
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
        // A duty whose subject does not name its party is listed last, under `unknown`, not left out.
        let unknown = crate::model::PartyDecl {
            name: crate::eval::UNKNOWN_PARTY.to_string(),
            full_name: None,
            origin: crate::model::Origin { file: "".into(), span: Default::default() },
        };
        for p in model.parties.iter().chain(std::iter::once(&unknown)) {
            let mut items: Vec<Item> = due
                .iter()
                .filter_map(|v| {
                    let roles: Vec<&str> =
                        v.parties.iter().filter(|(_, ps)| ps.contains(&p.name)).map(|(r, _)| r.as_str()).collect();
                    (!roles.is_empty()).then(|| Item {
                        deadline: v.deadline.map(|d| d.to_string()).unwrap_or_default(),
                        status: v.status,
                        role: roles.join(", "),
                        roles: roles.iter().map(|r| r.to_string()).collect(),
                        due: v.deadline,
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
            language: model.plan.language,
            role_words: model.plan.roles.iter().map(|r| (r.name.clone(), r.label.clone())).collect(),
            dates: (from, to, report.as_of()),
        }
    }

    /// The agenda as text, in `lang` or else the plan's language; values escaped as in the
    /// report ([`crate::report::human`]).
    pub fn human(&self, lang: Option<Lang>) -> String {
        let words = Words(lang.or(self.language).unwrap_or_default());
        let mut out = String::new();
        let plan = shown(&self.plan);
        let (from, to, as_of) = self.dates;
        let (from, to, as_of) = (words.date(from), words.date(to), words.date(as_of));
        let _ = writeln!(out, "{}", words.fill(Msg::AgendaTitle, &[&plan, &from, &to, &as_of]));
        if self.parties.is_empty() {
            let _ = writeln!(out, "\n{}", words.get(Msg::AgendaEmpty));
        }
        let width = words.status_width();
        // Dates in Chinese differ in length (`2019年10月1日`): the column is as wide as the widest.
        let date_width = self
            .parties
            .iter()
            .flat_map(|p| &p.items)
            .filter_map(|i| i.due)
            .map(|d| Words::columns(&words.date(d)))
            .max()
            .unwrap_or(0);
        for p in &self.parties {
            let _ = writeln!(out);
            match &p.full_name {
                Some(f) if *f != p.party => {
                    _ = writeln!(out, "{}{}", shown(&p.party), words.fill(Msg::Because, &[&shown(f)]))
                }
                _ => _ = writeln!(out, "{}", shown(&p.party)),
            }
            for i in &p.items {
                let cite = shown(i.cite.as_deref().unwrap_or("-"));
                let roles: Vec<&str> = i.roles.iter().map(|r| self.role_word(words, r)).collect();
                let subject = if i.subject == Words(Lang::En).get(Msg::ThePlan) {
                    words.get(Msg::ThePlan).into()
                } else {
                    shown(&i.subject)
                };
                let _ = writeln!(
                    out,
                    "  {}  {}{cite} {} · {subject} [{}]",
                    words.pad(&i.due.map(|d| words.date(d)).unwrap_or_default(), date_width),
                    words.pad(words.status(i.status), width),
                    shown(i.title.as_deref().unwrap_or(&i.clause)),
                    shown(&roles.join(words.get(Msg::PartySep)))
                );
                let _ = writeln!(out, "      {}", shown(&i.id));
            }
        }
        escape(&out, Keep::Layout).into_owned()
    }

    /// The agenda with only the obligations `only` lists (`--only`), and the parties left
    /// with any; all of them for `None` or `Only::All`.
    pub fn only(&self, only: Option<super::Only>) -> std::borrow::Cow<'_, Agenda> {
        let Some(only @ (super::Only::Breaches | super::Only::Open)) = only else {
            return std::borrow::Cow::Borrowed(self);
        };
        let mut a = self.clone();
        for p in &mut a.parties {
            p.items.retain(|i| match only {
                super::Only::Breaches => i.status.is_breach(),
                _ => i.status.is_open(),
            });
        }
        a.parties.retain(|p| !p.items.is_empty());
        std::borrow::Cow::Owned(a)
    }

    /// What the agenda in `words`' language calls a role: the plan's own word in Chinese.
    fn role_word<'a>(&'a self, words: Words, role: &'a str) -> &'a str {
        if words.0 == Lang::En {
            return role;
        }
        self.role_words.iter().find(|(n, _)| n == role).and_then(|(_, l)| l.as_deref()).unwrap_or(role)
    }
}
