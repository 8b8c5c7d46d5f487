# The four rules of benches/peers/policy/peers.writ in Rego v1, for regorus. `result` gathers
# what the Rust side turns into a summary: per rule, the subjects in scope and those that breach.
package peers

# 1. 三(二)11: kilns without an industry standard, 不高於 30 / 200 / 300 mg/m3.
limits := {"顆粒物": 30, "二氧化硫": 200, "氮氧化物": 300}

kilns_in_scope := count([k | some k in input["工業爐窯"]; not k["有行業標準"]])

kiln_breaches[p] contains k["編號"] if {
	some k in input["工業爐窯"]
	not k["有行業標準"]
	some p, limit in limits
	k[p] > limit
}

# 2. 三(五)27: each reading below 250 μg/m3; per site, the readings at or above it.
pm10_breaches contains r["編號"] if {
	some r in input["工地揚塵監測"]
	r["PM10小時均值"] >= 250
}

pm10_high_by_site[r["工地"]] contains r["編號"] if {
	some r in input["工地揚塵監測"]
	r["PM10小時均值"] >= 250
}

site_counts := {s: count(ids) | some s, ids in pm10_high_by_site}

# 3. 三(六)31: staggered production, 限產比例 by class and distance.
industries := {"建材", "焦化", "鑄造", "有色", "化工"}

required := {"限制類": {"near": 50, "far": 40}, "鼓勵類": {"near": 30, "far": 20}}

exempt(e) if {
	e["綠色工廠"]
	e["完成治理"]
}

exempt(e) if {
	e["超低排放"]
	e["清潔運輸"]
}

distance(e) := "near" if {
	e["位於建成區"]
} else := "near" if {
	e["距建成區"] <= 10
} else := "far"

staggered_in_scope contains e["名稱"] if {
	some e in input["企業"]
	industries[e["行業"]]
	e["產業政策"] != "允許類"
	not exempt(e)
}

staggered_breaches contains e["名稱"] if {
	some e in input["企業"]
	industries[e["行業"]]
	e["產業政策"] != "允許類"
	not exempt(e)
	e["限產比例"] < required[e["產業政策"]][distance(e)]
}

# 4. 三(三)13: per month of 2019, the share of sellers sampled at least once that month >= 10%.
months := [
	"2019-01", "2019-02", "2019-03", "2019-04", "2019-05", "2019-06",
	"2019-07", "2019-08", "2019-09", "2019-10", "2019-11", "2019-12",
]

sellers := {c["名稱"] | some c in input["散煤銷售企業"]}

sampled_in[month] contains x["銷售企業"] if {
	some x in input["煤質抽檢"]
	sellers[x["銷售企業"]]
	month := substring(x["日期"], 0, 7)
}

coal_breaches contains m if {
	some m in months
	count(object.get(sampled_in, m, set())) * 10 < count(sellers)
}

result := {
	"kilns_in_scope": kilns_in_scope,
	"kiln_breaches": kiln_breaches,
	"readings": count(input["工地揚塵監測"]),
	"pm10_breaches": pm10_breaches,
	"sites": count(input["建筑工地"]),
	"site_counts": site_counts,
	"staggered_in_scope": count(staggered_in_scope),
	"staggered_breaches": staggered_breaches,
	"months": count(months),
	"coal_breaches": coal_breaches,
}
