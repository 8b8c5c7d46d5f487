//! The report an inspector reads: grouped by clause, breaches first, each with the cited text,
//! what was found and by whom it is owed.

use super::messages::{Msg, Words};
use crate::eval::{Evaluation, Status, Verdict, Verdicts};
use crate::lang::Lang;
use crate::text::{Keep, escape, shown};
use crate::value::Date;
use indexmap::IndexMap;
use rustc_hash::FxHashMap;
use std::fmt::Write;
use std::io;

/// Facts listed per verdict in the human report.
const HUMAN_FACTS: usize = 5;

/// Passing verdicts (`satisfied`, `fulfilled`) of one clause listed one by one in the default
/// report; past this many, they are counted on one line instead (`--only all` lists them).
/// Twenty is a page of lines: a reader checks twenty subjects by eye, not fifty-six months of
/// reports that each came in on time.
pub const FOLD_OVER: usize = 20;

/// Which verdicts the human report lists (`--only`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Only {
    /// Breaches of binding duties, as make `writ eval` exit 1 ([`Status::is_breach`]):
    /// `violated`, `overdue`, `fulfilled_late`.
    Breaches,
    /// Matters still open ([`Status::is_open`]): `violated`, `overdue`, `pending`, `unknown`.
    Open,
    /// Every verdict, the passing ones of a large clause too, one by one.
    All,
}

impl Only {
    fn shows(self, s: Status) -> bool {
        match self {
            Only::Breaches => s.is_breach(),
            Only::Open => s.is_open(),
            Only::All => true,
        }
    }
}

/// How the human report is written: in which language, which verdicts, and whether only
/// counted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HumanOptions {
    /// The language of writ's labels; `None` is the plan's (`language "zh-Hant"`), else English.
    pub lang: Option<Lang>,
    /// Which verdicts are listed; `None` lists every verdict but counts the passing ones of a
    /// clause that has more than [`FOLD_OVER`].
    pub only: Option<Only>,
    /// Counts by status, by responsible party and by plan section instead of the verdicts.
    pub summary: bool,
}

impl HumanOptions {
    /// The language a report of `r` is written in.
    pub fn lang_for<V: Verdicts + ?Sized>(&self, r: &V) -> Lang {
        self.lang.or(r.language()).unwrap_or_default()
    }
}

/// How much text is gathered before it is escaped and written out.
const CHUNK: usize = 1 << 16;

fn mark(s: Status) -> &'static str {
    match s {
        Status::Violated | Status::Overdue | Status::FulfilledLate => "✗",
        Status::Missed => "△",
        Status::Unknown => "?",
        Status::Pending => "…",
        Status::Exempt | Status::NotApplicable => "–",
        Status::Satisfied | Status::Fulfilled | Status::Met => "✓",
    }
}

/// Order within a clause: what needs action first.
fn rank(s: Status) -> u8 {
    match s {
        Status::Violated | Status::Overdue => 0,
        Status::FulfilledLate => 1,
        Status::Missed => 2,
        Status::Unknown => 3,
        Status::Pending => 4,
        Status::Exempt => 5,
        Status::Satisfied | Status::Fulfilled | Status::Met => 6,
        Status::NotApplicable => 7,
    }
}

pub(super) fn subject(v: &Verdict, w: Words) -> String {
    if v.subject.is_empty() {
        w.get(Msg::ThePlan).into()
    } else {
        v.subject.iter().map(|s| format!("{} {}", shown(&s.kind), shown(&s.key))).collect::<Vec<_>>().join(" · ")
    }
}

/// Renders the whole report as text. Values from policies and facts are escaped where they are
/// written ([`shown`]), and every piece of text once more as it is written out, so that no
/// control, bidirectional or invisible character reaches the terminal whatever a later line
/// forgets.
pub fn human<V: Verdicts + ?Sized>(r: &V) -> String {
    human_with(r, &HumanOptions::default())
}

/// Renders the report as [`human`] does, written as `options` say.
pub fn human_with<V: Verdicts + ?Sized>(r: &V, options: &HumanOptions) -> String {
    let mut out = Vec::new();
    write_human(r, options, &mut out).expect("writing to memory does not fail");
    String::from_utf8(out).expect("the report is UTF-8")
}

/// Writes the text [`human_with`] gives to `w`, a verdict at a time: the report is never held
/// whole.
pub fn write_human<V: Verdicts + ?Sized>(r: &V, options: &HumanOptions, w: &mut dyn io::Write) -> io::Result<()> {
    let words = Words(options.lang_for(r));
    let mut out = String::new();
    let title = shown(r.plan_title().unwrap_or(r.plan()));
    let _ = writeln!(out, "{}", words.fill(Msg::Title, &[&title, &words.date(r.as_of())]));
    let summary = r.summary();
    let counts =
        words.counts(summary.by_status.iter().filter(|(_, n)| **n > 0).map(|(s, n)| (status_word(words, s), *n)));
    let _ = writeln!(out, "{}", words.fill(Msg::Counts, &[&summary.verdicts, &counts]));
    let n = r.count();
    match options.only {
        Some(only @ (Only::Breaches | Only::Open)) => {
            let shown = (0..n).filter(|&i| only.shows(r.status_of(i))).count();
            let key = if only == Only::Breaches { Msg::OnlyBreaches } else { Msg::OnlyOpen };
            let _ = writeln!(out, "{}", words.fill(key, &[&shown, &n]));
        }
        Some(Only::All) | None => {}
    }
    if options.summary {
        write_summary(r, options, words, &mut out);
    } else {
        let mut lines = r.evaluation().map(|e| Lines::new(e, words));
        let mut start = 0;
        while start < n {
            let end = r.clause_end(start);
            clause_section(r, start..end, options, words, &mut lines, &mut out, w)?;
            start = end;
        }
    }
    if !summary.records.is_empty() {
        let _ = writeln!(out, "\n{}", words.get(Msg::FactsHeader));
        for (kind, a) in &summary.records {
            let flawed = match a.unreadable_fields {
                0 => String::new(),
                1 => words.get(Msg::FlawedOne).to_string(),
                n => words.fill(Msg::FlawedMany, &[&n]),
            };
            let _ =
                writeln!(out, "  {}: {} = {} + {} + {}{flawed}", shown(kind), a.loaded, a.used, a.unused, a.rejected);
            // Records never read are not in `loaded`: the kind is incomplete, file by file.
            for l in &a.incomplete {
                let _ = writeln!(out, "    {}", incomplete_line(l, words, l.more));
            }
        }
    }
    flush(&mut out, w)
}

/// What a file held of a kind but was never read, escaped: how many records, where, why, and
/// (`more`) at how many further places of the file.
pub(super) fn incomplete_line(l: &crate::eval::LossOut, words: Words, more: usize) -> String {
    let lost = match l.lost {
        Some(1) => words.get(Msg::LostOne).to_string(),
        Some(n) => words.fill(Msg::LostMany, &[&n]),
        None => words.get(Msg::LostUnknown).to_string(),
    };
    let at = if l.line > 0 { words.fill(Msg::AtLine, &[&l.line]) } else { String::new() };
    let more = match more {
        0 => String::new(),
        1 => words.get(Msg::MoreOnePlace).to_string(),
        n => words.fill(Msg::MorePlaces, &[&n]),
    };
    words.fill(Msg::Incomplete, &[&lost, &shown(&l.file), &at, &shown(&l.reason), &more])
}

/// The word for a status named as the summary names it (`fulfilled_late`).
fn status_word(words: Words, name: &str) -> &'static str {
    match Status::parse(name) {
        Some(s) => words.status(s),
        None => "?",
    }
}

/// The section of the plan a cite is in: the cite without the task number at its end
/// (`三(二)11` → `三(二)`, `二(二)1` → `二(二)`, `四(五)` stays).
pub fn section_of(cite: &str) -> &str {
    let trimmed = cite.trim_end_matches(|c: char| c.is_ascii_digit()).trim_end();
    if trimmed.is_empty() { cite } else { trimmed }
}

/// The counts of `--summary` (and of a workbook's summary sheet): by status, by responsible
/// party (every party a clause names, in any role, in the order they first appear) and by
/// plan section ([`section_of`]), each in the order first met.
pub struct Tally {
    /// Every status, in [`Status::ALL`] order, with its count (zero included).
    pub by_status: IndexMap<Status, usize>,
    pub by_party: IndexMap<String, IndexMap<Status, usize>>,
    pub by_section: IndexMap<String, IndexMap<Status, usize>>,
}

impl Tally {
    /// The verdicts of `r` that `only` shows, counted; `no_section` names the section of a
    /// clause that cites nothing.
    pub fn of<V: Verdicts + ?Sized>(r: &V, only: Only, no_section: &str) -> Tally {
        let n = r.count();
        let mut by_status: IndexMap<Status, usize> = Status::ALL.iter().map(|&s| (s, 0)).collect();
        let mut by_party: IndexMap<String, IndexMap<Status, usize>> = IndexMap::new();
        let mut by_section: IndexMap<String, IndexMap<Status, usize>> = IndexMap::new();
        let mut start = 0;
        while start < n {
            let end = r.clause_end(start);
            let section = match r.verdict_at(start).cite.as_deref() {
                Some(c) => section_of(c).to_string(),
                None => no_section.to_string(),
            };
            for i in start..end {
                let s = r.status_of(i);
                if !only.shows(s) {
                    continue;
                }
                *by_status.entry(s).or_default() += 1;
                *by_section.entry(section.clone()).or_default().entry(s).or_default() += 1;
                for p in responsible(r.parties_of(i)) {
                    *by_party.entry(p).or_default().entry(s).or_default() += 1;
                }
            }
            start = end;
        }
        Tally { by_status, by_party, by_section }
    }
}

/// Every party a verdict's clause names, in any role, once each, in the order named: the
/// parties a verdict is counted for, and listed under.
pub fn responsible(parties: IndexMap<String, Vec<String>>) -> Vec<String> {
    let mut named: Vec<String> = Vec::new();
    for ps in parties.into_values() {
        for p in ps {
            if !named.contains(&p) {
                named.push(p);
            }
        }
    }
    named
}

/// `--summary`: the verdicts counted by status, by responsible party and by plan section
/// ([`Tally`]).
fn write_summary<V: Verdicts + ?Sized>(r: &V, options: &HumanOptions, words: Words, out: &mut String) {
    let Tally { by_status, by_party, by_section } =
        Tally::of(r, options.only.unwrap_or(Only::All), words.get(Msg::NoSection));
    let width = words.status_width();
    let _ = writeln!(out, "\n{}", words.get(Msg::SummaryByStatus));
    for (s, count) in by_status.iter().filter(|(_, c)| **c > 0) {
        let _ = writeln!(out, "  {} {}{count}", mark(*s), words.pad(words.status(*s), width));
    }
    for (heading, table) in [(Msg::SummaryByParty, &by_party), (Msg::SummaryBySection, &by_section)] {
        let _ = writeln!(out, "\n{}", words.get(heading));
        for (name, counts) in table {
            let total: usize = counts.values().sum();
            // Statuses in the order of the report: what needs action first.
            let mut ordered: Vec<(Status, usize)> = counts.iter().map(|(s, c)| (*s, *c)).collect();
            ordered.sort_by_key(|(s, _)| (rank(*s), s.position()));
            let list = words.counts(ordered.iter().map(|(s, c)| (words.status(*s), *c)));
            let _ = writeln!(out, "  {}", words.fill(Msg::SummaryRow, &[&shown(name), &total, &list]));
        }
    }
}

/// Writes out the text gathered, escaped, and empties it.
fn flush(out: &mut String, w: &mut dyn io::Write) -> io::Result<()> {
    w.write_all(escape(out, Keep::Layout).as_bytes())?;
    out.clear();
    Ok(())
}

/// Writes out the text gathered once there is enough of it.
fn flush_some(out: &mut String, w: &mut dyn io::Write) -> io::Result<()> {
    if out.len() >= CHUNK { flush(out, w) } else { Ok(()) }
}

/// Whether a verdict with this status is shown with its evidence, facts and id, not on one line.
fn detailed(s: Status) -> bool {
    s != Status::Satisfied && s != Status::Met && s != Status::Fulfilled
}

/// Whether a verdict with this status is shown with the values it compared and its id: a
/// strive target reached (`met`) says by how much, as one missed does.
fn valued(s: Status) -> bool {
    detailed(s) || s == Status::Met
}

fn clause_section<V: Verdicts + ?Sized>(
    r: &V,
    range: std::ops::Range<usize>,
    options: &HumanOptions,
    words: Words,
    lines: &mut Option<Lines>,
    out: &mut String,
    w: &mut dyn io::Write,
) -> io::Result<()> {
    let listed = |s: Status| options.only.is_none_or(|o| o.shows(s));
    // Read once: a clause may have millions of verdicts.
    let statuses: Vec<Status> = range.clone().map(|i| r.status_of(i)).collect();
    if !statuses.iter().any(|&s| listed(s)) {
        return Ok(());
    }
    // Passing verdicts of a large clause are counted, not listed, unless every one is asked for.
    // Passing verdicts evaluation counted and left out, which a folded clause counts too.
    let left_out = r.left_out(range.start);
    let passing = statuses.iter().filter(|&&s| s.is_passing()).count() + left_out.iter().sum::<usize>();
    let fold = options.only.is_none() && passing > FOLD_OVER;
    let first = r.verdict_at(range.start);
    let _ = writeln!(out);
    let cite = shown(first.cite.as_deref().unwrap_or("-"));
    let clause = shown(&first.clause);
    match &first.title {
        Some(t) => _ = writeln!(out, "{cite}  {clause} · {}", shown(t)),
        None => _ = writeln!(out, "{cite}  {clause}"),
    }
    if let Some(text) = &first.cite_text {
        let _ = writeln!(out, "  “{}”", shown(text));
    }
    // A role the subjects decide (`implement e.所在縣區`) is shown with each verdict instead.
    let decided = r.decided_roles(range.clone());
    let roles: Vec<String> = first
        .parties
        .iter()
        .filter(|(role, _)| !decided.contains(role))
        .map(|(role, ps)| format!("{} {}", shown(role_word(r, words, role)), parties(ps, words)))
        .collect();
    if !roles.is_empty() {
        let _ = writeln!(out, "  {}", roles.join(words.get(Msg::RoleSep)));
    }
    drop(first);
    // The verdicts counted, not listed: those not applicable (with the first one's reason), and
    // the passing ones of a folded clause.
    let mut na = 0;
    let mut na_reason: Option<String> = None;
    let mut folded = left_out;
    // The others by rank, in report order within a rank (a stable sort, by bucket).
    let mut by_rank: [Vec<usize>; 8] = Default::default();
    for (i, &s) in range.zip(&statuses).filter(|(_, s)| listed(**s)) {
        if s == Status::NotApplicable {
            na += 1;
            if na_reason.is_none() {
                na_reason = r.reason_of(i).map(str::to_string);
            }
        } else if fold && s.is_passing() {
            folded[s.position()] += 1;
        } else {
            by_rank[rank(s) as usize].push(i);
        }
    }
    let mut listed: Vec<usize> = by_rank.into_iter().flatten().collect();
    // Many lines from compact records: laid out on the evaluation's threads, and none left to
    // write here.
    if let Some(e) = r.evaluation()
        && lines.is_some()
        && decided.is_empty()
        && e.threads > 1
        && listed.len() >= super::ON_THREADS_FROM
    {
        flush(out, w)?;
        let lay_out = |lines: &mut Lines, k: usize, text: &mut String| {
            let i = listed[k];
            if valued(e.status(i)) {
                lines.write_valued(i, text)
            } else {
                lines.write(i, text)
            }
            Ok(())
        };
        let finish = |text: String| {
            let escaped = match escape(&text, Keep::Layout) {
                std::borrow::Cow::Owned(escaped) => Some(escaped),
                std::borrow::Cow::Borrowed(_) => None,
            };
            escaped.unwrap_or(text)
        };
        super::write_in_blocks(listed.len(), e.threads, w, || Lines::new(e, words), lay_out, finish)?;
        listed.clear();
    }
    for i in listed {
        if let Some(lines) = lines
            && decided.is_empty()
        {
            if valued(r.status_of(i)) {
                lines.write_valued(i, out);
            } else {
                lines.write(i, out);
            }
            flush_some(out, w)?;
            continue;
        }
        let v = r.verdict_at(i);
        let _ = write!(
            out,
            "  {} {}{} · {} {}",
            mark(v.status),
            words.pad(words.status(v.status), words.status_width()),
            subject(&v, words),
            v.modality,
            shown(strip_modality(&v.requirement))
        );
        if let Some(d) = v.deadline
            && !v.requirement.contains(&d.to_string())
        {
            out.push_str(&words.fill(Msg::Due, &[&words.date(d)]));
        }
        let _ = writeln!(out);
        for role in &decided {
            if let Some(ps) = v.parties.get(role) {
                let _ = writeln!(out, "      {} {}", shown(role_word(r, words, role)), parties(ps, words));
            }
        }
        for note in &v.parties_unknown {
            let _ = writeln!(out, "      {}", shown(&words.fill(Msg::PartyUnknown, &[note])));
        }
        if let Some(d) = v.done_on {
            let _ = writeln!(out, "      {}", words.fill(Msg::DoneOn, &[&words.date(d)]));
        }
        if valued(v.status) {
            let facts = v.facts.iter().map(|f| (&*f.file, &*f.kind, &*f.key, f.line));
            let lines = ValueLines {
                status: v.status,
                evidence: &v.evidence,
                computed: &v.computed,
                reason: v.reason.as_deref(),
                sanctions: &v.sanctions,
                more_facts: v.more_facts + v.facts.len().saturating_sub(HUMAN_FACTS),
                id: &v.id,
            };
            lines.write(facts, words, out);
        }
        flush_some(out, w)?;
    }
    if folded.iter().any(|&n| n > 0) {
        let folded = Status::ALL.iter().zip(folded).filter(|(_, n)| *n > 0);
        let counts = words.counts(folded.map(|(s, n)| (words.status(*s), n)));
        let _ = writeln!(out, "  {} {}", mark(Status::Satisfied), words.fill(Msg::Folded, &[&counts]));
    }
    if na > 0 {
        let because = na_reason.map(|r| words.fill(Msg::Because, &[&shown(&words.reason(&r))])).unwrap_or_default();
        let _ = writeln!(out, "  – {}{because}", words.fill(Msg::NotApplicableCount, &[&na]));
    }
    flush(out, w)
}

/// `party`'s roles in a verdict whose parties by role are `roles`, in the words of a report in
/// `words`' language ([`role_word`]), escaped and joined (`牽頭、配合`): the role column of a
/// party's sheet in the workbook and of a party's page in the HTML report.
pub(super) fn roles_of<V: Verdicts + ?Sized>(
    r: &V,
    words: Words,
    roles: &IndexMap<String, Vec<String>>,
    party: &str,
) -> String {
    roles
        .iter()
        .filter(|(_, ps)| ps.iter().any(|p| p == party))
        .map(|(role, _)| shown(role_word(r, words, role)).into_owned())
        .collect::<Vec<_>>()
        .join(words.get(Msg::PartySep))
}

/// What a report in `words`' language calls a role: in Chinese the plan's own word for it
/// (`牽頭`), where the plan gives one; in English, and where it gives none, its name.
pub(super) fn role_word<'a, V: Verdicts + ?Sized>(r: &'a V, words: Words, role: &'a str) -> &'a str {
    match words.0 {
        Lang::En => role,
        Lang::ZhHans | Lang::ZhHant => r.role_label(role).unwrap_or(role),
    }
}

/// The one-line verdicts of an evaluation written from their compact records, as
/// [`clause_section`] writes a [`Verdict`] that is not [`detailed`]: what is the same for every
/// verdict of a status or a requirement is worked out once.
struct Lines<'e> {
    e: &'e Evaluation<'e>,
    words: Words,
    /// Per status (in [`Status::ALL`] order), what begins its line: `  ✓ satisfied      `.
    heads: Vec<String>,
    /// Per requirement (by address), what follows the subject.
    reqs: FxHashMap<usize, ReqLine>,
    /// The text of the policy's constants in evidence, written once each.
    consts: crate::eval::ConstTexts,
}

/// The end of the line of a verdict of one requirement.
struct ReqLine {
    /// ` · must <requirement, escaped, without its modality>`.
    tail: String,
    /// The last deadline looked for in the requirement's text, and whether the text names it.
    due: Option<(Date, bool)>,
}

impl<'e> Lines<'e> {
    fn new(e: &'e Evaluation<'e>, words: Words) -> Lines<'e> {
        let width = words.status_width();
        let heads =
            Status::ALL.iter().map(|&s| format!("  {} {}", mark(s), words.pad(words.status(s), width))).collect();
        Lines { e, words, heads, reqs: FxHashMap::default(), consts: Default::default() }
    }

    /// Appends the lines of verdict `i`, one that shows its values ([`valued`]): its line, its
    /// evidence and computed values, and, when it is [`detailed`], its reason, sanctions, first
    /// facts and id, as [`clause_section`] writes them from a [`Verdict`]. Only for a verdict
    /// whose subject decides no role (whose parties are the clause's).
    fn write_valued(&mut self, i: usize, out: &mut String) {
        self.write(i, out);
        let (e, words) = (self.e, self.words);
        let v = &e.recs[i];
        let mut id = String::new();
        e.write_id(i, &mut id);
        let facts = &e.cited[v.facts.range()];
        let lines = ValueLines {
            status: v.status,
            evidence: &e.evidence_of(v, &mut self.consts),
            computed: &e.computed_of(v),
            reason: v.reason(),
            sanctions: &e.sanctions_of(v),
            more_facts: v.more_facts as usize + facts.len().saturating_sub(HUMAN_FACTS),
            id: &id,
        };
        lines.write(facts.iter().map(|&(kind, row)| e.fact_of(kind, row)), words, out);
    }

    /// Appends the line of verdict `i` (and its `done on` line).
    fn write(&mut self, i: usize, out: &mut String) {
        let e = self.e;
        let v = &e.recs[i];
        out.push_str(&self.heads[v.status as usize]);
        let mut first = true;
        for (kind, key) in e.subject_of(i) {
            if !first {
                out.push_str(" · ");
            }
            first = false;
            out.push_str(&shown(kind));
            out.push(' ');
            out.push_str(&shown(&key));
        }
        if first {
            out.push_str(self.words.get(Msg::ThePlan));
        }
        let line = self.reqs.entry(v.req as *const _ as usize).or_insert_with(|| ReqLine {
            tail: format!(" · {} {}", e.modality_of(i), shown(strip_modality(&v.req.text))),
            due: None,
        });
        out.push_str(&line.tail);
        if let Some(d) = v.deadline {
            let named = match line.due {
                Some((at, named)) if at == d => named,
                _ => {
                    let named = v.req.text.contains(&d.to_string());
                    line.due = Some((d, named));
                    named
                }
            };
            if !named {
                out.push_str(&self.words.fill(Msg::Due, &[&self.words.date(d)]));
            }
        }
        out.push('\n');
        if let Some(d) = v.done_on {
            let _ = writeln!(out, "      {}", self.words.fill(Msg::DoneOn, &[&self.words.date(d)]));
        }
    }
}

/// What a verdict that shows its values ([`valued`]) has below its line: its evidence and
/// computed values, and, when it is [`detailed`], its reason, sanctions, first facts and id.
/// Written from a [`Verdict`] and from a compact record alike.
struct ValueLines<'v> {
    status: Status,
    evidence: &'v [crate::eval::Evidence],
    computed: &'v [crate::eval::Computed],
    reason: Option<&'v str>,
    sanctions: &'v [crate::eval::SanctionOut],
    /// Facts beyond the first [`HUMAN_FACTS`].
    more_facts: usize,
    id: &'v str,
}

impl ValueLines<'_> {
    /// Appends the lines; `facts` are the verdict's facts as (file, kind, key, line).
    fn write<'f>(&self, facts: impl Iterator<Item = (&'f str, &'f str, &'f str, u32)>, words: Words, out: &mut String) {
        for x in self.evidence {
            let verdict = holds_word(x.holds, words);
            out.push_str("      ");
            let args = [&*shown(&x.left), &*shown(&x.left_value), &*x.op, &*shown(&x.right_value), verdict];
            words.fill_into(out, Msg::Evidence, &args);
            out.push('\n');
        }
        let shown_with_evidence =
            |c: &&crate::eval::Computed| !self.evidence.iter().any(|x| x.left == c.expr || x.right == c.expr);
        for c in self.computed.iter().filter(shown_with_evidence) {
            let _ = writeln!(out, "      {} = {}", shown(&c.expr), shown(&c.value));
        }
        if detailed(self.status) {
            let r_or = self.reason.unwrap_or("\u{0}");
            let reason_shown =
                self.evidence.iter().any(|x| x.left_value.contains(r_or) || x.right_value.contains(r_or))
                    || self.computed.iter().any(|c| c.value.contains(r_or));
            if let Some(r) = self.reason
                && !reason_shown
            {
                let _ = writeln!(out, "      {}", shown(&words.reason(r)));
            }
            for s in self.sanctions {
                let _ = writeln!(out, "      {}", sanction_line(s, words));
            }
            // The JSON report lists every fact; a reader wants the first few and a count.
            for (file, kind, key, line) in facts.take(HUMAN_FACTS) {
                let mut number = String::new();
                crate::text::push_number(&mut number, line.into());
                out.push_str("      ");
                words.fill_into(out, Msg::Fact, &[&shown(file), &number, &shown(kind), &shown(key)]);
                out.push('\n');
            }
            if self.more_facts > 0 {
                let _ = writeln!(out, "      {}", words.fill(Msg::MoreFacts, &[&self.more_facts]));
            }
        }
        out.push_str("      ");
        words.fill_into(out, Msg::Id, &[&shown(self.id)]);
        out.push('\n');
    }
}

/// Party names, escaped, separated as the language separates them.
fn parties(ps: &[String], words: Words) -> String {
    ps.iter().map(|p| shown(&party_word(p, words)).into_owned()).collect::<Vec<_>>().join(words.get(Msg::PartySep))
}

/// A sanction a verdict attaches, escaped, as a line of its own: `sanction: S on X`.
pub(super) fn sanction_line(s: &crate::eval::SanctionOut, words: Words) -> String {
    let text = shown(s.text.as_deref().unwrap_or(&s.name));
    match &s.on {
        Some(on) => words.fill(Msg::SanctionOn, &[&text, &shown(on)]),
        None => words.fill(Msg::Sanction, &[&text]),
    }
}

/// A sanction a verdict attaches, escaped, after a label of its own: `S (on X)`.
pub(super) fn sanction_short(s: &crate::eval::SanctionOut, words: Words) -> String {
    let text = shown(s.text.as_deref().unwrap_or(&s.name));
    match &s.on {
        Some(on) => words.fill(Msg::SanctionOnShort, &[&text, &shown(on)]),
        None => text.into_owned(),
    }
}

/// A party as a report names it: a party no one can tell (its subject's field missing) in the
/// report's language, 不明; the JSON keeps `unknown`. Not escaped.
pub(super) fn party_word<'a>(p: &'a str, words: Words) -> std::borrow::Cow<'a, str> {
    if p == crate::eval::UNKNOWN_PARTY { words.get(Msg::UnknownParty).into() } else { p.into() }
}

pub(super) fn strip_modality(req: &str) -> &str {
    for m in ["must not ", "should not ", "must ", "should "] {
        if let Some(rest) = req.strip_prefix(m) {
            return rest;
        }
    }
    req
}

/// The labels of `writ explain`'s lines, which its values are aligned after.
const EXPLAIN_LABELS: [Msg; 12] = [
    Msg::ExplainStatus,
    Msg::ExplainWhy,
    Msg::ExplainClause,
    Msg::ExplainCite,
    Msg::ExplainPlanText,
    Msg::ExplainRequirement,
    Msg::ExplainSubject,
    Msg::ExplainDeadline,
    Msg::ExplainDoneOn,
    Msg::ExplainEvidence,
    Msg::ExplainFactsUsed,
    Msg::ExplainSanction,
];

/// One verdict in full, for `writ explain`, in the language of `words`; `role_label` gives the
/// plan's own word for a role (`lead` → `牽頭`), which a Chinese explanation calls it.
pub fn explain<'a>(
    v: &'a Verdict,
    as_of: crate::value::Date,
    words: Words,
    role_label: impl Fn(&str) -> Option<&'a str>,
) -> String {
    let mut out = String::new();
    let role = |name: &'a str| match words.0 {
        Lang::En => name,
        Lang::ZhHans | Lang::ZhHant => role_label(name).unwrap_or(name),
    };
    let width = EXPLAIN_LABELS.iter().map(|&k| Words::columns(words.get(k))).max().unwrap_or(0) + 1;
    let label = |k: Msg| words.pad(words.get(k), width);
    let _ = writeln!(out, "{}", shown(&v.id));
    let as_of_text = words.fill(Msg::AsOf, &[&words.date(as_of)]);
    let _ = writeln!(out, "  {}{}{as_of_text}", label(Msg::ExplainStatus), words.status(v.status));
    let _ = writeln!(out, "  {}{}", label(Msg::ExplainWhy), shown(&why(v, as_of, words)));
    let _ = writeln!(
        out,
        "  {}{}{}",
        label(Msg::ExplainClause),
        shown(&v.clause),
        v.title.as_deref().map(|t| format!(" · {}", shown(t))).unwrap_or_default()
    );
    if let Some(c) = &v.cite {
        let _ = writeln!(out, "  {}{}", label(Msg::ExplainCite), shown(c));
    }
    if let Some(t) = &v.cite_text {
        let _ = writeln!(out, "  {}“{}”", label(Msg::ExplainPlanText), shown(t));
    }
    let _ = writeln!(out, "  {}{}", label(Msg::ExplainRequirement), shown(&v.requirement));
    let _ = writeln!(out, "  {}{}", label(Msg::ExplainSubject), subject(v, words));
    if let Some(d) = v.deadline {
        let text = match v.rolled_from {
            Some(r) => words.fill(Msg::Rolled, &[&words.date(d), &words.date(r)]),
            None => words.date(d),
        };
        let _ = writeln!(out, "  {}{text}", label(Msg::ExplainDeadline));
    }
    if let Some(d) = v.done_on {
        let _ = writeln!(out, "  {}{}", label(Msg::ExplainDoneOn), words.date(d));
    }
    for (name, ps) in &v.parties {
        let _ = writeln!(out, "  {}{}", words.pad(&shown(role(name)), width), parties(ps, words));
    }
    for note in &v.parties_unknown {
        let _ = writeln!(out, "  {}", shown(&words.fill(Msg::PartyUnknown, &[note])));
    }
    if !v.evidence.is_empty() || !v.computed.is_empty() {
        let _ = writeln!(out, "  {}", words.get(Msg::ExplainEvidence));
        for e in &v.evidence {
            let holds = holds_word(e.holds, words);
            let right = format!("{} = {}", shown(&e.right), shown(&e.right_value));
            let line =
                words.fill(Msg::ExplainComparison, &[&shown(&e.left), &shown(&e.left_value), &e.op, &right, &holds]);
            let _ = writeln!(out, "    {line}");
        }
        for c in &v.computed {
            let _ = writeln!(out, "    {} = {}", shown(&c.expr), shown(&c.value));
        }
    }
    if !v.facts.is_empty() {
        let _ = writeln!(out, "  {}", words.get(Msg::ExplainFactsUsed));
        for f in &v.facts {
            let _ = writeln!(out, "    {}:{} ({} {})", shown(&f.file), f.line, shown(&f.kind), shown(&f.key));
        }
        if v.more_facts > 0 {
            let _ = writeln!(out, "    {}", words.fill(Msg::AndMore, &[&v.more_facts]));
        }
    }
    for s in &v.sanctions {
        let _ = writeln!(out, "  {}{}", label(Msg::ExplainSanction), sanction_short(s, words));
    }
    escape(&out, Keep::Layout).into_owned()
}

/// A sentence that says why the verdict has its status.
fn why(v: &Verdict, as_of: crate::value::Date, words: Words) -> String {
    let deadline = v.deadline.map(|d| words.date(d)).unwrap_or_default();
    let as_of = words.date(as_of);
    let detail = v.reason.as_deref().map(|r| words.fill(Msg::Because, &[&words.reason(r)])).unwrap_or_default();
    match v.status {
        Status::Satisfied => words.get(Msg::WhySatisfied).into(),
        Status::Violated => words.fill(Msg::WhyViolated, &[&detail]),
        Status::Fulfilled => words.fill(Msg::WhyFulfilled, &[&deadline]),
        Status::FulfilledLate => words.fill(Msg::WhyFulfilledLate, &[&deadline, &detail]),
        Status::Pending => words.fill(Msg::WhyPending, &[&deadline, &as_of, &detail]),
        Status::Overdue => words.fill(Msg::WhyOverdue, &[&deadline, &as_of, &detail]),
        Status::Met => words.get(Msg::WhyMet).into(),
        Status::Missed => words.fill(Msg::WhyMissed, &[&detail]),
        Status::Exempt => {
            v.reason.as_deref().map_or_else(|| words.get(Msg::WhyExempt).into(), |r| words.reason(r).into())
        }
        Status::NotApplicable => {
            v.reason.as_deref().map_or_else(|| words.get(Msg::WhyNotApplicable).into(), |r| words.reason(r).into())
        }
        Status::Unknown => words.fill(Msg::WhyUnknown, &[&detail]),
    }
}

/// Whether a comparison of the evidence holds, in words.
pub(super) fn holds_word(holds: Option<bool>, words: Words) -> &'static str {
    words.get(match holds {
        Some(true) => Msg::Holds,
        Some(false) => Msg::DoesNotHold,
        None => Msg::CannotBeDecided,
    })
}
