//! `writ diff`: two evaluations compared by [`crate::diff`], and printed.

use super::evaluate::failed;
use super::*;

/// What `writ diff` compares: two versions of a package over the same facts
/// (`writ diff OLD NEW --facts F…`), one package over two fact sets
/// (`writ diff DIR --facts OLD… --against NEW…`), or both at once.
#[derive(Clone, Debug)]
pub struct DiffInputs<'a> {
    /// The package, or its old version.
    pub old: &'a Path,
    /// The new version of the package; `None` compares `old` with itself over two fact sets.
    pub new: Option<&'a Path>,
    /// The facts of the old side, and of the new one unless `against` is given.
    pub facts: FactFiles<'a>,
    /// The facts of the new side.
    pub against: Option<FactFiles<'a>>,
    pub as_of: Date,
}

/// `writ diff`: the verdicts that differ between the two sides, grouped by clause. Exit 0 when
/// nothing differs, 1 when a verdict or a clause does, 2 when either side's package has errors
/// or its facts could not be read at all (as `writ eval`).
pub fn diff(inputs: DiffInputs, format: Format, style: Style, lang: Option<crate::lang::Lang>) -> Outcome {
    let DiffInputs { old, new, facts, against, as_of } = inputs;
    let new_dir = new.unwrap_or(old);
    let new_facts = against.unwrap_or_else(|| facts.clone());
    let old_side = evaluate(old, facts.clone(), as_of, style);
    let new_side = evaluate(new_dir, new_facts.clone(), as_of, style);
    let (o, n) = match (old_side, new_side) {
        (Ok(o), Ok(n)) => (o, n),
        (Err(a), Err(b)) => {
            let mut out = a;
            if out.stderr != b.stderr {
                out.stderr.push_str(&b.stderr);
                out.diagnostics.extend(b.diagnostics);
            }
            return failed(out, format, as_of);
        }
        (Err(out), Ok(_)) | (Ok(_), Err(out)) => return failed(out, format, as_of),
    };
    let (old_eval, new_eval) = (o.evaluation(), n.evaluation());
    let d = crate::diff::diff(&old_eval, &new_eval);
    let stdout = match format {
        Format::Human => {
            let words = report::messages::Words(lang.or(n.model.plan.language).unwrap_or_default());
            report::diff_human(&d, words, &label(old, facts), &label(new_dir, new_facts))
        }
        Format::Json => {
            let doc = Document {
                diff: &d,
                input: Sides { old: o.input(), new: n.input() },
                diagnostics: Sides { old: &o.diagnostics, new: &n.diagnostics },
            };
            crate::report::json_text(&doc) + "\n"
        }
    };
    // The same warnings on both sides (one package, one fact set) are shown once.
    let mut stderr = o.stderr.clone();
    if n.stderr != o.stderr {
        stderr.push_str(&n.stderr);
    }
    let code = if o.unread_facts || n.unread_facts {
        EXIT_INVALID
    } else if d.has_changes() {
        EXIT_BREACH
    } else {
        EXIT_OK
    };
    Outcome { stdout, stderr, code, diagnostics: Vec::new() }
}

/// What one side evaluated, as the command line named it: the package and the fact paths.
fn label(dir: &Path, facts: FactFiles) -> String {
    let paths: Vec<String> = facts.paths.iter().map(|p| p.display().to_string()).collect();
    format!("{} --facts {}", dir.display(), paths.join(" "))
}

/// The JSON of `writ diff`: the diff's own members, then each side's input accounting and
/// diagnostics, as `writ eval --format json` gives them.
#[derive(serde::Serialize)]
struct Document<'a> {
    #[serde(flatten)]
    diff: &'a crate::diff::Diff,
    input: Sides<report::InputSummary>,
    diagnostics: Sides<&'a [report::JsonDiagnostic]>,
}

#[derive(serde::Serialize)]
struct Sides<T> {
    old: T,
    new: T,
}
