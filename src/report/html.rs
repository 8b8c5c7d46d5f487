//! The HTML report (`writ report --html OUT`): a folder of pages that open from `file://` with
//! no server and nothing fetched (the styles and the small script are inline, the fonts are
//! the reader's own). `index.html` is the overview: counts by status, by responsible party and
//! by plan section, breaches first; the deadlines that passed, fall this month and next month;
//! and the progress of count targets as bars. `verdicts.html` lists every verdict, with a
//! filter by status and by party and a search; each responsible party has a page of what it
//! owes (`party-N.html`), and each section of the plan a page that follows the plan's outline
//! with the plan's text beside the verdicts (`section-N.html`). Every verdict opens to its
//! explanation, the text of `writ explain`, with the fact file and line behind each value.
//!
//! The pages are askama templates (`templates/report/`), compiled with the program and
//! escaping every value; values from the policy and the facts are also made visible as the
//! terminal report shows them ([`shown`]), so that no bidirectional or invisible character
//! reorders a page. The same verdicts give the same bytes: nothing depends on the clock, a
//! hash order or the machine.

use super::human::{
    Only, Tally, explain, party_word, responsible, role_word, roles_of, sanction_line, section_of, subject,
};
use super::messages::{Msg, Words};
use crate::eval::{Status, Verdict, Verdicts};
use crate::lang::Lang;
use crate::model::{OutlineEntry, PartyDecl};
use crate::text::shown;
use crate::value::Date;
use askama::Template;
use indexmap::IndexMap;
use std::io;
use std::path::Path;

/// What the HTML report reads from the policy beyond the verdicts: the plan's outline (the
/// order and the headings of its sections), the parties' full names, and how a verdict is
/// explained. Each may be empty.
#[derive(Clone, Copy, Default)]
pub struct PlanOutline<'a> {
    pub outline: &'a [OutlineEntry],
    pub parties: &'a [PartyDecl],
    /// The text of `writ explain` for a verdict, in a language, where the command line has
    /// more to say than the verdict holds (the records a derived record was made from);
    /// without it, [`explain`].
    pub explain: Option<&'a Explainer<'a>>,
}

/// The text of `writ explain` for a verdict, in a language.
pub type Explainer<'a> = dyn Fn(&Verdict, Words) -> String + 'a;

/// The pages of an HTML report, by file name, in the order they are made: `index.html` first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Site {
    pub pages: Vec<(String, String)>,
}

impl Site {
    /// Writes every page into `dir`, which is made if it does not exist. The pages of an
    /// earlier report there are replaced, and those this report does not have (the page of a
    /// party that owes nothing now) removed; any other file is left alone.
    pub fn write_to(&self, dir: &Path) -> io::Result<()> {
        std::fs::create_dir_all(dir)?;
        for (name, text) in &self.pages {
            std::fs::write(dir.join(name), text)?;
        }
        for entry in std::fs::read_dir(dir)? {
            let name = entry?.file_name();
            let Some(name) = name.to_str() else { continue };
            if is_numbered_page(name) && !self.pages.iter().any(|(n, _)| n == name) {
                std::fs::remove_file(dir.join(name))?;
            }
        }
        Ok(())
    }

    /// The text of the page named `name`.
    pub fn page(&self, name: &str) -> Option<&str> {
        self.pages.iter().find(|(n, _)| n == name).map(|(_, t)| t.as_str())
    }
}

/// Whether a file is named as the report names a party's or a section's page (`party-3.html`).
fn is_numbered_page(name: &str) -> bool {
    let Some(stem) = name.strip_suffix(".html") else { return false };
    let number = stem.strip_prefix("party-").or_else(|| stem.strip_prefix("section-"));
    number.is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

/// Bars of count targets shown on the overview; past this many, a line says how many more.
const MOST_BARS: usize = 100;

/// Rows of one band of the timeline shown; past this many, a line says how many more.
const MOST_DUE: usize = 100;

/// The HTML report of `r`, its labels in `lang` or else the plan's language.
pub fn html<V: Verdicts + ?Sized>(r: &V, lang: Option<Lang>, plan: PlanOutline<'_>) -> Site {
    let words = Words(lang.or(r.language()).unwrap_or_default());
    let no_section = words.get(Msg::NoSection);
    let tally = Tally::of(r, Only::All, no_section);
    let parties: Vec<&str> = tally.by_party.keys().map(String::as_str).collect();
    let party_at = |p: &str| tally.by_party.get_index_of(p).expect("the tally counts every party of every verdict");
    let sections = Sections::of(r, plan.outline, no_section);

    // Each verdict's entry is written once and placed on every page that lists it.
    let n = r.count();
    let mut items: Vec<Item> = Vec::with_capacity(n);
    let mut owed: Vec<Vec<(usize, String)>> = vec![Vec::new(); parties.len()];
    let mut progress: Vec<Bar> = Vec::new();
    let mut more_bars = 0;
    for i in 0..n {
        let v = r.verdict_at(i);
        let roles = r.parties_of(i);
        let mut ps = String::new();
        for p in responsible(roles.clone()) {
            let at = party_at(&p);
            let role = roles_of(r, words, &roles, &p);
            owed[at].push((i, role));
            if !ps.is_empty() {
                ps.push(' ');
            }
            ps.push_str(&at.to_string());
        }
        let explanation = match plan.explain {
            Some(f) => f(&v, words),
            None => explain(&v, r.as_of(), words, |role| r.role_label(role)),
        };
        let entry =
            Entry::of(i, &v, words, &explanation).render().expect("a template writes to a string without failing");
        if let Some(bar) = Bar::of(i, &v, words) {
            if progress.len() < MOST_BARS {
                progress.push(bar);
            } else {
                more_bars += 1;
            }
        }
        items.push(Item {
            status: v.status,
            id: shown(&v.id).into_owned(),
            parties: ps,
            deadline: v.deadline,
            clause_title: clause_title(&v),
            cite: v.cite.as_deref().map(|c| shown(c).into_owned()),
            entry,
        });
    }

    let frame = |title: String, page: Page| Frame {
        lang: words.0.tag(),
        title,
        plan: shown(r.plan_title().unwrap_or(r.plan())).into_owned(),
        as_of: words.date(r.as_of()),
        page,
        nav: [
            ("index.html", words.get(Msg::HtmlOverview), page == Page::Overview),
            ("verdicts.html", words.get(Msg::HtmlAllVerdicts), page == Page::Verdicts),
            ("index.html#by-party", words.get(Msg::HtmlParties), page == Page::Party),
            ("index.html#by-section", words.get(Msg::HtmlSections), page == Page::Section),
        ],
    };
    let statuses = Statuses::of(&tally.by_status, words);
    let full_name = |p: &str| {
        plan.parties.iter().find(|d| d.name == p).and_then(|d| d.full_name.as_deref()).map(|f| shown(f).into_owned())
    };

    let mut pages = Vec::with_capacity(2 + parties.len() + sections.list.len());
    let title = words.fill(Msg::Title, &[&shown(r.plan_title().unwrap_or(r.plan())), &words.date(r.as_of())]);

    // The overview.
    let mut party_rows: Vec<CountRow> = tally
        .by_party
        .iter()
        .enumerate()
        .map(|(at, (name, by))| {
            let name = shown(&party_word(name, words)).into_owned();
            CountRow::of(name, format!("party-{}.html", at + 1), by, &statuses)
        })
        .collect();
    // Breaches first: the parties with the most, then the order the plan names them in.
    party_rows.sort_by_key(|row| std::cmp::Reverse(row.breaches));
    let section_rows: Vec<CountRow> = sections
        .list
        .iter()
        .enumerate()
        .map(|(at, s)| {
            let by = tally.by_section.get(&s.key).cloned().unwrap_or_default();
            CountRow::of(s.key_shown.clone(), format!("section-{}.html", at + 1), &by, &statuses)
        })
        .collect();
    let overview = Overview {
        f: frame(title.clone(), Page::Overview),
        w: Labels::new(words),
        total: n,
        statuses: &statuses,
        parties: party_rows,
        sections: section_rows,
        timeline: Timeline::of(r.as_of(), &items, words),
        progress,
        more_bars: (more_bars > 0).then(|| words.fill(Msg::AndMore, &[&more_bars])),
    };
    pages.push(("index.html".to_string(), overview.render().expect("rendering to a string does not fail")));

    // Every verdict, with the filters.
    let options: Vec<(usize, String)> =
        parties.iter().enumerate().map(|(at, p)| (at, shown(&party_word(p, words)).into_owned())).collect();
    // Breaches first, then what is open, then what passed; by deadline, then in the report's order.
    let urgent = |i: usize| (order(items[i].status), items[i].deadline.is_none(), items[i].deadline, i);
    let mut every: Vec<usize> = (0..n).collect();
    every.sort_by_key(|&i| urgent(i));
    for list in &mut owed {
        list.sort_by_key(|(i, _)| urgent(*i));
    }
    let all = List {
        f: frame(words.get(Msg::HtmlAllVerdicts).to_string(), Page::Verdicts),
        w: Labels::new(words),
        heading: words.get(Msg::HtmlAllVerdicts).to_string(),
        subheading: None,
        counts: Vec::new(),
        statuses: &statuses,
        party_filter: &options,
        groups: vec![Group {
            heading: None,
            plan_text: None,
            roles: None,
            rows: every.iter().map(|&i| Row { item: &items[i], role: None }).collect(),
        }],
        total: n,
    };
    pages.push(("verdicts.html".to_string(), all.page()));

    // A page per responsible party.
    for (at, p) in parties.iter().enumerate() {
        let list: Vec<Row> =
            owed[at].iter().map(|(i, role)| Row { item: &items[*i], role: Some(role.clone()) }).collect();
        let total = list.len();
        let by = &tally.by_party[at];
        let counts = statuses.present().filter_map(|s| by.get(&s.status).map(|n| (s.name, s.word, *n))).collect();
        let page = List {
            f: frame(words.fill(Msg::HtmlPartyTitle, &[&shown(&party_word(p, words))]), Page::Party),
            w: Labels::new(words),
            heading: words.fill(Msg::HtmlPartyTitle, &[&shown(&party_word(p, words))]),
            subheading: full_name(p),
            counts,
            statuses: &statuses,
            party_filter: &[],
            groups: vec![Group { heading: None, plan_text: None, roles: None, rows: list }],
            total,
        };
        pages.push((format!("party-{}.html", at + 1), page.page()));
    }

    // A page per section of the plan, in the order of its outline.
    for (at, s) in sections.list.iter().enumerate() {
        let mut groups = Vec::new();
        let mut total = 0;
        for item in &s.items {
            let heading = Some(match &item.title {
                Some(t) => format!("{} {}", item.number, t),
                None => format!("{} · {}", item.number, words.get(Msg::HtmlNotInOutline)),
            });
            if item.clauses.is_empty() {
                groups.push(Group { heading, plan_text: None, roles: None, rows: Vec::new() });
                continue;
            }
            for (ci, clause) in item.clauses.iter().enumerate() {
                let first = r.verdict_at(clause.start);
                let roles: Vec<String> = first
                    .parties
                    .iter()
                    .map(|(role, ps)| {
                        let names: Vec<String> = ps.iter().map(|p| shown(p).into_owned()).collect();
                        format!("{} {}", shown(role_word(r, words, role)), names.join(words.get(Msg::PartySep)))
                    })
                    .collect();
                total += clause.len();
                groups.push(Group {
                    heading: if ci == 0 { heading.clone() } else { None },
                    plan_text: Some(PlanText {
                        clause: clause_title(&first),
                        text: first.cite_text.as_deref().map(|t| shown(t).into_owned()),
                    }),
                    roles: (!roles.is_empty()).then(|| roles.join(words.get(Msg::RoleSep))),
                    rows: {
                        let mut range: Vec<usize> = clause.clone().collect();
                        range.sort_by_key(|&i| order(items[i].status));
                        range.iter().map(|&i| Row { item: &items[i], role: None }).collect()
                    },
                });
            }
        }
        let heading = words.fill(Msg::HtmlSectionTitle, &[&s.key_shown]);
        let page = List {
            f: frame(heading.clone(), Page::Section),
            w: Labels::new(words),
            heading,
            subheading: None,
            counts: Vec::new(),
            statuses: &statuses,
            party_filter: &[],
            groups,
            total,
        };
        pages.push((format!("section-{}.html", at + 1), page.page()));
    }
    Site { pages }
}

/// `cite title`, or the clause's name where it has no title.
fn clause_title(v: &Verdict) -> String {
    let title = shown(v.title.as_deref().unwrap_or(&v.clause));
    match &v.cite {
        Some(c) => format!("{} {title}", shown(c)),
        None => title.into_owned(),
    }
}

/// Which page is being written: the navigation marks it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Page {
    Overview,
    Verdicts,
    Party,
    Section,
}

/// A verdict as the pages list it: its entry written once, and what the filters and the
/// overview read.
struct Item {
    status: Status,
    /// The verdict's id, for a program that reads the page.
    id: String,
    /// The numbers of its responsible parties, space-separated (the party filter's values).
    parties: String,
    deadline: Option<Date>,
    clause_title: String,
    cite: Option<String>,
    /// The HTML of its entry ([`Entry`]), escaped as it was written.
    entry: String,
}

/// A verdict on a page, with the listed party's role in it on a party's page.
struct Row<'a> {
    item: &'a Item,
    role: Option<String>,
}

impl Row<'_> {
    fn status(&self) -> &'static str {
        self.item.status.name()
    }
}

/// A run of verdicts under one heading: on a section's page, a clause with the plan's text.
struct Group<'a> {
    heading: Option<String>,
    plan_text: Option<PlanText>,
    roles: Option<String>,
    rows: Vec<Row<'a>>,
}

struct PlanText {
    clause: String,
    text: Option<String>,
}

/// One verdict's entry: a line to scan (status, cite, title, subject, deadline, sanction) that
/// opens to the explanation.
#[derive(Template)]
#[template(path = "report/entry.html")]
struct Entry<'a> {
    n: usize,
    status: &'static str,
    status_word: &'static str,
    cite: Option<String>,
    title: String,
    subject: String,
    due: Option<String>,
    sanctions: Vec<String>,
    explanation: &'a str,
    explain_label: &'static str,
}

impl<'a> Entry<'a> {
    fn of(n: usize, v: &Verdict, words: Words, explanation: &'a str) -> Entry<'a> {
        let sanctions = v.sanctions.iter().map(|s| sanction_line(s, words)).collect();
        Entry {
            n,
            status: v.status.name(),
            status_word: words.status(v.status),
            cite: v.cite.as_deref().map(|c| shown(c).into_owned()),
            title: shown(v.title.as_deref().unwrap_or(&v.clause)).into_owned(),
            subject: subject(v, words),
            due: v.deadline.map(|d| words.fill(Msg::Due, &[&words.date(d)]).trim().to_string()),
            sanctions,
            explanation,
            explain_label: words.get(Msg::HtmlExplain),
        }
    }
}

/// What every page has around its content.
struct Frame {
    lang: &'static str,
    title: String,
    plan: String,
    as_of: String,
    page: Page,
    nav: [(&'static str, &'static str, bool); 4],
}

impl Frame {
    /// Whether the page has the filters and search.
    fn filters(&self) -> bool {
        self.page != Page::Overview
    }
}

/// The labels the templates write, in the report's language.
struct Labels {
    parties: &'static str,
    sections: &'static str,
    total: &'static str,
    status: &'static str,
    party: &'static str,
    search: &'static str,
    any_status: &'static str,
    any_party: &'static str,
    breaches: &'static str,
    open: &'static str,
    shown: String,
    timeline: &'static str,
    progress: &'static str,
    plan_text: &'static str,
    role: &'static str,
    empty: &'static str,
    nothing_due: &'static str,
    by_status: &'static str,
}

impl Labels {
    fn new(w: Words) -> Labels {
        Labels {
            parties: w.get(Msg::HtmlParties),
            sections: w.get(Msg::HtmlSections),
            total: w.get(Msg::HtmlTotal),
            status: w.get(Msg::HtmlFilterStatus),
            party: w.get(Msg::HtmlFilterParty),
            search: w.get(Msg::HtmlSearch),
            any_status: w.get(Msg::HtmlAnyStatus),
            any_party: w.get(Msg::HtmlAnyParty),
            breaches: w.get(Msg::HtmlBreaches),
            open: w.get(Msg::HtmlOpen),
            // The script fills in the numbers: `{0}` and `{1}` become its spans.
            shown: w.get(Msg::HtmlShown).to_string(),
            timeline: w.get(Msg::HtmlTimeline),
            progress: w.get(Msg::HtmlProgress),
            plan_text: w.get(Msg::HtmlPlanText),
            role: w.get(Msg::HtmlRole),
            empty: w.get(Msg::HtmlEmpty),
            nothing_due: w.get(Msg::HtmlNothingDue),
            by_status: w.get(Msg::SummaryByStatus),
        }
    }

    /// The text before, between and after the two numbers of "{0} of {1} shown".
    fn shown_parts(&self) -> (&str, &str, &str) {
        let (a, rest) = self.shown.split_once("{0}").unwrap_or((&self.shown, ""));
        let (b, c) = rest.split_once("{1}").unwrap_or((rest, ""));
        (a, b, c)
    }
}

/// The statuses a report has at all, breaches first ([`Status::ALL`] in the human report's
/// order), with their words and counts: the columns of the overview's tables.
struct Statuses {
    all: Vec<StatusCount>,
}

struct StatusCount {
    status: Status,
    name: &'static str,
    word: &'static str,
    count: usize,
}

impl Statuses {
    fn of(by_status: &IndexMap<Status, usize>, words: Words) -> Statuses {
        let mut all: Vec<StatusCount> = Status::ALL
            .iter()
            .map(|&s| StatusCount {
                status: s,
                name: s.name(),
                word: words.status(s),
                count: by_status.get(&s).copied().unwrap_or(0),
            })
            .collect();
        all.sort_by_key(|s| order(s.status));
        Statuses { all }
    }

    /// The statuses some verdict has: the columns of the tables.
    fn present(&self) -> impl Iterator<Item = &StatusCount> {
        self.all.iter().filter(|s| s.count > 0)
    }
}

/// The order statuses are shown in: breaches first, then what is open, then what passed.
fn order(s: Status) -> u8 {
    match s {
        Status::Violated => 0,
        Status::Overdue => 1,
        Status::FulfilledLate => 2,
        Status::Missed => 3,
        Status::Unknown => 4,
        Status::Pending => 5,
        Status::Exempt => 6,
        Status::Satisfied => 7,
        Status::Fulfilled => 8,
        Status::Met => 9,
        Status::NotApplicable => 10,
    }
}

/// A row of counts on the overview: a party or a section, its total, its counts per status
/// (in the order of [`Statuses::present`]), and a bar of them.
struct CountRow {
    name: String,
    href: String,
    total: usize,
    breaches: usize,
    cells: Vec<(&'static str, usize)>,
    /// Per status with a count, its name and its share of the bar in per mille.
    bar: Vec<(&'static str, usize)>,
}

impl CountRow {
    fn of(name: String, href: String, by: &IndexMap<Status, usize>, statuses: &Statuses) -> CountRow {
        let total: usize = by.values().sum();
        let count = |s: Status| by.get(&s).copied().unwrap_or(0);
        let cells: Vec<(&'static str, usize)> = statuses.present().map(|s| (s.name, count(s.status))).collect();
        let bar = statuses
            .present()
            .filter(|s| count(s.status) > 0)
            .map(|s| (s.name, count(s.status) * 1000 / total.max(1)))
            .collect();
        let breaches = Status::ALL.iter().filter(|s| s.is_breach()).map(|&s| count(s)).sum();
        CountRow { name, href, total, breaches, cells, bar }
    }
}

/// The deadlines around the as-of date: those passed with the duty still open, those of the
/// rest of its month and those of the next month, each as rows of a clause and a day.
struct Timeline {
    bands: Vec<Band>,
}

struct Band {
    class: &'static str,
    heading: String,
    count: usize,
    rows: Vec<DueRow>,
    more: Option<String>,
}

/// The verdicts of one clause due on one day.
struct DueRow {
    date: String,
    clause: String,
    href: String,
    count: String,
    /// Per status, its name, word and count.
    statuses: Vec<(&'static str, &'static str, usize)>,
}

impl Timeline {
    fn of(as_of: Date, items: &[Item], words: Words) -> Timeline {
        use chrono::{Datelike, Months};
        let day = as_of.naive();
        let this = day.with_day(1).expect("every month has a first day");
        let next = this + Months::new(1);
        let after = next + Months::new(1);
        let month = |d: chrono::NaiveDate| words.fill(Msg::HtmlMonth, &[&d.year(), &d.month()]);
        let past = |i: &Item, d: chrono::NaiveDate| d < day && i.status.is_open();
        let now = |_: &Item, d: chrono::NaiveDate| d >= day && d < next;
        let soon = |_: &Item, d: chrono::NaiveDate| d >= next && d < after;
        let bands: [(&'static str, String, &Within<'_>); 3] = [
            ("past", words.get(Msg::HtmlPastDue).to_string(), &past),
            ("now", words.fill(Msg::HtmlThisMonth, &[&month(this)]), &now),
            ("soon", words.fill(Msg::HtmlNextMonth, &[&month(next)]), &soon),
        ];
        let bands = bands
            .into_iter()
            .map(|(class, heading, within)| {
                // (day, first verdict) → the verdicts of that clause due that day.
                let mut groups: IndexMap<(Date, &str), Vec<&Item>> = IndexMap::new();
                let mut count = 0;
                for item in items {
                    let Some(d) = item.deadline else { continue };
                    if !within(item, d.naive()) {
                        continue;
                    }
                    count += 1;
                    groups.entry((d, item.clause_title.as_str())).or_default().push(item);
                }
                groups.sort_by(|(a, ac), _, (b, bc), _| (a, ac).cmp(&(b, bc)));
                let total = groups.len();
                let rows = groups
                    .iter()
                    .take(MOST_DUE)
                    .map(|((d, clause), list)| {
                        let mut by: IndexMap<Status, usize> = IndexMap::new();
                        for i in list {
                            *by.entry(i.status).or_default() += 1;
                        }
                        by.sort_by_key(|s, _| order(*s));
                        DueRow {
                            date: words.date(*d),
                            clause: clause.to_string(),
                            href: format!("verdicts.html#q={}", list[0].cite.as_deref().unwrap_or("")),
                            count: words.fill(Msg::HtmlItems, &[&list.len()]),
                            statuses: by.iter().map(|(s, n)| (s.name(), words.status(*s), *n)).collect(),
                        }
                    })
                    .collect();
                let more = (total > MOST_DUE).then(|| words.fill(Msg::AndMore, &[&(total - MOST_DUE)]));
                Band { class, heading, count, rows, more }
            })
            .collect();
        Timeline { bands }
    }
}

/// Whether a verdict due on a day falls in a band of the timeline.
type Within<'a> = dyn Fn(&Item, chrono::NaiveDate) -> bool + 'a;

/// The progress of a count target: what was counted (or summed) against the number asked for.
struct Bar {
    n: usize,
    status: &'static str,
    label: String,
    text: String,
    /// The share reached, in per mille, at most 1000.
    permille: u32,
}

impl Bar {
    /// The bar of a verdict whose evidence compares a count or a sum with a target above one
    /// (`count(無組織改造) >= 53`), in the same unit.
    fn of(n: usize, v: &Verdict, words: Words) -> Option<Bar> {
        let e = v.evidence.iter().find(|e| {
            (e.left.starts_with("count(") || e.left.starts_with("sum(")) && matches!(e.op.as_str(), ">=" | ">")
        })?;
        let (have, unit) = number(&e.left_value)?;
        let (want, want_unit) = number(&e.right_value)?;
        if unit != want_unit || want <= 1.0 || have < 0.0 {
            return None;
        }
        let permille = ((have / want) * 1000.0).clamp(0.0, 1000.0) as u32;
        Some(Bar {
            n,
            status: v.status.name(),
            label: format!("{} · {}", clause_title(v), subject(v, words)),
            text: words.fill(Msg::HtmlProgressOf, &[&shown(&e.left_value), &shown(&e.right_value)]),
            permille,
        })
    }

    fn percent(&self) -> String {
        format!("{}.{}", self.permille / 10, self.permille % 10)
    }
}

/// A value as the evaluator writes a quantity (`41`, `23.4 蒸噸`): its number and its unit.
fn number(text: &str) -> Option<(f64, &str)> {
    let (num, unit) = text.split_once(' ').unwrap_or((text, ""));
    let x: f64 = num.parse().ok()?;
    x.is_finite().then_some((x, unit))
}

/// The sections of the plan, in the order of its outline, then those cited but not outlined,
/// with each numbered item's clauses.
struct Sections {
    list: Vec<Section>,
}

struct Section {
    /// The section as [`section_of`] names it, as the tally counts it.
    key: String,
    key_shown: String,
    items: Vec<OutlineItem>,
}

struct OutlineItem {
    number: String,
    title: Option<String>,
    /// The verdicts of each clause citing the item, as ranges of the report's order.
    clauses: Vec<std::ops::Range<usize>>,
}

impl Sections {
    fn of<V: Verdicts + ?Sized>(r: &V, outline: &[OutlineEntry], no_section: &str) -> Sections {
        let mut list: IndexMap<String, Section> = IndexMap::new();
        let section = |list: &mut IndexMap<String, Section>, key: &str| -> usize {
            let entry = list.entry(key.to_string());
            let at = entry.index();
            entry.or_insert_with(|| Section {
                key: key.to_string(),
                key_shown: shown(key).into_owned(),
                items: vec![],
            });
            at
        };
        // (section, item) of each number of the outline.
        let mut by_number: IndexMap<&str, (usize, usize)> = IndexMap::new();
        for e in outline {
            let s = section(&mut list, section_of(&e.number));
            let items = &mut list[s].items;
            by_number.insert(&e.number, (s, items.len()));
            items.push(OutlineItem {
                number: shown(&e.number).into_owned(),
                title: Some(shown(e.title.as_deref().unwrap_or("")).into_owned()),
                clauses: vec![],
            });
        }
        let n = r.count();
        let mut start = 0;
        while start < n {
            let end = r.clause_end(start);
            let cite = r.verdict_at(start).cite.clone();
            let (s, item) = match cite.as_deref().and_then(|c| by_number.get(c)) {
                Some(&at) => at,
                None => {
                    let number = cite.as_deref().unwrap_or(no_section);
                    let s = section(&mut list, cite.as_deref().map(section_of).unwrap_or(no_section));
                    let items = &mut list[s].items;
                    let shown_number = shown(number).into_owned();
                    match items.iter().position(|it| it.title.is_none() && it.number == shown_number) {
                        Some(at) => (s, at),
                        None => {
                            items.push(OutlineItem { number: shown_number, title: None, clauses: vec![] });
                            (s, items.len() - 1)
                        }
                    }
                }
            };
            list[s].items[item].clauses.push(start..end);
            start = end;
        }
        Sections { list: list.into_values().collect() }
    }
}

#[derive(Template)]
#[template(path = "report/overview.html")]
struct Overview<'a> {
    f: Frame,
    w: Labels,
    total: usize,
    statuses: &'a Statuses,
    parties: Vec<CountRow>,
    sections: Vec<CountRow>,
    timeline: Timeline,
    progress: Vec<Bar>,
    more_bars: Option<String>,
}

#[derive(Template)]
#[template(path = "report/list.html")]
struct List<'a> {
    f: Frame,
    w: Labels,
    heading: String,
    subheading: Option<String>,
    /// Per status, its name, word and count among the page's verdicts (on a party's page).
    counts: Vec<(&'static str, &'static str, usize)>,
    statuses: &'a Statuses,
    /// The party filter's choices (on the page of every verdict).
    party_filter: &'a [(usize, String)],
    groups: Vec<Group<'a>>,
    total: usize,
}

impl List<'_> {
    /// The page's text, written into a string made large enough for its entries at once.
    fn page(&self) -> String {
        let entries: usize = self.groups.iter().flat_map(|g| &g.rows).map(|r| r.item.entry.len() + 160).sum();
        let mut out = String::with_capacity(entries + (16 << 10));
        self.render_into(&mut out).expect("rendering to a string does not fail");
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eval::{Evidence, FactRef, Report, SanctionOut, Subject, Summary};

    fn verdict(id: &str, status: Status, title: &str, value: &str, party: &str) -> Verdict {
        Verdict {
            id: id.into(),
            clause: format!("c-{title}"),
            title: Some(title.into()),
            cite: Some("三(二)8".into()),
            cite_text: Some(format!("原文 {title}")),
            status,
            modality: "must",
            requirement: "must count(x) >= 53".into(),
            subject: vec![Subject { kind: "企業".into(), key: value.into() }],
            deadline: Date::from_ymd(2020, 1, 31),
            rolled_from: None,
            done_on: None,
            parties: [("lead".to_string(), vec![party.to_string()])].into_iter().collect(),
            parties_unknown: vec![],
            decided: vec![],
            evidence: vec![Evidence {
                left: "count(x)".into(),
                left_value: "41".into(),
                op: ">=".into(),
                right: "53".into(),
                right_value: "53".into(),
                holds: Some(false),
            }],
            computed: vec![],
            facts: vec![FactRef { file: "f.json".into(), kind: "x".into(), key: value.into(), line: 7 }],
            more_facts: 0,
            sanctions: vec![SanctionOut { name: "s".into(), text: Some("約談".into()), on: None }],
            reason: None,
        }
    }

    fn report(verdicts: Vec<Verdict>) -> Report {
        Report {
            plan: "p".into(),
            plan_title: Some("<b>plan</b>".into()),
            language: Some(Lang::ZhHant),
            as_of: Date::from_ymd(2020, 1, 15).unwrap(),
            summary: Summary { verdicts: verdicts.len(), by_status: Default::default(), records: Default::default() },
            verdicts,
            roles: vec![("lead".into(), Some("牽頭".into()))],
        }
    }

    #[test]
    fn user_text_cannot_inject_markup() {
        let hostile = "<script>alert(1)</script>";
        let mut first = verdict("a/1", Status::Violated, hostile, "\"><img src=x onerror=alert(1)>", "<i>局</i>");
        // A value read from a fact file, and the file's name.
        first.evidence[0].left_value = hostile.into();
        first.facts[0].file = format!("{hostile}.json").into();
        let r = report(vec![first, verdict("a/2", Status::Fulfilled, "t", "甲", "市局")]);
        let outline = [OutlineEntry { number: "三(二)8".into(), title: Some("<style>x</style>".into()) }];
        let site = html(&r, None, PlanOutline { outline: &outline, ..PlanOutline::default() });
        let mut scripts = 0;
        for (name, text) in &site.pages {
            assert!(!text.contains(hostile), "{name}");
            assert!(!text.contains("<img"), "{name}");
            assert!(!text.contains("<i>局"), "{name}");
            assert!(!text.contains("<b>plan"), "{name}");
            assert!(!text.contains("<style>x"), "{name}");
            // The page's own script is its only one.
            assert!(text.matches("<script").count() <= 1, "{name}");
            scripts += text.matches("<script").count();
            assert!(!text.contains("http://") && !text.contains("https://"), "{name} fetches nothing");
        }
        assert!(scripts > 0);
        let all = site.page("verdicts.html").unwrap();
        // Escaped as askama escapes it: the title, the value and the file in the explanation.
        assert!(all.matches("&#60;script&#62;alert(1)&#60;/script&#62;").count() >= 4, "{all}");
        assert!(all.contains("&#60;i&#62;局&#60;/i&#62;"));
    }

    #[test]
    fn the_same_verdicts_give_the_same_bytes() {
        let make = || {
            let r = report(vec![
                verdict("a/1", Status::Violated, "甲", "一", "市局"),
                verdict("b/1", Status::Pending, "乙", "二", "區局"),
                verdict("c/1", Status::Fulfilled, "丙", "三", "市局"),
            ]);
            html(&r, Some(Lang::ZhHans), PlanOutline::default())
        };
        let (a, b) = (make(), make());
        assert_eq!(a, b);
        let names: Vec<&str> = a.pages.iter().map(|(n, _)| n.as_str()).collect();
        assert!(names[2..].iter().all(|n| is_numbered_page(n)));
        assert!(
            !is_numbered_page("party-.html") && !is_numbered_page("party-1.htm") && !is_numbered_page("notes.html")
        );
        assert_eq!(names, ["index.html", "verdicts.html", "party-1.html", "party-2.html", "section-1.html"]);
        let index = a.page("index.html").unwrap();
        assert!(index.contains("41／53"), "a progress bar");
        assert!(index.contains("lang=\"zh-Hans\""));
        let party = a.page("party-1.html").unwrap();
        assert_eq!(party.matches("class=\"item\"").count(), 2);
        assert!(party.contains("牽頭"));
        assert!(party.contains("f.json:7"));
    }
}
