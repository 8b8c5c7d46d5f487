//! The JSON fact reader: `{ "kind": [ { "field": value, … }, … ], … }`.
//!
//! A hand-written scanner rather than `serde_json`, for three reasons: numbers must reach
//! [`Decimal`](rust_decimal::Decimal) as their text, never as `f64`; every value needs its byte
//! span for diagnostics; and values go straight into rows, without a `serde_json::Value` tree in
//! between. Strings without escapes are borrowed from the input, so the only allocations per
//! value are the ones the stored [`Value`](crate::value::Value) itself needs.
//!
//! A kind named twice at the top level is read twice: its records add up, as if in one array.
//!
//! The scanner never recurses: the expected shape is three fixed levels (file, kind, record),
//! and anything deeper is skipped by a loop with an explicit stack, capped at [`MAX_DEPTH`].

use super::Loader;
use super::convert::{Raw, Scalar, trim};
use crate::diagnostic::{Diagnostic, Span, floor_char_boundary};
use crate::model::RecordId;
use std::borrow::Cow;
use std::io::BufRead;

/// Deeper nesting is a syntax error: fact records hold plain values, so only a broken or
/// hostile file nests this far.
const MAX_DEPTH: usize = 128;

/// Where a JSON fact file stopped being read.
pub(super) struct Stop {
    pub diagnostic: Diagnostic,
    /// The kind whose array was being read, when the error is inside one.
    pub kind: Option<RecordId>,
}

/// Reads a JSON fact file into `loader`. A syntax error stops the file and is returned; the
/// records read before it stay in `loader`, since each was read whole.
///
/// With `threads` above one, a large array of records is read in parts on that many threads
/// (see [`Parser::records`]); the result is the same as on one.
pub(super) fn read(loader: &mut Loader<'_>, text: &str, threads: usize) -> std::result::Result<(), Stop> {
    let mut p = Parser::new(loader, text);
    p.threads = threads;
    p.document().map_err(|e| Stop { diagnostic: e.into_diagnostic(&p.loader.path), kind: p.line_kind })
}

#[cfg(test)]
thread_local! {
    /// How many parts read on other threads this thread has taken: tests see that a file was
    /// indeed read in parts.
    pub(super) static PARTS_TAKEN: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// The least text a part of an array read on another thread covers.
const MIN_PART: usize = 2 << 20;
/// How far past the place it would cut an array at the reader looks for a record to begin.
const CUT_REACH: usize = 1 << 20;

/// Where, at or after `from`, a record of an array of records appears to begin on a line of
/// its own: a `{` after `}`, `,` and a line break (with blanks around them). Only where the
/// array is read up to it is it known to be one (the text could be inside a string).
fn record_start(b: &[u8], from: usize) -> Option<usize> {
    let end = b.len().min(from.saturating_add(CUT_REACH));
    let blank = |c: u8| matches!(c, b' ' | b'\t' | b'\r' | b'\n');
    let mut at = from;
    while at < end {
        let nl = at + b[at..end].iter().position(|&c| c == b'\n')?;
        at = nl + 1;
        let mut open = nl + 1;
        while open < b.len() && blank(b[open]) {
            open += 1;
        }
        if b.get(open) != Some(&b'{') {
            continue;
        }
        let mut k = nl;
        while k > 0 && blank(b[k - 1]) {
            k -= 1;
        }
        if k == 0 || b[k - 1] != b',' {
            continue;
        }
        k -= 1;
        while k > 0 && blank(b[k - 1]) {
            k -= 1;
        }
        if k > 0 && b[k - 1] == b'}' {
            return Some(open);
        }
    }
    None
}

/// How one stretch of an array of records was read, up to a place given.
#[derive(Debug, PartialEq, Eq)]
enum Stretch {
    /// The next record begins exactly there.
    Reached,
    /// No record begins there: the reading went past it.
    Passed,
    /// The array ended first (its `]` was read).
    Ended,
}

/// A part of an array of records read on a thread of its own: the rows, and where the part
/// ended (the next part's start, or just past the array's `]`) with the line there. Lines are
/// counted from 1 where the part starts: the thread that takes the part knows the line there,
/// having read up to it, and moves them on (counting the lines before a part of a large file
/// would read tens of MB again).
struct Part {
    rows: super::RowsBuilder,
    pos: usize,
    line: u32,
}

/// Reads the records of `kind` from `start` (where one is believed to begin) until the next
/// record would begin at `until`, or, without `until`, to the end of the array. `None` when
/// the part cannot be taken as it is: reading went past `until` or ended before it, the
/// text is not plain well-formed records, or anything read asks for a diagnostic (which
/// must come in the file's order, and is then left to the reading on one thread), or when
/// `cancel` is set.
fn read_part(
    schema: super::Schema<'_>,
    path: &std::sync::Arc<str>,
    text: &str,
    (start, until): (usize, Option<usize>),
    kind: RecordId,
    cancel: &std::sync::atomic::AtomicBool,
) -> Option<Part> {
    use std::sync::atomic::Ordering;
    let mut loader = Loader::new(schema, path);
    let mut p = Parser::new(&mut loader, text);
    p.s.pos = start;
    p.s.line = 1;
    loop {
        if cancel.load(Ordering::Relaxed) {
            return None;
        }
        match until {
            Some(u) if p.s.pos == u => break,
            Some(u) if p.s.pos > u => return None,
            _ => {}
        }
        if p.s.peek() != Some(b'{') {
            return None;
        }
        p.record(kind).ok()?;
        if !p.loader.clean() {
            return None;
        }
        p.s.ws();
        if p.s.eat(b']') {
            if until.is_some() {
                return None;
            }
            break;
        }
        if !p.s.eat(b',') {
            return None;
        }
        p.s.ws();
    }
    let (pos, line) = (p.s.pos, p.s.line);
    Some(Part { rows: std::mem::take(&mut loader.rows), pos, line })
}

/// The member of an NDJSON record that names its kind.
pub(super) const KIND_MEMBER: &str = "kind";

/// The longest NDJSON line read, in bytes. A longer line is rejected unread, so that no line
/// takes memory without bound; a real record is a few hundred bytes.
pub const MAX_LINE: usize = 8 * 1024 * 1024;

/// Reads an NDJSON fact file into `loader`: one JSON object per line, each naming its record
/// kind in a `"kind"` member, or, when the file is named after a kind (`工業爐窯.ndjson`),
/// records of that kind (a `"kind"` member is then optional, and must name that kind). Blank
/// lines are skipped. Each line is read on its own, so a syntax error, a line that is not
/// UTF-8 or one longer than [`MAX_LINE`] rejects that line only.
///
/// The input is streamed: only the line being read is held, whatever the size of the file.
pub(super) fn read_lines(loader: &mut Loader<'_>, input: &mut dyn BufRead) {
    // Named after a kind, or named like the files of one kind's `source`.
    let file_kind = match loader.file_kinds()[..] {
        [kind] => Some(kind),
        _ => None,
    };
    let mut memo = Memo::new(loader);
    let mut buf: Vec<u8> = Vec::new();
    let mut offset = 0usize;
    let mut line = 0u32;
    loop {
        buf.clear();
        let (consumed, len) = match read_line(input, &mut buf, MAX_LINE) {
            Ok(read) => read,
            Err(e) => {
                let at = offset.min(u32::MAX as usize);
                let d = Diagnostic::error(
                    "io-error",
                    &loader.path,
                    Span::new(at, at),
                    format!("cannot read `{}` past line {line}: {e}", loader.path),
                )
                .with_label("reading stopped here")
                .with_help("check that the file is readable and complete, then run again");
                let reason = d.message.clone();
                loader.report(d);
                loader.lose_in(line.saturating_add(1), &reason, None, None);
                return;
            }
        };
        if consumed == 0 {
            return;
        }
        let start = offset;
        offset += consumed;
        line = line.saturating_add(1);
        // Spans are 32-bit file offsets.
        if offset > u32::MAX as usize {
            let at = start.min(u32::MAX as usize);
            let d = Diagnostic::error(
                "file-too-large",
                &loader.path,
                Span::new(at, at),
                format!("`{}` is larger than 4 GiB: line {line} and the lines after it were not read", loader.path),
            )
            .with_label("reading stopped here")
            .with_help(
                "split the file into files of under 4 GiB each; every file in a folder given to `--facts` is read",
            );
            let reason = d.message.clone();
            loader.report(d);
            loader.lose_in(line, &reason, None, None);
            return;
        }
        let whole = Span::new(start, start + len);
        // The last line, when the file does not end with a line break, may have been cut short,
        // and lines after it cut off: it is not read, and the records of whichever kinds the
        // lost part held are lost, how many unknown. (What is left of the line, its key say,
        // may not be what was written.)
        if consumed == len && len <= MAX_LINE && !buf.iter().all(u8::is_ascii_whitespace) {
            let at = start.min(u32::MAX as usize);
            let d = Diagnostic::error(
                "cut-short",
                &loader.path,
                Span::new(at, (start + len).min(u32::MAX as usize)),
                "expected a line break after the last line, found the end of the file: it may have been cut short",
            )
            .with_label("this line was not read")
            .with_help(
                "export the file again if it was cut short; if it is whole, end it with a line break (this line is \
                 then read)",
            );
            let reason = d.message.clone();
            loader.report(d);
            loader.lose_in(line, &reason, None, None);
            return;
        }
        // A line that cannot be read as a record of a known kind: in a file named after a
        // kind, a rejected record of it; otherwise one record lost, of whichever kinds the
        // line's text names (`unread`, when the whole line is held).
        let reject = |loader: &mut Loader<'_>, d: Diagnostic, unread: Option<&[u8]>| match file_kind {
            Some(kind) => loader.reject_whole(d, kind, None, line, whole),
            None => {
                let reason = d.message.clone();
                loader.report(d);
                loader.lose_in(line, &reason, Some(1), unread);
            }
        };
        if len > MAX_LINE {
            let d = Diagnostic::error(
                "line-too-long",
                &loader.path,
                Span::new(start, start),
                format!("line {line} is {len} bytes long; NDJSON lines over {} MiB are not read", MAX_LINE >> 20),
            )
            .with_label("this line was not read")
            .with_help(
                "each NDJSON line is one record of a few hundred bytes; check the export for missing line breaks",
            );
            reject(loader, d, None);
            continue;
        }
        let (bytes, base) = match buf.strip_prefix("\u{feff}".as_bytes()) {
            Some(rest) if start == 0 => (rest, 3),
            _ => (&buf[..], 0),
        };
        let text = match std::str::from_utf8(bytes) {
            Ok(text) => text,
            Err(e) => {
                let at = start + base + e.valid_up_to();
                let d = Diagnostic::error(
                    "invalid-utf8",
                    &loader.path,
                    Span::new(at, at),
                    format!("line {line} is not valid UTF-8 (byte {at} of the file)"),
                )
                .with_label("this line was not read")
                .with_help("save the file as UTF-8");
                reject(loader, d, Some(bytes));
                continue;
            }
        };
        let mut p = Parser {
            s: Scanner { text, b: text.as_bytes(), pos: 0, line, base: start + base },
            loader: &mut *loader,
            memo: std::mem::take(&mut memo),
            skip_kind_member: false,
            line_kind: None,
            threads: 1,
        };
        p.s.ws();
        if p.s.pos < text.len()
            && let Err(e) = p.line_record(file_kind)
        {
            let d = e.into_diagnostic(&p.loader.path);
            // A line that named its kind before the error is a rejected record of that kind.
            match p.line_kind {
                Some(kind) if file_kind.is_none() => p.loader.reject_whole(d, kind, None, line, whole),
                _ => reject(p.loader, d, Some(text.as_bytes())),
            }
        }
        memo = p.memo;
    }
}

/// Reads one line into `buf`, without its `\n`, keeping at most `cap` bytes of it. Returns the
/// bytes consumed (with the `\n`) and the length of the line (without it); `(0, 0)` at the end.
fn read_line(input: &mut dyn BufRead, buf: &mut Vec<u8>, cap: usize) -> std::io::Result<(usize, usize)> {
    let (mut consumed, mut len) = (0, 0);
    loop {
        let chunk = match input.fill_buf() {
            Ok(chunk) => chunk,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if chunk.is_empty() {
            return Ok((consumed, len));
        }
        let (n, ended) = match chunk.iter().position(|&b| b == b'\n') {
            Some(i) => (i, true),
            None => (chunk.len(), false),
        };
        // Past `cap` only the length matters: the buffer never grows beyond `cap + 1` bytes.
        let take = n.min((cap + 1).saturating_sub(buf.len()));
        if buf.len() + take > buf.capacity() {
            let want = (buf.len() + take).max(buf.capacity() * 2).min(cap + 1);
            buf.reserve_exact(want - buf.len());
        }
        buf.extend_from_slice(&chunk[..take]);
        len += n;
        let used = n + usize::from(ended);
        input.consume(used);
        consumed += used;
        if ended {
            return Ok((consumed, len));
        }
    }
}

/// A fatal syntax error.
struct SyntaxError {
    span: Span,
    message: String,
    label: String,
    help: String,
    secondary: Option<(Span, &'static str)>,
}

impl SyntaxError {
    fn into_diagnostic(self, path: &std::sync::Arc<str>) -> Diagnostic {
        let d =
            Diagnostic::error("fact-syntax", path, self.span, self.message).with_label(self.label).with_help(self.help);
        match self.secondary {
            Some((span, label)) => d.with_secondary(span, label),
            None => d,
        }
    }
}

type Result<T> = std::result::Result<T, SyntaxError>;

/// A scalar token, or a skipped array/object.
enum Tok<'t> {
    Str(Cow<'t, str>),
    Num(&'t str),
    Bool(bool),
    Null,
    Nested(&'static str),
}

impl<'t> Tok<'t> {
    fn raw(&self, span: Span) -> Raw<'_> {
        let (scalar, verbatim_at) = match self {
            Tok::Str(Cow::Borrowed(s)) => (Scalar::Str(s), Some(span.start + 1)),
            Tok::Str(Cow::Owned(s)) => (Scalar::Str(s), None),
            Tok::Num(n) => (Scalar::Num(n), None),
            Tok::Bool(b) => (Scalar::Bool(*b), None),
            Tok::Null => (Scalar::Null, None),
            Tok::Nested(what) => (Scalar::Nested(what), None),
        };
        Raw { scalar, span, verbatim_at }
    }

    fn describe(&self) -> &'static str {
        match self {
            Tok::Str(_) => "a string",
            Tok::Num(_) => "a number",
            Tok::Bool(_) => "a boolean",
            Tok::Null => "`null`",
            Tok::Nested(what) => what,
        }
    }
}

/// The byte-level scanner: position, line, and the JSON tokens.
struct Scanner<'t> {
    text: &'t str,
    b: &'t [u8],
    pos: usize,
    /// The 1-based line of `pos`. Only whitespace can hold a line break (strings may not),
    /// so [`Scanner::ws`] is the one place that counts them.
    line: u32,
    /// The file offset of `text`: an NDJSON line is scanned on its own, but its spans are
    /// positions in the file.
    base: usize,
}

impl<'t> Scanner<'t> {
    fn ws(&mut self) {
        while let Some(&c) = self.b.get(self.pos) {
            match c {
                b' ' | b'\t' | b'\r' => self.pos += 1,
                b'\n' => {
                    self.pos += 1;
                    self.line += 1;
                }
                _ => break,
            }
        }
    }

    fn peek(&self) -> Option<u8> {
        self.b.get(self.pos).copied()
    }

    fn eat(&mut self, c: u8) -> bool {
        let hit = self.peek() == Some(c);
        if hit {
            self.pos += 1;
        }
        hit
    }

    /// The span in the file of `start..end`, positions in the text scanned.
    fn span(&self, start: usize, end: usize) -> Span {
        Span::new(self.base + start, self.base + end)
    }

    fn span_from(&self, start: usize) -> Span {
        self.span(start, self.pos)
    }

    /// The character at `pos` and its span, as "found …" text.
    fn found(&self) -> (String, Span) {
        match self.text[self.pos..].chars().next() {
            None => ("end of file".into(), self.span(self.pos, self.pos)),
            Some(c) => {
                let what = match c {
                    '\n' | '\r' => "a line break".into(),
                    c if c.is_control() => format!("the control character U+{:04X}", c as u32),
                    // A bare word (`NaN`, `K1`, `1,234`) is quoted whole, up to 24 characters.
                    c if c.is_alphanumeric() => {
                        let word: String = self.text[self.pos..]
                            .chars()
                            .take_while(|x| x.is_alphanumeric() || *x == '_')
                            .take(24)
                            .collect();
                        format!("`{word}`")
                    }
                    c => format!("`{c}`"),
                };
                (what, self.span(self.pos, self.pos + c.len_utf8()))
            }
        }
    }

    /// "expected {expected}, found …" at `pos`. At the end of the text, where a bracket is
    /// still open, the help says so instead: the file is most likely cut short.
    fn error(&self, expected: &str, help: impl Into<String>) -> SyntaxError {
        let (found, span) = self.found();
        let help = if self.pos >= self.b.len() && (expected.contains("`}`") || expected.contains("`]`")) {
            "the text ends before every `{` and `[` is closed: is the file complete? Close them, `]` for \
             an array and `}` for an object"
                .to_string()
        } else {
            help.into()
        };
        SyntaxError {
            span,
            message: format!("expected {expected}, found {found}"),
            label: format!("expected {expected}"),
            help,
            secondary: None,
        }
    }

    fn expect(&mut self, c: u8, expected: &str, help: &str) -> Result<()> {
        if self.eat(c) { Ok(()) } else { Err(self.error(expected, help)) }
    }

    /// A help line for a place that needs a value, guessing from what is there instead.
    fn value_help(&self) -> &'static str {
        match self.peek() {
            Some(b'\'') => "JSON strings use double quotes: `\"text\"`",
            Some(b']' | b'}') => "remove the comma before it, or write the missing value",
            Some(c) if c.is_ascii_alphabetic() || c >= 0x80 => {
                "write text in double quotes; the only bare words are `true`, `false` and `null`"
            }
            Some(b'+' | b'.') => "JSON numbers start with a digit or `-`",
            _ => "write a string, a number, `true`, `false` or `null`",
        }
    }

    /// A string; `pos` is at its opening quote. Borrowed when it holds no escapes.
    fn string(&mut self) -> Result<(Cow<'t, str>, Span)> {
        let start = self.pos;
        self.pos += 1;
        let body = self.pos;
        self.plain_run();
        loop {
            match self.peek() {
                Some(b'"') => {
                    let s = &self.text[body..self.pos];
                    self.pos += 1;
                    return Ok((Cow::Borrowed(s), self.span_from(start)));
                }
                Some(b'\\') => break,
                Some(c) if c >= 0x20 => self.pos += 1,
                _ => return Err(self.unterminated(start)),
            }
        }
        let mut out = String::from(&self.text[body..self.pos]);
        loop {
            match self.peek() {
                Some(b'"') => {
                    self.pos += 1;
                    return Ok((Cow::Owned(out), self.span_from(start)));
                }
                Some(b'\\') => out.push(self.escape()?),
                Some(c) if c >= 0x20 => {
                    let run = self.pos;
                    while self.peek().is_some_and(|c| c != b'"' && c != b'\\' && c >= 0x20) {
                        self.pos += 1;
                    }
                    out.push_str(&self.text[run..self.pos]);
                }
                _ => return Err(self.unterminated(start)),
            }
        }
    }

    /// Moves `pos` past the bytes of a string that need no attention (not `"`, `\\` or a
    /// control character), eight at a time, stopping at or before the first that does.
    fn plain_run(&mut self) {
        const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
        const HIGH: u64 = u64::from_ne_bytes([0x80; 8]);
        // Whether a byte of `x` is below `n` (n <= 128): exact as to whether there is one.
        let below = |x: u64, n: u8| x.wrapping_sub(ONES * u64::from(n)) & !x & HIGH;
        let equal = |x: u64, c: u8| below(x ^ (ONES * u64::from(c)), 1);
        while let Some(chunk) = self.b.get(self.pos..self.pos + 8) {
            let x = u64::from_ne_bytes(chunk.try_into().expect("eight bytes"));
            if below(x, 0x20) | equal(x, b'"') | equal(x, b'\\') != 0 {
                return;
            }
            self.pos += 8;
        }
    }

    fn unterminated(&self, start: usize) -> SyntaxError {
        let help = match self.peek() {
            None => "close the string with `\"`",
            Some(b'\n' | b'\r') => "a string cannot span lines; write a line break as `\\n`",
            Some(_) => "write control characters escaped, such as `\\t`",
        };
        let mut e = self.error("`\"` closing the string", help);
        e.secondary = Some((self.span(start, start + 1), "the string starts here"));
        e
    }

    /// One escape sequence; `pos` is at the backslash.
    fn escape(&mut self) -> Result<char> {
        let start = self.pos;
        self.pos += 1;
        let c = match self.peek() {
            Some(b'"') => '"',
            Some(b'\\') => '\\',
            Some(b'/') => '/',
            Some(b'b') => '\u{8}',
            Some(b'f') => '\u{c}',
            Some(b'n') => '\n',
            Some(b'r') => '\r',
            Some(b't') => '\t',
            Some(b'u') => {
                self.pos += 1;
                let hi = self.hex4(start)?;
                return match hi {
                    0xD800..=0xDBFF => {
                        let low_at = self.pos;
                        let low = if self.b[self.pos..].starts_with(b"\\u") {
                            self.pos += 2;
                            Some(self.hex4(low_at)?)
                        } else {
                            None
                        };
                        match low {
                            Some(lo @ 0xDC00..=0xDFFF) => {
                                let c = 0x10000 + ((u32::from(hi) - 0xD800) << 10) + (u32::from(lo) - 0xDC00);
                                Ok(char::from_u32(c).expect("a surrogate pair is a scalar value"))
                            }
                            _ => Err(self.escape_error(
                                start,
                                format!(
                                    "expected a low surrogate `\\uDC00`..`\\uDFFF` after `\\u{hi:04X}`, found {}",
                                    low.map_or("none".to_string(), |lo| format!("`\\u{lo:04X}`"))
                                ),
                                "characters beyond U+FFFF are written as a surrogate pair, such as `\\uD83D\\uDE00`",
                            )),
                        }
                    }
                    0xDC00..=0xDFFF => Err(self.escape_error(
                        start,
                        format!("expected a character, found the lone low surrogate `\\u{hi:04X}`"),
                        "a low surrogate must follow a high surrogate `\\uD800`..`\\uDBFF`",
                    )),
                    _ => Ok(char::from_u32(u32::from(hi)).expect("a non-surrogate u16 is a scalar value")),
                };
            }
            _ => {
                let found = match self.text[self.pos..].chars().next() {
                    Some(c) if !c.is_control() => format!("`\\{c}`"),
                    _ => "a lone `\\`".to_string(),
                };
                let (_, span) = self.found();
                return Err(SyntaxError {
                    span: Span {
                        start: self.span(start, start).start,
                        end: span.end.max(self.span(start, start + 1).end),
                    },
                    message: format!("expected an escape such as `\\n`, `\\\"` or `\\u00E9`, found {found}"),
                    label: "unknown escape".into(),
                    help: "write a backslash itself as `\\\\`".into(),
                    secondary: None,
                });
            }
        };
        self.pos += 1;
        Ok(c)
    }

    /// Four hex digits of a `\u` escape that started at `start`.
    fn hex4(&mut self, start: usize) -> Result<u16> {
        let digits = self.b.get(self.pos..self.pos + 4).filter(|d| d.iter().all(u8::is_ascii_hexdigit));
        match digits {
            Some(d) => {
                self.pos += 4;
                let d = std::str::from_utf8(d).expect("hex digits are ASCII");
                Ok(u16::from_str_radix(d, 16).expect("four hex digits fit a u16"))
            }
            None => {
                let found = &self.text[start..floor_char_boundary(self.text, self.pos + 4)];
                let found = found.split(['"', '\n']).next().unwrap_or(found);
                let message = format!("expected four hex digits after `\\u`, found `{found}`");
                Err(self.escape_error(start, message, "write the code point as four hex digits, such as `\\u00E9`"))
            }
        }
    }

    /// An error in the `\u` escape that started at `start` and ends at `pos`.
    fn escape_error(&self, start: usize, message: String, help: &str) -> SyntaxError {
        let end = self.pos.max(start + 2).min(self.b.len());
        SyntaxError {
            span: self.span(start, end),
            message,
            label: "invalid unicode escape".into(),
            help: help.into(),
            secondary: None,
        }
    }

    /// A number, checked against the JSON grammar; `pos` is at `-` or a digit.
    fn number(&mut self) -> Result<(&'t str, Span)> {
        let start = self.pos;
        self.eat(b'-');
        match self.peek() {
            Some(b'0') => {
                self.pos += 1;
                if self.peek().is_some_and(|c| c.is_ascii_digit()) {
                    self.digits();
                    let text = &self.text[start..self.pos];
                    return Err(SyntaxError {
                        span: self.span_from(start),
                        message: format!("expected a number, found `{text}` with a leading zero"),
                        label: "leading zero".into(),
                        help: format!(
                            "JSON numbers have no leading zeros; write it as text if the zeros matter: `\"{text}\"`"
                        ),
                        secondary: None,
                    });
                }
            }
            Some(b'1'..=b'9') => self.digits(),
            _ => return Err(self.error("a digit after `-`", "write a number such as `-12.5`")),
        }
        if self.eat(b'.') {
            if !self.peek().is_some_and(|c| c.is_ascii_digit()) {
                return Err(self.error("a digit after the decimal point", "write `1.0` or `1`, not `1.`"));
            }
            self.digits();
        }
        if self.eat(b'e') || self.eat(b'E') {
            if !self.eat(b'+') {
                self.eat(b'-');
            }
            if !self.peek().is_some_and(|c| c.is_ascii_digit()) {
                return Err(self.error("a digit in the exponent", "write an exponent such as `1.5e3`"));
            }
            self.digits();
        }
        Ok((&self.text[start..self.pos], self.span_from(start)))
    }

    fn digits(&mut self) {
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.pos += 1;
        }
    }

    /// `true`, `false` or `null`.
    fn literal(&mut self) -> Result<(Tok<'t>, Span)> {
        let start = self.pos;
        for (word, tok) in [("true", Tok::Bool(true)), ("false", Tok::Bool(false)), ("null", Tok::Null)] {
            if self.b[self.pos..].starts_with(word.as_bytes()) {
                self.pos += word.len();
                return Ok((tok, self.span_from(start)));
            }
        }
        Err(self.error("a value", self.value_help()))
    }

    /// Any value; arrays and objects are skipped and come back as [`Tok::Nested`].
    /// `depth` is how many arrays and objects enclose the value.
    fn value(&mut self, depth: usize) -> Result<(Tok<'t>, Span)> {
        match self.peek() {
            Some(b'"') => self.string().map(|(s, span)| (Tok::Str(s), span)),
            Some(b'-' | b'0'..=b'9') => self.number().map(|(n, span)| (Tok::Num(n), span)),
            Some(b'{') => self.skip(depth).map(|span| (Tok::Nested("an object"), span)),
            Some(b'[') => self.skip(depth).map(|span| (Tok::Nested("an array"), span)),
            _ => self.literal(),
        }
    }

    /// `"name" :` inside an object, up to the value.
    fn member_name(&mut self) -> Result<(Cow<'t, str>, Span)> {
        self.ws();
        if self.peek() != Some(b'"') {
            let help = if self.peek() == Some(b'}') {
                "remove the comma before `}`"
            } else {
                "write the field name in double quotes: `\"name\": value`"
            };
            return Err(self.error("a field name in double quotes", help));
        }
        let name = self.string()?;
        self.ws();
        self.expect(b':', "`:` after the field name", "write `\"name\": value`")?;
        self.ws();
        Ok(name)
    }

    /// Skips one value of any shape, with an explicit stack instead of recursion.
    fn skip(&mut self, depth: usize) -> Result<Span> {
        let start = self.pos;
        // The closing bracket each open container waits for.
        let mut closers: Vec<u8> = Vec::new();
        loop {
            // Here a value begins.
            self.ws();
            let mut done = true;
            match self.peek() {
                Some(open @ (b'{' | b'[')) => {
                    if depth + closers.len() + 1 > MAX_DEPTH {
                        let (_, span) = self.found();
                        return Err(SyntaxError {
                            span,
                            message: format!("expected at most {MAX_DEPTH} levels of nesting, found more"),
                            label: "nested too deeply".into(),
                            help: "fact records hold plain values; flatten the data".into(),
                            secondary: None,
                        });
                    }
                    self.pos += 1;
                    let close = if open == b'{' { b'}' } else { b']' };
                    self.ws();
                    if !self.eat(close) {
                        closers.push(close);
                        if close == b'}' {
                            self.member_name()?;
                        }
                        done = false;
                    }
                }
                _ => {
                    self.value(depth + closers.len())?;
                }
            }
            if !done {
                continue;
            }
            // Here a value ended: close containers until one continues with a comma.
            loop {
                let Some(&close) = closers.last() else {
                    return Ok(self.span_from(start));
                };
                self.ws();
                if self.eat(b',') {
                    if close == b'}' {
                        self.member_name()?;
                    }
                    break;
                }
                if !self.eat(close) {
                    let expected = if close == b'}' { "`,` or `}`" } else { "`,` or `]`" };
                    return Err(self.error(expected, "separate the elements with commas"));
                }
                closers.pop();
            }
        }
    }
}

/// The reader proper: the fixed three-level shape, feeding rows to the loader.
struct Parser<'t, 'l, 's> {
    s: Scanner<'t>,
    loader: &'l mut Loader<'s>,
    memo: Memo,
    /// In NDJSON, the `"kind"` member names the record kind and is not a field.
    skip_kind_member: bool,
    /// In NDJSON, the kind the line being read names, once its `"kind"` member is read.
    line_kind: Option<RecordId>,
    /// How many threads a large array of records may be read on.
    threads: usize,
}

/// What the reader keeps from record to record (and, in NDJSON, from line to line).
#[derive(Default)]
struct Memo {
    /// Per kind: the field index found at each member position of the previous record. Records
    /// of one export list their fields in the same order, so most lookups are one string
    /// comparison instead of a hash.
    hints: Vec<Vec<usize>>,
    /// Per field: the record generation that last set it, to find a field written twice
    /// without clearing a table per record.
    seen: Vec<u32>,
    seen_at: Vec<Span>,
    generation: u32,
}

impl Memo {
    fn new(loader: &Loader<'_>) -> Memo {
        let widest = loader.schema.records.iter().map(|r| r.fields.len()).max().unwrap_or(0);
        Memo {
            hints: vec![Vec::new(); loader.schema.records.len()],
            seen: vec![0; widest],
            seen_at: vec![Span::default(); widest],
            generation: 0,
        }
    }
}

impl<'t, 'l, 's> Parser<'t, 'l, 's> {
    fn new(loader: &'l mut Loader<'s>, text: &'t str) -> Self {
        Parser {
            s: Scanner { text, b: text.as_bytes(), pos: 0, line: 1, base: 0 },
            memo: Memo::new(loader),
            skip_kind_member: false,
            line_kind: None,
            threads: 1,
            loader,
        }
    }

    /// One NDJSON line: a record object, then nothing but whitespace. `pos` is at its first
    /// non-blank character.
    fn line_record(&mut self, file_kind: Option<RecordId>) -> Result<()> {
        let open = self.s.pos;
        let line = self.s.line;
        if self.s.peek() != Some(b'{') {
            let help =
                "each line of an NDJSON fact file is one record: `{\"kind\": \"工業爐窯\", \"field\": value, …}`";
            return Err(self.s.error("`{` opening a record", help));
        }
        // First pass: find the `"kind"` member, skipping every value.
        self.s.pos += 1;
        let mut named: Option<(Tok<'t>, Span)> = None;
        self.s.ws();
        if !self.s.eat(b'}') {
            loop {
                let (name, _) = self.s.member_name()?;
                let (tok, span) = self.s.value(1)?;
                if trim(&name) == KIND_MEMBER && named.is_none() {
                    if let Tok::Str(k) = &tok {
                        self.line_kind = self.loader.kind_named(trim(k), span);
                    }
                    named = Some((tok, span));
                }
                self.s.ws();
                if self.s.eat(b'}') {
                    break;
                }
                self.s.expect(b',', "`,` or `}` after a field", "separate the fields with commas")?;
            }
        }
        self.s.ws();
        if self.s.pos < self.s.b.len() {
            return Err(self.s.error(
                "the end of the line after the record",
                "an NDJSON line holds one JSON object; put the next record on its own line",
            ));
        }
        let end = self.s.pos;
        let kind = match (file_kind, named) {
            (Some(kind), None) => kind,
            (Some(kind), Some((tok, span))) => {
                let rec = &self.loader.record(kind).name;
                if self.loader.fields[kind.index()].contains_key(KIND_MEMBER) {
                    kind
                } else {
                    match &tok {
                        Tok::Str(k) if crate::script::fold(trim(k)) == crate::script::fold(rec) => kind,
                        _ => {
                            let d = Diagnostic::error(
                                "unknown-record-kind",
                                &self.loader.path,
                                span,
                                format!(
                                    "expected `{rec}` records, as the file is named, found a record of another kind"
                                ),
                            )
                            .with_label("not this file's kind")
                            .with_help(format!(
                                "put records of other kinds in another file, or drop the `\"{KIND_MEMBER}\"` member"
                            ));
                            let reason = d.message.clone();
                            self.loader.report(d);
                            self.loader.push_rejected(super::Rejected {
                                kind,
                                key: None,
                                line,
                                span: self.s.span(open, end),
                                reason,
                            });
                            return Ok(());
                        }
                    }
                }
            }
            (None, Some((Tok::Str(name), span))) => match self.loader.kind_named(trim(&name), span) {
                Some(kind) => kind,
                None => {
                    let label = "this record was not read".to_string();
                    self.loader.unknown_kind(
                        trim(&name),
                        span,
                        label,
                        "the record kinds are declared by `record` items",
                        1,
                        line,
                    );
                    return Ok(());
                }
            },
            (None, Some((tok, span))) => {
                return Err(SyntaxError {
                    span,
                    message: format!("expected the record kind as a string, found {}", tok.describe()),
                    label: "not a record kind".into(),
                    help: format!("write `\"{KIND_MEMBER}\": \"工業爐窯\"`"),
                    secondary: None,
                });
            }
            (None, None) => {
                return Err(SyntaxError {
                    span: self.s.span(open, open + 1),
                    message: format!("expected a `\"{KIND_MEMBER}\"` member naming the record kind, found none"),
                    label: "this record has no kind".into(),
                    help: format!(
                        "write `\"{KIND_MEMBER}\": \"工業爐窯\"` in each record, or name the file after one record kind, such as `工業爐窯.ndjson`"
                    ),
                    secondary: None,
                });
            }
        };
        // Second pass: the record itself, from its `{`.
        self.s.pos = open;
        self.s.line = line;
        self.skip_kind_member = !self.loader.fields[kind.index()].contains_key(KIND_MEMBER);
        let read = self.record(kind);
        self.skip_kind_member = false;
        read
    }

    fn document(&mut self) -> Result<()> {
        if self.s.text.starts_with('\u{feff}') {
            self.s.pos = '\u{feff}'.len_utf8();
        }
        self.s.ws();
        self.s.expect(
            b'{',
            "`{` opening the record kinds",
            "a JSON fact file is one object mapping each record kind to an array of records: `{\"kind\": [{…}, …]}`",
        )?;
        self.s.ws();
        if !self.s.eat(b'}') {
            loop {
                let (name, span) = self.s.member_name()?;
                let name = trim(&name);
                let kind = self.loader.kind_named(name, span);
                // The kind being read, should the file stop inside its records.
                self.line_kind = kind;
                match kind {
                    Some(kind) if self.s.peek() == Some(b'[') => self.records(kind)?,
                    Some(kind) => {
                        let (tok, span) = self.s.value(1)?;
                        let rec = &self.loader.record(kind).name;
                        let d = Diagnostic::error(
                            "fact-syntax",
                            &self.loader.path,
                            span,
                            format!("expected an array of `{rec}` records, found {}", tok.describe()),
                        )
                        .with_label("not an array")
                        .with_help(format!("write the records as `\"{rec}\": [{{…}}, {{…}}]`"));
                        self.loader.report(d);
                    }
                    None => {
                        let line = self.s.line;
                        let skipped = self.count_skipped()?;
                        let label = format!("{} not read under this name", super::records(skipped));
                        let help = "the record kinds are declared by `record` items";
                        self.loader.unknown_kind(name, span, label, help, skipped, line);
                    }
                }
                self.line_kind = None;
                self.s.ws();
                if self.s.eat(b'}') {
                    break;
                }
                self.s.expect(
                    b',',
                    "`,` or `}` after the records of a kind",
                    "separate the record kinds with commas",
                )?;
            }
        }
        self.s.ws();
        if self.s.pos < self.s.b.len() {
            return Err(self.s.error(
                "end of file after the top-level object",
                "a fact file holds one JSON object; put every record kind in it",
            ));
        }
        Ok(())
    }

    /// Skips the value of an unknown kind, counting its records when it is an array.
    fn count_skipped(&mut self) -> Result<usize> {
        if !self.s.eat(b'[') {
            self.s.value(1)?;
            return Ok(0);
        }
        let mut n = 0;
        self.s.ws();
        if self.s.eat(b']') {
            return Ok(0);
        }
        loop {
            self.s.ws();
            self.s.value(2)?;
            n += 1;
            self.s.ws();
            if self.s.eat(b']') {
                return Ok(n);
            }
            self.s.expect(b',', "`,` or `]` after a record", "separate the records with commas")?;
        }
    }

    /// The array of records of one kind; `pos` is at `[`.
    ///
    /// A large array is read in parts on several threads when it can be cut where a record
    /// appears to begin on a line of its own: each part after the first is read on a thread of
    /// its own while this one reads the first. A part is taken only when the reading before it
    /// reached exactly its start (so a record does begin there) and it read plain records
    /// that ask for no diagnostic; otherwise the array is read on from that place here, one
    /// record at a time. So the rows, their order, lines and diagnostics are those of a
    /// reading on one thread.
    fn records(&mut self, kind: RecordId) -> Result<()> {
        self.s.pos += 1;
        self.s.ws();
        if self.s.eat(b']') {
            return Ok(());
        }
        let cuts = self.cuts();
        if cuts.is_empty() {
            return self.elements(kind, None).map(drop);
        }
        let cancel = std::sync::atomic::AtomicBool::new(false);
        let (schema, path, text) = (self.loader.schema, self.loader.path.clone(), self.s.text);
        std::thread::scope(|scope| {
            let parts: Vec<_> = (0..cuts.len())
                .map(|i| {
                    let stretch = (cuts[i], cuts.get(i + 1).copied());
                    let (path, cancel) = (&path, &cancel);
                    scope.spawn(move || read_part(schema, path, text, stretch, kind, cancel))
                })
                .collect();
            let stop = |parts: Vec<std::thread::ScopedJoinHandle<'_, Option<Part>>>| {
                cancel.store(true, std::sync::atomic::Ordering::Relaxed);
                for p in parts {
                    let _ = p.join();
                }
            };
            match self.elements(kind, Some(cuts[0])) {
                Ok(Stretch::Reached) => {}
                Ok(Stretch::Passed) => {
                    stop(parts);
                    return self.elements(kind, None).map(drop);
                }
                Ok(Stretch::Ended) => {
                    stop(parts);
                    return Ok(());
                }
                Err(e) => {
                    stop(parts);
                    return Err(e);
                }
            }
            let mut parts = parts.into_iter().enumerate();
            while let Some((i, handle)) = parts.next() {
                match handle.join().unwrap_or_else(|p| std::panic::resume_unwind(p)) {
                    Some(part) => {
                        #[cfg(test)]
                        PARTS_TAKEN.with(|n| n.set(n.get() + 1));
                        // This reading reached the part's start, on line `self.s.line`.
                        let before = self.s.line - 1;
                        self.loader.rows.append(&schema, part.rows, before);
                        self.s.pos = part.pos;
                        self.s.line = part.line + before;
                    }
                    None => {
                        stop(parts.map(|(_, h)| h).collect());
                        // Read on from the part's start here.
                        self.s.line = super::line_of(self.s.text, cuts[i]);
                        self.s.pos = cuts[i];
                        return self.elements(kind, None).map(drop);
                    }
                }
            }
            Ok(())
        })
    }

    /// Where to cut the rest of the text into parts read on threads of their own: places after
    /// `pos` where a record appears to begin, one per thread after the first, each part at
    /// least [`MIN_PART`] long. Empty when the rest is too short to be worth it.
    fn cuts(&self) -> Vec<usize> {
        let rest = self.s.b.len() - self.s.pos;
        let parts = self.threads.min(rest / MIN_PART);
        let mut cuts: Vec<usize> = Vec::new();
        for i in 1..parts {
            let from = (self.s.pos + rest / parts * i).max(cuts.last().map_or(0, |c| c + 1));
            if let Some(at) = record_start(self.s.b, from) {
                cuts.push(at);
            }
        }
        cuts
    }

    /// Reads the elements of an array of records until its `]` (read), or, given `until`,
    /// until the next element would begin there; `pos` is at an element or the blanks before
    /// it.
    fn elements(&mut self, kind: RecordId, until: Option<usize>) -> Result<Stretch> {
        loop {
            self.s.ws();
            match until {
                Some(u) if self.s.pos == u => return Ok(Stretch::Reached),
                Some(u) if self.s.pos > u => return Ok(Stretch::Passed),
                _ => {}
            }
            if self.s.peek() == Some(b'{') {
                self.record(kind)?;
            } else {
                let line = self.s.line;
                let (tok, span) = self.s.value(2)?;
                let rec = &self.loader.record(kind).name;
                let d = Diagnostic::error(
                    "fact-syntax",
                    &self.loader.path,
                    span,
                    format!("expected a `{rec}` record (an object), found {}", tok.describe()),
                )
                .with_label("not a record")
                .with_help(format!("each element of the `{rec}` array is one record: `{{\"field\": value, …}}`"));
                self.loader.reject_whole(d, kind, None, line, span);
            }
            self.s.ws();
            if self.s.eat(b']') {
                return Ok(Stretch::Ended);
            }
            self.s.expect(b',', "`,` or `]` after a record", "separate the records with commas")?;
        }
    }

    /// One record; `pos` is at `{`.
    fn record(&mut self, kind: RecordId) -> Result<()> {
        let open = self.s.pos;
        self.s.pos += 1;
        self.loader.begin(kind, self.s.line);
        self.memo.generation = self.memo.generation.wrapping_add(1);
        if self.memo.generation == 0 {
            self.memo.seen.fill(0);
            self.memo.generation = 1;
        }
        self.s.ws();
        if !self.s.eat(b'}') {
            let mut member = 0;
            loop {
                let (name, name_span) = self.s.member_name()?;
                let (tok, span) = self.s.value(3)?;
                let name = trim(&name);
                match self.field(kind, member, name, name_span) {
                    None if self.skip_kind_member && name == KIND_MEMBER => {}
                    None => match self.loader.part(kind, name) {
                        Some(part) => self.loader.set_part(part, &tok.raw(span)),
                        None => self.loader.unknown_field(kind, name, name_span),
                    },
                    Some(f) if self.memo.seen[f] == self.memo.generation => self.duplicate(kind, name, name_span, f),
                    Some(f) => {
                        self.memo.seen[f] = self.memo.generation;
                        self.memo.seen_at[f] = name_span;
                        self.loader.set(f, &tok.raw(span));
                    }
                }
                member += 1;
                self.s.ws();
                if self.s.eat(b'}') {
                    break;
                }
                self.s.expect(b',', "`,` or `}` after a field", "separate the fields with commas")?;
            }
        }
        self.loader.end(self.s.span_from(open), self.s.span(open, open + 1));
        Ok(())
    }

    /// The index of field `name` of `kind`, trying the field seen at this position last time
    /// before the hash lookup.
    fn field(&mut self, kind: RecordId, member: usize, name: &str, span: Span) -> Option<usize> {
        let hints = &mut self.memo.hints[kind.index()];
        let fields = &self.loader.schema.records[kind.index()].fields;
        if let Some(&f) = hints.get(member)
            && fields[f].name == name
        {
            return Some(f);
        }
        let f = self.loader.field_named(kind, name, span)?;
        let hints = &mut self.memo.hints[kind.index()];
        match member.cmp(&hints.len()) {
            std::cmp::Ordering::Less => hints[member] = f,
            std::cmp::Ordering::Equal => hints.push(f),
            std::cmp::Ordering::Greater => {}
        }
        Some(f)
    }

    fn duplicate(&mut self, kind: RecordId, name: &str, span: Span, field: usize) {
        let rec = &self.loader.record(kind).name;
        let d = Diagnostic::error(
            "duplicate-field",
            &self.loader.path,
            span,
            format!("duplicate field `{name}` in this `{rec}` record"),
        )
        .with_label("written again here")
        .with_secondary(self.memo.seen_at[field], "first written here")
        .with_help("a field appears once per record; remove one of the two");
        self.loader.reject_row(d, &format!("`{name}` is written twice"));
    }
}
