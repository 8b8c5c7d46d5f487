//! The standard packages shipped with writ (`import "gb3095-2012"`, `"hj633-2012"`,
//! `"hj663-2013"`): each one's test package passes, and an import that cannot be followed is an
//! error at the import, never a package checked without it.

use std::path::Path;
use writ::cli::{self, Style};

const STYLE: Style = Style { color: false, width: 100, progress: false };

#[test]
fn every_standard_package_passes_its_tests() {
    for (name, _) in writ::standards::PACKAGES {
        let dir = Path::new("policies/standards/tests").join(name);
        let out = cli::test(&dir, STYLE);
        assert_eq!(out.code, 0, "{name}: {}{}", out.stdout, out.stderr);
        assert!(out.stdout.contains("0 failed") && !out.stdout.starts_with("0 passed"), "{name}: {}", out.stdout);
    }
}

/// A standard's own folder is a package that checks cleanly: its test package, which imports
/// it, lives elsewhere, so checking the folder does not read the standard twice.
#[test]
fn every_standard_package_checks_on_its_own() {
    for (name, _) in writ::standards::PACKAGES {
        let dir = Path::new("policies/standards").join(name);
        let out = cli::check(&dir, STYLE);
        assert_eq!(out.code, 0, "{name}: {}{}", out.stdout, out.stderr);
        assert!(out.stdout.contains("a library of 1 files (no plan)"), "{name}: {}", out.stdout);
        assert!(out.stderr.is_empty(), "{name}: {}", out.stderr);
    }
}

#[test]
fn the_built_in_text_is_the_text_in_the_repository() {
    for (name, files) in writ::standards::PACKAGES {
        for (file, text) in *files {
            let on_disk = std::fs::read_to_string(Path::new("policies/standards").join(name).join(file)).unwrap();
            assert_eq!(on_disk, *text, "{name}/{file}");
        }
    }
}

fn package(files: &[(&str, &str)]) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("writ-import-{}-{}", std::process::id(), files[0].0.replace('/', "_")));
    let _ = std::fs::remove_dir_all(&dir);
    for (path, text) in files {
        let p = dir.join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    dir
}

const PLAN: &str = "plan p \"t\" { period 2019-01-01 .. 2019-12-31 }\n";

#[test]
fn an_unknown_import_is_an_error_naming_the_standard_packages() {
    let dir = package(&[("main/p.writ", &format!("import \"gb3095\"\n{PLAN}"))]);
    let out = cli::check(&dir.join("main"), STYLE);
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("unknown-import"), "{}", out.stderr);
    assert!(out.stderr.contains("no package `gb3095` to import"), "{}", out.stderr);
    assert!(out.stderr.contains("`gb3095-2012`, `hj633-2012`, `hj663-2013`"), "{}", out.stderr);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_folder_is_imported_and_a_cycle_is_an_error() {
    // `main` imports `lib`, which imports `base`: main may use both; base imports lib back.
    let dir = package(&[
        ("cycle/main/p.writ", &format!("import \"../lib\"\n{PLAN}rule 三倍(x: number) {{ 雙倍(x) + x }}\n")),
        ("cycle/lib/l.writ", "import \"../base\"\nrule 雙倍(x: number) { 加(x, x) }\n"),
        ("cycle/base/b.writ", "import \"../lib\"\nrule 加(a: number, b: number) { a + b }\n"),
    ]);
    let out = cli::check(&dir.join("cycle/main"), STYLE);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains("import-cycle"), "{}", out.stderr);
    assert!(out.stderr.contains("`../lib` imports this package back"), "{}", out.stderr);
    // Without the cycle, all is well.
    std::fs::write(dir.join("cycle/base/b.writ"), "rule 加(a: number, b: number) { a + b }\n").unwrap();
    let out = cli::check(&dir.join("cycle/main"), STYLE);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let _ = std::fs::remove_dir_all(&dir);
}
