//! `writ fmt [--check] [--keywords zh|en] PATH…`: policy files laid out by
//! [`crate::format::format_with_keywords`].

use super::*;
use crate::format::{chinese_script, format_with_keywords};
use crate::syntax::keywords::KeywordLang;
use std::collections::HashMap;

/// The language `writ fmt --keywords` writes keywords in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Keywords {
    /// English.
    En,
    /// Chinese, in the script of the package (see [`chinese_script`]).
    Zh,
}

/// `writ fmt PATH…` rewrites each `.writ` file under the paths whose layout changes (and no
/// other); with `check`, it writes nothing and prints a unified diff per file that would
/// change. Exit 0 when nothing changed (or would), 1 when `check` found a file to change, 2
/// when a file could not be read or formatted (a syntax error): those files are left as they
/// are and their diagnostics printed, and the others are still formatted. With `keywords`,
/// every keyword is written in that language; for Chinese, in the script of the package, the
/// files of one folder being one package.
pub fn fmt(paths: &[PathBuf], check: bool, keywords: Option<Keywords>, style: Style) -> Outcome {
    let mut walker = Walker::default();
    let mut sources = Sources::default();
    let mut diags = Vec::new();
    let mut stdout = String::new();
    let mut changed = 0;
    let mut files = Vec::new();
    for path in paths {
        match walker.files_under(path, &["writ"]) {
            Ok(found) => files.extend(found.unwrap_or_default()),
            Err(d) => diags.push(d),
        }
    }
    let mut texts = Vec::new();
    for path in &files {
        match read_policy(path) {
            Ok(t) => texts.push(Some(t)),
            Err(d) => {
                diags.push(d);
                texts.push(None);
            }
        }
    }
    // The script of each folder's keywords, from all its files.
    let mut scripts: HashMap<Option<&Path>, KeywordLang> = HashMap::new();
    if keywords == Some(Keywords::Zh) {
        for path in &files {
            let folder = path.parent();
            scripts.entry(folder).or_insert_with(|| {
                let package: Vec<&str> = files
                    .iter()
                    .zip(&texts)
                    .filter(|(p, _)| p.parent() == folder)
                    .filter_map(|(_, t)| t.as_deref())
                    .collect();
                chinese_script(&package)
            });
        }
    }
    for (path, text) in files.iter().zip(texts) {
        let name: Arc<str> = Arc::from(path.display().to_string());
        let Some(text) = text else { continue };
        let lang = match keywords {
            None => None,
            Some(Keywords::En) => Some(KeywordLang::En),
            Some(Keywords::Zh) => scripts.get(&path.parent()).copied(),
        };
        sources.add(&name, &Arc::from(text.strip_prefix('\u{FEFF}').unwrap_or(&text)));
        let formatted = match format_with_keywords(&name, &text, lang) {
            Ok(f) => f,
            Err(mut d) => {
                diags.append(&mut d);
                continue;
            }
        };
        if formatted == text {
            continue;
        }
        changed += 1;
        if check {
            stdout.push_str(&unified_diff(&name, &text, &formatted));
        } else if let Err(e) = std::fs::write(path, &formatted) {
            diags.push(
                Diagnostic::error("io-error", &name, Span::default(), format!("cannot write `{name}`: {e}"))
                    .with_help("check the file's permissions"),
            );
        }
    }
    let mut stderr = render(&walker.warnings, &sources, style);
    stderr.push_str(&render(&diags, &sources, style));
    let errors = diags.iter().filter(|d| d.is_error()).count();
    // Quiet when every file is as it should be, as a check in a script wants.
    if changed > 0 || errors > 0 {
        let verb = if check { "would be reformatted" } else { "reformatted" };
        stderr.push_str(&format!("{} files, {changed} {verb}", files.len()));
        if errors > 0 {
            stderr.push_str(&format!(", {errors} errors"));
        }
        stderr.push('\n');
    }
    let code = if errors > 0 {
        EXIT_INVALID
    } else if check && changed > 0 {
        EXIT_BREACH
    } else {
        EXIT_OK
    };
    Outcome { stdout, stderr, code, diagnostics: Vec::new() }
}

/// `writ fmt -`: the policy text read from standard input, written out formatted (with
/// `check`, a diff instead, as for files).
pub fn fmt_text(text: &str, check: bool, keywords: Option<Keywords>, style: Style) -> Outcome {
    let name: Arc<str> = Arc::from("<stdin>");
    let lang = match keywords {
        None => None,
        Some(Keywords::En) => Some(KeywordLang::En),
        Some(Keywords::Zh) => Some(chinese_script(&[text])),
    };
    match format_with_keywords(&name, text, lang) {
        Ok(formatted) if check => {
            let same = formatted == text;
            let stdout = if same { String::new() } else { unified_diff(&name, text, &formatted) };
            Outcome {
                stdout,
                stderr: String::new(),
                code: if same { EXIT_OK } else { EXIT_BREACH },
                diagnostics: vec![],
            }
        }
        Ok(formatted) => Outcome { stdout: formatted, stderr: String::new(), code: EXIT_OK, diagnostics: vec![] },
        Err(d) => {
            let mut sources = Sources::default();
            sources.add(&name, &Arc::from(text.strip_prefix('\u{FEFF}').unwrap_or(text)));
            fail(d, &sources, style)
        }
    }
}

/// A policy file's text as it is (a leading byte-order mark kept, so that writing it back
/// changes nothing else).
fn read_policy(path: &Path) -> Result<String, Diagnostic> {
    let bytes = files::read_capped(path, files::MAX_POLICY_BYTES, "split the policy over several `.writ` files")?;
    String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        let file: Arc<str> = Arc::from(path.display().to_string());
        Diagnostic::error(
            "invalid-utf8",
            &file,
            Span::new(at, at),
            format!("`{}` is not valid UTF-8 (byte {at})", path.display()),
        )
        .with_help("save the file as UTF-8")
    })
}

/// The unified diff from `old` to `new`, headed with the file's name; control and invisible
/// characters escaped, as in every output of writ.
fn unified_diff(name: &str, old: &str, new: &str) -> String {
    let name = escape(name, Keep::Nothing);
    let mut diff = similar::TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(3)
        .header(&name, &format!("{name} (formatted)"))
        .to_string();
    if !diff.ends_with('\n') {
        diff.push('\n');
    }
    escape(&diff, Keep::Layout).into_owned()
}
