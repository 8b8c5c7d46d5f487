//! The server without the protocol: a package in a temporary folder.

use super::*;
use crate::syntax::ast;

struct Folder(PathBuf);

impl Drop for Folder {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn folder_with(files: &[(&str, &str)]) -> Folder {
    let dir =
        std::env::temp_dir().join(format!("writ-lsp-unit-{}-{:?}", std::process::id(), std::thread::current().id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    for (name, text) in files {
        std::fs::write(dir.join(name), text).unwrap();
    }
    Folder(dir)
}

#[test]
fn uris_and_paths_round_trip() {
    let p = Path::new("/tmp/陽泉 2019/10-targets.writ");
    let u = protocol::uri(p).unwrap();
    assert_eq!(u.as_str(), "file:///tmp/%E9%99%BD%E6%B3%89%202019/10-targets.writ");
    assert_eq!(protocol::path(&u).unwrap(), p);
    let lower: lsp::Uri = "file:///tmp/%e9%99%bd.writ".parse().unwrap();
    assert_eq!(protocol::path(&lower).unwrap(), Path::new("/tmp/陽.writ"));
    let other: lsp::Uri = "untitled:Untitled-1".parse().unwrap();
    assert_eq!(protocol::path(&other), None);
}

const PLAN: &str = "plan p \"測試方案\" {\n  period 2019-01-01 .. 2019-12-31\n  roles lead \"牽頭\"\n}\n\
party 甲局 \"甲市生態環境局\"\nparty 乙局 \"甲市工業和信息化局\"\ngroup 各局 \"各局\" = [甲局, 乙局]\n\
unit 蒸噸 = 1 t/h\nenum 行業 \"行業\" { 鋼鐵, 焦化 }\nsanction 停產 \"停產整治\"\nperiod 採暖期 \"採暖期\" = 2019-01-01 .. 2019-03-15\n";

const RECORDS: &str = "record 企業 \"企業\" key 名稱 {\n  名稱: text\n  行業: 行業\n  規模: 蒸噸\n  完成日?: date\n}\n\
rule 大型(e: 企業) \"大型企業\" {\n  e.規模 >= 10 蒸噸\n}\n\
table 限產(類: 行業) \"限產比例\" {\n  (鋼鐵) => 50%\n  (_) => 30%\n}\n";

const CLAUSES: &str = "clause 治理 \"企業治理\" {\n  cite \"一\" \"完成治理\"\n  lead 各局\n  \
for e in 企業 where e.行業 == 焦化 {\n    let 大 = 大型(e)\n    must e.完成日 by 2019-09-30 given 大\n    otherwise 停產 on e\n  }\n}\n\
test \"焦化\" {\n  as_of 2019-10-01\n  fact 企業 { 名稱: \"A\", 行業: 焦化, 規模: 20 蒸噸, 完成日: 2019-09-01 }\n  expect 治理[\"A\"] fulfilled\n}\n";

fn package() -> (Folder, Server) {
    let dir = folder_with(&[("a.writ", PLAN), ("b.writ", RECORDS), ("c.writ", CLAUSES)]);
    let mut s = Server::new();
    let published = s.open(&dir.0.join("c.writ"), CLAUSES);
    assert_eq!(published.len(), 3, "every file of the folder: {published:?}");
    for (p, d) in &published {
        assert!(d.is_empty(), "{}: {d:?}", p.display());
    }
    (dir, s)
}

/// The position of the `nth` occurrence of `needle` in `text`, `into` characters in.
fn at(text: &str, needle: &str, nth: usize, into: usize) -> lsp::Position {
    let i = text.match_indices(needle).nth(nth).unwrap().0;
    let i = i + needle.chars().take(into).map(char::len_utf8).sum::<usize>();
    LineIndex::new(text).position(text, i)
}

fn span_of(text: &str, needle: &str, nth: usize) -> lsp::Range {
    let i = text.match_indices(needle).nth(nth).unwrap().0;
    LineIndex::new(text).range(text, Span::new(i, i + needle.len()))
}

/// Where a name at a place goes: (file name, the text its declaration covers).
fn definition(s: &mut Server, dir: &Path, file: &str, text: &str, needle: &str, nth: usize) -> (String, lsp::Range) {
    let (path, range) = s.definition(&dir.join(file), at(text, needle, nth, 0)).unwrap_or_else(|| panic!("{needle}"));
    (path.file_name().unwrap().to_string_lossy().into_owned(), range)
}

#[test]
fn every_kind_of_name_goes_to_its_declaration() {
    let (dir, mut s) = package();
    let d = &dir.0;
    let cases: &[(&str, &str, &str, usize, &str, &str, usize)] = &[
        // (file, its text, the name as used, which occurrence, the declaring file, its text, which occurrence there)
        ("c.writ", CLAUSES, "各局", 0, "a.writ", PLAN, 0),
        ("c.writ", CLAUSES, "lead", 0, "a.writ", PLAN, 0),
        ("c.writ", CLAUSES, "企業 where", 0, "b.writ", RECORDS, 0),
        ("c.writ", CLAUSES, "行業 == 焦化", 0, "b.writ", RECORDS, 0),
        ("c.writ", CLAUSES, "焦化", 0, "a.writ", PLAN, 0),
        ("c.writ", CLAUSES, "大型", 0, "b.writ", RECORDS, 0),
        ("c.writ", CLAUSES, "停產", 0, "a.writ", PLAN, 0),
        ("c.writ", CLAUSES, "完成日", 0, "b.writ", RECORDS, 0),
        ("c.writ", CLAUSES, "治理[", 0, "c.writ", CLAUSES, 0),
        ("c.writ", CLAUSES, "規模", 0, "b.writ", RECORDS, 0),
        ("b.writ", RECORDS, "行業\n", 0, "a.writ", PLAN, 0),
        ("b.writ", RECORDS, "蒸噸\n", 0, "a.writ", PLAN, 0),
        ("b.writ", RECORDS, "名稱 {", 0, "b.writ", RECORDS, 1),
        ("b.writ", RECORDS, "鋼鐵", 0, "a.writ", PLAN, 0),
        ("a.writ", PLAN, "甲局, ", 0, "a.writ", PLAN, 0),
    ];
    for &(file, text, used, nth, decl_file, decl_text, decl_nth) in cases {
        let name = used.split([' ', '[', '\n', ',']).next().unwrap();
        let (f, range) = definition(&mut s, d, file, text, used, nth);
        // The declaration: the `decl_nth` occurrence of the name in its file (as a whole word).
        let expected = span_of(decl_text, name, decl_nth);
        assert_eq!((f.as_str(), range), (decl_file, expected), "{used}");
    }
    // Locals: a `for` variable, a `let`, a rule's parameter.
    let (f, range) = definition(&mut s, d, "c.writ", CLAUSES, "e.完成日", 0);
    assert_eq!((f.as_str(), range), ("c.writ", span_of(CLAUSES, "e in", 0).tap(|r| r.end.character -= 3)));
    let (_, range) = definition(&mut s, d, "c.writ", CLAUSES, "大\n", 0);
    assert_eq!(range, span_of(CLAUSES, "大 =", 0).tap(|r| r.end.character -= 2));
    let (_, range) = definition(&mut s, d, "b.writ", RECORDS, "e.規模", 0);
    assert_eq!(range, span_of(RECORDS, "e: 企業", 0).tap(|r| r.end.character -= 4));
}

trait Tap: Sized {
    fn tap(mut self, f: impl FnOnce(&mut Self)) -> Self {
        f(&mut self);
        self
    }
}
impl Tap for lsp::Range {}

#[test]
fn references_cross_files_and_skip_other_names() {
    let (dir, mut s) = package();
    let refs = s.references(&dir.0.join("a.writ"), at(PLAN, "焦化", 0, 0), true);
    let files: Vec<(String, lsp::Range)> =
        refs.iter().map(|(p, r)| (p.file_name().unwrap().to_string_lossy().into_owned(), *r)).collect();
    assert_eq!(
        files,
        [
            ("a.writ".into(), span_of(PLAN, "焦化", 0)),
            ("c.writ".into(), span_of(CLAUSES, "焦化", 0)),
            // (not the test's name, a string)
            ("c.writ".into(), span_of(CLAUSES, "焦化", 2)),
        ]
    );
    // Without the declaration; a field used bare in a test fact and through a variable.
    let refs = s.references(&dir.0.join("b.writ"), at(RECORDS, "完成日", 0, 0), false);
    assert_eq!(refs.len(), 2, "{refs:?}");
    assert!(refs.iter().all(|(p, _)| p.ends_with("c.writ")));
    // The `行業` field and the `行業` enum are different names.
    let field = s.references(&dir.0.join("b.writ"), at(RECORDS, "行業: 行業", 0, 0), true);
    let kind = s.references(&dir.0.join("b.writ"), at(RECORDS, "行業: 行業", 0, 4), true);
    assert_eq!(field.len(), 3, "declared, in the `for` filter, in the test fact: {field:?}");
    assert_eq!(kind.len(), 3, "declared, as the field's type and the table's parameter's: {kind:?}");
}

#[test]
fn hover_shows_what_a_name_is() {
    let (dir, mut s) = package();
    let shown = |s: &mut Server, file: &str, p: lsp::Position| match s.hover(&dir.0.join(file), p).unwrap().contents {
        lsp::HoverContents::Markup(m) => m.value,
        other => panic!("{other:?}"),
    };
    assert_eq!(shown(&mut s, "c.writ", at(CLAUSES, "各局", 0, 1)), "**group** `各局` — 各局\n\nmembers: 甲局, 乙局");
    assert_eq!(shown(&mut s, "c.writ", at(CLAUSES, "lead", 0, 1)), "**role** `lead` — 牽頭");
    assert_eq!(
        shown(&mut s, "c.writ", at(CLAUSES, "大型", 0, 0)),
        "**rule** `大型`\n\n```writ\nrule 大型(e: 企業) \"大型企業\" {\n```"
    );
    assert_eq!(
        shown(&mut s, "b.writ", at(RECORDS, "限產", 0, 0)),
        "**table** `限產`\n\n```writ\ntable 限產(類: 行業) \"限產比例\" {\n```"
    );
    assert_eq!(
        shown(&mut s, "c.writ", at(CLAUSES, "焦化", 0, 0)),
        "**enum value** `焦化` of `行業`\n\n```writ\nenum 行業 \"行業\" { 鋼鐵, 焦化 }\n```"
    );
    assert_eq!(shown(&mut s, "c.writ", at(CLAUSES, "e.完成日", 0, 0)), "**local** `e`: a `企業` record");
    let field = shown(&mut s, "b.writ", at(RECORDS, "e.規模", 0, 2));
    assert!(field.starts_with("**field** `企業.規模`: a mass flow"), "{field}");
    assert!(field.contains("in `蒸噸`"), "{field}");
}

#[test]
fn an_edit_parses_the_edited_file_only() {
    let (dir, mut s) = package();
    s.db().enable_log();
    let edited = CLAUSES.replace("2019-09-30", "2019-10-31");
    let published = s.change(&dir.0.join("c.writ"), &edited);
    assert!(published.iter().all(|(_, d)| d.is_empty()), "{published:?}");
    let log = s.db().take_log();
    let parsed: Vec<&String> = log.iter().filter(|l| l.starts_with("parse_file")).collect();
    assert_eq!(parsed.len(), 1, "only c.writ is parsed again: {log:?}");
    let c = s.packages[&dir.0].files[&dir.0.join("c.writ")];
    assert_eq!(*parsed[0], format!("parse_file({:?})", salsa::plumbing::AsId::as_id(&c)));
    assert_eq!(log.iter().filter(|l| l.starts_with("package_model")).count(), 1, "the package is checked again");
    // Requests after it parse nothing more.
    s.hover(&dir.0.join("c.writ"), at(&edited, "大型", 0, 0)).unwrap();
    s.completion(&dir.0.join("c.writ"), at(&edited, "大型", 0, 1));
    assert_eq!(s.db().take_log().iter().filter(|l| l.starts_with("parse_")).count(), 0);
}

#[test]
fn a_file_that_does_not_parse_is_reported_where_it_fails() {
    let (dir, mut s) = package();
    let broken = CLAUSES.replace("must e.完成日 by", "must e.完成日 by by");
    let published = s.change(&dir.0.join("c.writ"), &broken);
    let (_, diags) = published.iter().find(|(p, _)| p.ends_with("c.writ")).unwrap();
    assert_eq!(diags[0].code, Some(lsp::NumberOrString::String("syntax-error".into())), "{diags:?}");
    assert_eq!(diags[0].range.start, at(&broken, "by 2019", 0, 0), "{diags:?}");
    // The other files are published too, clean.
    assert!(published.iter().filter(|(p, _)| !p.ends_with("c.writ")).all(|(_, d)| d.is_empty()));
    // A byte order mark moves nothing the editor sees.
    let published = s.change(&dir.0.join("c.writ"), &format!("\u{FEFF}{broken}"));
    let (_, with_bom) = published.iter().find(|(p, _)| p.ends_with("c.writ")).unwrap();
    assert_eq!(with_bom[0].range.start.line, diags[0].range.start.line);
    assert_eq!(with_bom[0].range.start.character, diags[0].range.start.character);
}

#[test]
fn symbols_and_formatting() {
    let (dir, mut s) = package();
    let symbols = s.symbols(&dir.0.join("b.writ"));
    let names: Vec<&str> = symbols.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["企業", "大型", "限產"]);
    let fields: Vec<&str> = symbols[0].children.as_ref().unwrap().iter().map(|s| s.name.as_str()).collect();
    assert_eq!(fields, ["名稱", "行業", "規模", "完成日"]);
    assert_eq!(s.format(&dir.0.join("b.writ")), Some(vec![]), "already formatted");
    let messy = RECORDS.replace("  名稱: text", "名稱 :   text");
    s.change(&dir.0.join("b.writ"), &messy);
    let edits = s.format(&dir.0.join("b.writ")).unwrap();
    assert_eq!(edits.len(), 1);
    assert_eq!(edits[0].new_text, RECORDS);
    s.change(&dir.0.join("b.writ"), "record {");
    assert_eq!(s.format(&dir.0.join("b.writ")), None, "a file that does not parse is not formatted");
}

#[test]
fn files_changed_on_disk_are_read_again_unless_open() {
    let (dir, mut s) = package();
    let extra = dir.0.join("d.writ");
    std::fs::write(&extra, "party 甲局 \"又一個\"\n").unwrap();
    let published = s.on_disk(&extra);
    let (_, diags) = published.iter().find(|(p, _)| *p == extra).expect("the new file is published");
    assert_eq!(diags.len(), 1, "{diags:?}");
    std::fs::remove_file(&extra).unwrap();
    let published = s.on_disk(&extra);
    assert!(published.iter().all(|(_, d)| d.is_empty()), "{published:?}");
    assert!(published.iter().any(|(p, _)| *p == extra), "its diagnostics are cleared");
    // An open file keeps the editor's text whatever the disk says.
    std::fs::write(dir.0.join("c.writ"), "clause {").unwrap();
    assert_eq!(s.on_disk(&dir.0.join("c.writ")), Vec::new());
    assert!(s.change(&dir.0.join("c.writ"), CLAUSES).iter().all(|(_, d)| d.is_empty()));
}

/// The names written in expressions of a module's clauses, rules, tables and derived records.
fn expression_names(m: &ast::Module) -> Vec<Span> {
    fn walk(e: &ast::Expr, out: &mut Vec<Span>) {
        match &e.kind {
            ast::ExprKind::Name(_) => out.push(e.span),
            ast::ExprKind::Field(_, n) => out.push(n.span),
            _ => {}
        }
        ast::children(e, &mut |c| walk(c, out));
    }
    fn stmts(b: &[ast::Stmt], out: &mut Vec<Span>) {
        for s in b {
            match s {
                ast::Stmt::Require(r) => {
                    walk(&r.condition, out);
                    r.deadline.iter().for_each(|(_, d)| walk(d, out));
                    r.given.iter().for_each(|(g, _)| walk(g, out));
                }
                ast::Stmt::For(f) => {
                    f.keys
                        .iter()
                        .flatten()
                        .chain(&f.filter)
                        .chain(f.unless.iter().map(|u| &u.0))
                        .for_each(|e| walk(e, out));
                    stmts(&f.body, out)
                }
                ast::Stmt::Every(f) => {
                    walk(&f.of, out);
                    stmts(&f.body, out)
                }
                ast::Stmt::Let(l) => walk(&l.value, out),
                ast::Stmt::During(e) | ast::Stmt::Unless(e, _) => walk(e, out),
                ast::Stmt::Otherwise { on, .. } => on.iter().for_each(|e| walk(e, out)),
                _ => {}
            }
        }
    }
    let mut out = Vec::new();
    for item in &m.items {
        match item {
            ast::Item::Clause(c) => stmts(&c.body, &mut out),
            ast::Item::Rule(r) => {
                r.lets.iter().for_each(|l| walk(&l.value, &mut out));
                walk(&r.body, &mut out)
            }
            ast::Item::Table(t) => t.rows.iter().for_each(|r| {
                if let ast::RowValue::Value(v) = &r.value {
                    walk(v, &mut out)
                }
            }),
            ast::Item::Record(r) => {
                if let Some(d) = &r.derive {
                    d.filter.iter().chain(d.groups.iter().map(|g| &g.1)).for_each(|e| walk(e, &mut out));
                    d.fields.iter().for_each(|f| walk(&f.value, &mut out));
                }
            }
            _ => {}
        }
    }
    out
}

/// Every name written in an expression of the bundled packages goes somewhere declared: a
/// field, a record kind, an enum value, a party, a period, a local… (the interval operations
/// `m.start`, `m.end`, `m.previous`, `m.next`, `m.day(N)` are the language's own words).
#[test]
fn every_name_in_the_bundled_packages_is_indexed() {
    // Yangquan with its keywords in Chinese too.
    let zh = Folder(std::env::temp_dir().join(format!("writ-lsp-unit-zh-{}", std::process::id())));
    let _ = std::fs::remove_dir_all(&zh.0);
    std::fs::create_dir_all(&zh.0).unwrap();
    let yangquan = Path::new(env!("CARGO_MANIFEST_DIR")).join("policies/yangquan-2019");
    for e in std::fs::read_dir(&yangquan).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "writ") {
            let text = std::fs::read_to_string(&p).unwrap();
            let zh_text =
                crate::format::format_with_keywords(&key(&p), &text, Some(crate::syntax::keywords::KeywordLang::Hant))
                    .unwrap();
            assert_ne!(zh_text, text);
            std::fs::write(zh.0.join(p.file_name().unwrap()), zh_text).unwrap();
        }
    }
    let packages = ["policies/yangquan-2019", "policies/yangquan-2019-raw", "policies/chaozhou-2019"]
        .map(|p| Path::new(env!("CARGO_MANIFEST_DIR")).join(p));
    for root in packages.iter().chain([&zh.0]) {
        let package = root.file_name().unwrap().to_string_lossy();
        let mut s = Server::new();
        let mut files: Vec<PathBuf> = std::fs::read_dir(root).unwrap().map(|e| e.unwrap().path()).collect();
        files.retain(|p| p.extension().is_some_and(|e| e == "writ"));
        files.sort();
        let published = s.open(&files[0], &std::fs::read_to_string(&files[0]).unwrap());
        assert!(published.iter().all(|(_, d)| d.iter().all(|d| d.severity != Some(lsp::DiagnosticSeverity::ERROR))));
        let view = s.view(&files[0]).unwrap();
        let mut missing = Vec::new();
        let mut count = 0;
        for (file, text, m) in &view.modules {
            for sp in expression_names(m) {
                let written = &text[sp.start as usize..sp.end as usize];
                if ["start", "end", "previous", "next", "day"].contains(&written) {
                    continue;
                }
                count += 1;
                match view.index.at(file, sp.start as usize).filter(|o| o.span == sp) {
                    Some(o) => assert!(view.index.decls.contains_key(&o.target), "{o:?}"),
                    None => missing.push(format!("{}: {written}", file.rsplit('/').next().unwrap())),
                }
            }
        }
        assert!(count > 20, "{package}: {count} names");
        assert!(missing.is_empty(), "{package}: {missing:#?}");
    }
}
