//! The plan's outline (its numbered items) and `untestable` notes.

use super::*;

impl Checker {
    /// The plan's outline and its untestable sentences; every cite should name an entry.
    pub(super) fn outline(&mut self, files: &[(Arc<str>, &ast::Module)]) {
        let mut seen: Option<Origin> = None;
        // The outline's numbers, for membership tests in time independent of its length.
        let mut numbers: std::collections::HashSet<String> = std::collections::HashSet::new();
        for (file, module) in files {
            self.file = file.clone();
            for item in &module.items {
                let Item::Outline(o) = item else { continue };
                if let Some(first) = &seen {
                    let first = first.clone();
                    let d = Diagnostic::error("duplicate-definition", file, o.span, "a package has one `outline`")
                        .with_label("second outline")
                        .with_secondary_in(&first.file, first.span, "first outline here")
                        .with_help("merge the two outlines");
                    self.diags.push(d);
                    continue;
                }
                seen = Some(origin(file, o.span));
                for (number, title) in &o.entries {
                    if !numbers.insert(number.text.clone()) {
                        self.err(
                            "duplicate-definition",
                            number.span,
                            format!("`{}` is listed twice in the outline", number.text),
                            "remove one of them",
                        );
                        continue;
                    }
                    self.model.outline.push(OutlineEntry {
                        number: number.text.clone(),
                        title: title.as_ref().map(|t| t.text.clone()),
                    });
                }
            }
        }
        for (file, module) in files {
            self.file = file.clone();
            for item in &module.items {
                let Item::Untestable(u) = item else { continue };
                if seen.is_some() && !numbers.contains(&u.number.text) {
                    let help = self
                        .did_you_mean(&u.number.text, self.model.outline.iter().map(|e| e.number.as_str()))
                        .map(|s| format!("did you mean `{s}`?"))
                        .unwrap_or_else(|| "add the number to the `outline`".into());
                    self.err(
                        "unknown-outline-number",
                        u.number.span,
                        format!("`{}` is not a number of the plan's outline", u.number.text),
                        help,
                    );
                }
                self.model.untestable.push(UntestableDef {
                    number: u.number.text.clone(),
                    text: u.text.text.clone(),
                    reason: u.reason.text.clone(),
                    origin: origin(file, u.number.span),
                });
            }
        }
        if seen.is_some() {
            for c in &self.model.clauses {
                let Some(cite) = &c.cite else { continue };
                if !numbers.contains(&cite.number) {
                    let outline = self.model.outline.iter().map(|e| e.number.as_str());
                    let help = self
                        .did_you_mean(&cite.number, outline)
                        .map(|s| format!("did you mean `{s}`?"))
                        .unwrap_or_else(|| "add the number to the `outline`, or correct the cite".into());
                    self.diags.push(
                        Diagnostic::warning(
                            "unknown-outline-number",
                            &c.origin.file,
                            c.origin.span,
                            format!("clause `{}` cites `{}`, which is not in the plan's outline", c.name, cite.number),
                        )
                        .with_help(help),
                    );
                }
            }
        }
    }
}
