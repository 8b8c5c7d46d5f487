//! `writ fmt` over every `.writ` file in the repository: formatting twice gives what formatting
//! once gives, the file says the same after it (the same syntax tree without positions, the
//! same checked model and diagnostics), and the committed policies and examples are formatted.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use writ::format::format_source;

/// The fixtures that do not parse, on purpose: inputs of the syntax error tests. Any other file
/// that cannot be formatted fails the test, so a new file is never skipped unnoticed.
const BROKEN: &[&str] = &[
    "tests/fixtures/check/err/bidi-control.writ",
    "tests/fixtures/check/err/invisible-character-in-name.writ",
    "tests/fixtures/check/err/nesting-too-deep.writ",
    "tests/fixtures/check/err/syntax-crlf-line-numbers.writ",
    "tests/fixtures/check/err/syntax-fullwidth-full-stop.writ",
    "tests/fixtures/check/err/syntax-keyword-as-name.writ",
    "tests/fixtures/check/err/syntax-missing-brace.writ",
    "tests/fixtures/check/err/syntax-missing-value-after-by.writ",
    "tests/fixtures/check/err/syntax-single-quoted-text.writ",
    "tests/fixtures/check/err/syntax-unclosed-brace-at-eof.writ",
    "tests/fixtures/check/err/unsupported-escape.writ",
    "tests/fixtures/check/err/unterminated-string-at-end-of-file.writ",
    "tests/fixtures/check/err/unterminated-string.writ",
    "tests/fixtures/packages/four-errors/a-broken.writ",
    "tests/fuzz-regressions/policy/sample-plan-without-period-control-bytes.writ",
    "tests/fuzz-regressions/policy/sample-units-garbled.writ",
    "tests/fuzz-regressions/policy/sample-units-plan-record-clause-spliced.writ",
];

fn writ_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() && p.file_name().is_some_and(|n| n != "target" && n != ".git") {
            writ_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "writ") {
            out.push(p);
        }
    }
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn relative(p: &Path) -> String {
    p.strip_prefix(root()).unwrap_or(p).display().to_string()
}

/// The syntax tree without positions: its debug form with every span taken out, and the texts
/// kept for messages (a requirement as written) compared without their spacing, which is what
/// formatting changes in them, and with full-width punctuation written as ASCII.
fn tree_without_layout(module: &writ::syntax::ast::Module) -> String {
    let debug = format!("{module:?}");
    let mut out = String::with_capacity(debug.len());
    let mut rest = debug.as_str();
    while let Some(i) = rest.find("Span { start: ") {
        out.push_str(&rest[..i]);
        let end = rest[i..].find('}').expect("a span's debug form ends with `}`");
        out.push_str("Span");
        rest = &rest[i + end + 1..];
    }
    out.push_str(rest);
    for (wide, ascii) in [
        ("＜＝", "<="),
        ("＞＝", ">="),
        ("！＝", "!="),
        ("＝＝", "=="),
        ("≤", "<="),
        ("≥", ">="),
        ("≠", "!="),
        ("⇒", "=>"),
        ("＜", "<"),
        ("＞", ">"),
        ("＋", "+"),
        ("－", "-"),
        ("×", "*"),
        ("÷", "/"),
        ("％", "%"),
        ("～", ".."),
    ] {
        out = out.replace(wide, ascii);
    }
    out.chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| match c {
            '，' | '、' => ',',
            '（' => '(',
            '）' => ')',
            '：' => ':',
            '＝' => '=',
            '［' => '[',
            '］' => ']',
            '｛' => '{',
            '｝' => '}',
            '；' => ';',
            other => other,
        })
        .collect()
}

/// The syntax tree without layout, the model dump, and each diagnostic's code, message and help.
type Meaning = (String, String, Vec<(String, String, Option<String>)>);

/// What the checker makes of one file on its own: the model dump and the diagnostics without
/// their positions.
fn meaning(name: &Arc<str>, text: &str) -> Meaning {
    let (module, syntax) = writ::syntax::parse(name, text);
    assert!(syntax.iter().all(|d| !d.is_error()), "{name} parses");
    let (model, diags) = writ::model::check(&[(name.clone(), &module)], false);
    let diags = diags.iter().map(|d| (d.code.to_string(), d.message.clone(), d.help.clone())).collect();
    (tree_without_layout(&module), writ::model::dump(&model), diags)
}

#[test]
fn every_writ_file_formats_once_for_all_and_says_the_same() {
    let mut files = Vec::new();
    writ_files(root(), &mut files);
    files.sort();
    assert!(files.len() > 80, "the repository's policy files: {}", files.len());
    let mut skipped = BTreeSet::new();
    let mut changed = 0;
    for path in &files {
        let text = std::fs::read_to_string(path).unwrap();
        let name: Arc<str> = Arc::from(relative(path));
        let once = match format_source(&name, &text) {
            Ok(f) => f,
            Err(diags) => {
                assert!(diags.iter().any(|d| d.is_error()), "{name}: refused without an error");
                assert!(diags.iter().all(|d| d.code != "format-refused"), "{name}: parses but was refused: {diags:?}");
                skipped.insert(name.to_string());
                continue;
            }
        };
        let twice = format_source(&name, &once).unwrap_or_else(|d| panic!("{name}: formatted text refused: {d:?}"));
        assert_eq!(twice, once, "{name}: formatting is not idempotent");
        let body = text.strip_prefix('\u{FEFF}').unwrap_or(&text);
        let formatted = once.strip_prefix('\u{FEFF}').unwrap_or(&once);
        assert_eq!(meaning(&name, formatted), meaning(&name, body), "{name}: formatting changed what it says");
        changed += usize::from(once != text);
    }
    let expected: BTreeSet<String> = BROKEN.iter().map(|s| s.to_string()).collect();
    assert_eq!(skipped, expected, "the files that do not parse are the deliberately broken fixtures");
    assert!(changed > 0, "some fixtures are laid out otherwise, so the layout was exercised");
}

/// The committed policy packages, benchmarks and examples are formatted (the test fixtures are
/// inputs as written, and left alone).
#[test]
fn committed_policies_are_formatted() {
    let mut files = Vec::new();
    for dir in ["policies", "benches", "examples", "docs"] {
        writ_files(&root().join(dir), &mut files);
    }
    assert!(files.len() > 20);
    for path in &files {
        let text = std::fs::read_to_string(path).unwrap();
        let name: Arc<str> = Arc::from(relative(path));
        let formatted = format_source(&name, &text).unwrap_or_else(|d| panic!("{name}: {d:?}"));
        assert!(formatted == text, "{name} is not formatted: run `writ fmt {name}`");
    }
}

/// The policy examples in the README (```writ blocks) are formatted too.
#[test]
fn readme_examples_are_formatted() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let mut blocks = 0;
    for (i, block) in readme.split("```writ\n").skip(1).enumerate() {
        let code = &block[..block.find("```").expect("a writ block is closed")];
        let name: Arc<str> = Arc::from(format!("README.md block {}", i + 1));
        let formatted = format_source(&name, code).unwrap_or_else(|d| panic!("{name}: {d:?}"));
        assert!(formatted == code, "{name} is not formatted:\n{formatted}");
        blocks += 1;
    }
    assert!(blocks > 0, "the README has policy examples");
}
