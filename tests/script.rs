//! Simplified and Traditional Chinese meet: a Simplified policy (`policies/chaozhou-2019`) over
//! Traditional facts (`examples/chaozhou-2019`), and the Traditional Yangquan policy over
//! Simplified facts (`tests/fixtures/script/yangquan-simplified`). Names of record kinds,
//! fields, enum values, parties and units are read in either script, each with one warning per
//! name and file; keys are matched exactly.

use std::path::{Path, PathBuf};
use writ::cli::{self, Style};
use writ::report::JsonDiagnostic;
use writ::status::Status;

const STYLE: Style = Style { color: false, width: 80, progress: false };

fn in_crate() {
    std::env::set_current_dir(Path::new(env!("CARGO_MANIFEST_DIR"))).unwrap();
}

/// The status of the verdict with id `id`.
fn status(e: &cli::Evaluated, id: &str) -> Status {
    let report = e.report();
    let v = report.verdicts.iter().find(|v| v.id == id).unwrap_or_else(|| panic!("no verdict `{id}`"));
    v.status
}

/// The `fact-script-variant` warnings, as (file name, message).
fn script_warnings(diags: &[JsonDiagnostic]) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = diags
        .iter()
        .filter(|d| d.code == "fact-script-variant")
        .map(|d| {
            let file = Path::new(&d.file).file_name().unwrap().to_string_lossy().into_owned();
            (file, d.message.clone())
        })
        .collect();
    out.sort();
    out
}

#[test]
fn the_simplified_package_checks_cleanly() {
    in_crate();
    let loaded = cli::load_package(Path::new("policies/chaozhou-2019")).unwrap_or_else(|_| panic!("the package loads"));
    let checked = writ::db::package_model(&loaded.db, loaded.package);
    assert!(checked.diagnostics.is_empty(), "{:?}", checked.diagnostics);
    let out = cli::test(Path::new("policies/chaozhou-2019"), STYLE);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("7 passed, 0 failed"), "{}", out.stdout);
}

/// Every cite quotes the excerpt of the plan kept with the package, word for word.
#[test]
fn the_simplified_package_quotes_its_plan_verbatim() {
    in_crate();
    let plan =
        std::fs::read_to_string("policies/chaozhou-2019/plan.txt").expect("the plan's text is kept with the policy");
    let loaded = cli::load_package(Path::new("policies/chaozhou-2019")).unwrap_or_else(|_| panic!("the package loads"));
    let m = &writ::db::package_model(&loaded.db, loaded.package).model;
    assert_eq!(m.clauses.len(), 4);
    let cites = m.clauses.iter().map(|c| (&c.name, c.cite.as_ref().and_then(|ci| ci.text.clone()).unwrap_or_default()));
    let untestable = m.untestable.iter().map(|u| (&u.number, u.text.clone()));
    for (who, text) in cites.chain(untestable) {
        assert!(!text.is_empty(), "{who} quotes nothing");
        assert!(plan.contains(&text), "{who}: `{text}` is not in the plan");
    }
    assert_eq!(m.untestable.len(), 2);
}

/// The Simplified policy over Traditional facts: every record is read, the verdicts are those
/// the facts call for, and each name written in Traditional script is warned about once per
/// file, naming the declared spelling.
#[test]
fn simplified_policy_over_traditional_facts() {
    in_crate();
    let facts = vec![PathBuf::from("examples/chaozhou-2019")];
    let as_of = cli::parse_date("2021-01-15").unwrap();
    let e = cli::evaluate(Path::new("policies/chaozhou-2019"), &facts, as_of, STYLE)
        .unwrap_or_else(|o| panic!("{}", o.stderr));
    assert!(!e.invalid_facts, "{}", e.stderr);
    assert_eq!(e.rejected, 0, "{}", e.stderr);
    assert!(e.diagnostics.iter().all(|d| d.code == "fact-script-variant"), "{}", e.stderr);

    for (id, expected) in [
        ("燃煤锅炉准入/GL-01/建成区", Status::Missed),
        ("燃煤锅炉准入/GL-02/建成区", Status::Met),
        ("燃煤锅炉准入/GL-03/其他区域", Status::Violated),
        ("燃煤锅炉准入/GL-05/其他区域", Status::Satisfied),
        ("散乱污整治/示例陶瓷廠甲/1", Status::Fulfilled),
        ("散乱污整治/示例陶瓷廠乙/1", Status::FulfilledLate),
        ("散乱污整治/示例五金作坊丙/1", Status::Overdue),
        ("细颗粒物年均浓度/2020/1", Status::Fulfilled),
        ("优良天数比例/2020/1", Status::Fulfilled),
    ] {
        assert_eq!(status(&e, id), expected, "{id}");
    }
    // The gas boiler, `燃氣` in the facts, is read as the declared `燃气` and is out of scope.
    let report = e.report();
    let gl04: Vec<Status> =
        report.verdicts.iter().filter(|v| v.id.starts_with("燃煤锅炉准入/GL-04")).map(|v| v.status).collect();
    assert!(!gl04.is_empty() && gl04.iter().all(|s| *s == Status::NotApplicable), "{gl04:?}");

    let json = "boilers-air.json".to_string();
    let csv = "散亂污企業.csv".to_string();
    let w = |file: &String, m: &str| (file.clone(), m.to_string());
    let t = "written in Traditional script, declared in Simplified";
    let mut expected = vec![
        w(&json, &format!("the record kind `鍋爐` is read as `锅炉`, {t}")),
        w(&json, &format!("the record kind `空氣質量年報` is read as `空气质量年报`, {t}")),
        w(&json, &format!("the field `編號` is read as `编号`, {t}")),
        w(&json, &format!("the field `所在縣區` is read as `所在县区`, {t}")),
        w(&json, &format!("the field `位於城市建成區` is read as `位于城市建成区`, {t}")),
        w(&json, &format!("the field `細顆粒物` is read as `细颗粒物`, {t}")),
        w(&json, &format!("the field `優良天數比例` is read as `优良天数比例`, {t}")),
        w(&json, &format!("the value `燃氣` is read as `燃气`, {t}")),
        w(&json, &format!("the party `湘橋區人民政府` is read as `湘桥区人民政府`, {t}")),
        w(&json, &format!("the party `饒平縣人民政府` is read as `饶平县人民政府`, {t}")),
        w(&json, &format!("the party `潮安區人民政府` is read as `潮安区人民政府`, {t}")),
        w(&csv, &format!("the record kind `散亂污企業` is read as `散乱污企业`, {t}")),
        w(&csv, &format!("the field `名稱` is read as `名称`, {t}")),
        w(&csv, &format!("the field `所在縣區` is read as `所在县区`, {t}")),
        w(&csv, &format!("the party `潮安區人民政府` is read as `潮安区人民政府`, {t}")),
        w(&csv, &format!("the party `饒平縣人民政府` is read as `饶平县人民政府`, {t}")),
        w(&csv, &format!("the party `湘橋區人民政府` is read as `湘桥区人民政府`, {t}")),
    ];
    expected.sort();
    assert_eq!(script_warnings(&e.diagnostics), expected);
}

/// The Traditional Yangquan policy over Simplified facts: the kinds (by JSON member and by CSV
/// file name), fields, enum values and units are read, and the boilers give the verdicts the
/// policy's own test expects of the same facts in Traditional script. Keys stay exact: the
/// enterprise keyed `阳泉市水泵厂` is not the `陽泉市水泵廠` the clause names.
#[test]
fn traditional_policy_over_simplified_facts() {
    in_crate();
    let facts = vec![PathBuf::from("tests/fixtures/script/yangquan-simplified")];
    let as_of = cli::parse_date("2019-10-15").unwrap();
    let e = cli::evaluate(Path::new("policies/yangquan-2019"), &facts, as_of, STYLE)
        .unwrap_or_else(|o| panic!("{}", o.stderr));
    assert!(!e.invalid_facts, "{}", e.stderr);
    assert_eq!(e.rejected, 0, "{}", e.stderr);

    // As in the test `鍋爐深度治理: 10月1日前 includes 1 October; 2 October is late`.
    for (id, expected) in [
        ("鍋爐深度治理/B1/超低排放", Status::Fulfilled),
        ("鍋爐深度治理/B2/超低排放", Status::FulfilledLate),
        ("鍋爐深度治理/G1/低氮改造", Status::Fulfilled),
        ("鍋爐深度治理/G2/低氮改造", Status::Overdue),
        // Keyed as the clause names it, in the policy's script: found.
        ("搬遷改造/陽泉市閥門有限責任公司/1", Status::Fulfilled),
        // Keyed in the other script: keys are not folded, so the named subject is missing.
        ("搬遷改造/陽泉市水泵廠/1", Status::Unknown),
    ] {
        assert_eq!(status(&e, id), expected, "{id}");
    }

    let warnings = script_warnings(&e.diagnostics);
    let s = "written in Simplified script, declared in Traditional";
    let json = "boilers-enterprises.json".to_string();
    for (file, m) in [
        (&json, format!("the record kind `锅炉` is read as `鍋爐`, {s}")),
        (&json, format!("the record kind `锅炉整治` is read as `鍋爐整治`, {s}")),
        (&json, format!("the record kind `企业` is read as `企業`, {s}")),
        (&json, format!("the field `编号` is read as `編號`, {s}")),
        (&json, format!("the field `位于建成区` is read as `位於建成區`, {s}")),
        (&json, format!("the field `蒸吨` is read as `蒸噸`, {s}")),
        (&json, format!("the value `燃气` is read as `燃氣`, {s}")),
        (&json, format!("the value `低氮燃烧改造` is read as `低氮燃燒改造`, {s}")),
        (&"县区.csv".to_string(), format!("the record kind `县区` is read as `縣區`, {s}")),
    ] {
        assert!(warnings.contains(&(file.clone(), m.clone())), "missing `{m}` in {warnings:#?}");
    }
    // Once per name and file: `编号` is written in two kinds' records, `燃气` in two records.
    let count = |m: &str| warnings.iter().filter(|(_, w)| w.starts_with(m)).count();
    assert_eq!(count("the field `编号`"), 1);
    assert_eq!(count("the value `燃气`"), 1);
    // Values written without a name in the other script (`燃煤`, `超低排放改造`) and unit names
    // (`65 蒸吨`) give no warning.
    assert_eq!(count("the value `燃煤`"), 0);
    assert!(!warnings.iter().any(|(_, w)| w.contains("unit")), "{warnings:#?}");

    // The key written in the other script than the clause names it is pointed out.
    let key = e
        .diagnostics
        .iter()
        .find(|d| d.code == "confusable-key" && d.message.contains("阳泉市水泵厂"))
        .unwrap_or_else(|| panic!("no confusable-key warning for 阳泉市水泵厂:\n{}", e.stderr));
    assert!(key.message.contains("`陽泉市水泵廠`, which clause `搬遷改造` names"), "{}", key.message);
    assert!(key.message.contains("the other Chinese script"), "{}", key.message);
}

/// A policy that refers to a declaration in the other script is refused, with the declared
/// spelling as the fix; two declarations of one name in the two scripts are refused too.
#[test]
fn policy_names_in_the_other_script_are_errors() {
    in_crate();
    let path = Path::new("tests/fixtures/check/err/script-variant.writ");
    let loaded = cli::load_package(path).unwrap();
    let checked = writ::db::package_model(&loaded.db, loaded.package);
    // A party, a record kind, an enum value, a rule, a field, a party in a test fact; the
    // quantities in `蒸吨` are read as `蒸噸` without a diagnostic.
    let found: Vec<(&str, &str)> = checked.diagnostics.iter().map(|d| (d.code, d.message.as_str())).collect();
    let s = "(written in Simplified script, declared in Traditional)";
    let expected: Vec<String> = [
        ("市生态环境局", "市生態環境局"),
        ("工业炉窑", "工業爐窯"),
        ("燃气", "燃氣"),
        ("大锅炉", "大鍋爐"),
        ("颗粒物", "顆粒物"),
        ("市生态环境局", "市生態環境局"),
    ]
    .iter()
    .map(|(w, d)| format!("written `{w}`, declared `{d}` {s}"))
    .collect();
    assert_eq!(found, expected.iter().map(|m| ("script-variant", m.as_str())).collect::<Vec<_>>());
    assert_eq!(
        checked.diagnostics[1].help.as_deref(),
        Some(
            "write `工業爐窯`, as declared: names in a policy match exactly, so that a package keeps to one script \
             (fact files may use either)"
        )
    );

    let path = Path::new("tests/fixtures/check/err/script-ambiguous-name.writ");
    let loaded = cli::load_package(path).unwrap();
    let checked = writ::db::package_model(&loaded.db, loaded.package);
    let found: Vec<(&str, &str)> = checked.diagnostics.iter().map(|d| (d.code, d.message.as_str())).collect();
    assert_eq!(
        found,
        [
            ("script-ambiguous-name", "the field `颗粒物` is the field `顆粒物` in the other Chinese script"),
            ("script-ambiguous-name", "the record `工业炉窑` is the record `工業爐窯` in the other Chinese script"),
        ]
    );
}

/// Did-you-mean compares names under the script fold: the same name in the other script is the
/// suggestion, and so is a near miss written in the other script.
#[test]
fn did_you_mean_folds_the_scripts() {
    let declared = ["工業爐窯", "燃煤鍋爐", "企業"];
    assert_eq!(writ::model::did_you_mean("工业炉窑", declared.into_iter()).as_deref(), Some("工業爐窯"));
    assert_eq!(writ::model::did_you_mean("工业炉窖", declared.into_iter()).as_deref(), Some("工業爐窯"));
    assert_eq!(writ::model::did_you_mean("燃煤锅炉", declared.into_iter()).as_deref(), Some("燃煤鍋爐"));
    assert_eq!(writ::model::did_you_mean("机动车", declared.into_iter()), None);
}
