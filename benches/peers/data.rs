//! The synthetic facts of the peer benchmark: one JSON file, `facts.json`, holding every record
//! kind the four rules read, written deterministically from a fixed seed.
//!
//! Every field of every record is written, so writ has no missing fact to call `unknown`, and
//! values sit on the rules' boundaries (exactly 30 mg/m3, exactly 250 μg/m3, exactly 10 km,
//! exactly 10% of the sellers in a month) so that the three programs are held to the same
//! inclusive and exclusive comparisons.

use chrono::{Days, NaiveDate};
use std::fmt::Write as _;
use std::io::{self, Write};
use std::path::Path;

/// A size of the benchmark: N enterprises (2N kilns, N sites, N/2 coal sellers) and M readings.
#[derive(Clone, Copy, Debug)]
pub struct Size {
    pub name: &'static str,
    pub enterprises: usize,
    pub readings: usize,
}

pub const SIZES: [Size; 4] = [
    Size { name: "small", enterprises: 1_000, readings: 100_000 },
    Size { name: "medium", enterprises: 10_000, readings: 1_000_000 },
    Size { name: "large", enterprises: 50_000, readings: 5_000_000 },
    Size { name: "huge", enterprises: 50_000, readings: 50_000_000 },
];

pub fn size(name: &str) -> Option<Size> {
    SIZES.iter().copied().find(|s| s.name == name)
}

/// Industries and classes as the policy's enums spell them.
pub const INDUSTRIES: [&str; 6] = ["建材", "焦化", "鑄造", "有色", "化工", "其他"];
pub const CLASSES: [&str; 3] = ["限制類", "鼓勵類", "允許類"];

/// Per month, the share of sellers sampled, in percent: three months fall short of 10%, two
/// sit on it exactly.
const MONTHLY_SHARE: [usize; 12] = [12, 8, 10, 15, 9, 11, 10, 20, 14, 7, 13, 16];

/// xorshift64: small, deterministic, good enough to spread values.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

fn comma(i: usize, n: usize) -> &'static str {
    if i + 1 < n { "," } else { "" }
}

/// Writes `dir/facts.json` for `size`.
pub fn generate(size: Size, dir: &Path) -> io::Result<()> {
    generate_with(size, dir, None)
}

/// Writes `dir/facts.json` for `size`; with `part_rows`, the readings are not in it but in
/// `dir/工地揚塵監測/part-NNNN.ndjson`, `part_rows` to a file, one record a line. The records
/// are the same either way, in the same order.
pub fn generate_with(size: Size, dir: &Path, part_rows: Option<usize>) -> io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let file = std::fs::File::create(dir.join("facts.json"))?;
    let mut out = io::BufWriter::with_capacity(1 << 20, file);
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let n = size.enterprises;
    let mut line = String::with_capacity(512);

    out.write_all("{\n\"企業\": [\n".as_bytes())?;
    for i in 0..n {
        line.clear();
        let industry = INDUSTRIES[rng.below(6) as usize];
        let class = CLASSES[rng.below(3) as usize];
        let built_up = rng.chance(25);
        // Whole and half kilometres from 0 to 24.5, 10 km itself among them.
        let km = rng.below(25);
        let half = if rng.chance(50) { ".5" } else { "" };
        let ratio = 15 + 5 * rng.below(9); // 15% .. 55%
        let (green, done, ultra, clean) = (rng.chance(40), rng.chance(40), rng.chance(40), rng.chance(40));
        writeln!(
            line,
            "{{\"名稱\": \"E{i:06}\", \"行業\": \"{industry}\", \"產業政策\": \"{class}\", \"位於建成區\": {built_up}, \
             \"距建成區\": {km}{half}, \"限產比例\": {ratio}, \"綠色工廠\": {green}, \"完成治理\": {done}, \
             \"超低排放\": {ultra}, \"清潔運輸\": {clean}}}{}",
            comma(i, n)
        )
        .unwrap();
        out.write_all(line.as_bytes())?;
    }

    out.write_all("],\n\"工業爐窯\": [\n".as_bytes())?;
    let kilns = 2 * n;
    for k in 0..kilns {
        line.clear();
        let standard = rng.chance(20);
        let dust = 20 + rng.below(12); // 20.0 .. 31.9, 30.0 passes
        let dust_t = rng.below(10);
        let so2 = 170 + rng.below(35); // 170.0 .. 204.9, 200.0 passes
        let so2_t = rng.below(10);
        let nox = 270 + rng.below(35); // 270.0 .. 304.9, 300.0 passes
        let nox_t = rng.below(10);
        writeln!(
            line,
            "{{\"編號\": \"K{k:07}\", \"企業\": \"E{:06}\", \"有行業標準\": {standard}, \"顆粒物\": {dust}.{dust_t}, \
             \"二氧化硫\": {so2}.{so2_t}, \"氮氧化物\": {nox}.{nox_t}}}{}",
            k / 2,
            comma(k, kilns)
        )
        .unwrap();
        out.write_all(line.as_bytes())?;
    }

    let sites = n;
    out.write_all("],\n\"建筑工地\": [\n".as_bytes())?;
    for s in 0..sites {
        writeln!(out, "{{\"名稱\": \"W{s:06}\"}}{}", comma(s, sites))?;
    }

    let readings_dir = dir.join("工地揚塵監測");
    let mut part: Option<io::BufWriter<std::fs::File>> = None;
    match part_rows {
        None => out.write_all("],\n\"工地揚塵監測\": [\n".as_bytes())?,
        Some(_) => std::fs::create_dir_all(&readings_dir)?,
    }
    let jan1 = NaiveDate::from_ymd_opt(2019, 1, 1).unwrap();
    let m = size.readings;
    for r in 0..m {
        line.clear();
        let site = r % sites;
        // A site's readings spread over the year, several a day.
        let day = ((r / sites) * 7 + site) % 365;
        let date = jan1.checked_add_days(Days::new(day as u64)).unwrap();
        // Two sites in three never reach 250 (40.0 .. 249.9 μg/m3); the third reaches 269.9.
        let pm10 = 40 + rng.below(if site.is_multiple_of(3) { 230 } else { 210 });
        let tenths = rng.below(10);
        write!(
            line,
            "{{\"編號\": {r}, \"工地\": \"W{site:06}\", \"日期\": \"{date}\", \"PM10小時均值\": {pm10}.{tenths}}}"
        )
        .unwrap();
        match part_rows {
            None => writeln!(line, "{}", comma(r, m)).unwrap(),
            Some(rows) => {
                line.push('\n');
                if r % rows == 0 {
                    if let Some(mut done) = part.take() {
                        done.flush()?;
                    }
                    let file = std::fs::File::create(readings_dir.join(format!("part-{:04}.ndjson", r / rows)))?;
                    part = Some(io::BufWriter::with_capacity(1 << 20, file));
                }
            }
        }
        match part.as_mut() {
            Some(part) => part.write_all(line.as_bytes())?,
            None => out.write_all(line.as_bytes())?,
        }
    }
    if let Some(mut done) = part.take() {
        done.flush()?;
    }

    let sellers = n / 2;
    out.write_all("],\n\"散煤銷售企業\": [\n".as_bytes())?;
    for c in 0..sellers {
        writeln!(out, "{{\"名稱\": \"C{c:06}\"}}{}", comma(c, sellers))?;
    }

    // Exactly MONTHLY_SHARE[month]% of the sellers are sampled in each month, one to three times.
    let mut samplings = Vec::new();
    for (month, share) in MONTHLY_SHARE.iter().enumerate() {
        let chosen = sellers * share / 100;
        let start = rng.below(sellers as u64) as usize;
        for j in 0..chosen {
            let seller = (start + j * 7) % sellers; // distinct while 7 and `sellers` are coprime
            for _ in 0..=rng.below(3) {
                let day = 1 + rng.below(28);
                samplings.push((seller, format!("2019-{:02}-{day:02}", month + 1)));
            }
        }
    }
    out.write_all("],\n\"煤質抽檢\": [\n".as_bytes())?;
    for (i, (seller, date)) in samplings.iter().enumerate() {
        writeln!(
            out,
            "{{\"編號\": \"S{i:07}\", \"銷售企業\": \"C{seller:06}\", \"日期\": \"{date}\"}}{}",
            comma(i, samplings.len())
        )?;
    }
    out.write_all(b"]\n}\n")?;
    out.flush()
}
