//! The salsa database: the only module that knows salsa.
//!
//! Policy and fact files are inputs; parsing, checking and fact loading are tracked queries,
//! so an edit re-runs only what it touched (what `writ watch` and a language server stand on).
//! Each query only calls the plain stage function.

use crate::diagnostic::{Diagnostic, Span};
use crate::facts::{self, Content, Facts, FileFacts, Schema};
use crate::model::{self, Model};
use crate::syntax::{self, ast::Module};
use crate::text::Utf8Bytes;
use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

/// One policy file.
#[salsa::input(debug)]
pub struct SourceFile {
    #[returns(ref)]
    pub path: Arc<str>,
    #[returns(ref)]
    pub text: Arc<str>,
}

/// A policy package: its files, in a stable (sorted) order.
#[salsa::input(debug)]
pub struct Package {
    #[returns(ref)]
    pub files: Vec<SourceFile>,
    /// The files of the packages it imports (a standard package by name, or a folder), directly or through
    /// another: their declarations are the package's too; their plan, clauses and tests are
    /// theirs alone.
    #[returns(ref)]
    #[default]
    pub imported: Vec<SourceFile>,
    /// Imports that could not be followed (an unknown package, a cycle).
    #[returns(ref)]
    #[default]
    pub import_problems: Vec<Diagnostic>,
}

/// One fact file, read against a package's record declarations: its text (decoded), or its
/// bytes for a binary format (XLSX).
#[salsa::input(debug)]
pub struct FactFile {
    pub package: Package,
    #[returns(ref)]
    pub path: Arc<str>,
    #[returns(ref)]
    pub content: Content,
}

/// The facts of one evaluation: its files, in order.
#[salsa::input(debug)]
pub struct FactSet {
    pub package: Package,
    #[returns(ref)]
    pub files: Vec<FactFile>,
}

/// The result of parsing one file: the items that parsed, and the syntax errors.
pub type Parsed = (Module, Vec<Diagnostic>);

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checked {
    pub model: Model,
    /// Syntax errors of every file, then the checker's diagnostics.
    pub diagnostics: Vec<Diagnostic>,
}

impl Checked {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// The text of one top-level item of a policy file (see [`syntax::item_pieces`]), interned so
/// that an item whose text did not change is the same piece wherever it moved in its file.
#[salsa::interned(debug)]
pub struct Piece<'db> {
    #[returns(ref)]
    pub text: String,
}

/// One piece parsed, spans counted from its start; `None` when it does not parse on its own.
#[salsa::tracked(returns(ref))]
pub fn parse_piece<'db>(db: &'db dyn salsa::Database, piece: Piece<'db>) -> Option<Module> {
    syntax::parse_piece(piece.text(db))
}

/// A file parsed an item at a time: after an edit, only the items whose text changed are
/// parsed again (see [`syntax::parse_by_items`]).
// Picked without measurement: a whole AST is cheap to compare next to re-checking a package.
#[salsa::tracked(returns(ref))]
pub fn parse_file(db: &dyn salsa::Database, file: SourceFile) -> Parsed {
    syntax::parse_by_items(file.path(db), file.text(db), |text| {
        parse_piece(db, Piece::new(db, text.to_string())).clone()
    })
}

/// Parses the files of a package on `threads` threads, each through its own handle on the
/// database, so that checking the package after it finds every file parsed.
pub fn parse_in_parallel(db: &Database, package: Package, threads: usize) {
    let files = package.files(db).iter().map(|f| (f.text(db).len() as u64, *f)).collect();
    in_parallel(db, files, threads, |db, f| {
        parse_file(db, f);
    });
}

/// Reads fact files on `threads` threads, each through its own handle on the database, as
/// [`read_fact_file`] reads them (nothing is kept by the database): each file's records, in
/// the order of `files`.
pub fn read_all(db: &Database, files: &[FactFile], threads: usize) -> Vec<FileFacts> {
    if threads.min(files.len()) < 2 {
        return files.iter().map(|&f| read_fact_file(db, f)).collect();
    }
    let read: Vec<std::sync::Mutex<Option<FileFacts>>> = files.iter().map(|_| Default::default()).collect();
    let sized = files.iter().enumerate().map(|(i, f)| (content_size(f.content(db)), (i, *f))).collect();
    in_parallel(db, sized, threads, |db, (i, f)| {
        *read[i].lock().expect("a thread reading a fact file panicked") = Some(read_fact_file(db, f));
    });
    read.into_iter()
        .map(|r| r.into_inner().expect("a thread reading a fact file panicked").expect("every file is read"))
        .collect()
}

/// The bytes a fact file's content holds or names, to hand the largest files out first.
fn content_size(c: &Content) -> u64 {
    match c {
        Content::Text { text, .. } => text.len() as u64,
        Content::Bytes(b) => b.len() as u64,
        Content::Stream { len, .. } | Content::Whole { len, .. } => *len,
        Content::Unreadable(_) => 0,
    }
}

/// Runs `work` on each item on up to `threads` threads, each with its own handle on the
/// database. Items are handed out one at a time, largest first (by the size given with each),
/// so one large item does not leave a thread idle at the end. With fewer than two threads or
/// items, nothing runs: the caller's queries then compute what is asked, when it is asked.
fn in_parallel<T: Copy + Send + Sync>(
    db: &Database,
    mut items: Vec<(u64, T)>,
    threads: usize,
    work: impl Fn(&Database, T) + Sync,
) {
    let threads = threads.min(items.len());
    if threads < 2 {
        return;
    }
    items.sort_by_key(|o| std::cmp::Reverse(o.0));
    let next = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for _ in 0..threads {
            let db = db.clone();
            let (items, next, work) = (&items, &next, &work);
            scope.spawn(move || {
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some(&(_, item)) = items.get(i) else { break };
                    work(&db, item);
                }
            });
        }
    });
}

#[salsa::tracked(returns(ref))]
pub fn package_model(db: &dyn salsa::Database, package: Package) -> Checked {
    let mut diagnostics = Vec::new();
    // Imported declarations first, so that a name declared twice is reported where the
    // package itself declares it.
    let mut imported = Vec::new();
    for f in package.imported(db) {
        let (m, errors) = parse_file(db, *f);
        let items = m.items.iter().filter(|i| imported_item(i)).cloned().collect();
        imported.push((f.path(db).clone(), Module { items }));
        diagnostics.extend(errors.iter().cloned());
    }
    diagnostics.extend(package.import_problems(db).iter().cloned());
    let mut modules: Vec<(Arc<str>, &Module)> = imported.iter().map(|(p, m)| (p.clone(), m)).collect();
    for f in package.files(db) {
        let (m, errors) = parse_file(db, *f);
        modules.push((f.path(db).clone(), m));
        diagnostics.extend(errors.iter().cloned());
    }
    let (model, more) = model::check(&modules, !diagnostics.is_empty());
    diagnostics.extend(more);
    Checked { model, diagnostics }
}

/// Whether an item of an imported package is imported: declarations are; a plan, a calendar,
/// clauses, tests, an outline and notes on what is untestable belong to that package alone.
fn imported_item(item: &crate::syntax::ast::Item) -> bool {
    use crate::syntax::ast::Item;
    matches!(
        item,
        Item::Party(_)
            | Item::Group(_)
            | Item::Unit(_)
            | Item::Enum(_)
            | Item::Record(_)
            | Item::Period(_)
            | Item::Sanction(_)
            | Item::Rule(_)
            | Item::Table(_)
    )
}

/// The part of a checked model that fact files are read against (see [`Schema`]), owned so
/// that it is a query of its own: an edit that leaves the record kinds, enums, units, parties
/// and time zone as they were leaves it equal, salsa backdates it, and no fact file is read
/// again. (A record's declaration is part of it with its place, so an edit above a record in
/// the same file, which moves it, reads the facts again.)
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FactSchema {
    records: Vec<model::RecordDecl>,
    enums: Vec<model::EnumDecl>,
    units: crate::units::UnitTable,
    parties: Vec<model::PartyDecl>,
    utc_offset: i32,
}

impl FactSchema {
    pub fn of(m: &Model) -> FactSchema {
        let s = Schema::of(m);
        FactSchema {
            records: s.records.to_vec(),
            enums: s.enums.to_vec(),
            units: s.units.clone(),
            parties: s.parties.to_vec(),
            utc_offset: s.utc_offset,
        }
    }

    pub fn schema(&self) -> Schema<'_> {
        Schema {
            records: &self.records,
            enums: &self.enums,
            units: &self.units,
            parties: &self.parties,
            utc_offset: self.utc_offset,
        }
    }
}

#[salsa::tracked(returns(ref))]
pub fn fact_schema(db: &dyn salsa::Database, package: Package) -> FactSchema {
    FactSchema::of(&package_model(db, package).model)
}

/// What the queries ask of the database beyond salsa's own.
#[salsa::db]
pub trait Db: salsa::Database {
    /// Whether reading a large file streamed from disk shows its progress on stderr. It
    /// changes nothing a query returns.
    fn shows_progress(&self) -> bool;
    /// How many threads one large fact file may be read on. It changes nothing a query
    /// returns: a file read on several threads gives what it gives on one.
    fn file_threads(&self) -> usize;
    /// The content of the fact file `path` ([`Content::Whole`]) as the command line already
    /// read it, taken: it is handed over once, to the query that reads the file, and the query
    /// reads the file again if it runs again. It changes nothing a query returns.
    fn handed_over(&self, path: &Arc<str>) -> Option<FileRead>;
}

/// A fact file as read before its records are: UTF-8 text as the bytes read (checked, not
/// copied), or anything else as [`Content`].
#[derive(Debug)]
pub enum FileRead {
    Utf8(Arc<Utf8Bytes>),
    Content(Content),
}

impl From<Content> for FileRead {
    fn from(content: Content) -> FileRead {
        FileRead::Content(content)
    }
}

impl FileRead {
    /// As content held as it is ([`Content::Text`] for UTF-8 text, which is then copied).
    pub fn into_content(self) -> Content {
        match self {
            FileRead::Utf8(text) => Content::text(text.text()),
            FileRead::Content(content) => content,
        }
    }
}

/// The most bytes of a fact file that is read whole (JSON, CSV, YAML, TOML, XLSX): all of it
/// is held while its records are read, so a larger export belongs in NDJSON, which is streamed.
pub const MAX_FACT_BYTES: u64 = 1 << 30;

/// The `io-error` of a file that cannot be read.
pub fn io_error(path: &Path, e: &std::io::Error) -> Diagnostic {
    let file: Arc<str> = Arc::from(path.display().to_string());
    Diagnostic::error("io-error", &file, Span::default(), format!("cannot read `{}`: {e}", path.display()))
        .with_help("check the path and its permissions")
}

/// Reads at most `limit` bytes of a file; a longer file is `file-too-large`. The size is checked
/// before reading and again while reading, since a file may grow, or report no size (`/proc`).
pub fn read_capped(path: &Path, limit: u64, help: &str) -> Result<Vec<u8>, Diagnostic> {
    read_capped_on(path, limit, help, 1)
}

/// Files at least this large are read by [`read_capped_on`] in parts, one a thread.
const READ_IN_PARTS_FROM: u64 = 8 << 20;

/// [`read_capped`] in `threads` parts: a large file is read in as many parts on the threads of
/// the pool, each into its own stretch of the bytes. (Most of the time a read of
/// hundreds of megabytes takes is the memory it first writes to, which then divides.)
pub fn read_capped_on(path: &Path, limit: u64, help: &str, threads: usize) -> Result<Vec<u8>, Diagnostic> {
    use std::io::{Read, Seek};
    let mut file = std::fs::File::open(path).map_err(|e| io_error(path, &e))?;
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
    let mut bytes = match threads {
        2.. if size >= READ_IN_PARTS_FROM => read_in_parts(&file, size as usize, threads),
        _ => None,
    }
    .unwrap_or_else(|| Vec::with_capacity(size as usize));
    // The rest: all of it, or what the file grew by since its size was read.
    file.seek(std::io::SeekFrom::Start(bytes.len() as u64)).map_err(|e| io_error(path, &e))?;
    let left = limit.saturating_add(1).saturating_sub(bytes.len() as u64);
    file.take(left).read_to_end(&mut bytes).map_err(|e| io_error(path, &e))?;
    if bytes.len() as u64 > limit {
        return Err(too_large("longer than that".to_string()));
    }
    Ok(bytes)
}

/// The first `size` bytes of `file`, in `threads` parts read at once; `None` when a part cannot
/// be read whole (the file shrank, or a read failed), and then the file is read as usual, which
/// says why.
#[cfg(unix)]
fn read_in_parts(file: &std::fs::File, size: usize, threads: usize) -> Option<Vec<u8>> {
    use rayon::prelude::*;
    use std::os::unix::fs::FileExt;
    let mut bytes = vec![0u8; size];
    let part = size.div_ceil(threads);
    let read =
        bytes.par_chunks_mut(part).enumerate().all(|(i, chunk)| file.read_exact_at(chunk, (i * part) as u64).is_ok());
    read.then_some(bytes)
}

#[cfg(not(unix))]
fn read_in_parts(_: &std::fs::File, _: usize, _: usize) -> Option<Vec<u8>> {
    None
}

/// Reads a fact file that is read whole and decodes it for its format (see [`facts::decode`]):
/// a CSV file that is not UTF-8 has its encoding detected, unless `encoding` declares it; other
/// text formats must be UTF-8. A file that cannot be opened or read is [`Content::Unreadable`],
/// with the system's reason; text that cannot be decoded is kept as bytes, for the loader to
/// report and mark the kinds it may hold incomplete.
/// A large file is read, and checked to be UTF-8, in parts on up to `threads` threads.
pub fn read_whole(
    path: &Path,
    name: &Arc<str>,
    encoding: Option<&'static encoding_rs::Encoding>,
    threads: usize,
) -> Result<FileRead, Diagnostic> {
    let bytes = match read_capped_on(
        path,
        MAX_FACT_BYTES,
        "split the records over several files, or save them as NDJSON, which is streamed a line at a time",
        threads,
    ) {
        Ok(b) => b,
        // A file that cannot be opened or read: loaded as unread, with the system's reason.
        Err(d) if d.code == "io-error" => match std::fs::File::open(path) {
            Err(e) => return Ok(Content::Unreadable(e.to_string().into()).into()),
            Ok(_) => return Err(d),
        },
        Err(d) => return Err(d),
    };
    // UTF-8 text is held as it was read, as `decode_as` would take it, without a copy.
    let bytes = if !facts::read_as_bytes(name) {
        match Utf8Bytes::checked_on(bytes, threads) {
            Ok(text) => return Ok(FileRead::Utf8(Arc::new(text))),
            Err(bytes) => bytes,
        }
    } else {
        bytes
    };
    match facts::decode_as(name, bytes, encoding).map(FileRead::Content) {
        Ok(read) => Ok(read),
        // Text that cannot be decoded is still loaded, as bytes: the loader reports it and
        // marks the kinds it may hold incomplete, so the report shows what it affects. (With
        // an encoding declared, the loader would detect one instead, so the error stands.)
        Err(d) if d.code == "invalid-utf8" && encoding.is_none() => match read_capped(path, MAX_FACT_BYTES, "") {
            Ok(bytes) => Ok(Content::Bytes(bytes.into()).into()),
            Err(_) => Err(d),
        },
        Err(d) => Err(d),
    }
}

/// One fact file read. A file read from disk as it is loaded ([`Content::Stream`]: NDJSON,
/// Parquet; [`Content::Whole`]: the other text formats) is opened here, where the query that
/// reads it runs; a whole file's text is let go when its records are read.
#[salsa::tracked(returns(ref))]
pub fn fact_file(db: &dyn Db, file: FactFile) -> FileFacts {
    read_fact_file(db, file)
}

/// What [`fact_file`] gives, read without being kept by the database: a command that reads
/// each file once (`writ eval`) links the records and lets the files' own go.
pub fn read_fact_file(db: &dyn Db, file: FactFile) -> FileFacts {
    let schema = fact_schema(db, *file.package(db)).schema();
    let path = file.path(db);
    match file.content(db) {
        Content::Stream { path: on_disk, len, .. } => match std::fs::File::open(on_disk) {
            // Parquet is read a part at a time, after its footer, from the file itself.
            Ok(f) if facts::FactFormat::of(path) == Some(facts::FactFormat::Parquet) => {
                facts::parse_parquet_file(&schema, path, f)
            }
            Ok(f) => {
                let f = Progress::new(f, path, *len, db.shows_progress());
                facts::parse_stream(&schema, path, &mut std::io::BufReader::with_capacity(1 << 20, f))
            }
            Err(e) => FileFacts::unread(&schema, path, facts::unreadable(path, &e)),
        },
        Content::Whole { path: on_disk, encoding, .. } => {
            let read = match db.handed_over(path) {
                Some(content) => Ok(content),
                None => read_whole(on_disk, path, *encoding, db.file_threads()),
            };
            match read {
                Ok(FileRead::Utf8(text)) => facts::parse_text_on(&schema, path, text.text(), db.file_threads()),
                Ok(FileRead::Content(content)) => facts::parse_content_on(&schema, path, &content, db.file_threads()),
                Err(d) => FileFacts::unread(&schema, path, d),
            }
        }
        content => facts::parse_content_on(&schema, path, content, db.file_threads()),
    }
}

/// A reader that shows, on one terminal line, how much of a large file has been read.
struct Progress<R> {
    inner: R,
    path: Arc<str>,
    len: u64,
    read: u64,
    /// The count of bytes at which to show progress next; `u64::MAX` when not shown.
    next: u64,
}

impl<R> Progress<R> {
    /// Files smaller than this load in about a second: no progress is shown for them.
    const MIN: u64 = 64 << 20;

    fn new(inner: R, path: &Arc<str>, len: u64, show: bool) -> Self {
        let show = show && len >= Self::MIN;
        Progress { inner, path: path.clone(), len, read: 0, next: if show { 0 } else { u64::MAX } }
    }
}

impl<R: std::io::Read> std::io::Read for Progress<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        if self.next != u64::MAX && (self.read >= self.next || n == 0) {
            if n == 0 {
                eprint!("\r\x1b[K");
                self.next = u64::MAX;
            } else {
                let pct = self.read * 100 / self.len.max(1);
                eprint!(
                    "\rreading {}: {} of {} MiB ({pct}%)\x1b[K",
                    crate::text::shown(&self.path),
                    self.read >> 20,
                    self.len >> 20
                );
                self.next = self.read + (self.len / 100).max(1);
            }
        }
        Ok(n)
    }
}

#[salsa::tracked(returns(ref))]
pub fn fact_set(db: &dyn Db, set: FactSet) -> Facts {
    let schema = fact_schema(db, *set.package(db)).schema();
    let files: Vec<&FileFacts> = set.files(db).iter().map(|f| fact_file(db, *f)).collect();
    facts::link(&schema, &files)
}

/// A file's new text (an editor's edit): the queries that read it run again when next asked.
pub fn set_text(db: &mut Database, file: SourceFile, text: Arc<str>) {
    use salsa::Setter;
    file.set_text(db).to(text);
}

/// A package's files, after one was added or removed.
pub fn set_files(db: &mut Database, package: Package, files: Vec<SourceFile>) {
    use salsa::Setter;
    package.set_files(db).to(files);
}

/// The files a package imports and the imports that could not be followed.
pub fn set_imports(db: &mut Database, package: Package, imported: Vec<SourceFile>, problems: Vec<Diagnostic>) {
    use salsa::Setter;
    if package.imported(db) != &imported {
        package.set_imported(db).to(imported);
    }
    if package.import_problems(db) != &problems {
        package.set_import_problems(db).to(problems);
    }
}

/// The database. Holds an optional log of executed queries, for incrementality tests.
#[salsa::db]
#[derive(Clone)]
pub struct Database {
    storage: salsa::Storage<Self>,
    log: Arc<Mutex<Option<Vec<String>>>>,
    /// See [`Db::shows_progress`]; off unless the command line turns it on.
    progress: bool,
    /// See [`Db::file_threads`]; one unless the command line says more.
    file_threads: usize,
    /// See [`Db::handed_over`]: by path, shared by every handle on the database.
    handed: Arc<Mutex<HashMap<Arc<str>, FileRead>>>,
}

impl Default for Database {
    fn default() -> Self {
        let log: Arc<Mutex<Option<Vec<String>>>> = Arc::default();
        let sink = log.clone();
        let storage = salsa::Storage::new(Some(Box::new(move |event: salsa::Event| {
            if let salsa::EventKind::WillExecute { database_key } = event.kind
                && let Some(log) = &mut *sink.lock().unwrap_or_else(|e| e.into_inner())
            {
                log.push(format!("{database_key:?}"));
            }
        })));
        Database { storage, log, progress: false, file_threads: 1, handed: Arc::default() }
    }
}

impl Database {
    /// Shows the progress of reading large streamed fact files on stderr (a terminal's).
    pub fn show_progress(&mut self, on: bool) {
        self.progress = on;
    }

    /// Lets one large fact file be read on up to `threads` threads.
    pub fn read_files_on(&mut self, threads: usize) {
        self.file_threads = threads.max(1);
    }

    /// Hands the content of fact file `path`, already read, to the query that reads the file
    /// (see [`Db::handed_over`]), which lets it go once its records are read.
    pub fn hand_over(&self, path: &Arc<str>, read: impl Into<FileRead>) {
        self.handed.lock().unwrap_or_else(|e| e.into_inner()).insert(path.clone(), read.into());
    }

    /// Starts recording which queries execute.
    pub fn enable_log(&self) {
        *self.log.lock().unwrap_or_else(|e| e.into_inner()) = Some(vec![]);
    }
    /// The queries executed since the last call.
    pub fn take_log(&self) -> Vec<String> {
        self.log.lock().unwrap_or_else(|e| e.into_inner()).as_mut().map(std::mem::take).unwrap_or_default()
    }
}

#[salsa::db]
impl salsa::Database for Database {}

#[salsa::db]
impl Db for Database {
    fn shows_progress(&self) -> bool {
        self.progress
    }
    fn file_threads(&self) -> usize {
        self.file_threads
    }
    fn handed_over(&self, path: &Arc<str>) -> Option<FileRead> {
        self.handed.lock().unwrap_or_else(|e| e.into_inner()).remove(path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A large file read in parts is the file read whole, on any number of threads, and the
    /// limit holds the same way.
    #[test]
    fn a_file_read_in_parts_is_the_file() {
        let dir = std::env::temp_dir().join(format!("writ-read-parts-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("big.json");
        let len = READ_IN_PARTS_FROM as usize + 12_345;
        let bytes: Vec<u8> = (0..len).map(|i| (i * 7 % 251) as u8).collect();
        std::fs::write(&path, &bytes).unwrap();
        for threads in [1, 2, 3, 8] {
            let read = read_capped_on(&path, u64::MAX, "", threads).unwrap();
            assert!(read == bytes, "{threads} threads");
            let over = read_capped_on(&path, len as u64 - 1, "", threads).unwrap_err();
            assert_eq!(over.code, "file-too-large", "{threads} threads");
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
