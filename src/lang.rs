//! The languages a report is written in: shared by the checker (a plan's `language` item), the
//! command line (`--lang`) and the reports, so `model` does not depend on `report`.
//!
//! A language is named by its BCP 47 tag with the script, not the region: a plan of Taiwan and
//! one of Hong Kong are both written in Traditional characters, and a report's labels follow
//! the script the plan is written in.

use serde::Serialize;

/// A language and script writ writes its reports in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Default)]
pub enum Lang {
    /// English: the language of a plan that declares none.
    #[default]
    #[serde(rename = "en")]
    En,
    /// Chinese in Simplified characters (the mainland's).
    #[serde(rename = "zh-Hans")]
    ZhHans,
    /// Chinese in Traditional characters (the Yangquan plan's text as bundled).
    #[serde(rename = "zh-Hant")]
    ZhHant,
}

impl Lang {
    pub const ALL: [Lang; 3] = [Lang::En, Lang::ZhHans, Lang::ZhHant];

    /// The BCP 47 tag, as a plan declares it and `--lang` takes it.
    pub fn tag(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::ZhHans => "zh-Hans",
            Lang::ZhHant => "zh-Hant",
        }
    }

    /// The language of a tag, written exactly as [`Lang::tag`] writes it.
    pub fn parse(tag: &str) -> Option<Lang> {
        Lang::ALL.into_iter().find(|l| l.tag() == tag)
    }

    /// The accepted tags, for messages: `` `en`, `zh-Hans` or `zh-Hant` ``.
    pub fn accepted() -> String {
        let tags: Vec<String> = Lang::ALL.iter().map(|l| format!("`{}`", l.tag())).collect();
        let (last, rest) = tags.split_last().expect("there are languages");
        format!("{} or {last}", rest.join(", "))
    }

    /// The tag a person most likely meant by one writ does not accept: the same tag in other
    /// letter case (`zh-hant`), or a Chinese tag that names a region or a dialect rather than a
    /// script (`zh-TW`, `zh-CN`, `zh`), which says nothing of the characters a report is
    /// written in without a guess.
    pub fn likely(tag: &str) -> Option<Lang> {
        if let Some(l) = Lang::ALL.into_iter().find(|l| l.tag().eq_ignore_ascii_case(tag)) {
            return Some(l);
        }
        let lower = tag.to_ascii_lowercase().replace('_', "-");
        let mut parts = lower.split('-');
        match (parts.next(), parts.next()) {
            (Some("en"), _) => Some(Lang::En),
            (Some("zh"), Some("tw" | "hk" | "mo" | "hant")) => Some(Lang::ZhHant),
            (Some("zh"), Some("cn" | "sg" | "my" | "hans")) => Some(Lang::ZhHans),
            _ => None,
        }
    }

    pub fn is_chinese(self) -> bool {
        self != Lang::En
    }
}

impl std::fmt::Display for Lang {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.tag())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_read_back() {
        for l in Lang::ALL {
            assert_eq!(Lang::parse(l.tag()), Some(l));
            assert_eq!(serde_json::to_value(l).unwrap(), l.tag());
        }
        assert_eq!(Lang::parse("ZH-HANT"), None);
        assert_eq!(Lang::likely("ZH-HANT"), Some(Lang::ZhHant));
        assert_eq!(Lang::likely("zh-TW"), Some(Lang::ZhHant));
        assert_eq!(Lang::likely("zh_CN"), Some(Lang::ZhHans));
        assert_eq!(Lang::likely("en-GB"), Some(Lang::En));
        assert_eq!(Lang::likely("zh"), None);
        assert_eq!(Lang::likely("fr"), None);
        assert_eq!(Lang::accepted(), "`en`, `zh-Hans` or `zh-Hant`");
    }
}
