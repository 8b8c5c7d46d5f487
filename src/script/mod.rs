//! Simplified and Traditional Chinese as one: the fold that names are compared under.
//!
//! A plan written in Simplified script (`工业炉窑`, `蒸吨`) and facts exported in Traditional
//! (`工業爐窯`, `蒸噸`), or the reverse, name the same things. [`fold`] maps each character to
//! one representative of the characters OpenCC's character tables connect, so two spellings of
//! a name in either script fold to the same text, character by character.
//!
//! The tables are OpenCC's `TSCharacters.txt` (Traditional → Simplified) and
//! `STCharacters.txt` (Simplified → Traditional), kept beside this file under the Apache
//! License 2.0 (`LICENSE-OpenCC`). Two characters are the same under the fold when a chain of
//! entries of either table joins them (`乾`, `幹`, `干`; `爲`, `為`, `为`). No phrase table is
//! used: a phrase-level conversion is not the same on both sides of a pair (OpenCC converts
//! `乾縣` to `乾县` by its phrase table but `乾县` to `干县` by characters), while a
//! character-level fold is, which is all that comparing names needs.
//!
//! The fold is for comparing only: a name is always shown as it was written or declared.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::LazyLock;

const TS_CHARACTERS: &str = include_str!("TSCharacters.txt");
const ST_CHARACTERS: &str = include_str!("STCharacters.txt");

/// Each character that folds to another, with the character it folds to.
static FOLD: LazyLock<HashMap<char, char>> = LazyLock::new(build);

/// `text` with each Chinese character replaced by its representative: two spellings of a
/// name, one in Simplified and one in Traditional script, fold to the same text. Borrowed when
/// nothing changes (every name without a Han character).
pub fn fold(text: &str) -> Cow<'_, str> {
    // Every character of the tables is outside ASCII: a plain ASCII name is its own fold.
    if text.is_ascii() {
        return Cow::Borrowed(text);
    }
    let table = &*FOLD;
    match text.char_indices().find(|(_, c)| table.contains_key(c)) {
        None => Cow::Borrowed(text),
        Some((at, _)) => {
            let mut out = String::with_capacity(text.len());
            out.push_str(&text[..at]);
            out.extend(text[at..].chars().map(|c| table.get(&c).copied().unwrap_or(c)));
            Cow::Owned(out)
        }
    }
}

/// The characters other characters fold to (mostly the Simplified forms).
static REPRESENTATIVES: LazyLock<std::collections::HashSet<char>> = LazyLock::new(|| FOLD.values().copied().collect());

/// Whether `text` is written in Simplified rather than Traditional script: more of its
/// characters are ones others fold to (`条`) than ones that fold to another (`條`). `None`
/// when neither kind is there (no Chinese, or only characters the scripts share) or as many
/// of each.
pub fn is_simplified(text: &str) -> Option<bool> {
    let (mut simplified, mut traditional) = (0usize, 0usize);
    for c in text.chars().filter(|c| !c.is_ascii()) {
        if FOLD.contains_key(&c) {
            traditional += 1;
        } else if REPRESENTATIVES.contains(&c) {
            simplified += 1;
        }
    }
    (simplified != traditional).then_some(simplified > traditional)
}

/// Whether `a` and `b` are different spellings of one name: unequal, but equal under [`fold`].
pub fn same_folded(a: &str, b: &str) -> bool {
    a != b && fold(a) == fold(b)
}

/// Which script a name that differs from another only by script is written in, for messages:
/// "Simplified" when folding changes none of its characters while it changes some of
/// `other`'s, "Traditional" in the opposite case, `None` when both have characters the fold
/// changes (a mixed spelling).
pub fn script_of(name: &str, other: &str) -> Option<&'static str> {
    let changed = |s: &str| s.chars().any(|c| FOLD.contains_key(&c));
    match (changed(name), changed(other)) {
        (false, true) => Some("Simplified"),
        (true, false) => Some("Traditional"),
        _ => None,
    }
}

/// The fold table: the classes of characters the two tables join (union-find over every
/// entry), each mapped to one representative. The representative is the class's Simplified
/// form: a character `TSCharacters.txt` converts to first and never converts away (`干` for
/// `乾`, `幹`; `污` for `汙`), else one `STCharacters.txt` converts from and `TSCharacters.txt`
/// never converts away (`了` for `瞭`), else one `TSCharacters.txt` converts to first, else any;
/// the smallest such, so that the choice does not depend on the order of the tables.
fn build() -> HashMap<char, char> {
    let mut parent: HashMap<char, char> = HashMap::new();
    fn root(parent: &mut HashMap<char, char>, c: char) -> char {
        let mut r = c;
        while let Some(&p) = parent.get(&r) {
            if p == r {
                break;
            }
            r = p;
        }
        // Path compression: every character on the way points at the root.
        let mut x = c;
        while x != r {
            let next = parent[&x];
            parent.insert(x, r);
            x = next;
        }
        r
    }
    let entries = |table: &'static str| {
        table.lines().filter(|l| !l.starts_with('#') && !l.trim().is_empty()).filter_map(|l| {
            let (key, values) = l.split_once('\t')?;
            let key = single(key)?;
            Some((key, values.split(' ').filter_map(single)))
        })
    };
    let mut first = std::collections::HashSet::new();
    let mut ts_keys = std::collections::HashSet::new();
    for (key, mut values) in entries(TS_CHARACTERS) {
        ts_keys.insert(key);
        if let Some(v) = values.next() {
            first.insert(v);
        }
    }
    let st_keys: std::collections::HashSet<char> = entries(ST_CHARACTERS).map(|(k, _)| k).collect();
    for table in [TS_CHARACTERS, ST_CHARACTERS] {
        for (key, values) in entries(table) {
            parent.entry(key).or_insert(key);
            for v in values {
                parent.entry(v).or_insert(v);
                let (a, b) = (root(&mut parent, key), root(&mut parent, v));
                if a != b {
                    parent.insert(a.max(b), a.min(b));
                }
            }
        }
    }
    // The representative of each class: the best by (rank, character).
    let rank = |c: &char| match (first.contains(c), st_keys.contains(c), ts_keys.contains(c)) {
        (true, _, false) => 0,
        (false, true, false) => 1,
        (true, _, true) => 2,
        _ => 3,
    };
    let chars: Vec<char> = parent.keys().copied().collect();
    let mut best: HashMap<char, char> = HashMap::new();
    for &c in &chars {
        let r = root(&mut parent, c);
        let e = best.entry(r).or_insert(c);
        if (rank(&c), c) < (rank(e), *e) {
            *e = c;
        }
    }
    let mut fold = HashMap::new();
    for c in chars {
        let r = best[&root(&mut parent, c)];
        if r != c {
            fold.insert(c, r);
        }
    }
    fold
}

/// The one character of `s`, if it is one.
fn single(s: &str) -> Option<char> {
    let mut it = s.chars();
    let c = it.next()?;
    it.next().is_none().then_some(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_scripts_fold_alike() {
        for (s, t) in [
            ("工业炉窑", "工業爐窯"),
            ("蒸吨", "蒸噸"),
            ("市生态环境局", "市生態環境局"),
            ("颗粒物", "顆粒物"),
            ("为", "爲"),
            ("为", "為"),
            ("干", "乾"),
            ("干", "幹"),
            ("乾县", "乾縣"),
            ("散乱污企业", "散亂污企業"),
        ] {
            assert_eq!(fold(s), fold(t), "{s} and {t}");
            assert!(same_folded(s, t));
        }
    }

    #[test]
    fn simplified_text_is_its_own_fold() {
        assert_eq!(fold("工业炉窑"), "工业炉窑");
        assert_eq!(fold("工業爐窯"), "工业炉窑");
        assert_eq!(fold("散亂汙企業"), "散乱污企业");
        assert_eq!(fold("幹"), "干");
        assert_eq!(fold("瞭"), "了");
        assert!(matches!(fold("mg/m3"), Cow::Borrowed(_)));
        assert!(matches!(fold("毫克/立方米"), Cow::Borrowed(_)));
    }

    #[test]
    fn different_names_stay_different() {
        assert!(!same_folded("工业炉窑", "工业锅炉"));
        assert!(!same_folded("A", "a"));
        assert!(!same_folded("工业炉窑", "工业炉窑"));
    }

    #[test]
    fn the_fold_is_idempotent_and_joins_every_table_entry() {
        for table in [TS_CHARACTERS, ST_CHARACTERS] {
            for l in table.lines().filter(|l| !l.starts_with('#') && !l.is_empty()) {
                let (k, vs) = l.split_once('\t').unwrap();
                let once = fold(k).into_owned();
                assert_eq!(fold(&once), once, "{k}");
                for v in vs.split(' ') {
                    assert_eq!(fold(v), once, "{k} → {v}");
                }
            }
        }
    }

    #[test]
    fn scripts_are_named() {
        assert_eq!(script_of("工业炉窑", "工業爐窯"), Some("Simplified"));
        assert_eq!(script_of("工業爐窯", "工业炉窑"), Some("Traditional"));
        assert_eq!(script_of("散亂污企業", "散乱污企业"), Some("Traditional"));
    }
}
