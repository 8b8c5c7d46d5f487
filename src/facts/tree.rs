//! The YAML and TOML fact readers: the shape of a JSON fact file, `{ kind: [ {…}, … ] }`
//! (in TOML, usually `[[kind]]` tables).
//!
//! Both formats are read with serde into the small tree below, each node wrapped in the
//! format's own `Spanned` so it keeps its byte span. A number is never taken from the float or
//! integer serde hands over: its text is cut from the file at its span and goes to
//! [`convert`](super::convert) as written, so `0.1` stays exactly `0.1`.

use super::Loader;
use super::convert::{Raw, Scalar, trim};
use crate::diagnostic::{Diagnostic, Span};
use crate::model::RecordId;
use serde::de::{self, DeserializeOwned, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use std::fmt;
use std::marker::PhantomData;

/// A format's span-keeping wrapper.
pub(super) trait Format: 'static {
    type W<T: DeserializeOwned>: DeserializeOwned;
    /// The value and its byte span in the file, when the format knows it.
    fn split<T: DeserializeOwned>(w: Self::W<T>) -> (T, Option<Span>);
}

pub(super) struct Yaml;
pub(super) struct Toml;

impl Format for Yaml {
    type W<T: DeserializeOwned> = serde_saphyr::Spanned<T>;
    fn split<T: DeserializeOwned>(w: Self::W<T>) -> (T, Option<Span>) {
        let s = w.referenced.span();
        let span = s.byte_offset().zip(s.byte_len()).map(|(o, n)| Span::new(o as usize, (o + n) as usize));
        (w.value, span)
    }
}

impl Format for Toml {
    type W<T: DeserializeOwned> = toml::Spanned<T>;
    fn split<T: DeserializeOwned>(w: Self::W<T>) -> (T, Option<Span>) {
        let r = w.span();
        (w.into_inner(), Some(Span::new(r.start, r.end)))
    }
}

/// Reads a YAML fact file. A syntax error (or a file that is not a mapping of kinds) stops
/// the file and is returned.
pub(super) fn read_yaml(loader: &mut Loader<'_>, text: &str) -> Result<(), Diagnostic> {
    // A number too large for `f64` (`1e400`) reaches the reader, which takes its written text,
    // so it is the one record's `number-out-of-range`, as in JSON, not an error of the file.
    let mut options = serde_saphyr::Options::default();
    options.non_finite_float_policy = serde_saphyr::NonFiniteFloatPolicy::PassThrough;
    let doc: Doc<Yaml> = serde_saphyr::from_str_with_options(text, options).map_err(|e| {
        let span = e.location().map_or_else(Span::default, |l| {
            let at = l.span().byte_offset().map_or_else(|| offset_of(text, l.line(), l.column()), |o| o as usize);
            Span::new(at, at)
        });
        let message = e.to_string();
        let message = message.lines().next().unwrap_or("").to_string();
        syntax(loader, span, format!("unreadable YAML: {message}"), "YAML")
    })?;
    Reader::<Yaml>::new(loader, text).document(doc);
    Ok(())
}

/// Reads a TOML fact file. A syntax error stops the file and is returned.
pub(super) fn read_toml(loader: &mut Loader<'_>, text: &str) -> Result<(), Diagnostic> {
    let doc: Doc<Toml> = toml::from_str(text).map_err(|e| {
        let span = e.span().map_or_else(Span::default, |r| Span::new(r.start, r.end));
        let message = e.message().trim().to_string();
        syntax(loader, span, format!("unreadable TOML: {message}"), "TOML")
    })?;
    Reader::<Toml>::new(loader, text).document(doc);
    Ok(())
}

/// The byte offset of a 1-based line and column (in characters).
fn offset_of(text: &str, line: u64, column: u64) -> usize {
    let start = match line {
        0 | 1 => 0,
        n => text.match_indices('\n').nth(n as usize - 2).map_or(text.len(), |(i, _)| i + 1),
    };
    let rest = &text[start..];
    let col = rest.char_indices().nth(column.saturating_sub(1) as usize).map_or(rest.len(), |(i, _)| i);
    start + col.min(rest.find('\n').unwrap_or(rest.len()))
}

fn syntax(loader: &Loader<'_>, span: Span, message: String, format: &str) -> Diagnostic {
    Diagnostic::error("fact-syntax", &loader.path, span, message).with_label("here").with_help(format!(
        "a {format} fact file maps each record kind to a list of records, as JSON does: `{{\"kind\": [{{…}}, …]}}`"
    ))
}

/// A name and what it maps to, each with its span.
type Entry<F, V> = (<F as Format>::W<String>, <F as Format>::W<V>);

/// The file: record kinds in the order written.
struct Doc<F: Format>(Vec<Entry<F, KindVal<F>>>);

/// What a record kind maps to: a list of records, or something else (reported).
enum KindVal<F: Format> {
    Records(Vec<F::W<Rec<F>>>),
    Other(&'static str),
}

/// One element of a kind's list: a record (its fields in order), or something else.
enum Rec<F: Format> {
    Fields(Vec<Entry<F, Val>>),
    Other(&'static str),
}

/// One field value.
enum Val {
    Str(String),
    /// A number; the text is cut from the file. The fallback is serde's rendering, used only
    /// when the format gives no span.
    Num(String),
    Bool(bool),
    Null,
    Nested(&'static str),
}

/// TOML hands a datetime over as a map with this one key, holding its text.
const TOML_DATETIME: &str = "$__toml_private_datetime";

impl<'de, F: Format> de::Deserialize<'de> for Doc<F> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<F>(PhantomData<F>);
        impl<'de, F: Format> Visitor<'de> for V<F> {
            type Value = Doc<F>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a mapping from each record kind to a list of records")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Doc<F>, A::Error> {
                let mut out = Vec::new();
                while let Some(entry) = map.next_entry()? {
                    out.push(entry);
                }
                Ok(Doc(out))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Doc<F>, E> {
                Ok(Doc(Vec::new()))
            }
        }
        d.deserialize_map(V(PhantomData))
    }
}

/// Consumes a non-scalar the reader does not want, naming what it was.
fn skip_seq<'de, A: SeqAccess<'de>>(mut seq: A) -> Result<(), A::Error> {
    while seq.next_element::<IgnoredAny>()?.is_some() {}
    Ok(())
}

fn skip_map<'de, A: MapAccess<'de>>(mut map: A) -> Result<(), A::Error> {
    while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
    Ok(())
}

/// Implements the scalar visits of a visitor whose value is "something else" for scalars.
macro_rules! other_scalars {
    ($ty:ty, $other:expr) => {
        fn visit_str<E: de::Error>(self, _: &str) -> Result<$ty, E> {
            Ok($other("a string"))
        }
        fn visit_i64<E: de::Error>(self, _: i64) -> Result<$ty, E> {
            Ok($other("a number"))
        }
        fn visit_u64<E: de::Error>(self, _: u64) -> Result<$ty, E> {
            Ok($other("a number"))
        }
        fn visit_f64<E: de::Error>(self, _: f64) -> Result<$ty, E> {
            Ok($other("a number"))
        }
        fn visit_bool<E: de::Error>(self, _: bool) -> Result<$ty, E> {
            Ok($other("a boolean"))
        }
        fn visit_unit<E: de::Error>(self) -> Result<$ty, E> {
            Ok($other("`null`"))
        }
        fn visit_none<E: de::Error>(self) -> Result<$ty, E> {
            Ok($other("`null`"))
        }
    };
}

impl<'de, F: Format> de::Deserialize<'de> for KindVal<F> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<F>(PhantomData<F>);
        impl<'de, F: Format> Visitor<'de> for V<F> {
            type Value = KindVal<F>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a list of records")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<KindVal<F>, A::Error> {
                let mut out = Vec::new();
                while let Some(r) = seq.next_element()? {
                    out.push(r);
                }
                Ok(KindVal::Records(out))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<KindVal<F>, A::Error> {
                skip_map(map)?;
                Ok(KindVal::Other("a mapping"))
            }
            other_scalars!(KindVal<F>, KindVal::Other);
        }
        d.deserialize_any(V(PhantomData))
    }
}

impl<'de, F: Format> de::Deserialize<'de> for Rec<F> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<F>(PhantomData<F>);
        impl<'de, F: Format> Visitor<'de> for V<F> {
            type Value = Rec<F>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a record")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Rec<F>, A::Error> {
                let mut out = Vec::new();
                while let Some(entry) = map.next_entry()? {
                    out.push(entry);
                }
                Ok(Rec::Fields(out))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Rec<F>, A::Error> {
                skip_seq(seq)?;
                Ok(Rec::Other("a list"))
            }
            other_scalars!(Rec<F>, Rec::Other);
        }
        d.deserialize_any(V(PhantomData))
    }
}

impl<'de> de::Deserialize<'de> for Val {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Val;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a value")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Val, E> {
                Ok(Val::Str(v.to_string()))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Val, E> {
                Ok(Val::Str(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Val, E> {
                Ok(Val::Num(v.to_string()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Val, E> {
                Ok(Val::Num(v.to_string()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Val, E> {
                Ok(Val::Num(format!("{v}")))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Val, E> {
                Ok(Val::Bool(v))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Val, E> {
                Ok(Val::Null)
            }
            fn visit_none<E: de::Error>(self) -> Result<Val, E> {
                Ok(Val::Null)
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Val, D::Error> {
                de::Deserialize::deserialize(d)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Val, A::Error> {
                skip_seq(seq)?;
                Ok(Val::Nested("a list"))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Val, A::Error> {
                match map.next_key::<String>()? {
                    Some(k) if k == TOML_DATETIME => {
                        let text: String = map.next_value()?;
                        skip_map(map)?;
                        Ok(Val::Str(text))
                    }
                    Some(_) => {
                        map.next_value::<IgnoredAny>()?;
                        skip_map(map)?;
                        Ok(Val::Nested("a mapping"))
                    }
                    None => Ok(Val::Nested("a mapping")),
                }
            }
        }
        d.deserialize_any(V)
    }
}

/// Feeds the tree to the loader, as the JSON reader does with its tokens.
struct Reader<'l, 's, 't, F> {
    loader: &'l mut Loader<'s>,
    text: &'t str,
    /// Byte offset of each line start, for record line numbers.
    line_starts: Vec<usize>,
    /// Per field of the record being read: where it was first written.
    seen: Vec<Option<Span>>,
    format: PhantomData<F>,
}

impl<'l, 's, 't, F: Format> Reader<'l, 's, 't, F> {
    fn new(loader: &'l mut Loader<'s>, text: &'t str) -> Self {
        let line_starts =
            std::iter::once(0).chain(text.bytes().enumerate().filter(|&(_, b)| b == b'\n').map(|(i, _)| i + 1));
        Reader { loader, text, line_starts: line_starts.collect(), seen: Vec::new(), format: PhantomData }
    }

    fn line(&self, span: Span) -> u32 {
        self.line_starts.partition_point(|&s| s <= span.start as usize) as u32
    }

    fn document(mut self, doc: Doc<F>) {
        for (name, value) in doc.0 {
            let (name, name_span) = F::split(name);
            let name_span = name_span.unwrap_or_default();
            let (value, value_span) = F::split(value);
            let value_span = value_span.unwrap_or(name_span);
            let name = trim(&name);
            match (self.loader.kind_named(name, name_span), value) {
                (Some(kind), KindVal::Records(records)) => {
                    for r in records {
                        let (r, span) = F::split(r);
                        self.record(kind, r, span.unwrap_or(value_span));
                    }
                }
                (Some(kind), KindVal::Other(what)) => {
                    let rec = &self.loader.record(kind).name;
                    let d = Diagnostic::error(
                        "fact-syntax",
                        &self.loader.path,
                        value_span,
                        format!("expected a list of `{rec}` records, found {what}"),
                    )
                    .with_label("not a list")
                    .with_help(format!("write the records of `{rec}` as a list of mappings"));
                    self.loader.report(d);
                }
                (None, value) => {
                    let n = match value {
                        KindVal::Records(r) => r.len(),
                        KindVal::Other(_) => 0,
                    };
                    let label = format!("{} not read under this name", super::records(n));
                    let line = self.line(name_span);
                    let help = "the record kinds are declared by `record` items";
                    self.loader.unknown_kind(name, name_span, label, help, n, line);
                }
            }
        }
    }

    fn record(&mut self, kind: RecordId, rec: Rec<F>, span: Span) {
        let line = self.line(span);
        let fields = match rec {
            Rec::Fields(fields) => fields,
            Rec::Other(what) => {
                let name = &self.loader.record(kind).name;
                let d = Diagnostic::error(
                    "fact-syntax",
                    &self.loader.path,
                    span,
                    format!("expected a `{name}` record (a mapping), found {what}"),
                )
                .with_label("not a record")
                .with_help(format!("each element of the `{name}` list is one record of `field: value` pairs"));
                self.loader.reject_whole(d, kind, None, line, span);
                return;
            }
        };
        self.loader.begin(kind, line);
        self.seen.clear();
        self.seen.resize(self.loader.record(kind).fields.len(), None);
        for (name, value) in fields {
            let (name, name_span) = F::split(name);
            let name_span = name_span.unwrap_or(span);
            let (value, value_span) = F::split(value);
            let name = trim(&name);
            let Some(f) = self.loader.field_named(kind, name, name_span) else {
                match self.loader.part(kind, name) {
                    Some(part) => self.part(part, &value, value_span.unwrap_or(span)),
                    None => self.loader.unknown_field(kind, name, name_span),
                }
                continue;
            };
            if let Some(first) = self.seen[f] {
                let rec = &self.loader.record(kind).name;
                let d = Diagnostic::error(
                    "duplicate-field",
                    &self.loader.path,
                    name_span,
                    format!("duplicate field `{name}` in this `{rec}` record"),
                )
                .with_label("written again here")
                .with_secondary(first, "first written here")
                .with_help("a field appears once per record; remove one of the two");
                self.loader.reject_row(d, &format!("`{name}` is written twice"));
                continue;
            }
            self.seen[f] = Some(name_span);
            self.set(f, &value, value_span.unwrap_or(span));
        }
        self.loader.end(span, span);
    }

    /// Hands one value to the loader, with the text the file holds where it can.
    fn set(&mut self, field: usize, value: &Val, span: Span) {
        self.put(Ok(field), value, span);
    }

    /// Hands the loader one part of a field built from split columns.
    fn part(&mut self, part: (u8, u8), value: &Val, span: Span) {
        self.put(Err(part), value, span);
    }

    fn put(&mut self, target: Result<usize, (u8, u8)>, value: &Val, span: Span) {
        let written = self.text.get(span.start as usize..span.end as usize).unwrap_or("");
        let number: String;
        let (scalar, verbatim_at) = match value {
            Val::Str(s) => {
                let at = if written == s {
                    Some(span.start)
                } else if written.len() >= 2 && written.get(1..written.len() - 1) == Some(s.as_str()) {
                    Some(span.start + 1)
                } else {
                    None
                };
                (Scalar::Str(s), at)
            }
            Val::Num(fallback) => {
                let w = written.trim();
                number = if !w.is_empty() && w.bytes().all(|b| b.is_ascii_digit() || b"+-.eE_".contains(&b)) {
                    w.replace('_', "")
                } else {
                    fallback.clone()
                };
                (Scalar::Num(&number), None)
            }
            Val::Bool(b) => (Scalar::Bool(*b), None),
            Val::Null => (Scalar::Null, None),
            Val::Nested(what) => (Scalar::Nested(what), None),
        };
        let raw = Raw { scalar, span, verbatim_at };
        match target {
            Ok(field) => self.loader.set(field, &raw),
            Err(part) => self.loader.set_part(part, &raw),
        }
    }
}
