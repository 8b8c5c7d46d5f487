//! Linking: the rows of every file into one table per kind, keys unique across files,
//! references resolved to rows.

use super::column::KeyRun;
use super::diag::{Capped, clip, did_you_mean};
use super::{Cell, Column, ColumnBuilder, Facts, FileFacts, Keys, KindRows, Rejected, Schema, Table};
use crate::diagnostic::{Diagnostic, Span};
use crate::model::{RecordDecl, RecordId, Ty};
use crate::value::Value;
use rustc_hash::FxHashMap as HashMap;
use std::collections::hash_map::Entry;
use std::sync::Arc;

/// Keys are offered as did-you-mean suggestions only for tables up to this size, since each
/// suggestion compares against every key.
const SUGGEST_MAX_KEYS: usize = 10_000;

/// No row: an absent reference, or one that does not resolve.
const NONE: u32 = u32::MAX;

/// A key text not looked up yet, in [`Linker::resolve`].
const UNSEEN: u32 = u32::MAX - 1;

/// Records of one kind in one file from which their keys are written out on the threads of
/// the pool, when they are in order ([`Linker::gather_in_order`]).
pub(super) const KEYS_IN_PARTS_FROM: usize = 1 << 16;

/// Joins the files of one evaluation into [`Facts`].
///
/// A key seen again (in the same file or another) is a `duplicate-key`: every record with it is
/// rejected. A reference whose key no accepted record has is a `dangling-reference`: its field
/// is unreadable (see [`Table::bad`]) and the row is kept, so a record that merely refers to a
/// rejected one keeps what it can tell.
/// Takes the files by reference or by value, so a caller that holds them elsewhere (the salsa
/// database) does not copy them.
pub fn link<F: std::borrow::Borrow<FileFacts>>(schema: &Schema<'_>, files: &[F]) -> Facts {
    let files: Vec<&FileFacts> = files.iter().map(|f| f.borrow()).collect();
    let linked = join(schema, &files);
    // The files' columns are shared with the tables, not taken: the files stay whole.
    let columns =
        linked.whole.iter().map(|w| w.files.iter().map(|&f| of_kind(&files, f, w.kind).columns().to_vec()).collect());
    let columns: Vec<Vec<Vec<Column>>> = columns.collect();
    linked.fill(schema, &files, columns)
}

/// [`link`], taking each file's columns out of its records as they are joined into the tables,
/// so that a kind's records are not held twice, in the files and in the table, while they are
/// linked: the files keep where each record was read (lines and spans, for diagnostics) and
/// their diagnostics, but no values ([`KindRows::take_columns`]).
pub fn link_taking<F: std::borrow::BorrowMut<FileFacts>>(schema: &Schema<'_>, files: &mut [F]) -> Facts {
    let linked = {
        let files: Vec<&FileFacts> = files.iter().map(|f| f.borrow()).collect();
        join(schema, &files)
    };
    let columns = (linked.whole.iter())
        .map(|w| w.files.iter().map(|&f| files[f as usize].borrow_mut().rows.take_columns(w.kind)).collect())
        .collect();
    let files: Vec<&FileFacts> = files.iter().map(|f| f.borrow()).collect();
    linked.fill(schema, &files, columns)
}

/// The records of `kind` in file `file`.
fn of_kind<'f>(files: &[&'f FileFacts], file: u32, kind: RecordId) -> &'f KindRows {
    // INVARIANT: `whole_files` named only files with records of the kind.
    files[file as usize].rows.of_kind(kind).expect("a whole file has records of its kind")
}

/// Gathers every row, rejects repeated keys, resolves references and fills the tables of the
/// kinds that are not whole files' records ([`Linked::whole`]).
fn join<'f>(schema: &Schema<'_>, files: &'f [&'f FileFacts]) -> Linked {
    let n = schema.records.len();
    let mut sizes = vec![0; n];
    for f in files {
        for (k, size) in sizes.iter_mut().enumerate() {
            *size += f.rows.count(RecordId::at(k));
        }
    }
    let ref_fields = schema
        .records
        .iter()
        .map(|r| {
            let fields = r.fields.iter().enumerate();
            fields.filter_map(|(i, f)| if let Ty::Ref(t) = f.ty { Some((i, t)) } else { None }).collect()
        })
        .collect();
    let mut cx = Linker {
        schema,
        files,
        diags: Capped::new(files.iter().map(|f| f.path.clone()).collect()),
        candidates: sizes.iter().map(|&s| Vec::with_capacity(s)).collect(),
        by_key: sizes.iter().map(|&s| Keys::with_capacity(s)).collect(),
        suggestion_order: vec![None; n],
        sizes,
        ref_fields,
        targets: vec![Vec::new(); n],
        tables: vec![Table::default(); n],
        dead: HashMap::default(),
        bad_refs: HashMap::default(),
    };
    cx.gather();
    cx.resolve();
    cx.finish()
}

/// What [`join`] leaves: the facts, less the columns of the kinds whose rows are whole files'
/// records, which [`Linked::fill`] joins from those files' columns.
struct Linked {
    facts: Facts,
    whole: Vec<Whole>,
    renumber: Renumber,
    /// Per kind: the reference fields, with the kind each refers to ([`Linker::ref_fields`]).
    ref_fields: Vec<Vec<(usize, RecordId)>>,
    /// References that do not resolve, by candidate and field, with the reason.
    bad_refs: HashMap<(RecordId, u32, u32), Arc<str>>,
}

/// Per kind that lost rows to repeated keys: candidate → row, or [`NONE`]; the other kinds
/// keep their candidates' indices as rows.
struct Renumber(Vec<Option<Vec<u32>>>);

impl Renumber {
    /// The row of candidate `ci` of `kind`, or [`NONE`].
    fn row_of(&self, kind: RecordId, ci: u32) -> u32 {
        match &self.0[kind.index()] {
            Some(map) => map[ci as usize],
            None => ci,
        }
    }
}

/// A kind whose rows are all the records of that kind in `files`, one file after another
/// ([`whole_files`]); its table has its keys, and its columns are to be filled.
struct Whole {
    kind: RecordId,
    files: Vec<u32>,
    /// For row `r` and its `j`th reference field, the candidate referred to (see
    /// [`Linker::targets`]).
    targets: Vec<u32>,
}

impl Linked {
    /// Fills the tables of [`Linked::whole`] from `columns`, per whole kind, per file, that
    /// file's columns of that kind (each let go once joined), and finishes the facts.
    fn fill(mut self, schema: &Schema<'_>, files: &[&FileFacts], columns: Vec<Vec<Vec<Column>>>) -> Facts {
        let Linked { facts, whole, renumber, ref_fields, bad_refs } = &mut self;
        let row_of = |kind: RecordId, ci: u32| renumber.row_of(kind, ci);
        for (w, columns) in whole.iter().zip(columns) {
            let k = w.kind;
            let rec = &schema.records[k.index()];
            let rows: Vec<(u32, &KindRows)> = w.files.iter().map(|&f| (f, of_kind(files, f, k))).collect();
            let why = |ci: u32, field: usize| bad_refs.get(&(k, ci, field as u32)).cloned();
            let table = &mut facts.tables[k.index()];
            fill_from_files(table, rec, &rows, columns, &ref_fields[k.index()], &w.targets, row_of, why);
        }
        let mut facts = self.facts;
        // A key no one wrote (where each record was read, or its group) is held once: its
        // column holds the texts of the table's keys, when they are the same texts row by row.
        for (rec, table) in schema.records.iter().zip(&mut facts.tables) {
            let Some(field) = rec.fields.get(rec.key) else { continue };
            if unwritten_key(field)
                && let Some(column) = table.columns.get_mut(rec.key)
                && column.is_keys(&table.by_key)
            {
                *column = Column::of_keys(&table.by_key);
            }
        }
        facts
    }
}

/// Whether `field` is a key no one wrote: where each record was read, or its group.
fn unwritten_key(field: &crate::model::FieldDecl) -> bool {
    field.name == crate::model::KEYLESS_KEY || field.name == crate::model::GROUP_KEY
}

/// Names workbook cells in a diagnostic, as the workbook reader does: a workbook has no text
/// to point into, so the primary label's cell (`工業爐窯!D7`) goes in the message and the
/// label, and the secondary label's cell in that label; a secondary label in the same
/// workbook would not be shown at all, so the message names its cell too.
fn at_cell(mut d: Diagnostic, primary: Option<String>, secondary: Option<String>) -> Diagnostic {
    if let Some(cell) = &primary {
        d.message = format!("`{cell}`: {}", d.message);
        for l in d.labels.iter_mut().filter(|l| l.file.is_none()) {
            l.span = Span::default();
        }
        let label = &mut d.labels[0].message;
        *label = if label.is_empty() { cell.clone() } else { format!("{cell}: {label}") };
    }
    if let (Some(cell), Some(label)) = (&secondary, d.labels.get_mut(1)) {
        label.span = Span::default();
        if label.file.is_none() {
            d.message = format!("{}; {}: `{cell}`", d.message, label.message);
        }
        label.message = format!("{cell}: {}", label.message);
    }
    d
}

/// Per key of one kind: where a record rejected by its file was first seen (file, line, span).
type SeenKeys = HashMap<Arc<str>, (u32, u32, Span)>;

/// A candidate row: its kind and its index in [`Linker::candidates`].
type Node = (RecordId, u32);

/// A row that passed its file and waits for linking; its key is in [`Linker::by_key`].
/// Eight bytes, as there may be millions.
struct Candidate {
    file: u32,
    /// Its place among the records of its kind in its file.
    at: u32,
}

impl Candidate {
    /// The record, of `kind`, in `files`.
    fn row<'f>(&self, files: &[&'f FileFacts], kind: RecordId) -> Row<'f> {
        // INVARIANT: a candidate is made from a record of its kind in its file.
        let rows = files[self.file as usize].rows.of_kind(kind).expect("a candidate's file has records of its kind");
        Row { kind, rows, at: self.at }
    }
}

/// One record of one file: its kind, the records of that kind in the file, its place there.
#[derive(Clone, Copy)]
struct Row<'f> {
    kind: RecordId,
    rows: &'f KindRows,
    at: u32,
}

impl Row<'_> {
    fn line(&self) -> u32 {
        self.rows.line(self.at)
    }
    fn span(&self) -> Span {
        self.rows.span(self.at)
    }
    fn key_span(&self) -> Span {
        self.rows.key_span(self.at)
    }
}

struct Linker<'a, 'f> {
    schema: &'a Schema<'a>,
    files: &'f [&'f FileFacts],
    diags: Capped,
    /// Per kind: the rows with a key not seen before, in file order.
    candidates: Vec<Vec<Candidate>>,
    /// Per kind: the candidates' keys, candidate `c` being row `c`. A kind that loses no
    /// candidate to a repeated key hands them to its table as they are.
    by_key: Vec<Keys>,
    /// Per kind: how many rows the files hold.
    sizes: Vec<usize>,
    /// Per kind: the order in which its keys are searched for a did-you-mean suggestion, once
    /// one is needed (see [`Linker::suggestion_order`]).
    suggestion_order: Vec<Option<Vec<u32>>>,
    /// Per kind: the reference fields, with the kind each refers to.
    ref_fields: Vec<Vec<(usize, RecordId)>>,
    /// Per kind: for candidate `c` and its `j`th reference field, the candidate referred to
    /// at `c * ref_fields.len() + j`, or [`NONE`]. Found once in `resolve`, used in `finish`.
    targets: Vec<Vec<u32>>,
    tables: Vec<Table>,
    /// Candidates rejected for a repeated key, with the reason.
    dead: HashMap<Node, String>,
    /// References that do not resolve, by candidate and field, with the reason.
    bad_refs: HashMap<(RecordId, u32, u32), Arc<str>>,
}

impl<'f> Linker<'_, 'f> {
    /// Collects every row, rejecting repeated keys.
    ///
    /// Two records with one key cannot both be the record that key names, and nothing says
    /// which is right: keeping the first would decide verdicts on a guess that looks like a
    /// fact. So every record with a repeated key is rejected, the first included, and so is a
    /// record that shares its key with a record rejected for another reason. Their verdicts
    /// are `unknown`, one per key.
    fn gather(&mut self) {
        let n = self.schema.records.len();
        // Per kind: where each key of a record rejected by its file was first seen.
        let mut rejected_keys: Vec<SeenKeys> = vec![HashMap::default(); n];
        // Where a key that is not text is written out.
        let mut buf = String::new();
        for (fi, file) in self.files.iter().enumerate() {
            for loss in file.losses.iter().filter(|l| l.kind.index() < n) {
                self.tables[loss.kind.index()].incomplete.push(loss.clone());
            }
            for u in file.unkept.iter().filter(|u| u.kind.index() < n) {
                let table = &mut self.tables[u.kind.index()];
                table.loaded += u.lost.unwrap_or(0);
                table.unkept.push(u.clone());
            }
            // A kind with many records here, none rejected and none with a key rejected before:
            // taken at once when its keys are in order (numbered readings).
            let mut taken = vec![false; n];
            for (k, taken) in taken.iter_mut().enumerate() {
                let kind = RecordId::at(k);
                if let Some(rows) = file.rows.of_kind(kind)
                    && rows.len() >= KEYS_IN_PARTS_FROM
                    && rejected_keys[k].is_empty()
                    && !file.rejected.iter().any(|r| r.kind == kind)
                {
                    *taken = self.gather_in_order(fi, kind, rows);
                }
            }
            let rows = file
                .rows
                .order()
                .filter(|r| r.0.index() < n && !taken[r.0.index()])
                .filter_map(|(kind, at)| file.rows.of_kind(kind).map(|rows| Row { kind, rows, at }));
            let rejected = file.rejected.iter().filter(|r| r.kind.index() < n);
            // In the order they were read, so that "first" means first in the file.
            let mut rows = rows.peekable();
            let mut rejected = rejected.peekable();
            loop {
                let take_row = match (rows.peek(), rejected.peek()) {
                    (Some(r), Some(j)) => r.line() <= j.line,
                    (Some(_), None) => true,
                    (None, Some(_)) => false,
                    (None, None) => break,
                };
                if take_row {
                    let row = rows.next().expect("peeked");
                    self.gather_row(fi, row, &rejected_keys, &mut buf);
                } else {
                    let rej = rejected.next().expect("peeked");
                    self.gather_rejected(fi, rej, &mut rejected_keys);
                }
            }
        }
    }

    /// Every record of `kind` in file `fi` as a candidate, when [`Linker::gather_row`] would
    /// take them so one by one: their keys come after every key of the kind seen so far, each
    /// after the one before ([`Keys::append_runs`]). The keys are written out in parts on the
    /// threads of the pool. `false`, changing nothing, when they are not in order (or a record
    /// has no key): the records are then taken one by one, which finds any key seen twice.
    /// The caller makes sure no record of the kind was rejected in this file or with a key
    /// before.
    fn gather_in_order(&mut self, fi: usize, kind: RecordId, rows: &'f KindRows) -> bool {
        use rayon::prelude::*;
        let k = kind.index();
        let schema = self.schema;
        let rec = &schema.records[k];
        let n = rows.len() as u32;
        let size = n.div_ceil(rayon::current_num_threads().max(1) as u32).max(1);
        let starts: Vec<u32> = (0..n).step_by(size as usize).collect();
        let runs: Option<Vec<KeyRun>> = starts
            .into_par_iter()
            .map(|a| {
                let b = a.saturating_add(size).min(n);
                let mut run = KeyRun::with_capacity((b - a) as usize, 8);
                let mut buf = String::new();
                for at in a..b {
                    let key = rows.key_text(schema, &rec.fields[rec.key], at, rec.key, &mut buf)?;
                    if !run.push(key) {
                        return None;
                    }
                }
                Some(run)
            })
            .collect();
        if !runs.is_some_and(|runs| self.by_key[k].append_runs(&runs)) {
            return false;
        }
        self.tables[k].loaded += n as usize;
        self.candidates[k].extend((0..n).map(|at| Candidate { file: fi as u32, at }));
        true
    }

    /// An accepted row of file `fi`: a candidate, unless its key was seen before.
    /// `buf` holds the key text of a key that is not text.
    fn gather_row(&mut self, fi: usize, row: Row<'f>, rejected_keys: &[SeenKeys], buf: &mut String) {
        let k = row.kind.index();
        self.tables[k].loaded += 1;
        let schema = self.schema;
        let rec = &schema.records[k];
        // INVARIANT: `parse_file` accepts only rows with a key.
        let Some(key) = row.rows.key_text(schema, &rec.fields[rec.key], row.at, rec.key, buf) else {
            self.reject(row, None, "no key".into());
            return;
        };
        // A key is never both a candidate's and a rejected record's: each is kept where it is
        // first seen.
        let first = match rejected_keys[k].get(key) {
            Some(&at) => at,
            None => match self.by_key[k].insert(key) {
                Ok(_) => {
                    self.candidates[k].push(Candidate { file: fi as u32, at: row.at });
                    return;
                }
                Err(ci) => {
                    let first = &self.candidates[k][ci as usize];
                    let first_row = first.row(self.files, row.kind);
                    let at = (first.file, first_row.line(), first_row.key_span());
                    self.kill_duplicate(row.kind, ci, key, (fi as u32, row.line()));
                    at
                }
            },
        };
        self.duplicate(fi, row.kind, key, (row.line(), row.key_span()), first);
        let reason = format!(
            "duplicate key `{}`, also at {}: no record with this key is used",
            clip(key),
            self.place(row.kind, (first.0, first.1))
        );
        self.reject(row, Some(key.into()), reason);
    }

    /// A record file `fi` rejected: counted, and checked against the keys seen.
    fn gather_rejected(&mut self, fi: usize, rej: &Rejected, rejected_keys: &mut [SeenKeys]) {
        let k = rej.kind.index();
        let table = &mut self.tables[k];
        table.loaded += 1;
        table.rejected.push(rej.clone());
        let Some(key) = &rej.key else { return };
        let first = match self.by_key[k].get(key) {
            Some(ci) => {
                let first = &self.candidates[k][ci as usize];
                let first_row = first.row(self.files, rej.kind);
                let at = (first.file, first_row.line(), first_row.key_span());
                self.kill_duplicate(rej.kind, ci, key, (fi as u32, rej.line));
                at
            }
            None => match rejected_keys[k].entry(key.clone()) {
                Entry::Occupied(o) => *o.get(),
                Entry::Vacant(v) => {
                    v.insert((fi as u32, rej.line, rej.span));
                    return;
                }
            },
        };
        self.duplicate(fi, rej.kind, key, (rej.line, rej.span), first);
    }

    /// Rejects candidate `ci`, the first record with a key seen again.
    fn kill_duplicate(&mut self, kind: RecordId, ci: u32, key: &str, other: (u32, u32)) {
        if !self.dead.contains_key(&(kind, ci)) {
            let reason = format!(
                "duplicate key `{}`, also at {}: no record with this key is used",
                clip(key),
                self.place(kind, other)
            );
            self.kill(kind, ci, reason);
        }
    }

    /// Where a record of `kind` at `(file, line)` is, for a reason that points at another
    /// record: `` `a.json` line 2 ``, or `` `f.xlsx` `企業!A2` `` in a workbook.
    fn place(&self, kind: RecordId, (file, line): (u32, u32)) -> String {
        let f = self.files[file as usize];
        let key = self.schema.records[kind.index()].key;
        match f.cell(kind, line, Some(key)) {
            Some(cell) => format!("`{}` `{cell}`", f.path),
            None => format!("`{}` line {line}", f.path),
        }
    }

    /// Reports a record of file `fi` at `(line, span)` whose key was first seen at `first`
    /// (file, line, span).
    fn duplicate(&mut self, fi: usize, kind: RecordId, key: &str, at: (u32, Span), first: (u32, u32, Span)) {
        if !self.diags.has_room(fi) {
            self.diags.skip(fi, at.1);
            return;
        }
        let rec = &self.schema.records[kind.index()];
        let key_name = &rec.fields[rec.key].name;
        let file = self.files[fi];
        let first_file = self.files[first.0 as usize];
        let message = format!("duplicate `{}` key `{}`", rec.name, clip(key));
        let d = Diagnostic::error("duplicate-key", &file.path, at.1, message)
            .with_label("this record is rejected")
            .with_secondary_in(&first_file.path, first.2, "the first record with this key, rejected too")
            .with_help(format!(
                "each `{}` record needs its own `{key_name}`, and which of these is right cannot be told: no \
                 record with this key is used (its verdicts are `unknown`) until one is removed or given \
                 another `{key_name}`",
                rec.name
            ));
        let d = at_cell(d, file.cell(kind, at.0, Some(rec.key)), first_file.cell(kind, first.1, Some(rec.key)));
        self.diags.push(fi, d);
    }

    fn reject(&mut self, row: Row<'_>, key: Option<Arc<str>>, reason: String) {
        let rejected = Rejected { kind: row.kind, key, line: row.line(), span: row.span(), reason };
        self.tables[row.kind.index()].rejected.push(rejected);
    }

    /// The key `field` of a record refers to, when it holds a reference.
    fn ref_key(row: Row<'_>, field: usize) -> Option<(Arc<str>, Span)> {
        row.rows.ref_key(row.at, field)
    }

    /// Finds what every reference refers to. A reference whose key no accepted record has, or
    /// whose record was rejected for a repeated key, makes its field unreadable (reported); the
    /// row itself is kept, since its key is intact.
    fn resolve(&mut self) {
        let mut dangling = Vec::new();
        for (k, cands) in self.candidates.iter().enumerate() {
            let refs = &self.ref_fields[k];
            if refs.is_empty() {
                continue;
            }
            let find = |t: RecordId, key: &str| self.by_key.get(t.index()).and_then(|keys| keys.get(key));
            let mut targets = Vec::with_capacity(cands.len() * refs.len());
            // Per reference field: what each distinct key text of the file being read refers
            // to, looked up once ([`UNSEEN`] before, [`NONE`] when nothing has the key). A
            // million readings refer to a few thousand records.
            let mut seen: Vec<Vec<u32>> = vec![Vec::new(); refs.len()];
            let mut seen_in: Option<&KindRows> = None;
            for (ci, c) in cands.iter().enumerate() {
                let row = c.row(self.files, RecordId::at(k));
                if !seen_in.is_some_and(|rows| std::ptr::eq(rows, row.rows)) {
                    seen.iter_mut().for_each(Vec::clear);
                    seen_in = Some(row.rows);
                }
                for (j, &(field, t)) in refs.iter().enumerate() {
                    let at = row.at as usize;
                    let column = row.rows.column(field);
                    let found = match column.and_then(Column::text_ids) {
                        // The reference fields of a file's rows hold their key texts interned.
                        Some((ids, texts)) => column.is_some_and(|col| col.is_present(at)).then(|| {
                            let id = ids[at] as usize;
                            let seen = &mut seen[j];
                            if seen.is_empty() {
                                seen.resize(texts.len(), UNSEEN);
                            }
                            if seen[id] == UNSEEN {
                                seen[id] = find(t, &texts[id]).unwrap_or(NONE);
                            }
                            seen[id]
                        }),
                        None => Self::ref_key(row, field).map(|(key, _)| find(t, &key).unwrap_or(NONE)),
                    };
                    let target = match found {
                        None => NONE,
                        Some(NONE) => {
                            dangling.push((RecordId::at(k), ci as u32, field, t));
                            NONE
                        }
                        Some(target) => target,
                    };
                    targets.push(target);
                }
            }
            self.targets[k] = targets;
        }
        if dangling.is_empty() && self.dead.is_empty() {
            return;
        }
        for (k, ci, field, t) in dangling {
            self.dangling(k, ci, field, t);
        }
        if self.dead.is_empty() {
            return;
        }
        // References to a record rejected for a repeated key, in a fixed order so that the
        // diagnostics come in the same order on every run. The referrers stay: only the
        // referring field is unreadable, so nothing is rejected transitively.
        let mut to_dead: Vec<(Node, usize, Node)> = Vec::new();
        for (k, targets) in self.targets.iter().enumerate() {
            let refs = &self.ref_fields[k];
            for (i, &target) in targets.iter().enumerate().filter(|&(_, &t)| t != NONE) {
                let (field, t) = refs[i % refs.len()];
                let source = (RecordId::at(k), (i / refs.len()) as u32);
                if self.dead.contains_key(&(t, target)) && !self.dead.contains_key(&source) {
                    to_dead.push((source, field, (t, target)));
                }
            }
        }
        to_dead.sort_unstable();
        for (source, field, gone) in to_dead {
            self.refers_to_dead(source, field, gone);
        }
    }

    fn field_name(&self, kind: RecordId, field: usize) -> &str {
        &self.schema.records[kind.index()].fields[field].name
    }

    /// Marks a candidate dead, adding to its reasons.
    fn kill(&mut self, kind: RecordId, ci: u32, reason: String) {
        match self.dead.entry((kind, ci)) {
            Entry::Occupied(mut o) => {
                o.get_mut().push_str("; ");
                o.get_mut().push_str(&reason);
            }
            Entry::Vacant(v) => {
                v.insert(reason);
            }
        }
    }

    /// Candidate `ci` of `kind` refers through `field` to a key no accepted `t` record has.
    fn dangling(&mut self, kind: RecordId, ci: u32, field: usize, t: RecordId) {
        let c = &self.candidates[kind.index()][ci as usize];
        let row = c.row(self.files, kind);
        let (file, line) = (c.file as usize, row.line());
        let Some((key, span)) = Self::ref_key(row, field) else { return };
        let key = &key;
        let target = &self.schema.records[t.index()];
        // The record may have been read but rejected, or be in a file not read whole; saying
        // so is more use than "not there".
        let rejected = self.files.iter().enumerate().find_map(|(fi, f)| {
            f.rejected.iter().find(|r| r.kind == t && r.key.as_ref() == Some(key)).map(|r| (fi, r))
        });
        let lost = self.files.iter().flat_map(|f| &f.losses).find(|l| l.kind == t);
        let why = match (&rejected, lost) {
            (Some((_, r)), _) => format!("the `{}` record `{}` was rejected: {}", target.name, clip(key), r.reason),
            (None, Some(l)) => {
                format!("no `{}` record `{}` was read: {}", target.name, clip(key), l.describe(&target.name))
            }
            (None, None) => format!("no `{}` record has the key `{}`", target.name, clip(key)),
        };
        let reason: Arc<str> =
            format!("`{}` refers to a record that is not there: {why}", self.field_name(kind, field)).into();
        self.bad_refs.insert((kind, ci, field as u32), reason);
        if !self.diags.has_room(file) {
            self.diags.skip(file, span);
            return;
        }
        let path = &self.files[file].path;
        let cell = self.files[file].cell(kind, line, Some(field));
        let target_cell = rejected.and_then(|(fi, r)| self.files[fi].cell(t, r.line, Some(target.key)));
        let d = match (rejected, lost) {
            (Some((fi, r)), _) => Diagnostic::error(
                "dangling-reference",
                path,
                span,
                format!(
                    "the `{}` record `{}` was rejected, so this reference does not resolve",
                    target.name,
                    clip(key)
                ),
            )
            .with_label("refers to a rejected record")
            .with_secondary_in(&self.files[fi].path, r.span, "rejected record")
            .with_help(format!(
                "fix the record referred to ({}); until then this field is unreadable, and what reads it is unknown",
                r.reason
            )),
            (None, Some(l)) => Diagnostic::error(
                "dangling-reference",
                path,
                span,
                format!(
                    "expected the key of a `{}` record, found `{}`, which no record read has; the `{}` records of `{}` \
                     were not all read",
                    target.name,
                    clip(key),
                    target.name,
                    l.file
                ),
            )
            .with_label("may be among the records not read")
            .with_help(format!(
                "fix `{}` so that it can be read; until then this field is unreadable, and what reads it is unknown",
                l.file
            )),
            (None, None) => {
                let keys = &self.by_key[t.index()];
                let order = match keys.len() <= SUGGEST_MAX_KEYS {
                    true => {
                        Some(Self::suggestion_order(&mut self.suggestion_order[t.index()], keys, self.sizes[t.index()]))
                    }
                    false => None,
                };
                let suggestion = order
                    .and_then(|order| did_you_mean(key, order.iter().map(|&r| keys.key(r))))
                    .map(|s| format!("did you mean `{s}`? "))
                    .unwrap_or_default();
                Diagnostic::error(
                    "dangling-reference",
                    path,
                    span,
                    format!(
                        "expected the key of a `{}` record, found `{}`, which no record has",
                        target.name,
                        clip(key)
                    ),
                )
                .with_label(format!("no `{}` has this key", target.name))
                .with_help(format!(
                    "{suggestion}add the `{}` record to the facts, or correct the key; until then this field is \
                     unreadable, and what reads it is unknown",
                    target.name
                ))
            }
        };
        self.diags.push(file, at_cell(d, cell, target_cell));
    }

    /// The rows of `keys` in the order their keys are offered to [`did_you_mean`], which takes
    /// the first key that looks like the one written: the order of a hash map of them, built
    /// once per kind with room for the kind's `size` rows, so that the suggestion made is the
    /// same on every run.
    fn suggestion_order<'o>(order: &'o mut Option<Vec<u32>>, keys: &Keys, size: usize) -> &'o [u32] {
        order.get_or_insert_with(|| {
            let mut map: HashMap<&str, u32> = HashMap::with_capacity_and_hasher(size, Default::default());
            for (key, row) in keys.iter() {
                map.insert(key, row);
            }
            map.into_values().collect()
        })
    }

    /// `source` refers through `field` to `gone`, a candidate rejected above.
    fn refers_to_dead(&mut self, source: Node, field: usize, gone: Node) {
        let (kind, ci) = source;
        let c = &self.candidates[kind.index()][ci as usize];
        let row = c.row(self.files, kind);
        let (file, line) = (c.file as usize, row.line());
        let Some((key, span)) = Self::ref_key(row, field) else { return };
        let key = &key;
        let target = &self.candidates[gone.0.index()][gone.1 as usize];
        let target_row = target.row(self.files, gone.0);
        let kind_name = &self.schema.records[gone.0.index()].name;
        let d = Diagnostic::error(
            "dangling-reference",
            &self.files[file].path,
            span,
            format!("the `{kind_name}` record `{}` was rejected, so this reference does not resolve", clip(key)),
        )
        .with_label("refers to a rejected record")
        .with_secondary_in(&self.files[target.file as usize].path, target_row.key_span(), "rejected record")
        .with_help("fix the errors of the record referred to; until then this field is unreadable, and what reads it is unknown");
        let cell = self.files[file].cell(kind, line, Some(field));
        let target_file = self.files[target.file as usize];
        let rec = &self.schema.records[gone.0.index()];
        let d = at_cell(d, cell, target_file.cell(gone.0, target_row.line(), Some(rec.key)));
        let reason =
            format!("`{}` refers to the rejected `{kind_name}` record `{}`", self.field_name(kind, field), clip(key));
        self.diags.push(file, d);
        self.bad_refs.insert((kind, ci, field as u32), reason.into());
    }

    /// Numbers the surviving rows (all but those with a repeated key) and fills the columns,
    /// with the fields that could not be read marked in [`Table::bad`]; the columns of a kind
    /// whose rows are whole files' records are left to [`Linked::fill`].
    fn finish(mut self) -> Linked {
        // Per kind that lost rows above: candidate → row, or `NONE`. Other kinds keep their
        // candidate indices as rows.
        let mut renumber: Vec<Option<Vec<u32>>> = vec![None; self.candidates.len()];
        for &(k, _) in self.dead.keys() {
            renumber[k.index()].get_or_insert_with(Vec::new);
        }
        for (k, map) in renumber.iter_mut().enumerate() {
            if let Some(map) = map {
                let mut next = 0;
                map.extend((0..self.candidates[k].len() as u32).map(|ci| {
                    if self.dead.contains_key(&(RecordId::at(k), ci)) {
                        NONE
                    } else {
                        next += 1;
                        next - 1
                    }
                }));
            }
        }
        let renumber = Renumber(renumber);
        let row_of = |kind: RecordId, ci: u32| renumber.row_of(kind, ci);

        let mut whole = Vec::new();
        for (k, cands) in self.candidates.iter().enumerate() {
            let rec = &self.schema.records[k];
            let refs = &self.ref_fields[k];
            let targets = &self.targets[k];
            // Field → its position among the reference fields.
            let mut ref_slot = vec![None; rec.fields.len()];
            for (j, &(field, _)) in refs.iter().enumerate() {
                ref_slot[field] = Some(j);
            }
            let table = &mut self.tables[k];
            // The rows keep the candidates' order, less those rejected above.
            let alive = match &renumber.0[k] {
                Some(map) => map.iter().filter(|&&row| row != NONE).count(),
                None => cands.len(),
            };
            table.bad_by_field = vec![0; rec.fields.len()];
            table.first_bad = vec![None; rec.fields.len()];
            // The candidates' keys are the table's when every candidate is a row.
            let keys = &mut self.by_key[k];
            if renumber.0[k].is_none() {
                table.by_key = std::mem::take(keys);
                table.by_key.shrink();
                if let Some(files) = whole_files(self.files, RecordId::at(k), cands, rec) {
                    whole.push(Whole {
                        kind: RecordId::at(k),
                        files: files.iter().map(|&(f, _)| f).collect(),
                        targets: Vec::new(),
                    });
                    continue;
                }
            } else {
                table.by_key = Keys::with_capacity(alive);
            }
            let mut columns: Vec<ColumnBuilder> =
                rec.fields.iter().map(|f| ColumnBuilder::for_field(f, &f.ty, alive)).collect();
            table.origins.reserve(alive);
            for (ci, c) in cands.iter().enumerate() {
                let c_row = c.row(self.files, RecordId::at(k));
                if renumber.0[k].is_some()
                    && let Some(reason) = self.dead.remove(&(RecordId::at(k), ci as u32))
                {
                    let rejected = Rejected {
                        kind: RecordId::at(k),
                        key: Some(keys.key(ci as u32).into()),
                        line: c_row.line(),
                        span: c_row.span(),
                        reason,
                    };
                    table.rejected.push(rejected);
                    continue;
                }
                let row = match renumber.0[k] {
                    Some(_) => table.by_key.push(keys.key(ci as u32)),
                    None => ci as u32,
                };
                debug_assert_eq!(row_of(RecordId::at(k), ci as u32), row);
                table.origins.push(c.file, c_row.line());
                let mut flawed = false;
                for (field, column) in columns.iter_mut().enumerate() {
                    let bad = |why: &Arc<str>| (row, field as u32, why.clone());
                    let (value, bad) = match c_row.rows.cell(c_row.at, field) {
                        None => (None, None),
                        Some(Cell::Value(v)) => (Some(v), None),
                        Some(Cell::Bad(why)) => (None, Some(bad(&why))),
                        Some(Cell::UnresolvedRef { .. }) => match ref_slot[field] {
                            Some(j) => {
                                let target = targets[ci * refs.len() + j];
                                let t = refs[j].1;
                                let to = if target == NONE { NONE } else { row_of(t, target) };
                                if to != NONE {
                                    (Some(Value::Ref(t, to)), None)
                                } else {
                                    // INVARIANT: `resolve` gave every reference that does not
                                    // reach a live row its reason.
                                    let why = self.bad_refs.get(&(RecordId::at(k), ci as u32, field as u32));
                                    let why = why.cloned().unwrap_or_else(|| "the reference does not resolve".into());
                                    (None, Some(bad(&why)))
                                }
                            }
                            None => (None, None),
                        },
                    };
                    column.push(value);
                    if let Some((row, field, why)) = bad {
                        table.bad.insert((row, field), why);
                        table.bad_by_field[field as usize] += 1;
                        table.first_bad[field as usize].get_or_insert(row);
                        flawed = true;
                    }
                }
                if flawed {
                    table.flawed += 1;
                }
            }
            table.columns = columns.into_iter().map(ColumnBuilder::finish).collect();
            table.by_key.shrink();
        }
        for w in &mut whole {
            w.targets = std::mem::take(&mut self.targets[w.kind.index()]);
        }
        let facts = Facts {
            files: self.files.iter().map(|f| f.path.clone()).collect(),
            tables: self.tables,
            diagnostics: self.diags.finish(),
            placed: Vec::new(),
        };
        Linked { facts, whole, renumber, ref_fields: self.ref_fields, bad_refs: self.bad_refs }
    }
}

/// The files and their records of a kind's candidates when they are all the records of that
/// kind in those files, file after file, each in order, with no cell the columns do not hold
/// but values that could not be read: the table's rows are then those files' rows, joined.
fn whole_files<'f>(
    files: &[&'f FileFacts],
    kind: RecordId,
    cands: &[Candidate],
    rec: &RecordDecl,
) -> Option<Vec<(u32, &'f KindRows)>> {
    let mut whole = Vec::new();
    let mut at = 0;
    while at < cands.len() {
        let first = &cands[at];
        let rows = first.row(files, kind).rows;
        let n = rows.len();
        let run = cands.get(at..at + n)?;
        let complete = (0..rec.fields.len()).all(|f| rows.column(f).is_some_and(|c| c.len() == n))
            && run.iter().enumerate().all(|(i, c)| c.file == first.file && c.at as usize == i)
            && rows.other_cells().all(|(_, cell)| matches!(cell, Cell::Bad(_)));
        if n == 0 || !complete {
            return None;
        }
        whole.push((first.file, rows));
        at += n;
    }
    Some(whole)
}

/// Fills `table`, whose keys are set, from `files`, all the records of its kind in those files
/// (see [`whole_files`]), as [`Linker::finish`] does a row at a time: one file's columns are
/// shared as they are, several files' are joined, and reference fields are built from
/// `targets` (the candidate each reference reaches, `row_of` its row); `why` is the reason a
/// reference that does not resolve was given. `columns` holds each file's columns (those of
/// `files`, or taken from them): each is let go once joined, so that the records are held
/// about once, not twice, while the table is filled.
#[allow(clippy::too_many_arguments)]
fn fill_from_files(
    table: &mut Table,
    rec: &RecordDecl,
    files: &[(u32, &KindRows)],
    mut columns: Vec<Vec<Column>>,
    refs: &[(usize, RecordId)],
    targets: &[u32],
    row_of: impl Fn(RecordId, u32) -> u32,
    why: impl Fn(u32, usize) -> Option<Arc<str>>,
) {
    // Each file's first row in the table.
    let mut offsets = Vec::with_capacity(files.len());
    let mut n = 0usize;
    for (_, rows) in files {
        offsets.push(n as u32);
        n += rows.len();
    }
    // The unreadable cells, by `(row, field)`: values that could not be read, then references
    // that do not resolve.
    let mut bad: Vec<(u32, u32, Arc<str>)> = Vec::new();
    for ((_, rows), &offset) in files.iter().zip(&offsets) {
        bad.extend(rows.other_cells().filter_map(|(&(row, field), cell)| match cell {
            Cell::Bad(why) => Some((offset + row, field, why.clone())),
            _ => None,
        }));
    }
    let mut joined: Vec<Column> = Vec::with_capacity(rec.fields.len());
    for (field, decl) in rec.fields.iter().enumerate() {
        // Each file's column of this field, taken out of `columns`: let go at the end of the
        // field.
        let held: Vec<Column> = columns.iter_mut().map(|c| std::mem::take(&mut c[field])).collect();
        let Some(j) = refs.iter().position(|&(f, _)| f == field) else {
            let keys = &table.by_key;
            match &held[..] {
                [one] => joined.push(one.clone()),
                // A key no one wrote is not joined into a column of its own: the column holds
                // the keys' texts (`link` does the same for one file's).
                _ if field == rec.key
                    && unwritten_key(decl)
                    && held.iter().zip(&offsets).all(|(c, &o)| c.is_keys_from(keys, o as usize))
                    && keys.len() == n =>
                {
                    joined.push(Column::of_keys(keys))
                }
                _ => {
                    let mut column = ColumnBuilder::for_field(decl, &decl.ty, n);
                    for c in &held {
                        column.append(c);
                    }
                    joined.push(column.finish());
                }
            }
            continue;
        };
        let t = refs[j].1;
        let mut column = ColumnBuilder::new(&decl.ty, n);
        for (((_, rows), &offset), held) in files.iter().zip(&offsets).zip(&held) {
            for at in 0..rows.len() as u32 {
                let row = offset + at;
                if !held.is_present(at as usize) {
                    column.push(None);
                    continue;
                }
                let target = targets[row as usize * refs.len() + j];
                let to = if target == NONE { NONE } else { row_of(t, target) };
                if to != NONE {
                    column.push(Some(Value::Ref(t, to)));
                } else {
                    column.push(None);
                    // INVARIANT: `resolve` gave every reference that does not reach a live row
                    // its reason.
                    let why = why(row, field).unwrap_or_else(|| "the reference does not resolve".into());
                    bad.push((row, field as u32, why));
                }
            }
        }
        joined.push(column.finish());
    }
    table.columns = joined;
    table.origins.file = files.iter().flat_map(|&(file, rows)| std::iter::repeat_n(file, rows.len())).collect();
    table.origins.line = files.iter().flat_map(|(_, rows)| rows.lines().iter().copied()).collect();
    bad.sort_unstable_by_key(|&(row, field, _)| (row, field));
    let mut last_row = None;
    for (row, field, why) in bad {
        table.bad.insert((row, field), why);
        table.bad_by_field[field as usize] += 1;
        table.first_bad[field as usize].get_or_insert(row);
        if last_row != Some(row) {
            table.flawed += 1;
            last_row = Some(row);
        }
    }
}
