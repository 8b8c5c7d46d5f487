//! `writ eval`, `writ agenda` and `writ explain`: a package and its fact files loaded, evaluated as of a date, and written out.

use super::*;
use crate::model::RecordId;

/// The fact files of an evaluation, and how to read them.
#[derive(Clone, Debug, Default)]
pub struct FactFiles<'a> {
    /// Fact files, or folders of them.
    pub paths: &'a [PathBuf],
    /// The encoding of CSV files that are not UTF-8, as declared (`--encoding gbk`) instead of
    /// detected.
    pub encoding: Option<&'static encoding_rs::Encoding>,
    /// How many threads read the files; `None` is [`threads`].
    pub threads: Option<usize>,
    /// Where the records of derived kinds are grouped.
    pub engine: eval::Engine,
}

impl<'a> From<&'a [PathBuf]> for FactFiles<'a> {
    fn from(paths: &'a [PathBuf]) -> Self {
        FactFiles { paths, encoding: None, threads: None, engine: eval::Engine::Native }
    }
}

impl<'a> From<&'a Vec<PathBuf>> for FactFiles<'a> {
    fn from(paths: &'a Vec<PathBuf>) -> Self {
        FactFiles { paths, encoding: None, threads: None, engine: eval::Engine::Native }
    }
}

impl<'a, const N: usize> From<&'a [PathBuf; N]> for FactFiles<'a> {
    fn from(paths: &'a [PathBuf; N]) -> Self {
        FactFiles { paths, encoding: None, threads: None, engine: eval::Engine::Native }
    }
}

/// Reads an encoding's name as `--encoding` takes it: a WHATWG label such as `gbk`, `gb18030`,
/// `big5` or `utf-8`.
pub fn parse_encoding(label: &str) -> Result<&'static encoding_rs::Encoding, String> {
    encoding_rs::Encoding::for_label(label.trim().as_bytes())
        .ok_or_else(|| format!("`{}` is not an encoding: write `gbk`, `gb18030`, `big5` or `utf-8`", shown(label)))
}

/// Diagnostics after which some records of a file were never read.
pub(super) const UNREAD: &[&str] = &[
    "fact-syntax",
    "unclosed-quote",
    "cut-short",
    "unknown-format",
    "unknown-record-kind",
    "invalid-utf8",
    "line-too-long",
    "file-too-large",
    "sheet-too-large",
    "empty-sheet",
    "io-error",
];

/// A package and its facts, loaded and checked, ready to evaluate: the model, the facts (which
/// the verdicts borrow), and what to print on stderr.
pub struct Evaluated {
    as_of: Date,
    through: Date,
    /// How many threads read the facts, and may evaluate a large scope.
    threads: usize,
    pub model: Model,
    /// Policy warnings and fact diagnostics, rendered.
    pub stderr: String,
    /// Whether a fact file had an error.
    pub invalid_facts: bool,
    /// Whether some fact records could not be read at all (not even counted as rejected).
    pub unread_facts: bool,
    /// How many records were read but rejected, over all kinds.
    pub rejected: usize,
    /// How many records were kept with a field that could not be read, over all kinds.
    pub flawed: usize,
    /// Policy warnings and fact diagnostics, for `--format json`.
    pub diagnostics: Vec<report::JsonDiagnostic>,
    /// The facts, linked, with the kinds the policy derives computed as of the date.
    facts: facts::Facts,
    /// The engine that computes the aggregates of clauses per subject, when one does.
    per_subject: Option<Box<dyn eval::PerSubject + Send>>,
}

impl Evaluated {
    /// The facts, linked, with the derived kinds computed.
    pub fn facts(&self) -> &facts::Facts {
        &self.facts
    }

    /// The verdicts, compact: written out only as a report is written.
    pub fn evaluation(&self) -> eval::Evaluation<'_> {
        self.evaluation_over(None)
    }

    fn evaluation_over(&self, over: Option<usize>) -> eval::Evaluation<'_> {
        let engine = self.per_subject.as_deref().map(|p| p as &dyn eval::PerSubject);
        eval::evaluate_on_engine(&self.model, self.facts(), (self.as_of, self.through), self.threads, over, engine)
    }

    /// What the engine did with the aggregates of clauses the evaluations so far asked it for,
    /// a line each (`note: …`): none on the native engine.
    pub fn engine_notes(&self) -> String {
        let notes = self.per_subject.as_ref().map(|p| p.notes()).unwrap_or_default();
        notes.iter().map(|n| format!("note: {n}\n")).collect()
    }

    /// The verdicts as [`Evaluated::evaluation`] gives them, less the passing verdicts of each
    /// clause with more than `over` of them, which are only counted: for a report that counts
    /// those rather than lists them (see [`eval::evaluate_folding`]).
    pub fn evaluation_folding(&self, over: usize) -> eval::Evaluation<'_> {
        self.evaluation_over(Some(over))
    }

    /// The report with every verdict written out, held at once (see [`eval::Evaluation::report`]).
    pub fn report(&self) -> Report {
        self.evaluation().report()
    }

    /// Whether the input was read whole, as `--format json` reports it.
    pub fn input(&self) -> report::InputSummary {
        let errors = self.diagnostics.iter().filter(|d| d.severity == crate::diagnostic::Severity::Error).count();
        report::InputSummary {
            complete: !self.invalid_facts && self.rejected == 0 && self.flawed == 0,
            unread: self.unread_facts,
            rejected: self.rejected,
            unreadable_fields: self.flawed,
            errors,
            warnings: self.diagnostics.len() - errors,
        }
    }
}

/// Loads a package and its fact files and evaluates them as of a date.
pub fn evaluate<'a>(
    dir: &Path,
    facts: impl Into<FactFiles<'a>>,
    as_of: Date,
    style: Style,
) -> Result<Evaluated, Outcome> {
    evaluate_through(dir, facts, as_of, None, style)
}

/// Like [`evaluate`], with recurring obligations of open-ended periods listed through `through`
/// (the end of an agenda's window) rather than only through the as-of date.
pub fn evaluate_through<'a>(
    dir: &Path,
    facts: impl Into<FactFiles<'a>>,
    as_of: Date,
    through: Option<Date>,
    style: Style,
) -> Result<Evaluated, Outcome> {
    let mut clock = Timings::start();
    let facts = facts.into();
    let engine = facts.engine.clone();
    let mut input = load_facts(dir, facts, Some(as_of), style, &mut clock)?;
    let read = std::mem::take(&mut input.facts);
    let facts = match eval::derive_owned(&input.model, read, as_of, input.threads, engine.clone()) {
        Ok((facts, notes)) => {
            // What the engine asked for did not group, and why: the records are the same.
            for note in &notes {
                input.stderr.push_str(&format!("note: {note}\n"));
            }
            facts
        }
        Err(why) => {
            let stderr = format!("{}error: {why}\n", input.stderr);
            return Err(Outcome { stdout: String::new(), stderr, code: EXIT_INVALID, diagnostics: input.diagnostics });
        }
    };
    clock.lap("derive records");
    // Started once the derived kinds are computed, so that two sessions never hold memory.
    let per_subject = match eval::per_subject_on(&engine, input.threads) {
        Ok(p) => p,
        Err(why) => {
            let stderr = format!("{}error: {why}\n", input.stderr);
            return Err(Outcome { stdout: String::new(), stderr, code: EXIT_INVALID, diagnostics: input.diagnostics });
        }
    };
    Ok(Evaluated {
        as_of,
        through: through.unwrap_or(as_of),
        threads: input.threads,
        model: input.model,
        stderr: input.stderr,
        invalid_facts: input.invalid_facts,
        unread_facts: input.unread_facts,
        rejected: input.rejected,
        flawed: input.flawed,
        diagnostics: input.diagnostics,
        facts,
        per_subject,
    })
}

/// A package and its fact files read, checked and linked: what an evaluation starts from, and
/// what `writ facts convert` writes out.
pub(super) struct Input {
    /// The records of the fact files, linked.
    pub facts: facts::Facts,
    pub threads: usize,
    pub model: Model,
    /// Policy warnings and fact diagnostics, rendered.
    pub stderr: String,
    pub invalid_facts: bool,
    pub unread_facts: bool,
    pub rejected: usize,
    pub flawed: usize,
    pub diagnostics: Vec<report::JsonDiagnostic>,
}

/// The content of a fact file read whole, as the database holds it: its text is handed over to
/// the query that reads its records ([`db::Database::hand_over`]), which lets it go once they
/// are read, and the database keeps only what stands for it (path, size, modification time).
/// A file whose size cannot be read again is held as it is.
fn let_go(
    db: &db::Database,
    on_disk: &Path,
    path: &Arc<str>,
    read: FileRead,
    encoding: Option<&'static encoding_rs::Encoding>,
) -> facts::Content {
    if !matches!(read, FileRead::Utf8(_) | FileRead::Content(facts::Content::Text { .. })) {
        return read.into_content();
    }
    let Ok(meta) = std::fs::metadata(on_disk) else { return read.into_content() };
    db.hand_over(path, read);
    facts::Content::Whole { path: on_disk.into(), len: meta.len(), modified: meta.modified().ok(), encoding }
}

/// Loads a package and reads and links its fact files.
///
/// With `unkept_as_of` (the date derived kinds are computed as of) and the DataFusion or
/// Ballista engine, the records of a kind only grouped, read from Parquet files of its own, are
/// placed in their groups as they are read and not kept ([`facts::Table::streamed`]).
pub(super) fn load_facts(
    dir: &Path,
    facts: FactFiles<'_>,
    unkept_as_of: Option<Date>,
    style: Style,
    clock: &mut Timings,
) -> Result<Input, Outcome> {
    let (mut loaded, checked) = checked_package(dir, style)?;
    loaded.db.show_progress(style.progress);
    clock.lap("check the package");
    let threads = facts.threads.unwrap_or_else(threads);
    let mut files = Vec::new();
    let mut errors = Vec::new();
    // The fact files whose text diagnostics are shown from, until they are.
    let mut fact_texts: Vec<Arc<str>> = Vec::new();
    // One walker for every path given, so a folder given twice is read once.
    let mut walker = Walker::default();
    for p in facts.paths {
        let paths = match walker.files_under(p, facts::EXTENSIONS) {
            // A path given twice was read the first time; its warning says so.
            Ok(None) => continue,
            Ok(Some(ps)) if ps.is_empty() => {
                let file: Arc<str> = Arc::from(p.display().to_string());
                errors.push(
                    Diagnostic::error(
                        "empty-facts",
                        &file,
                        Span::default(),
                        format!("no fact files ({}) in `{}`", facts::format_names(true), p.display()),
                    )
                    .with_help("point `--facts` at fact files or a folder of them"),
                );
                continue;
            }
            Ok(Some(ps)) => ps,
            Err(d) => {
                errors.push(d);
                continue;
            }
        };
        for fp in paths {
            match read_fact_file(&fp, facts.encoding, threads) {
                Ok((path, read)) => {
                    match &read {
                        FileRead::Utf8(text) => {
                            loaded.sources.add_read(&path, text);
                            fact_texts.push(path.clone());
                        }
                        FileRead::Content(facts::Content::Text { text, .. }) => {
                            loaded.sources.add(&path, text);
                            fact_texts.push(path.clone());
                        }
                        FileRead::Content(facts::Content::Stream { path: file, .. }) => {
                            let file = file.clone();
                            loaded.sources.add_file(
                                &path,
                                Box::new(move || {
                                    let f = std::fs::File::open(&file)?;
                                    Ok(Box::new(std::io::BufReader::new(f)) as Box<dyn std::io::BufRead>)
                                }),
                            )
                        }
                        // A workbook's diagnostics name sheets and cells instead. (A file read
                        // whole is read as text here; `let_go` makes it one below.)
                        FileRead::Content(
                            facts::Content::Bytes(_) | facts::Content::Unreadable(_) | facts::Content::Whole { .. },
                        ) => {}
                    }
                    let content = let_go(&loaded.db, &fp, &path, read, facts.encoding);
                    files.push(FactFile::new(&loaded.db, loaded.package, path, content));
                }
                Err(d) => errors.push(d),
            }
        }
    }
    if !errors.is_empty() {
        errors.extend(walker.warnings);
        return Err(fail(errors, &loaded.sources, style));
    }
    loaded.db.read_files_on(threads);
    clock.lap("open the fact files");
    let schema = db::fact_schema(&loaded.db, loaded.package).schema();
    // The files of kinds whose records are placed in groups as they are read, and let go.
    #[cfg(feature = "datafusion")]
    let facts_engine = facts.engine.clone();
    #[cfg(feature = "datafusion")]
    let unkept = unkept_files(&checked.model, &schema, &loaded.db, &files, &facts_engine, unkept_as_of);
    #[cfg(not(feature = "datafusion"))]
    let unkept: Vec<(RecordId, Vec<usize>)> = {
        let _ = unkept_as_of;
        Vec::new()
    };
    let kept: Vec<usize> = (0..files.len()).filter(|i| !unkept.iter().any(|(_, fs)| fs.contains(i))).collect();
    // Each file is read once: its records, linked into the tables of their kinds, are let go
    // after (the database does not keep them, as it does for an editor's repeated queries).
    let kept_files: Vec<FactFile> = kept.iter().map(|&i| files[i]).collect();
    #[cfg_attr(not(feature = "datafusion"), allow(unused_mut))]
    let mut read: Vec<(usize, FileFacts)> =
        kept.into_iter().zip(db::read_all(&loaded.db, &kept_files, threads)).collect();
    clock.lap("read the fact files");
    #[cfg_attr(not(feature = "datafusion"), allow(unused_mut))]
    let mut facts = if unkept.is_empty() {
        // The files' values are taken into the tables as they are joined: they are not needed
        // after (no file is linked again), and so are not held twice meanwhile.
        let mut parts: Vec<&mut FileFacts> = read.iter_mut().map(|(_, f)| f).collect();
        facts::link_taking(&schema, &mut parts)
    } else {
        let parts: Vec<&FileFacts> = read.iter().map(|(_, f)| f).collect();
        facts::link(&schema, &parts)
    };
    clock.lap("link the records");
    #[cfg_attr(not(feature = "datafusion"), allow(unused_mut))]
    let mut notes = String::new();
    #[cfg(feature = "datafusion")]
    if let Some(as_of) = unkept_as_of.filter(|_| !unkept.is_empty()) {
        let mut again = Vec::new();
        for (kind, of_kind) in unkept {
            let name = &checked.model.records[kind.index()].name;
            let of_kind: Vec<FactFile> = of_kind.into_iter().map(|i| files[i]).collect();
            match place_as_read(
                &checked.model,
                &schema,
                &loaded.db,
                &read,
                &of_kind,
                kind,
                as_of,
                (&facts_engine, threads),
                &mut facts,
            ) {
                Ok(()) => notes.push_str(&format!(
                    "note: the {name} records were placed in the groups of the kinds derived from them as they were read, and not kept\n"
                )),
                Err(why) => {
                    notes.push_str(&format!("note: the {name} records were kept: {why}\n"));
                    again.extend(files.iter().enumerate().filter(|(_, f)| of_kind.contains(f)).map(|(i, _)| i));
                }
            }
        }
        clock.lap("place the records not kept");
        // A kind whose records must be kept after all is read as any other, and every file
        // linked again in the order given.
        if !again.is_empty() {
            let again_files: Vec<FactFile> = again.iter().map(|&i| files[i]).collect();
            read.extend(again.into_iter().zip(db::read_all(&loaded.db, &again_files, threads)));
            read.sort_by_key(|(i, _)| *i);
            let placed = std::mem::take(&mut facts.placed);
            let old_files = std::mem::take(&mut facts.files);
            let streamed: Vec<(usize, facts::Table)> = (facts.tables.iter_mut().enumerate())
                .filter(|(_, t)| t.streamed)
                .map(|(k, t)| (k, std::mem::take(t)))
                .collect();
            let parts: Vec<&FileFacts> = read.iter().map(|(_, f)| f).collect();
            facts = facts::link(&schema, &parts);
            facts.placed = placed;
            // The files of the kinds not kept come after the files linked, as before.
            let mut moved: Vec<Option<u32>> = vec![None; old_files.len()];
            for (k, mut t) in streamed {
                for f in &mut t.origins.file {
                    *f = *moved[*f as usize].get_or_insert_with(|| {
                        facts.files.push(old_files[*f as usize].clone());
                        facts.files.len() as u32 - 1
                    });
                }
                facts.tables[k] = t;
            }
            clock.lap("read and link the records kept after all");
        }
    }
    let mut fact_diags: Vec<Diagnostic> = std::mem::take(&mut loaded.warnings);
    fact_diags.extend(walker.warnings);
    for (_, f) in &read {
        fact_diags.extend(f.diagnostics.iter().cloned());
    }
    let read: Vec<&FileFacts> = read.iter().map(|(_, f)| f).collect();
    fact_diags.extend(facts.diagnostics.iter().cloned());
    fact_diags.extend(crate::lookalike::lookalike_keys(&checked.model, &facts, &read));
    drop(read);
    clock.lap("look for lookalike keys");
    let mut stderr = render(&checked.diagnostics, &loaded.sources, style);
    stderr.push_str(&render(&fact_diags, &loaded.sources, style));
    stderr.push_str(&notes);
    let invalid_facts = fact_diags.iter().any(Diagnostic::is_error);
    // Records that were never read (a file that does not parse, a kind the policy does not
    // declare) are not even counted as rejected: aggregates would be computed without them and
    // look right. Such input is invalid whatever `--strict` says.
    let unread_facts = fact_diags.iter().any(|d| d.is_error() && UNREAD.contains(&d.code));
    let rejected = facts.tables.iter().map(|t| t.rejected_count()).sum();
    let flawed = facts.tables.iter().map(|t| t.flawed).sum();
    let mut all = checked.diagnostics.clone();
    all.extend(fact_diags);
    let diagnostics = report::JsonDiagnostic::all(&all, &loaded.sources);
    // Every diagnostic of the facts is written: their texts are let go.
    for path in &fact_texts {
        loaded.sources.remove(path);
    }
    Ok(Input {
        facts,
        threads,
        model: checked.model,
        stderr,
        invalid_facts,
        unread_facts,
        rejected,
        flawed,
        diagnostics,
    })
}

/// The files of each kind whose records need not be kept ([`eval::unkept_kinds`]), by their
/// place in `files`, when evaluating on the DataFusion or Ballista engine as of `as_of`: a kind
/// all of whose records are in Parquet files of its own. Any file that may hold records of several kinds,
/// or that names its kinds inside (JSON, NDJSON, YAML, TOML, workbooks), keeps every kind.
#[cfg(feature = "datafusion")]
fn unkept_files(
    model: &Model,
    schema: &facts::Schema<'_>,
    db: &db::Database,
    files: &[FactFile],
    engine: &eval::Engine,
    as_of: Option<Date>,
) -> Vec<(RecordId, Vec<usize>)> {
    let Some(as_of) = as_of.filter(|_| *engine != eval::Engine::Native) else { return Vec::new() };
    let kinds: Vec<RecordId> =
        (eval::unkept_kinds(model, as_of).into_iter()).filter_map(|(kind, why)| why.is_ok().then_some(kind)).collect();
    let mut of_kind: Vec<(Vec<usize>, bool)> = vec![(Vec::new(), true); kinds.len()];
    for (i, f) in files.iter().enumerate() {
        let path = f.path(db);
        let format = facts::FactFormat::of(path);
        if !matches!(format, Some(facts::FactFormat::Parquet | facts::FactFormat::Csv)) {
            return Vec::new();
        }
        let holds = facts::kinds_of_file(schema, path);
        for (kind, (at, ok)) in kinds.iter().zip(&mut of_kind) {
            if holds.contains(kind) {
                *ok &= format == Some(facts::FactFormat::Parquet) && holds.len() == 1;
                at.push(i);
            }
        }
    }
    (kinds.into_iter().zip(of_kind))
        .filter(|(_, (at, ok))| *ok && !at.is_empty())
        .map(|(kind, (at, _))| (kind, at))
        .collect()
}

/// Reads the files of `kind`, one at a time, each linked to the records kept (`kept`), and
/// places their records in the groups of the kinds derived from them ([`eval::Placer`]) as of
/// `as_of`, keeping only where each was read: `facts` gets the kind's table, with no columns
/// ([`facts::Table::streamed`]), and the groups ([`facts::Facts::placed`]), whose values
/// `engine` then computes from the files. Only a file an engine reads as writ does is read so:
/// one whose records were all read cleanly (no diagnostic, none rejected, every reference
/// found, every value the derived kinds read there); otherwise nothing changes and the reason
/// is given, for the kind to be kept.
#[cfg(feature = "datafusion")]
#[allow(clippy::too_many_arguments)]
fn place_as_read(
    model: &Model,
    schema: &facts::Schema<'_>,
    db: &db::Database,
    kept: &[(usize, FileFacts)],
    of_kind: &[FactFile],
    kind: RecordId,
    as_of: Date,
    (engine, threads): (&eval::Engine, usize),
    facts: &mut facts::Facts,
) -> Result<(), String> {
    let kept: Vec<&FileFacts> = kept.iter().map(|(_, f)| f).collect();
    let mut placer = eval::Placer::new(model, kind, as_of);
    let mut table = facts::Table { streamed: true, ..Default::default() };
    let first_file = facts.files.len();
    let mut each = || -> Result<(), String> {
        // As many files at a time as there are threads, read side by side.
        for files in of_kind.chunks(threads.max(1)) {
            for (&file, part) in files.iter().zip(db::read_all(db, files, threads)) {
                place_part(model, schema, db, &kept, (file, part), kind, as_of, &mut placer, &mut table, facts)?;
            }
        }
        Ok(())
    };
    if let Err(why) = each() {
        facts.files.truncate(first_file);
        return Err(why);
    }
    let placed = facts.placed.len();
    facts.tables[kind.index()] = table;
    facts.placed.extend(placer.finish());
    if let Err(why) = eval::compute_unkept(model, facts, kind, as_of, threads, engine) {
        facts.files.truncate(first_file);
        facts.tables[kind.index()] = facts::Table::default();
        facts.placed.truncate(placed);
        return Err(why);
    }
    Ok(())
}

/// One file of the kind `place_as_read` reads, read (`part`): checked, linked to the records
/// kept, its records placed by `placer`, and where each was read added to `table`.
#[cfg(feature = "datafusion")]
#[allow(clippy::too_many_arguments)]
fn place_part(
    model: &Model,
    schema: &facts::Schema<'_>,
    db: &db::Database,
    kept: &[&FileFacts],
    (file, part): (FactFile, FileFacts),
    kind: RecordId,
    as_of: Date,
    placer: &mut eval::Placer,
    table: &mut facts::Table,
    facts: &mut facts::Facts,
) -> Result<(), String> {
    let path = file.path(db);
    if let Some(d) = part.diagnostics.first() {
        return Err(format!("{path}: {}", d.message));
    }
    if !part.rejected.is_empty() || !part.unkept.is_empty() || !part.losses.is_empty() {
        return Err(format!("{path}: some of its records were not read"));
    }
    let mut parts = kept.to_vec();
    parts.push(&part);
    let linked = facts::link(schema, &parts);
    if linked.diagnostics.len() != facts.diagnostics.len() {
        return Err(format!("{path}: linking its records found a problem"));
    }
    eval::clean_part(model, &linked, kind, as_of).map_err(|why| format!("{path}: {why}"))?;
    placer.part(model, &linked);
    let rows = &linked.tables[kind.index()];
    let at = facts.files.len() as u32;
    facts.files.push(path.clone());
    table.origins.file.extend(std::iter::repeat_n(at, rows.len()));
    table.origins.line.extend_from_slice(&rows.origins.line);
    table.loaded += rows.loaded;
    Ok(())
}

/// Wall-clock time per phase of a command, printed on stderr as each phase ends when the
/// environment variable `WRIT_TIMINGS` is set (to anything): where a long run spends its time.
pub(super) struct Timings {
    last: Option<std::time::Instant>,
}

impl Timings {
    pub(super) fn start() -> Timings {
        Timings { last: std::env::var_os("WRIT_TIMINGS").map(|_| std::time::Instant::now()) }
    }

    /// Ends a phase: prints its name, how long it took and, where the system says, the most
    /// memory the process has held so far (`peak 215 MB`).
    pub(super) fn lap(&mut self, phase: &str) {
        if let Some(last) = &mut self.last {
            let now = std::time::Instant::now();
            let peak = peak_memory().map(|kb| format!(", peak {} MB", kb / 1024)).unwrap_or_default();
            eprintln!("writ: {phase}: {:.3} s{peak}", (now - *last).as_secs_f64());
            *last = now;
        }
    }
}

/// The most memory the process has held so far, in KiB (`VmHWM` of `/proc/self/status`, Linux).
fn peak_memory() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.trim_start_matches("VmHWM:").trim().trim_end_matches("kB").trim().parse().ok()
}

/// How many threads reading and evaluating may use: `WRIT_THREADS` when it is set to a
/// positive number, else the cores the machine has.
pub fn threads() -> usize {
    match std::env::var("WRIT_THREADS").ok().and_then(|n| n.trim().parse::<usize>().ok()) {
        Some(n) if n > 0 => n,
        _ => std::thread::available_parallelism().map_or(1, |n| n.get()),
    }
}

/// The outcome of a command that could not evaluate its input. With `--format json`, a program
/// reading the JSON still gets a document, which says that nothing was evaluated and why.
pub(super) fn failed(mut out: Outcome, format: Format, as_of: Date) -> Outcome {
    if format == Format::Json {
        out.stdout = report::json_failed(as_of, &out.diagnostics) + "\n";
    }
    out
}

/// `writ eval DIR --facts PATH… --as-of DATE [--strict]`.
///
/// Rejected records and fact errors are reported on stderr, and the rest is evaluated: the
/// verdicts that needed a rejected record are `unknown`, and the exit code comes from the
/// verdicts. With `strict`, any rejected record or fact error makes the exit code 2.
pub fn eval<'a>(
    dir: &Path,
    facts: impl Into<FactFiles<'a>>,
    as_of: Date,
    format: Format,
    style: Style,
    strict: bool,
) -> Outcome {
    eval_with(dir, facts, as_of, format, style, strict, &report::HumanOptions::default())
}

/// [`eval`] with the human report written as `options` say (`--lang`, `--only`, `--summary`);
/// the JSON report always holds every verdict, with its English keys and status codes.
#[allow(clippy::too_many_arguments)]
pub fn eval_with<'a>(
    dir: &Path,
    facts: impl Into<FactFiles<'a>>,
    as_of: Date,
    format: Format,
    style: Style,
    strict: bool,
    options: &report::HumanOptions,
) -> Outcome {
    let mut stdout = Vec::new();
    let mut out = eval_to(&mut stdout, dir, facts, as_of, format, style, strict, options);
    out.stdout = String::from_utf8(stdout).expect("a report is UTF-8");
    out
}

/// [`eval`] with the report written to `w` as it is made, a verdict at a time, rather than
/// returned in [`Outcome::stdout`] (which stays empty). A write that fails (a closed pipe)
/// stops the report; the exit code is the verdicts' still.
#[allow(clippy::too_many_arguments)]
pub fn eval_to<'a>(
    w: &mut dyn std::io::Write,
    dir: &Path,
    facts: impl Into<FactFiles<'a>>,
    as_of: Date,
    format: Format,
    style: Style,
    strict: bool,
    options: &report::HumanOptions,
) -> Outcome {
    eval_then(w, dir, facts, as_of, format, style, strict, options, None, |out| out)
}

/// `writ eval` as the binary runs it: [`eval_to`], then the diagnostics on stderr, and the
/// process ends with the exit code while the facts and the verdicts are still held. A process
/// that ends need not free them piece by piece (with a million verdicts that took a quarter
/// of a second); the operating system takes the memory back whole. With `xlsx`, the verdicts
/// are also written to that file as a workbook ([`report::workbook`]).
#[allow(clippy::too_many_arguments)]
pub fn eval_and_exit<'a>(
    w: &mut dyn std::io::Write,
    dir: &Path,
    facts: impl Into<FactFiles<'a>>,
    as_of: Date,
    format: Format,
    style: Style,
    strict: bool,
    options: &report::HumanOptions,
    xlsx: Option<&Path>,
) -> ! {
    use std::io::Write as _;
    eval_then(w, dir, facts, as_of, format, style, strict, options, xlsx, |out| {
        // The report is flushed; a closed pipe (`writ eval … | head`) is not worth a panic.
        let _ = std::io::stderr().write_all(out.stderr.as_bytes());
        std::process::exit(out.code)
    })
}

/// [`eval_to`], and the workbook written to `xlsx` if it is given, handing the outcome to
/// `then` while the evaluation is still alive.
#[allow(clippy::too_many_arguments)]
pub(super) fn eval_then<'a, T>(
    w: &mut dyn std::io::Write,
    dir: &Path,
    facts: impl Into<FactFiles<'a>>,
    as_of: Date,
    format: Format,
    style: Style,
    strict: bool,
    options: &report::HumanOptions,
    xlsx: Option<&Path>,
    then: impl FnOnce(Outcome) -> T,
) -> T {
    let e = match evaluate(dir, facts, as_of, style) {
        Ok(e) => e,
        Err(out) => {
            let mut out = failed(out, format, as_of);
            let _ = w.write_all(std::mem::take(&mut out.stdout).as_bytes()).and_then(|()| w.flush());
            return then(out);
        }
    };
    let mut clock = Timings::start();
    // The human report counts the passing verdicts of a large clause, unless asked to list
    // them or to count every verdict by party: those need not be kept.
    let verdicts = if format == Format::Human && options.only.is_none() && !options.summary && xlsx.is_none() {
        e.evaluation_folding(report::FOLD_OVER)
    } else {
        e.evaluation()
    };
    clock.lap("evaluate");
    let written = match format {
        Format::Human => report::write_human(&verdicts, options, w),
        Format::Json => {
            report::write_json_with(&verdicts, &e.input(), &e.diagnostics, w).and_then(|()| w.write_all(b"\n"))
        }
    };
    let _ = written.and_then(|()| w.flush());
    clock.lap("write the report");
    let mut stderr = e.stderr.clone();
    stderr.push_str(&e.engine_notes());
    let mut unwritten = false;
    if let Some(path) = xlsx {
        if let Err(d) = write_workbook(&verdicts, options.lang, path) {
            stderr.push_str(&render(&[d], &Sources::default(), style));
            unwritten = true;
        }
        clock.lap("write the workbook");
    }
    let code = if unwritten || e.unread_facts || (strict && (e.invalid_facts || e.rejected > 0 || e.flawed > 0)) {
        EXIT_INVALID
    } else if verdicts.has_breach() {
        EXIT_BREACH
    } else {
        EXIT_OK
    };
    then(Outcome { stdout: String::new(), stderr, code, diagnostics: Vec::new() })
}

/// `--xlsx FILE`: the workbook of the verdicts, in `lang` or else the plan's language, written
/// to `path` (replacing what is there).
pub(super) fn write_workbook(
    verdicts: &eval::Evaluation,
    lang: Option<crate::lang::Lang>,
    path: &Path,
) -> Result<(), Diagnostic> {
    let failed = |why: String| {
        let help = "check that the folder exists and the file is not open in another program";
        cannot_write("cannot-write-workbook", path, "the workbook", why, help)
    };
    let bytes = report::workbook(verdicts, lang).map_err(|e| failed(e.to_string()))?;
    std::fs::write(path, bytes).map_err(|e| failed(e.to_string()))
}

/// The error of a document (`what`) that could not be written to `path`, and why.
pub(super) fn cannot_write(
    code: &'static str,
    path: &Path,
    what: &str,
    why: impl std::fmt::Display,
    help: &str,
) -> Diagnostic {
    let file: Arc<str> = Arc::from(path.display().to_string());
    Diagnostic::error(code, &file, Span::default(), format!("cannot write {what}: {why}")).with_help(help)
}

/// `writ agenda DIR --facts PATH… --from DATE --to DATE [--as-of DATE]`: the obligations falling
/// due in the window, by party, in deadline order, with their status as of `as_of` (default:
/// the window's first day).
pub fn agenda<'a>(
    dir: &Path,
    facts: impl Into<FactFiles<'a>>,
    from: Date,
    to: Date,
    as_of: Option<Date>,
    format: Format,
    style: Style,
) -> Outcome {
    agenda_with(dir, facts, from, to, as_of, format, style, &report::HumanOptions::default())
}

/// [`agenda`] with its text written as `options` say: in `--lang`, and with `--only` only the
/// obligations of those statuses (the JSON lists every one).
#[allow(clippy::too_many_arguments)]
pub fn agenda_with<'a>(
    dir: &Path,
    facts: impl Into<FactFiles<'a>>,
    from: Date,
    to: Date,
    as_of: Option<Date>,
    format: Format,
    style: Style,
    options: &report::HumanOptions,
) -> Outcome {
    if to < from {
        let file: Arc<str> = Arc::from("<arguments>");
        let d = Diagnostic::error(
            "invalid-date",
            &file,
            Span::default(),
            format!("the window ends ({to}) before it starts ({from})"),
        )
        .with_help("swap `--from` and `--to`");
        return fail(vec![d], &Sources::default(), style);
    }
    let as_of = as_of.unwrap_or(from);
    let e = match evaluate_through(dir, facts, as_of, Some(to), style) {
        Ok(e) => e,
        Err(out) => return failed(out, format, as_of),
    };
    let agenda = report::Agenda::build(&e.evaluation(), &e.model, from, to);
    let stdout = match format {
        Format::Human => agenda.only(options.only).human(options.lang),
        Format::Json => report::json_with_input(&agenda, &e.input(), &e.diagnostics) + "\n",
    };
    Outcome {
        stdout,
        stderr: e.stderr,
        code: if e.invalid_facts { EXIT_INVALID } else { EXIT_OK },
        diagnostics: Vec::new(),
    }
}

/// `writ explain DIR --facts PATH… --as-of DATE ID`: one verdict in full: the clause and its
/// cited text, who owes it, what was compared, every fact it used, and why it has its status.
pub fn explain<'a>(
    dir: &Path,
    facts: impl Into<FactFiles<'a>>,
    as_of: Date,
    id: &str,
    format: Format,
    style: Style,
) -> Outcome {
    explain_in(dir, facts, as_of, id, format, style, None)
}

/// [`explain`] in `lang`, or else the plan's language.
pub fn explain_in<'a>(
    dir: &Path,
    facts: impl Into<FactFiles<'a>>,
    as_of: Date,
    id: &str,
    format: Format,
    style: Style,
    lang: Option<crate::lang::Lang>,
) -> Outcome {
    let e = match evaluate(dir, facts, as_of, style) {
        Ok(e) => e,
        Err(out) => return failed(out, format, as_of),
    };
    let verdicts = e.evaluation();
    let Some(v) = verdicts.find(id) else {
        let file: Arc<str> = Arc::from("<arguments>");
        let ids: Vec<String> = verdicts.ids().collect();
        let help = crate::model::did_you_mean(id, ids.iter().map(|v| v.as_str()))
            .map(|s| format!("did you mean `{s}`?"))
            .unwrap_or_else(|| "verdict ids are printed by `writ eval` (`id: …`) and in its JSON".into());
        let d =
            Diagnostic::error("unknown-verdict", &file, Span::default(), format!("no verdict `{id}` as of {as_of}"))
                .with_help(help);
        return fail(vec![d], &Sources::default(), style);
    };
    let stdout = match format {
        Format::Json => report::json_with_input(&v, &e.input(), &e.diagnostics) + "\n",
        Format::Human => {
            let words = report::messages::Words(lang.or(e.model.plan.language).unwrap_or_default());
            explanation(&e, &v, words)
        }
    };
    Outcome {
        stdout,
        stderr: e.stderr,
        code: if e.invalid_facts { EXIT_INVALID } else { EXIT_OK },
        diagnostics: Vec::new(),
    }
}

/// The text of `writ explain` for verdict `v` of `e`, in `words`' language: [`report::explain`],
/// then the values of each derived record it used and the records it was derived from. The
/// HTML report's explanations are this text too.
pub(super) fn explanation(e: &Evaluated, v: &eval::Verdict, words: report::messages::Words) -> String {
    let as_of = e.as_of;
    let roles = &e.model.plan.roles;
    let mut text =
        report::explain(v, as_of, words, |role| roles.iter().find(|r| r.name == role).and_then(|r| r.label.as_deref()));
    // A derived record used: its values, and the records it was derived from.
    let facts = e.facts();
    for f in &v.facts {
        let Some(kind) = e.model.records.iter().position(|r| *r.name == *f.kind) else { continue };
        let lines = eval::derivation(&e.model, facts, as_of, crate::model::RecordId::at(kind), &f.key);
        if !lines.is_empty() {
            text.push_str("  ");
            text.push_str(words.get(report::messages::Msg::ExplainDerived));
            text.push('\n');
            for l in lines {
                text.push_str("    ");
                text.push_str(&crate::text::escape(&l, crate::text::Keep::Layout));
                text.push('\n');
            }
        }
    }
    text
}
