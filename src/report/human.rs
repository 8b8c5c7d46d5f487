//! The report an inspector reads: grouped by clause, breaches first, each with the cited text,
//! what was found and by whom it is owed.

use crate::eval::{Evaluation, Status, Verdict, Verdicts};
use crate::text::{Keep, escape, shown};
use crate::value::Date;
use rustc_hash::FxHashMap;
use std::fmt::Write;
use std::io;

/// Facts listed per verdict in the human report.
const HUMAN_FACTS: usize = 5;

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

fn subject(v: &Verdict) -> String {
    if v.subject.is_empty() {
        "the plan".into()
    } else {
        v.subject.iter().map(|s| format!("{} {}", shown(&s.kind), shown(&s.key))).collect::<Vec<_>>().join(" · ")
    }
}

/// Renders the whole report as text. Values from policies and facts are escaped where they are
/// written ([`shown`]), and every piece of text once more as it is written out, so that no
/// control, bidirectional or invisible character reaches the terminal whatever a later line
/// forgets.
pub fn human<V: Verdicts + ?Sized>(r: &V) -> String {
    let mut out = Vec::new();
    write_human(r, &mut out).expect("writing to memory does not fail");
    String::from_utf8(out).expect("the report is UTF-8")
}

/// Writes the text [`human`] gives to `w`, a verdict at a time: the report is never held whole.
pub fn write_human<V: Verdicts + ?Sized>(r: &V, w: &mut dyn io::Write) -> io::Result<()> {
    let mut out = String::new();
    let title = shown(r.plan_title().unwrap_or(r.plan()));
    let _ = writeln!(out, "{title} — verdicts as of {}", r.as_of());
    let summary = r.summary();
    let counts: Vec<String> =
        summary.by_status.iter().filter(|(_, n)| **n > 0).map(|(s, n)| format!("{n} {s}")).collect();
    let _ = writeln!(out, "{} verdicts: {}", summary.verdicts, counts.join(", "));
    let n = r.count();
    let mut lines = r.evaluation().map(Lines::new);
    let mut start = 0;
    while start < n {
        let clause = r.clause_of(start);
        let end = start + (start..n).take_while(|&i| r.clause_of(i) == clause).count();
        clause_section(r, start..end, &mut lines, &mut out, w)?;
        start = end;
    }
    if !summary.records.is_empty() {
        let _ = writeln!(out, "\nfacts: loaded = used + unused + rejected");
        for (kind, a) in &summary.records {
            let flawed = match a.unreadable_fields {
                0 => String::new(),
                1 => " (1 accepted record has a field that could not be read)".to_string(),
                n => format!(" ({n} accepted records have a field that could not be read)"),
            };
            let _ =
                writeln!(out, "  {}: {} = {} + {} + {}{flawed}", shown(kind), a.loaded, a.used, a.unused, a.rejected);
            // Records never read are not in `loaded`: the kind is incomplete, file by file.
            for l in &a.incomplete {
                let lost = match l.lost {
                    Some(1) => "1 record".to_string(),
                    Some(n) => format!("{n} records"),
                    None => "an unknown number of records".to_string(),
                };
                let at = if l.line > 0 { format!(" at line {}", l.line) } else { String::new() };
                let more = match l.more {
                    0 => String::new(),
                    1 => " (and 1 more place)".to_string(),
                    n => format!(" (and {n} more places)"),
                };
                let _ = writeln!(
                    out,
                    "    incomplete: {lost} not read from {}{at}: {}{more}",
                    shown(&l.file),
                    shown(&l.reason)
                );
            }
        }
    }
    flush(&mut out, w)
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
    lines: &mut Option<Lines>,
    out: &mut String,
    w: &mut dyn io::Write,
) -> io::Result<()> {
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
    let roles: Vec<String> =
        first.parties.iter().map(|(role, ps)| format!("{} {}", shown(role), parties(ps))).collect();
    if !roles.is_empty() {
        let _ = writeln!(out, "  {}", roles.join(" │ "));
    }
    drop(first);
    let mut sorted: Vec<usize> = range.collect();
    sorted.sort_by_key(|&i| rank(r.status_of(i)));
    let mut na = 0;
    let mut na_reason: Option<String> = None;
    for i in sorted {
        if r.status_of(i) == Status::NotApplicable {
            na += 1;
            if na_reason.is_none() {
                na_reason = r.reason_of(i).map(str::to_string);
            }
            continue;
        }
        if let Some(lines) = lines
            && !valued(r.status_of(i))
        {
            lines.write(i, out);
            flush_some(out, w)?;
            continue;
        }
        let v = r.verdict_at(i);
        let _ = write!(
            out,
            "  {} {:<14} {} · {} {}",
            mark(v.status),
            v.status.name(),
            subject(&v),
            v.modality,
            shown(strip_modality(&v.requirement))
        );
        if let Some(d) = v.deadline
            && !v.requirement.contains(&d.to_string())
        {
            let _ = write!(out, " (due {d})");
        }
        let _ = writeln!(out);
        if let Some(d) = v.done_on {
            let _ = writeln!(out, "      done on {d}");
        }
        if valued(v.status) {
            for e in &v.evidence {
                let verdict = holds_word(e.holds);
                let _ = writeln!(
                    out,
                    "      {} = {}; {} {}: {verdict}",
                    shown(&e.left),
                    shown(&e.left_value),
                    e.op,
                    shown(&e.right_value)
                );
            }
            for c in v.computed.iter().filter(|c| !v.evidence.iter().any(|e| e.left == c.expr || e.right == c.expr)) {
                let _ = writeln!(out, "      {} = {}", shown(&c.expr), shown(&c.value));
            }
            if !detailed(v.status) {
                let _ = writeln!(out, "      id: {}", shown(&v.id));
                flush_some(out, w)?;
                continue;
            }
            let reason_shown = v
                .evidence
                .iter()
                .any(|e| e.left_value.contains(r_or(&v.reason)) || e.right_value.contains(r_or(&v.reason)))
                || v.computed.iter().any(|c| c.value.contains(r_or(&v.reason)));
            if let Some(r) = &v.reason
                && !reason_shown
            {
                let _ = writeln!(out, "      {}", shown(r));
            }
            for s in &v.sanctions {
                let text = shown(s.text.as_deref().unwrap_or(&s.name));
                match &s.on {
                    Some(on) => _ = writeln!(out, "      sanction: {text} on {}", shown(on)),
                    None => _ = writeln!(out, "      sanction: {text}"),
                }
            }
            // The JSON report lists every fact; a reader wants the first few and a count.
            for f in v.facts.iter().take(HUMAN_FACTS) {
                let _ =
                    writeln!(out, "      fact: {}:{} ({} {})", shown(&f.file), f.line, shown(&f.kind), shown(&f.key));
            }
            let more = v.more_facts + v.facts.len().saturating_sub(HUMAN_FACTS);
            if more > 0 {
                let _ = writeln!(out, "      … and {more} more facts (see --format json)");
            }
            let _ = writeln!(out, "      id: {}", shown(&v.id));
        }
        flush_some(out, w)?;
    }
    if na > 0 {
        let _ = writeln!(
            out,
            "  – {na} not applicable{}",
            na_reason.map(|r| format!(" ({})", shown(&r))).unwrap_or_default()
        );
    }
    flush(out, w)
}

/// The one-line verdicts of an evaluation written from their compact records, as
/// [`clause_section`] writes a [`Verdict`] that is not [`detailed`]: what is the same for every
/// verdict of a status or a requirement is worked out once.
struct Lines<'e> {
    e: &'e Evaluation<'e>,
    /// Per status (in [`Status::ALL`] order), what begins its line: `  ✓ satisfied      `.
    heads: Vec<String>,
    /// Per requirement (by address), what follows the subject.
    reqs: FxHashMap<usize, ReqLine>,
}

/// The end of the line of a verdict of one requirement.
struct ReqLine {
    /// ` · must <requirement, escaped, without its modality>`.
    tail: String,
    /// The last deadline looked for in the requirement's text, and whether the text names it.
    due: Option<(Date, bool)>,
}

impl<'e> Lines<'e> {
    fn new(e: &'e Evaluation<'e>) -> Lines<'e> {
        let heads = Status::ALL.iter().map(|&s| format!("  {} {:<14} ", mark(s), s.name())).collect();
        Lines { e, heads, reqs: FxHashMap::default() }
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
            out.push_str("the plan");
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
                let _ = write!(out, " (due {d})");
            }
        }
        out.push('\n');
        if let Some(d) = v.done_on {
            let _ = writeln!(out, "      done on {d}");
        }
    }
}

/// Party names, escaped, separated by commas.
fn parties(ps: &[String]) -> String {
    ps.iter().map(|p| shown(p)).collect::<Vec<_>>().join(", ")
}

/// The reason's text, or a string no value contains.
fn r_or(reason: &Option<String>) -> &str {
    reason.as_deref().unwrap_or("\u{0}")
}

fn strip_modality(req: &str) -> &str {
    for m in ["must not ", "should not ", "must ", "should "] {
        if let Some(rest) = req.strip_prefix(m) {
            return rest;
        }
    }
    req
}

/// One verdict in full, for `writ explain`.
pub fn explain(v: &Verdict, as_of: crate::value::Date) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}", shown(&v.id));
    let _ = writeln!(out, "  status:      {} (as of {as_of})", v.status.name());
    let _ = writeln!(out, "  why:         {}", shown(&why(v, as_of)));
    let _ = writeln!(
        out,
        "  clause:      {}{}",
        shown(&v.clause),
        v.title.as_deref().map(|t| format!(" · {}", shown(t))).unwrap_or_default()
    );
    if let Some(c) = &v.cite {
        let _ = writeln!(out, "  cite:        {}", shown(c));
    }
    if let Some(t) = &v.cite_text {
        let _ = writeln!(out, "  plan text:   “{}”", shown(t));
    }
    let _ = writeln!(out, "  requirement: {}", shown(&v.requirement));
    let _ = writeln!(out, "  subject:     {}", subject(v));
    if let Some(d) = v.deadline {
        match v.rolled_from {
            Some(r) => _ = writeln!(out, "  deadline:    {d} (written {r}, a rest day, rolled to the next workday)"),
            None => _ = writeln!(out, "  deadline:    {d}"),
        }
    }
    if let Some(d) = v.done_on {
        let _ = writeln!(out, "  done on:     {d}");
    }
    for (role, ps) in &v.parties {
        let _ = writeln!(out, "  {:<12} {}", shown(role), parties(ps));
    }
    if !v.evidence.is_empty() || !v.computed.is_empty() {
        let _ = writeln!(out, "  evidence:");
        for e in &v.evidence {
            let holds = holds_word(e.holds);
            let _ = writeln!(
                out,
                "    {} = {} {} {} = {}: {holds}",
                shown(&e.left),
                shown(&e.left_value),
                e.op,
                shown(&e.right),
                shown(&e.right_value)
            );
        }
        for c in &v.computed {
            let _ = writeln!(out, "    {} = {}", shown(&c.expr), shown(&c.value));
        }
    }
    if !v.facts.is_empty() {
        let _ = writeln!(out, "  facts used:");
        for f in &v.facts {
            let _ = writeln!(out, "    {}:{} ({} {})", shown(&f.file), f.line, shown(&f.kind), shown(&f.key));
        }
        if v.more_facts > 0 {
            let _ = writeln!(out, "    … and {} more", v.more_facts);
        }
    }
    for s in &v.sanctions {
        let _ = writeln!(
            out,
            "  sanction:    {}{}",
            shown(s.text.as_deref().unwrap_or(&s.name)),
            s.on.as_deref().map(|o| format!(" on {}", shown(o))).unwrap_or_default()
        );
    }
    escape(&out, Keep::Layout).into_owned()
}

/// A sentence that says why the verdict has its status.
fn why(v: &Verdict, as_of: crate::value::Date) -> String {
    let deadline = v.deadline.map(|d| d.to_string()).unwrap_or_default();
    let detail = v.reason.as_deref().map(|r| format!(" ({r})")).unwrap_or_default();
    match v.status {
        Status::Satisfied => "the condition holds".into(),
        Status::Violated => format!("the condition does not hold{detail}"),
        Status::Fulfilled => format!("done by the deadline {deadline}"),
        Status::FulfilledLate => format!("done, but after the deadline {deadline}{detail}"),
        Status::Pending => format!("not done yet, and the deadline {deadline} is after {as_of}{detail}"),
        Status::Overdue => format!("not done by the end of the deadline {deadline} (as of {as_of}){detail}"),
        Status::Met => "the strive target (力爭) is reached".into(),
        Status::Missed => format!("the strive target (力爭) is not reached{detail}"),
        Status::Exempt => v.reason.clone().unwrap_or_else(|| "an exemption applies".into()),
        Status::NotApplicable => v.reason.clone().unwrap_or_else(|| "the requirement does not apply".into()),
        Status::Unknown => format!("a fact it needs is missing{detail}"),
    }
}

/// Whether a comparison of the evidence holds, in words.
fn holds_word(holds: Option<bool>) -> &'static str {
    match holds {
        Some(true) => "holds",
        Some(false) => "does not hold",
        None => "cannot be decided",
    }
}
