//! The peer benchmark measures the same work three ways: writ, regorus (Rego) and a
//! hand-written Rust program give the same verdict counts and the same breaching subjects per
//! rule, on the small size (1,000 enterprises, 100,000 readings) generated into a temp dir.
//! `benches/peers.sh` checks the same agreement again at every size it times.

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
