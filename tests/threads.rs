//! Fact files are read on several threads; the output must not depend on how many.

use std::path::{Path, PathBuf};
use writ::cli::{self, FactFiles, Format, Style};

const STYLE: Style = Style { color: false, width: 80 };

fn run(facts: &str, threads: usize, format: Format) -> cli::Outcome {
    let paths = [Path::new(env!("CARGO_MANIFEST_DIR")).join(facts)];
    let files = FactFiles { paths: &paths, encoding: None, threads: Some(threads) };
    let policy: PathBuf = Path::new(env!("CARGO_MANIFEST_DIR")).join("policies/yangquan-2019");
    cli::eval(&policy, files, cli::parse_date("2020-01-15").unwrap(), format, STYLE, false)
}

/// The 72 CSV files and the 36 JSON files of the Yangquan examples, one of them cut short (so
/// that diagnostics and lost records are in the output too), on one, two and three threads.
#[test]
fn one_two_and_three_threads_give_the_same_output() {
    let dir = std::env::temp_dir().join(format!("writ-threads-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/yangquan-2019");
    for entry in std::fs::read_dir(&src).unwrap() {
        let p = entry.unwrap().path();
        std::fs::copy(&p, dir.join(p.file_name().unwrap())).unwrap();
    }
    let cut = dir.join("documents.json");
    let text = std::fs::read_to_string(&cut).unwrap();
    std::fs::write(&cut, &text[..text.len() / 2]).unwrap();
    for facts in ["examples/yangquan-2019-formats/csv", dir.to_str().unwrap()] {
        for format in [Format::Json, Format::Human] {
            let one = run(facts, 1, format);
            for threads in [2, 3] {
                let many = run(facts, threads, format);
                assert_eq!(one.code, many.code, "{facts}, {threads} threads");
                assert!(one.stdout == many.stdout, "{facts}, {threads} threads: the reports differ");
                assert!(one.stderr == many.stderr, "{facts}, {threads} threads: the diagnostics differ");
            }
            assert!(!one.stdout.is_empty());
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
