//! The JSON report written as text: the members serde would write for
//! [`super::WithInput`] over [`super::Streamed`], in their order and in the layout of
//! [`super::JsonLayout`] (each verdict on one line), escaped as [`crate::text::json_escaped`]
//! escapes them. A verdict of an evaluation is written from its compact record, with what is
//! the same for every verdict of a requirement serialised once; any other verdict is
//! serialised by serde.

use super::{InputSummary, JsonDiagnostic};
use crate::eval::{ConstTexts, Evaluation, Verdicts};
use crate::text::{json_escaped, push_json_str};
use crate::value::Date;
use rustc_hash::FxHashMap;
use serde::Serialize;
use std::fmt::Write;
use std::io;

/// How much text is gathered before it is written out.
const CHUNK: usize = 1 << 16;

/// `value` laid out as [`super::JsonLayout`] lays out a member of a document (`depth` 1), escaped.
fn nested<T: Serialize + ?Sized>(value: &T, depth: usize) -> io::Result<String> {
    let mut text = Vec::new();
    super::JsonLayout::write(value, depth, &mut text)?;
    Ok(json_escaped(String::from_utf8(text).expect("serde_json writes UTF-8")))
}

/// `value` on one line, as [`super::JsonLayout`] lays out the elements of the document's arrays
/// (a verdict) and all they hold, escaped.
fn flat<T: Serialize + ?Sized>(value: &T) -> io::Result<String> {
    Ok(json_escaped(serde_json::to_string(value)?))
}

/// Writes `{ "plan", "plan_title"?, "language"?, "as_of", "summary", "verdicts": [...], "input",
/// "diagnostics" }` to `w`, a chunk at a time.
pub(super) fn write_report<V: Verdicts + ?Sized>(
    r: &V,
    input: &InputSummary,
    diagnostics: &[JsonDiagnostic],
    w: &mut dyn io::Write,
) -> io::Result<()> {
    let mut out = String::with_capacity(2 * CHUNK);
    out.push_str("{\n  \"plan\": ");
    push_json_str(&mut out, r.plan());
    if let Some(t) = r.plan_title() {
        out.push_str(",\n  \"plan_title\": ");
        push_json_str(&mut out, t);
    }
    if let Some(l) = r.language() {
        out.push_str(",\n  \"language\": ");
        push_json_str(&mut out, l.tag());
    }
    out.push_str(",\n  \"as_of\": ");
    push_json_str(&mut out, &r.as_of().to_string());
    out.push_str(",\n  \"summary\": ");
    out.push_str(&nested(r.summary(), 1)?);
    out.push_str(",\n  \"verdicts\": [");
    let n = r.count();
    match r.evaluation() {
        Some(e) if e.threads > 1 && n >= super::ON_THREADS_FROM => {
            w.write_all(out.as_bytes())?;
            out.clear();
            let lay_out = |records: &mut Records, i, text: &mut String| {
                text.push_str(separator(i));
                records.write(i, text)
            };
            super::write_in_blocks(n, e.threads, w, || Records::new(e), lay_out, |text| text)?;
        }
        evaluation => {
            let mut records = evaluation.map(Records::new);
            for i in 0..n {
                out.push_str(separator(i));
                match &mut records {
                    Some(records) => records.write(i, &mut out)?,
                    None => out.push_str(&flat(&*r.verdict_at(i))?),
                }
                if out.len() >= CHUNK {
                    w.write_all(out.as_bytes())?;
                    out.clear();
                }
            }
        }
    }
    out.push_str(if n == 0 { "]" } else { "\n  ]" });
    out.push_str(",\n  \"input\": ");
    out.push_str(&nested(input, 1)?);
    out.push_str(",\n  \"diagnostics\": ");
    out.push_str(&nested(diagnostics, 1)?);
    out.push_str("\n}");
    w.write_all(out.as_bytes())
}

/// What comes before verdict `i` in the array of verdicts.
fn separator(i: usize) -> &'static str {
    if i == 0 { "\n    " } else { ",\n    " }
}

/// The verdicts of an evaluation written as JSON from their compact records, member for member
/// as serde writes a [`crate::eval::Verdict`] on one line (an element of `verdicts`).
struct Records<'e> {
    e: &'e Evaluation<'e>,
    /// Per requirement (by address), its members that are the same for each of its verdicts.
    reqs: FxHashMap<usize, Constant>,
    /// The text of the policy's constants in evidence.
    consts: ConstTexts,
    /// The id being written.
    id: String,
}

/// The members of a requirement's verdicts that do not change from one to the next, escaped
/// and laid out.
struct Constant {
    /// From after `id` up to the value of `status`: `clause`, `title`, `cite`, `cite_text`.
    head: String,
    /// From after `status` up to the value of `subject`: `modality`, `requirement`.
    tail: String,
    /// The value of `parties`, for a verdict none of whose subjects is a party.
    parties: String,
}

/// `"YYYY-MM-DD"`.
fn push_date(out: &mut String, d: Date) {
    let _ = write!(out, "\"{d}\"");
}

/// Appends a member of a verdict whose value is an array of objects, on one line: `[]`, or
/// `[{…},{…}]`, `members` writing the members of each.
fn push_objects<T>(out: &mut String, items: impl IntoIterator<Item = T>, mut members: impl FnMut(&mut Object, T)) {
    let mut empty = true;
    for item in items {
        out.push_str(if empty { "[{" } else { ",{" });
        empty = false;
        members(&mut Object { out, first: true }, item);
        out.push('}');
    }
    out.push_str(if empty { "[]" } else { "]" });
}

/// The members of one object of [`push_objects`], written in order.
struct Object<'o> {
    out: &'o mut String,
    first: bool,
}

impl Object<'_> {
    /// Starts the member `name`: the text its value is appended to.
    fn key(&mut self, name: &str) -> &mut String {
        self.out.push_str(if self.first { "\"" } else { ",\"" });
        self.first = false;
        self.out.push_str(name);
        self.out.push_str("\":");
        self.out
    }

    /// A member whose value is a string.
    fn str(&mut self, name: &str, value: &str) {
        push_json_str(self.key(name), value);
    }

    /// A member whose value is written as it is (`true`, `null`).
    fn raw(&mut self, name: &str, value: &str) {
        self.key(name).push_str(value);
    }
}

/// A string or `null`.
fn push_opt(out: &mut String, text: Option<&str>) {
    match text {
        Some(t) => push_json_str(out, t),
        None => out.push_str("null"),
    }
}

impl<'e> Records<'e> {
    fn new(e: &'e Evaluation<'e>) -> Records<'e> {
        Records { e, reqs: FxHashMap::default(), consts: ConstTexts::default(), id: String::new() }
    }

    /// The constant members of verdict `i`'s requirement.
    fn constant(e: &Evaluation, i: usize) -> io::Result<Constant> {
        let v = &e.recs[i];
        let clause = &e.model.clauses[v.clause.index()];
        let mut head = String::from(",\"clause\":");
        push_json_str(&mut head, &clause.name);
        head.push_str(",\"title\":");
        push_opt(&mut head, clause.title.as_deref());
        head.push_str(",\"cite\":");
        push_opt(&mut head, clause.cite.as_ref().map(|c| c.number.as_str()));
        head.push_str(",\"cite_text\":");
        push_opt(&mut head, clause.cite.as_ref().and_then(|c| c.text.as_deref()));
        head.push_str(",\"status\":");
        let mut tail = String::from(",\"modality\":");
        push_json_str(&mut tail, e.modality_of(i));
        tail.push_str(",\"requirement\":");
        push_json_str(&mut tail, &v.req.text);
        tail.push_str(",\"subject\":");
        let parties = flat(&e.parties(clause, std::iter::empty()))?;
        Ok(Constant { head, tail, parties })
    }

    /// Appends verdict `i`, from its `{` to its `}`.
    fn write(&mut self, i: usize, out: &mut String) -> io::Result<()> {
        let e = self.e;
        let v = &e.recs[i];
        out.push_str("{\"id\":");
        self.id.clear();
        e.write_id(i, &mut self.id);
        push_json_str(out, &self.id);
        let c = match self.reqs.entry(v.req as *const _ as usize) {
            std::collections::hash_map::Entry::Occupied(c) => c.into_mut(),
            std::collections::hash_map::Entry::Vacant(slot) => slot.insert(Self::constant(e, i)?),
        };
        out.push_str(&c.head);
        out.push('"');
        out.push_str(v.status.name());
        out.push('"');
        out.push_str(&c.tail);

        let mut bound = false;
        push_objects(out, e.subject_of(i), |o, (kind, key)| {
            o.str("kind", kind);
            o.str("key", &key);
            bound |= kind == "party";
        });

        out.push_str(",\"deadline\":");
        match v.deadline {
            Some(d) => push_date(out, d),
            None => out.push_str("null"),
        }
        if let Some(d) = v.rolled_from() {
            out.push_str(",\"rolled_from\":");
            push_date(out, d);
        }
        if let Some(d) = v.done_on {
            out.push_str(",\"done_on\":");
            push_date(out, d);
        }

        out.push_str(",\"parties\":");
        if bound || !v.req.roles.is_empty() {
            let (parties, unknown) = e.parties_at(i);
            out.push_str(&flat(&parties)?);
            if !unknown.is_empty() {
                out.push_str(",\"parties_unknown\":");
                out.push_str(&flat(&unknown)?);
            }
        } else {
            out.push_str(&c.parties);
        }

        out.push_str(",\"evidence\":");
        push_objects(out, e.evidence_of(v, &mut self.consts).iter(), |o, ev| {
            o.str("left", &ev.left);
            o.str("left_value", &ev.left_value);
            o.str("op", &ev.op);
            o.str("right", &ev.right);
            o.str("right_value", &ev.right_value);
            o.raw(
                "holds",
                match ev.holds {
                    Some(true) => "true",
                    Some(false) => "false",
                    None => "null",
                },
            );
        });

        let computed = e.computed_of(v);
        if !computed.is_empty() {
            out.push_str(",\"computed\":");
            push_objects(out, computed.iter(), |o, c| {
                o.str("expr", &c.expr);
                o.str("value", &c.value);
            });
        }

        out.push_str(",\"facts\":");
        push_objects(out, e.cited[v.facts.range()].iter(), |o, &(kind, row)| {
            let (file, kind, key, line) = e.fact_of(kind, row);
            o.str("file", file);
            o.str("kind", kind);
            o.str("key", key);
            let _ = write!(o.key("line"), "{line}");
        });
        if v.more_facts > 0 {
            let _ = write!(out, ",\"more_facts\":{}", v.more_facts);
        }

        out.push_str(",\"sanctions\":");
        push_objects(out, e.sanctions_of(v).iter(), |o, s| {
            o.str("name", &s.name);
            push_opt(o.key("text"), s.text.as_deref());
            push_opt(o.key("on"), s.on.as_deref());
        });

        if let Some(r) = v.reason() {
            out.push_str(",\"reason\":");
            push_json_str(out, r);
        }
        out.push('}');
        Ok(())
    }
}
