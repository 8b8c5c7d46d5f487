//! `writ check` of the Yangquan package, in process: a cold check (parse every file, on as many
//! threads as `writ check` uses, and check the package), the same on one thread, and a re-check
//! after a one-clause edit that makes the clause longer (salsa parses the edited clause again,
//! puts its file together, and re-checks the package). `benches/whole-process.sh` times the
//! binary end to end.

use salsa::Setter;
use std::path::Path;
use std::sync::Arc;
use writ::db;

const PACKAGE: &str = "policies/yangquan-2019";
/// The clause edited: one number of one requirement, in the file of the coal clauses.
const FILE: &str = "13-coal.writ";

fn texts() -> Vec<(Arc<str>, Arc<str>)> {
    let mut paths: Vec<_> = std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join(PACKAGE))
        .expect("the Yangquan package")
        .map(|e| e.expect("a folder entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "writ"))
        .collect();
    paths.sort();
    paths
        .iter()
        .map(|p| (Arc::from(p.display().to_string()), Arc::from(std::fs::read_to_string(p).expect("a policy file"))))
        .collect()
}

fn main() {
    divan::main();
}

#[divan::bench(sample_count = 20, args = [0, 1])]
fn cold_check(b: divan::Bencher, threads: usize) {
    let texts = texts();
    let threads = if threads == 0 { writ::cli::threads() } else { threads };
    b.bench(|| {
        let db = db::Database::default();
        let files = texts.iter().map(|(p, t)| db::SourceFile::new(&db, p.clone(), t.clone())).collect();
        let pkg = db::Package::new(&db, files);
        db::parse_in_parallel(&db, pkg, threads);
        assert!(!db::package_model(&db, pkg).has_errors());
    });
}

#[divan::bench(sample_count = 20)]
fn recheck_after_one_clause_edit(b: divan::Bencher) {
    let texts = texts();
    let mut db = db::Database::default();
    let files: Vec<db::SourceFile> =
        texts.iter().map(|(p, t)| db::SourceFile::new(&db, p.clone(), t.clone())).collect();
    let pkg = db::Package::new(&db, files.clone());
    assert!(!db::package_model(&db, pkg).has_errors());
    let at = texts.iter().position(|(p, _)| p.ends_with(FILE)).expect("the coal clauses");
    let original = texts[at].1.clone();
    assert!(original.contains(">= 10%"), "the edited requirement");
    // Longer by two bytes: every item after it in the file moves.
    let edited: Arc<str> = Arc::from(original.replacen(">= 10%", ">= 10.5%", 1));
    let mut flip = false;
    b.bench_local(|| {
        flip = !flip;
        files[at].set_text(&mut db).to(if flip { edited.clone() } else { original.clone() });
        assert!(!db::package_model(&db, pkg).has_errors());
    });
}

/// The checker alone, on files parsed once: what a re-check costs beyond parsing the edited file.
#[divan::bench(sample_count = 20)]
fn check_parsed_package(b: divan::Bencher) {
    let modules: Vec<_> = texts().into_iter().map(|(p, t)| (p.clone(), writ::syntax::parse(&p, &t).0)).collect();
    let refs: Vec<_> = modules.iter().map(|(p, m)| (p.clone(), m)).collect();
    b.bench(|| {
        let (model, _) = writ::model::check(&refs, false);
        model
    });
}

/// Parsing alone: the file the re-check edits, and the whole package.
#[divan::bench(sample_count = 20, args = [FILE, "all"])]
fn parse(b: divan::Bencher, which: &str) {
    let texts: Vec<_> = texts().into_iter().filter(|(p, _)| which == "all" || p.ends_with(which)).collect();
    b.bench(|| texts.iter().map(|(p, t)| writ::syntax::parse(p, t).0.items.len()).sum::<usize>());
}
