//! The fuzz harness, shared by the fuzz targets (`fuzz/fuzz_targets/*.rs`) and by
//! `tests/fuzz_regressions.rs`, which replays the saved inputs under `tests/fuzz-regressions/`.
//!
//! Each entry point takes arbitrary bytes and runs one input through the pipeline as the CLI
//! does, then asserts invariants that must hold for any input. A panic, a violated invariant,
//! a stack overflow or a run that does not finish is a bug.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};
use writ::diagnostic::Diagnostic;
use writ::facts::{self, Facts, FileFacts, Schema};
use writ::model::Model;
use writ::report::{Sources, render_diagnostics};
use writ::syntax::ast::Module;
use writ::value::Value;

/// The Yangquan 2019 package, the schema the fact targets load against.
const YANGQUAN: &[(&str, &str)] = &[
    ("00-plan.writ", include_str!("../policies/yangquan-2019/00-plan.writ")),
    ("01-units.writ", include_str!("../policies/yangquan-2019/01-units.writ")),
    ("02-vocabulary.writ", include_str!("../policies/yangquan-2019/02-vocabulary.writ")),
    ("03-records.writ", include_str!("../policies/yangquan-2019/03-records.writ")),
    ("05-outline.writ", include_str!("../policies/yangquan-2019/05-outline.writ")),
    ("10-targets.writ", include_str!("../policies/yangquan-2019/10-targets.writ")),
    ("11-industry.writ", include_str!("../policies/yangquan-2019/11-industry.writ")),
    ("12-pollution-control.writ", include_str!("../policies/yangquan-2019/12-pollution-control.writ")),
    ("13-boilers.writ", include_str!("../policies/yangquan-2019/13-boilers.writ")),
    ("13-coal.writ", include_str!("../policies/yangquan-2019/13-coal.writ")),
    ("14-vehicles.writ", include_str!("../policies/yangquan-2019/14-vehicles.writ")),
    ("15-area-sources.writ", include_str!("../policies/yangquan-2019/15-area-sources.writ")),
    ("16-heavy-pollution.writ", include_str!("../policies/yangquan-2019/16-heavy-pollution.writ")),
    ("20-safeguards.writ", include_str!("../policies/yangquan-2019/20-safeguards.writ")),
    ("90-untestable.writ", include_str!("../policies/yangquan-2019/90-untestable.writ")),
];

/// A CSV file holds one record kind, named by the file. The CSV target reads each input as
/// each of these (kilns, offences and the emergency list refer to enterprises, enterprises to
/// counties; offences and documents are dated, documents name parties, the list has percents)
/// and links the files together.
pub const CSV_KINDS: &[&str] = &["工業爐窯", "企業", "縣區", "違法行為", "文件", "應急減排"];

/// The checked Yangquan model, built once.
pub fn yangquan() -> &'static Model {
    static MODEL: OnceLock<Model> = OnceLock::new();
    MODEL.get_or_init(|| {
        let parsed: Vec<(Arc<str>, Module)> = YANGQUAN
            .iter()
            .map(|(name, text)| {
                let path: Arc<str> = Arc::from(format!("policies/yangquan-2019/{name}"));
                let (module, errors) = writ::syntax::parse(&path, text);
                assert!(errors.is_empty(), "{name} does not parse: {errors:#?}");
                (path, module)
            })
            .collect();
        let files: Vec<(Arc<str>, &Module)> = parsed.iter().map(|(p, m)| (p.clone(), m)).collect();
        let (model, diags) = writ::model::check(&files, false);
        let errors: Vec<_> = diags.iter().filter(|d| d.is_error()).collect();
        assert!(errors.is_empty(), "the Yangquan package does not check: {errors:#?}");
        model
    })
}

/// One policy file: parsed, checked as a package of its own, its diagnostics rendered.
/// Bytes that are not UTF-8 are skipped: the CLI rejects such a file before parsing it.
pub fn policy(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let path: Arc<str> = Arc::from("policy.writ");
    let (module, mut diags) = writ::syntax::parse(&path, text);
    let (_model, more) = writ::model::check(&[(path.clone(), &module)], !diags.is_empty());
    diags.extend(more);
    let mut sources = HashMap::new();
    sources.insert(path.clone(), Arc::from(text));
    well_formed(&diags, &sources);
    render(&diags, &sources);
    formats_once_for_all(&path, text);
}

/// `writ fmt` on any text: what it lays out it lays out the same the second time; what it
/// refuses has an error that says why, and it never refuses a file for a layout that would
/// read differently (that would be a bug of the formatter, caught by its own check).
fn formats_once_for_all(path: &Arc<str>, text: &str) {
    match writ::format::format_source(path, text) {
        Ok(once) => {
            let twice = writ::format::format_source(path, &once)
                .unwrap_or_else(|d| panic!("a formatted text is refused: {d:?}\n{once}"));
            assert_eq!(twice, once, "formatting twice gives what formatting once gives");
        }
        Err(diags) => {
            assert!(diags.iter().any(Diagnostic::is_error), "a refused text has an error: {diags:?}");
            let bug = diags.iter().find(|d| d.code == "format-refused" && d.message.contains("would change"));
            assert!(bug.is_none(), "the layout changed what the text says: {text:?}");
        }
    }
}

/// One fact file of format `ext` (`json`, `ndjson`, `csv`, `yaml`, `toml`, `xlsx`, `parquet`): decoded,
/// read against the Yangquan schema and linked, its diagnostics rendered.
pub fn facts(ext: &str, data: &[u8]) {
    if ext == "parquet" {
        // arrow-rs's Parquet reader panics on some damage by design (a run-length varint longer
        // than ten bytes is an `assert!`); writ catches such a panic and reports the file as
        // damaged. libfuzzer-sys's panic hook would abort on it first: the default hook is put
        // back, so only a panic that escapes writ (caught by libfuzzer-sys) is a crash.
        static HOOK: std::sync::Once = std::sync::Once::new();
        HOOK.call_once(|| drop(std::panic::take_hook()));
    }
    let model = yangquan();
    let schema = Schema::of(model);
    let stems: &[&str] = if matches!(ext, "csv" | "parquet") { CSV_KINDS } else { &["facts"] };
    let mut files: Vec<FileFacts> = Vec::new();
    let mut sources: HashMap<Arc<str>, Arc<str>> = HashMap::new();
    for stem in stems {
        let path: Arc<str> = Arc::from(format!("{stem}.{ext}"));
        match facts::decode(&path, data.to_vec()) {
            Ok(content) => {
                let text: Arc<str> = match &content {
                    facts::Content::Text { text, .. } => text.clone(),
                    // A workbook's diagnostics name cells and have empty spans.
                    facts::Content::Bytes(_) if matches!(ext, "xlsx" | "parquet") => "".into(),
                    // NDJSON is read as bytes, line by line: its spans are byte offsets.
                    facts::Content::Bytes(b) => same_length_text(b).into(),
                    facts::Content::Stream { .. } | facts::Content::Whole { .. } | facts::Content::Unreadable(_) => {
                        unreachable!("decode never streams, and reads no file")
                    }
                };
                sources.insert(path.clone(), text);
                files.push(facts::parse_content(&schema, &path, &content));
            }
            // As the CLI does: the file is not read, and its error is shown without a snippet.
            Err(d) => {
                assert!(d.help.as_deref().is_some_and(|h| !h.is_empty()), "`{}` has no help: {d:?}", d.code);
                assert!(d.labels.iter().all(|l| l.span.end as usize <= data.len()), "`{}` outside the file", d.code);
                render(&[d], &HashMap::new());
                return;
            }
        }
    }
    let linked = facts::link(&schema, &files);
    let mut diags: Vec<Diagnostic> = files.iter().flat_map(|f| f.diagnostics.iter().cloned()).collect();
    diags.extend(linked.diagnostics.iter().cloned());
    well_formed(&diags, &sources);
    tables_consistent(&schema, &files, &linked);
    render(&diags, &sources);
}

/// The bytes as text of the same length: each byte of an invalid UTF-8 sequence becomes `?`,
/// so spans into the bytes are spans into the text.
fn same_length_text(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        out.push_str(chunk.valid());
        out.extend(std::iter::repeat_n('?', chunk.invalid().len()));
    }
    out
}

/// Every diagnostic says how to fix it, and each label points inside the text of its file, on
/// character boundaries.
fn well_formed(diags: &[Diagnostic], sources: &HashMap<Arc<str>, Arc<str>>) {
    for d in diags {
        assert!(d.help.as_deref().is_some_and(|h| !h.is_empty()), "`{}` has no help: {d:?}", d.code);
        for l in &d.labels {
            let file = l.file.as_ref().unwrap_or(&d.file);
            let Some(text) = sources.get(file) else {
                panic!("`{}` points into `{file}`, which is not an input: {d:?}", d.code);
            };
            let (s, e) = (l.span.start as usize, l.span.end as usize);
            assert!(
                s <= e && e <= text.len(),
                "`{}`: span {s}..{e} outside a text of {} bytes: {d:?}",
                d.code,
                text.len()
            );
            assert!(
                text.is_char_boundary(s) && text.is_char_boundary(e),
                "`{}`: span {s}..{e} cuts a character",
                d.code
            );
        }
    }
}

/// Each table holds every record read of its kind, accepted or rejected; its columns are as
/// long as its rows; its key index names its rows; its references point at rows.
fn tables_consistent(schema: &Schema<'_>, files: &[FileFacts], linked: &Facts) {
    assert_eq!(linked.tables.len(), schema.records.len());
    for (k, t) in linked.tables.iter().enumerate() {
        let name = &schema.records[k].name;
        assert_eq!(t.loaded, t.origins.len() + t.rejected_count(), "`{name}`: loaded ≠ rows + rejected");
        let read: usize = files
            .iter()
            .map(|f| {
                f.rows.count(writ::model::RecordId::at(k))
                    + f.rejected.iter().filter(|r| r.kind.index() == k).count()
                    + f.unkept.iter().filter(|u| u.kind.index() == k).map(|u| u.lost.unwrap_or(0)).sum::<usize>()
            })
            .sum();
        assert_eq!(t.loaded, read, "`{name}`: loaded ≠ the records its files read");
        assert_eq!(t.columns.len(), schema.records[k].fields.len(), "`{name}`: a column per field");
        assert!(t.columns.iter().all(|c| c.len() == t.origins.len()), "`{name}`: a column is not as long as the rows");
        assert_eq!(t.by_key.len(), t.origins.len(), "`{name}`: keys ≠ rows");
        for (key, row) in t.by_key.iter() {
            assert_eq!(t.by_key.get(key), Some(row), "`{name}`: key `{key}` names another row");
        }
        for v in t.columns.iter().flat_map(|c| c.iter()).flatten() {
            if let Value::Ref(kind, row) = v {
                assert!((row as usize) < linked.tables[kind.index()].len(), "`{name}`: a reference to no row");
            }
        }
    }
}

fn render(diags: &[Diagnostic], texts: &HashMap<Arc<str>, Arc<str>>) {
    let mut sources = Sources::default();
    for (path, text) in texts {
        sources.add(path, text);
    }
    let _ = render_diagnostics(diags, &sources, false, 80);
}
