//! Fact keys that look like another key, or like a key a clause names, without being it.
//!
//! Keys are matched exactly. A fact key with a zero width space, or with a Cyrillic `С` for a
//! Latin `C`, is another key: `for e in 企業["陽泉市水泵廠"]` then finds no record, and its
//! verdicts are `unknown` although the record is right there on screen. Each such key gets a
//! warning at the key in the fact file, naming the key it looks like and where that is. So does
//! a fact key that is a key a clause names written in the other Chinese script (`阳泉市水泵厂`
//! for `陽泉市水泵廠`): names of kinds, fields, values and parties are read in either script,
//! but keys never are, so the warning says why the named subject is not found.

use crate::diagnostic::{Diagnostic, Span};
use crate::facts::{Facts, FileFacts};
use crate::model::{Model, RecordId, ScopeSource, TKind, TStmt};
use crate::script::fold;
use crate::text::{has_lookalikes, lookalike, shown, skeleton};
use crate::value::Value;
use std::collections::HashMap;
use std::sync::Arc;

/// At most this many warnings: one hostile file must not bury everything else.
const MAX_WARNINGS: usize = 100;

/// A key a clause names: the key, the policy file and span where it is written, the clause.
type Named<'m> = (Arc<str>, &'m Arc<str>, Span, &'m str);

/// Warnings for fact keys that look like another key of their kind, or like a key that a
/// clause names and that the facts lack. `files` are the fact files `facts` was linked from.
pub fn lookalike_keys(model: &Model, facts: &Facts, files: &[&FileFacts]) -> Vec<Diagnostic> {
    let mut diags = Vec::new();
    // The keys clauses name, by kind, with where each is written.
    let mut named: Vec<Vec<Named>> = vec![Vec::new(); facts.tables.len()];
    for c in &model.clauses {
        named_keys(&c.body, &mut |kind, key, span| {
            if let Some(v) = named.get_mut(kind.index()) {
                v.push((key, &c.origin.file, span, c.name.as_str()));
            }
        });
    }
    for (kind, table) in facts.tables.iter().enumerate() {
        // A keyless record's key is where it was read (`file.csv:25`), which no one typed.
        if model.records[kind].keyless {
            continue;
        }
        let record = &model.records[kind].name;
        // Keys that a skeleton changes, by skeleton: the first row with each.
        let mut odd: HashMap<String, u32> = HashMap::new();
        // Keys all in ASCII have no lookalike character (millions of readings numbered).
        let rows = if table.by_key.is_ascii() { 0 } else { table.len() as u32 };
        for row in 0..rows {
            let o = table.origin(row);
            if !has_lookalikes(o.key) {
                continue;
            }
            let look = skeleton(o.key);
            let twin = table.by_key.get(look.as_str()).or_else(|| odd.get(&look).copied());
            match twin {
                Some(t) if facts.key_of(RecordId::at(kind), t) != o.key => {
                    let other = table.origin(t);
                    let why = lookalike(o.key, other.key).unwrap_or_default();
                    let (file, span) = key_place(facts, files, RecordId::at(kind), o.file, o.line);
                    let (ofile, ospan) = key_place(facts, files, RecordId::at(kind), other.file, other.line);
                    diags.push(
                        Diagnostic::warning(
                            "confusable-key",
                            &file,
                            span,
                            format!(
                                "the {record} key `{}` (line {}) looks like the key `{}` (line {}) ({why})",
                                shown(o.key),
                                o.line,
                                shown(other.key),
                                other.line
                            ),
                        )
                        .with_label("this key")
                        .with_secondary_in(&ofile, ospan, "looks like this key")
                        .with_help(
                            "keys are matched exactly, so these are two records; correct the key that was \
                             mistyped or pasted with a hidden character",
                        ),
                    );
                }
                _ => {
                    odd.entry(look).or_insert(row);
                }
            }
        }
        // Keys by their script fold, built when a named key is missing: only keys with a
        // character outside ASCII can fold to another key.
        let mut folded: Option<HashMap<String, u32>> = None;
        for (key, pfile, pspan, clause) in &named[kind] {
            if table.by_key.contains_key(key) {
                continue;
            }
            let look = skeleton(key);
            let found = table.by_key.get(look.as_str()).or_else(|| odd.get(&look).copied());
            let Some(row) = found.or_else(|| {
                if key.is_ascii() {
                    return None;
                }
                let folded = folded.get_or_insert_with(|| {
                    let mut m = HashMap::new();
                    for row in 0..table.len() as u32 {
                        let k = table.origin(row).key;
                        if !k.is_ascii() {
                            m.entry(fold(k).into_owned()).or_insert(row);
                        }
                    }
                    m
                });
                folded.get(fold(key).as_ref()).copied()
            }) else {
                continue;
            };
            let o = table.origin(row);
            let why = lookalike(key, o.key)
                .unwrap_or_else(|| "the same name in the other Chinese script; keys are not folded".into());
            let (file, span) = key_place(facts, files, RecordId::at(kind), o.file, o.line);
            diags.push(
                Diagnostic::warning(
                    "confusable-key",
                    &file,
                    span,
                    format!(
                        "the {record} key `{}` (line {}) looks like `{}`, which clause `{}` names, but is not it ({why})",
                        shown(o.key),
                        o.line,
                        shown(key),
                        shown(clause)
                    ),
                )
                .with_label("this key")
                .with_secondary_in(pfile, *pspan, "the clause names this key")
                .with_help(format!(
                    "keys are matched exactly, so the clause finds no record `{}` and its verdicts are \
                     unknown; correct the key in the facts or in the policy",
                    shown(key)
                )),
            );
        }
        if diags.len() >= MAX_WARNINGS {
            diags.truncate(MAX_WARNINGS);
            break;
        }
    }
    diags
}

/// Calls `f` with each constant key of a `for x in Record["key", …]` scope.
fn named_keys(stmts: &[TStmt], f: &mut impl FnMut(RecordId, Arc<str>, Span)) {
    for s in stmts {
        match s {
            TStmt::For(d) => {
                if let ScopeSource::Keys(kind, keys) = &d.source {
                    for k in keys {
                        if let TKind::Const(Value::Text(t)) = &k.kind {
                            f(*kind, t.clone(), k.span);
                        }
                    }
                }
                named_keys(&d.body, f);
            }
            TStmt::Every(e) => named_keys(&e.body, f),
            TStmt::Let(..) | TStmt::Require(_) => {}
        }
    }
}

/// The file and span of the key of the row of `kind` read at `line` of fact file `file`; the
/// start of the file when the row cannot be found (a workbook's cells have no byte spans).
fn key_place(facts: &Facts, files: &[&FileFacts], kind: RecordId, file: u32, line: u32) -> (Arc<str>, Span) {
    let path = facts.files.get(file as usize).cloned().unwrap_or_else(|| Arc::from("<facts>"));
    let span = files.iter().filter(|f| f.path == path).find_map(|f| f.rows.key_span_at(kind, line)).unwrap_or_default();
    (path, span)
}
