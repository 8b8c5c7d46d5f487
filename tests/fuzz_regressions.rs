//! Replays the inputs saved under `tests/fuzz-regressions/<target>/` through the fuzz harness
//! (`fuzz/harness.rs`, the code the fuzz targets run): inputs that once crashed a target, and
//! samples of the corpora that reach deep into the readers. Each must finish without a panic
//! and keep the harness's invariants. See `docs/fuzzing.md`.

#[path = "../fuzz/harness.rs"]
mod harness;

use std::path::{Path, PathBuf};

/// Runs every file of one target's folder on a thread with the 8 MB stack of a fuzzer's (and
/// the CLI's) main thread; a test thread has 2 MB.
fn replay(target: &str, run: fn(&[u8])) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz-regressions").join(target);
    let mut inputs: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    inputs.sort();
    assert!(!inputs.is_empty(), "no inputs in {}", dir.display());
    for path in inputs {
        let data = std::fs::read(&path).unwrap();
        let outcome = std::thread::Builder::new().stack_size(8 * 1024 * 1024).spawn(move || run(&data)).unwrap().join();
        assert!(outcome.is_ok(), "{} failed", path.display());
    }
}

#[test]
fn policy() {
    replay("policy", harness::policy);
}

#[test]
fn facts_json() {
    replay("facts_json", |d| harness::facts("json", d));
}

#[test]
fn facts_ndjson() {
    replay("facts_ndjson", |d| harness::facts("ndjson", d));
}

#[test]
fn facts_csv() {
    replay("facts_csv", |d| harness::facts("csv", d));
}

#[test]
fn facts_xlsx() {
    replay("facts_xlsx", |d| harness::facts("xlsx", d));
}

#[test]
fn facts_yaml() {
    replay("facts_yaml", |d| harness::facts("yaml", d));
}

#[test]
fn facts_toml() {
    replay("facts_toml", |d| harness::facts("toml", d));
}

#[cfg(feature = "parquet")]
#[test]
fn facts_parquet() {
    replay("facts_parquet", |d| harness::facts("parquet", d));
}
