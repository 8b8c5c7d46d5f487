//! Typed column storage for the fact store.
//!
//! A [`Column`] holds one field of every row of a table in the representation its declared
//! type allows, with a presence bitmap: booleans as bits, dates as days, enum variants, parties
//! and references as `u32` indexes, text interned (identical strings share one allocation),
//! and numbers, percentages and quantities as exact fixed-point `i64` mantissas with one scale
//! per column. A value that does not fit that representation (a number that needs more than 64
//! bits at the column's scale, a value of another variant) turns the column into a more general
//! one (exact `Decimal`s, or whole [`Value`]s), so a value read back is always the value stored:
//! nothing is rounded and nothing passes through a binary float.
//!
//! Keys are held by [`Keys`]: the texts in one buffer, found through a hash table of row
//! numbers, so that a key takes its bytes and a few more; keys that come in order (numbered
//! readings, codes counting up) are found by halving instead, with no table at all.

use crate::model::{PartyId, RecordId, Ty};
use crate::value::{Date, DateTime, Value};
use rust_decimal::Decimal;
use rustc_hash::{FxBuildHasher, FxHashMap};
use std::hash::BuildHasher;
use std::sync::Arc;

/// A growable bitmap.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Bits {
    words: Vec<u64>,
    len: usize,
}

impl Bits {
    pub fn push(&mut self, bit: bool) {
        if self.len.is_multiple_of(64) {
            self.words.push(0);
        }
        if bit {
            self.words[self.len / 64] |= 1 << (self.len % 64);
        }
        self.len += 1;
    }

    /// The bit at `i`; `false` past the end.
    pub fn get(&self, i: usize) -> bool {
        i < self.len && self.words[i / 64] & (1 << (i % 64)) != 0
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    fn heap_bytes(&self) -> usize {
        self.words.capacity() * 8
    }

    fn shrink(&mut self) {
        self.words.shrink_to_fit();
    }
}

/// What a column of `u32` indexes stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum IndexOf {
    Enum,
    Party,
    /// Rows of the given record kind.
    Ref(RecordId),
}

/// The values of a column, by representation. An absent row holds a filler (zero, `false`,
/// `None`) that is never read: the presence bitmap says it is absent.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Data {
    Bool(Bits),
    /// Days since 1970-01-01.
    Date(Vec<i32>),
    /// Seconds since 1970-01-01T00:00, civil time in the plan's zone.
    Moment(Vec<i64>),
    Index(IndexOf, Vec<u32>),
    /// Per row an index into `strings`, which holds each distinct text once.
    Text {
        ids: Vec<u32>,
        strings: Vec<Arc<str>>,
    },
    /// Texts that all differ (the file-and-line keys of records without a key, the group keys
    /// of derived records), one after another, each ending where the next begins (an absent
    /// row holds an empty text): one allocation for the column, instead of one per row.
    Unique(Arc<Texts>),
    /// Per row the mantissa of the value at `scale` decimal places. Only values that are
    /// normalized (no trailing zeros, no negative zero) are held so, which is how the readers
    /// give every number, so that normalizing the mantissa at the scale gives the value back.
    Fixed {
        scale: u32,
        mantissas: Vec<i64>,
    },
    /// Numbers that do not fit `Fixed`, as they are.
    Decimal(Vec<Decimal>),
    /// Anything else.
    Any(Vec<Option<Value>>),
}

/// A column's values as they are held ([`Column::typed`]).
#[derive(Clone, Copy, Debug)]
pub enum Typed<'a> {
    Bool(&'a Bits),
    /// Days since 1970-01-01.
    Date(&'a [i32]),
    /// Seconds since 1970-01-01T00:00, civil time.
    Moment(&'a [i64]),
    /// Enum variants, parties or rows of the referenced kind, by index.
    Index(&'a [u32]),
    /// Per row an index into the column's distinct texts: equal texts, equal indexes.
    Text(&'a [u32]),
    /// Mantissas at a scale.
    Fixed(u32, &'a [i64]),
    /// Numbers held as decimals, or values of any other type.
    Other,
}

/// One field of every row of a table. See the module documentation.
///
/// A finished column is shared, not copied, when it is cloned: linking hands a file's column
/// to its table whole when the table's rows are that file's rows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Column(Arc<Cells>);

/// The rows of a column: which are present, and their values.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Cells {
    present: Bits,
    data: Data,
}

impl Default for Column {
    fn default() -> Self {
        Column(Arc::new(Cells { present: Bits::default(), data: Data::Any(Vec::new()) }))
    }
}

impl Column {
    /// The number of rows.
    pub fn len(&self) -> usize {
        self.0.present.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.present.is_empty()
    }

    /// The value of `row`, or `None` when it is absent (or out of range).
    pub fn get(&self, row: usize) -> Option<Value> {
        self.0.get(row)
    }

    /// The date of `row`, when it holds one.
    pub fn date(&self, row: usize) -> Option<Date> {
        self.0.date(row)
    }

    /// The value id `id` stands for in a column of enum values, parties or references, whose
    /// rows hold ids ([`Typed::Index`]); `None` for a column of any other kind.
    pub fn value_of_id(&self, id: u32) -> Option<Value> {
        match &self.0.data {
            Data::Index(IndexOf::Enum, _) => Some(Value::Enum(id)),
            Data::Index(IndexOf::Party, _) => Some(Value::Party(PartyId(id))),
            Data::Index(IndexOf::Ref(kind), _) => Some(Value::Ref(*kind, id)),
            _ => None,
        }
    }

    /// The row `row` refers to, as `(kind, row)`, when it holds a reference.
    pub fn reference(&self, row: usize) -> Option<(RecordId, u32)> {
        self.0.reference(row)
    }

    /// Whether `row` holds a value.
    pub fn is_present(&self, row: usize) -> bool {
        self.0.present.get(row)
    }

    /// The column of a key whose texts all differ (where each record was read, or its group),
    /// holding `keys`' own texts rather than a copy: each row has its key.
    pub fn of_keys(keys: &Keys) -> Column {
        let n = keys.len();
        let mut words = vec![u64::MAX; n / 64];
        if !n.is_multiple_of(64) {
            words.push((1u64 << (n % 64)) - 1);
        }
        Column(Arc::new(Cells { present: Bits { words, len: n }, data: Data::Unique(keys.texts.clone()) }))
    }

    /// Whether this column holds the same texts as `keys`, row by row (at once when it holds
    /// `keys`' own).
    pub fn is_keys(&self, keys: &Keys) -> bool {
        if let Data::Unique(texts) = &self.0.data
            && Arc::ptr_eq(texts, &keys.texts)
        {
            return true;
        }
        self.is_keys_from(keys, 0)
    }

    /// Whether row `r` of this column holds key `from + r` of `keys`, for every row.
    pub fn is_keys_from(&self, keys: &Keys, from: usize) -> bool {
        from + self.len() <= keys.len() && (0..self.len()).all(|r| self.text(r) == Some(keys.key((from + r) as u32)))
    }

    /// The text of `row`, borrowed, when the column holds texts and `row` has one.
    pub fn text(&self, row: usize) -> Option<&str> {
        match &self.0.data {
            Data::Text { ids, strings } if self.0.present.get(row) => Some(&strings[ids[row] as usize]),
            Data::Unique(t) if self.0.present.get(row) => Some(t.at(row)),
            _ => None,
        }
    }

    /// For a column of texts: each row's index into the distinct texts (any index where the
    /// row is absent), and those texts.
    pub fn text_ids(&self) -> Option<(&[u32], &[Arc<str>])> {
        match &self.0.data {
            Data::Text { ids, strings } => Some((ids, strings)),
            _ => None,
        }
    }

    /// Writes the number of `row` as [`Decimal`]'s `Display` writes it normalized (`31`,
    /// `-0.5`), when the column holds fixed-point numbers and `row` has one; `false` otherwise.
    /// Without going through a `Decimal`, for keys that are numbers.
    pub fn write_number(&self, row: usize, out: &mut String) -> bool {
        match &self.0.data {
            Data::Fixed { scale, mantissas } if self.0.present.get(row) => {
                write_fixed(out, mantissas[row], *scale);
                true
            }
            _ => false,
        }
    }

    /// For a column of fixed-point numbers: the scale and each row's mantissa (any value
    /// where the row is absent); `None` for a column held otherwise. Row `r`'s number is
    /// `mantissa[r] / 10^scale`.
    pub fn fixed(&self) -> Option<(u32, &[i64])> {
        match &self.0.data {
            Data::Fixed { scale, mantissas } => Some((*scale, mantissas)),
            _ => None,
        }
    }

    /// How many rows are absent.
    pub fn absent(&self) -> usize {
        let p = &self.0.present;
        p.len - p.words.iter().map(|w| w.count_ones() as usize).sum::<usize>()
    }

    /// The column's values as they are held, for engines that read whole columns (any value
    /// where a row is absent: [`Column::is_present`] says which are).
    pub fn typed(&self) -> Typed<'_> {
        match &self.0.data {
            Data::Bool(b) => Typed::Bool(b),
            Data::Date(d) => Typed::Date(d),
            Data::Moment(t) => Typed::Moment(t),
            Data::Index(_, v) => Typed::Index(v),
            Data::Text { ids, .. } => Typed::Text(ids),
            Data::Fixed { scale, mantissas } => Typed::Fixed(*scale, mantissas),
            Data::Unique(_) | Data::Decimal(_) | Data::Any(_) => Typed::Other,
        }
    }

    /// The values of every row in order, `None` where absent.
    pub fn iter(&self) -> impl Iterator<Item = Option<Value>> + '_ {
        self.0.iter()
    }

    /// The bytes this column holds on the heap (capacity, not only length); interned texts
    /// are counted once each, with their allocation's two reference counts.
    pub fn heap_bytes(&self) -> usize {
        self.0.heap_bytes()
    }
}

impl Cells {
    fn len(&self) -> usize {
        self.present.len()
    }

    fn get(&self, row: usize) -> Option<Value> {
        if !self.present.get(row) {
            return None;
        }
        Some(match &self.data {
            Data::Bool(b) => Value::Bool(b.get(row)),
            Data::Date(d) => Value::Date(Date(d[row])),
            Data::Moment(t) => Value::DateTime(DateTime(t[row])),
            Data::Index(IndexOf::Enum, v) => Value::Enum(v[row]),
            Data::Index(IndexOf::Party, v) => Value::Party(PartyId(v[row])),
            Data::Index(IndexOf::Ref(kind), v) => Value::Ref(*kind, v[row]),
            Data::Text { ids, strings } => Value::Text(strings[ids[row] as usize].clone()),
            Data::Unique(t) => Value::Text(t.at(row).into()),
            Data::Fixed { scale, mantissas } => Value::Num(fixed(mantissas[row], *scale)),
            Data::Decimal(v) => Value::Num(v[row]),
            Data::Any(v) => return v[row].clone(),
        })
    }

    fn date(&self, row: usize) -> Option<Date> {
        if !self.present.get(row) {
            return None;
        }
        match &self.data {
            Data::Date(d) => Some(Date(d[row])),
            Data::Moment(t) => Some(DateTime(t[row]).date()),
            Data::Any(v) => v[row].as_ref().and_then(Value::as_date),
            _ => None,
        }
    }

    fn reference(&self, row: usize) -> Option<(RecordId, u32)> {
        if !self.present.get(row) {
            return None;
        }
        match &self.data {
            Data::Index(IndexOf::Ref(kind), v) => Some((*kind, v[row])),
            Data::Any(v) => match v[row] {
                Some(Value::Ref(k, r)) => Some((k, r)),
                _ => None,
            },
            _ => None,
        }
    }

    fn iter(&self) -> impl Iterator<Item = Option<Value>> + '_ {
        (0..self.len()).map(|row| self.get(row))
    }

    fn heap_bytes(&self) -> usize {
        let data = match &self.data {
            Data::Bool(b) => b.heap_bytes(),
            Data::Date(d) => d.capacity() * 4,
            Data::Moment(t) => t.capacity() * 8,
            Data::Index(_, v) => v.capacity() * 4,
            Data::Text { ids, strings } => {
                ids.capacity() * 4
                    + strings.capacity() * std::mem::size_of::<Arc<str>>()
                    + strings.iter().map(|s| s.len() + 16).sum::<usize>()
            }
            Data::Unique(t) => t.text.capacity() + t.ends.heap_bytes(),
            Data::Fixed { mantissas, .. } => mantissas.capacity() * 8,
            Data::Decimal(v) => v.capacity() * 16,
            Data::Any(v) => v.capacity() * std::mem::size_of::<Option<Value>>(),
        };
        self.present.heap_bytes() + data
    }
}

/// Texts one after another, each ending where `ends` says (it starts where the one before
/// ends): the keys of a table, and a column of texts that all differ.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Texts {
    text: String,
    ends: Ends,
}

impl Texts {
    /// Text `i`.
    fn at(&self, i: usize) -> &str {
        let start = if i == 0 { 0 } else { self.ends.get(i - 1) };
        &self.text[start..self.ends.get(i)]
    }

    fn shrink(&mut self) {
        self.text.shrink_to_fit();
        self.ends.shrink();
    }
}

/// `mantissa / 10^scale`, normalized: trailing zeros stripped, zero as `0`.
fn fixed(mut mantissa: i64, mut scale: u32) -> Decimal {
    while scale > 0 && mantissa % 10 == 0 {
        mantissa /= 10;
        scale -= 1;
    }
    Decimal::new(mantissa, scale)
}

/// Writes `mantissa / 10^scale` as [`fixed`] of it displays: trailing zeros stripped, `0.`
/// before a fraction, `-` before a negative number.
pub(crate) fn write_fixed(out: &mut String, mut mantissa: i64, mut scale: u32) {
    while scale > 0 && mantissa % 10 == 0 {
        mantissa /= 10;
        scale -= 1;
    }
    // Written right to left: the digits after the point (zeros ahead of the mantissa's when it
    // has fewer), the point, then the digits before it (`0` when none) and the sign. A scale is
    // at most 28 and an `i64` has at most 19 digits.
    let mut text = [0u8; 52];
    let mut at = text.len();
    let mut n = mantissa.unsigned_abs();
    let mut put = |c: u8| {
        at -= 1;
        text[at] = c;
    };
    for _ in 0..scale {
        put(b'0' + (n % 10) as u8);
        n /= 10;
    }
    if scale > 0 {
        put(b'.');
    }
    loop {
        put(b'0' + (n % 10) as u8);
        n /= 10;
        if n == 0 {
            break;
        }
    }
    if mantissa < 0 {
        put(b'-');
    }
    // Byte by byte: a number is a few characters, and a copy call costs more than they do.
    out.extend(text[at..].iter().map(|&b| char::from(b)));
}

/// Whether `n` is normalized: no trailing zeros after the point, and zero as `0`.
fn is_normalized(n: Decimal) -> bool {
    if n.is_zero() { n.scale() == 0 && !n.is_sign_negative() } else { n.scale() == 0 || n.mantissa() % 10 != 0 }
}

/// Builds a [`Column`] a row at a time.
#[derive(Debug)]
pub struct ColumnBuilder {
    column: Cells,
    /// For a text column: each distinct text, with its index.
    interned: FxHashMap<Arc<str>, u32>,
}

impl ColumnBuilder {
    /// A column for values of type `ty`, with room for `rows` rows.
    pub fn new(ty: &Ty, rows: usize) -> Self {
        let data = match ty {
            Ty::Bool => Data::Bool(Bits::default()),
            Ty::Date => Data::Date(Vec::with_capacity(rows)),
            Ty::DateTime => Data::Moment(Vec::with_capacity(rows)),
            Ty::Enum(_) => Data::Index(IndexOf::Enum, Vec::with_capacity(rows)),
            Ty::Party => Data::Index(IndexOf::Party, Vec::with_capacity(rows)),
            Ty::Ref(kind) => Data::Index(IndexOf::Ref(*kind), Vec::with_capacity(rows)),
            Ty::Text => Data::Text { ids: Vec::with_capacity(rows), strings: Vec::new() },
            Ty::Number | Ty::Percent | Ty::Quantity(_) => Data::Fixed { scale: 0, mantissas: Vec::with_capacity(rows) },
            _ => Data::Any(Vec::with_capacity(rows)),
        };
        ColumnBuilder { column: Cells { present: Bits::default(), data }, interned: FxHashMap::default() }
    }

    /// A column for a field whose values all differ (the file-and-line key of a record without
    /// a key): texts are held one after another as they come ([`Data::Unique`]), without
    /// looking each up to share it.
    pub fn unique(ty: &Ty, rows: usize) -> Self {
        let mut b = ColumnBuilder::new(ty, rows);
        if *ty == Ty::Text {
            let texts = Texts { text: String::new(), ends: Ends::Narrow(Vec::with_capacity(rows)) };
            b.column.data = Data::Unique(Arc::new(texts));
        }
        b
    }

    /// A column for `field`: [`ColumnBuilder::unique`] for a key made of where a record was
    /// read or of its group, else [`ColumnBuilder::new`].
    pub fn for_field(field: &crate::model::FieldDecl, ty: &Ty, rows: usize) -> Self {
        if field.name == crate::model::KEYLESS_KEY || field.name == crate::model::GROUP_KEY {
            ColumnBuilder::unique(ty, rows)
        } else {
            ColumnBuilder::new(ty, rows)
        }
    }

    /// Appends a row.
    pub fn push(&mut self, value: Option<Value>) {
        let Some(value) = value else {
            self.push_filler();
            self.column.present.push(false);
            return;
        };
        if let Err(value) = self.push_typed(value) {
            self.generalize();
            match &mut self.column.data {
                Data::Any(v) => v.push(Some(value)),
                _ => unreachable!("generalize leaves an `Any` column"),
            }
        }
        self.column.present.push(true);
    }

    /// Appends every row of `other`, as [`ColumnBuilder::push`] would one at a time: the
    /// values of a column whose representation is the same are copied as they are (the
    /// columns of a kind's files, joined into one table).
    pub fn append(&mut self, other: &Column) {
        let from = &*other.0;
        let n = from.len();
        let copied = match (&mut self.column.data, &from.data) {
            (Data::Date(a), Data::Date(b)) => {
                a.extend_from_slice(&b[..n]);
                true
            }
            (Data::Moment(a), Data::Moment(b)) => {
                a.extend_from_slice(&b[..n]);
                true
            }
            (Data::Index(x, a), Data::Index(y, b)) if x == y => {
                a.extend_from_slice(&b[..n]);
                true
            }
            (Data::Fixed { scale, mantissas }, Data::Fixed { scale: s, mantissas: b }) if *scale == *s => {
                mantissas.extend_from_slice(&b[..n]);
                true
            }
            // Nothing held yet: the numbers are held at the other column's scale.
            (Data::Fixed { scale, mantissas }, Data::Fixed { scale: s, mantissas: b }) if mantissas.is_empty() => {
                *scale = *s;
                mantissas.extend_from_slice(&b[..n]);
                true
            }
            // Two scales: the mantissas at the smaller one are raised to the larger, when they
            // all fit (as `push_fixed` raises them one number at a time).
            (Data::Fixed { scale, mantissas }, Data::Fixed { scale: s, mantissas: b }) => {
                let to = (*scale).max(*s);
                let raise = |m: &[i64], from: u32| -> Option<Vec<i64>> {
                    let f = 10i64.checked_pow(to - from)?;
                    m.iter().map(|&x| x.checked_mul(f)).collect()
                };
                let mine = if *scale < to { raise(mantissas, *scale) } else { None };
                match (mine, *scale < to, raise(&b[..n], *s)) {
                    (None, true, _) | (_, _, None) => false,
                    (mine, _, Some(theirs)) => {
                        if let Some(mine) = mine {
                            *mantissas = mine;
                        }
                        mantissas.extend_from_slice(&theirs);
                        *scale = to;
                        true
                    }
                }
            }
            (Data::Bool(a), Data::Bool(b)) => {
                for row in 0..n {
                    a.push(b.get(row));
                }
                true
            }
            // Texts: each of the other column's distinct texts looked up once, its rows mapped.
            (Data::Text { ids, strings }, Data::Text { ids: b, strings: theirs }) => {
                let map: Vec<u32> = theirs
                    .iter()
                    .map(|t| match self.interned.get(t) {
                        Some(&id) => id,
                        None => {
                            let id = strings.len() as u32;
                            strings.push(t.clone());
                            self.interned.insert(t.clone(), id);
                            id
                        }
                    })
                    .collect();
                ids.extend((0..n).map(|row| if from.present.get(row) { map[b[row] as usize] } else { 0 }));
                true
            }
            (Data::Unique(mine), Data::Unique(theirs)) => {
                let Texts { text, ends } = Arc::make_mut(mine);
                let base = text.len();
                text.push_str(&theirs.text[..if n == 0 { 0 } else { theirs.ends.get(n - 1) }]);
                for row in 0..n {
                    ends.push(base + theirs.ends.get(row));
                }
                true
            }
            _ => false,
        };
        if copied {
            for row in 0..n {
                self.column.present.push(from.present.get(row));
            }
        } else {
            for value in from.iter() {
                self.push(value);
            }
        }
    }

    /// Pushes a present value in the column's representation, or gives it back when that
    /// representation cannot hold it. A number that does not fit `Fixed` makes the column
    /// `Decimal` here.
    fn push_typed(&mut self, value: Value) -> Result<(), Value> {
        match (&mut self.column.data, value) {
            (Data::Bool(b), Value::Bool(x)) => b.push(x),
            (Data::Date(d), Value::Date(x)) => d.push(x.0),
            (Data::Moment(t), Value::DateTime(x)) => t.push(x.0),
            (Data::Index(IndexOf::Enum, v), Value::Enum(x)) => v.push(x),
            (Data::Index(IndexOf::Party, v), Value::Party(x)) => v.push(x.0),
            (Data::Index(IndexOf::Ref(kind), v), Value::Ref(k, r)) if *kind == k => v.push(r),
            (Data::Unique(texts), Value::Text(t)) => {
                let Texts { text, ends } = Arc::make_mut(texts);
                text.push_str(&t);
                ends.push(text.len());
            }
            (Data::Text { ids, strings }, Value::Text(t)) => {
                let id = match self.interned.get(&t) {
                    Some(&id) => id,
                    None => {
                        let id = strings.len() as u32;
                        strings.push(t.clone());
                        self.interned.insert(t, id);
                        id
                    }
                };
                ids.push(id);
            }
            (Data::Fixed { scale, mantissas }, Value::Num(n)) => {
                if !push_fixed(scale, mantissas, n) {
                    let mut all: Vec<Decimal> = Vec::with_capacity(mantissas.capacity());
                    all.extend(mantissas.iter().map(|&m| fixed(m, *scale)));
                    all.push(n);
                    self.column.data = Data::Decimal(all);
                }
            }
            (Data::Decimal(v), Value::Num(n)) => v.push(n),
            (Data::Any(v), value) => v.push(Some(value)),
            (_, value) => return Err(value),
        }
        Ok(())
    }

    fn push_filler(&mut self) {
        match &mut self.column.data {
            Data::Bool(b) => b.push(false),
            Data::Date(d) => d.push(0),
            Data::Moment(t) => t.push(0),
            Data::Index(_, v) => v.push(0),
            Data::Text { ids, .. } => ids.push(0),
            Data::Unique(texts) => {
                let Texts { text, ends } = Arc::make_mut(texts);
                ends.push(text.len());
            }
            Data::Fixed { mantissas, .. } => mantissas.push(0),
            Data::Decimal(v) => v.push(Decimal::ZERO),
            Data::Any(v) => v.push(None),
        }
    }

    /// Turns the column into an `Any` column holding the same values.
    fn generalize(&mut self) {
        if matches!(self.column.data, Data::Any(_)) {
            return;
        }
        let all: Vec<Option<Value>> = self.column.iter().collect();
        self.column.data = Data::Any(all);
        self.interned = FxHashMap::default();
    }

    pub fn finish(mut self) -> Column {
        let c = &mut self.column;
        c.present.shrink();
        match &mut c.data {
            Data::Bool(b) => b.shrink(),
            Data::Date(d) => d.shrink_to_fit(),
            Data::Moment(t) => t.shrink_to_fit(),
            Data::Index(_, v) => v.shrink_to_fit(),
            Data::Text { ids, strings } => {
                ids.shrink_to_fit();
                strings.shrink_to_fit();
            }
            Data::Unique(texts) => Arc::make_mut(texts).shrink(),
            Data::Fixed { mantissas, .. } => mantissas.shrink_to_fit(),
            Data::Decimal(v) => v.shrink_to_fit(),
            Data::Any(v) => v.shrink_to_fit(),
        }
        Column(Arc::new(self.column))
    }
}

/// Pushes `n` as a mantissa at `scale`, raising the scale (and rescaling the mantissas held)
/// when `n` has more decimal places. `false`, with nothing changed, when `n` is not normalized
/// or some mantissa would not fit an `i64`.
fn push_fixed(scale: &mut u32, mantissas: &mut Vec<i64>, n: Decimal) -> bool {
    // The common case, in 64-bit arithmetic: a mantissa that fits, at most at the column's
    // scale. (What does not fit here does not fit below either.)
    let s = n.scale();
    if s <= *scale
        && let Ok(m) = i64::try_from(n.mantissa())
    {
        let normalized = if m == 0 { s == 0 && !n.is_sign_negative() } else { s == 0 || m % 10 != 0 };
        let at_scale = if m == 0 { Some(0) } else { 10i64.checked_pow(*scale - s).and_then(|f| m.checked_mul(f)) };
        match at_scale {
            Some(m) if normalized => {
                mantissas.push(m);
                return true;
            }
            _ => return false,
        }
    }
    if !is_normalized(n) {
        return false;
    }
    let s = n.scale();
    if s > *scale {
        let Some(factor) = 10i64.checked_pow(s - *scale) else { return false };
        if mantissas.iter().any(|m| m.checked_mul(factor).is_none()) {
            return false;
        }
        mantissas.iter_mut().for_each(|m| *m *= factor);
        *scale = s;
    }
    // Both scales are at most 28, so the factor fits an i128.
    let factor = 10i128.pow(*scale - s);
    match n.mantissa().checked_mul(factor).and_then(|m| i64::try_from(m).ok()) {
        Some(m) => {
            mantissas.push(m);
            true
        }
        None => false,
    }
}

/// The keys of a table's rows: row `r`'s key is `key(r)`, and `get` finds a key's row.
///
/// While every key comes after the one before in [`shortlex`] order (shorter first, then byte
/// by byte: `9` before `10`, `E000001` before `E000002`), the keys are distinct without being
/// compared with the others, and `get` finds one by halving; the hash table is built only when
/// a key comes out of order. Millions of numbered readings then cost no hash table, and no
/// lookup that misses the cache per row.
#[derive(Clone, Default)]
pub struct Keys {
    /// Every key's text, one after another: shared with the key's column when the keys are
    /// where the records were read or their groups ([`Column::of_keys`]).
    texts: Arc<Texts>,
    /// Rows, hashed by their key text; empty while the keys are in order.
    index: hashbrown::HashTable<u32>,
    /// Whether some key came out of [`shortlex`] order, so that `index` holds every row.
    unordered: bool,
    /// The rows expected, for the hash table should it be built.
    room: usize,
}

/// Shorter first, then byte by byte: the order of whole numbers written out, and of codes of
/// one length.
fn shortlex(a: &str, b: &str) -> std::cmp::Ordering {
    a.len().cmp(&b.len()).then_with(|| a.as_bytes().cmp(b.as_bytes()))
}

/// Offsets into a buffer: `u32` while the buffer is under 4 GiB, `u64` past it.
#[derive(Clone, Debug)]
enum Ends {
    Narrow(Vec<u32>),
    Wide(Vec<u64>),
}

impl Default for Ends {
    fn default() -> Self {
        Ends::Narrow(Vec::new())
    }
}

/// The same offsets, whatever their width.
impl PartialEq for Ends {
    fn eq(&self, other: &Ends) -> bool {
        self.len() == other.len() && (0..self.len()).all(|i| self.get(i) == other.get(i))
    }
}

impl Eq for Ends {}

impl Ends {
    fn shrink(&mut self) {
        match self {
            Ends::Narrow(v) => v.shrink_to_fit(),
            Ends::Wide(v) => v.shrink_to_fit(),
        }
    }

    fn len(&self) -> usize {
        match self {
            Ends::Narrow(v) => v.len(),
            Ends::Wide(v) => v.len(),
        }
    }

    fn get(&self, i: usize) -> usize {
        match self {
            Ends::Narrow(v) => v[i] as usize,
            Ends::Wide(v) => v[i] as usize,
        }
    }

    fn push(&mut self, end: usize) {
        if let Ends::Narrow(v) = self
            && u32::try_from(end).is_err()
        {
            *self = Ends::Wide(v.iter().map(|&e| e as u64).collect());
        }
        match self {
            Ends::Narrow(v) => v.push(end as u32),
            Ends::Wide(v) => v.push(end as u64),
        }
    }

    fn heap_bytes(&self) -> usize {
        match self {
            Ends::Narrow(v) => v.capacity() * 4,
            Ends::Wide(v) => v.capacity() * 8,
        }
    }
}

fn hash(key: &str) -> u64 {
    FxBuildHasher.hash_one(key)
}

impl Keys {
    /// Room for `rows` keys.
    pub fn with_capacity(rows: usize) -> Self {
        let texts = Texts { text: String::new(), ends: Ends::Narrow(Vec::with_capacity(rows)) };
        Keys { texts: Arc::new(texts), room: rows, ..Keys::default() }
    }

    /// Adds the key of the next row, which must not be a key already held, and returns its row.
    pub fn push(&mut self, key: &str) -> u32 {
        debug_assert!(self.get(key).is_none(), "keys are unique");
        let row = self.texts.ends.len() as u32;
        // The first key out of order puts every row, this one too, in the table.
        let first_unordered = !self.unordered && !self.follows(key);
        let texts = Arc::make_mut(&mut self.texts);
        texts.text.push_str(key);
        texts.ends.push(texts.text.len());
        if self.unordered || first_unordered {
            self.unordered = true;
            let Keys { texts, index, room, .. } = self;
            let rehash = |r: &u32| hash(texts.at(*r as usize));
            let rows = if first_unordered {
                index.reserve((*room).max(texts.ends.len()), rehash);
                0..row + 1
            } else {
                row..row + 1
            };
            for r in rows {
                index.insert_unique(hash(texts.at(r as usize)), r, rehash);
            }
        }
        row
    }

    /// Whether `key` comes after the last key in [`shortlex`] order (or is the first).
    fn follows(&self, key: &str) -> bool {
        let len = self.texts.ends.len() as u32;
        len == 0 || shortlex(self.key(len - 1), key).is_lt()
    }

    /// Adds the key of the next row unless a row has it already: `Ok` with the new row, or
    /// `Err` with the row that has the key. One lookup for both.
    pub fn insert(&mut self, key: &str) -> Result<u32, u32> {
        if !self.unordered && self.follows(key) {
            return Ok(self.push(key));
        }
        match self.get(key) {
            Some(row) => Err(row),
            None => Ok(self.push(key)),
        }
    }

    /// Appends `runs`, one after another, when their keys come after the keys held and in
    /// order ([`shortlex`]), with the keys held in order too: what [`Keys::insert`] gives key
    /// by key then, none of them held before. `false`, changing nothing, otherwise.
    pub fn append_runs(&mut self, runs: &[KeyRun]) -> bool {
        if self.unordered {
            return false;
        }
        let mut last = self.len().checked_sub(1).map(|r| self.key(r as u32));
        for run in runs {
            if let (Some(l), Some(f)) = (last, run.first())
                && !shortlex(l, f).is_lt()
            {
                return false;
            }
            last = run.last().or(last);
        }
        let Texts { text, ends } = Arc::make_mut(&mut self.texts);
        for run in runs {
            let base = text.len();
            text.push_str(&run.text);
            for &end in &run.ends {
                ends.push(base + end);
            }
        }
        true
    }

    /// The key of `row`.
    ///
    /// # Panics
    /// If `row` is out of range.
    pub fn key(&self, row: u32) -> &str {
        self.texts.at(row as usize)
    }

    /// Whether every key is written in ASCII alone.
    pub fn is_ascii(&self) -> bool {
        self.texts.text.is_ascii()
    }

    /// The row with `key`.
    pub fn get(&self, key: &str) -> Option<u32> {
        if self.unordered {
            return self.index.find(hash(key), |&r| self.key(r) == key).copied();
        }
        // In order: halve the rows.
        let (mut lo, mut hi) = (0u32, self.texts.ends.len() as u32);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            match shortlex(self.key(mid), key) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => return Some(mid),
            }
        }
        None
    }

    pub fn contains_key(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    pub fn len(&self) -> usize {
        self.texts.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every key with its row, in row order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, u32)> + '_ {
        (0..self.len() as u32).map(|r| (self.key(r), r))
    }

    /// Every key, in row order.
    pub fn keys(&self) -> impl Iterator<Item = &str> + '_ {
        self.iter().map(|(k, _)| k)
    }

    /// The bytes held on the heap (capacity, not only length).
    pub fn heap_bytes(&self) -> usize {
        // A hash table slot is a `u32` and a control byte.
        self.texts.text.capacity() + self.texts.ends.heap_bytes() + (self.index.capacity() * 5).next_multiple_of(8)
    }

    pub fn shrink(&mut self) {
        Arc::make_mut(&mut self.texts).shrink();
    }
}

/// Keys in strictly ascending [`shortlex`] order, gathered apart (on another thread) and
/// appended to [`Keys`] at once ([`Keys::append_runs`]).
#[derive(Default)]
pub struct KeyRun {
    text: String,
    ends: Vec<usize>,
}

impl KeyRun {
    /// Room for `keys` keys of about `bytes` bytes each.
    pub fn with_capacity(keys: usize, bytes: usize) -> Self {
        KeyRun { text: String::with_capacity(keys * bytes), ends: Vec::with_capacity(keys) }
    }

    /// Adds `key` after the last key; `false`, adding nothing, when it does not come after it.
    pub fn push(&mut self, key: &str) -> bool {
        if let Some(last) = self.last()
            && !shortlex(last, key).is_lt()
        {
            return false;
        }
        self.text.push_str(key);
        self.ends.push(self.text.len());
        true
    }

    fn first(&self) -> Option<&str> {
        self.ends.first().map(|&e| &self.text[..e])
    }

    fn last(&self) -> Option<&str> {
        let n = self.ends.len();
        let start = if n >= 2 { self.ends[n - 2] } else { 0 };
        self.ends.last().map(|&e| &self.text[start..e])
    }
}

impl PartialEq for Keys {
    /// The same keys in the same rows (the index follows from them).
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len()
            && self.texts.text == other.texts.text
            && self.iter().zip(other.iter()).all(|(a, b)| a == b)
    }
}

impl Eq for Keys {}

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

/// Where each row of a table was read: index into [`Facts::files`](super::Facts::files) and
/// 1-based line, by row.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Origins {
    pub file: Vec<u32>,
    pub line: Vec<u32>,
}

impl Origins {
    pub fn push(&mut self, file: u32, line: u32) {
        self.file.push(file);
        self.line.push(line);
    }

    pub fn len(&self) -> usize {
        self.line.len()
    }

    pub fn is_empty(&self) -> bool {
        self.line.is_empty()
    }

    pub fn reserve(&mut self, rows: usize) {
        self.file.reserve(rows);
        self.line.reserve(rows);
    }

    pub fn heap_bytes(&self) -> usize {
        (self.file.capacity() + self.line.capacity()) * 4
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn round_trip(ty: &Ty, values: &[Option<Value>]) -> Column {
        let mut b = ColumnBuilder::new(ty, 0);
        for v in values {
            b.push(v.clone());
        }
        let c = b.finish();
        assert_eq!(c.len(), values.len());
        for (row, v) in values.iter().enumerate() {
            let got = c.get(row);
            assert_eq!(&got, v, "row {row}");
            if let (Some(Value::Num(a)), Some(Value::Num(b))) = (&got, v) {
                assert_eq!(a.serialize(), b.serialize(), "row {row}: {a} is not bit for bit {b}");
            }
        }
        c
    }

    fn num(s: &str) -> Option<Value> {
        Some(Value::Num(Decimal::from_str(s).unwrap()))
    }

    #[test]
    fn numbers_are_fixed_point_and_exact() {
        let values = [num("1"), None, num("0.5"), num("-2.25"), num("0"), num("0.000000001"), num("31")];
        let c = round_trip(&Ty::Number, &values);
        assert!(matches!(c.0.data, Data::Fixed { scale: 9, .. }), "{:?}", c.0.data);
    }

    #[test]
    fn numbers_not_normalized_or_too_wide_are_kept_as_decimals() {
        // A written scale (`30.0`), a negative zero, a mantissa past 64 bits.
        let mut neg_zero = Decimal::ZERO;
        neg_zero.set_sign_negative(true);
        for odd in [num("30.0"), Some(Value::Num(neg_zero)), num("123456789012345678901234"), num("1e-28")] {
            let values = [num("1.5"), None, odd, num("2")];
            let c = round_trip(&Ty::Quantity(crate::units::Dim::NONE), &values);
            assert!(matches!(c.0.data, Data::Decimal(_)), "{:?}", c.0.data);
        }
        // Scales that together need more than 64 bits.
        let values = [num("9000000000"), num("0.0000000001")];
        let c = round_trip(&Ty::Number, &values);
        assert!(matches!(c.0.data, Data::Decimal(_)), "{:?}", c.0.data);
    }

    #[test]
    fn normalized_is_what_normalize_gives() {
        let mut neg_zero = Decimal::ZERO;
        neg_zero.set_sign_negative(true);
        let odd = [Decimal::new(0, 3), neg_zero, Decimal::new(-300, 2), Decimal::new(-3, 0), Decimal::new(105, 1)];
        for n in
            odd.into_iter().chain(["30.0", "31", "0.5", "-0.25", "100", "0"].map(|s| Decimal::from_str(s).unwrap()))
        {
            assert_eq!(is_normalized(n), n.normalize().serialize() == n.serialize(), "{n:?}");
            let (m, s) = (n.normalize().mantissa() as i64, n.normalize().scale());
            for extra in 0..3 {
                let f = fixed(m * 10i64.pow(extra), s + extra);
                assert_eq!(f.serialize(), n.normalize().serialize(), "{n:?}");
            }
        }
    }

    #[test]
    fn other_columns_read_back() {
        let d = |s| Some(Value::Date(Date::parse_iso(s).unwrap()));
        let c = round_trip(&Ty::Date, &[d("2019-10-01"), None, d("1969-12-31")]);
        assert_eq!(c.date(0), Date::parse_iso("2019-10-01"));
        assert_eq!(c.date(1), None);
        round_trip(&Ty::Bool, &[Some(Value::Bool(true)), None, Some(Value::Bool(false))]);
        round_trip(&Ty::Enum(crate::model::EnumId(0)), &[Some(Value::Enum(3)), None]);
        round_trip(&Ty::Party, &[None, Some(Value::Party(PartyId(1)))]);
        let c = round_trip(&Ty::Ref(RecordId(2)), &[Some(Value::Ref(RecordId(2), 7)), None]);
        assert_eq!(c.reference(0), Some((RecordId(2), 7)));
        let t = |s: &str| Some(Value::Text(s.into()));
        let c = round_trip(&Ty::Text, &[t("a"), t("b"), None, t("a")]);
        let Data::Text { strings, .. } = &c.0.data else { panic!("{:?}", c.0.data) };
        assert_eq!(strings.len(), 2, "identical texts are held once");
        // A value of another variant than the type's makes the column general, not wrong.
        let c = round_trip(&Ty::Date, &[d("2019-10-01"), Some(Value::Bool(true)), None]);
        assert_eq!(c.date(0), Date::parse_iso("2019-10-01"));
        round_trip(&Ty::Duration, &[None, Some(Value::Interval(Date(1), Date(2)))]);
    }

    #[test]
    fn numbers_are_written_as_decimal_writes_them() {
        let mut values: Vec<(i64, u32)> =
            vec![(0, 0), (0, 3), (i64::MAX, 0), (i64::MIN, 0), (i64::MIN, 18), (i64::MAX, 19)];
        for m in [1i64, -1, 5, -50, 105, 1000, -123456789, 987654321012] {
            for scale in [0, 1, 2, 3, 9, 12, 18] {
                values.push((m, scale));
            }
        }
        let mut out = String::new();
        for (m, scale) in values {
            out.clear();
            write_fixed(&mut out, m, scale);
            assert_eq!(out, fixed(m, scale).normalize().to_string(), "{m} at scale {scale}");
        }
    }

    #[test]
    fn keys_find_their_rows() {
        let mut keys = Keys::with_capacity(2);
        for k in ["E1", "", "企業", "E10"] {
            keys.push(k);
        }
        assert_eq!(keys.len(), 4);
        assert_eq!(keys.get("企業"), Some(2));
        assert_eq!(keys.get(""), Some(1));
        assert_eq!(keys.get("E"), None);
        assert_eq!(keys.key(3), "E10");
        assert_eq!(keys.keys().collect::<Vec<_>>(), ["E1", "", "企業", "E10"]);
        let mut more = Keys::default();
        for i in 0..10_000 {
            more.push(&i.to_string());
        }
        assert!((0..10_000).all(|i| more.get(&i.to_string()) == Some(i)));
        // Counting up, the keys are in order: found by halving, with no hash table.
        assert!(!more.unordered && more.index.capacity() == 0);
        assert_eq!(more.get("10000"), None);
        assert_eq!(more.get("0017"), None);
        assert_eq!(more.insert("17"), Err(17));
        assert_eq!(more.insert("9999"), Err(9999));
        assert!(!more.unordered);
        assert_eq!(more.insert("x"), Ok(10_000));
        assert_eq!(more.insert("x"), Err(10_000));
        assert_eq!(more.key(10_000), "x");
        // "x" came out of order: every key is in the table now, and still found.
        assert!(more.unordered);
        assert!((0..10_000).all(|i| more.get(&i.to_string()) == Some(i)));
        assert_eq!(more.insert("10001"), Ok(10_001));
        assert_eq!(more.get("10001"), Some(10_001));
    }
}
