//! What the server answers: hover, definition, references, completion, document symbols and
//! formatting, from a package's parsed files and checked model.

use super::index::{Decl, Index, Kind, Target};
use super::*;
use crate::model::{Model, Ty};
use crate::syntax::ast::{self, Item, Module};
use crate::syntax::keywords::KEYWORDS;

/// A package as a request sees it: its files parsed, its model, and the index over both.
pub(super) struct View<'a> {
    pub(super) modules: Vec<(Arc<str>, &'a str, &'a Module)>,
    model: &'a Model,
    pub(super) index: Index,
}

/// A location in a file the editor can open.
pub type Place = (PathBuf, lsp::Range);

impl Server {
    pub(super) fn view(&self, path: &Path) -> Option<View<'_>> {
        let pkg = self.packages.get(&folder(path)).filter(|p| p.files.contains_key(path))?;
        let mut modules = Vec::new();
        for f in pkg.package.imported(&self.db) {
            modules.push((f.path(&self.db).clone(), &**f.text(&self.db), &db::parse_file(&self.db, *f).0));
        }
        for (p, f) in &pkg.files {
            let text = self.texts.get(p).map_or(&**f.text(&self.db), Text::body);
            modules.push((f.path(&self.db).clone(), text, &db::parse_file(&self.db, *f).0));
        }
        let model = &db::package_model(&self.db, pkg.package).model;
        let index = Index::build(&modules, model);
        Some(View { modules, model, index })
    }

    /// The byte offset (in the database's text) of a position in an open or loaded file.
    fn offset(&self, path: &Path, p: lsp::Position) -> Option<usize> {
        self.texts.get(path).map(|t| t.offset(p))
    }

    fn place(&self, file: &str, span: Span) -> Option<Place> {
        let path = PathBuf::from(file);
        let t = self.texts.get(&path)?;
        Some((path, t.range(span)))
    }

    pub fn hover(&mut self, path: &Path, p: lsp::Position) -> Option<lsp::Hover> {
        self.package_of(path)?;
        let view = self.view(path)?;
        let offset = self.offset(path, p)?;
        let occ = view.index.at(&key(path), offset)?;
        let decl = view.index.decls.get(&occ.target)?;
        let text = view.describe(&occ.target, decl);
        Some(lsp::Hover {
            contents: lsp::HoverContents::Markup(lsp::MarkupContent { kind: lsp::MarkupKind::Markdown, value: text }),
            range: Some(self.texts[path].range(occ.span)),
        })
    }

    pub fn definition(&mut self, path: &Path, p: lsp::Position) -> Option<Place> {
        self.package_of(path)?;
        let view = self.view(path)?;
        let occ = view.index.at(&key(path), self.offset(path, p)?)?;
        let decl = view.index.decls.get(&occ.target)?;
        self.place(&decl.file, decl.name)
    }

    pub fn references(&mut self, path: &Path, p: lsp::Position, with_declaration: bool) -> Vec<Place> {
        if self.package_of(path).is_none() {
            return Vec::new();
        }
        let Some(view) = self.view(path) else { return Vec::new() };
        let Some(offset) = self.offset(path, p) else { return Vec::new() };
        let Some(occ) = view.index.at(&key(path), offset) else { return Vec::new() };
        view.index
            .references(&occ.target)
            .into_iter()
            .filter(|o| with_declaration || !o.is_decl)
            .filter_map(|o| self.place(&o.file, o.span))
            .collect()
    }

    pub fn completion(&mut self, path: &Path, p: lsp::Position) -> Vec<lsp::CompletionItem> {
        if self.package_of(path).is_none() {
            return Vec::new();
        }
        let (Some(view), Some(offset)) = (self.view(path), self.offset(path, p)) else { return Vec::new() };
        let text = self.texts[path].body();
        let offset = crate::diagnostic::floor_char_boundary(text, offset);
        let before = &text[..offset];
        let start = before
            .char_indices()
            .rev()
            .take_while(|(_, c)| c.is_alphanumeric() || *c == '_')
            .last()
            .map_or(offset, |(i, _)| i);
        let prefix = &text[start..offset];
        let mut items = Vec::new();
        let mut seen = std::collections::HashSet::new();
        let mut add = |label: &str, kind: lsp::CompletionItemKind, detail: String| {
            if !seen.insert((label.to_string(), format!("{kind:?}"))) {
                return;
            }
            let Some(filter) = matches(prefix, label) else { return };
            items.push(lsp::CompletionItem {
                label: label.to_string(),
                kind: Some(kind),
                detail: (!detail.is_empty()).then_some(detail),
                filter_text: (filter != label).then_some(filter),
                ..Default::default()
            });
        };
        if before[..start].ends_with('.') {
            // A field of what stands before the dot.
            let mut records = view.records_before(&key(path), start - 1);
            if records.is_empty() {
                // The text being typed may not parse (`e.` alone): the variable's binding, as
                // written before it.
                let name_start = before[..start - 1]
                    .char_indices()
                    .rev()
                    .take_while(|(_, c)| c.is_alphanumeric() || *c == '_')
                    .last()
                    .map_or(start - 1, |(i, _)| i);
                let var = &before[name_start..start - 1];
                records.extend(
                    bound_record(&before[..name_start], var)
                        .filter(|r| view.model.records.iter().any(|x| x.name == *r)),
                );
            }
            for r in view.model.records.iter().filter(|r| records.is_empty() || records.contains(&r.name)) {
                for f in r.written_fields() {
                    add(&f.name, lsp::CompletionItemKind::FIELD, format!("{}.{}: {}", r.name, f.name, view.ty(f)));
                }
            }
            return items;
        }
        for k in KEYWORDS {
            for s in k.spellings() {
                add(s, lsp::CompletionItemKind::KEYWORD, k.meaning.to_string());
            }
        }
        let mut decls: Vec<(&Target, &Decl)> = view.index.decls.iter().collect();
        decls.sort_by(|a, b| (&a.1.file, a.1.name).cmp(&(&b.1.file, b.1.name)));
        for (t, _) in &decls {
            let kind = match t.kind {
                Kind::Local | Kind::Test | Kind::Plan => continue,
                Kind::Field => lsp::CompletionItemKind::FIELD,
                Kind::Variant => lsp::CompletionItemKind::ENUM_MEMBER,
                Kind::Enum => lsp::CompletionItemKind::ENUM,
                Kind::Record => lsp::CompletionItemKind::STRUCT,
                Kind::Rule | Kind::Table => lsp::CompletionItemKind::FUNCTION,
                Kind::Unit => lsp::CompletionItemKind::UNIT,
                Kind::Clause | Kind::Sanction => lsp::CompletionItemKind::REFERENCE,
                Kind::Party | Kind::Group | Kind::Role | Kind::Period | Kind::Calendar => {
                    lsp::CompletionItemKind::CONSTANT
                }
            };
            let detail = match &t.owner {
                Some(o) => format!("{} of {o}", t.kind.word()),
                None => t.kind.word().to_string(),
            };
            add(&t.name, kind, detail);
        }
        // The locals in scope: those declared before the cursor in the same item.
        if let Some(item) = view.item_around(&key(path), offset) {
            for (t, d) in &decls {
                if t.kind == Kind::Local
                    && *d.file == *key(path)
                    && d.name.end as usize <= offset
                    && d.name.start >= item.start
                {
                    add(&t.name, lsp::CompletionItemKind::VARIABLE, "local".into());
                }
            }
        }
        let mut units: Vec<String> = view.model.units.aliases().map(|(n, _)| n.to_string()).collect();
        units.sort();
        units.extend(
            view.model.records.iter().flat_map(|r| &r.fields).filter_map(|f| f.unit.as_ref()).map(|u| u.name.clone()),
        );
        units.extend(crate::units::base_symbols().map(str::to_string));
        for u in units.iter().filter(|u| !u.is_empty()) {
            add(u, lsp::CompletionItemKind::UNIT, "unit".into());
        }
        items
    }

    pub fn symbols(&mut self, path: &Path) -> Vec<lsp::DocumentSymbol> {
        if self.package_of(path).is_none() {
            return Vec::new();
        }
        let Some(view) = self.view(path) else { return Vec::new() };
        let Some((_, _, module)) = view.modules.iter().find(|(f, _, _)| **f == *key(path)) else { return Vec::new() };
        let text = &self.texts[path];
        let sym = |name: &str, detail: Option<String>, kind: lsp::SymbolKind, whole: Span, at: Span| {
            #[allow(deprecated)]
            lsp::DocumentSymbol {
                name: if name.is_empty() { "_".into() } else { name.to_string() },
                detail,
                kind,
                tags: None,
                deprecated: None,
                range: text.range(whole),
                selection_range: text.range(at),
                children: None,
            }
        };
        let mut out: Vec<lsp::DocumentSymbol> = Vec::new();
        // Clauses under the outline entry their cite names: (section index in `out`, entry).
        let mut sections: HashMap<usize, usize> = HashMap::new();
        for item in &module.items {
            let (name, whole) = item.name();
            let s = match item {
                Item::Clause(c) => {
                    let cite = c.body.iter().find_map(|s| match s {
                        ast::Stmt::Cite(c) => Some(c.number.text.as_str()),
                        _ => None,
                    });
                    let clause = sym(
                        name,
                        c.title.as_ref().map(|t| t.text.clone()),
                        lsp::SymbolKind::FUNCTION,
                        whole,
                        c.name.span,
                    );
                    match cite.and_then(|n| section_of(view.model, n)) {
                        Some(entry) => {
                            let at = match sections.get(&entry) {
                                Some(&at) => at,
                                None => {
                                    let e = &view.model.outline[entry];
                                    let title = match &e.title {
                                        Some(t) => format!("{} {t}", e.number),
                                        None => e.number.clone(),
                                    };
                                    out.push(sym(&title, None, lsp::SymbolKind::NAMESPACE, whole, c.name.span));
                                    sections.insert(entry, out.len() - 1);
                                    out.len() - 1
                                }
                            };
                            let section = &mut out[at];
                            section.range.end = clause.range.end;
                            section.children.get_or_insert_with(Vec::new).push(clause);
                            continue;
                        }
                        None => clause,
                    }
                }
                Item::Record(r) => {
                    let mut s = sym(
                        name,
                        r.label.as_ref().map(|l| l.text.clone()),
                        lsp::SymbolKind::STRUCT,
                        whole,
                        r.name.span,
                    );
                    let mut fields: Vec<lsp::DocumentSymbol> = r
                        .fields
                        .iter()
                        .map(|f| {
                            sym(&f.name.text, Some(f.ty.text.clone()), lsp::SymbolKind::FIELD, f.span, f.name.span)
                        })
                        .collect();
                    if let Some(d) = &r.derive {
                        fields.extend(
                            d.fields
                                .iter()
                                .map(|f| sym(&f.name.text, None, lsp::SymbolKind::FIELD, f.span, f.name.span)),
                        );
                    }
                    s.children = Some(fields);
                    s
                }
                Item::Enum(e) => {
                    let mut s =
                        sym(name, e.label.as_ref().map(|l| l.text.clone()), lsp::SymbolKind::ENUM, whole, e.name.span);
                    s.children = Some(
                        e.variants
                            .iter()
                            .map(|v| sym(&v.text, None, lsp::SymbolKind::ENUM_MEMBER, v.span, v.span))
                            .collect(),
                    );
                    s
                }
                Item::Plan(p) => {
                    sym(name, p.title.as_ref().map(|t| t.text.clone()), lsp::SymbolKind::MODULE, whole, p.name.span)
                }
                Item::Party(p) => {
                    sym(name, p.full_name.as_ref().map(|t| t.text.clone()), lsp::SymbolKind::OBJECT, whole, p.name.span)
                }
                Item::Group(g) => {
                    sym(name, g.full_name.as_ref().map(|t| t.text.clone()), lsp::SymbolKind::ARRAY, whole, g.name.span)
                }
                Item::Unit(u) => sym(name, None, lsp::SymbolKind::CONSTANT, whole, u.name.span),
                Item::Period(p) => {
                    sym(name, p.label.as_ref().map(|t| t.text.clone()), lsp::SymbolKind::CONSTANT, whole, p.name.span)
                }
                Item::Calendar(c) => {
                    sym(name, c.source.as_ref().map(|t| t.text.clone()), lsp::SymbolKind::OBJECT, whole, c.name.span)
                }
                Item::Sanction(s) => {
                    sym(name, s.text.as_ref().map(|t| t.text.clone()), lsp::SymbolKind::EVENT, whole, s.name.span)
                }
                Item::Rule(r) => {
                    sym(name, r.label.as_ref().map(|t| t.text.clone()), lsp::SymbolKind::FUNCTION, whole, r.name.span)
                }
                Item::Table(t) => {
                    sym(name, t.label.as_ref().map(|t| t.text.clone()), lsp::SymbolKind::FUNCTION, whole, t.name.span)
                }
                Item::Test(t) => sym(name, None, lsp::SymbolKind::METHOD, whole, t.name.span),
                Item::Import(i) => sym(name, None, lsp::SymbolKind::PACKAGE, whole, i.name.span),
                Item::Outline(o) => {
                    let mut s = sym(
                        "outline",
                        o.title.as_ref().map(|t| t.text.clone()),
                        lsp::SymbolKind::NAMESPACE,
                        whole,
                        whole,
                    );
                    s.children = Some(
                        o.entries
                            .iter()
                            .map(|(n, t)| {
                                sym(
                                    &n.text,
                                    t.as_ref().map(|t| t.text.clone()),
                                    lsp::SymbolKind::STRING,
                                    n.span.to(t.as_ref().map_or(n.span, |t| t.span)),
                                    n.span,
                                )
                            })
                            .collect(),
                    );
                    s
                }
                Item::Untestable(u) => {
                    sym(name, Some(u.text.text.clone()), lsp::SymbolKind::STRING, whole, u.number.span)
                }
            };
            out.push(s);
        }
        out
    }

    /// The edits that lay the file out as `writ fmt` does; `None` when it cannot be formatted
    /// (a syntax error, which the diagnostics show).
    pub fn format(&mut self, path: &Path) -> Option<Vec<lsp::TextEdit>> {
        let t = self.texts.get(path)?;
        let formatted = crate::format::format_source(&key(path), &t.text).ok()?;
        if formatted == *t.text {
            return Some(Vec::new());
        }
        let range = lsp::Range { start: lsp::Position::new(0, 0), end: t.lines.end(&t.text) };
        Some(vec![lsp::TextEdit { range, new_text: formatted }])
    }
}

/// The record kind the last binding of `var` written in `text` names: `for var in KIND`
/// (in any spelling of the keywords) or a parameter `var: KIND`.
fn bound_record(text: &str, var: &str) -> Option<String> {
    if var.is_empty() {
        return None;
    }
    let spellings = |rule: &str| crate::syntax::keywords::by_rule(rule).map(|k| k.spellings().collect::<Vec<_>>());
    let (fors, ins) = (spellings("kw_for")?, spellings("kw_in")?);
    let word = |w: &str| w.split(['[', '{', ',', ')', '(']).next().unwrap_or("").to_string();
    let tokens: Vec<&str> = text.split_whitespace().collect();
    for i in (0..tokens.len()).rev() {
        let t = tokens[i];
        if t == var && i > 0 && fors.contains(&tokens[i - 1]) && tokens.get(i + 1).is_some_and(|w| ins.contains(w)) {
            return tokens.get(i + 2).map(|w| word(w));
        }
        if let Some(name) = t.strip_suffix(':')
            && name.rsplit(['(', ',']).next() == Some(var)
        {
            return tokens.get(i + 1).map(|w| word(w));
        }
    }
    None
}

/// The outline entry a cite number belongs to: the entry with that number, else the longest
/// entry number it begins with.
fn section_of(model: &Model, number: &str) -> Option<usize> {
    let number = number.trim();
    model.outline.iter().position(|e| e.number == number).or_else(|| {
        model
            .outline
            .iter()
            .enumerate()
            .filter(|(_, e)| !e.number.is_empty() && number.starts_with(e.number.as_str()))
            .max_by_key(|(_, e)| e.number.len())
            .map(|(i, _)| i)
    })
}

/// Whether a completion label fits what was typed: it begins with it, or does once both are
/// read in one Chinese script (`工业` for `工業爐窯`). The text the editor filters on: the label,
/// or the typed text followed by the rest of the label when only the scripts differ.
fn matches(prefix: &str, label: &str) -> Option<String> {
    if label.starts_with(prefix) {
        return Some(label.to_string());
    }
    let n = prefix.chars().count();
    let head: String = label.chars().take(n).collect();
    if head.chars().count() == n && crate::script::same_folded(&head, prefix) {
        let rest: String = label.chars().skip(n).collect();
        return Some(format!("{prefix}{rest}"));
    }
    None
}

impl View<'_> {
    /// The item of a file whose name is declared at `name`.
    fn item(&self, file: &str, name: Span) -> Option<&Item> {
        let (_, _, m) = self.modules.iter().find(|(f, _, _)| **f == *file)?;
        m.items.iter().find(|i| {
            let (_, whole) = i.name();
            whole.start <= name.start && name.end <= whole.end
        })
    }

    /// The span of the top-level item around an offset of a file.
    fn item_around(&self, file: &str, offset: usize) -> Option<Span> {
        let (_, _, m) = self.modules.iter().find(|(f, _, _)| **f == *file)?;
        m.items.iter().map(|i| i.name().1).find(|s| s.start as usize <= offset && offset <= s.end as usize)
    }

    fn text(&self, file: &str) -> &str {
        self.modules.iter().find(|(f, _, _)| **f == *file).map_or("", |(_, t, _)| t)
    }

    /// The first line of a declaration, as written.
    fn first_line(&self, decl: &Decl) -> String {
        let text = self.text(&decl.file);
        let whole = text.get(decl.whole.start as usize..decl.whole.end as usize).unwrap_or("");
        whole.lines().next().unwrap_or("").trim_end().to_string()
    }

    /// The record kinds what ends at `end` (just before a `.`) may be: a local bound to a
    /// record, a field holding a reference; none when it is not known.
    fn records_before(&self, file: &str, end: usize) -> Vec<String> {
        let Some(occ) = self.index.at(file, end) else { return Vec::new() };
        match occ.target.kind {
            Kind::Local => self.index.decls.get(&occ.target).and_then(|d| d.record.clone()).into_iter().collect(),
            Kind::Field => {
                let owner = occ.target.owner.as_deref().unwrap_or("");
                let field = self
                    .model
                    .records
                    .iter()
                    .find(|r| r.name == owner)
                    .and_then(|r| r.fields.iter().find(|f| f.name == occ.target.name));
                match field.map(|f| &f.ty) {
                    Some(Ty::Ref(r)) => self.model.records.get(r.index()).map(|r| r.name.clone()).into_iter().collect(),
                    _ => Vec::new(),
                }
            }
            _ => Vec::new(),
        }
    }

    /// A field's type in words, with its unit.
    fn ty(&self, f: &crate::model::FieldDecl) -> String {
        let ty = match &f.ty {
            Ty::Bool => "bool".to_string(),
            Ty::Text => "text".into(),
            Ty::Number => "number".into(),
            Ty::Quantity(d) => d.describe(),
            Ty::Percent => "percent".into(),
            Ty::Date => "date".into(),
            Ty::DateTime => "datetime".into(),
            Ty::Duration => "duration".into(),
            Ty::Enum(i) => format!("enum `{}`", self.model.enums.get(i.index()).map_or("?", |e| &e.name)),
            Ty::Ref(i) => format!("a `{}` record", self.model.records.get(i.index()).map_or("?", |r| &r.name)),
            Ty::Party => "party".into(),
            other => format!("{other:?}").to_lowercase(),
        };
        let unit = f.unit.as_ref().filter(|u| !u.name.is_empty()).map(|u| format!(" in `{}`", u.name));
        let optional = if f.optional { ", optional" } else { "" };
        format!("{ty}{}{optional}", unit.unwrap_or_default())
    }

    /// The hover text of a declared thing, in Markdown.
    fn describe(&self, t: &Target, decl: &Decl) -> String {
        let code = |s: &str| format!("```writ\n{s}\n```");
        let item = self.item(&decl.file, decl.name);
        match (t.kind, item) {
            (Kind::Clause, Some(Item::Clause(c))) => {
                let mut out = format!("**clause** `{}`", c.name.text);
                if let Some(title) = &c.title {
                    out.push_str(&format!(" — {}", title.text));
                }
                let roles = self.roles();
                let text = self.text(&decl.file);
                for s in &c.body {
                    if let ast::Stmt::Cite(cite) = s {
                        out.push_str(&format!("\n\n**{}**", cite.number.text));
                        if let Some(text) = &cite.text {
                            out.push_str(&format!(" {}", text.text));
                        }
                    }
                }
                // Roles, the clause's own and those its subjects decide (`implement e.縣區`) in
                // its `for` blocks, as written.
                let mut stack: Vec<&[ast::Stmt]> = vec![&c.body];
                while let Some(body) = stack.pop() {
                    for s in body {
                        match s {
                            ast::Stmt::Role { role, parties, fields, .. } => {
                                let label =
                                    roles.get(role.text.as_str()).map(|l| format!(" ({l})")).unwrap_or_default();
                                let mut names: Vec<&str> = parties.iter().map(|p| p.text.as_str()).collect();
                                names.extend(
                                    fields.iter().filter_map(|f| text.get(f.span.start as usize..f.span.end as usize)),
                                );
                                out.push_str(&format!("\n\n{}{label}: {}", role.text, names.join(", ")));
                            }
                            ast::Stmt::For(f) => stack.push(&f.body),
                            _ => {}
                        }
                    }
                }
                out
            }
            (Kind::Field, _) => {
                let owner = t.owner.as_deref().unwrap_or("");
                let field = self
                    .model
                    .records
                    .iter()
                    .find(|r| r.name == owner)
                    .and_then(|r| r.fields.iter().find(|f| f.name == t.name));
                let mut out = format!("**field** `{owner}.{}`", t.name);
                if let Some(f) = field {
                    out.push_str(&format!(": {}", self.ty(f)));
                    if !f.range.is_unbounded() {
                        out.push_str(&format!("\n\nrange: {}", f.range.describe()));
                    }
                }
                out.push_str(&format!("\n\n{}", code(self.first_line(decl).trim())));
                out
            }
            (Kind::Party, Some(Item::Party(p))) => {
                let full = p.full_name.as_ref().map_or(String::new(), |f| format!(" — {}", f.text));
                format!("**party** `{}`{full}", p.name.text)
            }
            (Kind::Group, Some(Item::Group(g))) => {
                let full = g.full_name.as_ref().map_or(String::new(), |f| format!(" — {}", f.text));
                let members: Vec<&str> = g.members.iter().map(|m| m.text.as_str()).collect();
                format!("**group** `{}`{full}\n\nmembers: {}", g.name.text, members.join(", "))
            }
            (Kind::Role, _) => {
                let label = self.roles().get(t.name.as_str()).map(|l| format!(" — {l}")).unwrap_or_default();
                format!("**role** `{}`{label}", t.name)
            }
            (Kind::Variant, _) => {
                let owner = t.owner.as_deref().unwrap_or("");
                let def = self.index.decls.get(&Target { kind: Kind::Enum, name: owner.into(), owner: None });
                let line = def.map(|d| code(&self.first_line(d))).unwrap_or_default();
                format!("**enum value** `{}` of `{owner}`\n\n{line}", t.name)
            }
            (Kind::Local, _) => match &decl.record {
                Some(r) => format!("**local** `{}`: a `{r}` record", t.name),
                None => format!("**local** `{}`", t.name),
            },
            (kind, _) => format!("**{}** `{}`\n\n{}", kind.word(), t.name, code(&self.first_line(decl))),
        }
    }

    /// The plan's roles and their words (`lead` → `牽頭`).
    fn roles(&self) -> HashMap<&str, &str> {
        let mut out = HashMap::new();
        for (_, _, m) in &self.modules {
            for i in &m.items {
                if let Item::Plan(p) = i {
                    for (r, label) in &p.roles {
                        out.insert(r.text.as_str(), label.as_ref().map_or("", |l| l.text.as_str()));
                    }
                }
            }
        }
        out.retain(|_, l| !l.is_empty());
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_variable_s_binding_is_read_from_the_text() {
        assert_eq!(bound_record("clause c {\n  for e in 企業[\"A\"] {\n    must ", "e").as_deref(), Some("企業"));
        assert_eq!(bound_record("條款 c {\n  對於 窯 屬於 工業爐窯 其中 ", "窯").as_deref(), Some("工業爐窯"));
        assert_eq!(bound_record("对于 e 属于 企业{", "e").as_deref(), Some("企业"));
        assert_eq!(bound_record("rule 大型(x: text, e: 企業) {\n  ", "e").as_deref(), Some("企業"));
        // The last binding counts; another variable's does not.
        assert_eq!(bound_record("for e in 甲 { } for e in 乙 {", "e").as_deref(), Some("乙"));
        assert_eq!(bound_record("for k in 甲 {", "e"), None);
    }

    #[test]
    fn completion_matches_across_scripts() {
        assert_eq!(matches("工业", "工業爐窯").as_deref(), Some("工业爐窯"));
        assert_eq!(matches("工業", "工業爐窯").as_deref(), Some("工業爐窯"));
        assert_eq!(matches("", "x").as_deref(), Some("x"));
        assert_eq!(matches("爐", "工業爐窯"), None);
        assert_eq!(matches("工業爐窯x", "工業爐窯"), None);
    }
}
