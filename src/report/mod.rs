//! Verdicts and diagnostics → text a person reads, JSON a program reads, or a workbook.

mod agenda;
mod diagnostics;
mod diff;
mod html;
mod human;
mod json;
pub mod messages;
mod notice;
mod xlsx;

pub use agenda::Agenda;
pub use diagnostics::{Sources, locations, render_diagnostics};
pub use diff::diff_human;
pub use html::{PlanOutline, Site, html};
pub use human::{FOLD_OVER, HumanOptions, Only, Tally, explain, human, human_with, section_of, write_human};
pub use notice::{NOTICE_LIST, notice};
pub use xlsx::{sheet_names, workbook};

use crate::diagnostic::{Diagnostic, Severity};
use crate::eval::Verdicts;
use serde::Serialize;
use serde::ser::{SerializeStruct, Serializer};
use std::io;

/// The report as JSON: `{ "plan", "as_of", "summary", "verdicts": [...] }`.
pub fn json<V: Verdicts + ?Sized>(report: &V) -> String {
    in_memory(|w| write_json(&Streamed(report), w))
}

/// Text written by `write` into memory.
fn in_memory(write: impl FnOnce(&mut dyn io::Write) -> io::Result<()>) -> String {
    let mut out = Vec::new();
    write(&mut out).expect("writing to memory does not fail");
    String::from_utf8(out).expect("a report is UTF-8")
}

/// A report as JSON, its verdicts written out and serialised one at a time: the members of
/// [`crate::eval::Report`], in its order.
struct Streamed<'a, V: ?Sized>(&'a V);

impl<V: Verdicts + ?Sized> Serialize for Streamed<'_, V> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let r = self.0;
        let mut st = s.serialize_struct("Report", 6)?;
        st.serialize_field("plan", r.plan())?;
        match r.plan_title() {
            Some(t) => st.serialize_field("plan_title", t)?,
            None => st.skip_field("plan_title")?,
        }
        match r.language() {
            Some(l) => st.serialize_field("language", &l)?,
            None => st.skip_field("language")?,
        }
        st.serialize_field("as_of", &r.as_of().to_string())?;
        st.serialize_field("summary", r.summary())?;
        st.serialize_field("verdicts", &Each(r))?;
        st.end()
    }
}

/// The verdicts of a report, each written out as it is serialised.
struct Each<'a, V: ?Sized>(&'a V);

impl<V: Verdicts + ?Sized> Serialize for Each<'_, V> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq((0..self.0.count()).map(|i| self.0.verdict_at(i)))
    }
}

/// The layout of every JSON document writ writes: serde_json's pretty layout (two spaces a
/// level), except that each element of an array that is a member of the document (a verdict of
/// `verdicts`, a diagnostic of `diagnostics`, a fact of `facts` in `writ explain`) is written
/// on one line, without spaces, as `serde_json::to_string` writes it. A report of a million
/// verdicts is a million lines that `grep` and a line-by-line diff can read, and a third
/// smaller than the pretty layout; the document still parses to the same data.
pub(crate) struct JsonLayout {
    /// Arrays and objects open, the document itself included.
    open: usize,
    /// Whether an element of an array that is a member of the document is being written: on
    /// one line, until that array is the innermost open again.
    flat: bool,
    /// Whether the innermost array or object written in the pretty layout has a value yet.
    has_value: bool,
}

impl JsonLayout {
    /// How many are open while an element of a member of the document is written: the
    /// document and the array.
    const ELEMENTS: usize = 2;

    /// `value` written to `w` in this layout, as a value `open` levels deep into a document
    /// (0: the document itself).
    pub(crate) fn write<T: Serialize + ?Sized>(value: &T, open: usize, w: impl io::Write) -> serde_json::Result<()> {
        let layout = JsonLayout { open, flat: false, has_value: false };
        value.serialize(&mut serde_json::Serializer::with_formatter(w, layout))
    }

    /// A line break (after `lead`) and the indent of the level open.
    fn indent<W: ?Sized + io::Write>(&self, w: &mut W, lead: &[u8]) -> io::Result<()> {
        w.write_all(lead)?;
        for _ in 0..self.open {
            w.write_all(b"  ")?;
        }
        Ok(())
    }

    /// What comes before a member or an element: a comma unless it is the first, and in the
    /// pretty layout a line break and the indent.
    fn separate<W: ?Sized + io::Write>(&self, w: &mut W, first: bool) -> io::Result<()> {
        match (self.flat, first) {
            (true, true) => Ok(()),
            (true, false) => w.write_all(b","),
            (false, _) => self.indent(w, if first { b"\n" } else { b",\n" }),
        }
    }

    fn begin<W: ?Sized + io::Write>(&mut self, w: &mut W, bracket: &[u8]) -> io::Result<()> {
        self.open += 1;
        self.has_value = false;
        w.write_all(bracket)
    }

    fn end<W: ?Sized + io::Write>(&mut self, w: &mut W, bracket: &[u8]) -> io::Result<()> {
        self.open -= 1;
        if !self.flat && self.has_value {
            self.indent(w, b"\n")?;
        }
        w.write_all(bracket)
    }
}

impl serde_json::ser::Formatter for JsonLayout {
    fn begin_array<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.begin(w, b"[")
    }

    fn end_array<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.end(w, b"]")
    }

    fn begin_array_value<W: ?Sized + io::Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        self.separate(w, first)?;
        self.flat |= self.open == Self::ELEMENTS;
        Ok(())
    }

    fn end_array_value<W: ?Sized + io::Write>(&mut self, _w: &mut W) -> io::Result<()> {
        self.flat &= self.open != Self::ELEMENTS;
        self.has_value = true;
        Ok(())
    }

    fn begin_object<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.begin(w, b"{")
    }

    fn end_object<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.end(w, b"}")
    }

    fn begin_object_key<W: ?Sized + io::Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        self.separate(w, first)
    }

    fn begin_object_value<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        w.write_all(if self.flat { b":" } else { b": " })
    }

    fn end_object_value<W: ?Sized + io::Write>(&mut self, _w: &mut W) -> io::Result<()> {
        self.has_value = true;
        Ok(())
    }
}

/// `doc` as JSON text in the layout of [`JsonLayout`], escaped as [`crate::text::json_escaped`]
/// escapes it: what `writ … --format json` prints.
pub fn json_text<T: Serialize + ?Sized>(doc: &T) -> String {
    in_memory(|w| write_json(doc, w))
}

/// JSON of `doc` in the layout of [`JsonLayout`] written to `w` as it is serialised, with the
/// characters serde_json leaves raw escaped as [`crate::text::json_escaped`] escapes them.
fn write_json<T: Serialize + ?Sized>(doc: &T, w: &mut dyn io::Write) -> io::Result<()> {
    let mut escaped = JsonEscaper { inner: w, pending: Vec::new() };
    // serde_json writes a few bytes at a time: gathered first, they are looked at in blocks.
    let mut gathered = io::BufWriter::with_capacity(1 << 16, &mut escaped);
    JsonLayout::write(doc, 0, &mut gathered)?;
    io::Write::flush(&mut gathered)?;
    drop(gathered);
    escaped.finish()
}

/// The bytes that begin a character [`crate::text::json_escaped`] escapes: C0 controls other
/// than layout, DEL, and the first byte of the UTF-8 of every C1 control, bidirectional and
/// invisible character (U+0080–U+009F and U+00AD: C2; U+034F: CD; U+061C: D8; U+180E: E1;
/// U+200B–U+206x: E2; U+FEFF: EF). Text without them is written as it is.
const ESCAPE_LEAD: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 0x20 {
        t[b] = !matches!(b as u8, b'\n' | b'\t' | b'\r');
        b += 1;
    }
    t[0x7f] = true;
    t[0xc2] = true;
    t[0xcd] = true;
    t[0xd8] = true;
    t[0xe1] = true;
    t[0xe2] = true;
    t[0xef] = true;
    t
};

/// Passes JSON text through, writing what [`crate::text::json_escaped`] escapes as `\uXXXX`.
/// A character cut between two writes is held until its end arrives.
struct JsonEscaper<'w> {
    inner: &'w mut dyn io::Write,
    pending: Vec<u8>,
}

impl JsonEscaper<'_> {
    fn finish(self) -> io::Result<()> {
        if self.pending.is_empty() { Ok(()) } else { self.inner.write_all(&self.pending) }
    }
}

impl io::Write for JsonEscaper<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.write_all(buf)?;
        Ok(buf.len())
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        if self.pending.is_empty() && !buf.iter().any(|&b| ESCAPE_LEAD[b as usize]) {
            return self.inner.write_all(buf);
        }
        let mut bytes = std::mem::take(&mut self.pending);
        bytes.extend_from_slice(buf);
        let (text, rest) = match std::str::from_utf8(&bytes) {
            Ok(t) => (t, &[][..]),
            Err(e) if e.error_len().is_none() => {
                let (valid, rest) = bytes.split_at(e.valid_up_to());
                (std::str::from_utf8(valid).unwrap_or_default(), rest)
            }
            // Not UTF-8: serde_json writes only UTF-8, so this is not reached; pass it on.
            Err(_) => return self.inner.write_all(&bytes),
        };
        let mut out = String::with_capacity(text.len() + 16);
        for c in text.chars() {
            if crate::text::needs_escape(c, crate::text::Keep::Layout) && c != '\r' {
                use std::fmt::Write;
                let _ = write!(out, "\\u{:04x}", c as u32);
            } else {
                out.push(c);
            }
        }
        self.inner.write_all(out.as_bytes())?;
        self.pending = rest.to_vec();
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// A diagnostic as `--format json` gives it: where it is as a line and column rather than
/// byte offsets, so that a program reading the JSON needs no file to make sense of it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct JsonDiagnostic {
    pub code: &'static str,
    pub severity: Severity,
    pub message: String,
    pub file: String,
    /// 1-based; `null` where there is no text to count in (a workbook, whose diagnostics name
    /// the cell in their message, or the command line).
    pub line: Option<usize>,
    /// 1-based, in characters.
    pub column: Option<usize>,
    pub help: Option<String>,
}

impl JsonDiagnostic {
    /// The diagnostics with their places, found in `sources`.
    pub fn all(diags: &[Diagnostic], sources: &Sources) -> Vec<JsonDiagnostic> {
        let places = locations(diags, sources);
        diags
            .iter()
            .zip(places)
            .map(|(d, at)| JsonDiagnostic {
                code: d.code,
                severity: d.severity,
                message: d.message.clone(),
                file: d.file.to_string(),
                line: at.map(|a| a.0),
                column: at.map(|a| a.1),
                help: d.help.clone(),
            })
            .collect()
    }
}

/// Whether the input was read whole, for a program that reads the JSON and not the exit code.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct InputSummary {
    /// No fact diagnostic is an error and no record was rejected: every verdict rests on all
    /// the input given.
    pub complete: bool,
    /// Some records were never read at all (a file that does not parse, a sheet or kind the
    /// policy does not declare): they are in no count of `summary.records`.
    pub unread: bool,
    /// Records read and rejected, over all kinds (each kind's are in `summary.records`).
    pub rejected: usize,
    /// Records kept with a field that could not be read, over all kinds: what needs that
    /// field is `unknown`.
    pub unreadable_fields: usize,
    pub errors: usize,
    pub warnings: usize,
}

/// A JSON document of a command that read facts (`eval`, `agenda`, `explain`): its own
/// members, then what the input lost and every diagnostic.
#[derive(Serialize)]
struct WithInput<'a, T: Serialize> {
    /// The document's own members come first, as they are; new ones appear without change here.
    #[serde(flatten)]
    body: &'a T,
    input: &'a InputSummary,
    diagnostics: &'a [JsonDiagnostic],
}

/// The report as JSON with the input's accounting and diagnostics:
/// `{ "plan", "as_of", "summary", "verdicts": [...], "input": {...}, "diagnostics": [...] }`.
pub fn json_with<V: Verdicts + ?Sized>(report: &V, input: &InputSummary, diagnostics: &[JsonDiagnostic]) -> String {
    in_memory(|w| write_json_with(report, input, diagnostics, w))
}

/// Writes the JSON [`json_with`] gives to `w`, a verdict at a time: the report is never held
/// whole, as data or as text. The same text as serde gives for `WithInput` over `Streamed`,
/// written directly ([`json::write_report`]).
pub fn write_json_with<V: Verdicts + ?Sized>(
    report: &V,
    input: &InputSummary,
    diagnostics: &[JsonDiagnostic],
    w: &mut dyn io::Write,
) -> io::Result<()> {
    json::write_report(report, input, diagnostics, w)
}

/// Any document of a command that read facts, with `input` and `diagnostics` added after its
/// own members.
pub fn json_with_input<T: Serialize>(body: &T, input: &InputSummary, diagnostics: &[JsonDiagnostic]) -> String {
    in_memory(|w| write_json(&WithInput { body, input, diagnostics }, w))
}

/// `writ eval --format json` when the input could not be evaluated at all (a policy with
/// errors, a fact path that cannot be read): no verdicts, the input marked unread, and the
/// diagnostics that say why.
pub fn json_failed(as_of: crate::value::Date, diagnostics: &[JsonDiagnostic]) -> String {
    let errors = diagnostics.iter().filter(|d| d.severity == Severity::Error).count();
    let input = InputSummary {
        complete: false,
        unread: true,
        rejected: 0,
        unreadable_fields: 0,
        errors,
        warnings: diagnostics.len() - errors,
    };
    let doc = serde_json::json!({
        "as_of": as_of.to_string(),
        "verdicts": [],
        "input": input,
        "diagnostics": diagnostics,
    });
    json_text(&doc)
}

/// Items laid out together when a report is laid out on several threads.
const BLOCK: usize = 2048;

/// Items a report lists before it is laid out on several threads ([`write_in_blocks`]).
const ON_THREADS_FROM: usize = 2 * BLOCK;

/// Writes the text of `count` items (verdicts, in the order the report lists them) to `w`, in
/// order, laid out on `threads` threads: thread `t` lays out blocks `t`, `t + threads`, … of
/// [`BLOCK`] items, each thread with its own `state()`, `lay_out(state, k, text)` appending
/// item `k` and `finish` making a block's text the text written; this thread writes the blocks
/// in order. Each thread holds at most two blocks laid out and not yet written, so the text held
/// does not grow with the report. When an item's text depends on that item alone, it is the
/// text one thread would write.
fn write_in_blocks<S>(
    count: usize,
    threads: usize,
    w: &mut dyn io::Write,
    state: impl Fn() -> S + Sync,
    lay_out: impl Fn(&mut S, usize, &mut String) -> io::Result<()> + Sync,
    finish: impl Fn(String) -> String + Sync,
) -> io::Result<()> {
    let blocks = count.div_ceil(BLOCK);
    let threads = threads.clamp(1, blocks.max(1));
    let (state, lay_out, finish) = (&state, &lay_out, &finish);
    std::thread::scope(|s| {
        let mut laid_out = Vec::with_capacity(threads);
        for t in 0..threads {
            let (send, receive) = std::sync::mpsc::sync_channel::<io::Result<String>>(2);
            laid_out.push(receive);
            s.spawn(move || {
                let mut st = state();
                for b in (t..blocks).step_by(threads) {
                    let mut text = String::new();
                    let block =
                        (b * BLOCK..count.min((b + 1) * BLOCK)).try_for_each(|k| lay_out(&mut st, k, &mut text));
                    let failed = block.is_err();
                    // Stops once the writer has (it could not write), or this block failed.
                    if send.send(block.map(|()| finish(text))).is_err() || failed {
                        return;
                    }
                }
            });
        }
        for b in 0..blocks {
            let text = laid_out[b % threads]
                .recv()
                .map_err(|_| io::Error::other("a thread laying out the report stopped"))??;
            w.write_all(text.as_bytes())?;
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_character_json_escapes_begins_with_a_marked_byte() {
        let mut buf = [0u8; 4];
        for c in (0..=0x10FFFFu32).filter_map(char::from_u32) {
            if crate::text::needs_escape(c, crate::text::Keep::Layout) && c != '\r' {
                let first = c.encode_utf8(&mut buf).as_bytes()[0];
                assert!(ESCAPE_LEAD[first as usize], "U+{:04X}", c as u32);
            }
        }
    }

    /// A report with every optional member, hostile text and an empty one, written directly
    /// and by serde.
    #[test]
    fn json_written_directly_is_the_json_serde_writes() {
        use crate::eval::{Computed, Evidence, FactRef, Report, SanctionOut, Status, Subject, Summary, Verdict};
        let odd = "乙\u{202E}廠\u{85}\u{7f}\u{1b}\n\t\r\"q\"\\\u{AD}\u{FEFF}";
        let date = crate::value::Date::from_ymd(2019, 12, 31);
        let full = Verdict {
            id: format!("c/{odd}/1"),
            clause: "c".into(),
            title: Some(odd.into()),
            cite: Some("一".into()),
            cite_text: Some(format!("“{odd}”")),
            status: Status::Violated,
            modality: "must",
            requirement: format!("must x.{odd} >= 1"),
            subject: vec![
                Subject { kind: "party".into(), key: odd.into() },
                Subject { kind: "k".into(), key: "2".into() },
            ],
            deadline: date,
            rolled_from: date,
            done_on: date,
            parties: [("lead".to_string(), vec![odd.to_string(), "b".into()]), ("none".to_string(), vec![])]
                .into_iter()
                .collect(),
            parties_unknown: vec![format!("lead `x.{odd}`: missing")],
            decided: vec![],
            evidence: vec![Evidence {
                left: odd.into(),
                left_value: "1".into(),
                op: ">=".into(),
                right: "2".into(),
                right_value: odd.into(),
                holds: None,
            }],
            computed: vec![Computed { expr: odd.into(), value: "3".into() }],
            facts: vec![FactRef { file: odd.into(), kind: "k".into(), key: odd.into(), line: 7 }],
            more_facts: 3,
            sanctions: vec![SanctionOut { name: "s".into(), text: Some(odd.into()), on: None }],
            reason: Some(odd.into()),
        };
        let bare = Verdict {
            title: None,
            cite: None,
            cite_text: None,
            subject: vec![],
            deadline: None,
            rolled_from: None,
            done_on: None,
            parties: Default::default(),
            parties_unknown: vec![],
            evidence: vec![],
            computed: vec![],
            facts: vec![],
            more_facts: 0,
            sanctions: vec![],
            reason: None,
            ..full.clone()
        };
        let summary = Summary { verdicts: 2, by_status: Default::default(), records: Default::default() };
        let input =
            InputSummary { complete: false, unread: false, rejected: 1, unreadable_fields: 0, errors: 0, warnings: 1 };
        let diagnostics = [JsonDiagnostic {
            code: "c",
            severity: Severity::Warning,
            message: odd.into(),
            file: odd.into(),
            line: Some(1),
            column: None,
            help: None,
        }];
        for (title, verdicts) in [(Some(odd), vec![full, bare]), (None, vec![])] {
            let report = Report {
                plan: odd.into(),
                plan_title: title.map(str::to_string),
                language: title.map(|_| crate::lang::Lang::ZhHant),
                as_of: date.unwrap(),
                summary: summary.clone(),
                verdicts,
                roles: vec![],
            };
            for diagnostics in [&diagnostics[..], &[]] {
                let by_serde =
                    in_memory(|w| write_json(&WithInput { body: &Streamed(&report), input: &input, diagnostics }, w));
                assert_eq!(json_with(&report, &input, diagnostics), by_serde);
            }
        }
    }

    #[test]
    fn documents_are_pretty_down_to_the_elements_of_their_arrays() {
        // Members in the order of their names, whether or not serde_json keeps insertion order.
        let doc = serde_json::json!({
            "a": "p",
            "b": { "n": 1, "o": { "x": 1 } },
            "c": [{ "e": [], "f": [{ "l": 1 }, { "l": 2 }], "i": "x\ny" }, "s", [1, [2]], {}],
            "d": [],
            "e": { "l": [1, { "a": [2] }] },
            "f": {},
        });
        let expected = r#"{
  "a": "p",
  "b": {
    "n": 1,
    "o": {
      "x": 1
    }
  },
  "c": [
    {"e":[],"f":[{"l":1},{"l":2}],"i":"x\ny"},
    "s",
    [1,[2]],
    {}
  ],
  "d": [],
  "e": {
    "l": [
      1,
      {
        "a": [
          2
        ]
      }
    ]
  },
  "f": {}
}"#;
        let text = json_text(&doc);
        assert_eq!(text, expected);
        assert_eq!(serde_json::from_str::<serde_json::Value>(&text).unwrap(), doc);
        // A member written alone, as the JSON report writes `summary` and `diagnostics`, is
        // laid out as it is inside the document.
        let mut member = Vec::new();
        JsonLayout::write(&doc["c"], 1, &mut member).unwrap();
        let member = String::from_utf8(member).unwrap();
        assert!(expected.contains(&format!("\"c\": {member},")), "{member}");
    }

    #[test]
    fn streamed_json_is_json_escaped_whatever_the_writes() {
        let text = "a\u{202E}b\u{7f}c\u{85}d\u{AD}e\u{FEFF}f\u{200B}\r\n\t陽泉\u{1b}";
        let doc = serde_json::json!({ "k": text, "列表": [text, "plain"] });
        let mut raw = Vec::new();
        JsonLayout::write(&doc, 0, &mut raw).unwrap();
        let raw = String::from_utf8(raw).unwrap();
        let whole = crate::text::json_escaped(raw.clone());
        assert_eq!(in_memory(|w| write_json(&doc, w)), whole);
        // The same bytes cut anywhere, even inside a character.
        for cut in 1..raw.len() {
            let mut out = Vec::new();
            let mut e = JsonEscaper { inner: &mut out, pending: Vec::new() };
            io::Write::write_all(&mut e, &raw.as_bytes()[..cut]).unwrap();
            io::Write::write_all(&mut e, &raw.as_bytes()[cut..]).unwrap();
            e.finish().unwrap();
            assert_eq!(String::from_utf8(out).unwrap(), whole, "cut at {cut}");
        }
    }
}
