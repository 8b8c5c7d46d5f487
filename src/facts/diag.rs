//! Diagnostic helpers of the fact loader: a per-file cap, did-you-mean suggestions, and
//! clipping long user input in messages.

use crate::diagnostic::{Diagnostic, Span};
use std::sync::Arc;

/// At most this many diagnostics are kept per file. A broken export can hold a million bad
/// rows; past the cap, one more diagnostic says how many were left out.
pub(super) const MAX_PER_FILE: usize = 200;

/// Collects diagnostics, keeping at most [`MAX_PER_FILE`] per file.
pub(super) struct Capped {
    out: Vec<Diagnostic>,
    files: Vec<FileCount>,
}

struct FileCount {
    path: Arc<str>,
    shown: usize,
    suppressed: usize,
    first_suppressed: Span,
}

impl Capped {
    /// `files[i]` is the file that [`Capped::push`]'s index `i` names.
    pub(super) fn new(files: Vec<Arc<str>>) -> Self {
        let files = files.into_iter().map(|path| FileCount {
            path,
            shown: 0,
            suppressed: 0,
            first_suppressed: Span::default(),
        });
        Capped { out: Vec::new(), files: files.collect() }
    }

    /// Whether a diagnostic for file `i` would still be shown; lets callers skip costly
    /// suggestions for diagnostics that will be dropped.
    pub(super) fn has_room(&self, i: usize) -> bool {
        self.files[i].shown < MAX_PER_FILE
    }

    /// Whether no diagnostic was pushed or skipped.
    pub(super) fn is_empty(&self) -> bool {
        self.out.is_empty() && self.files.iter().all(|f| f.suppressed == 0)
    }

    pub(super) fn push(&mut self, i: usize, d: Diagnostic) {
        if self.has_room(i) {
            self.files[i].shown += 1;
            self.out.push(d);
        } else {
            self.skip(i, d.primary_span());
        }
    }

    /// Counts a diagnostic at `span` of file `i` that was not built because there is no room.
    pub(super) fn skip(&mut self, i: usize, span: Span) {
        let f = &mut self.files[i];
        if f.suppressed == 0 {
            f.first_suppressed = span;
        }
        f.suppressed += 1;
    }

    /// The diagnostics kept, then one `too-many-errors` per file that went over the cap.
    pub(super) fn finish(mut self) -> Vec<Diagnostic> {
        for f in self.files.iter().filter(|f| f.suppressed > 0) {
            let d = Diagnostic::warning(
                "too-many-errors",
                &f.path,
                f.first_suppressed,
                format!("{} more errors in this file were not shown", f.suppressed),
            )
            .with_label("the first one not shown is here")
            .with_help(format!(
                "only the first {MAX_PER_FILE} errors of a file are shown; every rejected record is still counted"
            ));
            self.out.push(d);
        }
        self.out
    }
}

/// The candidate closest to `name` by edit distance, when it is close enough to be a likely
/// typo. Ties go to the smaller candidate, so the answer does not depend on iteration order.
///
/// A candidate that looks the same as `name` (it differs by an invisible character, a letter
/// of another script or a full-width form: [`crate::text::skeleton`]) is the one meant, however
/// short the names are.
pub(super) fn did_you_mean<'a>(name: &str, candidates: impl Iterator<Item = &'a str> + Clone) -> Option<&'a str> {
    if crate::text::has_lookalikes(name) || candidates.clone().any(crate::text::has_lookalikes) {
        let look = crate::text::skeleton(name);
        if let Some(c) = candidates.clone().find(|c| *c != name && crate::text::skeleton(c) == look) {
            return Some(c);
        }
    }
    let len = name.chars().count();
    let limit = (len / 3).max(1);
    // Distances are measured between names folded to one Chinese script, so a near miss
    // written in the other script (`工业炉窖`) still finds its name (`工業爐窯`).
    let folded = crate::script::fold(name);
    candidates
        .filter(|c| c.chars().count().abs_diff(len) <= limit)
        .map(|c| (edit_distance(&folded, &crate::script::fold(c)), c))
        .filter(|&(d, _)| d <= limit)
        .min()
        .map(|(_, c)| c)
}

/// Levenshtein distance over characters (not bytes, so one Chinese character is one edit).
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.chars().enumerate() {
        cur[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let subst = prev[j] + usize::from(ca != cb);
            cur[j + 1] = subst.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

/// User input for a message: cut to 40 characters, so a runaway cell does not flood the
/// terminal.
pub(super) fn clip(s: &str) -> String {
    const MAX: usize = 40;
    match s.char_indices().nth(MAX) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions() {
        assert_eq!(edit_distance("工業爐窑", "工業爐窯"), 1);
        assert_eq!(did_you_mean("工業爐窑", ["企業", "工業爐窯"].into_iter()), Some("工業爐窯"));
        assert_eq!(did_you_mean("工业炉窖", ["企業", "工業爐窯"].into_iter()), Some("工業爐窯"));
        assert_eq!(did_you_mean("完全不同", ["企業", "工業爐窯"].into_iter()), None);
        // Look-alikes are suggested however short: a zero width space, a Cyrillic `С`.
        assert_eq!(did_you_mean("企\u{200B}業", ["企業", "工業爐窯"].into_iter()), Some("企業"));
        assert_eq!(did_you_mean("С", ["C", "D"].into_iter()), Some("C"));
        assert_eq!(clip(&"x".repeat(50)).chars().count(), 41);
    }
}
