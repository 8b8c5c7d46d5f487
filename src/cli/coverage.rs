//! `writ coverage`: which items of the plan's outline are encoded by clauses, or noted as untestable.

use super::*;

/// One numbered item of the plan and what encodes it.
#[derive(serde::Serialize)]
pub(super) struct CoverageEntry {
    number: String,
    title: Option<String>,
    /// `encoded` (a clause cites it), `untestable` (only notes say why not), or `missing`.
    status: &'static str,
    clauses: Vec<CoverageClause>,
    untestable: Vec<CoverageNote>,
}

#[derive(serde::Serialize)]
pub(super) struct CoverageClause {
    clause: String,
    requirements: usize,
}

#[derive(serde::Serialize)]
pub(super) struct CoverageNote {
    text: String,
    reason: String,
}

#[derive(serde::Serialize)]
pub(super) struct Coverage {
    plan: String,
    entries: Vec<CoverageEntry>,
    summary: indexmap::IndexMap<&'static str, usize>,
}

/// Whether a cite number falls under an outline number: `三(二)1` covers `三(二)1` but not
/// `三(二)11`; `三(二)` covers both.
pub(super) fn under(cite: &str, number: &str) -> bool {
    cite.strip_prefix(number).is_some_and(|rest| !rest.starts_with(|c: char| c.is_ascii_digit()))
}

/// `writ coverage DIR`: for each numbered item of the plan's outline, the clauses that encode it
/// and their requirement counts, or the reasons it is not checkable; items with neither are
/// flagged, and make the exit code 1.
pub fn coverage(dir: &Path, format: Format, style: Style) -> Outcome {
    let (loaded, checked) = match checked_package(dir, style) {
        Ok(c) => c,
        Err(out) => return out,
    };
    let checked = &checked;
    let m = &checked.model;
    if m.outline.is_empty() {
        let file = loaded
            .package
            .files(&loaded.db)
            .first()
            .map(|f| f.path(&loaded.db).clone())
            .unwrap_or_else(|| Arc::from("<package>"));
        let d = Diagnostic::error(
            "missing-outline",
            &file,
            Span::default(),
            "the package declares no `outline` of the plan",
        )
        .with_help("list the plan's numbered items: `outline \"title\" { \"三(一)1\" \"heading\" … }`");
        return fail(vec![d], &loaded.sources, style);
    }
    let entries: Vec<CoverageEntry> = m
        .outline
        .iter()
        .map(|e| {
            let clauses: Vec<CoverageClause> = m
                .clauses
                .iter()
                .filter(|c| c.cite.as_ref().is_some_and(|ci| under(&ci.number, &e.number)))
                .map(|c| CoverageClause { clause: c.name.clone(), requirements: count_requirements(&c.body) })
                .collect();
            let untestable: Vec<CoverageNote> = m
                .untestable
                .iter()
                .filter(|u| under(&u.number, &e.number))
                .map(|u| CoverageNote { text: u.text.clone(), reason: u.reason.clone() })
                .collect();
            let status = if !clauses.is_empty() {
                "encoded"
            } else if !untestable.is_empty() {
                "untestable"
            } else {
                "missing"
            };
            CoverageEntry { number: e.number.clone(), title: e.title.clone(), status, clauses, untestable }
        })
        .collect();
    let mut summary = indexmap::IndexMap::new();
    summary.insert("outline_entries", entries.len());
    for s in ["encoded", "untestable", "missing"] {
        summary.insert(s, entries.iter().filter(|e| e.status == s).count());
    }
    summary.insert("clauses", m.clauses.len());
    summary.insert("requirements", m.clauses.iter().map(|c| count_requirements(&c.body)).sum());
    summary.insert("untestable_sentences", m.untestable.len());
    summary.insert("parties", m.parties.len());
    summary.insert("sanctions", m.sanctions.len());
    summary.insert("record_kinds", m.records.len());
    summary.insert("tests", m.tests.len());
    let missing = summary["missing"];
    let cov = Coverage { plan: m.plan.title.clone().unwrap_or_else(|| m.plan.name.clone()), entries, summary };
    let stdout = match format {
        Format::Json => {
            crate::text::json_escaped(serde_json::to_string_pretty(&cov).expect("coverage always serialises")) + "\n"
        }
        Format::Human => {
            let mut out = format!("{} — coverage of the plan's numbered items\n\n", shown(&cov.plan));
            for e in &cov.entries {
                let title = shown(e.title.as_deref().unwrap_or(""));
                let mark = match e.status {
                    "encoded" => "✓",
                    "untestable" => "–",
                    _ => "✗",
                };
                out.push_str(&format!("{mark} {:<10} {title}\n", shown(&e.number)));
                for c in &e.clauses {
                    out.push_str(&format!(
                        "      {} ({} requirement{})\n",
                        shown(&c.clause),
                        c.requirements,
                        if c.requirements == 1 { "" } else { "s" }
                    ));
                }
                for u in &e.untestable {
                    out.push_str(&format!("      not checkable: “{}” — {}\n", shown(&u.text), shown(&u.reason)));
                }
                if e.status == "missing" {
                    out.push_str("      no clause encodes this item, and no `untestable` note explains why\n");
                }
            }
            out.push('\n');
            let s: Vec<String> = cov.summary.iter().map(|(k, v)| format!("{k} {v}")).collect();
            out.push_str(&s.join(", "));
            out.push('\n');
            escape(&out, Keep::Layout).into_owned()
        }
    };
    let mut stderr = render(&loaded.warnings, &loaded.sources, style);
    stderr.push_str(&render(&checked.diagnostics, &loaded.sources, style));
    Outcome { stdout, stderr, code: if missing > 0 { EXIT_BREACH } else { EXIT_OK }, diagnostics: Vec::new() }
}
