//! The four rules as a plain Rust program: typed serde structs, then loops. This is the floor
//! writ and regorus are measured against. Values are `f64`: the generator writes at most one
//! decimal and every limit is a whole number, so the comparisons are exact here.

use crate::summary::{self, Summary};
use serde::Deserialize;
use std::collections::{HashMap, HashSet};

#[derive(Deserialize)]
pub struct Facts {
    #[serde(rename = "企業")]
    enterprises: Vec<Enterprise>,
    #[serde(rename = "工業爐窯")]
    kilns: Vec<Kiln>,
    #[serde(rename = "建筑工地")]
    sites: Vec<Named>,
    #[serde(rename = "工地揚塵監測")]
    readings: Vec<Reading>,
    #[serde(rename = "散煤銷售企業")]
    sellers: Vec<Named>,
    #[serde(rename = "煤質抽檢")]
    samplings: Vec<Sampling>,
}

#[derive(Deserialize)]
struct Enterprise {
    #[serde(rename = "名稱")]
    name: String,
    #[serde(rename = "行業")]
    industry: String,
    #[serde(rename = "產業政策")]
    class: String,
    #[serde(rename = "位於建成區")]
    built_up: bool,
    #[serde(rename = "距建成區")]
    km: f64,
    #[serde(rename = "限產比例")]
    ratio: f64,
    #[serde(rename = "綠色工廠")]
    green: bool,
    #[serde(rename = "完成治理")]
    treated: bool,
    #[serde(rename = "超低排放")]
    ultra_low: bool,
    #[serde(rename = "清潔運輸")]
    clean_transport: bool,
}

#[derive(Deserialize)]
struct Kiln {
    #[serde(rename = "編號")]
    id: String,
    #[serde(rename = "有行業標準")]
    has_standard: bool,
    #[serde(rename = "顆粒物")]
    dust: f64,
    #[serde(rename = "二氧化硫")]
    so2: f64,
    #[serde(rename = "氮氧化物")]
    nox: f64,
}

#[derive(Deserialize)]
struct Named {
    #[serde(rename = "名稱")]
    name: String,
}

#[derive(Deserialize)]
struct Reading {
    #[serde(rename = "編號")]
    id: u64,
    #[serde(rename = "工地")]
    site: String,
    #[serde(rename = "PM10小時均值")]
    pm10: f64,
}

#[derive(Deserialize)]
struct Sampling {
    #[serde(rename = "銷售企業")]
    seller: String,
    #[serde(rename = "日期")]
    date: String,
}

pub fn load(text: &str) -> Facts {
    serde_json::from_str(text).expect("facts.json")
}

pub fn evaluate(f: &Facts) -> Summary {
    let mut s = summary::empty();

    // 1. kiln limits, kilns without an industry standard.
    for k in f.kilns.iter().filter(|k| !k.has_standard) {
        for (rule, value, limit) in
            [(summary::KILN_DUST, k.dust, 30.0), (summary::KILN_SO2, k.so2, 200.0), (summary::KILN_NOX, k.nox, 300.0)]
        {
            let r = s.get_mut(rule).unwrap();
            r.verdicts += 1;
            if value > limit {
                r.breaches.push(k.id.clone());
            }
        }
    }

    // 2. PM10 per reading, and per site the readings at or above 250 μg/m3.
    let mut per_site: HashMap<&str, usize> = HashMap::with_capacity(f.sites.len());
    let r = s.get_mut(summary::PM10_READING).unwrap();
    for reading in &f.readings {
        r.verdicts += 1;
        if reading.pm10 >= 250.0 {
            r.breaches.push(reading.id.to_string());
            *per_site.entry(reading.site.as_str()).or_default() += 1;
        }
    }
    let r = s.get_mut(summary::PM10_SITE).unwrap();
    for site in &f.sites {
        r.verdicts += 1;
        if let Some(n) = per_site.get(site.name.as_str()) {
            r.breaches.push(format!("{}={n}", site.name));
        }
    }

    // 3. staggered production.
    let r = s.get_mut(summary::STAGGERED).unwrap();
    for e in &f.enterprises {
        let industry = matches!(e.industry.as_str(), "建材" | "焦化" | "鑄造" | "有色" | "化工");
        let exempt = (e.green && e.treated) || (e.ultra_low && e.clean_transport);
        if !industry || e.class == "允許類" || exempt {
            continue;
        }
        let near = e.built_up || e.km <= 10.0;
        let required = match (e.class.as_str(), near) {
            ("限制類", true) => 50.0,
            ("限制類", false) => 40.0,
            ("鼓勵類", true) => 30.0,
            ("鼓勵類", false) => 20.0,
            (other, _) => panic!("class {other}"),
        };
        r.verdicts += 1;
        if e.ratio < required {
            r.breaches.push(e.name.clone());
        }
    }

    // 4. per month of 2019, the share of sellers sampled at least once that month.
    let mut sampled: [HashSet<&str>; 12] = Default::default();
    for x in &f.samplings {
        if let Some(month) = x.date.strip_prefix("2019-").and_then(|d| d[..2].parse::<usize>().ok()) {
            sampled[month - 1].insert(x.seller.as_str());
        }
    }
    let r = s.get_mut(summary::COAL_MONTH).unwrap();
    for (m, sellers) in sampled.iter().enumerate() {
        r.verdicts += 1;
        // share >= 10%, kept in whole numbers
        if sellers.len() * 10 < f.sellers.len() {
            r.breaches.push(format!("2019-{:02}", m + 1));
        }
    }
    summary::finish(s)
}
