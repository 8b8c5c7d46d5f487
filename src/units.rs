//! Units over SI dimensions, with exact decimal conversion factors.
//!
//! A quantity is stored as an exact decimal in the canonical unit of its dimension; a [`Unit`]
//! is a factor to that unit and a dimension. `30 mg/m3`, `0.030 g/m3` and `30000 ug/m3` are the
//! same value after conversion, with no rounding.
//!
//! The canonical units are SI's (kg, m, A, K, mol) except time, which is the **day**. Plans put
//! time in denominators (t/h, kg/s, t/d, m3/h), and a day is a whole number of hours, minutes
//! and seconds, so every such rate converts by multiplication: 1 t/h is exactly 24000 kg/d,
//! where in kg/s it would be 0.2777…, and 14 boilers of 90 蒸噸 would no longer add up to
//! 1260 蒸噸 exactly. Only time in a numerator (a quantity in seconds) can be inexact.

use rust_decimal::Decimal;
use std::fmt;
use std::str::FromStr;

/// Exponents of the SI base dimensions: mass, length, time, current, temperature, amount.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Dim(pub [i8; 6]);

/// Symbols of the dimensions in messages (what a quantity measures, not its canonical unit).
const DIM_SYMBOLS: [&str; 6] = ["kg", "m", "s", "A", "K", "mol"];

impl Dim {
    pub const NONE: Dim = Dim([0; 6]);
    /// The dimension of a product.
    pub fn times(self, o: Dim) -> Dim {
        let mut r = self.0;
        for (a, b) in r.iter_mut().zip(o.0) {
            *a += b;
        }
        Dim(r)
    }
    /// The dimension of a quotient.
    pub fn per(self, o: Dim) -> Dim {
        let mut r = self.0;
        for (a, b) in r.iter_mut().zip(o.0) {
            *a -= b;
        }
        Dim(r)
    }
    pub fn pow(self, n: i8) -> Dim {
        Dim(self.0.map(|a| a * n))
    }
    pub fn is_none(self) -> bool {
        self == Dim::NONE
    }
}

impl Dim {
    /// What a quantity of this dimension measures, for messages: `a length (m)`.
    pub fn describe(self) -> String {
        let name = match self.0 {
            [0, 1, 0, 0, 0, 0] => "a length",
            [1, 0, 0, 0, 0, 0] => "a mass",
            [0, 0, 1, 0, 0, 0] => "a time",
            [0, 2, 0, 0, 0, 0] => "an area",
            [0, 3, 0, 0, 0, 0] => "a volume",
            [1, -3, 0, 0, 0, 0] => "a mass concentration",
            [1, 0, -1, 0, 0, 0] => "a mass flow",
            [1, 2, -3, 0, 0, 0] => "a power",
            [1, 2, -2, 0, 0, 0] => "an energy",
            [1, -1, -2, 0, 0, 0] => "a pressure",
            [0, 1, -1, 0, 0, 0] => "a speed",
            [1, -2, -1, 0, 0, 0] => "a deposition rate",
            _ => return format!("a quantity in `{self}`"),
        };
        format!("{name} (`{self}`)")
    }
}

impl Dim {
    /// The canonical unit of this dimension (time in days), as factors in dumps are given in it.
    pub fn canonical(self) -> String {
        self.to_string().replace('s', "d")
    }
}

impl fmt::Display for Dim {
    /// Shown in SI base units, e.g. `kg/m3`, `kg·m2/s3`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_none() {
            return f.write_str("1");
        }
        let part = |positive: bool| {
            let mut out = Vec::new();
            for (i, &e) in self.0.iter().enumerate() {
                if (positive && e > 0) || (!positive && e < 0) {
                    let e = e.abs();
                    out.push(if e == 1 { DIM_SYMBOLS[i].to_string() } else { format!("{}{}", DIM_SYMBOLS[i], e) });
                }
            }
            out.join("·")
        };
        let (num, den) = (part(true), part(false));
        match (num.is_empty(), den.is_empty()) {
            (false, true) => f.write_str(&num),
            (true, false) => write!(f, "1/{den}"),
            _ => write!(f, "{num}/{den}"),
        }
    }
}

/// A unit: `value_in_si = value * factor`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Unit {
    pub factor: Decimal,
    pub dim: Dim,
    /// How the unit was written, normalised (`mg/m3`), for display.
    pub name: String,
}

impl Unit {
    pub fn to_si(&self, v: Decimal) -> Option<Decimal> {
        v.checked_mul(self.factor)
    }
    pub fn from_si(&self, v: Decimal) -> Option<Decimal> {
        v.checked_div(self.factor).map(|d| d.normalize())
    }
}

/// Why a unit expression could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UnitError {
    Empty,
    Unknown(String),
    BadExponent(String),
    /// A power writ does not know, `m4` or `s0`: plans measure lengths, areas and volumes
    /// (`m`, `m2`, `m3`), and SI's derived units need no power past 3 (`kg·m2/s3`). `unit` is
    /// the whole unit with the power brought into range, as a suggestion (`mg/m3` for `mg/m4`).
    Power {
        piece: String,
        atom: String,
        unit: String,
    },
    Overflow,
}

/// The powers of a unit writ reads: `m` to `m3`, `s^-1` to `s^-3`.
const MAX_POWER: i8 = 3;

impl fmt::Display for UnitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UnitError::Empty => f.write_str("empty unit"),
            UnitError::Unknown(u) => write!(f, "unknown unit `{u}`"),
            UnitError::BadExponent(u) => write!(f, "bad exponent in `{u}`"),
            UnitError::Power { piece, atom, .. } => {
                write!(
                    f,
                    "unknown unit `{piece}`: writ knows the powers 1 to {MAX_POWER} of `{atom}` (`{atom}`, `{atom}2`, `{atom}3`)"
                )
            }
            UnitError::Overflow => f.write_str("unit factor out of range"),
        }
    }
}

/// Seconds in the canonical time unit, the day.
const SECONDS_PER_DAY: i64 = 86_400;

/// Built-in unit atoms: symbol, factor to SI (as decimal text), dimension.
const BASE: &[(&str, &str, [i8; 6])] = &[
    ("g", "0.001", [1, 0, 0, 0, 0, 0]),
    ("t", "1000", [1, 0, 0, 0, 0, 0]),
    ("m", "1", [0, 1, 0, 0, 0, 0]),
    ("s", "1", [0, 0, 1, 0, 0, 0]),
    ("min", "60", [0, 0, 1, 0, 0, 0]),
    ("h", "3600", [0, 0, 1, 0, 0, 0]),
    ("d", "86400", [0, 0, 1, 0, 0, 0]),
    ("A", "1", [0, 0, 0, 1, 0, 0]),
    ("K", "1", [0, 0, 0, 0, 1, 0]),
    ("mol", "1", [0, 0, 0, 0, 0, 1]),
    ("L", "0.001", [0, 3, 0, 0, 0, 0]),
    ("ha", "10000", [0, 2, 0, 0, 0, 0]),
    ("N", "1", [1, 1, -2, 0, 0, 0]),
    ("Pa", "1", [1, -1, -2, 0, 0, 0]),
    ("J", "1", [1, 2, -2, 0, 0, 0]),
    ("W", "1", [1, 2, -3, 0, 0, 0]),
    ("Wh", "3600", [1, 2, -2, 0, 0, 0]),
];

/// The symbols of the built-in unit atoms (`g`, `m`, `h`, `W`…), each of which takes the
/// prefixes and powers a unit is written with (`mg`, `m3`, `kW`).
pub fn base_symbols() -> impl Iterator<Item = &'static str> {
    BASE.iter().map(|b| b.0)
}

const PREFIXES: &[(&str, &str)] = &[
    ("G", "1000000000"),
    ("M", "1000000"),
    ("k", "1000"),
    ("c", "0.01"),
    ("m", "0.001"),
    ("u", "0.000001"),
    ("n", "0.000000001"),
];

/// Rewrites the spellings people use for the same unit into one: `µ`/`μ` → `u`,
/// `³`/`²` → `3`/`2`, `·`/`*` → `.` is left alone (both mean multiply), full-width `／` → `/`.
pub fn normalize_spelling(s: &str) -> String {
    s.trim()
        .chars()
        .map(|c| match c {
            'µ' | 'μ' => 'u',
            '³' => '3',
            '²' => '2',
            '¹' => '1',
            '／' => '/',
            '＊' => '*',
            '﹒' | '．' => '·',
            c => c,
        })
        .collect()
}

/// The unit vocabulary of one policy package: built-in SI atoms with prefixes, plus the
/// aliases the policy declares (`unit 蒸噸 = 1 t/h`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UnitTable {
    aliases: indexmap::IndexMap<String, Unit>,
}

impl UnitTable {
    pub fn new() -> Self {
        UnitTable::default()
    }

    /// Declares an alias; returns false if the name is already an alias.
    pub fn define(&mut self, name: &str, unit: Unit) -> bool {
        let name = normalize_spelling(name);
        if self.aliases.contains_key(&name) {
            return false;
        }
        self.aliases.insert(name, unit);
        true
    }

    pub fn aliases(&self) -> impl Iterator<Item = (&str, &Unit)> {
        self.aliases.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// The alias named `name`, in either Chinese script: `蒸吨` is the unit `蒸噸` declares, as
    /// `μg` is `ug`. A unit's name is a spelling of a measure, not an identity, so no
    /// diagnostic is given for it (names of declarations are held to one script; see
    /// `script-variant`).
    fn alias(&self, name: &str) -> Option<&Unit> {
        if let Some(u) = self.aliases.get(name) {
            return Some(u);
        }
        // Every alias is found by its exact name first; only a name with a character the
        // fold could change is looked for again, among the few aliases a package declares.
        if name.is_ascii() {
            return None;
        }
        let folded = crate::script::fold(name);
        self.aliases.iter().find(|(k, _)| crate::script::fold(k) == folded).map(|(_, u)| u)
    }

    /// Reads a unit expression such as `mg/m3`, `t/h`, `kg·m2/s3`, `萬千瓦`, `m^2`.
    /// `a/b/c` reads as `a/(b·c)`.
    pub fn parse(&self, text: &str) -> Result<Unit, UnitError> {
        let norm = normalize_spelling(text);
        if norm.is_empty() {
            return Err(UnitError::Empty);
        }
        if let Some(u) = self.alias(&norm) {
            return Ok(Unit { name: norm, ..u.clone() });
        }
        // The factor is kept as a fraction and divided once at the end, so `t/h` is
        // 1000 × 86400 / 3600 = 24000 exactly.
        let mut num = Decimal::ONE;
        let mut den = Decimal::ONE;
        let mut dim = Dim::NONE;
        let mut divide = false;
        let mut rest = norm.as_str();
        let mut first = true;
        loop {
            if !first {
                let c = rest.chars().next().ok_or(UnitError::Empty)?;
                divide = match c {
                    '/' => true,
                    '*' | '·' | '.' => false,
                    _ => return Err(UnitError::Unknown(norm.clone())),
                };
                rest = &rest[c.len_utf8()..];
            }
            first = false;
            let end = rest.find(['/', '*', '·', '.']).unwrap_or(rest.len());
            let (atom, exp) = split_exponent(&rest[..end])?;
            // The error names the piece as written (`Nm3`), not the stripped atom.
            let (u, (an, ad)) = self.atom(atom).ok_or_else(|| UnitError::Unknown(rest[..end].to_string()))?;
            if exp == 0 || exp.abs() > MAX_POWER {
                let near = exp.clamp(-MAX_POWER, MAX_POWER);
                let fixed = match near {
                    0 | 1 => atom.to_string(),
                    n if rest[..end].contains('^') => format!("{atom}^{n}"),
                    n => format!("{atom}{n}"),
                };
                let at = norm.len() - rest.len();
                let unit = format!("{}{fixed}{}", &norm[..at], &rest[end..]);
                return Err(UnitError::Power { piece: rest[..end].to_string(), atom: atom.to_string(), unit });
            }
            let e = if divide { -exp } else { exp };
            let (up, down) = if e < 0 { (ad, an) } else { (an, ad) };
            for _ in 0..e.unsigned_abs() {
                num = num.checked_mul(up).ok_or(UnitError::Overflow)?;
                den = den.checked_mul(down).ok_or(UnitError::Overflow)?;
            }
            dim = dim.times(u.dim.pow(e));
            rest = &rest[end..];
            if rest.is_empty() {
                break;
            }
        }
        let factor = num.checked_div(den).ok_or(UnitError::Overflow)?;
        Ok(Unit { factor: factor.normalize(), dim, name: norm })
    }

    /// An atom's unit and its factor as a fraction (numerator, denominator).
    fn atom(&self, atom: &str) -> Option<(Unit, (Decimal, Decimal))> {
        if let Some(u) = self.alias(atom) {
            return Some((u.clone(), (u.factor, Decimal::ONE)));
        }
        if let Some(b) = base(atom) {
            return Some(b);
        }
        for (p, pf) in PREFIXES {
            if let Some(b) = atom.strip_prefix(p)
                && let Some((u, (n, d))) = base(b)
            {
                let pf = Decimal::from_str(pf).expect("prefix table holds decimals");
                return Some((Unit { name: atom.to_string(), ..u }, (n * pf, d)));
            }
        }
        None
    }
}

/// A built-in atom with its factor to the canonical units as a fraction: SI's factor, with
/// time counted in days (`s^-1` multiplies by 86400; `s` divides by it).
fn base(sym: &str) -> Option<(Unit, (Decimal, Decimal))> {
    let (s, f, d) = BASE.iter().find(|(s, _, _)| *s == sym)?;
    let si = Decimal::from_str(f).expect("base table holds decimals");
    let day = Decimal::from(SECONDS_PER_DAY);
    let time = d[2];
    let mut num = si;
    let mut den = Decimal::ONE;
    for _ in 0..time.unsigned_abs() {
        if time < 0 {
            num *= day;
        } else {
            den *= day;
        }
    }
    let factor = (num / den).normalize();
    Some((Unit { factor, dim: Dim(*d), name: s.to_string() }, (num, den)))
}

/// Splits `m3`, `m^2`, `s^-1` into the atom and its exponent.
fn split_exponent(atom: &str) -> Result<(&str, i8), UnitError> {
    if let Some((a, e)) = atom.split_once('^') {
        let e: i8 = e.parse().map_err(|_| UnitError::BadExponent(atom.to_string()))?;
        return Ok((a, e));
    }
    let digits = atom.len() - atom.trim_end_matches(|c: char| c.is_ascii_digit()).len();
    if digits > 0 && digits < atom.len() {
        let (a, e) = atom.split_at(atom.len() - digits);
        let e: i8 = e.parse().map_err(|_| UnitError::BadExponent(atom.to_string()))?;
        return Ok((a, e));
    }
    if atom.is_empty() {
        return Err(UnitError::Empty);
    }
    Ok((atom, 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn si(t: &UnitTable, v: &str, u: &str) -> Decimal {
        t.parse(u).unwrap().to_si(Decimal::from_str(v).unwrap()).unwrap()
    }

    #[test]
    fn same_value_in_every_spelling() {
        let t = UnitTable::new();
        let a = si(&t, "30", "mg/m3");
        assert_eq!(a, si(&t, "0.030", "g/m3"));
        assert_eq!(a, si(&t, "30000", "ug/m3"));
        assert_eq!(a, si(&t, "30000", "µg/m³"));
        assert_eq!(a, si(&t, "30000", "μg/m3"));
        assert_eq!(t.parse("mg/m3").unwrap().dim, t.parse("kg/m^3").unwrap().dim);
    }

    #[test]
    fn dimensions_differ() {
        let t = UnitTable::new();
        assert_ne!(t.parse("mg/m3").unwrap().dim, t.parse("km").unwrap().dim);
        assert_eq!(t.parse("MW").unwrap().dim, t.parse("kg·m2/s3").unwrap().dim);
        assert_eq!(t.parse("t/h").unwrap().factor, Decimal::from(24000), "1 t/h is 24000 kg/d exactly");
        assert_eq!(t.parse("kg/s").unwrap().factor, Decimal::from(86400));
    }

    /// Rates with hours in the denominator add up exactly (14 boilers of 90 t/h are 1260 t/h).
    #[test]
    fn hourly_rates_are_exact() {
        let t = UnitTable::new();
        let u = t.parse("t/h").unwrap();
        let one = u.to_si(Decimal::from(90)).unwrap();
        let mut sum = Decimal::ZERO;
        for _ in 0..14 {
            sum += one;
        }
        assert_eq!(sum, u.to_si(Decimal::from(1260)).unwrap());
        assert_eq!(si(&t, "3.6", "t/h"), si(&t, "1", "kg/s"));
        assert_eq!(si(&t, "24", "t/d"), si(&t, "1", "t/h"));
        assert_eq!(u.from_si(sum).unwrap(), Decimal::from(1260));
    }

    /// `m4` is not a unit: a mistyped `m3`, reported with the unit it most likely meant.
    #[test]
    fn powers_past_three_are_unknown_units() {
        let t = UnitTable::new();
        match t.parse("mg/m4") {
            Err(UnitError::Power { piece, unit, .. }) => assert_eq!((piece.as_str(), unit.as_str()), ("m4", "mg/m3")),
            other => panic!("{other:?}"),
        }
        assert!(matches!(t.parse("m0"), Err(UnitError::Power { .. })));
        assert!(matches!(t.parse("s^-4"), Err(UnitError::Power { .. })));
        assert!(t.parse("kg·m2/s3").is_ok());
        assert!(t.parse("s^-3").is_ok());
    }

    #[test]
    fn aliases_in_either_script() {
        let mut t = UnitTable::new();
        t.define("蒸噸", t.parse("t/h").unwrap());
        t.define("毫克", t.parse("mg").unwrap());
        t.define("立方米", t.parse("m3").unwrap());
        assert_eq!(si(&t, "35", "蒸吨"), si(&t, "35", "蒸噸"));
        assert_eq!(si(&t, "35", "蒸吨"), si(&t, "35", "t/h"));
        assert_eq!(si(&t, "30", "毫克/立方米"), si(&t, "30", "mg/m3"));
        assert!(t.parse("蒸吨").unwrap().name == "蒸吨", "the unit keeps the name it was written with");
        assert!(t.parse("吨").is_err(), "only declared aliases and built-in symbols are units");
    }

    #[test]
    fn aliases() {
        let mut t = UnitTable::new();
        let mw = t.parse("MW").unwrap();
        t.define("萬千瓦", Unit { factor: mw.factor * Decimal::from(10), dim: mw.dim, name: "萬千瓦".into() });
        assert_eq!(si(&t, "32", "萬千瓦"), si(&t, "320", "MW"));
        assert!(matches!(t.parse("furlong"), Err(UnitError::Unknown(_))));
    }
}
