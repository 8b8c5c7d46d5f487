//! Every diagnostic code the code emits is documented in `docs/diagnostics.md`, and every
//! documented code is still emitted.

use std::collections::BTreeSet;
use std::path::Path;

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let p = entry.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
}

/// Kebab-case string literals (`"unit-mismatch"`): the shape every diagnostic code has.
fn codes_in(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for piece in text.split('"').skip(1).step_by(2) {
        let kebab = piece.contains('-')
            && !piece.starts_with('-')
            && !piece.ends_with('-')
            && piece.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            && piece.chars().next().is_some_and(|c| c.is_ascii_lowercase());
        if kebab {
            out.insert(piece.to_string());
        }
    }
    out
}

#[test]
fn every_diagnostic_code_is_documented() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    rust_files(&root.join("src"), &mut files);
    // main.rs holds command-line flag names (`--as-of`), not diagnostic codes.
    // standards.rs holds the names of the standard packages (`"gb3095-2012"`).
    files.retain(|f| !f.ends_with("src/main.rs") && !f.ends_with("src/standards.rs"));
    let mut used = BTreeSet::new();
    for f in files {
        used.extend(codes_in(&std::fs::read_to_string(f).unwrap()));
    }
    let doc = std::fs::read_to_string(root.join("docs/diagnostics.md")).unwrap();
    let documented: BTreeSet<String> =
        doc.lines().filter_map(|l| l.strip_prefix("## ")).filter(|h| !h.contains(' ')).map(str::to_string).collect();
    let missing: Vec<_> = used.difference(&documented).collect();
    assert!(missing.is_empty(), "codes used but not documented in docs/diagnostics.md: {missing:?}");
    let stale: Vec<_> = documented.difference(&used).collect();
    assert!(stale.is_empty(), "codes documented but never used: {stale:?}");
}

/// The table of keywords in `docs/keywords.md` is the one in the code, row for row.
#[test]
fn the_keyword_table_is_documented() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let doc = std::fs::read_to_string(root.join("docs/keywords.md")).unwrap();
    let rows: Vec<Vec<String>> = doc
        .lines()
        .filter(|l| l.starts_with("| `"))
        .map(|l| l.trim_matches('|').split(" | ").map(|c| c.trim().to_string()).collect())
        .collect();
    let expected: Vec<Vec<String>> = writ::syntax::keywords::KEYWORDS
        .iter()
        .map(|k| {
            vec![
                format!("`{}`", k.en),
                k.hant.to_string(),
                k.hans.to_string(),
                if k.reserved { "reserved" } else { "contextual" }.to_string(),
                k.meaning.to_string(),
            ]
        })
        .collect();
    let documented: Vec<Vec<String>> = rows.iter().map(|r| r[..5].to_vec()).collect();
    assert_eq!(documented, expected, "docs/keywords.md's table and src/syntax/keywords.rs");
    // Each example shows its keyword, in Traditional script.
    for r in &rows {
        assert!(r[5].contains(r[1].as_str()), "the example of {} does not use `{}`: {}", r[0], r[1], r[5]);
    }
}
