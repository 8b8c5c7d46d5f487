//! Every example of the guide (`docs/guide.md`, `docs/guide.zh.md`) is checked.
//!
//! The guide's fenced blocks say what they are in their info string:
//!
//! - ```` ```writ pkg=NAME ````: a policy file of package NAME (one file per block, in the
//!   guide's order). Each package must check without errors or warnings and pass its tests,
//!   and each block must be laid out as `writ fmt` lays it out.
//! - ```` ```writ pkg=NAME expect=CODE ````: a mistake: the package as it stands, with this block
//!   added, must report diagnostic CODE. The block is not kept in the package.
//! - ```` ```json pkg=NAME file=FILE ````: a fact file of the package.
//! - ```` ```console pkg=NAME ````: commands (`$ writ …`, run in the package's folder once the
//!   whole package is written) each followed by exactly what it prints on standard output.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

/// One fenced block of the guide.
struct Block {
    lang: String,
    attrs: Vec<(String, String)>,
    text: String,
    line: usize,
}

impl Block {
    fn attr(&self, key: &str) -> Option<&str> {
        self.attrs.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }
}

fn blocks(doc: &str) -> Vec<Block> {
    let mut out = Vec::new();
    let mut lines = doc.lines().enumerate();
    while let Some((n, line)) = lines.next() {
        let Some(info) = line.strip_prefix("```") else { continue };
        let mut words = info.split_whitespace();
        let lang = words.next().unwrap_or("").to_string();
        let attrs = words.filter_map(|w| w.split_once('=')).map(|(k, v)| (k.to_string(), v.to_string())).collect();
        let mut text = String::new();
        for (_, l) in lines.by_ref() {
            if l.starts_with("```") {
                break;
            }
            text.push_str(l);
            text.push('\n');
        }
        out.push(Block { lang, attrs, text, line: n + 1 });
    }
    out
}

fn writ_in(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_writ"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("WRIT_THREADS")
        .output()
        .expect("the writ binary runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("writ-guide-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Checks every example of one guide; returns its policy blocks, for comparing the guides.
fn check_guide(file: &str) -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let doc = std::fs::read_to_string(root.join(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
    let all = blocks(&doc);
    let tag = file.replace(['/', '.'], "-");
    let mut packages: Vec<(String, PathBuf, usize)> = Vec::new();
    let mut policy = Vec::new();
    let mut consoles = Vec::new();
    let mut mistakes = 0;
    for b in &all {
        let Some(pkg) = b.attr("pkg") else {
            assert!(b.lang != "writ", "{file}:{}: a writ block says which package it belongs to (pkg=NAME)", b.line);
            continue;
        };
        if !packages.iter().any(|(n, _, _)| n == pkg) {
            packages.push((pkg.to_string(), scratch(&format!("{tag}-{pkg}")), 0));
        }
        let entry = packages.iter_mut().find(|(n, _, _)| n == pkg).expect("added");
        let dir = entry.1.clone();
        let at = format!("{file}:{}", b.line);
        match b.lang.as_str() {
            "writ" => {
                policy.push(b.text.clone());
                let name: Arc<str> = Arc::from(at.as_str());
                let formatted = writ::format::format_source(&name, &b.text)
                    .unwrap_or_else(|d| panic!("{at}: does not parse: {d:?}"));
                match b.attr("expect") {
                    None => {
                        assert_eq!(formatted, b.text, "{at}: not laid out as `writ fmt` lays it out");
                        entry.2 += 1;
                        std::fs::write(dir.join(format!("{:02}.writ", entry.2)), &b.text).unwrap();
                    }
                    Some(code) => {
                        mistakes += 1;
                        let trial = scratch(&format!("{tag}-{pkg}-mistake-{}", b.line));
                        for f in std::fs::read_dir(&dir).unwrap() {
                            let p = f.unwrap().path();
                            if p.extension().is_some_and(|e| e == "writ") {
                                std::fs::copy(&p, trial.join(p.file_name().unwrap())).unwrap();
                            }
                        }
                        std::fs::write(trial.join("99-mistake.writ"), &b.text).unwrap();
                        let (_, out, err) = writ_in(&trial, &["check", "."]);
                        assert!(
                            err.lines().any(|l| l.trim() == code),
                            "{at}: expected diagnostic `{code}`, got:\n{out}{err}"
                        );
                        let _ = std::fs::remove_dir_all(&trial);
                    }
                }
            }
            "json" | "csv" => {
                let name = b.attr("file").unwrap_or_else(|| panic!("{at}: a fact block names its file (file=NAME)"));
                std::fs::write(dir.join(name), &b.text).unwrap();
            }
            "console" => consoles.push((dir.clone(), b)),
            other => panic!("{at}: a block of package `{pkg}` in `{other}`"),
        }
    }
    assert!(!packages.is_empty(), "{file} has examples");
    assert!(mistakes > 0, "{file} shows what a mistake looks like");
    // Every package checks cleanly and passes its own tests.
    for (pkg, dir, files) in &packages {
        if *files == 0 {
            continue;
        }
        let (code, out, err) = writ_in(dir, &["check", "."]);
        assert_eq!(code, 0, "{file}: package `{pkg}` does not check:\n{out}{err}");
        assert!(out.trim_end().ends_with("; 0 warnings"), "{file}: package `{pkg}` has warnings:\n{out}{err}");
        let (code, out, err) = writ_in(dir, &["test", "."]);
        assert_eq!(code, 0, "{file}: the tests of package `{pkg}` fail:\n{out}{err}");
    }
    // Every command prints what the guide says it prints.
    for (dir, b) in consoles {
        let mut commands: Vec<(String, String)> = Vec::new();
        for line in b.text.lines() {
            match line.strip_prefix("$ ") {
                Some(cmd) => commands.push((cmd.to_string(), String::new())),
                None => {
                    let (_, expected) = commands.last_mut().unwrap_or_else(|| {
                        panic!("{file}:{}: a console block begins with a command (`$ writ …`)", b.line)
                    });
                    expected.push_str(line);
                    expected.push('\n');
                }
            }
        }
        for (cmd, expected) in commands {
            let args: Vec<&str> = cmd.split_whitespace().collect();
            assert_eq!(args.first(), Some(&"writ"), "{file}:{}: only writ commands are run", b.line);
            let (_, out, err) = writ_in(&dir, &args[1..]);
            assert_eq!(out, expected, "{file}:{}: `{cmd}` prints something else (stderr: {err})", b.line);
        }
    }
    for (_, dir, _) in &packages {
        let _ = std::fs::remove_dir_all(dir);
    }
    policy
}

#[test]
fn every_example_of_the_english_guide_checks_and_its_tests_pass() {
    check_guide("docs/guide.md");
}

#[test]
fn every_example_of_the_chinese_guide_checks_and_its_tests_pass() {
    check_guide("docs/guide.zh.md");
}

/// The two guides show the same policy, so neither drifts from the other.
#[test]
fn the_two_guides_show_the_same_examples() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let code = |f: &str| -> Vec<(String, String, String)> {
        let doc = std::fs::read_to_string(root.join(f)).unwrap();
        blocks(&doc)
            .into_iter()
            .filter(|b| b.attr("pkg").is_some())
            .map(|b| (b.lang, b.attrs.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(" "), b.text))
            .collect()
    };
    let en = code("docs/guide.md");
    let zh = code("docs/guide.zh.md");
    assert_eq!(en.len(), zh.len(), "the guides have as many examples");
    for (a, b) in en.iter().zip(&zh) {
        assert_eq!(a, b, "the guides show the same example");
    }
}

/// The README links both guides.
#[test]
fn the_readme_links_the_guides() {
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    assert!(readme.contains("(docs/guide.md)") && readme.contains("(docs/guide.zh.md)"));
}
