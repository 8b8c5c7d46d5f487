//! The document a bureau circulates (监督通报): an overview, the requirements violated and the
//! duties overdue by responsible party, the targets striven for and missed, the deadlines of
//! this month and the next, and what could not be decided, as Markdown in the report's
//! language. Its content is the verdicts': what each item says can be followed up with
//! `writ explain` and its id.

use super::human::{incomplete_line, party_word, responsible, role_word};
use super::messages::{Msg, Words};
use crate::eval::{Status, Verdict, Verdicts};
use crate::lang::Lang;
use crate::text::{Keep, escape, shown};
use crate::value::Date;
use chrono::Datelike;
use indexmap::IndexMap;
use std::fmt::Write;

/// Items listed in one table or under one party; past this many, the rest are counted and the
/// reader is pointed to the workbook or the JSON, which hold every verdict.
pub const NOTICE_LIST: usize = 200;

/// Facts cited under one breach.
const NOTICE_FACTS: usize = 3;

/// The statuses the overview's table counts per party, in its column order: what needs action
/// first, then what is still to come.
const COLUMNS: [Status; 7] = [
    Status::Violated,
    Status::Overdue,
    Status::FulfilledLate,
    Status::Missed,
    Status::Unknown,
    Status::Pending,
    Status::Exempt,
];

/// The notice of `r` as Markdown, its labels in `lang` or else the plan's language.
pub fn notice<V: Verdicts + ?Sized>(r: &V, lang: Option<Lang>) -> String {
    let w = Words(lang.or(r.language()).unwrap_or_default());
    let mut out = String::new();
    let title = r.plan_title().unwrap_or(r.plan());
    let as_of = r.as_of();
    let _ = writeln!(out, "# {}\n", md(&w.fill(Msg::DocTitle, &[&title])));
    let _ = writeln!(out, "{}\n", md(&w.fill(Msg::DocAsOf, &[&w.date(as_of)])));

    let summary = r.summary();
    let incomplete = summary.records.values().any(|a| a.rejected > 0 || !a.incomplete.is_empty());
    if incomplete {
        let _ = writeln!(out, "> **{}**\n", md(w.get(Msg::DocIncomplete)));
    }

    // Which verdicts each section lists, and who owes each.
    let n = r.count();
    let mut by_party: IndexMap<String, [usize; COLUMNS.len() + 1]> = IndexMap::new();
    let mut violated: IndexMap<String, Vec<usize>> = IndexMap::new();
    let mut late: IndexMap<String, Vec<usize>> = IndexMap::new();
    let mut missed = Vec::new();
    let mut unknown = Vec::new();
    let mut upcoming = Vec::new();
    let horizon = end_of_next_month(as_of);
    for i in 0..n {
        let s = r.status_of(i);
        let mut parties = responsible(r.parties_of(i));
        if parties.is_empty() {
            // Counted and listed all the same, under a heading that says no party is named.
            parties.push(w.get(Msg::DocNoParty).to_string());
        }
        for p in &parties {
            let row = by_party.entry(p.clone()).or_default();
            row[0] += 1;
            if let Some(c) = COLUMNS.iter().position(|&x| x == s) {
                row[c + 1] += 1;
            }
        }
        match s {
            Status::Violated | Status::Overdue | Status::FulfilledLate => {
                let into = if s == Status::Violated { &mut violated } else { &mut late };
                for p in parties {
                    into.entry(p).or_default().push(i);
                }
            }
            Status::Missed => missed.push(i),
            Status::Unknown => unknown.push(i),
            Status::Pending if r.deadline_of(i).is_some_and(|d| d >= as_of && d <= horizon) => upcoming.push(i),
            _ => {}
        }
    }

    // 一、The overview: the counts, then the parties, those with most breaches first.
    let _ = writeln!(out, "## {}\n", md(w.get(Msg::DocOverview)));
    let counts = w.counts(
        Status::ALL
            .iter()
            .map(|&s| (s, summary.by_status.get(s.name()).copied().unwrap_or(0)))
            .filter(|(_, c)| *c > 0)
            .map(|(s, c)| (w.status(s), c)),
    );
    let _ = writeln!(out, "{}\n", md(&w.fill(Msg::DocIntro, &[&w.date(as_of), &summary.verdicts, &counts])));
    if !by_party.is_empty() {
        let mut header = vec![w.get(Msg::DocColParty), w.get(Msg::XlsxTotal)];
        header.extend(COLUMNS.iter().map(|&s| w.status(s)));
        table_head(&mut out, &header);
        let mut parties: Vec<(&String, &[usize; COLUMNS.len() + 1])> = by_party.iter().collect();
        // Stable: parties with as many breaches keep the order the plan first names them in.
        parties.sort_by_key(|(_, c)| std::cmp::Reverse(c[1] + c[2] + c[3]));
        for (p, c) in parties {
            let mut cells = vec![md(&party_word(p, w))];
            cells.extend(c.iter().map(|n| n.to_string()));
            table_row(&mut out, &cells);
        }
        out.push('\n');
    }

    // 二、Requirements violated, and 三、duties overdue or done late, by party.
    let _ = writeln!(out, "## {}\n", md(w.get(Msg::DocViolated)));
    by_parties(r, w, &violated, &mut out, breach);
    let _ = writeln!(out, "## {}\n", md(w.get(Msg::DocOverdue)));
    by_parties(r, w, &late, &mut out, breach);

    // 四、Targets striven for and not reached.
    let _ = writeln!(out, "## {}\n", md(w.get(Msg::DocMissed)));
    listed_table(r, w, &missed, &[Msg::DocColFound], &mut out, |v, w| vec![md(&found(v, w))]);

    // 五、What falls due from the as-of date to the end of next month, soonest first.
    let _ = writeln!(out, "## {}\n", md(&w.fill(Msg::DocUpcoming, &[&w.date(as_of), &w.date(horizon)])));
    upcoming.sort_by_key(|&i| (r.deadline_of(i), i));
    listed_table(r, w, &upcoming, &[Msg::XlsxDeadline, Msg::DocColParty], &mut out, |v, w| {
        vec![v.deadline.map(|d| w.date(d)).unwrap_or_default(), md(&parties_line(r, v, w))]
    });

    // 六、What could not be decided, and why.
    let _ = writeln!(out, "## {}\n", md(w.get(Msg::DocUnknown)));
    listed_table(r, w, &unknown, &[Msg::XlsxReason], &mut out, |v, w| {
        vec![md(&v.reason.as_deref().map(|x| w.reason(x).into_owned()).unwrap_or_default())]
    });

    // The facts the verdicts rest on, kind by kind.
    if !summary.records.is_empty() {
        let _ = writeln!(out, "## {}\n", md(w.get(Msg::DocFacts)));
        for (kind, a) in &summary.records {
            let line = w.fill(Msg::DocFactsRow, &[kind, &a.loaded, &a.used, &a.unused, &a.rejected]);
            let _ = writeln!(out, "- {}", md(&line));
            for l in &a.incomplete {
                let _ = writeln!(out, "  - {}", md(&incomplete_line(l, w, 0)));
            }
        }
        out.push('\n');
    }
    let _ = writeln!(out, "---\n\n{}", md(&w.fill(Msg::DocMade, &[&r.plan()])));
    escape(&out, Keep::Layout).into_owned()
}

/// The last day of the month after `d`'s.
fn end_of_next_month(d: Date) -> Date {
    let n = d.naive();
    let (y, m) = if n.month() >= 11 { (n.year() + 1, n.month() - 10) } else { (n.year(), n.month() + 2) };
    Date::from_ymd(y, m, 1).map(|first| first.add_days(-1)).unwrap_or(d)
}

/// The verdicts of each party, under a heading of their own: (一) 市生态环境局.
fn by_parties<V: Verdicts + ?Sized>(
    r: &V,
    w: Words,
    groups: &IndexMap<String, Vec<usize>>,
    out: &mut String,
    item: fn(&V, &Verdict, &str, Words, &str, &mut String),
) {
    if groups.is_empty() {
        let _ = writeln!(out, "{}\n", md(w.get(Msg::DocNone)));
        return;
    }
    for (k, (party, list)) in groups.iter().enumerate() {
        let _ = writeln!(out, "### {}{}\n", ordinal(w.0, k + 1), md(&party_word(party, w)));
        for (j, &i) in list.iter().take(NOTICE_LIST).enumerate() {
            let v = r.verdict_at(i);
            let marker = format!("{}. ", j + 1);
            out.push_str(&marker);
            // The item's lines are indented under its text, as far as the marker is wide.
            item(r, &v, party, w, &" ".repeat(marker.len()), out);
        }
        more(w, list.len(), out);
        out.push('\n');
    }
}

/// A breach under its party: the clause and what it asks, the role the party has in it, what
/// was found, the sanction, the first facts and the id.
fn breach<V: Verdicts + ?Sized>(r: &V, v: &Verdict, party: &str, w: Words, indent: &str, out: &mut String) {
    let roles: Vec<&str> = v
        .parties
        .iter()
        .filter(|(_, ps)| ps.iter().any(|p| p == party))
        .map(|(role, _)| role_word(r, w, role))
        .collect();
    let _ = write!(out, "**{}**", md(&heading(v)));
    if !v.subject.is_empty() {
        let _ = write!(out, " · {}", md(&super::human::subject(v, w)));
    }
    if !roles.is_empty() {
        let _ = write!(out, "{}", md(&w.fill(Msg::DocRole, &[&roles.join(w.get(Msg::PartySep))])));
    }
    out.push('\n');
    let line = |out: &mut String, text: &str| _ = writeln!(out, "{indent}- {}", md(text));
    if let Some(d) = v.deadline {
        let when = match v.done_on {
            Some(done) => w.fill(Msg::DocDoneLate, &[&w.date(d), &w.date(done), &days(d, done)]),
            None if v.status == Status::Overdue => w.fill(Msg::DocDaysLate, &[&w.date(d), &days(d, r.as_of())]),
            None => w.fill(Msg::DocDue, &[&w.date(d)]),
        };
        line(out, &when);
    }
    for note in &v.parties_unknown {
        line(out, &w.fill(Msg::PartyUnknown, &[note]));
    }
    let f = found(v, w);
    if f.is_empty() {
        // Nothing compared and no reason: what the requirement asks says what was not done.
        line(out, &format!("{}{}", w.get(Msg::ExplainRequirement), v.requirement));
    } else {
        line(out, &w.fill(Msg::DocFound, &[&f]));
    }
    for s in &v.sanctions {
        line(out, &super::human::sanction_line(s, w));
    }
    for fact in v.facts.iter().take(NOTICE_FACTS) {
        line(out, &w.fill(Msg::Fact, &[&fact.file, &fact.line, &fact.kind, &fact.key]));
    }
    let more = v.more_facts + v.facts.len().saturating_sub(NOTICE_FACTS);
    if more > 0 {
        line(out, &w.fill(Msg::MoreFacts, &[&more]));
    }
    line(out, &w.fill(Msg::Id, &[&v.id]));
}

/// Days from `from` to `to`.
fn days(from: Date, to: Date) -> i64 {
    (to.naive() - from.naive()).num_days()
}

/// The clause as a heading: its cite and title (its name when it has none).
fn heading(v: &Verdict) -> String {
    let name = v.title.as_deref().unwrap_or(&v.clause);
    match &v.cite {
        Some(c) => format!("{c} {name}"),
        None => name.to_string(),
    }
}

/// What was found: the comparisons that decided the verdict, else the evaluator's reason.
fn found(v: &Verdict, w: Words) -> String {
    let decided: Vec<String> = v
        .evidence
        .iter()
        .map(|e| {
            let holds = super::human::holds_word(e.holds, w);
            w.fill(Msg::Evidence, &[&e.left, &e.left_value, &e.op, &e.right_value, &holds])
        })
        .collect();
    if !decided.is_empty() {
        return decided.join(w.get(Msg::ListSep));
    }
    v.reason.as_deref().map(|x| w.reason(x).into_owned()).unwrap_or_default()
}

/// Every party of a verdict with its role: 市生态环境局（牵头）、盂县人民政府（负责落实）.
fn parties_line<V: Verdicts + ?Sized>(r: &V, v: &Verdict, w: Words) -> String {
    let mut all = Vec::new();
    for (role, ps) in &v.parties {
        for p in ps {
            all.push(format!("{}{}", party_word(p, w), w.fill(Msg::DocRole, &[&role_word(r, w, role)])));
        }
    }
    all.join(w.get(Msg::PartySep))
}

/// A table of verdicts: clause, requirement's subject, then the columns `extra` names.
fn listed_table<V: Verdicts + ?Sized>(
    r: &V,
    w: Words,
    list: &[usize],
    extra: &[Msg],
    out: &mut String,
    cells: impl Fn(&Verdict, Words) -> Vec<String>,
) {
    if list.is_empty() {
        let _ = writeln!(out, "{}\n", md(w.get(Msg::DocNone)));
        return;
    }
    let mut header = vec![w.get(Msg::XlsxCite), w.get(Msg::XlsxTitle), w.get(Msg::XlsxSubject)];
    header.extend(extra.iter().map(|&m| w.get(m)));
    table_head(out, &header);
    for &i in list.iter().take(NOTICE_LIST) {
        let v = r.verdict_at(i);
        let subject = if v.subject.is_empty() { String::new() } else { super::human::subject(&v, w) };
        let mut row =
            vec![md(v.cite.as_deref().unwrap_or("")), md(v.title.as_deref().unwrap_or(&v.clause)), md(&subject)];
        row.extend(cells(&v, w));
        table_row(out, &row);
    }
    out.push('\n');
    more(w, list.len(), out);
}

/// The line that counts what a list left out.
fn more(w: Words, total: usize, out: &mut String) {
    if total > NOTICE_LIST {
        let _ = writeln!(out, "{}\n", md(&w.fill(Msg::DocMore, &[&(total - NOTICE_LIST)])));
    }
}

fn table_head(out: &mut String, header: &[&str]) {
    let cells: Vec<String> = header.iter().map(|h| md(h)).collect();
    table_row(out, &cells);
    let _ = writeln!(out, "|{}", "---|".repeat(header.len()));
}

fn table_row(out: &mut String, cells: &[String]) {
    let _ = writeln!(out, "| {} |", cells.join(" | "));
}

/// The ordinal of a party's heading: `(1)`, or `（一）`.
fn ordinal(lang: Lang, n: usize) -> String {
    match lang {
        Lang::En => format!("({n}) "),
        Lang::ZhHans | Lang::ZhHant => format!("（{}）", chinese_number(n)),
    }
}

/// A number in Chinese numerals, as headings count: 一 … 十, 十一, 二十一, 一百零一.
fn chinese_number(n: usize) -> String {
    const DIGITS: [&str; 10] = ["零", "一", "二", "三", "四", "五", "六", "七", "八", "九"];
    let ones = |n: usize| if n.is_multiple_of(10) { "" } else { DIGITS[n % 10] };
    match n {
        0..=9 => DIGITS[n].to_string(),
        10..=19 => format!("十{}", ones(n)),
        20..=99 => format!("{}十{}", DIGITS[n / 10], ones(n)),
        100..=999 => {
            let rest = n % 100;
            let tail = match rest {
                0 => String::new(),
                1..=9 => format!("零{}", DIGITS[rest]),
                10..=19 => format!("一{}", chinese_number(rest)),
                _ => chinese_number(rest),
            };
            format!("{}百{tail}", DIGITS[n / 100])
        }
        _ => n.to_string(),
    }
}

/// Text from a plan or the facts, made inert in Markdown: every character Markdown could read
/// as markup is escaped with a backslash (a list marker or a numbered item only where the text
/// begins), a line break becomes a space, and controls are escaped as the other reports escape
/// them. Dates, numbers and operators stay as they are read.
fn md(text: &str) -> String {
    let flat = text.replace(['\n', '\r', '\t'], " ");
    let text = shown(&flat);
    let mut out = String::with_capacity(text.len() + 8);
    let digits = text.chars().take_while(char::is_ascii_digit).count();
    let numbered = digits > 0 && text[digits..].starts_with(['.', ')']);
    if matches!(text.chars().next(), Some('-' | '+' | '=')) {
        out.push('\\');
    }
    for (at, c) in text.char_indices() {
        if numbered && at == digits {
            out.push('\\');
        }
        if matches!(c, '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '~' | '&' | '#' | '!') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_numbers() {
        let cases = [(1, "一"), (10, "十"), (11, "十一"), (20, "二十"), (21, "二十一"), (99, "九十九")];
        for (n, s) in cases {
            assert_eq!(chinese_number(n), s);
        }
        assert_eq!(chinese_number(100), "一百");
        assert_eq!(chinese_number(101), "一百零一");
        assert_eq!(chinese_number(110), "一百一十");
        assert_eq!(chinese_number(215), "二百一十五");
    }

    #[test]
    fn markup_in_plan_text_is_inert() {
        assert_eq!(md("<script>alert(1)</script>"), "\\<script\\>alert(1)\\</script\\>");
        assert_eq!(md("a|b\nc"), "a\\|b c");
        assert_eq!(md("[x](http://e)"), "\\[x\\](http://e)");
        assert_eq!(md("- x"), "\\- x");
        assert_eq!(md("12. x"), "12\\. x");
        assert_eq!(md("2020-01-15 <= -30%"), "2020-01-15 \\<= -30%");
        assert_eq!(md("工業爐窯"), "工業爐窯");
    }

    #[test]
    fn next_month_ends() {
        let d = |s| Date::parse_iso(s).unwrap();
        assert_eq!(end_of_next_month(d("2020-01-15")), d("2020-02-29"));
        assert_eq!(end_of_next_month(d("2019-11-30")), d("2019-12-31"));
        assert_eq!(end_of_next_month(d("2019-12-01")), d("2020-01-31"));
        assert_eq!(end_of_next_month(d("2019-10-31")), d("2019-11-30"));
    }
}
