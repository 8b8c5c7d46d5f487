//! `writ report DIR --facts … --as-of DATE --html OUT [--xlsx FILE] [--doc FILE.md]`: the evaluation of
//! `writ eval`, written as the documents a bureau reads and forwards rather than printed. Each
//! document asked for is one [`Document`]; a new kind of document is a field of [`Documents`],
//! a variant of [`Document`] and an arm of the `match` in [`report`].

use super::*;

/// The documents `writ report` writes, each where its option says; at least one is asked for.
#[derive(Clone, Copy, Debug, Default)]
pub struct Documents<'a> {
    /// `--html OUT`: the folder of the HTML report ([`report::html`]).
    pub html: Option<&'a Path>,
    /// `--xlsx FILE`: the workbook ([`report::workbook`]).
    pub xlsx: Option<&'a Path>,
    /// `--doc FILE`: the notice for circulation, as Markdown ([`report::notice`]).
    pub doc: Option<&'a Path>,
}

/// One document to write, and where.
#[derive(Clone, Copy, Debug)]
enum Document<'a> {
    Html(&'a Path),
    Xlsx(&'a Path),
    Doc(&'a Path),
}

impl<'a> Documents<'a> {
    /// The documents asked for, in the order they are written.
    fn each(&self) -> Vec<Document<'a>> {
        let Documents { html, xlsx, doc } = *self;
        [html.map(Document::Html), xlsx.map(Document::Xlsx), doc.map(Document::Doc)].into_iter().flatten().collect()
    }
}

/// `writ report`: `dir` evaluated against `facts` as of `as_of`, as `writ eval` evaluates it,
/// and each of `documents` written in `lang` or else the plan's language. Prints a line per
/// document written; the exit code is `writ eval`'s (0 no breach, 1 a breach, 2 invalid input
/// or a document that could not be written).
pub fn report<'a>(
    dir: &Path,
    facts: impl Into<FactFiles<'a>>,
    as_of: Date,
    lang: Option<crate::lang::Lang>,
    documents: Documents<'_>,
    style: Style,
) -> Outcome {
    let wanted = documents.each();
    if wanted.is_empty() {
        let file: Arc<str> = Arc::from("<arguments>");
        let d = Diagnostic::error("no-document", &file, Span::default(), "`writ report` was asked for no document")
            .with_help("give `--html OUT_DIR`, `--xlsx FILE` or `--doc FILE.md`");
        return fail(vec![d], &Sources::default(), style);
    }
    let e = match evaluate(dir, facts, as_of, style) {
        Ok(e) => e,
        Err(out) => return out,
    };
    let mut clock = evaluate::Timings::start();
    let verdicts = e.evaluation();
    clock.lap("evaluate");
    let mut stdout = String::new();
    let mut stderr = e.stderr.clone();
    let mut unwritten = false;
    for doc in wanted {
        let written = match doc {
            Document::Html(out) => {
                let explain = |v: &eval::Verdict, words| evaluate::explanation(&e, v, words);
                let plan = report::PlanOutline {
                    outline: &e.model.outline,
                    parties: &e.model.parties,
                    explain: Some(&explain),
                };
                let site = report::html(&verdicts, lang, plan);
                clock.lap("make the HTML report");
                site.write_to(out).map(|()| (out, Some(site.pages.len()))).map_err(|why| {
                    let help = "check that the folder can be made and written to";
                    evaluate::cannot_write("cannot-write-report", out, "the HTML report", why, help)
                })
            }
            Document::Xlsx(file) => evaluate::write_workbook(&verdicts, lang, file).map(|()| (file, None)),
            Document::Doc(file) => {
                std::fs::write(file, report::notice(&verdicts, lang)).map(|()| (file, None)).map_err(|why| {
                    let help = "check that the file's folder exists and can be written to";
                    evaluate::cannot_write("cannot-write-report", file, "the notice", why, help)
                })
            }
        };
        clock.lap("write a document");
        match written {
            Ok((path, None)) => stdout.push_str(&format!("wrote {}\n", shown(&path.display().to_string()))),
            Ok((path, Some(n))) => stdout.push_str(&format!(
                "wrote {} ({n} pages; open {})\n",
                shown(&path.display().to_string()),
                shown(&path.join("index.html").display().to_string())
            )),
            Err(d) => {
                stderr.push_str(&render(&[d], &Sources::default(), style));
                unwritten = true;
            }
        }
    }
    let code = if unwritten || e.unread_facts {
        EXIT_INVALID
    } else if verdicts.has_breach() {
        EXIT_BREACH
    } else {
        EXIT_OK
    };
    Outcome { stdout, stderr, code, diagnostics: Vec::new() }
}
