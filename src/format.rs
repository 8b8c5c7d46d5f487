//! `writ fmt`: one canonical layout for policy files.
//!
//! [`format_source`] lays a file out again from its pest parse tree, token by token:
//!
//! - Items and the statements of every block (`plan`, `calendar`, `outline`, `record`, `source`,
//!   `rule`, `table`, `clause`, `for`, `every`, `test`) start on a line of their own, indented by
//!   two spaces per block; `{` ends the line that opens a block and `}` has a line of its own
//!   (`{}` for an empty block). Blank lines between items and statements are kept, several in a
//!   row as one; blank lines at the start or end of a block or file are dropped.
//! - Within a statement, tokens are separated by one space, except before `,` `;` `:` `.` `?`
//!   and a closing `)` or `]`, after `(`, `[`, `.` and a minus sign, and before the `(` or `[`
//!   of a call, a parameter list, a method or a keyed scope (`縣區["盂縣"]`). Inline braces
//!   (`enum`, `fact`, `match`) have a space inside: `{ A, B }`.
//! - No line is broken for its length and no column is aligned. A line break the source has
//!   inside a statement is kept (except before `,` `;` `:` `.` `?`, before `{` or the bracket
//!   of a call, and after a `.` or a minus sign), and the line is indented two spaces past the
//!   statement's first line, or two past the line that opened the innermost bracket still
//!   open; a line that starts with a closing bracket is indented as the line that opened it,
//!   and one that starts with `else` as its `if`. So a long list or condition stays broken
//!   where its author broke it, and the result does not depend on the length of any name.
//!   (The committed policies break lines this way: long enums and groups after a comma, a
//!   `given` under its requirement, an `if … else` chain an arm a line.)
//! - Comments are kept: a comment after code on its line stays at the end of that line (one
//!   space before `//`); a comment on a line of its own stays on a line of its own before what
//!   followed it, at the indentation of that code.
//! - Full-width punctuation and operators are written in ASCII (`，` → `,`, `＜＝` → `<=`,
//!   `⇒` → `=>`, `～` → `..`), a quantity with one space between number and unit, `％` as
//!   `%`. Text literals, names, numbers, dates and comments are written exactly as they are.
//!   Optional separators (`,` after a field or an enum variant, `;` after a statement) are
//!   kept where they are written and not added, since some separate what would otherwise run
//!   together (`let a = b; -c` in a rule).
//! - Keywords are written in the language they are written in (the words of `must not` one
//!   space apart), or, through [`format_with_keywords`], all in English or all in Chinese of one
//!   script (`writ fmt --keywords`; the table is `syntax::keywords`).
//!
//! Reports quote a requirement, an exemption or a call as it is written (spacing collapsed),
//! so after a file is formatted they quote it formatted (`a<=b` becomes `a <= b`); the checked
//! model is otherwise the same.
//!
//! After laying a file out, the result is parsed again and its tree (every rule and token,
//! without positions; a keyword in English whatever its spelling) and its comments are
//! compared with the original's: a file that would come out different is refused with
//! `format-refused` rather than changed.

use crate::diagnostic::{Diagnostic, Span};
use crate::syntax::keywords::{self, Keyword, KeywordLang};
use crate::syntax::{Rule, WritParser};
use pest::Parser as _;
use pest::iterators::Pair;
use std::sync::Arc;

/// Lays out a policy file (see the module documentation). A file with a syntax error, or one
/// the layout would change in meaning or lose a comment of, is an `Err` with the diagnostics
/// to show; its text is not formatted. Keywords are kept in the language they are written in.
pub fn format_source(file: &Arc<str>, text: &str) -> Result<String, Vec<Diagnostic>> {
    format_with_keywords(file, text, None)
}

/// [`format_source`], with every keyword written in `keywords` when it is given (`writ fmt
/// --keywords`): `must` as `必須` in Traditional Chinese, `必须` in Simplified, and back.
pub fn format_with_keywords(
    file: &Arc<str>,
    text: &str,
    keywords: Option<KeywordLang>,
) -> Result<String, Vec<Diagnostic>> {
    let (bom, body) = match text.strip_prefix('\u{FEFF}') {
        Some(rest) => ("\u{FEFF}", rest),
        None => ("", text),
    };
    let (_, diags) = crate::syntax::parse(file, body);
    if diags.iter().any(Diagnostic::is_error) {
        return Err(diags.into_iter().filter(Diagnostic::is_error).collect());
    }
    let refused = |span: Span, why: &str| {
        let mut all = diags.clone();
        all.push(
            Diagnostic::error("format-refused", file, span, format!("this file cannot be formatted: {why}"))
                .with_label("here")
                .with_help("the file is left as it is; lay it out by hand"),
        );
        all
    };
    let tree = match WritParser::parse(Rule::file, body) {
        Ok(mut pairs) => pairs.next().expect("grammar: a successful parse yields `file`"),
        // The text parsed only once a character the scan reported (an invisible character
        // between words) was read as a space: formatting would drop it.
        Err(_) => {
            let at = diags.first().map(Diagnostic::primary_span).unwrap_or_default();
            return Err(refused(at, "it holds a character that formatting would drop"));
        }
    };
    let mut printer = Printer::new(body, keywords);
    if let Err(at) = printer.item_list(tree.clone()) {
        return Err(refused(Span::new(at, at), "it holds text the formatter does not know"));
    }
    let out = printer.finish();
    // What was read and what was written must be the same tree with the same comments.
    let before = shape(tree, body);
    let after = match WritParser::parse(Rule::file, &out) {
        Ok(mut pairs) => shape(pairs.next().expect("grammar: a successful parse yields `file`"), &out),
        Err(_) => Vec::new(),
    };
    let differs = before.iter().zip(&after).position(|(a, b)| a.0 != b.0);
    if differs.is_some() || before.len() != after.len() {
        // Where the first difference is, in the file as written.
        let first = differs.unwrap_or(before.len().min(after.len()));
        let at = before.get(first).map_or(body.len(), |x| x.1);
        return Err(refused(Span::new(at, at), "its layout would change what it says"));
    }
    Ok(format!("{bom}{out}"))
}

/// The script `writ fmt --keywords zh` writes a package's keywords in, from the text of its
/// files: the plan's `language` when it is `zh-Hans` or `zh-Hant`, else the script most of
/// the package's characters that differ between the scripts are written in (names, texts and
/// comments alike), Traditional when that does not decide.
pub fn chinese_script(texts: &[&str]) -> KeywordLang {
    let file: Arc<str> = Arc::from("");
    for text in texts {
        let (module, _) = crate::syntax::parse(&file, text.strip_prefix('\u{FEFF}').unwrap_or(text));
        for item in &module.items {
            if let crate::syntax::ast::Item::Plan(plan) = item
                && let Some(lang) = plan.language.as_ref().and_then(|l| crate::lang::Lang::parse(&l.text))
            {
                match lang {
                    crate::lang::Lang::ZhHans => return KeywordLang::Hans,
                    crate::lang::Lang::ZhHant => return KeywordLang::Hant,
                    crate::lang::Lang::En => {}
                }
            }
        }
    }
    match crate::script::is_simplified(&texts.concat()) {
        Some(true) => KeywordLang::Hans,
        _ => KeywordLang::Hant,
    }
}

/// What a file says, without its layout: every rule and token of its tree in order (tokens
/// in their canonical spelling), and its comments; each with its offset in `text`, which is
/// not compared.
fn shape(tree: Pair<Rule>, text: &str) -> Vec<(String, usize)> {
    let mut out = Vec::new();
    let mut stack = vec![(tree, 0usize)];
    let mut last_end = 0;
    while let Some((p, depth)) = stack.pop() {
        let start = p.as_span().start();
        // Gaps are visited in order because pairs are taken in order, each before its children.
        if start > last_end {
            gap_shape(text, last_end, start, &mut out);
            last_end = start;
        }
        if let Some(t) = token_text(&p) {
            out.push((format!("{depth} {:?} {t}", p.as_rule()), start));
            let end = p.as_span().end();
            last_end = last_end.max(end);
        } else {
            out.push((format!("{depth} {:?}", p.as_rule()), start));
            let children: Vec<_> = p.into_inner().collect();
            for c in children.into_iter().rev() {
                stack.push((c, depth + 1));
            }
        }
    }
    gap_shape(text, last_end.min(text.len()), text.len(), &mut out);
    out
}

/// The punctuation and comments of the gap `a..b` between tokens, canonical.
fn gap_shape(text: &str, a: usize, b: usize, out: &mut Vec<(String, usize)>) {
    let mut at = a;
    while let Some((piece, len)) = gap_piece(&text[at..b]) {
        match piece {
            Piece::Space => {}
            Piece::Comment(c) => out.push((format!("// {c}"), at)),
            Piece::Punct(p) => out.push((p.text().to_string(), at)),
            Piece::Word(w) => out.push((w.to_string(), at)),
            Piece::Unknown => out.push((format!("? {}", &text[at..at + len]), at)),
        }
        at += len;
    }
}

/// One piece of the text between two tokens of the tree.
#[derive(Debug, PartialEq)]
enum Piece<'a> {
    Space,
    /// A comment, without `//` and without trailing whitespace.
    Comment(&'a str),
    Punct(Punct),
    /// A word the grammar spells out in a rule (`issued`, `roles`, `because`, `roll`…).
    Word(&'a str),
    Unknown,
}

/// Punctuation the grammar leaves out of the tree.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Punct {
    Comma,
    Semi,
    Colon,
    Equals,
    Arrow,
    Range,
    Dot,
    Bar,
    Open(char),
    Close(char),
}

impl Punct {
    fn text(self) -> &'static str {
        match self {
            Punct::Comma => ",",
            Punct::Semi => ";",
            Punct::Colon => ":",
            Punct::Equals => "=",
            Punct::Arrow => "=>",
            Punct::Range => "..",
            Punct::Dot => ".",
            Punct::Bar => "|",
            Punct::Open('(') => "(",
            Punct::Open('[') => "[",
            Punct::Open(_) => "{",
            Punct::Close(')') => ")",
            Punct::Close(']') => "]",
            Punct::Close(_) => "}",
        }
    }
}

/// The punctuation between tokens, in each of its spellings.
const PUNCTUATION: &[(&str, Punct)] = &[
    ("=>", Punct::Arrow),
    ("⇒", Punct::Arrow),
    ("..", Punct::Range),
    ("～", Punct::Range),
    ("~", Punct::Range),
    (",", Punct::Comma),
    ("，", Punct::Comma),
    ("、", Punct::Comma),
    (";", Punct::Semi),
    ("；", Punct::Semi),
    (":", Punct::Colon),
    ("：", Punct::Colon),
    ("=", Punct::Equals),
    ("＝", Punct::Equals),
    (".", Punct::Dot),
    ("|", Punct::Bar),
    ("(", Punct::Open('(')),
    ("（", Punct::Open('(')),
    ("[", Punct::Open('[')),
    ("［", Punct::Open('[')),
    ("{", Punct::Open('{')),
    ("｛", Punct::Open('{')),
    (")", Punct::Close(')')),
    ("）", Punct::Close(')')),
    ("]", Punct::Close(']')),
    ("］", Punct::Close(']')),
    ("}", Punct::Close('}')),
    ("｝", Punct::Close('}')),
];

/// The first piece of a gap and its length in bytes; `None` at its end.
fn gap_piece(s: &str) -> Option<(Piece<'_>, usize)> {
    let c = s.chars().next()?;
    if matches!(c, ' ' | '\t' | '\r' | '\n' | '\u{3000}' | '\u{FEFF}') {
        return Some((Piece::Space, c.len_utf8()));
    }
    if let Some(rest) = s.strip_prefix("//") {
        let len = rest.find('\n').unwrap_or(rest.len());
        return Some((Piece::Comment(rest[..len].trim_end()), 2 + len));
    }
    for (spelling, p) in PUNCTUATION {
        if s.starts_with(spelling) {
            return Some((Piece::Punct(*p), spelling.len()));
        }
    }
    if c.is_alphabetic() || c == '_' {
        let len = s.find(|x: char| !(x.is_alphanumeric() || x == '_')).unwrap_or(s.len());
        return Some((Piece::Word(&s[..len]), len));
    }
    Some((Piece::Unknown, c.len_utf8()))
}

/// The keyword a token is, if it is one.
fn keyword_of(p: &Pair<Rule>) -> Option<&'static Keyword> {
    let name = format!("{:?}", p.as_rule());
    if name.starts_with("kw_") { keywords::by_rule(&name) } else { None }
}

/// A pair written as one token, in its canonical spelling (a keyword in English); `None` for a
/// pair with parts.
fn token_text(p: &Pair<Rule>) -> Option<String> {
    let text = p.as_str();
    if let Some(k) = keyword_of(p) {
        return Some(k.en.to_string());
    }
    let t = match p.as_rule() {
        Rule::string | Rule::number => text.to_string(),
        Rule::percent => format!("{}%", p.clone().into_inner().next().map_or(text, |n| n.as_str())),
        Rule::quantity => {
            let mut it = p.clone().into_inner();
            let amount = it.next().expect("grammar: quantity amount").as_str();
            let unit = it.next().expect("grammar: quantity unit").as_str();
            format!("{amount} {unit}")
        }
        Rule::op_le => "<=".into(),
        Rule::op_ge => ">=".into(),
        Rule::op_ne => "!=".into(),
        Rule::op_eq => "==".into(),
        Rule::op_lt => "<".into(),
        Rule::op_gt => ">".into(),
        Rule::op_add => "+".into(),
        Rule::op_sub | Rule::op_neg => "-".into(),
        Rule::op_mul => "*".into(),
        Rule::op_div => "/".into(),
        Rule::optional_mark => "?".into(),
        Rule::cmp_op | Rule::bound_op => match text {
            "≤" | "＜＝" => "<=".into(),
            "≥" | "＞＝" => ">=".into(),
            "≠" => "!=".into(),
            "＜" => "<".into(),
            "＞" => ">".into(),
            other => other.to_string(),
        },
        _ if p.clone().into_inner().next().is_none() => text.to_string(),
        _ => return None,
    };
    Some(t)
}

/// What a token is, for the spaces and line breaks around it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Word,
    /// A unary minus: nothing between it and what it negates.
    Neg,
    /// A field's `?`: written against the name before it.
    Tight,
    Punct(Punct),
    /// An opening bracket written against what precedes it: a call's, a parameter list's, a
    /// method's or a keyed scope's.
    Attached(char),
}

/// Rules whose `{ … }` holds statements, one a line.
fn is_block(r: Rule) -> bool {
    matches!(
        r,
        Rule::plan
            | Rule::calendar
            | Rule::outline
            | Rule::record
            | Rule::record_from
            | Rule::record_source
            | Rule::rule
            | Rule::table
            | Rule::clause
            | Rule::for_block
            | Rule::every_block
            | Rule::test
    )
}

/// Rules whose first bracket is written against the name before it.
fn attaches(r: Rule) -> bool {
    matches!(r, Rule::call | Rule::params | Rule::method_args | Rule::scope | Rule::test_expect)
}

/// An inline bracket still open: the indentation of the line it is on, and of the lines that
/// continue inside it.
struct Open {
    line_indent: usize,
}

/// A comment waiting for what follows it, which decides its indentation.
struct Pending {
    text: String,
    line: usize,
}

struct Printer<'t> {
    text: &'t str,
    /// The language keywords are written in; `None` keeps each as it is written.
    keywords: Option<KeywordLang>,
    /// The byte offset at which each line of `text` starts.
    line_starts: Vec<usize>,
    out: String,
    /// Whether the current output line has anything on it.
    line_open: bool,
    /// The indentation of the current output line.
    line_indent: usize,
    /// The indentation of the statements of the innermost block.
    block_indent: usize,
    /// Whether nothing has been written in the innermost block yet (no blank line goes first).
    block_start: bool,
    /// Whether the next token starts a statement.
    stmt_first: bool,
    /// The inline brackets open in the current statement.
    brackets: Vec<Open>,
    /// The last token written, for the space before the next.
    last: Option<Kind>,
    /// The source line of the last thing written.
    last_line: usize,
    /// Whether a comment ended the current line, so the next token starts a new one.
    must_break: bool,
    pending: Vec<Pending>,
    /// The indentation of the next token if it starts a line (an `else`, under its `if`).
    align: Option<usize>,
    /// Whether the last token written began its line.
    began_line: bool,
    /// Whether the token just written is an `else` that began its line (an `if` after it
    /// continues a chain whose `else`s line up).
    else_began_line: bool,
    /// For each block open, the length of the output after its `{`.
    blocks: Vec<usize>,
}

impl<'t> Printer<'t> {
    fn new(text: &'t str, keywords: Option<KeywordLang>) -> Self {
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        Printer {
            text,
            keywords,
            line_starts,
            out: String::with_capacity(text.len() + text.len() / 8),
            line_open: false,
            line_indent: 0,
            block_indent: 0,
            block_start: true,
            stmt_first: false,
            brackets: Vec::new(),
            last: None,
            last_line: 0,
            must_break: false,
            pending: Vec::new(),
            blocks: Vec::new(),
            align: None,
            began_line: false,
            else_began_line: false,
        }
    }

    fn line_of(&self, offset: usize) -> usize {
        self.line_starts.partition_point(|&s| s <= offset)
    }

    fn finish(mut self) -> String {
        self.flush_between();
        self.newline();
        if self.out.trim().is_empty() {
            return String::new();
        }
        self.out
    }

    fn newline(&mut self) {
        if self.line_open {
            self.out.push('\n');
            self.line_open = false;
        }
        self.must_break = false;
    }

    fn begin_line(&mut self, indent: usize) {
        self.newline();
        self.out.extend(std::iter::repeat_n(' ', indent));
        self.line_open = true;
        self.line_indent = indent;
    }

    /// A blank line before what comes next, when the source has one before `line` and the
    /// block has something already.
    fn blank_before(&mut self, line: usize) {
        if !self.block_start && line > self.last_line + 1 {
            self.newline();
            self.out.push('\n');
        }
    }

    /// Pending comments placed between statements, at the block's indentation.
    fn flush_between(&mut self) {
        for c in std::mem::take(&mut self.pending) {
            self.blank_before(c.line);
            self.begin_line(self.block_indent);
            self.out.push_str("//");
            self.out.push_str(&c.text);
            self.newline();
            self.last_line = c.line;
            self.block_start = false;
        }
    }

    /// Pending comments placed inside a statement, at its continuation indentation.
    fn flush_within(&mut self) {
        for c in std::mem::take(&mut self.pending) {
            let indent = self.continuation(false);
            self.begin_line(indent);
            self.out.push_str("//");
            self.out.push_str(&c.text);
            self.newline();
            self.last_line = c.line;
        }
    }

    fn comment(&mut self, text: &str, at: usize) {
        let line = self.line_of(at);
        if self.line_open && line == self.last_line && self.pending.is_empty() {
            self.out.push_str(" //");
            self.out.push_str(text);
            self.must_break = true;
        } else {
            self.pending.push(Pending { text: text.to_string(), line });
        }
    }

    /// The indentation of a line that continues a statement; `closing` when it starts with a
    /// closing bracket, which lines up with the line that opened it.
    fn continuation(&self, closing: bool) -> usize {
        match self.brackets.last() {
            Some(o) if closing => o.line_indent,
            Some(o) => o.line_indent + 2,
            None => self.block_indent + 2,
        }
    }

    /// A new statement (or item) at `at`.
    fn start_statement(&mut self, at: usize) {
        self.flush_between();
        self.newline();
        self.blank_before(self.line_of(at));
        self.stmt_first = true;
        self.brackets.clear();
    }

    fn token(&mut self, text: &str, kind: Kind, start: usize, end: usize) {
        if text.is_empty() {
            return;
        }
        let closing = matches!(kind, Kind::Punct(Punct::Close(_)));
        self.began_line = true;
        self.else_began_line = false;
        if self.stmt_first {
            self.flush_between();
            self.begin_line(self.block_indent);
            self.stmt_first = false;
            self.block_start = false;
        } else {
            self.flush_within();
            let breaks = self.line_of(start) > self.last_line && may_break(self.last, kind);
            if !self.line_open || self.must_break || breaks {
                let indent = self.align.unwrap_or_else(|| self.continuation(closing));
                self.begin_line(indent);
            } else {
                self.began_line = false;
                if space_between(self.last, kind) {
                    self.out.push(' ');
                }
            }
        }
        self.align = None;
        self.out.push_str(text);
        match kind {
            Kind::Attached(_) | Kind::Punct(Punct::Open(_)) => {
                self.brackets.push(Open { line_indent: self.line_indent });
            }
            Kind::Punct(Punct::Close(_)) => {
                self.brackets.pop();
            }
            _ => {}
        }
        self.last = Some(kind);
        self.last_line = self.line_of(end.max(start + 1) - 1);
    }

    /// `{` opening a block of statements.
    fn open_block(&mut self, start: usize) {
        self.token("{", Kind::Punct(Punct::Open('{')), start, start + 1);
        self.block_indent += 2;
        self.block_start = true;
        self.brackets.clear();
        self.blocks.push(self.out.len());
    }

    fn close_block(&mut self, start: usize) {
        self.flush_between();
        self.block_indent -= 2;
        if self.blocks.pop() == Some(self.out.len()) {
            // Nothing inside: `{}`.
            self.out.push('}');
        } else {
            self.begin_line(self.block_indent);
            self.out.push('}');
        }
        self.line_open = true;
        self.must_break = false;
        self.block_start = false;
        self.stmt_first = false;
        self.last = Some(Kind::Punct(Punct::Close('}')));
        self.last_line = self.line_of(start);
    }

    /// The items of a file, each a statement of the top level.
    fn item_list(&mut self, file: Pair<'t, Rule>) -> Result<(), usize> {
        let mut pos = file.as_span().start();
        for item in file.into_inner() {
            let start = item.as_span().start();
            self.gap(pos, start, Rule::file, &mut false, &mut false)?;
            pos = item.as_span().end();
            if item.as_rule() == Rule::EOI {
                continue;
            }
            self.start_statement(start);
            self.walk(item)?;
        }
        self.gap(pos, self.text.len(), Rule::file, &mut false, &mut false)
    }

    /// Writes a pair: a token, or its parts with the punctuation and comments between them.
    /// `Err` holds the offset of text the formatter does not know.
    fn walk(&mut self, p: Pair<'t, Rule>) -> Result<(), usize> {
        let r = p.as_rule();
        if let Some(mut t) = token_text(&p) {
            if keyword_of(&p).is_some() {
                t = match (self.keywords, keyword_of(&p)) {
                    (Some(lang), Some(k)) => k.spelt(lang).to_string(),
                    // As written, its words one space apart (`must not`).
                    _ => p.as_str().split_whitespace().collect::<Vec<_>>().join(" "),
                };
            }
            let kind = match r {
                Rule::op_neg => Kind::Neg,
                Rule::optional_mark => Kind::Tight,
                _ => Kind::Word,
            };
            let s = p.as_span();
            self.token(&t, kind, s.start(), s.end());
            return Ok(());
        }
        let end = p.as_span().end();
        let mut pos = p.as_span().start();
        // Inside a block rule, what follows its `{` are statements.
        let mut in_block = false;
        let mut first_bracket = attaches(r);
        // In `if … then … else …`, a line that starts with `else` lines up with the `if`.
        let mut if_indent = None;
        let chained = r == Rule::if_expr && self.else_began_line;
        for child in p.into_inner() {
            let start = child.as_span().start();
            self.gap(pos, start, r, &mut in_block, &mut first_bracket)?;
            pos = child.as_span().end();
            if in_block {
                self.start_statement(start);
            }
            let child_rule = child.as_rule();
            if child_rule == Rule::kw_else {
                self.align = if_indent;
            }
            self.walk(child)?;
            if child_rule == Rule::kw_if {
                // Under the `if` when it starts its line, else where a line continuing the
                // `if` would go.
                if_indent = Some(if self.began_line || chained { self.line_indent } else { self.continuation(false) });
            }
            if child_rule == Rule::kw_else {
                self.else_began_line = self.began_line;
            }
        }
        self.gap(pos, end, r, &mut in_block, &mut first_bracket)
    }

    /// Writes the punctuation and comments of the text between `a` and `b`, a gap between the
    /// parts of a `rule`.
    fn gap(&mut self, a: usize, b: usize, r: Rule, in_block: &mut bool, first: &mut bool) -> Result<(), usize> {
        let mut at = a;
        while at < b {
            let (piece, len) = gap_piece(&self.text[at..b]).expect("a gap that is not empty has a piece");
            match piece {
                Piece::Space => {}
                Piece::Comment(c) => self.comment(c, at),
                Piece::Word(w) => self.token(w, Kind::Word, at, at + len),
                Piece::Unknown => return Err(at),
                Piece::Punct(Punct::Open('{')) if is_block(r) && !*in_block => {
                    self.open_block(at);
                    *in_block = true;
                }
                Piece::Punct(Punct::Close('}')) if *in_block => {
                    self.close_block(at);
                    *in_block = false;
                }
                Piece::Punct(p) => {
                    let kind = match p {
                        Punct::Open(c @ ('(' | '[')) if *first => {
                            *first = false;
                            Kind::Attached(c)
                        }
                        p => Kind::Punct(p),
                    };
                    self.token(p.text(), kind, at, at + len);
                }
            }
            at += len;
        }
        Ok(())
    }
}

/// Whether a line break of the source between two tokens is kept.
fn may_break(prev: Option<Kind>, next: Kind) -> bool {
    use Punct::*;
    !matches!(prev, Some(Kind::Neg | Kind::Punct(Dot)))
        && !matches!(next, Kind::Attached(_) | Kind::Tight | Kind::Punct(Comma | Semi | Colon | Dot | Open('{')))
}

/// Whether one space goes between two tokens on a line.
fn space_between(prev: Option<Kind>, next: Kind) -> bool {
    use Punct::*;
    let Some(prev) = prev else { return false };
    !matches!(
        (prev, next),
        (_, Kind::Tight | Kind::Attached(_) | Kind::Punct(Comma | Semi | Colon | Dot | Close(')' | ']')))
            | (Kind::Punct(Open('{')), Kind::Punct(Close('}')))
            | (Kind::Punct(Open('(' | '[')) | Kind::Attached(_) | Kind::Punct(Dot) | Kind::Neg, _)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fmt(text: &str) -> String {
        let out = format_source(&Arc::from("t.writ"), text).unwrap_or_else(|d| panic!("refused: {d:?}"));
        let again = format_source(&Arc::from("t.writ"), &out).unwrap_or_else(|d| panic!("refused again: {d:?}"));
        assert_eq!(again, out, "formatting twice gives what formatting once gives");
        out
    }

    #[test]
    fn a_comment_before_an_item_stays_before_it_and_one_after_code_stays_on_its_line() {
        let text = "// the plan\nplan p \"t\" {   // why\n  period 2019-01-01 .. 2019-12-31 // the year\n\
                    // roles next\n  roles lead \"牽頭\"\n  // last\n}\n// at the end\n";
        assert_eq!(
            fmt(text),
            "// the plan\nplan p \"t\" { // why\n  period 2019-01-01 .. 2019-12-31 // the year\n  // roles next\n  \
             roles lead \"牽頭\"\n  // last\n}\n// at the end\n"
        );
    }

    #[test]
    fn a_comment_after_a_statement_is_placed_before_the_next_at_its_indentation() {
        // pest takes the comment into the requirement (its optional parts may follow), yet it
        // belongs before the next statement.
        let text = "clause c {\n  for x in K {\n    must x.a\n        // about b\n    must x.b\n  }\n}\n";
        assert_eq!(fmt(text), "clause c {\n  for x in K {\n    must x.a\n    // about b\n    must x.b\n  }\n}\n");
    }

    #[test]
    fn a_comment_inside_an_expression_keeps_its_line() {
        let text = "rule r(x: number) {\n  x > 1 // one\n  and x < 9\n  // nine\n  and x != 5\n}\n";
        assert_eq!(fmt(text), "rule r(x: number) {\n  x > 1 // one\n    and x < 9\n    // nine\n    and x != 5\n}\n");
    }

    #[test]
    fn a_comment_in_an_empty_block_keeps_the_block_open() {
        assert_eq!(fmt("test \"t\" { // nothing yet\n}\n"), "test \"t\" { // nothing yet\n}\n");
        assert_eq!(fmt("test \"t\" {\n  // nothing yet\n}\n"), "test \"t\" {\n  // nothing yet\n}\n");
        assert_eq!(fmt("test \"t\" {   }\n"), "test \"t\" {}\n");
    }

    #[test]
    fn blank_lines_are_kept_one_at_most_and_none_at_the_edges() {
        let text = "\n\n// a\n\n\n\nparty 甲\nparty 乙\n\n\nclause c {\n\n  lead 甲\n\n\n  assist 乙\n\n}\n\n\n";
        assert_eq!(fmt(text), "// a\n\nparty 甲\nparty 乙\n\nclause c {\n  lead 甲\n\n  assist 乙\n}\n");
    }

    #[test]
    fn statements_written_on_one_line_get_a_line_each() {
        let text = "plan p { period 2019-01-01..2019-12-31 roles lead \"牽頭\" calendar C month_overflow clamp \
                    timezone \"+08:00\" issued 2019-03-01 }";
        assert_eq!(
            fmt(text),
            "plan p {\n  period 2019-01-01 .. 2019-12-31\n  roles lead \"牽頭\"\n  calendar C\n  month_overflow clamp\n  \
             timezone \"+08:00\"\n  issued 2019-03-01\n}\n"
        );
    }

    #[test]
    fn declarations_are_spaced_canonically() {
        let text = "import \"gb3095-2012\"\nparty  甲局  \"甲\"\ngroup 各局=[甲局 ,乙局,]\nunit 蒸噸=1t/h\n\
                    enum 級別 \"級別\"{黃色,橙色 紅色}\nperiod 採暖期=2019-01-01..2019-03-15,2019-11-15 ..\n\
                    sanction 停產 \"停產整治\"\ncalendar C \"src\" { holiday 2019-01-01, 2019-02-04..2019-02-10 workday 2019-02-02 }\n";
        assert_eq!(
            fmt(text),
            "import \"gb3095-2012\"\nparty 甲局 \"甲\"\ngroup 各局 = [甲局, 乙局,]\nunit 蒸噸 = 1 t/h\n\
             enum 級別 \"級別\" { 黃色, 橙色 紅色 }\nperiod 採暖期 = 2019-01-01 .. 2019-03-15, 2019-11-15 ..\n\
             sanction 停產 \"停產整治\"\ncalendar C \"src\" {\n  holiday 2019-01-01, 2019-02-04 .. 2019-02-10\n  \
             workday 2019-02-02\n}\n"
        );
    }

    #[test]
    fn records_with_ranges_optional_fields_and_a_source_block() {
        let text = "record 小時 \"小時數據\" key 編號 dated 時刻 { 編號 : text, 時刻:datetime\n PM25 ?: ug/m3 >=0 ug/m3 < 1000 ug/m3\n \
                    比例: percent in 0%..100%  溫度: K in -60 K ..\n source \"a_*.csv\",\"b.csv\" { missing \"NA\",\"-\" 時刻 from \"year\",\"month\" ignore \"No\" } }";
        assert_eq!(
            fmt(text),
            "record 小時 \"小時數據\" key 編號 dated 時刻 {\n  編號: text,\n  時刻: datetime\n  PM25?: ug/m3 >= 0 ug/m3 < 1000 ug/m3\n  \
             比例: percent in 0% .. 100%\n  溫度: K in -60 K ..\n  source \"a_*.csv\", \"b.csv\" {\n    missing \"NA\", \"-\"\n    \
             時刻 from \"year\", \"month\"\n    ignore \"No\"\n  }\n}\n"
        );
    }

    #[test]
    fn a_derived_record_keeps_its_header_on_one_line() {
        let text = "record 日 \"日數據\" from 小時 where exists(PM25) by 站點=站點,日期=date(時刻) over 時刻 window 8 hours dated 日期 {\n\
                    n = count(小時 where exists(PM25))\n PM25 = mean(小時.PM25) given n>=20 }";
        assert_eq!(
            fmt(text),
            "record 日 \"日數據\" from 小時 where exists(PM25) by 站點 = 站點, 日期 = date(時刻) over 時刻 window 8 hours dated 日期 {\n  \
             n = count(小時 where exists(PM25))\n  PM25 = mean(小時.PM25) given n >= 20\n}\n"
        );
    }

    #[test]
    fn rules_and_tables() {
        let text = "rule 有效(小時數:number,月: number) \"label\" { cite \"表4\" \"text\" let a=小時數*2\n a>=20 and 月!=2 }\n\
                    table 限值(區: 功能區, x: number) { cite \"表1\"\n (一類區, >= 3) => 20 ug/m3,\n (_, < 1)=>-1 ug/m3; 二類區 => 60 ug/m3 }\n\
                    rule 級(aqi: number) {\n  if aqi <= 50 then 1\n  else if aqi <= 100 then 2\n        else 3\n}\n\
                    rule 分(c: number) {\n  ceil(if c <= 1 then 1\n  else 2, 1)\n}\n";
        assert_eq!(
            fmt(text),
            "rule 有效(小時數: number, 月: number) \"label\" {\n  cite \"表4\" \"text\"\n  let a = 小時數 * 2\n  a >= 20 and 月 != 2\n}\n\
             table 限值(區: 功能區, x: number) {\n  cite \"表1\"\n  (一類區, >= 3) => 20 ug/m3,\n  (_, < 1) => -1 ug/m3;\n  二類區 => 60 ug/m3\n}\n\
             rule 級(aqi: number) {\n  if aqi <= 50 then 1\n  else if aqi <= 100 then 2\n  else 3\n}\n\
             rule 分(c: number) {\n  ceil(if c <= 1 then 1\n    else 2, 1)\n}\n"
        );
    }

    #[test]
    fn clauses_with_every_kind_of_statement() {
        let text = "clause 甲 \"標題\" { cite \"三(二)11\" “中文的話，「引號」” lead 甲局,乙局 during 採暖期 unless 豁免(x)\n\
                    roll deadlines forward\n let 總 = sum(讀數.值 where 站點==s during 2019, empty 0 t)\n\
                    for e in 企業[\"a\",\"b\"] where e.行業 in [鋼鐵,焦化] unless e.豁免 unless e.x not in [1] {\n\
                    must 限值: e.值<=30 mg/m3 by plan.end + 20 workdays given count(讀數)>=12\n must not e.停產 before 2019-09-01\n\
                    should e.x.f(1) at 2019-12-31 ; should not -e.y > -(1)\n otherwise 停產, 罰款 on e.企業 }\n\
                    every month m of 採暖期 { must min(文件.日期 where 月份 == m) by m.end } }";
        assert_eq!(
            fmt(text),
            "clause 甲 \"標題\" {\n  cite \"三(二)11\" “中文的話，「引號」”\n  lead 甲局, 乙局\n  during 採暖期\n  unless 豁免(x)\n  \
             roll deadlines forward\n  let 總 = sum(讀數.值 where 站點 == s during 2019, empty 0 t)\n  \
             for e in 企業[\"a\", \"b\"] where e.行業 in [鋼鐵, 焦化] unless e.豁免 unless e.x not in [1] {\n    \
             must 限值: e.值 <= 30 mg/m3 by plan.end + 20 workdays given count(讀數) >= 12\n    must not e.停產 before 2019-09-01\n    \
             should e.x.f(1) at 2019-12-31;\n    should not -e.y > -(1)\n    otherwise 停產, 罰款 on e.企業\n  }\n  \
             every month m of 採暖期 {\n    must min(文件.日期 where 月份 == m) by m.end\n  }\n}\n"
        );
    }

    #[test]
    fn tests_outlines_and_untestable_notes() {
        let text = "test \"t\" { as_of 2019-10-15 fact 企業 {名稱:\"E\",限產:40%,日:2019-01-01} fact 縣區 { }\n\
                    expect 甲[\"E\"].限值 violated expect 乙 met }\n\
                    outline \"計劃\" { \"二(一)\" \"指標\", \"二(二)\"; \"三\" }\n\
                    untestable \"四(一)\" \"加強組織領導\" because \"no number\"\n";
        assert_eq!(
            fmt(text),
            "test \"t\" {\n  as_of 2019-10-15\n  fact 企業 { 名稱: \"E\", 限產: 40%, 日: 2019-01-01 }\n  fact 縣區 {}\n  \
             expect 甲[\"E\"].限值 violated\n  expect 乙 met\n}\n\
             outline \"計劃\" {\n  \"二(一)\" \"指標\",\n  \"二(二)\";\n  \"三\"\n}\n\
             untestable \"四(一)\" \"加強組織領導\" because \"no number\"\n"
        );
    }

    #[test]
    fn match_arms_and_lists_keep_the_line_breaks_they_were_written_with() {
        let text = "enum 設施 {\n單一, 旋風,\n      多管\n}\ngroup 各 = [甲, 乙,\n丙]\n\
                    rule r(x: 級) {\n  match x {\n    黃 | 橙 => 1,\n  紅 => 2\n  }\n}\n";
        assert_eq!(
            fmt(text),
            "enum 設施 {\n  單一, 旋風,\n  多管\n}\ngroup 各 = [甲, 乙,\n  丙]\n\
             rule r(x: 級) {\n  match x {\n    黃 | 橙 => 1,\n    紅 => 2\n  }\n}\n"
        );
    }

    #[test]
    fn a_requirement_continued_on_the_next_line_is_indented_past_it() {
        let text = "clause c {\n  must change(a, b) < 0% at 2019-12-31\n given count(x) >= 12\n}\n";
        assert_eq!(fmt(text), "clause c {\n  must change(a, b) < 0% at 2019-12-31\n    given count(x) >= 12\n}\n");
    }

    #[test]
    fn full_width_punctuation_is_written_in_ascii_and_text_as_it_is() {
        let text = "group 各局 ＝ ［甲局，乙局、丙局］\nrule r（x：number）｛ x ＜＝ 1 ＋ 2 × 3 ÷ 4 － 5％ ｝\n\
                    period p ＝ 2019-01-01 ～ 2019-02-01\nparty 甲 “全角，文字”\n";
        assert_eq!(
            fmt(text),
            "group 各局 = [甲局, 乙局, 丙局]\nrule r(x: number) {\n  x <= 1 + 2 * 3 / 4 - 5%\n}\n\
             period p = 2019-01-01 .. 2019-02-01\nparty 甲 “全角，文字”\n"
        );
    }

    #[test]
    fn a_byte_order_mark_and_crlf_line_ends() {
        assert_eq!(fmt("\u{FEFF}party 甲\r\n// note\r\nparty 乙\r\n"), "\u{FEFF}party 甲\n// note\nparty 乙\n");
    }

    #[test]
    fn an_empty_file_stays_empty() {
        assert_eq!(fmt(""), "");
        assert_eq!(fmt("\n\n  \n"), "");
        assert_eq!(fmt("// only a comment"), "// only a comment\n");
    }

    #[test]
    fn a_file_that_does_not_parse_is_refused_with_its_syntax_error() {
        let err = format_source(&Arc::from("t.writ"), "party 甲\nclause c { lead }\n").unwrap_err();
        assert_eq!(err.len(), 1);
        assert_eq!(err[0].code, "syntax-error");
        assert!(err[0].primary_span().start >= 9, "{err:?}");
    }

    #[test]
    fn the_check_after_layout_sees_a_lost_comment_or_a_changed_token() {
        let shape_of = |t: &str| -> Vec<String> {
            let tree = WritParser::parse(Rule::file, t).expect("parses").next().expect("file");
            shape(tree, t).into_iter().map(|(s, _)| s).collect()
        };
        assert_eq!(shape_of("party 甲 // c\n"), shape_of("party  甲\n// c\n"));
        assert_eq!(shape_of("group 各＝［甲，乙］"), shape_of("group 各 = [甲, 乙]\n"));
        assert_ne!(shape_of("party 甲 // c\n"), shape_of("party 甲\n"), "a comment lost");
        assert_ne!(shape_of("// a\n// b\nparty 甲"), shape_of("// b\n// a\nparty 甲"), "comments reordered");
        assert_ne!(shape_of("party 甲\n"), shape_of("party 乙\n"), "a name changed");
        assert_ne!(shape_of("unit u = 2 t\n"), shape_of("unit u = 2\n"), "a quantity read as a number");
    }

    #[test]
    fn an_invisible_character_between_words_is_not_dropped_silently() {
        let err = format_source(&Arc::from("t.writ"), "party 甲 \u{200B} \"x\"\n").unwrap_err();
        assert!(err.iter().any(|d| d.code == "format-refused"), "{err:?}");
    }
}
