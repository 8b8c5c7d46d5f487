//! The four rules in Rego (`peers.rego`), evaluated by regorus over the same `facts.json`.

use crate::summary::{self, Summary};
use serde_json::Value;

pub const POLICY: &str = include_str!("peers.rego");

/// Loads the policy and the facts as the input document, evaluates `data.peers.result`, and
/// returns it as JSON.
pub fn evaluate(facts_json: &str) -> Value {
    let mut engine = regorus::Engine::new();
    engine.add_policy("peers.rego".into(), POLICY.into()).expect("peers.rego");
    engine.set_input_json(facts_json).expect("facts.json as input");
    let result = engine.eval_rule("data.peers.result".into()).expect("data.peers.result");
    serde_json::from_str(&result.to_json_str().expect("result as JSON")).expect("result JSON")
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .expect("a set")
        .iter()
        .map(|x| match x {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        })
        .collect()
}

pub fn to_summary(v: &Value) -> Summary {
    let mut s = summary::empty();
    let count = |k: &str| v[k].as_u64().unwrap_or_else(|| panic!("{k}: {}", v[k])) as usize;
    for (rule, p) in [(summary::KILN_DUST, "顆粒物"), (summary::KILN_SO2, "二氧化硫"), (summary::KILN_NOX, "氮氧化物")]
    {
        let r = s.get_mut(rule).unwrap();
        r.verdicts = count("kilns_in_scope");
        if let Some(ids) = v["kiln_breaches"].get(p) {
            r.breaches = strings(ids);
        }
    }
    let r = s.get_mut(summary::PM10_READING).unwrap();
    r.verdicts = count("readings");
    r.breaches = strings(&v["pm10_breaches"]);
    let r = s.get_mut(summary::PM10_SITE).unwrap();
    r.verdicts = count("sites");
    r.breaches =
        v["site_counts"].as_object().expect("site_counts").iter().map(|(site, n)| format!("{site}={n}")).collect();
    let r = s.get_mut(summary::STAGGERED).unwrap();
    r.verdicts = count("staggered_in_scope");
    r.breaches = strings(&v["staggered_breaches"]);
    let r = s.get_mut(summary::COAL_MONTH).unwrap();
    r.verdicts = count("months");
    r.breaches = strings(&v["coal_breaches"]);
    summary::finish(s)
}
