//! Characters that hide or rearrange text: escaping them for people, naming them in
//! diagnostics, and the skeleton that tells two names apart only by how they look.
//!
//! Policies and facts are written by people and exported by systems nobody here controls, so
//! their text can hold terminal control sequences (ESC), NUL, bidirectional overrides (the
//! Trojan Source pattern, CVE-2021-42574) and invisible characters. Data keeps them as they
//! are; every human writer passes its text through [`escape`] at the edge, so none reaches a
//! terminal raw. JSON output is escaped by serde.

use std::borrow::Cow;

/// Bytes at least this many are checked by [`Utf8Bytes::checked_on`] in parts.
const CHECK_IN_PARTS_FROM: usize = 8 << 20;

/// Bytes read from a file and checked to be UTF-8, kept as they were read: a large file's
/// text is then held without being copied. A byte-order mark at the start is not part of the
/// text.
#[derive(Debug, PartialEq, Eq)]
pub struct Utf8Bytes {
    bytes: Vec<u8>,
    /// Where the text starts: after a byte-order mark, if there is one.
    start: usize,
}

impl Utf8Bytes {
    /// `bytes` as text, if they are UTF-8; else `bytes` back.
    pub fn checked(bytes: Vec<u8>) -> Result<Utf8Bytes, Vec<u8>> {
        Utf8Bytes::checked_on(bytes, 1)
    }

    /// [`Utf8Bytes::checked`] in `threads` parts, on the threads of the pool: many bytes are
    /// checked in parts, each cut where a character starts. (Every part is UTF-8 exactly when the whole
    /// is: a cut never falls inside a character of valid text, and the continuation bytes after
    /// a cut belong to the part before it, which checks them.)
    pub fn checked_on(bytes: Vec<u8>, threads: usize) -> Result<Utf8Bytes, Vec<u8>> {
        let valid = |part: &[u8]| simdutf8::basic::from_utf8(part).is_ok();
        let all_valid = if threads > 1 && bytes.len() >= CHECK_IN_PARTS_FROM {
            let mut cuts = vec![0];
            for i in 1..threads {
                let mut at = (bytes.len() / threads * i).max(*cuts.last().unwrap_or(&0));
                while at < bytes.len() && bytes[at] & 0xC0 == 0x80 {
                    at += 1;
                }
                cuts.push(at);
            }
            cuts.push(bytes.len());
            use rayon::prelude::*;
            cuts.par_windows(2).all(|w| valid(&bytes[w[0]..w[1]]))
        } else {
            valid(&bytes)
        };
        if !all_valid {
            return Err(bytes);
        }
        let start = if bytes.starts_with("\u{feff}".as_bytes()) { 3 } else { 0 };
        Ok(Utf8Bytes { bytes, start })
    }

    /// The text. Bytes become text only through a check, so they are checked again (SIMD, a
    /// small part of reading them); it cannot fail, since they were checked when made.
    pub fn text(&self) -> &str {
        simdutf8::basic::from_utf8(&self.bytes[self.start..]).unwrap_or_default()
    }
}

/// Bidirectional formatting characters: they reorder how the text around them is displayed,
/// so that what a reviewer reads is not what writ reads.
const BIDI: &[(char, &str)] = &[
    ('\u{061C}', "ARABIC LETTER MARK"),
    ('\u{200E}', "LEFT-TO-RIGHT MARK"),
    ('\u{200F}', "RIGHT-TO-LEFT MARK"),
    ('\u{202A}', "LEFT-TO-RIGHT EMBEDDING"),
    ('\u{202B}', "RIGHT-TO-LEFT EMBEDDING"),
    ('\u{202C}', "POP DIRECTIONAL FORMATTING"),
    ('\u{202D}', "LEFT-TO-RIGHT OVERRIDE"),
    ('\u{202E}', "RIGHT-TO-LEFT OVERRIDE"),
    ('\u{2066}', "LEFT-TO-RIGHT ISOLATE"),
    ('\u{2067}', "RIGHT-TO-LEFT ISOLATE"),
    ('\u{2068}', "FIRST STRONG ISOLATE"),
    ('\u{2069}', "POP DIRECTIONAL ISOLATE"),
];

/// Characters that take no room on screen, so two names that differ by one look the same.
const INVISIBLE: &[(char, &str)] = &[
    ('\u{00AD}', "SOFT HYPHEN"),
    ('\u{034F}', "COMBINING GRAPHEME JOINER"),
    ('\u{180E}', "MONGOLIAN VOWEL SEPARATOR"),
    ('\u{200B}', "ZERO WIDTH SPACE"),
    ('\u{200C}', "ZERO WIDTH NON-JOINER"),
    ('\u{200D}', "ZERO WIDTH JOINER"),
    ('\u{2060}', "WORD JOINER"),
    ('\u{2061}', "FUNCTION APPLICATION"),
    ('\u{2062}', "INVISIBLE TIMES"),
    ('\u{2063}', "INVISIBLE SEPARATOR"),
    ('\u{2064}', "INVISIBLE PLUS"),
    ('\u{FEFF}', "ZERO WIDTH NO-BREAK SPACE"),
];

/// A bidirectional formatting character (U+202A–U+202E, U+2066–U+2069, U+200E/F, U+061C).
pub fn is_bidi(c: char) -> bool {
    // Ranges rather than a search of `BIDI`: this runs once per character of every policy.
    matches!(c, '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// A character that shows nothing: zero-width spaces and joiners, the word joiner, a
/// byte-order mark inside the text, the soft hyphen.
pub fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}' | '\u{034F}' | '\u{180E}' | '\u{200B}'..='\u{200D}' | '\u{2060}'..='\u{2064}' | '\u{FEFF}'
    )
}

/// A character a terminal acts on instead of showing: C0 and C1 controls and DEL.
pub fn is_control(c: char) -> bool {
    c.is_control()
}

/// The character's code point and Unicode name, for messages: `U+202E RIGHT-TO-LEFT OVERRIDE`.
pub fn describe(c: char) -> String {
    let name = BIDI.iter().chain(INVISIBLE).find(|&&(b, _)| b == c).map(|&(_, n)| n).or(match c {
        '\0' => Some("NULL"),
        '\t' => Some("CHARACTER TABULATION"),
        '\n' => Some("LINE FEED"),
        '\r' => Some("CARRIAGE RETURN"),
        '\u{1B}' => Some("ESCAPE"),
        '\u{7F}' => Some("DELETE"),
        _ => None,
    });
    match name {
        Some(n) => format!("U+{:04X} {n}", c as u32),
        None => format!("U+{:04X}", c as u32),
    }
}

/// What [`escape`] keeps as it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Keep {
    /// Nothing: a value quoted from a policy or a fact, where a line break or a tab would
    /// break the layout around it or forge a line of the report.
    Nothing,
    /// Line breaks and tabs, which lay out a whole report or a snippet of source.
    Layout,
}

/// Whether [`escape`] changes this character.
pub fn needs_escape(c: char, keep: Keep) -> bool {
    match c {
        '\n' | '\t' => keep == Keep::Nothing,
        c => is_control(c) || is_bidi(c) || is_invisible(c),
    }
}

/// Whether `b` can begin a character [`escape`] or [`json_escaped`] changes: an ASCII
/// control or DEL, or the first byte of the UTF-8 of a C1 control, bidirectional or invisible
/// character (U+0080–U+009F and U+00AD: C2; U+034F: CD; U+061C: D8; U+180E: E1;
/// U+200B–U+206x: E2; U+FEFF: EF).
#[inline]
const fn may_escape(b: u8) -> bool {
    (b < 0x20) | (b == 0x7f) | (b == 0xc2) | (b == 0xcd) | (b == 0xd8) | (b == 0xe1) | (b == 0xe2) | (b == 0xef)
}

/// The bytes [`may_escape`] marks, and with them (`json`) the quote and the backslash, which a
/// JSON string escapes too: one lookup a byte.
const fn marks(json: bool) -> [bool; 256] {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 256 {
        t[b] = may_escape(b as u8) || (json && (b as u8 == b'"' || b as u8 == b'\\'));
        b += 1;
    }
    t
}

/// The bytes that may begin a character [`escape`] or [`json_escaped`] changes.
static MAY_ESCAPE: [bool; 256] = marks(false);

/// The bytes that may begin a character [`push_json_str`] escapes.
static JSON_MARKS: [bool; 256] = marks(true);

/// Where the first character of `text` for which `escaped` holds begins, if one does. Only
/// characters whose first byte is marked ([`MAY_ESCAPE`], or [`JSON_MARKS`] when `json`) are
/// asked about, so `escaped` must hold for no other. Sixteen bytes at a time while none is
/// marked (comparisons the compiler makes at once), then a lookup a byte.
fn find_marked(text: &str, json: bool, escaped: impl Fn(char) -> bool) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut at = 0;
    while let Some(block) = bytes.get(at..at + 16) {
        let block: &[u8; 16] = block.try_into().expect("sixteen bytes");
        let quote = |b: u8| json & ((b == b'"') | (b == b'\\'));
        if block.iter().fold(false, |any, &b| any | may_escape(b) | quote(b)) {
            break;
        }
        at += 16;
    }
    let marked = if json { &JSON_MARKS } else { &MAY_ESCAPE };
    while let Some(j) = bytes[at..].iter().position(|&b| marked[b as usize]) {
        let i = at + j;
        let b = bytes[i];
        let found = match b {
            0..0x80 => escaped(b as char),
            // A marked byte above ASCII begins a character (0xC0 and up).
            _ => text[i..].chars().next().is_some_and(&escaped),
        };
        if found {
            return Some(i);
        }
        at = i + 1;
    }
    None
}

/// Where the first character of `text` that `escaped` holds for begins, if one does; it must
/// hold only for characters [`may_escape`] marks.
fn find_escaped(text: &str, escaped: impl Fn(char) -> bool) -> Option<usize> {
    find_marked(text, false, escaped)
}

/// The text with every control, bidirectional and invisible character written as a visible
/// escape: `\n`, `\t`, `\r` for the usual three and `\u{1b}` (Rust's notation, hexadecimal
/// code point) for the rest. A backslash is left alone, so a Windows path reads as written.
pub fn escape(text: &str, keep: Keep) -> Cow<'_, str> {
    let Some(first) = find_escaped(text, |c| needs_escape(c, keep)) else {
        return Cow::Borrowed(text);
    };
    let mut out = String::with_capacity(text.len() + 8);
    out.push_str(&text[..first]);
    for c in text[first..].chars() {
        push_escaped(&mut out, c, keep);
    }
    Cow::Owned(out)
}

/// Appends `c`, escaped if [`escape`] would escape it.
pub fn push_escaped(out: &mut String, c: char, keep: Keep) {
    if !needs_escape(c, keep) {
        out.push(c);
        return;
    }
    match c {
        '\n' => out.push_str("\\n"),
        '\t' => out.push_str("\\t"),
        '\r' => out.push_str("\\r"),
        c => {
            use std::fmt::Write;
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        }
    }
}

/// Whether [`json_escaped`] changes this character.
fn json_escapes(c: char) -> bool {
    needs_escape(c, Keep::Layout) && c != '\r'
}

/// JSON text with the characters serde_json leaves raw (DEL, C1 controls, bidirectional and
/// invisible characters; it escapes the C0 controls itself) written as `\uXXXX` escapes. They
/// can only occur inside JSON strings, and all lie in the Basic Multilingual Plane, so the
/// result parses to the same data.
pub fn json_escaped(json: String) -> String {
    let Some(first) = find_escaped(&json, json_escapes) else {
        return json;
    };
    let mut out = String::with_capacity(json.len() + 16);
    out.push_str(&json[..first]);
    for c in json[first..].chars() {
        if json_escapes(c) {
            use std::fmt::Write;
            let _ = write!(out, "\\u{:04x}", c as u32);
        } else {
            out.push(c);
        }
    }
    out
}

/// `text` as a JSON string, quoted, as serde_json writes it and [`json_escaped`] then escapes
/// it, appended to `out`. Text with nothing to escape is copied as it is.
pub fn push_json_str(out: &mut String, text: &str) {
    // serde_json escapes the quote, the backslash and C0 controls; `json_escaped` the rest of
    // what `escape` keeping nothing escapes.
    let plain = find_marked(text, true, |c| c == '"' || c == '\\' || needs_escape(c, Keep::Nothing)).is_none();
    if plain {
        out.reserve(text.len() + 2);
        out.push('"');
        out.push_str(text);
        out.push('"');
    } else {
        out.push_str(&json_escaped(serde_json::to_string(text).expect("a string serialises")));
    }
}

/// A value quoted in human output: [`escape`] keeping nothing.
pub fn shown(text: &str) -> Cow<'_, str> {
    escape(text, Keep::Nothing)
}

/// Letters of other scripts that look like a Latin letter or digit, and the letter they look
/// like: the Cyrillic and Greek capitals and small letters that print the same as Latin ones
/// in common fonts (Unicode's confusables.txt, cut to the scripts policy names mix).
const HOMOGLYPHS: &[(char, char)] = &[
    // Cyrillic capitals.
    ('А', 'A'),
    ('В', 'B'),
    ('Е', 'E'),
    ('К', 'K'),
    ('М', 'M'),
    ('Н', 'H'),
    ('О', 'O'),
    ('Р', 'P'),
    ('С', 'C'),
    ('Т', 'T'),
    ('Х', 'X'),
    ('У', 'Y'),
    ('Ѕ', 'S'),
    ('І', 'I'),
    ('Ј', 'J'),
    ('Ԛ', 'Q'),
    ('Ԝ', 'W'),
    // Cyrillic small letters.
    ('а', 'a'),
    ('е', 'e'),
    ('о', 'o'),
    ('р', 'p'),
    ('с', 'c'),
    ('у', 'y'),
    ('х', 'x'),
    ('ѕ', 's'),
    ('і', 'i'),
    ('ј', 'j'),
    ('ԛ', 'q'),
    ('ԝ', 'w'),
    ('һ', 'h'),
    ('ԁ', 'd'),
    // Greek capitals.
    ('Α', 'A'),
    ('Β', 'B'),
    ('Ε', 'E'),
    ('Ζ', 'Z'),
    ('Η', 'H'),
    ('Ι', 'I'),
    ('Κ', 'K'),
    ('Μ', 'M'),
    ('Ν', 'N'),
    ('Ο', 'O'),
    ('Ρ', 'P'),
    ('Τ', 'T'),
    ('Υ', 'Y'),
    ('Χ', 'X'),
    // Greek small letters.
    ('ο', 'o'),
    ('ν', 'v'),
    ('ι', 'i'),
    ('κ', 'k'),
    ('α', 'a'),
    ('ρ', 'p'),
    // Latin look-alikes of digits are left out: `O` and `0` differ in every font writ's
    // users read policies in.
];

/// The skeleton of a name: how it looks, with what does not show removed. Two names with one
/// skeleton read the same on screen. Invisible and bidirectional characters are dropped,
/// full-width ASCII (`Ａ`, `１`) folds to ASCII as NFKC folds it, and Cyrillic and Greek
/// letters that look like Latin ones become those Latin letters.
pub fn skeleton(name: &str) -> String {
    name.chars()
        .filter(|&c| !is_invisible(c) && !is_bidi(c))
        .map(|c| match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            '\u{3000}' => ' ',
            c => HOMOGLYPHS.iter().find(|&&(h, _)| h == c).map_or(c, |&(_, l)| l),
        })
        .collect()
}

/// Whether [`skeleton`] changes the text: it holds an invisible or bidirectional character,
/// a full-width form or a letter that looks like a Latin one. A text it does not change can
/// only look like another one that it does.
pub fn has_lookalikes(text: &str) -> bool {
    // Every character it looks for is outside ASCII (a test holds the lists to it).
    !text.is_ascii()
        && text.chars().any(|c| {
            is_invisible(c)
                || is_bidi(c)
                || ('\u{FF01}'..='\u{FF5E}').contains(&c)
                || c == '\u{3000}'
                || HOMOGLYPHS.iter().any(|&(h, _)| h == c)
        })
}

/// What makes `a` and `b` look the same though they differ, for a message: "they differ by
/// the invisible U+200B ZERO WIDTH SPACE", or "Latin `C` U+0043 and Cyrillic `С` U+0421".
/// `None` when they do not share a skeleton or are equal.
pub fn lookalike(a: &str, b: &str) -> Option<String> {
    if a == b || skeleton(a) != skeleton(b) {
        return None;
    }
    let mut hidden: Vec<String> =
        a.chars().chain(b.chars()).filter(|&c| is_invisible(c) || is_bidi(c)).map(describe).collect();
    if !hidden.is_empty() {
        hidden.sort();
        hidden.dedup();
        return Some(format!("they differ by the invisible {}", hidden.join(", ")));
    }
    let (ca, cb): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let pairs: Vec<String> = ca
        .iter()
        .zip(&cb)
        .filter(|(x, y)| x != y)
        .map(|(&x, &y)| format!("{} and {}", script_of(x), script_of(y)))
        .collect();
    Some(pairs.join(", "))
}

/// A letter with its script, as far as [`skeleton`] tells scripts apart: "Cyrillic `С` U+0421".
fn script_of(c: char) -> String {
    let script = match c {
        '\u{0370}'..='\u{03FF}' => "Greek ",
        '\u{0400}'..='\u{052F}' => "Cyrillic ",
        '\u{FF01}'..='\u{FF5E}' => "full width ",
        c if c.is_ascii() => "Latin ",
        _ => "",
    };
    format!("{script}`{c}` U+{:04X}", c as u32)
}

/// Appends `n` in decimal digits, without the formatting machinery: for what is written once
/// per record or per verdict (a keyless record's key `file.csv:25`, a verdict id's position).
pub fn push_number(out: &mut String, n: u64) {
    let mut buf = [0u8; 20];
    let mut at = buf.len();
    let mut n = n;
    loop {
        at -= 1;
        buf[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend(buf[at..].iter().map(|&d| d as char));
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fast tests agree with the tables that name the characters.
    #[test]
    fn the_character_classes_are_the_named_tables() {
        for c in (0..0x11000).filter_map(char::from_u32) {
            assert_eq!(is_bidi(c), BIDI.iter().any(|&(b, _)| b == c), "{c:?}");
            assert_eq!(is_invisible(c), INVISIBLE.iter().any(|&(b, _)| b == c), "{c:?}");
        }
    }

    /// `has_lookalikes` passes over ASCII text without looking: no character it looks for is
    /// in ASCII, and no ASCII text has a skeleton other than itself.
    #[test]
    fn no_lookalike_character_is_ascii() {
        for c in (0..0x80).filter_map(char::from_u32) {
            let s = c.to_string();
            assert!(!is_bidi(c) && !is_invisible(c), "{c:?}");
            assert!(!HOMOGLYPHS.iter().any(|&(h, _)| h == c), "{c:?}");
            assert!(!('\u{FF01}'..='\u{FF5E}').contains(&c) && c != '\u{3000}', "{c:?}");
            assert_eq!(skeleton(&s), s, "{c:?}");
        }
        assert!(!has_lookalikes("R0012345"));
        assert!(has_lookalikes("R0012\u{200B}345"));
    }

    #[test]
    fn escapes_controls_bidi_and_invisible_characters() {
        assert_eq!(shown("a\u{1b}[31mb\0c"), "a\\u{1b}[31mb\\u{0}c");
        assert_eq!(shown("x\u{202E}y\u{200B}z\u{7f}\u{85}"), "x\\u{202e}y\\u{200b}z\\u{7f}\\u{85}");
        assert_eq!(shown("一\n二\t三\r"), "一\\n二\\t三\\r");
        assert_eq!(escape("一\n二\t三\r", Keep::Layout), "一\n二\t三\\r");
        assert!(matches!(shown("陽泉市 C:\\data"), Cow::Borrowed(_)));
    }

    #[test]
    fn every_character_escaped_begins_with_a_marked_byte() {
        let mut buf = [0u8; 4];
        for c in (0..=0x10FFFFu32).filter_map(char::from_u32) {
            if needs_escape(c, Keep::Nothing) {
                assert!(may_escape(c.encode_utf8(&mut buf).as_bytes()[0]), "U+{:04X}", c as u32);
            }
        }
    }

    /// Whatever block of the scan a character falls in, it is found.
    #[test]
    fn escapes_are_found_anywhere_in_long_text() {
        for odd in ['\u{202E}', '\u{85}', '\n', '"', '\\', '\u{7f}', '\u{1b}', '\u{FEFF}'] {
            for at in 0..40 {
                let text: String =
                    "a陽b泉c市·✓".chars().cycle().take(at).chain([odd]).chain("陽泉ab".chars()).collect();
                let slow: String = text.chars().map(|c| escape(&c.to_string(), Keep::Nothing).into_owned()).collect();
                assert_eq!(shown(&text), slow, "{text:?}");
                let mut out = String::new();
                push_json_str(&mut out, &text);
                assert_eq!(out, json_escaped(serde_json::to_string(&text).unwrap()), "{text:?}");
            }
        }
    }

    #[test]
    fn json_strings_are_those_of_serde_json_escaped() {
        for text in
            ["", "plain 陽泉 “引” — … ✓ ·", "a\"b\\c", "x\u{202E}y\u{85}\u{7f}\u{1b}\n\r\t\u{AD}\u{FEFF}z", "\u{2066}"]
        {
            let mut out = String::new();
            push_json_str(&mut out, text);
            assert_eq!(out, json_escaped(serde_json::to_string(text).unwrap()), "{text:?}");
        }
    }

    #[test]
    fn json_keeps_its_data_and_escapes_what_serde_leaves_raw() {
        let value = serde_json::json!({ "k": "乙\u{202E}廠\u{85}\u{7f}\u{1b}\n" });
        let text = json_escaped(serde_json::to_string_pretty(&value).unwrap());
        assert!(!text.chars().any(|c| c.is_control() && c != '\n' || is_bidi(c)), "{text}");
        assert!(text.contains("乙\\u202e廠\\u0085\\u007f\\u001b\\n"), "{text}");
        assert_eq!(serde_json::from_str::<serde_json::Value>(&text).unwrap(), value);
    }

    #[test]
    fn skeletons_see_through_scripts_and_invisible_characters() {
        assert_eq!(skeleton("С1"), skeleton("C1"), "Cyrillic Es and Latin C");
        assert_eq!(skeleton("Αlpha"), skeleton("Alpha"), "Greek Alpha and Latin A");
        assert_eq!(skeleton("陽泉市\u{200B}水泵廠"), "陽泉市水泵廠");
        assert_eq!(skeleton("ＳＯ２"), "SO2");
        assert_ne!(skeleton("陽泉市"), skeleton("陽泉縣"));
        assert_eq!(lookalike("С", "C").unwrap(), "Cyrillic `С` U+0421 and Latin `C` U+0043");
        assert!(lookalike("a\u{200B}b", "ab").unwrap().contains("U+200B ZERO WIDTH SPACE"));
        assert_eq!(lookalike("ab", "ab"), None);
        assert_eq!(describe('\u{202E}'), "U+202E RIGHT-TO-LEFT OVERRIDE");
    }

    /// Text checked in parts is UTF-8 exactly when it is checked whole: cuts that fall inside a
    /// character of two, three or four bytes move to where the next one starts, and a bad byte
    /// is found on whichever side of a cut it lies.
    #[test]
    fn text_checked_in_parts_is_text_checked_whole() {
        let n = CHECK_IN_PARTS_FROM + 7;
        for ch in ["a", "é", "測", "𝄞"] {
            let text: String = ch.repeat(n / ch.len() + 1);
            for threads in [1, 2, 3, 5] {
                let checked = Utf8Bytes::checked_on(text.clone().into_bytes(), threads).expect("valid");
                assert_eq!(checked.text(), text, "{ch} on {threads} threads");
            }
        }
        let text = "測".repeat(n / 3 + 1).into_bytes();
        // A bad byte at and around each place a part may be cut, and at the two ends.
        let mut places = vec![0, text.len() - 1];
        for threads in [2, 3, 5] {
            for i in 1..threads {
                let cut = text.len() / threads * i;
                places.extend(cut.saturating_sub(2)..cut + 3);
            }
        }
        for at in places {
            for bad in [0xFF, 0x80, 0xE6] {
                let mut bytes = text.clone();
                bytes[at] = bad;
                let whole = simdutf8::basic::from_utf8(&bytes).is_ok();
                for threads in [1, 2, 3, 5] {
                    let parts = Utf8Bytes::checked_on(bytes.clone(), threads).is_ok();
                    assert_eq!(parts, whole, "byte {bad:#x} at {at}, {threads} threads");
                }
            }
        }
        // Text that ends inside a character.
        let mut cut_short = text.clone();
        cut_short.pop();
        assert!(Utf8Bytes::checked_on(cut_short, 3).is_err());
    }
}
