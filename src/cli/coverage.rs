//! `writ coverage`: [`crate::coverage`] printed, as text or JSON.

use super::*;

/// `writ coverage DIR`: for each numbered item of the plan's outline, the clauses that encode it
/// and their requirement counts, or the reasons it is not checkable; items with neither are
/// flagged, and make the exit code 1.
pub fn coverage(dir: &Path, format: Format, style: Style) -> Outcome {
    let (loaded, checked) = match checked_package(dir, style) {
        Ok(c) => c,
        Err(out) => return out,
    };
    let checked = &checked;
    let Some(cov) = crate::coverage::of(&checked.model) else {
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
    };
    let missing = cov.missing();
    let stdout = match format {
        Format::Json => crate::report::json_text(&cov) + "\n",
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
