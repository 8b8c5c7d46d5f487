//! Bounded memory for rejected input: millions of garbage NDJSON lines take memory for their
//! count, not for each line. The first few rejected records of a file are kept with their
//! reasons; past them, rejected records without a key are only counted. Heap use is measured
//! by a counting allocator around the load (a test binary of its own, so that no other test
//! allocates at the same time).

use std::io::Read;
use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Instant;
use writ::facts::{self, Schema};

#[path = "common/counting.rs"]
mod counting;
use counting::{IN_USE, MIB, PEAK, POLICY};

/// `lines` lines of garbage made on the fly, never held: lines that are not JSON, and records
/// whose key is not a number, in turn.
struct Garbage {
    lines: usize,
    made: usize,
    line: Vec<u8>,
    at: usize,
}

impl Read for Garbage {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        if self.at == self.line.len() {
            if self.made == self.lines {
                return Ok(0);
            }
            self.line.clear();
            let i = self.made;
            let text = if i.is_multiple_of(2) {
                format!("garbage line {i} with no record in it at all {{{{\n")
            } else {
                format!("{{\"編號\": \"not a number {i}\", \"日期\": \"2019-07-01\", \"PM10\": 35}}\n")
            };
            self.line.extend_from_slice(text.as_bytes());
            self.at = 0;
            self.made += 1;
        }
        let n = out.len().min(self.line.len() - self.at);
        out[..n].copy_from_slice(&self.line[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

fn peak_loading(lines: usize, schema: &Schema<'_>) -> (usize, facts::FileFacts) {
    let before = IN_USE.load(Relaxed);
    PEAK.store(before, Relaxed);
    let path: Arc<str> = Arc::from("讀數.ndjson");
    let mut input = std::io::BufReader::with_capacity(MIB, Garbage { lines, made: 0, line: Vec::new(), at: 0 });
    let ff = facts::parse_stream(schema, &path, &mut input);
    (PEAK.load(Relaxed) - before, ff)
}

#[test]
fn millions_of_garbage_lines_take_memory_for_their_count_only() {
    let file: Arc<str> = Arc::from("policy.writ");
    let (module, errors) = writ::syntax::parse(&file, POLICY);
    assert!(errors.is_empty(), "{errors:?}");
    let (model, diags) = writ::model::check(&[(file, &module)], false);
    assert!(diags.iter().all(|d| !d.is_error()), "{diags:?}");
    let schema = Schema::of(&model);

    let small = 5_000;
    let (peak_small, _) = peak_loading(small, &schema);
    let large = 500_000;
    let start = Instant::now();
    let (peak_large, ff) = peak_loading(large, &schema);
    eprintln!(
        "[memory] {large} garbage lines in {:.2?}; peak heap {:.2} MiB ({small} lines: {:.2} MiB)",
        start.elapsed(),
        peak_large as f64 / MIB as f64,
        peak_small as f64 / MIB as f64
    );

    // Every line is accounted for: the first 200 kept with their reasons, the rest counted.
    assert!(ff.rows.is_empty());
    assert_eq!(ff.rejected.len(), 200);
    let counted: usize = ff.unkept.iter().map(|u| u.lost.unwrap()).sum();
    assert_eq!(ff.rejected.len() + counted, large);
    assert_eq!(ff.unkept.len(), 1);
    assert_eq!(ff.unkept[0].line, 201, "the first record only counted is named");
    // Diagnostics are capped too: 200 and one `too-many-errors` that counts the rest.
    assert_eq!(ff.diagnostics.len(), 201);
    assert_eq!(ff.diagnostics[200].code, "too-many-errors");
    // A hundred times the lines, the same memory: the read buffer, one line, and what is kept.
    assert!(peak_large < 4 * MIB, "peak heap for {large} lines: {peak_large} bytes");
    assert!(peak_large < peak_small + MIB / 4, "{peak_large} bytes for {large} lines, {peak_small} for {small}");

    // Linked, the count reaches the accounting.
    let facts = facts::link(&schema, &[ff]);
    assert_eq!(facts.tables[0].loaded, large);
    assert_eq!(facts.tables[0].rejected_count(), large);
}
