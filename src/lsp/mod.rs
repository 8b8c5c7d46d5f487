//! `writ lsp`: a language server over standard input and output.
//!
//! [`Server`] holds a salsa [`Database`] with one [`Package`] per folder an open file lies in:
//! every `.writ` file of the folder is read from disk, and an open document's text replaces
//! its file's (full-text sync), so an edit re-parses that file only and re-checks its package.
//! Requests are answered from the parsed files and the checked model (see [`index`]);
//! positions are converted between byte offsets and UTF-16 units by [`pos`]. [`run`] speaks the
//! protocol (lsp-server's JSON-RPC over stdio) and maps URIs to paths.

mod features;
pub use features::Place;
pub mod index;
pub mod pos;
mod protocol;

pub use protocol::{run, run_on};

use crate::db::{self, Database, Package, SourceFile};
use crate::diagnostic::{Diagnostic, Severity, Span};
use lsp_types as lsp;
use pos::LineIndex;
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// One package: a folder's `.writ` files.
struct Pkg {
    package: Package,
    files: BTreeMap<PathBuf, SourceFile>,
    /// The `import` names of its files when its imports were last followed.
    imports: Vec<String>,
}

/// What the editor has of one file: its text as the editor holds it (a byte order mark
/// kept, which the database's text is without).
struct Text {
    text: Arc<str>,
    bom: usize,
    lines: LineIndex,
}

impl Text {
    fn new(text: &str) -> Text {
        let bom = if text.starts_with('\u{FEFF}') { 3 } else { 0 };
        Text { text: Arc::from(text), bom, lines: LineIndex::new(text) }
    }
    fn body(&self) -> &str {
        &self.text[self.bom..]
    }
    fn range(&self, span: Span) -> lsp::Range {
        let b = self.bom as u32;
        self.lines.range(&self.text, Span { start: span.start + b, end: span.end + b })
    }
    fn offset(&self, p: lsp::Position) -> usize {
        self.lines.offset(&self.text, p).saturating_sub(self.bom)
    }
}

/// The state of the server: the database, the packages and the texts of their files.
pub struct Server {
    db: Database,
    packages: HashMap<PathBuf, Pkg>,
    texts: HashMap<PathBuf, Text>,
    /// The files the editor has open; the others are as on disk.
    open: std::collections::HashSet<PathBuf>,
}

impl Default for Server {
    fn default() -> Self {
        Self::new()
    }
}

/// The diagnostics of each file of a package, to publish (empty for a file with none, so an
/// editor clears what it showed).
pub type Published = Vec<(PathBuf, Vec<lsp::Diagnostic>)>;

fn key(path: &Path) -> Arc<str> {
    Arc::from(path.display().to_string())
}

impl Server {
    pub fn new() -> Server {
        Server { db: Database::default(), packages: HashMap::new(), texts: HashMap::new(), open: Default::default() }
    }

    /// The database, for tests that watch which queries run.
    pub fn db(&self) -> &Database {
        &self.db
    }

    /// A document opened with `text`: its folder is loaded as a package if it is not yet.
    pub fn open(&mut self, path: &Path, text: &str) -> Published {
        self.open.insert(path.to_path_buf());
        self.set(path, text)
    }

    /// A document's new text (the whole text).
    pub fn change(&mut self, path: &Path, text: &str) -> Published {
        self.set(path, text)
    }

    /// A document closed: its file is read from disk again (or leaves the package, if it is
    /// not there).
    pub fn close(&mut self, path: &Path) -> Published {
        self.open.remove(path);
        match std::fs::read_to_string(path) {
            Ok(text) => self.set(path, &text),
            Err(_) => {
                let dir = folder(path);
                if let Some(pkg) = self.packages.get_mut(&dir)
                    && pkg.files.remove(path).is_some()
                {
                    let files: Vec<SourceFile> = pkg.files.values().copied().collect();
                    db::set_files(&mut self.db, pkg.package, files);
                }
                self.texts.remove(path);
                let mut out = self.diagnostics(&dir);
                out.push((path.to_path_buf(), Vec::new()));
                out
            }
        }
    }

    /// A file changed, appeared or went away on disk (the editor watches the folder): a file
    /// the editor does not hold open, of a package already loaded, is read again. Another
    /// change publishes nothing.
    pub fn on_disk(&mut self, path: &Path) -> Published {
        let known = self.packages.contains_key(&folder(path));
        if self.open.contains(path) || !known || path.extension().is_none_or(|e| e != "writ") {
            return Vec::new();
        }
        self.close(path)
    }

    fn set(&mut self, path: &Path, text: &str) -> Published {
        let dir = folder(path);
        self.load(&dir);
        let t = Text::new(text);
        let body: Arc<str> = Arc::from(t.body());
        self.texts.insert(path.to_path_buf(), t);
        let pkg = self.packages.get_mut(&dir).expect("loaded above");
        match pkg.files.get(path) {
            Some(&f) => {
                if **f.text(&self.db) != *body {
                    db::set_text(&mut self.db, f, body);
                }
            }
            None => {
                let f = SourceFile::new(&self.db, key(path), body);
                pkg.files.insert(path.to_path_buf(), f);
                let files: Vec<SourceFile> = pkg.files.values().copied().collect();
                db::set_files(&mut self.db, pkg.package, files);
            }
        }
        self.follow_imports(&dir);
        self.diagnostics(&dir)
    }

    /// Reads a folder's `.writ` files into a package, once.
    fn load(&mut self, dir: &Path) {
        if self.packages.contains_key(dir) {
            return;
        }
        let mut files = BTreeMap::new();
        let mut paths: Vec<PathBuf> =
            std::fs::read_dir(dir).map(|rd| rd.filter_map(|e| e.ok().map(|e| e.path())).collect()).unwrap_or_default();
        paths.retain(|p| p.extension().is_some_and(|e| e == "writ") && p.is_file());
        paths.sort();
        for p in paths {
            let Ok(text) = std::fs::read_to_string(&p) else { continue };
            let t = Text::new(&text);
            files.insert(p.clone(), SourceFile::new(&self.db, key(&p), Arc::from(t.body())));
            self.texts.insert(p, t);
        }
        let package = Package::new(&self.db, files.values().copied().collect());
        self.packages.insert(dir.to_path_buf(), Pkg { package, files, imports: Vec::new() });
    }

    /// Follows the package's `import` items again when they changed.
    fn follow_imports(&mut self, dir: &Path) {
        let pkg = &self.packages[dir];
        let mut names = Vec::new();
        for f in pkg.files.values() {
            for item in &db::parse_file(&self.db, *f).0.items {
                if let crate::syntax::ast::Item::Import(i) = item {
                    names.push(i.name.text.trim().to_string());
                }
            }
        }
        if names == pkg.imports {
            return;
        }
        let files: Vec<SourceFile> = pkg.files.values().copied().collect();
        let package = pkg.package;
        let mut sources = crate::report::Sources::default();
        let (imported, problems) = crate::cli::imports(&self.db, dir, &files, &mut sources);
        db::set_imports(&mut self.db, package, imported, problems);
        self.packages.get_mut(dir).expect("loaded").imports = names;
    }

    /// The diagnostics of every file of a package.
    fn diagnostics(&self, dir: &Path) -> Published {
        let Some(pkg) = self.packages.get(dir) else { return Vec::new() };
        let checked = db::package_model(&self.db, pkg.package);
        let mut out: BTreeMap<PathBuf, Vec<lsp::Diagnostic>> =
            pkg.files.keys().map(|p| (p.clone(), Vec::new())).collect();
        for d in &checked.diagnostics {
            let path = PathBuf::from(&*d.file);
            if let (Some(list), Some(text)) = (out.get_mut(&path), self.texts.get(&path)) {
                list.push(self.to_lsp(d, text));
            }
        }
        out.into_iter().collect()
    }

    fn to_lsp(&self, d: &Diagnostic, text: &Text) -> lsp::Diagnostic {
        let mut message = d.message.clone();
        if let Some(label) = d.labels.first().filter(|l| !l.message.is_empty()) {
            message.push_str(&format!(": {}", label.message));
        }
        if let Some(help) = &d.help {
            message.push_str(&format!("\nhelp: {help}"));
        }
        let related: Vec<lsp::DiagnosticRelatedInformation> = d
            .labels
            .iter()
            .skip(1)
            .filter_map(|l| {
                let file = l.file.as_ref().unwrap_or(&d.file);
                let path = PathBuf::from(&**file);
                let t = self.texts.get(&path)?;
                Some(lsp::DiagnosticRelatedInformation {
                    location: lsp::Location { uri: protocol::uri(&path)?, range: t.range(l.span) },
                    message: if l.message.is_empty() { "here".into() } else { l.message.clone() },
                })
            })
            .collect();
        lsp::Diagnostic {
            range: text.range(d.primary_span()),
            severity: Some(match d.severity {
                Severity::Error => lsp::DiagnosticSeverity::ERROR,
                Severity::Warning => lsp::DiagnosticSeverity::WARNING,
            }),
            code: Some(lsp::NumberOrString::String(d.code.to_string())),
            source: Some("writ".into()),
            message,
            related_information: (!related.is_empty()).then_some(related),
            ..Default::default()
        }
    }

    /// The package a file belongs to, loaded.
    fn package_of(&mut self, path: &Path) -> Option<&Pkg> {
        let dir = folder(path);
        if !self.packages.contains_key(&dir) {
            self.load(&dir);
            self.follow_imports(&dir);
        }
        self.packages.get(&dir).filter(|p| p.files.contains_key(path))
    }
}

/// The folder that holds a file: its package.
fn folder(path: &Path) -> PathBuf {
    path.parent().map(Path::to_path_buf).unwrap_or_default()
}

#[cfg(test)]
mod tests;
