//! Reading from disk: policy and fact files, folders walked once by canonical path, every whole-file read capped.

use super::*;

pub(super) use crate::db::{io_error, read_capped};

/// The most bytes of a policy file read: a policy is a few hundred KiB; this leaves room for
/// generated packages while refusing a device or an endless file behind a `.writ` name.
pub(super) const MAX_POLICY_BYTES: u64 = 256 << 20;

/// Reads a file as UTF-8; invalid UTF-8 is a diagnostic at the first bad byte.
pub(super) fn read_text(path: &Path) -> Result<Arc<str>, Diagnostic> {
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
/// that is not UTF-8 has its encoding detected; other text formats must be UTF-8. UTF-8 text is
/// kept as the bytes read.
pub(super) fn read_fact_file(
    path: &Path,
    encoding: Option<&'static encoding_rs::Encoding>,
    threads: usize,
) -> Result<(Arc<str>, FileRead), Diagnostic> {
    let name: Arc<str> = Arc::from(path.display().to_string());
    // A listed file that cannot be read is loaded as unread, so the report shows what it
    // affects.
    let unreadable = |e: std::io::Error| facts::Content::Unreadable(e.to_string().into());
    if facts::is_streamed(&name) {
        return Ok((name, stream(path).unwrap_or_else(unreadable).into()));
    }
    crate::db::read_whole(path, &name, encoding, threads).map(|read| (name, read))
}

/// Walks folders for input files: each folder is entered once, whatever leads to it (a path
/// given twice, a symlink back to a parent), and each file is listed once, however it is
/// reached; only regular files are listed, since opening a FIFO blocks and a device never ends.
#[derive(Default)]
pub(super) struct Walker {
    /// Canonical paths of the folders entered so far.
    dirs: std::collections::HashSet<PathBuf>,
    /// Canonical paths of the files listed so far, with the path they were first listed as.
    files: std::collections::HashMap<PathBuf, PathBuf>,
    /// Paths reached again, reported once each as a warning.
    pub(super) warnings: Vec<Diagnostic>,
}

impl Walker {
    /// Files with one of the extensions (in any case), below a path (or the path itself), sorted;
    /// files and folders listed before by this walker are left out, with a `duplicate-path`
    /// warning. `None` when the path itself was listed before.
    pub(super) fn files_under(&mut self, path: &Path, exts: &[&str]) -> Result<Option<Vec<PathBuf>>, Diagnostic> {
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
    pub(super) fn enter(&mut self, dir: &Path, stack: &mut Vec<PathBuf>) -> bool {
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
    pub(super) fn file(&mut self, path: &Path, meta: &std::fs::Metadata) -> Result<Option<PathBuf>, Diagnostic> {
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
pub(super) fn file_kind(meta: &std::fs::Metadata) -> &'static str {
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
    let package = Package::new(&db, files.clone());
    // Every command checks the package next; its files parse on both cores first.
    db::parse_in_parallel(&db, package, super::threads());
    use salsa::Setter;
    let mut db = db;
    let (imported, problems) = imports(&db, dir, &files, &mut sources);
    if !imported.is_empty() {
        package.set_imported(&mut db).to(imported);
    }
    if !problems.is_empty() {
        package.set_import_problems(&mut db).to(problems);
    }
    Ok(Loaded { db, package, sources, warnings: walker.warnings })
}

/// Where an imported package is: a standard one by name, or a folder.
#[derive(Clone, PartialEq, Eq, Hash)]
enum Imported {
    Standard(&'static str),
    Folder(std::path::PathBuf),
}

/// Follows the `import` items of a package's files, and of the packages they import, depth
/// first: the files of every package reached (each once), and what could not be imported: an
/// unknown name (`unknown-import`) or a package that imports itself back (`import-cycle`).
pub fn imports(
    db: &Database,
    dir: &Path,
    files: &[SourceFile],
    sources: &mut Sources,
) -> (Vec<SourceFile>, Vec<Diagnostic>) {
    let mut out = Vec::new();
    let mut problems = Vec::new();
    let mut done: std::collections::HashSet<Imported> = std::collections::HashSet::new();
    let root = Imported::Folder(dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf()));
    let mut path = vec![root];
    follow(db, files, &mut path, &mut done, &mut out, &mut problems, sources);
    (out, problems)
}

#[allow(clippy::too_many_arguments)]
fn follow(
    db: &Database,
    files: &[SourceFile],
    path: &mut Vec<Imported>,
    done: &mut std::collections::HashSet<Imported>,
    out: &mut Vec<SourceFile>,
    problems: &mut Vec<Diagnostic>,
    sources: &mut Sources,
) {
    for f in files {
        let (module, _) = db::parse_file(db, *f);
        let file = f.path(db).clone();
        for item in &module.items {
            let crate::syntax::ast::Item::Import(i) = item else { continue };
            let name = i.name.text.trim();
            let target = match crate::standards::package(name) {
                Some((name, _)) => Some(Imported::Standard(name)),
                None => {
                    let base = Path::new(&*file).parent().unwrap_or(Path::new("."));
                    let folder = base.join(name);
                    folder.is_dir().then(|| Imported::Folder(folder.canonicalize().unwrap_or(folder)))
                }
            };
            let Some(target) = target else {
                problems.push(
                    Diagnostic::error("unknown-import", &file, i.name.span, format!("no package `{name}` to import"))
                        .with_label("neither a standard package nor a folder")
                        .with_help(format!(
                            "the standard packages are {}; any other import is a folder of `.writ` files, relative to this file",
                            crate::standards::names()
                        )),
                );
                continue;
            };
            if let Some(at) = path.iter().position(|p| *p == target) {
                let chain: Vec<String> = path[at..].iter().chain([&target]).map(describe).collect();
                problems.push(
                    Diagnostic::error(
                        "import-cycle",
                        &file,
                        i.name.span,
                        format!("`{name}` imports this package back"),
                    )
                    .with_label("imported in a cycle")
                    .with_help(format!(
                        "{}: a package cannot depend on itself; remove one of these imports",
                        chain.join(" imports ")
                    )),
                );
                continue;
            }
            if !done.insert(target.clone()) {
                continue;
            }
            let loaded: Vec<SourceFile> = match &target {
                Imported::Standard(n) => crate::standards::package(n)
                    .map_or(&[][..], |(_, files)| files)
                    .iter()
                    .map(|(fname, text)| {
                        let p: Arc<str> = format!("<{n}>/{fname}").into();
                        let text: Arc<str> = Arc::from(*text);
                        sources.add(&p, &text);
                        SourceFile::new(db, p, text)
                    })
                    .collect(),
                // A folder is read as a package is (`load_package`).
                Imported::Folder(folder) => {
                    let paths = match Walker::default().files_under(folder, &["writ"]) {
                        Ok(paths) => paths.unwrap_or_default(),
                        Err(d) => {
                            problems.push(d);
                            Vec::new()
                        }
                    };
                    let mut loaded = Vec::new();
                    for p in paths {
                        match read_text(&p) {
                            Ok(text) => {
                                let path: Arc<str> = Arc::from(p.display().to_string());
                                sources.add(&path, &text);
                                loaded.push(SourceFile::new(db, path, text));
                            }
                            Err(d) => problems.push(d),
                        }
                    }
                    loaded
                }
            };
            path.push(target);
            follow(db, &loaded, path, done, out, problems, sources);
            path.pop();
            out.extend(loaded);
        }
    }
}

fn describe(p: &Imported) -> String {
    match p {
        Imported::Standard(n) => format!("`{n}`"),
        Imported::Folder(f) => format!("`{}`", f.display()),
    }
}

/// The content of a file read as it is loaded ([`facts::Content::Stream`]): its path, and its
/// size and modification time, which stand for its contents.
fn stream(path: &Path) -> std::io::Result<facts::Content> {
    let meta = std::fs::metadata(path)?;
    Ok(facts::Content::Stream { path: path.into(), len: meta.len(), modified: meta.modified().ok() })
}
