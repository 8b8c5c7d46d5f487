//! Linking: the rows of every file into one table per kind, keys unique across files,
//! references resolved to rows.

use super::diag::{Capped, clip, did_you_mean};
use super::{Cell, Facts, FileFacts, RawRow, Rejected, RowOrigin, Schema, Table, key_text};
use crate::diagnostic::{Diagnostic, Span};
use crate::model::{RecordId, Ty};
use crate::value::Value;
use rustc_hash::FxHashMap as HashMap;
use std::collections::hash_map::Entry;
use std::sync::Arc;

/// Keys are offered as did-you-mean suggestions only for tables up to this size, since each
/// suggestion compares against every key.
const SUGGEST_MAX_KEYS: usize = 10_000;

/// No row: an absent reference, or one that does not resolve.
const NONE: u32 = u32::MAX;

/// Joins the files of one evaluation into [`Facts`].
///
/// A key seen again (in the same file or another) is a `duplicate-key`: the first record is
/// kept and the later one rejected. A reference whose key no accepted record has is a
/// `dangling-reference`: its field is unreadable (see [`Table::bad`]) and the row is kept, so
/// a record that merely refers to a rejected one keeps what it can tell.
/// Takes the files by reference or by value, so a caller that holds them elsewhere (the salsa
/// database) does not copy them.
pub fn link<F: std::borrow::Borrow<FileFacts>>(schema: &Schema<'_>, files: &[F]) -> Facts {
    let files: Vec<&FileFacts> = files.iter().map(|f| f.borrow()).collect();
    let files = files.as_slice();
    let n = schema.records.len();
    let mut sizes = vec![0; n];
    for row in files.iter().flat_map(|f| &f.rows) {
        if let Some(size) = sizes.get_mut(row.kind as usize) {
            *size += 1;
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
        by_key: sizes.iter().map(|&s| HashMap::with_capacity_and_hasher(s, Default::default())).collect(),
        ref_fields,
        targets: vec![Vec::new(); n],
        tables: vec![Table::default(); n],
        bad_refs: HashMap::default(),
    };
    cx.gather();
    cx.resolve();
    cx.finish()
}

/// A row that passed its file and waits for linking.
struct Candidate<'f> {
    file: u32,
    row: &'f RawRow,
    key: Arc<str>,
}

struct Linker<'a, 'f> {
    schema: &'a Schema<'a>,
    files: &'f [&'f FileFacts],
    diags: Capped,
    /// Per kind: the rows with a key not seen before, in file order.
    candidates: Vec<Vec<Candidate<'f>>>,
    /// Per kind: key → index into `candidates`. Becomes the table's `by_key` as it is when
    /// no candidate of the kind is rejected, since candidates then keep their indices as rows.
    by_key: Vec<HashMap<Arc<str>, u32>>,
    /// Per kind: the reference fields, with the kind each refers to.
    ref_fields: Vec<Vec<(usize, RecordId)>>,
    /// Per kind: for candidate `c` and its `j`th reference field, the candidate referred to
    /// at `c * ref_fields.len() + j`, or [`NONE`]. Found once in `resolve`, used in `finish`.
    targets: Vec<Vec<u32>>,
    tables: Vec<Table>,
    /// References that do not resolve, by candidate and field, with the reason.
    bad_refs: HashMap<(RecordId, u32, u32), Arc<str>>,
}

impl<'f> Linker<'_, 'f> {
    /// Collects every row, rejecting repeated keys.
    fn gather(&mut self) {
        let n = self.schema.records.len();
        for (fi, file) in self.files.iter().enumerate() {
            for loss in file.losses.iter().filter(|l| (l.kind as usize) < n) {
                self.tables[loss.kind as usize].incomplete.push(loss.clone());
            }
            for u in file.unkept.iter().filter(|u| (u.kind as usize) < n) {
                let table = &mut self.tables[u.kind as usize];
                table.loaded += u.lost.unwrap_or(0);
                table.unkept.push(u.clone());
            }
            for rej in file.rejected.iter().filter(|r| (r.kind as usize) < n) {
                let table = &mut self.tables[rej.kind as usize];
                table.loaded += 1;
                table.rejected.push(rej.clone());
            }
            for row in file.rows.iter().filter(|r| (r.kind as usize) < n) {
                let k = row.kind as usize;
                self.tables[k].loaded += 1;
                let rec = &self.schema.records[k];
                // INVARIANT: `parse_file` accepts only rows with a key.
                let key = row.values[rec.key].as_ref().map(|c| key_text(self.schema, &rec.fields[rec.key], c));
                let Some(key) = key else {
                    self.reject(row, None, "no key".into());
                    continue;
                };
                match self.by_key[k].entry(key.clone()) {
                    Entry::Vacant(v) => {
                        v.insert(self.candidates[k].len() as u32);
                        self.candidates[k].push(Candidate { file: fi as u32, row, key });
                    }
                    Entry::Occupied(o) => {
                        let first = &self.candidates[k][*o.get() as usize];
                        let key_name = &rec.fields[rec.key].name;
                        let d = Diagnostic::error(
                            "duplicate-key",
                            &file.path,
                            row.key_span,
                            format!("duplicate `{}` key `{}`", rec.name, clip(&key)),
                        )
                        .with_label("this record is rejected")
                        .with_secondary_in(&self.files[first.file as usize].path, first.row.key_span, "first used here")
                        .with_help(format!(
                            "each `{}` record needs its own `{key_name}`; the first record with this key is kept",
                            rec.name
                        ));
                        self.diags.push(fi, d);
                        let reason = format!("duplicate key `{}`; the first record with this key is kept", clip(&key));
                        self.reject(row, Some(key), reason);
                    }
                }
            }
        }
    }

    fn reject(&mut self, row: &RawRow, key: Option<Arc<str>>, reason: String) {
        let rejected = Rejected { kind: row.kind, key, line: row.line, span: row.span, reason };
        self.tables[row.kind as usize].rejected.push(rejected);
    }

    /// The key a candidate's `field` refers to, when it holds a reference.
    fn ref_key(row: &'f RawRow, field: usize) -> Option<(&'f Arc<str>, Span)> {
        match row.values.get(field) {
            Some(Some(Cell::UnresolvedRef { key, span })) => Some((key, *span)),
            _ => None,
        }
    }

    /// Finds what every reference refers to. A reference whose key no accepted record has
    /// makes its field unreadable (reported); the row itself is kept, since its key is intact.
    fn resolve(&mut self) {
        let mut dangling = Vec::new();
        for (k, cands) in self.candidates.iter().enumerate() {
            let refs = &self.ref_fields[k];
            if refs.is_empty() {
                continue;
            }
            let mut targets = Vec::with_capacity(cands.len() * refs.len());
            for (ci, c) in cands.iter().enumerate() {
                for &(field, t) in refs {
                    let target = match Self::ref_key(c.row, field) {
                        None => NONE,
                        Some((key, _)) => match self.by_key.get(t as usize).and_then(|keys| keys.get(key)) {
                            Some(&target) => target,
                            None => {
                                dangling.push((k as RecordId, ci as u32, field, t));
                                NONE
                            }
                        },
                    };
                    targets.push(target);
                }
            }
            self.targets[k] = targets;
        }
        for (k, ci, field, t) in dangling {
            self.dangling(k, ci, field, t);
        }
    }

    fn field_name(&self, kind: RecordId, field: usize) -> &str {
        &self.schema.records[kind as usize].fields[field].name
    }

    /// Candidate `ci` of `kind` refers through `field` to a key no accepted `t` record has.
    fn dangling(&mut self, kind: RecordId, ci: u32, field: usize, t: RecordId) {
        let c = &self.candidates[kind as usize][ci as usize];
        let (file, row) = (c.file as usize, c.row);
        let Some((key, span)) = Self::ref_key(row, field) else { return };
        let target = &self.schema.records[t as usize];
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
                let keys = &self.by_key[t as usize];
                let suggestion = (keys.len() <= SUGGEST_MAX_KEYS)
                    .then(|| did_you_mean(key, keys.keys().map(|k| &**k)))
                    .flatten()
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
        self.diags.push(file, d);
    }

    /// Numbers the rows and fills the columns. Every candidate becomes a row: rows are
    /// rejected only before linking (by their file, or for a repeated key).
    fn finish(mut self) -> Facts {
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
            table.by_key = std::mem::take(&mut self.by_key[k]);
            let alive = cands.len();
            table.columns = (0..rec.fields.len()).map(|_| Vec::with_capacity(alive)).collect();
            table.bad_by_field = vec![0; rec.fields.len()];
            table.first_bad = vec![None; rec.fields.len()];
            table.origins.reserve(alive);
            for (ci, c) in cands.iter().enumerate() {
                let row = table.origins.len() as u32;
                table.origins.push(RowOrigin { file: c.file, line: c.row.line, key: c.key.clone() });
                let mut flawed = false;
                for (field, column) in table.columns.iter_mut().enumerate() {
                    let bad = |why: &Arc<str>| (row, field as u32, why.clone());
                    let (value, bad) = match c.row.values.get(field) {
                        None | Some(None) => (None, None),
                        Some(Some(Cell::Value(v))) => (Some(v.clone()), None),
                        Some(Some(Cell::Bad(why))) => (None, Some(bad(why))),
                        Some(Some(Cell::UnresolvedRef { .. })) => match ref_slot[field] {
                            Some(j) => {
                                let target = targets[ci * refs.len() + j];
                                let t = refs[j].1;
                                if target != NONE {
                                    (Some(Value::Ref(t, target)), None)
                                } else {
                                    // INVARIANT: `resolve` gave every reference that does not
                                    // reach a row its reason.
                                    let why = self.bad_refs.get(&(k as RecordId, ci as u32, field as u32));
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
        }
        Facts {
            files: self.files.iter().map(|f| f.path.clone()).collect(),
            tables: self.tables,
            diagnostics: self.diags.finish(),
        }
    }
}
