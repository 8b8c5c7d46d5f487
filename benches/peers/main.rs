//! The peer benchmark: four rules of the plan, computed by writ, by regorus (Rego) and by a
//! hand-written Rust program over the same JSON facts. `benches/peers.sh SIZE` builds this
//! binary and the `writ` binary and times them; see BENCHMARKS.md.
//!
//! Commands (the first argument; `cargo bench` passes `--bench`, which prints the usage):
//! - `gen SIZE DIR`: write DIR/facts.json for SIZE (small, medium, large, huge);
//! - `gen-parts SIZE DIR ROWS`: the same records, the readings in NDJSON files of ROWS records
//!   under DIR/工地揚塵監測/ and the rest in DIR/facts.json (`benches/peers-parquet.sh`);
//! - `hand DIR`: the hand-written program over DIR/facts.json, its summary to stdout;
//! - `rego DIR`: regorus over DIR/facts.json, its summary to stdout;
//! - `hand-load DIR`, `rego-load DIR`: only the parsing of DIR/facts.json each program does, for
//!   a per-phase estimate;
//! - `writ-summary REPORT`: the summary of writ's JSON report.

mod data;
mod hand;
mod rego;
mod summary;

use std::path::Path;
use std::process::ExitCode;

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    match args.as_slice() {
        ["gen", size, dir] => {
            let Some(size) = data::size(size) else {
                eprintln!("unknown size {size}: small, medium, large or huge");
                return ExitCode::from(2);
            };
            data::generate(size, Path::new(dir)).expect("writing the facts");
        }
        ["gen-parts", size, dir, rows] => {
            let (Some(size), Ok(rows @ 1..)) = (data::size(size), rows.parse::<usize>()) else {
                eprintln!("usage: peers gen-parts SIZE DIR ROWS (SIZE: small, medium, large or huge; ROWS above 0)");
                return ExitCode::from(2);
            };
            data::generate_with(size, Path::new(dir), Some(rows)).expect("writing the facts");
        }
        ["hand", dir] => {
            let facts = hand::load(&read(&Path::new(dir).join("facts.json")));
            print!("{}", summary::render(&hand::evaluate(&facts)));
        }
        ["hand-load", dir] => {
            let facts = hand::load(&read(&Path::new(dir).join("facts.json")));
            std::hint::black_box(&facts);
        }
        ["rego-load", dir] => {
            let mut engine = regorus::Engine::new();
            engine.set_input_json(&read(&Path::new(dir).join("facts.json"))).expect("facts.json as input");
            std::hint::black_box(&engine);
        }
        ["rego", dir] => {
            let result = rego::evaluate(&read(&Path::new(dir).join("facts.json")));
            print!("{}", summary::render(&rego::to_summary(&result)));
        }
        ["writ-summary", report] => {
            print!("{}", summary::render(&summary::from_writ_report(&read(Path::new(report)))));
        }
        _ => {
            eprintln!(
                "usage: peers gen SIZE DIR | gen-parts SIZE DIR ROWS | hand DIR | rego DIR | writ-summary REPORT (run benches/peers.sh SIZE)"
            );
        }
    }
    ExitCode::SUCCESS
}
