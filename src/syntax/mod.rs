//! Policy text → AST. Knows nothing about salsa, units, types or facts.
//!
//! pest stops at the first syntax error of a file, so [`parse`] returns either a module or one
//! diagnostic whose message says what was expected in words, never in grammar rule names.

pub mod ast;
pub mod keywords;
mod lower;
mod shift;

use crate::diagnostic::{Diagnostic, Span};
use pest::Parser as _;
use std::sync::Arc;

#[derive(pest_derive::Parser)]
#[grammar = "grammar/writ.pest"]
pub(crate) struct WritParser;

/// Parses one policy file. pest stops at the first syntax error; to report more than one and
/// keep the declarations of the rest of the file, the item holding the error is blanked out
/// (offsets kept) and the file is parsed again.
pub fn parse(file: &Arc<str>, text: &str) -> (ast::Module, Vec<Diagnostic>) {
    const MAX_ERRORS: usize = 20;
    if let Some(d) = check_depth(file, text) {
        return (ast::Module::default(), vec![d]);
    }
    let (mut diags, current) = scan_text(file, text);
    let mut current = match current {
        Some(t) => std::borrow::Cow::Owned(t),
        None => std::borrow::Cow::Borrowed(text),
    };
    loop {
        match WritParser::parse(Rule::file, &current) {
            Ok(mut pairs) => {
                let file_pair = pairs.next().expect("grammar: a successful parse yields `file`");
                let mut module = lower::module(file_pair);
                check_expression_depth(file, &mut module, &mut diags);
                return (module, diags);
            }
            Err(e) => {
                let d = syntax_error(file, &current, e);
                let at = d.primary_span().start as usize;
                diags.push(d);
                match item_around(&current, at) {
                    Some((a, b)) if diags.len() < MAX_ERRORS => {
                        current = std::borrow::Cow::Owned(blank(&current, a, b))
                    }
                    _ => return (ast::Module::default(), diags),
                }
            }
        }
    }
}

/// Where the top-level items of a text start: the lines that begin with an item word (an item
/// keyword in any spelling, `outline` or `untestable`) and a space or tab. A line inside a
/// multi-line string may look like one; whoever splits a text here must check that the pieces
/// parse.
fn item_starts(text: &str) -> Vec<usize> {
    let mut starts = Vec::new();
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let word_len = line.find(|c: char| !c.is_alphabetic()).unwrap_or(line.len());
        if word_len > 0 && keywords::is_item_word(&line[..word_len]) && line[word_len..].starts_with([' ', '\t']) {
            starts.push(offset);
        }
        offset += line.len();
    }
    starts
}

/// The byte range of the top-level item around `at`: from the start of the line that begins it
/// to the start of the next item (or the end of the file). `None` when nothing can be skipped.
fn item_around(text: &str, at: usize) -> Option<(usize, usize)> {
    let starts = item_starts(text);
    let start = starts.iter().rev().find(|&&s| s <= at).copied().unwrap_or(0);
    let end = starts.iter().find(|&&s| s > at).copied().unwrap_or(text.len());
    (start < end && !text[start..end].trim().is_empty()).then_some((start, end))
}

/// A text cut into pieces of one top-level item each (the first piece also holds what comes
/// before the first item: comments, blank lines), as byte ranges covering the whole text.
pub fn item_pieces(text: &str) -> Vec<(usize, usize)> {
    let mut cuts = item_starts(text);
    if cuts.first() != Some(&0) {
        cuts.insert(0, 0);
    }
    cuts.iter().enumerate().map(|(i, &a)| (a, cuts.get(i + 1).copied().unwrap_or(text.len()))).collect()
}

/// One piece of a file (see [`item_pieces`]) parsed on its own, spans counted from the start
/// of the piece; `None` when it does not parse as it stands.
pub fn parse_piece(piece: &str) -> Option<ast::Module> {
    let mut pairs = WritParser::parse(Rule::file, piece).ok()?;
    let mut module = lower::module(pairs.next()?);
    // An expression nested too deep is cut out here (it must not be cloned or compared, which
    // recurse), and the file parsed whole reports it.
    let mut deep = Vec::new();
    check_expression_depth(&Arc::from(""), &mut module, &mut deep);
    deep.is_empty().then_some(module)
}

/// [`parse`], one item at a time: each piece of the file is parsed by `piece`, which gives
/// what [`parse_piece`] gives (and may remember pieces it has parsed before, so that an edit
/// parses only the item it touched), and
/// the items are put together with their spans moved to the file's offsets. The result is the
/// same as [`parse`]'s: a file with anything to report (text that needs a warning, a piece that
/// does not parse on its own) is parsed whole by [`parse`].
pub fn parse_by_items(
    file: &Arc<str>,
    text: &str,
    mut piece: impl FnMut(&str) -> Option<ast::Module>,
) -> (ast::Module, Vec<Diagnostic>) {
    if check_depth(file, text).is_some() {
        return parse(file, text);
    }
    let (diags, current) = scan_text(file, text);
    if !diags.is_empty() || current.is_some() {
        return parse(file, text);
    }
    let mut module = ast::Module::default();
    for (a, b) in item_pieces(text) {
        let Some(mut m) = piece(&text[a..b]) else { return parse(file, text) };
        if a > 0 {
            m.shift(a as u32);
        }
        module.items.append(&mut m.items);
    }
    // Every piece passed `parse_piece`'s depth check, so there is nothing more to report.
    (module, Vec::new())
}

/// The text with `[a, b)` replaced by spaces, newlines kept, so every offset stays valid.
fn blank(text: &str, a: usize, b: usize) -> String {
    let mut out = String::with_capacity(text.len());
    out.push_str(&text[..a]);
    for c in text[a..b].chars() {
        if c == '\n' {
            out.push('\n');
        } else {
            out.extend(std::iter::repeat_n(' ', c.len_utf8()));
        }
    }
    out.push_str(&text[b..]);
    out
}

/// The ASCII double quote, written as a code point: a lone quote in a character literal would
/// put every scanner that pairs quotes in this file (`tests/docs.rs`) out of step.
const QUOTE: char = '\u{22}';

/// The escapes writ reads in `"…"` text, for messages.
const ESCAPES: &str = "`\\n`, `\\t`, `\\\u{22}` and `\\\\`";

/// Finds what pest would report badly or not at all, before it parses: text left open at the
/// end of its line, escapes writ does not know, bidirectional control characters anywhere (the
/// Trojan Source pattern: an editor shows the line in another order than writ reads it), and
/// invisible characters. Each gets a diagnostic at the character itself.
///
/// Returns the diagnostics, and, when there were any, the text to parse instead: a bad
/// character or escape replaced (offsets kept) so that pest does not report it again, and an
/// item with an unclosed text blanked out as a syntax error blanks it, so the rest of the file
/// is still checked.
fn scan_text(file: &Arc<str>, text: &str) -> (Vec<Diagnostic>, Option<String>) {
    use crate::text::{describe, is_bidi, is_invisible, shown};
    #[derive(Clone, Copy, PartialEq)]
    enum In {
        Code,
        Ascii(usize),
        Cjk(usize),
        Comment,
    }
    let mut diags = Vec::new();
    // Places to overwrite with a text of the same length, and places whose items are blanked.
    let mut patches: Vec<(usize, String)> = Vec::new();
    let mut blank_at: Vec<usize> = Vec::new();
    let mut state = In::Code;
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let span = Span::new(i, i + c.len_utf8());
        let place = match state {
            In::Code => "the policy's code",
            In::Ascii(_) | In::Cjk(_) => "text",
            In::Comment => "a comment",
        };
        if is_bidi(c) {
            diags.push(
                Diagnostic::error("bidi-control", file, span, format!("{} in {place}", describe(c)))
                    .with_label("a bidirectional control character is here")
                    .with_help(format!(
                        "delete it: it makes an editor show this line in another order than writ reads it \
                         (the Trojan Source pattern); a policy never needs {}",
                        describe(c)
                    )),
            );
            patches.push((i, " ".repeat(c.len_utf8())));
            continue;
        }
        if is_invisible(c) && !(c == '\u{FEFF}' && i == 0) {
            match state {
                // Touching a name, it makes the name another one that looks the same: an error,
                // and the item is left out, as for a syntax error. Between words it changes
                // nothing writ reads: a warning, and pest reads it as a space.
                In::Code => {
                    let word = |x: Option<char>| x.is_some_and(|x| x.is_alphanumeric() || x == '_');
                    let touching = word(text[..i].chars().next_back()) || word(chars.peek().map(|&(_, n)| n));
                    let d = if touching {
                        blank_at.push(i);
                        // The whole name around it, as written and as it reads on screen.
                        let part = |x: char| x.is_alphanumeric() || x == '_' || is_invisible(x);
                        let from =
                            text[..i].char_indices().rev().take_while(|&(_, x)| part(x)).last().map_or(i, |(j, _)| j);
                        let to = text[i..].char_indices().find(|&(_, x)| !part(x)).map_or(text.len(), |(j, _)| i + j);
                        let name = &text[from..to];
                        let seen: String = name.chars().filter(|&x| !is_invisible(x)).collect();
                        Diagnostic::error(
                            "invisible-character",
                            file,
                            span,
                            format!("the name `{}` holds the invisible character {}", shown(name), describe(c)),
                        )
                        .with_help(format!(
                            "delete it: names are matched exactly, so `{}` is another name than `{seen}`, which \
                             it looks like",
                            shown(name)
                        ))
                    } else {
                        patches.push((i, " ".repeat(c.len_utf8())));
                        Diagnostic::warning(
                            "invisible-character",
                            file,
                            span,
                            format!("invisible character {}", describe(c)),
                        )
                        .with_help(
                            "delete it: it shows nothing, and a character that shows nothing can hide a difference",
                        )
                    };
                    diags.push(d.with_label("an invisible character is here"));
                }
                In::Ascii(_) | In::Cjk(_) => diags.push(
                    Diagnostic::warning(
                        "invisible-character",
                        file,
                        span,
                        format!("text holds the invisible character {}", describe(c)),
                    )
                    .with_label("an invisible character is here")
                    .with_help(
                        "delete it unless it is meant: text is matched exactly, so a key with it does not \
                             match the same key without it",
                    ),
                ),
                In::Comment => {}
            }
            continue;
        }
        match state {
            In::Comment => {
                if c == '\n' {
                    state = In::Code;
                }
            }
            In::Ascii(open) | In::Cjk(open) if c == '\n' || c == '\r' => {
                let close = if matches!(state, In::Ascii(_)) { "\u{22}" } else { "”" };
                diags.push(
                    Diagnostic::error("unterminated-string", file, Span::new(open, open + text[open..].chars().next().map_or(1, char::len_utf8)), "unterminated string")
                        .with_label("this text is not closed on its line")
                        .with_help(format!(
                            "close it with `{close}` on the same line; text cannot run over a line break (write `\\n` for one)"
                        )),
                );
                blank_at.push(open);
                state = In::Code;
            }
            In::Ascii(_) if c == QUOTE => state = In::Code,
            In::Ascii(_) if c == '\\' => {
                let Some(&(_, n)) = chars.peek() else { continue };
                if matches!(n, QUOTE | '\\' | 'n' | 't') {
                    chars.next();
                    continue;
                }
                if n == '\n' || n == '\r' {
                    continue;
                }
                // The escape as written, as other languages read it: `\u6392` (four digits),
                // `\U0001F600` (eight), `\u{6392}`, `\x41` (two), or a backslash and one character.
                let rest = &text[i + 1..];
                let hex_len = |s: &str| s.chars().take_while(char::is_ascii_hexdigit).count();
                let (len, code) = match n {
                    'u' | 'U' if rest[1..].starts_with('{') => {
                        let h = hex_len(&rest[2..]);
                        let closed = rest[2 + h..].starts_with('}');
                        (2 + h + usize::from(closed), u32::from_str_radix(&rest[2..2 + h], 16).ok())
                    }
                    'u' | 'U' | 'x' => {
                        let h = hex_len(&rest[1..]).min(match n {
                            'x' => 2,
                            'u' => 4,
                            _ => 8,
                        });
                        (1 + h, u32::from_str_radix(&rest[1..1 + h], 16).ok())
                    }
                    n => (n.len_utf8(), None),
                };
                let written = &text[i..i + 1 + len];
                let help = match code.and_then(char::from_u32) {
                    Some(ch) => format!(
                        "write the character itself (`{}`); writ's escapes are {ESCAPES}",
                        shown(&ch.to_string())
                    ),
                    None => format!("write the character itself; writ's escapes are {ESCAPES}"),
                };
                diags.push(
                    Diagnostic::error(
                        "unsupported-escape",
                        file,
                        Span::new(i, i + 1 + len),
                        format!("unsupported escape `{}` in text", shown(written)),
                    )
                    .with_label("writ does not know this escape")
                    .with_help(help),
                );
                patches.push((i, " ".into()));
            }
            In::Cjk(_) if c == '”' => state = In::Code,
            // A control character in text is never meant (a tab is written `\t`): it would be
            // quoted in every verdict of the clause, and reports show it only as an escape.
            In::Ascii(_) | In::Cjk(_) if c.is_control() => diags.push(
                Diagnostic::warning(
                    "control-character",
                    file,
                    span,
                    format!("text holds the control character {}", describe(c)),
                )
                .with_label("a control character is here")
                .with_help("delete it; write a tab as `\\t` and a line break as `\\n`"),
            ),
            In::Ascii(_) | In::Cjk(_) => {}
            In::Code => match c {
                QUOTE => state = In::Ascii(i),
                '“' => state = In::Cjk(i),
                '/' if chars.peek().is_some_and(|&(_, n)| n == '/') => state = In::Comment,
                _ => {}
            },
        }
    }
    if let In::Ascii(open) | In::Cjk(open) = state {
        let close = if matches!(state, In::Ascii(_)) { "\u{22}" } else { "”" };
        diags.push(
            Diagnostic::error(
                "unterminated-string",
                file,
                Span::new(open, open + text[open..].chars().next().map_or(1, char::len_utf8)),
                "unterminated string",
            )
            .with_label("this text is not closed before the end of the file")
            .with_help(format!("close it with `{close}` on the same line")),
        );
        blank_at.push(open);
    }
    // A file of a million override characters gets a hundred diagnostics and a count.
    const MAX_SHOWN: usize = 100;
    if diags.len() > MAX_SHOWN {
        let rest = diags.split_off(MAX_SHOWN);
        let d = Diagnostic::warning(
            "too-many-errors",
            file,
            rest[0].primary_span(),
            format!("{} more diagnostics like these in this file were not shown", rest.len()),
        )
        .with_label("the first one not shown is here")
        .with_help(format!("only the first {MAX_SHOWN} are shown; fix these and check again"));
        diags.push(d);
    }
    if patches.is_empty() && blank_at.is_empty() {
        return (diags, None);
    }
    let mut out = text.to_string();
    for (at, fill) in patches {
        out.replace_range(at..at + fill.len(), &fill);
    }
    for open in blank_at {
        if let Some((a, b)) = item_around(&out, open) {
            out = blank(&out, a, b);
        }
    }
    (diags, Some(out))
}

/// How deep brackets and `if`/`match` expressions together, runs of prefix operators
/// (`not not …`, `- - …`) and expressions may nest.
/// Parsing, checking and evaluating recurse once per level; past this, a policy is refused with
/// a clean diagnostic instead of overflowing the stack.
pub const MAX_DEPTH: usize = 64;

/// Words after which no `if` or `match` expression begun before them can still be open: they
/// start a statement or an item, or end an expression (`where`, `by`). An `if` has no closing
/// word, so these (and `,` `;` `:` `=>`) are where its nesting ends, as far as text can tell.
/// Only reserved words are listed, and `plan` is not (`plan.start` is an expression); a word
/// after `.` is an attribute (`plan.period`), never one of these.
const EXPRESSION_ENDS: &[&str] = &[
    "must",
    "should",
    "let",
    "cite",
    "during",
    "unless",
    "for",
    "otherwise",
    "every",
    "expect",
    "fact",
    "as_of",
    "where",
    "by",
    "before",
    "party",
    "group",
    "unit",
    "enum",
    "record",
    "period",
    "calendar",
    "sanction",
    "rule",
    "table",
    "clause",
    "test",
];

/// pest's recursive descent would overflow the stack on deeply nested brackets, long runs of
/// prefix operators and long chains of `if … else if …` (an `if` recurses like a bracket but has
/// no closing mark); refuse them up front. Text in `"…"` and `“…”` and comments is skipped.
///
/// An `if` or `match` counts as one level from its word until the bracket around it closes or
/// a word or mark that cannot be inside it ([`EXPRESSION_ENDS`], `,`, `;`, `:`, `=>`) ends the
/// expression: every `if` pest can be inside at a point is counted, so the count bounds pest's
/// recursion whether or not the text parses.
fn check_depth(file: &Arc<str>, text: &str) -> Option<Diagnostic> {
    #[derive(PartialEq)]
    enum In {
        Code,
        Ascii,
        Cjk,
        Comment,
    }
    let too_deep = |at: usize, len: usize, what: &str, label: &str| {
        Some(
            Diagnostic::error(
                "nesting-too-deep",
                file,
                Span::new(at, at + len),
                format!("{what} nest more than {MAX_DEPTH} levels deep"),
            )
            .with_label(label.to_string())
            .with_help("split the expression with `let` bindings or a `rule`"),
        )
    };
    let mut depth = 0usize;
    // Open `if`s and `match`es per bracket level (the first is outside any bracket), and their sum.
    let mut open_ifs: Vec<usize> = vec![0];
    let mut ifs = 0usize;
    let mut state = In::Code;
    let mut escaped = false;
    // The current run of prefix operators: its start and length.
    let mut run = (0usize, 0usize);
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match state {
            In::Comment => {
                if c == '\n' {
                    state = In::Code;
                }
                continue;
            }
            In::Ascii => {
                if escaped {
                    escaped = false;
                } else if c == '\\' {
                    escaped = true;
                } else if c == '"' {
                    state = In::Code;
                }
                continue;
            }
            In::Cjk => {
                if c == '”' {
                    state = In::Code;
                }
                continue;
            }
            In::Code => {}
        }
        // A prefix operator: `not` as a word, or a minus sign. Whitespace does not end a run.
        let not_word = c == 'n'
            && text[i..].starts_with("not")
            && !text[i + 3..].starts_with(|x: char| x.is_alphanumeric() || x == '_')
            && !text[..i].ends_with(|x: char| x.is_alphanumeric() || x == '_');
        if not_word || c == '-' || c == '－' {
            if run.1 == 0 {
                run.0 = i;
            }
            run.1 += 1;
            if run.1 > MAX_DEPTH {
                return too_deep(run.0, c.len_utf8(), "prefix operators", "this run of `not`/`-` is too long");
            }
            if not_word {
                chars.next();
                chars.next();
            }
            continue;
        }
        if !c.is_whitespace() {
            run.1 = 0;
        }
        let is_ident = |x: char| x.is_alphanumeric() || x == '_';
        if c.is_ascii_alphabetic() && !text[..i].ends_with(is_ident) {
            let word = &text[i..i + text[i..].find(|x: char| !is_ident(x)).unwrap_or(text.len() - i)];
            if word == "if" || word == "match" {
                *open_ifs.last_mut().expect("one level at least") += 1;
                ifs += 1;
                if depth + ifs > MAX_DEPTH {
                    return too_deep(i, word.len(), "`if`/`match` expressions and brackets", "this is too deep");
                }
            } else if EXPRESSION_ENDS.contains(&word) && !text[..i].trim_end().ends_with('.') {
                ifs -= std::mem::take(open_ifs.last_mut().expect("one level at least"));
            }
            // The rest of the word is not the start of another.
            for _ in word.chars().skip(1) {
                chars.next();
            }
            continue;
        }
        match c {
            '"' => state = In::Ascii,
            '“' => state = In::Cjk,
            '/' if chars.peek().is_some_and(|&(_, n)| n == '/') => state = In::Comment,
            '(' | '[' | '{' | '（' | '［' | '｛' => {
                depth += 1;
                open_ifs.push(0);
                if depth + ifs > MAX_DEPTH {
                    let what = if ifs == 0 { "brackets" } else { "brackets and `if`/`match` expressions" };
                    return too_deep(i, c.len_utf8(), what, "this bracket is too deep");
                }
            }
            ')' | ']' | '}' | '）' | '］' | '｝' if depth > 0 => {
                depth -= 1;
                ifs -= open_ifs.pop().unwrap_or(0);
            }
            ',' | '，' | '、' | ';' | '；' | ':' | '：' | '⇒' => {
                ifs -= std::mem::take(open_ifs.last_mut().expect("one level at least"));
            }
            '=' if chars.peek().is_some_and(|&(_, n)| n == '>') => {
                ifs -= std::mem::take(open_ifs.last_mut().expect("one level at least"));
            }
            _ => {}
        }
    }
    None
}

/// Items whose expressions nest deeper than [`MAX_DEPTH`] (a long chain of `+` or `and` is
/// nested once per operator) are refused: checking and evaluating recurse once per level.
/// The depth is measured without recursion, so any input is safe to measure.
/// An item refused here is taken apart without recursion ([`ast::drop_deep`]): dropping,
/// cloning or comparing it would recurse once per level.
fn check_expression_depth(file: &Arc<str>, module: &mut ast::Module, diags: &mut Vec<Diagnostic>) {
    let too_deep = |item: &ast::Item| {
        let mut roots: Vec<&ast::Expr> = Vec::new();
        item_exprs(item, &mut roots);
        for root in roots {
            let mut stack = vec![(root, 1usize)];
            while let Some((e, d)) = stack.pop() {
                if d > MAX_DEPTH {
                    return Some(e.span);
                }
                ast::children(e, &mut |c| stack.push((c, d + 1)));
            }
        }
        None
    };
    let items = std::mem::take(&mut module.items);
    for mut item in items {
        match too_deep(&item) {
            None => module.items.push(item),
            Some(span) => {
                diags.push(
                    Diagnostic::error("nesting-too-deep", file, span, format!("this expression nests more than {MAX_DEPTH} levels deep"))
                        .with_label("too deep")
                        .with_help("a long chain of `+` or `and` nests once per operator: split it with `let` bindings or a `rule`"),
                );
                item_exprs_mut(&mut item, &mut |e| ast::drop_deep(std::mem::replace(e, ast::Expr::placeholder())));
            }
        }
    }
}

/// Every top-level expression of an item, mutably: the same roots as [`item_exprs`].
fn item_exprs_mut(item: &mut ast::Item, f: &mut impl FnMut(&mut ast::Expr)) {
    fn stmts(ss: &mut [ast::Stmt], f: &mut impl FnMut(&mut ast::Expr)) {
        for s in ss {
            match s {
                ast::Stmt::During(e) | ast::Stmt::Unless(e, _) => f(e),
                ast::Stmt::Let(l) => f(&mut l.value),
                ast::Stmt::Require(r) => {
                    f(&mut r.condition);
                    if let Some((_, d)) = &mut r.deadline {
                        f(d);
                    }
                }
                ast::Stmt::Otherwise { on: Some(e), .. } => f(e),
                ast::Stmt::Role { fields, .. } => fields.iter_mut().for_each(&mut *f),
                ast::Stmt::For(x) => {
                    x.keys.iter_mut().flatten().for_each(&mut *f);
                    x.filter.iter_mut().for_each(&mut *f);
                    x.unless.iter_mut().for_each(|(e, _)| f(e));
                    stmts(&mut x.body, f);
                }
                ast::Stmt::Every(x) => {
                    f(&mut x.of);
                    stmts(&mut x.body, f);
                }
                _ => {}
            }
        }
    }
    match item {
        ast::Item::Clause(c) => stmts(&mut c.body, f),
        ast::Item::Rule(r) => {
            r.lets.iter_mut().for_each(|l| f(&mut l.value));
            f(&mut r.body);
        }
        ast::Item::Table(t) => {
            for row in &mut t.rows {
                if let ast::RowValue::Value(v) = &mut row.value {
                    f(v);
                }
                for p in &mut row.patterns {
                    if let ast::Pattern::Cmp(_, e) | ast::Pattern::Eq(e) = p {
                        f(e);
                    }
                }
            }
        }
        ast::Item::Test(t) => {
            t.facts.iter_mut().for_each(|x| x.fields.iter_mut().for_each(|(_, e)| f(e)));
            t.expects.iter_mut().for_each(|x| x.keys.iter_mut().flatten().for_each(&mut *f));
        }
        _ => {}
    }
}

/// Every top-level expression of an item.
fn item_exprs<'a>(item: &'a ast::Item, out: &mut Vec<&'a ast::Expr>) {
    fn stmts<'a>(ss: &'a [ast::Stmt], out: &mut Vec<&'a ast::Expr>) {
        for s in ss {
            match s {
                ast::Stmt::During(e) | ast::Stmt::Unless(e, _) => out.push(e),
                ast::Stmt::Let(l) => out.push(&l.value),
                ast::Stmt::Require(r) => {
                    out.push(&r.condition);
                    if let Some((_, d)) = &r.deadline {
                        out.push(d);
                    }
                }
                ast::Stmt::Otherwise { on: Some(e), .. } => out.push(e),
                ast::Stmt::Role { fields, .. } => out.extend(fields.iter()),
                ast::Stmt::For(f) => {
                    out.extend(f.keys.iter().flatten());
                    out.extend(f.filter.iter());
                    out.extend(f.unless.iter().map(|(e, _)| e));
                    stmts(&f.body, out);
                }
                ast::Stmt::Every(e) => {
                    out.push(&e.of);
                    stmts(&e.body, out);
                }
                _ => {}
            }
        }
    }
    match item {
        ast::Item::Clause(c) => stmts(&c.body, out),
        ast::Item::Rule(r) => {
            out.extend(r.lets.iter().map(|l| &l.value));
            out.push(&r.body);
        }
        ast::Item::Table(t) => {
            for row in &t.rows {
                if let ast::RowValue::Value(v) = &row.value {
                    out.push(v);
                }
                for p in &row.patterns {
                    if let ast::Pattern::Cmp(_, e) | ast::Pattern::Eq(e) = p {
                        out.push(e);
                    }
                }
            }
        }
        ast::Item::Test(t) => {
            out.extend(t.facts.iter().flat_map(|f| f.fields.iter().map(|(_, e)| e)));
            out.extend(t.expects.iter().flat_map(|x| x.keys.iter().flatten()));
        }
        _ => {}
    }
}

fn syntax_error(file: &Arc<str>, text: &str, e: pest::error::Error<Rule>) -> Diagnostic {
    use pest::error::{ErrorVariant, InputLocation};
    let mut pos = match e.location {
        InputLocation::Pos(p) => p,
        InputLocation::Span((s, _)) => s,
    };
    let mut expected: Vec<String> = match &e.variant {
        ErrorVariant::ParsingError { positives, .. } => {
            positives.iter().filter_map(describe).map(str::to_string).collect()
        }
        ErrorVariant::CustomError { .. } => vec![],
    };
    let word: String = text[pos..].chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
    // pest reports a failure inside an item at the item's start when what is missing is
    // punctuation (its rules are silent): "expected `plan`, found `plan`". Parsed again with
    // pest's detailed tracking, the error is where the parse got furthest, with the tokens
    // that would have continued it.
    if !word.is_empty() && expected.iter().any(|x| x.contains(&format!("`{word}`"))) {
        match furthest_attempt(text) {
            Some((at, tokens)) if at > pos => {
                pos = at;
                expected = tokens;
            }
            // Nothing better is known: at least do not say that `plan` was expected there.
            _ => {
                return Diagnostic::error(
                    "syntax-error",
                    file,
                    Span::new(pos, pos + word.len()),
                    format!("this `{word}` item cannot be read"),
                )
                .with_label("the mistake is inside this item")
                .with_help("check the item's punctuation: `{ … }`, quotes, and `,` between entries");
            }
        }
    }
    let found = text[pos..].chars().next();
    let end = pos + found.map(char::len_utf8).unwrap_or(0);
    // pest stops by itself when its stack runs low, a backstop behind `check_depth`: a shape
    // nested too deep for the stack, not a mistake at the place where it stopped.
    if let ErrorVariant::CustomError { message } = &e.variant
        && message.contains("limit reached")
    {
        return Diagnostic::error(
            "nesting-too-deep",
            file,
            Span::new(pos, end),
            "this text nests too deeply to be read",
        )
        .with_label("the parser ran out of stack here")
        .with_help("split the expression with `let` bindings or a `rule`");
    }
    let found_text = match found {
        None => "end of file".to_string(),
        Some(c) if c.is_whitespace() => "whitespace".to_string(),
        Some(_) => {
            let word: String = text[pos..].chars().take_while(|c| c.is_alphanumeric() || *c == '_').take(24).collect();
            format!("`{}`", crate::text::shown(&if word.is_empty() { found.unwrap().to_string() } else { word }))
        }
    };
    expected.sort();
    expected.dedup();
    let word: String = text[pos..].chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
    if expected.iter().any(|x| x == "a name") && is_keyword(&word) {
        return Diagnostic::error(
            "syntax-error",
            file,
            Span::new(pos, pos + word.len()),
            format!("`{word}` is a reserved word and cannot be a name"),
        )
        .with_label("reserved word")
        .with_help(format!(
            "choose another name, such as `{word}_` or a Chinese one; the reserved words are {}",
            keywords().into_iter().filter(|k| k.is_ascii() == word.is_ascii()).collect::<Vec<_>>().join(", ")
        ));
    }
    let expected: Vec<&str> = expected.iter().map(String::as_str).collect();
    let help = hint(found, &expected);
    let message = if expected.is_empty() {
        format!("unexpected {found_text}")
    } else {
        format!("expected {}, found {found_text}", join_or(&expected))
    };
    let mut d = Diagnostic::error("syntax-error", file, Span::new(pos, end.max(pos)), message).with_label(
        if expected.is_empty() { "not understood".into() } else { format!("expected {}", join_or(&expected)) },
    );
    d.help = Some(help);
    d
}

/// Parses `text` again with pest's detailed error tracking, which records the literal tokens
/// tried where the parse got furthest, silent rules included. Returns that place and those
/// tokens as a message names them (`` `{` ``), leaving out the whitespace and comment openers
/// that could come anywhere and the full-width twins of ASCII punctuation.
fn furthest_attempt(text: &str) -> Option<(usize, Vec<String>)> {
    pest::set_error_detail(true);
    let result = WritParser::parse(Rule::file, text);
    pest::set_error_detail(false);
    let attempts = result.err()?.parse_attempts()?;
    let tokens: Vec<String> = attempts
        .expected_tokens()
        .iter()
        .map(|t| t.to_string())
        .filter(|t| !t.is_empty() && t.is_ascii() && !t.trim().is_empty() && t != "//")
        // Character ranges (`0..9`), built-in rules and single letters or digits are pieces of
        // names and numbers, which the message already names better, or not at all.
        .filter(|t| !(t.len() == 4 && &t[1..3] == "..") && t != "BUILTIN_RULE")
        .filter(|t| !(t.len() == 1 && t.chars().all(|c| c.is_ascii_alphanumeric())))
        .map(|t| format!("`{t}`"))
        .collect();
    (!tokens.is_empty()).then_some((attempts.max_position, tokens))
}

fn is_keyword(word: &str) -> bool {
    keywords::is_reserved(word)
}

/// The reserved words of the grammar (`keyword` in writ.pest), in every spelling, for messages.
fn keywords() -> Vec<&'static str> {
    keywords::reserved().collect()
}

fn join_or(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [a] => a.to_string(),
        [init @ .., last] => format!("{} or {}", init.join(", "), last),
    }
}

fn hint(found: Option<char>, expected: &[&str]) -> String {
    match found {
        Some(c @ ('。' | '！' | '？' | '《' | '》' | '‘' | '’' | '【' | '】' | '；')) => {
            format!("`{c}` is full-width punctuation that writ does not use here; write the ASCII form or remove it")
        }
        Some('\'') => "text is written in double quotes: `\"…\"` or `“…”`".into(),
        None => "the file ends early: check that every `{` has a matching `}`".into(),
        _ if expected.contains(&"`}`") => "check for a missing `}` or a misspelt keyword".into(),
        _ => "see the language reference in README.md for the form of each item".into(),
    }
}

/// Friendly names for the rules pest can report as expected.
fn describe(r: &Rule) -> Option<&'static str> {
    Some(match r {
        Rule::EOI => "end of file",
        Rule::file | Rule::item => "an item (`plan`, `party`, `record`, `clause`, …)",
        Rule::plan => "`plan`",
        Rule::import | Rule::kw_import => "`import`",
        Rule::party => "`party`",
        Rule::group => "`group`",
        Rule::unit_decl => "`unit`",
        Rule::enum_decl => "`enum`",
        Rule::record => "`record`",
        Rule::period => "`period`",
        Rule::calendar => "`calendar`",
        Rule::sanction => "`sanction`",
        Rule::rule => "`rule`",
        Rule::table => "`table`",
        Rule::clause => "`clause`",
        Rule::test => "`test`",
        Rule::ident | Rule::ident_list | Rule::role_def => "a name",
        Rule::string | Rule::str_ascii | Rule::str_cjk | Rule::str_escape => "text in quotes",
        Rule::date | Rule::date_range => "a date (`2019-09-30`)",
        Rule::datetime => "a datetime (`2019-09-30T08:00`)",
        Rule::record_source => "`source`",
        Rule::source_missing | Rule::kw_missing => "`missing \"NA\", …`",
        Rule::source_ignore | Rule::kw_ignore => "`ignore \"COLUMN\", …`",
        Rule::source_column | Rule::source_stmt => "a column (`FIELD from \"COLUMN\"`)",
        Rule::kw_source => "`source`",
        Rule::record_from => "`from KIND by …`",
        Rule::record_group => "a group field (`NAME = EXPRESSION`)",
        Rule::derived_field => "a derived field (`NAME = EXPRESSION`)",
        Rule::derived_given => "`given CONDITION`",
        Rule::record_window | Rule::kw_over | Rule::kw_window => "`over FIELD window N hours`",
        Rule::window_unit => "`hours`, `minutes` or `days`",
        Rule::kw_from => "`from`",
        Rule::number | Rule::number_text => "a number",
        Rule::percent => "a percentage",
        Rule::quantity => "a quantity (`30 mg/m3`)",
        Rule::unit_expr | Rule::type_expr => "a unit or type",
        Rule::plan_period => "`period`",
        Rule::plan_issued => "`issued`",
        Rule::plan_roles => "`roles`",
        Rule::plan_default_role => "a plan-wide role (`implement PARTY in \"三\"`)",
        Rule::plan_calendar => "`calendar`",
        Rule::record_key => "`key FIELD`",
        Rule::record_dated => "`dated FIELD`",
        Rule::field => "a field (`name: type`)",
        Rule::field_range | Rule::range_low | Rule::range_high | Rule::field_cmp => {
            "a range (`in 0% .. 100%`, `>= 0 mg/m3`)"
        }
        Rule::bound_op => "a comparison (`>=`, `>`, `<=`, `<`)",
        Rule::bound_value => "a number, percentage, quantity or date",
        Rule::optional_mark => "`?`",
        Rule::calendar_entry | Rule::calendar_holiday | Rule::calendar_workday => "`holiday` or `workday`",
        Rule::params | Rule::param => "parameters in parentheses",
        Rule::table_row | Rule::table_patterns | Rule::table_pattern => "a table row (`PATTERN => VALUE`)",
        Rule::table_gap => "`because \"why\"`",
        Rule::wildcard => "`_`",
        Rule::cmp_op => "a comparison",
        Rule::cite => "`cite`",
        Rule::during => "`during`",
        Rule::unless_stmt | Rule::unless_clause => "`unless`",
        Rule::role_line => "a role line (`lead PARTY`)",
        Rule::role_target => "a party, a group or a field of the subject",
        Rule::for_block => "`for`",
        Rule::scope => "a record kind or group",
        Rule::where_clause => "`where`",
        Rule::let_stmt => "`let`",
        Rule::requirement | Rule::modality | Rule::must | Rule::must_not | Rule::should | Rule::should_not => {
            "`must` or `should`"
        }
        Rule::req_label => "a label",
        Rule::deadline | Rule::by | Rule::before | Rule::at => "`by`, `before` or `at`",
        Rule::otherwise => "`otherwise`",
        Rule::test_as_of => "`as_of`",
        Rule::test_fact => "`fact`",
        Rule::fact_field => "a field (`name: value`)",
        Rule::fact_literal => "an expression",
        Rule::test_expect => "`expect`",
        Rule::expr | Rule::postfix_expr | Rule::expr_list | Rule::call_arg => "an expression",
        Rule::field_access => "`.field`",
        Rule::op_not | Rule::op_neg => "an expression",
        Rule::op_or
        | Rule::op_and
        | Rule::op_in
        | Rule::op_not_in
        | Rule::op_le
        | Rule::op_ge
        | Rule::op_ne
        | Rule::op_eq
        | Rule::op_lt
        | Rule::op_gt
        | Rule::op_add
        | Rule::op_sub
        | Rule::op_mul
        | Rule::op_div => "an operator",
        Rule::paren => "`(`",
        Rule::list => "`[`",
        Rule::bool_true | Rule::bool_false => "`true` or `false`",
        Rule::call => "a call",
        Rule::call_during => "`during`",
        Rule::if_expr => "`if`",
        Rule::match_expr => "`match`",
        Rule::match_arm | Rule::match_pattern => "a match arm (`VARIANT => VALUE`)",
        Rule::keyword => "a keyword",
        Rule::kw_plan => "`plan`",
        Rule::kw_party => "`party`",
        Rule::kw_group => "`group`",
        Rule::kw_unit => "`unit`",
        Rule::kw_enum => "`enum`",
        Rule::kw_record => "`record`",
        Rule::kw_period => "`period`",
        Rule::kw_calendar => "`calendar`",
        Rule::kw_sanction => "`sanction`",
        Rule::kw_rule => "`rule`",
        Rule::kw_table => "`table`",
        Rule::kw_clause => "`clause`",
        Rule::kw_test => "`test`",
        Rule::kw_cite => "`cite`",
        Rule::kw_for => "`for`",
        Rule::kw_in => "`in`",
        Rule::kw_where => "`where`",
        Rule::kw_unless => "`unless`",
        Rule::kw_during => "`during`",
        Rule::kw_let => "`let`",
        Rule::kw_must => "`must`",
        Rule::kw_should => "`should`",
        Rule::kw_not => "`not`",
        Rule::kw_by => "`by`",
        Rule::kw_before => "`before`",
        Rule::kw_at => "`at`",
        Rule::kw_given | Rule::given => "`given`",
        Rule::kw_empty | Rule::call_empty => "`empty`",
        Rule::kw_otherwise => "`otherwise`",
        Rule::kw_on => "`on`",
        Rule::kw_if => "`if`",
        Rule::kw_then => "`then`",
        Rule::kw_else => "`else`",
        Rule::kw_match => "`match`",
        Rule::kw_key => "`key`",
        Rule::kw_dated => "`dated`",
        Rule::kw_expect => "`expect`",
        Rule::kw_fact => "`fact`",
        Rule::kw_as_of => "`as_of`",
        Rule::kw_every => "`every`",
        Rule::kw_of => "`of`",
        Rule::plan_overflow | Rule::kw_month_overflow => "`month_overflow`",
        Rule::plan_timezone | Rule::kw_timezone => "`timezone`",
        Rule::plan_language | Rule::kw_language => "`language`",
        Rule::kw_issued => "`issued`",
        Rule::kw_roles => "`roles`",
        Rule::kw_because => "`because`",
        Rule::kw_holiday | Rule::kw_workday => "`holiday` or `workday`",
        Rule::kw_must_not => "`must`",
        Rule::kw_should_not => "`should`",
        Rule::kw_not_in => "`not`",
        Rule::kw_and => "`and`",
        Rule::kw_or => "`or`",
        Rule::kw_true | Rule::kw_false => "`true` or `false`",
        Rule::keyword_first => "a name",
        Rule::every_block => "`every`",
        Rule::every_unit | Rule::kw_month | Rule::kw_quarter | Rule::kw_year => "`month`, `quarter` or `year`",
        Rule::roll_stmt | Rule::kw_roll => "`roll deadlines forward`",
        Rule::method_args => "arguments in parentheses",
        Rule::plan_ref => "`plan.`",
        Rule::open_end => "a date",
        Rule::outline | Rule::kw_outline => "`outline`",
        Rule::outline_entry => "an outline entry (`\"三(一)1\" \"heading\"`)",
        Rule::untestable | Rule::kw_untestable => "`untestable`",
        Rule::plan_attr_name => "a plan attribute (`issued`, `period`, …)",
        // Silent and punctuation rules that pest never reports on their own.
        Rule::WHITESPACE | Rule::COMMENT | Rule::ident_char => return None,
        Rule::comma => "`,`",
        Rule::lparen => "`(`",
        Rule::rparen => "`)`",
        Rule::colon => "`:`",
        Rule::equals => "`=`",
        Rule::lbrace => "`{`",
        Rule::rbrace => "`}`",
        Rule::lbracket => "`[`",
        Rule::rbracket => "`]`",
        Rule::arrow => "`=>`",
        Rule::range_op => "`..`",
        Rule::semi => "`;`",
        Rule::unit_atom | Rule::unit_letter => "a unit",
        Rule::plan_attr => "`period`, `issued`, `roles` or `calendar`",
        Rule::clause_stmt => "a clause statement (`cite`, a role, `for`, `must`, …)",
        Rule::test_stmt => "`as_of`, `fact` or `expect`",
        Rule::prefix_op | Rule::infix_op | Rule::infix_first => "an operator",
        Rule::primary | Rule::literal => "a value",
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fact's value read as a literal alone (`fact_literal`) is the tree the same text read as
    /// an expression gives, spans included: checked on every fact value of every `.writ` file
    /// in the repository.
    #[test]
    fn a_fact_value_read_alone_is_the_expression_it_would_be() {
        fn files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
            for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
                let p = e.path();
                if p.is_dir() {
                    files(&p, out);
                } else if p.extension().is_some_and(|x| x == "writ") {
                    out.push(p);
                }
            }
        }
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut paths = Vec::new();
        for dir in ["policies", "examples", "tests", "docs", "benches"] {
            files(&root.join(dir), &mut paths);
        }
        let mut values = 0;
        for path in paths {
            let Ok(text) = std::fs::read_to_string(&path) else { continue };
            let file: Arc<str> = Arc::from(path.display().to_string());
            for item in parse(&file, &text).0.items {
                let ast::Item::Test(t) = item else { continue };
                for (_, value) in t.facts.iter().flat_map(|f| &f.fields) {
                    let (a, b) = (value.span.start as usize, value.span.end as usize);
                    let mut pairs = WritParser::parse(Rule::expr, &text[a..b]).expect("a fact value is an expression");
                    let mut alone = ast::Module {
                        items: vec![ast::Item::Test(ast::Test {
                            name: ast::Str { text: String::new(), span: Span::default() },
                            as_of: None,
                            facts: vec![ast::TestFact {
                                kind: ast::Name { text: String::new(), span: Span::default() },
                                fields: vec![(
                                    ast::Name { text: String::new(), span: Span::default() },
                                    lower::expr(pairs.next().expect("an expression")),
                                )],
                                span: Span::default(),
                            }],
                            expects: vec![],
                            span: Span::default(),
                        })],
                    };
                    alone.shift(a as u32);
                    let ast::Item::Test(t) = &alone.items[0] else { unreachable!() };
                    assert_eq!(&t.facts[0].fields[0].1, value, "{}:{a}", path.display());
                    values += 1;
                }
            }
        }
        assert!(values > 1000, "the repository's fact values: {values}");
    }

    /// Every spelling of a reserved word is refused as a name, and a name that begins with a
    /// keyword's characters and goes on is a name, in either language.
    #[test]
    fn reserved_words_and_the_names_that_begin_with_them() {
        let file: Arc<str> = Arc::from("t.writ");
        for kw in keywords() {
            let (_, ds) = parse(&file, &format!("party {kw}"));
            assert!(ds[0].message.contains("reserved word"), "{kw}: {}", ds[0].message);
            let (_, ds) = parse(&file, &format!("party {kw}數 party {kw}_2"));
            assert!(ds.is_empty(), "{kw}: {ds:?}");
        }
        assert!(parse(&file, "party 甲局 party periodic").1.is_empty());
        let text = "record 條款數 key 編號 { 編號: text  必須數: number }\n\
                    條款 條款甲 { 對於 x 屬於 條款數 其中 x.必須數 > 0 { 必須 x.必須數 >= 1 截至 2019-10-01 } }\n";
        let (module, ds) = parse(&file, text);
        assert!(ds.is_empty(), "{ds:?}");
        let names: Vec<&str> = module.items.iter().map(|i| i.name().0).collect();
        assert_eq!(names, ["條款數", "條款甲"]);
        // A keyword runs into the name after it without a space: one name, not a keyword.
        let (_, ds) = parse(&file, "條款條款甲 {}");
        assert!(!ds.is_empty());
    }

    /// No syntax error contradicts itself ("expected `clause`, found `clause`"): every
    /// character of a valid policy deleted in turn, and a stray `"` put before each.
    #[test]
    fn no_syntax_error_expects_what_it_found() {
        let file: Arc<str> = Arc::from("t.writ");
        let text = include_str!("../../tests/fixtures/check/ok/kiln-limits.writ");
        let mut bad = Vec::new();
        for (i, c) in text.char_indices() {
            let deleted = format!("{}{}", &text[..i], &text[i + c.len_utf8()..]);
            let quoted = format!("{}\"{}", &text[..i], &text[i..]);
            for variant in [deleted, quoted] {
                for d in parse(&file, &variant).1 {
                    if let Some((expected, found)) = d.message.split_once(", found ")
                        && expected.contains(found)
                    {
                        bad.push((i, d.message));
                    }
                }
            }
        }
        assert!(bad.is_empty(), "{bad:#?}");
    }

    #[test]
    fn a_syntax_error_keeps_the_other_items_and_later_errors() {
        let file: Arc<str> = Arc::from("t.writ");
        let text = "party 甲\nclause c { must x. }\nparty 乙\nrecord r key k { k: }\nparty 丙\n";
        let (module, diags) = parse(&file, text);
        assert_eq!(diags.len(), 2, "{diags:?}");
        let names: Vec<&str> = module.items.iter().map(|i| i.name().0).collect();
        assert_eq!(names, ["甲", "乙", "丙"]);
    }
}
