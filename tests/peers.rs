//! The peer benchmark measures the same work three ways: writ, regorus (Rego) and a
//! hand-written Rust program give the same verdict counts and the same breaching subjects per
//! rule, on the small size (1,000 enterprises, 100,000 readings) generated into a temp dir.
//! `benches/peers.sh` checks the same agreement again at every size it times. The readings
//! `benches/peers-parquet.sh` writes in parts are held to those of the one file.

#[path = "../benches/peers/data.rs"]
mod data;
#[path = "../benches/peers/hand.rs"]
mod hand;
#[path = "../benches/peers/rego.rs"]
mod rego;
#[path = "../benches/peers/summary.rs"]
mod summary;

use std::path::PathBuf;
use std::process::Command;

#[test]
fn writ_regorus_and_hand_written_agree_on_the_small_size() {
    let t = std::time::Instant::now();
    let dir = std::env::temp_dir().join(format!("writ-peers-{}", std::process::id()));
    let facts = dir.join("facts");
    data::generate(data::size("small").unwrap(), &facts).unwrap();
    let text = std::fs::read_to_string(facts.join("facts.json")).unwrap();
    eprintln!("generated in {:?}", t.elapsed());

    let policy = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("benches/peers/policy");
    let out = Command::new(env!("CARGO_BIN_EXE_writ"))
        .arg("eval")
        .arg(&policy)
        .arg("--facts")
        .arg(&facts)
        .args(["--as-of", "2019-12-31", "--format", "json"])
        .output()
        .unwrap();
    assert!(out.status.code() == Some(1), "writ eval: {:?}\n{}", out.status, String::from_utf8_lossy(&out.stderr));
    assert!(out.stderr.is_empty(), "{}", String::from_utf8_lossy(&out.stderr));
    eprintln!("writ eval done at {:?}", t.elapsed());
    let writ = summary::from_writ_report(std::str::from_utf8(&out.stdout).unwrap());
    eprintln!("writ report read at {:?}", t.elapsed());

    let hand = hand::evaluate(&hand::load(&text));
    eprintln!("hand-written done at {:?}", t.elapsed());
    let rego = rego::to_summary(&rego::evaluate(&text));
    eprintln!("regorus done at {:?}", t.elapsed());
    std::fs::remove_dir_all(&dir).unwrap();

    // Every rule has subjects that pass and subjects that breach, so agreement means something.
    for (rule, r) in &hand {
        assert!(!r.breaches.is_empty() && r.breaches.len() < r.verdicts, "{rule}: {r:?}");
    }
    assert_eq!(hand[summary::PM10_READING].verdicts, 100_000);
    assert_eq!(hand[summary::COAL_MONTH].breaches, ["2019-02", "2019-05", "2019-10"]);
    for rule in hand.keys() {
        assert_eq!(writ[rule], hand[rule], "writ and the hand-written program differ on {rule}");
        assert_eq!(rego[rule], hand[rule], "regorus and the hand-written program differ on {rule}");
    }
}

/// `peers gen-parts` (for `benches/peers-parquet.sh`) writes the records `gen` writes: the
/// readings, one a line, in files of a given size and the same order, and every other record
/// in `facts.json` as `gen` writes it.
#[test]
fn the_readings_in_parts_are_the_readings_of_the_one_file() {
    let dir = std::env::temp_dir().join(format!("writ-peers-parts-{}", std::process::id()));
    let (one, parts) = (dir.join("one"), dir.join("parts"));
    let size = data::size("small").unwrap();
    data::generate(size, &one).unwrap();
    data::generate_with(size, &parts, Some(30_000)).unwrap();
    let whole = std::fs::read_to_string(one.join("facts.json")).unwrap();
    let (before, rest) = whole.split_once("\"工地揚塵監測\": [\n").expect("the readings in facts.json");
    let (readings, after) = rest.split_once("],\n").expect("the end of the readings");
    let in_one: Vec<&str> = readings.lines().map(|l| l.strip_suffix(',').unwrap_or(l)).collect();
    assert_eq!(in_one.len(), size.readings);

    let folder = parts.join("工地揚塵監測");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&folder).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    let names: Vec<String> = files.iter().map(|f| f.file_name().unwrap().to_string_lossy().into_owned()).collect();
    assert_eq!(names, ["part-0000.ndjson", "part-0001.ndjson", "part-0002.ndjson", "part-0003.ndjson"]);
    let texts: Vec<String> = files.iter().map(|f| std::fs::read_to_string(f).unwrap()).collect();
    let counts: Vec<usize> = texts.iter().map(|t| t.lines().count()).collect();
    assert_eq!(counts, [30_000, 30_000, 30_000, 10_000]);
    let in_parts: Vec<&str> = texts.iter().flat_map(|t| t.lines()).collect();
    assert!(in_parts == in_one, "the readings differ");

    // The other records: facts.json less the readings.
    let others = std::fs::read_to_string(parts.join("facts.json")).unwrap();
    assert_eq!(others, format!("{before}{after}"));
    std::fs::remove_dir_all(&dir).unwrap();
}
