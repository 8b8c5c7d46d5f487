//! Bounded memory: the NDJSON reader holds one line at a time, whatever the size of the
//! input. Heap use is measured by a counting allocator around the load.

use std::io::Read;
use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Instant;
use writ::facts::{self, Schema};

#[path = "common/counting.rs"]
mod counting;
use counting::{IN_USE, MIB, PEAK, POLICY};

/// An NDJSON stream made on the fly, never held: `units` times a valid record, a record of
/// 1 MiB (an unknown field holding a long text), and one line of `long` bytes.
struct Stream {
    segments: Vec<Segment>,
    at: usize,
    offset: usize,
}

enum Segment {
    Bytes(Vec<u8>),
    Filler(usize),
}

impl Stream {
    fn new(units: usize, long: usize) -> (Stream, usize) {
        let mut segments = Vec::new();
        for i in 0..units {
            let record = format!("{{\"編號\": {i}, \"日期\": \"2019-07-01\", \"PM10\": \"35.5 ug/m3\"}}\n");
            segments.push(Segment::Bytes(record.into_bytes()));
            segments.push(Segment::Bytes(format!("{{\"編號\": {}, \"備註\": \"", units + i).into_bytes()));
            segments.push(Segment::Filler(MIB));
            segments.push(Segment::Bytes(b"\"}\n{\"PM10\": \"".to_vec()));
            segments.push(Segment::Filler(long));
            segments.push(Segment::Bytes(b"\"}\n".to_vec()));
        }
        let len = segments
            .iter()
            .map(|s| match s {
                Segment::Bytes(b) => b.len(),
                Segment::Filler(n) => *n,
            })
            .sum();
        (Stream { segments, at: 0, offset: 0 }, len)
    }
}

impl Read for Stream {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        let Some(seg) = self.segments.get(self.at) else { return Ok(0) };
        let (n, left) = match seg {
            Segment::Bytes(b) => {
                let n = out.len().min(b.len() - self.offset);
                out[..n].copy_from_slice(&b[self.offset..self.offset + n]);
                (n, b.len() - self.offset - n)
            }
            Segment::Filler(len) => {
                let n = out.len().min(len - self.offset);
                out[..n].fill(b'x');
                (n, len - self.offset - n)
            }
        };
        self.offset += n;
        if left == 0 {
            self.at += 1;
            self.offset = 0;
        }
        Ok(n)
    }
}

#[test]
fn a_gigabyte_of_ndjson_with_100_mb_lines_is_read_in_bounded_memory() {
    let file: Arc<str> = Arc::from("policy.writ");
    let (module, errors) = writ::syntax::parse(&file, POLICY);
    assert!(errors.is_empty(), "{errors:?}");
    let (model, diags) = writ::model::check(&[(file, &module)], false);
    assert!(diags.iter().all(|d| !d.is_error()), "{diags:?}");
    let schema = Schema::of(&model);

    // Ten units of a record, a 1 MiB record and a line of 102.4 MiB: just over 1 GiB.
    let (stream, len) = Stream::new(10, 1024 * MIB / 10);
    assert!(len > 1024 * MIB, "{len}");
    let start = Instant::now();
    let before = IN_USE.load(Relaxed);
    PEAK.store(before, Relaxed);
    let path: Arc<str> = Arc::from("讀數.ndjson");
    let mut input = std::io::BufReader::with_capacity(MIB, stream);
    let ff = facts::parse_stream(&schema, &path, &mut input);
    let peak = PEAK.load(Relaxed) - before;
    eprintln!(
        "[memory] read {} MiB in {:.2?}; peak heap {:.1} MiB",
        len / MIB,
        start.elapsed(),
        peak as f64 / MIB as f64
    );

    // Every line is accounted for: the records and the 1 MiB records are read, the long
    // lines rejected, each with its line number.
    assert_eq!(ff.rows.len(), 20);
    assert_eq!(ff.rejected.len(), 10);
    assert_eq!(ff.rejected.iter().map(|r| r.line).collect::<Vec<_>>(), (1..=10).map(|u| u * 3).collect::<Vec<_>>());
    let codes: Vec<_> = ff.diagnostics.iter().map(|d| d.code).collect();
    assert_eq!(codes.iter().filter(|c| **c == "line-too-long").count(), 10, "{codes:?}");
    assert_eq!(codes.iter().filter(|c| **c == "unknown-field").count(), 1, "reported once per file: {codes:?}");
    // The line buffer stops at 8 MiB and the read buffer is 1 MiB: the rest is the rows.
    assert!(peak < 20 * MIB, "peak heap while reading {} MiB: {} bytes", len / MIB, peak);
}
