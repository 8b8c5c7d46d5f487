//! Names: collecting the declarations of every file, finding them by name, did-you-mean.

use super::*;

impl Checker {
    pub(super) fn collect(&mut self, files: &[(Arc<str>, &ast::Module)]) {
        let mut plan_seen: Option<Origin> = None;
        for (file, module) in files {
            self.file = file.clone();
            for item in &module.items {
                let kind = match item {
                    Item::Plan(_) => DeclKind::Plan,
                    Item::Party(_) => DeclKind::Party,
                    Item::Group(_) => DeclKind::Group,
                    Item::Unit(_) => DeclKind::Unit,
                    Item::Enum(_) => DeclKind::Enum,
                    Item::Record(_) => DeclKind::Record,
                    Item::Period(_) => DeclKind::Period,
                    Item::Calendar(_) => DeclKind::Calendar,
                    Item::Sanction(_) => DeclKind::Sanction,
                    Item::Rule(_) => DeclKind::Rule,
                    Item::Table(_) => DeclKind::Table,
                    Item::Clause(_) => DeclKind::Clause,
                    Item::Test(_) | Item::Outline(_) | Item::Untestable(_) | Item::Import(_) => continue,
                };
                let (name, _) = item.name();
                let nspan = name_span(item);
                if kind == DeclKind::Plan {
                    if let Some(first) = &plan_seen {
                        let first = first.clone();
                        self.err(
                            "duplicate-plan",
                            nspan,
                            "a package declares one `plan`, found a second",
                            "merge the two plan items",
                        )
                        .labels
                        .push(crate::diagnostic::Label {
                            span: first.span,
                            message: "first plan here".into(),
                            file: (first.file != *file).then(|| first.file.clone()),
                        });
                        continue;
                    }
                    plan_seen = Some(origin(file, nspan));
                }
                if let Some((k, _, o)) = self.names.get(name) {
                    let (k, o) = (*k, o.clone());
                    let d =
                        Diagnostic::error("duplicate-definition", file, nspan, format!("`{name}` is defined twice"))
                            .with_label(format!("second definition, as {}", kind.a()))
                            .with_secondary_in(&o.file, o.span, format!("first defined here, as {}", k.a()))
                            .with_help("rename one of them: every top-level name of a package is unique");
                    self.diags.push(d);
                    continue;
                }
                let count = self.kind_counts.entry(kind).or_insert(0);
                self.names.insert(name.to_string(), (kind, *count, origin(file, nspan)));
                *count += 1;
            }
        }
        // A package without clauses, tests or an outline is a library (a standard's limits and
        // methods, imported by plans): it needs no plan.
        let needs_plan = files
            .iter()
            .flat_map(|(_, m)| &m.items)
            .any(|item| matches!(item, Item::Clause(_) | Item::Test(_) | Item::Outline(_) | Item::Untestable(_)));
        if plan_seen.is_none() && needs_plan && !self.incomplete {
            let file = files.first().map(|f| f.0.clone()).unwrap_or_else(|| Arc::from("<package>"));
            self.diags.push(
                Diagnostic::error("missing-plan", &file, Span::default(), "the package declares no `plan`").with_help(
                    "add `plan NAME \"title\" { period 2019-01-01 .. 2019-12-31  roles lead \"牽頭\" }` to one file",
                ),
            );
        }
    }

    pub(super) fn lookup(&self, name: &str) -> Option<(DeclKind, u32)> {
        self.names.get(name).map(|(k, i, _)| (*k, *i))
    }

    /// Index of a declaration of `kind`, found by name in its model vector `items`: the first
    /// with that name, as a scan would find it. The vectors only grow, so the map indexes the
    /// entries pushed since the last call and each entry is hashed once.
    /// The enum named `name`.
    pub(super) fn find_enum(&self, name: &str) -> Option<EnumId> {
        self.find(DeclKind::Enum, &self.model.enums, name, |e| &e.name).map(EnumId)
    }

    /// The party named `name`.
    pub(super) fn find_party(&self, name: &str) -> Option<PartyId> {
        self.find(DeclKind::Party, &self.model.parties, name, |p| &p.name).map(PartyId)
    }

    /// The record kind named `name`.
    pub(super) fn find_record(&self, name: &str) -> Option<RecordId> {
        self.find(DeclKind::Record, &self.model.records, name, |r| &r.name).map(RecordId)
    }

    pub(super) fn find<T>(&self, kind: DeclKind, items: &[T], name: &str, get: impl Fn(&T) -> &str) -> Option<u32> {
        let mut positions = self.positions.borrow_mut();
        let (seen, map) = positions.entry(kind).or_default();
        if *seen > items.len() {
            // The vector was replaced by a shorter one: index it afresh.
            *seen = 0;
            map.clear();
        }
        for (i, x) in items.iter().enumerate().skip(*seen) {
            map.entry(get(x).to_string()).or_insert(i as u32);
        }
        *seen = items.len();
        map.get(name).copied()
    }

    /// The position of variant `name` in enum `ei`.
    pub(super) fn variant(&self, ei: EnumId, name: &str) -> Option<usize> {
        self.variant_index.get(name)?.iter().find(|(e, _)| *e == ei).map(|&(_, vi)| vi as usize)
    }

    pub(super) fn suggest(&self, name: &str, kinds: &[DeclKind]) -> Option<String> {
        let candidates = self.names.iter().filter(|(_, (k, _, _))| kinds.contains(k)).map(|(n, _)| n.as_str());
        self.did_you_mean(name, candidates)
    }

    /// [`did_you_mean`] within the package's [`SUGGESTION_BUDGET`]: a search runs whole or not
    /// at all, so which diagnostics get a suggestion depends only on the package.
    pub(super) fn did_you_mean<'a>(&self, name: &str, candidates: impl Iterator<Item = &'a str>) -> Option<String> {
        let left = self.suggestion_budget.get();
        if left == 0 {
            return None;
        }
        let mut compared = 0usize;
        let best = did_you_mean(name, candidates.inspect(|_| compared += 1));
        self.suggestion_budget.set(left.saturating_sub(compared));
        best
    }
}
/// The closest candidate by edit distance, if it is close enough to be a typo. Names are
/// compared under the script fold ([`crate::script::fold`]), so `工业炉窑` finds `工業爐窯`, and
/// `工业炉窖` finds it too, one character off.
pub fn did_you_mean<'a>(name: &str, candidates: impl Iterator<Item = &'a str>) -> Option<String> {
    let folded = crate::script::fold(name);
    let n: Vec<char> = folded.chars().collect();
    let mut best: Option<(usize, &str)> = None;
    let look = crate::text::skeleton(name);
    for c in candidates {
        if c == name {
            continue;
        }
        // A name that looks the same (another script's letter, an invisible character) is the
        // one meant, however short; so is the same name in the other Chinese script.
        let other = crate::script::fold(c);
        if crate::text::skeleton(c) == look || other == folded {
            return Some(c.to_string());
        }
        let d = edit_distance(&n, &other.chars().collect::<Vec<_>>());
        // One edit in a two-character name is half of it: no suggestion is better than noise.
        let longest = n.len().max(c.chars().count());
        let limit = if longest >= 3 { (longest / 3).max(1) } else { 0 };
        if d <= limit && best.is_none_or(|(bd, bc)| d < bd || (d == bd && c < bc)) {
            best = Some((d, c));
        }
    }
    best.map(|(_, c)| c.to_string())
}
fn edit_distance(a: &[char], b: &[char]) -> usize {
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(ca != cb)).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}
fn name_span(item: &Item) -> Span {
    match item {
        Item::Plan(x) => x.name.span,
        Item::Party(x) => x.name.span,
        Item::Group(x) => x.name.span,
        Item::Unit(x) => x.name.span,
        Item::Enum(x) => x.name.span,
        Item::Record(x) => x.name.span,
        Item::Period(x) => x.name.span,
        Item::Calendar(x) => x.name.span,
        Item::Sanction(x) => x.name.span,
        Item::Rule(x) => x.name.span,
        Item::Table(x) => x.name.span,
        Item::Clause(x) => x.name.span,
        Item::Test(x) => x.name.span,
        Item::Outline(x) => x.span,
        Item::Import(x) => x.name.span,
        Item::Untestable(x) => x.number.span,
    }
}
