//! Hostile input: every test asserts a clean result (a diagnostic or a successful load), never
//! a panic, a stack overflow or a run that does not finish. Each prints how long it took.

mod common;

use common::PLAN;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;
use writ::db::{self, Database, Package, SourceFile};
use writ::diagnostic::Diagnostic;
use writ::facts::{self, Facts, FileFacts, Schema};
use writ::model::Model;
use writ::report::{Sources, render_diagnostics};
use writ::value::Value;

const MB: usize = 1024 * 1024;

/// The sizes of the "100 MB" comment and string in a policy. pest's generated parser is part
/// of this crate, so a debug build reads a string at only 2 million characters a second;
/// there the string is cut to 6 MB to keep the test under ten seconds (the comment, read at
/// about 12 MB a second, is not cut). Optimized builds read the full 100 MB of both.
const BIG_COMMENT: usize = 100 * MB;
const BIG_STRING: usize = if cfg!(debug_assertions) { 6 * MB } else { 100 * MB };

/// Runs `f` on a thread with the main thread's 8 MB stack, as the `writ` binary runs: a test
/// thread has 2 MB.
fn on_cli_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new().stack_size(8 * MB).spawn(f).unwrap().join().unwrap()
}

/// Runs `f`, printing how long it took (`cargo test --test hostile -- --nocapture` shows it).
fn timed<T>(label: &str, f: impl FnOnce() -> T) -> T {
    let start = Instant::now();
    let out = f();
    eprintln!("[time] {label}: {:.2?}", start.elapsed());
    out
}

/// Every diagnostic points inside `text`, on character boundaries, and says how to fix it.
fn assert_well_formed(diags: &[Diagnostic], text: &str) {
    for d in diags {
        assert!(d.help.as_deref().is_some_and(|h| !h.is_empty()), "`{}` has no help: {d:?}", d.code);
        for l in &d.labels {
            let (s, e) = (l.span.start as usize, l.span.end as usize);
            assert!(s <= e && e <= text.len(), "`{}`: span {s}..{e} outside a text of {} bytes", d.code, text.len());
            assert!(
                text.is_char_boundary(s) && text.is_char_boundary(e),
                "`{}`: span {s}..{e} cuts a character",
                d.code
            );
        }
    }
}

fn codes(diags: &[Diagnostic]) -> Vec<&'static str> {
    diags.iter().map(|d| d.code).collect()
}

// ---------------------------------------------------------------- policy

/// Parses and checks a one-file package; its diagnostics, each well formed.
fn check_policy(text: &str) -> Vec<Diagnostic> {
    let db = Database::default();
    let path: Arc<str> = Arc::from("policy.writ");
    let src = SourceFile::new(&db, path.clone(), Arc::from(text));
    let pkg = Package::new(&db, vec![src]);
    let diags = db::package_model(&db, pkg).diagnostics.clone();
    assert_well_formed(&diags, text);
    diags
}

/// Renders diagnostics against their text, so the renderer sees the hostile text too.
fn render_policy(diags: &[Diagnostic], text: &str) -> String {
    let mut sources = Sources::default();
    sources.add(&Arc::from("policy.writ"), &Arc::from(text));
    render_diagnostics(diags, &sources, false, 80)
}

fn clause(name: &str, condition: &str) -> String {
    format!("clause {name} \"t\" {{ cite \"1\" \"x\" lead 甲局 must {condition} }}\n")
}

#[test]
fn policy_ten_thousand_nested_parentheses() {
    let cond = format!("{}1{} < 2", "(".repeat(10_000), ")".repeat(10_000));
    let text = format!("{PLAN}{}", clause("c", &cond));
    let diags = timed("policy: 10,000 nested parentheses", || check_policy(&text));
    assert_eq!(codes(&diags), ["nesting-too-deep"]);
    // The clause's `{` is the first level, so the 64th `(` is the 65th bracket.
    assert_eq!(diags[0].primary_span().start as usize, text.find('(').unwrap() + 63);
    assert!(render_policy(&diags, &text).contains("nest more than 64 levels"));
}

#[test]
fn policy_number_with_400_digits() {
    let text = format!("{PLAN}{}", clause("c", &format!("1{} > 2", "0".repeat(400))));
    let diags = timed("policy: a number of 400 digits", || check_policy(&text));
    assert_eq!(codes(&diags), ["number-out-of-range"], "{diags:#?}");
    let at = text.find("1000").unwrap();
    assert_eq!(diags[0].primary_span().start as usize, at);
    render_policy(&diags, &text);
}

/// The fact loader clips user input in messages to 40 characters; the policy checker quotes a
/// number whole, so a number of a million digits makes a message of a megabyte.
#[test]
fn policy_number_message_is_clipped() {
    let text = format!("{PLAN}{}", clause("c", &format!("1{} > 2", "0".repeat(400))));
    let diags = check_policy(&text);
    assert_eq!(codes(&diags), ["number-out-of-range"]);
    assert!(diags[0].message.chars().count() < 200, "a message of {} characters", diags[0].message.chars().count());
}

#[test]
fn policy_100_mb_comment() {
    let text = format!("{PLAN}// {}\n{}", "注".repeat(BIG_COMMENT / 3), clause("c", "1 < 2"));
    assert!(text.len() >= BIG_COMMENT - 3);
    let label = format!("policy: a comment of {} MB", BIG_COMMENT / MB);
    let diags = timed(&label, || check_policy(&text));
    assert!(diags.is_empty(), "{:?}", codes(&diags));
}

#[test]
fn policy_100_mb_string() {
    let text = format!("{PLAN}party 乙局 \"{}\"\n{}", "x".repeat(BIG_STRING), clause("c", "1 < 2"));
    let label = format!("policy: a string of {} MB", BIG_STRING / MB);
    let diags = timed(&label, || check_policy(&text));
    assert!(diags.is_empty(), "{:?}", codes(&diags));
}

/// Text that used to get a misleading diagnostic, or none: each gets its own code, at the
/// character or token at fault, with the rendering free of raw control characters.
#[test]
fn policy_misleading_text_gets_a_located_diagnostic() {
    let cases: [(String, &str, &str, bool); 11] = [
        // An unclosed text: at its opening quote, not "expected `clause`, found `clause`".
        (format!("party 乙局 \"乙局\n{}", clause("c", "1 < 2")), "unterminated-string", "\"乙局", true),
        (format!("{}party 乙局 “乙局", clause("c", "1 < 2")), "unterminated-string", "“乙局", true),
        // An escape of other languages: at the backslash, with the character in the help.
        (format!("party 乙局 \"乙\\u6392\"\n{}", clause("c", "1 < 2")), "unsupported-escape", "\\u6392", true),
        // A number past range with an exponent: at the number, not at the unit's `/`.
        (clause("c", "1 < 1e400 mg/m3"), "number-out-of-range", "1e400", true),
        // A power no unit has: an unknown unit, with the likely one suggested.
        (clause("c", "1 mg/m3 < 30 mg/m4"), "unknown-unit", "mg/m4", true),
        // Trojan Source: a right-to-left override in a comment, in text and between words.
        (format!("// x \u{202E} y\n{}", clause("c", "1 < 2")), "bidi-control", "\u{202E}", true),
        (format!("party 乙局 \"乙\u{2067}局\"\n{}", clause("c", "1 < 2")), "bidi-control", "\u{2067}", true),
        // An invisible character in a name is an error; in text, a warning.
        (format!("party 乙\u{200B}局\n{}", clause("c", "1 < 2")), "invisible-character", "\u{200B}", true),
        (format!("party 乙局 \"乙\u{200D}局\"\n{}", clause("c", "1 < 2")), "invisible-character", "\u{200D}", false),
        // An escape sequence in text: a warning, at the ESC.
        (format!("party 乙局 \"乙\u{1b}[2J局\"\n{}", clause("c", "1 < 2")), "control-character", "\u{1b}", false),
        // Between words it hides nothing writ reads: a warning, and the item is kept.
        (format!("party 乙局 \u{FEFF}\n{}", clause("c", "1 < 2")), "invisible-character", "\u{FEFF}", false),
    ];
    for (body, code, at, error) in cases {
        let text = format!("{PLAN}{body}");
        let diags = check_policy(&text);
        let d = diags.iter().find(|d| d.code == code).unwrap_or_else(|| panic!("no {code} in {diags:#?}"));
        assert_eq!(d.is_error(), error, "{code}: {d:?}");
        let start = text.find(at).unwrap();
        assert_eq!(d.primary_span().start as usize, start, "{code} at {at:?}: {d:?}");
        // No other diagnostic of the file repeats it as a syntax error.
        assert!(diags.iter().all(|d| d.code != "syntax-error"), "{code}: {diags:#?}");
        let shown = render_policy(&diags, &text);
        assert!(!shown.chars().any(|c| c.is_control() && c != '\n' || writ::text::is_bidi(c)), "{shown}");
        match code {
            "unsupported-escape" => assert!(d.help.as_deref().unwrap().contains("`排`"), "{d:?}"),
            "unknown-unit" => assert!(d.help.as_deref().unwrap().contains("`mg/m3`"), "{d:?}"),
            "number-out-of-range" => assert_eq!(d.primary_span().len(), "1e400".len()),
            "bidi-control" => assert!(d.message.contains("U+20"), "{d:?}"),
            _ => {}
        }
    }
}

/// Declared names that differ only by another script's letters or by full-width forms: a
/// warning each, naming both, at the second with the first as the related place.
#[test]
fn policy_lookalike_names_are_warned_about() {
    let body = "party С局\nenum 等級 { A級, Α級 }\nrecord 企業 key 名稱 { 名稱: text  SO2: mg/m3  ＳＯ2: mg/m3 }\n\
                party 甲局二\n";
    let text = format!("{PLAN}party C局\n{body}{}", clause("c", "1 < 2"));
    let diags = check_policy(&text);
    assert_eq!(codes(&diags), ["confusable-name", "confusable-name", "confusable-name"], "{diags:#?}");
    for (d, (second, first)) in diags.iter().zip([("С局", "C局"), ("Α級", "A級"), ("ＳＯ2", "SO2")]) {
        assert!(!d.is_error());
        assert!(d.message.contains(second) && d.message.contains(first), "{}", d.message);
        assert_eq!(d.primary_span().start as usize, text.find(second).unwrap());
        assert_eq!(d.labels[1].span.start as usize, text.find(first).unwrap());
    }
    // A reference written with the other script's letter is suggested its look-alike.
    let text = format!("{PLAN}party C局\n{}", clause("c", "1 < 2").replace("甲局", "С局"));
    let diags = check_policy(&text);
    assert_eq!(codes(&diags), ["unknown-party"]);
    assert!(diags[0].help.as_deref().unwrap().contains("did you mean `C局`?"), "{diags:#?}");
}

/// A policy of 100,000 right-to-left overrides: a hundred diagnostics and one counting the rest.
#[test]
fn policy_one_hundred_thousand_overrides() {
    let text = format!("{PLAN}// {}\n{}", "\u{202E}".repeat(100_000), clause("c", "1 < 2"));
    let diags = timed("policy: 100,000 overrides", || check_policy(&text));
    assert_eq!(diags.len(), 101, "{:?}", &codes(&diags)[..5]);
    assert!(diags[..100].iter().all(|d| d.code == "bidi-control"));
    assert_eq!(diags[100].code, "too-many-errors");
    assert!(diags[100].message.starts_with("99900 more"), "{}", diags[100].message);
}

/// A number with a power of ten is exact: `1.5e3` is 1500, `2E-3` is 0.002.
#[test]
fn policy_numbers_with_exponents_are_exact() {
    let text = format!("{PLAN}{}", clause("c", "1.5e3 == 1500 and 2E-3 == 0.002 and 3e1 mg/m3 == 0.03 g/m3"));
    let diags = check_policy(&text);
    assert!(diags.is_empty(), "{diags:#?}");
    let r =
        common::report(&clause("c", "1.5e3 == 1500 and 2E-3 == 0.002 and 3e1 mg/m3 == 0.03 g/m3"), "{}", "2019-06-01");
    assert_eq!(r.verdicts.len(), 1);
    assert_eq!(r.verdicts[0].status, writ::eval::Status::Satisfied, "{:?}", r.verdicts[0]);
}

/// In a file with CRLF line breaks, the lines of a snippet keep their own numbers.
#[test]
fn policy_with_crlf_line_breaks_numbers_snippet_lines() {
    let text = format!("{PLAN}clause c \"t\" {{\n  cite \"1\" \"x\"\n  lead 甲局\n  must 1 <\n}}\nparty 乙局\n")
        .replace('\n', "\r\n");
    let diags = check_policy(&text);
    assert_eq!(codes(&diags), ["syntax-error"]);
    let shown = render_policy(&diags, &text);
    // The error is on line 7 (the `}`); lines 6 and 8 are shown around it, once each.
    for n in ["6 │", "7 │", "8 │"] {
        assert_eq!(shown.matches(n).count(), 1, "{n} in\n{shown}");
    }
    assert!(shown.contains("policy.writ:7:1"), "{shown}");
    assert!(!shown.contains('\r'), "{shown:?}");
}

/// The control characters: C0, DEL and C1.
fn controls() -> impl Iterator<Item = char> {
    (0u32..0x20).chain(0x7F..0xA0).map(|c| char::from_u32(c).unwrap())
}

#[test]
fn policy_every_control_character() {
    timed("policy: every control character, alone and together", || {
        for c in controls() {
            // Between items and inside a name: an error unless it is whitespace. Inside a
            // string or a comment: whatever the grammar says, as long as it is clean.
            let bare = !matches!(c, '\t' | '\n' | '\r');
            for (text, must_fail) in [
                (format!("{PLAN}{c}{}", clause("c", "1 < 2")), bare),
                (format!("{PLAN}party 乙{c}局\n{}", clause("c", "1 < 2")), bare),
                (format!("{PLAN}party 乙局 \"a{c}b\"\n{}", clause("c", "1 < 2")), false),
                (format!("{PLAN}// a{c}b\n{}", clause("c", "1 < 2")), false),
            ] {
                let diags = check_policy(&text);
                render_policy(&diags, &text);
                if must_fail {
                    assert!(!diags.is_empty(), "U+{:04X} outside a string or comment was accepted", c as u32);
                }
            }
        }
        let all: String = controls().collect();
        let text = format!("{PLAN}{all}\n{}", clause("c", "1 < 2"));
        let diags = check_policy(&text);
        assert!(diags.iter().any(|d| d.code == "syntax-error"), "{:?}", codes(&diags));
        render_policy(&diags, &text);
    });
}

#[test]
fn policy_ten_thousand_clauses() {
    let mut text = String::from(PLAN);
    for i in 0..10_000 {
        text.push_str(&clause(&format!("c{i}"), &format!("{i} < {}", i + 1)));
    }
    let diags = timed("policy: 10,000 clauses", || check_policy(&text));
    assert!(diags.iter().all(|d| !d.is_error()), "{:?}", codes(&diags));
}

// Deep expressions: each runs on the binary's 8 MB stack and must end in a diagnostic or a
// clean check, never a stack overflow.

#[test]
fn policy_ten_thousand_nots() {
    let text = format!("{PLAN}{}", clause("c", &format!("{}1 < 2", "not ".repeat(10_000))));
    let diags = on_cli_stack(move || check_policy(&text));
    assert!(diags.iter().all(|d| d.code == "nesting-too-deep"), "{:?}", codes(&diags));
}

#[test]
fn policy_ten_thousand_minus_signs() {
    let text = format!("{PLAN}{}", clause("c", &format!("{}1 < 2", "- ".repeat(10_000))));
    let diags = on_cli_stack(move || check_policy(&text));
    assert!(diags.iter().all(|d| d.code == "nesting-too-deep"), "{:?}", codes(&diags));
}

/// A left-deep `+` chain parses, then overflows `Checker::expr`/`Checker::binary`: about 450
/// terms are enough in a debug build.
#[test]
fn policy_sum_of_ten_thousand_terms() {
    let text = format!("{PLAN}{}", clause("c", &format!("{}1 > 0", "1 + ".repeat(10_000))));
    let diags = on_cli_stack(move || check_policy(&text));
    assert!(diags.iter().all(|d| !d.is_error() || d.code == "nesting-too-deep"), "{:?}", codes(&diags));
}

/// Runs `f` on a thread with a test thread's 2 MiB stack, whatever `RUST_MIN_STACK` says: the
/// smaller stack finds a recursion sooner than the binary's 8 MiB main thread.
fn on_test_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new().stack_size(2 * MB).spawn(f).unwrap().join().unwrap()
}

/// How deep each recursive shape of the language is written in [`deep_shapes`].
const DEEP: usize = 10_000;

/// Every recursive shape of the grammar, written `DEEP` levels deep, as a whole policy: its
/// name, and the text.
fn deep_shapes() -> Vec<(&'static str, String)> {
    let n = DEEP;
    let in_clause = |cond: String| format!("{PLAN}{}", clause("c", &cond));
    let kiln = "record 窯 key 編號 { 編號: text  值: number }\n";
    vec![
        ("an `else if` chain", in_clause(format!("{}0 > 1", "if true then 1 else ".repeat(n)))),
        ("`if` in the condition", in_clause(format!("{}true{}", "if ".repeat(n), " then true else false".repeat(n)))),
        ("`if` in the `then` branch", in_clause(format!("{}1{} > 0", "if true then ".repeat(n), " else 0".repeat(n)))),
        ("unclosed `if`s", in_clause("if ".repeat(n))),
        ("`if` and `-` alternating", in_clause(format!("{}1 > 0", "if true then - ".repeat(n)))),
        ("nested `match`", in_clause(format!("{}1{} > 0", "match 1 { _ => ".repeat(n), " }".repeat(n)))),
        ("nested calls", in_clause(format!("{}1{} > 0", "max(".repeat(n), ")".repeat(n)))),
        ("nested lists", in_clause(format!("1 in {}1{}", "[".repeat(n), "]".repeat(n)))),
        ("a chain of `and`", in_clause(format!("{}true", "true and ".repeat(n)))),
        ("a chain of `or`", in_clause(format!("{}true", "true or ".repeat(n)))),
        ("a chain of `*`", in_clause(format!("{}1 > 0", "1 * ".repeat(n)))),
        ("a chain of comparisons", in_clause(format!("{}1", "1 < ".repeat(n)))),
        ("a chain of `not in`", in_clause(format!("1{}", " not in [1]".repeat(n)))),
        (
            "a chain of fields",
            format!(
                "{PLAN}{kiln}clause c \"t\" {{ cite \"1\" \"x\" lead 甲局 for k in 窯 {{ must k{} > 0 }} }}\n",
                ".值".repeat(n)
            ),
        ),
        ("a chain of method calls", in_clause(format!("1{} > 0", ".max(1)".repeat(n)))),
        (
            "nested `for` blocks",
            format!(
                "{PLAN}{kiln}clause c \"t\" {{ cite \"1\" \"x\" lead 甲局 {}must 1 > 0{} }}\n",
                "for k in 窯 { ".repeat(n),
                " }".repeat(n)
            ),
        ),
        (
            "nested `every` blocks",
            format!(
                "{PLAN}clause c \"t\" {{ cite \"1\" \"x\" lead 甲局 {}must 1 > 0{} }}\n",
                "every month m of plan.period { ".repeat(n),
                " }".repeat(n)
            ),
        ),
        (
            "`unless` with an `if` chain",
            format!(
                "{PLAN}clause c \"t\" {{ cite \"1\" \"x\" lead 甲局 unless {}false must 1 > 0 }}\n",
                "if true then false else ".repeat(n)
            ),
        ),
        (
            "a `let` with an `if` chain",
            format!(
                "{PLAN}clause c \"t\" {{ cite \"1\" \"x\" lead 甲局 let x = {}1 must x > 0 }}\n",
                "if true then 1 else ".repeat(n)
            ),
        ),
        (
            "a deadline with an `if` chain",
            in_clause(format!("1 > 0 by {}2019-01-01", "if true then 2019-01-01 else ".repeat(n))),
        ),
        (
            "a rule body with an `if` chain",
            format!("{PLAN}rule r() {{ {}true }}\n", "if true then true else ".repeat(n)),
        ),
        (
            "a table value with an `if` chain",
            format!("{PLAN}table t(x: number) {{ _ => {}1 }}\n", "if true then 1 else ".repeat(n)),
        ),
        (
            "a test fact with a chain",
            format!(
                "{PLAN}{kiln}test \"t\" {{ as_of 2019-01-01 fact 窯 {{ 編號: \"a\", 值: {}1 }} }}\n",
                "1 + ".repeat(n)
            ),
        ),
        (
            "a `during` with a field chain",
            format!(
                "{PLAN}clause c \"t\" {{ cite \"1\" \"x\" lead 甲局 during plan.period{} must 1 > 0 }}\n",
                ".x".repeat(n)
            ),
        ),
    ]
}

/// Each shape ends in `nesting-too-deep` (or, for a text that is not a policy, a syntax error)
/// on a 2 MiB stack, never in a stack overflow.
#[test]
fn policy_every_recursive_shape_ten_thousand_deep() {
    for (what, text) in deep_shapes() {
        let t = text.clone();
        let diags = timed(&format!("policy: {what}, {DEEP} deep"), || on_test_stack(move || check_policy(&t)));
        assert!(
            diags.iter().any(|d| d.code == "nesting-too-deep"),
            "{what}: {:?}",
            diags.iter().map(|d| (d.code, &d.message)).collect::<Vec<_>>()
        );
        assert!(
            diags.iter().all(|d| d.code == "nesting-too-deep" || d.code == "syntax-error"),
            "{what}: {:?}",
            codes(&diags)
        );
        render_policy(&diags, &text);
    }
}

/// The same shapes through the `writ` binary, whose main thread has 8 MiB: exit 2 with the
/// diagnostic, never a crash.
#[test]
fn binary_every_recursive_shape_ten_thousand_deep() {
    let root = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("hostile-deep-shapes");
    for (i, (what, text)) in deep_shapes().into_iter().enumerate() {
        let dir = root.join(format!("shape{i}"));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("policy.writ"), &text).unwrap();
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_writ")).arg("check").arg(&dir).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{what}: {stderr}");
        assert!(stderr.contains("nesting-too-deep"), "{what}: {stderr}");
    }
}

/// At the limit: an `else if` chain inside a clause's braces is read up to 63 `if`s (64 levels
/// with the braces); the 64th `if` is refused where it is written.
#[test]
fn policy_else_if_chain_at_the_limit() {
    let chain = |n: usize| format!("{PLAN}{}", clause("c", &format!("{}false", "if true then true else ".repeat(n))));
    let diags = check_policy(&chain(63));
    assert!(diags.iter().all(|d| !d.is_error()), "{:?}", codes(&diags));
    let text = chain(64);
    let diags = check_policy(&text);
    assert_eq!(codes(&diags), ["nesting-too-deep"]);
    assert_eq!(diags[0].primary_span().start as usize, text.match_indices("if ").nth(63).unwrap().0);
}

/// What the limit lets through, checking and evaluating recurse over on a 2 MiB stack: the
/// deepest `else if` chain, and the deepest brackets, each evaluated.
#[test]
fn deepest_accepted_shapes_evaluate_on_a_test_stack() {
    let chain = format!("{}true", "if false then false else ".repeat(63));
    let brackets = format!("{}1{} > 0", "(".repeat(62), ")".repeat(62));
    for cond in [chain, brackets] {
        let status = on_test_stack(move || {
            let r = common::report(&clause("c", &cond), "{}", "2019-06-01");
            r.verdicts.iter().map(|v| v.status).collect::<Vec<_>>()
        });
        assert_eq!(status, [writ::eval::Status::Satisfied]);
    }
}

/// `if` counts end where an expression must have ended: many `if`s one after another in a
/// clause's statements, in a table's rows and in a list, are not nested.
#[test]
fn policy_many_ifs_side_by_side_are_not_nested() {
    let mut body = String::new();
    for i in 0..100 {
        body.push_str(&format!("let x{i} = if true then {i} else 0\n must x{i} >= 0\n"));
    }
    let rows: String = (0..100).map(|i| format!("{i} => if true then {i} else 0\n")).collect();
    let list: Vec<String> = (0..100).map(|i| format!("if true then {i} else 0")).collect();
    let text = format!(
        "{PLAN}clause c \"t\" {{ cite \"1\" \"x\" lead 甲局 {body} must 1 in [{}] }}\ntable t(x: number) {{ {rows} _ => 0 }}\n",
        list.join(", ")
    );
    let diags = check_policy(&text);
    assert!(diags.iter().all(|d| !d.is_error()), "{:?}", diags.iter().map(|d| &d.message).collect::<Vec<_>>());
}

/// `check_depth` knows only ASCII strings: a `)` inside `“)”` lowers its count, so 1,000 real
/// levels pass the 64-level guard and overflow the stack in `syntax::lower`.
#[test]
fn policy_brackets_hidden_by_cjk_strings() {
    let cond = format!("{}1 < 2{}", "(“)” == “)” and ".repeat(1_000), ")".repeat(1_000));
    let text = format!("{PLAN}{}", clause("c", &cond));
    let diags = on_cli_stack(move || check_policy(&text));
    assert_eq!(codes(&diags), ["nesting-too-deep"]);
}

/// `check_depth` takes the `"` inside `“"”` for the start of an ASCII string and skips
/// everything up to the next `"`: here 1,500 parentheses.
#[test]
fn policy_ascii_quote_inside_cjk_string() {
    let cond = format!("“\"” != “x” and {}1 < 2{} and “\"” != “x”", "(".repeat(1_500), ")".repeat(1_500));
    let text = format!("{PLAN}{}", clause("c", &cond));
    let diags = on_cli_stack(move || check_policy(&text));
    assert_eq!(codes(&diags), ["nesting-too-deep"]);
}

// ---------------------------------------------------------------- facts

/// The bundled policy, checked once per test.
fn model() -> Model {
    let loaded = writ::cli::load_package(Path::new("policies/yangquan-2019")).expect("the bundled policy loads");
    let checked = db::package_model(&loaded.db, loaded.package);
    assert!(!checked.has_errors());
    checked.model.clone()
}

/// Reads one fact file against the bundled policy and links it: the facts and every
/// diagnostic, each well formed.
fn load(model: &Model, path: &str, text: &str) -> (Facts, Vec<Diagnostic>) {
    let schema = Schema::of(model);
    let path: Arc<str> = Arc::from(path);
    let ff: FileFacts = facts::parse_file(&schema, &path, text);
    let linked = facts::link(&schema, &[&ff]);
    let mut diags = ff.diagnostics.clone();
    diags.extend(linked.diagnostics.iter().cloned());
    assert_well_formed(&diags, text);
    (linked, diags)
}

/// Unknown CSV columns: a million (past the cap of 200 diagnostics a file, an unknown column
/// is only counted).
const CSV_COLUMNS: usize = 1_000_000;

fn kiln_json(fields: &str) -> String {
    format!("{{\"工業爐窯\": [{{\"編號\": \"K1\", {fields}}}]}}")
}

/// The kind index of a record kind of the bundled policy.
fn kind(model: &Model, name: &str) -> usize {
    model.records.iter().position(|r| r.name == name).unwrap()
}

#[test]
fn json_nesting_ten_thousand_deep() {
    let m = model();
    let deep = |open: &str, close: &str| format!("{}{}", open.repeat(10_000), close.repeat(10_000));
    timed("facts: JSON nesting 10,000 deep, four places", || {
        for text in [
            kiln_json(&format!("\"顆粒物\": {}", deep("[", "]"))),
            kiln_json(&format!("\"顆粒物\": {}", deep("{\"a\":", "}"))),
            format!("{{\"工業爐窯\": [{}]}}", deep("[", "]")),
            format!("{{\"不是種類\": {}}}", deep("[", "]")),
        ] {
            let (_, diags) = load(&m, "deep.json", &text);
            assert_eq!(codes(&diags), ["fact-syntax"]);
            assert!(diags[0].message.contains("levels of nesting"), "{}", diags[0].message);
        }
    });
}

#[test]
fn json_1e400() {
    let m = model();
    let text = "{\"工業爐窯\": [\n{\"編號\": \"K1\", \"顆粒物\": 1e400},\n{\"編號\": \"K2\", \"顆粒物\": -1e400},\n\
                {\"編號\": \"K3\", \"顆粒物\": 1e-400},\n{\"編號\": \"K4\", \"顆粒物\": 1e99999999999999999999999},\n\
                {\"編號\": \"K5\", \"顆粒物\": \"1e400 mg/m3\"}\n]}";
    let (facts, diags) = timed("facts: 1e400", || load(&m, "big.json", text));
    assert_eq!(codes(&diags), ["number-out-of-range"; 5]);
    // Each number rejects its field: the records stay, each with `顆粒物` unreadable.
    let t = &facts.tables[kind(&m, "工業爐窯")];
    assert_eq!((t.len(), t.flawed, t.rejected.len()), (5, 5, 0));
}

#[test]
fn yaml_and_toml_1e400() {
    let m = model();
    // YAML: each number is its field's error, as in JSON; `.inf` is not a number writ takes.
    let text = "工業爐窯:\n  - 編號: K1\n    顆粒物: 1e400\n  - 編號: K2\n    顆粒物: -1.0e99999999999\n  \
                - 編號: K3\n    顆粒物: .inf\n  - 編號: K4\n    顆粒物: 20\n";
    let (facts, diags) = timed("facts: 1e400 in YAML", || load(&m, "big.yaml", text));
    assert_eq!(codes(&diags), ["number-out-of-range", "number-out-of-range", "bad-value"]);
    let t = &facts.tables[kind(&m, "工業爐窯")];
    assert_eq!((t.len(), t.flawed, t.rejected.len()), (4, 3, 0));
    // TOML: the format itself holds floats as f64, so its parser rejects the file.
    let text = "[[\"工業爐窯\"]]\n\"編號\" = \"K1\"\n\"顆粒物\" = 1e400\n";
    let (_, diags) = timed("facts: 1e400 in TOML", || load(&m, "big.toml", text));
    assert_eq!(codes(&diags), ["fact-syntax"]);
    assert_well_formed(&diags, text);
}

#[test]
fn xlsx_with_a_stray_cell_at_the_last_row_and_column() {
    // 5 KB on disk; read as one dense table it would be 17 billion cells.
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet().set_name("工業爐窯").unwrap();
    sheet.write_string(0, 0, "編號").unwrap();
    sheet.write_string(0, 1, "顆粒物").unwrap();
    sheet.write_string(1, 0, "K1").unwrap();
    sheet.write_number(1, 1, 20).unwrap();
    sheet.write_string(1_048_575, 16_383, "x").unwrap();
    let bytes = book.save_to_buffer().unwrap();
    let m = model();
    let schema = Schema::of(&m);
    let path: Arc<str> = Arc::from("stray.xlsx");
    let content = timed("facts: an XLSX sheet spanning A1:XFD1048576", || facts::decode(&path, bytes).unwrap());
    let ff = facts::parse_content(&schema, &path, &content);
    assert_eq!(codes(&ff.diagnostics), ["sheet-too-large"]);
    assert!(
        ff.diagnostics[0].message.starts_with("`工業爐窯!XFD1048576`: the sheet spans 1048576 rows by 16384 columns")
    );
    assert!(ff.rows.is_empty());
}

/// A zip archive of one entry whose directory says it unpacks to `claimed` bytes, as a zip
/// bomb's does (its data here is four bytes, so the test needs no gigabyte).
fn zip_claiming(claimed: u32) -> Vec<u8> {
    let name = b"xl/sharedStrings.xml";
    let data = b"<a/>";
    let u16le = |v: u16| v.to_le_bytes();
    let u32le = |v: u32| v.to_le_bytes();
    let mut out = Vec::new();
    // Local file header: stored, sizes as claimed.
    out.extend(u32le(0x0403_4b50));
    out.extend([u16le(20), u16le(0), u16le(0), u16le(0), u16le(0)].concat());
    out.extend([u32le(0), u32le(data.len() as u32), u32le(claimed)].concat());
    out.extend([u16le(name.len() as u16), u16le(0)].concat());
    out.extend(name);
    out.extend(data);
    let directory = out.len() as u32;
    out.extend(u32le(0x0201_4b50));
    out.extend([u16le(20), u16le(20), u16le(0), u16le(0), u16le(0), u16le(0)].concat());
    out.extend([u32le(0), u32le(data.len() as u32), u32le(claimed)].concat());
    out.extend([u16le(name.len() as u16), u16le(0), u16le(0), u16le(0), u16le(0)].concat());
    out.extend([u32le(0), u32le(0)].concat());
    out.extend(name);
    let size = out.len() as u32 - directory;
    out.extend(u32le(0x0605_4b50));
    out.extend([u16le(0), u16le(0), u16le(1), u16le(1)].concat());
    out.extend([u32le(size), u32le(directory)].concat());
    out.extend(u16le(0));
    out
}

#[test]
fn xlsx_zip_bomb_is_not_unpacked() {
    let m = model();
    let schema = Schema::of(&m);
    let path: Arc<str> = Arc::from("bomb.xlsx");
    let bytes = zip_claiming(3 << 30);
    let content = facts::decode(&path, bytes).unwrap();
    let ff = timed("facts: an XLSX that unpacks to 3 GiB", || facts::parse_content(&schema, &path, &content));
    assert_eq!(codes(&ff.diagnostics), ["file-too-large"]);
    assert!(ff.diagnostics[0].message.contains("unpacks to 3072 MiB"), "{}", ff.diagnostics[0].message);
    // Under the limit, the same archive goes on to calamine, which finds it is no workbook.
    let content = facts::decode(&path, zip_claiming(1 << 20)).unwrap();
    let ff = facts::parse_content(&schema, &path, &content);
    assert_eq!(codes(&ff.diagnostics), ["fact-syntax"]);
}

#[test]
fn json_100_mb_string_value() {
    let m = model();
    let big = "x".repeat(100 * MB);
    // In a text key: read as is.
    let text = format!("{{\"工業爐窯\": [{{\"編號\": \"{big}\", \"顆粒物\": 20}}]}}");
    let (facts, diags) = timed("facts: a 100 MB JSON string in a text field", || load(&m, "big.json", &text));
    assert!(diags.is_empty(), "{:?}", codes(&diags));
    assert_eq!(facts.tables[kind(&m, "工業爐窯")].key(0).len(), 100 * MB);
    drop(text);
    // In a quantity field: rejected, and the message quotes only the start of it.
    let text = kiln_json(&format!("\"顆粒物\": \"{big}\""));
    let (_, diags) = timed("facts: a 100 MB JSON string in a quantity field", || load(&m, "big.json", &text));
    assert_eq!(codes(&diags), ["bad-value"]);
    assert!(diags[0].message.len() < 300, "message of {} bytes", diags[0].message.len());
}

#[test]
fn csv_one_million_columns() {
    let m = model();
    let columns = CSV_COLUMNS;
    let mut text = String::from("編號");
    for i in 0..columns {
        text.push_str(&format!(",列{i}"));
    }
    text.push_str("\nK1");
    text.push_str(&",".repeat(columns));
    text.push('\n');
    let label = format!("facts: a CSV header of {} columns", columns + 1);
    let (facts, diags) = timed(&label, || load(&m, "工業爐窯.csv", &text));
    let unknown = diags.iter().filter(|d| d.code == "unknown-field").count();
    assert_eq!(unknown, 200, "unknown-field diagnostics are not capped");
    let capped: Vec<_> = diags.iter().filter(|d| d.code == "too-many-errors").collect();
    assert_eq!(capped.len(), 1);
    assert!(capped[0].message.starts_with(&format!("{} more errors", columns - 200)), "{}", capped[0].message);
    assert_eq!(diags.len(), 201);
    // The unknown columns are ignored; the row itself is read.
    assert_eq!(facts.tables[kind(&m, "工業爐窯")].len(), 1);
}

#[test]
fn csv_line_of_100_mb() {
    let m = model();
    let key = "k".repeat(50 * MB);
    let digits = "1".repeat(50 * MB);
    let text = format!("編號,顆粒物\n{key},{digits}\n{key}2,20\n");
    let (facts, diags) = timed("facts: a CSV line of 100 MB", || load(&m, "工業爐窯.csv", &text));
    assert_eq!(codes(&diags), ["number-out-of-range"]);
    assert!(diags[0].message.len() < 300, "message of {} bytes", diags[0].message.len());
    let t = &facts.tables[kind(&m, "工業爐窯")];
    assert_eq!((t.len(), t.flawed, t.rejected.len()), (2, 1, 0));
    assert_eq!((t.origin(0).line, t.origin(1).line), (2, 3));
}

#[test]
fn json_every_escape() {
    let m = model();
    let text = r#"{"工業爐窯": [{"編號": "\"\\\/\b\f\n\r\t\u0000\u00e9\u4E2D\uD83D\uDE00\uFFFF end", "顆粒物": 20}]}"#;
    let (facts, diags) = timed("facts: every JSON escape", || load(&m, "esc.json", text));
    assert!(diags.is_empty(), "{diags:#?}");
    let t = &facts.tables[kind(&m, "工業爐窯")];
    assert_eq!(t.key(0), "\"\\/\u{8}\u{c}\n\r\t\u{0}é中😀\u{FFFF} end");
    assert_eq!(t.get(0, 0), Some(Value::Text(t.key(0).into())));
}

#[test]
fn json_invalid_surrogates_and_escapes() {
    let m = model();
    let cases = [
        (r#"\uD800"#, "low surrogate"),
        (r#"\uD800x"#, "low surrogate"),
        (r#"\uD800\u0041"#, "low surrogate"),
        (r#"\uD800\uD800"#, "low surrogate"),
        (r#"\uDC00"#, "lone low surrogate"),
        (r#"\uDFFF\uD800"#, "lone low surrogate"),
        (r#"\u12"#, "four hex digits"),
        (r#"\uZZZZ"#, "four hex digits"),
        (r#"\u中文字"#, "four hex digits"),
        (r#"\uD800\u12"#, "four hex digits"),
        (r#"\x41"#, "escape"),
        (r#"\中"#, "escape"),
        ("\\\u{1}", "escape"),
    ];
    timed("facts: invalid surrogates and escapes", || {
        for (escape, says) in cases {
            let text = kiln_json(&format!("\"企業\": \"a{escape}b\""));
            let (_, diags) = load(&m, "esc.json", &text);
            assert_eq!(codes(&diags), ["fact-syntax"], "{escape}");
            assert!(diags[0].message.contains(says), "{escape}: {}", diags[0].message);
            // The span lies on the escape: from its first backslash to the end of the string.
            let (from, to) = (text.find('\\').unwrap() as u32, text.find("b\"").unwrap() as u32);
            let span = diags[0].primary_span();
            assert!(from <= span.start && span.end <= to, "{escape}: span {span:?} is not on {from}..{to}");
        }
        // A string cut off inside an escape, at the very end of the file.
        for tail in ["\\", "\\u", "\\uD8", "\\uD800", "\\uD800\\", "\\uD800\\uDC"] {
            let text = format!("{{\"工業爐窯\": [{{\"編號\": \"a{tail}");
            let (_, diags) = load(&m, "cut.json", &text);
            assert_eq!(codes(&diags), ["fact-syntax"], "{tail}");
        }
    });
}

#[test]
fn invalid_utf8_through_the_cli() {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("hostile-invalid-utf8");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("facts.json");
    let mut bytes = "{\"工業爐窯\": [{\"編號\": \"K".as_bytes().to_vec();
    let at = bytes.len();
    bytes.extend_from_slice(&[0xFF, 0xFE]);
    bytes.extend_from_slice(b"1\", \"\xe9\xa1\x86\": 20}]}");
    std::fs::write(&path, &bytes).unwrap();
    let as_of = writ::cli::parse_date("2019-10-15").unwrap();
    let style = writ::cli::Style { color: false, width: 80, progress: false };
    let out = timed("facts: invalid UTF-8 through `writ eval`", || {
        writ::cli::eval(
            Path::new("policies/yangquan-2019"),
            std::slice::from_ref(&path),
            as_of,
            writ::cli::Format::Human,
            style,
            false,
        )
    });
    assert_eq!(out.code, writ::cli::EXIT_INVALID, "{}", out.stderr);
    assert!(out.stderr.contains("invalid-utf8"), "{}", out.stderr);
    assert!(out.stderr.contains(&format!("(byte {at})")), "no byte offset {at} in:\n{}", out.stderr);
    // The report is still printed: the file could hold any kind, so every kind is incomplete
    // and what needed one is unknown, naming the file (in the plan's language, zh-Hant).
    assert!(out.stdout.contains(&format!("不完整：{}有條數不明的記錄未能讀入", path.display())), "{}", out.stdout);
    assert!(out.stdout.contains(&format!("records lost from {}", path.display())), "{}", out.stdout);
}

// ---------------------------------------------------------------- folders

/// A fresh folder under the target directory, holding one fact file of six records.
fn fact_folder(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy("examples/yangquan-2019/counties.json", dir.join("counties.json")).unwrap();
    dir
}

/// `writ eval` of the bundled policy over `paths`, run on a thread so that a hang fails the
/// test after a minute instead of stopping the suite.
fn eval_paths(label: &str, paths: Vec<PathBuf>, format: writ::cli::Format) -> writ::cli::Outcome {
    let label = label.to_string();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let as_of = writ::cli::parse_date("2019-10-15").unwrap();
        let style = writ::cli::Style { color: false, width: 100, progress: false };
        let out =
            timed(&label, || writ::cli::eval(Path::new("policies/yangquan-2019"), &paths, as_of, format, style, false));
        let _ = tx.send(out);
    });
    rx.recv_timeout(std::time::Duration::from_secs(60)).expect("`writ eval` finishes within a minute")
}

/// How often a diagnostic code occurs in rendered output.
fn occurrences(text: &str, code: &str) -> usize {
    text.matches(code).count()
}

#[cfg(unix)]
#[test]
fn folder_with_one_symlink_loop_is_read_once() {
    let dir = fact_folder("hostile-one-loop");
    std::os::unix::fs::symlink(".", dir.join("loop")).unwrap();
    let out = eval_paths("folders: a symlink loop", vec![dir], writ::cli::Format::Human);
    // Read once: a second reading would make every county a duplicate key.
    assert!(!out.stderr.contains("duplicate-key"), "{}", out.stderr);
    assert_eq!(occurrences(&out.stderr, "duplicate-path"), 1, "{}", out.stderr);
    assert!(out.stderr.contains("loop"), "{}", out.stderr);
    assert_ne!(out.code, writ::cli::EXIT_INVALID, "{}", out.stderr);
}

#[cfg(unix)]
#[test]
fn folder_with_two_symlink_loops_is_read_once() {
    let dir = fact_folder("hostile-two-loops");
    std::fs::create_dir_all(dir.join("sub")).unwrap();
    std::os::unix::fs::symlink("..", dir.join("sub/up")).unwrap();
    std::os::unix::fs::symlink(".", dir.join("loop")).unwrap();
    let out = eval_paths("folders: two symlink loops", vec![dir], writ::cli::Format::Human);
    assert!(!out.stderr.contains("duplicate-key"), "{}", out.stderr);
    assert_eq!(occurrences(&out.stderr, "duplicate-path"), 2, "{}", out.stderr);
    assert_ne!(out.code, writ::cli::EXIT_INVALID, "{}", out.stderr);
}

#[test]
fn the_same_folder_and_file_given_twice_are_read_once() {
    let dir = fact_folder("hostile-given-twice");
    let file = dir.join("counties.json");
    let out = eval_paths("folders: given twice", vec![dir.clone(), dir.join("."), file], writ::cli::Format::Human);
    assert!(!out.stderr.contains("duplicate-key"), "{}", out.stderr);
    assert!(!out.stderr.contains("empty-facts"), "{}", out.stderr);
    assert_eq!(occurrences(&out.stderr, "duplicate-path"), 2, "{}", out.stderr);
    assert_ne!(out.code, writ::cli::EXIT_INVALID, "{}", out.stderr);
}

#[cfg(unix)]
#[test]
fn a_fifo_behind_a_fact_file_name_is_refused_not_opened() {
    for name in ["pipe.json", "pipe.ndjson", "pipe.xlsx"] {
        let dir = fact_folder(&format!("hostile-fifo-{name}"));
        let status = std::process::Command::new("mkfifo").arg(dir.join(name)).status().expect("mkfifo runs");
        assert!(status.success());
        let out = eval_paths(&format!("folders: a FIFO named {name}"), vec![dir.clone()], writ::cli::Format::Human);
        assert_eq!(out.code, writ::cli::EXIT_INVALID, "{}", out.stderr);
        assert!(out.stderr.contains("not-a-file") && out.stderr.contains("FIFO"), "{}", out.stderr);
        // Named on its own, too.
        let out = eval_paths("folders: a FIFO named directly", vec![dir.join(name)], writ::cli::Format::Human);
        assert!(out.stderr.contains("not-a-file"), "{}", out.stderr);
    }
}

#[cfg(unix)]
#[test]
fn dev_zero_behind_a_fact_file_name_is_refused() {
    for name in ["zero.json", "zero.ndjson", "zero.csv"] {
        let dir = fact_folder(&format!("hostile-dev-zero-{name}"));
        std::os::unix::fs::symlink("/dev/zero", dir.join(name)).unwrap();
        let out = eval_paths(&format!("folders: /dev/zero as {name}"), vec![dir], writ::cli::Format::Human);
        assert_eq!(out.code, writ::cli::EXIT_INVALID, "{}", out.stderr);
        assert!(out.stderr.contains("not-a-file") && out.stderr.contains("a device"), "{}", out.stderr);
    }
}

#[test]
fn a_fact_file_past_the_size_limit_is_not_read() {
    let dir = fact_folder("hostile-huge-json");
    // A sparse file: 1 GiB and a byte, without writing them.
    let f = std::fs::File::create(dir.join("huge.json")).unwrap();
    f.set_len((1 << 30) + 1).unwrap();
    let out = eval_paths("folders: a JSON file past 1 GiB", vec![dir], writ::cli::Format::Human);
    assert_eq!(out.code, writ::cli::EXIT_INVALID, "{}", out.stderr);
    assert!(out.stderr.contains("file-too-large"), "{}", out.stderr);
}

#[cfg(unix)]
#[test]
fn policy_folder_with_a_symlink_loop_and_a_fifo() {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("hostile-policy-loop");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    for entry in std::fs::read_dir("policies/yangquan-2019").unwrap() {
        let p = entry.unwrap().path();
        if p.is_file() {
            std::fs::copy(&p, dir.join(p.file_name().unwrap())).unwrap();
        }
    }
    std::os::unix::fs::symlink(".", dir.join("loop")).unwrap();
    let out =
        timed("folders: a policy package with a symlink loop", || writ::cli::check(&dir, writ::cli::Style::default()));
    assert_eq!(out.code, writ::cli::EXIT_OK, "{}", out.stderr);
    assert_eq!(occurrences(&out.stderr, "duplicate-path"), 1, "{}", out.stderr);
    assert!(!out.stderr.contains("duplicate-definition"), "{}", out.stderr);
    let status = std::process::Command::new("mkfifo").arg(dir.join("pipe.writ")).status().expect("mkfifo runs");
    assert!(status.success());
    let (tx, rx) = std::sync::mpsc::channel();
    let d = dir.clone();
    std::thread::spawn(move || {
        let _ = tx.send(writ::cli::check(&d, writ::cli::Style::default()));
    });
    let out = rx.recv_timeout(std::time::Duration::from_secs(60)).expect("`writ check` finishes");
    assert_eq!(out.code, writ::cli::EXIT_INVALID, "{}", out.stderr);
    assert!(out.stderr.contains("not-a-file"), "{}", out.stderr);
}

/// A workbook whose sheet holds `merges` merged ranges, each over the whole used area: Excel
/// never writes overlapping merges, but a file need not come from Excel.
fn xlsx_with_overlapping_merges(merges: usize, area: &str, far: (u32, u16)) -> Vec<u8> {
    use std::io::{Read, Write};
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet().set_name("工業爐窯").unwrap();
    sheet.write_string(0, 0, "編號").unwrap();
    sheet.write_string(1, 0, "K1").unwrap();
    sheet.write_string(far.0, far.1, "x").unwrap();
    let bytes = book.save_to_buffer().unwrap();
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for i in 0..zip.len() {
        let mut entry = zip.by_index(i).unwrap();
        let name = entry.name().unwrap().to_string();
        let mut data = Vec::new();
        entry.read_to_end(&mut data).unwrap();
        if name == "xl/worksheets/sheet1.xml" {
            let text = String::from_utf8(data).unwrap();
            let merged = format!(
                "<mergeCells count=\"{merges}\">{}</mergeCells>",
                format!("<mergeCell ref=\"{area}\"/>").repeat(merges)
            );
            let at = text.find("<pageMargins").unwrap();
            data = format!("{}{merged}{}", &text[..at], &text[at..]).into_bytes();
        }
        out.start_file(name, zip::write::SimpleFileOptions::default()).unwrap();
        out.write_all(&data).unwrap();
    }
    out.finish().unwrap().into_inner()
}

#[test]
fn xlsx_overlapping_merged_ranges_are_bounded() {
    let m = model();
    let schema = Schema::of(&m);
    let path: Arc<str> = Arc::from("merges.xlsx");
    // 10,000 merges over a used area of 100 × 10,000 cells: 10 billion cells to fill.
    let content = facts::decode(&path, xlsx_with_overlapping_merges(10_000, "A1:CV10000", (9_999, 99))).unwrap();
    let ff = timed("facts: 10,000 merges over 1,000,000 cells each", || facts::parse_content(&schema, &path, &content));
    assert_eq!(codes(&ff.diagnostics), ["sheet-too-large"]);
    assert!(ff.diagnostics[0].message.contains("merged ranges cover"), "{}", ff.diagnostics[0].message);
    assert!(ff.rows.is_empty());
    // A merge reaching past the used area is cut to it: the table stays as large as its cells.
    let content = facts::decode(&path, xlsx_with_overlapping_merges(1, "A2:XFD1048576", (2, 1))).unwrap();
    let ff = timed("facts: a merge over the whole sheet", || facts::parse_content(&schema, &path, &content));
    assert!(!codes(&ff.diagnostics).contains(&"sheet-too-large"), "{:#?}", ff.diagnostics);
}

#[cfg(unix)]
#[test]
fn a_folder_holding_only_a_symlink_loop_has_no_facts() {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("hostile-only-a-loop");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::os::unix::fs::symlink(".", dir.join("loop")).unwrap();
    let out = eval_paths("folders: only a symlink loop", vec![dir], writ::cli::Format::Human);
    assert_eq!(out.code, writ::cli::EXIT_INVALID, "{}", out.stderr);
    assert!(out.stderr.contains("empty-facts") && out.stderr.contains("duplicate-path"), "{}", out.stderr);
}
