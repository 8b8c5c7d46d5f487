//! The one table of writ's keywords and their Chinese aliases.
//!
//! Every word the grammar spells out has an English spelling and a Chinese one in each script
//! (the same characters where the scripts agree). The keyword rules of `grammar/writ.pest`
//! (the block between `BEGIN KEYWORDS` and `END KEYWORDS`) are written from this table
//! ([`grammar_block`], checked by a test that writes it when `WRIT_UPDATE_GRAMMAR` is set), the reserved words error messages list come from
//! it, `docs/keywords.md` is checked against it, and `writ fmt --keywords zh|en` converts
//! through it.
//!
//! A keyword, in any spelling, ends where a name could not go on: it must not be followed by
//! a letter, a digit or `_` (`XID_CONTINUE`). So `條款數` is one name, not `條款` and `數`,
//! just as `clauses` is not `clause` and `s`; between a Chinese keyword and a Chinese name
//! there is a space, as between English words.

/// One keyword of the grammar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Keyword {
    /// The grammar rule that reads it (`kw_must`).
    pub rule: &'static str,
    /// The English spelling; words separated by a space are one keyword (`must not`).
    pub en: &'static str,
    /// The Traditional Chinese spelling.
    pub hant: &'static str,
    /// The Simplified Chinese spelling (the same as `hant` where the scripts agree).
    pub hans: &'static str,
    /// Whether it is reserved: no name may be spelt as it. The others are words only where
    /// the grammar expects them (`source`, `from`, `issued`…).
    pub reserved: bool,
    /// Whether it begins a top-level item at the start of a line.
    pub item: bool,
    /// What it means, for the documentation.
    pub meaning: &'static str,
}

/// The spellings of a keyword in a language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeywordLang {
    En,
    /// Traditional Chinese.
    Hant,
    /// Simplified Chinese.
    Hans,
}

impl Keyword {
    /// The keyword spelt in `lang`.
    pub fn spelt(&self, lang: KeywordLang) -> &'static str {
        match lang {
            KeywordLang::En => self.en,
            KeywordLang::Hant => self.hant,
            KeywordLang::Hans => self.hans,
        }
    }

    /// Its spellings, English first, each once.
    pub fn spellings(&self) -> impl Iterator<Item = &'static str> {
        let same = self.hans == self.hant;
        [self.en, self.hant, self.hans].into_iter().take(if same { 2 } else { 3 })
    }
}

const fn kw(
    rule: &'static str,
    en: &'static str,
    hant: &'static str,
    hans: &'static str,
    reserved: bool,
    item: bool,
    meaning: &'static str,
) -> Keyword {
    Keyword { rule, en, hant, hans, reserved, item, meaning }
}

/// Every keyword, in the order of the grammar and the documentation.
pub const KEYWORDS: &[Keyword] = &[
    kw("kw_import", "import", "引用", "引用", true, true, "imports a standard package or a folder"),
    kw("kw_plan", "plan", "方案", "方案", true, true, "the plan: its period, issue date, roles"),
    kw("kw_party", "party", "主體", "主体", true, true, "a party a clause binds (also the type of a party field)"),
    kw("kw_group", "group", "群組", "群组", true, true, "a named group of parties"),
    kw("kw_unit", "unit", "單位", "单位", true, true, "a unit alias"),
    kw("kw_enum", "enum", "列舉", "列举", true, true, "a closed list of values"),
    kw("kw_record", "record", "記錄", "记录", true, true, "a kind of fact record"),
    kw("kw_period", "period", "時段", "时段", true, true, "a named set of date ranges (also the plan's period)"),
    kw("kw_calendar", "calendar", "日曆", "日历", true, true, "holidays and make-up workdays"),
    kw("kw_sanction", "sanction", "罰則", "罚则", true, true, "a sanction a clause can name"),
    kw("kw_rule", "rule", "規則", "规则", true, true, "a named computation"),
    kw("kw_table", "table", "對照表", "对照表", true, true, "a lookup table"),
    kw("kw_clause", "clause", "條款", "条款", true, true, "one clause of the plan"),
    kw("kw_test", "test", "測試用例", "测试用例", true, true, "a test with facts and expected statuses"),
    kw("kw_cite", "cite", "依據", "依据", true, false, "the plan's item number and words"),
    kw("kw_for", "for", "對於", "对于", true, false, "one obligation per record"),
    kw("kw_in", "in", "屬於", "属于", true, false, "the records of `for`; membership; a field's range"),
    kw("kw_where", "where", "其中", "其中", true, false, "a filter on records"),
    kw("kw_unless", "unless", "除非", "除非", true, false, "an exemption"),
    kw("kw_during", "during", "期間", "期间", true, false, "the period a clause or an aggregate covers"),
    kw("kw_let", "let", "令", "令", true, false, "a named value"),
    kw("kw_must_not", "must not", "不得", "不得", true, false, "a prohibition"),
    kw("kw_must", "must", "必須", "必须", true, false, "a binding requirement"),
    kw("kw_should_not", "should not", "不宜", "不宜", true, false, "a discouraged outcome (a target)"),
    kw("kw_should", "should", "力爭", "力争", true, false, "a target to strive for"),
    kw("kw_not_in", "not in", "不屬於", "不属于", true, false, "not a member of"),
    kw("kw_not", "not", "非", "非", true, false, "negation"),
    kw(
        "kw_by",
        "by",
        "截至",
        "截至",
        true,
        false,
        "a deadline, the day included; the group fields of a derived record",
    ),
    kw("kw_before", "before", "前", "前", true, false, "a deadline, the day excluded"),
    kw("kw_otherwise", "otherwise", "違者", "违者", true, false, "the sanctions for a breach"),
    kw("kw_on", "on", "針對", "针对", true, false, "whom a sanction falls on"),
    kw("kw_and", "and", "且", "且", true, false, "both"),
    kw("kw_or", "or", "或", "或", true, false, "either"),
    kw("kw_if", "if", "如果", "如果", true, false, "a conditional value"),
    kw("kw_then", "then", "則", "则", true, false, "the value when the condition holds"),
    kw("kw_else", "else", "否則", "否则", true, false, "the value when it does not"),
    kw("kw_match", "match", "按照", "按照", true, false, "a value chosen by cases"),
    kw("kw_true", "true", "是", "是", true, false, "yes"),
    kw("kw_false", "false", "否", "否", true, false, "no"),
    kw("kw_key", "key", "主鍵", "主键", true, false, "the field that names a record"),
    kw("kw_dated", "dated", "記於", "记于", true, false, "the field that dates a record"),
    kw("kw_expect", "expect", "預期", "预期", true, false, "a test's expected status"),
    kw("kw_fact", "fact", "事實", "事实", true, false, "a test's fact"),
    kw("kw_as_of", "as_of", "基準日", "基准日", true, false, "a test's as-of date"),
    kw("kw_every", "every", "每", "每", true, false, "one obligation per month, quarter or year"),
    kw("kw_of", "of", "在", "在", true, false, "the period `every` runs over"),
    kw("kw_at", "at", "於", "于", true, false, "a state target, judged on that day"),
    kw("kw_given", "given", "僅當", "仅当", true, false, "when the facts a requirement needs are all in"),
    kw("kw_month", "month", "月", "月", false, false, "`every` month"),
    kw("kw_quarter", "quarter", "季度", "季度", false, false, "`every` quarter"),
    kw("kw_year", "year", "年", "年", false, false, "`every` year"),
    kw("kw_empty", "empty", "空值", "空值", false, false, "an aggregate's value over no records"),
    kw("kw_source", "source", "來源", "来源", false, false, "how a raw export maps onto a record"),
    kw("kw_missing", "missing", "缺值", "缺值", false, false, "the tokens of a missing value in an export"),
    kw("kw_ignore", "ignore", "忽略", "忽略", false, false, "export columns to ignore"),
    kw("kw_from", "from", "取自", "取自", false, false, "the kind a record is derived from; an export's column"),
    kw("kw_over", "over", "逐", "逐", false, false, "the moment of a moving window"),
    kw("kw_window", "window", "時窗", "时窗", false, false, "the length of a moving window"),
    kw("kw_issued", "issued", "印發", "印发", false, false, "the plan's issue date"),
    kw("kw_roles", "roles", "角色", "角色", false, false, "the plan's role words"),
    kw("kw_timezone", "timezone", "時區", "时区", false, false, "the plan's UTC offset"),
    kw("kw_language", "language", "語言", "语言", false, false, "the plan's language and script"),
    kw("kw_month_overflow", "month_overflow", "月末規則", "月末规则", false, false, "what Jan 31 + 1 month is"),
    kw("kw_outline", "outline", "大綱", "大纲", false, true, "the plan's numbered items"),
    kw("kw_untestable", "untestable", "不可檢驗", "不可检验", false, true, "a sentence no clause can check"),
    kw("kw_because", "because", "因為", "因为", false, false, "why it cannot be checked; why a table has no value"),
    kw("kw_holiday", "holiday", "放假", "放假", false, false, "days off in a calendar"),
    kw("kw_workday", "workday", "補班", "补班", false, false, "make-up workdays in a calendar"),
    kw(
        "kw_roll",
        "roll deadlines forward",
        "順延",
        "顺延",
        false,
        false,
        "a deadline on a rest day moves to the next workday",
    ),
];

/// The keyword a grammar rule reads.
pub fn by_rule(rule: &str) -> Option<&'static Keyword> {
    KEYWORDS.iter().find(|k| k.rule == rule)
}

/// The keyword spelt `text` in any language (words of an English keyword separated by any
/// whitespace).
pub fn by_spelling(text: &str) -> Option<&'static Keyword> {
    let words: Vec<&str> = text.split_whitespace().collect();
    KEYWORDS.iter().find(|k| k.hant == text || k.hans == text || k.en.split(' ').eq(words.iter().copied()))
}

/// Every spelling of the reserved words, English first.
pub fn reserved() -> impl Iterator<Item = &'static str> {
    let en = KEYWORDS.iter().filter(|k| k.reserved && !k.en.contains(' ')).map(|k| k.en);
    let zh = KEYWORDS.iter().filter(|k| k.reserved).flat_map(|k| k.spellings().skip(1));
    en.chain(zh)
}

/// Whether `word` is a reserved word in any spelling.
pub fn is_reserved(word: &str) -> bool {
    reserved().any(|w| w == word)
}

/// Whether `word` begins a top-level item, in any spelling.
pub fn is_item_word(word: &str) -> bool {
    KEYWORDS.iter().filter(|k| k.item).any(|k| k.spellings().any(|s| s == word))
}

/// The keyword rules of the grammar as this table writes them: the text between the
/// `BEGIN KEYWORDS` and `END KEYWORDS` lines of `grammar/writ.pest`.
pub fn grammar_block() -> String {
    let mut out = String::new();
    out.push_str("/// Any reserved word, in any of its spellings.\nkeyword = @{\n    ");
    let reserved: Vec<String> = KEYWORDS.iter().filter(|k| k.reserved).map(|k| k.rule.to_string()).collect();
    let mut line_len = 0;
    for (i, r) in reserved.iter().enumerate() {
        if i > 0 {
            if line_len + r.len() > 90 {
                out.push_str("\n    | ");
                line_len = 0;
            } else {
                out.push_str(" | ");
            }
        }
        out.push_str(r);
        line_len += r.len() + 3;
    }
    out.push_str("\n}\n");
    let mut firsts: Vec<char> = KEYWORDS
        .iter()
        .filter(|k| k.reserved)
        .flat_map(|k| k.spellings().skip(1))
        .filter_map(|s| s.chars().next())
        .collect();
    firsts.sort();
    firsts.dedup();
    out.push_str("/// The characters a reserved word can begin with: a name that begins with none of them\n");
    out.push_str("/// (most names of a Chinese plan) is not tried against the reserved words one by one.\n");
    out.push_str("keyword_first = _{ ASCII_ALPHA_LOWER");
    for c in firsts {
        out.push_str(&format!(" | \"{c}\""));
    }
    out.push_str(" }\n\n");
    for k in KEYWORDS {
        let en = if k.en.contains(' ') {
            let words: Vec<String> = k.en.split(' ').map(|w| format!("\"{w}\"")).collect();
            format!("{} ~ !ident_char", words.join(" ~ WHITESPACE+ ~ "))
        } else {
            format!("\"{}\" ~ !ident_char", k.en)
        };
        let mut alts = vec![en];
        for s in k.spellings().skip(1) {
            alts.push(format!("\"{s}\" ~ !ident_char"));
        }
        out.push_str(&format!("/// `{}`: {}.\n", k.en, k.meaning.replace('`', "")));
        out.push_str(&format!("{} = @{{ {} }}\n", k.rule, alts.join(" | ")));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    /// The grammar's keyword rules are the ones this table writes.
    #[test]
    fn the_grammar_has_the_keyword_table() {
        let grammar = include_str!("../../grammar/writ.pest");
        let begin = "// BEGIN KEYWORDS";
        let end = "// END KEYWORDS";
        let a = grammar.find(begin).expect("grammar marks its keyword block");
        let a = a + grammar[a..].find('\n').expect("a line after the marker") + 1;
        let b = grammar.find(end).expect("grammar ends its keyword block");
        let expected = grammar_block();
        if grammar[a..b] != expected && std::env::var_os("WRIT_UPDATE_GRAMMAR").is_some() {
            let path = concat!(env!("CARGO_MANIFEST_DIR"), "/grammar/writ.pest");
            std::fs::write(path, format!("{}{expected}{}", &grammar[..a], &grammar[b..])).expect("grammar written");
            return;
        }
        assert!(
            grammar[a..b] == expected,
            "grammar/writ.pest's keyword block should read (WRIT_UPDATE_GRAMMAR=1 writes it):\n{expected}"
        );
    }

    /// No spelling names two keywords, and each keyword's spellings differ from the English.
    #[test]
    fn every_spelling_is_one_keyword() {
        let mut seen: HashMap<&str, &str> = HashMap::new();
        for k in KEYWORDS {
            for s in k.spellings() {
                if let Some(other) = seen.insert(s, k.rule) {
                    panic!("`{s}` spells both {other} and {}", k.rule);
                }
            }
            assert!(k.hant.chars().all(|c| !c.is_ascii()) && k.hans.chars().all(|c| !c.is_ascii()), "{k:?}");
            assert_eq!(crate::script::fold(k.hant), crate::script::fold(k.hans), "{k:?}: one word in two scripts");
            assert_eq!(by_rule(k.rule), Some(k));
            for s in k.spellings() {
                assert_eq!(by_spelling(s), Some(k), "{s}");
            }
        }
    }
}
