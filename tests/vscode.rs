//! The VS Code extension in `editors/vscode`: its grammar highlights every keyword of the
//! language, in every spelling, and nothing else as one; its manifest points at its files.

use serde_json::Value;
use std::collections::BTreeSet;
use std::path::Path;
use writ::syntax::keywords::KEYWORDS;

fn read(path: &str) -> Value {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("editors/vscode").join(path);
    serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// The words of an alternation `(?:a|b\s+c)` (or `(a|b)`) that follows `open` in a pattern.
fn alternatives(pattern: &str, open: &str) -> Vec<String> {
    let start = pattern.find(open).unwrap_or_else(|| panic!("`{open}` in {pattern}")) + open.len();
    let end = start + pattern[start..].find(')').unwrap();
    pattern[start..end].split('|').map(|w| w.replace("\\s+", " ")).collect()
}

fn spellings(item_only: bool) -> BTreeSet<String> {
    KEYWORDS.iter().filter(|k| !item_only || k.item).flat_map(|k| k.spellings()).map(str::to_string).collect()
}

#[test]
fn the_grammar_highlights_every_keyword_and_only_keywords() {
    let grammar = read("syntaxes/writ.tmLanguage.json");
    assert_eq!(grammar["scopeName"], "source.writ");
    let mut found = BTreeSet::new();
    for p in grammar["repository"]["keywords"]["patterns"].as_array().unwrap() {
        for w in alternatives(p["match"].as_str().unwrap(), "(?:") {
            assert!(found.insert(w.clone()), "`{w}` is in two keyword patterns");
        }
    }
    assert_eq!(found, spellings(false), "the grammar's keywords are src/syntax/keywords.rs's");
    let declaration = grammar["repository"]["declaration"]["match"].as_str().unwrap();
    let items: BTreeSet<String> = alternatives(declaration, "^\\s*(").into_iter().collect();
    assert_eq!(items, spellings(true), "every item keyword begins a declaration");
}

#[test]
fn the_manifest_names_the_language_grammar_and_server_setting() {
    let manifest = read("package.json");
    let language = &manifest["contributes"]["languages"][0];
    assert_eq!(language["id"], "writ");
    assert_eq!(language["extensions"], serde_json::json!([".writ"]));
    let grammar = &manifest["contributes"]["grammars"][0];
    assert_eq!(grammar["scopeName"], "source.writ");
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("editors/vscode");
    for file in [&language["configuration"], &grammar["path"], &manifest["main"]] {
        assert!(dir.join(file.as_str().unwrap()).is_file(), "{file}");
    }
    read("language-configuration.json");
    assert_eq!(manifest["contributes"]["configuration"]["properties"]["writ.path"]["default"], "writ");
    let extension = std::fs::read_to_string(dir.join("extension.js")).unwrap();
    assert!(extension.contains("args: ['lsp']") && extension.contains("get('path')"), "it starts `writ lsp`");
}
