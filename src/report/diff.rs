//! `writ diff` as a person reads it: a [`Diff`] written clause by clause in the report's
//! language, every label from the message tables.

use super::human::{holds_word, strip_modality};
use super::messages::{Msg, Words};
use crate::diff::{ClauseChange, Diff, Shown};
use crate::eval::{Evidence, Subject};
use crate::text::{Keep, escape, shown};
use crate::value::Date;
use std::fmt::Write;

/// The text of a diff: a title, what was compared (`old` and `new` say what each side
/// evaluated, as the command line gave it), the counts, then each clause with a change: the
/// verdicts changed (`~`), added (`+`) and removed (`-`), and how many are the same.
pub fn diff_human(d: &Diff, words: Words, old: &str, new: &str) -> String {
    let mut out = String::new();
    let title = shown(d.new.plan_title.as_deref().unwrap_or(&d.new.plan));
    let _ = writeln!(out, "{}", words.fill(Msg::DiffTitle, &[&title, &words.date(d.new.as_of)]));
    let _ = writeln!(out, "  {}", words.fill(Msg::DiffOld, &[&shown(old), &d.old.verdicts]));
    let _ = writeln!(out, "  {}", words.fill(Msg::DiffNew, &[&shown(new), &d.new.verdicts]));
    if !d.has_changes() {
        let _ = writeln!(out, "{}", words.get(Msg::DiffNoChange));
    }
    let s = &d.summary;
    let _ = writeln!(
        out,
        "{}",
        words.fill(Msg::DiffCounts, &[&s.added, &s.removed, &s.changed, &s.status_changed, &s.unchanged])
    );
    if s.clauses_added + s.clauses_removed + s.clauses_renamed > 0 {
        let counts = [&s.clauses_added as &dyn std::fmt::Display, &s.clauses_removed, &s.clauses_renamed];
        let _ = writeln!(out, "{}", words.fill(Msg::DiffClauseCounts, &counts));
    }
    for c in &d.clauses {
        let _ = writeln!(out);
        let cite = shown(c.cite.as_deref().unwrap_or("-"));
        let _ = write!(out, "{cite}  {}", shown(&c.clause));
        if let Some(t) = &c.title {
            let _ = write!(out, " · {}", shown(t));
        }
        match c.change {
            ClauseChange::Same => {}
            ClauseChange::Added => _ = write!(out, " {}", words.get(Msg::DiffClauseAdded)),
            ClauseChange::Removed => _ = write!(out, " {}", words.get(Msg::DiffClauseRemoved)),
            ClauseChange::Renamed => {
                let from = shown(c.old_clause.as_deref().unwrap_or(""));
                let _ = write!(out, " {}", words.fill(Msg::DiffClauseRenamed, &[&from]));
            }
        }
        let _ = writeln!(out);
        for v in &c.changed {
            head(&mut out, '~', &v.subject, v.modality, &v.requirement, words);
            let status = if v.status_changed() {
                words.fill(Msg::DiffStatus, &[&words.status(v.status.old), &words.status(v.status.new)])
            } else {
                words.fill(Msg::DiffStatusSame, &[&words.status(v.status.new)])
            };
            let _ = writeln!(out, "      {status}");
            if let Some(was) = &v.old_requirement {
                let _ = writeln!(out, "      {}", words.fill(Msg::DiffOldRequirement, &[&shown(was)]));
            }
            let date = |d: Option<Date>| d.map_or_else(|| words.get(Msg::DiffNoDate).to_string(), |d| words.date(d));
            if let Some(ch) = &v.deadline {
                let _ = writeln!(out, "      {}", words.fill(Msg::DiffDeadline, &[&date(ch.old), &date(ch.new)]));
            }
            if let Some(ch) = &v.done_on {
                let _ = writeln!(out, "      {}", words.fill(Msg::DiffDoneOn, &[&date(ch.old), &date(ch.new)]));
            }
            if let Some(ch) = &v.evidence {
                for e in &ch.old {
                    let _ = writeln!(out, "      - {}", evidence(e, words));
                }
                for e in &ch.new {
                    let _ = writeln!(out, "      + {}", evidence(e, words));
                }
            }
            let _ = writeln!(out, "      {}", words.fill(Msg::Id, &[&shown(&v.id)]));
            if let Some(old) = &v.old_id {
                let _ = writeln!(out, "      {}", words.fill(Msg::DiffOldId, &[&shown(old)]));
            }
        }
        for (mark, list) in [('+', &c.added), ('-', &c.removed)] {
            for v in list {
                one_side(&mut out, mark, v, words);
            }
        }
        if c.unchanged > 0 {
            let _ = writeln!(out, "  {}", words.fill(Msg::DiffUnchanged, &[&c.unchanged]));
        }
    }
    escape(&out, Keep::Layout).into_owned()
}

/// The first line of a verdict: its mark, subject and requirement.
fn head(out: &mut String, mark: char, subject: &[Subject], modality: &str, requirement: &str, words: Words) {
    let subject = if subject.is_empty() {
        words.get(Msg::ThePlan).to_string()
    } else {
        subject.iter().map(|s| format!("{} {}", shown(&s.kind), shown(&s.key))).collect::<Vec<_>>().join(" · ")
    };
    let _ = writeln!(out, "  {mark} {subject} · {modality} {}", shown(strip_modality(requirement)));
}

/// A verdict of one side only: its status, deadline, what it compared and its id.
fn one_side(out: &mut String, mark: char, v: &Shown, words: Words) {
    head(out, mark, &v.subject, v.modality, &v.requirement, words);
    let mut status = words.status(v.status).to_string();
    if let Some(d) = v.deadline
        && !v.requirement.contains(&d.to_string())
    {
        status.push_str(&words.fill(Msg::Due, &[&words.date(d)]));
    }
    let _ = writeln!(out, "      {status}");
    for e in &v.evidence {
        let _ = writeln!(out, "      {}", evidence(e, words));
    }
    let _ = writeln!(out, "      {}", words.fill(Msg::Id, &[&shown(&v.id)]));
}

fn evidence(e: &Evidence, words: Words) -> String {
    words.fill(
        Msg::Evidence,
        &[&shown(&e.left), &shown(&e.left_value), &e.op, &shown(&e.right_value), &holds_word(e.holds, words)],
    )
}
