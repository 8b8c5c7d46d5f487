//! Chinese keywords: a bundled package converted with `writ fmt --keywords zh` checks, tests
//! and evaluates as the English one does, and `--keywords en` gives back the original text.

use std::path::{Path, PathBuf};
use writ::cli::{self, Format, Keywords, Style};
use writ::syntax::keywords::KEYWORDS;

const STYLE: Style = Style { color: false, width: 80, progress: false };

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The `.writ` files of a folder, by name.
fn writ_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "writ"))
        .collect();
    files.sort();
    files
}

/// A fresh copy of a package's `.writ` files under `target/`.
fn copy_package(package: &str, name: &str) -> PathBuf {
    let to = root().join("target").join("keyword-tests").join(name);
    let _ = std::fs::remove_dir_all(&to);
    std::fs::create_dir_all(&to).unwrap();
    for f in writ_files(&root().join(package)) {
        std::fs::copy(&f, to.join(f.file_name().unwrap())).unwrap();
    }
    to
}

fn texts(dir: &Path) -> Vec<String> {
    writ_files(dir).iter().map(|f| std::fs::read_to_string(f).unwrap()).collect()
}

/// Reports quote the policy as it is written, so a converted package's reports quote its
/// Chinese keywords: both outputs are compared with every Chinese spelling of a keyword
/// written in English (in the original's output too, where such characters occur in names
/// and texts alike), and the package's folder name taken out.
fn in_english(text: &str, dir: &Path) -> String {
    let mut spellings: Vec<(&str, &str)> = KEYWORDS.iter().flat_map(|k| [(k.hant, k.en), (k.hans, k.en)]).collect();
    // The longest first, so that `不屬於` is not read as `不` and `屬於`.
    spellings.sort_by_key(|(zh, _)| std::cmp::Reverse(zh.chars().count()));
    let mut out = text.replace(&dir.display().to_string(), "PACKAGE");
    for (zh, en) in spellings {
        out = out.replace(zh, en);
    }
    out
}

/// What a package says: its check output, its diagnostics, its checked model, its tests and
/// its evaluation report over the facts at the as-of date, in JSON.
fn outputs(dir: &Path, facts: &Path, as_of: &str) -> Vec<String> {
    let check = cli::check(dir, STYLE);
    let loaded = cli::load_package(dir).unwrap();
    let checked = writ::db::package_model(&loaded.db, loaded.package);
    let diags: Vec<String> =
        checked.diagnostics.iter().map(|d| format!("{} {} {:?}", d.code, d.message, d.help)).collect();
    let test = cli::test(dir, STYLE);
    let eval = cli::eval(dir, &[facts.to_path_buf()], cli::parse_date(as_of).unwrap(), Format::Json, STYLE, false);
    assert!(eval.stdout.len() > 1000, "{}", eval.stderr);
    vec![
        format!("{}{}{}", check.code, check.stdout, check.stderr),
        diags.join("\n"),
        writ::model::dump(&checked.model),
        format!("{}{}{}", test.code, test.stdout, test.stderr),
        format!("{}{}{}", eval.code, eval.stdout, eval.stderr),
    ]
}

/// Converts a package to Chinese keywords and back, and holds what it says against the
/// original's.
fn round_trip(package: &str, examples: &str, name: &str, script_word: &str) {
    let original_dir = copy_package(package, &format!("{name}-en"));
    let dir = copy_package(package, &format!("{name}-zh"));
    let original = texts(&dir);

    let zh = cli::fmt(std::slice::from_ref(&dir), false, Some(Keywords::Zh), STYLE);
    assert_eq!(zh.code, cli::EXIT_OK, "{}", zh.stderr);
    let converted = texts(&dir);
    assert_ne!(converted, original, "{name}: the conversion changed the files");
    let all = converted.concat();
    assert!(all.contains(script_word), "{name}: keywords in the package's script (`{script_word}`)");
    for k in KEYWORDS.iter().filter(|k| k.reserved) {
        for line in all.lines().filter(|l| !l.trim_start().starts_with("//")) {
            // Texts are not code, and the attribute after `plan.` is a name (`plan.period`).
            let code = line.split('"').step_by(2).collect::<Vec<_>>().join(" ").replace(".period", ".");
            let words: Vec<&str> = code.split(|c: char| !(c.is_alphanumeric() || c == '_')).collect();
            assert!(k.en.contains(' ') || !words.contains(&k.en), "{name}: `{}` left in English: {line}", k.en);
        }
    }

    // Converting again changes nothing.
    let again = cli::fmt(std::slice::from_ref(&dir), true, Some(Keywords::Zh), STYLE);
    assert_eq!(again.code, cli::EXIT_OK, "{name}: conversion is not idempotent:\n{}", again.stdout);
    // Formatting without `--keywords` keeps the Chinese keywords.
    let kept = cli::fmt(std::slice::from_ref(&dir), true, None, STYLE);
    assert_eq!(kept.code, cli::EXIT_OK, "{name}: formatting changed a converted file:\n{}", kept.stdout);

    let facts = root().join(examples);
    let expected: Vec<String> =
        outputs(&original_dir, &facts, "2020-01-15").iter().map(|o| in_english(o, &original_dir)).collect();
    let got: Vec<String> = outputs(&dir, &facts, "2020-01-15").iter().map(|o| in_english(o, &dir)).collect();
    let what = ["check", "diagnostics", "model", "tests", "evaluation"];
    for ((e, g), w) in expected.iter().zip(&got).zip(what) {
        if e != g {
            let diff = similar::TextDiff::from_lines(e, g).unified_diff().context_radius(2).to_string();
            panic!("{name}: the {w} differs:\n{diff}");
        }
    }

    let en = cli::fmt(std::slice::from_ref(&dir), false, Some(Keywords::En), STYLE);
    assert_eq!(en.code, cli::EXIT_OK, "{}", en.stderr);
    assert!(texts(&dir) == original, "{name}: `--keywords en` does not give back the original");
}

#[test]
fn yangquan_in_chinese_keywords_says_the_same() {
    round_trip("policies/yangquan-2019", "examples/yangquan-2019", "yangquan-2019", "條款");
}

#[test]
fn chaozhou_in_chinese_keywords_says_the_same() {
    round_trip("policies/chaozhou-2019", "examples/chaozhou-2019", "chaozhou-2019", "条款");
}

/// Chinese keywords next to names that begin with their characters, converted both ways.
#[test]
fn names_that_begin_with_a_keyword_stay_names() {
    let text = "record 條款數 key 編號 {\n  編號: text\n  必須數: number\n}\n\n\
                clause 條款甲 {\n  for x in 條款數 where x.必須數 > 0 and x.必須數 not in [3] {\n    must x.必須數 >= 1 by 2019-10-01\n    must not x.必須數 > 9\n  }\n}\n";
    let zh = cli::fmt_text(text, false, Some(Keywords::Zh), STYLE);
    assert_eq!(zh.code, cli::EXIT_OK, "{}", zh.stderr);
    assert_eq!(
        zh.stdout,
        "記錄 條款數 主鍵 編號 {\n  編號: text\n  必須數: number\n}\n\n\
         條款 條款甲 {\n  對於 x 屬於 條款數 其中 x.必須數 > 0 且 x.必須數 不屬於 [3] {\n    必須 x.必須數 >= 1 截至 2019-10-01\n    不得 x.必須數 > 9\n  }\n}\n"
    );
    let en = cli::fmt_text(&zh.stdout, false, Some(Keywords::En), STYLE);
    assert_eq!(en.stdout, text);
    // Simplified names: Simplified keywords.
    let hans = cli::fmt_text("clause 条款甲 {\n  must 条款数 > 0\n}\n", false, Some(Keywords::Zh), STYLE);
    assert_eq!(hans.stdout, "条款 条款甲 {\n  必须 条款数 > 0\n}\n");
}
