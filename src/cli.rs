//! The commands, as functions from arguments to output text and an exit code. The only
//! module besides `main.rs` that touches the file system.

use crate::db::{self, Database, FactFile, FactSet, Package, SourceFile};
use crate::diagnostic::{Diagnostic, Span};
use crate::eval::{self, Report, Status};
use crate::facts::{self, Cell, FileFacts, RawRow};
use crate::model::{Model, TestValue};
use crate::report::{self, Sources};
use crate::text::{Keep, escape, shown};
use crate::value::Date;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Exit codes: 0 clean, 1 breaches found, 2 invalid input.
pub const EXIT_OK: i32 = 0;
pub const EXIT_BREACH: i32 = 1;
pub const EXIT_INVALID: i32 = 2;

/// What a command printed, and its exit code.
pub struct Outcome {
    pub stdout: String,
    pub stderr: String,
    pub code: i32,
    /// The diagnostics of a command that stopped on invalid input, for `--format json`.
    pub diagnostics: Vec<report::JsonDiagnostic>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Human,
    Json,
}

/// Rendering options for diagnostics.
#[derive(Clone, Copy, Debug)]
pub struct Style {
    pub color: bool,
    pub width: usize,
}

impl Default for Style {
    fn default() -> Self {
        Style { color: false, width: 100 }
    }
}

/// A loaded policy package in a database.
pub struct Loaded {
    pub db: Database,
    pub package: Package,
    pub sources: Sources,
    /// What loading warned of (a folder or file reached twice), shown with the checker's.
    pub warnings: Vec<Diagnostic>,
}

fn io_error(path: &Path, e: &std::io::Error) -> Diagnostic {
    let file: Arc<str> = Arc::from(path.display().to_string());
    Diagnostic::error("io-error", &file, Span::default(), format!("cannot read `{}`: {e}", path.display()))
        .with_help("check the path and its permissions")
}

/// The most bytes of a policy file read: a policy is a few hundred KiB; this leaves room for
/// generated packages while refusing a device or an endless file behind a `.writ` name.
const MAX_POLICY_BYTES: u64 = 256 << 20;

/// The most bytes of a fact file that is read whole (JSON, CSV, YAML, TOML, XLSX): the text is
/// held with its records, so a larger export belongs in NDJSON, which is streamed.
const MAX_FACT_BYTES: u64 = 1 << 30;

/// Reads at most `limit` bytes of a file; a longer file is `file-too-large`. The size is checked
/// before reading and again while reading, since a file may grow, or report no size (`/proc`).
fn read_capped(path: &Path, limit: u64, help: &str) -> Result<Vec<u8>, Diagnostic> {
    use std::io::Read;
    let file = std::fs::File::open(path).map_err(|e| io_error(path, &e))?;
    let size = file.metadata().map_err(|e| io_error(path, &e))?.len();
    let too_large = |size: String| {
        let name: Arc<str> = Arc::from(path.display().to_string());
        Diagnostic::error(
            "file-too-large",
            &name,
            Span::default(),
            format!(
                "`{}` is {size}, more than the {} MiB writ reads from a file of its kind",
                path.display(),
                limit >> 20
            ),
        )
        .with_label("this file was not read")
        .with_help(help.to_string())
    };
    if size > limit {
        return Err(too_large(format!("{} MiB", size >> 20)));
    }
    let mut bytes = Vec::with_capacity(size as usize);
    file.take(limit + 1).read_to_end(&mut bytes).map_err(|e| io_error(path, &e))?;
    if bytes.len() as u64 > limit {
        return Err(too_large("longer than that".to_string()));
    }
    Ok(bytes)
}

/// Reads a file as UTF-8; invalid UTF-8 is a diagnostic at the first bad byte.
fn read_text(path: &Path) -> Result<Arc<str>, Diagnostic> {
    let bytes = read_capped(path, MAX_POLICY_BYTES, "split the policy over several `.writ` files of the package")?;
    match String::from_utf8(bytes) {
        Ok(s) => Ok(Arc::from(s.strip_prefix('\u{feff}').unwrap_or(&s))),
        Err(e) => {
            let at = e.utf8_error().valid_up_to();
            let file: Arc<str> = Arc::from(path.display().to_string());
            Err(Diagnostic::error(
                "invalid-utf8",
                &file,
                Span::new(at, at),
                format!("`{}` is not valid UTF-8 (byte {at})", path.display()),
            )
            .with_help("save the file as UTF-8"))
        }
    }
}

/// Reads a fact file as bytes and decodes it for its format (see [`facts::decode`]): a CSV file
/// that is not UTF-8 has its encoding detected; other text formats must be UTF-8.
fn read_fact_file(
    path: &Path,
    encoding: Option<&'static encoding_rs::Encoding>,
) -> Result<(Arc<str>, facts::Content), Diagnostic> {
    let name: Arc<str> = Arc::from(path.display().to_string());
    // A listed file that cannot be read is loaded as unread, so the report shows what it
    // affects.
    let unreadable = |e: std::io::Error| facts::Content::Unreadable(e.to_string().into());
    if facts::is_streamed(&name) {
        return Ok((name, facts::Content::stream(path).unwrap_or_else(unreadable)));
    }
    let bytes = match read_capped(
        path,
        MAX_FACT_BYTES,
        "split the records over several files, or save them as NDJSON, which is streamed a line at a time",
    ) {
        Ok(b) => b,
        // A file that cannot be opened or read: loaded as unread, with the system's reason.
        Err(d) if d.code == "io-error" => match std::fs::File::open(path) {
            Err(e) => return Ok((name, unreadable(e))),
            Ok(_) => return Err(d),
        },
        Err(d) => return Err(d),
    };
    match facts::decode_as(&name, bytes, encoding) {
        Ok(content) => Ok((name, content)),
        // Text that cannot be decoded is still loaded, as bytes: the loader reports it and
        // marks the kinds it may hold incomplete, so the report shows what it affects. (With
        // an encoding declared, the loader would detect one instead, so the error stands.)
        Err(d) if d.code == "invalid-utf8" && encoding.is_none() => match read_capped(path, MAX_FACT_BYTES, "") {
            Ok(bytes) => Ok((name, facts::Content::Bytes(bytes.into()))),
            Err(_) => Err(d),
        },
        Err(d) => Err(d),
    }
}

/// Walks folders for input files: each folder is entered once, whatever leads to it (a path
/// given twice, a symlink back to a parent), and each file is listed once, however it is
/// reached; only regular files are listed, since opening a FIFO blocks and a device never ends.
#[derive(Default)]
struct Walker {
    /// Canonical paths of the folders entered so far.
    dirs: std::collections::HashSet<PathBuf>,
    /// Canonical paths of the files listed so far, with the path they were first listed as.
    files: std::collections::HashMap<PathBuf, PathBuf>,
    /// Paths reached again, reported once each as a warning.
    warnings: Vec<Diagnostic>,
}

impl Walker {
    /// Files with one of the extensions (in any case), below a path (or the path itself), sorted;
    /// files and folders listed before by this walker are left out, with a `duplicate-path`
    /// warning. `None` when the path itself was listed before.
    fn files_under(&mut self, path: &Path, exts: &[&str]) -> Result<Option<Vec<PathBuf>>, Diagnostic> {
        let meta = std::fs::metadata(path).map_err(|e| io_error(path, &e))?;
        if !meta.is_dir() {
            // A file named on the command line is read whatever its extension, so an unknown
            // one gets `unknown-format` rather than silence.
            return Ok(self.file(path, &meta)?.map(|p| vec![p]));
        }
        let mut out = Vec::new();
        let mut stack = Vec::new();
        if !self.enter(path, &mut stack) {
            return Ok(None);
        }
        while let Some(dir) = stack.pop() {
            let entries = std::fs::read_dir(&dir).map_err(|e| io_error(&dir, &e))?;
            let mut paths =
                entries.map(|e| e.map(|e| e.path())).collect::<Result<Vec<_>, _>>().map_err(|e| io_error(&dir, &e))?;
            // Sorted, so which of two paths to one file is read is the same on every run.
            paths.sort();
            // Pushed in reverse so that the folders are entered in name order.
            for p in paths.into_iter().rev() {
                let wanted =
                    p.extension().and_then(|e| e.to_str()).is_some_and(|e| exts.contains(&&*e.to_ascii_lowercase()));
                // `metadata` follows symlinks: a link to a file is read as the file.
                match std::fs::metadata(&p) {
                    Ok(m) if m.is_dir() => {
                        self.enter(&p, &mut stack);
                    }
                    Ok(m) if wanted => out.extend(self.file(&p, &m)?),
                    Ok(_) => {}
                    // A broken link or an unreadable entry with an input's name is input lost:
                    // it is listed, and reading it says why it cannot be read (a fact file is
                    // then loaded as unread, so the report shows what it affects).
                    Err(_) if wanted => out.push(p),
                    Err(_) => {}
                }
            }
        }
        out.sort();
        Ok(Some(out))
    }

    /// Pushes a folder to walk, unless it was entered before; whether it was pushed.
    fn enter(&mut self, dir: &Path, stack: &mut Vec<PathBuf>) -> bool {
        let canonical = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
        if self.dirs.insert(canonical.clone()) {
            stack.push(dir.to_path_buf());
            return true;
        }
        let name: Arc<str> = Arc::from(dir.display().to_string());
        self.warnings.push(
            Diagnostic::warning(
                "duplicate-path",
                &name,
                Span::default(),
                format!("`{}` is the folder `{}`, already read", dir.display(), canonical.display()),
            )
            .with_label("not read again")
            .with_help(
                "each folder is read once; a symlink back to a folder above it, or a folder given twice, is not \
                 followed again (remove the symlink or the repeated path to silence this)",
            ),
        );
        false
    }

    /// The file at `path`, unless it was listed before; an error when it is not a regular file.
    fn file(&mut self, path: &Path, meta: &std::fs::Metadata) -> Result<Option<PathBuf>, Diagnostic> {
        if !meta.is_file() {
            let name: Arc<str> = Arc::from(path.display().to_string());
            return Err(Diagnostic::error(
                "not-a-file",
                &name,
                Span::default(),
                format!("`{}` is {}, not a regular file", path.display(), file_kind(meta)),
            )
            .with_label("this file was not read")
            .with_help("writ reads regular files only; copy the data into a file and name that file"));
        }
        let canonical = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        if let Some(first) = self.files.get(&canonical) {
            let name: Arc<str> = Arc::from(path.display().to_string());
            self.warnings.push(
                Diagnostic::warning(
                    "duplicate-path",
                    &name,
                    Span::default(),
                    if first == path {
                        format!("`{}` is named twice", path.display())
                    } else {
                        format!("`{}` is the file `{}`, already read", path.display(), first.display())
                    },
                )
                .with_label("not read again")
                .with_help(
                    "each file is read once, however it is reached (a path given twice, a symlink); remove the \
                     repeated path or the symlink to silence this",
                ),
            );
            return Ok(None);
        }
        self.files.insert(canonical, path.to_path_buf());
        Ok(Some(path.to_path_buf()))
    }
}

/// What a file that is not a regular file is, for a diagnostic.
fn file_kind(meta: &std::fs::Metadata) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        let t = meta.file_type();
        if t.is_fifo() {
            return "a FIFO (named pipe)";
        }
        if t.is_char_device() || t.is_block_device() {
            return "a device";
        }
        if t.is_socket() {
            return "a socket";
        }
    }
    let _ = meta;
    "a special file"
}

/// Loads the `.writ` files of a package folder into a fresh database.
pub fn load_package(dir: &Path) -> Result<Loaded, Vec<Diagnostic>> {
    let db = Database::default();
    let mut walker = Walker::default();
    // A fresh walker lists the folder itself.
    let paths = walker.files_under(dir, &["writ"]).map_err(|d| vec![d])?.unwrap_or_default();
    if paths.is_empty() {
        let file: Arc<str> = Arc::from(dir.display().to_string());
        return Err(vec![
            Diagnostic::error(
                "empty-package",
                &file,
                Span::default(),
                format!("no `.writ` files in `{}`", dir.display()),
            )
            .with_help("point writ at the folder that holds the policy files"),
        ]);
    }
    let mut sources = Sources::default();
    let mut files = Vec::new();
    let mut errors = Vec::new();
    for p in paths {
        match read_text(&p) {
            Ok(text) => {
                let path: Arc<str> = Arc::from(p.display().to_string());
                sources.add(&path, &text);
                files.push(SourceFile::new(&db, path, text));
            }
            Err(d) => errors.push(d),
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let package = Package::new(&db, files);
    Ok(Loaded { db, package, sources, warnings: walker.warnings })
}

fn render(diags: &[Diagnostic], sources: &Sources, style: Style) -> String {
    report::render_diagnostics(diags, sources, style.color, style.width)
}

fn fail(diags: Vec<Diagnostic>, sources: &Sources, style: Style) -> Outcome {
    let diagnostics = report::JsonDiagnostic::all(&diags, sources);
    Outcome { stdout: String::new(), stderr: render(&diags, sources, style), code: EXIT_INVALID, diagnostics }
}

/// A package loaded and checked without errors, or the outcome that reports its errors.
fn checked_package(dir: &Path, style: Style) -> Result<(Loaded, db::Checked), Outcome> {
    let loaded = load_package(dir).map_err(|d| fail(d, &Sources::default(), style))?;
    let checked = db::package_model(&loaded.db, loaded.package).clone();
    if checked.has_errors() {
        return Err(fail(checked.diagnostics, &loaded.sources, style));
    }
    Ok((loaded, checked))
}

/// `writ check DIR`.
pub fn check(dir: &Path, style: Style) -> Outcome {
    let loaded = match load_package(dir) {
        Ok(l) => l,
        Err(d) => return fail(d, &Sources::default(), style),
    };
    let checked = db::package_model(&loaded.db, loaded.package);
    let mut stderr = render(&loaded.warnings, &loaded.sources, style);
    stderr.push_str(&render(&checked.diagnostics, &loaded.sources, style));
    let errors = checked.diagnostics.iter().filter(|d| d.is_error()).count();
    let warnings = checked.diagnostics.len() - errors + loaded.warnings.len();
    let m = &checked.model;
    let requirements: usize = m.clauses.iter().map(|c| count_requirements(&c.body)).sum();
    let stdout = if errors == 0 {
        format!(
            "{}: {} files, {} clauses, {} requirements, {} parties, {} record kinds, {} sanctions, {} tests; {} warnings\n",
            shown(&m.plan.name),
            loaded.package.files(&loaded.db).len(),
            m.clauses.len(),
            requirements,
            m.parties.len(),
            m.records.len(),
            m.sanctions.len(),
            m.tests.len(),
            warnings
        )
    } else {
        format!("{errors} errors, {warnings} warnings\n")
    };
    Outcome { stdout, stderr, code: if errors > 0 { EXIT_INVALID } else { EXIT_OK }, diagnostics: Vec::new() }
}

pub fn count_requirements(stmts: &[crate::model::TStmt]) -> usize {
    stmts
        .iter()
        .map(|s| match s {
            crate::model::TStmt::Require(_) => 1,
            crate::model::TStmt::For(f) => count_requirements(&f.body),
            crate::model::TStmt::Every(e) => count_requirements(&e.body),
            crate::model::TStmt::Let(..) => 0,
        })
        .sum()
}

/// Parses `YYYY-MM-DD`.
pub fn parse_date(s: &str) -> Result<Date, String> {
    Date::parse_iso(s).ok_or_else(|| format!("`{}` is not a date: write YYYY-MM-DD, e.g. 2019-10-15", shown(s)))
}

/// The fact files of an evaluation, and how to read them.
#[derive(Clone, Copy, Debug, Default)]
pub struct FactFiles<'a> {
    /// Fact files, or folders of them.
    pub paths: &'a [PathBuf],
    /// The encoding of CSV files that are not UTF-8, as declared (`--encoding gbk`) instead of
    /// detected.
    pub encoding: Option<&'static encoding_rs::Encoding>,
    /// How many threads read the files; `None` is [`threads`].
    pub threads: Option<usize>,
}

impl<'a> From<&'a [PathBuf]> for FactFiles<'a> {
    fn from(paths: &'a [PathBuf]) -> Self {
        FactFiles { paths, encoding: None, threads: None }
    }
}

impl<'a> From<&'a Vec<PathBuf>> for FactFiles<'a> {
    fn from(paths: &'a Vec<PathBuf>) -> Self {
        FactFiles { paths, encoding: None, threads: None }
    }
}

impl<'a, const N: usize> From<&'a [PathBuf; N]> for FactFiles<'a> {
    fn from(paths: &'a [PathBuf; N]) -> Self {
        FactFiles { paths, encoding: None, threads: None }
    }
}

/// Reads an encoding's name as `--encoding` takes it: a WHATWG label such as `gbk`, `gb18030`,
/// `big5` or `utf-8`.
pub fn parse_encoding(label: &str) -> Result<&'static encoding_rs::Encoding, String> {
    encoding_rs::Encoding::for_label(label.trim().as_bytes())
        .ok_or_else(|| format!("`{}` is not an encoding: write `gbk`, `gb18030`, `big5` or `utf-8`", shown(label)))
}

/// Diagnostics after which some records of a file were never read.
const UNREAD: &[&str] = &[
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

/// A package evaluated against its facts: the report, the model, and what to print on stderr.
/// A package and its facts, loaded and checked, ready to evaluate; holds the database the facts
/// live in, which the verdicts borrow.
pub struct Evaluated {
    loaded: Loaded,
    set: FactSet,
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
}

impl Evaluated {
    /// The facts, linked.
    pub fn facts(&self) -> &facts::Facts {
        db::fact_set(&self.loaded.db, self.set)
    }

    /// The verdicts, compact: written out only as a report is written.
    pub fn evaluation(&self) -> eval::Evaluation<'_> {
        eval::evaluate_with(&self.model, self.facts(), self.as_of, self.through, self.threads)
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
    let facts = facts.into();
    let (mut loaded, checked) = checked_package(dir, style)?;
    let mut files = Vec::new();
    let mut errors = Vec::new();
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
                        format!(
                            "no fact files (`.json`, `.ndjson`, `.jsonl`, `.csv`, `.yaml`, `.yml`, `.toml`, `.xlsx`) in `{}`",
                            p.display()
                        ),
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
            match read_fact_file(&fp, facts.encoding) {
                Ok((path, content)) => {
                    match &content {
                        facts::Content::Text { text, .. } => loaded.sources.add(&path, text),
                        facts::Content::Stream { path: file, .. } => loaded.sources.add_file(&path, file),
                        // A workbook's diagnostics name sheets and cells instead.
                        facts::Content::Bytes(_) | facts::Content::Unreadable(_) => {}
                    }
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
    let set = FactSet::new(&loaded.db, loaded.package, files.clone());
    let threads = facts.threads.unwrap_or_else(threads);
    read_in_parallel(&loaded.db, &files, threads);
    let mut fact_diags: Vec<Diagnostic> = std::mem::take(&mut loaded.warnings);
    fact_diags.extend(walker.warnings);
    for f in &files {
        fact_diags.extend(db::fact_file(&loaded.db, *f).diagnostics.iter().cloned());
    }
    let facts = db::fact_set(&loaded.db, set);
    fact_diags.extend(facts.diagnostics.iter().cloned());
    let read: Vec<&FileFacts> = files.iter().map(|f| db::fact_file(&loaded.db, *f)).collect();
    fact_diags.extend(crate::lookalike::lookalike_keys(&checked.model, facts, &read));
    let mut stderr = render(&checked.diagnostics, &loaded.sources, style);
    stderr.push_str(&render(&fact_diags, &loaded.sources, style));
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
    Ok(Evaluated {
        loaded,
        set,
        as_of,
        through: through.unwrap_or(as_of),
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

/// How many threads reading and evaluating may use: `WRIT_THREADS` when it is set to a
/// positive number, else the cores the machine has.
pub fn threads() -> usize {
    match std::env::var("WRIT_THREADS").ok().and_then(|n| n.trim().parse::<usize>().ok()) {
        Some(n) if n > 0 => n,
        _ => std::thread::available_parallelism().map_or(1, |n| n.get()),
    }
}

/// Reads the fact files on `threads` threads, each through its own handle on the database,
/// so that the sequential pass after it finds every file read. Files are handed out one at a
/// time, largest first, so one large file does not leave a thread idle at the end; what each
/// file gives does not depend on the order, so the output is the same on any number of threads.
fn read_in_parallel(db: &Database, files: &[FactFile], threads: usize) {
    let threads = threads.min(files.len());
    if threads < 2 {
        return;
    }
    let size = |c: &facts::Content| match c {
        facts::Content::Text { text, .. } => text.len() as u64,
        facts::Content::Bytes(b) => b.len() as u64,
        facts::Content::Stream { len, .. } => *len,
        facts::Content::Unreadable(_) => 0,
    };
    let mut order: Vec<(u64, FactFile)> = files.iter().map(|f| (size(f.content(db)), *f)).collect();
    order.sort_by_key(|o| std::cmp::Reverse(o.0));
    let next = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for _ in 0..threads {
            let db = db.clone();
            let (order, next) = (&order, &next);
            scope.spawn(move || {
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some((_, f)) = order.get(i) else { break };
                    db::fact_file(&db, *f);
                }
            });
        }
    });
}

/// The outcome of a command that could not evaluate its input. With `--format json`, a program
/// reading the JSON still gets a document, which says that nothing was evaluated and why.
fn failed(mut out: Outcome, format: Format, as_of: Date) -> Outcome {
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
    let mut stdout = Vec::new();
    let mut out = eval_to(&mut stdout, dir, facts, as_of, format, style, strict);
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
) -> Outcome {
    eval_then(w, dir, facts, as_of, format, style, strict, |out| out)
}

/// `writ eval` as the binary runs it: [`eval_to`], then the diagnostics on stderr, and the
/// process ends with the exit code while the facts and the verdicts are still held. A process
/// that ends need not free them piece by piece (with a million verdicts that took a quarter
/// of a second); the operating system takes the memory back whole.
#[allow(clippy::too_many_arguments)]
pub fn eval_and_exit<'a>(
    w: &mut dyn std::io::Write,
    dir: &Path,
    facts: impl Into<FactFiles<'a>>,
    as_of: Date,
    format: Format,
    style: Style,
    strict: bool,
) -> ! {
    use std::io::Write as _;
    eval_then(w, dir, facts, as_of, format, style, strict, |out| {
        // The report is flushed; a closed pipe (`writ eval … | head`) is not worth a panic.
        let _ = std::io::stderr().write_all(out.stderr.as_bytes());
        std::process::exit(out.code)
    })
}

/// [`eval_to`], handing the outcome to `then` while the evaluation is still alive.
#[allow(clippy::too_many_arguments)]
fn eval_then<'a, T>(
    w: &mut dyn std::io::Write,
    dir: &Path,
    facts: impl Into<FactFiles<'a>>,
    as_of: Date,
    format: Format,
    style: Style,
    strict: bool,
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
    let verdicts = e.evaluation();
    let written = match format {
        Format::Human => report::write_human(&verdicts, w),
        Format::Json => {
            report::write_json_with(&verdicts, &e.input(), &e.diagnostics, w).and_then(|()| w.write_all(b"\n"))
        }
    };
    let _ = written.and_then(|()| w.flush());
    let code = if e.unread_facts || (strict && (e.invalid_facts || e.rejected > 0 || e.flawed > 0)) {
        EXIT_INVALID
    } else if verdicts.has_breach() {
        EXIT_BREACH
    } else {
        EXIT_OK
    };
    then(Outcome { stdout: String::new(), stderr: e.stderr.clone(), code, diagnostics: Vec::new() })
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
        Format::Human => agenda.human(),
        Format::Json => report::json_with_input(&agenda, &e.input(), &e.diagnostics) + "\n",
    };
    Outcome {
        stdout,
        stderr: e.stderr,
        code: if e.invalid_facts { EXIT_INVALID } else { EXIT_OK },
        diagnostics: Vec::new(),
    }
}

/// The facts of a `test` block, linked as if read from a file.
fn test_facts(model: &Model, test: &crate::model::TestDef, file: &Arc<str>) -> facts::Facts {
    let schema = facts::Schema::of(model);
    let rows = test.facts.iter().map(|f| RawRow {
        kind: f.kind,
        line: 0,
        span: f.span,
        key_span: f.span,
        values: f
            .values
            .iter()
            .map(|v| {
                v.as_ref().map(|v| match v {
                    TestValue::Value(v) => Cell::Value(v.clone()),
                    TestValue::RefKey(k, span) => Cell::UnresolvedRef { key: k.clone(), span: *span },
                })
            })
            .collect(),
    });
    let ff = FileFacts {
        path: file.clone(),
        rows: facts::Rows::from_raw(&schema, rows),
        rejected: vec![],
        unkept: vec![],
        losses: vec![],
        diagnostics: vec![],
        sheets: vec![],
    };
    facts::link(&schema, &[ff])
}

/// Runs the `test` blocks of a checked model. Returns (passed, failures as text).
pub fn run_tests(model: &Model) -> (usize, Vec<String>) {
    let mut passed = 0;
    let mut failures = Vec::new();
    for t in &model.tests {
        let facts = test_facts(model, t, &t.origin.file);
        let mut problems = Vec::new();
        for d in &facts.diagnostics {
            problems.push(format!("  facts: {}", shown(&d.message)));
        }
        let report = eval::evaluate(model, &facts, t.as_of);
        for x in &t.expects {
            let matching: Vec<_> = (0..report.len())
                .filter(|&i| report.clause_name(i) == x.clause)
                .map(|i| report.verdict(i))
                .filter(|v| match &x.keys {
                    None => true,
                    Some(keys) => v.subject.len() >= keys.len() && v.subject.iter().zip(keys).all(|(s, k)| &s.key == k),
                })
                .filter(|v| match &x.requirement {
                    None => true,
                    Some(r) => v.id.rsplit('/').next() == Some(r.as_str()),
                })
                .collect();
            let what = expect_text(x);
            if matching.is_empty() {
                problems.push(format!("  expected {what} {}, found no such verdict", x.status.name()));
                continue;
            }
            for v in matching {
                if v.status != x.status {
                    let why = v.reason.as_deref().map(|r| format!(" ({})", shown(r))).unwrap_or_default();
                    let mut evidence: Vec<String> = v
                        .evidence
                        .iter()
                        .map(|e| {
                            format!("{} = {} {} {}", shown(&e.left), shown(&e.left_value), e.op, shown(&e.right_value))
                        })
                        .collect();
                    evidence.extend(v.computed.iter().map(|c| format!("{} = {}", shown(&c.expr), shown(&c.value))));
                    let ev = if evidence.is_empty() { String::new() } else { format!("; {}", evidence.join("; ")) };
                    problems.push(format!(
                        "  {}: expected {}, found {}{why}{ev}",
                        shown(&v.id),
                        x.status.name(),
                        v.status.name()
                    ));
                }
            }
        }
        if problems.is_empty() {
            passed += 1;
        } else {
            failures.push(format!(
                "FAIL {} (as of {}) in {}\n{}",
                shown(&t.name),
                t.as_of,
                shown(&t.origin.file),
                problems.join("\n")
            ));
        }
    }
    (passed, failures)
}

fn expect_text(x: &crate::model::ExpectDef) -> String {
    let mut s = shown(&x.clause).into_owned();
    if let Some(k) = &x.keys {
        s.push_str(&format!("[{}]", k.iter().map(|k| format!("\"{}\"", shown(k))).collect::<Vec<_>>().join(", ")));
    }
    if let Some(r) = &x.requirement {
        s.push('.');
        s.push_str(&shown(r));
    }
    s
}

/// `writ test DIR`.
pub fn test(dir: &Path, style: Style) -> Outcome {
    let (_, checked) = match checked_package(dir, style) {
        Ok(c) => c,
        Err(out) => return out,
    };
    let (passed, failures) = run_tests(&checked.model);
    let mut stdout = String::new();
    for f in &failures {
        stdout.push_str(f);
        stdout.push('\n');
    }
    stdout.push_str(&format!("{passed} passed, {} failed\n", failures.len()));
    let stdout = escape(&stdout, Keep::Layout).into_owned();
    let code = if failures.is_empty() { EXIT_OK } else { EXIT_BREACH };
    Outcome { stdout, stderr: String::new(), code, diagnostics: Vec::new() }
}

/// The statuses a report contains, for `--format json` consumers and tests.
pub fn statuses(report: &Report) -> Vec<Status> {
    let mut s: Vec<Status> = report.verdicts.iter().map(|v| v.status).collect();
    s.sort();
    s.dedup();
    s
}

/// One numbered item of the plan and what encodes it.
#[derive(serde::Serialize)]
struct CoverageEntry {
    number: String,
    title: Option<String>,
    /// `encoded` (a clause cites it), `untestable` (only notes say why not), or `missing`.
    status: &'static str,
    clauses: Vec<CoverageClause>,
    untestable: Vec<CoverageNote>,
}

#[derive(serde::Serialize)]
struct CoverageClause {
    clause: String,
    requirements: usize,
}

#[derive(serde::Serialize)]
struct CoverageNote {
    text: String,
    reason: String,
}

#[derive(serde::Serialize)]
struct Coverage {
    plan: String,
    entries: Vec<CoverageEntry>,
    summary: indexmap::IndexMap<&'static str, usize>,
}

/// Whether a cite number falls under an outline number: `三(二)1` covers `三(二)1` but not
/// `三(二)11`; `三(二)` covers both.
fn under(cite: &str, number: &str) -> bool {
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
        Format::Human => report::explain(&v, as_of),
    };
    Outcome {
        stdout,
        stderr: e.stderr,
        code: if e.invalid_facts { EXIT_INVALID } else { EXIT_OK },
        diagnostics: Vec::new(),
    }
}
